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
# # 15 · Six derived optimisers
#
# **The question.** Most optimisers in use are one update rule, $\theta \leftarrow \theta - \gamma h$, with a few small changes. What does each of six such changes do, and when does one equal another?
#
# **The source.** Su Jianlin, 《6个派生优化器的简单介绍及其实现》 ("A brief introduction to six derived optimisers and their implementation"), Scientific Spaces, 2019-11-25, https://kexue.fm/archives/7094, with the `extend_with_*` wrappers of his library bert4keras. The six: weight decay, layer adaptation (LAMB), a piecewise-linear learning rate, gradient accumulation, Lookahead and lazy optimisation.
#
# **You need:** gradient descent, momentum and Adam's update (its moments and bias correction), an L2 penalty; PyTorch's `torch.optim.Optimizer`.
# **You will be able to:** say when weight decay is an L2 penalty (SGD) and when it is not (Adam), predict the step of layer adaptation, read a bert4keras schedule, say when accumulation is a large batch, compute Lookahead's contraction on a quadratic, and tell lazy rows from frozen ones.
#
# Every update below is `theory_lib.optimizers.DerivedOptimizer`, a `torch.optim.Optimizer` tested against torch's SGD, Adam and AdamW; every number is computed by a cell.

# %%
import os

import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import default_device, optimizers as op
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.optimizers import EXERCISES, LabFigure, LazyFigure, OpeningFigure, ScheduleFigure, opening_paths

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# A valley $\mathcal L = \tfrac12(\theta - c)^\top A(\theta - c)$ with $A = \mathrm{diag}(1, 10)$ and its minimum $c = (1, 1)$ at the cross. Four optimisers start at $(-1.5, 2)$: SGD with weight decay $\lambda$, SGD on $\mathcal L + \frac\lambda2\Vert\theta\Vert^2$, Adam on that same penalised loss, and AdamW (Adam with decay). The two SGD paths are one path; the two Adam paths part at the first step and end at different points. Right: the distance between each pair. Move $\lambda$.

# %%
opening = OpeningFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · weight decay is L2 for SGD only
#
# Su's base form: $g_t = \nabla_\theta\mathcal L$, a direction $h_t = f(g_{\le t})$, and $\theta_{t+1} = \theta_t - \gamma h_t$. Weight decay adds $-\gamma\lambda\theta_t$:
#
# $$\theta_{t+1} = \theta_t - \gamma h_t - \gamma\lambda\theta_t .$$
#
# For SGD, $h = g$, so this is $\theta - \gamma(g + \lambda\theta)$: one step of SGD on $\mathcal L + \frac\lambda2\Vert\theta\Vert^2$, exactly. For Adam, $h = \hat m/(\sqrt{\hat v} + \epsilon)$: putting $\lambda\theta$ into the gradient sends it through $\hat m$ and $\hat v$, while decay adds it after the division. On a first step Adam's $h$ is the sign of its gradient, so with L2 a coordinate whose $\lambda\theta$ outweighs its gradient moves *against* its gradient. The article's check: $\theta = (1, -2)$, a small positive gradient on the second coordinate, $\gamma = 0.01$, $\lambda = 0.1$:

# %%
grad = torch.tensor([0.5, 0.01], **f64)


def first_step(make, l2):
    theta = torch.tensor([1.0, -2.0], **f64)
    opt = make([theta])
    theta.grad = grad + l2 * theta
    opt.step()
    return theta


adam_l2 = first_step(lambda p: op.DerivedOptimizer(p, lr=0.01), l2=0.1)
adamw = first_step(lambda p: op.DerivedOptimizer(p, lr=0.01, weight_decay=0.1), l2=0.0)
torch_adamw = first_step(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), l2=0.0)
print(f"gradient of the second coordinate: {grad[1].item():+g}")
print(f"Adam + L2: theta_2 = {adam_l2[1].item():.4f}   (moved up: against the gradient)")
print(f"AdamW:     theta_2 = {adamw[1].item():.4f}   (torch.optim.AdamW: {torch_adamw[1].item():.4f})")
sgd = [
    first_step(lambda p: op.DerivedOptimizer(p, base="sgd", lr=0.01, weight_decay=0.1), l2=0.0),
    first_step(lambda p: op.DerivedOptimizer(p, base="sgd", lr=0.01), l2=0.1),
]
print(f"SGD: decay and L2 differ by {(sgd[0] - sgd[1]).abs().max().item():.1e}")

