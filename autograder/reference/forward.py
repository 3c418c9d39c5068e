"""02_forward: activations and forward propagation through an L-layer net.

Shapes: X and A[0] are (n[0], m); W[l] is (n[l], n[l-1]); b[l] is (n[l], 1); Z[l], A[l] are (n[l], m).
"""

import numpy as np

from ._namespace import as_float_array, namespace_of, num_layers


def sigmoid(z):
    """1 / (1 + e^-z), element-wise, without overflow: exp only ever sees -|z|."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))


def relu(z):
    """max(z, 0), element-wise."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return xp.where(z > 0, z, xp.zeros_like(z))


def leaky_relu(z, alpha=0.01):
    """z where z > 0, alpha * z elsewhere."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return xp.where(z > 0, z, alpha * z)


def softplus(z):
    """log(1 + e^z), written as max(z, 0) + log1p(e^-|z|) so that large |z| cannot overflow."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return relu(z) + xp.log1p(xp.exp(-xp.abs(z)))


def swish(z):
    """z * sigmoid(z)."""
    return z * sigmoid(z)


def tanh(z):
    """Hyperbolic tangent (listed so every activation name maps to a function)."""
    xp = namespace_of(z)
    return xp.tanh(as_float_array(z, xp))


def identity(z):
    """g(z) = z, the output activation for regression."""
    xp = namespace_of(z)
    return as_float_array(z, xp)


def softmax(Z):
    """Column-wise softmax: Z (K, m) -> A (K, m), each column sums to 1.

    Subtracting each column's maximum leaves the result unchanged and keeps exp from overflowing.
    """
    xp = namespace_of(Z)
    Z = as_float_array(Z, xp)
    e = xp.exp(Z - xp.max(Z, axis=0, keepdims=True))
    return e / xp.sum(e, axis=0, keepdims=True)


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "tanh": tanh,
    "softplus": softplus,
    "swish": swish,
    "identity": identity,
    "softmax": softmax,
}


def activate(Z, activation):
    """Apply the activation named `activation` ("relu", "sigmoid", ...) to Z."""
    try:
        g = ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}") from None
    return g(Z)


def linear_forward(A_prev, W, b):
    """Z = W A_prev + b. A_prev (n[l-1], m), W (n[l], n[l-1]), b (n[l], 1) -> Z (n[l], m)."""
    return W @ A_prev + b


def layer_forward(A_prev, W, b, activation):
    """One layer: returns (A, Z), both (n[l], m); Z is kept because backprop needs g'(Z)."""
    Z = linear_forward(A_prev, W, b)
    return activate(Z, activation), Z


def forward(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """Forward pass through L layers.

    X: (n[0], m). params: {"W1", "b1", ..., "WL", "bL"}.
    Returns (AL, cache) with AL (n[L], m) and cache {"A0": X, "Z1", "A1", ..., "ZL", "AL"}.
    """
    L = num_layers(params)
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        activation = output_activation if l == L else hidden_activation
        A, Z = layer_forward(A, params[f"W{l}"], params[f"b{l}"], activation)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return A, cache


def xor_params():
    """Hand-set 2-2-1 sigmoid net computing XOR: hidden units are OR and NAND, the output is their AND."""
    return {
        "W1": np.array([[20.0, 20.0], [-20.0, -20.0]]),
        "b1": np.array([[-10.0], [30.0]]),
        "W2": np.array([[20.0, 20.0]]),
        "b2": np.array([[-30.0]]),
    }
