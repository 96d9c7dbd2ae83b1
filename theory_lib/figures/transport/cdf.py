"""Lesson 16, EMD in one dimension: the LP value is the area between the two CDFs.

Three bins at 0, 1, 2 hold p (blue) and q (orange), each set by three sliders and renormalised. Left:
the two CDFs as steps, the gap |F_p − F_q| shaded; right: the LP's optimal plan as a 3 × 3 matrix.
The readout sets the LP value beside the shaded area.
"""

from __future__ import annotations

import numpy as np
import torch

from theory_lib import transport as tp
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider

BINS = np.arange(3.0)
COST = np.abs(BINS[:, None] - BINS[None])


def masses(a, b, c) -> np.ndarray:
    """(a, b, c) renormalised to sum 1; all zero counts as uniform."""
    w = np.array([a, b, c], dtype=float)
    return w / w.sum() if w.sum() > 0 else np.full(3, 1 / 3)


def _slider(value, label):
    return Slider(0.0, 1.0, value, step=0.05, label=label, named=(0.0, 1.0))


class CdfFigure(InteractiveFigure):
    """1-D EMD: the shaded CDF gap and the LP plan."""

    controls = {
        "p1": _slider(0.2, "p at 0"),
        "p2": _slider(0.5, "p at 1"),
        "p3": _slider(0.3, "p at 2"),
        "q1": _slider(0.6, "q at 0"),
        "q2": _slider(0.1, "q at 1"),
        "q3": _slider(0.3, "q at 2"),
    }
    figsize = (10.0, 4.0)

    def build(self):
        ax, mat = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1]})
        self.ax, self.mat = ax, mat
        (self.fp,) = ax.step([], [], where="post", color="C0", lw=2, label="F_p")
        (self.fq,) = ax.step([], [], where="post", color="C1", lw=2, label="F_q")
        self.gap = ax.fill_between([0, 1], [0, 0], [0, 0], color="0.5", alpha=0.35, step="post", label="|F_p − F_q|")
        ax.set(xlim=(-0.5, 2.5), ylim=(0, 1.08), xlabel=self.tr("position"), xticks=BINS)
        ax.set_title(self.tr("CDFs and the gap between them"), fontsize=10)
        ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
        self.image = mat.imshow(np.zeros((3, 3)), vmin=0, vmax=1, cmap="Blues")
        mat.set_xticks(range(3), ["q₀", "q₁", "q₂"])
        mat.set_yticks(range(3), ["p₀", "p₁", "p₂"])
        mat.set_title(self.tr("optimal plan γᵢⱼ"), fontsize=10)
        self.cells = [[mat.text(j, i, "", ha="center", va="center", fontsize=9) for j in range(3)] for i in range(3)]

    def draw(self, p1, p2, p3, q1, q2, q3):
        p, q = masses(p1, p2, p3), masses(q1, q2, q3)
        edges = np.array([-0.5, 0, 1, 2, 2.5])
        fp, fq = np.r_[0, np.cumsum(p), 1], np.r_[0, np.cumsum(q), 1]
        self.fp.set_data(edges, fp)
        self.fq.set_data(edges, fq)
        lo, hi = np.minimum(fp, fq), np.maximum(fp, fq)
        verts = [(edges[0], lo[0])]
        for k in range(len(edges) - 1):
            verts += [(edges[k], lo[k]), (edges[k + 1], lo[k])]
        for k in range(len(edges) - 1, 0, -1):
            verts += [(edges[k], hi[k - 1]), (edges[k - 1], hi[k - 1])]
        self.gap.set_paths([np.array(verts)])
        plan = tp.emd_plan(torch.from_numpy(p), torch.from_numpy(q), torch.from_numpy(COST)).numpy()
        self.image.set_data(plan)
        for i in range(3):
            for j in range(3):
                self.cells[i][j].set_text(f"{plan[i, j]:.2f}")
                self.cells[i][j].set_color("white" if plan[i, j] > 0.5 else "black")
        self.lp = float((plan * COST).sum())
        self.area = tp.emd_1d(p, q)
        self.p, self.q = p, q
        self.readout = self.tr(
            "p = ({p0:.3f}, {p1:.3f}, {p2:.3f}), q = ({q0:.3f}, {q1:.3f}, {q2:.3f}): LP value {lp:.6f}, area "
            "between the CDFs {area:.6f}."
        ).format(p0=p[0], p1=p[1], p2=p[2], q0=q[0], q1=q[1], q2=q[2], lp=self.lp, area=self.area)
