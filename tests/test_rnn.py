"""RNN, LSTM and GRU gradients: the one-step Jacobians against autograd on torch's cells, the adding task, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian

from theory_lib import rnn

F64 = torch.float64


def torch_cell(cell: str, params: dict, device):
    """torch's own cell with our parameters loaded (the oracle)."""
    H, I = params["weight_hh"].shape[1], params["weight_ih"].shape[1]
    if cell.startswith("rnn"):
        m = torch.nn.RNNCell(I, H, nonlinearity=cell[4:], dtype=F64, device=device)
    else:
        m = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[cell](I, H, dtype=F64, device=device)
    m.load_state_dict(params)
    return m


def random_params(cell, H, I, device, seed):
    """init_params plus noise on every tensor, biases included, so no entry is special."""
    g = torch.Generator(device=device).manual_seed(seed)
    p = rnn.init_params(cell, H, 1.2, 0.5, inputs=I, device=device, generator=g)
    return {k: v + 0.3 * torch.randn(v.shape, dtype=F64, device=device, generator=g) for k, v in p.items()}


def step(m, cell, H, x, s):
    """One step of torch's cell on the full state s (h, or h and c stacked)."""
    if cell == "lstm":
        h, c = m(x, (s[..., :H], s[..., H:]))
        return torch.cat([h, c], -1)
    return m(x, s)


# ---------------------------------------------------------------- Jacobians against autograd
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_state_jacobians_match_autograd_on_torch_cells(cell, device):
    H, I, T, B = 5, 3, 7, 2
    p = random_params(cell, H, I, device, seed=1)
    g = torch.Generator(device=device).manual_seed(2)
    x = torch.randn(T, B, I, dtype=F64, device=device, generator=g)
    out = rnn.state_jacobians(cell, x, p)
    S = 2 * H if cell == "lstm" else H
    assert out.state.shape == (T, B, S, S) and out.states.shape == (T + 1, B, S)
    m = torch_cell(cell, p, device)
    s = torch.zeros(B, S, dtype=F64, device=device)
    for t in range(T):
        for b in range(B):
            J = jacobian(lambda v, xb=x[t, b : b + 1]: step(m, cell, H, xb, v[None])[0], s[b])
            torch.testing.assert_close(out.state[t, b], J, rtol=1e-10, atol=1e-12)
        with torch.no_grad():
            s = step(m, cell, H, x[t], s)
        torch.testing.assert_close(out.states[t + 1], s, rtol=1e-12, atol=1e-13)


def test_unbatched_inputs_drop_the_batch_dimension():
    p = rnn.init_params("gru", 4, 1.0, seed=0)
    x = torch.randn(6, 4, dtype=F64)
    a, b = rnn.state_jacobians("gru", x, p), rnn.state_jacobians("gru", x[:, None], p)
    assert a.state.shape == (6, 4, 4)
    torch.testing.assert_close(a.state, b.state[:, 0])
    torch.testing.assert_close(a.main, b.main[:, 0])


def test_state_dict_of_torch_cells_is_accepted():
    m = torch.nn.LSTMCell(3, 4, dtype=F64)
    out = rnn.state_jacobians("lstm", torch.randn(5, 3, dtype=F64), m.state_dict())
    assert out.state.shape == (5, 8, 8) and torch.isfinite(out.state).all()


