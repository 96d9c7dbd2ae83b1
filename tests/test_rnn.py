"""RNN, LSTM and GRU gradients: every formula against an independent route."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
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
            J = jacobian(lambda v: step(m, cell, H, x[t, b:b + 1], v[None])[0], s[b])
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
            h, c = m(x[t:t + 1], (h, c))
            hs.append(h)
            cs.append(c)
    for t in range(2, T + 1):
        o_prev = hs[t - 1] / torch.tanh(cs[t - 1])                       # o_{t-1}, recovered from h and c
        J = jacobian(lambda cp: m(x[t - 1:t], (o_prev * torch.tanh(cp[None]), cp[None]))[1][0], cs[t - 1][0])
        torch.testing.assert_close(terms.total[t - 2], J, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(chain[t - 1], J, rtol=1e-9, atol=1e-12)
        # the main term is the forget gate, read off torch's own update c_t = f c_{t-1} + i g
        a = x[t - 1] @ p["weight_ih"].T + p["bias_ih"] + hs[t - 1][0] @ p["weight_hh"].T + p["bias_hh"]
        torch.testing.assert_close(terms.forget[t - 2], torch.sigmoid(a[H:2 * H]))
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
    Uf = p["weight_hh"][H:2 * H]
    # via_forget = diag(c f(1-f)) U_f diag(o sech² c): divide out the parts that are not c·sech² c
    scale = (f * (1 - f)).unsqueeze(-1) * Uf
    ratio = terms.via_forget / scale                                     # c_i · o_j sech²(c_j)
    diag = ratio.diagonal(dim1=-2, dim2=-1)
    assert diag.abs().max() <= rnn.secondary_term_bound() + 1e-12
    assert cp.abs().max() > 3                                            # the cell state left [-1, 1]
    assert ratio.abs().max() > 0.45                                      # off-diagonal entries exceed it


# ---------------------------------------------------------------- products in log space
def direct_log_norms(J, norm):
    """Plain products from the end, no rescaling (finite only for short runs)."""
    T, S = J.shape[0], J.shape[-1]
    P = torch.eye(S, dtype=J.dtype, device=J.device).expand(J.shape[1:]).clone()
    out = [None] * (T + 1)
    for t in range(T, -1, -1):
        if t < T:
            P = P @ J[t]
        n = torch.linalg.matrix_norm(P, ord=2) if norm == "spectral" else torch.linalg.matrix_norm(P) / math.sqrt(S)
        out[t] = torch.log(n)
    return torch.stack(out)


@pytest.mark.parametrize("norm", ["rms", "spectral"])
def test_log_product_norms_match_direct_products(norm, device):
    g = torch.Generator(device=device).manual_seed(7)
    J = 0.6 * torch.randn(60, 3, 5, 5, dtype=F64, device=device, generator=g)
    got = rnn.log_product_norms(J, norm)
    assert got.shape == (61, 3) and got.device.type == device.type
    torch.testing.assert_close(got, direct_log_norms(J, norm), rtol=1e-11, atol=1e-11)
    assert (got[-1] == 0).all()


@pytest.mark.parametrize("a", [0.92, 1.08])
def test_ten_thousand_steps_stay_finite_where_direct_products_fail(a):
    """J_t = a Q_t with Q_t orthogonal: ‖J_T ⋯ J_{t+1}‖ = a^{T-t} in both norms, beyond float64."""
    T, S = 10_000, 4
    g = torch.Generator().manual_seed(8)
    Q, _ = torch.linalg.qr(torch.randn(T, S, S, dtype=F64, generator=g))
    got = rnn.log_product_norms(a * Q)
    lag = torch.arange(T, -1, -1, dtype=F64)
    torch.testing.assert_close(got, lag * math.log(a), rtol=1e-10, atol=1e-8)
    assert abs(got[0].item()) > 700  # e^{±700} is past float64: a direct product would be 0 or inf
    P = torch.eye(S, dtype=F64)
    for J in a * Q:
        P = P @ J
    direct = torch.linalg.matrix_norm(P)
    assert direct == 0 or not torch.isfinite(direct)


def test_diagonal_products_against_logsumexp():
    """Diagonal J_t: ‖∏ diag(d_s)‖_rms = sqrt(mean_i ∏ d_{s,i}²), summed in log space by the test itself."""
    T, S = 3000, 6
    d = torch.empty(T, S, dtype=F64).uniform_(0.05, 1.6, generator=torch.Generator().manual_seed(9))
    got = rnn.log_product_norms(torch.diag_embed(d))
    L = torch.cat([torch.flip(torch.cumsum(torch.flip(torch.log(d), [0]), 0), [0]), torch.zeros(1, S, dtype=F64)])
    expected = 0.5 * (torch.logsumexp(2 * L, -1) - math.log(S))
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-9)
    assert (torch.prod(d, 0) == 0).all()  # the plain product underflows


def test_a_zero_jacobian_gives_minus_infinity():
    J = torch.randn(10, 3, 3, dtype=F64)
    J[4] = 0
    got = rnn.log_product_norms(J)
    assert torch.isinf(got[:5]).all() and (got[:5] < 0).all() and torch.isfinite(got[5:]).all()


def row_by_row_log_rms(J: np.ndarray) -> np.ndarray:
    """Independent route: push each basis row e_i^T back through the Jacobians (what backprop does),
    each row renormalised on its own every step; ‖P‖_F² = Σ_i ‖e_i^T P‖². A row that hits exactly 0
    (a relu unit switched off) stays 0."""
    T, S = J.shape[0], J.shape[-1]
    V, acc = np.eye(S), np.zeros(S)
    out = np.empty(T + 1)
    out[T] = 0.0
    for t in range(T - 1, -1, -1):
        V = V @ J[t]
        n = np.linalg.norm(V, axis=1)
        V /= np.where(n > 0, n, 1.0)[:, None]
        with np.errstate(divide="ignore"):
            acc += np.log(n)
        m = (2 * acc).max()
        out[t] = 0.5 * (m + np.log(np.exp(2 * acc - m).sum()) - np.log(S))
    return out


def same_run(cell, T, H, scale, bias, seed):
    """Parameters and inputs exactly as gradient_profiles draws them for one cell."""
    gen = torch.Generator().manual_seed(seed)
    p = rnn.init_params(cell, H, scale, bias, generator=gen)
    x = torch.randn(T, 1, H, dtype=F64, generator=gen)
    return p, x


@pytest.mark.parametrize("cell, scale, bias, H", [("rnn-relu", 3.0, 0.0, 20), ("lstm", 1.0, -1.0, 6),
                                                  ("gru", 1.0, -2.0, 6)])
def test_gradient_norms_at_ten_thousand_steps(cell, scale, bias, H):
    """Explosion (relu, and its forward state too) and vanishing far past the float64 range.
    (relu needs H large enough that no step switches every unit off: that product is exactly 0.)"""
    T = 10_000
    got = rnn.gradient_norms(cell, T, H, scale, bias, seed=11)
    assert got.shape == (T + 1,) and torch.isfinite(got).all() and got[T] == 0
    assert abs(got[0].item()) > 700  # beyond float64 as a plain number
    p, x = same_run(cell, T, H, scale, bias, seed=11)
    J = rnn.state_jacobians(cell, x, p).state[:, 0].numpy()
    np.testing.assert_allclose(got.numpy(), row_by_row_log_rms(J), rtol=1e-9, atol=1e-7)


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_gradient_norms_are_the_gradients_of_torch_cells(cell):
    """Short runs: ‖∂s_T/∂s_t‖ by autograd through torch's own cells, unrolled from s_t."""
    T, H = 12, 4
    got = rnn.gradient_norms(cell, T, H, 1.5, 1.0, seed=12, norm="spectral")
    p, x = same_run(cell, T, H, 1.5, 1.0, seed=12)
    m = torch_cell(cell, p, "cpu")
    states = rnn.state_jacobians(cell, x, p).states[:, 0]
    for t in (0, 5, 11):
        def unroll(s):
            for k in range(t, T):
                s = step(m, cell, H, x[k], s[None])[0]
            return s

        P = jacobian(unroll, states[t])
        assert got[t].item() == pytest.approx(torch.log(torch.linalg.matrix_norm(P, ord=2)).item(), abs=1e-10)


