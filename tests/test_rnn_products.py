"""RNN, LSTM and GRU gradients: log-space products, gradient profiles and decay rates against independent routes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.autograd.functional import jacobian

from tests.test_rnn import F64, step, torch_cell
from theory_lib import rnn


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


@pytest.mark.parametrize(
    "cell, scale, bias, H", [("rnn-relu", 3.0, 0.0, 20), ("lstm", 1.0, -1.0, 6), ("gru", 1.0, -2.0, 6)]
)
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

        def unroll(s, t=t):
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
            gates = rnn.state_jacobians(cell, x, p).main[:, 0]  # f_t or z_t
            expected = direct_log_norms(torch.diag_embed(gates), "rms")
        else:
            lag = torch.arange(T, -1, -1, dtype=F64)
            expected = lag * torch.log(torch.linalg.svdvals(p["weight_hh"])[0])
        torch.testing.assert_close(prof.main, expected, rtol=1e-10, atol=1e-10)
        if cell.startswith("rnn"):
            assert (prof.state <= prof.main + 1e-9).all()  # rms <= spectral <= ‖U‖^k: tanh', relu' <= 1


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
        torch.testing.assert_close(
            rnn.log_product_norms(c * J, norm), rnn.log_product_norms(J, norm) + lag * math.log(c), rtol=1e-9, atol=1e-9
        )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(1, 40), S=st.integers(1, 6))
def test_norm_sandwich_and_submultiplicativity(seed, T, S):
    """rms <= spectral <= rms + ½ log S, and log‖J_T ⋯ J_{t+1}‖_2 <= Σ log‖J_s‖_2."""
    J = torch.randn(T, S, S, dtype=F64, generator=torch.Generator().manual_seed(seed))
    rms, spec = rnn.log_product_norms(J, "rms"), rnn.log_product_norms(J, "spectral")
    assert (rms <= spec + 1e-9).all() and (spec <= rms + 0.5 * math.log(S) + 1e-9).all()
    bound = torch.cat(
        [
            torch.flip(torch.cumsum(torch.flip(torch.log(torch.linalg.svdvals(J)[:, 0]), [0]), 0), [0]),
            torch.zeros(1, dtype=F64),
        ]
    )
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
    lag = torch.arange(T, -1, -1, dtype=F64)  # time first: lag T - t
    straight = rnn.decay_fit(1.0 - 0.02 * lag)
    assert straight.verdict == "vanishes" and straight.lags == (50, 500)
    assert straight.rate == pytest.approx(0.02) == straight.first == pytest.approx(straight.second)
    assert straight.rate == rnn.decay_rate(1.0 - 0.02 * lag)
    assert rnn.decay_fit(0.03 * lag).verdict == "explodes"
    grows_then_stops = 5.0 * (1 - torch.exp(-lag / 60))  # bounded: up by e^5, then flat
    fit = rnn.decay_fit(grows_then_stops)
    assert fit.verdict == "saturates" and fit.first < 0 and abs(fit.second) < abs(fit.first) / 4
    rises_then_falls = torch.minimum(0.02 * lag, 4.0 - 0.004 * (lag - 200).clamp_min(0))
    assert rnn.decay_fit(rises_then_falls).verdict == "saturates"
    slow = rnn.decay_fit(-0.001 * lag)  # |λ| (T - k0) = 0.45 < log 2
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


# ---------------------------------------------------------------- many settings in one run
def test_a_grid_of_settings_equals_one_run_per_setting():
    """gradient_profile_grid draws each setting as gradient_profiles does and runs them as batch rows."""
    settings = [(0.5, 0.0), (1.0, -1.0), (1.3, 2.0), (1.5, 6.0)]  # not chaotic: rounding stays rounding
    grid = rnn.gradient_profile_grid(300, 5, settings, seed=13)
    assert len(grid) == len(settings)
    for (s, b), got in zip(settings, grid, strict=True):
        one = rnn.gradient_profiles(300, 5, s, b, seed=13)
        assert set(got) == set(one)
        for cell, prof in one.items():
            assert got[cell].state.shape == (301,)
            torch.testing.assert_close(got[cell].state, prof.state, rtol=1e-10, atol=1e-10)
            torch.testing.assert_close(got[cell].main, prof.main, rtol=1e-10, atol=1e-10)
            if cell == "lstm":
                torch.testing.assert_close(got[cell].cell, prof.cell, rtol=1e-10, atol=1e-10, equal_nan=True)
                assert got[cell].max_abs_c == pytest.approx(prof.max_abs_c, rel=1e-12)
            else:
                assert got[cell].cell is None and got[cell].max_abs_c is None


def test_a_settings_result_does_not_depend_on_the_rest_of_its_grid():
    """At s = 3 the tanh RNN is chaotic: a last-bit change in its run gives another curve (the figure's
    strips compute settings in batches, a fresh figure computes one alone: they must draw the same)."""
    target = (3.0, 0.0)
    alone = rnn.gradient_profile_grid(2000, 16, [target], seed=0)[0]
    perturbed = rnn.gradient_profiles(2000, 16, 3.0 * (1 + 2**-52), 0.0, seed=0)["rnn-tanh"].state
    assert (perturbed - alone["rnn-tanh"].state).abs().max() > 1.0, "s = 3 is no longer chaotic: pick another"
    for others in (
        [(0.5, 0.0)],
        [(0.1 * k + 0.2, 0.25 * k) for k in range(6)],
        [(1.0 + 0.05 * k, 0.0) for k in range(16)],
    ):
        for at in (0, len(others)):
            grid = others[:at] + [target] + others[at:]
            got = rnn.gradient_profile_grid(2000, 16, grid, seed=0)[at]
            for cell in rnn.CELLS:
                assert torch.equal(got[cell].state, alone[cell].state), (cell, len(grid), at)
                assert torch.equal(got[cell].main, alone[cell].main)


@pytest.mark.parametrize(
    "settings, message",
    [
        ([], "settings must be a non-empty list"),
        ([1.0], "settings must hold"),
        ([(1.0, 0.0, 2.0)], "settings must hold"),
        ([(-1.0, 0.0)], "weight_scale"),
        ([(1.0, float("nan"))], "forget_bias"),
        ([(1.0, 0.0)] * 400, "settings must ask"),
    ],
)
def test_a_bad_grid_is_refused_by_name(settings, message):
    with pytest.raises(ValueError, match=message):
        rnn.gradient_profile_grid(2000, 16, settings, seed=0)
