"""Lesson 09, the cost crossover: multiply-adds and memory of each form against n, for a chosen d.

Left: 2n²d (softmax) and 2nd² (linear) multiply-adds, crossing at n = d. Right: the numbers each form
stores: n² (softmax's weight matrix), n d² (the causal cumsum tensor) and d² (the RNN's state S),
the first two crossing at n = d². All from ``linear_attention.attention_cost``.
"""

from __future__ import annotations

import numpy as np

from theory_lib import linear_attention as la
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider
from theory_lib.figures.style import PlainLogFormatter

N_LIM = (16, 16384)
FLOP_LIM = (1e3, 1e12)
MEM_LIM = (1e2, 1e10)
GRID = np.unique(np.round(np.logspace(np.log10(N_LIM[0]), np.log10(N_LIM[1]), 160)).astype(int))


def costs(d: int, n=GRID) -> dict:
    """attention_cost over an array of n (numpy, float)."""
    rows = [la.attention_cost(int(m), d) for m in np.atleast_1d(n)]
    return {key: np.array([r[key] for r in rows], dtype=float) for key in rows[0]}


class CostFigure(InteractiveFigure):
    """Where linear attention pays: multiply-adds cross at n = d, the cumsum tensor's memory at n = d²."""

    controls = {
        "n": LogSlider(*N_LIM, 512, integer=True, label="sequence length n", named=(64, 512, 4096, 16384)),
        "d": LogSlider(16, 256, 64, integer=True, label="head size d", named=(16, 64, 128, 256)),
    }
    figsize = (10.0, 4.2)

    def build(self):
        ax_f, ax_m = self.fig.subplots(1, 2)
        self.ax_f, self.ax_m = ax_f, ax_m
        (self.soft_f,) = ax_f.plot([], [], color="C3", lw=2, label=self.tr("softmax: 2n²d"))
        (self.lin_f,) = ax_f.plot([], [], color="C0", lw=2, label=self.tr("linear: 2nd²"))
        self.cross_f = ax_f.axvline(64, color="0.5", ls=":", lw=1)
        (self.dots_f,) = ax_f.plot([], [], "o", color="k", ms=5)
        (self.soft_m,) = ax_m.plot([], [], color="C3", lw=2, label=self.tr("softmax: n² weights"))
        (self.cum_m,) = ax_m.plot([], [], color="C2", lw=2, label=self.tr("causal cumsum: n·d² numbers"))
        (self.rnn_m,) = ax_m.plot([], [], color="C0", lw=2, ls="--", label=self.tr("RNN state S: d²"))
        self.cross_m = ax_m.axvline(4096, color="0.5", ls=":", lw=1)
        (self.dots_m,) = ax_m.plot([], [], "o", color="k", ms=5)
        for ax, ylim, title in (
            (ax_f, FLOP_LIM, self.tr("multiply-adds (dotted: n = d)")),
            (ax_m, MEM_LIM, self.tr("numbers stored (dotted: n = d²)")),
        ):
            ax.set(xscale="log", yscale="log", xlim=N_LIM, ylim=ylim, xlabel=self.tr("sequence length n"))
            ax.xaxis.set_major_formatter(PlainLogFormatter())
            ax.set_title(title, fontsize=9)
            ax.legend(loc="upper left", fontsize=8, frameon=False)

    def draw(self, n, d):
        c = costs(d)
        self.soft_f.set_data(GRID, c["softmax_madds"])
        self.lin_f.set_data(GRID, c["linear_madds"])
        self.soft_m.set_data(GRID, c["softmax_memory"])
        self.cum_m.set_data(GRID, c["cumsum_memory"])
        self.rnn_m.set_data(GRID, c["linear_memory"])
        self.cross_f.set_xdata([d, d])
        self.cross_m.set_xdata([d * d, d * d])
        here = la.attention_cost(n, d)
        self.here = here
        self.dots_f.set_data([n, n], [here["softmax_madds"], here["linear_madds"]])
        self.dots_m.set_data([n, n], [here["softmax_memory"], here["cumsum_memory"]])
        self.flop_ratio = here["softmax_madds"] / here["linear_madds"]
        self.memory_ratio = here["cumsum_memory"] / here["softmax_memory"]
        cheaper = self.tr("linear is cheaper") if self.flop_ratio > 1 else self.tr("softmax is not dearer")
        smaller = (
            self.tr("the cumsum tensor is larger than the n × n matrix")
            if self.memory_ratio > 1
            else self.tr("the cumsum tensor is no larger than the n × n matrix")
        )
        self.readout = self.tr(
            "n = {n:,}, d = {d}: multiply-adds 2n²d = {soft:.3g} against 2nd² = {lin:.3g}, ratio n/d = "
            "<b>{ratio:.3g}</b> ({cheaper}). Memory of the causal forms: cumsum n·d² = {cum:.3g} numbers against n² = "
            "{nn:.3g}, ratio d²/n = <b>{mem:.3g}</b> ({smaller}); the RNN carries only d² = {dd:,}."
        ).format(
            n=n,
            d=d,
            soft=here["softmax_madds"],
            lin=here["linear_madds"],
            ratio=self.flop_ratio,
            cheaper=cheaper,
            cum=here["cumsum_memory"],
            nn=here["softmax_memory"],
            mem=self.memory_ratio,
            smaller=smaller,
            dd=here["linear_memory"],
        )
