"""Lesson 04's third question: why BERT puts a Dense + LayerNorm before the MLM softmax.

Su Jianlin, 《模型优化漫谈:BERT的初始标准差为什么是0.02?》, kexue.fm/archives/8747, 2021-11-08.
The MLM logits are z_i = <gamma * LN(h), e_i>, with e_i the (tied, std-0.02) token embeddings:
at initialisation they are small, so the softmax over the vocabulary starts almost uniform, and
only a larger LayerNorm gain gamma can sharpen it. Public through ``theory_lib.bert_init`` (this
module keeps that one under the layout's line limit).

    Var(z_i) = gamma^2 * d * s^2                      (|LN(h)|^2 = d, entries of e_i of std s)
    log V - E[H(softmax(z))] = tau^2 / 2              (z_i i.i.d. N(0, tau^2), while exp(tau^2) << V)
"""

from __future__ import annotations

import math

from theory_lib._checks import integer, positive, public


@public({"width": 768}, extremes={"width": [1, 10**6], "std": [1e-300, 1e100], "gain": [0.0, 1e100]})
def mlm_logit_std(width: int = 768, std: float = 0.02, gain: float = 1.0, bound: float | None = 2.0) -> float:
    """Std of an MLM logit z_i = <gain * LN(h), e_i> at init, the output embedding e_i tied to the
    input one (entries of std s: ``std`` truncated at +-bound*std, or ``std`` itself if ``bound`` is None):
        |LN(h)|^2 = width, so Var(z_i) = gain^2 * width * s^2   (BERT-base: sqrt(768) * 0.0176 = 0.49).
    """
    from theory_lib.bert_init import truncated_normal_std  # the topic's public module imports this one

    width = integer("width", width, minimum=1)
    s = positive("std", std) if bound is None else truncated_normal_std(std, bound)
    return positive("gain", gain, allow_zero=True) * math.sqrt(width) * s


@public({"logit_std": 0.5}, extremes={"logit_std": [0.0, 1e-150, 1e150]})
def softmax_uniformity_gap(logit_std: float) -> float:
    """log V - E[H(softmax(z))] for V i.i.d. logits z_i ~ N(0, tau^2), in nats: about tau^2 / 2.

    Z = sum_i exp(z_i) ~ V exp(tau^2/2) and E_p[z] ~ tau^2, so H = log Z - E_p[z] ~ log V - tau^2/2
    (the random energy model's high-temperature phase). It holds while exp(tau^2) << V, where the
    sum runs over many terms; beyond, the real gap is smaller. At tau = 0.49 (BERT-base at init)
    the softmax is 0.12 nats from uniform, out of log V = 10.3 for its 30 522 tokens.
    """
    return positive("logit_std", logit_std, allow_zero=True) ** 2 / 2
