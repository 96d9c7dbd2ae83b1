"""Optimal transport (EMD, WMD, WCD, WRD, Su's bound): every formula against an independent route, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
import torch
from hypothesis import given, settings, strategies as st

from theory_lib import transport as tp

F64 = dict(dtype=torch.float64)


def _simplex(n: int, g: torch.Generator) -> torch.Tensor:
    w = torch.rand(n, generator=g, **F64) + 0.05
    return w / w.sum()


# ---------------------------------------------------------------- EMD
@pytest.mark.parametrize("seed", range(8))
def test_emd_in_one_dimension_is_scipys_wasserstein_distance(seed):
    """Random points on a line with cost |t_i - s_j|: the LP against scipy's CDF formula."""
    g = torch.Generator().manual_seed(seed)
    m, n = 2 + seed % 4, 3 + seed % 3
    p, q = _simplex(m, g), _simplex(n, g)
    t, s = torch.randn(m, generator=g, **F64), torch.randn(n, generator=g, **F64)
    cost = (t[:, None] - s[None]).abs()
    want = scipy.stats.wasserstein_distance(t.numpy(), s.numpy(), p.numpy(), q.numpy())
    assert tp.emd(p, q, cost) == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_emd_1d_is_the_lp_and_scipy_on_shared_bins(seed):
    g = torch.Generator().manual_seed(100 + seed)
    k = 3 + seed
    p, q = _simplex(k, g), _simplex(k, g)
    pos = torch.randn(k, generator=g, **F64).sort().values
    lp = tp.emd(p, q, (pos[:, None] - pos[None]).abs())
    assert tp.emd_1d(p, q, pos) == pytest.approx(lp, abs=1e-9)
    assert tp.emd_1d(p, q, pos) == pytest.approx(
        scipy.stats.wasserstein_distance(pos.numpy(), pos.numpy(), p.numpy(), q.numpy()), abs=1e-12
    )


def test_article_three_bin_example_is_four_tenths():
    p, q = [0.2, 0.5, 0.3], [0.6, 0.1, 0.3]
    cost = [[abs(i - j) for j in range(3)] for i in range(3)]
    by_hand = abs(0.2 - 0.6) + abs(0.7 - 0.7)  # F_p - F_q at the two inner edges
    assert tp.emd(p, q, cost) == pytest.approx(by_hand, abs=1e-12)
    assert tp.emd_1d(p, q) == pytest.approx(by_hand, abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_two_column_problems_match_the_greedy_fill(seed):
    """With n = 2, send the rows with the largest d_i1 - d_i2 to column 2 first: optimal for m x 2."""
    g = torch.Generator().manual_seed(200 + seed)
    m = 2 + seed
    p = _simplex(m, g)
    q1 = float(torch.rand((), generator=g, **F64))
    q = torch.tensor([q1, 1 - q1], **F64)
    cost = torch.rand(m, 2, generator=g, **F64)
    left, total = 1 - q1, 0.0
    for i in sorted(range(m), key=lambda i: -(cost[i, 0] - cost[i, 1]).item()):
        to2 = min(left, p[i].item())
        left -= to2
        total += to2 * cost[i, 1].item() + (p[i].item() - to2) * cost[i, 0].item()
    assert tp.emd(p, q, cost) == pytest.approx(total, abs=1e-9)


def test_plan_has_the_marginals_and_the_value(device):
    g = torch.Generator().manual_seed(3)
    p, q, cost = _simplex(4, g), _simplex(6, g), torch.rand(4, 6, generator=g, **F64)
    plan = tp.emd_plan(p.to(device), q.to(device), cost.to(device))
    assert plan.device.type == torch.device(device).type and plan.dtype == torch.float64
    plan = plan.cpu()
    assert bool((plan >= 0).all())
    torch.testing.assert_close(plan.sum(1), p, atol=1e-9, rtol=0)
    torch.testing.assert_close(plan.sum(0), q, atol=1e-9, rtol=0)
    assert float((plan * cost).sum()) == pytest.approx(tp.emd(p, q, cost), abs=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (4, 1), (1, 2)])
def test_one_word_on_a_side_is_the_linprog_value(shape):
    """m = 1 or n = 1 skips the LP (the marginals force gamma = p q^T / total): against linprog itself."""
    g = torch.Generator().manual_seed(sum(shape))
    m, n = shape
    p, q = _simplex(m, g), _simplex(n, g)
    cost = torch.rand(m, n, generator=g, **F64) * 3
    a_eq = np.vstack([np.kron(np.eye(m), np.ones((1, n))), np.kron(np.ones((1, m)), np.eye(n))])
    want = scipy.optimize.linprog(cost.numpy().ravel(), A_eq=a_eq, b_eq=np.concatenate([p, q]), method="highs")
    assert tp.emd(p, q, cost) == pytest.approx(want.fun, abs=1e-12)
    plan = tp.emd_plan(p, q, cost).numpy()
    assert plan == pytest.approx(want.x.reshape(m, n), abs=1e-12)
    x, y = torch.randn(m, 3, generator=g, **F64), torch.randn(n, 3, generator=g, **F64)
    assert tp.word_mover_distance(x, y) == pytest.approx(float(torch.cdist(x, y).mean()), abs=1e-12)


