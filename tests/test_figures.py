"""Every figure of every lesson, driven headless: each control at its minimum, maximum and
random interior values; no exception and finite drawn data. New figure modules are found
through the registry, so this file needs no edit when a lesson is added."""

from __future__ import annotations

import random

import numpy as np
import pytest

from theory_lib.figures import InteractiveFigure, Slider, figure_classes

FIGURES = figure_classes()


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
        for control, spec in cls.controls.items():
            for value in spec.samples(rng, 2):
                fig.update(**{control: value})
                assert_finite(fig, f"{control}={value!r}")
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
        for widget, (control, spec) in zip(controls, cls.controls.items()):
            if isinstance(spec, Slider) and not hasattr(widget, "base"):
                assert (widget.min, widget.max) == (spec.min, spec.max), control
        # move the last slider-like control to its maximum through the widget itself
        for widget, (control, spec) in reversed(list(zip(controls, cls.controls.items()))):
            if isinstance(spec, Slider):
                widget.value = spec.max  # FloatLogSlider's own max is log10 of it
                assert fig.params[control] == pytest.approx(spec.max, rel=1e-6), control
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
