"""Santurkar et al.'s noisy-BN experiment (theory_lib.batchnorm.covariate_shift): its limits and its claim."""

from __future__ import annotations

import math

import pytest
import torch

from theory_lib import batchnorm as bnm


def _task(n=128):
    return bnm.teacher_task(
        n, 4, mean=3.0, scale_spread=3.0, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )


def test_noise_to_zero_is_plain_bn_and_runs_repeat():
    """With ν → 0 the distortion is the identity, so noisy BN retraces BN step by step (same weights, batches)."""
    x, y = _task()
    kw = dict(lr=0.05, steps=30, batch_size=32, hidden=(8, 8))
    bn = bnm.noisy_bn_run(x, y, "bn", **kw)
    tiny = bnm.noisy_bn_run(x, y, "noisy", noise=1e-12, **kw)
    assert torch.allclose(bn.train_loss, tiny.train_loss, rtol=1e-9, atol=0)
    assert bn.full_loss == pytest.approx(tiny.full_loss, rel=1e-9)
    again = bnm.noisy_bn_run(x, y, "bn", **kw)
    assert torch.equal(bn.train_loss, again.train_loss) and torch.equal(bn.shift, again.shift)
    # every variant starts from the same weights on the same first batch: BN changes the step-0 loss, the seed does not
    none = bnm.noisy_bn_run(x, y, "none", **kw)
    assert none.train_loss[0] != bn.train_loss[0] and math.isfinite(none.train_loss[0].item())


def test_shift_measures_the_injected_noise():
    """The per-step shift of noisy BN grows with ν (the noise moves every unit's moments), BN's stays small."""
    x, y = _task()
    kw = dict(lr=0.05, steps=30, batch_size=32, hidden=(8, 8))
    bn = bnm.noisy_bn_run(x, y, "bn", **kw).shift.nanmedian().item()
    weak = bnm.noisy_bn_run(x, y, "noisy", noise=0.1, **kw).shift.nanmedian().item()
    strong = bnm.noisy_bn_run(x, y, "noisy", noise=1.0, **kw).shift.nanmedian().item()
    assert bn < weak < strong
    assert strong > 100 * bn


@pytest.mark.parametrize(
    "kw, name",
    [({"variant": "batch"}, "variant"), ({"noise": 0.0}, "noise"), ({"lr": -1.0}, "lr"), ({"steps": 0}, "steps")],
)
def test_bad_input_names_the_parameter(kw, name):
    x, y = _task(16)
    with pytest.raises(ValueError, match=name):
        bnm.noisy_bn_run(x, y, **{"variant": "bn", **kw})
    with pytest.raises(ValueError, match="shape"):
        bnm.noisy_bn_run(x, y[:-1])
