"""Lesson 08, the opening picture: N words on the sphere in n dimensions, crowded or roomy.

Seen from one centre word u, each of N context words v sits at its angle θ to u, drawn on a circle
at that angle (left or right alternately; the distance from the centre is jittered so that the dots
do not hide each other). The cosines are exact samples of the law of lesson 02
(``embedding.sample_cosines(..., method="law")``). The shaded cap holds the directions with
cos θ > 1/φ (φ the golden ratio): the alignment that dominates E[e^{n cos θ}] (step 5). Right: the
expected number of the N² (centre, context) pairs inside the cap, N² P(θ ≤ arccos 1/φ), with
``angles.angle_cdf``; it falls below 1 near the article's n > 8.33 ln N. One control, n.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import angles, embedding as em
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider

WORDS = 1000  # N
PHI = (1 + math.sqrt(5)) / 2
CAP = math.acos(1 / PHI)  # the cap's half-angle, 51.8°
N_MIN, N_MAX = 2, 128
COUNT_LIM = (1e-10, 1e7)  # the right panel's y range: every n on the slider fits (tests)
GREY, RED = np.array([0.55, 0.55, 0.55, 0.55]), np.array([0.84, 0.15, 0.16, 1.0])


@functools.lru_cache(maxsize=1)
def expected_in_cap() -> np.ndarray:
    """N² P(θ ≤ arccos 1/φ) for n = N_MIN .. N_MAX (index n - N_MIN)."""
    theta = torch.tensor(CAP, dtype=torch.float64)
    return np.array([WORDS**2 * float(angles.angle_cdf(theta, n)) for n in range(N_MIN, N_MAX + 1)])


def roomy_dimension() -> int:
    """The smallest n at which fewer than one of the N² pairs is expected in the cap."""
    return N_MIN + int(np.argmax(expected_in_cap() < 1))


@functools.lru_cache(maxsize=256)
def context_angles(n: int) -> np.ndarray:
    """The N context words' angles θ to u in dimension n (seed n), radians."""
    g = torch.Generator().manual_seed(n)
    return torch.arccos(em.sample_cosines(n, WORDS, generator=g, method="law")).numpy()


_SIDE = np.where(np.arange(WORDS) % 2 == 0, 1.0, -1.0)
_RADIUS = 1.0 - 0.12 * np.random.default_rng(0).random(WORDS)  # jitter, the same at every n


class WordsFigure(InteractiveFigure):
    """N words seen from one: their angles on a circle, the dominating cap, and the pairs expected in it."""

    controls = {
        "n": Slider(N_MIN, N_MAX, 8, integer=True, label="dimension n", named=(8, 64, roomy_dimension())),
    }
    figsize = (9.0, 4.3)

    def build(self):
        ax, ax2 = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        self.ax, self.ax2 = ax, ax2
        ax.set_aspect("equal")
        ax.set_axis_off()
        arc = np.linspace(-CAP, CAP, 60)  # the cap: polygons and lines, not patches the figure sweep cannot read
        ax.fill(np.r_[0, 1.08 * np.sin(arc)], np.r_[0, 1.08 * np.cos(arc)], color="#F4C7C3", zorder=0)
        around = np.linspace(0, 2 * math.pi, 241)
        ax.plot(np.cos(around), np.sin(around), color="0.6", lw=0.8)
        ax.plot([0, 0], [0, 1.0], color="0.3", lw=1)
        ax.plot([0], [1.0], marker="*", ms=16, color="k", zorder=5)
        ax.set(xlim=(-1.25, 1.25), ylim=(-1.2, 1.3))
        ax.set_title(
            self.tr("N = {words:,} words seen from u (★): each at its angle to u").format(words=WORDS), fontsize=9
        )
        self.dots = ax.scatter(np.zeros(WORDS), np.zeros(WORDS), s=7, lw=0, zorder=3)

        n = np.arange(N_MIN, N_MAX + 1)
        ax2.semilogy(n, expected_in_cap(), color="C3", lw=1.8, label=self.tr("N² P(pair in the cap)"))
        ax2.axhline(1.0, color="0.4", ls=":", lw=1)
        rule = em.min_embedding_dim(WORDS, "exact")
        ax2.axvline(
            rule, color="C0", ls="--", lw=1.2, label=self.tr("the rule: n ≥ {rule} (exact h_n)").format(rule=rule)
        )
        self.n_mark = ax2.axvline(8, color="0.2", lw=0.9)
        (self.n_dot,) = ax2.plot([], [], "o", color="C3", ms=6)
        ax2.set(xlim=(N_MIN, N_MAX), ylim=COUNT_LIM, xlabel=self.tr("dimension n"))
        ax2.set_ylabel(self.tr("pairs expected in the cap"), fontsize=9)
        ax2.set_title(self.tr("crowded above 1, roomy below"), fontsize=9)
        ax2.legend(loc="upper right", fontsize=8, frameon=False)

    def draw(self, n):
        theta = context_angles(n)
        x, y = _SIDE * _RADIUS * np.sin(theta), _RADIUS * np.cos(theta)
        self.dots.set_offsets(np.c_[x, y])
        inside = theta <= CAP
        self.dots.set_facecolor(np.where(inside[:, None], RED, GREY))
        self.in_cap = int(inside.sum())
        self.expected = float(expected_in_cap()[n - N_MIN])
        self.n_mark.set_xdata([n, n])
        self.n_dot.set_data([n], [self.expected])
        state = self.tr("crowded") if self.expected >= 1 else self.tr("roomy")
        self.readout = self.tr(
            "n = {n}: {in_cap} of the {words:,} words drawn lie in u's cap (cos θ &gt; 1/φ = {cos:.3f}, "
            "θ &lt; {angle:.1f}°). Over all N² = {pairs:,} pairs, {expected:.3g} are expected there: <b>{state}</b>. "
            "The expected count first falls below 1 at n = {roomy}; the article's rule gives n ≥ {rule} (8.33 ln N) "
            "and {exact} (exact h<sub>n</sub>)."
        ).format(
            n=n,
            in_cap=self.in_cap,
            words=WORDS,
            cos=1 / PHI,
            angle=math.degrees(CAP),
            pairs=WORDS**2,
            expected=self.expected,
            state=state,
            roomy=roomy_dimension(),
            rule=em.min_embedding_dim(WORDS),
            exact=em.min_embedding_dim(WORDS, "exact"),
        )
