"""The trainers' in-place step gives the generic step's numbers, without allocating per step.

`autograder.reference.inplace` repeats forward/backward with out= buffers for NumPy and CuPy.
Every supported hidden activation and output pairing is compared with the generic reference
(itself checked against finite differences), in float64 and float32; `train` and
`train_classifier` give the same parameters either way; and a step at batch 256 allocates
almost nothing, which is the whole point of the module.
"""

import itertools
import tracemalloc

import array_api_strict as xps
import numpy as np
import pytest

from autograder import reference as ref
from autograder.reference import inplace

PAIRINGS = sorted(inplace.OUTPUTS)


def make_problem(sizes, m, output_activation, dtype, seed):
    rng = np.random.default_rng(seed)
    params = {key: value.astype(dtype) for key, value in ref.init_he(sizes, rng).items()}
    for key in params:
        if key.startswith("b"):
            params[key] += dtype(0.1) * rng.standard_normal(params[key].shape).astype(dtype)
    X = rng.standard_normal((sizes[0], m)).astype(dtype)
    if output_activation == "softmax":
        Y = np.eye(sizes[-1], dtype=dtype)[:, rng.integers(0, sizes[-1], m)]
    else:
        Y = rng.integers(0, 2, (sizes[-1], m)).astype(dtype)
    return params, X, Y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden, pairing", list(itertools.product(sorted(inplace.HIDDEN), PAIRINGS)))
