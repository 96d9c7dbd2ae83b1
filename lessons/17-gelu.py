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
# # 17 · Where GELU's two elementary approximations come from
#
# **The question.** Every Transformer library carries two magic numbers for GELU: $0.044715$ in $\tfrac12x\big[1+\tanh\big(\sqrt{2/\pi}(x+0.044715x^3)\big)\big]$ and $1.702$ in $x\,\sigma(1.702x)$. Where do they come from, and what exactly do they minimise?
#
# **The source.** Su Jianlin, 《GELU的两个初等函数近似是怎么来的》 ("Where GELU's two elementary-function approximations come from"), Scientific Spaces, 2020-03-26, https://kexue.fm/archives/7309. Su's claims: approximating GELU means approximating $\Phi$, an odd-plus-constant, bounded, increasing function, so $\tanh$ is the natural building block; a Taylor fit at 0 gives $0.0455399$, close but not it; the **min–max** fit with $a = \sqrt{2/\pi}$ kept gives $0.0447149$, which is $0.044715$; the min–max fit of $\sigma(\lambda x)$ gives $\lambda = 1.70174$, which is $1.702$.
#
# **You need:** the normal CDF $\Phi$ and erf; Taylor series; the idea of a least-squares fit; PyTorch tensors. Lesson 05 met $x\,\sigma(\beta x)$ as a smooth ReLU.
# **You will be able to:** derive both constants, by series and by min–max; recognise a min–max fit by its equal, alternating error peaks; say which error (of $\Phi$ or of GELU) and which criterion a constant minimises; and decide whether approximating GELU still pays.
#
# Every formula comes from `theory_lib.gelu`, where it is tested against an independent route (torch's own GELU, mpmath at 30 digits, a dense grid); every number is computed by a cell.

# %%
import os
import time

import mpmath as mp
import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Markdown, display
from scipy import optimize, special

from theory_lib import default_device, gelu as g
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.gelu import EXERCISES, CriteriaFigure, LogisticFigure, MinimaxFigure

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# The tanh form approximates $\Phi(x)$ by $\tilde\Phi(x) = \tfrac12\big[1 + \tanh\big(a(x + c\,x^3)\big)\big]$ with $a = \sqrt{2/\pi}$. The curve is its error $\Phi(x) - \tilde\Phi(x)$ for $x \ge 0$ (the error is odd, so $x < 0$ is the mirror image); the red circle marks the largest $|\text{error}|$, the red dashed lines its level, the green dotted lines the best level any $c$ can reach. Move $c$ from the Taylor value $0.0455399$ towards $0.0447149$ and watch a second peak of the other sign grow until the two are equal: that is the min–max criterion, and $0.044715$ is where it ends.

# %%
opening = MinimaxFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · GELU is $x\Phi(x)$, so fit $\Phi$
#
# $$\mathrm{GELU}(x) = x\,\Phi(x), \qquad \Phi(x) = \int_{-\infty}^x \frac{e^{-t^2/2}}{\sqrt{2\pi}}\,dt = \frac12\Big[1 + \mathrm{erf}\Big(\frac{x}{\sqrt2}\Big)\Big].$$
#
# The factor $x$ is exact; only $\Phi$ needs approximating. $2\Phi(x) - 1 = \mathrm{erf}(x/\sqrt2)$ is odd, increasing and bounded by $\pm1$, like $\tanh$; so Su builds from $\tanh$: $\tanh(ax + bx^3)$, with $c = b/a$ in the form above. The check: `gelu` against `torch.nn.functional.gelu` in both of torch's modes (torch's `approximate="tanh"` is this form with $0.044715$), and the three forms at $x = 1$.

# %%
x = torch.linspace(-10, 10, 200_001, dtype=torch.float64, device=device)
for mode in ("none", "tanh"):
    diff = (g.gelu(x, mode) - torch.nn.functional.gelu(x, approximate=mode)).abs().max().item()
    print(f"approximate={mode!r}: max |ours - torch| on [-10, 10] = {diff:.1e}")
