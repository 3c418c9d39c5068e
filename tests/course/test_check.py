"""Each diagnosis in course.check fires on the mistake it names, and correct values pass quietly."""

import warnings

import numpy as np
import pytest

from course.check import check_array, check_dict, check_not_mutated, check_scalar, check_shape, passed

M = 8  # batch size


@pytest.fixture
def layer():
    """One dense layer's backward pass, done right: delta (3, m), A_prev (4, m), W (3, 4)."""
    rng = np.random.default_rng(0)
    delta, A_prev = rng.normal(size=(3, M)), rng.normal(size=(4, M))
    dW = delta @ A_prev.T / M
    db = np.sum(delta, axis=1, keepdims=True) / M
    return {"delta": delta, "A_prev": A_prev, "W": rng.normal(size=(3, 4)), "dW": dW, "db": db}


def fails(check, *args, **kwargs):
    """Run a check that must fail and return its message."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


def test_missing_one_over_m(layer):
    dW = layer["delta"] @ layer["A_prev"].T  # summed, never averaged
    msg = fails(check_array, dW, layer["dW"], name="dW1", m=M)
    assert msg.startswith("dW1: ") and "missing the 1/m factor" in msg
    assert "divided by m twice" in fails(check_array, dW / M / M, layer["dW"], name="dW1", m=M)


def test_factor_m_needs_every_element_and_m_not_one(layer):
    dW = layer["delta"] @ layer["A_prev"].T
    dW[0, 0] += 1.0  # one element breaks the pattern: no claim about m
    msg = fails(check_array, dW, layer["dW"], name="dW1", m=M)
    assert "values differ" in msg and "1/m" not in msg
    assert "1/m" not in fails(check_array, 2 * layer["dW"], layer["dW"], m=1)
    assert "1/m" not in fails(check_array, np.ones((2, 2)), np.zeros((2, 2)), m=M)
    tiny = np.full(3, 5e-8)  # an all-zeros answer is not "expected / m" just because expected is tiny
    assert "values differ" in fails(check_array, np.zeros(3), tiny, m=100)


def test_transposed_shape(layer):
    dW = layer["A_prev"] @ layer["delta"].T / M  # (4, 3): operands swapped
    msg = fails(check_array, dW, layer["dW"], name="dW1")
    assert "looks transposed" in msg and "(4, 3)" in msg and "(3, 4)" in msg
    delta, A_prev = layer["delta"], layer["A_prev"][:3]  # square (3, 3) dW: only values can tell
    wrong = A_prev @ delta.T / M
    assert "looks transposed" in fails(check_array, wrong, delta @ A_prev.T / M, name="dW2")


def test_sum_without_keepdims(layer):
    db = np.sum(layer["delta"], axis=1) / M  # (3,) instead of (3, 1)
    msg = fails(check_array, db, layer["db"], name="db1")
    assert "keep the column" in msg and "keepdims=True" in msg
    assert "keep the row" in fails(check_array, np.ones(4), np.ones((1, 4)))
    assert "extra axis" in fails(check_array, np.ones((4, 1)), np.ones(4))


def test_bias_shape_accidents(layer):
    b = np.zeros((3, 1))
    db = np.sum(layer["delta"], axis=1) / M
    new_b = b - 0.1 * db  # (3, 1) - (3,) broadcasts to (3, 3)
    assert "broadcasting accident" in fails(check_array, new_b, b - 0.1 * layer["db"], name="b1")
    db = layer["delta"] / M  # (3, m): the sum over examples is missing
    assert "forget to sum over the examples" in fails(check_array, db, layer["db"], name="db1")


def test_sign_flipped():
    rng = np.random.default_rng(2)
    A, Y = rng.uniform(size=(1, M)), (rng.uniform(size=(1, M)) > 0.5).astype(float)
    assert "sign flipped" in fails(check_array, Y - A, A - Y, name="dZ2")


def test_softmax_overflow_nan():
    Z = np.array([[1000.0, 1.0], [999.0, 2.0]])
    with np.errstate(all="ignore"):
        naive = np.exp(Z) / np.sum(np.exp(Z), axis=0, keepdims=True)  # inf / inf = NaN
    stable = np.exp(Z - Z.max(axis=0)) / np.sum(np.exp(Z - Z.max(axis=0)), axis=0)
    msg = fails(check_array, naive, stable, name="A2")
    assert "NaN/inf" in msg and "stable form" in msg


def test_wrong_types(layer):
    assert "forget to `return`" in fails(check_array, None, layer["dW"])
    assert "got a list" in fails(check_array, layer["dW"].tolist(), layer["dW"])
    assert "Python float" in fails(check_array, float(np.sum(layer["db"])), layer["db"])
    assert "single number" in fails(check_array, np.sum(layer["db"]), layer["db"])  # np.float64
    assert "dtype object" in fails(check_array, np.array([None, 1.0]), np.ones(2))
    assert "got a str" in fails(check_array, "dW", layer["dW"])


def test_other_value_errors_report_worst_element(layer):
    wrong = layer["dW"].copy()
    wrong[2, 1] += 0.5
    wrong[0, 0] += 0.01
    msg = fails(check_array, wrong, layer["dW"], name="dW1")
    assert msg.startswith("dW1: values differ") and "index (2, 1)" in msg and "2 of 12" in msg


def test_no_warnings_even_on_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        msg = fails(check_array, np.array([1.0, 2.0]), np.array([1e308, -1e308]), m=10)
        assert "values differ" in msg
        fails(check_array, np.array([np.inf, 1.0]), np.array([1.0, 1.0]))


class FakeCuPy:
    """Stands in for a CuPy array: has .shape and .get(); NumPy cannot read it directly."""

    def __init__(self, data):
        self._data, self.shape = np.asarray(data), np.shape(data)

    def get(self):
        return self._data.copy()

    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed")


def test_correct_values_pass(layer):
    dW = layer["dW"]
    check_array(dW.copy(), dW, m=M)
    check_array(dW * (1 + 1e-8), dW, m=M)  # tolerance-level noise
    check_array(dW.astype(np.float32), dW, m=M)
    check_array(dW.astype(np.float32) * np.float32(1 + 3e-7), dW)  # float32 rounding
    check_array(np.arange(6).reshape(2, 3), np.arange(6.0).reshape(2, 3))  # integer-valued
    check_array(np.zeros((3, 1)), np.zeros((3, 1)), m=M)
    check_array(np.eye(3), np.eye(3))  # symmetric: transposed is also correct
    check_array(FakeCuPy(dW), dW)
    check_array(2.0, np.float64(2.0))  # a plain number is fine where a 0-d array is expected
    assert "sign flipped" in fails(check_array, FakeCuPy(-dW), dW)


def test_check_shape(layer):
    check_shape(layer["dW"], (3, 4))
    check_shape(FakeCuPy(layer["db"]), [3, 1])
    assert "looks transposed" in fails(check_shape, layer["dW"].T, (3, 4), name="W1")
    assert "keep the column" in fails(check_shape, np.ones(3), (3, 1), name="b1")
    assert "expected shape (3, 4), got (2, 2)" in fails(check_shape, np.ones((2, 2)), (3, 4))


def bce(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def test_check_scalar_mistakes():
    A, Y = np.array([[0.9, 0.2, 0.7, 0.4]]), np.array([[1.0, 0.0, 1.0, 1.0]])
    cost, m = bce(A, Y), Y.shape[1]
    per_example = -(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    assert "float(cost)" in fails(check_scalar, per_example, cost, name="cost")
    assert "missing the 1/m" in fails(check_scalar, float(np.sum(per_example)), cost, name="cost", m=m)
    assert "divided by m twice" in fails(check_scalar, cost / m, cost, m=m)
    assert "sign flipped" in fails(check_scalar, -cost, cost, name="cost")
    with np.errstate(all="ignore"):
        log_zero = bce(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))  # log(0) = -inf
    assert "NaN/inf" in fails(check_scalar, log_zero, 20.0)
    assert "forget to `return`" in fails(check_scalar, None, cost)
    assert "float(cost)" in fails(check_scalar, [cost], cost)
    msg = fails(check_scalar, cost + 0.1, cost, name="cost")
    assert msg.startswith("cost: expected") and "abs error 0.1" in msg


def test_check_scalar_correct():
    check_scalar(0.25, 0.25)
    check_scalar(np.float64(0.25), 0.25, m=M)
    check_scalar(np.float32(0.25) + np.float32(1e-8), 0.25)
    check_scalar(np.array(0.25), np.array(0.25))
    check_scalar(np.array([[0.25]]), 0.25)  # size-1 arrays are accepted
    check_scalar(3, 3.0)
    check_scalar(FakeCuPy(np.array(0.25)), 0.25)
    check_scalar(0.0, 0.0, m=M)


def grads_for(layer):
    return {"dW1": layer["dW"], "db1": layer["db"], "dW2": layer["dW"][:1], "db2": layer["db"][:1]}


def test_check_dict_keys(layer):
    want = grads_for(layer)
    partial = {k: v for k, v in want.items() if k != "db2"}
    assert "missing 'db2'" in fails(check_dict, partial, want)
    extra = dict(want, dA0=np.ones(3))
    assert "unexpected 'dA0'" in fails(check_dict, extra, want)
    params_named = {k[1:]: v for k, v in want.items()}  # "W1" instead of "dW1"
    assert "gradients are named like 'dW1'" in fails(check_dict, params_named, want)
    assert "'W1' not 'dW1'" in fails(check_dict, want, params_named, name="params")
    shifted = {"W0": 1, "b0": 2, "W1": 3, "b1": 4}
    assert "shifted by one" in fails(check_dict, shifted, {"W1": 1, "b1": 2, "W2": 3, "b2": 4})
    assert "case-sensitive" in fails(check_dict, {"w1": 1}, {"W1": 1})
    assert "got a list" in fails(check_dict, list(want.values()), want)
    assert "forget to `return`" in fails(check_dict, None, want)


def test_check_dict_values(layer):
    want = grads_for(layer)
    check_dict({k: v.copy() for k, v in want.items()}, want, m=M)
    check_dict({"W1": np.ones((2, 2)), "t": 3}, {"W1": np.ones((2, 2)), "t": 3.0}, name="state")
    got = dict(want, dW1=layer["delta"] @ layer["A_prev"].T)
    msg = fails(check_dict, got, want, m=M)
    assert msg.startswith("grads['dW1']: ") and "missing the 1/m factor" in msg
    got = dict(want, db2=np.sum(layer["delta"][:1], axis=1) / M)
    msg = fails(check_dict, got, want)
    assert msg.startswith("grads['db2']: ") and "keep the column" in msg


def update_in_place(params, grads, lr=0.1):
    for key in params:
        params[key] -= lr * grads["d" + key]
    return params


def update_reassign(params, grads, lr=0.1):
    params["W1"] = params["W1"] - lr * grads["dW1"]
    return params


def test_in_place_update_is_caught(layer):
    params, grads = {"W1": layer["W"].copy()}, {"dW1": layer["dW"]}
    msg = fails(check_not_mutated, update_in_place, params, grads)
    assert msg.startswith("update_in_place: modified its input params['W1'] in place")
    assert "W = W - lr * dW" in msg
    msg = fails(check_not_mutated, update_reassign, params={"W1": layer["W"].copy()}, grads=grads)
    assert "params['W1'] was reassigned" in msg


def test_other_arguments_named():
    def relu_inplace(Z):
        Z[Z < 0] = 0
        return Z

    def collect(history, value):
        history.append(value)
        return history

    msg = fails(check_not_mutated, relu_inplace, np.array([[-1.0, 2.0]]))
    assert "modified its input Z in place" in msg
    with pytest.raises(AssertionError, match=r"args\[2\]"):
        check_not_mutated(np.add, np.ones(2), np.ones(2), np.zeros(2))  # out argument by position
    assert "history in place (its length changed)" in fails(check_not_mutated, collect, [1.0], 2.0)
    check_not_mutated(lambda labels: labels.copy(), np.array(["cat", "dog"]))  # non-float arrays


def test_correct_function_passes_and_returns(layer):
    params, grads = {"W1": layer["W"].copy()}, {"dW1": layer["dW"]}
    def update_correct(params, grads, lr=0.1):
        return {key: value - lr * grads["d" + key] for key, value in params.items()}

    new = check_not_mutated(update_correct, params, grads, lr=0.5)
    np.testing.assert_allclose(new["W1"], layer["W"] - 0.5 * layer["dW"])
    np.testing.assert_array_equal(params["W1"], layer["W"])
    rng = np.random.default_rng(0)  # a Generator changes state when used: that is allowed
    check_not_mutated(lambda shape, rng: rng.normal(size=shape), (2, 3), rng=rng)


def test_passed_prints(capsys):
    passed()
    passed("dense_backward: all checks passed.")
    assert capsys.readouterr().out == "All checks passed.\ndense_backward: all checks passed.\n"
