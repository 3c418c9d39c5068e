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
# # 05 · Initialisation: where the weights start
#
# Gradient descent has to start somewhere. Notebook 04 quietly started from "He initialisation";
# this notebook shows why the starting point matters so much. Start badly and a network either
# cannot tell its hidden units apart, or its signals fade to nothing (or blow up) on the way through
# the layers, and the gradients with them. Start well and a ten-layer network trains as easily as a
# two-layer one.
#
# **What you will learn**
# - why all-zero weights, or any single shared constant, leave every hidden unit a copy of the
#   others for ever (you will watch it happen);
# - why small random numbers such as $\mathcal{N}(0, 0.01^2)$ break that symmetry but make the
#   signal shrink layer after layer;
# - how the variance of $Z^{[l]}$ depends on the width of the layer before, and the two scales that
#   keep it steady: Xavier/Glorot, $\operatorname{Var}(W^{[l]}) = \frac{2}{n^{[l]} + n^{[l-1]}}$, and He,
#   $\operatorname{Var}(W^{[l]}) = \frac{2}{n^{[l-1]}}$, for ReLU;
# - how to read activation and gradient statistics across a deep network, and why sigmoid hidden
#   layers make the gradients vanish.
#
# **What you will write** (14 points: 8 checked by tests, 6 graded by hand)
#
# | function or question | points |
# |---|---|
# | `init_zeros(layer_sizes)` | 1 |
# | `init_normal(layer_sizes, std, rng)` | 1 |
# | `init_xavier(layer_sizes, rng)` | 1 |
# | `init_he(layer_sizes, rng)` | 1 |
# | `activation_stds(X, params, activation)` | 2 |
# | `gradient_stds(X, params, activation)`, a backward pass through a deep network | 2 |
# | three written questions, a few sentences each (graded by hand) | 3 × 2 |
#
# Every initialiser returns a new `params` dict `{"W1": ..., "b1": ..., ..., "WL": ..., "bL": ...}`
# with `W[l]` of shape `(n[l], n[l-1])` and `b[l]` of shape `(n[l], 1)`, for
# `layer_sizes = [n[0], n[1], ..., n[L]]`. All biases start at zero. Write each function in its
# answer cell, then run the test cell right below it.

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
import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from course import check, data

np.set_printoptions(precision=4, suppress=True)
# The matrices in this notebook are small: one BLAS thread multiplies them faster than several
# threads that wait for each other (and for anything else running on the machine).
blas_threads = threadpool_limits(limits=1, user_api="blas")  # bound to a name, so the cell shows nothing

# %% [markdown]
# ## Given: forward and backward propagation, one gradient step
#
# You wrote all of this in notebooks 02 to 04; it is given here so that this notebook stands on its
# own. Run the cell, do not edit it. It defines the activations and their derivatives (looked up by
# name in `ACTIVATIONS` and `DERIVATIVES`), the losses, and
#
# - `forward(X, params, hidden_activation, output_activation) -> (AL, cache)`, with
#   `cache = {"A0": X, "Z1": ..., "A1": ..., ..., "ZL": ..., "AL": ...}`;
# - `backward_batch(Y, params, cache, hidden_activation, output_activation, loss) -> grads`, the
#   gradients of the mean cost over the batch;
# - `sgd_step(params, grads, lr) -> params` and `train_epochs(...)`, a short mini-batch training
#   loop that starts from whatever `params` it is given (the initialisation is up to you).
#
# Conventions as always: one example per column, $\delta^{[l]} = \partial C / \partial Z^{[l]}$ per
# example, $1/m$ in `dW` and `db`, and $\mathrm{relu}'(0) = 0$.