def test_profiles_of_several_cells_equal_single_runs():
    many = rnn.gradient_profiles(300, 5, 1.3, 0.5, seed=13)
    for cell in rnn.CELLS:
        one = rnn.gradient_profile(cell, 300, 5, 1.3, 0.5, seed=13)
        torch.testing.assert_close(many[cell].state, one.state, rtol=1e-12, atol=1e-10)
        torch.testing.assert_close(many[cell].main, one.main)


def test_main_terms_are_the_gate_products():
    """GradientProfile.main: ∏ diag f (LSTM), ∏ diag z (GRU), (T-t) log‖U‖_2 (RNNs)."""
    T, H = 40, 5
    for cell in rnn.CELLS:
        prof = rnn.gradient_profile(cell, T, H, 1.1, 0.7, seed=14)
        p, x = same_run(cell, T, H, 1.1, 0.7, seed=14)
        if cell in ("lstm", "gru"):
            gates = rnn.state_jacobians(cell, x, p).main[:, 0]                  # f_t or z_t
            expected = direct_log_norms(torch.diag_embed(gates), "rms")
        else:
            lag = torch.arange(T, -1, -1, dtype=F64)
            expected = lag * torch.log(torch.linalg.svdvals(p["weight_hh"])[0])
        torch.testing.assert_close(prof.main, expected, rtol=1e-10, atol=1e-10)
        if cell.startswith("rnn"):
            assert (prof.state <= prof.main + 1e-9).all()   # rms <= spectral <= ‖U‖^k: tanh', relu' <= 1


