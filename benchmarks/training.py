"""Training throughput: the reference's inner step against PyTorch (CPU) and scikit-learn.

One training step is what `autograder.reference.train` does per mini-batch on NumPy arrays:
`inplace.forward_into` + `inplace.backward_into` + `inplace.sgd_step_into` (softmax output,
cross-entropy, ReLU hidden layers), writing into buffers allocated once. The generic array-API
step (`forward` + `backward_batch` + `sgd_step`, fresh arrays every operation; what `train` runs
on array-api-strict) is measured too, as "generic".
Each contender trains the same architecture on the same data with the same batch size and
thread count, and the throughput is samples per second:

- reference: a plain loop over a fixed number of mini-batches (contiguous batches of a
             pre-shuffled set, cycled), NumPy threads limited with threadpoolctl;
- generic:   the same loop with the generic step;
- torch:     nn.Linear / nn.ReLU, F.cross_entropy, torch.optim.SGD, torch.set_num_threads;
- sklearn:   MLPClassifier(solver="sgd", momentum=0, alpha=0), a few epochs;
             throughput = samples processed (epochs run x n) / fit time.

Configurations: 64-128-64-10 on digits (load_digits, scaled /16) and 784-128-64-10 on
MNIST-shaped synthetic data (seeded Gaussian clusters, 10 classes), batch sizes 64 and 256,
float32 and float64. Each contender: one warm-up run, then --repeats runs; the median is
reported. Also measures the machine's NumPy matmul throughput (GFLOP/s) and reports the
reference's share of it at the MNIST shape, counting the multiply-adds the step really does
(`step_flops`: forward, BP3 for every layer, BP2 for all but the first; no contender computes
the gradient with respect to the input).

Prints a table and one JSON line. Needs the benchmark venv (PyTorch):

    python3.11 -m venv /tmp/benchvenv
    /tmp/benchvenv/bin/pip install -r requirements.txt -r benchmarks/requirements.txt
    /tmp/benchvenv/bin/python benchmarks/training.py [--samples 8192] [--repeats 5] [--threads N]
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time
import warnings

import blas
import numpy as np
from threadpoolctl import threadpool_limits

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import reference as ref  # noqa: E402 - the repository joins sys.path above
from autograder.reference import inplace  # noqa: E402 - the repository joins sys.path above

HIDDEN = (128, 64)
CLASSES = 10
LR = 0.05


def digits_data():
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data / 16.0, data.target.astype(np.int64)


def mnist_like_data(n, seed=0):
    """n samples of 784 features: seeded Gaussian clusters around 10 class means, labels balanced."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 1.0, size=(CLASSES, 784))
    y = rng.permutation(np.arange(n) % CLASSES)
    X = means[y] + rng.normal(0.0, 1.0, size=(n, 784))
    return X, y


