"""Lesson 07, a figure beside step 2: the bound ‖∂h_T/∂h_t‖₂ ≤ ‖U‖₂^(T-t) against the real products.

Both sides of the inequality on one log axis, against the lag k = T - t: the bound k log10 ‖U‖₂ and
log10 ‖J_T ⋯ J_{t+1}‖₂ for the tanh RNN (J_s = diag(1 - h_s²) U) and the relu RNN (J_s =
diag(1[pre > 0]) U), run on the opening picture's inputs with the same U (``rnn.init_params`` draws
the same weights for both cells). The weight scale s is the slider.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import rnn
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider
from theory_lib.figures.rnn.gradients import HIDDEN, SEED
from theory_lib.figures.rnn.opening import SCALE_MAX, SCALE_MIN, SCALE_STEP, STEPS, inputs

Y_LIM = (-20.0, 45.0)  # log10: the bound at s = 5 reaches about 40 decades at lag 40 (tests)


@functools.lru_cache(maxsize=128)
def bound_sides(weight_scale: float) -> dict:
    """By lag k = 0..T (numpy, log10): the bound k log10 ‖U‖₂ and the spectral norms of the products."""
    out = {}
    for cell in ("rnn-tanh", "rnn-relu"):
        p = rnn.init_params(cell, HIDDEN, weight_scale, seed=SEED)
        J = rnn.state_jacobians(cell, inputs(), p).state
        out[cell] = torch.flip(rnn.log_product_norms(J, norm="spectral"), [0]).numpy() / math.log(10)
    norm_u = torch.linalg.matrix_norm(p["weight_hh"], ord=2).item()
    out["norm_u"] = norm_u
    out["bound"] = np.arange(STEPS + 1) * math.log10(norm_u)
    return out


class BoundFigure(InteractiveFigure):
    """Step 2: the two sides of ‖∂h_T/∂h_t‖₂ ≤ ‖U‖₂^(T-t), for tanh and relu, against the lag."""

    controls = {
        "weight_scale": Slider(
            SCALE_MIN, SCALE_MAX, 1.0, step=SCALE_STEP, label="weight scale s", named=(0.5, 1.0, 3.0, 5.0)
        ),
    }
    figsize = (6.4, 4.0)

    def build(self):
        ax = self.ax = self.fig.subplots()
        (self.bound,) = ax.plot([], [], "--", color="C3", lw=1.8, label=self.tr(r"bound $\|U\|_2^{\,k}$"))
        (self.tanh,) = ax.plot([], [], "-o", color="C0", ms=3, label="tanh: ‖∂h_T/∂h_(T−k)‖₂")
        (self.relu,) = ax.plot([], [], "-s", color="C1", ms=3, label="relu: ‖∂h_T/∂h_(T−k)‖₂")
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.set(xlim=(0, STEPS), ylim=Y_LIM, xlabel=self.tr("lag k = T − t (steps)"), ylabel=self.tr("log₁₀ norm"))
        ax.set_title(self.tr("step 2: the bound and the real product"), fontsize=10)
        ax.legend(loc="upper left", fontsize=8, frameon=False)

    def draw(self, weight_scale):
        sides = bound_sides(weight_scale)
        k = np.arange(STEPS + 1)
        lo, hi = Y_LIM
        for line, y in ((self.bound, sides["bound"]), (self.tanh, sides["rnn-tanh"]), (self.relu, sides["rnn-relu"])):
            line.set_data(k, np.clip(y, lo - 1, hi + 1))
        self.norm_u = sides["norm_u"]
        self.slack = {cell: float(np.min(sides["bound"] - sides[cell])) for cell in ("rnn-tanh", "rnn-relu")}
        self.gap = {cell: float(sides["bound"][-1] - sides[cell][-1]) for cell in ("rnn-tanh", "rnn-relu")}
        self.ends = {cell: float(sides[cell][-1]) for cell in ("rnn-tanh", "rnn-relu")}
        if min(self.slack.values()) >= -1e-9:
            holds = self.tr(" The bound holds at every lag.")
        else:
            holds = self.tr(" The bound is violated at every lag.")
        self.readout = self.tr(
            "s = {s:.2f}: ‖U‖₂ = {norm:.3f}. At lag {steps} the bound allows 10^{bound:.1f}; tanh's product is "
            "10^{tanh:.1f} ({tanh_gap:.1f} decades below), relu's 10^{relu:.1f} ({relu_gap:.1f} below).{holds}"
        ).format(
            s=weight_scale,
            norm=self.norm_u,
            steps=STEPS,
            bound=sides["bound"][-1],
            tanh=self.ends["rnn-tanh"],
            tanh_gap=self.gap["rnn-tanh"],
            relu=self.ends["rnn-relu"],
            relu_gap=self.gap["rnn-relu"],
            holds=holds,
        )
