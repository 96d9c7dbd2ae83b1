"""The alternative `make bench-browser --precomputed` measures: a figure's curves drawn in the browser.

Issue 17 asks what a slider move costs when the kernel is not in the loop at all. ``precomputed(cls,
control)`` evaluates the figure's ``draw`` once per value of one slider's grid (every other parameter
at its default) and keeps, per value, the data of every moving line; the static part (axes, ticks,
labels, legends) is the figure's own cached background, one PNG. ``PrecomputedFigure`` (an
anywidget: a canvas, a native range input and the readout) sends all of it once, as float32 buffers,
and on every input event draws the background and the lines of the chosen value itself, in the same
task: no websocket, no kernel, no PNG per frame. The value still reaches the kernel (``index``), but
nothing waits for it.

A prototype for one measurement, not a figure layer: it draws Line2D artists only (a figure whose
moving texts, patches or images change with the slider is refused), with matplotlib's colour, width
and dash pattern, clipped to the axes.
"""

from __future__ import annotations

import io

import anywidget
import matplotlib as mpl
import numpy as np
import traitlets
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from PIL import Image

from theory_lib.figures.style import STYLE

_ESM = r"""
function render({ model, el }) {
  const [w, h] = model.get("size");
  const ratio = model.get("ratio");
  const axes = model.get("axes"), lines = model.get("lines"), labels = model.get("labels");
  const readouts = model.get("readouts");
  const data = new Float32Array(model.get("data").buffer.slice(0));  // (values, points) per line, packed
  const canvas = document.createElement("canvas");
  canvas.width = w; canvas.height = h;
  canvas.style.width = `${w / ratio}px`; canvas.style.height = `${h / ratio}px`;
  const ctx = canvas.getContext("2d");
  const row = document.createElement("div");
  const input = Object.assign(document.createElement("input"),
    { type: "range", min: 0, max: labels.length - 1, step: 1, value: model.get("index") });
  input.style.width = "420px";
  input.addEventListener("keydown", (e) => e.stopPropagation());  // arrows move the slider, not JupyterLab's cells
  const label = document.createElement("span");
  const readout = document.createElement("div");
  row.append(model.get("name") + " ", input, " ", label);
  el.classList.add("tl-precomputed");
  el.dataset.lmSuppressShortcuts = "true";
  el.append(row, canvas, readout);
  const bg = new Image();
  const url = URL.createObjectURL(new Blob([model.get("background").buffer], { type: "image/png" }));
  const project = (v, lo, hi, a, b, log) => log
    ? a + (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) * (b - a)
    : a + (v - lo) / (hi - lo) * (b - a);
  const paint = (k) => {
    ctx.clearRect(0, 0, w, h);  // the background is transparent around the axes
    ctx.drawImage(bg, 0, 0);
    for (const line of lines) {
      const ax = axes[line.axes], [x0, y0, x1, y1] = ax.box;
      const n = line.points, off = line.offset + k * 2 * n;
      ctx.save();
      ctx.beginPath(); ctx.rect(x0, y0, x1 - x0, y1 - y0); ctx.clip();
      ctx.strokeStyle = line.color; ctx.lineWidth = line.width; ctx.setLineDash(line.dash);
      ctx.lineJoin = "round"; ctx.lineCap = line.dash.length ? "butt" : "round";
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < n; i++) {
        const x = data[off + i], y = data[off + n + i];
        if (!Number.isFinite(x) || !Number.isFinite(y) || (ax.ylog && y <= 0)) { pen = false; continue; }
        const px = project(x, ax.xlim[0], ax.xlim[1], x0, x1, ax.xlog);
        const py = project(y, ax.ylim[0], ax.ylim[1], y1, y0, ax.ylog);
        if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
      ctx.restore();
    }
    label.textContent = labels[k];
    readout.innerHTML = readouts[k];
  };
  bg.onload = () => paint(Number(input.value));
  bg.src = url;
  input.addEventListener("input", () => {
    const k = Number(input.value);
    paint(k);  // in the input event's own task: the frame does not wait for anything
    model.set("index", k);
    model.save_changes();
  });
  return () => URL.revokeObjectURL(url);
}
export default { render };
"""


