"""Derived optimisers, lesson 15's figures: what they draw and say at the values the lesson names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theory_lib import optimizers as op


def _figure(cls, **params):
    fig = cls(offscreen=True, **params)
    fig.fig.canvas.draw()
    return fig


def test_opening_sgd_paths_coincide_adam_paths_do_not():
    """SGD: decay = L2 at every λ; Adam + L2 ends at the minimum of L + (λ/2)‖θ‖² (A + λI)⁻¹Ac, AdamW elsewhere."""
    from theory_lib.figures.optimizers import OpeningFigure

    fig = _figure(OpeningFigure, lam=0.3)
    try:
        for lam in (0.0, 0.3, 1.0):
            fig.update(lam=lam)
            assert fig.sgd_gap < 1e-12
            A = np.diag([1.0, 10.0])
            want = np.linalg.solve(A + lam * np.eye(2), A @ np.ones(2))
            np.testing.assert_allclose(fig.end_l2, want, atol=1e-3)
            assert (fig.adam_gap > 0.05) == (lam > 0)
            x, y = fig.adamw.get_data()
            assert (x[-1], y[-1]) == tuple(fig.end_w)
        assert f"{fig.adam_gap:.3f}" in fig.readout
    finally:
        fig.close()


def test_schedule_figure_draws_piecewise_linear():
    from theory_lib.figures.optimizers import ScheduleFigure

    fig = _figure(ScheduleFigure, warmup=100, final=0.1, from_zero="on")
    try:
        x, y = fig.rho.get_data()
        t = np.linspace(0, 360, 50)
        np.testing.assert_allclose(np.interp(t, x, y), np.interp(t, [0, 100, 300], [0, 1, 0.1]), atol=1e-12)
        assert fig.rho_half == 0.5 and fig.rho_start == 0.0
        fig.update(from_zero="off")
        assert fig.rho_start == 1.0 and fig.rho_half == 1.0
        fig.update(warmup=0, from_zero="on")  # 0 is a key: no (0, 0) prepended, ρ starts at 1
        assert fig.rho_start == 1.0
    finally:
        fig.close()


def test_lab_tricks_off_is_the_base_path_and_accumulation_cuts_noise():
    from theory_lib.figures.optimizers import LabFigure

    base = dict(base="sgd", lam=0.0, layer="off", accum=1, noise=2.0, la_k=0, alpha=0.5)
    fig = _figure(LabFigure, **base)
    try:
        assert np.array_equal(fig.line.get_xydata(), fig.plain.get_xydata())
        noisy = fig.final_loss
        fig.update(accum=8)
        assert fig.final_loss < noisy / 3
        fig.update(accum=1, noise=0.0, la_k=5, alpha=0.5)
        ref = op.quadratic_path(150, dict(base="sgd", lr=0.05, lookahead_steps=5, lookahead_alpha=0.5)).numpy()
        np.testing.assert_allclose(fig.line.get_xydata(), ref, rtol=1e-12)
        assert fig.inactive() == set()
        fig.update(la_k=0)
        assert fig.inactive() == {"alpha"}
    finally:
        fig.close()


@pytest.mark.parametrize("base", ["sgd", "adam"])
def test_lab_layer_adaptation_steps_are_lr_times_norm(base):
    from theory_lib.figures.optimizers import LabFigure

    fig = _figure(LabFigure, base=base, lam=0.0, layer="on", accum=1, noise=0.0, la_k=0, alpha=0.5)
    try:
        p = fig.line.get_xydata()
        steps = np.linalg.norm(np.diff(p, axis=0), axis=1)
        np.testing.assert_allclose(steps, 0.05 * np.linalg.norm(p[:-1], axis=1), rtol=1e-9)
        assert fig.final_loss > 100 * fig.final_plain
    finally:
        fig.close()


def test_figures_accept_tensors_from_the_maths_layer():
    """quadratic_path's float64 CPU tensors are what the figures draw (no silent dtype change)."""
    p = op.quadratic_path(3, {"lr": 0.1})
    assert p.dtype == torch.float64 and p.device.type == "cpu"


def test_lazy_figure_plain_adam_drifts_lazy_does_not():
    """β₁ = 0.9, every 10 steps: plain Adam moves the rare row on all 54 steps without its gradient, lazy on
    none; its first drift is lr (β₁/(1+β₁))/sqrt(β₂/(1+β₂)) per coordinate. β₁ = 0: no momentum, no drift,
    one path."""
    from theory_lib.figures.optimizers import LazyFigure

    fig = _figure(LazyFigure, beta1=0.9, period=10)
    try:
        assert fig.unseen == 54 and fig.moved_plain == 54 and fig.moved_lazy == 0
        first = 0.1 * np.sqrt(2) * (0.9 / 1.9) / np.sqrt(0.999 / 1.999)
        assert fig.d_plain.get_ydata()[1] == pytest.approx(first, rel=1e-7)
        assert fig.drift == pytest.approx(first, rel=1e-7)
        assert f"<b>{fig.moved_plain}</b>" in fig.readout and f"<b>{fig.moved_lazy}</b>" in fig.readout
        x, y = fig.lazy.get_data()
        assert np.all(np.diff(y)[np.arange(60) % 10 != 0] == 0)
        fig.update(beta1=0.0)
        assert fig.moved_plain == 0 == fig.moved_lazy
        np.testing.assert_array_equal(fig.plain.get_ydata(), fig.lazy.get_ydata())
        fig.update(period=3)
        assert fig.unseen == 40
    finally:
        fig.close()
