"""Lesson 11, the opening picture: Gumbel-Softmax samples on the simplex of three classes.

2000 relaxed samples softmax((o + G)/τ) for p = softmax(o) = (0.5, 0.3, 0.2), always from the same noise G
(so that moving τ moves each sample along its own path), each drawn at its barycentric position and
coloured by its argmax. Large τ pulls every sample to the centre; small τ pushes them to the corners
(one-hots), in the proportions p at every τ. One control, τ.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import gumbel as gb
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

P = (0.5, 0.3, 0.2)  # the categorical law of the lesson's examples
SAMPLES = 2000
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])  # class 1, 2, 3
COLOURS = np.array([[0.12, 0.47, 0.71, 0.75], [1.0, 0.50, 0.05, 0.75], [0.17, 0.63, 0.17, 0.75]])
TAU_NAMED = (0.01, 0.1, 0.5, 1.0, 5.0)


@functools.cache
def noise():
    """The fixed uniforms u (SAMPLES, 3) every τ uses (seed 0), float64."""
    return torch.rand(SAMPLES, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).clamp_(min=2.0**-54)


@functools.lru_cache(maxsize=64)
def relaxed(tau: float) -> np.ndarray:
    """The SAMPLES relaxed one-hots at τ, (SAMPLES, 3)."""
    logits = torch.tensor(P, dtype=torch.float64).log()
    return gb.gumbel_softmax(logits.expand(SAMPLES, 3), noise(), tau).numpy()


def summary(tau: float) -> dict:
    """What the readout says at τ: argmax frequencies, mean of y, E[max y], share of near one-hots."""
    y = relaxed(tau)
    return {
        "freq": np.bincount(y.argmax(1), minlength=3) / SAMPLES,
        "mean": y.mean(0),
        "max": float(y.max(1).mean()),
        "hot": float((y.max(1) > 0.99).mean()),
    }


class SimplexFigure(InteractiveFigure):
    """Relaxed samples of Cat(0.5, 0.3, 0.2) on the triangle, τ on one slider."""

    controls = {"tau": LogSlider(0.01, 10.0, 1.0, label="temperature τ", named=TAU_NAMED)}
    figsize = (6.4, 5.0)

    def build(self):
        ax = self.ax = self.fig.subplots()
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.plot(*np.r_[CORNERS, CORNERS[:1]].T, color="0.3", lw=1)
        names = [self.tr("class 1 (p = 0.5)"), self.tr("class 2 (p = 0.3)"), self.tr("class 3 (p = 0.2)")]
        # one marker line per class: Agg stamps a line's markers, much faster than a coloured scatter
        self.dots = [
            ax.plot([], [], "o", ms=2.2, mew=0, color=c, label=n)[0] for c, n in zip(COLOURS, names, strict=True)
        ]
        ax.legend(loc="upper left", fontsize=9, frameon=False, markerscale=3)  # static: class names cost nothing
        ax.set(xlim=(-0.05, 1.05), ylim=(-0.05, 0.92))
        self.title = ax.text(0.5, 1.0, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)

    @one_cpu_thread()  # small tensors: a second thread only adds handshakes
    def draw(self, tau):
        y = relaxed(tau)
        xy, winner = y @ CORNERS, y.argmax(1)
        for k, line in enumerate(self.dots):
            line.set_data(xy[winner == k, 0], xy[winner == k, 1])
        s = self.stats = summary(tau)
        self.title.set_text(self.tr("Gumbel-Softmax samples at τ = {tau:g}").format(tau=tau))
        self.readout = self.tr(
            "τ = {tau:g}: argmax frequencies {f1:.3f}, {f2:.3f}, {f3:.3f} against p = 0.5, 0.3, 0.2 "
            "(the same at every τ); mean of the relaxed samples {m1:.3f}, {m2:.3f}, {m3:.3f}; "
            "E[max y] = {mx:.3f}; {hot:.0%} of the samples are within 0.01 of a corner."
        ).format(
            tau=tau,
            f1=s["freq"][0],
            f2=s["freq"][1],
            f3=s["freq"][2],
            m1=s["mean"][0],
            m2=s["mean"][1],
            m3=s["mean"][2],
            mx=s["max"],
            hot=s["hot"],
        )
