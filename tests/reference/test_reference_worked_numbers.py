"""The worked numbers of the syllabus, reproduced by the reference implementation."""

import math

import numpy as np
import pytest

from autograder import reference as ref


@pytest.fixture
def net_121():
    """One input, two sigmoid hidden units, one sigmoid output (notebooks 02 and 03)."""
    return {
        "W1": np.array([[0.3], [0.4]]),
        "b1": np.array([[0.1], [0.2]]),
        "W2": np.array([[1.0, -3.0]]),
        "b2": np.array([[0.2]]),
    }


def test_forward_121(net_121):
    AL, cache = ref.forward(np.array([[1.0]]), net_121, "sigmoid", "sigmoid")
    np.testing.assert_allclose(cache["Z1"], [[0.4], [0.6]], atol=1e-6)
    np.testing.assert_allclose(cache["A1"], [[0.598688], [0.645656]], atol=1e-6)
    np.testing.assert_allclose(cache["Z2"], [[-1.138281]], atol=1e-6)
    np.testing.assert_allclose(AL, [[0.242636]], atol=1e-6)
    assert set(cache) == {"A0", "Z1", "A1", "Z2", "A2"}


def test_backward_121(net_121):
    Y = np.array([[1.0]])
    AL, cache = ref.forward(np.array([[1.0]]), net_121, "sigmoid", "sigmoid")
    delta2 = ref.output_delta(AL, Y, cache["Z2"], "mse", "sigmoid")
    np.testing.assert_allclose(delta2, [[-0.139176]], atol=1e-6)
    delta1 = ref.hidden_delta(delta2, net_121["W2"], cache["Z1"], "sigmoid")
    np.testing.assert_allclose(delta1, [[-0.033439], [0.095524]], atol=1e-6)
    grads = ref.backward(Y, net_121, cache, "sigmoid", "sigmoid", "mse")
    np.testing.assert_allclose(grads["dW2"], [[-0.083323, -0.089860]], atol=1e-6)
    np.testing.assert_allclose(grads["db2"], [[-0.139176]], atol=1e-6)
    np.testing.assert_allclose(grads["dW1"], [[-0.033439], [0.095524]], atol=1e-6)
    np.testing.assert_allclose(grads["db1"], [[-0.033439], [0.095524]], atol=1e-6)
    assert ref.mse_loss(AL, Y) == pytest.approx(0.286800, abs=1e-6)


def test_backward_refuses_a_batch(net_121):
    X = np.ones((1, 3))
    _, cache = ref.forward(X, net_121, "sigmoid", "sigmoid")
    with pytest.raises(ValueError, match="backward_batch"):
        ref.backward(np.ones((1, 3)), net_121, cache, "sigmoid", "sigmoid", "mse")


@pytest.mark.parametrize("n", [1, 5, 784])
def test_count_parameters(n):
    assert ref.count_parameters([n, 3, 2, 1]) == 3 * n + 14
    assert ref.count_parameters([784, 100, 10]) == 79510


def test_layer_shapes():
    assert ref.layer_shapes([4, 3, 2]) == [((3, 4), (3, 1)), ((2, 3), (2, 1))]
    assert ref.count_parameters([4, 3, 2]) == sum(a * b + c * d for (a, b), (c, d) in ref.layer_shapes([4, 3, 2]))


@pytest.mark.parametrize("x, y", [(0.0, 0.0), (1.5, -2.0), (-3.0, 0.7)])
def test_jacobian_example_matches_numerical_jacobian(x, y):
    def F(v):
        return np.array([2 * v[0] + v[1] ** 3, math.exp(v[1]) - 13 * v[0]])

    expected = np.array([[2, 3 * y**2], [-13, math.exp(y)]])
    np.testing.assert_allclose(ref.jacobian_example(x, y), expected)
    np.testing.assert_allclose(ref.numerical_jacobian(F, np.array([x, y])), expected, rtol=1e-6, atol=1e-6)


def test_chain_rule_worked_check():
    """Jacobian of [sin(x^2 + y), ln(y^3)] = [[2x cos(x^2+y), cos(x^2+y)], [0, 3/y]]."""
    x, y = 0.8, 1.3

    def F(v):
        return np.array([math.sin(v[0] ** 2 + v[1]), math.log(v[1] ** 3)])

    c = math.cos(x**2 + y)
    expected = np.array([[2 * x * c, c], [0.0, 3 / y]])
    np.testing.assert_allclose(ref.numerical_jacobian(F, np.array([x, y])), expected, atol=1e-7)


def test_numerical_gradient_any_shape_and_leaves_x_alone():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 2))
    before = x.copy()
    grad = ref.numerical_gradient(lambda a: float(np.sum(a**3)), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_xor_params_solve_xor():
    X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=float)
    AL, _ = ref.forward(X, ref.xor_params(), "sigmoid", "sigmoid")
    assert AL.shape == (1, 4)
    assert list(AL[0] > 0.5) == [False, True, True, False]
