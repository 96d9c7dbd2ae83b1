"""Lesson 06, step and synthesis figures: least squares raw, centered and standardized; an MLP with and without BN."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullLocator

from theory_lib import batchnorm as bnm
from theory_lib._checks import default_device, one_cpu_thread
from theory_lib.figures.background import part, stage
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.batchnorm.verdicts import final_verdict, vs_one
from theory_lib.figures.controls import Choice, LogSlider, Slider
from theory_lib.figures.style import nice_ceil

W_TRUE = (1.0, 0.5)  # the regression's true weights; y has mean μᵀw_true, so the raw valley is tilted
MODES = (None, "center", "standardize")
MODE_NAMES = ("raw x", "centered x − μ", "standardized (x − μ)/σ")
COLORS = ("C3", "C0", "C2")


@functools.lru_cache(maxsize=64)
def regression_data(mean: float, scale: float, n: int = 200, seed: int = 0):
    """The 2-D problem: x = (μ, μ) + (1, s) ⊙ z, y = xᵀ(1, 0.5) + 0.3 ε, z and ε from a fixed seed."""
    g = torch.Generator().manual_seed(seed)
    return bnm.linear_regression_data(n, (mean, mean), (1.0, scale), W_TRUE, noise=0.3, generator=g)


def _nice(r: float) -> float:
    """Round a half-width up to 1, 1.5, 2, 3, 4, 6, 8, ... so that most moves keep the axes."""
    for m in (1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64):
        if m >= r:
            return m
    return 2 ** math.ceil(math.log2(r))


def ellipses(opt, hessian, levels, n: int = 90):
    """Level sets {w : (w - w*)ᵀ H (w - w*)/2 = c} of a quadratic, as polylines (one per level)."""
    lam, vec = np.linalg.eigh(hessian)  # H = V diag(λ) Vᵀ
    lam = np.maximum(lam, 1e-300)
    t = np.linspace(0, 2 * np.pi, n)
    circle = np.stack([np.cos(t), np.sin(t)])  # (2, n)
    out = []
    for c in levels:
        pts = vec @ (np.sqrt(2 * c / lam)[:, None] * circle)  # (2, n)
        out.append(pts.T + opt)
    return out


def _clipped_path(p, box: float):
    """The path up to where it first leaves [-box, box]², ending on the box's edge.

    Returns (the path, the index of the first point outside or -1 if none)."""
    inside = np.isfinite(p).all(1) & (np.abs(p).max(1) < box)
    if inside.all():
        return p, -1
    k = int(np.argmin(inside))  # the first point outside (p[0] = w_0 = 0 is always inside)
    a, b = p[k - 1], p[k]
    if not np.isfinite(b).all():
        return p[:k], k
    d = b - a
    moving = d != 0
    t = ((np.sign(d[moving]) * box - a[moving]) / d[moving]).min()  # first side of the box it reaches
    return np.vstack([p[:k], a + min(t, 1.0) * d]), k


def _cut_at_top(gap, lo: float, hi: float):
    """A loss-gap curve on [lo, hi]: values below lo (rounding, 0) drawn at lo; a curve that
    passes hi ends where it crosses, log-linearly interpolated. Returns (k, values, exit or None)."""
    g = np.where(np.isfinite(gap), gap, np.inf)
    above = g > hi
    if not above.any():
        return np.arange(len(g)), np.clip(g, lo, hi), None
    j = int(np.argmax(above))  # j >= 1: every run starts below hi
    a, b = max(g[j - 1], lo), g[j]
    t = 1.0 if not np.isfinite(b) else (math.log(hi) - math.log(a)) / (math.log(b) - math.log(a))
    x = j - 1 + min(max(t, 0.0), 1.0)
    k = np.append(np.arange(j, dtype=float), x)
    return k, np.append(np.clip(g[:j], lo, hi), hi), (x, hi)


def _ladder(v: float, up: bool, step: int = 3) -> float:
    """The next power of ten 10^(step·m) above (up) or below v: log axes that move in brackets.

    Kept within 10^±300: a diverging run's loss near the float maximum (1e307) must not ask for
    10^309, which overflows (it did, in the browser sweep of lesson 06 at η = 0.3)."""
    e = math.log10(v) / step
    m = math.ceil(e - 1e-9) if up else math.floor(e + 1e-9)
    limit = 300 // step
    return 10.0 ** (step * min(max(m, -limit), limit))


class LeastSquaresBNFigure(InteractiveFigure):
    """Gradient descent on f(w) = E[(wᵀx − y)²]/2 for raw, centered and standardized inputs."""

    controls = {
        "mean": Slider(-4.0, 4.0, 2.0, step=0.1, label="input mean μ", named=(0.0, 2.0)),
        "scale": LogSlider(0.2, 5.0, 1.0, label="scale σ₂ of x₂", named=(1.0, 5.0)),
        "lr": LogSlider(0.01, 3.0, 0.2, label="learning rate η", named=(0.2,)),
        "steps": Slider(1, 100, 30, integer=True, label="steps"),
    }
    figsize = (12.0, 4.6)
    STYLES = ("-", "--", ":")  # raw, centered, standardized: told apart without colour too
    GAP_RANGE = (1e-15, 1e15)  # f − f*: below 1e-15 is rounding; above 1e15 the run has diverged

    def build(self):
        axes = self.fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.15]})
        self.ax_land, self.ax_loss = axes[:3], axes[3]
        self.contours, self.paths, self.starts, self.optima, self.labels, self.exits = [], [], [], [], [], []
        # the standardized panel lives in its own weights v = D w (D = diag σ): v·(x−μ)/σ = w·(x−μ)
        coords = (("$w_1$", "$w_2$"), ("$w_1$", "$w_2$"), (r"$v_1 = \sigma_1 w_1$", r"$v_2 = \sigma_2 w_2$"))
        names = (self.tr("raw x"), self.tr("centered x − μ"), self.tr("standardized (x − μ)/σ"))  # MODE_NAMES
        for ax, name, color, (xl, yl) in zip(self.ax_land, names, COLORS, coords, strict=True):
            cont = LineCollection([], colors="0.6", linewidths=0.8)
            ax.add_collection(cont)
            (path,) = ax.plot([], [], "o-", color=color, ms=2.5, lw=1.2)
            (start,) = ax.plot([], [], "s", color="k", ms=4)
            (opt,) = ax.plot([], [], "+", color="k", ms=10, mew=1.5)
            (exit_,) = ax.plot([], [], "X", color=color, mec="k", ms=9, zorder=5, clip_on=False, in_layout=False)
            label = ax.text(
                0.03,
                0.97,
                "",
                transform=ax.transAxes,
                va="top",
                fontsize=8,
                bbox=dict(boxstyle="round", fc="white", ec="0.8", alpha=0.9),
            )  # text is the costly artist
            ax.set(xlabel=xl, ylabel=yl, aspect="equal")
            ax.set_title(name, pad=9)  # room for the mark of a path that leaves through the top
            self.contours.append(cont)
            self.paths.append(path)
            self.starts.append(start)
            self.optima.append(opt)
            self.exits.append(exit_)
            self.labels.append(label)
        self.curves = [
            self.ax_loss.plot([], [], ls, color=c, lw=1.6)[0] for c, ls in zip(COLORS, self.STYLES, strict=True)
        ]
        self.curve_exits = [
            self.ax_loss.plot([], [], "X", color=c, mec="k", ms=8, clip_on=False, zorder=5, in_layout=False)[0]
            for c in COLORS
        ]
        self.ax_loss.set(yscale="log", xlabel=self.tr("step k"))
        self.ax_loss.set_title("$f(w_k) - f(w^*)$", pad=9)  # room for a divergence mark on the top edge
        self.ax_loss.yaxis.set_minor_locator(NullLocator())
        self.fig.legend(
            handles=[
                Line2D([], [], marker="s", color="k", ls="", ms=4, label=self.tr("start $w_0 = 0$")),
                Line2D([], [], marker="+", color="k", ls="", ms=9, label=self.tr("minimum $w^*$")),
                Line2D([], [], color="0.6", lw=0.8, label=self.tr("loss contours (factor 4 apart)")),
                Line2D([], [], marker="o", color="0.3", ms=2.5, lw=1.2, label=self.tr("gradient-descent path")),
                *[
                    Line2D([], [], ls=ls, color=c, lw=1.6, label=self.tr("{name}: $f - f^*$").format(name=n))
                    for c, ls, n in zip(COLORS, self.STYLES, self._short_names(), strict=True)
                ],
            ],
            loc="outside lower center",
            ncol=4,
            fontsize=8,
            frameon=False,
        )

    def _short_names(self):
        return self.tr("raw"), self.tr("centered"), self.tr("standardized")

    def runs(self, mean, scale, lr, steps):
        x, y = regression_data(mean, scale)
        return [bnm.gradient_descent(x, y, lr, steps, normalize=m) for m in MODES]

    def draw(self, mean, scale, lr, steps):
        with one_cpu_thread("cpu"):  # tiny tensors: thread handshakes would cost more than the maths
            self._draw(mean, scale, lr, steps)

    def _draw(self, mean, scale, lr, steps):
        runs = self.runs(mean, scale, lr, steps)
        for ax, run, cont, path, start, opt, label, exit_ in zip(
            self.ax_land,
            runs,
            self.contours,
            self.paths,
            self.starts,
            self.optima,
            self.labels,
            self.exits,
            strict=True,
        ):
            w_opt = run.optimum.numpy()
            H = bnm.second_moment(run.x).numpy()
            r = _nice(1.3 * max(np.abs(w_opt).max(), 0.5))
            c0 = float(run.losses[0] - run.min_loss)
            cont.set_segments(ellipses(w_opt, H, c0 * 4.0 ** -np.arange(-1, 9)))
            L = run.lipschitz.item()
            diverging = lr * L / 2 > 1
            # a converging zigzag may overshoot the panel and come back: drawn whole (the axes clip it);
            # a diverging path ends where it leaves the panel, marked
            pts, k_out = _clipped_path(run.path.numpy(), r if diverging else 50 * r)
            path.set_data(*pts.T)
            exit_.set_data(*(([pts[-1, 0]], [pts[-1, 1]]) if diverging and k_out > 0 else ([], [])))
            start.set_data([0.0], [0.0])
            opt.set_data([w_opt[0]], [w_opt[1]])
            ax.set_xlim(-r, r)
            ax.set_ylim(-r, r)
            note = (
                ""
                if not diverging
                else self.tr("\ndiverges: leaves at step {k} (×)").format(k=k_out)
                if k_out > 0
                else self.tr("\ndiverges (inside for {steps} steps)").format(steps=steps)
            )
            label.set_text(f"L = {L:.3g},  ηL/2 = {vs_one(lr * L / 2)}{note}".replace("&lt;", "<").replace("&gt;", ">"))
        gaps = [(run.losses - run.min_loss).numpy() for run in runs]
        self.L, self.gaps = [run.lipschitz.item() for run in runs], gaps  # kept for the exercises
        lo, hi = self._gap_limits(gaps)
        passes = []
        for curve, mark, gap, name in zip(self.curves, self.curve_exits, gaps, self._short_names(), strict=True):
            k, v, out = _cut_at_top(gap, lo, hi)
            curve.set_data(k, v)
            mark.set_data(*(([out[0]], [out[1]]) if out else ([], [])))
            if out:
                passes.append(self.tr("{name} passes {hi:.0e} at step {k:.1f}").format(name=name, hi=hi, k=out[0]))
        self.ax_loss.set_ylim(lo, hi)
        self.ax_loss.set_xlim(0, nice_ceil(steps))
        self.readout = self._readout(runs, gaps, lr, steps)
        if passes:
            self.readout += self.tr(" Off the loss panel's top (×): {passes}.").format(passes=", ".join(passes))

    @classmethod
    def _gap_limits(cls, gaps):
        """Log limits for f − f*, on a ladder of 10^(3m), within GAP_RANGE."""
        floor, cap = cls.GAP_RANGE
        v = np.concatenate(gaps)
        v = v[np.isfinite(v) & (v > floor)]
        if v.size == 0:
            return floor, 1.0
        lo = max(floor, _ladder(v.min(), up=False))
        hi = min(cap, _ladder(v.max(), up=True))
        return lo, max(hi, 1e3 * lo)

    def _readout(self, runs, gaps, lr, steps):
        L = [run.lipschitz.item() for run in runs]
        verdict = [
            (
                self.tr("{name} <b>diverges</b> (ηL/2 = {ratio})")
                if lr * v / 2 > 1
                else self.tr("{name} converges (ηL/2 = {ratio})")
            ).format(name=n, ratio=vs_one(lr * v / 2))
            for n, v in zip(self._short_names(), L, strict=True)
        ]
        final = [f"{g[-1]:.2g}" if np.isfinite(g[-1]) else self.tr("overflowed") for g in gaps]
        return self.tr(
            "L = λ<sub>max</sub>(E[xxᵀ]): raw <b>{L0:.3g}</b>, centered <b>{L1:.3g}</b>, "
            "standardized <b>{L2:.3g}</b>; largest stable η = 2/L: {s0:.3g}, "
            "{s1:.3g}, {s2:.3g}. At η = {lr:.3g}: {v0}, {v1}, {v2}; "
            "gradient descent converges iff ηL/2 &lt; 1. After {steps} steps f − f* is {f0} raw, "
            "{f1} centered, {f2} standardized. Centering divides L by {ratio:.3g}."
        ).format(
            L0=L[0],
            L1=L[1],
            L2=L[2],
            s0=2 / L[0],
            s1=2 / L[1],
            s2=2 / L[2],
            lr=lr,
            v0=verdict[0],
            v1=verdict[1],
            v2=verdict[2],
            steps=steps,
            f0=final[0],
            f1=final[1],
            f2=final[2],
            ratio=L[0] / L[1],
        )


# ------------------------------------------------------------------------- the MLP
PROBE = dict(hidden=(32, 32), steps=200, probe_every=4, probe_scales=(0.5, 1.0, 2.0, 4.0))


@functools.lru_cache(maxsize=8)
def teacher_data(mean: float, n: int = 512, seed: int = 0):
    """The MLP task, float32: x = mean + s ⊙ z with scales from 1/3 to 3, y a tanh teacher of z.

    Drawn on the CPU (the same data everywhere), then moved to CUDA when present.
    """
    x, y = bnm.teacher_task(n, 8, mean=mean, scale_spread=3.0, generator=torch.Generator().manual_seed(seed))
    device = default_device()
    return x.to(device), y.to(device)


@functools.lru_cache(maxsize=64)
def probe_run(bn: str, lr: float, batch_size: int, mean: float):
    """One training run with its landscape measures, cached by its parameters (progress in a worker)."""
    x, y = teacher_data(mean)
    if bn == "none":
        progress = stage("SGD with the landscape probe, no BN")
    else:
        progress = stage("SGD with the landscape probe, BN {bn}", bn=bn)
    return bnm.landscape_probe(x, y, bn=bn, lr=lr, batch_size=batch_size, progress=progress, **PROBE)


def running_median(v, width: int):
    """Median over a centered window of ``width`` points (shorter at the ends)."""
    v = np.asarray(v, dtype=float)
    if v.size == 0:
        return v
    h = width // 2
    padded = np.pad(v, h, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * h + 1), axis=1)


def _decades(values, lo_cap=1e-6, hi_cap=1e8):
    """Log-axis limits rounded out to whole decades (so most moves keep the axes)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return 1e-2, 1e2
    lo = 10.0 ** np.floor(np.log10(max(v.min(), lo_cap)))
    hi = 10.0 ** np.ceil(np.log10(min(v.max(), hi_cap)))
    return lo, max(hi, 10 * lo)


