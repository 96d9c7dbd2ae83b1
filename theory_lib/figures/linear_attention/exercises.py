"""Lesson 09's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

import numpy as np

from theory_lib.figures.exercises import Exercise
from theory_lib.figures.linear_attention.cost import CostFigure
from theory_lib.figures.linear_attention.gallery import AttentionMapFigure, D as DG, gallery_data
from theory_lib.figures.linear_attention.opening import D, ProductOrderFigure
from theory_lib.figures.linear_attention.rnn import RnnStepperFigure, rnn_data


# 1 ------------------------------------------------------------------ the opening picture: which step dominates?
def _order_answer(fig):
    m = fig.madds
    return fig.tr(
        "{ratio:.3g} times fewer: 2n²d = {soft:,.0f} against 2nd² = {lin:,.0f}, the ratio n/d = {n}/{d}. And neither "
        "step of Q(KᵀV) dominates: Kᵀ V costs n·d·d = {step:,.0f} multiply-adds and Q (Kᵀ V) exactly as many, "
        "so the article's 'the step multiplying by Q dominates' does not hold."
    ).format(ratio=fig.ratio, soft=m[:2].sum(), lin=m[2:].sum(), n=fig.params["n"], d=D, step=m[2])


def _order_check(fig):
    return fig.ratio == fig.params["n"] / D and fig.madds[2] == fig.madds[3]


# 2 ------------------------------------------------------------------ read off the memory crossover
def _memory_answer(fig):
    n, d = fig.params["n"], fig.params["d"]
    return fig.tr(
        "At n = d² = {n:,}: the cumsum tensor holds n·d² = {cum:,} numbers, exactly the n² = {nn:,} of the softmax "
        "weight matrix (ratio {mem:.3g}). Below that length (n = 512: ratio {low:.3g}) the cumsum form stores more "
        "than softmax attention, which is why Su says the RNN form, with its d² = {dd:,} numbers, "
        "is the one people use."
    ).format(
        n=n,
        cum=fig.here["cumsum_memory"],
        nn=fig.here["softmax_memory"],
        mem=fig.memory_ratio,
        low=d * d / 512,
        dd=fig.here["linear_memory"],
    )


def _memory_check(fig):
    return fig.params["n"] == fig.params["d"] ** 2 and fig.memory_ratio == 1


# 3 ------------------------------------------------------------------ break: 1 + cos approximates softmax
def _cos_answer(fig):
    c = fig.params["c"]
    soft, cos, h_soft, h_cos = gallery_data(c, "1 + cos")
    _, ecos, _, h_ecos = gallery_data(c, "exp(cos)")
    return fig.tr(
        "No. 1 + cos is the first-order Taylor expansion of e^(cos), softmax over cosines, not of e^(q·k): "
        "the largest gap to softmax(c²QKᵀ) is {gap:.3f} at c = {c:.1f}, "
        "to softmax over the cosines only {gap_cos:.3f}. "
        "Nor is it flatter than what it expands: 1 + cos runs from 0 to 2, while e^(cos) is confined to [e⁻¹, e] "
        "(a ratio of at most e² = {e2:.2f}), so 1 + cos is the more selective of the two: mean row entropy "
        "{h_cos:.3f} nats against {h_ecos:.3f}. Both are nearly flat here (log n = {flat:.3f}), as the cosines of "
        "random vectors in d = {d} are small, about ±1/√d; softmax at this scale is far sharper ({h_soft:.3f} nats)."
    ).format(
        gap=np.abs(soft - cos).max(),
        c=c,
        gap_cos=np.abs(ecos - cos).max(),
        h_cos=h_cos.mean(),
        h_ecos=h_ecos.mean(),
        e2=np.e**2,
        flat=np.log(soft.shape[-1]),
        d=DG,
        h_soft=h_soft.mean(),
    )


def _cos_check(fig):
    soft, cos, h_soft, h_cos = gallery_data(fig.params["c"], "1 + cos")
    ecos, h_ecos = gallery_data(fig.params["c"], "exp(cos)")[1::2]
    return (
        np.abs(soft - cos).max() > np.abs(ecos - cos).max()
        and h_cos.mean() < h_ecos.mean()
        and h_soft.mean() < h_cos.mean()
    )


# 4 ------------------------------------------------------------------ predict the first output row
def _first_answer(fig):
    data = rnn_data()
    return fig.tr(
        "Row 1 sees one key, so its weight is 1 whatever φ is: the output is v₁ = [{v}] itself (the RNN gives "
        "[{out}]). S₁ = φ(k₁)v₁ᵀ has rank 1 and z₁ = φ(k₁)."
    ).format(v=", ".join(f"{x:.4f}" for x in data["v"][0]), out=", ".join(f"{x:.4f}" for x in fig.out))


def _first_check(fig):
    data = rnn_data()
    return fig.params["i"] == 1 and np.allclose(fig.out, data["v"][0], rtol=0, atol=1e-12)


EXERCISES = [
    Exercise(
        name="which-step-dominates",
        kind="predict",
        question=(
            "Before moving n to 512 (d = {d}, as in BERT base): how many times fewer multiply-adds does Q(KᵀV) need "
            "than (QKᵀ)V, and which of its two steps dominates?"
        ),
        values={"d": D},
        figure=ProductOrderFigure,
        settings={"n": 512},
        answer=_order_answer,
        check=_order_check,
    ),
    Exercise(
        name="memory-crossover",
        kind="read-off",
        question=(
            "Keep d = 64. At which n does the causal cumsum tensor store as many numbers as the n × n weight matrix?"
        ),
        figure=CostFigure,
        settings={"n": 4096, "d": 64},
        answer=_memory_answer,
        check=_memory_check,
    ),
    Exercise(
        name="one-plus-cos",
        kind="break",
        question=(
            "Su proposes 1 + cos as a first-order Taylor expansion that keeps attention close to softmax. Break it: "
            "at c = 3, choose 1 + cos. Is it close to softmax(c²QKᵀ)? And is it flatter or sharper than exp(cos)?"
        ),
        figure=AttentionMapFigure,
        settings={"c": 3.0, "similarity": "1 + cos"},
        answer=_cos_answer,
        check=_cos_check,
    ),
    Exercise(
        name="first-token",
        kind="predict",
        question="Predict output row 1 before setting i = 1: what does a query that sees a single key return?",
        figure=RnnStepperFigure,
        settings={"i": 1},
        answer=_first_answer,
        check=_first_check,
    ),
]
