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
# # 03 · Initialisation from a geometric view
#
# **The question.** Why does drawing a layer's weights with variance $1/n$ keep the length of the signal that passes through it, and where do Xavier's and He's factors come from?
#
# **The source.** Su Jianlin, 《从几何视角来理解模型参数的初始化策略》 ("Understanding initialisation strategies from a geometric view"), Scientific Spaces, [kexue.fm/archives/7180](https://kexue.fm/archives/7180), 2020-01-16. The usual derivation asks for equal means and variances before and after a layer; Su's geometric reading starts from lesson 02's corollary instead: *two random vectors in high dimension are almost orthogonal*. So the $n$ columns of a random $n\times n$ matrix with entries of variance $1/n$ are nearly orthonormal, $W^\top W \approx I$, and $\|Wx\| \approx \|x\|$. His claims: any zero-mean distribution with that variance will do; for an $m\times n$ matrix with $m \ge n$ use variance $1/m$; $\operatorname{mean}\big((W^\top W - I)^2\big)$ shrinks like $1/n$; Xavier's $N\big(0, \frac{2}{\text{fan}_\text{in} + \text{fan}_\text{out}}\big)$ and He's $\sqrt2$ for ReLU follow the same logic.
#
# **You need:** lesson 02 (the angle between two random vectors), matrix products, the mean and variance of a sum of independent terms, and what Xavier and He initialisation are; $\chi^2$ and the digamma function help in step 6.
# **You will be able to:** explain why entries of variance $1/n$ make a random layer nearly length-preserving, compute $E\,\operatorname{mean}((W^\top W - I)^2)$ exactly for any zero-mean law, derive Xavier's and He's factors, and say where the picture fails (single directions, rectangular layers, depth).
#
# Every formula below comes from `theory_lib.geometric_init` and `theory_lib.angles` (lesson 02), tested against independent routes; every number is computed by a cell.

# %%
import math
import os

import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import angles as ag, default_device, geometric_init as gi
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.geometric_init import (
    EXERCISES,
    GeometricInitFigure,
    NormRatioFigure,
    OrthogonalColumnsFigure,
    log_ratio_moments,
)

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
g = torch.Generator(device=device).manual_seed(0)
print("computing on", device)


def random_matrix(m, n, distribution="normal", std=1.0):
    # i.i.d. zero-mean entries with standard deviation `std`, from one of three laws
    if distribution == "normal":
        w = torch.randn(m, n, generator=g, **f64)
    elif distribution == "uniform":  # U(-sqrt 3, sqrt 3) has variance 1
        w = (2 * torch.rand(m, n, generator=g, **f64) - 1) * math.sqrt(3)
    else:  # rademacher: +-1 with probability 1/2
        w = 2 * torch.randint(0, 2, (m, n), generator=g, device=device).to(torch.float64) - 1
    return std * w


# %% [markdown]
# ## The picture first
#
# Draw a random $n \times n$ matrix $W$ with independent entries of variance $1/n$ and look at its columns two at a time. Two columns $w_j, w_k$ span a plane; drawn in that plane with $w_j$ along the horizontal axis (its length marked by a tick), $w_k$ ends at a blue dot. If the columns were orthonormal, every dot would sit on the red star, at length 1 and 90° from $w_j$. At the slider's opening width the dots are scattered; raise $n$ and watch them gather at the star, while $W^\top W$ on the right turns into the identity. The lesson makes this exact, and shows where it stops being enough.

# %%
columns = OrthogonalColumnsFigure()
columns.widget()

# %%
show_exercises(EXERCISES, columns)

# %% [markdown]
# ## Step 1 · the columns of a random matrix are nearly orthonormal
#
# Take $W \in \mathbb R^{n\times n}$ with i.i.d. entries $N(0, 1/n)$. A column $w_j$ is a Gaussian vector, so
#
# - its squared length $\|w_j\|^2 = \sum_i W_{ij}^2$ is $\chi^2_n / n$: mean $1$, standard deviation $\sqrt{2/n}$;
# - the angle between two columns follows lesson 02's law: concentrated at $90°$ with standard deviation about $1/\sqrt n$ radians, and $E[\cos^2\theta] = 1/n$.
#
# The entries of $W^\top W$ are exactly these numbers: $(W^\top W)_{jk} = w_j^\top w_k = \|w_j\|\|w_k\|\cos\theta_{jk}$. So $W^\top W \approx I$.

