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
# # 10 · Performer: softmax attention made linear by random features
#
# **The question.** Linear attention (lesson 09) replaces $e^{q\cdot k}$ by some $\phi(q)\cdot\phi(k)$ and changes the model. Can the softmax's own kernel $e^{q\cdot k}$ be written as a dot product, so that the attention we already have becomes linear in the sequence length?
#
# **The source.** Su Jianlin, 《Performer：用随机投影将Attention的复杂度线性化》 ("Performer: linearising attention's complexity with random projections"), Scientific Spaces, 2020-12-01, https://kexue.fm/archives/7921, on Choromanski et al., *Rethinking Attention with Performers* (arXiv 2009.14794). Su's claims: $e^{q\cdot k}$ is exactly an average of positive random features; the number of features $m$ must exceed $d$, "usually several times $d$"; orthogonal features help; Performer pays off clearly only beyond sequences of about 5000; it cannot reuse a trained Transformer's weights as they are.
#
# **You need:** Gaussian integrals and completing the square, expectation and variance of a sample mean, the softmax attention form (lesson 09 for linear attention, lesson 01 for the softmax).
# **You will be able to:** derive positive and trigonometric random features for $e^{q\cdot k}$, compute the variance of each in closed form and say where each fails, count Performer's cost against softmax attention, and test Su's quantile-radius idea (it is biased).
#
# Every formula comes from `theory_lib.performer`, where it is tested against an independent route (quadrature, Monte Carlo with tolerances from the sample size, scipy, a double loop); every number is computed by a cell.

# %%
import math
import os
import time

import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import default_device, performer as pf
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.performer import (
    EXERCISES,
    AttentionMatrixFigure,
    RadiiFigure,
    RunningMeanFigure,
    VarianceFigure,
)
from theory_lib.figures.performer.matrix import errors

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
gen = lambda seed: torch.Generator(device=device).manual_seed(seed)
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# One query $q$ and one key $k$, each of length 1, at 120° to each other, so $e^{q\cdot k} = e^{-1/2}$. Draw a random Gaussian vector $\omega$, compute one number from $q$ and one from $k$, multiply them: that product is a random estimate of $e^{q\cdot k}$. Average $m$ of them. Left: the running averages of three runs of each kind (blue: the positive features Performer uses; orange: the trigonometric features of the general recipe), the dashed line the exact value, and at the slider's $m$ the estimates of 300 independent runs as a strip. Right: how far off those runs are, against $m$. Move $m$: the estimates close in on $e^{q\cdot k}$, slowly.

# %%
opening = RunningMeanFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · attention as a kernel, and why a dot product makes it linear
#
# Softmax attention, row by row, is a weighted average of the values with the weights $\mathrm{sim}(q_i, k_j) = e^{q_i\cdot k_j}$ (Su's convention: no $1/\sqrt d$ unless the inputs carry it):
#
# $$\mathrm{Attention}(Q,K,V)_i = \frac{\sum_j e^{q_i\cdot k_j} v_j}{\sum_j e^{q_i\cdot k_j}}.$$
#
# If $e^{q\cdot k} \approx \phi(q)\cdot\phi(k)$ with $\phi: \mathbb R^d \to \mathbb R^m$, the sums re-associate: $\sum_j (\phi(q_i)\cdot\phi(k_j))\, v_j = \phi(q_i)^\top \big(\sum_j \phi(k_j) v_j^\top\big)$, and the $m\times d_v$ matrix in the bracket is shared by every query. So
#
# $$\mathrm{Attention}(Q,K,V) \approx \frac{\phi(Q)\,\big(\phi(K)^\top V\big)}{\phi(Q)\,\big(\phi(K)^\top \mathbf 1\big)},$$
#
# which never forms the $n\times n$ matrix. `performer_attention` computes exactly this. Check, with many features, against softmax attention:

# %%
g = gen(0)
q, k, v = (0.25 * torch.randn(128, 16, generator=g, **f64) for _ in range(3))  # |q|, |k| ≈ 1
softmax_out = torch.softmax(q @ k.T, dim=-1) @ v
for m in (16, 256, 4096, 16_384):
    omega = pf.sample_omega(m, 16, "orthogonal", device=device, generator=g, dtype=torch.float64)
    err = (pf.performer_attention(q, k, v, omega) - softmax_out).abs().max().item()
    print(f"m = {m:6,}: largest difference from softmax attention = {err:.2e}")

# %% [markdown]
# The error shrinks like $1/\sqrt m$, the signature of a Monte Carlo average. Where the features come from is the next step.
#
# ## Step 2 · $e^{q\cdot k}$ as a Gaussian expectation
#
# The identity at the heart of Performer: for $\omega \sim \mathcal N(0, I_d)$,
#
# $$e^{q\cdot k} = \mathbb E_\omega\Big[e^{\omega\cdot q - \|q\|^2/2}\; e^{\omega\cdot k - \|k\|^2/2}\Big].$$
#
# Proof by completing the square: the integrand times the Gaussian density is
#
# $$\frac{1}{(2\pi)^{d/2}} e^{-\|\omega\|^2/2 + \omega\cdot(q+k) - \|q\|^2/2 - \|k\|^2/2} = \frac{1}{(2\pi)^{d/2}} e^{-\|\omega - q - k\|^2/2}\; e^{q\cdot k},$$
#
# since $\|q+k\|^2/2 - \|q\|^2/2 - \|k\|^2/2 = q\cdot k$; the remaining Gaussian integrates to 1. So with $m$ independent draws $\omega_1,\dots,\omega_m$,
#
# $$e^{q\cdot k} \approx \phi(q)\cdot\phi(k), \qquad \phi(x) = \frac{1}{\sqrt m}\Big(e^{\omega_1\cdot x - \|x\|^2/2}, \dots, e^{\omega_m\cdot x - \|x\|^2/2}\Big),$$
#
# and every feature is positive, so every estimated attention weight is positive too. Check in one dimension by Gauss–Hermite quadrature ($q = 0.7$, $k = -0.4$), and in $d = 3$ by Monte Carlo:

# %%
nodes, weights = np.polynomial.hermite_e.hermegauss(80)  # ∫ f(x) e^{-x²/2} dx
weights = weights / math.sqrt(2 * math.pi)
q1, k1 = 0.7, -0.4
quad = np.sum(weights * np.exp(nodes * q1 - q1**2 / 2) * np.exp(nodes * k1 - k1**2 / 2))
print(f"quadrature {quad:.16f}\ne^(q·k)    {math.exp(q1 * k1):.16f}")
q3 = torch.tensor([[0.6, 0.0, 0.2]], **f64)
k3 = torch.tensor([[0.3, 0.4, -0.5]], **f64)
omega = pf.sample_omega(1_000_000, 3, device=device, generator=gen(1), dtype=torch.float64)
est = pf.feature_kernel(q3, k3, omega).item()
se = math.sqrt(pf.positive_feature_variance(q3[0], k3[0], 1_000_000).item())
print(f"d = 3, m = 10^6 features: {est:.5f} ± {se:.5f}, e^(q·k) = {math.exp((q3 @ k3.T).item()):.5f}")

