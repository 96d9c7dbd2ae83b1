"""Lesson 04 figures: BERT's 0.02 truncated, the Post Norm residual path, and a toy stack trained.

TruncationFigure      hidden size d, nominal std, bound: sampled histogram, truncation factor, vs Xavier
ResidualWeightsFigure depth and branch std sigma: weights of x_0 and every F_k, Post Norm vs Pre Norm
ToyStackFigure        a real residual stack: per-layer gradient norms at init for std 0.02 / Xavier / 1,
                      and Adam loss curves with and without warmup (trains: updates on slider release)
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import bert_init as bi
from theory_lib._checks import default_device
from theory_lib.figures.background import stage
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider


# ---------------------------------------------------------------- 1. truncation vs Xavier
@functools.lru_cache(maxsize=32)
def _standard_draws(bound: float, n: int = 20_000) -> np.ndarray:
    """n draws of the standard normal truncated at +-bound (scaled by the std later)."""
    g = torch.Generator().manual_seed(0)
    return bi.sample_truncated_normal((n,), 1.0, bound, generator=g, dtype=torch.float64).numpy()


class TruncationFigure(InteractiveFigure):
    """BERT's initialiser: N(0, std^2) cut at +-b std, its real std, and Xavier's 1/sqrt(d)."""

    controls = {
        # named: the sizes of the lesson's table (BERT-base 768, BERT-large 1024, ...) and "try this"
        "d": LogSlider(16, 8192, 768, integer=True, label="hidden size d", named=(256, 768, 1024, 4096)),
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
            np.zeros(80), self.edges, fill=True, color="C0", alpha=0.35, label="sampled (20 000 draws)"
        )
        (self.density,) = ax_h.plot([], [], color="C0", lw=1.5, label="truncated density")
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
            xlabel=r"weight $\times\sqrt{d}$ (Xavier's std = 1)",
            ylabel="density",
            title="the draws (dotted: ±std)",
        )
        ax_h.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)

        b = np.linspace(0.01, 4.0, 300)
        ax_f.plot(b, bi.truncation_factor(torch.from_numpy(b)).numpy(), color="C0", label="std(truncated)/σ")
        ax_f.plot(b[b < 1.9], b[b < 1.9] / math.sqrt(3), ":", color="0.5", label=r"$b/\sqrt{3}$ (uniform)")
        ax_f.axhline(1.0, color="0.7", lw=0.8)
        (self.factor_point,) = ax_f.plot([], [], "o", color="C3", ms=7)
        self.factor_text = ax_f.text(0.97, 0.06, "", transform=ax_f.transAxes, ha="right", fontsize=9)
        ax_f.set(
            xlim=(0, 4), ylim=(0, 1.08), xlabel="bound b (in units of σ)", ylabel="factor", title="truncation factor"
        )
        ax_f.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        dgrid = np.logspace(1, 4.2, 100)
        ax_d.plot(dgrid, 1 / np.sqrt(dgrid), color="C3", label=r"Xavier $1/\sqrt{d}$")
        (self.nominal_line,) = ax_d.plot([], [], ":", color="C0", label="nominal std")
        (self.actual_line,) = ax_d.plot([], [], color="C0", label="actual std")
        (self.d_points,) = ax_d.plot([], [], "o", color="k", ms=5)
        (self.d_line,) = ax_d.plot([], [], color="0.6", lw=0.8)
        (self.cross_point,) = ax_d.plot([], [], "x", color="C2", ms=9, mew=2, label="actual = Xavier")
        self.cross_text = ax_d.text(0, 0, "", fontsize=8, color="C2", va="bottom")
        ax_d.set(
            xscale="log",
            yscale="log",
            xlim=self.D_LIM,
            ylim=(1e-3, 1.0),
            xlabel="hidden size d",
            ylabel="std",
            title="against Xavier",
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
            f"peak {peak:.3g}: off the scale" if peak > self.YLIM else "",
            f"{outside:.0%} of draws beyond ±{self.XLIM:g}" if outside > 0.005 else "",
        ]
        self.clip_text.set_text("\n".join(n for n in notes if n))

        self.factor_point.set_data([bound], [factor])
        self.factor_text.set_text(f"b = {bound:.2f}: factor {factor:.4f} = 1/{1 / factor:.4f}")

        self.nominal_line.set_data([10, 10**4.2], [std, std])
        self.actual_line.set_data([10, 10**4.2], [actual, actual])
        self.d_points.set_data([d, d], [xavier, actual])
        self.d_line.set_data([d, d], [1e-3, 1.0])
        d_star = 1 / actual**2  # where the truncated std equals Xavier's 1/sqrt(d)
        self._mark_crossing(d_star, actual)

        self.readout = (
            f"nominal std {std:.4g}, cut at ±{bound:.2f}σ → actual std <b>{actual:.4g}</b> "
            f"(factor {factor:.4f} = 1/{1 / factor:.4f}); Xavier 1/√{d} = <b>{xavier:.4g}</b>; "
            f"ratio actual/Xavier = <b>{actual / xavier:.3f}</b>. This std would be Xavier's "
            f"value at d ≈ {d_star:,.0f}."
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
            text=f"meets Xavier at d ≈ {d_star:,.0f}",
        )


# ---------------------------------------------------------------- 2. the residual path
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
        (self.pre_w,) = ax_w.plot([], [], "s--", color="C0", ms=5, mfc="none", label="Pre Norm (after final Norm)")
        (self.x0_marks,) = ax_w.plot([], [], "D", color="k", ms=6, label="$x_0$ (at 0)")
        ax_w.set(
            yscale="log",
            ylim=(1e-6, 2.0),
            xlabel="source: 0 = $x_0$, k+1 = branch $F_k$",
            ylabel="weight in $x_l$",
            title="what reaches the output",
        )
        ax_w.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)

        ls = np.arange(1, self.MAX_DEPTH + 1)
        # the article's line on top (dotted): at σ = 1 it lies exactly on the Post Norm curve
        ax_x.plot(ls, 2.0 ** (-ls / 2), ":", color="0.3", lw=1.5, zorder=3, label=r"article: $2^{-l/2}$ (σ = 1)")
        (self.post_x0,) = ax_x.plot([], [], "-", color="C3", label="Post Norm")
        (self.pre_x0,) = ax_x.plot([], [], "--", color="C0", label="Pre Norm")
        (self.here,) = ax_x.plot([], [], "o", color="k", ms=6)
        self.here_text = ax_x.text(0.97, 0.05, "", transform=ax_x.transAxes, ha="right", fontsize=9)
        ax_x.set(
            yscale="log",
            xlim=(0, self.MAX_DEPTH + 1),
            ylim=(1e-8, 2.0),
            xlabel="depth l",
            ylabel="weight of $x_0$",
            title="the residual path to the input",
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
        self.here_text.set_text(f"l = {depth}: Post {post[0]:.3g}, Pre {pre[0]:.3g}")
        self.readout = (
            f"σ = {sigma:.3g}: each Post Norm block divides by √(1+σ²) = {1 / a:.4g}. After "
            f"{depth} blocks x₀ has weight <b>{post[0]:.3g}</b> in Post Norm (the last branch "
            f"{post[-1]:.3g}), and <b>{pre[0]:.3g}</b> in Pre Norm, where every branch weighs the same."
        )


# ---------------------------------------------------------------- 3. the toy stack, trained
WIDTH = 32
STEPS = 150
N_TRAIN = 128


def toy_stds(width: int = WIDTH):
    """The three initial stds compared: BERT's 0.02, Xavier's 1/sqrt(width), and 1."""
    return [0.02, 1 / math.sqrt(width), 1.0]


@functools.lru_cache(maxsize=64)
def toy_experiment(norm: str, depth: int, lr: float, warmup: int):
    """Gradient norms at init (3, depth) and loss curves (3 stds, [no warmup, warmup], STEPS), numpy.

    In a widget's worker (figures/background.py) it reports progress, the curves so far included."""
    device = default_device()
    stds = toy_stds()
    stage("gradient norms at initialisation")
    grads = bi.layer_gradient_norms(WIDTH, depth, norm, stds, device=device).cpu().numpy()
    progress = stage("Adam on 3 inits × (no warmup, warmup)", 0.05, 1.0, lambda done: (grads, done.numpy()))
    losses = bi.train_loss_curves(
        WIDTH, depth, norm, stds, warmups=(0, warmup), steps=STEPS, lr=lr, n=N_TRAIN, device=device, progress=progress
    ).numpy()
    return grads, losses


