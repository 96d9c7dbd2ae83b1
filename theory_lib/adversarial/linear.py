"""Lesson 12, the linear case: FGM is the exact inner maximiser, and the robust loss is convex.

For f(x) = w·x + b, labels y ∈ {−1, +1} and L = log(1 + e^{−y f}), ∇_x L = −y σ(−y f) w, so
Δx_FGM = −ε y w/‖w‖ ("l2") or −ε y sign(w) ("sign") maximises L over the attack's ball, and

    max_{‖Δx‖ ≤ ε} L(x + Δx) = softplus(ε‖w‖_* − y(w·x + b)) = softplus(‖w‖(ε − d)),  d = y f/‖w‖

with ‖·‖_* the dual norm of the attack's (ℓ2 for "l2", ℓ1 for "sign": the ℓ∞ ball's worst case),
d the signed distance to the boundary. The mean over the data is convex in (w, b); from the
subgradient at w = 0, w = 0 is optimal exactly when ε ≥ ε* = ‖μ₊ − μ₋‖/2 (ℓ2, or ℓ∞ for "sign"),
μ± the class means, and then b = log(n₊/n₋): the robust model collapses to a constant predictor.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F

from theory_lib._checks import as_float_tensor, choice, positive, public, shorten

__all__ = ["LINEAR_NORMS", "robust_logistic_loss", "robust_logistic_fit", "robust_collapse_eps"]

LINEAR_NORMS = ("l2", "sign")
MAX_SIGN_DIM = 6  # the "sign" fit visits the 3^d sign patterns of w
_X = [[0.0, 0.2], [1.0, 1.1], [0.5, -0.4], [1.6, 0.3], [-0.3, 0.9], [2.0, 1.5], [-1.0, -0.2], [0.8, 0.6], [0.2, 1.8]]
_Y = [1, 1, -1, 1, -1, 1, -1, -1, 1]


def _data(X, y, *, both: bool = False):
    """X (n, d) and labels y (n,) in {−1, +1} (float, X's dtype and device)."""
    X = as_float_tensor("X", X, min_dim=2)
    if X.dim() != 2:
        raise ValueError(f"X must be a matrix (n, d): one row per sample, got {shorten(X)}")
    yt = as_float_tensor("y", y)
    if yt.shape != X.shape[:1] or not bool(((yt == 1) | (yt == -1)).all()):
        raise ValueError(f"y must hold {X.shape[0]} labels in {{-1, +1}} (one per row of X), got {shorten(y)}")
    if both and not (bool((yt == 1).any()) and bool((yt == -1).any())):
        raise ValueError(f"y must hold both classes (-1 and +1) for a fit, got one class only: {shorten(y)}")
    return X, yt.to(X)


def _dual(w: torch.Tensor, norm: str) -> torch.Tensor:
    return torch.linalg.vector_norm(w, ord=2 if norm == "l2" else 1, dim=-1)


@public({"w": [0.8, -0.5], "b": 0.1, "X": _X, "y": _Y, "eps": 0.2}, cannot=("batch",), extremes={"eps": [0.0, 1e6]})
def robust_logistic_loss(w, b, X, y, eps, *, norm: str = "l2") -> torch.Tensor:
    """mean_i softplus(ε‖w‖_* − y_i(w·x_i + b)): the logistic loss under the worst attack of size ε.

    ‖·‖_* is ℓ2 for the "l2" attack, ℓ1 for "sign" (Δx ∈ ℓ∞ ball). Differentiable in w, b and X.
    """
    X, yt = _data(X, y)
    w = as_float_tensor("w", w)
    if w.shape != X.shape[1:]:
        raise ValueError(f"w must be a vector of {X.shape[1]} weights (one per column of X), got {shorten(w)}")
    b = as_float_tensor("b", b, min_dim=0)
    if b.numel() != 1:
        raise ValueError(f"b must be one number (the bias), got {shorten(b)}")
    eps = positive("eps", eps, allow_zero=True)
    norm = choice("norm", norm, LINEAR_NORMS)
    margin = yt * (X @ w.to(X) + b.reshape(()).to(X))  # (n,)
    return F.softplus(eps * _dual(w.to(X), norm) - margin).mean()


@public({"X": _X, "y": _Y}, cannot=("batch", "grad"))
def robust_collapse_eps(X, y, *, norm: str = "l2") -> float:
    """ε* = ‖μ₊ − μ₋‖/2 (ℓ2 for "l2", ℓ∞ for "sign"): the smallest ε at which w = 0 is optimal.

    At w = 0 the best bias is b₀ = log(n₊/n₋), and s_i = σ(−y_i b₀); 0 is in the subgradient iff
    ‖Σ s_i y_i x_i‖_dual ≤ ε Σ s_i, and Σ s_i y_i x_i = (n₊n₋/n)(μ₊ − μ₋), Σ s_i = 2n₊n₋/n.
    """
    X, yt = _data(X, y, both=True)
    norm = choice("norm", norm, LINEAR_NORMS)
    X = X.detach().to(torch.float64)
    diff = X[yt == 1].mean(0) - X[yt == -1].mean(0)  # (d,)
    return 0.5 * float(torch.linalg.vector_norm(diff, ord=2 if norm == "l2" else math.inf))


class _Robust:
    """f(z) = mean softplus(ε N(w) − y_i(x_i·w + b)), z = (w, b), with its gradient and Hessian in
    closed form: a_i = ε N(w) − y_i x̃_i·z, ∇f = mean σ(a_i) ∇a_i, ∇²f = mean σ'(a_i) ∇a_i ∇a_iᵀ + ε mean σ(a_i) ∇²N.
    N is ‖w‖₂ (``signs`` None) or the linear s·w (ℓ1 on the face of sign pattern s)."""

    def __init__(self, X, yt, eps, signs=None):
        self.Xt = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], 1)  # (n, d + 1)
        self.yX = yt[:, None] * self.Xt  # (n, d + 1)
        self.eps, self.signs = eps, signs

    def _norm(self, w):
        if self.signs is not None:
            return self.signs @ w, self.signs, torch.zeros(len(w), len(w), dtype=w.dtype)
        r = torch.linalg.vector_norm(w)
        u = w / r
        return r, u, (torch.eye(len(w), dtype=w.dtype) - torch.outer(u, u)) / r

    def value(self, z):
        n, _, _ = self._norm(z[:-1])
        return F.softplus(self.eps * n - self.yX @ z).mean()

    def grad_hess(self, z):
        n, dn, ddn = self._norm(z[:-1])
        a = self.eps * n - self.yX @ z  # (n,)
        da = -self.yX.clone()
        da[:, :-1] += self.eps * dn  # (n, d + 1)
        s = torch.sigmoid(a)
        grad = (s[:, None] * da).mean(0)
        hess = (da.T * (s * (1 - s))) @ da / len(a)
        hess[:-1, :-1] += self.eps * s.mean() * ddn
        return grad, hess


