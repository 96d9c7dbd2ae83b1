"""Lesson 11, step 5: what Gumbel-Softmax's gradient costs, bias against variance as τ falls.

Two classes, Δ = o₁ − o₂. The per-sample gradient g = ∂y₁/∂Δ of y₁ = σ((Δ + L)/τ) estimates
dp₁/dΔ = σ′(Δ). Left: E[g] against τ (``gumbel.binary_gs_grad_moments``, quadrature) and the target
σ′(Δ): the bias vanishes as τ → 0. Middle: Var[g] against τ and the asymptote σ′(Δ)/(6τ): it grows like
1/τ. Right: the 10 000 per-sample gradients at (Δ, τ), by autograd through ``gumbel.gumbel_softmax`` on
fixed noise, as a histogram of log₁₀ g: at small τ almost all are near 0 (the "梯度消失" of the article)
and a few are huge, while their mean stays right. The curves are computed for each Δ on the
slider's grid when first asked (a few ms each) and cached.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import gumbel as gb
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider

D_MIN, D_MAX, D_STEP = -3.0, 3.0, 0.1
TAUS = np.logspace(-2, 1, 31)  # the curves' τ grid
SAMPLES = 10_000
SMALL = 1e-3  # "vanished": a per-sample gradient below this
BINS = np.linspace(-12, 2, 57)  # log10 g
TAU_NAMED = (0.01, 0.1, 0.5, 1.0, 2.0)


def dsigmoid(d: float) -> float:
    """σ′(Δ) = dp₁/dΔ, the gradient g estimates."""
    s = 1 / (1 + math.exp(-d))
    return s * (1 - s)


@functools.lru_cache(maxsize=128)
def curves(delta: float) -> tuple[np.ndarray, np.ndarray]:
    """E[g] and Var[g] at Δ over TAUS (quadrature, a few ms; cached)."""
    with torch.no_grad():
        m, v = gb.binary_gs_grad_moments(torch.tensor(delta, dtype=torch.float64), torch.tensor(TAUS))
    return m.numpy(), v.numpy()


@functools.cache
def _uniforms() -> torch.Tensor:
    return torch.rand(SAMPLES, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2)).clamp_(min=2.0**-54)


@functools.lru_cache(maxsize=128)
def per_sample(delta: float, tau: float) -> np.ndarray:
    """The SAMPLES per-sample gradients g = ∂y₁/∂o₁ at (Δ, τ), by autograd through gumbel_softmax."""
    logits = torch.tensor([delta, 0.0], dtype=torch.float64).expand(SAMPLES, 2).clone().requires_grad_(True)
    y1 = gb.gumbel_softmax(logits, _uniforms(), tau)[:, 0]
    (g,) = torch.autograd.grad(y1.sum(), logits)
    return g[:, 0].numpy()


class BiasVarianceFigure(InteractiveFigure):
    """E[g], Var[g] against τ with their limits, and the per-sample gradients at (Δ, τ)."""

    controls = {
        "delta": Slider(D_MIN, D_MAX, 0.0, step=D_STEP, label="logit gap Δ = o₁ − o₂", named=(0.0, 1.0, 2.0)),
        "tau": LogSlider(0.01, 10.0, 0.5, label="temperature τ", named=TAU_NAMED),
    }
    figsize = (11.0, 3.8)

    def build(self):
        a1, a2, a3 = self.axes = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.1]})
        (self.mean_line,) = a1.semilogx(TAUS, TAUS * 0, color="C0", lw=2, label="E[g]")
        self.target = a1.axhline(0.25, color="k", ls="--", lw=1, label=self.tr("σ′(Δ), the true gradient"))
        (self.mean_dot,) = a1.plot([], [], "o", color="C0", ms=7)
        a1.set(xlabel="τ", ylim=(0, 0.27))
        a1.set_title(self.tr("mean gradient: the bias vanishes"), fontsize=9)
        a1.legend(loc="lower left", fontsize=8, framealpha=0.9)
        (self.var_line,) = a2.loglog(TAUS, TAUS, color="C3", lw=2, label="Var[g]")
        (self.asym_line,) = a2.loglog(TAUS, TAUS, color="k", ls="--", lw=1, label="σ′(Δ)/(6τ)")
        (self.var_dot,) = a2.plot([], [], "o", color="C3", ms=7)
        a2.set(xlabel="τ", ylim=(1e-7, 10))
        a2.set_title(self.tr("variance: grows like 1/τ"), fontsize=9)
        a2.legend(loc="lower left", fontsize=8, framealpha=0.9)
        (self.hist,) = a3.plot([], [], color="C2", lw=1.5, drawstyle="steps-mid")
        self.small_line = a3.axvline(math.log10(SMALL), color="0.4", ls=":", lw=1, label="10⁻³")
        self.true_line = a3.axvline(0, color="k", ls="--", lw=1, label="σ′(Δ)")
        a3.set(xlabel=self.tr("log₁₀ g, per sample (first bin: ≤ 10⁻¹²)"), xlim=(BINS[0], BINS[-1]))
        a3.set_ylim(0, 1)
        a3.legend(loc="upper center", fontsize=8, framealpha=0.9)
        a3.set_ylabel(self.tr("share of samples"), fontsize=9)
        self.hist_title = a3.text(0.5, 1.01, "", transform=a3.transAxes, ha="center", va="bottom", fontsize=9)

    @one_cpu_thread()  # small tensors: a second thread only adds handshakes
    def draw(self, delta, tau):
        means, variances = curves(delta)
        s = dsigmoid(delta)
        self.mean_line.set_ydata(means)
        self.target.set_ydata([s, s])
        self.var_line.set_ydata(variances)
        self.asym_line.set_ydata(s / (6 * TAUS))
        self.m, self.v = gb.binary_gs_grad_moments(delta, tau)
        self.mean_dot.set_data([tau], [self.m])
        self.var_dot.set_data([tau], [self.v])
        g = per_sample(delta, tau)
        counts, _ = np.histogram(np.log10(np.maximum(g, 1e-300)).clip(BINS[0], BINS[-1]), bins=BINS)
        centres = 0.5 * (BINS[1:] + BINS[:-1])
        self.hist.set_data(centres, counts / SAMPLES)
        self.true_line.set_xdata([math.log10(s)] * 2)
        self.small = float((g < SMALL).mean())
        self.sample_mean, self.sample_var = float(g.mean()), float(g.var())
        self.hist_title.set_text(self.tr("{small:.0%} of the gradients below 10⁻³").format(small=self.small))
        self.readout = self.tr(
            "Δ = {delta:.1f}, τ = {tau:g}: true gradient σ′(Δ) = {s:.6f}; E[g] = {m:.6f} (bias {bias:+.2e}); "
            "Var[g] = {v:.4g}, τ·Var[g] = {tv:.4f} against the limit σ′(Δ)/6 = {lim:.4f}. "
            "The {n:,} samples: mean {sm:.4f}, variance {sv:.4g}, {small:.1%} of them below 10⁻³."
        ).format(
            delta=delta,
            tau=tau,
            s=s,
            m=self.m,
            bias=self.m - s,
            v=self.v,
            tv=tau * self.v,
            lim=s / 6,
            n=SAMPLES,
            sm=self.sample_mean,
            sv=self.sample_var,
            small=self.small,
        )
