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
# # 05 · Smooth approximations of non-smooth functions
#
# **The question.** Which differentiable functions stand in for $\max$, $\mathrm{argmax}$, $|x|$, relu, sign, accuracy and F1, so that gradient descent can work with them, how close are they, and does training on a smooth F1 actually buy a better F1?
#
# **The source.** Su Jianlin, 《函数光滑化杂谈:不可导函数的可导逼近》 ("notes on smoothing: differentiable approximations of non-differentiable functions"), Scientific Spaces, 2019-05-20, https://kexue.fm/archives/6620, and its companion 《寻求一个光滑的最大值函数》 ("looking for a smooth maximum function"), 2015, https://kexue.fm/archives/3290. Su's starting point: classification is *evaluated* with discrete metrics (accuracy, F1) but *trained* with cross-entropy, and the two are not monotonically related. Rather than reach for reinforcement learning, find smooth formulas for the discrete operations, and optimise those.
#
# **You need:** derivatives and the chain rule, $\exp$/$\log$, softmax, precision/recall/F1, and logistic regression trained by gradient descent; lesson 01 (softmax and temperature) helps but is not required.
# **You will be able to:** write a smooth stand-in for $\max$, $\mathrm{argmax}$, $|x|$, relu, sign, step, accuracy and F1, bound how far each is from the original, say where a stand-in fails (the soft argmax at ties, sign and step at their jump), and judge whether training on a smooth F1 beats moving the decision threshold.
#
# Every formula below comes from `theory_lib.smoothing`, where it is tested against an independent route; every number is computed by a cell.

# %%
import itertools
import math
import os
import time

import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import default_device, smoothing as sm
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.smoothing import (
    EXERCISES,
    KinkFigure,
    SmoothF1TrainingFigure,
    SmoothFunctionFigure,
    SmoothMaxFigure,
    f1_experiment,
)

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
g = torch.Generator(device=device).manual_seed(0)
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# The dashed line is $|x|$: its slope jumps from $-1$ to $1$ at the kink, so at $0$ it has no derivative. The grey curves are a family of smooth functions, one for each sharpness $k$; the orange one is the family's member at the slider's $k$, and the red bar its largest distance from $|x|$. Move $k$: the smooth curve closes in on the kink everywhere, and its slope (right) turns from $-1$ to $1$ ever faster, but always continuously. That is the whole lesson in one picture: trade a little accuracy, controlled by one parameter, for a derivative everywhere. The rest makes it exact: which families, how close, and what they buy when a metric like F1 is the thing to optimise.

# %%
kink = KinkFigure()
kink.widget()

# %%
show_exercises(EXERCISES, kink)

# %% [markdown]
# ## Why a discrete metric gives no gradient
#
# Accuracy counts $[\mathrm{argmax}_j\, z_j = y]$. Move the logits $z$ a little and the argmax does not change, so the count does not either: its gradient is zero almost everywhere (and undefined where the argmax flips). A smooth stand-in replaces the indicator by a probability.

# %%
z = torch.randn(6, 3, generator=g, **f64).requires_grad_(True)  # 6 examples, 3 classes
y = torch.tensor([0, 1, 2, 0, 1, 2], device=device)
hard = (z.argmax(-1) == y).double().mean()  # argmax: no gradient path at all
print("hard accuracy", hard.item(), "| requires grad:", hard.requires_grad)
soft = sm.smooth_accuracy(torch.softmax(z, -1), y)
(grad,) = torch.autograd.grad(soft, z)
print(f"smooth accuracy {soft.item():.4f} | gradient norm {grad.norm().item():.4f}")

# %% [markdown]
# ## Step 1 · the smooth maximum is logsumexp, not softmax
#
# For $x \in \mathbb R^n$ and a temperature $\tau > 0$ (Su writes $K = 1/\tau$), every term of $\sum_i e^{x_i/\tau}$ is at most $e^{\max x/\tau}$ and one of them equals it:
#
# $$e^{\max x/\tau} \;\le\; \sum_{i=1}^n e^{x_i/\tau} \;\le\; n\, e^{\max x/\tau}
# \quad\Longrightarrow\quad
# \max x \;\le\; \tau \log \sum_{i=1}^n e^{x_i/\tau} \;\le\; \max x + \tau \log n .$$
#
# So $\tau\,\mathrm{logsumexp}(x/\tau) \to \max x$ as $\tau \to 0$, from above, with an error of at most $\tau \log n$. The bound is reached when all entries tie; with $m$ tied maxima and the rest strictly below, the gap tends to $\tau\log m$. Su's remark: the smooth max is *logsumexp*; the name "softmax" belongs to something else (step 2).
#
# Computed naively, $e^{x_i/\tau}$ overflows at once ($x = 10^4$, $\tau = 10^{-4}$ gives $e^{10^8}$). The library subtracts the max first: $m + \tau\,\mathrm{logsumexp}((x - m)/\tau)$.

