"""Optimal transport between two clouds of word vectors: EMD, WMD, WCD, WRD and Su's bound.

Su Jianlin, 《从EMD、WMD到WRD：文本向量序列的相似度计算》, kexue.fm/archives/7388 (2020-05-13).
Mass p_i sits at i = 1..m, mass q_j is wanted at j = 1..n, moving one unit from i to j costs d_ij:

    EMD(p, q; d) = min_{gamma >= 0} sum_ij gamma_ij d_ij   s.t.  sum_j gamma_ij = p_i,  sum_i gamma_ij = q_j

a linear programme, solved here by ``scipy.optimize.linprog(method="highs")`` in float64 on the CPU
with all m + n equality rows (HiGHS copes with the redundant one; the article drops the last row,
which hides unequal totals: here |sum p - sum q| > 1e-9 raises instead). For sentences x (m, d) and
y (n, d) of word vectors:

    WMD = EMD(1/m, 1/n; ||x_i - y_j||)            (cost="rms": ||x_i - y_j||/sqrt(d), the article's code)
    WCD = ||mean_i x_i - mean_j y_j||  <=  WMD     (triangle inequality)
    WRD = EMD(||x_i||/Z, ||y_j||/Z'; 1 - cos(x_i, y_j)),  Z = sum_i ||x_i||, Z' = sum_j ||y_j||
    bound = (1/2) ||sum_i x_i/Z - sum_j y_j/Z'||^2  <=  WRD   (Jensen: 2(1 - cos) = ||u - v||^2 for units)

In one dimension with points at ``positions`` and cost |t_i - t_j| the LP value is the area between
the two CDFs (``emd_1d``). Distances are Python floats, plans float64 tensors on the inputs' device.
"""

from __future__ import annotations

import numpy as np
import torch

from theory_lib._checks import as_float_tensor, choice, integer, positive, public, shorten

__all__ = [
    "MASS_TOL",
    "COSTS",
    "emd",
    "emd_plan",
    "emd_1d",
    "word_mover_distance",
    "word_centroid_distance",
    "word_rotator_distance",
    "word_rotator_plan",
    "wrd_lower_bound",
    "sentence_distances",
    "sinkhorn",
]

MASS_TOL = 1e-9  # |sum p - sum q| above this: no transport plan exists (float32 masses: a few eps32 per entry)
COSTS = ("euclidean", "rms")
_MAX_WORDS = 2000  # m and n at most (the LP has m n variables)
_DENSE = 400  # plans of at most this many entries go to linprog as a dense matrix


# ---------------------------------------------------------------- checks
def _masses(name: str, value) -> torch.Tensor:
    t = as_float_tensor(name, value)
    if t.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor of masses, got shape {tuple(t.shape)}: {shorten(value)}")
    if t.numel() > _MAX_WORDS:
        raise ValueError(f"{name} must have at most {_MAX_WORDS} entries, got {t.numel()}")
    if bool((t < 0).any()):
        raise ValueError(f"{name} must hold masses >= 0, got {shorten(value)}")
    return t


def _problem(p, q, cost):
    a, b = _masses("p", p), _masses("q", q)
    d = as_float_tensor("cost", cost)
    if d.shape != (a.numel(), b.numel()):
        raise ValueError(
            f"cost must have shape (len(p), len(q)) = ({a.numel()}, {b.numel()}), got {tuple(d.shape)}: {shorten(cost)}"
        )
    sp, sq = a.double().sum().item(), b.double().sum().item()
    # float64: 1e-9; float32 masses carry rounding of about eps32 per entry, so their tolerance is that
    eps = max(torch.finfo(a.dtype).eps, torch.finfo(b.dtype).eps)
    tol = max(MASS_TOL, 4 * eps * (a.numel() + b.numel()) * max(sp, sq)) if eps > 1e-15 else MASS_TOL
    if abs(sp - sq) > tol:
        raise ValueError(
            f"q must hold the same total mass as p (|sum p - sum q| <= {tol:g}), got sum q = {sq:.12g} against "
            f"sum p = {sp:.12g}: {shorten(q)}"
        )
    if sq > 0:  # within the tolerance: q rescaled to p's total, so that the LP's rows agree exactly
        b = b.double() * (sp / sq)
    return a, b, d


