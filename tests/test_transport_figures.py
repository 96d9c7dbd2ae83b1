"""Optimal transport, lesson 16's figures: what they show at the values the lesson names."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.stats


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


@pytest.mark.parametrize("cost", ["euclidean", "rms", "cosine"])
@pytest.mark.parametrize("phi", [0.0, 90.0, 180.0])
def test_push_dirt_segments_carry_the_plan_and_the_bounds_hold(phi, cost):
    from theory_lib.figures.transport import PushDirtFigure

    fig = _figure(PushDirtFigure, phi=phi, cost=cost)
    try:
        r, plan = fig.r, fig.r["plan"]
        segs = fig.segments.get_segments()
        assert len(segs) == int((plan > 1e-9).sum())
        widths = np.asarray(fig.segments.get_linewidths())
        assert widths.sum() == pytest.approx(len(segs) + 24.0 * plan.sum(), rel=1e-9)  # width ∝ γ, γ sums to 1
        assert r["wcd"] <= r["wmd"] + 1e-9 and r["bound"] <= r["wrd"] + 1e-9 and r["wrd"] <= 2
        heights = [b.get_height() for b in fig.bars]
        assert heights == pytest.approx([r["wmd"], r["wcd"], r["wrd"], r["bound"]])
        if cost == "euclidean":  # WMD is at most any feasible plan's cost, e.g. the independent plan p q^T
            d = np.linalg.norm(r["x"][:, None] - r["y"][None], axis=-1)
            assert r["wmd"] <= d.mean() + 1e-12
            assert float((plan * d).sum()) == pytest.approx(r["wmd"], abs=1e-9)
    finally:
        fig.close()


def test_push_dirt_equal_lengths_give_a_permutation_plan():
    """Four words against four with uniform masses: the optimal plan is a permutation / 4 (Birkhoff)."""
    from theory_lib import transport as tp
    from theory_lib.figures.transport.dirt import B

    turned = B @ np.array([[0.0, 1.0], [-1.0, 0.0]])
    plan = tp.emd_plan(np.full(4, 0.25), np.full(4, 0.25), np.linalg.norm(B[:, None] - turned[None], axis=-1)).numpy()
    assert sorted(np.round(plan.ravel() * 4, 9).tolist()) == [0.0] * 12 + [1.0] * 4
    d = np.linalg.norm(B[:, None] - turned[None], axis=-1)
    brute = min(sum(d[i, s[i]] for i in range(4)) for s in itertools.permutations(range(4))) / 4
    assert tp.word_mover_distance(B, turned) == pytest.approx(brute, abs=1e-9)


def test_opening_figure_has_one_control_and_the_same_picture():
    from theory_lib.figures.transport import OpeningFigure, PushDirtFigure

    assert list(OpeningFigure.controls) == ["phi"]
    a, b = _figure(OpeningFigure, phi=45.0), _figure(PushDirtFigure, phi=45.0)
    try:
        assert a.r["wmd"] == b.r["wmd"] and "WMD" in a.title.get_text()
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize(
    "weights", [(0.2, 0.5, 0.3, 0.6, 0.1, 0.3), (1.0, 0.0, 0.0, 0.0, 0.0, 1.0), (0.3, 0.3, 0.3, 0.05, 0.9, 0.05)]
)
def test_cdf_figure_lp_equals_the_area_and_scipy(weights):
    from theory_lib.figures.transport import CdfFigure

    params = dict(zip(["p1", "p2", "p3", "q1", "q2", "q3"], weights, strict=True))
    fig = _figure(CdfFigure, **params)
    try:
        pos = np.arange(3.0)
        want = scipy.stats.wasserstein_distance(pos, pos, weights[:3], weights[3:])
        assert fig.lp == pytest.approx(want, abs=1e-9) and fig.area == pytest.approx(want, abs=1e-12)
        verts = fig.gap.get_paths()[0].vertices
        shoelace = 0.5 * abs(
            np.dot(verts[:, 0], np.roll(verts[:, 1], 1)) - np.dot(verts[:, 1], np.roll(verts[:, 0], 1))
        )
        assert shoelace == pytest.approx(want, abs=1e-9)  # the shaded polygon is the area
    finally:
        fig.close()


def test_cdf_article_example_is_four_tenths():
    from theory_lib.figures.transport import CdfFigure

    fig = _figure(CdfFigure)
    try:
        assert fig.lp == pytest.approx(0.4, abs=1e-9) and "0.400000" in fig.readout
    finally:
        fig.close()


def test_norm_figure_wrd_is_not_monotone_and_tends_to_the_lone_word():
    from theory_lib import transport as tp
    from theory_lib.figures.transport import NormFigure
    from theory_lib.figures.transport.norm import X, Y, curve

    values, changes = curve()
    assert len(changes) >= 1
    fig = _figure(NormFigure, s=1.0)
    try:
        at1 = fig.wrd
        fig.update(s=5.0)
        at5 = fig.wrd
        fig.update(s=100.0)
        at100 = fig.wrd
        fig.update(s=0.2)
        at02 = fig.wrd
        lone = tp.word_rotator_distance(X[:1], Y)
        assert at02 > at1 and at5 > at1  # down, then up: not monotone in the norm
        assert abs(at100 - lone) < abs(at5 - lone) and at100 == pytest.approx(lone, abs=0.02)
        assert fig.limit == pytest.approx(lone)
        # the marked support change lies between s = 1 and s = 5, where the curve turns
        assert any(1.0 < c < 5.0 for c in changes)
        k = int(np.argmin(values))
        assert 1.0 < np.logspace(-2, 2, len(values))[k] < 5.0
    finally:
        fig.close()


def test_scaling_the_whole_sentence_leaves_the_norm_figures_wrd():
    from theory_lib import transport as tp
    from theory_lib.figures.transport.norm import Y, scaled

    x = scaled(3.0).numpy()
    assert tp.word_rotator_distance(x * 7.0, Y) == pytest.approx(tp.word_rotator_distance(x, Y), abs=1e-9)
    assert math.isfinite(tp.wrd_lower_bound(x, Y))


def test_triangle_figure_wrd_fails_at_the_lessons_angles_wmd_holds():
    """A, B, C at 0°, 45°, 90°: WRD(A, C) = 1 > 2 (1 − cos 45°), by √2 − 1; WMD's chords keep the inequality."""
    from matplotlib.colors import to_hex

    from theory_lib.figures.transport import TriangleFigure
    from theory_lib.figures.transport.triangle import FAILS, HOLDS

    fig = _figure(TriangleFigure)
    try:
        assert fig.gap["wrd"] == pytest.approx(1.0 - 2.0 * (1.0 - math.cos(math.pi / 4)), abs=1e-12)
        assert fig.gap["wrd"] == pytest.approx(math.sqrt(2) - 1, abs=1e-12)

        def chord(deg):  # |a − c| for unit vectors deg apart
            return 2 * math.sin(math.radians(deg) / 2)

        assert fig.gap["wmd"] == pytest.approx(chord(90) - 2 * chord(45), abs=1e-12) and fig.gap["wmd"] < 0
        assert to_hex(fig.direct["wrd"].get_facecolor()) == FAILS.lower()
        assert to_hex(fig.direct["wmd"].get_facecolor()) == HOLDS.lower()
        assert fig.direct["wrd"].get_height() == pytest.approx(1 / (2 - math.sqrt(2)), abs=1e-12)  # 1.707 > 1
        assert fig.leg1["wrd"].get_height() + fig.leg2["wrd"].get_height() == pytest.approx(1.0)
        assert "fails, by 0.4142" in fig.readout and "holds" in fig.readout.split("<br>")[0]
    finally:
        fig.close()