def step_flops(sizes):
    """Matmul FLOPs per training sample: 2 per weight each for Z = W A and dW = delta A^T, and 2 per
    weight of layers 2..L for BP2's W^T delta (element-wise work and biases left out)."""
    weights = [n_out * n_in for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return 4 * sum(weights) + 2 * sum(weights[1:])


def median_runs(run, repeats):
    """One warm-up call of `run` (returns (samples, seconds)), then `repeats` timed ones: median samples/s."""
    run()
    rates = []
    for _ in range(repeats):
        samples, seconds = run()
        rates.append(samples / seconds)
    return statistics.median(rates)


def bench_reference(X, y, dtype, batch, samples, repeats, in_place=True):
    n, n_in = X.shape
    sizes = [n_in, *HIDDEN, CLASSES]
    rows = np.ascontiguousarray(X, dtype=dtype)  # (n, n0): rows[i:j].T is an (n0, m) view, no copy
    onehot = np.eye(CLASSES, dtype=dtype)[y]  # (n, 10)
    starts = list(range(0, n - batch + 1, batch))
    steps = max(1, samples // batch)

    def run():
        params = {k: v.astype(dtype) for k, v in ref.init_he(sizes, np.random.default_rng(0)).items()}
        buffers = inplace.allocate_buffers(sizes, batch, rows)
        t0 = time.perf_counter()
        for step in range(steps):
            s = starts[step % len(starts)]
            Xb, Yb = rows[s : s + batch].T, onehot[s : s + batch].T
            if in_place:
                inplace.forward_into(Xb, params, buffers, "relu", "softmax")
                grads = inplace.backward_into(Yb, params, buffers, "relu")
                params = inplace.sgd_step_into(params, grads, LR)
            else:
                AL, cache = ref.forward(Xb, params, "relu", "softmax")
                grads = ref.backward_batch(Yb, params, cache, "relu", "softmax", "cross_entropy")
                params = ref.sgd_step(params, grads, LR)
        seconds = time.perf_counter() - t0
        assert params["W1"].dtype == dtype and np.isfinite(params["W1"]).all()
        return steps * batch, seconds

    return median_runs(run, repeats)


def bench_torch(X, y, dtype, batch, samples, repeats):
    import torch
    import torch.nn.functional as F
    from torch import nn

    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    n, n_in = X.shape
    Xt = torch.as_tensor(np.ascontiguousarray(X), dtype=tdtype)
    yt = torch.as_tensor(y, dtype=torch.long)
    starts = list(range(0, n - batch + 1, batch))
    steps = max(1, samples // batch)

    def run():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(n_in, HIDDEN[0]), nn.ReLU(), nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
                              nn.Linear(HIDDEN[1], CLASSES)).to(tdtype)
        optimiser = torch.optim.SGD(model.parameters(), lr=LR)
        t0 = time.perf_counter()
        for step in range(steps):
            s = starts[step % len(starts)]
            optimiser.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(Xt[s : s + batch]), yt[s : s + batch])
            loss.backward()
            optimiser.step()
        seconds = time.perf_counter() - t0
        return steps * batch, seconds

    return median_runs(run, repeats)


def bench_sklearn(X, y, dtype, batch, samples, repeats):
    """Returns (samples/s, dtype sklearn actually trained in)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    n = X.shape[0]
    epochs = max(1, round(samples / n))
    Xs = np.asarray(X, dtype=dtype)
    seen = {}

    def run():
        model = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="sgd", alpha=0.0,
                              batch_size=batch, learning_rate="constant", learning_rate_init=LR, momentum=0.0,
                              nesterovs_momentum=False, max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0,
                              shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            model.fit(Xs, y)
            seconds = time.perf_counter() - t0
        seen["dtype"] = str(model.coefs_[0].dtype)
        return model.n_iter_ * n, seconds

    rate = median_runs(run, repeats)
    return rate, seen["dtype"]


def matmul_gflops(dtype, size, repeats):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    a @ b
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        rates.append(2.0 * size**3 / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=32768,
                        help="training samples per timed run (reference/torch: samples // batch steps; "
                             "sklearn: round(samples / n) epochs)")
    parser.add_argument("--mnist-n", type=int, default=8192, help="size of the MNIST-shaped synthetic set")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()

    torch_version = None
    if not args.no_torch:
        import torch

        torch.set_num_threads(args.threads)
        torch_version = torch.__version__
    import sklearn

    datasets = {"digits 64-128-64-10": digits_data(), "mnist-shaped 784-128-64-10": mnist_like_data(args.mnist_n)}
    started = time.perf_counter()
    results = []
    with threadpool_limits(limits=args.threads):
        peak = {name: matmul_gflops(getattr(np, name), args.matmul_size, args.repeats) for name in args.dtypes}
        for data_name, (X, y) in datasets.items():
            for batch in args.batches:
                for dtype_name in args.dtypes:
                    dtype = getattr(np, dtype_name)
                    row = {"config": data_name, "batch": batch, "dtype": dtype_name}
                    row["reference"] = bench_reference(X, y, dtype, batch, args.samples, args.repeats)
                    row["generic"] = bench_reference(X, y, dtype, batch, args.samples, args.repeats, in_place=False)
                    if not args.no_torch:
                        row["torch"] = bench_torch(X, y, dtype, batch, args.samples, args.repeats)
                    if not args.no_sklearn:
                        row["sklearn"], row["sklearn_dtype"] = bench_sklearn(X, y, dtype, batch, args.samples,
                                                                             args.repeats)
                    if data_name.startswith("mnist"):
                        flops = step_flops([X.shape[1], *HIDDEN, CLASSES])
                        row["reference_gflops"] = row["reference"] * flops / 1e9
                        row["fraction_of_matmul"] = row["reference_gflops"] / peak[dtype_name]
                    results.append(row)
                    print_row(row)
    elapsed = time.perf_counter() - started

    print(blas.describe())
    print()
    print(f"NumPy {np.__version__}, torch {torch_version}, scikit-learn {sklearn.__version__}, "
          f"{args.threads} thread(s), {platform.machine()}, {os.cpu_count()} cores; "
          f"{args.samples} samples per run, median of {args.repeats} after a warm-up")
    print("NumPy matmul limit ({0}x{0}): ".format(args.matmul_size)
          + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peak.items()))
    print()
    header = f"{'config':28s} {'batch':>5s} {'dtype':>7s} {'contender':>9s} {'samples/s':>11s} {'ref/peer':>8s}"
    print(header)
    print("-" * len(header))
    for row in results:
        for contender in ("reference", "generic", "torch", "sklearn"):
            if contender not in row:
                continue
            ratio = "" if contender == "reference" else f"{row['reference'] / row[contender]:8.2f}"
            note = ""
            if contender == "sklearn" and row["sklearn_dtype"] != row["dtype"]:
                note = f"  (sklearn trained in {row['sklearn_dtype']})"
            print(f"{row['config']:28s} {row['batch']:5d} {row['dtype']:>7s} {contender:>9s} "
                  f"{row[contender]:11.0f} {ratio:>8s}{note}")
    print()
    print("Reference at the MNIST shape against the matmul limit (step_flops per sample):")
    for row in results:
        if "fraction_of_matmul" in row:
            print(f"  batch {row['batch']:3d} {row['dtype']}: {row['reference_gflops']:.1f} GFLOP/s = "
                  f"{row['fraction_of_matmul']:.1%} of {peak[row['dtype']]:.1f} GFLOP/s "
                  f"({1 / row['fraction_of_matmul']:.1f}x below)")
    print(f"\ntotal {elapsed:.1f} s")
    print(json.dumps({"benchmark": "training", "threads": args.threads, "cores": os.cpu_count(),
                      "samples_per_run": args.samples, "repeats": args.repeats,
                      "numpy": np.__version__, "torch": torch_version, "sklearn": sklearn.__version__,
                      "matmul_gflops": {k: round(v, 2) for k, v in peak.items()},
                      "results": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
                                  for row in results],
                      "seconds": round(elapsed, 1)}))


def print_row(row):
    parts = [f"{c} {row[c]:.0f}/s" for c in ("reference", "generic", "torch", "sklearn") if c in row]
    print(f"  done: {row['config']}, batch {row['batch']}, {row['dtype']}: " + ", ".join(parts), flush=True)


if __name__ == "__main__":
    main()
