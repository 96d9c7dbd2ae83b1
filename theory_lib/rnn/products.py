"""Gradient products in log space: log‖∂s_T/∂s_t‖ = log‖J_T J_{T-1} ⋯ J_{t+1}‖ for t = 0 .. T.

The gradient of a recurrent net is itself a recurrence, dh_t/dθ = (∂h_t/∂h_{t-1}) dh_{t-1}/dθ + ∂h_t/∂θ,
so step T reaches step t through the product of the one-step Jacobians J_s = ∂s_s/∂s_{s-1} (``cells``):

    ∂s_T/∂s_t = J_T J_{T-1} ⋯ J_{t+1}
    log‖J_T ⋯ J_{t+1}‖ = Σ_{s>t} log‖J_s‖_F + log‖Ĵ_T ⋯ Ĵ_{t+1}‖,   Ĵ_s = J_s / ‖J_s‖_F

Products over 10^4 steps leave the float range, so every factor is normalised and the logs summed.
Norms: "rms" ‖P‖_F / √S (the typical gain of a random upstream gradient) or "spectral" ‖P‖_2 (the
worst case); they differ by at most ½ log S. Beside the exact product, ``gradient_profiles`` keeps the
article's main terms alone: LSTM ∏ diag f_s, GRU ∏ diag z_s, plain RNN the bound (T - t) log‖U‖_2.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, fits, integer, no_grad, one_cpu_thread, public
from theory_lib.rnn.cells import CELLS, _generator, _jacobians, _run, init_params

_NORMS = ("rms", "spectral")


# ---------------------------------------------------------------- public: products in log space
class _LogProduct:
    """log‖J_T ⋯ J_{t+1}‖ for t = 0 .. T, fed with chunks of Jacobians from the end.

    ``feed(t0, J)`` takes J of shape (n, *batch, S, S) holding steps t0+1 .. t0+n, latest chunk
    first. Each J_t is first divided by its Frobenius norm (the logs are summed), so the running
    product M never grows (‖M Ĵ‖_F <= ‖M‖_F ‖Ĵ‖_2 <= ‖M‖_F); M is divided by its own Frobenius norm
    every 16 steps (every step if a chunk came near underflow), the logs summed again. A product
    that is exactly zero (every relu unit off) gives -inf.
    """

    def __init__(self, T: int, norm: str, M0: torch.Tensor):
        """``norm``: "fro" or "spectral"; ``M0`` (*batch, S, S) the start (I, or I padded with zeros)."""
        self.norm, self.S, self.dtype, self.device = norm, M0.shape[-1], M0.dtype, M0.device
        self.batch = tuple(M0.shape[:-2])
        self.out = torch.empty(T + 1, *self.batch, dtype=self.dtype, device=self.device)
        self.out[T] = torch.log(self._norm(M0))  # log‖M0‖
        self.M = M0.clone()
        self.logacc = torch.zeros(self.batch, dtype=self.dtype, device=self.device)  # P = e^{logacc} M

    def _norm(self, A):
        return torch.linalg.matrix_norm(A, ord=2) if self.norm == "spectral" else torch.linalg.matrix_norm(A)

    def feed(self, t0: int, J: torch.Tensor) -> None:
        dtype, n, eps = self.dtype, J.shape[0], torch.finfo(self.dtype).tiny
        tiny = 1e-200 if dtype == torch.float64 else 1e-20
        jn = torch.linalg.matrix_norm(J)  # (n, *batch) Frobenius
        Jh = J / jn.clamp_min(eps)[..., None, None]  # ‖Ĵ_t‖_F = 1 (or Ĵ = 0)
        # suffix[j] = logacc + Σ_{j' >= j} log‖J_{t0+j'+1}‖_F
        suffix = self.logacc + torch.flip(torch.cumsum(torch.flip(torch.log(jn), [0]), 0), [0])
        for k in (16, 1):  # renormalise every k steps
            buf = torch.empty(n, *self.batch, self.S, self.S, dtype=dtype, device=self.device)
            offs = torch.empty(n, *self.batch, dtype=dtype, device=self.device)
            M, acc, hi = self.M, torch.zeros(self.batch, dtype=dtype, device=self.device), n
            Js, bufs = Jh.unbind(0), buf.unbind(0)
            for j in range(n - 1, -1, -1):
                torch.matmul(M, Js[j], out=bufs[j])  # P_{t0+j} ∝ M Ĵ_{t0+j+1}
                M = bufs[j]
                if (n - 1 - j) % k == k - 1 or j == 0:
                    offs[j:hi], hi = acc, j  # these steps are at scale e^{acc}
                    s = torch.linalg.matrix_norm(M)
                    M = M / s.clamp_min(eps)[..., None, None]
                    acc = acc + torch.log(s)
            fro = torch.linalg.matrix_norm(buf)  # (n, *batch)
            if not ((fro < tiny) & (fro > 0)).any():
                break
        val = torch.linalg.matrix_norm(buf, ord=2) if self.norm == "spectral" else fro
        self.out[t0 : t0 + n] = torch.log(val) + offs + suffix
        self.M, self.logacc = M, suffix[0] + acc


@public(
    {"jacobians": [[[0.5, 0.1], [0.2, 0.9]], [[1.1, 0.0], [0.3, 0.7]], [[0.4, 0.2], [0.1, 0.8]]]},
    extremes={"norm": ["spectral"], "jacobians": [[[[1e150, 0.0], [0.0, 1e150]], [[1e-150, 0.0], [0.0, 1e-150]]]]},
    cannot=("grad",),
)
@one_cpu_thread()
def log_product_norms(jacobians, norm: str = "rms") -> torch.Tensor:
    """log‖J_T J_{T-1} ⋯ J_{t+1}‖ for t = 0 .. T, from ``jacobians`` (T, *batch, S, S) holding J_1 .. J_T.

    Returned with time first, shape (T+1, *batch); entry T is log‖I‖ = 0. ``norm``: "rms" is
    ‖P‖_F / √S, the root-mean-square singular value, i.e. the typical gain ‖gᵀP‖ of a random unit
    upstream gradient g (E‖gᵀP‖² = ‖P‖_F²/S); "spectral" is ‖P‖_2, the worst case. They differ by at
    most ½ log S, so they decay at the same rate. Computed in log space: finite for any length.
    """
    no_grad("jacobians", jacobians, "the product is renormalised in place")
    J = as_float_tensor("jacobians", jacobians, min_dim=3)
    if J.shape[-1] != J.shape[-2]:
        raise ValueError(f"jacobians must be square in the last two dims, got {_checks.shorten(jacobians)}")
    norm = choice("norm", norm, _NORMS)
    S = J.shape[-1]
    eye = torch.eye(S, dtype=J.dtype, device=J.device).expand(*J.shape[1:-2], S, S)
    acc = _LogProduct(J.shape[0], "spectral" if norm == "spectral" else "fro", eye)
    acc.feed(0, J)
    out = acc.out if norm == "spectral" else acc.out - 0.5 * math.log(S)  # rms = ‖·‖_F / √S
    out[-1] = 0.0  # log‖I‖, exactly
    return out


def _diag_suffix(logdiag: torch.Tensor, norm: str) -> torch.Tensor:
    """log‖∏_{s>t} diag(d_s)‖ for t = 0..T from log|d| (T, B, H): rms or spectral (max)."""
    cs = torch.flip(torch.cumsum(torch.flip(logdiag, [0]), 0), [0])  # (T, B, H): Σ_{s >= t+1}
    cs = torch.cat([cs, torch.zeros_like(cs[:1])], 0)  # index T: empty product
    if norm == "spectral":
        return cs.amax(-1)
    return 0.5 * (torch.logsumexp(2 * cs, -1) - math.log(logdiag.shape[-1]))


class GradientProfile(NamedTuple):
    """Log norms of gradient products; index t holds the product of steps t+1 .. T (time first)."""

    state: torch.Tensor  # (T+1, ...) log‖∂s_T/∂s_t‖, the exact product
    main: torch.Tensor  # (T+1, ...) LSTM ∏ f, GRU ∏ z (main terms only); RNN the bound (T-t) log‖U‖_2
    cell: torch.Tensor | None  # (T+1, ...) LSTM: product of Su's ∂c/∂c (entry 0 NaN: needs o_0); else None
    max_abs_c: float | None  # LSTM: the largest |c_t| met on the run; else None


@public(
    {"T": 6, "hidden": 3, "weight_scale": 1.0, "seed": 0},
    extremes={"T": [1, 2000], "weight_scale": [0.0, 1e6], "batch": [1, 8], "norm": ["spectral"]},
    nonfinite="cell is NaN at t = 0; -inf for a zero product",
)
@one_cpu_thread()
def gradient_profiles(
    T: int,
    hidden: int,
    weight_scale: float,
    forget_bias: float = 0.0,
    seed: int | None = None,
    device=None,
    *,
    cells=CELLS,
    norm: str = "rms",
    batch: int | None = None,
    input_scale: float = 1.0,
    dtype=torch.float64,
    generator=None,
    chunk: int = 256,
) -> dict:
    """``gradient_profile`` for several cells at once: {cell: GradientProfile}.

    The products of all cells run in one loop over the steps (batched by state size), which costs
    about as much as one cell. With ``seed`` each cell draws from its own generator seeded
    alike, so a cell's result does not depend on which others come along.
    """
    cells = tuple(cells) if isinstance(cells, (list, tuple)) else (cells,)
    for c in cells:
        choice("cells", c, CELLS)
    if not cells or len(set(cells)) != len(cells):
        raise ValueError(f"cells must be distinct names from {list(CELLS)}, got {cells!r}")
    T = integer("T", T, minimum=1)
    norm = choice("norm", norm, _NORMS)
    B = 1 if batch is None else integer("batch", batch, minimum=1)
    chunk = min(integer("chunk", chunk, minimum=1), T, _chunk_for(B))
    hidden = integer("hidden", hidden, minimum=1)
    fits("T", T, 16 * T * B * hidden * len(cells) + chunk * len(cells) * B * 4 * hidden * hidden)
    device = _checks.device("device", device, generator=generator)
    if generator is None and seed is not None:
        _checks.seed("seed", seed)
    runs = {}
    for c in cells:
        gen = _generator(seed, generator, device)
        p = init_params(
            c, hidden, weight_scale, forget_bias, input_scale=input_scale, device=device, dtype=dtype, generator=gen
        )
        x = torch.randn(T, B, hidden, dtype=dtype, device=device, generator=gen)  # (T, B, I)
        runs[c] = _run(c, x, p)
    rows = _profiles_of_runs(runs, T, hidden, norm, chunk)
    if batch is None:
        rows = {
            c: GradientProfile(*(None if v is None else v[:, 0] for v in g[:3]), g.max_abs_c) for c, g in rows.items()
        }
    return {c: g._replace(max_abs_c=None if g.max_abs_c is None else g.max_abs_c.max().item()) for c, g in rows.items()}


@public(
    {"T": 6, "hidden": 3, "settings": [[1.0, 0.0], [2.0, 1.0]], "seed": 0},
    extremes={"T": [1, 2000], "settings": [[[0.0, 0.0], [1e6, -1e6]]], "norm": ["spectral"]},
    kinds={"settings": "other"},
    nonfinite="cell is NaN at t = 0; -inf for a zero product",
)
@one_cpu_thread()
def gradient_profile_grid(
    T: int,
    hidden: int,
    settings,
    seed: int,
    device=None,
    *,
    cells=CELLS,
    norm: str = "rms",
    input_scale: float = 1.0,
    dtype=torch.float64,
    chunk: int = 64,
) -> list[dict]:
    """``gradient_profiles`` at many settings in one batched run: for each (weight_scale, forget_bias) of
    ``settings``, in order, {cell: GradientProfile}.

    Each setting draws its parameters and inputs as ``gradient_profiles(T, hidden, s, b, seed=seed)``
    does, and the settings run side by side as batch rows (weights per row), so the loops over the T
    steps run once for the whole grid: 8 settings cost about 3× one (0.9 s against 0.3 s on
    one CPU core, T = 2000, H = 16). The results equal one call per
    setting to rounding; where the run is chaotic (a tanh RNN at s >= 2), rounding grows over the T
    steps and only the curves' statistics agree, so a figure that must repaint identically computes
    each setting within the same grid every time.
    """
    T = integer("T", T, minimum=1)
    hidden = integer("hidden", hidden, minimum=1)
    norm = choice("norm", norm, _NORMS)
    cells = tuple(cells) if isinstance(cells, (list, tuple)) else (cells,)
    for c in cells:
        choice("cells", c, CELLS)
    if not cells or len(set(cells)) != len(cells):
        raise ValueError(f"cells must be distinct names from {list(CELLS)}, got {cells!r}")
    if not isinstance(settings, (list, tuple)) or not settings:
        raise ValueError(f"settings must be a non-empty list of (weight_scale, forget_bias) pairs, got {settings!r}")
    for pair in settings:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"settings must hold (weight_scale, forget_bias) pairs, got {pair!r}")
    N = len(settings)
    chunk = min(integer("chunk", chunk, minimum=1), T)  # not by N: a setting's result is the same in any grid
    # the runs' states and gates (at most 4 H per step and row for each cell), and a chunk's Jacobians:
    # their copies and the products' buffers, 8 of the LSTM's (2H)² per step and row
    fits("settings", settings, 4 * T * N * hidden * len(cells) + 8 * chunk * N * (2 * hidden) ** 2)
    device = _checks.device("device", device)
    _checks.seed("seed", seed)
    runs = {}
    for c in cells:
        params, x = [], None
        for s, b in settings:  # each setting's draws, as gradient_profiles makes them
            gen = _generator(seed, None, device)
            params.append(
                init_params(c, hidden, s, b, input_scale=input_scale, device=device, dtype=dtype, generator=gen)
            )
            x = torch.randn(T, 1, hidden, dtype=dtype, device=device, generator=gen)  # the same for every setting
        p = {k: torch.stack([q[k] for q in params]) for k in params[0]}  # weights (N, GH, ·), biases (N, GH)
        runs[c] = _run(c, x.expand(T, N, hidden), p)
    rows = _profiles_of_runs(runs, T, hidden, norm, chunk)
    return [
        {
            c: GradientProfile(
                *(None if v is None else v[:, k].clone() for v in g[:3]),
                None if g.max_abs_c is None else g.max_abs_c[k].item(),
            )
            for c, g in rows.items()
        }
        for k in range(N)
    ]


def _chunk_for(rows: int) -> int:
    """Steps per chunk of Jacobians: at most 1024 steps × rows (about 64 MB at H = 16), at least 16 steps."""
    return max(16, 1024 // rows)


def _profiles_of_runs(runs: dict, T: int, H: int, norm: str, chunk: int) -> dict:
    """{cell: GradientProfile} with a batch dimension: curves (T+1, B), max_abs_c (B,), from the runs.

    All cells' products run in one loop over the steps, in two batched products: one for the states
    of size H (RNNs, GRU, the LSTM's ∂c/∂c chain), one for the LSTM's (h, c) of size 2H."""
    cells = tuple(runs)
    tr0 = next(iter(runs.values()))
    B, dtype, device = tr0.h.shape[1], tr0.h.dtype, tr0.h.device
    # one product slot per cell (S = H, or 2H for the LSTM), plus the LSTM's chain of Su's ∂c/∂c
    slots = [(c, "state", 2 * H if c == "lstm" else H) for c in cells] + [("lstm", "chain", H)] * ("lstm" in cells)
    groups = {S: [k for k, (*_, S2) in enumerate(slots) if S2 == S] for S in sorted({S for *_, S in slots})}
    prods = {}
    for S, members in groups.items():
        eye = torch.eye(S, dtype=dtype, device=device).expand(len(members), B, S, S)
        prods[S] = _LogProduct(T, "spectral" if norm == "spectral" else "fro", eye)
    where = {slots[k]: (S, members.index(k)) for S, members in groups.items() for k in members}
    mains = {c: [] for c in cells}
    for t0 in range(((T - 1) // chunk) * chunk, -1, -chunk):  # latest chunk first
        t1 = min(t0 + chunk, T)
        Jall = {S: torch.empty(t1 - t0, len(m), B, S, S, dtype=dtype, device=device) for S, m in groups.items()}
        for c in cells:
            J, main, K = _jacobians(runs[c], t0, t1, su_chain=c == "lstm")
            S, i = where[c, "state", J.shape[-1]]
            Jall[S][:, i] = J
            if main is not None:
                mains[c].append(torch.log(main))
            if K is not None:  # the chain K_T ⋯ K_{t+1} starts at K_2 (K_1 needs o_0): I in its place
                if t0 == 0:
                    K[0] = torch.eye(H, dtype=dtype, device=device)
                S, i = where["lstm", "chain", H]
                Jall[S][:, i] = K
        for S, prod in prods.items():
            prod.feed(t0, Jall[S])
    result = {}
    for c in cells:
        tr = runs[c]
        S, i = where[c, "state", 2 * H if c == "lstm" else H]
        state = prods[S].out[:, i]  # (T+1, B)
        if norm == "rms":
            state = state - 0.5 * math.log(S)
        state[T] = 0.0  # log‖I‖, exactly
        if c in ("lstm", "gru"):
            main = _diag_suffix(torch.cat(mains[c][::-1], 0), norm)
        else:
            lag = torch.arange(T, -1, -1, dtype=dtype, device=device).unsqueeze(-1)  # T - t
            main = lag * torch.log(torch.linalg.matrix_norm(tr.p["weight_hh"], ord=2))  # (T+1, 1 or B)
            main[T] = 0.0  # (T - t) log‖U‖ is 0·(-inf) at t = T when U = 0
            main = main.expand(T + 1, B).clone()
        chain = max_c = None
        if c == "lstm":
            S, i = where["lstm", "chain", H]
            chain = prods[S].out[:, i] - (0.5 * math.log(H) if norm == "rms" else 0.0)
            chain[T] = 0.0
            chain[0] = math.nan
            max_c = tr.c.abs().amax(dim=(0, 2))  # (B,)
        result[c] = GradientProfile(state, main, chain, max_c)
    return result


@public(
    {"cell": "lstm", "T": 6, "hidden": 3, "weight_scale": 1.0, "seed": 0},
    extremes={"T": [1, 2000], "weight_scale": [0.0, 1e6], "cell": ["rnn-relu", "rnn-tanh", "gru"]},
    nonfinite="cell is NaN at t = 0; -inf for a zero product",
)
def gradient_profile(
    cell: str,
    T: int,
    hidden: int,
    weight_scale: float,
    forget_bias: float = 0.0,
    seed: int | None = None,
    device=None,
    *,
    norm: str = "rms",
    batch: int | None = None,
    input_scale: float = 1.0,
    dtype=torch.float64,
    generator=None,
    chunk: int = 256,
) -> GradientProfile:
    """``gradient_norms`` together with the article's main-term products, from one run.

    Random parameters as in ``init_params`` and inputs x_t ~ N(0, I_H), states from s_0 = 0. Besides
    the exact log‖∂s_T/∂s_t‖ it returns the product of the main terms alone (LSTM: ∏ diag f_s, GRU:
    ∏ diag z_s; the plain RNNs: the bound ‖∏ diag(φ') U‖ <= ‖U‖_2^{T-t}, as φ' <= 1) and, for the
    LSTM, the product of the article's ∂c_s/∂c_{s-1} (main + secondary terms).
    """
    cell = choice("cell", cell, CELLS)
    return gradient_profiles(
        T,
        hidden,
        weight_scale,
        forget_bias,
        seed,
        device,
        cells=(cell,),
        norm=norm,
        batch=batch,
        input_scale=input_scale,
        dtype=dtype,
        generator=generator,
        chunk=chunk,
    )[cell]


@public(
    {"cell": "gru", "T": 6, "hidden": 3, "weight_scale": 1.0, "seed": 0},
    extremes={"T": [1, 2000], "weight_scale": [0.0, 1e6], "cell": ["rnn-relu", "rnn-tanh", "lstm"]},
    nonfinite="-inf for a zero product (rnn-relu)",
)
def gradient_norms(
    cell: str,
    T: int,
    hidden: int,
    weight_scale: float,
    forget_bias: float = 0.0,
    seed: int | None = None,
    device=None,
    *,
    norm: str = "rms",
    batch: int | None = None,
    input_scale: float = 1.0,
    dtype=torch.float64,
    generator=None,
) -> torch.Tensor:
    """log‖∂s_T/∂s_t‖ for t = 0 .. T (time first; entry T is 0), the state s = h, or (h, c) for the LSTM.

    Random cell from ``init_params(cell, hidden, weight_scale, forget_bias)``, inputs x_t ~ N(0, I_H),
    s_0 = 0. ``norm`` = "rms" (‖P‖_F/√S, the gain of a random upstream gradient; default) or
    "spectral" (‖P‖_2, the worst case); see ``log_product_norms``. Natural log, computed in log
    space, so T = 10^4 neither overflows nor underflows. Shape (T+1,), or (T+1, batch) with
    ``batch`` independent input sequences through the same weights.
    """
    return gradient_profile(
        cell,
        T,
        hidden,
        weight_scale,
        forget_bias,
        seed,
        device,
        norm=norm,
        batch=batch,
        input_scale=input_scale,
        dtype=dtype,
        generator=generator,
    ).state
