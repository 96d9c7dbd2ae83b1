"""Lesson 05, the opening picture: the kinked |x| and its smooth family log(eᵏˣ + e⁻ᵏˣ)/k.

Left: |x| (dashed), the family at k = 1, 2, 4, ..., 64 (grey) and the member at the slider's k
(orange); the largest gap, log 2/k at the kink, is marked. Right: the derivatives: sign(x) jumps
at 0, the family's tanh(kx) turns from -1 to 1 within a width of about 1/k. One control, k.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import smoothing as sm
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

FAMILY = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # the grey members
X = np.unique(np.r_[np.linspace(-2.0, 2.0, 801), np.linspace(-0.05, 0.05, 201)])  # x = 0 on the grid


@functools.lru_cache(maxsize=64)
def member(k: float) -> tuple[np.ndarray, np.ndarray]:
    """log-cosh |x| at sharpness k on X, and its derivative by autograd (= tanh(kx))."""
    x = torch.from_numpy(X).requires_grad_(True)
    y = sm.smooth_abs(x, k, "logcosh")
    (dy,) = torch.autograd.grad(y.sum(), x)
    return y.detach().numpy(), dy.numpy()


class KinkFigure(InteractiveFigure):
    """A kinked function and its smooth family, with the derivative: the sharpness k on one slider."""

    controls = {"k": LogSlider(1.0, 100.0, 3.0, label="sharpness k", named=(3.0, 30.0))}
    figsize = (8.6, 3.5)

    def build(self):
        ax_f, ax_d = self.ax_f, self.ax_d = self.fig.subplots(1, 2)
        for k in FAMILY:
            y, dy = member(k)
            ax_f.plot(X, y, color="0.75", lw=0.8)
            ax_d.plot(X, dy, color="0.75", lw=0.8)
        ax_f.plot(X, np.abs(X), "--", color="k", lw=1.3, label=self.tr("|x| (kink at 0)"))
        ax_d.plot([-2, 0, 0, 2], [-1, -1, 1, 1], "--", color="k", lw=1.3, label=self.tr("sign(x) (jumps at 0)"))
        (self.curve,) = ax_f.plot([], [], color="C1", lw=2.2, label="log(eᵏˣ + e⁻ᵏˣ)/k")
        (self.gap_bar,) = ax_f.plot([], [], color="C3", lw=2.5, solid_capstyle="butt", label=self.tr("largest gap"))
        (self.dcurve,) = ax_d.plot([], [], color="C1", lw=2.2, label=self.tr("tanh(kx), its slope"))
        ax_f.set(
            xlim=(-2, 2), ylim=(-0.1, 2.1), xlabel="x", title=self.tr("|x| and its smooth family (grey: k = 1 … 64)")
        )
        ax_d.set(xlim=(-2, 2), ylim=(-1.25, 1.25), xlabel="x", title=self.tr("derivative"))
        ax_f.legend(loc="upper center", fontsize=8, frameon=False)
        ax_d.legend(loc="upper left", fontsize=8, frameon=False)

    def draw(self, k):
        y, dy = member(k)
        self.curve.set_data(X, y)
        self.dcurve.set_data(X, dy)
        gap = y - np.abs(X)
        self.gap_max, self.gap_at = float(gap.max()), float(X[gap.argmax()])
        self.bound = sm.approximation_error("abs", k, "logcosh")  # log 2 / k
        self.gap_bar.set_data([self.gap_at, self.gap_at], [0.0, self.gap_max])
        self.turn_width = float(np.ptp(X[np.abs(dy) < math.tanh(2.0)]))  # where |slope| < tanh 2: |x| < 2/k
        self.readout = self.tr(
            "k = {k:g}: the smooth curve lies above |x| everywhere; the largest gap is <b>{gap:.4g}</b> "
            "at x = {at:g} (log 2/k = {bound:.4g}). Its slope turns from −1 to 1 smoothly, "
            "|slope| &lt; tanh 2 = {t2:.3f} on a width of {width:.3g} (4/k = {four:.3g})."
        ).format(
            k=k,
            gap=self.gap_max,
            at=self.gap_at,
            bound=self.bound,
            t2=math.tanh(2.0),
            width=self.turn_width,
            four=4 / k,
        )
