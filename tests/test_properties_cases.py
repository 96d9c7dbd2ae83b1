"""Each case the issue listed, by name: a ValueError naming the parameter, value and range, or a
correct finite result (the generated cases of tests/test_properties.py cover the classes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import angles, batchnorm, bert_init, embedding, geometric_init, rnn, smoothing, softmax


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: softmax.spread("abc"), "p"),
        (lambda: softmax.spread(torch.tensor([1 + 5j, 2 - 7j])), "p"),
        (lambda: softmax.iterate_softmax(torch.ones(3), 10**30), "steps"),
        (lambda: geometric_init.xavier_std(10**400, 1), "fan_in"),
        (lambda: bert_init.synthetic_task(seed=10**30), "seed"),
        (
            lambda: smoothing.train_linear_classifier(torch.ones(4, 2), torch.tensor([0.0, 1, 0, 1]), steps=2**63),
            "steps",
        ),
        (lambda: angles.sample_angles(3, 2, device="nonsense"), "device"),
        (lambda: angles.sample_angles(3, 2, device=1.5), "device"),
        (lambda: angles.sample_angles(3, 2, generator=0), "generator"),
        (lambda: bert_init.sample_truncated_normal((6,), dtype=torch.int64), "dtype"),
        (lambda: bert_init.synthetic_task(device=1.5), "device"),
        (lambda: embedding.min_embedding_dim(1e5, coefficient=1e-300), "coefficient"),
        (lambda: embedding.jl_dimension(1e300, 1e-8), "eps"),
        (lambda: softmax.spread(torch.tensor([1.0, math.nan])), "p"),
    ],
)
def test_listed_bad_inputs_name_parameter_value_and_range(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must .*got ") as info:
        call()
    assert "must be" in str(info.value) or "must give" in str(info.value) or "must ask" in str(info.value)


def test_cuda_refused_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    with pytest.raises(ValueError, match="device must be an available device"):
        angles.sample_angles(3, 2, device="cuda")


def test_temperature_5e_324_is_fine_or_refused_by_name():
    x = torch.tensor([0.1, 0.4, 0.2], dtype=torch.float64)
    try:
        softmax.steps_to_uniform(x, temperature=5e-324)
    except ValueError as e:
        assert str(e).startswith("temperature")
    except softmax.NotUniformError as e:  # the documented stall, not an internal name
        assert "p " not in str(e)[:2]


def test_angle_cdf_gradient_at_half_pi_is_the_density():
    t = torch.tensor([math.pi / 2], dtype=torch.float64, requires_grad=True)
    angles.angle_cdf(t, 10).sum().backward()
    assert t.grad.item() == pytest.approx(angles.angle_pdf(math.pi / 2, 10), rel=1e-9)


@pytest.mark.parametrize("f", [angles.angle_pdf, angles.angle_cdf])
def test_gradient_at_the_ends_of_the_support_is_zero(f):
    t = torch.tensor([0.0, math.pi], dtype=torch.float64, requires_grad=True)
    f(t, 10).sum().backward()
    assert torch.isfinite(t.grad).all() and t.grad.abs().max() < 1e-12


def test_cosine_pdf_gradient_at_plus_minus_one_is_zero():
    e = torch.tensor([-1.0, 1.0], dtype=torch.float64, requires_grad=True)
    angles.cosine_pdf(e, 10).sum().backward()
    assert torch.equal(e.grad, torch.zeros(2, dtype=torch.float64))


def test_truncation_factor_gradient_at_1e_200_is_finite():
    b = torch.tensor([1e-200], dtype=torch.float64, requires_grad=True)
    bert_init.truncation_factor(b).sum().backward()
    assert b.grad.item() == pytest.approx(1 / math.sqrt(3.0), rel=1e-12)  # b/sqrt(3) near 0


def test_relu_states_overflow_to_inf_not_nan():
    p = rnn.init_params("rnn-relu", 8, 5.0, seed=0)
    x = torch.randn(10**4, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    states = rnn.state_jacobians("rnn-relu", x, p).states
    assert not torch.isnan(states).any() and torch.isinf(states).any()


@pytest.mark.parametrize(
    "call",
    [
        lambda x, p: rnn.state_jacobians("lstm", x, p),
        lambda x, p: rnn.lstm_terms(x, p),
        lambda x, p: rnn.log_product_norms(x.reshape(4, 2, 2)),
    ],
)
def test_autograd_inputs_are_refused_with_a_clear_error(call):
    p = rnn.init_params("lstm", 2, 1.0, seed=0)
    x = torch.randn(8, 2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match="must not require grad"):
        call(x, p)


def test_branch_variance_with_a_huge_std_is_refused_by_name():
    with pytest.raises(ValueError, match="^std must"):
        bert_init.branch_variance(32, 1e100, bound=None)


def test_train_adding_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    rnn.train_adding("lstm", 8, hidden=4, steps=2, batch=4)
    assert torch.equal(torch.get_rng_state(), state)


def test_numpy_int_and_zero_d_rules():
    assert softmax.spread(np.array([1.0, 3.0], dtype=np.float32)).dtype == torch.float32
    assert softmax.spread(torch.tensor([1, 3])).item() == 2.0  # integer tensors: default float dtype
    with pytest.raises(ValueError, match="^p must"):
        softmax.spread(torch.tensor([True, False]))
    with pytest.raises(ValueError, match="^p must be a tensor with at least 1"):
        softmax.spread(torch.tensor(1.0))
    assert batchnorm.descent_bound(torch.tensor(2.0), 0.1, 1.0) == pytest.approx(-0.09)
