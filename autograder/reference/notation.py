"""01_notation: layer shapes, parameter counts, Jacobians and numerical derivatives."""

import math

import numpy as np

from autograder.judging import Spec, describe, random_inputs, same_as_reference

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


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

def _cases_layer_shapes(rng):
    return [
        ([[random_inputs.integer(rng, 1, 300) for _ in range(random_inputs.integer(rng, 2, 7))]], {}),
        # equal widths: a transposed W is not visible by shape alone
        ([[random_inputs.integer(rng, 1, 9)] * random_inputs.integer(rng, 2, 5)], {}),
        ([[1, random_inputs.integer(rng, 1, 4)]], {}),
    ]


def _judge_layer_shapes(got, args, kwargs):
    want = layer_shapes(*args, **kwargs)
    if not isinstance(got, (list, tuple)):
        return f"returned {describe(got)}, expected a list of (W shape, b shape) pairs"
    if len(got) != len(want):
        return f"returned {len(got)} pairs, expected {len(want)} (one per layer with parameters)"
    for l, (entry, expected) in enumerate(zip(got, want), start=1):
        try:
            w_shape, b_shape = entry
            sizes = tuple(w_shape) + tuple(b_shape)
        except (TypeError, ValueError):
            return f"the entry of layer {l} is not a pair of shapes"
        # tuples or lists, ints or NumPy ints (the exercise accepts both); a float is not a size
        not_ints = [v for v in sizes if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))]
        if not_ints:
            return f"layer {l}: a shape holds {describe(not_ints[0])}, not ints"
        pair = (tuple(int(v) for v in w_shape), tuple(int(v) for v in b_shape))
        if pair != expected:
            return f"layer {l}: returned {pair}, expected {expected}"
    return None


def _cases_count_parameters(rng):
    cases = _cases_layer_shapes(rng)[:2]
    huge = [random_inputs.integer(rng, 10_000, 100_000), random_inputs.integer(rng, 1_000, 50_000), random_inputs.integer(rng, 2, 10)]
    return cases + [([huge], {})]


def _judge_count_parameters(got, args, kwargs):
    """An int (a float count, even a whole one, is refused: the exercise asks for an int)."""
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        return f"returned {describe(got)}, expected an int"
    return same_as_reference(count_parameters)(got, args, kwargs)


def _cases_jacobian_example(rng):
    x, y = (float(v) for v in rng.uniform(-4, 4, size=2))
    return [([x, y], {}), ([float(rng.uniform(-4, 4)), 0.0], {}), ([0.0, float(rng.uniform(-4, 4))], {})]


def _cases_numerical_gradient(rng):
    return [
        ([random_inputs.callable_arg("sum_of_cubes"), rng.uniform(-2, 2, size=random_inputs.integer(rng, 1, 5))], {}),
        ([random_inputs.callable_arg("weighted_squares"),
          rng.standard_normal((random_inputs.integer(rng, 1, 3), random_inputs.integer(rng, 2, 4)))],
         {"eps": float(rng.choice([1e-4, 1e-5]))}),
        # integer inputs are allowed
        ([random_inputs.callable_arg("sum_of_cubes"), rng.integers(-3, 4, size=(2, random_inputs.integer(rng, 1, 3)))], {}),
        ([random_inputs.callable_arg("weighted_squares"), rng.standard_normal((2, 1, random_inputs.integer(rng, 1, 3))), 1e-3], {}),
        # a large step: central differences of a cubic are off by exactly eps^2, so a hard-coded eps shows
        ([random_inputs.callable_arg("sum_of_cubes"), rng.uniform(-2, 2, size=random_inputs.integer(rng, 2, 4))],
         {"eps": float(rng.choice([0.05, 0.1]))}),
        # a coupled function and a large step: an entry never put back shifts the next partial derivatives
        ([random_inputs.callable_arg("coupled_cubic"),
          rng.uniform(-1.5, 1.5, size=(random_inputs.integer(rng, 1, 2), random_inputs.integer(rng, 2, 3)))],
         {"eps": float(rng.choice([0.05, 0.1]))}),
    ]


def _cases_numerical_jacobian(rng):
    return [
        ([random_inputs.callable_arg("sin_cos_map"), rng.uniform(-2, 2, size=random_inputs.integer(rng, 2, 5))], {}),
        ([random_inputs.callable_arg("sin_cos_map"), rng.uniform(-2, 2, size=1)], {}),
        ([random_inputs.callable_arg("sin_cos_map"), rng.uniform(-2, 2, size=random_inputs.integer(rng, 2, 4))], {"eps": 1e-5}),
        # integer inputs are allowed (x + eps must not be truncated); a large step shows a hard-coded eps
        ([random_inputs.callable_arg("sin_cos_map"), rng.integers(-2, 3, size=random_inputs.integer(rng, 2, 4))], {}),
        ([random_inputs.callable_arg("sin_cos_map"), rng.uniform(-2, 2, size=random_inputs.integer(rng, 2, 4))],
         {"eps": float(rng.choice([0.05, 0.1]))}),
        # every output depends on every input: an entry never put back shifts the next columns
        ([random_inputs.callable_arg("coupled_map"), rng.uniform(-1.5, 1.5, size=random_inputs.integer(rng, 3, 4))],
         {"eps": float(rng.choice([0.05, 0.1]))}),
    ]


SPECS = {
    "layer_shapes": Spec(_cases_layer_shapes, _judge_layer_shapes),
    "count_parameters": Spec(_cases_count_parameters, _judge_count_parameters),
    "jacobian_example": Spec(_cases_jacobian_example, same_as_reference(jacobian_example)),
    "numerical_gradient": Spec(_cases_numerical_gradient, same_as_reference(numerical_gradient)),
    "numerical_jacobian": Spec(_cases_numerical_jacobian, same_as_reference(numerical_jacobian)),
}
