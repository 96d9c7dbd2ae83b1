"""The landscape probe: a small MLP with or without BatchNorm, measured along its gradient.

After Santurkar et al., "How Does Batch Normalization Help Optimization?" (NeurIPS 2018): every few
steps of training, move along the gradient g by η' in a range of step sizes and record

    loss variation            max - min of f(θ - η' g)
    gradient predictiveness   max ‖∇f(θ - η' g) - ∇f(θ)‖   (smaller: more predictive)
    effective β-smoothness    max ‖∇f(θ - η' g) - ∇f(θ)‖ / (η' ‖g‖)   (a local smoothness)

with BatchNorm after or before each hidden layer's activation, or none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, boolean, choice, fits, integer, one_cpu_thread, positive, public, real
from theory_lib.batchnorm.least_squares import _batch, _targets

__all__ = ["teacher_task", "landscape_probe", "LandscapeProbe", "BN_PLACEMENTS"]

BN_PLACEMENTS = ("none", "after", "before")


# ------------------------------------------------------------------------- the MLP probe
@public({"n": 10, "d": 3}, extremes={"scale_spread": [1.0, 1e6], "mean": [-1e6, 1e6], "n": [2, 10**5]})
def teacher_task(
    n: int,
    d: int = 8,
    mean: float = 0.0,
    scale_spread: float = 1.0,
    *,
    generator=None,
    device=None,
    dtype=torch.float32,
):
    """A synthetic regression task whose inputs are neither centered nor equally scaled.

    z ~ N(0, I_d); x = mean + s ⊙ z with scales s_i log-spaced in [1/spread, spread]; the target
    y = a random 1-hidden-layer tanh teacher applied to z, normalised to mean 0 and variance 1.
    The input statistics are a nuisance that BatchNorm can remove. Returns (x (n, d), y (n,)).
    """
    n = integer("n", n, minimum=2)
    d = integer("d", d, minimum=1)
    mean = real("mean", mean)
    spread = real("scale_spread", scale_spread, lo=1.0)
    fits("n", n, n * (d + 1))
    device, generator, dtype = _checks.sampling(device, generator, dtype)
    kw = dict(generator=generator, device=device, dtype=dtype)
    z = torch.randn(n, d, **kw)  # (n, d)
    s = torch.logspace(-math.log10(spread), math.log10(spread), d, device=device, dtype=dtype)  # (d,)
    x = mean + s * z
    w1 = torch.randn(d, 16, **kw) / math.sqrt(d)  # (d, 16)
    w2 = torch.randn(16, **kw) / 4.0  # (16,)
    y = torch.tanh(2.0 * z @ w1) @ w2  # (n,)
    y = (y - y.mean()) / y.std().clamp_min(1e-12)
    return x, y


@dataclass
class LandscapeProbe:
    """Measurements of one training run (tensors on the CPU, float64).

    train_loss[k]   the loss on step k's batch at θ_k, for every step k < steps
    step[i]         the probed steps (every ``probe_every``-th one); at each of them:
    full_loss[i]    the loss on the whole data set (BatchNorm with whole-data statistics)
    grad_norm[i]    ‖g‖, g = ∇L(θ_k) on the step's batch
    probe_loss[i,j] L(θ_k - η_j g) on the same batch, η_j = step_sizes[j] = lr · probe_scales[j]
    grad_change[i,j] ‖∇L(θ_k - η_j g) - g‖ on the same batch
    After a divergence (non-finite loss at step ``diverged_at``; -1 if none) everything is NaN.
    """

    train_loss: torch.Tensor
    step: torch.Tensor
    full_loss: torch.Tensor
    grad_norm: torch.Tensor
    probe_loss: torch.Tensor
    grad_change: torch.Tensor
    step_sizes: torch.Tensor
    diverged_at: int
    # (steps+1, P): θ_k flattened, when keep_params; layer by layer: [BN gain, shift if "before"],
    # W (out × in, row-major), b, [BN gain, shift if "after" and not the output layer]
    params: torch.Tensor | None = None

    @property
    def loss_variation(self) -> torch.Tensor:
        """max - min of L(θ_k - η g) over η in {0, η_1, ..., η_K}: the loss landscape's variation."""
        both = torch.cat([self.train_loss[self.step][:, None], self.probe_loss], dim=1)
        return both.amax(1) - both.amin(1)

    @property
    def gradient_predictiveness(self) -> torch.Tensor:
        """max_j ‖∇L(θ_k - η_j g) - ∇L(θ_k)‖: how far the gradient moves along the step (smaller: more predictive)."""
        return self.grad_change.amax(1)

    @property
    def beta_smoothness(self) -> torch.Tensor:
        """Effective β-smoothness: max_j ‖∇L(θ_k - η_j g) - g‖ / (η_j ‖g‖)."""
        dist = self.step_sizes[None, :] * self.grad_norm[:, None]  # (P, K)
        return (self.grad_change / dist).amax(1)


