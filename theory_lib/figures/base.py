"""The widget layer every lesson shares: a figure is built once, then updated in place.

    fig = RepeatedSoftmaxFigure()        # build axes and artists once
    fig.update(temperature=0.3)          # pure update: parameters -> artists, then redraw
    fig.widget()                         # sliders + live canvas for JupyterLab (ipympl)

A figure declares its controls as data (``Slider``, ``LogSlider``, ``Choice``, ``Text``, in
``controls``), so the same declaration builds the ipywidgets, validates ``update(**params)``, and
tells the sweep test and the benchmark which values to try. Subclasses implement ``build()`` (make
axes and artists) and ``draw(**params)`` (set their data with ``set_data``/``set_ydata``/
``set_height``). Every subclass registers itself in ``FIGURES`` under its lesson's name
(``smoothing.SmoothMaxFigure``) so tests and ``make bench`` find it unedited.

What the learner sees is held to the figure's state: ``render(params, dpi)`` draws any state from
scratch on a plain Agg canvas (under ``style.STYLE``), and the tests compare it with the live,
blitted canvas (in the kernel and in the browser). A rejected value (``ValueError`` naming the
control) leaves the figure as it was, so later moves keep working.
"""

from __future__ import annotations

import functools
import html
import json
import math
import threading

import matplotlib as mpl
import numpy as np

from theory_lib._checks import one_cpu_thread
from theory_lib.figures import redraw
from theory_lib.figures.background import Worker
from theory_lib.figures.controls import Slider, Text
from theory_lib.figures.language import Refused, check_language, current_language, tr
from theory_lib.figures.style import close_figure, style_for, styled_figure

__all__ = ["FIGURES", "InteractiveFigure", "figure_classes", "figure_name"]

FIGURES: dict[str, type[InteractiveFigure]] = {}
_PACKAGE = "theory_lib.figures."
# the shared layer: no figures
_LAYER = ("background", "base", "controls", "exercises", "language", "redraw", "style", "web")
CONTROL_MIN_WIDTH = "340px"  # a control's column: two side by side in a notebook's output area
SLIDER_MAX_WIDTH = "640px"  # a lone slider, label and readout included (they take ~100-250 px)


def figure_name(cls) -> str:
    """The registry name of a figure class: its lesson's module and its class name.

    A lesson's figures may live in a package (``theory_lib.figures.smoothing.smooth_max``): the name is
    that of the lesson (``smoothing.SmoothMaxFigure``), wherever in it the class is defined."""
    module = cls.__module__
    topic = module[len(_PACKAGE) :].split(".")[0] if module.startswith(_PACKAGE) else module.rsplit(".", 1)[-1]
    return f"{topic}.{cls.__name__}"


