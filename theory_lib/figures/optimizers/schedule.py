"""Lesson 15, the schedule figure: ρ(t) of ``optimizers.piecewise_linear`` and what it does to Adam.

``ScheduleFigure`` (warm-up length, final value, from_zero): left ρ(t) for {warm-up: 1, END: final}
(bert4keras's semantics: (0, 0) prepended unless from_zero is off), right the loss of Adam on the
valley of ``paths.py`` with that schedule and without one.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import optimizers as op
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, Slider
from theory_lib.figures.optimizers.paths import grid, loss_of

END = 300
LR = 0.1


def schedule_of(warmup: int, final: float) -> dict:
    """{warm-up: 1, END: final}; a warm-up of 0 starts at 1."""
    return {int(warmup): 1.0, END: float(final)}


WARMUP = Slider(0, 200, 100, step=25, integer=True, label="warm-up steps", named=(0, 100))
FINAL = Slider(0.0, 1.0, 0.1, step=0.05, label="ρ at the last breakpoint", named=(0.1, 1.0))
ZERO = ("on", "off")


def as_given(warmup: int, final: float, from_zero: str) -> dict:
    """The schedule the optimiser runs: from_zero off = the first value from t = 0 (a breakpoint at 0)."""
    sched = schedule_of(warmup, final)
    return sched if from_zero == "on" else {0: 1.0, **sched}


@functools.lru_cache(maxsize=1)
@one_cpu_thread()
def schedule_grid() -> tuple[dict, np.ndarray]:
    """Adam's paths for every setting of the sliders at once: ({setting: row}, (updates + 1, rows, 2))."""
    t = torch.arange(END + 60, dtype=torch.float64)
    settings = [(w, f, z) for w in grid(WARMUP) for f in grid(FINAL) for z in ZERO]
    rho = torch.stack([op.piecewise_linear(t, as_given(*s)) for s in settings], dim=1)
    paths = op.quadratic_paths(END + 60, len(settings), base="adam", lr=LR, rho=rho)
    return {s: i for i, s in enumerate(settings)}, paths.numpy()


def schedule_path(warmup, final, from_zero) -> np.ndarray:
    """Adam's path under one setting's schedule, read from the grid."""
    rows, paths = schedule_grid()
    f = min(grid(FINAL), key=lambda v: abs(v - final))
    key = (int(warmup), f, from_zero)
    if key in rows and abs(f - final) < 1e-9:
        return paths[:, rows[key]]
    return _one_schedule(int(warmup), float(final), from_zero)  # off the grid: one run, cached


@functools.lru_cache(maxsize=256)
@one_cpu_thread()
def _one_schedule(warmup: int, final: float, from_zero: str) -> np.ndarray:
    rho = op.piecewise_linear(torch.arange(END + 60, dtype=torch.float64), as_given(warmup, final, from_zero))
    return op.quadratic_paths(END + 60, 1, base="adam", lr=LR, rho=rho[:, None]).numpy()[:, 0]


class ScheduleFigure(InteractiveFigure):
    """ρ(t) and Adam's loss with and without it."""

    controls = {
        "warmup": WARMUP,
        "final": FINAL,
        "from_zero": Choice(list(ZERO), "on", label="from_zero"),
    }
    figsize = (10.0, 4.0)

    def build(self):
        ax, ax_l = self.fig.subplots(1, 2)
        self.ax, self.ax_l = ax, ax_l
        (self.rho,) = ax.plot([], [], color="C0", lw=2.0)
        (self.knots,) = ax.plot([], [], "o", color="C0", ms=5)
        (self.half,) = ax.plot([], [], "s", color="C3", ms=6, label=self.tr("ρ at half the warm-up"))
        ax.set(xlim=(-10, END + 60), ylim=(-0.05, 1.1), xlabel=self.tr("update t"), ylabel="ρ(t)")
        ax.set_title(self.tr("the learning-rate multiplier"), fontsize=9)
        ax.legend(loc="lower right", fontsize=7.5, frameon=False)
        (self.flat,) = ax_l.plot([], [], color="0.55", lw=1.0, ls=":", label=self.tr("Adam, constant lr"))
        (self.sched,) = ax_l.plot([], [], color="C0", lw=1.5, label=self.tr("Adam, lr × ρ(t)"))
        ax_l.set(yscale="log", xlim=(0, END + 60), ylim=(1e-10, 100), xlabel=self.tr("update t"), ylabel="L")
        ax_l.set_title(self.tr("Adam at lr = {lr:g} on the valley").format(lr=LR), fontsize=9)
        ax_l.legend(loc="lower left", fontsize=7.5, frameon=False)

    def draw(self, warmup, final, from_zero):
        sched = schedule_of(warmup, final)
        zero = from_zero == "on"
        t = np.arange(END + 61, dtype=float)
        rho = np.array([op.piecewise_linear(float(s), sched, from_zero=zero) for s in (0, warmup, END)])
        xs = [0.0, float(warmup), float(END), float(END + 60)]
        ys = [rho[0], rho[1], rho[2], rho[2]]
        self.rho.set_data(xs, ys)
        self.knots.set_data([float(warmup), float(END)], [rho[1], rho[2]])
        self.rho_half = op.piecewise_linear(warmup / 2, sched, from_zero=zero)
        self.rho_start = float(rho[0])
        self.half.set_data([warmup / 2], [self.rho_half])
        p = schedule_path(warmup, final, from_zero)
        q = schedule_path(0, 1.0, "on")  # {0: 1, END: 1}: a constant rate
        self.sched.set_data(t, np.clip(loss_of(p), 1e-10, 1e8))
        self.flat.set_data(t, np.clip(loss_of(q), 1e-10, 1e8))
        self.loss_sched, self.loss_flat = float(loss_of(p[-1:])[0]), float(loss_of(q[-1:])[0])
        self.readout = self.tr(
            "ρ(0) = {r0:g}, ρ({h:g}) = <b>{rh:.3f}</b>, ρ({w}) = {rw:g}, ρ(t ≥ {end}) = {rf:g}. Final loss "
            "<b>{ls:.2e}</b> with the schedule, {lf:.2e} at a constant lr."
        ).format(
            r0=self.rho_start,
            h=warmup / 2,
            rh=self.rho_half,
            w=warmup,
            rw=rho[1],
            end=END,
            rf=rho[2],
            ls=self.loss_sched,
            lf=self.loss_flat,
        )
