"""One benchmark notebook open in JupyterLab, and the measurements `make bench-browser` makes on a slider.

``NotebookPage`` opens one notebook (the figure's, or its baseline's: each has its own kernel, so that
neither fills the other's caches) in its own browser context (the browser test's ``_open_context``,
``Session`` and ``_open_in_lab``: only 127.0.0.1 reachable, a watched kernel), runs its cells, finds what
paints (the figure's live canvas, or the baseline's output area) and counts the bytes its kernel's
websocket brings.

- ``single_move``: focus the slider's handle and press a key (the browser test's ``_press``); the input
  time is the keydown the page recorded, the first paint and the last paint (once the target has been
  quiet for ``quiet_ms`` with the kernel idle) are the page's own timestamps.
- ``drag``: mouse down on the handle, a move every ~16 ms out across part of the track and back, mouse
  up; the pointer events the page saw, the paints between down and up, and the last paint after up.
- ``counts``: what the kernel saw (updates with their full draws, widget value changes), read and reset
  by code executed in the kernel, as the browser test reads its hook's log.
"""

from __future__ import annotations

import json
import time

from browser_page import BASELINE_CLASS, RECORDER

from tests.browser import FIGURE_CSS, RENDER_S, RUN_ALL_S, VIEWPORT
from tests.browser.session import Session, _open_context, _open_in_lab, _press

DRAG_STEP_S = 0.016  # one pointer move per 60 Hz frame
DRAG_SPAN = 0.3  # of the track's width, out and back
# Counts the distinct values a control shows while dragged (its readout's text; a range input's input events):
# a slider with 37 values crosses about 22 of them in a drag over 0.3 of its track and back, so it cannot paint
# more than 22 frames in that drag, whatever the pipeline.
COUNT_VALUES = """(el) => {
  el.__crossed = 0;
  if (el.matches('input')) { el.__stop = (() => { const f = () => el.__crossed++;
      el.addEventListener('input', f); return () => el.removeEventListener('input', f); })(); return; }
  const r = el.querySelector('.widget-readout'); let last = r.textContent || r.value;
  const obs = new MutationObserver(() => { const now = r.textContent || r.value;
      if (now !== last) { last = now; el.__crossed++; } });
  obs.observe(r, { childList: true, characterData: true, subtree: true });
  el.__stop = () => obs.disconnect();
}"""


def _ms(t, t0):
    return None if t is None or t0 is None else round(t - t0, 1)


class _Fresh:
    """The server, with ``?reset`` on the address: each page starts from an empty JupyterLab workspace (no
    notebook of an earlier page restored into it)."""

    def __init__(self, lab):
        self.lab = lab

    def url(self, path: str) -> str:
        return self.lab.url(path) + "&reset"