def _newton(f: _Robust, z0: torch.Tensor, iters: int = 200):
    """Damped Newton with backtracking on a smooth convex function of z (float64); None if it
    does not converge (no finite minimiser on this face, or the iterate leaves the domain)."""
    z, value = z0.clone(), f.value(z0)
    for _ in range(iters):
        grad, hess = f.grad_hess(z)
        step = torch.linalg.lstsq(hess, -grad[:, None]).solution[:, 0]
        decrement = float(-(grad @ step))
        if not math.isfinite(decrement):
            return None
        if decrement < 1e-24:
            return z
        if decrement < 1e-12:  # deep in Newton's quadratic region, where f no longer resolves the decrease
            z = z + step
            value = f.value(z)
            continue
        t = 1.0
        while f.signs is None and torch.linalg.vector_norm(z[:-1] + t * step[:-1]) < 0.5 * torch.linalg.vector_norm(
            z[:-1]
        ):
            t *= 0.5  # ‖w‖ shrinks at most by half a step: near the kink at w = 0 a full step overshoots
        while t > 1e-14:
            new = f.value(z + t * step)
            if torch.isfinite(new) and new <= value - 0.25 * t * decrement:
                break
            t *= 0.5
        else:
            return None
        z, value = z + t * step, new
        if float(z.abs().max()) > 1e8:
            return None
    return None


def _fit_face(X, yt, eps, signs):
    """Minimise on the face where w_j has sign signs_j (0: w_j = 0), with ‖w‖₁ = signs·w there."""
    live = [j for j, s in enumerate(signs) if s != 0]
    s = torch.tensor([signs[j] for j in live], dtype=torch.float64)
    f = _Robust(X[:, live], yt, eps, signs=s)
    z = _newton(f, torch.cat([0.1 * s, torch.zeros(1, dtype=torch.float64)]))
    if z is None or not bool((torch.sign(z[:-1]) == s).all()):
        return None
    w = torch.zeros(X.shape[1], dtype=torch.float64)
    w[live] = z[:-1]
    return float(f.value(z)), w, z[-1]