def _sentence(name: str, value) -> torch.Tensor:
    t = as_float_tensor(name, value)
    if t.dim() != 2:
        raise ValueError(f"{name} must be a 2-D tensor (words, dim), got shape {tuple(t.shape)}: {shorten(value)}")
    if t.shape[0] > _MAX_WORDS:
        raise ValueError(f"{name} must have at most {_MAX_WORDS} words, got {t.shape[0]}")
    return t


def _pair(x, y):
    a, b = _sentence("x", x), _sentence("y", y)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"y must have the same dimension as x ({a.shape[1]}), got shape {tuple(b.shape)}")
    return a.detach().double().cpu(), b.detach().double().cpu(), a.device


# ---------------------------------------------------------------- the LP
def _solve(a: torch.Tensor, b: torch.Tensor, d: torch.Tensor) -> tuple[float, np.ndarray]:
    """The LP in float64 on the CPU: (value, plan (m, n))."""
    p = a.detach().double().cpu().numpy()
    q = b.detach().double().cpu().numpy()
    c = d.detach().double().cpu().numpy()
    m, n = c.shape
    if m == 1 or n == 1:  # one word on a side: the marginals force the only plan, gamma = p q^T / total
        plan = np.outer(p, q) / max(float(p.sum()), 1e-300)
        return float((plan * c).sum()), plan
    import scipy.optimize  # on first use: `import theory_lib` stays light
    import scipy.sparse

    rows = scipy.sparse.kron(scipy.sparse.identity(m), np.ones((1, n)))  # sum_j gamma_ij = p_i
    cols = scipy.sparse.kron(np.ones((1, m)), scipy.sparse.identity(n))  # sum_i gamma_ij = q_j
    a_eq = scipy.sparse.vstack([rows, cols]).tocsr()
    if m * n <= _DENSE:  # small problems: a dense matrix halves linprog's overhead
        a_eq = a_eq.toarray()
    scale = max(float(np.abs(c).max()), 1e-300)  # the LP on d / max|d|: HiGHS likes O(1) costs
    res = scipy.optimize.linprog(
        (c / scale).ravel(),
        A_eq=a_eq,
        b_eq=np.concatenate([p, q]),
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - consistent totals are always feasible and bounded
        raise RuntimeError(f"linprog failed: {res.message}")
    plan = res.x.reshape(m, n).clip(min=0.0)
    return float((plan * c).sum()), plan


_EXAMPLE = {"p": [0.5, 0.5], "q": [0.2, 0.3, 0.5], "cost": [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]]}
_SENTENCES = {"x": [[1.0, 0.5], [0.3, 1.2], [0.8, 0.9]], "y": [[0.7, 1.1], [1.5, 0.2]]}
_FACTS = dict(cannot=("grad", "batch"), extremes={"cost": [[[0.0, 1e12, 1e-12], [1e12, 0.0, 1.0]]]})
_WORDS = dict(cannot=("grad", "batch"), spans={"x": (0.1, 10.0), "y": (0.1, 10.0)})


@public(_EXAMPLE, **_FACTS)
def emd(p, q, cost) -> float:
    """min sum_ij gamma_ij d_ij over gamma >= 0 with row sums p (m,) and column sums q (n,); cost (m, n).

    All m + n equality rows are kept; |sum p - sum q| > 1e-9 raises ValueError naming q."""
    return _solve(*_problem(p, q, cost))[0]


@public(_EXAMPLE, **_FACTS)
def emd_plan(p, q, cost) -> torch.Tensor:
    """An optimal plan gamma (m, n), float64 on p's device: gamma >= 0, rows sum to p, columns to q."""
    a, b, d = _problem(p, q, cost)
    return torch.from_numpy(_solve(a, b, d)[1]).to(a.device)


