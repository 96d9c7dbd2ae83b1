"""Lesson 16, "push the dirt": two sentences of word vectors in the plane and the optimal plan between them.

Sentence A (three words, blue) is fixed; sentence B (four words, orange) turns about the origin by φ.
Each segment joins a word of A to a word of B; its width is the mass γ_ij the optimal plan moves
along it. Dots are sized by the word's mass (uniform for WMD, the norm for WRD). The bars give the
four numbers live: WMD, WCD ≤ WMD, WRD and Su's bound ≤ WRD. ``PushDirtFigure`` adds the norm s of
word A₁ and the cost (Euclidean WMD, the article's RMS code, WRD's cosine); ``OpeningFigure`` has φ only.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection

from theory_lib import transport as tp
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

A = np.array([[1.0, 0.2], [0.3, 1.1], [-0.6, 0.8]])
B = np.array([[1.2, 0.6], [0.9, -0.4], [-0.2, 1.3], [0.5, 0.5]])
COSTS = ("euclidean", "rms", "cosine")
PHI_NAMED = (0.0, 90.0, 180.0)
NORM_NAMED = (0.2, 1.0, 2.0)


def sentences(phi: float, norm: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A with word 1 scaled to norm × its own, and B turned by φ degrees (float64)."""
    x = A.copy()
    x[0] *= norm
    c, s = math.cos(math.radians(phi)), math.sin(math.radians(phi))
    y = B @ np.array([[c, s], [-s, c]])
    return torch.from_numpy(x), torch.from_numpy(y)


@functools.lru_cache(maxsize=1024)
def numbers(phi: float, norm: float, cost: str) -> dict:
    """The four distances and the plan of the chosen cost (WMD's for "euclidean" and "rms", WRD's for "cosine")."""
    x, y = sentences(phi, norm)
    r = tp.sentence_distances(x, y, cost="euclidean" if cost == "cosine" else cost)
    plan = r["wrd_plan"] if cost == "cosine" else r["wmd_plan"]
    return {**r, "x": x.numpy(), "y": y.numpy(), "plan": plan.numpy()}


class PushDirtFigure(InteractiveFigure):
    """The plan between two planar sentences; rotation of B, word A₁'s norm, the cost."""

    controls = {
        "phi": Slider(-180.0, 180.0, 0.0, step=5.0, label="rotation φ of B (degrees)", named=PHI_NAMED),
        "norm": LogSlider(0.1, 3.0, 1.0, label="norm factor s of word A₁", named=NORM_NAMED),
        "cost": Choice(list(COSTS), "euclidean", label="cost"),
    }
    figsize = (10.0, 4.6)

    def build(self):
        ax, bars = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        self.ax, self.bar_ax = ax, bars
        ax.set_aspect("equal")
        ax.set(xlim=(-3.2, 3.2), ylim=(-2.0, 2.4))
        ax.axhline(0, color="0.85", lw=0.8)
        ax.axvline(0, color="0.85", lw=0.8)
        self.segments = LineCollection([], colors="0.35", alpha=0.7, zorder=1)
        ax.add_collection(self.segments)
        self.dots_a = ax.scatter([], [], color="C0", zorder=3, label=self.tr("sentence A"))
        self.dots_b = ax.scatter([], [], color="C1", zorder=3, label=self.tr("sentence B"))
        ax.scatter([], [], marker="+", color="k", label=self.tr("centroids"))
        self.centroids = ax.scatter([], [], marker="+", s=120, color="k", zorder=4)
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
        self.title = ax.text(0.5, 1.01, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)
        names = ["WMD", "WCD", "WRD", self.tr("bound")]
        self.bars = bars.bar(range(4), [0, 0, 0, 0], color=["#0072B2", "#56B4E9", "#D55E00", "#CC79A7"])
        bars.set_xticks(range(4), names)
        bars.set_ylim(0, 3.0)
        bars.set_title(self.tr("WCD ≤ WMD and bound ≤ WRD ≤ 2"), fontsize=10)
        bars.axhline(2.0, color="0.4", ls=":", lw=1)
        self.values = [bars.text(k, 0, "", ha="center", va="bottom", fontsize=9) for k in range(4)]

    def draw(self, phi, norm=1.0, cost="euclidean"):
        r = self.r = numbers(phi, norm, cost)
        x, y, plan = r["x"], r["y"], r["plan"]
        i, j = np.nonzero(plan > 1e-9)
        self.segments.set_segments(np.stack([x[i], y[j]], axis=1))
        self.segments.set_linewidths(1.0 + 24.0 * plan[i, j])
        if cost == "cosine":
            nx, ny = np.linalg.norm(x, axis=1), np.linalg.norm(y, axis=1)
            pa, pb = nx / nx.sum(), ny / ny.sum()
        else:
            pa, pb = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
        self.dots_a.set_offsets(x)
        self.dots_a.set_sizes(600 * pa)
        self.dots_b.set_offsets(y)
        self.dots_b.set_sizes(600 * pb)
        self.centroids.set_offsets(np.stack([x.mean(0), y.mean(0)]))
        values = [r["wmd"], r["wcd"], r["wrd"], r["bound"]]
        for bar, text, v in zip(self.bars, self.values, values, strict=True):
            bar.set_height(v)
            text.set_position((bar.get_x() + bar.get_width() / 2, v + 0.03))
            text.set_text(f"{v:.3f}")
        label = {"euclidean": "WMD", "rms": self.tr("WMD, the article's RMS code"), "cosine": "WRD"}[cost]
        self.title.set_text(self.tr("plan of {label}: width ∝ γᵢⱼ").format(label=label))
        self.readout = self.tr(
            "φ = {phi:g}°, s = {s:g}, cost {cost}: WCD = {wcd:.4f} ≤ WMD = {wmd:.4f}; bound = {b:.4f} ≤ WRD = "
            "{wrd:.4f} ≤ 2. The plan moves mass along {k} of the {mn} pairs."
        ).format(
            phi=phi, s=norm, cost=cost, wcd=r["wcd"], wmd=r["wmd"], b=r["bound"], wrd=r["wrd"], k=len(i), mn=plan.size
        )


class OpeningFigure(PushDirtFigure):
    """The opening picture: the WMD plan as B turns; one control, φ."""

    controls = {"phi": PushDirtFigure.controls["phi"]}
