"""Lesson 06, the opening picture: the least-squares valley of raw inputs next to the one after centering.

f(w) = E[(wᵀx − y)²]/2 on the 2-D toy x = (μ, μ) + z: its level sets are ellipses of the Hessian
E[xxᵀ], drawn around each minimum at the same levels and the same scale in both panels. With a
mean μ the raw valley is long and thin (E[xxᵀ] = Σ + μμᵀ has one large eigenvalue); centering
subtracts μμᵀ and the valley is round. One control, μ.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from matplotlib.collections import LineCollection

from theory_lib import batchnorm as bnm
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.batchnorm.landscapes import ellipses, regression_data
from theory_lib.figures.controls import Slider

LEVELS = 0.02 * 4.0 ** np.arange(5)  # f − f* on each ellipse, a factor 4 apart, the same in both panels
HALF = 2.0  # half-width of each panel around its minimum


@functools.lru_cache(maxsize=64)
def valley(mean: float, mode):
    """(the minimum w*, the Hessian E[xxᵀ], L = λ_max, κ = λ_max/λ_min) of the toy at this mean."""
    x, y = regression_data(mean, 1.0)
    x, y = bnm.normalize_inputs(x, y, mode)
    M = bnm.second_moment(x)
    w = torch.linalg.solve(M, x.T @ y / len(y))
    lam = torch.linalg.eigvalsh(M)
    return w.numpy(), M.numpy(), lam[-1].item(), (lam[-1] / lam[0]).item()


class ValleyFigure(InteractiveFigure):
    """The loss contours for raw and centered inputs, at the same levels and scale: μ on one slider."""

    controls = {"mean": Slider(0.0, 4.0, 2.0, step=0.5, label="input mean μ", named=(0.0, 2.0, 4.0))}
    figsize = (8.0, 4.2)

    def build(self):
        self.axes = self.fig.subplots(1, 2)
        self.contours, self.labels = [], []
        shades = [f"{0.15 + 0.15 * i:.2f}" for i in range(len(LEVELS))]  # inner ellipses darker
        titles = (self.tr("raw x: E[xxᵀ] = Σ + μμᵀ"), self.tr("centered x − μ: E[xxᵀ] = Σ"))
        for ax, title in zip(self.axes, titles, strict=True):
            contours = LineCollection([], colors=shades, linewidths=1.2)  # one artist: a move draws few
            ax.add_collection(contours)
            self.contours.append(contours)
            ax.plot([0.0], [0.0], "+", color="C3", ms=12, mew=2)  # the minimum, static
            self.labels.append(ax.text(0.03, 0.97, "", transform=ax.transAxes, va="top", fontsize=9))
            ax.set(xlim=(-HALF, HALF), ylim=(-HALF, HALF), aspect="equal", title=title)
            ax.set(xlabel="$w_1 - w_1^*$", ylabel="$w_2 - w_2^*$")

    def draw(self, mean):
        self.L, self.kappa = [], []
        for contours, label, mode in zip(self.contours, self.labels, (None, "center"), strict=True):
            _, M, L, kappa = valley(mean, mode)
            contours.set_segments(ellipses(np.zeros(2), M, LEVELS))
            label.set_text(f"L = λ_max = {L:.3g}\nκ = λ_max/λ_min = {kappa:.3g}")
            self.L.append(L)
            self.kappa.append(kappa)
        self.readout = self.tr(
            "μ = {mean:g}: raw L = <b>{L_raw:.3g}</b>, κ = {k_raw:.3g}; centered L = "
            "<b>{L_c:.3g}</b>, κ = {k_c:.3g}. Contours at f − f* = "
            "{levels}: a long axis is a direction gradient descent crawls along."
        ).format(
            mean=mean,
            L_raw=self.L[0],
            k_raw=self.kappa[0],
            L_c=self.L[1],
            k_c=self.kappa[1],
            levels=", ".join(f"{c:g}" for c in LEVELS),
        )