def _layer_shapes(d: int, hidden, bn: str):
    """Shapes of the MLP's parameters, in order, with their kind: "w", "b", "gain", "shift"."""
    shapes, widths = [], [d, *hidden, 1]
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        last = i == len(widths) - 2
        if bn == "before":  # normalise this layer's input (Su: BN belongs on the input)
            shapes += [("gain", (fan_in,)), ("shift", (fan_in,))]
        shapes += [("w", (fan_out, fan_in), 1.0 if last else 2.0), ("b", (fan_out,))]
        if bn == "after" and not last:  # Linear -> BN -> ReLU, the usual placement
            shapes += [("gain", (fan_out,)), ("shift", (fan_out,))]
    return shapes


def _init_mlp(d: int, hidden, bn: str, gen, device, dtype):
    """He-normal weights (gain 1 on the output layer), zero biases, BatchNorm gains 1, shifts 0.

    Every tensor has a leading copies dimension of size 1: shape (1, *shape).
    """
    params = []
    for kind, shape, *gain in _layer_shapes(d, hidden, bn):
        if kind == "w":
            p = torch.randn(shape, generator=gen, device=device, dtype=dtype) * math.sqrt(gain[0] / shape[1])
        else:
            p = (torch.ones if kind == "gain" else torch.zeros)(shape, device=device, dtype=dtype)
        params.append(p[None])
    return params


def _batch_norm(h, gain, shift, eps: float = 1e-5):
    """(h - mean)/√(var + eps)·gain + shift over the batch dim of h (C, B, f), biased variance.

    The C copies are laid side by side as C·f features of one torch batch norm (one fused op).
    """
    C, B, f = h.shape
    flat = h.transpose(0, 1).reshape(B, C * f)  # (B, C·f)
    out = F.batch_norm(flat, None, None, gain.reshape(-1), shift.reshape(-1), training=True, eps=eps)
    return out.reshape(B, C, f).transpose(0, 1)  # (C, B, f)


def _forward(params, x, n_layers: int, bn: str):
    """The MLP for C parameter copies at once: params with leading dim C, x (B, d) -> (C, B)."""
    h, it = x.expand(params[0].shape[0], *x.shape), iter(params)  # (C, B, d)
    for i in range(n_layers):
        last = i == n_layers - 1
        if bn == "before":
            h = _batch_norm(h, next(it), next(it))
        w, b = next(it), next(it)  # (C, out, in), (C, out)
        h = torch.baddbmm(b[:, None, :], h, w.transpose(1, 2))  # (C, B, out) = h Wᵀ + b
        if not last:
            if bn == "after":
                h = _batch_norm(h, next(it), next(it))
            h = torch.relu(h)
    return h[..., 0]  # (C, B)


def _loss_and_grad(params, x, y, n_layers, bn):
    """Per-copy losses E_B[(f - y)²]/2, shape (C,), and the gradient for each copy."""
    params = [p.detach().requires_grad_() for p in params]
    losses = (_forward(params, x, n_layers, bn) - y).pow(2).mean(dim=1) / 2  # (C,)
    grads = torch.autograd.grad(losses.sum(), params)  # copies are independent: per-copy gradients
    return losses.detach(), grads


