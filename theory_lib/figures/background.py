"""Figures that train work off the comm handler: progress while they compute, the newest setting wins.

A figure whose change trains networks (lesson 04's ``ToyStackFigure``, 05's
``SmoothF1TrainingFigure``, 06's ``LandscapeBNFigure``) defines ``compute(**params)``, the cached
results its ``draw`` reads, and may define ``draw_preview(preview, **params)``. Its widget then
hands each change to a ``Worker``:

    control released -> Worker.on_change, in the comm handler (milliseconds): check the value,
                        record it, bump the generation, mark the state busy, wake the worker thread
    worker thread    -> fig.compute(**newest) under a progress hook: the bar and the status line
                        move, draw_preview() shows the curves so far (blitted); a newer setting
                        makes the hook raise Cancelled, and the worker starts on the newest one
                     -> commit: fig.update(**newest), now from the cache; the bar hides

Training functions report through ``stage`` (and ``part`` for a share of the work); outside a
worker ``stage`` returns None, so ``fig.update(**params)``, ``Figure.render``, the sweeps and
``make bench`` compute synchronously exactly as before, and cached results never show a bar.

One re-entrant lock (``Worker.lock``) serialises matplotlib on the figure: the worker's preview
frames and commit; ipympl's events (the browser's draws, resizes), which the comm handler runs
(on the kernel's main thread, or on the subshell thread JupyterLab's widget manager opens with
ipykernel 7); full draws; and ``fig.update`` from code. While a setting is computed the figure's
state (the hidden widget the browser test reads) carries ``"busy"``: a preview frame is no
state's picture.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import threading
import time

__all__ = ["Cancelled", "Worker", "part", "settle", "stage"]

FRAME_S = 0.1  # between two progress frames (bar and status line), at least, in seconds
PREVIEW_S = 0.3  # between two previews (a blit and a whole PNG frame), at least, in seconds ...
PREVIEW_SHARE = 9  # ... and at least this many times what the last one took: previews cost <= 1/10
_log = logging.getLogger(__name__)
_local = threading.local()  # .job: the _Job the current thread computes, if any


class Cancelled(Exception):
    """A newer setting arrived: the work for this one stops (raised by a progress hook)."""


def _summary(params: dict) -> str:
    return ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in params.items())


def _red(text: str) -> str:
    return f'<span style="color:#b00">{html.escape(text)}</span>'


class _Job:
    """One setting being computed by a worker: its generation, parameters and share of the bar."""

    def __init__(self, worker: Worker, generation: int, params: dict):
        self.worker, self.generation, self.params = worker, generation, params
        self.span = (0.0, 1.0)  # the share of the bar the current part of the work fills
        self.last = self.last_preview = -float("inf")  # when the last frame and preview ended
        self.preview_gap = PREVIEW_S

    def report(self, fraction: float, label: str, preview=None, force: bool = False):
        """Raise Cancelled if a newer setting arrived; else show a frame now and then (gaps counted
        from the end of the last frame or preview, so that they take a bounded share of the time)."""
        worker = self.worker
        if worker.generation != self.generation:
            raise Cancelled
        start = time.monotonic()
        if force or start - self.last >= FRAME_S:
            lo, hi = self.span
            preview = preview if start - self.last_preview >= self.preview_gap else None
            worker._frame(self, lo + (hi - lo) * fraction, label, preview)
            self.last = time.monotonic()
            if preview is not None:
                self.last_preview, self.preview_gap = self.last, max(PREVIEW_S, PREVIEW_SHARE * (self.last - start))
            worker.stats["frames"] += 1
            worker.stats["frame_s"] += self.last - start


def stage(label: str, start: float = 0.0, stop: float = 1.0, preview=None, **fields):
    """The progress hook for one stage of a training figure's work, or None outside a worker.

    ``label`` says what is computed, an English template filled from ``fields`` and shown in the
    figure's language (a translation key, like a ``tr`` literal); the stage fills ``[start, stop]``
    of the bar (of the current ``part``). The hook, ``hook(done, total, partial=None)``, is what the
    maths functions take as ``progress``: it raises Cancelled when a newer setting arrived, and shows
    a frame now and then; ``preview(partial)`` makes the object passed to the figure's ``draw_preview``."""
    job = getattr(_local, "job", None)
    if job is None:
        return None
    said = job.worker.fig.tr(label).format(**fields)
    job.report(start, said, force=True)

    def hook(done: int, total: int, partial=None):
        shown = None if preview is None or partial is None else (lambda: preview(partial))
        step = job.worker.fig.tr("{stage}: step {done} of {total}").format(stage=said, done=done, total=total)
        job.report(start + (stop - start) * done / total, step, shown)

    return hook


