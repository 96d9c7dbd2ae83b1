"""The RNN gradient figure's contract: the library's profiles and rates, drawn and blitted, λ with its window."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import rnn


# ---------------------------------------------------------------- the figure's contract
def test_figure_slices_a_cached_run_and_blits_cell_and_length_moves():
    from theory_lib.figures import rnn as fig_rnn

    fig = fig_rnn.RNNGradientFigure()
    try:
        fig.fig.canvas.draw()
        full = []
        fig.fig.canvas.mpl_connect("draw_event", full.append)
        computed = fig_rnn.gradients.compute([(1.0, 0.0)])  # already cached: nothing new
        fig.update(cell="gru")
        fig.update(T=120)  # same x bracket (up to 150) as the default T = 150
        assert not full, "changing the cell or T within a bracket should only blit"
        assert computed == 0 and (1.0, 0.0) in fig_rnn.gradients._CACHE
        # what is drawn is the library's profile, sliced: lags 0..T of one run of length T_MAX
        prof = rnn.gradient_profile("gru", fig_rnn.T_MAX, fig_rnn.HIDDEN, 1.0, 0.0, seed=fig_rnn.SEED)  # alone
        x, y = fig.lines["gru"].get_data()
        np.testing.assert_array_equal(x, np.arange(121))
        np.testing.assert_allclose(y, torch.flip(prof.state, [0])[:121].numpy() / math.log(10), rtol=1e-12)
        assert "gru" in fig.readout and "<b>gru" in fig.readout
    finally:
        fig.close()


def test_a_strip_computes_its_positions_in_batches_that_draw_what_a_fresh_figure_draws(monkeypatch):
    """prepare_strip (called by the live canvas before each strip frame) computes the coming scales in
    one batched run; the frames then draw from the cache, and each curve is the one a figure computing
    that setting alone draws, at s = 3 too, where the tanh RNN is chaotic."""
    from theory_lib.figures import rnn as fig_rnn
    from theory_lib.figures.web import STRIP_PREPARE

    fig = fig_rnn.RNNGradientFigure()
    try:
        fig.update(weight_scale=3.0)
        calls = []
        real = rnn.gradient_profile_grid
        monkeypatch.setattr(rnn, "gradient_profile_grid", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
        values = [3.0, 3.05, 2.95, 3.1, 2.9, 3.15, 2.85, 3.2, 2.8][:STRIP_PREPARE]
        for key in [fig_rnn.quantise(v, 0.0) for v in values]:
            fig_rnn.gradients._CACHE.pop(key, None)
        fig.prepare_strip("weight_scale", values)
        assert calls == [[fig_rnn.quantise(v, 0.0) for v in values]], "one batched run for the coming positions"
        for v in values:
            fig.update(weight_scale=v)
        fig.prepare_strip("T", [10, 20])  # the length slider slices the cached run: nothing to compute
        assert len(calls) == 1, "the strip's frames drew from the cache"
        batched = fig_rnn.profiles(3.0, 0.0)
        fig_rnn.gradients._CACHE.pop((3.0, 0.0))
        alone = fig_rnn.profiles(3.0, 0.0)
        assert calls[-1] == [(3.0, 0.0)]
        for cell in rnn.CELLS:
            assert np.array_equal(batched[cell]["state"], alone[cell]["state"]), cell
    finally:
        fig.close()


def test_figure_rates_are_the_library_decay_rates():
    from theory_lib.figures import rnn as fig_rnn

    prof = fig_rnn.profiles(1.0, 0.0)["lstm"]["state"]  # by lag
    T = 300
    slope, _ = fig_rnn.fit_line(prof[: T + 1] / math.log(10))
    expected = rnn.decay_rate(torch.from_numpy(prof[: T + 1][::-1].copy()))
    assert -slope * math.log(10) == pytest.approx(expected, rel=1e-10)


def test_figure_states_lambda_with_its_window_and_says_saturates():
    """Issue 15: λ depends on T; the readout quotes T and the window, the table helper agrees with the
    figure, and growth that levels off is called "saturates" with no slope line drawn."""
    from theory_lib.figures import rnn as fig_rnn

    fig = fig_rnn.RNNGradientFigure()
    try:
        assert fig.params["T"] == 150 and fig.controls["T"].value == 150
        lam = fig_rnn.fits(1.0, 0.0, 150)["lstm"]
        assert "T = 150, fit over lags 15–150" in fig.readout and f"λ = <b>{lam.rate:.3g}</b>" in fig.readout
        fig.update(gate_bias=6.0, T=500)
        sat = fig_rnn.fits(1.0, 6.0, 500)["lstm"]
        assert sat.verdict == "saturates"
        assert "lstm saturates" in fig.readout and "doubles every" not in fig.readout
        assert len(fig.fit.get_xdata()) == 0, "no slope line where there is no rate"
        # the same cell and settings at another T give another λ: both are quoted with their T
        fig.update(gate_bias=4.0, T=150)
        short = fig_rnn.fits(1.0, 4.0, 150)["lstm"].rate
        long = fig_rnn.fits(1.0, 4.0, 2000)["lstm"].rate
        assert f"{short:.3g}" in fig.readout and short != long
        fig.update(T=2000)
        assert "T = 2000, fit over lags 200–2000" in fig.readout and f"{long:.3g}" in fig.readout
    finally:
        fig.close()


def test_figure_axes_fit_the_data_and_every_cell_stays_visible():
    from theory_lib.figures import rnn as fig_rnn

    fig = fig_rnn.RNNGradientFigure()
    try:
        fig.fig.canvas.draw()
        assert fig.ax.get_xlim() == (0.0, 150.0) and fig.ax2.get_xlim() == (0.0, 150.0)
        for ax in (fig.ax, fig.ax2):  # the floor is within a bracket (+4 % pad) of the data
            low = min(np.nanmin(line.get_ydata()) for line in ax.lines if len(line.get_ydata()) > 2)
            bottom, top = ax.get_ylim()
            assert bottom <= low and (top - bottom) <= 1.3 * (top - low), (ax.get_title(), bottom, low)
        styles = {(line.get_marker(), line.get_linestyle()) for line in fig.lines.values()}
        assert len(styles) == 4, "the four cells differ by marker as well as colour"
        for line in fig.lines.values():
            assert line.get_alpha() in (None, 1.0) and line.get_linewidth() >= 1.0
    finally:
        fig.close()


# ---------------------------------------------------------------- the opening picture and step 2's figure
def test_opening_bars_are_the_library_products_and_fit_the_axes():
    from theory_lib.figures.rnn import opening

    fig = opening.BackpropFigure()
    try:
        for s in (0.5, 1.0, 3.0, 5.0):  # the slider's ends and two named values
            fig.update(weight_scale=s)
            p = rnn.init_params("rnn-tanh", opening.HIDDEN, s, seed=opening.SEED)
            ell = rnn.log_product_norms(rnn.state_jacobians("rnn-tanh", opening.inputs(), p).state).numpy()
            np.testing.assert_allclose(fig.log10_sizes, ell / math.log(10), rtol=1e-12)
            heights = np.array([path.vertices[1, 1] for path in fig.bars.get_paths()])  # (x0, y) corner
            np.testing.assert_allclose(heights, fig.log10_sizes, atol=1e-12)  # no bar is clipped
            np.testing.assert_allclose(fig.cell_factors.sum(), fig.log10_sizes[0], atol=1e-9)  # factors telescope
        fig.update(weight_scale=0.5)
        assert fig.grew == 0 and fig.total < -10, "at s = 0.5 every cell shrinks the gradient"
        fig.update(weight_scale=5.0)
        assert fig.total > 0 and "grows to" in fig.readout
    finally:
        fig.close()


def test_bound_figure_draws_both_sides_and_the_bound_holds():
    from theory_lib.figures.rnn import steps

    fig = steps.BoundFigure()
    try:
        for s in (0.5, 1.0, 3.0, 5.0):
            fig.update(weight_scale=s)
            k, bound = fig.bound.get_data()
            U = rnn.init_params("rnn-tanh", steps.HIDDEN, s, seed=steps.SEED)["weight_hh"]
            np.testing.assert_allclose(bound, k * math.log10(torch.linalg.matrix_norm(U, ord=2).item()), rtol=1e-12)
            for line in (fig.tanh, fig.relu):
                y = line.get_ydata()
                assert np.all(y <= bound + 1e-9), f"s = {s}: a product above the bound"
                assert steps.Y_LIM[0] <= y.min() and max(y.max(), bound.max()) <= steps.Y_LIM[1], "clipped"
    finally:
        fig.close()
