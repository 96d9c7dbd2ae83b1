"""Lesson 04's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings (``fig.update``, synchronous even
for ``ToyStackFigure``, which trains in a worker only when driven from its widget) and runs the check;
the lesson shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import math

import numpy as np

from theory_lib import bert_init as bi
from theory_lib.figures.bert_init.mlm import GAIN_1NAT, TAU_1, VOCAB, MlmLogitsFigure
from theory_lib.figures.bert_init.paths import DEPTH, SIGMA_BERT, ResidualPathsFigure
from theory_lib.figures.bert_init.toy import WIDTH, ToyStackFigure, toy_stds
from theory_lib.figures.bert_init.truncation import TruncationFigure
from theory_lib.figures.exercises import Exercise

BERT_BASE_RATIO = bi.truncated_normal_std(0.02) * math.sqrt(768)  # BERT's real std / Xavier's at d = 768


# 1 ------------------------------------------------------------------ the opening picture at BERT's sigma
def _weights(sigma):
    return bi.post_norm_weights(DEPTH, sigma)[0].item(), bi.pre_norm_weights(DEPTH, sigma)[0].item()


def _bert_sigma_answer(fig):
    (post1, pre1), (post, pre) = _weights(1.0), (fig.weights["post"][0][0], fig.weights["pre"][0][0])
    return (
        f"Post Norm's. At σ = 1 x₀ keeps {post1:.3f} after {DEPTH} Post Norm blocks and {pre1:.3f} in Pre Norm; at "
        f"σ = {fig.params['sigma']} it keeps {post:.3f} and {pre:.3f}: ×{post / post1:.1f} in Post Norm, "
        f"×{pre / pre1:.2f} in Pre Norm. Each Post Norm LN divides by √(1+σ²), so a smaller σ helps once per "
        f"block; Pre Norm divides once, at the end. This is the article's case for a small initial std."
    )


def _bert_sigma_check(fig):
    (post1, pre1), (post, pre) = _weights(1.0), _weights(fig.params["sigma"])
    drawn = fig.weights["post"][0][0], fig.weights["pre"][0][0]
    return np.allclose(drawn, (post, pre), rtol=1e-12) and post / post1 > pre / pre1 > 1


# 2 ------------------------------------------------------------------ the toy stack's width against Xavier
def _width_answer(fig):
    return (
        f"{fig.ratio:.3f}: at d = {fig.params['d']} Xavier's std is 1/√{WIDTH} = {1 / math.sqrt(WIDTH):.4f}, and "
        f"BERT's real {bi.truncated_normal_std(0.02):.4f} is only {fig.ratio:.3f} of it, against "
        f"{BERT_BASE_RATIO:.3f} at BERT-base's d = 768. So the toy stack of step 5 runs its 'std 0.02' far "
        f"further below Xavier than BERT does: its branches start almost switched off (σ² = "
        f"{bi.branch_variance(WIDTH, 0.02):.2g}). The nominal std with BERT-base's ratio at width {WIDTH} "
        f"would be {BERT_BASE_RATIO / math.sqrt(WIDTH) / bi.truncation_factor(2.0):.3f}."
    )


def _width_check(fig):
    return (
        fig.params["d"] == WIDTH
        and math.isclose(fig.ratio, bi.truncated_normal_std(0.02) * math.sqrt(WIDTH), rel_tol=1e-12)
        and f"ratio actual/Xavier = <b>{fig.ratio:.3f}</b>" in fig.readout
        and fig.ratio < BERT_BASE_RATIO / 4
    )


# 3 ------------------------------------------------------------------ break: the path weight is not the gradient
def _path_ratio(std, depth):
    """The residual-path weight's prediction for ‖g_0‖/‖g_{l-1}‖: (1+σ²)^{-(l-1)/2}."""
    return (1 + bi.branch_variance(WIDTH, std)) ** (-(depth - 1) / 2)


def _gradient_answer(fig):
    depth = fig.params["depth"]
    rows = [
        f"{name}: measured {fig.grads[i, 0] / fig.grads[i, -1]:.3g}, path weight {_path_ratio(std, depth):.3g}"
        for i, (name, std) in enumerate(zip(ToyStackFigure.NAMES, toy_stds(), strict=True))
    ]
    return (
        f"The measured ratio ‖g₀‖/‖g_{depth - 1}‖ falls as the std grows, as the article says ("
        + "; ".join(rows)
        + "). But for std 1 the path weight predicts a ratio many orders of magnitude smaller than the one "
        "measured: the gradient does not travel only along the identity path, it also flows back through the "
        "branches, whose Jacobians are large exactly when σ is. The fading of x₀ in the forward pass does not "
        "set the rate at which the gradient vanishes."
    )


def _gradient_check(fig):
    ratios = fig.grads[:, 0] / fig.grads[:, -1]
    std_1 = toy_stds()[-1]
    return (
        fig.params["norm"] == "post"
        and bool(np.all(np.diff(ratios) < 0))  # larger std, smaller first-block gradient: the direction holds
        and ratios[-1] > 1e6 * _path_ratio(std_1, fig.params["depth"])  # the size does not
    )


