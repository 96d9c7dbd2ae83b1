"""Lesson 12's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import numpy as np

from theory_lib.figures.adversarial.opening import WorstCaseFigure, loss_curve, three_curves
from theory_lib.figures.adversarial.pit import EPS_TRAIN, PitBottomFigure
from theory_lib.figures.adversarial.steps import (
    ARTICLE_EPS,
    COLLAPSE,
    X9,
    Y9,
    RobustMarginFigure,
    TaylorGapFigure,
    gap_table,
)
from theory_lib.figures.exercises import Exercise


def pit_bottom_rise(eps: float):
    """At the deepest pit of the opening curve: (x, worst − L, first order − L, ½|L″|ε²)."""
    x, loss, grad, _ = loss_curve()
    i = int(np.argmin(loss))
    xs, worst, _, first = three_curves(eps)
    j = int(np.argmin(abs(xs - x[i])))
    curvature = np.gradient(grad, x)[i]
    return float(x[i]), float(worst[j] - loss[i]), float(first[j] - loss[i]), 0.5 * abs(float(curvature)) * eps**2


# 1 ------------------------------------------------------------------ the opening picture at a pit bottom
def _bottom_answer(fig):
    x, rise, first, quad = pit_bottom_rise(fig.params["eps"])
    return fig.tr(
        "It rises. At the deepest pit (x = {x:.2f}) L′ = 0, so the first-order penalty adds only {first:.4f}; "
        "the worst loss within ε = {eps:.1f} is {rise:.3f} higher, of the order of the second-order term "
        "½|L″|ε² = {quad:.3f}. The penalty is blind at a pit bottom: there the gap is all second order."
    ).format(x=x, first=first, eps=fig.params["eps"], rise=rise, quad=quad)


def _bottom_check(fig):
    _, rise, first, quad = pit_bottom_rise(fig.params["eps"])
    return rise > 10 * abs(first) and 0.5 * quad < rise < 1.5 * quad


# 2 ------------------------------------------------------------------ the article's ε on the Taylor figure
def _relative_at(eps: float, form: str) -> float:
    grid, table = gap_table()
    i = int(np.argmin(abs(grid - eps)))
    return float(table[form][0][i] / table[form][1][i])


def _article_answer(fig):
    small = _relative_at(0.01, fig.params["form"])
    return fig.tr(
        "At ε = {eps}: the gap is {gap:.3g}, {rel:.0%} of the first-order term {term:.3g}. At ε = 0.01 the share "
        "is {small:.2%}: the relative error grows like ε. Su's 'approximately equivalent' holds for small ε; at "
        "the ε his code uses, the penalty's θ-gradient is off FGM's by {rel:.0%} of what the penalty adds."
    ).format(eps=ARTICLE_EPS, gap=fig.gap, rel=fig.relative, term=fig.term, small=small)


def _article_check(fig):
    return fig.params["eps"] == ARTICLE_EPS and fig.relative > 0.1 > 10 * _relative_at(0.01, fig.params["form"])


# 3 ------------------------------------------------------------------ the linear case: who is within reach
def _reach_answer(fig):
    return fig.tr(
        "{inside} of the 9 points lie inside the ε-tube (y f < ε‖w‖*): the attack carries them to the boundary "
        "or across it, and each one's robust loss is above log 2. Every arrow points straight at the boundary: "
        "on a linear model FGM is the exact worst case, and the robust loss is softplus(ε‖w‖* − y f)."
    ).format(inside=fig.inside)


def _reach_check(fig):
    return 0 < fig.inside < 9 and not fig.collapsed


# 4 ------------------------------------------------------------------ break: past the collapse
def _collapse_answer(fig):
    crit = COLLAPSE[fig.params["norm"]]
    share = float(np.mean(Y9 == 1))
    return fig.tr(
        "The boundary is gone: for ε = {eps:.2f} ≥ ε* = {crit:.4f} = half the distance between the class means, "
        "the best robust model is w = 0, a constant that predicts +1 everywhere ({share:.0%} of the points). "
        "Adversarial training with too large an ε does not make the classifier robust; it removes it."
    ).format(eps=fig.params["eps"], crit=crit, share=share)


def _collapse_check(fig):
    return fig.collapsed and fig.params["eps"] >= COLLAPSE[fig.params["norm"]] and len(X9) == 9


# 5 ------------------------------------------------------------------ the pit bottom, under attack
def _pit_answer(fig):
    best = max(fig.attacked, key=fig.attacked.get)
    grads = ", ".join(f"{fig.mean_grad[e]:.3f}" for e in EPS_TRAIN)
    return fig.tr(
        "Under an attack of size {att:.1f}, the network trained with ε = {best:g} keeps the most: {acc:.1%} "
        "(plain training: {plain:.1%}). The mean |∂L/∂x| at the samples falls with the training ε ({grads}): "
        "the samples sit on flat ground. Between them the loss is steep: the penalty acts only where there is data."
    ).format(att=fig.params["eps_attack"], best=best, acc=fig.attacked[best], plain=fig.attacked[0.0], grads=grads)


def _pit_check(fig):
    grads = [fig.mean_grad[e] for e in EPS_TRAIN]
    return max(fig.attacked, key=fig.attacked.get) == max(EPS_TRAIN) and all(np.diff(grads) < 0)


EXERCISES = [
    Exercise(
        name="pit-bottom-blind-spot",
        kind="predict",
        question=(
            "At the bottom of a pit L′(x) = 0, so the first-order penalty ε|L′| adds nothing there. Predict: at "
            "ε = 0.5, does the worst loss within ε of the deepest pit rise above L, and by about how much?"
        ),
        figure=WorstCaseFigure,
        settings={"eps": 0.5},
        answer=_bottom_answer,
        check=_bottom_check,
    ),
    Exercise(
        name="article-eps",
        kind="read-off",
        question=(
            "Su's code perturbs with ε = {eps}. Move ε there: how large is the gap between FGM's θ-gradient and the "
            "penalty's, compared with the first-order term itself?"
        ),
        values={"eps": ARTICLE_EPS},
        figure=TaylorGapFigure,
        settings={"eps": ARTICLE_EPS, "form": "normalised: ε‖∇ₓL‖"},
        answer=_article_answer,
        check=_article_check,
    ),
    Exercise(
        name="within-reach",
        kind="read-off",
        question="With the sign (ℓ∞) attack at ε = 0.3, how many points can the attack push across their margin?",
        figure=RobustMarginFigure,
        settings={"eps": 0.3, "norm": "sign"},
        answer=_reach_answer,
        check=_reach_check,
    ),
    Exercise(
        name="collapse",
        kind="break",
        question=(
            "Adversarial training is meant to make a classifier robust. Break it: set ε = 0.62 with the ℓ2 attack. "
            "What is left of the classifier?"
        ),
        figure=RobustMarginFigure,
        settings={"eps": 0.62, "norm": "l2"},
        answer=_collapse_answer,
        check=_collapse_check,
    ),
    Exercise(
        name="pit-under-attack",
        kind="read-off",
        question="Set ε_attack = 1.0. Which training ε keeps the most accuracy, and where do its samples sit?",
        figure=PitBottomFigure,
        settings={"eps_attack": 1.0},
        answer=_pit_answer,
        check=_pit_check,
    ),
]
