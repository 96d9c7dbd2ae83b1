"""Lesson 01 figure: repeated softmax, its spread, and the n = 2 map as a cobweb."""

from __future__ import annotations

import functools

import numpy as np
import torch
from matplotlib.collections import LineCollection

from theory_lib import softmax as sm
from theory_lib._checks import as_float_tensor
from theory_lib.figures.base import Choice, InteractiveFigure, LogSlider, Slider, Text

PRESETS = {"[1, 100]": [1.0, 100.0], "[1, 2, 3, 4]": [1.0, 2.0, 3.0, 4.0]}


def preset_vector(preset: str, vector: str, n: int, seed: int) -> torch.Tensor:
    """The starting vector x (float64) that the figure's controls describe."""
    if preset in PRESETS:
        return torch.tensor(PRESETS[preset], dtype=torch.float64)
    if preset == "random":
        g = torch.Generator().manual_seed(seed)
        return 3.0 * torch.randn(n, generator=g, dtype=torch.float64)
    try:
        values = [float(v) for v in vector.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"vector must be numbers separated by commas, got {vector!r}") from None
    if len(values) < 2:
        raise ValueError(f"vector needs at least 2 entries, got {vector!r}")
    return as_float_tensor("vector", torch.tensor(values, dtype=torch.float64))


@functools.lru_cache(maxsize=None)
def _tau_star(n: int) -> float:
    return sm.bistability_temperature(n)


def _nice_max(steps: int) -> int:
    """Round the x range up to 10, 20, 30, 45 or 60 so that most slider moves keep the axes."""
    return next(m for m in (10, 20, 30, 45, 60, steps) if m >= steps)