# %%
x = 3 * torch.randn(10_000, 8, generator=g, **f64)  # 10 000 random vectors, n = 8
for tau in (1.0, 0.1, 0.01):
    gap = sm.smooth_max(x, tau) - x.amax(-1)
    print(
        f"tau = {tau:<5}: gap in [{gap.min().item():.2e}, {gap.max().item():.4f}], "
        f"bound tau log n = {sm.smooth_max_bound(8, tau):.4f}, all within: {bool((gap >= 0).all() and (gap <= sm.smooth_max_bound(8, tau)).all())}"
    )

ties = torch.full((8,), 1.5, **f64)
print("all 8 tied, tau = 0.1: gap =", (sm.smooth_max(ties, 0.1) - 1.5).item(), "= 0.1 log 8 =", 0.1 * math.log(8))
three = torch.tensor([2.0, 2.0, 2.0, -1.0, 0.5], **f64)
print(
    "3 tied maxima, tau = 0.01: gap =", (sm.smooth_max(three, 0.01) - 2).item(), "-> 0.01 log 3 =", 0.01 * math.log(3)
)

big = torch.tensor([1e4, -1e4, 9999.0], **f64)
naive = 1e-4 * torch.log(torch.exp(big / 1e-4).sum())
print(f"x = [1e4, -1e4, 9999], tau = 1e-4: naive formula {naive.item()}, library {sm.smooth_max(big, 1e-4).item()}")

# %% [markdown]
# ## Step 2 · softmax is the smooth onehot(argmax), and a soft argmax follows
#
# Where the maximum is unique, $\partial \max x / \partial x_i = [i = \mathrm{argmax}\,x]$: the gradient of $\max$ is $\mathrm{onehot}(\mathrm{argmax}\,x)$. Differentiate the smooth max instead:
#
# $$\frac{\partial}{\partial x_i}\, \tau \log \sum_j e^{x_j/\tau} = \frac{e^{x_i/\tau}}{\sum_j e^{x_j/\tau}} = \mathrm{softmax}(x/\tau)_i .$$
#
# So softmax is the smooth version of $\mathrm{onehot}(\mathrm{argmax})$, not of $\max$. And since $\mathrm{argmax}\,x = \sum_i i \cdot \mathrm{onehot}(\mathrm{argmax}\,x)_i$, the article proposes
#
# $$\mathrm{argmax}\,x \approx \sum_i i\cdot \mathrm{softmax}(x/\tau)_i$$
#
# (indices from 0 here, from 1 in the article).

# %%
x = torch.tensor([0.3, 2.0, 1.7, -1.0, 0.9], **f64).requires_grad_(True)
for tau in (1.0, 0.1, 0.01):
    (grad,) = torch.autograd.grad(sm.smooth_max(x, tau), x)
    p = sm.smooth_onehot(x, tau)
    print(
        f"tau = {tau:<4}: |autograd - softmax| = {(grad - p).abs().max().item():.1e}, "
        f"softmax = {[round(v, 3) for v in p.tolist()]}, soft argmax = {sm.smooth_argmax(x, tau).item():.4f}"
    )
print("argmax:", int(x.argmax()))

# %% [markdown]
# **Where the article is loose.** The soft argmax averages *indices*, weighted by softmax. When the maximum is unique and clear, the weights concentrate and the average is the argmax. When two entries are close, the average falls *between* their indices, on an index that may hold the smallest value. Ties make it exact: $[3, 0, 3]$ gives $1$ for every $\tau$, the position of the minimum.

