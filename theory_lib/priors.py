"""Using the class prior: logit adjustment (in the loss) and CAN (after training, only where unsure).

Su Jianlin, 《通过互信息思想来缓解类别不平衡问题》, kexue.fm/archives/7615 (2020-07-19), after Menon et
al., *Long-tail learning via logit adjustment* (arXiv 2007.07314); and 《CAN：借助先验分布提升分类性能的
简单后处理技巧》, kexue.fm/archives/8728 (2021-10-22), after arXiv 2109.13449.

Logit adjustment fits log p(y|x)/p(y) instead of log p(y|x):

    loss = -log softmax(f + tau log p)_y = log[1 + sum_{i != y} (p_i/p_y)^tau e^{f_i - f_y}]

so that argmax f is the balanced rule at tau = 1 (for tau != 1: argmax f + (tau - 1) log p). Menon et al.'s
post-hoc rule adjusts a plainly trained s instead: argmax s - tau log p.

Two Gaussians N(-mu, 1) (class 0, prior 1 - pi1) and N(+mu, 1) (class 1, prior pi1), threshold t (class 1
when x > t); the tau-adjusted Bayes rule has t = (1 - tau) log((1 - pi1)/pi1)/(2 mu), and

    BER(t) = [Phi(-mu - t) + Phi(t - mu)]/2,     err(t) = (1 - pi1) Phi(-mu - t) + pi1 Phi(t - mu).

CAN: a low-confidence row p (top-k uncertainty >= threshold) is stacked under the n confident rows and
`iters` times: Y <- Y^alpha; each column divided by its mean and multiplied by the prior; rows renormalised.
One iteration: q ∝ p^alpha ⊘ ((S + p^alpha)/(n + 1)) ⊙ prior, S = sum of the confident rows' p^alpha.
Many iterations at alpha = 1: Sinkhorn-Knopp scaling (row sums 1, column means the prior).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, integer, positive, public, real, shorten

__all__ = [
    "MAX_ITERS",
    "logit_adjusted_cross_entropy",
    "posthoc_adjust",
    "balanced_error",
    "gaussian_threshold",
    "gaussian_errors",
    "long_tail_counts",
    "sample_classes",
    "train_linear",
    "topk_uncertainty",
    "can_correct",
    "can_path",
    "can_postprocess",
]

MAX_ITERS = 100_000  # CAN iterations and training steps at most this


# ---------------------------------------------------------------- checks
def _prior(prior, k: int | None = None, like: torch.Tensor | None = None) -> torch.Tensor:
    """K positive numbers, normalised to sum 1, in float64 (on like's device when given: its log is taken before
    any cast, so that a prior of 1e-300 stays a finite log in float32)."""
    p = as_float_tensor("prior", prior)
    if p.dim() != 1 or p.shape[0] < 2 or not bool((p > 0).all()):
        raise ValueError(f"prior must be a vector of at least 2 entries, all > 0, got {shorten(prior)}")
    if k is not None and p.shape[0] != k:
        raise ValueError(f"prior must have {k} entries (one per class), got {shorten(prior)}")
    if like is not None:
        p = p.to(device=like.device)
    p = p.double()
    return p / p.sum()


def _log_prior(prior, k: int, like: torch.Tensor) -> torch.Tensor:
    return _prior(prior, k, like).log().to(like.dtype)


def _classes(name: str, value, k: int, like: torch.Tensor) -> torch.Tensor:
    """Class indices in [0, k) (integer-valued floats accepted), int64 on like's device."""
    t = as_float_tensor(name, value).detach()
    if t.dim() != 1 or not bool(((t == t.round()) & (t >= 0) & (t < k)).all()):
        raise ValueError(f"{name} must be a vector of class indices in [0, {k - 1}], got {shorten(value)}")
    return t.to(device=like.device).long()


def _logits(logits) -> torch.Tensor:
    f = as_float_tensor("logits", logits)
    if f.shape[-1] < 2:
        raise ValueError(f"logits must have at least 2 classes on the last dimension, got {shorten(logits)}")
    return f


def _probs(name: str, value, *, min_dim: int = 1) -> torch.Tensor:
    t = as_float_tensor(name, value, min_dim=min_dim)
    if t.shape[-1] < 2 or not bool((t >= 0).all()) or not bool((t.sum(-1) > 0).all()):
        raise ValueError(
            f"{name} must hold rows of at least 2 non-negative entries with a positive sum, got {shorten(value)}"
        )
    return t


def _tau(tau) -> float:
    return real("tau", tau, lo=-100.0, hi=100.0)


