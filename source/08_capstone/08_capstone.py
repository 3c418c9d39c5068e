# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Capstone: a digit classifier from your own pieces
#
# Over seven notebooks you wrote every part of a neural network by hand: the forward pass (02), the
# four backprop equations (03), mini-batches (04), He initialisation (05), regularisation (06) and
# the Adam optimiser (07). Here you put them together into one trainer of your own design. The
# goal: after a few seconds of CPU time, at least 96 % of 450 handwritten digits that the network
# never saw during training must be classified correctly, and 96.5 % on average when your design is
# retrained on two other splits of the data; a well-designed network of this kind lands a point or
# two above that. Then you compare your trainer with scikit-learn's `MLPClassifier`, trained on
# exactly the same data.
#
# **What you will learn**
# - how the pieces fit into one training loop, and which choices decide the result;
# - how to pick hyper-parameters for a time budget, and why accuracy is measured on held-out data;
# - how noisy an accuracy is (its standard error), and how to compare two designs so that the noise
#   does not choose for you: several seeds, k-fold cross-validation, paired differences;
# - how a network written in plain NumPy compares with a library's implementation;
# - how the same trainer runs on a GPU with CuPy, and when that is worth it.
#
# **What you will write** (5 points, and two written answers graded by hand, 4 points)
#
# | function | points |
# |---|---|
# | `predict(X, params)` | 1 |
# | `accuracy(X, Y, params)` | 1 |
# | `train_classifier(X, Y, rng, ...)`: your design | 3 |
#
# Write each function in its answer cell, then run the test cell right below it.

# %% [markdown]
# **How to work here.** Run the cells in order from the top (Shift+Enter runs one and moves on).
# Each function you write has a test cell right below it: run it, and if it fails, read its
# message, which names the likely mistake. *Run All* stops at the first function you have not
# written yet (`NotImplementedError`) but leaves the view at the bottom of the notebook: scroll
# up to the first red error.
#
# A written question has an answer cell right below it: double-click *YOUR ANSWER HERE*, write a
# few sentences (Markdown and $\LaTeX$ work), and run the cell to show it formatted. Your instructor
# grades these answers by hand.

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from course import backend, check, data

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Given: the pieces from notebooks 02 to 07
#
# The next cell holds the functions you wrote in the earlier notebooks. They are the **answers** of
# those exercises, given here so that this notebook stands on its own and a slip in an earlier
# notebook does not cost you points now. Run the cell, do not edit it, and use these functions in
# your trainer.
#
# | function | from | what it does |
# |---|---|---|
# | `relu`, `softmax` (and `sigmoid`, `tanh`, `identity`) | 02 | activations; `softmax` works column by column |
# | `forward(X, params, hidden_activation, output_activation)` | 02 | returns `(AL, cache)` |
# | `cross_entropy_loss(AL, Y)` | 03 | mean cost over the batch, a Python float |
# | `backward_batch(Y, params, cache, hidden_activation, output_activation, loss)` | 04 | gradients of the mean cost |
# | `minibatch_indices(m, batch_size, rng)` | 04 | the shuffled batches of one epoch |
# | `sgd_step(params, grads, lr)` | 04 | one plain gradient step |
# | `init_he(layer_sizes, rng)` | 05 | He initialisation, biases zero |
# | `momentum_update`, `adam_update`, `lr_schedule` | 07 | optimisers and learning-rate schedules |
# | `place_like(params, X)` | new | puts the arrays of `params` where `X` lives (CPU or GPU) |
#
# The conventions never change: `W[l]` is `(n[l], n[l-1])`, `b[l]` is `(n[l], 1)`, one example per
# column, `cache = {"A0": X, "Z1": ..., "A1": ..., ..., "ZL": ..., "AL": ...}`, gradients
# `grads["dW1"]` shaped like `params["W1"]`, and optimiser states keyed like `params`. The code uses
# only `np.` functions and array operators, so it runs unchanged on CuPy arrays (section 8).
#
# The one new helper, `place_like`, is needed for that GPU run only. `init_he` draws its weights with
# a NumPy generator, so they are NumPy arrays; if `X` lives on a GPU, `place_like` copies them there
# (`np.asarray(W, like=X)` asks the library of `X` to make the array). For NumPy inputs it changes
# nothing.

# %%
def sigmoid(z):
    """1 / (1 + e^-z), computed without overflow for any z."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def relu(z):
    return np.maximum(z, 0)


def tanh(z):
    return np.tanh(z)


def identity(z):
    return z * 1.0


def softmax(Z):
    """Column-wise softmax of Z (K, m); subtracting each column's max keeps exp from overflowing."""
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True)


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


def relu_prime(z):
    """1 where z > 0, else 0 (so relu'(0) = 0)."""
    return (z > 0).astype(z.dtype)


def tanh_prime(z):
    t = np.tanh(z)
    return 1 - t * t


def identity_prime(z):
    return np.ones_like(z)


ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh, "identity": identity, "softmax": softmax}
DERIVATIVES = {"sigmoid": sigmoid_prime, "relu": relu_prime, "tanh": tanh_prime, "identity": identity_prime}


def cross_entropy_loss(AL, Y):
    """Categorical cross-entropy -sum_k y_k log a_k, mean over the m columns. AL, Y (K, m). A float."""
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(np.clip(AL, 1e-15, 1.0))) / m)


def forward(X, params, hidden_activation="relu", output_activation="softmax"):
    """Forward propagation. X (n[0], m) -> (AL (n[L], m), cache with A0, Z1, A1, ..., ZL, AL)."""
    L = len(params) // 2
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = ACTIVATIONS[hidden_activation if l < L else output_activation](Z)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache


def backward_batch(Y, params, cache, hidden_activation="relu", output_activation="softmax", loss="cross_entropy"):
    """Gradients of the mean cost over the m columns: {"dW1": (n[1], n[0]), "db1": (n[1], 1), ...}."""
    L = len(params) // 2
    m = Y.shape[1]
    AL, ZL = cache[f"A{L}"], cache[f"Z{L}"]
    if (loss, output_activation) in (("bce", "sigmoid"), ("cross_entropy", "softmax")):
        delta = AL - Y                                            # BP1, simplified
    elif loss == "mse":
        delta = (AL - Y) * DERIVATIVES[output_activation](ZL)     # BP1
    else:
        raise ValueError(f"unsupported pairing: loss {loss!r} with output {output_activation!r}")
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = (delta @ cache[f"A{l - 1}"].T) / m      # BP4 with the 1/m of the mean
        grads[f"db{l}"] = np.sum(delta, axis=1, keepdims=True) / m  # BP3
        if l > 1:                                                 # BP2
            delta = (params[f"W{l}"].T @ delta) * DERIVATIVES[hidden_activation](cache[f"Z{l - 1}"])
    return grads


def minibatch_indices(m, batch_size, rng):
    """The indices 0..m-1, shuffled by rng, cut into batches (the last one may be smaller)."""
    order = rng.permutation(m)
    return [order[start:start + batch_size] for start in range(0, m, batch_size)]


def sgd_step(params, grads, lr):
    """One gradient-descent step; returns new arrays."""
    return {key: value - lr * grads["d" + key] for key, value in params.items()}


def init_he(layer_sizes, rng):
    """He initialisation: W[l] ~ N(0, 2 / n[l-1]), b[l] = 0. layer_sizes = [n[0], ..., n[L]]."""
    params = {}
    for l in range(1, len(layer_sizes)):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        params[f"W{l}"] = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
        params[f"b{l}"] = np.zeros((n_out, 1))
    return params


