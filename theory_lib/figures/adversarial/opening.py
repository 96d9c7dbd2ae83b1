"""Lesson 12, the opening picture: the worst loss within ε of each input, against loss + ε × slope.

A fixed 1-d classifier gives the loss L(x) of class 1 (a curve with pits). For
each x the worst loss over the interval [x − ε, x + ε] (a sliding maximum on a fine grid), the FGM
guess L(x + ε sign L'(x)) (one step uphill) and the first-order penalty L(x) + ε|L'(x)| are drawn
together: they agree for small ε and part where L bends within ε. One control, ε.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from scipy.ndimage import maximum_filter1d

from theory_lib import adversarial as adv
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider

X_LO, X_HI, POINTS = -3.0, 3.0, 1201
DX = (X_HI - X_LO) / (POINTS - 1)


def score(x: torch.Tensor) -> torch.Tensor:
    """A 1-d classifier's logits (0, f(x)), f(x) = 1.6 sin(2.2 x) + 0.4 x: its class-1 loss softplus(−f) has pits."""
    f = 1.6 * torch.sin(2.2 * x[:, 0]) + 0.4 * x[:, 0]
    return torch.stack([torch.zeros_like(f), f], 1)


@functools.lru_cache(maxsize=1)
@one_cpu_thread()
def loss_curve():
    """x (grid), L(x) and L'(x) for class 1 under ``score``."""
    x = torch.linspace(X_LO, X_HI, POINTS, dtype=torch.float64)[:, None]
    y = torch.ones(POINTS, dtype=torch.long)
    loss = adv.per_sample_losses(score, x, y).detach()
    grad = adv.input_gradient(score, x, y)[:, 0]
    return x[:, 0].numpy(), loss.numpy(), grad.numpy(), score


@functools.lru_cache(maxsize=256)
@one_cpu_thread()
def three_curves(eps: float):
    """(worst loss on [x − ε, x + ε], FGM's L(x + ε sign L'), first order L + ε|L'|) on the grid's interior."""
    x, loss, grad, model = loss_curve()
    k = int(round(eps / DX))
    worst = maximum_filter1d(loss, size=2 * k + 1, mode="nearest")
    shifted = torch.from_numpy(x + eps * np.sign(grad))[:, None]
    fgm = adv.per_sample_losses(model, shifted, torch.ones(len(x), dtype=torch.long)).detach().numpy()
    first = loss + eps * np.abs(grad)
    inside = slice(k, len(x) - k)  # the window stays on the grid
    return x[inside], worst[inside], fgm[inside], first[inside]


class WorstCaseFigure(InteractiveFigure):
    """The worst loss within ε, FGM's one-step guess and the first-order penalty, over x."""

    controls = {"eps": Slider(0.0, 1.0, 0.1, step=0.01, label="attack size ε", named=(0.02, 0.1, 0.5, 1.0))}
    figsize = (9.0, 4.0)

    def build(self):
        x, loss, _, _ = loss_curve()
        self.ax = ax = self.fig.subplots()
        ax.plot(x, loss, color="0.35", lw=1.4, label=self.tr("loss L(x)"))
        (self.worst,) = ax.plot([], [], color="C3", lw=2.2, label=self.tr("worst loss on [x − ε, x + ε]"))
        (self.fgm,) = ax.plot([], [], color="C0", lw=1.4, ls="--", label=self.tr("FGM: L(x + ε sign L′(x))"))
        (self.first,) = ax.plot([], [], color="C2", lw=1.4, ls=":", label=self.tr("first order: L + ε|L′|"))
        ax.set(xlim=(X_LO, X_HI), ylim=(0, 1.05 * max(three_curves(1.0)[1].max(), three_curves(1.0)[3].max())))
        ax.set_xlabel(self.tr("input x"))
        ax.set_ylabel(self.tr("cross-entropy of class 1"))
        ax.legend(loc="upper left", fontsize=8, frameon=False)

    def draw(self, eps):
        x, worst, fgm, first = three_curves(eps)
        self.worst.set_data(x, worst)
        self.fgm.set_data(x, fgm)
        self.first.set_data(x, first)
        scale = max(float(np.max(worst - worst.min())), 1e-12)
        self.fgm_error = float(np.max(worst - fgm)) / scale
        self.first_error = float(np.max(np.abs(worst - first))) / scale
        self.readout = self.tr(
            "ε = {eps:.2f}: over x, the first-order penalty misses the worst loss by at most <b>{first:.1%}</b> of "
            "its range, FGM's one step by at most <b>{fgm:.1%}</b>. Small ε: all three agree; large ε: the loss "
            "bends inside the window, and neither one gradient nor one step sees the top."
        ).format(eps=eps, first=self.first_error, fgm=self.fgm_error)
