"""Batch normalisation's exact toy: least squares, where centering and scaling the input change L.

descent lemma:   f(θ - η∇f) <= f(θ) + (Lη²/2 - η)‖∇f‖²       (a decrease for η < 2/L)
least squares:   f(w) = E[(wᵀx - y)²]/2 has Hessian E[xxᵀ], so L = λ_max(E[xxᵀ])
centering:       E[(x-c)(x-c)ᵀ] = Cov[x] + (μ-c)(μ-c)ᵀ, smallest (Loewner order) at c = μ
standardizing:   gradient descent on x/σ is gradient descent on x with the rate η/σ_i²
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, fits, integer, positive, public, shorten

__all__ = [
    "second_moment",
    "gradient_lipschitz",
    "max_stable_lr",
    "descent_bound",
    "normalize_inputs",
    "gradient_descent",
    "GDRun",
    "linear_regression_data",
    "NORMALIZE",
]

NORMALIZE = (None, "center", "standardize")


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
@public(
    {"x": [[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]]}, extremes={"x": [[[1e150, 0.0], [0.0, 1e-150]]]}, cannot=("batch",)
)
def second_moment(x) -> torch.Tensor:
    """M = E[x xᵀ] = xᵀx / N over the rows of x, shape (d, d): the Hessian of least squares."""
    x = _batch("x", x)
    return x.T @ x / x.shape[0]  # (d, d)


@public(
    {"x": [[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]]},
    extremes={"x": [[[1e150, 0.0], [0.0, 1e-150]]]},
    cannot=("grad", "batch"),
)
def gradient_lipschitz(x) -> torch.Tensor:
    """L = λ_max(E[x xᵀ]): the Lipschitz constant of ∇f for f(w) = E[(wᵀx - y)²]/2.

    The Hessian of that f is E[x xᵀ] whatever w and y, so ‖∇f(w) - ∇f(v)‖ <= L ‖w - v‖ with
    equality along the top eigenvector. x is a batch of shape (N, d); returns a 0-d tensor.
    """
    m = second_moment(x)
    return torch.linalg.eigvalsh(m)[-1]  # eigenvalues in ascending order


@public({"x": [[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]]}, cannot=("grad", "batch"))
def max_stable_lr(x) -> torch.Tensor:
    """η_max = 2/L: gradient descent on least squares converges for η < 2/L, diverges above."""
    L = gradient_lipschitz(x)
    if L <= 0:
        raise ValueError("x must not be all zeros (L = 0: every learning rate is stable)")
    return 2.0 / L


@public(
    {"L": 2.0, "lr": 0.1, "grad_norm_sq": [1.0, 0.5]},
    spans={"grad_norm_sq": (0.0, 1e6)},
    extremes={"L": [0.0, 1e30], "lr": [1e-300, 1e10]},
    kinds={"L": "real", "lr": "real"},
)
def descent_bound(L, lr, grad_norm_sq):
    """The guaranteed change of one step: f(θ - η∇f) - f(θ) <= (Lη²/2 - η)‖∇f‖².

    From the descent lemma for an L-Lipschitz gradient; negative (a guaranteed decrease) for
    0 < η < 2/L, most negative, -‖∇f‖²/(2L), at η = 1/L. Broadcasts over tensors.
    """
    if isinstance(L, torch.Tensor):
        L_t = as_float_tensor("L", L, min_dim=0)
        if (L_t < 0).any():
            raise ValueError(f"L must be >= 0 (a Lipschitz constant), got {shorten(L)}")
    else:
        L_t = torch.tensor(positive("L", L, allow_zero=True), dtype=torch.float64)
    lr_v = positive("lr", lr)
    g = as_float_tensor("grad_norm_sq", grad_norm_sq, min_dim=0)
    if (g < 0).any():
        raise ValueError(f"grad_norm_sq must be >= 0 (a squared norm), got {shorten(grad_norm_sq)}")
    coef = L_t.to(device=g.device, dtype=torch.float64) * lr_v**2 / 2 - lr_v  # float64: L may be 1e300
    out = (coef * g.to(torch.float64)).to(torch.promote_types(g.dtype, L_t.dtype) if L_t.dim() else g.dtype)
    return _out(out, grad_norm_sq if isinstance(grad_norm_sq, torch.Tensor) else L)


@public(
    {"x": [[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]], "y": [1.0, 0.0, 2.0]},
    extremes={"normalize": ["center", "standardize"], "eps": [1e-300, 1e300]},
    kinds={"y": "tensor", "normalize": "choice"},
    cannot=("batch",),
)
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


@public(
    {"x": [[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]], "y": [1.0, 0.0, 2.0], "lr": 0.1, "steps": 5},
    extremes={"normalize": ["center", "standardize"], "steps": [0, 10**4], "lr": [1e-300]},
    kinds={"normalize": "choice", "w0": "other"},
    cannot=("batch", "grad"),
)
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
    steps = integer("steps", steps, minimum=0, maximum=10**7)
    fits("steps", steps, (steps + 1) * (3 * x.shape[1] + 2), bytes_per=x.element_size())
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
    # f(w_k) without an (steps+1, N) matrix: with r* = x w* - y and u_k = diag((1 - ηλ)^k) Vᵀ(w_0 - w*),
    # x w_k - y = r* + x V u_k, so f(w_k) = f(w*) + uᵀ Vᵀxᵀr*/N + uᵀ diag(λ) u / 2 (VᵀMV = diag(λ))
    resid = x @ opt - y  # (N,)
    min_loss = resid.pow(2).mean() / 2
    u = factor * ((w - opt) @ vec)  # (steps+1, d)
    losses = min_loss + u @ (vec.T @ (x.T @ resid) / n) + (u * u) @ lam / 2  # (steps+1,)
    return GDRun(path, losses, grads.pow(2).sum(-1), lam[-1], opt, min_loss, x, y)


@public(
    {"n": 5, "mean": 0.5, "scale": [1.0, 2.0], "w_true": [1.0, -1.0]},
    extremes={"noise": [0.0, 1e6], "n": [2, 10**5]},
    kinds={"mean": "tensor", "scale": "tensor", "w_true": "tensor"},
    cannot=("grad", "batch"),
)
def linear_regression_data(
    n: int, mean, scale, w_true, noise: float = 0.1, *, generator=None, device=None, dtype=torch.float64
):
    """x = μ + s ⊙ z, y = xᵀw_true + noise·ε with z, ε standard normal; returns (x (n, d), y (n,)).

    ``mean`` and ``scale`` are numbers or length-d sequences; d = len(w_true).
    """
    n = integer("n", n, minimum=2)
    noise = positive("noise", noise, allow_zero=True)
    device, generator, dtype = _checks.sampling(device, generator, dtype)
    w_true = as_float_tensor("w_true", w_true).to(device=device, dtype=dtype)
    fits("n", n, n * (w_true.shape[-1] + 1), bytes_per=dtype.itemsize)
    if w_true.dim() != 1:
        raise ValueError(f"w_true must be a vector, got shape {tuple(w_true.shape)}")
    d = w_true.shape[0]
    mean = as_float_tensor("mean", mean, min_dim=0).to(device=device, dtype=dtype)
    scale = as_float_tensor("scale", scale, min_dim=0).to(device=device, dtype=dtype)
    if (scale <= 0).any():
        raise ValueError(f"scale must be > 0 in every coordinate, got {shorten(scale)}")
    for name, t in (("mean", mean), ("scale", scale)):
        if t.dim() > 1 or (t.dim() == 1 and t.shape[0] != d):
            raise ValueError(f"{name} must be a number or have length {d}, got shape {tuple(t.shape)}")
    z = torch.randn(n, d, generator=generator, device=device, dtype=dtype)  # (n, d)
    x = mean + scale * z
    eps = torch.randn(n, generator=generator, device=device, dtype=dtype)  # (n,)
    return x, x @ w_true + noise * eps
