"""How many dimensions a word embedding needs: n > 8.33 log N.

Su Jianlin, 《最小熵原理(六):词向量的维度应该怎么选择?》, kexue.fm/archives/7695 (2020-08-20).
Skip-gram as a joint distribution p(w_i, w_j) = e^{<u_i, v_j>}/Z over N^2 word pairs; with the
double sum replaced by N^2 times an expectation over u, v uniform on the sphere of radius sqrt(n),
<u, v> = n cos(theta) with the angle law of two random vectors, and

    H ~ log N^2 + h_n,    h_n = log E[e^{n cos t}] - E[e^{n cos t} n cos t] / E[e^{n cos t}]
                          = -KL(q_n || p_n),   q_n(eta) ~ p_n(eta) e^{n eta}   (eta = cos t)
    h_n / n  ->  (1/2) log((sqrt 5 - 1)/2) = -0.2406...     (Laplace; the article's -0.24)
    h_n      =   c n + d + O(1/n),  d = log(phi) - log(5)/4 + 1/sqrt 5 - 3/5 = -0.0739...

H < 0 is impossible for a real distribution, so the article reads it as "n dimensions hold N
words with room to spare": n > (2/0.24) log N = 8.33 log N (natural log).

Every integral is one-dimensional in the angle t and is done in log space by Gauss-Legendre
on a window of +-16 standard deviations around the peak of the integrand (128 nodes); the tests
hold it to scipy's quad (n <= 10^5) and to the Bessel closed form at 1e-11 relative. The angle
law, log p_n(t) = log sin^{n-2} t - log[sqrt(pi) Gamma((n-1)/2) / Gamma(n/2)], is implemented
here privately so that this module does not depend on the angles lesson.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, fits, integer, public, real, shorten

__all__ = [
    "ARTICLE_COEFFICIENT",
    "entropy_terms",
    "entropy_gap",
    "entropy_coefficient",
    "entropy_coefficient_limit",
    "entropy_gap_offset",
    "entropy_gap_asymptotic",
    "cosine_log_densities",
    "sample_cosines",
    "entropy_gap_mc",
    "entropy_gap_from_cosines",
    "pair_entropy",
    "sampled_entropy",
    "min_embedding_dim",
    "jl_dimension",
]

ARTICLE_COEFFICIENT = 0.24  # the article's h_n / n ~ -0.24, hence 2 / 0.24 = 8.33
MAX_DIM = 10_000_000  # the quadrature is checked to 1e6; beyond 1e7 float64 runs out of digits
_NODES = 128  # Gauss-Legendre nodes on the window
_WIDTH = 16.0  # half-width of the window, in standard deviations of the peak
_CHUNK = 1 << 21  # elements per random block (memory bound for sampling)


# ---------------------------------------------------------------- input checks
def _dims(name: str, n):
    """Dimensions as a float64 tensor on their own device, and whether the input was a scalar."""
    if isinstance(n, torch.Tensor) or isinstance(n, (list, tuple)):
        t = as_float_tensor(name, n, min_dim=0).to(torch.float64)
        if (t < 2).any() or (t > MAX_DIM).any() or (t != torch.round(t)).any():
            raise ValueError(f"{name} must hold integers in [2, {MAX_DIM}] (dimensions), got {shorten(n)}")
        return t, False
    v = integer(name, n, minimum=2, maximum=MAX_DIM)
    return torch.tensor(float(v), dtype=torch.float64), True


def _vocab(name: str, N):
    """Vocabulary sizes (reals >= 2) as a float64 tensor, and whether the input was a scalar."""
    scalar = not isinstance(N, (torch.Tensor, list, tuple))
    if scalar:
        return torch.tensor(real(name, N, lo=2.0), dtype=torch.float64), True
    t = as_float_tensor(name, N, min_dim=0).to(torch.float64)
    if (t < 2).any():
        raise ValueError(f"{name} must be >= 2 (a vocabulary size), got {shorten(N)}")
    return t, scalar


def _out(t: torch.Tensor, scalar: bool):
    return t.item() if scalar else t


def _device(device, generator):
    device = _checks.device("device", device, generator=generator)
    _checks.generator("generator", generator, device)
    return device


@functools.cache
def _legendre(m: int):
    x, w = np.polynomial.legendre.leggauss(m)
    return torch.from_numpy(x), torch.from_numpy(w)


# ---------------------------------------------------------------- the integrals
def _peak(n: torch.Tensor):
    """Maximum of n cos t + (n-2) log sin t: n sin^2 t = (n-2) cos t, so with eta* = cos t*,

    eta* = 2n / ((n-2) + sqrt((n-2)^2 + 4n^2))  (the stable root),  sin^2 t* = (n-2) eta*/n,
    and the curvature there is -n (eta* + 1/eta*).
    """
    eta = 2 * n / ((n - 2) + torch.sqrt((n - 2) ** 2 + 4 * n**2))
    sin2 = (n - 2) * eta / n
    return eta, sin2, 1.0 / torch.sqrt(n * (eta + 1.0 / eta))


def _log_norm(n: torch.Tensor) -> torch.Tensor:
    """log of int_0^pi sin^{n-2} t dt = sqrt(pi) Gamma((n-1)/2) / Gamma(n/2)."""
    return 0.5 * math.log(math.pi) + torch.lgamma((n - 1) / 2) - torch.lgamma(n / 2)


def _tilted(n: torch.Tensor):
    """_tilted_rows in chunks of _CHUNK // _NODES dimensions (bounds the (k, nodes) temporaries)."""
    flat = n.reshape(-1)
    parts = [(_tilted_rows(c), _checks.release_memory())[0] for c in flat.split(max(1, _CHUNK // _NODES))]
    return (torch.cat([a for a, _ in parts]).reshape(n.shape), torch.cat([b for _, b in parts]).reshape(n.shape))


def _tilted_rows(n: torch.Tensor):
    """log E[e^{n cos t}] and E_q[n cos t] for a tensor of dimensions (float64, any shape).

    With l(t) = n cos t + (n-2) log sin t and its peak t*, write the integrand relative to the
    peak, l(t) - l(t*) = -2n sin((t+t*)/2) sin((t-t*)/2) + (n-2) log(sin t / sin t*), so that
    nothing of size n is ever subtracted; then log-sum-exp over Gauss-Legendre nodes.
    """
    shape = n.shape
    n = n.reshape(-1, 1)  # (k, 1)
    eta, sin2, sigma = _peak(n)  # (k, 1) each
    theta = torch.atan2(torch.sqrt(sin2), eta)
    lo = torch.clamp(theta - _WIDTH * sigma, min=0.0)
    hi = torch.clamp(theta + _WIDTH * sigma, max=math.pi)
    x, w = (a.to(n.device) for a in _legendre(_NODES))  # (m,)
    t = 0.5 * (lo + hi) + 0.5 * (hi - lo) * x  # (k, m) nodes inside the window
    log_w = torch.log(0.5 * (hi - lo) * w)  # (k, m)
    dcos = -2 * torch.sin(0.5 * (t + theta)) * torch.sin(0.5 * (t - theta))  # cos t - cos t*
    # (n - 2) log(sin t / sin t*); xlogy makes the n = 2 case (sin t* = 0) exactly 0
    dlog = n * dcos + torch.special.xlogy(n - 2, torch.sin(t) / torch.sqrt(sin2))  # (k, m)
    a = log_w + dlog
    log_mgf = (
        n * eta + torch.special.xlogy((n - 2) / 2, sin2) - _log_norm(n) + torch.logsumexp(a, dim=-1, keepdim=True)
    )  # log E[e^{n cos t}]
    energy = n * (eta + (torch.softmax(a, dim=-1) * dcos).sum(-1, keepdim=True))  # E_q[n cos t]
    return log_mgf.reshape(shape), energy.reshape(shape)


@public({"n": 5}, extremes={"n": [2, 10**7, [2.0, 10.0, 1e7]]})
def entropy_terms(n):
    """The two terms of h_n: log E[e^{n cos t}] and E[e^{n cos t} n cos t] / E[e^{n cos t}].

    t is the angle between two independent uniform directions in R^n (density
    sin^{n-2} t / int sin^{n-2} on [0, pi]). Returns two floats for an int, two float64 tensors
    on the input's device for a tensor of dimensions.
    """
    t, scalar = _dims("n", n)
    log_mgf, energy = _tilted(t)
    return _out(log_mgf, scalar), _out(energy, scalar)


@public({"n": 5}, extremes={"n": [2, 10**7, [2.0, 10.0, 1e7]]})
def entropy_gap(n):
    """h_n = log E[e^{n cos t}] - E[e^{n cos t} n cos t]/E[e^{n cos t}], so that H ~ log N^2 + h_n.

    Equal to -KL(q_n || p_n) <= 0 with p_n the law of eta = cos t and q_n ~ p_n e^{n eta}.
    Su, 《最小熵原理(六)》 (kexue.fm/archives/7695). Float for an int n, float64 tensor otherwise.
    """
    t, scalar = _dims("n", n)
    log_mgf, energy = _tilted(t)
    return _out(log_mgf - energy, scalar)


@public({"n": 5}, extremes={"n": [2, 10**7]})
def entropy_coefficient(n):
    """h_n / n, which the article reads off numerically as about -0.24."""
    t, scalar = _dims("n", n)
    log_mgf, energy = _tilted(t)
    return _out((log_mgf - energy) / t, scalar)


@public()
def entropy_coefficient_limit() -> float:
    """lim h_n / n = (1/2) log(1 - eta*^2) = (1/2) log eta* = -(1/2) log phi = -0.24061.

    Laplace: (1/n) log E[e^{n eta}] -> max_eta [eta + (1/2) log(1 - eta^2)], attained where
    eta^2 + eta - 1 = 0, i.e. eta* = (sqrt 5 - 1)/2 = 1/phi; and E_q[eta] -> eta*.
    """
    return 0.5 * math.log((math.sqrt(5.0) - 1.0) / 2.0)


@public()
def entropy_gap_offset() -> float:
    """d in h_n = c n + d + O(1/n): d = log(phi) - (1/4) log 5 + 1/sqrt(5) - 3/5 = -0.07393.

    Second-order Laplace: the Gaussian width gives -(1/4) log 5, the n-dependence of the peak
    gives log(phi) - 1 + 1/sqrt(5), and the skewness of q_n shifts n E_q[eta] by -2/5.
    """
    phi = (1.0 + math.sqrt(5.0)) / 2.0
    return math.log(phi) - 0.25 * math.log(5.0) + 1.0 / math.sqrt(5.0) - 0.6


@public({"n": 5}, extremes={"n": [2, 10**7]})
def entropy_gap_asymptotic(n):
    """The two-term Laplace expansion c n + d of h_n (error about 0.044/n)."""
    t, scalar = _dims("n", n)
    return _out(entropy_coefficient_limit() * t + entropy_gap_offset(), scalar)


@public({"eta": [0.3, -0.2], "n": 5}, spans={"eta": (-0.999, 0.999)}, extremes={"n": [3, 10**7]})
def cosine_log_densities(eta, n: int):
    """log p_n(eta) and log q_n(eta) for eta = cos t in [-1, 1].

    p_n(eta) = (1 - eta^2)^{(n-3)/2} Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)): the cosine of two
    random directions (where samples of pairs live); q_n = p_n e^{n eta} / E[e^{n eta}]: the
    tilted law that dominates both expectations in h_n (h_n = -KL(q_n || p_n)).
    """
    e = as_float_tensor("eta", eta, min_dim=0)
    if ((e < -1) | (e > 1)).any():
        raise ValueError(f"eta must lie in [-1, 1] (a cosine), got {shorten(eta)}")
    n = integer("n", n, minimum=2, maximum=MAX_DIM)
    e64 = e.to(torch.float64)
    nt = torch.tensor(float(n), dtype=torch.float64, device=e.device)
    log_p = torch.special.xlogy((nt - 3) / 2, 1 - e64 * e64) - _log_norm(nt)
    log_q = log_p + nt * e64 - _tilted(nt)[0]
    return log_p, log_q


# ---------------------------------------------------------------- sampling
@public({"n": 5, "samples": 4}, extremes={"n": [2, 10**5], "samples": [1, 10**4]})
def sample_cosines(
    n, samples: int, *, device=None, generator=None, dtype=torch.float64, method: str = "vectors"
) -> torch.Tensor:
    """cos of the angle between pairs of independent vectors uniform on the sphere in R^n.

    Draws u, v ~ N(0, I_n) (their directions are uniform) and returns <u, v>/(|u||v|); for
    several n at once the vectors for dimension n are the first n coordinates of one draw, so
    one block of max(n) coordinates serves them all (each column has the exact law; columns are
    correlated). ``dtype`` is that of the draws (float32 is about 3x faster on a CPU and exact
    enough for plots); the result is float64 of shape (samples,) for an int n, (samples, *n.shape)
    for a tensor.

    ``method="law"`` draws the same law in O(samples) for any n: rotate v onto e_1, then
    cos t = u_1 / |u| = Z / sqrt(Z^2 + C), Z ~ N(0, 1), C ~ chi^2_{n-1} = 2 Gamma((n-1)/2),
    independently for each dimension of a tensor n (float64 draws; ``dtype`` is ignored).
    """
    dims, scalar = _dims("n", n)
    samples = integer("samples", samples, minimum=1)
    dtype = _checks.dtype("dtype", dtype)
    method = _checks.choice("method", method, ("vectors", "law"))
    device = _device(device, generator)
    fits("samples", samples, samples * dims.numel() * (2 if method == "law" else 1))
    if method == "law":
        shape = (samples, *dims.shape)
        z = torch.randn(shape, generator=generator, device=device, dtype=torch.float64)
        alpha = ((dims.to(device) - 1) / 2).expand(shape).contiguous()
        c = 2 * torch._standard_gamma(alpha, generator=generator)  # chi^2_{n-1}, (S, *n.shape)
        return z / torch.sqrt(z * z + c)
    idx = dims.reshape(-1).to(device=device, dtype=torch.long) - 1  # (k,) prefix ends
    n_max = int(idx.max().item()) + 1
    out = torch.empty(samples, idx.numel(), dtype=torch.float64, device=device)  # (S, k)
    rows = max(1, _CHUNK // n_max)
    for start in range(0, samples, rows):
        b = min(rows, samples - start)
        u = torch.randn(b, n_max, generator=generator, device=device, dtype=dtype)
        v = torch.randn(b, n_max, generator=generator, device=device, dtype=dtype)
        if idx.numel() == 1:  # one dimension: (b, 1) <u, v> / (|u| |v|)
            cos = torch.linalg.vecdot(u, v).unsqueeze(1) / (
                torch.linalg.vector_norm(u, dim=1) * torch.linalg.vector_norm(v, dim=1)
            ).unsqueeze(1)
        else:  # (b, k) <u, v>, |u|^2, |v|^2 in each prefix dimension
            uv, uu, vv = (torch.cumsum(a * c, dim=1)[:, idx] for a, c in ((u, v), (u, u), (v, v)))
            cos = uv / torch.sqrt(uu * vv)
        out[start : start + b] = cos.to(torch.float64)
    return out[:, 0] if scalar else out.reshape(samples, *dims.shape)


@public({"n": 5, "samples": 4}, extremes={"n": [2, 10**5], "samples": [1, 10**4]})
def entropy_gap_mc(n, samples: int, *, device=None, generator=None, dtype=torch.float64, method: str = "vectors"):
    """Monte Carlo h_n from `samples` pairs of random vectors on the sphere of radius sqrt(n).

    With x_s = <u_s, v_s> = n cos t_s and normalised weights w_s = e^{x_s} / sum e^{x}:
    estimate = log mean e^{x} - sum w_s x_s = -KL(w || uniform) >= -log(samples), and a
    delta-method standard error sqrt(sum w_s^2 (1 - (x_s - xbar_w))^2 - 1/samples). Returns
    (estimate, stderr): floats for an int n, float64 tensors shaped like n otherwise. The error
    bar is only honest while samples >> e^{-h_n}; beyond, the estimate sticks near -log(samples).
    ``dtype`` and ``method`` are those of the random draws (see sample_cosines).
    """
    dims, scalar = _dims("n", n)
    samples = integer("samples", samples, minimum=1)
    eta = sample_cosines(
        dims if not scalar else int(dims.item()),
        samples,
        device=device,
        generator=generator,
        dtype=dtype,
        method=method,
    )  # (S,) or (S, *shape)
    estimate, stderr = _gap_from_cosines(eta, dims.to(eta.device))
    return _out(estimate, scalar), _out(stderr, scalar)


@public({"eta": [0.3, -0.2], "n": 5}, spans={"eta": (-1.0, 1.0)}, extremes={"n": [2, 10**7]}, cannot=("grad", "batch"))
def entropy_gap_from_cosines(eta, n: int):
    """The Monte Carlo h_n of entropy_gap_mc from given cosines eta (S,) of S random pairs in R^n:
    with x_s = n eta_s, log mean e^{x} - sum w_s x_s and its standard error (floats)."""
    n = integer("n", n, minimum=2)
    eta = as_float_tensor("eta", eta).to(torch.float64)
    if eta.ndim != 1 or eta.numel() == 0 or not bool(((eta >= -1) & (eta <= 1)).all()):
        raise ValueError(f"eta must be a non-empty 1-d tensor of cosines in [-1, 1], got {shorten(eta)}")
    estimate, stderr = _gap_from_cosines(eta, torch.tensor(float(n), dtype=torch.float64, device=eta.device))
    return float(estimate), float(stderr)


def _gap_from_cosines(eta: torch.Tensor, dims: torch.Tensor):
    """estimate = log mean e^{x} - sum w_s x_s = -KL(w || uniform), x = n eta, along dim 0."""
    samples = eta.shape[0]
    x = dims * eta  # <u, v> on the sphere of radius sqrt(n)
    log_mean = torch.logsumexp(x, dim=0) - math.log(samples)
    w = torch.softmax(x, dim=0)  # normalised importance weights
    xbar = (w * x).sum(0)
    estimate = log_mean - xbar
    var = (w * w * (1 - (x - xbar)) ** 2).sum(0) - 1.0 / samples
    return estimate, torch.sqrt(torch.clamp(var, min=0.0))


@public({"u": [[0.1, 0.2]], "v": [[0.5, 0.1], [-0.2, 0.3]]}, extremes={"u": [[[1e3, -1e3]]]}, cannot=("grad", "batch"))
def pair_entropy(u, v) -> float:
    """Entropy of the joint distribution p(i, j) = e^{<u_i, v_j>} / Z over all pairs of rows.

    H = log Z - E_p[<u, v>] (nats), for u of shape (N, n) and v of shape (M, n); the N M
    logits are streamed in row blocks with a running log-sum-exp, so memory stays near 16 MB.
    """
    u = as_float_tensor("u", u, min_dim=2)
    v = as_float_tensor("v", v, min_dim=2)
    if u.dim() != 2 or v.dim() != 2 or u.shape[1] != v.shape[1]:
        raise ValueError(
            f"u and v must be matrices with the same number of columns, got shapes "
            f"{tuple(u.shape)} and {tuple(v.shape)}"
        )
    u, v = u.to(torch.float64), v.to(device=u.device, dtype=torch.float64)
    big_m = torch.tensor(-math.inf, dtype=torch.float64, device=u.device)
    s0 = torch.zeros((), dtype=torch.float64, device=u.device)  # sum e^{L - M}
    s1 = torch.zeros((), dtype=torch.float64, device=u.device)  # sum e^{L - M} L
    rows = max(1, _CHUNK // v.shape[0])
    for start in range(0, u.shape[0], rows):
        logits = u[start : start + rows] @ v.T  # (b, M) <u_i, v_j>
        m = torch.maximum(big_m, logits.max())
        scale = torch.exp(big_m - m)  # rescale the running sums to the new maximum
        e = torch.exp(logits - m)
        s0 = s0 * scale + e.sum()
        s1 = s1 * scale + (e * logits).sum()
        big_m = m
    return (big_m + torch.log(s0) - s1 / s0).item()  # H = log Z - E_p[<u, v>]


@public({"N": 4, "n": 3}, extremes={"N": [1, 2000], "n": [1, 10**5]})
def sampled_entropy(N: int, n: int, *, device=None, generator=None) -> float:
    """pair_entropy of N random u's and N random v's, uniform on the sphere of radius sqrt(n).

    The finite vocabulary that the article's sampling approximation replaces by log N^2 + h_n;
    unlike the approximation it always lies in [0, log N^2].
    """
    N = integer("N", N, minimum=1)
    n = integer("n", n, minimum=1, maximum=MAX_DIM)
    device = _device(device, generator)
    fits("N", N, 2 * N * n)

    def sphere():
        g = torch.randn(N, n, generator=generator, device=device, dtype=torch.float64)
        return math.sqrt(n) * g / g.norm(dim=1, keepdim=True)  # (N, n), |row| = sqrt(n)

    return pair_entropy(sphere(), sphere())


# ---------------------------------------------------------------- the bound
def _coefficient(coefficient):
    if isinstance(coefficient, str):
        if coefficient not in ("exact", "limit"):
            raise ValueError(f"coefficient must be a real number > 0, 'exact' or 'limit', got {coefficient!r}")
        return coefficient
    if (
        isinstance(coefficient, bool)
        or not isinstance(coefficient, numbers.Real)
        or not math.isfinite(coefficient)
        or coefficient <= 0
    ):
        raise ValueError(f"coefficient must be a real number > 0, 'exact' or 'limit', got {coefficient!r}")
    return float(coefficient)


def _smallest_exact(two_log_n: torch.Tensor) -> torch.Tensor:
    """Smallest integer n >= 2 with two_log_n + h_n < 0 (h_n is decreasing), by bisection."""

    def holds(dims):
        log_mgf, energy = _tilted(dims)
        return two_log_n + log_mgf - energy < 0

    lo = torch.full_like(two_log_n, 2.0)
    done = holds(lo)
    # h_n < c n + d for every n, so this hi satisfies the condition; doubled until it does
    c, d = entropy_coefficient_limit(), entropy_gap_offset()
    hi = torch.clamp(torch.ceil((two_log_n + d) / -c) + 2, min=3.0)
    while not bool(holds(hi).all()):
        hi = torch.where(holds(hi), hi, 2 * hi)
    while bool((hi - lo > 1).any()):
        mid = torch.floor((lo + hi) / 2)
        ok = holds(mid)
        hi = torch.where(ok, mid, hi)
        lo = torch.where(ok, lo, mid)
    return torch.where(done, lo, hi)


@public({"N": 1e3}, extremes={"N": [2, 1e300], "coefficient": [1e-10, "limit"]}, kinds={"coefficient": "other"})
def min_embedding_dim(N, coefficient=ARTICLE_COEFFICIENT):
    """Smallest integer n with H ~ log N^2 + h_n < 0 (natural log).

    coefficient c > 0: the article's linear model h_n = -c n, so n > (2/c) log N
    (c = 0.24 gives 8.33 log N); "limit": c = (1/2) log phi = 0.2406, the Laplace limit;
    "exact": the exact h_n, by bisection on n. Int for a scalar N, int64 tensor otherwise.
    """
    big_n, scalar = _vocab("N", N)
    c = _coefficient(coefficient)
    two_log_n = 2 * torch.log(big_n)
    if c == "exact":
        dims = _smallest_exact(two_log_n.reshape(-1)).reshape(big_n.shape)
    else:
        slope = -entropy_coefficient_limit() if c == "limit" else c
        dims = torch.clamp(torch.floor(two_log_n / slope) + 1, min=2.0)  # n > (2/c) log N
    _checks.exact_integer("coefficient", coefficient, dims)  # only a tiny c can give a huge n
    dims = dims.to(torch.int64)
    return int(dims.item()) if scalar else dims


@public({"N": 1000.0, "eps": 0.1}, extremes={"N": [2, 1e300], "eps": [1e-6, 0.999]})
def jl_dimension(N, eps: float):
    """Johnson-Lindenstrauss (Dasgupta-Gupta form): k >= 4 log N / (eps^2/2 - eps^3/3).

    A random projection to k dimensions keeps all N(N-1)/2 squared distances within a factor
    1 +- eps (each pair fails with probability <= 2/N^2). Smallest such integer k.
    """
    big_n, scalar = _vocab("N", N)
    eps = real("eps", eps, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    k = torch.ceil(4 * torch.log(big_n) / (eps**2 / 2 - eps**3 / 3))
    _checks.exact_integer("eps", eps, k)
    k = k.to(torch.int64)
    return int(k.item()) if scalar else k
