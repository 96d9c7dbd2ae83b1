"""Vanishing and exploding gradients in RNN, LSTM and GRU.

Su Jianlin, 《也来谈谈RNN的梯度消失/爆炸问题》, kexue.fm/archives/7888 (2020-11-13). The gradient
of a recurrent net is itself a recurrence, dh_t/dθ = (∂h_t/∂h_{t-1}) dh_{t-1}/dθ + ∂h_t/∂θ, so
what reaches step t from step T is the product of the one-step Jacobians:

    simple RNN  h_t = φ(W x_t + U h_{t-1} + b):   ∂h_t/∂h_{t-1} = diag(φ'(·)) U
    LSTM        c_t = f_t c_{t-1} + i_t g_t:      ∂c_t/∂c_{t-1} = f_t + (secondary terms)
    GRU         h_t = z_t h_{t-1} + (1 - z_t) n_t:  ∂h_t/∂h_{t-1} = z_t + (secondary terms)

(torch's GRU calls z the gate that keeps the old state; Su writes it as 1 - z.) Products over
10^4 steps leave the float range, so every product here is kept in log space.

Conventions: parameters are dicts with torch's own names and gate orders (``weight_ih``,
``weight_hh``, ``bias_ih``, ``bias_hh``; LSTM gates i, f, g, o; GRU gates r, z, n), so
``nn.RNNCell(...).state_dict()`` and friends can be passed in. Time is the first dimension.
The state s is h for the RNNs and the GRU, and (h, c) stacked (size 2H) for the LSTM.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import torch

from theory_lib._checks import as_float_tensor, choice, integer, one_cpu_thread, positive

__all__ = [
    "CELLS",
    "init_params",
    "state_jacobians",
    "log_product_norms",
    "gradient_profile",
    "gradient_profiles",
    "gradient_norms",
    "decay_rate",
    "decay_fit",
    "lstm_terms",
    "secondary_term_bound",
    "adding_task",
    "train_adding",
    "StepJacobians",
    "GradientProfile",
    "DecayFit",
    "LSTMTerms",
    "TrainResult",
]

CELLS = ("rnn-tanh", "rnn-relu", "lstm", "gru")
_GATES = {"rnn-tanh": 1, "rnn-relu": 1, "lstm": 4, "gru": 3}
_NORMS = ("rms", "spectral")


# ---------------------------------------------------------------- checks and parameters
def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def _check_params(cell: str, params) -> dict:
    """The four tensors of a cell, with shapes checked; missing biases become zeros."""
    if not hasattr(params, "keys"):
        raise ValueError(f"params must be a dict with weight_ih and weight_hh, got {type(params).__name__}")
    for key in ("weight_ih", "weight_hh"):
        if key not in params:
            raise ValueError(f"params must contain {key!r} (torch's names), got keys {sorted(params)}")
    w_ih = as_float_tensor("params['weight_ih']", params["weight_ih"], min_dim=2)
    w_hh = as_float_tensor("params['weight_hh']", params["weight_hh"], min_dim=2)
    g = _GATES[cell]
    rows, hidden = w_hh.shape[0], w_hh.shape[-1]
    if w_hh.dim() != 2 or rows != g * hidden:
        raise ValueError(f"params['weight_hh'] must have shape ({g}*H, H) for cell {cell!r}, got {tuple(w_hh.shape)}")
    if w_ih.dim() != 2 or w_ih.shape[0] != rows:
        raise ValueError(f"params['weight_ih'] must have shape ({rows}, I) for cell {cell!r}, got {tuple(w_ih.shape)}")
    out = {"weight_ih": w_ih, "weight_hh": w_hh.to(w_ih.dtype)}
    for key in ("bias_ih", "bias_hh"):
        b = params.get(key)
        b = torch.zeros(rows, dtype=w_ih.dtype, device=w_ih.device) if b is None else as_float_tensor(f"params[{key!r}]", b)
        if b.shape != (rows,):
            raise ValueError(f"params[{key!r}] must have shape ({rows},), got {tuple(b.shape)}")
        out[key] = b.to(w_ih.dtype)
    return out


def _generator(seed, generator, device):
    if generator is not None:
        return generator
    if seed is None:
        return None
    return torch.Generator(device=device).manual_seed(integer("seed", seed, minimum=0))


def init_params(cell: str, hidden: int, weight_scale: float, forget_bias: float = 0.0, *,
                inputs: int | None = None, input_scale: float = 1.0, seed: int | None = None,
                device=None, dtype=torch.float64, generator=None) -> dict:
    """Random cell parameters: recurrent weights U ~ N(0, weight_scale²/H), input weights N(0, input_scale²/I).

    All biases are zero except ``forget_bias``, added to the gate that keeps the old state: the
    forget gate f of the LSTM, the gate z of torch's GRU (Su's 1 - z). The plain RNNs ignore it.
    ``weight_scale`` = 1 gives U a spectral radius of about 1 (circular law).
    """
    cell = choice("cell", cell, CELLS)
    hidden = integer("hidden", hidden, minimum=1)
    scale = positive("weight_scale", weight_scale, allow_zero=True)
    bias = _real("forget_bias", forget_bias)
    inputs = hidden if inputs is None else integer("inputs", inputs, minimum=1)
    in_scale = positive("input_scale", input_scale, allow_zero=True)
    device = torch.device("cpu") if device is None else torch.device(device)
    gen = _generator(seed, generator, device)
    rows = _GATES[cell] * hidden
    kw = dict(dtype=dtype, device=device, generator=gen)
    params = {
        "weight_ih": torch.randn(rows, inputs, **kw) * (in_scale / math.sqrt(inputs)),
        "weight_hh": torch.randn(rows, hidden, **kw) * (scale / math.sqrt(hidden)),
        "bias_ih": torch.zeros(rows, dtype=dtype, device=device),
        "bias_hh": torch.zeros(rows, dtype=dtype, device=device),
    }
    if cell in ("lstm", "gru"):  # second chunk: f in (i, f, g, o), z in (r, z, n)
        params["bias_ih"][hidden:2 * hidden] = bias
    return params


# ---------------------------------------------------------------- the forward pass
@dataclass
class _Trace:
    """What the forward pass leaves behind; every Jacobian is computed from it."""

    cell: str
    p: dict
    x: torch.Tensor            # (T, B, I)
    h: torch.Tensor            # (T+1, B, H); rnn-relu: h / exp(logscale), the rest of h in logscale
    c: torch.Tensor | None     # (T+1, B, H) LSTM cell state
    mask: torch.Tensor | None  # (T, B, H) rnn-relu: pre-activation > 0
    logscale: torch.Tensor | None  # (T+1, B) rnn-relu only

    @property
    def hidden(self):
        return self.h.shape[-1]

    def gates(self, t0: int, t1: int) -> torch.Tensor:
        """Gate pre-activations of steps t0+1 .. t1 (rows j -> step j+1), shape (n, B, G*H)."""
        p = self.p
        gi = self.x[t0:t1] @ p["weight_ih"].T + p["bias_ih"]   # (n, B, GH)
        gh = self.h[t0:t1] @ p["weight_hh"].T + p["bias_hh"]   # (n, B, GH)
        if self.cell == "gru":  # r multiplies the whole hidden part of n (torch's convention)
            return gi, gh
        return gi + gh


def _run(cell: str, x: torch.Tensor, p: dict, h0=None, c0=None) -> _Trace:
    """h_1 .. h_T from h_0 (zeros by default); states kept for the Jacobians."""
    T, B, _ = x.shape
    H = p["weight_hh"].shape[1]
    U_T = p["weight_hh"].T                                     # (H, GH)
    gi = x @ p["weight_ih"].T + p["bias_ih"] + (0 if cell == "gru" else p["bias_hh"])  # (T, B, GH)
    h = torch.empty(T + 1, B, H, dtype=x.dtype, device=x.device)
    h[0] = 0 if h0 is None else h0
    c = mask = logscale = None
    hs, gis = h.unbind(0), gi.unbind(0)
    if cell == "rnn-tanh":
        for t in range(T):
            torch.tanh(torch.addmm(gis[t], hs[t], U_T), out=hs[t + 1])  # h_t = tanh(W x_t + U h_{t-1} + b)
    elif cell == "rnn-relu":
        # h_t = relu(W x_t + U h_{t-1} + b) = e^{ρ_t} ĥ_t. When h heads for overflow, ĥ is divided by its
        # max and the inputs by e^{ρ}; the Jacobian diag(1[pre > 0]) U only needs the sign pattern,
        # which that scaling leaves alone. Checked every k steps, k small enough that growth by at most
        # ‖U‖_2 + 1 per step cannot go from 1e100 past the float range in between.
        mask = torch.empty(T, B, H, dtype=torch.bool, device=x.device)
        logscale = torch.zeros(T + 1, B, dtype=x.dtype, device=x.device)
        big = 1e100 if x.dtype == torch.float64 else 1e15
        room = math.log10(torch.finfo(x.dtype).max / big)
        grow = math.log10(torch.linalg.matrix_norm(p["weight_hh"], ord=2).item() + 1.0)
        k = int(max(1, min(16, room / max(grow, 1e-3) - 1)))
        rho, w, done, masks = logscale[0], None, 0, mask.unbind(0)
        for t in range(T):
            pre = torch.addmm(gis[t] if w is None else gis[t] * w, hs[t], U_T)  # pre-activation / e^{ρ}
            torch.gt(pre, 0, out=masks[t])
            torch.clamp_min(pre, 0, out=hs[t + 1])
            if t % k == k - 1:
                m = hs[t + 1].amax(-1)                                        # (B,)
                if bool((m > big).any()):                                     # rare: only when exploding
                    s = m.clamp_min(1.0)
                    hs[t + 1].div_(s.unsqueeze(-1))
                    logscale[done + 1:t + 1] = rho
                    rho = rho + torch.log(s)
                    logscale[t + 1], done, w = rho, t + 1, torch.exp(-rho).unsqueeze(-1)
        logscale[done + 1:] = rho
    elif cell == "lstm":
        c = torch.empty(T + 1, B, H, dtype=x.dtype, device=x.device)
        c[0] = 0 if c0 is None else c0
        cs = c.unbind(0)
        for t in range(T):
            a = torch.addmm(gis[t], hs[t], U_T)                               # (B, 4H): i, f, g, o
            i, f, g, o = torch.sigmoid(a).view(B, 4, H).unbind(1)
            g = torch.tanh(a[:, 2 * H:3 * H])
            torch.addcmul(f * cs[t], i, g, out=cs[t + 1])                     # c_t = f c_{t-1} + i g
            torch.mul(o, torch.tanh(cs[t + 1]), out=hs[t + 1])                # h_t = o tanh(c_t)
    else:  # gru
        U_rz, U_n = U_T[:, :2 * H], U_T[:, 2 * H:]
        gi_rz = (gi[..., :2 * H] + p["bias_hh"][:2 * H]).unbind(0)           # W x + b for r, z (both biases)
        gi_n, b_n = gi[..., 2 * H:].unbind(0), p["bias_hh"][2 * H:]
        for t in range(T):
            r, z = torch.sigmoid(torch.addmm(gi_rz[t], hs[t], U_rz)).view(B, 2, H).unbind(1)
            n = torch.tanh(torch.addcmul(gi_n[t], r, torch.addmm(b_n, hs[t], U_n)))  # tanh(W_n x + r (U_n h + b))
            torch.lerp(n, hs[t], z, out=hs[t + 1])                             # h_t = (1 - z) n + z h_{t-1}
    return _Trace(cell, p, x, h, c, mask, logscale)


def _jacobians(tr: _Trace, t0: int, t1: int, *, su_chain: bool = False):
    """One-step Jacobians J_t = ∂s_t/∂s_{t-1} for t = t0+1 .. t1: (n, B, S, S), the main term (n, B, H)
    (LSTM f, GRU z; None for the RNNs) and, with ``su_chain``, Su's ∂c_t/∂c_{t-1} (LSTM, t >= 2)."""
    H, cell, U = tr.hidden, tr.cell, tr.p["weight_hh"]
    if cell == "rnn-tanh":
        return (1 - tr.h[t0 + 1:t1 + 1] ** 2).unsqueeze(-1) * U, None, None      # diag(1 - h_t²) U
    if cell == "rnn-relu":
        return tr.mask[t0:t1].unsqueeze(-1).to(U.dtype) * U, None, None          # diag(1[pre > 0]) U
    if cell == "gru":
        gi, gh = tr.gates(t0, t1)
        r = torch.sigmoid(gi[..., :H] + gh[..., :H])
        z = torch.sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
        hn = gh[..., 2 * H:]                                                     # U_n h_{t-1} + b_hn
        n = torch.tanh(gi[..., 2 * H:] + r * hn)
        Ur, Uz, Un = U[:H], U[H:2 * H], U[2 * H:]
        dn = (1 - n ** 2).unsqueeze(-1) * (r.unsqueeze(-1) * Un + (hn * r * (1 - r)).unsqueeze(-1) * Ur)
        J = ((tr.h[t0:t1] - n) * z * (1 - z)).unsqueeze(-1) * Uz + (1 - z).unsqueeze(-1) * dn
        J.diagonal(dim1=-2, dim2=-1).add_(z)                                     # + diag(z): the main term
        return J, z, None
    # lstm: the state is (h, c)
    lo = max(t0 - 1, 0)
    a = tr.gates(lo, t1)                                                         # (n', B, 4H)
    s, g = torch.sigmoid(a), torch.tanh(a[..., 2 * H:3 * H])
    i, f, o = s[..., :H], s[..., H:2 * H], s[..., 3 * H:]
    k = t0 - lo                                                                  # rows of step t0+1 start here
    i_, f_, g_, o_ = i[k:], f[k:], g[k:], o[k:]
    c_prev, c_new = tr.c[t0:t1], tr.c[t0 + 1:t1 + 1]
    Ui, Uf, Ug, Uo = U[:H], U[H:2 * H], U[2 * H:3 * H], U[3 * H:]
    dc_dh = ((c_prev * f_ * (1 - f_)).unsqueeze(-1) * Uf + (g_ * i_ * (1 - i_)).unsqueeze(-1) * Ui
             + (i_ * (1 - g_ ** 2)).unsqueeze(-1) * Ug)                          # ∂c_t/∂h_{t-1}
    tc = torch.tanh(c_new)
    do = o_ * (1 - tc ** 2)                                                      # ∂h_t/∂c_t = o sech²(c_t)
    n, B = dc_dh.shape[:2]
    J = torch.zeros(n, B, 2 * H, 2 * H, dtype=U.dtype, device=U.device)
    J[..., :H, :H] = (tc * o_ * (1 - o_)).unsqueeze(-1) * Uo + do.unsqueeze(-1) * dc_dh
    J[..., :H, H:].diagonal(dim1=-2, dim2=-1).copy_(do * f_)
    J[..., H:, :H] = dc_dh
    J[..., H:, H:].diagonal(dim1=-2, dim2=-1).copy_(f_)
    K = None
    if su_chain:  # h_{t-1} = o_{t-1} tanh(c_{t-1}) with o_{t-1} held: ∂c_t/∂c_{t-1} = f_t + ∂c_t/∂h_{t-1} D_{t-1}
        D = torch.full_like(c_prev, float("nan"))                                # undefined for t = 1 (no o_0)
        if t0 >= 1:
            D[:] = o[:-1] * (1 - torch.tanh(c_prev) ** 2)
        else:
            D[1:] = o[:-1] * (1 - torch.tanh(c_prev[1:]) ** 2)
        K = dc_dh * D.unsqueeze(-2)
        K.diagonal(dim1=-2, dim2=-1).add_(f_)
    return J, f_, K


