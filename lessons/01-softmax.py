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
# # 01 · Repeated softmax tends to the uniform distribution
#
# **The question.** Apply softmax to a vector, then to the result, again and again. Where does it go, and how fast?
#
# **The source.** Su Jianlin's answer (point 4) to the Zhihu question 《softmax到底有哪些作用?》 ("What is softmax really for?"), retold in the 2020 post 《一个分布在多次Softmax后,会趋于相同》 ("a distribution becomes uniform after many softmaxes"). There is no kexue.fm article. Su's claims: $[1, 100]$ becomes about $[0.5, 0.5]$ after roughly 10 softmaxes, and $[1, 2, 3, 4]$ becomes about uniform after roughly 5. He calls the result of little practical value (a softmax of probabilities means nothing); this lesson is about *why* it holds, and about what changes once a temperature enters.
#
# **You need:** softmax, $\sinh$ and $\tanh$, a Jacobian, and the idea of a fixed point of a map; no earlier lesson.
# **You will be able to:** bound how fast repeated softmax flattens a vector, compute the exact $n = 2$ map and the local rate $1/(n\tau)$, and find the temperatures where the iteration gets stuck instead (the bistable window).
#
# Every formula below comes from `theory_lib.softmax`, where it is tested against an independent route; every number is computed by a cell.

# %%
import math
import os

import torch
from IPython import get_ipython
from IPython.display import Markdown, display
from torch.autograd.functional import jacobian

from theory_lib import default_device, softmax as sm
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.softmax import EXERCISES, ContractionFigure, RepeatedSoftmaxFigure, SimplexFigure

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# Take three numbers that sum to one, a point of the triangle below (each corner is one entry equal to 1), and apply softmax to them again and again. Each square is a start; the line of dots after it is where the repeated softmax takes it. Su's answer says every start ends at the centre, the uniform distribution. Here a temperature divides the entries before each softmax, and at the temperature the slider opens at, that is false: starts in the blue region go to the centre, starts in the orange region go to a point near a corner and stay there. Move the temperature and watch the regions trade places. The rest of the lesson makes this picture exact: why the centre attracts at the article's temperature 1, how fast, and where the orange region comes from.

# %%
simplex = SimplexFigure()
simplex.widget()

# %%
show_exercises(EXERCISES, simplex)

# %% [markdown]
# ## The claims, computed live
#
# `steps_to_uniform(x, tol)` iterates $p_0 = x$, $p_{k+1} = \mathrm{softmax}(p_k)$ and returns the first $k$ whose *spread* $a_k = \max p_k - \min p_k$ is below `tol`.

