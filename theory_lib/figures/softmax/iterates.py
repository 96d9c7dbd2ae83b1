"""Lesson 01, the synthesis figure: repeated softmax, its spread, and the n = 2 map as a cobweb."""

from __future__ import annotations

import functools

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.ticker import MaxNLocator

from theory_lib import softmax as sm
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider, Text
from theory_lib.figures.language import Refused

PRESETS = {"[1, 100]": [1.0, 100.0], "[1, 2, 3, 4]": [1.0, 2.0, 3.0, 4.0]}
VECTOR_LIMIT = 1e6  # |x_i| beyond this only stretches the log axis: p_1 is one-hot in float64 anyway
VECTOR_MAX_ENTRIES = 64
STEP_LADDER = (5, 10, 15, 20, 30, 40, 60)  # x limits move in these brackets
LINEAR = 0.05  # the slope line is drawn where a_k < LINEAR * tau (the linearisation holds to ~5%)
FATE_STEPS = 500  # steps the readout follows the iteration for, whatever the slider says (~0.1 s)


def parse_vector(vector: str) -> torch.Tensor:
    """The custom start x (float64) from text such as "0, 1, 5"; ValueError naming "vector"."""
    entries = vector.replace(";", ",").split(",")
    if any(not e.strip() for e in entries):
        raise Refused("vector must be numbers separated by commas, with no empty entry; got {text}", text=repr(vector))
    try:
        values = [float(e) for e in entries]
    except ValueError:
        raise Refused("vector must be numbers separated by commas, got {text}", text=repr(vector)) from None
    if not 2 <= len(values) <= VECTOR_MAX_ENTRIES:
        raise Refused("vector needs 2 to {most} entries, got {n}", most=VECTOR_MAX_ENTRIES, n=len(values))
    if not all(np.isfinite(values)) or max(map(abs, values)) > VECTOR_LIMIT:
        raise Refused(
            "vector entries must be finite and within ±{limit} (larger logits give the same one-hot p_1 "
            "in float64), got {text}",
            limit=f"{VECTOR_LIMIT:g}",
            text=repr(vector),
        )
    return torch.tensor(values, dtype=torch.float64)


def preset_vector(preset: str, vector: str, n: int, seed: int) -> torch.Tensor:
    """The starting vector x (float64) that the figure's controls describe."""
    custom = parse_vector(vector)  # checked whatever the preset, so a bad box never lingers
    if preset in PRESETS:
        return torch.tensor(PRESETS[preset], dtype=torch.float64)
    if preset == "random":
        g = torch.Generator().manual_seed(seed)
        return 3.0 * torch.randn(n, generator=g, dtype=torch.float64)
    return custom


@functools.cache
def _tau_star(n: int) -> float:
    return sm.bistability_temperature(n)


@functools.lru_cache(maxsize=64)
def _fate(x: tuple, temperature: float) -> dict:
    """Where the start x goes (see ``RepeatedSoftmaxFigure._fate``); cached, as a slider revisits states."""
    x = torch.tensor(x, dtype=torch.float64)
    try:
        k = sm.steps_to_uniform(x, tol=1e-3, temperature=temperature, max_steps=FATE_STEPS)
        return {"uniform": True, "steps": k}
    except sm.NotUniformError as err:
        return {
            "uniform": False,
            "stalled": err.stalled,
            "steps": err.steps,
            "point": err.fixed_point.numpy(),
            "spread": float(err.spread),
        }


def last_moving_step(p: np.ndarray) -> int:
    """The last k >= 1 at which p_k differs from p_{k-1} by more than a few ulps (p: (steps+1, n)).

    After it the iterates repeat in float64 (the uniform point, or a fixed point they stall at),
    so nothing beyond it is drawn and the axes end there."""
    moved = np.abs(np.diff(p[1:], axis=0)).max(axis=-1)  # moved[j] = |p_{j+2} - p_{j+1}|
    still = 8 * np.finfo(p.dtype).eps
    moving = np.flatnonzero(moved > still)
    return int(moving[-1]) + 2 if moving.size else 1


def step_limit(k: int) -> int:
    """The x range: the smallest rung of STEP_LADDER that holds k steps."""
    return next(m for m in (*STEP_LADDER, k) if m >= k)


