"""Lesson 04, the opening picture: Post Norm and Pre Norm residual paths drawn as blocks, each path
as thick as the weight it carries into the output x_l at initialisation.

Post Norm, x_{k+1} = LN(x_k + F_k): each LN divides everything on the highway by sqrt(1 + sigma^2), so
x_0 reaches x_l with weight (1+sigma^2)^{-l/2} and F_k with (1+sigma^2)^{-(l-k)/2}. Pre Norm,
x_{k+1} = x_k + F_k(LN(x_k)): the highway is untouched, every source reaches the final LN with weight
1, and the final LN divides all of them by sqrt(1 + l sigma^2). ``bert_init.post_norm_weights`` and
``pre_norm_weights`` give the numbers; the branch std sigma is the one control.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Circle, Rectangle
from matplotlib.text import Text

from theory_lib import bert_init as bi
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

DEPTH = 6  # blocks drawn: enough to see the fade, few enough to read every weight
PITCH = 1.7  # horizontal distance between blocks
ROWS = {"post": 2.6, "pre": 0.0}  # each row's highway height
# sigma of a 768 x 768 linear branch at BERT's real std (0.02 truncated): sqrt(768) * 0.0176, on the slider
SIGMA_BERT = round(math.sqrt(768) * bi.truncated_normal_std(0.02), 2)
WIDTH_MIN, WIDTH_SCALE = 0.6, 9.0  # a path's line width: WIDTH_MIN + WIDTH_SCALE * weight


def tap_x(k: int) -> float:
    """Where block k's branch leaves the highway."""
    return 0.9 + PITCH * k


END_X = tap_x(DEPTH) + 0.2  # the output node x_l


def path_weights(sigma: float) -> dict:
    """Per row: the final weights (x_0, F_0..F_{L-1}) in x_l, and x_0's weight along the highway's segments."""
    post = bi.post_norm_weights(DEPTH, sigma).numpy()
    pre = bi.pre_norm_weights(DEPTH, sigma).numpy()
    a = 1 / math.sqrt(1 + sigma * sigma)  # one LN's division
    return {
        "post": (post, a ** np.arange(DEPTH + 1)),  # segment j lies after j LNs
        "pre": (pre, np.array([1.0, pre[0]])),  # untouched until the final LN (stage 0), then divided once
    }


