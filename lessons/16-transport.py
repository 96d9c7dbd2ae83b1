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
# # 16 · From EMD and WMD to WRD: sentences as clouds of word vectors
#
# **The question.** Two sentences are two sequences of word vectors, of different lengths. How far apart are they, in a way that knows *where* each word's meaning sits?
#
# **The source.** Su Jianlin, 《从EMD、WMD到WRD：文本向量序列的相似度计算》 ("From EMD and WMD to WRD: similarity of sequences of text vectors"), Scientific Spaces, 2020-05-13, https://kexue.fm/archives/7388. Su's claims: the earth mover's distance is a linear programme that scipy solves; WMD (Kusner et al., 2015) is the transport cost between the words of two sentences, bounded below by the distance of their centroids (WCD); WRD (Yokoi et al., 2020) moves the norms into the masses and uses the cosine as the cost, and Su bounds it below by Jensen's inequality.
#
# **You need:** vectors, norms and the cosine; what a linear programme is; random-vector angles (lesson 02) for the experiment.
# **You will be able to:** write the transport LP and solve it; compute EMD in one dimension as the area between two CDFs; say why WMD with equal lengths is an assignment problem; compute WMD, WCD, WRD and Su's bound and check that the bounds hold; and say what WRD is and is not invariant to.
#
# Every formula comes from `theory_lib.transport`, where it is tested against an independent route (scipy's 1-D Wasserstein distance, the assignment solver, the dual LP, brute force); every number is computed by a cell.

# %%
import itertools
import math
import os

import numpy as np
import scipy.optimize
import scipy.stats
import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import transport as tp
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.transport import (
    EXERCISES,
    CdfFigure,
    LpTimeFigure,
    NormFigure,
    OpeningFigure,
    PushDirtFigure,
    SinkhornFigure,
    TriangleFigure,
)
from theory_lib.figures.transport.timing import measure as measure_lp_times, power_fit

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

f64 = dict(dtype=torch.float64)
gen = lambda seed: torch.Generator().manual_seed(seed)
print("the LP runs in float64 on the CPU (scipy's HiGHS); scipy", scipy.__version__)

# %% [markdown]
# ## The picture first
#
# Sentence A has three words, sentence B four, each word a vector in the plane. Think of each word as a pile of dirt, all piles of one sentence together weighing 1, and of sentence B as holes to fill. Each grey segment carries dirt from a word of A to a word of B; its width is the amount moved. The cheapest way to move all of it, with cost = amount × distance, is the **word mover's distance**. Turn sentence B and watch the plan re-route: the bars give WMD and three cousins the lesson derives.

# %%
opening = OpeningFigure()
opening.widget()

# %% [markdown]
# ## Step 1 · the transport linear programme
#
# Mass $p_i$ sits at $i = 1..m$, mass $q_j$ is wanted at $j = 1..n$, moving one unit from $i$ to $j$ costs $d_{ij}$, and $\gamma_{ij} \ge 0$ is the amount moved:
#
# $$\mathrm{EMD}(p, q) = \min_{\gamma_{ij}\ge0}\sum_{i,j}\gamma_{ij}d_{ij}\quad\text{s.t.}\quad \sum_j\gamma_{ij}=p_i,\ \ \sum_i\gamma_{ij}=q_j .$$
#
# Objective and constraints are linear in the $mn$ numbers $\gamma_{ij}$: a linear programme. `tp.emd` hands it to `scipy.optimize.linprog(method="highs")` with all $m + n$ equality rows. They are dependent (both sets sum to the total mass), so Su drops the last row "to avoid solver failures". With HiGHS the full system solves fine; what dropping the row does is hide an error: if $\sum p \ne \sum q$ no plan exists, yet the dropped-row LP still answers. The check: the 2 × 2 example with $\sum q = 0.9$.

