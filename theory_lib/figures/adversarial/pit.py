"""Lesson 12, Su's "pit bottom": a 1-16-16-2 tanh network on 1-d inputs trained with L + ε‖∇ₓL‖.

Classification digs one pit per class in the loss over x; the penalty asks each sample to sit at the
bottom of a pit (∇ₓL = 0), where a small move costs little. For a few training ε (cached, trained in
the figure's worker), left: the per-class loss over x with the samples on their own class's curve;
right: the accuracy under an FGM attack of size ε_attack, for every training ε.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import torch

from theory_lib import adversarial as adv
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.background import part, stage
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, Slider

EPS_TRAIN = (0.0, 0.1, 0.3, 1.0)
POINTS, SEPARATION, STEPS, LR = 200, 2.5, 300, 0.02
TRAIN_COLORS = ("0.45", "C1", "C2", "C4")
ATTACKS = np.round(np.arange(0.0, 1.501, 0.05), 2)
X_LO, X_HI = -4.5, 4.5


def attacked_curve(model, x, y) -> np.ndarray:
    """Accuracy under the FGM attack at every size on ATTACKS, in one batched forward pass (the same
    numbers as adv.attacked_accuracy at each size: tested)."""
    unit = adv.fgm_perturbation(adv.input_gradient(model, x, y), 1.0)  # (n, 1): the attack's direction
    sizes = torch.as_tensor(ATTACKS, dtype=x.dtype)[:, None, None]  # (A, 1, 1)
    with torch.no_grad():
        moved = (x[None] + sizes * unit[None]).reshape(-1, x.shape[1])  # (A n, 1)
        right = model(moved).argmax(-1).reshape(len(ATTACKS), -1) == y[None]
    return right.double().mean(1).numpy()


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def pit_runs(seed: int) -> dict:
    """Data (seed), and for each training ε: the loss curves over x, the samples' losses and input
    gradients, and the accuracy under attack on the ATTACKS grid."""
    t0 = time.perf_counter()
    x, y = adv.gaussian_classes(POINTS, separation=SEPARATION, generator=torch.Generator().manual_seed(seed))
    grid = torch.linspace(X_LO, X_HI, 361, dtype=torch.float64)[:, None]
    runs = {}
    for i, eps in enumerate(EPS_TRAIN):
        with part(i, len(EPS_TRAIN)):
            run = adv.train_classifier(
                x,
                y,
                method="penalty" if eps > 0 else "plain",
                eps=eps,
                steps=STEPS,
                lr=LR,
                generator=torch.Generator().manual_seed(seed + 1),
                progress=stage(f"L + {eps:g}·‖∇ₓL‖"),
            )
            m = run.model
            with torch.no_grad():
                curves = torch.nn.functional.log_softmax(m(grid), -1).neg().numpy()  # (361, 2): L(x, c)
            runs[eps] = {
                "curves": curves,
                "loss": adv.per_sample_losses(m, x, y).detach().numpy(),
                "grad": adv.input_gradient(m, x, y)[:, 0].abs().numpy(),
                "acc": attacked_curve(m, x, y),
            }
    return {
        "x": x[:, 0].numpy(),
        "y": y.numpy(),
        "grid": grid[:, 0].numpy(),
        "runs": runs,
        "seconds": time.perf_counter() - t0,
    }


class PitBottomFigure(InteractiveFigure):
    """The per-class loss over x and the samples in their pits; accuracy under attack for each training ε."""

    controls = {
        "eps_train": Choice(list(EPS_TRAIN), 0.3, label="training ε (penalty)"),
        "eps_attack": Slider(0.0, 1.5, 0.5, step=0.05, label="attack size ε_attack", named=(0.0, 0.5, 1.0)),
        "seed": Slider(0, 4, 0, integer=True, label="data seed"),
    }
    figsize = (10.0, 4.7)

    def build(self):
        self.ax, self.ax_a = ax, ax_a = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        (self.c0,) = ax.plot([], [], color="C0", lw=1.6, label=self.tr("L(x, class 0)"))
        (self.c1,) = ax.plot([], [], color="C3", lw=1.6, label=self.tr("L(x, class 1)"))
        (self.s0,) = ax.plot([], [], "o", color="C0", ms=3.5, alpha=0.6, label=self.tr("samples of class 0"))
        (self.s1,) = ax.plot([], [], "s", color="C3", ms=3.5, alpha=0.6, label=self.tr("samples of class 1"))
        ax.set(xlim=(X_LO, X_HI), ylim=(0, 3.0))
        ax.set_xlabel(self.tr("input x"))
        ax.set_ylabel(self.tr("cross-entropy"))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=7.5, ncol=4, frameon=False)
        ax.set_title(self.tr("per-class loss of the network trained on L + ε‖∇ₓL‖"), fontsize=9)
        self.acc_lines = {}
        for i, eps in enumerate(EPS_TRAIN):
            (self.acc_lines[eps],) = ax_a.plot(
                [], [], color=TRAIN_COLORS[i], lw=1.2, label=self.tr("trained with ε = {eps:g}").format(eps=eps)
            )
        (self.dot,) = ax_a.plot([], [], "o", color="k", ms=6, zorder=5)
        self.mark = ax_a.axvline(0.5, color="0.4", lw=0.8)
        ax_a.set(xlim=(0, ATTACKS[-1]), ylim=(0, 1.02))
        ax_a.set_xlabel(self.tr("attack size ε_attack (FGM)"))
        ax_a.set_ylabel(self.tr("accuracy under attack"))
        ax_a.legend(loc="lower left", fontsize=7.5, frameon=False)

    def compute(self, eps_train, eps_attack, seed):
        """The cached training runs draw() shows (the widget computes them in a worker, background.py)."""
        return pit_runs(int(seed))

    def draw(self, eps_train, eps_attack, seed):
        r = self.compute(eps_train, eps_attack, seed)
        run, x, y = r["runs"][eps_train], r["x"], r["y"]
        if (eps_train, seed) != getattr(self, "_shown", None):  # the curves change only with these two
            self._shown = (eps_train, seed)
            self.c0.set_data(r["grid"], run["curves"][:, 0])
            self.c1.set_data(r["grid"], run["curves"][:, 1])
            self.s0.set_data(x[y == 0], run["loss"][y == 0])
            self.s1.set_data(x[y == 1], run["loss"][y == 1])
            for eps, line in self.acc_lines.items():
                line.set_data(ATTACKS, r["runs"][eps]["acc"])
                line.set_linewidth(2.6 if eps == eps_train else 1.0)
        k = int(np.argmin(abs(ATTACKS - eps_attack)))
        self.accuracy = float(run["acc"][k])
        self.clean = float(run["acc"][0])
        self.mean_grad = {eps: float(v["grad"].mean()) for eps, v in r["runs"].items()}
        self.attacked = {eps: float(v["acc"][k]) for eps, v in r["runs"].items()}
        self.dot.set_data([eps_attack], [self.accuracy])
        self.mark.set_xdata([eps_attack, eps_attack])
        grads = ", ".join(f"{self.mean_grad[e]:.3f} (ε = {e:g})" for e in EPS_TRAIN)
        self.readout = self.tr(
            "Trained with ε = {eps:g}: clean accuracy {clean:.1%}, under an FGM attack of size {att:.2f}: "
            "<b>{acc:.1%}</b>. Mean |∂L/∂x| at the samples: {grads}: the larger ε, the flatter the pit each "
            "sample sits in. Four trainings of {steps} Adam steps on {points} points took {seconds:.1f} s (cached)."
        ).format(
            eps=eps_train,
            clean=self.clean,
            att=eps_attack,
            acc=self.accuracy,
            grads=grads,
            steps=STEPS,
            points=POINTS,
            seconds=r["seconds"],
        )
