"""Linear attention: must attention have a softmax?

Su Jianlin, 《线性Attention的探索：Attention必须有个Softmax吗？》, kexue.fm/archives/7546 (2020-07-04).
Rows are tokens: q (..., n, d), k (..., n_k, d), v (..., n_k, d_v); no 1/sqrt(d) unless asked
(Su's convention). The general form (the "Non-local network") with a similarity sim >= 0,

    out_i = sum_j sim(q_i, k_j) v_j / sum_j sim(q_i, k_j),

is softmax attention for sim = e^{q.k}. Where sim(q, k) = phi(q) . phi(k) factorises, the product
re-associates, (phi(Q) phi(K)^T) V = phi(Q) (phi(K)^T V), and the n x n_k matrix is never formed:
2 n n_k d multiply-adds (plus n n_k d_v) become n_k d d_v + n d d_v. The variants of the article:

    elu + 1        phi(x) = elu(x) + 1                       (Transformers are RNNs)
    double softmax softmax_2(Q) (softmax_1(K)^T V)           (Efficient Attention; 1: over n, 2: over d)
    1 + cos        sim = 1 + q^.k^, q^ = q/|q|               (Su's first-order Taylor expansion of e^{q.k})
    causal         out_i = phi(q_i)^T S_i / phi(q_i)^T z_i,  S_i = S_{i-1} + phi(k_i) v_i^T, z_i = z_{i-1} + phi(k_i)

Stability: features are taken in log space and rescaled by maxima that cancel in the ratio (per
feature column over the keys, then per query row), so no feature underflows to a 0/0 where the
ratio is defined (elu + 1 at x = -1000 is e^{-1000}). A query whose similarity to every key is
exactly 0 (possible with relu, or 1 + cos against keys all opposite to it) has no weights: its
output row is 0 (the reference code of Transformers are RNNs adds 1e-6 to the denominator, which
gives the same 0 there). The causal "cumsum" mode scales each feature column by its maximum over
all n keys; a prefix whose keys are all e^{-700} times smaller than that underflows to 0 ("rnn"
rescales as it goes and does not).
"""

from __future__ import annotations

import math

import torch

from theory_lib._checks import as_float_tensor, boolean, choice, fits, integer, positive, public, shorten

__all__ = [
    "FEATURE_MAPS",
    "SIMILARITIES",
    "softmax_attention",
    "linear_attention",
    "causal_linear_attention",
    "cosine_linear_attention",
    "efficient_attention",
    "features",
    "causal_states",
    "attention_weights",
    "row_entropy",
    "attention_cost",
]

FEATURE_MAPS = ("elu+1", "relu")
SIMILARITIES = ("exp", "elu+1", "relu", "1+cos", "exp-cos", "double-softmax")
MODES = ("rnn", "cumsum")

_Q = [[0.5, -1.0, 0.3], [1.2, 0.1, -0.4], [-0.7, 0.8, 0.9], [0.2, 0.2, -1.1]]
_K = [[0.4, 0.9, -0.2], [-1.0, 0.3, 0.5], [0.6, -0.8, 1.0], [0.1, 0.4, 0.7]]
_V = [[1.0, -2.0], [0.5, 0.3], [-1.5, 0.8], [2.0, 1.0]]
_EXAMPLE = {"q": _Q, "k": _K, "v": _V}
_BIG = [[1000.0 * x for x in row] for row in _Q]
_NEG = [[-800.0 - abs(x) for x in row] for row in _K]
_EXTREMES = {"q": [_BIG, _NEG], "k": [_BIG, _NEG]}


