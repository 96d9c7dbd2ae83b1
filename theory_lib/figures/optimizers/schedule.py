"""Lesson 15, the schedule figure: ρ(t) of ``optimizers.piecewise_linear`` and what it does to Adam.

``ScheduleFigure`` (warm-up length, final value, from_zero): left ρ(t) for {warm-up: 1, END: final}
(bert4keras's semantics: (0, 0) prepended unless from_zero is off), right the loss of Adam on the
valley of ``paths.py`` with that schedule and without one.
"""

from __future__ import annotations

import numpy as np

from theory_lib import optimizers as op
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, Slider
from theory_lib.figures.optimizers.paths import loss_of, path

END = 300
LR = 0.1


def schedule_of(warmup: int, final: float) -> dict:
    """{warm-up: 1, END: final}; a warm-up of 0 starts at 1."""
    return {int(warmup): 1.0, END: float(final)}


class ScheduleFigure(InteractiveFigure):
    """ρ(t) and Adam's loss with and without it."""

    controls = {
        "warmup": Slider(0, 200, 100, step=25, integer=True, label="warm-up steps", named=(0, 100)),
        "final": Slider(0.0, 1.0, 0.1, step=0.05, label="ρ at the last breakpoint", named=(0.1, 1.0)),
        "from_zero": Choice(["on", "off"], "on", label="from_zero"),
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
        as_given = sched if zero else {0: 1.0, **sched}  # from_zero off = the first value from t = 0
        p = path(END + 60, base="adam", lr=LR, lr_schedule=tuple(sorted(as_given.items())))
        q = path(END + 60, base="adam", lr=LR)
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
