"""GPU: the trainers' step on CuPy against the same step on NumPy, across batch sizes.

One step is what `autograder.reference.train` runs per mini-batch: `inplace.forward_into` +
`inplace.backward_into` + `inplace.sgd_step_into`, 784-128-64-10 (ReLU, softmax, cross-entropy),
on MNIST-shaped synthetic data held on the device (no host-device copies inside the timing).
GPU timings end with a device synchronisation, since CuPy launches work asynchronously.
Each cell: one warm-up, then the median of --repeats runs of --steps steps; samples per second.

Without a usable GPU (CuPy missing, or no CUDA device) it prints `course.backend.gpu_status()`
and a JSON line with "gpu": null, and exits 0, so `make bench` runs anywhere. On a GPU machine:

    pip install -r requirements-gpu.txt     # cupy-cuda12x
    python benchmarks/gpu.py [--batches 64 256 1024 4096] [--dtypes float32 float64]
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import reference as ref  # noqa: E402 - the repository joins sys.path above
from autograder.reference import inplace  # noqa: E402 - the repository joins sys.path above
from course import backend  # noqa: E402 - the repository joins sys.path above

SIZES = [784, 128, 64, 10]
LR = 0.05


def steps_per_second(xp, X_host, Y_host, dtype, batch, steps, repeats):
    """Samples/s of the in-place step on xp (numpy or cupy), median of repeats after a warm-up."""
    X = xp.asarray(X_host.astype(dtype))
    Y = xp.asarray(Y_host.astype(dtype))
    starts = list(range(0, X.shape[1] - batch + 1, batch))

    def run():
        params = {k: xp.asarray(v.astype(dtype)) for k, v in ref.init_he(SIZES, np.random.default_rng(0)).items()}
        buffers = inplace.allocate_buffers(SIZES, batch, X)
        backend.synchronize(xp)
        t0 = time.perf_counter()
        for step in range(steps):
            s = starts[step % len(starts)]
            Xb, Yb = X[:, s : s + batch], Y[:, s : s + batch]
            inplace.forward_into(Xb, params, buffers, "relu", "softmax")
            params = inplace.sgd_step_into(params, inplace.backward_into(Yb, params, buffers, "relu"), LR)
        backend.synchronize(xp)
        seconds = time.perf_counter() - t0
        assert bool(xp.isfinite(params["W1"]).all())
        return steps * batch / seconds

    run()
    return statistics.median(run() for _ in range(repeats))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256, 1024, 4096])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--n", type=int, default=16384, help="size of the synthetic set (columns)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    status = backend.gpu_status()
    print(status)
    if not backend.gpu_available():
        print("GPU benchmark skipped: no usable GPU on this machine.")
        print(json.dumps({"benchmark": "gpu", "gpu": None, "status": status}))
        return
    import cupy

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, args.n)
    X_host = rng.normal(0.0, 1.0, (10, 784))[labels].T + rng.normal(0.0, 1.0, (784, args.n))
    Y_host = np.eye(10)[:, labels]
    rows = []
    started = time.perf_counter()
    with threadpool_limits(limits=args.threads):
        for dtype_name in args.dtypes:
            dtype = getattr(np, dtype_name)
            for batch in args.batches:
                cpu = steps_per_second(np, X_host, Y_host, dtype, batch, args.steps, args.repeats)
                gpu = steps_per_second(cupy, X_host, Y_host, dtype, batch, args.steps, args.repeats)
                rows.append({"dtype": dtype_name, "batch": batch, "cpu": cpu, "gpu": gpu, "gpu_over_cpu": gpu / cpu})
                print(f"  done: {dtype_name} batch {batch}: cpu {cpu:.0f}/s, gpu {gpu:.0f}/s", flush=True)
    elapsed = time.perf_counter() - started

    print(f"\nnet {'-'.join(map(str, SIZES))}, NumPy {np.__version__} ({args.threads} thread(s)), "
          f"CuPy {cupy.__version__}; {args.steps} steps per run, median of {args.repeats}")
    header = f"{'dtype':>7s} {'batch':>6s} {'CPU samples/s':>14s} {'GPU samples/s':>14s} {'GPU/CPU':>8s}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['dtype']:>7s} {r['batch']:6d} {r['cpu']:14.0f} {r['gpu']:14.0f} {r['gpu_over_cpu']:7.1f}x")
    print(f"total {elapsed:.1f} s")
    print(json.dumps({"benchmark": "gpu", "gpu": status, "net": SIZES, "threads": args.threads,
                      "numpy": np.__version__, "cupy": cupy.__version__,
                      "results": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}
                                  for r in rows],
                      "seconds": round(elapsed, 1)}))


if __name__ == "__main__":
    main()
