"""How every lesson figure looks, and the axis helpers that keep its updates cheap.

``STYLE`` pins what a figure's pixels depend on (Okabe & Ito's colour-blind-safe palette as
"C0".."C7", dpi, font size, an opaque face), and ``StyledFigure`` draws under it whoever triggers
the draw, so the kernel (whatever its rc) and a reference render agree. The helpers choose axis
limits and ticks so that most slider moves leave the static part of a figure as it was (and are
blitted): limits in round brackets (``nice_ceil``, ``nice_floor``), set only when they change
(``set_limits``), few tick labels (``sparse_log_ticks``, ``PlainLogFormatter``), and a histogram
drawn as one step polygon (``step_outline``).

Chinese figures (``style_for("zh")``) add a CJK font after the Latin one (Noto Sans CJK SC, Debian's
``fonts-noto-cjk``, installed by ``make``; others where it is missing): Latin text, digits and
mathtext keep DejaVu Sans, each Chinese character falls back to the CJK font. English figures keep
``STYLE`` as it was, so their pixels do not change.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import math
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, LogFormatterSciNotation, NullLocator

__all__ = [
    "OKABE_ITO",
    "STYLE",
    "CJK_FONTS",
    "PlainLogFormatter",
    "StyledFigure",
    "nice_ceil",
    "nice_floor",
    "set_limits",
    "sparse_log_ticks",
    "step_outline",
    "style_for",
    "styled_figure",
]

# Okabe & Ito's colour-blind-safe palette, as "C0".."C7" in every figure. The rest pins what a
# figure's pixels depend on, so the kernel (whatever its rc) and a reference render agree.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
STYLE = {
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
    "figure.dpi": 100.0,
    "figure.facecolor": "white",  # opaque: the browser composites each frame over the last
    "savefig.facecolor": "white",
    "font.size": 10.0,
}


# CJK fonts for Chinese figures, the first one installed wins: Noto Sans CJK SC (fonts-noto-cjk, what
# make and binder/apt.txt install), WenQuanYi Micro Hei, and macOS's and Windows's own.
CJK_FONTS = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei"]
_CJK_FILES = {"NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "wqy-microhei.ttc"}


@functools.cache
def _cjk_fonts() -> tuple[str, ...]:
    """The CJK_FONTS matplotlib can use. A font installed after matplotlib cached its font list is
    added here (matplotlib only rebuilds that cache when a cached file disappears)."""
    from matplotlib import font_manager

    def known():
        names = {f.name for f in font_manager.fontManager.ttflist}
        return tuple(f for f in CJK_FONTS if f in names)

    if not known():
        for path in font_manager.findSystemFonts():
            if Path(path).name in _CJK_FILES:
                font_manager.fontManager.addfont(path)
    if not known():
        warnings.warn(
            f"no CJK font found ({', '.join(CJK_FONTS)}): Chinese figures will show boxes; "
            "install Debian's fonts-noto-cjk (make install does, as root)",
            stacklevel=2,
        )
    return known()


def style_for(lang: str) -> dict:
    """The rc a figure in ``lang`` draws under: ``STYLE``, plus a CJK fallback font for Chinese."""
    if lang == "en":
        return STYLE
    return {**STYLE, "font.family": ["DejaVu Sans", *_cjk_fonts()]}  # a list: each glyph from the first that has it


class StyledFigure(Figure):
    """A matplotlib Figure that draws under ``rc`` (``STYLE``, or ``style_for(lang)``): colours such as
    "C0" and font families are looked up when an artist is drawn, so the rc must hold at draw time,
    whoever triggers the draw."""

    rc = STYLE

    def draw(self, renderer):
        with mpl.rc_context(self.rc):
            return super().draw(renderer)

    def draw_artist(self, a):
        with mpl.rc_context(self.rc):
            return super().draw_artist(a)

    def draw_artists(self, artists):
        """``draw_artist`` for each, under one rc_context (entering one costs ~1 ms: a blit of ten
        artists spent 10 ms on it)."""
        with mpl.rc_context(self.rc):
            for a in artists:
                Figure.draw_artist(self, a)

    def styled(self):
        """The figure's rc while artists are made outside a draw (a legend an update rebuilds): a text
        takes its font family when made, so a Chinese figure's must see the CJK fallback. English
        ones need nothing (``STYLE`` sets no font), and an rc_context costs ~1 ms: skipped."""
        return contextlib.nullcontext() if self.rc is STYLE else mpl.rc_context(self.rc)


def step_outline(edges: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Vertices (2B + 2, 2) of a histogram drawn as one closed step polygon (one artist, not B bars)."""
    x = np.repeat(edges, 2)  # e0 e0 e1 e1 ... eB eB
    y = np.concatenate([[0.0], np.repeat(heights, 2), [0.0]])
    return np.column_stack([x, y])


