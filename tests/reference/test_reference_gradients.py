"""Every analytic gradient of the reference agrees with central finite differences (float64).

Sweep: each hidden activation x each output/loss pairing x 1..4 layers x batch sizes 1 and 5,
with and without L2. The finite differences here are written independently of the reference's
own `numerical_gradient`, so a bug in one cannot hide a bug in the other.
"""

import itertools

import numpy as np
import pytest

from autograder import reference as ref
from tests.support.finite_differences import finite_difference_grads

HIDDEN = ["sigmoid", "relu", "leaky_relu", "tanh", "softplus", "swish", "identity"]
PAIRINGS = [("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mse", "identity"), ("mse", "sigmoid")]
LOSS_FUNCTIONS = {"mse": ref.mse_loss, "bce": ref.bce_loss, "cross_entropy": ref.cross_entropy_loss}


def make_problem(num_layers, m, loss, output_activation, seed):
    rng = np.random.default_rng(seed)
    sizes = [3] + [int(n) for n in rng.integers(2, 5, size=num_layers - 1)] + [3 if loss == "cross_entropy" else 2]
    params = {}
    for l in range(1, num_layers + 1):
        params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
        params[f"b{l}"] = 0.5 * rng.standard_normal((sizes[l], 1))
    X = rng.standard_normal((sizes[0], m))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=m)].T
    elif output_activation == "sigmoid":
        Y = rng.integers(0, 2, size=(sizes[-1], m)).astype(float)
    else:
        Y = rng.standard_normal((sizes[-1], m))
    return params, X, Y


def relative_error(analytic, numeric):
    a = np.concatenate([analytic[k].ravel() for k in sorted(numeric)])
    n = np.concatenate([numeric[k].ravel() for k in sorted(numeric)])
    return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300)


def z_far_from_kinks(params, X, hidden):
    """ReLU-type kinks break finite differences; such draws are re-seeded, not tolerated."""
    if hidden not in ("relu", "leaky_relu"):
        return True
    _, cache = ref.forward(X, params, hidden, "identity")
    return all(np.min(np.abs(cache[f"Z{l}"])) > 1e-4 for l in range(1, len(params) // 2))


CASES = list(itertools.product(HIDDEN, PAIRINGS, [1, 2, 3, 4], [1, 5], [0.0, 0.7]))


@pytest.mark.parametrize("hidden, pairing, num_layers, m, lambd", CASES)
def test_backward_batch_matches_finite_differences(hidden, pairing, num_layers, m, lambd):
    loss, output_activation = pairing
    seed = 0
    while True:
        params, X, Y = make_problem(num_layers, m, loss, output_activation, seed)
        if z_far_from_kinks(params, X, hidden):
            break
        seed += 1

    def cost(p):
        AL, _ = ref.forward(X, p, hidden, output_activation)
        return ref.l2_cost(LOSS_FUNCTIONS[loss](AL, Y), p, lambd)

    _, cache = ref.forward(X, params, hidden, output_activation)
    grads = ref.backward_batch(Y, params, cache, hidden, output_activation, loss)
    grads = ref.l2_gradients(grads, params, lambd)
    assert relative_error(grads, finite_difference_grads(cost, params)) < 1e-7
    if m == 1:
        single = ref.l2_gradients(ref.backward(Y, params, cache, hidden, output_activation, loss), params, lambd)
        for key in grads:
            np.testing.assert_allclose(single[key], grads[key], rtol=1e-12)


@pytest.mark.parametrize("loss, output_activation", PAIRINGS)
def test_gradient_check_is_tiny_for_right_and_large_for_wrong_gradients(loss, output_activation):
    params, X, Y = make_problem(2, 4, loss, output_activation, seed=11)

    def cost(p):
        AL, _ = ref.forward(X, p, "tanh", output_activation)
        return LOSS_FUNCTIONS[loss](AL, Y)

    _, cache = ref.forward(X, params, "tanh", output_activation)
    grads = ref.backward_batch(Y, params, cache, "tanh", output_activation, loss)
    assert ref.gradient_check(cost, params, grads) < 1e-7
    missing_mean = {k: v * X.shape[1] for k, v in grads.items()}
    assert ref.gradient_check(cost, params, missing_mean) > 0.3
    sign_flipped = {k: -v for k, v in grads.items()}
    assert ref.gradient_check(cost, params, sign_flipped) == pytest.approx(1.0)


def test_gradient_check_is_zero_when_both_gradients_vanish():
    params = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    zeros = {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}
    assert ref.gradient_check(lambda p: 3.0, params, zeros) == 0.0


def masked_forward(X, params, masks, keep_prob):
    """ReLU hidden layers with frozen inverted-dropout masks, a sigmoid output: (AL, cache)."""
    L = len(params) // 2
    cache, A = {"A0": X}, X
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(Z, 0) * masks.get(f"D{l}", 1.0) / (keep_prob if f"D{l}" in masks else 1.0)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache


@pytest.mark.parametrize("num_layers, m, keep_prob, lambd", [(1, 3, 1.0, 0.5), (2, 1, 0.6, 0.0), (3, 5, 0.5, 0.3),
                                                             (4, 4, 0.8, 1.2), (3, 6, 1.0, 0.0)])
def test_backward_train_matches_finite_differences_of_the_regularised_masked_cost(num_layers, m, keep_prob, lambd):
    seed = 0
    while True:
        params, X, Y = make_problem(num_layers, m, "bce", "sigmoid", seed)
        params[f"W{num_layers}"], params[f"b{num_layers}"] = params[f"W{num_layers}"][:1], params[f"b{num_layers}"][:1]
        Y = Y[:1]
        if z_far_from_kinks(params, X, "relu"):
            break
        seed += 1
    rng = np.random.default_rng(seed)
    masks = {f"D{l}": (rng.random((params[f"b{l}"].shape[0], m)) < keep_prob).astype(float)
             for l in range(1, num_layers)} if keep_prob < 1 else {}

    def cost(p):
        return ref.l2_cost(ref.bce_loss(masked_forward(X, p, masks, keep_prob)[0], Y), p, lambd)

    grads = ref.backward_train(Y, params, masked_forward(X, params, masks, keep_prob)[1], masks, keep_prob, lambd)
    assert relative_error(grads, finite_difference_grads(cost, params)) < 1e-7