def test_triangle_figure_wmd_never_fails_and_wrd_ignores_the_norms():
    from theory_lib.figures.transport import TriangleFigure

    rng = np.random.default_rng(0)
    fig = _figure(TriangleFigure)
    try:
        wrd_fails = 0
        for _ in range(40):
            angles = (5.0 * rng.integers(-36, 37, 3)).tolist()
            norms = np.exp(rng.uniform(np.log(0.5), np.log(2.0), 3)).tolist()
            fig.update(**dict(zip(["theta_a", "theta_b", "theta_c", "r_a", "r_b", "r_c"], angles + norms, strict=True)))
            v = [
                n * np.array([math.cos(math.radians(t)), math.sin(math.radians(t))])
                for t, n in zip(angles, norms, strict=True)
            ]
            assert fig.d["wmd"] == pytest.approx(
                [np.linalg.norm(v[0] - v[1]), np.linalg.norm(v[1] - v[2]), np.linalg.norm(v[0] - v[2])], abs=1e-12
            )
            want = [1 - math.cos(math.radians(angles[i] - angles[j])) for i, j in ((0, 1), (1, 2), (0, 2))]
            assert fig.d["wrd"] == pytest.approx(want, abs=1e-12)  # no norm in it
            assert fig.gap["wmd"] <= 1e-12
            wrd_fails += fig.gap["wrd"] > 1e-12
        assert wrd_fails > 0
    finally:
        fig.close()