def momentum_update(params, grads, velocity, lr, beta=0.9):
    """Heavy ball: v <- beta v + g; theta <- theta - lr v. Returns (params, velocity), both new."""
    new_params, new_velocity = {}, {}
    for key, theta in params.items():
        new_velocity[key] = beta * velocity[key] + grads["d" + key]
        new_params[key] = theta - lr * new_velocity[key]
    return new_params, new_velocity


def adam_update(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam; t = 1, 2, ... counts the updates. m, v keyed like params. Returns (params, m, v), all new."""
    new_params, new_m, new_v = {}, {}, {}
    for key, theta in params.items():
        g = grads["d" + key]
        new_m[key] = beta1 * m[key] + (1 - beta1) * g
        new_v[key] = beta2 * v[key] + (1 - beta2) * g * g
        m_hat = new_m[key] / (1 - beta1**t)
        v_hat = new_v[key] / (1 - beta2**t)
        new_params[key] = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_params, new_m, new_v


def lr_schedule(kind, lr0, epoch, **kw):
    """Learning rate at `epoch`: "constant", "step", "exponential", "inverse_time" or "cosine"."""
    if kind == "constant":
        return float(lr0)
    if kind == "step":
        return float(lr0 * kw.get("drop", 0.5) ** np.floor(epoch / kw.get("every", 10)))
    if kind == "exponential":
        return float(lr0 * np.exp(-kw.get("k", 0.1) * epoch))
    if kind == "inverse_time":
        return float(lr0 / (1 + kw.get("decay", 1.0) * epoch))
    if kind == "cosine":
        lr_min = kw.get("lr_min", 0.0)
        return float(lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / kw["total_epochs"])) / 2)
    raise ValueError(f"unknown schedule {kind!r}")


def place_like(params, X):
    """The arrays of params in the same library as X: NumPy for a NumPy X (nothing is copied),
    CuPy, on the GPU, for a CuPy X. Keys and shapes are kept."""
    return {key: np.asarray(value, like=X) for key, value in params.items()}


# %% [markdown]
# ## 1. The data: 8x8 handwritten digits
#
# scikit-learn ships 1,797 small greyscale images of the digits 0 to 9, 8 by 8 pixels each.
# `data.load_digits` scales the pixel values from 0..16 to $[0, 1]$, reads each image row by row
# into a column of 64 numbers, and splits the images, class by class, into 1,347 for training and
# 450 for testing:
#
# | array | shape | content |
# |---|---|---|
# | `X_train` | $(64, 1347)$ | one image per column, $n^{[0]} = 64$ |
# | `Y_train` | $(10, 1347)$ | one-hot labels: column $i$ has a single 1, in row $y^{(i)}$ |
# | `X_test`, `Y_test` | $(64, 450)$, $(10, 450)$ | held out: never used for training |
#
# The test images measure how well the network does on digits it has not seen, which is what we
# care about; the training accuracy only says how well it memorised. The test images are kept for
# the very end: every design decision is made on the training images alone, by holding some of them
# out for validation (as in notebook 06, and section 4 shows how), and the test accuracy of the
# chosen design is looked at once.

# %%
X_train, Y_train, X_test, Y_test = data.load_digits(rng=np.random.default_rng(0))
print("X_train", X_train.shape, "Y_train", Y_train.shape, "| X_test", X_test.shape, "Y_test", Y_test.shape)
print("pixel range:", X_train.min(), "to", X_train.max())
print("training images per digit:", np.sum(Y_train, axis=1).astype(int))

labels_train = np.argmax(Y_train, axis=0)
fig, axes = plt.subplots(1, 10, figsize=(11, 1.6))
for digit, ax in enumerate(axes):
    column = np.flatnonzero(labels_train == digit)[0]
    ax.imshow(X_train[:, column].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"y = {digit}", fontsize=9)
    ax.axis("off")
fig.suptitle("one training column of each class, reshaped to 8 x 8", fontsize=10)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. From probabilities to a class label
#
# For an input column $x^{(i)}$ the network's softmax output $a^{[L](i)}$ is a column of $K = 10$
# probabilities, one per class. The predicted class is the most probable one:
#
# $$\hat y^{(i)} = \arg\max_{k}\; a^{[L](i)}_k, \qquad k = 0, \dots, K-1.$$
#
# Softmax keeps the order of the numbers within a column ($e^z$ is increasing, and every entry is
# divided by the same sum), so the arg-max of $A^{[L]}$ is also the arg-max of $Z^{[L]}$: for a
# prediction alone, softmax is not needed. It is needed for the probabilities, and for training.
#
# In NumPy, `np.argmax(AL, axis=0)` takes the arg-max down each column of the $(K, m)$ output and
# returns an integer array of shape $(m,)$: one label per example, even when $m = 1$.

# %% [markdown]
# ### Exercise 1: `predict` [1 point]
#
# Run the given `forward` with ReLU hidden layers and a softmax output, and return the index of the
# largest output in each column. The network may have any number of layers ($L \ge 1$; with
# $L = 1$ there is no hidden layer), and `params` is not changed.

# %% solution="predict"
def predict(X, params):
    """Predicted class of each column of X.

    Inputs:
        X:      (n[0], m) inputs, one example per column
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (K, n[L-1]), "bL": (K, 1)}
                a network with ReLU hidden layers and a softmax output layer
    Returns:
        labels: (m,) integer array; labels[i] is the arg-max over k of the output column i
    """
    ### BEGIN SOLUTION
    AL, _ = forward(X, params, "relu", "softmax")
    return np.argmax(AL, axis=0)
    ### END SOLUTION


# %% test="predict" points=1
# Expected labels come from a forward pass written out here: ReLU hidden layers, a softmax output.
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def expected_labels(X, params, hidden=lambda Z: np.maximum(Z, 0)):
        L = len(params) // 2
        A = X
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = hidden(Z) if l < L else Z
        E = np.exp(A - A.max(axis=0, keepdims=True))
        return np.argmax(E / E.sum(axis=0, keepdims=True), axis=0)

    cases = [([4, 6, 3], 9), ([5, 8, 7, 4], 1), ([3, 5], 6), ([6, 10, 10], 12)]  # (layer sizes, m)
    for seed, (sizes, m) in enumerate(cases):
        rng = np.random.default_rng(seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        where = f"(layer sizes {sizes}, m = {m})"
        want = expected_labels(X, params)

        got = check.check_not_mutated(predict, X, params)
        if np.ndim(got) == 0 and m > 1:
            raise AssertionError(f"predict returned one number, {got!r}: np.argmax without axis= takes the "
                                 f"arg-max of the flattened AL; use axis=0 {where}")
        assert isinstance(got, np.ndarray), \
            f"predict returned {type(got).__name__}, expected a NumPy array of {m} labels {where}"
        if got.shape == (sizes[-1], m) and got.shape != (m,):
            raise AssertionError(f"predict returned shape {got.shape}, the whole output AL: return "
                                 f"np.argmax(AL, axis=0), one label per column {where}")
        if got.shape == (1, m):
            raise AssertionError(f"predict returned shape (1, {m}), expected ({m},): drop keepdims {where}")
        assert got.shape == (m,), (f"predict returned shape {got.shape}, expected ({m},): take the arg-max "
                                   f"down each column, np.argmax(AL, axis=0) {where}")
        assert np.issubdtype(got.dtype, np.integer), \
            f"predict returned dtype {got.dtype}, expected integer class labels {where}"
        if not np.array_equal(got, want):
            for name, g in [("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh)]:
                if len(sizes) > 2 and np.array_equal(got, expected_labels(X, params, g)):
                    raise AssertionError(f"predict gives the labels of a net with {name} hidden layers: use "
                                         f"ReLU, forward(X, params, 'relu', 'softmax') {where}")
            raise AssertionError(f"predict: {int(np.sum(got != want))} of {m} labels are wrong {where}; the "
                                 "label is the row of the largest entry in each column of AL")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_labels(X, params):
        L = len(params) // 2
        A = X
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = np.maximum(Z, 0.0) if l < L else Z
        E = np.exp(A - A.max(axis=0, keepdims=True))
        return np.argmax(E / E.sum(axis=0, keepdims=True), axis=0)

    rng = np.random.default_rng(8008)
    for trial in range(16):
        depth = int(rng.integers(1, 5))
        sizes = [int(n) for n in rng.integers(1, 9, size=depth + 1)]
        sizes[-1] = int(rng.integers(2, 11))
        m = [1, 2, 17, 64][trial % 4]
        scale = [1.0, 30.0, 1.0, 300.0][(trial // 4) % 4]   # large logits: softmax must stay finite
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = scale * rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        saved = {k: v.copy() for k, v in params.items()}
        X_saved = X.copy()
        got = predict(X, params)
        desc = f"layer sizes {sizes}, m = {m}, weights of scale {scale}"
        assert isinstance(got, np.ndarray) and got.shape == (m,), f"predict must return shape ({m},) ({desc})"
        assert np.issubdtype(got.dtype, np.integer), f"predict must return integers ({desc})"
        assert np.array_equal(got, _h_labels(X, params)), f"wrong labels ({desc})"
        assert all(np.array_equal(params[k], v) for k, v in saved.items()), f"params modified ({desc})"
        assert np.array_equal(X, X_saved), f"X modified ({desc})"
### END HIDDEN TESTS

check.passed("predict: one integer label per column, from a ReLU network with a softmax output.")

# %% [markdown]
# ## 3. Accuracy: the number we report
#
# The accuracy of a network on a data set is the fraction of examples whose predicted class is
# the true class. With one-hot labels the true class of column $i$ is the row of its 1,
# $y^{(i)} = \arg\max_k Y_{k,i}$, so
#
# $$\text{accuracy} = \frac{1}{m}\sum_{i=1}^{m} \mathbb{1}\big[\hat y^{(i)} = y^{(i)}\big] \in [0, 1],$$
#
# where $\mathbb{1}[\cdot]$ is 1 when the condition holds and 0 otherwise. In NumPy, comparing two
# $(m,)$ label arrays with `==` gives an array of booleans, and `np.mean` of it is the fraction of
# `True` entries.
#
# Why do we not train on the accuracy directly? Nudging a weight a little almost never changes any
# arg-max, so the accuracy is flat, with gradient zero almost everywhere, and jumps where a label
# flips. Gradient descent needs a smooth cost: the cross-entropy, which rewards putting more
# probability on the right class even when the label does not change yet. We **train** on the
# cross-entropy and **report** the accuracy.

# %% [markdown]
# ### Exercise 2: `accuracy` [1 point]
#
# Use your `predict`. Return a Python `float` (wrap the result in `float(...)`), not a NumPy array.

# %% solution="accuracy"
def accuracy(X, Y, params):
    """Fraction of the columns of X that the network classifies correctly.

    Inputs:
        X:      (n[0], m) inputs, one example per column
        Y:      (K, m) one-hot labels; the true class of column i is np.argmax(Y[:, i])
        params: {"W1": ..., "b1": ..., ..., "WL": (K, n[L-1]), "bL": (K, 1)}, ReLU hidden layers, softmax output
    Returns:
        a Python float in [0, 1]: (number of columns with predicted class == true class) / m
    """
    ### BEGIN SOLUTION
    return float(np.mean(predict(X, params) == np.argmax(Y, axis=0)))
    ### END SOLUTION


# %% test="accuracy" points=1
# Labels are predicted with a forward pass written out here; some are then deliberately changed, so
# the expected accuracy is known exactly.
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def network_and_labels(sizes, m, seed):
        rng = np.random.default_rng(seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        A = X
        for l in range(1, len(sizes)):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = np.maximum(Z, 0) if l < len(sizes) - 1 else Z
        return X, params, np.argmax(A, axis=0)

    # (layer sizes, m, which columns get a wrong label)
    cases = [([4, 6, 3], 8, [1, 5]), ([5, 7, 6, 4], 10, [0, 2, 3, 9]), ([3, 4], 5, []),
             ([4, 5, 3], 1, []), ([4, 5, 3], 1, [0]), ([6, 8, 5], 7, list(range(7)))]
    for seed, (sizes, m, wrong) in enumerate(cases):
        X, params, labels = network_and_labels(sizes, m, seed)
        K = sizes[-1]
        true = labels.copy()
        true[wrong] = (true[wrong] + 1) % K         # a different class for the chosen columns
        Y = np.eye(K)[:, true]                     # one-hot, (K, m)
        expected = (m - len(wrong)) / m
        where = f"(layer sizes {sizes}, m = {m}, {m - len(wrong)} of {m} columns right)"

        got = check.check_not_mutated(accuracy, X, Y, params)
        assert isinstance(got, float), (f"accuracy returned {type(got).__name__}, expected a Python float: "
                                        f"return float(...) {where}")
        if m > 1 and expected > 0 and np.isclose(got, expected * m):
            raise AssertionError(f"accuracy returned {got}, the number of right columns: divide by m {where}")
        if expected not in (0.5,) and np.isclose(got, 1 - expected):
            raise AssertionError(f"accuracy returned {got}, the fraction of WRONG columns {where}")
        if K > 1 and not np.isclose(got, expected) and np.isclose(got, np.mean(labels == Y)):
            raise AssertionError(f"accuracy returned {got}: compare the predicted labels with the true labels "
                                 f"np.argmax(Y, axis=0), not with the one-hot Y itself {where}")
        check.check_scalar(got, expected, name="accuracy")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(9009)
    for trial in range(12):
        depth = int(rng.integers(1, 4))
        sizes = [int(n) for n in rng.integers(1, 8, size=depth + 1)]
        sizes[-1] = K = int(rng.integers(2, 7))
        m = [1, 3, 25, 100][trial % 4]
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        A = X
        for l in range(1, depth + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = np.maximum(Z, 0.0) if l < depth else Z
        labels = np.argmax(A, axis=0)
        flip = rng.random(m) < 0.4
        true = np.where(flip, (labels + rng.integers(1, K, size=m)) % K, labels)
        Y = np.eye(K)[:, true]
        saved = ({k: v.copy() for k, v in params.items()}, X.copy(), Y.copy())
        got = accuracy(X, Y, params)
        desc = f"layer sizes {sizes}, m = {m}"
        assert isinstance(got, float), f"accuracy must return a Python float ({desc})"
        assert abs(got - float(np.mean(true == labels))) < 1e-12, f"wrong accuracy ({desc})"
        assert all(np.array_equal(params[k], v) for k, v in saved[0].items()), f"params modified ({desc})"
        assert np.array_equal(X, saved[1]) and np.array_equal(Y, saved[2]), f"X or Y modified ({desc})"
### END HIDDEN TESTS

check.passed("accuracy: the fraction of columns classified right, as a Python float.")

# %% [markdown]
# ## 4. Comparing two designs: every accuracy is a noisy measurement
#
# Before you design anything, look at the ruler you will measure with. Say a network classifies
# each new image correctly with probability $p$, independently of the others. On $n$ validation
# images the number it gets right is then binomial, and the measured accuracy $\hat p$ scatters
# around $p$ with the **standard error**
#
# $$\mathrm{SE}(\hat p) = \sqrt{\frac{p\,(1-p)}{n}}.$$
#
# For a good design, $p \approx 0.975$, on $n = 300$ held-out images:
# $\sqrt{0.975 \cdot 0.025 / 300} = 0.0090$, almost a whole percentage point. That is about the
# whole distance between a good design (97.5 %) and the target (96.5 %), and one image is worth
# $1/300 = 0.33$ points. Two designs that score 0.5 points apart on one such split have not been
# told apart.
#
# A second source of noise sits on top: the seed. The same design retrained with another `rng`
# starts from other weights and sees other batches, and its test accuracy moves by about 0.3
# points from seed to seed (the calibration of this notebook, `benchmarks/capstone_bars.py`).

# %% [markdown]
# **Measuring with a finer ruler.** Three things help, and they combine:
#
# - **More validation images.** The standard error falls like $1/\sqrt{n}$. Telling 97.0 % from
#   97.5 % on two independent splits needs the difference, whose standard error is
#   $\sqrt{2 p (1-p) / n}$, to be about twice that error: $n \approx 8 \cdot 0.975 \cdot 0.025 /
#   0.005^2 \approx 7{,}800$ images, more than the whole data set. Holding out more images also
#   leaves fewer to train on.
# - **$k$-fold cross-validation.** Shuffle the $m$ training columns once, cut them into $k$ folds,
#   and train $k$ times, each time on $k - 1$ folds, validating on the one left out. Every training
#   image is validated exactly once, so the pooled accuracy is measured on all $m = 1{,}347$ images
#   ($\mathrm{SE} \approx \sqrt{0.975 \cdot 0.025 / 1347} = 0.0043$), and it averages $k$ training
#   seeds too. The price is $k$ trainings per design. The formula still flatters it: another fold
#   seed trains $k$ other networks on other four fifths of the images, and the pooled accuracy of
#   one good design of this notebook moved from 97.2 % to 98.3 % that way.
# - **Paired comparisons.** Give two designs the *same* folds and the same seeds, and compare them
#   fold by fold. The hard images are hard for both, so the $k$ differences scatter much less than
#   the accuracies themselves; the standard error of their mean is their standard deviation divided
#   by $\sqrt{k}$, and its $k - 1$ degrees of freedom make it rough for small $k$: more folds or a
#   second fold seed (more differences) sharpen it.
#
# A rule of thumb: a difference smaller than about twice its standard error is not a difference yet.
# Measure more (more folds, another seed for the folds) before you act on it.
#
# The cell below gives two helpers for your own comparisons. `cross_validate(trainer, X, Y, folds,
# seed)` takes any function `trainer(X, Y, rng) -> params` (for instance your `train_classifier`,
# or `lambda X, Y, rng: train_classifier(X, Y, rng, width=128)` if you gave it keyword arguments)
# and returns the $k$ held-out accuracies; the same `seed` gives the same folds and seeds, so two
# calls with one seed are paired. Use it on `X_train`, `Y_train` only.

# %%
def standard_error(p, n):
    """Standard error of an accuracy p measured on n independent examples: sqrt(p (1 - p) / n)."""
    return float(np.sqrt(p * (1 - p) / n))


def cross_validate(trainer, X, Y, folds=5, seed=0):
    """Held-out accuracy of trainer(X, Y, rng) -> params on each of `folds` folds of the columns of X.

    The columns are shuffled with default_rng(seed) and cut into folds; fold i is left out while
    trainer trains on the others with rng = default_rng(seed + 1 + i). Returns a (folds,) array.
    The same seed gives the same folds and seeds, so two designs run with one seed are paired.
    """
    order = np.random.default_rng(seed).permutation(X.shape[1])
    accuracies = []
    for i, held_out in enumerate(np.array_split(order, folds)):
        kept = np.setdiff1d(order, held_out)
        params = trainer(X[:, kept], Y[:, kept], np.random.default_rng(seed + 1 + i))
        AL, _ = forward(X[:, held_out], params, "relu", "softmax")
        accuracies.append(float(np.mean(np.argmax(AL, axis=0) == np.argmax(Y[:, held_out], axis=0))))
    return np.array(accuracies)


# %% [markdown]
# **Two designs, compared both ways.** To see the ruler at work, here are two deliberately small
# designs (64 ReLU units, plain SGD with $\eta = 0.1$, batches of 32) that differ in one thing: 10
# or 20 epochs. First the quick way, one split of the last 300 training columns, repeated with three
# seeds; then 5-fold cross-validation on all 1,347 training images, with the paired difference. The
# error bars are one standard error. (About two seconds; no test image is touched.)

# %% tags=["demo"]
def demo_sgd_trainer(epochs, width=64, lr=0.1, batch_size=32):
    """A trainer(X, Y, rng) for one small design: notebook 04's plain SGD loop."""
    def trainer(X, Y, rng):
        params = place_like(init_he([X.shape[0], width, Y.shape[0]], rng), X)
        for _ in range(epochs):
            for batch in minibatch_indices(X.shape[1], batch_size, rng):
                _, cache = forward(X[:, batch], params)
                params = sgd_step(params, backward_batch(Y[:, batch], params, cache), lr)
        return params
    return trainer


