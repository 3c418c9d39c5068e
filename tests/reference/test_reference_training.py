"""The reference trainers learn: digits to at least 95 % test accuracy with fixed seeds."""

import numpy as np
import pytest

from autograder import reference as ref
from course import data


@pytest.fixture(scope="module")
def digits():
    return data.load_digits(rng=np.random.default_rng(0))


def test_sgd_trainer_reaches_95_percent_on_digits(digits):
    X_train, Y_train, X_test, Y_test = digits
    params, history = ref.train(X_train, Y_train, [64, 128, 10], epochs=50, batch_size=16, lr=0.05,
                                rng=np.random.default_rng(1))
    assert len(history) == 50
    assert history[-1] < 0.2 * history[0]
    test_accuracy = ref.accuracy(X_test, Y_test, params)
    print(f"reference train(): test accuracy {test_accuracy:.4f}")
    assert test_accuracy >= 0.95


def test_capstone_trainer_clears_the_notebooks_bar_on_digits(digits):
    X_train, Y_train, X_test, Y_test = digits
    params = ref.train_classifier(X_train, Y_train, np.random.default_rng(2))
    assert ref.accuracy(X_test, Y_test, params) >= 0.96  # notebook 08's visible bar (its test uses seed 1)
    labels = ref.predict(X_test, params)
    assert labels.shape == (X_test.shape[1],) and set(np.unique(labels)) == set(range(10))


def test_capstone_solution_design_clears_the_bars_at_the_seeds_the_tests_use(digits):
    """Notebook 08's bars (benchmarks/capstone_bars.py calibrates them over 20 seeds): 0.96 on the
    notebook's split with seed 1 (visible test), 0.965 on the mean of the hidden test's two unseen splits."""
    X_train, Y_train, X_test, Y_test = digits
    visible = ref.accuracy(X_test, Y_test, ref.train_classifier(X_train, Y_train, np.random.default_rng(1)))
    hidden = []
    for split, seed in ((2718, 31415), (1618, 27182)):  # as in the test cell's hidden tests
        X, Y, X_unseen, Y_unseen = data.load_digits(rng=np.random.default_rng(split))
        hidden.append(ref.accuracy(X_unseen, Y_unseen, ref.train_classifier(X, Y, np.random.default_rng(seed))))
    assert visible >= 0.96 and np.mean(hidden) >= 0.965, (visible, hidden)


def test_training_is_reproducible_and_seed_dependent(digits):
    X_train, Y_train, _, _ = digits
    runs = [ref.train(X_train[:, :200], Y_train[:, :200], [64, 16, 10], 2, 50, 0.1, np.random.default_rng(s))
            for s in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0][0]["W1"], runs[1][0]["W1"])
    assert runs[0][1] == runs[1][1] and runs[0][1] != runs[2][1]


def test_train_trains_in_float32_when_given_float32(digits):
    X_train, Y_train, X_test, Y_test = (a.astype(np.float32) for a in digits)
    params, _ = ref.train(X_train, Y_train, [64, 32, 10], 10, 32, 0.1, np.random.default_rng(3))
    assert all(v.dtype == np.float32 for v in params.values())
    assert ref.accuracy(X_test, Y_test, params) >= 0.9


def test_train_names_a_layer_size_mismatch(digits):
    X_train, Y_train, _, _ = digits
    with pytest.raises(ValueError, match="layer_sizes"):
        ref.train(X_train, Y_train, [10, 5, 10], 1, 32, 0.1, np.random.default_rng(0))
