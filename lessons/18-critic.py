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
# # 18 · A Lipschitz critic by gradient normalisation?
#
# **The question.** A WGAN needs a critic $D$ with $\|D\|_L \le 1$. Gradient normalisation divides the critic by its own input gradient, $\hat D = D/(\|\nabla_x D\| + |D|)$, and promises the constraint by construction, with no penalty to tune. Does dividing a critic by its gradient make it 1-Lipschitz?
#
# **The source.** Su Jianlin, 《WGAN新方案：通过梯度归一化来实现L约束》 ("A new WGAN recipe: the Lipschitz constraint by gradient normalisation"), Scientific Spaces, 2021-11-15, https://kexue.fm/archives/8757, on *Gradient Normalization for GANs* (ICCV 2021) and *GraN-GAN* (WACV 2022). Su's claims: for a piecewise-linear (ReLU) critic, $\nabla D$ is constant in each region, so $D/\|\nabla D\|$ has gradient norm exactly 1; but $\nabla D$ jumps between regions, so $D/\|\nabla D\|$ is discontinuous along their boundaries; his control $\langle \nabla D/\|\nabla D\|, x\rangle$ "should be equivalent" yet works very badly; in his experience GN was worse than the gradient penalty, slower, and heavier in memory.
#
# **You need:** the Wasserstein-1 distance and its dual (lesson 16 computes it as a linear programme); gradients and double backprop in PyTorch (lesson 12); what a ReLU network computes.
# **You will be able to:** state why $\|\nabla D\| \le 1$ bounds the Lipschitz constant; derive the gradient norm of each normalised form inside a linear region; show where the bound fails (jumps across regions, smooth critics); say when Su's control equals $D/\|\nabla D\|$; and measure what GN costs against GP.
#
# Every formula comes from `theory_lib.critic`, where it is tested against an independent route (closed forms on linear critics, gradients written out from the ReLU masks, finite differences, lesson 16's primal EMD, scipy); every number is computed by a cell.

# %%
import os

import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import critic as cr, default_device, transport
from theory_lib.figures.critic import (
    EXERCISES,
    CriticKinkFigure,
    CriticOpeningFigure,
    CriticReluFigure,
    CriticSoftsignFigure,
)
from theory_lib.figures.exercises import claims_table, show_exercises

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# A one-dimensional critic with a kink: slope 1 left of $x = 1$, a second slope right of it (the slider). Left, the critic; middle, the critic divided by its slope, $D/|D'|$, and the two published forms; right, the slope of the ICCV form, by autograd (green, dashed) and by finite differences on the drawn grid (red). The critic is continuous; watch what division by its slope does at the kink, and what autograd reports there.

# %%
opening = CriticOpeningFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · $W_1$ is a maximum over 1-Lipschitz critics
#
# $$W_1(p, q) = \min_{\gamma\in\Pi(p,q)} \mathbb E_{(x,y)\sim\gamma}\|x-y\| = \max_{\|f\|_L\le1}\ \mathbb E_{x\sim p}[f(x)] - \mathbb E_{y\sim q}[f(y)].$$
#
# The left side is lesson 16's transport problem; the right side (Kantorovich–Rubinstein duality) is what a WGAN critic tries to reach. On finitely many points both are linear programmes: the dual has one unknown $f_i$ per point and the constraints $f_i - f_j \le \|z_i - z_j\|$. The check: the dual LP (`lipschitz_dual`) against the primal EMD (`transport.emd`) on random clouds, and against the closed form for 1-D samples (the area between the two CDFs).

# %%
rng = np.random.default_rng(0)
for k in range(3):
    xs, ys = rng.normal(size=(8, 2)), rng.normal(loc=1.0, size=(6, 2))
    p, q = rng.dirichlet(np.ones(8)), rng.dirichlet(np.ones(6))
    dual, f = cr.lipschitz_dual(xs, p, ys, q)
    primal = transport.emd(p, q, np.linalg.norm(xs[:, None] - ys[None], axis=-1))
    print(f"cloud {k}: dual max over 1-Lipschitz f = {dual:.10f}, primal EMD = {primal:.10f}")