# %% [markdown]
# ## Step 3 · how one would find it: Su's Fourier recipe, and the trigonometric features
#
# Su shows how such features are found in general. Multiply and divide the kernel by $\beta(q)\gamma(k)$, chosen so that what remains is a function of $q - k$, and Fourier-transform it. For $e^{q\cdot k}$ the choice $\beta(x)=\gamma(x)=e^{-\|x\|^2/2}$ gives
#
# $$e^{q\cdot k} = e^{\|q\|^2/2 + \|k\|^2/2}\, e^{-\|q-k\|^2/2} = \frac{e^{\|q\|^2/2+\|k\|^2/2}}{(2\pi)^{d/2}}\int e^{-\|\omega\|^2/2 + i\omega\cdot(q-k)}\,d\omega,$$
#
# the Gaussian being its own Fourier transform. Keeping the real part, $e^{q\cdot k} = e^{\|q\|^2/2+\|k\|^2/2}\,\mathbb E_\omega[\cos\omega\cdot(q-k)]$, and $\cos(a-b) = \cos a\cos b + \sin a\sin b$ gives the **trigonometric features**
#
# $$\phi(x) = \frac{e^{\|x\|^2/2}}{\sqrt m}\big(\cos\omega_1\cdot x, \dots, \cos\omega_m\cdot x, \sin\omega_1\cdot x, \dots, \sin\omega_m\cdot x\big).$$
#
# They can be negative, so an estimated attention weight can be negative (the article clips them). Su then substitutes $q \to -iq$, $k \to ik$: then $q\cdot k$ is unchanged, $\|q\|^2 \to -\|q\|^2$, $\|k\|^2 \to -\|k\|^2$ and $i\omega\cdot(q - k) \to \omega\cdot(q + k)$, which is the positive form of step 2. The article does not say why a substitution by imaginary vectors is allowed. It is: both sides are entire functions of the components of $q$ and $k$ (the integral converges for every complex $q, k$, uniformly on compact sets), and two entire functions that agree on all real arguments agree everywhere. So the identity holds at $-iq, ik$ too: an **identity of entire functions**. Check, in one dimension, by evaluating the trigonometric side at complex arguments with the same quadrature:

# %%
trig = math.exp((q1**2 + k1**2) / 2) * np.sum(weights * np.cos(nodes * (q1 - k1)))
qc, kc = -1j * q1, 1j * k1  # the substitution; q·k = q1 k1 is unchanged
continued = np.exp((qc**2 + kc**2) / 2) * np.sum(weights * np.exp(1j * nodes * (qc - kc)))
positive = np.exp(-(q1**2 + k1**2) / 2) * np.sum(weights * np.exp(nodes * (q1 + k1)))
print(f"trigonometric form at real q, k:   {trig:.16f}")
print(f"the same form at -iq, ik:          {continued.real:.16f} {continued.imag:+.1e}i")
print(
    f"the positive form:                 {positive:.16f}\ne^(q·k):                           {math.exp(q1 * k1):.16f}"
)

# %% [markdown]
# ## Step 4 · the two variances, and where each kind fails
#
# Both estimators are unbiased; they differ in variance. For one feature (divide by $m$ for $m$ independent ones), with $\omega \sim \mathcal N(0, I_d)$:
#
# * positive: $\mathbb E[e^{2\omega\cdot(q+k) - \|q\|^2 - \|k\|^2}] = e^{2\|q+k\|^2 - \|q\|^2 - \|k\|^2}$, so $\mathrm{Var}_+ = e^{2q\cdot k}\big(e^{\|q+k\|^2} - 1\big)$;
# * trigonometric: $\mathbb E[\cos^2\omega\cdot t] = \tfrac12(1 + e^{-2\|t\|^2})$ with $t = q - k$, so $\mathrm{Var}_{\mathrm{trig}} = \tfrac12 e^{\|q\|^2+\|k\|^2}\big(1 - e^{-\|q-k\|^2}\big)^2$.
#
# Relative to the kernel: $\mathrm{RMS}_+/e^{q\cdot k} = \sqrt{(e^{\|q+k\|^2}-1)/m}$. Positive features are exact at $q = -k$ and worst at $q = k$; trigonometric features the reverse. Attention weights are mostly *small* entries ($q\cdot k$ negative), where the trigonometric products must cancel almost exactly and the positive ones do not. Check both formulas by Monte Carlo, then four cases side by side:

# %%
for name, var in (("positive", pf.positive_feature_variance), ("trig", pf.trig_feature_variance)):
    x = pf.feature_kernel(q3[None], k3[None], omega[:, None, :], name).reshape(-1)  # 10^6 one-feature estimates
    dev2 = (x - math.exp((q3 @ k3.T).item())) ** 2
    print(
        f"{name:8s}: Monte Carlo variance {dev2.mean().item():.5f} ± {dev2.std().item() / 1000:.5f}, "
        f"closed form {var(q3[0], k3[0]).item():.5f}"
    )