class LandscapeBNFigure(InteractiveFigure):
    """Santurkar et al.'s three landscape measures over training, for an MLP with and without BN."""

    controls = {
        "lr": LogSlider(0.003, 0.3, 0.01, label="learning rate η", named=(0.01, 0.03, 0.1)),
        # batch sizes: powers of two besides the round numbers (the lesson's tables use 2, 4, 16, 64)
        "batch_size": LogSlider(2, 256, 64, integer=True, label="batch size", named=(2, 4, 8, 16, 32, 64, 128, 256)),
        "placement": Choice(["after", "before"], "after", label="BN placement"),
        "mean": Slider(0.0, 5.0, 3.0, step=0.5, label="input mean", named=(0.0, 3.0)),
    }
    figsize = (12.0, 4.0)
    continuous = False  # each update trains two networks (about a second on the CPU)

    TITLES = ("loss on all data", "loss variation", "gradient change", r"effective $\beta$-smoothness")
    KEYS = ("full_loss", "loss_variation", "gradient_predictiveness", "beta_smoothness")
    STYLES = ("-", "--")  # no BN, BN

    def build(self):
        self.axes = self.fig.subplots(1, 4)
        self.lines, self.div_marks = [], []
        tr = self.tr  # TITLES, in this language
        titles = (
            tr("loss on all data"),
            tr("loss variation"),
            tr("gradient change"),
            tr(r"effective $\beta$-smoothness"),
        )
        for ax, title in zip(self.axes, titles, strict=True):
            pair, marks = [], []
            for color, ls in zip(
                ("C3", "C0"), self.STYLES, strict=True
            ):  # no BN, BN: each step thin, a running median bold
                (raw,) = ax.plot([], [], ls, color=color, lw=0.6, alpha=0.35)
                (smooth,) = ax.plot([], [], ls, color=color, lw=1.6)
                (mark,) = ax.plot([], [], "X", color=color, mec="k", ms=8, clip_on=False, in_layout=False, zorder=5)
                pair.append((raw, smooth))
                marks.append(mark)
            ax.set(yscale="log", xlim=(0, PROBE["steps"]), xlabel=self.tr("training step"))
            ax.set_title(title, pad=9)  # room for a divergence mark on the top edge
            ax.yaxis.set_major_locator(LogLocator(numticks=6))
            ax.yaxis.set_minor_locator(NullLocator())  # minor log ticks triple the cost of a full draw
            self.lines.append(pair)
            self.div_marks.append(marks)
        self.div_text = self.axes[0].text(
            0.97, 0.97, "", transform=self.axes[0].transAxes, ha="right", va="top", fontsize=8, color="C3"
        )
        self.fig.legend(
            handles=[
                Line2D([], [], color="C3", lw=1.6, label=self.tr("no BN")),
                Line2D([], [], color="C0", ls="--", lw=1.6, label="BN"),
                Line2D([], [], color="0.5", lw=0.6, label=self.tr("each probed step")),
                Line2D([], [], color="0.5", lw=1.6, label=self.tr("running median of 5")),
            ],
            loc="outside lower center",
            ncol=4,
            fontsize=8,
            frameon=False,
        )

    @staticmethod
    def drawn(run, key):
        """The probed steps and values a run's line shows: the finite, positive ones, or none if
        fewer than two (one point is no line)."""
        v = getattr(run, key).numpy()
        ok = np.isfinite(v) & (v > 0)
        k, v = run.step.numpy()[ok], v[ok]
        return (k, v) if len(v) >= 2 else (k[:0], v[:0])

    def compute(self, lr, batch_size, placement, mean):
        """The two cached runs draw() shows, no BN and BN (the widget computes them in a worker)."""
        with part(0, 2):  # each run fills half of the progress bar
            none = probe_run("none", lr, batch_size, mean)
        with part(1, 2):
            return none, probe_run(placement, lr, batch_size, mean)

    def draw(self, lr, batch_size, placement, mean):
        runs = self.compute(lr, batch_size, placement, mean)
        for ax, pairs, marks, key in zip(self.axes, self.lines, self.div_marks, self.KEYS, strict=True):
            shown = [self.drawn(r, key) for r in runs]
            lo, hi = _decades(np.concatenate([v for _, v in shown]))  # limits follow what is drawn
            for (raw, smooth), mark, run, (k, v) in zip(pairs, marks, runs, shown, strict=True):
                v = np.clip(v, lo, hi)
                raw.set_data(k, v)
                smooth.set_data(k, running_median(v, 5))
                mark.set_data(*(([run.diverged_at], [hi]) if run.diverged_at >= 0 else ([], [])))
            ax.set_ylim(lo, hi)
        none, bn = runs
        notes = [
            self.tr("{name} diverged at step {k} (× on the top edges)").format(name=name, k=r.diverged_at)
            for name, r in ((self.tr("no BN"), none), ("BN", bn))
            if r.diverged_at >= 0
        ]
        self.div_text.set_text("\n".join(notes))
        self.readout = self._readout(none, bn, placement)

    def _readout(self, none, bn, placement):
        def med(r, key):
            v = getattr(r, key)
            v = v[torch.isfinite(v)]
            return f"{v.median().item():.3g}" if v.numel() else "–"

        def final(r):
            return float("nan") if r.diverged_at >= 0 else r.full_loss[-1].item()

        placed = self.tr("after the linear layers") if placement == "after" else self.tr("before the linear layers")
        return self.tr(
            "Medians over training, no BN vs BN ({placed}): loss variation "
            "<b>{lv_none}</b> vs <b>{lv_bn}</b>, gradient change "
            "<b>{gp_none}</b> vs <b>{gp_bn}</b>, "
            "effective β <b>{beta_none}</b> vs <b>{beta_bn}</b>. "
            "Final loss on all data: {verdict}."
        ).format(
            placed=placed,
            lv_none=med(none, "loss_variation"),
            lv_bn=med(bn, "loss_variation"),
            gp_none=med(none, "gradient_predictiveness"),
            gp_bn=med(bn, "gradient_predictiveness"),
            beta_none=med(none, "beta_smoothness"),
            beta_bn=med(bn, "beta_smoothness"),
            verdict=final_verdict(final(none), final(bn), self.lang),
        )
