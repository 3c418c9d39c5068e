"""01_notation: layer shapes, parameter counts, Jacobians and numerical derivatives."""

import math

import numpy as np

from ._namespace import as_float_array, namespace_of


def layer_shapes(layer_sizes):
    """Shapes of (W[l], b[l]) for l = 1..L.

    layer_sizes: [n0, n1, ..., nL]. Returns [((n1, n0), (n1, 1)), ..., ((nL, nL-1), (nL, 1))].
    """
    return [((n_out, n_in), (n_out, 1)) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]


def count_parameters(layer_sizes):
    """Number of weights and biases in a fully connected net: sum of n[l] * (n[l-1] + 1)."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def jacobian_example(x, y):
    """Jacobian (2, 2) of F(x, y) = [2x + y^3, e^y - 13x] at the point (x, y)."""
    return np.array([[2.0, 3.0 * y**2], [-13.0, math.exp(y)]])


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function.

    f: maps an array shaped like x to a number. x: array of any shape.
    Returns an array shaped like x. x itself is never modified (we perturb a copy).
    """
    xp = namespace_of(x)
    x = as_float_array(x, xp)
    shape = x.shape
    work = xp.reshape(xp.asarray(x, copy=True), (-1,))
    grad = xp.zeros_like(work)
    for i in range(work.shape[0]):
        original = float(work[i])
        work[i] = original + eps
        f_plus = float(f(xp.reshape(work, shape)))
        work[i] = original - eps
        f_minus = float(f(xp.reshape(work, shape)))
        work[i] = original
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return xp.reshape(grad, shape)


def numerical_jacobian(F, x, eps=1e-6):
    """Central-difference Jacobian (k, n) of F: R^n -> R^k at the 1-D point x (length n)."""
    xp = namespace_of(x)
    x = as_float_array(x, xp)
    columns = []
    for j in range(x.shape[0]):
        step = xp.zeros_like(x)
        step[j] = eps
        columns.append((xp.asarray(F(x + step)) - xp.asarray(F(x - step))) / (2 * eps))
    return xp.stack(columns, axis=1)
