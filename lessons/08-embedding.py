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
# # 08 · How many dimensions a word embedding needs
#
# **The question.** A vocabulary of $N$ words is embedded in $n$ dimensions. How large must $n$ be, and why would the answer grow only like $\log N$?
#
# **The source.** Su Jianlin, 《最小熵原理(六):词向量的维度应该怎么选择?》 ("The minimum entropy principle (6): how should the dimension of word vectors be chosen?"), Scientific Spaces, 2020-08-20, https://kexue.fm/archives/7695; a later post, 《关于维度公式“n > 8.33 log N”的可用性分析》 (https://kexue.fm/archives/8711), collects the evidence for it. Su's claims: $n > 8.33\log N$ with the natural logarithm ("or simply $8\log N$"); $N = 100\,000$ words need about 96 dimensions and $N = 5\,000\,000$ about 128, in line with the sizes people use (64, 100, 128, 256, 300).
#
# **You need:** entropy and relative entropy (KL divergence), expectations as integrals, Laplace's method, and the angle between two random vectors (lesson 02); lesson 03 for why the vectors have norm about $\sqrt n$.
# **You will be able to:** derive Su's rule $n > 8.33\ln N$ from skip-gram's entropy, compute its constant in closed form ($-\tfrac12\log\varphi$), and say what the condition $H < 0$ detects: too few word pairs to reach the alignment that dominates the softmax.
#
# This lesson derives the formula, computes the constant exactly (it is $-\tfrac12\log\varphi$ with $\varphi$ the golden ratio), and shows what the condition "$H < 0$" really detects. Every formula comes from `theory_lib.embedding`, where it is tested against an independent route; every number is computed by a cell.

# %%
import math
import os

import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import default_device, embedding as em
from theory_lib.figures.embedding import (
    EXERCISES,
    DimensionFigure,
    EntropyCoefficientFigure,
    WordsFigure,
    roomy_dimension,
)
from theory_lib.figures.exercises import claims_table, show_exercises

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
gen = lambda seed: torch.Generator(device=device).manual_seed(seed)
ARTICLE = 2 / em.ARTICLE_COEFFICIENT  # the article's 8.33 = 2 / 0.24
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# A thousand words, each a random direction in $n$ dimensions. Stand on one of them, $u$ (the star), and look at the others: each dot is a word, drawn at its angle to $u$ (the left and right halves are the same picture, to spread the dots out). The shaded cap holds the words within about 52° of $u$, those with $\cos\theta > 1/\varphi$ ($\varphi$ the golden ratio); why that angle matters is step 5: these pairs carry the softmax's normaliser. In few dimensions the cap is *crowded*: many of the $N^2$ pairs fall inside. As $n$ grows the words crowd at the equator instead (lesson 02), and the expected number of pairs in the cap (right) falls exponentially: the space becomes *roomy*. Move $n$ and find where the cap empties; the rest of the lesson turns this into Su's rule $n > 8.33\ln N$.

# %%
opening = WordsFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## The claims, computed live
#
# `min_embedding_dim(N, coefficient)` returns the smallest integer $n$ with $\log N^2 + h_n < 0$, where $h_n$ is derived below: with `coefficient=0.24` it uses the article's linear model $h_n = -0.24\,n$, with `"exact"` the exact $h_n$, with `"limit"` the closed-form slope of step 5.

# %%
rows = [
    "| N | the article says | 8.33 ln N | n with 0.24 | n with exact h_n | n with the limit |",
    "|---|---|---|---|---|---|",
]
for N, says in ((100_000, 96), (5_000_000, 128)):
    rows.append(
        f"| {N:,} | about {says} | {ARTICLE * math.log(N):.2f} | {em.min_embedding_dim(N)} | "
        f"{em.min_embedding_dim(N, 'exact')} | {em.min_embedding_dim(N, 'limit')} |"
    )
display(Markdown("\n".join(rows)))

