"""Lesson 01, the opening picture: repeated softmax on the probability simplex for n = 3, and its basins.

Every point of the triangle is a start p_0 = (p_1, p_2, p_3); it is coloured by where
p_{k+1} = softmax(p_k / tau) takes it: to the uniform point (blue) or to a one-hot-like fixed point
(orange). Inside the bistable window 1/3 < tau <= tau*(3) both basins exist, split by the three
saddles (the two-level fixed points with the smaller gap, ``softmax.fixed_point_gaps``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from theory_lib import softmax as sm
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider
from theory_lib.figures.softmax.iterates import ordered

N = 3
TAU_MIN, TAU_MAX, TAU_STEP = 0.2, 0.5, 0.002
H = math.sqrt(3) / 2  # the triangle's height: vertices e1 = (0, 0), e2 = (1, 0), e3 = (1/2, H)
PIXELS = 130  # basin image width; height PIXELS * H
BASIN_STEPS = 150  # decide every pixel but a few on the basins' border (tests/test_softmax_figures.py)
STARTS = torch.tensor(  # trajectories drawn: near the lines p_i = p_j (the blue arms) and off them
    [
        [0.47, 0.45, 0.08],
        [0.08, 0.47, 0.45],
        [0.45, 0.08, 0.47],
        [0.55, 0.3, 0.15],
        [0.2, 0.25, 0.55],
        [0.1, 0.75, 0.15],
    ],
    dtype=torch.float64,
)
TRAJECTORY_STEPS = 40
BLUE, ORANGE = np.array(to_rgba("#56B4E9")), np.array(to_rgba("#E69F00"))  # Okabe & Ito C5 and C1
TINT = 0.35  # basin colours mixed with white


def window_default() -> float:
    """The slider value nearest the middle of the bistable window (1/3, tau*(3)]: the default."""
    middle = 0.5 * (sm.critical_temperature(N) + sm.bistability_temperature(N))
    return round(TAU_MIN + round((middle - TAU_MIN) / TAU_STEP) * TAU_STEP, 6)


def to_plane(p: np.ndarray) -> np.ndarray:
    """Barycentric (..., 3) -> the triangle's plane (..., 2): e1 at (0, 0), e2 at (1, 0), e3 at (1/2, H)."""
    return np.stack([p[..., 1] + 0.5 * p[..., 2], H * p[..., 2]], axis=-1)


def pixel_starts():
    """The simplex points at the basin image's pixel centres: (pixels inside, 3), and the inside mask (rows, cols)."""
    rows = round(PIXELS * H)
    x = (np.arange(PIXELS) + 0.5) / PIXELS
    y = (np.arange(rows) + 0.5) / rows * H
    X, Y = np.meshgrid(x, y)  # (rows, cols)
    p3 = Y / H
    p2 = X - 0.5 * p3
    p = np.stack([1 - p2 - p3, p2, p3], axis=-1)  # (rows, cols, 3)
    inside = (p >= 0).all(axis=-1)
    return torch.from_numpy(p[inside]), inside


def goes_uniform(p: torch.Tensor, temperature: float, steps: int = BASIN_STEPS) -> torch.Tensor:
    """Which starts p (..., 3) repeated softmax takes to the uniform point (bool, (...,)).

    Above tau* the uniform point is the only fixed point and below 1/3 it repels (every start but
    itself leaves it); in the window a start belongs to the uniform point's basin when its spread,
    after ``steps`` steps, is below the saddles' gap."""
    gaps = sm.fixed_point_gaps(temperature, N)
    if not gaps:
        return torch.ones(p.shape[:-1], dtype=torch.bool)
    if temperature <= sm.critical_temperature(N):
        return sm.spread(p) == 0
    with one_cpu_thread("cpu"):  # 3 entries a row: thread handshakes would cost more than the maths
        return sm.spread(sm.last_iterate(p, steps, temperature)) < gaps[0]


@functools.lru_cache(maxsize=64)
def basins(temperature: float) -> tuple[np.ndarray, float]:
    """The basin image (rows, cols, 4) RGBA and the share of the simplex that goes to the uniform point."""
    p, inside = pixel_starts()
    uniform = goes_uniform(p, temperature)
    rgba = np.zeros((*inside.shape, 4))
    colours = np.where(uniform.numpy()[:, None], BLUE, ORANGE)
    rgba[inside] = TINT * colours + (1 - TINT) * np.ones(4)
    rgba[inside, 3] = 1.0
    return rgba, float(uniform.double().mean())


@functools.lru_cache(maxsize=64)
def trajectories(temperature: float) -> np.ndarray:
    """The drawn starts' iterates, (TRAJECTORY_STEPS + 1, starts, 3)."""
    return sm.iterate_softmax(STARTS, TRAJECTORY_STEPS, temperature).numpy()


def vertex_points(d: float) -> np.ndarray:
    """The three two-level points with one high entry and gap d (one per vertex), (3, 3)."""
    p = sm.two_level_point(d, N).numpy()  # high entry first
    return np.stack([np.roll(p, i) for i in range(N)])


