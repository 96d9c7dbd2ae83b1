"""Lesson 13, the valley L(u, v) = ½(1 + v²)u²: plain descent stops at a sharp minimum, flooding drifts to a flat one.

Every point u = 0 is a minimum, with sharpness 1 + v². Left: the level sets in the (v, u) plane, the
level L = b, and the paths of plain descent (b = 0) and of descent on |L − b| + b, both from (u, v) =
(1, v₀). Middle: the sharpness 1 + v² along the steps. Right: the loss along the steps. Every path
on the sliders' grid is computed once, at the first build, by ``flooding.flood_valleys`` (all
settings at once, about a second); a move only picks rows. ``OpeningFigure`` is the same picture
with b alone on a slider.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import flooding as fl
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider

U0 = 1.0
B_STEP, B_MAX = 0.025, 0.3
LR_STEP, LR_MAX = 0.025, 0.2
V_MIN, V_STEP, V_MAX = 0.5, 0.25, 2.5
MAX_STEPS = 20_000
ARTICLE = {"b": 0.1, "lr": 0.05, "v0": 2.0, "steps": MAX_STEPS}  # the note's run
STEPS_SLIDER = LogSlider(10, MAX_STEPS, MAX_STEPS, integer=True, label="steps (log scale)", named=(100, 1000, 20000))
B_VALUES = np.round(np.arange(0, B_MAX + B_STEP / 2, B_STEP), 10)
LR_VALUES = np.round(np.arange(LR_STEP, LR_MAX + LR_STEP / 2, LR_STEP), 10)
V_VALUES = np.round(np.arange(V_MIN, V_MAX + V_STEP / 2, V_STEP), 10)
LOSS_FLOOR = 1e-8  # the loss panel's bottom


def _index(values: np.ndarray, v: float) -> int | None:
    """v's index in a slider's grid, None when v lies between its values (set from code)."""
    i = int(np.argmin(np.abs(values - v)))
    return i if abs(values[i] - v) <= 1e-9 else None


@functools.lru_cache(maxsize=1)
def kept_steps() -> np.ndarray:
    """The step indices stored for drawing: every step to 200, then about 400 log-spaced ones, and
    every value of the steps slider."""
    dense = set(range(201)) | set(np.unique(np.geomspace(200, MAX_STEPS, 400).astype(int)).tolist())
    return np.array(sorted(dense | set(STEPS_SLIDER.grid())))


@functools.lru_cache(maxsize=1)
def valley_paths() -> np.ndarray:
    """(kept, b, lr, v0, 2): the path at every setting on the sliders' grid (b = 0: plain descent)."""
    f64 = dict(dtype=torch.float64)
    b = torch.tensor(B_VALUES, **f64)[:, None, None]
    lr = torch.tensor(LR_VALUES, **f64)[None, :, None]
    v0 = torch.tensor(V_VALUES, **f64)[None, None, :]
    keep = kept_steps().tolist()
    return fl.flood_valleys(U0, v0, b=b, lr=lr, steps=MAX_STEPS, keep=keep).numpy()


def valley_path(b: float, lr: float, v0: float, steps: int) -> np.ndarray:
    """The stored points of one path up to ``steps``: (k, 2) of (u, v), and their step indices."""
    k = kept_steps()
    n = int(np.searchsorted(k, steps, side="right"))
    at = (_index(B_VALUES, b), _index(LR_VALUES, lr), _index(V_VALUES, v0))
    path = valley_paths()[:n, at[0], at[1], at[2]] if None not in at else off_grid_path(b, lr, v0)[:n]
    return path, k[:n]


@functools.lru_cache(maxsize=32)
def off_grid_path(b: float, lr: float, v0: float) -> np.ndarray:
    """The kept points of a path whose setting is off the sliders' grid (set from code): computed on demand."""
    return fl.flood_valley(U0, v0, b=b, lr=lr, steps=MAX_STEPS).numpy()[kept_steps()]


def loss_of(path: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + path[:, 1] ** 2) * path[:, 0] ** 2


