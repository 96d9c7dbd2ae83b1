"""Santurkar et al.'s noisy-BN experiment: BatchNorm helps without reducing internal covariate shift.

Santurkar, Tsipras, Ilyas and Mądry, "How Does Batch Normalization Help Optimization?" (NeurIPS
2018), section 2.1: inject, after every BatchNorm layer, a random affine distortion that is drawn
afresh at every training step, so that the distribution of each layer's input moves from step to
step far more than without BN. If BN helped by keeping those distributions still ("reducing internal
covariate shift"), the noisy net should train like the plain one; it trains like the BN net.

    noisy BN     h ↦ s_t ⊙ BN(h) + m_t, per unit, log s_t ~ U(-log(1+ν), log(1+ν)), m_t ~ U(-ν, ν)
    shift_t      mean over the hidden units of |μ_{t+1} - μ_t| + |σ_{t+1} - σ_t|, the moments of the
                 input each hidden layer's successor sees on a fixed probe set (our measure of the
                 covariate shift a layer suffers per step)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, integer, one_cpu_thread, positive, public

__all__ = ["NOISY_VARIANTS", "NoisyBNRun", "noisy_bn_run"]

NOISY_VARIANTS = ("none", "bn", "noisy")
PROBE = 128  # the shift is measured on the first PROBE points, with the step's parameters and noise


@dataclass
class NoisyBNRun:
    """One training run (CPU tensors, float64): ``train_loss[k]`` the batch loss at step k,
    ``full_loss`` the loss on all the data after training (noise off: s = 1, m = 0), ``shift[k]``
    the covariate shift of the hidden layers' outputs from step k to k + 1 (mean over layers), and
    ``diverged_at`` the first non-finite step (-1 if none; later entries are NaN)."""

    train_loss: torch.Tensor
    shift: torch.Tensor
    full_loss: float
    diverged_at: int


def _layer(h, w, b, variant, noise):
    """Linear → [BN → noise] → ReLU for one hidden layer; ``noise`` is (s, m) or None."""
    h = h @ w.T + b
    if variant != "none":
        h = F.batch_norm(h, None, None, training=True, eps=1e-5)
        if noise is not None:
            h = noise[0] * h + noise[1]
    return torch.relu(h)


def _forward(params, x, variant, noises):
    """The MLP; returns the output (B,) and each hidden layer's output (what the next layer sees)."""
    hidden, h = [], x
    for i in range(0, len(params) - 2, 2):
        h = _layer(h, params[i], params[i + 1], variant, noises[i // 2] if noises else None)
        hidden.append(h)
    return (h @ params[-2].T + params[-1])[:, 0], hidden


def _moments(hidden):
    """Per-unit mean and std of each hidden layer's output, stacked: (2, units of all layers)."""
    return torch.stack([torch.cat([h.mean(0) for h in hidden]), torch.cat([h.std(0) for h in hidden])])


@public(
    lambda: {
        "x": torch.randn(16, 3, generator=torch.Generator().manual_seed(0)),
        "y": torch.randn(16, generator=torch.Generator().manual_seed(1)),
        "steps": 3,
    },
    kinds={"hidden": "other"},
    cannot=("grad", "batch"),
)
@one_cpu_thread()  # the same numbers on any thread
def noisy_bn_run(
    x,
    y,
    variant: str = "bn",
    *,
    noise: float = 1.0,
    lr: float = 0.05,
    steps: int = 150,
    batch_size: int = 64,
    hidden=(32, 32),
    seed: int = 0,
) -> NoisyBNRun:
    """Train an MLP (Linear → [BN] → ReLU per hidden layer) by SGD on E[(f(x) - y)²]/2.

    ``variant``: "none", "bn" or "noisy" (BN followed by a per-unit affine distortion s ⊙ · + m,
    drawn afresh at every step with strength ``noise`` = ν, see the module docstring). The same
    ``seed`` gives every variant the same initial weights and batches. x (n, d), y (n,), float64.
    """
    variant = choice("variant", variant, NOISY_VARIANTS)
    noise = positive("noise", noise)
    lr = positive("lr", lr)
    steps = integer("steps", steps, minimum=1, maximum=10**6)
    batch_size = integer("batch_size", batch_size, minimum=2)
    seed = _checks.seed("seed", seed)
    if not isinstance(hidden, (tuple, list)):
        raise ValueError(f"hidden must be a tuple of layer widths, got {_checks.shorten(hidden)}")
    hidden = tuple(integer("hidden", h, minimum=1, maximum=4096) for h in hidden)
    x = as_float_tensor("x", x, min_dim=2).detach().to(torch.float64)
    y = as_float_tensor("y", y).detach().to(torch.float64)
    if x.dim() != 2 or y.shape != x.shape[:1]:
        raise ValueError(f"x must be (n, d) and y (n,), got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    _checks.fits("steps", steps, steps * (len(hidden) + 2))
    n, d = x.shape
    probe = min(n, PROBE)
    g = torch.Generator().manual_seed(seed)
    widths = [d, *hidden, 1]
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):  # He-normal, zero bias
        params += [torch.randn(fan_out, fan_in, generator=g, dtype=torch.float64) * math.sqrt(2 / fan_in)]
        params += [torch.zeros(fan_out, dtype=torch.float64)]
    gn = torch.Generator().manual_seed(seed + 1)  # the noise: drawn for every variant, so batches agree
    log_s = math.log1p(noise)
    losses, shifts, before, diverged = [], [], None, -1
    for k in range(steps):
        idx = torch.randperm(n, generator=g)[: min(batch_size, n)]
        noises = [
            (
                torch.exp((2 * torch.rand(h, generator=gn, dtype=torch.float64) - 1) * log_s),
                (2 * torch.rand(h, generator=gn, dtype=torch.float64) - 1) * noise,
            )
            for h in hidden
        ]
        active = noises if variant == "noisy" else None
        params = [p.detach().requires_grad_() for p in params]
        out, _ = _forward(params, x[idx], variant, active)
        loss = (out - y[idx]).pow(2).mean() / 2
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            _, seen = _forward(params, x[:probe], variant, active)  # what each layer's successor sees now
            now = _moments(seen)
            if before is not None:
                shifts.append((now - before).abs().sum(0).mean().item())
            before = now
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            diverged = k
            break
        params = [p.detach() - lr * gr for p, gr in zip(params, grads, strict=True)]
    with torch.no_grad():
        full = (_forward(params, x, variant, None)[0] - y).pow(2).mean().item() / 2 if diverged < 0 else math.nan
    nan = torch.full((steps,), math.nan, dtype=torch.float64)
    train, shift = nan.clone(), nan[:-1].clone()
    train[: len(losses)] = torch.tensor(losses, dtype=torch.float64)
    shift[: len(shifts)] = torch.tensor(shifts, dtype=torch.float64)
    return NoisyBNRun(train_loss=train, shift=shift, full_loss=full, diverged_at=diverged)
