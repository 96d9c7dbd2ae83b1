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
# # 12 · Adversarial training is (almost) a gradient penalty
#
# **The question.** Why does training on a worst-case perturbation of the input act like a penalty on the input gradient $\|\nabla_x L\|$, and where does "like" stop?
#
# **The source.** Su Jianlin, 《对抗训练浅谈：意义、方法和思考（附Keras实现）》 ("A short talk on adversarial training: meaning, methods and thoughts, with a Keras implementation"), Scientific Spaces, 2020-03-01, https://kexue.fm/archives/7234. Su's claims: adversarial training is a min–max problem; FGM solves the inner max with one normalised gradient step; to first order it equals a penalty $\epsilon\|\nabla_x L\|$ on the input gradient ("少了个1/2，也少了个2次方" against the squared form); on the CLUE tasks IFLYTEK and TNEWS both raise BERT's accuracy by about 2 and 1 points, FGM at about twice the cost per step. He pictures the penalty as asking every sample to sit at the bottom of a pit ("坑中坑的坑底").
#
# **You need:** the chain rule and a first-order Taylor expansion, cross-entropy and the logistic model, double backpropagation (a gradient of a gradient) in PyTorch; lesson 05 for the logistic loss.
# **You will be able to:** derive FGM's θ-gradient and the penalty it approximates, measure that the error of the approximation is $O(\epsilon^2)$, solve the linear case exactly (FGM is the exact worst case there, and past a computable $\epsilon^*$ the robust model collapses to a constant), and train a small classifier plainly, with FGM and with the penalty.
#
# Every formula comes from `theory_lib.adversarial`, where it is tested against an independent route (finite differences, hand-derived gradients, scipy); every number is computed by a cell. One convention differs from the article's Keras code: here losses are batch means and every gradient is per sample (the last section shows what the Keras code computes instead).

# %%
import math
import os

import torch
import torch.nn.functional as F
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import adversarial as adv, default_device
from theory_lib.figures.adversarial import (
    COLLAPSE,
    EXERCISES,
    PitBottomFigure,
    RobustMarginFigure,
    TaylorGapFigure,
    WorstCaseFigure,
    slope,
)
from theory_lib.figures.exercises import claims_table, show_exercises

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
gen = lambda seed: torch.Generator(device=device).manual_seed(seed)
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# One input $x$, one class, and its loss $L(x)$ (grey): a curve with pits. An attacker may move $x$ anywhere in $[x-\epsilon, x+\epsilon]$; the red curve is the worst loss it can reach. FGM's guess (blue, dashed) takes one step of size $\epsilon$ uphill, $L(x + \epsilon\,\mathrm{sign}\,L'(x))$; the first-order penalty (green, dotted) adds $\epsilon|L'(x)|$ to the loss. For small $\epsilon$ the three agree: the worst case of a small move is "loss plus $\epsilon$ times the slope". Move $\epsilon$ up and watch where they part: at the tops, and at the bottoms of the pits, where the slope is zero and the penalty adds nothing.

# %%
opening = WorstCaseFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · the min–max objective
#
# Adversarial training (Madry et al., arXiv 1706.06083) trains against the worst perturbation in a ball of radius $\epsilon$:
#
# $$\min_\theta\ \mathbb E_{(x,y)\sim\mathcal D}\Big[\max_{\|\Delta x\|\le\epsilon} L(x+\Delta x, y;\theta)\Big].$$
#
# The inner max is a non-convex problem for a network. For a linear logistic model it can be solved exactly: with $f = w\cdot x + b$, $y = \pm1$ and $L = \log(1 + e^{-yf})$, the loss grows as $yf$ falls, and $y\,w\cdot\Delta x$ is smallest at $\Delta x = -\epsilon y\,w/\|w\|$. Check: a brute-force search over 3 600 directions on the circle against that formula.

