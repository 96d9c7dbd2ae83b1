"""What batch normalisation does to the loss landscape.

Su Jianlin, 《BN究竟起了什么作用?一个闭门造车的分析》, kexue.fm/archives/6992, 2019-10-11, after
Santurkar et al., "How Does Batch Normalization Help Optimization?" (NeurIPS 2018).

    descent lemma:   f(θ - η∇f) <= f(θ) + (Lη²/2 - η)‖∇f‖²       (a decrease for η < 2/L)
    least squares:   f(w) = E[(wᵀx - y)²]/2 has Hessian E[xxᵀ], so L = λ_max(E[xxᵀ])
    centering:       E[(x-c)(x-c)ᵀ] = Cov[x] + (μ-c)(μ-c)ᵀ, smallest (Loewner order) at c = μ
    standardizing:   gradient descent on x/σ is gradient descent on x with the rate η/σ_i²

``landscape_probe`` trains a small MLP with or without BatchNorm and measures, every few steps,
the landscape along the gradient direction as Santurkar et al. do: the variation of the loss,
the change of the gradient, and the effective β-smoothness.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F

from theory_lib._checks import as_float_tensor, choice, integer, one_cpu_thread, positive

__all__ = [
    "second_moment",
    "gradient_lipschitz",
    "max_stable_lr",
    "descent_bound",
    "normalize_inputs",
    "gradient_descent",
    "GDRun",
    "linear_regression_data",
    "teacher_task",
    "landscape_probe",
    "LandscapeProbe",
    "one_thread",
    "NORMALIZE",
    "BN_PLACEMENTS",
]

NORMALIZE = (None, "center", "standardize")
BN_PLACEMENTS = ("none", "after", "before")


# ------------------------------------------------------------------------- checks
def _batch(name: str, x) -> torch.Tensor:
    """A finite float batch of shape (N, d) with N >= 2 samples."""
    x = as_float_tensor(name, x, min_dim=2)
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape (N, d), got shape {tuple(x.shape)}")
    if x.shape[0] < 2:
        raise ValueError(f"{name} must hold at least 2 samples (rows), got {x.shape[0]}")
    return x


def _targets(name: str, y, x: torch.Tensor) -> torch.Tensor:
    y = as_float_tensor(name, y, min_dim=1)
    if y.dim() != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{name} must have shape ({x.shape[0]},) to match x, got shape {tuple(y.shape)}")
    return y.to(dtype=x.dtype, device=x.device)


def _out(value, like):
    """Torch in, torch out; plain numbers in, a float out."""
    if isinstance(like, torch.Tensor):
        return value
    return value.item() if value.dim() == 0 else value


# ------------------------------------------------------------------------- the exact toy
def second_moment(x) -> torch.Tensor:
    """M = E[x xᵀ] = xᵀx / N over the rows of x, shape (d, d): the Hessian of least squares."""
    x = _batch("x", x)
    return x.T @ x / x.shape[0]  # (d, d)


def gradient_lipschitz(x) -> torch.Tensor:
    """L = λ_max(E[x xᵀ]): the Lipschitz constant of ∇f for f(w) = E[(wᵀx - y)²]/2.

    The Hessian of that f is E[x xᵀ] whatever w and y, so ‖∇f(w) - ∇f(v)‖ <= L ‖w - v‖ with
    equality along the top eigenvector. x is a batch of shape (N, d); returns a 0-d tensor.
    """
    m = second_moment(x)
    return torch.linalg.eigvalsh(m)[-1]  # eigenvalues in ascending order


def max_stable_lr(x) -> torch.Tensor:
    """η_max = 2/L: gradient descent on least squares converges for η < 2/L, diverges above."""
    L = gradient_lipschitz(x)
    if L <= 0:
        raise ValueError("x must not be all zeros (L = 0: every learning rate is stable)")
    return 2.0 / L


def descent_bound(L, lr, grad_norm_sq):
    """The guaranteed change of one step: f(θ - η∇f) - f(θ) <= (Lη²/2 - η)‖∇f‖².

    From the descent lemma for an L-Lipschitz gradient; negative (a guaranteed decrease) for
    0 < η < 2/L, most negative, -‖∇f‖²/(2L), at η = 1/L. Broadcasts over tensors.
    """
    if isinstance(L, torch.Tensor):
        L_t = as_float_tensor("L", L, min_dim=0)
        if (L_t < 0).any():
            raise ValueError("L must be >= 0 (a Lipschitz constant), got a negative value")
    else:
        L_t = torch.tensor(positive("L", L, allow_zero=True), dtype=torch.float64)
    lr_v = positive("lr", lr)
    g = as_float_tensor("grad_norm_sq", grad_norm_sq, min_dim=0)
    if (g < 0).any():
        raise ValueError("grad_norm_sq must be >= 0 (a squared norm), got a negative value")
    out = (L_t.to(g.device) * lr_v**2 / 2 - lr_v) * g
    return _out(out, grad_norm_sq if isinstance(grad_norm_sq, torch.Tensor) else L)


def normalize_inputs(x, y=None, normalize=None, eps: float = 0.0):
    """x as BatchNorm would see it: None (raw), "center" (x - μ) or "standardize" ((x - μ)/√(σ² + eps)).

    μ and σ² are the batch mean and (biased) variance per column, as in BatchNorm. The targets
    y, when given, are centered for both "center" and "standardize": that is what a free bias
    does at its optimum once x is centered (the bias decouples from w). Returns (x', y').
    """
    x = _batch("x", x)
    if y is not None:
        y = _targets("y", y, x)
    if normalize not in NORMALIZE:  # (_checks.choice sorts the options, and None does not sort)
        raise ValueError(f"normalize must be one of None, 'center', 'standardize', got {normalize!r}")
    eps = positive("eps", eps, allow_zero=True)
    if normalize is None:
        return x, y
    mu = x.mean(dim=0)  # (d,)
    xc = x - mu  # (N, d)
    yc = None if y is None else y - y.mean()
    if normalize == "center":
        return xc, yc
    var = xc.pow(2).mean(dim=0) + eps  # (d,)
    if (var <= 0).any():
        raise ValueError("x has a constant column (variance 0): standardize needs eps > 0")
    return xc / var.sqrt(), yc


class GDRun(NamedTuple):
    """One gradient-descent run on least squares (all on the input's device)."""

    path: torch.Tensor  # (steps+1, d): w_0, w_1, ...
    losses: torch.Tensor  # (steps+1,): f(w_k)
    grad_norm_sq: torch.Tensor  # (steps+1,): ‖∇f(w_k)‖²
    lipschitz: torch.Tensor  # 0-d: L = λ_max(E[xxᵀ]) of the (normalised) inputs
    optimum: torch.Tensor  # (d,): a minimiser w* (minimum norm)
    min_loss: torch.Tensor  # 0-d: f(w*)
    x: torch.Tensor  # (N, d): the inputs after normalisation
    y: torch.Tensor  # (N,): the targets after normalisation


def gradient_descent(x, y, lr, steps, normalize=None, w0=None) -> GDRun:
    """w_{k+1} = w_k - η ∇f(w_k) with ∇f(w) = E[x(wᵀx - y)] = M w - E[xy], M = E[xxᵀ].

    ``normalize`` (None, "center", "standardize") is applied to the batch first, as BatchNorm
    on the layer's input would (see ``normalize_inputs``); w lives in the normalised
    coordinates. On this quadratic the iteration is linear, w_k - w* = (I - ηM)^k (w_0 - w*),
    and is evaluated in that closed form through M = V diag(λ) Vᵀ (the tests replay the plain
    loop): it diverges iff η > 2/L, when w_0 - w* has a component along the top eigenvector.
    Divergent runs overflow to inf; use float64.
    """
    x = _batch("x", x)
    y = _targets("y", y, x)
    lr = positive("lr", lr)
    steps = integer("steps", steps, minimum=0)
    x, y = normalize_inputs(x, y, normalize)
    n, d = x.shape
    m = x.T @ x / n  # (d, d) Hessian
    b = x.T @ y / n  # (d,)   E[x y]
    w = torch.zeros(d, dtype=x.dtype, device=x.device) if w0 is None else as_float_tensor("w0", w0).to(x)
    if w.shape != (d,):
        raise ValueError(f"w0 must have shape ({d},), got shape {tuple(w.shape)}")
    lam, vec = torch.linalg.eigh(m)  # (d,), (d, d): M = V diag(λ) Vᵀ
    lam_plus = torch.where(lam > lam[-1] * d * torch.finfo(x.dtype).eps, lam, torch.inf)
    opt = vec @ ((vec.T @ b) / lam_plus)  # (d,) the minimum-norm minimiser, M⁺ E[xy]
    k = torch.arange(steps + 1, dtype=x.dtype, device=x.device)  # (steps+1,)
    factor = (1 - lr * lam)[None, :] ** k[:, None]  # (steps+1, d): (1 - ηλ_i)^k
    path = opt + (factor * ((w - opt) @ vec)) @ vec.T  # (steps+1, d)
    grads = path @ m - b  # (steps+1, d), M symmetric
    losses = (path @ x.T - y).pow(2).mean(dim=-1) / 2  # (steps+1,)
    min_loss = (x @ opt - y).pow(2).mean() / 2
    return GDRun(path, losses, grads.pow(2).sum(-1), lam[-1], opt, min_loss, x, y)


def linear_regression_data(
    n: int, mean, scale, w_true, noise: float = 0.1, *, generator=None, device=None, dtype=torch.float64
):
    """x = μ + s ⊙ z, y = xᵀw_true + noise·ε with z, ε standard normal; returns (x (n, d), y (n,)).

    ``mean`` and ``scale`` are numbers or length-d sequences; d = len(w_true).
    """
    n = integer("n", n, minimum=2)
    noise = positive("noise", noise, allow_zero=True)
    w_true = as_float_tensor("w_true", torch.as_tensor(w_true, dtype=dtype)).to(device=device, dtype=dtype)
    if w_true.dim() != 1:
        raise ValueError(f"w_true must be a vector, got shape {tuple(w_true.shape)}")
    d = w_true.shape[0]
    mean = as_float_tensor("mean", torch.as_tensor(mean, dtype=dtype), min_dim=0).to(device=device)
    scale = as_float_tensor("scale", torch.as_tensor(scale, dtype=dtype), min_dim=0).to(device=device)
    if (scale <= 0).any():
        raise ValueError("scale must be > 0 in every coordinate")
    for name, t in (("mean", mean), ("scale", scale)):
        if t.dim() > 1 or (t.dim() == 1 and t.shape[0] != d):
            raise ValueError(f"{name} must be a number or have length {d}, got shape {tuple(t.shape)}")
    z = torch.randn(n, d, generator=generator, device=device, dtype=dtype)  # (n, d)
    x = mean + scale * z
    eps = torch.randn(n, generator=generator, device=device, dtype=dtype)  # (n,)
    return x, x @ w_true + noise * eps


# ------------------------------------------------------------------------- the MLP probe
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
    if isinstance(mean, bool) or not isinstance(mean, numbers.Real) or not math.isfinite(mean):
        raise ValueError(f"mean must be a finite real number, got {mean!r}")
    spread = positive("scale_spread", scale_spread)
    if spread < 1:
        raise ValueError(f"scale_spread must be >= 1, got {scale_spread!r}")
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


one_thread = one_cpu_thread  # kept under its lesson-06 name


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
) -> LandscapeProbe:
    """Train an MLP by SGD on L = E[(f(x) - y)²]/2 and probe the landscape along the gradient.

    At a probed step k, with batch B_k and g = ∇L(θ_k): for η_j = lr·probe_scales[j] the loss
    L(θ_k - η_j g) (loss variation), ‖∇L(θ_k - η_j g) - g‖ (gradient predictiveness) and its
    ratio to η_j‖g‖ (effective β-smoothness), all on B_k, as Santurkar et al. (2018) measure
    them. ``bn``: "none", "after" (Linear -> BN -> ReLU) or "before" (BN on every linear
    layer's input). Runs on x's device; batches and initial weights come from ``seed``.
    """
    x = _batch("x", x)
    y = _targets("y", y, x)
    bn = choice("bn", bn, BN_PLACEMENTS)
    hidden = tuple(integer("hidden", h, minimum=1) for h in hidden)
    lr = positive("lr", lr)
    steps = integer("steps", steps, minimum=1)
    batch_size = integer("batch_size", batch_size, minimum=2)
    scales = as_float_tensor("probe_scales", torch.as_tensor(probe_scales, dtype=torch.float64))
    if scales.dim() != 1 or (scales <= 0).any():
        raise ValueError(f"probe_scales must be a list of numbers > 0, got {probe_scales!r}")
    probe_every = integer("probe_every", probe_every, minimum=1)
    seed = integer("seed", seed, minimum=0)
    n, d = x.shape
    batch_size = min(batch_size, n)
    device, dtype = x.device, x.dtype
    gen = torch.Generator(device=device).manual_seed(seed)
    n_layers = len(hidden) + 1
    etas = (lr * scales).to(device=device, dtype=dtype)  # (K,)
    K = etas.shape[0]
    probed = list(range(0, steps, probe_every))

    with one_thread(device):
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
