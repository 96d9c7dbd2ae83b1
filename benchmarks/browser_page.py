"""What `make bench-browser` puts in the browser and in the kernel: the notebooks, the server, the page recorder.

- ``write_notebooks``: a temporary copy of lessons/ (the server's root, as in the browser test) with two
  small notebooks per figure: the figure's live widget (``%matplotlib widget``) and (unless skipped) the naive
  baseline, ``ipywidgets.interactive`` rebuilding ``Cls(offscreen=True, **params)`` on every change and
  showing it with ``%matplotlib inline``;
- ``start_lab``: JupyterLab on 127.0.0.1 with the browser test's ``Server`` (free port, random token,
  no MPLBACKEND);
- ``RECORDER``: the page's init script. It wraps ``CanvasRenderingContext2D.drawImage`` and
  ``putImageData`` and records ``performance.now()`` per call on a canvas in the document (ipympl paints
  each frame with ``drawImage`` from its offscreen canvas onto the figure's canvas), records the ``load``
  of every ``<img>`` inside a baseline (its frames), and the time of every keydown and pointer event
  (captured on window). ``wait`` resolves once a target has painted since a time and then stayed quiet
  with the kernel idle and no figure busy (a figure that trains computes in a worker thread, its hidden
  state marked "busy", painting previews); every wait in it is bounded.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.browser.servers import Server, lab_server, prepare_workdir

BASELINE_CLASS = "tl-bench-baseline"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# JupyterLab user settings, as the browser test's workdir: no autosave, every cell in the DOM, no pop-ups.
# The kernel keeps, per figure, one entry per update ([params, full draws that followed]) and the number of
# widget value changes it observed; for the baseline, one entry per rebuild and its value changes.
SETUP = """\
from IPython.display import display
from theory_lib.figures import figure_classes
Cls = figure_classes()[{name!r}]
_bench = {{"fig": [], "base": [], "pre": [], "fig_values": 0, "base_values": 0, "pre_values": 0}}
def _bench_count(key):
    def count(change):
        _bench[key] += 1
    return count"""

FIGURE = """\
get_ipython().run_line_magic("matplotlib", "widget")
_bench_fig = Cls()
def _bench_update(_orig=_bench_fig.update, **params):
    _bench["fig"].append([repr(params), 0])
    return _orig(**params)
def _bench_drawn(event):
    if _bench["fig"]:
        _bench["fig"][-1][1] += 1
_bench_fig.update = _bench_update  # the widget's handler calls self.update: this instance's, counted
_bench_fig.fig.canvas.mpl_connect("draw_event", _bench_drawn)
_bench_box = _bench_fig.widget()
for _c in _bench_box.children[0].children:
    _c.observe(_bench_count("fig_values"), names="value")
display(_bench_box)"""

# The naive way, in a notebook (and kernel) of its own: every change builds the figure from scratch and
# the inline backend shows it as a PNG.
BASELINE = """\
get_ipython().run_line_magic("matplotlib", "inline")
import ipywidgets as _w
def _bench_naive(**params):
    _bench["base"].append(repr(params))
    fig = Cls(offscreen=True, **params)
    display(fig.fig)
    fig.close()
_bench_controls = {{}}
for _name, _spec in Cls.controls.items():
    _c = _spec.widget(_name)
    if hasattr(_c, "continuous_update"):
        _c.continuous_update = Cls.continuous  # as the figure's own sliders
    _c.observe(_bench_count("base_values"), names="value")
    _bench_controls[_name] = _c
_bench_base = _w.interactive(_bench_naive, **_bench_controls)
_bench_base.add_class({cls!r})
display(_bench_base)"""

# The alternative (``--precomputed``): one slider's curves computed here once and drawn in the browser
# (benchmarks/precomputed_widget.py); every index the kernel hears of counts as an update.
PRECOMPUTED = """\
import sys
sys.path.insert(0, {benchmarks!r})
from precomputed_widget import precomputed
_bench_pre = precomputed(Cls, {control!r})
def _bench_pre_index(change):
    _bench["pre"].append(change["new"])
    _bench["pre_values"] += 1
