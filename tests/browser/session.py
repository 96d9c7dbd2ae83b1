"""Every lesson in a real browser: JupyterLab and Voila, in headless Chromium driven by Playwright.

For each ``lessons/*.ipynb`` (found by glob: a new lesson needs no edit here) the test

1. starts a server on 127.0.0.1 with a free port and a random token (one JupyterLab, then one
   Voila, each shared by all lessons), with MPLBACKEND removed from its environment so that the
   kernels draw live ipympl figures,
2. opens the lesson (JupyterLab: "run all cells"; Voila: renders it like ``make app``) and asserts
   that no cell raised: error outputs in the DOM and, in JupyterLab, in the notebook model; cells
   left unexecuted; tracebacks in the kernel's log; widgets that failed to display,
3. for every interactive figure (``InteractiveFigure.widget()``: a VBox of [GridBox of controls,
   ipympl canvas, HTML readout]) asserts that it is a live ipympl canvas, moves sliders with the
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
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
ARTIFACTS = ROOT / "artifacts" / "browser"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}  # a laptop screen
FIGURE_CSS = ".widget-vbox:has(> .widget-gridbox)"  # InteractiveFigure.widget(): controls, canvas, readout
REFUSED_CSS = '[style*="#b00"]'  # InteractiveFigure shows a refused value in red in the readout

# Every wait is bounded (seconds).
SERVER_START_S = 90   # the server answers
OPEN_S = 120          # page loaded and kernel idle (Voila: every cell executed on the server)
RUN_ALL_S = 300       # JupyterLab "run all cells" (nbmake's per-cell timeout is 300 s as well)
RENDER_S = 60         # widgets displayed, canvas painted and steady
KERNEL_S = 60         # the kernel has handled a slider move
FRAME_S = 20         # after a move: the canvas shows the figure's new state (polled, not slept)
POLL_S = 0.1          # between two reads of the canvas while waiting for the right picture

# Fidelity: the canvas must show what a from-scratch Agg render of the figure's state shows. A
# pixel counts as different when a colour channel is off by more than DIFF_LEVEL (of 255), and
# at most FIDELITY_TOL of the pixels may differ. The browser decodes ipympl's PNG frames without
# colour management, so a correct canvas matches to the level (measured: 0 differing pixels in
# every lesson); the tolerance leaves room for a browser that dithers or resamples, while the
# failure modes it must catch change whole axes, labels and legends (lesson 07's race: 9-12 %).
DIFF_LEVEL = 24
FIDELITY_TOL = 0.002

# Console errors that are not ours: Voila's page template links Font Awesome from a CDN, and the
# test blocks every request that would leave the machine.
BENIGN_CONSOLE = ("Failed to load resource: net::ERR_FAILED",)

# `make test` runs `pytest -n 2 --dist loadscope`: each test class on one worker (one server and one
# Chromium for all lessons of an app), so JupyterLab and Voila run side by side while the unit
# tests fill in. (Not loadgroup: pytest-xdist 3.8's groups do not reach pytest 9's node ids.)
pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- servers and browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Jupyter server (JupyterLab or Voila) that the test starts, probes and stops by its PID."""

    def __init__(self, name: str, argv: list[str], workdir: Path, probe: str):
        self.name, self.port, self.token = name, _free_port(), secrets.token_hex(16)
        self.log_path = workdir / f"{name}-server.log"
        self._log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # live ipympl figures
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            env[var] = str(workdir / f"{name}-{var.lower()}")  # no user config, nothing in $HOME
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        argv = [a.format(port=self.port, token=self.token) for a in argv]
        # A session of its own: the kernels it starts share its process group, so stop() can end
        # them with it even if the server dies without shutting them down.
        self.proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + SERVER_START_S
            while True:
                try:
                    with urllib.request.urlopen(self.url(probe), timeout=5):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{name} did not start; its log ends:\n{self.log()[-3000:]}") from None
                    time.sleep(0.3)
        except BaseException:  # failed, timed out or interrupted (Ctrl-C): leave nothing running
            self.stop()
            raise

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        pid = self.proc.pid
        if self.proc.poll() is None:
            self.proc.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        try:  # whatever it started and left behind (kernels) ends with it
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of lessons/ (JupyterLab may save what it runs: the repository stays clean)."""
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(ROOT / "lessons", root / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = {  # JupyterLab user settings: no autosave, every cell in the DOM, no news pop-up
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
    }
    for plugin, values in settings.items():
        path = root / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return root


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"BROWSER TEST NOT RUN: {CHROMIUM} is missing. Install Debian's chromium "
                    "(`apt-get install chromium`; `make test` does it when run as root).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: run `make install` (pip install -c constraints.txt -e '.[test]')")
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


def _open_context(browser, **kw):
    context = browser.new_context(viewport=VIEWPORT, **kw)
    context.set_default_timeout(RENDER_S * 1000)

    def local_only(route):  # nothing leaves the machine
        url = route.request.url
        host = url.split("/")[2].rsplit(":", 1)[0] if "://" in url else ""
        if host in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", local_only)
    return context


# ---------------------------------------------------------------- pixels
def _png(image_bytes: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(image_bytes)).convert("RGBA"))


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels that differ between two images (1.0 if the size changed)."""
    if a.shape != b.shape:
        return 1.0
    return float(np.any(a != b, axis=-1).mean())


