"""The angle between two random vectors in n dimensions.

Su Jianlin, 《n维空间下两个随机向量的夹角分布》 (kexue.fm, 2019). By isotropy one vector can be
fixed; the surface element of the unit sphere in hyperspherical coordinates then gives

    p_n(theta) = Gamma(n/2) / (Gamma((n-1)/2) sqrt(pi)) * sin^{n-2}(theta),   theta in [0, pi]
    eta = cos(theta):  p_n(eta) proportional to (1 - eta^2)^{(n-3)/2},  (eta + 1)/2 ~ Beta((n-1)/2, (n-1)/2)
    Laplace:           theta ~ approx. N(pi/2, 1/(n-2))
    exactly (beyond the article):  Var(theta) = psi'(n/2) / 2   (psi' the trigamma function)

Everything is computed in float64 log space (lgamma, log sin), so n up to 10^6 and beyond is safe;
results come back in the input's dtype and on its device.
"""

from __future__ import annotations

import functools
import math

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, fits, integer, public, shorten

__all__ = [
    "angle_log_normalizer",
    "angle_log_pdf",
    "angle_pdf",
    "angle_cdf",
    "cosine_log_pdf",
    "cosine_pdf",
    "laplace_pdf",
    "angle_variance",
    "variance_relative_errors",
    "prob_near_orthogonal",
    "sample_angles",
    "METHODS",
]

METHODS = ("vectors", "beta")
_HALF_PI = math.pi / 2
_QUAD_NODES = 64  # Gauss-Legendre nodes per integral (error far below float64 rounding, see tests)
_TAIL = 40.0  # integrate until the integrand has fallen by e^-40 from its maximum
_VECTOR_CHUNK = 1 << 24  # at most this many Gaussian coordinates in memory at once ("vectors")
_BETA_CHUNK = 1 << 21  # pairs per round of the "beta" sampler (bounds its float64 temporaries)
_CDF_CHUNK = 1 << 15  # angles per round of angle_cdf's quadrature (64 nodes each: 16 MiB temporaries)


# ---------------------------------------------------------------------------- small helpers
def _wrap(result: torch.Tensor, like):
    """A tensor for tensor input; a Python float for a scalar number."""
    if isinstance(like, torch.Tensor):
        return result
    return result.item() if result.dim() == 0 else result


def _theta(name, theta):
    """theta as a float tensor (0-d allowed) and its float64 copy."""
    t = as_float_tensor(name, theta, min_dim=0)
    return t, t.to(torch.float64)


def _log_sin(x: torch.Tensor) -> torch.Tensor:
    """log sin(x) for x in [0, pi], accurate near pi/2 (where sin is close to 1) and near 0, pi."""
    c = torch.cos(x)
    mid = c.abs() < 0.7
    cm = torch.where(mid, c, 0.0)  # each branch sees only its own inputs: no NaN gradient behind the where
    near_half_pi = 0.5 * torch.log1p(-cm * cm)  # no rounding of sin(x) ~ 1 to exactly 1
    return torch.where(mid, near_half_pi, torch.log(torch.where(mid, 1.0, torch.sin(x))))


@public({"n": 5}, extremes={"n": [2, 3, 10**9]})
def angle_log_normalizer(n: int) -> float:
    """log C_n with C_n = Gamma(n/2) / (Gamma((n-1)/2) sqrt(pi)), the constant of p_n(theta).

    It is the surface area of the unit sphere in R^{n-1} over that in R^n (both times the
    remaining angles' integrals), i.e. 1 / int_0^pi sin^{n-2}.
    """
    n = integer("n", n, minimum=2)
    x = n / 2
    if x < 20:
        return math.lgamma(x) - math.lgamma(x - 0.5) - 0.5 * math.log(math.pi)
    # For large x the two lgammas are ~x log x each and their difference would lose ~log10(x)
    # digits; Stirling's series for lgamma(x) - lgamma(x - 1/2) keeps full precision instead.
    y = x - 0.5
    return (
        0.5 * math.log(x)
        - ((x - 1) * math.log1p(-0.5 / x) + 0.5)
        + _stirling_tail(x)
        - _stirling_tail(y)
        - 0.5 * math.log(math.pi)
    )


