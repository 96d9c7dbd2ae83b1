"""FGM and the input-gradient penalty it approximates (lesson 12, steps 2 to 4).

A model maps x (B, ...) to logits (B, K); y holds class indices; L_i is sample i's cross-entropy.
Losses are batch means, gradients per sample: ∇_x L_i is row i of the gradient of sum_i L_i
(a model that mixes samples, such as BatchNorm in training mode, breaks this).

    fast gradient      Δx = ε g/‖g‖ ("l2"),  ε sign(g) ("sign"),  ε g ("none"),  g = ∇_x L
    first order        L(x + Δx) ≈ L(x) + <∇_x L, Δx>
    θ-gradient, Δx fixed   ∇_θ L + <∇_θ∇_x L, Δx> = ∇_θ (L + (ε/2)‖∇_x L‖²)   (Δx = ε∇_x L)
                                               = ∇_θ (L + ε‖∇_x L‖)        (Δx = ε∇_x L/‖∇_x L‖)

Su's Keras code differs: one perturbation normalised over the whole batch's embedding gradient,
and a penalty on the batch-mean loss's gradient (a factor 1/B² per sample); here both are per sample.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from theory_lib._checks import as_float_tensor, boolean, choice, positive, public, shorten

__all__ = ["NORMS", "fgm_perturbation", "input_gradient", "gradient_penalty_loss", "fgm_loss", "per_sample_losses"]

NORMS = ("l2", "sign", "none")


def _example_model(seed: int = 0, d: int = 3, k: int = 2):
    """A tiny tanh network as a plain function (its weights follow x's dtype and device)."""
    g = torch.Generator().manual_seed(seed)
    w1, w2 = torch.randn(d, 5, generator=g, dtype=torch.float64), torch.randn(5, k, generator=g, dtype=torch.float64)

    def model(x):
        return torch.tanh(x @ w1.to(x)) @ w2.to(x)

    return model


def _example(**extra):
    def make():
        x = torch.tensor([[0.3, -1.2, 0.5], [1.0, 0.2, -0.7], [-0.4, 0.8, 0.1]], dtype=torch.float64)
        return {"model": _example_model(), "x": x, "y": [0, 1, 1], **extra}

    return make


def _norms(g: torch.Tensor) -> torch.Tensor:
    """ℓ2 norms of the rows of g (B, m), scaled first so that 1e-300 or 1e300 entries neither
    underflow nor overflow; 0 for a zero row (and a zero, not NaN, gradient through it)."""
    scale = g.detach().abs().amax(dim=1, keepdim=True)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return scale[:, 0] * torch.linalg.vector_norm(g / scale, dim=1)


@public({"grad": [[0.3, -4.0], [0.0, 0.0]], "eps": 0.5}, extremes={"eps": [0.0, 1e-300, 1e300]})
def fgm_perturbation(grad, eps, *, norm: str = "l2") -> torch.Tensor:
    """The fast gradient: Δx = ε g/‖g‖ ("l2"), ε sign(g) ("sign") or ε g ("none").

    A 1-d ``grad`` is one sample; otherwise dim 0 indexes samples and each gets its own norm
    (taken over all its other dimensions). A zero gradient gives Δx = 0, never NaN.
    Goodfellow et al. (arXiv 1412.6572); Su, kexue.fm/archives/7234.
    """
    g = as_float_tensor("grad", grad)
    eps = positive("eps", eps, allow_zero=True)
    norm = choice("norm", norm, NORMS)
    return _perturb(g, eps, norm)


def _perturb(g: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    if norm == "none":
        return eps * g
    if norm == "sign":
        return eps * torch.sign(g)
    rows = g.reshape(1, -1) if g.dim() == 1 else g.reshape(g.shape[0], -1)  # (B, m)
    n = _norms(rows)  # (B,)
    unit = rows / torch.where(n > 0, n, torch.ones_like(n))[:, None]
    return (eps * unit).reshape(g.shape)


def _model_inputs(model, x, y):
    """Check model, x (B, ...) and the labels y (B,) of classes in [0, K); returns x, y, K."""
    if not callable(model):
        raise ValueError(f"model must be a callable mapping x (B, ...) to logits (B, K), got {shorten(model)}")
    x = as_float_tensor("x", x)
    if isinstance(y, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in y):
        y = torch.tensor(y, dtype=torch.long, device=x.device)
    if isinstance(y, torch.Tensor) and y.is_floating_point() and y.numel() and bool(torch.isfinite(y).all()):
        if bool((y == torch.round(y)).all()):  # whole numbers in a float tensor are indices too
            y = y.detach().long()
    if (
        not isinstance(y, torch.Tensor)
        or y.dtype in (torch.bool, torch.uint8)
        or y.is_floating_point()
        or y.is_complex()
        or y.shape != x.shape[:1]
    ):
        raise ValueError(
            f"y must be an integer tensor of {x.shape[0]} class indices (one per row of x), got {shorten(y)}"
        )
    with torch.no_grad():
        k = model(x[:1].detach()).shape[-1]
    if bool((y < 0).any()) or bool((y >= k).any()):
        raise ValueError(f"y must hold class indices in [0, {k - 1}] (the model's {k} logits), got {shorten(y)}")
    return x, y.to(x.device), k


def _losses_and_grads(model, x, y, create_graph: bool):
    """Per-sample cross-entropies L_i (B,) and ∇_x L_i (shaped like x)."""
    with torch.enable_grad():
        xx = x if x.requires_grad else x.detach().requires_grad_(True)
        logits = model(xx)  # (B, K)
        if logits.dim() != 2 or logits.shape[0] != x.shape[0]:
            raise ValueError(f"model must map x (B, ...) to logits (B, K), got logits of shape {tuple(logits.shape)}")
        losses = F.cross_entropy(logits, y, reduction="none")  # (B,)
        (grad,) = torch.autograd.grad(losses.sum(), xx, create_graph=create_graph)
    return losses, grad


@public(_example(), kinds={"model": "other"}, cannot=("batch",))
def per_sample_losses(model, x, y) -> torch.Tensor:
    """L_i = cross-entropy of model(x)_i against y_i, shape (B,)."""
    x, y, _ = _model_inputs(model, x, y)
    return F.cross_entropy(model(x), y, reduction="none")


@public(_example(), kinds={"model": "other"}, cannot=("batch",))
def input_gradient(model, x, y, *, create_graph: bool = False) -> torch.Tensor:
    """∇_x L_i for every sample, shaped like x (row i of the gradient of sum_i L_i).

    ``create_graph=True`` keeps it differentiable in the model's parameters (double backprop).
    """
    x, y, _ = _model_inputs(model, x, y)
    create_graph = boolean("create_graph", create_graph)
    return _losses_and_grads(model, x, y, create_graph)[1]


@public(_example(eps=0.1), kinds={"model": "other"}, cannot=("batch",), extremes={"eps": [0.0, 1e-300, 1e6]})
def gradient_penalty_loss(model, x, y, eps, *, squared: bool = False) -> torch.Tensor:
    """mean_i [L_i + ε‖∇_x L_i‖]  (squared: mean_i [L_i + (ε/2)‖∇_x L_i‖²]), differentiable in θ.

    Its θ-gradient is FGM's to first order in ε: normalised (``fgm_loss(norm="l2")``) for the
    plain form, unnormalised (``norm="none"``) for the squared one (Su: "少了个1/2，也少了个2次方").
    """
    x, y, _ = _model_inputs(model, x, y)
    eps = positive("eps", eps, allow_zero=True)
    squared = boolean("squared", squared)
    return _penalty_loss(model, x, y, eps, squared)


def _penalty_loss(model, x, y, eps: float, squared: bool) -> torch.Tensor:
    losses, grad = _losses_and_grads(model, x, y, create_graph=True)
    rows = grad.reshape(grad.shape[0], -1)  # (B, m)
    penalty = 0.5 * (rows * rows).sum(1) if squared else _norms(rows)  # (B,)
    return (losses + eps * penalty).mean()


@public(_example(eps=0.1), kinds={"model": "other"}, cannot=("batch",), extremes={"eps": [0.0, 1e-300, 1e6]})
def fgm_loss(model, x, y, eps, *, norm: str = "l2") -> torch.Tensor:
    """mean_i L(x_i + Δx_i, y_i) with Δx_i = fgm_perturbation(∇_x L_i, ε) computed first and then
    held fixed (detached), as FGM training does: the loss whose θ-gradient FGM descends."""
    x, y, _ = _model_inputs(model, x, y)
    eps = positive("eps", eps, allow_zero=True)
    norm = choice("norm", norm, NORMS)
    return _fgm_loss(model, x, y, eps, norm)


def _fgm_loss(model, x, y, eps: float, norm: str) -> torch.Tensor:
    _, grad = _losses_and_grads(model, x.detach(), y, create_graph=False)
    delta = _perturb(grad.reshape(grad.shape[0], -1), eps, norm).reshape(x.shape)  # (B, ...)
    return F.cross_entropy(model(x + delta.detach()), y)
