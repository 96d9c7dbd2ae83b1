"""Performer, lesson 10's figures: what they draw and say agrees with the maths and the article's claims."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import performer as pf


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_running_means_settle_on_the_kernel_like_one_over_sqrt_m():
    """The strip at m holds the estimates of independent runs; their relative RMS follows the closed form."""
    from theory_lib.figures.performer import RunningMeanFigure
    from theory_lib.figures.performer.opening import REPEATS, TARGET

    fig = _figure(RunningMeanFigure)
    try:
        for m in (10, 100, 1000, 10_000):
            fig.update(m=m)
            for kind in ("positive", "trig"):
                # a sample RMS from REPEATS runs: within 20% of the closed form (the positive products'
                # lognormal tail makes the sample RMS at m = 1 too noisy to test this way)
                assert fig.rms[kind] == pytest.approx(fig.exact[kind], rel=0.2), (m, kind)
            y = fig.strips["trig"].get_offsets()[:, 1]
            assert len(y) == REPEATS and abs(np.mean(y) - TARGET) < 5 * fig.exact["trig"] * TARGET / math.sqrt(REPEATS)
        assert f"{TARGET:.4f}" in fig.readout
    finally:
        fig.close()


def test_variance_explorer_shows_who_fails_where():
    """Positive features are exact at q = −k and worst at q = k; trigonometric the reverse (the article's
    'sin/cos can go negative' is the failure at q = −k); the needed m is the note's 5360 and 639."""
    from theory_lib.figures.performer import VarianceFigure

    fig = _figure(VarianceFigure, q_norm=1.0, k_norm=1.0, m=1)
    try:
        fig.update(angle=0.0)
        assert fig.needed["positive"] == pytest.approx(5360, rel=1e-3) and fig.needed["trig"] == 0
        fig.update(angle=90.0)
        assert fig.needed["positive"] == pytest.approx(639, rel=2e-3) and "639" in fig.readout
        fig.update(angle=180.0)
        assert fig.rms["positive"] < 1e-6 < fig.rms["trig"]
        fig.update(q_norm=2.8, k_norm=2.8, angle=90.0)  # |q| = |k| ≈ √8, d = 64 after the d^(-1/4) scaling
        assert fig.needed["positive"] > 5e8
        x, y = fig.curves["positive"].get_data()
        qs, ks = torch.tensor([[2.8, 0.0]], dtype=torch.float64), torch.tensor([[0.0, 2.8]], dtype=torch.float64)
        assert np.interp(90.0, x, y) == pytest.approx(pf.relative_rms(qs, ks).item(), rel=1e-9)
    finally:
        fig.close()


def test_variance_monte_carlo_dots_agree_where_the_tails_are_light():
    from theory_lib.figures.performer import VarianceFigure
    from theory_lib.figures.performer.estimators import MC_ANGLES

    fig = _figure(VarianceFigure, q_norm=0.5, k_norm=0.5, m=10)
    try:
        x, y = fig.mc["positive"].get_data()
        exact = [
            pf.relative_rms([0.5, 0.0], [0.5 * math.cos(math.radians(a)), 0.5 * math.sin(math.radians(a))], 10).item()
            for a in MC_ANGLES
        ]
        np.testing.assert_allclose(y[:-1], exact[:-1], rtol=0.1)  # the last angle, q = −k: both 0
    finally:
        fig.close()


def test_attention_matrix_error_reproduces_the_note_and_breaks_several_times_d():
    """The note's table (n = 64, d = 16, mean of 10 draws): small at c = 0.5, near 1 at c = 2 even at m = 64d."""
    from theory_lib.figures.performer import AttentionMatrixFigure

    fig = _figure(AttentionMatrixFigure)
    try:
        fig.update(c=0.5, m=1024)
        assert fig.error < 0.05
        fig.update(c=2.0, m=1024, kind="orthogonal")
        assert fig.error > 0.5
        fig.update(c=0.5, m=16, kind="iid")
        small = fig.error
        fig.update(m=256)
        assert fig.error < small / 2.5  # 16× the features: about 1/4 of the error
        a = fig.images[0].get_array()
        assert np.allclose(np.asarray(a).sum(-1), 1.0)  # rows of softmax
        fig.update(features="trig", c=2.0, m=16)
        assert fig.negative > 0.05  # trigonometric estimates go negative
    finally:
        fig.close()


def test_radii_figure_shows_the_bias_of_the_note():
    from theory_lib.figures.performer import RadiiFigure

    fig = _figure(RadiiFigure)
    try:
        for (d, m), bias in (((2, 3), -0.121), ((16, 16), -0.0096), ((64, 4), -0.0054), ((64, 64), -0.00098)):
            fig.update(d=d, m=m)
            assert fig.bias_at_1 == pytest.approx(bias, rel=0.02)
            segs = fig.stems.get_segments()
            assert len(segs) == m
            np.testing.assert_allclose([s[0, 0] for s in segs], pf.quantile_radii(d, m).numpy())
        assert "E|ω| = 7.9688" in fig.readout  # the note's E|ω| for d = 64
    finally:
        fig.close()


def test_batched_error_curves_equal_the_per_scale_ones():
    """The curves come from one pass over every c of the slider: the same ω draws as ``errors`` at each c."""
    from theory_lib.figures.performer import matrix

    grid = matrix._curves_on_grid("positive")
    for c in (0.5, 2.0):
        for kind in matrix.KIND_COLORS:
            one = [matrix.errors(m, c, kind, "positive", matrix.CURVE_DRAWS)[2].mean() for m in matrix.M_CURVE]
            np.testing.assert_allclose(grid[c][kind], one, rtol=1e-6)
