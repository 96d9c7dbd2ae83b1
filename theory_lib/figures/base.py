"""The widget layer every lesson shares: a figure is built once, then updated in place.

    fig = RepeatedSoftmaxFigure()        # build axes and artists once
    fig.update(temperature=0.3)          # pure update: parameters -> artists, then redraw
    fig.widget()                         # sliders + live canvas for JupyterLab (ipympl)

A figure declares its controls as data (``Slider``, ``LogSlider``, ``Choice``, ``Text``), so
the same declaration builds the ipywidgets, validates ``update(**params)``, and tells the sweep
test and the benchmark which values to try. Subclasses implement ``build()`` (make axes and
artists) and ``draw(**params)`` (set their data with ``set_data``/``set_ydata``/``set_height``).
Every subclass registers itself in ``FIGURES`` so tests and ``make bench`` find it unedited.
"""

from __future__ import annotations

import html
import math
import numbers
import random
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np

FIGURES: dict[str, type["InteractiveFigure"]] = {}


# ---------------------------------------------------------------- controls, declared as data
@dataclass
class Slider:
    """A linear slider; ``integer=True`` for counts."""

    min: float
    max: float
    value: float
    step: float | None = None
    integer: bool = False
    label: str = ""

    def check(self, name, v):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number in [{self.min}, {self.max}], got {v!r}")
        if self.integer and int(v) != v:
            raise ValueError(f"{name} must be an integer in [{self.min}, {self.max}], got {v!r}")
        if not self.min <= v <= self.max:
            raise ValueError(f"{name} must be in [{self.min}, {self.max}], got {v!r}")
        return int(v) if self.integer else float(v)

    def samples(self, rng: random.Random, k: int):
        """Minimum, maximum and k random interior values."""
        draw = (lambda: rng.randint(int(self.min), int(self.max))) if self.integer else (
            lambda: rng.uniform(self.min, self.max))
        return [self.min, self.max] + [draw() for _ in range(k)]

    def widget(self, name):
        import ipywidgets as w

        cls = w.IntSlider if self.integer else w.FloatSlider
        kw = {} if self.step is None else {"step": self.step}
        return cls(min=self.min, max=self.max, value=self.value, description=self.label or name,
                   continuous_update=True, style={"description_width": "initial"}, **kw)


@dataclass
class LogSlider(Slider):
    """A slider uniform in log10 of the value (n from 2 to 10^4, tau from 0.01 to 10 ...)."""

    def samples(self, rng, k):
        lo, hi = math.log10(self.min), math.log10(self.max)
        vals = [self.min, self.max] + [10 ** rng.uniform(lo, hi) for _ in range(k)]
        return [round(v) if self.integer else v for v in vals]

    def check(self, name, v):
        if isinstance(v, float) and math.isfinite(v):
            # the browser's slider sends 10**log10(max), which can overshoot a bound by an ulp
            for bound in (self.min, self.max):
                if math.isclose(v, bound, rel_tol=1e-9):
                    v = float(bound)
            if self.integer:
                v = int(round(v))  # the log slider moves in floats; counts are rounded
        return super().check(name, v)

    def widget(self, name):
        import ipywidgets as w

        lo, hi = math.log10(self.min), math.log10(self.max)
        return w.FloatLogSlider(min=lo, max=hi, value=self.value, base=10,
                                step=self.step or (hi - lo) / 200, description=self.label or name,
                                readout_format=".3g", continuous_update=True,
                                style={"description_width": "initial"})


@dataclass
class Choice:
    """A dropdown over a fixed list of options."""

    options: list
    value: object
    label: str = ""

    def check(self, name, v):
        if v not in self.options:
            raise ValueError(f"{name} must be one of {self.options}, got {v!r}")
        return v

    def samples(self, rng, k):
        return list(self.options)

    def widget(self, name):
        import ipywidgets as w

        return w.Dropdown(options=self.options, value=self.value, description=self.label or name,
                          style={"description_width": "initial"})


@dataclass
class Text:
    """A free-text box (an editable vector, say); the figure parses and validates it."""

    value: str
    examples: list = field(default_factory=list)
    label: str = ""

    def check(self, name, v):
        if not isinstance(v, str):
            raise ValueError(f"{name} must be a string, got {v!r}")
        return v

    def samples(self, rng, k):
        return [self.value, *self.examples]

    def widget(self, name):
        import ipywidgets as w

        return w.Text(value=self.value, description=self.label or name, continuous_update=False,
                      style={"description_width": "initial"})