# ---------------------------------------------------------------- input checks
def _qkv(q, k, v, *, causal: bool = False, weights_only: bool = False, need: str = "linear"):
    """q, k, v as tensors of one float dtype and device, with shapes that fit (ValueError naming the one
    that does not); ``weights_only``: no v (one value per key stands in for it). ``need``: the largest
    tensor the caller forms ("weights", "cumsum" or "linear"), refused above the memory budget."""
    q = as_float_tensor("q", q, min_dim=2)
    k = as_float_tensor("k", k, min_dim=2)
    v = k[..., :1] if weights_only else as_float_tensor("v", v, min_dim=2)
    for name, t in (("k", k), ("v", v)):
        if t.device != q.device:
            raise ValueError(f"{name} must be on q's device {q.device}, got {shorten(t)} on {t.device}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have q's feature size d = {q.shape[-1]} in its last dimension, got {shorten(k)}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have one row per key (n_k = {k.shape[-2]}), got {shorten(v)}")
    if causal and k.shape[-2] != q.shape[-2]:
        raise ValueError(f"k must have as many rows as q (n = {q.shape[-2]}) when causal, got {shorten(k)}")
    try:
        batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"v must have batch dimensions that broadcast with q's {tuple(q.shape[:-2])} and k's "
            f"{tuple(k.shape[:-2])}, got {shorten(v)}"
        ) from None
    n, n_k, d, d_v = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    if need == "weights":  # the n x n_k matrix (elu + 1 and relu: n x n_k x d log-features)
        elements = n * n_k * (d if weights_only else 1)
    elif need == "cumsum":  # the n x d' x d_v tensor (d' = d for the named feature maps)
        elements = n * d * d_v
    else:  # features and the d' x d_v product
        elements = (n + n_k) * 2 * d + 2 * d * d_v + n * d_v
    dtype = torch.promote_types(torch.promote_types(q.dtype, k.dtype), v.dtype)
    fits("q", q, math.prod(batch) * elements, bytes_per=torch.empty((), dtype=dtype).element_size())
    return q.to(dtype), k.to(dtype), v.to(dtype)


def _log_features(x: torch.Tensor, feature_map) -> torch.Tensor:
    """log phi(x), -inf where phi(x) = 0: elu(x) + 1 is e^x for x < 0 and 1 + x above; relu is x."""
    if feature_map == "elu+1":
        return torch.where(x < 0, x, torch.log1p(x.clamp(min=0)))
    if feature_map == "relu":
        pos = x > 0
        return torch.where(pos, torch.log(torch.where(pos, x, torch.ones_like(x))), -torch.inf)
    phi = feature_map(x)
    if not isinstance(phi, torch.Tensor) or phi.shape[:-1] != x.shape[:-1] or phi.dtype != x.dtype:
        raise ValueError(
            f"feature_map must return a tensor of x's dtype and leading shape {tuple(x.shape[:-1])}, got {shorten(phi)}"
        )
    if not bool(torch.isfinite(phi).all()) or bool((phi < 0).any()):
        raise ValueError(f"feature_map must return finite non-negative features, got {shorten(phi)}")
    pos = phi > 0
    return torch.where(pos, torch.log(torch.where(pos, phi, torch.ones_like(phi))), -torch.inf)


def _feature_map(feature_map):
    if callable(feature_map) and not isinstance(feature_map, str):
        return feature_map
    return choice("feature_map", feature_map, FEATURE_MAPS + ("a callable returning non-negative features",))


def _finite_max(x: torch.Tensor, dim: int) -> torch.Tensor:
    """max over ``dim`` (kept), 0 where every entry is -inf (an all-zero feature column or row)."""
    m = x.amax(dim=dim, keepdim=True).detach()
    return torch.where(torch.isfinite(m), m, torch.zeros_like(m))


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den, 0 where den = 0 (a query with no similar key); den (..., n, 1)."""
    zero = den == 0
    return torch.where(zero, torch.zeros_like(num), num / torch.where(zero, torch.ones_like(den), den))


def _query_weights(lq: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """phi(q_i)_l e^{m_l} divided by its row maximum: the query side, rescaled."""
    a = lq + m  # (..., n, d')
    return torch.exp(a - _finite_max(a, -1))


def _linear(lq, lk, v):
    """The re-associated product from log features lq (..., n, d'), lk (..., n_k, d')."""
    m = _finite_max(lk, -2)  # (..., 1, d'): each feature column's maximum over the keys
    kt = torch.exp(lk - m)  # (..., n_k, d'), entries <= 1, one 1 per live column
    s = kt.transpose(-1, -2) @ v  # (..., d', d_v)   phi(K)^T V, rescaled
    z = kt.sum(-2).unsqueeze(-1)  # (..., d', 1)     phi(K)^T 1, rescaled
    w = _query_weights(lq, m)  # (..., n, d')
    return _ratio(w @ s, w @ z)


# ---------------------------------------------------------------- the forms
@public(_EXAMPLE, extremes={**_EXTREMES, "scale": [1e-6, 1e3]})
def softmax_attention(q, k, v, *, causal: bool = False, scale: float = 1.0) -> torch.Tensor:
    """softmax(scale Q K^T) V, each row's maximum subtracted; causal masks j > i. Shape (..., n, d_v)."""
    causal = boolean("causal", causal)
    scale = positive("scale", scale)
    q, k, v = _qkv(q, k, v, causal=causal, need="weights")
    logits = scale * (q @ k.transpose(-1, -2))  # (..., n, n_k)
    if causal:
        n = q.shape[-2]
        mask = torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1)
        logits = logits.masked_fill(mask, -torch.inf)
    return torch.softmax(logits - logits.amax(-1, keepdim=True).detach(), dim=-1) @ v