# %%
# ---------------------------------------------------------------- GIVEN: plain NumPy building blocks
def sigmoid(z):
    """1 / (1 + e^-z), element-wise; exp only ever sees -|z|, so nothing overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def relu(z):
    return np.maximum(z, 0.0)


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
    return (z > 0).astype(float)


def tanh_prime(z):
    t = np.tanh(z)
    return 1 - t * t


def identity_prime(z):
    return np.ones_like(z)


ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh, "identity": identity, "softmax": softmax}
DERIVATIVES = {"sigmoid": sigmoid_prime, "relu": relu_prime, "tanh": tanh_prime, "identity": identity_prime}


def bce_loss(AL, Y):
    """Binary cross-entropy, mean over the batch; clipping keeps log finite at AL = 0 or 1."""
    A = np.clip(AL, 1e-15, 1 - 1e-15)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / Y.shape[1])


def cross_entropy_loss(AL, Y):
    """Categorical cross-entropy, mean over the batch. Y one-hot (K, m)."""
    return float(-np.sum(Y * np.log(np.clip(AL, 1e-15, 1.0))) / Y.shape[1])


def mse_loss(AL, Y):
    """Mean over the batch of 0.5 * ||a - y||^2."""
    return float(0.5 * np.sum((AL - Y) ** 2) / Y.shape[1])


LOSSES = {"bce": bce_loss, "cross_entropy": cross_entropy_loss, "mse": mse_loss}


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


def backward_batch(Y, params, cache, hidden_activation, output_activation, loss):
    """Gradients of the mean cost. Pairings: (sigmoid, bce), (softmax, cross_entropy), (identity, mse)."""
    L = len(params) // 2
    m = Y.shape[1]
    delta = cache[f"A{L}"] - Y  # delta[L] for all three pairings
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = delta @ cache[f"A{l - 1}"].T / m
        grads[f"db{l}"] = np.sum(delta, axis=1, keepdims=True) / m
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * DERIVATIVES[hidden_activation](cache[f"Z{l - 1}"])
    return grads


def sgd_step(params, grads, lr):
    return {key: value - lr * grads["d" + key] for key, value in params.items()}


def train_epochs(X, Y, params, epochs, batch_size, lr, rng, hidden_activation, output_activation, loss):
    """Mini-batch gradient descent from the given params; returns (params, mean training cost of each epoch)."""
    m = X.shape[1]
    history = []
    for _ in range(epochs):
        order, total = rng.permutation(m), 0.0
        for start in range(0, m, batch_size):
            batch = order[start:start + batch_size]
            AL, cache = forward(X[:, batch], params, hidden_activation, output_activation)
            total += LOSSES[loss](AL, Y[:, batch]) * len(batch)
            grads = backward_batch(Y[:, batch], params, cache, hidden_activation, output_activation, loss)
            params = sgd_step(params, grads, lr)
        history.append(total / m)
    return params, history


# %% [markdown]
# ## 1. Why not start from zero?
#
# Zero looks like the neutral choice: no weight favours anything. That is exactly the problem. Take
# two hidden units $j$ and $k$ of layer $l$ and suppose they start as twins: row $j$ of $W^{[l]}$
# equals row $k$, $b^{[l]}_j = b^{[l]}_k$, and in the layer above, column $j$ of $W^{[l+1]}$ equals
# column $k$. Then, for every example,
#
# - **forward**: $Z^{[l]}_j = Z^{[l]}_k$, so $A^{[l]}_j = A^{[l]}_k$: the two units compute the same
#   thing;
# - **backward**: by (BP2), $\delta^{[l]}_j = \big(W^{[l+1]}_{:,j}\big)^T \delta^{[l+1]}\, g'(Z^{[l]}_j)$, and
#   every factor is the same for $k$, so $\delta^{[l]}_j = \delta^{[l]}_k$;
# - **update**: row $j$ of $dW^{[l]} = \frac1m \delta^{[l]} A^{[l-1]T}$ equals row $k$, $db^{[l]}_j = db^{[l]}_k$,
#   and column $j$ of $dW^{[l+1]} = \frac1m \delta^{[l+1]} A^{[l]T}$ equals column $k$ (it only sees
#   $A^{[l]}_j = A^{[l]}_k$).
#
# So after the gradient step the two units are twins again, and by the same argument after every
# step that follows. All-zero weights make **every** unit of a hidden layer a twin of every other,
# and so does filling every weight with one shared constant $c$. However many units you give the
# layer, it behaves like a single unit copied $n^{[l]}$ times. Gradient descent cannot break a
# symmetry that it preserves at every step: only the starting point can.
#
# ### Exercise 1: `init_zeros` [1 point]
#
# Return the params of a network with the given layer sizes, every weight and bias zero (floats).
# For `layer_sizes = [3, 4, 2]`: `W1` is `(4, 3)`, `b1` is `(4, 1)`, `W2` is `(2, 4)`, `b2` is `(2, 1)`.

# %% solution="init_zeros"
def init_zeros(layer_sizes):
    """All-zero parameters (the symmetric start to avoid).

    Inputs:
        layer_sizes: [n[0], n[1], ..., n[L]], the number of units in each layer (input layer first)
    Returns:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)},
                float arrays of zeros
    """
    ### BEGIN SOLUTION
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = np.zeros((layer_sizes[l], layer_sizes[l - 1]))
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
    return params
    ### END SOLUTION


# %% test="init_zeros" points=1
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for sizes in ([3, 4, 2], [5, 1], [2, 6, 6, 3]):
        expected = {}
        for l in range(1, len(sizes)):
            expected[f"W{l}"] = np.zeros((sizes[l], sizes[l - 1]))
            expected[f"b{l}"] = np.zeros((sizes[l], 1))
        params = check.check_not_mutated(init_zeros, sizes, hint="read layer_sizes, never change it (no .pop(), no "
                                                                "assignments): the caller still needs the list")
        check.check_dict(params, expected, name=f"init_zeros({sizes})")
        for key, value in params.items():
            assert isinstance(value, np.ndarray), \
                f"init_zeros({sizes})[{key!r}] is a {type(value).__name__}, expected a NumPy array (np.zeros)"
            assert np.issubdtype(value.dtype, np.floating), \
                (f"init_zeros({sizes})[{key!r}] has dtype {value.dtype}: use floats (np.zeros(shape) gives "
                 "them), since gradient steps will add fractions")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(505)
    for trial in range(8):
        depth = int(rng.integers(1, 6))
        sizes = [int(n) for n in rng.integers(1, 9, size=depth + 1)]
        if trial == 0:
            sizes = [1, 1]
        if trial == 1:
            sizes = tuple(sizes)  # a tuple of sizes works as well
        params = init_zeros(sizes)
        assert isinstance(params, dict), f"init_zeros({sizes}) must return a dict"
        want_keys = {f"{kind}{l}" for l in range(1, len(sizes)) for kind in "Wb"}
        assert set(params) == want_keys, f"init_zeros({list(sizes)}): wrong keys {sorted(params)}"
        for l in range(1, len(sizes)):
            for key, shape in ((f"W{l}", (sizes[l], sizes[l - 1])), (f"b{l}", (sizes[l], 1))):
                value = params[key]
                assert isinstance(value, np.ndarray) and value.shape == shape, \
                    f"init_zeros({list(sizes)}): {key} must be an array of shape {shape}"
                assert np.issubdtype(value.dtype, np.floating) and np.all(value == 0), \
                    f"init_zeros({list(sizes)}): {key} must hold float zeros"
### END HIDDEN TESTS

check.passed("init_zeros: every weight and bias zero, with the right shapes.")

# %% [markdown]
# ### Watching the twins
#
# A tiny network, `[2, 6, 1]` with sigmoid hidden units and a sigmoid output, learns to separate
# two moons (150 points of one class, 50 of the other) with full-batch gradient descent and binary
# cross-entropy. We train it three times, changing only the start: all zeros (your `init_zeros`),
# every weight and bias equal to $0.5$, and independent random weights $\mathcal{N}(0, 1)$. The cell
# prints the six hidden units' weights (one row per unit: the weights from $x_1$ and $x_2$, then the
# bias) after 5 steps and, beside them, after 1,500 steps. The hidden units do learn from the
# symmetric starts, but they learn in lockstep.

# %% tags=["demo"]
X_moons, Y_moons = data.make_moons(300, 0.1, np.random.default_rng(0))
keep = (Y_moons[0] == 0) | (np.cumsum(Y_moons[0]) <= 50)   # all of class 0, the first 50 of class 1
X_moons, Y_moons = X_moons[:, keep], Y_moons[:, keep]


def full_batch_descent(params, steps, lr=2.0):
    for _ in range(steps):
        AL, cache = forward(X_moons, params, "sigmoid", "sigmoid")
        params = sgd_step(params, backward_batch(Y_moons, params, cache, "sigmoid", "sigmoid", "bce"), lr)
    return params


def hidden_units(params):
    """One row per hidden unit: its two weights and its bias."""
    return np.hstack([params["W1"], params["b1"]])


rng = np.random.default_rng(1)
starts = {
    "zeros": None,
    "constant 0.5": {"W1": np.full((6, 2), 0.5), "b1": np.full((6, 1), 0.5),
                     "W2": np.full((1, 6), 0.5), "b2": np.full((1, 1), 0.5)},
    "random N(0, 1)": {"W1": rng.standard_normal((6, 2)), "b1": np.zeros((6, 1)),
                       "W2": rng.standard_normal((1, 6)), "b2": np.zeros((1, 1))},
}
try:
    starts["zeros"] = init_zeros([2, 6, 1])
except NotImplementedError:
    print("Write init_zeros above to include the all-zero start.\n")
    del starts["zeros"]

trained = {}
for name, params in starts.items():
    after_5 = full_batch_descent(params, 5)
    trained[name] = full_batch_descent(after_5, 1495)
    print(f"start: {name} (one row per hidden unit: w1, w2, b)\n  {'after 5 steps':<26}after 1,500 steps")
    for early, late in zip(hidden_units(after_5), hidden_units(trained[name])):
        early, late = (np.array2string(row, precision=3, floatmode="fixed", sign=" ") for row in (early, late))
        print(f"  {early:<26}{late}")
    W2 = np.array2string(trained[name]["W2"].ravel(), precision=3, floatmode="fixed", sign=" ")
    print(f"  W2 after 1,500 steps: {W2}\n")

# %% [markdown]
# With zeros or a shared constant, all six rows are identical at every step, and so are the six
# entries of $W^{[2]}$: the hidden layer is one unit in six copies. (A curiosity of the all-zero
# start: $W^{[2]} = 0$ at step 0, so by (BP2) $\delta^{[1]} = 0$ and only the output layer moves in the
# first step; the hidden weights start moving from the second step on, all together.) One sigmoid unit
# feeding a sigmoid output can only draw a straight line through the plane, and that is all the
# symmetric networks learn. The random start gives six different units and a curved boundary:

# %% tags=["demo"]
grid_x1, grid_x2 = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.2, 1.7, 150))
grid = np.vstack([grid_x1.ravel(), grid_x2.ravel()])
fig, axes = plt.subplots(1, len(trained), figsize=(4.2 * len(trained), 3.6), squeeze=False)
for ax, name in zip(axes[0], trained):
    params = trained[name]
    probability = forward(grid, params, "sigmoid", "sigmoid")[0].reshape(grid_x1.shape)
    accuracy = np.mean((forward(X_moons, params, "sigmoid", "sigmoid")[0] >= 0.5) == (Y_moons >= 0.5))
    ax.contourf(grid_x1, grid_x2, probability, levels=[0, 0.5, 1], colors=["#cfe0f3", "#f6d5c4"])
    ax.contour(grid_x1, grid_x2, probability, levels=[0.5], colors="k", linewidths=1)
    for label, colour in ((0, "tab:blue"), (1, "tab:red")):
        ax.scatter(*X_moons[:, Y_moons[0] == label], color=colour, s=10, edgecolors="none", label=f"class {label}")
    ax.set(title=f"start: {name}\ntraining accuracy {accuracy:.0%}", xticks=[], yticks=[])
axes[0, 0].legend(loc="lower left", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# With tanh or ReLU hidden units the all-zero start is even worse: $\tanh(0) = 0$ and
# $\mathrm{relu}(0) = 0$, so $A^{[1]} = 0$, hence $dW^{[2]} = \frac1m\delta^{[2]}A^{[1]T} = 0$, and
# $W^{[2]} = 0$ gives $\delta^{[1]} = 0$. Only the output bias ever learns. (Zero *biases* are
# fine, and usual, once the weights are random: the weights already make the units differ.)

# %% [markdown]
# ### Written question 1: half a symmetric start [2 points, graded by hand]
#
# Take the `[2, 6, 1]` sigmoid network of the cell above, zero biases, and two new starts:
#
# - **(a)** every entry of $W^{[1]}$ equal to $0.5$, but $W^{[2]}$ drawn at random;
# - **(b)** $W^{[1]}$ drawn at random, but $W^{[2]} = 0$.
#
# For each start, predict: which of $W^{[1]}$ and $W^{[2]}$ change in the **first** gradient step,
# and do the six hidden units end up different from one another, or twins for ever? Justify each
# prediction with (BP2) and (BP4) in two or three sentences. (You may check your predictions by
# editing a copy of the cell above, but the reasoning is what earns the points.)

# %% [markdown] answer="half_symmetric_start" points=2
# ### BEGIN SOLUTION
# **Model answer.** (a) All six units get the same $Z^{[1]}_j$ and $A^{[1]}_j$, but twins also need
# equal columns of $W^{[2]}$, and these are random. By (BP2) $\delta^{[1]}_j = W^{[2]}_{1j}\,\delta^{[2]}\,
# \sigma'(Z^{[1]}_j)$ differs from unit to unit (same $\sigma'$, different $W^{[2]}_{1j}$), so by (BP4) the
# rows of $dW^{[1]}$ already differ in the first step: both layers change, and the units separate at
# once (the random outgoing weights break the symmetry; the network learns the curved boundary).
# (b) $W^{[2]} = 0$ makes $\delta^{[1]} = 0$ in the first step, so only $W^{[2]}$ (and the biases of the
# output) changes; its entries $dW^{[2]} = \frac1m\delta^{[2]}A^{[1]T}$ differ, since the random rows of
# $W^{[1]}$ make the units compute different $A^{[1]}_j$. From the second step on $\delta^{[1]} \ne 0$ and
# $W^{[1]}$ moves too. The units were never twins (different incoming weights) and stay different: a
# one-step delay, not a symmetry. A layer's units are stuck together only when both their incoming
# and their outgoing weights start equal.
#
# **Rubric.**
# - [1 point] (a): the units start with equal activations, but the different outgoing weights give
#   them different $\delta^{[1]}_j$ (BP2), hence different rows of $dW^{[1]}$: both layers change in step
#   one and the symmetry breaks.
# - [1 point] (b): $\delta^{[1]} = 0$ in step one, so only $W^{[2]}$ changes (with different entries,
#   because the $A^{[1]}_j$ differ); afterwards $W^{[1]}$ learns too, and the units stay different.
# ### END SOLUTION

# %% [markdown]
# ## 2. Small random numbers, and what depth does to them
#
# Independent random weights make every unit different from the start, and gradient descent keeps
# them different. The classic recipe draws every weight from a normal distribution with mean 0 and a
# small standard deviation, say $\sigma = 0.01$:
#
# $$W^{[l]}_{ij} \sim \mathcal{N}(0, \sigma^2) \quad\text{independently}, \qquad b^{[l]} = 0.$$
#
# ### Exercise 2: `init_normal` [1 point]
#
# Draw every weight from $\mathcal{N}(0, \mathtt{std}^2)$ with the generator `rng` you are given, and
# nothing else: `rng.standard_normal(shape) * std`, or `rng.normal(0.0, std, size=shape)` (NumPy's
# `scale` is the standard deviation, not the variance). Never `np.random.*`: the global generator
# would make a seed useless. Biases are zero. Any order of drawing is fine.

# %% solution="init_normal"
def init_normal(layer_sizes, std, rng):
    """Weights drawn independently from N(0, std^2), the same std in every layer; zero biases.

    Inputs:
        layer_sizes: [n[0], n[1], ..., n[L]]
        std:         standard deviation of every weight (float > 0)
        rng:         numpy.random.Generator, the only source of randomness
    Returns:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
    """
    ### BEGIN SOLUTION
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = rng.standard_normal((layer_sizes[l], layer_sizes[l - 1])) * std
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
    return params
    ### END SOLUTION


# %% test="init_normal" points=1
# Your random draws need not match ours: these checks look at properties any correct answer has
# (shapes, zero biases, the spread and centre of big weight matrices, reproducibility).
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def check_layout(params, sizes, where):
        """Keys, shapes, array type and zero biases."""
        assert isinstance(params, dict), f"{where} returned a {type(params).__name__}, expected a dict of arrays"
        want = {}
        for l in range(1, len(sizes)):
            want[f"W{l}"] = np.zeros((sizes[l], sizes[l - 1]))
            want[f"b{l}"] = np.zeros((sizes[l], 1))
        check.check_dict({k: np.zeros(np.shape(v)) for k, v in params.items()}, want, name=f"{where} (shapes)")
        for key, value in params.items():
            assert isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating), \
                f"{where}[{key!r}] must be a NumPy array of floats"
            assert np.all(np.isfinite(value)), f"{where}[{key!r}] has NaN or inf"
        for l in range(1, len(sizes)):
            assert np.all(params[f"b{l}"] == 0), f"{where}: b{l} must be all zeros (only the weights are random)"

    def check_spread(W, want, where, wrong_guesses):
        """A big matrix of N(0, want^2) draws: mean near 0, std within 4 %, normal-shaped."""
        std, mean = float(np.std(W)), float(np.mean(W))
        assert abs(mean) < 0.05 * want, \
            f"{where} has mean {mean:.4g}: the weights must be centred on 0 (std {want:.4g})"
        if abs(std - want) > 0.04 * want:
            for wrong, hint in wrong_guesses:
                if abs(wrong - want) > 0.1 * want and abs(std - wrong) < 0.04 * wrong:
                    raise AssertionError(f"{where} has std {std:.4g}, expected {want:.4g}: {hint}")
            raise AssertionError(f"{where} has std {std:.4g}, expected {want:.4g}")
        inside = float(np.mean(np.abs(W) < want))
        assert 0.66 < inside < 0.705, \
            (f"{where}: {inside:.1%} of the weights lie within one std of 0, but 68.3 % do for a normal "
             "distribution: draw with rng.standard_normal or rng.normal, not rng.uniform")

    sizes = [400, 500, 300]   # W1 (500, 400) and W2 (300, 500): 200,000 and 150,000 draws
    for std in (0.1, 0.02):
        where = f"init_normal({sizes}, {std}, rng)"
        params = check.check_not_mutated(init_normal, sizes, std, np.random.default_rng(0))
        check_layout(params, sizes, where)
        for key in ("W1", "W2"):
            check_spread(params[key], std, f"{where}[{key!r}]", [
                (std ** 2, "that is std**2, the variance; multiply by std itself"),
                (np.sqrt(std), "that is sqrt(std); multiply by std itself"),
                (1.0, "that is N(0, 1): multiply the standard normal draws by std"),
            ])
    for sizes in ([3, 1, 2], [5, 4]):
        check_layout(init_normal(sizes, 0.5, np.random.default_rng(1)), sizes, f"init_normal({sizes}, 0.5, rng)")

    # Randomness: from rng, and only from rng.
    sizes = [20, 30, 10]
    global_state = np.random.get_state()
    first = init_normal(sizes, 1.0, np.random.default_rng(7))
    after = np.random.get_state()
    assert np.array_equal(global_state[1], after[1]) and global_state[2] == after[2], \
        "init_normal used NumPy's global generator (np.random.*): draw every number from rng"
    again = init_normal(sizes, 1.0, np.random.default_rng(7))
    other = init_normal(sizes, 1.0, np.random.default_rng(8))
    assert all(np.array_equal(first[k], again[k]) for k in first), \
        "two generators with the same seed gave different weights: draw every number from rng"
    assert not np.array_equal(first["W1"], other["W1"]), \
        "generators with different seeds gave the same weights: draw from the rng you are given"
    assert not np.allclose(first["W1"][0], first["W1"][1]), \
        "two hidden units start with the same weights: draw every weight independently"

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _h_rng = np.random.default_rng(5050)
    for trial in range(6):
        sizes = [int(_h_rng.integers(200, 400)), int(_h_rng.integers(300, 600)), int(_h_rng.integers(150, 300))]
        std = [1.0, 0.5, 0.03, 2.0, 0.01, 0.2][trial]
        params = init_normal(sizes, std, np.random.default_rng(int(_h_rng.integers(1 << 30))))
        assert isinstance(params, dict) and set(params) == {"W1", "b1", "W2", "b2"}, f"wrong keys for sizes {sizes}"
        for l in (1, 2):
            W, b = np.asarray(params[f"W{l}"]), np.asarray(params[f"b{l}"])
            assert W.shape == (sizes[l], sizes[l - 1]) and b.shape == (sizes[l], 1), f"wrong shapes for sizes {sizes}"
            assert np.all(b == 0), "biases must be zero"
            assert abs(np.std(W) - std) < 0.04 * std, f"W{l} has the wrong spread for std = {std}"
            assert abs(np.mean(W)) < 0.05 * std, f"W{l} is not centred on 0 for std = {std}"
    # Small and deep nets, layers of one unit.
    for sizes in ([1, 1], [4, 1, 1, 3], [2, 3, 4, 5, 6, 7]):
        params = init_normal(sizes, 0.3, np.random.default_rng(3))
        assert set(params) == {f"{k}{l}" for l in range(1, len(sizes)) for k in "Wb"}, f"wrong keys for {sizes}"
        for l in range(1, len(sizes)):
            assert np.shape(params[f"W{l}"]) == (sizes[l], sizes[l - 1]), f"W{l} has the wrong shape for {sizes}"
            assert np.shape(params[f"b{l}"]) == (sizes[l], 1) and np.all(params[f"b{l}"] == 0), f"b{l} for {sizes}"
    # Layers of the same shape get different draws; every unit differs.
    params = init_normal([50, 50, 50, 50], 1.0, np.random.default_rng(4))
    assert not np.allclose(params["W1"], params["W2"]) and not np.allclose(params["W2"], params["W3"]), \
        "layers of the same shape got the same weights: draw each layer anew"
    assert len(np.unique(np.round(params["W2"], 12), axis=0)) == 50, "some hidden units start as twins"
    # The global generator is untouched, one call advances rng, a second call differs.
    state = np.random.get_state()
    rng = np.random.default_rng(9)
    p1 = init_normal([30, 40, 5], 1.0, rng)
    p2 = init_normal([30, 40, 5], 1.0, rng)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2] == after[2], "the global generator was used"
    assert not np.array_equal(p1["W1"], p2["W1"]), "two calls with one generator gave the same weights"
### END HIDDEN TESTS

check.passed("init_normal: the right spread, centred, normal, reproducible, and only from rng.")

# %% [markdown]
# ### A deep net from $\mathcal{N}(0, \sigma^2)$ weights
#
# Now push a batch of 200 standard-normal inputs (each a column of $n^{[0]} = 400$ numbers) through
# ten tanh layers of 400 units each, once with $\sigma = 0.01$ and once with $\sigma = 1$, and look at
# the values of $A^{[l]}$ in a few layers. Every panel shows the histogram of all $400 \times 200$
# entries of one $A^{[l]}$ on the same horizontal scale, $[-1, 1]$, the range of tanh.

# %% tags=["demo"]
deep_sizes = [400] * 11                                    # n[0] = 400 inputs, L = 10 tanh layers
X_deep = np.random.default_rng(2).standard_normal((400, 200))
show_layers = [1, 2, 3, 5, 10]
try:
    caches = {sigma: forward(X_deep, init_normal(deep_sizes, sigma, np.random.default_rng(3)), "tanh", "tanh")[1]
              for sigma in (0.01, 1.0)}
except NotImplementedError:
    print("Write init_normal above to see these histograms.")
else:
    fig, axes = plt.subplots(2, len(show_layers), figsize=(13, 4.8), sharex=True)
    for row, (sigma, cache) in enumerate(caches.items()):
        for ax, l in zip(axes[row], show_layers):
            values = cache[f"A{l}"].ravel()
            ax.hist(values, bins=np.linspace(-1, 1, 42), weights=np.full(values.size, 1 / values.size))
            ax.set(title=f"A[{l}]: std {np.std(values):.2g}", ylim=(0, 1.05), yticks=[0, 0.5, 1])
            ax.title.set_fontsize(9)
        axes[row, 0].set_ylabel(f"σ = {sigma}\nfraction of values")
    for ax in axes[1]:
        ax.set_xlabel("activation")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# Two ways to fail:
#
# - **$\sigma = 0.01$, the signal fades.** Layer after layer the values crowd towards 0; from layer 3
#   on the histogram is a single bar, and the standard deviation in the titles falls by a factor of
#   about 5 per layer. Every input produces nearly the same, nearly zero, activations deep in the
#   network, so the output barely depends on the input. The gradients fade too: by (BP4)
#   $dW^{[l]} = \frac1m \delta^{[l]} A^{[l-1]T}$ is proportional to activations that are almost zero,
#   and $\delta$ itself shrinks by the same factor at every step down (BP2 multiplies by the same
#   small $W^T$).
# - **$\sigma = 1$, the units saturate.** From the first layer on, almost every value sits at $-1$ or
#   $+1$, where tanh is flat: $\tanh'(z) \approx 0$, so (BP2) multiplies $\delta$ by nearly zero at
#   every layer. The gradients vanish again, for the opposite reason.
#
# ### The variance of one layer
#
# Why a factor of 5? Look at unit $i$ of layer $l$ at the start of training (zero biases):
#
# $$Z^{[l]}_i = \sum_{j=1}^{n^{[l-1]}} W^{[l]}_{ij}\, A^{[l-1]}_j .$$
#
# The weights are independent of each other and of the incoming activations, with mean 0 and
# variance $\sigma^2$. Each term then has mean 0 and variance $\sigma^2\, \mathbb{E}\big[(A^{[l-1]}_j)^2\big]$,
# and the variances of independent terms add up:
#
# $$\operatorname{Var}\big(Z^{[l]}_i\big) = n^{[l-1]}\, \sigma^2\, \mathbb{E}\big[(A^{[l-1]})^2\big].$$
#
# Near zero, tanh is almost the identity, so $\mathbb{E}[(A^{[l-1]})^2] \approx \operatorname{Var}(Z^{[l-1]})$
# and each layer multiplies the variance by $n^{[l-1]}\sigma^2$. With $n = 400$ and $\sigma = 0.01$ that
# is $0.04$: the standard deviation is multiplied by $\sqrt{0.04} = 0.2$ at each layer, and after ten
# layers by $0.2^{10} \approx 10^{-7}$. With $\sigma = 1$ the factor is $400$, and the values are
# pushed far into tanh's flat tails at once. The lesson: **the right scale for the weights depends on
# the width of the layer**. A fixed $\sigma$ that suits 10 inputs is far too big for 10,000.

# %% [markdown]
# ## 3. Scales that keep the signal steady
#
# ### Xavier (Glorot) initialisation
#
# To keep the forward signal steady in the near-linear regime of tanh we want $n^{[l-1]}\sigma^2 = 1$,
# that is $\operatorname{Var}(W^{[l]}) = 1/n^{[l-1]}$. The backward pass has the same structure. By (BP2),
# $\delta^{[l-1]} = \big(W^{[l]T}\delta^{[l]}\big) \odot g'(Z^{[l-1]})$; entry $j$ sums $n^{[l]}$
# terms $W^{[l]}_{ij}\delta^{[l]}_i$, and with $g' \approx 1$,
#
# $$\operatorname{Var}\big(\delta^{[l-1]}\big) \approx n^{[l]}\,\sigma^2\, \operatorname{Var}\big(\delta^{[l]}\big),$$
#
# so keeping the gradients steady asks for $\operatorname{Var}(W^{[l]}) = 1/n^{[l]}$ instead. Unless the two
# widths agree, both wishes cannot hold at once. Glorot and Bengio (2010) split the difference by
# averaging the two widths:
#
# $$\operatorname{Var}\big(W^{[l]}\big) = \frac{2}{n^{[l]} + n^{[l-1]}}, \qquad
# W^{[l]}_{ij} \sim \mathcal{N}\Big(0,\ \frac{2}{n^{[l]} + n^{[l-1]}}\Big).$$
#
# For equal widths this is exactly $1/n$. It is the usual choice for tanh (and sigmoid) layers.
# (Libraries also offer a uniform version, $\mathcal{U}(-r, r)$ with $r = \sqrt{6/(n^{[l]} + n^{[l-1]})}$,
# which has the same variance, because $\mathcal{U}(-r, r)$ has variance $r^2/3$.)
#
# ### Exercise 3: `init_xavier` [1 point]
#
# The standard deviation is the square root of the variance: multiply standard-normal draws of
# `W[l]` by $\sqrt{2/(n^{[l]} + n^{[l-1]})}$, which differs from layer to layer. Zero biases, and
# randomness only from `rng`.

# %% solution="init_xavier"
def init_xavier(layer_sizes, rng):
    """Xavier/Glorot normal initialisation: W[l] ~ N(0, 2 / (n[l] + n[l-1])), zero biases.

    Inputs:
        layer_sizes: [n[0], n[1], ..., n[L]]
        rng:         numpy.random.Generator, the only source of randomness
    Returns:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
    """
    ### BEGIN SOLUTION
    params = {}
    for l in range(1, len(layer_sizes)):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        params[f"W{l}"] = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / (n_in + n_out))
        params[f"b{l}"] = np.zeros((n_out, 1))
    return params
    ### END SOLUTION


# %% test="init_xavier" points=1
# Properties any correct answer has, whatever the order of its random draws.
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def check_layout(params, sizes, where):
        """Keys, shapes, array type and zero biases."""
        assert isinstance(params, dict), f"{where} returned a {type(params).__name__}, expected a dict of arrays"
        want = {}
        for l in range(1, len(sizes)):
            want[f"W{l}"] = np.zeros((sizes[l], sizes[l - 1]))
            want[f"b{l}"] = np.zeros((sizes[l], 1))
        check.check_dict({k: np.zeros(np.shape(v)) for k, v in params.items()}, want, name=f"{where} (shapes)")
        for key, value in params.items():
            assert isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating), \
                f"{where}[{key!r}] must be a NumPy array of floats"
            assert np.all(np.isfinite(value)), f"{where}[{key!r}] has NaN or inf"
        for l in range(1, len(sizes)):
            assert np.all(params[f"b{l}"] == 0), f"{where}: b{l} must be all zeros (only the weights are random)"

    def check_spread(W, want, where, wrong_guesses):
        """A big matrix of N(0, want^2) draws: mean near 0, std within 4 %, normal-shaped."""
        std, mean = float(np.std(W)), float(np.mean(W))
        assert abs(mean) < 0.05 * want, \
            f"{where} has mean {mean:.4g}: the weights must be centred on 0 (std {want:.4g})"
        if abs(std - want) > 0.04 * want:
            for wrong, hint in wrong_guesses:
                if abs(wrong - want) > 0.1 * want and abs(std - wrong) < 0.04 * wrong:
                    raise AssertionError(f"{where} has std {std:.4g}, expected {want:.4g}: {hint}")
            raise AssertionError(f"{where} has std {std:.4g}, expected {want:.4g}")
        inside = float(np.mean(np.abs(W) < want))
        assert 0.66 < inside < 0.705, \
            (f"{where}: {inside:.1%} of the weights lie within one std of 0, but 68.3 % do for a normal "
             "distribution: draw with rng.standard_normal or rng.normal, not rng.uniform")

    # Widths differ from layer to layer, so that using the wrong width shows.
    for sizes in ([400, 500, 200], [150, 900, 600]):
        where = f"init_xavier({sizes}, rng)"
        params = check.check_not_mutated(init_xavier, sizes, np.random.default_rng(0))
        check_layout(params, sizes, where)
        for l in (1, 2):
            n_in, n_out = sizes[l - 1], sizes[l]
            check_spread(params[f"W{l}"], np.sqrt(2 / (n_in + n_out)), f"{where}['W{l}']", [
                (2 / (n_in + n_out), "that is the variance; the standard deviation is its square root"),
                (np.sqrt(2 / n_in), f"that is He's sqrt(2/n[l-1]) = sqrt(2/{n_in}); Xavier uses both widths"),
                (np.sqrt(2 / n_out), f"that is sqrt(2/n[l]) = sqrt(2/{n_out}); Xavier uses n[l] + n[l-1]"),
                (np.sqrt(1 / (n_in + n_out)), "the 2 in 2 / (n[l] + n[l-1]) is missing"),
                (np.sqrt(1 / n_in), f"that is sqrt(1/n[l-1]) = sqrt(1/{n_in}); Xavier uses 2 / (n[l] + n[l-1])"),
                (np.sqrt(6 / (n_in + n_out)), "sqrt(6 / (n[l] + n[l-1])) is the limit of the uniform version, "
                                              "not the standard deviation"),
            ])
    for sizes in ([3, 1, 2], [5, 4]):
        check_layout(init_xavier(sizes, np.random.default_rng(1)), sizes, f"init_xavier({sizes}, rng)")

    # Randomness: from rng, and only from rng.
    sizes = [20, 30, 10]
    global_state = np.random.get_state()
    first = init_xavier(sizes, np.random.default_rng(7))
    after = np.random.get_state()
    assert np.array_equal(global_state[1], after[1]) and global_state[2] == after[2], \
        "init_xavier used NumPy's global generator (np.random.*): draw every number from rng"
    again = init_xavier(sizes, np.random.default_rng(7))
    other = init_xavier(sizes, np.random.default_rng(8))
    assert all(np.array_equal(first[k], again[k]) for k in first), \
        "two generators with the same seed gave different weights: draw every number from rng"
    assert not np.array_equal(first["W1"], other["W1"]), \
        "generators with different seeds gave the same weights: draw from the rng you are given"
    assert not np.allclose(first["W1"][0], first["W1"][1]), \
        "two hidden units start with the same weights: draw every weight independently"

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _h_rng = np.random.default_rng(5151)
    for trial in range(5):
        sizes = [int(_h_rng.integers(100, 700)) for _ in range(4)]
        sizes[0] = int(_h_rng.integers(300, 800))
        params = init_xavier(sizes, np.random.default_rng(int(_h_rng.integers(1 << 30))))
        assert isinstance(params, dict) and set(params) == {f"{k}{l}" for l in (1, 2, 3) for k in "Wb"}, \
            f"wrong keys for sizes {sizes}"
        for l in (1, 2, 3):
            W, b = np.asarray(params[f"W{l}"]), np.asarray(params[f"b{l}"])
            assert W.shape == (sizes[l], sizes[l - 1]) and b.shape == (sizes[l], 1), f"wrong shapes for sizes {sizes}"
            assert np.all(b == 0), "biases must be zero"
            want = np.sqrt(2 / (sizes[l] + sizes[l - 1]))
            assert abs(np.std(W) - want) < 0.04 * want, f"W{l} has the wrong spread for layer sizes {sizes}"
            assert abs(np.mean(W)) < 0.05 * want, f"W{l} is not centred on 0 for layer sizes {sizes}"
    # Very unequal widths: the formula, not an approximation of it.
    params = init_xavier([2000, 50, 1000], np.random.default_rng(6))
    assert abs(np.std(params["W1"]) - np.sqrt(2 / 2050)) < 0.04 * np.sqrt(2 / 2050), "wrong spread, 2000 -> 50"
    assert abs(np.std(params["W2"]) - np.sqrt(2 / 1050)) < 0.04 * np.sqrt(2 / 1050), "wrong spread, 50 -> 1000"
    for sizes in ([1, 1], [4, 1, 1, 3], [2, 3, 4, 5, 6, 7]):
        params = init_xavier(sizes, np.random.default_rng(3))
        assert set(params) == {f"{k}{l}" for l in range(1, len(sizes)) for k in "Wb"}, f"wrong keys for {sizes}"
        for l in range(1, len(sizes)):
            assert np.shape(params[f"W{l}"]) == (sizes[l], sizes[l - 1]), f"W{l} has the wrong shape for {sizes}"
            assert np.shape(params[f"b{l}"]) == (sizes[l], 1) and np.all(params[f"b{l}"] == 0), f"b{l} for {sizes}"
    params = init_xavier([50, 50, 50, 50], np.random.default_rng(4))
    assert not np.allclose(params["W1"], params["W2"]), "layers of the same shape got the same weights"
    assert len(np.unique(np.round(params["W2"], 12), axis=0)) == 50, "some hidden units start as twins"
    state = np.random.get_state()
    rng = np.random.default_rng(9)
    p1 = init_xavier([30, 40, 5], rng)
    p2 = init_xavier([30, 40, 5], rng)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2] == after[2], "the global generator was used"
    assert not np.array_equal(p1["W1"], p2["W1"]), "two calls with one generator gave the same weights"
### END HIDDEN TESTS

check.passed("init_xavier: N(0, 2 / (n[l] + n[l-1])) in every layer, zero biases, only from rng.")

# %% [markdown]
# ### He initialisation, for ReLU
#
# ReLU is not close to the identity near zero: it sets about half of its inputs to zero. If $Z$ is
# symmetric around 0, then $\mathrm{relu}(Z)^2$ is $Z^2$ half of the time and $0$ the other half, so
#
# $$\mathbb{E}\big[\mathrm{relu}(Z)^2\big] = \tfrac12\, \mathbb{E}\big[Z^2\big] = \tfrac12 \operatorname{Var}(Z).$$
#
# Put that into the variance of one layer: $\operatorname{Var}(Z^{[l]}) = n^{[l-1]}\sigma^2 \cdot \tfrac12
# \operatorname{Var}(Z^{[l-1]})$. With Xavier's $\sigma^2 \approx 1/n$ every ReLU layer would halve the
# variance. He, Zhang, Ren and Sun (2015) doubled the variance to make up for it:
#
# $$\operatorname{Var}\big(W^{[l]}\big) = \frac{2}{n^{[l-1]}}, \qquad
# W^{[l]}_{ij} \sim \mathcal{N}\Big(0,\ \frac{2}{n^{[l-1]}}\Big).$$
#
# Only the layer's input width $n^{[l-1]}$ (the "fan-in") appears. This is the start `train` used in
# notebook 04, and the standard choice for ReLU and its relatives.
#
# ### Exercise 4: `init_he` [1 point]

# %% solution="init_he"
def init_he(layer_sizes, rng):
    """He normal initialisation: W[l] ~ N(0, 2 / n[l-1]), zero biases.

    Inputs:
        layer_sizes: [n[0], n[1], ..., n[L]]
        rng:         numpy.random.Generator, the only source of randomness
    Returns:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
    """
    ### BEGIN SOLUTION
    params = {}
    for l in range(1, len(layer_sizes)):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        params[f"W{l}"] = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
        params[f"b{l}"] = np.zeros((n_out, 1))
    return params
    ### END SOLUTION


# %% test="init_he" points=1
# Properties any correct answer has, whatever the order of its random draws.
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def check_layout(params, sizes, where):
        """Keys, shapes, array type and zero biases."""
        assert isinstance(params, dict), f"{where} returned a {type(params).__name__}, expected a dict of arrays"
        want = {}
        for l in range(1, len(sizes)):
            want[f"W{l}"] = np.zeros((sizes[l], sizes[l - 1]))
            want[f"b{l}"] = np.zeros((sizes[l], 1))
        check.check_dict({k: np.zeros(np.shape(v)) for k, v in params.items()}, want, name=f"{where} (shapes)")
        for key, value in params.items():
            assert isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating), \
                f"{where}[{key!r}] must be a NumPy array of floats"
            assert np.all(np.isfinite(value)), f"{where}[{key!r}] has NaN or inf"
        for l in range(1, len(sizes)):
            assert np.all(params[f"b{l}"] == 0), f"{where}: b{l} must be all zeros (only the weights are random)"

    def check_spread(W, want, where, wrong_guesses):
        """A big matrix of N(0, want^2) draws: mean near 0, std within 4 %, normal-shaped."""
        std, mean = float(np.std(W)), float(np.mean(W))
        assert abs(mean) < 0.05 * want, \
            f"{where} has mean {mean:.4g}: the weights must be centred on 0 (std {want:.4g})"
        if abs(std - want) > 0.04 * want:
            for wrong, hint in wrong_guesses:
                if abs(wrong - want) > 0.1 * want and abs(std - wrong) < 0.04 * wrong:
                    raise AssertionError(f"{where} has std {std:.4g}, expected {want:.4g}: {hint}")
            raise AssertionError(f"{where} has std {std:.4g}, expected {want:.4g}")
        inside = float(np.mean(np.abs(W) < want))
        assert 0.66 < inside < 0.705, \
            (f"{where}: {inside:.1%} of the weights lie within one std of 0, but 68.3 % do for a normal "
             "distribution: draw with rng.standard_normal or rng.normal, not rng.uniform")

    # Widths differ from layer to layer, so that using the wrong width shows.
    for sizes in ([400, 500, 200], [150, 900, 600]):
        where = f"init_he({sizes}, rng)"
        params = check.check_not_mutated(init_he, sizes, np.random.default_rng(0))
        check_layout(params, sizes, where)
        for l in (1, 2):
            n_in, n_out = sizes[l - 1], sizes[l]
            check_spread(params[f"W{l}"], np.sqrt(2 / n_in), f"{where}['W{l}']", [
                (2 / n_in, "that is the variance; the standard deviation is its square root"),
                (np.sqrt(2 / n_out), f"that is sqrt(2/n[l]) = sqrt(2/{n_out}); He divides by the layer's "
                                     f"input width n[l-1] = {n_in}"),
                (np.sqrt(1 / n_in), "the 2 in 2 / n[l-1] is missing"),
                (np.sqrt(2 / (n_in + n_out)), "that is Xavier's sqrt(2 / (n[l] + n[l-1])); He uses n[l-1] only"),
            ])
    for sizes in ([3, 1, 2], [5, 4]):
        check_layout(init_he(sizes, np.random.default_rng(1)), sizes, f"init_he({sizes}, rng)")

    # Randomness: from rng, and only from rng.
    sizes = [20, 30, 10]
    global_state = np.random.get_state()
    first = init_he(sizes, np.random.default_rng(7))
    after = np.random.get_state()
    assert np.array_equal(global_state[1], after[1]) and global_state[2] == after[2], \
        "init_he used NumPy's global generator (np.random.*): draw every number from rng"
    again = init_he(sizes, np.random.default_rng(7))
    other = init_he(sizes, np.random.default_rng(8))
    assert all(np.array_equal(first[k], again[k]) for k in first), \
        "two generators with the same seed gave different weights: draw every number from rng"
    assert not np.array_equal(first["W1"], other["W1"]), \
        "generators with different seeds gave the same weights: draw from the rng you are given"
    assert not np.allclose(first["W1"][0], first["W1"][1]), \
        "two hidden units start with the same weights: draw every weight independently"

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _h_rng = np.random.default_rng(5252)
    for trial in range(5):
        sizes = [int(_h_rng.integers(100, 700)) for _ in range(4)]
        sizes[0] = int(_h_rng.integers(300, 800))
        params = init_he(sizes, np.random.default_rng(int(_h_rng.integers(1 << 30))))
        assert isinstance(params, dict) and set(params) == {f"{k}{l}" for l in (1, 2, 3) for k in "Wb"}, \
            f"wrong keys for sizes {sizes}"
        for l in (1, 2, 3):
            W, b = np.asarray(params[f"W{l}"]), np.asarray(params[f"b{l}"])
            assert W.shape == (sizes[l], sizes[l - 1]) and b.shape == (sizes[l], 1), f"wrong shapes for sizes {sizes}"
            assert np.all(b == 0), "biases must be zero"
            want = np.sqrt(2 / sizes[l - 1])
            assert abs(np.std(W) - want) < 0.04 * want, f"W{l} has the wrong spread for layer sizes {sizes}"
            assert abs(np.mean(W)) < 0.05 * want, f"W{l} is not centred on 0 for layer sizes {sizes}"
    params = init_he([2000, 50, 1000], np.random.default_rng(6))
    assert abs(np.std(params["W1"]) - np.sqrt(2 / 2000)) < 0.04 * np.sqrt(2 / 2000), "wrong spread, 2000 -> 50"
    assert abs(np.std(params["W2"]) - np.sqrt(2 / 50)) < 0.04 * np.sqrt(2 / 50), "wrong spread, 50 -> 1000"
    for sizes in ([1, 1], [4, 1, 1, 3], [2, 3, 4, 5, 6, 7]):
        params = init_he(sizes, np.random.default_rng(3))
        assert set(params) == {f"{k}{l}" for l in range(1, len(sizes)) for k in "Wb"}, f"wrong keys for {sizes}"
        for l in range(1, len(sizes)):
            assert np.shape(params[f"W{l}"]) == (sizes[l], sizes[l - 1]), f"W{l} has the wrong shape for {sizes}"
            assert np.shape(params[f"b{l}"]) == (sizes[l], 1) and np.all(params[f"b{l}"] == 0), f"b{l} for {sizes}"
    params = init_he([50, 50, 50, 50], np.random.default_rng(4))
    assert not np.allclose(params["W1"], params["W2"]), "layers of the same shape got the same weights"
    assert len(np.unique(np.round(params["W2"], 12), axis=0)) == 50, "some hidden units start as twins"
    state = np.random.get_state()
    rng = np.random.default_rng(9)
    p1 = init_he([30, 40, 5], rng)
    p2 = init_he([30, 40, 5], rng)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2] == after[2], "the global generator was used"
    assert not np.array_equal(p1["W1"], p2["W1"]), "two calls with one generator gave the same weights"
### END HIDDEN TESTS

check.passed("init_he: N(0, 2 / n[l-1]) in every layer, zero biases, only from rng.")

# %% [markdown]
# ### Written question 2: the 2 in He's variance [2 points, graded by hand]
#
# For equal widths $n$, Xavier's variance is $1/n$ and He's is $2/n$. Where does the factor 2 come
# from, and what would happen to the activations of a 50-layer ReLU network of equal widths started
# with variance $1/n$ instead? Answer in three to five sentences; a rough number is welcome.

# %% [markdown] answer="he_factor_two" points=2
# ### BEGIN SOLUTION
# **Model answer.** With zero-mean weights, $\operatorname{Var}(Z^{[l]}) = n\sigma^2\,\mathbb{E}[(A^{[l-1]})^2]$. For
# tanh near zero $A \approx Z$, so $n\sigma^2 = 1$ keeps the variance steady. ReLU sets the negative
# half of a symmetric $Z$ to zero, so $\mathbb{E}[\mathrm{relu}(Z)^2] = \frac12\operatorname{Var}(Z)$: every
# layer halves the second moment, and He doubles the weights' variance, $n\sigma^2 = 2$, to make up for it. With
# $1/n$ the variance is halved at every layer, so after 50 layers it is about $2^{-50} \approx 10^{-15}$
# of its start, and the standard deviation about $2^{-25} \approx 3 \cdot 10^{-8}$: the signal (and,
# by the same argument backwards, the gradient) has all but vanished.
#
# **Rubric.**
# - [1 point] The 2 compensates for ReLU zeroing about half of its inputs:
#   $\mathbb{E}[\mathrm{relu}(Z)^2] = \frac12\operatorname{Var}(Z)$, so $n\sigma^2$ must be 2 to keep the
#   variance steady.
# - [1 point] With $1/n$ the variance halves per layer, roughly $2^{-50}$ (std $2^{-25}$) after 50
#   layers: the activations (and gradients) vanish.
# ### END SOLUTION

# %% [markdown]
# ## 4. Measuring a deep network
#
# One number per layer tells most of the story of section 2: the standard deviation of all the
# entries of $A^{[l]}$ (over every unit and every example). If it stays roughly level from layer to
# layer, the signal survives the depth; if it falls or grows geometrically, it does not.
#
# ### Exercise 5: `activation_stds` [2 points]
#
# Run the forward pass with `activation` in **every** layer, the last included (for this
# measurement there is no separate output activation), and return
# `[std(A[1]), std(A[2]), ..., std(A[L])]`: a list of $L$ Python floats, one per layer with
# parameters, the input $A^{[0]} = X$ excluded. Use `np.std` over all entries of each $A^{[l]}$ (no
# `axis`). The given `forward(X, params, activation, activation)` does the forward pass for you.

# %% solution="activation_stds"
def activation_stds(X, params, activation):
    """Standard deviation of every layer's activations, with `activation` in every layer.

    Inputs:
        X:          (n[0], m) inputs, one example per column
        params:     {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
        activation: "tanh" | "relu" | "sigmoid" | "identity", used in layers 1..L
    Returns:
        list of L floats: element l-1 is np.std of all the entries of A[l] (n[l], m), for l = 1..L
    """
    ### BEGIN SOLUTION
    L = len(params) // 2
    _, cache = forward(X, params, activation, activation)
    return [float(np.std(cache[f"A{l}"])) for l in range(1, L + 1)]
    ### END SOLUTION


# %% test="activation_stds" points=2
# The expected values come from a forward pass written out below; the weights are fixed arrays, so
# the answer is deterministic.
import numbers
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    functions = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
                 "identity": lambda z: z}

    def layer_values(X, params, activation):
        """[(Z1, A1), ..., (ZL, AL)] with the activation in every layer."""
        out, A = [], X
        for l in range(1, len(params) // 2 + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = functions[activation](Z)
            out.append((Z, A))
        return out

    cases = [  # (layer sizes, m, activation)
        ([6, 5, 4, 3], 7, "tanh"),
        ([4, 8, 8, 8, 2], 10, "relu"),
        ([3, 2], 5, "sigmoid"),
        ([5, 6, 6], 4, "identity"),
    ]
    for seed, (sizes, m, activation) in enumerate(cases):
        rng = np.random.default_rng(seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) * 1.2 / np.sqrt(sizes[l - 1])
            params[f"b{l}"] = 0.5 * rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        L = len(sizes) - 1
        where = f"activation_stds for layer sizes {sizes}, m = {m}, {activation!r}"
        try:
            got = check.check_not_mutated(activation_stds, X, params, activation)
        except KeyError as err:
            raise AssertionError(f"{where}: looked up {err}, which does not exist: the cache holds A0 (= X) to A{L}, "
                                 "and L = len(params) // 2 (params holds one W and one b per layer)") from None

        assert isinstance(got, (list, tuple, np.ndarray)), \
            f"{where}: returned {type(got).__name__}, expected a list of {L} floats"
        got = list(got)
        assert all(isinstance(s, numbers.Real) for s in got), \
            (f"{where}: every entry must be one number, e.g. float(np.std(A)); got "
             f"{[type(s).__name__ + (str(np.shape(s)) if np.ndim(s) else '') for s in got]}")
        values = layer_values(X, params, activation)
        expected = [float(np.std(A)) for _, A in values]
        sample = [float(np.std(A, ddof=1)) for _, A in values]   # the sample std is accepted too
        if len(got) == L + 1 and np.allclose(got[1:], expected, rtol=1e-6):
            raise AssertionError(f"{where}: {L + 1} values, expected {L}: leave out the input A0 = X")
        assert len(got) == L, (f"{where}: returned {len(got)} values, expected one per layer with parameters "
                               f"(L = {L}; the last layer counts too)")
        if np.allclose(got, expected, rtol=1e-6, atol=1e-12) or np.allclose(got, sample, rtol=1e-6, atol=1e-12):
            continue
        hint = ""
        if np.allclose(got, [float(np.std(Z)) for Z, _ in values], rtol=1e-6):
            hint = ": these are the std of Z[l]; take the std of A[l] = g(Z[l])"
        elif np.allclose(got[:-1], expected[:-1], rtol=1e-6):
            hint = ": only the last layer is off; use the same activation in the last layer too"
        elif np.allclose(got, [float(np.mean(np.std(A, axis=0))) for _, A in values], rtol=1e-6) or \
                np.allclose(got, [float(np.mean(np.std(A, axis=1))) for _, A in values], rtol=1e-6):
            hint = ": take np.std over all entries of A[l] (no axis=...), not an average of per-row or per-column stds"
        elif np.allclose(got, [float(np.var(A)) for _, A in values], rtol=1e-6):
            hint = ": these are variances; take the standard deviation, np.std"
        else:
            without_b = {k: (np.zeros_like(v) if k.startswith("b") else v) for k, v in params.items()}
            if np.allclose(got, [float(np.std(A)) for _, A in layer_values(X, without_b, activation)], rtol=1e-6):
                hint = ": the biases are missing; Z[l] = W[l] A[l-1] + b[l]"
        check.check_array(np.array(got, dtype=float), np.array(expected), name=f"{where}{hint}")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_stds(X, params, activation, ddof):
        out, A = [], X
        for l in range(1, len(params) // 2 + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            if activation == "tanh":
                A = np.tanh(Z)
            elif activation == "relu":
                A = np.maximum(Z, 0.0)
            elif activation == "sigmoid":
                A = 1.0 / (1.0 + np.exp(-Z))
            else:
                A = Z
            out.append(float(np.std(A, ddof=ddof)))
        return out

    _h_rng = np.random.default_rng(5353)
    for trial in range(12):
        activation = ["tanh", "relu", "sigmoid", "identity"][trial % 4]
        depth = int(_h_rng.integers(1, 7))
        sizes = [int(n) for n in _h_rng.integers(2, 25, size=depth + 1)]
        m = [1, 3, 40][trial % 3]
        scale = [0.5, 1.0, 3.0, 20.0][trial // 3]     # 20: saturated sigmoid and tanh
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = _h_rng.standard_normal((sizes[l], sizes[l - 1])) * scale / np.sqrt(sizes[l - 1])
            params[f"b{l}"] = 0.3 * _h_rng.standard_normal((sizes[l], 1))
        X = _h_rng.standard_normal((sizes[0], m))
        saved = (X.copy(), {k: v.copy() for k, v in params.items()})
        got = activation_stds(X, params, activation)
        desc = f"layer sizes {sizes}, m = {m}, {activation!r}"
        assert isinstance(got, (list, tuple, np.ndarray)) and np.ndim(got) == 1, f"not a list of floats ({desc})"
        assert len(got) == depth, f"wrong number of values ({desc})"
        got = np.array([float(s) for s in got])
        assert np.all(np.isfinite(got)), f"NaN or inf ({desc})"
        ok = (np.allclose(got, _h_stds(X, params, activation, 0), rtol=1e-6, atol=1e-12)
              or np.allclose(got, _h_stds(X, params, activation, 1), rtol=1e-6, atol=1e-12))
        assert ok, f"wrong standard deviations ({desc})"
        assert np.array_equal(X, saved[0]) and all(np.array_equal(params[k], v) for k, v in saved[1].items()), \
            f"X or params modified ({desc})"
    # All-zero parameters: every activation is constant, so every std is 0.
    zero = {"W1": np.zeros((4, 3)), "b1": np.zeros((4, 1)), "W2": np.zeros((2, 4)), "b2": np.zeros((2, 1))}
    got = activation_stds(_h_rng.standard_normal((3, 9)), zero, "sigmoid")
    assert len(got) == 2 and np.allclose([float(s) for s in got], 0.0), "zero weights must give zero stds"
### END HIDDEN TESTS

check.passed("activation_stds: one std per layer, A[1] to A[L], with the activation in every layer.")

# %% [markdown]
# ### Four starts, two activations, ten layers
#
# The same experiment as in section 2 (200 standard-normal inputs, ten layers of 400 units), now
# summarised by `activation_stds`, for tanh layers and for ReLU layers and four initialisers. The
# vertical axis is logarithmic: a straight sloping line means the signal shrinks or grows by the same
# factor at every layer. (All-zero weights would give a standard deviation of exactly 0 in every
# layer, which a logarithmic axis cannot show.)

# %% tags=["demo"]
initialisers = {
    "normal σ = 0.01": lambda sizes, rng: init_normal(sizes, 0.01, rng),
    "normal σ = 1": lambda sizes, rng: init_normal(sizes, 1.0, rng),
    "Xavier": init_xavier,
    "He": init_he,
}
try:
    measured = {(activation, name): activation_stds(X_deep, init(deep_sizes, np.random.default_rng(3)), activation)
                for activation in ("tanh", "relu") for name, init in initialisers.items()}
except NotImplementedError:
    print("Write init_normal, init_xavier, init_he and activation_stds above to see this plot.")
else:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    layers = np.arange(1, len(deep_sizes))
    for ax, activation in zip(axes, ["tanh", "relu"]):
        for name in initialisers:
            stds = measured[activation, name]
            ax.semilogy(layers, stds, "o-", label=name)
            print(f"{activation:>4}, {name:<15} std of A[1], A[5], A[10]: "
                  f"{stds[0]:.3g}, {stds[4]:.3g}, {stds[9]:.3g}")
        ax.set(xlabel="layer l", ylabel="std of A[l]", title=f"{activation} in every layer", xticks=layers)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    plt.tight_layout()
    plt.show()

# %% [markdown]
# What the plot says:
#
# - **$\sigma = 0.01$** falls in a straight line: about $\times 0.2$ per layer for tanh, as computed
#   in section 2, and faster for ReLU, which also throws away half of the signal at every layer.
# - **$\sigma = 1$** saturates tanh at once (a standard deviation near 1 means values near $\pm 1$),
#   and makes ReLU **explode**: each layer multiplies the standard deviation by about
#   $\sqrt{400/2} \approx 14$, some $10^{11}$ after ten layers.
# - **Xavier** keeps tanh in a healthy range. It still drifts down slowly, because tanh squashes
#   large values and Xavier's argument assumed the linear regime. With ReLU, Xavier loses a factor of
#   about $\sqrt 2$ per layer (the halving that He corrects).
# - **He** keeps ReLU level across all ten layers.

# %% [markdown]
# ## 5. Gradients across a deep network, and why sigmoid makes them vanish
#
# The backward pass carries the error $\delta$ down the layers with (BP2),
# $\delta^{[l-1]} = \big(W^{[l]T}\delta^{[l]}\big) \odot g'(Z^{[l-1]})$, so each layer multiplies its
# variance by about $n^{[l]}\sigma^2 \cdot \mathbb{E}\big[g'(Z)^2\big]$. With Xavier's $n\sigma^2 \approx 1$
# the activation's derivative decides:
#
# - tanh: $\tanh'(0) = 1$, and near zero the factor is close to 1;
# - ReLU with He: $n\sigma^2 = 2$ and $\mathrm{relu}'$ is 1 for half of the units, 0 for the other
#   half, so $\mathbb{E}[g'^2] = \frac12$ and the factor is 1;
# - sigmoid: $\mathrm{sigmoid}'(z) = \mathrm{sigmoid}(z)\big(1 - \mathrm{sigmoid}(z)\big) \le \frac14$, with the
#   maximum at $z = 0$ (here $\sigma$ is the weights' standard deviation, not the sigmoid).
#   With Xavier's $n\sigma^2 \approx 1$ the factor is at most $\frac{1}{16}$, so the standard
#   deviation of $\delta$ shrinks by a factor of at least 4 at **every** layer, whatever the input.
#   Larger weights raise $n\sigma^2$ and can make up for the $\frac1{16}$, but only by pushing $Z$
#   into sigmoid's flat tails, where the units saturate.
#
# By (BP4) $dW^{[l]} = \frac1m\delta^{[l]}A^{[l-1]T}$ inherits that shrinking. This is the *vanishing
# gradient problem*: in a deep sigmoid network the first layers get gradients thousands or millions
# of times smaller than the last ones, and barely learn. You will now measure it.

# %% [markdown]
# ### Exercise 6: `gradient_stds` [2 points]
#
# To see what the layers do to the gradient, and not what a loss does, take the simplest cost that
# depends on every output: each example's loss is the sum of its outputs,
#
# $$C = \frac1m \sum_{i=1}^{m} \ell_i, \qquad \ell_i = \sum_{j=1}^{n^{[L]}} A^{[L]}_{ji},$$
#
# with `activation` $g$ in **every** layer, the last included (as in `activation_stds`).
#
# This cost is none of the three losses of notebook 03, and no output activation cancels against it,
# so nobody hands you $\delta^{[L]}$ this time. **Derive it first**, on paper: differentiate
# $\ell_i$ with respect to one entry $A^{[L]}_{ji}$, then follow the chain rule one step further,
# through $A^{[L]} = g(Z^{[L]})$, to $\delta^{[L]} = \partial \ell / \partial Z^{[L]}$ (per example, as
# always: the $1/m$ of $C$ belongs to $dW$). Below the top layer nothing is new: (BP2) and (BP4) of
# section 5 carry the error down and turn it into every $dW^{[l]}$.
#
# Return `[std(dW[1]), ..., std(dW[L])]`, layer 1 first: $L$ Python floats, each `np.std` over all
# the entries of one $dW^{[l]}$. Use the given `forward(X, params, activation, activation)` for the
# cache and `DERIVATIVES[activation]` for $g'$; write the loop down the layers yourself (the given
# `backward_batch` starts from $A^{[L]} - Y$, which is not this cost's $\delta^{[L]}$).

# %% solution="gradient_stds"
def gradient_stds(X, params, activation):
    """Standard deviation of every layer's weight gradient, with `activation` in every layer.

    The cost is C = (1/m) * (sum of all the entries of A[L]); delta[L] for it is yours to derive.

    Inputs:
        X:          (n[0], m) inputs, one example per column
        params:     {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
        activation: "tanh" | "relu" | "sigmoid" | "identity", used in layers 1..L
    Returns:
        list of L floats: element l-1 is np.std of all the entries of dW[l] = dC/dW[l] (n[l], n[l-1]),
        for l = 1..L (layer 1 first)
    """
    ### BEGIN SOLUTION
    L = len(params) // 2
    m = X.shape[1]
    _, cache = forward(X, params, activation, activation)
    g_prime = DERIVATIVES[activation]
    delta = g_prime(cache[f"Z{L}"])               # dloss/dA[L] is all ones, times g'(Z[L]): (n[L], m)
    stds = [0.0] * L
    for l in range(L, 0, -1):
        dW = delta @ cache[f"A{l - 1}"].T / m                        # (BP4): (n[l], n[l-1])
        stds[l - 1] = float(np.std(dW))
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * g_prime(cache[f"Z{l - 1}"])   # (BP2): (n[l-1], m)
    return stds
    ### END SOLUTION


# %% test="gradient_stds" points=2
# The expected values are central differences of C, so this cell never shows the backward pass. When
# an answer is off, the cell runs it once more on a small network whose layers all have the same
# width (so that a wrong index gives numbers, not a shape error) and watches what it reads: which
# Z[l], A[l] and W[l], and where it evaluates DERIVATIVES[activation]. That names the slip.
import numbers
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    functions = {"tanh": (np.tanh,), "relu": (lambda z: np.maximum(z, 0.0),),
                 "sigmoid": (lambda z: 1 / (1 + np.exp(-z)),), "identity": (lambda z: z,)}

    def numeric_dWs(X, params, activation, eps=1e-6):
        """Every dW[l] by central differences of C = sum(A[L]) / m, entry by entry."""
        def cost(p):
            return float(np.sum(forward(X, p, activation, activation)[0])) / X.shape[1]
        dWs = []
        for l in range(1, len(params) // 2 + 1):
            W, dW = params[f"W{l}"], np.zeros(params[f"W{l}"].shape)
            for index in np.ndindex(W.shape):
                plus, minus = W.copy(), W.copy()
                plus[index] += eps
                minus[index] -= eps
                dW[index] = (cost({**params, f"W{l}": plus}) - cost({**params, f"W{l}": minus})) / (2 * eps)
            dWs.append(dW)
        return dWs

    def numeric_deltas(X, params, activation, eps=1e-6):
        """Every delta[l] = m dC/dZ[l] (the per-example error) by central differences, entry by entry."""
        g, L = functions[activation][0], len(params) // 2
        _, cache = forward(X, params, activation, activation)

        def cost_from(l, Z):
            A = g(Z)
            for k in range(l + 1, L + 1):
                A = g(params[f"W{k}"] @ A + params[f"b{k}"])
            return float(np.sum(A))

        deltas = []
        for l in range(1, L + 1):
            Z, delta = cache[f"Z{l}"], np.zeros(cache[f"Z{l}"].shape)
            for index in np.ndindex(Z.shape):
                plus, minus = Z.copy(), Z.copy()
                plus[index] += eps
                minus[index] -= eps
                delta[index] = (cost_from(l, plus) - cost_from(l, minus)) / (2 * eps)
            deltas.append(delta)
        return deltas

    def close(got, arrays, stat=np.std):  # the population std, or the sample std (ddof=1), of every layer
        return len(got) == len(arrays) and any(
            np.allclose(got, [stat(a, ddof=ddof) for a in arrays], rtol=1e-5, atol=1e-10) for ddof in (0, 1))

    class Reads(dict):
        """A dict that notes every key looked up with [] (cache and params, to see what a function reads)."""
        def __init__(self, entries, log):
            super().__init__(entries)
            self.log = log

        def __getitem__(self, key):
            self.log.append(key)
            return super().__getitem__(key)

    def probe(function, activation="tanh", sizes=(3, 3, 3, 3), m=4):
        """Run `function` once on an equal-width network, with the given forward and g' replaced by
        recording copies. Returns what it read and where it evaluated g', and whether it was right."""
        global forward
        rng = np.random.default_rng(2024)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) * 1.2 / np.sqrt(sizes[l - 1])
            params[f"b{l}"] = 0.5 * rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        seen = {"reads": [], "g_at": [], "cache": {}, "error": None, "right": False}
        given_forward, given_prime = forward, DERIVATIVES[activation]

        def recording_forward(*args, **kwargs):
            AL, cache = given_forward(*args, **kwargs)
            seen["cache"] = dict(cache)
            seen["reads"].clear()  # only what the backward pass reads counts
            return AL, Reads(cache, seen["reads"])

        def recording_prime(Z):
            named = [k for k, v in seen["cache"].items() if np.shape(v) == np.shape(Z) and np.array_equal(v, Z)]
            seen["g_at"].append(named[0] if named else "something else")
            return given_prime(Z)

        forward, DERIVATIVES[activation] = recording_forward, recording_prime
        try:
            got = function(X, Reads(params, seen["reads"]), activation)
        except Exception as error:  # noqa: BLE001 - whatever it raised is evidence too
            seen["error"] = error
        finally:
            forward, DERIVATIVES[activation] = given_forward, given_prime
        if seen["error"] is None:
            try:
                seen["right"] = close([float(s) for s in got], numeric_dWs(X, params, activation))
            except (TypeError, ValueError):
                pass
        return seen

    def slip_named(function, L_real):
        """The slip the probe shows, in one sentence, or None."""
        seen = probe(function)
        if seen["right"] or not seen["cache"] or seen["error"] is not None:
            return None  # right on the probe, or no evidence (the given forward unused, or it failed there too)
        L = 3
        g_at = seen["g_at"] or [k for k in seen["reads"] if k.startswith("Z")]  # own g' reads Z itself
        read = set(seen["reads"])
        at_A = sorted({k for k in seen["g_at"] if k.startswith("A")})
        if at_A:
            return (f"g' was evaluated at {', '.join(at_A)}, an activation: DERIVATIVES[activation] takes the "
                    "pre-activation Z[l] (for tanh it computes 1 - tanh(Z)**2; fed A it gives another number)")
        if seen["g_at"] and "A0" not in read and f"A{L}" in read:
            return ("dW[l] was built from A[l], the layer's own output: by (BP4) dW[l] = (1/m) delta[l] @ A[l-1].T, "
                    "from A[l-1], the activation coming INTO layer l (A0 = X for layer 1)")
        if f"Z{L}" not in g_at:
            return ("delta[L] never goes through g'(Z[L]): the last layer has the activation too, A[L] = g(Z[L]), "
                    "so the chain rule from dloss/dA[L] to delta[L] = dloss/dZ[L] passes through g' at Z[L]")
        if L_real > 1 and "Z1" not in g_at and g_at.count(f"Z{L}") > 1:
            return ("g' is evaluated at the wrong layer in (BP2): carrying delta[l] down to layer l-1 multiplies by "
                    "g'(Z[l-1]), the layer the error arrives at; yours uses g'(Z[l]) (on a 3-layer net it reads "
                    f"Z3 {g_at.count('Z3')} times and never Z1)")
        if g_at == [f"Z{L}"]:
            return ("below the top layer delta is never multiplied by g': (BP2) carries delta[l] down to layer l-1 "
                    "with W[l].T @ delta[l], then * g'(Z[l-1]), since A[l-1] = g(Z[l-1]) stands in between")
        weights = [k for k in seen["reads"] if k.startswith("W")]
        if weights and f"W{L}" not in weights and "W1" in weights:
            return ("delta went down through the wrong weights: (BP2) carries delta[l] to layer l-1 with W[l], "
                    "the weights between the two layers (W[L] for the top layer's error), not W[l-1]")
        return None

    for seed, (sizes, m, activation) in enumerate([([5, 4, 3, 2], 6, "sigmoid"), ([4, 4, 4, 4], 5, "tanh"),
                                                   ([3, 6, 6, 2], 7, "relu"), ([4, 5, 3], 3, "identity")]):
        rng = np.random.default_rng(seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) * 1.2 / np.sqrt(sizes[l - 1])
            params[f"b{l}"] = 0.5 * rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        L = len(sizes) - 1
        where = f"gradient_stds for layer sizes {sizes}, m = {m}, {activation!r}"
        try:
            got = check.check_not_mutated(
                gradient_stds, X, params, activation,
                hint="compute new arrays (A / m, not A /= m): cache['A0'] from the given forward is X itself, and "
                     "params are the caller's; an in-place operation on them changes the caller's network")
        except KeyError as err:
            key = str(err.args[0]) if err.args else "?"
            known = "A0, Z1, A1, ..., ZL, AL" if key[:1] in "AZ" else "W1, b1, ..., WL, bL"
            why = {"W": f"there are only W1 to W{L}: carrying delta[l] down to layer l-1 takes W[l], so the top "
                        f"layer's error goes down through W{L}",
                   "Z": f"g' is needed at Z1 to Z{L} only: A0 = X is the input, it has no Z0, and nothing "
                        f"lies above Z{L}",
                   "A": f"the cache holds A0 (= X) to A{L}: dW[l] is built from A[l-1]"}.get(key[:1], "")
            raise AssertionError(f"{where}: looked up {key!r}, which does not exist (keys: {known}; L = {L}): "
                                 f"{why}") from None
        except ValueError as err:   # a product of arrays whose shapes do not fit
            named = slip_named(gradient_stds, L)
            if named:
                raise AssertionError(f"{where}: {named}") from None
            kind = ("an element-wise product (*) of arrays of different shapes: W[l].T @ delta[l] is a matrix "
                    "product, only the factor g'(Z[l-1]) is element-wise" if "broadcast" in str(err) else
                    "a matrix product whose shapes do not fit: check each transpose")
            raise AssertionError(f"{where}: {err}. That is {kind}: delta[l-1] is (n[l-1], m) and "
                                 "dW[l] = delta[l] @ A[l-1].T / m is (n[l], n[l-1])") from None
        assert isinstance(got, (list, tuple, np.ndarray)), \
            f"{where}: returned {type(got).__name__}, expected a list of {L} floats"
        got = list(got)
        assert all(isinstance(s, numbers.Real) for s in got), \
            (f"{where}: every entry must be one number, e.g. float(np.std(dW)); got "
             f"{[type(s).__name__ + (str(np.shape(s)) if np.ndim(s) else '') for s in got]}")
        assert len(got) == L, f"{where}: returned {len(got)} values, expected one per layer, L = {L}"
        dWs = numeric_dWs(X, params, activation)
        if close(got, dWs):
            continue
        if close(got[::-1], dWs):
            raise AssertionError(f"{where}: right values, wrong order: return layer 1 first, [std(dW[1]), ..., std(dW[L])]")
        if close(got, dWs, np.var):
            raise AssertionError(f"{where}: these are the variances of dW[l]; take the standard deviation, np.std")
        if close(got, [params[f"W{l}"] for l in range(1, L + 1)]):
            raise AssertionError(f"{where}: these are the std of the weights W[l], not of their gradients dW[l]")
        if close(got, [dW * m for dW in dWs]):
            raise AssertionError(f"{where}: every value is m = {m} times too large: C is a mean over the m examples, "
                                 "so each dW[l] carries the 1/m (BP4)")
        if close(got, [dW / m for dW in dWs]):
            raise AssertionError(f"{where}: every value is m = {m} times too small: the 1/m is in there twice; delta "
                                 "is per example (no 1/m), only dW[l] carries it")
        deltas = numeric_deltas(X, params, activation)
        if close(got, deltas) or close(got, [d / m for d in deltas]):
            raise AssertionError(f"{where}: these are the std of the errors delta[l] (n[l], m); take the std of "
                                 "dW[l] = (1/m) delta[l] @ A[l-1].T (n[l], n[l-1])")
        named = slip_named(gradient_stds, L)
        if named:
            raise AssertionError(f"{where}: {named}")
        if close(got[-1:], dWs[-1:]):
            hint = "dW[L] is right but a layer below is not: look at how (BP2) carries delta down"
        else:
            hint = "dW[L] is already off: check your delta[L] for this cost (derive dloss/dA[L] entry by entry)"
        check.check_array(np.array(got, dtype=float), np.array([np.std(dW) for dW in dWs]), name=f"{where}: {hint}",
                          m=m)

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_cost(X, params, activation):
        A = X
        for l in range(1, len(params) // 2 + 1):
            A = functions[activation][0](params[f"W{l}"] @ A + params[f"b{l}"])
        return float(np.sum(A)) / X.shape[1]

    def _h_central(X, params, activation, eps=1e-6):
        """Every dW[l] by central differences of C, entry by entry (tiny nets only)."""
        out = []
        for l in range(1, len(params) // 2 + 1):
            W = params[f"W{l}"]
            dW = np.zeros(W.shape)
            for index in np.ndindex(W.shape):
                plus, minus = W.copy(), W.copy()
                plus[index] += eps
                minus[index] -= eps
                dW[index] = (_h_cost(X, {**params, f"W{l}": plus}, activation)
                             - _h_cost(X, {**params, f"W{l}": minus}, activation)) / (2 * eps)
            out.append(dW)
        return out

    def _h_per_example(X, params, activation):
        """Every dW[l] as the mean of one-example gradients, the error carried down as a row vector."""
        g = functions[activation][0]
        g_prime = {"tanh": lambda z: 1 - np.tanh(z) ** 2, "relu": lambda z: (z > 0).astype(float),
                   "sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "identity": np.ones_like}[activation]
        L, m = len(params) // 2, X.shape[1]
        dW = [np.zeros(params[f"W{l}"].shape) for l in range(1, L + 1)]
        for i in range(m):
            a, zs, as_ = X[:, i], [], [X[:, i]]
            for l in range(1, L + 1):
                z = params[f"W{l}"] @ a + params[f"b{l}"][:, 0]
                a = g(z)
                zs.append(z)
                as_.append(a)
            row = np.ones(len(zs[-1]))                       # dloss/dA[L] for this example
            for l in range(L, 0, -1):
                row = row * g_prime(zs[l - 1])               # now dloss/dZ[l]
                dW[l - 1] += np.outer(row, as_[l - 1]) / m
                row = row @ params[f"W{l}"]                  # dloss/dA[l-1]
        return dW

    def _h_ok(got, arrays):
        got = np.array([float(s) for s in got])
        return any(np.allclose(got, [np.std(a, ddof=ddof) for a in arrays], rtol=1e-5, atol=1e-10)
                   for ddof in (0, 1))

    _h_rng = np.random.default_rng(5454)
    # Tiny nets against central differences (ReLU drawn again until no Z[l] sits near its kink).
    for trial in range(8):
        activation = ["sigmoid", "tanh", "identity", "relu"][trial % 4]
        while True:
            depth = int(_h_rng.integers(1, 4))
            sizes = [int(n) for n in _h_rng.integers(2, 5, size=depth + 1)]
            params = {}
            for l in range(1, depth + 1):
                params[f"W{l}"] = _h_rng.standard_normal((sizes[l], sizes[l - 1]))
                params[f"b{l}"] = 0.5 * _h_rng.standard_normal((sizes[l], 1))
            X = _h_rng.standard_normal((sizes[0], int(_h_rng.integers(1, 5))))
            _, _h_cache = forward(X, params, activation, activation)
            if activation != "relu" or all(np.min(np.abs(_h_cache[f"Z{l}"])) > 1e-3 for l in range(1, depth + 1)):
                break
        got = gradient_stds(X, params, activation)
        assert len(got) == depth and _h_ok(got, _h_central(X, params, activation)), \
            f"wrong standard deviations (layer sizes {sizes}, m = {X.shape[1]}, {activation!r})"
    # Larger nets, saturated ones included, against one-example gradients.
    for trial in range(12):
        activation = ["tanh", "relu", "sigmoid", "identity"][trial % 4]
        depth = int(_h_rng.integers(1, 8))
        sizes = [int(n) for n in _h_rng.integers(2, 30, size=depth + 1)]
        m = [1, 4, 50][trial % 3]
        scale = [0.5, 1.0, 2.0, 6.0][trial // 3]
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = _h_rng.standard_normal((sizes[l], sizes[l - 1])) * scale / np.sqrt(sizes[l - 1])
            params[f"b{l}"] = 0.3 * _h_rng.standard_normal((sizes[l], 1))
        X = _h_rng.standard_normal((sizes[0], m))
        saved = (X.copy(), {k: v.copy() for k, v in params.items()})
        got = gradient_stds(X, params, activation)
        desc = f"layer sizes {sizes}, m = {m}, {activation!r}"
        assert isinstance(got, (list, tuple, np.ndarray)) and np.ndim(got) == 1 and len(got) == depth, \
            f"not a list of {depth} floats ({desc})"
        assert np.all(np.isfinite([float(s) for s in got])), f"NaN or inf ({desc})"
        assert _h_ok(got, _h_per_example(X, params, activation)), f"wrong standard deviations ({desc})"
        assert np.array_equal(X, saved[0]) and all(np.array_equal(params[k], v) for k, v in saved[1].items()), \
            f"X or params modified ({desc})"
### END HIDDEN TESTS

check.passed("gradient_stds: the backward pass through every layer, one std of dW[l] per layer, layer 1 first.")

# %% [markdown]
# ### Vanishing, exploding and steady gradients
#
# A ten-layer network of 256 units per layer, 128 examples whose 256 inputs are uniform on
# $[0, 1]$ (like pixel intensities), and five pairs of activation and start. Each line is the
# `gradient_stds` of one network, on a logarithmic axis.

# %% tags=["demo"]
grad_sizes = [256] * 11                                    # n[0] = 256 inputs, L = 10 layers of 256
X_grad = np.random.default_rng(4).uniform(0, 1, size=(256, 128))
combinations = [("sigmoid", "Xavier"), ("tanh", "Xavier"), ("relu", "He"), ("relu", "normal σ = 0.01"),
                ("tanh", "normal σ = 1")]
try:
    measured = {(activation, name): gradient_stds(X_grad, initialisers[name](grad_sizes, np.random.default_rng(5)),
                                                  activation)
                for activation, name in combinations}
except NotImplementedError:
    print("Write init_normal, init_xavier, init_he and gradient_stds above to see this plot.")
else:
    fig, ax = plt.subplots(figsize=(10, 4.2))
    for (activation, name), stds in measured.items():
        ax.semilogy(np.arange(1, len(stds) + 1), stds, "o-", label=f"{activation}, {name}")
        print(f"{activation:>7}, {name:<15} std of dW[1] / std of dW[10]: {stds[0] / stds[-1]:.2g}, "
              f"typical std of dW[l-1] / std of dW[l]: {np.median(np.divide(stds[:-1], stds[1:])):.2f}")
    ax.set(xlabel="layer l", ylabel="std of dW[l]", title="Gradient size per layer at the start of training",
           xticks=range(1, len(grad_sizes)))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
    plt.tight_layout()
    plt.show()

# %% [markdown]
# Read the lines from right (output) to left (input).
#
# - **Sigmoid with Xavier** loses a factor of about 4 at every layer below the last, as the bound
#   $\frac14$ on sigmoid's derivative predicts: the first layer's gradient is some $10^5$ times
#   smaller than the last layer's, and one learning rate cannot suit both ends. (The last layer's own
#   value is low for another reason: there $\delta^{[L]} = \mathrm{sigmoid}'(Z^{[L]})$ is close to $0.2$
#   everywhere, so the entries of $dW^{[L]}$ are large but alike, and their standard deviation small.)
# - **Tanh with Xavier** and **ReLU with He** stay within a factor of 2 across the ten layers.
# - **ReLU with $\sigma = 0.01$** has exactly the shape of He's line, some $3 \cdot 10^8$ times lower. With
#   zero biases ReLU layers scale along with their weights, $\mathrm{relu}(cz) = c\,\mathrm{relu}(z)$ for
#   $c > 0$: shrinking every weight by $c$ shrinks each $A^{[l-1]}$ by $c^{l-1}$ and each $\delta^{[l]}$ by
#   $c^{L-l}$, so every $dW^{[l]}$ by the same $c^{L-1}$. Here $c = 0.01/\sqrt{2/256} \approx 0.11$ and
#   $c^9 \approx 3 \cdot 10^{-9}$: every gradient is tiny.
# - **Tanh with $\sigma = 1$** explodes towards the input. $W^{[l]T}$ multiplies the variance of
#   $\delta$ by $n\sigma^2 = 256$ at every layer, and $\tanh'(Z) \approx 0$ on the saturated units takes
#   back only part of it: the gradient grows by a factor of about 3 per layer.
#
# The sigmoid result is one reason ReLU-like activations replaced sigmoid in hidden layers. Sigmoid
# remains the natural *output* for a yes/no question, where its derivative cancels against the
# cross-entropy (notebook 03).

# %% [markdown]
# ### Written question 3: twice as deep [2 points, graded by hand]
#
# Double the depth of the sigmoid network of the plot: twenty layers of 256 units, Xavier weights,
# the same inputs and cost.
#
# - **(a)** Predict, to within a factor of ten, how many times smaller the standard deviation of
#   $dW^{[1]}$ is than that of $dW^{[19]}$. Say which per-layer factor you used and where it comes from.
# - **(b)** With Xavier and equal widths every layer's weights start about the same size. Suppose the
#   learning rate is set so that one step moves the weights of layer 19 by about 1 % of their size.
#   About how many steps does layer 1 need to move by 1 % of its size, and what does that mean for
#   what the first layers learn?

# %% [markdown] answer="twenty_sigmoid_layers" points=2
# ### BEGIN SOLUTION
# **Model answer.** (a) Below the last layer each sigmoid layer divides the gradient's standard
# deviation by about 4 (the bound $\mathrm{sigmoid}' \le \frac14$ with Xavier's $n\sigma^2 \approx 1$; the plot
# above prints a typical ratio near 0.23). From layer 19 down to layer 1 there are 18 such layers, so
# the ratio is about $4^{18} \approx 7 \cdot 10^{10}$; measured with `gradient_stds` it is about
# $1.6 \cdot 10^{11}$ (a factor of about 4.2 per layer). (b) A step moves each weight by $\eta$ times its
# gradient, so layer 1 moves some $10^{11}$ times less than layer 19: about $10^{11}$ steps for 1 %, far
# beyond any training run (at 10,000 steps a second, several months). The first layers keep their
# random initial weights: they act as a fixed random feature map, and only the top layers learn.
# Raising $\eta$ enough to move them would make the steps of the top layers $10^{11}$ times too large.
#
# **Rubric.**
# - [1 point] (a) a factor of about 4 per layer (from $\mathrm{sigmoid}' \le \frac14$ or from the plot) over
#   18 layers: roughly $10^{10}$ to $10^{11}$ ($4^{18} \approx 7 \cdot 10^{10}$).
# - [1 point] (b) the same number, about $10^{10}$ to $10^{11}$ steps, with the consequence: the first
#   layers stay at their random start (only the top layers learn), and no single learning rate fixes it.
# ### END SOLUTION

# %% [markdown]
# ## 6. Does it matter for training?
#
# The statistics above describe the network before the first step. The real test is training. Here
# the same deep ReLU network, `[64]` followed by eight hidden layers of 64 units and a softmax
# over the 10 digit classes, trains on the 8x8 digits for 12 epochs of mini-batch gradient descent
# (batches of 128, learning rate 0.1), from four different starts. Each point is the mean training
# cost of one epoch.

# %% tags=["demo"]
X_train, Y_train, X_test, Y_test = data.load_digits(rng=np.random.default_rng(0))
digit_sizes = [64] + [64] * 8 + [10]
starts = {"zeros": lambda sizes, rng: init_zeros(sizes), "normal σ = 0.01": initialisers["normal σ = 0.01"],
          "Xavier": init_xavier, "He": init_he}
runs = {}
for name, init in starts.items():
    try:
        params0 = init(digit_sizes, np.random.default_rng(6))
    except NotImplementedError:
        print(f"({name}: write its initialiser above to include it)")
        continue
    params, history = train_epochs(X_train, Y_train, params0, 12, 128, 0.1, np.random.default_rng(7),
                                   "relu", "softmax", "cross_entropy")
    test_accuracy = np.mean(np.argmax(forward(X_test, params, "relu", "softmax")[0], axis=0)
                            == np.argmax(Y_test, axis=0))
    runs[name] = (history, test_accuracy)
if runs:
    fig, ax = plt.subplots(figsize=(8, 4.2))
    # zeros and σ = 0.01 both stay at ln 10: wide dashes for one, so that the other shows through
    styles = {"zeros": {"linestyle": (0, (6, 4)), "marker": "s", "linewidth": 3, "alpha": 0.6, "zorder": 3}}
    for name, (history, test_accuracy) in runs.items():
        ax.plot(np.arange(1, len(history) + 1), history, **{"marker": "o", **styles.get(name, {})},
                label=f"{name}: test accuracy {test_accuracy:.0%}")
    ax.axhline(np.log(10), color="gray", linestyle=":", label="ln 10: guessing uniformly")
    ax.set(xlabel="epoch", ylabel="mean training cost (cross-entropy)", yscale="log",
           title="A 9-layer ReLU network on the digits, from different starts")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    plt.tight_layout()
    plt.show()

# %% [markdown]
# The all-zero start goes nowhere: every hidden activation is 0 and (section 1) only the output
# bias learns, which leaves the cost at about $\ln 10 \approx 2.30$, the cost of guessing every class
# with probability $\frac1{10}$. The $\sigma = 0.01$ start is stuck at the same place, for a different
# reason: its signal and gradients have vanished, and the updates are too small to find a way out in
# twelve epochs. Xavier and He both train, but Xavier's signal halves in variance at every ReLU layer
# and it starts slowly; He, made for ReLU, is well on its way after a few epochs. (The occasional
# bump is a step that overshot: deep networks trained with a fixed learning rate are touchy, one of
# the motivations for the optimisers of notebook 07.)

# %% [markdown]
# ## 7. Explore
#
# The explorer below builds a deep network of equal-width layers with the same activation in every
# layer and zero biases, runs one batch of standard-normal inputs forward and a random error
# backward, and draws, for every layer, the histogram of the activations $A^{[l]}$ (left), the
# histogram of the backpropagated errors $\delta^{[l]}$ (middle) and both standard deviations
# (right, logarithmic). The controls:
#
# - **weight scale** $s$: with "init" set to "scale slider", $W^{[l]} \sim \mathcal{N}\big(0, s^2/n^{[l-1]}\big)$,
#   so $s = 1$ is Xavier's variance for equal widths and $s = \sqrt 2 \approx 1.41$ is He's;
# - **depth** (1 to 20 layers), **width** (units per layer) and the **activation**;
# - **init**: one of your initialisers instead of the slider (those you have not written yet are
#   marked).
#
# Things to try: find the range of $s$ in which a 20-layer tanh network neither fades nor
# saturates; compare Xavier and He with ReLU at depth 20; watch the errors of a sigmoid network
# shrink towards layer 1 whatever the scale.

# %% tags=["demo"]
try:
    from course import widgets

    # The explorer opens on the first initialiser that works (or on the scale slider if none does yet).
    explorer = widgets.InitializationExplorer(init_fns={
        "xavier": init_xavier,
        "he": init_he,
        "normal(0.01)": lambda sizes, rng: init_normal(sizes, 0.01, rng),
        "zeros": init_zeros,
    })
    explorer.show()
except NotImplementedError:
    print("Write the four initialisers above to use the explorer.")
except (ImportError, AttributeError) as err:
    print(f"The interactive explorer is not available here ({err}).")

# %% [markdown]
# ## Summary
#
# - All-zero weights, or any single shared constant, make the units of a hidden layer twins, and
#   gradient descent keeps them twins: random weights are needed to break the symmetry. Biases may
#   start at zero.
# - At initialisation, $\operatorname{Var}(Z^{[l]}) = n^{[l-1]}\sigma^2\,\mathbb{E}[(A^{[l-1]})^2]$: with a
#   fixed $\sigma$ the signal shrinks or grows geometrically with depth, and the gradients follow.
# - Xavier/Glorot, $\operatorname{Var}(W^{[l]}) = \frac{2}{n^{[l]} + n^{[l-1]}}$, suits tanh (and sigmoid);
#   He, $\operatorname{Var}(W^{[l]}) = \frac{2}{n^{[l-1]}}$, suits ReLU. Both scale the weights by the
#   layer widths.
# - Sigmoid's derivative is at most $\frac14$, so with Xavier's scale the gradients of a deep
#   sigmoid network shrink by at least 4 per layer towards the input; larger weights offset that only
#   by saturating the units.
# - `activation_stds` and `gradient_stds` are a cheap health check for any new architecture: the
#   numbers should stay roughly level from layer to layer.
#
# Next, notebook 06: a network that fits its training data too well, and how to rein it in.
