"""Lesson 03, a figure beside step 2: ||Wx||^2/||x||^2 for typical x against its range over every x.

For a fixed x and W (m x n, N(0, 1/m)), r = ||Wx||^2/||x||^2 ~ chi^2_m / m (``norm_ratio_log_pdf``): a
typical x keeps its length within sqrt(2/m). Over every x, r sweeps the eigenvalues of W^T W, whose
edges are (1 -+ sqrt(n/m))^2 (``marchenko_pastur_edges``): for a square W, from near 0 to near 4.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import geometric_init as gi
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider
from theory_lib.figures.style import nice_ceil

N = 64  # columns of W
MATRICES, INPUTS = 20, 100  # typical x: 100 random inputs through each of 20 matrices
R_MAX = 4.2  # the square matrix's upper edge is 4


@functools.lru_cache(maxsize=64)
def ratios(rows_per_column: float) -> tuple[np.ndarray, np.ndarray]:
    """r = ||Wx||^2/||x||^2 for MATRICES x INPUTS random (W, x), and the eigenvalues of the first W^T W (seed 0)."""
    m = round(rows_per_column * N)
    g = torch.Generator().manual_seed(0)
    w = torch.randn(MATRICES, m, N, generator=g, dtype=torch.float64) / math.sqrt(m)
    x = torch.randn(MATRICES, N, INPUTS, generator=g, dtype=torch.float64)
    r = (w @ x).pow(2).sum(1) / x.pow(2).sum(1)  # (MATRICES, INPUTS)
    return r.numpy().ravel(), torch.linalg.eigvalsh(w[0].T @ w[0]).numpy()


class NormRatioFigure(InteractiveFigure):
    """Step 2: the histogram of r for typical x with its density chi^2_m/m, and the eigenvalues of W^T W
    (every x) with the Marchenko-Pastur edges; m/n on the slider."""

    controls = {"rows": LogSlider(1.0, 16.0, 1.0, label="rows per column m/n", named=(1.0, 4.0, 16.0))}
    figsize = (7.2, 3.6)

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.edges = np.linspace(0.0, R_MAX, 169)  # bins of 0.025: the s.d. at m/n = 16 is 0.044
        self.grid = np.linspace(1e-4, R_MAX, 600)
        tr = self.tr
        (self.hist,) = ax.plot([], [], color="C0", lw=1.2, label=tr("typical x: histogram of r"))
        (self.pdf,) = ax.plot([], [], "--", color="C3", lw=1.5, label=tr("its law χ²ₘ/m"))
        (self.eigs,) = ax.plot([], [], "|", color="k", ms=14, mew=1.0, label=tr("every x: eigenvalues of WᵀW"))
        self.lo = ax.axvline(0, color="k", ls=":", lw=1.2, label=tr("Marchenko–Pastur edges"))
        self.hi = ax.axvline(0, color="k", ls=":", lw=1.2)
        ax.set(xlim=(0, R_MAX), xlabel=tr("r = ‖Wx‖² / ‖x‖²"), ylabel=tr("density"))
        ax.set_title(tr("n = {n} columns: length kept for a typical x, not for every x").format(n=N), fontsize=10)
        ax.legend(loc="upper right", fontsize=8, frameon=False)

    def draw(self, rows):
        m = round(rows * N)
        r, eig = ratios(rows)
        counts, _ = np.histogram(r, bins=self.edges, density=True)
        self.hist.set_data(np.repeat(self.edges, 2)[1:-1], np.repeat(counts, 2))
        pdf = np.exp(gi.norm_ratio_log_pdf(torch.from_numpy(self.grid), m).numpy())
        self.pdf.set_data(self.grid, pdf)
        top = nice_ceil(1.15 * max(pdf.max(), counts.max()), (1, 1.5, 2, 3, 5, 7))
        self.ax.set_ylim(0, top)
        self.eigs.set_data(eig, np.full_like(eig, 0.04 * top))
        lo, hi = gi.marchenko_pastur_edges(N, m)
        self.lo.set_xdata([lo, lo])
        self.hi.set_xdata([hi, hi])
        self.spread, self.eig_range, self.mp = float(r.std()), (float(eig.min()), float(eig.max())), (lo, hi)
        self.readout = self.tr(
            "m/n = {rows:g} (m = {m}): a typical x keeps r within s.d. {sd:.3f} of 1 (theory √(2/m) = {th:.3f}); "
            "over every x, r runs over the eigenvalues of WᵀW, here {e0:.3f} to {e1:.3f} "
            "(Marchenko–Pastur edges {lo:.3f} to {hi:.3f})."
        ).format(rows=rows, m=m, sd=self.spread, th=math.sqrt(2 / m), e0=eig.min(), e1=eig.max(), lo=lo, hi=hi)
