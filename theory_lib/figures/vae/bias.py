"""Lesson 19, the opening picture: a histogram of L_M = log((1/M) sum w_i) over 2000 seeded repetitions,
M on one slider, log q(x) marked. The toy a = 2, s = 0.5, x = 1 with the proposal N(0.5, 0.1) of the
article note: the histogram narrows and its mean climbs towards log q(x), never above it.

The draws for every M the slider can take are made once (a fixed seed) and cached for the session.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import vae
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

TOY = {"x": 1.0, "a": 2.0, "s": 0.5, "m": 0.5, "v": 0.1}
REPS = 2000
M_CONTROL = LogSlider(1, 256, 1, integer=True, label="samples per estimate M", named=(1, 2, 4, 8, 64, 256))
EDGES = np.linspace(-3.0, -1.4, 161)  # L_M <= max log w = -1.484 here; below -3 gathered in the first bin


@functools.cache
def draws() -> dict[int, np.ndarray]:
    """REPS draws of L_M for each M of the slider's grid, from one seeded generator."""
    g = torch.Generator().manual_seed(19)
    return {M: vae.sample_log_estimates(**TOY, M=M, num=REPS, generator=g).numpy() for M in M_CONTROL.grid()}


def _density(L: np.ndarray) -> np.ndarray:
    return np.histogram(np.clip(L, EDGES[0], EDGES[-1] - 1e-9), bins=EDGES, density=True)[0]


class VaeBiasFigure(InteractiveFigure):
    """Histogram of the M-sample log estimate, log q(x) and the histogram's mean marked."""

    controls = {"M": M_CONTROL}
    figsize = (7.5, 4.0)

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.log_q = vae.linear_gaussian_log_marginal(TOY["x"], TOY["a"], TOY["s"]).item()
        self.elbo = vae.expected_elbo(**TOY).item()
        self.hist = ax.stairs(np.zeros(len(EDGES) - 1), EDGES, fill=True, color="tab:blue", alpha=0.5)
        self.hist.set_label(self.tr("L_M over {n} repetitions (below −3: first bin)").format(n=REPS))
        ax.axvline(self.log_q, color="black", lw=2, label=self.tr("log q(x), exact"))
        ax.axvline(self.elbo, color="tab:green", lw=1.2, ls=":", label=self.tr("E[L₁] = log q(x) − KL, closed form"))
        self.mean_line = ax.axvline(self.log_q, color="tab:red", lw=1.8, ls="--", label=self.tr("mean of L_M"))
        top = max(_density(L).max() for L in draws().values())  # one fixed scale for every M: no relayout
        ax.set(
            xlim=(EDGES[0], EDGES[-1]),
            ylim=(0, 1.1 * top),
            xlabel=self.tr("log estimate L_M"),
            ylabel=self.tr("density"),
        )
        ax.legend(loc="upper left", fontsize=9, frameon=False)
        self.title = ax.text(0.5, 1.01, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)

    def draw(self, M):
        L = draws()[M]
        density = _density(L)
        self.hist.set_data(density)
        self.mean, self.sd = float(L.mean()), float(L.std())
        self.se = self.sd / np.sqrt(REPS)
        self.above = float((L > self.log_q).mean())
        self.mean_line.set_xdata([self.mean, self.mean])
        self.title.set_text(self.tr("a = 2, s = 0.5, x = 1, proposal N(0.5, 0.1), M = {M}").format(M=M))
        self.readout = self.tr(
            "M = {M}: mean of L_M {mean:.4f} ± {se:.4f}, spread {sd:.4f}; log q(x) = {lq:.5f}, gap {gap:.4f}; "
            "{above:.0%} of the estimates lie above log q(x). E[L₁] = {elbo:.5f} (closed form)."
        ).format(
            M=M,
            mean=self.mean,
            se=self.se,
            sd=self.sd,
            lq=self.log_q,
            gap=self.log_q - self.mean,
            above=self.above,
            elbo=self.elbo,
        )