gen = torch.Generator().manual_seed(1)
real = 0.5 * torch.randn(64, generator=gen, dtype=torch.float64) + 2
fake = 0.5 * torch.randn(64, generator=gen, dtype=torch.float64)
dual_1d, _ = cr.lipschitz_dual(real[:, None], np.full(64, 1 / 64), fake[:, None], np.full(64, 1 / 64))
print(f"1-D samples: dual LP {dual_1d:.10f}, area between the CDFs {cr.wasserstein_1d(real, fake).item():.10f}")

# %% [markdown]
# ## Step 2 · $\|\nabla D\| \le 1$ suffices
#
# By the mean value theorem along the segment from $y$ to $x$, $D(x) - D(y) = \nabla D(\xi)^\top (x - y)$ for some $\xi$ on it, so
#
# $$|D(x) - D(y)| \le \max_{\xi}\|\nabla D(\xi)\|\,\|x - y\|.$$
#
# A bound on the gradient norm everywhere bounds the Lipschitz constant: that is the sufficient condition both the gradient penalty $\lambda\,\mathbb E(\|\nabla D\| - 1)^2$ and gradient normalisation aim at. (A ReLU critic is continuous and piecewise linear, so the theorem applies segment by segment.) The check, on a seeded ReLU critic: for 2000 random pairs, the difference quotient against the largest gradient norm on 65 points of their segment.

# %%
net = cr.relu_critic([2, 32, 32, 1], device=device, generator=torch.Generator(device=device).manual_seed(0))
pg = torch.Generator(device=device).manual_seed(2)
a = 3 * torch.randn(2000, 2, generator=pg, device=device, dtype=torch.float64)
b = 3 * torch.randn(2000, 2, generator=pg, device=device, dtype=torch.float64)
s = torch.linspace(0, 1, 65, device=device, dtype=torch.float64)
seg = (a[:, None] + s[None, :, None] * (b - a)[:, None]).reshape(-1, 2)  # (2000·65, 2)
grad_max = cr.critic_gradient(net, seg)[1].norm(dim=1).reshape(2000, 65).max(1).values.detach()
quotient = ((net(a) - net(b)).reshape(-1).abs() / (a - b).norm(dim=1)).detach()
print(f"largest quotient / largest gradient on its segment: {(quotient / grad_max).max().item():.6f} (at most 1)")

# %% [markdown]
# ## Step 3 · a ReLU critic is piecewise linear
#
# Each ReLU is either on or off. Fix the on/off pattern of every unit and the network is an affine map: $D(x) = g^\top x + \beta$ with $g$ and $\beta$ constant on the region of inputs sharing that pattern. The check: on a grid, the number of activation patterns, the number of distinct gradients, and the spread of $\beta = D - g^\top x$ inside each region (zero up to rounding).

# %%
side = torch.linspace(-3, 3, 121, dtype=torch.float64, device=device)
grid = torch.cartesian_prod(side, side)
h1 = net[0](grid)
h2 = net[2](torch.relu(h1))
pattern = torch.cat([h1 > 0, h2 > 0], 1).to(torch.int8)
d_grid, g_grid = (t.detach() for t in cr.critic_gradient(net, grid))
_, region = torch.unique(pattern, dim=0, return_inverse=True)
beta = d_grid - (g_grid * grid).sum(1)
spread = max((beta[region == r].max() - beta[region == r].min()).item() for r in range(int(region.max()) + 1))
print(f"activation patterns on the 121² grid: {int(region.max()) + 1}")
print(f"distinct gradients: {len(torch.unique(g_grid.round(decimals=9), dim=0))}")
print(f"largest spread of beta = D - g.x inside one region: {spread:.1e}")