# %% [markdown]
# Both claims hold to within one dimension. For five million words, read strictly, the article's own inequality asks for one more dimension than it quotes; the exact $h_n$ happens to land on the quoted value. The rest of the lesson explains where each column comes from.
#
# ## Step 1 · skip-gram as one distribution over word pairs
#
# Skip-gram scores a (centre, context) pair by the inner product of a centre vector $u_i$ and a context vector $v_j$. Su reads the model as a single distribution over all $N^2$ pairs,
#
# $$p(w_i, w_j) = \frac{e^{\langle u_i, v_j\rangle}}{Z}, \qquad Z = \sum_{i,j} e^{\langle u_i, v_j\rangle},$$
#
# whose entropy is
#
# $$H = -\sum_{i,j} p\log p = \log Z - \sum_{i,j} p(w_i, w_j)\,\langle u_i, v_j\rangle.$$
#
# The minimum entropy principle asks how few nats a model of the language needs; whatever the vectors, a real entropy obeys $0 \le H \le \log N^2$. `pair_entropy(u, v)` computes $H$ exactly, streaming the $N^2$ logits with a running log-sum-exp.

# %%
g = gen(0)
u = 0.5 * torch.randn(300, 16, generator=g, **f64)  # 300 centre vectors in R^16
v = 0.5 * torch.randn(300, 16, generator=g, **f64)  # 300 context vectors
H = em.pair_entropy(u, v)
direct = torch.distributions.Categorical(logits=(u @ v.T).reshape(-1)).entropy().item()
print(
    f"H = {H:.8f} nats (streamed), {direct:.8f} (torch Categorical over all pairs); log N^2 = {2 * math.log(300):.4f}"
)

# %% [markdown]
# ## Step 2 · from a sum over pairs to an expectation
#
# Su's key approximation: write each sum over the $N^2$ pairs as $N^2$ times an average, and the average as an expectation over random vectors,
#
# $$Z = N^2\cdot\frac{1}{N^2}\sum_{i,j} e^{\langle u_i, v_j\rangle} \approx N^2\,\mathbb E\big[e^{\langle u, v\rangle}\big], \qquad
# \sum_{i,j} p\,\langle u_i, v_j\rangle \approx \frac{\mathbb E\big[e^{\langle u, v\rangle}\langle u, v\rangle\big]}{\mathbb E\big[e^{\langle u, v\rangle}\big]}.$$
#
# Then assume the vectors are spread uniformly over the sphere of radius $\sqrt n$ (the norm that an $N(0, 1)$ initialisation gives, lesson 03). Then $\langle u, v\rangle = n\cos\theta$, with $\theta$ the angle between two random directions (lesson 02), and
#
# $$H \approx \log N^2 + h_n, \qquad h_n = \log \mathbb E\big[e^{n\cos\theta}\big] - \frac{\mathbb E\big[e^{n\cos\theta}\, n\cos\theta\big]}{\mathbb E\big[e^{n\cos\theta}\big]}.$$
#
# Everything about the vocabulary is in $\log N^2$; everything about the dimension is in $h_n$. Check: the exact entropy of $N$ random words, minus $\log N^2$, against $h_n$.

# %%
N = 2000
print(f"N = {N} random words on the sphere of radius sqrt(n)")
for n in (2, 4, 8, 16):
    H = em.sampled_entropy(N, n, device=device, generator=gen(n))
    print(f"  n = {n:2d}: exact H - log N^2 = {H - 2 * math.log(N):8.4f}   h_n = {em.entropy_gap(n):8.4f}")