class ValleyFigure(InteractiveFigure):
    """The valley: level sets with the plain and flooded paths, their sharpness and loss along the steps."""

    controls = {
        "b": Slider(0.0, B_MAX, ARTICLE["b"], step=B_STEP, label="flood level b", named=(0.0, 0.1, 0.2)),
        "lr": Slider(LR_STEP, LR_MAX, ARTICLE["lr"], step=LR_STEP, label="learning rate ε", named=(0.05, 0.1, 0.2)),
        "steps": STEPS_SLIDER,
        "v0": Slider(V_MIN, V_MAX, ARTICLE["v0"], step=V_STEP, label="start v₀", named=(1.0, 2.0)),
    }
    figsize = (11.0, 3.9)

    def build(self):
        ax, ax_s, ax_l = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1, 1]})
        self.ax, self.ax_s, self.ax_l = ax, ax_s, ax_l
        v = np.linspace(-0.3, 2.7, 241)
        for level in (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2):
            u = np.sqrt(2 * level / (1 + v**2))
            ax.plot(v, u, color="0.82", lw=0.8, zorder=0)
        ax.axhline(0, color="0.35", lw=1.2, zorder=0)
        self.v_grid = v
        (self.level,) = ax.plot([], [], color="C1", lw=1.0, ls="--", label=self.tr("level L = b"))
        (self.plain,) = ax.plot([], [], color="C0", lw=1.6, label=self.tr("plain descent (b = 0)"))
        (self.flood,) = ax.plot([], [], color="C3", lw=1.0, label=self.tr("flooding at b"))
        (self.start,) = ax.plot([], [], "o", color="k", ms=5)
        (self.ends,) = ax.plot([], [], "s", color="k", ms=4, zorder=5)
        ax.set(xlim=(-0.3, 2.7), ylim=(-0.05, 1.1), xlabel=self.tr("v (along the valley)"), ylabel="u")
        ax.set_title(self.tr("L = ½(1 + v²)u²: minima at u = 0, sharpness 1 + v²"), fontsize=9)
        ax.legend(loc="upper left", fontsize=7.5, frameon=False)

        ax_s.axhline(1.0, color="0.5", lw=0.8, ls=":")
        (self.s_plain,) = ax_s.plot([], [], color="C0", lw=1.6)
        (self.s_flood,) = ax_s.plot([], [], color="C3", lw=1.2)
        ax_s.set(xscale="log", xlim=(1, MAX_STEPS), ylim=(0.8, 1 + V_MAX**2 + 0.3), xlabel=self.tr("step"))
        ax_s.set_title(self.tr("sharpness 1 + v²"), fontsize=9)

        (self.l_plain,) = ax_l.plot([], [], color="C0", lw=1.6)
        (self.l_flood,) = ax_l.plot([], [], color="C3", lw=1.0)
        (self.l_b,) = ax_l.plot([], [], color="C1", lw=1.0, ls="--")
        ax_l.set(xscale="log", yscale="log", xlim=(1, MAX_STEPS), ylim=(LOSS_FLOOR, 10), xlabel=self.tr("step"))
        ax_l.set_title(self.tr("loss L"), fontsize=9)
        self.marks = [a.axvline(MAX_STEPS, color="0.4", lw=0.8) for a in (ax_s, ax_l)]

    def draw(self, b, lr, steps, v0):
        plain, k = valley_path(0.0, lr, v0, steps)
        flood, _ = valley_path(b, lr, v0, steps)
        u_level = np.sqrt(2 * b / (1 + self.v_grid**2))
        self.level.set_data(self.v_grid, u_level)
        self.plain.set_data(plain[:, 1], plain[:, 0])
        self.flood.set_data(flood[:, 1], flood[:, 0])
        self.start.set_data([v0], [U0])
        self.ends.set_data([plain[-1, 1], flood[-1, 1]], [plain[-1, 0], flood[-1, 0]])
        x = np.maximum(k, 1)  # step 0 drawn at 1 on the log axis
        self.s_plain.set_data(x, 1 + plain[:, 1] ** 2)
        self.s_flood.set_data(x, 1 + flood[:, 1] ** 2)
        self.l_plain.set_data(x, np.maximum(loss_of(plain), LOSS_FLOOR))
        self.l_flood.set_data(x, np.maximum(loss_of(flood), LOSS_FLOOR))
        self.l_b.set_data([1, MAX_STEPS], [max(b, LOSS_FLOOR)] * 2)
        for m in self.marks:
            m.set_xdata([steps, steps])
        self.sharp_plain = float(1 + plain[-1, 1] ** 2)
        self.sharp_flood = float(1 + flood[-1, 1] ** 2)
        self.loss_plain, self.loss_flood = float(loss_of(plain)[-1]), float(loss_of(flood)[-1])
        self.v_plain, self.v_flood = float(plain[-1, 1]), float(flood[-1, 1])
        self.readout = self.tr(
            "After {steps:,} steps at ε = {lr:g} from (u, v) = (1, {v0:g}): plain descent sits at v = {v_plain:.3f}, "
            "sharpness <b>{sharp_plain:.3f}</b>, loss {loss_plain:.2e}; flooding at b = {b:g} sits at "
            "v = {v_flood:.3f}, sharpness <b>{sharp_flood:.3f}</b>, loss {loss_flood:.3g}."
        ).format(
            steps=steps,
            lr=lr,
            v0=v0,
            b=b,
            v_plain=self.v_plain,
            sharp_plain=self.sharp_plain,
            loss_plain=self.loss_plain,
            v_flood=self.v_flood,
            sharp_flood=self.sharp_flood,
            loss_flood=self.loss_flood,
        )


class OpeningFigure(ValleyFigure):
    """The opening picture: the valley at the note's settings, the flood level b on the one slider."""

    controls = {"b": ValleyFigure.controls["b"]}

    def draw(self, b):
        super().draw(b=b, lr=ARTICLE["lr"], steps=ARTICLE["steps"], v0=ARTICLE["v0"])