# %%
p, q, d = [0.5, 0.5], [0.5, 0.4], [[0.0, 1.0], [1.0, 0.0]]
a_eq = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], float)
full = scipy.optimize.linprog(np.ravel(d), A_eq=a_eq, b_eq=p + q, method="highs")
dropped = scipy.optimize.linprog(np.ravel(d), A_eq=a_eq[:-1], b_eq=(p + q)[:-1], method="highs")
print(f"full LP: status {full.status} ({full.message.split('(')[0].strip()})")
print(
    f"last row dropped: status {dropped.status}, value {dropped.fun:.3f}, column sums {dropped.x.reshape(2, 2).sum(0)}"
)
try:
    tp.emd(p, q, d)
except ValueError as error:
    print("tp.emd:", error)

# %% [markdown]
# ## Step 2 · in one dimension, the area between the CDFs
#
# Put the masses on a line at positions $t_0 < t_1 < \dots$ with cost $|t_i - t_j|$. Every unit that crosses the gap between $t_k$ and $t_{k+1}$ pays its width, and at least $|F_p(t_k) - F_q(t_k)|$ must cross it (the CDFs count what lies to the left), which the monotone plan achieves:
#
# $$\mathrm{EMD}_{1\mathrm D}(p, q) = \sum_k |F_p(t_k) - F_q(t_k)|\,(t_{k+1} - t_k) .$$
#
# The check, three ways: the LP, this formula (`tp.emd_1d`) and `scipy.stats.wasserstein_distance`, on the three-bin example and on random problems.

# %%
p3, q3 = [0.2, 0.5, 0.3], [0.6, 0.1, 0.3]
cost3 = [[abs(i - j) for j in range(3)] for i in range(3)]
pos = np.arange(3.0)
print(
    f"three bins: LP {tp.emd(p3, q3, cost3):.6f}, CDF area {tp.emd_1d(p3, q3):.6f}, "
    f"scipy {scipy.stats.wasserstein_distance(pos, pos, p3, q3):.6f}"
)
worst = 0.0
for seed in range(20):
    g = gen(seed)
    a, b = torch.rand(6, generator=g, **f64), torch.rand(6, generator=g, **f64)
    a, b = a / a.sum(), b / b.sum()
    t = torch.randn(6, generator=g, **f64).sort().values
    lp = tp.emd(a, b, (t[:, None] - t[None]).abs())
    worst = max(worst, abs(lp - scipy.stats.wasserstein_distance(t, t, a, b)), abs(lp - tp.emd_1d(a, b, t)))
print(f"20 random 6-bin problems: largest |LP - area| or |LP - scipy| = {worst:.1e}")

# %% [markdown]
# The figure: set $p$ and $q$ (each renormalised). The shaded area is the gap between the CDFs; the matrix is the LP's optimal plan. The two numbers in the readout agree at every setting.

# %%
cdf = CdfFigure()
cdf.widget()

# %%
show_exercises(EXERCISES, cdf)

# %% [markdown]
# ## Step 3 · WMD, an assignment problem, and its centroid bound
#
# WMD takes the words $x_i$ of sentence $s$ and $y_j$ of $s'$ with uniform masses $1/m$ and $1/n$ and the Euclidean cost:
#
# $$\mathrm{WMD}(s, s') = \min_{\gamma\ge0}\sum_{i,j}\gamma_{ij}\Vert x_i - y_j\Vert\quad\text{s.t.}\quad \sum_j\gamma_{ij}=\tfrac1m,\ \sum_i\gamma_{ij}=\tfrac1n .$$
#
# **Equal lengths: an assignment.** For $m = n$, $n\gamma$ is doubly stochastic, and by Birkhoff–von Neumann the doubly stochastic matrices are the convex hull of the permutations; a linear objective attains its minimum at a vertex. So WMD is the cost of the best one-to-one matching over $n$, which `scipy.optimize.linear_sum_assignment` finds.
#
# **WCD.** Pull the sum inside the norm (triangle inequality), then use the marginals:
#
# $$\sum_{i,j}\gamma_{ij}\Vert x_i - y_j\Vert \ \ge\ \Big\Vert\sum_{i,j}\gamma_{ij}(x_i - y_j)\Big\Vert = \Big\Vert\frac1m\sum_i x_i - \frac1n\sum_j y_j\Big\Vert = \mathrm{WCD},$$
#
# a lower bound that costs one subtraction: Su's retrieval recipe filters candidates by WCD first. The checks: the planar example, brute force over the $3! = 6$ matchings, the assignment solver on random sentences, and the article's code, which takes the *mean* over the $d$ coordinates instead of the sum.

