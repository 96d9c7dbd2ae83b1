"""Lesson 07, the synthesis figure: how fast ‖∂s_T/∂s_t‖ vanishes or explodes in RNN, LSTM and GRU.

Every curve comes from ``theory_lib.rnn.gradient_profile_grid`` on one random sequence of length
``T_MAX`` (hidden size ``HIDDEN``, seed ``SEED``), computed once per (weight scale, gate bias) and
cached; the sequence-length slider only slices the lags 0 .. T of that run. A change of scale or
bias that misses the cache recomputes the four cells (about 0.4 s), which is the only slow move;
the live canvas's strips compute the positions ahead 8 at a time (``prepare_strip``), for about
the cost of three.

``fits(s, b, T)`` gives the rates the readout shows; the lesson's tables call it too, so a rate
in a table is the one the figure shows at the same (s, b, T).
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import torch

from theory_lib import rnn
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider
from theory_lib.figures.language import current_language, tr
from theory_lib.figures.style import nice_ceil, style_for

T_MAX = 2000
HIDDEN = 16
SEED = 0
SCALE_STEP, BIAS_STEP = 0.05, 0.25
COLORS = {"rnn-tanh": "C0", "rnn-relu": "C1", "lstm": "C2", "gru": "C3"}
MARKERS = {"rnn-tanh": "o", "rnn-relu": "s", "lstm": "^", "gru": "D"}  # cells differ by more than colour
LN10 = math.log(10.0)
_LADDER = tuple(
    m * 10**e for e in range(5) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
)  # y brackets: at most 20 % empty
X_BRACKETS = (1, 1.5, 2, 3, 5, 7)  # the x axis ends at the first m·10^e >= T: T = 150 shows 150 lags


def quantise(weight_scale: float, gate_bias: float) -> tuple[float, float]:
    """The slider values on their steps (the cache key): scale to 0.05, bias to 0.25."""
    return (
        round(round(weight_scale / SCALE_STEP) * SCALE_STEP, 10),
        round(round(gate_bias / BIAS_STEP) * BIAS_STEP, 10),
    )


_CACHE: OrderedDict = OrderedDict()  # (scale, bias) -> profiles, least recently used first
CACHE_SIZE = 160  # about 190 kB each: a whole scale strip (99 positions) and some


def profiles(weight_scale: float, gate_bias: float) -> dict:
    """Natural-log profiles against the lag k = T_MAX - t (index k), per cell; numpy arrays.

    Cached per (scale, bias): the sequence-length slider only slices these arrays. A miss computes
    this setting alone (``compute``).
    """
    key = (weight_scale, gate_bias)
    if key not in _CACHE:
        compute([key])
    _CACHE.move_to_end(key)
    return _CACHE[key]


def compute(settings) -> int:
    """Compute the (scale, bias) ``settings`` not yet cached in one batched run
    (``rnn.gradient_profile_grid``: 8 settings cost about 3× one) and cache them; how many were new.

    A setting's profiles do not depend on which others share its run, so a curve drawn from a
    prefetched batch is the one a fresh figure computes alone (at s >= 2 the tanh RNN is chaotic, and
    a different order of operations would give another curve)."""
    todo = [k for k in dict.fromkeys(settings) if k not in _CACHE]
    if todo:
        for key, result in zip(todo, rnn.gradient_profile_grid(T_MAX, HIDDEN, todo, seed=SEED), strict=True):
            _CACHE[key] = _arrays(result)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return len(todo)


def _arrays(result: dict) -> dict:
    out = {}
    for cell, g in result.items():
        out[cell] = {
            key: None if v is None else torch.flip(v, [0]).numpy()
            for key, v in (("state", g.state), ("main", g.main), ("chain", g.cell))
        }
        out[cell]["max_c"] = g.max_abs_c
    return out


def _fit(by_lag: np.ndarray) -> rnn.DecayFit:
    return rnn.decay_fit(torch.from_numpy(by_lag[::-1].copy()))


def fits(weight_scale: float, gate_bias: float, T: int, kind: str = "state") -> dict:
    """{cell: rnn.DecayFit} over lags ceil(0.1 T) .. T of the figure's run at (s, b): what the
    figure shows at these settings. ``kind`` "state" (the exact product), "main" (∏ f, ∏ z) or
    "chain" (the LSTM's product of the article's ∂c/∂c; LSTM only)."""
    if not (isinstance(T, int) and 4 <= T <= T_MAX - (kind == "chain")):
        raise ValueError(f"T must be an integer in [4, {T_MAX - (kind == 'chain')}], got {T!r}")
    profs = profiles(*quantise(weight_scale, gate_bias))
    return {cell: _fit(pr[kind][: T + 1]) for cell, pr in profs.items() if pr[kind] is not None}


def rate_text(fit: rnn.DecayFit, digits: int = 3, lang: str | None = None) -> str:
    """λ as a table or the readout shows it: the number, or "saturates" where the change is bounded;
    words in ``lang`` (``current_language()`` when None)."""
    lang = lang or current_language()
    if fit.verdict == "saturates":
        return tr("saturates", lang)
    if fit.verdict == "zero":
        return tr("∞ (exactly 0)", lang)
    return f"{fit.rate:+.{digits}g}"


def x_extent(T: int) -> int:
    """The x-axis right end for a sequence length T: the first m·10^e >= T, m in 1, 1.5, 2, 3, 5, 7."""
    return min(int(nice_ceil(T, X_BRACKETS)), T_MAX)


def _limits(lo: float, hi: float) -> tuple[float, float]:
    """Quantised y-limits in decades, so that most slider moves keep the axes (and the blit)."""
    bottom = -_nice(-lo) if lo < -1 else -1.0
    top = _nice(hi) if hi > 1 else 1.0
    pad = 0.04 * (top - bottom)
    return bottom - pad, top + pad


def _nice(v: float) -> float:
    return next((m for m in _LADDER if m >= v), v)


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

    The y-limits follow all four cells together over the x bracket (quantised), so changing the
    cell only restyles lines, and T moves within a bracket keep the axes: both are blitted. Scale
    and bias recompute on a cache miss (see the module docstring).
    """

    controls = {
        "cell": Choice(list(rnn.CELLS), "lstm"),
        "weight_scale": Slider(
            0.1, 5.0, 1.0, step=SCALE_STEP, label="weight scale s", named=(0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
        ),
        "gate_bias": Slider(
            -3.0, 6.0, 0.0, step=BIAS_STEP, label="gate bias b", named=(-2.0, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
        ),
        "T": LogSlider(10, T_MAX, 150, integer=True, label="length T", named=(150, 500, 1000, 2000)),
    }
    figsize = (9.6, 4.1)

    def build(self):
        # fixed margins instead of the constrained layout: a full redraw (new limits) costs half as much
        self.fig.set_layout_engine(None)
        ax, ax2 = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        self.fig.subplots_adjust(left=0.08, right=0.985, top=0.93, bottom=0.30, wspace=0.24)
        self.ax, self.ax2 = ax, ax2
        mark = dict(markevery=0.08, ms=4.5, mfc="white")  # markers evenly spaced along the drawn line
        self.lines = {
            cell: ax.plot([], [], color=COLORS[cell], marker=MARKERS[cell], label=cell, **mark)[0] for cell in rnn.CELLS
        }
        (self.fit,) = ax.plot([], [], color="k", ls=(0, (4, 2)), lw=1, label=self.tr("fitted slope (window)"))
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.set_xlabel(self.tr("lag T − t (steps)"))
        ax.set_ylabel(self.tr(r"$\log_{10}\,\|\partial s_T/\partial s_t\|$  (rms)"))
        ax.set_title(self.tr("all four cells"), loc="left", fontsize=10)
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncol=3,
            fontsize=8,
            frameon=False,
            handlelength=2.2,
            columnspacing=1.0,
        )

        lstm, gru = COLORS["lstm"], COLORS["gru"]
        ml, mg = dict(marker=MARKERS["lstm"], **mark), dict(marker=MARKERS["gru"], **mark)
        self.gated = {
            ("lstm", "state"): ax2.plot([], [], lw=2, color=lstm, label=self.tr("LSTM exact (h, c)"), **ml)[0],
            ("lstm", "main"): ax2.plot(
                [], [], "--", lw=1.5, color=lstm, label=self.tr(r"LSTM $\prod f_t$ alone"), **ml
            )[0],
            ("lstm", "chain"): ax2.plot(
                [], [], ":", lw=2.2, color="C4", label=self.tr(r"LSTM article's $\partial c_t/\partial c_{t-1}$")
            )[0],
            ("gru", "state"): ax2.plot([], [], lw=2, color=gru, label=self.tr("GRU exact"), **mg)[0],
            ("gru", "main"): ax2.plot([], [], "--", lw=1.5, color=gru, label=self.tr(r"GRU $\prod z_t$ alone"), **mg)[
                0
            ],
        }
        ax2.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax2.set_xlabel(self.tr("lag T − t (steps)"))
        ax2.set_ylabel(self.tr(r"$\log_{10}$ norm  (rms)"))
        ax2.set_title(self.tr("gated cells: main term alone vs exact"), loc="left", fontsize=10)
        ax2.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncol=2,
            fontsize=8,
            frameon=False,
            handlelength=2.2,
            columnspacing=0.8,
        )  # column 1 LSTM, column 2 GRU

    def prepare_strip(self, control: str, values) -> None:
        """The live canvas (figures/web.py) will draw ``control`` at these values next: compute their
        profiles in one batched run (a scale strip of 99 positions then costs about a quarter as much)."""
        if control not in ("weight_scale", "gate_bias"):
            return
        p = self.params
        compute(
            [quantise(**{"weight_scale": p["weight_scale"], "gate_bias": p["gate_bias"], control: v}) for v in values]
        )

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

    def _verdict(self, fit: rnn.DecayFit) -> str:
        """What the chosen cell's gradient does over the window, computed from the fit."""
        (k0, T), n = fit.lags, fit.lags[1] - fit.lags[0]
        half = (k0 + T) // 2 - k0  # the first half's length, as decay_fit splits
        if fit.verdict == "zero":
            return self.tr("the gradient is exactly zero (a dead product)")
        if fit.verdict == "saturates":
            return self.tr(
                "the gradient <b>saturates</b>: it changes by a factor {factor:.3g} over the window's first half "
                "(λ₁ = {first:.3g}) and then at a fraction λ₂/λ₁ = {ratio:.3g} &lt; 0.25 of that pace "
                "(λ₂ = {second:.3g}): a bounded change, not exponential"
            ).format(
                factor=math.exp(abs(fit.first) * half), first=fit.first, ratio=fit.second / fit.first, second=fit.second
            )
        if fit.verdict == "flat":
            return self.tr(
                "the gradient is <b>flat</b> at this T: λ = {rate:.3g} moves the fitted line by |λ|·{n} = {change:.3g} "
                "&lt; log 2 = {log2:.3f} over the window, less than a factor 2; raise T to measure it"
            ).format(rate=fit.rate, n=n, change=abs(fit.rate) * n, log2=math.log(2))
        if fit.rate > 0:
            text = self.tr("λ = <b>{rate:.3g}</b> per step: the gradient halves every {steps:.3g} steps")
        else:
            text = self.tr("λ = <b>{rate:.3g}</b> per step: the gradient doubles every {steps:.3g} steps")
        return text.format(rate=fit.rate, steps=math.log(2) / abs(fit.rate))

    def draw(self, cell, weight_scale, gate_bias, T):
        s, b = quantise(weight_scale, gate_bias)
        lag = np.arange(T + 1)
        profs = profiles(s, b)
        X = x_extent(T)  # the limits follow the lags up to X, not T: moving T within a bracket is blitted
        curves = {name: pr["state"][: T + 1] / LN10 for name, pr in profs.items()}  # log10, by lag
        fitted = fits(s, b, T)
        chosen = fitted[cell]
        k0 = chosen.lags[0]

        ylim = self._range([pr["state"][: X + 1] / LN10 for pr in profs.values()])
        self.ax.set_ylim(*ylim)
        self.ax.set_xlim(0, X)
        for name, line in self.lines.items():
            line.set_linewidth(2.6 if name == cell else 1.0)
            line.set_zorder(3 if name == cell else 2)
            line.set_markersize(5.5 if name == cell else 4)
            self._show(line, lag, curves[name], ylim)
        if chosen.verdict in ("vanishes", "explodes", "flat"):  # a straight line says what λ says
            slope, icpt = fit_line(curves[cell])
            self._show(self.fit, [k0, T], [icpt + slope * k0, icpt + slope * T], ylim)
        else:  # saturates or zero: no rate to draw
            self.fit.set_data([], [])

        gated, wide = {}, []
        for name, kind in self.gated:
            v = profs[name][kind] / LN10
            last = T_MAX - 1 if kind == "chain" else T_MAX  # the chain's lag T_MAX (t = 0) needs o_0
            gated[name, kind] = v[: min(T, last) + 1]
            wide.append(v[: min(X, last) + 1])
        ylim2 = self._range(wide)
        self.ax2.set_ylim(*ylim2)
        self.ax2.set_xlim(0, X)
        for key, line in self.gated.items():
            self._show(line, np.arange(len(gated[key])), gated[key], ylim2)
        gfit = {key: _fit(v * LN10) for key, v in gated.items()}

        cells = " · ".join(
            f"<b>{n} {rate_text(f, lang=self.lang)}</b>" if n == cell else f"{n} {rate_text(f, lang=self.lang)}"
            for n, f in fitted.items()
        )
        g = {f"{name}_{kind}": rate_text(fit, lang=self.lang) for (name, kind), fit in gfit.items()}
        self.readout = self.tr(
            "<b>{cell}</b> at T = {T}, fit over lags {k0}–{T}: {verdict}. H = {hidden}, s = {s:.2f}, b = {b:.2f}. "
            "λ is the slope of the natural log per step over this window (λ &gt; 0 vanishes, λ &lt; 0 explodes); it "
            "depends on the window, so it is quoted with T. All four cells: {cells}.<br>"
            "Right, same window: LSTM exact {lstm_state}, its ∏ f alone {lstm_main}, the article's ∂c/∂c chain "
            "{lstm_chain} (max |c_t| = {max_c:.3g}); GRU exact {gru_state}, its ∏ z alone {gru_main} "
            "(torch's z is Su's 1 − z)."
        ).format(
            cell=cell,
            T=T,
            k0=k0,
            verdict=self._verdict(chosen),
            hidden=HIDDEN,
            s=s,
            b=b,
            cells=cells,
            max_c=profs["lstm"]["max_c"],
            **g,
        )


