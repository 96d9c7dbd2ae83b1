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
from tests.browser.session import _open_session
from tests.browser.sweeps import _exercise_figures

IN_VOILA = [p for p in LESSONS if p.stem == "01-softmax"] + LESSONS_ZH

# A class of its own: `pytest -n 2 --dist loadscope` runs it beside TestJupyterLab (see test_jupyterlab).
pytestmark = pytest.mark.slow


class TestVoila:
    @pytest.mark.parametrize("lesson", IN_VOILA, ids=lesson_id)
    def test_lesson_in_voila(self, lesson, voila, browser, references, capsys):
        started = time.monotonic()
        # A HiDPI screen here (JupyterLab runs at 1x): ipympl draws at twice the dpi.
        context, page, session = _open_session(browser, voila, "voila", lesson, references, device_scale_factor=2)
        try:
            t0 = time.monotonic()
            # Voila executes every cell on the server while it streams the page: "load" means done.
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
