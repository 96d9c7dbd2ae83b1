"""Lesson 03's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

import numpy as np

from theory_lib import angles as ag
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.geometric_init.columns import PAIRS, OrthogonalColumnsFigure
from theory_lib.figures.geometric_init.layers import INPUTS, NORM_GAIN, GeometricInitFigure, log_ratio_moments

N_WIDE = 256
N_START = OrthogonalColumnsFigure.controls["n"].value
RELU_GAIN = 1.42  # the first gain slider position above sqrt(2)
STEP = GeometricInitFigure.controls["gain"].grid_step()
DEPTH = GeometricInitFigure.controls["depth"].max


# 1 ------------------------------------------------------------------ the opening picture: n = 4 -> 256
def _turn_answer(fig):
    return fig.tr(
        "They gather at the red star (0, 1): at n = {n} the {pairs} pairs are {sd:.1f}° from "
        "90° in root mean square (lesson 02's law says {sd_theory:.1f}°; at n = {n0} it says "
        "{sd0:.1f}°), and the lengths bunch at 1. WᵀW turns into the identity: "
        "mean((WᵀW − I)²) = {error:.4f}, expected (n + 1)/n² = {expected:.4f}."
    ).format(
        n=fig.params["n"],
        pairs=PAIRS,
        sd=fig.angle_sd,
        sd_theory=fig.angle_sd_theory,
        n0=N_START,
        sd0=math.degrees(math.sqrt(ag.angle_variance(N_START))),
        error=fig.error,
        expected=fig.error_expected,
    )


def _turn_check(fig):
    return (
        fig.angle_sd < 0.2 * math.degrees(math.sqrt(ag.angle_variance(N_START)))
        and math.isclose(fig.angle_sd, fig.angle_sd_theory, rel_tol=0.2)
        and math.isclose(fig.error, fig.error_expected, rel_tol=0.1)
    )


# 2 ------------------------------------------------------------------ He's sqrt(2), read off the gain slider
def _relu_theory(gain, depth):
    return (gain * math.sqrt(NORM_GAIN["relu"])) ** depth


def _he_answer(fig):
    g, L = fig.params["gain"], fig.params["depth"]
    below = round(g - STEP, 6)
    rms = fig.rms.get_ydata()[-1]
    return fig.tr(
        "The red line (g/√2)^l is flat at g = √2 = {sqrt2:.4f}, which lies between the slider positions "
        "{below} and {g}: at {below} it falls to {low:.3f} after {L} layers, at {g} it rises to "
        "{high:.3f}. The blue RMS line ends at {rms:.3f}, of order 1, where the plain std 1/√n "
        "would give 2^(−{L}/2) = {plain:.1e}: He's √2 undoes ReLU's halving."
    ).format(
        sqrt2=math.sqrt(2),
        below=below,
        g=g,
        low=_relu_theory(below, L),
        L=L,
        high=_relu_theory(g, L),
        rms=rms,
        plain=2 ** (-L / 2),
    )


def _he_check(fig):
    g, L = fig.params["gain"], fig.params["depth"]
    return _relu_theory(round(g - STEP, 6), L) < 1 < _relu_theory(g, L) and 0.5 < fig.rms.get_ydata()[-1] < 2


# 3 ------------------------------------------------------------------ gain 1.1, 100 linear layers: read off
def _gain_answer(fig):
    rms, theory = fig.rms.get_ydata()[-1], fig.theory.get_ydata()[-1]
    lo, hi = (line.get_ydata()[-1] for line in fig.typical)
    n, L = fig.params["n"], fig.params["depth"]
    mean, _ = log_ratio_moments(n, fig.params["gain"], np.array([L]))
    return fig.tr(
        "RMS ‖x_L‖/‖x_0‖ = {rms:.4g} against the mean-square theory 1.1^{L} = {theory:.4g}: lower, by a factor "
        "{factor:.2f}. The red dots, step 6's typical path ±1 s.d., span {lo:.4g} to {hi:.4g} at layer {L}, "
        "around e^({mean:.2f}) = {typical:.4g}: each layer also multiplies the log-length by a random "
        "χ² factor whose log has mean below 0, so {inputs} inputs through one stack land near the typical path, not "
        "at the mean square, which rare large paths dominate."
    ).format(
        rms=rms,
        L=L,
        theory=theory,
        factor=theory / rms,
        lo=lo,
        hi=hi,
        mean=mean[0],
        typical=math.exp(mean[0]),
        inputs=INPUTS,
    )


def _gain_check(fig):
    rms, theory = fig.rms.get_ydata()[-1], fig.theory.get_ydata()[-1]
    lo, hi = (line.get_ydata()[-1] for line in fig.typical)
    return lo < rms < theory and math.isclose(theory, fig.params["gain"] ** fig.params["depth"])


# 4 ------------------------------------------------------------------ break "variance 1/n keeps the length"
def _narrow_answer(fig):
    n, L = fig.params["n"], fig.params["depth"]
    rms = fig.rms.get_ydata()[-1]
    mean, sd = log_ratio_moments(n, 1.0, np.array([L]))
    return fig.tr(
        "At width {n} and {L} layers the RMS ‖x_L‖/‖x_0‖ is {rms:.2g}, although the mean-square theory stays at "
        "{theory:g}. Step 6 predicts it: the typical log-length drifts by "
        "{drift:.4f} a layer (≈ −1/(2n) = {approx:.4f}), so e^({mean:.1f}) = {typical:.2g} "
        "after {L} layers, with a spread of ±{sd:.1f} in the log. The article's one-layer argument is right "
        "on average and wrong for the typical deep, narrow network: keeping norms needs n ≫ L."
    ).format(
        n=n,
        L=L,
        rms=rms,
        theory=fig.theory.get_ydata()[-1],
        drift=mean[0] / L,
        approx=-1 / (2 * n),
        mean=mean[0],
        typical=math.exp(mean[0]),
        sd=sd[0],
    )


def _narrow_check(fig):
    mean, _ = log_ratio_moments(fig.params["n"], 1.0, np.array([fig.params["depth"]]))
    return fig.rms.get_ydata()[-1] < 0.01 and fig.theory.get_ydata()[-1] == 1.0 and math.exp(mean[0]) < 0.01


EXERCISES = [
    Exercise(
        name="columns-turn",
        kind="predict",
        question=(
            "At n = {n0} the column pairs point every which way. Before "
            "moving n to {n}, predict where the tips will gather, and how far from 90° the angles will be."
        ),
        values={"n0": N_START, "n": N_WIDE},
        figure=OrthogonalColumnsFigure,
        settings={"n": N_WIDE},
        answer=_turn_answer,
        check=_turn_check,
    ),
    Exercise(
        name="he-gain",
        kind="predict",
        question=(
            "Choose `relu` and depth 50, then raise the gain from 1 towards √2 = {sqrt2:.4f}. Predict between "
            "which two neighbouring gain positions the red theory line turns from falling to rising, then check."
        ),
        values={"sqrt2": math.sqrt(2)},
        figure=GeometricInitFigure,
        settings={"activation": "relu", "depth": 50, "gain": RELU_GAIN},
        answer=_he_answer,
        check=_he_check,
    ),
    Exercise(
        name="gain-1.1",
        kind="read-off",
        question=(
            "With `linear` layers, set the gain to 1.1 and the depth to {depth}. Read off the RMS ‖x_L‖/‖x_0‖ and "
            "the theory 1.1^L in the readout: which is larger, and where do the red dots (step 6) put it?"
        ),
        values={"depth": DEPTH},
        figure=GeometricInitFigure,
        settings={"activation": "linear", "gain": 1.1, "depth": DEPTH},
        answer=_gain_answer,
        check=_gain_check,
    ),
    Exercise(
        name="narrow-deep",
        kind="break",
        question=(
            "The article: variance 1/n keeps ‖Wx‖ ≈ ‖x‖, so the length survives the layer. Break it with depth: "
            "at gain 1 and `linear` layers, find a width where {depth} layers lose the signal."
        ),
        values={"depth": DEPTH},
        figure=GeometricInitFigure,
        settings={"n": 8, "gain": 1.0, "activation": "linear", "depth": DEPTH},
        answer=_narrow_answer,
        check=_narrow_check,
    ),
]
