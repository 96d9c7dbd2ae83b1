"""The gradient-normalised forms, their in-region gradient norms, and a seeded ReLU critic.

plain D/||g||,  iccv D/(||g|| + |D|),  wacv D||g||/(||g||^2 + eps),  direction <g/||g||, x>,  g = grad_x D
"""

from __future__ import annotations

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, boolean, choice, positive, public, real, shorten

FORMS = ("plain", "iccv", "wacv", "direction")
MAX_WIDTH = 4096


# ---------------------------------------------------------------- checks and the shared gradient
def _points(x, name: str = "x") -> torch.Tensor:
    t = as_float_tensor(name, x, min_dim=2)
    if t.dim() != 2:
        raise ValueError(f"{name} must be a (batch, d) tensor, got shape {tuple(t.shape)}: {shorten(x)}")
    return t


def _critic_grad(critic, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x as the differentiated leaf, D (B,), grad_x D (B, d)), the gradient kept in the graph."""
    if not callable(critic):
        raise ValueError(
            f"critic must be a callable mapping x (batch, d) to (batch,) or (batch, 1), got {shorten(critic)}"
        )
    with torch.enable_grad():
        xx = x if x.requires_grad else x.detach().requires_grad_(True)
        d = critic(xx)
        b = x.shape[0]
        if not isinstance(d, torch.Tensor) or tuple(d.shape) not in ((b,), (b, 1)):
            got = tuple(d.shape) if isinstance(d, torch.Tensor) else shorten(d)
            raise ValueError(f"critic must give one value per row of x, shape ({b},) or ({b}, 1), got {got}")
        d = d.reshape(b)
        g = None
        if d.requires_grad:
            (g,) = torch.autograd.grad(d.sum(), xx, create_graph=True, allow_unused=True)
        g = torch.zeros_like(xx) if g is None else g
    return xx, d, g


def _norm(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(||v|| per row, ||v||^2), with a finite gradient at v = 0."""
    sq = (v * v).sum(-1)
    pos = sq > 0
    return torch.where(pos, torch.sqrt(torch.where(pos, sq, torch.ones_like(sq))), torch.zeros_like(sq)), sq