# %%
w, b = torch.tensor([0.8, -0.5], dtype=torch.float64), 0.1
x0, y0, eps = torch.tensor([0.4, 0.3], dtype=torch.float64), 1.0, 0.3
angles = torch.linspace(0, 2 * math.pi, 3601, dtype=torch.float64)[:-1]
ring = eps * torch.stack([torch.cos(angles), torch.sin(angles)], 1)  # every Δx on the sphere of radius ε
brute = F.softplus(-y0 * ((x0 + ring) @ w + b)).max().item()
exact = F.softplus(-y0 * ((x0 - eps * y0 * w / w.norm()) @ w + b)).item()
print(f"max over 3600 directions {brute:.10f};  at Δx = -ε y w/‖w‖: {exact:.10f}")

# %% [markdown]
# ## Step 2 · the fast gradient
#
# For a network, linearise the loss in $\Delta x$: $L(x+\Delta x) \approx L(x) + \langle\nabla_x L, \Delta x\rangle$. The linear term is largest over the $\ell_2$ ball at $\Delta x = \epsilon\,\nabla_x L/\|\nabla_x L\|$ (Cauchy–Schwarz), and over the $\ell_\infty$ box at $\epsilon\,\mathrm{sign}(\nabla_x L)$. These are FGM and FGSM (Goodfellow et al., arXiv 1412.6572); Su starts from the plain ascent step $\Delta x = \epsilon\nabla_x L$ and normalises it "to keep $\Delta x$ from getting too large". `fgm_perturbation(grad, eps, norm=...)` computes all three, one norm per sample (dim 0), and returns 0 for a zero gradient. Check: no other point of the ball beats it on the linear term.

# %%
g = torch.randn(6, generator=gen(1), device=device, dtype=torch.float64)
best = (g @ adv.fgm_perturbation(g, 0.1)).item()
sphere = torch.randn(100_000, 6, generator=gen(2), device=device, dtype=torch.float64)
sphere = 0.1 * sphere / sphere.norm(dim=1, keepdim=True)
box = 0.1 * (2 * torch.rand(100_000, 6, generator=gen(3), device=device, dtype=torch.float64) - 1)
print(
    f"ℓ2 ball: FGM {best:.6f} = ε‖g‖ = {0.1 * g.norm().item():.6f}; best of 100 000 random points {(sphere @ g).max().item():.6f}"
)
print(
    f"ℓ∞ box:  sign {(g @ adv.fgm_perturbation(g, 0.1, norm='sign')).item():.6f} = ε‖g‖₁ = {0.1 * g.abs().sum().item():.6f}; "
    f"best of 100 000 random points {(box @ g).max().item():.6f}"
)

# %% [markdown]
# ## Step 3 · the first-order expansion
#
# Put FGM's $\Delta x$ into the expansion: $\langle\nabla_x L, \epsilon\nabla_x L/\|\nabla_x L\|\rangle = \epsilon\|\nabla_x L\|$, so
#
# $$L(x+\Delta x) \approx L(x) + \epsilon\|\nabla_x L\| \qquad\text{and, unnormalised,}\qquad L(x + \epsilon\nabla_x L) \approx L(x) + \epsilon\|\nabla_x L\|^2 .$$
#
# Check on a small tanh network (2-8-8-2) and 40 points: the error of the expansion falls like $\epsilon^2$.

# %%
x, y = adv.two_moons(40, generator=gen(0), device=device)
model = adv.tanh_mlp(2, hidden=8, generator=gen(3), device=device)
grad_x = adv.input_gradient(model, x, y)
L0 = adv.per_sample_losses(model, x, y).detach()
for eps in (0.1, 0.01, 0.001):
    moved = adv.per_sample_losses(model, x + adv.fgm_perturbation(grad_x, eps), y).detach()
    error = (moved - L0 - eps * grad_x.norm(dim=1)).abs().max().item()
    print(f"ε = {eps:<6}: max |L(x + Δx) - L - ε‖∇ₓL‖| = {error:.3e}   (error / ε² = {error / eps**2:.3f})")