def _stirling_tail(z: float) -> float:
    """lgamma(z) - [(z - 1/2) log z - z + log(2 pi)/2], the Bernoulli series (z >= 19.5: error < 1e-17)."""
    z2 = z * z
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * z2)) / z2) / z2) / z2) / z


def _trigamma(x: float) -> float:
    """psi'(x) for x > 0: shift to x >= 20 with psi'(x) = 1/x^2 + psi'(x + 1), then the asymptotic
    series 1/x + 1/(2x^2) + sum B_2k / x^(2k+1) (torch.polygamma is only good to ~1e-9 at small x)."""
    acc = 0.0
    while x < 20:
        acc += 1.0 / (x * x)
        x += 1.0
    x2 = x * x
    series = 1 / x + 1 / (2 * x2) + (1 / 6 - (1 / 30 - (1 / 42 - (1 / 30 - 5 / (66 * x2)) / x2) / x2) / x2) / (x2 * x)
    return acc + series


# ---------------------------------------------------------------------------- densities
@public({"theta": [0.3, 1.2], "n": 5}, spans={"theta": (1e-6, 3.14159)}, extremes={"n": [2, 10**9]})  # -inf at 0
def angle_log_pdf(theta, n: int):
    """log p_n(theta) = log C_n + (n - 2) log sin(theta) on [0, pi]; -inf outside.

    The log density is the stable form for large n (sin^{n-2} underflows long before its log
    does). Same shape, dtype and device as ``theta``; a float for a Python number.
    """
    t, x = _theta("theta", theta)
    n = integer("n", n, minimum=2)
    inside = (x >= 0) & (x <= math.pi)
    open_ = inside & (torch.sin(x) > 0)  # sin = 0 (theta = 0): the limit, with gradient 0 (no 0 * inf)
    xs = torch.where(open_, x, _HALF_PI)
    body = (n - 2) * _log_sin(xs) if n > 2 else torch.zeros_like(xs)  # n = 2: uniform, 0*log 0 = 0
    edge = torch.full_like(x, -math.inf if n > 2 else 0.0)
    out = torch.where(inside, angle_log_normalizer(n) + torch.where(open_, body, edge), torch.full_like(x, -math.inf))
    return _wrap(out.to(t.dtype), theta)


@public(
    {"theta": [0.3, 1.2], "n": 5},
    spans={"theta": (0.0, 3.14159)},
    extremes={"n": [2, 10**9], "theta": [[0.0, 1.5707963267948966, 3.141592653589793]]},
)
def angle_pdf(theta, n: int):
    """p_n(theta) = Gamma(n/2) / (Gamma((n-1)/2) sqrt(pi)) sin^{n-2}(theta) on [0, pi], 0 outside.

    n = 2 is the uniform density 1/pi; n = 3 is sin(theta)/2.
    """
    t, _ = _theta("theta", theta)
    log_p = angle_log_pdf(t.to(torch.float64), n)
    return _wrap(torch.exp(log_p).to(t.dtype), theta)


