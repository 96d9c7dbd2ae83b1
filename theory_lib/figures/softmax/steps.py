"""Lesson 01, a figure beside a step: the contraction bound a' <= 2 sinh(a)/n against real pairs (a_k, a_{k+1})."""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import softmax as sm
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider
from theory_lib.figures.softmax.iterates import ordered

STARTS, STEPS = 400, 6  # random starts 3·N(0, 1) of n entries, and the steps each takes
A_MAX = 1.05  # after step 1 every spread is below 1


@functools.lru_cache(maxsize=64)
def spread_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(a_k, a_{k+1}) for k >= 1 over STARTS random starts of n entries (seed 0), tau = 1."""
    g = torch.Generator().manual_seed(0)
    x = 3.0 * torch.randn(STARTS, n, generator=g, dtype=torch.float64)
    a = sm.spread(sm.iterate_softmax(x, STEPS)).numpy()  # (STEPS + 1, STARTS)
    return a[1:-1].ravel(), a[2:].ravel()


class ContractionFigure(InteractiveFigure):
    """Step 2: the bound's curve 2 sinh(a)/n, the diagonal a' = a, and the pairs softmax really makes."""

    controls = {"n": Slider(2, 12, 3, integer=True, label="n (entries)", named=(2, 3))}
    figsize = (5.6, 4.0)

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.grid = np.linspace(0.0, A_MAX, 200)
        tr = self.tr
        ax.plot(self.grid, self.grid, ":", color="0.4", lw=1, label=tr("$a' = a$ (no contraction)"))
        (self.bound,) = ax.plot([], [], "--", color="C3", label=tr(r"bound $2\sinh(a)/n$"))
        (self.points,) = ax.plot([], [], "o", ms=2.5, alpha=0.5, color="C0", label=r"$(a_k, a_{k+1})$, $k \geq 1$")
        ax.set(xlim=(0, A_MAX), ylim=(0, 1.3), xlabel=tr("spread $a_k$"), ylabel=tr("next spread $a_{k+1}$"))
        ax.set_title(tr("one step of softmax, τ = 1"))
        ax.legend(loc="upper left", fontsize=9, frameon=False)

    def draw(self, n):
        self.bound.set_data(self.grid, 2 * np.sinh(self.grid) / n)
        a, a_next = spread_pairs(n)
        self.points.set_data(a, a_next)
        self.factor = sm.contraction_bound(1.0, n)  # the bound's worst ratio a'/a over a <= 1
        self.worst = float(np.max(a_next / sm.contraction_bound(torch.from_numpy(a), n).numpy()))
        f, one = ordered(self.factor, 1.0)
        w, one2 = ordered(self.worst, 1.0)
        if self.factor < 1:
            verdict = self.tr(
                "2 sinh(1)/n = {f} &lt; {one}: each step after the first shrinks the spread at least that much"
            )
        else:
            verdict = self.tr(
                "2 sinh(1)/n = {f} &gt; {one}: the bound allows the spread to grow; n = 2 needs the exact map"
            )
        self.readout = self.tr(
            "n = {n}: {verdict}. Largest a_(k+1)/bound over {steps} real steps: {w} ≤ {one2} (the bound holds)."
        ).format(n=n, verdict=verdict.format(f=f, one=one), steps=len(a), w=w, one2=one2)
