"""01_notation: layer shapes, parameter counts, Jacobians and numerical derivatives."""

import math

import numpy as np

from autograder.judging import Spec, describe, random_inputs, same_as_reference
from autograder.judging.mistakes import Mistake

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


# ---------------------------------------------------------------- the named mistakes (autograder.judging.mistakes)
# Each wrong transform makes one slip that the notebook's visible test names, on every case drawn above;
# its message is that test's own words.

def _pairs(layer_sizes):
    return list(zip(layer_sizes[:-1], layer_sizes[1:]))


def _jacobian_with(x, y, row, column, value):
    """The hand-derived Jacobian with one entry replaced by a slip's value."""
    J = jacobian_example(x, y)
    J[row, column] = value
    return J


def _gradient_steps(f, x, eps, step, divide):
    """Finite differences of f at a float copy of x, one entry at a time: `step(work, i, eps)` gives
    (f at the upper point, f at the lower point) and may leave `work` changed; `divide` the denominator."""
    work = np.array(x, dtype=float)
    grad = np.zeros_like(work)
    for i in np.ndindex(work.shape):
        upper, lower = step(work, i, eps)
        grad[i] = (upper - lower) / divide(eps)
    return grad


def _forward_step(f):
    def step(work, i, eps):
        lower = f(work)
        work[i] += eps
        upper = f(work)
        work[i] -= eps
        return upper, lower
    return step


def _unrestored_step(f):
    def step(work, i, eps):  # x + eps e_i, then x - eps e_i, and the entry is never put back
        work[i] += eps
        upper = f(work)
        work[i] -= 2 * eps
        return upper, f(work)
    return step


def _gradient_by_rows(f, x, eps=1e-6):
    """x[i] with one index: each step moves a whole row (all of x when it is 1-D and one entry)."""
    work = np.array(x, dtype=float)
    grad = np.zeros_like(work)
    for i in range(work.shape[0]):
        plus, minus = work.copy(), work.copy()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (f(plus) - f(minus)) / (2 * eps)
    return grad


def _gradient_in_ints(f, x, eps=1e-6):
    """An integer x nudged in place of a float copy: x + eps truncates back to x, every difference is 0."""
    if np.asarray(x).dtype.kind in "iu":
        return np.zeros(np.shape(x))
    return numerical_gradient(f, x, eps)


def _jacobian_columns(F, x, eps, forward_only=False, restore=True):
    """Columns of the Jacobian by differences of a float copy of x (central unless `forward_only`)."""
    work = np.array(x, dtype=float)
    columns = []
    for j in range(work.shape[0]):
        lower = np.asarray(F(work), dtype=float) if forward_only else None
        work[j] += eps
        upper = np.asarray(F(work), dtype=float)
        work[j] -= eps if forward_only else 2 * eps
        if not forward_only:
            lower = np.asarray(F(work), dtype=float)
            if restore:
                work[j] += eps
        columns.append((upper - lower) / (eps if forward_only else 2 * eps))
    return np.stack(columns, axis=1)


def _jacobian_in_ints(F, x, eps=1e-6):
    if np.asarray(x).dtype.kind in "iu":
        return np.zeros((np.asarray(F(np.asarray(x, dtype=float))).shape[0], np.shape(x)[0]))
    return numerical_jacobian(F, x, eps)


_NONE = r"(returned|is) a NoneType"
_IN_PLACE = r"changed its input"
_INT_TRUNCATED = "an int array cannot hold x + eps (it is truncated); make a float copy first"
_NOT_FROM_X = "every nudge must start from x itself; put each entry back to its original value before nudging the next"

