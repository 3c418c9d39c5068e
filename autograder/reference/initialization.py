"""05_initialization: weight initialisers and how activations and gradients spread through a deep net.

Every initialiser returns params {"W1", "b1", ..., "WL", "bL"} of NumPy float64 arrays with
W[l] (n[l], n[l-1]) and b[l] (n[l], 1) zero; random ones draw W1 first, then W2, ... from `rng`.
"""

import math

import numpy as np

from autograder.judging import Spec, call_reference, check_params, check_spread, match, random_inputs, same_as_reference

from ._namespace import namespace_of, num_layers
from .backprop import activation_prime, hidden_delta, param_gradients
from .forward import forward
from .notation import layer_shapes


def _init_scaled_normal(layer_sizes, rng, std_of_layer):
    params = {}
    for l in range(1, len(layer_sizes)):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        params[f"W{l}"] = rng.standard_normal((n_out, n_in)) * std_of_layer(n_in, n_out)
        params[f"b{l}"] = np.zeros((n_out, 1))
    return params


def init_zeros(layer_sizes):
    """All weights and biases zero: every hidden unit then computes, and learns, the same thing."""
    params = {}
    for l, (w_shape, b_shape) in enumerate(layer_shapes(layer_sizes), start=1):
        params[f"W{l}"], params[f"b{l}"] = np.zeros(w_shape), np.zeros(b_shape)
    return params


def init_normal(layer_sizes, std, rng):
    """W[l] ~ N(0, std^2) for every layer, whatever its width."""
    return _init_scaled_normal(layer_sizes, rng, lambda n_in, n_out: std)


def init_xavier(layer_sizes, rng):
    """Xavier/Glorot: Var(W[l]) = 2 / (n[l] + n[l-1]), for tanh and sigmoid nets."""
    return _init_scaled_normal(layer_sizes, rng, lambda n_in, n_out: math.sqrt(2.0 / (n_in + n_out)))


def init_he(layer_sizes, rng):
    """He: Var(W[l]) = 2 / n[l-1], which keeps ReLU activations at a steady scale with depth."""
    return _init_scaled_normal(layer_sizes, rng, lambda n_in, n_out: math.sqrt(2.0 / n_in))


def activation_stds(X, params, activation):
    """Standard deviation of each A[l], l = 1..L, with `activation` in every layer. X (n[0], m)."""
    _, cache = forward(X, params, hidden_activation=activation, output_activation=activation)
    L = num_layers(params)
    xp = namespace_of(X)
    return [float(xp.std(cache[f"A{l}"])) for l in range(1, L + 1)]


def gradient_stds(X, params, activation):
    """Standard deviation of each dW[l], l = 1..L, with `activation` in every layer. X (n[0], m).

    The cost is C = sum of all entries of A[L] / m: each example's loss is the sum of its outputs,
    so dloss/dA[L] is all ones and delta[L] = g'(Z[L]). The numbers then show what the layers do
    to the gradient on its way down (BP2), not what a loss does to it.
    """
    _, cache = forward(X, params, hidden_activation=activation, output_activation=activation)
    L = num_layers(params)
    xp = namespace_of(X)
    delta = activation_prime(cache[f"Z{L}"], activation)  # (BP1) with dloss/dA[L] = 1
    stds = [0.0] * L
    for l in range(L, 0, -1):
        dW, _ = param_gradients(delta, cache[f"A{l - 1}"])  # (BP4), with the 1/m
        stds[l - 1] = float(xp.std(dW))
        if l > 1:
            delta = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], activation)  # (BP2)
    return stds


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

def _cases_init_zeros(rng):
    return [([random_inputs.layer_sizes(rng, 1, 4, 1, 8)], {}), ([[random_inputs.integer(rng, 1, 5), 1]], {})]


def _big_sizes(rng):
    """Layer sizes whose weight matrices all have >= BIG_LAYER entries, with differing widths."""
    return [random_inputs.integer(rng, 40, 70), random_inputs.integer(rng, 80, 140), random_inputs.integer(rng, 25, 40)]


def _given_rng(rng):
    """The generator an initialiser must draw its weights from. Judged by their spread alone, weights drawn
    from np.random.* or from a fixed seed of its own would pass: a call that draws nothing from it is refuted."""
    return random_inputs.rng_arg(random_inputs.seed(rng), must_draw=True)