@public({**_EXAMPLE, "feature_map": "elu+1"}, extremes=_EXTREMES)
def linear_attention(q, k, v, feature_map="elu+1") -> torch.Tensor:
    """phi(Q) (phi(K)^T V) / phi(Q) (phi(K)^T 1), never forming the n x n_k matrix; (..., n, d_v).

    feature_map: "elu+1" (elu(x) + 1), "relu", or a callable x (..., d) -> (..., d') of
    non-negative features. A row with no similar key gives 0 (module docstring).
    """
    fm = _feature_map(feature_map)
    q, k, v = _qkv(q, k, v)
    return _linear(_log_features(q, fm), _log_features(k, fm), v)


@public({**_EXAMPLE, "feature_map": "elu+1", "mode": "rnn"}, extremes=_EXTREMES)
def causal_linear_attention(q, k, v, feature_map="elu+1", *, mode: str = "rnn") -> torch.Tensor:
    """out_i = phi(q_i)^T S_i / phi(q_i)^T z_i, S_i = S_{i-1} + phi(k_i) v_i^T, z_i = z_{i-1} + phi(k_i).

    mode "rnn": a loop over i carrying S (d' x d_v) and z, rescaled as its column maxima grow (the
    least memory; serial, as in decoding). "cumsum": the n x d' x d_v tensor of outer products
    phi(k_i) v_i^T and its cumulative sum over i (parallel, as in training; n d' d_v numbers).
    """
    fm = _feature_map(feature_map)
    mode = choice("mode", mode, MODES)
    q, k, v = _qkv(q, k, v, causal=True, need=mode if mode == "cumsum" else "linear")
    lq, lk = _log_features(q, fm), _log_features(k, fm)
    if mode == "cumsum":
        m = _finite_max(lk, -2)  # (..., 1, d')
        kt = torch.exp(lk - m)  # (..., n, d')
        s = torch.cumsum(kt.unsqueeze(-1) * v.unsqueeze(-2), dim=-3)  # (..., n, d', d_v)  S_i
        z = torch.cumsum(kt, dim=-2)  # (..., n, d')  z_i
        w = _query_weights(lq, m)  # (..., n, d')
        num = (w.unsqueeze(-2) @ s).squeeze(-2)  # (..., n, d_v)
        return _ratio(num, (w * z).sum(-1, keepdim=True))
    return _rnn(lq, lk, v)