class PlainLogFormatter(LogFormatterSciNotation):
    """Log-axis labels as plain numbers (0.3, 2, 500) between 10^-3 and 10^4, as powers of ten beyond."""

    def __call__(self, x, pos=None):
        label = super().__call__(x, pos)
        return f"{x:g}" if label and 1e-3 <= x < 1e4 else label


def nice_ceil(value: float, mantissas=(1, 2, 5)) -> float:
    """The smallest m·10^e (m in ``mantissas``) that is >= value: axis limits that move in brackets,
    so that most slider moves keep the axes (and are blitted) while the data still fills them."""
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"value must be a finite positive number, got {value!r}")
    e = math.floor(math.log10(value))
    for exp in (e - 1, e, e + 1):
        for m in sorted(mantissas):
            candidate = float(f"{m}e{exp}")
            if candidate >= value * (1 - 1e-12):
                return candidate
    return float(f"{min(mantissas)}e{e + 2}")  # unreachable for mantissas starting at 1


def nice_floor(value: float, mantissas=(1, 2, 5)) -> float:
    """The largest m·10^e (m in ``mantissas``) that is <= value (value > 0)."""
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"value must be a finite positive number, got {value!r}")
    e = math.floor(math.log10(value))
    for exp in (e + 1, e, e - 1):
        for m in sorted(mantissas, reverse=True):
            candidate = float(f"{m}e{exp}")
            if candidate <= value * (1 + 1e-12):
                return candidate
    return float(f"{max(mantissas)}e{e - 2}")


def set_limits(ax, xlim=None, ylim=None):
    """Set axis limits only when they change: set_xlim/set_ylim mark the figure stale even when
    the values are the same, and a stale figure is fully redrawn by pyplot after each widget event."""
    if xlim is not None and tuple(ax.get_xlim()) != tuple(map(float, xlim)):
        ax.set_xlim(*xlim)
    if ylim is not None and tuple(ax.get_ylim()) != tuple(map(float, ylim)):
        ax.set_ylim(*ylim)


def sparse_log_ticks(axis, ticks):
    """Few major ticks and no minor ones on a log axis: tick labels are most of a full draw."""
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())


_KEEP = 4  # live figures per key (a figure class): building one more closes the oldest (a lesson cell run again)
_LIVE: dict = {}


def close_figure(fig) -> None:
    """Close ``fig`` and its live canvas widget (web.py), which ipywidgets would hold until closed."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    view = getattr(fig.canvas, "view", None)
    if view is not None:
        view.close()


def styled_figure(figsize, lang: str = "en", offscreen: bool = False, key=None) -> StyledFigure:
    """A figure of ``figsize`` inches, constrained layout, drawing under ``style_for(lang)`` on a plain
    Agg canvas, outside pyplot: a figure a lesson re-creates is freed with its last reference. A live
    one (not ``offscreen``) gets its browser canvas from ``InteractiveFigure.widget`` (web.py); at
    most ``_KEEP`` live figures per ``key`` are kept (building one more closes the oldest)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rc = style_for(lang)
    with mpl.rc_context(rc):
        fig = StyledFigure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
    if not offscreen:
        live = _LIVE.setdefault(key, collections.deque())
        live.append(fig)
        while len(live) > _KEEP:
            close_figure(live.popleft())
    fig.rc = rc
    return fig
