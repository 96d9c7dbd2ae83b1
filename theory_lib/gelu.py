"""GELU and where its two elementary approximations come from.

Su Jianlin, 《GELU的两个初等函数近似是怎么来的》, kexue.fm/archives/7309 (2020-03-26).

    GELU(x) = x Phi(x),  Phi(x) = (1 + erf(x / sqrt 2)) / 2
    tanh form:     Phi~(x) = (1 + tanh(a (x + c x^3))) / 2,   a = sqrt(2/pi), c = 0.044715   (c = b/a)
    logistic form: Phi~(x) = sigma(lam x),                    lam = 1.702

The Phi-level error is e(x) = Phi(x) - Phi~(x) (odd in x), the GELU-level error x e(x) (even): so the
largest |error| over the real line is the largest over x >= 0. ``gelu_error_peaks`` finds the local
maxima of |error| on a grid of [0, 60] (step 1e-3 up to 10) and refines each by a bounded Brent search
(x to 1e-10, so each peak value to about 1e-16). The error decays beyond every peak for the constants
allowed here (c >= 0, lam >= 0.5, a >= 0.3), so the grid's end is not a peak.

Fitting criteria (``fit_gelu_tanh``, ``fit_gelu_sigmoid``):

    taylor:       match the series at 0: a = sqrt(2/pi), c = (4 - pi)/(6 pi); lam = 4/sqrt(2 pi) (slope)
    minimax:      min over the constants of max_x |error(x)|; at the optimum k + 1 peaks (k free
                  constants) have equal size and alternating signs. A bounded (1 constant) or Nelder-Mead
                  (2 constants) search on the max gives a start; then the peaks are equalised by a root
                  solve on |peak_i| - |peak_i+1| = 0, each peak tracked by its own Brent search.
    lsq-uniform:  min int_{-4}^{4} error^2 dx;   lsq-normal: min int error^2 N(x; 0, 1) dx.
                  Solved as grad = int w error d(error)/d(constant) = 0 (composite Gauss-Legendre,
                  64 panels of 20 nodes on [0, 4] or [0, 12]) by a root solve.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib._checks import as_float_tensor, boolean, choice, public, real

__all__ = [
    "TANH_A",
    "TANH_C",
    "SIGMOID_LAMBDA",
    "APPROXIMATIONS",
    "CRITERIA",
    "LEVELS",
    "gelu",
    "gelu_error",
    "gelu_error_peaks",
    "gelu_max_error",
    "fit_gelu_tanh",
    "fit_gelu_sigmoid",
]

TANH_A = math.sqrt(2 / math.pi)  # the tanh form's linear coefficient a (from the Taylor fit)
TANH_C = 0.044715  # the published c = b/a
SIGMOID_LAMBDA = 1.702  # the published lam
APPROXIMATIONS = ("none", "tanh", "sigmoid")
CRITERIA = ("taylor", "minimax", "lsq-uniform", "lsq-normal")
LEVELS = ("phi", "gelu")
C_RANGE = (0.0, 1.0)  # valid c: c < 0 makes tanh(a(x + c x^3)) turn back, an error of 1 at infinity
LAMBDA_RANGE = (0.5, 20.0)
A_RANGE = (0.3, 3.0)
_GRID = np.concatenate([np.linspace(0.0, 10.0, 10_001), np.linspace(10.0, 60.0, 501)[1:]])
_XTOL = 1e-10


# ---------------------------------------------------------------- checks
def _form(approximate: str, value, a):
    """Validated (approximate, value, a) of an approximation; a = sqrt(2/pi) by default for tanh."""
    choice("approximate", approximate, ("tanh", "sigmoid"))
    if approximate == "tanh":
        c = real("value", value, lo=C_RANGE[0], hi=C_RANGE[1])
        return "tanh", c, TANH_A if a is None else real("a", a, lo=A_RANGE[0], hi=A_RANGE[1])
    if a is not None:
        raise ValueError(f"a must be None for the logistic form (it has no a), got {a!r}")
    return "sigmoid", real("value", value, lo=LAMBDA_RANGE[0], hi=LAMBDA_RANGE[1]), None


# ---------------------------------------------------------------- the functions
@public({"x": [-1.0, 0.0, 2.0]}, extremes={"x": [[-1e30, 1e30, 0.0], [-40.0, 40.0, 1e-30]]})
def gelu(x, approximate: str = "none", *, c: float = TANH_C, lam: float = SIGMOID_LAMBDA) -> torch.Tensor:
    """x Phi(x) with Phi(x) = (1 + erf(x/sqrt 2))/2 ("none"), or x Phi~(x) with the tanh form
    (1 + tanh(sqrt(2/pi)(x + c x^3)))/2 ("tanh") or the logistic form sigma(lam x) ("sigmoid").
    x's shape, dtype and device; differentiable. ``c`` in [0, 1], ``lam`` in [0.5, 20]."""
    t = as_float_tensor("x", x, min_dim=0)
    choice("approximate", approximate, APPROXIMATIONS)
    c = real("c", c, lo=C_RANGE[0], hi=C_RANGE[1])
    lam = real("lam", lam, lo=LAMBDA_RANGE[0], hi=LAMBDA_RANGE[1])
    return t * _phi_tilde(t, approximate, c if approximate == "tanh" else lam, TANH_A)