# ---------------------------------------------------------------- logit adjustment
@public(
    {"logits": [[1.0, -0.5, 0.2], [0.0, 2.0, -1.0]], "target": [0, 2], "prior": [0.7, 0.2, 0.1]},
    extremes={"logits": [[[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4]]], "prior": [[1e-300, 1.0, 1.0]]},
    kinds={"target": "tensor"},
    cannot=("batch",),
)
def logit_adjusted_cross_entropy(logits, target, prior, tau=1.0) -> torch.Tensor:
    """Batch mean of -log softmax(f + tau log p)_y = log[1 + sum_{i != y} (p_i/p_y)^tau e^{f_i - f_y}].

    logits (B, K), target (B,) class indices, prior (K,) positive (normalised here). tau = 0 is plain
    cross-entropy. Via log-softmax, so finite at logits of +-1e4.
    """
    f = _logits(logits)
    if f.dim() != 2:
        raise ValueError(f"logits must have shape (B, K), got {shorten(logits)}")
    y = _classes("target", target, f.shape[1], f)
    if y.shape[0] != f.shape[0]:
        raise ValueError(f"target must have {f.shape[0]} entries (one per row of logits), got {shorten(target)}")
    return F.cross_entropy(f + _tau(tau) * _log_prior(prior, f.shape[1], f), y)


@public(
    {"logits": [1.0, -0.5, 0.2], "prior": [0.7, 0.2, 0.1]},
    extremes={"logits": [[1e4, -1e4, 0.0]], "prior": [[1e-300, 1.0, 1.0]]},
    cannot=("batch",),
)
def posthoc_adjust(logits, prior, tau=1.0) -> torch.Tensor:
    """f - tau log p over the last dimension (Menon et al.'s post-hoc rule: predict its argmax)."""
    f = _logits(logits)
    return f - _tau(tau) * _log_prior(prior, f.shape[-1], f)


@public(
    {"pred": [0, 1, 1, 2, 0], "target": [0, 1, 2, 2, 1], "num_classes": 3},
    kinds={"pred": "tensor", "target": "tensor"},
    cannot=("grad", "batch"),
)
def balanced_error(pred, target, num_classes) -> torch.Tensor:
    """BER = mean over the classes present in target of P(pred != y | y) (a 0-d tensor)."""
    k = integer("num_classes", num_classes, minimum=2)
    y = _classes("target", target, k, torch.empty(0))
    yhat = _classes("pred", pred, k, torch.empty(0))
    if yhat.shape != y.shape:
        raise ValueError(f"pred must have the shape of target {tuple(y.shape)}, got {shorten(pred)}")
    wrong = torch.zeros(k, dtype=torch.float64).index_add_(0, y, (yhat != y).double())
    count = torch.bincount(y, minlength=k).double()
    seen = count > 0
    return (wrong[seen] / count[seen]).mean()


