"""Lesson 05, figure 2: max, onehot and argmax next to smooth max, softmax and soft argmax at τ.

For an editable vector x: the smooth max τ log Σ exp(xᵢ/τ) between max x and max x + τ log n,
softmax(x/τ) against onehot(argmax x), and, over τ from 10⁻³ to 10, the gap (tending to τ log m
for m tied maxima) and the soft argmax (tending to the mean index of the maximisers).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from theory_lib import smoothing as sm
from theory_lib._checks import as_float_tensor
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Text
from theory_lib.figures.language import Refused
from theory_lib.figures.style import set_limits, sparse_log_ticks

VECTOR_MAX = 1e6  # |x_i| beyond this: float64 no longer resolves the gap τ log n ≥ 1e-3 · log 2 next to max x


def parse_vector(text: str) -> torch.Tensor:
    """The figure's editable vector: 2 to 40 finite numbers in [-1e6, 1e6], separated by commas (float64)."""
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise Refused("vector must be numbers separated by commas, got {text}", text=repr(text)) from None
    if not 2 <= len(values) <= 40:
        raise Refused("vector needs 2 to {most} entries, got {n}", most=40, n=len(values))
    x = as_float_tensor("vector", torch.tensor(values, dtype=torch.float64))
    if x.abs().max().item() > VECTOR_MAX:
        limit = f"{VECTOR_MAX:g}"
        raise Refused("vector entries must lie in [-{limit}, {limit}], got {text}", limit=limit, text=repr(text))
    return x


TAU_GRID = np.logspace(-3, 1, 161)


@functools.lru_cache(maxsize=64)
def _tau_curves(text: str):
    """smooth max - max and the soft argmax over TAU_GRID for one vector (cached per vector).

    Both are evaluated for all tau at once through tau-homogeneity: smooth_max(x, tau) =
    tau * smooth_max(x / tau, 1), and softmax(x / tau) is softmax of the rows x / tau at 1.
    """
    x = parse_vector(text)
    tau = torch.from_numpy(TAU_GRID)[:, None]  # (T, 1)
    scaled = x[None, :] / tau  # (T, n)
    gaps = (tau[:, 0] * (sm.smooth_max(scaled, 1.0) - scaled.amax(-1))).numpy()
    soft = sm.smooth_argmax(scaled, 1.0).numpy()
    return gaps, soft