@public({"p": [0.2, 0.5, 0.3], "q": [0.6, 0.1, 0.3]}, cannot=("grad", "batch"))
def emd_1d(p, q, positions=None) -> float:
    """The 1-D EMD with cost |t_i - t_j|: the area between the CDFs, sum_k |F_p(k) - F_q(k)| (t_{k+1} - t_k).

    p and q live on the same sorted ``positions`` (default 0, 1, ..., len(p) - 1)."""
    a, b = _masses("p", p), _masses("q", q)
    if a.numel() != b.numel():
        raise ValueError(f"q must have as many bins as p ({a.numel()}), got {b.numel()}: {shorten(q)}")
    _problem(a, b, torch.zeros(a.numel(), b.numel(), dtype=torch.float64))
    t = torch.arange(a.numel(), dtype=torch.float64) if positions is None else as_float_tensor("positions", positions)
    t = t.detach().double().cpu()
    if t.shape != (a.numel(),) or bool((t.diff() < 0).any()):
        raise ValueError(f"positions must be {a.numel()} sorted numbers, got {shorten(positions)}")
    gap = (a.detach().double().cpu().cumsum(0) - b.detach().double().cpu().cumsum(0))[:-1].abs()
    return float((gap * t.diff()).sum())


# ---------------------------------------------------------------- sentences
@public(_SENTENCES, **_WORDS)
def word_mover_distance(x, y, *, cost: str = "euclidean") -> float:
    """WMD = min sum gamma_ij ||x_i - y_j|| with masses 1/m and 1/n; cost="rms": ||x_i - y_j||/sqrt(d),
    the article's code (``.mean(axis=2)``), exactly WMD/sqrt(d)."""
    cost = choice("cost", cost, COSTS)
    a, b, _ = _pair(x, y)
    d = torch.cdist(a, b)
    if cost == "rms":
        d = d / a.shape[1] ** 0.5
    m, n = a.shape[0], b.shape[0]
    return _solve(torch.full((m,), 1.0 / m, dtype=torch.float64), torch.full((n,), 1.0 / n, dtype=torch.float64), d)[0]


@public(_SENTENCES, **_WORDS)
def word_centroid_distance(x, y) -> float:
    """WCD = ||(1/m) sum_i x_i - (1/n) sum_j y_j||, a lower bound of WMD."""
    a, b, _ = _pair(x, y)
    return float(torch.linalg.vector_norm(a.mean(0) - b.mean(0)))


def _directions(name: str, value, t: torch.Tensor):
    """(norms, unit vectors) of the rows, scaled by each row's largest entry first (no underflow at 1e-200)."""
    big = t.abs().amax(dim=1, keepdim=True)
    if bool((big == 0).any()):
        raise ValueError(f"{name} must have nonzero word vectors in WRD, got {shorten(value)}")
    small = t / big
    inner = small.norm(dim=1, keepdim=True)
    return (big * inner).squeeze(1), small / inner


def _rotator(x, y):
    a, b, device = _pair(x, y)
    (na, ua), (nb, ub) = _directions("x", x, a), _directions("y", y, b)
    for name, value, norms in (("x", x, na), ("y", y, nb)):
        if not bool(torch.isfinite(norms).all()):
            raise ValueError(f"{name} must have finite-norm word vectors in WRD, got {shorten(value)}")
    return na / na.sum(), nb / nb.sum(), (1.0 - ua @ ub.T).clamp(0.0, 2.0), ua, ub, device


@public(_SENTENCES, **_WORDS)
def word_rotator_distance(x, y) -> float:
    """WRD = EMD(||x_i||/Z, ||y_j||/Z'; 1 - cos(x_i, y_j)), in [0, 2]. No zero word vectors."""
    p, q, d, *_ = _rotator(x, y)
    return _solve(p, q, d)[0]