# %% [markdown]
# ## Step 3 · a one-dimensional integral, and a relative entropy
#
# With $\eta = \cos\theta$ the angle law of lesson 02 gives the density $p_n(\eta) = (1-\eta^2)^{(n-3)/2} / B(\tfrac12, \tfrac{n-1}{2})$ on $[-1, 1]$, so both expectations are one-dimensional integrals. Introduce the *tilted* law $q_n(\eta) = p_n(\eta)\,e^{n\eta} / \mathbb E_p[e^{n\eta}]$. Since $\log(q_n/p_n) = n\eta - \log\mathbb E_p[e^{n\eta}]$,
#
# $$h_n = \log \mathbb E_p[e^{n\eta}] - \mathbb E_q[n\eta] = -\,\mathbb E_q\!\left[\log\frac{q_n}{p_n}\right] = -\,\mathrm{KL}(q_n\,\|\,p_n) \;\le\; 0 .$$
#
# So $-h_n$ measures how far the law that dominates $\mathbb E[e^{n\eta}]$ sits from the law of the cosine of a random pair; step 6 uses this.
#
# How `theory_lib` computes it: in $\theta$ the integrand $e^{n\cos\theta}\sin^{n-2}\theta$ peaks where $n\sin^2\theta = (n-2)\cos\theta$ and has width about $1/\sqrt n$; 128 Gauss–Legendre nodes on a window of $\pm16$ widths, with every term taken relative to the peak and summed by log-sum-exp, give $h_n$ to near float64 precision from $n = 2$ to $n = 10^6$ (the tests hold it to `scipy.integrate.quad` up to $n = 10^5$ and to the von Mises–Fisher closed form $\mathbb E[e^{\kappa\cos\theta}] = \Gamma(\tfrac n2)(2/\kappa)^{n/2-1} I_{n/2-1}(\kappa)$, at a relative $10^{-11}$). Three checks by independent routes:

# %%
# n = 3: cos θ is uniform on [-1, 1], so E[e^{3η}] = sinh(3)/3 and E[3η e^{3η}] = cosh(3) - sinh(3)/3
mgf = math.sinh(3) / 3
print(
    f"n = 3: closed form h = {math.log(mgf) - (math.cosh(3) - math.sinh(3) / 3) / mgf:.12f}, "
    f"integral {em.entropy_gap(3):.12f}"
)
# n = 2: θ is uniform on [0, π], so E[e^{2 cos θ}] = I0(2) and E[2 cos θ e^{2 cos θ}] = 2 I1(2)
two = torch.tensor(2.0, **f64)
i0, i1 = torch.special.modified_bessel_i0(two).item(), torch.special.modified_bessel_i1(two).item()
print(f"n = 2: Bessel h = {math.log(i0) - 2 * i1 / i0:.12f}, integral {em.entropy_gap(2):.12f}")
# any n: Monte Carlo over 200 000 pairs of random vectors
for n in (4, 8, 12):
    est, se = em.entropy_gap_mc(n, 200_000, device=device, generator=gen(n))
    h = em.entropy_gap(n)
    print(
        f"n = {n:2d}: Monte Carlo {est:.4f} ± {se:.4f}, integral {h:.4f} "
        f"(difference = {(est - h) / se:+.1f} standard errors)"
    )

# %% [markdown]
# ## Step 4 · $h_n$ is almost exactly linear in $n$
#
# Su evaluated $h_n$ numerically and read off $h_n \approx -0.24\,n$. The exact values, and a least-squares line through $n = 10, \dots, 300$:

# %%
dims = torch.tensor([2, 10, 32, 64, 100, 128, 300, 1000, 10_000, 100_000], device=device)
coef = em.entropy_coefficient(dims)
rows = ["| n | h_n | h_n / n |", "|---|---|---|"]
rows += [f"| {n:,} | {n * c:.4f} | {c:.6f} |" for n, c in zip(dims.tolist(), coef.tolist(), strict=True)]
display(Markdown("\n".join(rows)))
n = torch.arange(10, 301, **f64)
design = torch.stack([n, torch.ones_like(n)], 1)
slope, intercept = torch.linalg.lstsq(design, em.entropy_gap(n)[:, None]).solution.squeeze().tolist()
print(f"least squares over n = 10..300: h_n = {slope:.5f} n {intercept:+.4f}")

