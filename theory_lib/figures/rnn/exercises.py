"""Lesson 07's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure. The synthesis figure
recomputes for a second or so per new (weight scale, gate bias), so it gets one exercise, at one new pair.
"""

from __future__ import annotations

import math

from theory_lib.figures.exercises import Exercise
from theory_lib.figures.rnn.gradients import RNNGradientFigure, fits
from theory_lib.figures.rnn.opening import SCALE_STEP, STEPS, BackpropFigure, backward_sizes, survival_scale
from theory_lib.figures.rnn.steps import BoundFigure

START_LOG10 = float(backward_sizes(1.0)[0] / math.log(10))  # the opening picture's default, s = 1


# 1 ------------------------------------------------------------------ the opening picture, a larger scale
def _grows_answer(fig):
    s = fig.params["weight_scale"]
    return (
        f"Larger. At s = 1 the gradient reaching h_0 is 10^{START_LOG10:.2f} of its size at h_T; at s = {s} it is "
        f"10^{fig.total:.2f}: {fig.grew} of the {STEPS} cells now make it larger on its way back. A larger U "
        f"multiplies more than the factors 1 − h² (saturation) take away, at least over these {STEPS} steps."
    )


def _grows_check(fig):
    return START_LOG10 < 0 < fig.total and fig.grew > STEPS // 2


# 2 ------------------------------------------------------------------ the opening picture: where the gradient survives
SURVIVES = survival_scale()


def _survives_answer(fig):
    s = fig.params["weight_scale"]
    below = round(s - SCALE_STEP, 10)
    return (
        f"At s = {s}: the gradient reaching h_0 is 10^{fig.total:.3f} of the one that entered, no smaller; one "
        f"slider step lower, at s = {below}, it is 10^{backward_sizes(below)[0] / math.log(10):.3f}. "
        f"So a random U needs a scale of about {s}, a spectral radius about {s} and ‖U‖₂ about twice that, before "
        f"forty tanh cells pass the gradient on undiminished; the lesson's default s = 1 is far below."
    )


def _survives_check(fig):
    s = fig.params["weight_scale"]
    return fig.total >= 0 and backward_sizes(round(s - SCALE_STEP, 10))[0] < 0 and s > 1


# 3 ------------------------------------------------------------------ step 2's bound at s = 1
def _bound_answer(fig):
    return (
        f"‖U‖₂ = {fig.norm_u:.3f} > 1, so the bound ‖U‖₂^k grows: at lag {STEPS} it allows 10^"
        f"{STEPS * math.log10(fig.norm_u):.1f}. The real tanh product is 10^{fig.ends['rnn-tanh']:.1f}, "
        f"{fig.gap['rnn-tanh']:.1f} decades below it: it vanishes although the bound says nothing. The bound "
        f"follows the largest singular value of U; the product follows the eigenvalues (a disc of radius about "
        f"s = 1) and the factors 1 − h² ≤ 1."
    )


def _bound_check(fig):
    return fig.norm_u > 1 and fig.ends["rnn-tanh"] < 0 and min(fig.slack.values()) >= -1e-9 and fig.gap["rnn-tanh"] > 10


# 4 ------------------------------------------------------------------ break: tanh explodes too
def _tanh_explodes_answer(fig):
    s, b, T = fig.params["weight_scale"], fig.params["gate_bias"], fig.params["T"]
    r = fits(s, b, T)
    tanh, relu = r["rnn-tanh"], r["rnn-relu"]
    return (
        f"At s = {s}, T = {T}: tanh's λ = {tanh.rate:.3g} < 0, so its gradient doubles every "
        f"{math.log(2) / -tanh.rate:.3g} steps: it explodes. relu's λ = {relu.rate:.3g} is {relu.rate / tanh.rate:.2g} "
        f"times steeper. Saturation slows the explosion down; it does not forbid it (a strongly driven tanh RNN is "
        f"chaotic)."
    )


def _tanh_explodes_check(fig):
    r = fits(fig.params["weight_scale"], fig.params["gate_bias"], fig.params["T"])
    return (
        r["rnn-tanh"].verdict == "explodes"
        and r["rnn-relu"].rate < r["rnn-tanh"].rate < 0
        and fig.readout.startswith("<b>rnn-tanh</b>")
        and "doubles every" in fig.readout  # what the learner reads under the figure
    )


EXERCISES = [
    Exercise(
        name="gradient-grows",
        kind="predict",
        question=(
            "The picture opens at s = 1, where almost every cell shrinks the gradient. Before moving s to 3, "
            "predict: will the gradient that reaches h_0 be smaller or larger than the one that entered at h_T?"
        ),
        figure=BackpropFigure,
        settings={"weight_scale": 3.0},
        answer=_grows_answer,
        check=_grows_check,
    ),
    Exercise(
        name="gradient-survives",
        kind="read-off",
        question=(
            "Move s up from 1 one slider step at a time. At which s does the gradient that reaches h_0 first stop "
            "being smaller than the one that entered at h_T?"
        ),
        figure=BackpropFigure,
        settings={"weight_scale": SURVIVES},
        answer=_survives_answer,
        check=_survives_check,
    ),
    Exercise(
        name="bound-is-loose",
        kind="read-off",
        question=(
            f"At s = 1, read ‖U‖₂ and how many decades the bound sits above tanh's real product at lag {STEPS}. "
            "Does the bound tell you that the gradient vanishes?"
        ),
        figure=BoundFigure,
        settings={"weight_scale": 1.0},
        answer=_bound_answer,
        check=_bound_check,
    ),
    Exercise(
        name="tanh-explodes",
        kind="break",
        question=(
            "Su: tanh's saturation reins in explosion where relu does not. Break it: choose `rnn-tanh` and set the "
            "weight scale to 5 (bias 0, T = 150). What does the readout say tanh's gradient does?"
        ),
        figure=RNNGradientFigure,
        settings={"cell": "rnn-tanh", "weight_scale": 5.0, "gate_bias": 0.0, "T": 150},
        answer=_tanh_explodes_answer,
        check=_tanh_explodes_check,
    ),
]
