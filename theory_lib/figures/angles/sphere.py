"""Lesson 02, the opening picture: random directions on a sphere, and the band within ε of its equator.

Fix one direction as the north pole. A random direction in R^n makes an angle theta with it whose law
is p_n(theta) ∝ sin^{n-2}(theta) (``angles.sample_angles``); each sampled direction is drawn on an
ordinary sphere at that co-latitude theta and a random longitude. At n = 3 this is exactly a uniform
point on the sphere; for larger n only the co-latitude is faithful, and it crowds into the band
|theta - 90°| < ε, which holds P(|theta - pi/2| < ε) of the directions (``angles.prob_near_orthogonal``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from theory_lib import angles as ag
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

EPS_DEG = 10.0  # the band's half-width
POINTS = 1000  # directions drawn
N_MAX = 2000
TILT = math.radians(20)  # the viewer looks from this elevation above the equator's plane
IN_BAND, OUT_BAND = np.array(to_rgba("#0072B2")), np.array(to_rgba("#D55E00"))  # Okabe & Ito


def project(theta: np.ndarray, phi: np.ndarray):
    """Co-latitude theta, longitude phi on the unit sphere -> the picture's (x, y) and whether the
    point faces the viewer (orthographic view from elevation TILT)."""
    x, y, z = np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)
    return np.stack([x, y * math.sin(TILT) + z * math.cos(TILT)], axis=-1), z * math.sin(TILT) - y * math.cos(TILT) >= 0


def latitude(theta: float, front: bool) -> np.ndarray:
    """The front (or back) half of the circle of co-latitude theta, in the picture, (k, 2)."""
    phi = np.linspace(np.pi, 2 * np.pi, 121) if front else np.linspace(0, np.pi, 121)
    xy, _ = project(np.full_like(phi, theta), phi)
    return xy


@functools.lru_cache(maxsize=64)
def directions(n: int):
    """POINTS sampled directions' co-latitudes (exact law for n) and longitudes (uniform), seed 0."""
    g = torch.Generator().manual_seed(0)
    theta = ag.sample_angles(n, POINTS, method="beta", generator=g, dtype=torch.float64).numpy()
    phi = 2 * np.pi * np.random.default_rng(0).random(POINTS)
    xy, front = project(theta, phi)
    return theta, xy, front


class SphereBandFigure(InteractiveFigure):
    """The opening picture: 1500 random directions of R^n at their angle to a fixed pole, on a sphere,
    and the band within ε = 10° of the equator filling up as n grows; beside it P(band) against n."""

    controls = {
        "n": LogSlider(2, N_MAX, 3, integer=True, label="dimension n", named=(3, 10, 100, 200, 1000)),
    }
    figsize = (10.0, 4.6)

    def build(self):
        ax, ax_p = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.ax, self.ax_p = ax, ax_p
        ax.set_aspect("equal")
        ax.set_axis_off()
        eps = math.radians(EPS_DEG)
        t = np.linspace(0, 2 * np.pi, 241)
        upper, lower = latitude(math.pi / 2 - eps, True), latitude(math.pi / 2 + eps, True)
        ax.add_patch(Polygon(np.concatenate([upper, lower[::-1]]), color="C2", alpha=0.25, lw=0, zorder=0.5))
        # one artist for the outline and the band's edges (front solid, back dotted): each artist costs a move
        rims = [latitude(th, front) for th in (math.pi / 2 - eps, math.pi / 2 + eps) for front in (True, False)]
        ax.add_collection(
            LineCollection(
                [np.c_[np.cos(t), np.sin(t)], *rims],
                colors=["0.3", "C2", "C2", "C2", "C2"],
                linewidths=[1, 1, 0.8, 1, 0.8],
                linestyles=["-", "-", ":", "-", ":"],
            )
        )
        pole, _ = project(np.array([0.0]), np.array([0.0]))
        ax.plot(*pole[0], "k^", ms=8, zorder=4)
        self.back = ax.scatter([], [], s=3, alpha=0.25, lw=0)
        self.front = ax.scatter([], [], s=6, lw=0, zorder=3)
        ax.set(xlim=(-1.1, 1.1), ylim=(-1.12, 1.1))
        tr = self.tr
        ax.set_title(tr("random directions; the band |θ − 90°| < {eps:g}° (green)").format(eps=EPS_DEG), fontsize=10)
        dot = dict(marker="o", ls="", ms=4)
        handles = [
            Line2D([], [], marker="^", ls="", color="k", label=tr("the fixed direction (pole)")),
            Line2D([], [], color=IN_BAND, label=tr("within ε of the equator"), **dot),
            Line2D([], [], color=OUT_BAND, label=tr("outside the band"), **dot),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=3, fontsize=8, frameon=False)

        self.ns = np.unique(np.round(np.logspace(math.log10(2), math.log10(N_MAX), 120)).astype(int))
        curve = ag.prob_near_orthogonal(torch.from_numpy(self.ns), eps).numpy()
        ax_p.plot(self.ns, curve, color="C2", lw=2, label=tr("exact P(|θ − 90°| < ε)"))
        (self.sampled,) = ax_p.plot([], [], "o", color="C1", ms=7, label=tr("share of the drawn points"))
        (self.exact_pt,) = ax_p.plot([], [], "k+", ms=12, mew=1.5, label=tr("exact at this n"))
        ax_p.set(
            xscale="log",
            xlim=(1.7, 1.2 * N_MAX),
            ylim=(0, 1.02),
            xlabel=tr("dimension n"),
            ylabel=tr("share in the band"),
        )
        ax_p.set_title(tr("the band fills up: ε = {eps:g}°").format(eps=EPS_DEG), fontsize=10)
        ax_p.legend(loc="upper left", fontsize=8, frameon=False)

    def draw(self, n):
        theta, xy, front = directions(n)
        self.in_band = np.abs(theta - math.pi / 2) < math.radians(EPS_DEG)
        colours = np.where(self.in_band[:, None], IN_BAND, OUT_BAND)
        self.front.set_offsets(xy[front])
        self.front.set_color(colours[front])
        self.back.set_offsets(xy[~front])
        self.back.set_color(colours[~front])
        self.share = float(self.in_band.mean())
        self.p_band = float(ag.prob_near_orthogonal(n, math.radians(EPS_DEG)))
        self.sampled.set_data([n], [self.share])
        self.exact_pt.set_data([n], [self.p_band])
        self.sd_deg = math.degrees(math.sqrt(ag.angle_variance(n)))
        self.readout = self.tr(
            "n = {n}: exactly <b>{p:.4f}</b> of all directions lie within {eps:g}° of the equator; "
            "{inside} of the {points} drawn ({share:.1%}). "
            "The angle to the pole has standard deviation {sd:.2f}° about 90°."
        ).format(
            n=n,
            p=self.p_band,
            eps=EPS_DEG,
            inside=int(self.in_band.sum()),
            points=POINTS,
            share=self.share,
            sd=self.sd_deg,
        )