# ---------------------------------------------------------------- public: Jacobians
class StepJacobians(NamedTuple):
    """One-step Jacobians of a run; index j holds step t = j + 1 (``states`` index t holds s_t)."""

    state: torch.Tensor          # (T, B, S, S)  ∂s_t/∂s_{t-1}; S = H, or 2H for the LSTM's (h, c)
    states: torch.Tensor         # (T+1, B, S)   s_0 .. s_T
    main: torch.Tensor | None    # (T, B, H)     the main term: LSTM f_t, GRU z_t (torch's z); None for RNNs
    cell: torch.Tensor | None    # (T, B, H, H)  LSTM: Su's ∂c_t/∂c_{t-1}; row 0 (t = 1) is NaN


def _inputs_3d(inputs, p):
    x = as_float_tensor("inputs", inputs, min_dim=2)
    if x.dim() > 3:
        raise ValueError(f"inputs must have shape (T, I) or (T, B, I), got {tuple(x.shape)}")
    squeeze = x.dim() == 2
    x = x.unsqueeze(1) if squeeze else x
    if x.shape[-1] != p["weight_ih"].shape[1]:
        raise ValueError(f"inputs must have {p['weight_ih'].shape[1]} features (weight_ih's columns), "
                         f"got {x.shape[-1]}")
    return x.to(p["weight_ih"].dtype), squeeze


