"""`make bench`, second part: attention against the sequence length n (lessons 09 and 10).

Times softmax_attention, linear_attention, causal_linear_attention in both modes and
performer_attention (m = 4d positive features) on one head, d = d_v = 64, n = 2^8, 2^9, ...:
the median of a few calls and the peak memory of the call above what was there before it.
Each form runs in its own Python process, n ascending, so its peak resident memory after a call
(``ru_maxrss``) is that call's peak, counted above the resident size before it (Linux); on CUDA,
``torch.cuda.max_memory_allocated`` above what was allocated. A form stops
at the first n whose largest tensor would pass 1 GB (softmax's n x n weights, the cumsum mode's
n x d x d_v states) or whose call took more than MAX_CALL_S. Then the measured crossovers
(where a linear form gets faster than softmax) beside the cost model's:

    softmax 2 n^2 d  =  linear 2 n d^2      at n = d      (attention_cost)
    softmax 2 n^2 d  =  performer 4 n m d   at n = 2m     (attention_multiply_adds)

    python benchmarks/bench_attention.py [--device cpu|cuda] [--max-log2n 16] [--json out.json]

It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import sys

D, REPEATS, MAX_CALL_S, GB = 64, 5, 10.0, 1e9
FORMS = {  # name: (the call, bytes of its largest tensor at n in float32)
    "softmax": ("la.softmax_attention(q, k, v)", lambda n: 4 * n * n),
    "linear": ("la.linear_attention(q, k, v)", lambda n: 4 * n * D),
    "causal rnn": ("la.causal_linear_attention(q, k, v, mode='rnn')", lambda n: 4 * n * D),
    "causal cumsum": ("la.causal_linear_attention(q, k, v, mode='cumsum')", lambda n: 4 * n * D * D),
    "performer m=4d": ("pf.performer_attention(q, k, v, omega)", lambda n: 4 * n * 4 * D),
}

WORKER = r"""
import json, resource, statistics, sys, time
import torch
from theory_lib import linear_attention as la, performer as pf
call, device, sizes = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
repeats, max_s = int(sys.argv[4]), float(sys.argv[5])
torch.set_num_threads(int(sys.argv[6]))
cuda = device == "cuda"
torch.manual_seed(0)
omega = pf.sample_omega(4 * 64, 64, generator=torch.Generator().manual_seed(1)).to(device)
def sync():
    if cuda:
        torch.cuda.synchronize()
q, k, v = (0.3 * torch.randn(256, 64, device=device) for _ in range(3))
eval(call)  # warm-up: the first call pays for loading kernels and the allocator's first pools
for n in sizes:
    q, k, v = (0.3 * torch.randn(n, 64, device=device) for _ in range(3))
    sync()
    # before: what is allocated (CUDA), or the resident size now (/proc/self/statm's second field, in pages)
    resident = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()
    base = torch.cuda.memory_allocated() if cuda else resident
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = eval(call)
        sync()
        times.append(time.perf_counter() - t)
        del out
        if times[-1] > max_s:
            break
    peak = torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"n": n, "median_s": statistics.median(times), "peak_bytes": max(0, peak - base)}), flush=True)
    if times[-1] > max_s:
        break
"""


def measure(call: str, sizes: list[int], device: str, threads: int) -> list[dict]:
    """One process per form: a row per n (until the form's time limit), as the worker printed them."""
    argv = [sys.executable, "-c", WORKER, call, device, json.dumps(sizes), str(REPEATS), str(MAX_CALL_S), str(threads)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def crossover(soft: dict, other: dict) -> float | None:
    """The n (log-interpolated) at which ``other`` first gets faster than softmax, None if it never does."""
    common = sorted(set(soft) & set(other))
    for a, b in zip(common, common[1:], strict=False):
        ra, rb = other[a] / soft[a], other[b] / soft[b]
        if ra > 1 >= rb:
            return math.exp(math.log(a) + (math.log(b) - math.log(a)) * math.log(ra) / (math.log(ra) - math.log(rb)))
    return common[0] if common and other[common[0]] <= soft[common[0]] else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    parser.add_argument("--max-log2n", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch's CPU threads (default 1: on a busy machine a second one waits)"
    )
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    ns = [2**e for e in range(8, args.max_log2n + 1)]
    results = {}
    for name, (call, largest) in FORMS.items():
        results[name] = measure(call, [n for n in ns if largest(n) <= GB], device, args.threads)
    times = {name: {r["n"]: r["median_s"] for r in rows} for name, rows in results.items()}

    where = f"{device}, {args.threads} CPU thread(s)" if device == "cpu" else device
    print(f"# attention benchmark · {platform.machine()} · {where} · torch {torch.__version__} · d = {D}")
    print(f"{'n':>7} " + " ".join(f"{name:>22}" for name in FORMS) + "   (median time / peak memory)")
    for n in ns:
        cells = []
        for name in FORMS:
            row = next((r for r in results[name] if r["n"] == n), None)
            cells.append(
                f"{row['median_s'] * 1e3:10.2f} ms {row['peak_bytes'] / 2**20:7.1f} MiB" if row else "-".rjust(22)
            )
        print(f"{n:>7} " + " ".join(f"{c:>22}" for c in cells))
    model = {"linear": D, "causal rnn": D, "causal cumsum": D, "performer m=4d": 2 * 4 * D}
    print("crossover with softmax (measured, log-interpolated; cost model):")
    for name, at in model.items():
        n = crossover(times["softmax"], times[name])
        print(f"  {name:<16} measured {'never' if n is None else f'n ≈ {n:,.0f}'}; cost model n = {at}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": device, "threads": args.threads, "d": D, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