# %% [markdown]
# ## Step 4 · inside a region, $\hat D$ is a function of $t = D/\|\nabla D\|$
#
# In one region $D = g^\top x + \beta$, so $t = D/\|g\|$ is the signed distance from $x$ to that region's hyperplane $D = 0$, and $\nabla t = g/\|g\|$ is a unit vector. Each form is a function of $t$ (and of $n = \|g\|$):
#
# $$\frac{D}{\|\nabla D\|} = t,\qquad \hat D_{\rm ICCV} = \frac{D}{\|\nabla D\| + |D|} = \frac{t}{1 + |t|},\qquad \hat D_{\rm WACV} = \frac{D\,\|\nabla D\|}{\|\nabla D\|^2 + \epsilon} = t\,\frac{n^2}{n^2+\epsilon}.$$
#
# With $\nabla t$ a unit vector, the chain rule gives the gradient norms:
#
# $$\|\nabla \hat D_{\rm plain}\| = 1,\qquad \|\nabla \hat D_{\rm ICCV}\| = \frac{1}{(1 + |t|)^2},\qquad \|\nabla \hat D_{\rm WACV}\| = \frac{n^2}{n^2 + \epsilon}.$$
#
# So Su's "$\|\nabla\hat D\| = 1$" is exact for $D/\|\nabla D\|$ only; the ICCV form is a softsign of $t$, at most 1 and saturating far from $D = 0$. Both plain and ICCV depend on $t$ alone, so multiplying the critic by $c > 0$ changes nothing; WACV's $\epsilon$ sets a scale. The check: double backprop (`normalized_gradient_norm`) on the grid of step 3 against these closed forms, with $t$ and $n$ read from $D$ and $\nabla D$.

# %%
n_grid = g_grid.norm(dim=1)
t_grid = d_grid / n_grid
want = {"plain": torch.ones_like(t_grid), "iccv": (1 + t_grid.abs()) ** -2, "wacv": n_grid**2 / (n_grid**2 + 1e-3)}
for form, closed in want.items():
    auto = cr.normalized_gradient_norm(net, grid, form=form)
    print(
        f"{form:>5}: max |autograd - closed form| = {(auto - closed).abs().max().item():.1e}, max = {auto.max().item():.6f}"
    )
print(f"ICCV at |t| = 10: (1 + 10)^-2 = {(1 + 10) ** -2:.6f}")

# %%
softsign = CriticSoftsignFigure()
softsign.widget()

# %%
show_exercises(EXERCISES, softsign)

# %% [markdown]
# ## Step 5 · across regions, $\hat D$ jumps
#
# At a region boundary $D$ is continuous but $\|\nabla D\|$ jumps, so $D$ divided by it jumps: Su's first doubt. Take $f = x$ for $x < 1$ and $f = 3x - 2$ for $x \ge 1$. At the kink $f = 1$, and $f/|f'|$ goes from $1$ to $1/3$; the ICCV form from $1/2$ to $1/4$. A jump has no finite slope: the difference quotient across it grows like $1/\delta$. Autograd never sees it, because it differentiates each region's formula. The jump needs a change in $\|\nabla D\|$: for $f = |x|$ only the direction changes, and $f/|f'|$ is continuous.
#
# A second way to break the bound: a **smooth** critic. The in-region argument needs $\nabla D$ constant; for $D = \sin(ax)$ the ICCV form's slope is $a^2/(a|\cos ax| + |\sin ax|)^2$, which reaches $a^2$ where $\cos ax = 0$. The check for both:


# %%
def kink(x):
    return (x + 2 * torch.relu(x - 1)).reshape(-1)


at = lambda v: torch.tensor([[v]], dtype=torch.float64)  # noqa: E731
for form in ("plain", "iccv"):
    left, right = (cr.gradient_normalize(kink, at(v), form=form).item() for v in (1 - 1e-12, 1 + 1e-12))
    print(f"{form:>5}: just left of the kink {left:.6f}, just right {right:.6f}")
for delta in (1e-2, 1e-4, 1e-6):
    jump = (cr.gradient_normalize(kink, at(1 + delta)) - cr.gradient_normalize(kink, at(1 - delta))).item()
    auto = cr.normalized_gradient_norm(kink, at(1 + delta)).item()
    print(f"delta = {delta:.0e}: ICCV difference quotient {abs(jump) / (2 * delta):.4g}, autograd {auto:.4f}")
sine = lambda x: torch.sin(5 * x).reshape(-1)  # noqa: E731
xs = torch.linspace(-1, 1, 200_001, dtype=torch.float64)[:, None]
print(f"D = sin(5x): largest ICCV slope by autograd {cr.normalized_gradient_norm(sine, xs).max().item():.4f}")
print(f"             at x = 0.3: {cr.normalized_gradient_norm(sine, at(0.3)).item():.4f}")

# %%
kinks = CriticKinkFigure()
kinks.widget()

# %%
show_exercises(EXERCISES, kinks)