# %%
n = 256
W = random_matrix(n, n, std=1 / math.sqrt(n))  # entries N(0, 1/n)
sq_norms = (W**2).sum(0)  # ||w_j||^2, one per column
print(
    f"squared column lengths: mean {sq_norms.mean().item():.4f}, s.d. {sq_norms.std().item():.4f}"
    f"   (theory 1 and sqrt(2/n) = {math.sqrt(2 / n):.4f})"
)

unit = W / W.norm(dim=0)
off = ~torch.eye(n, dtype=torch.bool, device=device)
cos = (unit.T @ unit)[off]  # cosines between distinct columns
deg = torch.rad2deg(torch.acos(cos))
print(
    f"angles between columns: mean {deg.mean().item():.2f} deg, s.d. {deg.std().item():.2f} deg"
    f"   (lesson 02: 90 and {math.degrees(math.sqrt(ag.angle_variance(n))):.2f})"
)
print(f"E[cos^2] = {(cos**2).mean().item():.5f}   (lesson 02: 1/n = {1 / n:.5f})")
print(
    f"within 10 deg of orthogonal: {((deg - 90).abs() < 10).double().mean().item():.4f}"
    f"   (lesson 02: {ag.prob_near_orthogonal(n, math.radians(10)):.4f})"
)

# %% [markdown]
# ## Step 2 · so norms are (nearly) preserved, but only for a typical vector
#
# $\|Wx\|^2 = x^\top W^\top W x \approx x^\top x$. More precisely, for a fixed $x$ the entries of $Wx$ are i.i.d. $N(0, \|x\|^2/n)$, so $\|Wx\|^2/\|x\|^2 \sim \chi^2_n/n$ exactly: mean $1$ and a relative spread of $\sqrt{2/n}$ (about $1/\sqrt{2n}$ for the length itself).
#
# **Where the picture is loose.** "$W^\top W \approx I$" holds entry by entry, not as an operator. The eigenvalues of $W^\top W$ for a square Gaussian $W$ spread over the whole interval $[0, 4]$ (the Marchenko–Pastur law, edges $(1 \pm \sqrt{n/m})^2$ for $m \times n$), so some directions are stretched by almost $2$ and others squashed towards $0$. $\|Wx\| \approx \|x\|$ is a statement about a *typical* $x$, not about every $x$; only tall matrices ($m \gg n$) come close to an isometry.

# %%
X = torch.randn(n, 2000, generator=g, **f64)  # 2000 inputs
ratio = (W @ X).norm(dim=0) / X.norm(dim=0)
print(
    f"||Wx|| / ||x|| over 2000 inputs: mean {ratio.mean().item():.4f}, s.d. {ratio.std().item():.4f}"
    f"   (theory about 1 and 1/sqrt(2n) = {1 / math.sqrt(2 * n):.4f})"
)

print(f"\n{'m/n':>5} {'min eig of W^T W':>17} {'max eig':>8} {'MP edges (1 -+ sqrt(n/m))^2':>30}")
for k in (1, 4, 16):
    m = k * n
    Wm = random_matrix(m, n, std=1 / math.sqrt(m))
    ev = torch.linalg.eigvalsh(Wm.T @ Wm)
    print(
        f"{k:>5} {ev.min().item():>17.4f} {ev.max().item():>8.4f} "
        f"{(1 - math.sqrt(n / m)) ** 2:>17.4f}, {(1 + math.sqrt(n / m)) ** 2:.4f}"
    )

# %% [markdown]
# **See both sides of step 2.** The histogram is $r = \|Wx\|^2/\|x\|^2$ for 2000 random pairs $(W, x)$ with $n = 64$ columns, drawn over its law $\chi^2_m/m$ (`norm_ratio_log_pdf`); the ticks along the bottom are the eigenvalues of one $W^\top W$, the values $r$ takes as $x$ turns through every direction, between the Marchenko–Pastur edges $(1 \mp \sqrt{n/m})^2$ (`marchenko_pastur_edges`). Move $m/n$: the typical $x$ is held within $\sqrt{2/m}$ at every ratio, but only tall matrices bring every direction close to 1.

