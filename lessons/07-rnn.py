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
# # 07 · Vanishing and exploding gradients in RNN, LSTM and GRU
#
# **The question.** Along a recurrent net, how fast does the gradient from step $T$ fade (or blow up) on its way back to step $t$, and what do the LSTM's and GRU's gates change about it?
#
# **The source.** Su Jianlin, 《也来谈谈RNN的梯度消失/爆炸问题》 ("On the vanishing/exploding gradient problem of RNNs, once more"), Scientific Spaces, 2020-11-13, [kexue.fm/archives/7888](https://kexue.fm/archives/7888). Su's claims: the gradient of an RNN is itself a recurrence; in a simple RNN it is a product of $\mathrm{diag}(1-h_t^2)\,U$ factors, and tanh's saturation reins in explosion where relu does not; in an LSTM the forget gate $f_t$ is the main term of $\partial c_t/\partial c_{t-1}$, the other terms carry extra gates and a factor $|c\,\mathrm{sech}^2 c| < 0.45$ and are small, so $f_t$ alone decides how fast memory fades and explosion is unlikely; the GRU's main term is $1 - z_t$, with less damped secondary terms, so it is less stable.
#
# **You need:** the chain rule for Jacobians, matrix norms and eigenvalues, sigmoid and tanh, and the equations of an LSTM and a GRU; lesson 03 (random matrices with $N(0, s^2/H)$ entries) helps.
# **You will be able to:** write the gradient of a recurrent net as a sum of Jacobian products, compute those products over $10^4$ steps in log space, say why a tanh RNN vanishes or explodes and how the LSTM's forget gate and the GRU's update gate change that, and check each Jacobian against autograd.
#
# Every formula below comes from `theory_lib.rnn`, where it is tested against autograd on torch's own `RNNCell`, `LSTMCell` and `GRUCell`; every number is computed by a cell.

# %%
import math
import os

import torch
from IPython import get_ipython
from IPython.display import Markdown, display
from torch.autograd.functional import jacobian

from theory_lib import default_device, rnn
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.rnn import (
    EXERCISES,
    HIDDEN,
    SEED,
    T_MAX,
    BackpropFigure,
    BoundFigure,
    RNNGradientFigure,
    fits,
    profiles,
    rate_text,
    training_figure,
)

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
H = HIDDEN  # hidden size 16 and seed 0, as in the interactive figure
# Every rate in a table below is fits(s, b, T): the figure's own run (T_MAX steps) over lags 0.1 T .. T,
# so setting the figure to the same s, b and T shows the same number.
gen = lambda seed: torch.Generator(device=device).manual_seed(seed)
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# A simple tanh RNN reads 40 inputs, one per cell. A loss at the end sends a gradient into the last state $h_T$, and backpropagation carries it back, cell by cell, to $h_0$. Each bar is the size of the gradient that arrives at $h_t$ (a log scale: $-5$ means $10^{-5}$ of what entered); each square on top, and the bar's colour, says what the cell it just passed did to it: blue, it shrank; red, it grew. The one control is the scale $s$ of the recurrent weights. At $s = 1$ nearly every cell shrinks the gradient a little, and forty small shrinks make a vanishing gradient. Move $s$ and watch the cells turn red. The rest of the lesson makes this picture exact: what each cell multiplies by, why tanh reins it in, and what the gates of an LSTM and a GRU change.

# %%
opening = BackpropFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · the gradient of an RNN is itself an RNN
#
# Write the recurrence as $h_t = F(x_t, h_{t-1}; \theta)$. The chain rule gives a recurrence for the gradient,
#
# $$\frac{dh_t}{d\theta} = \underbrace{\frac{\partial h_t}{\partial h_{t-1}}}_{J_t}\,\frac{dh_{t-1}}{d\theta} + \frac{\partial h_t}{\partial\theta},
# \qquad\text{so}\qquad
# \frac{dh_T}{d\theta} = \sum_{t=1}^{T} \underbrace{J_T J_{T-1}\cdots J_{t+1}}_{\partial h_T/\partial h_t}\;\frac{\partial h_t}{\partial\theta}.$$
#
# The gradient is a *sum over time*, and the term from step $t$ is carried back by the product $\partial h_T/\partial h_t$. If these products shrink geometrically with the lag $T-t$, the far steps stop contributing: that is what "vanishing" means for an RNN. The total gradient does not vanish (the recent terms are still there); the net just cannot learn from far back. If they grow geometrically, the far terms swamp everything: "exploding".
#
# Check: for a tanh RNN and a loss $L = \langle g, h_T\rangle$, autograd's $\partial L/\partial U$ against that sum, built term by term.

