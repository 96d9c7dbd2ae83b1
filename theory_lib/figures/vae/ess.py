"""Lesson 19, why not sample from the prior: the ESS fraction (E w)^2 / E[w^2] against the decoder std s
(log axes), for the prior as proposal and for a proposal with the posterior's variance and its mean off
by delta, each to the power d (d independent latent dimensions). Closed forms from ``theory_lib.vae``.
"""

from __future__ import annotations

import numpy as np

from theory_lib import vae
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider

A, X = 2.0, 1.0
S_GRID = np.geomspace(0.01, 1.0, 300)
BOTTOM = 1e-24  # fixed, so that a move never relayouts; values below it are written at the bottom


def ess(s, d: int, delta: float | None = None) -> np.ndarray:
    """ESS fraction of the prior (delta None) or of N(mu + delta, sigma^2), to the power d."""
    if delta is None:
        one = vae.ess_fraction(X, A, s)
    else:
        mu, var = vae.linear_gaussian_posterior(X, A, s)
        one = vae.ess_fraction(X, A, s, mu + delta, var)
    return one.numpy() ** d


class VaeEssFigure(InteractiveFigure):
    """ESS fraction against s for the prior and a shifted posterior, d dimensions."""

    controls = {
        "s": LogSlider(0.01, 1.0, 0.1, label="decoder std s", named=(0.01, 0.05, 0.1, 0.2, 0.5, 1.0)),
        "d": LogSlider(1, 100, 1, integer=True, label="latent dimension d", named=(1, 10, 100)),
        "delta": Slider(0.0, 0.2, 0.05, step=0.01, label="posterior mean missed by δ", named=(0.0, 0.05)),
    }
    figsize = (8.0, 4.2)

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.s_grid = S_GRID
        (self.prior,) = ax.plot([], [], color="tab:red", lw=2, label=self.tr("proposal = prior N(0, 1)"))
        (self.off,) = ax.plot([], [], color="tab:blue", lw=2, label=self.tr("proposal = posterior, mean off by δ"))
        (self.dots,) = ax.plot([], [], "o", color="black", ms=6)
        self.marker = ax.axvline(0.1, color="0.5", lw=1, ls="--")
        self.below = ax.text(0.02, 0.03, "", transform=ax.transAxes, ha="left", va="bottom", fontsize=9)
        ax.set(xscale="log", yscale="log", xlim=(S_GRID[0], S_GRID[-1]), ylim=(BOTTOM, 3.0))
        ax.set(xlabel=self.tr("decoder std s"), ylabel=self.tr("ESS fraction (E w)² / E[w²]"))
        ax.legend(loc="lower right", fontsize=9, frameon=False)
        self.title = ax.text(0.5, 1.01, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)

    def draw(self, s, d, delta):
        floor = 1e-300
        self.prior.set_data(S_GRID, np.maximum(ess(S_GRID, d), floor))
        self.off.set_data(S_GRID, np.maximum(ess(S_GRID, d, delta), floor))
        self.ess_prior = float(ess(s, d))
        self.ess_off = float(ess(s, d, delta))
        self.marker.set_xdata([s, s])
        self.dots.set_data([s, s], [max(self.ess_prior, BOTTOM), max(self.ess_off, BOTTOM)])
        low = [f"{v:.2g}" for v in (self.ess_prior, self.ess_off) if v < BOTTOM]
        self.below.set_text(self.tr("below the axis: {values}").format(values=", ".join(low)) if low else "")
        self.title.set_text(self.tr("a = 2, x = 1, d = {d}, δ = {delta:.2f}").format(d=d, delta=delta))
        self.readout = self.tr(
            "s = {s:g}, d = {d}: ESS fraction {p:.3g} with the prior as proposal (1 useful draw in {ip:.3g}); "
            "{o:.3g} with the posterior's width and its mean off by δ = {delta:.2f}."
        ).format(s=s, d=d, p=self.ess_prior, ip=1 / max(self.ess_prior, 1e-300), o=self.ess_off, delta=delta)