MISTAKES = {
    "layer_shapes": (
        Mistake("w_transposed", "is transposed: W[l] has one row per unit of layer l and one column per unit of "
                "layer l-1, (n[l], n[l-1])", wrong=lambda s: [((i, o), (o, 1)) for i, o in _pairs(s)]),
        Mistake("b_of_layer_before", "b[l] has one entry per unit of layer l",
                wrong=lambda s: [((o, i), (i, 1)) for i, o in _pairs(s)]),
        Mistake("b_flat", "should be a column (n[l], 1), not a flat (n[l],) vector or a row",
                wrong=lambda s: [((o, i), (o,)) for i, o in _pairs(s)]),
        Mistake("b_row", "should be a column (n[l], 1), not a flat (n[l],) vector or a row",
                wrong=lambda s: [((o, i), (1, o)) for i, o in _pairs(s)]),
        Mistake("input_layer_counted", "one per layer with parameters; the input layer 0 has none",
                reason=r"pairs, expected \d+ \(one per layer with parameters\)"),
        Mistake("float_sizes", "a shape holds ints", reason=r"a shape holds .*, not ints"),
        Mistake("returned_none", "did you forget to `return` the list?", reason=_NONE),
    ),
    "count_parameters": (
        Mistake("weights_only", "counts the weights only: add one bias per unit of every layer with parameters",
                wrong=lambda s: sum(o * i for i, o in _pairs(s))),
        Mistake("biases_of_layer_before", "the biases belong to the receiving layer l",
                wrong=lambda s: sum(i * (o + 1) for i, o in _pairs(s))),
        Mistake("one_bias_per_layer", "one bias per layer: every unit of layer l has its own bias",
                wrong=lambda s: sum(o * i + 1 for i, o in _pairs(s))),
        Mistake("input_biases", "the input layer 0 has no biases", wrong=lambda s: count_parameters(s) + s[0]),
        Mistake("not_an_int", "expected an int", reason=r"returned a (float|.*ndarray|.*float64).*expected an int"),
        Mistake("returned_none", "did you forget to `return` the count?", reason=_NONE),
    ),
    "jacobian_example": (
        Mistake("transposed", "rows and columns are swapped", wrong=lambda x, y: jacobian_example(x, y).T),
        Mistake("rows_swapped", "the rows are in the wrong order: row 1 is the output F1 = 2x + y^3",
                wrong=lambda x, y: jacobian_example(x, y)[::-1]),
        Mistake("columns_swapped", "the columns are in the wrong order",
                wrong=lambda x, y: jacobian_example(x, y)[:, ::-1]),
        Mistake("arguments_swapped", "the function is called as jacobian_example(x, y), x first",
                wrong=lambda x, y: jacobian_example(y, x)),
        Mistake("flattened", "expected (2, 2): one row per output (F1, F2), one column per input (x, y)",
                wrong=lambda x, y: jacobian_example(x, y).ravel()),
        Mistake("term_2x_kept", "that is the term 2x itself, not its derivative",
                wrong=lambda x, y: _jacobian_with(x, y, 0, 0, 2.0 * x)),
        Mistake("power_rule_factor_missing", "the power rule's factor is missing: d/dy y^n = n y^(n-1)",
                wrong=lambda x, y: _jacobian_with(x, y, 0, 1, y**2)),
        Mistake("exponent_lowered_by_two", "the power rule lowers the exponent by one, not by two",
                wrong=lambda x, y: _jacobian_with(x, y, 0, 1, 3.0 * y)),
        Mistake("term_y3_kept", "that is the term y^3 itself, not its derivative",
                wrong=lambda x, y: _jacobian_with(x, y, 0, 1, y**3)),
        Mistake("dy_in_x", "a derivative with respect to y of a term in y depends on y, not on x",
                wrong=lambda x, y: _jacobian_with(x, y, 0, 1, 3.0 * x**2)),
        Mistake("f1_without_y", "F1 does depend on y", wrong=lambda x, y: _jacobian_with(x, y, 0, 1, 0.0)),
        Mistake("sign_of_13x", "the sign: F2 subtracts 13x", wrong=lambda x, y: _jacobian_with(x, y, 1, 0, 13.0)),
        Mistake("term_13x_kept", "that is the term -13x itself, not its derivative",
                wrong=lambda x, y: _jacobian_with(x, y, 1, 0, -13.0 * x)),
        Mistake("power_rule_on_exp", "the power rule does not apply to e^y: there y is the exponent",
                wrong=lambda x, y: _jacobian_with(x, y, 1, 1, y * math.exp(y - 1))),
        Mistake("f2_itself", "that is F2 itself; the partial derivative drops the term without y",
                wrong=lambda x, y: _jacobian_with(x, y, 1, 1, math.exp(y) - 13.0 * x)),
        Mistake("exp_of_x", "a derivative with respect to y of a term in y depends on y, not on x",
                wrong=lambda x, y: _jacobian_with(x, y, 1, 1, math.exp(x))),
        Mistake("f2_without_y", "F2 does depend on y", wrong=lambda x, y: _jacobian_with(x, y, 1, 1, 0.0)),
        Mistake("returned_none", "did you forget to `return` the array?", reason=_NONE),
    ),
    "numerical_gradient": (
        Mistake("forward_difference", "this is the forward difference (f(x + eps) - f(x)) / eps",
                wrong=lambda f, x, eps=1e-6: _gradient_steps(f, x, eps, _forward_step(f), lambda e: e)),
        Mistake("twice_too_big", "twice too big: divide by 2 * eps (the two points are 2 eps apart)",
                wrong=lambda f, x, eps=1e-6: 2 * numerical_gradient(f, x, eps)),
        Mistake("eps_ignored", "the step looks much smaller than eps: use the eps argument",
                wrong=lambda f, x, eps=1e-6: numerical_gradient(f, x)),
        Mistake("entry_not_put_back", _NOT_FROM_X,
                wrong=lambda f, x, eps=1e-6: _gradient_steps(f, x, eps, _unrestored_step(f), lambda e: 2 * e)),
        Mistake("whole_rows_nudged", "each entry holds the sum over its row", wrong=_gradient_by_rows),
        Mistake("integer_x_truncated", _INT_TRUNCATED, wrong=_gradient_in_ints),
        Mistake("x_changed_in_place", "x was modified: nudge a float copy of x, never x itself", reason=_IN_PLACE),
    ),
    "numerical_jacobian": (
        Mistake("forward_difference", "this is the forward difference (F(x + eps e_j) - F(x)) / eps",
                wrong=lambda F, x, eps=1e-6: _jacobian_columns(F, x, eps, forward_only=True)),
        Mistake("twice_too_big", "twice too big: divide by 2 * eps (the two points are 2 eps apart)",
                wrong=lambda F, x, eps=1e-6: 2 * numerical_jacobian(F, x, eps)),
        Mistake("eps_ignored", "the step looks much smaller than eps: use the eps argument",
                wrong=lambda F, x, eps=1e-6: numerical_jacobian(F, x)),
        Mistake("entry_not_put_back", _NOT_FROM_X,
                wrong=lambda F, x, eps=1e-6: _jacobian_columns(F, x, eps, restore=False)),
        Mistake("one_row_per_input", "has one row per input",
                wrong=lambda F, x, eps=1e-6: numerical_jacobian(F, x, eps).T),
        Mistake("integer_x_truncated", _INT_TRUNCATED, wrong=_jacobian_in_ints),
        Mistake("x_changed_in_place", "x was modified: nudge a float copy of x, never x itself", reason=_IN_PLACE),
    ),
}