def _safe_div(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a / b where b != 0, else 0 (finite value and gradient)."""
    ok = b != 0
    return torch.where(ok, a / torch.where(ok, b, torch.ones_like(b)), torch.zeros_like(a))


def _normalize(critic, x: torch.Tensor, form: str, eps: float) -> torch.Tensor:
    xx, d, g = _critic_grad(critic, x)
    with torch.enable_grad():
        return _forms(d, g, xx, form, eps)


def _forms(d: torch.Tensor, g: torch.Tensor, x: torch.Tensor, form: str, eps: float) -> torch.Tensor:
    n, sq = _norm(g)
    if form == "plain":
        return _safe_div(d, n)
    if form == "iccv":
        return _safe_div(d, n + d.abs())
    if form == "wacv":
        return d * n / (sq + eps)
    return _safe_div((g * x).sum(-1), n)


def _values(d, grad, x=None):
    """Validated D (batch,), grad D (batch, d) and x (batch, d) or None, in grad's dtype and device."""
    g = as_float_tensor("grad", grad, min_dim=2)
    if g.dim() != 2:
        raise ValueError(f"grad must be a (batch, d) tensor, got shape {tuple(g.shape)}: {shorten(grad)}")
    dv = as_float_tensor("d", d).to(device=g.device, dtype=g.dtype)
    if dv.shape not in ((g.shape[0],), (g.shape[0], 1)):
        raise ValueError(f"d must hold one value per row of grad ({g.shape[0]},), got shape {tuple(dv.shape)}")
    if x is not None:
        x = as_float_tensor("x", x, min_dim=2).to(device=g.device, dtype=g.dtype)
        if x.shape != g.shape:
            raise ValueError(f"x must have grad's shape {tuple(g.shape)}, got shape {tuple(x.shape)}")
    return dv.reshape(-1), g, x


def _example(**kw):
    def make():
        net = relu_critic([2, 8, 8, 1], generator=torch.Generator().manual_seed(0))
        return {"critic": net, "x": [[0.5, -1.0], [2.0, 0.3], [-1.5, 1.0]], **kw}

    return make


_FORM_FACTS = dict(
    kinds={"critic": "other"},
    cannot=("batch", "float32"),  # the example critic is a float64 module on the CPU
    extremes={"x": [[[1e6, -1e6], [0.0, 0.0], [-3e5, 1e-9]]], "eps": [1e-300, 1e6]},
)


# ---------------------------------------------------------------- the forms
@public(_example(form="iccv"), **_FORM_FACTS)
def gradient_normalize(critic, x, *, form: str = "iccv", eps: float = 1e-3) -> torch.Tensor:
    """D^ (batch,) for one of FORMS: "plain" D/||grad D||, "iccv" D/(||grad D|| + |D|),
    "wacv" D ||grad D||/(||grad D||^2 + eps), "direction" <grad D/||grad D||, x> (Su's control).

    grad_x D by autograd with create_graph=True: D^ is differentiable in x (when x requires grad)
    and in the critic's parameters. Where grad D = 0: "plain" and "direction" give 0 (no direction
    to divide by; a dead ReLU region), "iccv" gives sign(D) (its limit), "wacv" gives 0 (its value).
    ``eps`` > 0 is used by "wacv" only.
    """
    x = _points(x)
    form = choice("form", form, FORMS)
    eps = positive("eps", eps)
    return _normalize(critic, x, form, eps)


@public(_example(form="iccv"), **_FORM_FACTS)
def normalized_gradient_norm(critic, x, *, form: str = "iccv", eps: float = 1e-3) -> torch.Tensor:
    """||grad_x D^|| per row (batch,), by double backprop through ``gradient_normalize``.

    Autograd takes ReLU' as piecewise constant, so this is the in-region value everywhere: 1 (plain,
    where grad D != 0), (1 + |t|)^-2 (iccv), ||g||^2/(||g||^2 + eps) (wacv); it never sees the jumps
    across region boundaries (finite differences do). Differentiable in x when x requires grad.
    """
    x = _points(x)
    form = choice("form", form, FORMS)
    eps = positive("eps", eps)
    with torch.enable_grad():
        xx = x if x.requires_grad else x.detach().requires_grad_(True)
        dh = _normalize(critic, xx, form, eps)
        gh = None
        if dh.requires_grad:
            (gh,) = torch.autograd.grad(dh.sum(), xx, create_graph=x.requires_grad, allow_unused=True)
        gh = torch.zeros_like(xx) if gh is None else gh
        return _norm(gh)[0]


@public(
    _example(), kinds={"critic": "other"}, cannot=("batch", "float32"), extremes={"x": _FORM_FACTS["extremes"]["x"]}
)
def critic_gradient(critic, x) -> tuple[torch.Tensor, torch.Tensor]:
    """(D(x) (batch,), grad_x D(x) (batch, d)), the gradient by autograd with create_graph=True."""
    _, d, g = _critic_grad(critic, _points(x))
    return d, g


_VALUES = dict(cannot=("batch",), extremes={"d": [[1e30, 0.0, -1e-30]], "eps": [1e-300, 1e6]})


@public(
    {"d": [1.0, -2.0, 0.0], "grad": [[3.0, 4.0], [0.0, 0.5], [0.0, 0.0]], "x": [[1.0, 0.0], [2.0, 1.0], [0.0, 0.0]]},
    **_VALUES,
)
def normalize_values(d, grad, x=None, *, form: str = "iccv", eps: float = 1e-3) -> torch.Tensor:
    """The forms of ``gradient_normalize`` from given values D (batch,) and grad D (batch, d) (and x,
    needed by "direction" only): the same formulas and the same conventions where grad D = 0."""
    dv, g, xv = _values(d, grad, x)
    form = choice("form", form, FORMS)
    eps = positive("eps", eps)
    if form == "direction" and xv is None:
        raise ValueError("x must be given for form 'direction' (it reads <grad D / ||grad D||, x>), got None")
    return _forms(dv, g, xv, form, eps)


@public({"d": [1.0, -2.0, 0.0], "grad": [[3.0, 4.0], [0.0, 0.5], [0.0, 0.0]]}, **_VALUES)
def in_region_gradient_norm(d, grad, *, form: str = "iccv", eps: float = 1e-3) -> torch.Tensor:
    """||grad D^|| inside a linear region (grad D = g constant), in closed form, n = ||g||:
    plain and direction 1, iccv n^2/(n + |D|)^2 = (1 + |t|)^-2, wacv n^2/(n^2 + eps); 0 where g = 0."""
    dv, g, _ = _values(d, grad)
    form = choice("form", form, FORMS)
    eps = positive("eps", eps)
    n, sq = _norm(g)
    if form in ("plain", "direction"):
        return (n > 0).to(n.dtype)
    if form == "iccv":
        return _safe_div(n, n + dv.abs()) ** 2
    return sq / (sq + eps)


# ---------------------------------------------------------------- a seeded ReLU critic
def _widths(widths) -> list[int]:
    ok = isinstance(widths, (list, tuple)) and len(widths) >= 2
    ok = ok and all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= MAX_WIDTH for w in widths)
    if not ok or widths[-1] != 1:
        raise ValueError(
            f"widths must be a list of at least 2 integers in [1, {MAX_WIDTH}] ending in 1 (d, ..., 1), "
            f"got {shorten(widths)}"
        )
    return list(widths)


@public(
    {"widths": [2, 16, 16, 1]},
    kinds={"widths": "other"},
    extremes={"negative_slope": [0.0, 0.999], "bias_std": [0.0, 100.0]},
)
def relu_critic(
    widths,
    *,
    bias: bool = True,
    negative_slope: float = 0.0,
    bias_std: float = 0.5,
    device=None,
    generator=None,
    dtype=torch.float64,
) -> torch.nn.Sequential:
    """An MLP widths[0] -> ... -> widths[-1] = 1 with ReLU (LeakyReLU(negative_slope) when > 0).

    Weights W ~ N(0, 2/fan_in) (N(0, 1/fan_in) for the last layer), biases ~ N(0, bias_std^2) (none
    with bias=False: then D is positively homogeneous, D(x) = grad D(x)^T x). Every number comes from
    ``generator`` (a fresh one seeded 0 when None), never from torch's global generator.
    """
    widths = _widths(widths)
    bias = boolean("bias", bias)
    slope = real("negative_slope", negative_slope, lo=0.0, hi=1.0, hi_open=True)
    bias_std = positive("bias_std", bias_std, allow_zero=True, maximum=100.0)
    dev, gen, dt = _checks.sampling(device, generator, dtype)
    gen = gen if gen is not None else torch.Generator(device=dev).manual_seed(0)
    layers = []
    for k, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        last = k == len(widths) - 2
        lin = torch.nn.utils.skip_init(torch.nn.Linear, a, b, bias=bias, device=dev, dtype=dt)  # no global RNG
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=gen, device=dev, dtype=dt) * ((1 if last else 2) / a) ** 0.5)
            if bias:
                lin.bias.copy_(torch.randn(b, generator=gen, device=dev, dtype=dt) * bias_std)
        layers.append(lin)
        if not last:
            layers.append(torch.nn.LeakyReLU(slope) if slope > 0 else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)