# %%
for values in ([3.0, 0.0, 3.0], [3.0, 0.0, 0.0, 0.0, 2.9]):
    x = torch.tensor(values, **f64)
    row = ", ".join(f"tau={tau}: {sm.smooth_argmax(x, tau).item():.3f}" for tau in (1.0, 0.1, 0.03, 0.001))
    print(f"{values}: argmax {int(x.argmax())}; soft argmax {row}")

# %% [markdown]
# Steps 1 and 2 drawn together. Type a vector and move $\tau$. Top left: the entries, their max (black), the smooth max (orange) and the bound $\max + \tau\log n$ (red dashed): the two sides of step 1's inequality. Top right: softmax$(x/\tau)$ as bars over the onehot of the argmax; the triangles mark the argmax (black) and the soft argmax (red). Bottom: the gap and the soft argmax as functions of $\tau$, with the current $\tau$ marked. Try `1e4, -1e4, 9999` (huge values, a near tie) and `0, 0, 0, 0, 0, 0` (the bound is attained).

# %%
maxes = SmoothMaxFigure()
maxes.widget()

# %%
show_exercises(EXERCISES, maxes)

# %% [markdown]
# ## Step 3 · one-dimensional functions: $|x|$, relu, sign, step, and $\max(x_1, x_2)$
#
# **Route A, through the max (the 2015 article).** $|x| = \max(x, -x)$, so step 1 with $n = 2$ and $\tau = 1/k$ gives
#
# $$|x| \approx \frac1k \log\left(e^{kx} + e^{-kx}\right).$$
#
# (Su reached it by integrating a smooth $|x|' = 2\,\mathrm{step}(x) - 1 \approx 2\sigma(kx) - 1$, which gives $\frac1k\log(2 + e^{kx} + e^{-kx})$, and then dropping the 2.) Its derivative is $\tanh(kx)$, a smooth sign; and $\mathrm{relu}(x) = (x + |x|)/2$ gives the softplus $\frac1k\log(1 + e^{kx})$ (at sharpness $k$ for the relu, $k/2$ for the $|x|$ inside), whose derivative $\sigma(kx)$ is a smooth step. Finally
#
# $$\max(x_1, x_2) = \frac{x_1 + x_2 + |x_1 - x_2|}{2}$$
#
# turns any smooth $|\cdot|$ into a smooth two-argument max; with the log-cosh one it is exactly the smooth max of step 1 at $\tau = 1/(2k)$.
#
# **Route B, through the sign.** $|x| = x\cdot\mathrm{sign}(x)$ and $\mathrm{relu}(x) = x\cdot\mathrm{step}(x)$. With $\mathrm{sign} \approx \mathrm{erf}(kx)$ or $\tanh(kx)$ and $\mathrm{step} \approx \sigma(kx)$:
#
# $$|x| \approx x\,\mathrm{erf}(kx),\quad |x| \approx x\tanh(kx),\quad \mathrm{relu}(x) \approx x\,\sigma(kx).$$
#
# Put into the max formula, these are the article's two closing forms, $\max(x_1,x_2) \approx \tfrac12\big(x_1 + x_2 + (x_1 - x_2)\,\mathrm{erf}(\mu(x_1 - x_2))\big)$ and $(x_1 - x_2)\,\sigma(\beta(x_1 - x_2)) + x_2$ (the second is $x\tanh$ with $\beta = 2k$). The relu form $x\,\sigma(kx)$ is the swish/SiLU activation; $x\,\Phi(x)$, GELU, is the same idea with the normal CDF.

# %%
x = torch.linspace(-4, 4, 801, **f64)
x2 = torch.linspace(3, -2, 801, **f64)
k = 1.7
d = x - x2
checks = {
    "log-cosh |x| = smooth max of (x, -x) at tau = 1/k": sm.smooth_abs(x, k)
    - sm.smooth_max(torch.stack([x, -x], -1), 1 / k),
    "max2 with log-cosh |.| = smooth max at tau = 1/(2k)": sm.smooth_max2(x, x2, k)
    - sm.smooth_max(torch.stack([x, x2], -1), 1 / (2 * k)),
    "max2 with x erf: the article's erf form (mu = k)": sm.smooth_max2(x, x2, k, "erf")
    - (x + x2 + d * torch.erf(k * d)) / 2,
    "max2 with x tanh: the article's sigmoid form (beta = 2k)": sm.smooth_max2(x, x2, k, "tanh")
    - (d * torch.sigmoid(2 * k * d) + x2),
    "softplus = (x + log-cosh |x| at k/2) / 2 = log(1 + e^{kx})/k": sm.smooth_relu(x, k)
    - torch.log1p(torch.exp(k * x)) / k,
}
for name, diff in checks.items():
    print(f"{diff.abs().max().item():.1e}  {name}")

