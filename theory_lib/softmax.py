"""Repeated softmax tends to the uniform distribution.

Su Jianlin, answer on Zhihu to 《softmax到底有哪些作用?》 (point 4), retold in the 2020 post
《一个分布在多次Softmax后,会趋于相同》. With a_k = max - min of the k-th iterate:

    p_max <= e^{a}/n and p_min >= e^{-a}/n   =>   a_{k+1} <= 2 sinh(a_k / tau) / n
    n = 2 exactly:                                a_{k+1} = tanh(a_k / (2 tau))
    Jacobian at the uniform point:                (1/(n tau)) (I - 11^T/n)

so near the uniform point the spread shrinks by the factor 1/(n tau) per step, and for
tau < 1/n the uniform point repels. Every fixed point p = softmax(p/tau) has at most two distinct
values (p_i = C e^{p_i/tau} has at most two roots): m entries h and n - m entries l, gap d = h - l,

    tau(d) = d / [log(1 + (n - m) d) - log(1 - m d)],     0 < d < 1/m,

so non-uniform fixed points exist exactly for tau <= max_d tau(d) <= 1/2. For n >= 3 that maximum
exceeds 1/n: between the two temperatures both kinds of fixed point attract (bistability).
"""

from __future__ import annotations

import torch

from theory_lib._checks import as_float_tensor, fits, integer, positive, public, real, shorten, widened

__all__ = [
    "iterate_softmax",
    "last_iterate",
    "spread",
    "contraction_bound",
    "two_class_map",
    "local_rate",
    "critical_temperature",
    "fixed_point_temperature",
    "bistability_temperature",
    "fixed_point_gaps",
    "two_level_point",
    "steps_to_uniform",
    "NotUniformError",
]


@public(
    {"x": [0.1, 2.0, -1.0], "steps": 3},
    extremes={"x": [[1e300, -1e300, 0.0], [1e-300, 0.0]], "steps": [0, 10**4], "temperature": [1e-300, 1e300]},
)
def iterate_softmax(x, steps: int, temperature: float = 1.0) -> torch.Tensor:
    """The iterates x, softmax(x/tau), softmax(softmax(x/tau)/tau), ... along the last dim.

    Returns a tensor of shape ``(steps + 1, *x.shape)``; index 0 is ``x`` itself. Works on
    batches ``(..., n)``, on the input's device and in its float dtype. torch's softmax
    subtracts the max first, so logits of +-1e300 and temperatures down to 1e-300 stay finite.
    The result may hold at most 2^26 numbers (512 MiB in float64): ``steps`` up to 10^7.
    """
    x = as_float_tensor("x", x)
    steps = integer("steps", steps, minimum=0, maximum=10**7)
    tau = positive("temperature", temperature)
    fits("steps", steps, (steps + 1) * x.numel(), bytes_per=x.element_size())
    out = torch.empty((steps + 1, *x.shape), dtype=x.dtype, device=x.device)  # (steps+1, ..., n)
    out[0] = x
    for k in range(steps):
        out[k + 1] = _softmax_step(out[k], tau)  # p_{k+1} = softmax(p_k / tau)
    return out


def _softmax_step(p: torch.Tensor, tau: float) -> torch.Tensor:
    """softmax(p / tau) along the last dim, as softmax((p - max p) / tau): p / tau may overflow, this may not."""
    q = widened(p, tau)  # float64 for a tau the dtype cannot hold (1e-300 in float32)
    return torch.softmax((q - q.amax(dim=-1, keepdim=True).detach()) / tau, dim=-1).to(p.dtype)


def _spread(p: torch.Tensor) -> torch.Tensor:
    return p.amax(dim=-1) - p.amin(dim=-1)


@public(
    {"x": [0.1, 2.0, -1.0], "steps": 3},
    extremes={"x": [[1e300, -1e300, 0.0]], "steps": [0, 10**4], "temperature": [1e-300, 1e300]},
)
def last_iterate(x, steps: int, temperature: float = 1.0) -> torch.Tensor:
    """p_steps alone, where p_0 = x and p_{k+1} = softmax(p_k / tau): memory of one iterate, for big batches."""
    p = as_float_tensor("x", x)
    steps = integer("steps", steps, minimum=0, maximum=10**7)
    tau = positive("temperature", temperature)
    for _ in range(steps):
        p = _softmax_step(p, tau)  # (..., n)
    return p


