"""Lesson 19, the synthesis: the exact toy q(z) = N(0, 1), q(x|z) = N(az, s²) with a proposal r(z) = N(m, v).

Left: the prior, the true posterior q(z|x) and the proposal over z, each scaled to peak 1. Right: the gap
log q(x) − E[L_M] against M = 1..8 on log axes, from 10⁴ fixed seeded draws of ε (z = m + √v ε, the same
ε at every setting), beside the exact gaps at M = 1 (the KL) and M = 2 (Gauss–Hermite) and a 1/M line.
The axes are fixed, so that a move never relayouts the figure.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from theory_lib import vae
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider

Z = np.linspace(-4.0, 4.0, 801)
MS = np.arange(1, 9)
DRAWS = 10_000
FLOOR = 1e-5  # the gap axis's floor (at the exact posterior the gap is 0)


def _normal(z, mean, var):
    return np.exp(-((z - mean) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var)


class VaeToyFigure(InteractiveFigure):
    """Prior, posterior and proposal; E[L_M] for M = 1..8 against log q(x)."""

    controls = {
        "a": Slider(0.0, 4.0, 2.0, step=0.1, label="decoder slope a", named=(2.0,)),
        "s": Slider(0.05, 2.0, 0.5, step=0.05, label="decoder std s", named=(0.5,)),
        "x": Slider(-3.0, 3.0, 1.0, step=0.1, label="data point x", named=(1.0,)),
        "m": Slider(-3.0, 3.0, 0.5, step=0.05, label="proposal mean m", named=(0.0, 0.5)),
        "v": LogSlider(0.01, 4.0, 0.1, label="proposal variance v", named=(0.1, 1.0)),
    }
    figsize = (10.0, 4.2)

    def build(self):
        left, right = self.left, self.right = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.eps = torch.randn(DRAWS, len(MS), dtype=torch.float64, generator=torch.Generator().manual_seed(8))
        (self.prior,) = left.plot(Z, np.exp(-(Z**2) / 2), color="0.4", lw=1.5, label=self.tr("prior q(z) = N(0, 1)"))
        (self.post,) = left.plot([], [], color="black", lw=2, label=self.tr("posterior q(z|x)"))
        (self.prop,) = left.plot([], [], color="tab:orange", lw=2, ls="--", label=self.tr("proposal r(z) = N(m, v)"))
        left.set(xlim=(Z[0], Z[-1]), ylim=(0, 1.3), xlabel="z", ylabel=self.tr("density / its peak"))
        left.legend(loc="upper left", fontsize=8, frameon=False)
        (self.mc,) = right.plot([], [], "o-", color="tab:blue", ms=5, label=self.tr("10⁴ seeded draws"))
        (self.exact,) = right.plot(
            [],
            [],
            "s",
            mfc="none",
            mec="tab:red",
            ms=10,
            mew=1.6,
            label=self.tr("M = 1 closed form (KL), M = 2 quadrature"),
        )
        (self.ref,) = right.plot([], [], ":", color="0.4", lw=1.2, label=self.tr("∝ 1/M through M = 8"))
        right.set(xscale="log", yscale="log", xlim=(0.9, 9), ylim=(FLOOR, 100.0), xlabel="M")
        right.set(ylabel=self.tr("gap log q(x) − E[L_M]"))
        right.set_xticks(MS, [str(k) for k in MS])
        right.legend(loc="lower right", fontsize=8, frameon=False)
        self.title = left.text(0.5, 1.01, "", transform=left.transAxes, ha="center", va="bottom", fontsize=10)

    def draw(self, a, s, x, m, v):
        self.mu, self.var = (t.item() for t in vae.linear_gaussian_posterior(x, a, s))
        mu, var = self.mu, self.var
        post, prop = _normal(Z, mu, var), _normal(Z, m, v)
        self.post.set_data(Z, post / post.max())
        self.prop.set_data(Z, prop / prop.max())
        self.log_q = vae.linear_gaussian_log_marginal(x, a, s).item()
        z = m + math.sqrt(v) * self.eps
        lw = vae.importance_log_weights(z, x, a, s, m, v)
        # L_M for M = 1..8 at once: log of the running mean of the same draws' weights
        running = torch.logcumsumexp(lw, dim=1) - torch.log(torch.arange(1.0, len(MS) + 1, dtype=torch.float64))
        self.curve = running.mean(0).tolist()
        self.elbo = vae.expected_elbo(x, a, s, m, v).item()
        self.bound2 = vae.expected_iwae_bound(x, a, s, m, v, 2).item()
        self.ess = vae.ess_fraction(x, a, s, m, v).item()
        self.gaps = np.maximum(self.log_q - np.array(self.curve), FLOOR)
        self.mc.set_data(MS, self.gaps)
        self.exact.set_data([1, 2], np.maximum([self.log_q - self.elbo, self.log_q - self.bound2], FLOOR))
        self.ref.set_data(MS, self.gaps[-1] * len(MS) / MS)
        self.title.set_text(
            self.tr("a = {a:.1f}, s = {s:.2f}, x = {x:.1f}, r = N({m:.2f}, {v:g})").format(a=a, s=s, x=x, m=m, v=v)
        )
        self.readout = self.tr(
            "log q(x) = {lq:.5f}; posterior N({mu:.4f}, {var:.4f}). E[L₁] = {e1:.5f} (gap = KL(r‖q(z|x)) = {kl:.5f}), "
            "E[L₂] = {e2:.5f}; seeded E[L₈] = {e8:.5f}. ESS fraction of r: {ess:.3g}."
        ).format(
            lq=self.log_q,
            mu=mu,
            var=var,
            e1=self.elbo,
            kl=self.log_q - self.elbo,
            e2=self.bound2,
            e8=self.curve[-1],
            ess=self.ess,
        )