def held_out_accuracy(params, X, Y):
    AL, _ = forward(X, params)
    return float(np.mean(np.argmax(AL, axis=0) == np.argmax(Y, axis=0)))


demo_designs = {"A: 10 epochs": demo_sgd_trainer(10), "B: 20 epochs": demo_sgd_trainer(20)}
X_fit, Y_fit, X_val, Y_val = X_train[:, :-300], Y_train[:, :-300], X_train[:, -300:], Y_train[:, -300:]
split_accuracies, fold_accuracies = {}, {}
for name, trainer in demo_designs.items():
    split_accuracies[name] = [held_out_accuracy(trainer(X_fit, Y_fit, np.random.default_rng(seed)), X_val, Y_val)
                              for seed in (1, 2, 3)]
    fold_accuracies[name] = cross_validate(trainer, X_train, Y_train, folds=5, seed=0)

m_train = X_train.shape[1]
print(f"{'design':<14}{'300 held-out images, seeds 1, 2, 3':>38}{'5-fold cross-validation':>30}")
for name in demo_designs:
    runs = ", ".join(f"{a:.3f}" for a in split_accuracies[name])
    pooled = float(np.mean(fold_accuracies[name]))
    print(f"{name:<14}{runs:>24} (SE {standard_error(np.mean(split_accuracies[name]), 300):.3f} each)"
          f"{pooled:>16.4f} ± {standard_error(pooled, m_train):.4f}")
