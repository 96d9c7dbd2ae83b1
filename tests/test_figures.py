"""Every figure of every lesson, driven headless: each control at its minimum, maximum and
random interior values; no exception, finite drawn data, and no readout that contradicts its own
numbers; the live (blitted) canvas equals a fresh render of the same state; every default and
every value the lesson names is reachable on the control's widget; a rejected value leaves the
figure working; every enabled control does something. New figure modules are found through the
registry, so this file needs no edit when a lesson is added."""

from __future__ import annotations

import html
import json
import operator
import random
import re

import numpy as np
import pytest

from theory_lib.figures import Choice, FineSlider, InteractiveFigure, LogSlider, Slider, Text, figure_classes
from theory_lib.figures.background import settle

FIGURES = figure_classes()

# ---------------------------------------------------------------- readouts say what their numbers say
NUMBER = r"[-−]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+−]?\d+)?"
OPS = {"<": operator.lt, ">": operator.gt, "≤": operator.le, "≥": operator.ge}
# "0.3 < 0.25", "τ = 0.3 < 1/n = 0.25", "a_T = 1e-5 ≤ tol": a number, an operator, then either a
# number or a short label "= number". Readouts write every comparison they state this way.
# A number inside an expression ("ηL/2 < 1", "< 1/n" with no "= value") is no operand. A label
# stops at punctuation, Chinese full-width punctuation too ("τ = 1.2 > 1：……；n = 2" is one comparison).
OPERAND = rf"(?<![\w/.*^·×]){NUMBER}(?![\w/.^·×])"
COMPARISON = re.compile(rf"({OPERAND})\s*([<>≤≥])\s*(?:([^<>≤≥=;:,()；：，（）。]{{0,24}}?)=\s*)?({OPERAND})")


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def readout_contradictions(readout: str) -> list[str]:
    """Every comparison "x op y" stated in the readout (HTML stripped) that its numbers make false."""
    text = html.unescape(re.sub(r"<[^>]+>", "", readout))
    wrong = []
    for m in COMPARISON.finditer(text):
        lhs, op, rhs = _number(m.group(1)), m.group(2), _number(m.group(4))
        if not OPS[op](lhs, rhs):
            wrong.append(f"{m.group(0)!r} is false ({lhs} {op} {rhs})")
    return wrong


def test_readout_checker_finds_a_false_comparison():
    assert readout_contradictions("temperature 0.3 &lt; 1/n = 0.25 makes it repel")
    assert readout_contradictions("<b>0.5</b> ≥ 1e-3") == []
    assert readout_contradictions("τ = 0.3 > 1/n = 0.25; λ &gt; 0 vanishes") == []
    assert readout_contradictions("gap 2.4e−4 > 3e-4")
    assert readout_contradictions("converges iff ηL/2 < 1, here 2.5 < 1/n = 0.25") == [
        "'2.5 < 1/n = 0.25' is false (2.5 < 0.25)"
    ]
    assert readout_contradictions("2 sinh(1)/n = 1.175 &gt; 1：这个上界允许极差变大；n = 2 需要精确映射") == []


def test_registry_is_not_empty():
    assert "softmax.RepeatedSoftmaxFigure" in FIGURES


