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