def test_article_chain_and_lstm_terms_match_autograd(device):
    """Su's ∂c_t/∂c_{t-1}: c_t as a function of c_{t-1} through h_{t-1} = o_{t-1} tanh(c_{t-1}), o_{t-1} held."""
    H, I, T = 4, 3, 6
    p = random_params("lstm", H, I, device, seed=3)
    x = torch.randn(T, I, dtype=F64, device=device, generator=torch.Generator(device=device).manual_seed(4))
    terms = rnn.lstm_terms(x, p)
    chain = rnn.state_jacobians("lstm", x, p).cell
    assert torch.isnan(chain[0]).all()
    m = torch_cell("lstm", p, device)
    with torch.no_grad():
        h, c = torch.zeros(1, H, dtype=F64, device=device), torch.zeros(1, H, dtype=F64, device=device)
        hs, cs = [h], [c]
        for t in range(T):
            h, c = m(x[t : t + 1], (h, c))
            hs.append(h)
            cs.append(c)
    for t in range(2, T + 1):
        o_prev = hs[t - 1] / torch.tanh(cs[t - 1])  # o_{t-1}, recovered from h and c
        J = jacobian(
            lambda cp, xt=x[t - 1 : t], o=o_prev: m(xt, (o * torch.tanh(cp[None]), cp[None]))[1][0], cs[t - 1][0]
        )
        torch.testing.assert_close(terms.total[t - 2], J, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(chain[t - 1], J, rtol=1e-9, atol=1e-12)
        # the main term is the forget gate, read off torch's own update c_t = f c_{t-1} + i g
        a = x[t - 1] @ p["weight_ih"].T + p["bias_ih"] + hs[t - 1][0] @ p["weight_hh"].T + p["bias_hh"]
        torch.testing.assert_close(terms.forget[t - 2], torch.sigmoid(a[H : 2 * H]))
    parts = terms.via_forget + terms.via_input + terms.via_candidate + torch.diag_embed(terms.forget)
    torch.testing.assert_close(parts, terms.total)


def test_secondary_term_bound_against_a_dense_grid():
    c = np.linspace(-6, 6, 2_000_001)
    grid_max = np.max(np.abs(c / np.cosh(c) ** 2))
    bound = rnn.secondary_term_bound()
    assert bound == pytest.approx(grid_max, abs=1e-10)  # grid step 6e-6 near a flat maximum: error ~1e-11
    assert bound < 0.45


def test_bound_holds_on_the_diagonal_only():
    """|c_{t-1,i} sech² c_{t-1,i}| <= 0.4477 bounds the diagonal of the first secondary term; off the
    diagonal the row's c and the column's sech² belong to different units."""
    H = 8
    p = rnn.init_params("lstm", H, 1.0, 3.0, seed=5)  # f near 1: c grows well past 1
    x = torch.randn(300, H, dtype=F64, generator=torch.Generator().manual_seed(6))
    terms = rnn.lstm_terms(x, p)
    f, cp = terms.forget, terms.c_prev
    Uf = p["weight_hh"][H : 2 * H]
    # via_forget = diag(c f(1-f)) U_f diag(o sech² c): divide out the parts that are not c·sech² c
    scale = (f * (1 - f)).unsqueeze(-1) * Uf
    ratio = terms.via_forget / scale  # c_i · o_j sech²(c_j)
    diag = ratio.diagonal(dim1=-2, dim2=-1)
    assert diag.abs().max() <= rnn.secondary_term_bound() + 1e-12
    assert cp.abs().max() > 3  # the cell state left [-1, 1]
    assert ratio.abs().max() > 0.45  # off-diagonal entries exceed it


# ---------------------------------------------------------------- the adding task
def test_adding_task_structure_and_baselines(device):
    T, n = 40, 20_000
    g = torch.Generator(device=device).manual_seed(19)
    x, y = rnn.adding_task(T, n, device=device, generator=g, dtype=F64)
    assert x.shape == (T, n, 2) and y.shape == (n,) and x.device.type == device.type
    marks = x[..., 1]
    assert (marks.sum(0) == 2).all()
    first, second = marks.argmax(0), (T - 1) - torch.flip(marks, [0]).argmax(0)
    assert (first < T // 10).all() and (second >= T // 2).all()
    u = x[..., 0]
    torch.testing.assert_close(y, (u * marks).sum(0))
    # Monte Carlo against the closed forms: Var(u1 + u2) = 1/6, E[(y - u2 - 1/2)²] = Var(u1) = 1/12
    se = math.sqrt(2 / n)  # relative standard error of a variance estimate (normal approx.)
    assert ((y - 1) ** 2).mean().item() == pytest.approx(1 / 6, rel=5 * se)
    late = u.gather(0, second[None])[0]
    assert ((y - late - 0.5) ** 2).mean().item() == pytest.approx(1 / 12, rel=5 * se)


def test_train_adding_is_reproducible_and_a_gru_learns_a_short_gap():
    a = rnn.train_adding("lstm", 10, hidden=4, steps=15, batch=8, seed=20)
    b = rnn.train_adding("lstm", 10, hidden=4, steps=15, batch=8, seed=20)
    torch.testing.assert_close(a.losses, b.losses)
    assert rnn.train_adding("gru", 10, hidden=8, steps=200, batch=32, seed=20).test_mse < 1 / 12


def test_one_thread_is_restored():
    n = torch.get_num_threads()
    rnn.gradient_norms("rnn-tanh", 5, 3, 1.0, seed=0)
    assert torch.get_num_threads() == n


# ---------------------------------------------------------------- bad input
P4 = rnn.init_params("lstm", 4, 1.0, seed=0)
X = torch.zeros(5, 4, dtype=F64)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rnn.init_params("elman", 4, 1.0), "cell"),
        (lambda: rnn.init_params("lstm", 0, 1.0), "hidden"),
        (lambda: rnn.init_params("lstm", 4, -0.1), "weight_scale"),
        (lambda: rnn.init_params("lstm", 4, 1.0, float("nan")), "forget_bias"),
        (lambda: rnn.init_params("lstm", 4, 1.0, inputs=0), "inputs"),
        (lambda: rnn.init_params("lstm", 4, 1.0, input_scale=-1), "input_scale"),
        (lambda: rnn.init_params("lstm", 4, 1.0, seed=-1), "seed"),
        (lambda: rnn.state_jacobians("lst", X, P4), "cell"),
        (lambda: rnn.state_jacobians("lstm", torch.zeros(5), P4), "inputs"),
        (lambda: rnn.state_jacobians("lstm", torch.zeros(5, 3), P4), "inputs"),
        (lambda: rnn.state_jacobians("lstm", torch.full((5, 4), float("nan")), P4), "inputs"),
        (lambda: rnn.state_jacobians("lstm", X, {"weight_ih": P4["weight_ih"]}), "params"),
        (lambda: rnn.state_jacobians("gru", X, P4), r"params\['weight_hh'\]"),
        (lambda: rnn.state_jacobians("lstm", X, P4, h0=torch.zeros(3)), "h0"),
        (lambda: rnn.state_jacobians("lstm", X, P4, c0=torch.zeros(2, 2, 2)), "c0"),
        (lambda: rnn.log_product_norms(torch.zeros(3, 2, 3)), "jacobians"),
        (lambda: rnn.log_product_norms(torch.zeros(3, 3)), "jacobians"),
        (lambda: rnn.log_product_norms(torch.zeros(3, 2, 2), norm="nuclear"), "norm"),
        (lambda: rnn.gradient_norms("vanilla", 10, 4, 1.0), "cell"),
        (lambda: rnn.gradient_norms("lstm", 0, 4, 1.0), "T"),
        (lambda: rnn.gradient_norms("lstm", 10, 0, 1.0), "hidden"),
        (lambda: rnn.gradient_norms("lstm", 10, 4, -1.0), "weight_scale"),
        (lambda: rnn.gradient_norms("lstm", 10, 4, 1.0, float("inf")), "forget_bias"),
        (lambda: rnn.gradient_norms("lstm", 10, 4, 1.0, norm="l1"), "norm"),
        (lambda: rnn.gradient_norms("lstm", 10, 4, 1.0, batch=0), "batch"),
        (lambda: rnn.gradient_norms("lstm", 10, 4, 1.0, seed=-3), "seed"),
        (lambda: rnn.gradient_profile("lstm", 2.5, 4, 1.0), "T"),
        (lambda: rnn.gradient_profiles(10, 4, 1.0, cells=("lstm", "lstm")), "cells"),
        (lambda: rnn.gradient_profiles(10, 4, 1.0, cells=("lstm", "rnn")), "cell"),
        (lambda: rnn.decay_rate(torch.zeros(2)), "log_norms"),
        (lambda: rnn.decay_rate(torch.tensor([0.0, math.inf, 1.0])), "log_norms"),
        (lambda: rnn.decay_rate(torch.zeros(10), skip=1.0), "skip"),
        (lambda: rnn.lstm_terms(torch.zeros(1, 4), P4), "inputs"),
        (lambda: rnn.lstm_terms(X, rnn.init_params("gru", 4, 1.0)), r"params\['weight_hh'\]"),
        (lambda: rnn.adding_task(3, 8), "T"),
        (lambda: rnn.adding_task(10, 0), "batch"),
        (lambda: rnn.train_adding("lstm", 10, steps=0), "steps"),
        (lambda: rnn.train_adding("lstm", 10, lr=0.0), "lr"),
        (lambda: rnn.train_adding("rnn", 10), "cell"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        call()
