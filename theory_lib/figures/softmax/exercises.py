"""Lesson 01's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import numpy as np

from theory_lib import softmax as sm
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.softmax.iterates import RepeatedSoftmaxFigure, _fate
from theory_lib.figures.softmax.simplex import N, SimplexFigure
from theory_lib.figures.softmax.steps import ContractionFigure

TAU_STAR_3 = sm.bistability_temperature(N)


# 1 ------------------------------------------------------------------ the opening picture, above the window
def _above_window_answer(fig):
    return fig.tr(
        "The orange region is gone. At τ = {tau} > τ*(3) = {tau_star:.4f} no one-hot-like fixed point exists "
        "(`fixed_point_gaps` finds {gaps}), so {share:.0%} of the starts, and every drawn "
        "trajectory, end at the centre. The saddles and the orange attractors merged and vanished as τ crossed τ*."
    ).format(tau=fig.params["temperature"], tau_star=TAU_STAR_3, gaps=len(fig.gaps), share=fig.uniform_share)


def _above_window_check(fig):
    ends = fig.paths.get_segments()
    centre = np.array([0.5, np.sqrt(3) / 6])
    return (
        fig.params["temperature"] > TAU_STAR_3
        and fig.gaps == []
        and fig.uniform_share == 1.0
        and all(np.abs(seg[-1] - centre).max() < 1e-2 for seg in ends)
    )


# 2 ------------------------------------------------------------------ step 2's bound at n = 2
def _two_entries_answer(fig):
    a, a_next = fig.points.get_data()
    return fig.tr(
        "Above. For n = 2 the bound is sinh(a) > a, so its worst factor 2 sinh(1)/n = {factor:.4f} exceeds 1 "
        "and it promises nothing. Softmax still contracts: the largest measured ratio a_(k+1)/a_k is "
        "{ratio:.4f}, because the exact map of step 3, tanh(a/2) < a/2, halves the spread."
    ).format(factor=fig.factor, ratio=np.max(a_next / a))


def _two_entries_check(fig):
    grid, bound = fig.bound.get_data()
    a, a_next = fig.points.get_data()
    return (
        fig.factor > 1
        and bool(np.all(bound[grid > 0] > grid[grid > 0]))
        and bool(np.all(a_next < a))
        and bool(np.allclose(a_next, sm.two_class_map(a), atol=1e-12))
    )


# 3 ------------------------------------------------------------------ read off where n = 8 first gets stuck
def _grid_above(tau):
    grid = RepeatedSoftmaxFigure.controls["temperature"].grid()
    return [t for t in grid if t > tau]


def _first_stuck_answer(fig):
    tau, n = fig.params["temperature"], fig.start.numel()
    up = _grid_above(tau)[0]
    steps = _fate(tuple(fig.start.tolist()), up)["steps"]
    return fig.tr(
        "At τ = {tau}: the readout turns to *never uniform*; one slider step up, at τ = {up}, it still reaches "
        "spread < 10⁻³ after {steps} steps. So yes, it gets stuck above 1/8 = {rate}: τ = {tau} lies in the "
        "bistable window (1/8, τ*(8) = {tau_star:.4f}], where the start decides. Other "
        "seeds give other starts, and some of them get stuck only at a lower τ."
    ).format(tau=tau, up=up, steps=steps, rate=1 / n, tau_star=sm.bistability_temperature(n))


def _first_stuck_check(fig):
    tau, n, x = fig.params["temperature"], fig.start.numel(), tuple(fig.start.tolist())
    higher = [t for t in _grid_above(tau) if t <= 1.0]
    return (
        not fig.fate["uniform"]
        and fig.tr("never uniform") in fig.readout
        and all(_fate(x, t)["uniform"] for t in higher)
        and 1 / n < tau <= sm.bistability_temperature(n)
    )


# 4 ------------------------------------------------------------------ break the article's claim
def _break_answer(fig):
    tau, n = fig.params["temperature"], fig.start.numel()
    point = np.round(fig.fate["point"], 4).tolist()
    tau_max = max(sm.bistability_temperature(k) for k in range(2, 65))
    return fig.tr(
        "At τ = {tau}, above 1/n = {rate}, [1, 2, 3, 4] stops at the fixed point {point}, never uniform: "
        "τ ≤ τ*(4) = {tau_star:.4f}, the bistable window, and this start lies in the "
        "one-hot-like point's basin. At the article's τ = 1 you cannot break it: τ*(n) ≤ 1/2 for every n (the "
        "largest for n ≤ 64 is {tau_max:.4f}), so the uniform point is the only fixed point."
    ).format(tau=tau, rate=1 / n, point=point, tau_star=sm.bistability_temperature(n), tau_max=tau_max)


def _break_check(fig):
    tau, n = fig.params["temperature"], fig.start.numel()
    return (
        fig.fate["stalled"]
        and 1 / n < tau <= sm.bistability_temperature(n)
        and _fate(tuple(fig.start.tolist()), 1.0)["uniform"]
    )


# 5 ------------------------------------------------------------------ a tie is never broken
def _tie_answer(fig):
    point = fig.fate["point"]
    return fig.tr(
        "Softmax treats equal entries equally, so p_3 = p_4 (and p_1 = p_2) at every step: the tie never breaks. "
        "The iteration ends at a two-level point with m = 2 high entries, {point}; such a "
        "point is fixed for τ ≤ τ*(4, m = 2) = {tau_star:.4f}, and τ = {tau} is below it."
    ).format(
        point=np.round(point, 4).tolist(), tau_star=sm.bistability_temperature(4, 2), tau=fig.params["temperature"]
    )


def _tie_check(fig):
    point = fig.fate["point"]
    high = point > 1 / point.size
    return fig.fate["stalled"] and high.sum() == 2 and point[2] == point[3] and high[2] and high[3]


EXERCISES = [
    Exercise(
        name="basins-above-window",
        kind="predict",
        question=(
            "In the opening picture both colours share the triangle. Before moving τ above τ*(3) = "
            "{tau_star:.4f} (to 0.4), predict what becomes of the orange region and of the orange trajectories."
        ),
        values={"tau_star": TAU_STAR_3},
        figure=SimplexFigure,
        settings={"temperature": 0.4},
        answer=_above_window_answer,
        check=_above_window_check,
    ),
    Exercise(
        name="bound-at-two",
        kind="predict",
        question=(
            "Step 2's bound contracts only where 2 sinh(1)/n < 1. Before setting n = 2, predict: does the red curve "
            "lie above or below the diagonal, and does softmax itself still shrink the spread?"
        ),
        figure=ContractionFigure,
        settings={"n": 2},
        answer=_two_entries_answer,
        check=_two_entries_check,
    ),
    Exercise(
        name="first-stuck-n8",
        kind="read-off",
        question=(
            "Choose `random` with n = 8 and seed 0, and move τ down from 1 one slider step at a time. At which τ "
            "does the readout first say *never uniform*? Is that above 1/8, and where is it against τ*(8)?"
        ),
        figure=RepeatedSoftmaxFigure,
        settings={"preset": "random", "n": 8, "seed": 0, "temperature": 0.2},
        answer=_first_stuck_answer,
        check=_first_stuck_check,
    ),
    Exercise(
        name="break-the-claim",
        kind="break",
        question=(
            "The article: every start becomes uniform. Try to break it at τ = 1 with any start. Then break it with "
            "a temperature *above* 1/n, where step 4 says the uniform point attracts: start from [1, 2, 3, 4]."
        ),
        figure=RepeatedSoftmaxFigure,
        settings={"preset": "[1, 2, 3, 4]", "temperature": 0.3},
        answer=_break_answer,
        check=_break_check,
    ),
    Exercise(
        name="tie-at-two",
        kind="read-off",
        question=(
            "Type the custom vector `0, 0, 1, 1` and set τ = 0.2. The iteration stops with *two* high entries, "
            "not one: why?"
        ),
        figure=RepeatedSoftmaxFigure,
        settings={"preset": "custom", "vector": "0, 0, 1, 1", "temperature": 0.2},
        answer=_tie_answer,
        check=_tie_check,
    ),
]
