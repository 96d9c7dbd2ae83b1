"""Lesson 14, CAN on Su's binary example: one confident row p⁽ᵃ⁾ and one doubtful row p⁽ᵇ⁾, a prior.

Bars: p⁽ᵇ⁾ before, after ``iters`` steps of CAN (``priors.can_correct``), and the Sinkhorn limit (100
steps at α = 1); a side panel follows p⁽ᵇ⁾₀ along the iterations. Su's example is p⁽ᵃ⁾ = (0.05, 0.95),
p⁽ᵇ⁾ = (0.5, 0.5), a uniform prior: one step gives (0.725, 0.275).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import priors as pr
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider

MAX_ITERS = 20
LIMIT_ITERS = 100  # the binary examples converge geometrically, to 1e-12 in a few dozen steps


@functools.lru_cache(maxsize=256)
def path(a0: float, b0: float, prior0: float, alpha: float) -> np.ndarray:
    """p⁽ᵇ⁾₀ after 0, 1, ..., MAX_ITERS steps, and the limit (LIMIT_ITERS steps at α = 1) last."""
    f64 = dict(dtype=torch.float64)
    a, b, prior = torch.tensor([[a0, 1 - a0]], **f64), torch.tensor([b0, 1 - b0], **f64), [prior0, 1 - prior0]
    steps = pr.can_path(b, a, prior, alpha=alpha, iters=MAX_ITERS)[:, 0].numpy()
    return np.array([b0, *steps, sinkhorn_limit(a0, b0, prior0)])


@functools.lru_cache(maxsize=256)
def sinkhorn_limit(a0: float, b0: float, prior0: float) -> float:
    """p⁽ᵇ⁾₀ at the Sinkhorn limit (α = 1; α does not enter it)."""
    f64 = dict(dtype=torch.float64)
    a, b = torch.tensor([[a0, 1 - a0]], **f64), torch.tensor([b0, 1 - b0], **f64)
    return pr.can_correct(b, a, [prior0, 1 - prior0], iters=LIMIT_ITERS)[0].item()


class PriorCanFigure(InteractiveFigure):
    """CAN on two rows: the doubtful row before, after the chosen iterations, and at the Sinkhorn limit."""

    controls = {
        "a0": Slider(0.05, 0.95, 0.05, step=0.05, label="confident p⁽ᵃ⁾₀", named=(0.05,)),
        "b0": Slider(0.05, 0.95, 0.5, step=0.05, label="doubtful p⁽ᵇ⁾₀", named=(0.5,)),
        "prior0": Slider(0.1, 0.9, 0.5, step=0.05, label="prior of class 0", named=(0.5,)),
        "iters": Slider(1, MAX_ITERS, 1, integer=True, label="iterations", named=(1, 10)),
        "alpha": Slider(0.5, 3.0, 1.0, step=0.25, label="power α", named=(1.0, 2.0)),
    }
    figsize = (9.6, 3.8)

    def build(self):
        ax, ax_i = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        self.ax, self.ax_i = ax, ax_i
        self.names = [self.tr("before"), self.tr("after CAN"), self.tr("Sinkhorn limit")]
        x = np.arange(3)
        self.bars0 = ax.bar(x - 0.18, [0, 0, 0], 0.36, color="C0", label=self.tr("class 0"))
        self.bars1 = ax.bar(x + 0.18, [0, 0, 0], 0.36, color="C3", label=self.tr("class 1"))
        self.labels = [ax.text(i, 0, "", ha="center", va="bottom", fontsize=8) for i in range(6)]
        ax.set_xticks(x, self.names)
        ax.set(ylim=(0, 1.12), ylabel=self.tr("doubtful row p⁽ᵇ⁾"))
        ax.legend(loc="upper right", fontsize=8, frameon=False, ncol=2)
        (self.curve,) = ax_i.plot([], [], "o-", color="C0", ms=3, lw=1.2, label=self.tr("p⁽ᵇ⁾₀ after n steps"))
        self.lim = ax_i.axhline(0.5, color="k", lw=1, ls="--", label=self.tr("Sinkhorn limit"))
        self.now = ax_i.axvline(1, color="0.5", lw=0.8, ls=":")
        ax_i.set(xlim=(-0.5, MAX_ITERS + 0.5), ylim=(0, 1), xlabel=self.tr("iterations n"))
        ax_i.legend(loc="lower right", fontsize=8, frameon=False)

    def draw(self, a0, b0, prior0, iters, alpha):
        p = path(a0, b0, prior0, alpha)
        self.before, self.after, self.limit = p[0], p[iters], p[-1]
        values = [self.before, self.after, self.limit]
        for i, v in enumerate(values):
            self.bars0[i].set_height(v)
            self.bars1[i].set_height(1 - v)
            self.labels[i].set_position((i - 0.18, v + 0.01))
            self.labels[i].set_text(f"{v:.3f}")
            self.labels[i + 3].set_position((i + 0.18, 1 - v + 0.01))
            self.labels[i + 3].set_text(f"{1 - v:.3f}")
        self.curve.set_data(np.arange(MAX_ITERS + 1), p[:-1])
        self.lim.set_ydata([self.limit, self.limit])
        self.now.set_xdata([iters, iters])
        self.readout = self.tr(
            "p⁽ᵃ⁾ = ({a0:g}, {a1:g}), p⁽ᵇ⁾ = ({b0:g}, {b1:g}), prior ({q0:g}, {q1:g}), α = {alpha:g}: after {n} "
            "step(s) p⁽ᵇ⁾ = (<b>{x:.4f}</b>, {y:.4f}); the Sinkhorn limit (α = 1) is ({l0:.4f}, {l1:.4f})."
        ).format(
            a0=a0,
            a1=round(1 - a0, 10),
            b0=b0,
            b1=round(1 - b0, 10),
            q0=prior0,
            q1=round(1 - prior0, 10),
            alpha=alpha,
            n=iters,
            x=self.after,
            y=1 - self.after,
            l0=self.limit,
            l1=1 - self.limit,
        )