def _rnn(lq, lk, v):
    """The RNN form: S, z carried with a running column maximum m (S_true = e^m S)."""
    batch = torch.broadcast_shapes(lq.shape[:-2], lk.shape[:-2], v.shape[:-2])
    dp, dv = lk.shape[-1], v.shape[-1]
    s = lq.new_zeros(*batch, dp, dv)  # (..., d', d_v)
    z = lq.new_zeros(*batch, dp)  # (..., d')
    m = lq.new_full((*batch, dp), -torch.inf)  # (..., d')
    out = []
    for i in range(lq.shape[-2]):
        lk_i = lk[..., i, :].expand(*batch, dp)  # (..., d')
        m_new = torch.maximum(m, lk_i).detach()
        m_safe = torch.where(torch.isfinite(m_new), m_new, torch.zeros_like(m_new))
        decay = torch.exp(m - m_safe)  # rescale the old sums to the new maxima (0 while empty)
        kt = torch.exp(lk_i - m_safe)  # (..., d')
        s = decay.unsqueeze(-1) * s + kt.unsqueeze(-1) * v[..., i, :].unsqueeze(-2)
        z = decay * z + kt
        m = m_new
        w = _query_weights(lq[..., i, :], m_safe)  # (..., d')
        num = (w.unsqueeze(-2) @ s).squeeze(-2)  # (..., d_v)
        out.append(_ratio(num, (w * z).sum(-1, keepdim=True)))
    return torch.stack(out, dim=-2)


def _unit(name: str, x: torch.Tensor) -> torch.Tensor:
    norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
    if bool((norm == 0).any()):
        raise ValueError(f"{name} must have no zero row (1 + cos needs a direction), got {shorten(x)}")
    return x / norm


@public(_EXAMPLE, extremes=_EXTREMES)
def cosine_linear_attention(q, k, v) -> torch.Tensor:
    """Su's sim = 1 + q^.k^ (q^ = q/|q|) in linear form: phi(x) = [1, x^], so sim >= 0; (..., n, d_v)."""
    q, k, v = _qkv(q, k, v)
    qh, kh = _unit("q", q), _unit("k", k)
    fq = torch.cat([torch.ones_like(qh[..., :1]), qh], -1)  # (..., n, d + 1)
    fk = torch.cat([torch.ones_like(kh[..., :1]), kh], -1)  # (..., n_k, d + 1)
    num = fq @ (fk.transpose(-1, -2) @ v)  # (..., n, d_v)
    den = fq @ fk.sum(-2).unsqueeze(-1)  # (..., n, 1), = n_k + q^ . sum_j k^_j >= 0
    return _ratio(num, den.clamp(min=0))


@public(_EXAMPLE, extremes=_EXTREMES)
def efficient_attention(q, k, v) -> torch.Tensor:
    """softmax_2(Q) (softmax_1(K)^T V): softmax_1 over the sequence (each key column sums to 1 over
    n_k), softmax_2 over the features (each query row sums to 1 over d); (..., n, d_v)."""
    q, k, v = _qkv(q, k, v)
    return torch.softmax(q, dim=-1) @ (torch.softmax(k, dim=-2).transpose(-1, -2) @ v)


@public({"x": _Q, "feature_map": "elu+1"}, extremes={"x": [_BIG, _NEG]})
def features(x, feature_map="elu+1") -> torch.Tensor:
    """phi(x) row by row: elu(x) + 1 (e^x below 0, 1 + x above), relu(x), or a callable's features."""
    fm = _feature_map(feature_map)
    x = as_float_tensor("x", x, min_dim=1)
    return torch.exp(_log_features(x, fm))


@public({"k": _K, "v": _V, "feature_map": "elu+1"}, extremes={"k": [_BIG]})
def causal_states(k, v, feature_map="elu+1"):
    """The RNN's states, unscaled: S_i = sum_{j<=i} phi(k_j) v_j^T (..., n, d', d_v) and
    z_i = sum_{j<=i} phi(k_j) (..., n, d'), as cumulative sums (the cumsum form's tensor, for looking at)."""
    fm = _feature_map(feature_map)
    k = as_float_tensor("k", k, min_dim=2)
    _, k, v = _qkv(k, k, v, need="cumsum")
    fk = torch.exp(_log_features(k, fm))  # (..., n, d')
    return torch.cumsum(fk.unsqueeze(-1) * v.unsqueeze(-2), dim=-3), torch.cumsum(fk, dim=-2)


