"""Lesson 13, the step figures: two alternating steps against their second-order prediction.

``TwoStepFigure`` (ε and the order): on the smooth toy L = softplus(θ₁) + θ₂⁴/4 + θ₁θ₂ at θ₀, left the
displacement of one descent plus one ascent step (``flooding.descent_ascent``) and the prediction
−(ε²/2)∇‖∇L‖² (``flooding.equivalent_step``), both divided by ε² so that the prediction stays put
while the exact arrow converges to it; right the error against ε, log–log, for both orders, with a
slope-3 guide. The error curves are computed once for every ε on the slider.

``UnequalRatesFigure`` (ε₁ and ε₂/ε₁): on the valley of ``valley.py``, 200 alternating pairs (descent at
ε₁, ascent at ε₂) beside 200 steps of descent at ε₁ − ε₂ on L + c‖∇L‖², c = ε₁ε₂/(2(ε₁ − ε₂))
(``flooding.unequal_rate_paths``), and plain descent on L at ε₁ − ε₂.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import flooding as fl
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

THETA0 = (0.5, -0.3)
EPS_SLIDER = LogSlider(0.005, 1.0, 0.1, label="learning rate ε", named=(0.025, 0.05, 0.1, 1.0))
PAIRS = 200
START = (1.0, 1.5)  # (u, v): the unequal-rates paths start here, on the valley


def _theta0() -> torch.Tensor:
    return torch.tensor(THETA0, dtype=torch.float64)


@functools.lru_cache(maxsize=512)
def two_steps(eps: float, order: str) -> tuple[np.ndarray, np.ndarray]:
    """(exact displacement, predicted displacement) of the two steps at rate eps from THETA0."""
    t = _theta0()
    exact = fl.descent_ascent(t, fl.toy_loss, eps, order=order) - t
    predicted = fl.equivalent_step(t, fl.toy_loss, eps) - t
    return exact.numpy(), predicted.numpy()


@functools.lru_cache(maxsize=1)
def error_curves() -> dict:
    """ε on the slider's grid, and |exact − predicted| and |exact| for each order."""
    eps = np.array(EPS_SLIDER.grid())
    out = {"eps": eps}
    for order in fl.ORDERS:
        pairs = [two_steps(float(e), order) for e in eps]
        out[order] = np.array([np.linalg.norm(a - p) for a, p in pairs])
        out[order + " move"] = np.array([np.linalg.norm(a) for a, _ in pairs])
    return out


def local_slope(eps: float, order: str) -> float:
    """The log–log slope of the error between ε and the grid value below it (or above, at the bottom)."""
    c = error_curves()
    i = int(np.argmin(np.abs(c["eps"] - eps)))
    j = i - 1 if i > 0 else i + 1
    e = c[order]
    return float(np.log(e[i] / e[j]) / np.log(c["eps"][i] / c["eps"][j]))