def _phi_tilde(t: torch.Tensor, approximate: str, value: float, a: float | None) -> torch.Tensor:
    if approximate == "none":
        return 0.5 * (1 + torch.erf(t * (1 / math.sqrt(2))))
    if approximate == "sigmoid":
        return torch.sigmoid(value * t)
    cube = t.clamp(-1e4, 1e4)  # beyond 1e4 tanh is saturated: no overflow of x^3, no inf * 0 in the gradient
    return 0.5 * (1 + torch.tanh(a * (t + value * cube**3)))


@public(
    {"x": [-1.0, 0.0, 2.0], "approximate": "tanh", "value": 0.044715},
    extremes={"x": [[-1e30, 1e30, 0.0]], "value": [0.0, 1.0]},
)
def gelu_error(x, approximate: str, value: float, *, level: str = "phi", a: float | None = None) -> torch.Tensor:
    """The error at x: Phi(x) - Phi~(x) (level "phi") or x (Phi(x) - Phi~(x)) (level "gelu"), for the tanh
    form with c = value (and a, sqrt(2/pi) unless given) or the logistic form with lam = value.
    Computed as sign(x)[(1 - Phi~(|x|)) - (1 - Phi(|x|))] (accurate in the tails). x's shape, dtype
    and device."""
    t = as_float_tensor("x", x, min_dim=0)
    approximate, value, a = _form(approximate, value, a)
    choice("level", level, LEVELS)
    r = t.abs()  # the error is odd: computed from the upper tails at |x|, accurate far out
    tail = 0.5 * torch.erfc(r * (1 / math.sqrt(2)))
    if approximate == "tanh":
        e = torch.sigmoid(-2 * a * (r + value * r.clamp(max=1e4) ** 3)) - tail
    else:
        e = torch.sigmoid(-value * r) - tail
    e = torch.sign(t) * e
    return e if level == "phi" else t * e


# ---------------------------------------------------------------- numpy kernels (float64)
def _err(x: np.ndarray, form: str, params: tuple, level: str) -> np.ndarray:
    """The error on x >= 0 for params (c, a) (tanh) or (lam,) (sigmoid), from the upper tails
    (1 - Phi~) - (1 - Phi): accurate to a relative 1e-15 far out, where Phi and Phi~ are both 1."""
    from scipy import special  # on first use: `import theory_lib` stays light

    if form == "tanh":
        c, a = params
        e = special.expit(-2 * a * (x + c * x**3)) - special.ndtr(-x)
    else:
        e = special.expit(-params[0] * x) - special.ndtr(-x)
    return e if level == "phi" else x * e


def _derr(x: np.ndarray, form: str, params: tuple, level: str, free: tuple) -> np.ndarray:
    """d(error)/d(param) for each free parameter index: shape (len(free), len(x))."""
    from scipy import special  # on first use: `import theory_lib` stays light

    if form == "tanh":
        c, a = params
        u = a * (x + c * x**3)
        sech2 = 1 / np.cosh(np.minimum(np.abs(u), 350.0)) ** 2
        rows = {0: -0.5 * sech2 * a * x**3, 1: -0.5 * sech2 * (x + c * x**3)}
    else:
        s = special.expit(params[0] * x)
        rows = {0: -s * (1 - s) * x}
    d = np.stack([rows[i] for i in free])
    return d if level == "phi" else x * d


