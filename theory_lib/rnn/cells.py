"""The cells and their one-step Jacobians: RNN, LSTM and GRU run forward, ∂s_t/∂s_{t-1} at every step.

What reaches step t from step T is the product of one-step Jacobians J_t = ∂s_t/∂s_{t-1}; this
module runs the cells and derives each J_t analytically:

    simple RNN  h_t = φ(W x_t + U h_{t-1} + b):         J_t = diag(φ'(W x_t + U h_{t-1} + b)) U
    LSTM        c_t = f_t c_{t-1} + i_t g_t,  h_t = o_t tanh(c_t),  s = (h, c):
                ∂c_t/∂c_{t-1} = diag(f_t),  ∂h_t/∂c_{t-1} = diag(o_t sech² c_t f_t),
                ∂c_t/∂h_{t-1} = diag(c_{t-1} f(1-f)) U_f + diag(g i(1-i)) U_i + diag(i (1-g²)) U_g,
                ∂h_t/∂h_{t-1} = diag(o_t sech² c_t) ∂c_t/∂h_{t-1} + diag(tanh(c_t) o(1-o)) U_o
    GRU         h_t = z_t h_{t-1} + (1 - z_t) n_t:       J_t = diag(z_t) + diag((h_{t-1} - n) z(1-z)) U_z
                + diag((1-z)(1-n²)) (diag(r) U_n + diag((U_n h_{t-1} + b_hn) r(1-r)) U_r)

(torch's GRU calls z the gate that keeps the old state; Su writes it as 1 - z.) ``state_jacobians``
returns J_t batched, with the main terms (LSTM f_t, GRU z_t) and, for the LSTM, Su's ∂c_t/∂c_{t-1}.

Conventions: parameters are dicts with torch's own names and gate orders (``weight_ih``,
``weight_hh``, ``bias_ih``, ``bias_hh``; LSTM gates i, f, g, o; GRU gates r, z, n), so
``nn.RNNCell(...).state_dict()`` and friends can be passed in. Time is the first dimension.
The state s is h for the RNNs and the GRU, and (h, c) stacked (size 2H) for the LSTM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, fits, integer, no_grad, one_cpu_thread, positive, public, real

CELLS = ("rnn-tanh", "rnn-relu", "lstm", "gru")
_GATES = {"rnn-tanh": 1, "rnn-relu": 1, "lstm": 4, "gru": 3}


# ---------------------------------------------------------------- checks and parameters
def _real(name: str, value) -> float:
    return real(name, value)


def _check_params(cell: str, params) -> dict:
    """The four tensors of a cell, with shapes checked; missing biases become zeros."""
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with weight_ih and weight_hh, got {_checks.shorten(params)}")
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
        b = (
            torch.zeros(rows, dtype=w_ih.dtype, device=w_ih.device)
            if b is None
            else as_float_tensor(f"params[{key!r}]", b)
        )
        if b.shape != (rows,):
            raise ValueError(f"params[{key!r}] must have shape ({rows},), got {tuple(b.shape)}")
        out[key] = b.to(w_ih.dtype)
    return out


def _generator(seed, generator, device):
    if generator is not None:
        return generator
    if seed is None:
        return None
    return torch.Generator(device=device).manual_seed(_checks.seed("seed", seed))


@public(
    {"cell": "lstm", "hidden": 3, "weight_scale": 1.0, "seed": 0},
    extremes={
        "hidden": [1, 1000],
        "weight_scale": [0.0, 1e300],
        "forget_bias": [-1e300, 1e300],
        "seed": [2**63 - 1],
        "cell": ["rnn-tanh", "rnn-relu", "gru"],
    },
)
def init_params(
    cell: str,
    hidden: int,
    weight_scale: float,
    forget_bias: float = 0.0,
    *,
    inputs: int | None = None,
    input_scale: float = 1.0,
    seed: int | None = None,
    device=None,
    dtype=torch.float64,
    generator=None,
) -> dict:
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
    fits("hidden", hidden, _GATES[cell] * hidden * (hidden + inputs))
    device = _checks.device("device", device, generator=generator)
    dtype = _checks.dtype("dtype", dtype)
    gen = _generator(seed, _checks.generator("generator", generator, device), device)
    rows = _GATES[cell] * hidden
    kw = dict(dtype=dtype, device=device, generator=gen)
    params = {
        "weight_ih": torch.randn(rows, inputs, **kw) * (in_scale / math.sqrt(inputs)),
        "weight_hh": torch.randn(rows, hidden, **kw) * (scale / math.sqrt(hidden)),
        "bias_ih": torch.zeros(rows, dtype=dtype, device=device),
        "bias_hh": torch.zeros(rows, dtype=dtype, device=device),
    }
    if cell in ("lstm", "gru"):  # second chunk: f in (i, f, g, o), z in (r, z, n)
        params["bias_ih"][hidden : 2 * hidden] = bias
    return params


# ---------------------------------------------------------------- the forward pass
@dataclass
class _Trace:
    """What the forward pass leaves behind; every Jacobian is computed from it."""

    cell: str
    p: dict
    x: torch.Tensor  # (T, B, I)
    h: torch.Tensor  # (T+1, B, H); rnn-relu: h / exp(logscale), the rest of h in logscale
    c: torch.Tensor | None  # (T+1, B, H) LSTM cell state
    mask: torch.Tensor | None  # (T, B, H) rnn-relu: pre-activation > 0
    logscale: torch.Tensor | None  # (T+1, B) rnn-relu only

    @property
    def hidden(self):
        return self.h.shape[-1]

    def gates(self, t0: int, t1: int) -> torch.Tensor:
        """Gate pre-activations of steps t0+1 .. t1 (rows j -> step j+1), shape (n, B, G*H)."""
        p = self.p
        gi = _times_T(self.x[t0:t1], p["weight_ih"]) + p["bias_ih"]  # (n, B, GH)
        gh = _times_T(self.h[t0:t1], p["weight_hh"]) + p["bias_hh"]  # (n, B, GH)
        if self.cell == "gru":  # r multiplies the whole hidden part of n (torch's convention)
            return gi, gh
        return gi + gh


def _times_T(v: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """v @ Wᵀ: with weights W (M, K) shared by the batch, or per batch row, W (B, M, K) for v (..., B, K)."""
    return v @ W.T if W.dim() == 2 else (v.movedim(-2, 0) @ W.mT).movedim(0, -2)  # one matmul per row


def _run(cell: str, x: torch.Tensor, p: dict, h0=None, c0=None) -> _Trace:
    """h_1 .. h_T from h_0 (zeros by default); states kept for the Jacobians.

    ``p`` holds one cell's parameters, or (products.gradient_profile_grid) one per batch row: weights
    (B, GH, ·) and biases (B, GH)."""
    T, B, _ = x.shape
    H = p["weight_hh"].shape[-1]
    U_T = p["weight_hh"].mT  # (H, GH), or (B, H, GH) per row
    if U_T.dim() == 2:
        lin = torch.addmm  # g + h U^T
    else:

        def lin(g, h, u):  # the same, row by row
            return torch.baddbmm(g.unsqueeze(1), h.unsqueeze(1), u).squeeze(1)

    gi = _times_T(x, p["weight_ih"]) + p["bias_ih"] + (0 if cell == "gru" else p["bias_hh"])  # (T, B, GH)
    h = torch.empty(T + 1, B, H, dtype=x.dtype, device=x.device)
    h[0] = 0 if h0 is None else h0
    c = mask = logscale = None
    hs, gis = h.unbind(0), gi.unbind(0)
    if cell == "rnn-tanh":
        for t in range(T):
            torch.tanh(lin(gis[t], hs[t], U_T), out=hs[t + 1])  # h_t = tanh(W x_t + U h_{t-1} + b)
    elif cell == "rnn-relu":
        # h_t = relu(W x_t + U h_{t-1} + b) = e^{ρ_t} ĥ_t. When h heads for overflow, ĥ is divided by its
        # max and the inputs by e^{ρ}; the Jacobian diag(1[pre > 0]) U only needs the sign pattern,
        # which that scaling leaves alone. Checked every k steps, k small enough that growth by at most
        # ‖U‖_2 + 1 per step cannot go from 1e100 past the float range in between.
        mask = torch.empty(T, B, H, dtype=torch.bool, device=x.device)
        logscale = torch.zeros(T + 1, B, dtype=x.dtype, device=x.device)
        big = 1e100 if x.dtype == torch.float64 else 1e15
        room = math.log10(torch.finfo(x.dtype).max / big)
        grow = math.log10(torch.linalg.matrix_norm(p["weight_hh"], ord=2).max().item() + 1.0)
        k = int(max(1, min(16, room / max(grow, 1e-3) - 1)))
        rho, w, done, masks = logscale[0], None, 0, mask.unbind(0)
        for t in range(T):
            pre = lin(gis[t] if w is None else gis[t] * w, hs[t], U_T)  # pre-activation / e^{ρ}
            torch.gt(pre, 0, out=masks[t])
            torch.clamp_min(pre, 0, out=hs[t + 1])
            if t % k == k - 1:
                m = hs[t + 1].amax(-1)  # (B,)
                if bool((m > big).any()):  # rare: only when exploding
                    s = m.clamp_min(1.0)
                    hs[t + 1].div_(s.unsqueeze(-1))
                    logscale[done + 1 : t + 1] = rho
                    rho = rho + torch.log(s)
                    logscale[t + 1], done, w = rho, t + 1, torch.exp(-rho).unsqueeze(-1)
        logscale[done + 1 :] = rho
    elif cell == "lstm":
        c = torch.empty(T + 1, B, H, dtype=x.dtype, device=x.device)
        c[0] = 0 if c0 is None else c0
        cs = c.unbind(0)
        for t in range(T):
            a = lin(gis[t], hs[t], U_T)  # (B, 4H): i, f, g, o
            i, f, g, o = torch.sigmoid(a).view(B, 4, H).unbind(1)
            g = torch.tanh(a[:, 2 * H : 3 * H])
            torch.addcmul(f * cs[t], i, g, out=cs[t + 1])  # c_t = f c_{t-1} + i g
            torch.mul(o, torch.tanh(cs[t + 1]), out=hs[t + 1])  # h_t = o tanh(c_t)
    else:  # gru
        U_rz, U_n = U_T[..., : 2 * H], U_T[..., 2 * H :]
        gi_rz = (gi[..., : 2 * H] + p["bias_hh"][..., : 2 * H]).unbind(0)  # W x + b for r, z (both biases)
        gi_n, b_n = gi[..., 2 * H :].unbind(0), p["bias_hh"][..., 2 * H :]
        for t in range(T):
            r, z = torch.sigmoid(lin(gi_rz[t], hs[t], U_rz)).view(B, 2, H).unbind(1)
            n = torch.tanh(torch.addcmul(gi_n[t], r, lin(b_n, hs[t], U_n)))  # tanh(W_n x + r (U_n h + b))
            torch.lerp(n, hs[t], z, out=hs[t + 1])  # h_t = (1 - z) n + z h_{t-1}
    return _Trace(cell, p, x, h, c, mask, logscale)


def _jacobians(tr: _Trace, t0: int, t1: int, *, su_chain: bool = False):
    """One-step Jacobians J_t = ∂s_t/∂s_{t-1} for t = t0+1 .. t1: (n, B, S, S), the main term (n, B, H)
    (LSTM f, GRU z; None for the RNNs) and, with ``su_chain``, Su's ∂c_t/∂c_{t-1} (LSTM, t >= 2)."""
    H, cell, U = tr.hidden, tr.cell, tr.p["weight_hh"]
    if cell == "rnn-tanh":
        return (1 - tr.h[t0 + 1 : t1 + 1] ** 2).unsqueeze(-1) * U, None, None  # diag(1 - h_t²) U
    if cell == "rnn-relu":
        return tr.mask[t0:t1].unsqueeze(-1).to(U.dtype) * U, None, None  # diag(1[pre > 0]) U
    if cell == "gru":
        gi, gh = tr.gates(t0, t1)
        r = torch.sigmoid(gi[..., :H] + gh[..., :H])
        z = torch.sigmoid(gi[..., H : 2 * H] + gh[..., H : 2 * H])
        hn = gh[..., 2 * H :]  # U_n h_{t-1} + b_hn
        n = torch.tanh(gi[..., 2 * H :] + r * hn)
        Ur, Uz, Un = U[..., :H, :], U[..., H : 2 * H, :], U[..., 2 * H :, :]
        dn = (1 - n**2).unsqueeze(-1) * (r.unsqueeze(-1) * Un + (hn * r * (1 - r)).unsqueeze(-1) * Ur)
        J = ((tr.h[t0:t1] - n) * z * (1 - z)).unsqueeze(-1) * Uz + (1 - z).unsqueeze(-1) * dn
        J.diagonal(dim1=-2, dim2=-1).add_(z)  # + diag(z): the main term
        return J, z, None
    # lstm: the state is (h, c)
    lo = max(t0 - 1, 0)
    a = tr.gates(lo, t1)  # (n', B, 4H)
    s, g = torch.sigmoid(a), torch.tanh(a[..., 2 * H : 3 * H])
    i, f, o = s[..., :H], s[..., H : 2 * H], s[..., 3 * H :]
    k = t0 - lo  # rows of step t0+1 start here
    i_, f_, g_, o_ = i[k:], f[k:], g[k:], o[k:]
    c_prev, c_new = tr.c[t0:t1], tr.c[t0 + 1 : t1 + 1]
    Ui, Uf, Ug, Uo = U[..., :H, :], U[..., H : 2 * H, :], U[..., 2 * H : 3 * H, :], U[..., 3 * H :, :]
    dc_dh = (
        (c_prev * f_ * (1 - f_)).unsqueeze(-1) * Uf
        + (g_ * i_ * (1 - i_)).unsqueeze(-1) * Ui
        + (i_ * (1 - g_**2)).unsqueeze(-1) * Ug
    )  # ∂c_t/∂h_{t-1}
    tc = torch.tanh(c_new)
    do = o_ * (1 - tc**2)  # ∂h_t/∂c_t = o sech²(c_t)
    n, B = dc_dh.shape[:2]
    J = torch.zeros(n, B, 2 * H, 2 * H, dtype=U.dtype, device=U.device)
    J[..., :H, :H] = (tc * o_ * (1 - o_)).unsqueeze(-1) * Uo + do.unsqueeze(-1) * dc_dh
    J[..., :H, H:].diagonal(dim1=-2, dim2=-1).copy_(do * f_)
    J[..., H:, :H] = dc_dh
    J[..., H:, H:].diagonal(dim1=-2, dim2=-1).copy_(f_)
    K = None
    if su_chain:  # h_{t-1} = o_{t-1} tanh(c_{t-1}) with o_{t-1} held: ∂c_t/∂c_{t-1} = f_t + ∂c_t/∂h_{t-1} D_{t-1}
        D = torch.full_like(c_prev, float("nan"))  # undefined for t = 1 (no o_0)
        if t0 >= 1:
            D[:] = o[:-1] * (1 - torch.tanh(c_prev) ** 2)
        else:
            D[1:] = o[:-1] * (1 - torch.tanh(c_prev[1:]) ** 2)
        K = dc_dh * D.unsqueeze(-2)
        K.diagonal(dim1=-2, dim2=-1).add_(f_)
    return J, f_, K


