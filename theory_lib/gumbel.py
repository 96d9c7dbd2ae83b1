"""Reparameterisation: from the normal law to Gumbel-Max and Gumbel-Softmax.

Su Jianlin, 《漫谈重参数：从正态分布到Gumbel Softmax》, kexue.fm/archives/6705 (2019-06-10).
A loss E_{z~p_theta}[f(z)] hides a sample, and a sample has no gradient. Moving the randomness
into a fixed noise makes one flow:

    normal:        z = mu + sigma eps,  eps ~ N(0, 1)            (exact)
    Gumbel-Max:    argmax_i (o_i + G_i),  G_i = -log(-log u_i),  u_i ~ U(0, 1)   (exact in law:
                   P(argmax = i) = softmax(o)_i)
    Gumbel-Softmax: softmax((o + G) / tau)                        (smooth, biased; tau -> 0: one-hot)

Binary case (beyond the article): y_1 = sigma((Delta + L)/tau), Delta = o_1 - o_2, L = G_1 - G_2 ~
Logistic(0, 1). Its gradient g = dy_1/dDelta = sigma'((Delta + L)/tau)/tau estimates
dp_1/dDelta = sigma'(Delta). With x = (Delta + L)/tau (so that the peak of width tau is resolved):

    E[g]   = int sigma'(x) sigma'(tau x - Delta) dx                  -> sigma'(Delta)     (tau -> 0)
    Var[g] = int (sigma'(x)/tau - E[g])^2 sigma'(tau x - Delta) tau dx,  tau Var[g] -> sigma'(Delta)/6
    E[y_1] = sigma(Delta) + tau int (sigma(x) - 1[x > 0]) sigma'(tau x - Delta) dx

done by Gauss-Legendre on the unit panels of [-60, 60], in x for tau <= 1 and in L for tau > 1, so that
both factors are at least one panel wide (the tests hold it to scipy's quad and to closed forms at 1e-9
relative for tau in [1e-2, 10], and to the tau -> 0 limits at 1e-4).

Score function against reparameterisation, z ~ N(mu, sigma^2), gradient in mu of E f(z):
SF estimates it by f(z)(z - mu)/sigma^2, the reparameterisation by f'(mu + sigma eps); their
variances in closed form for f = z^2 and f = sin(omega z) (score_function_variance, reparam_variance).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, fits, integer, positive, public, shorten
from theory_lib.smoothing import smooth_onehot

__all__ = [
    "MAX_DELTA",
    "MAX_SAMPLES",
    "gumbel_noise",
    "gumbel_max",
    "gumbel_softmax",
    "sample_gumbel_max",
    "sample_gumbel_softmax",
    "binary_gs_grad_mean",
    "binary_gs_grad_var",
    "binary_gs_grad_moments",
    "binary_gs_relaxed_mean",
    "score_function_variance",
    "reparam_variance",
]

MAX_SAMPLES = 10**9  # num_samples at most this (and the output within _checks.fits' budget)
MAX_DELTA = 30.0  # |Delta| of the binary case: the quadrature window [-60, 60] keeps 1e-9 inside it
MIN_TAU = 1e-100  # the binary moments' smallest tau (1/tau must stay far from overflow)
_CHUNK = 1 << 20  # noise elements per block when sampling (memory bound)
_TINY = 2.0**-54  # where a uniform draw of 0 goes
_NODES = 8  # Gauss-Legendre nodes per panel
_WINDOW = 60  # panels reach 60 widths of each bump
FUNCTIONS = ("square", "sin")


# ---------------------------------------------------------------- checks
def _logits(logits) -> torch.Tensor:
    o = as_float_tensor("logits", logits)
    if o.shape[-1] < 2:
        raise ValueError(f"logits must have at least 2 categories on the last dimension, got {shorten(logits)}")
    return o


def _uniforms(u, like: torch.Tensor) -> torch.Tensor:
    t = as_float_tensor("u", u, min_dim=0)
    if not bool(((t > 0) & (t < 1)).all()):
        raise ValueError(f"u must hold values in the open interval (0, 1), got {shorten(u)}")
    try:
        torch.broadcast_shapes(t.shape, like.shape)
    except RuntimeError:
        raise ValueError(f"u must broadcast with logits of shape {tuple(like.shape)}, got {shorten(u)}") from None
    return t.to(like.device)


def _tau(tau) -> float:
    return positive("tau", tau)


def _sampling(logits, num_samples, device, generator):
    o = _logits(logits)
    num_samples = integer("num_samples", num_samples, minimum=1, maximum=MAX_SAMPLES)
    if device is None and generator is None:
        device = o.device
    device = _checks.device("device", device, generator=generator)
    _checks.generator("generator", generator, device)
    return o.to(device), num_samples, device


def _uniform(shape, device, generator) -> torch.Tensor:
    """u ~ U(0, 1) in float64, strictly inside (0, 1): torch.rand gives k / 2^53 with k < 2^53, and the one
    value 0 (probability 2^-53) is moved to 2^-54, so that -log(-log u) is never +-inf."""
    return torch.rand(shape, device=device, generator=generator, dtype=torch.float64).clamp_(min=_TINY)


def _rows(o: torch.Tensor, num_samples: int):
    """Sample rows per block so that a block holds about _CHUNK noise values."""
    return range(0, num_samples, max(1, _CHUNK // o.numel()))


# ---------------------------------------------------------------- the trick
@public({"u": [0.1, 0.5, 0.9]}, spans={"u": (1e-6, 1 - 1e-6)}, extremes={"u": [[1e-300, 0.5, 1 - 2**-53]]})
def gumbel_noise(u) -> torch.Tensor:
    """G = -log(-log u), elementwise, for u in the open interval (0, 1): a standard Gumbel if u ~ U(0, 1)."""
    t = as_float_tensor("u", u, min_dim=0)
    if not bool(((t > 0) & (t < 1)).all()):
        raise ValueError(f"u must hold values in the open interval (0, 1), got {shorten(u)}")
    return -torch.log(-torch.log(t))


@public(
    {"logits": [0.5, 1.0, -1.0], "u": [0.2, 0.7, 0.4]},
    spans={"u": (1e-6, 1 - 1e-6)},
    extremes={"logits": [[1e4, -1e4, 0.0]]},
    cannot=("grad",),
)
def gumbel_max(logits, u) -> torch.Tensor:
    """argmax_i (o_i - log(-log u_i)) over the last dimension, int64, 0-based.

    The article's argmax(log p_i - log(-log eps_i)); logits o may replace log p (the normaliser is the
    same for every i). With u_i ~ U(0, 1) independent, P(result = i) = softmax(o)_i.
    """
    o = _logits(logits)
    u = _uniforms(u, o)
    noise = gumbel_noise(u.to(torch.float64))
    return torch.argmax(o.detach().to(torch.float64) + noise, dim=-1)


@public(
    {"logits": [0.5, 1.0, -1.0], "u": [0.2, 0.7, 0.4], "tau": 0.5},
    spans={"u": (1e-6, 1 - 1e-6)},
    extremes={"logits": [[1e4, -1e4, 0.0]], "tau": [1e-4, 1e4]},
)
def gumbel_softmax(logits, u, tau: float) -> torch.Tensor:
    """softmax((o + G)/tau) over the last dimension, G = -log(-log u): smooth_onehot (lesson 05) of o + G.

    In the logits' dtype and on their device; differentiable in the logits. tau -> 0 gives the one-hot of
    gumbel_max(o, u); the shift by the maximum inside smooth_onehot keeps it exact at logits +-1e4, tau 1e-4.
    """
    o = _logits(logits)
    u = _uniforms(u, o)
    tau = _tau(tau)
    noise = gumbel_noise(u.to(torch.float64)).to(o.dtype)
    return smooth_onehot(o + noise, tau, dim=-1)


@public({"logits": [0.5, 1.0, -1.0], "num_samples": 5}, extremes={"num_samples": [1, 10**5]}, cannot=("grad",))
def sample_gumbel_max(logits, num_samples: int, *, device=None, generator=None) -> torch.Tensor:
    """num_samples draws of Cat(softmax(o)) by Gumbel-Max: int64 of shape (num_samples, *logits.shape[:-1]).

    The noise is float64 -log(-log u) with u strictly inside (0, 1) (never +-inf), drawn in blocks of about
    2^20 values (memory stays bounded); ``generator`` alone makes a run reproducible. ``device``: the
    logits' device unless given (or the generator's).
    """
    o, num_samples, device = _sampling(logits, num_samples, device, generator)
    fits("num_samples", num_samples, num_samples * o[..., 0].numel())
    o64 = o.detach().to(torch.float64)
    out = torch.empty((num_samples, *o.shape[:-1]), dtype=torch.int64, device=device)
    for start in _rows(o, num_samples):
        rows = min(num_samples - start, max(1, _CHUNK // o.numel()))
        noise = _uniform((rows, *o.shape), device, generator).log_().neg_().log_().neg_()  # -log(-log u)
        out[start : start + rows] = torch.argmax(noise.add_(o64), dim=-1)
    return out


@public(
    {"logits": [0.5, 1.0, -1.0], "tau": 0.5, "num_samples": 5},
    extremes={"num_samples": [1, 10**4], "tau": [1e-4, 1e4], "logits": [[1e4, -1e4, 0.0]]},
)
def sample_gumbel_softmax(logits, tau: float, num_samples: int, *, device=None, generator=None) -> torch.Tensor:
    """num_samples relaxed one-hots softmax((o + G)/tau): shape (num_samples, *logits.shape), the logits' dtype.

    The same noise as sample_gumbel_max (same generator state: argmax of these = those draws);
    differentiable in the logits.
    """
    o, num_samples, device = _sampling(logits, num_samples, device, generator)
    tau = _tau(tau)
    fits("num_samples", num_samples, num_samples * o.numel(), bytes_per=o.element_size())
    step = max(1, _CHUNK // o.numel())
    if o.requires_grad:  # keep each block's graph: the blocks are concatenated (twice the result's memory)
        blocks = [
            gumbel_softmax(o, _uniform((min(step, num_samples - i), *o.shape), device, generator), tau)
            for i in _rows(o, num_samples)
        ]
        return torch.cat(blocks)
    out = torch.empty((num_samples, *o.shape), dtype=o.dtype, device=device)
    for start in _rows(o, num_samples):
        rows = min(step, num_samples - start)
        out[start : start + rows] = gumbel_softmax(o, _uniform((rows, *o.shape), device, generator), tau)
    return out


# ---------------------------------------------------------------- the binary case, by quadrature
def _binary_args(delta, tau):
    """Delta and tau as broadcast float64 tensors, and whether both were plain numbers."""
    scalar = not isinstance(delta, (torch.Tensor, list, tuple, np.ndarray)) and not isinstance(
        tau, (torch.Tensor, list, tuple, np.ndarray)
    )
    d = as_float_tensor("delta", delta, min_dim=0)
    t = as_float_tensor("tau", tau, min_dim=0)
    if bool((d.abs() > MAX_DELTA).any()):
        raise ValueError(f"delta must lie in [-{MAX_DELTA:g}, {MAX_DELTA:g}] (o_1 - o_2), got {shorten(delta)}")
    if not bool((t >= MIN_TAU).all()):
        raise ValueError(f"tau must be a temperature in [{MIN_TAU:g}, inf), got {shorten(tau)}")
    dtype = _result_dtype((delta, d), (tau, t))
    d, t = torch.broadcast_tensors(d.to(torch.float64), t.to(d.device, torch.float64))
    return d, t, scalar, dtype


def _result_dtype(*pairs) -> torch.dtype:
    """The promoted dtype of the arguments given as tensors (numbers do not widen a float32 tensor)."""
    dtypes = [t.dtype for raw, t in pairs if isinstance(raw, torch.Tensor)] or [torch.float64]
    return functools.reduce(torch.promote_types, dtypes)


@functools.cache
def _unit_panels(device: torch.device):
    """Gauss-Legendre nodes and weights on the unit panels of [-60, 60] (an edge at every integer)."""
    x, w = np.polynomial.legendre.leggauss(_NODES)
    a = np.arange(-_WINDOW, _WINDOW, dtype=np.float64)[:, None]
    nodes, weights = (a + 0.5 + 0.5 * x).reshape(-1), np.broadcast_to(0.5 * w, (2 * _WINDOW, _NODES)).reshape(-1)
    return torch.from_numpy(nodes).to(device), torch.from_numpy(weights.copy()).to(device)


def _dsigmoid(x: torch.Tensor) -> torch.Tensor:
    """sigma'(x) = sigma(x) sigma(-x), computed without overflow."""
    e = torch.exp(-x.abs())
    return e / (1 + e) ** 2


