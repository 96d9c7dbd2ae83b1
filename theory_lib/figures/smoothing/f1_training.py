"""Lesson 05, figure 3: a logistic model trained on cross-entropy against one trained on smooth F1.

On an imbalanced 2-D data set (positive fraction π, class separation): the two decision boundaries
(and cross-entropy's at its tuned threshold t*), test F1 along training, and the cross-entropy
model's test F1 against the threshold t, with the best threshold on x₁ as a ceiling. Each setting
trains both models once (``f1_experiment``, cached).
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import torch

from theory_lib import smoothing as sm
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.background import stage
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider
from theory_lib.figures.style import nice_ceil, set_limits

N_TRAIN, N_TEST, STEPS, LR, RECORD = 2000, 10_000, 200, 0.3, 10
F1_TOPS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)  # brackets for the F1 panels' top: the curves fill them


def data_box(x: np.ndarray) -> tuple:
    """The training points' extent, widened to whole numbers: the scatter panel's limits."""
    lo, hi = np.floor(x.min(0)), np.ceil(x.max(0))
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def f1_top(*values) -> float:
    """The F1 panels' top: the bracket above 1.05 × the largest F1 shown, at most 1."""
    return min(1.0, nice_ceil(1.05 * max(max(np.max(v) for v in values), 0.01), F1_TOPS))


def _line_in_box(w, b, level, box):
    """Two points of {x : x . w + b = level} inside the plot box (empty when it misses the box)."""
    x0, x1, y0, y1 = box
    w1, w2 = float(w[0]), float(w[1])
    pts = []
    if abs(w2) > 1e-12:
        for xv in (x0, x1):
            yv = (level - b - w1 * xv) / w2
            if y0 <= yv <= y1:
                pts.append((xv, yv))
    if abs(w1) > 1e-12:
        for yv in (y0, y1):
            xv = (level - b - w2 * yv) / w1
            if x0 <= xv <= x1:
                pts.append((xv, yv))
    if len(pts) < 2:
        return np.empty(0), np.empty(0)
    pts = np.array(sorted(set(pts)))[[0, -1]]
    return pts[:, 0], pts[:, 1]


@functools.lru_cache(maxsize=128)
@one_cpu_thread()  # the same result on any thread: a worker's OpenMP team is not the caller's
def f1_experiment(positive_fraction: float, separation: float, batch: str, seed: int) -> dict:
    """Train the logistic model with cross-entropy and with the smooth-F1 loss; evaluate hard F1.

    Cached on its arguments, so moving back to a setting, or redrawing, costs nothing. In a
    widget's worker (figures/background.py) it reports progress.
    """
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    xtr, ytr = sm.imbalanced_blobs(N_TRAIN, positive_fraction, separation, generator=g)
    xte, yte = sm.imbalanced_blobs(N_TEST, positive_fraction, separation, generator=g)
    batch_size = None if batch == "full" else int(batch)

    def train(loss, progress):
        generator = torch.Generator().manual_seed(seed + 1)
        return sm.train_linear_classifier(
            xtr,
            ytr,
            loss,
            steps=STEPS,
            lr=LR,
            batch_size=batch_size,
            record_every=RECORD,
            generator=generator,
            progress=progress,
        )

    runs = {
        "ce": train("ce", stage("Adam on cross-entropy", 0.0, 0.4)),
        "f1": train("f1", stage("Adam on the smooth-F1 loss", 0.4, 0.8)),
    }
    stage("test F1 along training and over thresholds", 0.8)
    ce, f1 = runs["ce"], runs["f1"]
    thresholds = torch.linspace(0.02, 0.98, 49, dtype=torch.float64)
    p_tr, p_te = ce.probs(xtr), ce.probs(xte)
    train_curve = sm.hard_f1(p_tr, ytr, thresholds[:, None])  # (49,)
    t_best = thresholds[int(torch.argmax(train_curve))].item()
    test_curve = sm.hard_f1(p_te, yte, thresholds[:, None]).numpy()
    # F1 along training, on the test set, for both losses (at p > 1/2, i.e. logit > 0)
    hist = {
        loss: sm.hard_f1(r.history_w @ xte.T + r.history_b[:, None], yte).numpy()  # (R,)
        for loss, r in runs.items()
    }
    if batch_size is None:
        smooth_train = 1.0 - f1.history_loss.numpy()
    else:  # the recorded loss is one batch's: recompute the smooth F1 on the whole training set
        smooth_train = np.array(
            [
                sm.smooth_f1(torch.sigmoid(xtr @ w + b), ytr).item()
                for w, b in zip(f1.history_w, f1.history_b, strict=True)
            ]
        )
    # the ceiling: the best threshold on x_1 (the Bayes rule's direction), chosen on the test set
    # (sorted by x_1, predicting the top j points positive: F1 = 2 TP_j / (j + #positives))
    tp = torch.cumsum(yte[torch.argsort(xte[:, 0], descending=True)], 0)
    oracle = (2 * tp / (torch.arange(1, N_TEST + 1, dtype=yte.dtype) + yte.sum())).max().item()
    return {
        "x": xtr.numpy(),
        "y": ytr.numpy(),
        "ce": (ce.w.numpy(), ce.b.item()),
        "f1": (f1.w.numpy(), f1.b.item()),
        "t_best": t_best,
        "thresholds": thresholds.numpy(),
        "test_curve": test_curve,
        "steps": ce.history_step.numpy(),
        "hist_ce": hist["ce"],
        "hist_f1": hist["f1"],
        "smooth_train": smooth_train,
        "f1_ce": sm.hard_f1(ce.logits(xte), yte).item(),
        "f1_ce_tuned": sm.hard_f1(p_te, yte, t_best).item(),
        "f1_f1": sm.hard_f1(f1.logits(xte), yte).item(),
        "oracle": oracle,
        "mean_p_ce": p_te.mean().item(),
        "mean_p_f1": f1.probs(xte).mean().item(),
        "predicted_ce": (ce.logits(xte) > 0).double().mean().item(),
        "predicted_f1": (f1.logits(xte) > 0).double().mean().item(),
        "seconds": time.perf_counter() - t0,
    }


