"""Lesson 04, steps 1 and 2: BERT's 0.02 truncated at two stds, its real std, and Xavier's 1/sqrt(d)."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import bert_init as bi
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.bert_init.toy import WIDTH
from theory_lib.figures.controls import LogSlider, Slider


@functools.lru_cache(maxsize=32)
def _standard_draws(bound: float, n: int = 20_000) -> np.ndarray:
    """n draws of the standard normal truncated at +-bound (scaled by the std later)."""
    g = torch.Generator().manual_seed(0)
    return bi.sample_truncated_normal((n,), 1.0, bound, generator=g, dtype=torch.float64).numpy()


class TruncationFigure(InteractiveFigure):
    """BERT's initialiser: N(0, std^2) cut at +-b std, its real std, and Xavier's 1/sqrt(d)."""

    controls = {
        # named: the sizes of the lesson's table, and the toy stack's width (exercise "toy-width")
        "d": LogSlider(16, 8192, 768, integer=True, label="hidden size d", named=(WIDTH, 256, 768, 1024, 4096)),
        "std": LogSlider(0.002, 0.5, 0.02, label="nominal std", named=(0.02,)),
        "bound": Slider(0.25, 4.0, 2.0, step=0.05, label="truncation b (in stds)", named=(1.0, 2.0)),
    }
    figsize = (11.5, 3.9)
    XLIM, YLIM = 4.0, 1.5
    D_LIM = (10.0, 10**4.2)  # the right panel's d axis

    def build(self):
        ax_h, ax_f, ax_d = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
        self.ax_h, self.ax_f, self.ax_d = ax_h, ax_f, ax_d
        # in units of Xavier's std, x = w * sqrt(d): Xavier is the fixed N(0, 1), the axes never change
        self.edges = np.linspace(-self.XLIM, self.XLIM, 81)
        self.grid = np.linspace(-self.XLIM, self.XLIM, 801)
        self.hist = ax_h.stairs(
            np.zeros(80), self.edges, fill=True, color="C0", alpha=0.35, label=self.tr("sampled (20 000 draws)")
        )
        (self.density,) = ax_h.plot([], [], color="C0", lw=1.5, label=self.tr("truncated density"))
        ax_h.plot(
            self.grid,
            np.exp(-(self.grid**2) / 2) / math.sqrt(2 * math.pi),
            "--",
            color="C3",
            lw=1.2,
            label=r"Xavier $N(0, 1/d)$",
        )
        ax_h.plot([-1, -1, 1, 1], [self.YLIM, 0, 0, self.YLIM], color="C3", lw=1, ls=":")
        (self.actual_marks,) = ax_h.plot([], [], color="C0", lw=1, ls=":")
        self.clip_text = ax_h.text(0.98, 0.96, "", transform=ax_h.transAxes, ha="right", va="top", fontsize=8)
        ax_h.set(
            xlim=(-self.XLIM, self.XLIM),
            ylim=(0, self.YLIM),
            # {{{d}}}: the braces of \sqrt{d}, escaped, so that the Chinese template (no mathtext) can say √d
            xlabel=self.tr(r"weight $\times\sqrt{{{d}}}$ (Xavier's std = 1)").format(d="d"),
            ylabel=self.tr("density"),
            title=self.tr("the draws (dotted: ±std)"),
        )
        ax_h.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)

        b = np.linspace(0.01, 4.0, 300)
        ax_f.plot(b, bi.truncation_factor(torch.from_numpy(b)).numpy(), color="C0", label=self.tr("std(truncated)/σ"))
        ax_f.plot(b[b < 1.9], b[b < 1.9] / math.sqrt(3), ":", color="0.5", label=self.tr(r"$b/\sqrt{3}$ (uniform)"))
        ax_f.axhline(1.0, color="0.7", lw=0.8)
        (self.factor_point,) = ax_f.plot([], [], "o", color="C3", ms=7)
        self.factor_text = ax_f.text(0.97, 0.06, "", transform=ax_f.transAxes, ha="right", fontsize=9)
        ax_f.set(
            xlim=(0, 4),
            ylim=(0, 1.08),
            xlabel=self.tr("bound b (in units of σ)"),
            ylabel=self.tr("factor"),
            title=self.tr("truncation factor"),
        )
        ax_f.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        dgrid = np.logspace(1, 4.2, 100)
        ax_d.plot(dgrid, 1 / np.sqrt(dgrid), color="C3", label=r"Xavier $1/\sqrt{d}$")
        (self.nominal_line,) = ax_d.plot([], [], ":", color="C0", label=self.tr("nominal std"))
        (self.actual_line,) = ax_d.plot([], [], color="C0", label=self.tr("actual std"))
        (self.d_points,) = ax_d.plot([], [], "o", color="k", ms=5)
        (self.d_line,) = ax_d.plot([], [], color="0.6", lw=0.8)
        (self.cross_point,) = ax_d.plot([], [], "x", color="C2", ms=9, mew=2, label=self.tr("actual = Xavier"))
        self.cross_text = ax_d.text(0, 0, "", fontsize=8, color="C2", va="bottom")
        ax_d.set(
            xscale="log",
            yscale="log",
            xlim=self.D_LIM,
            ylim=(1e-3, 1.0),
            xlabel=self.tr("hidden size d"),
            ylabel=self.tr("std"),
            title=self.tr("against Xavier"),
        )
        ax_d.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

    def draw(self, d, std, bound):
        factor = bi.truncation_factor(bound)
        actual = std * factor
        xavier = 1 / math.sqrt(d)
        r = std * math.sqrt(d)  # the nominal std in units of Xavier's
        draws = r * _standard_draws(round(bound, 4))
        counts = np.histogram(draws, bins=self.edges)[0] / (len(draws) * (self.edges[1] - self.edges[0]))
        self.hist.set_data(np.minimum(counts, self.YLIM), self.edges)
        x = self.grid
        norm = r * math.sqrt(2 * math.pi) * math.erf(bound / math.sqrt(2))
        dens = np.where(np.abs(x) <= bound * r, np.exp(-0.5 * (x / r) ** 2) / norm, 0.0)
        self.density.set_data(x, np.minimum(dens, self.YLIM))
        a = actual * math.sqrt(d)
        self.actual_marks.set_data([-a, -a, a, a], [self.YLIM, 0, 0, self.YLIM])  # down, along 0, up
        peak = 1 / norm  # the truncated density's maximum, at 0
        outside = np.mean(np.abs(draws) > self.XLIM)
        notes = [
            self.tr("peak {peak:.3g}: off the scale").format(peak=peak) if peak > self.YLIM else "",
            self.tr("{outside:.0%} of draws beyond ±{lim:g}").format(outside=outside, lim=self.XLIM)
            if outside > 0.005
            else "",
        ]
        self.clip_text.set_text("\n".join(n for n in notes if n))

        self.factor_point.set_data([bound], [factor])
        self.factor_text.set_text(
            self.tr("b = {bound:.2f}: factor {factor:.4f} = 1/{inverse:.4f}").format(
                bound=bound, factor=factor, inverse=1 / factor
            )
        )

        self.nominal_line.set_data([10, 10**4.2], [std, std])
        self.actual_line.set_data([10, 10**4.2], [actual, actual])
        self.d_points.set_data([d, d], [xavier, actual])
        self.d_line.set_data([d, d], [1e-3, 1.0])
        d_star = 1 / actual**2  # where the truncated std equals Xavier's 1/sqrt(d)
        self._mark_crossing(d_star, actual)

        self.ratio = actual / xavier
        self.readout = self.tr(
            "nominal std {std:.4g}, cut at ±{bound:.2f}σ → actual std <b>{actual:.4g}</b> (factor {factor:.4f} = "
            "1/{inverse:.4f}); Xavier 1/√{d} = <b>{xavier:.4g}</b>; ratio actual/Xavier = <b>{ratio:.3f}</b>. "
            "This std would be Xavier's value at d ≈ {d_star:,.0f}."
        ).format(
            std=std,
            bound=bound,
            actual=actual,
            factor=factor,
            inverse=1 / factor,
            d=d,
            xavier=xavier,
            ratio=actual / xavier,
            d_star=d_star,
        )

    def _mark_crossing(self, d_star, actual):
        """The cross where actual std = Xavier's; off the d axis, an arrow head at the edge says where."""
        lo, hi = self.D_LIM
        if lo <= d_star <= hi:
            self.cross_point.set(data=([d_star], [actual]), marker="x")
            self.cross_text.set_text("")
            return
        edge, marker, ha = (hi, ">", "right") if d_star > hi else (lo, "<", "left")
        self.cross_point.set(data=([edge], [actual]), marker=marker)
        self.cross_text.set(
            position=(edge / 1.3 if d_star > hi else edge * 1.3, actual * 1.25),
            ha=ha,
            text=self.tr("meets Xavier at d ≈ {d_star:,.0f}").format(d_star=d_star),
        )
