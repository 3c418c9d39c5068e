"""Activations, losses, mini-batching, initialisers and regularisers of the reference."""

import numpy as np
import pytest

from autograder import reference as ref

Z = np.array([[-1000.0, -3.0, -1e-3, 0.0], [1e-3, 2.0, 40.0, 1000.0]])


def test_sigmoid_is_stable_and_correct():
    s = ref.sigmoid(Z)  # RuntimeWarnings are errors in this suite (pyproject), so overflow would fail
    assert np.all(np.isfinite(s))
    moderate = Z[np.abs(Z) < 50]
    np.testing.assert_allclose(ref.sigmoid(moderate), 1 / (1 + np.exp(-moderate)), rtol=1e-14)
    assert s[0, 0] == 0.0 and s[1, 3] == 1.0


def test_relu_family_and_softplus_swish():
    np.testing.assert_array_equal(ref.relu(Z), np.maximum(Z, 0))
    np.testing.assert_allclose(ref.leaky_relu(Z, alpha=0.1), np.where(Z > 0, Z, 0.1 * Z))
    sp = ref.softplus(Z)
    assert np.all(np.isfinite(sp))
    assert sp[1, 3] == pytest.approx(1000.0) and sp[0, 0] == pytest.approx(0.0, abs=1e-300)
    moderate = np.linspace(-20, 20, 41)
    np.testing.assert_allclose(ref.softplus(moderate), np.log1p(np.exp(moderate)), rtol=1e-12)
    np.testing.assert_allclose(ref.swish(moderate), moderate / (1 + np.exp(-moderate)), rtol=1e-12)


def test_softmax_columns_sum_to_one_even_for_huge_logits():
    logits = np.array([[1000.0, 1.0, -5.0], [999.0, 2.0, -5.0], [-1000.0, 3.0, -5.0]])
    A = ref.softmax(logits)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    np.testing.assert_allclose(A[:, 2], 1 / 3)
    np.testing.assert_allclose(A[:, 1], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())


def test_derivatives_match_finite_differences_and_relu_prime_at_zero():
    z = np.array([[-2.5, -0.3, 0.4, 1.7]])
    for g, g_prime in [
        (ref.sigmoid, ref.sigmoid_prime),
        (ref.relu, ref.relu_prime),
        (ref.leaky_relu, ref.leaky_relu_prime),
        (np.tanh, ref.tanh_prime),
    ]:
        numeric = (g(z + 1e-6) - g(z - 1e-6)) / 2e-6
        np.testing.assert_allclose(g_prime(z), numeric, rtol=1e-6)
    assert ref.relu_prime(np.array([0.0]))[0] == 0.0


def test_losses_are_floats_and_finite_at_certainty():
    Y = np.array([[1.0, 0.0, 1.0]])
    for AL in (np.array([[1.0, 0.0, 0.9]]), np.array([[0.0, 1.0, 0.5]])):
        value = ref.bce_loss(AL, Y)
        assert isinstance(value, float) and np.isfinite(value)
    assert ref.bce_loss(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) == pytest.approx(0.0, abs=1e-12)
    probs = np.array([[0.7, 0.0], [0.3, 1.0]])
    onehot = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert ref.cross_entropy_loss(probs, onehot) == pytest.approx(-np.log(0.7) / 2)
    assert ref.mse_loss(np.array([[1.0, 3.0]]), np.array([[0.0, 0.0]])) == pytest.approx((0.5 + 4.5) / 2)


def test_output_delta_rejects_unsupported_pairings():
    with pytest.raises(ValueError, match="unsupported"):
        ref.output_delta(np.ones((2, 1)), np.ones((2, 1)), np.ones((2, 1)), "bce", "softmax")


def test_minibatch_indices_cover_every_index_once():
    rng = np.random.default_rng(0)
    batches = ref.minibatch_indices(103, 16, rng)
    assert [len(b) for b in batches] == [16] * 6 + [7]
    assert sorted(np.concatenate(batches).tolist()) == list(range(103))
    assert np.concatenate(batches).tolist() != list(range(103))
    assert all(np.issubdtype(b.dtype, np.integer) and b.ndim == 1 for b in batches)
    assert [len(b) for b in ref.minibatch_indices(5, 10, rng)] == [5]


def test_sgd_step_returns_new_arrays():
    params = {"W1": np.ones((2, 3)), "b1": np.zeros((2, 1))}
    grads = {"dW1": np.full((2, 3), 2.0), "db1": np.ones((2, 1))}
    new = ref.sgd_step(params, grads, lr=0.1)
    np.testing.assert_allclose(new["W1"], 0.8)
    np.testing.assert_allclose(new["b1"], -0.1)
    np.testing.assert_array_equal(params["W1"], 1.0)


