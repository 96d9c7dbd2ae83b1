"""Performer: softmax attention made linear by positive random features.

Su Jianlin, 《Performer：用随机投影将Attention的复杂度线性化》, kexue.fm/archives/7921 (2020-12-01),
on Choromanski et al., *Rethinking Attention with Performers* (arXiv 2009.14794). Completing the square,

    e^{q·k} = E_{ω ~ N(0, I_d)}[ e^{ω·q - |q|²/2} e^{ω·k - |k|²/2} ]
            ≈ φ(q)·φ(k),   φ(x) = (e^{ω_i·x - |x|²/2})_{i=1..m} / √m        (positive features)
    e^{q·k} = e^{|q|²/2 + |k|²/2} E[cos ω·(q - k)]  ≈  φ(q)·φ(k),
              φ(x) = e^{|x|²/2} [cos ω_i·x, sin ω_i·x]_{i=1..m} / √m          (trigonometric features)

so Attention(Q, K, V) ≈ φ(Q)(φ(K)ᵀV) / φ(Q)(φ(K)ᵀ1), linear in the sequence length. For one feature
(divide by m for m iid features), with s = q + k and t = q - k,

    Var₊    = e^{2q·k} (e^{|s|²} - 1),        relative:  Var₊ / e^{2q·k}    = e^{|s|²} - 1
    Var_trig = ½ e^{|q|²+|k|²} (1 - e^{-|t|²})²,  relative:  Var_trig / e^{2q·k} = ½ (e^{|t|²} - 1)(1 - e^{-|t|²}).

The directions ω_i may be drawn orthogonal in blocks of d (lengths χ_d), or (Su's suggestion) given
the deterministic lengths R_i = χ_d⁻¹(i/(m+1)); that last choice is biased (``quantile_bias``):
E_u[e^{R u·s}] over a uniform direction u is ₀F₁(; d/2; R²|s|²/4), so the estimate of E e^{ω·s} =
e^{|s|²/2} becomes the mean of that function over the radii, a quadrature that misses the tails.
Su's convention: no 1/√d inside the exponent unless the caller scales q and k.
"""

from __future__ import annotations

import functools
import math

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, integer, public, real

__all__ = [
    "KINDS",
    "FEATURES",
    "sample_omega",
    "quantile_radii",
    "chi_pdf",
    "positive_random_features",
    "trig_random_features",
    "feature_kernel",
    "positive_feature_variance",
    "trig_feature_variance",
    "relative_rms",
    "quantile_bias",
    "performer_weights",
    "performer_attention",
    "attention_multiply_adds",
]

KINDS = ("iid", "orthogonal", "quantile")
FEATURES = ("positive", "trig")
MAX_DIM = 1 << 16  # d: far beyond any attention head
MAX_FEATURES = 1 << 24  # m (sample_omega also refuses what would need over 512 MiB)
_BISECT = 50  # bisection steps on log x (an interval under 720 wide: 720 / 2^50 < 1e-12), then Newton


