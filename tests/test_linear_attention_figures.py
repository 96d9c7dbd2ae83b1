"""Linear attention, lesson 09's figures: what they draw and say agrees with the maths and the article."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import linear_attention as la


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_opening_blocks_are_to_scale_and_the_ratio_is_n_over_d():
    from theory_lib.figures.linear_attention import ProductOrderFigure

    fig = _figure(ProductOrderFigure, n=512)
    try:
        assert fig.small.get_width() == pytest.approx(64 / 512) and fig.small.get_height() == pytest.approx(64 / 512)
        heights = [b.get_height() for b in fig.bars]
        assert heights[0] == heights[1] == 512 * 512 * 64 and heights[2] == heights[3] == 512 * 64 * 64
        assert fig.ratio == 8 and "<b>8 times</b>" in fig.readout
        lo, hi = fig.ax_c.get_ylim()
        for n in (16, 4096):  # every bar fits the fixed axis
            fig.update(n=n)
            assert all(lo <= b.get_height() <= hi for b in fig.bars)
    finally:
        fig.close()


@pytest.mark.parametrize("d", [16, 64, 128])
def test_cost_curves_cross_at_n_equal_d_and_memory_at_d_squared(d):
    from theory_lib.figures.linear_attention import CostFigure

    fig = _figure(CostFigure, d=d)
    try:
        n, soft = fig.soft_f.get_data()
        lin = fig.lin_f.get_ydata()
        cross = n[np.argmax(soft >= lin)]  # the first n where softmax costs at least as much
        assert abs(math.log(cross / d)) < 0.05
        assert fig.cross_f.get_xdata()[0] == d and fig.cross_m.get_xdata()[0] == d * d
        cum, mem = fig.cum_m.get_ydata(), fig.soft_m.get_ydata()
        if d * d <= n[-1]:
            assert abs(math.log(n[np.argmax(mem >= cum)] / d**2)) < 0.05
        for ax in (fig.ax_f, fig.ax_m):
            lo, hi = ax.get_ylim()
            for line in ax.lines:
                y = np.asarray(line.get_ydata(), dtype=float)
                if len(y) > 2:  # the curves (not the marker pair or the crossover line)
                    assert y.min() >= lo and y.max() <= hi
    finally:
        fig.close()


def test_gallery_softmax_sharpens_with_c_while_elu_stays_flat():
    """The article's picture: as c grows softmax's rows concentrate; elu + 1 stays near log n."""
    from theory_lib.figures.linear_attention import AttentionMapFigure

    fig = _figure(AttentionMapFigure, c=0.5)
    try:
        soft_low, elu_low = fig.entropy_soft, fig.entropy_other
        fig.update(c=5.0)
        assert fig.entropy_soft < soft_low - 1.5  # softmax sharpens
        assert fig.entropy_other > math.log(16) - 0.6 and abs(fig.entropy_other - elu_low) < 0.6
        assert np.allclose(fig.im_s.get_array().sum(-1), 1) and np.allclose(fig.im_o.get_array().sum(-1), 1)
    finally:
        fig.close()


def test_gallery_double_softmax_has_row_sums_one_and_rank_at_most_d():
    from theory_lib.figures.linear_attention import AttentionMapFigure
    from theory_lib.figures.linear_attention.gallery import D, N

    fig = _figure(AttentionMapFigure, similarity="softmax₂·softmax₁", c=3.0)
    try:
        w = np.asarray(fig.im_o.get_array())
        assert np.allclose(w.sum(-1), 1, atol=1e-12)
        assert np.linalg.matrix_rank(w) <= min(D, N)
        # its output differs from the general form with phi = softmax (queries) and exp (keys)
        q, k = (t * 3.0 for t in fig_qk())
        general = la.linear_attention(q, k, torch.eye(N, dtype=torch.float64), lambda x: torch.softmax(x, -1))
        assert float((general - torch.as_tensor(w)).abs().max()) > 1e-3
    finally:
        fig.close()


def fig_qk():
    from theory_lib.figures.linear_attention.gallery import _qk

    return _qk()


@pytest.mark.parametrize("i", [1, 5, 10])
def test_rnn_stepper_output_row_is_the_masked_row(i):
    from theory_lib.figures.linear_attention import RnnStepperFigure, rnn_data

    fig = _figure(RnnStepperFigure, i=i)
    try:
        data = rnn_data()
        want = data["weights"][i - 1] @ data["v"]
        assert np.allclose([b.get_height() for b in fig.bars], want, atol=1e-12)
        assert np.allclose(fig.cum.get_ydata(), want, atol=1e-12)
        assert fig.gap < 1e-12 and fig.row_box.get_y() == i - 1.5
        state = np.asarray(fig.im_s.get_array())
        phi = la.features(torch.as_tensor(data["k"][:i])).numpy()
        assert np.allclose(state[:, :-1], phi.T @ data["v"][:i]) and np.allclose(state[:, -1], phi.sum(0))
    finally:
        fig.close()
