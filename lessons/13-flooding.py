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
# # 13 · Flooding: do we need to drive the training loss to zero?
#
# **The question.** Flooding trains on $|\mathcal L - b| + b$ instead of $\mathcal L$: ordinary descent while the loss is above a level $b$, gradient *ascent* once it falls below. What does that do once the loss is below $b$, and why would it help?
#
# **The source.** Su Jianlin, 《我们真的需要把训练集的损失降低到零吗？》 ("Do we really need to drive the training loss to zero?"), Scientific Spaces, 2020-07-31, https://kexue.fm/archives/7643, on Ishida et al., *Do We Need Zero Training Loss After Achieving Zero Training Error?* (ICML 2020, arXiv 2002.08709). Su's claims: one descent step and one ascent step at the same learning rate $\varepsilon$ are, to second order, one gradient-descent step on $\Vert\nabla_\theta\mathcal L\Vert^2$ at rate $\varepsilon^2/2$, with no $\mathcal L$ term left; so flooding, once the loss is small, minimises the gradient norm and pushes the parameters toward flatter regions. With unequal rates $\varepsilon_1 > \varepsilon_2$ the pair descends $\mathcal L + \frac{\varepsilon_1\varepsilon_2}{2(\varepsilon_1-\varepsilon_2)}\Vert\nabla_\theta\mathcal L\Vert^2$.
#
# **You need:** gradient descent, Taylor expansion to first order of a vector field (the Hessian–gradient product), cross-entropy training of a small network; lesson 05 for $|x|$ and $\mathrm{sign}$ as a non-smooth loss.
# **You will be able to:** derive the two-step identity and its error order, compute the objective that unequal rates descend, say why a small gradient at a fixed loss means a flat minimum, and check when the argument applies (strict alternation, one scalar learning rate) and when it does not (mini-batches, Adam).
#
# Every formula below comes from `theory_lib.flooding`, where it is tested against an independent route; every number is computed by a cell.

# %%
import math
import os

import torch
from IPython import get_ipython
from IPython.display import Markdown, display

from theory_lib import default_device, flooding as fl
from theory_lib.figures.exercises import claims_table, show_exercises
from theory_lib.figures.flooding import (
    EXERCISES,
    ExperimentFigure,
    OpeningFigure,
    TwoStepFigure,
    UnequalRatesFigure,
    ValleyFigure,
    flood_run,
)

# headless test runs set MPLBACKEND=Agg; JupyterLab gets live figures
if os.environ.get("MPLBACKEND", "").lower() != "agg":
    get_ipython().run_line_magic("matplotlib", "widget")  # %matplotlib widget, as plain Python for the text form

device = default_device()  # CUDA when present, else the CPU
f64 = dict(dtype=torch.float64, device=device)
theta0 = torch.tensor([0.5, -0.3], **f64)  # a point on the smooth toy loss
print("computing on", device)

# %% [markdown]
# ## The picture first
#
# A valley: $\mathcal L(u, v) = \tfrac12(1 + v^2)u^2$. Every point of the line $u = 0$ is a minimum with loss 0, but not every minimum is alike: across the valley the curvature is $1 + v^2$, so the floor is sharp at large $|v|$ and flattest at $v = 0$. Start at $(u, v) = (1, 2)$ and take 20 000 gradient steps at $\varepsilon = 0.05$. Plain descent (blue) falls straight down and stops on a sharp part of the floor. Flooding (red) falls until the loss reaches $b$, then zigzags across the level set $\mathcal L = b$ (dashed), and slowly creeps along the valley to its flattest point. Middle: the sharpness $1 + v^2$ along the steps; right: the loss. Move $b$; the lesson explains the creep.

# %%
opening = OpeningFigure()
opening.widget()

# %%
show_exercises(EXERCISES, opening)

# %% [markdown]
# ## Step 1 · the flooded loss and its gradient
#
# $$\tilde{\mathcal L}(\theta) = |\mathcal L(\theta) - b| + b, \qquad \nabla_\theta\tilde{\mathcal L} = \mathrm{sign}(\mathcal L - b)\,\nabla_\theta\mathcal L .$$
#
# Above $b$ nothing changes; below $b$, $\tilde{\mathcal L} = 2b - \mathcal L$ and a descent step on it is an ascent step on $\mathcal L$. So once the training loss reaches $b$, steps alternate: one takes it below $b$, the next back above. `flooding_loss(loss, b)` is the formula; autograd gives the sign rule:

