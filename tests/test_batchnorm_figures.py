"""Batch normalisation, lesson 06's figures: their verdicts, axes and readouts agree with the runs."""

from __future__ import annotations

import numpy as np
import pytest


# ------------------------------------------------------------------ lesson 06's figures show the truth
def test_batch_size_verdict_is_computed_from_the_losses():
    from theory_lib.figures.batchnorm import batch_size_verdict

    nan = float("nan")
    # lesson 06 at η = 0.01: BN after loses to no BN at batch 64 too, so batch 2 cannot show the claim
    assert batch_size_verdict(0.268, 0.278, 0.127, 0.135).startswith("not testable")
    assert batch_size_verdict(0.30, 0.40, 0.375, 0.0845).startswith("supports")
    assert batch_size_verdict(nan, 0.36, 0.375, 0.0845).startswith("does not support")  # no BN diverged at 2
    assert batch_size_verdict(0.2, nan, 0.375, 0.0845).startswith("supports")  # BN diverged at 2
    assert batch_size_verdict(0.2, 0.1, nan, nan).startswith("not testable")


def test_least_squares_figure_axes_fit_the_data_and_label_the_standardized_weights():
    from theory_lib.figures.batchnorm import LeastSquaresBNFigure

    fig = LeastSquaresBNFigure(offscreen=True)
    try:
        assert "v_1" in fig.ax_land[2].get_xlabel() and "v_2" in fig.ax_land[2].get_ylabel()
        assert "w_1" in fig.ax_land[0].get_xlabel()
        assert fig.ax_loss.get_xlim() == (0, 50)  # 30 steps on a 1-2-5 bracket, not the slider's 100
        lo, hi = fig.ax_loss.get_ylim()
        drawn = np.concatenate([c.get_ydata() for c in fig.curves])
        assert lo <= drawn.min() and drawn.max() <= hi and hi / drawn.max() < 1e3 and drawn.min() / lo < 1e3
        styles = {c.get_linestyle() for c in fig.curves}
        assert len(styles) == 3
    finally:
        fig.close()


def test_least_squares_figure_shows_divergence_and_steps_still_matter():
    """At η = 3 every run diverges at once: each path ends on its panel's edge with a mark, the
    loss panel draws each curve up to where it passes the top, and the steps change what is said."""
    from theory_lib.figures.batchnorm import LeastSquaresBNFigure

    fig = LeastSquaresBNFigure(offscreen=True, lr=3.0)
    try:
        for ax, path, mark in zip(fig.ax_land, fig.paths, fig.exits, strict=True):
            r = ax.get_xlim()[1]
            x, y = mark.get_data()
            assert len(x) == 1 and max(abs(x[0]), abs(y[0])) == pytest.approx(r)
            assert np.abs(np.asarray(path.get_xydata())).max() <= r * (1 + 1e-9)
        for curve, mark in zip(fig.curves, fig.curve_exits, strict=True):
            assert len(curve.get_xdata()) >= 2  # a visible line, not an empty panel
            assert len(mark.get_xdata()) == 1 and mark.get_ydata()[0] == fig.ax_loss.get_ylim()[1]
        assert fig.readout.count("diverges") == 3
        before = fig.readout
        fig.update(steps=60)
        assert fig.readout != before and "After 60 steps" in fig.readout
    finally:
        fig.close()