# ---------------------------------------------------------------- the explicit weights, for looking at
@public({"q": _Q, "k": _K, "similarity": "exp"}, extremes=_EXTREMES)
def attention_weights(q, k, similarity: str = "exp", *, causal: bool = False) -> torch.Tensor:
    """The n x n_k weight matrix A that each form applies to V (out = A V), formed explicitly.

    similarity: "exp" (softmax(QK^T)), "elu+1", "relu", "1+cos", "exp-cos" (softmax over the cosines,
    what 1 + cos is the Taylor expansion of) and "double-softmax" (softmax_2(Q) softmax_1(K)^T,
    not of the general form: its "similarity" of q_i and k_j depends on every key; causal refused).
    Rows with no similar key are 0.
    """
    similarity = choice("similarity", similarity, SIMILARITIES)
    causal = boolean("causal", causal)
    if causal and similarity == "double-softmax":
        raise ValueError("causal must be False for similarity 'double-softmax' (softmax_1 sees every key), got True")
    q, k, _ = _qkv(q, k, None, causal=causal, weights_only=True, need="weights")
    if similarity == "double-softmax":
        return torch.softmax(q, dim=-1) @ torch.softmax(k, dim=-2).transpose(-1, -2)
    if similarity in ("exp", "exp-cos"):
        if similarity == "exp-cos":
            q, k = _unit("q", q), _unit("k", k)
        logits = q @ k.transpose(-1, -2)
        logw = logits
    elif similarity == "1+cos":
        sim = (1 + _unit("q", q) @ _unit("k", k).transpose(-1, -2)).clamp(min=0)
        logw = torch.where(sim > 0, torch.log(torch.where(sim > 0, sim, torch.ones_like(sim))), -torch.inf)
    else:
        lq, lk = _log_features(q, similarity), _log_features(k, similarity)
        logw = torch.logsumexp(lq.unsqueeze(-2) + lk.unsqueeze(-3), dim=-1)  # log sum_l phi(q)_l phi(k)_l
    if causal:
        n = q.shape[-2]
        logw = logw.masked_fill(torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1), -torch.inf)
    top = _finite_max(logw, -1)
    w = torch.exp(logw - top)
    return _ratio(w, w.sum(-1, keepdim=True))


@public({"weights": [[0.5, 0.5], [0.9, 0.1]]}, spans={"weights": (0.0, 1.0)}, cannot=("grad",))
def row_entropy(weights) -> torch.Tensor:
    """-sum_j w_ij log w_ij for each row of non-negative weights (normalised to sum 1 first); 0 log 0 = 0.

    log n_k for a flat row, 0 for a one-hot row; shape (..., n). Its derivative is infinite at a zero
    weight (d/dp of -p log p is -log p - 1), so use it for reading, not for training."""
    w = as_float_tensor("weights", weights, min_dim=1)
    if bool((w < 0).any()):
        raise ValueError(f"weights must be non-negative, got {shorten(w)}")
    total = w.sum(-1, keepdim=True)
    p = _ratio(w, total)
    return -torch.special.xlogy(p, p).sum(-1)


@public({"n": 512, "d": 64}, extremes={"n": [1, 2**40], "d": [1, 2**20]})
def attention_cost(n: int, d: int, d_v: int | None = None, n_k: int | None = None) -> dict:
    """Multiply-adds and numbers stored by each order of the product (Su's d = 64 in BERT base).

    softmax_madds = n n_k d + n n_k d_v   ((QK^T) V: 2 n^2 d when n_k = n, d_v = d)
    linear_madds  = n_k d d_v + n d d_v   (Q (K^T V): 2 n d^2), ratio n / d
    softmax_memory = n n_k (the weight matrix); linear_memory = d d_v (K^T V);
    cumsum_memory = n d d_v (the causal cumsum tensor), against n^2: ratio d^2 / n.
    """
    n = integer("n", n, minimum=1, maximum=2**40)
    d = integer("d", d, minimum=1, maximum=2**20)
    d_v = d if d_v is None else integer("d_v", d_v, minimum=1, maximum=2**20)
    n_k = n if n_k is None else integer("n_k", n_k, minimum=1, maximum=2**40)
    return {
        "softmax_madds": n * n_k * (d + d_v),
        "linear_madds": d * d_v * (n_k + n),
        "softmax_memory": n * n_k,
        "linear_memory": d * d_v,
        "cumsum_memory": n * d * d_v,
    }
