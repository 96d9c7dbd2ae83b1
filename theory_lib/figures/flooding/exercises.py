"""Lesson 13's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

from theory_lib import flooding as fl
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.flooding.experiment import ExperimentFigure, flood_run
from theory_lib.figures.flooding.two_step import TwoStepFigure, UnequalRatesFigure, two_steps
from theory_lib.figures.flooding.valley import ARTICLE, OpeningFigure, loss_of as valley_loss_of, valley_path


# 1 ------------------------------------------------------------------ the opening picture without a flood level
def _plain_answer(fig):
    flood, _ = valley_path(ARTICLE["b"], ARTICLE["lr"], ARTICLE["v0"], ARTICLE["steps"])
    return fig.tr(
        "Plain descent falls straight into the valley and stays where it lands: v = {v:.3f}, sharpness "
        "1 + v² = {sharp:.3f}, with the loss at {loss:.1e} (the bottom of the panel is 10⁻⁸). With b = {b:g} the "
        "path reaches the level L = b, then zigzags across it and creeps along the valley to v = {v_flood:.4f}, "
        "sharpness {sharp_flood:.4f}: the flattest minimum there is, at the same loss b."
    ).format(
        v=fig.v_plain,
        sharp=fig.sharp_plain,
        loss=fig.loss_plain,
        b=ARTICLE["b"],
        v_flood=float(flood[-1, 1]),
        sharp_flood=float(1 + flood[-1, 1] ** 2),
    )


def _plain_check(fig):
    flood, _ = valley_path(ARTICLE["b"], ARTICLE["lr"], ARTICLE["v0"], ARTICLE["steps"])
    return fig.sharp_plain > 4 and 1 + flood[-1, 1] ** 2 < 1.01 and valley_loss_of(flood)[-1] > 0.05


# 2 ------------------------------------------------------------------ the error's order
def _order_answer(fig):
    eps = fig.params["eps"]
    e_big, m_big = _error(2 * eps, fig.params["order"])
    return fig.tr(
        "At ε = {big:g} the prediction misses by {e_big:.3e}, at ε = {eps:g} by {e_small:.3e}: a factor "
        "{ratio:.2f}, close to 2³ = 8. The move itself shrinks by {move_ratio:.2f} ≈ 2² = 4, so the relative "
        "error halves: the prediction gets the step right to second order and misses at third."
    ).format(
        big=2 * eps,
        e_big=e_big,
        eps=eps,
        e_small=fig.error,
        ratio=e_big / fig.error,
        move_ratio=m_big / fig.move,
    )


def _error(eps, order):
    exact, pred = two_steps(eps, order)
    return float(((exact - pred) ** 2).sum() ** 0.5), float((exact**2).sum() ** 0.5)


def _order_check(fig):
    e_big, m_big = _error(2 * fig.params["eps"], fig.params["order"])
    return 7 < e_big / fig.error < 9 and 3.8 < m_big / fig.move < 4.2


# 3 ------------------------------------------------------------------ the coefficient blows up
def _coef_answer(fig):
    return fig.tr(
        "c = ε₁ε₂ / (2(ε₁ − ε₂)) = {coef:.3f} at ε₂ = {ratio:g} ε₁, against {coef_half:.3f} at ε₂ = ε₁/2; as ε₂ → ε₁ "
        "it grows without bound while the rate ε₁ − ε₂ = {rate:g} shrinks to 0: the pairs hardly descend L and "
        "mostly flatten. The alternating path ends at sharpness {s_alt:.3f}, plain descent at the same rate at "
        "{s_plain:.3f}. The prediction is off by more here (v = {v_pen:.4f} against {v_alt:.4f}): ε₁ε₂ is not small."
    ).format(
        coef=fig.coef,
        ratio=fig.params["ratio"],
        coef_half=fl.equivalent_penalty(fig.params["lr"], fig.params["lr"] / 2)[1],
        rate=fig.rate,
        s_alt=1 + fig.v_alt**2,
        s_plain=1 + fig.v_plain**2,
        v_pen=fig.v_pen,
        v_alt=fig.v_alt,
    )


def _coef_check(fig):
    return fig.coef > 0.9 and fig.v_alt < fig.v_plain and abs(fig.v_pen - fig.v_alt) > 0.01


# 4 ------------------------------------------------------------------ break: mini-batches
def _batch_answer(fig):
    full = flood_run(fig.params["optimizer"], "full", fig.params["b"])
    return fig.tr(
        "With batches of 10 the sign of L − b flipped at {flips:.0%} of the steps after the first dip, against "
        "{full_flips:.0%} with the full batch: the loss each step sees is a different batch's, so descent and ascent "
        "no longer alternate, and the two-step argument does not apply. Flooding still helps here (test loss "
        "{test_flood:.3f} against {test_plain:.3f}), but not for the reason derived: the analysis covers neither "
        "mini-batches nor Adam."
    ).format(
        flips=fig.flip_rate,
        full_flips=full.flip_rate,
        test_flood=fig.test_flood_end,
        test_plain=fig.test_plain_end,
    )


def _batch_check(fig):
    full = flood_run(fig.params["optimizer"], "full", fig.params["b"])
    return fig.flip_rate < 0.8 < full.flip_rate


EXERCISES = [
    Exercise(
        name="plain-descent",
        kind="predict",
        question=(
            "The picture opens at b = 0.1. Before moving b to 0 (plain descent), predict: where does the path stop, "
            "and how sharp is the minimum it finds?"
        ),
        figure=OpeningFigure,
        settings={"b": 0.0},
        answer=_plain_answer,
        check=_plain_check,
    ),
    Exercise(
        name="third-order",
        kind="read-off",
        question="Read the error at ε = 0.1, then halve ε to 0.05. By what factor does the error fall, and the move?",
        figure=TwoStepFigure,
        settings={"eps": 0.05, "order": "descent-first"},
        answer=_order_answer,
        check=_order_check,
    ),
    Exercise(
        name="coefficient-blows-up",
        kind="predict",
        question=(
            "Keep ε₁ = 0.1 and raise ε₂ / ε₁ to 0.95. Predict c, the rate ε₁ − ε₂, and whether the pairs end flatter "
            "than plain descent at that rate."
        ),
        figure=UnequalRatesFigure,
        settings={"lr": 0.1, "ratio": 0.95},
        answer=_coef_answer,
        check=_coef_check,
    ),
    Exercise(
        name="mini-batch",
        kind="break",
        question=(
            "The derivation assumes that descent and ascent alternate, step after step. Break it: train with "
            "batches of 10. How often does the sign of L − b still flip?"
        ),
        figure=ExperimentFigure,
        settings={"optimizer": "SGD", "batch": "10", "b": 0.1},
        answer=_batch_answer,
        check=_batch_check,
    ),
]
