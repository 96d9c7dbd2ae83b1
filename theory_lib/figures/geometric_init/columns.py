"""Lesson 03, the opening picture: the columns of a random n x n matrix turning orthonormal as n grows.

W has i.i.d. N(0, 1/n) entries. Each pair of columns (w_j, w_k) spans a plane; drawn in its own plane
with w_j along the horizontal axis, w_k ends at (w_k·w_j / |w_j|, the rest of |w_k|). For orthonormal
columns every tip sits at (0, 1). Beside it, W^T W itself: the identity when the columns are orthonormal.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize

from theory_lib import angles as ag
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

PAIRS = 120  # column pairs drawn, from as few matrices as hold them
N_MAX = 512
SCALE = ScalarMappable(norm=Normalize(-1, 1), cmap="RdBu_r")  # the heat map's colours, fixed


@functools.lru_cache(maxsize=64)
def column_pairs(n: int):
    """W^T W of the first matrix, coloured (n, n, 4) uint8, and its mean((W^T W - I)^2); and for PAIRS
    disjoint pairs of columns (j, k) = (2i, 2i + 1), over as many N(0, 1/n) matrices as it takes (seed 0;
    no column is drawn twice): the tip of w_k in the plane of the pair, w_j along x, (PAIRS, 2), and |w_j|."""
    count = math.ceil(PAIRS / (n // 2))
    g = torch.Generator().manual_seed(0)
    w = torch.randn(count, n, n, generator=g, dtype=torch.float64) / math.sqrt(n)  # (count, n, n)
    gram = (w.transpose(1, 2) @ w).numpy()  # (count, n, n)
    j = np.arange(0, n - 1, 2)
    k = j + 1
    dots, jj, kk = gram[:, j, k].ravel()[:PAIRS], gram[:, j, j].ravel()[:PAIRS], gram[:, k, k].ravel()[:PAIRS]
    a = np.sqrt(jj)  # |w_j|
    x = dots / a  # w_k along w_j
    y = np.sqrt(np.maximum(kk - x * x, 0.0))  # the rest of w_k, perpendicular to w_j
    return SCALE.to_rgba(gram[0], bytes=True), float(np.mean((gram[0] - np.eye(n)) ** 2)), np.c_[x, y], a


class OrthogonalColumnsFigure(InteractiveFigure):
    """The opening picture: pairs of columns of W in their own planes, and W^T W, n on one slider."""

    controls = {"n": LogSlider(2, N_MAX, 4, integer=True, label="width n", named=(4, 16, 256))}
    figsize = (10.0, 4.6)

    def build(self):
        ax, ax_g = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        self.ax, self.ax_g = ax, ax_g
        tr = self.tr
        t = np.linspace(0, np.pi, 121)
        ax.plot(np.cos(t), np.sin(t), ":", color="0.4", lw=1, label=tr("length 1"))
        ax.plot([0, 1], [0, 0], color="k", lw=1.5)  # w_j, direction only (a text arrow would cost each move)
        self.rays = LineCollection([], colors="C0", linewidths=0.6, alpha=0.35)
        ax.add_collection(self.rays)
        (self.tips,) = ax.plot([], [], "o", color="C0", ms=3, label=tr("$w_k$, in the plane of $(w_j, w_k)$"))
        (self.bases,) = ax.plot([], [], "|", color="k", ms=8, label=tr("$|w_j|$ (along the axis)"))
        ax.plot([0], [1], "*", color="C3", ms=14, zorder=5, label=tr("orthonormal: (0, 1)"))
        ax.set(xlim=(-2.0, 2.0), ylim=(-0.1, 2.0), xlabel=tr("along $w_j$"), ylabel=tr("perpendicular to $w_j$"))
        ax.set_aspect("equal")
        ax.set_title(tr("{pairs} pairs of columns of W, entries N(0, 1/n)").format(pairs=PAIRS), fontsize=10)
        ax.legend(loc="upper left", fontsize=8, frameon=False)

        self.image = ax_g.imshow(np.zeros((2, 2, 4), dtype=np.uint8), extent=(0, 1, 1, 0), interpolation="nearest")
        ax_g.set(xticks=[], yticks=[])
        ax_g.set_title(tr(r"$W^\top W$ (colour range $\pm 1$)"), fontsize=10)
        self.fig.colorbar(SCALE, ax=ax_g, fraction=0.046, pad=0.03, ticks=[-1, 0, 1])

    def draw(self, n):
        rgba, self.error, tips, a = column_pairs(n)
        self.rays.set_segments([np.array([[0.0, 0.0], tip]) for tip in tips])
        self.tips.set_data(tips[:, 0], tips[:, 1])
        self.bases.set_data(a, np.zeros_like(a))
        self.image.set_data(rgba)
        self.angles_deg = np.degrees(np.arctan2(tips[:, 1], tips[:, 0]))  # the angle between w_j and w_k
        self.angle_sd = float(np.sqrt(np.mean((self.angles_deg - 90) ** 2)))
        self.angle_sd_theory = math.degrees(math.sqrt(ag.angle_variance(n)))
        self.error_expected = (n + 1) / n**2  # (kappa + n - 2) / n^2 with kappa = 3 (step 3)
        self.readout = self.tr(
            "n = {n}: the angles between paired columns are {sd:.1f}° from 90° (root mean square; "
            "lesson 02: {sd_theory:.1f}°), their lengths {length:.3f} on average. "
            "mean((WᵀW − I)²) = <b>{error:.4g}</b>, expected (n + 1)/n² = {expected:.4g}."
        ).format(
            n=n,
            sd=self.angle_sd,
            sd_theory=self.angle_sd_theory,
            length=a.mean(),
            error=self.error,
            expected=self.error_expected,
        )
