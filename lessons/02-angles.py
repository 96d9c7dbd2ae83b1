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
# # 02 · The angle between two random vectors in n dimensions
#
# **The question.** Draw two random vectors in $\mathbb R^n$. What is the distribution of the angle $\theta$ between them, and why are they almost orthogonal when $n$ is large?
#
# **The source.** Su Jianlin, 《n维空间下两个随机向量的夹角分布》 ("The distribution of the angle between two random vectors in n-dimensional space"), Scientific Spaces, [kexue.fm/archives/7076](https://kexue.fm/archives/7076), 2019-11-13. The article derives the density of the angle from the surface element of the sphere, approximates it by a normal law, tabulates $\operatorname{Var}(\theta)$ for seven dimensions, and draws the corollary that two random vectors in high dimension are almost orthogonal. Lesson 03 builds on that corollary.
#
# **You need:** Gaussian vectors, the Gamma and Beta functions, a change of variables in a density, and the normal law; no earlier lesson.
# **You will be able to:** write down the law of the angle between two random vectors in $\mathbb R^n$, sample it at a cost that does not grow with $n$, compute its variance exactly ($\tfrac12\psi'(n/2)$), say where the normal approximation fails, and say how large $n$ must be for "almost orthogonal" to hold at a given tolerance.
#
# Every formula below comes from `theory_lib.angles`, where it is tested against an independent route; every number is computed by a cell.

# %%
import math
import os
import time

import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import angles as ag, default_device
from theory_lib.figures.angles import ARTICLE_VAR, EXERCISES, AngleDistributionFigure, LaplaceFigure, SphereBandFigure
from theory_lib.figures.exercises import claims_table, show_exercises

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
# Fix one direction, the "pole" (the black triangle), and draw random directions in $n$ dimensions. Each dot is one of them, drawn on an ordinary sphere at its angle to the pole (its co-latitude) and at a random longitude. At $n = 3$, where the slider opens, this *is* a uniform random point on the sphere: the dots cover it evenly, and the green band of directions within 10° of the equator, that is within 10° of orthogonal to the pole, holds a small share of them. Raise $n$: in higher dimensions the angle to the pole crowds towards 90°, and the band fills up, although on the drawing it stays the same thin strip. The right panel gives the exact share against $n$. The lesson derives this law of the angle and makes "almost orthogonal" a number.

# %%
sphere = SphereBandFigure()
sphere.widget()

# %%
show_exercises(EXERCISES, sphere)

# %% [markdown]
# ## Step 1 · isotropy: one vector can be fixed
#
# "Random vector" here means a standard Gaussian vector $x \sim N(0, I_n)$. Its density $\propto e^{-\|x\|^2/2}$ depends only on the length, so it is unchanged by every rotation: the *direction* $x/\|x\|$ is uniform on the unit sphere. The angle between $x$ and $y$ depends only on their directions, and rotating both by the same rotation changes nothing. So we may rotate $y$ onto the first axis $e_1$: the angle between two random vectors has the same law as the angle between one random vector and a **fixed** one,
#
# $$\cos\theta = \frac{x_1}{\|x\|}.$$
#
# Check: the quantiles of both angles agree (up to sampling noise of a few $10^{-3}$ radians with $10^5$ samples).

# %%
n, N = 10, 100_000
pairs = ag.sample_angles(n, N, method="vectors", device=device, generator=g, dtype=torch.float64)
x = torch.randn(N, n, generator=g, **f64)
to_e1 = torch.acos(x[:, 0] / x.norm(dim=1))  # angle to the fixed vector e1

q = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95], **f64)
print("quantiles           ", [f"{v:.4f}" for v in q.tolist()])
print("two random vectors  ", [f"{v:.4f}" for v in torch.quantile(pairs, q).tolist()])
print("random vector vs e1 ", [f"{v:.4f}" for v in torch.quantile(to_e1, q).tolist()])