class TwoStepFigure(InteractiveFigure):
    """Descent plus ascent at ε: the exact displacement and the prediction −(ε²/2)∇‖g‖², and the error's order."""

    controls = {
        "eps": EPS_SLIDER,
        "order": Choice(list(fl.ORDERS), "descent-first", label="order"),
    }
    figsize = (10.0, 4.0)

    def build(self):
        ax, ax_e = self.fig.subplots(1, 2)
        self.ax, self.ax_e = ax, ax_e
        ax.axhline(0, color="0.85", lw=0.8)
        ax.axvline(0, color="0.85", lw=0.8)
        (self.pred,) = ax.plot([], [], color="C0", lw=2.5, label=self.tr("prediction −½∇‖g‖² (per ε²)"))
        (self.exact,) = ax.plot([], [], color="C3", lw=1.5, ls="--", label=self.tr("exact two steps (per ε²)"))
        (self.heads,) = ax.plot([], [], "o", color="k", ms=4)
        ax.plot([0], [0], "o", color="k", ms=6, mfc="white")
        ax.set(xlabel="Δθ₁ / ε²", ylabel="Δθ₂ / ε²")
        ax.set_title(
            self.tr("two steps from θ₀ = ({a}, {c}), divided by ε²").format(a=THETA0[0], c=THETA0[1]), fontsize=9
        )
        ends = np.array([a / e**2 for e in error_curves()["eps"] for o in fl.ORDERS for a in two_steps(float(e), o)])
        lo, hi = np.minimum(ends.min(0), 0), np.maximum(ends.max(0), 0)
        pad = 0.08 * (hi - lo).max()
        ax.set(xlim=(lo[0] - pad, hi[0] + pad), ylim=(lo[1] - pad, hi[1] + pad))
        ax.legend(loc="lower left", fontsize=7.5, frameon=False)

        c = error_curves()
        styles = {"descent-first": dict(color="C3", lw=1.6), "ascent-first": dict(color="C2", lw=1.6, ls="-.")}
        for order in fl.ORDERS:
            ax_e.loglog(
                c["eps"],
                c[order],
                **styles[order],
                label=self.tr("error, {order}").format(order=self.order_label(order)),
            )
        ax_e.loglog(c["eps"], c["descent-first move"], color="0.5", lw=1.2, label=self.tr("|displacement| (slope 2)"))
        e0 = c["eps"][0]
        guide = c["descent-first"][0] * 3 * (c["eps"] / e0) ** 3
        ax_e.loglog(c["eps"], guide, color="k", lw=0.9, ls=":", label=self.tr("slope 3"))
        (self.dot,) = ax_e.plot([], [], "o", color="k", ms=6)
        ax_e.set(xlabel="ε", ylabel=self.tr("|exact − prediction|"))
        ax_e.set_title(self.tr("the error is O(ε³), the move O(ε²)"), fontsize=9)
        ax_e.legend(loc="upper left", fontsize=7.5, frameon=False)

    def order_label(self, order: str) -> str:
        return self.tr("descent, then ascent") if order == "descent-first" else self.tr("ascent, then descent")

    def draw(self, eps, order):
        exact, pred = two_steps(eps, order)
        e2 = eps * eps
        self.pred.set_data([0, pred[0] / e2], [0, pred[1] / e2])
        self.exact.set_data([0, exact[0] / e2], [0, exact[1] / e2])
        self.heads.set_data([pred[0] / e2, exact[0] / e2], [pred[1] / e2, exact[1] / e2])
        self.error = float(np.linalg.norm(exact - pred))
        self.move = float(np.linalg.norm(exact))
        self.slope = local_slope(eps, order)
        self.dot.set_data([eps], [self.error])
        self.readout = self.tr(
            "ε = {eps:g}, {order}: the two steps move θ by {move:.3e}; the prediction misses by "
            "<b>{error:.3e}</b> ({share:.2%} of the move); error / ε³ = {ratio:.3f}; local slope {slope:.2f}."
        ).format(
            eps=eps,
            order=self.order_label(order),
            move=self.move,
            error=self.error,
            share=self.error / self.move,
            ratio=self.error / eps**3,
            slope=self.slope,
        )


