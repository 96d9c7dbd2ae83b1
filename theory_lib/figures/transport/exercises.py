"""Lesson 16's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

import numpy as np

from theory_lib.figures.exercises import Exercise
from theory_lib.figures.transport.cdf import CdfFigure
from theory_lib.figures.transport.dirt import PushDirtFigure, numbers
from theory_lib.figures.transport.norm import NormFigure, wrd_at


# 1 ------------------------------------------------------------------ predict: all the mass across the line
def _across_answer(fig):
    return fig.tr(
        "The LP value is {lp:.6f} and the area between the CDFs is {area:.6f}: every unit of mass travels from "
        "position 0 to position 2, a distance of 2, and the CDFs differ by 1 over both unit gaps. Nothing else is "
        "possible, so the plan is the single cell γ₀₂ = {g:.3f}."
    ).format(lp=fig.lp, area=fig.area, g=fig.p[0])


def _across_check(fig):
    return abs(fig.lp - 2.0) < 1e-9 and abs(fig.area - 2.0) < 1e-12


# 2 ------------------------------------------------------------------ read off: the article's RMS code
def _rms_answer(fig):
    phi, s = fig.params["phi"], fig.params["norm"]
    euclid = numbers(phi, s, "euclidean")
    return fig.tr(
        "The plan is the same; only the value shrinks: WMD with the article's code is {rms:.6f}, the formula's "
        "Euclidean WMD is {wmd:.6f}, ratio {ratio:.6f} = 1/√2 (d = 2). The LP is linear in the cost, so dividing "
        "every d_ij by √d divides the optimum by √d and keeps the argmin: rankings survive, the number is not the "
        "formula's."
    ).format(rms=fig.r["wmd"], wmd=euclid["wmd"], ratio=fig.r["wmd"] / euclid["wmd"])


def _rms_check(fig):
    euclid = numbers(fig.params["phi"], fig.params["norm"], "euclidean")
    return abs(fig.r["wmd"] / euclid["wmd"] - 1 / math.sqrt(2)) < 1e-9 and np.allclose(fig.r["plan"], euclid["plan"])


# 3 ------------------------------------------------------------------ break: "WRD only sees directions"
def _norm_answer(fig):
    return fig.tr(
        "It changes: WRD = {w:.4f} at s = {s:g} against {w1:.4f} at s = 1, with every cosine cost the same. The norm "
        "is the mass: word x₁ now carries {m:.3f} of it, so the plan must move more of the dirt out of x₁. Scaling "
        "the whole sentence would change nothing (every mass keeps its share)."
    ).format(w=fig.wrd, s=fig.params["s"], w1=wrd_at(1.0)[0], m=fig.mass)


def _norm_check(fig):
    return abs(fig.wrd - wrd_at(1.0)[0]) > 0.01


EXERCISES = [
    Exercise(
        name="mass-across",
        kind="predict",
        question=(
            "Put all of p at position 0 and all of q at position {end} (p = (1, 0, 0), q = (0, 0, 1)). Before you "
            "move the sliders, predict the LP value and the shaded area."
        ),
        values={"end": 2},
        figure=CdfFigure,
        settings={"p1": 1.0, "p2": 0.0, "p3": 0.0, "q1": 0.0, "q2": 0.0, "q3": 1.0},
        answer=_across_answer,
        check=_across_check,
    ),
    Exercise(
        name="rms-code",
        kind="read-off",
        question=(
            "The article's WMD code takes the mean, not the sum, of the squared differences. Set the cost to 'rms' "
            "at φ = {phi}°. Read the plan and WMD: what changed against 'euclidean'?"
        ),
        values={"phi": 90},
        figure=PushDirtFigure,
        settings={"phi": 90.0, "norm": 1.0, "cost": "rms"},
        answer=_rms_answer,
        check=_rms_check,
    ),
    Exercise(
        name="norm-is-mass",
        kind="break",
        question=(
            "Claim: WRD uses the cosine, so it only sees directions, and scaling one word cannot change it. Break the "
            "claim: scale word x₁ by s = {s}."
        ),
        values={"s": 5},
        figure=NormFigure,
        settings={"s": 5.0},
        answer=_norm_answer,
        check=_norm_check,
    ),
]
