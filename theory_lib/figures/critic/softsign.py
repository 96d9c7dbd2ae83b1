"""Lesson 18, inside one linear region: the normalised forms as functions of t = D/‖∇D‖.

A linear critic D = c·5·x (‖∇D‖ = 5c, β = 0, so t = x) on one axis: left, D̂ against t for the plain
form (t itself), ICCV (t/(1 + |t|), a softsign) and WACV (t·n²/(n² + ε), n = 5c); right, ‖∇D̂‖ by
double backprop: 1, (1 + |t|)⁻² and n²/(n² + ε). The critic's scale c leaves the first two unchanged
and moves WACV. The marker sits at t = 2.4 (the note's example: ‖g‖ = 5 and D = 12 at c = 1).
"""

from __future__ import annotations

import numpy as np
import torch

from theory_lib import critic as cr
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import LogSlider

T = np.linspace(-6.0, 6.0, 1201)
TT = torch.tensor(T, dtype=torch.float64)[:, None]
AT = 2.4  # the marked point, on the grid
K = int(np.argmin(np.abs(T - AT)))
NORM = 5.0  # ‖g‖ of the critic at c = 1
FORMS = ("plain", "iccv", "wacv")
COLOURS = {"plain": "tab:blue", "iccv": "tab:green", "wacv": "tab:orange"}


def linear(scale: float):
    """D(x) = scale · 5 · x."""
    return lambda x: (scale * NORM * x).reshape(-1)


class CriticSoftsignFigure(InteractiveFigure):
    """D̂ and ‖∇D̂‖ against t for a linear critic, the critic's scale and ε on sliders."""

    controls = {
        "scale": LogSlider(0.01, 100.0, 1.0, label="critic scale c", named=(0.01, 0.1, 1.0, 100.0)),
        "eps": LogSlider(1e-4, 10.0, 1e-3, label="WACV ε", named=(1e-3,)),
    }
    figsize = (9.6, 3.8)

    def build(self):
        left, right = self.fig.subplots(1, 2)
        names = {"plain": self.tr("plain D/‖∇D‖ = t"), "iccv": self.tr("ICCV t/(1 + |t|)"), "wacv": self.tr("WACV")}
        style = {"plain": dict(lw=4.0, alpha=0.45), "iccv": dict(lw=1.8), "wacv": dict(lw=1.4, ls="--")}
        self.lines = {f: left.plot(T, T, color=COLOURS[f], label=names[f], **style[f])[0] for f in FORMS}
        self.norms = {f: right.plot(T, T, color=COLOURS[f], label=names[f], **style[f])[0] for f in FORMS}
        self.dots = {f: left.plot([AT], [0], "o", color=COLOURS[f], ms=6)[0] for f in FORMS}
        for ax in (left, right):
            ax.axvline(AT, color="0.5", lw=0.8, ls=":")
            ax.axhline(0, color="0.75", lw=0.8)
        left.set(xlim=(-6, 6), ylim=(-6, 6), xlabel=self.tr("t = D/‖∇D‖ (signed distance to D = 0)"), ylabel="D̂")
        right.set(xlim=(-6, 6), ylim=(0, 1.1), xlabel="t", ylabel=self.tr("‖∇D̂‖ (autograd)"))
        left.legend(loc="upper left", fontsize=8, frameon=False)
        self.note = right.text(
            0.5,
            0.45,
            "",
            transform=right.transAxes,
            ha="center",
            va="center",
            fontsize=9,
            bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=2),
        )

    def draw(self, scale, eps):
        fn = linear(scale)
        self.values, self.grads, self.at = {}, {}, {}
        for f in FORMS:
            self.values[f] = cr.gradient_normalize(fn, TT, form=f, eps=eps).detach().numpy()
            self.grads[f] = cr.normalized_gradient_norm(fn, TT, form=f, eps=eps).numpy()
            self.lines[f].set_ydata(self.values[f])
            self.norms[f].set_ydata(self.grads[f])
            self.at[f] = (float(self.values[f][K]), float(self.grads[f][K]))
            self.dots[f].set_ydata([self.at[f][0]])
        self.note.set_text(
            self.tr("‖∇D̂‖ at t = 2.4: ICCV {i:.4f}, WACV {w:.4f}").format(i=self.at["iccv"][1], w=self.at["wacv"][1])
        )
        self.readout = self.tr(
            "c = {c:g}, ‖∇D‖ = {n:g}, ε = {e:g}. At t = 2.4 (D = {d:g}): plain {p:.6f}, "
            "ICCV {i:.6f} (12/17 = {r:.6f}), WACV {w:.6f}; gradient norms 1, {gi:.6f} "
            "((1 + 2.4)⁻² = {gr:.6f}), {gw:.6f}."
        ).format(
            c=scale,
            n=NORM * scale,
            e=eps,
            d=NORM * scale * AT,
            p=self.at["plain"][0],
            i=self.at["iccv"][0],
            r=12 / 17,
            w=self.at["wacv"][0],
            gi=self.at["iccv"][1],
            gr=(1 + AT) ** -2,
            gw=self.at["wacv"][1],
        )