# ---------------------------------------------------------------- public: the Jacobians
class StepJacobians(NamedTuple):
    """One-step Jacobians of a run; index j holds step t = j + 1 (``states`` index t holds s_t)."""

    state: torch.Tensor  # (T, B, S, S)  ∂s_t/∂s_{t-1}; S = H, or 2H for the LSTM's (h, c)
    states: torch.Tensor  # (T+1, B, S)   s_0 .. s_T
    main: torch.Tensor | None  # (T, B, H)     the main term: LSTM f_t, GRU z_t (torch's z); None for RNNs
    cell: torch.Tensor | None  # (T, B, H, H)  LSTM: Su's ∂c_t/∂c_{t-1}; row 0 (t = 1) is NaN


def _inputs_3d(inputs, p):
    x = as_float_tensor("inputs", inputs, min_dim=2)
    if x.dim() > 3:
        raise ValueError(f"inputs must have shape (T, I) or (T, B, I), got {tuple(x.shape)}")
    squeeze = x.dim() == 2
    x = x.unsqueeze(1) if squeeze else x
    if x.shape[-1] != p["weight_ih"].shape[1]:
        raise ValueError(
            f"inputs must have {p['weight_ih'].shape[1]} features (weight_ih's columns), got {x.shape[-1]}"
        )
    return x.to(p["weight_ih"].dtype), squeeze