# %% [markdown]
# ## Step 2 · the surface element gives $\sin^{n-2}\theta$
#
# Put the fixed vector at the north pole $e_1$ and measure $\theta$ from it, like a co-latitude. The directions at angle exactly $\theta$ form a "circle of latitude": a sphere of dimension $n-2$ (the unit sphere of the remaining $n-1$ coordinates) scaled by the radius $\sin\theta$. Its area is proportional to $\sin^{n-2}\theta$. In hyperspherical coordinates $x_1 = \cos\varphi_1$, $x_2 = \sin\varphi_1\cos\varphi_2$, …, this is the first factor of the surface element
#
# $$dS = \sin^{n-2}\varphi_1\,\sin^{n-3}\varphi_2\cdots\sin\varphi_{n-2}\;d\varphi_1\cdots d\varphi_{n-1},$$
#
# and integrating out $\varphi_2, \dots, \varphi_{n-1}$ (which do not involve $\theta = \varphi_1$) leaves a constant. So $p_n(\theta) = C_n \sin^{n-2}\theta$.
#
# **The constant.** With $u = \sin^2\theta$ on each half of $[0, \pi]$, Wallis' integral is a Beta function:
#
# $$\int_0^\pi \sin^{n-2}\theta\,d\theta = B\big(\tfrac12, \tfrac{n-1}{2}\big) = \frac{\sqrt\pi\,\Gamma\big(\tfrac{n-1}{2}\big)}{\Gamma\big(\tfrac n2\big)} \quad\Longrightarrow\quad C_n = \frac{\Gamma(n/2)}{\Gamma\big(\tfrac{n-1}{2}\big)\sqrt\pi}.$$
#
# It is also the ratio of two sphere areas, $|S^{n-2}| / |S^{n-1}|$ with $|S^{k-1}| = 2\pi^{k/2}/\Gamma(k/2)$: the circle of latitude at the equator over the whole sphere. For large $n$ the two Gamma functions are huge, so the library works with $\log C_n$ (and a Stirling series once $n \ge 40$).
#
# Check: a fine trapezoid rule for $\int_0^\pi \sin^{n-2}$, the sphere-area ratio, and $1/C_n$ agree.

# %%
theta = torch.linspace(0, math.pi, 400_001, **f64)
log_sphere = lambda k: math.log(2) + (k / 2) * math.log(math.pi) - math.lgamma(k / 2)  # log |S^{k-1}|
print(f"{'n':>6} {'trapezoid of sin^(n-2)':>23} {'1 / C_n':>19} {'C_n':>19} {'|S^(n-2)| / |S^(n-1)|':>22}")
for n in (2, 3, 10, 100, 1000):
    trap = torch.trapezoid(torch.sin(theta) ** (n - 2), theta).item()
    log_c = ag.angle_log_normalizer(n)
    print(
        f"{n:>6} {trap:>23.15f} {math.exp(-log_c):>19.15f} {math.exp(log_c):>19.15f} "
        f"{math.exp(log_sphere(n - 1) - log_sphere(n)):>22.15f}"
    )


# %% [markdown]
# And the density matches the sampled angles. With 40 bins of equal probability under $p_n$, the Pearson statistic $\chi^2 = \sum (O - E)^2/E$ of a correct law has mean $39$ and standard deviation $\sqrt{78} \approx 8.8$:


# %%
def chi_square(samples, n, bins=40):
    # equiprobable bin edges: invert the exact cdf on a fine grid
    grid = torch.linspace(0, math.pi, 20_001, **f64)
    F = ag.angle_cdf(grid, n)
    levels = torch.linspace(0, 1, bins + 1, **f64)[1:-1]
    inner = grid[torch.searchsorted(F, levels)]
    counts = torch.bincount(torch.bucketize(samples, inner), minlength=bins).to(torch.float64)
    expected = samples.numel() / bins
    return ((counts - expected) ** 2 / expected).sum().item()


for n in (2, 3, 10, 100):
    s = ag.sample_angles(n, 50_000, method="vectors", device=device, generator=g, dtype=torch.float64)
    print(f"n = {n:>3}: chi^2 = {chi_square(s, n):5.1f}  (39 +- 8.8 expected)")

# %% [markdown]
# ## Step 3 · two special cases
#
# - $n = 2$: $\sin^0\theta = 1$, so $\theta$ is **uniform** on $[0, \pi]$ (of course: a random direction in the plane).
# - $n = 3$: $p_3(\theta) = \tfrac12\sin\theta$, so $\cos\theta$ is **uniform** on $[-1, 1]$. This is Archimedes' hat-box theorem: a band of the sphere between two parallel planes has area proportional to its height.