def _out(t: torch.Tensor, scalar: bool, dtype):
    return t.item() if scalar else t.to(dtype)


def _in_x(d, t, what: str):
    """tau <= 1, in x = (Delta + L)/tau: the bump sigma'(x) has width 1, the law sigma'(tau x - Delta) 1/tau >= 1."""
    x, w = _unit_panels(d.device)
    d, t = d[:, None], t[:, None]
    dens = _dsigmoid(t * x - d) * t  # the law of x
    if what == "relaxed":  # sigma(x) - 1[x > 0] decays like e^-|x|; P(x > 0) = sigma(Delta)
        jump = torch.where(x > 0, -torch.sigmoid(-x), torch.sigmoid(x))
        return torch.sigmoid(d[:, 0]) + (w * jump * dens).sum(-1), None
    g = _dsigmoid(x) / t
    m = (w * g * dens).sum(-1)
    inside = (w * (g - m[:, None]) ** 2 * dens).sum(-1)
    # outside [-60, 60], g < e^-60/tau and (g - E g)^2 is E[g]^2: times P(|x| > 60), large when tau is small
    outside = m**2 * (torch.sigmoid(d[:, 0] - _WINDOW * t[:, 0]) + torch.sigmoid(-d[:, 0] - _WINDOW * t[:, 0]))
    return m, inside + outside


