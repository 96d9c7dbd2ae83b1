"""Lesson 12, the step figures: the O(ε²) gap between FGM's θ-gradient and the penalty's, and the
linear case, where FGM is exact and the robust optimum keeps every point ε from the boundary.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import adversarial as adv
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

FORMS = {"normalised: ε‖∇ₓL‖": False, "squared: (ε/2)‖∇ₓL‖²": True}
ARTICLE_EPS = 0.5  # adversarial_training(model, 'Embedding-Token', 0.5)
EPS_CONTROL = LogSlider(1e-4, 1.0, 0.01, label="perturbation size ε", named=(1e-4, 1e-3, 0.01, 0.1, ARTICLE_EPS, 1.0))


@functools.lru_cache(maxsize=1)
def gap_problem():
    """A fixed 2-8-8-2 tanh network (seed 3) and 40 two-moons points (seed 0)."""
    x, y = adv.two_moons(40, generator=torch.Generator().manual_seed(0))
    return adv.tanh_mlp(2, hidden=8, generator=torch.Generator().manual_seed(3)), x, y


def _theta_grad(loss, params) -> torch.Tensor:
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])


@functools.lru_cache(maxsize=1)
@one_cpu_thread()
def gap_table():
    """For every ε on the slider's grid and both forms: the gap ‖∇θ FGM − ∇θ penalty‖ and the size of
    the first-order term ‖∇θ FGM − ∇θ L‖ (what the penalty adds), as numpy arrays."""
    model, x, y = gap_problem()
    eps = np.array(EPS_CONTROL.grid(), dtype=float)
    params = list(model.parameters())
    plain = _theta_grad(torch.nn.functional.cross_entropy(model(x), y), params)
    out = {}
    for name, squared in FORMS.items():
        gaps, terms = [], []
        for e in eps:
            fgm = _theta_grad(adv.fgm_loss(model, x, y, float(e), norm="none" if squared else "l2"), params)
            pen = _theta_grad(adv.gradient_penalty_loss(model, x, y, float(e), squared=squared), params)
            gaps.append(float((fgm - pen).norm()))
            terms.append(float((fgm - plain).norm()))
        out[name] = (np.array(gaps), np.array(terms))
    return eps, out


def slope(form: str, lo: float = 1e-4, hi: float = 1e-2) -> float:
    """The log–log slope of the gap between ε = lo and hi."""
    eps, table = gap_table()
    gaps = table[form][0]
    i, j = int(np.argmin(abs(eps - lo))), int(np.argmin(abs(eps - hi)))
    return math.log(gaps[j] / gaps[i]) / math.log(eps[j] / eps[i])


class TaylorGapFigure(InteractiveFigure):
    """log–log: the gap between the two θ-gradients against ε (slope 2), and the first-order term (slope 1 or 2)."""

    controls = {"eps": EPS_CONTROL, "form": Choice(list(FORMS), "normalised: ε‖∇ₓL‖", label="penalty")}
    figsize = (9.0, 4.3)

    def build(self):
        self.names = {
            "normalised: ε‖∇ₓL‖": self.tr("normalised: ε‖∇ₓL‖"),
            "squared: (ε/2)‖∇ₓL‖²": self.tr("squared: (ε/2)‖∇ₓL‖²"),
        }
        eps, table = gap_table()
        self.ax = ax = self.fig.subplots()
        self.lines = {}
        for i, (name, (gaps, terms)) in enumerate(table.items()):
            color = f"C{i}"
            self.lines[name] = (
                ax.loglog(eps, gaps, color=color, lw=1.5, label=self.tr("gap, {form}").format(form=self.names[name]))[
                    0
                ],
                ax.loglog(
                    eps,
                    terms,
                    color=color,
                    lw=1.0,
                    ls=":",
                    label=self.tr("first-order term, {form}").format(form=self.names[name]),
                )[0],
            )
        ref = table["normalised: ε‖∇ₓL‖"][0]
        guide = ref[0] * 3 * (eps / eps[0]) ** 2
        ax.loglog(eps, guide, color="0.5", lw=0.9, ls="--", label=self.tr("slope 2"))
        ax.axvline(ARTICLE_EPS, color="0.6", lw=0.8, ls="-.")
        ax.text(
            ARTICLE_EPS / 1.08,
            1.5e-11,
            self.tr("Su's ε = 0.5"),
            fontsize=8,
            color="0.4",
            rotation=90,
            va="bottom",
            ha="right",
        )
        (self.dot,) = ax.plot([], [], "o", color="k", ms=6, zorder=5)
        self.n_mark = ax.axvline(0.01, color="0.3", lw=0.8)
        ax.set(xlim=(eps[0], eps[-1]), ylim=(1e-11, 10.0))
        ax.set_xlabel("ε")
        ax.set_ylabel(self.tr("norm of a θ-gradient difference"))
        ax.legend(loc="upper left", fontsize=8, frameon=False)

    def draw(self, eps, form):
        grid, table = gap_table()
        i = int(np.argmin(abs(grid - eps)))
        gaps, terms = table[form]
        if form != getattr(self, "_form", None):  # restyle only on a change: a styled line is redrawn
            self._form = form
            for name, (gap_line, term_line) in self.lines.items():
                gap_line.set_linewidth(2.4 if name == form else 1.0)
                term_line.set_linewidth(1.8 if name == form else 0.8)
        self.gap, self.term = float(gaps[i]), float(terms[i])
        self.relative = self.gap / self.term
        self.dot.set_data([eps], [self.gap])
        self.n_mark.set_xdata([eps, eps])
        self.readout = self.tr(
            "ε = {eps:.4g}, {form}: ‖∇<sub>θ</sub>FGM − ∇<sub>θ</sub>penalty‖ = <b>{gap:.3g}</b>, against the "
            "first-order term ‖∇<sub>θ</sub>FGM − ∇<sub>θ</sub>L‖ = {term:.3g}: a relative error of <b>{rel:.2%}</b>. "
            "Measured slope of the gap between ε = 10⁻⁴ and 10⁻²: {slope:.3f}."
        ).format(eps=eps, form=self.names[form], gap=self.gap, term=self.term, rel=self.relative, slope=slope(form))


# ---------------------------------------------------------------- the linear case
X9 = np.array(adv.linear._X)
Y9 = np.array(adv.linear._Y)
LINEAR_NORM_NAMES = {"l2": "ℓ2 ball (FGM, normalised)", "sign": "ℓ∞ box (FGM, sign)"}
COLLAPSE = {n: adv.robust_collapse_eps(X9, Y9, norm=n) for n in ("l2", "sign")}
BOX = (-1.8, 2.6, -1.0, 2.4)


@functools.lru_cache(maxsize=512)
@one_cpu_thread()
def robust_fit(eps: float, norm: str):
    """The robust optimum (w, b) as numpy, its loss and the signed distances y f/‖w‖₂ (None at w = 0)."""
    w, b = adv.robust_logistic_fit(X9, Y9, eps, norm=norm)
    loss = float(adv.robust_logistic_loss(w, b, X9, Y9, eps, norm=norm))
    w, b = w.numpy(), float(b)
    nw = float(np.linalg.norm(w))
    dist = Y9 * (X9 @ w + b) / nw if nw > 0 else None
    return w, b, loss, dist


def _line(w, b, level):
    """Points of w·x + b = level across BOX (a vertical line when w₂ = 0)."""
    x0, x1, y0, y1 = BOX
    if abs(w[1]) > 1e-12 * max(abs(w[0]), 1e-300):
        xs = np.array([x0, x1])
        return xs, (level - b - w[0] * xs) / w[1]
    xv = (level - b) / w[0]
    return np.array([xv, xv]), np.array([y0, y1])


class RobustMarginFigure(InteractiveFigure):
    """2-d points, the robust optimum's boundary, the ε-tube, FGM's arrows; collapse to w = 0 past ε*."""

    controls = {
        "eps": Slider(0.0, 0.8, 0.2, step=0.01, label="attack size ε", named=(0.0, 0.2, 0.3, 0.47, 0.48, 0.61, 0.62)),
        "norm": Choice(list(LINEAR_NORM_NAMES), "l2", label="attack"),
    }
    figsize = (10.0, 5.0)

    def build(self):
        self.names = {"l2": self.tr("ℓ2 ball (FGM, normalised)"), "sign": self.tr("ℓ∞ box (FGM, sign)")}
        self.ax, self.ax_d = ax, ax_d = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        ax.scatter(*X9[Y9 == 1].T, s=46, color="C0", marker="o", zorder=4, label="y = +1")
        ax.scatter(*X9[Y9 == -1].T, s=46, color="C3", marker="s", zorder=4, label="y = −1")
        (self.boundary,) = ax.plot([], [], color="k", lw=1.8, label=self.tr("boundary w·x + b = 0"))
        (self.tube_hi,) = ax.plot([], [], color="0.4", lw=1.0, ls="--", label=self.tr("ε-tube: |w·x + b| = ε‖w‖*"))
        (self.tube_lo,) = ax.plot([], [], color="0.4", lw=1.0, ls="--")
        self.arrows = ax.quiver(
            X9[:, 0],
            X9[:, 1],
            np.zeros(9),
            np.zeros(9),
            angles="xy",
            scale_units="xy",
            scale=1,
            color="C2",
            width=0.006,
            zorder=5,
        )
        ax.set(xlim=BOX[:2], ylim=BOX[2:], aspect="equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=7.5, frameon=False)
        ax.set_title(self.tr("the robust optimum, its ε-tube and the FGM arrows"), fontsize=9)
        grid = np.round(np.arange(0, 0.801, 0.01), 2)
        for i, norm in enumerate(LINEAR_NORM_NAMES):
            ws = [
                np.abs(robust_fit(float(e), norm)[0]).sum()
                if norm == "sign"
                else np.linalg.norm(robust_fit(float(e), norm)[0])
                for e in grid
            ]
            ax_d.plot(grid, ws, color=f"C{i}", lw=1.5, label=self.names[norm])
            ax_d.axvline(
                COLLAPSE[norm],
                color=f"C{i}",
                lw=0.9,
                ls=":",
                label="ε* = ‖μ₊ − μ₋‖{sub}/2 = {crit:.3f}".format(
                    sub="₂" if norm == "l2" else "∞", crit=COLLAPSE[norm]
                ),
            )
        (self.dot,) = ax_d.plot([], [], "o", color="k", ms=6)
        ax_d.set_xlim(0, 0.8)
        ax_d.set_ylim(0, None)
        ax_d.set_xlabel(self.tr("attack size ε"))
        ax_d.set_ylabel(self.tr("‖w‖* of the robust optimum"))
        ax_d.set_title(self.tr("the optimum shrinks, then collapses to w = 0"), fontsize=9)
        ax_d.legend(loc="upper right", fontsize=7.5, frameon=False)

    def draw(self, eps, norm):
        w, b, loss, dist = robust_fit(eps, norm)
        order = 1 if norm == "sign" else 2
        nw = float(np.linalg.norm(w, ord=order))
        self.collapsed = nw == 0
        self.w, self.b, self.loss, self.dist = w, b, loss, dist
        if self.collapsed:
            for line in (self.boundary, self.tube_hi, self.tube_lo):
                line.set_data([], [])
            self.arrows.set_UVC(np.zeros(9), np.zeros(9))
        else:
            self.boundary.set_data(*_line(w, b, 0.0))
            self.tube_hi.set_data(*_line(w, b, eps * nw))
            self.tube_lo.set_data(*_line(w, b, -eps * nw))
            direction = w / np.linalg.norm(w) if norm == "l2" else np.sign(w)
            delta = -eps * Y9[:, None] * direction  # the FGM arrows, −ε y w/‖w‖ or −ε y sign(w)
            self.arrows.set_UVC(delta[:, 0], delta[:, 1])
        self.dot.set_data([eps], [nw])
        crit = COLLAPSE[norm]
        if self.collapsed:
            self.inside = 9
            state = self.tr("w = 0: a constant predictor, p(y = +1) = {p:.3f} everywhere (ε ≥ ε* = {crit:.4f})").format(
                p=1 / (1 + math.exp(-b)), crit=crit
            )
        else:
            margin = Y9 * (X9 @ w + b) / nw  # the distance in the attack's dual geometry
            self.inside = int((margin < eps).sum())
            state = self.tr(
                "signed distances d = y f/‖w‖₂ from {lo:.3f} to {hi:.3f}; {inside} of 9 points inside the ε-tube"
            ).format(lo=dist.min(), hi=dist.max(), inside=self.inside)
        self.readout = self.tr(
            "ε = {eps:.2f}, {attack}: w = ({w1:.4f}, {w2:.4f}), b = {b:.4f}, ‖w‖* = <b>{nw:.4f}</b>, robust loss "
            "<b>{loss:.4f}</b>; {state}. The collapse ε* = {crit:.4f} for this attack."
        ).format(
            eps=eps,
            attack=self.names[norm],
            w1=w[0],
            w2=w[1],
            b=b,
            nw=nw,
            loss=loss,
            state=state,
            crit=crit,
        )
