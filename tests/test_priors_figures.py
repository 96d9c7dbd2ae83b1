"""Lesson 14's figures: what they draw and say at the values the lesson names (the articles' claims)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theory_lib.figures.priors import PriorCanFigure, PriorGaussianFigure, PriorHeatmapFigure, PriorLongTailFigure


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_opening_balanced_error_is_least_at_tau_one_and_plain_error_at_zero():
    fig = _figure(PriorGaussianFigure)
    try:
        bers, errs = {}, {}
        for tau in np.round(np.arange(-0.5, 2.51, 0.1), 10):
            fig.update(tau=float(tau))
            bers[tau], errs[tau] = fig.ber, fig.err
        assert min(bers, key=bers.get) == 1.0 and min(errs, key=errs.get) == 0.0
        fig.update(tau=1.0)  # t = 0: BER = Phi(-1), by scipy
        assert fig.t == 0.0 and fig.ber == pytest.approx(stats.norm.cdf(-1.0), rel=1e-12)
        assert f"{fig.ber:.4f}" in fig.readout
        assert fig.line.get_xdata()[0] == 0.0
        fig.update(tau=0.0)  # the Bayes threshold log(9)/2 where the weighted densities cross
        x = fig.t
        assert 0.9 * stats.norm.pdf(x, -1) == pytest.approx(0.1 * stats.norm.pdf(x, 1), rel=1e-9)
    finally:
        fig.close()


def test_heatmap_valley_is_tau_train_plus_tau_post_equal_one():
    fig = _figure(PriorHeatmapFigure, pi1=0.1)
    try:
        image = np.asarray(fig.image.get_array())
        grid = PriorHeatmapFigure.GRID
        total = grid[None, :] + grid[:, None]
        assert np.abs(total[image == image.min()] - 1).max() < 1e-9  # the minimum lies on the line
        fig.update(tau_train=1.0, tau_post=0.0)
        on_line = fig.ber
        fig.update(tau_train=0.0, tau_post=1.0)
        assert fig.ber == pytest.approx(on_line, rel=1e-12)
        fig.update(tau_train=1.0, tau_post=1.0)  # adjusting twice
        assert fig.ber > on_line + 0.1
    finally:
        fig.close()


def test_can_figure_reproduces_su_binary_example():
    fig = _figure(PriorCanFigure)
    try:
        assert fig.after == pytest.approx(0.725, abs=1e-12)
        assert fig.limit / (1 - fig.limit) == pytest.approx(math.sqrt(19), rel=1e-9)
        assert fig.bars0[1].get_height() == pytest.approx(0.725) and "0.7250" in fig.readout
        fig.update(iters=20)
        assert fig.after == pytest.approx(fig.limit, abs=1e-6)
        fig.update(b0=0.5, a0=0.5, iters=1)  # two identical rows under a uniform prior: nothing to move
        assert fig.after == pytest.approx(0.5, abs=1e-12)
    finally:
        fig.close()


def _uncertainty(p, k):
    """Su's renormalised top-k entropy over log k, in numpy (an independent route to priors.topk_uncertainty)."""
    top = -np.sort(-p, axis=1)[:, :k]
    top = top / top.sum(1, keepdims=True)
    return -(top * np.log(np.where(top > 0, top, 1.0))).sum(1) / math.log(k)


def test_synthetic_can_raises_accuracy_and_touches_only_the_doubtful_rows():
    import torch

    from theory_lib import priors as pr
    from theory_lib.figures.priors import synthetic as syn

    fig = _figure(syn.PriorSyntheticCanFigure)  # ρ = 100, k = 3, threshold 0.9, α = 1, one iteration (Su's CLUE)
    try:
        counts = pr.long_tail_counts(100, syn.CLASSES, 100.0).numpy()  # the LA profile, n_max = 100
        assert syn.test_n_max(100.0) == 100
        x, y = pr.sample_classes(counts, mu=syn.MU, generator=torch.Generator().manual_seed(syn.TEST_SEED))
        x, y = x.numpy(), y.numpy()
        loglik = stats.norm.logpdf(x[:, None, :] - syn.MU * np.eye(syn.CLASSES)[None]).sum(-1)  # (N, K)
        p = np.exp(loglik - loglik.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)  # the posterior under a uniform prior
        prior = counts / counts.sum()
        doubt = _uncertainty(p, 3) >= 0.9
        s = p[~doubt].sum(0)
        q = p[doubt] / ((s + p[doubt]) / ((~doubt).sum() + 1)) * prior  # one step of CAN in closed form
        after = p.argmax(1)
        after[doubt] = q.argmax(1)
        r = fig.result
        assert r["n"] == len(y) and r["doubtful"] == doubt.sum() and r["corrected"] == pytest.approx(doubt.mean())
        assert r["before"] == pytest.approx((p.argmax(1) == y).mean(), abs=1e-12)
        assert r["after"] == pytest.approx((after == y).mean(), abs=1e-12)
        assert r["after"] > r["before"] + 0.02 and r["doubt_after"] > r["doubt_before"] + 0.1  # CAN helps here
        assert 0.05 < r["corrected"] < 0.3  # and it touches a minority of the samples
        assert r["bayes"] == pytest.approx((np.argmax(loglik + np.log(prior), 1) == y).mean(), abs=1e-12)
        assert f"{r['before']:.4f} → {r['after']:.4f}" in fig.readout and f"{r['corrected']:.1%}" in fig.readout
        assert fig.bars1[0].get_height() == pytest.approx(r["after"])
        fig.update(threshold=1.0)  # nothing is doubtful any more: nothing changes
        assert fig.result["changed"] == 0 and fig.result["after"] == fig.result["before"]
    finally:
        fig.close()


def test_long_tail_profile_gives_the_la_papers_cifar_lt_sizes():
    fig = _figure(PriorLongTailFigure)  # K = 10, ρ = 100, n_max = 5000
    try:
        assert fig.total == 12406 and "12406" in fig.readout  # CIFAR-10-LT, the LA paper's code
        tops = [max(y for _, y in path.vertices) for path in fig.bars.get_paths()]
        assert tops == [math.floor(5000 * 100 ** (-i / 9)) for i in range(10)]  # the bars drawn
        assert fig.imbalance == pytest.approx(100.0)
        fig.update(num_classes=100, n_max=500)
        assert fig.total == 10847 and "10847" in fig.readout  # CIFAR-100-LT
        assert len(fig.bars.get_paths()) == 100
    finally:
        fig.close()
