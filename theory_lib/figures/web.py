"""The live canvas of a figure in the browser: the kernel's frames, and strips of frames painted locally.

ipympl sends a PNG frame per slider move, so every move waits for a websocket round trip, the
kernel's compute, its Agg draw and the PNG (`make bench-browser`: 1-7 frames/s, 70-330 ms to the
first paint). Here, after the first move of a slider, the kernel renders the frames of that
slider's whole grid, the other controls held where they are, nearest positions first, and sends
them in batches; the browser keeps them and paints the one for the slider's position in the input
event's own task, without the kernel. Until a position's frame has arrived, or after another
control moved, the kernel's own frame (``frame``, a whole PNG per update) is painted as before.
A figure on screen (``visible``, from the page) and left alone for PREFETCH_IDLE_S also gets the
strips of its other sliders, so that a slider's first move paints without the kernel too. One strip
per slider; a strip holds while the other controls stay where it was drawn. The strips share the
kernel's loop one frame at a time, the learner's latest first, between the widget messages.

A figure whose data is costly per position and cheaper in batches (lesson 07's gradient products)
defines ``prepare_strip(control, values)``: before each strip frame it gets the next STRIP_PREPARE
positions and computes what they need together; the frames are then drawn from its cache.

A strip frame is exact, not an interpolation: the live figure drawn at that position, sent as the
pixels that differ from the strip's base frame (cropped, transparent elsewhere) and painted over
that base: pixel for pixel the Agg frame, as the fidelity tests require.

    WebCanvasAgg(fig.fig)       # InteractiveFigure.widget() does both
    view = CanvasView(fig, controls, readout)
    view.start_strip(name)      # after a user move of control `name` (scheduled on the kernel's loop)
    view.visible = True         # the page: the canvas is on screen (strips for every slider when idle)
"""

from __future__ import annotations

import asyncio
import io
import time
import traceback
import uuid
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from ipywidgets import widget_serialization
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from theory_lib._checks import one_cpu_thread

__all__ = ["CANVAS_CSS", "CanvasView", "WebCanvasAgg"]