# 4 ------------------------------------------------------------------ warmup at a high learning rate
def _collapsed(fig):
    """(no warmup, warmup) collapsed flags for each init, from the figure's own losses."""
    return [[ToyStackFigure.is_collapsed(c) for c in fig.losses[i]] for i in range(len(ToyStackFigure.NAMES))]


def _warmup_answer(fig):
    flags = _collapsed(fig)
    names = ToyStackFigure.NAMES
    cold = [n for n, f in zip(names, flags, strict=True) if f[0]]
    saved = [n for n, f in zip(names, flags, strict=True) if f[0] and not f[1]]
    finals = "; ".join(
        f"{n} {np.mean(fig.losses[i, 0, -10:]):.2g} / {np.mean(fig.losses[i, 1, -10:]):.2g}"
        for i, n in enumerate(names)
    )
    return (
        f"Without warmup {len(cold)} of 3 collapse onto the mean's loss ({', '.join(cold) or 'none'}): Adam's first "
        f"full-size steps throw them there and they never leave. A {fig.params['warmup']}-step warmup saves "
        f"{len(saved)} of them ({', '.join(saved) or 'none'}). Final losses, without / with warmup: {finals}."
    )


def _warmup_check(fig):
    flags = _collapsed(fig)
    return all(cold for cold, _ in flags) and not flags[0][1]  # all collapse cold; warmup saves std 0.02 at least


# 5 ------------------------------------------------------------------ the third question: the MLM softmax
def _mlm_answer(fig):
    gap_1 = bi.softmax_uniformity_gap(TAU_1)
    return (
        f"γ = √2/τ₁ = √2/{TAU_1:.3f} = {math.sqrt(2) / TAU_1:.2f}, where the formula's gap γ²τ₁²/2 is 1 nat (the "
        f"slider's value {fig.params['gain']} gives τ = {fig.tau:.3f} and a sampled gap of {fig.gap_sampled:.3f}). "
        f"At init the gap is {gap_1:.3f} nats out of log V = {math.log(VOCAB):.2f}. A model that predicts tokens "
        f"must end up many nats from uniform, so the logits must grow: without the extra layer, through the "
        f"encoder's last LayerNorm gain (×{fig.params['gain']} just for this first nat), whose output is also the "
        f"feature every fine-tuning task reads. BERT's Dense + LayerNorm gives the MLM head a gain of its own."
    )


def _mlm_check(fig):
    return (
        abs(fig.gap_sampled - 1.0) < 0.05
        and abs(fig.gap_formula - 1.0) < 0.05
        and bi.softmax_uniformity_gap(TAU_1) < 0.15
        and fig.params["gain"] > 2.5
    )


EXERCISES = [
    Exercise(
        name="paths-bert-sigma",
        kind="predict",
        question=(
            f"The opening picture opens at σ = 1, the article's case (a Xavier branch). Before moving σ to "
            f"{SIGMA_BERT} (a 768 × 768 branch at BERT's real std), predict: in which row does the path of x₀ "
            f"thicken more, and by about what factor does its weight in Post Norm grow?"
        ),
        figure=ResidualPathsFigure,
        settings={"sigma": SIGMA_BERT},
        answer=_bert_sigma_answer,
        check=_bert_sigma_check,
    ),
    Exercise(
        name="toy-width",
        kind="read-off",
        question=(
            f"Step 5's toy stack is {WIDTH} wide. Set d = {WIDTH}: what fraction of Xavier's std is BERT's 0.02 "
            f"there, against {BERT_BASE_RATIO:.3f} at d = 768?"
        ),
        figure=TruncationFigure,
        settings={"d": WIDTH},
        answer=_width_answer,
        check=_width_check,
    ),
    Exercise(
        name="gradient-not-path",
        kind="break",
        question=(
            "The article: in Post Norm the residual path to the input fades like (1+σ²)^(-l/2), so the gradient near "
            "the input vanishes. Break the quantitative version: with Post Norm and 12 blocks, compare the measured "
            "‖g₀‖/‖g₁₁‖ for std 1 (readout) with the dotted path-weight line."
        ),
        figure=ToyStackFigure,
        settings={"norm": "post", "depth": 12},
        answer=_gradient_answer,
        check=_gradient_check,
    ),
    Exercise(
        name="warmup-high-lr",
        kind="predict",
        question=(
            "Post Norm at the highest peak learning rate, 3·10⁻², 40-step warmup. Predict which inits collapse onto "
            "the mean's loss without warmup, and which warmup saves."
        ),
        figure=ToyStackFigure,
        settings={"norm": "post", "lr": 3e-2, "warmup": 40},
        answer=_warmup_answer,
        check=_warmup_check,
    ),
    Exercise(
        name="mlm-one-nat",
        kind="predict",
        question=(
            f"At γ = 1 the MLM softmax is only {bi.softmax_uniformity_gap(TAU_1):.2f} nats from uniform, out of "
            f"log V = {math.log(VOCAB):.2f}. Predict the gain γ at which it is 1 nat from uniform, then move there."
        ),
        figure=MlmLogitsFigure,
        settings={"gain": GAIN_1NAT},
        answer=_mlm_answer,
        check=_mlm_check,
    ),
]
