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
    return fig.tr(
        "Larger. At s = 1 the gradient reaching h_0 is 10^{start:.2f} of its size at h_T; at s = {s} it is "
        "10^{total:.2f}: {grew} of the {steps} cells now make it larger on its way back. A larger U "
        "multiplies more than the factors 1 − h² (saturation) take away, at least over these {steps} steps."
    ).format(start=START_LOG10, s=fig.params["weight_scale"], total=fig.total, grew=fig.grew, steps=STEPS)


def _grows_check(fig):
    return START_LOG10 < 0 < fig.total and fig.grew > STEPS // 2


# 2 ------------------------------------------------------------------ the opening picture: where the gradient survives
SURVIVES = survival_scale()


def _survives_answer(fig):
    s = fig.params["weight_scale"]
    below = round(s - SCALE_STEP, 10)
    return fig.tr(
        "At s = {s}: the gradient reaching h_0 is 10^{total:.3f} of the one that entered, no smaller; one "
        "slider step lower, at s = {below}, it is 10^{below_total:.3f}. "
        "So a random U needs a scale of about {s}, a spectral radius about {s} and ‖U‖₂ about twice that, before "
        "forty tanh cells pass the gradient on undiminished; the lesson's default s = 1 is far below."
    ).format(s=s, total=fig.total, below=below, below_total=backward_sizes(below)[0] / math.log(10))


def _survives_check(fig):
    s = fig.params["weight_scale"]
    return fig.total >= 0 and backward_sizes(round(s - SCALE_STEP, 10))[0] < 0 and s > 1


# 3 ------------------------------------------------------------------ step 2's bound at s = 1
def _bound_answer(fig):
    return fig.tr(
        "‖U‖₂ = {norm:.3f} > 1, so the bound ‖U‖₂^k grows: at lag {steps} it allows 10^{bound:.1f}. "
        "The real tanh product is 10^{tanh:.1f}, {gap:.1f} decades below it: it vanishes although the bound says "
        "nothing. The bound follows the largest singular value of U; the product follows the eigenvalues (a disc "
        "of radius about s = 1) and the factors 1 − h² ≤ 1."
    ).format(
        norm=fig.norm_u,
        steps=STEPS,
        bound=STEPS * math.log10(fig.norm_u),
        tanh=fig.ends["rnn-tanh"],
        gap=fig.gap["rnn-tanh"],
    )


def _bound_check(fig):
    return fig.norm_u > 1 and fig.ends["rnn-tanh"] < 0 and min(fig.slack.values()) >= -1e-9 and fig.gap["rnn-tanh"] > 10


# 4 ------------------------------------------------------------------ break: tanh explodes too
def _tanh_explodes_answer(fig):
    s, b, T = fig.params["weight_scale"], fig.params["gate_bias"], fig.params["T"]
    r = fits(s, b, T)
    tanh, relu = r["rnn-tanh"], r["rnn-relu"]
    return fig.tr(
        "At s = {s}, T = {T}: tanh's λ = {tanh:.3g} < 0, so its gradient doubles every {steps:.3g} steps: it "
        "explodes. relu's λ = {relu:.3g} is {ratio:.2g} times steeper. Saturation slows the explosion down; it "
        "does not forbid it (a strongly driven tanh RNN is chaotic)."
    ).format(
        s=s,
        T=T,
        tanh=tanh.rate,
        steps=math.log(2) / -tanh.rate,
        relu=relu.rate,
        ratio=relu.rate / tanh.rate,
    )


def _tanh_explodes_check(fig):
    r = fits(fig.params["weight_scale"], fig.params["gate_bias"], fig.params["T"])
    return (
        r["rnn-tanh"].verdict == "explodes"
        and r["rnn-relu"].rate < r["rnn-tanh"].rate < 0
        and fig.readout.startswith("<b>rnn-tanh</b>")
        and fig._verdict(r["rnn-tanh"]) in fig.readout  # what the learner reads under the figure: "doubles every"
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
            "At s = 1, read ‖U‖₂ and how many decades the bound sits above tanh's real product at lag {steps}. "
            "Does the bound tell you that the gradient vanishes?"
        ),
        values={"steps": STEPS},
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
