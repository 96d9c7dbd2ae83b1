"""Lesson 16, beyond the article: Sinkhorn's entropic transport tends to the LP as ε → 0.

The WMD problem of the opening picture at φ = 0 (sentence A, three words; sentence B, four; uniform
masses, Euclidean cost). ``tp.sinkhorn`` at temperature ε gives the plan
γ_ij = exp((f_i + g_j − d_ij)/ε) with the same marginals. Left: its cost Σ γ_ij d_ij against ε
(log axis, every slider position computed once at build), the LP value dashed; right: the entropic
plan at ε beside the LP's plan. Large ε spreads the mass over every pair (the cost rises towards
the independent plan's mean distance); small ε concentrates it on the LP's support.
"""

from __future__ import annotations

import functools

import numpy as np

from theory_lib import transport as tp
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider
from theory_lib.figures.transport.dirt import A, B

P, Q = np.full(len(A), 1 / len(A)), np.full(len(B), 1 / len(B))
COST = np.linalg.norm(A[:, None] - B[None], axis=-1)
EPS_NAMED = (0.01, 0.1, 1.0, 10.0)


@functools.lru_cache(maxsize=256)
def entropic(eps: float) -> tuple[float, np.ndarray]:
    """(Sinkhorn cost, plan (3, 4)) at temperature ε."""
    value, plan = tp.sinkhorn(P, Q, COST, eps)
    return value, plan.numpy()


@functools.cache
def exact() -> tuple[float, np.ndarray]:
    """(LP value, LP plan)."""
    return tp.emd(P, Q, COST), tp.emd_plan(P, Q, COST).numpy()


class SinkhornFigure(InteractiveFigure):
    """Sinkhorn's cost and plan against the temperature ε, the LP's beside them."""

    controls = {"eps": LogSlider(0.005, 10.0, 0.1, label="temperature ε", named=EPS_NAMED)}
    figsize = (10.0, 4.0)

    def build(self):
        grid = self.controls["eps"].grid()
        values = [entropic(float(e))[0] for e in grid]  # every slider position, once: a move is a look-up
        lp, lp_plan = exact()
        ax, mats = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        self.ax = ax
        ax.semilogx(grid, values, color="C0", lw=2, label=self.tr("Sinkhorn cost Σ γᵢⱼ dᵢⱼ"))
        ax.axhline(lp, color="C3", ls="--", lw=1.2, label=self.tr("LP value (WMD)"))
        ax.axhline(float(COST.mean()), color="0.5", ls=":", lw=1, label=self.tr("independent plan p qᵀ"))
        (self.dot,) = ax.plot([], [], "o", color="C0", ms=8)
        ax.set(xlabel=self.tr("temperature ε"), ylabel=self.tr("transport cost"))
        ax.set_ylim(0.95 * lp, 1.05 * float(COST.mean()))
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        # the two plans side by side: entropic at columns 0..3, the LP's at 5..8
        n, m = len(B), len(A)
        style = dict(vmin=0, vmax=1 / m, cmap="Blues", aspect="equal")
        self.image = mats.imshow(np.zeros((m, n)), extent=(-0.5, n - 0.5, m - 0.5, -0.5), **style)
        mats.imshow(lp_plan, extent=(n + 0.5, 2 * n + 0.5, m - 0.5, -0.5), **style)
        mats.set_xlim(-0.5, 2 * n + 0.5)
        mats.set_xticks([1.5, len(B) + 2.5], [self.tr("Sinkhorn plan"), self.tr("LP plan")])
        mats.set_yticks(range(len(A)), [f"A{i + 1}" for i in range(len(A))])
        mats.tick_params(length=0)
        for side in mats.spines.values():
            side.set_visible(False)

    def draw(self, eps):
        self.value, self.plan = entropic(eps)
        self.lp, lp_plan = exact()
        self.dot.set_data([eps], [self.value])
        self.image.set_data(self.plan)
        self.plan_gap = float(np.abs(self.plan - lp_plan).max())
        self.readout = self.tr(
            "ε = {eps:g}: Sinkhorn cost {v:.6f} against the LP's {lp:.6f} (gap {gap:.2e}); the plans differ by at "
            "most {pg:.4f} in a cell, and the entropic plan keeps the marginals (rows {rows:.6f})."
        ).format(
            eps=eps,
            v=self.value,
            lp=self.lp,
            gap=self.value - self.lp,
            pg=self.plan_gap,
            rows=float(self.plan.sum(1)[0]),
        )