# %%
x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], **f64)
y = torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 2.0]], **f64)
brute = min(sum(torch.dist(x[i], y[s[i]]).item() for i in range(3)) for s in itertools.permutations(range(3))) / 3
print(
    f"planar example: WMD {tp.word_mover_distance(x, y):.6f}, best of 6 matchings {brute:.6f}, "
    f"(2 + √2)/3 = {(2 + math.sqrt(2)) / 3:.6f}; WCD {tp.word_centroid_distance(x, y):.6f} = 2√2/3 = {2 * math.sqrt(2) / 3:.6f}"
)
worst = 0.0
for seed in range(20):
    a, b = torch.randn(7, 50, generator=gen(seed), **f64), torch.randn(7, 50, generator=gen(100 + seed), **f64)
    dist = torch.cdist(a, b).numpy()
    rows, cols = scipy.optimize.linear_sum_assignment(dist)
    worst = max(worst, abs(tp.word_mover_distance(a, b) - dist[rows, cols].sum() / 7))
print(f"20 pairs of 7-word sentences in 50-D: largest |WMD - assignment / n| = {worst:.1e}")
rms = tp.word_mover_distance(x, y, cost="rms")
print(
    f"the article's code (mean over d = 2): {rms:.6f} = WMD × {rms / tp.word_mover_distance(x, y):.6f} (1/√2 = {1 / math.sqrt(2):.6f})"
)

# %% [markdown]
# ## Step 4 · WRD: norms become masses, the cosine becomes the cost
#
# Su's two objections to WMD: word vectors are compared by their cosine, not their distance, and WMD has no upper bound, so a similarity threshold is hard to choose. Normalising every vector would fix both but throw away the norm, which tracks a word's importance. WRD keeps it, as the mass:
#
# $$p_i = \frac{\Vert x_i\Vert}{Z},\ Z = \sum_i\Vert x_i\Vert;\qquad q_j = \frac{\Vert y_j\Vert}{Z'},\ Z' = \sum_j\Vert y_j\Vert;\qquad d_{ij} = 1 - \frac{x_i\cdot y_j}{\Vert x_i\Vert\,\Vert y_j\Vert}\in[0, 2].$$
#
# **Su's bound.** For unit vectors $2(1 - \cos) = \Vert u - v\Vert^2$, and $\sum\gamma_{ij} = 1$, so Jensen (convexity of $\Vert\cdot\Vert^2$) gives
#
# $$2\,\mathrm{WRD} = \sum_{i,j}\gamma_{ij}\Big\Vert\frac{x_i}{\Vert x_i\Vert} - \frac{y_j}{\Vert y_j\Vert}\Big\Vert^2 \ \ge\ \Big\Vert\sum_{i,j}\gamma_{ij}\Big(\frac{x_i}{\Vert x_i\Vert} - \frac{y_j}{\Vert y_j\Vert}\Big)\Big\Vert^2 = \Big\Vert\frac{1}{Z}\sum_i x_i - \frac{1}{Z'}\sum_j y_j\Big\Vert^2 .$$
#
# The bound on WRD itself carries a factor ½. The checks: both bounds on random sentences, the range (a word against its negation; a sentence against its negation), and the invariances.

