"""The reference runs unchanged on any array API library: here array-api-strict, which rejects
every NumPy-only habit (methods, implicit conversions, mixed bool/float arithmetic...).

Each case runs on NumPy and on array-api-strict inputs and must give the same numbers; CuPy
follows the same standard, so this is the CPU-side proof that the GPU path works.
"""

import array_api_strict as xps
import numpy as np
import pytest
from array_api_strict._array_object import Array as StrictArray

from autograder import reference as ref


def to_strict(value):
    if isinstance(value, np.ndarray):
        return xps.asarray(value)
    if isinstance(value, dict):
        return {k: to_strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_strict(v) for v in value)
    return value


def to_numpy(value):
    if isinstance(value, StrictArray):
        return np.asarray(value)
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    return value


def assert_same(strict_result, numpy_result):
    if isinstance(numpy_result, dict):
        assert set(strict_result) == set(numpy_result)
        for key in numpy_result:
            assert_same(strict_result[key], numpy_result[key])
    elif isinstance(numpy_result, (list, tuple)):
        assert len(strict_result) == len(numpy_result)
        for a, b in zip(strict_result, numpy_result):
            assert_same(a, b)
    elif isinstance(numpy_result, np.ndarray):
        assert isinstance(strict_result, StrictArray), f"expected a strict array, got {type(strict_result)}"
        np.testing.assert_allclose(np.asarray(strict_result), numpy_result, rtol=1e-12, atol=1e-14)
    else:
        if isinstance(strict_result, StrictArray) and strict_result.ndim == 0:
            strict_result = float(strict_result)  # a 0-d array where NumPy gives a scalar (a tape's cost)
        assert strict_result == pytest.approx(numpy_result, rel=1e-12)


rng = np.random.default_rng(0)
PARAMS = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1)),
          "W2": rng.standard_normal((3, 4)), "b2": rng.standard_normal((3, 1))}
X = rng.standard_normal((3, 6))
Y = np.eye(3)[rng.integers(0, 3, 6)].T
Z = np.array([[-1000.0, -2.0, 0.0, 0.5, 1000.0]])
GRADS = {f"d{k}": rng.standard_normal(v.shape) for k, v in PARAMS.items()}
STATE = {k: np.abs(rng.standard_normal(v.shape)) for k, v in PARAMS.items()}


def cache_of(hidden, output):
    return ref.forward(X, PARAMS, hidden, output)[1]


CASES = {
    "activations": lambda xp_in: [f(xp_in(Z)) for f in (ref.sigmoid, ref.relu, ref.leaky_relu, ref.softplus, ref.swish,
                                                       ref.sigmoid_prime, ref.relu_prime, ref.leaky_relu_prime,
                                                       ref.tanh_prime, ref.softmax)],
    "forward": lambda xp_in: ref.forward(xp_in(X), xp_in(PARAMS), "tanh", "softmax"),
    "losses": lambda xp_in: [ref.cross_entropy_loss(xp_in(ref.softmax(X)), xp_in(Y)),
                             ref.bce_loss(xp_in(ref.sigmoid(X)), xp_in(Y)), ref.mse_loss(xp_in(X), xp_in(Y))],
    "backward_batch": lambda xp_in: ref.backward_batch(
        xp_in(Y), xp_in(PARAMS), xp_in(cache_of("swish", "softmax")), "swish", "softmax", "cross_entropy"),
    "backward_mse": lambda xp_in: ref.backward_batch(
        xp_in(Y), xp_in(PARAMS), xp_in(cache_of("softplus", "sigmoid")), "softplus", "sigmoid", "mse"),
    "numerical_gradient": lambda xp_in: ref.numerical_gradient(lambda a: float(np.sum(np.asarray(a) ** 2)), xp_in(X)),
    "numerical_jacobian": lambda xp_in: ref.numerical_jacobian(lambda v: v * v, xp_in(np.array([1.0, 2.0]))),
    "gradient_check": lambda xp_in: ref.gradient_check(
        lambda p: ref.mse_loss(ref.forward(xp_in(X), p, "tanh", "identity")[0], xp_in(Y)),
        xp_in(PARAMS), xp_in(GRADS)),
    "sgd_l2": lambda xp_in: [ref.sgd_step(xp_in(PARAMS), xp_in(GRADS), 0.1),
                             ref.l2_gradients(xp_in(GRADS), xp_in(PARAMS), 0.3),
                             ref.l2_cost(1.5, xp_in(PARAMS), 0.3)],
    "optimizers": lambda xp_in: [
        ref.momentum_update(xp_in(PARAMS), xp_in(GRADS), xp_in(STATE), 0.1, 0.9),
        ref.nesterov_update(xp_in(PARAMS), xp_in(GRADS), xp_in(STATE), 0.1, 0.9),
        ref.adagrad_update(xp_in(PARAMS), xp_in(GRADS), xp_in(STATE), 0.1),
        ref.rmsprop_update(xp_in(PARAMS), xp_in(GRADS), xp_in(STATE), 0.1),
        ref.adam_update(xp_in(PARAMS), xp_in(GRADS), xp_in(STATE), xp_in(STATE), 4, 0.1)],
    "dropout": lambda xp_in: [ref.dropout_forward(xp_in(X), 0.7, np.random.default_rng(5)),
                              ref.dropout_backward(xp_in(X), xp_in((X > 0).astype(float)), 0.7)],
    "activation_stds": lambda xp_in: ref.activation_stds(xp_in(X), xp_in(PARAMS), "tanh"),
    "gradient_stds": lambda xp_in: [ref.gradient_stds(xp_in(X), xp_in(PARAMS), activation)
                                    for activation in ("sigmoid", "relu", "identity")],
    "train": lambda xp_in: ref.train(xp_in(X), xp_in(Y), [3, 4, 3], 3, 4, 0.1, np.random.default_rng(6)),
    "autodiff": lambda xp_in: [ref.reverse_mode(ref.network_tape(2, "tanh"), xp_in({"X": X, "Y": Y, **PARAMS}), "C"),
                               ref.forward_mode(ref.network_tape(2), xp_in({"X": X, "Y": Y, **PARAMS}),
                                                xp_in({"W1": GRADS["dW1"], "b2": GRADS["db2"]})),
                               ref.unbroadcast(xp_in(X), (3, 1))],
    "batchnorm": lambda xp_in: [ref.batchnorm_backward(xp_in(X), ref.batchnorm_forward(xp_in(X), xp_in(STATE["b1"][:3]),
                                                                                       xp_in(GRADS["db2"]))[1]),
                                ref.layernorm_backward(xp_in(X), ref.layernorm_forward(xp_in(X), xp_in(STATE["b1"][:3]),
                                                                                       xp_in(GRADS["db2"]))[1]),
                                ref.batchnorm_inference(xp_in(X), xp_in(STATE["b1"][:3]), xp_in(GRADS["db2"]),
                                                        xp_in(GRADS["db2"]), xp_in(STATE["b2"]))],
    "capstone": lambda xp_in: [ref.predict(xp_in(X), xp_in(PARAMS)), ref.accuracy(xp_in(X), xp_in(Y), xp_in(PARAMS)),
                               ref.train_classifier(xp_in(X), xp_in(Y), np.random.default_rng(7), epochs=2)],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_numbers_on_array_api_strict(name):
    numpy_result = CASES[name](lambda v: v)
    strict_result = CASES[name](to_strict)
    assert_same(strict_result, to_numpy(numpy_result) if name == "capstone" else numpy_result)