class UnequalRatesFigure(InteractiveFigure):
    """Descent at ε₁, ascent at ε₂ < ε₁ on the valley: the alternating path, descent on L + c‖∇L‖² at
    ε₁ − ε₂ (the prediction), and plain descent on L at ε₁ − ε₂."""

    controls = {
        "lr": Slider(0.02, 0.2, 0.1, step=0.01, label="descent rate ε₁", named=(0.1, 0.2)),
        "ratio": Slider(0.05, 0.95, 0.5, step=0.05, label="ascent rate ε₂ / ε₁", named=(0.5, 0.95)),
    }
    figsize = (10.0, 4.0)

    def build(self):
        ax, ax_g = self.fig.subplots(1, 2)
        self.ax, self.ax_g = ax, ax_g
        v = np.linspace(0.5, 1.7, 121)
        for level in (0.05, 0.1, 0.2, 0.4, 0.8, 1.6):
            ax.plot(v, np.sqrt(2 * level / (1 + v**2)), color="0.82", lw=0.8, zorder=0)
        ax.axhline(0, color="0.35", lw=1.2, zorder=0)
        (self.plain,) = ax.plot([], [], color="0.45", lw=1.2, ls=":", label=self.tr("plain descent on L at ε₁ − ε₂"))
        (self.alt,) = ax.plot([], [], color="C3", lw=2.4, label=self.tr("alternating: −ε₁ then +ε₂"))
        (self.pen,) = ax.plot([], [], color="C0", lw=1.2, ls="--", label=self.tr("descent on L + c‖∇L‖² at ε₁ − ε₂"))
        (self.ends,) = ax.plot([], [], "s", color="k", ms=4, zorder=5)
        ax.plot([START[1]], [START[0]], "o", color="k", ms=5)
        ax.set(xlim=(0.5, 1.7), ylim=(-0.05, 1.05), xlabel=self.tr("v (along the valley)"), ylabel="u")
        ax.set_title(self.tr("{pairs} pairs of steps on the valley").format(pairs=PAIRS), fontsize=9)
        ax.legend(loc="upper left", fontsize=7.5, frameon=False)

        (self.gap,) = ax_g.plot([], [], color="k", lw=1.4, label=self.tr("|alternating − predicted|"))
        (self.gap_plain,) = ax_g.plot([], [], color="0.55", lw=1.2, ls=":", label=self.tr("|alternating − plain|"))
        ax_g.set(yscale="log", xlim=(0, PAIRS), ylim=(1e-5, 1), xlabel=self.tr("pair of steps"))
        ax_g.set_title(self.tr("how far each prediction drifts"), fontsize=9)
        ax_g.legend(loc="lower right", fontsize=7.5, frameon=False)

    def draw(self, lr, ratio):
        ascent = round(lr * ratio, 12)
        alt, pen = fl.unequal_rate_paths(torch.tensor(START, dtype=torch.float64), lr, ascent, PAIRS, loss="valley")
        self.rate, self.coef = fl.equivalent_penalty(lr, ascent)
        plain = fl.flood_valley(START[0], START[1], b=0.0, lr=self.rate, steps=PAIRS).numpy()
        alt, pen = alt.numpy(), pen.numpy()
        for line, path in ((self.alt, alt), (self.pen, pen), (self.plain, plain)):
            line.set_data(path[:, 1], path[:, 0])
        self.ends.set_data([p[-1, 1] for p in (alt, pen, plain)], [p[-1, 0] for p in (alt, pen, plain)])
        k = np.arange(1, PAIRS + 1)
        self.gap.set_data(k, np.maximum(np.linalg.norm(alt - pen, axis=1)[1:], 1e-5))
        self.gap_plain.set_data(k, np.maximum(np.linalg.norm(alt - plain, axis=1)[1:], 1e-5))
        self.v_alt, self.v_pen, self.v_plain = (float(p[-1, 1]) for p in (alt, pen, plain))
        self.readout = self.tr(
            "ε₁ = {lr:g}, ε₂ = {ascent:g}: the pairs descend L + c‖∇L‖² at rate ε₁ − ε₂ = {rate:g} with "
            "<b>c = {coef:.4g}</b>. After {pairs} pairs: alternating v = {v_alt:.4f} (sharpness {s_alt:.3f}), "
            "predicted v = {v_pen:.4f} ({s_pen:.3f}), plain descent v = {v_plain:.4f} ({s_plain:.3f})."
        ).format(
            lr=lr,
            ascent=ascent,
            rate=self.rate,
            coef=self.coef,
            pairs=PAIRS,
            v_alt=self.v_alt,
            v_pen=self.v_pen,
            v_plain=self.v_plain,
            s_alt=1 + self.v_alt**2,
            s_pen=1 + self.v_pen**2,
            s_plain=1 + self.v_plain**2,
        )