def test_the_dual_lp_gives_the_same_value():
    """max sum p_i f_i - q_j g_j ... as max sum p f + sum q h with f_i + h_j <= d_ij (strong duality)."""
    g = torch.Generator().manual_seed(5)
    p, q, cost = _simplex(3, g), _simplex(4, g), torch.rand(3, 4, generator=g, **F64)
    m, n = cost.shape
    a = np.zeros((m * n, m + n))
    for i, j in itertools.product(range(m), range(n)):
        a[i * n + j, i] = a[i * n + j, m + j] = 1.0
    res = scipy.optimize.linprog(
        -np.concatenate([p.numpy(), q.numpy()]), A_ub=a, b_ub=cost.numpy().ravel(), bounds=(None, None)
    )
    assert tp.emd(p, q, cost) == pytest.approx(-res.fun, abs=1e-9)


def test_unequal_totals_raise_naming_q_where_dropping_a_row_returns_a_number():
    p, q, cost = [0.5, 0.5], [0.5, 0.4], [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(ValueError, match=r"^q must hold the same total mass.*0\.9"):
        tp.emd(p, q, cost)
    # the article's drop-last-row LP silently solves another problem
    a = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], float)
    b = np.array(p + q)
    dropped = scipy.optimize.linprog(np.ravel(cost), A_eq=a[:-1], b_eq=b[:-1], method="highs")
    full = scipy.optimize.linprog(np.ravel(cost), A_eq=a, b_eq=b, method="highs")
    assert full.status == 2  # infeasible, as it should be
    assert dropped.status == 0 and dropped.x.reshape(2, 2).sum(0)[1] == pytest.approx(0.5)  # q_2 raised from 0.4


# ---------------------------------------------------------------- WMD and WCD
@pytest.mark.parametrize("seed", range(5))
def test_wmd_with_equal_lengths_is_an_assignment(seed, device):
    """Birkhoff: uniform masses, m = n, the LP optimum is a permutation."""
    g = torch.Generator().manual_seed(300 + seed)
    n = 2 + seed
    x, y = torch.randn(n, 5, generator=g, **F64), torch.randn(n, 5, generator=g, **F64)
    d = torch.cdist(x, y).numpy()
    r, c = scipy.optimize.linear_sum_assignment(d)
    assert tp.word_mover_distance(x.to(device), y.to(device)) == pytest.approx(d[r, c].sum() / n, abs=1e-9)


def test_article_planar_example():
    x = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    y = [[1.0, 1.0], [2.0, 0.0], [0.0, 2.0]]
    brute = min(sum(math.dist(x[i], y[s[i]]) for i in range(3)) for s in itertools.permutations(range(3))) / 3
    assert tp.word_mover_distance(x, y) == pytest.approx(brute, abs=1e-9)
    cx, cy = np.mean(x, 0), np.mean(y, 0)
    assert tp.word_centroid_distance(x, y) == pytest.approx(float(np.linalg.norm(cx - cy)), abs=1e-12)


@pytest.mark.parametrize("d", [1, 2, 7, 50])
def test_rms_cost_is_euclidean_over_root_d(d):
    g = torch.Generator().manual_seed(d)
    x, y = torch.randn(4, d, generator=g, **F64), torch.randn(3, d, generator=g, **F64)
    # the article's code, literally: sqrt(mean of squares) per pair
    rms = torch.sqrt((x[:, None] - y[None]).square().mean(2))
    p, q = torch.full((4,), 0.25, **F64), torch.full((3,), 1 / 3, **F64)
    assert tp.word_mover_distance(x, y, cost="rms") == pytest.approx(tp.emd(p, q, rms), abs=1e-9)
    assert tp.word_mover_distance(x, y, cost="rms") == pytest.approx(tp.word_mover_distance(x, y) / math.sqrt(d))


_sizes = st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**31 - 1))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(_sizes)
def test_bounds_hold_on_random_sentences(sizes):
    m, n, d, seed = sizes
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(m, d, generator=g, **F64), torch.randn(n, d, generator=g, **F64) + 0.5
    assert tp.word_centroid_distance(x, y) <= tp.word_mover_distance(x, y) + 1e-9
    wrd = tp.word_rotator_distance(x, y)
    assert tp.wrd_lower_bound(x, y) <= wrd + 1e-9
    assert -1e-12 <= wrd <= 2 + 1e-12