one = torch.ones(1, dtype=torch.float64)
print(
    "at x = 1: exact {:.6f}, tanh form {:.6f}, logistic form {:.6f}".format(
        *(g.gelu(one, m).item() for m in g.APPROXIMATIONS)
    )
)

# %% [markdown]
# ## Step 2 · the Taylor fit and what it leaves
#
# Expand the residual at 0 (mpmath, 30 digits, below):
#
# $$\mathrm{erf}\Big(\frac{x}{\sqrt2}\Big) - \tanh(ax + bx^3) = \Big(\sqrt{\tfrac2\pi} - a\Big)x + \Big(\frac{a^3}{3} - b - \frac{1}{3\sqrt{2\pi}}\Big)x^3 + O(x^5).$$
#
# Killing both terms gives $a = \sqrt{2/\pi}$ and $b = \dfrac{4-\pi}{3\sqrt2\,\pi^{3/2}}$, that is $c = b/a = \dfrac{4-\pi}{6\pi}$. The first term left over is the $x^5$ one, and it has one sign: the opening figure at the Taylor $c$ shows a single lobe, far from 0 where the series says nothing.

# %%
mp.mp.dps = 30
a_t, c_t, worst_t = g.fit_gelu_tanh("taylor")
series = mp.taylor(lambda t: mp.erf(t / mp.sqrt(2)) - mp.tanh(mp.mpf(a_t) * (t + mp.mpf(c_t) * t**3)), 0, 5)
print(f"a = sqrt(2/pi) = {a_t:.10f}, c = (4 - pi)/(6 pi) = {c_t:.10f} (the article: 0.0455399)")
print(
    f"residual series: x term {float(series[1]):.1e}, x^3 term {float(series[3]):.1e}, x^5 term {float(series[5]):.4e}"
)
print(f"its largest |Phi - Phi~| over the line: {worst_t:.4e} ({2 * worst_t:.4e} on the erf scale)")

# %% [markdown]
# ## Step 3 · the min–max fit: equal peaks
#
# Su keeps $a = \sqrt{2/\pi}$ (the slope at 0) and spends $b$ on the whole line: $\min_b \max_x |\mathrm{erf}(x/\sqrt2) - \tanh(ax + bx^3)|$. His script takes the max on the grid $[0, 4)$ with step $0.001$ and runs Powell's method. The error is odd, so $x \ge 0$ suffices; `fit_gelu_tanh` searches $[0, 60]$, refines each peak, and then *equalises* the two largest peaks by a root solve, which is what a min–max optimum looks like (Chebyshev's alternation: one free constant, two equal peaks of opposite sign). Both routes, side by side:

# %%
grid = np.arange(0, 4, 0.001)
su_max = lambda b: np.abs(special.erf(grid / np.sqrt(2)) - np.tanh(a_t * grid + b * grid**3)).max()  # noqa: E731
su = optimize.minimize(su_max, 0, method="Powell", options={"xtol": 1e-10, "ftol": 1e-10, "maxiter": 100000})
b_su = float(np.atleast_1d(su.x)[0])
a_m, c_m, worst_m = g.fit_gelu_tanh("minimax")
print(f"Su's script: b = {b_su:.15f}, b/a = {b_su / a_t:.15f} (the article: 0.04471491123850965)")
print(f"continuous min-max: c = {c_m:.15f}, max |Phi - Phi~| = {worst_m:.6e} ({2 * worst_m:.5e} on the erf scale)")
print("its peaks (x, error):", ", ".join(f"({x:.4f}, {v:+.6e})" for x, v in g.gelu_error_peaks("tanh", c_m)))
print(
    f"published 0.044715: max error {g.gelu_max_error('tanh', g.TANH_C):.6e}; Taylor / min-max = {worst_t / worst_m:.3f}"
)

