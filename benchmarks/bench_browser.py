"""`make bench-browser`: a slider move timed where the learner feels it, in JupyterLab in Chromium.

One JupyterLab on 127.0.0.1 (the browser test's ``Server``: free port, random token, no MPLBACKEND, a
temporary copy of lessons/ as its root) and one headless Chromium (Debian's, the browser test's
arguments, every request off the machine blocked). Each figure gets two small generated notebooks, each
with its own kernel and page: its live widget at the defaults (``%matplotlib widget``), and the naive
baseline (``ipywidgets.interactive`` building ``Cls(offscreen=True, **params)`` on every change and
showing it with ``%matplotlib inline``); separate kernels, so that neither fills the other's caches.
The lessons themselves are not run. For every enabled slider of every figure:

  single move  ArrowRight / ArrowLeft on the focused handle (the value stays near the default), a wait
               for quiet between moves: input -> first canvas paint, input -> last paint before
               300 ms of quiet (median and p95), and the bytes the kernel's websocket brought per move
               (split by whether the kernel blitted or drew in full, counted by a draw_event hook);
  drag         a continuous mouse drag of the handle (a move every ~16 ms, out and back; out only for a
               slider that sends its value on release, then back unmeasured): pointer events sent, values
               the figure's update handled (and, in the JSON, every widget value change the kernel saw:
               a value the figure snaps to its grid comes back once more), frames painted per second
               during the drag, and the lag from the last input (mouse up) to the last paint;
  baseline     the same moves and drag on the baseline, interleaved move by move with the figure's;
               its frames are the ``load`` events of the <img> elements its output area gets.
  values       the drag's "paints/values": frames painted during the drag against the values the slider
               showed on the way (its readout's changes), the most frames the drag could paint: a slider
               of 37 values crosses about 22 of them in the default drag (0.3 of the track, out and
               back), 7 per second whatever the pipeline. --drag-span 0.9 --drag-passes 2 asks more;
  alternative  --precomputed FIGURE.CONTROL also measures that slider as benchmarks/precomputed_widget.py
               draws it: the figure's curves over the slider's grid computed once and drawn in the
               browser (an anywidget), no kernel in the loop; its row is marked [browser-drawn]. The
               prototype whose numbers chose the figures' live canvas (theory_lib/figures/web.py), kept
               to compare with it.

Times are the page's own (``performance.now()`` in an init script wrapping ``drawImage`` and
``putImageData``, and capturing keydown and pointer events); nothing is screenshotted. It reports and
asserts nothing. Figures that update on release only (training runs) get a quarter of the moves.

    python benchmarks/bench_browser.py [--only softmax] [--moves 30] [--drag-seconds 3] [--json out.json]
                                       [--skip-baseline] [--drag-span 0.3] [--drag-passes 1]
                                       [--precomputed smoothing.SmoothFunctionFigure.k]
    python benchmarks/bench_browser.py --table out.json     # the table of a saved run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

# tests.browser (the browser test's machinery); appended, so that a PYTHONPATH (a clean copy of a commit)
# decides which theory_lib this process and the kernels import.
sys.path.append(str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MPLBACKEND", "Agg")  # this process only lists the figures; the server drops it

from browser_measure import NotebookPage  # noqa: E402
from browser_page import start_lab, write_notebooks  # noqa: E402

import tests.browser.session as _session  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

QUIET_MS = 300  # a canvas is steady once it has not painted for this long (and the kernel is idle)
REPO = Path(__file__).resolve().parents[1]  # this checkout (tests.browser.ROOT is PYTHONPATH's copy, if one is set)
OUT = REPO / "artifacts" / "bench-browser"
_session.ARTIFACTS = OUT  # Session keeps its per-notebook folder here, not among the browser test's artifacts


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else None


def _stats(values) -> dict:
    values = [v for v in values if v is not None]
    return {"median": statistics.median(values) if values else None, "p95": percentile(values, 0.95), "n": len(values)}


def _ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def bench_control(
    pages: dict[str, NotebookPage], index: int, moves: int, drag_s: float, continuous: bool, drag: dict
) -> dict:
    """Single moves (figure, baseline and alternative interleaved), then a drag of each, on one slider
    (``drag``: span and passes, see ``NotebookPage.drag``). A slider that sends its value on release only
    (``continuous`` False) is dragged out and not back."""
    targets = list(pages)
    controls = {t: pages[t].control(index) for t in targets}
    seen = {t: pages[t].counts() for t in targets}  # start from zero
    singles = {t: [] for t in targets}
    nxt = dict.fromkeys(targets)
    for _ in range(moves):
        for t in targets:
            keys = ("ArrowRight", "ArrowLeft") if nxt[t] is None else (nxt[t],)
            move = pages[t].single_move(controls[t], keys)
            if move is None:  # at an end of the range: try both keys next time
                nxt[t] = None
                continue
            singles[t].append(move)
            nxt[t] = "ArrowLeft" if move["key"] == "ArrowRight" else "ArrowRight"
    seen = {t: pages[t].counts() for t in targets}
    row = {}
    for t in targets:
        ms = singles[t]
        row[t] = {
            "moves": len(ms),
            "timeouts": sum(m["timeout"] for m in ms),
            "first_paint_ms": _stats(m["first_ms"] for m in ms),
            "steady_ms": _stats(m["steady_ms"] for m in ms),
            "paints_per_move": _stats(m["paints"] for m in ms),
            "bytes_per_move": _stats(m["bytes"] for m in ms),
            "kernel_values": seen[t][f"{t}_values"],
            "kernel_updates": len(seen[t][t]),
            "raw": ms,
        }
    fig_updates = seen["fig"]["fig"]
    if len(fig_updates) == len(singles["fig"]):  # one update per move: which were blitted, which drawn in full
        full = [m["bytes"] for m, u in zip(singles["fig"], fig_updates, strict=True) if u[1]]
        blit = [m["bytes"] for m, u in zip(singles["fig"], fig_updates, strict=True) if not u[1]]
        row["fig"]["bytes_per_blit"], row["fig"]["bytes_per_full_draw"] = _stats(blit), _stats(full)
    else:
        row["fig"]["note"] = f"{len(singles['fig'])} moves but {len(fig_updates)} updates in the kernel"
    for t in targets:
        measured = pages[t].drag(controls[t], drag_s, back=continuous, **drag)
        seen = pages[t].counts()
        pages[t].undo_drag()
        measured["kernel_values"], measured["kernel_updates"] = seen[f"{t}_values"], len(seen[t])
        row[t]["drag"] = measured
    if "base" in row:
        base = row["base"]
        for t in set(targets) - {"base"}:
            row[t]["ratio_first_paint"] = _ratio(row[t]["first_paint_ms"]["median"], base["first_paint_ms"]["median"])
            row[t]["ratio_drag_lag"] = _ratio(row[t]["drag"]["lag_ms"], base["drag"]["lag_ms"])
        row["ratio_first_paint"], row["ratio_drag_lag"] = row["fig"]["ratio_first_paint"], row["fig"]["ratio_drag_lag"]
    return row


COLUMNS = (
    ("figure.control", 52),
    ("1st paint med/p95", 18),
    ("steady med/p95", 16),
    ("drag fps", 8),
    ("drag lag", 9),
    ("updates/inputs", 14),
    ("paints/values", 13),
    ("bytes/move", 11),
    ("base move med", 13),
    ("base drag lag", 13),
    ("ratio move|lag", 14),
)


def _alternative(row: dict) -> dict:
    """A control's row with the browser-drawn alternative in the figure's place (same baseline)."""
    pre = row["pre"]
    return {**row, "fig": pre, **{k: pre.get(k) for k in ("ratio_first_paint", "ratio_drag_lag")}}


def _f(v, unit="", digits=0):
    return "-" if v is None else f"{v:.{digits}f}{unit}"


def _line(cells) -> str:
    widths = [w for _, w in COLUMNS]
    return " ".join(f"{c:{'<' if i == 0 else '>'}{w}s}" for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def format_row(label: str, row: dict) -> str:
    if "error" in row:
        return f"{label:52s} ERROR: {row['error']}"
    if "skipped" in row:
        return f"{label:52s} skipped: {row['skipped']}"
    fig, base = row["fig"], row.get("base")
    fp, st, drag = fig["first_paint_ms"], fig["steady_ms"], fig["drag"]
    cells = [
        label,
        f"{_f(fp['median'])}/{_f(fp['p95'])} ms",
        f"{_f(st['median'])}/{_f(st['p95'])} ms",
        _f(drag["fps"], "", 1),
        _f(drag["lag_ms"], " ms"),
        f"{drag['kernel_updates']}/{drag['pointer_moves']}",  # values the figure handled / pointer moves sent
        f"{drag['paints']}/{drag.get('crossed', '-')}",  # frames painted during the drag / values the slider showed
        _f(fig["bytes_per_move"]["median"] and fig["bytes_per_move"]["median"] / 1024, " kB", 1),
        _f(base and base["first_paint_ms"]["median"], " ms"),
        _f(base and base["drag"]["lag_ms"], " ms"),
        f"{_f(row.get('ratio_first_paint'), '', 2)}|{_f(row.get('ratio_drag_lag'), '', 2)}",
    ]
    return _line(cells)


def _git(cwd: Path, *argv) -> str:
    try:
        return subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict:
    """The machine, its load, and which theory_lib is timed: the commit of the checkout it comes from (this
    one, or a worktree on PYTHONPATH) and its uncommitted changes."""
    import theory_lib

    where = Path(theory_lib.__file__).resolve().parent
    return {
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "commit": _git(where.parent, "rev-parse", "--short", "HEAD") or "unknown (a copy outside git)",
        "bench_commit": _git(REPO, "rev-parse", "--short", "HEAD"),
        "theory_lib": str(where),
        "theory_lib_uncommitted": _git(where.parent, "status", "--porcelain", "--", "theory_lib").splitlines(),
        "python": platform.python_version(),
    }


def header(info: dict, moves: int, drag_s: float) -> str:
    changed = len(info["theory_lib_uncommitted"])
    columns = _line([h for h, _ in COLUMNS])
    return (
        f"# browser slider benchmark · {info['machine']} · {info['cores']} cores · load average "
        f"{' '.join(map(str, info['load_start']))} at start · commit {info['commit']} · Chromium "
        f"{info.get('chromium', '?')} · {moves} moves (a quarter for figures that update on release), "
        f"{drag_s:g} s drags, steady = {QUIET_MS} ms without a paint\n"
        f"# theory_lib from {info['theory_lib']}" + (f": {changed} uncommitted change(s)" if changed else "") + "\n"
        f"{columns}\n{'-' * len(columns)}"
    )


def footer(result: dict) -> str:
    info = result["machine"]
    return (
        f"# load average {' '.join(map(str, info['load_end']))} at the end · {info['cores']} cores · "
        f"total {result['total_s']:.0f} s"
    )


def print_table(path: str):
    """The table of a saved run (its --json file)."""
    result = json.loads(Path(path).read_text())
    print(header(result["machine"], result["args"]["moves"], result["args"]["drag_seconds"]))
    for name, entry in result["figures"].items():
        if "error" in entry:
            print(format_row(name, entry))
        for control, row in entry["controls"].items():
            print(format_row(f"{name}.{control}", row))
            if "pre" in row:
                print(format_row(f"{name}.{control} [browser-drawn]", _alternative(row)))
    print(footer(result))


# Issue 17's targets for a figure that updates while dragged: a single move paints within 50 ms (median) and
# 100 ms (p95); a drag paints every value the slider crossed, or at least 20 frames/s; the last paint
# comes within 100 ms of the release, and at most a fifth of the naive baseline's lag after it.
TARGETS = {"first_median_ms": 50, "first_p95_ms": 100, "fps": 20, "lag_ms": 100, "lag_ratio": 0.2}


def verdict(row: dict, base_lag: float | None = None) -> str:
    """Which of issue 17's targets one slider's row misses ("meets" when none), for the markdown table.

    A run without the baseline is held to ``base_lag``, the baseline's drag lag from another run."""
    if "error" in row or "skipped" in row:
        return "-"
    fig, t, misses = row["fig"], TARGETS, []
    fp, drag = fig["first_paint_ms"], fig["drag"]
    if fp["median"] is None or fp["median"] > t["first_median_ms"]:
        misses.append("median")
    if fp["p95"] is None or fp["p95"] > t["first_p95_ms"]:
        misses.append("p95")
    crossed = drag.get("crossed")
    if drag["fps"] is None or (drag["fps"] < t["fps"] and (crossed is None or drag["paints"] < crossed)):
        misses.append("frames")
    if drag["lag_ms"] is None or drag["lag_ms"] > t["lag_ms"]:
        misses.append("lag")
    ratio = row.get("ratio_drag_lag")
    if ratio is None and "base" not in row and base_lag and drag["lag_ms"] is not None:
        ratio = drag["lag_ms"] / base_lag
    if ratio is not None and ratio > t["lag_ratio"]:
        misses.append("vs baseline")
    return "meets" if not misses else "misses " + ", ".join(misses)


