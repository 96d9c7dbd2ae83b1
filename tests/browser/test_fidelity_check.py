"""The fidelity check itself must see the failure: lesson 07's old broken frames, injected into a live figure."""

from __future__ import annotations

import json
import time

import pytest

from tests.browser import CANVAS_CSS, FIGURE_CSS, RENDER_S
from tests.browser.fidelity import _await_truth
from tests.browser.session import GIVE_UP_AT_ONCE, _close_in_lab, _open_in_lab, _open_session, _press

pytestmark = pytest.mark.slow


PROBE = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "probe-1",
            "metadata": {},
            "outputs": [],
            "source": [
                "%matplotlib widget\n",
                "from theory_lib.figures.rnn import RNNGradientFigure\n",
                "figure = RNNGradientFigure()\n",
                "figure.widget()",
            ],
        },
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}

# Lesson 07's old picture (a frame drawn over a cleared canvas: no axes, titles or legends), made
# certain: the kernel's frames lose their top half, as a frame drawn on a cleared canvas did.
BREAK_FRAMES = """
_v = figure._view
def _broken(_v=_v):
    import numpy
    from theory_lib.figures.web import _png
    pixels = numpy.asarray(_v.canvas.buffer_rgba()).copy()
    pixels[: pixels.shape[0] // 2] = 0  # cleared: transparent, the page's white shows through
    _v.frame = _png(pixels)
_v.show_frame = _broken
_v.start_strip = lambda *args, **kwargs: None  # no strip either: its first frame would repaint the canvas right
_v.drop_strips()  # and none held: the strips prefetched while the figure sat on screen
print("broken")
"""
HEAL_FRAMES = """
del figure._view.show_frame, figure._view.start_strip
figure._background = None
figure._redraw()
print("healed")
"""


class TestFidelityCheck:
    def test_a_frame_drawn_over_a_cleared_canvas_fails_the_check(self, lab, browser, references, workdir, capsys):
        """Inject lesson 07's failure mode into a live figure: the fidelity check must flag the
        broken canvas (and save the images), and pass again once whole frames are restored."""
        started = time.monotonic()
        probe = workdir / "lessons" / "_fidelity_probe.ipynb"
        probe.write_text(json.dumps(PROBE))
        context, page, session = _open_session(browser, lab, "jupyterlab", probe, references)
        try:
            _open_in_lab(session, lab, probe)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            fig = page.locator(FIGURE_CSS).first
            fig.locator(CANVAS_CSS).first.wait_for(timeout=RENDER_S * 1000)
            assert _await_truth(session, fig, 1, "first render", timeout=RENDER_S)["ok"]
            slider = fig.locator(".widget-gridbox").first.locator(".widget-slider").nth(0)  # weight scale

            assert "broken" in session.execute(BREAK_FRAMES)
            idle = page.evaluate("() => window.__tlIdle")
            assert _press(session, slider, ("ArrowRight",)) == "ArrowRight"
            session.wait_kernel_idle(idle)
            broken = _await_truth(session, fig, 1, "injected cleared canvas", timeout=3)
            assert not broken["ok"], "the fidelity check did not see a canvas cleared before a changed-pixels frame"
            assert broken["mismatch"] > 0.02, broken["mismatch"]
            assert list(session.out.glob("*MISMATCH-diff.png")), "the mismatch images were not saved"

            assert "healed" in session.execute(HEAL_FRAMES)
            healed = _await_truth(session, fig, 1, "whole frame restored")
            assert healed["ok"], healed.get("problem")
            session.note(f"injected: {broken['mismatch']:.2%} of the pixels differ; healed: {healed['mismatch']:.3%}")
        finally:
            _close_in_lab(session, context, capsys, started)

    def test_a_figure_anywidget_gave_up_on_still_repaints_in_jupyterlab(
        self, lab, browser, references, workdir, capsys
    ):
        """anywidget's 2 s give-up forced on a figure made by a running cell (JupyterLab opens its
        model from the comm's first message): it must show its state and repaint after a move."""
        started = time.monotonic()
        probe = workdir / "lessons" / "_gave_up_probe.ipynb"
        probe.write_text(json.dumps(PROBE))
        context, page, session = _open_session(browser, lab, "jupyterlab", probe, references)
        page.add_init_script(GIVE_UP_AT_ONCE)
        try:
            _open_in_lab(session, lab, probe)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            fig = page.locator(FIGURE_CSS).first
            fig.locator(CANVAS_CSS).first.wait_for(timeout=RENDER_S * 1000)
            first = _await_truth(session, fig, 1, "first render", timeout=RENDER_S)
            assert first["ok"], first.get("problem")
            slider = fig.locator(".widget-gridbox").first.locator(".widget-slider").nth(0)
            idle = page.evaluate("() => window.__tlIdle")
            assert _press(session, slider, ("ArrowRight",)) == "ArrowRight"
            session.wait_kernel_idle(idle)
            moved = _await_truth(session, fig, 1, "after a move", timeout=RENDER_S)
            assert moved["ok"], moved.get("problem")
            gave_up = [line for line in session.lines if "initialisation timer fired" in line]
            assert gave_up, "no model was given up on: the test did not reproduce anywidget's 2 s limit"
            session.check_kernel_and_console()
        finally:
            _close_in_lab(session, context, capsys, started)
