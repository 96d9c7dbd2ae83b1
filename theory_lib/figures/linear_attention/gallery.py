"""Lesson 09, the attention-map gallery: the n × n weights of each similarity beside softmax's.

n = 16 tokens, d = 16, q and k rows drawn once (seed 0) with entries N(0, 1/sqrt d), so that q·k has
variance 1; the scale c multiplies both q and k (the logits by c²). Left: softmax(c² QKᵀ). Middle:
the chosen similarity's weights (``linear_attention.attention_weights``). Right: each row's entropy
(``row_entropy``) for both, against log n (a flat row). The similarities that use cosines (1 + cos,
exp(cos)) do not see c.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import linear_attention as la
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, Slider

N, D = 16, 16
SIMS = {
    "elu+1": "elu+1",
    "relu": "relu",
    "1 + cos": "1+cos",
    "exp(cos)": "exp-cos",
    "softmax₂·softmax₁": "double-softmax",
}
VMAX = 0.5  # colour scale of the weight maps (weights above are drawn saturated)


@functools.lru_cache(maxsize=1)
def _qk():
    g = torch.Generator().manual_seed(0)
    q = torch.randn(N, D, generator=g, dtype=torch.float64) / D**0.25
    k = torch.randn(N, D, generator=g, dtype=torch.float64) / D**0.25
    return q, k


C_GRID = np.round(np.arange(1, 51) * 0.1, 1)  # the slider's values, 0.1 .. 5.0


@functools.lru_cache(maxsize=len(SIMS) + 1)
def _maps(sim: str):
    """Weights and row entropies of one similarity at every c of the slider, in one batched call each."""
    q, k = _qk()
    c = torch.as_tensor(C_GRID, dtype=torch.float64)[:, None, None]  # (50, 1, 1)
    with one_cpu_thread():  # small tensors: a second thread only adds wake-ups (_checks.one_cpu_thread)
        w = la.attention_weights(c * q, c * k, sim)  # (50, N, N)
        return w.numpy(), la.row_entropy(w).numpy()


def gallery_data(c: float, similarity: str):
    """(softmax weights, the similarity's weights, their row entropies) at scale c (a slider value), numpy."""
    i = int(np.argmin(np.abs(C_GRID - c)))
    if abs(C_GRID[i] - c) > 1e-9:  # off the slider's grid (set from code): computed on demand
        q, k = _qk()
        with one_cpu_thread():
            soft, other = (la.attention_weights(c * q, c * k, s) for s in ("exp", SIMS[similarity]))
            return soft.numpy(), other.numpy(), la.row_entropy(soft).numpy(), la.row_entropy(other).numpy()
    soft, h_soft = _maps("exp")
    other, h_other = _maps(SIMS[similarity])
    return soft[i], other[i], h_soft[i], h_other[i]


class AttentionMapFigure(InteractiveFigure):
    """softmax(QKᵀ) against a linear similarity's weights, and the row entropies of both."""

    controls = {
        "c": Slider(0.1, 5.0, 1.0, step=0.1, label="scale c of q and k", named=(0.5, 1.0, 3.0, 5.0)),
        "similarity": Choice(list(SIMS), "elu+1", label="similarity"),
    }
    figsize = (10.5, 3.9)

    def build(self):
        ax_s, ax_o, ax_h = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.15]})
        self.ax_s, self.ax_o, self.ax_h = ax_s, ax_o, ax_h
        self.fig.get_layout_engine().set(wspace=0.07)  # room between the colour bar's label and the entropy axis
        blank = np.zeros((N, N))
        self.im_s = ax_s.imshow(blank, cmap="viridis", vmin=0, vmax=VMAX, interpolation="nearest")
        self.im_o = ax_o.imshow(blank, cmap="viridis", vmin=0, vmax=VMAX, interpolation="nearest")
        for ax in (ax_s, ax_o):
            ax.set(xticks=[], yticks=[], xlabel="key j", ylabel="query i")
        ax_s.set_title("softmax(c² QKᵀ)", fontsize=9)
        ax_o.set_title(self.tr("the chosen similarity's weights"), fontsize=9)
        self.name_o = ax_o.text(0.03, 0.97, "", transform=ax_o.transAxes, ha="left", va="top", fontsize=9, color="w")
        self.fig.colorbar(self.im_o, ax=[ax_s, ax_o], shrink=0.8, pad=0.02, label=self.tr("weight (top: ≥ 0.5)"))
        rows = np.arange(1, N + 1)
        ax_h.axhline(math.log(N), color="0.4", ls=":", lw=1, label=self.tr("log n: a flat row"))
        (self.h_s,) = ax_h.plot(rows, np.zeros(N), "o-", color="C3", ms=3, lw=1.2, label=self.tr("softmax"))
        (self.h_o,) = ax_h.plot(
            rows, np.zeros(N), "s-", color="C0", ms=3, lw=1.2, label=self.tr("the chosen similarity")
        )
        ax_h.set(xlim=(0.5, N + 0.5), ylim=(0, 3.6), xlabel="query i")
        ax_h.set_ylabel(self.tr("row entropy (nats)"), fontsize=9)
        ax_h.set_title(self.tr("how flat each row is"), fontsize=9)
        self.legend = ax_h.legend(loc="upper center", fontsize=7.5, frameon=False, ncol=2)

    def draw(self, c, similarity):
        soft, other, h_s, h_o = gallery_data(c, similarity)
        self.im_s.set_data(soft)
        self.im_o.set_data(other)
        self.name_o.set_text(similarity)
        self.h_s.set_ydata(h_s)
        self.h_o.set_ydata(h_o)
        self.soft, self.other = soft, other
        self.entropy_soft, self.entropy_other = float(h_s.mean()), float(h_o.mean())
        self.max_gap = float(np.abs(soft - other).max())
        self.readout = self.tr(
            "c = {c:.1f}: mean row entropy of softmax <b>{hs:.3f}</b> nats, of {sim} <b>{ho:.3f}</b> "
            "(a flat row: log n = {flat:.3f}). Largest weight in a row: softmax {ms:.3f}, {sim} {mo:.3f}. "
            "Largest gap between the two maps: {gap:.3f}."
        ).format(
            c=c,
            hs=self.entropy_soft,
            ho=self.entropy_other,
            sim=similarity,
            flat=math.log(N),
            ms=soft.max(),
            mo=other.max(),
            gap=self.max_gap,
        )
