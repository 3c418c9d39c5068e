"""Data sets for the course, in its column layout: one example per column.

    X : (n[0], m) float64 inputs
    Y : (K, m) one-hot float64 labels, or (1, m) of 0.0 / 1.0 for a binary task

Real data: scikit-learn's bundled digits (no download). Synthetic 2-D sets: moons, circles,
XOR and spirals, generated here with NumPy so students can read how they are made.
Every random draw comes from the ``rng`` (a ``numpy.random.Generator``) passed in, so a seed
gives the same data on every machine; nothing touches NumPy's global random state.
In the generators ``noise`` is the standard deviation of Gaussian noise added to each
coordinate, and classes are balanced to within one example.
"""

import functools
import math
import numbers

import numpy as np

__all__ = [
    "one_hot",
    "labels_from_one_hot",
    "load_digits",
    "make_moons",
    "make_circles",
    "make_xor",
    "make_spirals",
]


# ---------------------------------------------------------------- argument checks

def _check_count(value, name, minimum):
    # bool is an int subclass; make_moons(True, ...) is a bug, not a request for one example.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _check_noise(noise):
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not math.isfinite(noise):
        raise ValueError(f"noise must be a finite number, got {noise!r}")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise}")
    return float(noise)


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); got {type(rng).__name__}"
        )
    return rng


def _balanced_labels(m, num_classes, rng):
    """(m,) ints with each class 0..K-1 appearing m//K or m//K + 1 times, in random order."""
    return rng.permutation(np.arange(m) % num_classes)


# ---------------------------------------------------------------- labels

def one_hot(labels, num_classes):
    """(m,) integer labels in [0, K) -> (K, m) float64, a single 1.0 in each column."""
    labels = np.asarray(labels)
    num_classes = _check_count(num_classes, "num_classes", 1)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D with shape (m,), got shape {labels.shape}")
    if labels.dtype == bool or not (
        np.issubdtype(labels.dtype, np.integer)
        or (np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)))
    ):
        raise ValueError(f"labels must be whole numbers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got range [{labels.min()}, {labels.max()}]")
    return (np.arange(num_classes)[:, None] == labels[None, :]).astype(np.float64)


