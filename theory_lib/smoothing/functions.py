"""Smooth stand-ins for max, argmax, |x|, relu, sign and step, and how far each is from the exact one.

With a temperature tau (or a sharpness k = 1/tau):

    max(x)             ~ tau log sum_i exp(x_i / tau),   max <= it <= max + tau log n
    onehot(argmax x)   ~ softmax(x / tau)                 (the gradient of the smooth max)
    argmax(x)          ~ sum_i i softmax(x / tau)_i
    |x|                ~ log(e^{kx} + e^{-kx}) / k,  x erf(kx),  x tanh(kx)
    relu(x) = (x+|x|)/2 ~ log(1 + e^{kx}) / k,  x sigmoid(kx)
    sign(x) ~ tanh(kx), erf(kx);    step(x) ~ sigmoid(kx)
    max(x1, x2) = (x1 + x2 + |x1 - x2|) / 2, with any smooth |.|
    sup |smooth - exact| = C / k    (approximation_error; C per function and kind)

Every function is written so that |x| up to 1e4 and tau down to 1e-4 (k up to 1e4) neither
overflows nor gives NaN gradients: max-shifted logsumexp, log1p(exp(-|.|)) tails, and products
whose vanishing factor is computed exactly (x * sigmoid, x * erf).
"""

from __future__ import annotations

import functools
import math

import torch

from theory_lib._checks import as_float_tensor, choice, integer, positive, public, widened

__all__ = [
    "smooth_max",
    "smooth_max_bound",
    "smooth_onehot",
    "smooth_argmax",
    "smooth_abs",
    "smooth_relu",
    "smooth_sign",
    "smooth_step",
    "smooth_max2",
    "approximation_error",
    "derivative_mass",
    "ABS_KINDS",
    "RELU_KINDS",
    "SIGN_KINDS",
]

ABS_KINDS = ("logcosh", "erf", "tanh")
RELU_KINDS = ("softplus", "swish")
SIGN_KINDS = ("tanh", "erf")


def _dim(name: str, dim, x: torch.Tensor) -> int:
    return integer(name, dim, minimum=-x.dim(), maximum=x.dim() - 1)


# ---------------------------------------------------------------- max, onehot, argmax
@public({"x": [0.1, 2.0, -1.0], "tau": 0.5}, extremes={"tau": [1e-300, 1e300], "x": [[1e300, -1e300, 0.0]]})
def smooth_max(x, tau: float, dim: int = -1) -> torch.Tensor:
    """tau * log sum_i exp(x_i / tau) along ``dim``: max <= smooth_max <= max + tau log n.

    Computed as m + tau * logsumexp((x - m) / tau) with m = max(x) held constant, so that
    x / tau never overflows; the gradient is exactly softmax(x / tau).
    """
    x = as_float_tensor("x", x)
    tau = positive("tau", tau)
    dim = _dim("dim", dim, x)
    dt, x = x.dtype, widened(x, tau)  # float64 for a tau float32 cannot hold
    m = x.detach().amax(dim=dim, keepdim=True)  # (..., 1, ...)
    out = m + tau * torch.logsumexp((x - m) / tau, dim=dim, keepdim=True)
    return out.squeeze(dim).to(dt)


@public({"n": 3, "tau": 0.5}, extremes={"tau": [1e-300, 1e300], "n": [1, 2**31 - 1]})
def smooth_max_bound(n: int, tau: float) -> float:
    """The largest possible gap smooth_max - max = tau log n (reached when all n entries tie)."""
    return positive("tau", tau) * math.log(integer("n", n, minimum=1))


@public({"x": [0.1, 2.0, -1.0], "tau": 0.5}, extremes={"tau": [1e-300, 1e300], "x": [[1e300, -1e300, 0.0]]})
def smooth_onehot(x, tau: float, dim: int = -1) -> torch.Tensor:
    """softmax(x / tau) along ``dim``: the gradient of smooth_max, a smooth onehot(argmax x)."""
    x = as_float_tensor("x", x)
    tau = positive("tau", tau)
    dim = _dim("dim", dim, x)
    dt, x = x.dtype, widened(x, tau)
    m = x.detach().amax(dim=dim, keepdim=True)
    return torch.softmax((x - m) / tau, dim=dim).to(dt)  # shifting first keeps tiny tau finite


@public({"x": [0.1, 2.0, -1.0], "tau": 0.5}, extremes={"tau": [1e-300, 1e300], "x": [[1e300, -1e300, 0.0]]})
def smooth_argmax(x, tau: float, dim: int = -1) -> torch.Tensor:
    """sum_i i * softmax(x / tau)_i along ``dim`` (0-based index, a float).

    Tends to argmax when the maximum is unique; with ties it tends to the *mean* of the tied
    indices, which need not be a maximiser (x = [3, 0, 3] gives 1).
    """
    p = smooth_onehot(x, tau, dim)
    dim = dim % p.dim()
    shape = [1] * p.dim()
    shape[dim] = p.shape[dim]
    index = torch.arange(p.shape[dim], dtype=p.dtype, device=p.device).reshape(shape)
    return (index * p).sum(dim=dim)


