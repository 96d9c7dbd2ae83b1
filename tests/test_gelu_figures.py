"""GELU's approximations, lesson 17's figures: what they show at the values the lesson names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory_lib import gelu as g


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_minimax_peaks_equal_at_the_published_c_and_not_at_taylor():
    from theory_lib.figures.gelu import MinimaxFigure

    fig = _figure(MinimaxFigure, c=0.0447149)
    try:
        p = fig.peak_values
        assert len(p) == 2 and p[0] * p[1] < 0 and abs(abs(p[0]) - abs(p[1])) < 1e-3 * fig.worst
        x, y = fig.curve.get_data()  # the drawn curve reaches the two dashed bands, no further
        assert np.abs(y).max() == pytest.approx(fig.worst * 1e4, rel=1e-4)
        assert fig.bands[0].get_ydata()[0] == pytest.approx(fig.worst * 1e4)
        fig.update(c=0.0455399)
        assert len(fig.peak_values) == 1 and fig.worst / fig.best == pytest.approx(1.752, abs=2e-3)
        assert "1.7520 times" in fig.readout
        fig.update(c=0.044715)
        assert fig.worst - fig.best < 1e-4 * fig.best  # the published c: 1.0001 times the min–max error
    finally:
        fig.close()


def test_logistic_marks_and_the_v_of_the_max_error():
    from theory_lib.figures.gelu import LogisticFigure
    from theory_lib.figures.gelu.logistic import LAMS, max_error_curve

    fig = _figure(LogisticFigure, lam=1.70174)
    try:
        assert fig.worst == pytest.approx(fig.best[1], rel=1e-4)
        curve = max_error_curve()
        assert abs(LAMS[np.argmin(curve)] - 1.7017) < 2.5e-3  # the grid's minimum sits at the min–max λ
        fig.update(lam=1.59577)  # slope matched at 0: about 1.87 times worse
        assert fig.worst == pytest.approx(g.gelu_max_error("sigmoid", 4 / math.sqrt(2 * math.pi)), rel=1e-4)
        assert fig.worst > 1.8 * fig.best[1]
        assert fig.dot.get_data()[1][0] == fig.worst
    finally:
        fig.close()


@pytest.mark.parametrize(
    "name, control, artists",
    [
        # at λ = 1.9 the error reaches −0.0328: with limits ±0.03 its trough, circle and dot left the axes
        ("LogisticFigure", "lam", ("curve", "top", "dot")),
        # from c = 0.043 to 0.047 the error reached 7.3·10⁻⁴ and its largest peak left the ±4·10⁻⁴ axes
        ("MinimaxFigure", "c", ("curve", "peaks", "top")),
    ],
)
def test_the_error_and_its_marks_stay_inside_the_axes_over_the_slider(name, control, artists):
    from theory_lib.figures import gelu

    cls = getattr(gelu, name)
    spec = cls.controls[control]
    fig = _figure(cls)
    try:
        for v in sorted({*spec.grid()[::10], spec.max, *spec.named}):
            fig.update(**{control: v})
            for artist in artists:
                line = getattr(fig, artist)
                lo, hi = line.axes.get_ylim()
                y = np.asarray(line.get_ydata(), dtype=float)
                assert len(y) and lo <= y.min() and y.max() <= hi, f"{control} = {v}: {artist} leaves the axes"
    finally:
        fig.close()


def test_criteria_only_minimax_reproduces_both_constants_and_levels_differ():
    from theory_lib.figures.gelu import CriteriaFigure

    fig = _figure(CriteriaFigure)
    try:
        for form, published in (("tanh", g.TANH_C), ("sigmoid", g.SIGMOID_LAMBDA)):
            fig.update(form=form, level="phi", a="fixed")
            digits = 6 if form == "tanh" else 3
            hits = [k for k in g.CRITERIA if round(fig.rows[k][0], digits) == published]
            assert hits == ["minimax"]
            _, y = fig.lines["minimax"].get_data()
            assert np.abs(y).max() == pytest.approx(1.0, abs=1e-4)  # touches ±1 by construction
            assert all(np.abs(fig.lines[k].get_data()[1]).max() > 1.0 for k in g.CRITERIA if k != "minimax")
        fig.update(form="tanh", level="gelu", a="fixed")
        assert abs(fig.rows["minimax"][0] - 0.0443829) < 1e-7  # the GELU-level c
        fig.update(a="free")
        assert fig.rows["minimax"][1] != g.TANH_A and fig.rows["minimax"][2] < 0.8 * fig.rows["published"][2]
        fig.update(form="sigmoid")
        assert fig.inactive() == {"a"}
    finally:
        fig.close()


def test_criteria_read_off_at_the_minimax_peaks():
    """The read-off slider: at the min–max fit's two peaks (x ≈ 1.2421 and 2.5922, tanh form, Φ
    level) its error is ±1 of itself to within the slider's 0.01 step, with opposite signs."""
    from theory_lib.figures.gelu import CriteriaFigure

    fig = _figure(CriteriaFigure)
    try:
        signs = []
        for at in (1.24, 2.59):
            fig.update(form="tanh", level="phi", a="fixed", at=at)
            assert abs(abs(fig.read["minimax"]) - 1.0) < 2e-3, fig.read
            assert list(fig.marker.get_xdata()) == [at, at] and f"x = {at:.2f}" in fig.readout
            signs.append(np.sign(fig.read["minimax"]))
        assert signs[0] == -signs[1], "the two peaks alternate in sign"
    finally:
        fig.close()
