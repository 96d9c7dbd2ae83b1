"""Lesson 18's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import torch

from theory_lib import critic as cr
from theory_lib.figures.critic.kink import CriticKinkFigure, CriticOpeningFigure
from theory_lib.figures.critic.relu2d import CriticReluFigure, fields
from theory_lib.figures.critic.softsign import AT, NORM, CriticSoftsignFigure, linear
from theory_lib.figures.exercises import Exercise


# 1 ------------------------------------------------------------------ the jump at a kink
def _jump_answer(fig):
    j = fig.jumps
    return fig.tr(
        "D/|D′| drops from {a:.4f} to {b:.4f} and the ICCV form from {c:.4f} to {d:.4f}: D is continuous (1 on both "
        "sides) but |D′| jumps from 1 to 3, so D divided by it jumps. Over one grid step the ICCV slope by finite "
        "differences is {fd:.1f}; autograd's never exceeds {au:.3f}. At slope −1 only the direction of D′ changes "
        "and there is no jump."
    ).format(a=j["plain"][0], b=j["plain"][1], c=j["iccv"][0], d=j["iccv"][1], fd=fig.fd.max(), au=fig.auto.max())


def _jump_check(fig):
    j = fig.jumps
    ok = abs(j["plain"][0] - 1) < 1e-6 and abs(j["plain"][1] - 1 / 3) < 1e-6
    return ok and abs(j["iccv"][0] - 0.5) < 1e-6 and abs(j["iccv"][1] - 0.25) < 1e-6 and fig.fd.max() > 10


# 2 ------------------------------------------------------------------ which form is scale invariant
def _wacv_at(scale: float) -> float:
    here = torch.tensor([[AT]], dtype=torch.float64)
    return cr.gradient_normalize(linear(scale), here, form="wacv", eps=1e-3).item()


def _scale_answer(fig):
    n = NORM * 0.01
    return fig.tr(
        "At c = 0.01 (‖∇D‖ = {n:g}, ε = 0.001) the ICCV value at t = 2.4 is still {i:.5f} = 12/17 and its gradient "
        "norm {gi:.5f} = (1 + 2.4)⁻²: ICCV sees only t. WACV reads {w:.6f}, not 2.4: its ε is comparable to ‖∇D‖² "
        "= {n2:g}, so it shrinks the critic. At c = 1 it reads {w1:.6f} and at c = 100 {w100:.6f}."
    ).format(
        n=n,
        n2=n * n,
        i=fig.at["iccv"][0],
        gi=fig.at["iccv"][1],
        w=fig.at["wacv"][0],
        w1=_wacv_at(1.0),
        w100=_wacv_at(100.0),
    )


def _scale_check(fig):
    return abs(fig.at["iccv"][0] - 12 / 17) < 1e-12 and abs(fig.at["wacv"][0] - 1.714286) < 5e-7


# 3 ------------------------------------------------------------------ break the bound with a smooth critic
def _smooth_answer(fig):
    return fig.tr(
        "No. For D = sin(5x) the ICCV form's slope reaches {m:.3f} by autograd: a² = 25 where cos(5x) = 0, where "
        "‖∇D‖ is small and changes fast. The argument ‖∇D̂‖ ≤ 1 assumed ∇D constant inside a region; a tanh or "
        "softplus critic has no such regions."
    ).format(m=fig.auto.max())


def _smooth_check(fig):
    return fig.auto.max() > 20


# 4 ------------------------------------------------------------------ break Su's "equivalent" control
def _control_answer(fig):
    return fig.tr(
        "With biases on, ⟨∇D/‖∇D‖, x⟩ differs from D/‖∇D‖ by up to {u:.3f} on this grid: in a region D = gᵀx + β, "
        "so the control is t − β/‖g‖, shifted by a constant that changes from region to region. Switch the biases "
        "off and the difference drops to {z:.1e}, rounding: a bias-free ReLU net has D(x) = ∇D(x)ᵀx."
    ).format(u=fig.su_gap, z=_bias_free_gap(fig))


def _bias_free_gap(fig) -> float:
    x, d, g = fields(fig.params["width"], fig.params["seed"], False)
    return float((cr.normalize_values(d, g, x, form="direction") - cr.normalize_values(d, g, form="plain")).abs().max())


def _control_check(fig):
    return fig.su_gap > 0.5 and fig.max_auto <= 1 + 1e-12 and fig.max_fd > 1


EXERCISES = [
    Exercise(
        name="kink-jump",
        kind="predict",
        question=(
            "D has slope 1 left of x = 1 and slope 3 right of it. Before looking, predict the values of D/|D′| and of "
            "the ICCV form just left and just right of the kink. Then set the slope to −1: what changes?"
        ),
        figure=CriticOpeningFigure,
        settings={"slope2": 3.0},
        answer=_jump_answer,
        check=_jump_check,
    ),
    Exercise(
        name="scale-invariance",
        kind="read-off",
        question=(
            "Multiply the critic by c = 0.01. Read D̂ at t = 2.4 for ICCV and for WACV (ε = 0.001). Which form does "
            "not notice the scale?"
        ),
        figure=CriticSoftsignFigure,
        settings={"scale": 0.01, "eps": 1e-3},
        answer=_scale_answer,
        check=_scale_check,
    ),
    Exercise(
        name="smooth-critic",
        kind="break",
        question=(
            "Switch the critic to sin(ax) with a = 5: it has no kinks, so no jumps. Is the ICCV form's slope still at "
            "most 1?"
        ),
        figure=CriticKinkFigure,
        settings={"critic": "sin(ax)", "a": 5.0},
        answer=_smooth_answer,
        check=_smooth_check,
    ),
    Exercise(
        name="su-control",
        kind="break",
        question=(
            "Su calls ⟨∇D/‖∇D‖, x⟩ equivalent to D/‖∇D‖ for a piecewise-linear critic. With biases on, how far apart "
            "are they (bottom right)? And with biases off?"
        ),
        figure=CriticReluFigure,
        settings={"bias": "on", "width": 32, "seed": 0, "scale": 1.0},
        answer=_control_answer,
        check=_control_check,
    ),
]