def test_batch_and_spectral_options():
    prof = rnn.gradient_profile("lstm", 50, 4, 1.0, seed=15, batch=3, norm="spectral")
    assert prof.state.shape == (51, 3) and prof.cell.shape == (51, 3) and prof.main.shape == (51, 3)
    rms = rnn.gradient_profile("lstm", 50, 4, 1.0, seed=15, batch=3)
    S = 8
    assert (rms.state <= prof.state + 1e-12).all() and (prof.state <= rms.state + 0.5 * math.log(S) + 1e-12).all()
    assert prof.max_abs_c > 0 and torch.isnan(prof.cell[0]).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), c=st.floats(0.01, 100.0), T=st.integers(1, 40), S=st.integers(1, 6))
def test_scaling_every_jacobian_shifts_the_log_norm_by_the_lag(seed, c, T, S):
    J = torch.randn(T, S, S, dtype=F64, generator=torch.Generator().manual_seed(seed))
    lag = torch.arange(T, -1, -1, dtype=F64)
    for norm in ("rms", "spectral"):
        torch.testing.assert_close(rnn.log_product_norms(c * J, norm),
                                   rnn.log_product_norms(J, norm) + lag * math.log(c), rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(1, 40), S=st.integers(1, 6))
def test_norm_sandwich_and_submultiplicativity(seed, T, S):
    """rms <= spectral <= rms + ½ log S, and log‖J_T ⋯ J_{t+1}‖_2 <= Σ log‖J_s‖_2."""
    J = torch.randn(T, S, S, dtype=F64, generator=torch.Generator().manual_seed(seed))
    rms, spec = rnn.log_product_norms(J, "rms"), rnn.log_product_norms(J, "spectral")
    assert (rms <= spec + 1e-9).all() and (spec <= rms + 0.5 * math.log(S) + 1e-9).all()
    bound = torch.cat([torch.flip(torch.cumsum(torch.flip(torch.log(torch.linalg.svdvals(J)[:, 0]), [0]), 0), [0]),
                       torch.zeros(1, dtype=F64)])
    assert (spec <= bound + 1e-9).all()


