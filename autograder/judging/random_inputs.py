"""Drawing an exercise's inputs from the grader's rng: the pieces every notebook's cases are made of.

Only `rng` decides what comes out (a case's inputs must be the same on every run of the same seed),
and the order of its calls is part of that: change one and every case drawn after it changes too.
Used as `random_inputs.integer(rng, 1, 5)`, `random_inputs.params(rng, sizes)`.
"""

import math

import numpy as np

from autograder.judging import Callable, Rng


def rng_arg(seed, must_draw=False):
    """A generator argument: each side of the sandbox makes its own from `seed`. `must_draw`: a call
    that draws nothing from it is refuted."""
    return Rng(int(seed), must_draw)


def callable_arg(name):
    """A function argument: one of runner.CALLABLES, by name."""
    return Callable(name)


def seed(rng):
    return int(rng.integers(0, 2**31 - 1))


def integer(rng, low, high):
    """An int in [low, high] (both included)."""
    return int(rng.integers(low, high + 1))


def pick(rng, options, k=None):
    """One option, or k distinct options, in a random order."""
    order = rng.permutation(len(options))
    if k is None:
        return options[int(order[0])]
    return [options[int(i)] for i in order[:k]]


def layer_sizes(rng, depth_low, depth_high, width_low, width_high):
    return [integer(rng, width_low, width_high) for _ in range(integer(rng, depth_low, depth_high) + 1)]


def params(rng, sizes, bias_scale=0.5):
    drawn = {}
    for l in range(1, len(sizes)):
        drawn[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) / math.sqrt(sizes[l - 1])
        drawn[f"b{l}"] = bias_scale * rng.standard_normal((sizes[l], 1))
    return drawn


def like_params(rng, params, scale=1.0, positive=False):
    values = {key: scale * rng.standard_normal(value.shape) for key, value in params.items()}
    return {key: np.abs(v) if positive else v for key, v in values.items()}


def grads_for(rng, params, scale=1.0):
    return {f"d{key}": value for key, value in like_params(rng, params, scale).items()}


def one_hot(rng, K, m):
    return np.eye(K)[:, rng.integers(0, K, size=m)]


def labels01(rng, n, m):
    return rng.integers(0, 2, size=(n, m)).astype(np.float64)


def targets(rng, loss, n, m):
    if loss == "cross_entropy":
        return one_hot(rng, n, m)
    if loss == "bce":
        return labels01(rng, n, m)
    return rng.standard_normal((n, m))


def with_exact(rng, z, values):
    """z with a few entries replaced by exact `values` (edge cases), at random places."""
    z = np.array(z, dtype=np.float64)
    flat = z.reshape(-1)
    places = rng.permutation(flat.size)[: min(len(values), flat.size)]
    flat[places] = np.asarray(values, dtype=np.float64)[: len(places)]
    return z


def big_values(rng, shape, low, high):
    """Entries of size `low`..`high`, half of them negative: far out on both sides."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)