# %%
N = 200_000
t2 = ag.sample_angles(2, N, method="vectors", device=device, generator=g, dtype=torch.float64)
t3 = ag.sample_angles(3, N, method="vectors", device=device, generator=g, dtype=torch.float64)


def ks_distance(u):
    # largest gap between the empirical cdf of u (in [0, 1]) and the uniform cdf
    u = torch.sort(u).values
    k = torch.arange(1, u.numel() + 1, **f64) / u.numel()
    return torch.maximum(k - u, u - (k - 1 / u.numel())).abs().max().item()


print(f"n = 2: KS distance of theta/pi from uniform         {ks_distance(t2 / math.pi):.4f}")
print(f"n = 3: KS distance of (1 + cos theta)/2 from uniform {ks_distance((1 + torch.cos(t3)) / 2):.4f}")
print(f"(a correct law gives about {1.36 / math.sqrt(N):.4f} or less, 95% of the time)")

# %% [markdown]
# ## Step 4 · the cosine's law, and a sampler that does not care about $n$
#
# Change variables to $\eta = \cos\theta$: $|d\theta/d\eta| = 1/\sin\theta = (1-\eta^2)^{-1/2}$, so
#
# $$p_n(\eta) = C_n\,(1 - \eta^2)^{\frac{n-3}{2}}, \qquad \eta \in [-1, 1],$$
#
# which says that $\frac{\eta + 1}{2} = \cos^2\frac\theta2$ follows a $\mathrm{Beta}\big(\tfrac{n-1}2, \tfrac{n-1}2\big)$ law. A Beta$(a, a)$ variable is $G_1/(G_1 + G_2)$ for two independent Gamma$(a)$ variables, and $\cos^2\frac\theta2 = \frac{G_1}{G_1+G_2}$ means $\tan\frac\theta2 = \sqrt{G_2/G_1}$:
#
# $$\theta = 2\,\operatorname{atan2}\big(\sqrt{G_2}, \sqrt{G_1}\big).$$
#
# That is `sample_angles(..., method="beta")`: two Gamma draws per pair, whatever $n$, where `method="vectors"` draws $2n$ Gaussian coordinates per pair. (It uses `atan2` rather than `acos`, which loses half its digits near $0$ and $\pi$.)
#
# A side identity: $\sum_i x_i^2/\|x\|^2 = 1$ and all coordinates are alike, so $E[\cos^2\theta] = 1/n$ exactly.
#
# Check: the two samplers agree, and the beta sampler's cost does not grow with $n$ (times on this machine, $10^4$ pairs each; the first call includes some one-off warm-up).

# %%
N = 10_000
print(f"{'n':>6} {'sampler':>8} {'median':>8} {'E cos^2':>9} {'1/n':>9} {'ms':>7}")
for n in (3, 100, 1000):
    for method in ("vectors", "beta"):
        t0 = time.perf_counter()
        s = ag.sample_angles(n, N, method=method, device=device, generator=g, dtype=torch.float64)
        ms = 1e3 * (time.perf_counter() - t0)
        print(
            f"{n:>6} {method:>8} {s.median().item():8.4f} {(torch.cos(s) ** 2).mean().item():9.5f} {1 / n:9.5f} {ms:7.1f}"
        )

# %% [markdown]
# ## Step 5 · the mean is $\pi/2$, and Laplace's normal approximation
#
# $\sin(\pi - \theta) = \sin\theta$, so the law is symmetric about $\pi/2$: the mean angle is a right angle in every dimension. Write $\theta = \frac\pi2 + x$; then $\sin^{n-2}\theta = \cos^{n-2}x = e^{(n-2)\log\cos x}$ and $\log\cos x = -\frac{x^2}{2} - \frac{x^4}{12} - \cdots$. Keeping the first term (Laplace's method):
#
# $$p_n(\theta) \approx \sqrt{\frac{n-2}{2\pi}}\exp\Big(-\frac{n-2}{2}\big(\theta - \tfrac\pi2\big)^2\Big), \qquad \theta \approx N\big(\tfrac\pi2, \tfrac{1}{n-2}\big).$$
#
# The standard deviation is about $1/\sqrt n$ radians: the angle concentrates at $90°$ as $n$ grows. The dropped $-x^4/12$ term makes the true density *narrower* than the normal one, so the normal law overstates the spread.
#
# Check: the largest gap between the exact density and Laplace's, relative to the peak, shrinks roughly like $1/n$.