@pytest.mark.parametrize(
    "init, expected_std",
    [
        (lambda sizes, rng: ref.init_he(sizes, rng), lambda n_in, n_out: np.sqrt(2 / n_in)),
        (lambda sizes, rng: ref.init_xavier(sizes, rng), lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
        (lambda sizes, rng: ref.init_normal(sizes, 0.01, rng), lambda n_in, n_out: 0.01),
    ],
)
def test_random_initialisers_have_the_promised_spread(init, expected_std):
    sizes = [400, 300, 200]
    params = init(sizes, np.random.default_rng(1))
    for l in (1, 2):
        W, b = params[f"W{l}"], params[f"b{l}"]
        assert W.shape == (sizes[l], sizes[l - 1]) and b.shape == (sizes[l], 1)
        assert W.std() == pytest.approx(expected_std(sizes[l - 1], sizes[l]), rel=0.02)
        assert abs(W.mean()) < 0.01 * expected_std(sizes[l - 1], sizes[l]) * 10
        assert not b.any()
    again = init(sizes, np.random.default_rng(1))
    np.testing.assert_array_equal(again["W2"], params["W2"])


def test_zero_init_and_activation_stds():
    params = ref.init_zeros([3, 4, 2])
    assert {k: v.shape for k, v in params.items()} == {"W1": (4, 3), "b1": (4, 1), "W2": (2, 4), "b2": (2, 1)}
    assert not any(v.any() for v in params.values())
    rng = np.random.default_rng(2)
    X = rng.standard_normal((100, 500))
    deep = [100] * 11
    small = ref.activation_stds(X, ref.init_normal(deep, 0.01, rng), "tanh")
    assert len(small) == 10 and small[-1] < 1e-6 < small[0]
    he = ref.activation_stds(X, ref.init_he(deep, rng), "relu")
    assert 0.3 < he[-1] / he[0] < 3


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_gradient_stds_match_central_differences_of_the_summed_output(activation):
    seed = 0
    while True:  # ReLU draws with a Z near the kink are drawn again: finite differences break there
        rng = np.random.default_rng(seed)
        sizes = [3, 4, 2, 3]
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = 0.5 * rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((3, 5))
        _, cache = ref.forward(X, params, activation, activation)
        if all(np.min(np.abs(cache[f"Z{l}"])) > 1e-3 for l in range(1, len(sizes))):
            break
        seed += 1

    def cost(p):  # C = sum of every entry of A[L], over m
        return float(np.sum(ref.forward(X, p, activation, activation)[0])) / X.shape[1]

    numeric, eps = [], 1e-6
    for l in range(1, len(sizes)):
        dW = np.zeros_like(params[f"W{l}"])
        for index in np.ndindex(dW.shape):
            plus, minus = params[f"W{l}"].copy(), params[f"W{l}"].copy()
            plus[index] += eps
            minus[index] -= eps
            dW[index] = (cost({**params, f"W{l}": plus}) - cost({**params, f"W{l}": minus})) / (2 * eps)
        numeric.append(float(np.std(dW)))
    got = ref.gradient_stds(X, params, activation)
    assert isinstance(got, list) and all(isinstance(s, float) for s in got)
    np.testing.assert_allclose(got, numeric, rtol=1e-6)


def test_gradient_stds_vanish_with_sigmoid_and_stay_level_with_relu_and_he():
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, size=(100, 64))
    deep = [100] * 9
    sigmoid = np.array(ref.gradient_stds(X, ref.init_xavier(deep, rng), "sigmoid"))
    assert np.all((sigmoid[:-2] / sigmoid[1:-1] > 0.15) & (sigmoid[:-2] / sigmoid[1:-1] < 0.35))  # about 1/4 a layer
    he = ref.gradient_stds(X, ref.init_he(deep, rng), "relu")
    assert 0.3 < he[0] / he[-1] < 3


def test_l2_cost_and_gradients_leave_biases_alone():
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[5.0]])}
    assert ref.l2_cost(1.0, params, 0.1) == pytest.approx(1.0 + 0.05 * 5)
    grads = ref.l2_gradients({"dW1": np.zeros((1, 2)), "db1": np.zeros((1, 1))}, params, 0.1)
    np.testing.assert_allclose(grads["dW1"], [[0.1, 0.2]])
    np.testing.assert_array_equal(grads["db1"], [[0.0]])


def test_inverted_dropout_keeps_the_expectation():
    rng = np.random.default_rng(4)
    A = np.ones((200, 500))
    A_out, mask = ref.dropout_forward(A, 0.8, rng)
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert mask.mean() == pytest.approx(0.8, abs=0.01)
    assert A_out.mean() == pytest.approx(1.0, abs=0.02)
    np.testing.assert_allclose(ref.dropout_backward(A, mask, 0.8), mask / 0.8)
    _, all_kept = ref.dropout_forward(A, 1.0, rng)
    assert all_kept.all()


@pytest.mark.parametrize(
    "losses, patience, expected",
    [
        ([5, 4, 3, 3.5, 3.6, 3.7, 1.0], 3, 2),  # stops at epoch 5, before the later improvement
        ([5, 4, 3, 3.5, 2.0, 3.7, 3.8], 3, 4),  # never stops: best overall
        ([3, 3, 3, 3], 2, 0),  # earliest on ties
        ([1.0], 1, 0),
    ],
)
def test_early_stopping_epoch(losses, patience, expected):
    assert ref.early_stopping_epoch(losses, patience) == expected
