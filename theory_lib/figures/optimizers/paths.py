"""Lesson 15, the figures on the quadratic valley L = ½(θ − c)ᵀA(θ − c), A = diag(1, 10), c = (1, 1).

``OpeningFigure`` (λ alone): SGD with decay and SGD on L + (λ/2)‖θ‖² trace one path; Adam with L2 in the
loss and AdamW (decoupled decay) do not, and end at different points. ``LabFigure``: every trick on one
path (base, decay, layer adaptation, accumulation against gradient noise, Lookahead's k and α), with
the loss along the updates. Paths come from ``optimizers.quadratic_paths``, every slider value of λ (and of the
lab's λ and α) in one batched run, cached; a value off the sliders' grid runs on its own.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import optimizers as op
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, Slider

STEPS = 300
LR = {"sgd": 0.05, "adam": 0.05}
XLIM, YLIM = (-2.0, 2.0), (-0.5, 2.5)
LAB_STEPS = 150
SEED = 0


@functools.lru_cache(maxsize=1024)
def path(steps: int, l2: float = 0.0, noise: float = 0.0, **options) -> np.ndarray:
    """A cached quadratic_path (float64, CPU), noise drawn from a fixed seed; lr_schedule as ((step, value), ...)."""
    options = dict(options)
    if options.get("lr_schedule") is not None:
        options["lr_schedule"] = dict(options["lr_schedule"])
    gen = torch.Generator().manual_seed(SEED)
    return op.quadratic_path(steps, options, l2=l2, noise=noise, generator=gen).numpy()


def loss_of(p: np.ndarray) -> np.ndarray:
    """L = ½(θ − c)ᵀA(θ − c) along a path (rows)."""
    d = p - np.array(op.QUADRATIC_C)
    return 0.5 * (d * (d @ np.array(op.QUADRATIC_A))).sum(-1)


def grid(slider: Slider) -> list:
    """The values a linear slider can take: min + k·step."""
    n = int(round((slider.max - slider.min) / slider.step))
    return [round(slider.min + i * slider.step, 10) for i in range(n + 1)]


LAMBDAS = Slider(0.0, 1.0, 0.3, step=0.05, label="decay λ", named=(0.0, 0.3, 1.0))


@functools.lru_cache(maxsize=1)
@one_cpu_thread()
def opening_grid() -> dict:
    """Every λ of the slider at once (quadratic_paths): {variant: (updates + 1, len(grid), 2)}."""
    lam = torch.tensor(grid(LAMBDAS), dtype=torch.float64)
    zero = torch.zeros_like(lam)
    out = {}
    for base in ("sgd", "adam"):
        both = op.quadratic_paths(
            STEPS, 2 * len(lam), base=base, lr=LR[base], weight_decay=torch.cat([lam, zero]), l2=torch.cat([zero, lam])
        ).numpy()
        out[base + " decay"], out[base + " l2"] = both[:, : len(lam)], both[:, len(lam) :]
    return out


def opening_paths(lam: float) -> dict:
    """The four paths of the opening: SGD decay, SGD L2, Adam L2 (torch Adam's weight_decay), AdamW."""
    table, lams = opening_grid(), np.array(grid(LAMBDAS))
    i = int(np.argmin(np.abs(lams - lam)))
    if abs(lams[i] - lam) > 1e-9:  # off the grid: one run each
        return {
            "sgd decay": path(STEPS, base="sgd", lr=LR["sgd"], weight_decay=lam),
            "sgd l2": path(STEPS, l2=lam, base="sgd", lr=LR["sgd"]),
            "adam l2": path(STEPS, l2=lam, base="adam", lr=LR["adam"]),
            "adamw": path(STEPS, base="adam", lr=LR["adam"], weight_decay=lam),
        }
    keys = {"sgd decay": "sgd decay", "sgd l2": "sgd l2", "adam l2": "adam l2", "adamw": "adam decay"}
    return {name: table[key][:, i] for name, key in keys.items()}


def l2_minimum(lam: float) -> np.ndarray:
    """argmin L + (λ/2)‖θ‖² = (A + λI)⁻¹ A c."""
    A = np.array(op.QUADRATIC_A)
    return np.linalg.solve(A + lam * np.eye(2), A @ np.array(op.QUADRATIC_C))


def _contours(ax, xlim=XLIM, ylim=YLIM):
    x, y = np.meshgrid(np.linspace(*xlim, 121), np.linspace(*ylim, 101))
    grid = np.stack([x, y], -1)
    ax.contour(x, y, loss_of(grid), levels=[0.05, 0.2, 0.5, 1, 2, 4, 8], colors="0.85", linewidths=0.8)
    ax.plot(*op.QUADRATIC_C, "+", color="k", ms=10, mew=1.5)
    ax.set(xlim=xlim, ylim=ylim, xlabel="θ₁", ylabel="θ₂", aspect="equal")


class OpeningFigure(InteractiveFigure):
    """Decay against L2 on the valley: one path for SGD, two for Adam."""

    controls = {"lam": LAMBDAS}
    figsize = (10.0, 4.2)

    def build(self):
        ax, ax_d = self.fig.subplots(1, 2)
        self.ax, self.ax_d = ax, ax_d
        _contours(ax, (-1.6, 1.4), (0.3, 2.1))
        (self.sgd_decay,) = ax.plot([], [], color="C0", lw=3.5, alpha=0.45, label=self.tr("SGD, decay"))
        (self.sgd_l2,) = ax.plot([], [], color="k", lw=1.0, ls="--", label=self.tr("SGD, L2 in the loss"))
        (self.adam_l2,) = ax.plot([], [], color="C3", lw=1.6, label=self.tr("Adam, L2 in the loss"))
        (self.adamw,) = ax.plot([], [], color="C2", lw=1.6, label=self.tr("AdamW"))
        (self.star,) = ax.plot([], [], "*", color="C1", ms=12, label=self.tr("minimum of L + (λ/2)‖θ‖²"))
        (self.ends,) = ax.plot([], [], "o", color="k", ms=4)
        ax.set_title(
            self.tr("{steps} updates from (−1.5, 2); + marks the minimum of L").format(steps=STEPS), fontsize=9
        )
        ax.legend(loc="upper right", fontsize=7, frameon=True, framealpha=0.85)
        (self.gap_sgd,) = ax_d.plot([], [], color="C0", lw=1.6, label=self.tr("SGD: |decay − L2|"))
        (self.gap_adam,) = ax_d.plot([], [], color="C3", lw=1.6, label=self.tr("Adam: |AdamW − L2|"))
        ax_d.set(yscale="log", xlim=(0, STEPS), ylim=(1e-18, 10), xlabel=self.tr("update"))
        ax_d.set_title(self.tr("distance between the two paths (0 drawn at 10⁻¹⁷)"), fontsize=9)
        ax_d.legend(loc="center right", fontsize=7.5, frameon=False)

    def draw(self, lam):
        p = opening_paths(lam)
        for line, key in ((self.sgd_decay, "sgd decay"), (self.sgd_l2, "sgd l2"), (self.adam_l2, "adam l2")):
            line.set_data(p[key][:, 0], p[key][:, 1])
        self.adamw.set_data(p["adamw"][:, 0], p["adamw"][:, 1])
        self.minimum = l2_minimum(lam)
        self.star.set_data([self.minimum[0]], [self.minimum[1]])
        self.ends.set_data([p[k][-1, 0] for k in p], [p[k][-1, 1] for k in p])
        k = np.arange(STEPS + 1)
        gap_sgd = np.linalg.norm(p["sgd decay"] - p["sgd l2"], axis=1)
        gap_adam = np.linalg.norm(p["adamw"] - p["adam l2"], axis=1)
        self.gap_sgd.set_data(k, np.maximum(gap_sgd, 1e-17))
        self.gap_adam.set_data(k, np.maximum(gap_adam, 1e-17))
        self.sgd_gap, self.adam_gap = float(gap_sgd.max()), float(gap_adam[-1])
        self.end_l2, self.end_w = p["adam l2"][-1], p["adamw"][-1]
        self.readout = self.tr(
            "λ = {lam:g}: SGD with decay and SGD on L + (λ/2)‖θ‖² differ by at most <b>{sgd:.1e}</b> (rounding). "
            "Adam with L2 ends at ({l1:.3f}, {l2:.3f}), AdamW at ({w1:.3f}, {w2:.3f}): <b>{adam:.3f}</b> apart; "
            "the minimum of L + (λ/2)‖θ‖² is ({m1:.3f}, {m2:.3f})."
        ).format(
            lam=lam,
            sgd=self.sgd_gap,
            l1=self.end_l2[0],
            l2=self.end_l2[1],
            w1=self.end_w[0],
            w2=self.end_w[1],
            adam=self.adam_gap,
            m1=self.minimum[0],
            m2=self.minimum[1],
        )


LAB = {
    "lam": Slider(0.0, 0.5, 0.0, step=0.05, label="decay λ", named=(0.0,)),
    "alpha": Slider(0.1, 1.0, 0.5, step=0.1, label="Lookahead α", named=(0.5,)),
}


@functools.lru_cache(maxsize=256)
@one_cpu_thread()
def lab_rows(base: str, layer: str, accum: int, noise: float, la_k: int) -> np.ndarray:
    """Every (λ, α) of the lab's sliders at once: (updates + 1, len(λ grid), len(α grid), 2)."""
    lam, alpha = (torch.tensor(grid(LAB[c]), dtype=torch.float64) for c in ("lam", "alpha"))
    grid_l, grid_a = torch.meshgrid(lam, alpha, indexing="ij")
    paths = op.quadratic_paths(
        LAB_STEPS,
        grid_l.numel(),
        base=base,
        lr=LR[base],
        weight_decay=grid_l.reshape(-1),
        layer_adaptation=layer == "on",
        grad_accum_steps=accum,
        noise=noise,
        lookahead_steps=la_k,
        lookahead_alpha=grid_a.reshape(-1),
        seed=SEED,
    )
    return paths.numpy().reshape(LAB_STEPS + 1, len(lam), len(alpha), 2)


def lab_path(base, layer, accum, noise, la_k, lam, alpha) -> np.ndarray:
    """One lab path, read from its (λ, α) batch."""
    lams, alphas = np.array(grid(LAB["lam"])), np.array(grid(LAB["alpha"]))
    i, j = int(np.argmin(np.abs(lams - lam))), int(np.argmin(np.abs(alphas - alpha)))
    if abs(lams[i] - lam) > 1e-9 or abs(alphas[j] - alpha) > 1e-9:  # off the grid: one run
        options = dict(base=base, lr=LR[base], weight_decay=lam, layer_adaptation=layer == "on", grad_accum_steps=accum)
        if la_k:
            options.update(lookahead_steps=int(la_k), lookahead_alpha=alpha)
        return path(LAB_STEPS, noise=noise, **options)
    return lab_rows(base, layer, int(accum), float(noise), int(la_k))[:, i, j]


class LabFigure(InteractiveFigure):
    """Every trick on one path: base, decay, layer adaptation, accumulation against noise, Lookahead."""

    controls = {
        "base": Choice(list(op.BASES), "adam", label="base"),
        "lam": LAB["lam"],
        "layer": Choice(["off", "on"], "off", label="layer adaptation"),
        "accum": Slider(1, 8, 1, integer=True, label="accumulation k", named=(1, 8)),
        "noise": Slider(0.0, 4.0, 0.0, step=0.5, label="gradient noise σ", named=(0.0, 2.0)),
        "la_k": Slider(0, 10, 0, integer=True, label="Lookahead k (0: off)", named=(0, 5)),
        "alpha": LAB["alpha"],
    }
    figsize = (10.0, 4.2)

    def inactive(self) -> set:
        return {"alpha"} if self.params.get("la_k", 0) == 0 else set()

    def build(self):
        ax, ax_l = self.fig.subplots(1, 2)
        self.ax, self.ax_l = ax, ax_l
        _contours(ax)
        (self.plain,) = ax.plot([], [], color="0.6", lw=1.0, ls=":", label=self.tr("base alone"))
        (self.line,) = ax.plot([], [], color="C3", lw=1.5, label=self.tr("with the tricks"))
        (self.end,) = ax.plot([], [], "o", color="C3", ms=5)
        ax.set_title(self.tr("{steps} updates on the valley").format(steps=LAB_STEPS), fontsize=9)
        ax.legend(loc="lower right", fontsize=7.5, frameon=True, framealpha=0.85)
        (self.loss_plain,) = ax_l.plot([], [], color="0.6", lw=1.0, ls=":", label=self.tr("base alone"))
        (self.loss,) = ax_l.plot([], [], color="C3", lw=1.5, label=self.tr("with the tricks"))
        ax_l.set(yscale="log", xlim=(0, LAB_STEPS), ylim=(1e-8, 100), xlabel=self.tr("update"), ylabel="L")
        ax_l.set_title(self.tr("loss along the updates"), fontsize=9)
        ax_l.legend(loc="lower left", fontsize=7.5, frameon=False)

    def draw(self, base, lam, layer, accum, noise, la_k, alpha):
        p = lab_path(base, layer, accum, noise, la_k, lam, alpha)
        q = lab_path(base, "off", 1, noise, 0, 0.0, 0.5)
        self.line.set_data(p[:, 0], p[:, 1])
        self.plain.set_data(q[:, 0], q[:, 1])
        self.end.set_data([p[-1, 0]], [p[-1, 1]])
        k = np.arange(LAB_STEPS + 1)
        self.loss.set_data(k, np.clip(loss_of(p), 1e-8, 1e8))
        self.loss_plain.set_data(k, np.clip(loss_of(q), 1e-8, 1e8))
        tail = LAB_STEPS // 5
        self.final_loss = float(loss_of(p[-tail:]).mean())
        self.final_plain = float(loss_of(q[-tail:]).mean())
        self.distance = float(np.linalg.norm(p[-1] - np.array(op.QUADRATIC_C)))
        self.readout = self.tr(
            "{base}, {micro} micro-batches per update: mean loss over the last {tail} updates <b>{final:.2e}</b> "
            "(base alone {plain:.2e}); the last point is {dist:.3f} from the minimum."
        ).format(
            base="SGD" if base == "sgd" else "Adam",
            micro=accum,
            tail=tail,
            final=self.final_loss,
            plain=self.final_plain,
            dist=self.distance,
        )