@public({"eta": [0.3, -0.2], "n": 5}, spans={"eta": (-0.999, 0.999)}, extremes={"n": [3, 10**9]})
def cosine_log_pdf(eta, n: int):
    """log density of eta = cos(theta): log C_n + ((n-3)/2) log(1 - eta^2) on [-1, 1], -inf outside.

    From p_n(theta) and |d theta / d eta| = 1/sin(theta). n = 3 is uniform (1/2) on [-1, 1];
    n = 2 is the arcsine law, infinite at +-1.
    """
    t = as_float_tensor("eta", eta, min_dim=0)
    n = integer("n", n, minimum=2)
    e = t.to(torch.float64)
    inside = (e >= -1) & (e <= 1)
    open_ = (e > -1) & (e < 1)  # at +-1: the limit, with gradient 0 (no 0 * inf)
    ec = torch.where(open_, e, 0.0)
    body = 0.5 * (n - 3) * torch.log1p(-ec * ec) if n != 3 else torch.zeros_like(ec)
    edge = torch.full_like(e, 0.0 if n == 3 else -math.inf if n > 3 else math.inf)
    out = torch.where(inside, angle_log_normalizer(n) + torch.where(open_, body, edge), torch.full_like(e, -math.inf))
    return _wrap(out.to(t.dtype), eta)


@public({"eta": [0.3, -0.2], "n": 5}, spans={"eta": (-1.0, 1.0)}, extremes={"n": [3, 10**9], "eta": [[-1.0, 0.0, 1.0]]})
def cosine_pdf(eta, n: int):
    """Density of eta = cos(theta): C_n (1 - eta^2)^{(n-3)/2} on [-1, 1], 0 outside."""
    t = as_float_tensor("eta", eta, min_dim=0)
    return _wrap(torch.exp(cosine_log_pdf(t.to(torch.float64), n)).to(t.dtype), eta)


