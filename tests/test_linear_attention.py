"""Linear attention (lesson 09): every form against the explicit O(n^2) weights in a float64 double loop."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from theory_lib import linear_attention as la


# ---------------------------------------------------------------- the independent reference
def _elu1(x: float) -> float:
    return math.exp(x) if x < 0 else 1.0 + x


def _sim(name: str, q: list, k: list) -> float:
    """sim(q, k) from Python floats, one pair at a time (no torch, no factorisation)."""
    dot = sum(a * b for a, b in zip(q, k, strict=True))
    if name == "exp":
        return math.exp(dot)
    if name == "elu+1":
        return sum(_elu1(a) * _elu1(b) for a, b in zip(q, k, strict=True))
    if name == "relu":
        return sum(max(a, 0.0) * max(b, 0.0) for a, b in zip(q, k, strict=True))
    cos = dot / math.sqrt(sum(a * a for a in q) * sum(b * b for b in k))
    return 1.0 + cos if name == "1+cos" else math.exp(cos)


def loop_attention(q, k, v, sim: str, causal: bool = False) -> torch.Tensor:
    """out_i = sum_j sim(q_i, k_j) v_j / sum_j sim(q_i, k_j), j <= i when causal: a double loop."""
    q, k, v = (t.tolist() for t in (q, k, v))
    out = []
    for i, qi in enumerate(q):
        js = range(i + 1) if causal else range(len(k))
        w = [_sim(sim, qi, k[j]) for j in js]
        total = sum(w)
        # a query similar to no key (relu: every feature product 0) has no weights: the module's row of 0
        out.append([sum(w[j] * v[j][c] for j in js) / total if total > 0 else 0.0 for c in range(len(v[0]))])
    return torch.tensor(out, dtype=torch.float64)


def loop_double_softmax(q, k, v) -> torch.Tensor:
    """softmax_2(Q) softmax_1(K)^T V entry by entry."""
    q, k, v = (t.tolist() for t in (q, k, v))
    n, nk, d, dv = len(q), len(k), len(q[0]), len(v[0])
    sq = [[math.exp(r[l]) / sum(math.exp(x) for x in r) for l in range(d)] for r in q]
    col = [sum(math.exp(k[j][l]) for j in range(nk)) for l in range(d)]
    sk = [[math.exp(k[j][l]) / col[l] for l in range(d)] for j in range(nk)]
    return torch.tensor(
        [
            [sum(sq[i][l] * sk[j][l] * v[j][c] for l in range(d) for j in range(nk)) for c in range(dv)]
            for i in range(n)
        ],
        dtype=torch.float64,
    )


def _qkv(seed: int, n=7, nk=5, d=3, dv=2, device="cpu", dtype=torch.float64, batch=()):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(*batch, a, b, generator=g, dtype=torch.float64) for a, b in ((n, d), (nk, d), (nk, dv)))
    return q.to(device, dtype), k.to(device, dtype), v.to(device, dtype)


# ---------------------------------------------------------------- each form against the loop
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_forms_match_the_double_loop(seed, device):
    q, k, v = _qkv(seed, device=device)
    cpu = [t.cpu() for t in (q, k, v)]
    cases = {
        "exp": la.softmax_attention(q, k, v),
        "elu+1": la.linear_attention(q, k, v, "elu+1"),
        "relu": la.linear_attention(q, k, v, "relu"),
        "1+cos": la.cosine_linear_attention(q, k, v),
    }
    for sim, out in cases.items():
        assert out.device.type == device.type and out.shape == (7, 2)
        torch.testing.assert_close(out.cpu(), loop_attention(*cpu, sim), rtol=0, atol=1e-10, msg=sim)
    torch.testing.assert_close(la.efficient_attention(q, k, v).cpu(), loop_double_softmax(*cpu), rtol=0, atol=1e-10)


@pytest.mark.parametrize("sim", ["exp", "elu+1", "relu", "1+cos", "exp-cos"])
@pytest.mark.parametrize("causal", [False, True])
def test_weights_times_v_is_the_loop(sim, causal):
    q, k, v = _qkv(3, n=6, nk=6)
    w = la.attention_weights(q, k, sim, causal=causal)
    torch.testing.assert_close(w @ v, loop_attention(q, k, v, sim, causal), rtol=0, atol=1e-10)
    if causal:
        assert bool((w.triu(1) == 0).all())


@pytest.mark.parametrize("feature_map", ["elu+1", "relu"])
def test_causal_modes_match_the_masked_loop_and_each_other(feature_map, device):
    q, k, v = _qkv(4, n=9, nk=9, d=4, dv=3, device=device)
    ref = loop_attention(*(t.cpu() for t in (q, k, v)), feature_map, causal=True)
    rnn = la.causal_linear_attention(q, k, v, feature_map, mode="rnn")
    cum = la.causal_linear_attention(q, k, v, feature_map, mode="cumsum")
    torch.testing.assert_close(rnn.cpu(), ref, rtol=0, atol=1e-10)
    torch.testing.assert_close(cum.cpu(), ref, rtol=0, atol=1e-10)
    # the first row sees one key: its output is v_1 whatever the similarity (unless it is 0)
    torch.testing.assert_close(rnn[0], v[0], rtol=0, atol=1e-12) if feature_map == "elu+1" else None


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale", [1.0, 0.125])
def test_softmax_attention_matches_torch_sdpa(causal, scale, device):
    q, k, v = _qkv(5, n=8, nk=8, d=4, dv=3, device=device, batch=(2, 3))
    ours = la.softmax_attention(q, k, v, causal=causal, scale=scale)
    theirs = F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


def test_callable_feature_map_is_the_named_one():
    q, k, v = _qkv(6)
    ours = la.linear_attention(q, k, v, lambda x: F.elu(x) + 1)
    torch.testing.assert_close(ours, la.linear_attention(q, k, v, "elu+1"), rtol=0, atol=1e-13)
    # more features than d: phi(x) = [e^x, e^{-x}] gives sim = sum_l 2 cosh(q_l + k_l)
    both = lambda x: torch.cat([x.exp(), (-x).exp()], -1)  # noqa: E731
    sim = 2 * (q[:, None, :] + k[None, :, :]).cosh().sum(-1)  # (n, n_k)
    torch.testing.assert_close(
        la.linear_attention(q, k, v, both), (sim / sim.sum(-1, keepdim=True)) @ v, atol=1e-13, rtol=0
    )


# ---------------------------------------------------------------- dtype, batch, broadcasting
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_batch_follow_the_inputs(dtype, device):
    q, k, v = _qkv(7, device=device, dtype=dtype, batch=(2,))
    for f in (la.linear_attention, la.cosine_linear_attention, la.efficient_attention, la.softmax_attention):
        out = f(q, k, v)
        assert out.dtype == dtype and out.device.type == device.type and out.shape == (2, 7, 2)
        one = f(q[1], k[1], v[1])
        torch.testing.assert_close(out[1], one, rtol=1e-5, atol=1e-6)
    qc, kc, vc = _qkv(8, n=5, nk=5, device=device, dtype=dtype, batch=(3,))
    for mode in ("rnn", "cumsum"):
        out = la.causal_linear_attention(qc, kc[:1], vc, mode=mode)  # k broadcast over the batch
        ref = la.causal_linear_attention(qc, kc[:1].expand(3, -1, -1), vc, mode=mode)
        torch.testing.assert_close(out, ref)


def test_gradients_match_finite_differences():
    q, k, v = (t.requires_grad_() for t in _qkv(9, n=4, nk=4, d=2, dv=2))
    for f in (
        la.linear_attention,
        la.cosine_linear_attention,
        la.efficient_attention,
        lambda *a: la.causal_linear_attention(*a, mode="rnn"),
    ):
        assert torch.autograd.gradcheck(f, (q, k, v))


# ---------------------------------------------------------------- the article's rows, checked
def test_double_softmax_rows_sum_to_one_and_have_rank_at_most_d():
    q, k, _ = _qkv(10, n=12, nk=12, d=3)
    w = la.attention_weights(q, k, "double-softmax")
    torch.testing.assert_close(w.sum(-1), torch.ones(12, dtype=torch.float64), rtol=0, atol=1e-14)
    assert torch.linalg.matrix_rank(w).item() == 3


def test_cosine_weights_lie_in_zero_two_and_exp_cos_in_inverse_e_to_e():
    q, k, _ = _qkv(11, n=30, nk=30, d=2)
    unnormalised = 1 + F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).T
    assert unnormalised.min() >= 0 and unnormalised.max() <= 2
    w = la.attention_weights(q, k, "exp-cos")
    ratio = (w.amax(-1) / w.amin(-1)).max().item()
    assert ratio <= math.e**2 * (1 + 1e-12) and ratio > 0.9 * math.e**2  # d = 2: near-opposite keys exist


def test_cost_counts_match_torchs_flop_counter():
    for n, d, dv in ((64, 16, 16), (40, 8, 5)):
        q, k, v = _qkv(12, n=n, nk=n, d=d, dv=dv)
        cost = la.attention_cost(n, d, dv)
        with FlopCounterMode(display=False) as quad:
            (q @ k.T) @ v
        with FlopCounterMode(display=False) as lin:
            q @ (k.T @ v)
        assert quad.get_total_flops() == 2 * cost["softmax_madds"]  # a multiply-add is 2 flops
        assert lin.get_total_flops() == 2 * cost["linear_madds"]
        assert cost["softmax_memory"] == (q @ k.T).numel()
        assert cost["cumsum_memory"] == (k.unsqueeze(-1) * v.unsqueeze(-2)).numel()
    c = la.attention_cost(512, 64)
    assert c["softmax_madds"] / c["linear_madds"] == 512 / 64


# ---------------------------------------------------------------- extreme input, degenerate rows
def test_elu_features_that_underflow_still_give_the_ratio():
    """All inputs below -700: elu + 1 is e^x exactly, e^{-1400} underflows, yet the weights are a softmax of
    log sum_l e^{q_l + k_l}, computed here with logsumexp (another route)."""
    q, k, v = _qkv(13, n=5, nk=6, d=3)
    q, k = q - 800, k - 750
    ref = torch.softmax(torch.logsumexp(q[:, None, :] + k[None, :, :], -1), -1) @ v
    torch.testing.assert_close(la.linear_attention(q, k, v), ref, rtol=0, atol=1e-12)
    for mode in ("rnn", "cumsum"):
        qc, kc, vc = q, k[:5], v[:5]
        refc = la.attention_weights(qc, kc, "elu+1", causal=True) @ vc
        torch.testing.assert_close(la.causal_linear_attention(qc, kc, vc, mode=mode), refc, rtol=0, atol=1e-12)


def test_large_logits_stay_finite(device):
    q, k, v = _qkv(14, device=device, dtype=torch.float32)
    for f in (la.softmax_attention, la.linear_attention, la.efficient_attention, la.cosine_linear_attention):
        out = f(1e4 * q, 1e4 * k, v)
        assert bool(torch.isfinite(out).all())
    # softmax at a huge scale is the argmax: out_i = v at the key with the largest q_i . k_j
    hard = v[(q @ k.T).argmax(-1)]
    torch.testing.assert_close(la.softmax_attention(q, k, v, scale=1e4), hard)


def test_query_with_no_similar_key_gives_zero():
    q = torch.tensor([[-1.0, -2.0], [1.0, 0.5]], dtype=torch.float64)
    k = torch.tensor([[0.5, 1.0], [2.0, 0.1]], dtype=torch.float64)
    v = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    out = la.linear_attention(q, k, v, "relu")
    assert out[0].item() == 0.0
    assert out[1].item() == pytest.approx(loop_attention(q[1:], k, v, "relu").item(), abs=1e-14)


def test_row_entropy_against_its_definition():
    w = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 0.0, 0.0], [1.0, 3.0, 0.0, 0.0]], dtype=torch.float64)
    h = la.row_entropy(w)
    assert h[0].item() == pytest.approx(math.log(4)) and h[1].item() == 0.0
    assert h[2].item() == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda q, k, v: la.linear_attention(q, k[:, :2], v), "k"),
        (lambda q, k, v: la.linear_attention(q, k, v[:3]), "v"),
        (lambda q, k, v: la.causal_linear_attention(q, k, v), "k"),  # n_k = 5 != n = 7
        (lambda q, k, v: la.causal_linear_attention(q, k[:5], v, mode="loop"), "mode"),
        (lambda q, k, v: la.linear_attention(q, k, v, "softplus"), "feature_map"),
        (lambda q, k, v: la.linear_attention(q, k, v, lambda x: x), "feature_map"),  # negative features
        (lambda q, k, v: la.cosine_linear_attention(torch.zeros_like(q), k, v), "q"),
        (lambda q, k, v: la.cosine_linear_attention(q, torch.zeros_like(k), v), "k"),
        (lambda q, k, v: la.softmax_attention(q, k, v, scale=0.0), "scale"),
        (lambda q, k, v: la.attention_weights(q, k, "softmax"), "similarity"),
        (lambda q, k, v: la.attention_weights(q, q, "double-softmax", causal=True), "causal"),
        (lambda q, k, v: la.attention_cost(0, 64), "n"),
        (lambda q, k, v: la.attention_cost(8, 0), "d"),
        (lambda q, k, v: la.row_entropy(-k), "weights"),
        (lambda q, k, v: la.linear_attention(q[0], k, v), "q"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    q, k, v = _qkv(15)
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call(q, k, v)


def test_states_are_the_running_sums_and_give_the_causal_output():
    q, k, v = _qkv(16, n=6, nk=6, d=3, dv=2)
    s, z = la.causal_states(k, v)
    phi = [[_elu1(x) for x in row] for row in k.tolist()]
    for i in range(6):
        for a in range(3):
            assert z[i, a].item() == pytest.approx(sum(phi[j][a] for j in range(i + 1)), rel=1e-13)
            for c in range(2):
                want = sum(phi[j][a] * v[j, c].item() for j in range(i + 1))
                assert s[i, a, c].item() == pytest.approx(want, rel=1e-12, abs=1e-14)
    fq = la.features(q)
    out = torch.einsum("na,nac->nc", fq, s) / (fq * z).sum(-1, keepdim=True)
    torch.testing.assert_close(out, la.causal_linear_attention(q, k, v), rtol=0, atol=1e-12)
    torch.testing.assert_close(la.features(q), F.elu(q) + 1, rtol=0, atol=1e-15)
    torch.testing.assert_close(la.features(q, "relu"), F.relu(q), rtol=1e-15, atol=0)  # exp(log x)


def test_requests_over_the_memory_budget_are_refused_by_name():
    big = torch.ones(1, 64).expand(16384, 64)  # a view: 16384^2 float32 weights would be 1 GiB
    with pytest.raises(ValueError, match=r"^q must ask for at most 512 MiB"):
        la.softmax_attention(big, big, big)
    small = big[:4096]  # 4096^2 float32 weights: 64 MiB, within the budget
    assert la.softmax_attention(small[:8], small, small).shape == (8, 64)
    with pytest.raises(ValueError, match=r"^q must ask for at most"):
        la.causal_linear_attention(
            torch.ones(1, 1024).expand(4096, 1024), big[:4096, :1].expand(4096, 1024), small, mode="cumsum"
        )