# %%
for b in (0.1, 1.0):
    t = theta0.clone().requires_grad_(True)
    loss = fl.toy_loss(t)
    (g_flood,) = torch.autograd.grad(fl.flooding_loss(loss, b), t)
    print(
        f"L = {loss.item():.4f}, b = {b}: grad of |L - b| + b = {g_flood.tolist()}, "
        f"sign(L - b) grad L = {(math.copysign(1, loss.item() - b) * fl.toy_gradient(theta0)).tolist()}"
    )

# %% [markdown]
# ## Step 2 · two alternating steps, to second order
#
# Write $g(\theta) = \nabla_\theta\mathcal L(\theta)$. One descent step and one ascent step at the same rate $\varepsilon$:
#
# $$\theta_1 = \theta_0 - \varepsilon g(\theta_0), \qquad \theta_2 = \theta_1 + \varepsilon g(\theta_1).$$
#
# Expand $g(\theta_1) = g(\theta_0) - \varepsilon H g(\theta_0) + O(\varepsilon^2)$, with $H$ the Hessian, and use $Hg = \tfrac12\nabla_\theta\Vert g\Vert^2$:
#
# $$\theta_2 = \theta_0 - \varepsilon g + \varepsilon\big(g - \varepsilon H g\big) + O(\varepsilon^3) = \theta_0 - \frac{\varepsilon^2}{2}\nabla_\theta\Vert g(\theta_0)\Vert^2 + O(\varepsilon^3).$$
#
# The $\mathcal L$ terms cancel: the pair is one descent step on $\Vert\nabla_\theta\mathcal L\Vert^2$ at rate $\varepsilon^2/2$. Spread over the two steps, that is descent on $\frac{\varepsilon}{4}\Vert\nabla_\theta\mathcal L\Vert^2$ per step, and nothing on $\mathcal L$ itself.
#
# Two checks. For a quadratic $\mathcal L = \tfrac12\theta^\top A\theta$, $g = A\theta$ is linear and the expansion stops: $\theta_2 = (I + \varepsilon A)(I - \varepsilon A)\theta_0 = \theta_0 - \varepsilon^2 A^2\theta_0$ exactly. On the smooth non-quadratic toy $\mathcal L = \mathrm{softplus}(\theta_1) + \theta_2^4/4 + \theta_1\theta_2$, the error of `equivalent_step` against `descent_ascent` should fall by $2^3 = 8$ when $\varepsilon$ halves.

# %%
A = torch.tensor([[2.0, 0.5], [0.5, 1.0]], **f64)
quadratic = lambda t: 0.5 * t @ A @ t  # noqa: E731
eps = 0.1
exact_quadratic = theta0 - eps**2 * A @ A @ theta0
print(
    "quadratic: |descent_ascent - (theta0 - eps^2 A^2 theta0)| =",
    f"{(fl.descent_ascent(theta0, quadratic, eps) - exact_quadratic).norm().item():.1e}",
)
errors = {}
for eps in (0.1, 0.05, 0.025, 0.0125):
    moved = fl.descent_ascent(theta0, fl.toy_loss, eps)
    errors[eps] = (moved - fl.equivalent_step(theta0, fl.toy_loss, eps)).norm().item()
    print(f"toy, eps = {eps:<6}: |move| = {(moved - theta0).norm().item():.3e}, |error| = {errors[eps]:.3e}")
ratios = [errors[e] / errors[e / 2] for e in (0.1, 0.05, 0.025)]
print("error ratios when eps halves:", ", ".join(f"{r:.2f}" for r in ratios), "(third order: 8)")

# %% [markdown]
# The figure draws both displacements divided by $\varepsilon^2$, so the prediction $-\tfrac12\nabla\Vert g\Vert^2$ is one fixed arrow and the exact one converges to it as $\varepsilon \to 0$; right, the error against $\varepsilon$ on log–log axes, with a slope-3 guide. Choose the order in `order` (step 3).

# %%
two_step = TwoStepFigure()
two_step.widget()

# %%
show_exercises(EXERCISES, two_step)

# %% [markdown]
# ## Step 3 · ascent first
#
# Su notes that the order does not matter ("like raising a price 10% and then cutting it 10%"): with $\theta_1 = \theta_0 + \varepsilon g(\theta_0)$ and $\theta_2 = \theta_1 - \varepsilon g(\theta_1)$ the same expansion gives $\theta_0 + \varepsilon g - \varepsilon(g + \varepsilon H g) = \theta_0 - \varepsilon^2 H g$, the same second-order term. The third-order terms differ:

# %%
for eps in (0.1, 0.05):
    ends = {o: fl.descent_ascent(theta0, fl.toy_loss, eps, order=o) for o in fl.ORDERS}
    pred = fl.equivalent_step(theta0, fl.toy_loss, eps)
    print(
        f"eps = {eps}: "
        + "; ".join(f"{o}: error {(ends[o] - pred).norm().item():.3e}" for o in fl.ORDERS)
        + f"; the two orders differ by {(ends['descent-first'] - ends['ascent-first']).norm().item():.3e}"
    )

# %% [markdown]
# ## Step 4 · unequal rates, and the objective they descend
#
# Without a flood level, Su considers descent at $\varepsilon_1$ followed by ascent at $\varepsilon_2 < \varepsilon_1$ at every step. The same expansion:
#
# $$\theta_2 \approx \theta_0 - (\varepsilon_1 - \varepsilon_2)\,g - \frac{\varepsilon_1\varepsilon_2}{2}\nabla_\theta\Vert g\Vert^2 = \theta_0 - (\varepsilon_1 - \varepsilon_2)\,\nabla_\theta\Big[\mathcal L + \frac{\varepsilon_1\varepsilon_2}{2(\varepsilon_1 - \varepsilon_2)}\Vert\nabla_\theta\mathcal L\Vert^2\Big].$$
#
# So the pair is gradient descent at rate $\varepsilon_1 - \varepsilon_2$ on $\mathcal L$ plus a gradient penalty whose coefficient $c = \varepsilon_1\varepsilon_2 / (2(\varepsilon_1 - \varepsilon_2))$ grows without bound as $\varepsilon_2 \to \varepsilon_1$. `equivalent_penalty(lr, ascent_lr)` returns the rate and $c$; the check takes autograd's gradient of that objective, and the error order at a fixed ratio $\varepsilon_2 = \varepsilon_1/2$:

# %%
rate, c = fl.equivalent_penalty(0.1, 0.05)
t = theta0.clone().requires_grad_(True)
(g,) = torch.autograd.grad(fl.toy_loss(t), t, create_graph=True)
(objective_grad,) = torch.autograd.grad(fl.toy_loss(t) + c * (g * g).sum(), t)
print(f"eps1 = 0.1, eps2 = 0.05: rate {rate:g}, c = {c:g}")
print(
    "descent on L + c||g||^2:",
    (theta0 - rate * objective_grad).tolist(),
    "\nequivalent_step:        ",
    fl.equivalent_step(theta0, fl.toy_loss, 0.1, ascent_lr=0.05).tolist(),
)
unequal = {
    e: (
        fl.descent_ascent(theta0, fl.toy_loss, e, ascent_lr=e / 2)
        - fl.equivalent_step(theta0, fl.toy_loss, e, ascent_lr=e / 2)
    )
    .norm()
    .item()
    for e in (0.1, 0.05, 0.025)
}
print("errors at eps2 = eps1/2:", ", ".join(f"{e}: {v:.3e}" for e, v in unequal.items()))
print(f"ratios when eps1 halves: {unequal[0.1] / unequal[0.05]:.2f}, {unequal[0.05] / unequal[0.025]:.2f}")

# %% [markdown]
# The figure runs 200 such pairs on the valley, from $(u, v) = (1, 1.5)$, beside 200 steps of descent on the predicted objective and plain descent on $\mathcal L$, both at rate $\varepsilon_1 - \varepsilon_2$. Su's verdict on the variant, stated as his: slight gains in some cases and generally no harm, but weaker than adding a gradient penalty directly, so he does not recommend it (a note added to the article points to Backstitch, Povey et al., Interspeech 2017, where it works for speech recognition). We do not test that verdict here.

# %%
unequal_rates = UnequalRatesFigure()
unequal_rates.widget()

# %%
show_exercises(EXERCISES, unequal_rates)

