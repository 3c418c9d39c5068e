"""Vectorisation speed-up: per-example backprop loop against `backward_batch` on the whole batch.

Net 64-128-64-10 (ReLU hidden, softmax output, cross-entropy), He initialisation, float64,
NumPy. For each batch size m the same batch gradient is computed three ways:

- loop:       for each column j, `ref.forward` + `ref.backward` on the m = 1 slice (the
              per-example code of notebook 03), gradients summed, then divided by m;
- vectorised: `ref.forward` + `ref.backward_batch` once on all m columns (notebook 04's code,
              generic array API, fresh arrays for every operation);
- in place:   `inplace.forward_into` + `inplace.backward_into` on all m columns, the step the
              trainers run on NumPy (same equations, buffers allocated once).

Both include the forward pass (backprop needs each example's cache). The backward-only
speed-up (caches computed outside the timing) is printed alongside. Results are checked to
agree. Median of --repeats timings, each long enough (>= --min-time s) to be measured.
The issue's target: at least 50x at batch 256, checked on the trainers' (in-place) step.
Prints a table and one JSON line.

    python benchmarks/vectorization.py [--repeats 5] [--threads N]
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

import blas
import numpy as np
from threadpoolctl import threadpool_limits

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import reference as ref  # noqa: E402 - the repository joins sys.path above
from autograder.reference import inplace  # noqa: E402 - the repository joins sys.path above

SIZES = [64, 128, 64, 10]
ARGS = ("relu", "softmax")
TARGET = 50.0


def per_call_seconds(fn, repeats, min_time):
    """Median seconds per call of fn, each timing looping fn until min_time has passed."""
    fn()
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        calls *= 2
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16, 64, 256])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    params = ref.init_he(SIZES, rng)
    started = time.perf_counter()
    rows = []
    with threadpool_limits(limits=args.threads):
        for m in args.batches:
            X = rng.standard_normal((SIZES[0], m))
            Y = np.eye(SIZES[-1])[:, rng.integers(0, SIZES[-1], m)]
            columns = [(X[:, j : j + 1], Y[:, j : j + 1]) for j in range(m)]

            def vectorised():
                _, cache = ref.forward(X, params, *ARGS)
                return ref.backward_batch(Y, params, cache, *ARGS, "cross_entropy")

            buffers = inplace.allocate_buffers(SIZES, m, X)

            def in_place():
                inplace.forward_into(X, params, buffers, *ARGS)
                return inplace.backward_into(Y, params, buffers, ARGS[0])

            def loop():
                total = None
                for x, y in columns:
                    _, cache = ref.forward(x, params, *ARGS)
                    grads = ref.backward(y, params, cache, *ARGS, "cross_entropy")
                    total = grads if total is None else {k: total[k] + g for k, g in grads.items()}
                return {k: v / m for k, v in total.items()}

            expected, got, got_in_place = vectorised(), loop(), in_place()
            for key in expected:
                np.testing.assert_allclose(got[key], expected[key], rtol=1e-9, atol=1e-12)
                np.testing.assert_allclose(got_in_place[key], expected[key], rtol=1e-9, atol=1e-12)

            batch_cache = ref.forward(X, params, *ARGS)[1]
            column_caches = [(y, ref.forward(x, params, *ARGS)[1]) for x, y in columns]

            def vectorised_backward():
                return ref.backward_batch(Y, params, batch_cache, *ARGS, "cross_entropy")

            def loop_backward():
                total = None
                for y, cache in column_caches:
                    grads = ref.backward(y, params, cache, *ARGS, "cross_entropy")
                    total = grads if total is None else {k: total[k] + g for k, g in grads.items()}
                return {k: v / m for k, v in total.items()}

            t_loop = per_call_seconds(loop, args.repeats, args.min_time)
            t_vec = per_call_seconds(vectorised, args.repeats, args.min_time)
            t_in_place = per_call_seconds(in_place, args.repeats, args.min_time)
            t_loop_b = per_call_seconds(loop_backward, args.repeats, args.min_time)
            t_vec_b = per_call_seconds(vectorised_backward, args.repeats, args.min_time)
            rows.append({"batch": m, "loop_us": t_loop * 1e6, "vectorised_us": t_vec * 1e6,
                         "in_place_us": t_in_place * 1e6, "speedup": t_loop / t_vec,
                         "in_place_speedup": t_loop / t_in_place, "backward_only_speedup": t_loop_b / t_vec_b})
    elapsed = time.perf_counter() - started

    print(blas.describe())
    print(f"net {'-'.join(map(str, SIZES))}, float64, NumPy {np.__version__}, {args.threads} thread(s); "
          f"forward + backward_batch per batch, median of {args.repeats}")
    header = (f"{'batch':>5s} {'loop (us)':>11s} {'vectorised (us)':>15s} {'speed-up':>9s} {'bwd-only':>9s} "
              f"{'in place (us)':>13s} {'speed-up':>9s}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['batch']:5d} {r['loop_us']:11.1f} {r['vectorised_us']:15.1f} {r['speedup']:8.1f}x "
              f"{r['backward_only_speedup']:8.1f}x {r['in_place_us']:13.1f} {r['in_place_speedup']:8.1f}x")
    at_256 = next((r for r in rows if r["batch"] == 256), None)
    if at_256 is not None:
        verdict = "meets" if at_256["in_place_speedup"] >= TARGET else "MISSES"
        print(f"batch 256: trainers' in-place step {at_256['in_place_speedup']:.1f}x, {verdict} the target of "
              f">= {TARGET:.0f}x (generic vectorised code: {at_256['speedup']:.1f}x)")
    print(f"total {elapsed:.1f} s")
    print(json.dumps({"benchmark": "vectorization", "net": SIZES, "threads": args.threads, "cores": os.cpu_count(),
                      "target_at_256": TARGET, "numpy": np.__version__,
                      "results": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}
                                  for r in rows],
                      "seconds": round(elapsed, 1)}))


if __name__ == "__main__":
    main()