def _in_l(d, t, what: str):
    """tau > 1, in L itself: the law sigma'(L) has width 1, g = sigma'((Delta + L)/tau)/tau width tau > 1."""
    ell, w = _unit_panels(d.device)
    d, t = d[:, None], t[:, None]
    dens = _dsigmoid(ell)
    if what == "relaxed":
        return (w * torch.sigmoid((d + ell) / t) * dens).sum(-1), None
    g = _dsigmoid((d + ell) / t) / t
    m = (w * g * dens).sum(-1)
    return m, (w * (g - m[:, None]) ** 2 * dens).sum(-1)


def _binary(d, t, what: str):
    """Both moments of g ("grad") or E[y_1] ("relaxed") by unit-panel Gauss-Legendre in the variable where
    both factors are at least as wide as a panel: x for tau <= 1, L for tau > 1."""
    shape, d, t = d.shape, d.reshape(-1), t.reshape(-1)
    first, second = torch.zeros_like(d), torch.zeros_like(d)
    for mask, form in ((t <= 1, _in_x), (t > 1, _in_l)):
        if bool(mask.any()):
            a, b = form(d[mask], t[mask], what)
            first = first.masked_scatter(mask, a)
            if b is not None:
                second = second.masked_scatter(mask, b)
    return first.reshape(shape), second.reshape(shape)


