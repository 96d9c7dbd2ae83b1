"""Lesson 11, step 3: Su's proof that Gumbel-Max picks class 1 with probability p₁, in the unit square.

Two classes, p₂ = 1 − p₁. Gumbel-Max picks class 1 exactly when log p₁ − log(−log ε₁) > log p₂ −
log(−log ε₂), that is ε₂ < ε₁^{p₂/p₁}: the region under that curve has area ∫₀¹ ε^{p₂/p₁} dε = p₁.
The dots are 3000 fixed uniform pairs (ε₁, ε₂), coloured by what ``gumbel.gumbel_max`` picks: the
colours fill exactly the two regions. The readout also checks the proof's "independent" inequalities
on three classes (p₁, and the rest split 3 : 2): the events A_j = {ε_j < ε₁^{p_j/p₁}} share ε₁,
so P(A₂ and A₃) = p₁ differs from P(A₂)P(A₃) = p₁²/((p₁ + p₂)(p₁ + p₃)).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from scipy import integrate

from theory_lib import gumbel as gb
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider

POINTS = 3000
BLUE, ORANGE = np.array([0.12, 0.47, 0.71, 0.8]), np.array([1.0, 0.50, 0.05, 0.8])
_E = np.linspace(0.0, 1.0, 301)


@functools.cache
def pairs() -> torch.Tensor:
    """The fixed uniforms (ε₁, ε₂, ε₃), (POINTS, 3), seed 1."""
    return torch.rand(POINTS, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).clamp_(min=2.0**-54)


def three(p1: float) -> np.ndarray:
    """The three-class law of the readout: p₁ and the rest split 3 : 2."""
    return np.array([p1, 0.6 * (1 - p1), 0.4 * (1 - p1)])


@functools.lru_cache(maxsize=32)
def events(p1: float) -> dict:
    """P(A₂), P(A₃), their product and P(A₂ and A₃), exact (quadrature over ε₁) and counted on the dots."""
    p = three(p1)
    exact = [integrate.quad(lambda e, q=q: e ** (q / p1), 0, 1)[0] for q in p[1:]]
    joint = integrate.quad(lambda e: e ** (p[1] / p1) * e ** (p[2] / p1), 0, 1)[0]
    won = gb.gumbel_max(torch.tensor(p).log().expand(POINTS, 3), pairs()).numpy() == 0
    return {"a2": exact[0], "a3": exact[1], "joint": joint, "counted": float(won.mean())}


@functools.lru_cache(maxsize=32)
def picks(p1: float) -> np.ndarray:
    """Gumbel-Max's class (0 or 1) for each dot (ε₁, ε₂), p = (p₁, 1 − p₁)."""
    return gb.gumbel_max(
        torch.tensor([p1, 1 - p1], dtype=torch.float64).log().expand(POINTS, 2), pairs()[:, :2]
    ).numpy()


class ProofFigure(InteractiveFigure):
    """The region ε₂ < ε₁^{p₂/p₁}, its area p₁, and Gumbel-Max's picks on fixed uniforms; p₁ on the slider."""

    controls = {"p1": Slider(0.05, 0.95, 0.5, step=0.05, label="probability p₁", named=(0.3, 0.5, 0.8))}
    figsize = (6.0, 5.0)

    def build(self):
        ax = self.ax = self.fig.subplots()
        ax.set_aspect("equal")
        (self.region,) = ax.fill(np.r_[_E, 1.0, 0.0], np.r_[_E, 0.0, 0.0], color="#C6DBEF", lw=0, zorder=0)
        (self.curve,) = ax.plot(_E, _E, color="C0", lw=2)
        self.dots = [ax.plot([], [], "o", ms=1.8, mew=0, color=c, zorder=2)[0] for c in (BLUE, ORANGE)]
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="ε₁", ylabel="ε₂")
        self.title = ax.text(0.5, 1.01, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)

    @one_cpu_thread()  # small tensors: a second thread only adds handshakes
    def draw(self, p1):
        p2 = 1 - p1
        edge = _E ** (p2 / p1)
        self.curve.set_ydata(edge)
        self.region.set_xy(np.c_[np.r_[_E, 1.0, 0.0], np.r_[edge, 0.0, 0.0]])
        u = pairs()[:, :2]
        pick = picks(p1)
        uv = u.numpy()
        for k, line in enumerate(self.dots):
            line.set_data(uv[pick == k, 0], uv[pick == k, 1])
        self.area = integrate.quad(lambda e: e ** (p2 / p1), 0, 1)[0]
        self.picked = float((pick == 0).mean())
        self.below = float((u[:, 1].numpy() < u[:, 0].numpy() ** (p2 / p1)).mean())
        self.ev = events(p1)
        self.title.set_text(self.tr("blue: ε₂ < ε₁^(p₂/p₁), area {area:.4f} = p₁").format(area=self.area))
        p = three(p1)
        self.readout = self.tr(
            "p₁ = {p1:.2f}: the area under ε₁^(p₂/p₁) is {area:.6f} (quadrature); Gumbel-Max picks class 1 for "
            "{picked:.3f} of the {n:,} dots (blue), exactly those under the curve ({below:.3f}). "
            "Three classes p = ({a:.2f}, {b:.2f}, {c:.2f}): P(A₂) = {a2:.4f}, P(A₃) = {a3:.4f}, "
            "P(A₂)·P(A₃) = {prod:.4f}, but P(A₂ and A₃) = {joint:.4f} = p₁ (counted: {counted:.3f}): "
            "the inequalities share ε₁ and are <b>not independent</b>."
        ).format(
            p1=p1,
            area=self.area,
            picked=self.picked,
            n=POINTS,
            below=self.below,
            a=p[0],
            b=p[1],
            c=p[2],
            a2=self.ev["a2"],
            a3=self.ev["a3"],
            prod=self.ev["a2"] * self.ev["a3"],
            joint=self.ev["joint"],
            counted=self.ev["counted"],
        )
