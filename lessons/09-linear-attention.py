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
# # 09 · Linear attention: must attention have a softmax?
#
# **The question.** Softmax attention costs the square of the sequence length $n$. What changes if the softmax goes, and what is lost?
#
# **The source.** Su Jianlin, 《线性Attention的探索：Attention必须有个Softmax吗？》 ("Exploring linear attention: must attention have a softmax?"), Scientific Spaces, 2020-07-04, https://kexue.fm/archives/7546. Su's claims: without the softmax, $(QK^\top)V = Q(K^\top V)$ and the cost becomes "$O(n)$"; any non-negative similarity gives an attention (the "Non-local network"); three linear choices, elu + 1 (*Transformers are RNNs*), a double softmax (*Efficient Attention*) and his own $1 + \cos$; with a causal mask linear attention is an RNN, whose loop suits decoding and whose cumulative-sum form suits training.
#
# **You need:** matrix products and their cost, the softmax, $e^x \approx 1 + x$; lesson 01 helps for what a softmax does to a row.
# **You will be able to:** count the multiply-adds and memory of each order of the attention product, write linear attention with any non-negative feature map and check it against the explicit weights, run its causal form as an RNN and as a cumulative sum, and say in what sense each of Su's variants is (and is not) a softmax attention.
#
# Every formula comes from `theory_lib.linear_attention`, where it is tested against a float64 double loop over the explicit weights; every number below is computed by a cell. Rows are tokens and, as in the article, there is no $1/\sqrt d$.

# %%
import math
import os
import time

import torch
import torch.nn.functional as F
from IPython import get_ipython
from IPython.display import Markdown, display
from torch.utils.flop_counter import FlopCounterMode

from theory_lib import default_device, linear_attention as la
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.linear_attention import (
    EXERCISES,
    AttentionMapFigure,
    CostFigure,
    ProductOrderFigure,
    RnnStepperFigure,
)

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
gen = lambda seed: torch.Generator(device=device).manual_seed(seed)


def qkv(seed, n, d, n_k=None, d_v=None):
    """Seeded q (n, d), k (n_k, d), v (n_k, d_v) with N(0, 1) entries, float64."""
    g = gen(seed)
    n_k, d_v = n_k or n, d_v or d
    return (torch.randn(a, b, generator=g, **f64) for a, b in ((n, d), (n_k, d), (n_k, d_v)))


print("computing on", device)

# %% [markdown]
# ## The picture first
#
# Attention multiplies three matrices, $Q$, $K^\top$ and $V$. Softmax attention must apply the softmax to $QK^\top$ before multiplying by $V$, so it forms the $n \times n$ matrix of every query against every key (red). Drop the softmax and matrix multiplication is associative: $Q(K^\top V)$ forms only a $d \times d$ matrix (blue), drawn in the same units. On the right, the multiply-adds of each step on a log scale, with $d = 64$ as in BERT base. Move $n$: the red square and its cost grow like $n^2$, the blue square shrinks relative to it like $d/n$.

# %%
opening = ProductOrderFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · the general form: any non-negative similarity
#
# Written row by row, softmax attention is a weighted average of the values,
#
# $$\text{Attention}(Q, K, V)_i = \frac{\sum_{j=1}^{n} e^{q_i^\top k_j}\, v_j}{\sum_{j=1}^{n} e^{q_i^\top k_j}},$$
#
# and nothing in the average needs the exponential: any similarity $\text{sim}(q_i, k_j) \ge 0$ gives weights that are non-negative and sum to one,
#
# $$\text{Attention}(Q, K, V)_i = \frac{\sum_{j} \text{sim}(q_i, k_j)\, v_j}{\sum_{j} \text{sim}(q_i, k_j)}.$$
#
# In computer vision this general form is the *Non-local network*. Check: with $\text{sim} = e^{q^\top k}$, the explicit weights times $V$, `softmax_attention`, and PyTorch's own `scaled_dot_product_attention` (at scale 1) agree.

# %%
q, k, v = qkv(0, n=6, d=4)
weights = la.attention_weights(q, k, "exp")  # the n x n matrix, formed explicitly
ours = la.softmax_attention(q, k, v)
torch_sdpa = F.scaled_dot_product_attention(q, k, v, scale=1.0)
print(
    f"weights: row sums {weights.sum(-1).min():.15f} .. {weights.sum(-1).max():.15f}, smallest weight {weights.min():.3g}"
)
print(f"|weights V - softmax_attention| = {(weights @ v - ours).abs().max():.1e}")
print(f"|softmax_attention - torch SDPA| = {(ours - torch_sdpa).abs().max():.1e}")