# derivatives by autograd: log-cosh |x|' = tanh(kx) (smooth sign), softplus' = sigmoid(kx) (smooth step)
xg = x.clone().requires_grad_(True)
(d_abs,) = torch.autograd.grad(sm.smooth_abs(xg, k).sum(), xg)
(d_relu,) = torch.autograd.grad(sm.smooth_relu(xg, k).sum(), xg)
print(f"{(d_abs - sm.smooth_sign(x, k)).abs().max().item():.1e}  d/dx log-cosh |x| = tanh(kx)")
print(f"{(d_relu - sm.smooth_step(x, k)).abs().max().item():.1e}  d/dx softplus = sigmoid(kx)")

# %% [markdown]
# ## Step 4 · how close: the worst-case error of each approximation
#
# The approximations of $|x|$ and relu all scale the same way: the smooth function at sharpness $k$ is $\frac1k$ times the one at sharpness 1, evaluated at $kx$, and so is the exact one (it is 1-homogeneous). So the error is $\frac1k g(kx)$ for a fixed profile $g$, and its supremum is $c/k$ for a constant $c$ that is a one-dimensional maximisation:
#
# - log-cosh: $\frac1k\log(1 + e^{-2k|x|}) \ge 0$, largest at $x = 0$: $c = \log 2$. Softplus likewise, $c = \log 2$.
# - $x\,\mathrm{erf}(kx)$: $|x| - x\,\mathrm{erf}(kx) = |x|\,\mathrm{erfc}(k|x|) \ge 0$, $c = \max_u u\,\mathrm{erfc}(u)$.
# - $x\tanh(kx)$ and $x\,\sigma(kx)$: the error profile is $u/(1 + e^u)$, maximised where $u = 1 + e^{-u}$, so $c = W(1/e)$ (the Lambert W function).
#
# The signs differ: log-cosh and softplus lie *above* $|x|$ and relu (and are convex, like them); the product forms lie *below*, and are not convex (swish dips below zero). Far from the kink the errors decay like $e^{-2k|x|}$ for log-cosh but like $e^{-k^2x^2}$ for erf. sign and step are different: they jump, and no continuous function approximates a jump uniformly, so the worst-case error stays 1 (sign) or $\tfrac12$ (step) for every $k$; they converge only on $|x| \ge \delta > 0$.

# %%
grid = torch.linspace(-6, 6, 120_001, **f64)  # spacing 1e-4
exact = {"abs": grid.abs(), "relu": grid.clamp_min(0), "sign": torch.sign(grid), "step": (grid > 0).double()}
smooth = {
    ("abs", "logcosh"): lambda t, k: sm.smooth_abs(t, k, "logcosh"),
    ("abs", "erf"): lambda t, k: sm.smooth_abs(t, k, "erf"),
    ("abs", "tanh"): lambda t, k: sm.smooth_abs(t, k, "tanh"),
    ("relu", "softplus"): lambda t, k: sm.smooth_relu(t, k, "softplus"),
    ("relu", "swish"): lambda t, k: sm.smooth_relu(t, k, "swish"),
    ("sign", "tanh"): lambda t, k: sm.smooth_sign(t, k, "tanh"),
    ("sign", "erf"): lambda t, k: sm.smooth_sign(t, k, "erf"),
    ("step", "sigmoid"): lambda t, k: sm.smooth_step(t, k),
}
k = 5.0
rows = [
    "| approximation | side of the exact function | sup error (formula) | sup error (grid) | c = sup error × k | error at x = 1 |",
    "|---|---|---|---|---|---|",
]
for (name, kind), f in smooth.items():
    err = f(grid, k) - exact[name]
    side = "above" if err.min() >= -1e-15 else "below" if err.max() <= 1e-15 else "both"
    at1 = (f(torch.tensor(1.0, **f64), k) - 1.0).abs().item()  # every exact function is 1 at x = 1
    theory = sm.approximation_error(name, k, kind if name != "step" else None)
    c = f"{theory * k:.6f}" if name in ("abs", "relu") else "none: no decay in k"
    rows.append(f"| {name} ≈ {kind} | {side} | {theory:.6f} | {err.abs().max().item():.6f} | {c} | {at1:.2e} |")
