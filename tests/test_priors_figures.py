"""Lesson 14's figures: what they draw and say at the values the lesson names (the articles' claims)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theory_lib.figures.priors import PriorCanFigure, PriorGaussianFigure, PriorHeatmapFigure


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
