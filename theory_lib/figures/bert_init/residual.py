"""Lesson 04, step 3: the weights of x_0 and every F_k in x_l, Post Norm against Pre Norm."""

from __future__ import annotations

import math

import numpy as np

from theory_lib import bert_init as bi
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider


class ResidualWeightsFigure(InteractiveFigure):
    """Weights of x_0 and F_0..F_{l-1} in x_l: Post Norm (1+σ²)^{-(l-k)/2} against Pre Norm's equal ones."""

    controls = {
        "depth": Slider(1, 48, 12, integer=True, label="depth l", named=(12, 24)),
        # 0.49: a 768 x 768 layer at BERT's real std ("try this" 2)
        "sigma": LogSlider(0.01, 10.0, 1.0, label="branch std σ", named=(0.49, 1.0)),
    }
    figsize = (11.0, 3.9)
    MAX_DEPTH = 48

    def build(self):
        ax_w, ax_x = self.fig.subplots(1, 2)
        self.ax_w, self.ax_x = ax_w, ax_x
        (self.post_w,) = ax_w.plot([], [], "o-", color="C3", ms=3.5, label="Post Norm")
        (self.pre_w,) = ax_w.plot(
            [], [], "s--", color="C0", ms=5, mfc="none", label=self.tr("Pre Norm (after final Norm)")
        )
        (self.x0_marks,) = ax_w.plot([], [], "D", color="k", ms=6, label=self.tr("$x_0$ (at 0)"))
        ax_w.set(
            yscale="log",
            ylim=(1e-6, 2.0),
            xlabel=self.tr("source: 0 = $x_0$, k+1 = branch $F_k$"),
            ylabel=self.tr("weight in $x_l$"),
            title=self.tr("what reaches the output"),
        )
        ax_w.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)

        ls = np.arange(1, self.MAX_DEPTH + 1)
        # the article's line on top (dotted): at σ = 1 it lies exactly on the Post Norm curve
        ax_x.plot(
            ls, 2.0 ** (-ls / 2), ":", color="0.3", lw=1.5, zorder=3, label=self.tr(r"article: $2^{-l/2}$ (σ = 1)")
        )
        (self.post_x0,) = ax_x.plot([], [], "-", color="C3", label="Post Norm")
        (self.pre_x0,) = ax_x.plot([], [], "--", color="C0", label="Pre Norm")
        (self.here,) = ax_x.plot([], [], "o", color="k", ms=6)
        self.here_text = ax_x.text(0.97, 0.05, "", transform=ax_x.transAxes, ha="right", fontsize=9)
        ax_x.set(
            yscale="log",
            xlim=(0, self.MAX_DEPTH + 1),
            ylim=(1e-8, 2.0),
            xlabel=self.tr("depth l"),
            ylabel=self.tr("weight of $x_0$"),
            title=self.tr("the residual path to the input"),
        )
        ax_x.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)

    def draw(self, depth, sigma):
        post = bi.post_norm_weights(depth, sigma).numpy()
        pre = bi.pre_norm_weights(depth, sigma).numpy()
        idx = np.arange(depth + 1)
        self.post_w.set_data(idx, np.maximum(post, 1e-300))
        self.pre_w.set_data(idx, pre)
        self.x0_marks.set_data([0, 0], [max(post[0], 1e-300), pre[0]])
        self.ax_w.set_xlim(-0.7, next(m for m in (12, 24, 48) if m >= depth) + 0.7)

        ls = np.arange(1, self.MAX_DEPTH + 1)
        a = 1 / math.sqrt(1 + sigma * sigma)
        self.post_x0.set_data(ls, np.maximum(a**ls, 1e-300))
        self.pre_x0.set_data(ls, 1 / np.sqrt(1 + ls * sigma * sigma))
        self.here.set_data([depth, depth], [max(post[0], 1e-300), pre[0]])
        self.here_text.set_text(
            self.tr("l = {depth}: Post {post:.3g}, Pre {pre:.3g}").format(depth=depth, post=post[0], pre=pre[0])
        )
        self.readout = self.tr(
            "σ = {sigma:.3g}: each Post Norm block divides by √(1+σ²) = {div:.4g}. After {depth} blocks x₀ has "
            "weight <b>{post:.3g}</b> in Post Norm (the last branch {last:.3g}), and <b>{pre:.3g}</b> in Pre Norm, "
            "where every branch weighs the same."
        ).format(sigma=sigma, div=1 / a, depth=depth, post=post[0], last=post[-1], pre=pre[0])
