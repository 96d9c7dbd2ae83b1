"""Lesson 18, one dimension: a critic with a kink (or a smooth sin(ax)) and its gradient-normalised forms.

Left, the critic D; middle, D/|D′| (plain), the ICCV form D/(|D′| + |D|) and the WACV form
D|D′|/(D′² + ε); right, the slope |dD̂/dx| of the ICCV form two ways: by autograd (double backprop,
the in-region formula) and by finite differences on the drawn grid, which see the jump at the kink
as a spike. ``CriticKinkFigure`` has every control (two slopes, the kink's position, ε, the sin(ax) tab);
``CriticOpeningFigure`` is the same picture with the second slope alone.
"""

from __future__ import annotations

import numpy as np
import torch

from theory_lib import critic as cr
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

X = np.linspace(-1.0, 3.0, 2001)  # grid step 2e-3
XT = torch.tensor(X, dtype=torch.float64)[:, None]
SLOPE_NAMED = (-1.0, 1.0, 3.0)
COLOURS = {"plain": "tab:blue", "iccv": "tab:green", "wacv": "tab:orange"}
CRITICS = ["kink", "sin(ax)"]


def kink(slope1: float, slope2: float, position: float):
    """f(x) = slope1 x + (slope2 - slope1) relu(x - position): slope1 left of the kink, slope2 right."""

    def critic(x):
        return (slope1 * x + (slope2 - slope1) * torch.relu(x - position)).reshape(-1)

    return critic


def sine(a: float):
    """D(x) = sin(ax): smooth, so its gradient norm varies inside every region."""
    return lambda x: torch.sin(a * x).reshape(-1)


def jumps(critic, position: float, delta: float = 1e-9) -> dict:
    """Each form's value just left and just right of ``position`` (the jump is their difference)."""
    at = torch.tensor([[position - delta], [position + delta]], dtype=torch.float64)
    d, g = (t.detach() for t in cr.critic_gradient(critic, at))
    return {f: cr.normalize_values(d, g, form=f).numpy() for f in COLOURS}


