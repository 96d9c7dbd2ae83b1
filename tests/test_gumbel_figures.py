"""Reparameterisation and Gumbel-Softmax, lesson 11's figures: what they show at the values the lesson names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory_lib import gumbel as gb


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_simplex_argmax_follows_p_at_every_tau_and_samples_reach_the_corners():
    from theory_lib.figures.gumbel import SimplexFigure
    from theory_lib.figures.gumbel.simplex import CORNERS, SAMPLES, P

    fig = _figure(SimplexFigure)
    try:
        se = [4 * math.sqrt(p * (1 - p) / SAMPLES) for p in P]
        freqs = []
        for tau in (0.01, 0.1, 1.0, 5.0):
            fig.update(tau=tau)
            freqs.append(fig.stats["freq"])
            assert all(abs(f - p) < s for f, p, s in zip(fig.stats["freq"], P, se, strict=True))
        assert np.allclose(freqs[0], freqs[-1])  # the same draws: the argmax does not depend on tau at all
        fig.update(tau=0.01)
        assert fig.stats["hot"] > 0.95 and "within 0.01 of a corner" in fig.readout
        xy = np.concatenate([np.column_stack(line.get_data()) for line in fig.dots])
        assert np.min(np.linalg.norm(xy[:, None, :] - CORNERS[None], axis=-1), axis=1).mean() < 0.02
        fig.update(tau=5.0)
        assert abs(fig.stats["mean"][0] - 1 / 3) < abs(fig.stats["mean"][0] - P[0])  # pulled to the centre
    finally:
        fig.close()


@pytest.mark.parametrize("p1", [0.3, 0.5, 0.8])
def test_proof_region_has_area_p1_and_holds_exactly_the_picks(p1):
    from theory_lib.figures.gumbel import ProofFigure

    fig = _figure(ProofFigure, p1=p1)
    try:
        xy = fig.region.get_xy()
        area = 0.5 * abs(np.dot(xy[:, 0], np.roll(xy[:, 1], 1)) - np.dot(xy[:, 1], np.roll(xy[:, 0], 1)))
        assert area == pytest.approx(p1, abs=2e-3)  # the drawn polygon (shoelace), not the readout
        assert fig.area == pytest.approx(p1, rel=1e-9)
        assert fig.picked == fig.below  # blue dots = dots under the curve, exactly
        assert fig.ev["joint"] == pytest.approx(p1, rel=1e-8)
        assert abs(fig.ev["a2"] * fig.ev["a3"] - p1) > 5e-3 and "not independent" in fig.readout
    finally:
        fig.close()


def test_bias_vanishes_variance_grows_and_single_gradients_vanish():
    from theory_lib.figures.gumbel import BiasVarianceFigure

    fig = _figure(BiasVarianceFigure, delta=0.0)
    try:
        small = {}
        for tau in (1.0, 0.1, 0.01):
            fig.update(tau=tau)
            small[tau] = fig.small
            assert fig.mean_dot.get_ydata()[0] == pytest.approx(gb.binary_gs_grad_mean(0.0, tau))
        # the article's note: 0.2%, 57% and 94% of the per-sample gradients below 1e-3 at tau = 1, 0.1, 0.01
        assert small[1.0] < 0.01 and 0.5 < small[0.1] < 0.65 and small[0.01] > 0.9
        assert abs(fig.m - 0.25) < 1e-4 and 0.01 * fig.v == pytest.approx(1 / 24, rel=0.03)
        tau_grid, var = fig.var_line.get_data()
        asym = fig.asym_line.get_ydata()
        assert var[0] / asym[0] == pytest.approx(1, rel=0.03) and var[-1] < 0.01 * asym[-1]
        fig.update(delta=2.0, tau=0.5)
        assert fig.target.get_ydata()[0] == pytest.approx(0.5 / (1 + math.cosh(2.0)))
        assert "Δ = 2.0" in fig.readout
    finally:
        fig.close()


def test_estimator_figure_shows_where_reparameterisation_loses():
    from theory_lib.figures.gumbel import EstimatorFigure

    fig = _figure(EstimatorFigure)
    try:
        assert fig.sf == pytest.approx(30.0) and fig.rp == pytest.approx(4.0) and fig.worse_share == 0
        assert fig.inactive() == {"omega"}
        fig.update(sigma=0.1)
        assert fig.sf == pytest.approx(114.15)
        fig.update(f="sin", mu=0.0, sigma=1.0, omega=5.0)
        assert fig.rp / fig.sf == pytest.approx(25.0) and fig.worse_share == 1.0 and "worse" in fig.readout
        assert fig.region.get_path().contains_point((0.0, 0.0))  # (μ, log10 σ) = (0, 0) is shaded
        fig.update(omega=1.0)
        assert fig.rp < fig.sf and not fig.region.get_path().contains_point((0.0, 0.0))
        assert fig.region.get_path().contains_point((0.0, 0.9))  # larger σ: the reparameterisation loses again
    finally:
        fig.close()
