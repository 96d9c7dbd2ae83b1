"""Lesson 17's synthesis: four ways to fit the same approximation, side by side.

For the chosen form (tanh or logistic), error level (Φ − Φ̃ or x(Φ − Φ̃)) and a (fixed at √(2/π) or
free, tanh only), the error curves of the Taylor, min–max and two least-squares fits, each divided
by the min–max fit's largest |error| (so the min–max curve touches ±1 and the y axis never moves),
with the published constant dashed. Every fit is solved by ``theory_lib.gelu`` once, at build.
"""

from __future__ import annotations

import numpy as np
import torch

from theory_lib import gelu as g
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, Slider

X = np.linspace(0.0, 5.0, 1001)
FORMS, LEVELS, A_MODES = ["tanh", "sigmoid"], ["phi", "gelu"], ["fixed", "free"]
COLOURS = {"taylor": "tab:purple", "minimax": "tab:green", "lsq-uniform": "tab:blue", "lsq-normal": "tab:cyan"}
YLIM = 3.0


def fit(form: str, criterion: str, level: str, free: bool) -> tuple:
    """(value, a, max_error): c or λ of the fit, a (None for the logistic form) and its max |error|."""
    if form == "tanh":
        a, c, worst = g.fit_gelu_tanh(criterion, level=level, free_a=free)
        return c, a, worst
    lam, worst = g.fit_gelu_sigmoid(criterion, level=level)
    return lam, None, worst


def table(form: str, level: str, free: bool) -> dict:
    """Every criterion's fit at one setting, and the published constant's max error."""
    rows = {k: fit(form, k, level, free) for k in g.CRITERIA}
    value = g.TANH_C if form == "tanh" else g.SIGMOID_LAMBDA
    rows["published"] = (value, g.TANH_A if form == "tanh" else None, g.gelu_max_error(form, value, level=level))
    return rows


class CriteriaFigure(InteractiveFigure):
    """Error curves of the four criteria's fits, relative to the min–max error, with toggles."""

    controls = {
        "form": Choice(FORMS, "tanh", label="form"),
        "level": Choice(LEVELS, "phi", label="error of"),
        "a": Choice(A_MODES, "fixed", label="a (tanh form)"),
        # where to read the curves off: the min–max fit's two peaks (tanh form, Φ level) sit near 1.24 and 2.59
        "at": Slider(0.0, 5.0, 1.24, step=0.01, label="read the errors at x", named=(1.24, 2.59)),
    }
    figsize = (7.6, 4.4)

    def inactive(self):
        return {"a"} if self.params["form"] == "sigmoid" else set()

    def build(self):
        self.tables = {
            (f, lv, free): table(f, lv, free)
            for f in FORMS
            for lv in LEVELS
            for free in (False, True)
            if f == "tanh" or not free
        }
        ax = self.ax = self.fig.subplots()
        self.x = torch.tensor(X, dtype=torch.float64)
        ax.axhline(0, color="0.6", lw=0.8)
        for s in (1, -1):
            ax.axhline(s, color="tab:green", lw=0.8, ls=":")
        self.names = {
            "taylor": self.tr("Taylor"),
            "minimax": self.tr("min–max fit"),
            "lsq-uniform": self.tr("least squares, U[−4, 4]"),
            "lsq-normal": self.tr("least squares, N(0, 1)"),
            "published": self.tr("published constant"),
        }
        self.lines = {k: ax.plot([], [], color=COLOURS[k], lw=1.6, label=self.names[k])[0] for k in g.CRITERIA}
        (self.published,) = ax.plot([], [], color="tab:orange", lw=1.4, ls="--", label=self.names["published"])
        ax.set(xlim=(0, 5), ylim=(-YLIM, YLIM), xlabel="x", ylabel=self.tr("error / min–max error"))
        ax.legend(loc="upper right", fontsize=8, frameon=False, ncol=2)
        self.marker = ax.axvline(1.24, color="0.35", lw=0.9, ls="-.")
        self.title = ax.text(0.5, 1.01, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)

    def draw(self, form, level, a, at):
        free = form == "tanh" and a == "free"
        rows = self.rows = self.tables[(form, level, free)]
        unit = rows["minimax"][2]
        here = torch.tensor([at], dtype=torch.float64)
        read = {}
        for k, line in [*self.lines.items(), ("published", self.published)]:
            value, av, _ = rows[k]
            line.set_data(X, g.gelu_error(self.x, form, value, level=level, a=av).numpy() / unit)
            read[k] = float(g.gelu_error(here, form, value, level=level, a=av)[0]) / unit
        self.at_x, self.read = at, read
        self.marker.set_xdata([at, at])
        what = "Φ" if level == "phi" else "xΦ = GELU"
        self.title.set_text(
            self.tr("{form} form: error in {what}, a {a}").format(form=form, what=what, a=a if form == "tanh" else "—")
        )
        name = "c" if form == "tanh" else "λ"
        cells = []
        for k in (*g.CRITERIA, "published"):
            value, av, worst = rows[k]
            extra = f", a = {av:.7f}" if free and k != "taylor" and av is not None else ""
            cells.append(
                self.tr("{k}: {name} = {v:.7f}{extra}, max |error| {w:.4e}").format(
                    k=self.names[k], name=name, v=value, extra=extra, w=worst
                )
            )
        at_x = self.tr("At x = {x:.2f}, error / min–max error: {values}.").format(
            x=at, values=", ".join(f"{self.names[k]} {v:+.3f}" for k, v in read.items())
        )
        self.readout = "; ".join(cells) + ".<br>" + at_x