_bench_pre.observe(_bench_pre_index, names="index")
display(_bench_pre)"""


def _cell(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"jupyter": {"source_hidden": True}},  # outputs only: the whole widget in view
        "outputs": [],
        "source": source,
    }


def write_notebooks(
    workdir: Path, names: list[str], baseline: bool, precomputed: dict[str, str] | None = None
) -> dict[str, dict[str, Path]]:
    """Copy lessons/ to ``workdir``/lessons, write JupyterLab's settings and, per figure, its notebook ("fig"),
    its baseline's ("base") and, for a figure in ``precomputed`` (name: control), the alternative's ("pre")."""
    lessons = prepare_workdir(workdir) / "lessons"
    out = {}
    for i, name in enumerate(names):
        out[name] = {}
        cells = [("fig", FIGURE), ("base", BASELINE.format(cls=BASELINE_CLASS))][: 2 if baseline else 1]
        if name in (precomputed or {}):
            here = str(Path(__file__).resolve().parent)
            cells.append(("pre", PRECOMPUTED.format(benchmarks=here, control=precomputed[name])))
        for target, cell in cells:
            nb = {
                "cells": [dict(_cell(c), id=f"bench{i}-{k}") for k, c in enumerate([SETUP.format(name=name), cell])],
                "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
            out[name][target] = lessons / f"bench-{i:02d}-{target}-{name.replace('.', '-')}.ipynb"
            out[name][target].write_text(json.dumps(nb, indent=1))
    return out


def start_lab(workdir: Path) -> Server:
    """JupyterLab on ``workdir``/lessons, as the browser test's ``lab`` fixture starts it."""
    return lab_server(workdir)


RECORDER = """
(() => {
  if (window.__bench) return;
  const B = (window.__bench = { paints: [], inputs: [], n: 0, lastPaint: {} });
  const tag = (el) => el.__benchId || (el.__benchId = ++B.n);
  B.tag = tag;
  for (const name of ['drawImage', 'putImageData']) {
    const orig = CanvasRenderingContext2D.prototype[name];
    CanvasRenderingContext2D.prototype[name] = function (...args) {
      const c = this.canvas;  // an offscreen canvas is not in the document: not a paint
      if (c && c.isConnected) {
        // one frame may take two calls in one task (a strip's base, then its layer: web.js): count it once
        const now = performance.now(), id = tag(c), prev = B.lastPaint[id];
        B.lastPaint[id] = now;
        if (prev === undefined || now - prev >= 1) B.paints.push([id, now]);
      }
      return orig.apply(this, args);
    };
  }
  const loaded = (img) => {  // a baseline frame: an <img> put into the baseline's output area
    const box = img.closest('.BASELINE');
    if (box) B.paints.push([tag(box), performance.now()]);
  };
  const watch = (img) => {
    if (img.__benchSeen) return;
    img.__benchSeen = true;
    if (img.complete && img.naturalWidth) loaded(img);
    else img.addEventListener('load', () => loaded(img), { once: true });
  };
  new MutationObserver((records) => {
    for (const r of records)
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.tagName === 'IMG') watch(n);
        else n.querySelectorAll('img').forEach(watch);
      }
  }).observe(document, { childList: true, subtree: true });
  for (const type of ['keydown', 'pointerdown', 'pointermove', 'pointerup'])
    window.addEventListener(type, () => B.inputs.push([type, performance.now()]), { capture: true });
  B.last = (type) => {
    for (let i = B.inputs.length - 1; i >= 0; i--) if (B.inputs[i][0] === type) return B.inputs[i][1];
    return null;
  };
  B.since = (id, t0, t1) => B.paints.filter((p) => p[0] === id && p[1] > t0 && p[1] <= t1).map((p) => p[1]);
  const idle = () => {  // the kernel idle, and no figure computing a setting in a worker thread ("busy" state)
    const p = window.__tlPanel;
    const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
    const busy = [...document.querySelectorAll('.tl-figure-state')].some((s) => s.textContent.includes('"busy"'));
    return (!k || k.status === 'idle') && !busy;
  };
  // Resolves when `id` (null: any canvas or baseline) painted after t0 (unless needPaint is false) and has
  // then been quiet for `quiet` ms with the kernel idle (window.__tlIdleAt: Session.watch_kernel); or after
  // `timeout` ms, flagged.
  B.wait = (id, t0, quiet, timeout, needPaint) =>
    new Promise((resolve) => {
      const start = performance.now();
      const tick = () => {
        const now = performance.now();
        const ts = B.paints.filter((p) => (id === null || p[0] === id) && p[1] > t0).map((p) => p[1]);
        const lastAt = ts.length ? ts[ts.length - 1] : start;
        // quiet since the last paint and since the kernel last went idle (a full draw is asked for by then)
        const done = (ts.length || !needPaint) && now - Math.max(lastAt, window.__tlIdleAt || 0) >= quiet && idle();
        if (done || now - start > timeout)
          return resolve({ first: ts.length ? ts[0] : null, last: ts.length ? lastAt : null, n: ts.length,
                           timeout: !done });
        setTimeout(tick, 15);
      };
      tick();
    });
})();
""".replace("BASELINE", BASELINE_CLASS)