@contextlib.contextmanager
def part(index: int, count: int):
    """Within a worker, the stages inside fill the ``index``-th of ``count`` equal shares of the bar."""
    job = getattr(_local, "job", None)
    if job is None:
        yield
        return
    lo, hi = job.span
    job.span = (lo + (hi - lo) * index / count, lo + (hi - lo) * (index + 1) / count)
    try:
        yield
    finally:
        job.span = (lo, hi)


def settle(fig, timeout: float = 60.0) -> bool:
    """Wait until the figure's widget has drawn its newest setting (at once without a worker)."""
    worker = getattr(fig, "_worker", None)
    return True if worker is None else worker.join(timeout)


class Worker:
    """The widget side of a training figure: a thread that computes the newest setting.

    ``on_change(name)`` is the controls' observer. ``row`` is the progress row (a FloatProgress
    and a status line, hidden when idle) for the figure's VBox. ``stats`` counts the settings
    started, cancelled, drawn and failed, the progress frames and their seconds, and keeps the
    last latencies (seconds): from a change to its first progress frame (``first_frame_s``), and
    from a newer change to the end of the work it cancelled (``cancel_s``)."""

    def __init__(self, fig):
        import ipywidgets as w

        self.fig = fig
        self.lock = fig._lock  # matplotlib on this figure, from any thread (the figure's own lock)
        self.cond = threading.Condition()  # the fields below
        self.generation = self.done = 0  # the newest setting asked for; the one drawn
        self.requested = dict(fig.params)
        self.changed_at = 0.0
        self.thread = None
        self.showing = False
        self.errors: list[BaseException] = []
        self.stats = {"started": 0, "cancelled": 0, "drawn": 0, "failed": 0, "frames": 0, "frame_s": 0.0}
        self.stats.update(first_frame_s=None, cancel_s=None)
        self.bar = w.FloatProgress(min=0.0, max=1.0, layout=w.Layout(width="220px"))
        self.status = w.HTML()
        self.row = w.HBox([self.bar, self.status], layout=w.Layout(display="none", align_items="center"))
        self.row.add_class("tl-figure-progress")
        for below in (fig._readout_widget, fig._state_widget):  # the row shows under the canvas, above them
            below.layout.order = "1"
        self._wrap()

    # the lock ---------------------------------------------------------------------------------
    def _wrap(self):
        """Route the figure's matplotlib entry points through the lock (on this instance only)."""
        fig, canvas = self.fig, self.fig.fig.canvas
        own = fig.__dict__.get("update")  # an instance's own update (a benchmark's counter), kept

        def inner(**params):  # else the class's, looked up at each call (a test may patch it)
            return own(**params) if own is not None else type(fig).update(fig, **params)

        self._update = inner

        def locked(method):
            def call(*args, **kwargs):
                with self.lock:
                    return method(*args, **kwargs)

            return call

        canvas.draw = locked(canvas.draw)
        if hasattr(canvas, "handle_event"):  # ipympl: the browser's draws, resizes, refreshes
            canvas.handle_event = locked(canvas.handle_event)

        def update(**params):  # from code: synchronous, and newer than any setting in progress
            with self.lock:
                fig._checked(params)  # a refused value changes nothing, the work in progress included
                with self.cond:  # newer than the work in progress, and nothing left for the worker
                    self.generation += 1
                    self.done = self.generation
                    self.changed_at = time.monotonic()
                try:
                    return inner(**params)
                finally:
                    self._settled(self.generation)

        fig.update = update
        close = fig.close

        def stop_and_close():  # the work in progress stops at its next progress report
            with self.cond:
                self.done = self.generation = self.generation + 1
                self.changed_at = time.monotonic()
            self.join(5.0)
            close()

        fig.close = stop_and_close

    # the comm handler's side ------------------------------------------------------------------
    def on_change(self, name: str):
        fig = self.fig

        def handler(change):
            with self.lock:
                if getattr(fig, "_syncing", False):  # the figure itself put this value on the widget
                    return
                try:
                    value = fig._checked({name: change["new"]})
                except ValueError as err:  # as InteractiveFigure: say so, keep the last good figure
                    fig._readout_widget.value = _red(str(err))
                    return
                with self.cond:
                    self.requested.update(value)
                    self.generation += 1
                    self.changed_at = time.monotonic()
                    fig._busy = dict(self.requested)
                    if self.thread is None:
                        self.thread = threading.Thread(
                            target=self._loop, name=f"{type(fig).__name__} worker", daemon=True
                        )
                        self.thread.start()
                fig._state_widget.value = html.escape(json.dumps(fig.state()))

        return handler

    def join(self, timeout: float = 60.0) -> bool:
        """Wait (at most ``timeout`` s) until the newest setting is drawn or has failed; True if so."""
        with self.cond:
            return self.cond.wait_for(lambda: self.thread is None and self.done == self.generation, timeout)

    # the worker thread ------------------------------------------------------------------------
    def _loop(self):
        while True:
            with self.cond:
                if self.done == self.generation:
                    self.thread = None
                    self.cond.notify_all()
                    return
                generation, params = self.generation, dict(self.requested)
            self.stats["started"] += 1
            try:
                _local.job = _Job(self, generation, params)
                try:
                    self.fig.compute(**params)
                finally:
                    _local.job = None
                self._commit(generation, params)
            except Cancelled:
                self.stats["cancelled"] += 1
                self.stats["cancel_s"] = time.monotonic() - self.changed_at
            except Exception as err:  # shown in the readout, never lost in a thread
                self._fail(generation, params, err)

    def _frame(self, job: _Job, fraction: float, label: str, preview):
        """Show progress: the bar, the status line and, if the figure can, a preview (blitted)."""
        fig = self.fig
        with self.lock:
            if self.generation != job.generation:
                raise Cancelled
            if not self.showing:
                self.showing = True
                self.stats["first_frame_s"] = time.monotonic() - self.changed_at
                fig._readout_widget.value = f'<div style="opacity:0.45">{fig.readout}</div>'
                self.row.layout.display = "flex"
            self.bar.value = min(max(fraction, 0.0), 1.0)
            said = fig.tr("computing {settings}: {stage}").format(settings=_summary(job.params), stage=label)
            self.status.value = f"<i>{html.escape(said)}</i>"
            blit = fig._background is not None and fig._static_signature() == fig._signature
            if preview is not None and blit and hasattr(fig, "draw_preview"):
                fig.draw_preview(preview(), **job.params)  # data only (animated artists): a blit
                canvas = fig.fig.canvas
                canvas.restore_region(fig._background)
                fig.fig.draw_artists(fig._dynamic)
                canvas.blit(fig.fig.bbox)
                fig.fig.stale = False

    def _commit(self, generation: int, params: dict):
        with self.lock:
            with self.cond:
                if generation != self.generation:
                    raise Cancelled
                self.fig._busy = None
            self._update(**params)  # from the cache: draws and redraws at once
            self._refresh_static_view()
            self._settled(generation)
            self.stats["drawn"] += 1

    def _fail(self, generation: int, params: dict, err: Exception):
        self.errors.append(err)
        self.stats["failed"] += 1
        _log.error("%s at %s", type(self.fig).__name__, _summary(params), exc_info=err)
        fig = self.fig
        with self.lock:
            if generation != self.generation:  # a newer setting replaced this one anyway
                return
            failure = f"{type(err).__name__}: {err}"
            message = fig.tr("{settings}: {error}. The figure shows the last good setting.")
            message = message.format(settings=_summary(params), error=failure)
            with self.cond:
                self.requested = dict(fig.params)
                fig._busy = None
            try:  # the artists (a preview may have moved them), controls and state of the last good setting
                self._update()
            except Exception as again:
                again_text = f"{type(again).__name__}: {again}"
                message += fig.tr(" Redrawing it failed too: {error}").format(error=again_text)
            self._settled(generation)
            fig._readout_widget.value = _red(message)

    def _settled(self, generation: int):
        """The figure shows setting ``generation``: nothing is pending, the bar hides."""
        with self.cond:
            self.done = max(self.done, generation)  # close() may have moved past it
            self.requested = dict(self.fig.params)
            self.fig._busy = None
            self.cond.notify_all()
        if self.showing:
            self.showing = False
            self.row.layout.display = "none"
            self.bar.value = 0.0
            self.status.value = ""

    def _refresh_static_view(self):
        view = getattr(self.fig, "_static_view", None)  # the inline/Agg fallback: an image, not a canvas
        if view is not None:
            from IPython.display import display

            with view:
                view.clear_output(wait=True)
                display(self.fig.fig)