def _canvas_pixels(canvas) -> np.ndarray:
    """The pixels ipympl drew, as the learner sees them: the canvas's own backing store (whatever
    the page's scroll), composited over the page's white (a cleared canvas is transparent)."""
    url = canvas.evaluate("(div) => div.querySelector('canvas').toDataURL('image/png')")
    rgba = _png(base64.b64decode(url.split(",", 1)[1])).astype(np.float32)
    alpha = rgba[..., 3:] / 255.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    return np.dstack([np.rint(rgb), np.full(rgb.shape[:2] + (1,), 255.0)]).astype(np.uint8)


def _mismatch(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels whose colour differs by more than DIFF_LEVEL in some channel (1.0 if sizes differ)."""
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a[..., :3].astype(np.int16) - b[..., :3]).max(axis=-1) > DIFF_LEVEL).mean())


def _png_bytes(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="png")
    return buf.getvalue()


def _diff_image(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where a and b differ, in red over a faded b."""
    out = (255 - (255 - b[..., :3].astype(np.int16)) // 4).astype(np.uint8)
    bad = np.abs(a[..., :3].astype(np.int16) - b[..., :3]).max(axis=-1) > DIFF_LEVEL
    out[bad] = (220, 0, 0)
    return np.dstack([out, np.full(out.shape[:2], 255, np.uint8)])


class References:
    """What each live canvas must show: the figure's state drawn on Agg in this process.

    The page carries each figure's state (``InteractiveFigure.state()``: registry name,
    parameters, dpi, and the parameters and dpi at its first full draw, which fixed its layout);
    one offscreen figure per (class, layout, dpi) is updated to that state and drawn in full."""

    def __init__(self):
        from theory_lib.figures import figure_classes

        self.classes = figure_classes()
        self.figures = {}

    def pixels(self, state: dict) -> np.ndarray:
        layout = ("dpi", "figsize", "layout_params", "layout_dpi", "layout_figsize")
        key = json.dumps([state["figure"]] + [state[k] for k in layout], sort_keys=True)
        if key not in self.figures:
            self.figures[key] = self.classes[state["figure"]].reference(**{k: state[k] for k in layout})
        return self.figures[key].pixels(**state["params"])

    def close(self):
        for fig in self.figures.values():
            fig.close()


def _figure_state(fig) -> dict | None:
    """The state the kernel says this figure shows (its hidden state widget), or None before the first draw."""
    text = fig.locator(".tl-figure-state").first.text_content(timeout=10_000) or ""
    state = json.loads(text) if text.strip() else None
    return state if state and state.get("layout_params") is not None else None


def _await_truth(session: "Session", fig, fig_no: int, what: str, timeout: float = FRAME_S) -> dict:
    """Poll the canvas until it shows what a fresh Agg render of the figure's state shows.

    Returns the pixels, the time it took and the mismatch; on timeout the browser's picture, the
    reference and their difference are saved next to the screenshots and ``ok`` is False."""
    canvas = fig.locator(".jupyter-matplotlib-canvas-div").first
    t0, deadline = time.monotonic(), time.monotonic() + timeout
    refs: dict[str, np.ndarray] = {}
    while True:
        state = _figure_state(fig)
        pixels = _canvas_pixels(canvas)
        if state is not None:
            key = json.dumps(state, sort_keys=True)
            if key not in refs:
                refs[key] = session.references.pixels(state)
            ref = refs[key]
            bad = _mismatch(pixels, ref)
            if bad <= FIDELITY_TOL:
                return {"ok": True, "pixels": pixels, "mismatch": bad, "wait_s": time.monotonic() - t0, "state": state}
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    stem = f"fig{fig_no}-{_slug(what)}"
    if state is None:
        return {"ok": False, "pixels": pixels, "mismatch": 1.0, "wait_s": timeout, "state": None,
                "problem": f"figure {fig_no} after {what}: the kernel never reported a drawn state"}
    session.save(f"{stem}-MISMATCH-browser.png", _png_bytes(pixels))
    session.save(f"{stem}-MISMATCH-reference.png", _png_bytes(ref))
    if pixels.shape == ref.shape:
        session.save(f"{stem}-MISMATCH-diff.png", _png_bytes(_diff_image(pixels, ref)))
    return {"ok": False, "pixels": pixels, "mismatch": bad, "wait_s": timeout, "state": state,
            "problem": (f"figure {fig_no} after {what}: the browser's canvas {pixels.shape[1]}x{pixels.shape[0]} differs "
                        f"from the Agg render of its state {ref.shape[1]}x{ref.shape[0]} in {bad:.2%} of the pixels "
                        f"(tolerance {FIDELITY_TOL:.2%}) after {timeout} s; state {state['params']}; images: "
                        f"{session.out / (stem + '-MISMATCH-*.png')}")}


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in keep.split("-") if p)[:40] or "slider"


# ---------------------------------------------------------------- one lesson in one app
class Session:
    """One lesson open in one app: console capture, kernel watch, screenshots, a log."""

    # The kernel as the page sees it, in JupyterLab and in Voila.
    KERNEL_JS = """() => (window.__tlPanel ? window.__tlPanel.sessionContext.session.kernel
                         : (window.jupyterapp.widgetManager.kernel || window.jupyterapp.widgetManager._kernel))"""

    # JupyterLab only (Voila runs no code that the page sends): count the displayed figures and
    # log, per slider move, the value and how the figure redrew it. Nothing is executed between
    # moves (an execute request would make IPython redraw every stale figure in full).
    HOOK = """
import gc as _tl_gc
from theory_lib.figures.base import InteractiveFigure as _TL
_tl_figs = [o for o in _tl_gc.get_objects()  # type() only: isinstance() wakes lazy modules' warnings
            if _TL in type(o).__mro__ and o._widget is not None]
if not hasattr(_TL, "_tl_log"):
    _TL._tl_log = []
    def _tl_update(self, _orig=_TL.update, **params):
        _TL._tl_log.append([", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}"
                                      for k, v in params.items())])
        try:
            return _orig(self, **params)
        except ValueError as err:
            _TL._tl_log[-1].append(f"REFUSED: {err}")
            raise
    def _tl_redraw(self, _orig=_TL._redraw):
        blit = self._background is not None and self._static_signature() == self._signature
        if _TL._tl_log:
            _TL._tl_log[-1].append("blit" if blit else "full draw requested")
        return _orig(self)
    _TL.update, _TL._redraw = _tl_update, _tl_redraw
    for _f in _tl_figs:
        _f.fig.canvas.mpl_connect("draw_event", lambda e: _TL._tl_log and _TL._tl_log[-1].append("full draw"))
_TL._tl_log.clear()
print(len(_tl_figs))
"""
    READ_LOG = """
import json as _tl_json
from theory_lib.figures.base import InteractiveFigure as _TL
print(_tl_json.dumps(_TL._tl_log)); _TL._tl_log.clear()
"""

    def __init__(self, page, server: Server, app: str, lesson: Path):
        self.page, self.server, self.app, self.lesson = page, server, app, lesson
        self.out = ARTIFACTS / lesson.stem / app
        shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir(parents=True)
        self.lines: list[str] = []
        self.console: list[str] = []
        self.times: dict[str, float] = {}
        self.hooked = False
        self.log_start = len(server.log())
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.console.append(f"uncaught: {err}"))
        page.on("requestfailed", lambda r: self.note(f"request failed (blocked or missing): {r.url}"))

    def _on_console(self, msg):
        if msg.type in ("error", "assert"):
            where = msg.location.get("url", "")
            if msg.text.startswith(BENIGN_CONSOLE) and "127.0.0.1" not in where:
                self.note(f"console, not ours: {msg.text} {where}")
            else:
                self.console.append(f"console.{msg.type}: {msg.text} ({where})")

    def note(self, line: str):
        self.lines.append(line)

    def save(self, name: str, data: bytes) -> Path:
        path = self.out / name
        path.write_bytes(data)
        return path

    # kernel ---------------------------------------------------------------------------------
    def watch_kernel(self):
        """Count the kernel's transitions to idle; record errors it publishes."""
        self.page.evaluate(
            """(kernelJs) => { const kernel = eval(kernelJs)(); window.__tlIdle = 0; window.__tlIdleAt = performance.now();
                 window.__tlErrors = [];
                 kernel.statusChanged.connect((_, s) => { if (s === 'idle') { window.__tlIdle += 1; window.__tlIdleAt = performance.now(); } });
                 kernel.iopubMessage.connect((_, m) => { if (m.header.msg_type === 'error')
                     window.__tlErrors.push(m.content.ename + ': ' + m.content.evalue); }); }""", self.KERNEL_JS)

    def execute(self, code: str) -> str:
        """Run code in the lesson's kernel (not in a cell) and return what it printed."""
        return self.page.evaluate(
            """async ([kernelJs, code, ms]) => { const kernel = eval(kernelJs)();
                 let out = '';
                 const future = kernel.requestExecute({code, silent: false, store_history: false});
                 future.onIOPub = (m) => { if (m.header.msg_type === 'stream' && m.content.name === 'stdout') out += m.content.text;
                                           if (m.header.msg_type === 'error') out += 'ERROR ' + m.content.ename + ': ' + m.content.evalue; };
                 const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('the kernel did not answer')), ms));
                 await Promise.race([future.done, timeout]); return out; }""", [self.KERNEL_JS, code, KERNEL_S * 1000])

    def wait_kernel_idle(self, idle_before: int):
        """The kernel has handled the move: it went idle since ``idle_before`` and is idle now."""
        self.page.wait_for_function(
            """([kernelJs, before]) => { const k = eval(kernelJs)(); return window.__tlIdle > before && k.status === 'idle'; }""",
            arg=[self.KERNEL_JS, idle_before], timeout=KERNEL_S * 1000, polling=20)

    # checks ---------------------------------------------------------------------------------
    def check_outputs(self):
        bad = self.page.evaluate(
            """() => { const bad = [];
                 for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
                   const t = el.textContent;
                   if (t.includes('Traceback (most recent call last)') || t.includes('There was an error when executing cell'))
                     bad.push(t.slice(0, 1500));
                   if (t.includes('Error displaying widget') || t.includes('Error rendering'))
                     bad.push('a widget failed to display: ' + t.slice(0, 300)); }
                 return bad; }""")
        assert not bad, f"{self.lesson.name} in {self.app}: a cell raised:\n" + "\n---\n".join(bad)

    def check_kernel_and_console(self):
        errors = list(self.page.evaluate("() => window.__tlErrors || []"))
        new_log = self.server.log()[self.log_start:]
        for marker in ("Traceback (most recent call last)", "Exception in comm_msg"):
            if marker in new_log:
                at = new_log.index(marker)
                errors.append("kernel log: " + new_log[max(at - 300, 0): at + 2000])
                break
        assert not errors, f"{self.lesson.name} in {self.app}: the kernel raised:\n" + "\n".join(errors)
        assert not self.console, (f"{self.lesson.name} in {self.app}: errors in the browser console:\n"
                                  + "\n".join(self.console))

    def finish(self, capsys, started: float):
        self.times["total_s"] = time.monotonic() - started
        self.note("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in self.times.items()))
        (self.out / "log.txt").write_text("\n".join(self.lines + ["", "console errors:", *self.console]) + "\n")
        timings = ARTIFACTS / "timings.json"
        try:
            table = json.loads(timings.read_text())
        except (FileNotFoundError, ValueError):
            table = {}
        table.setdefault(self.lesson.stem, {})[self.app] = {k: round(v, 1) for k, v in self.times.items()}
        timings.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
        with capsys.disabled():
            print(f"\n[browser] {self.lesson.name} in {self.app}: {self.times['total_s']:.1f} s; "
                  f"screenshots and log in {self.out}")


@pytest.fixture(scope="module")
def references():
    refs = References()
    yield refs
    refs.close()


def _open_session(browser, server: Server, app: str, lesson: Path, references: References, **context_kw):
    """A fresh browser context and page, watched by a Session for this lesson in this app."""
    context = _open_context(browser, **context_kw)
    page = context.new_page()
    session = Session(page, server, app, lesson)
    session.references = references
    return context, page, session


def _readout(slider) -> str:
    return slider.locator(".widget-readout").inner_text(timeout=10_000).strip()


def _press(session: Session, slider, keys: tuple[str, ...]) -> str | None:
    """Press the first key of `keys` that moves the slider (its readout changes); None if none does."""
    handle = slider.locator(".noUi-handle").first
    for key in keys:
        before = _readout(slider)
        handle.evaluate("(el) => el.focus({preventScroll: true})")  # keep the page still
        session.page.keyboard.press(key)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if _readout(slider) != before:
                return key
            time.sleep(0.05)
    return None


def _move(session: Session, fig, fig_no: int, slider, label: str, keys, before: np.ndarray, shot_no: int) -> dict:
    """One keyboard move: wait for the kernel, then for the canvas to show the new state's picture."""
    canvas = fig.locator(".jupyter-matplotlib-canvas-div").first
    idle_before = session.page.evaluate("() => window.__tlIdle")
    t0 = time.monotonic()
    key = _press(session, slider, keys)
    if key is None:  # at the end of its range already (End after End): nothing to measure
        return {"label": label, "key": "/".join(keys), "value": _readout(slider), "frac": 0.0, "pixels": before,
                "shot": "", "seconds": 0.0, "refused": "", "skipped": True, "truth": None}
    session.wait_kernel_idle(idle_before)
    value = _readout(slider)
    truth = _await_truth(session, fig, fig_no, f"{shot_no:02d} {label} {key}")
    seconds = time.monotonic() - t0
    shot = session.save(f"fig{fig_no}-{shot_no:02d}-{_slug(label)}-{key}.png",
                        canvas.screenshot(timeout=RENDER_S * 1000))
    refused = fig.locator(REFUSED_CSS)
    return {"label": label, "key": key, "value": value, "frac": _changed(before, truth["pixels"]),
            "pixels": truth["pixels"], "shot": shot.name, "seconds": seconds, "skipped": False, "truth": truth,
            "refused": refused.first.inner_text() if refused.count() else ""}


def _exercise_figures(session: Session, at_least: int, every_slider: bool):
    """Every figure is a live ipympl canvas that shows its state's picture; sliders moved by the
    keyboard change it, and after each move it shows the new state's picture.

    ``every_slider``: every enabled slider of every figure, a step then the far end (JupyterLab);
    otherwise one move, the far end of the first figure's first enabled slider (Voila)."""
    t0 = time.monotonic()
    page = session.page
    page.wait_for_function("([css, n]) => document.querySelectorAll(css).length >= n",
                           arg=[FIGURE_CSS, at_least], timeout=RENDER_S * 1000)
    figures = page.locator(FIGURE_CSS)
    count, since, deadline = -1, time.monotonic(), time.monotonic() + RENDER_S
    while time.monotonic() < deadline:  # until no more figures appear for 2 s
        if figures.count() != count:
            count, since = figures.count(), time.monotonic()
        elif time.monotonic() - since > 2.0:
            break
        time.sleep(0.2)
    for i in range(count):
        canvases = figures.nth(i).locator(".jupyter-matplotlib-canvas-div")
        try:  # the live canvas (or the static image of the fallback) may still be on its way
            figures.nth(i).locator(".jupyter-matplotlib-canvas-div, .jp-RenderedImage").first.wait_for(
                timeout=RENDER_S * 1000)
        except Exception:
            pass
        assert canvases.count() == 1, (
            f"{session.lesson.name} in {session.app}: figure {i + 1} is a static image, not a live ipympl "
            "canvas: `%matplotlib widget` did not run in this kernel. ipykernel sets MPLBACKEND (to its "
            "inline backend) before the first cell, so a guard `if \"MPLBACKEND\" not in os.environ` is "
            "never true in JupyterLab or Voila; test for the value the tests set instead: "
            "`if os.environ.get(\"MPLBACKEND\", \"\").lower() != \"agg\":`")
    session.times["render_s"] = time.monotonic() - t0
    session.note(f"{count} interactive figure(s) on the page")

    t0 = time.monotonic()
    problems: list[str] = []
    for i in range(count):
        fig, fig_no = figures.nth(i), i + 1
        fig.scroll_into_view_if_needed(timeout=RENDER_S * 1000)
        canvas = fig.locator(".jupyter-matplotlib-canvas-div").first
        width, room = fig.evaluate(
            """(f) => [f.querySelector('.jupyter-matplotlib-canvas-div').getBoundingClientRect().width,
                      (f.closest('.jp-OutputArea') || document.body).getBoundingClientRect().width]""")
        session.note(f"figure {fig_no}: canvas {width:.0f} px wide (toolbar excluded) in a {room:.0f} px output area"
                     + (": CUT OFF" if width > room else ""))
        sliders = fig.locator(".widget-gridbox").first.locator(".widget-slider")
        assert sliders.count(), f"figure {fig_no} has no slider to move"
        first = _await_truth(session, fig, fig_no, "first render", timeout=RENDER_S)
        if not first["ok"]:
            problems.append(first["problem"])
        session.note(f"figure {fig_no}: first render {'matches' if first['ok'] else 'DOES NOT MATCH'} the Agg render "
                     f"of its state ({first['mismatch']:.3%} of pixels differ) after {first['wait_s']:.2f} s")
        before = first["pixels"]
        session.save(f"fig{fig_no}-00-before.png", canvas.screenshot(timeout=RENDER_S * 1000))
        session.save(f"fig{fig_no}-widget-before.png", fig.screenshot(timeout=RENDER_S * 1000))
        moves: list[dict] = []
        plan = [("ArrowRight", "ArrowLeft"), ("End", "Home")] if every_slider else [("End", "Home")]
        for j in range(sliders.count() if every_slider or i == 0 else 0):
            slider = sliders.nth(j)
            label = slider.locator(".widget-label").first.inner_text(timeout=10_000).strip() or f"slider {j + 1}"
            if slider.evaluate("(el) => !!el.querySelector('.noUi-target[disabled]')"):
                session.note(f"figure {fig_no}: {label} is disabled in this state (it would do nothing): not moved")
                continue
            for keys in plan:  # a step (often blitted), then the far end
                move = _move(session, fig, fig_no, slider, label, keys, before, len(moves) + 1)
                moves.append(move)
                before = move["pixels"]
            if not every_slider and any(m["frac"] > 0 for m in moves):
                break
        session.save(f"fig{fig_no}-widget-after.png", fig.screenshot(timeout=RENDER_S * 1000))

        made = [m for m in moves if not m["skipped"]]
        paths = json.loads(session.execute(Session.READ_LOG).strip().splitlines()[-1]) if session.hooked else None
        if paths is not None and len(paths) != len(made):
            session.note(f"figure {fig_no}: {len(made)} moves but {len(paths)} updates in the kernel: {paths}")
            paths = None
        for k, m in enumerate(made):
            how = "; ".join(paths[k][1:]) if paths else "not recorded in Voila"
            m["how"] = how
            truth = m["truth"]
            session.note(f"figure {fig_no}: {m['label']} {m['key']} -> {m['value']}: {m['frac']:.2%} of the canvas "
                         f"pixels changed; kernel: {how}; matches its Agg render: {truth['ok']} "
                         f"({truth['mismatch']:.3%} differ); {m['seconds']:.2f} s -> {m['shot']}"
                         + (f"; REFUSED: {m['refused']}" if m["refused"] else ""))
            if not truth["ok"]:
                problems.append(truth["problem"])
        if paths:
            blits = [m for m in made if m["how"] == "blit" and m["frac"] > 0]
            session.note(f"figure {fig_no}: {len(blits)} move(s) redrawn by blitting alone changed the canvas pixels")
        refused = [f"{m['label']} {m['key']} -> {m['value']}: {m['refused']}" for m in made if m["refused"]]
        if refused:
            problems.append(f"figure {fig_no} refused a value its own slider offers:\n  " + "\n  ".join(refused))
        if moves and not any(m["frac"] > 0 for m in made):
            problems.append(f"figure {fig_no}: no slider move changed the canvas pixels")
        wasted = [f"{m['label']} {m['key']} -> {m['value']}" for m in made if m.get("how", "").startswith("blit; full draw")]
        if wasted:
            problems.append(
                f"figure {fig_no}: {len(wasted)} of {len(made)} moves were blitted and then fully redrawn anyway "
                f"({', '.join(wasted[:3])}...). After each widget message the comm package fires IPython's "
                "post_execute, whose pyplot.draw_all() fully redraws every *stale* figure, and the blit leaves the "
                "figure stale (set_xlim/set_ylim mark it stale even when the limits do not change). "
                "Fix: `self.fig.stale = False` right after `canvas.blit(self.fig.bbox)` in InteractiveFigure._redraw.")
    session.times["moves_s"] = time.monotonic() - t0
    if count:  # what a learner (or a class, in Voila) sees: the page around the first figure
        figures.first.scroll_into_view_if_needed(timeout=RENDER_S * 1000)
        session.save("page.png", page.screenshot(timeout=RENDER_S * 1000))
    assert not problems, f"{session.lesson.name} in {session.app}:\n" + "\n".join(problems) + (
        f"\n(every move, its pixels and redraw path: {session.out / 'log.txt'})")


# ---------------------------------------------------------------- JupyterLab
def _open_in_lab(session: Session, lab: Server, notebook: Path):
    """Open a notebook in JupyterLab and wait until its kernel is connected and idle; watch it."""
    t0 = time.monotonic()
    session.page.goto(lab.url(f"/lab/tree/{notebook.name}"), timeout=OPEN_S * 1000)
    session.page.wait_for_function(
        """(name) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
             const k = w && w.context && w.context.path === name && w.sessionContext.session && w.sessionContext.session.kernel;
             if (!k || k.connectionStatus !== 'connected' || k.status !== 'idle') return false;
             window.__tlPanel = w; return true; }""", arg=notebook.name, timeout=OPEN_S * 1000)
    session.times["open_s"] = time.monotonic() - t0
    session.watch_kernel()


def _close_in_lab(session: Session, context, capsys, started: float):
    """Shut the notebook's kernel down (best effort), close the browser context, write the log."""
    try:
        session.page.evaluate("() => window.__tlPanel && window.__tlPanel.sessionContext.shutdown()")
    except Exception:
        pass
    context.close()
    session.finish(capsys, started)


@pytest.fixture(scope="class")
def lab(workdir):
    with Server("jupyterlab", [
        str(VENV_BIN / "python"), "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir / 'lessons'}",
        "--ServerApp.allow_root=True",  # CI runs as root
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run all cells, find the kernel
        f"--LabApp.user_settings_dir={workdir / 'settings'}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
    ], workdir, probe="/api/status") as server:
        yield server


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
                     const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('run all cells timed out')), ms));
                     return await Promise.race([run, timeout]); }""", RUN_ALL_S * 1000)
            session.times["run_s"] = time.monotonic() - t0
            cells = page.evaluate(
                """() => { const cells = window.__tlPanel.content.model.cells; const out = [];
                     for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;
                       const errors = c.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue);
                       out.push({index: i, count: c.executionCount, errors}); }
                     return out; }""")
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
                """() => Math.max(0, ...[...document.querySelectorAll('.jupyter-matplotlib-canvas-div')].map(
                     c => c.getBoundingClientRect().right - c.closest('.jp-OutputArea').getBoundingClientRect().right))""")
            session.note(f"with the file browser open in a {VIEWPORT['width']} px window the widest figure is cut "
                         f"off by {over:.0f} px" if over > 0 else "every figure fits beside the open file browser")
            page.evaluate("() => window.jupyterapp.shell.leftCollapsed || window.jupyterapp.commands.execute('application:toggle-left-area')")
            _exercise_figures(session, expected, every_slider=True)
            session.check_outputs()
            session.check_kernel_and_console()
        finally:
            _close_in_lab(session, context, capsys, started)


# ---------------------------------------------------------------- Voila (`make app`)
@pytest.fixture(scope="class")
def voila(workdir):
    with Server("voila", [
        str(VENV_BIN / "voila"), "--no-browser", "--Voila.ip=127.0.0.1", "--port={port}",
        "--Voila.token={token}", "--show_tracebacks=True", str(workdir / "lessons"),
    ], workdir, probe="/") as server:
        yield server


class TestVoila:
    @pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
    def test_lesson_in_voila(self, lesson, voila, browser, references, capsys):
        started = time.monotonic()
        # A HiDPI screen here (JupyterLab runs at 1x): ipympl draws at twice the dpi.
        context, page, session = _open_session(browser, voila, "voila", lesson, references, device_scale_factor=2)
        try:
            t0 = time.monotonic()
            # Voila executes every cell on the server while it streams the page: "load" means done.
            page.goto(voila.url(f"/voila/render/{lesson.name}"), timeout=OPEN_S * 1000, wait_until="load")
            page.wait_for_function(
                """() => { const wm = window.jupyterapp && window.jupyterapp.widgetManager;
                     const k = wm && (wm.kernel || wm._kernel); return k && k.connectionStatus === 'connected' && k.status === 'idle'; }""",
                timeout=OPEN_S * 1000)
            session.times["open_s"] = time.monotonic() - t0
            session.watch_kernel()
            session.check_outputs()
            # Voila runs no code that the page sends: count the figures from the source instead.
            shows = any(".widget()" in "".join(c["source"]) for c in
                        json.loads(lesson.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code")
            _exercise_figures(session, 1 if shows else 0, every_slider=False)
            session.check_outputs()
            session.check_kernel_and_console()
        finally:
            context.close()  # Voila shuts the kernel down when its page goes
            session.finish(capsys, started)


# ---------------------------------------------------------------- the check itself must see the failure
PROBE = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "probe-1", "metadata": {}, "outputs": [],
         "source": ["%matplotlib widget\n", "from theory_lib.figures.rnn import RNNGradientFigure\n",
                    "figure = RNNGradientFigure()\n", "figure.widget()"]},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}

# Lesson 07's intermittent picture, made certain: the kernel goes back to matplotlib's changed-pixels
# frames while the browser's image mode reads "full", so each frame clears the canvas before it is
# drawn (what the image-mode race, or a dropped frame, did; see InteractiveFigure._whole_frames).
BREAK_FRAMES = """
_c = figure.fig.canvas
del _c.get_diff_image  # matplotlib's own: only the pixels that changed since the last frame
_c._force_full = False
print("broken")
"""
HEAL_FRAMES = """
from theory_lib.figures.base import InteractiveFigure as _IF
_c = figure.fig.canvas
_IF._whole_frames(_c)
_c._png_is_old = True
_c.manager.refresh_all()
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
            fig.locator(".jupyter-matplotlib-canvas-div").first.wait_for(timeout=RENDER_S * 1000)
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
