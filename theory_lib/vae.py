"""The VAE as a density estimator: log p(x) by importance sampling, and why its log is biased low.

Su Jianlin, 《变分自编码器（八）：估计样本概率密度》, kexue.fm/archives/8791 (2021-12-09).
A latent mixture q(x) = E_{z~q(z)}[q(x|z)] is estimated by importance sampling from a proposal r(z)
(the encoder p(z|x) of the article):

    q(x) = E_{z~r}[w(z)],  w(z) = q(x|z) q(z) / r(z),    L_M = log((1/M) sum_i w(z_i)),  z_i ~ r
    E[L_1] = log q(x) - KL(r || q(z|x))  <=  E[L_2]  <=  ...  <=  log q(x)     (Jensen; Burda et al.)

The exact toy: q(z) = N(0, 1), q(x|z) = N(az, s^2) (s a standard deviation), r(z) = N(m, v) (v a
variance); all arguments broadcast, results are float64 on the inputs' device:

    q(x) = N(x; 0, a^2 + s^2),   q(z|x) = N(mu, sigma^2),  mu = ax/(a^2 + s^2),  sigma^2 = s^2/(a^2 + s^2)
    ESS fraction (E_r w)^2 / E_r[w^2] = 1 / E_post[post/r]
        = sigma sqrt(2v - sigma^2) / v * exp(-(mu - m)^2 / (2v - sigma^2))   (0 when 2v <= sigma^2)

(with d independent latent dimensions the fraction is the product of the per-dimension ones).
E[L_M] for M >= 2 by tensor-product Gauss-Hermite over z_i = m + sqrt(v) eps_i (probabilists' nodes).

The experiment: a linear VAE, decoder N(Wz + b, s^2 I), diagonal Gaussian encoder N(Ax + c,
diag(e^l)), trained on the M-sample objective -E_x[L_M] as the article writes it (log weights with
one-sample KL terms, not the analytic KL). Its exact marginal is N(b, WW^T + s^2 I); its maximum
likelihood is probabilistic PCA's closed form (Tipping & Bishop 1999): b = the mean, s^2 = the mean of
the D - d smallest eigenvalues of the sample covariance, W = U_d (Lambda_d - s^2 I)^{1/2}.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, fits, integer, public

__all__ = [
    "LinearVAE",
    "linear_gaussian_log_marginal",
    "linear_gaussian_posterior",
    "importance_log_weights",
    "iwae_log_estimate",
    "expected_elbo",
    "expected_iwae_bound",
    "ess_fraction",
    "sample_log_estimates",
    "linear_vae_log_marginal",
    "ppca_fit",
    "train_linear_vae",
    "linear_vae_log_estimates",
]

MAX_QUADRATURE_M = 4  # E[L_M] by an n^M tensor product: 100^2, 60^3, 32^4 nodes
_NODES = {2: 100, 3: 60, 4: 32}
_LOG2PI = math.log(2 * math.pi)
_TOY = {"x": [0.5, 1.0], "a": 2.0, "s": 0.5, "m": 0.5, "v": 0.1}
_EXTREMES = {"x": [[-1e3, 1e3], 0.0], "s": [1e-6, 1e3], "v": [1e-8, 1e4], "a": [0.0, 1e3]}


# ---------------------------------------------------------------- input checks
def _toy(broadcast=True, **named):
    """Each named argument as a float64 tensor on the first tensor argument's device, all broadcast
    (unless ``broadcast`` is False: the arithmetic broadcasts, and scalars stay cheap); s and v must be > 0."""
    where = next((t.device for t in named.values() if isinstance(t, torch.Tensor)), torch.device("cpu"))
    out = {}
    for name, value in named.items():
        t = as_float_tensor(name, value, min_dim=0).to(device=where, dtype=torch.float64)
        if name in ("s", "v") and bool((t <= 0).any()):
            what = "a standard deviation" if name == "s" else "a variance"
            raise ValueError(f"{name} must be > 0 ({what}), got {_checks.shorten(value)}")
        out[name] = t
    return dict(zip(out, torch.broadcast_tensors(*out.values()), strict=True)) if broadcast else out


def _log_normal(x, mean, var):
    return -0.5 * (_LOG2PI + torch.log(var) + (x - mean) ** 2 / var)


# ---------------------------------------------------------------- the exact toy
@public({"x": [0.5, 1.0], "a": 2.0, "s": 0.5}, extremes=_EXTREMES)
def linear_gaussian_log_marginal(x, a, s) -> torch.Tensor:
    """log q(x) = log N(x; 0, a^2 + s^2), the toy's exact log marginal."""
    t = _toy(x=x, a=a, s=s)
    return _log_normal(t["x"], 0.0, t["a"] ** 2 + t["s"] ** 2)