# ---------------------------------------------------------------- |x|, relu, sign, step, max2
def _abs(x: torch.Tensor, k: float, kind: str) -> torch.Tensor:
    if kind == "logcosh":
        # log(e^{kx} + e^{-kx}) / k = |x| + log1p(e^{-2k|x|}) / k: exact tail, never below |x|;
        # its autograd derivative is tanh(kx), 0 at x = 0 as it must be.
        return x.abs() + torch.log1p(torch.exp(-2.0 * k * x.abs())) / k
    if kind == "erf":
        return x * torch.erf(k * x)
    return x * torch.tanh(k * x)  # "tanh"


@public(
    {"x": [0.1, 2.0, -1.0], "k": 2.0},
    extremes={"k": [1e-300, 1e300], "x": [[1e300, -1e300, 0.0]], "kind": ["erf", "tanh"]},
)
def smooth_abs(x, k: float, kind: str = "logcosh") -> torch.Tensor:
    """|x| ~ log(e^{kx} + e^{-kx}) / k ("logcosh"), x erf(kx) ("erf") or x tanh(kx) ("tanh").

    logcosh is the smooth max of (x, -x) at tau = 1/k and lies above |x| by at most log(2)/k;
    the two products x sign_k(x) lie below |x| (see ``approximation_error``).
    """
    x = as_float_tensor("x", x, min_dim=0)
    k = positive("k", k)
    kind = choice("kind", kind, ABS_KINDS)
    return _abs(widened(x, k, 2 * k), k, kind).to(x.dtype)


@public(
    {"x": [0.1, 2.0, -1.0], "k": 2.0}, extremes={"k": [1e-300, 1e300], "x": [[1e300, -1e300, 0.0]], "kind": ["swish"]}
)
def smooth_relu(x, k: float, kind: str = "softplus") -> torch.Tensor:
    """relu(x) = (x + |x|)/2 ~ log(1 + e^{kx}) / k ("softplus") or x sigmoid(kx) ("swish").

    softplus is (x + logcosh-|x| at k/2)/2, so it lies above relu by at most log(2)/k and its
    derivative is sigmoid(kx) (1/2 at 0); swish lies below relu by at most W(1/e)/k.
    """
    x = as_float_tensor("x", x, min_dim=0)
    k = positive("k", k)
    kind = choice("kind", kind, RELU_KINDS)
    dt, x = x.dtype, widened(x, 0.5 * k, k)
    if kind == "softplus":
        return (0.5 * (x + _abs(x, 0.5 * k, "logcosh"))).to(dt)
    return (x * torch.sigmoid(k * x)).to(dt)


@public(
    {"x": [0.1, 2.0, -1.0], "k": 2.0}, extremes={"k": [1e-300, 1e300], "x": [[1e300, -1e300, 0.0]], "kind": ["erf"]}
)
def smooth_sign(x, k: float, kind: str = "tanh") -> torch.Tensor:
    """sign(x) ~ tanh(kx) ("tanh", the derivative of the logcosh |x|) or erf(kx) ("erf")."""
    x = as_float_tensor("x", x, min_dim=0)
    k = positive("k", k)
    kind = choice("kind", kind, SIGN_KINDS)
    dt, x = x.dtype, widened(x, k)
    return (torch.tanh(k * x) if kind == "tanh" else torch.erf(k * x)).to(dt)


@public({"x": [0.1, 2.0, -1.0], "k": 2.0}, extremes={"k": [1e-300, 1e300], "x": [[1e300, -1e300, 0.0]]})
def smooth_step(x, k: float) -> torch.Tensor:
    """step(x) = [x > 0] ~ sigmoid(kx) = (1 + tanh(kx/2)) / 2, the derivative of softplus."""
    x = as_float_tensor("x", x, min_dim=0)
    k = positive("k", k)
    return torch.sigmoid(k * widened(x, k)).to(x.dtype)