def _initial(name, v, B, H, like):
    if v is None:
        return None
    v = as_float_tensor(name, v).to(like)
    if v.shape not in ((H,), (B, H)):
        raise ValueError(f"{name} must have shape ({H},) or ({B}, {H}), got {tuple(v.shape)}")
    return v.expand(B, H)


@one_cpu_thread()
def state_jacobians(cell: str, inputs, params, h0=None, c0=None) -> StepJacobians:
    """∂s_t/∂s_{t-1} at every step, analytic and batched.

    simple RNN: diag(φ'(W x_t + U h_{t-1} + b)) U, i.e. diag(1 - h_t²) U for tanh, diag(1[· > 0]) U for relu;
    LSTM, s = (h, c): ∂c_t/∂c_{t-1} = diag(f_t), ∂c_t/∂h_{t-1} = diag(c f(1-f)) U_f + diag(g i(1-i)) U_i
    + diag(i (1-g²)) U_g, and h_t = o_t tanh(c_t) on top; GRU: diag(z) + diag((h-n) z(1-z)) U_z
    + diag((1-z)(1-n²)) (diag(r) U_n + diag((U_n h + b_hn) r(1-r)) U_r).
    ``inputs`` is (T, I) or (T, B, I); with (T, I) the batch dimension is dropped from the outputs.
    ``cell`` (LSTM only) is the article's ∂c_t/∂c_{t-1}, through h_{t-1} = o_{t-1} tanh(c_{t-1}) with
    o_{t-1} held fixed (see ``lstm_terms``). For "rnn-relu", exploding states come back as inf, but
    the Jacobians stay right: they only need the sign pattern.
    """
    cell = choice("cell", cell, CELLS)
    p = _check_params(cell, params)
    x, squeeze = _inputs_3d(inputs, p)
    B, H = x.shape[1], p["weight_hh"].shape[1]
    tr = _run(cell, x, p, _initial("h0", h0, B, H, x), _initial("c0", c0, B, H, x) if cell == "lstm" else None)
    J, main, K = _jacobians(tr, 0, x.shape[0], su_chain=cell == "lstm")
    states = tr.h
    if cell == "rnn-relu":
        states = tr.h * torch.exp(tr.logscale).unsqueeze(-1)
    elif cell == "lstm":
        states = torch.cat([tr.h, tr.c], dim=-1)
    out = StepJacobians(J, states, main, K)
    if squeeze:
        out = StepJacobians(*(None if v is None else v.squeeze(1) for v in out))
    return out


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
        self.out[T] = torch.log(self._norm(M0))                      # log‖M0‖
        self.M = M0.clone()
        self.logacc = torch.zeros(self.batch, dtype=self.dtype, device=self.device)  # P = e^{logacc} M

    def _norm(self, A):
        return torch.linalg.matrix_norm(A, ord=2) if self.norm == "spectral" else torch.linalg.matrix_norm(A)

    def feed(self, t0: int, J: torch.Tensor) -> None:
        dtype, n, eps = self.dtype, J.shape[0], torch.finfo(self.dtype).tiny
        tiny = 1e-200 if dtype == torch.float64 else 1e-20
        jn = torch.linalg.matrix_norm(J)                            # (n, *batch) Frobenius
        Jh = J / jn.clamp_min(eps)[..., None, None]                 # ‖Ĵ_t‖_F = 1 (or Ĵ = 0)
        # suffix[j] = logacc + Σ_{j' >= j} log‖J_{t0+j'+1}‖_F
        suffix = self.logacc + torch.flip(torch.cumsum(torch.flip(torch.log(jn), [0]), 0), [0])
        for k in (16, 1):                                           # renormalise every k steps
            buf = torch.empty(n, *self.batch, self.S, self.S, dtype=dtype, device=self.device)
            offs = torch.empty(n, *self.batch, dtype=dtype, device=self.device)
            M, acc, hi = self.M, torch.zeros(self.batch, dtype=dtype, device=self.device), n
            Js, bufs = Jh.unbind(0), buf.unbind(0)
            for j in range(n - 1, -1, -1):
                torch.matmul(M, Js[j], out=bufs[j])                 # P_{t0+j} ∝ M Ĵ_{t0+j+1}
                M = bufs[j]
                if (n - 1 - j) % k == k - 1 or j == 0:
                    offs[j:hi], hi = acc, j                         # these steps are at scale e^{acc}
                    s = torch.linalg.matrix_norm(M)
                    M = M / s.clamp_min(eps)[..., None, None]
                    acc = acc + torch.log(s)
            fro = torch.linalg.matrix_norm(buf)                     # (n, *batch)
            if not ((fro < tiny) & (fro > 0)).any():
                break
        val = torch.linalg.matrix_norm(buf, ord=2) if self.norm == "spectral" else fro
        self.out[t0:t0 + n] = torch.log(val) + offs + suffix
        self.M, self.logacc = M, suffix[0] + acc