# %%
print(f"{'n':>6} {'s.d. (deg)':>11} {'max |p - laplace| / max p':>26}")
for n in (3, 10, 100, 1000, 10_000):
    sd = math.sqrt(ag.angle_variance(n))
    th = math.pi / 2 + sd * torch.linspace(-6, 6, 2001, **f64)
    p = ag.angle_pdf(th, n)
    gap = ((p - ag.laplace_pdf(th, n)).abs().max() / p.max()).item()
    print(f"{n:>6} {math.degrees(sd):>11.3f} {gap:>26.2e}")


# %% [markdown]
# The two sides of Laplace's step, drawn together on one axis: in the standardised angle $z = (\theta - \frac\pi2)\sqrt{n-2}$ Laplace's law is the standard normal at every $n$ (red, dashed), and the exact density of $z$ (black) closes in on it as $n$ grows; the shaded area is where they differ.

# %%
laplace = LaplaceFigure()
laplace.widget()

# %%
show_exercises(EXERCISES, laplace)

# %% [markdown]
# ## Step 6 · the variance, exactly (beyond the article)
#
# The article computes $\operatorname{Var}(\theta) = C_n\int_0^\pi (\theta - \frac\pi2)^2 \sin^{n-2}\theta\,d\theta$ numerically. It has a closed form. Let $m = n - 2$, $J_m = \int_{-\pi/2}^{\pi/2}\cos^m x\,dx$ and $I_m = \int_{-\pi/2}^{\pi/2}x^2\cos^m x\,dx$, so $\operatorname{Var}_n = I_m / J_m$. Differentiate $x^2\sin x\cos^{m-1}x$, integrate over $[-\frac\pi2, \frac\pi2]$ (the boundary terms vanish for $m \ge 2$) and use $\int x\sin x\cos^{m-1}x\,dx = J_m/m$ (parts again):
#
# $$m^2 I_m = m(m-1)\,I_{m-2} - 2J_m, \qquad J_m = \tfrac{m-1}{m}J_{m-2} \quad\Longrightarrow\quad \operatorname{Var}_{n} = \operatorname{Var}_{n-2} - \frac{2}{(n-2)^2}.$$
#
# Since $\operatorname{Var}_n \to 0$, the telescope sums to
#
# $$\operatorname{Var}(\theta) = \sum_{j \ge 0}\frac{2}{(n + 2j)^2} = \frac12\sum_{j\ge 0}\frac{1}{(n/2 + j)^2} = \tfrac12\,\psi'\big(\tfrac n2\big),$$
#
# with $\psi'$ the trigamma function; $n = 2$ gives $\pi^2/12$ (uniform on $[0,\pi]$) and $n = 3$ gives $\pi^2/4 - 2$. Its expansion $\frac12\psi'(\frac n2) = \frac1n + \frac1{n^2} + \frac{2}{3n^3} + \cdots$ shows what Laplace's $\frac{1}{n-2} = \frac1n + \frac2{n^2} + \cdots$ gets wrong: the second-order term. $\frac{1}{n-1} = \frac1n + \frac1{n^2} + \frac1{n^3} + \cdots$ is right to second order.
#
# Check: the recursion and the closed forms, against a trapezoid rule.


# %%
def var_by_trapezoid(n, points=400_001):
    th = torch.linspace(0, math.pi, points, **f64)
    return torch.trapezoid((th - math.pi / 2) ** 2 * ag.angle_pdf(th, n), th).item()


print(
    f"Var_2 = {ag.angle_variance(2):.12f}   pi^2/12   = {math.pi**2 / 12:.12f}   trapezoid {var_by_trapezoid(2):.12f}"
)
print(
    f"Var_3 = {ag.angle_variance(3):.12f}   pi^2/4-2  = {math.pi**2 / 4 - 2:.12f}   trapezoid {var_by_trapezoid(3):.12f}"
)
for n in (5, 12, 40):
    lhs = var_by_trapezoid(n) - var_by_trapezoid(n + 2)
    print(f"Var_{n} - Var_{n + 2} = {lhs:.12f}   2/n^2 = {2 / n**2:.12f}")