@public({"pi1": 0.1, "tau": 1.0}, extremes={"pi1": [1e-300, 1 - 1e-16]})
def gaussian_threshold(pi1, tau, mu=1.0) -> float:
    """t = (1 - tau) log((1 - pi1)/pi1)/(2 mu): the tau-adjusted Bayes threshold between N(-mu, 1) and N(mu, 1).

    tau = 0: the Bayes rule (least error); tau = 1: t = 0 (least balanced error). Training at tau_train and
    adjusting post hoc by tau_post gives the threshold at tau = tau_train + tau_post.
    """
    pi1 = real("pi1", pi1, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    mu = positive("mu", mu, maximum=1e6)
    return (1.0 - _tau(tau)) * (math.log1p(-pi1) - math.log(pi1)) / (2.0 * mu)


@public({"threshold": [-1.0, 0.0, 1.5], "pi1": 0.1}, extremes={"threshold": [[-1e300, 0.0, 1e300]]})
def gaussian_errors(threshold, pi1, mu=1.0):
    """(BER, err) at threshold t: ([Phi(-mu - t) + Phi(t - mu)]/2, (1 - pi1) Phi(-mu - t) + pi1 Phi(t - mu)).

    Broadcasts over t (a number gives floats, a tensor tensors).
    """
    t = as_float_tensor("threshold", threshold, min_dim=0)
    pi1 = real("pi1", pi1, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    mu = positive("mu", mu, maximum=1e6)
    miss0, miss1 = torch.special.ndtr(-mu - t), torch.special.ndtr(t - mu)  # class 0 called 1, class 1 called 0
    ber, err = 0.5 * (miss0 + miss1), (1 - pi1) * miss0 + pi1 * miss1
    if isinstance(threshold, torch.Tensor):
        return ber, err
    return (ber.item(), err.item()) if ber.dim() == 0 else (ber, err)


# ---------------------------------------------------------------- long-tailed data and a linear classifier
@public({"n_max": 5000, "num_classes": 10, "ratio": 100.0}, extremes={"ratio": [1.0, 1e12]}, cannot=("grad",))
def long_tail_counts(n_max, num_classes, ratio) -> torch.Tensor:
    """n_i = floor(n_max ratio^(-i/(K - 1))), i = 0..K-1, int64 (the LA paper's EXP profile)."""
    n_max = integer("n_max", n_max, minimum=1, maximum=10**9)
    k = integer("num_classes", num_classes, minimum=2, maximum=10**5)
    ratio = real("ratio", ratio, lo=1.0, hi=1e300)
    return torch.tensor([int(n_max * ratio ** (-i / (k - 1))) for i in range(k)], dtype=torch.int64)


@public({"counts": [50, 10, 3]}, kinds={"counts": "tensor"}, cannot=("grad", "batch"))
def sample_classes(counts, *, mu=2.0, device=None, generator=None):
    """counts[i] points of class i at mu e_i + N(0, I_K) in R^K: returns x (N, K) float64, y (N,) int64."""
    c = as_float_tensor("counts", counts).detach()
    if c.dim() != 1 or c.shape[0] < 2 or not bool(((c == c.round()) & (c >= 0) & (c <= 10**6)).all()) or c.sum() < 1:
        raise ValueError(f"counts must be at least 2 integers in [0, 1e6] with a positive sum, got {shorten(counts)}")
    c = c.long()
    mu = real("mu", mu, lo=-1e6, hi=1e6)
    d, g, _ = _checks.sampling(device, generator)
    y = torch.repeat_interleave(torch.arange(c.shape[0]), c).to(d)
    x = torch.randn(y.shape[0], c.shape[0], device=d, generator=g, dtype=torch.float64)
    return x + mu * F.one_hot(y, c.shape[0]).double(), y


@public(
    {"x": [[1.0, 0.0], [0.0, 1.0], [0.8, 0.3]], "target": [0, 1, 0], "prior": [0.6, 0.4], "steps": 5},
    kinds={"target": "tensor"},
    cannot=("batch", "grad"),
)
def train_linear(x, target, prior, *, tau=0.0, bias_init=None, steps=100):
    """Fit f = x W^T + b by L-BFGS on logit_adjusted_cross_entropy(f, target, prior, tau) (tau = 0: plain CE).

    bias_init (K,) starts b (zeros by default), W starts at 0. Returns (W (K, d), b (K,)), detached.
    """
    x = as_float_tensor("x", x).detach()
    if x.dim() != 2:
        raise ValueError(f"x must have shape (N, d), got {shorten(x)}")
    k = _prior(prior).shape[0]
    log_p = _log_prior(prior, k, x)
    y = _classes("target", target, k, x)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"target must have {x.shape[0]} entries (one per row of x), got {shorten(target)}")
    tau = _tau(tau)
    steps = integer("steps", steps, minimum=1, maximum=MAX_ITERS)
    b0 = torch.zeros(k) if bias_init is None else as_float_tensor("bias_init", bias_init)
    if b0.shape != (k,):
        raise ValueError(f"bias_init must have shape ({k},), got {shorten(bias_init)}")
    w = torch.zeros(k, x.shape[1], dtype=x.dtype, device=x.device, requires_grad=True)
    b = b0.detach().to(x).clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, tolerance_grad=1e-10, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ w.T + b + tau * log_p, y)
        loss.backward()
        return loss

    with torch.enable_grad(), _checks.one_cpu_thread(x.device):  # small matrices: one thread is faster
        opt.step(closure)
    return w.detach(), b.detach()


# ---------------------------------------------------------------- CAN
def _xlogx(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x * x.clamp_min(torch.finfo(x.dtype).tiny).log(), torch.zeros_like(x))  # 0 log 0 = 0


@public(
    {"probs": [[0.05, 0.95], [0.5, 0.5]], "k": 2},
    spans={"probs": (1e-6, 1.0)},
    extremes={"probs": [[[1.0, 0.0, 0.0], [1e-300, 1e-300, 1.0]]]},
)
def topk_uncertainty(probs, k, *, renormalize=True) -> torch.Tensor:
    """Per row: H(top-k of p, renormalised)/log k (Su); renormalize=False: -sum_top-k p log p / log m (the paper's).

    0 log 0 = 0. Values in [0, 1] for Su's form; rows of (..., m) give (...).
    """
    p = _probs("probs", probs)
    m = p.shape[-1]
    k = integer("k", k, minimum=2, maximum=m)
    top = p.topk(k, dim=-1).values
    if _checks.boolean("renormalize", renormalize):
        q = top / top.sum(-1, keepdim=True)
        return -_xlogx(q).sum(-1) / math.log(k)
    return -_xlogx(top).sum(-1) / math.log(m)


