"""Lesson 05 figures: smooth |x|, relu, sign, step; smooth max / onehot / argmax; training on F1."""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import torch
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator, ScalarFormatter

from theory_lib import smoothing as sm
from theory_lib._checks import as_float_tensor
from theory_lib.figures.base import Choice, InteractiveFigure, LogSlider, Slider, Text, nice_ceil

# ------------------------------------------------------------------------------ figure 1
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
_EXACT = {"abs": np.abs, "relu": lambda x: np.maximum(x, 0.0), "sign": np.sign,
          "step": lambda x: (x > 0).astype(float)}
_EXACT_DERIV = {"abs": np.sign, "relu": lambda x: (x > 0).astype(float), "sign": np.zeros_like,
                "step": np.zeros_like}
# one-sided limits at the kink x = 0: (value from the left, from the right), (slope left, right)
_AT_ZERO = {"abs": ((0.0, 0.0), (-1.0, 1.0)), "relu": ((0.0, 0.0), (0.0, 1.0)),
            "sign": ((-1.0, 1.0), (0.0, 0.0)), "step": ((0.0, 1.0), (0.0, 0.0))}
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
        (self.exact_line,) = ax_f.plot([], [], "--", color="k", lw=1.2, label="exact")
        (self.smooth_line,) = ax_f.plot([], [], color="C1", lw=2, label="smooth")
        ax_f.set(xlim=(-3, 3), ylim=YLIM, xlabel="x", title="function")
        ax_f.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        (self.gap_line,) = ax_g.plot([], [], color="C1", lw=1.5, label="|smooth − exact|")
        (self.bound_line,) = ax_g.plot([], [], "--", color="C3", lw=1.2, label="sup error")
        ax_g.set_yscale("log")
        ax_g.set(xlim=(-3, 3), ylim=(1e-12, 10), xlabel="x", title="gap (log scale)")
        _sparse_log_ticks(ax_g.yaxis, [1e-12, 1e-9, 1e-6, 1e-3, 1])
        ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

        (self.dexact_line,) = ax_d.plot([], [], "--", color="k", lw=1.2, label="exact derivative")
        (self.delta_line,) = ax_d.plot([], [], color="k", lw=1.2)
        (self.dsmooth_line,) = ax_d.plot([], [], color="C1", lw=2, label="smooth (autograd)")
        self.delta_text = ax_d.text(0.04, 0.04, "", transform=ax_d.transAxes, fontsize=8, va="bottom")
        ax_d.set(xlim=(-3, 3), ylim=DLIM, xlabel="x", title="derivative")
        ax_d.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=2, frameon=False)

    def draw(self, function, k):
        name, kind = FUNCTIONS[function]
        xn = x_grid(k)                                   # dense near the kink, whatever k
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
        bound = sm.approximation_error(name, k, kind)
        self.gap_line.set_data(xn, np.maximum(gap, 1e-12))
        self.bound_line.set_data([-3, 3], [bound, bound])

        # derivative: exact (a Dirac delta at 0 for sign and step) and the smooth one by autograd
        self.dexact_line.set_data(xj, np.r_[_EXACT_DERIV[name](left[:-1]), d_left, d_right,
                                            _EXACT_DERIV[name](right[1:])])
        self.dsmooth_line.set_data(xn, dy)
        if name in ("sign", "step"):  # the derivative tends to a Dirac delta: an arrow at 0
            peak = float(dy.max())
            self.delta_line.set_data([0, 0], [0, DLIM[1]])
            mass = 2 if name == "sign" else 1
            clipped = " (off scale ↑)" if peak > DLIM[1] else ""
            area = sm.derivative_mass(name, k, 3.0, kind if name == "sign" else None)  # exact: f(3) − f(−3)
            self.delta_text.set_text(f"exact: {mass}·δ(x) at 0\nsmooth: peak {peak:.3g}{clipped},\n"
                                     f"area on [−3, 3] {area:.4g}")
        else:
            self.delta_line.set_data([], [])
            self.delta_text.set_text("")
        self.readout = self._readout(name, kind, k, gap, xn)

    @staticmethod
    def _readout(name, kind, k, gap, xn):
        bound = sm.approximation_error(name, k, kind)
        if name in ("sign", "step"):
            far = gap[np.abs(xn) >= 0.5].max()
            return (f"k = {k:.3g}: the sup error stays <b>{bound:g}</b> for every k (a jump is never "
                    f"approximated uniformly), but on |x| ≥ 0.5 it is <b>{far:.2e}</b>.")
        c = bound * k
        return (f"k = {k:.3g}: sup |smooth − exact| = <b>{bound:.4g}</b> = {c:.4f}/k; largest gap on the "
                f"plotted grid {gap.max():.4g}; gap at x = ±3: {gap[-1]:.2e}.")