@one_cpu_thread()
def log_product_norms(jacobians, norm: str = "rms") -> torch.Tensor:
    """log‖J_T J_{T-1} ⋯ J_{t+1}‖ for t = 0 .. T, from ``jacobians`` (T, *batch, S, S) holding J_1 .. J_T.

    Returned with time first, shape (T+1, *batch); entry T is log‖I‖ = 0. ``norm``: "rms" is
    ‖P‖_F / √S, the root-mean-square singular value, i.e. the typical gain ‖gᵀP‖ of a random unit
    upstream gradient g (E‖gᵀP‖² = ‖P‖_F²/S); "spectral" is ‖P‖_2, the worst case. They differ by at
    most ½ log S, so they decay at the same rate. Computed in log space: finite for any length.
    """
    J = as_float_tensor("jacobians", jacobians, min_dim=3)
    if J.shape[-1] != J.shape[-2]:
        raise ValueError(f"jacobians must be square in the last two dims, got {tuple(J.shape)}")
    norm = choice("norm", norm, _NORMS)
    S = J.shape[-1]
    eye = torch.eye(S, dtype=J.dtype, device=J.device).expand(*J.shape[1:-2], S, S)
    acc = _LogProduct(J.shape[0], "spectral" if norm == "spectral" else "fro", eye)
    acc.feed(0, J)
    out = acc.out if norm == "spectral" else acc.out - 0.5 * math.log(S)   # rms = ‖·‖_F / √S
    out[-1] = 0.0                                                            # log‖I‖, exactly
    return out