def labels_from_one_hot(Y):
    """(K, m) one-hot labels or class scores -> (m,) int labels (argmax down each column).

    For a binary (1, m) row of 0/1 labels or probabilities the label is ``Y >= 0.5``, since an
    argmax over a single row would always answer 0.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[0] < 1:
        raise ValueError(f"Y must be 2-D with shape (K, m), got shape {Y.shape}")
    if Y.shape[0] == 1:
        return (Y[0] >= 0.5).astype(np.int64)
    return np.argmax(Y, axis=0).astype(np.int64)


# ---------------------------------------------------------------- digits

@functools.cache
def _digits_raw():
    # Imported here so `import course.data` stays fast; the CSV ships inside scikit-learn.
    from sklearn.datasets import load_digits as sk_load_digits

    images, labels = sk_load_digits(return_X_y=True)
    images.setflags(write=False)  # cached and shared: callers only ever get copies
    labels.setflags(write=False)
    return images, labels


def _stratified_split(labels, test_fraction, rng):
    """Indices (train, test) with about test_fraction of every class in test, both shuffled."""
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        # Keep every class on both sides, whatever the fraction.
        n_test = min(max(round(test_fraction * members.size), 1), members.size - 1)
        test.append(members[:n_test])
        train.append(members[n_test:])
    # Shuffle again so columns are not grouped by class (mini-batches would be one digit).
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def load_digits(test_fraction=0.25, rng=None):
    """scikit-learn's 1,797 handwritten digits (8x8), split into train and test sets.

    Returns ``(X_train, Y_train, X_test, Y_test)``:
        X_* : (64, m_*) float64 pixels scaled to [0, 1]
        Y_* : (10, m_*) float64 one-hot labels
    with m_train + m_test = 1,797. The split is stratified (each digit keeps about the same
    share on both sides) and shuffled with ``rng``, default ``np.random.default_rng(0)``.
    """
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) \
            or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction!r}")
    rng = np.random.default_rng(0) if rng is None else _check_rng(rng)
    images, labels = _digits_raw()
    train, test = _stratified_split(labels, float(test_fraction), rng)
    X = images.T / 16.0  # pixel intensities in the file are 0..16
    Y = one_hot(labels, 10)
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


# ---------------------------------------------------------------- 2-D synthetic sets

def _with_noise(points, noise, rng):
    return points + noise * rng.standard_normal(points.shape)


def make_moons(m, noise, rng):
    """Two interleaving half circles. Returns X (2, m), Y (1, m) with 0.0 / 1.0 labels.

    Class 0 is the upper arc of the unit circle; class 1 is the same arc flipped and shifted
    by (1, 0.5), so each moon reaches into the other's hollow and no line splits them.
    """
    m, noise, rng = _check_count(m, "m", 1), _check_noise(noise), _check_rng(rng)
    y = _balanced_labels(m, 2, rng)
    t = rng.uniform(0.0, np.pi, m)
    upper = np.stack([np.cos(t), np.sin(t)])
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where(y == 0, upper, lower)
    return _with_noise(X, noise, rng), y[None, :].astype(np.float64)


def make_circles(m, noise, rng, factor=0.5):
    """A small circle inside a big one. Returns X (2, m), Y (1, m) with 0.0 / 1.0 labels.

    Class 0 lies on the unit circle, class 1 on the circle of radius ``factor`` (0 < factor < 1).
    Both rings are centred on the origin, so the class means coincide.
    """
    m, noise, rng = _check_count(m, "m", 1), _check_noise(noise), _check_rng(rng)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"factor is the inner radius and must lie strictly between 0 and 1, got {factor!r}")
    y = _balanced_labels(m, 2, rng)
    t = rng.uniform(0.0, 2.0 * np.pi, m)
    radius = np.where(y == 0, 1.0, float(factor))
    X = radius * np.stack([np.cos(t), np.sin(t)])
    return _with_noise(X, noise, rng), y[None, :].astype(np.float64)


def make_xor(m, noise, rng):
    """Four Gaussian blobs at (+-1, +-1). Returns X (2, m), Y (1, m) with 0.0 / 1.0 labels.

    The label is 1 for the blobs where the two signs differ, (1, -1) and (-1, 1), and 0 for
    (1, 1) and (-1, -1): the classic problem a single neuron cannot solve. ``noise`` is the
    spread of each blob; the label belongs to the blob, so large noise makes classes overlap.
    """
    m, noise, rng = _check_count(m, "m", 1), _check_noise(noise), _check_rng(rng)
    corners = np.array([[1.0, -1.0, 1.0, -1.0],
                        [1.0, -1.0, -1.0, 1.0]])
    corner_labels = np.array([0.0, 0.0, 1.0, 1.0])
    # Balance the four blobs, not just the two classes, so both diagonals are equally filled.
    blob = _balanced_labels(m, 4, rng)
    return _with_noise(corners[:, blob], noise, rng), corner_labels[blob][None, :]


def make_spirals(m, num_classes, noise, rng):
    """``num_classes`` interleaved spiral arms. Returns X (2, m), Y (K, m) one-hot.

    The m examples are spread evenly over the K arms. Arm k starts at the origin and winds out
    to radius 1 over three quarters of a turn, rotated by k/K of a turn from arm 0.
    """
    m, noise, rng = _check_count(m, "m", 1), _check_noise(noise), _check_rng(rng)
    num_classes = _check_count(num_classes, "num_classes", 2)
    y = _balanced_labels(m, num_classes, rng)
    r = rng.uniform(0.0, 1.0, m)
    angle = 2.0 * np.pi * (y / num_classes + 0.75 * r)
    X = r * np.stack([np.cos(angle), np.sin(angle)])
    return _with_noise(X, noise, rng), one_hot(y, num_classes)