@public(
    lambda: {
        "x": torch.randn(16, 3, generator=torch.Generator().manual_seed(0)),
        "y": torch.randn(16, generator=torch.Generator().manual_seed(1)),
        "hidden": (4,),
        "steps": 3,
        "batch_size": 8,
    },
    extremes={"bn": ["before", "after"]},
    kinds={"hidden": "other", "probe_scales": "other"},
    cannot=("grad", "batch"),
)
def landscape_probe(
    x,
    y,
    *,
    hidden=(32, 32),
    bn: str = "none",
    lr: float = 0.05,
    steps: int = 200,
    batch_size: int = 64,
    probe_scales=(0.5, 1.0, 2.0, 4.0),
    probe_every: int = 1,
    seed: int = 0,
    keep_params: bool = False,
    progress=None,
) -> LandscapeProbe:
    """Train an MLP by SGD on L = E[(f(x) - y)²]/2 and probe the landscape along the gradient.

    At a probed step k, with batch B_k and g = ∇L(θ_k): for η_j = lr·probe_scales[j] the loss
    L(θ_k - η_j g) (loss variation), ‖∇L(θ_k - η_j g) - g‖ (gradient predictiveness) and its
    ratio to η_j‖g‖ (effective β-smoothness), all on B_k, as Santurkar et al. (2018) measure
    them. ``bn``: "none", "after" (Linear -> BN -> ReLU) or "before" (BN on every linear
    layer's input). Runs on x's device; batches and initial weights come from ``seed``.
    ``progress(k, steps)``, if given, is called after every 10th step; it may raise to stop the
    run, and never changes its result.
    """
    x = _batch("x", x)
    y = _targets("y", y, x)
    bn = choice("bn", bn, BN_PLACEMENTS)
    if not isinstance(hidden, (tuple, list)):
        raise ValueError(f"hidden must be a tuple of layer widths, got {_checks.shorten(hidden)}")
    hidden = tuple(integer("hidden", h, minimum=1, maximum=4096) for h in hidden)
    lr = positive("lr", lr)
    steps = integer("steps", steps, minimum=1, maximum=10**6)
    batch_size = integer("batch_size", batch_size, minimum=2)
    scales = as_float_tensor("probe_scales", probe_scales).to(torch.float64)
    if scales.dim() != 1 or (scales <= 0).any():
        raise ValueError(f"probe_scales must be a list of numbers > 0, got {_checks.shorten(probe_scales)}")
    probe_every = integer("probe_every", probe_every, minimum=1)
    seed = _checks.seed("seed", seed)
    keep_params = boolean("keep_params", keep_params)
    widths = (x.shape[1], *hidden, 1)
    n_params = sum((a + 3) * b for a, b in zip(widths, widths[1:], strict=False))
    fits("steps", steps, steps * (3 + 2 * scales.numel() + (n_params if keep_params else 0)))
    n, d = x.shape
    batch_size = min(batch_size, n)
    device, dtype = x.device, x.dtype
    gen = torch.Generator(device=device).manual_seed(seed)
    n_layers = len(hidden) + 1
    etas = (lr * scales).to(device=device, dtype=dtype)  # (K,)
    K = etas.shape[0]
    probed = list(range(0, steps, probe_every))

    with one_cpu_thread(device):
        params = _init_mlp(d, hidden, bn, gen, device, dtype)
        kept = [torch.cat([p.reshape(-1) for p in params])] if keep_params else None
        train = torch.empty(steps, dtype=dtype, device=device)
        stats = torch.empty(len(probed), 2 + 2 * K, dtype=dtype, device=device)  # one sync at the end
        diverged_at, i = -1, 0
        for k in range(steps):
            idx = torch.randperm(n, generator=gen, device=device)[:batch_size] if batch_size < n else slice(None)
            xb, yb = x[idx], y[idx]  # (B, d), (B,)
            l0, g = _loss_and_grad(params, xb, yb, n_layers, bn)
            train[k] = l0[0]
            if i < len(probed) and probed[i] == k:
                # K copies of the network, θ - η_j g, evaluated and differentiated in one batched call
                moved = [p - etas.view(K, *[1] * (p.dim() - 1)) * gi for p, gi in zip(params, g, strict=True)]
                lj, gj = _loss_and_grad(moved, xb, yb, n_layers, bn)  # (K,), grads with leading K
                change = torch.sqrt(sum((a - b).pow(2).flatten(1).sum(1) for a, b in zip(gj, g, strict=True)))  # (K,)
                with torch.no_grad():
                    full = (_forward(params, x, n_layers, bn) - y).pow(2).mean() / 2
                gn = torch.sqrt(sum(gi.pow(2).sum() for gi in g))
                stats[i] = torch.cat([full[None], gn[None], lj, change])
                i += 1
            params = [p - lr * gi for p, gi in zip(params, g, strict=True)]  # the SGD step
            if keep_params:
                kept.append(torch.cat([p.reshape(-1) for p in params]))
            if k % 25 == 24 or k == steps - 1:  # look for a divergence now and then (a sync on CUDA)
                bad = ~torch.isfinite(train[: k + 1])
                if bad.any():
                    diverged_at = int(bad.nonzero()[0, 0])
                    break
            if progress is not None and (k + 1) % 10 == 0:
                progress(k + 1, steps)

    nan = float("nan")
    last = steps if diverged_at < 0 else diverged_at
    tl = torch.full((steps,), nan, dtype=torch.float64)
    tl[:last] = train[:last].double().cpu()
    s = torch.full((len(probed), 2 + 2 * K), nan, dtype=torch.float64)
    n_ok = sum(1 for k in probed if k < last)
    s[:n_ok] = stats[:n_ok].double().cpu()
    return LandscapeProbe(
        train_loss=tl,
        step=torch.tensor(probed, dtype=torch.long),
        full_loss=s[:, 0],
        grad_norm=s[:, 1],
        probe_loss=s[:, 2 : 2 + K],
        grad_change=s[:, 2 + K :],
        step_sizes=(lr * scales).double().cpu(),
        diverged_at=diverged_at,
        params=torch.stack(kept[: last + 1]).double().cpu() if keep_params else None,
    )
