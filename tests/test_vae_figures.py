"""The VAE as a density estimator, lesson 19's figures: what they show at the values the lesson names."""

from __future__ import annotations

import numpy as np
import pytest

from theory_lib import vae


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_bias_histogram_mean_climbs_to_log_q_and_stays_below():
    from theory_lib.figures.vae import VaeBiasFigure

    fig = _figure(VaeBiasFigure, M=1)
    try:
        log_q = vae.linear_gaussian_log_marginal(1.0, 2.0, 0.5).item()
        assert fig.log_q == log_q and fig.elbo == pytest.approx(-1.85208, abs=5e-6)  # the note's E[L1]
        gaps, spreads = [], []
        for M in (1, 2, 8, 64, 256):
            fig.update(M=M)
            gaps.append(log_q - fig.mean)
            spreads.append(fig.sd)
            assert fig.mean_line.get_xdata()[0] == fig.mean and f"M = {M}:" in fig.readout
            density = fig.hist.get_data().values
            assert np.sum(density * np.diff(fig.hist.get_data().edges)) == pytest.approx(1.0)
        assert all(g > 0 for g in gaps) and gaps == sorted(gaps, reverse=True)  # below log q(x), closing
        assert spreads == sorted(spreads, reverse=True) and gaps[-1] < 0.01 * gaps[0]
        fig.update(M=1)
        assert abs(fig.mean - fig.elbo) < 4 * fig.se  # the histogram's mean is E[L1] = log q(x) - KL
    finally:
        fig.close()


def test_ess_values_of_the_note():
    from theory_lib.figures.vae import VaeEssFigure

    fig = _figure(VaeEssFigure, s=0.1, d=1, delta=0.05)
    try:
        assert round(fig.ess_prior, 4) == 0.0623 and round(fig.ess_off, 3) == 0.367
        fig.update(d=10)
        assert f"{fig.ess_prior:.2g}" == "8.8e-13"
        fig.update(d=100)
        assert f"{fig.ess_prior:.2g}" == "2.9e-121"
        fig.update(d=1, s=0.05)
        assert round(fig.ess_off, 3) == 0.018  # a small s punishes a 0.05 miss
        fig.update(s=0.5)
        assert round(fig.ess_off, 3) == 0.958
        fig.update(delta=0.0)
        assert fig.ess_off == pytest.approx(1.0, abs=1e-12)  # the exact posterior: every draw counts
        _, y = fig.prior.get_data()
        assert np.all(np.diff(y) > 0)  # the prior's ESS grows with s over the whole axis
    finally:
        fig.close()


def test_toy_readouts_match_the_closed_forms_and_rise_in_m():
    from theory_lib.figures.vae import VaeToyFigure

    fig = _figure(VaeToyFigure)
    try:
        assert fig.elbo == pytest.approx(-1.85208, abs=5e-6) and fig.bound2 == pytest.approx(-1.79303, abs=5e-6)
        assert all(u < w for u, w in zip(fig.curve, fig.curve[1:], strict=False)) and fig.curve[-1] < fig.log_q
        assert fig.exact.get_data()[1][0] == pytest.approx(fig.log_q - fig.elbo)  # drawn: the KL gap
        assert abs(fig.curve[0] - fig.elbo) < 0.01 and abs(fig.curve[1] - fig.bound2) < 0.01
        fig.update(m=0.0, v=1.0)
        assert fig.elbo == pytest.approx(-10.226, abs=5e-4)  # the prior as proposal
        mu, var = vae.linear_gaussian_posterior(1.0, 2.0, 0.5)
        z, post = fig.post.get_data()
        assert z[np.argmax(post)] == pytest.approx(mu.item(), abs=0.01)
        one_sd = np.interp(mu.item() + var.item() ** 0.5, z, post)  # the drawn width is the posterior's
        assert one_sd == pytest.approx(np.exp(-0.5), abs=2e-3)
        gaps = fig.mc.get_data()[1]
        assert gaps[0] > 8 and np.all(np.diff(gaps) < 0)  # the prior: gap ~ 8.5 nats at M = 1, falling
    finally:
        fig.close()