print(f"k = {k}, grid spacing {(grid[1] - grid[0]).item():.0e}")
display(Markdown("\n".join(rows)))

# %% [markdown]
# The grid column reproduces the formula column (for sign and step the grid point nearest 0 falls just short of the supremum, which is approached but never reached). The last column shows the tails: one unit from the kink, the erf forms are far closer than the others.
#
# Steps 3 and 4 drawn together. Pick a function and its approximation, and move the sharpness $k = 1/\tau$. Left: exact (dashed) and smooth. Middle: the gap $|\text{smooth} - \text{exact}|$ on a log scale with the worst-case error $c/k$ as a red line; the slopes far from 0 are the tail decays. Right: the derivative, computed by autograd through the library function. For sign and step the exact derivative is a Dirac delta (an arrow at 0, of mass 2 or 1); the smooth derivative is a bump whose area stays at that mass while it grows narrower and taller.

# %%
functions = SmoothFunctionFigure()
functions.widget()

# %%
show_exercises(EXERCISES, functions)

# %% [markdown]
# ## Step 5 · smooth metrics are expected metrics, almost
#
# **Accuracy.** If the prediction $\hat y$ for example $n$ is *drawn* from the model's distribution $p_n$, then $P(\hat y = y_n) = \langle 1_{y_n}, p_n \rangle = p_{n, y_n}$, so
#
# $$\text{smooth accuracy} = \frac1N\sum_n \langle 1_{y_n}, p_n\rangle = \mathbb E[\text{accuracy}]$$
#
# exactly, by linearity of expectation.
#
# **F1.** With binary labels $y_n$ and positive-class probabilities $p_n$, the hard F1 is $2\,TP/(2\,TP + FP + FN) = 2\,TP/(\#\text{predicted} + \#\text{positive})$. Replace the counts by their expectations under the same sampling, $\mathbb E[TP] = \sum_n p_n y_n$ and $\mathbb E[\#\text{predicted}] = \sum_n p_n$:
#
# $$\text{smooth F1} = \frac{2\sum_n p_n y_n}{\sum_n (p_n + y_n)} .$$
#
# This is a *ratio of expectations*, not the expected F1: F1 is not linear in the counts, and the two differ (a Jensen gap), a little for a large batch and visibly for a small one. On 0/1 predictions both smooth formulas are exactly the hard metrics (0/0, nothing to find and nothing claimed, counts as F1 = 1).

# %%
# accuracy: Monte Carlo over sampled predictions
n, c, draws = 50, 4, 20_000
p = torch.softmax(torch.randn(n, c, generator=g, **f64), -1)
y = torch.randint(0, c, (n,), generator=g, device=device)
samples = torch.multinomial(p, draws, replacement=True, generator=g)  # (n, draws)
acc = (samples == y[:, None]).double().mean(0)
print(
    f"smooth accuracy {sm.smooth_accuracy(p, y).item():.5f}; Monte Carlo E[accuracy] "
    f"{acc.mean().item():.5f} ± {acc.std().item() / math.sqrt(draws):.5f}"
)

# F1: exact expectation over all 2^10 outcomes of 10 sampled predictions
p = torch.rand(10, generator=g, **f64)
y = torch.tensor([1, 0, 0, 1, 0, 0, 0, 1, 0, 0], device=device)
outcomes = torch.tensor(list(itertools.product([0.0, 1.0], repeat=10)), **f64)  # (1024, 10)
weight = torch.where(outcomes == 1, p, 1 - p).prod(-1)
expected_f1 = (weight * sm.hard_f1(outcomes, y, 0.5)).sum().item()
smooth_f1_10 = sm.smooth_f1(p, y).item()
print(f"smooth F1 {smooth_f1_10:.5f}; exact E[F1] {expected_f1:.5f} (N = 10: a Jensen gap)")

