"""Every lesson in Voila (`make app`), in Chinese: rendered on a 2x screen, no cell raised, one slider move.

The English lessons run in JupyterLab (test_jupyterlab.py), every slider moved; the Chinese ones run
here, so each language is seen in a browser and each lesson in both apps. Lesson 01 also runs here
in English: its page is the README's picture of `make app`. (An English run of every lesson here as
well cost a quarter of the browser test's time and tested the same code: the lessons differ by
language in their text only.)"""

from __future__ import annotations

import json
import time

import pytest

from tests.browser import LESSONS, LESSONS_ZH, OPEN_S, ROOT, lesson_id
from tests.browser.session import GIVE_UP_AT_ONCE, _open_session
from tests.browser.sweeps import _exercise_figures

IN_VOILA = [p for p in LESSONS if p.stem == "01-softmax"] + LESSONS_ZH


def _open_in_voila(session, voila, lesson):
    """Load the lesson's page (Voila executes every cell while it streams it) and wait for its kernel."""
    page, t0 = session.page, time.monotonic()
    path = lesson.relative_to(ROOT / "lessons").as_posix()  # zh/01-softmax.ipynb for a Chinese lesson
    page.goto(voila.url(f"/voila/render/{path}"), timeout=OPEN_S * 1000, wait_until="load")
    page.wait_for_function(
        """() => { const wm = window.jupyterapp && window.jupyterapp.widgetManager;
             const k = wm && (wm.kernel || wm._kernel);
             return k && k.connectionStatus === 'connected' && k.status === 'idle'; }""",
        timeout=OPEN_S * 1000,
    )
    session.times["open_s"] = time.monotonic() - t0
    session.watch_kernel()


# A class of its own: `pytest -n 2 --dist loadscope` runs it beside TestJupyterLab (see test_jupyterlab).
pytestmark = pytest.mark.slow


class TestVoila:
    @pytest.mark.parametrize("lesson", IN_VOILA, ids=lesson_id)
    def test_lesson_in_voila(self, lesson, voila, browser, references, capsys):
        started = time.monotonic()
        # A HiDPI screen here (JupyterLab runs at 1x): ipympl draws at twice the dpi.
        context, page, session = _open_session(browser, voila, "voila", lesson, references, device_scale_factor=2)
        try:
            _open_in_voila(session, voila, lesson)
            session.check_outputs()
            # Voila runs no code that the page sends: count the figures from the source instead.
            shows = any(
                ".widget()" in "".join(c["source"])
                for c in json.loads(lesson.read_text(encoding="utf-8"))["cells"]
                if c["cell_type"] == "code"
            )
            _exercise_figures(session, 1 if shows else 0, every_slider=False)
            session.check_outputs()
            session.check_kernel_and_console()
        finally:
            context.close()  # Voila shuts the kernel down when its page goes
            session.finish(capsys, started)

    def test_a_figure_anywidget_gave_up_on_still_repaints(self, voila, browser, references, capsys):
        """anywidget's 2 s give-up, forced on every figure of lesson 01: each must still show its
        state's picture and repaint after a move (web.js hands the model's comm a handler that hears)."""
        started = time.monotonic()
        lesson = next(p for p in LESSONS if p.stem == "01-softmax")
        context, page, session = _open_session(
            browser, voila, "voila-anywidget-gave-up", lesson, references, device_scale_factor=2
        )
        page.add_init_script(GIVE_UP_AT_ONCE)
        try:
            _open_in_voila(session, voila, lesson)
            _exercise_figures(session, 1, every_slider=False)
            gave_up = [line for line in session.lines if "initialisation timer fired" in line]
            assert gave_up, "no model was given up on: the test did not reproduce anywidget's 2 s limit"
            session.note(f"anywidget gave up on {len(gave_up)} model(s); every figure repainted")
            session.check_outputs()
            session.check_kernel_and_console()
        finally:
            context.close()
            session.finish(capsys, started)