def training_figure(results: dict, baselines: dict | None = None, lang: str | None = None):
    """A static plot of training curves (``results`` maps a label to an ``rnn.TrainResult``), returned
    as an IPython PNG image so that it shows the same under every backend (no pyplot figure is made);
    its texts in ``lang`` (``current_language()`` when None)."""
    import matplotlib as mpl
    from IPython.display import Image

    lang = lang or current_language()
    # a text takes its font when made: a Chinese plot needs the CJK fallback while it is built and saved
    fonts = {} if lang == "en" else {"font.family": style_for(lang)["font.family"]}
    with mpl.rc_context(fonts):
        return Image(_training_png(results, baselines, lang))


def _training_png(results: dict, baselines: dict | None, lang: str) -> bytes:
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax = fig.subplots()
    seen = set()
    for label, res in results.items():
        cell = next((c for c in COLORS if label.startswith(c)), None)  # colour by cell, as in the figure
        style = "--" if cell in seen else "-"
        seen.add(cell)
        loss = res.losses.numpy()
        w = max(1, len(loss) // 30)
        smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
        ax.plot(
            np.arange(len(smooth)) + w - 1,
            smooth,
            style,
            color=COLORS.get(cell),
            lw=1.6,
            label=tr("{label} (test {mse:.3f})", lang).format(label=label, mse=res.test_mse),
        )
    for name, value in (baselines or {}).items():
        ax.axhline(value, color="0.5", ls=":", lw=1)
        ax.text(
            1.0,
            value,
            f"{name} ",
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="bottom",
            fontsize=8,
            color="0.25",
            bbox=dict(fc="white", ec="none", alpha=0.8, pad=1),
        )
    ax.set(xlabel=tr("training step", lang), ylabel=tr("MSE (moving average)", lang), ylim=(0, 0.35))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()
