"""The live canvas of a figure in the browser: the kernel's frames, and strips of frames painted locally.

ipympl sends a PNG frame per slider move, so every move waits for a websocket round trip, the
kernel's compute, its Agg draw and the PNG (`make bench-browser`: 1-7 frames/s, 70-330 ms to the
first paint). Here, after the first move of a slider, the kernel renders the frames of that
slider's whole grid, the other controls held where they are, nearest positions first, and sends
them in batches; the browser keeps them and paints the one for the slider's position in the input
event's own task, without the kernel. Until a position's frame has arrived, or after another
control moved, the kernel's own frame (``frame``, a whole PNG per update) is painted as before.

A strip frame is exact, not an interpolation: the live figure drawn at that position, sent as the
pixels that differ from the strip's base frame (cropped, transparent elsewhere) and painted over
that base: pixel for pixel the Agg frame, as the fidelity tests require.

    WebCanvasAgg(fig.fig)       # InteractiveFigure.widget() does both
    view = CanvasView(fig, controls, readout)
    view.start_strip(name)      # after a user move of control `name` (scheduled on the kernel's loop)
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import traceback
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from ipywidgets import widget_serialization
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

__all__ = ["CANVAS_CSS", "CanvasView", "WebCanvasAgg"]

CANVAS_CSS = ".tl-canvas"  # the browser test and the benchmark find a figure's canvas by it
STRIP_MAX_POSITIONS = 256  # a control with more positions gets no strip (every slider here has fewer)
STRIP_BUDGET_S = 6.0  # kernel time one strip may take in all (nearest positions come first)
BATCH_S = 0.1  # frames are sent at least this often while a strip is computed


def _png(pixels: np.ndarray, level: int = 1) -> bytes:
    with io.BytesIO() as out:
        Image.fromarray(pixels).save(out, format="png", compress_level=level)
        return out.getvalue()


class WebCanvasAgg(FigureCanvasAgg):
    """Agg, plus: every ``draw`` and ``blit`` hands the picture to the view (as ipympl's canvas does)."""

    view = None  # the CanvasView, once the widget is built

    def draw(self):
        super().draw()
        if self.view is not None:
            self.view.show_frame()

    def draw_idle(self, *args, **kwargs):
        self.draw()

    def blit(self, bbox=None):
        if self.view is not None:
            self.view.show_frame()


class CanvasView(anywidget.AnyWidget):
    """A canvas in the page that paints the kernel's frames and the strips of frames sent ahead."""

    _esm = Path(__file__).with_name("web.js")
    size = traitlets.List([0, 0]).tag(sync=True)  # the figure in pixels: width, height
    ratio = traitlets.Float(1.0).tag(sync=True)  # device pixels per CSS pixel, set by the browser
    frame = traitlets.Bytes(b"").tag(sync=True)  # the kernel's latest frame, a whole PNG
    controls = traitlets.Dict().tag(sync=True, **widget_serialization)  # name -> the control's widget
    positions = traitlets.Dict().tag(sync=True)  # name -> how the browser reads a control's position
    readout = traitlets.Any(None).tag(sync=True, **widget_serialization)  # the readout HTML widget

    def __init__(self, figure, controls: dict, readout, **kwargs):
        super().__init__(**kwargs)
        self.figure = figure  # the InteractiveFigure
        self.controls = controls
        self.positions = {name: _key_spec(ctrl) for name, ctrl in controls.items()}
        self.readout = readout
        self.quiet = False  # True while strip frames are drawn: they are not the kernel's frame
        self.strip = None  # the strip in progress or done: control, others, positions sent
        self.strips_made = 0
        self.canvas = figure.fig.canvas  # a WebCanvasAgg (InteractiveFigure.widget)
        self.canvas.view = self
        self.on_msg(self._on_browser_msg)
        self.observe(self._on_ratio, names="ratio")

    # ---------------------------------------------------------------- the kernel's frames
    def show_frame(self):
        """Send what the Agg canvas holds now as the kernel's frame (not while drawing a strip)."""
        if self.quiet:
            return
        pixels = np.asarray(self.canvas.buffer_rgba())
        self.size = [int(pixels.shape[1]), int(pixels.shape[0])]
        self.frame = _png(pixels)

    def _on_ratio(self, change):
        """The browser's screen: draw at its resolution (HiDPI: twice the dpi), as ipympl does."""
        ratio = max(1.0, float(change["new"]))
        self.cancel_strip()
        self.figure.set_screen_ratio(ratio)

    # ---------------------------------------------------------------- strips
    def position_key(self, name: str):
        """The position of control ``name`` as the browser reads it (see ``positions``)."""
        return _read_key(self.positions[name], self.controls[name])

    def covers(self, name: str) -> bool:
        """Has the browser painted the current position of ``name`` from a strip it holds?"""
        s = self.strip
        if s is None or s["control"] != name or not s.get("ready") or s.get("cancelled"):
            return False
        if s["others"] != self._others(name):
            return False
        return self.position_key(name) in s["ready"]

    def cancel_strip(self):
        if self.strip is not None:
            self.strip["cancelled"] = True

    def start_strip(self, name: str):
        """Begin sending the frames of control ``name``'s grid, others held (no-op if sent or unsuitable)."""
        positions = _positions(self.figure.controls[name], self.controls[name], self.positions[name])
        if positions is None or len(positions) > STRIP_MAX_POSITIONS:
            return
        others = self._others(name)
        s = self.strip
        if s is not None and s["control"] == name and s["others"] == others and not s.get("cancelled"):
            return  # already sent or on its way
        self.cancel_strip()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in a kernel's event loop (a script, a test): no strip
            return
        self.strips_made += 1
        here = self.position_key(name)
        order = sorted(range(len(positions)), key=lambda i: (abs(i - _index_of(positions, here)), i))
        self.strip = {
            "id": self.strips_made,
            "control": name,
            "others": others,
            "todo": [positions[i] for i in order],
            "sent": [],
            "ready": set(),
            "spent": 0.0,
            "base": None,
        }
        loop.call_soon(self._strip_step, self.strip, loop)

    def strip_frames(self, name: str):
        """Every (key, value, frame, readout) of ``name``'s grid, others held, computed here and now (tests)."""
        positions = _positions(self.figure.controls[name], self.controls[name], self.positions[name])
        with self.figure._lock:
            try:
                return [(key, value, *self._render_at(name, value)) for key, value in positions]
            finally:
                self._restore()

    def _others(self, name):
        return {k: self.position_key(k) for k in self.controls if k != name}

    def _render_at(self, name, value):
        """The picture and readout of the figure with ``name`` at ``value``, every other control as it is."""
        fig = self.figure
        params = {**fig.params, name: value}
        readout, self.quiet = fig.readout, True
        try:
            with fig.fig.styled():
                fig.draw(**params)
            fig._redraw()
            pixels = np.asarray(self.canvas.buffer_rgba()).copy()
            return pixels, fig.readout
        finally:
            fig.readout, self.quiet = readout, False

    def _strip_step(self, s, loop):
        """One frame of strip ``s``, then the next on the loop (slider messages are handled in between)."""
        try:
            with self.figure._lock:  # a subshell's thread may be drawing this figure for a message
                self._strip_frame(s, loop)
        except Exception:  # a bug: say so in the kernel's log, drop the strip, keep the kernel's frames
            traceback.print_exc()
            s["cancelled"] = True
            self._finish(s)

    def _strip_frame(self, s, loop):
        if s is not self.strip or s.get("cancelled") or s["others"] != self._others(s["control"]):
            self._finish(s)
            return
        t0 = time.perf_counter()
        key, value = s["todo"].pop(0)
        try:
            pixels, html = self._render_at(s["control"], value)
        except ValueError:  # a position the figure refuses in this state: leave it to the kernel
            pixels = html = None
        if pixels is not None:
            if s["base"] is None:
                s["base"] = pixels
                s["base_png"] = _png(pixels)
            s["sent"].append((key, _layer(s["base"], pixels), html))
        s["spent"] += time.perf_counter() - t0
        s.setdefault("batch_t", t0)
        done = not s["todo"]
        heavy = s["spent"] > STRIP_BUDGET_S
        if done or heavy or time.perf_counter() - s["batch_t"] >= BATCH_S:
            self._send_batch(s)
            s["batch_t"] = time.perf_counter()
        if done or heavy:
            self._finish(s)
        else:
            loop.call_soon(self._strip_step, s, loop)

    def _send_batch(self, s):
        batch = s["sent"][s.get("flushed", 0) :]
        s["flushed"] = len(s["sent"])
        if not batch:
            return
        head = {
            "type": "strip",
            "id": s["id"],
            "control": s["control"],
            "others": s["others"],
            "size": [int(s["base"].shape[1]), int(s["base"].shape[0])],  # the frames' pixels: a new dpi voids them
            "frames": [{"key": key, "at": at, "readout": html} for key, (at, _), html in batch],
            "base": "base_sent" not in s,
        }
        buffers = ([s["base_png"]] if head["base"] else []) + [png for _, (_, png), _ in batch]
        s["base_sent"] = True
        self.send(head, buffers)

    def _finish(self, s):
        """The strip is done or dropped: the figure's artists and readout back to its parameters."""
        if not s.get("finished"):
            s["finished"] = True
            self._restore()

    def _restore(self):
        """The figure's artists (and whatever its draw sets) back to its own parameters; no frame."""
        fig = self.figure
        with fig._lock, fig.fig.styled():
            fig.draw(**fig.params)

    def _on_browser_msg(self, _, content, buffers):
        if content.get("type") == "strip_ready" and self.strip is not None and content.get("id") == self.strip["id"]:
            self.strip["ready"].update(_hashable(k) for k in content.get("keys", []))


# ---------------------------------------------------------------- controls' positions
def _key_spec(ctrl) -> dict:
    """How the browser reads a control's position: a selection's label, a slider's grid index, a text's value."""
    import ipywidgets as w

    if isinstance(ctrl, (w.SelectionSlider, w.Dropdown)):
        return {"kind": "label"}
    if isinstance(ctrl, (w.FloatSlider, w.IntSlider)):
        return {"kind": "grid", "min": ctrl.min, "step": ctrl.step}
    return {"kind": "value"}


def _read_key(spec: dict, ctrl):
    if spec["kind"] == "label":
        return ctrl.label
    if spec["kind"] == "grid":
        return round((ctrl.value - spec["min"]) / spec["step"])
    return ctrl.value


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _positions(spec, ctrl, key_spec):
    """(key, parameter value) for every position of a slider-like control; None for other controls."""
    import ipywidgets as w

    if isinstance(ctrl, w.SelectionSlider):
        pairs = zip(ctrl._options_labels, ctrl._options_values, strict=True)
        return [(label, spec.check("value", value)) for label, value in pairs]
    if isinstance(ctrl, (w.FloatSlider, w.IntSlider)):
        count = round((ctrl.max - ctrl.min) / ctrl.step) + 1
        out = []
        for k in range(count):
            try:
                out.append((k, spec.check("value", ctrl.min + k * ctrl.step)))
            except ValueError:
                continue
        return out
    return None


def _index_of(positions, key) -> int:
    for i, (k, _) in enumerate(positions):
        if k == key:
            return i
    return 0


def _layer(base: np.ndarray, pixels: np.ndarray):
    """The pixels of ``pixels`` that differ from ``base``, cropped: ((x, y) from the top left, PNG)."""
    changed = np.any(base != pixels, axis=-1)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if not len(rows):
        return (0, 0), _png(np.zeros((1, 1, 4), dtype=np.uint8))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = pixels[y0:y1, x0:x1].copy()
    crop[~changed[y0:y1, x0:x1]] = 0  # transparent where the base shows through
    return (int(x0), int(y0)), _png(crop)


def describe(view: CanvasView) -> str:
    """A one-line summary of the view's strip, for logs and the benchmark."""
    s = view.strip
    if s is None:
        return "no strip"
    return json.dumps({"control": s["control"], "frames": len(s["sent"]), "spent_s": round(s["spent"], 3)})