# %% [markdown]
# ## Step 4 · FGM's θ-gradient is the penalty's, to first order
#
# FGM computes $\Delta x$ first and then holds it fixed while it takes the θ-gradient of $L(x + \Delta x)$. Expand in $\Delta x$ and differentiate:
#
# $$\nabla_\theta L(x+\Delta x) \approx \nabla_\theta L(x) + \langle\nabla_\theta\nabla_x L(x), \Delta x\rangle .$$
#
# With $\Delta x = \epsilon\nabla_x L$ (held fixed) the second term is $\epsilon\langle\nabla_\theta\nabla_x L, \nabla_x L\rangle = \nabla_\theta\big(\tfrac\epsilon2\|\nabla_x L\|^2\big)$, so
#
# $$\nabla_\theta L(x+\Delta x) \approx \nabla_\theta\Big(L + \tfrac12\epsilon\|\nabla_x L\|^2\Big),$$
#
# and with the normalised $\Delta x = \epsilon\nabla_x L/\|\nabla_x L\|$ it is $\nabla_\theta\big(L + \epsilon\|\nabla_x L\|\big)$: in Su's words, "少了个1/2，也少了个2次方" (no ½ and no square). `fgm_loss(model, x, y, eps, norm=...)` is the loss FGM descends (Δx detached), `gradient_penalty_loss(model, x, y, eps, squared=...)` the penalised loss (double backprop). Check: the two θ-gradients, and how their gap shrinks.

# %%
params = list(model.parameters())
theta_grad = lambda loss: torch.cat([p.reshape(-1) for p in torch.autograd.grad(loss, params)])
for squared, norm in ((False, "l2"), (True, "none")):
    gaps = []
    for eps in (1e-1, 1e-2, 1e-3):
        fgm = theta_grad(adv.fgm_loss(model, x, y, eps, norm=norm))
        penalty = theta_grad(adv.gradient_penalty_loss(model, x, y, eps, squared=squared))
        gaps.append((fgm - penalty).norm().item())
    rates = [math.log10(gaps[i] / gaps[i + 1]) for i in range(2)]
    name = "(ε/2)‖∇ₓL‖², Δx = ε∇ₓL" if squared else "ε‖∇ₓL‖, Δx = ε∇ₓL/‖∇ₓL‖"
    print(
        f"{name}: gaps {', '.join(f'{v:.2e}' for v in gaps)} at ε = 0.1, 0.01, 0.001; decades per decade {rates[0]:.3f}, {rates[1]:.3f}"
    )

# %% [markdown]
# A factor 100 per factor 10 in $\epsilon$: the gap is $O(\epsilon^2)$, while the penalty's own contribution is $O(\epsilon)$. The figure draws both on a log–log plot over $\epsilon \in [10^{-4}, 1]$, with a slope-2 guide, for both forms; the readout gives the gap at the chosen $\epsilon$ as a share of the first-order term. The equivalence is exact in the limit and only approximate at the $\epsilon$ people use: Su's Keras call perturbs with $\epsilon = 0.5$.

# %%
taylor_figure = TaylorGapFigure()
taylor_figure.widget()

# %%
show_exercises(EXERCISES, taylor_figure)

# %% [markdown]
# ## Step 5 · the linear case, where everything is exact
#
# Back to $f = w\cdot x + b$. Now $\nabla_x L = -y\,\sigma(-yf)\,w$ points along $-yw$ whatever $x$ is, so FGM's $\Delta x = -\epsilon y\,w/\|w\|$ is the exact maximiser of step 1, and
#
# $$\max_{\|\Delta x\|_2\le\epsilon} L(x+\Delta x) = \log\big(1+e^{\epsilon\|w\| - yf}\big) = \mathrm{softplus}\big(\|w\|(\epsilon - d)\big), \qquad d = \frac{yf}{\|w\|},$$
#
# with $d$ the signed distance from $x$ to the decision boundary. For the sign attack ($\ell_\infty$ box) $\|w\|$ becomes its dual norm $\|w\|_1$. So FGM training of a linear model is gradient descent on the convex loss $\frac1n\sum_i\mathrm{softplus}(\epsilon\|w\|_* - y_i f_i)$ (`robust_logistic_loss`): it asks every point to keep a distance $\epsilon$ from the boundary, the "push the boundary away from the samples" picture, exact here. Check: `fgm_loss` on the linear model (two logits $(0, f)$) against the closed form.

