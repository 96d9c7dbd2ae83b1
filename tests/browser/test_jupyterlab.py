"""Every lesson in JupyterLab: run all cells, then move every enabled slider of every figure."""

from __future__ import annotations

import time

import pytest

from tests.browser import LESSONS, RUN_ALL_S, VIEWPORT
from tests.browser.session import Session, _close_in_lab, _open_in_lab, _open_session
from tests.browser.sweeps import _exercise_figures

# `make test` runs `pytest -n 2 --dist loadscope`: each test class on one worker (one server and one
# Chromium for all lessons of an app), so JupyterLab and Voila run side by side while the unit
# tests fill in. (Not loadgroup: pytest-xdist 3.8's groups do not reach pytest 9's node ids.)
pytestmark = pytest.mark.slow


class TestJupyterLab:
    @pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
    def test_lesson_in_jupyterlab(self, lesson, lab, browser, references, capsys):
        started = time.monotonic()
        context, page, session = _open_session(browser, lab, "jupyterlab", lesson, references)
        try:
            _open_in_lab(session, lab, lesson)

            t0 = time.monotonic()
            page.evaluate(
                """async (ms) => { const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
                     const timeout = new Promise((_, reject) =>
                         setTimeout(() => reject(new Error('run all cells timed out')), ms));
                     return await Promise.race([run, timeout]); }""",
                RUN_ALL_S * 1000,
            )
            session.times["run_s"] = time.monotonic() - t0
            cells = page.evaluate(
                """() => { const cells = window.__tlPanel.content.model.cells; const out = [];
                     for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;
                       const errors = c.outputs.toJSON().filter(o => o.output_type === 'error')
                         .map(o => o.ename + ': ' + o.evalue);
                       out.push({index: i, count: c.executionCount, errors}); }
                     return out; }"""
            )
            raised = [f"cell {c['index']}: {e}" for c in cells for e in c["errors"]]
            assert not raised, f"{lesson.name}: cells raised: {raised}"
            session.check_outputs()
            unrun = [c["index"] for c in cells if c["count"] is None]
            assert not unrun, f"{lesson.name}: cells {unrun} did not run"
            session.note(f"{len(cells)} code cells ran without error in {session.times['run_s']:.1f} s")

            expected = int(session.execute(Session.HOOK).split()[-1])
            session.hooked = True
            session.note(f"{expected} interactive figure(s) displayed by the kernel")
            # A learner's first view has the file browser open: does every figure fit beside it?
            over = page.evaluate(
                """() => Math.max(0, ...[...document.querySelectorAll('.tl-canvas canvas')].map(
                     c => c.getBoundingClientRect().right -
                          c.closest('.jp-OutputArea').getBoundingClientRect().right))"""
            )
            session.note(
                f"with the file browser open in a {VIEWPORT['width']} px window the widest figure is cut "
                f"off by {over:.0f} px"
                if over > 0
                else "every figure fits beside the open file browser"
            )
            page.evaluate(
                "() => window.jupyterapp.shell.leftCollapsed || "
                "window.jupyterapp.commands.execute('application:toggle-left-area')"
            )
            _exercise_figures(session, expected, every_slider=True)
            session.check_outputs()
            session.check_kernel_and_console()
        finally:
            _close_in_lab(session, context, capsys, started)