class CriticKinkFigure(InteractiveFigure):
    """A 1-D critic, its normalised forms and the ICCV form's slope (autograd against finite differences)."""

    controls = {
        "critic": Choice(CRITICS, "kink", label="critic"),
        "slope1": Slider(-4.0, 4.0, 1.0, step=0.1, label="slope left of the kink", named=(1.0,)),
        "slope2": Slider(-4.0, 4.0, 3.0, step=0.1, label="slope right of the kink", named=SLOPE_NAMED),
        "position": Slider(0.0, 2.0, 1.0, step=0.05, label="kink at x", named=(1.0,)),
        "eps": LogSlider(1e-4, 10.0, 1e-3, label="WACV ε", named=(1e-3,)),
        "a": Slider(0.5, 8.0, 5.0, step=0.5, label="a in sin(ax)", named=(1.0, 5.0)),
    }
    figsize = (10.5, 3.7)

    def inactive(self):
        if self.params["critic"] == "kink":
            return {"a"}
        return {"slope1", "slope2", "position"}

    def build(self):
        ax_d, ax_f, ax_s = self.axes = self.fig.subplots(1, 3)
        for ax in (ax_d, ax_f):
            ax.axhline(0, color="0.7", lw=0.8)
        (self.d_line,) = ax_d.plot(X, X, color="0.2", lw=1.8)
        ax_d.set(xlim=(-1, 3), ylim=(-8, 8), xlabel="x", title=self.tr("the critic D(x)"))
        self.kink_mark = ax_d.axvline(1.0, color="tab:red", lw=0.8, ls=":")
        names = {"plain": "D/|D′|", "iccv": self.tr("ICCV D/(|D′| + |D|)"), "wacv": self.tr("WACV D|D′|/(D′² + ε)")}
        style = {"plain": dict(lw=4.0, alpha=0.45), "iccv": dict(lw=1.8), "wacv": dict(lw=1.4, ls="--")}
        self.form_lines = {f: ax_f.plot(X, X, color=col, label=names[f], **style[f])[0] for f, col in COLOURS.items()}
        ax_f.set(xlim=(-1, 3), ylim=(-3, 3), xlabel="x", title=self.tr("normalised: D̂(x)"))
        ax_d.legend(handles=list(self.form_lines.values()), loc="lower right", fontsize=8, frameon=False)
        (self.fd_line,) = ax_s.plot(X[:-1], X[:-1], color="tab:red", lw=1.2, label=self.tr("finite differences"))
        (self.auto_line,) = ax_s.plot(X, X, color="tab:green", lw=2.0, ls="--", label=self.tr("autograd"))
        ax_s.axhline(1, color="0.4", lw=0.8, ls=":")
        ax_s.set(xlim=(-1, 3), ylim=(1e-3, 1e3), yscale="log", xlabel="x", title=self.tr("ICCV slope |dD̂/dx|"))
        ax_s.legend(loc="upper left", fontsize=8, frameon=False)
        self.note = ax_d.text(
            0.03,
            0.97,
            "",
            transform=ax_d.transAxes,
            ha="left",
            va="top",
            fontsize=8.5,
            zorder=5,
            bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=2),
        )

    def draw(self, critic, slope1, slope2, position, eps, a):
        fn = kink(slope1, slope2, position) if critic == "kink" else sine(a)
        self.d_line.set_ydata(fn(XT).numpy())
        self.kink_mark.set_xdata([position, position])
        self.kink_mark.set_visible(critic == "kink")
        dv, gv = (t.detach() for t in cr.critic_gradient(fn, XT))  # one backward pass for the three forms
        forms = {f: cr.normalize_values(dv, gv, form=f, eps=eps).numpy() for f in COLOURS}
        for f, line in self.form_lines.items():
            line.set_ydata(forms[f])
        self.fd = np.abs(np.diff(forms["iccv"]) / np.diff(X))  # one grid step, 2e-3
        self.auto = cr.normalized_gradient_norm(fn, XT).detach().numpy()
        self.fd_line.set_ydata(np.clip(self.fd, 1e-3, 1e3))
        self.auto_line.set_ydata(np.clip(self.auto, 1e-3, 1e3))
        self.forms, self.critic_fn = forms, fn
        if critic == "kink":
            self.jumps = jumps(fn, position)
            j = {f: v[1] - v[0] for f, v in self.jumps.items()}
            self.jump = j
            self.note.set_text(
                self.tr("jump at x = {p:.2f}: D/|D′| {a:+.3f}, ICCV {b:+.3f}").format(
                    p=position, a=j["plain"], b=j["iccv"]
                )
            )
            self.readout = self.tr(
                "Kink at x = {p:.2f}, slopes {s1:.1f} and {s2:.1f}: D/|D′| goes {l1:.4f} → {r1:.4f}, ICCV {l2:.4f} → "
                "{r2:.4f}, WACV {l3:.4f} → {r3:.4f}. Largest slope of the ICCV form: autograd {au:.3f} "
                "(never above 1), "
                "finite differences over one grid step {fd:.1f}."
            ).format(
                p=position,
                s1=slope1,
                s2=slope2,
                l1=self.jumps["plain"][0],
                r1=self.jumps["plain"][1],
                l2=self.jumps["iccv"][0],
                r2=self.jumps["iccv"][1],
                l3=self.jumps["wacv"][0],
                r3=self.jumps["wacv"][1],
                au=self.auto.max(),
                fd=self.fd.max(),
            )
        else:
            self.jump = None
            self.note.set_text(
                self.tr("largest ICCV slope on the grid {m:.2f} (a² = {a2:.2f})").format(m=self.auto.max(), a2=a * a)
            )
            self.readout = self.tr(
                "D = sin({a:.1f}x) is smooth: no jumps, yet the ICCV form's slope reaches {m:.3f} by autograd "
                "({fd:.3f} by finite differences), near a² = {a2:.2f} where cos(ax) = 0. "
                "The bound needs a piecewise-linear critic."
            ).format(a=a, m=self.auto.max(), fd=self.fd.max(), a2=a * a)


class CriticOpeningFigure(CriticKinkFigure):
    """The opening picture: the kinked critic with the second slope alone on a slider."""

    controls = {"slope2": Slider(-4.0, 4.0, 3.0, step=0.1, label="slope right of the kink", named=SLOPE_NAMED)}

    def inactive(self):
        return set()

    def draw(self, slope2):
        super().draw("kink", 1.0, slope2, 1.0, 1e-3, 5.0)
