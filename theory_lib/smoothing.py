"""Smooth approximations of non-smooth functions: max, argmax, |x|, relu, sign, accuracy, F1.

Su Jianlin, 《函数光滑化杂谈:不可导函数的可导逼近》 (kexue.fm/archives/6620, 2019-05-20), and the
companion 《寻求一个光滑的最大值函数》 (kexue.fm/archives/3290). With a temperature tau (or a
sharpness k = 1/tau):

    max(x)             ~ tau log sum_i exp(x_i / tau),   max <= it <= max + tau log n
    onehot(argmax x)   ~ softmax(x / tau)                 (the gradient of the smooth max)
    argmax(x)          ~ sum_i i softmax(x / tau)_i
    |x|                ~ log(e^{kx} + e^{-kx}) / k,  x erf(kx),  x tanh(kx)
    relu(x) = (x+|x|)/2 ~ log(1 + e^{kx}) / k,  x sigmoid(kx)
    sign(x) ~ tanh(kx), erf(kx);    step(x) ~ sigmoid(kx)
    max(x1, x2) = (x1 + x2 + |x1 - x2|) / 2, with any smooth |.|
    accuracy ~ mean_n <1_{y_n}, p_n>;     F1 ~ 2 sum p y / sum (p + y)

Every function is written so that |x| up to 1e4 and tau down to 1e-4 (k up to 1e4) neither
overflows nor gives NaN gradients: max-shifted logsumexp, log1p(exp(-|.|)) tails, and products
whose vanishing factor is computed exactly (x * sigmoid, x * erf).

The training helpers at the end (``imbalanced_blobs``, ``train_linear_classifier``) run the
lesson's use case: cross-entropy against the smooth-F1 loss on an imbalanced set.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

from theory_lib._checks import as_float_tensor, choice, integer, positive

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
    "smooth_accuracy",
    "smooth_f1",
    "hard_f1",
    "imbalanced_blobs",
    "train_linear_classifier",
    "TrainedLinear",
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
def smooth_max(x, tau: float, dim: int = -1) -> torch.Tensor:
    """tau * log sum_i exp(x_i / tau) along ``dim``: max <= smooth_max <= max + tau log n.

    Computed as m + tau * logsumexp((x - m) / tau) with m = max(x) held constant, so that
    x / tau never overflows; the gradient is exactly softmax(x / tau).
    """
    x = as_float_tensor("x", x)
    tau = positive("tau", tau)
    dim = _dim("dim", dim, x)
    m = x.detach().amax(dim=dim, keepdim=True)  # (..., 1, ...)
    out = m + tau * torch.logsumexp((x - m) / tau, dim=dim, keepdim=True)
    return out.squeeze(dim)


def smooth_max_bound(n: int, tau: float) -> float:
    """The largest possible gap smooth_max - max = tau log n (reached when all n entries tie)."""
    return positive("tau", tau) * math.log(integer("n", n, minimum=1))


def smooth_onehot(x, tau: float, dim: int = -1) -> torch.Tensor:
    """softmax(x / tau) along ``dim``: the gradient of smooth_max, a smooth onehot(argmax x)."""
    x = as_float_tensor("x", x)
    tau = positive("tau", tau)
    dim = _dim("dim", dim, x)
    m = x.detach().amax(dim=dim, keepdim=True)
    return torch.softmax((x - m) / tau, dim=dim)  # shifting first keeps tiny tau finite


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


def smooth_abs(x, k: float, kind: str = "logcosh") -> torch.Tensor:
    """|x| ~ log(e^{kx} + e^{-kx}) / k ("logcosh"), x erf(kx) ("erf") or x tanh(kx) ("tanh").

    logcosh is the smooth max of (x, -x) at tau = 1/k and lies above |x| by at most log(2)/k;
    the two products x sign_k(x) lie below |x| (see ``approximation_error``).
    """
    x = as_float_tensor("x", x, min_dim=0)
    k = positive("k", k)
    kind = choice("kind", kind, ABS_KINDS)
    return _abs(x, k, kind)


def smooth_relu(x, k: float, kind: str = "softplus") -> torch.Tensor:
    """relu(x) = (x + |x|)/2 ~ log(1 + e^{kx}) / k ("softplus") or x sigmoid(kx) ("swish").

    softplus is (x + logcosh-|x| at k/2)/2, so it lies above relu by at most log(2)/k and its
    derivative is sigmoid(kx) (1/2 at 0); swish lies below relu by at most W(1/e)/k.
    """
    x = as_float_tensor("x", x, min_dim=0)
    k = positive("k", k)
    kind = choice("kind", kind, RELU_KINDS)
    if kind == "softplus":
        return 0.5 * (x + _abs(x, 0.5 * k, "logcosh"))
    return x * torch.sigmoid(k * x)


def smooth_sign(x, k: float, kind: str = "tanh") -> torch.Tensor:
    """sign(x) ~ tanh(kx) ("tanh", the derivative of the logcosh |x|) or erf(kx) ("erf")."""
    x = as_float_tensor("x", x, min_dim=0)
    k = positive("k", k)
    kind = choice("kind", kind, SIGN_KINDS)
    return torch.tanh(k * x) if kind == "tanh" else torch.erf(k * x)


def smooth_step(x, k: float) -> torch.Tensor:
    """step(x) = [x > 0] ~ sigmoid(kx) = (1 + tanh(kx/2)) / 2, the derivative of softplus."""
    x = as_float_tensor("x", x, min_dim=0)
    return torch.sigmoid(positive("k", k) * x)


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
    return 0.5 * (x1 + x2 + _abs(x1 - x2, k, kind))


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


# ---------------------------------------------------------------- metrics
def _probs_and_labels(probs, labels):
    p = as_float_tensor("probs", probs)
    if p.dim() > 2:
        raise ValueError(f"probs must be (N,) for binary or (N, C) for C classes, got shape {tuple(p.shape)}")
    if (p < 0).any() or (p > 1).any():
        raise ValueError("probs must lie in [0, 1] (probabilities, not logits)")
    y = labels if isinstance(labels, torch.Tensor) else torch.as_tensor(labels)
    if y.dim() != 1 or y.shape[0] != p.shape[0]:
        raise ValueError(
            f"labels must have shape ({p.shape[0]},) to match probs {tuple(p.shape)}, got {tuple(y.shape)}"
        )
    if y.is_floating_point() and not torch.equal(y, y.round()):
        raise ValueError("labels must be integers (class indices)")
    y = y.to(device=p.device).long()
    n_classes = 2 if p.dim() == 1 else p.shape[1]
    if (y < 0).any() or (y >= n_classes).any():
        raise ValueError(f"labels must be in [0, {n_classes - 1}], got values in [{y.min().item()}, {y.max().item()}]")
    if p.dim() == 2:
        tol = 1e-4 if p.dtype != torch.float64 else 1e-9
        if ((p.sum(dim=1) - 1).abs() > tol * p.shape[1]).any():
            raise ValueError("probs rows must sum to 1 (a distribution over the C classes)")
    return p, y


def smooth_accuracy(probs, labels) -> torch.Tensor:
    """mean_n <1_{y_n}, p_n>: the expected accuracy when each prediction is drawn from p_n.

    probs (N, C) with rows summing to 1 and labels (N,) in [0, C); or binary probs (N,) of
    the positive class with labels in {0, 1}: mean(y p + (1 - y)(1 - p)). On one-hot (or 0/1)
    predictions it is the plain accuracy.
    """
    p, y = _probs_and_labels(probs, labels)
    if p.dim() == 1:
        yf = y.to(p.dtype)
        return (yf * p + (1 - yf) * (1 - p)).mean()
    return p.gather(1, y[:, None]).squeeze(1).mean()


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den, with 0/0 (nothing to find, nothing claimed) read as F1 = 1; NaN-free gradients."""
    ok = den > 0
    return torch.where(ok, num / torch.where(ok, den, torch.ones_like(den)), torch.ones_like(den))