# %% [markdown]
# ## Step 2 · re-association, and its cost counted
#
# If the similarity factorises, $\text{sim}(q_i, k_j) = \phi(q_i)^\top \phi(k_j)$ with non-negative features $\phi$, then
#
# $$\text{Attention}(Q, K, V)_i = \frac{\phi(q_i)^\top \sum_j \phi(k_j) v_j^\top}{\phi(q_i)^\top \sum_j \phi(k_j)}, \qquad\text{i.e.}\qquad \frac{\phi(Q)\big(\phi(K)^\top V\big)}{\phi(Q)\big(\phi(K)^\top \mathbf 1\big)}$$
#
# row by row, and the $n\times n$ matrix is never formed. Count the multiply-adds, with $n$ queries and keys and $d$-dimensional features and values:
#
# * $(QK^\top)V$: $QK^\top$ costs $n \cdot n \cdot d$, then $(\cdot)V$ another $n \cdot n \cdot d$: in all $2n^2d$, and $n^2$ numbers stored.
# * $Q(K^\top V)$: $K^\top V$ costs $n \cdot d \cdot d$, then $Q(\cdot)$ another $n \cdot d \cdot d$: in all $2nd^2$, and $d^2$ numbers stored.
#
# The ratio is exactly $n/d$. Su writes that in the second order "the step multiplying by $Q$ dominates"; the count says the two steps cost the same. Check: PyTorch's own FLOP counter (two FLOPs per multiply-add) on both orders, against `attention_cost`, and the output of `linear_attention` against the explicit weights.

# %%
rows = ["| n | d | (QKᵀ)V: counted | 2n²d | Q(KᵀV): counted | 2nd² | ratio n/d |", "|---|---|---|---|---|---|---|"]
for n, d in ((512, 64), (4096, 64), (512, 128)):
    q, k, v = qkv(1, n=n, d=d)
    with FlopCounterMode(display=False) as quadratic:
        (q @ k.T) @ v
    with FlopCounterMode(display=False) as linear:
        q @ (k.T @ v)
    cost = la.attention_cost(n, d)
    rows.append(
        f"| {n} | {d} | {quadratic.get_total_flops() // 2:,} | {cost['softmax_madds']:,} | "
        f"{linear.get_total_flops() // 2:,} | {cost['linear_madds']:,} | {cost['softmax_madds'] / cost['linear_madds']:g} |"
    )
display(Markdown("\n".join(rows)))
with FlopCounterMode(display=False) as step_a:
    kv = k.T @ v
with FlopCounterMode(display=False) as step_b:
    q @ kv
print(
    f"n = 512, d = 128: K^T V costs {step_a.get_total_flops() // 2:,} multiply-adds, Q (K^T V) {step_b.get_total_flops() // 2:,}"
)
q, k, v = qkv(2, n=7, d=3, n_k=5, d_v=2)
explicit = la.attention_weights(q, k, "elu+1") @ v  # the n x n_k weights formed, then times V
print(f"|linear_attention - explicit weights V| = {(la.linear_attention(q, k, v) - explicit).abs().max():.1e}")

# %% [markdown]
# The figure draws both costs against $n$ for a chosen $d$: the multiply-adds cross at $n = d$, so linear attention pays only when $n > d$, which is the article's assumption (BERT base: $d = 64$, $n = 512$). On the right, the memory of the two causal forms of step 6, against softmax's $n^2$.

# %%
cost_figure = CostFigure()
cost_figure.widget()

# %%
show_exercises(EXERCISES, cost_figure)

# %% [markdown]
# Su calls the linear cost "$O(n)$": in $n$ it is, with the constant $2d^2$. Measured on this machine (one forward pass, float32, $d = 64$; the times depend on the machine, the ratio of the counts does not):

