"""`make bench`: how long one slider move takes, for every figure of every lesson.

For each registered figure, a fixed random walk of slider moves (one control at a time, values
from the control's own sweep samples, snapped to the slider's grid as the browser sends them) is
replayed twice, interleaved move by move:
  update  - the figure's own path: figure.update(**move) (compute + in-place redraw on Agg)
  rebuild - the naive path: a new figure with the same parameters, fully drawn, then closed
and the table gives the median and p95 of each and the ratio rebuild/update of the medians.
Issue 17's target for a figure that updates while dragged: a median update within 20 ms and a p95
within 100 ms, full draws included, on a 2-core CPU (figures that train on release are exempt: they
show progress instead). This reports; it asserts nothing.

    python benchmarks/bench_figures.py [--moves 40] [--only softmax] [--by-control] [--json out.json]

--by-control adds, under each figure, the median update per control: a text box or a control
that changes the axes' limits costs a full draw, while a slider within the same axes is blitted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from theory_lib.figures import figure_classes  # noqa: E402

MEDIAN_MS, P95_MS = 20, 100  # issue 17's targets for one update in the kernel


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def on_grid(spec, value):
    """The value a learner's slider can send nearest ``value``: the slider's own step from its minimum
    (the sweeps' samples are uniform floats, which a browser slider never sends)."""
    if not hasattr(spec, "grid_step") or hasattr(spec, "grid") or isinstance(value, str):
        return value  # a log slider samples its grid already; choices and texts are what they are
    step = spec.grid_step()
    snapped = min(spec.max, spec.min + round((value - spec.min) / step) * step)
    return int(round(snapped)) if spec.integer else round(snapped, 12)


def random_walk(cls, moves: int, seed: int = 0):
    """A reproducible sequence of single-control moves on the sliders' grids, like a learner dragging sliders."""
    rng = random.Random(seed)
    names = list(cls.controls)
    walk = []
    for _ in range(moves):
        name = rng.choice(names)
        spec = cls.controls[name]
        walk.append({name: on_grid(spec, rng.choice(spec.samples(rng, 3)))})
    return walk


def bench_figure(cls, moves: int):
    figure = cls()
    figure.fig.canvas.draw()  # the first full draw happens when the figure is shown
    params = dict(figure.params)
    update_ms, rebuild_ms, full_draws = [], [], [0]
    per_control = {}
    figure.fig.canvas.mpl_connect("draw_event", lambda e: full_draws.__setitem__(0, full_draws[0] + 1))
    for move in random_walk(cls, moves):
        params.update(move)
        t0 = time.perf_counter()
        figure.update(**move)
        update_ms.append(1e3 * (time.perf_counter() - t0))
        per_control.setdefault(next(iter(move)), []).append(update_ms[-1])

        t0 = time.perf_counter()
        naive = cls(**params)
        naive.fig.canvas.draw()
        rebuild_ms.append(1e3 * (time.perf_counter() - t0))
        naive.close()
    figure.close()
    plt.close("all")
    return {
        "update_median_ms": statistics.median(update_ms),
        "update_p95_ms": percentile(update_ms, 0.95),
        "rebuild_median_ms": statistics.median(rebuild_ms),
        "rebuild_p95_ms": percentile(rebuild_ms, 0.95),
        "ratio": statistics.median(rebuild_ms) / statistics.median(update_ms),
        "full_draws": full_draws[0],
        "per_control_median_ms": {k: statistics.median(v) for k, v in per_control.items()},
        "moves": moves,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="slider moves per figure (default 40)")
    parser.add_argument("--only", default="", help="only figures whose name contains this")
    parser.add_argument("--by-control", action="store_true", help="median update per control too")
    parser.add_argument("--json", default="", help="also write the results to this file")
    args = parser.parse_args()

    print(
        f"# figure update benchmark · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} cores · torch {torch.__version__} · default device "
        f"{'cuda' if torch.cuda.is_available() else 'cpu'} · Agg backend"
    )
    header = (
        f"{'figure':48s} {'update median':>13s} {'p95':>8s} {'rebuild median':>15s} "
        f"{'p95':>8s} {'ratio':>6s} {'full draws':>10s}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    for name, cls in sorted(figure_classes().items()):
        if args.only not in name:
            continue
        r = bench_figure(cls, max(1, args.moves // (4 if not cls.continuous else 1)))
        results[name] = r
        over = [f"median > {MEDIAN_MS} ms"] * (r["update_median_ms"] > MEDIAN_MS) + [f"p95 > {P95_MS} ms"] * (
            r["update_p95_ms"] > P95_MS
        )
        flag = f"  <- {', '.join(over)}" if over and cls.continuous else ""
        print(
            f"{name:48s} {r['update_median_ms']:10.1f} ms {r['update_p95_ms']:5.1f} ms "
            f"{r['rebuild_median_ms']:12.1f} ms {r['rebuild_p95_ms']:5.1f} ms {r['ratio']:5.1f}x "
            f"{r['full_draws']:5d}/{r['moves']}{flag}"
        )
        if args.by_control:
            for control, ms in sorted(r["per_control_median_ms"].items()):
                print(f"    {control:44s} {ms:10.1f} ms")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