@public({"theta": [0.3, 1.2], "n": 5}, spans={"theta": (-10.0, 10.0)}, extremes={"n": [3, 10**9]})
def laplace_pdf(theta, n: int):
    """The article's normal approximation: N(pi/2, 1/(n-2)), from log sin^{n-2} theta ~ -(n-2)(theta - pi/2)^2 / 2.

    Needs n >= 3 (for n = 2 the density is flat and the expansion has zero curvature).
    """
    t, x = _theta("theta", theta)
    n = integer("n", n, minimum=3)
    var = 1.0 / (n - 2)
    out = torch.exp(-((x - _HALF_PI) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var)
    return _wrap(out.to(t.dtype), theta)


# ---------------------------------------------------------------------------- integrals
@functools.lru_cache(maxsize=8)
def _gauss_legendre(k: int, device_str: str):
    """Nodes and weights on [-1, 1] (Golub-Welsch: eigen-decomposition of the Jacobi matrix)."""
    i = torch.arange(1, k, dtype=torch.float64)
    beta = i / torch.sqrt(4 * i * i - 1)
    jacobi = torch.diag(beta, 1) + torch.diag(beta, -1)
    nodes, vecs = torch.linalg.eigh(jacobi)
    weights = 2 * vecs[0] ** 2
    return nodes.to(device_str), weights.to(device_str)


def _log_mass(hi: torch.Tensor, width: torch.Tensor, m, log_c) -> torch.Tensor:
    """log of C int_{hi - width}^{hi} sin^m(phi) d phi, 0 <= hi - width <= hi <= pi/2 (float64).

    ``m`` = n - 2 and ``log_c`` = log C_n are floats or float64 tensors broadcasting with ``hi``.
    Taking the width (not the lower end) keeps tiny intervals exact. On [0, pi/2] the integrand
    increases, so the mass sits just below ``hi``: g(phi) = m log sin phi is concave with
    g'' <= -m, hence g(hi - u) <= g(hi) - u g'(hi) - m u^2 / 2. Cutting the interval where that
    bound reaches -40 loses a relative e^-40, and Gauss-Legendre on what is left resolves the
    integrand on its own scale, whatever n (10^6 included).
    """
    m = torch.as_tensor(m, dtype=torch.float64, device=hi.device)
    flat = m == 0  # n = 2: uniform density, nothing to cut
    slope = torch.where(flat, 0.0, m / torch.tan(hi))  # g'(hi) >= 0; +inf at hi = 0
    reach = 2 * _TAIL / (slope + torch.sqrt(slope * slope + 2 * _TAIL * m))  # root of u g' + m u^2/2 = 40
    half = torch.minimum(width, torch.where(flat, math.inf, reach)) / 2  # (...)
    nodes, weights = _gauss_legendre(_QUAD_NODES, str(hi.device))
    phi = hi.unsqueeze(-1) - half.unsqueeze(-1) * (1 - nodes)  # (..., K) nodes in [hi - 2 half, hi]
    log_f = torch.where(flat.unsqueeze(-1), 0.0, m.unsqueeze(-1) * _log_sin(phi))  # (..., K)
    log_sum = torch.logsumexp(log_f + torch.log(weights), dim=-1)  # (...)
    return log_c + log_sum + torch.log(half)  # log 0 = -inf for empty intervals


@public(
    {"theta": [0.3, 1.2], "n": 5},
    spans={"theta": (-1.0, 4.0)},
    extremes={"n": [2, 10**9], "theta": [[0.0, 1.5707963267948966, 3.141592653589793]]},
)
def angle_cdf(theta, n: int):
    """P(angle <= theta) = C_n int_0^theta sin^{n-2}(phi) d phi; 0 below 0, 1 above pi.

    Equal to I_{sin^2(theta/2)}((n-1)/2, (n-1)/2), the regularised incomplete beta function.
    Computed by Gauss-Legendre quadrature in log space on the half below pi/2 and by symmetry,
    F(pi - theta) = 1 - F(theta), above it.
    """
    t, x = _theta("theta", theta)
    n = integer("n", n, minimum=2)
    # distance to the nearer end; a where, not torch.minimum, so pi/2 keeps its whole gradient
    folded = torch.where(x <= _HALF_PI, x, math.pi - x).clamp(0.0, _HALF_PI) + 0.0  # + 0.0: -0.0 becomes 0.0
    pos = folded > 0  # F(0) = 0 is set, not computed: log 0 would give a NaN gradient
    log_c, flat = angle_log_normalizer(n), torch.where(pos, folded, _HALF_PI).reshape(-1)
    lower = torch.cat(  # F(folded) <= 1/2, in chunks that bound the (chunk, nodes) temporaries
        [(torch.exp(_log_mass(c, c, n - 2, log_c)), _checks.release_memory())[0] for c in flat.split(_CDF_CHUNK)]
    ).reshape(folded.shape)
    lower = torch.where(pos, lower, 0.0)
    out = torch.where(x <= _HALF_PI, lower, 1.0 - lower)
    out = torch.where(x < 0, torch.zeros_like(out), torch.where(x > math.pi, torch.ones_like(out), out))
    return _wrap(out.to(t.dtype), theta)


@public({"n": 5, "eps": [0.1, 0.2]}, spans={"eps": (1e-300, 10.0)}, extremes={"n": [2, 10**9]}, kinds={"n": "int"})
def prob_near_orthogonal(n, eps):
    """P(|theta - pi/2| < eps) = 2 C_n int_{pi/2 - eps}^{pi/2} sin^{n-2}(phi) d phi, exactly.

    Integrated directly (not as 1 - 2F), so tiny eps keeps its relative accuracy; eps >= pi/2
    gives 1. ``n`` is an int, or an integer tensor that broadcasts against ``eps`` (a curve over
    n in one call). A float for numbers; otherwise a tensor (float64 unless eps is a float tensor).
    """
    t = as_float_tensor("eps", eps, min_dim=0)
    if not (t > 0).all():
        raise ValueError(f"eps must be > 0 (a half-width in radians), got {shorten(eps)}")
    e = t.to(torch.float64).clamp(max=_HALF_PI)
    if isinstance(n, torch.Tensor):
        if n.is_floating_point() or n.is_complex() or n.dtype == torch.bool or n.numel() == 0 or n.min() < 2:
            raise ValueError(f"n must be an integer tensor with values >= 2, got {shorten(n)}")
        values = n.to("cpu").reshape(-1).tolist()
        log_c = torch.tensor([angle_log_normalizer(int(v)) for v in values], dtype=torch.float64)
        log_c = log_c.reshape(n.shape).to(e.device)
        m = n.to(device=e.device, dtype=torch.float64) - 2
        e, m, log_c = torch.broadcast_tensors(e, m, log_c)
    else:
        n = integer("n", n, minimum=2)
        m, log_c = float(n - 2), angle_log_normalizer(n)
    out = (2 * torch.exp(_log_mass(torch.full_like(e, _HALF_PI), e, m, log_c))).clamp(max=1.0)
    return _wrap(out.to(t.dtype), eps if not isinstance(n, torch.Tensor) else n)


@public({"n": 5}, extremes={"n": [2, 10**9]})
def angle_variance(n: int) -> float:
    """Var(theta) = E[(theta - pi/2)^2] = psi'(n/2) / 2, exactly (psi' the trigamma function).

    Integration by parts gives Var_n = Var_{n-2} - 2/(n-2)^2 with Var_2 = pi^2/12, and summing the
    telescope down to Var_inf = 0 gives (1/2) sum_{j>=0} 1/(n/2 + j)^2 = psi'(n/2)/2. Expanding,
    psi'(x)/2 = 1/(2x) + 1/(4x^2) + ... so Var = 1/n + 1/n^2 + O(n^-3), much closer to 1/(n-1)
    than to the article's Laplace value 1/(n-2).
    """
    n = integer("n", n, minimum=2)
    return 0.5 * _trigamma(n / 2)


@public({"n": 5}, extremes={"n": [3, 10**9]})
def variance_relative_errors(n: int) -> tuple[float, float]:
    """Relative errors of the two one-line formulas for Var(theta) against the exact psi'(n/2)/2:

        Laplace:  (1/(n-2)) / Var - 1 = 1/n + O(n^-2)      (math.inf at n = 2)
        1/(n-1):  (1/(n-1)) / Var - 1 = 1/(3 n^2) + O(n^-3)

    from Var = 1/n + 1/n^2 + 2/(3 n^3) + ...; both are positive (each formula overstates Var).
    """
    n = integer("n", n, minimum=2)
    var = angle_variance(n)
    laplace = math.inf if n == 2 else 1.0 / ((n - 2) * var) - 1.0
    return laplace, 1.0 / ((n - 1) * var) - 1.0


# ---------------------------------------------------------------------------- sampling
def _standard_gamma(shape: float, count: int, *, generator, device) -> torch.Tensor:
    """``count`` Gamma(shape, 1) draws in float64 (Marsaglia-Tsang), honouring ``generator``.

    torch's own gamma sampler takes no generator, so this rejection sampler draws from randn and
    rand: candidates in bulk, keep the accepted ones (> 95% for shape >= 1), repeat for the rest.
    For shape < 1 it uses Gamma(a) = Gamma(a + 1) U^{1/a}.
    """
    a = shape + 1.0 if shape < 1 else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    kept, have = [], 0
    while have < count:
        k = int((count - have) * 1.06) + 64  # a few spare candidates: usually one round suffices
        z = torch.randn(k, generator=generator, device=device, dtype=torch.float64)
        u = torch.rand(k, generator=generator, device=device, dtype=torch.float64)
        v = (1 + c * z) ** 3
        # accept iff log u < z^2/2 + d - d v + d log v (and v > 0); the log is guarded for v <= 0
        ok = (v > 0) & (torch.log(u) < 0.5 * z * z + d * (1 - v + torch.log(v.clamp_min(1e-300))))
        draws = (d * v)[ok]
        kept.append(draws)
        have += draws.numel()
    out = torch.cat(kept)[:count]
    if shape < 1:
        u = torch.rand(count, generator=generator, device=device, dtype=torch.float64)
        out = out * u ** (1.0 / shape)
    return out


@public({"n": 5, "num_pairs": 4}, extremes={"n": [2, 10**5], "num_pairs": [1, 10**4]})
def sample_angles(
    n: int, num_pairs: int, *, method: str = "vectors", device=None, generator=None, dtype=None
) -> torch.Tensor:
    """``num_pairs`` independent angles between two random vectors in R^n, shape (num_pairs,).

    method="vectors": draw pairs of standard Gaussian vectors (isotropic) in chunks of at most
    2^24 coordinates and measure theta = 2 atan2(|u - v|, |u + v|) for their unit vectors, stable
    near 0 and pi where acos is not. Costs O(n) per pair.
    method="beta": draw the cosine from its law directly, O(1) per pair whatever n:
    (cos theta + 1)/2 = cos^2(theta/2) ~ Beta(a, a), a = (n-1)/2, i.e. G1/(G1 + G2) for two
    Gamma(a) draws, so theta = 2 atan2(sqrt(G2), sqrt(G1)); in rounds of 2^21 pairs.
    ``dtype`` defaults to torch's default float dtype; "beta" draws in float64 and casts.
    """
    n = integer("n", n, minimum=2)
    num_pairs = integer("num_pairs", num_pairs, minimum=1)
    method = choice("method", method, METHODS)
    device, generator, dtype = _checks.sampling(device, generator, dtype)
    fits("num_pairs", num_pairs, num_pairs, bytes_per=dtype.itemsize)

    out = torch.empty(num_pairs, dtype=dtype, device=device)
    if method == "beta":
        for start in range(0, num_pairs, _BETA_CHUNK):
            k = min(_BETA_CHUNK, num_pairs - start)
            g = _standard_gamma((n - 1) / 2, 2 * k, generator=generator, device=device)  # (2k,)
            out[start : start + k] = 2 * torch.atan2(torch.sqrt(g[k:]), torch.sqrt(g[:k]))
        return out

    if 2 * n > _VECTOR_CHUNK:  # one pair is more than a chunk: stream its coordinates
        for i in range(num_pairs):
            out[i] = _one_long_pair(n, generator=generator, device=device, dtype=dtype)
        return out
    chunk = _VECTOR_CHUNK // (2 * n)  # pairs per chunk
    for start in range(0, num_pairs, chunk):
        k = min(chunk, num_pairs - start)
        uv = torch.randn(2, k, n, generator=generator, device=device, dtype=dtype)  # (2, k, n)
        uv = uv / torch.linalg.vector_norm(uv, dim=-1, keepdim=True)  # unit vectors
        diff = torch.linalg.vector_norm(uv[0] - uv[1], dim=-1)  # (k,) = 2 sin(theta/2)
        summ = torch.linalg.vector_norm(uv[0] + uv[1], dim=-1)  # (k,) = 2 cos(theta/2)
        out[start : start + k] = 2 * torch.atan2(diff, summ)
    return out


def _one_long_pair(n: int, *, generator, device, dtype) -> torch.Tensor:
    """The angle of one pair in R^n drawn in blocks of coordinates: |u|^2, |v|^2 and <u, v> summed
    block by block, then theta = 2 atan2(|u^ - v^|, |u^ + v^|) with |u^ -+ v^|^2 = 2 -+ 2 cos."""
    uu = vv = uv = torch.zeros((), dtype=torch.float64, device=device)
    block = _VECTOR_CHUNK // 2
    for start in range(0, n, block):
        uv_k = torch.randn(2, min(block, n - start), generator=generator, device=device, dtype=dtype)
        u, v = uv_k.to(torch.float64)
        uu, vv, uv = uu + u @ u, vv + v @ v, uv + u @ v
    cos = (uv / torch.sqrt(uu * vv)).clamp(-1.0, 1.0)
    return 2 * torch.atan2(torch.sqrt(2 - 2 * cos), torch.sqrt(2 + 2 * cos)).to(dtype)