def _peaks(form: str, params: tuple, level: str) -> list[tuple[float, float]]:
    """Every local maximum of |error| over x > 0: (x, signed error), refined by bounded Brent."""
    e = _err(_GRID, form, params, level)
    m = np.abs(e)
    idx = np.flatnonzero((m[1:-1] >= m[:-2]) & (m[1:-1] > m[2:]) & (m[1:-1] > 0)) + 1
    out = []
    for i in idx:
        s = math.copysign(1.0, e[i])
        x = _refine(form, params, level, s, _GRID[i - 1], _GRID[i + 1])
        out.append((x, float(_err(np.array([x]), form, params, level)[0])))
    return out


def _refine(form, params, level, sign, lo, hi) -> float:
    from scipy import optimize  # on first use: `import theory_lib` stays light

    res = optimize.minimize_scalar(
        lambda x: -sign * _err(np.array([x]), form, params, level)[0],
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": _XTOL},
    )
    return float(res.x)


def _grid_max(form, params, level) -> float:
    """max |error| on the grid alone: the coarse searches' objective (relative error about 1e-7)."""
    return float(np.abs(_err(_GRID, form, params, level)).max())


def _max_error(form, params, level) -> float:
    return max((abs(v) for _, v in _peaks(form, params, level)), default=0.0)


@public({"approximate": "tanh", "value": 0.044715}, extremes={"value": [0.0, 1.0]}, cannot=("grad",))
def gelu_error_peaks(
    approximate: str, value: float, *, level: str = "phi", a: float | None = None
) -> list[tuple[float, float]]:
    """The local maxima of |error| over x > 0 as (x, signed error), in increasing x (x to 1e-10). By
    symmetry the peaks over x < 0 are their mirror images (sign flipped at level "phi")."""
    form, value, a = _form(approximate, value, a)
    choice("level", level, LEVELS)
    return _peaks(form, (value, a) if form == "tanh" else (value,), level)


@public({"approximate": "sigmoid", "value": 1.702}, extremes={"value": [0.5, 20.0]}, cannot=("grad",))
def gelu_max_error(approximate: str, value: float, *, level: str = "phi", a: float | None = None) -> float:
    """max over the real line of |error| for the tanh form (c = value; a = sqrt(2/pi) unless given)
    or the logistic form (lam = value), at level "phi" (Phi - Phi~) or "gelu" (x (Phi - Phi~))."""
    return max((abs(v) for _, v in gelu_error_peaks(approximate, value, level=level, a=a)), default=0.0)


# ---------------------------------------------------------------- fitting
def _minimax(form, start: tuple, free: tuple, level: str, bounds) -> tuple:
    """The min-max parameters: a coarse search, then the k + 1 largest peaks equalised by a root solve."""
    from scipy import optimize  # on first use: `import theory_lib` stays light

    def put(p):
        q = list(start)
        for i, v in zip(free, p, strict=True):
            q[i] = float(v)
        return tuple(q)

    if len(free) == 1:
        res = optimize.minimize_scalar(
            lambda v: _grid_max(form, put([v]), level), bounds=bounds, method="bounded", options={"xatol": 1e-8}
        )
        p0 = np.array([res.x])
    else:
        res = optimize.minimize(
            lambda p: _grid_max(form, put(p), level),
            [start[i] for i in free],
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-14, "maxiter": 4000},
        )
        p0 = res.x
    peaks = sorted(sorted(_peaks(form, put(p0), level), key=lambda pv: -abs(pv[1]))[: len(free) + 1])
    xs = [x for x, _ in peaks]
    signs = [math.copysign(1.0, v) for _, v in peaks]
    if any(s1 == s2 for s1, s2 in zip(signs, signs[1:], strict=False)):
        raise RuntimeError(f"the largest peaks {peaks} do not alternate in sign: no equioscillation found")
    gaps = np.diff(xs)
    half = [min(0.3, *(g / 2 for g in gaps[max(i - 1, 0) : i + 1])) for i in range(len(xs))]

    def heights(p):
        q = put(p)
        out = []
        for x, s, h in zip(xs, signs, half, strict=True):
            xp = _refine(form, q, level, s, x - h, x + h)
            out.append(s * _err(np.array([xp]), form, q, level)[0])
        return np.array(out)

    sol = optimize.root(lambda p: np.diff(heights(p)) * 1e4, p0, method="hybr", options={"xtol": 1e-14})
    return put(sol.x)