@public({"delta": 0.5, "tau": 0.5}, extremes={"delta": [-30.0, 30.0], "tau": [1e-2, 10.0, 1e-4, 1e4]})
def binary_gs_grad_mean(delta, tau):
    """E[g] = int sigma'(x) sigma'(tau x - Delta) dx, g = sigma'((Delta + L)/tau)/tau the per-sample gradient
    of y_1 = sigma((Delta + L)/tau) in Delta, L ~ Logistic(0, 1). Tends to sigma'(Delta) = dp_1/dDelta as
    tau -> 0. Float for numbers, else a tensor (the inputs' device, broadcast)."""
    d, t, scalar, dtype = _binary_args(delta, tau)
    return _out(_binary(d, t, "grad")[0], scalar, dtype)


@public({"delta": 0.5, "tau": 0.5}, extremes={"delta": [-30.0, 30.0], "tau": [1e-2, 10.0, 1e-4, 1e4]})
def binary_gs_grad_var(delta, tau):
    """Var[g] = int (sigma'(x)/tau - E[g])^2 sigma'(tau x - Delta) tau dx (the centred form: no cancellation);
    tau Var[g] -> sigma'(Delta) int sigma'^2 = sigma'(Delta)/6 as tau -> 0: the variance grows like 1/tau."""
    d, t, scalar, dtype = _binary_args(delta, tau)
    return _out(_binary(d, t, "grad")[1], scalar, dtype)


@public({"delta": 0.5, "tau": 0.5}, extremes={"delta": [-30.0, 30.0], "tau": [1e-2, 10.0, 1e-4, 1e4]})
def binary_gs_grad_moments(delta, tau):
    """(E[g], Var[g]) in one pass: binary_gs_grad_mean and binary_gs_grad_var share their quadrature."""
    d, t, scalar, dtype = _binary_args(delta, tau)
    m, v = _binary(d, t, "grad")
    return _out(m, scalar, dtype), _out(v, scalar, dtype)


