"""Repeated softmax, the lesson's figure: what it draws and says agrees with the maths."""

from __future__ import annotations

import math

import numpy as np
import pytest


# ---------------------------------------------------------------- what the figure shows
@pytest.fixture
def figure():
    from theory_lib.figures.softmax import RepeatedSoftmaxFigure

    fig = RepeatedSoftmaxFigure()
    yield fig
    fig.close()


def test_figure_slope_only_where_the_iterates_approach_uniform(figure):
    assert len(figure.slope_line.get_xdata()) == 2  # default: tau = 1, converging
    figure.update(temperature=0.3)  # [1, 2, 3, 4] sits at a one-hot-like fixed point
    assert len(figure.slope_line.get_xdata()) == 0
    assert "bistable window" in figure.readout and "repel" not in figure.readout
    assert "slope" not in [t.get_text() for t in figure.ax_sp.get_legend().get_texts()][-1]
    figure.update(temperature=0.2)
    assert len(figure.slope_line.get_xdata()) == 0 and "repels" in figure.readout


def test_figure_slope_matches_the_measured_decay(figure):
    """Where drawn, the slope line's steepness is -log10(n tau) and the spread follows it."""
    xs, ys = figure.slope_line.get_data()
    slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    assert slope == pytest.approx(-math.log10(4 * 1.0))
    k, log_a = figure.spread_line.get_data()
    inside = (k >= xs[0]) & (k <= xs[1])
    measured = np.polyfit(k[inside], log_a[inside], 1)[0]
    assert measured == pytest.approx(slope, rel=0.02)


def test_figure_axes_end_where_the_iterates_stop_moving(figure):
    """tau = 5: the spread reaches float64's floor by step 13, so 60 steps draw no 60-step axis."""
    figure.update(temperature=5.0, steps=60)
    k = figure.spread_line.get_xdata()
    assert k.max() <= 14
    assert figure.ax_sp.get_xlim()[1] == figure.ax_it.get_xlim()[1] == 15.5
    figure.update(temperature=1.0, steps=15)
    assert figure.ax_sp.get_xlim()[1] == 15.5


def test_figure_idle_controls(figure):
    assert figure.inactive() == {"n", "seed", "vector"}
    figure.update(preset="random")
    assert figure.inactive() == {"vector"}
    figure.update(preset="custom")
    assert figure.inactive() == {"n", "seed"}


def test_figure_uniform_and_huge_custom_vectors(figure):
    figure.update(preset="custom", vector="1, 1")  # already uniform: drawn, spread 0 said in words
    assert "already uniform" in figure.readout and figure.note.get_text()
    assert all(np.isfinite(a).all() for a in figure.drawn_arrays())
    for bad in ("1e308, -1e308", "1e400, 0", "nan, 1", "1,,2", "abc", ""):
        with pytest.raises(ValueError, match="^vector"):
            figure.update(vector=bad)
    assert figure.params["vector"] == "1, 1"


def test_figure_default_and_named_temperatures():
    from theory_lib.figures.softmax import RepeatedSoftmaxFigure

    spec = RepeatedSoftmaxFigure.controls["temperature"]
    assert spec.value == 1.0 and spec.widget("temperature").value == 1.0
    for tau in (0.125, 0.2, 0.25, 0.3, 0.45, 0.5, 1.0):  # the values the lesson names
        assert tau in spec.grid()


# ---------------------------------------------------------------- the opening picture and the step figure
def test_simplex_basins_at_the_default_and_beyond_the_window():
    """Inside the window (the default) both basins show; above tau* only the uniform one, below 1/3 none."""
    from theory_lib import softmax as sm
    from theory_lib.figures.softmax import SimplexFigure

    fig = SimplexFigure(offscreen=True)
    try:
        tau = fig.params["temperature"]
        assert sm.critical_temperature(3) < tau <= sm.bistability_temperature(3)
        assert 0 < fig.uniform_share < 1 and len(fig.gaps) == 2 and "bistable window" in fig.readout
        assert fig.goes_uniform.any() and not fig.goes_uniform.all()
        fig.update(temperature=0.4)
        assert fig.uniform_share == 1.0 and fig.gaps == []
        fig.update(temperature=0.3)
        assert fig.uniform_share == 0.0 and "repels" in fig.readout
    finally:
        fig.close()


@pytest.mark.parametrize("tau", [0.336, 0.348, 0.362])
def test_simplex_basins_are_decided_by_their_step_budget(tau):
    """BASIN_STEPS classifies the pixels as 2000 steps do, but for at most 0.1 % of them (the border)."""
    from theory_lib.figures.softmax.simplex import BASIN_STEPS, goes_uniform, pixel_starts

    p, _ = pixel_starts()
    quick, long = goes_uniform(p, tau, BASIN_STEPS), goes_uniform(p, tau, 2000)
    assert (quick != long).double().mean() <= 1e-3


def test_contraction_figure_shows_the_bound_over_real_steps():
    from theory_lib.figures.softmax import ContractionFigure

    fig = ContractionFigure(offscreen=True)
    try:
        for n in (2, 3, 12):
            fig.update(n=n)
            a, a_next = fig.points.get_data()
            assert np.all(a_next <= 2 * np.sinh(a) / n + 1e-15) and fig.worst <= 1
            assert (fig.factor < 1) == (n >= 3)
    finally:
        fig.close()
