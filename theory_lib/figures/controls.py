"""The controls of a figure, declared as data: ``Slider``, ``LogSlider``, ``FineSlider``, ``Choice``, ``Text``.

One declaration per parameter serves four uses: it builds the ipywidget (``widget``, ``show``),
validates a value given to ``update(**params)`` (``check``: a ``ValueError`` naming the control),
says which values a learner can set exactly (``reachable``: the values the lesson names must be),
and gives the sweep test and the benchmark the values to try (``samples``).
"""

from __future__ import annotations

import math
import numbers
import random
from dataclasses import dataclass, field

__all__ = ["LOG_MANTISSAS", "Choice", "FineSlider", "LogSlider", "Slider", "Text"]


def _decimals(v: float) -> int:
    """The fewest decimals (at most 12) that write ``v`` exactly: 1.70174 -> 5."""
    d = 0
    while d < 12 and abs(round(v, d) - v) > 1e-12 * max(1.0, abs(v)):
        d += 1
    return d


@dataclass
class Slider:
    """A linear slider; ``integer=True`` for counts.

    ``named``: the values the lesson's prose or exercises name; with the default they must lie on
    the slider's grid (min + k·step), so the learner can set each of them exactly (tested).
    """

    min: float
    max: float
    value: float
    step: float | None = None
    integer: bool = False
    label: str = ""
    named: tuple = ()

    def grid_step(self) -> float:
        """The browser slider's step: ipywidgets' default (1 for integers, 0.1 for floats) unless given."""
        return self.step if self.step is not None else (1 if self.integer else 0.1)

    def decimals(self) -> int:
        """Decimals that write every position min + k·step exactly: 2 (ipywidgets' default) or more."""
        return max(2, _decimals(self.min), _decimals(self.grid_step()))

    def reachable(self, v) -> bool:
        """Can the learner set exactly ``v`` with this control's widget?"""
        if not self.min <= v <= self.max:
            return False
        k = (v - self.min) / self.grid_step()
        return abs(k - round(k)) < 1e-9 and (not self.integer or int(v) == v)

    def check(self, name, v):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number in [{self.min}, {self.max}], got {v!r}")
        if not self.integer:  # the browser sends min + k*step in floats: 4.999999999999999 is 5
            k = round((v - self.min) / self.grid_step())
            on_grid = self.min + k * self.grid_step()
            if abs(v - on_grid) <= 1e-9 * self.grid_step():
                v = float(f"{on_grid:.12g}")
        if self.integer and int(v) != v:
            raise ValueError(f"{name} must be an integer in [{self.min}, {self.max}], got {v!r}")
        if not self.min <= v <= self.max:
            raise ValueError(f"{name} must be in [{self.min}, {self.max}], got {v!r}")
        return int(v) if self.integer else float(v)

    def samples(self, rng: random.Random, k: int):
        """Minimum, maximum and k random interior values."""
        draw = (
            (lambda: rng.randint(int(self.min), int(self.max)))
            if self.integer
            else (lambda: rng.uniform(self.min, self.max))
        )
        return [self.min, self.max] + [draw() for _ in range(k)]

    def widget(self, name):
        import ipywidgets as w

        cls = w.IntSlider if self.integer else w.FloatSlider
        kw = {} if self.step is None else {"step": self.step}
        if not self.integer:  # the readout writes every position exactly: λ = 1.70174, not 1.70
            kw["readout_format"] = f".{self.decimals()}f"
        return cls(
            min=self.min,
            max=self.max,
            value=self.value,
            description=self.label or name,
            continuous_update=True,
            style={"description_width": "initial"},
            **kw,
        )

    def show(self, ctrl, v):
        """Put ``v`` on the widget (after an ``update`` from code)."""
        ctrl.value = v


@dataclass
class _GridSlider(Slider):
    """A slider over an explicit grid of exact values (``grid()``), built as a selection slider, so the
    browser sends exactly those numbers. Its strip of frames (``web``) needs a grid of at most 512."""

    def grid(self) -> list:
        raise NotImplementedError

    def reachable(self, v) -> bool:
        return v in self.grid()

    def samples(self, rng, k):
        grid = self.grid()
        return [self.min, self.max] + [rng.choice(grid) for _ in range(k)]

    def widget(self, name):
        import ipywidgets as w

        return w.SelectionSlider(
            options=self._options(self.grid()),
            value=self.value,
            description=self.label or name,
            continuous_update=True,
            style={"description_width": "initial"},
        )

    def _label(self, v) -> str:
        raise NotImplementedError

    def _options(self, grid):
        return [(self._label(v), v) for v in grid]

    def show(self, ctrl, v):
        """Put ``v`` on the widget, adding it to the grid if a lesson set a value off the grid."""
        grid = self.grid()
        if v not in grid:
            ctrl.options = self._options(sorted({*grid, v}))
        ctrl.value = v