def assert_finite(fig: InteractiveFigure, context: str):
    for arr in fig.drawn_arrays():
        assert np.isfinite(arr).all(), f"non-finite data drawn after {context}"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_sweep_every_control(name):
    cls = FIGURES[name]
    rng = random.Random(0)
    fig = cls()
    try:
        fig.fig.canvas.draw()
        assert_finite(fig, "build")
        assert not readout_contradictions(fig.readout), f"{name} at build: {readout_contradictions(fig.readout)}"
        for control, spec in cls.controls.items():
            for value in spec.samples(rng, 2):
                fig.update(**{control: value})
                assert_finite(fig, f"{control}={value!r}")
                wrong = readout_contradictions(fig.readout)
                assert not wrong, f"{name} at {fig.params}: the readout contradicts itself: {wrong}"
    finally:
        fig.close()


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_live_canvas_equals_a_fresh_render(name):
    """After moves (blitted or fully redrawn), the live canvas shows exactly what a figure built
    from scratch for the same parameters shows: no stale pixels, legends or limits."""
    cls = FIGURES[name]
    rng = random.Random(1)
    fig = cls()
    try:
        fig.fig.canvas.draw()
        first = np.asarray(fig.fig.canvas.buffer_rgba())
        assert np.array_equal(first, cls.render(fig.params, dpi=fig.fig.dpi)), (
            f"{name}: the first render differs from a render of the same state (does draw() read the layout?)"
        )
        sliders = [c for c, spec in cls.controls.items() if isinstance(spec, Slider)]
        moves = [{c: rng.choice(cls.controls[c].samples(rng, 2))} for c in (sliders * 2)[:3]]
        for move in moves:
            fig.update(**move)
            live = np.asarray(fig.fig.canvas.buffer_rgba())
            ref = cls.render(fig.params, dpi=fig.fig.dpi)
            assert live.shape == ref.shape, f"{name} after {move}: size {live.shape} != {ref.shape}"
            differ = np.any(live != ref, axis=-1).mean()
            assert differ == 0, f"{name} after {move}: {differ:.3%} of the pixels differ from a fresh render"
    finally:
        fig.close()


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_controls_reach_the_values_the_lesson_names(name):
    """Defaults and named values lie exactly on the widget's grid; counts move in integers."""
    for control, spec in FIGURES[name].controls.items():
        for v in (spec.value, *getattr(spec, "named", ())):
            assert spec.reachable(v), f"{name}.{control}: {v!r} cannot be set exactly on its widget"
        widget = spec.widget(control)
        assert widget.value == spec.value, f"{name}.{control}: the widget opens at {widget.value!r}, not {spec.value!r}"
        if isinstance(spec, FineSlider):  # each position read exactly, and told apart from its neighbours
            labels = [label for label, _ in widget.options]
            assert len(set(labels)) == len(labels), f"{name}.{control}: two positions read alike"
            for label, v in widget.options:
                assert float(label) == v and spec.min <= v <= spec.max, f"{name}.{control}: {v!r} reads as {label}"
        elif isinstance(spec, LogSlider):
            values = [v for _, v in widget.options]
            assert all(spec.min <= v <= spec.max for v in values)
            if spec.integer:
                assert all(isinstance(v, int) for v in values), f"{name}.{control}: a count offers fractions"
                assert all(str(v) == label for label, v in widget.options)
        elif isinstance(spec, Slider) and spec.integer:
            assert type(widget).__name__ == "IntSlider", f"{name}.{control}: a count on a float slider"
        elif isinstance(spec, Slider):  # the readout the learner reads is the value, not a rounding of it
            step, fmt = spec.grid_step(), widget.readout_format
            for v in (spec.value, *getattr(spec, "named", ()), spec.min + step, spec.max - step, spec.max):
                shown = float(f"{v:{fmt}}")
                assert abs(shown - v) <= 1e-9 * step, f"{name}.{control}: {v!r} reads as {f'{v:{fmt}}'}"


def test_a_fine_slider_steps_evenly_and_stops_at_each_named_value():
    spec = FineSlider(1.5, 1.9, 1.702, step=0.001, named=(1.59577, 1.70174))
    grid = spec.grid()
    assert len(grid) == 401 + 2 and grid == sorted(grid) and (grid[0], grid[-1]) == (1.5, 1.9)
    assert 1.70174 in grid and grid[grid.index(1.70174) - 1 : grid.index(1.70174) + 2] == [1.701, 1.70174, 1.702]
    assert spec.reachable(1.70174) and spec.reachable(1.8) and not spec.reachable(1.70175)
    assert [label for label, _ in spec._options([1.5, 1.70174, 1.9])] == ["1.50000", "1.70174", "1.90000"]
    widget = spec.widget("lam")
    spec.show(widget, 1.70175)  # a lesson may set a value between the stops: it joins the grid
    assert widget.value == 1.70175 and widget.label == "1.70175"
    with pytest.raises(ValueError, match="lam must be in"):
        spec.check("lam", 1.95)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_a_rejected_value_leaves_the_figure_working(name):
    """Bad values raise ValueError naming the control; the figure keeps its state and keeps moving."""
    cls = FIGURES[name]
    fig = cls()
    try:
        fig.fig.canvas.draw()
        bad = {}
        for control, spec in cls.controls.items():
            if isinstance(spec, Text):
                bad[control] = ["abc", "", "1, 1", "1e308, -1e308", "nan, 1", "inf, 0", "1,,2", "1e400, 0"]
            elif isinstance(spec, Slider):
                bad[control] = [float("nan"), spec.max * 10 + 1, "3"]
            elif isinstance(spec, Choice):
                bad[control] = ["no such option"]
        for control, values in bad.items():
            for value in values:
                before, readout = dict(fig.params), fig.readout
                pixels = np.asarray(fig.fig.canvas.buffer_rgba()).copy()
                try:
                    fig.update(**{control: value})
                except ValueError as err:
                    assert control in str(err) or cls.controls[control].label in str(err), (
                        f"{name}: the error for {control}={value!r} does not name the control: {err}"
                    )
                    assert fig.params == before and fig.readout == readout, (
                        f"{name}: {control}={value!r} changed the state"
                    )
                    assert np.array_equal(pixels, np.asarray(fig.fig.canvas.buffer_rgba())), (
                        f"{name}: the refused {control}={value!r} changed the pixels"
                    )
                else:  # accepted (a vector that is unusual but valid): it must draw finite data
                    assert_finite(fig, f"{control}={value!r}")
                    fig.update(**{control: before[control]})
        for control, spec in cls.controls.items():  # every control still moves the figure
            if isinstance(spec, Slider):
                fig.update(**{control: spec.min})
                fig.update(**{control: spec.value})
    finally:
        fig.close()


