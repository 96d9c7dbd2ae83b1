"""Lesson 09, the RNN stepper: causal linear attention one token at a time.

n = 10 tokens, d = d_v = 3, elu + 1 features, seed 1. Left: the causal weight matrix (the masked
quadratic form); row i outlined. Middle: the RNN's state after token i, S_i = Σ_{j≤i} φ(k_j) v_jᵀ
(d × d_v) and z_i = Σ_{j≤i} φ(k_j) (the last column), from ``linear_attention.causal_states``.
Right: output row i three ways: the RNN (bars), the cumsum form (dots) and row i of the masked form
times V (crosses).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from matplotlib.patches import Rectangle

from theory_lib import linear_attention as la
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider

N, D = 10, 3


@functools.lru_cache(maxsize=1)
def rnn_data():
    """q, k, v, the causal weights, S, z and the outputs of the three routes (numpy), computed once."""
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(N, D, generator=g, dtype=torch.float64) for _ in range(3))
    weights = la.attention_weights(q, k, "elu+1", causal=True)
    s, z = la.causal_states(k, v)
    out = {
        "rnn": la.causal_linear_attention(q, k, v, mode="rnn"),
        "cumsum": la.causal_linear_attention(q, k, v, mode="cumsum"),
        "masked": weights @ v,
    }
    return {
        "q": q.numpy(),
        "k": k.numpy(),
        "v": v.numpy(),
        "weights": weights.numpy(),
        "S": s.numpy(),
        "z": z.numpy(),
        **{name: o.numpy() for name, o in out.items()},
    }


class RnnStepperFigure(InteractiveFigure):
    """S_i and z_i accumulating, and output row i equal by three routes."""

    controls = {"i": Slider(1, N, 4, integer=True, label="token i", named=(1, 4, N))}
    figsize = (10.5, 3.9)

    def build(self):
        data = rnn_data()
        ax_w, ax_s, ax_o = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.2]})
        self.ax_w, self.ax_s, self.ax_o = ax_w, ax_s, ax_o
        ax_w.imshow(data["weights"], cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ticks = np.arange(N)
        ax_w.set(xticks=ticks, yticks=ticks, xticklabels=ticks + 1, yticklabels=ticks + 1)
        ax_w.tick_params(labelsize=7)
        ax_w.set(xlabel="key j", ylabel="query i")
        ax_w.set_title(self.tr("masked weights (j ≤ i)"), fontsize=9)
        self.row_box = Rectangle((-0.5, -0.5), N, 1, fill=False, ec="C3", lw=2)
        ax_w.add_patch(self.row_box)
        state = np.zeros((D, D + 1))
        top = max(np.abs(data["S"]).max(), np.abs(data["z"]).max())
        self.state_lim = float(top)
        self.im_s = ax_s.imshow(state, cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
        ax_s.axvline(D - 0.5, color="k", lw=1.5)
        ax_s.set_xticks(np.arange(D + 1), [f"v{c + 1}" for c in range(D)] + ["z"], fontsize=8)
        ax_s.set_yticks(np.arange(D), [f"φ{a + 1}" for a in range(D)], fontsize=8)
        self.fig.colorbar(self.im_s, ax=ax_s, shrink=0.8, pad=0.03)
        ax_s.set_title(self.tr("the state after token i: S_i | z_i"), fontsize=9)
        x = np.arange(D)
        self.bars = ax_o.bar(x, np.zeros(D), width=0.55, color="C0", alpha=0.7, label="RNN")
        (self.cum,) = ax_o.plot(x, np.zeros(D), "o", color="C1", ms=13, mfc="none", mew=2, label="cumsum")
        (self.masked,) = ax_o.plot(x, np.zeros(D), "x", color="k", ms=9, mew=2, label=self.tr("masked form"))
        lim = 1.1 * max(np.abs(data[m]).max() for m in ("rnn", "cumsum", "masked"))
        ax_o.axhline(0, color="0.5", lw=0.8)
        ax_o.set(xticks=x, ylim=(-lim, 1.45 * lim))
        ax_o.set_xticklabels([self.tr("out{c}").format(c=c + 1) for c in range(D)], fontsize=8)
        ax_o.set_title(self.tr("output row i, three ways"), fontsize=9)
        ax_o.legend(loc="upper center", fontsize=8, frameon=False, ncol=3)

    def draw(self, i):
        data = rnn_data()
        r = i - 1
        self.row_box.set_y(r - 0.5)
        state = np.c_[data["S"][r], data["z"][r]]
        self.im_s.set_data(state)
        rnn, cum, masked = data["rnn"][r], data["cumsum"][r], data["masked"][r]
        for bar, h in zip(self.bars, rnn, strict=True):
            bar.set_height(h)
        self.cum.set_ydata(cum)
        self.masked.set_ydata(masked)
        self.out = rnn
        self.gap = float(max(np.abs(rnn - masked).max(), np.abs(cum - masked).max()))
        self.current_state = state
        self.readout = self.tr(
            "i = {i}: the RNN has added φ(k_j) v_jᵀ for j = 1 … {i} into S "
            "(a {d} × {d} state, the same size at every i); z_i = [{z}]. "
            "Output row {i} = φ(q_i)ᵀS_i / φ(q_i)ᵀz_i = [{row}]. Largest gap to the masked form: "
            "{gap:.1e} (RNN and cumsum)."
        ).format(
            i=i,
            d=D,
            z=", ".join(f"{x:.3f}" for x in state[:, -1]),
            row=", ".join(f"{x:.4f}" for x in rnn),
            gap=self.gap,
        )
