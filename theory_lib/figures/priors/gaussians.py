"""Lesson 14, two Gaussians N(−μ, 1) (majority, prior 1 − π₁) and N(+μ, 1) (minority, prior π₁).

``PriorGaussianFigure`` (the opening picture, τ on one slider, π₁ = 0.1, μ = 1): left, the two classes'
weighted densities π(y)p(x|y) with the τ-adjusted threshold t(τ) and the misclassified mass shaded; right,
the balanced error and the plain error against τ, with a marker at τ. ``PriorHeatmapFigure``: the balanced
error over (τ_train, τ_post) in closed form, its valley τ_train + τ_post = 1, and a marker at the chosen
pair. Everything is closed form (``priors.gaussian_threshold``, ``priors.gaussian_errors``).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats

from theory_lib import priors as pr
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider

PI1, MU = 0.1, 1.0  # the note's toy
X = np.linspace(-4.5, 4.5, 361)
TAUS = np.linspace(-0.5, 2.5, 301)
TAU_SLIDER = Slider(-0.5, 2.5, 1.0, step=0.1, label="adjustment τ", named=(0.0, 1.0, 2.0))


def errors_at(tau: float, pi1: float = PI1, mu: float = MU):
    """(t, BER, err) of the τ-adjusted rule."""
    t = pr.gaussian_threshold(pi1, tau, mu)
    return (t, *pr.gaussian_errors(t, pi1, mu))


def curves(pi1: float = PI1, mu: float = MU):
    """BER and err against TAUS."""
    t = torch.tensor((1 - TAUS) * pr.gaussian_threshold(pi1, 0.0, mu))  # t(τ) is linear in 1 − τ
    ber, err = pr.gaussian_errors(t, pi1, mu)
    return ber.numpy(), err.numpy()


class PriorGaussianFigure(InteractiveFigure):
    """Two Gaussians, the τ-adjusted threshold, and the two errors against τ."""

    controls = {"tau": TAU_SLIDER}
    figsize = (10.0, 3.8)

    def build(self):
        ax, ax_e = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        self.ax, self.ax_e = ax, ax_e
        d0, d1 = (1 - PI1) * stats.norm.pdf(X, -MU), PI1 * stats.norm.pdf(X, MU)
        self.d0, self.d1 = d0, d1
        ax.plot(X, d0, color="C0", lw=1.6, label=self.tr("majority: (1 − π₁) N(−μ, 1)"))
        ax.plot(X, d1, color="C3", lw=1.6, label=self.tr("minority: π₁ N(+μ, 1)"))
        self.line = ax.axvline(0.0, color="k", lw=1.2, label=self.tr("threshold t(τ)"))
        self.fill0 = ax.fill_between(X, 0, 0, color="C0", alpha=0.3)
        self.fill1 = ax.fill_between(X, 0, 0, color="C3", alpha=0.3)
        ax.set(xlim=(X[0], X[-1]), ylim=(0, 0.42), xlabel="x", ylabel=self.tr("p(y) p(x|y)"))
        ax.set_title(self.tr("π₁ = {pi1:g}, μ = {mu:g}: class 1 when x > t(τ)").format(pi1=PI1, mu=MU), fontsize=9)
        ax.legend(loc="upper right", fontsize=7.5, frameon=False)
        ber, err = curves()
        ax_e.plot(TAUS, ber, color="C2", lw=1.6, label=self.tr("balanced error"))
        ax_e.plot(TAUS, err, color="C1", lw=1.6, label=self.tr("plain error"))
        (self.marks,) = ax_e.plot([], [], "o", color="k", ms=5)
        self.vline = ax_e.axvline(1.0, color="0.4", lw=0.8, ls=":")
        ax_e.set(xlim=(TAUS[0], TAUS[-1]), ylim=(0, 0.5), xlabel="τ")
        ax_e.set_title(self.tr("errors of the τ-adjusted rule"), fontsize=9)
        ax_e.legend(loc="upper center", fontsize=7.5, frameon=False)

    def _shade(self, t):
        """The misclassified mass: majority right of t, minority left of t (one polygon each, moved in place)."""
        for fill, density, side in ((self.fill0, self.d0, X > t), (self.fill1, self.d1, X < t)):
            xs = np.r_[t, X[side]] if side[-1] else np.r_[X[side], t]
            ys = np.interp(xs, X, density)
            fill.set_verts([np.c_[np.r_[xs[0], xs, xs[-1]], np.r_[0.0, ys, 0.0]]])

    def draw(self, tau):
        t, ber, err = errors_at(tau)
        self.t, self.ber, self.err = t, ber, err
        self.line.set_xdata([t, t])
        self._shade(t)
        self.marks.set_data([tau, tau], [ber, err])
        self.vline.set_xdata([tau, tau])
        self.readout = self.tr(
            "τ = {tau:g}: threshold t = {t:.3f}; balanced error <b>{ber:.4f}</b>, plain error <b>{err:.4f}</b> "
            "(least balanced error at τ = 1: {ber1:.4f}; least plain error at τ = 0: {err0:.4f})."
        ).format(tau=tau, t=t, ber=ber, err=err, ber1=errors_at(1.0)[1], err0=errors_at(0.0)[2])


class PriorHeatmapFigure(InteractiveFigure):
    """Balanced error over τ_train × τ_post: the valley τ_train + τ_post = 1, and adjusting twice."""

    controls = {
        "pi1": Slider(0.02, 0.5, PI1, step=0.02, label="minority prior π₁", named=(0.1, 0.02)),
        "tau_train": Slider(-0.5, 2.0, 1.0, step=0.1, label="τ_train (in the loss)", named=(0.0, 1.0)),
        "tau_post": Slider(-0.5, 2.0, 1.0, step=0.1, label="τ_post (after training)", named=(0.0, 1.0)),
    }
    figsize = (6.4, 5.0)
    GRID = np.linspace(-0.5, 2.0, 101)

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.image = ax.imshow(
            np.zeros((2, 2)), origin="lower", extent=(-0.5, 2.0, -0.5, 2.0), cmap="viridis", vmin=0, vmax=0.5
        )
        self.fig.colorbar(self.image, ax=ax, label=self.tr("balanced error"))
        ax.plot([-0.5, 1.5], [1.5, -0.5], color="C1", lw=1.5, ls="--", label=self.tr("valley τ_train + τ_post = 1"))
        (self.mark,) = ax.plot([], [], "o", color="r", ms=7, mec="w", label=self.tr("chosen (τ_train, τ_post)"))
        ax.set(xlabel="τ_train", ylabel="τ_post")
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8, frameon=False
        )  # outside: the image is redrawn over the axes
        ax.set_title(self.tr("two Gaussians N(∓1, 1); dashed: τ_train + τ_post = 1"), fontsize=9)

    def draw(self, pi1, tau_train, tau_post):
        total = self.GRID[None, :] + self.GRID[:, None]  # rows τ_post, columns τ_train
        t = torch.tensor((1 - total) * pr.gaussian_threshold(pi1, 0.0, MU))  # t(τ) is linear in 1 − τ
        self.image.set_data(pr.gaussian_errors(t, pi1, MU)[0].numpy())
        self.mark.set_data([tau_train], [tau_post])
        self.t, self.ber, self.err = errors_at(tau_train + tau_post, pi1)
        self.best = errors_at(1.0, pi1)[1]
        self.readout = self.tr(
            "π₁ = {pi1:g}; τ_train = {a:g}, τ_post = {b:g} act as τ = {s:g}: threshold {t:.3f}, "
            "balanced error <b>{ber:.4f}</b> (on the valley τ_train + τ_post = 1: {best:.4f}), plain error {err:.4f}."
        ).format(
            pi1=pi1,
            a=tau_train,
            b=tau_post,
            s=round(tau_train + tau_post, 10),
            t=self.t,
            ber=self.ber,
            best=self.best,
            err=self.err,
        )