# %%
rows = [
    "| n | softmax_attention (ms) | linear_attention (ms) | time ratio | count ratio n/d |",
    "|---|---|---|---|---|",
]
for n in (512, 2048):
    q, k, v = (t.float() for t in qkv(3, n=n, d=64))
    times = {}
    for name, f in (("softmax", la.softmax_attention), ("linear", la.linear_attention)):
        runs = []
        for _ in range(5):  # the fastest of 5 runs: the least disturbed by whatever else the machine does
            start = time.perf_counter()
            f(q, k, v)
            if device.type == "cuda":
                torch.cuda.synchronize()
            runs.append(time.perf_counter() - start)
        times[name] = min(runs) * 1000
    ratio = times["softmax"] / times["linear"]
    rows.append(f"| {n} | {times['softmax']:.2f} | {times['linear']:.2f} | {ratio:.1f} | {n / 64:g} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# ## Step 3 · elu + 1 (Transformers are RNNs)
#
# The first choice of the article, from *Transformers are RNNs*: $\phi(x) = \text{elu}(x) + 1$, which is $e^x$ for $x < 0$ and $1 + x$ above, positive everywhere, so $\text{sim} = \phi(q)^\top\phi(k) > 0$. (A plain ReLU also gives $\text{sim} \ge 0$, but a query whose features are all zero then has no weights at all.) `linear_attention` takes `"elu+1"`, `"relu"` or any function returning non-negative features, and rescales the features by maxima that cancel in the ratio, so that $e^{-1000}$ does not underflow to $0/0$. Check against the explicit weights, and at inputs near $-800$, where every feature underflows in float64, against a log-space route:

# %%
q, k, v = qkv(4, n=8, d=4)
for fm in ("elu+1", "relu"):
    gap = (la.linear_attention(q, k, v, fm) - la.attention_weights(q, k, fm) @ v).abs().max()
    print(f"{fm:6s}: |linear form - explicit weights V| = {gap:.1e}")
q_low, k_low = q - 800, k - 800  # elu(x) + 1 = e^x here, and e^{-1600} = 0 in float64
log_space = torch.softmax(torch.logsumexp(q_low[:, None, :] + k_low[None, :, :], -1), -1) @ v
print(
    f"e^(-1600) = {math.exp(-1600.0)} in float64, yet |linear_attention - log-space route| = "
    f"{(la.linear_attention(q_low, k_low, v) - log_space).abs().max():.1e}"
)

# %% [markdown]
# ## Step 4 · the double softmax (Efficient Attention)
#
# The second choice, from *Efficient Attention* (also used in A²-Nets): normalise $Q$ over its features and $K$ over the sequence,
#
# $$\text{Attention}(Q, K, V) = \text{softmax}_2(Q)\,\text{softmax}_1(K)^\top V,$$
#
# where $\text{softmax}_1$ runs over the $n$ keys (each column of $K$ sums to one) and $\text{softmax}_2$ over the $d$ features (each row of $Q$). Su presents it as a special case of the kernel form. In what sense? Three checks:
#
# 1. *Row sums.* The implicit weight matrix $\text{softmax}_2(Q)\,\text{softmax}_1(K)^\top$ has rows that sum to one, like any attention.
# 2. *Rank.* Every output row is a convex combination of the same $d$ vectors $u_l = \sum_j \text{softmax}_1(K)_{jl}\, v_j$, so the output has rank at most $d$.
# 3. *Not the general form.* $\text{softmax}_1$ divides each key's feature by a sum over all keys, so the "feature" of $k_j$ depends on every other key. Putting $\phi = \text{softmax}$ for queries and $\phi = \exp$ for keys into the general form, with its own denominator, gives another output; so does $\phi = \text{softmax}$ for both (Su's words read literally).

# %%
q, k, v = qkv(5, n=12, d=3, d_v=5)
w = la.attention_weights(q, k, "double-softmax")
out = la.efficient_attention(q, k, v)
print(f"row sums of softmax_2(Q) softmax_1(K)^T: {w.sum(-1).min():.15f} .. {w.sum(-1).max():.15f}")
print(f"rank of the 12 x 5 output: {torch.linalg.matrix_rank(out).item()} (d = 3)")
qs, ke, ks = torch.softmax(q, -1), torch.exp(k), torch.softmax(k, -1)
general_exp = (qs @ ke.T / (qs @ ke.T).sum(-1, keepdim=True)) @ v  # phi = softmax for q, exp for k
general_soft = (qs @ ks.T / (qs @ ks.T).sum(-1, keepdim=True)) @ v  # phi = softmax for both
print(
    f"largest entry gap to the general form: phi = softmax/exp {(out - general_exp).abs().max():.3f}, "
    f"phi = softmax/softmax {(out - general_soft).abs().max():.3f}"
)

# %% [markdown]
# So the double softmax is an attention (rows sum to one) of low rank, but not the kernel form with a fixed feature map: "special case" holds only loosely.
#
# ## Step 5 · $1 + \cos$: a Taylor expansion, of what?
#
# Su's own proposal: $e^{q^\top k} \approx 1 + q^\top k$ to first order, which can go negative, so normalise $q$ and $k$ first,
#
# $$\text{sim}(q_i, k_j) = 1 + \hat q_i^\top \hat k_j, \qquad \hat q = q / \lVert q\rVert,$$
#
# which lies in $[0, 2]$ and factorises with $\phi(x) = [1, \hat x]$. But the expansion is now of $e^{\hat q^\top \hat k} = e^{\cos}$: softmax attention with normalised queries and keys at temperature 1, not $\text{softmax}(QK^\top)$. The weights of $e^{\cos}$ lie in $[e^{-1}, e]$, a ratio of at most $e^2$, so that model is very flat; $1 + \cos$ reaches 0, so it is *more* selective than the $e^{\cos}$ it expands. Check on random vectors in $d = 2$ (where cosines spread over $[-1, 1]$):

# %%
q, k, v = qkv(6, n=4, d=2)
cos_lin = la.cosine_linear_attention(q, k, v)
print(
    f"|cosine_linear_attention - explicit (1 + cos) weights V| = {(cos_lin - la.attention_weights(q, k, '1+cos') @ v).abs().max():.1e}"
)
print(
    f"largest entry gap: to softmax over cosines {(cos_lin - la.attention_weights(q, k, 'exp-cos') @ v).abs().max():.3f}, "
    f"to softmax(QK^T) {(cos_lin - la.softmax_attention(q, k, v)).abs().max():.3f}"
)
q, k, _ = qkv(7, n=200, d=2)
w_exp = la.attention_weights(q, k, "exp-cos")
w_cos = la.attention_weights(q, k, "1+cos")
print(
    f"largest ratio of two weights in a row: exp(cos) {(w_exp.amax(-1) / w_exp.amin(-1)).max():.3f} "
    f"(e^2 = {math.e**2:.3f}); 1 + cos: smallest weight {w_cos.min():.2e}, against a largest {w_cos.max():.3f}"
)
print(
    f"mean row entropy (log n = {math.log(200):.3f}): exp(cos) {la.row_entropy(w_exp).mean():.4f}, "
    f"1 + cos {la.row_entropy(w_cos).mean():.4f}"
)

# %% [markdown]
# The gallery shows the weight maps. The scale $c$ multiplies both $q$ and $k$, so softmax's logits grow like $c^2$ and its rows sharpen, while elu + 1, relu, $1+\cos$ and $e^{\cos}$ stay close to flat (row entropy near $\log n$). Choose a similarity and read the entropies in the right panel.

# %%
gallery = AttentionMapFigure()
gallery.widget()

# %%
show_exercises(EXERCISES, gallery)

# %% [markdown]
# ## Step 6 · the causal form is an RNN
#
# A language model's query $i$ may only see keys $j \le i$. Softmax attention masks its $n \times n$ matrix; linear attention sums only the first $i$ terms,
#
# $$\text{Attention}_i = \frac{\phi(q_i)^\top \sum_{j \le i} \phi(k_j) v_j^\top}{\phi(q_i)^\top \sum_{j \le i} \phi(k_j)} = \frac{\phi(q_i)^\top S_i}{\phi(q_i)^\top z_i}, \qquad S_i = S_{i-1} + \phi(k_i) v_i^\top,\quad z_i = z_{i-1} + \phi(k_i),$$
#
# an RNN with a $d \times d$ state. Two ways to compute it: the loop (`mode="rnn"`: least memory, serial, as in decoding) or the $n \times d \times d$ tensor of outer products and its cumulative sum over $n$ (`mode="cumsum"`: parallel, as in training). Check both against the masked explicit weights, and count the memory of the cumsum tensor against softmax's $n^2$:

# %%
q, k, v = qkv(8, n=9, d=4, d_v=3)
masked = la.attention_weights(q, k, "elu+1", causal=True) @ v
for mode in ("rnn", "cumsum"):
    print(
        f"mode {mode:6s}: |causal_linear_attention - masked weights V| = {(la.causal_linear_attention(q, k, v, mode=mode) - masked).abs().max():.1e}"
    )
for n in (512, 4096):
    c = la.attention_cost(n, 64)
    print(
        f"n = {n}, d = 64: cumsum tensor n d^2 = {c['cumsum_memory']:,} numbers, n^2 = {c['softmax_memory']:,}: "
        f"ratio d^2/n = {c['cumsum_memory'] / c['softmax_memory']:g}; the RNN's state d^2 = {c['linear_memory']:,}"
    )

# %% [markdown]
# Su notes that often $d^2 \gg n$, so the cumsum tensor is the larger one and people mostly use the RNN form. In the figure, step through the tokens: the state $S_i$ (and $z_i$, last column) keeps its size while it accumulates, and output row $i$ from the loop, from the cumsum, and from row $i$ of the masked matrix coincide.

# %%
stepper = RnnStepperFigure()
stepper.widget()

# %%
show_exercises(EXERCISES, stepper)

# %% [markdown]
# ## Related work, as Su describes it
#
# * *Sparse attention*: each query sees a hand-chosen subset of keys; needs custom kernels.
# * *Reformer*: $O(n\log n)$ by locality-sensitive hashing, with reversible layers.
# * *Linformer*: projects keys and values along the sequence with $E, F \in \mathbb R^{m \times n}$, $\text{softmax}\big(Q(EK)^\top\big)FV$. Su doubts that $m$ can stay fixed as $n$ grows (it was tested only on masked language modelling), and notes that the projection mixes future tokens into every key, so it cannot be causal.
# * *Pooling or strided convolutions* along the sequence (PoWER-BERT, Funnel-Transformer).
#
# The next lesson, [10 · Performer](10-performer.ipynb), keeps this lesson's kernel form and its causal RNN, and asks for a feature map whose inner product *is* $e^{q^\top k}$ on average: positive random features.
#
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
bert = la.attention_cost(512, 64)
decode = la.attention_cost(4096, 64)
q, k, v = qkv(5, n=12, d=3, d_v=5)
out = la.efficient_attention(q, k, v)
qs, ke = torch.softmax(q, -1), torch.exp(k)
special_gap = (out - (qs @ ke.T / (qs @ ke.T).sum(-1, keepdim=True)) @ v).abs().max().item()
q, k, v = qkv(6, n=4, d=2)
cos_lin = la.cosine_linear_attention(q, k, v)
gap_soft = (cos_lin - la.softmax_attention(q, k, v)).abs().max().item()
gap_cos = (cos_lin - la.attention_weights(q, k, "exp-cos") @ v).abs().max().item()
q, k, v = qkv(8, n=9, d=4, d_v=3)
causal_gap = max(
    (la.causal_linear_attention(q, k, v, mode=m) - la.attention_weights(q, k, "elu+1", causal=True) @ v)
    .abs()
    .max()
    .item()
    for m in ("rnn", "cumsum")
)
rows = [
    (
        'Without the softmax, (QKᵀ)V = Q(KᵀV) and the cost is "O(n)"',
        "Su",
        f"2n²d against 2nd² multiply-adds, ratio n/d = {bert['softmax_madds'] / bert['linear_madds']:g} at n = 512, d = 64 (BERT base); linear in n with the constant 2d²",
        None,
    ),
    (
        "n > d, often n ≫ d (BERT base: d = 64)",
        "Su",
        f"the multiply-adds cross at n = d: at n = 512 linear attention needs {bert['linear_madds'] / bert['softmax_madds']:.3f} of softmax's",
        True,
    ),
    (
        "In Q(KᵀV) the step multiplying by Q dominates",
        "Su",
        f"both steps cost n·d² = {bert['linear_madds'] // 2:,} multiply-adds at n = 512, d = 64",
        False,
    ),
    (
        "The double softmax of Efficient Attention is a special case of the kernel form",
        "Su",
        f"rows sum to 1 and rank ≤ d, but it is not the general form with a fixed φ: entries differ by {special_gap:.3f}",
        None,
    ),
    (
        "1 + cos, a first-order Taylor expansion, is a linear stand-in for softmax",
        "Su",
        f"it expands e^(cos), not e^(q·k): largest gap {gap_cos:.3f} to softmax over cosines, {gap_soft:.3f} to softmax(QKᵀ); weights in [0, 2], more selective than e^(cos)",
        None,
    ),
    (
        "Causal linear attention is an RNN; the loop suits decoding, the cumsum form training",
        "Su",
        f"both equal the masked form to {causal_gap:.0e}; the cumsum tensor stores d²/n = {decode['cumsum_memory'] / decode['softmax_memory']:g} times n² at n = 4096, "
        f"{bert['cumsum_memory'] / bert['softmax_memory']:g} times at n = 512; the RNN only d² = {bert['linear_memory']:,}",
        True,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **"O(n)".** Linear in $n$, but the constant is $2d^2$: the saving over softmax attention is the factor $n/d$, and there is none for $n \le d$.
# * **"The step multiplying by Q dominates".** It does not: $K^\top V$ and $Q(K^\top V)$ cost the same $nd^2$ each.
# * **The double softmax as a "special case".** It is an attention with rows summing to one and rank at most $d$, but the key features depend on the whole sequence; it is not the kernel form with a fixed feature map.
# * **$1 + \cos$.** It is the Taylor expansion of softmax over *cosines* (normalised $q$, $k$, temperature 1), a different and much flatter model than $\text{softmax}(QK^\top)$; and it is more selective than what it expands, not less.