# %% [markdown]
# ## Step 2 · layer adaptation fixes the step at $\gamma\Vert\theta\Vert$
#
# $$\theta_{t+1} = \theta_t - \gamma\, h_t\,\frac{\Vert\theta_t\Vert_2}{\Vert h_t\Vert_2}$$
#
# per tensor (Adam as the base gives LAMB). The update's norm is $\gamma\Vert\theta_t\Vert$ whatever $h_t$: scaling the gradient by 100 changes nothing. bert4keras keeps the plain step when either norm is 0. With decay inside the normalised update (as LAMB), $u = h + \lambda\theta$ is rescaled:

# %%
layer_steps = []
for scale in (1.0, 100.0):
    theta = torch.tensor([3.0, 4.0], **f64)
    opt = op.DerivedOptimizer([theta], base="sgd", lr=0.1, layer_adaptation=True, weight_decay=0.01)
    theta.grad = scale * torch.tensor([1.0, 2.0], **f64)
    before = theta.clone()
    opt.step()
    layer_steps.append((theta - before).norm().item())
    layer_target = 0.1 * before.norm().item()
    print(
        f"gradient x {scale:>5g}: |step| = {(theta - before).norm().item():.6f}, lr * |theta| = {0.1 * before.norm().item():.6f}"
    )

# %% [markdown]
# ## Step 3 · a piecewise-linear learning rate
#
# $\theta_{t+1} = \theta_t - \gamma\rho_t h_t$ with $\rho_t$ linear between breakpoints $\{t_i: \rho_i\}$ and constant after the last. bert4keras prepends $(0, 0)$ unless 0 is a breakpoint, so every schedule warms up from 0; the article's `AdamLR(learning_rate=0.001, lr_schedule={1000: 1.})` ramps the rate from 0 to 0.001 over 1000 steps. `piecewise_linear` against `np.interp`:

# %%
article = {1000: 1.0}
for t in (0, 250, 500, 1000, 5000):
    rate = 0.001 * op.piecewise_linear(t, article)
    print(f"t = {t:>4}: lr = {rate:.6f}   np.interp: {0.001 * np.interp(t, [0, 1000], [0.0, 1.0]):.6f}")
print("from_zero=False at t = 0:", op.piecewise_linear(0, article, from_zero=False))

# %% [markdown]
# The figure draws $\rho(t)$ for $\{\text{warm-up}: 1, 300: \rho_{\text{end}}\}$ and Adam's loss on the valley with and without it.

# %%
schedule = ScheduleFigure()
schedule.widget()

# %%
show_exercises(EXERCISES, schedule)

# %% [markdown]
# ## Step 4 · gradient accumulation is a large batch, on conditions
#
# Update once every $k$ micro-batches with their mean gradient $g = \frac1k\sum_j\nabla\mathcal L_{(j)}$ (the article's `AdamGA(..., grad_accum_steps=10)`). If the loss is a mean over samples, the micro-batches are of equal size and no layer uses batch statistics, that mean is the full batch's gradient, and the runs agree to rounding:

# %%
gen = torch.Generator().manual_seed(0)
X, y = torch.randn(64, 5, generator=gen, dtype=torch.float64), torch.randn(64, generator=gen, dtype=torch.float64)
X, y = X.to(device), y.to(device)


def regression(batches, accum):
    w = torch.zeros(5, **f64, requires_grad=True)
    opt = op.DerivedOptimizer([w], lr=0.05, grad_accum_steps=accum)
    for _ in range(20):
        for xb, yb in zip(X.chunk(batches), y.chunk(batches), strict=True):
            opt.zero_grad()
            ((xb @ w - yb) ** 2).mean().backward()
            opt.step()
    return w.detach()


gap_accum = (regression(8, 8) - regression(1, 1)).abs().max().item()
print(f"8 micro-batches of 8, accumulated, against one batch of 64: max |difference| = {gap_accum:.1e}")

