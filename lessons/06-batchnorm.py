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
# # 06 · What batch normalisation does to the loss landscape
#
# **The question.** Why does batch normalisation make a network easier to train: what exactly does it change in the loss landscape, and what does it leave unexplained?
#
# **The source.** Su Jianlin, 《BN究竟起了什么作用?一个闭门造车的分析》 ("What does BN really do? An analysis made behind closed doors"), Scientific Spaces, 2019-10-11, https://kexue.fm/archives/6992. It builds on Santurkar, Tsipras, Ilyas and Mądry, "How Does Batch Normalization Help Optimization?" (NeurIPS 2018), who argue that BN helps not by reducing "internal covariate shift" but by making the loss landscape smoother. Su's argument, step by step:
#
# 1. If the gradient is $L$-Lipschitz, a gradient step of size $\eta$ is guaranteed to lower the loss when $\eta < 2/L$: the smaller $L$, the larger the safe step.
# 2. For one layer, $L$ is controlled by the second moment $\mathbb E[xx^\top]$ of the layer's input.
# 3. Subtracting the mean $\mu = \mathbb E[x]$ makes that second moment as small as it can be; dividing by $\sigma$ acts like an adaptive learning rate.
# 4. So BN belongs on a layer's *input*, and it needs batches large enough to estimate $\mu$ and $\sigma$.
#
# We make each step exact on a least-squares layer, where $L$ is known in closed form, then measure Santurkar et al.'s landscape quantities on a small real MLP with and without BN, and rerun their noisy-BN experiment. Every formula comes from `theory_lib.batchnorm`, where it is tested against an independent route; every number is computed by a cell.
#
# **You need:** gradient descent, eigenvalues of a symmetric matrix, mean and covariance, least squares, and what a BatchNorm layer computes; no earlier lesson (lesson 04 helps for the MLP).
# **You will be able to:** compute the largest safe learning rate $2/L$ of a least-squares layer from its input's second moment, show why centering is the best shift and dividing by $\sigma$ an adaptive learning rate, say when a lower $L$ does *not* mean faster training, and explain, with the noisy-BN experiment, why "BN reduces internal covariate shift" is not why BN helps.

# %%
import math
import os

import torch
from IPython import get_ipython
from IPython.display import Markdown, display
from torch.autograd.functional import hessian

from theory_lib import batchnorm as bnm, default_device
from theory_lib.figures.batchnorm import (
    EXERCISES,
    LandscapeBNFigure,
    LeastSquaresBNFigure,
    NoisyBNFigure,
    ValleyFigure,
    batch_size_verdict,
    probe_run,
    teacher_data,
)
from theory_lib.figures.exercises import claims_table, show_exercises

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# Fit a line by least squares to inputs whose mean is not zero. Each panel shows the loss as a function of the two weights, by its contour lines (each a factor 4 lower than the next one out), around the best weights (+), at the same levels and the same scale. Left: raw inputs with mean $\mu$ in both coordinates. Right: the same inputs with their mean subtracted. The raw valley is narrow across and long along one direction; the centered one is round. Gradient descent must take steps small enough not to jump across the narrowest direction, and then crawls along the long one. Move $\mu$ and watch only the left panel change. The rest of the lesson makes this exact: the narrowness is the largest eigenvalue $L$ of $\mathbb E[xx^\top]$, it sets the largest safe step, and removing the mean, what batch normalisation does, lowers it.

# %%
valley = ValleyFigure()
valley.widget()

# %%
show_exercises(EXERCISES, valley)

# %% [markdown]
# ## The claims, computed live
#
# Two test beds. **The exact toy:** 200 points $x = (\mu, \mu) + (1, \sigma_2) \odot z$ in two dimensions with $z$ standard normal, targets $y = x^\top (1, 0.5) + 0.3\,\varepsilon$, and the loss $f(w) = \mathbb E[(w^\top x - y)^2]/2$. **The real network:** an MLP with two hidden layers of 32 ReLUs, trained by SGD (200 steps, batch 64) on 512 points whose 8 inputs have mean 3 and scales from 1/3 to 3, with and without BN. The table checks each headline claim; the sections below derive them.

# %%
g = torch.Generator(device=device).manual_seed(0)
x, y = bnm.linear_regression_data(200, (2.0, 2.0), (1.0, 1.0), (1.0, 0.5), noise=0.3, generator=g, device=device)
xc, yc = bnm.normalize_inputs(x, y, "center")
L_raw, L_c = bnm.gradient_lipschitz(x).item(), bnm.gradient_lipschitz(xc).item()
gap = lambda run: (run.losses[-1] - run.min_loss).item()
below = bnm.gradient_descent(x, y, 0.99 * 2 / L_raw, 2000)
above = bnm.gradient_descent(x, y, 1.01 * 2 / L_raw, 2000)
gap0 = (below.losses[0] - below.min_loss).item()