# %%
rows = ["| start | steps to spread < 1e-2 | steps to spread < 1e-3 | iterate at that step |", "|---|---|---|---|"]
for start in ([1.0, 100.0], [1.0, 2.0, 3.0, 4.0]):
    x = torch.tensor(start, **f64)
    k2, k3 = sm.steps_to_uniform(x, tol=1e-2), sm.steps_to_uniform(x, tol=1e-3)
    p = sm.iterate_softmax(x, k3)[-1]
    rows.append(f"| {start} | {k2} | {k3} | {[round(v, 4) for v in p.tolist()]} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# "Roughly 10" and "roughly 5" hold, give or take the tolerance you call uniform. The rest of the lesson explains these counts.
#
# ## Step 1 · after one softmax every entry lies in $(0, 1)$
#
# $\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}$ is positive and the entries sum to 1, so after the first step every entry lies in $(0, 1)$ and the spread $a_1 < 1$, *whatever* the start: $[1, 100]$ and $[10^4, -10^4]$ alike.

# %%
g = torch.Generator(device=device).manual_seed(0)
x = 1e4 * torch.randn(10_000, 6, generator=g, **f64)  # 10 000 wild starts, n = 6
p1 = sm.iterate_softmax(x, 1)[1]
inside = (p1 > 0) & (p1 < 1)  # the open interval, as the claim says
a1 = sm.spread(p1).max().item()
print(
    f"logits of size 1e4: {inside.sum().item()} of {p1.numel()} entries strictly inside (0, 1) in float64; "
    f"{(p1 == 0).sum().item()} underflowed to exactly 0, {(p1 == 1).sum().item()} rounded to exactly 1"
)
print(f"  largest spread after one step: {a1!r}" + (" (1.0 only by that rounding)" if a1 == 1.0 else ""))

x = 3 * torch.randn(10_000, 6, generator=g, **f64)  # moderate logits: float64 resolves every entry
p1 = sm.iterate_softmax(x, 1)[1]
a1 = sm.spread(p1).max().item()
print(
    f"logits of size 3: every entry strictly inside (0, 1): {bool(((p1 > 0) & (p1 < 1)).all())}; "
    f"largest spread {a1:.10f}, below 1: {a1 < 1}"
)

# %% [markdown]
# At logits of $10^4$ the smallest entries underflow to exactly 0 in floating point and the largest can round to exactly 1, so a floating-point test of the open interval fails and the spread prints as 1.0; mathematically every entry stays strictly inside. At moderate logits, where float64 resolves every entry, the open-interval test passes and the spread stays below 1.
#
# ## Step 2 · the contraction bound
#
# Let $a = \max_i p_i - \min_i p_i$ be the spread of the current iterate. Since every $p_j \ge p_{\min}$ and every $p_j \le p_{\max}$,
#
# $$p'_{\max} = \frac{e^{p_{\max}}}{\sum_j e^{p_j}} \le \frac{e^{p_{\max}}}{n\,e^{p_{\min}}} = \frac{e^{a}}{n},
# \qquad p'_{\min} \ge \frac{e^{p_{\min}}}{n\,e^{p_{\max}}} = \frac{e^{-a}}{n},$$
#
# so the next spread obeys
#
# $$a' \le \frac{e^{a} - e^{-a}}{n} = \frac{2\sinh a}{n}.$$
#
# After step 1 we have $a \le 1$, and $\sinh(a)/a$ grows with $a$, so $a'/a \le 2\sinh(1)/n$: a contraction as soon as $2\sinh(1) < n$, that is for every $n \ge 3$. For $n = 2$ the bound $\sinh a > a$ says nothing, and we need the exact map of step 3.

# %%
print("2 sinh(1)/n, the worst contraction factor once a <= 1:")
for n in (2, 3, 4, 10):
    print(f"  n = {n:2d}: {sm.contraction_bound(1.0, n):.4f}")

# check: the bound is never violated, on 10 000 random starts and 12 steps each
x = 3 * torch.randn(10_000, 5, generator=g, **f64)
a = sm.spread(sm.iterate_softmax(x, 12))  # (13, 10000)
ratio = a[1:] / sm.contraction_bound(a[:-1], 5)
print(f"largest a'/bound over {ratio.numel()} steps: {ratio.max().item():.4f} (must be <= 1)")


# %% [markdown]
# The two sides of the inequality, drawn together: the red curve is the bound $2\sinh(a)/n$, the dots are the pairs $(a_k, a_{k+1})$ that softmax really makes from 400 random starts, and the dotted diagonal is "no contraction". Where the red curve lies below the diagonal, the bound alone proves the spread shrinks.

# %%
contraction = ContractionFigure()
contraction.widget()

# %%
show_exercises(EXERCISES, contraction)

# %% [markdown]
# ## Step 3 · $n = 2$ exactly
#
# For two entries $\mathrm{softmax}(x_1, x_2) = (\sigma(x_1 - x_2), \sigma(x_2 - x_1))$ with the logistic $\sigma$, and $2\sigma(d) - 1 = \tanh(d/2)$. So the spread follows a one-dimensional map *exactly*:
#
# $$a_{k+1} = \tanh(a_k / 2).$$
#
# From $a_0 = 99$: $a_1 = \tanh(49.5) \approx 1$, and then, since $\tanh(a/2) \approx a/2$ for small $a$, the spread halves each step. That is where "roughly 10 steps" comes from: about $\log_2(1/\text{tol})$ halvings after the first step.

# %%
x = torch.tensor([1.0, 100.0], **f64)
a = sm.spread(sm.iterate_softmax(x, 12))
predicted = sm.two_class_map(a[:-1])
for k in range(1, 13):
    print(f"a_{k:<2d} = {a[k].item():.10f}   tanh(a_{k - 1}/2) = {predicted[k - 1].item():.10f}")
print("largest difference:", (a[1:] - predicted).abs().max().item())
print("halvings after step 1 to reach 1e-3:", math.ceil(math.log2(1 / 1e-3)))

# %% [markdown]
# ## Step 4 · near the uniform point: the Jacobian, and a rate of $1/n$
#
# Write $s = \mathrm{softmax}(p/\tau)$ with a temperature $\tau$ (the article has $\tau = 1$). Its Jacobian is $\partial s_i / \partial p_j = s_i(\delta_{ij} - s_j)/\tau$. At the uniform point $s_i = 1/n$:
#
# $$J = \frac{1}{n\tau}\Big(I - \frac{\mathbf 1\mathbf 1^\top}{n}\Big).$$
#
# After step 1 the entries sum to 1, so a deviation $\delta$ from the uniform point sums to 0, and on that subspace $J\delta = \delta/(n\tau)$. The spread therefore shrinks by the factor $1/(n\tau)$ per step: a straight line of slope $-\log_{10}(n\tau)$ on a log plot. For $[1,2,3,4]$ and $\tau = 1$ that is a factor 4 a step, which is why it needs only about half as many steps as $[1, 100]$ (factor 2).

# %%
for n, tau in [(2, 1.0), (4, 1.0), (4, 0.5), (10, 2.0)]:
    u = torch.full((n,), 1.0 / n, **f64)
    J = jacobian(lambda p, tau=tau: torch.softmax(p / tau, -1), u)
    formula = (torch.eye(n, **f64) - 1.0 / n) / (n * tau)
    x = torch.randn(n, generator=g, **f64)
    a = sm.spread(sm.iterate_softmax(x, 12, temperature=tau))
    print(
        f"n={n:2d} tau={tau}: |J - formula| = {(J - formula).abs().max().item():.1e}, "
        f"1/(n tau) = {sm.local_rate(n, tau):.4f}, measured a_12/a_11 = {(a[12] / a[11]).item():.4f}"
    )

# %% [markdown]
# ## Beyond the article · small temperatures
#
# The uniform point is a fixed point for every $\tau$ (softmax of a constant vector is uniform). By step 4 it *attracts nearby starts* only while the local rate $1/(n\tau)$ is below 1, that is for $\tau > \tau_c = 1/n$. Below $\tau_c$ it repels, and the iterates must settle elsewhere. Where?
#
# **Every fixed point has at most two distinct values.** A fixed point satisfies $p_i = e^{p_i/\tau}/Z$ for every $i$, so each entry is a root of $p\,e^{-p/\tau} = 1/Z$, and that function rises then falls: at most two roots. So a fixed point has $m$ entries $h$ and $n - m$ entries $l < h$. With the gap $d = h - l$ and $\sum_i p_i = 1$,
#
# $$l = \frac{1 - m d}{n},\qquad h = \frac{1 + (n-m)d}{n},\qquad \frac{h}{l} = e^{d/\tau}
# \;\Longrightarrow\; \tau(d) = \frac{d}{\log\big(1 + (n-m)d\big) - \log(1 - md)},\quad 0 < d < \tfrac1m .$$
#
# A non-uniform fixed point with $m$ high entries exists exactly when $\tau \le \tau^*(n, m) = \max_d \tau(d)$ (`bistability_temperature`). Two consequences:
#
# * $\log(1+(n-m)d) - \log(1-md) \ge \log\frac{1+d}{1-d} \ge 2d$, so $\tau^* \le 1/2$ for every $n$: at the article's $\tau = 1$ the uniform point is the *only* fixed point, which is why its claim holds for every start.
# * As $d \to 0$, $\tau(d) \to 1/n$; for $n = 2$ the maximum is that limit ($\tau^* = \tau_c = 1/2$), but for $n \ge 3$ and $m = 1$ the curve rises above $1/n$ first. Between $1/n$ and $\tau^*(n, 1)$ **both** the uniform point and a one-hot-like point attract: the start decides (bistability). The local analysis of step 4 cannot see this.

# %%
print(" n   tau_c = 1/n   tau*(n, m=1)   tau*(n, m=n/2)")
for n in (2, 3, 4, 8, 100, 10**6):
    print(
        f"{n:>7d}   {sm.critical_temperature(n):.6f}      {sm.bistability_temperature(n):.6f}       "
        f"{sm.bistability_temperature(n, max(1, n // 2)):.6f}"
    )


# %%
def fate(start, tau):
    x = torch.tensor(start, **f64)
    try:
        return f"uniform after {sm.steps_to_uniform(x, temperature=tau)} steps"
    except sm.NotUniformError as err:
        fp = err.fixed_point
        residual = (torch.softmax(fp / tau, -1) - fp).abs().max().item()
        return f"fixed point {[round(v, 4) for v in fp.tolist()]} (residual {residual:.0e})"


n = 4
tau_c, tau_star = sm.critical_temperature(n), sm.bistability_temperature(n)
print(f"n = {n}: tau_c = {tau_c}, tau* = {tau_star:.4f}")
for tau in (1.0, 1.02 * tau_star, 0.98 * tau_star, 0.5 * (tau_c + tau_star), 0.2, 0.1):
    print(f"  tau = {tau:.4f}: [1, 2, 3, 4] -> {fate([1.0, 2.0, 3.0, 4.0], tau)}")
    print(f"  {'':14s}[0, .01, .02, .03] -> {fate([0.0, 0.01, 0.02, 0.03], tau)}")
for tau in (0.2, 0.1):
    print(f"  tau = {tau:.4f}: [0, 0, 1, 1] -> {fate([0.0, 0.0, 1.0, 1.0], tau)}")

# %%
# n = 2: the nonzero fixed point solves a = tanh(a / (2 tau)); compare with the iteration
for tau in (0.45, 0.3, 0.1):
    a = 1.0
    for _ in range(200):  # iterate the exact scalar map
        a = math.tanh(a / (2 * tau))
    try:
        sm.steps_to_uniform(torch.tensor([0.0, 1.0], **f64), temperature=tau)
    except sm.NotUniformError as err:
        print(f"tau = {tau}: a* from the scalar map = {a:.6f}, from the iteration = {err.spread.item():.6f}")

# %% [markdown]
# ## See it all move
#
# Pick a start (the article's two vectors, a random vector of size $n$, or your own), the number of steps and the temperature. Left: the iterates. Middle: $\log_{10}$ of the spread, the one-step bound $2\sinh(a_{k-1}/\tau)/n$ above it, and the local slope $-\log_{10}(n\tau)$. Right: the spread map as a cobweb: the real pairs $(a_k, a_{k+1})$ over the exact $n=2$ map $\tanh(a/2\tau)$ and the bound for this $n$. For $n = 2$ the points sit *on* the green curve; for $n > 2$ they sit below the red one. The slope line is drawn only where it applies: where the iterates approach the uniform point ($\tau > 1/n$ and this start converging), over the last steps whose spread is small. The step axes end where the iterates stop changing in float64 (the last point drawn repeats the one before), so a start that settles early does not leave a long empty axis. `n` and `seed` only act on the `random` start and the text box only on `custom`: the figure disables them otherwise. The line under the figure reports the step count, or the fixed point where the iteration gets stuck, and which regime of $\tau$ holds: above $\tau^*$, in the bistable window $1/n < \tau \le \tau^*$, or below $1/n$ (the previous section).

# %%
figure = RepeatedSoftmaxFigure()
figure.widget()


# %% [markdown]
# The exercises below refer to this figure; "show me" sets its controls.

# %%
show_exercises(EXERCISES, figure)

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
k100 = sm.steps_to_uniform(torch.tensor([1.0, 100.0], **f64), tol=1e-2)
k1234 = sm.steps_to_uniform(torch.tensor([1.0, 2.0, 3.0, 4.0], **f64), tol=1e-2)
tau_max = max(sm.bistability_temperature(n) for n in range(2, 65))
a = sm.spread(sm.iterate_softmax(torch.tensor([1.0, 2.0, 3.0, 4.0], **f64), 12))
try:
    sm.steps_to_uniform(torch.tensor([1.0, 2.0, 3.0, 4.0], **f64), temperature=0.3)
    stuck = "becomes uniform"
except sm.NotUniformError as err:
    stuck = f"stops at {[round(v, 3) for v in err.fixed_point.tolist()]}"
rows = [
    (
        "[1, 100] is about [0.5, 0.5] after roughly 10 softmaxes",
        "Su",
        f"spread < 1e-2 after {k100} steps",
        abs(k100 - 10) <= 3,
    ),
    ("[1, 2, 3, 4] is about uniform after roughly 5", "Su", f"spread < 1e-2 after {k1234} steps", abs(k1234 - 5) <= 2),
    (
        "every start tends to the uniform distribution",
        "Su",
        f"at τ = 1 the uniform point is the only fixed point: τ*(n) ≤ {tau_max:.4f} < 1 for n ≤ 64 (≤ 1/2 proved)",
        tau_max < 1,
    ),
    (
        "after one step a < 1, so the spread contracts",
        "Su's argument",
        f"the bound's factor 2 sinh(1)/n is {sm.contraction_bound(1.0, 2):.3f} > 1 at n = 2: it proves nothing "
        f"there; the exact map tanh(a/2) does",
        None if sm.contraction_bound(1.0, 2) > 1 else True,
    ),
    (
        "near uniform the spread shrinks by 1/(nτ) a step",
        "this lesson",
        f"[1, 2, 3, 4]: a₁₂/a₁₁ = {(a[12] / a[11]).item():.4f}, 1/n = {sm.local_rate(4):.4f}",
        math.isclose((a[12] / a[11]).item(), sm.local_rate(4), rel_tol=0.02),
    ),
    (
        "with a temperature τ > 1/n every start still becomes uniform",
        "a natural reading",
        f"[1, 2, 3, 4] at τ = 0.3 > 1/4 {stuck}: the bistable window (1/4, {sm.bistability_temperature(4):.4f}]",
        stuck == "becomes uniform",
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.** Its contraction argument needs $n \ge 3$ (for $n = 2$ the exact map closes the gap), and its counts depend on the tolerance one calls uniform. Its claim holds at the temperature it uses, $\tau = 1$; it is not a property of softmax at every temperature: for $n \ge 3$ and $\tau$ in the bistable window the start decides, which the local analysis of step 4 cannot see.