def print_markdown(paths: list[str]):
    """One markdown table of saved runs side by side (the README's maintainer notes link to it)."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    numbers = [m.group(1) if (m := re.search(r"-run(\d+)\.json$", p)) else str(i + 1) for i, p in enumerate(paths)]
    labels = [f"run {n} ({r['machine']['commit']})" for n, r in zip(numbers, runs, strict=True)]
    for label, r in zip(labels, runs, strict=True):
        m = r["machine"]
        print(
            f"- {label}: {r['args']['moves']} moves per slider, {r['args']['drag_seconds']:g} s drags, "
            f"baseline {'no' if r['args']['skip_baseline'] else 'yes'}, load average "
            f"{' '.join(map(str, m['load_start']))} at start and {' '.join(map(str, m.get('load_end', [])))} at "
            f"the end, {r['total_s'] / 60:.0f} min"
        )
    rows: dict[str, list] = {}
    for i, r in enumerate(runs):
        for name, entry in r["figures"].items():
            for control, row in entry["controls"].items():
                rows.setdefault(f"{name}.{control}", [None] * len(runs))[i] = (row, entry["continuous"])
    head = ["figure.control"]
    for label in labels:
        head += [f"1st paint med/p95, {label}", f"drag: fps, lag, painted/crossed, {label}", f"targets, {label}"]
    head += ["baseline: move, drag lag", "lag ÷ baseline's (first run with it)"]
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    base_lags = {}  # the baseline's drag lag per slider, from the first run that measured it
    for label, per_run in rows.items():
        cells = [label]
        base = next((got[0] for got in per_run if got is not None and got[0].get("base")), None)
        base_lag = base_lags[label] = base["base"]["drag"]["lag_ms"] if base is not None else None
        for got in per_run:
            if got is None or "fig" not in got[0]:
                why = "-" if got is None else got[0].get("skipped") or got[0].get("error", "-")[:40]
                cells += [why, "", ""]
                continue
            row, continuous = got
            fp, d = row["fig"]["first_paint_ms"], row["fig"]["drag"]
            cells.append(f"{_f(fp['median'])}/{_f(fp['p95'])} ms")
            cells.append(f"{_f(d['fps'], '', 1)} fps, {_f(d['lag_ms'], ' ms')}, {d['paints']}/{d.get('crossed', '-')}")
            cells.append(verdict(row, base_lag) if continuous else "on release")
        if base is not None:
            b = base["base"]
            cells.append(f"{_f(b['first_paint_ms']['median'], ' ms')}, {_f(b['drag']['lag_ms'], ' ms')}")
            cells.append(_f(base.get("ratio_drag_lag"), "", 2))
        else:
            cells += ["-", "-"]
        print("| " + " | ".join(cells) + " |")
    for i, label in enumerate(labels):
        live = [(name, got[0]) for name, per_run in rows.items() if (got := per_run[i]) is not None and got[1]]
        measured = [(name, row) for name, row in live if "fig" in row]
        meets = [name for name, row in measured if verdict(row, base_lags[name]) == "meets"]
        print(
            f"\n{label}: {len(meets)} of {len(measured)} sliders that update while dragged meet every target"
            f" ({len(live) - len(measured)} not measured)"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="only figures whose name contains this (or one of a,b,c)")
    parser.add_argument("--moves", type=int, default=30, help="single moves per slider (default 30)")
    parser.add_argument("--drag-seconds", type=float, default=3.0, help="length of each drag (default 3 s)")
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument("--skip-baseline", action="store_true", help="measure the figures only")
    parser.add_argument("--table", default="", metavar="JSON", help="only print the table of a saved run")
    parser.add_argument(
        "--markdown", default="", metavar="JSON[,JSON]", help="only print saved runs side by side as a markdown table"
    )
    parser.add_argument("--drag-span", type=float, default=0.3, help="fraction of the track a drag covers (0.3)")
    parser.add_argument("--drag-passes", type=int, default=1, help="out-and-back passes per drag (default 1)")
    parser.add_argument(
        "--precomputed",
        action="append",
        default=[],
        metavar="FIGURE.CONTROL",
        help="also measure the browser-drawn alternative of this slider (benchmarks/precomputed_widget.py)",
    )
    args = parser.parse_args()
    if args.table:
        return print_table(args.table)
    if args.markdown:
        return print_markdown(args.markdown.split(","))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill PID` stops the server and browser too
    if not CHROMIUM.exists():
        sys.exit(f"bench-browser: {CHROMIUM} is missing (apt-get install chromium; `make browser` does it as root)")
    from playwright.sync_api import sync_playwright

    from theory_lib.figures import figure_classes

    started = time.monotonic()
    classes = {n: c for n, c in sorted(figure_classes().items()) if any(s in n for s in args.only.split(","))}
    pre = dict(p.rsplit(".", 1) for p in args.precomputed)  # figure: control
    drag = {"span": args.drag_span, "passes": args.drag_passes}
    info = machine()
    result = {"machine": info, "args": vars(args), "figures": {}}
    baseline = not args.skip_baseline
    workdir = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    lab = pw = browser = None
    try:
        notebooks = write_notebooks(workdir, list(classes), baseline, pre)
        lab = start_lab(workdir)
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        info["chromium"] = browser.version
        print(header(info, args.moves, args.drag_seconds), flush=True)
        for name, cls in classes.items():
            t0 = time.monotonic()
            moves = args.moves if cls.continuous else max(2, args.moves // 4)
            timeout_s = 60 if cls.continuous else 300  # a training run takes seconds per update
            entry = result["figures"][name] = {"continuous": cls.continuous, "moves": moves, "controls": {}}
            pages = {}
            try:
                for target, notebook in notebooks[name].items():  # the figure, then its baseline: a kernel each
                    pages[target] = NotebookPage(browser, lab, notebook, target, QUIET_MS, timeout_s)
                    entry[f"open_{target}_s"] = round(pages[target].open(), 1)
                for index, control in enumerate(cls.controls):
                    label = f"{name}.{control}"
                    try:
                        kind = NotebookPage.movable(pages["fig"].control(index))
                        if kind != "slider":  # a Dropdown or Text is not moved; a disabled slider is noted
                            if kind == "disabled":
                                entry["controls"][control] = row = {"skipped": "disabled at the defaults"}
                                print(format_row(label, row), flush=True)
                            continue
                        measured = pages if pre.get(name) == control else {t: p for t, p in pages.items() if t != "pre"}
                        row = bench_control(measured, index, moves, args.drag_seconds, cls.continuous, drag)
                    except Exception as err:  # report it and go on with the next control
                        row = {"error": f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"}
                        traceback.print_exc(file=sys.stderr)
                    entry["controls"][control] = row
                    print(format_row(label, row), flush=True)
                    if "pre" in row:  # the alternative's row, against the same baseline
                        print(format_row(f"{label} [browser-drawn]", _alternative(row)), flush=True)
                entry["console_errors"] = [line for page in pages.values() for line in page.session.console]
            except Exception as err:  # the notebook did not open or run: one error row, then the next figure
                entry["error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"
                traceback.print_exc(file=sys.stderr)
                print(format_row(name, entry), flush=True)
            finally:
                for page in pages.values():
                    page.close()
                entry["seconds"] = round(time.monotonic() - t0, 1)
    finally:
        if browser is not None:
            browser.close()
        if pw is not None:
            pw.stop()
        if lab is not None:
            lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        info["load_end"] = [round(x, 2) for x in os.getloadavg()]
        result["total_s"] = round(time.monotonic() - started, 1)
        print(footer(result), flush=True)
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
