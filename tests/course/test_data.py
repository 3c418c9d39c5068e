"""course.data: column layout, determinism from rng, the digits split, and honest toy problems."""

import numpy as np
import pytest

from course import data

BINARY = {
    "moons": lambda m, noise, rng: data.make_moons(m, noise, rng),
    "circles": lambda m, noise, rng: data.make_circles(m, noise, rng),
    "xor": lambda m, noise, rng: data.make_xor(m, noise, rng),
}
ALL_2D = {**BINARY, "spirals": lambda m, noise, rng: data.make_spirals(m, 3, noise, rng)}


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def linear_accuracy(X, Y):
    """Training accuracy of the best least-squares linear classifier: a cheap 'is it linear?'."""
    A = np.vstack([X, np.ones((1, X.shape[1]))]).T
    targets = 2.0 * Y.T - 1.0
    scores = A @ np.linalg.lstsq(A, targets, rcond=None)[0]
    if Y.shape[0] == 1:
        return np.mean((scores[:, 0] > 0) == (Y[0] == 1))
    return np.mean(scores.argmax(axis=1) == Y.argmax(axis=0))


def nearest_neighbour_accuracy(X, Y):
    """Leave-one-out 1-NN accuracy: high when labels follow the geometry of the points."""
    d2 = ((X[:, :, None] - X[:, None, :]) ** 2).sum(axis=0)
    np.fill_diagonal(d2, np.inf)
    labels = data.labels_from_one_hot(Y)
    return np.mean(labels[d2.argmin(axis=1)] == labels)


# ---------------------------------------------------------------- one-hot

def test_one_hot_layout_and_inverse():
    labels = np.array([2, 0, 1, 2, 2])
    Y = data.one_hot(labels, 4)
    assert Y.shape == (4, 5) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y.sum(axis=0), np.ones(5))
    np.testing.assert_array_equal(Y[:, 0], [0, 0, 1, 0])
    np.testing.assert_array_equal(data.labels_from_one_hot(Y), labels)
    assert data.labels_from_one_hot(Y).dtype.kind == "i"


def test_labels_from_scores_and_binary_rows():
    scores = np.array([[0.1, 0.7], [0.8, 0.2], [0.1, 0.1]])
    np.testing.assert_array_equal(data.labels_from_one_hot(scores), [1, 0])
    np.testing.assert_array_equal(data.labels_from_one_hot(np.array([[0.0, 1.0, 0.9, 0.2]])), [0, 1, 1, 0])


@pytest.mark.parametrize("labels, k", [([0, 3], 3), ([-1, 0], 2), ([0.5, 1.0], 2), ([[0, 1]], 2), ([0, 1], 0)])
def test_one_hot_rejects_bad_input(labels, k):
    with pytest.raises(ValueError):
        data.one_hot(np.array(labels), k)


def test_labels_from_one_hot_rejects_1d():
    with pytest.raises(ValueError):
        data.labels_from_one_hot(np.array([0.0, 1.0]))


# ---------------------------------------------------------------- digits

def test_digits_shapes_layout_and_range(digits):
    X_train, Y_train, X_test, Y_test = digits
    assert X_train.shape[0] == X_test.shape[0] == 64
    assert Y_train.shape[0] == Y_test.shape[0] == 10
    assert X_train.shape[1] == Y_train.shape[1] and X_test.shape[1] == Y_test.shape[1]
    assert X_train.shape[1] + X_test.shape[1] == 1797
    assert X_test.shape[1] == pytest.approx(0.25 * 1797, abs=10)
    for a in digits:
        assert a.dtype == np.float64
    for X in (X_train, X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    for Y in (Y_train, Y_test):
        np.testing.assert_array_equal(Y.sum(axis=0), 1.0)
        assert set(np.unique(Y)) == {0.0, 1.0}


def test_digits_split_covers_every_example_exactly_once(digits):
    from sklearn.datasets import load_digits as sk_load_digits

    images, labels = sk_load_digits(return_X_y=True)
    X_train, Y_train, X_test, Y_test = digits
    X = np.hstack([X_train, X_test]) * 16.0
    y = np.concatenate([data.labels_from_one_hot(Y_train), data.labels_from_one_hot(Y_test)])
    ours = np.vstack([X, y]).T  # one row per example: pixels then label
    theirs = np.hstack([images, labels[:, None]])
    # As multisets of rows: sort both lexicographically and compare.
    np.testing.assert_array_equal(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)])


def test_digits_split_is_stratified_and_shuffled(digits):
    _, Y_train, _, Y_test = digits
    share = Y_test.sum(axis=1) / (Y_train.sum(axis=1) + Y_test.sum(axis=1))
    np.testing.assert_allclose(share, 0.25, atol=0.02)
    assert np.all(Y_train.mean(axis=1) > 0.08) and np.all(Y_train.mean(axis=1) < 0.12)
    # Not grouped by class: the first 50 training columns hold many digits.
    assert len(np.unique(data.labels_from_one_hot(Y_train[:, :50]))) >= 8


