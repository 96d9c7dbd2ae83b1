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
    return fig.tr(
        "Post Norm's. At σ = 1 x₀ keeps {post1:.3f} after {depth} Post Norm blocks and {pre1:.3f} in Pre Norm; at "
        "σ = {sigma} it keeps {post:.3f} and {pre:.3f}: ×{gain_post:.1f} in Post Norm, ×{gain_pre:.2f} in Pre "
        "Norm. Each Post Norm LN divides by √(1+σ²), so a smaller σ helps once per block; Pre Norm divides once, "
        "at the end. This is the article's case for a small initial std."
    ).format(
        post1=post1,
        depth=DEPTH,
        pre1=pre1,
        sigma=fig.params["sigma"],
        post=post,
        pre=pre,
        gain_post=post / post1,
        gain_pre=pre / pre1,
    )


def _bert_sigma_check(fig):
    (post1, pre1), (post, pre) = _weights(1.0), _weights(fig.params["sigma"])
    drawn = fig.weights["post"][0][0], fig.weights["pre"][0][0]
    return np.allclose(drawn, (post, pre), rtol=1e-12) and post / post1 > pre / pre1 > 1


# 2 ------------------------------------------------------------------ the toy stack's width against Xavier
def _width_answer(fig):
    return fig.tr(
        "{ratio:.3f}: at d = {d} Xavier's std is 1/√{width} = {xavier:.4f}, and BERT's real {real:.4f} is only "
        "{ratio:.3f} of it, against {base:.3f} at BERT-base's d = 768. So the toy stack of step 5 runs its "
        "'std 0.02' far further below Xavier than BERT does: its branches start almost switched off (σ² = "
        "{s2:.2g}). The nominal std with BERT-base's ratio at width {width} would be {nominal:.3f}."
    ).format(
        ratio=fig.ratio,
        d=fig.params["d"],
        width=WIDTH,
        xavier=1 / math.sqrt(WIDTH),
        real=bi.truncated_normal_std(0.02),
        base=BERT_BASE_RATIO,
        s2=bi.branch_variance(WIDTH, 0.02),
        nominal=BERT_BASE_RATIO / math.sqrt(WIDTH) / bi.truncation_factor(2.0),
    )


def _width_check(fig):
    return (
        fig.params["d"] == WIDTH
        and math.isclose(fig.ratio, bi.truncated_normal_std(0.02) * math.sqrt(WIDTH), rel_tol=1e-12)
        and f"<b>{fig.ratio:.3f}</b>" in fig.readout  # the readout states it (in either language)
        and fig.ratio < BERT_BASE_RATIO / 4
    )


# 3 ------------------------------------------------------------------ break: the path weight is not the gradient
def _path_ratio(std, depth):
    """The residual-path weight's prediction for ‖g_0‖/‖g_{l-1}‖: (1+σ²)^{-(l-1)/2}."""
    return (1 + bi.branch_variance(WIDTH, std)) ** (-(depth - 1) / 2)


def _gradient_answer(fig):
    depth = fig.params["depth"]
    rows = [
        fig.tr("{name}: measured {measured:.3g}, path weight {path:.3g}").format(
            name=name, measured=fig.grads[i, 0] / fig.grads[i, -1], path=_path_ratio(std, depth)
        )
        for i, (name, std) in enumerate(zip(fig.names(), toy_stds(), strict=True))
    ]
    return fig.tr(
        "The measured ratio ‖g₀‖/‖g_{last}‖ falls as the std grows, as the article says ({rows}). But for std 1 "
        "the path weight predicts a ratio many orders of magnitude smaller than the one measured: the gradient "
        "does not travel only along the identity path, it also flows back through the branches, whose Jacobians "
        "are large exactly when σ is. The fading of x₀ in the forward pass does not set the rate at which the "
        "gradient vanishes."
    ).format(last=depth - 1, rows=fig.tr("; ").join(rows))


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
    names = fig.names()
    cold = [n for n, f in zip(names, flags, strict=True) if f[0]]
    saved = [n for n, f in zip(names, flags, strict=True) if f[0] and not f[1]]
    finals = fig.tr("; ").join(
        f"{n} {np.mean(fig.losses[i, 0, -10:]):.2g} / {np.mean(fig.losses[i, 1, -10:]):.2g}"
        for i, n in enumerate(names)
    )

    def listed(runs):
        return fig.tr(", ").join(runs) or fig.tr("none")

    return fig.tr(
        "Without warmup {cold} of 3 collapse onto the mean's loss ({cold_names}): Adam's first full-size steps "
        "throw them there and they never leave. A {warmup}-step warmup saves {saved} of them ({saved_names}). "
        "Final losses, without / with warmup: {finals}."
    ).format(
        cold=len(cold),
        cold_names=listed(cold),
        warmup=fig.params["warmup"],
        saved=len(saved),
        saved_names=listed(saved),
        finals=finals,
    )


def _warmup_check(fig):
    flags = _collapsed(fig)
    return all(cold for cold, _ in flags) and not flags[0][1]  # all collapse cold; warmup saves std 0.02 at least


# 5 ------------------------------------------------------------------ the third question: the MLM softmax
def _mlm_answer(fig):
    return fig.tr(
        "γ = √2/τ₁ = √2/{tau1:.3f} = {gamma:.2f}, where the formula's gap γ²τ₁²/2 is 1 nat (the slider's value "
        "{gain} gives τ = {tau:.3f} and a sampled gap of {gap:.3f}). At init the gap is {gap1:.3f} nats out of "
        "log V = {log_v:.2f}. A model that predicts tokens must end up many nats from uniform, so the logits must "
        "grow: without the extra layer, through the encoder's last LayerNorm gain (×{gain} just for this first "
        "nat), whose output is also the feature every fine-tuning task reads. BERT's Dense + LayerNorm gives the "
        "MLM head a gain of its own."
    ).format(
        tau1=TAU_1,
        gamma=math.sqrt(2) / TAU_1,
        gain=fig.params["gain"],
        tau=fig.tau,
        gap=fig.gap_sampled,
        gap1=bi.softmax_uniformity_gap(TAU_1),
        log_v=math.log(VOCAB),
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
            "The opening picture opens at σ = 1, the article's case (a Xavier branch). Before moving σ to "
            "{sigma} (a 768 × 768 branch at BERT's real std), predict: in which row does the path of x₀ "
            "thicken more, and by about what factor does its weight in Post Norm grow?"
        ),
        values={"sigma": SIGMA_BERT},
        figure=ResidualPathsFigure,
        settings={"sigma": SIGMA_BERT},
        answer=_bert_sigma_answer,
        check=_bert_sigma_check,
    ),
    Exercise(
        name="toy-width",
        kind="read-off",
        question=(
            "Step 5's toy stack is {width} wide. Set d = {width}: what fraction of Xavier's std is BERT's 0.02 "
            "there, against {base:.3f} at d = 768?"
        ),
        values={"width": WIDTH, "base": BERT_BASE_RATIO},
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
            "At γ = 1 the MLM softmax is only {gap:.2f} nats from uniform, out of log V = {log_v:.2f}. Predict the "
            "gain γ at which it is 1 nat from uniform, then move there."
        ),
        values={"gap": bi.softmax_uniformity_gap(TAU_1), "log_v": math.log(VOCAB)},
        figure=MlmLogitsFigure,
        settings={"gain": GAIN_1NAT},
        answer=_mlm_answer,
        check=_mlm_check,
    ),
]