class SimplexFigure(InteractiveFigure):
    """Repeated softmax on the triangle of n = 3 probability vectors: basins, trajectories, fixed points."""

    controls = {
        "temperature": Slider(
            TAU_MIN, TAU_MAX, window_default(), step=TAU_STEP, label="temperature τ", named=(0.3, 0.34, 0.4)
        ),
    }
    figsize = (7.6, 4.4)

    def build(self):
        ax = self.ax = self.fig.subplots()
        ax.set_aspect("equal")
        ax.set_axis_off()
        self.image = ax.imshow(np.zeros((2, 2, 4)), extent=(0, 1, 0, H), origin="lower", interpolation="nearest")
        ax.plot([0, 1, 0.5, 0], [0, 0, H, 0], color="0.3", lw=1)
        for (x, y), label, ha in zip(
            ((0, 0), (1, 0), (0.5, H)), ("e₁", "e₂", "e₃"), ("right", "left", "center"), strict=True
        ):
            ax.text(x, y - 0.05 if y == 0 else y + 0.02, label, ha=ha, va="top" if y == 0 else "bottom")
        self.paths = LineCollection([], linewidths=1.2)
        ax.add_collection(self.paths)
        self.steps = ax.scatter([], [], s=5, zorder=3)
        self.starts = ax.scatter([], [], s=28, marker="s", facecolors="white", edgecolors="k", lw=0.8, zorder=4)
        self.attractors = ax.scatter([], [], s=60, color="k", zorder=5)
        (self.saddles,) = ax.plot([], [], "D", ms=6, mfc="white", mec="k", zorder=5)
        (self.repeller,) = ax.plot([], [], "o", ms=8, mfc="white", mec="k", zorder=5)
        ax.set(xlim=(-0.08, 1.08), ylim=(-0.1, H + 0.08))
        tr = self.tr
        ax.set_title(tr("repeated softmax on the simplex, n = 3"), fontsize=10)
        handles = [
            Patch(color=TINT * BLUE + (1 - TINT), label=tr("goes to uniform")),
            Patch(color=TINT * ORANGE + (1 - TINT), label=tr("goes to one-hot-like")),
            Line2D([], [], marker="s", ls="", mfc="white", mec="k", label=tr("start $p_0$")),
            Line2D([], [], marker="o", ls="", color="k", label=tr("attracting point")),
            Line2D([], [], marker="D", ls="", mfc="white", mec="k", label=tr("saddle")),
            Line2D([], [], marker="o", ls="", ms=8, mfc="white", mec="k", label=tr("repelling point")),
        ]
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=9)

    def draw(self, temperature):
        rgba, self.uniform_share = basins(temperature)
        self.image.set_data(rgba)
        p = trajectories(temperature)  # (steps + 1, starts, 3)
        xy = to_plane(p)
        self.goes_uniform = goes_uniform(STARTS, temperature).numpy()  # each start's basin, as in the image
        colours = np.where(self.goes_uniform[:, None], np.array(to_rgba("#0072B2")), np.array(to_rgba("#D55E00")))
        self.paths.set_segments([xy[:, i] for i in range(xy.shape[1])])
        self.paths.set_color(colours)
        self.steps.set_offsets(xy[1:].reshape(-1, 2))
        self.steps.set_color(np.repeat(colours[None], len(p) - 1, axis=0).reshape(-1, 4))
        self.starts.set_offsets(xy[0])

        tau_c = sm.critical_temperature(N)
        self.gaps = sm.fixed_point_gaps(temperature, N)
        centre = to_plane(np.full(N, 1 / N))
        attracting = [to_plane(vertex_points(self.gaps[-1]))] if self.gaps else []
        if temperature > tau_c:
            attracting.append(centre[None])
            self.repeller.set_data([], [])
        else:
            self.repeller.set_data([centre[0]], [centre[1]])
        self.attractors.set_offsets(np.concatenate(attracting) if attracting else np.empty((0, 2)))
        saddles = to_plane(vertex_points(self.gaps[0])) if len(self.gaps) == 2 else np.empty((0, 2))
        self.saddles.set_data(saddles[:, 0], saddles[:, 1])
        self.readout = self._readout(temperature, tau_c, sm.bistability_temperature(N))

    def _readout(self, tau, tau_c, tau_star):
        tr = self.tr
        share = tr("{share:.1%} of the starts go to the uniform point").format(share=self.uniform_share)
        t, c = ordered(tau, tau_c)
        t2, s = ordered(tau, tau_star)
        if tau > tau_star:
            return tr("τ = {t2} &gt; τ* = {s}: the uniform point is the only fixed point; {share}.").format(
                t2=t2, s=s, share=share
            )
        if tau <= tau_c:
            return tr(
                "τ = {t} ≤ 1/3 = {c}: the uniform point repels; every other start goes to a "
                "one-hot-like point (gap {gap:.3f}); {share}."
            ).format(t=t, c=c, gap=self.gaps[-1], share=share)
        return tr(
            "1/3 = {c} &lt; τ = {t}, and τ = {t2} ≤ τ* = {s}: the bistable window; {share}, the rest to "
            "a one-hot-like point (gap {gap:.3f}); the saddles between them have gap {saddle:.3f}."
        ).format(c=c, t=t, t2=t2, s=s, share=share, gap=self.gaps[-1], saddle=self.gaps[0])