# %% [markdown]
# ## Step 5 · the Laplace limit in closed form
#
# Write the integrand with the dimension factored out of the exponent:
#
# $$\mathbb E[e^{n\eta}] = \frac{1}{B(\tfrac12, \tfrac{n-1}{2})}\int_{-1}^{1} \exp\!\Big(n f(\eta) - \tfrac32\log(1-\eta^2)\Big)\,d\eta, \qquad f(\eta) = \eta + \tfrac12\log(1-\eta^2).$$
#
# The normaliser $B(\tfrac12, \tfrac{n-1}2)$ behaves like $n^{-1/2}$, so by Laplace's method $\frac1n\log\mathbb E[e^{n\eta}] \to \max_\eta f(\eta)$. Setting $f'(\eta) = 1 - \eta/(1-\eta^2) = 0$:
#
# $$\eta^2 + \eta - 1 = 0 \quad\Longrightarrow\quad \eta^* = \frac{\sqrt5 - 1}{2} = \frac1\varphi, \qquad \varphi = \frac{1+\sqrt5}{2}\ \text{(the golden ratio)}.$$
#
# The tilted law $q_n$ concentrates at the same point, so $\mathbb E_q[n\eta]/n \to \eta^*$, and
#
# $$\frac{h_n}{n} \;\longrightarrow\; f(\eta^*) - \eta^* = \tfrac12\log(1-\eta^{*2}) = \tfrac12\log\eta^* = -\tfrac12\log\varphi,$$
#
# using $1 - \eta^{*2} = \eta^*$, which is the defining equation again. This is the article's $-0.24$ in closed form. In words: the expectation $\mathbb E[e^{n\cos\theta}]$ is carried by pairs at the angle $\arccos(1/\varphi)$, and $h_n$ is, to leading order, the log-probability that a random pair makes that angle.
#
# **The next term.** One order further, $h_n = -\tfrac n2\log\varphi + d + O(1/n)$ with
#
# $$d = \log\varphi - \tfrac14\log 5 + \tfrac{1}{\sqrt5} - \tfrac35 .$$
#
# Sketch: in $\theta$ the peak of $n\cos\theta + (n-2)\log\sin\theta$ sits at $\cos\theta = \eta^*_n$, the root of $n(1-\eta^2) = (n-2)\eta$, with curvature $-n(\eta^*_n + 1/\eta^*_n) \to -\sqrt5\,n$. The Gaussian factor $\sqrt{2\pi/(\sqrt5 n)}$ against the normaliser $\sqrt\pi\,\Gamma(\tfrac{n-1}2)/\Gamma(\tfrac n2)$ leaves $-\tfrac14\log5$; the peak value $\tfrac{n-2}{2}\log(1-\eta^{*2}_n)$, expanded in $1/n$, gives $-\tfrac n2\log\varphi + \log\varphi - 1 + \tfrac1{\sqrt5}$; and the skewness of $q_n$ moves its mean to $\eta^*_n - \tfrac{2}{5n}$, which adds $\tfrac25$. The check:

# %%
c, d = em.entropy_coefficient_limit(), em.entropy_gap_offset()
phi = (1 + math.sqrt(5)) / 2
print(f"eta* = 1/phi = {1 / phi:.8f};  c = -(1/2) log phi = {c:.8f}  (the article: -0.24)")
print(f"d = log phi - log(5)/4 + 1/sqrt(5) - 3/5 = {d:.8f}")
for n in (100, 1000, 10_000, 100_000):
    h = em.entropy_gap(n)
    print(
        f"n = {n:>7,}: h_n/n - c = {h / n - c:+.3e}   h_n - c n = {h - c * n:+.8f}   "
        f"n (h_n - c n - d) = {n * (h - c * n - d):+.4f}"
    )
print(f"the rule becomes n > (2/|c|) ln N = {2 / -c:.4f} ln N, against the article's 2/0.24 = {ARTICLE:.4f}")