loss = lambda r: float("nan") if r.diverged_at >= 0 else r.full_loss[-1].item()  # NaN: diverged
final = lambda r: "diverged" if r.diverged_at >= 0 else f"{loss(r):.3g}"
median = lambda r, key: getattr(r, key).nanmedian().item()
med = lambda r, key: f"{median(r, key):.3g}"
holds = lambda ok: "holds" if ok else "**does not hold**"
beats = lambda a, b: not math.isnan(loss(a)) and (math.isnan(loss(b)) or loss(a) < loss(b))  # a ends lower than b
none, bn = probe_run("none", 0.01, 64, 3.0), probe_run("after", 0.01, 64, 3.0)  # figure 2's default
fast_none, fast_bn = probe_run("none", 0.1, 64, 3.0), probe_run("after", 0.1, 64, 3.0)
tiny_none, tiny_bn = probe_run("none", 0.01, 2, 3.0), probe_run("after", 0.01, 2, 3.0)
batch_row = lambda lr: (
    probe_run("none", lr, 2, 3.0),
    probe_run("after", lr, 2, 3.0),
    probe_run("none", lr, 64, 3.0),
    probe_run("after", lr, 64, 3.0),
)

rows = [
    "| claim (who) | check | measured | verdict |",
    "|---|---|---|---|",
    f"| gradient descent is safe iff η < 2/L (Su) | least squares, 2000 steps at η = 0.99·2/L and 1.01·2/L | f − f* starts at {gap0:.2g}, ends at {gap(below):.1e} and {gap(above):.1e} | {holds(gap(below) < 1e-6 * gap0 < gap0 < gap(above))} |",
    f"| centering lowers L (Su) | L = λ_max(E[xxᵀ]) of the toy, μ = (2, 2) | {L_raw:.3g} raw, {L_c:.3g} centered | {holds(L_c < L_raw)} |",
]
for key, what in (
    ("beta_smoothness", "effective β-smoothness"),
    ("gradient_predictiveness", "gradient change along the step"),
    ("loss_variation", "loss variation along the step"),
):
    rows.append(
        f"| BN lowers the {what} (Santurkar) | MLP, η = 0.01, median over training | {med(none, key)} without BN, "
        f"{med(bn, key)} with | {holds(median(bn, key) < median(none, key))} |"
    )
rows.append(
    f"| so BN allows larger learning rates | final loss on all data at η = 0.1 | {final(fast_none)} without, "
    f"{final(fast_bn)} with | {holds(beats(fast_bn, fast_none))} |"
)
for lr in (0.01, 0.03):
    n2, b2, n64, b64 = batch_row(lr)
    rows.append(
        f"| BN needs batches that are not tiny (Su) | final loss at η = {lr}, batch 2 vs 64 | BN {final(b2)} vs "
        f"{final(b64)}; no BN {final(n2)} vs {final(n64)} | "
        f"{batch_size_verdict(loss(n2), loss(b2), loss(n64), loss(b64))} |"
    )
display(Markdown("\n".join(rows)))


# %% [markdown]
# Each verdict is computed from the numbers beside it. The toy's claims are exact, as the derivation will show. Santurkar et al.'s measures do not all move by the same amount: compare the three Santurkar rows. Compare the final losses at $\eta = 0.01$ (in the tables below) with those at $\eta = 0.1$: BN's clearest advantage is the learning rate it tolerates. And the batch-size claim can only be judged where BN beats the plain net at batch 64 in the first place; where it does not, the row says so rather than reading a worse loss at batch 2 as support: small batches also cost the plain net.
#
# ## Step 1 · the descent lemma
#
# Suppose the gradient is $L$-Lipschitz: $\|\nabla f(\theta) - \nabla f(\theta')\| \le L\|\theta - \theta'\|$. Along the segment from $\theta$ to $\theta + \Delta$,
#
# $$f(\theta + \Delta) - f(\theta) - \langle \nabla f(\theta), \Delta\rangle = \int_0^1 \langle \nabla f(\theta + t\Delta) - \nabla f(\theta), \Delta\rangle\, dt \le \int_0^1 L t \|\Delta\|^2 dt = \frac{L}{2}\|\Delta\|^2 .$$
#
# For the gradient step $\Delta = -\eta \nabla f(\theta)$ this is
#
# $$f(\theta - \eta\nabla f) \le f(\theta) + \Big(\frac{L\eta^2}{2} - \eta\Big)\|\nabla f\|^2 .$$
#
# The bracket is negative for $0 < \eta < 2/L$ and most negative at $\eta = 1/L$, where the guaranteed decrease is $\|\nabla f\|^2/(2L)$. A smaller $L$ allows larger steps and guarantees more per step. `descent_bound(L, lr, grad_norm_sq)` is the bracket times $\|\nabla f\|^2$. Check it on every step of gradient descent on the toy, below and above $2/L$:

# %%
print("η·L | max over 50 steps of (change − bound) | loss fell at every step")
for factor in (0.5, 1.0, 1.9, 2.2):
    lr = factor / L_raw
    run = bnm.gradient_descent(x, y, lr, 50)
    change = run.losses[1:] - run.losses[:-1]  # f(w_{k+1}) − f(w_k)
    bound = bnm.descent_bound(run.lipschitz, lr, run.grad_norm_sq[:-1])
    print(f"{factor:3.1f} | {(change - bound).max().item():+37.2e} | {bool((change < 0).all())}")

# %% [markdown]
# The bound holds at every step (the largest excess is at rounding level or below zero). Above $\eta L = 2$ it still holds but guarantees nothing: the bracket is positive.
#
# ## Step 2 · the exact toy: least squares
#
# For $f(w) = \mathbb E[(w^\top x - y)^2]/2$ the gradient is $\nabla f(w) = \mathbb E[x(w^\top x - y)] = M w - \mathbb E[xy]$ with $M = \mathbb E[xx^\top]$, and the Hessian is $M$ itself, whatever $w$ and $y$. So the best Lipschitz constant is
#
# $$L = \lambda_{\max}(\mathbb E[xx^\top]).$$
#
# Gradient descent is then linear: $w_{k+1} - w^* = (I - \eta M)(w_k - w^*)$. In the eigenbasis of $M$ each component is multiplied by $1 - \eta\lambda_i$ per step and shrinks iff $|1 - \eta\lambda_i| < 1$, i.e. $\eta < 2/\lambda_i$. The top eigenvalue decides: **gradient descent converges iff $\eta < 2/L$**, so here the descent lemma's threshold is sharp. Check the Hessian with autograd, then the threshold:

# %%
w = torch.randn(2, **f64)
H = hessian(lambda v: ((x @ v - y) ** 2).mean() / 2, w)  # autograd Hessian at a random w
print("autograd Hessian == E[xxᵀ]:", torch.allclose(H, bnm.second_moment(x)))
print(f"λ_max of the autograd Hessian {torch.linalg.eigvalsh(H)[-1].item():.6f}, gradient_lipschitz {L_raw:.6f}")
print("\n η/(2/L) | f − f* after 1000 steps (it starts at", f"{(below.losses[0] - below.min_loss).item():.3g})")
for ratio in (0.9, 0.99, 1.01, 1.1):
    run = bnm.gradient_descent(x, y, ratio * 2 / L_raw, 1000)
    print(f"   {ratio:5.2f} | {gap(run):.3e}")

# %% [markdown]
# ## Step 3 · one layer in general: $L$ is set by the input's second moment
#
# Take a layer $h = w^\top x$ followed by anything whose loss $\ell(h)$ has curvature $\ell'' \le c$ ($c = 1$ for squared error, $c = 1/4$ for the logistic loss). The Hessian in $w$ is $\mathbb E[\ell''(w^\top x)\, xx^\top] \preceq c\,\mathbb E[xx^\top]$, so
#
# $$L \le c\,\lambda_{\max}(\mathbb E[xx^\top]) \le c\,\mathrm{tr}\,\mathbb E[xx^\top] = c \sum_i \mathbb E[x_i^2] = c\sum_i (\mu_i^2 + \sigma_i^2).$$
#
# (For a matrix layer the same argument, with Cauchy–Schwarz over the outputs, gives the same bound.) Every input mean $\mu_i$ adds $\mu_i^2$ to the bound: that is the whole case for centering.
#
# **Where the article is loose.** Su's bound is stated with a factor proportional to $\sqrt{|\mathbb E[xx^\top]|_1}$ (the sum of the absolute entries, under a square root). Taken alone, that cannot be the whole dependence on the input: rescaling $x \to \alpha x$ multiplies the exact $L$ by $\alpha^2$, while a square root of a second moment grows only like $\alpha$, so the rest of the bound must carry another power of the input. The conclusion survives, since every one of these quantities shrinks when the mean is removed. Check the logistic case with autograd, and the scaling:

# %%
labels = (torch.rand(200, generator=g, **f64) < torch.sigmoid(x @ torch.tensor([1.0, -1.0], **f64))).double()
logistic = lambda v: torch.nn.functional.binary_cross_entropy_with_logits(x @ v, labels)
for _ in range(3):
    top = torch.linalg.eigvalsh(hessian(logistic, torch.randn(2, generator=g, **f64)))[-1].item()
    print(f"logistic loss, random w: λ_max(Hessian) = {top:.4f} <= L/4 = {L_raw / 4:.4f}")

M = bnm.second_moment(x)
for alpha in (0.5, 2.0, 10.0):
    ratio_L = bnm.gradient_lipschitz(alpha * x).item() / L_raw
    ratio_sqrt = (bnm.second_moment(alpha * x).abs().sum().sqrt() / M.abs().sum().sqrt()).item()
    print(
        f"x -> {alpha:4.1f} x: L grows by {ratio_L:8.3f} (α² = {alpha**2:7.2f}); √|E[xxᵀ]|₁ grows by {ratio_sqrt:.3f}"
    )

# %% [markdown]
# ## Step 4 · centering is the best shift
#
# For any shift $c$, the cross terms vanish because $\mathbb E[x - \mu] = 0$:
#
# $$\mathbb E[(x - c)(x - c)^\top] = \mathbb E[(x - \mu)(x - \mu)^\top] + (\mu - c)(\mu - c)^\top .$$
#
# The extra term is positive semidefinite, so every eigenvalue, and with them $L$ and the trace, is at its smallest at $c = \mu$: $\mathbb E[x_i^2] = \mu_i^2 + \sigma_i^2$ becomes $\sigma_i^2$. Centering is not just a good shift, it is the best one. (For $L$ alone the best shift need not be unique: a small shift along a low-variance direction can leave the top eigenvalue unchanged. The trace has $\mu$ as its only minimiser.) (With a free bias, the bias settles at the mean of $y$ once $x$ is centered, so the problem in $w$ is least squares on centered $x$ and centered $y$; that is what `normalize_inputs(x, y, "center")` returns.)

# %%
mu = x.mean(0)
grid = torch.linspace(-1.0, 4.0, 201, **f64)
c = torch.cartesian_prod(grid, grid)  # (201², 2) shifts
M_c = bnm.second_moment(xc) + (mu - c)[:, :, None] * (mu - c)[:, None, :]  # E[(x−c)(x−c)ᵀ] by the identity
direct = bnm.second_moment(x - c[12345])  # and once directly
print("identity checked on one shift:", torch.allclose(M_c[12345], direct))
L_grid, tr_grid = torch.linalg.eigvalsh(M_c)[:, -1], M_c.diagonal(dim1=1, dim2=2).sum(1)
print(f"smallest L over the grid {L_grid.min().item():.4f}; L(x − μ) = {L_c:.4f}; L(x) = {L_raw:.4f}")
print(
    f"the trace is smallest at c = {[round(v, 3) for v in c[tr_grid.argmin()].tolist()]}; μ = {[round(v, 3) for v in mu.tolist()]} (grid step 0.025)"
)
print(
    "E[x_i²] raw:",
    [round(v, 3) for v in x.pow(2).mean(0).tolist()],
    " μ_i² + σ_i²:",
    [round(v, 3) for v in (mu**2 + x.var(0, unbiased=False)).tolist()],
    " after centering:",
    [round(v, 3) for v in xc.pow(2).mean(0).tolist()],
)

# %% [markdown]
# ## Step 5 · dividing by $\sigma$ is an adaptive learning rate
#
# Standardize: $\tilde x = D^{-1}(x - \mu)$ with $D = \mathrm{diag}(\sigma)$. The prediction $v^\top \tilde x = (D^{-1}v)^\top (x - \mu)$, so the weights are related by $w = D^{-1}v$. A gradient step on $v$ is $v \leftarrow v - \eta D^{-1}\nabla_w f$, which in $w$-coordinates reads
#
# $$w \leftarrow w - \eta\, D^{-2}\, \nabla_w f:$$
#
# plain gradient descent on the centered problem with the per-coordinate rate $\eta/\sigma_i^2$. That is what RMSProp and Adam do with the gradients' second moments; here the scale comes from the inputs. After standardizing, $\mathbb E[\tilde x\tilde x^\top]$ is the correlation matrix, so $L \le d$ whatever the input scales, and the condition number $\kappa = \lambda_{\max}/\lambda_{\min}$, which sets how fast the slowest direction converges at the best fixed rate, is that of the correlations. Check both on a badly scaled input ($\sigma_2 = 5$):