# %% [markdown]
# ## Step 5 · why a small gradient at a fixed loss means a flat minimum
#
# Flooding holds the loss near $b$ and, per step 2, descends $\Vert\nabla\mathcal L\Vert^2$ there. Why is that "flatter"? Near a minimum where the loss is locally quadratic with curvature $\lambda$ in the direction we sit, $\mathcal L = \tfrac12\lambda x^2$ and $\Vert\nabla\mathcal L\Vert^2 = \lambda^2x^2 = 2\lambda\mathcal L$. On the level set $\mathcal L = b$:
#
# $$\Vert\nabla\mathcal L\Vert^2 = 2b\,\lambda,$$
#
# so among the points at loss $b$, the smallest gradient is where the curvature is smallest. In the valley, $\Vert\nabla\mathcal L\Vert^2 = (1 + v^2)^2u^2 + v^2u^4 = 2b(1 + v^2) + v^2u^4$ on $\mathcal L = b$: to leading order in $b$, twice $b$ times the sharpness. Check at a few points of the level set:

# %%
b = 0.1
for v in (0.0, 1.0, 2.0):
    u = math.sqrt(2 * b / (1 + v * v))
    p = torch.tensor([u, v], **f64, requires_grad=True)
    (g,) = torch.autograd.grad(fl.valley_loss(p), p)
    print(
        f"v = {v}: L = {fl.valley_loss(p).item():.3f}, ||grad L||^2 = {(g * g).sum().item():.5f}, "
        f"2 b (1 + v^2) = {2 * b * (1 + v * v):.5f}, v^2 u^4 = {v * v * u**4:.5f}"
    )

# %% [markdown]
# The synthesis: the valley with every knob. `flood level b` (0 is plain descent), the learning rate, the number of steps on a log scale, and the starting point $v_0$. All paths on the sliders' grid are computed once (`flooding.flood_valleys` runs them all at once); the readout gives the final sharpness of each path.

# %%
valley = ValleyFigure()
valley.widget()

# %%
plain, flooded = (fl.flood_valley(1.0, 2.0, b=b, lr=0.05, steps=20_000) for b in (0.0, 0.1))
sharp_plain, sharp_flood = (1 + p[-1, 1].item() ** 2 for p in (plain, flooded))
print(
    f"20 000 steps at eps = 0.05 from (1, 2): plain descent ends at v = {plain[-1, 1]:.3f}, sharpness {sharp_plain:.3f}; "
    f"flooding at b = 0.1 at v = {flooded[-1, 1]:.4f}, sharpness {sharp_flood:.4f}, loss {fl.valley_loss(flooded[-1]):.3f}"
)

# %% [markdown]
# ## The experiment · a network past zero training error
#
# The paper's setting: train until the training error is zero and keep going. `train_flooding` fits a one-hidden-layer ReLU network to 100 points whose labels come from a random linear teacher, a tenth of them flipped, so that fitting every point means memorising noise. Plain training drives the training loss to zero and the network grows confident on its memorised points; the test loss climbs. Flooding holds the training loss at $b$. Left: both runs' test and training losses; right: the sign of $\mathcal L - b$ over the flooded run's last steps, the alternation that steps 2–4 assume. Choose the optimizer, full batch or batches of 10, and $b$; each setting trains two networks (seconds, then cached).

# %%
experiment = ExperimentFigure()
experiment.widget()

# %%
show_exercises(EXERCISES, experiment)

# %% [markdown]
# How often does the sign of $\mathcal L - b$ flip, once the loss has first dipped below $b$? The derivation needs it every step, with one scalar learning rate:

# %%
rows = [
    "| optimizer, batch | sign flips | test loss, plain | test loss, flooding | ms a step |",
    "|---|---|---|---|---|",
]
runs = {}
for opt, batch in (("SGD", "full"), ("SGD", "10"), ("Adam", "full")):
    plain_run, flood = flood_run(opt, batch, 0.0), flood_run(opt, batch, 0.1)
    runs[opt, batch] = (plain_run, flood)
    rows.append(
        f"| {opt}, {batch} | {flood.flip_rate:.0%} | {plain_run.test_loss[-1]:.3f} | {flood.test_loss[-1]:.3f} | "
        f"{1e3 * flood.seconds_per_step:.2f} |"
    )
display(Markdown("\n".join(rows)))
path = fl.flood_valley(1.0, 2.0, b=0.1, lr=0.05, steps=20_000)  # the first figure's flooded run
print(
    f"the valley (full batch, no noise): the sign of L - b flips at {fl.sign_flip_rate(fl.valley_loss(path), 0.1):.1%} of the steps"
)

# %% [markdown]
# Full-batch descent comes close to strict alternation; with mini-batches each step sees a different batch's loss, and Adam rescales every coordinate by its own running statistics, so "one step at $\varepsilon$, one at $-\varepsilon$" describes neither. Flooding may still help there, but steps 2–4 do not say why.
#
# ## Summary