class NotebookPage:
    """One benchmark notebook (``target`` "fig": the live figure; "base": the baseline), open and run."""

    def __init__(self, browser, lab, notebook, target: str, quiet_ms: float, timeout_s: float):
        self.lab, self.notebook, self.target = lab, notebook, target
        self.quiet, self.timeout = quiet_ms, timeout_s * 1000
        self.context = _open_context(browser)
        self.page = self.context.new_page()
        self.page.set_viewport_size({"width": VIEWPORT["width"], "height": 1400})  # the widget whole in view
        self.page.add_init_script(RECORDER)
        self.frames: dict[str, int] = {}  # bytes received per kernel websocket
        self.kernel_id = None
        self._undo = None
        self.page.on("websocket", self._on_websocket)
        self.session = Session(self.page, lab, "bench", notebook)

    def _on_websocket(self, ws):
        if "/api/kernels/" in ws.url:  # a kernel's channels: widget messages and the canvas's frames
            self.frames.setdefault(ws.url, 0)
            ws.on("framereceived", lambda payload, url=ws.url: self._on_frame(url, payload))

    def _on_frame(self, url, payload):
        self.frames[url] += len(payload) if isinstance(payload, bytes) else len(payload.encode())

    @property
    def ws_bytes(self) -> int:
        """Bytes received so far from this notebook's kernel."""
        return sum(n for url, n in self.frames.items() if self.kernel_id and self.kernel_id in url)

    def open(self) -> float:
        """Open and run the notebook; wait for the live canvas, or the baseline's first image. Seconds."""
        t0 = time.monotonic()
        _open_in_lab(self.session, _Fresh(self.lab), self.notebook)
        page = self.page
        self.kernel_id = page.evaluate("() => window.__tlPanel.sessionContext.session.kernel.id")
        page.evaluate(
            """async (ms) => { const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
                 const timeout = new Promise((_, reject) =>
                     setTimeout(() => reject(new Error('run all cells timed out')), ms));
                 return await Promise.race([run, timeout]); }""",
            RUN_ALL_S * 1000,
        )
        errors = page.evaluate(
            """() => { const cells = window.__tlPanel.content.model.cells; const out = [];
                 for (let i = 0; i < cells.length; i++) for (const o of cells.get(i).outputs.toJSON())
                   if (o.output_type === 'error') out.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
                 return out; }"""
        )
        if errors:
            raise RuntimeError(f"the {self.target} notebook raised: " + "; ".join(errors))
        if self.target == "fig":
            self.box = page.locator(FIGURE_CSS).first
            paints = self.box.locator(".tl-canvas canvas").first  # the live canvas (theory_lib/figures/web.py)
        elif self.target == "pre":  # the browser-drawn alternative (benchmarks/precomputed_widget.py)
            self.box = page.locator(".tl-precomputed").first
            paints = self.box.locator("canvas").first
        else:
            self.box = page.locator(f".{BASELINE_CLASS}").first
            self.box.locator("img").first.wait_for(timeout=RENDER_S * 1000)
            paints = self.box
        paints.wait_for(timeout=RENDER_S * 1000)
        self.paint_id = paints.evaluate("(el) => window.__bench.tag(el)")
        self.settle()
        return time.monotonic() - t0

    def close(self):
        try:
            self.page.evaluate("() => window.__tlPanel && window.__tlPanel.sessionContext.shutdown()")
        except Exception:
            pass
        self.context.close()

    # the page ------------------------------------------------------------------------------
    def control(self, index: int):
        """The ``index``-th control of the figure's grid or of the baseline (controls in declaration order);
        the browser-drawn alternative has one, its range input."""
        if self.target == "pre":
            return self.box.locator("input[type=range]").first
        box = self.box.locator(":scope > .widget-gridbox").first if self.target == "fig" else self.box
        return box.locator(":scope > *").nth(index)

    @staticmethod
    def movable(control) -> str:
        """'slider' (an enabled IntSlider, FloatSlider or SelectionSlider: ipywidgets' noUiSlider), 'disabled'
        (such a slider, disabled) or 'other' (a Dropdown, a Text)."""
        return control.evaluate(
            """(el) => !el.classList.contains('widget-slider') || !el.querySelector('.noUi-handle') ? 'other'
                 : el.querySelector('.noUi-target[disabled]') ? 'disabled' : 'slider'"""
        )

    def _wait(self, target_id, t0, need_paint: bool) -> dict:
        return self.page.evaluate(
            "([id, t0, q, to, need]) => window.__bench.wait(id, t0, q, to, need)",
            [target_id, t0, self.quiet, self.timeout, need_paint],
        )

    def settle(self):
        """No paint anywhere for quiet_ms and the kernel idle (bounded)."""
        now = self.page.evaluate("() => performance.now()")
        self._wait(None, now, need_paint=False)

    def counts(self) -> dict:
        """What the kernel saw since the last read (and reset it); then let the page settle."""
        out = self.session.execute(
            "import json as _json\nprint(_json.dumps(_bench))\n"
            "for _k, _v in _bench.items():\n    _bench[_k] = [] if isinstance(_v, list) else 0"
        )
        self.settle()
        return json.loads(out.strip().splitlines()[-1])

    # measurements --------------------------------------------------------------------------
    def single_move(self, control, keys: tuple[str, ...]) -> dict | None:
        """One key press on the slider's handle: input -> first paint, input -> last paint before quiet."""
        target_id = self.paint_id
        b0 = self.ws_bytes
        key = self._press_range(control, keys) if self.target == "pre" else _press(self.session, control, keys)
        if key is None:
            return None
        t_in = self.page.evaluate("() => window.__bench.last('keydown')")
        r = self._wait(target_id, t_in, need_paint=True)
        return {
            "key": key,
            "first_ms": _ms(r["first"], t_in),
            "steady_ms": _ms(r["last"], t_in),
            "paints": r["n"],
            "bytes": self.ws_bytes - b0,
            "timeout": r["timeout"],
        }

    def _press_range(self, control, keys: tuple[str, ...]) -> str | None:
        """``_press`` for a native range input: the first key of ``keys`` that changes its value."""
        for key in keys:
            before = control.input_value()
            control.evaluate("(el) => el.focus({preventScroll: true})")
            self.page.keyboard.press(key)
            if control.input_value() != before:  # the input event fired in the key press's own task
                return key
        return None

    def _handle(self, control) -> tuple[float, float, float, float]:
        """The centre (x, y) of the slider's handle, the track's width and right end, in page pixels."""
        if self.target == "pre":  # Chromium's range thumb, 16 px wide, travels over width - 16
            box = control.bounding_box()
            frac = control.evaluate("(el) => (el.value - el.min) / (el.max - el.min)")
            x = box["x"] + 8 + frac * (box["width"] - 16)
            return x, box["y"] + box["height"] / 2, box["width"] - 16, box["x"] + box["width"] - 8
        hb = control.locator(".noUi-handle").first.bounding_box()
        tb = control.locator(".noUi-target").first.bounding_box()
        return hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2, tb["width"], tb["x"] + tb["width"]

    def _stroke(self, x0: float, y: float, path, seconds: float):
        """Mouse down at (x0, y), a move every ~16 ms to x0 + path(fraction of ``seconds``), mouse up."""
        page = self.page
        page.mouse.move(x0, y)
        page.mouse.down()
        start, frac, i = time.monotonic(), 0.0, 0
        while frac < 1.0:  # the position follows the clock: a slow round trip sends fewer moves, not a longer drag
            i += 1
            pause = start + i * DRAG_STEP_S - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            frac = min(1.0, (time.monotonic() - start) / seconds)
            page.mouse.move(x0 + path(frac), y)
        page.mouse.up()

    def drag(self, control, seconds: float, back: bool = True, span: float = DRAG_SPAN, passes: int = 1) -> dict:
        """Drag the handle over ``span`` of the track (as far as the track goes on the longer side) for
        ``seconds``, a move every ~16 ms: out and back to the default ``passes`` times (``back``), or, for a
        slider that sends its value on release only, out (then back, unmeasured). ``crossed``: the values the
        control showed on the way, an upper bound on the frames a drag can paint."""
        target_id = self.paint_id
        page = self.page
        control.scroll_into_view_if_needed(timeout=RENDER_S * 1000)
        x0, y, width, right = self._handle(control)
        left = right - width
        reach = span * width
        reach = min(reach, right - x0) if x0 + reach <= right or right - x0 >= x0 - left else -min(reach, x0 - left)
        b0 = self.ws_bytes
        control.evaluate(COUNT_VALUES)
        if back:  # a triangle wave: out and back, ``passes`` times, ending where it started
            path = lambda f: reach * (1 - abs(1 - 2 * ((passes * f) % 1)))  # noqa: E731
        else:
            path = lambda f: reach * f  # noqa: E731
        self._stroke(x0, y, path, seconds)
        crossed = control.evaluate("(el) => { el.__stop(); return el.__crossed; }")
        down, up, moves = page.evaluate(
            """() => { const B = window.__bench, d = B.last('pointerdown'), u = B.last('pointerup');
                 return [d, u, B.inputs.filter(i => i[0] === 'pointermove' && i[1] >= d && i[1] <= u).length]; }"""
        )
        # The kernel may still hold the slider's last value (queued behind a strip frame, or sent by the
        # widget only once the value in flight was acknowledged), and its page-side status reads idle
        # meanwhile: two round trips on the shell channel, which is FIFO, make sure it was handled and
        # its frame sent before the wait for quiet starts (else a late frame would go uncounted as lag).
        for _ in range(2):
            self.session.execute("pass")
        r = self._wait(target_id, up, need_paint=False)
        during = page.evaluate("([id, d, u]) => window.__bench.since(id, d, u)", [target_id, down, up])
        last = r["last"] if r["last"] is not None else (during[-1] if during else None)
        out = {
            "seconds": round((up - down) / 1000, 3),
            "pointer_moves": moves,
            "crossed": crossed,
            "paints": len(during),
            "paints_after_up": r["n"],
            "fps": round(len(during) / ((up - down) / 1000), 2) if up > down else None,
            "lag_ms": None if last is None else max(0.0, round(last - up, 1)),
            "bytes": self.ws_bytes - b0,
            "timeout": r["timeout"],
        }
        self._undo = None if back else (target_id, x0 + reach, y, -reach)
        return out

    def undo_drag(self):
        """After a drag that did not come back: drag the handle back to the default (unmeasured), let it settle."""
        if self._undo is not None:
            target_id, x, y, span = self._undo
            self._stroke(x, y, lambda f: span * f, 0.3)
            self._wait(target_id, self.page.evaluate("() => window.__bench.last('pointerup')"), need_paint=False)
            self._undo = None