# %%
norm_ratio = NormRatioFigure()
norm_ratio.widget()

# %% [markdown]
# ## Step 3 · how close to the identity? The exact expected error
#
# Let $W$ be $m\times n$ with i.i.d. entries of mean $0$, variance $\sigma^2 = 1/m$ and fourth moment $\kappa\sigma^4$ ($\kappa = 3$ normal, $9/5$ uniform, $1$ Rademacher). For $G = W^\top W$:
#
# - off the diagonal, $G_{jk} = \sum_i W_{ij}W_{ik}$ has mean $0$ and $E[G_{jk}^2] = \sum_i E[W_{ij}^2]E[W_{ik}^2] = m\sigma^4 = \frac1m$;
# - on it, $G_{jj} = \sum_i W_{ij}^2$ has mean $m\sigma^2 = 1$ and variance $m(\kappa - 1)\sigma^4 = \frac{\kappa - 1}{m}$.
#
# Averaging $(G - I)^2$ over the $n^2$ entries:
#
# $$E\,\operatorname{mean}\big((W^\top W - I)^2\big) = \frac{n\,\frac{\kappa-1}{m} + n(n-1)\frac1m}{n^2} = \frac{\kappa + n - 2}{m\,n} \;\xrightarrow{\;m = n\;}\; \frac{n + \kappa - 2}{n^2} \approx \frac1n.$$
#
# That is the article's check, "shrinks like $1/n$", with the constant. The distribution enters only through $\kappa$, at order $1/n^2$: **the variance matters, the distribution does not**.
#
# Check with `orthogonality_error` (square matrices, mean over several draws):