# %%
viol_wcd = viol_wrd = 0
gap_wrd = []
for seed in range(100):
    g = gen(1000 + seed)
    a = torch.randn(int(torch.randint(1, 6, (), generator=g)), 4, generator=g, **f64)
    b = torch.randn(int(torch.randint(1, 6, (), generator=g)), 4, generator=g, **f64)
    viol_wcd += tp.word_centroid_distance(a, b) > tp.word_mover_distance(a, b) + 1e-12
    w, lb = tp.word_rotator_distance(a, b), tp.wrd_lower_bound(a, b)
    viol_wrd += lb > w + 1e-12
    gap_wrd.append(w - lb)
print(
    f"100 random pairs (1-5 words, 4-D): WCD > WMD {viol_wcd} times, bound > WRD {viol_wrd} times; "
    f"median WRD - bound {np.median(gap_wrd):.3f}"
)
one = torch.tensor([[1.0, 2.0, 0.5]], **f64)
tri = torch.tensor([[1.0, 0.0], [-0.5, math.sqrt(3) / 2], [-0.5, -math.sqrt(3) / 2]], **f64)
sent = torch.randn(3, 4, generator=gen(7), **f64)
print(
    f"a word against its negation: WRD = {tp.word_rotator_distance(one, -one):.6f}; three words 120° apart against "
    f"their negations: {tp.word_rotator_distance(tri, -tri):.6f}; a random 3-word sentence: {tp.word_rotator_distance(sent, -sent):.6f}"
)
x5, y5 = torch.randn(3, 4, generator=gen(8), **f64), torch.randn(2, 4, generator=gen(9), **f64)
w = tp.word_rotator_distance(x5, y5)
big = x5.clone()
big[0] *= 5
print(
    f"WRD {w:.6f}; whole sentence × 7: {tp.word_rotator_distance(7 * x5, y5):.6f}; words reordered: "
    f"{tp.word_rotator_distance(x5[[2, 0, 1]], y5):.6f}; one word × 5: {tp.word_rotator_distance(big, y5):.6f}"
)

# %% [markdown]
# A whole sentence's scale does not matter (every mass keeps its share); one word's norm does. In the figure, word $x_1$ keeps its direction while its norm is multiplied by $s$: WRD first falls, then rises towards the WRD of $x_1$ alone, and the dashed line marks where the optimal plan changes which pairs it uses.

# %%
norm = NormFigure()
norm.widget()

# %%
show_exercises(EXERCISES, norm)

# %% [markdown]
# ## Step 5 · everything at once
#
# The opening picture with its other two knobs: the norm of word $A_1$, and the cost. "euclidean" is WMD, "rms" the article's code, "cosine" WRD with the norms as masses (the dots' areas). Whatever you set, WCD ≤ WMD and bound ≤ WRD ≤ 2.

# %%
dirt = PushDirtFigure()
dirt.widget()

# %%
show_exercises(EXERCISES, dirt)

# %% [markdown]
# **WRD is not a metric.** The cost $1 - \cos$ breaks the triangle inequality, and WRD inherits it: take three one-word sentences at 0°, 45° and 90°. WMD, the Wasserstein-1 distance of the Euclidean cost, is a metric.

# %%
ta, tb, tc = ([[math.cos(t), math.sin(t)]] for t in (0.0, math.pi / 4, math.pi / 2))
print(
    f"WRD(A, C) = {tp.word_rotator_distance(ta, tc):.4f} > WRD(A, B) + WRD(B, C) = "
    f"{tp.word_rotator_distance(ta, tb) + tp.word_rotator_distance(tb, tc):.4f}"
)
print(
    f"WMD(A, C) = {tp.word_mover_distance(ta, tc):.4f} ≤ WMD(A, B) + WMD(B, C) = "
    f"{tp.word_mover_distance(ta, tb) + tp.word_mover_distance(tb, tc):.4f}"
)