def _diag_suffix(logdiag: torch.Tensor, norm: str) -> torch.Tensor:
    """log‖∏_{s>t} diag(d_s)‖ for t = 0..T from log|d| (T, B, H): rms or spectral (max)."""
    cs = torch.flip(torch.cumsum(torch.flip(logdiag, [0]), 0), [0])  # (T, B, H): Σ_{s >= t+1}
    cs = torch.cat([cs, torch.zeros_like(cs[:1])], 0)                # index T: empty product
    if norm == "spectral":
        return cs.amax(-1)
    return 0.5 * (torch.logsumexp(2 * cs, -1) - math.log(logdiag.shape[-1]))


class GradientProfile(NamedTuple):
    """Log norms of gradient products; index t holds the product of steps t+1 .. T (time first)."""

    state: torch.Tensor        # (T+1, ...) log‖∂s_T/∂s_t‖, the exact product
    main: torch.Tensor         # (T+1, ...) LSTM ∏ f, GRU ∏ z (main terms only); RNN the bound (T-t) log‖U‖_2
    cell: torch.Tensor | None  # (T+1, ...) LSTM: product of Su's ∂c/∂c (entry 0 NaN: needs o_0); else None
    max_abs_c: float | None    # LSTM: the largest |c_t| met on the run; else None


