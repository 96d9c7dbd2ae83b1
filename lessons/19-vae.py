# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 19 · The VAE as a density estimator: importance sampling instead of the ELBO
#
# **The question.** A trained VAE defines a density $q(x) = \int q(x|z)\,q(z)\,dz$. How do we get $\log q(x)$ out of it, and is the usual VAE loss an estimate of it or only a bound?
#
# **The source.** Su Jianlin, 《变分自编码器（八）：估计样本概率密度》 ("Variational autoencoders (8): estimating the probability density of samples"), Scientific Spaces, 2021-12-09, https://kexue.fm/archives/8791. Su's claims: a network approximates functions, not densities, so use a latent mixture; sampling $z$ from the prior fails in high dimension; instead keep the decoder variance small and sample $z$ from $p(z|x)$, "purely an importance weighting function"; one sample then gives the ordinary VAE objective and $M$ samples give IWAE, with "no ELBO needed".
#
# **You need:** Gaussian densities and the KL divergence between two Gaussians; Jensen's inequality; Monte Carlo estimates and their standard errors; lesson 11's reparameterisation $z = \mu + \sigma\varepsilon$; PyTorch tensors.
# **You will be able to:** estimate $\log q(x)$ of a latent-variable model by importance sampling; say why the log of an unbiased estimate is biased low and by how much (the KL to the true posterior at $M = 1$); measure with the effective sample size why the prior is a poor proposal and why a narrow posterior needs an accurate encoder; and train a linear VAE on the $M$-sample objective and check its likelihood against the exact one.
#
# Everything is checked on a toy where all is exact: $q(z) = \mathcal N(0, 1)$, $q(x|z) = \mathcal N(az, s^2)$, a proposal $r(z) = \mathcal N(m, v)$. Every formula comes from `theory_lib.vae`, where it is tested against an independent route (scipy.stats, mpmath and scipy quadrature, Monte Carlo); every number is computed by a cell.

# %%
import math
import os

import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Markdown, display
from scipy import integrate, stats

from theory_lib import default_device, vae
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.vae import EXERCISES, VaeBiasFigure, VaeEssFigure, VaeToyFigure

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# The toy with $a = 2$, $s = 0.5$, one data point $x = 1$, and a proposal $r(z) = \mathcal N(0.5, 0.1)$ close to the true posterior. Each estimate draws $M$ values $z_i \sim r$ and returns $L_M = \log\frac1M\sum_i w_i$ with the weight $w = q(x|z)q(z)/r(z)$. The histogram shows 2000 such estimates; the black line is the exact $\log q(x)$, the red dashed line the estimates' mean. Start at $M = 1$ and move $M$ up: the histogram narrows, and its mean climbs towards the line from below.

# %%
opening = VaeBiasFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · a latent mixture
#
# A network maps $z$ to the parameters of a simple law $q(x|z)$; mixing over $z \sim q(z)$ gives a density that is non-negative and integrates to 1 by construction:
#
# $$q(x) = \int q(x|z)\,q(z)\,dz = \mathbb E_{z\sim q(z)}\big[q(x|z)\big].$$
#
# In the toy the mixture is Gaussian again, $q(x) = \mathcal N(x; 0, a^2 + s^2)$, and the true posterior is $q(z|x) = \mathcal N\big(\tfrac{ax}{a^2+s^2}, \tfrac{s^2}{a^2+s^2}\big)$. The check: the integral by quadrature against the closed form and scipy.

# %%
a, s, x = 2.0, 0.5, 1.0
log_q = vae.linear_gaussian_log_marginal(x, a, s).item()
by_quad, _ = integrate.quad(lambda z: stats.norm.pdf(x, a * z, s) * stats.norm.pdf(z), -np.inf, np.inf, epsabs=1e-14)
mu, var = (t.item() for t in vae.linear_gaussian_posterior(x, a, s))
print(
    f"log q(x): closed form {log_q:.10f}, quadrature {math.log(by_quad):.10f}, scipy {stats.norm.logpdf(x, 0, math.hypot(a, s)):.10f}"
)
print(f"posterior q(z|x) = N({mu:.6f}, {var:.6f}) (8/17 = {8 / 17:.6f}, 1/17 = {1 / 17:.6f})")