# %% [markdown]
# The figure: turn and stretch the three words. For each distance the stacked bar is $d(A, B) + d(B, C)$, scaled to height 1, and beside it $d(A, C)$ on the same scale: the triangle inequality holds while that bar stays under the dashed line. Look at WRD's bar with B between A and C (red: it overshoots, by up to a factor 2 as the angles shrink, since $1 - \cos\theta \approx \theta^2/2$), at WMD's, which never crosses, and at the norm sliders, which move WMD and leave WRD alone: one word carries all of its sentence's mass, whatever its norm.

# %%
triangle = TriangleFigure()
triangle.widget()

# %% [markdown]
# **Beyond the article: Sinkhorn.** Add an entropy term at temperature $\varepsilon$ to the LP; the optimal plan becomes $\gamma_{ij} = e^{(f_i + g_j - d_{ij})/\varepsilon}$, and the potentials $f$, $g$ are found by scaling rows and columns in turn (the same alternating normalisation as lesson 14's CAN). As $\varepsilon\to0$ the cost tends to the LP value, as a smooth max tends to the max (lesson 05).

# %%
ps, qs, ds = [0.3, 0.7], [0.2, 0.3, 0.5], [[0.0, 1.0, 2.0], [1.5, 0.5, 1.0]]
print(f"LP value {tp.emd(ps, qs, ds):.9f}")
for eps in (1.0, 0.1, 0.01):
    value, plan = tp.sinkhorn(ps, qs, ds, eps)
    print(f"Sinkhorn at temperature {eps:g}: cost {value:.9f}, plan rows {plan.sum(1).tolist()}")

# %% [markdown]
# The figure: the opening picture's WMD problem (φ = 0) solved by Sinkhorn at temperature ε. Lower ε and watch the cost fall onto the dashed LP value and the entropic plan sharpen into the LP's; raise it and the plan spreads over every pair, its cost rising towards the independent plan's mean distance.

# %%
sinkhorn = SinkhornFigure()
sinkhorn.widget()


# %% [markdown]
# ## Experiments · random sentences as d grows, and the LP's time
#
# For unrelated sentences of iid Gaussian "word vectors" the cross cosines concentrate near 0 as $d$ grows (lesson 02), so WRD concentrates just below 1: what is left below 1 is what the plan gains by choosing the best pairs. Then the time of one LP by sentence length.

# %%
for dim in (2, 10, 300):
    values = [
        tp.word_rotator_distance(
            torch.randn(8, dim, generator=gen(s), **f64), torch.randn(10, dim, generator=gen(500 + s), **f64)
        )
        for s in range(30)
    ]
    print(
        f"d = {dim:3d}: WRD of 8- against 10-word random sentences, mean {np.mean(values):.3f}, sd {np.std(values):.3f}"
    )

# %% [markdown]
# The LP's time by sentence length, measured here: one WMD of $m$ against $m$ words (50-D) and, for the same cost matrix, the assignment solver that step 3 showed gives the same value. Lengths grow by about $\sqrt2$ until one LP's median of three passes the budget of the cell. The measurement runs once per machine and is kept in a cache file (`timing._cache_file()`), so that the figure, and any test that re-draws it, shows the same numbers; delete the file to measure again. Look at the flat start (HiGHS's fixed overhead), the slope of the LP at the longest lengths, and how far the assignment solver stays below it; the slider reads the measured points and, beyond them, the fitted power law.

# %%
lp_times = measure_lp_times()
lp_fit, assign_fit = power_fit(lp_times["m"], lp_times["lp"]), power_fit(lp_times["m"], lp_times["assignment"])
print(
    f"measured m = {', '.join(f'{m:g}' for m in lp_times['m'])}; at m = {lp_times['m'][-1]:g}: one LP "
    f"{1e3 * lp_times['lp'][-1]:.1f} ms, the assignment solver {1e3 * lp_times['assignment'][-1]:.3f} ms (medians of 3); "
    f"growth at the longest lengths ∝ m^{lp_fit[1]:.2f} and m^{assign_fit[1]:.2f}"
)
lp_time = LpTimeFigure()
lp_time.widget()

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article.

