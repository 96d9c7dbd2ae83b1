"""Lesson 08's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

import numpy as np

from theory_lib import embedding as em
from theory_lib.figures.embedding.dimension import ARTICLE, DimensionFigure, EntropyCoefficientFigure, pair_cosines
from theory_lib.figures.embedding.opening import (
    CAP,
    N_MIN,
    PHI,
    WORDS,
    WordsFigure,
    context_angles,
    expected_in_cap,
    roomy_dimension,
)
from theory_lib.figures.exercises import Exercise

RULE = em.min_embedding_dim(WORDS, "exact")


# 1 ------------------------------------------------------------------ the opening picture, a larger n
def _roomy_answer(fig):
    n = fig.params["n"]
    cos = np.cos(context_angles(n))
    return fig.tr(
        "None: at n = {n}, {in_cap} of the {words:,} words lie in the cap; the largest cosine to u is "
        "{largest:.3f}, against 1/φ = {cos:.3f}. The words crowd at the equator instead (typical |cos θ| "
        "= {typical:.3f}, about 1/√n = {root:.3f}: lesson 02). Over all N² pairs "
        "{expected:.3g} are expected in the cap, fewer than one: roomy."
    ).format(
        n=n,
        in_cap=fig.in_cap,
        words=WORDS,
        largest=cos.max(),
        cos=1 / PHI,
        typical=np.sqrt(np.mean(cos**2)),
        root=1 / math.sqrt(n),
        expected=fig.expected,
    )


def _roomy_check(fig):
    return fig.in_cap == 0 and fig.expected < 1 and np.cos(context_angles(fig.params["n"])).max() < 1 / PHI


# 2 ------------------------------------------------------------------ read off where the cap empties
def _threshold_answer(fig):
    n = fig.params["n"]
    before = expected_in_cap()[n - 1 - N_MIN]
    return fig.tr(
        "At n = {n}: {expected:.3g} pairs expected, while at n = {before_n} it is {before:.3g}. The article's rule "
        "asks for n ≥ {rule} for N = {words:,}. Both grow like ln N with the same slope: the cap's probability "
        "falls like φ^(−n/2), and −½ log φ = {limit:.4f} is the limit of h_n/n (step 5). "
        "They differ by terms of order log n, so the cap empties {earlier} dimensions earlier than the rule."
    ).format(
        n=n,
        expected=fig.expected,
        before_n=n - 1,
        before=before,
        rule=RULE,
        words=WORDS,
        limit=em.entropy_coefficient_limit(),
        earlier=RULE - n,
    )


def _threshold_check(fig):
    n = fig.params["n"]
    return fig.expected < 1 <= expected_in_cap()[n - 1 - N_MIN] and n < RULE and math.degrees(CAP) > 51


# 3 ------------------------------------------------------------------ the base of the logarithm
def _base_answer(fig):
    N = fig.params["N"]
    article, exact = em.min_embedding_dim(N), em.min_embedding_dim(N, "exact")
    log2 = ARTICLE * math.log2(N)
    return fig.tr(
        "For N = {N:,}: 8.33 ln N = {ln:.1f}, so the article's own rule asks for n ≥ {article}; "
        "the exact h_n gives {exact}, the article's 'about 128'. Read as log₂, 8.33 log₂ N = {log2:.1f}: you "
        "would pick 256 where 128 is enough, a factor 1/ln 2 = {factor:.3f} too many."
    ).format(N=N, ln=ARTICLE * math.log(N), article=article, exact=exact, log2=log2, factor=1 / math.log(2))


def _base_check(fig):
    N = fig.params["N"]
    log2 = ARTICLE * math.log2(N)
    return (
        em.min_embedding_dim(N, "exact") == 128
        and em.min_embedding_dim(N) == 129
        and log2 > 128
        and f"{log2:.1f}" in fig.readout
    )


# 4 ------------------------------------------------------------------ break the sampling step
def _break_answer(fig):
    n, S = fig.params["n"], fig.params["samples"]
    _, mc_h, mc_se = pair_cosines(n, S)
    h = em.entropy_gap(n)
    return fig.tr(
        "No. The integral gives h_n/n = {coef:.4f}; the {S} pairs give {mc:.4f} ± {err:.4f} "
        "(two standard errors): off by more than the error bar, and it can never go below the floor −log S / n = "
        "{floor:.4f}. The expectation needs about e^(−h_n) = e^{kl:.1f} samples and log S = "
        "{log_s:.2f} is far below −h_n: the sample never reaches the pairs that carry E[e^(n cos θ)]. "
        "This is step 6: where log N² + h_n < 0, the N² real pairs are such a sample, and the formula stops "
        "being the entropy of anything."
    ).format(coef=h / n, S=S, mc=mc_h / n, err=2 * mc_se / n, floor=-math.log(S) / n, kl=-h, log_s=math.log(S))


def _break_check(fig):
    n, S = fig.params["n"], fig.params["samples"]
    _, mc_h, mc_se = pair_cosines(n, S)
    h = em.entropy_gap(n)
    return fig.tr("off by more than its error bar") in fig.readout and abs(mc_h - h) > 2 * mc_se and math.log(S) < -h


EXERCISES = [
    Exercise(
        name="words-spread-out",
        kind="predict",
        question=(
            "The picture opens at n = 8, where a few dozen of the {words:,} words sit in u's cap. Before moving n "
            "to 64, predict: how many stay in the cap, and where do the others go?"
        ),
        values={"words": WORDS},
        figure=WordsFigure,
        settings={"n": 64},
        answer=_roomy_answer,
        check=_roomy_check,
    ),
    Exercise(
        name="cap-empties",
        kind="read-off",
        question=(
            "Move n up one step at a time. At which n does the number of pairs expected in the cap first drop "
            "below 1, and how does that compare with the article's rule for N = {words:,}?"
        ),
        values={"words": WORDS},
        figure=WordsFigure,
        settings={"n": roomy_dimension()},
        answer=_threshold_answer,
        check=_threshold_check,
    ),
    Exercise(
        name="base-of-log",
        kind="read-off",
        question=(
            "Set N to five million and read the three bounds: does 'about 128' hold? Then read 8.33 log N with the "
            "logarithm in base 2: what would you have concluded?"
        ),
        figure=DimensionFigure,
        settings={"N": 5_000_000, "base": "2"},
        answer=_base_answer,
        check=_base_check,
    ),
    Exercise(
        name="too-few-pairs",
        kind="break",
        question=(
            "Su replaces the sum over the N² pairs by an expectation over random pairs. Break that step: with "
            "S = 100 random pairs at n = 32, does the Monte Carlo estimate (red diamond) agree with the integral?"
        ),
        figure=EntropyCoefficientFigure,
        settings={"n": 32, "samples": 100},
        answer=_break_answer,
        check=_break_check,
    ),
]
