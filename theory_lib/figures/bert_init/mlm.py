"""Lesson 04, the third question: BERT's MLM softmax at initialisation, and the LayerNorm gain it needs.

The logits are z_i = <gamma * LN(h), e_i> over V = 30 522 tokens, e_i the tied embeddings of std 0.02
(truncated): their std is tau = gamma * sqrt(768) * 0.0176 (``bert_init.mlm_logit_std``), and the
softmax is KL = tau^2 / 2 nats from uniform (``bert_init.softmax_uniformity_gap``). Left: the sorted
probabilities of one sampled row against 1/V. Right: the gap against gamma, the formula and samples.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.ticker import FixedFormatter

from theory_lib import bert_init as bi
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider
from theory_lib.figures.style import sparse_log_ticks

VOCAB, D_MODEL = 30522, 768  # BERT-base's WordPiece vocabulary and hidden size
ROWS = 16  # sampled rows of logits per gain
TAU_1 = bi.mlm_logit_std(D_MODEL)  # the logits' std at init (gain 1)
GAIN_1NAT = round(math.sqrt(2.0) / TAU_1, 1)  # the gain at which the formula's gap is 1 nat
GAIN_MIN, GAIN_MAX = 0.25, 8.0


@functools.lru_cache(maxsize=1)
def _standard_logits() -> torch.Tensor:
    """ROWS x VOCAB standard normal logits (seed 0), float64; row 0 sorted, descending, for the left panel."""
    z = torch.randn(ROWS, VOCAB, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    z[0] = z[0].sort(descending=True).values
    return z


@functools.lru_cache(maxsize=128)
def sampled(tau: float) -> tuple[float, float, np.ndarray]:
    """At logit std tau: the sampled gap log V - mean entropy (nats), the mean largest probability, and
    row 0's probabilities in rank order (descending)."""
    with one_cpu_thread("cpu"):  # a few hundred thousand exps: threads cost more than they save
        logp = torch.log_softmax(tau * _standard_logits(), dim=-1)  # (ROWS, VOCAB)
        p = logp.exp()
        entropy = -(p * logp).sum(-1)
    return math.log(VOCAB) - entropy.mean().item(), p.max(-1).values.mean().item(), p[0].numpy()


class MlmLogitsFigure(InteractiveFigure):
    """The MLM softmax at init over BERT's vocabulary: how far from uniform, as the last LN's gain grows."""

    controls = {
        "gain": LogSlider(GAIN_MIN, GAIN_MAX, 1.0, label="LN gain γ", named=(1.0, GAIN_1NAT)),
    }
    figsize = (11.0, 4.0)
    RANKS = np.unique(np.geomspace(1, VOCAB, 300).round().astype(int)) - 1  # ranks drawn, log-spaced

    def build(self):
        ax_p, ax_g = self.fig.subplots(1, 2)
        self.ax_p, self.ax_g = ax_p, ax_g
        ax_p.axhline(
            1 / VOCAB, color="C3", ls="--", lw=1.2, label=self.tr("uniform, 1/V (V = {vocab:,})").format(vocab=VOCAB)
        )
        (self.probs,) = ax_p.plot([], [], color="C0", lw=1.6, label=self.tr("softmax of one row of sampled logits"))
        ax_p.set(
            xscale="log",
            yscale="log",
            xlim=(1, VOCAB),
            ylim=(1e-9, 1.0),
            xlabel=self.tr("rank of the token"),
            ylabel=self.tr("probability"),
            title=self.tr("the MLM softmax at initialisation"),
        )
        ax_p.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        grid = np.geomspace(GAIN_MIN, GAIN_MAX, 200)
        ax_g.plot(
            grid, [bi.softmax_uniformity_gap(g * TAU_1) for g in grid], color="C3", label=self.tr(r"formula $\tau^2/2$")
        )
        gains = self.controls["gain"].grid()
        ax_g.plot(gains, [sampled(g * TAU_1)[0] for g in gains], "o", color="C0", ms=4, label=self.tr("sampled"))
        ax_g.axhline(math.log(VOCAB), color="0.5", ls=":", lw=1, label=self.tr("log V: one-hot"))
        ax_g.axvline(1.0, color="0.7", lw=0.8)
        ax_g.text(1.03, 2e-3, self.tr("init, γ = 1"), fontsize=8, color="0.4")
        (self.here,) = ax_g.plot([], [], "o", color="k", ms=8, mfc="none", mew=1.5)
        self.here_text = ax_g.text(0.97, 0.05, "", transform=ax_g.transAxes, fontsize=9, ha="right")
        ax_g.set(
            xscale="log",
            yscale="log",
            xlim=(GAIN_MIN, GAIN_MAX),
            ylim=(1e-3, 30),
            xlabel=self.tr("LN gain γ"),
            ylabel=self.tr("log V − entropy (nats)"),
            title=self.tr("distance from uniform"),
        )
        sparse_log_ticks(ax_g.xaxis, [0.25, 0.5, 1, 2, 4, 8])
        ax_g.xaxis.set_major_formatter(FixedFormatter(["0.25", "0.5", "1", "2", "4", "8"]))
        ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=3, frameon=False)

    def draw(self, gain):
        self.tau = gain * TAU_1  # = bi.mlm_logit_std(D_MODEL, gain=gain)
        self.gap_formula = bi.softmax_uniformity_gap(self.tau)
        self.gap_sampled, self.p_max, p = sampled(self.tau)
        self.probs.set_data(self.RANKS + 1, np.maximum(p[self.RANKS], 1e-300))
        self.here.set_data([gain], [self.gap_sampled])
        self.here_text.set_text(
            self.tr("γ = {gain:g}: τ = {tau:.3g}\nformula {formula:.3g}, sampled {sampled:.3g}").format(
                gain=gain, tau=self.tau, formula=self.gap_formula, sampled=self.gap_sampled
            )
        )
        log_v = math.log(VOCAB)
        self.readout = self.tr(
            "γ = {gain:g}: the logits have std τ = γ·√{d}·s = <b>{tau:.3g}</b> (s = 0.02 truncated = {s:.4f}). "
            "The softmax over {vocab:,} tokens is <b>{gap:.3g}</b> nats from uniform (formula τ²/2 = "
            "{formula:.3g}), out of log V = {log_v:.2f}: its entropy is {share:.1%} of the uniform one, and the "
            "largest probability {p_max:.2g}, against 1/V = {uniform:.2g}."
        ).format(
            gain=gain,
            d=D_MODEL,
            tau=self.tau,
            s=bi.truncated_normal_std(0.02),
            vocab=VOCAB,
            gap=self.gap_sampled,
            formula=self.gap_formula,
            log_v=log_v,
            share=1 - self.gap_sampled / log_v,
            p_max=self.p_max,
            uniform=1 / VOCAB,
        )