# %% [markdown]
# ## Step 2 · why not sample from the prior?
#
# $q(x) = \mathbb E_{q(z)}[q(x|z)]$ invites the plain Monte Carlo estimate with $z$ from the prior. With a small decoder variance $s^2$ only a narrow set of $z$ gives a large $q(x|z)$, and most draws are wasted. The effective sample size says how many: for weights $w$ under a proposal $r$, a fraction $(\mathbb E w)^2/\mathbb E[w^2]$ of the draws counts. Writing $w = q(x)\,q(z|x)/r(z)$ gives it in closed form,
#
# $$\frac{(\mathbb E_r w)^2}{\mathbb E_r w^2} = \frac{\sigma\sqrt{2v - \sigma^2}}{v}\,\exp\Big(-\frac{(\mu - m)^2}{2v - \sigma^2}\Big),\qquad q(z|x) = \mathcal N(\mu, \sigma^2),$$
#
# and 0 when $v \le \sigma^2/2$ (then $\mathbb E_r w^2$ is infinite). With $d$ independent latent dimensions the fraction is its $d$-th power. The check: the closed form against Monte Carlo, and the small-$s$ slope $2\sqrt\pi\,\mathcal N(x; 0, a^2)$.

# %%
g = torch.Generator().manual_seed(0)
for s_ in (1.0, 0.5, 0.1, 0.01):
    z = torch.randn(200_000, dtype=torch.float64, generator=g)
    w = vae.importance_log_weights(z, x, a, s_, 0.0, 1.0).exp()
    print(
        f"s = {s_:<5}: ESS fraction closed form {vae.ess_fraction(x, a, s_).item():.5f}, 2*10^5 draws {(w.mean() ** 2 / (w**2).mean()).item():.5f}"
    )
print(f"small s: ESS / s -> 2 sqrt(pi) N(x; 0, a^2) = {2 * math.sqrt(math.pi) * stats.norm.pdf(x, 0, a):.4f}")
ess_01 = vae.ess_fraction(x, a, 0.1).item()
print(f"s = 0.1 in d = 10 and 100 dimensions: {ess_01**10:.2e}, {ess_01**100:.2e}")

# %%
ess_fig = VaeEssFigure()
ess_fig.widget()

# %%
show_exercises(EXERCISES, ess_fig)

# %% [markdown]
# ## Step 3 · importance sampling from the posterior
#
# Any proposal $r(z)$ that covers $q(z|x)$ gives an unbiased estimate:
#
# $$q(x) = \int q(x|z)\,\frac{q(z)}{r(z)}\,r(z)\,dz = \mathbb E_{z\sim r}\big[w(z)\big],\qquad w(z) = \frac{q(x|z)\,q(z)}{r(z)}.$$
#
# Su takes $r = p(z|x)$, the encoder: it is "purely an importance weighting function". The best choice is the true posterior: then $w(z) = q(x)$ for every $z$, so one sample is exact. The check: log weights at the exact posterior, and the unbiasedness of $w$ under the note's proposal.

# %%
z = mu + math.sqrt(var) * torch.randn(10**5, dtype=torch.float64, generator=g)
lw_exact = vae.importance_log_weights(z, x, a, s, mu, var)
print(f"exact posterior: max |log w - log q(x)| over 10^5 draws = {(lw_exact - log_q).abs().max().item():.1e}")
z = 0.5 + math.sqrt(0.1) * torch.randn(200_000, dtype=torch.float64, generator=g)
w = vae.importance_log_weights(z, x, a, s, 0.5, 0.1).exp()
print(
    f"proposal N(0.5, 0.1): mean w = {w.mean().item():.6f} +- {w.std().item() / math.sqrt(w.numel()):.6f}, q(x) = {math.exp(log_q):.6f}"
)

# %% [markdown]
# ## Step 4 · one sample is the VAE objective, $M$ samples are IWAE, and both are biased low
#
# Putting the estimate inside the log, as maximum likelihood needs, gives with one reparameterised sample $z \sim p(z|x)$ the usual VAE objective, and with $M$ samples the IWAE objective:
#
# $$\mathcal L_1 = \log\frac{q(x|z)\,q(z)}{p(z|x)},\qquad \mathcal L_M = \log\frac1M\sum_{i=1}^M \frac{q(x|z_i)\,q(z_i)}{p(z_i|x)}.$$
#
# $w$ is unbiased, but $\log$ is concave, so by Jensen $\mathbb E[\mathcal L_M] \le \log\mathbb E[\tfrac1M\textstyle\sum w_i] = \log q(x)$. At $M = 1$ the gap is exactly a KL divergence:
#
# $$\mathbb E_{r}[\mathcal L_1] = \mathbb E_r\Big[\log\frac{q(x)\,q(z|x)}{r(z)}\Big] = \log q(x) - \mathrm{KL}\big(r\,\Vert\,q(z|x)\big),$$
#
# the ELBO's gap. Burda et al. show $\mathbb E[\mathcal L_1] \le \mathbb E[\mathcal L_2] \le \dots \to \log q(x)$. The checks: $\mathbb E[\mathcal L_1]$ in closed form against quadrature; $\mathbb E[\mathcal L_M]$ by Gauss–Hermite ($M \le 4$) against $2\cdot10^5$ estimates each ($5\cdot10^4$ at $M = 64$).