def _initial(name, v, B, H, like):
    if v is None:
        return None
    v = as_float_tensor(name, v).to(like)
    if v.shape not in ((H,), (B, H)):
        raise ValueError(f"{name} must have shape ({H},) or ({B}, {H}), got {tuple(v.shape)}")
    return v.expand(B, H)


@public(
    lambda: {
        "cell": "lstm",
        "inputs": torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)),
        "params": init_params("lstm", 3, 1.0, seed=0),
    },
    kinds={"params": "other", "h0": "other", "c0": "other"},
    cannot=("grad",),
    nonfinite="cell is NaN at t = 1; rnn-relu states overflow to inf",
)
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
    for name, v in (("inputs", inputs), ("params", params), ("h0", h0), ("c0", c0)):
        no_grad(name, v, "the Jacobians are analytic, written in place")
    p = _check_params(cell, params)
    x, squeeze = _inputs_3d(inputs, p)
    B, H = x.shape[1], p["weight_hh"].shape[1]
    S = 2 * H if cell == "lstm" else H
    fits("inputs", inputs, x.shape[0] * B * (S * S + 2 * H * H + 4 * H), bytes_per=x.element_size())
    tr = _run(cell, x, p, _initial("h0", h0, B, H, x), _initial("c0", c0, B, H, x) if cell == "lstm" else None)
    J, main, K = _jacobians(tr, 0, x.shape[0], su_chain=cell == "lstm")
    states = tr.h
    if cell == "rnn-relu":
        # h = 0 (unit off) is state 0 even where the scale e^ρ overflows to inf (0 * inf would be NaN)
        states = torch.where(tr.h > 0, tr.h * torch.exp(tr.logscale).unsqueeze(-1), 0.0)
    elif cell == "lstm":
        states = torch.cat([tr.h, tr.c], dim=-1)
    out = StepJacobians(J, states, main, K)
    if squeeze:
        out = StepJacobians(*(None if v is None else v.squeeze(1) for v in out))
    return out
