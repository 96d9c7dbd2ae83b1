"""Lesson 07 figures: how fast ‖∂s_T/∂s_t‖ vanishes or explodes in RNN, LSTM and GRU.

Every curve comes from ``theory_lib.rnn.gradient_profile`` on one random sequence of length
``T_MAX`` (hidden size ``HIDDEN``, seed ``SEED``), computed once per (cell, weight scale, gate
bias) and cached; the sequence-length slider only slices the lags 0 .. T of that run. A change of
scale or bias that misses the cache recomputes the cells it affects (the plain RNNs ignore the
bias), which is the only slow move.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from theory_lib import rnn
from theory_lib.figures.base import Choice, InteractiveFigure, LogSlider, Slider

T_MAX = 500
HIDDEN = 16
SEED = 0
SCALE_STEP, BIAS_STEP = 0.05, 0.25
COLORS = {"rnn-tanh": "C0", "rnn-relu": "C1", "lstm": "C2", "gru": "C3"}
LN10 = math.log(10.0)
_LADDER = tuple(m * 10 ** e for e in range(5) for m in (1, 1.5, 2, 3, 5, 7))


def quantise(weight_scale: float, gate_bias: float) -> tuple[float, float]:
    """The slider values on their steps (the cache key): scale to 0.05, bias to 0.25."""
    return (round(round(weight_scale / SCALE_STEP) * SCALE_STEP, 10),
            round(round(gate_bias / BIAS_STEP) * BIAS_STEP, 10))


@functools.lru_cache(maxsize=128)
def profiles(weight_scale: float, gate_bias: float) -> dict:
    """Natural-log profiles against the lag k = T_MAX - t (index k), per cell; numpy arrays.

    All four cells in one call (their products share one batched loop). Cached per (scale, bias):
    the sequence-length slider only slices these arrays.
    """
    out = {}
    for cell, g in rnn.gradient_profiles(T_MAX, HIDDEN, weight_scale, gate_bias, seed=SEED).items():
        out[cell] = {key: None if v is None else torch.flip(v, [0]).numpy()
                     for key, v in (("state", g.state), ("main", g.main), ("chain", g.cell))}
        out[cell]["max_c"] = g.max_abs_c
    return out


def _nice(v: float) -> float:
    return next((m for m in _LADDER if m >= v), v)


def x_extent(T: int) -> int:
    """The x-axis right end for a sequence length T: 10, 20, 50, 100, 200 or 500 (coarse, few redraws)."""
    return next(m for m in (10, 20, 50, 100, 200, T_MAX) if m >= T)


def _limits(lo: float, hi: float) -> tuple[float, float]:
    """Quantised y-limits in decades, so that most slider moves keep the axes (and the blit)."""
    bottom = -_nice(-lo) if lo < -1 else -1.0
    top = _nice(hi) if hi > 1 else 1.0
    pad = 0.04 * (top - bottom)
    return bottom - pad, top + pad


def fit_line(y: np.ndarray, skip: float = 0.1):
    """Least-squares line through y[k] for k >= skip * K (what ``rnn.decay_rate`` fits); slope, intercept.

    A profile that reaches -inf (an exactly zero product) gets slope -inf."""
    k0 = math.ceil(skip * (len(y) - 1))
    yk = y[k0:]
    if len(yk) < 2:
        return 0.0, float(y[0])
    if not np.isfinite(yk).all():
        return -math.inf, float(y[0])
    k = np.arange(k0, len(y), dtype=float)
    km, ym = k.mean(), yk.mean()
    slope = float(((k - km) * (yk - ym)).sum() / ((k - km) ** 2).sum())
    return slope, float(ym - slope * km)


class RNNGradientFigure(InteractiveFigure):
    """Left: log10 ‖∂s_T/∂s_t‖ against the lag T - t for the four cells, the chosen one in bold with
    its fitted slope. Right: the gated cells' exact products against their main terms alone (LSTM:
    ∏ diag f and the article's ∂c_t/∂c_{t-1} chain; GRU: ∏ diag z).

    The y-limits follow all four cells together (quantised), so changing the cell only restyles
    lines and is blitted; scale and bias recompute on a cache miss (see the module docstring).
    """

    controls = {
        "cell": Choice(list(rnn.CELLS), "lstm"),
        "weight_scale": Slider(0.1, 5.0, 1.0, step=SCALE_STEP, label="weight scale s"),
        "gate_bias": Slider(-3.0, 6.0, 0.0, step=BIAS_STEP, label="gate bias b"),
        "T": LogSlider(10, T_MAX, 150, integer=True, label="length T"),
    }
    figsize = (9.6, 4.5)

    def build(self):
        # fixed margins instead of the constrained layout: a full redraw (new limits) costs half as much
        self.fig.set_layout_engine(None)
        ax, ax2 = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        self.fig.subplots_adjust(left=0.08, right=0.985, top=0.93, bottom=0.31, wspace=0.24)
        self.ax, self.ax2 = ax, ax2
        self.lines = {cell: ax.plot([], [], color=COLORS[cell], label=cell)[0] for cell in rnn.CELLS}
        (self.fit,) = ax.plot([], [], "k--", lw=1, label="fitted slope")
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.set_xlabel("lag T − t (steps)")
        ax.set_ylabel(r"$\log_{10}\,\|\partial s_T/\partial s_t\|$  (rms)")
        ax.set_title("all four cells", loc="left", fontsize=10)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False,
                  handlelength=1.5, columnspacing=1.0)

        lstm, gru = COLORS["lstm"], COLORS["gru"]
        self.gated = {
            ("lstm", "state"): ax2.plot([], [], lw=2, color=lstm, label="LSTM exact (h, c)")[0],
            ("lstm", "main"): ax2.plot([], [], "--", lw=1.5, color=lstm, label=r"LSTM $\prod f_t$ alone")[0],
            ("lstm", "chain"): ax2.plot([], [], ":", lw=2.2, color="C4",
                                        label=r"LSTM article's $\partial c_t/\partial c_{t-1}$")[0],
            ("gru", "state"): ax2.plot([], [], lw=2, color=gru, label="GRU exact")[0],
            ("gru", "main"): ax2.plot([], [], "--", lw=1.5, color=gru, label=r"GRU $\prod z_t$ alone")[0],
        }
        ax2.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax2.set_xlabel("lag T − t (steps)")
        ax2.set_ylabel(r"$\log_{10}$ norm  (rms)")
        ax2.set_title("gated cells: main term alone vs exact", loc="left", fontsize=10)
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False,
                   handlelength=1.8, columnspacing=0.8)  # column 1 LSTM, column 2 GRU

    @staticmethod
    def _show(line, x, y, ylim):
        """Set data clipped just outside the axes (log 0 = -inf becomes the floor: drawn data stays finite)."""
        y = np.nan_to_num(np.asarray(y, dtype=float), nan=ylim[0] - 1, neginf=ylim[0] - 1, posinf=ylim[1] + 1)
        line.set_data(x, np.clip(y, ylim[0] - 1, ylim[1] + 1))

    @staticmethod
    def _range(curves):
        allc = np.concatenate(curves)
        allc = allc[np.isfinite(allc)]
        return _limits(allc.min(initial=0.0), allc.max(initial=0.0))

    def draw(self, cell, weight_scale, gate_bias, T):
        s, b = quantise(weight_scale, gate_bias)
        lag = np.arange(T + 1)
        k0 = math.ceil(0.1 * T)
        profs = profiles(s, b)
        X = x_extent(T)  # the limits follow the lags up to X, not T: moving T within a bracket is blitted
        curves = {name: pr["state"][:T + 1] / LN10 for name, pr in profs.items()}      # log10, by lag
        rates = {name: -fit_line(y)[0] * LN10 for name, y in curves.items()}          # natural log per step

        ylim = self._range([pr["state"][:X + 1] / LN10 for pr in profs.values()])
        self.ax.set_ylim(*ylim)
        self.ax.set_xlim(0, X)
        for name, line in self.lines.items():
            line.set_linewidth(2.6 if name == cell else 1.1)
            line.set_alpha(1.0 if name == cell else 0.4)
            self._show(line, lag, curves[name], ylim)
        slope, icpt = fit_line(curves[cell])
        self._show(self.fit, [k0, T], [icpt + slope * k0, icpt + slope * T], ylim)
        lam = rates[cell]
        span = (f"halves every {math.log(2) / lam:.3g} steps" if 0 < lam < math.inf else
                f"doubles every {math.log(2) / -lam:.3g} steps" if lam < 0 else
                "exactly zero" if lam == math.inf else "flat")

        gated, wide = {}, []
        for (name, kind), line in self.gated.items():
            v = profs[name][kind] / LN10
            last = T_MAX - 1 if kind == "chain" else T_MAX      # the chain's lag T_MAX (t = 0) needs o_0
            gated[name, kind] = v[:min(T, last) + 1]
            wide.append(v[:min(X, last) + 1])
        ylim2 = self._range(wide)
        self.ax2.set_ylim(*ylim2)
        self.ax2.set_xlim(0, X)
        for key, line in self.gated.items():
            self._show(line, np.arange(len(gated[key])), gated[key], ylim2)
        grate = {key: -fit_line(v)[0] * LN10 for key, v in gated.items()}

        cells = " · ".join(f"<b>{n} {r:.3g}</b>" if n == cell else f"{n} {r:.3g}" for n, r in rates.items())
        self.readout = (
            f"<b>{cell}</b>: λ = {lam:.3g} per step, the gradient {span}. "
            f"H = {HIDDEN}, s = {s:.2f}, b = {b:.2f}, T = {T}. Decay rate λ per step (natural log, fit over "
            f"lags {k0}–{T}; λ &gt; 0 vanishes, λ &lt; 0 explodes): {cells}.<br>"
            f"Right: LSTM exact {grate['lstm', 'state']:.3g}, its ∏ f alone {grate['lstm', 'main']:.3g}, "
            f"the article's ∂c/∂c chain {grate['lstm', 'chain']:.3g} (max |c_t| = {profs['lstm']['max_c']:.3g}); "
            f"GRU exact {grate['gru', 'state']:.3g}, its ∏ z alone {grate['gru', 'main']:.3g} "
            f"(torch's z is Su's 1 − z).")


def training_figure(results: dict, baselines: dict | None = None):
    """A static plot of training curves (``results`` maps a label to an ``rnn.TrainResult``), returned
    as an IPython PNG image so that it shows the same under every backend (no pyplot figure is made)."""
    import io

    from IPython.display import Image
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax = fig.subplots()
    seen = set()
    for label, res in results.items():
        cell = next((c for c in COLORS if label.startswith(c)), None)   # colour by cell, as in the figure
        style = "--" if cell in seen else "-"
        seen.add(cell)
        loss = res.losses.numpy()
        w = max(1, len(loss) // 30)
        smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(len(smooth)) + w - 1, smooth, style, color=COLORS.get(cell), lw=1.6,
                label=f"{label} (test {res.test_mse:.3f})")
    for name, value in (baselines or {}).items():
        ax.axhline(value, color="0.5", ls=":", lw=1)
        ax.text(1.0, value, f"{name} ", transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=8,
                color="0.25", bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))
    ax.set(xlabel="training step", ylabel="MSE (moving average)", ylim=(0, 0.35))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return Image(buf.getvalue())