# %% [markdown]
# A loose end in the code: in the Keras version the iteration counter advances at every micro-step, so Adam's bias correction $1/(1 - \beta_1^{t})$ runs $k$ times faster than the updates. After the first real update of `grad_accum_steps=10`:

# %%
k = 10
print(
    f"bias correction 1/(1 - 0.9^t): counting updates (t = 1) {1 / (1 - 0.9):.3f}; counting micro-steps (t = {k}) {1 / (1 - 0.9**k):.3f}"
)

# %% [markdown]
# Its effect on the steps: the Keras version's first update (at micro-step 0) applies a zero gradient, and each later update $j$ is bias-corrected with $t = jk + 1$ while its moments hold only $j$ gradients. For a constant gradient `DerivedOptimizer` (counting updates) steps exactly $\gamma$; `keras_step_ratio` gives the Keras step over $\gamma$ (tested against a micro-step-by-micro-step simulation of the Keras loop): about half at first, then too large by up to about $\sqrt k$ for as long as $\beta_2^j$ is far from 0.

# %%
keras_ratio = {j: op.keras_step_ratio(j, k) for j in (1, 2, 10, 100, 1000, 10000)}
print(f"k = {k}, Keras step / lr at update j:", ", ".join(f"j = {j}: {r:.3f}" for j, r in keras_ratio.items()))
print(f"largest over j <= 10000: {max(op.keras_step_ratio(j, k) for j in range(1, 10001)):.3f}; sqrt(k) = {k**0.5:.3f}")

# %% [markdown]
# ## Step 5 · Lookahead
#
# Every $k$ updates a slow copy moves toward the fast weights and the fast weights jump back to it: $\Theta \leftarrow \Theta + \alpha(\theta - \Theta)$, $\theta \leftarrow \Theta$. On $\mathcal L = \tfrac12\theta^2$ SGD multiplies $\theta$ by $(1 - \gamma)$ a step, so with $\Theta_0 = \theta_0$ each synchronisation multiplies it by $1 - \alpha + \alpha(1 - \gamma)^k$:

# %%
lr, k, alpha, n = 0.1, 5, 0.5, 4
theta = torch.tensor([2.0], **f64)
opt = op.DerivedOptimizer([theta], base="sgd", lr=lr, lookahead_steps=k, lookahead_alpha=alpha)
for _ in range(n * k):
    theta.grad = theta.clone()
    opt.step()
print(
    f"after {n} synchronisations: theta = {theta.item():.10f}, closed form {2.0 * op.lookahead_factor(lr, k, alpha, n):.10f}"
)

# %% [markdown]
# The article does not say where $\Theta$ starts. bert4keras allocates the slow weights as zeros, so the first synchronisation sets $\theta \leftarrow \alpha\,\theta_{\text{fast}}$: the same loop with $\Theta_0 = 0$ (written out by hand) shrinks a pretrained model:

# %%
fast, slow = torch.tensor([2.0], **f64), torch.zeros(1, **f64)
for _ in range(k):
    fast = fast - lr * fast
slow = slow + alpha * (fast - slow)
print(
    f"after one synchronisation: slow weights from theta_0 give {2.0 * op.lookahead_factor(lr, k, alpha, 1):.4f}, from zeros {slow.item():.4f}"
)

# %% [markdown]
# ## Step 6 · lazy rows
#
# The article gives no formula; the code moves an embedding row only when its gradient row is non-zero, and lets the moments of the other rows decay. Two rows receiving gradients in alternate steps: plain Adam keeps moving the row whose gradient is zero (its momentum carries it), lazy Adam leaves it where it was.

# %%
moved = {}
for lazy in (False, True):
    emb = torch.tensor([[1.0, 2.0], [3.0, 4.0]], **f64)
    opt = op.DerivedOptimizer([emb], lr=0.1, lazy=lazy)
    still = 0.0
    for t in range(6):
        g = torch.zeros(2, 2, **f64)
        g[t % 2] = torch.tensor([1.0, -1.0], **f64)
        emb.grad = g
        before = emb[1 - t % 2].clone()
        opt.step()
        still = max(still, (emb[1 - t % 2] - before).abs().max().item())
    moved[lazy] = still
    print(f"lazy={lazy}: largest move of a row whose gradient was zero: {still:.4f}")