# Round mantissas for a log slider: about 12 per decade, each one a number a person would type.
LOG_MANTISSAS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)


@dataclass
class LogSlider(_GridSlider):
    """A slider uniform in log10 of the value (n from 2 to 10^4, tau from 0.01 to 10 ...).

    It moves over a grid of round numbers (``LOG_MANTISSAS`` times powers of ten) within
    [min, max], plus min, max, the default and every ``named`` value, each of them exact: the
    widget is a selection slider over that grid, so the browser sends exactly these numbers (a
    FloatLogSlider would send base**(min + k·step): 0.0198 for 0.02, 765 for 768). Counts
    (``integer=True``) are rounded and never repeat.
    """

    def grid(self) -> list:
        lo, hi = math.log10(self.min), math.log10(self.max)
        values = {self.min, self.max, self.value, *self.named}
        for e in range(math.floor(lo) - 1, math.ceil(hi) + 1):
            for m in LOG_MANTISSAS:
                v = float(f"{m}e{e}")
                if self.min <= v <= self.max:
                    values.add(v)
        if self.integer:
            values = {int(round(v)) for v in values}
        return sorted(float(v) if not self.integer else v for v in values)

    def check(self, name, v):
        if isinstance(v, float) and math.isfinite(v):
            for bound in (self.min, self.max):  # 10**log10(max) can overshoot a bound by an ulp
                if math.isclose(v, bound, rel_tol=1e-9):
                    v = float(bound)
            if self.integer and v == int(v):
                v = int(v)
        return super().check(name, v)

    def _label(self, v) -> str:
        return str(v) if self.integer else f"{v:.4g}"


@dataclass
class FineSlider(_GridSlider):
    """A linear slider in steps of ``step`` that also stops exactly at each ``named`` value in between.

    Lesson 17's λ moves from 1.5 to 1.9 in steps of 0.001 and stops at the min–max λ = 1.70174 too:
    404 positions, where a plain slider in steps of 10⁻⁵ would have 40001 (too many to send ahead as a
    strip, so every move would wait for the kernel). Every position reads with the same decimals, the
    fewest that write each of them exactly (1.70100, 1.70174, 1.70200).
    """

    def grid(self) -> list:
        count = round((self.max - self.min) / self.grid_step()) + 1
        values = {float(f"{self.min + k * self.grid_step():.12g}") for k in range(count)}
        return sorted(values | {float(v) for v in (self.value, *self.named)})

    def decimals(self) -> int:
        return max(super().decimals(), *(_decimals(v) for v in (self.value, *self.named)))

    def _label(self, v) -> str:
        return f"{v:.{self.decimals()}f}"


@dataclass
class Choice:
    """A dropdown over a fixed list of options."""

    options: list
    value: object
    label: str = ""

    def check(self, name, v):
        if v not in self.options:
            raise ValueError(f"{name} must be one of {self.options}, got {v!r}")
        return v

    def samples(self, rng, k):
        return list(self.options)

    def widget(self, name):
        import ipywidgets as w

        return w.Dropdown(
            options=self.options,
            value=self.value,
            description=self.label or name,
            style={"description_width": "initial"},
        )

    def reachable(self, v) -> bool:
        return v in self.options

    def show(self, ctrl, v):
        ctrl.value = v


@dataclass
class Text:
    """A free-text box (an editable vector, say); the figure parses and validates it."""

    value: str
    examples: list = field(default_factory=list)
    label: str = ""

    def check(self, name, v):
        if not isinstance(v, str):
            raise ValueError(f"{name} must be a string, got {v!r}")
        return v

    def samples(self, rng, k):
        return [self.value, *self.examples]

    def widget(self, name):
        import ipywidgets as w

        return w.Text(
            value=self.value,
            description=self.label or name,
            continuous_update=False,
            style={"description_width": "initial"},
        )

    def reachable(self, v) -> bool:
        return isinstance(v, str)

    def show(self, ctrl, v):
        ctrl.value = v