# %% [markdown]
# ## The article's table, computed live
#
# Each row: the article's value (quoted), the exact $\frac12\psi'(n/2)$, an independent trapezoid rule, a Monte Carlo estimate from $10^5$ beta-sampled pairs with its standard error, and the two simple approximations.

# %%
rows = [
    "| n | article | exact ψ′(n/2)/2 | same digits? | trapezoid | sampled (10⁵ pairs) | Laplace 1/(n−2) | 1/(n−1) |",
    "|---|---|---|---|---|---|---|---|",
]
worst_laplace, worst_nm1, matches = 0.0, 0.0, 0
for n, quoted in ARTICLE_VAR.items():
    exact = ag.angle_variance(n)
    s = ag.sample_angles(n, 100_000, method="beta", device=device, generator=g, dtype=torch.float64)
    dev2 = (s - math.pi / 2) ** 2
    se = (dev2.std() / math.sqrt(dev2.numel())).item()
    worst_laplace = max(worst_laplace, abs(1 / (n - 2) / exact - 1))
    worst_nm1 = max(worst_nm1, abs(1 / (n - 1) / exact - 1))
    same = float(f"{exact:.6g}") == quoted  # the article prints 6 significant digits (0.001001 is 0.00100100)
    matches += same
    rows.append(
        f"| {n} | {quoted} | {exact:.6g} | {'yes' if same else 'NO'} | {var_by_trapezoid(n):.6g} | {dev2.mean().item():.5g} ± {se:.1g} "
        f"| {1 / (n - 2):.6g} | {1 / (n - 1):.6g} |"
    )
display(Markdown("\n".join(rows)))
print(f"the article's table matches the exact variance, rounded to 6 digits, in {matches} of {len(ARTICLE_VAR)} rows")
print(f"largest relative error over the table: Laplace 1/(n-2) {worst_laplace:.1%}, 1/(n-1) {worst_nm1:.1%}")

# %% [markdown]
# The article's table matches the exact variance digit for digit (the count above). Its normal approximation is the loose part: at $n = 3$ it claims a variance of $1$ where the truth is under half of that, and at every $n$ in the table $\frac1{n-1}$ is the better one-line formula (the $n = 1000$ entry, $0.001001$, is $1/999$ to the digits shown, not $1/998$).
#
# ## Step 7 · "almost orthogonal", in numbers
#
# The corollary needs a tolerance: how likely is $|\theta - 90°| < \varepsilon$? Exactly,
#
# $$P\big(|\theta - \tfrac\pi2| < \varepsilon\big) = 2C_n\int_0^{\varepsilon}\cos^{n-2}x\,dx,$$
#
# which `prob_near_orthogonal` integrates by Gauss–Legendre quadrature in log space (it stays exact for $n = 10^6$). Laplace's law gives $\operatorname{erf}\big(\varepsilon\sqrt{(n-2)/2}\big)$.

# %%
ns = [10, 100, 1000, 10_000, 1_000_000]
rows = ["| ε | " + " | ".join(f"n = {n:,}" for n in ns) + " |", "|---" * (len(ns) + 1) + "|"]
for eps_deg in (1, 5, 10):
    eps = math.radians(eps_deg)
    cells = [f"{ag.prob_near_orthogonal(n, eps):.4f} ({math.erf(eps * math.sqrt((n - 2) / 2)):.4f})" for n in ns]
    rows.append(f"| {eps_deg}° | " + " | ".join(cells) + " |")
display(Markdown("exact (Laplace) P(|θ − 90°| < ε)\n\n" + "\n".join(rows)))


def dimension_for(p_target, eps_deg):
    # smallest n with P(|theta - 90 deg| < eps) >= p_target (P grows with n): bisection on integers
    lo, hi = 2, 2
    while ag.prob_near_orthogonal(hi, math.radians(eps_deg)) < p_target:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ag.prob_near_orthogonal(mid, math.radians(eps_deg)) < p_target else (lo, mid)
    return hi