# %% [markdown]
# The figure follows one rare row of an embedding (`optimizers.lazy_rows`: its token comes every few steps, its target is $\theta = (1, 1)$) under plain and lazy Adam. Look at the right panel: plain Adam's dots between the gradient steps are the moves momentum makes with no gradient, each about $\beta_1$ times the one before; lazy Adam's crosses there sit at zero. Set $\beta_1 = 0$: the drift is gone and the two paths are one.

# %%
lazy_fig = LazyFigure()
lazy_fig.widget()

# %%
show_exercises(EXERCISES, lazy_fig)

# %% [markdown]
# ## The lab
#
# Every trick on one path on the valley: the base (SGD or Adam), decay $\lambda$, layer adaptation, $k$ accumulated micro-batches against Gaussian gradient noise $\sigma$, and Lookahead's $k$ and $\alpha$ (0: off). The dotted path is the base alone with the same noise.

# %%
lab = LabFigure()
lab.widget()

# %%
show_exercises(EXERCISES, lab)

# %% [markdown]
# ## The experiment · a small trained model
#
# A network $8 \to 32 \to 1$ (tanh) fitted to $y = \sin(x^\top w)$ on 128 points, full batch, float64, seeded. First the same $\lambda$ and $\gamma$ as decay (AdamW) and as an L2 term under Adam, with plain Adam alongside: the final loss and the weight norm $\Vert\theta\Vert$.


# %%
gen = torch.Generator().manual_seed(1)
Xm = torch.randn(128, 8, generator=gen, dtype=torch.float64).to(device)
ym = torch.sin(Xm @ torch.randn(8, generator=gen, dtype=torch.float64).to(device))


def small_model(batch_stats=False, seed=0):
    """8 -> 32 -> 1, tanh; batch_stats puts a BatchNorm (statistics of the batch it sees) after the first layer."""
    torch.manual_seed(seed)
    norm = [torch.nn.BatchNorm1d(32)] if batch_stats else []
    return torch.nn.Sequential(torch.nn.Linear(8, 32), *norm, torch.nn.Tanh(), torch.nn.Linear(32, 1)).to(**f64)


def squared_norm(model):
    return sum((p**2).sum() for p in model.parameters())


def mse(model):
    with torch.no_grad():
        return ((model(Xm).squeeze(-1) - ym) ** 2).mean().item()


def train(model, updates, micro=(128,), l2=0.0, **options):
    """`updates` updates over the micro-batches `micro` (sizes); each one's loss is its own mean (+ the L2 term)."""
    opt = op.DerivedOptimizer(model.parameters(), **options)
    for _ in range(updates * opt.defaults["grad_accum_steps"] // len(micro)):
        for xb, yb in zip(Xm.split(list(micro)), ym.split(list(micro)), strict=True):
            opt.zero_grad()
            (((model(xb).squeeze(-1) - yb) ** 2).mean() + l2 / 2 * squared_norm(model)).backward()
            opt.step()
    return model


lam, lr_m = 0.01, 0.01
decay_runs = {
    "AdamW": train(small_model(), 100, lr=lr_m, weight_decay=lam),
    "Adam + L2": train(small_model(), 100, lr=lr_m, l2=lam),
    "Adam": train(small_model(), 100, lr=lr_m),
}
decay_result = {name: (mse(m), squared_norm(m).sqrt().item()) for name, m in decay_runs.items()}
for name, (loss, norm) in decay_result.items():
    print(f"{name:>9} (λ = {lam:g}, lr = {lr_m:g}, 100 updates): loss {loss:.4f}, |θ| = {norm:.3f}")

# %% [markdown]
# The same $\lambda$ is not the same regulariser: as decay it shrinks each weight by $\gamma\lambda\theta$ a step, as an L2 term it enters the gradient and Adam's normalisation scales it up wherever the data's gradient is small, so Adam + L2 ends with the smaller norm and the larger loss. Then accumulation against one batch of 128, on the same model, with each condition broken in turn:


# %%
def gap(a, b):
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters(), strict=True))


