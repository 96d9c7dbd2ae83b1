"""Flooding, lesson 13's figures: what they draw and say at the values the lesson names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theory_lib import flooding as fl


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_opening_plain_descent_stays_sharp_and_flooding_finds_the_flat_minimum():
    """The note's run (v0 = 2, eps = 0.05, 20000 steps): plain descent stops at sharpness ~4.1, flooding at
    b = 0.1 reaches ~1.00 with the loss held at b; both numbers recomputed by flood_valley itself."""
    from theory_lib.figures.flooding import OpeningFigure

    fig = _figure(OpeningFigure)
    try:
        ref = fl.flood_valley(1.0, 2.0, b=0.1, lr=0.05, steps=20_000)
        plain = fl.flood_valley(1.0, 2.0, b=0.0, lr=0.05, steps=20_000)
        assert fig.sharp_flood == pytest.approx(1 + ref[-1, 1].item() ** 2, rel=1e-12)
        assert fig.sharp_plain == pytest.approx(1 + plain[-1, 1].item() ** 2, rel=1e-12)
        assert fig.sharp_plain > 4 and fig.sharp_flood < 1.001
        assert fig.loss_flood == pytest.approx(0.1, rel=0.05)
        assert f"{fig.sharp_plain:.3f}" in fig.readout and f"{fig.sharp_flood:.3f}" in fig.readout
        x, y = fig.s_flood.get_data()
        assert x[-1] == 20_000 and y[-1] == pytest.approx(fig.sharp_flood)
        fig.update(b=0.0)  # b = 0 is plain descent: the two paths coincide
        assert np.array_equal(fig.flood.get_xydata(), fig.plain.get_xydata())
    finally:
        fig.close()


def test_valley_steps_slider_cuts_the_same_path():
    from theory_lib.figures.flooding import ValleyFigure

    fig = _figure(ValleyFigure, steps=1000, b=0.2, v0=1.0, lr=0.1)
    try:
        ref = fl.flood_valley(1.0, 1.0, b=0.2, lr=0.1, steps=1000)
        assert fig.v_flood == ref[-1, 1].item()
        assert fig.marks[0].get_xdata()[0] == 1000
        lo, hi = fig.ax.get_ylim()
        assert lo <= fig.flood.get_ydata().min() and fig.flood.get_ydata().max() <= hi
    finally:
        fig.close()


def test_two_step_error_is_third_order_and_the_prediction_arrow_stays_put():
    from theory_lib.figures.flooding import TwoStepFigure

    fig = _figure(TwoStepFigure)
    try:
        arrows = {}
        for eps in (0.01, 0.02, 0.05, 0.1):
            fig.update(eps=eps)
            assert fig.slope == pytest.approx(3.0, abs=0.15)
            arrows[eps] = fig.pred.get_xydata()[1]
            assert f"{fig.error:.3e}" in fig.readout
        # the prediction divided by eps^2 is -(1/2) grad ||g||^2: one arrow for every eps
        p = -0.5 * fl.toy_penalty_gradient(torch.tensor([0.5, -0.3], dtype=torch.float64)).numpy()
        for a in arrows.values():
            np.testing.assert_allclose(a, p, rtol=1e-9)
        fig.update(eps=1.0)  # far outside: the error is no longer small against the move
        assert fig.error / fig.move > 0.1 and abs(fig.slope - 3.0) > 0.3  # higher orders take over
        fig.update(order="ascent-first", eps=0.1)
        assert fig.slope == pytest.approx(3.0, abs=0.15)
    finally:
        fig.close()


def test_unequal_rates_coefficient_and_flattening():
    from theory_lib.figures.flooding import UnequalRatesFigure

    fig = _figure(UnequalRatesFigure, lr=0.1, ratio=0.5)
    try:
        assert (fig.rate, fig.coef) == pytest.approx((0.05, 0.1 * 0.05 / (2 * 0.05)))
        assert fig.v_alt < fig.v_plain  # the pairs end flatter than plain descent at the same rate
        assert abs(fig.v_alt - fig.v_pen) < abs(fig.v_alt - fig.v_plain)  # and the prediction says why
        fig.update(lr=0.02, ratio=0.05)
        assert abs(fig.v_alt - fig.v_pen) < 1e-3
        fig.update(lr=0.1, ratio=0.95)
        assert fig.coef == pytest.approx(0.1 * 0.095 / (2 * 0.005))
    finally:
        fig.close()


def test_experiment_flooding_holds_the_loss_and_full_batch_alternates():
    from theory_lib.figures.flooding import ExperimentFigure, flood_run

    fig = _figure(ExperimentFigure)
    try:
        plain, flood = flood_run("SGD", "full", 0.0), flood_run("SGD", "full", 0.1)
        assert plain.train_error[-1] == 0  # past zero training error
        assert flood.train_loss[-1].item() == pytest.approx(0.1, abs=0.02)
        assert fig.test_flood_end < fig.test_plain_end
        assert fig.flip_rate > 0.9
        _, y = fig.b_line.get_data()
        assert y[0] == 0.1
        assert f"{fig.flip_rate:.0%}" in fig.readout
        lo, hi = fig.ax.get_ylim()
        for line in (fig.test_plain, fig.test_flood, fig.train_plain, fig.train_flood):
            assert lo <= line.get_ydata().min() and line.get_ydata().max() <= hi
    finally:
        fig.close()