@one_cpu_thread()
def gradient_profiles(T: int, hidden: int, weight_scale: float, forget_bias: float = 0.0,
                      seed: int | None = None, device=None, *, cells=CELLS, norm: str = "rms",
                      batch: int | None = None, input_scale: float = 1.0, dtype=torch.float64,
                      generator=None, chunk: int = 256) -> dict:
    """``gradient_profile`` for several cells at once: {cell: GradientProfile}.

    The products of all cells run in one batched loop (smaller states padded with zeros), which
    costs about as much as one cell. With ``seed`` each cell draws from its own generator seeded
    alike, so a cell's result does not depend on which others come along.
    """
    cells = tuple(cells) if isinstance(cells, (list, tuple)) else (cells,)
    if not cells or len(set(cells)) != len(cells):
        raise ValueError(f"cells must be distinct names from {list(CELLS)}, got {cells!r}")
    for c in cells:
        choice("cell", c, CELLS)
    T = integer("T", T, minimum=1)
    norm = choice("norm", norm, _NORMS)
    B = 1 if batch is None else integer("batch", batch, minimum=1)
    chunk = integer("chunk", chunk, minimum=1)
    device = torch.device("cpu") if device is None else torch.device(device)
    if generator is None and seed is not None:
        integer("seed", seed, minimum=0)
    runs = {}
    for c in cells:
        gen = _generator(seed, generator, device)
        p = init_params(c, hidden, weight_scale, forget_bias, input_scale=input_scale, device=device,
                        dtype=dtype, generator=gen)
        x = torch.randn(T, B, hidden, dtype=dtype, device=device, generator=gen)   # (T, B, I)
        runs[c] = _run(c, x, p)
    H = int(hidden)
    # one product slot per cell (S = H, or 2H for the LSTM), plus the LSTM's chain of Su's ∂c/∂c
    slots = [(c, "state", 2 * H if c == "lstm" else H) for c in cells] + [("lstm", "chain", H)] * ("lstm" in cells)
    Smax = max(S for *_, S in slots)
    M0 = torch.zeros(len(slots), B, Smax, Smax, dtype=dtype, device=device)
    for k, (*_, S) in enumerate(slots):
        M0[k, :, range(S), range(S)] = 1.0                                       # I_S padded with zeros
    prod = _LogProduct(T, "spectral" if norm == "spectral" else "fro", M0)
    mains = {c: [] for c in cells}
    for t0 in range(((T - 1) // chunk) * chunk, -1, -chunk):                   # latest chunk first
        t1 = min(t0 + chunk, T)
        Jall = torch.zeros(t1 - t0, len(slots), B, Smax, Smax, dtype=dtype, device=device)
        for c in cells:
            J, main, K = _jacobians(runs[c], t0, t1, su_chain=c == "lstm")
            Jall[:, slots.index((c, "state", J.shape[-1])), :, :J.shape[-1], :J.shape[-1]] = J
            if main is not None:
                mains[c].append(torch.log(main))
            if K is not None:  # the chain K_T ⋯ K_{t+1} starts at K_2 (K_1 needs o_0): I in its place
                if t0 == 0:
                    K[0] = torch.eye(H, dtype=dtype, device=device)
                Jall[:, slots.index(("lstm", "chain", H)), :, :H, :H] = K
        prod.feed(t0, Jall)
    out = prod.out                                                              # (T+1, slots, B)
    if norm == "rms":
        out = out - 0.5 * torch.log(torch.tensor([S for *_, S in slots], dtype=dtype, device=device)).unsqueeze(-1)
    out[T] = 0.0                                                                # log‖I‖, exactly
    result = {}
    for c in cells:
        tr = runs[c]
        state = out[:, slots.index((c, "state", 2 * H if c == "lstm" else H))]
        if c in ("lstm", "gru"):
            main = _diag_suffix(torch.cat(mains[c][::-1], 0), norm)
        else:
            lag = torch.arange(T, -1, -1, dtype=dtype, device=device)            # T - t
            main = lag * torch.log(torch.linalg.matrix_norm(tr.p["weight_hh"], ord=2))
            main[T] = 0.0  # (T - t) log‖U‖ is 0·(-inf) at t = T when U = 0
            main = main.unsqueeze(-1).expand(T + 1, B).clone()
        chain = max_c = None
        if c == "lstm":
            chain = out[:, slots.index(("lstm", "chain", H))].clone()
            chain[0] = math.nan
            max_c = tr.c.abs().max().item()
        if batch is None:
            state, main = state[:, 0], main[:, 0]
            chain = None if chain is None else chain[:, 0]
        result[c] = GradientProfile(state.clone(), main, chain, max_c)
    return result


def gradient_profile(cell: str, T: int, hidden: int, weight_scale: float, forget_bias: float = 0.0,
                     seed: int | None = None, device=None, *, norm: str = "rms", batch: int | None = None,
                     input_scale: float = 1.0, dtype=torch.float64, generator=None,
                     chunk: int = 256) -> GradientProfile:
    """``gradient_norms`` together with the article's main-term products, from one run.

    Random parameters as in ``init_params`` and inputs x_t ~ N(0, I_H), states from s_0 = 0. Besides
    the exact log‖∂s_T/∂s_t‖ it returns the product of the main terms alone (LSTM: ∏ diag f_s, GRU:
    ∏ diag z_s; the plain RNNs: the bound ‖∏ diag(φ') U‖ <= ‖U‖_2^{T-t}, as φ' <= 1) and, for the
    LSTM, the product of the article's ∂c_s/∂c_{s-1} (main + secondary terms).
    """
    cell = choice("cell", cell, CELLS)
    return gradient_profiles(T, hidden, weight_scale, forget_bias, seed, device, cells=(cell,), norm=norm,
                             batch=batch, input_scale=input_scale, dtype=dtype, generator=generator,
                             chunk=chunk)[cell]


def gradient_norms(cell: str, T: int, hidden: int, weight_scale: float, forget_bias: float = 0.0,
                   seed: int | None = None, device=None, *, norm: str = "rms", batch: int | None = None,
                   input_scale: float = 1.0, dtype=torch.float64, generator=None) -> torch.Tensor:
    """log‖∂s_T/∂s_t‖ for t = 0 .. T (time first; entry T is 0), the state s = h, or (h, c) for the LSTM.

    Random cell from ``init_params(cell, hidden, weight_scale, forget_bias)``, inputs x_t ~ N(0, I_H),
    s_0 = 0. ``norm`` = "rms" (‖P‖_F/√S, the gain of a random upstream gradient; default) or
    "spectral" (‖P‖_2, the worst case); see ``log_product_norms``. Natural log, computed in log
    space, so T = 10^4 neither overflows nor underflows. Shape (T+1,), or (T+1, batch) with
    ``batch`` independent input sequences through the same weights.
    """
    return gradient_profile(cell, T, hidden, weight_scale, forget_bias, seed, device, norm=norm, batch=batch,
                            input_scale=input_scale, dtype=dtype, generator=generator).state


def decay_rate(log_norms, skip: float = 0.1) -> torch.Tensor | float:
    """Per-step decay rate λ of a log-norm profile: log‖∂s_T/∂s_t‖ ≈ const - λ (T - t).

    Least-squares slope against the lag T - t over lags >= ``skip`` · T (the first lags are a
    transient), natural log per step: λ > 0 vanishes, λ < 0 explodes; half-life log 2 / λ steps.
    ``log_norms`` is time first, (T+1,) or (T+1, ...); a profile that hits -inf (an exactly zero
    product) has λ = inf. NaN entries (``GradientProfile.cell`` at t = 0) are left out.
    """
    ell = log_norms if isinstance(log_norms, torch.Tensor) else torch.as_tensor(log_norms, dtype=torch.float64)
    if not ell.is_floating_point() or ell.dim() < 1 or ell.shape[0] < 3:
        raise ValueError(f"log_norms must be a float tensor with at least 3 time steps, got shape {tuple(ell.shape)}")
    if (ell == math.inf).any():
        raise ValueError("log_norms must not contain +inf")
    if not (isinstance(skip, numbers.Real) and 0 <= skip < 1):
        raise ValueError(f"skip must be in [0, 1), got {skip!r}")
    T = ell.shape[0] - 1
    lag = torch.arange(T, -1, -1, dtype=ell.dtype, device=ell.device)          # T - t
    keep = (lag >= skip * T) & ~torch.isnan(ell).reshape(T + 1, -1).any(-1)
    if keep.sum() < 2:
        raise ValueError(f"skip must leave at least 2 lags, got {skip!r}")
    y = ell[keep].reshape(int(keep.sum()), -1)                                   # (n, batch)
    xk = lag[keep].unsqueeze(-1)
    dead = torch.isinf(y).any(0)
    y = torch.where(torch.isinf(y), torch.zeros_like(y), y)
    xm, ym = xk.mean(0), y.mean(0)
    slope = ((xk - xm) * (y - ym)).sum(0) / ((xk - xm) ** 2).sum(0)
    rate = torch.where(dead, torch.full_like(slope, math.inf), -slope).reshape(ell.shape[1:])
    return rate.item() if ell.dim() == 1 else rate


class DecayFit(NamedTuple):
    """What ``decay_fit`` measured on one profile: λ is a property of the window, not of the cell."""

    rate: float          # λ over the whole window (natural log per step); inf for an exactly zero product
    first: float         # λ over the window's first half
    second: float        # λ over its second half
    lags: tuple          # (first lag, last lag) of the window, (ceil(skip · T), T)
    verdict: str         # "vanishes", "explodes", "saturates", "flat" or "zero"


def _slope(lag: torch.Tensor, y: torch.Tensor) -> float:
    lm, ym = lag.mean(), y.mean()
    return (((lag - lm) * (y - ym)).sum() / ((lag - lm) ** 2).sum()).item()


def decay_fit(log_norms, skip: float = 0.1) -> DecayFit:
    """``decay_rate`` with its window, the rate over each half of it, and a verdict.

    Fits log‖∂s_T/∂s_t‖ ≈ const − λ (T − t) over lags k0 = ceil(skip · T) .. T, and again over
    each half. Verdict, in this order: "zero" (the product is exactly 0); "saturates" when the
    first half changes the norm by at least a factor 2 (|λ₁| · half ≥ log 2) and the second half
    goes on at less than a quarter of that pace or turns back (λ₂/λ₁ < 1/4): a bounded change,
    not exponential; "flat" when the fitted line changes the norm by less than a factor 2 over the
    whole window (|λ| (T − k0) < log 2: too slow to measure at this T); else "vanishes" (λ > 0) or
    "explodes" (λ < 0). A 1-D profile, time first (index t), as ``gradient_norms`` returns it.
    """
    ell = log_norms if isinstance(log_norms, torch.Tensor) else torch.as_tensor(log_norms, dtype=torch.float64)
    if not ell.is_floating_point() or ell.dim() != 1 or ell.shape[0] < 5:
        raise ValueError(f"log_norms must be a 1-D float tensor with at least 5 time steps, got shape {tuple(ell.shape)}")
    rate = decay_rate(ell, skip)
    T = ell.shape[0] - 1
    k0 = math.ceil(skip * T)                                                  # as decay_rate: lags >= skip · T
    if rate == math.inf:
        return DecayFit(math.inf, math.inf, math.inf, (k0, T), "zero")
    by_lag = torch.flip(ell, [0]).to(torch.float64)                              # index = lag T - t
    lag = torch.arange(T + 1, dtype=torch.float64)
    keep = ~torch.isnan(by_lag)
    mid = (k0 + T) // 2
    halves = []
    for a, b in ((k0, mid), (mid, T)):
        m = keep[a:b + 1]
        halves.append(-_slope(lag[a:b + 1][m], by_lag[a:b + 1][m]) if m.sum() >= 2 else rate)
    first, second = halves
    if abs(first) * (mid - k0) >= math.log(2) and second / first < 0.25:
        verdict = "saturates"
    elif abs(rate) * (T - k0) < math.log(2):
        verdict = "flat"
    else:
        verdict = "vanishes" if rate > 0 else "explodes"
    return DecayFit(rate, first, second, (k0, T), verdict)


# ---------------------------------------------------------------- the LSTM's main and secondary terms
class LSTMTerms(NamedTuple):
    """The article's split of ∂c_t/∂c_{t-1} for t = 2 .. T (row j holds t = j + 2)."""

    forget: torch.Tensor         # (T-1, B, H)     f_t, the main term (a diagonal)
    via_forget: torch.Tensor     # (T-1, B, H, H)  c_{t-1} ∂f_t/∂c_{t-1} = diag(c_{t-1} f(1-f)) U_f D_{t-1}
    via_input: torch.Tensor      # (T-1, B, H, H)  g_t ∂i_t/∂c_{t-1}     = diag(g i(1-i)) U_i D_{t-1}
    via_candidate: torch.Tensor  # (T-1, B, H, H)  i_t ∂g_t/∂c_{t-1}     = diag(i (1-g²)) U_g D_{t-1}
    total: torch.Tensor          # (T-1, B, H, H)  diag(f_t) + the three
    c_prev: torch.Tensor         # (T-1, B, H)     c_{t-1}


@one_cpu_thread()
def lstm_terms(inputs, params, h0=None, c0=None) -> LSTMTerms:
    """∂c_t/∂c_{t-1} = f_t + c_{t-1} ∂f_t/∂c_{t-1} + g_t ∂i_t/∂c_{t-1} + i_t ∂g_t/∂c_{t-1}, split term by term.

    Su's route: the gates see c_{t-1} only through h_{t-1} = o_{t-1} tanh(c_{t-1}), so each
    secondary term carries D_{t-1} = diag(o_{t-1} (1 - tanh² c_{t-1})) on the right; the first one
    also c_{t-1} on the left, which is where the bound |c sech² c| < 0.45 enters (exactly so only on
    the diagonal: off it, row i has c_{t-1,i} and column j has sech² c_{t-1,j}). ``inputs`` (T, I) or
    (T, B, I) with T >= 2; with (T, I) the batch dimension is dropped.
    """
    p = _check_params("lstm", params)
    x, squeeze = _inputs_3d(inputs, p)
    T, B, H = x.shape[0], x.shape[1], p["weight_hh"].shape[1]
    if T < 2:
        raise ValueError(f"inputs must have at least 2 time steps (the split needs o_{{t-1}}), got {T}")
    tr = _run("lstm", x, p, _initial("h0", h0, B, H, x), _initial("c0", c0, B, H, x))
    a = tr.gates(0, T)
    i, f, o = torch.sigmoid(a[..., :H]), torch.sigmoid(a[..., H:2 * H]), torch.sigmoid(a[..., 3 * H:])
    g = torch.tanh(a[..., 2 * H:3 * H])
    U = p["weight_hh"]
    c_prev = tr.c[1:T]                                                       # c_{t-1}, t = 2..T
    D = (o[:-1] * (1 - torch.tanh(c_prev) ** 2)).unsqueeze(-2)               # (T-1, B, 1, H)
    i, f, g = i[1:], f[1:], g[1:]
    vf = (c_prev * f * (1 - f)).unsqueeze(-1) * U[H:2 * H] * D
    vi = (g * i * (1 - i)).unsqueeze(-1) * U[:H] * D
    vg = (i * (1 - g ** 2)).unsqueeze(-1) * U[2 * H:3 * H] * D
    total = vf + vi + vg
    total.diagonal(dim1=-2, dim2=-1).add_(f)
    out = LSTMTerms(f, vf, vi, vg, total, c_prev)
    if squeeze:
        out = LSTMTerms(*(v.squeeze(1) for v in out))
    return out


def secondary_term_bound() -> float:
    """max over real c of |c sech² c| (about 0.4477, at c* solving 2 c tanh c = 1): the article's "< 0.45".

    d/dc [c sech² c] = sech² c (1 - 2 c tanh c); the root c* is found by bisection on [0, 2].
    """
    lo, hi = 0.0, 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 2 * mid * math.tanh(mid) < 1:
            lo = mid
        else:
            hi = mid
    c = 0.5 * (lo + hi)
    return c / math.cosh(c) ** 2


# ---------------------------------------------------------------- beyond the article: the adding task
def adding_task(T: int, batch: int, *, device=None, generator=None, dtype=torch.float32):
    """The adding problem (Hochreiter & Schmidhuber 1997), with a long gap built in.

    Input (T, batch, 2): channel 0 values u ~ U(0, 1), channel 1 two markers, the first within the
    first max(1, T // 10) steps, the second in the second half. Target (batch,): the sum of the two
    marked values. Predicting the mean 1 scores MSE Var(u1 + u2) = 1/6; knowing only the late value
    (short memory) scores Var(u1) = 1/12; only a memory across the gap reaches 0.
    """
    T = integer("T", T, minimum=4)
    batch = integer("batch", batch, minimum=1)
    device = torch.device("cpu") if device is None else torch.device(device)
    u = torch.rand(T, batch, dtype=dtype, device=device, generator=generator)
    first = torch.randint(0, max(1, T // 10), (batch,), device=device, generator=generator)
    second = torch.randint(T // 2, T, (batch,), device=device, generator=generator)
    marks = torch.zeros(T, batch, dtype=dtype, device=device)
    cols = torch.arange(batch, device=device)
    marks[first, cols] = 1.0
    marks[second, cols] = 1.0
    x = torch.stack([u, marks], dim=-1)                                       # (T, batch, 2)
    y = u[first, cols] + u[second, cols]                                      # (batch,)
    return x, y


class TrainResult(NamedTuple):
    losses: torch.Tensor   # (steps,) training MSE per step
    test_mse: float        # MSE on a fresh batch of 1000 sequences
    initial: dict          # the cell's parameters before training (torch's names, float64): feed them
                           # to ``state_jacobians`` to see how far gradients reached at the start


@one_cpu_thread()
def train_adding(cell: str, T: int, *, hidden: int = 32, steps: int = 300, batch: int = 64, lr: float = 1e-2,
                 clip: float = 1.0, forget_bias: float = 0.0, seed: int = 0, device=None) -> TrainResult:
    """Train a one-layer ``cell`` plus a linear read-out of h_T on ``adding_task(T)`` with Adam.

    torch's default initialisation U(-1/√H, 1/√H), drawn from a seeded generator (the global RNG
    is left alone), plus ``forget_bias`` on the LSTM's f / the GRU's z; gradient norm clipped to
    ``clip``. Returns the per-step training loss, the test MSE (to compare with 1/6 and 1/12) and
    the initial cell parameters.
    """
    cell = choice("cell", cell, CELLS)
    T = integer("T", T, minimum=4)
    hidden = integer("hidden", hidden, minimum=1)
    steps = integer("steps", steps, minimum=1)
    batch = integer("batch", batch, minimum=1)
    lr, clip = positive("lr", lr), positive("clip", clip)
    bias = _real("forget_bias", forget_bias)
    seed = integer("seed", seed, minimum=0)
    device = torch.device("cpu") if device is None else torch.device(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    kind = {"rnn-tanh": torch.nn.RNN, "rnn-relu": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    kw = {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}
    net = kind(2, hidden, **kw).to(device)
    head = torch.nn.Linear(hidden, 1).to(device)
    with torch.no_grad():
        for prm in [*net.parameters(), *head.parameters()]:  # all of torch's defaults are U(±1/√H) here
            bound = 1 / math.sqrt(hidden)
            prm.copy_(torch.rand(prm.shape, device=device, generator=gen) * 2 * bound - bound)
        if cell in ("lstm", "gru"):
            net.bias_ih_l0[hidden:2 * hidden] += bias
    initial = {k.removesuffix("_l0"): v.detach().clone().double() for k, v in net.state_dict().items()}
    opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=lr)
    losses = torch.empty(steps)
    for k in range(steps):
        x, y = adding_task(T, batch, device=device, generator=gen)
        out, _ = net(x)                                                       # (T, batch, H)
        loss = ((head(out[-1]).squeeze(-1) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([*net.parameters(), *head.parameters()], clip)
        opt.step()
        losses[k] = loss.detach()
    with torch.no_grad():
        x, y = adding_task(T, 1000, device=device, generator=gen)
        out, _ = net(x)
        test = ((head(out[-1]).squeeze(-1) - y) ** 2).mean().item()
    return TrainResult(losses, test, initial)