class SmoothF1TrainingFigure(InteractiveFigure):
    """A logistic model on an imbalanced 2-D set, trained on cross-entropy vs on smooth F1."""

    controls = {
        "positive_fraction": LogSlider(0.01, 0.5, 0.05, label="positive fraction π", named=(0.02, 0.05, 0.2, 0.5)),
        "separation": Slider(0.0, 4.0, 1.5, step=0.25, label="class separation", named=(0.0, 1.0, 1.5, 2.0, 3.0)),
        "batch": Choice(["full", "256", "32"], "full", label="batch size"),
        "seed": Slider(0, 20, 0, integer=True, label="seed"),
    }
    figsize = (9.5, 4.4)
    continuous = False  # a setting trains two models (about half a second): update on release

    def build(self):
        ax_s, ax_h, ax_t = self.fig.subplots(1, 3)
        self.ax_s, self.ax_h, self.ax_t = ax_s, ax_h, ax_t
        # four line styles, so that no two lines differ by colour alone
        ce, ce_tuned, f1 = dict(color="C0", lw=2), dict(color="C0", lw=1.5, ls="--"), dict(color="C2", lw=2, ls="-.")
        self.neg = ax_s.scatter([], [], s=3, color="0.65", label=self.tr("negatives"), rasterized=True)
        self.pos = ax_s.scatter([], [], s=6, color="C3", label=self.tr("positives"))
        (self.ce_line,) = ax_s.plot([], [], **ce, label=self.tr("cross-entropy, p > ½"))
        (self.ce_tuned_line,) = ax_s.plot([], [], **ce_tuned, label=self.tr("cross-entropy, p > t*"))
        (self.f1_line,) = ax_s.plot([], [], **f1, label=self.tr("smooth-F1 loss, p > ½"))
        ax_s.set(xlabel="x₁", ylabel="x₂", title=self.tr("training set, boundaries"))

        (self.h_ce,) = ax_h.plot([], [], **ce)
        (self.h_f1,) = ax_h.plot([], [], **f1)
        (self.h_smooth,) = ax_h.plot([], [], ":", color="C2", lw=1.5, label=self.tr("smooth F1 itself (train)"))
        (self.h_tuned,) = ax_h.plot([], [], **ce_tuned)
        (self.h_oracle,) = ax_h.plot([], [], color="0.45", lw=1, ls=(0, (8, 3)), label=self.tr("best threshold on x₁"))
        ax_h.set(
            xlim=(0, STEPS),
            xlabel=self.tr("Adam step"),
            ylabel=self.tr("test F1"),
            title=self.tr("test F1 while training"),
        )

        (self.t_curve,) = ax_t.plot([], [], **ce)
        (self.t_half,) = ax_t.plot([], [], "o", color="C0", ms=6, mfc="white")
        (self.t_best,) = ax_t.plot([], [], "o", color="C0", ms=6)
        (self.t_f1,) = ax_t.plot([], [], color="C2", lw=1.5, ls="-.")
        (self.t_rule,) = ax_t.plot([], [], ":", color="k", lw=1.2, label="t = F1*/2")
        ax_t.set(
            xlim=(0, 1),
            xlabel=self.tr("threshold t (○ ½, ● t*)"),
            ylabel=self.tr("test F1"),
            title=self.tr("cross-entropy model at p > t"),
        )
        # one legend for the three panels, under them (figure legends stay in the static background)
        handles = [
            self.neg,
            self.pos,
            self.ce_line,
            self.ce_tuned_line,
            self.f1_line,
            self.h_smooth,
            self.h_oracle,
            self.t_rule,
        ]
        self.fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False, markerscale=2)

    def compute(self, positive_fraction, separation, batch, seed):
        """The cached experiment draw() shows (the widget computes it in a worker, background.py)."""
        return f1_experiment(round(positive_fraction, 6), round(separation, 6), batch, int(seed))

    def draw(self, positive_fraction, separation, batch, seed):
        r = self.compute(positive_fraction, separation, batch, seed)
        x, y = r["x"], r["y"]
        self.neg.set_offsets(x[y == 0])
        self.pos.set_offsets(x[y == 1])

        def logit(t):
            return math.log(t / (1 - t))

        box = data_box(x)  # the axes fit the points
        set_limits(self.ax_s, box[:2], box[2:])
        self.ce_line.set_data(*_line_in_box(*r["ce"], 0.0, box))
        self.ce_tuned_line.set_data(*_line_in_box(*r["ce"], logit(r["t_best"]), box))
        self.f1_line.set_data(*_line_in_box(*r["f1"], 0.0, box))
        top = f1_top(r["hist_ce"], r["hist_f1"], r["smooth_train"], r["test_curve"], r["oracle"], r["f1_f1"])
        set_limits(self.ax_h, ylim=(0, top))
        set_limits(self.ax_t, ylim=(0, top))

        steps = r["steps"]
        self.h_ce.set_data(steps, r["hist_ce"])
        self.h_f1.set_data(steps, r["hist_f1"])
        self.h_smooth.set_data(steps, r["smooth_train"])
        self.h_tuned.set_data([0, STEPS], [r["f1_ce_tuned"]] * 2)
        self.h_oracle.set_data([0, STEPS], [r["oracle"]] * 2)

        self.t_curve.set_data(r["thresholds"], r["test_curve"])
        self.t_half.set_data([0.5], [r["f1_ce"]])
        self.t_best.set_data([r["t_best"]], [r["f1_ce_tuned"]])
        self.t_f1.set_data([0, 1], [r["f1_f1"]] * 2)
        half_best = 0.5 * float(r["test_curve"].max())
        self.t_rule.set_data([half_best, half_best], [0, top])

        self.readout = self.tr(
            "Test F1 on {points:,} points (π = {pi:.3g}, separation {sep:g}, "
            "batch {batch}): cross-entropy at p > ½ <b>{f1_ce:.3f}</b>; cross-entropy at the "
            "tuned threshold t* = {t_best:.2f} <b>{f1_ce_tuned:.3f}</b>; smooth-F1 loss at "
            "p > ½ <b>{f1_f1:.3f}</b>; best threshold on x₁ {oracle:.3f}. Mean predicted p "
            "on the test set: cross-entropy {mean_p_ce:.3f}, smooth-F1 {mean_p_f1:.3f} "
            "(true π {true_pi:.3f}). Both trainings took {seconds:.2f} s (cached)."
        ).format(
            points=N_TEST,
            pi=positive_fraction,
            sep=separation,
            batch=self.tr("full") if batch == "full" else batch,
            true_pi=positive_fraction,
            **{key: r[key] for key in ("f1_ce", "t_best", "f1_ce_tuned", "f1_f1", "oracle", "mean_p_ce", "mean_p_f1")},
            seconds=r["seconds"],
        )
