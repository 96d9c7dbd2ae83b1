"""Lesson 02, a figure beside step 5: the exact law of the angle against Laplace's normal N(pi/2, 1/(n-2)).

Both are drawn in the standardised angle z = (theta - pi/2) sqrt(n - 2), in which Laplace's law is the
standard normal at every n and the exact density is p_n(pi/2 + z / sqrt(n-2)) / sqrt(n-2): the axes
never move, and the exact curve closes in on the fixed normal as n grows.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from theory_lib import angles as ag
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

Z = 4.0  # the window: |z| <= 4


class LaplaceFigure(InteractiveFigure):
    """Step 5: p_n(theta) and Laplace's normal on one standardised axis; the variance each implies."""

    controls = {"n": LogSlider(3, 1000, 10, integer=True, label="dimension n", named=(3, 10, 100, 1000))}
    figsize = (6.4, 4.0)

    def build(self):
        ax = self.ax = self.fig.subplots()
        tr = self.tr
        self.z = np.linspace(-Z, Z, 801)
        normal = np.exp(-0.5 * self.z**2) / math.sqrt(2 * math.pi)
        ax.plot(self.z, normal, "--", color="C3", lw=1.8, label=tr(r"Laplace: $N(\pi/2, 1/(n-2))$"))
        (self.exact,) = ax.plot([], [], color="k", lw=1.8, label=tr(r"exact $p_n \propto \sin^{n-2}\theta$"))
        self.gap = ax.fill_between(self.z, 0, 0, color="C0", alpha=0.25, lw=0)
        ax.set(
            xlim=(-Z, Z),
            ylim=(0, 0.55),
            xlabel=tr(r"standardised angle $z = (\theta - \pi/2)\sqrt{n-2}$"),
            ylabel=tr("density of z"),
        )
        ax.set_title(tr("step 5: the exact law against Laplace's normal"), fontsize=10)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        self._normal = normal

    def draw(self, n):
        s = math.sqrt(n - 2)
        theta = torch.from_numpy(math.pi / 2 + self.z / s)
        exact = ag.angle_pdf(theta, n).numpy() / s  # 0 outside [0, pi]
        self.exact.set_data(self.z, exact)
        top, bottom = np.maximum(exact, self._normal), np.minimum(exact, self._normal)
        self.gap.set_paths([np.concatenate([np.c_[self.z, top], np.c_[self.z[::-1], bottom[::-1]]])])
        self.var_exact = ag.angle_variance(n)
        self.var_laplace = 1 / (n - 2)
        self.ratio = self.var_laplace / self.var_exact
        self.peak_gap = float(np.abs(exact - self._normal).max() / exact.max())
        self.readout = self.tr(
            "n = {n}: Var(θ) exact ψ′(n/2)/2 = <b>{exact:.5g}</b>, Laplace 1/(n−2) = {laplace:.5g}: "
            "the normal is {ratio:.3f} times too wide in variance; largest gap between the densities "
            "{gap:.1%} of the exact peak (shaded)."
        ).format(n=n, exact=self.var_exact, laplace=self.var_laplace, ratio=self.ratio, gap=self.peak_gap)