# %%
X9 = torch.tensor(adv.linear._X, dtype=torch.float64)  # the lesson's 9 points in the plane
Y9 = torch.tensor(adv.linear._Y, dtype=torch.float64)  # labels ±1
linear = lambda inputs: torch.stack([torch.zeros(len(inputs), dtype=inputs.dtype), inputs @ w + b], 1)
for norm in ("l2", "sign"):
    for eps in (0.1, 0.4):
        via_fgm = adv.fgm_loss(linear, X9, ((Y9 + 1) / 2).long(), eps, norm=norm).item()
        closed = adv.robust_logistic_loss(w, b, X9, Y9, eps, norm=norm).item()
        print(f"{norm:4s} ε = {eps}: fgm_loss {via_fgm:.12f}, softplus(ε‖w‖* - y f) {closed:.12f}")

# %% [markdown]
# **The collapse.** The robust loss is convex in $(w, b)$, and at $w = 0$ its best bias is $b_0 = \log(n_+/n_-)$. With $s_i = \sigma(-y_i b_0)$, zero lies in its subgradient at $(0, b_0)$ exactly when $\big\|\sum_i s_i y_i x_i\big\|_{\rm dual} \le \epsilon\sum_i s_i$. Since $s_i = n_-/n$ on the positives and $n_+/n$ on the negatives, $\sum_i s_i y_i x_i = \frac{n_+n_-}{n}(\mu_+ - \mu_-)$ and $\sum_i s_i = \frac{2n_+n_-}{n}$:
#
# $$w = 0 \text{ is optimal} \iff \epsilon \ge \epsilon^* = \tfrac12\|\mu_+ - \mu_-\| \quad(\ell_2;\ \ell_\infty \text{ for the sign attack}),$$
#
# half the distance between the class means. Past $\epsilon^*$ the most robust linear model is a constant. Check: `robust_collapse_eps` against fits on either side (`robust_logistic_fit`, Newton's method to float64 precision; the tests hold it to scipy).

# %%
for norm in ("l2", "sign"):
    crit = adv.robust_collapse_eps(X9, Y9, norm=norm)
    below, _ = adv.robust_logistic_fit(X9, Y9, crit * 0.99, norm=norm)
    at, b_at = adv.robust_logistic_fit(X9, Y9, crit, norm=norm)
    print(
        f"{norm:4s}: ε* = {crit:.6f};  fit at 0.99 ε*: w = ({below[0]:.5f}, {below[1]:.5f});  "
        f"at ε*: w = ({at[0]:.1f}, {at[1]:.1f}), b = {b_at:.6f} = log(5/4) = {math.log(5 / 4):.6f}"
    )

# %% [markdown]
# In the figure: the 9 points, the robust optimum's boundary (solid), its $\epsilon$-tube (dashed: the points inside can be pushed onto or across the boundary) and FGM's arrows $\Delta x_i$, for the $\ell_2$ ball or the $\ell_\infty$ box. Right: the size of the optimum's weights against $\epsilon$; it reaches 0 at $\epsilon^*$ (dotted).

# %%
margin_figure = RobustMarginFigure()
margin_figure.widget()

# %%
show_exercises(EXERCISES, margin_figure)