def _outside_tube(X, yt, eps, w, b, order) -> bool:
    """Every point beyond the ε-tube (y_i f_i > ε‖w‖_*): scaling (w, b) up lowers the loss for ever,
    so the "minimum" found is where float64 stopped seeing the decrease (separable data)."""
    return bool((yt * (X @ w + b) > eps * torch.linalg.vector_norm(w, ord=order)).all())


def _violations(X, yt, eps, w, b):
    """Coordinates j with w_j = 0 where the ℓ1 optimality condition |G_j| ≤ ε S fails, with the sign
    of G_j; G = mean σ(a_i) y_i x_i, S = mean σ(a_i), a_i = ε‖w‖₁ − y_i(x_i·w + b)."""
    s = torch.sigmoid(eps * w.abs().sum() - yt * (X @ w + b))
    G, S = (s * yt) @ X / len(s), s.mean()
    return {
        j: int(torch.sign(G[j])) for j in range(len(w)) if w[j] == 0 and abs(float(G[j])) > eps * float(S) * (1 + 1e-9)
    }


def _active_set(X, yt, eps, b0):
    """The "sign" fit by an active set: start from the coordinates that violate optimality at w = 0,
    fit on that face, add violators; None when a face has no consistent minimiser or it cycles."""
    w, b = torch.zeros(X.shape[1], dtype=torch.float64), torch.tensor(b0, dtype=torch.float64)
    signs, seen = [0] * X.shape[1], set()
    for _ in range(4 * X.shape[1] + 4):
        enter = _violations(X, yt, eps, w, b)
        if not enter:
            return (w, b.clone()) if any(signs) else None
        for j, sign in enter.items():
            signs[j] = sign
        if tuple(signs) in seen:
            return None
        seen.add(tuple(signs))
        found = _fit_face(X, yt, eps, tuple(signs))
        if found is None:
            return None
        _, w, b = found
    return None


@public({"X": _X, "y": _Y, "eps": 0.2}, cannot=("batch", "grad"), extremes={"eps": [0.0, 1e6]})
def robust_logistic_fit(X, y, eps, *, norm: str = "l2"):
    """(w, b) in float64 minimising robust_logistic_loss (convex), by damped Newton to float64 precision.

    For ε ≥ robust_collapse_eps it returns exactly w = 0, b = log(n₊/n₋). The "l2" objective is
    smooth away from w = 0; the "sign" one (ℓ1 norm of w) is smooth on each face of fixed sign
    pattern, and the fit tries all 3^d patterns (d ≤ 6). Data separable with margin above ε
    (in the attack's norm) have no finite minimiser: a ValueError says so.
    """
    X, yt = _data(X, y, both=True)
    eps = positive("eps", eps, allow_zero=True)
    norm = choice("norm", norm, LINEAR_NORMS)
    X, yt = X.detach().to(torch.float64).cpu(), yt.detach().to(torch.float64).cpu()
    d = X.shape[1]
    n_pos, n_neg = int((yt == 1).sum()), int((yt == -1).sum())
    if eps >= robust_collapse_eps(X, yt, norm=norm):
        return torch.zeros(d, dtype=torch.float64), torch.tensor(math.log(n_pos / n_neg), dtype=torch.float64)
    if norm == "l2":
        diff = X[yt == 1].mean(0) - X[yt == -1].mean(0)
        z0 = torch.cat([diff / torch.linalg.vector_norm(diff), torch.tensor([math.log(n_pos / n_neg)])])
        z = _newton(_Robust(X, yt, eps), z0.to(torch.float64))
        if z is None or _outside_tube(X, yt, eps, z[:-1], z[-1], 2):
            raise ValueError(
                f"X, y must not be separable with ℓ2 margin above eps (no finite minimiser), got eps={eps}"
            )
        return z[:-1].clone(), z[-1].clone()
    if d > MAX_SIGN_DIM:
        raise ValueError(f"X must have at most {MAX_SIGN_DIM} columns for the 'sign' fit, got {shorten(X)}")
    found = _active_set(X, yt, eps, math.log(n_pos / n_neg))
    if found is not None and not _outside_tube(X, yt, eps, *found, 1):
        return found
    best = None  # the active set cycled: try every face (the one holding the optimum wins)
    for signs in itertools.product((-1, 0, 1), repeat=d):
        if any(signs):
            found = _fit_face(X, yt, eps, signs)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
    if best is None or _outside_tube(X, yt, eps, best[1], best[2], 1):
        raise ValueError(f"X, y must not be separable with ℓ∞ margin above eps (no finite minimiser), got eps={eps}")
    return best[1], best[2].clone()