# %%
xs5, ys5 = bnm.linear_regression_data(200, (2.0, 2.0), (1.0, 5.0), (1.0, 0.5), noise=0.3, generator=g, device=device)
sigma = xs5.std(0, unbiased=False)
std = bnm.gradient_descent(xs5, ys5, 0.5, 30, normalize="standardize")
xc5, yc5 = bnm.normalize_inputs(xs5, ys5, "center")
w = torch.zeros(2, **f64)
worst = 0.0
for k in range(31):  # centered problem, rate η/σ_i² per coordinate
    worst = max(worst, (std.path[k] / sigma - w).abs().max().item())
    w = w - (0.5 / sigma**2) * (xc5.T @ (xc5 @ w - yc5) / len(yc5))
print(f"standardized path mapped back by w = v/σ vs per-coordinate rates: largest difference {worst:.1e}")
for mode in (None, "center", "standardize"):
    lam = torch.linalg.eigvalsh(bnm.second_moment(bnm.normalize_inputs(xs5, None, mode)[0]))
    print(f"{str(mode):>11}: L = {lam[-1].item():7.3f}, κ = λ_max/λ_min = {(lam[-1] / lam[0]).item():8.2f}")

# %% [markdown]
# **Another loose end.** Centering lowers $L$, which is what the descent lemma cares about, but it can *raise* the condition number $\kappa$, as it just did: the mean had been lifting the smallest eigenvalue as well. The speed of gradient descent at its best fixed rate is governed by $\kappa$, not by $L$ alone. Standardizing fixes both. The population matrices of this example show it without sampling noise:

# %%
Sigma, m2 = torch.diag(torch.tensor([1.0, 25.0], **f64)), torch.tensor([2.0, 2.0], **f64)
for name, Mpop in (("Σ + μμᵀ (raw)", Sigma + torch.outer(m2, m2)), ("Σ (centered)", Sigma)):
    lam = torch.linalg.eigvalsh(Mpop)
    print(f"{name:>15}: eigenvalues {[round(v, 2) for v in lam.tolist()]}, κ = {(lam[-1] / lam[0]).item():.2f}")

# %% [markdown]
# ## Step 6 · why the batch size matters
#
# BN does not know $\mu$ and $\sigma$; it estimates them from the $B$ samples of the batch. Centering by an estimate $\mu_B$ leaves a rank-one excess, by the identity of step 4:
#
# $$\mathbb E[(x - \mu_B)(x - \mu_B)^\top] = \Sigma + (\mu - \mu_B)(\mu - \mu_B)^\top \quad\Rightarrow\quad L(x - \mu_B) \le L(x - \mu) + \|\mu - \mu_B\|^2,$$
#
# and for $B$ samples drawn independently $\mathbb E\|\mu - \mu_B\|^2 = \mathrm{tr}\,\Sigma / B$. Small batches leave the input partly uncentered, by a different amount at each step. Monte Carlo on the toy:

# %%
L_mu, tr = L_c, x.var(0, unbiased=False).sum().item()
print("   B | mean L(x − μ_B) | L(x − μ) + tr Σ / B | mean ‖μ − μ_B‖² | tr Σ / B")
for B in (2, 4, 16, 64):
    idx = torch.randint(0, len(x), (4000, B), generator=g, device=device)  # 4000 batches, with replacement
    mb = x[idx].mean(1)  # (4000, 2) batch means
    xcb = x[None] - mb[:, None]  # (4000, 200, 2)
    LB = torch.linalg.eigvalsh(xcb.transpose(1, 2) @ xcb / len(x))[:, -1]
    d2 = (mu - mb).pow(2).sum(1)
    print(f"{B:4d} | {LB.mean().item():15.4f} | {L_mu + tr / B:19.4f} | {d2.mean().item():15.4f} | {tr / B:.4f}")

# %% [markdown]
# ## See it: raw, centered and standardized inputs side by side
#
# Sliders for the input mean $\mu$ (both coordinates), the scale $\sigma_2$ of the second coordinate, the learning rate and the number of steps. Each landscape panel shows the loss contours (exact ellipses, each a factor 4 below the next), the gradient-descent path from $w_0 = 0$, and $L$ with $\eta L/2$ (the path converges iff $\eta L/2 < 1$). Each panel lives in its own weights: the standardized one in $v = Dw$, so its axes are $v_1 = \sigma_1 w_1$ and $v_2 = \sigma_2 w_2$. The right panel is $f(w_k) - f(w^*)$ for the three (solid raw, dashed centered, dotted standardized), its axes fitted to the data. A diverging path ends where it leaves its panel, marked ×; on the right a diverging run ends with × where $f - f^*$ passes $10^{15}$. The line under the figure gives $L$, the largest stable rate $2/L$, and $f - f^*$ after the chosen number of steps for each.