for eps_deg in (1, 5, 10):
    print(f"99% of random pairs lie within {eps_deg:>2} deg of orthogonal from n = {dimension_for(0.99, eps_deg):,}")

# %% [markdown]
# ## See it move
#
# Left: a histogram of sampled angles over the exact density (black) and Laplace's normal (red, dashed; none at $n = 2$, where $1/(n-2)$ is infinite), in a window of about $\pm 4$ standard deviations around $90°$ (the window and the vertical scale change in steps as $n$ moves), with the band $|\theta - 90°| < \varepsilon$ shaded. Middle: how far the one-line formulas are from the exact variance, as the relative error $\text{formula}/\tfrac12\psi'(n/2) - 1$ on log–log axes (drawn as the variances themselves, the three curves would lie on top of each other): Laplace's $1/(n-2)$ is off by about $1/n$, $1/(n-1)$ by about $1/(3n^2)$. The crosses are the article's table, off only by its rounding to six digits; the orange point is the sample's own relative error at the current $n$ with $\pm 2$ standard errors, so you can see below which level sampling can no longer tell a formula from the truth. Right: $P(|\theta - 90°| < \varepsilon)$ against $n$ for the current $\varepsilon$, with the sampled fraction at the current $n$.
#
# The `vectors` sampler draws $2n$ Gaussian coordinates per pair and is capped at a fixed number of coordinates per slider move (`VECTOR_BUDGET` in the figure module), so at large $n$ it draws far fewer pairs than you ask for (the readout says how many); the `beta` sampler draws all of them at any $n$. Samples are cached, so moving $\varepsilon$ costs nothing.

# %%
figure = AngleDistributionFigure()
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
g = torch.Generator(device=device).manual_seed(1)
pairs = ag.sample_angles(10, 100_000, method="beta", device=device, generator=g, dtype=torch.float64)
chi = chi_square(pairs, 10)
digits = sum(float(f"{ag.angle_variance(n):.6g}") == q for n, q in ARTICLE_VAR.items())
laplace3 = (1 / (3 - 2)) / ag.angle_variance(3)
n99 = dimension_for(0.99, 5)
rows = [
    (
        "p_n(θ) = Γ(n/2) / (Γ((n−1)/2) √π) · sin^{n−2} θ",
        "Su",
        f"χ² of 10⁵ sampled angles at n = 10 against it: {chi:.1f} (39 ± 8.8 for a correct law)",
        abs(chi - 39) < 4 * math.sqrt(78),
    ),
    (
        "the table of Var(θ) for n = 3 … 1000",
        "Su",
        f"{digits} of {len(ARTICLE_VAR)} rows equal the exact ψ′(n/2)/2 rounded to 6 digits",
        digits == len(ARTICLE_VAR),
    ),
    (
        "θ ≈ N(π/2, 1/(n−2))",
        "Su",
        f"variance {laplace3:.2f}× too large at n = 3; off by {ag.variance_relative_errors(100)[0]:.1%} at n = 100 "
        f"(1/(n−1): {ag.variance_relative_errors(100)[1]:.1e})",
        None,
    ),
    (
        "two random vectors in high dimension are almost orthogonal",
        "Su",
        f"99% of pairs within 5° of 90° from n = {n99:,}; at n = 100 only "
        f"{ag.prob_near_orthogonal(100, math.radians(5)):.1%}",
        None,
    ),
    (
        "Var(θ) = ψ′(n/2)/2 exactly",
        "this lesson",
        f"n = 3: {ag.angle_variance(3):.12f} vs π²/4 − 2 = {math.pi**2 / 4 - 2:.12f}",
        math.isclose(ag.angle_variance(3), math.pi**2 / 4 - 2, rel_tol=1e-12),
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.** Its density and its table are exact (the table to every digit it prints). Its normal law $N(\frac\pi2, \frac1{n-2})$ is a large-$n$ statement: at $n = 3$ it is more than twice too wide, and at every $n$ the simpler $\frac1{n-1}$ is closer to the truth, because Laplace's step drops the $-x^4/12$ term that sets the second order. "Almost orthogonal" needs a tolerance to mean anything: within 5° with 99% probability takes several hundred dimensions, within 1° many thousands.
