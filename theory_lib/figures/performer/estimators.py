"""Lesson 10, the step figures on one kernel entry: the two estimators' errors, and Su's quantile radii.

``VarianceFigure``: the relative RMS error of φ(q)·φ(k) as an estimate of e^{q·k} against the angle
between q and k, closed form for both kinds (``performer.relative_rms``) with Monte Carlo dots from
N_MC single features at every 15° (their sample spread divided by √m: an m-feature estimate is the
mean of m independent ones). ``RadiiFigure``: the χ_d density, Su's m quantile radii on it and m iid
χ_d lengths under it; right, the relative bias those radii leave, against |q + k|.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import performer as pf
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider, Slider

N_MC = 4000
MC_ANGLES = np.arange(0, 181, 15)
ANGLES = np.linspace(0, 180, 181)
RMS_LIM = (1e-4, 1e9)
COLORS = {"positive": "C0", "trig": "C3"}


def _pair(q_norm: float, k_norm: float, angles_deg) -> tuple[torch.Tensor, torch.Tensor]:
    """q = |q| e₁ and k at each angle, float64, (A, 2) each."""
    t = torch.as_tensor(np.radians(angles_deg), dtype=torch.float64)
    k = k_norm * torch.stack([torch.cos(t), torch.sin(t)], -1)
    q = torch.tensor([q_norm, 0.0], dtype=torch.float64).expand_as(k)
    return q, k


@functools.lru_cache(maxsize=1)
def _mc_omega() -> torch.Tensor:
    return pf.sample_omega(N_MC, 2, generator=torch.Generator().manual_seed(11), dtype=torch.float64)


def mc_relative_rms(q_norm: float, k_norm: float, m: int) -> dict:
    """{kind: sample relative RMS at MC_ANGLES}: N_MC single-feature products, spread / √m / e^{q·k}."""
    return {kind: rms1 / math.sqrt(m) for kind, rms1 in _mc_rms1(q_norm, k_norm).items()}


@functools.lru_cache(maxsize=1024)
@one_cpu_thread()
def _mc_rms1(q_norm: float, k_norm: float) -> dict:
    """{kind: sample relative RMS of one feature at MC_ANGLES} (cached: m only rescales it)."""
    q, k = _pair(q_norm, k_norm, MC_ANGLES)
    target = torch.exp((q * k).sum(-1))  # (A,)
    out = {}
    for kind in ("positive", "trig"):
        per = _single_products(q, k, kind)  # (A, N_MC)
        out[kind] = (((per - target[:, None]) ** 2).mean(-1).sqrt() / target).numpy()
    return out


def _single_products(q: torch.Tensor, k: torch.Tensor, kind: str) -> torch.Tensor:
    """(A, N_MC) one-feature estimates φ_i(q)φ_i(k) (m = 1), one per ω_i."""
    om = _mc_omega()[:, None, :]  # (N, 1, 2): N one-feature sets
    return pf.feature_kernel(q[:, None, None, :], k[:, None, None, :], om, kind)[..., 0, 0]


class VarianceFigure(InteractiveFigure):
    """Relative RMS of both estimators against the angle (log scale), and against m at the chosen angle."""

    controls = {
        "q_norm": Slider(0.1, 3.0, 1.0, step=0.1, label="length |q|", named=(1.0, 0.5, 2.8)),
        "k_norm": Slider(0.1, 3.0, 1.0, step=0.1, label="length |k|", named=(1.0, 0.5, 2.8)),
        "angle": Slider(0.0, 180.0, 90.0, step=5.0, label="angle θ (degrees)", named=(0.0, 90.0, 180.0)),
        "m": LogSlider(1, 100_000, 1, integer=True, label="features m", named=(1, 256, 1000)),
    }
    figsize = (10.5, 4.2)

    def build(self):
        ax, ax2 = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        self.ax, self.ax2 = ax, ax2
        names = {"positive": self.tr("positive"), "trig": self.tr("trigonometric")}
        self.curves, self.mc, self.m_curves = {}, {}, {}
        for a in (ax, ax2):
            a.set_yscale("log")
            a.set_ylim(*RMS_LIM)
        ax2.set_xscale("log")
        for kind in ("positive", "trig"):
            (self.curves[kind],) = ax.semilogy([], [], color=COLORS[kind], lw=1.8, label=names[kind])
            (self.mc[kind],) = ax.semilogy([], [], "o", color=COLORS[kind], ms=4, mfc="none")
            (self.m_curves[kind],) = ax2.loglog([], [], color=COLORS[kind], lw=1.8, label=names[kind])
        ax.axhline(0.1, color="0.5", ls=":", lw=1)
        ax2.axhline(0.1, color="0.5", ls=":", lw=1, label=self.tr("10% error"))
        self.angle_line = ax.axvline(90, color="0.3", lw=0.8)
        self.m_line = ax2.axvline(1, color="0.3", lw=0.8)
        (self.m_dots,) = ax2.plot([], [], "D", color="k", ms=5, mfc="none")
        ax.set(
            xlim=(0, 180),
            ylim=RMS_LIM,
            xticks=np.arange(0, 181, 30),
            xlabel=self.tr("angle θ between q and k (degrees)"),
        )
        ax.set_ylabel(self.tr("relative RMS error of φ(q)·φ(k)"))
        ax.set_title(self.tr("lines: closed form; circles: {n} single features, / √m").format(n=N_MC), fontsize=9)
        ax.legend(loc="upper center", fontsize=8, frameon=False, ncols=2)
        self.ms = np.logspace(0, 5, 101)
        ax2.set(xlim=(1, 1e5), ylim=RMS_LIM, xlabel=self.tr("features m"))
        ax2.set_title(self.tr("at the chosen angle"), fontsize=9)
        ax2.legend(loc="upper right", fontsize=8, frameon=False)

    @one_cpu_thread()
    def draw(self, q_norm, k_norm, angle, m):
        q, k = _pair(q_norm, k_norm, ANGLES)
        mc = mc_relative_rms(q_norm, k_norm, m)
        qa, ka = _pair(q_norm, k_norm, [angle])
        self.rms1 = {kind: pf.relative_rms(qa, ka, 1, kind).item() for kind in ("positive", "trig")}
        self.rms = {kind: v / math.sqrt(m) for kind, v in self.rms1.items()}
        self.needed = {kind: math.ceil(v**2 / 0.01) for kind, v in self.rms1.items()}
        for kind in ("positive", "trig"):
            self.curves[kind].set_data(ANGLES, pf.relative_rms(q, k, m, kind).numpy())
            self.mc[kind].set_data(MC_ANGLES, mc[kind])
            self.m_curves[kind].set_data(self.ms, self.rms1[kind] / np.sqrt(self.ms))
        self.angle_line.set_xdata([angle, angle])
        self.m_line.set_xdata([m, m])
        self.m_dots.set_data([m, m], [self.rms["positive"], self.rms["trig"]])
        self.kernel = math.exp(q_norm * k_norm * math.cos(math.radians(angle)))
        self.readout = self.tr(
            "|q| = {q:.1f}, |k| = {k:.1f}, θ = {angle:.0f}°: e^(q·k) = {kernel:.4g}, "
            "|q + k|² = {s2:.3g}, |q − k|² = {t2:.3g}. "
            "With m = {m}: relative RMS {pos:.3g} (positive), {trig:.3g} (trigonometric). "
            "For 10%: m = {need_pos:,} positive or {need_trig:,} trigonometric features."
        ).format(
            q=q_norm,
            k=k_norm,
            angle=angle,
            kernel=self.kernel,
            s2=float(((qa + ka) ** 2).sum()),
            t2=float(((qa - ka) ** 2).sum()),
            m=m,
            pos=self.rms["positive"],
            trig=self.rms["trig"],
            need_pos=self.needed["positive"],
            need_trig=self.needed["trig"],
        )


# ---------------------------------------------------------------- Su's quantile radii
R_MAX = 14.0
NORMS = np.linspace(0.1, 3.0, 30)


@functools.lru_cache(maxsize=512)
@one_cpu_thread()
def bias_curve(d: int, m: int) -> np.ndarray:
    """The relative bias of quantile radii at each |q + k| in NORMS."""
    return pf.quantile_bias(d, m, torch.as_tensor(NORMS)).numpy()


class RadiiFigure(InteractiveFigure):
    """Left: the χ_d density, Su's radii R_i = χ_d⁻¹(i/(m+1)) and m iid lengths. Right: the bias against |q + k|."""

    controls = {
        "d": LogSlider(1, 128, 2, integer=True, label="dimension d", named=(2, 16, 64)),
        "m": LogSlider(1, 256, 3, integer=True, label="features m", named=(3, 4, 16, 64)),
    }
    figsize = (10.0, 4.0)

    def build(self):
        ax, ax2 = self.fig.subplots(1, 2)
        self.ax, self.ax2 = ax, ax2
        self.r = np.linspace(0, R_MAX, 561)
        (self.density,) = ax.plot([], [], color="k", lw=1.5, label=self.tr("χ_d density of |ω|"))
        self.stems = ax.vlines([], 0, 0, color="C1", lw=1.6, label=self.tr("Su's radii R_i = χ_d⁻¹(i/(m+1))"))
        (self.rug,) = ax.plot([], [], "|", color="C0", ms=9, mew=1.2, label=self.tr("m iid lengths (one draw)"))
        ax.set(xlim=(0, R_MAX), ylim=(-0.1, 0.95), xlabel=self.tr("length r = |ω|"))
        ax.set_ylabel(self.tr("density"))
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        (self.bias_line,) = ax2.semilogy([], [], color="C1", lw=1.8, label=self.tr("Su's radii: −bias"))
        (self.bias_dot,) = ax2.plot([], [], "o", color="C1", ms=6)
        ax2.axvline(1.0, color="0.6", ls=":", lw=1)
        ax2.set(xlim=(0, 3.0), ylim=(1e-6, 1.0), xlabel=self.tr("length |q + k|"))
        ax2.set_ylabel(self.tr("relative bias of E[φ(q)·φ(k)] (negative)"))
        ax2.set_title(self.tr("iid and orthogonal lengths: no bias"), fontsize=9)
        ax2.legend(loc="lower right", fontsize=8, frameon=False)

    @one_cpu_thread()
    def draw(self, d, m):
        radii = pf.quantile_radii(d, m).numpy()
        pdf = pf.chi_pdf(torch.as_tensor(self.r), d).numpy()
        self.density.set_data(self.r, pdf)
        heights = pf.chi_pdf(torch.as_tensor(radii), d).numpy()
        self.stems.set_segments([np.array([[x, 0.0], [x, h]]) for x, h in zip(radii, heights, strict=True)])
        g = torch.Generator().manual_seed(1000 * d + m)
        lengths = torch.randn(m, d, generator=g, dtype=torch.float64).norm(dim=-1).numpy()
        self.rug.set_data(lengths, np.full(m, -0.05))
        self.bias = bias_curve(d, m)
        self.bias_at_1 = pf.quantile_bias(d, m, 1.0)
        self.bias_line.set_data(NORMS, -self.bias)
        self.bias_dot.set_data([1.0], [-self.bias_at_1])
        mean = math.sqrt(2) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))
        self.readout = self.tr(
            "d = {d}, m = {m}: radii from {lo:.4f} to {hi:.4f} (E|ω| = {mean:.4f}). "
            "At |q + k| = 1 the estimate of e^(q·k) is biased by {bias:+.3%}; at |q + k| = 3, by {bias3:+.3%}. "
            "m radii placed at the quantiles never reach the tail of χ_d, where e^(ω·(q+k)) is largest."
        ).format(d=d, m=m, lo=radii[0], hi=radii[-1], mean=mean, bias=self.bias_at_1, bias3=self.bias[-1])