def test_triangle_figure_antipodes_are_wrds_equality():
    """A, B, C at 0°, 90°, 180°: WRD(A, C) = 2 = 1 + 1, the inequality's edge; the bar reaches the line."""
    from theory_lib.figures.transport import TriangleFigure

    fig = _figure(TriangleFigure, theta_a=0.0, theta_b=90.0, theta_c=180.0)
    try:
        assert fig.d["wrd"] == pytest.approx((1.0, 1.0, 2.0), abs=1e-12)
        assert fig.gap["wrd"] == pytest.approx(0.0, abs=1e-12) and fig.ratio["wrd"] == pytest.approx(1.0)
    finally:
        fig.close()


def test_power_fit_recovers_an_exact_power_law_past_a_flat_overhead():
    from theory_lib.figures.transport.timing import power_fit

    m = np.array([2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0])
    t = 3e-6 * m**2.5
    t[:3] = 1e-2  # the solver's fixed overhead at small m: not in the last four points
    c, k = power_fit(m, t)
    assert k == pytest.approx(2.5, abs=1e-9) and c == pytest.approx(3e-6, rel=1e-9)


def test_lp_time_figure_reads_measured_points_and_extrapolates_the_fit():
    """The measurement stops at the budget; at a measured length the dots are the medians, beyond it the fit."""
    from theory_lib.figures.transport import LpTimeFigure
    from theory_lib.figures.transport.timing import BUDGET_S, LENGTHS, measure, power_fit

    r = measure()
    assert list(r["m"]) == list(LENGTHS[: len(r["m"])])
    assert (r["lp"][:-1] <= BUDGET_S).all() and (r["lp"][-1] > BUDGET_S or len(r["m"]) == len(LENGTHS))
    top = int(r["m"][-1])
    fig = _figure(LpTimeFigure, m=top)
    try:
        assert fig.dots.get_ydata() == pytest.approx([1e3 * r["lp"][-1], 1e3 * r["assignment"][-1]])
        assert "measured" in fig.readout
        assert r["assignment"][-1] < r["lp"][-1]  # equal lengths: the assignment solver beats the LP
        fig.update(m=1000)
        c, k = power_fit(r["m"], r["lp"])
        assert fig.shown["lp"] == pytest.approx(c * 1000.0**k) and "extrapolated" in fig.readout
        assert fig.dots.get_ydata()[0] == pytest.approx(1e3 * c * 1000.0**k)
    finally:
        fig.close()


def test_sinkhorn_figure_tends_to_the_lp_as_the_temperature_falls():
    """Cost non-decreasing in ε, equal to the LP's at ε = 0.01 with the LP's plan; marginals kept throughout."""
    import scipy.optimize

    from theory_lib.figures.transport import SinkhornFigure
    from theory_lib.figures.transport.entropic import COST, P, Q, entropic

    m, n = COST.shape
    a_eq = np.vstack([np.kron(np.eye(m), np.ones((1, n))), np.kron(np.ones((1, m)), np.eye(n))])
    lp = scipy.optimize.linprog(COST.ravel(), A_eq=a_eq, b_eq=np.concatenate([P, Q]), method="highs")
    grid = SinkhornFigure.controls["eps"].grid()
    values = [entropic(float(e))[0] for e in grid]
    assert all(b >= a - 1e-9 for a, b in zip(values, values[1:], strict=False))  # more entropy, more cost
    for e in grid:
        plan = entropic(float(e))[1]
        assert plan.sum(1) == pytest.approx(P, abs=1e-9) and plan.sum(0) == pytest.approx(Q, abs=1e-9)
    fig = _figure(SinkhornFigure, eps=0.01)
    try:
        assert fig.lp == pytest.approx(lp.fun, abs=1e-9)
        assert fig.value - fig.lp == pytest.approx(0.0, abs=1e-6) and fig.plan_gap < 1e-3
        fig.update(eps=1.0)
        assert fig.value - fig.lp > 0.1 and fig.plan_gap > 0.05
        fig.update(eps=10.0)  # towards the independent plan p q^T and its mean distance
        assert fig.value == pytest.approx(float(COST.mean()), abs=0.05)
    finally:
        fig.close()