# %% [markdown]
# ## Step 6 · a 2-D ReLU critic, and Su's control
#
# Su's control replaces $D/\|\nabla D\|$ by $\langle \nabla D/\|\nabla D\|, x\rangle$. In a region, with $D = g^\top x + \beta$,
#
# $$\Big\langle \frac{g}{\|g\|}, x\Big\rangle = \frac{D - \beta}{\|g\|} = t - \frac{\beta}{\|g\|}:$$
#
# the same in-region gradient as $t$, but shifted by a constant that changes from region to region, and without the $|D|$ that bounds the ICCV form. The two coincide exactly when every $\beta = 0$: a ReLU network **without biases** is positively homogeneous, $D(\lambda x) = \lambda D(x)$ for $\lambda > 0$, so $D(x) = \nabla D(x)^\top x$. The figure shows a seeded 2-D critic: the critic, $D/\|\nabla D\|$, the ICCV form, its gradient norm by autograd and by finite differences on the grid (the seams), and the control minus $D/\|\nabla D\|$. The check:

# %%
for bias in (True, False):
    crit = cr.relu_critic(
        [2, 32, 32, 1], bias=bias, device=device, generator=torch.Generator(device=device).manual_seed(0)
    )
    gap = (cr.gradient_normalize(crit, grid, form="direction") - cr.gradient_normalize(crit, grid, form="plain")).abs()
    print(
        f"biases {'on ' if bias else 'off'}: max |<grad D/|grad D|, x> - D/|grad D|| on the grid = {gap.max().item():.3g}"
    )

# %%
synthesis = CriticReluFigure()
synthesis.widget()

# %%
show_exercises(EXERCISES, synthesis)

# %% [markdown]
# ## Experiment · GP against GN on two 1-D samples
#
# Two samples of 256 points, $N(2, 0.5^2)$ and $N(0, 0.5^2)$; their $W_1$ is exact (step 1). Train the same seeded ReLU critic (1-32-32-1, Adam, 300 steps) to maximise $\mathbb E_{\rm real} D - \mathbb E_{\rm fake} D$, once with the gradient penalty ($\lambda = 10$) and once with gradient normalisation (ICCV form, the gap then of $\hat D$). Then the cost of one step of each, for the critic and for a generator $G(z) = \mu + \sigma z$: the time (median) and the bytes autograd stores for backward (`saved_tensors_hooks`; on a GPU also the peak memory). GN's generator loss contains $\nabla_x D$, so its backward is second order; GP's generator loss is plain $-\mathbb E D(G(z))$.

# %%
gen = torch.Generator(device=device).manual_seed(1)
real = 0.5 * torch.randn(256, generator=gen, device=device, dtype=torch.float64) + 2
fake = 0.5 * torch.randn(256, generator=gen, device=device, dtype=torch.float64)
w1 = cr.wasserstein_1d(real, fake).item()
runs = {m: cr.train_critic(real, fake, method=m, steps=300) for m in cr.METHODS}
print(f"exact W1 = {w1:.4f}")
slopes = {}
line = torch.linspace(-1.5, 3.5, 50_001, dtype=torch.float64, device=device)[:, None]
for m, run in runs.items():
    values = (run.critic(line).reshape(-1) if m == "gp" else cr.gradient_normalize(run.critic, line)).detach()
    slopes[m] = (values.diff().abs() / line.diff(dim=0).reshape(-1)).max().item()
    print(
        f"{m}: final gap {run.gaps[-20:].mean().item():.4f} ({run.gaps[-20:].mean().item() / w1:.2f} W1), "
        f"{run.seconds:.2f} s, largest slope of the trained critic on a 1e-4 grid {slopes[m]:.3g}"
    )

# %%
costs = {(m, part): cr.step_cost(m, part, device=device) for m in cr.METHODS for part in cr.PARTS}
for (m, part), cost in costs.items():
    extra = f", GPU peak {cost['peak_bytes'] / 2**20:.2f} MiB" if "peak_bytes" in cost else ""
    print(
        f"{m} {part:>9} step: {1e3 * cost['seconds']:.2f} ms, autograd stores {cost['saved_bytes'] / 2**20:.2f} MiB{extra}"
    )