def _can(rows: torch.Tensor, confident: torch.Tensor, prior: torch.Tensor, alpha: float, iters: int, every=False):
    """Each row of rows (B, m) stacked under confident (n, m), corrected; returns (B, m) (every: (iters, B, m))."""
    y = torch.cat([confident.expand(rows.shape[0], *confident.shape), rows[:, None, :]], dim=1)  # (B, n+1, m)
    tiny, prior, out = torch.finfo(rows.dtype).tiny, prior.to(rows.dtype), []
    for _ in range(iters):
        y = y**alpha if alpha != 1.0 else y
        y = y / y.mean(1, keepdim=True).clamp_min(tiny) * prior
        y = y / y.sum(-1, keepdim=True).clamp_min(tiny)
        out.append(y[:, -1])
    return torch.stack(out) if every else out[-1]


def _can_args(prior, alpha, iters, like):
    return (
        _prior(prior, like.shape[-1], like),
        positive("alpha", alpha, maximum=100.0),
        integer("iters", iters, minimum=1, maximum=MAX_ITERS),
    )


@public(
    {"p": [0.5, 0.5], "confident": [[0.05, 0.95]], "prior": [0.5, 0.5]},
    spans={"p": (0.01, 1.0), "confident": (0.01, 1.0)},
    extremes={"p": [[1.0, 0.0]], "confident": [[[1.0, 0.0], [1e-300, 1.0]]]},
    cannot=("batch",),
)
def can_correct(p, confident, prior, *, alpha=1.0, iters=1) -> torch.Tensor:
    """CAN's correction of a row p (m,) or of each row of p (B, m) on its own, against the confident rows (n, m).

    iters times: Y <- Y^alpha (alpha inside the loop, as in the article's code), Y_ij <- Y_ij / mean_i Y_ij
    * prior_j, rows renormalised; returns the corrected row(s), the shape of p.
    """
    t, c = _can_inputs(p, confident)
    prior, alpha, iters = _can_args(prior, alpha, iters, t)
    out = _can(t.reshape(-1, t.shape[-1]), c, prior, alpha, iters)
    return out.reshape(t.shape)


def _can_inputs(p, confident):
    t = _probs("p", p)
    if t.dim() > 2:
        raise ValueError(f"p must be a row (m,) or rows (B, m), got {shorten(p)}")
    c = _probs("confident", confident, min_dim=2)
    if c.dim() != 2 or c.shape[1] != t.shape[-1]:
        raise ValueError(f"confident must have shape (n, {t.shape[-1]}), got {shorten(confident)}")
    return t, c.to(t)


@public(
    {"p": [0.5, 0.5], "confident": [[0.05, 0.95]], "prior": [0.5, 0.5], "iters": 3},
    spans={"p": (0.01, 1.0), "confident": (0.01, 1.0)},
    cannot=("batch",),
)
def can_path(p, confident, prior, *, alpha=1.0, iters=1) -> torch.Tensor:
    """can_correct after 1, 2, ..., iters iterations, stacked: (iters, *p.shape), in one pass."""
    t, c = _can_inputs(p, confident)
    prior, alpha, iters = _can_args(prior, alpha, iters, t)
    return _can(t.reshape(-1, t.shape[-1]), c, prior, alpha, iters, every=True).reshape(iters, *t.shape)


@public(
    {"probs": [[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.05, 0.9, 0.05]], "prior": [0.5, 0.3, 0.2], "k": 2},
    spans={"probs": (0.01, 1.0)},
    cannot=("batch",),
)
def can_postprocess(probs, prior, *, k=3, threshold=0.9, alpha=1.0, iters=1) -> torch.Tensor:
    """Rows of probs (N, m) whose topk_uncertainty(k) is below threshold are the confident ones; every other row
    is replaced by can_correct against them (with none confident, against nothing: the prior). Confident rows
    are returned as given. Returns (N, m)."""
    p = _probs("probs", probs, min_dim=2)
    if p.dim() != 2:
        raise ValueError(f"probs must have shape (N, m), got {shorten(probs)}")
    sure = topk_uncertainty(p, k) < real("threshold", threshold, lo=0.0, hi=1.0)
    prior, alpha, iters = _can_args(prior, alpha, iters, p)
    out = p.clone()
    if bool((~sure).any()):
        out[~sure] = _can(p[~sure], p[sure], prior, alpha, iters)
    return out