k_m = 4
one_batch = train(small_model(), 20, lr=lr_m)
gaps = {
    "equal micro-batches, mean loss": gap(
        train(small_model(), 20, (32,) * k_m, lr=lr_m, grad_accum_steps=k_m), one_batch
    ),
    "unequal micro-batches (56, 8, 32, 32)": gap(
        train(small_model(), 20, (56, 8, 32, 32), lr=lr_m, grad_accum_steps=k_m), one_batch
    ),
    "equal, with batch statistics (BatchNorm)": gap(
        train(small_model(True), 20, (32,) * k_m, lr=lr_m, grad_accum_steps=k_m), train(small_model(True), 20, lr=lr_m)
    ),
}
for name, g in gaps.items():
    print(f"{k_m} micro-batches, {name}: max |θ − θ(one batch)| after 20 updates = {g:.1e}")

# %% [markdown]
# Last, the Keras code's slow weights (step 5) on the trained network: Lookahead with $k = 5$, $\alpha = \tfrac12$ from the Adam-trained weights, its slow copy starting at $\theta_0$ (`DerivedOptimizer`) or at zero (as bert4keras allocates it, set here by zeroing the optimizer's `slow` state):


# %%
pretrained = decay_runs["Adam"]


def lookahead_from(zeros, updates=10):
    model = small_model()
    model.load_state_dict(pretrained.state_dict())
    opt = op.DerivedOptimizer(model.parameters(), lr=lr_m, lookahead_steps=5, lookahead_alpha=0.5)
    for t in range(updates):
        opt.zero_grad()
        ((model(Xm).squeeze(-1) - ym) ** 2).mean().backward()
        opt.step()
        if zeros and t == 0:  # the slow copy exists after the first step; bert4keras's starts at zero
            for p in model.parameters():
                opt.state[p]["slow"].zero_()
    return mse(model), squared_norm(model).sqrt().item()


slow_start = {"θ_0": lookahead_from(False), "zeros": lookahead_from(True)}
print(f"trained: loss {mse(pretrained):.4f}, |θ| = {squared_norm(pretrained).sqrt().item():.3f}")
for start, (loss, norm) in slow_start.items():
    print(f"slow weights from {start:>5}, after 10 updates (2 synchronisations): loss {loss:.4f}, |θ| = {norm:.3f}")

# %% [markdown]
# ## The experiment · rare tokens
#
# A bag-of-embeddings regression over 50 tokens with Zipf frequencies, trained for 300 steps with Adam: how far does each row move on a step where its token was absent? Lazy Adam moves none of them; plain Adam moves the rare rows at most steps.


# %%
def rare_tokens(lazy, steps=300, vocab=50, dim=8, seed=0):
    g = torch.Generator(device=device).manual_seed(seed)
    probs = 1.0 / torch.arange(1, vocab + 1, **f64)
    target = torch.randn(vocab, **f64, generator=g)
    emb = torch.zeros(vocab, dim, **f64, requires_grad=True)
    opt = op.DerivedOptimizer([emb], lr=0.05, lazy=lazy)
    absent_moves = 0
    for _ in range(steps):
        tokens = torch.multinomial(probs, 4, replacement=True, generator=g)
        opt.zero_grad()
        ((emb[tokens].sum(-1) - target[tokens]) ** 2).mean().backward()
        before = emb.detach().clone()
        opt.step()
        absent = torch.ones(vocab, dtype=torch.bool, device=device)
        absent[tokens] = False
        absent_moves += int(((emb.detach() - before)[absent].abs().amax(-1) > 0).sum())
    return absent_moves / steps


absent = {lazy: rare_tokens(lazy) for lazy in (False, True)}
for lazy, rows in absent.items():
    print(f"lazy={lazy}: rows moved per step without their token: {rows:.1f}")

# %% [markdown]
# ## Summary