class ToyStackFigure(InteractiveFigure):
    """A real residual stack (width 32): gradient norms per layer at init, and Adam with/without warmup."""

    controls = {
        "norm": Choice(["post", "pre"], "post", label="Norm"),
        "depth": Slider(2, 16, 12, integer=True, label="depth"),
        "lr": LogSlider(1e-3, 3e-2, 1e-2, label="peak learning rate", named=(1e-2, 3e-2)),
        "warmup": Slider(10, 100, 40, step=10, integer=True, label="warmup steps", named=(10, 40)),
    }
    continuous = False  # every change trains 6 small networks (about a second): update on release
    figsize = (11.5, 4.2)
    NAMES = ("std 0.02", "Xavier 1/√32", "std 1")
    MARKERS = ("o", "s", "^")
    FLOOR, CEIL = 1e-10, 30.0
    collapse = 1 - 1 / N_TRAIN  # the MSE of the constant predictor (targets standardised)

    def build(self):
        ax_g, ax_l = self.fig.subplots(1, 2)
        self.ax_g, self.ax_l = ax_g, ax_l
        # the constant predictor's loss, (n-1)/n: thin and behind, so that runs stuck on it stay visible
        (self.constant,) = ax_l.plot([0, STEPS], [self.collapse] * 2, "-.", color="0.45", lw=1.0, zorder=1)
        self.constant_text = ax_l.text(
            STEPS * 0.98, self.collapse * 1.45, "", ha="right", va="bottom", fontsize=8, color="0.25"
        )
        self.grad_lines, self.theory_lines, self.warm_lines, self.cold_lines = [], [], [], []
        for i, name in enumerate(self.NAMES):
            (g,) = ax_g.plot([], [], "o-", color=f"C{i}", ms=3.5, label=name)
            (t,) = ax_g.plot([], [], ":", color=f"C{i}", lw=1.2)
            # markers staggered along the curve (each run its own offset), filled = warmup, hollow = none:
            # runs that collapse onto the same line (the mean's loss) stay visible and tell apart
            mark = self.MARKERS[i]
            (w,) = ax_l.plot(
                [],
                [],
                "-",
                color=f"C{i}",
                lw=1.6,
                marker=mark,
                ms=6,
                zorder=3,
                markevery=(4 + 8 * i, 25),
                label=f"{name}, warmup",
            )
            (c,) = ax_l.plot(
                [],
                [],
                "--",
                color=f"C{i}",
                lw=1.2,
                marker=mark,
                ms=6,
                mfc="white",
                zorder=4,
                markevery=(16 + 8 * i, 25),
                label=f"{name}, none",
            )
            self.grad_lines.append(g)
            self.theory_lines.append(t)
            self.warm_lines.append(w)
            self.cold_lines.append(c)
        (self.warm_end,) = ax_l.plot([], [], color="0.5", lw=0.8)
        self.warm_text = ax_l.text(
            0, 0.98, "", transform=ax_l.get_xaxis_transform(), fontsize=8, color="0.4", ha="left", va="top"
        )
        self.diverged_text = ax_l.text(0.02, 0.03, "", transform=ax_l.transAxes, fontsize=8, color="C3")
        self.theory_text = ax_g.text(0.02, 0.03, "", transform=ax_g.transAxes, fontsize=8, color="0.3")
        ax_g.set(
            yscale="log",
            ylim=(1e-2, 50),
            xlabel="block k (0 = nearest the input)",
            ylabel=r"$\|\partial L/\partial W_k\|$ at init",
            title="gradient per layer, before training",
        )
        ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)
        ax_l.set(
            yscale="log",
            xlim=(0, STEPS),
            ylim=(self.FLOOR, self.CEIL),
            xlabel="Adam step",
            ylabel="training loss (MSE)",
            title="training: solid, filled = warmup; dashed, hollow = none",
        )
        ax_l.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7.5, ncol=3, frameon=False)

    def compute(self, norm, depth, lr, warmup):
        """The cached experiment draw() shows (the widget computes it in a worker, background.py)."""
        return toy_experiment(norm, depth, float(f"{lr:.4g}"), warmup)

    def draw_preview(self, preview, norm, depth, lr, warmup):
        """While the widget trains: the new gradient norms and the loss curves so far, on the axes as
        they are (data only: the frame is blitted; the commit then draws the state in full)."""
        grads, losses = preview
        lo, hi = self.ax_l.get_ylim()
        t = np.arange(losses.shape[-1])
        for i in range(len(self.NAMES)):
            self.grad_lines[i].set_data(np.arange(depth), grads[i])
            self.theory_lines[i].set_data([], [])
            for line, curve in ((self.cold_lines[i], losses[i, 0]), (self.warm_lines[i], losses[i, 1])):
                ok = np.isfinite(curve)
                line.set_data(t[ok], np.clip(curve[ok], lo, hi))
        self.warm_end.set_data([warmup, warmup], [lo, hi])
        self.warm_text.set(x=warmup + 2, text=f"end of warmup ({warmup} steps)")
        self.diverged_text.set_text("")
        self.constant_text.set_text("")

    def draw(self, norm, depth, lr, warmup):
        grads, losses = self.compute(norm, depth, lr, warmup)
        k = np.arange(depth)
        for i, std in enumerate(toy_stds()):
            self.grad_lines[i].set_data(k, grads[i])
            if norm == "post":  # the article's residual-path weight, scaled to the last block
                a2 = 1 + bi.branch_variance(WIDTH, std)
                path = grads[i, -1] * np.exp(-0.5 * (depth - 1 - k) * math.log(a2))
                self.theory_lines[i].set_data(k, np.maximum(path, 1e-300))
            else:
                self.theory_lines[i].set_data([], [])
        self.theory_text.set_text(
            "dotted: residual-path weight (1+σ²)^(-(l-1-k)/2), scaled to the last block"
            if norm == "post"
            else "Pre Norm: every branch has the same path weight"
        )
        self.ax_g.set_xlim(-0.5, (8 if depth <= 8 else 16) - 0.5)

        floor = self.floor(losses)
        self.ax_l.set_ylim(floor, self.CEIL)
        t = np.arange(STEPS)
        diverged, collapsed = [], []
        for i, name in enumerate(self.NAMES):
            for line, curve, tag in (
                (self.cold_lines[i], losses[i, 0], "none"),
                (self.warm_lines[i], losses[i, 1], "warmup"),
            ):
                ok = np.isfinite(curve)
                if not ok.all():
                    diverged.append(f"{name} ({tag}) at step {int(np.argmin(ok))}")
                elif self.is_collapsed(curve):
                    collapsed.append(f"{name} ({tag})")
                line.set_data(t[ok], np.clip(curve[ok], floor, self.CEIL))
        self.warm_end.set_data([warmup, warmup], [floor, self.CEIL])
        self.warm_text.set(x=warmup + 2, text=f"end of warmup ({warmup} steps)")
        self.diverged_text.set_text("diverged: " + "; ".join(diverged) if diverged else "")
        n = len(collapsed)
        self.constant_text.set_text(
            f"loss of predicting the mean, {self.collapse:.3f}"
            + (f": {n} run{'s' * (n > 1)} collapsed onto it" if n else "")
        )
        self.readout = self._readout(norm, depth, lr, warmup, grads, losses)

    @classmethod
    def is_collapsed(cls, curve) -> bool:
        """A run whose mean loss over its last 10 steps is above 0.9 × the constant predictor's."""
        return bool(np.isfinite(curve[-10:]).all() and curve[-10:].mean() > 0.9 * cls.collapse)

    @classmethod
    def floor(cls, losses) -> float:
        """The loss axis' bottom: the decade below the smallest finite loss, not below FLOOR."""
        finite = losses[np.isfinite(losses) & (losses > 0)]
        low = finite.min() if finite.size else 1.0
        return max(cls.FLOOR, min(1e-2, 10.0 ** math.floor(math.log10(low))))

    def _readout(self, norm, depth, lr, warmup, grads, losses):
        rows = []
        for i, name in enumerate(self.NAMES):
            ratio = grads[i, 0] / grads[i, -1]
            cells = []
            for c in losses[i]:
                if not np.isfinite(c[-10:]).all():
                    cells.append("diverged")
                else:
                    cells.append(f"{c[-10:].mean():.2g}" + (" (collapsed)" if self.is_collapsed(c) else ""))
            rows.append(f"<tr><td>{name}</td><td>{ratio:.2f}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>")
        return (
            f"<b>{norm} Norm, {depth} blocks, lr {lr:.3g}, warmup {warmup} steps</b> (updates when you "
            f"release a slider: each change trains six networks; results are cached). "
            "<table><tr><th>init</th><th>‖g₀‖/‖g_last‖ at init</th><th>final loss (mean of the last 10 steps), "
            f"no warmup</th><th>final loss, warmup</th></tr>{''.join(rows)}</table>"
            f"Collapsed: the final loss is above 0.9 × {self.collapse:.3f}, the loss of predicting the mean."
        )
