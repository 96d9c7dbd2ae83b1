"""Why BERT's initial standard deviation is 0.02: truncation, Post Norm and the residual path.

Su Jianlin, 《模型优化漫谈:BERT的初始标准差为什么是0.02?》, kexue.fm/archives/8747, 2021-11-08.

    truncated at +-b sigma:  std = sigma * sqrt(P(3/2, b^2/2) / P(1/2, b^2/2))   (0.8796 sigma at b = 2)
    Post Norm at init:       x_{t+1} = Norm(x_t + F_t(x_t)) ~ (x_t + F_t(x_t)) / sqrt(1 + sigma^2)
    unrolled:                x_l = x_0 / (1+sigma^2)^{l/2} + sum_k F_k / (1+sigma^2)^{(l-k)/2}
    Pre Norm:                x_l = x_0 + sum_k F_k(Norm(x_k)), every branch with the same weight

where sigma^2 is the variance of a branch's output relative to its input. A smaller initial std
makes sigma smaller and keeps each Post Norm block nearer the identity. The second half of the
module is a small real residual stack to measure it: per-layer gradient norms at initialisation
and a few hundred Adam steps with and without warmup.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from theory_lib import _checks
from theory_lib._bert_init_mlm import mlm_logit_std, softmax_uniformity_gap
from theory_lib._checks import as_float_tensor, choice, integer, one_cpu_thread, positive, public

__all__ = [
    "truncation_factor",
    "truncated_normal_std",
    "sample_truncated_normal",
    "post_norm_weights",
    "pre_norm_weights",
    "branch_variance",
    "ResidualStack",
    "synthetic_task",
    "layer_gradient_norms",
    "warmup_schedule",
    "train_loss_curves",
    "mlm_logit_std",
    "softmax_uniformity_gap",
]

NORMS = ("post", "pre")


# ---------------------------------------------------------------- truncation
def _as_bound(bound):
    """A positive bound as a float64 tensor (scalars and tensors alike)."""
    if isinstance(bound, torch.Tensor):
        b = as_float_tensor("bound", bound, min_dim=0).to(torch.float64)
        if (b <= 0).any():
            raise ValueError(f"bound must be finite and > 0 everywhere, got {_checks.shorten(bound)}")
        return b
    return torch.tensor(positive("bound", bound), dtype=torch.float64)


@public({"bound": [2.0, 0.5]}, extremes={"bound": [[1e-200, 1e-3, 2.0, 1e300]]}, kinds={"bound": "tensor"})
def truncation_factor(bound=2.0):
    """std(Z | |Z| <= b) for Z ~ N(0, 1): the factor truncation at +-b sigma puts on the std.

    Second moment of the truncated normal, through regularised incomplete gammas (exact, and
    stable as b -> 0, where it tends to b/sqrt(3), the uniform's):
        E[Z^2 | |Z| <= b] = 1 - 2 b phi(b) / (2 Phi(b) - 1) = P(3/2, b^2/2) / P(1/2, b^2/2).
    b = 2 (TensorFlow's truncated_normal, BERT) gives 0.8796 = 1/1.1368.
    Returns a float for a number, a float64 tensor for a tensor.
    """
    b = _as_bound(bound)
    big = b > 1e-3
    # the gamma branch sees neither a tiny b (0/0) nor a huge one (b^2 = inf); above 40 the factor is 1 - e^-800
    x = torch.where(big, b.clamp(max=40.0), 1.0) ** 2 / 2
    var = torch.special.gammainc(torch.full_like(x, 1.5), x) / torch.special.gammainc(torch.full_like(x, 0.5), x)
    bs = torch.where(big, 0.0, b)
    small = bs / math.sqrt(3.0) * (1 - bs * bs / 15)  # series, error O(b^4): where P(a, b^2/2) underflows
    out = torch.where(big, var.sqrt(), small)
    return out if isinstance(bound, torch.Tensor) else out.item()


@public({"std": 0.02}, extremes={"std": [1e-300, 1e300], "bound": [1e-200, 1e300]})
def truncated_normal_std(std, bound=2.0):
    """The actual std of N(0, std^2) truncated at +-bound*std: std * truncation_factor(bound)."""
    if isinstance(std, torch.Tensor):
        s = as_float_tensor("std", std, min_dim=0).to(torch.float64)
        if (s <= 0).any():
            raise ValueError(f"std must be finite and > 0 everywhere, got {_checks.shorten(std)}")
        return s * truncation_factor(_as_bound(bound).to(s.device))
    return positive("std", std) * truncation_factor(bound)


@public({"shape": (6,)}, extremes={"std": [1e-300, 1e30], "bound": [1e-200, 1e300], "shape": [(0,), 3, (10**3, 10**3)]})
def sample_truncated_normal(
    shape, std=1.0, bound=2.0, *, device=None, generator=None, dtype=torch.float32
) -> torch.Tensor:
    """Draws of N(0, std^2) truncated at +-bound*std, by the inverse CDF.

    x = std * sqrt(2) * erfinv(v), v ~ U(-erf(b/sqrt 2), erf(b/sqrt 2)): no rejection loop, one
    uniform per draw, on ``device`` with ``generator``. Computed in float64, returned in ``dtype``.
    """
    std = positive("std", std)
    b = positive("bound", bound)
    if not isinstance(shape, (tuple, list, torch.Size)):
        shape = (integer("shape", shape, minimum=0),)
    shape = tuple(integer("shape", s, minimum=0) for s in shape)
    _checks.fits("shape", shape, math.prod(shape))
    device, generator, dtype = _checks.sampling(device, generator, dtype)
    if std * min(b, 10.0) > torch.finfo(dtype).max:  # |draws| <= std * min(b, ~8.3): erfinv of a double < 1
        raise ValueError(f"std must keep std * bound within {dtype}'s range, got std={std:g}, bound={b:g}")
    edge = math.erf(b / math.sqrt(2.0))
    v = torch.rand(shape, generator=generator, device=device, dtype=torch.float64)  # (*shape,)
    z = math.sqrt(2.0) * torch.erfinv((2.0 * v - 1.0) * edge)  # inverse CDF of the truncated N(0, 1)
    return (std * z.clamp(-b, b)).to(dtype)


# ---------------------------------------------------------------- the residual path
@public({"depth": 4}, extremes={"depth": [1, 10**6], "sigma": [0.0, 1e300]})
def post_norm_weights(depth: int, sigma: float = 1.0, *, device=None) -> torch.Tensor:
    """Weights of x_0, F_0, ..., F_{l-1} in the output of ``depth`` Post Norm blocks at init.

    x_{t+1} = (x_t + F_t) / sqrt(1 + sigma^2) unrolls to
        x_l = x_0 / (1+sigma^2)^{l/2} + sum_k F_k / (1+sigma^2)^{(l-k)/2},
    returned as a float64 tensor of shape (depth + 1,): index 0 is x_0, index k+1 is F_k.
    sigma = 1 is the article's 2^{-l/2}. The squared weights, the F's counted with sigma^2,
    sum to 1: the output keeps unit variance.
    """
    depth = integer("depth", depth, minimum=1, maximum=10**7)
    sigma = positive("sigma", sigma, allow_zero=True)
    device = _checks.device("device", device)
    log_a = -0.5 * math.log1p(sigma * sigma)  # log of the per-block factor 1/sqrt(1+sigma^2)
    exponents = torch.arange(depth, 0, -1, dtype=torch.float64, device=device)  # F_k: l-k = l, ..., 1
    powers = torch.cat([exponents[:1], exponents])  # x_0 shares F_0's exponent l
    return torch.exp(log_a * powers)


@public({"depth": 4}, extremes={"depth": [1, 10**6], "sigma": [0.0, 1e300]})
def pre_norm_weights(depth: int, sigma: float = 1.0, *, final_norm: bool = True, device=None) -> torch.Tensor:
    """Weights of x_0, F_0, ..., F_{l-1} in the output of ``depth`` Pre Norm blocks at init.

    x_{t+1} = x_t + F_t(Norm(x_t)) gives x_l = x_0 + sum_k F_k: every weight is 1. Var(x_l) =
    1 + l sigma^2, so after the usual final Norm every weight is 1/sqrt(1 + l sigma^2) (the
    default; ``final_norm=False`` gives the raw ones). Shape (depth + 1,), float64.
    """
    depth = integer("depth", depth, minimum=1, maximum=10**7)
    sigma = positive("sigma", sigma, allow_zero=True)
    final_norm = _checks.boolean("final_norm", final_norm)
    device = _checks.device("device", device)
    scale = 1.0 / math.sqrt(1.0 + depth * sigma * sigma) if final_norm else 1.0
    return torch.full((depth + 1,), scale, dtype=torch.float64, device=device)


@public(
    {"width": 32, "std": 0.02}, extremes={"width": [1, 10**6], "std": [1e-300, 1e30], "bound": [None, 1e-200, 1e300]}
)
def branch_variance(width: int, std: float, hidden: int | None = None, bound: float | None = 2.0) -> float:
    """sigma^2 of the toy's branch F(x) = W2 relu(W1 x) on an input of unit variance.

    Each W entry has variance s^2 (s = the truncated std when ``bound`` is set, else ``std``):
    W1 x has variance width s^2, relu keeps half of its second moment, so
        sigma^2 = hidden * s^2 * width * s^2 / 2.
    """
    width = integer("width", width, minimum=1)
    hidden = width if hidden is None else integer("hidden", hidden, minimum=1)
    std = positive("std", std, maximum=1e30)
    s = std if bound is None else truncated_normal_std(std, bound)
    return hidden * width * s**4 / 2.0  # at most 2^62 * 1e120: finite


# ---------------------------------------------------------------- a small, real residual stack
def _std_list(std) -> list[float]:
    """One std or a sequence of them (one per side-by-side run), each finite and > 0."""
    if isinstance(std, (list, tuple)):
        if not std:
            raise ValueError("std must not be an empty sequence")
        return [positive("std", s, maximum=1e30) for s in std]
    return [positive("std", std, maximum=1e30)]


@public({"width": 4, "depth": 2, "d_in": 3}, extremes={"std": [1e-30, 10.0, [0.01, 0.1]], "bound": [None, 1e-3]})
class ResidualStack(nn.Module):
    """``depth`` residual blocks of width ``width``, with branch F(x) = W2 relu(W1 x + b1) + b2.

    post: x_0 = LN(E u), x_{t+1} = LN_t(x_t + F_t(x_t))            (BERT, the original Transformer)
    pre:  x_0 = E u,     x_{t+1} = x_t + F_t(LN_t(x_t)), y from LN(x_l)
    y = H x_l + c. W1, W2 are drawn from N(0, std^2) truncated at +-bound*std (BERT's initialiser;
    ``bound=None``: a plain normal), biases 0, LayerNorm gains 1 and shifts 0. The embedding E
    and head H keep a fixed 1/sqrt(fan_in) std, so that only the residual branches change.

    ``std`` may be a sequence: then R = len(std) stacks run side by side, every parameter has a
    leading run dimension R (one loop over the layers trains them all), and u (B, d_in) ->
    y (R, B, d_out). Run r's loss depends only on run r's parameters. The runs are a controlled
    comparison: they share E, H and the random directions Z of the branch weights, W = std_r * Z
    with Z drawn once from the standard truncated normal, so they differ only in the scale.
    """

    def __init__(
        self,
        width: int = 32,
        depth: int = 12,
        norm: str = "post",
        std=0.02,
        *,
        d_in: int = 16,
        d_out: int = 1,
        hidden: int | None = None,
        bound: float | None = 2.0,
        generator=None,
        device=None,
        dtype=torch.float32,
    ):
        super().__init__()
        width = integer("width", width, minimum=1)
        depth = integer("depth", depth, minimum=1)
        self.norm = choice("norm", norm, NORMS)
        stds = _std_list(std)
        d_in = integer("d_in", d_in, minimum=1)
        d_out = integer("d_out", d_out, minimum=1)
        hidden = width if hidden is None else integer("hidden", hidden, minimum=1)
        if bound is not None:
            bound = positive("bound", bound)
        device, generator, dtype = _checks.sampling(device, generator, dtype)
        _checks.fits("width", width, len(stds) * depth * (2 * hidden + 4) * width)
        self.width, self.depth, self.hidden, self.stds, self.bound = width, depth, hidden, stds, bound
        R = len(stds)
        kw = dict(device=device, dtype=dtype)
        scale = torch.tensor(stds, dtype=torch.float64, device=device).view(R, 1, 1, 1)  # (R, 1, 1, 1)

        def normal(*shape):
            return torch.randn(shape, generator=generator, device=device, dtype=torch.float64)

        def branch_z(*shape):  # standard (truncated) normal directions, shared by the runs
            if bound is None:
                return normal(*shape)
            return sample_truncated_normal(shape, 1.0, bound, device=device, generator=generator, dtype=torch.float64)

        def runs(t):  # the same values for every run
            return t.to(dtype).expand(R, *t.shape).clone()

        self.embed = nn.Parameter(runs(normal(width, d_in) / math.sqrt(d_in)))  # (R, width, d_in)
        self.w1 = nn.Parameter((scale * branch_z(depth, hidden, width)).to(dtype))  # (R, L, hidden, width)
        self.b1 = nn.Parameter(torch.zeros(R, depth, 1, hidden, **kw))  # (R, L, 1, hidden)
        self.w2 = nn.Parameter((scale * branch_z(depth, width, hidden)).to(dtype))  # (R, L, width, hidden)
        self.b2 = nn.Parameter(torch.zeros(R, depth, 1, width, **kw))  # (R, L, 1, width)
        self.gain = nn.Parameter(torch.ones(R, depth + 1, 1, width, **kw))  # LN gains; index L: first/last LN
        self.shift = nn.Parameter(torch.zeros(R, depth + 1, 1, width, **kw))  # LN shifts
        self.head = nn.Parameter(runs(normal(d_out, width) / math.sqrt(width)))  # (R, d_out, width)
        self.head_bias = nn.Parameter(torch.zeros(R, 1, d_out, **kw))  # (R, 1, d_out)

    def _layers(self):
        """Per-layer views, taken once per pass (one backward op per parameter, not one per layer)."""
        names = ("w1", "b1", "w2", "b2", "gain", "shift")
        return {name: getattr(self, name).unbind(1) for name in names}

    def _ln(self, x, p, k):
        """LayerNorm k of each run: x (R, B, width)."""
        return nn.functional.layer_norm(x, (self.width,), eps=1e-5) * p["gain"][k] + p["shift"][k]

    def branch(self, x, k, p=None):
        """F_k(x) = W2 relu(W1 x + b1) + b2 for x of shape (R, B, width)."""
        p = self._layers() if p is None else p
        h = torch.relu(torch.baddbmm(p["b1"][k], x, p["w1"][k].transpose(-1, -2)))  # (R, B, hidden)
        return torch.baddbmm(p["b2"][k], h, p["w2"][k].transpose(-1, -2))  # (R, B, width)

    def forward(self, u, return_states: bool = False):
        """u: (B, d_in) -> y: (R, B, d_out); with ``return_states`` also [x_0, ..., x_l], each (R, B, width)."""
        p = self._layers()
        x = u @ self.embed.transpose(-1, -2)  # (R, B, width)
        if self.norm == "post":
            x = self._ln(x, p, self.depth)
        states = [x]
        for k in range(self.depth):
            if self.norm == "post":
                x = self._ln(x + self.branch(x, k, p), p, k)  # x_{k+1} = LN(x_k + F_k(x_k))
            else:
                x = x + self.branch(self._ln(x, p, k), k, p)  # x_{k+1} = x_k + F_k(LN(x_k))
            states.append(x)
        if self.norm == "pre":
            x = self._ln(x, p, self.depth)
        y = x @ self.head.transpose(-1, -2) + self.head_bias  # (R, B, d_out)
        return (y, states) if return_states else y


@public({"n": 8, "d_in": 3}, extremes={"frequency": [1e-6, 1e6], "seed": [0, 2**63 - 1]})
def synthetic_task(n: int = 256, d_in: int = 16, *, frequency: float = 2.0, seed: int = 0, device=None):
    """A fixed regression task: u ~ N(0, I), y = sum_j a_j sin(frequency * v_j . u), standardised.

    A random smooth teacher with 32 units (|v_j| ~ 1); returns u (n, d_in) and y (n, 1), drawn
    on the CPU so that every device sees the same task.
    """
    n = integer("n", n, minimum=2)
    d_in = integer("d_in", d_in, minimum=1)
    frequency = _checks.real("frequency", frequency, lo=1e-6, hi=1e6)  # below 1e-6 float32 y has no spread
    _checks.fits("n", n, n * d_in)
    device = _checks.device("device", device)
    g = torch.Generator().manual_seed(_checks.seed("seed", seed))
    u = torch.randn(n, d_in, generator=g)  # (n, d_in)
    v = torch.randn(d_in, 32, generator=g) / math.sqrt(d_in)  # (d_in, 32)
    a = torch.randn(32, 1, generator=g)  # (32, 1)
    y = torch.sin(frequency * u @ v) @ a  # (n, 1)
    y = (y - y.mean()) / y.std()
    return u.to(device), y.to(device)


def _mse_per_run(model, u, y):
    return ((model(u) - y) ** 2).mean(dim=(1, 2))  # (R,)


@public({"width": 4, "depth": 2, "n": 8}, extremes={"std": [1e-3, [0.01, 0.1]], "wrt": ["states"], "bound": [None]})
def layer_gradient_norms(
    width: int = 32,
    depth: int = 12,
    norm: str = "post",
    std=0.02,
    *,
    wrt: str = "weights",
    hidden: int | None = None,
    bound: float | None = 2.0,
    n: int = 256,
    seed: int = 0,
    device=None,
) -> torch.Tensor:
    """Per-layer gradient norms of a fresh stack at initialisation, for the MSE on synthetic_task(n).

    wrt="weights": ||dL/d(W1_k, W2_k)|| for the branch of block k = 0..depth-1 (what the
    optimiser sees); wrt="states": the RMS over the batch of ||dL/dx_k|| for the block inputs
    x_0..x_{depth-1}. float64, shape (depth,) for one std, (len(std), depth) for a sequence.
    """
    wrt = choice("wrt", wrt, ("weights", "states"))
    seed = integer("seed", seed, minimum=0, maximum=_checks.MAX_SEED - 1)
    device = _checks.device("device", device)
    with one_cpu_thread(device):
        g = torch.Generator(device=device or "cpu").manual_seed(seed)
        model = ResidualStack(width, depth, norm, std, hidden=hidden, bound=bound, generator=g, device=device)
        u, y = synthetic_task(n, seed=seed + 1, device=device)
        out, states = model(u, return_states=True)
        for x in states:
            x.retain_grad()
        ((out - y) ** 2).mean(dim=(1, 2)).sum().backward()  # sum over runs: each run its own gradient
        if wrt == "weights":
            sq = model.w1.grad.pow(2).sum(dim=(2, 3)) + model.w2.grad.pow(2).sum(dim=(2, 3))  # (R, L)
            norms = sq.sqrt()
        else:
            norms = torch.stack([x.grad.pow(2).sum(-1).mean(-1).sqrt() for x in states[:-1]], dim=1)  # (R, L)
    norms = norms.detach().to(torch.float64)
    return norms if isinstance(std, (list, tuple)) else norms[0]


@public({"steps": 10, "warmup": 3}, extremes={"steps": [1, 10**6], "warmup": [0, 10**6]})
def warmup_schedule(steps: int, warmup: int, decay: bool = False) -> torch.Tensor:
    """Learning-rate multipliers for t = 0..steps-1: min(1, (t+1)/warmup), 1 when warmup = 0.

    ``decay=True`` multiplies by (steps - t)/steps, the linear decay to 0 that BERT uses after
    its warmup.
    """
    steps = integer("steps", steps, minimum=1, maximum=10**7)
    warmup = integer("warmup", warmup, minimum=0)
    decay = _checks.boolean("decay", decay)
    t = torch.arange(steps, dtype=torch.float64)
    ramp = torch.ones(steps, dtype=torch.float64) if warmup == 0 else torch.clamp((t + 1) / warmup, max=1.0)
    return ramp * (steps - t) / steps if decay else ramp


@public(
    {"width": 4, "depth": 2, "steps": 3, "n": 8, "warmups": (0, 2)}, extremes={"std": [[0.01, 0.1]], "bound": [None]}
)
def train_loss_curves(
    width: int = 32,
    depth: int = 12,
    norm: str = "post",
    std=0.02,
    *,
    warmups=(0, 40),
    steps: int = 150,
    lr: float = 1e-2,
    hidden: int | None = None,
    bound: float | None = 2.0,
    n: int = 128,
    frequency: float = 2.0,
    decay: bool = True,
    seed: int = 0,
    device=None,
    dtype=torch.float32,
    progress=None,
) -> torch.Tensor:
    """Full-batch Adam on synthetic_task(n): the loss before each step, for every (std, warmup).

    Adam, written out:  m <- b1 m + (1-b1) g,  v <- b2 v + (1-b2) g^2,
        theta <- theta - eta_t (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps),
    with eta_t = lr * min(1, t/warmup) * (1 - (t-1)/steps) (warmup_schedule; ``decay=False`` drops
    the linear decay): the update is O(eta) whatever the gradient's scale. All
    len(std) * len(warmups) runs train side by side in one stack, each on its own loss, all from
    the same random directions (ResidualStack: only the std differs; warmup pairs start equal).
    Returns float64 (len(std), len(warmups), steps) on the CPU, or (len(warmups), steps) for a
    single std. A run whose loss turns non-finite is NaN from that step on. ``progress(t, steps,
    losses)``, if given, is called after every 5th step with the losses so far, float64 on the
    CPU, (..., t) (not yet NaN-masked); it may raise to stop the run, and never changes its result.
    """
    steps = integer("steps", steps, minimum=1, maximum=10**6)
    lr = positive("lr", lr)
    stds = _std_list(std)
    decay = _checks.boolean("decay", decay)
    device = _checks.device("device", device)
    dtype = _checks.dtype("dtype", dtype)
    if isinstance(warmups, int) or not warmups:
        raise ValueError(f"warmups must be a non-empty sequence of warmup lengths, got {warmups!r}")
    warmups = [integer("warmups", w, minimum=0) for w in warmups]
    schedules = torch.stack([warmup_schedule(steps, w, decay) for w in warmups])  # (W, steps)
    seed = integer("seed", seed, minimum=0, maximum=_checks.MAX_SEED - 1)
    S, W = len(stds), len(warmups)
    _checks.fits("steps", steps, S * W * steps)
    with one_cpu_thread(device):
        g = torch.Generator(device=device or "cpu").manual_seed(seed)
        model = ResidualStack(
            width,
            depth,
            norm,
            [s for s in stds for _ in warmups],
            hidden=hidden,
            bound=bound,
            generator=g,
            device=device,
            dtype=dtype,
        )
        u, y = (t.to(dtype) for t in synthetic_task(n, seed=seed + 1, frequency=frequency, device=device))
        eta = lr * schedules.repeat(S, 1).to(device=device, dtype=dtype)  # (S*W, steps)
        b1, b2, eps = 0.9, 0.999, 1e-8
        params = list(model.parameters())
        m = [torch.zeros_like(p) for p in params]
        v = [torch.zeros_like(p) for p in params]
        losses = torch.empty(S * W, steps, dtype=dtype, device=device)
        for t in range(steps):
            loss = _mse_per_run(model, u, y)  # (R,)
            losses[:, t] = loss.detach()
            grads = torch.autograd.grad(loss.sum(), params)
            with torch.no_grad():
                for p, gr, m_, v_ in zip(params, grads, m, v, strict=True):
                    m_.mul_(b1).add_(gr, alpha=1 - b1)
                    v_.mul_(b2).addcmul_(gr, gr, value=1 - b2)
                    step = (m_ / (1 - b1 ** (t + 1))) / ((v_ / (1 - b2 ** (t + 1))).sqrt() + eps)
                    p.sub_(eta[:, t].view(-1, *[1] * (p.dim() - 1)) * step)
            if progress is not None and ((t + 1) % 5 == 0 or t + 1 == steps):
                done = losses[:, : t + 1].to(device="cpu", dtype=torch.float64, copy=True).view(S, W, t + 1)
                progress(t + 1, steps, done if isinstance(std, (list, tuple)) else done[0])
    losses = losses.to(device="cpu", dtype=torch.float64)
    bad = ~torch.isfinite(losses)
    first = torch.where(bad.any(1), bad.float().argmax(1), torch.full((S * W,), steps))  # first bad step
    losses[torch.arange(steps) >= first[:, None]] = float("nan")
    losses = losses.view(S, W, steps)
    return losses if isinstance(std, (list, tuple)) else losses[0]