@public({"p": [0.2, 0.5, 0.3]}, extremes={"p": [[1e300, -1e300]]})
def spread(p) -> torch.Tensor:
    """a = max(p) - min(p) along the last dimension."""
    return _spread(as_float_tensor("p", p))


@public({"a": [0.1, 0.5], "n": 3}, spans={"a": (0.0, 5.0)}, extremes={"n": [1, 10**9], "temperature": [0.5, 1e300]})
def contraction_bound(a, n: int, temperature: float = 1.0):
    """One-step bound on the spread: a_{k+1} <= 2 sinh(a_k / tau) / n.

    From p_max <= e^{a/tau}/n and p_min >= e^{-a/tau}/n. It holds for every vector; it is a
    contraction (bound < a) once the spread is small and n >= 3 (for tau = 1). Where 2 sinh(a/tau)/n
    is beyond the float range (a/tau > 710) the bound is inf, a true if empty statement.
    """
    a_t = as_float_tensor("a", a, min_dim=0)
    if (a_t < 0).any():
        raise ValueError(f"a must be >= 0 (a spread), got {shorten(a)}")
    n = integer("n", n, minimum=1)
    tau = positive("temperature", temperature)
    bound = (2.0 * torch.sinh(a_t.to(torch.float64) / tau) / n).to(a_t.dtype)  # float64: tau may be 1e-300
    return bound if isinstance(a, torch.Tensor) else bound.item() if bound.dim() == 0 else bound


@public({"a": [0.1, 0.5]}, spans={"a": (-5.0, 5.0)}, extremes={"temperature": [1e-300, 1e300]})
def two_class_map(a, temperature: float = 1.0):
    """Exact map of the spread for n = 2: a_{k+1} = tanh(a_k / (2 tau)).

    softmax([x1, x2]) = [sigmoid(x1 - x2), sigmoid(x2 - x1)] and 2 sigmoid(d) - 1 = tanh(d / 2).
    """
    a_t = as_float_tensor("a", a, min_dim=0)
    tau = positive("temperature", temperature)
    out = torch.tanh(a_t.to(torch.float64) / (2.0 * tau)).to(a_t.dtype)  # float64: tau may be 1e-300
    return out if isinstance(a, torch.Tensor) else out.item() if out.dim() == 0 else out


@public({"n": 3}, extremes={"n": [2, 10**9], "temperature": [1e-300, 1e300]})
def local_rate(n: int, temperature: float = 1.0) -> float:
    """Contraction factor per step near the uniform point: 1/(n tau).

    The Jacobian of softmax(p/tau) at p = 1/n is (1/(n tau))(I - 11^T/n): every direction
    that keeps the sum (the only ones the iteration can move in) is scaled by 1/(n tau).
    """
    n = integer("n", n, minimum=2)
    return 1.0 / (n * positive("temperature", temperature))


@public({"n": 3}, extremes={"n": [2, 10**9]})
def critical_temperature(n: int) -> float:
    """tau_c = 1/n: below it the uniform point repels (local rate 1/(n tau) > 1)."""
    return 1.0 / integer("n", n, minimum=2)


@public({"d": [0.1, 0.3], "n": 4, "m": 1}, spans={"d": (1e-9, 0.999)}, extremes={"n": [2, 10**9]})
def fixed_point_temperature(d, n: int, m: int = 1):
    """The temperature at which the two-level point (m entries h, n - m entries l, h - l = d) is fixed.

    h = (1 + (n - m) d)/n and l = (1 - m d)/n; fixed means h/l = e^{d/tau}, so
    tau(d) = d / [log(1 + (n - m) d) - log(1 - m d)] for 0 < d < 1/m. It tends to 1/n as d -> 0.
    """
    n = integer("n", n, minimum=2)
    m = integer("m", m, minimum=1, maximum=n - 1)
    d_t = as_float_tensor("d", d, min_dim=0)
    if ((d_t <= 0) | (d_t >= 1.0 / m)).any():
        raise ValueError(f"d must be in (0, 1/m) = (0, {1 / m:.6g}), got {shorten(d)}")
    tau = d_t / (torch.log1p((n - m) * d_t) - torch.log1p(-m * d_t))
    return tau if isinstance(d, torch.Tensor) else tau.item() if tau.dim() == 0 else tau