# ---------------------------------------------------------------- WRD
def test_wrd_is_its_lp_with_norm_masses_and_cosine_cost(device):
    g = torch.Generator().manual_seed(11)
    x, y = torch.randn(3, 4, generator=g, **F64), torch.randn(5, 4, generator=g, **F64)
    nx, ny = x.norm(dim=1), y.norm(dim=1)
    cos = torch.nn.functional.cosine_similarity(x[:, None], y[None], dim=-1)
    want = tp.emd(nx / nx.sum(), ny / ny.sum(), 1 - cos)
    assert tp.word_rotator_distance(x.to(device), y.to(device)) == pytest.approx(want, abs=1e-9)
    plan = tp.word_rotator_plan(x.to(device), y.to(device)).cpu()
    torch.testing.assert_close(plan.sum(1), nx / nx.sum(), atol=1e-9, rtol=0)
    assert float((plan * (1 - cos)).sum()) == pytest.approx(want, abs=1e-9)


def test_wrd_range_and_the_negated_sentence():
    x = torch.tensor([[1.0, 2.0, 0.5]], **F64)
    assert tp.word_rotator_distance(x, -x) == pytest.approx(2.0, abs=1e-12)  # one word: antipodal
    three = torch.tensor([[1.0, 0.0], [-0.5, math.sqrt(3) / 2], [-0.5, -math.sqrt(3) / 2]], **F64)
    # three directions 120 degrees apart against their negations: each pairs with a partner 60 degrees off
    assert tp.word_rotator_distance(three, -three) == pytest.approx(1 - math.cos(math.pi / 3), abs=1e-9)


def test_wrd_invariances():
    g = torch.Generator().manual_seed(12)
    x, y = torch.randn(3, 4, generator=g, **F64), torch.randn(2, 4, generator=g, **F64)
    w = tp.word_rotator_distance(x, y)
    assert tp.word_rotator_distance(7.5 * x, 0.01 * y) == pytest.approx(w, abs=1e-9)  # scale a sentence
    assert tp.word_rotator_distance(x[[2, 0, 1]], y[[1, 0]]) == pytest.approx(w, abs=1e-9)  # reorder
    q = torch.linalg.qr(torch.randn(4, 4, generator=g, **F64))[0]
    assert tp.word_rotator_distance(x @ q, y @ q) == pytest.approx(w, abs=1e-9)  # rotate both
    assert tp.word_rotator_distance(x, x * 3) == pytest.approx(0.0, abs=1e-9)
    x5 = x.clone()
    x5[0] *= 5
    assert abs(tp.word_rotator_distance(x5, y) - w) > 1e-3  # one word's norm is its mass


def test_wrd_tends_to_the_big_words_distance_as_its_norm_grows():
    g = torch.Generator().manual_seed(13)
    x, y = torch.randn(3, 4, generator=g, **F64), torch.randn(2, 4, generator=g, **F64)
    big = x.clone()
    big[0] *= 1e7
    assert tp.word_rotator_distance(big, y) == pytest.approx(tp.word_rotator_distance(x[:1], y), abs=1e-5)


def test_wrd_breaks_the_triangle_inequality_wmd_does_not():
    a, b, c = ([[math.cos(t), math.sin(t)]] for t in (0.0, math.pi / 4, math.pi / 2))
    a, b, c = list(a), list(b), list(c)
    assert tp.word_rotator_distance(a, c) > tp.word_rotator_distance(a, b) + tp.word_rotator_distance(b, c)
    assert tp.word_mover_distance(a, c) <= tp.word_mover_distance(a, b) + tp.word_mover_distance(b, c)