def test_digits_deterministic_per_seed(digits):
    again = data.load_digits()
    for a, b in zip(digits, again):
        np.testing.assert_array_equal(a, b)
    seeded = data.load_digits(rng=np.random.default_rng(0))
    np.testing.assert_array_equal(seeded[0], digits[0])
    other = data.load_digits(rng=np.random.default_rng(1))
    assert not np.array_equal(other[0], digits[0])


def test_digits_test_fraction_and_returned_arrays_are_fresh(digits):
    X_train, _, X_test, _ = data.load_digits(test_fraction=0.5, rng=np.random.default_rng(3))
    assert abs(X_train.shape[1] - X_test.shape[1]) <= 10
    X_train[:] = -1.0  # writing to the result must not corrupt later loads
    assert data.load_digits()[0].min() == 0.0


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan"), "0.2", True])
def test_digits_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        data.load_digits(test_fraction=fraction)


def test_digits_rejects_non_generator_rng():
    with pytest.raises(TypeError, match="Generator"):
        data.load_digits(rng=0)


# ---------------------------------------------------------------- 2-D generators

@pytest.mark.parametrize("name", ALL_2D)
@pytest.mark.parametrize("m", [1, 7, 300])
def test_generator_shapes_dtype_and_balance(name, m):
    X, Y = ALL_2D[name](m, 0.1, np.random.default_rng(0))
    K = 3 if name == "spirals" else 1
    assert X.shape == (2, m) and Y.shape == (K, m)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert np.all(np.isfinite(X))
    assert set(np.unique(Y)) <= {0.0, 1.0}
    counts = Y.sum(axis=1) if K > 1 else np.array([m - Y.sum(), Y.sum()])
    if K > 1:
        np.testing.assert_array_equal(Y.sum(axis=0), 1.0)
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", ALL_2D)
def test_generator_deterministic_per_seed(name):
    make = ALL_2D[name]
    X1, Y1 = make(50, 0.1, np.random.default_rng(7))
    X2, Y2 = make(50, 0.1, np.random.default_rng(7))
    X3, _ = make(50, 0.1, np.random.default_rng(8))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    assert not np.allclose(X1, X3)


def test_nothing_uses_global_random_state(digits):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    rng = np.random.default_rng(0)
    for make in ALL_2D.values():
        make(20, 0.1, rng)
    data.load_digits(rng=rng)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("name", ALL_2D)
def test_no_line_solves_it_but_the_labels_follow_the_points(name):
    X, Y = ALL_2D[name](300, 0.05, np.random.default_rng(1))
    # Moons are nearly linear (a line gets ~88%); the others leave a line near chance.
    assert linear_accuracy(X, Y) < (0.95 if name == "moons" else 0.7)
    assert nearest_neighbour_accuracy(X, Y) > 0.85


def test_xor_and_circles_have_equal_class_means():
    # The sharpest 'no line' fact: a linear model sees the same centre for both classes.
    for make in (BINARY["xor"], BINARY["circles"]):
        X, Y = make(2000, 0.2, np.random.default_rng(2))
        mean0, mean1 = X[:, Y[0] == 0].mean(axis=1), X[:, Y[0] == 1].mean(axis=1)
        np.testing.assert_allclose(mean0, mean1, atol=0.1)


def test_xor_labels_follow_signs_without_noise():
    X, Y = data.make_xor(40, 0.0, np.random.default_rng(0))
    assert set(np.abs(X).ravel()) == {1.0}
    np.testing.assert_array_equal(Y[0], (np.sign(X[0]) != np.sign(X[1])).astype(float))


def test_circles_radii_without_noise():
    X, Y = data.make_circles(40, 0.0, np.random.default_rng(0), factor=0.3)
    radius = np.linalg.norm(X, axis=0)
    np.testing.assert_allclose(radius, np.where(Y[0] == 0, 1.0, 0.3))


@pytest.mark.parametrize("name", ALL_2D)
@pytest.mark.parametrize("m, noise", [(0, 0.1), (-5, 0.1), (2.5, 0.1), (True, 0.1), (10, -0.1), (10, float("nan")), (10, "0.1")])
def test_generators_reject_bad_arguments(name, m, noise):
    with pytest.raises(ValueError):
        ALL_2D[name](m, noise, np.random.default_rng(0))


@pytest.mark.parametrize("name", ALL_2D)
def test_generators_want_a_generator(name):
    with pytest.raises(TypeError, match="Generator"):
        ALL_2D[name](10, 0.1, 0)


@pytest.mark.parametrize("factor", [0, 1, 1.5, -0.2])
def test_circles_rejects_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        data.make_circles(10, 0.1, np.random.default_rng(0), factor=factor)


@pytest.mark.parametrize("k", [0, 1, 2.0])
def test_spirals_rejects_bad_class_count(k):
    with pytest.raises(ValueError, match="num_classes"):
        data.make_spirals(10, k, 0.1, np.random.default_rng(0))