# on 0/1 predictions both are the hard metrics
pred = (p > 0.5).double()
tp, fp, fn = int((pred * y).sum()), int((pred * (1 - y)).sum()), int(((1 - pred) * y).sum())
print(
    f"hard predictions: smooth F1 {sm.smooth_f1(pred, y).item():.5f} vs 2TP/(2TP+FP+FN) {2 * tp / (2 * tp + fp + fn):.5f}; "
    f"smooth accuracy {sm.smooth_accuracy(pred, y).item():.5f} vs {(pred == y).double().mean().item():.5f}"
)

# %% [markdown]
# ## The use case · train on a smooth F1
#
# An imbalanced binary problem in two dimensions: a fraction $\pi$ of positives drawn from $\mathcal N(s\,e_1, I)$, the rest from $\mathcal N(0, I)$. The Bayes rule thresholds $x_1$, so a logistic model $p(x) = \sigma(w\cdot x + b)$ is the right model class. Train it from zero with Adam, once on cross-entropy and once on the smooth-F1 loss $1 - 2\sum p y / \sum(p + y)$ over the whole training set, and read both at the usual threshold $p > \tfrac12$. Then score the hard F1 on a fresh test set.

# %%
gen = torch.Generator(device=device).manual_seed(0)
x_train, y_train = sm.imbalanced_blobs(2000, 0.05, 1.5, generator=gen, device=device)
x_test, y_test = sm.imbalanced_blobs(10_000, 0.05, 1.5, generator=gen, device=device)

start = time.perf_counter()
ce = sm.train_linear_classifier(x_train, y_train, "ce")  # 200 Adam steps, full batch
f1 = sm.train_linear_classifier(x_train, y_train, "f1")
seconds = time.perf_counter() - start

f1_ce = sm.hard_f1(ce.logits(x_test), y_test).item()  # p > 1/2  <=>  logit > 0
f1_f1 = sm.hard_f1(f1.logits(x_test), y_test).item()
print(f"pi = 0.05, separation 1.5, both trainings in {seconds:.2f} s")
print(f"test F1: cross-entropy {f1_ce:.3f}, smooth-F1 loss {f1_f1:.3f}")
print(
    f"predicted positives on the test set: cross-entropy {int((ce.logits(x_test) > 0).sum())}, "
    f"smooth-F1 {int((f1.logits(x_test) > 0).sum())}, true {int(y_test.sum())}"
)

# %% [markdown]
# The smooth-F1 model wins, and the last line says why: cross-entropy gives calibrated probabilities, and with 5 % positives few points ever reach $p > \tfrac12$, so it predicts too few positives and loses recall. Is the loss doing the work, or just the threshold?
#
# ## Beyond the article · the threshold is the lever
#
# Take a calibrated model and a set of predicted positives with expected counts $TP$ and $D = \#\text{predicted} + \#\text{positive}$, so $F = 2TP/D$. Adding one more point whose probability of being positive is $p$ changes this to $2(TP + p)/(D + 1)$, which is larger exactly when
#
# $$p > \frac{TP}{D} = \frac F2 .$$
#
# So the F1-optimal rule is "predict positive when $p > F^*/2$", half the best F1 reachable (Lipton, Elkan and Naryanaswamy, 2014). F1 is far below 1 on hard problems, so the right threshold is far below $\tfrac12$. Check it: tune the cross-entropy model's threshold on the *training* set, compare with $F^*/2$, and score on the test set.

# %%
thresholds = torch.linspace(0.02, 0.98, 49, **f64)
train_curve = sm.hard_f1(ce.probs(x_train), y_train, thresholds[:, None])  # (49,) F1 per threshold
t_star = thresholds[train_curve.argmax()].item()
f1_tuned = sm.hard_f1(ce.probs(x_test), y_test, t_star).item()
print(
    f"best threshold on the training set t* = {t_star:.2f}; half the F1 it reaches = {train_curve.max().item() / 2:.3f}"
)
print(
    f"test F1: cross-entropy at p > 1/2 {f1_ce:.3f}; cross-entropy at p > t* {f1_tuned:.3f}; smooth-F1 loss {f1_f1:.3f}"
)

# %% [markdown]
# Cross-entropy plus a moved threshold matches the smooth-F1 loss. The loss changed *where the boundary sits*, which is what a threshold does, not what the model can represent.
#
# Now the same recipe over settings (`f1_experiment` is this cell's recipe wrapped and cached: 2 000 training and 10 000 test points, 200 full-batch Adam steps unless a batch size is given; the figure below uses it too). The last column, the best threshold on $x_1$ chosen on the test set itself, is an optimistic ceiling.