@public({"x": [0.5, 1.0], "a": 2.0, "s": 0.5}, extremes=_EXTREMES)
def linear_gaussian_posterior(x, a, s) -> tuple[torch.Tensor, torch.Tensor]:
    """The toy's true posterior q(z|x) = N(mean, var): (ax/(a^2 + s^2), s^2/(a^2 + s^2))."""
    t = _toy(x=x, a=a, s=s)
    return _posterior(t["x"], t["a"], t["s"])


def _posterior(x, a, s):
    total = a**2 + s**2
    return a * x / total, s**2 / total


@public({"z": [0.3, 0.6], **_TOY}, extremes={**_EXTREMES, "z": [[-1e3, 1e3]]})
def importance_log_weights(z, x, a, s, m, v) -> torch.Tensor:
    """log w(z) = log q(x|z) + log q(z) - log r(z) = log N(x; az, s^2) + log N(z; 0, 1) - log N(z; m, v)."""
    t = _toy(False, z=z, x=x, a=a, s=s, m=m, v=v)
    return _log_w(t["z"], t["x"], t["a"], t["s"], t["m"], t["v"])


def _log_w(z, x, a, s, m, v):
    """log N(x; az, s^2) + log N(z; 0, 1) - log N(z; m, v), with the constants gathered (fewer passes over z)."""
    const = -0.5 * (_LOG2PI + 2 * torch.log(s) - torch.log(v))
    return const - 0.5 * (((x - a * z) / s) ** 2 + z**2 - (z - m) ** 2 / v)


@public({"log_w": [[-1.0, -2.0, 0.5]]}, extremes={"log_w": [[[-1e4, -1e4]], [[1e4, -1e4]]]})
def iwae_log_estimate(log_w, dim: int = -1) -> torch.Tensor:
    """L_M = log((1/M) sum_i w_i) over ``dim`` (M its size), by logsumexp: finite however far log w is from 0.
    Lies between max_i log w_i - log M and max_i log w_i."""
    t = as_float_tensor("log_w", log_w, min_dim=1)
    d = integer("dim", dim, minimum=-t.dim(), maximum=t.dim() - 1)
    return torch.logsumexp(t, dim=d) - math.log(t.shape[d])


@public(_TOY, extremes=_EXTREMES)
def expected_elbo(x, a, s, m, v) -> torch.Tensor:
    """E_r[L_1] = E_r[log w] = log q(x) - KL(N(m, v) || q(z|x)), with the Gaussian KL
    KL = (1/2)[log(sigma^2/v) + (v + (m - mu)^2)/sigma^2 - 1]."""
    t = _toy(x=x, a=a, s=s, m=m, v=v)
    return _elbo(**t)


def _elbo(x, a, s, m, v):
    mu, var = _posterior(x, a, s)
    kl = 0.5 * (torch.log(var / v) + (v + (m - mu) ** 2) / var - 1)
    return _log_normal(x, 0.0, a**2 + s**2) - kl


