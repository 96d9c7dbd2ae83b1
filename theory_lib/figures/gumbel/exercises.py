"""Lesson 11's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

from theory_lib import gumbel as gb
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.gumbel.bias import SAMPLES as GRADIENTS, BiasVarianceFigure, dsigmoid
from theory_lib.figures.gumbel.estimators import EstimatorFigure
from theory_lib.figures.gumbel.proof import POINTS, ProofFigure
from theory_lib.figures.gumbel.simplex import SAMPLES, P, SimplexFigure


# 1 ------------------------------------------------------------------ the opening picture at a high τ
def _relaxed_answer(fig):
    s = fig.stats
    return fig.tr(
        "Yes. At τ = {tau:g} the argmax frequencies are {f1:.3f}, {f2:.3f}, {f3:.3f} (p = {p1}, {p2}, {p3}; one "
        "standard error of a frequency from {n:,} samples is about {se:.3f}): Gumbel-Max does not care about τ, "
        "since dividing by τ keeps the argmax. The relaxed samples themselves are another matter: their mean is "
        "{m1:.3f}, {m2:.3f}, {m3:.3f}, pulled towards the centre (1/3 each), and E[max y] is only {mx:.3f}."
    ).format(
        tau=fig.params["tau"],
        f1=s["freq"][0],
        f2=s["freq"][1],
        f3=s["freq"][2],
        p1=P[0],
        p2=P[1],
        p3=P[2],
        n=SAMPLES,
        se=math.sqrt(P[0] * (1 - P[0]) / SAMPLES),
        m1=s["mean"][0],
        m2=s["mean"][1],
        m3=s["mean"][2],
        mx=s["max"],
    )


def _relaxed_check(fig):
    s = fig.stats
    close = all(abs(f - p) < 4 * math.sqrt(p * (1 - p) / SAMPLES) for f, p in zip(s["freq"], P, strict=True))
    return close and abs(s["mean"][0] - P[0]) > 0.1 and s["max"] < 0.5


# 2 ------------------------------------------------------------------ break "reparameterisation has less variance"
def _reparam_answer(fig):
    mu, sigma = fig.params["mu"], fig.params["sigma"]
    one = gb.reparam_variance("sin", mu, sigma, omega=1.0), gb.score_function_variance("sin", mu, sigma, omega=1.0)
    return fig.tr(
        "The score function wins: Var SF = {sf:.4g} against Var reparameterisation = {rp:.4g}, {ratio:.3g} times "
        "more. f′(z) = {w:g} cos {w:g}z has amplitude {w:g} while f itself stays in [−1, 1]: Su's reason (2), that "
        "f is O(z) while ∂f/∂g is O(1), runs backwards for a fast-oscillating f. At ω = 1 the reparameterisation "
        "wins again: {rp1:.4g} against {sf1:.4g}."
    ).format(sf=fig.sf, rp=fig.rp, ratio=fig.rp / fig.sf, w=fig.params["omega"], rp1=one[0], sf1=one[1])


def _reparam_check(fig):
    return fig.rp > fig.sf and abs(fig.rp / fig.sf - 25) < 1e-6


# 3 ------------------------------------------------------------------ read off the proof's area
def _proof_answer(fig):
    ev = fig.ev
    return fig.tr(
        "The area is {area:.6f} = p₁, and {picked:.3f} of the {n:,} dots are blue (standard error {se:.3f}). "
        "For three classes: P(A₂) = {a2:.4f} and P(A₃) = {a3:.4f}, whose product {prod:.4f} is not "
        "P(A₂ and A₃) = {joint:.4f}. The two inequalities share ε₁, so they are not independent; they are "
        "independent once ε₁ is fixed, which is the step Su's proof actually uses (integrate over ε₁ last)."
    ).format(
        area=fig.area,
        picked=fig.picked,
        n=POINTS,
        se=math.sqrt(fig.params["p1"] * (1 - fig.params["p1"]) / POINTS),
        a2=ev["a2"],
        a3=ev["a3"],
        prod=ev["a2"] * ev["a3"],
        joint=ev["joint"],
    )


def _proof_check(fig):
    ev, p1 = fig.ev, fig.params["p1"]
    return (
        abs(fig.area - p1) < 1e-9
        and abs(fig.picked - p1) < 4 * math.sqrt(p1 * (1 - p1) / POINTS)
        and abs(ev["joint"] - p1) < 1e-9
        and abs(ev["a2"] * ev["a3"] - ev["joint"]) > 0.05
    )


# 4 ------------------------------------------------------------------ what vanishes as τ falls
def _vanish_answer(fig):
    tau, delta = fig.params["tau"], fig.params["delta"]
    s = dsigmoid(delta)
    return fig.tr(
        "The mean gradient does not vanish: E[g] = {m:.6f} against the true σ′(Δ) = {s:.6f} (bias {bias:.1e}). "
        "What vanishes is almost every single sample: {small:.1%} of the {n:,} per-sample gradients are below "
        "10⁻³, and the rare others are huge, so Var[g] = {v:.3f} and τ·Var[g] = {tv:.4f}, close to the limit "
        "σ′(Δ)/6 = {lim:.4f}: the variance grows like 1/τ. Su's '梯度消失' is the typical sample, not the mean."
    ).format(m=fig.m, s=s, bias=fig.m - s, small=fig.small, n=GRADIENTS, v=fig.v, tv=tau * fig.v, lim=s / 6)


def _vanish_check(fig):
    tau, s = fig.params["tau"], dsigmoid(fig.params["delta"])
    return abs(fig.m - s) < 1e-4 and fig.small > 0.9 and abs(tau * fig.v - s / 6) < 0.05 * s / 6


EXERCISES = [
    Exercise(
        name="relaxed-argmax",
        kind="predict",
        question=(
            "At τ = {tau} the relaxed samples crowd the centre of the triangle. Before moving τ there, predict: "
            "do their argmax frequencies still follow p = (0.5, 0.3, 0.2)? And their mean?"
        ),
        values={"tau": 5},
        figure=SimplexFigure,
        settings={"tau": 5.0},
        answer=_relaxed_answer,
        check=_relaxed_check,
    ),
    Exercise(
        name="reparam-loses",
        kind="break",
        question=(
            "Su gives two reasons why the reparameterised gradient has the smaller variance, and warns that one can "
            "build a counterexample. Build it: choose f = sin(ωz) with ω = {omega}, μ = 0, σ = 1. Which estimator "
            "has the smaller variance, and by how much?"
        ),
        values={"omega": 5},
        figure=EstimatorFigure,
        settings={"f": "sin", "omega": 5.0, "mu": 0.0, "sigma": 1.0},
        answer=_reparam_answer,
        check=_reparam_check,
    ),
    Exercise(
        name="proof-area",
        kind="read-off",
        question=(
            "Set p₁ = {p1}. Read the area under the curve and the share of blue dots. Then read the three-class "
            "line: are the proof's inequalities ε₂ < ε₁^(p₂/p₁) and ε₃ < ε₁^(p₃/p₁) independent, as the article says?"
        ),
        values={"p1": 0.3},
        figure=ProofFigure,
        settings={"p1": 0.3},
        answer=_proof_answer,
        check=_proof_check,
    ),
    Exercise(
        name="vanishing-gradient",
        kind="read-off",
        question=(
            "Su: the smaller τ, the worse the vanishing gradient (梯度消失). Set Δ = 0 and τ = {tau}. Does the mean "
            "gradient vanish? Read the share of per-sample gradients below 10⁻³, and τ·Var[g]."
        ),
        values={"tau": 0.01},
        figure=BiasVarianceFigure,
        settings={"delta": 0.0, "tau": 0.01},
        answer=_vanish_answer,
        check=_vanish_check,
    ),
]