class SmoothMaxFigure(InteractiveFigure):
    """max vs smooth max with the bound, onehot vs softmax, argmax vs soft argmax, against tau."""

    controls = {
        "vector": Text(
            "2, 0.5, 3, 2.8, 1",
            ["3, 0, 3", "1e4, -1e4, 9999", "0, 0, 0, 0, 0, 0", ", ".join(str(i) for i in range(40))],
            label="vector x",
        ),
        "tau": LogSlider(1e-3, 10.0, 0.3, label="temperature τ", named=(0.001, 0.01, 0.03, 0.1, 1.0)),
    }
    figsize = (9.5, 6.6)

    def build(self):
        (ax_v, ax_p), (ax_g, ax_a) = self.fig.subplots(2, 2)
        self.ax_v, self.ax_p, self.ax_g, self.ax_a = ax_v, ax_p, ax_g, ax_a
        self.stems = LineCollection([], colors="0.6", linewidths=1.0)
        ax_v.add_collection(self.stems)
        (self.points,) = ax_v.plot([], [], "o", color="0.3", ms=5)
        (self.max_line,) = ax_v.plot([], [], color="k", lw=1.5, label=self.tr("max"))
        (self.smax_line,) = ax_v.plot([], [], color="C1", lw=2, label="τ log Σ exp(xᵢ/τ)")
        (self.bound_line,) = ax_v.plot([], [], "--", color="C3", lw=1.2, label=self.tr("max + τ log n"))
        self.off_text = ax_v.text(0.98, 0.96, "", transform=ax_v.transAxes, fontsize=8, ha="right", va="top")
        ax_v.set(xlabel=self.tr("index i"), ylabel="xᵢ", title=self.tr("max and smooth max"))
        # short tick labels whatever the vector (±1e6 reads "−1.0" with "×10⁶" above), and the y label
        # at a fixed place the layout reserves: the layout is fixed at the default vector
        ax_v.yaxis.set_major_formatter(ScalarFormatter(useMathText=True))
        ax_v.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        ax_v.yaxis.set_label_coords(-0.14, 0.5)
        ax_v.xaxis.set_major_locator(MaxNLocator(integer=True))  # indices, never 0.5
        ax_v.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

        self.bars = PolyCollection([], facecolors="C1", edgecolors="none", label="softmax(x/τ)")  # data units
        ax_p.add_collection(self.bars)
        self.onehot = LineCollection([], colors="k", linewidths=1.5, label="onehot(argmax x)")
        ax_p.add_collection(self.onehot)
        (self.argmax_mark,) = ax_p.plot([], [], "v", color="k", ms=9, label="argmax")
        (self.soft_mark,) = ax_p.plot([], [], "v", color="C3", ms=9, label="Σ i·softmaxᵢ")
        ax_p.set(ylim=(0, 1.25), xlabel=self.tr("index i"), title=self.tr("onehot vs softmax"))
        ax_p.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_p.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

        (self.gap_curve,) = ax_g.plot([], [], color="C1", lw=2, label=self.tr("smooth max − max"))
        (self.bound_curve,) = ax_g.plot([], [], "--", color="C3", lw=1.2, label=self.tr("bound τ log n"))
        (self.ties_curve,) = ax_g.plot([], [], ":", color="k", lw=1.2)  # labelled in place: only drawn with ties
        self.ties_text = ax_g.text(1.3e-3, 1e-3, "", fontsize=8, va="top")
        (self.gap_now,) = ax_g.plot([], [], "o", color="C1", ms=6)
        (self.tau_now_g,) = ax_g.plot([], [], color="0.5", lw=0.8)
        ax_g.set_xscale("log")
        ax_g.set_yscale("log")
        ax_g.set(xlim=(1e-3, 10), ylim=(1e-8, 1e3), xlabel="τ", title=self.tr("gap against τ"))
        sparse_log_ticks(ax_g.xaxis, [1e-3, 1e-2, 1e-1, 1, 10])
        sparse_log_ticks(ax_g.yaxis, [1e-8, 1e-5, 1e-2, 10])
        ax_g.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

        (self.soft_curve,) = ax_a.plot([], [], color="C3", lw=2, label="Σ i·softmax(x/τ)ᵢ")
        self.argmax_lines = LineCollection([], colors="k", linewidths=1.0, linestyles="--", label=self.tr("maximisers"))
        ax_a.add_collection(self.argmax_lines)
        (self.soft_now,) = ax_a.plot([], [], "o", color="C3", ms=6)
        (self.tau_now_a,) = ax_a.plot([], [], color="0.5", lw=0.8)
        ax_a.set_xscale("log")
        ax_a.set(xlim=(1e-3, 10), xlabel="τ", ylabel=self.tr("index"), title=self.tr("soft argmax against τ"))
        ax_a.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax_a.yaxis.set_label_coords(-0.09, 0.5)  # room for two-digit indices (n up to 40) at the fixed layout
        sparse_log_ticks(ax_a.xaxis, [1e-3, 1e-2, 1e-1, 1, 10])
        ax_a.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

    def draw(self, vector, tau):
        x = parse_vector(vector)
        n = x.shape[0]
        xn = x.numpy()
        i = np.arange(n)
        m = float(xn.max())
        smax = sm.smooth_max(x, tau).item()
        bound = sm.smooth_max_bound(n, tau)
        p = sm.smooth_onehot(x, tau).numpy()
        soft = sm.smooth_argmax(x, tau).item()
        winners = np.flatnonzero(xn == m)
        self.x, self.soft, self.winners = xn, soft, winners  # kept for the exercises

        # values, max, smooth max, bound; the y range depends on the vector only (tau moves blit)
        lo = float(xn.min())
        span = (m - lo) or max(abs(m), 1.0)
        bottom, top = lo - 0.1 * span, m + 0.6 * span
        set_limits(self.ax_v, (-0.6, n - 0.4), (bottom, top))
        self.stems.set_segments([[(j, bottom), (j, v)] for j, v in zip(i, xn, strict=True)])
        self.points.set_data(i, xn)
        self.max_line.set_data([-0.6, n - 0.4], [m, m])
        self.smax_line.set_data([-0.6, n - 0.4], [smax, smax])
        self.bound_line.set_data([-0.6, n - 0.4], [m + bound, m + bound])
        off = {
            (True, True): self.tr("smooth max and bound off scale ↑"),
            (True, False): self.tr("smooth max off scale ↑"),
            (False, True): self.tr("bound off scale ↑"),
        }
        self.off_text.set_text(off.get((smax > top, m + bound > top), ""))

        # softmax bars with the hard onehot (first maximiser, as torch.argmax picks it)
        set_limits(self.ax_p, xlim=(-0.6, n - 0.4))
        self.bars.set_verts(
            [[(j - 0.3, 0), (j - 0.3, v), (j + 0.3, v), (j + 0.3, 0)] for j, v in zip(i, p, strict=True)]
        )
        first = int(winners[0])
        self.onehot.set_segments([[(first, 0), (first, 1)]])
        self.argmax_mark.set_data(winners, np.full(len(winners), 1.15))
        self.soft_mark.set_data([soft], [1.15])

        # against tau (cached per vector): gap with its bound and the tie limit, soft argmax
        gaps, softs = _tau_curves(vector)
        self.gap_curve.set_data(TAU_GRID, np.maximum(gaps, 1e-9))
        self.bound_curve.set_data(TAU_GRID, np.maximum(TAU_GRID * math.log(n), 1e-9))
        ties = len(winners)
        if ties > 1:
            self.ties_curve.set_data(TAU_GRID, TAU_GRID * math.log(ties))
            self.ties_text.set_position((1.3e-3, 0.4e-3 * math.log(ties)))  # under its line
            self.ties_text.set_text(self.tr("τ log {ties} ({ties} tied maxima)").format(ties=ties))
        else:
            self.ties_curve.set_data([], [])
            self.ties_text.set_text("")
        self.gap_now.set_data([tau], [max(smax - m, 1e-9)])
        self.tau_now_g.set_data([tau, tau], [1e-8, 1e3])
        self.soft_curve.set_data(TAU_GRID, softs)
        self.argmax_lines.set_segments([[(1e-3, w), (10, w)] for w in winners])
        self.soft_now.set_data([tau], [soft])
        self.tau_now_a.set_data([tau, tau], [-0.5, n - 0.5])
        set_limits(self.ax_a, ylim=(-0.5, n - 0.5))

        where = ", ".join(str(w) for w in winners)
        self.readout = self.tr(
            "n = {n}, τ = {tau:.3g}: max = {m:.6g}, smooth max = {smax:.6g}, gap = <b>{gap:.3g}</b> "
            "≤ τ log n = {bound:.3g}. argmax = {{{where}}}, soft argmax = <b>{soft:.3f}</b>, "
            "largest softmax entry {top:.3f}."
        ).format(n=n, tau=tau, m=m, smax=smax, gap=smax - m, bound=bound, where=where, soft=soft, top=p.max()) + (
            self.tr(
                " With {ties} tied maxima the soft argmax tends to their mean index {mean:.3g}, "
                "and the gap to τ log {ties}."
            ).format(ties=ties, mean=winners.mean())
            if ties > 1
            else ""
        )