@public({"delta": 0.5, "tau": 0.5}, extremes={"delta": [-30.0, 30.0], "tau": [1e-2, 10.0, 1e-4, 1e4]})
def binary_gs_relaxed_mean(delta, tau):
    """E[y_1] = sigma(Delta) + tau int (sigma(x) - 1[x > 0]) sigma'(tau x - Delta) dx: the relaxed sample's
    mean, p_1 = sigma(Delta) only in the limit tau -> 0 (tends to 1/2 as tau grows)."""
    d, t, scalar, dtype = _binary_args(delta, tau)
    return _out(_binary(d, t, "relaxed")[0], scalar, dtype)


# ---------------------------------------------------------------- score function against reparameterisation
def _normal_args(f, mu, sigma, omega):
    f = choice("f", f, FUNCTIONS)
    scalar = not any(isinstance(v, (torch.Tensor, list, tuple, np.ndarray)) for v in (mu, sigma, omega))
    m = as_float_tensor("mu", mu, min_dim=0)
    s = as_float_tensor("sigma", sigma, min_dim=0)
    if not bool((s > 0).all()):
        raise ValueError(f"sigma must be > 0 (a standard deviation), got {shorten(sigma)}")
    w = as_float_tensor("omega", omega, min_dim=0)
    if not bool((w > 0).all()):
        raise ValueError(f"omega must be > 0 (the frequency of sin(omega z)), got {shorten(omega)}")
    dtype = _result_dtype((mu, m), (sigma, s), (omega, w))
    m, s, w = torch.broadcast_tensors(m.to(torch.float64), s.to(m.device, torch.float64), w.to(m.device, torch.float64))
    return f, m, s, w, scalar, dtype


@public(
    {"f": "square", "mu": 1.0, "sigma": 1.0},
    extremes={"f": ["sin"], "sigma": [1e-8, 1e3], "mu": [-1e3, 0.0]},
)
def score_function_variance(f: str, mu, sigma, *, omega=1.0):
    """Var[f(z)(z - mu)/sigma^2], z ~ N(mu, sigma^2): the score-function (REINFORCE) estimate of d/dmu E f(z).

    square: mu^4/sigma^2 + 14 mu^2 + 15 sigma^2.
    sin(omega z), with C, S = cos, sin(omega mu) and t = omega^2 sigma^2:
        E[h^2] = [2 S^2 + (C^2 - S^2)(-expm1(-2t) + 4t e^{-2t})] / (2 sigma^2),   minus (omega C e^{-t/2})^2.
    """
    f, m, s, w, scalar, dtype = _normal_args(f, mu, sigma, omega)
    if f == "square":
        var = m**4 / s**2 + 14 * m**2 + 15 * s**2
    else:
        c, sn, t = torch.cos(w * m), torch.sin(w * m), (w * s) ** 2
        second = (2 * sn**2 + (c**2 - sn**2) * (-torch.expm1(-2 * t) + 4 * t * torch.exp(-2 * t))) / (2 * s**2)
        var = second - (w * c) ** 2 * torch.exp(-t)
    return _out(var, scalar, dtype)


@public(
    {"f": "square", "mu": 1.0, "sigma": 1.0},
    extremes={"f": ["sin"], "sigma": [1e-8, 1e3], "mu": [-1e3, 0.0]},
)
def reparam_variance(f: str, mu, sigma, *, omega=1.0):
    """Var[f'(mu + sigma eps)], eps ~ N(0, 1): the reparameterised estimate of d/dmu E f(z).

    square: 4 sigma^2.  sin(omega z): omega^2 [C^2 expm1(-t)^2 / 2 - S^2 expm1(-2t) / 2], t = omega^2 sigma^2,
    C, S = cos, sin(omega mu) (the same as omega^2 Var[cos(omega z)], without its cancellation).
    """
    f, m, s, w, scalar, dtype = _normal_args(f, mu, sigma, omega)
    if f == "square":
        var = 4 * s**2 + 0 * m
    else:
        c, sn, t = torch.cos(w * m), torch.sin(w * m), (w * s) ** 2
        var = w**2 * (c**2 * torch.expm1(-t) ** 2 / 2 - sn**2 * torch.expm1(-2 * t) / 2)
    return _out(var, scalar, dtype)
