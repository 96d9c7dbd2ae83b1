"""Lesson 10's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

import torch

from theory_lib import performer as pf
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.performer.estimators import RadiiFigure, VarianceFigure
from theory_lib.figures.performer.matrix import DRAWS, AttentionMatrixFigure, D, errors
from theory_lib.figures.performer.opening import RunningMeanFigure, sample_rms


# 1 ------------------------------------------------------------------ the opening picture: 1/√m
def _sqrt_answer(fig):
    before, after = sample_rms(10), fig.rms
    return fig.tr(
        "About 10 times narrower, not 100: at m = 10 the {r} runs are off by {pos10:.3f} (positive) and "
        "{trig10:.3f} (trigonometric); at m = 1000 by {pos:.4f} and {trig:.4f}, ratios {ratio_pos:.1f} and "
        "{ratio_trig:.1f}. An estimate from m features is a mean of m independent products, and a mean's spread "
        "falls like 1/√m."
    ).format(
        r=300,
        pos10=before["positive"],
        trig10=before["trig"],
        pos=after["positive"],
        trig=after["trig"],
        ratio_pos=before["positive"] / after["positive"],
        ratio_trig=before["trig"] / after["trig"],
    )


def _sqrt_check(fig):
    before = sample_rms(10)
    return all(7 < before[k] / fig.rms[k] < 14 for k in ("positive", "trig"))


# 2 ------------------------------------------------------------------ read off how many features 10% takes
def _needed_answer(fig):
    plus, trig = fig.needed["positive"], fig.needed["trig"]
    return fig.tr(
        "m = {plus:,} positive features: with q = k the relative variance of one feature is e^(|q+k|²) − 1 = "
        "e^4 − 1 = {rel:.2f}, and 10% needs m = {rel:.2f}/0.01. Trigonometric features are exact here "
        "(q − k = 0), m = {trig}. Turn θ to 90° and the positive count drops to {at90:,}; at 180° (q = −k) "
        "positive features are exact."
    ).format(plus=plus, rel=math.expm1(4.0), trig=trig, at90=math.ceil(math.expm1(2.0) / 0.01))


def _needed_check(fig):
    return fig.needed["positive"] == math.ceil(math.expm1(4.0) / 0.01) and fig.needed["trig"] == 0


# 3 ------------------------------------------------------------------ break "m several times d"
def _several_answer(fig):
    small = errors(64, 0.5, fig.params["kind"], "positive")[2].mean()
    return fig.tr(
        "No. At c = {c:.1f} and m = {m} = {ratio:.0f}·d the attention matrix is still off by {err:.2f} "
        "(relative Frobenius error, mean of {draws} draws); at c = 0.5, m = 64 = 4·d already gives {small:.3f}. "
        "The error of one entry grows like e^(|q+k|²): what 'm a few times d' needs is small |q| and |k|, a "
        "condition the article does not state."
    ).format(c=fig.params["c"], m=fig.params["m"], ratio=fig.params["m"] / D, err=fig.error, small=small, draws=DRAWS)


def _several_check(fig):
    return fig.error > 0.5 and errors(64, 0.5, fig.params["kind"], "positive")[2].mean() < 0.1


# 4 ------------------------------------------------------------------ predict: are Su's radii unbiased?
def _bias_answer(fig):
    d, m = fig.params["d"], fig.params["m"]
    radii = pf.quantile_radii(d, m)
    return fig.tr(
        "Biased, and low: at |q + k| = 1 the mean estimate is {bias:+.1%} off. The radii {radii} are the "
        "quartiles of χ_2; averaging e^(R u·s) over them is a 3-point quadrature of E e^(ω·s) that misses the "
        "tail, where the integrand is largest. With d = 64 and m = 64 the bias is {big:+.3%}: smaller, never zero. "
        "iid and orthogonal lengths are exact in expectation."
    ).format(bias=fig.bias_at_1, radii=", ".join(f"{r:.4f}" for r in radii.tolist()), big=pf.quantile_bias(64, 64, 1.0))


def _bias_check(fig):
    return fig.bias_at_1 < -0.1 and -0.01 < pf.quantile_bias(64, 64, 1.0) < 0


# 5 ------------------------------------------------------------------ predict: trig features near q = -k
def _trig_answer(fig):
    q = torch.tensor([1.0, 0.0], dtype=torch.float64)
    return fig.tr(
        "The trigonometric features: relative RMS {trig:.3g} with m = 256 ({one:.3g} for one feature), while positive "
        "features are exact (q + k = 0; {plus:.1g} is rounding). "
        "e^(q·k) = {kernel:.3g} is small, while each trigonometric product is e^((|q|²+|k|²)/2) cos(…), of size "
        "{size:.3g}, and must cancel almost exactly. Attention weights are mostly small entries like this one, "
        "which is why Performer uses positive features."
    ).format(
        trig=fig.rms["trig"],
        one=fig.rms1["trig"],
        plus=fig.rms["positive"],
        kernel=fig.kernel,
        size=math.exp(float(q @ q)),
    )


def _trig_check(fig):
    return fig.rms["trig"] > 10 * fig.rms["positive"]


EXERCISES = [
    Exercise(
        name="sqrt-m",
        kind="predict",
        question="Before moving m from 10 to 1000, predict: how much narrower does the strip of estimates get?",
        figure=RunningMeanFigure,
        settings={"m": 1000},
        answer=_sqrt_answer,
        check=_sqrt_check,
    ),
    Exercise(
        name="ten-percent",
        kind="read-off",
        question="|q| = |k| = 1 and q = k (θ = 0°): read off how many positive features give a 10% relative error.",
        figure=VarianceFigure,
        settings={"q_norm": 1.0, "k_norm": 1.0, "angle": 0.0, "m": 1},
        answer=_needed_answer,
        check=_needed_check,
    ),
    Exercise(
        name="trig-fails",
        kind="predict",
        question="Set θ = 180° (q = −k). Predict which kind of feature fails there, then look.",
        figure=VarianceFigure,
        settings={"q_norm": 1.0, "k_norm": 1.0, "angle": 180.0, "m": 256},
        answer=_trig_answer,
        check=_trig_check,
    ),
    Exercise(
        name="several-d",
        kind="break",
        question="The article: m must be 'several times d'. Set c = 2 and m = 1024 = 64·d. Is it enough?",
        figure=AttentionMatrixFigure,
        settings={"c": 2.0, "m": 1024, "kind": "orthogonal", "features": "positive"},
        answer=_several_answer,
        check=_several_check,
    ),
    Exercise(
        name="quantile-bias",
        kind="predict",
        question="d = 2, m = 3: do Su's quantile radii keep the estimate of e^(q·k) unbiased? Predict, then read it.",
        figure=RadiiFigure,
        settings={"d": 2, "m": 3},
        answer=_bias_answer,
        check=_bias_check,
    ),
]
