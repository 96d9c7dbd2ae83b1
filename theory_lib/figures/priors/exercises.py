"""Lesson 14's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

from theory_lib.figures.exercises import Exercise
from theory_lib.figures.priors.can import PriorCanFigure
from theory_lib.figures.priors.gaussians import PI1, PriorGaussianFigure, PriorHeatmapFigure, errors_at


# 1 ------------------------------------------------------------------ the opening picture at τ = 2 (τ ≠ 1)
def _tau2_answer(fig):
    _, ber1, _ = errors_at(1.0)
    return fig.tr(
        "No. At τ = {tau:g} the rule argmax f moves the threshold to t = {t:.3f}, past the balanced point 0, and "
        "the balanced error rises to {ber:.4f} (at τ = 1: {ber1:.4f}); the plain error is {err:.4f}. A model "
        "trained at τ must be read with argmax f + (τ − 1) log p to be balanced: that puts t back at 0."
    ).format(tau=fig.params["tau"], t=fig.t, ber=fig.ber, ber1=ber1, err=fig.err)


def _tau2_check(fig):
    return abs(fig.t + math.log((1 - PI1) / PI1) / 2) < 1e-12 and fig.ber > errors_at(1.0)[1] + 0.1


# 2 ------------------------------------------------------------------ break: adjust twice
def _twice_answer(fig):
    return fig.tr(
        "It gets worse: an LA-trained model (τ_train = 1) adjusted again post hoc (τ_post = 1) acts as τ = 2, "
        "threshold {t:.3f}, balanced error {ber:.4f}, while either adjustment alone (on the dashed line) gives "
        "{best:.4f}. The paper's post-hoc rule is for a plainly trained model; on an LA-trained one it corrects "
        "twice."
    ).format(t=fig.t, ber=fig.ber, best=fig.best)


def _twice_check(fig):
    return fig.ber > fig.best + 0.1 and abs(fig.t + math.log((1 - PI1) / PI1) / 2) < 1e-12


# 3 ------------------------------------------------------------------ read off Su's binary example
def _can_answer(fig):
    r = math.sqrt(0.95 / 0.05)
    return fig.tr(
        "One step moves p⁽ᵇ⁾ from ({b:.3f}, {b1:.3f}) to ({x:.4f}, {y:.4f}): towards class 0, since the confident "
        "row already spends its mass on class 1 and the prior is uniform. Iterated, the two normalisations are "
        "Sinkhorn scaling and converge to ({l0:.4f}, {l1:.4f}), whose ratio is √(0.95/0.05) = {r:.4f}."
    ).format(b=fig.before, b1=1 - fig.before, x=fig.after, y=1 - fig.after, l0=fig.limit, l1=1 - fig.limit, r=r)


def _can_check(fig):
    r = math.sqrt(0.95 / 0.05)
    return abs(fig.after - 0.725) < 1e-12 and abs(fig.limit / (1 - fig.limit) - r) < 1e-8


EXERCISES = [
    Exercise(
        name="tau-two",
        kind="predict",
        question=(
            "Su leaves τ free and says argmax f is the balanced rule. Predict, then set τ = {tau}: does argmax f of a "
            "model trained with the τ-adjusted loss still give the least balanced error?"
        ),
        values={"tau": 2},
        figure=PriorGaussianFigure,
        settings={"tau": 2.0},
        answer=_tau2_answer,
        check=_tau2_check,
    ),
    Exercise(
        name="adjust-twice",
        kind="break",
        question=(
            "Train with the adjusted loss (τ_train = 1) and then apply Menon et al.'s post-hoc rule as well "
            "(τ_post = 1), at π₁ = {pi1}. Is the balanced error lower still?"
        ),
        values={"pi1": PI1},
        figure=PriorHeatmapFigure,
        settings={"pi1": PI1, "tau_train": 1.0, "tau_post": 1.0},
        answer=_twice_answer,
        check=_twice_check,
    ),
    Exercise(
        name="can-binary",
        kind="read-off",
        question=(
            "Su's example: p⁽ᵃ⁾ = (0.05, 0.95) is confident, p⁽ᵇ⁾ = (0.5, 0.5) is not, the prior is uniform. Read off "
            "p⁽ᵇ⁾ after one step of CAN, and where it goes if you iterate."
        ),
        figure=PriorCanFigure,
        settings={"a0": 0.05, "b0": 0.5, "prior0": 0.5, "iters": 1, "alpha": 1.0},
        answer=_can_answer,
        check=_can_check,
    ),
]
