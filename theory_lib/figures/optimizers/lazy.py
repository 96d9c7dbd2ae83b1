"""Lesson 15, lazy embedding rows: the rare row of ``optimizers.lazy_rows`` under plain and lazy Adam.

``LazyFigure`` (β₁, how often the rare token comes): left the row's first coordinate along the steps,
the steps with its gradient marked; right |Δθ| per step. Plain Adam's momentum keeps moving the row on
the steps without its gradient; lazy Adam leaves it. Every slider setting is one row of
``optimizers.lazy_rows_batched``, computed once and cached.
"""

from __future__ import annotations

import functools

import numpy as np

from theory_lib import optimizers as op
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider
from theory_lib.figures.optimizers.paths import grid

STEPS = 60
FLOOR = 1e-9  # |Δθ| = 0 is drawn here on the log axis
BETA1 = Slider(0.0, 0.95, 0.9, step=0.05, label="momentum β₁", named=(0.0, 0.9))
PERIOD = Slider(2, 20, 10, step=1, integer=True, label="rare token every … steps", named=(10,))


@functools.lru_cache(maxsize=1)
@one_cpu_thread()
def lazy_grid() -> tuple[dict, dict]:
    """Both variants for every (β₁, period) of the sliders: ({setting: row}, {lazy: (STEPS + 1, rows, 2)})."""
    settings = [(b, int(p)) for b in grid(BETA1) for p in grid(PERIOD)]
    b1, per = [s[0] for s in settings], [s[1] for s in settings]
    paths = {lazy: op.lazy_rows_batched(b1, per, STEPS, lazy=lazy).numpy() for lazy in (False, True)}
    return {s: i for i, s in enumerate(settings)}, paths


def rare_row(beta1: float, period: int, lazy: bool) -> np.ndarray:
    """The rare row's path at one setting: from the grid, or one run of ``lazy_rows`` off it."""
    rows, paths = lazy_grid()
    key = (round(float(beta1), 10), int(period))
    if key in rows:
        return paths[lazy][:, rows[key]]
    return op.lazy_rows(beta1, period, STEPS, lazy=lazy)[0].numpy()


def moves(path: np.ndarray) -> np.ndarray:
    """|Δθ| per step."""
    return np.linalg.norm(np.diff(path, axis=0), axis=1)


class LazyFigure(InteractiveFigure):
    """A rare embedding row under plain Adam and lazy Adam."""

    controls = {"beta1": BETA1, "period": PERIOD}
    figsize = (10.0, 4.0)

    def build(self):
        ax, ax_d = self.fig.subplots(1, 2)
        self.ax, self.ax_d = ax, ax_d
        ax.axhline(op.LAZY_TARGETS[1][0], color="0.6", lw=0.8, ls=":")
        (self.plain,) = ax.plot([], [], color="C3", lw=3.0, alpha=0.6, label=self.tr("plain Adam"))
        (self.lazy,) = ax.plot([], [], color="C0", lw=1.6, label=self.tr("lazy Adam"))
        (self.hits,) = ax.plot([], [], "|", color="k", ms=10, mew=1.5, label=self.tr("steps with its gradient"))
        ax.set(xlim=(0, STEPS), ylim=(-0.05, 1.6), xlabel=self.tr("step t"), ylabel=self.tr("rare row, θ₁"))
        ax.set_title(self.tr("the rare row (its target θ₁ = 1, dotted)"), fontsize=9)
        ax.legend(loc="upper left", fontsize=7.5, frameon=True, framealpha=0.85)
        (self.d_plain,) = ax_d.plot([], [], "o", color="C3", ms=3.5, label=self.tr("plain Adam"))
        (self.d_lazy,) = ax_d.plot([], [], "x", color="C0", ms=5, label=self.tr("lazy Adam"))
        ax_d.set(yscale="log", xlim=(0, STEPS), ylim=(FLOOR / 3, 1.0), xlabel=self.tr("step t"))
        ax_d.set_title(self.tr("|Δθ| of the rare row per step (0 drawn at 10⁻⁹)"), fontsize=9)
        ax_d.legend(loc="center right", fontsize=7.5, frameon=True, framealpha=0.85)

    def draw(self, beta1, period):
        plain, lazy = rare_row(beta1, period, False), rare_row(beta1, period, True)
        t = np.arange(STEPS + 1)
        self.plain.set_data(t, plain[:, 0])
        self.lazy.set_data(t, lazy[:, 0])
        seen = np.arange(STEPS) % int(period) == 0
        self.hits.set_data(np.flatnonzero(seen), np.full(int(seen.sum()), 0.02))
        dp, dl = moves(plain), moves(lazy)
        self.d_plain.set_data(t[1:], np.maximum(dp, FLOOR))
        self.d_lazy.set_data(t[1:], np.maximum(dl, FLOOR))
        self.moved_plain, self.moved_lazy = int((dp[~seen] > 0).sum()), int((dl[~seen] > 0).sum())
        self.unseen = int((~seen).sum())
        self.drift = float(dp[~seen].max()) if self.unseen else 0.0
        self.end_plain, self.end_lazy = float(plain[-1, 0]), float(lazy[-1, 0])
        self.readout = self.tr(
            "β₁ = {b:g}, the rare token every {p} steps: of the {n} steps without its gradient, plain Adam "
            "moved the row on <b>{mp}</b> (largest move {d:.3f}), lazy Adam on <b>{ml}</b>. After {s} steps "
            "θ₁ = {ep:.3f} (plain) and {el:.3f} (lazy); the target is 1."
        ).format(
            b=beta1,
            p=int(period),
            n=self.unseen,
            mp=self.moved_plain,
            d=self.drift,
            ml=self.moved_lazy,
            s=STEPS,
            ep=self.end_plain,
            el=self.end_lazy,
        )