e1, e2 = torch.tensor([1.0, 0.0], **f64), torch.tensor([0.0, 1.0], **f64)
rows = ["| q, k | e^(q·k) | Var₊ | Var_trig | relative RMS ₊ / trig |", "|---|---|---|---|---|"]
for label, a, b in (("e₁, e₁", e1, e1), ("e₁, e₂", e1, e2), ("e₁, −e₁", e1, -e1), ("e₁/2, −e₁/2", e1 / 2, -e1 / 2)):
    rows.append(
        f"| {label} | {math.exp((a @ b).item()):.6f} | {pf.positive_feature_variance(a, b).item():.6f} | "
        f"{pf.trig_feature_variance(a, b).item():.6f} | {pf.relative_rms(a, b).item():.3g} / "
        f"{pf.relative_rms(a, b, features='trig').item():.3g} |"
    )
display(Markdown("\n".join(rows)))

# %% [markdown]
# How many features for a 10% relative error on one entry? $m \ge (e^{\|q+k\|^2} - 1)/0.1^2$. The driver is $\|q+k\|^2$, not $d$:

# %%
unit = lambda deg: torch.tensor([round(math.cos(math.radians(deg)), 15), round(math.sin(math.radians(deg)), 15)], **f64)
for r, deg in ((1.0, 0), (1.0, 90), (1.0, 180), (math.sqrt(8), 90)):
    need = pf.relative_rms(r * unit(0), r * unit(deg)).item() ** 2 / 0.01
    print(f"|q| = |k| = {r:.3f}, angle {deg:3d}°: m ≥ {need:.3g} positive features for 10%")

# %% [markdown]
# The last line is a head of $d = 64$ after the usual $d^{-1/4}$ scaling of $q$ and $k$ (so that $q\cdot k$ carries the $1/\sqrt d$): typical lengths $\sqrt 8$. For a single typical entry the requirement is astronomical; what saves Performer in practice is that the attention *matrix* is normalised row by row and dominated by its large entries (the synthesis below).
#
# The figure: the relative RMS error of both kinds against the angle between $q$ and $k$ (log scale), for the lengths and $m$ on the sliders; circles are Monte Carlo, the spread of 4000 single-feature estimates divided by $\sqrt m$. Where $\|q+k\|$ is large the circles of the positive kind fall *below* the line: its products are lognormal, and 4000 samples rarely see the tail that carries the variance. The right panel: the error against $m$ at the chosen angle, and the 10% line.

# %%
variance_figure = VarianceFigure()
variance_figure.widget()

# %%
show_exercises(EXERCISES, variance_figure)

# %% [markdown]
# ## Step 5 · orthogonal features
#
# The paper (and Su) make the $\omega_i$ orthogonal: draw them, keep their lengths, and Gram–Schmidt their directions. At most $d$ vectors can be orthogonal in $\mathbb R^d$, so for $m > d$ one uses independent blocks of $d$. `sample_omega(m, d, "orthogonal")` does this: Haar-random orthonormal directions (the QR of a Gaussian matrix, signs fixed), lengths independent $\chi_d$ draws; every row is still exactly $\mathcal N(0, I_d)$, so the estimate stays unbiased, and only the correlations between features change. Measured on one case ($q = 0.6e_1$, $k = 0.3e_1 + 0.4e_2$, $d = 16$), the mean squared error of $\phi(q)\cdot\phi(k)$ over 4000 draws:

# %%
d = 16
qo = torch.zeros(d, **f64)
ko = torch.zeros(d, **f64)
qo[0], ko[0], ko[1] = 0.6, 0.3, 0.4
target = math.exp((qo @ ko).item())
mse = {}
for m in (4, 16, 64):
    se = {}
    for kind in ("iid", "orthogonal"):
        om = pf.sample_omega(m, d, kind, draws=4000, device=device, generator=gen(m), dtype=torch.float64)
        sq = (pf.feature_kernel(qo[None, None], ko[None, None], om).reshape(-1) - target) ** 2
        mse[m, kind], se[kind] = sq.mean().item(), sq.std().item() / math.sqrt(sq.numel())
    ratio = mse[m, "orthogonal"] / mse[m, "iid"]
    ratio_se = ratio * math.hypot(se["iid"] / mse[m, "iid"], se["orthogonal"] / mse[m, "orthogonal"])
    print(
        f"m = {m:2d} ({m / d:.2g}·d): iid {mse[m, 'iid']:.5f} (closed form {pf.positive_feature_variance(qo, ko, m).item():.5f}), "
        f"orthogonal {mse[m, 'orthogonal']:.5f}; ratio {ratio:.3f} ± {ratio_se:.3f}"
    )

# %% [markdown]
# Read the ratios with their standard errors: at $m = d$ and $m = 4d$ orthogonal features lower the error by several standard errors; at $m = d/4$ a block holds only 4 orthogonal directions and the gain, if any, is within the noise. The blocks beyond $d$ are independent, so the gain of one block carries over to the average of several. The article's "it helps for $m \le d$; for $m > d$ use blocks" is right, but the gain does not vanish beyond $d$.
#
# ## Step 6 · Su's quantile radii
#
# Su pushes the idea further: if the directions can be made regular, why not the lengths too? A Gaussian $\omega$ in $\mathbb R^d$ has length $r$ with the $\chi_d$ density $\propto r^{d-1}e^{-r^2/2}$, so Su proposes the deterministic radii $R_i$ with $P_d(r \le R_i) = i/(m+1)$, $i = 1, \dots, m$: the $\chi_d$ quantiles. `quantile_radii(d, m)` inverts the regularised incomplete gamma function, $P_d(r\le R) = P(d/2, R^2/2)$:

# %%
print("d = 2,  m = 3:", [f"{r:.4f}" for r in pf.quantile_radii(2, 3).tolist()])
print("closed form √(−2 ln(1 − i/4)):", [f"{math.sqrt(-2 * math.log(1 - i / 4)):.4f}" for i in (1, 2, 3)])
print("d = 64, m = 4:", [f"{r:.4f}" for r in pf.quantile_radii(64, 4).tolist()])
print(f"E|ω| for d = 64: {math.sqrt(2) * math.exp(math.lgamma(32.5) - math.lgamma(32)):.4f}")

# %% [markdown]
# Does the estimate stay unbiased? The article does not ask; the answer is no. Write $s = q + k$; the estimate of $\mathbb E[e^{\omega\cdot s}] = e^{\|s\|^2/2}$ is $\frac1m\sum_i e^{R_i u_i\cdot s}$ with uniform directions $u_i$, whose mean is $\frac1m\sum_i {}_0F_1(;\tfrac d2;\tfrac{R_i^2\|s\|^2}{4})$ (the average of $e^{R u\cdot s}$ over the sphere). That is an $m$-point quadrature of the radial integral, and its points never reach the tail of $\chi_d$ where $e^{r\|s\|}$ is largest, so it comes out **low**. `quantile_bias(d, m, |s|)`, against Monte Carlo with `sample_omega(..., "quantile")` (± one standard error; with $d = 64$ the Monte Carlo cannot resolve a bias of a few tenths of a percent, the closed form can):

# %%
rows = ["| d, m, \\|q + k\\| | relative bias (closed form) | Monte Carlo | draws |", "|---|---|---|---|"]
s = torch.zeros(64, **f64)
s[0] = 1.0
for dd, mm, draws in ((2, 3, 50_000), (16, 16, 2000), (64, 4, 400), (64, 64, 400)):  # d = 64: a 64 × 64 QR per draw
    om = pf.sample_omega(mm, dd, "quantile", draws=draws, device=device, generator=gen(dd + mm), dtype=torch.float64)
    x = torch.exp(om @ s[:dd] - 0.5).mean(-1)  # estimates of E e^(ω·s) e^(-|s|²/2) = 1
    rows.append(
        f"| {dd}, {mm}, 1 | {pf.quantile_bias(dd, mm, 1.0):+.3%} | "
        f"{x.mean().item() - 1:+.3%} ± {x.std().item() / math.sqrt(draws):.3%} | {draws:,} |"
    )