def _f1(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """2 sum(p y) / sum(p + y) over the last dim."""
    return _ratio(2 * (p * y).sum(-1), p.sum(-1) + y.sum(-1))


def smooth_f1(probs, labels, average: str = "binary") -> torch.Tensor:
    """F1 ~ 2 sum_n p_n y_n / sum_n (p_n + y_n), differentiable in p.

    Binary: probs (N,) of the positive class (or (N, 2), column 1) and labels in {0, 1}.
    ``average="macro"``: probs (N, C), the mean over classes c of the same ratio with p_{n,c}
    and [y_n = c]. On 0/1 predictions it is the hard F1 = 2TP / (2TP + FP + FN) (= 1 when
    TP + FP + FN = 0). It is a ratio of expected counts, not the expected F1.
    """
    average = choice("average", average, ("binary", "macro"))
    p, y = _probs_and_labels(probs, labels)
    if average == "binary":
        if p.dim() == 2:
            if p.shape[1] != 2:
                raise ValueError(f"average='binary' needs probs (N,) or (N, 2), got shape {tuple(p.shape)}")
            p = p[:, 1]
        return _f1(p, y.to(p.dtype))
    if p.dim() == 1:
        p = torch.stack([1 - p, p], dim=1)
    onehot = torch.nn.functional.one_hot(y, p.shape[1]).to(p.dtype)  # (N, C)
    return _f1(p.T, onehot.T).mean()  # per class over N, then the mean over C


def hard_f1(scores, labels, threshold=0.0) -> torch.Tensor:
    """F1 = 2TP / (2TP + FP + FN) of the predictions [scores > threshold], many at once.

    scores (..., N) and labels (N,) in {0, 1}; ``threshold`` a number or a tensor that
    broadcasts against scores[..., :1] (thresholds (T, 1) against scores (N,) give T values).
    The same number as smooth_f1 of the 0/1 predictions, vectorised over the leading dims.
    """
    s = as_float_tensor("scores", scores)
    y = labels if isinstance(labels, torch.Tensor) else torch.as_tensor(labels)
    if y.dim() != 1 or y.shape[0] != s.shape[-1]:
        raise ValueError(
            f"labels must have shape ({s.shape[-1]},) to match scores {tuple(s.shape)}, got {tuple(y.shape)}"
        )
    if not ((y == 0) | (y == 1)).all():
        raise ValueError("labels must be 0 or 1")
    t = as_float_tensor("threshold", threshold, min_dim=0).to(device=s.device, dtype=s.dtype)
    try:
        pred = (s > t).to(s.dtype)  # (..., N)
    except RuntimeError:
        raise ValueError(
            f"threshold of shape {tuple(t.shape)} does not broadcast against scores {tuple(s.shape)}"
        ) from None
    y = y.to(device=s.device, dtype=s.dtype)
    return _ratio(2 * (pred @ y), pred.sum(-1) + y.sum())  # 2 TP / (#predicted + #positive)


# ---------------------------------------------------------------- the use case: training on F1
def imbalanced_blobs(
    n: int,
    positive_fraction: float,
    separation: float,
    *,
    dim: int = 2,
    device=None,
    dtype=torch.float64,
    generator=None,
):
    """n points in R^dim: round(n * fraction) positives ~ N(separation e_1, I), the rest ~ N(0, I).

    Returns (x (n, dim), y (n,) float 0/1), positives first. The Bayes decision boundary is
    the hyperplane x_1 = const, so a linear classifier is the right model class.
    """
    n = integer("n", n, minimum=2)
    frac = positive("positive_fraction", positive_fraction)
    if not frac < 1:
        raise ValueError(f"positive_fraction must be in (0, 1), got {positive_fraction!r}")
    sep = positive("separation", separation, allow_zero=True)
    dim = integer("dim", dim, minimum=1)
    n_pos = min(max(1, round(n * frac)), n - 1)  # at least one of each class
    x = torch.randn(n, dim, generator=generator, device=device, dtype=dtype)  # (n, dim)
    y = torch.zeros(n, device=x.device, dtype=dtype)
    y[:n_pos] = 1.0
    x[:n_pos, 0] += sep
    return x, y


@dataclass
class TrainedLinear:
    """Weights of p(x) = sigmoid(x . w + b) after training, and their history.

    ``history_w`` (R, d) and ``history_b`` (R,) hold the parameters at ``history_step`` (R,)
    (step 0 is the zero initialisation); ``history_loss`` (R,) the training loss there.
    """

    w: torch.Tensor
    b: torch.Tensor
    history_step: torch.Tensor
    history_w: torch.Tensor
    history_b: torch.Tensor
    history_loss: torch.Tensor

    def logits(self, x) -> torch.Tensor:
        return x @ self.w + self.b

    def probs(self, x) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


def _loss(loss: str, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if loss == "ce":  # mean of log(1 + e^z) - y z, the binary cross-entropy on logits
        return (torch.logaddexp(z, torch.zeros_like(z)) - y * z).mean()
    return 1.0 - _f1(torch.sigmoid(z), y)  # "f1": the smooth-F1 loss of the batch


def train_linear_classifier(
    x,
    y,
    loss: str = "ce",
    *,
    steps: int = 200,
    lr: float = 0.3,
    batch_size: int | None = None,
    record_every: int = 5,
    generator=None,
) -> TrainedLinear:
    """Logistic model sigmoid(x . w + b) from zero, trained by Adam on ``loss``.

    loss "ce": binary cross-entropy; "f1": 1 - smooth_f1 on each batch (full batch when
    ``batch_size`` is None, else batches drawn with replacement using ``generator``). Adam is
    written out (betas 0.9, 0.999) because torch.optim's first use imports seconds of code.
    """
    x = as_float_tensor("x", x, min_dim=2)
    if x.dim() != 2:
        raise ValueError(f"x must be (N, d), got shape {tuple(x.shape)}")
    y = as_float_tensor("y", y)
    if y.shape != x.shape[:1] or not ((y == 0) | (y == 1)).all():
        raise ValueError(f"y must be 0/1 of shape ({x.shape[0]},), got shape {tuple(y.shape)}")
    y = y.to(device=x.device, dtype=x.dtype)
    loss = choice("loss", loss, ("ce", "f1"))
    steps = integer("steps", steps, minimum=1)
    lr = positive("lr", lr)
    if batch_size is not None:
        batch_size = integer("batch_size", batch_size, minimum=1)
    record_every = integer("record_every", record_every, minimum=1)

    n, d = x.shape
    theta = torch.zeros(d + 1, dtype=x.dtype, device=x.device, requires_grad=True)  # (w, b)
    m1 = torch.zeros_like(theta)
    m2 = torch.zeros_like(theta)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    rec_step, rec_theta, rec_loss = [], [], []
    for t in range(steps + 1):
        if batch_size is None:
            xb, yb = x, y
        else:
            idx = torch.randint(0, n, (batch_size,), generator=generator, device=x.device)
            xb, yb = x[idx], y[idx]
        value = _loss(loss, xb @ theta[:d] + theta[d], yb)
        if t % record_every == 0 or t == steps:
            rec_step.append(t)
            rec_theta.append(theta.detach().clone())
            rec_loss.append(value.detach())
        if t == steps:
            break
        (grad,) = torch.autograd.grad(value, theta)
        with torch.no_grad():  # Adam: m1, m2 running moments with bias correction
            m1.mul_(beta1).add_(grad, alpha=1 - beta1)
            m2.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = lr * (m1 / (1 - beta1 ** (t + 1))) / ((m2 / (1 - beta2 ** (t + 1))).sqrt() + eps)
            theta -= step
    hist = torch.stack(rec_theta)  # (R, d + 1)
    final = theta.detach()
    return TrainedLinear(
        w=final[:d].clone(),
        b=final[d].clone(),
        history_step=torch.tensor(rec_step, device=x.device),
        history_w=hist[:, :d],
        history_b=hist[:, d],
        history_loss=torch.stack(rec_loss),
    )