def _cases_init_normal(rng):
    return [([_big_sizes(rng), float(rng.choice([0.01, 0.1, 0.5, 1.0])), _given_rng(rng)], {}),
            ([random_inputs.layer_sizes(rng, 1, 3, 1, 5), float(rng.uniform(0.01, 1.0)), _given_rng(rng)], {})]


def _cases_init_scaled(rng):
    return [([_big_sizes(rng), _given_rng(rng)], {}),
            ([random_inputs.layer_sizes(rng, 1, 3, 1, 5), _given_rng(rng)], {})]


def _judge_init(std_of_layer):
    def judge(got, args, kwargs):
        layer_sizes = args[0]
        return check_params(got, layer_sizes) or check_spread(got, layer_sizes, std_of_layer(args, kwargs))
    return judge


def _cases_activation_stds(rng):
    cases = []
    for activation in random_inputs.pick(rng, ("tanh", "relu", "sigmoid"), 2):
        sizes = [random_inputs.integer(rng, 10, 30)] + [random_inputs.integer(rng, 15, 30)] * random_inputs.integer(rng, 2, 5)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) * float(rng.uniform(0.5, 1.5)) \
                / math.sqrt(sizes[l - 1])
            params[f"b{l}"] = np.zeros((sizes[l], 1))
        cases.append(([rng.standard_normal((sizes[0], random_inputs.integer(rng, 60, 100))), params, activation], {}))
    return cases


def _judge_activation_stds(got, args, kwargs):
    # Population (ddof=0) and sample (ddof=1) standard deviations are both accepted.
    X, params, activation = args
    if isinstance(got, np.ndarray) and got.ndim == 1:
        got = list(got)
    _, cache = forward(X, params, activation, activation)
    L = sum(1 for key in params if key.startswith("W"))
    population = [float(np.std(cache[f"A{l}"])) for l in range(1, L + 1)]
    sample = [float(np.std(cache[f"A{l}"], ddof=1)) for l in range(1, L + 1)]
    reason = match(got, population, "the result")
    if reason and match(got, sample, "the result") is None:
        return None
    return reason


def _cases_gradient_stds(rng):
    cases = []
    # One smooth activation in every draw: there g'(A) differs from g'(Z) and g' from 1, so that a slip
    # of where g' is taken shows (with relu or the identity alone it would not).
    for activation in (random_inputs.pick(rng, ("tanh", "sigmoid")), random_inputs.pick(rng, ("relu", "identity"))):
        sizes = random_inputs.layer_sizes(rng, 2, 5, 3, 12)
        X = rng.standard_normal((sizes[0], random_inputs.integer(rng, 5, 40)))
        cases.append(([X, random_inputs.params(rng, sizes), activation], {}))
    return cases


def _judge_gradient_stds(got, args, kwargs):
    # Population (ddof=0) and sample (ddof=1) standard deviations are both accepted, as for activation_stds.
    params = args[1]
    if isinstance(got, np.ndarray) and got.ndim == 1:
        got = list(got)
    population = call_reference(gradient_stds, args, kwargs)
    entries = [params[f"W{l}"].size for l in range(1, len(population) + 1)]
    sample = [s * math.sqrt(n / (n - 1)) for s, n in zip(population, entries)]
    reason = match(got, population, "the result")
    if reason and match(got, sample, "the result") is None:
        return None
    return reason


def _judge_init_zeros(got, args, kwargs):
    # Integer zeros compare equal to float ones, but a gradient step could not add fractions to them.
    if isinstance(got, dict):
        for key, value in got.items():
            if isinstance(value, np.ndarray) and value.dtype.kind != "f":
                return f"{key} has dtype {value.dtype}, expected floats"
    return same_as_reference(init_zeros)(got, args, kwargs)


SPECS = {
    "init_zeros": Spec(_cases_init_zeros, _judge_init_zeros),
    # Random: judged by properties, whatever the order of the draws.
    "init_normal": Spec(_cases_init_normal, _judge_init(lambda args, kwargs: lambda n_in, n_out: args[1])),
    "init_xavier": Spec(_cases_init_scaled,
                        _judge_init(lambda args, kwargs: lambda n_in, n_out: math.sqrt(2.0 / (n_in + n_out)))),
    "init_he": Spec(_cases_init_scaled, _judge_init(lambda args, kwargs: lambda n_in, n_out: math.sqrt(2.0 / n_in))),
    # Deterministic, with their own comparison.
    "activation_stds": Spec(_cases_activation_stds, _judge_activation_stds),
    "gradient_stds": Spec(_cases_gradient_stds, _judge_gradient_stds),
}
