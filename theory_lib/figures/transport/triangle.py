"""Lesson 16, the triangle inequality: three one-word sentences A, B, C in the plane.

Each word is a vector at angle θ and norm r (sliders). For each of WMD and WRD the figure sets
d(A, C) against d(A, B) + d(B, C): a stacked bar of the two legs, scaled to height 1, beside the
bar d(A, C) / (d(A, B) + d(B, C)). The triangle inequality holds when that bar stays under the
dashed line at 1. WMD of one-word sentences is ‖a − c‖, a metric: it always does. WRD's cost
1 − cos is not: with B between A and C it overshoots, by up to a factor 2 (small angles, where
1 − cos θ ≈ θ²/2). WRD ignores the norms (one word carries all the mass, whatever its norm).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import transport as tp
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider

NAMES = ("A", "B", "C")
COLOURS = ("C0", "C2", "C1")
ANGLE_NAMED = (0.0, 45.0, 90.0, 180.0)
NORM_NAMED = (0.5, 1.0, 2.0)
HOLDS, FAILS = "#009E73", "#D55E00"


def word(theta: float, r: float) -> torch.Tensor:
    """A one-word sentence (1, 2): the vector at θ degrees with norm r, float64."""
    t = math.radians(theta)
    return torch.tensor([[r * math.cos(t), r * math.sin(t)]], dtype=torch.float64)


@functools.lru_cache(maxsize=4096)
def pair(theta1: float, r1: float, theta2: float, r2: float) -> tuple[float, float]:
    """(WMD, WRD) of two one-word sentences; a slider move recomputes the two pairs it touches."""
    r = tp.sentence_distances(word(theta1, r1), word(theta2, r2))
    return r["wmd"], r["wrd"]


def triangle(thetas, norms) -> dict:
    """{"wmd": (d_AB, d_BC, d_AC), "wrd": (...)} for the three one-word sentences."""
    (ta, tb, tc), (ra, rb, rc) = thetas, norms
    ab, bc, ac = pair(ta, ra, tb, rb), pair(tb, rb, tc, rc), pair(ta, ra, tc, rc)
    return {"wmd": (ab[0], bc[0], ac[0]), "wrd": (ab[1], bc[1], ac[1])}


class TriangleFigure(InteractiveFigure):
    """d(A, C) against d(A, B) + d(B, C) for WMD and WRD, three one-word sentences."""

    controls = {
        **{
            f"theta_{n.lower()}": Slider(
                -180.0, 180.0, v, step=5.0, label=f"angle θ of {n} (degrees)", named=ANGLE_NAMED
            )
            for n, v in zip(NAMES, (0.0, 45.0, 90.0), strict=True)
        },
        **{f"r_{n.lower()}": LogSlider(0.5, 2.0, 1.0, label=f"norm r of {n}", named=NORM_NAMED) for n in NAMES},
    }
    figsize = (10.0, 4.2)

    def build(self):
        ax, bars = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        self.ax, self.bar_ax = ax, bars
        ax.set_aspect("equal")
        ax.set(xlim=(-2.3, 2.3), ylim=(-2.3, 2.3))
        ax.axhline(0, color="0.85", lw=0.8)
        ax.axvline(0, color="0.85", lw=0.8)
        t = np.linspace(0, 2 * np.pi, 181)
        ax.plot(np.cos(t), np.sin(t), color="0.8", lw=0.8, ls=":")
        (self.sides,) = ax.plot([], [], color="0.4", lw=1.2, ls="--", label=self.tr("sides = WMD"))
        # one line per word, origin to tip with a dot at the tip (text labels would cost a glyph layout per move)
        self.arrows = [
            ax.plot([], [], "-o", color=c, lw=2.2, ms=7, markevery=[1], label=n)[0]
            for n, c in zip(NAMES, COLOURS, strict=True)
        ]
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9, ncols=2)
        ax.set_title(self.tr("three one-word sentences"), fontsize=10)
        # bars: per distance, the two legs stacked (scaled to 1) and d(A, C) on the same scale
        self.x_pos = {"wmd": (0.0, 1.0), "wrd": (2.6, 3.6)}
        self.leg1, self.leg2, self.direct = {}, {}, {}  # the numbers are in the readout
        for key, (xs, xd) in self.x_pos.items():
            self.leg1[key] = bars.bar([xs], [0.5], color="#56B4E9", width=0.8)[0]
            self.leg2[key] = bars.bar([xs], [0.5], bottom=[0.5], color="#CC79A7", width=0.8)[0]
            self.direct[key] = bars.bar([xd], [0.0], color=HOLDS, width=0.8)[0]
        self.leg1["wmd"].set_label("d(A, B)")
        self.leg2["wmd"].set_label("d(B, C)")
        bars.axhline(1.0, color="k", ls="--", lw=1)
        bars.set_xticks(
            [0.0, 1.0, 2.6, 3.6], ["WMD\nd(A,B)+d(B,C)", "WMD\nd(A,C)", "WRD\nd(A,B)+d(B,C)", "WRD\nd(A,C)"], fontsize=8
        )
        bars.set_ylim(0, 2.25)
        bars.set_ylabel(self.tr("as a share of d(A, B) + d(B, C)"))
        bars.set_title(self.tr("triangle inequality: d(A, C) ≤ d(A, B) + d(B, C)?"), fontsize=10)
        bars.legend(loc="upper left", fontsize=8, framealpha=0.9)

    def draw(self, theta_a, theta_b, theta_c, r_a=1.0, r_b=1.0, r_c=1.0):
        thetas, norms = (theta_a, theta_b, theta_c), (r_a, r_b, r_c)
        self.d = triangle(thetas, norms)
        points = np.concatenate([word(t, r).numpy() for t, r in zip(thetas, norms, strict=True)])
        for k in range(3):
            self.arrows[k].set_data([0, points[k, 0]], [0, points[k, 1]])
        closed = np.concatenate([points, points[:1]])
        self.sides.set_data(closed[:, 0], closed[:, 1])
        self.gap, self.ratio, parts = {}, {}, []
        for key in ("wmd", "wrd"):
            ab, bc, ac = self.d[key]
            total = ab + bc
            self.gap[key] = ac - total  # > 0: the triangle inequality fails
            scale = 1.0 / total if total > 1e-12 else 0.0
            self.ratio[key] = ac * scale
            self.leg1[key].set_height(ab * scale)
            self.leg2[key].set_y(ab * scale)
            self.leg2[key].set_height(bc * scale)
            fails = self.gap[key] > 1e-12
            self.direct[key].set_height(self.ratio[key])
            self.direct[key].set_color(FAILS if fails else HOLDS)
            colour = FAILS if fails else HOLDS
            verdict = self.tr("fails, by {gap:.4f}") if fails else self.tr("holds, with {gap:.4f} to spare")
            parts.append(
                self.tr(
                    "{name}: d(A, C) = {ac:.4f} {op} d(A, B) + d(B, C) = {ab:.4f} + {bc:.4f} = {s:.4f}: "
                    '<span style="color:{colour}"><b>{verdict}</b></span>'
                ).format(
                    name=key.upper(),
                    ac=ac,
                    op=">" if fails else "≤",
                    ab=ab,
                    bc=bc,
                    s=total,
                    colour=colour,
                    verdict=verdict.format(gap=abs(self.gap[key])),
                )
            )
        self.readout = "<br>".join(parts)