# %% [markdown]
# ## Step 4 · the logistic fit
#
# The same criterion for $\Phi(x) \approx \sigma(\lambda x)$: $\min_\lambda\max_x|\Phi(x) - \sigma(\lambda x)|$. Matching the slope at 0 instead ($\lambda/4 = 1/\sqrt{2\pi}$) gives $\lambda = 4/\sqrt{2\pi}$, noticeably worse. The right panel is the max error against $\lambda$: a V whose tip is the min–max $\lambda$, where the two peaks of the left panel are equal.
#
# The two forms are one family: since $\tfrac12(1 + \tanh u) = \sigma(2u)$, the tanh form is $\sigma\big(2a x + 2ac\,x^3\big)$, a logistic with a cubic correction, whose linear coefficient $2a$ is exactly the slope-matched $4/\sqrt{2\pi}$.

# %%
lam_m, worst_l = g.fit_gelu_sigmoid("minimax")
lam_t, worst_lt = g.fit_gelu_sigmoid("taylor")
print(f"min-max lambda = {lam_m:.10f} (the article: 1.7017449256323682), max error {worst_l:.5e}")
print(
    f"published 1.702: {g.gelu_max_error('sigmoid', g.SIGMOID_LAMBDA):.5e}; slope-matched {lam_t:.6f}: {worst_lt:.5e}"
)
print(f"tanh form as a logistic: sigma({2 * a_m:.7f} x + {2 * a_m * c_m:.7f} x^3)")

# %%
logistic = LogisticFigure()
logistic.widget()

# %%
show_exercises(EXERCISES, logistic)

# %% [markdown]
# ## Step 5 · which error, which criterion?
#
# A weighted integral $\int \lambda(x)\,[f - g]^2\,dx$ needs a weight, and the answer depends on it; Su prefers the weight-free min–max. Two more choices hide in the article: the error is that of $\Phi$, not of GELU $= x\Phi$ (the GELU error is $x$ times the $\Phi$ error, so it weights large $|x|$ more); and $a$ is held at $\sqrt{2/\pi}$ ("hybrid"), not fitted. The figure draws each criterion's error relative to the min–max error, so the min–max curve touches $\pm1$; toggle the level and $a$.

# %%
criteria = CriteriaFigure()
criteria.widget()

# %%
show_exercises(EXERCISES, criteria)

# %%
for level in g.LEVELS:
    for criterion in g.CRITERIA:
        a, c, w = g.fit_gelu_tanh(criterion, level=level)
        lam, wl = g.fit_gelu_sigmoid(criterion, level=level)
        print(f"{level:>4} {criterion:<12} c = {c:.7f} (max {w:.4e})   lambda = {lam:.6f} (max {wl:.4e})")
a_f, c_f, worst_f = g.fit_gelu_tanh("minimax", free_a=True)
print(f"free a: a = {a_f:.6f}, c = {c_f:.7f}, max {worst_f:.4e} ({1 - worst_f / worst_m:.0%} below the hybrid fit)")
print("its three peaks:", ", ".join(f"({x:.4f}, {v:+.4e})" for x, v in g.gelu_error_peaks("tanh", c_f, a=a_f)))

# %% [markdown]
# Only min–max reproduces both published constants; least squares with either weight lands elsewhere. The free-$a$ fit, with three equal alternating peaks, is the constant pair often quoted for Page's 1977 pocket-calculator formula, $\Phi(x) \approx 1/(1 + e^{-2y})$, $y = 0.7988x(1 + 0.04417x^2)$; Su attributes the tanh form to that paper. We have not checked the quotation against the paper: if it is right, Page's constants are the free min–max, not $0.044715$.
#
# ## Experiment · does approximating still pay?
#
# Frameworks now have an exact erf. Time the exact GELU against the tanh form on $10^7$ float32 elements, on the CPU and on the GPU when present (median of 5 runs after a warm-up).