# %%
figure1 = LeastSquaresBNFigure()
figure1.widget()

# %%
show_exercises(EXERCISES, figure1)

# %% [markdown]
# ## Santurkar et al.'s landscape measures on a real MLP
#
# A real network has no closed-form $L$, so Santurkar et al. measure the landscape *along the direction the optimizer actually moves*. At a training step with parameters $\theta$, batch $B$ and gradient $g = \nabla L_B(\theta)$, for a few step sizes $\eta_j$ (here $\eta_j = \eta \cdot (0.5, 1, 2, 4)$, our choice):
#
# - **loss variation**: $\max - \min$ of $L_B(\theta - \eta_j g)$ over $\eta_j$ (and $\eta = 0$): how much the loss changes over the step;
# - **gradient predictiveness**, reported as the gradient change $\max_j \|\nabla L_B(\theta - \eta_j g) - g\|$: small means the gradient at the start predicts the gradient along the step;
# - **effective β-smoothness**: $\max_j \|\nabla L_B(\theta - \eta_j g) - g\| / (\eta_j\|g\|)$, a local, measured Lipschitz constant of the gradient along the step: the $L$ of step 1.
#
# `landscape_probe` trains the MLP and records the three at every 4th step. For a network with no hidden layer and the full batch, the loss is the least-squares $f$ of step 2 with inputs $(x, 1)$, and the effective β-smoothness can never exceed that $L$. Check it, connecting the two halves:

# %%
xt, yt = teacher_data(3.0)  # the MLP's data (8 inputs, mean 3)
xa = torch.cat([xt, torch.ones(len(xt), 1, device=xt.device)], 1)  # a bias is a constant input
L_lin = bnm.gradient_lipschitz(xa.double()).item()
lin = bnm.landscape_probe(xt.double(), yt.double(), hidden=(), lr=1 / L_lin, steps=100, batch_size=len(xt))
print(
    f"linear model: L = {L_lin:.3f}; effective β-smoothness over 100 steps between "
    f"{lin.beta_smoothness.min().item():.3f} and {lin.beta_smoothness.max().item():.3f}"
)
xt_c, _ = bnm.normalize_inputs(xt.double(), None, "center")
print(
    f"L of the MLP's inputs: raw {bnm.gradient_lipschitz(xt.double()).item():.3f}, centered {bnm.gradient_lipschitz(xt_c).item():.3f}"
)

# %% [markdown]
# Now the MLP itself, without BN, with BN after each hidden linear layer (Linear → BN → ReLU, the usual placement, and Santurkar et al.'s), and with BN before each linear layer (on its input, where Su's argument puts it). Medians over training of the three measures, and the final loss on all the data, at three learning rates:

# %%
rows = ["| η | BN | final loss | loss variation | gradient change | effective β |", "|---|---|---|---|---|---|"]
for lr in (0.01, 0.03, 0.1):
    for placement in ("none", "after", "before"):
        r = probe_run(placement, lr, 64, 3.0)
        rows.append(
            f"| {lr} | {placement} | {final(r)} | {med(r, 'loss_variation')} | "
            f"{med(r, 'gradient_predictiveness')} | {med(r, 'beta_smoothness')} |"
        )
display(Markdown("\n".join(rows)))

# %% [markdown]
# The figure shows the same measures over training. It retrains two networks (without BN, and with BN at the chosen placement) for each new setting, which takes about a second on the CPU, so **its sliders update when you release them** (`continuous = False`); results are cached, so returning to a setting is instant. The thin lines are the probed steps, the bold ones a running median of 5.

# %%
figure2 = LandscapeBNFigure()
figure2.widget()

# %% [markdown]
# ## Santurkar et al.'s central point: BN does not help by reducing internal covariate shift
#
# BN was introduced (Ioffe and Szegedy, 2015) to reduce *internal covariate shift*: as the earlier layers learn, the distribution of each layer's input moves, and the layer has to chase it. Santurkar et al. test this directly (their section 2.1). After every BN layer they add a random distortion, a different one at every training step, so each layer's input distribution moves *more* than without BN. If BN worked by keeping those distributions still, this "noisy BN" should train no better than the plain net.
#
# We rerun it on the MLP above (input mean 3, η = 0.05, 150 SGD steps of batch 64, the same initial weights and batches for all three; `batchnorm.noisy_bn_run`): after each BN, every unit $j$ becomes $s_j\,\mathrm{BN}(h)_j + m_j$ with $\log s_j \sim U(-\log(1+\nu), \log(1+\nu))$ and $m_j \sim U(-\nu, \nu)$, redrawn every step. The *covariate shift per step* is how far each hidden layer's output moves between two steps: the mean over units of $|\Delta\,\text{mean}| + |\Delta\,\text{std}|$ on a fixed set of 128 inputs. Left: the training loss. Right: the shift, on a log scale. The final loss is measured on all the data with the noise off.

