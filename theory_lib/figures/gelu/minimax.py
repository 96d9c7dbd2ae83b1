"""Lesson 17, the opening picture: the tanh form's error Φ(x) − Φ̃(x) on x ≥ 0, c = b/a on one slider.

a stays √(2/π). The curve is odd, so x ≥ 0 shows everything. The largest |error| is marked, and dashed
lines at ± its value show whether the two peaks are equal: they are at the min–max c = 0.0447149, which
the published 0.044715 rounds. The named values: the Taylor c 0.0455399, the min–max c, the published
c and the GELU-level min–max c 0.0443829.
"""

from __future__ import annotations

import numpy as np
import torch

from theory_lib import gelu as g
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import FineSlider

X = np.linspace(0.0, 4.5, 1801)
C_NAMED = (0.0455399, 0.0447149, 0.044715, 0.0443829)  # Taylor, min–max, published, GELU-level min–max
SCALE = 1e4  # the y axis in units of 10⁻⁴
YLIM = 4.5  # |error| <= 4.17e-4 over the slider (4.00e-4 at c = 0.044, 4.17e-4 at 0.046)


class MinimaxFigure(InteractiveFigure):
    """Φ − Φ̃ of the tanh form against x, c on a slider, its largest |value| marked."""

    # steps of 10⁻⁵ and a stop at each named c: 205 positions, few enough to send ahead as a strip. From
    # 0.043 to 0.047 the error reached 7.3·10⁻⁴ and left the axes; this range holds every named c.
    controls = {"c": FineSlider(0.044, 0.046, 0.0455399, step=1e-5, label="cubic coefficient c = b/a", named=C_NAMED)}
    figsize = (7.0, 4.5)

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.x = torch.tensor(X, dtype=torch.float64)
        self.best = g.fit_gelu_tanh("minimax")[2]
        ax.axhline(0, color="0.6", lw=0.8)
        for s in (1, -1):
            ax.axhline(s * self.best * SCALE, color="tab:green", lw=0.8, ls=":")
        ax.text(
            4.45, self.best * SCALE, self.tr("min–max level"), color="tab:green", ha="right", va="bottom", fontsize=9
        )
        (self.curve,) = ax.plot([], [], color="tab:blue", lw=1.8, label=self.tr("error Φ(x) − ½[1 + tanh(a(x + cx³))]"))
        self.bands = [ax.axhline(0, color="tab:red", lw=1, ls="--") for _ in range(2)]
        (self.peaks,) = ax.plot([], [], "o", color="tab:orange", ms=6, label=self.tr("peaks"))
        (self.top,) = ax.plot([], [], "o", mfc="none", mec="tab:red", ms=13, mew=1.8, label=self.tr("largest |error|"))
        ax.set(xlim=(0, 4.5), ylim=(-YLIM, YLIM), xlabel="x", ylabel=self.tr("error (10⁻⁴)"))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=9, frameon=False)  # off the curves
        self.title = ax.text(0.5, 1.01, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)

    def draw(self, c):
        e = g.gelu_error(self.x, "tanh", c).numpy() * SCALE
        self.curve.set_data(X, e)
        peaks = [(x, v) for x, v in g.gelu_error_peaks("tanh", c) if abs(v) > 1e-3 * self.best]
        self.peaks.set_data([x for x, _ in peaks], [v * SCALE for _, v in peaks])
        xm, vm = max(peaks, key=lambda p: abs(p[1]))
        self.top.set_data([xm], [vm * SCALE])
        self.worst, self.peak_x = abs(vm), xm
        self.peak_values = [v for _, v in peaks]
        for s, band in zip((1, -1), self.bands, strict=True):
            band.set_ydata([s * self.worst * SCALE] * 2)
        self.title.set_text(self.tr("tanh form, a = √(2/π), c = {c:.7f}").format(c=c))
        self.readout = self.tr(
            "c = {c:.7f}: peaks of Φ − Φ̃ {peaks}; largest |error| {w:.5e} at x = {x:.4f} ({e:.5e} on the erf "
            "scale), {r:.4f} times the min–max value {b:.5e}."
        ).format(
            c=c,
            peaks=", ".join(f"{v:+.4e}" for v in self.peak_values),
            w=self.worst,
            x=xm,
            e=2 * self.worst,
            r=self.worst / self.best,
            b=self.best,
        )