# %%
settings = [
    (0.5, 2.0, "full"),
    (0.2, 1.0, "full"),
    (0.05, 1.5, "full"),
    (0.05, 3.0, "full"),
    (0.02, 2.0, "full"),
    (0.05, 0.0, "full"),
    (0.02, 2.0, "32"),
]
start = time.perf_counter()
results = {s: f1_experiment(*s, 0) for s in settings}
print(f"{len(settings)} settings, {time.perf_counter() - start:.1f} s")
at_most_one = sum(math.comb(32, j) * 0.02**j * 0.98 ** (32 - j) for j in (0, 1))
print(f"a batch of 32 at pi = 0.02 holds at most one positive with probability {at_most_one:.2f}")
rows = [
    "| π | separation | batch | CE, p > ½ | CE, p > t* (t*) | smooth-F1 loss, p > ½ | mean p: CE / F1 loss | ceiling |",
    "|---|---|---|---|---|---|---|---|",
]
for (pi, sep, batch), r in results.items():
    rows.append(
        f"| {pi} | {sep} | {batch} | {r['f1_ce']:.3f} | {r['f1_ce_tuned']:.3f} ({r['t_best']:.2f}) | "
        f"**{r['f1_f1']:.3f}** | {r['mean_p_ce']:.3f} / {r['mean_p_f1']:.3f} | {r['oracle']:.3f} |"
    )
display(Markdown("\n".join(rows)))
r0 = results[(0.05, 0.0, "full")]
print(
    f"separation 0: the smooth-F1 model predicts {r0['predicted_f1']:.0%} of the test points positive, cross-entropy "
    f"{r0['predicted_ce']:.0%}; predicting all of them positive would score 2π/(1+π) = {2 * 0.05 / 1.05:.3f}"
)

# %% [markdown]
# Reading the table, row by row:
#
# - **Balanced** ($\pi = 0.5$): all three agree. $t^* = F^*/2$ is not far from $\tfrac12$, and the F1 curve is flat there.
# - **Imbalanced and overlapping**: cross-entropy at $\tfrac12$ collapses (it may predict no positive at all); the smooth-F1 loss and the tuned threshold both recover, close to the ceiling.
# - **Well separated**: every method is near the ceiling; there is little left to gain.
# - **No signal** (separation 0): F1 can be gamed. Predicting *everything* positive scores $2\pi/(1+\pi)$ without looking at $x$, and the smooth-F1 loss heads that way (the line under the table), while cross-entropy predicts nothing.
# - **Small batches**: the smooth F1 is a ratio over the batch, not a sum of per-example terms (the line above the table gives how often a batch holds at most one positive), so each step optimises a noisy, biased ratio and the smooth-F1 model falls behind; cross-entropy with a tuned threshold does not care.
# - **Calibration**: the mean predicted probability of the cross-entropy model stays close to $\pi$ in every row, as it must for a well-specified logistic model; the smooth-F1 model's can be far from it, most of all where the classes overlap. Its outputs are decision scores, not probabilities.
#
# ## See it move · 3
#
# Each setting trains two models (the readout says how long it took), so this figure updates when you **release** a slider, not while you drag it (`continuous = False`), and it caches every setting it has computed: going back is instant. Left: the training set with the three boundaries. Middle: test F1 during training; the dotted line is the smooth F1 itself on the training set, which sits below the hard F1 because the model's $p$ is not 0 or 1. Right: the cross-entropy model's test F1 at every threshold $t$ (the open circle is $t = \tfrac12$, the filled one $t^*$), the smooth-F1 model's F1 (green), and the rule $t = F^*/2$ (dotted).

# %%
training = SmoothF1TrainingFigure()
training.widget()

# %% [markdown]
# Worth a look here: separation 0 (what does the smooth-F1 loss learn when $x$ carries no signal?), and batch 32 at $\pi = 0.02$ (which method suffers?). The table above has both.
#
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the articles.