@functools.cache
def _hermite(n: int):
    """Probabilists' Gauss-Hermite nodes and log weights, normalised to N(0, 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return torch.from_numpy(x), torch.from_numpy(np.log(w / w.sum()))


@public({**_TOY, "M": 2}, extremes={**_EXTREMES, "M": [1, MAX_QUADRATURE_M]})
def expected_iwae_bound(x, a, s, m, v, M: int, *, nodes: int | None = None) -> torch.Tensor:
    """E[L_M] = E[log((1/M) sum_i w(m + sqrt(v) eps_i))], eps_i ~ N(0, 1) independent, for M in [1, 4]:
    M = 1 in closed form (``expected_elbo``), else by tensor-product Gauss-Hermite with ``nodes`` per
    axis (default 100, 60, 32 for M = 2, 3, 4). Accurate to 1e-10 when the log weights are gentle in eps
    (a proposal near the posterior, as the article's N(0.5, 0.1) at a = 2, s = 0.5, x = 1: tested); far
    from it, L_M has near-kinks where two log weights cross and the rule converges slowly (the prior
    proposal at s = 0.5: about 1e-2). Beyond M = 4, or as a check, use ``sample_log_estimates``."""
    t = _toy(x=x, a=a, s=s, m=m, v=v)
    M = integer("M", M, minimum=1, maximum=MAX_QUADRATURE_M)
    if M == 1:
        return _elbo(**t)
    n = _NODES[M] if nodes is None else integer("nodes", nodes, minimum=2, maximum=int(round(2e6 ** (1 / M))))
    eps, logq = (u.to(t["x"].device) for u in _hermite(n))
    flat = {k: u.reshape(-1, 1) for k, u in t.items()}
    lw = _log_w(flat["m"] + flat["v"].sqrt() * eps, **{k: flat[k] for k in ("x", "a", "s", "m", "v")})  # (k, n)
    k, n = lw.shape
    parts = []
    for rows in torch.arange(k, device=lw.device).split(max(1, 2**21 // n**M)):
        terms = [lw[rows].reshape(len(rows), *([1] * i), n, *([1] * (M - 1 - i))) for i in range(M)]
        L = torch.logsumexp(torch.stack(torch.broadcast_tensors(*terms)), dim=0) - math.log(M)
        wts = sum(logq.reshape(*([1] * i), n, *([1] * (M - 1 - i))) for i in range(M)).exp()
        parts.append((L * wts).reshape(len(rows), -1).sum(-1))
    return torch.cat(parts).reshape(t["x"].shape)


@public({"x": [0.5, 1.0], "a": 2.0, "s": 0.5}, extremes={**_EXTREMES, "m": [1e3], "v": [1e-8, 1e4]})
def ess_fraction(x, a, s, m=0.0, v=1.0) -> torch.Tensor:
    """(E_r w)^2 / E_r[w^2] for the proposal r = N(m, v) (default: the prior N(0, 1)), in closed form:
    sigma sqrt(2v - sigma^2)/v * exp(-(mu - m)^2/(2v - sigma^2)) with q(z|x) = N(mu, sigma^2); 0 where
    E_r[w^2] is infinite (v <= sigma^2/2). 1 at r = q(z|x). Raise to the d-th power for d independent
    latent dimensions."""
    t = _toy(x=x, a=a, s=s, m=m, v=v)
    mu, var = _posterior(t["x"], t["a"], t["s"])
    gap = 2 * t["v"] - var
    ok = gap > 0
    g = torch.where(ok, gap, torch.ones_like(gap))  # no NaN in the gradient of the branch not taken
    log_ess = 0.5 * torch.log(var) + 0.5 * torch.log(g) - torch.log(t["v"]) - (mu - t["m"]) ** 2 / g
    return torch.where(ok, log_ess.exp(), torch.zeros_like(log_ess))


@public({**_TOY, "M": 4, "num": 8}, extremes={**_EXTREMES, "M": [1, 1000]}, cannot=("grad",))
def sample_log_estimates(x, a, s, m, v, M: int, num: int, *, device=None, generator=None) -> torch.Tensor:
    """``num`` independent draws of L_M, shape (broadcast shape of the arguments, num): z_i = m + sqrt(v)
    eps_i, eps_i ~ N(0, 1) from ``generator``. ``device``: where to sample (default: the inputs')."""
    t = _toy(x=x, a=a, s=s, m=m, v=v)
    M = integer("M", M, minimum=1)
    num = integer("num", num, minimum=1)
    fits("num", num, t["x"].numel() * num * M * 3)
    dev = _checks.device("device", device) if device is not None else t["x"].device
    _checks.generator("generator", generator, dev)
    t = {k: u.to(dev).unsqueeze(-1).unsqueeze(-1) for k, u in t.items()}
    eps = torch.randn(*t["x"].shape[:-2], num, M, dtype=torch.float64, device=dev, generator=generator)
    z = t["m"] + t["v"].sqrt() * eps
    return torch.logsumexp(_log_w(z, **t), dim=-1) - math.log(M)


# ---------------------------------------------------------------- the linear VAE
@dataclass
class LinearVAE:
    """A linear VAE: decoder N(Wz + b, s^2 I) (W: (D, d)), encoder N(A x + c, diag(exp(log_var)))
    (A: (d, D)); ``losses``: the training objective -mean L_M per step; ``seconds``: training time."""

    W: torch.Tensor
    b: torch.Tensor
    s: float
    A: torch.Tensor
    c: torch.Tensor
    log_var: torch.Tensor
    M: int
    losses: list = field(default_factory=list)
    seconds: float = 0.0


def _data(name, x, dim=None):
    t = as_float_tensor(name, x, min_dim=2).to(torch.float64)
    if dim is not None and t.shape[-1] != dim:
        raise ValueError(f"{name} must have {dim} columns (the model's data dimension), got {_checks.shorten(x)}")
    return t


@public(
    {"x": [[0.1, -0.3], [1.0, 2.0]], "W": [[1.0], [0.5]], "b": [0.0, 0.1], "s": 0.5},
    extremes={"x": [[[1e3, -1e3]]], "s": [1e-3, 1e3]},
    cannot=("batch",),
)
def linear_vae_log_marginal(x, W, b, s) -> torch.Tensor:
    """log N(x; b, W W^T + s^2 I) per row of x (N, D), by a Cholesky factor; W (D, d), b (D,)."""
    W = as_float_tensor("W", W, min_dim=2).to(torch.float64)
    x = _data("x", x, W.shape[0]).to(W.device)
    b = as_float_tensor("b", b, min_dim=1).to(x)
    if b.shape != (W.shape[0],):
        raise ValueError(f"b must have shape ({W.shape[0]},) (W's rows), got {_checks.shorten(b)}")
    s = _checks.positive("s", s)
    cov = W @ W.T + s**2 * torch.eye(W.shape[0], dtype=torch.float64, device=W.device)
    L = torch.linalg.cholesky(cov)
    y = torch.linalg.solve_triangular(L, (x - b).T, upper=False)
    return -0.5 * (W.shape[0] * _LOG2PI + (y**2).sum(0)) - torch.log(torch.diagonal(L)).sum()


@public({"data": [[0.0, 1.0], [1.0, 0.5], [2.0, 2.5]], "latent_dim": 1}, cannot=("grad", "batch"))
def ppca_fit(data, latent_dim: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Probabilistic PCA's maximum-likelihood (W, b, s) for ``data`` (N, D), d = latent_dim < D:
    b = mean, s^2 = mean of the D - d smallest covariance eigenvalues, W = U_d (Lambda_d - s^2 I)^{1/2}."""
    x = _data("data", data)
    D = x.shape[1]
    d = integer("latent_dim", latent_dim, minimum=1, maximum=max(1, D - 1))
    if D < 2:
        raise ValueError(f"data must have at least 2 columns (D > latent_dim), got {_checks.shorten(data)}")
    b = x.mean(0)
    lam, U = torch.linalg.eigh((x - b).T @ (x - b) / x.shape[0])  # ascending
    s2 = lam[: D - d].mean().clamp(min=1e-12)
    W = U[:, D - d :] * (lam[D - d :] - s2).clamp(min=0).sqrt()
    return W, b, float(s2.sqrt())


def _vae_log_w(z, x, W, b, log_s, mean, log_var):
    """log w for z (N, K, d) and x (N, D): log N(x; Wz + b, s^2) + log N(z; 0, I) - log N(z; mean, var)."""
    D = x.shape[-1]
    rec = x.unsqueeze(1) - z @ W.T - b
    dec = -0.5 * (D * (_LOG2PI + 2 * log_s) + (rec**2).sum(-1) / torch.exp(2 * log_s))
    prior = -0.5 * (_LOG2PI + z**2).sum(-1)
    enc = -0.5 * (_LOG2PI + log_var + (z - mean.unsqueeze(1)) ** 2 / log_var.exp()).sum(-1)
    return dec + prior - enc


@public(
    {"data": [[0.0, 1.0], [1.0, 0.5], [2.0, 2.5]], "latent_dim": 1, "M": 2, "steps": 3},
    cannot=("grad", "batch"),
)
def train_linear_vae(
    data, latent_dim: int, M: int, *, steps: int = 600, lr: float = 0.05, seed: int = 0, device=None
) -> LinearVAE:
    """Fit the linear VAE to ``data`` (N, D) by Adam (full batch, ``steps`` steps) on -mean_x L_M with
    M reparameterised draws z_i = A x + c + e^{l/2} eps_i: the article's objective (M = 1: the VAE with a
    one-sample KL; M > 1: IWAE). Initialised from ``seed`` only; runs on ``device`` (default the data's)."""
    x = _data("data", data)
    d = integer("latent_dim", latent_dim, minimum=1, maximum=x.shape[1])
    M = integer("M", M, minimum=1, maximum=4096)
    steps = integer("steps", steps, minimum=1, maximum=100_000)
    lr = _checks.real("lr", lr, lo=0.0, hi=1.0, lo_open=True)
    g = torch.Generator().manual_seed(_checks.seed("seed", seed))
    dev = _checks.device("device", device) if device is not None else x.device
    fits("M", M, x.shape[0] * M * (d + x.shape[1]) * 4)
    x = x.to(dev)
    N, D = x.shape
    p = {
        "W": 0.1 * torch.randn(D, d, generator=g, dtype=torch.float64),
        "b": torch.zeros(D, dtype=torch.float64),
        "log_s": torch.zeros((), dtype=torch.float64),
        "A": 0.1 * torch.randn(d, D, generator=g, dtype=torch.float64),
        "c": torch.zeros(d, dtype=torch.float64),
        "log_var": torch.zeros(d, dtype=torch.float64),
    }
    p = {k: v.to(dev).requires_grad_(True) for k, v in p.items()}
    noise = torch.Generator(device=dev).manual_seed(int(torch.randint(0, 2**62, (1,), generator=g)))
    opt = torch.optim.Adam(p.values(), lr=lr)
    losses, start = [], time.perf_counter()
    with _checks.one_cpu_thread(dev):
        for _ in range(steps):
            mean = x @ p["A"].T + p["c"]
            eps = torch.randn(N, M, d, dtype=torch.float64, device=dev, generator=noise)
            z = mean.unsqueeze(1) + (0.5 * p["log_var"]).exp() * eps
            lw = _vae_log_w(z, x, p["W"], p["b"], p["log_s"], mean, p["log_var"])
            loss = -(torch.logsumexp(lw, dim=1) - math.log(M)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    q = {k: v.detach() for k, v in p.items()}
    return LinearVAE(
        q["W"], q["b"], float(q["log_s"].exp()), q["A"], q["c"], q["log_var"], M, losses, time.perf_counter() - start
    )


@public(
    lambda: {"vae": train_linear_vae([[0.0, 1.0], [1.0, 0.5]], 1, 1, steps=2), "x": [[0.5, 0.5]], "M": 8},
    kinds={"vae": "other"},
    cannot=("grad", "batch"),
)
def linear_vae_log_estimates(vae, x, M: int, *, proposal: str = "encoder", generator=None) -> torch.Tensor:
    """One draw of L_M per row of x (N, D) under the trained ``vae``, with z_i from the encoder
    N(Ax + c, diag(e^l)) (``proposal="encoder"``) or from the prior N(0, I) (``"prior"``)."""
    if not isinstance(vae, LinearVAE):
        raise ValueError(f"vae must be a LinearVAE (from train_linear_vae), got {_checks.shorten(vae)}")
    x = _data("x", x, vae.W.shape[0]).to(vae.W.device)
    M = integer("M", M, minimum=1)
    choice("proposal", proposal, ("encoder", "prior"))
    d = vae.W.shape[1]
    fits("M", M, x.shape[0] * M * (d + x.shape[1]) * 3)
    _checks.generator("generator", generator, x.device)
    if proposal == "encoder":
        mean, log_var = x @ vae.A.T + vae.c, vae.log_var.expand(d)
    else:
        mean, log_var = torch.zeros(x.shape[0], d, dtype=torch.float64, device=x.device), torch.zeros_like(vae.c)
    eps = torch.randn(x.shape[0], M, d, dtype=torch.float64, device=x.device, generator=generator)
    z = mean.unsqueeze(1) + (0.5 * log_var).exp() * eps
    lw = _vae_log_w(z, x, vae.W, vae.b, torch.tensor(math.log(vae.s), dtype=torch.float64), mean, log_var)
    return torch.logsumexp(lw, dim=1) - math.log(M)