# %% [markdown]
# ## The pit bottom
#
# Su's picture of the penalty: classification digs one pit per class in the loss over $x$; $\epsilon\|\nabla_x L\|$ asks every sample to sit at the bottom of a pit within the pit, where $\nabla_x L = 0$ and a small move costs little. Below, a 1-16-16-2 tanh network on 1-d inputs (200 points from two overlapping Gaussians) trained with $L + \epsilon\|\nabla_x L\|$ for four values of $\epsilon$ (trained once and cached; a new data seed trains again, with a progress bar). Left: the loss of each class over $x$ with the samples on it. Right: the accuracy under an FGM attack of size $\epsilon_{\rm attack}$, for each training $\epsilon$.

# %%
pit_figure = PitBottomFigure()
pit_figure.widget()

# %%
show_exercises(EXERCISES, pit_figure)

# %% [markdown]
# The samples do end up on flat ground, but look between them: the penalty flattens the loss *at the training points* and leaves it free elsewhere, so the learned loss becomes a staircase with steep walls between samples. That is the sense in which "a gradient penalty gives the model an L-constraint" is loose: the constraint is soft, and only where the data are.

# %%
runs = pit_figure.compute(**pit_figure.params)
grid, curves = runs["grid"], runs["runs"][max(runs["runs"])]["curves"]
walls = abs(torch.diff(torch.from_numpy(curves[:, 1])) / torch.diff(torch.from_numpy(grid))).max().item()
print(
    f"trained with ε = {max(runs['runs'])}: mean |∂L/∂x| at the samples {pit_figure.mean_grad[max(runs['runs'])]:.4f}, "
    f"steepest slope of the class-1 loss between them {walls:.1f}"
)

# %% [markdown]
# ## The experiment · plain, FGM and penalty training
#
# Su's numbers come from BERT on CLUE; here the same three trainings on a toy: 400 points of two moons, a 2-16-16-2 tanh network, 400 full-batch Adam steps each, $\epsilon = 0.1$, then the accuracy on 2 000 fresh points, clean and under an FGM attack of size 0.2. The time per step is a median over 40 steps of each method taken in turn (so that all three see the same load on the machine): FGM needs a second forward and backward pass, the penalty a double backprop.

# %%
x_train, y_train = adv.two_moons(400, generator=gen(10), device=device)
x_test, y_test = adv.two_moons(2000, generator=gen(11), device=device)
results, models = {}, {}
for method in adv.METHODS:
    run = adv.train_classifier(x_train, y_train, method=method, eps=0.1, steps=400, generator=gen(12), device=device)
    models[method] = run.model
    results[method] = (
        adv.attacked_accuracy(run.model, x_test, y_test, 0.0),
        adv.attacked_accuracy(run.model, x_test, y_test, 0.2),
    )