# %%
three = tp.emd(p3, q3, cost3)
planar = tp.word_mover_distance(x, y), tp.word_centroid_distance(x, y)
rows = [
    (
        "EMD is a linear programme that scipy's linprog solves",
        "Su",
        f"three bins: LP {three:.6f} = CDF area {tp.emd_1d(p3, q3):.6f}",
        abs(three - tp.emd_1d(p3, q3)) < 1e-9,
    ),
    (
        "Drop the last constraint, or the solver fails",
        "Su",
        f"all rows kept: solved (value {three:.3f}); with Σq = 0.9 the full LP reports status {full.status} (infeasible), the dropped one returns {dropped.fun:.3f}",
        None,
    ),
    (
        "WCD ≤ WMD (triangle inequality)",
        "Su",
        f"planar example {planar[1]:.5f} ≤ {planar[0]:.5f}; 100 random pairs: {viol_wcd} violations",
        viol_wcd == 0 and planar[1] <= planar[0],
    ),
    (
        "The WMD code computes the WMD formula",
        "Su (code)",
        f"the code's mean over d gives WMD × {rms / planar[0]:.5f} for d = 2",
        False,
    ),
    (
        "Su's Jensen bound ≤ WRD",
        "Su",
        f"with the factor ½: {viol_wrd} violations in 100 pairs, median gap {np.median(gap_wrd):.3f}",
        viol_wrd == 0,
    ),
    (
        "WRD lies in [0, 2]",
        "Su (mirror); [−1, 1] in a repost",
        f"a word against its negation {tp.word_rotator_distance(one, -one):.4f}; a random sentence against its negation {tp.word_rotator_distance(sent, -sent):.4f}",
        abs(tp.word_rotator_distance(one, -one) - 2) < 1e-9 and 0 <= tp.word_rotator_distance(sent, -sent) < 2,
    ),
    (
        "WRD is invariant to a sentence's scale, not to one word's norm",
        "Su (norm = importance)",
        f"{w:.4f} → {tp.word_rotator_distance(7 * x5, y5):.4f} (sentence × 7), {tp.word_rotator_distance(big, y5):.4f} (one word × 5)",
        abs(w - tp.word_rotator_distance(7 * x5, y5)) < 1e-9 and abs(w - tp.word_rotator_distance(big, y5)) > 1e-3,
    ),
    (
        "WRD is a distance (triangle inequality)",
        "implied by the name",
        f"{tp.word_rotator_distance(ta, tc):.4f} > {tp.word_rotator_distance(ta, tb) + tp.word_rotator_distance(tb, tc):.4f}",
        False,
    ),
]
display(Markdown(claims_table(rows)))
print(
    f"one WMD LP on {lp_times['m'][-1]:g} × {lp_times['m'][-1]:g} words: {1e3 * lp_times['lp'][-1]:.1f} ms on this machine, "
    f"the assignment solver {lp_times['lp'][-1] / lp_times['assignment'][-1]:.0f} times faster"
)

# %% [markdown]
# **Where the article is loose.**
#
# * **The WMD code is not the formula.** The code's `.mean(axis=2)` gives $\Vert x_i - y_j\Vert/\sqrt d$: the same plan and ranking, a value $\sqrt d$ times smaller (another copy of the post has `.sum`).
# * **Dropping the last row** is harmless on consistent data, and with HiGHS unnecessary; on inconsistent data it returns a number for a different problem. `tp.emd` checks the totals instead.
# * **The range.** WRD reaches 2 only when every transported pair is antipodal; a sentence against its own negation usually stays below, because the plan pairs each word with its least opposed partner.
# * **The bound** on WRD needs the factor ½, and it is loose; WRD is not a metric, WMD is.