def _set_limits(ax, xlim=None, ylim=None):
    """Set axis limits only when they change: set_xlim/set_ylim mark the figure stale even when
    the values are the same, and a stale figure is fully redrawn by pyplot after each widget event."""
    if xlim is not None and tuple(ax.get_xlim()) != tuple(map(float, xlim)):
        ax.set_xlim(*xlim)
    if ylim is not None and tuple(ax.get_ylim()) != tuple(map(float, ylim)):
        ax.set_ylim(*ylim)


def _sparse_log_ticks(axis, ticks):
    """Few major ticks and no minor ones on a log axis: tick labels are most of a full draw."""
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())


# ------------------------------------------------------------------------------ figure 2
VECTOR_MAX = 1e6  # |x_i| beyond this: float64 no longer resolves the gap τ log n ≥ 1e-3 · log 2 next to max x


def parse_vector(text: str) -> torch.Tensor:
    """The figure's editable vector: 2 to 40 finite numbers in [-1e6, 1e6], separated by commas (float64)."""
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"vector must be numbers separated by commas, got {text!r}") from None
    if not 2 <= len(values) <= 40:
        raise ValueError(f"vector needs 2 to 40 entries, got {len(values)}")
    x = as_float_tensor("vector", torch.tensor(values, dtype=torch.float64))
    if x.abs().max().item() > VECTOR_MAX:
        raise ValueError(f"vector entries must lie in [-{VECTOR_MAX:g}, {VECTOR_MAX:g}], got {text!r}")
    return x


TAU_GRID = np.logspace(-3, 1, 161)


@functools.lru_cache(maxsize=64)
def _tau_curves(text: str):
    """smooth max - max and the soft argmax over TAU_GRID for one vector (cached per vector).

    Both are evaluated for all tau at once through tau-homogeneity: smooth_max(x, tau) =
    tau * smooth_max(x / tau, 1), and softmax(x / tau) is softmax of the rows x / tau at 1.
    """
    x = parse_vector(text)
    tau = torch.from_numpy(TAU_GRID)[:, None]  # (T, 1)
    scaled = x[None, :] / tau  # (T, n)
    gaps = (tau[:, 0] * (sm.smooth_max(scaled, 1.0) - scaled.amax(-1))).numpy()
    soft = sm.smooth_argmax(scaled, 1.0).numpy()
    return gaps, soft