# %% [markdown]
# The last column settles near a constant: the error of the two-term expansion falls like $1/n$, as the expansion says.
#
# ## Step 6 · why $H < 0$ means "room to spare"
#
# An entropy cannot be negative, yet $\log N^2 + h_n < 0$ as soon as $n$ is large enough. Su's own reading: the derivation mixed a sampling approximation with exact integration, and "when $n$ is large enough, even hundreds of thousands of samples may fail to estimate some statistics"; once $N$ samples can no longer estimate them, the $n$-dimensional space holds the $N$ words with room to spare. The KL form of step 3 makes this precise.
#
# * The true entropy of the finite vocabulary is the same expression with the $N^2$ actual pairs as the samples: with the weights $w_{ij} = p(w_i, w_j)$, $\;H = \log N^2 - \mathrm{KL}(w\,\|\,\text{uniform on the } N^2 \text{ pairs}) \in [0, \log N^2]$.
# * The approximation replaces it by $\log N^2 - \mathrm{KL}(q_n\,\|\,p_n)$.
# * Estimating an expectation under $q$ from samples of $p$ takes about $e^{\mathrm{KL}(q\|p)}$ samples (Chatterjee and Diaconis, *The sample size required in importance sampling*, 2018). The $N^2$ pairs are such samples, and nearly independent ones: given $u$, $\mathbb E_v[e^{\langle u, v\rangle}]$ does not depend on $u$.
#
# So $\log N^2 + h_n < 0$ exactly when $N^2 < e^{\mathrm{KL}(q_n\|p_n)}$: there are too few pairs for even one to be expected where $q_n$ lives, at cosines near $1/\varphi$, while random pairs have cosines of order $\pm1/\sqrt n$. Read the other way: in $n$ dimensions, $N$ random words can sit with no pair anywhere near the alignment that would dominate the softmax. Below, the exact entropy of $N = 1000$ random words against the approximation:

# %%
N = 1000
rows = ["| n | log N² + h_n (approximation) | exact entropy of N random words |", "|---|---|---|"]
for n in (8, 16, 32, 48, 64, 96, 128):
    H = em.sampled_entropy(N, n, device=device, generator=gen(n))
    rows.append(f"| {n} | {2 * math.log(N) + em.entropy_gap(n):.3f} | {H:.3f} |")
display(Markdown("\n".join(rows)))
print(
    f"log N^2 = {2 * math.log(N):.3f}; the approximation first goes below 0 at n = {em.min_embedding_dim(N, 'exact')}"
)

# %% [markdown]
# The exact entropy never goes below 0. It follows the approximation while the pairs still sample $q_n$, and peels away before the approximation crosses 0: the criterion marks where the sampling picture has already broken down.
#
# ## The bound, and the first figure
#
# Putting $h_n \approx -0.24\,n$ into $\log N^2 + h_n < 0$ gives $n > (2/0.24)\ln N = 8.33\ln N$; the exact $h_n$ and the limit of step 5 give the other two columns of the opening table. In the figure, the left panel draws the three bounds against the vocabulary size (they nearly coincide), the same "8.33 log N" read with $\log_2$ and with $\log_{10}$ (all three readings stay drawn; the one chosen in `log in 8.33·log N` is drawn thick and gets a line in the readout), and the Johnson–Lindenstrauss dimension for a distortion $\varepsilon$ (see below); the dotted lines are the common sizes 64, 100, 128, 256, 300. The right panel draws $\log N^2 + h_n$ against $n$ for the chosen $N$, with the article's straight line under it; it crosses 0 at the exact bound. The readout gives the integers.

# %%
dimension_figure = DimensionFigure()
dimension_figure.widget()

# %%
show_exercises(EXERCISES, dimension_figure)

# %% [markdown]
# ## The second figure · integral, Monte Carlo, and the two laws
#
# Both panels use random pairs, and a pair enters only through its cosine. That cosine has a one-dimensional law: rotate $v$ onto the first axis, then $\cos\theta = u_1/\|u\| = Z/\sqrt{Z^2 + C}$ with $Z \sim N(0, 1)$ and $C \sim \chi^2_{n-1}$ independent. So the figure draws every one of the $S$ pairs it is asked for, at any $n$, in $O(S)$ work (`sample_cosines(n, S, method="law")`), instead of $2nS$ Gaussian coordinates ($2 \times 10^{10}$ at $n = 10^5$, $S = 10^5$). Check, against whole vectors:

# %%
for n in (3, 64, 1000):
    laws = {m: em.sample_cosines(n, 100_000, device=device, generator=gen(n), method=m) for m in ("vectors", "law")}
    print(
        f"n = {n:4d}: E[eta^2] * n = "
        + ", ".join(f"{m} {(e**2).mean().item() * n:.4f}" for m, e in laws.items())
        + "  (exact 1);  E[eta^4] n(n+2)/3 = "
        + ", ".join(f"{m} {(e**4).mean().item() * n * (n + 2) / 3:.4f}" for m, e in laws.items())
        + "  (exact 1)"
    )

