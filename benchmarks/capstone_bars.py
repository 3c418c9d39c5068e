"""Where the capstone's accuracy bars come from: the spread of good and lazy designs over seeds.

Notebook 08 asks for a digits classifier of the student's own design. Its bars are set from what
designs reach over 20 training seeds, on the notebook's own split (what the visible test checks,
with seed 1) and on 20 unseen splits (what the hidden test and the grader's verification check):

- tuned:       the source solution: 256 ReLU units, Adam 2e-3 with a cosine schedule, batches of
               32, 40 epochs;
- two_layer:   256-128 ReLU units, Adam 1e-3 cosine, 30 epochs;
- recipe:      the old notebook's given recipe: 128 units, Adam 2e-3, 30 epochs, no schedule;
- momentum:    128 units, SGD with momentum (0.05, 0.9), 30 epochs;
- lazy_adam:   64 units, Adam 2e-3, 10 epochs;
- lazy_sgd:    64 units, plain SGD 0.1, 10 epochs.

A bar is right when every tuned run clears it with room to spare and the lazy designs do not.
The hidden test averages two unseen splits, so "pairs" reports that mean over 20 pairs of them.
Uses the reference implementation (the same arithmetic as the notebook's given pieces).

    .venv/bin/python benchmarks/capstone_bars.py [--seeds 20]     # about 3 minutes on 2 cores
"""

import argparse
import json
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from autograder import reference as ref
from course import data

DESIGNS = {
    "tuned": dict(hidden=(256,), epochs=40, lr=2e-3, schedule="cosine"),
    "two_layer": dict(hidden=(256, 128), epochs=30, lr=1e-3, schedule="cosine"),
    "recipe": dict(hidden=(128,), epochs=30, lr=2e-3),
    "momentum": dict(hidden=(128,), epochs=30, lr=0.05, optimiser="momentum"),
    "lazy_adam": dict(hidden=(64,), epochs=10, lr=2e-3),
    "lazy_sgd": dict(hidden=(64,), epochs=10, lr=0.1, optimiser="sgd"),
}
NOTEBOOK_SPLIT = 0  # data.load_digits(rng=np.random.default_rng(0)) in notebook 08


def train(X, Y, rng, hidden, epochs, lr, schedule="constant", optimiser="adam", batch_size=32):
    params = ref.init_he([X.shape[0], *hidden, Y.shape[0]], rng)
    first = {key: np.zeros_like(value) for key, value in params.items()}
    second = {key: np.zeros_like(value) for key, value in params.items()}
    t = 0
    for epoch in range(epochs):
        step = ref.lr_schedule(schedule, lr, epoch, total_epochs=epochs)
        for batch in ref.minibatch_indices(X.shape[1], batch_size, rng):
            _, cache = ref.forward(X[:, batch], params, "relu", "softmax")
            grads = ref.backward_batch(Y[:, batch], params, cache, "relu", "softmax", "cross_entropy")
            t += 1
            if optimiser == "adam":
                params, first, second = ref.adam_update(params, grads, first, second, t, step)
            elif optimiser == "momentum":
                params, first = ref.momentum_update(params, grads, first, step, 0.9)
            else:
                params = ref.sgd_step(params, grads, step)
    return params


def run(design, split_seed, train_seed):
    X, Y, X_test, Y_test = data.load_digits(rng=np.random.default_rng(split_seed))
    start = time.perf_counter()
    params = train(X, Y, np.random.default_rng(train_seed), **DESIGNS[design])
    return ref.accuracy(X_test, Y_test, params), time.perf_counter() - start


def spread(values):
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values), "min": min(values), "max": max(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    results = {}
    print(f"{'design':<11} {'notebook split, seeds 1..N':>36} {'unseen splits':>30} {'pairs':>22} {'s/run':>6}")
    for design in DESIGNS:
        own = [run(design, NOTEBOOK_SPLIT, seed) for seed in range(1, args.seeds + 1)]
        unseen = [run(design, 1000 + seed, 5000 + seed) for seed in range(2 * args.seeds)]
        pairs = [(unseen[2 * i][0] + unseen[2 * i + 1][0]) / 2 for i in range(args.seeds)]
        results[design] = {"own": spread([a for a, _ in own]), "unseen": spread([a for a, _ in unseen[:args.seeds]]),
                           "pairs": spread(pairs), "seconds": statistics.median(s for _, s in own + unseen)}
        row = results[design]
        print(f"{design:<11} " + "  ".join(f"{row[k]['mean']:.4f} ± {row[k]['std']:.4f} (min {row[k]['min']:.4f})"
                                           for k in ("own", "unseen", "pairs")) + f" {row['seconds']:6.2f}", flush=True)
    print(json.dumps({"benchmark": "capstone_bars", "seeds": args.seeds, "designs": results}))


if __name__ == "__main__":
    main()