def _peak(n: int, m: int) -> tuple[float, float]:
    """(d*, tau*): where fixed_point_temperature(d, n, m) peaks on (0, 1/m), by a dense grid and
    repeated zooming (the curve is smooth and single-peaked); (0, 1/n) where it only falls."""
    lo, hi = 1e-9, (1.0 - 1e-12) / m
    best = (0.0, 1.0 / n)  # the limit d -> 0
    for _ in range(6):
        d = torch.linspace(lo, hi, 513, dtype=torch.float64)
        tau = fixed_point_temperature(d, n, m)
        i = int(torch.argmax(tau))
        if tau[i].item() > best[1]:
            best = (d[i].item(), tau[i].item())
        step = (hi - lo) / 512
        lo, hi = max(d[i].item() - step, 1e-12), min(d[i].item() + step, (1.0 - 1e-12) / m)
    return best


@public({"n": 4}, extremes={"n": [2, 10**6]})
def bistability_temperature(n: int, m: int = 1) -> float:
    """tau*(n, m) = max over d of fixed_point_temperature(d, n, m).

    Non-uniform fixed points with m high entries exist iff tau <= tau*; tau*(2, 1) = 1/2 = 1/n,
    and tau* > 1/n for n >= 3.
    """
    n = integer("n", n, minimum=2)
    m = integer("m", m, minimum=1, maximum=n - 1)
    return _peak(n, m)[1]


@public({"temperature": 0.3, "n": 4}, extremes={"temperature": [1e-300, 1e300], "n": [2, 10**6]})
def fixed_point_gaps(temperature: float, n: int, m: int = 1) -> list[float]:
    """Every gap d in (0, 1/m) with tau(d) = temperature: the two-level fixed points, smallest first.

    tau(d) rises from 1/n to tau* at d* and then falls to 0, so there are two roots in the bistable
    window 1/n < tau < tau* (the smaller a saddle that bounds the uniform point's basin, the larger
    the one-hot-like attractor), one for tau <= 1/n and none above tau*. Each branch is monotone:
    bisection to float64 precision.
    """
    tau = positive("temperature", temperature)
    n = integer("n", n, minimum=2)
    m = integer("m", m, minimum=1, maximum=n - 1)
    d_peak, tau_peak = _peak(n, m)
    if tau > tau_peak:
        return []

    def root(lo, hi, rising):
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            above = fixed_point_temperature(mid, n, m) > tau
            if above == rising:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)

    roots = [] if tau <= 1.0 / n or d_peak == 0.0 else [root(1e-15, d_peak, True)]
    return roots + [root(max(d_peak, 1e-15), (1.0 - 1e-15) / m, False)]


@public({"d": 0.2, "n": 4}, extremes={"d": [0.0, 0.999], "n": [2, 10**6]}, kinds={"d": "real"})
def two_level_point(d: float, n: int, m: int = 1) -> torch.Tensor:
    """The point with m entries h = (1 + (n - m) d)/n first and n - m entries l = (1 - m d)/n (float64)."""
    n = integer("n", n, minimum=2)
    m = integer("m", m, minimum=1, maximum=n - 1)
    d = real("d", d, lo=0.0, hi=1.0 / m, hi_open=True)
    fits("n", n, n)
    h, low = (1 + (n - m) * d) / n, (1 - m * d) / n
    return torch.tensor([h] * m + [low] * (n - m), dtype=torch.float64)


class NotUniformError(RuntimeError):
    """The iteration stopped short of the uniform point.

    ``spread`` is the final spread per row, ``fixed_point`` the last iterate, ``steps`` how many
    steps were taken, and ``stalled`` whether the iterates stopped moving (True) or ``max_steps``
    ran out while they still moved (False). A stall at a non-uniform fixed point needs
    tau <= tau*(n, 1) (``bistability_temperature``): for tau < 1/n every start except the uniform
    point itself stalls, since the uniform point repels; for 1/n < tau <= tau*(n, 1) (the bistable
    window, n >= 3) the uniform point attracts nearby starts and only starts far enough from it
    stall; for tau > tau*(n, 1) no non-uniform fixed point exists.
    """

    def __init__(self, message: str, spread: torch.Tensor, fixed_point: torch.Tensor, steps: int, stalled: bool = True):
        super().__init__(message)
        self.spread = spread
        self.fixed_point = fixed_point
        self.steps = steps
        self.stalled = stalled


