"""The trainers' step, written into buffers allocated once per batch size (NumPy and CuPy only).

Same equations as forward.py and backprop.py, line for line; only memory differs. The generic
step makes a fresh (n, m) array per operation. Past glibc's mmap threshold (about 128 KB, e.g.
128 x 256 float64) every such array costs page faults, and at batch 256 that made the step slower
per column than at batch 64. Writing with out= into buffers kept across steps avoids it.

The array API has no out=, so array-api-strict (and any pairing not listed below) takes the
generic step instead: `supports` decides.
"""

import numpy as np
from array_api_compat import is_cupy_array, is_numpy_array

from ._namespace import namespace_of, num_layers

HIDDEN = {"relu", "leaky_relu", "sigmoid", "tanh"}
# Both pairings collapse BP1 to delta[L] = A[L] - Y.
OUTPUTS = {("softmax", "cross_entropy"), ("sigmoid", "bce")}
LEAKY_ALPHA = 0.01


def array_module(X):
    """numpy or cupy when X is one of their arrays (both take out=), else None."""
    if is_numpy_array(X):
        return np
    if is_cupy_array(X):
        import cupy

        return cupy
    return None


def supports(X, Y, hidden_activation, output_activation, loss):
    """True when the in-place step can train on floating-point X and Y with these choices."""
    xp = array_module(X)
    return (xp is not None and array_module(Y) is xp and namespace_of(X).isdtype(X.dtype, "real floating")
            and hidden_activation in HIDDEN and (output_activation, loss) in OUTPUTS)


def allocate_buffers(layer_sizes, m, X):
    """Buffers for a batch of m columns, in X's module and dtype.

    Z{l}, A{l}, delta{l}, g{l} (scratch for g'(Z)) are (n[l], m); dW{l} (n[l], n[l-1]) and
    db{l} (n[l], 1) receive the gradients.
    """
    xp = array_module(X)
    buffers = {}
    for l in range(1, len(layer_sizes)):
        for name in ("Z", "A", "delta", "g"):
            buffers[f"{name}{l}"] = xp.empty((layer_sizes[l], m), dtype=X.dtype)
        buffers[f"dW{l}"] = xp.empty((layer_sizes[l], layer_sizes[l - 1]), dtype=X.dtype)
        buffers[f"db{l}"] = xp.empty((layer_sizes[l], 1), dtype=X.dtype)
    return buffers


def gather_batch(X, Y, columns, layer_sizes, buffers_by_size):
    """Copy the given columns of X and Y into the buffers for that batch size (made on first use,
    with "X" (n[0], m) and "Y" (n[L], m) to gather into).

    columns: 1-D NumPy integer array. Returns (X_batch, Y_batch, buffers).
    """
    xp = array_module(X)
    m = columns.shape[0]
    if m not in buffers_by_size:
        buffers_by_size[m] = allocate_buffers(layer_sizes, m, X)
        buffers_by_size[m]["X"] = xp.empty((X.shape[0], m), dtype=X.dtype)
        buffers_by_size[m]["Y"] = xp.empty((Y.shape[0], m), dtype=Y.dtype)
    buffers = buffers_by_size[m]
    columns = xp.asarray(columns)
    return (xp.take(X, columns, axis=1, out=buffers["X"]), xp.take(Y, columns, axis=1, out=buffers["Y"]),
            buffers)


def activate_into(xp, Z, A, activation):
    """A <- g(Z) for g in HIDDEN or softmax (column-wise). Z, A: (n, m)."""
    if activation == "relu":
        xp.maximum(Z, 0, out=A)
    elif activation == "leaky_relu":
        xp.multiply(Z, LEAKY_ALPHA, out=A)
        xp.maximum(Z, A, out=A)  # max(z, alpha z) is leaky ReLU for 0 < alpha < 1
    elif activation == "sigmoid":
        # sigma(z) = (1 + tanh(z / 2)) / 2: no exp, so no overflow for any z.
        xp.multiply(Z, 0.5, out=A)
        xp.tanh(A, out=A)
        A *= 0.5
        A += 0.5
    elif activation == "tanh":
        xp.tanh(Z, out=A)
    elif activation == "softmax":
        xp.subtract(Z, Z.max(axis=0, keepdims=True), out=A)
        xp.exp(A, out=A)
        A /= A.sum(axis=0, keepdims=True)
    else:
        raise ValueError(f"the in-place step has no activation {activation!r}")
    return A


def multiply_by_derivative(xp, G, Z, A, scratch, activation):
    """G <- G * g'(Z), using A = g(Z) where that is cheaper. All (n, m); scratch is overwritten."""
    if activation == "relu":
        xp.greater(Z, 0, out=scratch)
    elif activation == "leaky_relu":
        xp.greater(Z, 0, out=scratch)
        scratch *= 1 - LEAKY_ALPHA
        scratch += LEAKY_ALPHA
    elif activation == "sigmoid":
        xp.subtract(1, A, out=scratch)
        scratch *= A
    elif activation == "tanh":
        xp.multiply(A, A, out=scratch)
        xp.subtract(1, scratch, out=scratch)
    G *= scratch
    return G


def forward_into(X, params, buffers, hidden_activation, output_activation):
    """Forward pass; Z{l}, A{l} land in buffers and A0 refers to X (n[0], m). Returns A{L}."""
    xp = array_module(X)
    L = num_layers(params)
    A = buffers["A0"] = X
    for l in range(1, L + 1):
        Z = xp.matmul(params[f"W{l}"], A, out=buffers[f"Z{l}"])
        Z += params[f"b{l}"]
        A = activate_into(xp, Z, buffers[f"A{l}"], output_activation if l == L else hidden_activation)
    return A


def backward_into(Y, params, buffers, hidden_activation):
    """Gradients of the mean cost, in buffers["dW{l}"], buffers["db{l}"]; returns them as a dict.

    Y (n[L], m). The delta buffers hold delta[l] / m: dividing once at the output (n[L] x m
    numbers) gives BP3 and BP4 their 1/m without dividing every dW.
    """
    xp = array_module(Y)
    L = num_layers(params)
    m = Y.shape[1]
    delta = xp.subtract(buffers[f"A{L}"], Y, out=buffers[f"delta{L}"])  # BP1, both pairings
    delta /= m
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = xp.matmul(delta, buffers[f"A{l - 1}"].T, out=buffers[f"dW{l}"])  # BP3
        grads[f"db{l}"] = xp.sum(delta, axis=1, keepdims=True, out=buffers[f"db{l}"])  # BP4
        if l > 1:
            delta = xp.matmul(params[f"W{l}"].T, delta, out=buffers[f"delta{l - 1}"])  # BP2
            multiply_by_derivative(xp, delta, buffers[f"Z{l - 1}"], buffers[f"A{l - 1}"],
                                   buffers[f"g{l - 1}"], hidden_activation)
    return grads


def sgd_step_into(params, grads, lr):
    """theta <- theta - lr * dtheta, in place (grads are scaled in place too). Returns params."""
    for key, theta in params.items():
        g = grads[f"d{key}"]
        g *= lr
        theta -= g
    return params