# ---------------------------------------------------------------- decay rates
def test_decay_rate_recovers_a_known_slope():
    T = 400
    lag = torch.arange(T, -1, -1, dtype=F64)
    noise = 0.3 * torch.randn(T + 1, dtype=F64, generator=torch.Generator().manual_seed(16))
    for lam in (0.7, 0.01, -0.2):
        got = rnn.decay_rate(2.0 - lam * lag + noise)
        # slope error of a least-squares fit: σ / sqrt(Σ (k - k̄)²) ≈ 0.3 / sqrt(360³/12) ≈ 3e-4
        assert got == pytest.approx(lam, abs=5 * 3e-4)
    assert rnn.decay_rate(-0.5 * lag) == pytest.approx(0.5, abs=1e-12)


def test_decay_rate_of_a_rotation_times_a_is_minus_log_a():
    Q, _ = torch.linalg.qr(torch.randn(500, 4, 4, dtype=F64, generator=torch.Generator().manual_seed(17)))
    assert rnn.decay_rate(rnn.log_product_norms(0.8 * Q)) == pytest.approx(-math.log(0.8), abs=1e-12)


def test_decay_rate_batches_and_zero_products():
    ell = torch.stack([torch.linspace(-10, 0, 11, dtype=F64), torch.linspace(5, 0, 11, dtype=F64)], -1)
    rates = rnn.decay_rate(ell)
    torch.testing.assert_close(rates, torch.tensor([1.0, -0.5], dtype=F64))
    dead = torch.linspace(-10, 0, 11, dtype=F64)
    dead[:3] = -math.inf
    assert rnn.decay_rate(dead) == math.inf


def test_decay_fit_window_halves_and_verdicts():
    """λ with its window; growth that levels off is "saturates", not a rate; too slow to see is "flat"."""
    T = 500
    lag = torch.arange(T, -1, -1, dtype=F64)                                   # time first: lag T - t
    straight = rnn.decay_fit(1.0 - 0.02 * lag)
    assert straight.verdict == "vanishes" and straight.lags == (50, 500)
    assert straight.rate == pytest.approx(0.02) == straight.first == pytest.approx(straight.second)
    assert straight.rate == rnn.decay_rate(1.0 - 0.02 * lag)
    assert rnn.decay_fit(0.03 * lag).verdict == "explodes"
    grows_then_stops = 5.0 * (1 - torch.exp(-lag / 60))                        # bounded: up by e^5, then flat
    fit = rnn.decay_fit(grows_then_stops)
    assert fit.verdict == "saturates" and fit.first < 0 and abs(fit.second) < abs(fit.first) / 4
    rises_then_falls = torch.minimum(0.02 * lag, 4.0 - 0.004 * (lag - 200).clamp_min(0))
    assert rnn.decay_fit(rises_then_falls).verdict == "saturates"
    slow = rnn.decay_fit(-0.001 * lag)                                          # |λ| (T - k0) = 0.45 < log 2
    assert slow.verdict == "flat" and slow.rate == pytest.approx(0.001)
    dead = 1.0 - 0.02 * lag
    dead[:3] = -math.inf
    assert rnn.decay_fit(dead).verdict == "zero"
    with pytest.raises(ValueError, match="^log_norms"):
        rnn.decay_fit(torch.zeros(4, dtype=F64))


def test_forget_bias_slows_the_decay_towards_the_gate_rate():
    """The article: the forget gate decides how fast memory fades. With f_t ≈ σ(b) the main term alone
    decays at about -log σ(b); the exact rate follows it down as b grows."""
    rates = [rnn.decay_rate(rnn.gradient_norms("lstm", 600, 8, 1.0, b, seed=18)) for b in (0.0, 2.0, 4.0)]
    assert rates[0] > rates[1] > rates[2] > 0
    assert rates[2] < 3 * -math.log(torch.sigmoid(torch.tensor(4.0)).item())


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


