"""Lesson 02's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

from theory_lib import angles as ag
from theory_lib.figures.angles.distribution import ARTICLE_VAR, VECTOR_BUDGET, AngleDistributionFigure
from theory_lib.figures.angles.sphere import EPS_DEG, POINTS, SphereBandFigure
from theory_lib.figures.angles.steps import LaplaceFigure
from theory_lib.figures.exercises import Exercise

EPS = math.radians(EPS_DEG)
N_FILLED = 100  # the dimension exercise 1 moves to
N_ROW = 1000  # the article's last table row
N_BIG = AngleDistributionFigure.controls["n"].max
ASKED = AngleDistributionFigure.controls["samples"].value


# 1 ------------------------------------------------------------------ the opening picture: the band fills up
def _fills_answer(fig):
    p3 = ag.prob_near_orthogonal(3, EPS)
    return fig.tr(
        "At n = 3 the band holds {p3:.1%} of the sphere; at n = {n} it holds {p:.1%} "
        "(exactly; {share:.1%} of the {points} drawn points). The angle to the pole now has a standard "
        "deviation of only {sd:.2f}° about 90°, so almost every direction is within {eps:g}° of "
        "orthogonal to the pole, though the band is a thin strip of the ordinary sphere."
    ).format(p3=p3, n=fig.params["n"], p=fig.p_band, share=fig.share, points=POINTS, sd=fig.sd_deg, eps=EPS_DEG)


def _fills_check(fig):
    return fig.p_band > 0.9 > ag.prob_near_orthogonal(3, EPS) and abs(fig.share - fig.p_band) < 0.03


# 2 ------------------------------------------------------------------ n = 3: Archimedes' hat box
def _hatbox_answer(fig):
    return fig.tr(
        "{p:.4f}, which is sin {eps:g}° = {sin:.4f}: at n = 3 the cosine of the angle is "
        "uniform on [−1, 1] (step 3, Archimedes' hat-box theorem), so a band between the heights ±sin ε holds the "
        "fraction sin ε of the sphere. The {points} drawn points put {share:.1%} there."
    ).format(p=fig.p_band, eps=EPS_DEG, sin=math.sin(EPS), points=POINTS, share=fig.share)


def _hatbox_check(fig):
    return math.isclose(fig.p_band, math.sin(EPS), rel_tol=1e-9) and abs(fig.share - fig.p_band) < 0.03


# 3 ------------------------------------------------------------------ step 5: break Laplace's normal at small n
def _laplace_answer(fig):
    return fig.tr(
        "At n = {n} Laplace's law N(π/2, 1/(n−2)) has variance {laplace:g}, the exact "
        "variance is ψ′(3/2)/2 = π²/4 − 2 = {exact:.6f}: the normal is {ratio:.2f} times too wide, "
        "and its densities differ by up to {gap:.0%} of the peak. It even puts "
        "{outside:.1%} of its mass outside [0, π], where no angle can be. "
        "The approximation is a large-n statement: the article's table (exact) is right, its normal law is "
        "not at n = {n}."
    ).format(
        n=fig.params["n"],
        laplace=fig.var_laplace,
        exact=fig.var_exact,
        ratio=fig.ratio,
        gap=fig.peak_gap,
        outside=1 - math.erf(math.pi / 2 / math.sqrt(2)),
    )


def _laplace_check(fig):
    next_ratio = 1 / (4 - 2) / ag.angle_variance(4)  # one slider step up, n = 4
    return (
        fig.params["n"] == 3
        and fig.ratio > max(2, next_ratio)
        and math.isclose(fig.var_exact, math.pi**2 / 4 - 2, rel_tol=1e-12)
    )


# 4 ------------------------------------------------------------------ the synthesis figure: the article's n = 1000
def _table_answer(fig):
    n = fig.params["n"]
    return fig.tr(
        "The readout gives the exact variance {exact:.7g}, 1/(n−1) = {nm1:.7g} and Laplace's "
        "1/(n−2) = {nm2:.7g}. Rounded as the article prints it, the exact value is {exact:.4g}, "
        "the article's {quoted} (1/(n−1) agrees to the digits shown); Laplace's would print "
        "{nm2:.4g}. So the article's table is the exact variance, not its own normal approximation, "
        "and at n = {n} the sample of {count:,} pairs "
        "({sampled:.5g} ± {se:.1g}) cannot tell the three apart."
    ).format(
        exact=fig.var_exact,
        nm1=1 / (n - 1),
        nm2=1 / (n - 2),
        quoted=ARTICLE_VAR[n],
        n=n,
        count=fig.count,
        sampled=fig.var_sampled,
        se=fig.var_se,
    )


def _table_check(fig):
    n = fig.params["n"]
    return float(f"{fig.var_exact:.4g}") == ARTICLE_VAR[n] != float(f"{1 / (n - 2):.4g}")


# 5 ------------------------------------------------------------------ the vectors sampler at n = 10^4
def _budget_answer(fig):
    n, asked = fig.params["n"], fig.params["samples"]
    return fig.tr(
        "{count:,} pairs, not {asked:,}: the vectors sampler draws 2n = {two_n:,} Gaussian coordinates per pair "
        "and is capped at {budget:,} per move, so it affords {budget:,} // {two_n:,} = "
        "{count} pairs. "
        "The sampled variance is {sampled:.3g} ± {se:.1g}, a relative standard error of "
        "{rel:.0%}, where the beta sampler draws all {asked:,} at any n."
    ).format(
        count=fig.count,
        asked=asked,
        two_n=2 * n,
        budget=VECTOR_BUDGET,
        sampled=fig.var_sampled,
        se=fig.var_se,
        rel=fig.var_se / fig.var_exact,
    )


def _budget_check(fig):
    n = fig.params["n"]
    return fig.count == VECTOR_BUDGET // (2 * n) < fig.params["samples"] and fig.var_se / fig.var_exact > 0.1


EXERCISES = [
    Exercise(
        name="band-fills",
        kind="predict",
        question=(
            "At n = 3 the green band, within {eps:g}° of the equator, holds few of the directions. Before moving "
            "n to {n}, predict: more or less than 90% of them?"
        ),
        values={"eps": EPS_DEG, "n": N_FILLED},
        figure=SphereBandFigure,
        settings={"n": N_FILLED},
        answer=_fills_answer,
        check=_fills_check,
    ),
    Exercise(
        name="hat-box",
        kind="read-off",
        question=(
            "Set n = 3, an ordinary sphere. Read off the exact share of the band |θ − 90°| < {eps:g}°. "
            "Which simple function of ε is it?"
        ),
        values={"eps": EPS_DEG},
        figure=SphereBandFigure,
        settings={"n": 3},
        answer=_hatbox_answer,
        check=_hatbox_check,
    ),
    Exercise(
        name="laplace-at-3",
        kind="break",
        question=(
            "The article approximates the angle by the normal law N(π/2, 1/(n−2)). Break it: find the dimension on "
            "this slider where that normal is furthest from the exact law, and say by what factor its variance is off."
        ),
        figure=LaplaceFigure,
        settings={"n": 3},
        answer=_laplace_answer,
        check=_laplace_check,
    ),
    Exercise(
        name="article-row-1000",
        kind="read-off",
        question=(
            "The article's table gives Var(θ) = {quoted} at n = {n}. Set n = {n} and read off the "
            "exact variance, 1/(n−1) and Laplace's 1/(n−2): which of them did the article print?"
        ),
        values={"quoted": ARTICLE_VAR[N_ROW], "n": N_ROW},
        figure=AngleDistributionFigure,
        settings={"n": N_ROW},
        answer=_table_answer,
        check=_table_check,
    ),
    Exercise(
        name="vectors-budget",
        kind="predict",
        question=(
            "Switch the sampler to `vectors` and take n to {n:,} with {asked:,} pairs asked for. Predict how "
            "many pairs it draws, then check the readout."
        ),
        values={"n": N_BIG, "asked": ASKED},
        figure=AngleDistributionFigure,
        settings={"n": N_BIG, "method": "vectors"},
        answer=_budget_answer,
        check=_budget_check,
    ),
]
