"""Word-embedding dimension, lesson 08's figures: what they draw and say agrees with the maths."""

from __future__ import annotations

import math

import numpy as np
import pytest


# ---------------------------------------------------------------- what the lesson's figures show
def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_histogram_uses_every_pair_asked_for_and_resolves_p_n():
    """At n = 10^5 the histogram holds all S = 10^4 pairs (it used to keep 2 of them), in bins
    narrow enough that its area matches that of p_n drawn on the same scale."""
    from theory_lib.figures.embedding import EntropyCoefficientFigure, pair_cosines

    fig = _figure(EntropyCoefficientFigure, n=100_000)
    try:
        eta, _, _ = pair_cosines(100_000, 10_000)
        assert eta.shape == (10_000,)
        x, y = fig.hist.get_data()
        hist_area = np.sum(np.diff(x[::2]) * y[1:-1:2])  # outline: x = e0 e0 e1 e1 ..., y = 0 h0 h0 h1 h1 ... 0
        px, py = fig.p_line.get_data()
        assert hist_area == pytest.approx(np.trapezoid(py, px), rel=0.03)
        assert "S = 10,000 pairs" in fig.readout
    finally:
        fig.close()


def test_monte_carlo_diamond_follows_n_and_its_verdict_is_computed():
    from theory_lib.figures.embedding import EntropyCoefficientFigure

    fig = _figure(EntropyCoefficientFigure, samples=100)
    try:
        fig.update(n=2)
        assert fig.mc_n.get_xdata()[0] == 2 and "agrees" in fig.readout
        low = fig.mc_n.get_ydata()[0]
        fig.update(n=1000)
        assert fig.mc_n.get_xdata()[0] == 1000 and "off by more than" in fig.readout
        assert fig.mc_n.get_ydata()[0] != low
        assert fig.mc_n.get_ydata()[0] >= -math.log(100) / 1000  # above the floor
    finally:
        fig.close()


def test_limits_fit_the_data():
    from theory_lib.figures.embedding import DimensionFigure, EntropyCoefficientFigure

    fig = _figure(DimensionFigure)
    try:
        for params in ({}, {"eps": 0.1, "N": 10**8}, {"base": "10", "N": 1000}):
            fig.update(**params)
            lo, hi = fig.ax.get_ylim()
            ys = np.concatenate([line.get_ydata() for line in fig.ax.lines if len(line.get_xdata()) > 2])
            assert lo <= ys.min() and ys.max() <= hi
            assert math.log(ys.max() / ys.min()) / math.log(hi / lo) > 0.7  # no empty decades
            lo, hi = fig.ax_h.get_ylim()
            for line in (fig.h_line, fig.lin_line):
                assert lo <= line.get_ydata().min() and line.get_ydata().max() <= hi
        labels = [t.get_text() for t in fig.ax.get_legend().get_texts()]
        drawn = [
            line.get_label() for line in fig.ax.lines if not line.get_label().startswith("_") and len(line.get_xdata())
        ]
        assert labels == drawn  # an entry for each line drawn, none for a line that is not
    finally:
        fig.close()
    fig = _figure(EntropyCoefficientFigure, samples=100, n=2)
    try:
        lo, hi = fig.ax.get_ylim()
        for seg in fig.bars.get_segments():
            assert lo <= seg[:, 1].min() and seg[:, 1].max() <= hi
        assert lo <= min(fig.mc_bar.get_ydata())
        hist_top = fig.hist.get_ydata().max()
        assert hist_top <= fig.ax_d.get_ylim()[1]
    finally:
        fig.close()


def test_dimension_control_is_an_integer_grid_opening_at_64():
    from theory_lib.figures.embedding import EntropyCoefficientFigure

    spec = EntropyCoefficientFigure.controls["n"]
    widget = spec.widget("n")
    assert widget.value == 64 and widget.label == "64"
    assert all(isinstance(v, int) for _, v in widget.options)
    assert {2, 10, 64, 100, 128, 256, 300, 1000, 100_000} <= set(spec.grid())


def test_opening_words_are_the_angle_law_and_the_cap_count_crosses_one():
    """The opening picture: its dots are the sampled angles, the cap holds cos θ > 1/φ, the right
    panel is N² P(cap) from angles.angle_cdf, inside its fixed limits, crossing 1 below the rule."""
    import torch

    from theory_lib import angles, embedding as em
    from theory_lib.figures.embedding import opening

    counts = opening.expected_in_cap()
    assert opening.COUNT_LIM[0] <= counts.min() and counts.max() <= opening.COUNT_LIM[1], "a count off the axes"
    assert np.all(np.diff(counts) < 0), "more dimensions, fewer pairs in the cap"
    fig = opening.WordsFigure()
    try:
        for n in (2, 8, 64, 128):
            fig.update(n=n)
            theta = opening.context_angles(n)
            xy = fig.dots.get_offsets()
            np.testing.assert_allclose(np.arccos(np.clip(xy[:, 1] / np.hypot(*xy.T), -1, 1)), theta, atol=1e-9)
            assert fig.in_cap == int((np.cos(theta) > 1 / opening.PHI).sum())
            p = angles.angle_cdf(torch.tensor(opening.CAP, dtype=torch.float64), n)
            assert fig.expected == pytest.approx(opening.WORDS**2 * float(p), rel=1e-12)
        n_star = opening.roomy_dimension()
        assert counts[n_star - opening.N_MIN] < 1 <= counts[n_star - 1 - opening.N_MIN]
        assert n_star < em.min_embedding_dim(opening.WORDS, "exact") < 1.5 * n_star, "same log N law, near the rule"
        fig.update(n=8)
        assert "crowded" in fig.readout and fig.in_cap > 0
    finally:
        fig.close()
