"""Gradient normalisation, lesson 18's figures: what they show at the values the lesson names."""

from __future__ import annotations

import numpy as np
import pytest


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_opening_kink_jumps_only_when_the_slope_size_changes():
    from theory_lib.figures.critic import CriticOpeningFigure

    fig = _figure(CriticOpeningFigure, slope2=3.0)
    try:
        assert fig.jump["plain"] == pytest.approx(1 / 3 - 1, abs=1e-6)
        assert fig.jump["iccv"] == pytest.approx(0.25 - 0.5, abs=1e-6)
        assert fig.fd.max() > 100 and fig.auto.max() <= 1 + 1e-12  # the spike only finite differences see
        k, x = np.argmax(fig.fd), fig.d_line.get_xdata()
        assert x[k] <= 1.0 <= x[k + 1]  # the spike sits in the grid step holding the kink
        _, y = fig.form_lines["iccv"].get_data()
        assert np.abs(y).max() < 1
        for slope in (-1.0, 1.0):  # only the direction changes, or no kink: nothing jumps
            fig.update(slope2=slope)
            assert all(abs(v) < 1e-6 for v in fig.jump.values()), fig.jump
            assert fig.fd.max() <= 1 + 1e-3
    finally:
        fig.close()


def test_sine_critic_breaks_the_bound_and_a_equal_one_does_not():
    from theory_lib.figures.critic import CriticKinkFigure

    fig = _figure(CriticKinkFigure, critic="sin(ax)", a=5.0)
    try:
        assert 24 < fig.auto.max() <= 25 + 1e-9 and fig.jump is None
        assert fig.inactive() == {"slope1", "slope2", "position"}
        fig.update(a=1.0)
        assert fig.auto.max() <= 1 + 1e-9
        fig.update(critic="kink", slope1=2.0, slope2=-0.5, position=0.5)
        assert fig.jump["plain"] == pytest.approx(1 / 0.5 - 1 / 2, abs=1e-6)  # f(0.5) = 1: 1/2 → 1/0.5
    finally:
        fig.close()


def test_softsign_iccv_is_scale_invariant_and_wacv_is_not():
    from theory_lib.figures.critic import CriticSoftsignFigure

    fig = _figure(CriticSoftsignFigure, scale=1.0)
    try:
        iccv, wacv = fig.values["iccv"].copy(), fig.values["wacv"].copy()
        assert fig.at["iccv"] == pytest.approx((12 / 17, 25 / 289), rel=1e-10)
        assert fig.at["wacv"][0] == pytest.approx(2.399904, abs=5e-7)
        for scale, w in ((0.01, 1.714286), (100.0, 2.4)):
            fig.update(scale=scale)
            np.testing.assert_allclose(fig.values["iccv"], iccv, rtol=1e-12, atol=1e-15)
            assert fig.at["wacv"][0] == pytest.approx(w, abs=5e-7)
            assert np.abs(fig.values["wacv"] - wacv).max() > 1e-6
        np.testing.assert_allclose(fig.grads["iccv"], (1 + np.abs(np.linspace(-6, 6, 1201))) ** -2, rtol=1e-10)
        assert fig.grads["wacv"].max() <= 1 and np.all(fig.grads["plain"] == 1)
    finally:
        fig.close()


def test_relu_critic_maps_bounds_seams_invariance_and_su_control():
    from theory_lib.figures.critic import CriticReluFigure

    fig = _figure(CriticReluFigure, bias="on", width=32, seed=0, scale=1.0)
    try:
        assert fig.max_auto <= 1 + 1e-12 and fig.max_iccv < 1
        assert fig.max_fd > 2 and 0.01 < fig.seam_share < 0.5  # the seams: finite differences above 1
        assert fig.su_gap > 0.5
        iccv, d = fig.maps["iccv"].copy(), fig.maps["d"].copy()
        fig.update(scale=100.0)
        np.testing.assert_allclose(fig.maps["iccv"], iccv, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fig.maps["d"], 100 * d, rtol=1e-12)
        fig.update(bias="off", scale=1.0)
        assert fig.su_gap < 1e-10 and fig.max_auto <= 1 + 1e-12
        from theory_lib.figures.critic.relu2d import colours

        drawn = np.asarray(fig.images["su"].get_array())
        assert np.array_equal(drawn, colours(fig.maps["su"], *fig.luts["su"]))
        lut = fig.luts["su"][0]
        assert set(map(tuple, drawn.reshape(-1, 4))) <= {tuple(lut[127]), tuple(lut[128])}  # white: the two agree
    finally:
        fig.close()
