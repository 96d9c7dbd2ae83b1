"""Every lesson in a real browser: JupyterLab and Voila, in headless Chromium driven by Playwright.

For each lesson (found by glob: a new lesson needs no edit here; English in JupyterLab, Chinese in
Voila, and lesson 01 in English in Voila too) the browser test

1. starts a server on 127.0.0.1 with a free port and a random token (one JupyterLab, then one
   Voila, each shared by all lessons), with MPLBACKEND removed from its environment (as a learner's
   kernel runs),
2. opens the lesson (JupyterLab: "run all cells"; Voila: renders it like ``make app``) and asserts
   that no cell raised: error outputs in the DOM and, in JupyterLab, in the notebook model; cells
   left unexecuted; tracebacks in the kernel's log; widgets that failed to display,
3. for every interactive figure (``InteractiveFigure.widget()``: a VBox of [GridBox of controls,
   live canvas (theory_lib/figures/web.py), HTML readout]) asserts that it is live, moves sliders with the
   keyboard (focus the handle, press ArrowRight, then End) and asserts that the canvas pixels
   changed and that no move was refused (the readout turns red when a value is rejected).
   JupyterLab moves every slider of every figure; Voila moves sliders in order until one changes
   the canvas. In JupyterLab a hook in the kernel records, per move, whether the figure was
   blitted or fully redrawn, so the log shows blitted updates reaching the browser,
4. asserts that the browser console shows no error and no uncaught exception.

Canvas screenshots before and after each move, widget screenshots, a screenshot of the page
(``page.png``) and a log go to
``artifacts/browser/<lesson>/<app>/``; timings per lesson to ``artifacts/browser/timings.json``.
The servers (with their kernels) and the browser are stopped in fixture teardowns, also when a
test fails. Chromium is Debian's ``/usr/bin/chromium`` (``make test`` installs it when missing);
Playwright drives it through ``executable_path`` and never downloads a browser; every request that
would leave the machine is blocked. The test skips, loudly, only when that Chromium is missing.

The package, by concept (this module holds the paths, selectors and time limits they share):

- ``servers``: a free port; the JupyterLab or Voila server, started and stopped by its PID,
- ``fidelity``: pixels, the Agg references each canvas must match, mismatch and diff images,
- ``session``: one lesson open in one app (console, kernel, screenshots, log), a keyboard move,
- ``sweeps``: every figure on a page, its sliders moved and each frame checked,
- ``conftest``: the fixtures (workdir, browser, references: one per pytest worker; lab, voila),
- ``test_jupyterlab``, ``test_voila``: every lesson in each app (separate classes, so that
  ``pytest -n 2 --dist loadscope`` runs them side by side),
- ``test_fidelity_check``: the check itself must flag lesson 07's old failure mode.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
LESSONS_ZH = sorted((ROOT / "lessons" / "zh").glob("*.ipynb"))  # the Chinese versions: in the Voila pass


def lesson_id(lesson: Path) -> str:
    """``01-softmax`` for an English lesson, ``zh-01-softmax`` for its Chinese version (artifacts, timings)."""
    return lesson.stem if lesson.parent.name == "lessons" else f"{lesson.parent.name}-{lesson.stem}"


ARTIFACTS = ROOT / "artifacts" / "browser"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}  # a laptop screen
CANVAS_CSS = ".tl-canvas canvas"  # a figure's live canvas (theory_lib/figures/web.py)
FIGURE_CSS = ".widget-vbox:has(> .widget-gridbox)"  # InteractiveFigure.widget(): controls, canvas, readout
REFUSED_CSS = '[style*="#b00"]'  # InteractiveFigure shows a refused value in red in the readout

# Every wait is bounded (seconds).
SERVER_START_S = 90  # the server answers
OPEN_S = 120  # page loaded and kernel idle (Voila: every cell executed on the server)
RUN_ALL_S = 300  # JupyterLab "run all cells" (nbmake's per-cell timeout is 300 s as well)
RENDER_S = 60  # widgets displayed, canvas painted and steady
KERNEL_S = 60  # the kernel has handled a slider move
FRAME_S = 20  # after a move: the canvas shows the figure's new state (polled, not slept)
POLL_S = 0.1  # between two reads of the canvas while waiting for the right picture
