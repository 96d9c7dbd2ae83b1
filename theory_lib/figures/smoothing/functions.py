"""Lesson 05, figure 1: |x|, relu, sign and step next to their smooth versions at sharpness k.

Three panels: the exact and the smooth curve, their gap on a log scale against the sup error the
library states (``approximation_error``), and both derivatives (the smooth one by autograd; for sign
and step the exact one is a Dirac delta, whose mass the smooth derivative's area approaches). The
plotting grid is dense near the kink at every k, so the drawn peak of the gap is the sup.
"""

from __future__ import annotations

import numpy as np
import torch

from theory_lib import smoothing as sm
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider
from theory_lib.figures.style import sparse_log_ticks

FUNCTIONS = {
    "|x| ≈ log(eᵏˣ + e⁻ᵏˣ)/k": ("abs", "logcosh"),
    "|x| ≈ x·erf(kx)": ("abs", "erf"),
    "|x| ≈ x·tanh(kx)": ("abs", "tanh"),
    "relu ≈ log(1 + eᵏˣ)/k": ("relu", "softplus"),
    "relu ≈ x·σ(kx)": ("relu", "swish"),
    "sign ≈ tanh(kx)": ("sign", "tanh"),
    "sign ≈ erf(kx)": ("sign", "erf"),
    "step ≈ σ(kx)": ("step", "sigmoid"),
}
_EXACT = {"abs": np.abs, "relu": lambda x: np.maximum(x, 0.0), "sign": np.sign, "step": lambda x: (x > 0).astype(float)}
_EXACT_DERIV = {"abs": np.sign, "relu": lambda x: (x > 0).astype(float), "sign": np.zeros_like, "step": np.zeros_like}
# one-sided limits at the kink x = 0: (value from the left, from the right), (slope left, right)
_AT_ZERO = {
    "abs": ((0.0, 0.0), (-1.0, 1.0)),
    "relu": ((0.0, 0.0), (0.0, 1.0)),
    "sign": ((-1.0, 1.0), (0.0, 0.0)),
    "step": ((0.0, 1.0), (0.0, 0.0)),
}
YLIM, DLIM = (-1.4, 3.2), (-1.6, 1.6)  # fixed for every function and k: updates stay blitted


def x_grid(k: float) -> np.ndarray:
    """The plotting grid on [-3, 3] for sharpness k: 1201 even points plus 801 within |x| <= 12/k.

    The kink's features have width about 1/k (the gap of x·erf(kx) peaks at x = 0.69/k), which the
    even grid (spacing 0.005) cannot resolve for k above a few hundred: it showed a gap of 1e-14
    against a true sup of 2.4e-4 at k = 1000. Spacing near 0 is 0.03/k here, for every k; x = 0 is a
    grid point.
    """
    near = min(3.0, 12.0 / k)
    return np.unique(np.r_[np.linspace(-3.0, 3.0, 1201), np.linspace(-near, near, 801), 0.0])


def smooth_function(function: str, kind: str, x: torch.Tensor, k: float) -> torch.Tensor:
    """The library's smooth version of ``function`` (abs, relu, sign, step) of this kind."""
    if function == "abs":
        return sm.smooth_abs(x, k, kind)
    if function == "relu":
        return sm.smooth_relu(x, k, kind)
    if function == "sign":
        return sm.smooth_sign(x, k, kind)
    return sm.smooth_step(x, k)


