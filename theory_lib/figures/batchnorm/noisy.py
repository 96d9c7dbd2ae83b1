"""Lesson 06, Santurkar et al.'s noisy-BN experiment: more covariate shift, and training as good as BN's.

Three MLPs on the lesson's teacher task (input mean 3), trained by SGD from the same weights on the
same batches (``batchnorm.noisy_bn_run``): no BN, BN, and BN followed by a random per-unit affine
distortion of strength ν drawn afresh at every step. Left: the training loss (a running mean of
10 steps); right: how far each hidden layer's output distribution moves per step (log scale).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from matplotlib.lines import Line2D

from theory_lib import batchnorm as bnm
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.batchnorm.landscapes import teacher_data
from theory_lib.figures.controls import Slider

NAMES = {"none": "no BN", "bn": "BN", "noisy": "noisy BN"}
COLORS = {"none": "C3", "bn": "C0", "noisy": "C2"}
SHIFT_LIM, LOSS_LIM = (1e-5, 10.0), (0.03, 3.0)  # fixed: a change of ν blits


@functools.lru_cache(maxsize=8)
def noisy_run(variant: str, noise: float = 0.5):
    """One cached run at the lesson's setting (lr 0.05, 150 steps, batch 64, seed 0); ν only acts on "noisy"."""
    x, y = teacher_data(3.0)
    return bnm.noisy_bn_run(x.double().cpu(), y.double().cpu(), variant, noise=noise if variant == "noisy" else 1.0)


def running_mean(v, width: int = 10) -> np.ndarray:
    """The mean of the last ``width`` values at each step (fewer at the start)."""
    c = np.cumsum(np.r_[0.0, np.asarray(v, dtype=float)])
    k = np.arange(1, len(v) + 1)
    return (c[k] - c[np.maximum(k - width, 0)]) / np.minimum(k, width)


class NoisyBNFigure(InteractiveFigure):
    """Training loss and per-step distribution shift for no BN, BN and noisy BN: ν on one control."""

    # two settings, on a slider as the browser sweep expects of every figure
    controls = {"noise": Slider(0.5, 1.0, 0.5, step=0.5, label="noise strength ν")}
    figsize = (9.0, 3.6)
    continuous = False  # a new ν trains one network (about a second)

    def build(self):
        ax_l, ax_s = self.ax_loss, self.ax_shift = self.fig.subplots(1, 2)
        self.loss_lines = {v: ax_l.plot([], [], color=COLORS[v], lw=1.5)[0] for v in NAMES}
        self.shift_lines = {v: ax_s.plot([], [], color=COLORS[v], lw=1.0)[0] for v in NAMES}
        ax_l.set(
            yscale="log",
            ylim=LOSS_LIM,
            xlabel=self.tr("training step"),
            title=self.tr("training loss (mean of 10 steps)"),
        )
        ax_s.set(
            yscale="log", ylim=SHIFT_LIM, xlabel=self.tr("training step"), title=self.tr("covariate shift per step")
        )
        names = {"none": self.tr("no BN"), "bn": "BN", "noisy": self.tr("noisy BN")}  # NAMES, in this language
        handles = [Line2D([], [], color=COLORS[v], lw=1.5, label=names[v]) for v in NAMES]
        self.fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)

    def compute(self, noise):
        return {v: noisy_run(v, noise) for v in NAMES}

    def draw(self, noise):
        self.runs = runs = self.compute(noise)
        for v, run in runs.items():
            loss = run.train_loss.numpy()
            self.loss_lines[v].set_data(np.arange(len(loss)), np.clip(running_mean(loss), *LOSS_LIM))
            shift = run.shift.numpy()
            self.shift_lines[v].set_data(np.arange(len(shift)), np.clip(shift, *SHIFT_LIM))
        steps = len(runs["bn"].train_loss)
        self.ax_loss.set_xlim(0, steps)
        self.ax_shift.set_xlim(0, steps)
        self.shift = {v: float(torch.nanmedian(r.shift)) for v, r in runs.items()}
        self.final = {v: r.full_loss for v, r in runs.items()}
        s, f = self.shift, self.final
        self.readout = self.tr(
            "ν = {noise:g}. Median shift per step: no BN {s_none:.2g}, BN {s_bn:.2g}, noisy BN "
            "<b>{s_noisy:.2g}</b> ({ratio:.3g}× BN's). Final loss on all data: no BN "
            "{f_none:.3g}, BN {f_bn:.3g}, noisy BN <b>{f_noisy:.3g}</b>."
        ).format(
            noise=noise,
            s_none=s["none"],
            s_bn=s["bn"],
            s_noisy=s["noisy"],
            ratio=s["noisy"] / s["bn"],
            f_none=f["none"],
            f_bn=f["bn"],
            f_noisy=f["noisy"],
        )