# ---------------------------------------------------------------- the figure
class InteractiveFigure:
    """Base class: declare ``controls``, implement ``build`` and ``draw``.

    ``continuous``: False for figures whose update takes seconds (training runs): their sliders
    update on release instead of on every move.
    """

    controls: dict = {}
    figsize: tuple = (9.0, 3.6)
    continuous: bool = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.controls:  # abstract helpers without controls are not registered
            FIGURES[f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}"] = cls

    def __init__(self, **params):
        self.params = {name: c.value for name, c in self.controls.items()}
        self.params.update(self._checked(params))
        self.readout = ""  # HTML shown under the figure; draw() may set it
        with plt.ioff():
            self.fig = plt.figure(figsize=self.figsize, layout="constrained")
        self.build()
        self._dynamic = self._animate_artists()
        self._background = None  # pixels of everything static, captured at each full draw
        self._signature = None
        self.fig.canvas.mpl_connect("draw_event", self._on_full_draw)
        self.draw(**self.params)
        self._widget = None

    # subclasses ---------------------------------------------------------------------------
    def build(self) -> None:
        """Create axes and every artist once, with placeholder data."""
        raise NotImplementedError

    def draw(self, **params) -> None:
        """Set the artists' data for ``params`` (a pure function of them); no new artists."""
        raise NotImplementedError

    # public -------------------------------------------------------------------------------
    def update(self, **params) -> "InteractiveFigure":
        """Change some parameters, update the artists in place and redraw the canvas."""
        self.params.update(self._checked(params))
        self.draw(**self.params)
        self._redraw()
        if self._widget is not None:
            self._readout_widget.value = self.readout
        return self

    def widget(self):
        """Controls, the live canvas and the readout, for JupyterLab or Voila."""
        import ipywidgets as w
        from IPython.display import display

        if self._widget is not None:
            return self._widget
        self._readout_widget = w.HTML(self.readout)
        boxes = []
        for name, spec in self.controls.items():
            ctrl = spec.widget(name)
            ctrl.value = self.params[name]
            if hasattr(ctrl, "continuous_update") and not isinstance(spec, Text):
                ctrl.continuous_update = self.continuous
            ctrl.observe(self._on_change(name), names="value")
            boxes.append(ctrl)
        canvas = self.fig.canvas
        if isinstance(canvas, w.DOMWidget):  # ipympl: the canvas is itself a widget
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.toolbar_position = "right"
            view = canvas
        else:  # inline or Agg backend: show a static image, refreshed on each change
            view = w.Output()
            with view:
                display(self.fig)
            self._static_view = view
        controls = w.GridBox(boxes, layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(290px, 1fr))"))
        self._widget = w.VBox([controls, view, self._readout_widget])
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
        plt.close(self.fig)

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
        axes = tuple((ax.get_xlim(), ax.get_ylim(), ax.get_title(), ax.get_xlabel(),
                      ax.get_ylabel(), ax.get_xscale(), ax.get_yscale()) for ax in self.fig.axes)
        return axes + (tuple(self.fig.bbox.bounds), self.fig.dpi)

    def _on_full_draw(self, event):
        canvas = self.fig.canvas
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        self._signature = self._static_signature()
        for artist in self._dynamic:
            self.fig.draw_artist(artist)

    def _redraw(self):
        canvas = self.fig.canvas
        if self._background is None or self._static_signature() != self._signature:
            self._background = None  # until the full draw has captured the new one
            canvas.draw_idle()  # synchronous on Agg, scheduled on ipympl
            return
        canvas.restore_region(self._background)
        for artist in self._dynamic:
            self.fig.draw_artist(artist)
        canvas.blit(self.fig.bbox)
        self.fig.stale = False  # or pyplot's interactive mode would redraw it all after the event

    def _checked(self, params):
        out = {}
        for name, value in params.items():
            if name not in self.controls:
                raise ValueError(f"unknown parameter {name!r}; this figure takes {sorted(self.controls)}")
            out[name] = self.controls[name].check(name, value)
        return out

    def _on_change(self, name):
        def handler(change):
            try:
                self.update(**{name: change["new"]})
            except ValueError as err:  # bad text in a box: say so, keep the last good figure
                self._readout_widget.value = f'<span style="color:#b00">{html.escape(str(err))}</span>'
                return
            if hasattr(self, "_static_view"):
                from IPython.display import display

                with self._static_view:
                    self._static_view.clear_output(wait=True)
                    display(self.fig)

        return handler


def figure_classes():
    """Import every figure module in this package and return the registry."""
    import importlib
    import pkgutil

    import theory_lib.figures as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_") and mod.name != "base":
            importlib.import_module(f"theory_lib.figures.{mod.name}")
    return dict(FIGURES)
