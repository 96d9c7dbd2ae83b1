"""Smooth accuracy and F1, and the lesson's use case: training a linear classifier on the smooth F1.

    accuracy ~ mean_n <1_{y_n}, p_n>           (p_n the predicted probabilities, not a hard argmax)
    F1       ~ 2 sum_n p_n y_n / sum_n (p_n + y_n)   (binary; macro: the mean over classes)

``imbalanced_blobs`` and ``train_linear_classifier`` run the comparison the article suggests:
cross-entropy against the smooth-F1 loss on an imbalanced set, scored by the hard F1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, fits, integer, one_cpu_thread, positive, public, shorten

__all__ = [
    "smooth_accuracy",
    "smooth_f1",
    "hard_f1",
    "imbalanced_blobs",
    "train_linear_classifier",
    "TrainedLinear",
]


# ---------------------------------------------------------------- metrics
def _labels(labels) -> torch.Tensor:
    """Labels as given when an integer or bool tensor; otherwise by the tensor rules (integral values checked later)."""
    if isinstance(labels, torch.Tensor) and not labels.is_floating_point() and not labels.is_complex():
        return labels
    return as_float_tensor("labels", labels, min_dim=0)


def _probs_and_labels(probs, labels):
    p = as_float_tensor("probs", probs)
    if p.dim() > 2:
        raise ValueError(f"probs must be (N,) for binary or (N, C) for C classes, got shape {tuple(p.shape)}")
    if (p < 0).any() or (p > 1).any():
        raise ValueError(f"probs must lie in [0, 1] (probabilities, not logits), got {shorten(probs)}")
    y = _labels(labels)
    if y.dim() != 1 or y.shape[0] != p.shape[0]:
        raise ValueError(
            f"labels must have shape ({p.shape[0]},) to match probs {tuple(p.shape)}, got {tuple(y.shape)}"
        )
    if y.is_floating_point() and not torch.equal(y, y.round()):
        raise ValueError(f"labels must be integers (class indices), got {shorten(labels)}")
    y = y.to(device=p.device).long()
    n_classes = 2 if p.dim() == 1 else p.shape[1]
    if (y < 0).any() or (y >= n_classes).any():
        raise ValueError(f"labels must be in [0, {n_classes - 1}], got values in [{y.min().item()}, {y.max().item()}]")
    if p.dim() == 2:
        tol = 1e-4 if p.dtype != torch.float64 else 1e-9
        if ((p.sum(dim=1) - 1).abs() > tol * p.shape[1]).any():
            raise ValueError("probs rows must sum to 1 (a distribution over the C classes)")
    return p, y


@public(
    {"probs": [0.1, 0.9, 0.6], "labels": torch.tensor([0, 1, 1])},
    spans={"probs": (0.0, 1.0)},
    kinds={"labels": "tensor"},
    cannot=("batch",),
)
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


@public(
    {"probs": [0.1, 0.9, 0.6], "labels": torch.tensor([0, 1, 1])},
    spans={"probs": (0.0, 1.0)},
    kinds={"labels": "tensor"},
    cannot=("batch",),
)
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


@public(
    {"scores": [0.1, -0.9, 0.6], "labels": torch.tensor([0, 1, 1])},
    kinds={"labels": "tensor", "threshold": "real"},
    cannot=("grad", "batch"),
)
def hard_f1(scores, labels, threshold=0.0) -> torch.Tensor:
    """F1 = 2TP / (2TP + FP + FN) of the predictions [scores > threshold], many at once.

    scores (..., N) and labels (N,) in {0, 1}; ``threshold`` a number or a tensor that
    broadcasts against scores[..., :1] (thresholds (T, 1) against scores (N,) give T values).
    The same number as smooth_f1 of the 0/1 predictions, vectorised over the leading dims.
    """
    s = as_float_tensor("scores", scores)
    y = _labels(labels)
    if y.dim() != 1 or y.shape[0] != s.shape[-1]:
        raise ValueError(
            f"labels must have shape ({s.shape[-1]},) to match scores {tuple(s.shape)}, got {tuple(y.shape)}"
        )
    if not ((y == 0) | (y == 1)).all():
        raise ValueError(f"labels must be 0 or 1, got {shorten(labels)}")
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
@public(
    {"n": 10, "positive_fraction": 0.3, "separation": 2.0},
    extremes={"separation": [0.0, 1e6], "positive_fraction": [1e-300, 0.999], "dim": [1, 100]},
)
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
    frac = _checks.real("positive_fraction", positive_fraction, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    sep = positive("separation", separation, allow_zero=True)
    dim = integer("dim", dim, minimum=1)
    fits("n", n, n * (dim + 1))
    device, generator, dtype = _checks.sampling(device, generator, dtype)
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


@public(
    lambda: {
        "x": torch.randn(10, 2, generator=torch.Generator().manual_seed(0)),
        "y": torch.tensor([0.0, 1.0] * 5),
        "steps": 3,
    },
    kinds={"y": "other"},
    cannot=("grad", "batch"),
)
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
    progress=None,
) -> TrainedLinear:
    """Logistic model sigmoid(x . w + b) from zero, trained by Adam on ``loss``.

    loss "ce": binary cross-entropy; "f1": 1 - smooth_f1 on each batch (full batch when
    ``batch_size`` is None, else batches drawn with replacement using ``generator``). Adam is
    written out (betas 0.9, 0.999) because torch.optim's first use imports seconds of code.
    ``progress(t, steps)``, if given, is called every 20 steps; it may raise to stop the run, and
    never changes its result.
    """
    x = as_float_tensor("x", x, min_dim=2)
    if x.dim() != 2:
        raise ValueError(f"x must be (N, d), got shape {tuple(x.shape)}")
    y = as_float_tensor("y", y)
    if y.shape != x.shape[:1] or not ((y == 0) | (y == 1)).all():
        raise ValueError(f"y must be 0/1 of shape ({x.shape[0]},), got {shorten(y)}")
    y = y.to(device=x.device, dtype=x.dtype)
    loss = choice("loss", loss, ("ce", "f1"))
    steps = integer("steps", steps, minimum=1, maximum=10**6)
    lr = positive("lr", lr)
    if batch_size is not None:
        batch_size = integer("batch_size", batch_size, minimum=1)
    record_every = integer("record_every", record_every, minimum=1)
    generator = _checks.generator("generator", generator, x.device)

    with one_cpu_thread(x.device):  # a few hundred tiny steps: a second thread only adds wake-ups
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
            if progress is not None and t % 20 == 0:
                progress(t, steps)
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
