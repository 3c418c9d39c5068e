"""05_initialization: weight initialisers and how activations and gradients spread through a deep net.

Every initialiser returns params {"W1", "b1", ..., "WL", "bL"} of NumPy float64 arrays with
W[l] (n[l], n[l-1]) and b[l] (n[l], 1) zero; random ones draw W1 first, then W2, ... from `rng`.
"""

import math

import numpy as np

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