# %%
m, v = 0.5, 0.1
by_quad, _ = integrate.quad(
    lambda t: vae.importance_log_weights(t, x, a, s, m, v).item() * stats.norm.pdf(t, m, math.sqrt(v)),
    -10,
    10,
    epsabs=1e-13,
)
print(
    f"E[L_1] closed form {vae.expected_elbo(x, a, s, m, v).item():.8f}, quadrature {by_quad:.8f}; log q(x) = {log_q:.8f}"
)
g = torch.Generator().manual_seed(1)
bounds = {}
for M in (1, 2, 3, 4, 8, 64):
    num = 200_000 if M <= 8 else 50_000  # fewer estimates at M = 64: each one costs 64 draws
    draws = vae.sample_log_estimates(x, a, s, m, v, M, num, generator=g)
    exact = vae.expected_iwae_bound(x, a, s, m, v, M).item() if M <= vae.MAX_QUADRATURE_M else float("nan")
    bounds[M] = draws.mean().item()
    print(
        f"M = {M:>2}: E[L_M] quadrature {exact:.5f}, sampled {bounds[M]:.5f} +- {draws.std().item() / math.sqrt(num):.5f}, "
        f"gap {log_q - bounds[M]:.5f}"
    )
print(f"the prior as proposal: E[L_1] = {vae.expected_elbo(x, a, s, 0.0, 1.0).item():.4f}")

# %% [markdown]
# ## Synthesis · the whole toy
#
# All five parameters on sliders. Left: the prior, the true posterior and the proposal over $z$ (each scaled to peak 1). Right: the gap $\log q(x) - \mathbb E[\mathcal L_M]$ for $M = 1..8$ from $10^4$ seeded draws, the exact gaps at $M = 1$ (the KL) and $M = 2$ (quadrature), and a $1/M$ line. Move the proposal onto the posterior and the gap drops off the axis; move it to the prior ($m = 0$, $v = 1$) and it jumps by two orders of magnitude.

# %%
toy = VaeToyFigure()
toy.widget()

# %%
show_exercises(EXERCISES, toy)

# %% [markdown]
# ## Step 5 · which objective? The one-sample KL against the analytic KL
#
# $\mathcal L_1 = \log q(x|z) + \log q(z) - \log r(z)$ estimates $\mathrm{KL}(r\Vert q(z))$ with the same one sample. The textbook VAE loss uses the closed-form Gaussian KL instead: $\log q(x|z) - \mathrm{KL}(r\Vert q(z))$. Same mean, different noise: which is noisier depends on the model. `train_linear_vae` below trains the article's form (log weights), which is also what IWAE needs for $M > 1$.

# %%
kl_prior = 0.5 * (v + m**2 - 1 - math.log(v))
z = m + math.sqrt(v) * torch.randn(200_000, dtype=torch.float64, generator=g)
article = vae.importance_log_weights(z, x, a, s, m, v)
textbook = torch.distributions.Normal(a * z, s).log_prob(torch.tensor(x)) - kl_prior
print(f"KL(N(0.5, 0.1) || N(0, 1)) = {kl_prior:.4f}")
print(f"article's L_1: mean {article.mean().item():.4f}, std {article.std().item():.4f}")
print(f"analytic-KL:   mean {textbook.mean().item():.4f}, std {textbook.std().item():.4f}")

# %% [markdown]
# ## Experiment · a linear VAE as a density estimator
#
# Data in $D = 5$ dimensions from a 2-factor Gaussian model; a linear VAE (decoder $\mathcal N(Wz + b, s^2 I)$, diagonal Gaussian encoder) trained by Adam on the $M$-sample objective with $M = 1$ and $M = 8$, on the GPU when present. Its exact marginal is $\mathcal N(b, WW^\top + s^2I)$, and the best any such model can do is probabilistic PCA's closed form (Tipping & Bishop). Then the held-out log-likelihood is estimated by importance sampling, from the encoder and from the prior, with $M$ up to 1024.

# %%
gen = torch.Generator().manual_seed(19)
W_true = torch.randn(5, 2, dtype=torch.float64, generator=gen)
b_true = torch.randn(5, dtype=torch.float64, generator=gen)


def sample_data(n):
    z = torch.randn(n, 2, dtype=torch.float64, generator=gen)
    return z @ W_true.T + b_true + 0.3 * torch.randn(n, 5, dtype=torch.float64, generator=gen)