class SmoothMaxFigure(InteractiveFigure):
    """max vs smooth max with the bound, onehot vs softmax, argmax vs soft argmax, against tau."""

    controls = {
        "vector": Text("2, 0.5, 3, 2.8, 1", ["3, 0, 3", "1e4, -1e4, 9999", "0, 0, 0, 0, 0, 0",
                                              ", ".join(str(i) for i in range(40))], label="vector x"),
        "tau": LogSlider(1e-3, 10.0, 0.3, label="temperature τ", named=(0.001, 0.01, 0.03, 0.1, 1.0)),
    }
    figsize = (9.5, 6.6)

    def build(self):
        (ax_v, ax_p), (ax_g, ax_a) = self.fig.subplots(2, 2)
        self.ax_v, self.ax_p, self.ax_g, self.ax_a = ax_v, ax_p, ax_g, ax_a
        self.stems = LineCollection([], colors="0.6", linewidths=1.0)
        ax_v.add_collection(self.stems)
        (self.points,) = ax_v.plot([], [], "o", color="0.3", ms=5)
        (self.max_line,) = ax_v.plot([], [], color="k", lw=1.5, label="max")
        (self.smax_line,) = ax_v.plot([], [], color="C1", lw=2, label="τ log Σ exp(xᵢ/τ)")
        (self.bound_line,) = ax_v.plot([], [], "--", color="C3", lw=1.2, label="max + τ log n")
        self.off_text = ax_v.text(0.98, 0.96, "", transform=ax_v.transAxes, fontsize=8, ha="right", va="top")
        ax_v.set(xlabel="index i", ylabel="xᵢ", title="max and smooth max")
        # short tick labels whatever the vector (±1e6 reads "−1.0" with "×10⁶" above), and the y label
        # at a fixed place the layout reserves: the layout is fixed at the default vector
        ax_v.yaxis.set_major_formatter(ScalarFormatter(useMathText=True))
        ax_v.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        ax_v.yaxis.set_label_coords(-0.14, 0.5)
        ax_v.xaxis.set_major_locator(MaxNLocator(integer=True))  # indices, never 0.5
        ax_v.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

        self.bars = PolyCollection([], facecolors="C1", edgecolors="none", label="softmax(x/τ)")  # data units
        ax_p.add_collection(self.bars)
        self.onehot = LineCollection([], colors="k", linewidths=1.5, label="onehot(argmax x)")
        ax_p.add_collection(self.onehot)
        (self.argmax_mark,) = ax_p.plot([], [], "v", color="k", ms=9, label="argmax")
        (self.soft_mark,) = ax_p.plot([], [], "v", color="C3", ms=9, label="Σ i·softmaxᵢ")
        ax_p.set(ylim=(0, 1.25), xlabel="index i", title="onehot vs softmax")
        ax_p.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_p.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

        (self.gap_curve,) = ax_g.plot([], [], color="C1", lw=2, label="smooth max − max")
        (self.bound_curve,) = ax_g.plot([], [], "--", color="C3", lw=1.2, label="bound τ log n")
        (self.ties_curve,) = ax_g.plot([], [], ":", color="k", lw=1.2)  # labelled in place: only drawn with ties
        self.ties_text = ax_g.text(1.3e-3, 1e-3, "", fontsize=8, va="top")
        (self.gap_now,) = ax_g.plot([], [], "o", color="C1", ms=6)
        (self.tau_now_g,) = ax_g.plot([], [], color="0.5", lw=0.8)
        ax_g.set_xscale("log")
        ax_g.set_yscale("log")
        ax_g.set(xlim=(1e-3, 10), ylim=(1e-8, 1e3), xlabel="τ", title="gap against τ")
        _sparse_log_ticks(ax_g.xaxis, [1e-3, 1e-2, 1e-1, 1, 10])
        _sparse_log_ticks(ax_g.yaxis, [1e-8, 1e-5, 1e-2, 10])
        ax_g.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

        (self.soft_curve,) = ax_a.plot([], [], color="C3", lw=2, label="Σ i·softmax(x/τ)ᵢ")
        self.argmax_lines = LineCollection([], colors="k", linewidths=1.0, linestyles="--",
                                           label="maximisers")
        ax_a.add_collection(self.argmax_lines)
        (self.soft_now,) = ax_a.plot([], [], "o", color="C3", ms=6)
        (self.tau_now_a,) = ax_a.plot([], [], color="0.5", lw=0.8)
        ax_a.set_xscale("log")
        ax_a.set(xlim=(1e-3, 10), xlabel="τ", ylabel="index", title="soft argmax against τ")
        ax_a.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax_a.yaxis.set_label_coords(-0.09, 0.5)  # room for two-digit indices (n up to 40) at the fixed layout
        _sparse_log_ticks(ax_a.xaxis, [1e-3, 1e-2, 1e-1, 1, 10])
        ax_a.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False)

    def draw(self, vector, tau):
        x = parse_vector(vector)
        n = x.shape[0]
        xn = x.numpy()
        i = np.arange(n)
        m = float(xn.max())
        smax = sm.smooth_max(x, tau).item()
        bound = sm.smooth_max_bound(n, tau)
        p = sm.smooth_onehot(x, tau).numpy()
        soft = sm.smooth_argmax(x, tau).item()
        winners = np.flatnonzero(xn == m)

        # values, max, smooth max, bound; the y range depends on the vector only (tau moves blit)
        lo = float(xn.min())
        span = (m - lo) or max(abs(m), 1.0)
        bottom, top = lo - 0.1 * span, m + 0.6 * span
        _set_limits(self.ax_v, (-0.6, n - 0.4), (bottom, top))
        self.stems.set_segments([[(j, bottom), (j, v)] for j, v in zip(i, xn)])
        self.points.set_data(i, xn)
        self.max_line.set_data([-0.6, n - 0.4], [m, m])
        self.smax_line.set_data([-0.6, n - 0.4], [smax, smax])
        self.bound_line.set_data([-0.6, n - 0.4], [m + bound, m + bound])
        off = [name for name, v in (("smooth max", smax), ("bound", m + bound)) if v > top]
        self.off_text.set_text(" and ".join(off) + " off scale ↑" if off else "")

        # softmax bars with the hard onehot (first maximiser, as torch.argmax picks it)
        _set_limits(self.ax_p, xlim=(-0.6, n - 0.4))
        self.bars.set_verts([[(j - 0.3, 0), (j - 0.3, v), (j + 0.3, v), (j + 0.3, 0)] for j, v in zip(i, p)])
        first = int(winners[0])
        self.onehot.set_segments([[(first, 0), (first, 1)]])
        self.argmax_mark.set_data(winners, np.full(len(winners), 1.15))
        self.soft_mark.set_data([soft], [1.15])

        # against tau (cached per vector): gap with its bound and the tie limit, soft argmax
        gaps, softs = _tau_curves(vector)
        self.gap_curve.set_data(TAU_GRID, np.maximum(gaps, 1e-9))
        self.bound_curve.set_data(TAU_GRID, np.maximum(TAU_GRID * math.log(n), 1e-9))
        ties = len(winners)
        if ties > 1:
            self.ties_curve.set_data(TAU_GRID, TAU_GRID * math.log(ties))
            self.ties_text.set_position((1.3e-3, 0.4e-3 * math.log(ties)))  # under its line
            self.ties_text.set_text(f"τ log {ties} ({ties} tied maxima)")
        else:
            self.ties_curve.set_data([], [])
            self.ties_text.set_text("")
        self.gap_now.set_data([tau], [max(smax - m, 1e-9)])
        self.tau_now_g.set_data([tau, tau], [1e-8, 1e3])
        self.soft_curve.set_data(TAU_GRID, softs)
        self.argmax_lines.set_segments([[(1e-3, w), (10, w)] for w in winners])
        self.soft_now.set_data([tau], [soft])
        self.tau_now_a.set_data([tau, tau], [-0.5, n - 0.5])
        _set_limits(self.ax_a, ylim=(-0.5, n - 0.5))

        where = ", ".join(str(w) for w in winners)
        self.readout = (
            f"n = {n}, τ = {tau:.3g}: max = {m:.6g}, smooth max = {smax:.6g}, gap = <b>{smax - m:.3g}</b> "
            f"≤ τ log n = {bound:.3g}. argmax = {{{where}}}, soft argmax = <b>{soft:.3f}</b>, "
            f"largest softmax entry {p.max():.3f}."
            + (f" With {ties} tied maxima the soft argmax tends to their mean index "
               f"{winners.mean():.3g}, and the gap to τ log {ties}." if ties > 1 else ""))


