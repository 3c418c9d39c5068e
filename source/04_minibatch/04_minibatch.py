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
# # 04 · Mini-batches: backpropagation for many examples at once
#
# In notebook 03 you pushed **one** example through the four backprop equations. Real training
# averages the gradient over many examples, and a loop over examples in Python is slow. Here the
# examples become the columns of a matrix, every equation becomes a matrix equation, and one call
# computes the gradient of the mean cost over a whole batch.
#
# **What you will learn**
# - how stacking $m$ examples as columns turns each layer into one matrix product, and how the
#   bias broadcasts across the columns;
# - why $\frac{\partial C}{\partial W^{[l]}} = \frac{1}{m}\,\delta^{[l]} A^{[l-1]T}$ and
#   $\frac{\partial C}{\partial b^{[l]}} = \frac{1}{m}\,\delta^{[l]}\mathbf{1}$;
# - full-batch, stochastic and mini-batch gradient descent, epochs and shuffling;
# - how much faster the vectorised code really is (measured here), and how the same code runs on
#   a GPU with CuPy.
#
# **What you will write** (9 points), and two written questions graded by hand (4 points)
#
# | function | points |
# |---|---|
# | `backward_batch(Y, params, cache, hidden_activation, output_activation, loss)` | 3 |
# | `minibatch_indices(m, batch_size, rng)` | 2 |
# | `sgd_step(params, grads, lr)` | 1 |
# | `train(X, Y, layer_sizes, epochs, batch_size, lr, rng, ...)` | 3 |
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

import matplotlib.pyplot as plt
import numpy as np

from course import backend, check, data

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Given: activations, derivatives, losses and forward propagation
#
# You wrote these in notebooks 02 and 03; here they are given so that this notebook stands on
# its own. They use only `np.` functions and array operators (`@`, `*`, `-`), which is why they
# also work, unchanged, on CuPy arrays on a GPU (NumPy hands `np.exp(x)` of a CuPy array over to
# CuPy). Keep that style in your own code.
#
# Conventions as always: `W[l]` has shape `(n[l], n[l-1])`, `b[l]` has shape `(n[l], 1)`, one
# example per column, `cache = {"A0": X, "Z1": ..., "A1": ..., ..., "ZL": ..., "AL": ...}`, and
# every loss is the **mean** over the `m` columns, returned as a Python float. The derivative of
# ReLU at exactly 0 is taken to be 0.

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


def mse_loss(AL, Y):
    """Mean over the batch of 0.5 * ||a - y||^2."""
    m = Y.shape[1]
    return float(0.5 * np.sum((AL - Y) ** 2) / m)


def bce_loss(AL, Y):
    """Binary cross-entropy, mean over the batch; clipping keeps log finite at AL = 0 or 1."""
    m = Y.shape[1]
    A = np.clip(AL, 1e-15, 1 - 1e-15)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)


def cross_entropy_loss(AL, Y):
    """Categorical cross-entropy -sum_k y_k log a_k, mean over the batch. Y one-hot (K, m)."""
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(np.clip(AL, 1e-15, 1.0))) / m)


LOSSES = {"mse": mse_loss, "bce": bce_loss, "cross_entropy": cross_entropy_loss}