ratio_time = costs["gn", "generator"]["seconds"] / costs["gp", "generator"]["seconds"]
ratio_mem = costs["gn", "generator"]["saved_bytes"] / costs["gp", "generator"]["saved_bytes"]
print(f"generator step, GN / GP: time {ratio_time:.2f}x, stored {ratio_mem:.2f}x")

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
auto_plain = cr.normalized_gradient_norm(net, grid, form="plain")
auto_iccv = cr.normalized_gradient_norm(net, grid, form="iccv")
quotient_1e6 = (
    abs((cr.gradient_normalize(kink, at(1 + 1e-6)) - cr.gradient_normalize(kink, at(1 - 1e-6))).item()) / 2e-6
)
fig_on = CriticReluFigure(offscreen=True, bias="on")
fig_off = CriticReluFigure(offscreen=True, bias="off")
gp_gap, gn_gap = (runs[m].gaps[-20:].mean().item() for m in ("gp", "gn"))
rows = [
    (
        "‖∇D‖ ≤ 1 implies ‖D‖_L ≤ 1",
        "Su",
        f"difference quotients at most {(quotient / grad_max).max().item():.4f} × the largest gradient on the segment",
        bool((quotient / grad_max).max() <= 1 + 1e-9),
    ),
    (
        "For a ReLU critic, D/‖∇D‖ has gradient norm 1",
        "Su",
        f"inside each region: double backprop gives {auto_plain.min().item():.12f} to {auto_plain.max().item():.12f}",
        bool((auto_plain - 1).abs().max() < 1e-9),
    ),
    (
        "GN bounds the critic (the ICCV form: ‖∇D̂‖ ≤ 1)",
        "ICCV paper",
        f"in a region (1 + |t|)⁻², max {auto_iccv.max().item():.4f}; across the kink the quotient is "
        f"{quotient_1e6:.3g} at δ = 1e-6: bounded, not Lipschitz",
        None,
    ),
    (
        "D/‖∇D‖ is discontinuous along region boundaries, not negligibly",
        "Su",
        f"jump 1 → 1/3 at the kink; {fig_on.seam_share:.1%} of the 2-D grid has a finite-difference slope above 1",
        fig_on.seam_share > 0.01,
    ),
    (
        "Su's control ⟨∇D/‖∇D‖, x⟩ is equivalent to D/‖∇D‖",
        "Su",
        f"only without biases: max difference {fig_off.su_gap:.1e}; with biases {fig_on.su_gap:.3g}",
        None,
    ),
    (
        "The bound needs a piecewise-linear critic",
        "this lesson",
        f"D = sin(5x): ICCV slope up to {cr.normalized_gradient_norm(sine, xs).max().item():.2f}",
        cr.normalized_gradient_norm(sine, xs).max().item() > 1,
    ),
    (
        "GN is slower and heavier than GP (second order in G's step too)",
        "Su",
        f"generator step: {ratio_time:.2f}x the time, {ratio_mem:.2f}x the stored bytes ({device})",
        ratio_mem > 1 and ratio_time > 1,
    ),
    (
        "GN was worse than GP",
        "Su (experience)",
        f"toy critic only, no generator: GP gap {gp_gap / w1:.2f} W₁, GN gap {gn_gap / w1:.2f} W₁ (D̂ ≤ 1 caps it)",
        None,
    ),
]
for f in (fig_on, fig_off):
    f.close()
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **Which form has norm 1.** $\|\nabla\hat D\| = 1$ holds for $D/\|\nabla D\|$; the published ICCV form has $(1 + |t|)^{-2}$, which saturates far from $D = 0$.
# * **Bounded is not Lipschitz.** Inside each region the ICCV form is 1-Lipschitz, and it is bounded by 1; across regions it jumps, so the network as a whole has no Lipschitz constant, and autograd cannot see this.
# * **Smooth activations.** Su lists Softplus among the usual activations; for a smooth critic the gradient norm varies inside a region and the bound fails.
# * **The control.** $\langle\nabla D/\|\nabla D\|, x\rangle$ equals $D/\|\nabla D\|$ only when the network has no biases; with biases it is shifted region by region.
# * **Experience is not measured here.** The toy trains a critic on fixed samples, not a GAN: it shows the cost of the second-order generator step, not sample quality.
