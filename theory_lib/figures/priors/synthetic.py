"""Lesson 14, CAN on a synthetic classifier (``PriorSyntheticCanFigure``) and the long-tail profile
(``PriorLongTailFigure``).

The classifier: the exact posterior of the 10 classes ``mu e_i + N(0, I)`` (``priors.sample_classes``) under a
*uniform* prior, softmax(mu x), what plain training on balanced data converges to: it does not know the prior
it will meet. Its test set follows the LA paper's long-tail profile
``priors.long_tail_counts(test_n_max(ratio), 10, ratio)`` (fixed seed, near TEST_SIZE samples): the
probabilities are computed once per ratio and cached. CAN (``priors.can_postprocess``) corrects the
doubtful rows with the test prior; the figure shows the accuracy before and after, on all samples and on the
doubtful ones, the accuracy of the Bayes rule that knows the prior (``priors.posthoc_adjust`` with τ = −1:
f + log p), and, per class, the mean prediction before and after against the prior.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import PolyCollection

from theory_lib import _checks, priors as pr
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider

CLASSES, MU, TEST_SIZE, TEST_SEED = 10, 2.0, 242, 141


def test_n_max(ratio: float) -> int:
    """The largest class's size that keeps the test set near TEST_SIZE samples at every ratio (CAN's cost grows
    with doubtful × confident rows): ⌈TEST_SIZE / Σᵢ ρ^(−i/(K−1))⌉, at least ρ (no empty class); 100 at ρ = 100."""
    return max(math.ceil(TEST_SIZE / sum(ratio ** (-i / (CLASSES - 1)) for i in range(CLASSES))), math.ceil(ratio))


@functools.lru_cache(maxsize=64)
def test_set(ratio: float):
    """(probs (N, K), labels (N,), prior (K,), Bayes accuracy) on the long-tailed test set of imbalance ratio."""
    counts = pr.long_tail_counts(test_n_max(ratio), CLASSES, ratio)
    x, y = pr.sample_classes(counts, mu=MU, generator=torch.Generator().manual_seed(TEST_SEED))
    logits = MU * x  # log p(x|y) up to a constant: the posterior under a uniform prior
    prior = counts.double() / counts.sum()
    bayes = (pr.posthoc_adjust(logits, prior, tau=-1.0).argmax(1) == y).double().mean().item()
    return torch.softmax(logits, -1), y, prior, bayes


@functools.lru_cache(maxsize=512)
def can_run(ratio: float, k: int, threshold: float, alpha: float, iters: int) -> dict:
    """CAN on the test set: accuracies before/after (all, doubtful rows), shares corrected and changed."""
    probs, y, prior, bayes = test_set(ratio)
    with _checks.one_cpu_thread():
        out = pr.can_postprocess(probs, prior, k=k, threshold=threshold, alpha=alpha, iters=iters)
        doubt = pr.topk_uncertainty(probs, k) >= threshold
    before, after = probs.argmax(1), out.argmax(1)
    hit0, hit1 = (before == y).double(), (after == y).double()
    nd = int(doubt.sum())
    return {
        "n": len(y),
        "doubtful": nd,
        "corrected": nd / len(y),
        "changed": (before != after).double().mean().item(),
        "before": hit0.mean().item(),
        "after": hit1.mean().item(),
        "doubt_before": hit0[doubt].mean().item() if nd else float("nan"),
        "doubt_after": hit1[doubt].mean().item() if nd else float("nan"),
        "bayes": bayes,
        "prior": prior.numpy(),
        "mean_before": probs.mean(0).numpy(),
        "mean_after": out.mean(0).numpy(),
    }


RATIO = LogSlider(2.0, 100.0, 100.0, label="imbalance ρ of the test set", named=(10.0, 100.0))


class PriorSyntheticCanFigure(InteractiveFigure):
    """CAN on a prior-blind classifier tested on long-tailed data: accuracy before and after."""

    controls = {
        "ratio": RATIO,
        "k": Slider(2, 5, 3, integer=True, label="top-k: k", named=(2, 3)),
        "threshold": Slider(0.5, 1.0, 0.9, step=0.05, label="threshold", named=(0.9,)),
        "alpha": Slider(0.5, 3.0, 1.0, step=0.25, label="power α", named=(1.0,)),
        "iters": Slider(1, 5, 1, integer=True, label="iterations", named=(1,)),
    }
    figsize = (9.6, 4.0)

    def build(self):
        ax, ax_m = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
        self.ax, self.ax_m = ax, ax_m
        x = np.arange(2)
        self.bars0 = ax.bar(x - 0.18, [0, 0], 0.36, color="0.6", label=self.tr("before"))
        self.bars1 = ax.bar(x + 0.18, [0, 0], 0.36, color="C2", label=self.tr("after CAN"))
        self.labels = [ax.text(0, 0, "", ha="center", va="bottom", fontsize=8) for _ in range(4)]
        self.bayes = ax.axhline(0, color="k", lw=1, ls="--", label=self.tr("Bayes rule with the prior"))
        ax.set_xticks(x, [self.tr("all samples"), self.tr("doubtful rows")])
        ax.set(ylim=(0, 1.15), ylabel=self.tr("accuracy"))
        ax.legend(loc="upper right", fontsize=7.5, frameon=False, ncol=2)
        c = np.arange(CLASSES)
        (self.prior_line,) = ax_m.plot(c, np.ones(CLASSES), "k_", ms=14, mew=2, label=self.tr("prior"))
        (self.mean0,) = ax_m.plot(c, np.ones(CLASSES), "o", color="0.5", ms=5, label=self.tr("mean prediction, before"))
        (self.mean1,) = ax_m.plot(c, np.ones(CLASSES), "s", color="C2", ms=4, label=self.tr("mean prediction, after"))
        ax_m.set(
            yscale="log", ylim=(2e-3, 1), xlabel=self.tr("class index i"), ylabel=self.tr("class probability"), xticks=c
        )
        ax_m.legend(loc="upper right", fontsize=7.5, frameon=False)

    def draw(self, ratio, k, threshold, alpha, iters):
        r = self.result = can_run(ratio, k, threshold, alpha, iters)
        values = [(r["before"], r["after"]), (r["doubt_before"], r["doubt_after"])]
        for i, (v0, v1) in enumerate(values):
            empty = np.isnan(v0)  # no doubtful row (threshold 1): nothing to draw
            v0, v1 = (0.0, 0.0) if empty else (v0, v1)
            self.bars0[i].set_height(v0)
            self.bars1[i].set_height(v1)
            for j, (dx, v) in enumerate(((-0.18, v0), (0.18, v1))):
                inside = v > 0.15  # inside the bar's top, clear of the dashed Bayes line
                label = self.labels[2 * i + j]
                label.set_position((i + dx, v - 0.015 if inside else v + 0.01))
                label.set_va("top" if inside else "bottom")
                label.set_color("w" if inside else "k")
                label.set_text("" if empty else f"{v:.3f}")
        self.bayes.set_ydata([r["bayes"], r["bayes"]])
        self.prior_line.set_ydata(r["prior"])
        self.mean0.set_ydata(r["mean_before"])
        self.mean1.set_ydata(r["mean_after"])
        if r["doubtful"]:
            text = self.tr(
                "ρ = {ratio:g}, {n} test samples; k = {k}, threshold {th:g}, α = {alpha:g}, {iters} iteration(s): CAN "
                "corrects <b>{corr:.1%}</b> of the samples ({nd}) and changes the predicted class of {chg:.1%}. "
                "Accuracy <b>{a0:.4f} → {a1:.4f}</b> (on the doubtful rows {d0:.4f} → {d1:.4f}); the Bayes rule that "
                "knows the prior: {bayes:.4f}."
            )
        else:
            text = self.tr(
                "ρ = {ratio:g}, {n} test samples; k = {k}, threshold {th:g}: no row is doubtful, CAN changes nothing. "
                "Accuracy <b>{a0:.4f}</b>; the Bayes rule that knows the prior: {bayes:.4f}."
            )
        self.readout = text.format(
            ratio=ratio,
            n=r["n"],
            k=k,
            th=threshold,
            alpha=alpha,
            iters=iters,
            corr=r["corrected"],
            nd=r["doubtful"],
            chg=r["changed"],
            a0=r["before"],
            a1=r["after"],
            d0=r["doubt_before"],
            d1=r["doubt_after"],
            bayes=r["bayes"],
        )


class PriorLongTailFigure(InteractiveFigure):
    """The LA paper's long-tail profile n_i = ⌊n_max ρ^(−i/(K−1))⌋ against the relative class index i/(K − 1).

    On the log axis the profile is one straight line from n_max to n_max/ρ whatever K: K only says how many
    classes sample it (and so the training-set size). One collection of bars, the axes fixed: a move redraws
    no tick.
    """

    controls = {
        "num_classes": Slider(2, 100, 10, integer=True, label="classes K", named=(10, 100)),
        "ratio": LogSlider(1.0, 200.0, 100.0, label="imbalance ratio ρ", named=(10.0, 100.0)),
        "n_max": LogSlider(200, 5000, 5000, integer=True, label="largest class n_max", named=(500, 5000)),
    }
    figsize = (8.0, 3.6)

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.bars = PolyCollection([], facecolors="C0", edgecolors="none")
        ax.add_collection(self.bars)
        ax.set(
            yscale="log",
            xlim=(-0.07, 1.07),
            ylim=(0.7, 8000),
            xlabel=self.tr("relative class index i/(K − 1)"),
            ylabel=self.tr("training samples nᵢ"),
        )
        ax.set_title(self.tr("nᵢ = ⌊n_max·ρ^(−i/(K−1))⌋: a straight line on the log axis"), fontsize=9)

    def draw(self, num_classes, ratio, n_max):
        counts = self.counts = pr.long_tail_counts(n_max, num_classes, ratio)
        self.heights = counts.numpy().astype(float)
        x = np.arange(num_classes) / (num_classes - 1)
        half = min(0.4 / (num_classes - 1), 0.04)
        self.bars.set_verts(
            [
                [(xi - half, 1e-3), (xi - half, h), (xi + half, h), (xi + half, 1e-3)]
                for xi, h in zip(x, self.heights, strict=True)
            ]
        )
        self.total = int(counts.sum())
        self.imbalance = int(counts[0]) / int(counts[-1])  # n_max ≥ 200 > ρ: every class has a sample
        self.readout = self.tr(
            "K = {K}, ρ = {ratio:g}, n_max = {n_max}: from n₀ = {n0} down to n_(K−1) = {nl} "
            "(imbalance n₀/n_(K−1) = {imb:.1f}); training-set size <b>{total}</b>; "
            "prior from {p0:.4f} down to {pl:.4f}."
        ).format(
            K=num_classes,
            ratio=ratio,
            n_max=n_max,
            n0=int(counts[0]),
            nl=int(counts[-1]),
            imb=self.imbalance,
            total=self.total,
            p0=int(counts[0]) / self.total,
            pl=int(counts[-1]) / self.total,
        )