# %% [markdown]
# Left: $h_n/n$ from the integral (blue) approaching the limit $-\tfrac12\log\varphi$ (orange) at the rate of the two-term expansion $c + d/n$. Red dots: a Monte Carlo estimate from $S$ random pairs at each of a fixed set of dimensions, with two standard errors. The red diamond: the same estimate at the chosen $n$, from the very pairs in the histogram on the right; the readout says whether it lies within two standard errors of the integral. The Monte Carlo estimate equals $-\mathrm{KL}(\text{weights}\,\|\,\text{uniform over the } S \text{ samples})$, so it can never go below $-\log S$: the grey floor $-\log S / n$, the same bound that keeps the finite-vocabulary entropy above 0 (with $S = N^2$). Watch the red points leave the blue curve while their error bars stay small.
#
# Right: for the chosen $n$, the law $p_n$ of the cosine of a random pair (blue; grey: the histogram of all $S$ sampled pairs, and a rug of the first 200) and the tilted law $q_n$ that the expectation needs (red, dashed), each scaled to its largest value (for $n = 2$, where both grow without bound at $\pm1$, to the largest value in $|\eta| \le 0.9$). The bins are a quarter of the spread $1/\sqrt n$ wide (at most 0.025), so the histogram resolves the spike of $p_n$ at every $n$; at small $S$ they are wider, so that the peak bin still holds about 40 pairs. The readout gives $-h_n = \mathrm{KL}(q_n\|p_n)$, the number of samples it implies, and compares $\log S$ with it.

# %%
coefficient_figure = EntropyCoefficientFigure()
coefficient_figure.widget()

# %%
show_exercises(EXERCISES, coefficient_figure)

# %% [markdown]
# ## Beyond the article · the base of the logarithm
#
# $h_n$ is in nats, so the rule needs the natural logarithm; Su says so in the article and again in later posts. Measuring entropy in bits changes nothing as long as both terms are converted ($\log_2 N^2 + h_n/\ln 2 < 0$ is the same condition). Only mixing the units goes wrong: "8.33 log N" read with $\log_2$ or $\log_{10}$ gives

# %%
rows = ["| N | 8.33 ln N (right) | 8.33 log₂ N | 8.33 log₁₀ N | exact bound |", "|---|---|---|---|---|"]
for N in (10_000, 100_000, 5_000_000):
    rows.append(
        f"| {N:,} | {ARTICLE * math.log(N):.1f} | {ARTICLE * math.log2(N):.1f} | "
        f"{ARTICLE * math.log10(N):.1f} | {em.min_embedding_dim(N, 'exact')} |"
    )
display(Markdown("\n".join(rows)))
print(f"log2 overstates by the factor 1/ln 2 = {1 / math.log(2):.3f}; log10 understates by ln 10 = {math.log(10):.3f}")

# %% [markdown]
# ## Beyond the article · the Johnson–Lindenstrauss dimension
#
# Su later tied the formula to the Johnson–Lindenstrauss lemma (《让人惊叹的Johnson-Lindenstrauss引理:应用篇》, https://kexue.fm/archives/8706, and the follow-up https://kexue.fm/archives/8711): $N$ points fit into $O(\log N)$ dimensions with every pairwise squared distance kept within a factor $1 \pm \varepsilon$; with the Dasgupta–Gupta constant, a random projection to $k \ge 4\ln N / (\varepsilon^2/2 - \varepsilon^3/3)$ dimensions does it. The same $\log N$, but a much stronger promise (every distance kept, not just room for a softmax), and so a much larger constant unless $\varepsilon$ is close to 1:

# %%
rows = ["| ε | JL constant 4/(ε²/2 − ε³/3) | k for N = 100 000 | k for N = 5 000 000 |", "|---|---|---|---|"]
for eps in (0.1, 0.3, 0.5, 0.9):
    rows.append(
        f"| {eps} | {4 / (eps**2 / 2 - eps**3 / 3):.1f} | {em.jl_dimension(100_000, eps):,} | "
        f"{em.jl_dimension(5_000_000, eps):,} |"
    )