class SmoothFunctionFigure(InteractiveFigure):
    """Exact and smooth curve, their gap on a log scale with the sup bound, and the derivative."""

    controls = {
        "function": Choice(list(FUNCTIONS), "|x| ≈ log(eᵏˣ + e⁻ᵏˣ)/k", label="function"),
        "k": LogSlider(1.0, 1000.0, 3.0, label="sharpness k = 1/τ", named=(5.0, 10.0, 100.0, 300.0, 1000.0)),
    }
    figsize = (9.5, 3.7)

    def build(self):
        ax_f, ax_g, ax_d = self.fig.subplots(1, 3)
        self.ax_f, self.ax_g, self.ax_d = ax_f, ax_g, ax_d
        (self.exact_line,) = ax_f.plot([], [], "--", color="k", lw=1.2, label=self.tr("exact"))
        (self.smooth_line,) = ax_f.plot([], [], color="C1", lw=2, label=self.tr("smooth"))
        ax_f.set(xlim=(-3, 3), ylim=YLIM, xlabel="x", title=self.tr("function"))
        ax_f.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        (self.gap_line,) = ax_g.plot([], [], color="C1", lw=1.5, label=self.tr("|smooth − exact|"))
        (self.bound_line,) = ax_g.plot([], [], "--", color="C3", lw=1.2, label=self.tr("sup error"))
        ax_g.set_yscale("log")
        ax_g.set(xlim=(-3, 3), ylim=(1e-12, 10), xlabel="x", title=self.tr("gap (log scale)"))
        sparse_log_ticks(ax_g.yaxis, [1e-12, 1e-9, 1e-6, 1e-3, 1])
        ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        (self.dexact_line,) = ax_d.plot([], [], "--", color="k", lw=1.2, label=self.tr("exact derivative"))
        (self.delta_line,) = ax_d.plot([], [], color="k", lw=1.2)
        (self.dsmooth_line,) = ax_d.plot([], [], color="C1", lw=2, label=self.tr("smooth (autograd)"))
        self.delta_text = ax_d.text(0.04, 0.04, "", transform=ax_d.transAxes, fontsize=8, va="bottom")
        ax_d.set(xlim=(-3, 3), ylim=DLIM, xlabel="x", title=self.tr("derivative"))
        ax_d.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

    def draw(self, function, k):
        name, kind = FUNCTIONS[function]
        xn = x_grid(k)  # dense near the kink, whatever k
        x = torch.from_numpy(xn).requires_grad_(True)
        y = smooth_function(name, kind, x, k)
        (dy,) = torch.autograd.grad(y.sum(), x)
        y, dy = y.detach().numpy(), dy.numpy()

        # exact function and derivative drawn with x = 0 repeated, so that jumps are vertical
        left, right = xn[xn <= 0], xn[xn >= 0]
        xj = np.r_[left, right]
        (v_left, v_right), (d_left, d_right) = _AT_ZERO[name]
        self.exact_line.set_data(xj, np.r_[_EXACT[name](left[:-1]), v_left, v_right, _EXACT[name](right[1:])])
        self.smooth_line.set_data(xn, y)

        # gap on a log scale, floored at 1e-12 (below it float64 cannot resolve the difference);
        # the grid resolves the kink, so the drawn peak is the sup (the red line) for every k
        gap = np.abs(y - _EXACT[name](xn))
        self.x, self.gap = xn, gap  # kept for the exercises
        bound = sm.approximation_error(name, k, kind)
        self.gap_line.set_data(xn, np.maximum(gap, 1e-12))
        self.bound_line.set_data([-3, 3], [bound, bound])

        # derivative: exact (a Dirac delta at 0 for sign and step) and the smooth one by autograd
        self.dexact_line.set_data(
            xj, np.r_[_EXACT_DERIV[name](left[:-1]), d_left, d_right, _EXACT_DERIV[name](right[1:])]
        )
        self.dsmooth_line.set_data(xn, dy)
        if name in ("sign", "step"):  # the derivative tends to a Dirac delta: an arrow at 0
            peak = float(dy.max())
            self.delta_line.set_data([0, 0], [0, DLIM[1]])
            mass = 2 if name == "sign" else 1
            clipped = self.tr(" (off scale ↑)") if peak > DLIM[1] else ""
            area = sm.derivative_mass(name, k, 3.0, kind if name == "sign" else None)  # exact: f(3) − f(−3)
            self.delta_text.set_text(
                self.tr(
                    "exact: {mass}·δ(x) at 0\nsmooth: peak {peak:.3g}{clipped},\narea on [−3, 3] {area:.4g}"
                ).format(mass=mass, peak=peak, clipped=clipped, area=area)
            )
        else:
            self.delta_line.set_data([], [])
            self.delta_text.set_text("")
        self.readout = self._readout(name, kind, k, gap, xn)

    def _readout(self, name, kind, k, gap, xn):
        bound = sm.approximation_error(name, k, kind)
        if name in ("sign", "step"):
            far = gap[np.abs(xn) >= 0.5].max()
            return self.tr(
                "k = {k:.3g}: the sup error stays <b>{bound:g}</b> for every k (a jump is never "
                "approximated uniformly), but on |x| ≥ 0.5 it is <b>{far:.2e}</b>."
            ).format(k=k, bound=bound, far=far)
        c = bound * k
        return self.tr(
            "k = {k:.3g}: sup |smooth − exact| = <b>{bound:.4g}</b> = {c:.4f}/k; largest gap on the "
            "plotted grid {top:.4g}; gap at x = ±3: {end:.2e}."
        ).format(k=k, bound=bound, c=c, top=gap.max(), end=gap[-1])