# ---------------------------------------------------------------- the figure's contract
def test_figure_slices_a_cached_run_and_blits_cell_and_length_moves():
    from theory_lib.figures import rnn as fig_rnn

    fig = fig_rnn.RNNGradientFigure()
    try:
        fig.fig.canvas.draw()
        full = []
        fig.fig.canvas.mpl_connect("draw_event", full.append)
        hits = fig_rnn.profiles.cache_info().hits
        fig.update(cell="gru")
        fig.update(T=120)                  # same x bracket (up to 150) as the default T = 150
        assert not full, "changing the cell or T within a bracket should only blit"
        assert fig_rnn.profiles.cache_info().hits > hits
        # what is drawn is the library's profile, sliced: lags 0..T of one run of length T_MAX
        prof = rnn.gradient_profile("gru", fig_rnn.T_MAX, fig_rnn.HIDDEN, 1.0, 0.0, seed=fig_rnn.SEED)
        x, y = fig.lines["gru"].get_data()
        np.testing.assert_array_equal(x, np.arange(121))
        np.testing.assert_allclose(y, torch.flip(prof.state, [0])[:121].numpy() / math.log(10), rtol=1e-12)
        assert "gru" in fig.readout and "<b>gru" in fig.readout
    finally:
        fig.close()


def test_figure_rates_are_the_library_decay_rates():
    from theory_lib.figures import rnn as fig_rnn

    prof = fig_rnn.profiles(1.0, 0.0)["lstm"]["state"]        # by lag
    T = 300
    slope, _ = fig_rnn.fit_line(prof[:T + 1] / math.log(10))
    expected = rnn.decay_rate(torch.from_numpy(prof[:T + 1][::-1].copy()))
    assert -slope * math.log(10) == pytest.approx(expected, rel=1e-10)


def test_figure_states_lambda_with_its_window_and_says_saturates():
    """Issue 15: λ depends on T; the readout quotes T and the window, the table helper agrees with the
    figure, and growth that levels off is called "saturates" with no slope line drawn."""
    from theory_lib.figures import rnn as fig_rnn

    fig = fig_rnn.RNNGradientFigure()
    try:
        assert fig.params["T"] == 150 and fig.controls["T"].value == 150
        lam = fig_rnn.fits(1.0, 0.0, 150)["lstm"]
        assert "T = 150, fit over lags 15–150" in fig.readout and f"λ = <b>{lam.rate:.3g}</b>" in fig.readout
        fig.update(gate_bias=6.0, T=500)
        sat = fig_rnn.fits(1.0, 6.0, 500)["lstm"]
        assert sat.verdict == "saturates"
        assert "lstm saturates" in fig.readout and "doubles every" not in fig.readout
        assert len(fig.fit.get_xdata()) == 0, "no slope line where there is no rate"
        # the same cell and settings at another T give another λ: both are quoted with their T
        fig.update(gate_bias=4.0, T=150)
        short = fig_rnn.fits(1.0, 4.0, 150)["lstm"].rate
        long = fig_rnn.fits(1.0, 4.0, 2000)["lstm"].rate
        assert f"{short:.3g}" in fig.readout and short != long
        fig.update(T=2000)
        assert f"T = 2000, fit over lags 200–2000" in fig.readout and f"{long:.3g}" in fig.readout
    finally:
        fig.close()


def test_figure_axes_fit_the_data_and_every_cell_stays_visible():
    from theory_lib.figures import rnn as fig_rnn

    fig = fig_rnn.RNNGradientFigure()
    try:
        fig.fig.canvas.draw()
        assert fig.ax.get_xlim() == (0.0, 150.0) and fig.ax2.get_xlim() == (0.0, 150.0)
        for ax in (fig.ax, fig.ax2):                 # the floor is within a bracket (+4 % pad) of the data
            low = min(np.nanmin(line.get_ydata()) for line in ax.lines if len(line.get_ydata()) > 2)
            bottom, top = ax.get_ylim()
            assert bottom <= low and (top - bottom) <= 1.3 * (top - low), (ax.get_title(), bottom, low)
        styles = {(line.get_marker(), line.get_linestyle()) for line in fig.lines.values()}
        assert len(styles) == 4, "the four cells differ by marker as well as colour"
        for line in fig.lines.values():
            assert line.get_alpha() in (None, 1.0) and line.get_linewidth() >= 1.0
    finally:
        fig.close()