# %%
T = 30
p = rnn.init_params("rnn-tanh", H, 1.0, seed=SEED, device=device)
x = torch.randn(T, H, generator=gen(1), **f64)
g = torch.randn(H, generator=gen(2), **f64)

U = p["weight_hh"].clone().requires_grad_()  # autograd through the unrolled net
h = torch.zeros(H, **f64)
for t in range(T):
    h = torch.tanh(p["weight_ih"] @ x[t] + U @ h)
(g @ h).backward()

run = rnn.state_jacobians("rnn-tanh", x, p)  # states (T+1, H), J_t (T, H, H)
v, terms = g.clone(), []  # v = (J_T ... J_{t+1})^T g, built backwards
for t in range(T, 0, -1):
    terms.append(torch.outer((1 - run.states[t] ** 2) * v, run.states[t - 1]))  # ∂L/∂U through step t
    v = run.state[t - 1].T @ v
print("max |autograd − sum over t| =", (U.grad - sum(terms)).abs().max().item())
for lag in (0, 5, 10, 20, 25):
    print(f"term from lag T − t = {lag:2d}: size {terms[lag].norm().item():.2e}")

# %% [markdown]
# ## Step 2 · the simple RNN: $(1 - h_t^2)\,U$, and what tanh's saturation does
#
# For $h_t = \tanh(W x_t + U h_{t-1} + b)$ the one-step Jacobian is $J_t = \mathrm{diag}(1 - h_t^2)\,U$, and since $0 < 1 - h^2 \le 1$,
#
# $$\Big\|\frac{\partial h_T}{\partial h_t}\Big\|_2 \;\le\; \prod_{s=t+1}^{T} \|\mathrm{diag}(1-h_s^2)\|_2\,\|U\|_2 \;\le\; \|U\|_2^{\,T-t}.$$
#
# With $\|U\|_2 < 1$ the gradient surely vanishes. With $\|U\|_2 > 1$ the bound allows explosion, but a large $U$ also drives the pre-activations into tanh's flat tails, where $1 - h^2 \approx 0$: saturation pulls the product back down. For relu the derivative is exactly 1 on every active unit, and nothing pulls back. Weights here are $U_{ij} \sim \mathcal N(0, s^2/H)$, so $s = 1$ gives a spectral radius of about 1.
#
# We measure the **decay rate** $\lambda$: the slope of $\log\|\partial s_T/\partial s_t\|$ against the lag, so $\|\partial s_T / \partial s_t\| \approx C e^{-\lambda (T-t)}$. $\lambda > 0$ vanishes (half-life $\log 2/\lambda$ steps), $\lambda < 0$ explodes. $\lambda$ is a least-squares slope over a *window* of lags, $0.1\,T$ to $T$, so it belongs to the run and the window, not to the cell alone: where the curve bends, a short window and a long one give different rates, and every rate below is quoted with its $T$. Two more verdicts come from the same fit (`rnn.decay_fit`): **saturates** where the norm moves by at least a factor 2 over the window's first half and then nearly stops (or turns back), a bounded change with no exponential rate; **flat** where the fitted line moves the norm by less than a factor 2 over the whole window, too slow to measure at that $T$. Every table computes its rates from the interactive figure's own run (`fits(s, b, T)`, the last $T$ steps of one sequence of the figure's full length), so the figure at the same $s$, $b$ and $T$ shows the same numbers. The norm is the rms singular value $\|P\|_F/\sqrt{S}$ (the typical gain seen by a random upstream gradient); the spectral norm differs by at most $\tfrac12\log S$, so it gives the same rate.