# ------------------------------------------------------------------------------ figure 3
N_TRAIN, N_TEST, STEPS, LR, RECORD = 2000, 10_000, 200, 0.3, 10
F1_TOPS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)   # brackets for the F1 panels' top: the curves fill them


def data_box(x: np.ndarray) -> tuple:
    """The training points' extent, widened to whole numbers: the scatter panel's limits."""
    lo, hi = np.floor(x.min(0)), np.ceil(x.max(0))
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def f1_top(*values) -> float:
    """The F1 panels' top: the bracket above 1.05 × the largest F1 shown, at most 1."""
    return min(1.0, nice_ceil(1.05 * max(max(np.max(v) for v in values), 0.01), F1_TOPS))


def _line_in_box(w, b, level, box):
    """Two points of {x : x . w + b = level} inside the plot box (empty when it misses the box)."""
    x0, x1, y0, y1 = box
    w1, w2 = float(w[0]), float(w[1])
    pts = []
    if abs(w2) > 1e-12:
        for xv in (x0, x1):
            yv = (level - b - w1 * xv) / w2
            if y0 <= yv <= y1:
                pts.append((xv, yv))
    if abs(w1) > 1e-12:
        for yv in (y0, y1):
            xv = (level - b - w2 * yv) / w1
            if x0 <= xv <= x1:
                pts.append((xv, yv))
    if len(pts) < 2:
        return np.empty(0), np.empty(0)
    pts = np.array(sorted(set(pts)))[[0, -1]]
    return pts[:, 0], pts[:, 1]


