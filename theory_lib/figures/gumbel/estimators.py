"""Lesson 11, step 2: the score-function estimator against the reparameterisation, z ~ N(μ, σ²).

Both estimate d/dμ E f(z): SF by f(z)(z − μ)/σ², the reparameterisation by f′(μ + σε). Left: their
variances (closed forms, ``gumbel.score_function_variance`` and ``gumbel.reparam_variance``) against μ
at the current σ, with the μ where the reparameterisation loses shaded. Right: the (μ, σ) where
Var_reparam > Var_SF, shaded (one path from contourpy), the current point marked.
f is z² or sin(ωz); ω matters for sin only.
"""

from __future__ import annotations

import functools

import contourpy
import numpy as np
import torch
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from theory_lib import gumbel as gb
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

MUS = np.linspace(-3, 3, 241)
SIGMAS = np.logspace(-1.5, 1, 101)  # the map's σ axis, 0.03 to 10
FUNCTIONS = ["square", "sin"]
LO, HI = 1e-4, 1e6  # the left panel's fixed y range (a new range would redraw everything)


@functools.lru_cache(maxsize=64)
def variance_map(f: str, omega: float) -> np.ndarray:
    """log10(Var_reparam / Var_SF) over (σ, μ): (len SIGMAS, len MUS)."""
    mu, sigma = torch.tensor(MUS)[None, :], torch.tensor(SIGMAS)[:, None]
    sf = gb.score_function_variance(f, mu, sigma, omega=omega)
    rp = gb.reparam_variance(f, mu, sigma, omega=omega)
    return torch.log10(rp.clamp(min=1e-300) / sf.clamp(min=1e-300)).numpy()


@functools.lru_cache(maxsize=64)
def worse_region(f: str, omega: float) -> Path:
    """The (μ, log10 σ) region where Var_reparam > Var_SF, as one path (contourpy's filled contour)."""
    gen = contourpy.contour_generator(MUS, np.log10(SIGMAS), variance_map(f, omega), fill_type="OuterCode")
    points, codes = gen.filled(0.0, np.inf)
    if not points:
        return Path([(0.0, 0.0)])
    return Path(np.concatenate(points), np.concatenate(codes))


class EstimatorFigure(InteractiveFigure):
    """Var of the SF and reparameterised gradients against μ, and where the reparameterisation loses."""

    controls = {
        "mu": Slider(-3.0, 3.0, 1.0, step=0.1, label="mean μ", named=(0.0, 1.0)),
        "sigma": LogSlider(0.05, 5.0, 1.0, label="std σ", named=(0.1, 1.0)),
        "f": Choice(FUNCTIONS, "square", label="function f"),
        "omega": Slider(0.5, 10.0, 5.0, step=0.5, label="ω (for sin ωz)", named=(1.0, 5.0)),
    }
    figsize = (11.0, 4.0)

    def build(self):
        a1, a2 = self.axes = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        (self.sf_line,) = a1.semilogy(MUS, np.ones_like(MUS), color="C1", lw=2, label=self.tr("score function"))
        (self.rp_line,) = a1.semilogy(MUS, np.ones_like(MUS), color="C0", lw=2, label=self.tr("reparameterisation"))
        (self.lose,) = a1.fill(
            [0, 0, 0], [1, 1, 1], color="#F4C7C3", lw=0, zorder=0, label=self.tr("reparameterisation worse")
        )
        self.mu_line = a1.axvline(1.0, color="0.3", lw=0.9)
        (self.dots,) = a1.plot([], [], "o", color="k", ms=5)  # both variances at the current μ
        a1.set(xlabel="μ", xlim=(MUS[0], MUS[-1]), ylim=(LO, HI))
        a1.set_ylabel(self.tr("variance"), fontsize=9)
        # the shaded region is drawn over static artists: the legend goes above the axes
        a1.legend(
            loc="lower left", bbox_to_anchor=(0.0, 1.01, 1.0, 0.1), mode="expand", fontsize=8, ncol=3, frameon=False
        )
        self.suptitle = a1.text(0.5, 1.13, "", transform=a1.transAxes, ha="center", va="bottom", fontsize=10)
        # the region as one path (an image would cost ~40 ms a move to resample)
        self.region = a2.add_patch(PathPatch(Path([(0, 0)]), facecolor="#F4C7C3", edgecolor="C3", lw=1.2))
        (self.point,) = a2.plot([], [], "*", color="k", ms=12)
        a2.set(xlabel="μ", ylabel="log₁₀ σ", xlim=(MUS[0], MUS[-1]))
        a2.set_ylim(np.log10(SIGMAS[0]), np.log10(SIGMAS[-1]))
        a2.set_title(self.tr("shaded: (μ, σ) where the reparameterisation is worse"), fontsize=9)

    def inactive(self):
        return {"omega"} if self.params["f"] == "square" else set()

    @one_cpu_thread()  # small tensors: a second thread only adds handshakes
    def draw(self, mu, sigma, f, omega):
        sf = gb.score_function_variance(f, torch.tensor(MUS), sigma, omega=omega).numpy()
        rp = gb.reparam_variance(f, torch.tensor(MUS), sigma, omega=omega).numpy()
        self.sf_line.set_ydata(np.clip(sf, LO, HI))
        self.rp_line.set_ydata(np.clip(rp, LO, HI))
        worse = rp > sf
        top = np.where(worse, HI, LO)
        self.lose.set_xy(np.c_[np.r_[MUS, MUS[::-1]], np.r_[top, np.full_like(MUS, LO)]])
        self.sf, self.rp = (
            gb.score_function_variance(f, mu, sigma, omega=omega),
            gb.reparam_variance(f, mu, sigma, omega=omega),
        )
        self.mu_line.set_xdata([mu, mu])
        self.dots.set_data([mu, mu], [min(max(self.sf, LO), HI), min(max(self.rp, LO), HI)])
        self.region.set_path(worse_region(f, omega))
        self.point.set_data([mu], [np.log10(sigma)])
        self.worse_share = float(worse.mean())
        name = "f(z) = z²" if f == "square" else f"f(z) = sin({omega:g}z)"
        self.suptitle.set_text(self.tr("{name}, σ = {sigma:g}").format(name=name, sigma=sigma))
        verdict = (
            self.tr("the reparameterisation is <b>worse</b>")
            if self.rp > self.sf
            else self.tr("the reparameterisation is better")
        )
        self.readout = self.tr(
            "{name}, μ = {mu:.1f}, σ = {sigma:g}: Var SF = {sf:.5g}, Var reparameterisation = {rp:.5g} "
            "(ratio {ratio:.3g}): {verdict}. Over μ in [−3, 3] at this σ, the reparameterisation is worse on "
            "{share:.0%} of the axis."
        ).format(
            name=name,
            mu=mu,
            sigma=sigma,
            sf=self.sf,
            rp=self.rp,
            ratio=self.rp / self.sf,
            verdict=verdict,
            share=self.worse_share,
        )
