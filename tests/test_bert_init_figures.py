"""BERT's 0.02, lesson 04's figures: what they open at, draw and say agrees with the maths."""

from __future__ import annotations

import math

import numpy as np

from theory_lib import bert_init as bi


# ------------------------------------------------------------------ lesson 04's figures show the truth
def test_truncation_figure_opens_at_the_article_values_and_agrees_with_the_table():
    """d = 768 and std 0.02 exactly (not 765 and 0.0198); the readout's ratio is the lesson table's
    actual·√768; the headline values and the table's sizes can be set exactly."""
    from theory_lib.figures.bert_init import TruncationFigure

    spec = TruncationFigure.controls
    assert (spec["d"].value, spec["std"].value, spec["bound"].value) == (768, 0.02, 2.0)
    for d in (256, 768, 1024, 4096):
        assert spec["d"].reachable(d)
    assert spec["std"].reachable(0.02) and spec["bound"].reachable(1.0)
    fig = TruncationFigure(offscreen=True)
    try:
        table = bi.truncated_normal_std(0.02) * math.sqrt(768)  # the lesson's "BERT-base" row
        assert f"ratio actual/Xavier = <b>{table:.3f}</b>" in fig.readout
        assert f"{table:.3f}" == "0.488"
    finally:
        fig.close()


def test_truncation_figure_marks_a_crossing_beyond_the_axis():
    from theory_lib.figures.bert_init import TruncationFigure

    fig = TruncationFigure(offscreen=True, d=8192, std=0.002, bound=4.0)  # d* ≈ 250 000, off the axis
    try:
        x, _ = fig.cross_point.get_data()
        assert x[0] == TruncationFigure.D_LIM[1] and fig.cross_point.get_marker() == ">"
        assert "250,2" in fig.cross_text.get_text()
        fig.update(std=0.02, bound=2.0)  # d* ≈ 3231, on the axis: the plain cross, no note
        assert fig.cross_point.get_marker() == "x" and fig.cross_text.get_text() == ""
    finally:
        fig.close()


def test_toy_stack_collapsed_runs_stay_visible_on_the_mean_line():
    """At the maximum learning rate, Post Norm runs without warmup collapse onto the constant
    predictor's loss: each is drawn above the reference line with its own markers, at steps of
    its own, and the line's label counts them."""
    from theory_lib.figures.bert_init import ToyStackFigure

    fig = ToyStackFigure(offscreen=True, lr=3e-2)
    try:
        fig.fig.canvas.draw()
        lines = fig.cold_lines + fig.warm_lines
        stuck = [ln for ln in lines if len(ln.get_ydata()) and ToyStackFigure.is_collapsed(np.asarray(ln.get_ydata()))]
        assert len(stuck) >= 2  # several runs on the same line: the case the figure must show
        ref = fig.constant
        for ln in stuck:
            assert ln.get_zorder() > ref.get_zorder() and ln.get_linewidth() > ref.get_linewidth()
            assert ln.get_marker() not in ("None", "", None)
        marks = {(ln.get_marker(), ln.get_markerfacecolor() == "white", ln.get_markevery()) for ln in stuck}
        assert len(marks) == len(stuck), "two collapsed runs drawn with the same markers at the same steps"
        assert f"{len(stuck)} runs collapsed onto it" in fig.constant_text.get_text()
        # the reference line is still readable: its label says what it is
        assert "predicting the mean" in fig.constant_text.get_text()
    finally:
        fig.close()


def test_residual_figure_tells_post_from_pre_without_colour():
    from theory_lib.figures.bert_init import ResidualWeightsFigure

    fig = ResidualWeightsFigure(offscreen=True, sigma=0.01)  # the two curves coincide (weights ≈ 1)
    try:
        assert fig.post_x0.get_linestyle() != fig.pre_x0.get_linestyle()
        assert (fig.post_w.get_linestyle(), fig.post_w.get_marker()) != (
            fig.pre_w.get_linestyle(),
            fig.pre_w.get_marker(),
        )
        assert ResidualWeightsFigure.controls["sigma"].reachable(0.49)  # "try this" 2
        assert ResidualWeightsFigure.controls["depth"].reachable(24)
    finally:
        fig.close()


# ------------------------------------------------------------------ the opening picture and the MLM step
def test_residual_paths_draw_the_weights_of_the_maths():
    """Every path's width is the weight bert_init gives it: x_0's along the highway (thinning at each
    Post Norm LN, untouched in Pre Norm until the final LN), each F_k's its weight in x_l; the numbers say
    the same; BERT's sigma is on the slider."""
    from theory_lib.figures.bert_init.paths import (
        DEPTH,
        SIGMA_BERT,
        WIDTH_MIN,
        WIDTH_SCALE,
        ResidualPathsFigure,
    )

    assert SIGMA_BERT == round(math.sqrt(768) * bi.truncated_normal_std(0.02), 2) == 0.49
    assert ResidualPathsFigure.controls["sigma"].reachable(SIGMA_BERT)
    fig = ResidualPathsFigure(offscreen=True)
    try:
        for sigma in (1.0, SIGMA_BERT, 3.0):
            fig.update(sigma=sigma)
            post = bi.post_norm_weights(DEPTH, sigma).numpy()
            pre = bi.pre_norm_weights(DEPTH, sigma).numpy()
            width = lambda w: WIDTH_MIN + WIDTH_SCALE * np.asarray(w)  # noqa: E731
            hw_post = np.asarray(fig.highway["post"].get_linewidths())
            hw_pre = np.asarray(fig.highway["pre"].get_linewidths())
            a = 1 / math.sqrt(1 + sigma * sigma)
            assert np.allclose(np.unique(hw_post)[::-1], width(a ** np.arange(DEPTH + 1)))  # one width per LN passed
            assert np.allclose(hw_post[-1], width(post[0])) and np.allclose(hw_pre[-1], width(pre[0]))
            assert np.allclose(hw_pre[:-1], width(1.0))  # Pre Norm: the highway is untouched until the final LN
            for norm, w in (("post", post), ("pre", pre)):
                branch = np.asarray(fig.branches[norm].get_linewidths())
                assert np.allclose(branch, width(w[1:][fig.branch_of[norm]]))
                assert [t.get_text() for t in fig.labels[norm]] == [f"{v:.3g}" for v in w]
    finally:
        fig.close()


def test_mlm_figure_agrees_with_the_formula_where_it_holds_and_shows_where_it_does_not():
    from theory_lib.figures.bert_init.mlm import GAIN_1NAT, TAU_1, VOCAB, MlmLogitsFigure

    assert TAU_1 == bi.mlm_logit_std(768) and MlmLogitsFigure.controls["gain"].reachable(GAIN_1NAT)
    fig = MlmLogitsFigure(offscreen=True)
    try:
        assert fig.tau == TAU_1 and fig.gap_formula == bi.softmax_uniformity_gap(TAU_1)
        assert abs(fig.gap_sampled - fig.gap_formula) < 0.02 * fig.gap_formula
        _, p = fig.probs.get_data()
        assert p[0] > 1 / VOCAB > p[-1] and np.all(np.diff(p) <= 0)  # sorted, around the uniform line
        fig.update(gain=GAIN_1NAT)
        assert abs(fig.gap_sampled - 1.0) < 0.05
        fig.update(gain=8.0)  # exp(tau^2) far above V: the samples fall below the formula
        assert fig.gap_sampled < 0.9 * fig.gap_formula
        assert f"<b>{fig.gap_sampled:.3g}</b> nats from uniform" in fig.readout
    finally:
        fig.close()
