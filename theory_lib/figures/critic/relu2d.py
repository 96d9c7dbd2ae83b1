"""Lesson 18's synthesis: a seeded 2-D ReLU critic on [−3, 3]² and everything gradient normalisation does to it.

Six heat maps on an 81² grid: the critic c·D (its colour scale fixed, so it fades or saturates as c
moves), D/‖∇D‖, the ICCV form D̂ = D/(‖∇D‖ + |D|), ‖∇D̂‖ by double backprop (the in-region value
(1 + |t|)⁻² ≤ 1), ‖∇D̂‖ by finite differences on the grid (the seams along region boundaries, above 1),
and Su's control ⟨∇D/‖∇D‖, x⟩ minus D/‖∇D‖ (zero without biases). D and ∇D come from
``theory_lib.critic.critic_gradient`` once per (width, seed, biases); the scale c multiplies both.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import critic as cr
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

N, HALF = 81, 3.0
AXIS = np.linspace(-HALF, HALF, N)
STEP = AXIS[1] - AXIS[0]
EXTENT = (-HALF, HALF, -HALF, HALF)


@functools.lru_cache(maxsize=64)
def fields(width: int, seed: int, bias: bool):
    """(x (N², 2), D (N²,), ∇D (N², 2)) of the seeded 2-width-width-1 ReLU critic, detached, float64."""
    gx, gy = np.meshgrid(AXIS, AXIS)  # rows: y, columns: x
    x = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float64)
    net = cr.relu_critic([2, width, width, 1], bias=bias, generator=torch.Generator().manual_seed(seed))
    d, g = cr.critic_gradient(net, x)
    return x, d.detach(), g.detach()


@functools.lru_cache(maxsize=64)
def pieces(width: int, seed: int, bias: bool) -> int:
    """How many linear pieces of the critic the grid meets (distinct values of ∇D)."""
    return len(np.unique(np.round(fields(width, seed, bias)[2].numpy(), 9), axis=0))


def colours(values: np.ndarray, cmap, lo: float, hi: float) -> np.ndarray:
    """RGBA bytes of a field under a fixed colour scale (a 256-entry lookup, faster than a norm per draw)."""
    k = np.clip(((values - lo) / (hi - lo) * 255).round(), 0, 255).astype(np.intp)
    return cmap[k]


def grid_gradient_norm(values: np.ndarray) -> np.ndarray:
    """‖∇‖ of a (N, N) field by one-sided differences between neighbouring grid points (np.gradient)."""
    gy, gx = np.gradient(values, STEP)
    return np.hypot(gx, gy)


PANELS = {  # name: (colour map, vmin, vmax)
    "d": ("RdBu_r", -5.0, 5.0),
    "plain": ("RdBu_r", -4.0, 4.0),
    "iccv": ("RdBu_r", -1.0, 1.0),
    "auto": ("viridis", 0.0, 2.0),
    "fd": ("viridis", 0.0, 2.0),
    "su": ("PuOr", -2.0, 2.0),
}


class CriticReluFigure(InteractiveFigure):
    """Heat maps of a 2-D ReLU critic, its normalised forms, their gradient norms and Su's control."""

    controls = {
        "width": Slider(8, 64, 32, step=8, integer=True, label="hidden width", named=(32,)),
        "seed": Slider(0, 9, 0, integer=True, label="seed", named=(0,)),
        "scale": LogSlider(0.01, 100.0, 1.0, label="critic scale c", named=(0.01, 1.0, 100.0)),
        "bias": Choice(["on", "off"], "on", label="biases"),
    }
    figsize = (10.5, 6.6)

    def build(self):
        import matplotlib as mpl

        axes = self.fig.subplots(2, 3).ravel()
        self.images, self.luts = {}, {}
        blank = np.zeros((N, N, 4), dtype=np.uint8)
        titles = {
            "d": self.tr("the critic c·D"),
            "plain": "D/‖∇D‖",
            "iccv": self.tr("ICCV D̂ = D/(‖∇D‖ + |D|)"),
            "auto": self.tr("‖∇D̂‖ by autograd"),
            "fd": self.tr("‖∇D̂‖ by finite differences"),
            "su": self.tr("Su's control − D/‖∇D‖"),
        }
        for ax, (key, (cmap, lo, hi)) in zip(axes, PANELS.items(), strict=True):
            self.images[key] = ax.imshow(blank, origin="lower", extent=EXTENT, interpolation="nearest")
            self.luts[key] = (mpl.colormaps[cmap](np.linspace(0, 1, 256), bytes=True), lo, hi)
            ax.set_title(titles[key], fontsize=9.5)
            ax.set(xticks=[-3, 0, 3], yticks=[-3, 0, 3])
            scale = mpl.cm.ScalarMappable(mpl.colors.Normalize(lo, hi), cmap)
            self.fig.colorbar(scale, ax=ax, shrink=0.85, pad=0.03)

    def draw(self, width, seed, scale, bias):
        x, d, g = fields(width, seed, bias == "on")
        d, g = scale * d, scale * g
        plain = cr.normalize_values(d, g, form="plain")
        iccv = cr.normalize_values(d, g, form="iccv")
        su = cr.normalize_values(d, g, x, form="direction")
        auto = cr.in_region_gradient_norm(d, g, form="iccv")
        maps = {"d": d, "plain": plain, "iccv": iccv, "auto": auto, "su": su - plain}
        maps = {k: v.numpy().reshape(N, N) for k, v in maps.items()}
        maps["fd"] = grid_gradient_norm(maps["iccv"])
        for key, image in self.images.items():
            image.set_data(colours(maps[key], *self.luts[key]))
        self.maps = maps
        self.max_auto, self.max_fd = float(maps["auto"].max()), float(maps["fd"].max())
        self.seam_share = float((maps["fd"] > 1).mean())
        self.su_gap = float(np.abs(maps["su"]).max())
        self.max_iccv = float(np.abs(maps["iccv"]).max())
        self.regions = pieces(width, seed, bias == "on")
        self.readout = self.tr(
            "Width {w}, seed {s}, biases {b}, c = {c:g}: {r} linear pieces on the grid, max |c·D| = {dm:.3g}. "
            "ICCV: max |D̂| = {m:.4f}, "
            "max ‖∇D̂‖ by autograd {a:.4f} (≤ 1 in every region), by finite differences {f:.2f} ({p:.1%} of the grid "
            "above 1: the seams). Su's control differs from D/‖∇D‖ by up to {u:.3g}."
        ).format(
            w=width,
            dm=float(np.abs(maps["d"]).max()),
            s=seed,
            b=self.tr("on") if bias == "on" else self.tr("off"),
            c=scale,
            r=self.regions,
            m=self.max_iccv,
            a=self.max_auto,
            f=self.max_fd,
            p=self.seam_share,
            u=self.su_gap,
        )