# ---------------------------------------------------------------- random directions and lengths
@public({"m": 4, "d": 3}, extremes={"m": [1, 4096], "d": [1, 512], "draws": [1, 64]})
def sample_omega(
    m: int, d: int, kind: str = "iid", *, draws: int | None = None, device=None, generator=None, dtype=torch.float32
):
    """The m rows ω_i of the features, (m, d); with ``draws``, that many independent sets, (draws, m, d).

    "iid": ω_i ~ N(0, I_d). "orthogonal": independent blocks of d consecutive rows (the last cut
    short) whose directions are orthonormal and Haar-distributed (QR of a Gaussian matrix, signs
    corrected by diag R), each length an independent χ_d draw, so every row is still N(0, I_d).
    "quantile": the same directions with Su's lengths R_i = χ_d⁻¹(i/(m+1)) (``quantile_radii``),
    handed to the rows in a random order.
    """
    m = integer("m", m, minimum=1, maximum=MAX_FEATURES)
    d = integer("d", d, minimum=1, maximum=MAX_DIM)
    kind = choice("kind", kind, KINDS)
    sets = 1 if draws is None else integer("draws", draws, minimum=1, maximum=MAX_FEATURES)
    device, generator, dtype = _checks.sampling(device, generator, dtype)
    _checks.fits(
        "m" if draws is None else "draws",
        m if draws is None else draws,
        sets * (4 * -(-m // d) * d * d + 3 * m * d),  # Gaussian blocks, Q, R, lengths, then the rows
        bytes_per=8,
    )
    if kind == "iid":
        out = torch.randn(sets, m, d, device=device, generator=generator, dtype=dtype)
        return out if draws is not None else out[0]
    blocks = -(-m // d)
    g = torch.randn(sets, blocks, d, d, device=device, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(g)  # (S, B, d, d): columns of q orthonormal
    sign = torch.where(torch.diagonal(r, dim1=-2, dim2=-1) >= 0, 1.0, -1.0).to(q)  # Haar: fix R's signs
    directions = (q * sign[..., None, :]).transpose(-1, -2).reshape(sets, blocks * d, d)[:, :m]  # (S, m, d) rows
    if kind == "orthogonal":
        lengths = torch.randn(sets, m, d, device=device, generator=generator, dtype=torch.float64).norm(dim=-1)
    else:
        order = torch.rand(sets, m, device=device, generator=generator).argsort(dim=-1)  # a random permutation each
        lengths = _radii(d, m).to(device)[order]
    out = (directions * lengths[..., None]).to(dtype)  # (S, m, d)
    return out if draws is not None else out[0]


def _inverse_gammainc(a: float, p: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """x with P(a, x) = p (float64): bisection on log x, then two Newton steps.

    Where p > 1/2 the upper tail Q(a, x) = 1 - p is solved instead (``upper``: 1 - p, exact), so
    that p = m/(m+1) keeps its digits."""
    use_upper = p > 0.5

    shape = torch.full_like(p, a)

    def residual(x):
        return torch.where(use_upper, upper - torch.special.gammaincc(shape, x), torch.special.gammainc(shape, x) - p)

    lo = torch.full_like(p, math.log(1e-300))
    hi = torch.full_like(p, math.log(4 * a + 800.0))
    for _ in range(_BISECT):
        mid = 0.5 * (lo + hi)
        low = residual(torch.exp(mid)) < 0
        lo, hi = torch.where(low, mid, lo), torch.where(low, hi, mid)
    x = torch.exp(0.5 * (lo + hi))
    for _ in range(2):  # dP/dx = x^{a-1} e^{-x} / Γ(a)
        slope = torch.exp((a - 1) * torch.log(x) - x - math.lgamma(a))
        x = torch.where(slope > 0, x - residual(x) / slope, x)
    return x


@public({"d": 2, "m": 3}, extremes={"d": [1, 4096], "m": [1, 4096]}, cannot=("grad",))
def quantile_radii(d: int, m: int) -> torch.Tensor:
    """Su's deterministic lengths R_i = χ_d⁻¹(i/(m+1)), i = 1..m, ascending, float64 on the CPU.

    P_d(r ≤ R) = ∫₀^R r^{d-1} e^{-r²/2} dr / ∫₀^∞ (same) = P(d/2, R²/2), the regularised lower
    incomplete gamma function, inverted in torch (d = 2: R_i = √(-2 ln(1 - i/(m+1)))). torch's
    gammainc is good to about 1e-9 relative where x ~ d/2 > 20 (against scipy), and so are these radii."""
    d = integer("d", d, minimum=1, maximum=MAX_DIM)
    m = integer("m", m, minimum=1, maximum=MAX_FEATURES)
    _checks.fits("m", m, 8 * m)
    return _radii(d, m).clone()


@functools.lru_cache(maxsize=64)
def _radii(d: int, m: int) -> torch.Tensor:
    """quantile_radii, cached (sample_omega asks for the same radii at every draw)."""
    i = torch.arange(1, m + 1, dtype=torch.float64)
    x = _inverse_gammainc(d / 2, i / (m + 1), (m + 1 - i) / (m + 1))
    return torch.sqrt(2 * x)


@public({"r": [0.5, 1.5], "d": 3}, spans={"r": (0.0, 20.0)}, extremes={"d": [1, 4096]})
def chi_pdf(r, d: int) -> torch.Tensor:
    """The χ_d density of |ω|, ω ~ N(0, I_d): r^{d-1} e^{-r²/2} / (2^{d/2-1} Γ(d/2)) for r ≥ 0."""
    r = as_float_tensor("r", r, min_dim=0)
    d = integer("d", d, minimum=1, maximum=MAX_DIM)
    if bool((r < 0).any()):
        raise ValueError(f"r must be >= 0 (a length), got {_checks.shorten(r)}")
    log_norm = (d / 2 - 1) * math.log(2) + math.lgamma(d / 2)
    safe = torch.where(r > 0, r, torch.ones_like(r))  # r = 0 apart: no 0·log 0 in the gradient
    inside = torch.exp((d - 1) * torch.log(safe) - safe**2 / 2 - log_norm)
    return torch.where(r > 0, inside, torch.full_like(r, math.exp(-log_norm) if d == 1 else 0.0))


# ---------------------------------------------------------------- the features
def _fit(name: str, x, omega):
    """x (…, n, d) and omega (…, m, d) as tensors of one float dtype on one device."""
    x = as_float_tensor(name, x, min_dim=2)
    omega = as_float_tensor("omega", omega, min_dim=2)
    if omega.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"omega must have the feature size d = {x.shape[-1]} of {name} in its last dimension, "
            f"got shape {tuple(omega.shape)}"
        )
    if omega.device != x.device:
        raise ValueError(f"omega must be on {name}'s device {x.device}, got {omega.device}")
    dtype = torch.promote_types(x.dtype, omega.dtype)
    return x.to(dtype), omega.to(dtype)


def _project(x: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """ω_i·x for every row of x, (…, n, m); omega's leading dimensions broadcast with x's."""
    try:
        return x @ omega.transpose(-1, -2)
    except RuntimeError:
        raise ValueError(
            f"omega's leading dimensions must broadcast with x's, got {tuple(omega.shape)} and {tuple(x.shape)}"
        ) from None


@public({"x": [[0.3, -0.2], [0.1, 0.4]], "omega": [[1.0, 0.5], [-0.3, 0.2], [0.7, -1.1]]})
def positive_random_features(x, omega) -> torch.Tensor:
    """φ(x) = (e^{ω_i·x - |x|²/2})_{i=1..m} / √m for each row x, (…, n, m): one exponent each.

    x: (…, n, d); omega: (m, d) or (…, m, d). E[φ(q)·φ(k)] = e^{q·k} for ω_i ~ N(0, I_d)."""
    x, omega = _fit("x", x, omega)
    m = omega.shape[-2]
    return torch.exp(_project(x, omega) - (x * x).sum(-1, keepdim=True) / 2 - 0.5 * math.log(m))


@public({"x": [[0.3, -0.2], [0.1, 0.4]], "omega": [[1.0, 0.5], [-0.3, 0.2], [0.7, -1.1]]})
def trig_random_features(x, omega) -> torch.Tensor:
    """φ(x) = e^{|x|²/2} [cos ω_i·x, sin ω_i·x]_{i=1..m} / √m, (…, n, 2m): cosines, then sines.

    φ(q)·φ(k) = e^{(|q|²+|k|²)/2} mean_i cos ω_i·(q - k), whose expectation is e^{q·k}."""
    x, omega = _fit("x", x, omega)
    m = omega.shape[-2]
    proj = _project(x, omega)
    scale = torch.exp((x * x).sum(-1, keepdim=True) / 2 - 0.5 * math.log(m))
    return scale * torch.cat([torch.cos(proj), torch.sin(proj)], dim=-1)


def _features(q, k, omega, features: str):
    features = choice("features", features, FEATURES)
    q, omega = _fit("q", q, omega)
    k = as_float_tensor("k", k, min_dim=2)
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have q's feature size d = {q.shape[-1]}, got shape {tuple(k.shape)}")
    if k.device != q.device:
        raise ValueError(f"k must be on q's device {q.device}, got {k.device}")
    return q, k.to(torch.promote_types(k.dtype, q.dtype)), omega.to(torch.promote_types(k.dtype, q.dtype)), features


@public({"q": [[0.3, -0.2], [0.1, 0.4]], "k": [[0.2, 0.1]], "omega": [[1.0, 0.5], [-0.3, 0.2], [0.7, -1.1]]})
def feature_kernel(q, k, omega, features: str = "positive") -> torch.Tensor:
    """φ(Q)φ(K)ᵀ, (…, n, n_k): the unnormalised estimate of e^{QKᵀ} (entry by entry) from omega's rows."""
    q, k, omega, features = _features(q, k, omega, features)
    f = positive_random_features if features == "positive" else trig_random_features
    return f(q, omega) @ f(k, omega).transpose(-1, -2)


# ---------------------------------------------------------------- variances (one feature; divide by m)
def _pair(q, k):
    q = as_float_tensor("q", q, min_dim=1)
    k = as_float_tensor("k", k, min_dim=1)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"k must have q's size d = {q.shape[-1]} in its last dimension, got shape {tuple(k.shape)}")
    if k.device != q.device:
        raise ValueError(f"k must be on q's device {q.device}, got {k.device}")
    dtype = torch.promote_types(q.dtype, k.dtype)
    return q.to(dtype), k.to(dtype)


def _exp_times_power(a: torch.Tensor, u: torch.Tensor, power: int) -> torch.Tensor:
    """e^a u^power for u >= 0, in log space (no inf·0), with finite gradients at u = 0."""
    safe = torch.where(u > 0, u, torch.ones_like(u))
    return torch.where(u > 0, torch.exp(a + power * torch.log(safe)), torch.zeros_like(u))


@public({"q": [0.6, 0.0], "k": [0.3, 0.4]}, spans={"q": (-3, 3), "k": (-3, 3)}, extremes={"m": [1, 10**9]})
def positive_feature_variance(q, k, m: int = 1) -> torch.Tensor:
    """Var[φ(q)·φ(k)] = e^{2q·k}(e^{|q+k|²} - 1)/m for m iid positive features, (…) over q, k (…, d).

    Written e^{|q|²+|k|²+4q·k}(1 - e^{-|q+k|²})/m so that nothing overflows before the result does."""
    q, k = _pair(q, k)
    m = integer("m", m, minimum=1)
    s2 = ((q + k) ** 2).sum(-1)
    a = (q * q).sum(-1) + (k * k).sum(-1) + 4 * (q * k).sum(-1) - math.log(m)
    return _exp_times_power(a, -torch.expm1(-s2), 1)


@public({"q": [0.6, 0.0], "k": [0.3, 0.4]}, spans={"q": (-3, 3), "k": (-3, 3)}, extremes={"m": [1, 10**9]})
def trig_feature_variance(q, k, m: int = 1) -> torch.Tensor:
    """Var[φ(q)·φ(k)] = ½ e^{|q|²+|k|²}(1 - e^{-|q-k|²})²/m for m iid trigonometric features, (…)."""
    q, k = _pair(q, k)
    m = integer("m", m, minimum=1)
    t2 = ((q - k) ** 2).sum(-1)
    a = (q * q).sum(-1) + (k * k).sum(-1) - math.log(2 * m)
    return _exp_times_power(a, -torch.expm1(-t2), 2)


@public({"q": [0.6, 0.0], "k": [0.3, 0.4]}, spans={"q": (-3, 3), "k": (-3, 3)}, extremes={"m": [1, 10**9]})
def relative_rms(q, k, m: int = 1, features: str = "positive") -> torch.Tensor:
    """√Var / e^{q·k}: the relative RMS error of φ(q)·φ(k) with m iid features, (…).

    positive: √((e^{|q+k|²} - 1)/m); trig: √(½(e^{|q-k|²} - 1)(1 - e^{-|q-k|²})/m). So m ≥ rms₁²/r²
    features reach a relative RMS r."""
    q, k = _pair(q, k)
    m = integer("m", m, minimum=1)
    features = choice("features", features, FEATURES)
    if features == "positive":
        rel2 = torch.expm1(((q + k) ** 2).sum(-1))
    else:
        t2 = ((q - k) ** 2).sum(-1)
        rel2 = 0.5 * torch.expm1(t2) * -torch.expm1(-t2)
    return torch.sqrt(rel2 / m + torch.finfo(rel2.dtype).tiny) * (rel2 > 0)


# ---------------------------------------------------------------- Su's quantile radii: the bias
def _log_0f1(b: float, z: torch.Tensor) -> torch.Tensor:
    """log ₀F₁(; b; z) = log Σ_j Γ(b) z^j / (Γ(b+j) j!) for z >= 0, by log-sum-exp over enough terms."""
    terms = int(2 * math.sqrt(float(z.max())) + 40)  # past the peak j ≈ √z by many widths
    j = torch.arange(terms, dtype=torch.float64)
    log = torch.special.xlogy(j, z[..., None]) - torch.lgamma(b + j) - torch.lgamma(j + 1) + math.lgamma(b)
    return torch.logsumexp(log, dim=-1)


@public({"d": 2, "m": 3, "norm": 1.0}, extremes={"d": [1, 1024], "m": [1, 1024], "norm": [0.0, 10.0]}, cannot=("grad",))
def quantile_bias(d: int, m: int, norm):
    """Relative bias E[φ(q)·φ(k)]/e^{q·k} - 1 of positive features with Su's quantile radii, |q+k| = norm.

    A float for a number ``norm`` in [0, 30]; for a 1-D tensor of them, a float64 CPU tensor.

    A uniform direction u gives E_u[e^{R u·s}] = ₀F₁(; d/2; R²|s|²/4) (= cosh R|s| for d = 1, I₀ for
    d = 2), so the estimate's mean over directions is mean_i ₀F₁(; d/2; R_i²|s|²/4) against the
    true E e^{ω·s} = e^{|s|²/2}. Negative: the m radii miss the tails of χ_d. iid and orthogonal: 0."""
    d = integer("d", d, minimum=1, maximum=MAX_DIM)
    m = integer("m", m, minimum=1, maximum=MAX_DIM)
    if isinstance(norm, torch.Tensor) and norm.dim() > 0:
        s = as_float_tensor("norm", norm).detach().to("cpu", torch.float64)
        if bool((s < 0).any() | (s > 30).any()):
            raise ValueError(f"norm must hold values in [0, 30], got {_checks.shorten(norm)}")
    else:
        s = torch.tensor(real("norm", norm, lo=0.0, hi=30.0), dtype=torch.float64)
    radii = _radii(d, m)  # (m,)
    z = (radii * s[..., None]) ** 2 / 4  # (…, m)
    log_mean = torch.logsumexp(_log_0f1(d / 2, z), dim=-1) - math.log(m)
    bias = torch.expm1(log_mean - s**2 / 2)
    return bias.item() if s.dim() == 0 else bias


# ---------------------------------------------------------------- attention
def _attention_inputs(q, k, v, omega, features, causal):
    q, k, omega, features = _features(q, k, omega, features)
    v = as_float_tensor("v", v, min_dim=2)
    causal = _checks.boolean("causal", causal)
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have one row per key (n_k = {k.shape[-2]}), got shape {tuple(v.shape)}")
    if v.device != q.device:
        raise ValueError(f"v must be on q's device {q.device}, got {v.device}")
    if causal and k.shape[-2] != q.shape[-2]:
        raise ValueError(f"k must have as many rows as q (n = {q.shape[-2]}) when causal, got {k.shape[-2]}")
    return q, k, v.to(q.dtype), omega, features, causal


def _stable_features(q, k, omega, features):
    """φ(Q) and φ(K) up to constants that cancel in the ratio: per query row its own maximum
    (positive) or no e^{|q|²/2} at all (trig); one constant over all keys."""
    try:
        batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], omega.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"omega's leading dimensions must broadcast with q's and k's, got {tuple(omega.shape)}, "
            f"{tuple(q.shape)} and {tuple(k.shape)}"
        ) from None
    rows = math.prod(batch) * (q.shape[-2] + k.shape[-2]) * omega.shape[-2]
    _checks.fits("omega", omega, 3 * rows, bytes_per=q.element_size())  # projections, features, their products
    pq, pk = _project(q, omega), _project(k, omega)  # (…, n, m), (…, n_k, m)
    if features == "positive":
        aq = pq - (q * q).sum(-1, keepdim=True) / 2
        ak = pk - (k * k).sum(-1, keepdim=True) / 2
        fq = torch.exp(aq - aq.amax(-1, keepdim=True).detach())
        fk = torch.exp(ak - ak.amax((-2, -1), keepdim=True).detach())
        return fq, fk
    half = (k * k).sum(-1, keepdim=True) / 2
    scale = torch.exp(half - half.amax(-2, keepdim=True).detach())
    return torch.cat([torch.cos(pq), torch.sin(pq)], -1), scale * torch.cat([torch.cos(pk), torch.sin(pk)], -1)


_EXAMPLE = {
    "q": [[0.3, -0.2], [0.1, 0.4]],
    "k": [[0.2, 0.1], [-0.5, 0.3]],
    "v": [[1.0, 0.0, 2.0], [0.5, -1.0, 0.3]],
    "omega": [[1.0, 0.5], [-0.3, 0.2], [0.7, -1.1]],
}
_SPANS = {"q": (-2, 2), "k": (-2, 2), "omega": (-2, 2)}


@public({k: _EXAMPLE[k] for k in ("q", "k", "omega")}, spans=_SPANS, extremes={"causal": [True]})
def performer_weights(q, k, omega, *, features: str = "positive", causal: bool = False) -> torch.Tensor:
    """Â = φ(Q)φ(K)ᵀ normalised by its row sums (masked to j ≤ i when causal), (…, n, n_k).

    The matrix performer_attention never forms (Â V is its output): for the figures and the tests.
    Trig rows may hold negative entries and a normaliser near 0; they are not clipped."""
    q, k, _, omega, features, causal = _attention_inputs(q, k, k, omega, features, causal)
    fq, fk = _stable_features(q, k, omega, features)
    a = fq @ fk.transpose(-1, -2)  # (…, n, n_k)
    if causal:
        a = torch.tril(a)
    return a / a.sum(-1, keepdim=True)


@public(_EXAMPLE, spans=_SPANS, extremes={"causal": [True], "features": ["trig"]})
def performer_attention(q, k, v, omega, *, features: str = "positive", causal: bool = False) -> torch.Tensor:
    """φ(Q)(φ(K)ᵀV) / φ(Q)(φ(K)ᵀ1), (…, n, d_v), never forming the n × n_k matrix.

    q (…, n, d), k (…, n_k, d), v (…, n_k, d_v), omega (m, d) or (…, m, d). Stabilised by maxima that
    cancel in the ratio: each query row's own, one over all keys. causal: prefix sums of φ(k_j)v_jᵀ
    and φ(k_j) (an (…, n, m, d_v) cumsum). Trig estimates are not clipped (the article clips each
    entry, which needs the n × n_k matrix): a row whose estimated normaliser is near 0 or negative
    gives meaningless weights, which is the point the lesson makes about trig features."""
    q, k, v, omega, features, causal = _attention_inputs(q, k, v, omega, features, causal)
    fq, fk = _stable_features(q, k, omega, features)  # (…, n, M), (…, n_k, M)
    if not causal:
        kv = fk.transpose(-1, -2) @ v  # (…, M, d_v)
        return (fq @ kv) / (fq @ fk.sum(-2)[..., None])
    _checks.fits("v", v, math.prod(torch.broadcast_shapes(fk.shape[:-1], v.shape[:-1])) * fk.shape[-1] * v.shape[-1])
    s = torch.cumsum(fk[..., :, :, None] * v[..., :, None, :], dim=-3)  # S_i, (…, n, M, d_v)
    z = torch.cumsum(fk, dim=-2)  # z_i, (…, n, M)
    return (fq[..., None, :] @ s).squeeze(-2) / (fq * z).sum(-1, keepdim=True)


@public({"n": 512, "d": 64, "m": 256}, extremes={"n": [1, 10**9], "d": [1, 4096], "m": [1, 10**6]})
def attention_multiply_adds(n: int, d: int, m: int) -> tuple[int, int]:
    """(softmax, performer) multiply-adds of one head with d_v = d: 2n²d against 4nmd.

    Softmax: QKᵀ and AV, n²d each. Performer: φ(Q) and φ(K), nmd each; φ(K)ᵀV, nmd; φ(Q)(·), nmd.
    They cross at n = 2m."""
    n = integer("n", n, minimum=1)
    d = integer("d", d, minimum=1)
    m = integer("m", m, minimum=1)
    return 2 * n * n * d, 4 * n * m * d
