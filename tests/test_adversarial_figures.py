"""Adversarial training, lesson 12's figures: what they draw and say agrees with the maths."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import adversarial as adv


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_worst_case_agrees_at_small_eps_and_parts_at_large():
    from theory_lib.figures.adversarial import WorstCaseFigure, three_curves

    fig = _figure(WorstCaseFigure, eps=0.02)
    try:
        small = fig.first_error
        fig.update(eps=0.5)
        assert small < 0.002 < 0.1 < fig.first_error  # first order: exact as ε → 0, off by > 10% at 0.5
        for eps in (0.1, 0.5, 1.0):  # the worst case is at least FGM's one point and L itself
            _, worst, fgm, first = three_curves(eps)
            assert bool((worst >= fgm - 1e-12).all())
        assert "first-order penalty misses" in fig.readout
    finally:
        fig.close()


def test_taylor_gap_has_slope_two_and_matches_the_maths():
    from theory_lib.figures.adversarial import TaylorGapFigure, gap_table, slope
    from theory_lib.figures.adversarial.steps import FORMS, gap_problem

    for form in FORMS:
        assert slope(form) == pytest.approx(2.0, abs=0.02)
    eps, table = gap_table()
    for form in FORMS:  # the first-order term itself grows like ε
        terms = table[form][1]
        i, j = int(np.argmin(abs(eps - 1e-4))), int(np.argmin(abs(eps - 1e-2)))
        assert math.log(terms[j] / terms[i]) / math.log(eps[j] / eps[i]) == pytest.approx(1.0, abs=0.02)
    fig = _figure(TaylorGapFigure, eps=0.5)
    try:
        model, x, y = gap_problem()
        assert fig.gap == pytest.approx(adv.expansion_gap(model, x, y, 0.5), rel=1e-9)
        assert fig.relative > 0.1
        fig.update(eps=0.01)
        assert fig.relative < 0.01
    finally:
        fig.close()


@pytest.mark.parametrize(("norm", "below", "above"), [("l2", 0.61, 0.62), ("sign", 0.47, 0.48)])
def test_margin_collapses_at_the_named_eps(norm, below, above):
    from theory_lib.figures.adversarial import COLLAPSE, RobustMarginFigure

    assert below < COLLAPSE[norm] <= above
    fig = _figure(RobustMarginFigure, eps=below, norm=norm)
    try:
        assert not fig.collapsed and len(fig.boundary.get_xdata()) == 2
        fig.update(eps=above)
        assert fig.collapsed and len(fig.boundary.get_xdata()) == 0 and "constant predictor" in fig.readout
    finally:
        fig.close()


def test_margin_arrows_flip_exactly_the_points_inside_the_tube():
    from theory_lib.figures.adversarial import RobustMarginFigure
    from theory_lib.figures.adversarial.steps import X9, Y9

    for norm in ("l2", "sign"):
        fig = _figure(RobustMarginFigure, eps=0.3, norm=norm)
        try:
            w, b = fig.w, fig.b
            moved = X9 + np.c_[fig.arrows.U, fig.arrows.V]
            after = Y9 * (moved @ w + b)  # y f after the attack: y f − ε‖w‖*
            order = 2 if norm == "l2" else 1
            np.testing.assert_allclose(after, Y9 * (X9 @ w + b) - 0.3 * np.linalg.norm(w, ord=order), atol=1e-12)
            assert int((after < 0).sum()) == fig.inside
            loss = np.mean(np.logaddexp(0, -after))  # the robust loss is the loss at the attacked points
            assert loss == pytest.approx(fig.loss, rel=1e-12)
        finally:
            fig.close()


def test_pit_bottom_attack_curve_and_flattening():
    from theory_lib.figures.adversarial import PitBottomFigure, attacked_curve
    from theory_lib.figures.adversarial.pit import ATTACKS, EPS_TRAIN

    fig = _figure(PitBottomFigure, eps_attack=1.0)
    try:
        grads = [fig.mean_grad[e] for e in EPS_TRAIN]
        assert all(np.diff(grads) < 0)  # the larger the penalty, the flatter the samples' ground
        assert fig.attacked[1.0] > fig.attacked[0.0]
        model = adv.tanh_mlp(1, hidden=4, generator=torch.Generator().manual_seed(2))
        x, y = adv.gaussian_classes(50, separation=2.0, generator=torch.Generator().manual_seed(3))
        curve = attacked_curve(model, x, y)
        for k in (0, 5, 20):
            assert curve[k] == pytest.approx(adv.attacked_accuracy(model, x, y, float(ATTACKS[k])))
    finally:
        fig.close()