# %%
x = torch.tensor([0.3, 2.0, 1.7, -1.0, 0.9], **f64)
t = torch.linspace(-3, 3, 6001, **f64)
gap = (sm.smooth_max(x, 0.01) - x.max()).item()
onehot_err = (sm.smooth_onehot(x, 0.01) - torch.nn.functional.one_hot(x.argmax(), 5)).abs().max().item()
argmax_err = abs(sm.smooth_argmax(x, 0.01).item() - x.argmax().item())
tie = sm.smooth_argmax(torch.tensor([3.0, 0.0, 3.0], **f64), 0.001).item()
abs_err = (sm.smooth_abs(t, 10.0) - t.abs()).abs().max().item()
erf_err = (sm.smooth_max2(t, 0.0, 10.0, "erf") - t.clamp_min(0)).abs().max().item()
sig_err = (sm.smooth_max2(t, 0.0, 5.0, "tanh") - t.clamp_min(0)).abs().max().item()  # β = 2k = 10
r = results[(0.05, 1.5, "full")]
rows = [
    (
        "max x ≤ τ logsumexp(x/τ) ≤ max x + τ log n",
        "Su 2015",
        f"gap at τ = 0.01: {gap:.2e} ≤ τ log 5 = {sm.smooth_max_bound(5, 0.01):.4f}",
        0 <= gap <= sm.smooth_max_bound(5, 0.01),
    ),
    (
        "softmax(x/τ) is the smooth onehot(argmax x)",
        "Su",
        f"largest entry error at τ = 0.01: {onehot_err:.1e}",
        onehot_err < 1e-3,
    ),
    (
        "argmax x ≈ Σᵢ i·softmax(x/τ)ᵢ",
        "Su",
        f"unique max: error {argmax_err:.1e} at τ = 0.01; [3, 0, 3] at τ = 0.001 gives {tie:.3f}, the minimum's index",
        None if argmax_err < 1e-3 and abs(tie - 0) > 0.5 else argmax_err < 1e-3,
    ),
    (
        r"\|x\| ≈ log(eᵏˣ + e⁻ᵏˣ)/k",  # \| : a bar inside a Markdown table cell
        "Su 2015",
        f"sup error at k = 10: {abs_err:.4f} = log 2/k = {math.log(2) / 10:.4f}",
        math.isclose(abs_err, math.log(2) / 10, rel_tol=1e-6),
    ),
    (
        "max(x₁, x₂) ≈ (x₁ + x₂ + d·erf(μd))/2, d = x₁ − x₂",
        "Su",
        f"sup error at μ = 10: {erf_err:.4f} (theory {sm.approximation_error('max2', 10.0, 'erf'):.4f})",
        math.isclose(erf_err, sm.approximation_error("max2", 10.0, "erf"), rel_tol=1e-3),
    ),
    (
        "max(x₁, x₂) ≈ d·σ(βd) + x₂",
        "Su",
        f"sup error at β = 10: {sig_err:.4f} (theory {sm.approximation_error('max2', 5.0, 'tanh'):.4f})",
        math.isclose(sig_err, sm.approximation_error("max2", 5.0, "tanh"), rel_tol=1e-3),
    ),
    (
        "smooth F1 2Σpy / Σ(p + y) is the expected F1",
        "a natural reading",
        f"N = 10: smooth F1 {smooth_f1_10:.4f}, exact E[F1] {expected_f1:.4f}",
        abs(smooth_f1_10 - expected_f1) < 1e-3,
    ),
    (
        "training on a smooth F1 gives a better F1",
        "Su",
        f"π = 0.05: test F1 {r['f1_f1']:.3f} (smooth-F1 loss) vs {r['f1_ce']:.3f} (cross-entropy at p > ½) "
        f"and {r['f1_ce_tuned']:.3f} (cross-entropy at its tuned t*)",
        None if r["f1_f1"] > r["f1_ce"] and abs(r["f1_ce_tuned"] - r["f1_f1"]) < 0.03 else r["f1_f1"] > r["f1_ce"],
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the articles are loose.** The smooth max, the smooth onehot and the smooth $|x|$, relu and $\max(x_1, x_2)$ are uniformly within $\tau\log n$ or $c/k$ of the originals, as claimed. The soft argmax averages indices, so it fails at ties and lands between near-tied maxima, on whatever index lies there. sign and step are approximated only away from their jump. The smooth F1 is a ratio of expectations, not the expected F1. And the gain from training on it is the gain from moving the decision threshold: cross-entropy with a tuned threshold reaches the same F1 and keeps calibrated probabilities, and the smooth-F1 loss can game F1 when the data carry no signal.