class ResidualPathsFigure(InteractiveFigure):
    """Post Norm and Pre Norm, 6 blocks each: every residual path as thick as the weight it carries."""

    controls = {
        "sigma": LogSlider(0.05, 4.0, 1.0, label="branch std σ", named=(SIGMA_BERT, 1.0)),
    }
    figsize = (11.0, 4.6)

    def build(self):
        ax = self.ax = self.fig.subplots()
        ax.set_axis_off()
        ax.set(xlim=(-1.3, END_X + 1.5), ylim=(-1.0, ROWS["post"] + 1.55))
        self.highway, self.branches, self.labels, self.ends = {}, {}, {}, {}
        self.stage, self.branch_of = {}, {}
        for norm, y in ROWS.items():
            self._draw_row(norm, y)
        self._static(
            Text(
                -1.2,
                -0.9,
                self.tr(
                    "black: the path of $x_0$, as thick as the weight $x_0$ still has there;  orange: the path of "
                    "$F_k$, as thick as its weight in $x_l$ (the number under its +)"
                ),
                fontsize=8,
                color="0.3",
            )
        )

    def _static(self, artist):
        """The blocks, nodes and names never change: figure-level artists (in the axes' data coordinates)
        stay in the cached background; only the paths and numbers are redrawn on a move (the paths
        stop at the blocks' edges, so drawing them on top hides nothing)."""
        artist.set_transform(self.ax.transData)
        self.fig.add_artist(artist)

    def _box(self, x, y, w, h, label, colour, fontsize):
        self._static(Rectangle((x - w / 2, y - h / 2), w, h, fc=colour, ec="0.3", lw=1, zorder=4))
        self._static(Text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=5))

    def _node(self, x, y, r, label, fontsize=10):
        self._static(Circle((x, y), r, fc="white", ec="k" if r > 0.2 else "0.3", zorder=4))
        self._static(Text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=5))

    def _draw_row(self, norm, y):
        ax = self.ax
        title = {"post": "Post Norm:  $x_{k+1} = LN(x_k + F_k)$", "pre": "Pre Norm:  $x_{k+1} = x_k + F_k(LN(x_k))$"}
        self._static(Text(-1.2, y + 1.3, title[norm], fontsize=10))
        self._node(0, y, 0.22, "$x_0$")
        self._node(END_X, y, 0.22, "$x_l$")
        # the highway in pieces between nodes, sums and LNs; stage[j]: how many LNs x_0 has passed there
        # (Post), or whether it has passed the final LN (Pre)
        highway, stage, x = [], [], 0.22
        branches, branch_of = [], []
        top = y + 0.85
        for k in range(DEPTH):
            xt, plus = tap_x(k), tap_x(k) + 0.9
            highway.append([(x, y), (plus - 0.12, y)])
            stage.append(k if norm == "post" else 0)
            x = plus + 0.12
            self._box(xt + 0.45, top, 0.5, 0.44, f"$F_{k}$", "#F0E442", 9)
            self._node(plus, y, 0.12, "+", fontsize=8)
            if norm == "post":  # the LN on the highway, after the sum
                highway.append([(x, y), (xt + 1.1, y)])
                stage.append(k)
                x = xt + 1.4
                self._box(xt + 1.25, y, 0.3, 0.34, "LN", "#56B4E9", 7)
                up = [[(xt, y), (xt, top), (xt + 0.2, top)]]
            else:  # the LN on the branch, before F_k
                self._box(xt, y + 0.43, 0.34, 0.3, "LN", "#56B4E9", 7)
                up = [[(xt, y), (xt, y + 0.28)], [(xt, y + 0.58), (xt, top), (xt + 0.2, top)]]
            down = [[(xt + 0.7, top), (plus, top), (plus, y + 0.12)]]
            branches += up + down
            branch_of += [k] * (len(up) + len(down))
        if norm == "pre":  # the final LN, then x_l
            xf = tap_x(DEPTH - 1) + 1.25
            highway.append([(x, y), (xf - 0.15, y)])
            stage.append(0)
            x = xf + 0.15
            self._box(xf, y, 0.3, 0.34, "LN", "#56B4E9", 7)
        highway.append([(x, y), (END_X - 0.22, y)])
        stage.append(DEPTH if norm == "post" else 1)
        self.stage[norm], self.branch_of[norm] = np.array(stage), np.array(branch_of)
        self.highway[norm] = LineCollection(highway, colors="k", capstyle="butt", zorder=2)
        self.branches[norm] = LineCollection(branches, colors="C1", capstyle="butt", joinstyle="miter", zorder=3)
        ax.add_collection(self.highway[norm])
        ax.add_collection(self.branches[norm])
        self.labels[norm] = [ax.text(0, y - 0.42, "", ha="center", va="center", fontsize=8)]
        self.labels[norm] += [
            ax.text(tap_x(k) + 0.9, y - 0.42, "", ha="center", va="center", fontsize=8, color="C1")
            for k in range(DEPTH)
        ]
        self.ends[norm] = ax.text(END_X + 0.35, y, "", ha="left", va="center", fontsize=9)

    def draw(self, sigma):
        self.weights = path_weights(sigma)
        for norm, (final, along) in self.weights.items():
            self.highway[norm].set_linewidths(WIDTH_MIN + WIDTH_SCALE * along[self.stage[norm]])
            self.branches[norm].set_linewidths(WIDTH_MIN + WIDTH_SCALE * final[1:][self.branch_of[norm]])
            for k, label in enumerate(self.labels[norm]):
                label.set_text(f"{final[k]:.3g}")
            self.ends[norm].set_text(self.tr("$x_0$ keeps\n{weight}").format(weight=f"{final[0]:.3g}"))
        post, pre = self.weights["post"][0], self.weights["pre"][0]
        self.readout = self.tr(
            "σ = {sigma:.3g}: each Post Norm LN divides by √(1+σ²) = {div:.4g}, so after {depth} blocks x₀ reaches "
            "the output with weight <b>{post0:.3g}</b> and the last branch with {last:.3g}. Pre Norm adds every path "
            "with weight 1 and divides once, by √(1+{depth}σ²) = {div_pre:.4g}: every path <b>{pre0:.3g}</b>. "
            "(Numbers under each path: its weight in x_l; squared, with each F counted σ² times, they sum to 1.)"
        ).format(
            sigma=sigma,
            div=math.sqrt(1 + sigma * sigma),
            depth=DEPTH,
            post0=post[0],
            last=post[-1],
            div_pre=math.sqrt(1 + DEPTH * sigma * sigma),
            pre0=pre[0],
        )
