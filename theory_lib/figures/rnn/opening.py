"""Lesson 07, the opening picture: a gradient travelling back through the cells of a tanh RNN.

The gradient enters at the last cell, h_T, and is carried back to h_t by ∂h_T/∂h_t =
J_T ⋯ J_{t+1}, J_s = diag(1 - h_s²) U (``theory_lib.rnn.state_jacobians``). Each bar is
log10 ‖∂h_T/∂h_t‖ (rms, ``rnn.log_product_norms``); each cell's square is coloured by how much the
gradient's size changed on its way back through that cell, log10 ‖∂h_T/∂h_{t-1}‖ / ‖∂h_T/∂h_t‖.
One control, the weight scale s of U ~ N(0, s²/H).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize

from theory_lib import rnn
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Slider
from theory_lib.figures.rnn.gradients import HIDDEN, SEED

STEPS = 40  # cells drawn: h_0 .. h_T
Y_LIM = (-20.0, 9.0)  # log10 of the gradient's size: every scale on the slider fits (tests)
GAIN_LIM = 0.6  # colour scale of a cell's factor, log10: ±0.6 is ×4 or ÷4
SCALE_MIN, SCALE_MAX, SCALE_STEP = 0.5, 5.0, 0.05


def inputs() -> torch.Tensor:
    """The fixed input sequence x_1 .. x_T ~ N(0, 1), (STEPS, HIDDEN), seed 1."""
    return torch.randn(STEPS, HIDDEN, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


@functools.lru_cache(maxsize=128)
def backward_sizes(weight_scale: float) -> np.ndarray:
    """log ‖∂h_T/∂h_t‖ (rms, natural log) for t = 0 .. T of the tanh RNN at this weight scale."""
    p = rnn.init_params("rnn-tanh", HIDDEN, weight_scale, seed=SEED)
    J = rnn.state_jacobians("rnn-tanh", inputs(), p).state  # (T, H, H): J_1 .. J_T
    return rnn.log_product_norms(J).numpy()  # (T + 1,)


def survival_scale() -> float:
    """The smallest weight scale on the slider's grid, from 1 up, at which the gradient reaching h_0 is
    no smaller than the one entering h_T (an exercise's setting; scans about 20 cached runs)."""
    k = round((1.0 - SCALE_MIN) / SCALE_STEP)
    grid = (round(SCALE_MIN + j * SCALE_STEP, 10) for j in range(k, round((SCALE_MAX - SCALE_MIN) / SCALE_STEP) + 1))
    return next(s for s in grid if backward_sizes(s)[0] >= 0)


class BackpropFigure(InteractiveFigure):
    """The gradient's size at each cell of a tanh RNN, from the last cell (right) back to the first."""

    controls = {
        "weight_scale": Slider(
            SCALE_MIN,
            SCALE_MAX,
            1.0,
            step=SCALE_STEP,
            label="weight scale s",
            named=(0.5, 1.0, 2.0, 3.0, 5.0, survival_scale()),
        ),
    }
    figsize = (8.6, 4.2)

    def build(self):
        top, ax = self.fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 4]})
        self.top, self.ax = top, ax
        t = np.arange(STEPS + 1)
        self.norm = Normalize(-GAIN_LIM, GAIN_LIM)
        self.cells = top.scatter(
            t[1:], np.zeros(STEPS), c=np.zeros(STEPS), cmap="RdBu_r", norm=self.norm, marker="s", s=70, ec="0.3"
        )
        top.scatter([0], [0], marker="s", s=70, fc="white", ec="0.3")  # h_0: the gradient stops here
        top.set(ylim=(-1, 1.4), yticks=[])
        for side in ("top", "right", "left"):
            top.spines[side].set_visible(False)
        top.set_title(
            self.tr("← the gradient travels back from h_T; each cell: how much it grew (red) or shrank (blue) there"),
            fontsize=9,
        )

        self.bars = PolyCollection([], edgecolors="none")  # one artist for all the bars: a blit draws it once
        ax.add_collection(self.bars)
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set(xlim=(-0.8, STEPS + 0.8), ylim=Y_LIM, xlabel=self.tr("cell t"))
        ax.set_ylabel("log₁₀ ‖∂h_T/∂h_t‖", fontsize=9)
        title = self.tr("size of the gradient arriving at h_t (tanh RNN, H = {hidden}, T = {steps})")
        ax.set_title(title.format(hidden=HIDDEN, steps=STEPS), fontsize=9)

    def draw(self, weight_scale):
        ell = backward_sizes(weight_scale)  # natural log, by t
        self.log10_sizes = ell / math.log(10)
        # index t: the log10 change from h_(t+1) back to h_t, through J_(t+1): drawn on cell t + 1 and bar t
        self.cell_factors = (ell[:-1] - ell[1:]) / math.log(10)
        self.cells.set_array(self.cell_factors)
        lo, hi = Y_LIM
        t, y = np.arange(STEPS + 1), np.clip(self.log10_sizes, lo, hi)
        x0, x1, zero = t - 0.4, t + 0.4, np.zeros_like(y)
        self.bars.set_verts(np.stack([np.c_[x0, zero], np.c_[x0, y], np.c_[x1, y], np.c_[x1, zero]], axis=1))
        self.bars.set_facecolor(self.cells.get_cmap()(self.norm(np.r_[self.cell_factors, 0.0])))
        self.total = float(self.log10_sizes[0])  # log10 ‖∂h_T/∂h_0‖
        self.grew = int((self.cell_factors > 0).sum())
        typical = 10 ** float(np.median(self.cell_factors))
        if self.total < 0:
            text = self.tr(
                "s = {s:.2f}: back through {steps} cells the gradient shrinks to 10^{total:.2f} = {size:.3g} "
                "of its size at h_T; the typical cell multiplies it by {typical:.3g}, and {grew} of {steps} "
                "cells made it larger."
            )
        else:
            text = self.tr(
                "s = {s:.2f}: back through {steps} cells the gradient grows to 10^{total:.2f} = {size:.3g} "
                "of its size at h_T; the typical cell multiplies it by {typical:.3g}, and {grew} of {steps} "
                "cells made it larger."
            )
        self.readout = text.format(
            s=weight_scale, steps=STEPS, total=self.total, size=10**self.total, typical=typical, grew=self.grew
        )