# %%
full_plain, full_flood = runs["SGD", "full"]
start = torch.tensor([1.0, 1.5], **f64)  # the unequal-rates figure's start (u, v), rates 0.1 and 0.05
pairs, _ = fl.unequal_rate_paths(start, 0.1, 0.05, 200, loss="valley")
plain_half = fl.flood_valley(1.0, 1.5, b=0.0, lr=fl.equivalent_penalty(0.1, 0.05)[0], steps=200)
sharp_pairs, sharp_half = 1 + pairs[-1, 1].item() ** 2, 1 + plain_half[-1, 1].item() ** 2
ascent = [
    (fl.descent_ascent(theta0, fl.toy_loss, e, order="ascent-first") - fl.equivalent_step(theta0, fl.toy_loss, e))
    .norm()
    .item()
    for e in (0.1, 0.05)
]
rows = [
    (
        "One descent and one ascent step at ε are one descent step on ‖∇L‖² at rate ε²/2, with no L term",
        "Su",
        f"error ratios when ε halves: {', '.join(f'{r:.2f}' for r in ratios)} (third order: 8); "
        f"exact for a quadratic (error {(fl.descent_ascent(theta0, quadratic, 0.1) - exact_quadratic).norm().item():.0e})",
        all(7 < r < 9 for r in ratios),
    ),
    (
        "Ascent first gives the same",
        "Su",
        f"the ascent-first error against the same prediction falls {ascent[0] / ascent[1]:.2f} times when ε halves; "
        "the two orders differ at third order (step 3)",
        7 < ascent[0] / ascent[1] < 9,
    ),
    (
        "Unequal rates descend L + ε₁ε₂/(2(ε₁−ε₂))‖∇L‖² at rate ε₁ − ε₂",
        "Su",
        f"error ratio when ε₁ halves at ε₂ = ε₁/2: {unequal[0.1] / unequal[0.05]:.2f}",
        7 < unequal[0.1] / unequal[0.05] < 9,
    ),
    (
        "Unequal rates: slight gains in some cases, generally no harm, weaker than a gradient penalty; not recommended",
        "Su's verdict, stated as his",
        f"not tested on real tasks here; on the valley 200 pairs at (0.1, 0.05) end at sharpness {sharp_pairs:.3f}, "
        f"plain descent at 0.05 at {sharp_half:.3f}",
        None,
    ),
    (
        "Flooding pushes the parameters toward flatter regions",
        "Su",
        f"valley, 20 000 steps: sharpness {sharp_plain:.3f} plain, {sharp_flood:.4f} flooding at b = 0.1",
        sharp_flood < sharp_plain - 1,
    ),
    (
        "Past zero training error, flooding keeps the test loss lower",
        "Ishida et al.",
        f"full-batch SGD, {int(full_plain.logged[-1])} steps: test loss {full_plain.test_loss[-1]:.3f} plain, "
        f"{full_flood.test_loss[-1]:.3f} flooding (one small data set)",
        None if full_flood.test_loss[-1] < full_plain.test_loss[-1] else False,
    ),
    (
        "The derivation covers training as done (mini-batches, Adam)",
        "implicit",
        "sign flips after the first dip: "
        + ", ".join(f"{o} {b_}: {r[1].flip_rate:.0%}" for (o, b_), r in runs.items()),
        min(r[1].flip_rate for r in runs.values()) > 0.9,
    ),
]
display(Markdown(claims_table(rows)))

# %% [markdown]
# **Where the article is loose.**
#
# * **Second order only.** The identity is exact for a quadratic and $O(\varepsilon^3)$ otherwise; at large $\varepsilon$ (the second figure at $\varepsilon = 1$) the neglected terms are a large part of the step.
# * **Strict alternation, one scalar rate.** The argument pairs each descent step with the next ascent step. Full-batch descent nearly alternates; mini-batches and Adam do not, and the analysis says nothing about them.
# * **"(ε/4)‖∇L‖²" per step is the whole objective**, with no $\mathcal L$ term: flooding at the level set does not keep minimising the loss, it moves along the level set. The form $\mathcal L + \frac{\varepsilon}{4}\Vert\nabla\mathcal L\Vert^2$ belongs to plain gradient descent's implicit regularisation, another result.
# * **Flat means small curvature at a fixed loss**: $\Vert\nabla\mathcal L\Vert^2 = 2b\lambda$ on the level set of a quadratic, which is what makes "small gradient" read as "flat".
