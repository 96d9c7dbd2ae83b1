"""The linear VAE of lesson 19's experiment: its exact marginal against scipy.stats.multivariate_normal,
probabilistic PCA's closed form as a stationary point of the likelihood (autograd), training towards it,
and the importance estimate converging in M (encoder) or not (prior)."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from theory_lib import vae

D, d = 4, 2


def _data(n, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    W = torch.tensor([[1.0, 0.0], [0.5, 1.5], [-1.0, 0.3], [0.2, -0.7]], dtype=torch.float64)
    b = torch.tensor([0.5, -1.0, 0.0, 2.0], dtype=torch.float64)
    z = torch.randn(n, d, generator=g, dtype=torch.float64)
    return (z @ W.T + b + 0.3 * torch.randn(n, D, generator=g, dtype=torch.float64)).to(device)


def test_marginal_against_scipy(device):
    x = _data(50, device=device)
    W = torch.tensor([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0], [0.5, 0.5]], dtype=torch.float64, device=device)
    b = torch.arange(D, dtype=torch.float64, device=device)
    got = vae.linear_vae_log_marginal(x, W, b, 0.7)
    assert got.device == x.device and got.shape == (50,)
    cov = (W @ W.T).cpu().numpy() + 0.49 * torch.eye(D, dtype=torch.float64).numpy()
    ref = stats.multivariate_normal(b.cpu().numpy(), cov).logpdf(x.cpu().numpy())
    assert abs(got.cpu().numpy() - ref).max() < 1e-12


def test_ppca_is_the_maximum_likelihood():
    x = _data(400)
    W, b, s = vae.ppca_fit(x, d)
    params = [W.clone().requires_grad_(True), b.clone().requires_grad_(True)]
    log_s = torch.tensor(math.log(s), dtype=torch.float64, requires_grad=True)

    def mean_ll(W_, b_, ls):
        cov = W_ @ W_.T + torch.exp(2 * ls) * torch.eye(D, dtype=torch.float64)
        return torch.distributions.MultivariateNormal(b_, cov).log_prob(x).mean()  # torch's own density

    best = mean_ll(*params, log_s)
    grads = torch.autograd.grad(best, [*params, log_s])
    assert max(g.abs().max().item() for g in grads) < 1e-10  # a stationary point
    g = torch.Generator().manual_seed(2)
    for _ in range(5):  # and no nearby setting is better
        dW, db = (
            0.05 * torch.randn(D, d, generator=g, dtype=torch.float64),
            0.05 * torch.randn(D, generator=g, dtype=torch.float64),
        )
        assert mean_ll(W + dW, b + db, log_s.detach() + 0.02).item() < best.item()


@pytest.fixture(scope="module")
def trained():
    x = _data(500)
    return x, _data(500, seed=1), vae.train_linear_vae(x, d, 1, steps=600, seed=0)


def test_training_reaches_the_ppca_likelihood(trained):
    x, _, model = trained
    W, b, s = vae.ppca_fit(x, d)
    top = vae.linear_vae_log_marginal(x, W, b, s).mean().item()
    got = vae.linear_vae_log_marginal(x, model.W, model.b, model.s).mean().item()
    assert top - 0.01 < got <= top + 1e-9  # below the maximum, within 0.01 nat per point
    assert model.losses[-1] < model.losses[0] and model.seconds > 0 and model.M == 1
    assert -model.losses[-1] < got + 0.05  # -loss estimates E[L_1] <= log q(x), up to sampling noise


def test_estimates_converge_in_m_from_the_encoder_not_the_prior(trained):
    _, held, model = trained
    exact = vae.linear_vae_log_marginal(held, model.W, model.b, model.s).mean().item()
    g = torch.Generator().manual_seed(4)
    many = held.repeat(20, 1)  # 20 draws per held-out point: the mean's standard error about 1e-3
    gaps = {}
    for M in (1, 16):
        est = vae.linear_vae_log_estimates(model, many, M, generator=g) - vae.linear_vae_log_marginal(
            many, model.W, model.b, model.s
        )
        gaps[M] = (est.mean().item(), est.std().item() / math.sqrt(est.numel()))
    assert gaps[1][0] + 3 * gaps[1][1] < 0 and gaps[1][0] < gaps[16][0] < 3 * gaps[16][1]  # biased low, less with M
    enc = vae.linear_vae_log_estimates(model, held, 1024, generator=g).mean().item()
    assert abs(enc - exact) < 2e-3
    prior = {
        M: vae.linear_vae_log_estimates(model, held, M, proposal="prior", generator=g).mean().item() for M in (1, 1024)
    }
    assert prior[1] < exact - 10 and prior[1024] < exact - 0.02  # the prior misses even with M = 1024


def test_bad_input():
    x = _data(10)
    W = torch.ones(D, d, dtype=torch.float64)
    with pytest.raises(ValueError, match="^s .*got"):
        vae.linear_vae_log_marginal(x, W, torch.zeros(D, dtype=torch.float64), 0.0)
    with pytest.raises(ValueError, match="^x .*got"):
        vae.linear_vae_log_marginal(x[:, :3], W, torch.zeros(D, dtype=torch.float64), 1.0)
    with pytest.raises(ValueError, match="^latent_dim .*got"):
        vae.ppca_fit(x, D)
    with pytest.raises(ValueError, match="^M .*got"):
        vae.train_linear_vae(x, d, 0, steps=1)
    model = vae.train_linear_vae(x, d, 1, steps=1)
    with pytest.raises(ValueError, match="^proposal .*got"):
        vae.linear_vae_log_estimates(model, x, 4, proposal="posterior")
    with pytest.raises(ValueError, match="^vae .*got"):
        vae.linear_vae_log_estimates("model", x, 4)
