"""Lesson 17, the logistic form Φ(x) ≈ σ(λx): its error on x ≥ 0 (left) and its largest |error| against λ
(right, computed once on a grid of λ), λ on one slider. Marked: the slope-matched 4/√(2π), the min–max
λ and the published 1.702.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import gelu as g
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import FineSlider

X = np.linspace(0.0, 5.0, 1001)
LAMS = np.linspace(1.5, 2.0, 201)
LAM_NAMED = (1.59577, 1.70174, 1.702, 1.77293)  # slope-matched, min–max, published, GELU-level min–max


@functools.cache
def max_error_curve() -> np.ndarray:
    """max |Φ − σ(λx)| over the real line for each λ of LAMS."""
    return np.array([g.gelu_max_error("sigmoid", float(v)) for v in LAMS])


class LogisticFigure(InteractiveFigure):
    """Φ(x) − σ(λx) and max |error| against λ, λ on a slider."""

    # steps of 0.001 and a stop at each named λ: 404 positions, few enough to send ahead as a strip
    controls = {"lam": FineSlider(1.5, 1.9, 1.702, step=0.001, label="logistic slope λ", named=LAM_NAMED)}
    figsize = (9.0, 3.9)

    def build(self):
        left, right = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        self.x = torch.tensor(X, dtype=torch.float64)
        self.best = g.fit_gelu_sigmoid("minimax")
        left.axhline(0, color="0.6", lw=0.8)
        (self.curve,) = left.plot([], [], color="tab:blue", lw=1.8, label=self.tr("error Φ(x) − σ(λx)"))
        (self.top,) = left.plot(
            [], [], "o", mfc="none", mec="tab:red", ms=12, mew=1.8, label=self.tr("largest |error|")
        )
        left.set(
            xlim=(0, 5), ylim=(-0.035, 0.035), xlabel="x", ylabel=self.tr("error")
        )  # |error| <= 0.0329 on the slider
        left.legend(loc="lower right", fontsize=9, frameon=False)
        right.plot(LAMS, max_error_curve(), color="0.3", lw=1.5)
        marks = [
            (4 / math.sqrt(2 * math.pi), self.tr("4/√(2π): slope at 0"), "tab:purple"),
            (self.best[0], self.tr("min–max λ = {lam:.5f}").format(lam=self.best[0]), "tab:green"),
            (g.SIGMOID_LAMBDA, self.tr("published 1.702"), "tab:orange"),
        ]
        for (v, label, colour), (lw, ls) in zip(marks, [(1, "--"), (3, "-"), (1.2, "--")], strict=True):
            right.axvline(v, color=colour, lw=lw, ls=ls, label=label)
        (self.dot,) = right.plot([], [], "o", color="tab:red", ms=7)
        right.set(xlim=(1.5, 2.0), ylim=(0, 0.035), xlabel="λ", ylabel=self.tr("max |Φ − σ(λx)| over ℝ"))
        right.legend(loc="lower right", fontsize=8, frameon=False)
        self.title = left.text(0.5, 1.01, "", transform=left.transAxes, ha="center", va="bottom", fontsize=10)

    def draw(self, lam):
        self.curve.set_data(X, g.gelu_error(self.x, "sigmoid", lam).numpy())
        peaks = g.gelu_error_peaks("sigmoid", lam)
        xm, vm = max(peaks, key=lambda p: abs(p[1]))
        self.worst, self.peak_values = abs(vm), [v for _, v in peaks]
        self.top.set_data([xm], [vm])
        self.dot.set_data([lam], [self.worst])
        self.title.set_text(self.tr("logistic form, λ = {lam:.5f}").format(lam=lam))
        self.readout = self.tr(
            "λ = {lam:.5f}: peaks of Φ − σ(λx) {peaks}; largest |error| {w:.5e} at x = {x:.4f}; min–max λ = "
            "{best:.10f} with {bw:.5e} ({r:.5f} times)."
        ).format(
            lam=lam,
            peaks=", ".join(f"{v:+.4e}" for v in self.peak_values),
            w=self.worst,
            x=xm,
            best=self.best[0],
            bw=self.best[1],
            r=self.worst / self.best[1],
        )