# ---------------------------------------------------------------- the figure
class InteractiveFigure:
    """Base class: declare ``controls``, implement ``build`` and ``draw``.

    ``continuous``: False for figures whose update takes seconds (training runs): their sliders
    update on release instead of on every move. Such a figure may also define ``compute(**params)``
    (the cached results ``draw`` reads) and ``draw_preview``: its widget then computes in a worker
    thread with a progress bar, a newer setting cancelling the one in progress (``background.py``).
    """

    controls: dict = {}
    figsize: tuple = (9.0, 3.6)
    continuous: bool = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.controls:  # abstract helpers without controls are not registered
            FIGURES[figure_name(cls)] = cls

    def __init__(self, *, offscreen: bool = False, dpi: float | None = None, lang: str | None = None, **params):
        """Build the figure for ``params`` (defaults for the rest).

        ``offscreen=True`` draws on a plain Agg canvas outside pyplot (a reference render, an
        export); ``dpi`` overrides the style's 100 (a HiDPI browser has ipympl draw at 200); ``lang``
        ("en" or "zh") the language of its texts, ``current_language()`` when None."""
        self.lang = check_language(current_language() if lang is None else lang)
        self.tr = functools.partial(tr, lang=self.lang)  # a text (English template) in this language
        self.params = {name: c.value for name, c in self.controls.items()}
        self.params.update(self._checked(params))
        self.readout = ""  # HTML shown under the figure; draw() may set it
        self._widget = self._view = None
        # matplotlib on this figure from one thread at a time: JupyterLab may deliver a widget's
        # messages on a kernel subshell's thread while a strip (web.py) draws on the main one.
        self._lock = threading.RLock()
        with mpl.rc_context(style_for(self.lang)):
            self.fig = styled_figure(self.figsize, self.lang, offscreen, key=type(self))
            if dpi is not None:
                self.fig.set_dpi(dpi)
            self._screen_dpi = self.fig.dpi  # at a screen ratio of 1 (set_screen_ratio)
            self._whole_pixels()
            self.build()
        self._dynamic = self._animate_artists()
        self._background = None  # pixels of everything static, captured at each full draw
        self._signature = None
        self._layout_params = self._layout_dpi = self._layout_figsize = None  # at the first full draw
        self.fig.canvas.mpl_connect("draw_event", self._on_full_draw)
        with self.fig.styled(), one_cpu_thread():
            self.draw(**self.params)

    @classmethod
    def reference(
        cls,
        dpi: float = 100.0,
        layout_params: dict | None = None,
        layout_dpi: float | None = None,
        figsize=None,
        layout_figsize=None,
        lang: str | None = None,
    ) -> InteractiveFigure:
        """An offscreen figure laid out as a live one was: at ``layout_params`` (the defaults
        unless given), ``layout_dpi`` and ``layout_figsize`` (its first full draw), then set to
        ``dpi`` and ``figsize`` (ipympl may have resized it to whole pixels), in ``lang``. Update it
        and draw it in full to get the picture of any state (see ``pixels``)."""
        ref = cls(offscreen=True, dpi=layout_dpi or dpi, lang=lang, **(layout_params or {}))
        if layout_figsize is not None:
            ref.fig.set_size_inches(*layout_figsize)
        ref.fig.canvas.draw()  # fixes the layout, as a live figure's first draw does
        if figsize is not None and tuple(ref.fig.get_size_inches()) != tuple(figsize):
            ref.fig.set_size_inches(*figsize)
        if ref.fig.dpi != dpi:
            ref.fig.set_dpi(dpi)
        return ref

    def pixels(self, **params) -> np.ndarray:
        """Set ``params``, draw in full (no blit) and return the RGBA pixels, (height, width, 4)."""
        self.update(**params)
        self.fig.canvas.draw()
        return np.asarray(self.fig.canvas.buffer_rgba()).copy()

    @classmethod
    def render(cls, params: dict, dpi: float = 100.0, **layout) -> np.ndarray:
        """The figure for ``params`` drawn from scratch on Agg: RGBA pixels, (height, width, 4).

        This is what the live canvas must show after any sequence of moves that ends at
        ``params``; the tests compare the two, in the kernel and in the browser. ``layout``:
        ``layout_params``, ``layout_dpi`` and ``lang``, as for ``reference``."""
        ref = cls.reference(dpi, **layout)
        try:
            return ref.pixels(**params)
        finally:
            ref.close()

    def inactive(self) -> set:
        """Controls that do nothing in the current state (disabled in the widget); none by default."""
        return set()

    def state(self) -> dict:
        """What the figure shows, as JSON-able data: its registry name, parameters and pixel size.

        The widget carries it (hidden) so that a browser test can render the same state on Agg."""
        return {
            "figure": figure_name(type(self)),
            "lang": self.lang,
            "params": self.params,
            "dpi": float(self.fig.dpi),
            "size": [int(round(v)) for v in self.fig.bbox.size],
            "figsize": self.fig.get_size_inches().tolist(),
            "layout_params": self._layout_params,
            "layout_dpi": self._layout_dpi,
            "layout_figsize": self._layout_figsize,
            # a widget's worker is computing a newer setting (background.py): the canvas may show a preview
            **({"busy": self._busy} if getattr(self, "_busy", None) else {}),
        }

    # subclasses ---------------------------------------------------------------------------
    def build(self) -> None:
        """Create axes and every artist once, with placeholder data."""
        raise NotImplementedError

    def draw(self, **params) -> None:
        """Set the artists' data for ``params`` (a pure function of them); no new artists."""
        raise NotImplementedError

    # public -------------------------------------------------------------------------------
    def update(self, paint: bool = True, **params) -> InteractiveFigure:
        """Change some parameters, update the artists in place and redraw the canvas.

        A rejected value raises ``ValueError`` naming the control and changes nothing: the
        parameters, the artists and the readout stay those of the last good state. ``paint=False``
        leaves the canvas as it is (the browser already shows this state: ``web.py``'s strips)."""
        with self._lock:
            new = {**self.params, **self._checked(params)}
            # one intra-op thread: a slider's compute is small, and on a busy 2-core machine each op's
            # OpenMP wake-up cost more than the op (LaplaceFigure 77 -> 8 ms a move under load)
            with self.fig.styled(), one_cpu_thread():
                try:
                    self.draw(**new)
                except ValueError:
                    self.draw(**self.params)  # put back the artists the failed draw may have touched
                    raise
            self.params = new
            if paint:
                self._redraw()
            if self._widget is not None:
                self._sync_widgets()
        return self

    def widget(self):
        """Controls, the live canvas and the readout, for JupyterLab or Voila."""
        import ipywidgets as w

        from theory_lib.figures.web import CanvasView, WebCanvasAgg

        if self._widget is not None:
            return self._widget
        WebCanvasAgg(self.fig)  # before the worker wraps the canvas's draw (background.py)
        self._readout_widget = w.HTML(self.readout)
        self._state_widget = w.HTML(layout=w.Layout(display="none"))  # for the browser test
        self._state_widget.add_class("tl-figure-state")
        self._controls = {}
        # ---- figures that train compute off the comm handler, with progress (background.py)
        self._worker = Worker(self) if hasattr(self, "compute") else None
        progress = [self._worker.row] if self._worker else []
        # ----
        for name, spec in self.controls.items():
            ctrl = spec.widget(name)
            ctrl.description = self.tr(ctrl.description)
            spec.show(ctrl, self.params[name])
            if hasattr(ctrl, "continuous_update") and not isinstance(spec, Text):
                ctrl.continuous_update = self.continuous
            ctrl.observe(self._worker.on_change(name) if self._worker else self._on_change(name), names="value")
            if isinstance(spec, Slider):  # the track fills its cell (below): a longer drag per value
                ctrl.layout.width, ctrl.layout.max_width = "100%", SLIDER_MAX_WIDTH
            self._controls[name] = ctrl
        # The live canvas (web.py): the kernel's frames, and strips of frames the browser paints itself.
        view = self._view = CanvasView(self, self._controls, self._readout_widget)
        self._redraw()  # the first frame
        # As many columns as fit, each control filling its own: a lone slider spans the row. ipywidgets'
        # fixed 300 px left lesson 17's c a 47 px track (its label and readout took the rest) for 405 values.
        controls = w.GridBox(
            list(self._controls.values()),
            layout=w.Layout(grid_template_columns=f"repeat(auto-fit, minmax({CONTROL_MIN_WIDTH}, 1fr))"),
        )
        self._widget = w.VBox([controls, view, self._readout_widget, self._state_widget, *progress])
        self._sync_widgets()
        return self._widget

    def drawn_arrays(self):
        """Every numeric array the figure draws (lines, collections, patches, images)."""
        for ax in self.fig.axes:
            for line in ax.lines:
                yield np.asarray(line.get_xydata(), dtype=float)
            for coll in ax.collections:
                if hasattr(coll, "get_segments"):
                    for seg in coll.get_segments():
                        yield np.asarray(seg, dtype=float)
                if hasattr(coll, "get_array") and coll.get_array() is not None:
                    yield np.asarray(coll.get_array(), dtype=float)
                offsets = coll.get_offsets()
                if len(offsets):
                    yield np.asarray(offsets, dtype=float)
            for patch in ax.patches:
                if hasattr(patch, "get_height"):
                    yield np.asarray([patch.get_x(), patch.get_width(), patch.get_y(), patch.get_height()], dtype=float)
                elif hasattr(patch, "get_xy"):  # polygons (step histograms)
                    yield np.asarray(patch.get_xy(), dtype=float)
            for img in ax.images:
                yield np.asarray(img.get_array(), dtype=float)

    def close(self) -> None:
        close_figure(self.fig)

    # internals ----------------------------------------------------------------------------
    # Redrawing is blitted: text (ticks, labels, legends) costs most of a matplotlib draw, so
    # the static part is rendered once and kept as pixels; each update restores those pixels
    # and draws only the data artists. A change of limits, titles or size forces a full draw.
    def _animate_artists(self):
        dynamic = []
        for ax in self.fig.axes:
            # Legends stay static (text is what costs): put them where the data does not go.
            artists = [*ax.lines, *ax.collections, *ax.patches, *ax.images, *ax.texts]
            for artist in sorted(artists, key=lambda a: a.get_zorder()):
                artist.set_animated(True)
                dynamic.append(artist)
        return dynamic

    def _static_signature(self):
        """Everything static that a draw() may change: when it differs, the cached background is stale."""

        def legend(ax):
            leg = ax.get_legend()
            return None if leg is None else (leg.get_visible(), tuple(t.get_text() for t in leg.get_texts()))

        axes = tuple(
            (
                ax.get_xlim(),
                ax.get_ylim(),
                ax.get_title(),
                ax.get_title("left"),
                ax.get_xlabel(),
                ax.get_ylabel(),
                ax.get_xscale(),
                ax.get_yscale(),
                ax.get_visible(),
                legend(ax),
            )
            for ax in self.fig.axes
        )
        texts = tuple(t.get_text() for t in self.fig.texts)
        return axes + (texts, tuple(self.fig.bbox.bounds), self.fig.dpi)

    def _on_full_draw(self, event):
        canvas = self.fig.canvas
        if self._layout_params is None:
            # The constrained layout ran once, for this first draw; keep it. Run again, it would
            # start from the positions the last state left (a legend below an axes moves with
            # it), so what a state looks like would depend on the moves before it. Fixed, every
            # state has one picture (and a full draw skips the layout's cost).
            self._layout_params, self._layout_dpi = dict(self.params), float(self.fig.dpi)
            self._layout_figsize = self.fig.get_size_inches().tolist()
            self.fig.set_layout_engine("none")
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        self._signature = self._static_signature()
        self._boxes = redraw.axes_boxes(self.fig, event.renderer)  # what each axes owns (redraw.py)
        self.fig.stale = False  # measuring the boxes marks the figure stale: IPython would redraw it, forever
        if self._widget is not None:  # the state now has its layout (and a new dpi, if the screen changed)
            self._state_widget.value = html.escape(json.dumps(self.state()))
        self.fig.draw_artists(self._dynamic)

    def _whole_pixels(self):
        """Make the figure's size in pixels a whole number, or a hair above one, in floating point.

        4.6 in x 100 dpi is 459.99999999999994 in floats; ipympl sizes the browser's canvas from
        that, the canvas truncates it to 459 rows and the figure's last row is cut off. Nudging
        each side up by ulps until it reaches its whole number of pixels keeps every dpi whole."""
        dpi = self.fig.dpi
        sides = []
        for inches in self.fig.get_size_inches():
            target = round(inches * dpi)
            while inches * dpi < target:
                inches = math.nextafter(inches, math.inf)
            sides.append(inches)
        self.fig.set_size_inches(*sides)

    def set_screen_ratio(self, ratio: float) -> None:
        """Draw for a screen of ``ratio`` device pixels per CSS pixel (2 on HiDPI), in full, as ipympl did."""
        dpi = self._screen_dpi * ratio
        with self._lock:
            if self.fig.dpi == dpi:
                return
            self.fig.set_dpi(dpi)
            self._whole_pixels()
            self._background = None
            self._redraw()

    def _redraw(self):
        canvas = self.fig.canvas
        signature = self._static_signature()
        if self._background is not None and signature != self._signature:
            # some axes' limits, titles or legend changed: repaint only those axes, if nothing else is in the way
            done = redraw.repaint_changed(self.fig, self._background, self._boxes, self._signature, signature)
            if done is None:
                self._background = None  # only a full draw gives the right picture
            else:
                (self._background, self._boxes), self._signature = done, signature
        if self._background is None:
            # Draw now: ipympl's draw_idle() would ask the browser to ask the kernel for the draw (a
            # websocket round trip, and a request the browser drops while it waits for a frame).
            canvas.draw()
            return
        canvas.restore_region(self._background)
        self.fig.draw_artists(self._dynamic)
        canvas.blit(self.fig.bbox)
        self.fig.stale = False  # or pyplot's interactive mode would redraw it all after the event

    def _sync_widgets(self):
        """The widgets show the figure's parameters, readout and state; idle controls are disabled."""
        self._syncing = True
        try:
            idle = self.inactive()
            for name, ctrl in self._controls.items():
                if ctrl.value != self.params[name]:
                    self.controls[name].show(ctrl, self.params[name])
                ctrl.disabled = name in idle
        finally:
            self._syncing = False
        self._readout_widget.value = self.readout
        self._state_widget.value = html.escape(json.dumps(self.state()))

    def _checked(self, params):
        out = {}
        for name, value in params.items():
            if name not in self.controls:
                raise ValueError(f"unknown parameter {name!r}; this figure takes {sorted(self.controls)}")
            out[name] = self.controls[name].check(name, value)
        return out

    def _on_change(self, name):
        def handler(change):
            if getattr(self, "_syncing", False):  # the figure itself put this value on the widget
                return
            view, before = self._view, self.params[name]
            try:
                with self._lock:  # the browser painted this position from a strip already (web.py): no frame
                    self.update(**{name: change["new"]}, paint=not view.covers(name))
            except ValueError as err:  # bad text in a box: say so (in the figure's language), keep the last good figure
                text = err.text(self.lang) if isinstance(err, Refused) else str(err)
                self._readout_widget.value = f'<span style="color:#b00">{html.escape(text)}</span>'
                return
            if self.params[name] != before:  # a learner's move, not the page echoing a value back
                view.start_strip(name)  # the frames of this slider's grid, sent ahead (closed-form figures)

        return handler


def figure_classes():
    """Import every lesson's figure module (or package) in ``theory_lib.figures``; return the registry."""
    import importlib
    import pkgutil

    import theory_lib.figures as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_") and mod.name not in _LAYER:
            importlib.import_module(f"theory_lib.figures.{mod.name}")
    return dict(FIGURES)
