"""Lesson 06's exercises, in lesson order: each question with its settings, its live answer and its check.

All of them are on the closed-form figures (least squares, no training): ``tests/test_exercises.py``
drives each one's figure to its settings and runs the check; the lesson shows them with
``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

from theory_lib import batchnorm as bnm
from theory_lib.figures.batchnorm.landscapes import LeastSquaresBNFigure, regression_data
from theory_lib.figures.batchnorm.valley import ValleyFigure, valley
from theory_lib.figures.exercises import Exercise

MEAN_FROM = ValleyFigure.controls["mean"].value
LR = 0.2  # the least-squares figure's default rate


def first_diverging_mean(lr: float = LR) -> float:
    """The smallest mean μ >= 0 on the least-squares figure's slider at which raw gradient descent diverges."""
    c = LeastSquaresBNFigure.controls["mean"]
    for k in range(round(c.max / c.step) + 1):
        mean = round(k * c.step, 10)
        if lr * bnm.gradient_lipschitz(regression_data(mean, 1.0)[0]).item() / 2 > 1:
            return mean
    raise ValueError(f"raw gradient descent converges at lr = {lr} for every mean on the slider")


MEAN_DIVERGES = first_diverging_mean()


# 1 ------------------------------------------------------------------ the opening picture, a larger mean
def _larger_mean_answer(fig):
    mean = fig.params["mean"]
    L_from, kappa_from = valley(MEAN_FROM, None)[2:]
    return fig.tr(
        "The raw valley gets narrower across and keeps its length: at μ = {mean:g}, L = {L:.3g} (it was "
        "{L_from:.3g} at μ = {mean_from:g}) and κ = {kappa:.3g} (was {kappa_from:.3g}). The mean adds μμᵀ, "
        "curvature {curvature:g} along (1, 1) only, so the short axis shrinks and the long one does not move. "
        "The centered valley does not change at all (L = {L_c:.3g}, κ = {kappa_c:.3g}): subtracting the "
        "batch mean removes μ whatever it was."
    ).format(
        mean=mean,
        L=fig.L[0],
        L_from=L_from,
        mean_from=MEAN_FROM,
        kappa=fig.kappa[0],
        kappa_from=kappa_from,
        curvature=2 * mean**2,
        L_c=fig.L[1],
        kappa_c=fig.kappa[1],
    )


def _larger_mean_check(fig):
    L_from, kappa_from = valley(MEAN_FROM, None)[2:]
    centered_from = valley(MEAN_FROM, "center")[2:]
    return (
        fig.L[0] > 2 * L_from
        and fig.kappa[0] > 2 * kappa_from
        and all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(fig.L[1:] + fig.kappa[1:], centered_from, strict=True))
    )


# 2 ------------------------------------------------------------------ step 2: the mean that breaks η = 0.2
def _diverges_answer(fig):
    below = valley(round(MEAN_DIVERGES - 0.1, 10), None)[2]
    return fig.tr(
        "At μ = {mean:g} the raw path diverges: L = {L:.4g}, so 2/L = {safe:.4g} &lt; η = "
        "{lr}. One slider step lower, at μ = {lower:.1f}, L = {L_below:.4g} and 2/L = {safe_below:.4g} "
        "&gt; η: it still converges, zigzagging across the narrow valley first. The centered and standardized "
        "panels never move with μ (L = {L_c:.3g} and {L_s:.3g}): their inputs have no mean left."
    ).format(
        mean=MEAN_DIVERGES,
        L=fig.L[0],
        safe=2 / fig.L[0],
        lr=LR,
        lower=MEAN_DIVERGES - 0.1,
        L_below=below,
        safe_below=2 / below,
        L_c=fig.L[1],
        L_s=fig.L[2],
    )


def _diverges_check(fig):
    below = valley(round(MEAN_DIVERGES - 0.1, 10), None)[2]
    return (
        LR * fig.L[0] / 2 > 1 >= LR * below / 2
        and all(LR * v / 2 < 1 for v in fig.L[1:])
        and (not math.isfinite(fig.gaps[0][-1]) or fig.gaps[0][-1] > fig.gaps[0][0])  # it grew
    )


# 3 ------------------------------------------------------------------ break "centering makes training easier"
def _centering_slower_answer(fig):
    raw, centered = fig.gaps[0], fig.gaps[1]
    steps = fig.params["steps"]
    return fig.tr(
        "At μ = {mean:g}, σ₂ = {scale:g}, η = {lr}: centering does lower "
        "L, from {L:.3g} to {L_c:.3g}, and both paths converge. But after {steps} steps f − f* is "
        "{raw:.2g} raw and {centered:.2g} centered: the centered run is {ratio:.3g} times "
        "further from its minimum. The mean had also lifted the *smallest* eigenvalue; centering removes that lift "
        "too and raises κ (step 5's loose end). A lower L is a larger safe step, not a faster descent. "
        "Standardizing brings κ down as well, but its L = {L_s:.3g} asks for a rate near 2/L = "
        "{safe_s:.3g}; at this η it ends at {standardized:.2g}."
    ).format(
        mean=fig.params["mean"],
        scale=fig.params["scale"],
        lr=fig.params["lr"],
        L=fig.L[0],
        L_c=fig.L[1],
        steps=steps,
        raw=raw[-1],
        centered=centered[-1],
        ratio=centered[-1] / raw[-1],
        L_s=fig.L[2],
        safe_s=2 / fig.L[2],
        standardized=fig.gaps[2][-1],
    )


def _centering_slower_check(fig):
    raw, centered = fig.gaps[0], fig.gaps[1]
    lr = fig.params["lr"]
    return fig.L[1] < fig.L[0] and all(lr * v / 2 < 1 for v in fig.L) and centered[-1] > 100 * raw[-1]


EXERCISES = [
    Exercise(
        name="larger-mean",
        kind="predict",
        question=(
            "Before moving μ from {mean_from:g} to {mean_to:g}, predict: does the raw valley get longer, or "
            "narrower? What happens to the centered one?"
        ),
        values={"mean_from": MEAN_FROM, "mean_to": 2 * MEAN_FROM},
        figure=ValleyFigure,
        settings={"mean": 2 * MEAN_FROM},
        answer=_larger_mean_answer,
        check=_larger_mean_check,
    ),
    Exercise(
        name="mean-that-diverges",
        kind="read-off",
        question=(
            "At η = {lr}, move the mean up from 0 in slider steps. At which μ does the raw panel first diverge? "
            "Compare 2/L in the readout with η."
        ),
        values={"lr": LR},
        figure=LeastSquaresBNFigure,
        settings={"mean": MEAN_DIVERGES, "lr": LR},
        answer=_diverges_answer,
        check=_diverges_check,
    ),
    Exercise(
        name="centering-slower",
        kind="break",
        question=(
            "Su: centering lowers L, so it makes gradient descent easier. Break it: with μ = 2 and σ₂ = 5, find a "
            "learning rate where both runs converge but the centered one ends far *above* the raw one."
        ),
        figure=LeastSquaresBNFigure,
        settings={"mean": 2.0, "scale": 5.0, "lr": 0.06},
        answer=_centering_slower_answer,
        check=_centering_slower_check,
    ),
]
