"""Lesson 10, the opening picture: m random feature products averaging to e^{q·k}.

One pair q, k in the plane (|q| = |k| = 1 at 120°, so e^{q·k} = e^{-1/2}). Left: the running mean
of m products φ_i(q)φ_i(k) for three seeds of each kind (positive, trigonometric), against m, with
the exact value and, at the slider's m, the REPEATS estimates of independent runs drawn as a strip.
Right: their relative RMS error against m (dots) and the closed form √(rms₁²/m) (lines). All the
products are drawn once (REPEATS × M_MAX per kind) and their running sums kept; one control, m.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import performer as pf
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

M_MAX = 10_000
REPEATS = 300
SHOWN = 3  # running means drawn per kind
ANGLE = 120.0  # degrees between q and k
Q = torch.tensor([1.0, 0.0], dtype=torch.float64)
K = torch.tensor([math.cos(math.radians(ANGLE)), math.sin(math.radians(ANGLE))], dtype=torch.float64)
TARGET = math.exp(float(Q @ K))
YLIM = (-2.0, 3.0)
COLORS = {"positive": "C0", "trig": "C3"}


@functools.lru_cache(maxsize=1)
@one_cpu_thread()
def products():
    """{kind: (running means (REPEATS, M_MAX), exact relative RMS at m = 1)}, one ω draw per product."""
    g = torch.Generator().manual_seed(10)
    out = {}
    for kind in ("positive", "trig"):
        om = pf.sample_omega(M_MAX, 2, draws=REPEATS, generator=g, dtype=torch.float64)  # (R, M, 2)
        if kind == "positive":  # φ_i(q)φ_i(k) = e^{ω_i·(q+k) - |q|²/2 - |k|²/2}
            x = torch.exp(om @ (Q + K) - 1.0)
        else:  # e^{(|q|²+|k|²)/2} cos ω_i·(q - k)
            x = math.e * torch.cos(om @ (Q - K))
        means = torch.cumsum(x, dim=-1) / torch.arange(1, M_MAX + 1, dtype=torch.float64)
        out[kind] = (means.float().numpy(), pf.relative_rms(Q, K, 1, kind).item())
    return out


def estimates(m: int):
    """{kind: the REPEATS estimates with m features}."""
    return {kind: means[:, m - 1] for kind, (means, _) in products().items()}


def sample_rms(m: int) -> dict:
    """{kind: relative RMS error of the REPEATS estimates with m features}."""
    return {kind: float(np.sqrt(np.mean((x / TARGET - 1) ** 2))) for kind, x in estimates(m).items()}


class RunningMeanFigure(InteractiveFigure):
    """Left: running means settling on e^{q·k}, the strip of estimates at m. Right: relative RMS against m."""

    controls = {"m": LogSlider(1, M_MAX, 10, integer=True, label="features m", named=(10, 100, 1000))}
    figsize = (10.0, 4.2)

    def build(self):
        ax, ax2 = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
        self.ax, self.ax2 = ax, ax2
        ms = np.unique(np.logspace(0, 4, 400).round().astype(int))  # the drawn m: 400 log-spaced, not all 10^4
        data = products()
        names = {"positive": self.tr("positive features"), "trig": self.tr("trigonometric features")}
        for kind, (means, rms1) in data.items():
            for r in range(SHOWN):
                ax.plot(
                    ms, means[r, ms - 1], color=COLORS[kind], lw=0.8, alpha=0.55, label=names[kind] if r == 0 else None
                )
            grid = np.unique(np.logspace(0, 4, 25).round().astype(int))
            ax2.loglog(ms, rms1 / np.sqrt(ms), color=COLORS[kind], lw=1.4, label=names[kind])
            ax2.loglog(grid, [sample_rms(m)[kind] for m in grid], "o", color=COLORS[kind], ms=3.5, alpha=0.8)
        ax.axhline(TARGET, color="k", lw=1.2, ls="--", label=self.tr("e^(q·k) = {v:.4f}").format(v=TARGET))
        self.m_line = ax.axvline(10, color="0.3", lw=0.8)
        self.strips = {
            kind: ax.scatter(np.ones(REPEATS), np.zeros(REPEATS), s=5, lw=0, color=COLORS[kind], alpha=0.35)
            for kind in data
        }
        ax.set(xscale="log", xlim=(0.8, M_MAX * 1.25), ylim=YLIM, xlabel=self.tr("features m"))
        ax.set_ylabel(self.tr("estimate of e^(q·k)"))
        ax.set_title(
            self.tr("|q| = |k| = 1 at {angle:.0f}°: running means, and {r} runs at m").format(angle=ANGLE, r=REPEATS),
            fontsize=9,
        )
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        self.m_line2 = ax2.axvline(10, color="0.3", lw=0.8)
        (self.dots,) = ax2.plot([], [], "D", color="k", ms=5, mfc="none")
        ax2.set(xlim=(0.8, M_MAX * 1.25), ylim=(3e-3, 30), xlabel=self.tr("features m"))
        ax2.set_ylabel(self.tr("relative RMS error"))
        ax2.set_title(self.tr("dots: {r} runs; lines: closed form / √m").format(r=REPEATS), fontsize=9)
        ax2.legend(loc="upper right", fontsize=8, frameon=False)

    @one_cpu_thread()
    def draw(self, m):
        jitter = np.exp(np.linspace(-0.06, 0.06, REPEATS))
        for shift, (kind, x) in zip((0.93, 1.07), estimates(m).items(), strict=True):
            self.strips[kind].set_offsets(np.c_[m * shift * jitter, np.clip(x, *YLIM)])
        self.m_line.set_xdata([m, m])
        self.m_line2.set_xdata([m, m])
        self.rms = sample_rms(m)
        self.exact = {kind: rms1 / math.sqrt(m) for kind, (_, rms1) in products().items()}
        self.dots.set_data([m, m], [self.rms["positive"], self.rms["trig"]])
        self.readout = self.tr(
            "m = {m}: e^(q·k) = {target:.4f}. Over {r} runs the estimates are off by {pos:.3f} (positive) and "
            "{trig:.3f} (trigonometric) in relative RMS; the closed forms say {pos_exact:.3f} and {trig_exact:.3f}. "
            "Each is the mean of m independent products, so the error falls like 1/√m: "
            "a hundred times the features for a tenth of the error."
        ).format(
            m=m,
            target=TARGET,
            r=REPEATS,
            pos=self.rms["positive"],
            trig=self.rms["trig"],
            pos_exact=self.exact["positive"],
            trig_exact=self.exact["trig"],
        )