@public(_SENTENCES, **_WORDS)
def word_rotator_plan(x, y) -> torch.Tensor:
    """WRD's optimal plan (m, n), float64 on x's device."""
    p, q, d, _, _, device = _rotator(x, y)
    return torch.from_numpy(_solve(p, q, d)[1]).to(device)


@public(_SENTENCES, **_WORDS)
def wrd_lower_bound(x, y) -> float:
    """(1/2) ||sum_i x_i / Z - sum_j y_j / Z'||^2 <= WRD (Su's Jensen bound, halved to bound WRD itself)."""
    p, q, _, ua, ub, _ = _rotator(x, y)
    return 0.5 * float(((p[:, None] * ua).sum(0) - (q[:, None] * ub).sum(0)).square().sum())


@public(_SENTENCES, **_WORDS)
def sentence_distances(x, y, *, cost: str = "euclidean") -> dict:
    """All four at once with two LPs: {"wmd", "wcd", "wrd", "bound"} (floats; wmd and wcd in ``cost``, "rms"
    dividing both by sqrt(d)) and the optimal plans {"wmd_plan", "wrd_plan"} (float64 on x's device)."""
    cost = choice("cost", cost, COSTS)
    a, b, device = _pair(x, y)
    scale = a.shape[1] ** 0.5 if cost == "rms" else 1.0
    m, n = a.shape[0], b.shape[0]
    uniform = torch.full((m,), 1.0 / m, dtype=torch.float64), torch.full((n,), 1.0 / n, dtype=torch.float64)
    wmd, wmd_plan = _solve(*uniform, torch.cdist(a, b) / scale)
    p, q, d, ua, ub, _ = _rotator(x, y)
    wrd, wrd_plan = _solve(p, q, d)
    bound = 0.5 * float(((p[:, None] * ua).sum(0) - (q[:, None] * ub).sum(0)).square().sum())
    return {
        "wmd": wmd,
        "wcd": float(torch.linalg.vector_norm(a.mean(0) - b.mean(0))) / scale,
        "wrd": wrd,
        "bound": bound,
        "wmd_plan": torch.from_numpy(wmd_plan).to(device),
        "wrd_plan": torch.from_numpy(wrd_plan).to(device),
    }


@public(_EXAMPLE, cannot=("grad", "batch"), extremes={"temperature": [1e-3, 1e3]})
def sinkhorn(p, q, cost, temperature=0.1, *, iterations: int = 10_000) -> tuple[float, torch.Tensor]:
    """Entropic transport: gamma = exp((f_i + g_j - d_ij)/eps) with potentials f, g scaled in turn until
    gamma's rows sum to p and its columns to q (max error 1e-12, or ``iterations`` sweeps); returns
    (sum gamma_ij d_ij, gamma), float64 on p's device. As eps -> 0 the cost tends to ``emd``."""
    a, b, d = _problem(p, q, cost)
    eps = positive("temperature", temperature)
    sweeps = integer("iterations", iterations, minimum=1, maximum=10**6)
    dev = a.device
    a, b, d = a.double(), b.to(dev).double(), d.to(dev).double()
    if float(a.sum()) == 0:
        return 0.0, torch.zeros_like(d)
    la, lb = a.log(), b.log()
    f, g = torch.zeros_like(a), torch.zeros_like(b)
    for _ in range(sweeps):
        f = eps * (la - torch.logsumexp((g[None] - d) / eps, dim=1))
        f = torch.where(a > 0, f, torch.zeros_like(f))
        g = eps * (lb - torch.logsumexp((f[:, None] - d) / eps, dim=0))
        g = torch.where(b > 0, g, torch.zeros_like(g))
        plan = torch.exp((f[:, None] + g[None] - d) / eps) * (a > 0)[:, None] * (b > 0)[None]
        if float((plan.sum(1) - a).abs().max()) < 1e-12:
            break
    return float((plan * d).sum()), plan