@functools.lru_cache(maxsize=128)
def f1_experiment(positive_fraction: float, separation: float, batch: str, seed: int) -> dict:
    """Train the logistic model with cross-entropy and with the smooth-F1 loss; evaluate hard F1.

    Cached on its arguments, so moving back to a setting, or redrawing, costs nothing.
    """
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    xtr, ytr = sm.imbalanced_blobs(N_TRAIN, positive_fraction, separation, generator=g)
    xte, yte = sm.imbalanced_blobs(N_TEST, positive_fraction, separation, generator=g)
    batch_size = None if batch == "full" else int(batch)
    runs = {loss: sm.train_linear_classifier(xtr, ytr, loss, steps=STEPS, lr=LR, batch_size=batch_size,
                                             record_every=RECORD, generator=torch.Generator().manual_seed(seed + 1))
            for loss in ("ce", "f1")}
    ce, f1 = runs["ce"], runs["f1"]
    thresholds = torch.linspace(0.02, 0.98, 49, dtype=torch.float64)
    p_tr, p_te = ce.probs(xtr), ce.probs(xte)
    train_curve = sm.hard_f1(p_tr, ytr, thresholds[:, None])  # (49,)
    t_best = thresholds[int(torch.argmax(train_curve))].item()
    test_curve = sm.hard_f1(p_te, yte, thresholds[:, None]).numpy()
    # F1 along training, on the test set, for both losses (at p > 1/2, i.e. logit > 0)
    hist = {loss: sm.hard_f1(r.history_w @ xte.T + r.history_b[:, None], yte).numpy()  # (R,)
            for loss, r in runs.items()}
    if batch_size is None:
        smooth_train = 1.0 - f1.history_loss.numpy()
    else:  # the recorded loss is one batch's: recompute the smooth F1 on the whole training set
        smooth_train = np.array([sm.smooth_f1(torch.sigmoid(xtr @ w + b), ytr).item()
                                 for w, b in zip(f1.history_w, f1.history_b)])
    # the ceiling: the best threshold on x_1 (the Bayes rule's direction), chosen on the test set
    # (sorted by x_1, predicting the top j points positive: F1 = 2 TP_j / (j + #positives))
    tp = torch.cumsum(yte[torch.argsort(xte[:, 0], descending=True)], 0)
    oracle = (2 * tp / (torch.arange(1, N_TEST + 1, dtype=yte.dtype) + yte.sum())).max().item()
    return {
        "x": xtr.numpy(), "y": ytr.numpy(),
        "ce": (ce.w.numpy(), ce.b.item()), "f1": (f1.w.numpy(), f1.b.item()),
        "t_best": t_best, "thresholds": thresholds.numpy(), "test_curve": test_curve,
        "steps": ce.history_step.numpy(), "hist_ce": hist["ce"], "hist_f1": hist["f1"],
        "smooth_train": smooth_train,
        "f1_ce": sm.hard_f1(ce.logits(xte), yte).item(),
        "f1_ce_tuned": sm.hard_f1(p_te, yte, t_best).item(),
        "f1_f1": sm.hard_f1(f1.logits(xte), yte).item(),
        "oracle": oracle,
        "mean_p_ce": p_te.mean().item(), "mean_p_f1": f1.probs(xte).mean().item(),
        "predicted_ce": (ce.logits(xte) > 0).double().mean().item(),
        "predicted_f1": (f1.logits(xte) > 0).double().mean().item(),
        "seconds": time.perf_counter() - t0,
    }