def slope_segment(a: np.ndarray, tau: float, approaches_uniform: bool):
    """Steps (start, last) over which the local slope -log10(n tau) is drawn, or None.

    Only where the lesson says it applies: the iterates approach the uniform point (tau above 1/n
    and this start converging), and only over the trailing steps whose spread is small enough
    for the linearisation (a_k < LINEAR * tau), at most the last 8, anchored at the last spread
    that float64 still resolves well (a_k > 1e-13)."""
    if not approaches_uniform:
        return None
    ok = (a > 1e-13) & (a < LINEAR * tau)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return None
    last = int(idx[-1])
    start = last
    while start - 1 >= max(last - 8, 0) and ok[start - 1]:
        start -= 1
    return (start, last) if start < last else None


def ordered(x: float, y: float) -> tuple[str, str]:
    """x and y printed with as few significant digits (4 or more) as keep their order and equality."""
    for d in range(4, 17):
        sx, sy = f"{x:.{d}g}", f"{y:.{d}g}"
        if np.sign(float(sx) - float(sy)) == np.sign(x - y):
            return sx, sy
    return repr(x), repr(y)


class RepeatedSoftmaxFigure(InteractiveFigure):
    """Iterates p_k, log spread against k with the bound and the 1/(n tau) slope, and a cobweb."""

    controls = {
        "preset": Choice(["[1, 100]", "[1, 2, 3, 4]", "random", "custom"], "[1, 2, 3, 4]"),
        "vector": Text("0, 1, 5", ["3, -2, 7, 7, 0.5", "1e4, -1e4", "0, 0, 1, 1", "1, 1"], label="custom vector"),
        "n": Slider(2, 32, 8, integer=True, label="n (random)", named=(8,)),
        "seed": Slider(0, 50, 0, integer=True, label="seed (random)"),
        "steps": Slider(1, 60, 15, integer=True),
        # named: the temperatures the lesson's prose and exercises ask for (1/2 and just below it,
        # 1/8 for n = 8, 0.2 for the custom exercise, 0.3 in the bistable window of n = 4, 1/n = 0.25)
        "temperature": LogSlider(
            0.02, 5.0, 1.0, label="temperature τ", named=(0.1, 0.125, 0.2, 0.25, 0.3, 0.45, 0.5, 1.0)
        ),
    }
    figsize = (9.6, 4.0)

    def inactive(self) -> set:
        """n and seed only shape the random start; the text box only the custom one."""
        preset = self.params["preset"]
        return ({"n", "seed"} if preset != "random" else set()) | ({"vector"} if preset != "custom" else set())

    def build(self):
        ax_it, ax_sp, ax_cw = self.fig.subplots(1, 3)
        self.ax_it, self.ax_sp, self.ax_cw = ax_it, ax_sp, ax_cw
        self._legend_keys = {}
        # one line per entry, coloured by the entry's rank in x; the last stays green-yellow on white
        self.iterates = LineCollection([], linewidths=1.4, cmap="viridis")
        ax_it.add_collection(self.iterates)
        self.final = ax_it.scatter([], [], s=14, zorder=3)  # the last iterate drawn, marked
        for artist in (self.iterates, self.final):
            artist.set_cmap("viridis")
            artist.set_clim(0.0, 1.15)
        tr = self.tr
        (self.uniform_line,) = ax_it.plot([], [], "k:", lw=1, label=tr("uniform 1/n"))
        ax_it.set(
            xlabel=tr("step k"),
            ylabel=tr("entries of $p_k$"),
            ylim=(-0.02, 1.02),
            title=tr("iterates (k ≥ 1), coloured by rank"),
        )
        self._legend(ax_it, [self.uniform_line])

        (self.spread_line,) = ax_sp.plot([], [], "o-", ms=3, color="C0", label=tr("spread $a_k$"))
        (self.bound_line,) = ax_sp.plot([], [], "--", color="C3", label=tr(r"bound $2\sinh(a_{k-1}/\tau)/n$"))
        (self.slope_line,) = ax_sp.plot([], [], ":", color="k", lw=1.5, label=tr(r"slope $-\log_{10}(n\tau)$"))
        self.note = ax_sp.text(0.5, 0.5, "", transform=ax_sp.transAxes, ha="center", va="center", fontsize=9)
        ax_sp.set(xlabel=tr("step k"), ylabel=r"$\log_{10} a_k$", title=tr("spread on a log scale"))
        self._legend(ax_sp, [self.spread_line, self.bound_line, self.slope_line])

        grid = np.linspace(0.0, 1.05, 200)
        self.grid = grid
        ax_cw.plot(grid, grid, ":", color="0.5", lw=1)
        (self.map2,) = ax_cw.plot([], [], color="C2", label=r"$n=2$: $\tanh(a/2\tau)$")
        (self.bound_curve,) = ax_cw.plot([], [], "--", color="C3", label=tr(r"bound $2\sinh(a/\tau)/n$"))
        (self.cobweb,) = ax_cw.plot([], [], color="C0", lw=1)
        (self.points,) = ax_cw.plot([], [], "o", ms=3, color="C0", label=r"$(a_k, a_{k+1})$")
        ax_cw.set(xlim=(0, 1.05), ylim=(0, 1.05), xlabel="$a_k$", ylabel="$a_{k+1}$", title=tr("spread map (cobweb)"))
        self._legend(ax_cw, [self.map2, self.bound_curve, self.points])
        for axis in (ax_it.xaxis, ax_sp.xaxis, ax_sp.yaxis):  # steps and decades are whole numbers
            axis.set_major_locator(MaxNLocator(integer=True))

    def _legend(self, ax, artists, ncol=2):
        """A legend below ``ax`` for the artists that draw something; rebuilt only when that set changes."""
        shown = [a for a in artists if self._draws_something(a)] if ax in self._legend_keys else artists
        key = tuple(a.get_label() for a in shown)
        if self._legend_keys.get(ax) == key:
            return
        self._legend_keys[ax] = key
        ax.legend(handles=shown, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=ncol, frameon=False)

    @staticmethod
    def _draws_something(artist) -> bool:
        if isinstance(artist, LineCollection):
            return any(len(s) > 1 for s in artist.get_segments())
        return len(artist.get_xdata()) > 0

    def draw(self, preset, vector, n, seed, steps, temperature):
        x = preset_vector(preset, vector, n, seed)
        n = x.shape[-1]
        p = sm.iterate_softmax(x, steps, temperature).numpy()  # (steps+1, n)
        a = sm.spread(torch.from_numpy(p)).numpy()  # (steps+1,)
        fate = self.fate = self._fate(x, temperature)  # kept for the exercises' answers and checks
        self.start = x
        still_from = last_moving_step(p)  # p_k repeats in float64 after this step
        shown = min(steps, still_from + 1)  # one repeated step shows that they stay
        k = np.arange(shown + 1)
        p, a = p[: shown + 1], a[: shown + 1]
        right = step_limit(shown) + 0.5

        # iterates, k >= 1 (p_0 = x may be far outside [0, 1]); the final iterate marked
        order = np.argsort(p[0], kind="stable")
        colours = np.linspace(0, 1, n)
        self.iterates.set_segments([np.column_stack([k[1:], p[1:, i]]) for i in order])
        self.iterates.set_array(colours)
        self.final.set_offsets(np.column_stack([np.full(n, shown), p[-1, order]]))
        self.final.set_array(colours)
        self.uniform_line.set_data([0.5, right], [1 / n, 1 / n])
        self.ax_it.set_xlim(0.5, right)
        self._legend(self.ax_it, [self.uniform_line])

        # spread on a log scale, where float64 resolves it; the bound on a_k from a_{k-1}
        pos = a > 0
        log_a = np.log10(a[pos])
        self.spread_line.set_data(k[pos], log_a)
        with np.errstate(over="ignore"):
            bound = 2 * np.sinh(np.minimum(a[:-1] / temperature, 700)) / n  # bound on a_{k+1}
        if pos.any():
            top = log_a.max()
            lo = min(log_a.min(), top - 2)
            log_b = np.log10(bound[(bound > 0) & (bound <= 10.0 ** (top + 2))])  # a huge bound is cut
            hi = max(top, log_b.max(initial=top))
            self.note.set_text("")
        else:  # a uniform start: the spread is exactly 0 at every step
            lo, hi = -4.0, 0.0
            self.note.set_text(self.tr("the start is uniform:\nspread 0 at every step\n(nothing on a log scale)"))
        ok = (bound > 0) & (np.log10(np.maximum(bound, 1e-300)) <= hi)
        self.bound_line.set_data(k[1:][ok], np.log10(bound[ok]))
        seg = slope_segment(a, temperature, fate["uniform"] and temperature > sm.critical_temperature(n))
        if seg is None:
            self.slope_line.set_data([], [])
        else:
            start, last = seg
            rate = np.log10(sm.local_rate(n, temperature))
            self.slope_line.set_data([start, last], [np.log10(a[last]) - rate * (last - start), np.log10(a[last])])
        self.ax_sp.set_xlim(-0.5, right)
        self.ax_sp.set_ylim(2 * np.floor(lo / 2) - 0.5, 2 * np.ceil(hi / 2) + 0.5)  # brackets of 2 decades
        self._legend(self.ax_sp, [self.spread_line, self.bound_line, self.slope_line])

        # cobweb of the real iterates, over the exact n = 2 map and the bound for this n
        self.map2.set_data(self.grid, np.tanh(self.grid / (2 * temperature)))
        self.bound_curve.set_data(self.grid, 2 * np.sinh(np.minimum(self.grid / temperature, 700)) / n)
        xs = np.repeat(a[:-1], 2)
        ys = np.column_stack([a[:-1], a[1:]]).ravel()
        self.cobweb.set_data(np.r_[a[0], xs], np.r_[0.0, ys])
        self.points.set_data(a[:-1], a[1:])
        self._legend(self.ax_cw, [self.map2, self.bound_curve, self.points])

        self.readout = self._readout(n, temperature, fate, steps, still_from, a[-1], shown)

    @staticmethod
    def _fate(x, temperature) -> dict:
        """Where this start goes: uniform (and when), a stall at a fixed point, or neither in FATE_STEPS."""
        return _fate(tuple(x.tolist()), temperature)

    def _readout(self, n, temperature, fate, steps, still_from, final_spread, shown):
        tr = self.tr
        if fate["uniform"] and fate["steps"] == 0:
            reach = tr("the start is already uniform (spread &lt; 10⁻³ at step 0)")
        elif fate["uniform"]:
            reach = tr("spread < 10⁻³ after <b>{steps}</b> steps").format(steps=fate["steps"])
        elif fate["stalled"]:
            fp = fate["point"]
            high = fp > 1 / n
            m = int(high.sum())
            one_high = tr(
                "<b>never uniform</b>: from step {k} on, the iterates sit at a fixed point with "
                "{m} entry ≈ {high:.3g} and {rest} ≈ {low:.3g} (spread {spread:.3g})"
            )
            many_high = tr(
                "<b>never uniform</b>: from step {k} on, the iterates sit at a fixed point with "
                "{m} entries ≈ {high:.3g} and {rest} ≈ {low:.3g} (spread {spread:.3g})"
            )
            reach = (one_high if m == 1 else many_high).format(
                k=fate["steps"] - 1, m=m, high=fp[high].mean(), rest=n - m, low=fp[~high].mean(), spread=fate["spread"]
            )
        else:
            reach = tr(
                "<b>not uniform within {limit} steps</b>: spread still {spread:.3g}, shrinking ever more slowly"
            ).format(limit=FATE_STEPS, spread=fate["spread"])
        rate = sm.local_rate(n, temperature)
        tau_c, tau_star = sm.critical_temperature(n), _tau_star(n)
        t, c = ordered(temperature, tau_c)
        r, one = ordered(rate, 1.0)
        t2, s = ordered(temperature, tau_star)
        if temperature < tau_c:
            regime = tr(
                "τ = {t} &lt; 1/n = {c}: the uniform point repels (local rate 1/(nτ) = {r} &gt; {one}), "
                "and as {t2} ≤ τ* = {s} non-uniform fixed points exist"
            )
        elif temperature == tau_c:
            regime = tr("τ = 1/n = {c}: local rate 1/(nτ) = 1, the uniform point is marginal")
            if temperature < tau_star:
                regime += tr("; {t2} &lt; τ* = {s}: a one-hot-like fixed point exists too")
        elif temperature <= tau_star:
            regime = tr(
                "τ = {t} &gt; 1/n = {c}: the uniform point attracts nearby starts (local rate "
                "1/(nτ) = {r} &lt; {one}); but {t2} ≤ τ* = {s}: a one-hot-like fixed point "
                "attracts too (the bistable window), and the start decides"
            )
        else:
            regime = tr(
                "τ = {t2} &gt; τ* = {s}: the uniform point is the only fixed point; near it the "
                "spread shrinks by 1/(nτ) = {r} per step"
            )
        regime = regime.format(t=t, c=c, r=r, one=one, t2=t2, s=s)
        repeat = (
            tr(" From step {still} on the iterates repeat in float64: drawn up to step {shown}.").format(
                still=still_from, shown=shown
            )
            if shown < steps
            else ""
        )
        return tr("n = {n}, τ = {tau:g}: {reach}. {regime}.{repeat} Spread at step {shown}: {spread:.3g}.").format(
            n=n, tau=temperature, reach=reach, regime=regime, repeat=repeat, shown=shown, spread=final_spread
        )