# %%
# the formula against autograd on torch's own nn.RNNCell, one step
m = torch.nn.RNNCell(H, H, dtype=torch.float64, device=device)
m.load_state_dict(p)
J_autograd = jacobian(lambda s: m(x[:1], s[None])[0], run.states[0])
print("max |diag(1 − h²) U − autograd| =", (run.state[0] - J_autograd).abs().max().item())

T_table = 1000
rows = [
    f"| weight scale s | ‖U‖₂ bound: rate −log‖U‖₂ | tanh: λ (T = {T_table}) | relu: λ (T = {T_table}) | tanh: mean 1 − h² |",
    "|---|---|---|---|---|",
]
for s in (0.5, 1.0, 1.5, 2.0, 3.0, 5.0):
    fit = fits(s, 0.0, T_table)
    U_s = rnn.init_params("rnn-tanh", H, s, seed=SEED, device=device)["weight_hh"]
    hs = rnn.state_jacobians(
        "rnn-tanh",
        torch.randn(1000, H, generator=gen(3), **f64),
        rnn.init_params("rnn-tanh", H, s, seed=SEED, device=device),
    ).states
    rows.append(
        f"| {s} | {-math.log(torch.linalg.matrix_norm(U_s, ord=2).item()):+.3f} | "
        f"{rate_text(fit['rnn-tanh'])} | {rate_text(fit['rnn-relu'])} | {(1 - hs[1:] ** 2).mean().item():.3f} |"
    )
print(
    f"rates over lags {fit['rnn-tanh'].lags[0]}–{T_table}; set T = {T_table} on the figure below to read the same numbers"
)
display(Markdown("\n".join(rows)))

# %% [markdown]
# Read the table from top to bottom. The bound is far from tight: a random $U$ has $\|U\|_2 \approx 2s$ while its eigenvalues fill a disc of radius about $s$, and the product of many factors follows the eigenvalues more than the norm. For small $s$ both cells vanish much faster than the bound requires. As $s$ grows, relu's rate turns negative early and keeps falling: it explodes, faster and faster. (Where the relu column says *saturates*, its norm rose over the window's first half and then levelled off: a bounded change, with no exponential rate to quote.) tanh's rate falls much more slowly, because its mean $1 - h^2$ (last column) shrinks as $s$ grows: saturation at work. But look at the largest scales: tanh's rate turns negative too. Saturation slows explosion down; it does not forbid it (a strongly driven tanh RNN is chaotic, and nearby trajectories separate exponentially). The article's "tanh keeps the gradient bounded" is loose in that sense.
#
# The two sides of the bound, drawn together over the opening picture's 40 cells: the dashed red line is $\|U\|_2^{\,k}$, the solid lines the real $\|\partial h_T/\partial h_{T-k}\|_2$ for tanh and for relu with the same $U$. The bound always holds; how far it sits above the real product is the point.

# %%
bound_figure = BoundFigure()
bound_figure.widget()

# %%
show_exercises(EXERCISES, bound_figure)

# %% [markdown]
# ## Step 3 · products of $10^4$ Jacobians, in log space
#
# At a rate of $\lambda$ per step the product over $10^4$ steps is $e^{-10^4 \lambda}$: for any $|\lambda| \gtrsim 0.075$ that is past the float64 range ($e^{\pm 709}$). `log_product_norms` keeps the product as (log-scale, normalised matrix): each $J_t$ is divided by its Frobenius norm (the logs are summed), the running product never grows after that, and it is renormalised every 16 steps. A plain product of the same matrices simply underflows:

# %%
x4 = torch.randn(10_000, H, generator=gen(4), **f64)
J4 = rnn.state_jacobians("lstm", x4, rnn.init_params("lstm", H, 1.0, seed=SEED, device=device)).state
ell = rnn.log_product_norms(J4)  # log‖J_T ⋯ J_{t+1}‖ for t = 0 .. T
P = torch.eye(2 * H, **f64)
for k, Jt in enumerate(reversed(J4)):  # the plain product, from the end
    P = P @ Jt
    if k + 1 == 100:
        print(
            f"lag 100:    plain {math.log(torch.linalg.matrix_norm(P).item() / math.sqrt(2 * H)):.6f}, "
            f"log space {ell[-101].item():.6f}"
        )
