"""BERT's MLM head at initialisation (lesson 04's third question): the logits' std against sampled
logits through a real LayerNorm and tied truncated-normal embeddings, and the softmax's distance
from uniform against Monte Carlo over a BERT-sized vocabulary; bad input."""

from __future__ import annotations

import math

import pytest
import torch

from theory_lib import bert_init as bi

VOCAB = 30522  # BERT's WordPiece vocabulary


@pytest.mark.parametrize(
    "width, std, gain, bound", [(768, 0.02, 1.0, 2.0), (256, 0.05, 3.0, 2.0), (768, 0.02, 0.5, None)]
)
def test_mlm_logit_std_against_sampled_logits(width, std, gain, bound, device):
    """z = (gain * LN(h)) E^T with E drawn as BERT draws it: the sample std matches gain sqrt(d) s."""
    g = torch.Generator(device=device).manual_seed(0)
    h = torch.randn(64, width, generator=g, device=device, dtype=torch.float64) * 3 + 1  # any scale and shift
    x = gain * torch.nn.functional.layer_norm(h, (width,))  # (64, width), |x|^2 = gain^2 width
    if bound is None:
        e = std * torch.randn(4000, width, generator=g, device=device, dtype=torch.float64)
    else:
        e = bi.sample_truncated_normal((4000, width), std, bound, generator=g, device=device, dtype=torch.float64)
    z = x @ e.T  # (64, 4000) logits
    # 256 000 logits; rows share x, columns share e: allow 3 % on the std
    assert z.std().item() == pytest.approx(bi.mlm_logit_std(width, std, gain, bound), rel=0.03)


def test_mlm_logit_std_bert_base():
    """BERT-base's logits at init: sqrt(768) times the truncated 0.02, about 0.49, and linear in the gain."""
    s = bi.truncated_normal_std(0.02)
    assert bi.mlm_logit_std() == pytest.approx(math.sqrt(768) * s, rel=1e-12)
    assert round(bi.mlm_logit_std(), 2) == 0.49
    assert bi.mlm_logit_std(gain=3.0) == pytest.approx(3 * bi.mlm_logit_std(), rel=1e-12)
    assert bi.mlm_logit_std(bound=None) == pytest.approx(0.02 * math.sqrt(768), rel=1e-12)


def _sampled_gap(tau, vocab=VOCAB, rows=48, seed=0):
    """log V minus the mean entropy of softmax over rows of V i.i.d. N(0, tau^2) logits, and its standard error."""
    g = torch.Generator().manual_seed(seed)
    z = tau * torch.randn(rows, vocab, generator=g, dtype=torch.float64)
    logp = torch.log_softmax(z, dim=-1)
    h = -(logp.exp() * logp).sum(-1)  # (rows,)
    return math.log(vocab) - h.mean().item(), h.std().item() / math.sqrt(rows)


@pytest.mark.parametrize("tau", [0.1, 0.49, 1.0, 1.5])
def test_softmax_uniformity_gap_against_monte_carlo(tau):
    """Where exp(tau^2) << V the gap is tau^2/2, to 1 % plus 4 standard errors of the sample."""
    gap, se = _sampled_gap(tau)
    assert abs(gap - bi.softmax_uniformity_gap(tau)) < 0.01 * tau**2 / 2 + 4 * se + 1e-4


def test_softmax_uniformity_gap_overshoots_beyond_its_range():
    """Once exp(tau^2) is not small against V the formula claims more than the sample shows (its caveat)."""
    tau = 4.0  # exp(16) = 9e6, far above V
    gap, se = _sampled_gap(tau)
    assert bi.softmax_uniformity_gap(tau) - gap > 5 * se


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: bi.mlm_logit_std(0), "width"),
        (lambda: bi.mlm_logit_std(768, -0.02), "std"),
        (lambda: bi.mlm_logit_std(768, 0.02, float("nan")), "gain"),
        (lambda: bi.mlm_logit_std(768, 0.02, 1.0, 0.0), "bound"),
        (lambda: bi.softmax_uniformity_gap(-1.0), "logit_std"),
        (lambda: bi.softmax_uniformity_gap(float("inf")), "logit_std"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_extreme_input_stays_finite():
    assert bi.mlm_logit_std(10**6, 1e-300, 0.0) == 0.0
    assert math.isfinite(bi.mlm_logit_std(10**6, 1e100, 1e100, None))
    assert bi.softmax_uniformity_gap(0.0) == 0.0
    assert math.isfinite(bi.softmax_uniformity_gap(1e150))