def _why_stalled(p: torch.Tensor, tau: float) -> str:
    """Why a non-uniform fixed point p (one row) can hold at this temperature, with the numbers.

    The uniform point repels (tau < 1/n), is marginal (tau = 1/n), or attracts only nearby starts
    while p lies in the bistable window 1/n < tau <= tau*(n, m), m the number of high entries of p.
    """
    n = p.shape[-1]
    tau_c = 1.0 / n
    if tau < tau_c:
        return f"temperature {tau:.6g} < 1/n = {tau_c:.6g}: the uniform point repels"
    if tau == tau_c:
        return f"temperature {tau:.6g} = 1/n: the uniform point is marginal, local rate 1"
    m = min(max(int((p > tau_c).sum().item()), 1), n - 1)  # high entries of the two-level point
    tau_star = bistability_temperature(n, m)
    high = f"{m} high entr{'y' if m == 1 else 'ies'}"
    if tau <= tau_star:
        return (
            f"temperature {tau:.6g} > 1/n = {tau_c:.6g} but {tau:.6g} ≤ τ* = {tau_star:.6g} "
            f"for {high}: the bistable window, where the uniform point attracts "
            f"only nearby starts"
        )
    return (
        f"temperature {tau:.6g} > τ* = {tau_star:.6g} for {high}, above which no "
        f"such fixed point exists: a numerical stall"
    )


@public({"x": [0.1, 0.4, 0.2]}, extremes={"tol": [0.5, 1e300], "temperature": [1.0, 1e300]}, cannot=("grad",))
def steps_to_uniform(x, tol: float = 1e-3, temperature: float = 1.0, max_steps: int = 10_000):
    """First step k with spread(p_k) < tol, where p_0 = x and p_{k+1} = softmax(p_k / tau).

    Returns an int for a single vector, a LongTensor of shape ``x.shape[:-1]`` for a batch.
    Raises NotUniformError when some row stalls at a non-uniform fixed point (an iterate that no
    longer moves, spread still >= tol: possible only for tau <= tau*(n, 1), for every start when
    tau < 1/n and for starts far from uniform in the bistable window 1/n < tau <= tau*; see
    ``NotUniformError``) or is still short of tol after ``max_steps`` steps, instead of looping
    forever or returning a wrong count. The message says which case holds, with its numbers.
    """
    x = as_float_tensor("x", x)
    tol = positive("tol", tol)
    tau = positive("temperature", temperature)
    max_steps = integer("max_steps", max_steps, minimum=0, maximum=10**7)
    # A fixed point is declared when a step moves no entry by more than a few ulps.
    stall = 8 * torch.finfo(x.dtype).eps
    p = x
    first = torch.full(x.shape[:-1], -1, dtype=torch.long, device=x.device)  # (...,)
    for k in range(max_steps + 1):
        a = _spread(p)
        first = torch.where((first < 0) & (a < tol), torch.full_like(first, k), first)
        if (first >= 0).all():
            return int(first.item()) if first.dim() == 0 else first
        if k == max_steps:
            break
        nxt = _softmax_step(p, tau)
        moved = (nxt - p).abs().amax(dim=-1)
        if k > 0 and ((first >= 0) | (moved <= stall)).all():
            a = _spread(nxt)
            row = nxt.reshape(-1, nxt.shape[-1])[int(a.reshape(-1).argmax())]  # (n,) the widest
            raise NotUniformError(
                f"stalled at a non-uniform fixed point after {k + 1} steps: spread "
                f"{a.max().item():.4g} >= tol {tol:g} ({_why_stalled(row, tau)})",
                spread=a,
                fixed_point=nxt,
                steps=k + 1,
            )
        p = nxt
    a = _spread(p)
    raise NotUniformError(
        f"spread {a.max().item():.4g} still >= tol {tol:g} after max_steps={max_steps} steps",
        spread=a,
        fixed_point=p,
        steps=max_steps,
        stalled=False,
    )