def test_wrd_bound_is_half_the_chord_norm():
    x = torch.tensor([[1.0, 0.0]], **F64)
    y = torch.tensor([[0.0, 3.0]], **F64)
    # one word each: WRD = 1 - cos = 1, chord^2 = 2, so the halved bound is exact
    assert tp.wrd_lower_bound(x, y) == pytest.approx(1.0) == tp.word_rotator_distance(x, y)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: tp.emd([-0.1, 1.1], [0.5, 0.5], [[0, 1], [1, 0]]), r"^p must hold masses >= 0"),
        (lambda: tp.emd([0.5, 0.5], [0.5, float("nan")], [[0, 1], [1, 0]]), r"^q "),
        (lambda: tp.emd([0.5, 0.5], [1.0], [[0, 1], [1, 0]]), r"^cost must have shape"),
        (lambda: tp.emd([[0.5, 0.5]], [1.0], [[0, 1]]), r"^p must be a 1-D"),
        (lambda: tp.word_mover_distance([[1.0, 0.0]], [[1.0, 0.0, 0.0]]), r"^y must have the same dimension"),
        (lambda: tp.word_mover_distance([[1.0]], [[2.0]], cost="cosine"), r"^cost"),
        (lambda: tp.word_rotator_distance([[0.0, 0.0], [1.0, 0.0]], [[1.0, 1.0]]), r"^x must have nonzero"),
        (lambda: tp.wrd_lower_bound([[1.0, 0.0]], [[0.0, 0.0]]), r"^y must have nonzero"),
        (lambda: tp.emd_1d([0.5, 0.5], [0.2, 0.3, 0.5]), r"^q must have as many bins"),
        (lambda: tp.emd_1d([0.5, 0.5], [0.5, 0.5], [1.0, 0.0]), r"^positions must be"),
        (lambda: tp.word_mover_distance([1.0, 0.0], [[1.0, 0.0]]), r"^x must be a 2-D"),
    ],
)
def test_bad_input_raises_naming_the_parameter(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_extreme_but_valid_input_is_finite():
    x = torch.tensor([[1e-150, 2e-150], [3e150, -1e150]], **F64)
    y = torch.tensor([[1e-200, 0.0]], **F64)
    assert math.isfinite(tp.word_rotator_distance(x, y)) and math.isfinite(tp.wrd_lower_bound(x, y))
    assert tp.emd([1.0], [1.0], [[1e300]]) == pytest.approx(1e300)
    assert tp.emd([0.5, 0.5], [0.5, 0.5], [[0.0, 1e-300], [1e-300, 0.0]]) == 0.0


@pytest.mark.parametrize("cost", ["euclidean", "rms"])
def test_sentence_distances_are_the_four_functions(cost, device):
    g = torch.Generator().manual_seed(21)
    x, y = torch.randn(4, 3, generator=g, **F64), torch.randn(5, 3, generator=g, **F64)
    r = tp.sentence_distances(x.to(device), y.to(device), cost=cost)
    scale = math.sqrt(3) if cost == "rms" else 1.0
    assert r["wmd"] == pytest.approx(tp.word_mover_distance(x, y, cost=cost), abs=1e-9)
    assert r["wcd"] == pytest.approx(tp.word_centroid_distance(x, y) / scale, abs=1e-12)
    assert r["wrd"] == pytest.approx(tp.word_rotator_distance(x, y), abs=1e-9)
    assert r["bound"] == pytest.approx(tp.wrd_lower_bound(x, y), abs=1e-12)
    d = torch.cdist(x, y) / scale
    assert float((r["wmd_plan"].cpu() * d).sum()) == pytest.approx(r["wmd"], abs=1e-9)
    torch.testing.assert_close(r["wmd_plan"].cpu().sum(0), torch.full((5,), 0.2, **F64), atol=1e-9, rtol=0)


def test_sinkhorn_tends_to_the_lp_and_keeps_the_marginals(device):
    g = torch.Generator().manual_seed(31)
    p, q, cost = _simplex(2, g), _simplex(3, g), torch.rand(2, 3, generator=g, **F64)
    lp = tp.emd(p, q, cost)
    gaps = []
    for eps in (1.0, 0.1, 0.01, 0.001):
        value, plan = tp.sinkhorn(p.to(device), q.to(device), cost.to(device), eps)
        plan = plan.cpu()
        torch.testing.assert_close(plan.sum(1), p, atol=1e-10, rtol=0)
        torch.testing.assert_close(plan.sum(0), q, atol=1e-10, rtol=0)
        assert value >= lp - 1e-9  # a feasible plan costs at least the optimum (to the marginals' 1e-12)
        gaps.append(value - lp)
    assert gaps[0] > gaps[1] > gaps[2] - 1e-9 and abs(gaps[-1]) < 1e-9 and gaps[0] > 1e-3
    # the entropic plan at eps is the Gibbs kernel exp(-d/eps) scaled: its log has rank-2 structure
    _, plan = tp.sinkhorn(p, q, cost, 0.5)
    log_k = plan.log() + cost / 0.5
    centred = log_k - log_k.mean(0, keepdim=True) - log_k.mean(1, keepdim=True) + log_k.mean()
    assert float(centred.abs().max()) < 1e-9


def test_sinkhorn_bad_temperature():
    with pytest.raises(ValueError, match="^temperature"):
        tp.sinkhorn([0.5, 0.5], [0.5, 0.5], [[0.0, 1.0], [1.0, 0.0]], 0.0)