def _what_is_shown(fig: InteractiveFigure):
    return [a.copy() for a in fig.drawn_arrays()], fig.readout


def _same(a, b) -> bool:
    (arrays_a, text_a), (arrays_b, text_b) = a, b
    return (
        text_a == text_b
        and len(arrays_a) == len(arrays_b)
        and all(
            x.shape == y.shape and np.array_equal(x, y, equal_nan=True) for x, y in zip(arrays_a, arrays_b, strict=True)
        )
    )


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_enabled_control_does_something(name):
    """At the defaults, moving an enabled control changes what is drawn or said; a control the
    figure declares inactive changes nothing (and its widget is disabled)."""
    cls = FIGURES[name]
    fig = cls()
    try:
        box = fig.widget()
        widgets = dict(zip(cls.controls, box.children[0].children, strict=True))
        idle = fig.inactive()
        for control, spec in cls.controls.items():
            assert widgets[control].disabled == (control in idle), f"{name}.{control}: disabled state"
            values = [
                v
                for v in (spec.samples(random.Random(0), 0) if not isinstance(spec, Text) else spec.examples)
                if v != fig.params[control]
            ]
            shown = _what_is_shown(fig)
            fig.update(**{control: values[0]})
            changed = not _same(shown, _what_is_shown(fig))
            fig.update(**{control: spec.value})
            if control in idle:
                assert not changed, f"{name}.{control} is declared inactive but changed the figure"
            else:
                assert changed, f"{name}.{control}={values[0]!r} changed nothing: disable it where it does nothing"
    finally:
        fig.close()


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_widget_drives_the_figure(name):
    """The ipywidgets built from the declarations move the figure, within the declared ranges."""
    cls = FIGURES[name]
    fig = cls()
    try:
        box = fig.widget()
        controls = box.children[0].children
        assert len(controls) == len(cls.controls)
        for widget, (control, spec) in zip(controls, cls.controls.items(), strict=True):
            if isinstance(spec, (LogSlider, FineSlider)):
                assert (widget.options[0][1], widget.options[-1][1]) == (spec.min, spec.max), control
            elif isinstance(spec, Slider):
                assert (widget.min, widget.max) == (spec.min, spec.max), control
        # move the last slider-like control to its maximum through the widget itself
        for widget, (control, spec) in reversed(list(zip(controls, cls.controls.items(), strict=True))):
            if isinstance(spec, Slider):
                widget.value = spec.max
                assert settle(fig), f"{control}: a figure that trains did not finish in its worker"
                assert fig.params[control] == spec.max, control
                break
        # an update from code shows on the widgets, and the hidden state follows
        for widget, (control, spec) in zip(controls, cls.controls.items(), strict=True):
            if isinstance(spec, Slider):
                fig.update(**{control: spec.min})
                assert widget.value == spec.min, control
                state = json.loads(html.unescape(box.children[3].value))
                assert state["params"][control] == fig.params[control] == spec.min, control
                break
    finally:
        fig.close()


def test_bad_control_values_are_refused():
    fig = FIGURES["softmax.RepeatedSoftmaxFigure"]()
    try:
        with pytest.raises(ValueError, match="steps"):
            fig.update(steps=10_000)
        with pytest.raises(ValueError, match="temperature"):
            fig.update(temperature=float("nan"))
        with pytest.raises(ValueError, match="preset"):
            fig.update(preset="[7]")
        with pytest.raises(ValueError, match="unknown parameter"):
            fig.update(tau=1.0)
        with pytest.raises(ValueError, match="vector"):
            fig.update(preset="custom", vector="1, two")
    finally:
        fig.close()


def test_update_draws_in_place_and_blits():
    """A slider move that keeps the axes redraws only the data (no full draw, no new artists)."""
    fig = FIGURES["softmax.RepeatedSoftmaxFigure"]()
    try:
        fig.fig.canvas.draw()
        full_draws = []
        fig.fig.canvas.mpl_connect("draw_event", lambda e: full_draws.append(e))
        artists = [id(a) for ax in fig.fig.axes for a in ax.get_children()]
        before = np.asarray(fig.fig.canvas.buffer_rgba()).copy()
        fig.update(temperature=1.05)
        after = np.asarray(fig.fig.canvas.buffer_rgba())
        assert not full_draws, "a temperature change within the same axes should be blitted"
        assert (before != after).any(), "the pixels did not change"
        assert [id(a) for ax in fig.fig.axes for a in ax.get_children()] == artists
        # the blitted image equals a full render of the same state
        fig.fig.canvas.draw()
        assert np.array_equal(after, np.asarray(fig.fig.canvas.buffer_rgba()))
    finally:
        fig.close()