differences = fold_accuracies["B: 20 epochs"] - fold_accuracies["A: 10 epochs"]
print("B - A, fold by fold:", np.round(differences, 4))
unpaired = np.hypot(*(standard_error(np.mean(fold_accuracies[name]), m_train) for name in demo_designs))
print(f"paired difference B - A: {differences.mean():+.4f} ± {differences.std(ddof=1) / np.sqrt(differences.size):.4f}"
      f" (from the two pooled errors alone, unpaired: ± {unpaired:.4f})")

fig, ax = plt.subplots(figsize=(8, 3.2))
for row, name in enumerate(demo_designs):
    for k, acc in enumerate(split_accuracies[name]):
        ax.errorbar(acc, row + 0.12 * (k - 1) + 0.3, xerr=standard_error(acc, 300), fmt="o", color="tab:gray",
                    capsize=3, label="one 300-image split (seeds 1, 2, 3)" if row == k == 0 else None)
    pooled = float(np.mean(fold_accuracies[name]))
    ax.errorbar(pooled, row, xerr=standard_error(pooled, m_train), fmt="s", color="tab:blue", capsize=4,
                label="5-fold cross-validation, 1,347 images" if row == 0 else None)
ax.set(yticks=[0.15, 1.15], yticklabels=list(demo_designs), xlabel="validation accuracy (bars: one standard error)",
       ylim=(-0.4, 2.1), title="the same two designs, measured two ways")