CANVAS_CSS = ".tl-canvas"  # the browser test and the benchmark find a figure's canvas by it
STRIP_MAX_POSITIONS = 512  # a control with more positions gets no strip (lesson 17: 40001-position λ and c)
STRIP_BUDGET_S = 10.0  # kernel time one strip may take in all (nearest positions come first)
PREFETCH_BUDGET_S = 1.0  # the same for a strip nobody asked for yet: the positions next to the slider's
BATCH_S = 0.1  # frames are sent at least this often while a strip is computed
PREFETCH_IDLE_S = 0.5  # a figure on screen and untouched this long gets the strips of all its sliders
STRIP_PREPARE = 8  # positions a figure's prepare_strip(control, values) may compute ahead in one batch


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
    visible = traitlets.Bool(False).tag(sync=True)  # the canvas is on screen (set by the page)
    own_id = traitlets.Unicode("").tag(sync=True)  # this widget's model id: the page mends a deaf model by it

    def __init__(self, figure, controls: dict, readout, **kwargs):
        # Everything the page reads once, in the state the comm opens with: a value set afterwards
        # travels as a message, which a model anywidget gave up on never hears (web.js: hearKernel).
        model_id = kwargs.pop("model_id", None) or uuid.uuid4().hex
        positions = {name: _key_spec(ctrl) for name, ctrl in controls.items()}
        super().__init__(
            model_id=model_id, own_id=model_id, controls=controls, positions=positions, readout=readout, **kwargs
        )
        self.figure = figure  # the InteractiveFigure
        self.quiet = False  # True while strip frames are drawn: they are not the kernel's frame
        self.strips = {}  # control -> its latest strip (in progress or done): others, positions sent
        self.queue = []  # strips waiting for the kernel's time, the learner's latest first
        self.strips_made = 0
        self._pumping = self._idle = None  # the loop's next strip step; the prefetch timer
        self._drawn_elsewhere = False  # the artists show a strip's position, not the figure's parameters
        self.canvas = figure.fig.canvas  # a WebCanvasAgg (InteractiveFigure.widget)
        self.canvas.view = self
        self.on_msg(self._on_browser_msg)
        self.observe(self._on_ratio, names="ratio")
        self.observe(self._on_visible, names="visible")

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
        self.cancel_strips()
        self.figure.set_screen_ratio(ratio)
        self._prefetch_later()

    def _on_visible(self, change):
        if change["new"]:
            self._prefetch_later()

    # ---------------------------------------------------------------- strips
    def position_key(self, name: str):
        """The position of control ``name`` as the browser reads it (see ``positions``)."""
        return _read_key(self.positions[name], self.controls[name])

    def covers(self, name: str) -> bool:
        """Has the browser painted the current position of ``name`` from a strip it holds?"""
        s = self.strips.get(name)
        if s is None or not s.get("ready") or s.get("cancelled") or s["others"] != self._others(name):
            return False
        return self.position_key(name) in s["ready"]

    def cancel_strips(self):
        for s in self.strips.values():
            s["cancelled"] = True

    def drop_strips(self):
        """Cancel every strip (and the prefetch due) and have the page forget the frames it holds."""
        self.cancel_strips()
        self.strips = {}
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self.send({"type": "drop"})

    def start_strip(self, name: str, prefetch: bool = False):
        """Begin sending the frames of control ``name``'s grid, others held (no-op if sent or unsuitable).

        A learner's move (``prefetch`` False) puts its strip first and restarts the idle timer after
        which every other slider gets its strip (``prefetch`` True, queued behind)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in a kernel's event loop (a script, a test): no strip
            return
        if not prefetch:
            self._prefetch_later(loop)
        positions = _positions(
            self.figure.controls[name], self.controls[name], self.positions[name], STRIP_MAX_POSITIONS
        )
        if positions is None:
            return
        others, s = self._others(name), self.strips.get(name)
        if s is not None and s["others"] == others and not s.get("cancelled"):
            if not prefetch and s["prefetch"]:  # the learner wants a prefetched strip: its full budget
                s["prefetch"] = False
                if s.get("finished") and s["todo"]:  # cut short by the prefetch budget: it goes on
                    s["finished"] = False
            if not prefetch and s["todo"] and not s.get("finished"):  # on its way: the learner's first
                if s in self.queue:
                    self.queue.remove(s)
                self.queue.insert(0, s)
                self._pump_soon(loop)
            return
        if s is not None:
            s["cancelled"] = True
        self.strips_made += 1
        here = self.position_key(name)
        order = sorted(range(len(positions)), key=lambda i: (abs(i - _index_of(positions, here)), i))
        s = self.strips[name] = {
            "id": self.strips_made,
            "control": name,
            "others": others,
            "todo": [positions[i] for i in order],
            "sent": [],
            "ready": set(),
            "spent": 0.0,
            "base": None,
            "prefetch": prefetch,
        }
        self.queue.insert(len(self.queue) if prefetch else 0, s)
        self._pump_soon(loop)

    def _prefetch_later(self, loop=None):
        """In PREFETCH_IDLE_S, if nothing moved meanwhile and the canvas is on screen: every slider's strip."""
        try:
            loop = loop or asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._idle is not None:
            self._idle.cancel()
        self._idle = loop.call_later(PREFETCH_IDLE_S, self._prefetch)

    def _prefetch(self):
        self._idle = None
        if self.visible:
            for name in self.controls:
                self.start_strip(name, prefetch=True)
            self._pump_soon(asyncio.get_running_loop())  # strips paused while off screen go on

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
        readout, self.quiet, self._drawn_elsewhere = fig.readout, True, True
        try:
            with fig.fig.styled(), one_cpu_thread():
                fig.draw(**params)
            fig._redraw()
            pixels = np.asarray(self.canvas.buffer_rgba()).copy()
            return pixels, fig.readout
        finally:
            fig.readout, self.quiet = readout, False

    def _pump_soon(self, loop):
        if self._pumping is None:
            self._pumping = loop.call_soon(self._pump, loop)

    def _pump(self, loop):
        """One frame of the first strip in the queue, then the next step on the loop (messages between).

        A prefetched strip waits while the canvas is off screen; a stale one (another control moved,
        a new screen) is dropped."""
        self._pumping = None
        while self.queue:
            s = self.queue[0]
            if not (s.get("cancelled") or s.get("finished") or s["others"] != self._others(s["control"])):
                break
            self.queue.pop(0)
            self._finish(s)
        if not self.queue or (self.queue[0]["prefetch"] and not self.visible):
            if self._drawn_elsewhere:  # paused mid-strip: the artists back to the figure's parameters
                self._restore()
            return
        s = self.queue[0]
        try:
            with self.figure._lock:  # a subshell's thread may be drawing this figure for a message
                self._strip_frame(s)
        except Exception:  # a bug: say so in the kernel's log, drop the strip, keep the kernel's frames
            traceback.print_exc()
            s["cancelled"] = True
        if s.get("cancelled") or s.get("finished"):
            self._finish(s)
        self._pump_soon(loop)

    def _strip_frame(self, s):
        t0 = time.perf_counter()
        prepare = getattr(self.figure, "prepare_strip", None)
        if prepare is not None:  # the figure computes the coming positions' data in one batch
            with one_cpu_thread():
                prepare(s["control"], [value for _, value in s["todo"][:STRIP_PREPARE]])
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
        done = not s["todo"] or s["spent"] > (PREFETCH_BUDGET_S if s["prefetch"] else STRIP_BUDGET_S)
        if done or time.perf_counter() - s["batch_t"] >= BATCH_S:
            self._send_batch(s)
            s["batch_t"] = time.perf_counter()
        if done:
            self._finish(s)

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
            if s in self.queue:
                self.queue.remove(s)
            self._restore()

    def _restore(self):
        """The figure's artists (and whatever its draw sets) back to its own parameters; no frame."""
        fig = self.figure
        with fig._lock, fig.fig.styled():
            fig.draw(**fig.params)
        self._drawn_elsewhere = False

    def _on_browser_msg(self, _, content, buffers):
        if content.get("type") == "resend":  # the page missed our messages (web.js: hearKernel)
            self.drop_strips()
            self.send_state(["size", "frame"])
        elif content.get("type") == "strip_ready":
            for s in self.strips.values():
                if s["id"] == content.get("id"):
                    s["ready"].update(_hashable(k) for k in content.get("keys", []))


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
    if spec["kind"] == "label":  # as the page reads it: ipywidgets leaves a SelectionSlider made at index 0 unlabelled
        return ctrl._options_labels[ctrl.index]
    if spec["kind"] == "grid":
        return round((ctrl.value - spec["min"]) / spec["step"])
    return ctrl.value


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _positions(spec, ctrl, key_spec, limit: int | None = None):
    """(key, parameter value) for every position of a slider-like control; None for other controls, and
    for one with more than ``limit`` positions (not listed: lesson 17's λ has 40001)."""
    import ipywidgets as w

    if isinstance(ctrl, w.SelectionSlider):
        if limit is not None and len(ctrl._options_labels) > limit:
            return None
        pairs = zip(ctrl._options_labels, ctrl._options_values, strict=True)
        return [(label, spec.check("value", value)) for label, value in pairs]
    if isinstance(ctrl, (w.FloatSlider, w.IntSlider)):
        count = round((ctrl.max - ctrl.min) / ctrl.step) + 1
        if limit is not None and count > limit:
            return None
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