def test_in_place_step_matches_generic_forward_and_backward(hidden, pairing, dtype):
    output, loss = pairing
    sizes, m = [5, 7, 4, 3], 9
    params, X, Y = make_problem(sizes, m, output, dtype, seed=len(hidden) + len(output))
    AL, cache = ref.forward(X, params, hidden, output)
    expected = ref.backward_batch(Y, params, cache, hidden, output, loss)

    buffers = inplace.allocate_buffers(sizes, m, X)
    got_AL = inplace.forward_into(X, params, buffers, hidden, output)
    got = inplace.backward_into(Y, params, buffers, hidden)

    tolerance = {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(got_AL, AL, **tolerance)
    for l in range(1, len(sizes)):
        np.testing.assert_allclose(buffers[f"Z{l}"], cache[f"Z{l}"], **tolerance)
    assert set(got) == set(expected)
    for key in expected:
        assert got[key].dtype == dtype and got[key].shape == expected[key].shape
        np.testing.assert_allclose(got[key], expected[key], **tolerance, err_msg=key)


def test_sigmoid_in_place_does_not_overflow_or_lose_saturated_values():
    Z = np.array([[-800.0, -30.0, 0.0, 30.0, 800.0]])
    A = np.empty_like(Z)
    with np.errstate(all="raise"):
        inplace.activate_into(np, Z, A, "sigmoid")
    np.testing.assert_allclose(A, ref.sigmoid(Z), atol=1e-15)


def test_sgd_step_into_updates_in_place_like_sgd_step():
    params, X, Y = make_problem([4, 3, 2], 5, "sigmoid", np.float64, seed=1)
    grads = {f"d{k}": np.full_like(v, 0.5) for k, v in params.items()}
    expected = ref.sgd_step(params, grads, 0.1)
    originals = {k: id(v) for k, v in params.items()}
    updated = inplace.sgd_step_into(params, {k: v.copy() for k, v in grads.items()}, 0.1)
    for key in expected:
        assert id(updated[key]) == originals[key], "the step must write into the existing arrays"
        np.testing.assert_allclose(updated[key], expected[key], rtol=1e-15)


@pytest.mark.parametrize("hidden, pairing", [("relu", ("softmax", "cross_entropy")), ("tanh", ("sigmoid", "bce"))])
def test_train_gives_the_same_parameters_in_place_and_generic(monkeypatch, hidden, pairing):
    output, loss = pairing
    # 23 columns in batches of 5: four full batches and a partial one, so two buffer sets are used.
    _, X, Y = make_problem([6, 5, 3], 23, output, np.float64, seed=4)
    run = lambda: ref.train(X, Y, [6, 5, 3], 3, 5, 0.2, np.random.default_rng(9), hidden, output, loss)  # noqa: E731 - a one-line closure, timed below
    assert inplace.supports(X, Y, hidden, output, loss)
    params, history = run()
    monkeypatch.setattr(inplace, "supports", lambda *args: False)
    generic_params, generic_history = run()
    np.testing.assert_allclose(history, generic_history, rtol=1e-12)
    for key in generic_params:
        np.testing.assert_allclose(params[key], generic_params[key], rtol=1e-11, atol=1e-13, err_msg=key)


def test_train_classifier_gives_the_same_parameters_in_place_and_generic(monkeypatch):
    _, X, Y = make_problem([6, 8, 3], 40, "softmax", np.float64, seed=5)
    params = ref.train_classifier(X, Y, np.random.default_rng(1), hidden_sizes=(8,), epochs=3, batch_size=16)
    monkeypatch.setattr(inplace, "supports", lambda *args: False)
    generic = ref.train_classifier(X, Y, np.random.default_rng(1), hidden_sizes=(8,), epochs=3, batch_size=16)
    for key in generic:
        np.testing.assert_allclose(params[key], generic[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_a_step_at_batch_256_allocates_almost_nothing():
    sizes, m = [64, 128, 64, 10], 256
    params, X, Y = make_problem(sizes, m, "softmax", np.float64, seed=2)
    buffers = inplace.allocate_buffers(sizes, m, X)

    def step():
        inplace.forward_into(X, params, buffers, "relu", "softmax")
        inplace.sgd_step_into(params, inplace.backward_into(Y, params, buffers, "relu"), 0.01)

    def peak_bytes(fn):
        fn()  # warm-up
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def generic_step():
        _, cache = ref.forward(X, params, "relu", "softmax")
        ref.sgd_step(params, ref.backward_batch(Y, params, cache, "relu", "softmax", "cross_entropy"), 0.01)

    one_hidden_array = 128 * m * 8
    in_place_peak, generic_peak = peak_bytes(step), peak_bytes(generic_step)
    # Only (1, m) column maxima/sums and (n, m) boolean masks remain: well under one (128, m) array.
    assert in_place_peak < one_hidden_array / 2, (in_place_peak, one_hidden_array)
    assert generic_peak > 4 * one_hidden_array  # the measurement can see what the generic step allocates


def test_supports_only_numpy_floats_and_the_collapsing_pairings():
    X, Y = np.zeros((3, 4)), np.zeros((2, 4))
    assert inplace.supports(X, Y, "relu", "softmax", "cross_entropy")
    assert inplace.supports(X, Y, "sigmoid", "sigmoid", "bce")
    assert not inplace.supports(xps.asarray(X), xps.asarray(Y), "relu", "softmax", "cross_entropy")
    assert not inplace.supports(X.astype(np.int64), Y, "relu", "softmax", "cross_entropy")
    assert not inplace.supports(X, Y, "swish", "softmax", "cross_entropy")
    assert not inplace.supports(X, Y, "relu", "identity", "mse")


def test_train_on_array_api_strict_takes_the_generic_step_and_agrees():
    _, X, Y = make_problem([4, 5, 3], 12, "softmax", np.float64, seed=6)
    params, history = ref.train(X, Y, [4, 5, 3], 2, 5, 0.1, np.random.default_rng(3))
    strict_params, strict_history = ref.train(xps.asarray(X), xps.asarray(Y), [4, 5, 3], 2, 5, 0.1,
                                              np.random.default_rng(3))
    np.testing.assert_allclose(strict_history, history, rtol=1e-12)
    for key in params:
        np.testing.assert_allclose(np.asarray(strict_params[key]), params[key], rtol=1e-11, atol=1e-13)