# %%
KAPPA = {"normal": 3.0, "uniform": 9 / 5, "rademacher": 1.0}
rows = [
    "| n | " + " | ".join(f"{d}: measured (exact)" for d in gi.DISTRIBUTIONS) + " | n × error (normal) |",
    "|---" * 5 + "|",
]
for n_, trials in ((16, 400), (64, 100), (256, 8), (512, 2)):
    cells, scaled = [], None
    for d in gi.DISTRIBUTIONS:
        err = gi.orthogonality_error(n_, distribution=d, trials=trials, generator=g).mean().item()
        cells.append(f"{err:.5f} ({(KAPPA[d] + n_ - 2) / n_**2:.5f})")
        scaled = n_ * err if d == "normal" else scaled
    rows.append(f"| {n_} | " + " | ".join(cells) + f" | {scaled:.4f} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# The variance, on the other hand, matters at every order: scale the standard deviation by $c$ and each layer multiplies lengths by about $c$.

# %%
for c in (0.9, 1.0, 1.1):
    Wc = random_matrix(n, n, std=c / math.sqrt(n))
    r = ((Wc @ X).norm(dim=0) / X.norm(dim=0)).mean().item()
    print(f"std = {c}/sqrt(n): mean ||Wx||/||x|| = {r:.4f}")

# %% [markdown]
# ## Step 4 · rectangular matrices: which norm?
#
# For $W \in \mathbb R^{m\times n}$ (from $n$ inputs to $m$ outputs, so fan-in $n$ and fan-out $m$), the $n$ columns live in $\mathbb R^m$. With variance $1/m$ they are again nearly orthonormal when $m \ge n$, and $\|Wx\| \approx \|x\|$: each of the $m$ outputs has variance $\|x\|^2/m$. For $m < n$ the geometry breaks: $n$ vectors in $\mathbb R^m$ cannot be orthonormal, $W^\top W$ has rank $m$ and $n - m$ zero eigenvalues (so `orthogonality_error` refuses $m < n$).
#
# **Where the article differs from the usual rule.** Variance $1/m = 1/\text{fan}_\text{out}$ keeps the *length* $\|x\|$. The usual statistical derivation keeps the *per-unit second moment* $\|x\|^2/n$ (each output as large as each input), which needs $1/\text{fan}_\text{in}$. For square layers they coincide; for $m = 4n$ they differ by a factor of $2$ in the output length:

# %%
n, m = 128, 512
Xr = torch.randn(n, 2000, generator=g, **f64)
for label, var in (("1/m (fan-out, the article)", 1 / m), ("1/n (fan-in, the usual rule)", 1 / n)):
    Wr = random_matrix(m, n, std=math.sqrt(var))
    Y = Wr @ Xr
    length = (Y.norm(dim=0) / Xr.norm(dim=0)).mean().item()
    per_unit = ((Y**2).mean(0) / (Xr**2).mean(0)).mean().item()
    print(f"variance {label:<30}: ||Wx||/||x|| = {length:.3f}, per-unit E[y^2]/E[x^2] = {per_unit:.3f}")

err = gi.orthogonality_error(n, m, trials=20, generator=g).mean().item()
print(
    f"\nm x n = {m} x {n}: mean((W^T W - I)^2) = {err:.6f}, exact (kappa + n - 2)/(m n) = {(3 + n - 2) / (m * n):.6f}"
)

Wshort = random_matrix(n // 2, n, std=math.sqrt(2 / n))
ev = torch.linalg.eigvalsh(Wshort.T @ Wshort)
print(f"m = n/2: {(ev < 1e-10).sum().item()} of {n} eigenvalues of W^T W are zero")
try:
    gi.orthogonality_error(n, n // 2)
except ValueError as err:
    print("orthogonality_error refuses:", err)

# %% [markdown]
# ## Step 5 · Xavier and He
#
# **Xavier (Glorot).** The backward pass multiplies gradients by $W^\top$, whose "fan-in" is the layer's fan-out. Forward wants $1/\text{fan}_\text{in}$, backward $1/\text{fan}_\text{out}$; Xavier takes the variance $\frac{2}{\text{fan}_\text{in} + \text{fan}_\text{out}}$, one over their average. In the geometric view it sits between the two norms of step 4.
#
# **He (Kaiming).** A ReLU after the layer zeroes the negative pre-activations. Each pre-activation is symmetric about $0$, so $E[\mathrm{relu}(z)^2] = \frac12E[z^2]$ and $E\|\mathrm{relu}(Wx)\|^2 = \frac12 E\|Wx\|^2$: every ReLU layer halves the squared length. Multiplying the standard deviation by $\sqrt2$, i.e. $\text{std} = \sqrt{2/\text{fan}_\text{in}}$, puts it back.
#
# Check: the closed forms against torch's own initialisers, and the ReLU halving.

# %%
fan_in, fan_out = 784, 256
w = torch.empty(fan_out, fan_in, dtype=torch.float64)  # torch's layout: (out, in)
torch.nn.init.xavier_normal_(w, generator=torch.Generator().manual_seed(0))
print(
    f"xavier_std({fan_in}, {fan_out}) = {gi.xavier_std(fan_in, fan_out):.5f},  torch.nn.init.xavier_normal_ sample std = {w.std().item():.5f}"
)
torch.nn.init.kaiming_normal_(w, nonlinearity="relu", generator=torch.Generator().manual_seed(0))
print(
    f"he_std({fan_in})          = {gi.he_std(fan_in):.5f},  torch.nn.init.kaiming_normal_ sample std = {w.std().item():.5f}"
)

n = 256
X = torch.randn(n, 2000, generator=g, **f64)
for label, std in (("1/sqrt(n)", 1 / math.sqrt(n)), ("He sqrt(2/n)", gi.he_std(n))):
    Z = random_matrix(n, n, std=std) @ X
    print(
        f"std {label:<13}: E||relu(Wx)||^2 / ||x||^2 = {((torch.relu(Z) ** 2).sum(0) / (X**2).sum(0)).mean().item():.4f}"
    )

# %% [markdown]
# ## Step 6 · depth multiplies everything
#
# Through $L$ layers $x_{l+1} = \phi(W_l x_l)$ with standard deviation $g/\sqrt n$, the mean square multiplies: $E\|x_L\|^2 = (g^2 c)^L\,\|x_0\|^2$ with $c = 1$ for linear layers and $c = \frac12$ for ReLU. Only $g\sqrt c = 1$ is stable: with $g = 1.1$ a linear stack of 100 layers amplifies by $1.1^{100}$; ReLU with $g = 1$ shrinks by $2^{-L/2}$. That is why He's $\sqrt2$ matters.
#
# **A second thing the one-layer picture hides.** Each layer multiplies the *squared length* by an independent $g^2\chi^2_n/n$ (linear, Gaussian). The mean is preserved, but the logarithm drifts: $E\log(\chi^2_n/n) = \psi(n/2) - \log(n/2) \approx -1/n$, with variance $\psi'(n/2) \approx 2/n$. So the *typical* path falls like $e^{-L/(2n)}$ and spreads like $\sqrt{L/(2n)}$ on a log scale, even at exactly the "right" variance: keeping norms through depth needs $n \gg L$.
#
# Check: 400 independent deep linear stacks against those two moments.

# %%
runs, width, depth = 400, 32, 40
x = torch.randn(runs, width, 1, generator=g, **f64)
log0 = x.norm(dim=(1, 2)).log()
for _ in range(depth):
    x = torch.randn(runs, width, width, generator=g, **f64) / math.sqrt(width) @ x  # a fresh layer per run
log_ratio = x.norm(dim=(1, 2)).log() - log0
mean, sd = log_ratio_moments(width, 1.0, torch.tensor([depth]).numpy())
print(
    f"log(||x_L|| / ||x_0||), n = {width}, L = {depth}: mean {log_ratio.mean().item():+.3f} (theory {mean[0]:+.3f}), "
    f"s.d. {log_ratio.std().item():.3f} (theory {sd[0]:.3f})"
)
print(
    f"mean of ||x_L||^2/||x_0||^2 = {(2 * log_ratio).exp().mean().item():.3f} (theory 1), "
    f"median of ||x_L||/||x_0|| = {log_ratio.exp().median().item():.3f} (typical e^(-L/(2n)) = {math.exp(-depth / (2 * width)):.3f})"
)

# %% [markdown]
# ## See it move
#
# Left: $W^\top W$ for one layer with entries of standard deviation $g/\sqrt n$, as a heat map (colour range $\pm 2$): a bright diagonal ($\approx g^2$) on a faint background. Middle: the histogram of the off-diagonal entries $(W^\top W)_{jk}/g^2$, $j < k$ (the matrix is symmetric, so each pair once), over $N(0, 1/n)$ and over lesson 02's law for $\cos\theta$ (they agree for large $n$; at small $n$ only the second is right about the range $[-1, 1]$, up to the column lengths). One layer has only $n(n-1)/2$ such entries, a single one at $n = 2$, so the histogram pools the first layers of the stack until it has about 20 000 of them; its title says how many entries from how many layers. Right: $\|x_l\|/\|x_0\|$ through a stack of up to 100 random layers for 16 inputs (grey), their root mean square (blue), the mean-square theory $(g\sqrt c)^l$ (red dashes, linear and ReLU) and, for linear layers with Gaussian entries, the typical path $\pm 1$ s.d. of step 6 (red dots). Its axes follow the data: the layer axis ends at the depth (rounded up), the log axis spans the lines in round steps, so a drift of a few tens of percent fills the panel just as a growth by $10^{40}$ does. The readout compares $\operatorname{mean}((W^\top W - I)^2)$ with its expectation $[g^4(\kappa + n - 2) + n(g^2 - 1)^2]/n^2$ (step 3 with a gain).
#
# The weights are drawn once per width and distribution and kept, so moving the gain, the depth or the activation recomputes only the forward pass.

# %%
figure = GeometricInitFigure()
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
def stack_rms(n, depth, distribution="normal", activation="linear", gain=1.0, inputs=64):
    # root mean square of ||x_L|| / ||x_0|| through `depth` fresh random layers
    act = {"linear": lambda z: z, "relu": torch.relu, "tanh": torch.tanh}[activation]
    x = torch.randn(n, inputs, generator=g, **f64)
    x0 = x.norm(dim=0)
    for _ in range(depth):
        x = act(random_matrix(n, n, distribution, std=gain / math.sqrt(n)) @ x)
    return ((x.norm(dim=0) / x0) ** 2).mean().sqrt().item()


n_scaled = {n_: n_ * gi.orthogonality_error(n_, trials=4, generator=g).mean().item() for n_ in (64, 256, 512)}
laws = {d: stack_rms(256, 50, d) for d in gi.DISTRIBUTIONS}
Wt = random_matrix(512, 128, std=1 / math.sqrt(512))
tall = ((Wt @ Xr).norm(dim=0) / Xr.norm(dim=0)).mean().item()
relu_plain, relu_he = stack_rms(256, 50, activation="relu"), stack_rms(256, 50, activation="relu", gain=math.sqrt(2))

n_eig, width_narrow, depth_deep = 256, 8, 100
W_sq = random_matrix(n_eig, n_eig, std=1 / math.sqrt(n_eig))
ev_sq = torch.linalg.eigvalsh(W_sq.T @ W_sq)
drift_narrow = log_ratio_moments(width_narrow, 1.0, torch.tensor([depth_deep]).numpy())[0][0]
rows = [
    (
        "mean((WᵀW − I)²) shrinks like 1/n",
        "Su",
        "n × error = " + ", ".join(f"{v:.3f} (n = {k})" for k, v in n_scaled.items()) + "; exactly (n + κ − 2)/n²",
        all(abs(v - 1) < 0.1 for v in n_scaled.values()),
    ),
    (
        "any zero-mean law with variance 1/n will do",
        "Su",
        "RMS ‖x₅₀‖/‖x₀‖, 50 linear layers, n = 256: " + ", ".join(f"{d} {v:.3f}" for d, v in laws.items()),
        max(laws.values()) / min(laws.values()) < 1.5,
    ),
    ("m × n with m ≥ n: variance 1/m", "Su", f"512 × 128: mean ‖Wx‖/‖x‖ = {tall:.3f}", abs(tall - 1) < 0.02),
    (
        "Xavier: N(0, 2/(fan_in + fan_out))",
        "Su",
        f"xavier_std(784, 256) = {gi.xavier_std(784, 256):.4f} = √(2/1040) = {math.sqrt(2 / 1040):.4f}",
        math.isclose(gi.xavier_std(784, 256), math.sqrt(2 / 1040)),
    ),
    (
        "ReLU halves the signal; He multiplies the std by √2",
        "Su",
        f"RMS after 50 ReLU layers: std 1/√n → {relu_plain:.2e}, He → {relu_he:.3f}",
        relu_plain < 1e-3 and 0.5 < relu_he < 2,
    ),
    (
        "WᵀW ≈ I, so ‖Wx‖ ≈ ‖x‖",
        "Su",
        f"true for a typical x; square W, n = {n_eig}: eigenvalues of WᵀW from {ev_sq.min().item():.2g} to "
        f"{ev_sq.max().item():.2f}, so some directions nearly vanish",
        None,
    ),
    (
        "variance 1/n keeps the length through depth",
        "a natural reading",
        f"typical ‖x_L‖/‖x₀‖ after {depth_deep} linear layers at n = {width_narrow}: e^({drift_narrow:.2f}) = "
        f"{math.exp(drift_narrow):.2g} (the mean square stays 1)",
        math.exp(drift_narrow) > 0.5,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.** Its five claims hold as averages. "$W^\top W \approx I$" holds entry by entry, not as an operator: a square random layer stretches some directions by almost 2 and nearly kills others (step 2), so $\|Wx\| \approx \|x\|$ is a statement about a typical $x$. Its rule "variance $1/m$" for an $m \times n$ layer keeps the length, not the per-unit scale that the usual fan-in rule keeps (step 4). And one layer's argument does not survive depth: at the right variance the mean square is kept, but the typical length drifts like $e^{-L/(2n)}$ (step 6), so a deep, narrow network loses its signal unless $n \gg L$.