seconds = adv.step_seconds(models["plain"], x_train, y_train, eps=0.1, repeats=40)  # the methods interleaved
rows = [
    "| training | clean accuracy | under FGM attack (ε = 0.2) | time per step | vs plain |",
    "|---|---|---|---|---|",
]
for method, (clean, attacked) in results.items():
    sec = seconds[method]
    rows.append(f"| {method} | {clean:.1%} | {attacked:.1%} | {1e3 * sec:.2f} ms | ×{sec / seconds['plain']:.2f} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# ## What the Keras code computes
#
# The article's implementation is not the derivation's per-sample formula. FGM there normalises by the norm of the *whole batch's* gradient of the embedding matrix (one perturbation for the batch), and the gradient penalty sums the squares of the gradient of the *batch-mean* loss. Each sample's share of a batch-mean gradient is $\frac1B\nabla_{x_i}L_i$, so that penalty is $\frac1{B^2}\sum_i\|\nabla_{x_i}L_i\|^2$: a coefficient $\epsilon/B$ per sample instead of $\epsilon$. Check, with a batch of $B = 40$:

# %%
xb = x.clone().requires_grad_(True)
(batch_grad,) = torch.autograd.grad(F.cross_entropy(model(xb), y), xb)  # gradient of the batch-mean loss
per_sample = adv.input_gradient(model, x, y)
B = len(x)
print(f"Σ‖∂L̄/∂x_i‖² = {(batch_grad**2).sum().item():.6e};  (1/B²) Σ‖∇L_i‖² = {(per_sample**2).sum().item() / B**2:.6e}")
one = adv.fgm_perturbation(per_sample.reshape(1, -1), 1.0).reshape(per_sample.shape)  # one norm over the batch
print(
    f"batch-wide normalisation: per-sample sizes of Δx range over [{one.norm(dim=1).min():.3f}, {one.norm(dim=1).max():.3f}] (×ε), not all 1"
)

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
gap_05 = adv.expansion_gap(model, x, y, 0.5)
term_05 = (theta_grad(adv.fgm_loss(model, x, y, 0.5)) - theta_grad(F.cross_entropy(model(x), y))).norm().item()
fgm_ratio = seconds["fgm"] / seconds["plain"]
rows = [
    (
        "FGM's θ-gradient ≈ that of L + ε‖∇ₓL‖ (squared form: L + ½ε‖∇ₓL‖²)",
        "Su",
        f"gap slope {slope('normalised: ε‖∇ₓL‖'):.3f} and {slope('squared: (ε/2)‖∇ₓL‖²'):.3f} on log–log (ε = 10⁻⁴…10⁻²): O(ε²)",
        abs(slope("normalised: ε‖∇ₓL‖") - 2) < 0.05,
    ),
    (
        "… at the ε the code uses (0.5)",
        "Su's Keras call",
        f"gap {gap_05:.3g} = {gap_05 / term_05:.0%} of the first-order term {term_05:.3g}",
        None,
    ),
    (
        "adversarial training and the penalty both help: IFLYTEK 60.29 → 62.46 (FGM) / 62.31 (GP), TNEWS 56.58 → 57.66 / 57.81",
        "Su (CLUE, BERT base)",
        f"toy: attacked accuracy plain {results['plain'][1]:.1%}, FGM {results['fgm'][1]:.1%}, penalty {results['penalty'][1]:.1%}; "
        f"clean {results['plain'][0]:.1%}, {results['fgm'][0]:.1%}, {results['penalty'][0]:.1%}",
        None if max(results["fgm"][1], results["penalty"][1]) > results["plain"][1] else False,
    ),
    (
        "FGM takes about twice as long per step",
        "Su",
        f"×{fgm_ratio:.2f} (FGM), ×{seconds['penalty'] / seconds['plain']:.2f} (penalty) against plain",
        1.4 < fgm_ratio < 3.0,
    ),
    (
        "linear model: FGM is the exact worst case; the robust loss is softplus(‖w‖(ε − d))",
        "beyond the article",
        f"ε* = ½‖μ₊ − μ₋‖ = {COLLAPSE['l2']:.4f} (ℓ2), {COLLAPSE['sign']:.4f} (ℓ∞): past it, w = 0",
        True,
    ),
    (
        "the penalty gives the model an L-constraint",
        "Su",
        f"flat at the samples (mean |∂L/∂x| = {pit_figure.mean_grad[max(runs['runs'])]:.4f}), slope up to {walls:.1f} between them",
        None,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **First order only.** The equivalence holds for the θ-gradient with $\Delta x$ held fixed, up to $O(\epsilon^2)$; at the $\epsilon$ of the code the two objectives differ by a sizeable share of the penalty itself (second row). "一定程度上等价" is fair; any check of it must use small $\epsilon$.
# * **The code is not the derivation.** The Keras FGM normalises over the whole batch and the embedding matrix, and its penalty carries $1/B^2$ (the previous section).
# * **A local, soft penalty, not a Lipschitz bound.** The penalty acts on the loss's gradient at the training points only; between them the loss may be as steep as it likes (the pit figure).
# * **Too large an $\epsilon$ removes the classifier.** In the linear case this is exact: past $\epsilon^*$, half the distance between the class means, the most robust model predicts a constant.
# * **The CLUE numbers are Su's;** the toy here reproduces their direction (attacked accuracy up, clean accuracy about the same), not their size.