# %%
def median_ms(fn, x, runs=5):
    fn(x)
    if x.is_cuda:
        torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(x)
        if x.is_cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[runs // 2]


timings = {}
for dev in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
    big = torch.randn(10**7, device=dev, generator=torch.Generator(device=dev).manual_seed(0))
    for mode in ("none", "tanh"):
        timings[dev, mode] = median_ms(lambda t, m=mode: torch.nn.functional.gelu(t, approximate=m), big)
    print(f"{dev}: exact {timings[dev, 'none']:.2f} ms, tanh form {timings[dev, 'tanh']:.2f} ms per 10^7 elements")

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
lsq = {k: g.fit_gelu_tanh(k)[1] for k in ("lsq-uniform", "lsq-normal")}
lsq_lam = {k: g.fit_gelu_sigmoid(k)[0] for k in ("lsq-uniform", "lsq-normal")}
_, c_gelu, _ = g.fit_gelu_tanh("minimax", level="gelu")
rows = [
    (
        "The Taylor fit gives c = 0.0455399",
        "Su",
        f"(4 − π)/(6π) = {c_t:.7f}; x, x³ residual terms {abs(float(series[1])):.0e}, {abs(float(series[3])):.0e}",
        round(c_t, 7) == 0.0455399,
    ),
    (
        "The min–max fit with a = √(2/π) gives b/a = 0.04471491123850965 ≈ 0.044715",
        "Su",
        f"Su's grid and Powell: {b_su / a_t:.12f}; continuous: {c_m:.12f}; two peaks ±{worst_m:.5e}",
        round(c_m, 6) == 0.044715 and abs(b_su / a_t - c_m) < 1e-9,
    ),
    (
        "The min–max λ = 1.7017449256 ≈ 1.702",
        "Su",
        f"{lam_m:.10f}; max error {worst_l:.4e} (1.702: {g.gelu_max_error('sigmoid', 1.702):.4e})",
        round(lam_m, 3) == 1.702,
    ),
    (
        "Taylor is accurate only near 0",
        "Su",
        f"max error {worst_t / worst_m:.2f} times the min–max one",
        worst_t > 1.5 * worst_m,
    ),
    (
        "Only min–max gives both constants",
        "this lesson",
        f"least squares: c = {lsq['lsq-uniform']:.7f}, λ = {lsq_lam['lsq-uniform']:.6f} (U[−4, 4]); "
        f"c = {lsq['lsq-normal']:.7f}, λ = {lsq_lam['lsq-normal']:.6f} (N(0, 1))",
        all(round(v, 6) != 0.044715 for v in lsq.values()) and all(round(v, 3) != 1.702 for v in lsq_lam.values()),
    ),
    (
        "The constants approximate GELU",
        "Su (title)",
        f"they fit Φ: the GELU-level min–max c is {c_gelu:.7f}",
        None,
    ),
    (
        "The tanh form comes from the pocket-calculator paper",
        "Su",
        f"the quoted Page constants match the free-a fit (a = {a_f:.4f}, c = {c_f:.5f}); paper not checked",
        None,
    ),
    (
        "Approximating GELU no longer pays (frameworks have erf)",
        "Su",
        ", ".join(
            f"{d}: exact {timings[d, 'none']:.1f} ms, tanh {timings[d, 'tanh']:.1f} ms"
            for d in sorted({d for d, _ in timings})
        ),
        all(timings[d, "none"] <= 1.1 * timings[d, "tanh"] for d, _ in timings),
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **Φ, not GELU.** Both constants minimise the error of $\Phi$; the error of GELU itself is $x$ times it, and its min–max constants are different (step 5).
# * **"Hybrid" fixes $a$.** With $a$ free the min–max error drops by about a fifth, with three equal peaks; the published form keeps the Taylor $a$.
# * **The grid.** Su's grid stops at 4 and is discrete; by symmetry half the line suffices, every peak lies below $x \approx 2.7$, and the continuous optimum agrees with the grid's to about $10^{-11}$.
# * **The attribution** to the pocket-calculator paper is repeated here unchecked.