ax.grid(True, axis="x", alpha=0.3)
ax.legend(loc="upper left", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the two columns. On one 300-image split each accuracy carries a standard error of about 1.3
# points (at $p \approx 0.94$), and the seed alone moves it by a point or so: the error bars of the
# two designs overlap, and one split with one seed could not have told you which is better.
# Cross-validation measures each design on all 1,347 images and averages five seeds, so its bars
# are about half as long. The paired difference is the sharpest of all: about $+1.0 \pm 0.2$
# points, where the two pooled errors taken separately would give $\pm 0.8$, because both designs
# stumble on the same hard images of each fold. The small designs here are far below the target;
# yours will sit near 97-98 %, where the differences worth having are a few tenths of a point,
# which only the finer ruler can see.

# %% [markdown]
# ## 5. Your design
#
# Everything needed is in the given cell; what is left are decisions, and this time they are yours.
# There is no recipe. Each decision below names the notebook that taught what it does; the target
# is where a well-tuned network of this kind lands (scikit-learn's `MLPClassifier` scores about
# 97.6 % on this split).
#
# | decision | what to weigh | notebook |
# |---|---|---|
# | width and depth | more units fit more, cost more time per step, and may over-fit 1,347 images | 02, 06 |
# | initialisation | keep the signal's scale steady through ReLU layers | 05 |
# | output and cost | $K$ classes, one-hot labels | 02, 03 |
# | batch size | noise of the gradient against the Python overhead of a step | 04 |
# | optimiser and learning rate | how forgiving it is about $\eta$; momentum or adaptive steps | 07 |
# | epochs and schedule | enough steps to converge; a decaying $\eta$ for the last few percent | 07 |
# | regularisation | worth it only if test accuracy lags training accuracy because of over-fitting | 06 |
#
# **How to choose.** Change one thing at a time and measure it with the finer ruler of section 4:
# `cross_validate` on `X_train`, `Y_train`, the same `seed` for both designs, and a difference that
# is at least about twice its standard error before you believe it. Never tune on the test images;
# look at the test accuracy once, at the end. A design tuned to this notebook's split and seed can
# fail on others, and the hidden test retrains yours on unseen splits and seeds. The target leaves
# about a point of room, and cross-validation on 1,347 images cannot see differences of a few
# tenths: prefer a design at the top of your comparisons to the cheapest one that comes close.
#
# **How long should it take?** One example costs $64 \cdot 128 + 128 \cdot 10 \approx 9{,}500$
# multiply-adds forward in a network with 128 hidden units, about $19{,}000$ floating-point
# operations, and roughly twice that backward. Over 1,347 examples and 30 epochs that is about 2
# billion floating-point operations: well under a second of matrix arithmetic. What a mini-batch step
# really pays for is the Python and NumPy overhead of some thirty small array operations, which is
# why batches of 32 are so much faster per example than single examples (notebook 04). So you can
# afford a few seconds per design.

# %% [markdown]
# ### Exercise 3: `train_classifier` [3 points]
#
# Write the trainer of your design. The rules, which the tests check:
#
# - **Inputs.** `X` $(n^{[0]}, m)$ and one-hot `Y` $(K, m)$; take $n^{[0]}$ and $K$ from their shapes
#   (no hard-coded 64 or 10). Do not modify `X` or `Y`.
# - **Randomness only from `rng`**: the initial weights (e.g. `init_he(layer_sizes, rng)`) and the
#   shuffles (`minibatch_indices(m, batch_size, rng)`). Never `np.random.*`: the same seed must give
#   the same network.
# - **Your design, your signature.** The stub takes only `X, Y, rng`, and the tests call
#   `train_classifier(X, Y, rng)` and nothing more: whatever you choose (architecture, optimiser,
#   learning rate and schedule, batch size, epochs) must be fixed inside, or be the defaults of
#   keyword arguments you add after `rng`. Keyword arguments make comparing variants a one-liner:
#   `cross_validate(lambda X, Y, rng: train_classifier(X, Y, rng, epochs=20), X_train, Y_train)`.
# - **Output.** The trained `params = {"W1", "b1", ..., "WL", "bL"}` in the usual layout, for a
#   network with ReLU hidden layers and a softmax output (so that `predict` and `accuracy` work).
# - **Target.** At least **96 %** test accuracy on this notebook's split with
#   `rng = np.random.default_rng(1)` (this split is a little harder than most), and at least
#   **96.5 %** on average over two splits and seeds you have not seen (the hidden test). Over 20
#   seeds (`benchmarks/capstone_bars.py`) the solution's design averages 97.4 % on this split
#   (lowest 97.1 %) and 98.1 % on unseen splits. Designs that cross-validate just as well but are a
#   few tenths of a point weaker on new images, which 5-fold cross-validation cannot see, miss the
#   hidden bar for one or two seeds in twenty; quick designs (64 units, 10 epochs) miss the visible
#   bar at every seed.
# - **Time.** The test cell trains about three times on the full training set: keep one call under
#   10 s. A single call over 60 s fails.
# - **GPU-ready (for section 8).** Start from `params = place_like(init_he(layer_sizes, rng), X)`,
#   create any state with `np.zeros_like(...)` (never `np.zeros(shape)`, which is always a NumPy
#   array), and use only `np.` functions and operators.
# - **Predict first.** The test cell prints your test accuracy. Before you run it, write down the
#   interval you expect, from your cross-validated accuracy $\hat p$ and the standard error of a
#   score on 450 images, $\sqrt{\hat p (1 - \hat p) / 450}$: written question 1 asks for it.

# %% solution="train_classifier"
def train_classifier(X, Y, rng):
    """Train a classifier of your design: ReLU hidden layers, a softmax output, mini-batches.

    Inputs:
        X:   (n[0], m) training inputs, one example per column
        Y:   (K, m) one-hot training labels
        rng: numpy.random.Generator, the only source of randomness (initial weights and shuffles)
    Your design is yours to choose and to write: fix it in the body, or add keyword arguments
    after rng with your design as their defaults (the tests pass X, Y and rng only).
    Returns:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (K, n[L-1]), "bL": (K, 1)}
    """
    ### BEGIN SOLUTION
    return adam_cosine(X, Y, rng)


def adam_cosine(X, Y, rng, hidden_sizes=(256,), epochs=40, batch_size=32, lr=2e-3):
    """The solution's design, its settings as keyword arguments so that cross_validate can compare
    variants: 256 ReLU units, Adam, and a cosine schedule that brings the step to 0 by the end.
    Paired 5-fold cross-validation on X_train (cross_validate, seeds 0 and 1): 40 epochs against
    10 gained 1.1 +- 0.3 points; 64, 128 or 256 units, and the cosine against a constant step,
    were within noise; a second layer (256-128) gained 0.7 +- 0.2 points at twice the time, which
    the target does not need (this design cross-validates at 97.2 %)."""
    layer_sizes = [X.shape[0], *hidden_sizes, Y.shape[0]]
    params = place_like(init_he(layer_sizes, rng), X)
    m_state = {key: np.zeros_like(value) for key, value in params.items()}
    v_state = {key: np.zeros_like(value) for key, value in params.items()}
    t = 0
    for epoch in range(epochs):
        step = lr_schedule("cosine", lr, epoch, total_epochs=epochs)
        for batch in minibatch_indices(X.shape[1], batch_size, rng):
            _, cache = forward(X[:, batch], params, "relu", "softmax")
            grads = backward_batch(Y[:, batch], params, cache, "relu", "softmax", "cross_entropy")
            t += 1
            params, m_state, v_state = adam_update(params, grads, m_state, v_state, t, step)
    return params
    ### END SOLUTION


# %% test="train_classifier" points=3
# The test accuracy is computed here with a forward pass written out in the test (ReLU hidden
# layers, arg-max of the output), so this cell depends on train_classifier alone.
import time
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def test_accuracy_of(params, X, Y):
        L = len(params) // 2
        A = X
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = np.maximum(Z, 0) if l < L else Z
        return float(np.mean(np.argmax(A, axis=0) == np.argmax(Y, axis=0)))

    def check_layout(params, n_in, K):
        if isinstance(params, tuple):
            raise AssertionError("train_classifier returned a tuple: return the dict params alone (notebook 04's "
                                 "train returned (params, history); this one does not)")
        assert isinstance(params, dict), f"train_classifier must return the dict params, got {type(params).__name__}"
        L = sum(1 for key in params if str(key).startswith("W"))
        want_keys = {f"{kind}{l}" for l in range(1, L + 1) for kind in "Wb"}
        assert L >= 1 and set(params) == want_keys, \
            f"params has the keys {sorted(map(str, params))}, expected W1, b1, ..., WL, bL"
        n_prev = n_in
        for l in range(1, L + 1):
            W, b = params[f"W{l}"], params[f"b{l}"]
            assert isinstance(W, np.ndarray) and isinstance(b, np.ndarray), f"W{l} and b{l} must be NumPy arrays"
            assert W.ndim == 2 and W.shape[1] == n_prev, \
                f"W{l} has shape {W.shape}, expected (n[{l}], {n_prev}): W[l] is (n[l], n[l-1])"
            assert b.shape == (W.shape[0], 1), f"b{l} has shape {b.shape}, expected ({W.shape[0]}, 1)"
            assert np.all(np.isfinite(W)) and np.all(np.isfinite(b)), \
                f"W{l} or b{l} holds NaN/inf: check the update (Adam counts t from 1) and the learning rate"
            n_prev = W.shape[0]
        assert n_prev == K, f"the output layer has {n_prev} units, expected K = {K} (one per class, from Y.shape[0])"

    X_tr, Y_tr, X_te, Y_te = data.load_digits(rng=np.random.default_rng(0))

    # 1. The full run: layout, inputs untouched, time and test accuracy.
    start = time.perf_counter()
    params = check.check_not_mutated(train_classifier, X_tr, Y_tr, np.random.default_rng(1))
    seconds = time.perf_counter() - start
    check_layout(params, 64, 10)
    acc = test_accuracy_of(params, X_te, Y_te)
    print(f"train_classifier(X_train, Y_train, rng): {seconds:.1f} s, test accuracy {acc:.4f}")
    assert seconds < 60, f"one call took {seconds:.0f} s; keep it to a few seconds (fewer epochs, larger batches?)"
    assert acc >= 0.96, (f"test accuracy {acc:.4f}, expected at least 0.96. Check the training loop first (is "
                          "t counted from 1 and increased every step? are the batches' columns taken from both X "
                          "and Y?), then the design: compare widths, learning rates, epochs and schedules with "
                          "cross_validate on X_train (section 4), never on the test images")

    # 2. Reproducible with the same seed, whatever NumPy's global state; another seed, another net.
    X_small, Y_small = X_tr[:, :300], Y_tr[:, :300]
    np.random.seed(1)
    run_a = train_classifier(X_small, Y_small, np.random.default_rng(5))
    np.random.seed(2)
    run_b = train_classifier(X_small, Y_small, np.random.default_rng(5))
    run_c = train_classifier(X_small, Y_small, np.random.default_rng(6))
    check_layout(run_a, 64, 10)
    assert all(np.array_equal(run_a[k], run_b[k]) for k in run_a), \
        "the same rng seed gave two different networks: draw every random number from rng, never np.random.*"
    assert not np.array_equal(run_a["W1"], run_c["W1"]), \
        "different rng seeds gave the same network: initialise and shuffle with rng"

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_accuracy(params, X, Y):
        L = len(params) // 2
        A = X
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = np.maximum(Z, 0.0) if l < L else Z
        return float(np.mean(np.argmax(A, axis=0) == np.argmax(Y, axis=0)))

    # Two splits and seeds not seen above, timed; their mean accuracy must reach the bar
    # (benchmarks/capstone_bars.py: the solution's mean over 20 such pairs is 0.98, its lowest 0.972;
    # a quick 64-unit, 10-epoch Adam design reaches it on 1 pair in 20).
    _h_accs = []
    for _split, _seed in ((2718, 31415), (1618, 27182)):
        Xh, Yh, Xh_test, Yh_test = data.load_digits(rng=np.random.default_rng(_split))
        saved = (Xh.copy(), Yh.copy())
        start = time.perf_counter()
        p = train_classifier(Xh, Yh, np.random.default_rng(_seed))
        seconds = time.perf_counter() - start
        assert seconds <= 60, f"train_classifier took {seconds:.0f} s on another split; the limit is 60 s"
        assert np.array_equal(Xh, saved[0]) and np.array_equal(Yh, saved[1]), "X or Y was modified"
        check_layout(p, 64, 10)
        _h_accs.append(_h_accuracy(p, Xh_test, Yh_test))
    assert np.mean(_h_accs) >= 0.965, \
        f"test accuracies {_h_accs} on two other splits and seeds: their mean should be at least 0.965"

    # Sizes come from the data: 32 input features (the top half of each image) and 5 classes.
    labels = np.argmax(Yh[:, :200], axis=0) % 5
    try:
        p = train_classifier(Xh[:32, :200], np.eye(5)[:, labels], np.random.default_rng(7))
    except Exception as err:
        raise AssertionError(f"train_classifier failed for X (32, 200) and Y (5, 200) ({type(err).__name__}: "
                             f"{err}): take n[0] and K from X.shape[0] and Y.shape[0]") from None
    check_layout(p, 32, 5)
### END HIDDEN TESTS

check.passed("train_classifier: reaches the target, reproducible, randomness only from rng.")

# %% [markdown]
# ## 6. How good is it, and where does it fail?
#
# The cell trains once with your design (seed 1, the run the test cell measured) and shows the
# result from three sides: the time, the accuracy on the training and the test images, and the
# **confusion matrix**, whose entry $(i, j)$ counts the test images of digit $i$ that the network
# called $j$. A perfect classifier puts every count on the diagonal; the off-diagonal entries show
# which digits it mixes up. Below it, the first few test images it got wrong.

# %% tags=["demo"]
try:
    start = time.perf_counter()
    params = train_classifier(X_train, Y_train, np.random.default_rng(1))
    ours_seconds = time.perf_counter() - start
    ours_acc = accuracy(X_test, Y_test, params)
    print(f"training took {ours_seconds:.2f} s; accuracy on the training images "
          f"{accuracy(X_train, Y_train, params):.4f}, on the test images {ours_acc:.4f}")
    print("parameters:", sum(value.size for value in params.values()))

    predicted, true = predict(X_test, params), np.argmax(Y_test, axis=0)
    confusion = np.bincount(10 * true + predicted, minlength=100).reshape(10, 10)
    mistakes = np.flatnonzero(predicted != true)

    fig = plt.figure(figsize=(11, 4.6))
    ax = fig.add_axes([0.04, 0.1, 0.4, 0.82])
    ax.imshow(np.log1p(confusion), cmap="Blues")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if i == j else "black")
    ax.set(xlabel="predicted digit", ylabel="true digit", xticks=range(10), yticks=range(10),
           title=f"confusion matrix on the {true.size} test images")
    for k, column in enumerate(mistakes[:8]):
        sub = fig.add_axes([0.5 + 0.12 * (k % 4), 0.52 - 0.42 * (k // 4), 0.1, 0.36])
        sub.imshow(X_test[:, column].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        sub.set_title(f"true {true[column]}, said {predicted[column]}", fontsize=9)
        sub.axis("off")
    plt.show()
except NotImplementedError:
    print("Write predict, accuracy and train_classifier above to see this.")

# %% [markdown]
# The training accuracy is at or near 100 %: the network has all but memorised the 1,347 training
# images, and the few percent it loses on the test images are the price of generalising from them.
# Look at the mistakes: some are hard to read even for a person at 8x8 pixels, others are not.
# The network treats the 64 pixels as an unordered list of numbers; bigger models for images
# (convolutional networks, which know that neighbouring pixels belong together) make fewer of the
# second kind.

# %% [markdown]
# ## 7. Side by side with scikit-learn
#
# scikit-learn's `MLPClassifier` is a multi-layer perceptron trained by backpropagation, the same
# kind of network as yours. We give it a standard setting: one hidden layer of 128 ReLU units, a
# softmax output (it picks softmax itself for more than two classes), Adam with a learning rate of
# $2\cdot 10^{-3}$, batches of 32 and 30 passes over the data (`max_iter` counts epochs for Adam). A
# few differences remain: it adds a small L2 penalty (`alpha = 1e-4`, see notebook 06), it uses its
# own initialisation and shuffles (seeded with `random_state`), and it stores examples as **rows**,
# so it gets `X_train.T` $(1347, 64)$ and integer labels instead of one-hot columns.
#
# After 30 epochs its optimiser has not met its own convergence test, so it raises a
# `ConvergenceWarning`. We chose the budget on purpose, so the cell silences that one warning.

# %% tags=["demo"]
from sklearn.exceptions import ConvergenceWarning  # imported here: scikit-learn takes a second to load
from sklearn.neural_network import MLPClassifier

sk_model = MLPClassifier(hidden_layer_sizes=(128,), activation="relu", solver="adam", learning_rate_init=2e-3,
                         batch_size=32, max_iter=30, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=ConvergenceWarning)
    start = time.perf_counter()
    sk_model.fit(X_train.T, np.argmax(Y_train, axis=0))
    sk_seconds = time.perf_counter() - start
sk_acc = float(sk_model.score(X_test.T, np.argmax(Y_test, axis=0)))
sk_parameters = sum(W.size for W in sk_model.coefs_) + sum(b.size for b in sk_model.intercepts_)

rows = [("scikit-learn MLPClassifier", sk_parameters, sk_seconds, sk_acc)]
try:
    start = time.perf_counter()
    params = train_classifier(X_train, Y_train, np.random.default_rng(1))
    ours_seconds = time.perf_counter() - start
    rows.insert(0, ("your train_classifier", sum(v.size for v in params.values()), ours_seconds,
                    accuracy(X_test, Y_test, params)))
except NotImplementedError:
    print("Write predict, accuracy and train_classifier above to see your trainer in this comparison.\n")

print(f"{'model':<28}{'parameters':>11}{'fit time (s)':>14}{'test accuracy':>15}")
for name, count, seconds, acc in rows:
    print(f"{name:<28}{count:>11,}{seconds:>14.2f}{acc:>15.4f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
names = [row[0] for row in rows]
colors = ["tab:orange", "tab:blue"][-len(rows):]
axes[0].barh(names, [row[3] for row in rows], color=colors)
axes[0].set(xlim=(0.9, 1.0), xlabel="test accuracy", title="accuracy on the 450 test images")
axes[0].axvline(0.96, color="gray", linestyle="--", linewidth=1)
axes[1].barh(names, [row[2] for row in rows], color=colors)
axes[1].set(xlabel="seconds", title="time to fit")
axes[1].set_yticks([])
for ax in axes:
    ax.grid(True, axis="x", alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# Both land in the same place, within a percent or so of each other, and in comparable time:
# `MLPClassifier` is itself written in NumPy on top of the same matrix library, doing the same
# forward pass, backward pass and Adam step. If yours is clearly behind, the table of section 5 is
# where to look. (Times move a little from run to run and machine to
# machine; the dashed line is this split's 96 % target.) So for a network of this kind there is no hidden
# trick in the library: what it adds is convenience, input checks, early stopping, and well-tested
# code. What you have, having written your own, is knowing exactly what each of those lines
# computes.

# %% [markdown]
# ### Written question 1: your design, the evidence, and a prediction [2 points, graded by hand]
#
# 1. Describe your design in one sentence, with numbers (width and depth, optimiser, learning rate
#    and schedule, batch size, epochs).
# 2. Give the two comparisons that decided it. For each: what you compared, how (folds and seeds;
#    never the test images), the two accuracies, the paired difference with its standard error, and
#    whether the difference exceeds twice that error.
# 3. Your prediction from exercise 3: the interval for the test accuracy that you built from your
#    cross-validated accuracy and the standard error of a 450-image score before running its test
#    cell, and whether the measured accuracy fell inside it.
#
# Five to seven sentences.

# %% [markdown] answer="capstone_design" points=2
# ### BEGIN SOLUTION
# **Model answer.** 1. One hidden layer of 256 ReLU units (He initialisation), softmax output with
# cross-entropy, Adam at $\eta = 2 \cdot 10^{-3}$ with a cosine schedule to 0 over 40 epochs,
# batches of 32; about 0.6 s per training. 2. All comparisons are paired 5-fold cross-validation on
# `X_train` (`cross_validate`, seed 0). Training long enough mattered: 40 epochs against 10
# cross-validated 97.2 % against 96.6 %, $+0.6 \pm 0.3$ points, just under two standard errors; with
# a second fold seed added (ten paired folds) the difference was $+1.1 \pm 0.3$ points, so it is
# real. A second hidden layer (256-128, Adam $10^{-3}$, 30 epochs) gave 97.9 %
# against 97.2 %, $+0.7 \pm 0.2$ points, three standard errors: a real gain, but at twice the time,
# and the target does not need it, so I kept one layer and its shorter training. The
# width (64, 128 or 256 units) and cosine against constant steps stayed within noise. 3. The
# cross-validated 97.2 % was measured with networks trained on four fifths of the images, so I
# expected 97-98 %; a 450-image score has a standard error of
# $\sqrt{0.975 \cdot 0.025 / 450} = 0.74$ points, so about 95.7 % to 98.7 % at two standard errors.
# The test cell measured 97.3 %: inside.
#
# **Rubric.**
# - [1 point] a concrete design and two comparisons made on the training images only (cross-validation or a validation split), each with both accuracies, the difference and its standard error, judged against about two standard errors
# - [1 point] a prediction of the test accuracy as an interval built from the cross-validated accuracy and the standard error of 450 images (about ±1.5 points at two standard errors), checked against the measured accuracy
# ### END SOLUTION

# %% [markdown]
# ### Written question 2: the best of twenty test scores [2 points, graded by hand]
#
# You try 20 designs that are in truth equally good: each classifies a new digit correctly with
# probability 0.970. You score each one once on 450 test images and keep the design with the best
# score (treat the 20 scores as independent).
#
# 1. What is the standard error of one score, in percentage points?
# 2. Predict how high the best of the 20 scores lands on average. (The largest of 20 independent
#    normal draws lies on average about 1.87 standard deviations above their mean; you can check your
#    number with `rng.binomial(450, 0.97, size=(10000, 20)).max(axis=1).mean() / 450`.) What does
#    that say about the score you would report for the design you kept?
# 3. The hidden test retrains your design on two splits and seeds you never saw. Why is its measure
#    free of the bias of question 2?
#
# Two numbers and three or four sentences.

# %% [markdown] answer="test_set_out_of_design" points=2
# ### BEGIN SOLUTION
# **Model answer.** 1. $\sqrt{0.97 \cdot 0.03 / 450} = 0.0080$: 0.8 points. 2. About
# $0.970 + 1.87 \cdot 0.008 \approx 0.985$ (the simulation gives 0.984): the kept design's score
# overstates its real accuracy by about 1.5 points although it is no better than the other 19. It
# won because it was lucky on these 450 images; once the test images have chosen the design they
# are no longer unseen data, and the score of the winner is biased upwards. 3. The hidden test
# measures one design that was fixed before those splits existed: nothing was chosen on them, so
# each of its scores is an unbiased (if noisy, hence the mean of two) estimate of the design's
# accuracy, and a design tuned to this notebook's split or seed gets no benefit there.
#
# **Rubric.**
# - [1 point] the standard error (about 0.8 points) and the predicted best score (about 98.4-98.5 %, some 1.5 points above the true 97.0 %), read as selection bias: the maximum of noisy scores overestimates, so the test set stops being an honest measure once it chooses
# - [1 point] the hidden test scores a design fixed in advance on data that took no part in any choice, so its estimate has no selection bias (a design tuned to one split or seed gains nothing)
# ### END SOLUTION

# %% [markdown]
# ## 8. The same trainer on a GPU (optional)
#
# Your trainer uses only `np.` functions and operators, and NumPy hands those over to CuPy when
# they receive CuPy arrays. So once `X` and `Y` live on the GPU, the same `train_classifier` trains
# there: `place_like` moves the initial weights to the GPU, `np.zeros_like` makes any optimiser
# state there, and CuPy accepts the NumPy index arrays of `minibatch_indices`. The cell below uses
# `course.backend`: `to_device` copies arrays to the GPU, `synchronize` waits for the GPU to finish
# before the clock is read, and `to_numpy` brings the trained weights back. The same seed gives the
# same initial weights and shuffles on both, so the two networks should agree up to rounding.
#
# Expect a "speed-up" **below 1** here: with a few hundred hidden units and batches of a few dozen
# every matrix is tiny, and the fixed cost of launching every GPU operation dwarfs the arithmetic,
# as notebook 04 showed. GPUs pay off with wide layers and large batches. Without a GPU the cell
# trains nothing: it says that no GPU is present and what it would have compared.

# %%
if not backend.gpu_available():
    reason = backend.gpu_status().partition(", so this cell")[0]
    print(f"{reason}. Nothing is trained here: on a machine with a GPU this cell trains your design twice,\n"
          "with NumPy on the CPU and with CuPy on the GPU, and prints both times, the speed-up and whether\n"
          "the two trained networks agree.")
else:
    print(backend.gpu_status())
    xp = backend.get_array_module()
    try:
        X_gpu, Y_gpu = backend.to_device(X_train, xp), backend.to_device(Y_train, xp)
        # Warm up: the first call of each GPU operation compiles its kernel.
        train_classifier(X_gpu[:, :64], Y_gpu[:, :64], np.random.default_rng(0))
        backend.synchronize(xp)
        results = {}
        for name, (X_run, Y_run) in [("CPU (NumPy)", (X_train, Y_train)), ("GPU (CuPy)", (X_gpu, Y_gpu))]:
            start = time.perf_counter()
            trained = train_classifier(X_run, Y_run, np.random.default_rng(1))
            backend.synchronize(xp)
            seconds = time.perf_counter() - start
            trained = backend.to_numpy(trained)
            results[name] = (seconds, accuracy(X_test, Y_test, trained), trained)
            print(f"{name}: {seconds:.2f} s, test accuracy {results[name][1]:.4f}")
        cpu, gpu = results["CPU (NumPy)"], results["GPU (CuPy)"]
        agree = all(np.allclose(cpu[2][key], gpu[2][key], atol=1e-6) for key in cpu[2])
        print(f"speed-up of the GPU over the CPU: {cpu[0] / gpu[0]:.2f}x; same trained weights on both: {agree}")
    except NotImplementedError:
        print("Write predict, accuracy and train_classifier above to run this cell.")
    except (TypeError, ValueError) as err:
        print(f"The GPU run failed ({err}). Use only np.* functions and operators, start from "
              "place_like(init_he(...), X), and make new arrays with np.zeros_like, not np.zeros.")

# %% [markdown]
# ## What you built
#
# - **A complete classifier in plain NumPy.** Inputs as columns, He-initialised weights, ReLU
#   hidden layers, a softmax output; the four backprop equations for the gradient of the mean
#   cross-entropy; shuffled mini-batches; Adam with bias correction. Every line is one you wrote in
#   notebooks 02 to 07.
# - **An honest evaluation.** `predict` turns probabilities into labels with an arg-max, `accuracy`
#   counts them on images the network never trained on, and the confusion matrix shows where it
#   still fails. The network was trained on the smooth cross-entropy, not on the accuracy it is
#   judged by.
# - **A design of your own, chosen above the noise.** An accuracy on $n$ images carries a standard
#   error of $\sqrt{p(1-p)/n}$, about a point on 300 images; you chose the architecture, optimiser
#   and schedule with paired, cross-validated comparisons on the training images only.
# - **A fair comparison.** On the test images, looked at once at the end, your trainer and
#   scikit-learn's `MLPClassifier` land within a percent of each other at about 97 %, in a second or
#   two on a CPU.
# - **Portable code.** The same functions run on a GPU through CuPy, and you know why that only pays
#   off for large matrices.
#
# From here, the same machinery scales up: more layers and units, convolutional layers for images,
# and automatic differentiation (PyTorch, JAX) that writes `backward` for you, following exactly the
# equations you derived by hand.