display(Markdown("\n".join(rows)))

# %% [markdown]
# The bias shrinks as $m$ grows, but it is a bias: no number of draws averages it away, while iid and orthogonal lengths are exact in expectation. The figure: left, the $\chi_d$ density with Su's radii (orange) and one draw of $m$ iid lengths (blue ticks); right, the size of the relative bias against $\|q+k\|$ (log scale).

# %%
radii_figure = RadiiFigure()
radii_figure.widget()

# %%
show_exercises(EXERCISES, radii_figure)

# %% [markdown]
# ## Step 7 · the cost, and what "beyond 5000" means
#
# Count multiply-adds for one head with $d_v = d$. Softmax attention: $QK^\top$ and then $AV$, $n^2 d$ each, $2n^2d$ in all. Performer: the features $\phi(Q)$ and $\phi(K)$, $nmd$ each; $\phi(K)^\top V$, $nmd$; $\phi(Q)(\cdot)$, $nmd$: $4nmd$ in all. They are equal at $n = 2m$, which is $n = 512$ for $m = 4d = 256$ and $d = 64$. Su's "clearly better beyond about 5000" is not this crossover: it matches a **tenfold** saving, $2n^2d / 4nmd = n/2m = 10$ at $n = 20m$. The counts, and a timing on this machine (one head, float32, the better of two runs):

# %%
d, m = 64, 256
omega = pf.sample_omega(m, d, device=device, generator=gen(3))
rows = [
    "| n | softmax multiply-adds | Performer | ratio | softmax time | Performer time |",
    "|---|---|---|---|---|---|",
]
for n in (256, 512, 1024, 2048):
    soft, perf = pf.attention_multiply_adds(n, d, m)
    qn, kn, vn = (torch.randn(n, d, device=device, generator=gen(n)) / d**0.25 for _ in range(3))
    times = []
    for f, args in ((lambda a, b, c: torch.softmax(a @ b.T, -1) @ c, ()), (pf.performer_attention, (omega,))):
        best = math.inf
        for _ in range(2):
            t0 = time.perf_counter()
            f(qn, kn, vn, *args)
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t0)
        times.append(best)
    rows.append(
        f"| {n:,} | {soft:.3g} | {perf:.3g} | {soft / perf:.2f} | {times[0] * 1e3:.2f} ms | {times[1] * 1e3:.2f} ms |"
    )
display(Markdown("\n".join(rows)))
soft, perf = pf.attention_multiply_adds(20 * m, d, m)
print(f"crossover n = 2m = {2 * m}; at n = 20m = {20 * m} softmax needs {soft / perf:.0f}× the multiply-adds")

# %% [markdown]
# Measured times are noisy on a shared machine and follow the counts only roughly (the softmax's matrix products run at higher speed than Performer's exponentials), but the picture holds: Performer's advantage grows linearly in $n/m$.
#
# ## The synthesis · a whole attention matrix
#
# One entry is not the point: attention normalises each row, so what matters is the matrix $\hat A$ against $A = \mathrm{softmax}(QK^\top)$. Here $n = 64$ tokens in $d = 16$, with rows of $Q$ and $K$ drawn as $c\cdot\mathcal N(0, I_d)/\sqrt d$, so that $\|q\| \approx \|k\| \approx c$. The panels: $A$, $\hat A$ from one draw of $\omega$, their difference, and the relative error $\|\hat A - A\|_F/\|A\|_F$ against $m$ for iid, orthogonal and quantile $\omega$ (the dotted line: $m = d$). Move $c$: the error at a fixed $m$ grows very fast with the scale of $q$ and $k$, as step 4 predicts. Switch to trigonometric features and watch negative weights appear.

# %%
matrix_figure = AttentionMatrixFigure()
matrix_figure.widget()