def test_landscape_figure_limits_follow_what_is_drawn():
    """At η = 0.3 the plain net diverges at step 4: one probed point, no line; the limits follow
    the BN curves, and the divergence is marked on the top edge."""
    from theory_lib.figures.batchnorm import LandscapeBNFigure, probe_run

    fig = LandscapeBNFigure(offscreen=True, lr=0.3)
    try:
        none = probe_run("none", 0.3, 64, 3.0)
        assert none.diverged_at >= 0
        for ax, pairs, marks, key in zip(fig.axes, fig.lines, fig.div_marks, fig.KEYS, strict=True):
            (raw_none, _), (raw_bn, _) = pairs
            assert len(raw_none.get_xdata()) == 0
            bn = np.asarray(raw_bn.get_ydata())
            lo, hi = ax.get_ylim()
            assert hi / bn.max() <= 10 and bn.min() / lo <= 10, f"{key}: limits do not follow the BN curve"
            assert list(marks[0].get_xdata()) == [none.diverged_at] and marks[0].get_ydata()[0] == hi
        assert LandscapeBNFigure.controls["batch_size"].reachable(16)
        assert "BN trains" in fig.readout
    finally:
        fig.close()


def test_landscape_figure_readout_says_bn_loses_at_the_default():
    from theory_lib.figures.batchnorm import LandscapeBNFigure, probe_run

    fig = LandscapeBNFigure(offscreen=True)
    try:
        none, bn = probe_run("none", 0.01, 64, 3.0), probe_run("after", 0.01, 64, 3.0)
        a, b = none.full_loss[-1].item(), bn.full_loss[-1].item()
        assert ("does not help" in fig.readout) == (b >= a)
    finally:
        fig.close()


def test_opening_picture_valley_is_the_hessian_ellipse():
    """Each drawn contour satisfies (w − w*)ᵀ E[xxᵀ] (w − w*)/2 = its level; the centered panel does not move with μ,
    and the raw valley's κ is that of Σ + μμᵀ."""
    import numpy as np

    from theory_lib import batchnorm as bnm
    from theory_lib.figures.batchnorm import ValleyFigure, regression_data
    from theory_lib.figures.batchnorm.valley import LEVELS

    fig = ValleyFigure()
    try:
        centered = None
        for mean in (0.0, 2.0, 4.0):
            fig.update(mean=mean)
            for panel, mode in enumerate((None, "center")):
                x, _ = bnm.normalize_inputs(regression_data(mean, 1.0)[0], None, mode)
                M = bnm.second_moment(x).numpy()
                for seg, level in zip(fig.contours[panel].get_segments(), LEVELS, strict=True):
                    q = np.einsum("ni,ij,nj->n", seg, M, seg) / 2
                    assert np.allclose(q, level, rtol=1e-9)
            if centered is None:
                centered = [s.copy() for s in fig.contours[1].get_segments()]
            assert all(np.allclose(a, b) for a, b in zip(centered, fig.contours[1].get_segments(), strict=True))
        assert fig.kappa[0] > 10 * fig.kappa[1] and fig.L[0] > 10 * fig.L[1]
    finally:
        fig.close()


def test_noisy_bn_shifts_more_and_still_trains_better_than_no_bn():
    """Santurkar et al.'s point at the lesson's setting: noisy BN's layer inputs move per step far more than
    without BN, yet it ends far below the plain net, near BN."""
    from theory_lib.figures.batchnorm import NoisyBNFigure

    fig = NoisyBNFigure()
    try:
        for noise in (0.5, 1.0):
            fig.update(noise=noise)
            s, f = fig.shift, fig.final
            assert s["noisy"] > 10 * s["none"] > 10 * s["bn"]
            assert f["bn"] < f["noisy"] < f["none"]
            assert f["noisy"] - f["bn"] < f["none"] - f["noisy"]  # nearer to BN than to the plain net
    finally:
        fig.close()


def test_log_brackets_stay_finite_for_a_diverging_run():
    """A diverged loss near the float maximum gets a finite bracket, not 10^309 (an OverflowError in
    the browser sweep of lesson 06 at η = 0.3); ordinary values keep their power-of-1000 brackets."""
    from theory_lib.figures.batchnorm.landscapes import _ladder

    assert _ladder(1e307, up=True) == 1e300 and _ladder(1e-320, up=False) == 1e-300
    assert _ladder(5.0, up=True) == 1e3 and _ladder(5.0, up=False) == 1.0