# %%
noisy = NoisyBNFigure()
noisy.widget()

# %%
s, f = noisy.shift, noisy.final
print(
    f"median shift per step: noisy BN / no BN = {s['noisy'] / s['none']:.0f}, noisy BN / BN = {s['noisy'] / s['bn']:.0f}"
)
print(f"final loss: no BN {f['none']:.3f}, noisy BN {f['noisy']:.3f}, BN {f['bn']:.3f}")

# %% [markdown]
# The noisy net's layer inputs move far more per step than the plain net's (the first ratio printed), yet it ends far below the plain net and close to BN (the second line). Whatever BN does for training, it does not do it by holding the layers' input distributions still; Santurkar et al. then look for the mechanism in the landscape, as we did above with their three measures (and as Su does with $L$).
#
# ## Beyond the article
#
# **BN after a linear layer already centers that layer's input.** The batch mean of $W(x + c) + b$ is $W\mu + Wc + b$, so $\mathrm{BN}(W(x + c) + b) = \mathrm{BN}(Wx + b)$: shifting the input changes nothing, and the loss as a function of $W$ is exactly the one with centered inputs. Training with input mean 0 and with input mean 3 must then give the same numbers for the BN net, and different ones without BN:

# %%
for placement in ("none", "after", "before"):
    a, b = probe_run(placement, 0.01, 64, 0.0), probe_run(placement, 0.01, 64, 3.0)
    diff = (a.train_loss - b.train_loss).abs().max().item()
    print(f"{placement:>6}: largest difference of the training loss, input mean 0 vs 3: {diff:.2e}")

# %% [markdown]
# So for the mean, "BN after" is already "BN on the input" as far as the weights it follows are concerned; what separates the placements is the scale (BN before a layer also divides its input by $\sigma$, BN after does not touch the scale spread of the raw input) and the last layer, whose input in the "after" net is an un-normalised ReLU output. Compare the "after" and "before" rows of the table above.
#
# **Tiny batches.** The bound of step 6 says a small batch costs a little centering accuracy. In practice the cost is of another kind: with $B = 2$ every normalised feature is exactly $\pm 1$ whatever the data, so the network sees only the sign of each difference inside the pair.

# %%
pair = torch.nn.functional.batch_norm(torch.randn(2, 6, generator=g, **f64), None, None, training=True, eps=1e-12)
print("BN of a batch of 2:\n", pair.cpu().numpy().round(6))
rows = [
    "| batch | final loss, no BN | BN after | BN before | effective β, no BN | BN after | BN before |",
    "|---|---|---|---|---|---|---|",
]
for B in (2, 4, 16, 64):
    r = [probe_run(p, 0.01, B, 3.0) for p in ("none", "after", "before")]
    rows.append(
        f"| {B} | " + " | ".join(final(v) for v in r) + " | " + " | ".join(med(v, "beta_smoothness") for v in r) + " |"
    )
display(Markdown("\n".join(rows)))

# %% [markdown]
# **What happens when the plain net blows up.** At $\eta = 0.1$ the network without BN does not always overflow; it can blow up and then sit in a state where every ReLU is dead, its output is a constant, and only the output bias still learns. The loss of a constant output $b$ is $(b - \bar y)^2/2 + \text{const}$, with curvature exactly 1, and that is what the effective β-smoothness reads late in training:

# %%
late = fast_none.beta_smoothness[-10:]
print("no BN, η = 0.1: effective β-smoothness over the last 10 probed steps:", [round(v, 6) for v in late.tolist()])
print("diverged (overflowed) at step:", fast_none.diverged_at, "| final loss:", final(fast_none))

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article and Santurkar et al.