class PrecomputedFigure(anywidget.AnyWidget):
    """A canvas, a range input over a slider's grid and a readout; everything drawn in the browser."""

    _esm = _ESM
    name = traitlets.Unicode().tag(sync=True)
    size = traitlets.List().tag(sync=True)  # canvas pixels (width, height)
    ratio = traitlets.Float(1.0).tag(sync=True)  # canvas pixels per CSS pixel
    background = traitlets.Bytes().tag(sync=True)  # PNG: the figure without its moving artists
    axes = traitlets.List().tag(sync=True)  # per axes: box (pixels from the top left), xlim, ylim, xlog, ylog
    lines = traitlets.List().tag(sync=True)  # per line: axes, color, width, dash, points, offset
    data = traitlets.Bytes().tag(sync=True)  # float32: per line, per value, x then y
    labels = traitlets.List().tag(sync=True)
    readouts = traitlets.List().tag(sync=True)
    index = traitlets.Int().tag(sync=True)


def _colour(colour) -> str:
    """A line's colour as the figure draws it: "C1" is the house palette's second colour, not matplotlib's."""
    with mpl.rc_context(STYLE):
        return to_hex(colour)


def precomputed(cls, control: str, dpi: float = 100.0) -> PrecomputedFigure:
    """``cls``'s figure at its defaults, with ``control`` over its whole grid, as a PrecomputedFigure."""
    spec = cls.controls[control]
    values = list(spec.grid())
    figure = cls(offscreen=True, dpi=dpi)
    lines = [a for a in figure._dynamic if isinstance(a, Line2D)]
    others = [a for a in figure._dynamic if not isinstance(a, Line2D)]
    series, readouts, frozen = [], [], None
    for v in values:
        figure.update(**{control: v})
        signature = figure._static_signature()
        if frozen is not None and signature != frozen:
            raise ValueError(f"{cls.__name__}: {control} = {v} changes the axes; the background would be stale")
        frozen = signature
        if any(a.get_visible() and getattr(a, "get_text", lambda: "")() for a in others):
            raise ValueError(f"{cls.__name__}: a moving text at {control} = {v}; only lines are drawn here")
        series.append([np.asarray(line.get_data(), dtype=np.float32) for line in lines])
        readouts.append(figure.readout)
    figure.update(**{control: spec.value})
    shown = [a.get_visible() for a in figure._dynamic]
    for artist in figure._dynamic:  # the static part only (legend handles are copies: they stay)
        artist.set_visible(False)
    figure.fig.canvas.draw()
    for artist, visible in zip(figure._dynamic, shown, strict=True):
        artist.set_visible(visible)
    pixels = np.asarray(figure.fig.canvas.buffer_rgba())
    height = pixels.shape[0]
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="png")
    axes_index = {ax: i for i, ax in enumerate(figure.fig.axes)}
    axes = []
    for ax in figure.fig.axes:
        x0, y0, x1, y1 = ax.bbox.extents
        axes.append(
            {
                "box": [float(x0), float(height - y1), float(x1), float(height - y0)],
                "xlim": [float(v) for v in ax.get_xlim()],
                "ylim": [float(v) for v in ax.get_ylim()],
                "xlog": ax.get_xscale() == "log",
                "ylog": ax.get_yscale() == "log",
            }
        )
    scale = dpi / 72.0
    chunks, meta, offset = [], [], 0
    for i, line in enumerate(lines):
        n = max(len(s[i][0]) for s in series)
        block = np.full((len(values), 2, n), np.nan, dtype=np.float32)
        for k, s in enumerate(series):
            block[k, :, : s[i].shape[1]] = s[i]
        _, dash = line._dash_pattern  # (offset, on-off sequence in points, scaled by the width) or None
        meta.append(
            {
                "axes": axes_index[line.axes],
                "color": _colour(line.get_color()),
                "width": line.get_linewidth() * scale,
                "dash": [] if dash is None else [d * scale for d in dash],
                "points": n,
                "offset": offset,
                "visible": bool(line.get_visible()),
            }
        )
        chunks.append(block.ravel())
        offset += block.size
    figure.close()
    return PrecomputedFigure(
        name=spec.label or control,
        size=[int(pixels.shape[1]), int(height)],
        background=png.getvalue(),
        axes=axes,
        lines=[m for m in meta if m["visible"]],
        data=np.concatenate(chunks).tobytes(),
        labels=[f"{v:g}" for v in values],
        readouts=readouts,
        index=values.index(spec.value),
    )