# %%
paths = opening_paths(0.3)
gap_adam = float(np.linalg.norm(paths["adamw"][-1] - paths["adam l2"][-1]))
gap_sgd = float(np.abs(paths["sgd decay"] - paths["sgd l2"]).max())
la = op.lookahead_factor(lr, k, alpha, n)
rows = [
    (
        "Weight decay equals an L2 penalty for SGD",
        "Su; Loshchilov & Hutter",
        f"largest gap between the two SGD paths at λ = 0.3: {gap_sgd:.1e}",
        gap_sgd < 1e-12,
    ),
    (
        "…but not for Adam (AdamW ≠ Adam + L2)",
        "Loshchilov & Hutter (arXiv 1711.05101)",
        f"their ends at λ = 0.3 lie {gap_adam:.3f} apart; a first step moves θ₂ to {adam_l2[1].item():.3f} (L2) "
        f"and {adamw[1].item():.3f} (AdamW)",
        gap_adam > 0.01 and adam_l2[1].item() > -2.0 > adamw[1].item(),
    ),
    (
        "Decoupled weight decay beats L2 for adaptive optimisers",
        "Loshchilov & Hutter, as their claim",
        f"small model, λ = {lam:g}, lr = {lr_m:g}: loss {decay_result['AdamW'][0]:.4f} (AdamW) against "
        f"{decay_result['Adam + L2'][0]:.4f} (Adam + L2), |θ| {decay_result['AdamW'][1]:.2f} against "
        f"{decay_result['Adam + L2'][1]:.2f}: the same λ regularises differently; no test set, so not their claim",
        None,
    ),
    (
        "Layer adaptation: the step is γ‖θ‖ whatever ‖h‖",
        "Su",
        f"|step| = {layer_steps[0]:.6f} and {layer_steps[1]:.6f} for the gradient × 1 and × 100; γ‖θ‖ = {layer_target:g}",
        max(abs(s - layer_target) for s in layer_steps) < 1e-12,
    ),
    (
        "LAMB beats Adam for batches in the thousands",
        "You et al. (arXiv 1904.00962), as their claim",
        "not measured; on the valley layer adaptation alone does not converge (exercise 4)",
        None,
    ),
    (
        "{1000: 1} warms up from 0 to the full rate over 1000 steps",
        "Su / bert4keras",
        f"ρ(500) = {op.piecewise_linear(500, article):g}, ρ(5000) = {op.piecewise_linear(5000, article):g}",
        op.piecewise_linear(500, article) == 0.5 and op.piecewise_linear(5000, article) == 1.0,
    ),
    (
        "Accumulating k micro-batches is a batch k times larger",
        "Su",
        f"max difference {gap_accum:.1e} (regression), {gaps['equal micro-batches, mean loss']:.1e} (small model), "
        f"with mean loss, equal micro-batches, no batch statistics; unequal micro-batches "
        f"{gaps['unequal micro-batches (56, 8, 32, 32)']:.1e}, BatchNorm {gaps['equal, with batch statistics (BatchNorm)']:.1e}",
        gap_accum < 1e-10 and gaps["equal micro-batches, mean loss"] < 1e-10 and min(list(gaps.values())[1:]) > 1e-3,
    ),
    (
        "Lookahead on ½θ²: (1 − α + α(1 − γ)^k)^n",
        "derived here",
        f"θ = {theta.item():.6f} against {2 * la:.6f}",
        abs(theta.item() - 2 * la) < 1e-12,
    ),
    (
        "Lazy optimisation leaves absent rows in place",
        "bert4keras",
        f"rows moved per step without their token: {absent[False]:.1f} plain, {absent[True]:.1f} lazy",
        absent[True] == 0 < absent[False],
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **"Weight decay" is L2 only for SGD.** Under Adam the two differ from the first step, and Adam + L2 can step against the gradient (step 1).
# * **Layer adaptation has no ε or clipping** in Su's form, and the order of wrappers decides whether decay is inside the normalisation (LAMB) or outside.
# * **Accumulation = a large batch** only for mean losses, equal micro-batches and no batch statistics; the Keras version's counter also speeds up Adam's bias correction $k$-fold (step 4).
# * **Lookahead's slow weights** start at zero in the code, which halves the weights at the first synchronisation when $\alpha = \tfrac12$; the paper starts them at $\theta_0$, as `DerivedOptimizer` does.
# * **Lazy optimisation** has no formula in the article; the code masks the update only, and the moments of absent rows still decay.
