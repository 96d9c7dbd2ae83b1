"""Lesson 05's exercises, in lesson order: each question with its settings, its live answer and its check.

All of them are on the closed-form figures (no training): ``tests/test_exercises.py`` drives each
one's figure to its settings and runs the check; the lesson shows them with
``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from theory_lib import smoothing as sm
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.smoothing.functions import FUNCTIONS, SmoothFunctionFigure
from theory_lib.figures.smoothing.kink import KinkFigure
from theory_lib.figures.smoothing.smooth_max import TAU_GRID, SmoothMaxFigure, _tau_curves

K_FROM = KinkFigure.controls["k"].value
LOGCOSH, ERF = (next(f for f, v in FUNCTIONS.items() if v == ("abs", kind)) for kind in ("logcosh", "erf"))
NEAR_TIE = "3, 0, 0, 0, 2.9"
SETTLED = 0.01  # "within 0.01 of the argmax"


# 1 ------------------------------------------------------------------ the opening picture, ten times sharper
def _sharper_answer(fig):
    k = fig.params["k"]
    before = sm.approximation_error("abs", K_FROM, "logcosh")
    return fig.tr(
        "Ten times smaller, and still at the kink: at k = {k:g} the largest gap is {gap:.4g} at x = "
        "{at:g}, against {before:.4g} at k = {k_from:g}: log 2/k, a ratio of {ratio:.4g}. "
        "The gap (1/k)·log(1 + e^(−2k|x|)) is largest where the kink was and dies off like e^(−2k|x|) away "
        "from it, so the curve hugs |x| everywhere but in a window of width about 1/k; the slope (right) turns "
        "from −1 to 1 within that window instead of jumping."
    ).format(k=k, gap=fig.gap_max, at=fig.gap_at, before=before, k_from=K_FROM, ratio=before / fig.gap_max)


def _sharper_check(fig):
    k = fig.params["k"]
    return (
        fig.gap_at == 0.0
        and math.isclose(fig.gap_max, math.log(2) / k, rel_tol=1e-12)
        and math.isclose(sm.approximation_error("abs", K_FROM, "logcosh") / fig.gap_max, k / K_FROM, rel_tol=1e-9)
    )


# 2 ------------------------------------------------------------------ step 2: the soft argmax on a near tie
def _near_tie_answer(fig):
    _, soft = _tau_curves(NEAR_TIE)
    at_one = float(np.interp(0.0, np.log10(TAU_GRID), soft))  # TAU_GRID holds 1
    settled = TAU_GRID[np.abs(soft) < SETTLED].max()
    return fig.tr(
        "At τ = 1 the soft argmax is {at_one:.2f}: it starts near index 2, where x holds 0, the smallest value. "
        "Indices 0 (x = 3) and 4 (x = 2.9) both weigh in and the average lands between them. It comes within "
        "{settled_to} of the argmax 0 only below τ ≈ {settled:.3g} (at the slider's τ = {tau} it reads "
        "{soft:.2g}): the gap 0.1 between the two largest entries has to be many τ wide."
    ).format(at_one=at_one, settled_to=SETTLED, settled=settled, tau=fig.params["tau"], soft=fig.soft)


def _near_tie_check(fig):
    _, soft = _tau_curves(NEAR_TIE)
    x = fig.x
    at_one = soft[np.argmin(np.abs(TAU_GRID - 1.0))]
    return (
        abs(fig.soft) < SETTLED
        and round(at_one) == 2
        and x[2] == x.min()
        and abs(sm.smooth_argmax(torch.from_numpy(x), 0.03).item()) > SETTLED  # one named τ up, not yet
    )


# 3 ------------------------------------------------------------------ break the soft argmax
def _tie_answer(fig):
    _, soft = _tau_curves(fig.params["vector"])
    return fig.tr(
        "On [3, 0, 3] the soft argmax is {soft:.6g} at τ = {tau} and lies between "
        "{low:.6g} and {high:.6g} over every τ from 10⁻³ to 10: always index 1, the position of the "
        "*minimum*. The two maxima get equal weight at every τ, so the weighted mean of their indices 0 and 2 is 1. "
        "The smooth max is fine here (gap τ log 2); only the soft argmax breaks."
    ).format(soft=fig.soft, tau=fig.params["tau"], low=soft.min(), high=soft.max())


def _tie_check(fig):
    _, soft = _tau_curves(fig.params["vector"])
    return (
        list(fig.winners) == [0, 2]
        and np.allclose(soft, 1.0, atol=1e-12)
        and abs(fig.soft - 1.0) < 1e-12
        and fig.x[1] == fig.x.min()
    )


# 4 ------------------------------------------------------------------ step 4: two smooth |x| at the same k
def _which_abs_answer(fig):
    k = fig.params["k"]
    e_erf, e_lc = sm.approximation_error("abs", k, "erf"), sm.approximation_error("abs", k, "logcosh")
    at2 = fig.gap[np.argmin(np.abs(fig.x - 2.0))]
    lc2 = (sm.smooth_abs(torch.tensor(2.0, dtype=torch.float64), k) - 2.0).item()
    return fig.tr(
        "x·erf(kx) wins both. Worst case at k = {k:g}: {e_erf:.4g} for x·erf(kx) against {e_lc:.4g} = log 2/k for "
        "log-cosh. At x = 2 the erf form's gap, 2·erfc({two_k:g}) = {erfc:.2g}, is far below what "
        "float64 resolves next to 2 (computed: {at2:.2g}; the middle panel floors it at 10⁻¹²); log-cosh's is "
        "{lc2:.2g}: in the middle panel the erf gap falls like e^(−k²x²), a parabola on "
        "the log scale, log-cosh's like e^(−2k|x|), a straight line. The price: x·erf(kx) lies below |x| and "
        "is not convex."
    ).format(k=k, e_erf=e_erf, e_lc=e_lc, two_k=2 * k, erfc=2 * math.erfc(2 * k), at2=at2, lc2=lc2)


def _which_abs_check(fig):
    k = fig.params["k"]
    at2 = fig.gap[np.argmin(np.abs(fig.x - 2.0))]
    lc2 = (sm.smooth_abs(torch.tensor(2.0, dtype=torch.float64), k) - 2.0).item()
    return (
        sm.approximation_error("abs", k, "erf") < sm.approximation_error("abs", k, "logcosh")
        and math.isclose(fig.gap.max(), sm.approximation_error("abs", k, "erf"), rel_tol=1e-3)
        and at2 < lc2
    )


EXERCISES = [
    Exercise(
        name="ten-times-sharper",
        kind="predict",
        question=(
            "The orange curve is log(eᵏˣ + e⁻ᵏˣ)/k at k = {k_from:g}. Before moving k to {k_to:g}, predict: "
            "how much smaller does the largest gap (red bar) get, and where is it?"
        ),
        values={"k_from": K_FROM, "k_to": 10 * K_FROM},
        figure=KinkFigure,
        settings={"k": 10 * K_FROM},
        answer=_sharper_answer,
        check=_sharper_check,
    ),
    Exercise(
        name="near-tie",
        kind="read-off",
        question=(
            "Type `{near_tie}` and lower τ from 1 to 0.001. Where does the soft argmax (bottom right) pass on its "
            "way to the argmax 0, and below which τ is it within {settled} of it?"
        ),
        values={"near_tie": NEAR_TIE, "settled": SETTLED},
        figure=SmoothMaxFigure,
        settings={"vector": NEAR_TIE, "tau": 0.01},
        answer=_near_tie_answer,
        check=_near_tie_check,
    ),
    Exercise(
        name="break-soft-argmax",
        kind="break",
        question=(
            "The article: argmax x ≈ Σᵢ i·softmax(x/τ)ᵢ for small τ. Break it: find a vector for which no τ, however "
            "small, gives the argmax."
        ),
        figure=SmoothMaxFigure,
        settings={"vector": "3, 0, 3", "tau": 0.001},
        answer=_tie_answer,
        check=_tie_check,
    ),
    Exercise(
        name="which-abs",
        kind="read-off",
        question=(
            "At k = 5, which smooth |x| has the smaller worst-case error, log(eᵏˣ + e⁻ᵏˣ)/k or x·erf(kx)? Which is "
            "closer at x = 2? Read both off the middle panel (switch the function to compare)."
        ),
        figure=SmoothFunctionFigure,
        settings={"function": ERF, "k": 5.0},
        answer=_which_abs_answer,
        check=_which_abs_check,
    ),
]