# %%
x5, y5 = bnm.linear_regression_data(
    200, (2.0, 2.0), (1.0, 5.0), (1.0, 0.5), noise=0.3, generator=torch.Generator().manual_seed(0)
)
raw5, cen5 = (bnm.gradient_descent(x5, y5, 0.06, 30, normalize=m) for m in (None, "center"))
raw_gap, cen_gap = gap(raw5), gap(cen5)
sn = NoisyBNFigure(offscreen=True)  # the noisy-BN figure's default, cached
s, f = sn.shift, sn.final
sn.close()
rows = [
    (
        "gradient descent is safe iff η < 2/L",
        "Su",
        f"least squares: f − f* {gap0:.2g} → {gap(below):.1e} at 0.99·2/L, → {gap(above):.1e} at 1.01·2/L",
        gap(below) < 1e-6 * gap0 < gap0 < gap(above),
    ),
    ("centering lowers L", "Su", f"toy, μ = (2, 2): L = {L_raw:.3g} raw, {L_c:.3g} centered", L_c < L_raw),
    (
        "so centering makes gradient descent faster",
        "a natural reading",
        f"μ = 2, σ₂ = 5, η = 0.06, 30 steps: f − f* = {raw_gap:.2g} raw, {cen_gap:.2g} centered (κ rises)",
        cen_gap < raw_gap,
    ),
    (
        "BN lowers the effective β-smoothness",
        "Santurkar",
        f"MLP, η = 0.01: median {med(bn, 'beta_smoothness')} with BN, {med(none, 'beta_smoothness')} without",
        median(bn, "beta_smoothness") < median(none, "beta_smoothness"),
    ),
    (
        "BN allows larger learning rates",
        "Santurkar",
        f"η = 0.1: final loss {final(fast_bn)} with BN, {final(fast_none)} without",
        beats(fast_bn, fast_none),
    ),
    (
        "BN does not help by reducing internal covariate shift",
        "Santurkar",
        f"noisy BN: shift per step {s['noisy'] / s['none']:.0f}× the plain net's; final loss {f['noisy']:.3f} vs "
        f"{f['none']:.3f} (no BN), {f['bn']:.3f} (BN)",
        s["noisy"] > 10 * s["none"] and f["noisy"] < f["none"],
    ),
    (
        "BN needs batches that are not tiny",
        "Su",
        f"η = 0.01: BN {final(tiny_bn)} at batch 2, {final(bn)} at 64; no BN {final(tiny_none)} and {final(none)}",
        None if not beats(bn, none) else beats(bn, tiny_bn),
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose**, in numbers:

# %%
xt64 = xt.double()
batches = (2, 4, 16, 64)
wins = {
    p: [B for B in batches if beats(probe_run(p, 0.01, B, 3.0), probe_run("none", 0.01, B, 3.0))]
    for p in ("after", "before")
}
desc = lambda p: (
    "never ends below the plain net"
    if not wins[p]
    else "ends below the plain net at every batch size"
    if len(wins[p]) == len(batches)
    else f"ends below the plain net only at batch {', '.join(map(str, wins[p]))}"
)
n_lower = sum(median(bn, k) < median(none, k) for k in ("beta_smoothness", "gradient_predictiveness", "loss_variation"))
L_mlp, L_mlp_c = bnm.gradient_lipschitz(xt64).item(), bnm.gradient_lipschitz(xt_c).item()
display(
    Markdown(rf"""
**Measured.** Centering lowers $L = \lambda_{{\max}}(\mathbb E[xx^\top])$ from {L_raw:.3g} to {L_c:.3g} on the
two-dimensional toy (mean 2) and from {L_mlp:.3g} to {L_mlp_c:.3g} on the MLP's inputs (mean 3), and on the toy gradient
descent changes from convergent to divergent exactly at $\eta = 2/L$. On the MLP at $\eta = 0.01$, BN (after the
linear layers) gives a median effective β-smoothness of {med(bn, "beta_smoothness")} against {med(none, "beta_smoothness")}
without, a median gradient change of {med(bn, "gradient_predictiveness")} against {med(none, "gradient_predictiveness")},
and a median loss variation of {med(bn, "loss_variation")} against {med(none, "loss_variation")}; the final losses are
{final(bn)} with BN and {final(none)} without. At $\eta = 0.1$ the final loss is {final(fast_bn)} with BN and
{final(fast_none)} without. With batches of 2 the BN net ends at {final(tiny_bn)}.

**What it means.** Su's argument is exact where $L$ is exact: the input's second moment sets the curvature, the mean is
the best thing to subtract, and dividing by $\sigma$ is a per-coordinate learning rate. On a real network {n_lower} of Santurkar et al.'s 3 measures are lower with BN,
by very different amounts, and the clearest gain is the larger learning rate BN tolerates rather than a better loss at a
small one. What the bound does not explain: at $\eta = 0.01$, over batches of {", ".join(map(str, batches))}, BN after the
linear layers {desc("after")} and BN before them {desc("before")} (the table above); with batches of 2 the plain net ends at
{final(tiny_none)}, BN after at {final(tiny_bn)}. A noisier mean estimate alone would cost little. And BN after a linear
layer already removes the input mean for the weights it follows, so "before or after" is a question about scales and
about the last layer, not about centering.
""")
)