@public(
    {"x1": [0.1, 2.0, -1.0], "x2": [0.3, -1.0, 1.0], "k": 2.0},
    extremes={"k": [1e-300, 1e300], "x1": [[1e300, -1e300, 0.0]], "kind": ["erf", "tanh"]},
)
def smooth_max2(x1, x2, k: float, kind: str = "logcosh") -> torch.Tensor:
    """max(x1, x2) = (x1 + x2 + |x1 - x2|)/2 with a smooth |.| (broadcasting x1 against x2).

    kind "logcosh" equals smooth_max([x1, x2], tau = 1/(2k)); "erf" is the article's
    (x1 + x2 + d erf(k d))/2 and "tanh" its x2 + d sigmoid(2k d), with d = x1 - x2.
    """
    x1 = as_float_tensor("x1", x1, min_dim=0)
    x2 = as_float_tensor("x2", x2, min_dim=0)
    try:
        torch.broadcast_shapes(x1.shape, x2.shape)
    except RuntimeError:
        raise ValueError(f"x2 must broadcast against x1, got shapes {tuple(x1.shape)} and {tuple(x2.shape)}") from None
    k = positive("k", k)
    kind = choice("kind", kind, ABS_KINDS)
    dt = torch.promote_types(x1.dtype, x2.dtype)
    x1, x2 = widened(x1, k, 2 * k), widened(x2, k, 2 * k)
    return (0.5 * (x1 + x2 + _abs(x1 - x2, k, kind))).to(dt)


# ---------------------------------------------------------------- how close: sup |smooth - exact|
@functools.cache
def _erf_abs_constant() -> float:
    """max_u u erfc(u): where erfc(u) = 2u exp(-u^2)/sqrt(pi) (bisection; about 0.2404)."""
    lo, hi = 0.0, 2.0  # the derivative erfc(u) - 2u e^{-u^2}/sqrt(pi) is + at 0, - at 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if math.erfc(mid) - 2 * mid * math.exp(-mid * mid) / math.sqrt(math.pi) > 0:
            lo = mid
        else:
            hi = mid
    u = 0.5 * (lo + hi)
    return u * math.erfc(u)


@functools.cache
def _omega_e() -> float:
    """W(1/e) = max_u u / (1 + e^u) (about 0.2785): the maximiser solves u = 1 + e^{-u}."""
    u = 1.25
    for _ in range(200):  # a contraction: |d/du e^{-u}| < 0.3 near the root
        u = 1.0 + math.exp(-u)
    return u - 1.0


@public(
    {"function": "abs", "k": 2.0},
    extremes={"k": [1e-300, 1e300], "function": ["relu", "sign", "step", "max2"]},
    kinds={"kind": "choice"},
)
def approximation_error(function: str, k: float, kind: str | None = None) -> float:
    """sup_x |smooth(x) - exact(x)| for the sharpness-k approximations above.

    abs: logcosh log(2)/k, erf c/k with c = max_u u erfc(u), tanh W(1/e)/k;
    relu: softplus log(2)/k, swish W(1/e)/k;   max2: half the |.| error of its kind;
    sign: 1 and step: 1/2 for every k (the jump is never approximated uniformly).
    """
    function = choice("function", function, ("abs", "relu", "sign", "step", "max2"))
    k = positive("k", k)
    kinds = {"abs": ABS_KINDS, "max2": ABS_KINDS, "relu": RELU_KINDS, "sign": SIGN_KINDS, "step": ("sigmoid",)}[
        function
    ]
    kind = choice("kind", kinds[0] if kind is None else kind, kinds)
    if function == "sign":
        return 1.0
    if function == "step":
        return 0.5
    constant = {
        "logcosh": math.log(2.0),
        "erf": _erf_abs_constant(),
        "tanh": _omega_e(),
        "softplus": math.log(2.0),
        "swish": _omega_e(),
    }[kind]
    return constant / k / (2.0 if function == "max2" else 1.0)


@public(
    {"function": "abs", "k": 2.0, "a": 1.0},
    extremes={"k": [1e-300, 1e300], "a": [1e-300, 1e300], "function": ["relu", "sign", "step"]},
    kinds={"kind": "choice"},
)
def derivative_mass(function: str, k: float, a: float, kind: str | None = None) -> float:
    """The area under the smooth derivative on [-a, a]: smooth(a) - smooth(-a), in closed form.

    sign: tanh 2 tanh(ka), erf 2 erf(ka) (-> 2, the mass of the exact 2 delta);
    step: sigmoid(ka) - sigmoid(-ka) = tanh(ka/2) (-> 1);   abs, relu: smooth(a) - smooth(-a)
    (abs -> 0 by symmetry, relu -> a). Exact for every k: no grid has to resolve the kink.
    """
    function = choice("function", function, ("abs", "relu", "sign", "step"))
    k = positive("k", k)
    a = positive("a", a)
    kinds = {"abs": ABS_KINDS, "relu": RELU_KINDS, "sign": SIGN_KINDS, "step": ("sigmoid",)}[function]
    kind = choice("kind", kinds[0] if kind is None else kind, kinds)
    if function == "sign":
        return 2.0 * (math.tanh(k * a) if kind == "tanh" else math.erf(k * a))
    if function == "step":
        return math.tanh(0.5 * k * a)
    ends = torch.tensor([-a, a], dtype=torch.float64)
    y = smooth_abs(ends, k, kind) if function == "abs" else smooth_relu(ends, k, kind)
    return (y[1] - y[0]).item()
