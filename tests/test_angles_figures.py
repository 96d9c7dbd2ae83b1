"""The angle between two random vectors, the lesson's figure: what it draws agrees with the maths."""

from __future__ import annotations

import numpy as np
import pytest

from theory_lib import angles as ag


# ---------------------------------------------------------------------------- what the figure shows
@pytest.fixture
def figure():
    from theory_lib.figures.angles import AngleDistributionFigure

    fig = AngleDistributionFigure()
    fig.fig.canvas.draw()
    yield fig
    fig.close()


def test_figure_plots_the_relative_errors_of_both_formulas(figure):
    """The middle panel shows (formula / exact - 1): at n = 100, Laplace's is 1.0e-2 and that of
    1/(n-1) is 3.4e-5, apart by more than two decades on its log axis."""
    laplace, nm1 = figure.ax_v.lines[:2]
    at = {}
    for line in (laplace, nm1):
        ns, err = line.get_data()
        at[line.get_label()] = float(np.interp(100, ns, err))
    assert at["Laplace 1/(n−2)"] == pytest.approx(ag.variance_relative_errors(100)[0], rel=0.05)
    assert at["1/(n−1)"] == pytest.approx(ag.variance_relative_errors(100)[1], rel=0.05)
    lo, hi = figure.ax_v.get_ylim()
    assert lo <= min(nm1.get_ydata()) and max(laplace.get_ydata()) <= hi  # every point inside


@pytest.mark.parametrize("params", [{}, {"eps_deg": 30.0}, {"n": 2}, {"n": 10_000, "method": "vectors"}])
def test_figure_legends_sit_below_the_data_and_on_the_canvas(figure, params):
    figure.update(**params)
    figure.fig.canvas.draw()
    renderer = figure.fig.canvas.get_renderer()
    canvas = figure.fig.bbox
    for ax in figure.fig.axes:
        box = ax.get_legend().get_window_extent(renderer)
        assert box.y1 <= ax.get_window_extent(renderer).y0, f"{ax.get_title()}: legend overlaps the axes"
        assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1 and canvas.y0 <= box.y0, "legend off the canvas"


def test_figure_legend_drops_the_normal_law_where_it_is_not_drawn(figure):
    labels = lambda: [t.get_text() for t in figure.ax_h.get_legend().get_texts()]  # noqa: E731
    assert any("Laplace" in t for t in labels())
    figure.update(n=2)  # 1/(n-2) is infinite: no normal curve
    assert len(figure.laplace.get_xdata()) == 0 and not any("Laplace" in t for t in labels())


@pytest.mark.parametrize("n", [2, 3, 10, 100, 10_000])
def test_figure_density_axis_fits_the_peak(figure, n):
    figure.update(n=n)
    peak = max(figure.exact.get_ydata().max(), figure.hist.get_xy()[:, 1].max())
    top = figure.ax_h.get_ylim()[1]
    assert peak <= top < 1.6 * peak


# ---------------------------------------------------------------------------- the opening picture and step 5
def test_sphere_band_share_follows_the_exact_law():
    """The drawn directions' share in the band agrees with P(|theta - pi/2| < eps) within 4 binomial
    s.e., and points inside the band are drawn in the band's colour, on the sphere's disc."""
    import math

    from theory_lib.figures.angles.sphere import EPS_DEG, IN_BAND, POINTS, SphereBandFigure

    fig = SphereBandFigure(offscreen=True)
    try:
        for n in (2, 3, 10, 100, 1000):
            fig.update(n=n)
            p = ag.prob_near_orthogonal(n, math.radians(EPS_DEG))
            assert fig.p_band == pytest.approx(p)
            assert abs(fig.share - p) <= 4 * math.sqrt(max(p * (1 - p), 1e-4) / POINTS) + 1e-9
            xy = np.concatenate([fig.front.get_offsets(), fig.back.get_offsets()])
            assert len(xy) == POINTS and np.all(np.hypot(xy[:, 0], xy[:, 1]) <= 1 + 1e-12)
            rgb = np.concatenate([fig.front.get_facecolors(), fig.back.get_facecolors()])[:, :3]
            blue = np.all(np.isclose(rgb, IN_BAND[:3]), axis=1)
            assert blue.sum() == fig.in_band.sum()
        fig.update(n=3)  # Archimedes: the band holds sin(eps) of the ordinary sphere
        assert fig.p_band == pytest.approx(math.sin(math.radians(EPS_DEG)), rel=1e-12)
    finally:
        fig.close()


def test_laplace_figure_draws_both_sides_on_one_axis():
    """The exact curve is a density of z (mass 1 inside the window once n >= 10) and closes in on the
    fixed normal: the variance ratio 1/(n-2) / Var falls towards 1 and the largest gap shrinks."""
    from theory_lib.figures.angles.steps import LaplaceFigure

    fig = LaplaceFigure(offscreen=True)
    try:
        ratios, gaps = [], []
        for n in (3, 10, 100, 1000):
            fig.update(n=n)
            z, p = fig.exact.get_data()
            if n >= 10:
                assert np.trapezoid(p, z) == pytest.approx(1.0, abs=1e-3)
            assert fig.ratio == pytest.approx(1 / (n - 2) / ag.angle_variance(n))
            ratios.append(fig.ratio)
            gaps.append(fig.peak_gap)
        assert ratios == sorted(ratios, reverse=True) and ratios[-1] < 1.002 < 2 < ratios[0]
        assert gaps == sorted(gaps, reverse=True)
    finally:
        fig.close()