train, held = sample_data(500).to(device), sample_data(500).to(device)
W_p, b_p, s_p = vae.ppca_fit(train, 2)
ppca = {k: vae.linear_vae_log_marginal(d, W_p, b_p, s_p).mean().item() for k, d in (("train", train), ("held", held))}
print(f"pPCA maximum: train {ppca['train']:.4f}, held-out {ppca['held']:.4f} nats per point")
models, estimates = {}, {}
for M in (1, 8):
    model = models[M] = vae.train_linear_vae(train, 2, M, steps=600, seed=0, device=device)
    exact = {
        k: vae.linear_vae_log_marginal(d, model.W, model.b, model.s).mean().item()
        for k, d in (("train", train), ("held", held))
    }
    print(
        f"trained with M = {M}: {model.seconds:.2f} s on {device}; exact log q: train {exact['train']:.4f}, held-out {exact['held']:.4f}"
    )
    gen_est = torch.Generator(device=device).manual_seed(2)
    for proposal in ("encoder", "prior"):
        row = {
            K: vae.linear_vae_log_estimates(model, held, K, proposal=proposal, generator=gen_est).mean().item()
            for K in (1, 8, 64, 1024)
        }
        estimates[M, proposal] = row
        print(
            f"   held-out estimate from the {proposal:<7}: "
            + ", ".join(f"M = {K}: {val:.4f}" for K, val in row.items())
        )
    estimates[M, "exact"] = exact

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
mu05, var05 = (t.item() for t in vae.linear_gaussian_posterior(x, a, 0.05))
ess_narrow = vae.ess_fraction(x, a, 0.05, mu05 + 0.05, var05).item()
elbo = vae.expected_elbo(x, a, s, m, v).item()
rows = [
    (
        "Sampling z from the prior fails in high dimension",
        "Su",
        f"ESS fraction of the prior at s = 0.1: {ess_01:.4f} in 1 dimension, {ess_01**10:.1e} in 10",
        ess_01**10 < 1e-9,
    ),
    (
        "With a small decoder variance, sampling from p(z|x) is efficient",
        "Su",
        f"an encoder with the posterior's width, its mean off by 0.05: ESS {ess_narrow:.3f} at s = 0.05",
        None,
    ),
    (
        "With the exact posterior, one sample gives log q(x)",
        "this lesson",
        f"max |log w − log q(x)| = {(lw_exact - log_q).abs().max().item():.0e}",
        (lw_exact - log_q).abs().max().item() < 1e-12,
    ),
    (
        "No ELBO is needed",
        "Su",
        f"E[L₁] = {elbo:.5f} = log q(x) − KL(r‖q(z|x)) = {log_q:.5f} − {log_q - elbo:.5f}: the ELBO itself",
        False,
    ),
    (
        "One sample is the VAE objective, M samples are IWAE",
        "Su",
        f"same mean as the analytic-KL loss ({article.mean().item():.4f} vs {textbook.mean().item():.4f}), "
        f"std {article.std().item():.3f} vs {textbook.std().item():.3f}",
        None,
    ),
    (
        "E[L_M] rises to log q(x) as M grows",
        "Burda et al.",
        ", ".join(f"M = {k}: gap {log_q - val:.4f}" for k, val in bounds.items()),
        all(0 < log_q - bounds[k] for k in bounds) and bounds[64] > bounds[1],
    ),
    (
        "A linear VAE trained on this objective reaches the maximum likelihood",
        "this lesson",
        f"train log q {estimates[1, 'exact']['train']:.4f} (M = 1), {estimates[8, 'exact']['train']:.4f} (M = 8), "
        f"pPCA {ppca['train']:.4f}; {models[1].seconds:.1f} s and {models[8].seconds:.1f} s on {device}",
        abs(estimates[1, "exact"]["train"] - ppca["train"]) < 0.01,
    ),
    (
        "Importance sampling from the encoder estimates log q(x); from the prior it does not",
        "Su",
        f"held-out, M = 1024: encoder {estimates[1, 'encoder'][1024]:.4f}, prior {estimates[1, 'prior'][1024]:.4f}, "
        f"exact {estimates[1, 'exact']['held']:.4f}",
        abs(estimates[1, "encoder"][1024] - estimates[1, "exact"]["held"]) < 0.01,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **"No ELBO needed" renames the bound.** The log of an unbiased estimate is biased low; at $M = 1$ the gap is exactly $\mathrm{KL}(p(z|x)\Vert q(z|x))$, the ELBO's gap (step 4). More samples shrink it, roughly as $1/M$, but never remove it.
# * **A small decoder variance needs an accurate encoder.** The posterior narrows with $s$, and the weights punish a proposal that misses it by a fixed amount ever harder (step 2's figure, exercise 4).
# * **The $M = 1$ objective is the VAE loss with a one-sample KL**, not the textbook analytic KL: same mean, different noise; on the toy the one-sample form is the *less* noisy, because its prior and proposal terms partly cancel the decoder's (step 5).
# * **An encoder trained with $M = 8$ is a worse proposal at $M = 1$** than one trained with $M = 1$ (the experiment's estimates): IWAE loosens the encoder, as Rainforth et al. observed.
