"""The LSTM's main and secondary terms: Su's split of ∂c_t/∂c_{t-1}, and the bound 0.45.

    ∂c_t/∂c_{t-1} = f_t + c_{t-1} ∂f_t/∂c_{t-1} + g_t ∂i_t/∂c_{t-1} + i_t ∂g_t/∂c_{t-1}
                  = diag(f_t) + [diag(c_{t-1} f(1-f)) U_f + diag(g i(1-i)) U_i + diag(i (1-g²)) U_g] D_{t-1},
    D_{t-1} = diag(o_{t-1} sech² c_{t-1})

The gates see c_{t-1} only through h_{t-1} = o_{t-1} tanh(c_{t-1}), hence D_{t-1}. The main term f_t
is a diagonal the forget gate controls; the first secondary term carries c_{t-1} sech² c_{t-1} on its
diagonal, and max_c |c sech² c| ≈ 0.4477 is the article's "< 0.45".
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from theory_lib._checks import fits, no_grad, one_cpu_thread, public
from theory_lib.rnn.cells import _check_params, _initial, _inputs_3d, _run, init_params


class LSTMTerms(NamedTuple):
    """The article's split of ∂c_t/∂c_{t-1} for t = 2 .. T (row j holds t = j + 2)."""

    forget: torch.Tensor  # (T-1, B, H)     f_t, the main term (a diagonal)
    via_forget: torch.Tensor  # (T-1, B, H, H)  c_{t-1} ∂f_t/∂c_{t-1} = diag(c_{t-1} f(1-f)) U_f D_{t-1}
    via_input: torch.Tensor  # (T-1, B, H, H)  g_t ∂i_t/∂c_{t-1}     = diag(g i(1-i)) U_i D_{t-1}
    via_candidate: torch.Tensor  # (T-1, B, H, H)  i_t ∂g_t/∂c_{t-1}     = diag(i (1-g²)) U_g D_{t-1}
    total: torch.Tensor  # (T-1, B, H, H)  diag(f_t) + the three
    c_prev: torch.Tensor  # (T-1, B, H)     c_{t-1}


@public(
    lambda: {
        "inputs": torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)),
        "params": init_params("lstm", 3, 1.0, seed=0),
    },
    kinds={"params": "other", "h0": "other", "c0": "other"},
    cannot=("grad",),
)
@one_cpu_thread()
def lstm_terms(inputs, params, h0=None, c0=None) -> LSTMTerms:
    """∂c_t/∂c_{t-1} = f_t + c_{t-1} ∂f_t/∂c_{t-1} + g_t ∂i_t/∂c_{t-1} + i_t ∂g_t/∂c_{t-1}, split term by term.

    Su's route: the gates see c_{t-1} only through h_{t-1} = o_{t-1} tanh(c_{t-1}), so each
    secondary term carries D_{t-1} = diag(o_{t-1} (1 - tanh² c_{t-1})) on the right; the first one
    also c_{t-1} on the left, which is where the bound |c sech² c| < 0.45 enters (exactly so only on
    the diagonal: off it, row i has c_{t-1,i} and column j has sech² c_{t-1,j}). ``inputs`` (T, I) or
    (T, B, I) with T >= 2; with (T, I) the batch dimension is dropped.
    """
    for name, v in (("inputs", inputs), ("params", params), ("h0", h0), ("c0", c0)):
        no_grad(name, v, "the terms are computed from a forward pass written in place")
    p = _check_params("lstm", params)
    x, squeeze = _inputs_3d(inputs, p)
    T, B, H = x.shape[0], x.shape[1], p["weight_hh"].shape[1]
    fits("inputs", inputs, T * B * (5 * H * H + 12 * H), bytes_per=x.element_size())
    if T < 2:
        raise ValueError(f"inputs must have at least 2 time steps (the split needs o_{{t-1}}), got {T}")
    tr = _run("lstm", x, p, _initial("h0", h0, B, H, x), _initial("c0", c0, B, H, x))
    a = tr.gates(0, T)
    i, f, o = torch.sigmoid(a[..., :H]), torch.sigmoid(a[..., H : 2 * H]), torch.sigmoid(a[..., 3 * H :])
    g = torch.tanh(a[..., 2 * H : 3 * H])
    U = p["weight_hh"]
    c_prev = tr.c[1:T]  # c_{t-1}, t = 2..T
    D = (o[:-1] * (1 - torch.tanh(c_prev) ** 2)).unsqueeze(-2)  # (T-1, B, 1, H)
    i, f, g = i[1:], f[1:], g[1:]
    vf = (c_prev * f * (1 - f)).unsqueeze(-1) * U[H : 2 * H] * D
    vi = (g * i * (1 - i)).unsqueeze(-1) * U[:H] * D
    vg = (i * (1 - g**2)).unsqueeze(-1) * U[2 * H : 3 * H] * D
    total = vf + vi + vg
    total.diagonal(dim1=-2, dim2=-1).add_(f)
    out = LSTMTerms(f, vf, vi, vg, total, c_prev)
    if squeeze:
        out = LSTMTerms(*(v.squeeze(1) for v in out))
    return out


@public()
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