_PANELS = 64
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)


def _quadrature(criterion: str):
    """Nodes and weights on [0, L] of the criterion's weight: 1 on [0, 4], or N(0, 1) on [0, 12]."""
    end = 4.0 if criterion == "lsq-uniform" else 12.0
    edges = np.linspace(0.0, end, _PANELS + 1)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    x = (mid[:, None] + half[:, None] * _NODES[None]).ravel()
    w = (half[:, None] * _WEIGHTS[None]).ravel()
    return x, w * (1.0 if criterion == "lsq-uniform" else np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi))


def _least_squares(form, start: tuple, free: tuple, level: str, criterion: str) -> tuple:
    """Solve int w e de/dp = 0 (the derivative of the weighted squared error) for the free parameters."""
    from scipy import optimize  # on first use: `import theory_lib` stays light

    x, w = _quadrature(criterion)

    def put(p):
        q = list(start)
        for i, v in zip(free, p, strict=True):
            q[i] = float(v)
        return tuple(q)

    def grad(p):
        q = put(p)
        return _derr(x, form, q, level, free) @ (w * _err(x, form, q, level)) * 1e3

    sol = optimize.root(grad, [start[i] for i in free], method="hybr", options={"xtol": 1e-14})
    return put(sol.x)


@functools.lru_cache(maxsize=64)
def _fit(form: str, criterion: str, level: str, free_a: bool) -> tuple:
    if form == "tanh":
        start, free = ((4 - math.pi) / (6 * math.pi), TANH_A), ((0, 1) if free_a else (0,))
        bounds = (0.0, 0.2)
    else:
        start, free, bounds = (4 / math.sqrt(2 * math.pi),), (0,), (0.5, 5.0)
    if criterion == "taylor":
        params = start
    elif criterion == "minimax":
        params = _minimax(form, start, free, level, bounds)
    else:
        params = _least_squares(form, start, free, level, criterion)
    return params, _max_error(form, params, level)


@public({"criterion": "taylor"}, cannot=("grad",))
def fit_gelu_tanh(criterion: str = "minimax", *, level: str = "phi", free_a: bool = False) -> tuple:
    """(a, c, max_error) of the tanh form Phi~(x) = (1 + tanh(a(x + c x^3)))/2 under ``criterion``:
    "taylor" (a = sqrt(2/pi), c = (4 - pi)/(6 pi): no x or x^3 term in the residual at 0), "minimax"
    (least max |error| over the real line), "lsq-uniform" (least int_{-4}^{4} error^2 dx) or
    "lsq-normal" (least E error(X)^2, X ~ N(0, 1)); a stays sqrt(2/pi) unless ``free_a`` (ignored by
    "taylor", whose a is fixed by the x term). ``level``: the error minimised, "phi" (Phi - Phi~) or
    "gelu" (x (Phi - Phi~)); max_error is that error's max |value| over the real line."""
    choice("criterion", criterion, CRITERIA)
    choice("level", level, LEVELS)
    boolean("free_a", free_a)
    (c, a), worst = _fit("tanh", criterion, level, bool(free_a) and criterion != "taylor")
    return a, c, worst


@public({"criterion": "taylor"}, cannot=("grad",))
def fit_gelu_sigmoid(criterion: str = "minimax", *, level: str = "phi") -> tuple:
    """(lam, max_error) of the logistic form Phi~(x) = sigma(lam x) under ``criterion`` (as in
    ``fit_gelu_tanh``; "taylor" matches the slope at 0: lam/4 = 1/sqrt(2 pi))."""
    choice("criterion", criterion, CRITERIA)
    choice("level", level, LEVELS)
    (lam,), worst = _fit("sigmoid", criterion, level, False)
    return lam, worst