class RepeatedSoftmaxFigure(InteractiveFigure):
    """Iterates p_k, log spread against k with the bound and the 1/(n tau) slope, and a cobweb."""

    controls = {
        "preset": Choice(["[1, 100]", "[1, 2, 3, 4]", "random", "custom"], "[1, 2, 3, 4]"),
        "vector": Text("0, 1, 5", ["3, -2, 7, 7, 0.5", "1e4, -1e4"], label="custom vector"),
        "n": Slider(2, 32, 8, integer=True, label="n (random)"),
        "seed": Slider(0, 50, 0, integer=True, label="seed (random)"),
        "steps": Slider(1, 60, 15, integer=True),
        "temperature": LogSlider(0.02, 5.0, 1.0, label="temperature τ"),
    }
    figsize = (9.6, 4.0)

    def build(self):
        ax_it, ax_sp, ax_cw = self.fig.subplots(1, 3)
        self.ax_it, self.ax_sp, self.ax_cw = ax_it, ax_sp, ax_cw
        self.iterates = LineCollection([], linewidths=1.4, cmap="viridis")
        ax_it.add_collection(self.iterates)
        (self.uniform_line,) = ax_it.plot([], [], "k:", lw=1, label="1/n")
        ax_it.set(xlabel="step k", ylabel="entries of $p_k$", ylim=(-0.02, 1.02),
                  title="iterates (k ≥ 1)")
        ax_it.legend(loc="upper right", fontsize=8, framealpha=0.9)

        (self.spread_line,) = ax_sp.plot([], [], "o-", ms=3, color="C0", label="spread $a_k$")
        (self.bound_line,) = ax_sp.plot([], [], "--", color="C3", label=r"bound $2\sinh(a_{k-1}/\tau)/n$")
        (self.slope_line,) = ax_sp.plot([], [], ":", color="k", lw=1.5, label=r"slope $-\log_{10}(n\tau)$")
        ax_sp.set(xlabel="step k", ylabel=r"$\log_{10} a_k$", title="spread on a log scale")
        ax_sp.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        grid = np.linspace(0.0, 1.05, 200)
        self.grid = grid
        ax_cw.plot(grid, grid, color="0.6", lw=1)
        (self.map2,) = ax_cw.plot([], [], color="C2", label=r"$n=2$: $\tanh(a/2\tau)$")
        (self.bound_curve,) = ax_cw.plot([], [], "--", color="C3", label=r"bound $2\sinh(a/\tau)/n$")
        (self.cobweb,) = ax_cw.plot([], [], color="C0", lw=1)
        (self.points,) = ax_cw.plot([], [], "o", ms=3, color="C0", label=r"$(a_k, a_{k+1})$")
        ax_cw.set(xlim=(0, 1.05), ylim=(0, 1.05), xlabel="$a_k$", ylabel="$a_{k+1}$",
                  title="spread map (cobweb)")
        ax_cw.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

    def draw(self, preset, vector, n, seed, steps, temperature):
        x = preset_vector(preset, vector, n, seed)
        n = x.shape[-1]
        p = sm.iterate_softmax(x, steps, temperature).numpy()  # (steps+1, n)
        a = sm.spread(torch.from_numpy(p)).numpy()  # (steps+1,)
        k = np.arange(steps + 1)

        # iterates, k >= 1 (p_0 = x may be far outside [0, 1])
        order = np.argsort(p[0])
        self.iterates.set_segments([np.column_stack([k[1:], p[1:, i]]) for i in order])
        self.iterates.set_array(np.linspace(0, 1, n))
        self.uniform_line.set_data([1, steps], [1 / n, 1 / n])
        self.ax_it.set_xlim(0.5, _nice_max(steps) + 0.5)

        # spread on a log scale; stop where float64 can no longer resolve it
        pos = a > 0
        self.spread_line.set_data(k[pos], np.log10(a[pos]))
        bound = 2 * np.sinh(np.minimum(a[:-1] / temperature, 700)) / n  # bound on a_{k+1}
        ok = pos[:-1] & (bound > 0) & np.isfinite(bound)
        self.bound_line.set_data(k[1:][ok], np.log10(bound[ok]))
        last = int(k[pos][-1])
        rate = np.log10(sm.local_rate(n, temperature))
        start = max(last - 8, 0)  # the local slope, drawn through the last resolved point
        if temperature > sm.critical_temperature(n):  # only where the uniform point attracts
            self.slope_line.set_data([start, last], [np.log10(a[last]) - rate * (last - start), np.log10(a[last])])
        else:
            self.slope_line.set_data([], [])
        lo, top = np.log10(a[pos]).min(), np.log10(a[pos]).max()
        hi = min(max(top, np.log10(bound[ok]).max(initial=-np.inf)), top + 2)  # a huge bound is clipped
        self.ax_sp.set_xlim(-0.5, _nice_max(steps) + 0.5)
        self.ax_sp.set_ylim(4 * np.floor(lo / 4) - 0.5, 2 * np.ceil(hi / 2) + 0.5)  # steps of 4, 2 decades

        # cobweb of the real iterates, over the exact n = 2 map and the bound for this n
        self.map2.set_data(self.grid, np.tanh(self.grid / (2 * temperature)))
        self.bound_curve.set_data(self.grid, 2 * np.sinh(np.minimum(self.grid / temperature, 700)) / n)
        xs = np.repeat(a[:-1], 2)
        ys = np.column_stack([a[:-1], a[1:]]).ravel()
        self.cobweb.set_data(np.r_[a[0], xs], np.r_[0.0, ys])
        self.points.set_data(a[:-1], a[1:])

        self.readout = self._readout(x, n, temperature, a)

    @staticmethod
    def _readout(x, n, temperature, a):
        rate = sm.local_rate(n, temperature)
        tau_c = sm.critical_temperature(n)
        try:
            k = sm.steps_to_uniform(x, tol=1e-3, temperature=temperature, max_steps=2000)
            reach = f"spread < 10⁻³ after <b>{k}</b> steps"
        except sm.NotUniformError as err:
            fp = np.array2string(err.fixed_point.numpy(), precision=3, max_line_width=80)
            reach = f"<b>never uniform</b>: {err}; fixed point ≈ {fp}"
        tau_star = _tau_star(n)
        return (f"n = {n}, τ = {temperature:.3g}: {reach}. Local rate 1/(nτ) = {rate:.3g}: the "
                f"uniform point attracts nearby starts iff τ > 1/n = {tau_c:.3g}; a one-hot-like "
                f"fixed point exists iff τ ≤ τ* = {tau_star:.3g}. Final spread {a[-1]:.3g}.")
