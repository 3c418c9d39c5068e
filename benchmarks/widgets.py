"""Slider latency of the explorers in course.widgets: set(...) + redraw() per move, on the CPU.

A move is what one slider step in JupyterLab costs the kernel: recompute the state, update the
figure's artists, render the live frame (JPEG) that the widget view shows. Each slider is dragged
across its range in small steps, as a person would; the first picture (figure construction) is
timed apart. The regularisation explorer is timed on cached pairs (its sliders are meant to move
over a precomputed grid), with the cost of training all pairs reported separately.

Prints the median and 90th percentile per slider, then one JSON line.

    .venv/bin/python benchmarks/widgets.py [--moves 40]
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder.reference import (  # noqa: E402 - the repository joins sys.path above
    adam_update,
    dropout_forward,
    init_he,
    init_xavier,
    init_zeros,
    l2_gradients,
    momentum_update,
    nesterov_update,
    rmsprop_update,
)
from course.data import make_moons  # noqa: E402 - the repository joins sys.path above
from course.widgets import InitializationExplorer, OptimizerExplorer, RegularizationExplorer  # noqa: E402 - the repository joins sys.path above


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


def drag(explorer, moves):
    """Milliseconds of set(**move) + redraw() for each move."""
    seconds = []
    for move in moves:
        started = time.perf_counter()
        explorer.set(**move)
        explorer.redraw()
        seconds.append(time.perf_counter() - started)
    return [1e3 * s for s in seconds]


def first_picture_ms(explorer):
    started = time.perf_counter()
    explorer.redraw()
    return 1e3 * (time.perf_counter() - started)


def regularization_problem():
    """Random-feature logistic regression on 30 noisy moons (with the reference L2 and dropout)."""
    X_train, Y_train = make_moons(30, 0.35, np.random.default_rng(0))
    X_test, Y_test = make_moons(300, 0.35, np.random.default_rng(1))
    features = np.random.default_rng(2)
    W, b = features.normal(size=(120, 2)) * 2.0, features.uniform(-3, 3, (120, 1))

    def sigmoid(z):
        return 0.5 * (1 + np.tanh(0.5 * z))

    def train_fn(lambd, keep_prob, epochs=250, lr=1.0):
        rng = np.random.default_rng(3)
        H = np.tanh(W @ X_train + b)
        m = H.shape[1]
        params = {"W1": np.zeros((1, H.shape[0])), "b1": np.zeros((1, 1))}
        for _ in range(epochs):
            H_drop, _ = dropout_forward(H, keep_prob, rng)
            dZ = sigmoid(params["W1"] @ H_drop + params["b1"]) - Y_train
            grads = l2_gradients({"dW1": dZ @ H_drop.T / m, "db1": dZ.sum(axis=1, keepdims=True) / m}, params, lambd)
            params = {key: params[key] - lr * grads["d" + key] for key in params}
        W1, b1 = params["W1"], params["b1"]
        return lambda X: sigmoid(W1 @ np.tanh(W @ X + b) + b1)

    return train_fn, X_train, Y_train, X_test, Y_test


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=40, help="slider steps per drag")
    args = parser.parse_args()
    n = args.moves
    results = {}

    optimizer = OptimizerExplorer({"momentum": momentum_update, "nesterov": nesterov_update,
                                   "rmsprop": rmsprop_update, "adam": adam_update}, optimizer="momentum")
    first = {"optimizer": first_picture_ms(optimizer)}
    results["optimizer.lr"] = drag(optimizer, [{"lr": x} for x in np.geomspace(0.005, 0.2, n)])
    results["optimizer.beta"] = drag(optimizer, [{"beta": x} for x in np.linspace(0.0, 0.95, n)])
    results["optimizer.kappa"] = drag(optimizer, [{"kappa": x} for x in np.geomspace(1, 1000, n)])
    optimizer.set(kappa=10, iterations=200)
    results["optimizer.start"] = drag(optimizer, [{"x0": x} for x in np.linspace(-2, 2, n)])
    frames = []
    for k in range(n):  # the Play control: only drawing, no recomputation
        started = time.perf_counter()
        optimizer.show_steps(k)
        optimizer.redraw()
        frames.append(1e3 * (time.perf_counter() - started))
    results["optimizer.play"] = frames
    optimizer.set(surface="rosenbrock", optimizer="adam", iterations=300)
    results["optimizer.adam_rosenbrock.lr"] = drag(optimizer, [{"lr": x} for x in np.geomspace(0.005, 0.1, n)])

    init = InitializationExplorer({"zeros": init_zeros, "xavier": init_xavier, "he": init_he}, init="scale")
    first["initialization"] = first_picture_ms(init)
    results["initialization.scale"] = drag(init, [{"scale": x} for x in np.geomspace(0.2, 3, n)])
    results["initialization.depth"] = drag(init, [{"depth": int(d)} for d in np.linspace(1, 20, n)])
    results["initialization.width"] = drag(init, [{"width": int(w)} for w in np.linspace(8, 128, n) // 8 * 8])

    regularization = RegularizationExplorer(*regularization_problem())
    first["regularization"] = first_picture_ms(regularization)
    started = time.perf_counter()
    regularization.precompute()
    precompute_s = time.perf_counter() - started
    lambdas, keep_probs = regularization.lambdas, regularization.keep_probs
    results["regularization.lambda"] = drag(regularization, [{"lambd": lambdas[i % len(lambdas)]} for i in range(n)])
    results["regularization.keep_prob"] = drag(
        regularization, [{"keep_prob": keep_probs[i % len(keep_probs)]} for i in range(n)])

    print(f"set + redraw per slider move, {n} moves per slider ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}):")
    summary = {}
    for name, ms in results.items():
        summary[name] = {"median_ms": round(statistics.median(ms), 2), "p90_ms": round(percentile(ms, 90), 2)}
        print(f"  {name:32s} median {summary[name]['median_ms']:7.1f} ms   p90 {summary[name]['p90_ms']:7.1f} ms")
    for name, ms in first.items():
        print(f"  first picture of {name:15s} {ms:7.1f} ms (figure built once, then reused)")
    print(f"  regularization precompute: {precompute_s:.2f} s for {len(lambdas) * len(keep_probs)} pairs")
    print(json.dumps({"benchmark": "widgets", "moves": n, "cores": os.cpu_count(),
                      "load_1min": round(os.getloadavg()[0], 2), "per_slider": summary,
                      "first_picture_ms": {k: round(v, 1) for k, v in first.items()},
                      "regularization_precompute_s": round(precompute_s, 3)}))


if __name__ == "__main__":
    main()