print(f"lag 10 000: plain ‖P‖ = {torch.linalg.matrix_norm(P).item()}, log space log‖P‖ = {ell[0].item():.1f}")

# %% [markdown]
# The same machinery, `gradient_norms(cell, T, hidden, weight_scale, forget_bias)`, runs a random cell over $T$ steps of Gaussian inputs and returns $\log\|\partial s_T/\partial s_t\|$ for every $t$ (for the LSTM the state is $s = (h, c)$). The interactive figure runs all four cells once per setting, over the longest $T$ its slider offers; at the default settings of this lesson ($H = 16$, $s = 1$, bias 0, seed 0) and that longest $T$:

# %%
default_rates = fits(1.0, 0.0, T_MAX)  # all four cells, the figure's run, T = T_MAX
window = default_rates["lstm"].lags
rows = [
    f"| cell | log‖∂s_T/∂s_0‖ at T = {T_MAX} | decay rate λ per step (lags {window[0]}–{window[1]}) | half-life (steps) |",
    "|---|---|---|---|",
]
for cell, fit in default_rates.items():
    half = f"{math.log(2) / fit.rate:.2f}" if fit.verdict == "vanishes" else "none"
    rows.append(f"| {cell} | {profiles(1.0, 0.0)[cell]['state'][T_MAX]:.0f} | {rate_text(fit, 3)} | {half} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# At these settings every cell forgets within a few steps, the gated ones included: a gate is only as good as its bias.
#
# ## Step 4 · the LSTM: the forget gate is the main term
#
# torch's LSTM (gates in the order $i, f, g, o$):
# $$i, f, o = \sigma(\cdot),\quad g = \tanh(W_g x_t + U_g h_{t-1} + b_g),\qquad c_t = f_t\,c_{t-1} + i_t\,g_t,\qquad h_t = o_t \tanh c_t .$$
# Su follows the cell state. The gates see $c_{t-1}$ only through $h_{t-1} = o_{t-1}\tanh c_{t-1}$, so (holding $o_{t-1}$)
#
# $$\frac{\partial c_t}{\partial c_{t-1}} = f_t + \underbrace{c_{t-1}\frac{\partial f_t}{\partial c_{t-1}} + g_t\frac{\partial i_t}{\partial c_{t-1}} + i_t\frac{\partial g_t}{\partial c_{t-1}}}_{\text{secondary terms}},
# \qquad c_{t-1}\frac{\partial f_t}{\partial c_{t-1}} = c_{t-1}\, f_t(1-f_t)\,U_f\; o_{t-1}\big(1-\tanh^2 c_{t-1}\big).$$
#
# Every factor $f_t$, $1 - f_t$, $o_{t-1}$ lies in $(0, 1)$, and $|c\,\mathrm{sech}^2 c|$ has a maximum below 0.45 (at $c^*$ with $2c^*\tanh c^* = 1$). So the secondary terms are "$U$ times several gates", while the main term $f_t \in (0,1)$ cannot explode, and it is exactly what the model learns to keep near 1 when it needs memory.

# %%
bound = rnn.secondary_term_bound()
c_grid = torch.linspace(-6, 6, 1_200_001, **f64)
print(f"max |c sech² c| = {bound:.6f}  (dense grid: {(c_grid / torch.cosh(c_grid) ** 2).abs().max().item():.6f})")

# the split against autograd: c_t as a function of c_{t-1}, with o_{t-1} held
pl = rnn.init_params("lstm", H, 1.0, 1.0, seed=SEED, device=device)
xl = torch.randn(50, H, generator=gen(5), **f64)
terms = rnn.lstm_terms(xl, pl)  # rows: t = 2 .. 50
m = torch.nn.LSTMCell(H, H, dtype=torch.float64, device=device)
m.load_state_dict(pl)
states = rnn.state_jacobians("lstm", xl, pl).states  # (h, c) stacked
t = 10
h1, c1 = states[t - 1, :H], states[t - 1, H:]
o1 = h1 / torch.tanh(c1)
J_c = jacobian(lambda c: m(xl[t - 1 : t], (o1 * torch.tanh(c[None]), c[None]))[1][0], c1)
print("max |f + secondary terms − autograd| =", (terms.total[t - 2] - J_c).abs().max().item())

# %% [markdown]
# How small are the secondary terms in practice? Per step, compare the size (rms norm) of the main term $\mathrm{diag}(f_t)$ with that of the three secondary terms together, for a few forget-gate biases $b$:

# %%
rms = lambda A: torch.linalg.matrix_norm(A) / math.sqrt(A.shape[-1])
rows = ["| forget bias b | mean f | ‖diag f‖ per step | ‖secondary‖ per step | max \\|c\\| |", "|---|---|---|---|---|"]
for b in (-2.0, 0.0, 2.0, 4.0):
    tr = rnn.lstm_terms(
        torch.randn(500, H, generator=gen(6), **f64), rnn.init_params("lstm", H, 1.0, b, seed=SEED, device=device)
    )
    second = tr.via_forget + tr.via_input + tr.via_candidate
    rows.append(
        f"| {b} | {tr.forget.mean().item():.3f} | {rms(torch.diag_embed(tr.forget)).mean().item():.3f} | "
        f"{rms(second).mean().item():.3f} | {tr.c_prev.abs().max().item():.2f} |"
    )
display(Markdown("\n".join(rows)))

# %% [markdown]
# Once the forget gate is open ($b \ge 0$) the secondary terms are indeed smaller than the main term, per step, and shrink further as $f \to 1$; with a mostly closed gate ($b = -2$) they are as large as it. Two more things in the argument are looser than they look.
#
# **The 0.45 bound is a scalar bound.** In matrix form the first secondary term is $\mathrm{diag}(c_{t-1} f_t(1-f_t))\,U_f\,\mathrm{diag}(o_{t-1}\,\mathrm{sech}^2 c_{t-1})$: row $i$ carries $c_{t-1,i}$ and column $j$ carries $\mathrm{sech}^2 c_{t-1,j}$. Only on the diagonal do they meet as $c\,\mathrm{sech}^2 c$. Off the diagonal the factor is $c_i\,\mathrm{sech}^2 c_j$, bounded only by $|c_i|$, and $|c|$ grows when $f \approx 1$ (last column above).

# %%
pb = rnn.init_params("lstm", H, 1.0, 3.0, seed=SEED, device=device)
tb = rnn.lstm_terms(torch.randn(500, H, generator=gen(7), **f64), pb)
ratio = tb.via_forget / (
    (tb.forget * (1 - tb.forget)).unsqueeze(-1) * pb["weight_hh"][H : 2 * H]
)  # c_i · o_j sech²(c_j)
diag = ratio.diagonal(dim1=-2, dim2=-1).abs().max().item()
off = (ratio - torch.diag_embed(ratio.diagonal(dim1=-2, dim2=-1))).abs().max().item()
print(f"bias 3: largest |c_i o_j sech² c_j| on the diagonal {diag:.3f} (bound {bound:.3f}), off it {off:.3f}")

# %% [markdown]
# **Small per step is not small over many steps.** What matters is the product. Compare the exact product over the LSTM's full state $(h, c)$, the product of the article's $\partial c_t/\partial c_{t-1}$ (main + secondary terms), and the product of the main terms $\mathrm{diag}(f_t)$ alone:

# %%
rows = [
    f"| forget bias b | exact λ (T = {T_MAX}) | article's ∂c/∂c chain λ | ∏ f alone λ | −mean log f |",
    "|---|---|---|---|---|",
]
for b in (-2.0, 0.0, 1.0, 2.0, 4.0):
    exact, chain, main = (
        fits(1.0, b, T, kind)["lstm"] for T, kind in ((T_MAX, "state"), (T_MAX - 1, "chain"), (T_MAX, "main"))
    )
    f = rnn.state_jacobians(
        "lstm",
        torch.randn(2000, H, generator=gen(8), **f64),
        rnn.init_params("lstm", H, 1.0, b, seed=SEED, device=device),
    ).main
    rows.append(
        f"| {b} | {rate_text(exact, 4)} | {rate_text(chain, 4)} | {rate_text(main, 4)} | {-torch.log(f).mean().item():.4f} |"
    )
print(f"s = 1, rates over lags {exact.lags[0]}–{exact.lags[1]} (the chain needs o_0, so it stops one lag short)")
display(Markdown("\n".join(rows)))

# %% [markdown]
# The article's reduction to $\partial c_t/\partial c_{t-1}$ is sound: its chain decays at the rate of the exact product. And the forget gate does set the scale: raise $b$ and every rate falls together, towards the gate's own $-\log f$. But the main term *alone* is not the answer: at small biases $\prod f_t$ decays markedly faster than the real gradient. The secondary terms, small per step, keep feeding gradient back through $U$, and over many steps they add up to a slower decay. (The last column is the per-step log of a typical gate; the product's rms is dominated by the units whose $f$ stays largest, so "∏ f alone" decays slower than it.)
#
# ## Step 5 · the GRU: main term $1 - z_t$, less damped
#
# torch's GRU keeps a fraction $z_t$ of the old state: $h_t = (1 - z_t)\,n_t + z_t\,h_{t-1}$, with $n_t = \tanh(W_n x_t + b_n + r_t \odot (U_n h_{t-1} + b_{hn}))$. Su writes the same cell with $z \leftrightarrow 1 - z$, so his main term $1 - z_t$ is torch's $z_t$ (the slider "gate bias" pushes this gate towards 1 in both cells). Then
#
# $$\frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}(z_t) + \mathrm{diag}\big((h_{t-1} - n_t)\, z_t(1-z_t)\big)U_z + \mathrm{diag}\big((1-z_t)(1-n_t^2)\big)\big(\mathrm{diag}(r_t)\,U_n + \mathrm{diag}\big((U_n h_{t-1} + b_{hn})\, r_t(1-r_t)\big)U_r\big).$$
#
# **Which GRU.** Two forms are in use, and they differ in where the reset gate sits. Cho et al. (2014) put it *inside* the candidate's matrix product (Su's article writes its GRU with Cho's gates, the update $h_t = (1 - z_t) h_{t-1} + z_t \hat h_t$; we have not been able to check against a stored copy which of the two places it gives $r_t$): $\hat h_t = \tanh\big(W_h x_t + U_h (r_t \odot h_{t-1}) + b\big)$. torch (like cuDNN) puts it *outside*: $n_t = \tanh\big(W_n x_t + b_n + r_t \odot (U_n h_{t-1} + b_{hn})\big)$. This lesson uses torch's form throughout, so that its formula can be checked against `nn.GRUCell`. In Cho's form the $U_n$ term above becomes $U_h\,\mathrm{diag}(r_t)$ instead of $\mathrm{diag}(r_t)\,U_n$, and the reset term carries $U_h\,\mathrm{diag}(h_{t-1} r_t(1-r_t))\,U_r$; in both, the candidate's path carries one factor $r$ and one $(1-z)(1-n^2)$, so Su's argument reads the same.
#
# Check, as for the LSTM: the formula above against autograd through torch's own `nn.GRUCell`, at one step of a 50-step run.

# %%
pg = rnn.init_params("gru", H, 1.0, 1.0, seed=SEED, device=device)
xg = torch.randn(50, H, generator=gen(10), **f64)
run_g = rnn.state_jacobians("gru", xg, pg)  # J_t for t = 1 .. 50 at index t - 1
m = torch.nn.GRUCell(H, H, dtype=torch.float64, device=device)
m.load_state_dict(pg)
t = 10
J_gru = jacobian(lambda h: m(xg[t - 1 : t], h[None])[0], run_g.states[t - 1])  # ∂h_t/∂h_(t-1), autograd
gru_error = (run_g.state[t - 1] - J_gru).abs().max().item()
print("torch's GRU: max |diag(z) + secondary terms − autograd| =", gru_error)

# %% [markdown]
# The factor $|h - n| \le 2$ replaces the LSTM's $|c\,\mathrm{sech}^2 c| < 0.45$, and the $U_n$ term carries only $(1-z)(1-n^2)\,r$: fewer gates, less damping. Su's conclusion: the GRU is less stable. Large weight scales are where that should show:

# %%
T_table = 1000
rows = [f"| weight scale s | LSTM λ (T = {T_table}) | GRU λ (T = {T_table}) |", "|---|---|---|"]
for s in (1.0, 2.0, 3.0, 5.0):
    fit = fits(s, 0.0, T_table)
    rows.append(f"| {s} | {rate_text(fit['lstm'], 4)} | {rate_text(fit['gru'], 4)} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# ## See it move
#
# Left: $\log_{10}\|\partial s_T/\partial s_t\|$ against the lag $T - t$ for all four cells, the chosen one in bold with its fitted slope. Right: the gated cells' exact products against their main terms alone ($\prod f_t$ for the LSTM, with the article's $\partial c_t/\partial c_{t-1}$ chain dotted; $\prod z_t$ for the GRU). The line under the figure gives every cell's decay rate $\lambda$, with the $T$ and the window it was fitted over, or says where the norm saturates (no slope line is drawn then) or is too flat to measure at that $T$.
#
# Controls: the **cell**, the **weight scale** $s$ ($U \sim \mathcal N(0, s^2/H)$), the **gate bias** $b$ (added to the LSTM's $f$ and the GRU's $z$; the plain RNNs ignore it) and the **sequence length** $T$. For each (scale, bias) the figure runs every cell once over the longest $T$ on the slider and caches the result; $T$ only slices it (the curves for a shorter $T$ are the last $T$ steps of that run, as in the tables above), and changing the cell only restyles lines, so both are instant. A new scale or bias costs one run of the four cells, a fraction of a second. Each cell has its own colour *and* marker, so the curves can be told apart without colour.

# %%
figure = RNNGradientFigure()
figure.widget()

# %%
show_exercises(EXERCISES, figure)

# %% [markdown]
# ## Beyond the article · which cell learns a long dependency?
#
# The adding problem: a sequence of values $u_t \sim U(0,1)$ with two marked positions, the first within the first tenth of the sequence, the second in the second half; the target is the sum of the two marked values. Predicting the mean scores $\mathrm{MSE} = \mathrm{Var}(u_1 + u_2) = 1/6$; remembering only the recent marked value scores $\mathrm{Var}(u_1) = 1/12$; only a memory across the gap gets near 0. Each cell (hidden size 16, torch's default initialisation, Adam, gradients clipped to norm 1) trains for 400 steps of 32 sequences, $T = 20$. Next to the result: how much gradient reached from the last step back to the first at initialisation, on the same task's inputs.

# %%
runs = {
    "rnn-tanh": ("rnn-tanh", 0.0),
    "rnn-relu": ("rnn-relu", 0.0),
    "lstm, b = 0": ("lstm", 0.0),
    "lstm, b = 3": ("lstm", 3.0),
    "gru, b = 0": ("gru", 0.0),
}
T_add = 20
x_add, _ = rnn.adding_task(T_add, 64, generator=gen(9), device=device, dtype=torch.float64)
results, rows = (
    {},
    ["| cell | test MSE | memory across the gap (MSE < 1/12)? | log₁₀‖∂s_T/∂s_1‖ at init |", "|---|---|---|---|"],
)
for label, (cell, b) in runs.items():
    res = rnn.train_adding(cell, T_add, hidden=16, steps=400, batch=32, forget_bias=b, seed=0, device=device)
    results[label] = res
    reach = rnn.log_product_norms(rnn.state_jacobians(cell, x_add, res.initial).state)[1].mean().item()
    rows.append(
        f"| {label} | {res.test_mse:.4f} | {'yes' if res.test_mse < 1 / 12 else 'no'} | {reach / math.log(10):.1f} |"
    )
rows.append(f"| *no memory* | {1 / 6:.4f} | | |")
rows.append(f"| *only the late value* | {1 / 12:.4f} | | |")
display(Markdown("\n".join(rows)))

# %%
training_figure(results, {"no memory 1/6": 1 / 6, "late value only 1/12": 1 / 12})

# %% [markdown]
# Compare the plain RNNs with the gated cells, and the LSTM with $b = 0$ against $b = 3$: the forget bias, which sets how much gradient reaches the first step at initialisation (last column), decides how soon the LSTM finds the dependency (see the curves). The initial reach does not rank the cells on its own, though: gates move during training, so a cell can start with a poor reach and open up (watch the GRU, the "less stable" cell of Step 5). One seed and a few hundred steps are a demonstration, not a benchmark: change `seed` or `steps` and the middle of the table moves.

# %% [markdown]
# ## Summary
#
# What the lesson established, each with its number computed here, and the verdict against the article. Rates are quoted with the $T$ they were fitted over; the figure shows the same numbers at the same $s$, $b$ and $T$.

# %%
T_claims = 1000
r3, r5 = fits(3.0, 0.0, T_claims), fits(5.0, 0.0, T_claims)
lam0, lam4 = fits(1.0, 0.0, T_MAX)["lstm"].rate, fits(1.0, 4.0, T_MAX)["lstm"].rate
main0 = fits(1.0, 0.0, T_MAX, "main")["lstm"].rate
grid = {(s, b): fits(s, b, T_claims)["lstm"] for s in (1.0, 3.0, 5.0) for b in (0.0, 3.0, 6.0)}
(worst_s, worst_b), worst = min(grid.items(), key=lambda kv: kv[1].rate)
rnn_error = (run.state[0] - J_autograd).abs().max().item()
tanh_rate, relu_rate = r3["rnn-tanh"].rate, r3["rnn-relu"].rate
rows = [
    (
        "simple RNN: ∂h_t/∂h_(t−1) = diag(1 − h_t²) U",
        "Su",
        f"against autograd on nn.RNNCell: max deviation {rnn_error:.1e}",
        rnn_error < 1e-12,
    ),
    (
        "tanh's saturation reins in explosion, relu's does not",
        "Su",
        f"s = 3, T = {T_claims}: λ tanh {rate_text(r3['rnn-tanh'])}, relu {rate_text(r3['rnn-relu'])}"
        + (" (tanh explodes too, only slower)" if relu_rate < tanh_rate < 0 else ""),
        True if tanh_rate > 0 > relu_rate else (None if relu_rate < tanh_rate < 0 else False),
    ),
    (
        "|c sech² c| < 0.45 keeps the LSTM's secondary terms small",
        "Su",
        f"max {bound:.4f} per unit; the matrix's off-diagonal factor c_i sech² c_j reaches {off:.2f} (b = 3)",
        None if off > 0.45 else True,
    ),
    (
        "the forget gate f_t is the main term of ∂c_t/∂c_(t−1)",
        "Su",
        f"b = 0, T = {T_MAX}: λ exact {lam0:.3f}, ∏ f alone {main0:.3f}: small per step, not over many",
        None if main0 > 1.2 * lam0 else True,
    ),
    (
        "the forget gate decides how fast memory fades",
        "Su",
        f"T = {T_MAX}: λ exact {lam0:.4f} at b = 0, {lam4:.4f} at b = 4",
        lam4 < lam0 / 10,
    ),
    (
        "LSTM explosion is unlikely",
        "Su",
        f"most negative λ over s ∈ {{1, 3, 5}}, b ∈ {{0, 3, 6}} (T = {T_claims}): {worst.rate:+.4f} "
        f"(s = {worst_s:g}, b = {worst_b:g}, {worst.verdict})",
        worst.rate > -0.01,
    ),
    (
        "GRU: ∂h_t/∂h_(t−1) = z_t (Su's 1 − z_t) + secondary terms",
        "Su, in Cho's form; checked in torch's",
        f"torch's form against autograd on nn.GRUCell: max deviation {gru_error:.1e}",
        gru_error < 1e-12,
    ),
    (
        "the GRU is less stable than the LSTM",
        "Su",
        f"s = 5, T = {T_claims}: λ LSTM {rate_text(r5['lstm'], 4)}, GRU {rate_text(r5['gru'], 4)}",
        r5["gru"].rate < r5["lstm"].rate,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.** Its bounds are per step and per unit. Saturation slows a tanh RNN's explosion but does not forbid it: at large weight scales its gradient grows exponentially too. The $0.45$ bound on $c\,\mathrm{sech}^2 c$ holds on the diagonal only; the matrix's off-diagonal factors grow with $|c|$. And "small per step" does not make the secondary terms small over many steps: $\prod f_t$ alone decays faster than the real gradient, so the forget gate sets the scale of the memory, not its exact length. Its GRU follows Cho's convention for $z$, not the one torch and cuDNN run; where the reset gate sits moves one factor, not the argument.
