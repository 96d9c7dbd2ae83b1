"""Lesson 16, masses matter: WRD against the norm of one word, directions fixed.

Sentence x has three words in 3-D, y two. Word x₁ is scaled by s (log slider): its direction, and so
every cosine cost, stays; its mass ‖s x₁‖/Z grows. Left: WRD against s over [10⁻², 10²] (precomputed
once, 121 LPs), dashed lines where the optimal plan changes its support, the dotted line the s → ∞
limit (WRD of x₁ alone); right: the plan at s.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import transport as tp
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

X = np.array([[1.0, 0.2, 0.1], [0.2, 1.0, 0.3], [0.5, 0.5, 1.0]])
Y = np.array([[0.9, 0.4, 0.0], [0.1, 0.3, 1.2]])
S_NAMED = (0.01, 0.2, 1.0, 5.0, 20.0, 100.0)
GRID = np.logspace(-2, 2, 121)


def scaled(s: float) -> torch.Tensor:
    x = X.copy()
    x[0] *= s
    return torch.from_numpy(x)


@functools.lru_cache(maxsize=512)
def wrd_at(s: float) -> tuple[float, np.ndarray]:
    """WRD and its plan with word x₁ scaled by s."""
    x, y = scaled(s), torch.from_numpy(Y)
    return tp.word_rotator_distance(x, y), tp.word_rotator_plan(x, y).numpy()


@functools.cache
def curve() -> tuple[np.ndarray, np.ndarray]:
    """WRD on GRID and the s where the plan's support changes (midpoints between grid points)."""
    values, supports = [], []
    for s in GRID:
        w, plan = wrd_at(float(s))
        values.append(w)
        supports.append(tuple((plan > 1e-9).ravel()))
    changes = [np.sqrt(GRID[k] * GRID[k + 1]) for k in range(len(GRID) - 1) if supports[k] != supports[k + 1]]
    return np.array(values), np.array(changes)


def limit() -> float:
    """The s → ∞ limit: WRD of word x₁ alone against y."""
    return tp.word_rotator_distance(torch.from_numpy(X[:1]), torch.from_numpy(Y))


class NormFigure(InteractiveFigure):
    """WRD against one word's norm, with the plan's support changes marked."""

    controls = {"s": LogSlider(0.01, 100.0, 1.0, label="norm factor s of word x₁", named=S_NAMED)}
    figsize = (10.0, 4.0)

    def build(self):
        for s in self.controls["s"].grid():  # every slider position, once per process: a move is a look-up
            wrd_at(float(s))
        ax, mat = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        self.ax, self.mat = ax, mat
        values, changes = curve()
        ax.semilogx(GRID, values, color="C3", lw=2, label="WRD(s)")
        for k, c in enumerate(changes):
            ax.axvline(c, color="0.5", ls="--", lw=1, label=self.tr("plan changes support") if k == 0 else None)
        ax.axhline(limit(), color="k", ls=":", lw=1, label=self.tr("s → ∞: WRD of x₁ alone"))
        (self.dot,) = ax.plot([], [], "o", color="C3", ms=8)
        ax.set(xlabel=self.tr("norm factor s of word x₁"), ylabel="WRD", ylim=(0, 1.15 * values.max()))
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
        self.image = mat.imshow(np.zeros((3, 2)), vmin=0, vmax=1, cmap="Reds")
        mat.set_xticks(range(2), ["y₁", "y₂"])
        mat.set_yticks(range(3), ["x₁", "x₂", "x₃"])
        mat.set_title(self.tr("optimal plan γᵢⱼ"), fontsize=10)
        self.cells = [[mat.text(j, i, "", ha="center", va="center", fontsize=9) for j in range(2)] for i in range(3)]

    def draw(self, s):
        self.wrd, plan = wrd_at(s)
        self.plan = plan
        self.dot.set_data([s], [self.wrd])
        self.image.set_data(plan)
        for i in range(3):
            for j in range(2):
                self.cells[i][j].set_text(f"{plan[i, j]:.3f}")
                self.cells[i][j].set_color("white" if plan[i, j] > 0.5 else "black")
        self.limit = limit()
        self.mass = float(
            np.linalg.norm(scaled(s).numpy(), axis=1)[0] / np.linalg.norm(scaled(s).numpy(), axis=1).sum()
        )
        self.readout = self.tr(
            "s = {s:g}: word x₁ carries mass {m:.3f}; WRD = {w:.4f} (at s = 1: {w1:.4f}; limit as s → ∞: {lim:.4f}). "
            "The plan changes its support {k} times over [0.01, 100]."
        ).format(s=s, m=self.mass, w=self.wrd, w1=wrd_at(1.0)[0], lim=self.limit, k=len(curve()[1]))