# %%
show_exercises(EXERCISES, matrix_figure)

# %% [markdown]
# The relative error of the normalised matrix at three scales and four values of $m$, mean of 10 draws, iid / orthogonal:

# %%
rows = ["| c | m = 16 | m = 64 | m = 256 | m = 1024 |", "|---|---|---|---|---|"]
for c in (0.5, 1.0, 2.0):
    cells = [
        f"{errors(m, c, 'iid', 'positive', 10)[2].mean():.3f} / {errors(m, c, 'orthogonal', 'positive', 10)[2].mean():.3f}"
        for m in (16, 64, 256, 1024)
    ]
    rows.append(f"| {c} | " + " | ".join(cells) + " |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
e_small, e_mid, e_big = (errors(m, c, "iid", "positive", 10)[2].mean() for m, c in ((64, 0.5), (64, 1.0), (1024, 2.0)))
trig_negative = float((errors(16, 2.0, "iid", "trig")[0] < 0).mean())
d_head, m_head = 64, 256
soft, perf = pf.attention_multiply_adds(20 * m_head, d_head, m_head)
rows = [
    (
        "e^(q·k) is exactly the mean of positive random features",
        "Su, the paper",
        f"quadrature (q = 0.7, k = −0.4): {quad:.16f} against e^(−0.28) = {math.exp(-0.28):.16f}",
        abs(quad - math.exp(-0.28)) < 1e-14,
    ),
    (
        "trigonometric features can be negative and need clipping",
        "Su",
        f"c = 2, m = 16: {trig_negative:.0%} of the weights of Â are negative",
        trig_negative > 0,
    ),
    (
        "m must exceed d, usually several times d",
        "Su",
        f"m = 4d: error {e_small:.3f} at c = 0.5, {e_mid:.3f} at c = 1; m = 64d at c = 2: {e_big:.2f}. "
        f"One entry needs m ≥ (e^(|q+k|²) − 1)/r²: the driver is |q + k|, not d",
        None,
    ),
    (
        "orthogonal features help (for m ≤ d; blocks of d beyond)",
        "Su, the paper",
        f"MSE ratio orthogonal/iid at d = 16: {mse[16, 'orthogonal'] / mse[16, 'iid']:.3f} (m = d), "
        f"{mse[64, 'orthogonal'] / mse[64, 'iid']:.3f} (m = 4d)",
        mse[16, "orthogonal"] < mse[16, "iid"],
    ),
    (
        "clearly faster only beyond n ≈ 5000",
        "Su",
        f"FLOP crossover n = 2m = {2 * m_head} (m = 4d, d = {d_head}); "
        f"at n = 20m = {20 * m_head} softmax costs {soft / perf:.0f}× Performer",
        None,
    ),
    (
        "quantile radii R_i = χ_d⁻¹(i/(m+1)) (Su's suggestion)",
        "Su",
        f"biased: {pf.quantile_bias(2, 3, 1.0):+.1%} at d = 2, m = 3; {pf.quantile_bias(64, 64, 1.0):+.3%} at d = m = 64",
        False,
    ),
    (
        "a trained Transformer's weights cannot be reused as they are",
        "Su",
        f"at the typical scale |q| ≈ |k| ≈ c = 2 even m = 64d leaves an error of {e_big:.2f}",
        e_big > 0.5,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **"m several times d".** The error of an entry is governed by $\|q+k\|^2$, not by $d$; "several times $d$" is enough only when $\|q\|, \|k\| \lesssim 1$, a condition the article does not state (step 4 and the synthesis).
# * **"Beyond 5000".** In the cost model Performer is cheaper from $n = 2m$; 5000 is where it is about ten times cheaper. The article gives no derivation; read it as "a clear, tenfold advantage".
# * **The substitution $q \to -iq$, $k \to ik$.** Stated without justification; it is valid as an identity of entire functions (step 3).
# * **Quantile radii.** Su's own extension is biased low; iid and orthogonal lengths are unbiased (step 6).