def forward(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """Forward propagation. X (n[0], m) -> (AL (n[L], m), cache with A0, Z1, A1, ..., ZL, AL)."""
    L = len(params) // 2
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = ACTIVATIONS[hidden_activation if l < L else output_activation](Z)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache


def accuracy(AL, Y):
    """Fraction of columns classified right: argmax for K > 1 classes, a 0.5 threshold for K = 1."""
    if Y.shape[0] == 1:
        return float(np.mean((AL >= 0.5) == (Y >= 0.5)))
    return float(np.mean(np.argmax(AL, axis=0) == np.argmax(Y, axis=0)))


# %% [markdown]
# ## 1. A batch is a matrix: one example per column
#
# For one example $x$ (a column of $n^{[0]}$ numbers) a layer computes
# $z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}$, a column of $n^{[l]}$ numbers. Put $m$ examples side by
# side as the columns of
#
# $$A^{[0]} = X = \big[\, x^{(1)} \;\; x^{(2)} \;\; \cdots \;\; x^{(m)} \,\big] \qquad (n^{[0]}, m).$$
#
# Matrix multiplication works column by column: column $i$ of $W^{[l]} A^{[l-1]}$ is
# $W^{[l]} a^{[l-1](i)}$. So one product does the work of $m$ matrix-vector products:
#
# $$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]}),$$
#
# | quantity | shape |
# |---|---|
# | $A^{[l-1]}$ | $(n^{[l-1]}, m)$ |
# | $W^{[l]}$ | $(n^{[l]}, n^{[l-1]})$ |
# | $W^{[l]} A^{[l-1]}$, $Z^{[l]}$, $A^{[l]}$ | $(n^{[l]}, m)$ |
# | $b^{[l]}$ | $(n^{[l]}, 1)$ |
#
# The weights do not grow with $m$: the same $W^{[l]}$ and $b^{[l]}$ serve every example.

# %% [markdown]
# ### The bias broadcasts
#
# $W^{[l]}A^{[l-1]}$ is $(n^{[l]}, m)$ but $b^{[l]}$ is $(n^{[l]}, 1)$. Mathematically we mean
# $b^{[l]}\mathbf{1}^T$, the column $b^{[l]}$ copied $m$ times, where $\mathbf{1}$ is a column of
# $m$ ones. NumPy does that copying for us: when one array has size 1 along an axis, it is
# *broadcast* (repeated) along that axis to match the other. The cell below checks that the
# batched product equals the column-by-column loop, and shows the classic trap: a bias stored as a
# flat `(n,)` vector lines up with the **last** axis, the examples, so it is added along the wrong
# direction (or, when `m` happens to equal `n`, silently gives wrong numbers).

# %%
rng = np.random.default_rng(0)
W = rng.standard_normal((3, 2))          # n[l] = 3 units, n[l-1] = 2 inputs
b = rng.standard_normal((3, 1))          # a column: one bias per unit
X_small = rng.standard_normal((2, 5))    # m = 5 examples

Z_batch = W @ X_small + b                                                  # (3, 5) in one product
Z_loop = np.hstack([W @ X_small[:, [i]] + b for i in range(X_small.shape[1])])  # 5 products
print("Z_batch shape:", Z_batch.shape, "| equals the loop over columns:", np.allclose(Z_batch, Z_loop))
print("b @ ones((1, m)) is the broadcast bias:", np.allclose(W @ X_small + b @ np.ones((1, 5)), Z_batch))

b_flat = b.ravel()                       # shape (3,): the trap
try:
    W @ X_small + b_flat
except ValueError as err:
    print("with a (3,) bias and m = 5:", err)
X_square = rng.standard_normal((2, 3))   # now m = 3 = n[l]: no error, wrong numbers
print("with a (3,) bias and m = 3, same as the (3, 1) bias?",
      np.allclose(W @ X_square + b_flat, W @ X_square + b))

# %% [markdown]
# ## 2. Backpropagation over a batch
#
# The cost of a batch is the **mean** of the per-example losses,
#
# $$C = \frac{1}{m}\sum_{i=1}^{m} \mathcal{L}\big(a^{[L](i)}, y^{(i)}\big).$$
#
# Stack the per-example errors $\delta^{[l](i)} = \partial \mathcal{L}^{(i)}/\partial z^{[l](i)}$
# as columns, exactly like the activations: $\delta^{[l]}$ is $(n^{[l]}, m)$. The equations for
# $\delta$ are column-by-column operations, so they carry over unchanged, with **no** $1/m$:
#
# - (BP1) $\delta^{[L]} = \frac{\partial \mathcal{L}}{\partial A^{[L]}} \odot g^{[L]\prime}(Z^{[L]})$
#   for an element-wise output activation. For sigmoid + binary cross-entropy this is
#   $A^{[L]} - Y$, and so is softmax + cross-entropy (softmax is not element-wise, but notebook 03
#   showed the pair collapses to the same result). For squared error $\frac12\lVert a - y\rVert^2$
#   it is $(A^{[L]} - Y) \odot g^{[L]\prime}(Z^{[L]})$, which with the identity output is simply
#   $A^{[L]} - Y$;
# - (BP2) $\delta^{[l]} = \big(W^{[l+1]T}\,\delta^{[l+1]}\big) \odot g^{[l]\prime}(Z^{[l]})$.
#
# Shapes: $W^{[l+1]T}$ is $(n^{[l]}, n^{[l+1]})$, $\delta^{[l+1]}$ is $(n^{[l+1]}, m)$, so the product is
# $(n^{[l]}, m)$, like $Z^{[l]}$.

# %% [markdown]
# ### Where the $1/m$ goes
#
# Every example uses the same $W^{[l]}$, so the gradient of the mean cost is the mean of the
# per-example gradients from notebook 03:
#
# $$\frac{\partial C}{\partial W^{[l]}} = \frac{1}{m}\sum_{i=1}^{m} \delta^{[l](i)}\, a^{[l-1](i)T}
# = \frac{1}{m}\,\delta^{[l]} A^{[l-1]T}, \qquad
# \frac{\partial C}{\partial b^{[l]}} = \frac{1}{m}\sum_{i=1}^{m} \delta^{[l](i)} = \frac{1}{m}\,\delta^{[l]}\mathbf{1}.$$
#
# The middle step is a fact about matrix products worth seeing once: $\delta A^T$, a
# $(n^{[l]}, m)(m, n^{[l-1]})$ product, **is** the sum over $i$ of the outer products of column $i$
# of $\delta$ with column $i$ of $A$. The sum over examples happens inside the matrix product.
# Multiplying by the column of ones $\mathbf{1}$ $(m, 1)$ sums each row, which in NumPy is
# `np.sum(delta, axis=1, keepdims=True)`.
#
# | gradient | formula | shape |
# |---|---|---|
# | `dW[l]` | $\frac1m\,\delta^{[l]}A^{[l-1]T}$ | $(n^{[l]}, n^{[l-1]})$, like $W^{[l]}$ |
# | `db[l]` | $\frac1m\,\delta^{[l]}\mathbf{1}$ | $(n^{[l]}, 1)$, like $b^{[l]}$ |
#
# The $1/m$ appears **only** in `dW` and `db`: $\delta$ is per example. Put it in $\delta$ as well
# and you divide by $m$ twice; forget it and the gradient grows with the batch size, so a learning
# rate that works for 32 examples blows up for 512.

# %%
rng = np.random.default_rng(1)
delta = rng.standard_normal((3, 4))     # (n[l], m) with m = 4
A_prev = rng.standard_normal((2, 4))    # (n[l-1], m)
outer_sum = sum(np.outer(delta[:, i], A_prev[:, i]) for i in range(4))
print("delta @ A_prev.T equals the sum of the 4 outer products:", np.allclose(delta @ A_prev.T, outer_sum))
print("delta @ ones((m, 1)) equals np.sum(delta, axis=1, keepdims=True):",
      np.allclose(delta @ np.ones((4, 1)), np.sum(delta, axis=1, keepdims=True)))

# %% [markdown]
# ### Exercise 1: `backward_batch` [3 points]
#
# Write backpropagation for a batch of any size $m$. Walk from layer $L$ down to 1: start with
# $\delta^{[L]}$ (BP1), compute `dW` and `db` of the layer with the $1/m$, then, if the layer is not
# the first, step $\delta$ one layer down (BP2). Use the given `DERIVATIVES[name](Z)` for $g'$ (it has
# `"relu"`, `"sigmoid"`, `"tanh"` and `"identity"`). `cache` holds everything you need; take $m$
# from the shape of `Y`. The pairings to support, written `(output_activation, loss)` in the order of
# the arguments, are `("sigmoid", "bce")`, `("softmax", "cross_entropy")` and `("identity", "mse")`;
# the hidden activation is any of `"relu"`, `"sigmoid"`, `"tanh"`.
#
# Return a new dict; do not change `params` or `cache`.

# %% solution="backward_batch"
def backward_batch(Y, params, cache, hidden_activation, output_activation, loss):
    """Gradients of the mean cost over a batch of m examples.

    Inputs:
        Y:      (n[L], m) targets (one-hot for softmax, 0/1 for sigmoid, real numbers for identity)
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
        cache:  from forward on the same m columns: {"A0": X (n[0], m), "Z1": (n[1], m), "A1": ..., "ZL", "AL"}
        hidden_activation: "relu" | "sigmoid" | "tanh"
        output_activation, loss: ("sigmoid", "bce") | ("softmax", "cross_entropy") | ("identity", "mse")
    Returns:
        grads: {"dW1": (n[1], n[0]), "db1": (n[1], 1), ..., "dWL", "dbL"}, each shaped like its parameter.
    """
    ### BEGIN SOLUTION
    L = len(params) // 2
    m = Y.shape[1]
    AL, ZL = cache[f"A{L}"], cache[f"Z{L}"]
    if (loss, output_activation) in (("bce", "sigmoid"), ("cross_entropy", "softmax")):
        delta = AL - Y
    elif loss == "mse":
        delta = (AL - Y) * DERIVATIVES[output_activation](ZL)
    else:
        raise ValueError(f"unsupported pairing: loss {loss!r} with output {output_activation!r}")
    grads = {}
    for l in range(L, 0, -1):
        A_prev = cache[f"A{l - 1}"]
        grads[f"dW{l}"] = (delta @ A_prev.T) / m
        grads[f"db{l}"] = np.sum(delta, axis=1, keepdims=True) / m
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * DERIVATIVES[hidden_activation](cache[f"Z{l - 1}"])
    return grads
    ### END SOLUTION


# %% test="backward_batch" points=3
# The expected gradients are central differences of the MEAN cost C(params): nudge one parameter
# by +-eps, run forward on the whole batch, and divide the change in C by 2 eps.
import warnings

from course import layer_hints

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def make_case(sizes, m, loss, output, seed):
        rng = np.random.default_rng(seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = 0.5 * rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        if loss == "cross_entropy":
            Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m)]
        elif loss == "bce":
            Y = rng.integers(0, 2, size=(sizes[-1], m)).astype(float)
        else:
            Y = rng.standard_normal((sizes[-1], m))
        return params, X, Y

    def mean_cost_gradients(X, Y, params, hidden, output, loss, eps=1e-6):
        def cost(p):
            return LOSSES[loss](forward(X, p, hidden, output)[0], Y)
        expected = {}
        for key, value in params.items():
            grad = np.zeros_like(value)
            for idx in np.ndindex(*value.shape):
                plus, minus = value.copy(), value.copy()
                plus[idx] += eps
                minus[idx] -= eps
                grad[idx] = (cost({**params, key: plus}) - cost({**params, key: minus})) / (2 * eps)
            expected["d" + key] = grad
        return expected

    def right_for_one_example(sizes, hidden, output, loss, seed):
        """Whether backward_batch is right on the same network with a single example (m = 1)."""
        params, X, Y = make_case(sizes, 1, loss, output, seed)
        try:
            grads = backward_batch(Y, params, forward(X, params, hidden, output)[1], hidden, output, loss)
            check.check_dict(grads, mean_cost_gradients(X, Y, params, hidden, output, loss), rtol=1e-5, atol=1e-7)
        except Exception:  # noqa: BLE001 - wrong at m = 1 too, in whatever way
            return False
        return True

    def batch_slip(grads, expected, m, n_L):
        """A sentence for a slip that shows in the shapes or the scale of all the gradients, or None."""
        if not (isinstance(grads, dict) and set(grads) == set(expected)):
            return None
        for key, want in expected.items():
            if key.startswith("db") and np.shape(grads[key]) == (1, m) != want.shape:
                return (f"{key} has shape (1, {m}), one number per example: that is a sum over axis 0, the "
                        f"{want.shape[0]} units of each example. A bias is shared by the examples, so its "
                        "gradient adds up each unit's error over the examples")
        if n_L != m and all(np.shape(grads[k]) == w.shape for k, w in expected.items()) and all(
                np.allclose(grads[k], w * m / n_L, rtol=1e-5, atol=1e-7) for k, w in expected.items()):
            return (f"every gradient is {m}/{n_L} = {m / n_L:.3g} times the right one: was m taken from the rows "
                    f"of Y (n[L] = {n_L}, the output units) instead of its columns (m = {m}, the examples)?")
        return None

    in_place = ("backward_batch must leave params and cache as they were: `delta -= ...` or `delta *= ...` "
                "writes into the array that delta names, and after delta = cache[...] that is the cache's own "
                "array. Compute delta as a new array")
    cases = [  # (layer sizes, m, hidden, output, loss)
        ([3, 5, 4], 6, "relu", "softmax", "cross_entropy"),
        ([2, 4, 3, 1], 5, "tanh", "sigmoid", "bce"),
        ([4, 3, 2], 7, "sigmoid", "identity", "mse"),
    ]
    for seed, (sizes, m, hidden, output, loss) in enumerate(cases):
        params, X, Y = make_case(sizes, m, loss, output, seed)
        AL, cache = forward(X, params, hidden, output)
        expected = mean_cost_gradients(X, Y, params, hidden, output, loss)
        where = f"\n  (case: layer sizes {sizes}, m = {m}, hidden {hidden!r}, output {output!r}, loss {loss!r})"
        try:
            grads = check.check_not_mutated(backward_batch, Y, params, cache, hidden, output, loss, hint=in_place)
            slip = batch_slip(grads, expected, m, Y.shape[0])
            if slip:
                raise AssertionError(f"backward_batch: {slip}{where}")
            check.check_dict(grads, expected, name="grads", rtol=1e-5, atol=1e-7, m=m)
        except (AssertionError, ValueError) as err:  # ValueError: NumPy could not broadcast two arrays
            if "in place" in str(err) or "backward_batch: " in str(err):  # its own cause, named: nothing to add
                raise AssertionError(f"{err}{'' if where in str(err) else where}") from None
            said = f"{type(err).__name__}: {err}" if isinstance(err, ValueError) else str(err)
            if (isinstance(err, ValueError) or ("dW" in said and "shape" in said)) and right_for_one_example(
                    sizes, hidden, output, loss, seed):
                raise AssertionError(
                    f"backward_batch: right for a single example (m = 1), but not for a batch of m = {m}. Over a "
                    "batch, dW[l] adds up the m per-example outer products delta^(i) a^(i)T: a matrix product over "
                    "the examples (section 2), while an element-wise `*` or np.outer pairs up one column of "
                    f"each. (The test said: {said}){where}") from None
            hinted = layer_hints.with_index_hint(AssertionError(said), backward_batch, m=m)
            raise AssertionError(f"{hinted}{where}") from None

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_act(Z, name):
        if name == "relu":
            return np.maximum(Z, 0.0)
        if name == "tanh":
            return np.tanh(Z)
        if name == "sigmoid":
            return 1.0 / (1.0 + np.exp(-Z))
        if name == "identity":
            return Z.copy()
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
        return E / E.sum(axis=0, keepdims=True)

    def _h_forward(X, params, hidden, output):
        L = len(params) // 2
        cache = {"A0": X}
        A = X
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = _h_act(Z, hidden if l < L else output)
            cache[f"Z{l}"], cache[f"A{l}"] = Z, A
        return A, cache

    def _h_cost(AL, Y, loss):
        m = Y.shape[1]
        if loss == "mse":
            return 0.5 * np.sum((AL - Y) ** 2) / m
        if loss == "bce":
            return -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
        return -np.sum(Y * np.log(AL)) / m

    def _h_numeric(X, Y, params, hidden, output, loss, eps=1e-6):
        out = {}
        for key, value in params.items():
            g = np.zeros_like(value)
            for idx in np.ndindex(*value.shape):
                p, q = value.copy(), value.copy()
                p[idx] += eps
                q[idx] -= eps
                cp = _h_cost(_h_forward(X, {**params, key: p}, hidden, output)[0], Y, loss)
                cq = _h_cost(_h_forward(X, {**params, key: q}, hidden, output)[0], Y, loss)
                g[idx] = (cp - cq) / (2 * eps)
            out["d" + key] = g
        return out

    def _h_problem(sizes, m, loss, rng, scale=0.7):
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = scale * rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = 0.3 * rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        if loss == "cross_entropy":
            Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m)]
        elif loss == "bce":
            Y = rng.integers(0, 2, size=(sizes[-1], m)).astype(float)
        else:
            Y = rng.standard_normal((sizes[-1], m))
        return params, X, Y

    pairings = [("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mse", "identity")]
    hidden_names = ["relu", "sigmoid", "tanh"]
    rng = np.random.default_rng(4004)
    for trial in range(12):
        loss, output = pairings[trial % 3]
        hidden = hidden_names[(trial // 3) % 3]
        depth = int(rng.integers(1, 5))              # 1..4 layers with parameters
        m = [1, 2, 9, 33][trial % 4]
        sizes = [int(n) for n in rng.integers(1, 6, size=depth + 1)]
        sizes[-1] = int(rng.integers(2, 5)) if loss == "cross_entropy" else sizes[-1]
        params, X, Y = _h_problem(sizes, m, loss, rng)
        _, cache = _h_forward(X, params, hidden, output)
        saved = ({k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in cache.items()})
        grads = backward_batch(Y, params, cache, hidden, output, loss)
        desc = f"layer sizes {sizes}, m = {m}, hidden {hidden!r}, output {output!r}, loss {loss!r}"
        assert isinstance(grads, dict), f"backward_batch must return a dict ({desc})"
        expected = _h_numeric(X, Y, params, hidden, output, loss)
        assert set(grads) == set(expected), f"wrong keys {sorted(grads)} ({desc})"
        for key, want in expected.items():
            got = np.asarray(grads[key])
            assert got.shape == want.shape, f"{key} has shape {got.shape}, expected {want.shape} ({desc})"
            assert np.all(np.isfinite(got)), f"{key} has NaN/inf ({desc})"
            if not np.allclose(got, want, rtol=1e-5, atol=1e-7):
                hint = ""
                if m > 1 and np.allclose(got, m * want, rtol=1e-5, atol=1e-7):
                    hint = ": check the 1/m"
                elif m > 1 and np.allclose(got, want / m, rtol=1e-5, atol=1e-7):
                    hint = ": 1/m applied twice?"
                raise AssertionError(f"{key} is wrong for {desc}{hint}")
        assert all(np.array_equal(params[k], v) for k, v in saved[0].items()), f"params modified ({desc})"
        assert all(np.array_equal(cache[k], v) for k, v in saved[1].items()), f"cache modified ({desc})"

    # Saturated outputs: large logits must still give finite gradients (use delta = AL - Y).
    for loss, output, K in [("bce", "sigmoid", 1), ("cross_entropy", "softmax", 4)]:
        m = 6
        params = {"W1": 400.0 * rng.standard_normal((K, 3)), "b1": np.zeros((K, 1))}
        X = rng.standard_normal((3, m))
        Y = np.eye(K)[:, rng.integers(0, K, size=m)] if K > 1 else rng.integers(0, 2, size=(1, m)).astype(float)
        AL, cache = _h_forward(X, params, "relu", output)
        grads = backward_batch(Y, params, cache, "relu", output, loss)
        want_W = (AL - Y) @ X.T / m
        want_b = np.sum(AL - Y, axis=1, keepdims=True) / m
        assert np.all(np.isfinite(grads["dW1"])) and np.all(np.isfinite(grads["db1"])), \
            f"NaN/inf for saturated {output} outputs: use the simplified delta = AL - Y"
        assert np.allclose(grads["dW1"], want_W, atol=1e-8) and np.allclose(grads["db1"], want_b, atol=1e-8), \
            f"wrong gradient for saturated {output} outputs with loss {loss!r}"
### END HIDDEN TESTS

check.passed("backward_batch: gradients of the mean cost match central differences for all three pairings.")

# %% [markdown]
# ### Written question 1: the $1/m$ by hand, and in the wrong place [2 points, graded by hand]
#
# 1. One unit with one input, a batch of $m = 4$ examples: $\delta = [0.2,\; -0.1,\; 0.4,\; -0.3]$ and
#    $A^{[l-1]} = [1,\; 2,\; -1,\; 0.5]$ (both of shape $(1, 4)$). Compute $dW$ and $db$ by hand, showing
#    the sum over the examples.
# 2. A student divides by $m$ in $\delta^{[L]}$ as well (and keeps the $\frac1m$ in `dW` and `db`). In a
#    network with $L = 3$ layers and batches of 32, by what factor are `dW3` and `dW1` off? Does the
#    error grow with depth? Explain, and say what this slip does to training with a given learning rate.

# %% [markdown] answer="batch_gradient_mean" points=2
# ### BEGIN SOLUTION
# **Model answer.** 1. $dW = \frac14 \sum_i \delta^{(i)} a^{(i)} = \frac14(0.2 \cdot 1 - 0.1 \cdot 2 + 0.4 \cdot (-1)
# - 0.3 \cdot 0.5) = \frac14(-0.55) = -0.1375$, and $db = \frac14(0.2 - 0.1 + 0.4 - 0.3) = \frac14 \cdot 0.2 = 0.05$.
# 2. Both are $1/32$ of the right value, and so is every other gradient: the error does not grow with
# depth. BP2 is linear in $\delta$ ($\delta^{[l]} = (W^{[l+1]T}\delta^{[l+1]}) \odot g'(Z^{[l]})$), so the
# extra factor $\frac1{32}$ put into $\delta^{[L]}$ rides along unchanged to every layer, once; it is
# not applied again at each layer. Every step is then 32 times too small: the same as training with
# learning rate $\eta/32$ (and the effect would change with the batch size).
#
# **Rubric.**
# - [1 point] $dW = -0.1375$ and $db = 0.05$, with the sum over the four examples divided by 4
# - [1 point] every gradient, dW3 and dW1 alike, is $1/32$ of the right one: BP2 is linear in delta, so the factor is carried once, not compounded; the effect is a learning rate 32 times smaller
# ### END SOLUTION

# %% [markdown]
# ## 3. How much faster is the matrix version?
#
# Both ways compute the same numbers. The loop makes Python run a handful of small NumPy calls per
# example, and each call costs a few microseconds of overhead whatever its size; the matrix version
# makes the same handful of calls once per batch and lets optimised, multi-threaded linear algebra
# (BLAS) do the arithmetic. The first cell below writes both versions out for a `[64, 32, 10]`
# network (ReLU hidden layer, softmax output), so that it runs even before you finish the
# exercises; the second times them on batches of 1 to 512 digits.

# %%
def gradients_per_example(X, Y, params):
    """Loop over the columns: forward and backward for one example at a time, then average."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    m = X.shape[1]
    dW1, db1, dW2, db2 = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
    for i in range(m):
        x, y = X[:, i:i + 1], Y[:, i:i + 1]
        z1 = W1 @ x + b1
        a1 = relu(z1)
        a2 = softmax(W2 @ a1 + b2)
        d2 = a2 - y
        d1 = (W2.T @ d2) * relu_prime(z1)
        dW2 += d2 @ a1.T
        db2 += d2
        dW1 += d1 @ x.T
        db1 += d1
    return {"dW1": dW1 / m, "db1": db1 / m, "dW2": dW2 / m, "db2": db2 / m}


def gradients_vectorised(X, Y, params):
    """The same computation with the m examples as the columns of one matrix."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    A2 = softmax(W2 @ A1 + b2)
    D2 = A2 - Y
    D1 = (W2.T @ D2) * relu_prime(Z1)
    return {"dW1": D1 @ X.T / m, "db1": np.sum(D1, axis=1, keepdims=True) / m,
            "dW2": D2 @ A1.T / m, "db2": np.sum(D2, axis=1, keepdims=True) / m}


def best_time(fn, *args, repeats):
    """The fastest of `repeats` runs, in seconds (the minimum is the least disturbed by other work)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


X_digits, Y_digits, _, _ = data.load_digits(rng=np.random.default_rng(0))  # (64, 1797), (10, 1797)

# %% tags=["demo"]
rng = np.random.default_rng(2)
timing_params = {"W1": rng.standard_normal((32, 64)) * np.sqrt(2 / 64), "b1": np.zeros((32, 1)),
                 "W2": rng.standard_normal((10, 32)) * np.sqrt(2 / 32), "b2": np.zeros((10, 1))}

batch_sizes = [2**k for k in range(10)]  # 1, 2, 4, ..., 512
loop_seconds, vector_seconds = [], []
for m in batch_sizes:
    Xb, Yb = X_digits[:, :m], Y_digits[:, :m]
    same = gradients_per_example(Xb, Yb, timing_params)
    other = gradients_vectorised(Xb, Yb, timing_params)
    assert all(np.allclose(same[k], other[k]) for k in same), "the two versions disagree"
    loop_seconds.append(best_time(gradients_per_example, Xb, Yb, timing_params, repeats=3))
    vector_seconds.append(best_time(gradients_vectorised, Xb, Yb, timing_params, repeats=20))

loop_us = 1e6 * np.array(loop_seconds) / np.array(batch_sizes)
vector_us = 1e6 * np.array(vector_seconds) / np.array(batch_sizes)
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].loglog(batch_sizes, 1e3 * np.array(loop_seconds), "o-", label="loop over examples")
axes[0].loglog(batch_sizes, 1e3 * np.array(vector_seconds), "s-", label="vectorised (matrices)")
axes[0].set(xlabel="batch size m", ylabel="time for one gradient (ms)", title="Time per batch")
axes[1].loglog(batch_sizes, loop_us, "o-", label="loop over examples")
axes[1].loglog(batch_sizes, vector_us, "s-", label="vectorised (matrices)")
axes[1].set(xlabel="batch size m", ylabel="time per example (µs)", title="Time per example")
for ax in axes:
    ax.set_xticks(batch_sizes, [str(n) for n in batch_sizes])
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
plt.tight_layout()
plt.show()
print(f"same gradients both ways; at m = {batch_sizes[-1]} the vectorised version is "
      f"{loop_seconds[-1] / vector_seconds[-1]:.0f} times faster")

# %% [markdown]
# For $m = 1$ the two are about equal (it is the same code). As $m$ grows the loop's time per
# example stays flat, while the vectorised time per example keeps falling, because the fixed cost
# of each NumPy call is shared by more and more examples. The exact speed-up depends on your
# machine; a factor of tens at a few hundred examples is typical.

# %% [markdown]
# ## 4. Full-batch, stochastic and mini-batch gradient descent
#
# A gradient step uses the mean cost over some set $B$ of examples:
#
# $$\theta \leftarrow \theta - \eta \,\nabla_\theta C_B(\theta), \qquad
# C_B = \frac{1}{|B|}\sum_{i\in B}\mathcal{L}^{(i)},$$
#
# for every parameter $\theta$ ($W^{[l]}$ and $b^{[l]}$) and a learning rate $\eta$. An **epoch** is
# one pass through all $m$ training examples. The three classic choices of $B$:
#
# | method | $\lvert B\rvert$ | steps per epoch | each step |
# |---|---|---|---|
# | full-batch (batch) GD | $m$ | 1 | the exact gradient of the training cost, but one step costs a whole pass |
# | stochastic GD (SGD) | 1 | $m$ | very noisy, and cannot use matrix speed |
# | mini-batch GD | $b$, e.g. 32 | $\lceil m/b \rceil$ | a fair estimate, and fast thanks to the matrices |
#
# A mini-batch gradient is an average of $b$ per-example gradients, so its random error shrinks like
# $1/\sqrt{b}$, while the cost of a step grows far less than $b$ times (section 3). Mini-batches of
# a few tens to a few hundreds are what people use in practice; in everyday speech "SGD" often
# means mini-batch SGD.

# %% [markdown]
# ### Shuffling: every example once per epoch
#
# We do not pick batches at random with replacement; instead, at the start of each epoch we
# shuffle the indices $0, \dots, m-1$ (a random permutation) and cut them into consecutive pieces
# of `batch_size`. Then:
#
# - every example is used **exactly once** per epoch;
# - the batches differ from epoch to epoch, so the network never sees the same fixed groups (data
#   stored sorted by class would otherwise give batches that contain a single class);
# - if `batch_size` does not divide $m$, the **last** batch is smaller: $m - b\lfloor m/b\rfloor$
#   examples. Since the cost is a mean, its gradient has the same scale as the others.
#
# For $m = 10$ and `batch_size = 4`: three batches of sizes 4, 4 and 2, e.g.
# `[array([7, 2, 9, 0]), array([4, 1, 8, 5]), array([3, 6])]`.

# %% [markdown]
# ### Exercise 2: `minibatch_indices` [2 points]
#
# Return the batches of one epoch as a list of 1-D integer NumPy arrays. Shuffle with the
# generator you are given (`rng.permutation` does it) and nothing else, so that a seed reproduces
# the same batches.

# %% solution="minibatch_indices"
def minibatch_indices(m, batch_size, rng):
    """Split the indices 0..m-1, shuffled, into mini-batches.

    Inputs:
        m:          number of examples (int >= 1)
        batch_size: examples per batch (int >= 1)
        rng:        numpy.random.Generator, the only source of randomness
    Returns:
        list of 1-D integer arrays; together they hold every index 0..m-1 exactly once, in a random
        order; every batch has batch_size indices except possibly the last, which holds the rest.
    """
    ### BEGIN SOLUTION
    order = rng.permutation(m)
    return [order[start:start + batch_size] for start in range(0, m, batch_size)]
    ### END SOLUTION


# %% test="minibatch_indices" points=2
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def check_batches(batches, m, batch_size):
        where = f"minibatch_indices({m}, {batch_size}, rng)"
        assert isinstance(batches, list), f"{where} returned {type(batches).__name__}, expected a list of arrays"
        for k, batch in enumerate(batches):
            assert isinstance(batch, np.ndarray), \
                f"{where}: batch {k} is a {type(batch).__name__}, expected a NumPy array"
            assert batch.ndim == 1, f"{where}: batch {k} has shape {batch.shape}, expected a 1-D array"
            assert np.issubdtype(batch.dtype, np.integer), \
                f"{where}: batch {k} has dtype {batch.dtype}, expected integers (they are used as indices)"
        full, rest = divmod(m, batch_size)
        want_sizes = [batch_size] * full + ([rest] if rest else [])
        sizes = [len(batch) for batch in batches]
        assert sizes == want_sizes, (f"{where}: batch sizes {sizes}, expected {want_sizes} "
                                     "(all full except possibly the last)")
        everything = np.concatenate(batches)
        counts = np.bincount(everything[(everything >= 0) & (everything < m)], minlength=m)
        assert everything.min() >= 0 and everything.max() < m, f"{where}: indices must lie in 0..{m - 1}"
        assert np.all(counts == 1), (f"{where}: every index must appear exactly once; "
                                     f"{int(np.sum(counts == 0))} missing, {int(np.sum(counts > 1))} repeated")
        return everything

    for m, batch_size in [(10, 4), (12, 3), (40, 7)]:
        check_batches(minibatch_indices(m, batch_size, np.random.default_rng(0)), m, batch_size)

    order = check_batches(minibatch_indices(50, 8, np.random.default_rng(1)), 50, 8)
    assert not np.array_equal(order, np.arange(50)), \
        "the indices come out in order 0, 1, 2, ...: shuffle them with rng.permutation(m)"
    again = check_batches(minibatch_indices(50, 8, np.random.default_rng(1)), 50, 8)
    assert np.array_equal(order, again), \
        "the same seed gave different batches: draw all randomness from rng (not np.random.*)"
    rng = np.random.default_rng(2)
    epoch1 = check_batches(minibatch_indices(50, 8, rng), 50, 8)
    epoch2 = check_batches(minibatch_indices(50, 8, rng), 50, 8)
    assert not np.array_equal(epoch1, epoch2), \
        "two calls with the same generator gave the same order: shuffle anew with rng on every call"

    # New groups, not only a new order of the same groups.
    def runs_of_consecutive_indices(batches):
        return all(np.array_equal(np.sort(b), np.arange(b.min(), b.min() + len(b))) for b in batches if len(b))
    if all(runs_of_consecutive_indices(minibatch_indices(50, 8, np.random.default_rng(seed))) for seed in range(3)):
        raise AssertionError(
            "minibatch_indices(50, 8, rng): every batch is a run of consecutive indices (such as 8, 9, ..., 15), "
            "for every seed: only the order of fixed blocks changes, so the same examples always share a batch, "
            "the fixed groups section 4 warns about. Every index should be able to land in any batch")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for seed, (m, batch_size) in enumerate([(3, 8), (64, 16), (1, 5), (1, 1), (7, 1), (1000, 64),
                                            (5, 5), (6, 5), (17, 16), (100, 99), (33, 10)]):
        batches = minibatch_indices(m, batch_size, np.random.default_rng(100 + seed))
        where = f"minibatch_indices({m}, {batch_size}, rng)"
        assert isinstance(batches, list), f"{where} must return a list"
        assert all(isinstance(b, np.ndarray) and b.ndim == 1 and np.issubdtype(b.dtype, np.integer)
                   for b in batches), f"{where}: every batch must be a 1-D integer NumPy array"
        full, rest = divmod(m, batch_size)
        assert [len(b) for b in batches] == [batch_size] * full + ([rest] if rest else []), \
            f"{where}: wrong batch sizes (m < batch_size, m divisible or not by batch_size?)"
        everything = np.concatenate(batches)
        assert np.array_equal(np.sort(everything), np.arange(m)), f"{where}: not every index exactly once"
        if m >= 20:
            assert not np.array_equal(everything, np.arange(m)), f"{where}: not shuffled"
    a = np.concatenate(minibatch_indices(200, 32, np.random.default_rng(7)))
    b = np.concatenate(minibatch_indices(200, 32, np.random.default_rng(8)))
    assert not np.array_equal(a, b), "different seeds must give different orders"
    # A shuffle, not only a rotation or a block swap: which examples share a batch is random. Over 400
    # seeds (m = 10, batches of 3), index i lands in the first batch 3/10 of the time, and two given
    # indices share a batch 1/5 of the time (the order inside a batch does not matter).
    in_first = np.zeros(10)
    together = 0
    for s in range(400):
        batches = minibatch_indices(10, 3, np.random.default_rng(s))
        in_first[np.asarray(batches[0])] += 1
        together += any(0 in b and 1 in b for b in map(list, batches))
    assert in_first.min() >= 80 and in_first.max() <= 160, "which examples land in the first batch is not uniformly random"
    assert 40 <= together <= 125, "indices 0 and 1 share a batch too often or too rarely: the batches are fixed groups"
### END HIDDEN TESTS

check.passed("minibatch_indices: every index exactly once, shuffled, the last batch holds the rest.")

# %% [markdown]
# The picture below shows which batch each of 24 examples falls into (batch size 5) in four
# consecutive epochs, drawn from one generator: each row is a new shuffle, every example appears
# once per row, and the last batch of each epoch has only 4 examples.

# %% tags=["demo"]
try:
    rng = np.random.default_rng(3)
    grid = np.zeros((4, 24), dtype=int)
    for epoch in range(4):
        for k, batch in enumerate(minibatch_indices(24, 5, rng)):
            grid[epoch, batch] = k
    fig, ax = plt.subplots(figsize=(10, 2.4))
    image = ax.imshow(grid, cmap="tab10", vmin=0, vmax=9, aspect="auto")
    for (epoch, i), k in np.ndenumerate(grid):
        ax.text(i, epoch, str(k), ha="center", va="center", fontsize=8, color="white")
    ax.set(xlabel="example index i", ylabel="epoch", title="batch number of each example, epoch by epoch",
           xticks=range(24), yticks=range(4))
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write minibatch_indices above to see this plot.")

# %% [markdown]
# ### Exercise 3: `sgd_step` [1 point]
#
# One gradient-descent update of every parameter, $W^{[l]} \leftarrow W^{[l]} - \eta\, dW^{[l]}$ and
# $b^{[l]} \leftarrow b^{[l]} - \eta\, db^{[l]}$. The gradient of `params["W2"]` is `grads["dW2"]`.
# Return a **new** dict of new arrays: write `W - lr * dW`, not `W -= lr * dW`, which would change
# the caller's arrays behind their back.

# %% solution="sgd_step"
def sgd_step(params, grads, lr):
    """One step of gradient descent.

    Inputs:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}
        grads:  {"dW1": ..., "db1": ..., ...} shaped like the parameters
        lr:     learning rate (float)
    Returns:
        a new dict with the same keys as params: params[key] - lr * grads["d" + key]; the inputs are
        not modified.
    """
    ### BEGIN SOLUTION
    return {key: value - lr * grads["d" + key] for key, value in params.items()}
    ### END SOLUTION


# %% test="sgd_step" points=1
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for seed, (sizes, lr) in enumerate([([3, 4, 2], 0.1), ([5, 2, 3, 1], 0.5)]):
        rng = np.random.default_rng(seed)
        params, grads = {}, {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
            grads[f"dW{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            grads[f"db{l}"] = rng.standard_normal((sizes[l], 1))
        expected = {key: params[key] - lr * grads["d" + key] for key in params}
        try:
            new = check.check_not_mutated(sgd_step, params, grads, lr)
        except KeyError as error:
            raise AssertionError(f"sgd_step: looked up {error}, which is not a key of grads: its keys are "
                                 f"{', '.join(repr(k) for k in grads)}. Which key holds the gradient of "
                                 "params['W1']?") from None
        if (isinstance(new, dict) and set(new) == set(params)
                and all(np.shape(new[k]) == params[k].shape for k in params)
                and all(np.allclose(new[k], params[k] + lr * grads["d" + k]) for k in params)):
            raise AssertionError("sgd_step: moved every parameter by + lr * gradient, uphill: the gradient points "
                                 "where the cost grows fastest, and a descent step goes the other way")
        check.check_dict(new, expected, name="new params")
        assert new is not params, "sgd_step returned the input dict itself: build and return a new dict"
        assert all(new[key] is not params[key] for key in params), \
            "sgd_step returned an input array itself: return new arrays, e.g. W - lr * dW"

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(77)
    for trial in range(6):
        depth = int(rng.integers(1, 5))
        sizes = [int(n) for n in rng.integers(1, 7, size=depth + 1)]
        lr = [0.0, 1e-3, 0.05, 1.0, 3.0, 0.3][trial]
        params = {}
        grads = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
            grads[f"dW{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            grads[f"db{l}"] = rng.standard_normal((sizes[l], 1))
        saved_p = {k: v.copy() for k, v in params.items()}
        saved_g = {k: v.copy() for k, v in grads.items()}
        new = sgd_step(params, grads, lr)
        assert isinstance(new, dict) and set(new) == set(params), f"keys must be those of params (sizes {sizes})"
        for key in params:
            want = saved_p[key] - lr * saved_g["d" + key]
            assert np.shape(new[key]) == want.shape, f"{key} has the wrong shape (sizes {sizes})"
            assert np.allclose(new[key], want, rtol=1e-12, atol=1e-12), f"{key} is wrong for lr = {lr}"
            assert new[key] is not params[key], f"{key}: return a new array, not the input"
        assert all(np.array_equal(params[k], v) for k, v in saved_p.items()), "params were modified"
        assert all(np.array_equal(grads[k], v) for k, v in saved_g.items()), "grads were modified"
        new["W1"][...] = 123.0  # writing into the result must not reach the inputs
        assert np.array_equal(params["W1"], saved_p["W1"]), "the result shares memory with params"
### END HIDDEN TESTS

check.passed("sgd_step: correct update, new arrays, inputs untouched.")

# %% [markdown]
# ## 5. The training loop
#
# Everything comes together in `train`:
#
# 1. **He initialisation**: for $l = 1, \dots, L$ draw $W^{[l]}$ with independent entries from
#    $\mathcal{N}(0,\, 2/n^{[l-1]})$, i.e. `rng.standard_normal((n[l], n[l-1])) * np.sqrt(2 / n[l-1])`,
#    and set $b^{[l]} = 0$ of shape `(n[l], 1)`. (Notebook 05 explains why this scale suits ReLU.)
# 2. For each epoch: get the batches from `minibatch_indices(m, batch_size, rng)`; for each batch
#    take its columns, `X[:, batch]` and `Y[:, batch]`, run `forward`, `backward_batch` and
#    `sgd_step`.
# 3. Record the **mean training cost of the epoch** in `history`. The cheap way: the cost of each
#    batch comes for free from its forward pass (`LOSSES[loss](AL, Y_batch)`), so sum
#    `cost * batch size` over the batches and divide by $m$. Weighting by the batch size matters
#    when the last batch is partial: the result is the mean over the $m$ examples, not over the
#    batches. (Evaluating the cost of the whole training set at the end of each epoch is another
#    fine choice; it costs one extra forward pass.)
#
# Use `rng` for both the initial weights and the shuffles, and nothing else, so the same seed
# gives the same run. Leave `X` and `Y` unchanged.

# %% [markdown]
# ### Exercise 4: `train` [3 points]

# %% solution="train"
def train(X, Y, layer_sizes, epochs, batch_size, lr, rng,
          hidden_activation="relu", output_activation="softmax", loss="cross_entropy"):
    """Mini-batch gradient descent from He initialisation.

    Inputs:
        X: (n[0], m) training inputs, one example per column
        Y: (n[L], m) training targets
        layer_sizes: [n[0], n[1], ..., n[L]]
        epochs: number of passes over the data (int)
        batch_size: examples per mini-batch (int; the last batch of an epoch may be smaller)
        lr: learning rate (float)
        rng: numpy.random.Generator for the initial weights and the shuffles
        hidden_activation, output_activation, loss: as in forward and backward_batch
    Returns:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}, the trained parameters
        history: list of `epochs` floats, history[e] = mean training cost over the m examples in epoch e
    """
    ### BEGIN SOLUTION
    L = len(layer_sizes) - 1
    params = {}
    for l in range(1, L + 1):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        params[f"W{l}"] = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
        params[f"b{l}"] = np.zeros((n_out, 1))
    m = X.shape[1]
    history = []
    for _ in range(epochs):
        total = 0.0
        for batch in minibatch_indices(m, batch_size, rng):
            X_batch, Y_batch = X[:, batch], Y[:, batch]
            AL, cache = forward(X_batch, params, hidden_activation, output_activation)
            total += LOSSES[loss](AL, Y_batch) * len(batch)
            grads = backward_batch(Y_batch, params, cache, hidden_activation, output_activation, loss)
            params = sgd_step(params, grads, lr)
        history.append(total / m)
    return params, history
    ### END SOLUTION


# %% test="train" points=3
# These checks do not depend on the order of your random draws: any correct train passes.
import numbers
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    X_all, Y_all, X_held, Y_held = data.load_digits(rng=np.random.default_rng(0))
    X_tr, Y_tr = X_all[:, :400], Y_all[:, :400]

    # 1. Shapes, keys, history, inputs untouched.
    try:
        params, history = check.check_not_mutated(train, X_tr, Y_tr, [64, 32, 10], 12, 20, 0.1,
                                                  np.random.default_rng(1))
    except AssertionError as error:
        if "in place" not in str(error):
            raise
        what = str(error).split(" in place")[0]  # "train: modified its input X"
        raise AssertionError(f"{what} in place: shuffle the column indices, not the data; X[:, batch] "
                             "is a new array, so nothing needs to be shuffled or written into X or Y "
                             "themselves") from None
    assert isinstance(params, dict), f"train must return (params, history); params is a {type(params).__name__}"
    check.check_dict({k: np.zeros_like(v) for k, v in params.items()},
                     {"W1": np.zeros((32, 64)), "b1": np.zeros((32, 1)), "W2": np.zeros((10, 32)),
                      "b2": np.zeros((10, 1))}, name="params (shapes)")
    assert isinstance(history, (list, tuple, np.ndarray)) and np.ndim(history) == 1, \
        f"history must be a list with one number per epoch, got {type(history).__name__}"
    assert len(history) == 12, f"history must hold one cost per epoch (12 epochs), got {len(history)} values"
    assert all(isinstance(c, numbers.Real) and np.isfinite(c) for c in history), \
        "history must hold finite numbers (the mean cost of each epoch, e.g. a Python float)"

    # 2. The plumbing, on 200 examples: with lr = 0 nothing moves; one batch of every example gives the
    #    mean cost; the three optional arguments reach forward, backward_batch and LOSSES.
    X_s, Y_s = X_tr[:, :200], Y_tr[:, :200]
    params_1, _ = train(X_s, Y_s, [64, 16, 10], 1, 40, 0.0, np.random.default_rng(3))
    params_again, _ = train(X_s, Y_s, [64, 16, 10], 1, 40, 0.0, np.random.default_rng(3))
    assert all(np.array_equal(params_1[k], params_again[k]) for k in params_1), \
        "two calls with the same arguments and the same seed gave different parameters: draw every random number from rng"
    params_2, _ = train(X_s, Y_s, [64, 16, 10], 2, 40, 0.0, np.random.default_rng(3))
    moved = [k for k in params_1 if k in params_2 and not np.array_equal(params_1[k], params_2[k])]
    assert not moved, (f"with lr = 0 the parameters still change: after 1 and after 2 epochs with the same seed "
                       f"{', '.join(moved)} differ, while every step should be W - 0 * dW = W. Is the lr argument "
                       "passed on to sgd_step?")
    params_one, history_one = train(X_s, Y_s, [64, 16, 10], 1, 1000, 0.0, np.random.default_rng(4))
    cost_one = cross_entropy_loss(forward(X_s, params_one, "relu", "softmax")[0], Y_s)
    if np.isclose(history_one[0], 200 * cost_one, rtol=1e-6):
        raise AssertionError(f"with lr = 0 and one batch of all 200 examples, history[0] is {history_one[0]:.4f}, "
                             f"200 times the mean cost {cost_one:.6f}: the epoch's cost is a mean over the examples")
    assert np.isclose(history_one[0], cost_one, rtol=1e-6), \
        (f"with lr = 0 and one batch holding all 200 examples, history[0] should be the mean cost of the returned "
         f"network on X and Y, {cost_one:.6f}, got {history_one[0]:.6f}. The order of the examples in a batch "
         "does not matter, as long as each column of X stays with its own column of Y: are X and Y indexed "
         "with the same batch?")
    X_2, Y_2 = data.make_moons(60, 0.1, np.random.default_rng(8))
    options = dict(hidden_activation="tanh", output_activation="sigmoid", loss="bce")
    params_b, history_b = train(X_2, Y_2, [2, 8, 1], 1, 100, 0.0, np.random.default_rng(9), **options)
    AL_b, cache_b = forward(X_2, params_b, "tanh", "sigmoid")
    assert np.isclose(history_b[0], bce_loss(AL_b, Y_2), rtol=1e-6), \
        (f"train(..., hidden_activation='tanh', output_activation='sigmoid', loss='bce') with lr = 0 and one "
         f"batch: history[0] should be the binary cross-entropy of a tanh-sigmoid network, "
         f"{bce_loss(AL_b, Y_2):.6f}, got {history_b[0]:.6f}. Are hidden_activation, output_activation and loss "
         "passed on to forward and LOSSES?")
    params_step, _ = train(X_2, Y_2, [2, 8, 1], 1, 100, 0.5, np.random.default_rng(9), **options)
    want = sgd_step(params_b, backward_batch(Y_2, params_b, cache_b, "tanh", "sigmoid", "bce"), 0.5)
    if not all(np.allclose(params_step[k], want[k], rtol=1e-6, atol=1e-9) for k in want):
        steps = [(np.ravel(params_step[k] - params_b[k]), np.ravel(want[k] - params_b[k])) for k in want]
        got_step, want_step = np.concatenate([g for g, _ in steps]), np.concatenate([w for _, w in steps])
        scale = float(got_step @ want_step / (want_step @ want_step))
        if np.allclose(got_step, scale * want_step, rtol=1e-6, atol=1e-9):
            raise AssertionError(f"one full-batch step with lr = 0.5 moved the parameters by {scale:.3g} times "
                                 "lr * gradient: how is lr used?")
        raise AssertionError("train(..., hidden_activation='tanh', output_activation='sigmoid', loss='bce'): one step "
                             "on a single batch of every example is not W - lr * dW for the gradient of that network "
                             "and loss. Are the three arguments passed on to backward_batch as well?")

    # 3. It learns: the cost falls and the accuracy is high.
    assert history[-1] < 0.35 * history[0], \
        f"the cost fell only from {history[0]:.3f} to {history[-1]:.3f} in 12 epochs: is the update applied?"
    train_acc = accuracy(forward(X_tr, params, "relu", "softmax")[0], Y_tr)
    held_acc = accuracy(forward(X_held, params, "relu", "softmax")[0], Y_held)
    assert train_acc >= 0.85, f"training accuracy {train_acc:.2f} after 12 epochs, expected at least 0.85"
    assert held_acc >= 0.8, f"held-out accuracy {held_acc:.2f}, expected at least 0.8"

    # 4. Reproducible with the same seed, different with another seed.
    run_a = train(X_tr, Y_tr, [64, 24, 10], 2, 32, 0.2, np.random.default_rng(5))
    run_b = train(X_tr, Y_tr, [64, 24, 10], 2, 32, 0.2, np.random.default_rng(5))
    run_c = train(X_tr, Y_tr, [64, 24, 10], 2, 32, 0.2, np.random.default_rng(6))
    assert all(np.array_equal(run_a[0][k], run_b[0][k]) for k in run_a[0]) and np.array_equal(run_a[1], run_b[1]), \
        "the same seed gave different results: draw every random number from rng"
    assert not np.array_equal(run_a[0]["W1"], run_c[0]["W1"]), \
        "different seeds gave the same weights: initialise from rng"

    # 5. He initialisation, seen with lr = 0 (the parameters never move). Layer sizes differ so
    #    that dividing by the wrong layer's size shows.
    params0, history0 = train(X_tr, Y_tr, [64, 400, 10], 1, 48, 0.0, np.random.default_rng(7))
    for key, n_in in [("W1", 64), ("W2", 400)]:
        std, want = float(np.std(params0[key])), np.sqrt(2 / n_in)
        assert abs(std - want) < 0.1 * want and abs(float(np.mean(params0[key]))) < 0.1 * want, \
            (f"{key} has mean {np.mean(params0[key]):.3f} and std {std:.4f}; He initialisation draws "
             f"N(0, 2/n[l-1]), std sqrt(2/{n_in}) = {want:.4f}")
    assert all(np.all(params0[k] == 0) for k in ("b1", "b2")), "biases must start at zero"
    # 400 = 8 * 50: equal batches first, then 400 = 8 * 48 + 16, a partial last batch. Either way
    # history[0] must be the mean over all 400 examples.
    params_even, history_even = train(X_tr, Y_tr, [64, 400, 10], 1, 50, 0.0, np.random.default_rng(7))
    cost_even = cross_entropy_loss(forward(X_tr, params_even, "relu", "softmax")[0], Y_tr)
    for times, what in [(8, "the sum of the 8 batch costs, not their mean"),
                        (400, "the total over the 400 examples, not the mean"),
                        (50, "the sum of the batch costs weighted by their sizes, divided by the batch size, not by m")]:
        if np.isclose(history_even[0], times * cost_even, rtol=1e-6):
            raise AssertionError(f"with lr = 0 and 8 equal batches, history[0] is {history_even[0]:.4f}, {times} times "
                                 f"the mean cost over the 400 examples ({cost_even:.6f}): {what}")
    assert np.isclose(history_even[0], cost_even, rtol=1e-6), \
        (f"with lr = 0 and 8 equal batches, history[0] should be the mean cost over the epoch's 400 "
         f"examples, {cost_even:.6f}, got {history_even[0]:.6f}: is it the cost of one batch only (the "
         "last, say)? Add up every batch's cost over the epoch")
    cost0 = cross_entropy_loss(forward(X_tr, params0, "relu", "softmax")[0], Y_tr)
    assert np.isclose(history0[0], cost0, rtol=1e-6), \
        (f"with lr = 0 the epoch's mean cost should be {cost0:.6f}, got {history0[0]:.6f}: weight each "
         "batch's cost by its size (the last batch is smaller), then divide by m")

    # 6. A new shuffle every epoch. On a linear least-squares problem (no hidden layer), SGD that
    #    takes the same batches in the same order every epoch settles into a cycle that repeats
    #    exactly, epoch after epoch; fresh batches keep the epoch costs moving.
    rng_lin = np.random.default_rng(21)
    X_lin = rng_lin.standard_normal((3, 40))
    Y_lin = X_lin[:1] - 0.5 * X_lin[2:] + 0.5 * rng_lin.standard_normal((1, 40))
    _, history_lin = train(X_lin, Y_lin, [3, 1], 80, 8, 0.3, np.random.default_rng(22),
                           output_activation="identity", loss="mse")
    last = np.asarray(history_lin[-5:], dtype=float)
    assert np.ptp(last) > 1e-9 * np.mean(np.abs(last)), \
        (f"the last 5 epochs of a linear regression all cost {last[-1]:.10f}: the same batches in the "
         "same order every epoch make SGD repeat one cycle exactly. Are the batches reshuffled at the "
         "start of every epoch (a new minibatch_indices(m, batch_size, rng) per epoch)?")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_predict(X, params, hidden, output):
        A = X
        L = len(params) // 2
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            name = hidden if l < L else output
            if name == "relu":
                A = np.maximum(Z, 0.0)
            elif name == "tanh":
                A = np.tanh(Z)
            elif name == "sigmoid":
                A = 1.0 / (1.0 + np.exp(-Z))
            elif name == "identity":
                A = Z
            else:
                E = np.exp(Z - Z.max(axis=0, keepdims=True))
                A = E / E.sum(axis=0, keepdims=True)
        return A

    # Three-class spirals, a deeper ReLU net.
    Xs, Ys = data.make_spirals(300, 3, 0.05, np.random.default_rng(11))
    saved = (Xs.copy(), Ys.copy())
    p, h = train(Xs, Ys, [2, 40, 40, 3], 60, 16, 0.1, np.random.default_rng(12))
    assert np.array_equal(Xs, saved[0]) and np.array_equal(Ys, saved[1]), "X or Y was modified"
    assert set(p) == {"W1", "b1", "W2", "b2", "W3", "b3"}, "a [2, 40, 40, 3] net has W1..W3 and b1..b3"
    assert len(h) == 60 and h[-1] < 0.4 * h[0], "cost did not fall enough on spirals with a 3-layer net"
    acc = np.mean(np.argmax(_h_predict(Xs, p, "relu", "softmax"), axis=0) == np.argmax(Ys, axis=0))
    assert acc >= 0.85, f"spirals training accuracy too low ({acc:.2f})"

    # Binary task: tanh hidden, sigmoid output, binary cross-entropy.
    Xm, Ym = data.make_moons(200, 0.1, np.random.default_rng(13))
    p, h = train(Xm, Ym, [2, 16, 1], 80, 20, 0.5, np.random.default_rng(14),
                 hidden_activation="tanh", output_activation="sigmoid", loss="bce")
    assert set(p) == {"W1", "b1", "W2", "b2"} and p["W2"].shape == (1, 16) and p["b2"].shape == (1, 1)
    assert len(h) == 80 and h[-1] < 0.5 * h[0], "cost did not fall enough on moons (tanh, sigmoid, bce)"
    acc = np.mean((_h_predict(Xm, p, "tanh", "sigmoid") >= 0.5) == (Ym >= 0.5))
    assert acc >= 0.85, f"moons training accuracy too low ({acc:.2f})"

    # Regression: sigmoid hidden, identity output, squared error.
    rng = np.random.default_rng(15)
    Xr = rng.uniform(-2, 2, size=(1, 120))
    Yr = np.sin(1.5 * Xr)
    p, h = train(Xr, Yr, [1, 20, 1], 150, 10, 0.2, np.random.default_rng(16),
                 hidden_activation="sigmoid", output_activation="identity", loss="mse")
    assert len(h) == 150 and h[-1] < 0.3 * h[0], "cost did not fall enough on a regression (sigmoid, identity, mse)"

    # batch_size larger than m: one batch per epoch; batch_size 1: m batches.
    p, h = train(Xm[:, :30], Ym[:, :30], [2, 5, 1], 4, 1000, 0.1, np.random.default_rng(17), "relu", "sigmoid", "bce")
    assert len(h) == 4 and all(np.isfinite(h)), "batch_size > m must work (a single batch)"
    p, h = train(Xm[:, :13], Ym[:, :13], [2, 5, 1], 3, 1, 0.05, np.random.default_rng(18), "relu", "sigmoid", "bce")
    assert len(h) == 3 and all(np.isfinite(h)), "batch_size = 1 must work"

    # He initialisation for a deeper net, and the size-weighted epoch cost with a partial batch.
    X_all, Y_all, _, _ = data.load_digits(rng=np.random.default_rng(0))
    Xd, Yd = X_all[:, :250], Y_all[:, :250]
    p0, h0 = train(Xd, Yd, [64, 300, 150, 10], 1, 64, 0.0, np.random.default_rng(19))
    for key, n_in in [("W1", 64), ("W2", 300)]:
        want = np.sqrt(2 / n_in)
        assert abs(np.std(p0[key]) - want) < 0.1 * want, f"{key} does not have He's scale"
    assert all(p0[k].shape == (n, 1) and np.all(p0[k] == 0) for k, n in [("b1", 300), ("b2", 150), ("b3", 10)])
    A = _h_predict(Xd, p0, "relu", "softmax")
    full_cost = -np.sum(Yd * np.log(np.clip(A, 1e-15, 1.0))) / 250
    assert np.isclose(h0[0], full_cost, rtol=1e-6), "the epoch cost is not the mean over the m examples"

    # A new shuffle every epoch: on linear least squares, the same batches every epoch repeat one
    # SGD cycle exactly (the epoch costs stop moving); fresh batches keep them moving.
    rng = np.random.default_rng(23)
    Xl = rng.standard_normal((4, 36))
    Yl = Xl[1:2] + 0.3 * Xl[3:] + 0.4 * rng.standard_normal((1, 36))
    p, h = train(Xl, Yl, [4, 1], 80, 6, 0.2, np.random.default_rng(24), "relu", "identity", "mse")
    assert np.ptp(np.asarray(h[-5:], dtype=float)) > 1e-9 * abs(float(h[-1])), "the batches are not reshuffled every epoch"

    # Same seed, same run (deeper net); another seed, another run.
    a = train(Xd, Yd, [64, 12, 12, 10], 2, 25, 0.1, np.random.default_rng(20))
    b = train(Xd, Yd, [64, 12, 12, 10], 2, 25, 0.1, np.random.default_rng(20))
    assert all(np.array_equal(a[0][k], b[0][k]) for k in a[0]) and np.array_equal(a[1], b[1]), "not reproducible"
### END HIDDEN TESTS

check.passed("train: it learns, it is reproducible, and it starts from He initialisation.")

# %% [markdown]
# ## 6. Three flavours of gradient descent, side by side
#
# The same network (`[2, 32, 3]`, ReLU, softmax) on the same 300 spiral points, with the same
# learning rate (0.1) and seed, trained with batch size $m$ (full batch), 1 (stochastic) and 32
# (mini-batch). Each method gets roughly the same computing time, a fraction of a second: 1,500
# epochs of full-batch descent, 12 epochs of SGD, 300 epochs of mini-batches. Left: cost against
# epochs (note the log scale). Right: the same curves against the seconds they took (each epoch is
# placed at its share of the run's total time).

# %% tags=["demo"]
try:
    X_sp, Y_sp = data.make_spirals(300, 3, 0.05, np.random.default_rng(21))
    runs = {}
    for label, batch_size, epochs in [("full batch (m = 300)", 300, 1500), ("stochastic (batch 1)", 1, 12),
                                      ("mini-batch (batch 32)", 32, 300)]:
        start = time.perf_counter()
        _, hist = train(X_sp, Y_sp, [2, 32, 3], epochs, batch_size, 0.1, np.random.default_rng(22))
        runs[label] = (hist, time.perf_counter() - start)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for label, (hist, seconds) in runs.items():
        epochs_axis = np.arange(1, len(hist) + 1)
        axes[0].plot(epochs_axis, hist, label=label)
        axes[1].plot(epochs_axis * seconds / len(hist), hist, label=f"{label}: {seconds:.2f} s")
    axes[0].set(xlabel="epoch", ylabel="mean training cost", title="Cost against epochs", xscale="log")
    axes[1].set(xlabel="seconds", ylabel="mean training cost", title="Cost against time")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend()
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write minibatch_indices, backward_batch, sgd_step and train above to see this plot.")

# %% [markdown]
# Per epoch, stochastic gradient descent wins easily: it takes 300 steps for every single step of
# the full-batch method, and after one epoch it is about where full-batch descent is after fifty.
# Per second, the picture changes: each of those tiny steps pays the full Python and NumPy
# overhead for just one example, so SGD gets through few epochs, and its steps stay noisy to the
# end. Full-batch descent takes precise but expensive steps. Mini-batches sit in between, a decent
# gradient estimate at nearly the price of a single example, and on this budget they end lowest;
# that is why they are the default. (Each method could be tuned with its own learning rate;
# notebook 07 studies step sizes.)

# %% [markdown]
# ### Written question 2: a batch size in numbers [2 points, graded by hand]
#
# Training on the $m = 1{,}347$ digit images, suppose one step (forward, backward, update) costs
# $40\ \mu s$ of fixed overhead plus $1\ \mu s$ per example in the batch.
#
# 1. For batch sizes 1, 32 and 1,347: how many updates does one epoch make, and how long does the epoch
#    take?
# 2. The noise of a mini-batch gradient (its standard deviation around the full-batch gradient) falls
#    like $1/\sqrt{b}$. How much less noisy is a batch of 32 than a single example? Using your numbers,
#    say why 32 is a good compromise between the two others.

# %% [markdown] answer="batch_size_tradeoff" points=2
# ### BEGIN SOLUTION
# **Model answer.** 1. Batch 1: 1,347 updates, $1{,}347 \times 41\ \mu s \approx 55\ ms$. Batch 32:
# $\lceil 1347/32 \rceil = 43$ updates (42 full batches and one of 3), $42 \times 72 + 43 \approx 3{,}067\ \mu s
# \approx 3.1\ ms$. Full batch: 1 update, $40 + 1347 = 1{,}387\ \mu s \approx 1.4\ ms$.
# 2. $\sqrt{32} \approx 5.7$ times less noisy than single examples. Batch 32 runs an epoch about 18 times
# faster than batch 1 (the overhead is paid 43 times instead of 1,347), with much less noisy steps, and
# makes 43 updates for about twice the time of the full batch's single update: the most useful
# progress per second.
#
# **Rubric.**
# - [1 point] updates and times: 1,347 and about 55 ms; 43 and about 3.1 ms; 1 and about 1.4 ms
# - [1 point] noise smaller by $\sqrt{32} \approx 5.7$, and the compromise argued from these numbers (far fewer overheads than batch 1, far more updates per second than the full batch)
# ### END SOLUTION

# %% [markdown]
# ## 7. The same code on a GPU (optional)
#
# Your functions only use `np.` functions and operators, and NumPy passes those on to CuPy when
# they are given CuPy arrays, so the very same `forward`, `backward_batch` and `sgd_step` run on a
# GPU once the data and parameters live there. The cell below does that with `course.backend`:
# `to_device` copies the arrays to the GPU, and `synchronize` waits for the GPU to finish before
# the clock is read (GPU calls return before the work is done). It times a few epochs of
# mini-batch training of a wide network on the CPU and on the GPU. Without a GPU it only says so.

# %%
def run_epochs(X, Y, params, epochs, batch_size, lr, rng, xp):
    """Mini-batch epochs with the arrays in namespace xp (numpy or cupy); returns the params."""
    for _ in range(epochs):
        for batch in minibatch_indices(X.shape[1], batch_size, rng):
            columns = xp.asarray(batch)
            AL, cache = forward(X[:, columns], params, "relu", "softmax")
            grads = backward_batch(Y[:, columns], params, cache, "relu", "softmax", "cross_entropy")
            params = sgd_step(params, grads, lr)
    return params


if not backend.gpu_available():
    print(backend.gpu_status())
else:
    print(backend.gpu_status())
    xp = backend.get_array_module()
    sizes = [64, 2048, 2048, 10]
    rng = np.random.default_rng(23)
    start_params = {}
    for l in range(1, len(sizes)):
        start_params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) * np.sqrt(2 / sizes[l - 1])
        start_params[f"b{l}"] = np.zeros((sizes[l], 1))
    try:
        seconds, results = {}, {}
        for name, module in [("CPU (NumPy)", np), ("GPU (CuPy)", xp)]:
            X_dev, Y_dev = backend.to_device(X_digits, module), backend.to_device(Y_digits, module)
            params_dev = backend.to_device(start_params, module)
            # Warm up on one batch first: the first GPU calls compile their kernels.
            run_epochs(X_dev[:, :256], Y_dev[:, :256], params_dev, 1, 256, 0.05, np.random.default_rng(0), module)
            backend.synchronize(module)
            start = time.perf_counter()
            trained = run_epochs(X_dev, Y_dev, params_dev, 3, 256, 0.05, np.random.default_rng(24), module)
            backend.synchronize(module)
            seconds[name] = time.perf_counter() - start
            results[name] = backend.to_numpy(trained)
            print(f"{name}: 3 epochs in {seconds[name]:.3f} s")
        agree = all(np.allclose(results["CPU (NumPy)"][k], results["GPU (CuPy)"][k], atol=1e-6)
                    for k in start_params)
        print(f"speed-up of the GPU over the CPU: {seconds['CPU (NumPy)'] / seconds['GPU (CuPy)']:.1f}x; "
              f"same trained weights on both: {agree}")
    except NotImplementedError:
        print("Write minibatch_indices, backward_batch and sgd_step above to run this cell.")
    except (TypeError, ValueError) as err:
        print(f"The GPU run failed ({err}). Use only np.* functions and operators on the arrays you are "
              "given; an array made with NumPy (np.ones, np.zeros) cannot mix with CuPy arrays.")

# %% [markdown]
# On a GPU the speed-up grows with the size of the matrices: for tiny networks the fixed cost of
# launching each GPU operation dominates and the CPU can even win, just as the Python loop lost to
# the matrices in section 3 for the same reason, one level down.

# %% [markdown]
# ## 8. Putting it to work: handwritten digits
#
# The 8x8 digits (1,347 training images, 450 test images) with a `[64, 64, 10]` network, batches of
# 32 and a learning rate of 0.1. Left, the training cost per epoch; right, the test accuracy after
# a given number of epochs. Because a seed reproduces a run exactly, training again with the same
# seed for fewer epochs gives the network as it was after those epochs.

# %% tags=["demo"]
try:
    X_train, Y_train, X_test, Y_test = data.load_digits(rng=np.random.default_rng(0))
    params, history = train(X_train, Y_train, [64, 64, 10], 30, 32, 0.1, np.random.default_rng(25))
    checkpoints = [1, 2, 4, 8, 15, 30]
    test_acc = []
    for epochs in checkpoints:
        p, _ = train(X_train, Y_train, [64, 64, 10], epochs, 32, 0.1, np.random.default_rng(25))
        test_acc.append(accuracy(forward(X_test, p, "relu", "softmax")[0], Y_test))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(np.arange(1, len(history) + 1), history, "o-", markersize=3)
    axes[0].set(xlabel="epoch", ylabel="mean training cost", title="Training cost (cross-entropy)", yscale="log")
    axes[1].plot(checkpoints, test_acc, "s-")
    axes[1].set(xlabel="epochs of training", ylabel="test accuracy", title="Accuracy on the 450 test images",
                ylim=(min(test_acc) - 0.05, 1.0))
    for ax in axes:
        ax.grid(True, alpha=0.3)
    plt.tight_layout()
    plt.show()
    print(f"test accuracy after {checkpoints[-1]} epochs: {test_acc[-1]:.3f}")
except NotImplementedError:
    print("Write the four functions above to train on the digits.")

# %% [markdown]
# ## Summary
#
# - With examples as columns, $Z^{[l]} = W^{[l]}A^{[l-1]} + b^{[l]}$ handles a whole batch; $b^{[l]}$
#   $(n^{[l]}, 1)$ broadcasts across the $m$ columns (keep it 2-D).
# - $\delta^{[l]}$ is per example, $(n^{[l]}, m)$, with no $1/m$; the gradients of the mean cost are
#   $dW^{[l]} = \frac1m\delta^{[l]}A^{[l-1]T}$ and $db^{[l]} = \frac1m\delta^{[l]}\mathbf 1$.
# - Mini-batch gradient descent shuffles once per epoch, uses every example once, lets the last
#   batch be smaller, and combines a decent gradient estimate with the speed of matrix code.
# - Vectorised code beats a Python loop over examples by a large factor, and the same NumPy-style
#   code runs on a GPU with CuPy.
#
# Next, notebook 05: where should the weights start, and why does it matter so much?