class SmoothF1TrainingFigure(InteractiveFigure):
    """A logistic model on an imbalanced 2-D set, trained on cross-entropy vs on smooth F1."""

    controls = {
        "positive_fraction": LogSlider(0.01, 0.5, 0.05, label="positive fraction π", named=(0.02, 0.05, 0.2, 0.5)),
        "separation": Slider(0.0, 4.0, 1.5, step=0.25, label="class separation", named=(0.0, 1.0, 1.5, 2.0, 3.0)),
        "batch": Choice(["full", "256", "32"], "full", label="batch size"),
        "seed": Slider(0, 20, 0, integer=True, label="seed"),
    }
    figsize = (9.5, 4.4)
    continuous = False  # a setting trains two models (about half a second): update on release

    def build(self):
        ax_s, ax_h, ax_t = self.fig.subplots(1, 3)
        self.ax_s, self.ax_h, self.ax_t = ax_s, ax_h, ax_t
        # four line styles, so that no two lines differ by colour alone
        ce, ce_tuned, f1 = dict(color="C0", lw=2), dict(color="C0", lw=1.5, ls="--"), dict(color="C2", lw=2, ls="-.")
        self.neg = ax_s.scatter([], [], s=3, color="0.65", label="negatives", rasterized=True)
        self.pos = ax_s.scatter([], [], s=6, color="C3", label="positives")
        (self.ce_line,) = ax_s.plot([], [], **ce, label="cross-entropy, p > ½")
        (self.ce_tuned_line,) = ax_s.plot([], [], **ce_tuned, label="cross-entropy, p > t*")
        (self.f1_line,) = ax_s.plot([], [], **f1, label="smooth-F1 loss, p > ½")
        ax_s.set(xlabel="x₁", ylabel="x₂", title="training set, boundaries")

        (self.h_ce,) = ax_h.plot([], [], **ce)
        (self.h_f1,) = ax_h.plot([], [], **f1)
        (self.h_smooth,) = ax_h.plot([], [], ":", color="C2", lw=1.5, label="smooth F1 itself (train)")
        (self.h_tuned,) = ax_h.plot([], [], **ce_tuned)
        (self.h_oracle,) = ax_h.plot([], [], color="0.45", lw=1, ls=(0, (8, 3)), label="best threshold on x₁")
        ax_h.set(xlim=(0, STEPS), xlabel="Adam step", ylabel="test F1", title="test F1 while training")

        (self.t_curve,) = ax_t.plot([], [], **ce)
        (self.t_half,) = ax_t.plot([], [], "o", color="C0", ms=6, mfc="white")
        (self.t_best,) = ax_t.plot([], [], "o", color="C0", ms=6)
        (self.t_f1,) = ax_t.plot([], [], color="C2", lw=1.5, ls="-.")
        (self.t_rule,) = ax_t.plot([], [], ":", color="k", lw=1.2, label="t = F1*/2")
        ax_t.set(xlim=(0, 1), xlabel="threshold t (○ ½, ● t*)", ylabel="test F1",
                 title="cross-entropy model at p > t")
        # one legend for the three panels, under them (figure legends stay in the static background)
        handles = [self.neg, self.pos, self.ce_line, self.ce_tuned_line, self.f1_line, self.h_smooth,
                   self.h_oracle, self.t_rule]
        self.fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False,
                        markerscale=2)

    def draw(self, positive_fraction, separation, batch, seed):
        r = f1_experiment(round(positive_fraction, 6), round(separation, 6), batch, int(seed))
        x, y = r["x"], r["y"]
        self.neg.set_offsets(x[y == 0])
        self.pos.set_offsets(x[y == 1])
        logit = lambda t: math.log(t / (1 - t))
        box = data_box(x)                                  # the axes fit the points
        _set_limits(self.ax_s, box[:2], box[2:])
        self.ce_line.set_data(*_line_in_box(*r["ce"], 0.0, box))
        self.ce_tuned_line.set_data(*_line_in_box(*r["ce"], logit(r["t_best"]), box))
        self.f1_line.set_data(*_line_in_box(*r["f1"], 0.0, box))
        top = f1_top(r["hist_ce"], r["hist_f1"], r["smooth_train"], r["test_curve"], r["oracle"], r["f1_f1"])
        _set_limits(self.ax_h, ylim=(0, top))
        _set_limits(self.ax_t, ylim=(0, top))

        steps = r["steps"]
        self.h_ce.set_data(steps, r["hist_ce"])
        self.h_f1.set_data(steps, r["hist_f1"])
        self.h_smooth.set_data(steps, r["smooth_train"])
        self.h_tuned.set_data([0, STEPS], [r["f1_ce_tuned"]] * 2)
        self.h_oracle.set_data([0, STEPS], [r["oracle"]] * 2)

        self.t_curve.set_data(r["thresholds"], r["test_curve"])
        self.t_half.set_data([0.5], [r["f1_ce"]])
        self.t_best.set_data([r["t_best"]], [r["f1_ce_tuned"]])
        self.t_f1.set_data([0, 1], [r["f1_f1"]] * 2)
        half_best = 0.5 * float(r["test_curve"].max())
        self.t_rule.set_data([half_best, half_best], [0, top])

        self.readout = (
            f"Test F1 on {N_TEST:,} points (π = {positive_fraction:.3g}, separation {separation:g}, "
            f"batch {batch}): cross-entropy at p > ½ <b>{r['f1_ce']:.3f}</b>; cross-entropy at the "
            f"tuned threshold t* = {r['t_best']:.2f} <b>{r['f1_ce_tuned']:.3f}</b>; smooth-F1 loss at "
            f"p > ½ <b>{r['f1_f1']:.3f}</b>; best threshold on x₁ {r['oracle']:.3f}. Mean predicted p "
            f"on the test set: cross-entropy {r['mean_p_ce']:.3f}, smooth-F1 {r['mean_p_f1']:.3f} "
            f"(true π {positive_fraction:.3f}). Both trainings took {r['seconds']:.2f} s (cached).")
