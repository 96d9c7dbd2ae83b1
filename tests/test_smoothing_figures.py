"""Lesson 05's figures show the truth (issue 15): the numbers and curves they draw are the exact ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theory_lib import smoothing as sm


# ---------------------------------------------------------------- the figures show the truth (issue 15)
@pytest.mark.parametrize("function, kind, mass", [("sign", "tanh", 2.0), ("sign", "erf", 2.0), ("step", None, 1.0)])
def test_derivative_mass_is_exact_and_tends_to_the_delta_mass(function, kind, mass):
    for k in (1.0, 3.0, 500.0, 1000.0):
        x = torch.linspace(-3, 3, 2_000_001, dtype=torch.float64).requires_grad_(True)
        f = sm.smooth_sign(x, k, kind) if function == "sign" else sm.smooth_step(x, k)
        (d,) = torch.autograd.grad(f.sum(), x)
        quad = torch.trapezoid(d, x.detach()).item()  # spacing 3e-6: resolves the bump at k = 1000
        assert sm.derivative_mass(function, k, 3.0, kind) == pytest.approx(quad, abs=1e-6)
    assert sm.derivative_mass(function, 1000.0, 3.0, kind) == pytest.approx(mass, abs=1e-3)


def test_figure_one_resolves_the_kink_at_every_k():
    """The area printed under sign ≈ tanh is 2 at k = 1000 (the even grid read 5.0), and the drawn gap of
    |x| ≈ x·erf(kx) reaches its sup 0.2404/k (the even grid showed 7.7e-15)."""
    from theory_lib.figures.smoothing import FUNCTIONS, SmoothFunctionFigure

    names = {v: n for n, v in FUNCTIONS.items()}
    fig = SmoothFunctionFigure()
    try:
        assert fig.params["k"] == 3.0 and fig.controls["k"].reachable(3.0)
        for k in (300.0, 1000.0):
            fig.update(function=names["sign", "tanh"], k=k)
            assert "area on [−3, 3] 2" in fig.delta_text.get_text()
            fig.update(function=names["abs", "erf"], k=k)
            drawn = fig.gap_line.get_ydata().max()
            assert drawn == pytest.approx(sm.approximation_error("abs", k, "erf"), rel=1e-3)
    finally:
        fig.close()


def test_smooth_max_figure_refuses_overflowing_vectors_and_keeps_legends_on_the_canvas():
    from theory_lib.figures.smoothing import SmoothMaxFigure

    fig = SmoothMaxFigure()
    try:
        fig.fig.canvas.draw()
        with pytest.raises(ValueError, match="^vector"):
            fig.update(vector="1e308, -1e308")
        fig.update(vector="1e4, -1e4, 9999")  # the lesson's example still draws
        renderer = fig.fig.canvas.get_renderer()
        canvas = fig.fig.bbox
        for ax in fig.fig.axes:
            box = ax.get_legend().get_window_extent(renderer)
            assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1 and canvas.y0 <= box.y0, ax.get_title()
    finally:
        fig.close()


def test_f1_panels_fit_the_curves():
    from theory_lib.figures.smoothing import SmoothF1TrainingFigure

    fig = SmoothF1TrainingFigure()
    try:
        for ax in fig.fig.axes[1:]:  # test F1 while training, F1 against t
            top = ax.get_ylim()[1]
            highest = max(np.max(line.get_ydata()) for line in ax.lines if len(line.get_ydata()))
            assert highest <= top <= 1.4 * highest, (ax.get_title(), top, highest)
        x0, x1 = fig.ax_s.get_xlim()
        pts = np.vstack([fig.neg.get_offsets(), fig.pos.get_offsets()])
        assert x0 <= pts[:, 0].min() and pts[:, 0].max() <= x1 and x1 - x0 <= np.ptp(pts[:, 0]) + 2
    finally:
        fig.close()


def test_opening_picture_shows_the_gap_log2_over_k_at_the_kink():
    """The opening picture's orange curve is log-cosh |x| at k (its slope tanh(kx)), and its red bar
    stands at x = 0 with the height log 2/k, the sup error the library states."""
    from theory_lib.figures.smoothing import KinkFigure

    fig = KinkFigure()
    try:
        for k in (1.0, 3.0, 30.0, 100.0):
            fig.update(k=k)
            x, y = fig.curve.get_data()
            _, dy = fig.dcurve.get_data()
            assert np.allclose(y, np.log(2 * np.cosh(k * x)) / k, atol=1e-12)
            assert np.allclose(dy, np.tanh(k * x), atol=1e-12)
            assert np.all(y >= np.abs(x))
            bar_x, bar_y = fig.gap_bar.get_data()
            assert list(bar_x) == [0.0, 0.0]
            assert bar_y[1] == pytest.approx(np.log(2) / k, rel=1e-12)
            assert bar_y[1] == pytest.approx(sm.approximation_error("abs", k, "logcosh"), rel=1e-12)
    finally:
        fig.close()
