"""Lesson 17's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

from theory_lib import gelu as g
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.gelu.criteria import CriteriaFigure
from theory_lib.figures.gelu.logistic import LogisticFigure
from theory_lib.figures.gelu.minimax import MinimaxFigure


# 1 ------------------------------------------------------------------ the Taylor c, globally
def _taylor_answer(fig):
    return fig.tr(
        "Neither: there is only one peak, {p:+.4e} at x = {x:.3f}. The Taylor fit leaves the error −3.7·10⁻⁵ x⁵ + … "
        "near 0, of one sign on the whole half-line, so nothing balances it. Its largest |error| {w:.4e} is {r:.3f} "
        "times the min–max value {b:.4e}; at c = 0.0447149 a second peak of the other sign appears and the two are "
        "equal."
    ).format(p=fig.peak_values[0], x=fig.peak_x, w=fig.worst, r=fig.worst / fig.best, b=fig.best)


def _taylor_check(fig):
    p = fig.peak_values
    return len(p) == 1 and p[0] < 0 and 1.6 < fig.worst / fig.best < 1.9


# 2 ------------------------------------------------------------------ read off the published λ
def _lambda_answer(fig):
    lam, worst = fig.best
    return fig.tr(
        "At λ = 1.702 the largest |Φ − σ(λx)| is {w:.5e}; the min–max λ = {lam:.6f} gives {b:.5e}, only {r:.2%} "
        "less. The two peaks there are {p1:+.4e} and {p2:+.4e}: nearly equal, which is how one recognises a "
        "min–max fit. 1.702 is the min–max λ rounded to three decimals."
    ).format(w=fig.worst, lam=lam, b=worst, r=1 - worst / fig.worst, p1=fig.peak_values[0], p2=fig.peak_values[1])


def _lambda_check(fig):
    return 0 < fig.worst - fig.best[1] < 1e-4 and round(fig.best[0], 3) == 1.702


# 3 ------------------------------------------------------------------ break "0.044715 is the min–max"
def _level_answer(fig):
    c, _, worst = fig.rows["minimax"]
    pub = fig.rows["published"][2]
    return fig.tr(
        "No. On the GELU level the min–max c is {c:.7f} (max |x(Φ − Φ̃)| = {w:.4e}); the published 0.044715 "
        "has {p:.4e}, {r:.1%} more. 0.044715 is the min–max constant for Φ itself, not for GELU: the GELU "
        "error is x times the Φ error, which weights large |x| more."
    ).format(c=c, w=worst, p=pub, r=pub / worst - 1)


def _level_check(fig):
    c = fig.rows["minimax"][0]
    return abs(c - g.TANH_C) > 2e-4 and fig.rows["published"][2] > 1.1 * fig.rows["minimax"][2]


EXERCISES = [
    Exercise(
        name="taylor-peaks",
        kind="predict",
        question=(
            "Set c to the Taylor value {c}. The min–max c has two error peaks on x > 0, near 1.2 and 2.6. Before "
            "looking, predict: which of them is the larger at the Taylor c? And how many times the min–max error is it?"
        ),
        values={"c": 0.0455399},
        figure=MinimaxFigure,
        settings={"c": 0.0455399},
        answer=_taylor_answer,
        check=_taylor_check,
    ),
    Exercise(
        name="published-lambda",
        kind="read-off",
        question=(
            "Set λ = {lam}, the published constant. Read its largest error |Φ − σ(λx)| and compare it with the "
            "min–max λ's. How much does rounding to 1.702 cost?"
        ),
        values={"lam": 1.702},
        figure=LogisticFigure,
        settings={"lam": 1.702},
        answer=_lambda_answer,
        check=_lambda_check,
    ),
    Exercise(
        name="gelu-level",
        kind="break",
        question=(
            "Su fits Φ, but the network uses GELU = xΦ(x). Switch the error to the GELU level (tanh form, a fixed): is "
            "0.044715 still the min–max constant?"
        ),
        values={},
        figure=CriteriaFigure,
        settings={"form": "tanh", "level": "gelu", "a": "fixed"},
        answer=_level_answer,
        check=_level_check,
    ),
]