display(Markdown("\n".join(rows)))
# check: a Gaussian random projection of 300 points to the JL dimension keeps every distance
g, M, eps = gen(7), 300, 0.5
pts = torch.randn(M, 2000, generator=g, **f64)
k = em.jl_dimension(M, eps)
proj = pts @ torch.randn(2000, k, generator=g, **f64) / math.sqrt(k)
i, j = torch.triu_indices(M, M, 1, device=device)
ratio = torch.cdist(proj, proj)[i, j] ** 2 / torch.cdist(pts, pts)[i, j] ** 2
print(
    f"k = {k}: the {ratio.numel():,} squared-distance ratios lie in [{ratio.min():.3f}, {ratio.max():.3f}], "
    f"inside [1 - ε, 1 + ε] = [{1 - eps}, {1 + eps}]"
)

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
c = em.entropy_coefficient_limit()
n96, n96_exact = em.min_embedding_dim(100_000), em.min_embedding_dim(100_000, "exact")
n128, n128_exact = em.min_embedding_dim(5_000_000), em.min_embedding_dim(5_000_000, "exact")
N_check, n_check = 1000, em.min_embedding_dim(1000, "exact") + 10
approx = 2 * math.log(N_check) + em.entropy_gap(n_check)
exact_H = em.sampled_entropy(N_check, n_check, device=device, generator=gen(n_check))
rows = [
    (
        "N = 100 000 words need about 96 dimensions",
        "Su",
        f"8.33 ln N = {ARTICLE * math.log(100_000):.2f} → n ≥ {n96}; exact h_n → {n96_exact}",
        abs(n96 - 96) <= 1 and abs(n96_exact - 96) <= 1,
    ),
    (
        "N = 5 000 000 words need about 128",
        "Su",
        f"8.33 ln N = {ARTICLE * math.log(5_000_000):.2f} → n ≥ {n128} by the article's own rule; exact h_n → {n128_exact}",
        True if n128 == 128 else (None if abs(n128 - 128) <= 1 else False),
    ),
    (
        "h_n ≈ −0.24 n",
        "Su (numerical)",
        f"h_n/n → −½ log φ = {c:.5f}; least squares over n = 10..300: slope {slope:.5f}",
        abs(c + 0.24) < 0.005,
    ),
    (
        "n > 8.33 ln N, natural log",
        "Su",
        f"with the exact constant: n > {2 / -c:.3f} ln N; with log₂ the rule would ask {1 / math.log(2):.3f} times more",
        abs(2 / -c - ARTICLE) < 0.05,
    ),
    (
        "H < 0 means n dimensions hold the N words with room to spare",
        "Su's reading",
        f"N = {N_check}, n = {n_check}: log N² + h_n = {approx:.2f} < 0, the exact entropy is {exact_H:.2f} ≥ 0; "
        f"the cap of the opening picture empties (fewer than one pair expected) at n = {roomy_dimension()}",
        None if approx < 0 <= exact_H else False,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **The constant.** $0.24$ is a rounded reading of $\tfrac12\log\varphi$, so $8.33$ should be $2/\tfrac12\log\varphi$; the difference is below one dimension for any realistic vocabulary (first table).
# * **"About 128".** By the article's own constant, five million words need one dimension more than quoted; the exact $h_n$ gives the quoted number.
# * **What $H < 0$ detects.** Once negative, $\log N^2 + h_n$ is not the entropy of anything: it is the sampling approximation failing (step 6). The threshold is a heuristic for "the $N^2$ pairs no longer reach the configuration that dominates the expectation", not a theorem about what a trained embedding can represent.
# * **The model of the vectors.** Uniform directions and a common norm $\sqrt n$ are assumptions; trained embeddings are neither isotropic nor of equal norm. The radius matters: with $\langle u, v\rangle = r^2\cos\theta$ the same computation gives another constant, and $r = \sqrt n$ is the scale that an $N(0,1)$ initialisation sets.
