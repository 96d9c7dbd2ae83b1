"""Initialisation from a geometric view.

Su Jianlin, 《从几何视角来理解模型参数的初始化策略》, kexue.fm/archives/7180 (2020-01-16). The n
columns of an m x n matrix with i.i.d. zero-mean entries of variance 1/m are random vectors of
squared norm about 1 and, in high dimension, almost orthogonal to each other, so

    W^T W ~ I   and   ||W x|| ~ ||x||,   mean((W^T W - I)^2) = (kappa + n - 2) / (m n) -> 0 like 1/n,

kappa = E[w^4] / E[w^2]^2 (3 normal, 9/5 uniform, 1 Rademacher): only the variance matters to
leading order. Xavier: std sqrt(2 / (fan_in + fan_out)); He (ReLU zeroes half the units): sqrt(2 / fan_in).
"""

from __future__ import annotations

import math

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, fits, integer, public

__all__ = [
    "DISTRIBUTIONS",
    "orthogonality_error",
    "xavier_std",
    "he_std",
    "norm_ratio_log_pdf",
    "marchenko_pastur_edges",
]

DISTRIBUTIONS = ("normal", "uniform", "rademacher")


def _random_matrix(
    m: int,
    n: int,
    distribution: str,
    *,
    std: float = 1.0,
    batch: tuple = (),
    generator=None,
    device=None,
    dtype=torch.float64,
) -> torch.Tensor:
    """(*batch, m, n) i.i.d. zero-mean entries of standard deviation ``std``.

    normal N(0, std^2); uniform on [-sqrt(3) std, sqrt(3) std]; rademacher +-std with prob 1/2.
    """
    shape = (*batch, m, n)
    if distribution == "normal":
        w = torch.randn(shape, generator=generator, device=device, dtype=dtype)
    elif distribution == "uniform":
        w = (2 * torch.rand(shape, generator=generator, device=device, dtype=dtype) - 1) * math.sqrt(3.0)
    else:
        w = 2 * torch.randint(0, 2, shape, generator=generator, device=device).to(dtype) - 1
    return w * std


@public(
    {"n": 3, "m": 5},
    extremes={"n": [1, 5], "m": [5, 2000], "trials": [1, 100], "distribution": ["uniform", "rademacher"]},
)
def orthogonality_error(
    n: int, m: int | None = None, distribution: str = "normal", trials: int = 1, generator=None, *, device=None
) -> torch.Tensor:
    """mean((W^T W - I)^2) for ``trials`` random m x n matrices W with entries of variance 1/m.

    Returns a float64 tensor of shape (trials,), one value per matrix. Its expectation is
    (kappa + n - 2) / (m n), which the lesson derives: diagonal entries of W^T W have variance
    (kappa - 1)/m, off-diagonal ones 1/m. m defaults to n and must be >= n: for m < n the n
    columns live in R^m, W^T W has rank m < n and cannot approach the identity.
    """
    n = integer("n", n, minimum=1)
    m = n if m is None else integer("m", m, minimum=1)
    if m < n:
        raise ValueError(f"m must be >= n (n columns in R^m can be near-orthonormal only if m >= n), got m={m} < n={n}")
    distribution = choice("distribution", distribution, DISTRIBUTIONS)
    trials = integer("trials", trials, minimum=1)
    fits("trials", trials, trials * (m * n + 2 * n * n))  # W and W^T W - I in float64: 512 MiB at most
    device = _checks.device("device", device, generator=generator)
    generator = _checks.generator("generator", generator, device)
    w = _random_matrix(
        m, n, distribution, std=1 / math.sqrt(m), batch=(trials,), generator=generator, device=device
    )  # (trials, m, n)
    gram = w.transpose(-1, -2) @ w  # (trials, n, n) = W^T W
    eye = torch.eye(n, dtype=gram.dtype, device=gram.device)
    return ((gram - eye) ** 2).mean(dim=(-2, -1))  # (trials,)


@public({"fan_in": 3, "fan_out": 5}, extremes={"fan_in": [1, 2**31 - 1]})
def xavier_std(fan_in: int, fan_out: int) -> float:
    """Xavier (Glorot) normal: std = sqrt(2 / (fan_in + fan_out)), the compromise between
    1/sqrt(fan_in) (keeps forward norms) and 1/sqrt(fan_out) (keeps backward norms)."""
    fan_in = integer("fan_in", fan_in, minimum=1)
    fan_out = integer("fan_out", fan_out, minimum=1)
    return math.sqrt(2.0 / (fan_in + fan_out))


@public({"fan_in": 3}, extremes={"fan_in": [1, 2**31 - 1]})
def he_std(fan_in: int) -> float:
    """He (Kaiming) normal for ReLU: std = sqrt(2 / fan_in). ReLU zeroes about half of the
    pre-activations, so E||relu(Wx)||^2 = ||Wx||^2 / 2; the factor sqrt(2) puts the norm back."""
    fan_in = integer("fan_in", fan_in, minimum=1)
    return math.sqrt(2.0 / fan_in)


@public({"r": [0.5, 1.2], "m": 16}, spans={"r": (1e-3, 5.0)}, extremes={"m": [1, 2, 10**6]}, cannot=("grad",))
def norm_ratio_log_pdf(r, m: int) -> torch.Tensor:
    """log density of r = ||Wx||^2 / ||x||^2 for a fixed x and an m x n W with i.i.d. N(0, 1/m) entries.

    The m entries of Wx are i.i.d. N(0, ||x||^2 / m), so r ~ chi^2_m / m, whatever n:
        log p(r) = log m + (m/2 - 1) log(m r) - m r / 2 - (m/2) log 2 - lgamma(m/2)   (r > 0),
    mean 1, variance 2/m; -inf for r <= 0. Same shape and dtype as ``r``.
    """
    r = as_float_tensor("r", r, min_dim=0)
    m = integer("m", m, minimum=1, maximum=10**9)
    half = m / 2.0
    inside = r > 0
    mr = torch.where(inside, r, torch.ones_like(r)) * m
    out = math.log(m) + (half - 1.0) * torch.log(mr) - mr / 2.0 - half * math.log(2.0) - math.lgamma(half)
    return torch.where(inside, out, torch.full_like(r, -math.inf))


@public({"n": 16, "m": 64}, extremes={"n": [1, 10**9], "m": [10**9]})
def marchenko_pastur_edges(n: int, m: int) -> tuple[float, float]:
    """The edges ((1 - sqrt(n/m))^2, (1 + sqrt(n/m))^2) of the spectrum of W^T W, W m x n with i.i.d.
    entries of variance 1/m (Marchenko-Pastur, n, m -> infinity at a fixed ratio; m >= n).

    So ||Wx||^2 / ||x||^2 ranges over this interval as x turns: a square W (m = n) stretches some
    direction by almost 2 in length and squashes another to nearly 0; only m >> n is close to an isometry.
    """
    n = integer("n", n, minimum=1, maximum=10**9)
    m = integer("m", m, minimum=1, maximum=10**9)
    if m < n:
        raise ValueError(f"m must be >= n (W^T W has rank m < n otherwise), got m={m} < n={n}")
    c = math.sqrt(n / m)
    return (1.0 - c) ** 2, (1.0 + c) ** 2
