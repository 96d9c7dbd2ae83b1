"""Lesson 09, the opening picture: the two orders of the attention product, drawn to scale.

Left: softmax attention must form Q Kᵀ, an n × n matrix (red), before it multiplies V. Middle:
without the softmax the product re-associates, Q (Kᵀ V), and the matrix in the middle is d × d
(blue), drawn in the same units: its side is d / n of the red one's. Right: the multiply-adds of each
step, from ``linear_attention.attention_cost`` (log scale). One control, n; d = 64 as in BERT base.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from theory_lib import linear_attention as la
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

D = 64  # BERT base's head size, the article's d
N_MIN, N_MAX = 16, 4096
MADDS_LIM = (1e4, 1e10)  # every n on the slider fits (tests)


def step_madds(n: int, d: int = D) -> np.ndarray:
    """Multiply-adds of the four steps: Q Kᵀ, (·) V, Kᵀ V, Q (·)."""
    c = la.attention_cost(n, d)
    half_soft, half_lin = (
        c["softmax_madds"] / 2,
        c["linear_madds"] / 2,
    )  # each order: two equal steps (n_k = n, d_v = d)
    return np.array([half_soft, half_soft, half_lin, half_lin], dtype=float)


class ProductOrderFigure(InteractiveFigure):
    """(QKᵀ)V against Q(KᵀV): the matrix each order stores, to scale, and the cost of each step."""

    controls = {"n": LogSlider(N_MIN, N_MAX, 128, integer=True, label="sequence length n", named=(64, 512, 4096))}
    figsize = (10.0, 3.9)

    def build(self):
        ax_s, ax_l, ax_c = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.25]})
        self.ax_s, self.ax_l, self.ax_c = ax_s, ax_l, ax_c
        for ax in (ax_s, ax_l):
            ax.set_aspect("equal")
            ax.set_axis_off()
            ax.set(xlim=(-0.05, 1.05), ylim=(-0.05, 1.05))
            ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, ls="--", lw=0.8, color="0.5"))
        ax_s.add_patch(Rectangle((0, 0), 1, 1, color="C3", alpha=0.75, lw=0))
        ax_s.set_title(self.tr("softmax: (Q Kᵀ) V stores Q Kᵀ, n × n\n(every query against every key)"), fontsize=9)
        self.small = Rectangle((0, 1 - 0.1), 0.1, 0.1, color="C0", lw=0)
        ax_l.add_patch(self.small)
        ax_l.set_title(
            self.tr("linear: Q (Kᵀ V) stores Kᵀ V, d × d\n(blue; dashed: n × n, as on the left)"), fontsize=9
        )
        steps = ["Q Kᵀ", "(Q Kᵀ) V", "Kᵀ V", "Q (Kᵀ V)"]
        self.bars = ax_c.bar(np.arange(4), np.ones(4), color=["C3", "C3", "C0", "C0"], width=0.6)
        ax_c.set_xticks(np.arange(4), steps, fontsize=8)
        ax_c.set(yscale="log", ylim=MADDS_LIM)
        ax_c.set_ylabel(self.tr("multiply-adds"), fontsize=9)
        ax_c.set_title(self.tr("cost of each step (d = {d})").format(d=D), fontsize=9)

    def draw(self, n):
        side = D / n
        self.small.set_bounds(0, 1 - min(side, 1), min(side, 1), min(side, 1))
        madds = step_madds(n)
        for bar, h in zip(self.bars, madds, strict=True):
            bar.set_height(h)
        self.madds = madds
        self.ratio = madds[:2].sum() / madds[2:].sum()
        c = la.attention_cost(n, D)
        self.memory_ratio = c["softmax_memory"] / c["linear_memory"]
        self.readout = self.tr(
            "n = {n}, d = {d}: softmax attention needs 2n²d = {soft:,.0f} multiply-adds, linear attention 2nd² = "
            "{lin:,.0f}, <b>{ratio:.3g} times</b> fewer (n/d). The two steps of each order cost the same: "
            "Kᵀ V and Q (Kᵀ V) are {step:,.0f} each. Stored: n² = {nn:,} numbers against d² = {dd:,} ({mem:.3g}×)."
        ).format(
            n=n,
            d=D,
            soft=madds[:2].sum(),
            lin=madds[2:].sum(),
            ratio=self.ratio,
            step=madds[2],
            nn=c["softmax_memory"],
            dd=c["linear_memory"],
            mem=self.memory_ratio,
        )
