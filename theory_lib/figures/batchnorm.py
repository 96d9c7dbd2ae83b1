"""Lesson 06 figures: least squares seen raw, centered and standardized; an MLP with and without BN."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullLocator

from theory_lib import batchnorm as bnm
from theory_lib._checks import default_device
from theory_lib.figures.base import Choice, InteractiveFigure, LogSlider, Slider

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
    """The path up to where it leaves [-box, box]², ending with the ray that leaves (diverging runs)."""
    inside = np.isfinite(p).all(1) & (np.abs(p).max(1) < box)
    if inside.all():
        return p
    k = int(np.argmin(inside))  # the first point outside (p[0] = w_0 = 0 is always inside)
    a, b = p[k - 1], p[k]
    if not np.isfinite(b).all():
        return p[:k]
    d = b - a
    moving = d != 0
    t = ((np.sign(d[moving]) * box - a[moving]) / d[moving]).min()  # first side of the box it reaches
    return np.vstack([p[:k], a + min(t, 1.0) * d])


class LeastSquaresBNFigure(InteractiveFigure):
    """Gradient descent on f(w) = E[(wᵀx − y)²]/2 for raw, centered and standardized inputs."""

    controls = {
        "mean": Slider(-4.0, 4.0, 2.0, step=0.1, label="input mean μ"),
        "scale": LogSlider(0.2, 5.0, 1.0, label="scale σ₂ of x₂"),
        "lr": LogSlider(0.01, 3.0, 0.2, label="learning rate η"),
        "steps": Slider(1, 100, 30, integer=True, label="steps"),
    }
    figsize = (12.0, 4.4)

    def build(self):
        axes = self.fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.15]})
        self.ax_land, self.ax_loss = axes[:3], axes[3]
        self.contours, self.paths, self.starts, self.optima, self.labels = [], [], [], [], []
        for ax, name, color in zip(self.ax_land, MODE_NAMES, COLORS):
            cont = LineCollection([], colors="0.6", linewidths=0.8)
            ax.add_collection(cont)
            (path,) = ax.plot([], [], "o-", color=color, ms=2.5, lw=1.2)
            (start,) = ax.plot([], [], "s", color="k", ms=4)
            (opt,) = ax.plot([], [], "+", color="k", ms=10, mew=1.5)
            label = ax.text(0.03, 0.97, "", transform=ax.transAxes, va="top", fontsize=8,
                            bbox=dict(boxstyle="round", fc="white", ec="0.8", alpha=0.9))  # one short line: text is the costly artist
            ax.set(title=name, xlabel="$w_1$", ylabel="$w_2$", aspect="equal")
            self.contours.append(cont)
            self.paths.append(path)
            self.starts.append(start)
            self.optima.append(opt)
            self.labels.append(label)
        self.curves = [self.ax_loss.plot([], [], "-", color=c, lw=1.5, label=n)[0]
                       for c, n in zip(COLORS, ("raw", "centered", "standardized"))]
        top = self.controls["steps"].max
        self.ax_loss.set(yscale="log", ylim=(1e-10, 1e4), xlim=(0, top), xlabel="step k",
                         title="$f(w_k) - f(w^*)$")
        self.ax_loss.yaxis.set_minor_locator(NullLocator())
        self.ax_loss.legend(loc="lower left", fontsize=8, framealpha=0.9)
        self.fig.legend(
            handles=[Line2D([], [], marker="s", color="k", ls="", ms=4, label="start $w_0 = 0$"),
                     Line2D([], [], marker="+", color="k", ls="", ms=9, label="minimum $w^*$"),
                     Line2D([], [], color="0.6", lw=0.8, label="loss contours (factor 4 apart)"),
                     Line2D([], [], marker="o", color="0.3", ms=2.5, lw=1.2, label="gradient-descent path")],
            loc="outside lower center", ncol=4, fontsize=8, frameon=False)

    def runs(self, mean, scale, lr, steps):
        x, y = regression_data(mean, scale)
        return [bnm.gradient_descent(x, y, lr, steps, normalize=m) for m in MODES]

    def draw(self, mean, scale, lr, steps):
        with bnm.one_thread("cpu"):  # tiny tensors: thread handshakes would cost more than the maths
            self._draw(mean, scale, lr, steps)

    def _draw(self, mean, scale, lr, steps):
        runs = self.runs(mean, scale, lr, steps)
        cap = 1e4  # the loss panel's top: divergent runs are drawn up to there
        for ax, run, cont, path, start, opt, label in zip(
                self.ax_land, runs, self.contours, self.paths, self.starts, self.optima, self.labels):
            w_opt = run.optimum.numpy()
            H = bnm.second_moment(run.x).numpy()
            r = _nice(1.3 * max(np.abs(w_opt).max(), 0.5))
            c0 = float(run.losses[0] - run.min_loss)
            cont.set_segments(ellipses(w_opt, H, c0 * 4.0 ** -np.arange(-1, 9)))
            path.set_data(*_clipped_path(run.path.numpy(), 50 * r).T)
            start.set_data([0.0], [0.0])
            opt.set_data([w_opt[0]], [w_opt[1]])
            ax.set_xlim(-r, r)
            ax.set_ylim(-r, r)
            L = run.lipschitz.item()
            label.set_text(f"L = {L:.3g},  ηL/2 = {lr * L / 2:.2g}")
        for curve, run in zip(self.curves, runs):
            gap = (run.losses - run.min_loss).numpy()
            ok = np.isfinite(gap) & (gap < cap)
            last = int(np.argmin(ok)) + 1 if not ok.all() else len(gap)  # up to the first point off the top
            k = np.arange(last)
            curve.set_data(k, np.clip(np.nan_to_num(gap[:last], nan=cap, posinf=cap), 1e-12, 10 * cap))
        L = [run.lipschitz.item() for run in runs]
        verdict = ["converges" if lr < 2 / v else "<b>diverges</b>" for v in L]
        self.readout = (f"L = λ<sub>max</sub>(E[xxᵀ]): raw <b>{L[0]:.3g}</b>, centered <b>{L[1]:.3g}</b>, "
                        f"standardized <b>{L[2]:.3g}</b>; largest stable η = 2/L: {2 / L[0]:.3g}, "
                        f"{2 / L[1]:.3g}, {2 / L[2]:.3g}. At η = {lr:.3g}: raw {verdict[0]}, centered "
                        f"{verdict[1]}, standardized {verdict[2]} (gradient descent converges iff ηL/2 < 1). "
                        f"Centering divides L by {L[0] / L[1]:.3g}.")


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
    """One training run with its landscape measures, cached by its parameters."""
    x, y = teacher_data(mean)
    return bnm.landscape_probe(x, y, bn=bn, lr=lr, batch_size=batch_size, **PROBE)


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
        "lr": LogSlider(0.003, 0.3, 0.01, label="learning rate η"),
        "batch_size": LogSlider(2, 256, 64, integer=True, label="batch size"),
        "placement": Choice(["after", "before"], "after", label="BN placement"),
        "mean": Slider(0.0, 5.0, 3.0, step=0.5, label="input mean"),
    }
    figsize = (12.0, 4.0)
    continuous = False  # each update trains two networks (about a second on the CPU)

    TITLES = ("loss on all data", "loss variation", "gradient change", r"effective $\beta$-smoothness")

    def build(self):
        self.axes = self.fig.subplots(1, 4)
        self.lines = []
        for ax, title in zip(self.axes, self.TITLES):
            pair = []
            for color in ("C3", "C0"):  # no BN, BN: each step thin, a running median bold
                (raw,) = ax.plot([], [], "-", color=color, lw=0.6, alpha=0.35)
                (smooth,) = ax.plot([], [], "-", color=color, lw=1.6)
                pair.append((raw, smooth))
            ax.set(yscale="log", xlim=(0, PROBE["steps"]), xlabel="training step", title=title)
            ax.yaxis.set_major_locator(LogLocator(numticks=6))
            ax.yaxis.set_minor_locator(NullLocator())  # minor log ticks triple the cost of a full draw
            self.lines.append(pair)
        self.div_text = self.axes[0].text(0.97, 0.97, "", transform=self.axes[0].transAxes, ha="right",
                                          va="top", fontsize=8, color="C3")
        self.fig.legend(handles=[Line2D([], [], color="C3", lw=1.6, label="no BN"),
                                 Line2D([], [], color="C0", lw=1.6, label="BN"),
                                 Line2D([], [], color="0.5", lw=0.6, label="each probed step"),
                                 Line2D([], [], color="0.5", lw=1.6, label="running median of 5")],
                        loc="outside lower center", ncol=4, fontsize=8, frameon=False)

    def draw(self, lr, batch_size, placement, mean):
        runs = (probe_run("none", lr, batch_size, mean), probe_run(placement, lr, batch_size, mean))
        for ax, (ln_none, ln_bn), key in zip(self.axes, self.lines, ("full_loss", "loss_variation",
                                                                      "gradient_predictiveness", "beta_smoothness")):
            lo, hi = _decades(np.concatenate([getattr(r, key).numpy() for r in runs]))
            for (raw, smooth), run in ((ln_none, runs[0]), (ln_bn, runs[1])):
                v = getattr(run, key).numpy()
                ok = np.isfinite(v) & (v > 0)
                k, v = run.step.numpy()[ok], np.clip(v[ok], lo, hi)
                raw.set_data(k, v)
                smooth.set_data(k, running_median(v, 5))
            ax.set_ylim(lo, hi)
        none, bn = runs
        self.div_text.set_text(f"no BN diverged at step {none.diverged_at}" if none.diverged_at >= 0 else "")
        self.readout = self._readout(none, bn, placement)

    @staticmethod
    def _readout(none, bn, placement):
        def med(r, key):
            v = getattr(r, key)
            v = v[torch.isfinite(v)]
            return f"{v.median().item():.3g}" if v.numel() else "–"

        def final(r):
            v = r.full_loss[torch.isfinite(r.full_loss)]
            return "diverged" if r.diverged_at >= 0 else f"{v[-1].item():.3g}"

        return (f"Medians over training, no BN vs BN ({placement} the linear layers): loss variation "
                f"<b>{med(none, 'loss_variation')}</b> vs <b>{med(bn, 'loss_variation')}</b>, gradient change "
                f"<b>{med(none, 'gradient_predictiveness')}</b> vs <b>{med(bn, 'gradient_predictiveness')}</b>, "
                f"effective β <b>{med(none, 'beta_smoothness')}</b> vs <b>{med(bn, 'beta_smoothness')}</b>. "
                f"Final loss on all data: {final(none)} vs {final(bn)}.")
