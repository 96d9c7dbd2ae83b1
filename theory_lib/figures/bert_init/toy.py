"""Lesson 04, the synthesis: a real residual stack, its gradient per layer at init for std 0.02 / Xavier / 1,
and Adam with and without warmup (it trains: the widget updates on release, in a worker thread)."""

from __future__ import annotations

import functools
import math

import numpy as np

from theory_lib import bert_init as bi
from theory_lib._checks import default_device
from theory_lib.figures.background import stage
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

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
        for i, name in enumerate(self.names()):
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
                label=self.tr("{name}, warmup").format(name=name),
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
                label=self.tr("{name}, none").format(name=name),
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
            xlabel=self.tr("block k (0 = nearest the input)"),
            ylabel=self.tr(r"$\|\partial L/\partial W_k\|$ at init"),
            title=self.tr("gradient per layer, before training"),
        )
        ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)
        ax_l.set(
            yscale="log",
            xlim=(0, STEPS),
            ylim=(self.FLOOR, self.CEIL),
            xlabel=self.tr("Adam step"),
            ylabel=self.tr("training loss (MSE)"),
            title=self.tr("training: solid, filled = warmup; dashed, hollow = none"),
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
        self.warm_text.set(x=warmup + 2, text=self.tr("end of warmup ({warmup} steps)").format(warmup=warmup))
        self.diverged_text.set_text("")
        self.constant_text.set_text("")

    def draw(self, norm, depth, lr, warmup):
        grads, losses = self.grads, self.losses = self.compute(norm, depth, lr, warmup)
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
            self.tr("dotted: residual-path weight (1+σ²)^(-(l-1-k)/2), scaled to the last block")
            if norm == "post"
            else self.tr("Pre Norm: every branch has the same path weight")
        )
        self.ax_g.set_xlim(-0.5, (8 if depth <= 8 else 16) - 0.5)

        floor = self.floor(losses)
        self.ax_l.set_ylim(floor, self.CEIL)
        t = np.arange(STEPS)
        diverged, collapsed = [], []
        for i, name in enumerate(self.names()):
            for line, curve, tag in (
                (self.cold_lines[i], losses[i, 0], "none"),
                (self.warm_lines[i], losses[i, 1], "warmup"),
            ):
                ok = np.isfinite(curve)
                if not ok.all():
                    at = {
                        "none": self.tr("{name} (none) at step {step}"),
                        "warmup": self.tr("{name} (warmup) at step {step}"),
                    }
                    diverged.append(at[tag].format(name=name, step=int(np.argmin(ok))))
                elif self.is_collapsed(curve):
                    run = {"none": self.tr("{name} (none)"), "warmup": self.tr("{name} (warmup)")}
                    collapsed.append(run[tag].format(name=name))
                line.set_data(t[ok], np.clip(curve[ok], floor, self.CEIL))
        self.warm_end.set_data([warmup, warmup], [floor, self.CEIL])
        self.warm_text.set(x=warmup + 2, text=self.tr("end of warmup ({warmup} steps)").format(warmup=warmup))
        self.diverged_text.set_text(
            self.tr("diverged: {runs}").format(runs=self.tr("; ").join(diverged)) if diverged else ""
        )
        n = len(collapsed)
        onto = {1: self.tr(": {n} run collapsed onto it"), 2: self.tr(": {n} runs collapsed onto it")}
        self.constant_text.set_text(
            self.tr("loss of predicting the mean, {loss:.3f}").format(loss=self.collapse)
            + (onto[min(n, 2)].format(n=n) if n else "")
        )
        self.readout = self._readout(norm, depth, lr, warmup, grads, losses)

    def names(self) -> list[str]:
        """NAMES, the three inits, in the figure's language."""
        std = self.tr("std {std:g}")
        return [std.format(std=0.02), f"Xavier 1/√{WIDTH}", std.format(std=1.0)]

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
        for i, name in enumerate(self.names()):
            ratio = grads[i, 0] / grads[i, -1]
            cells = []
            for c in losses[i]:
                if not np.isfinite(c[-10:]).all():
                    cells.append(self.tr("diverged"))
                else:
                    cells.append(f"{c[-10:].mean():.2g}" + (self.tr(" (collapsed)") if self.is_collapsed(c) else ""))
            rows.append(f"<tr><td>{name}</td><td>{ratio:.2f}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>")
        return self.tr(
            "<b>{norm} Norm, {depth} blocks, lr {lr:.3g}, warmup {warmup} steps</b> (updates when you release a "
            "slider: each change trains six networks; results are cached). <table><tr><th>init</th>"
            "<th>‖g₀‖/‖g_last‖ at init</th><th>final loss (mean of the last 10 steps), no warmup</th>"
            "<th>final loss, warmup</th></tr>{rows}</table>Collapsed: the final loss is above 0.9 × {loss:.3f}, "
            "the loss of predicting the mean."
        ).format(norm=norm, depth=depth, lr=lr, warmup=warmup, rows="".join(rows), loss=self.collapse)
