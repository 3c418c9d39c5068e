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
# # 06 · Regularisation: L2 weight decay, dropout and early stopping
#
# A network with thousands of weights can memorise a training set of sixty points, noise and all.
# It then scores perfectly on the points it was trained on and noticeably worse on new ones. This
# notebook makes that happen on purpose and then tries three standard cures, each a few lines of
# NumPy.
#
# **What you will learn**
# - what over-fitting looks like: training accuracy near 100 %, test accuracy well below it, and a
#   test loss that rises while the training loss keeps falling;
# - the L2 penalty $\frac{\lambda}{2}\sum_l \lVert W^{[l]}\rVert_F^2$, its gradient $\lambda W^{[l]}$,
#   why biases are left out, and why the same thing is called *weight decay*;
# - inverted dropout: switching hidden units off at random during training, and why dividing by
#   the keep probability means nothing changes at test time;
# - early stopping: watching a validation set and keeping the weights from its best epoch.
#
# **What you will write** (9 points, and three written answers graded by hand, 6 points)
#
# | function | points |
# |---|---|
# | `l2_cost(cost, params, lambd)` | 1.5 |
# | `l2_gradients(grads, params, lambd)` | 1.5 |
# | `dropout_forward(A, keep_prob, rng)` | 1.5 |
# | `dropout_backward(dA, mask, keep_prob)` | 1.5 |
# | `backward_train(Y, params, cache, masks, keep_prob, lambd)`: both, through every layer | 2 |
# | `early_stopping_epoch(val_losses, patience)` | 1 |
#
# Write each function in its answer cell, then run the test cell right below it. (The argument is
# called `lambd` because `lambda` is a reserved word in Python.)

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
# ## Given: a small trainer with hooks for your functions
#
# The next cell is **given**: run it, do not edit it. It holds a complete binary classifier in
# plain NumPy, the same pieces you wrote in notebooks 02 to 04: ReLU hidden layers, a sigmoid output,
# the binary cross-entropy cost (a mean over the $m$ columns), He initialisation and **full-batch**
# gradient descent, so here one epoch is exactly one gradient step.
#
# `train_net(X, Y, layer_sizes, epochs, lr, rng, lambd=0.0, keep_prob=1.0, monitor=None)` returns
# `(params, history)`. It has two switches, and each one calls functions that **you** write below:
#
# | switch | what the trainer does | your functions it calls |
# |---|---|---|
# | `lambd > 0` | adds the L2 penalty to the cost and its gradient to every `dW` | `l2_cost`, `l2_gradients` |
# | `keep_prob < 1` | applies dropout to every hidden layer (never to the input or the output) and backpropagates through it and the penalty | `dropout_forward`, `backward_train` (which calls `dropout_backward`) |
#
# With `lambd=0` and `keep_prob=1` it needs none of them, which is how section 1 runs before you
# have written anything: its backward pass is then the given `backward_plain`, notebook 04's
# `backward_batch` for this network. `monitor={"train": (X, Y), "test": (X_test, Y_test)}` makes it record,
# after every epoch, the loss and accuracy on each named set (without dropout, and without the
# penalty: the plain data loss) under `history["train_loss"]`, `history["test_acc"]` and so on;
# `history["cost"]` is the cost that gradient descent actually minimised at each epoch.
# `predict_proba(X, params)` gives the probabilities of class 1, shape `(1, m)`,
# `numerical_grads(cost, params)` the central differences of a cost for every parameter (notebook
# 03's gradient check, entry by entry), and `plot_boundary` draws a trained network's decision
# boundary.

# %%
# ---------------------------------------------------------------- GIVEN: a binary classifier
# Shapes: X = A0 is (n[0], m); W[l] is (n[l], n[l-1]); b[l] is (n[l], 1); Z[l], A[l] are (n[l], m).


def sigmoid(z):
    """1 / (1 + e^-z), computed without overflow for any z."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z):
    """1 where z > 0, else 0 (so relu'(0) = 0)."""
    return (z > 0).astype(z.dtype)


def bce_loss(AL, Y):
    """Binary cross-entropy, mean over the m columns, as a Python float. AL, Y: (1, m)."""
    m = Y.shape[1]
    A = np.clip(AL, 1e-15, 1 - 1e-15)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)


def accuracy(AL, Y):
    """Fraction of the m columns on the right side of the 0.5 threshold."""
    return float(np.mean((AL >= 0.5) == (Y >= 0.5)))


def init_params(layer_sizes, rng):
    """He initialisation: W[l] ~ N(0, 2 / n[l-1]), b[l] = 0."""
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = rng.standard_normal((layer_sizes[l], layer_sizes[l - 1])) * np.sqrt(2 / layer_sizes[l - 1])
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
    return params


def forward_train(X, params, keep_prob=1.0, rng=None, masks=None):
    """Forward pass; with keep_prob < 1, inverted dropout on every hidden layer.

    Returns AL (1, m), cache {"A0", "Z1", "A1", ...} and masks {"D1": mask of hidden layer 1, ...},
    each mask (n[l], m) of 0s and 1s. cache[f"A{l}"] holds the activation AFTER dropout: that is
    what the next layer receives. New masks come from your dropout_forward; pass masks= to reuse
    given ones instead (a gradient check needs the same masks on every evaluation of the cost).
    """
    L = len(params) // 2
    cache, drawn = {"A0": X}, {}
    A = X
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        if l < L:
            A = relu(Z)
            if masks is not None and f"D{l}" in masks:
                drawn[f"D{l}"] = masks[f"D{l}"]
                A = A * masks[f"D{l}"] / keep_prob
            elif masks is None and keep_prob < 1:
                A, drawn[f"D{l}"] = dropout_forward(A, keep_prob, rng)
        else:
            A = sigmoid(Z)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache, drawn


def backward_plain(Y, params, cache):
    """Gradients of the mean BCE cost (sigmoid output, ReLU hidden) without dropout or penalty:
    notebook 04's backward_batch for this network. Returns {"dW1": ..., "db1": ..., ...}."""
    L = len(params) // 2
    m = Y.shape[1]
    delta = cache[f"A{L}"] - Y
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = delta @ cache[f"A{l - 1}"].T / m
        grads[f"db{l}"] = np.sum(delta, axis=1, keepdims=True) / m
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * relu_prime(cache[f"Z{l - 1}"])
    return grads


def numerical_grads(cost, params, eps=1e-6):
    """Central differences of cost(params) -> float for every entry of every parameter (notebook 03's
    gradient check, entry by entry): {"dW1": ..., "db1": ...} shaped like params."""
    grads = {}
    for key, value in params.items():
        grads["d" + key] = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[index] += eps
            minus[index] -= eps
            grads["d" + key][index] = (cost({**params, key: plus}) - cost({**params, key: minus})) / (2 * eps)
    return grads


def predict_proba(X, params):
    """Probability of class 1 for each column of X (n[0], m) -> (1, m). No dropout at test time."""
    return forward_train(X, params)[0]


def train_net(X, Y, layer_sizes, epochs, lr, rng, lambd=0.0, keep_prob=1.0, monitor=None):
    """Full-batch gradient descent on the BCE cost, optionally with L2 (lambd > 0) and dropout (keep_prob < 1).

    rng: numpy Generator for the initial weights and the dropout masks (same seed, same run).
    monitor: optional {name: (X_set, Y_set)}; after every epoch history[f"{name}_loss"] and
             history[f"{name}_acc"] get the plain BCE loss and the accuracy on that set.
    Returns (params, history) with history["cost"] the minimised cost of each epoch.
    """
    params = init_params(layer_sizes, rng)
    history = {"cost": []}
    for name in monitor or {}:
        history[f"{name}_loss"], history[f"{name}_acc"] = [], []
    for _ in range(epochs):
        AL, cache, masks = forward_train(X, params, keep_prob, rng)
        cost = l2_cost(bce_loss(AL, Y), params, lambd) if lambd > 0 else bce_loss(AL, Y)
        if keep_prob < 1:  # your exercise 5: dropout and the L2 term, through every layer
            grads = backward_train(Y, params, cache, masks, keep_prob, lambd)
        else:              # sections 1 and 2 run before you write it
            grads = backward_plain(Y, params, cache)
            if lambd > 0:
                grads = l2_gradients(grads, params, lambd)
        history["cost"].append(cost)
        params = {key: params[key] - lr * grads["d" + key] for key in params}
        for name, (X_set, Y_set) in (monitor or {}).items():
            A_set = predict_proba(X_set, params)
            history[f"{name}_loss"].append(bce_loss(A_set, Y_set))
            history[f"{name}_acc"].append(accuracy(A_set, Y_set))
    return params, history


def plot_boundary(ax, params, X, Y, title, X_new=None, Y_new=None):
    """Shade P(class 1) (blue) over the plane, draw the 0.5 contour, the points (X, Y) as dots and,
    if given, other points (X_new, Y_new) as small faint triangles. Class 0 is red, class 1 blue."""
    x1, x2 = np.meshgrid(np.linspace(-1.9, 2.9, 150), np.linspace(-1.4, 1.9, 110))
    P = predict_proba(np.vstack([x1.ravel(), x2.ravel()]), params).reshape(x1.shape)
    ax.contourf(x1, x2, P, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.5)
    ax.contour(x1, x2, P, levels=[0.5], colors="k", linewidths=1.5)
    if X_new is not None:
        ax.scatter(X_new[0], X_new[1], c=Y_new[0], cmap="RdBu", vmin=0, vmax=1, marker="^", s=10, alpha=0.35)
    ax.scatter(X[0], X[1], c=Y[0], cmap="RdBu", vmin=0, vmax=1, edgecolors="k", s=28)
    ax.set(title=title, xticks=[], yticks=[])


# %% [markdown]
# ## 1. Over-fitting, on purpose
#
# The two moons again, but only **60** training points, with enough noise that the moons overlap
# where they interlock. Two more sets come from the same distribution with other seeds: 200
# *validation* points (used in section 4 to decide when to stop) and 500 *test* points that play
# the part of "new data" and are never used for any decision.
#
# The network `[2, 64, 64, 1]` has $2\cdot 64 + 64 + 64\cdot 64 + 64 + 64 + 1 = 4{,}417$ parameters
# (the first cell below counts them), more than seventy per training point. Nothing stops it from
# bending its decision boundary until every training point is on its own side, and with enough
# epochs that is what gradient descent does. The first cell below makes the three sets; the second
# trains the network for 3,000 epochs and records the loss and accuracy on all three sets after
# every epoch (about two seconds).

# %%
X_train, Y_train = data.make_moons(60, 0.25, np.random.default_rng(1))      # (2, 60), (1, 60)
X_val, Y_val = data.make_moons(200, 0.25, np.random.default_rng(1001))      # (2, 200), (1, 200)
X_test, Y_test = data.make_moons(500, 0.25, np.random.default_rng(2001))    # (2, 500), (1, 500)
SIZES = [2, 64, 64, 1]     # wide for 60 points
EPOCHS, LR = 3000, 0.1     # full batch: one epoch is one gradient step
n_parameters = sum(n_out * n_in + n_out for n_in, n_out in zip(SIZES[:-1], SIZES[1:]))
print(f"{n_parameters:,} parameters, {n_parameters / X_train.shape[1]:.1f} per training point")

# %% tags=["demo"]
plain_params, plain_history = train_net(
    X_train, Y_train, SIZES, EPOCHS, LR, np.random.default_rng(2),
    monitor={"train": (X_train, Y_train), "val": (X_val, Y_val), "test": (X_test, Y_test)})
print(f"after {EPOCHS} epochs: training accuracy {plain_history['train_acc'][-1]:.3f}, "
      f"test accuracy {plain_history['test_acc'][-1]:.3f}")

epochs_axis = np.arange(1, EPOCHS + 1)
fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6))   # the width of a notebook page
plot_boundary(axes[0], plain_params, X_train, Y_train, "No regularisation\n(dots: training, triangles: test)",
              X_test, Y_test)
axes[1].plot(epochs_axis, plain_history["train_loss"], label="training set")
axes[1].plot(epochs_axis, plain_history["test_loss"], label="test set")
axes[1].set(xlabel="epoch", ylabel="binary cross-entropy", title="Loss", xscale="log")
axes[2].plot(epochs_axis, plain_history["train_acc"], label="training set")
axes[2].plot(epochs_axis, plain_history["test_acc"], label="test set")
axes[2].set(xlabel="epoch", ylabel="accuracy", title="Accuracy", xscale="log")
for ax in axes[1:]:
    ax.grid(True, alpha=0.3)
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the three panels together:
#
# - **Left.** Every training point (dot) is on its own side: the boundary squeezes between the
#   points where the moons interlock and bends to take in the last few stragglers. The test points
#   (faint triangles) do not follow those bends: they spill across the boundary wherever it was
#   drawn to suit a handful of noisy training points.
# - **Middle.** The training loss heads towards zero. The test loss falls with it for the first
#   thousand epochs or so, then turns and climbs: the network grows ever more confident about its
#   training points, noisy ones included, and pays for that confidence on new points. (The epoch
#   axis is logarithmic. Where the curves thicken into a band, gradient descent is overshooting
#   back and forth across a narrow valley of the cost; it settles again. Notebook 07 is about step
#   sizes.)
# - **Right.** Training accuracy reaches 100 %. Test accuracy peaks at about the same time as the
#   test loss bottoms out, then slips back.
#
# That gap between training and test performance is **over-fitting**: the model has more freedom
# than the data can pin down, and it spends the extra freedom on the noise of this one sample. More
# data is the best cure, and often not available. The rest of this notebook takes away some of the
# freedom instead, in three different ways.

# %% [markdown]
# ## 2. L2 regularisation
#
# Large weights make sharp functions: a small move of the input can swing a unit with a big weight
# from off to fully on, and sharp detours around single points need exactly that. L2
# regularisation adds a price for large weights to the cost,
#
# $$C_{L2} = C + \frac{\lambda}{2}\sum_{l=1}^{L} \big\lVert W^{[l]} \big\rVert_F^2,
# \qquad \big\lVert W^{[l]} \big\rVert_F^2 = \sum_{j}\sum_{k} \big(W^{[l]}_{jk}\big)^2,$$
#
# where $C$ is the usual mean loss over the batch, $\lVert\cdot\rVert_F$ is the Frobenius norm (the
# square root of the sum of squares of every entry) and $\lambda \ge 0$ sets the price.
# $\lambda = 0$ is the plain cost; a huge $\lambda$ squeezes every weight towards zero and the
# network can no longer fit anything. The useful values lie in between and have to be found by
# trying (section 5 lets you try).
#
# **The biases are not penalised.** A bias only shifts a unit's threshold; it does not make the
# function any steeper, so shrinking it buys no smoothness and can only hurt the fit. There are also
# few of them (one per unit, against $n^{[l-1]}$ weights per unit).

# %% [markdown]
# ### Exercise 1: `l2_cost` [1.5 points]
#
# Return $C + \frac{\lambda}{2}\sum_l \lVert W^{[l]}\rVert_F^2$ as a Python `float`. The network may
# have any number of layers: `params` holds `"W1"`, `"b1"`, ..., `"WL"`, `"bL"`, and only the `W`s
# count. `np.sum(W * W)` is the squared Frobenius norm of `W`.

# %% solution="l2_cost"
def l2_cost(cost, params, lambd):
    """The cost plus the L2 penalty on the weights.

    Inputs:
        cost:   float, the data cost C (a mean over the batch)
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
        lambd:  float >= 0, the regularisation strength lambda
    Returns:
        float: C + (lambd / 2) * sum over l of ||W[l]||_F^2  (biases are not penalised)
    """
    ### BEGIN SOLUTION
    penalty = 0.0
    for key, value in params.items():
        if key.startswith("W"):
            penalty += float(np.sum(value * value))
    return float(cost) + lambd / 2 * penalty
    ### END SOLUTION


# %% test="l2_cost" points=1.5
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _l2_cost_hint(got, cost, params, lambd, label):
        """Name the usual mistakes before the plain comparison."""
        weights = [v for k, v in params.items() if k.startswith("W")]
        biases = [v for k, v in params.items() if k.startswith("b")]
        sq_w = sum(float(np.sum(W * W)) for W in weights)
        sq_b = sum(float(np.sum(b * b)) for b in biases)
        hints = [
            (cost + lambd / 2 * (sq_w + sq_b), "the biases were penalised too: only the W's enter the penalty"),
            (cost + lambd * sq_w, "the penalty is twice too large: it is (lambd / 2) * sum ||W||_F^2"),
            (cost + lambd / 4 * sq_w, "the penalty is half too small: it is (lambd / 2) * sum ||W||_F^2"),
            (cost + lambd / 2 * sum(float(np.sqrt(np.sum(W * W))) for W in weights),
             "use the SQUARED Frobenius norm, np.sum(W * W), not the norm itself"),
            (lambd / 2 * sq_w, "you returned only the penalty: add it to cost"),
            (cost + lambd / 2 * float(np.sum(weights[0] * weights[0])),
             "only W1 was penalised: sum over every layer's W"),
            (cost, "the penalty is missing (lambd > 0 here)"),
            (cost + lambd / 2 * sum(float(np.sum(np.abs(W))) for W in weights),
             "that is a sum of absolute values (an L1 penalty): L2 sums the SQUARES, np.sum(W * W)"),
            (cost + lambd / 2 * sum(float(np.sum(W)) ** 2 for W in weights),
             "that squares the sum of the entries: ||W||_F^2 sums the squares of the entries, np.sum(W * W)"),
        ]
        want = cost + lambd / 2 * sq_w
        for value, hint in hints:
            if not np.isclose(value, want, rtol=1e-9) and np.isclose(got, value, rtol=1e-9):
                raise AssertionError(f"l2_cost ({label}): {hint}")

    # 1. One layer, small numbers: ||W1||_F^2 = 1 + 4 + 9 + 16 = 30, so 0.5 + (0.1 / 2) * 30 = 2.0.
    #    The bias is large on purpose: it must not count.
    _params = {"W1": np.array([[1.0, 2.0], [3.0, 4.0]]), "b1": np.array([[10.0], [-20.0]])}
    _got = check.check_not_mutated(l2_cost, 0.5, _params, 0.1,
                                   hint="read params, never write into it: the penalty needs only sums of squares")
    assert isinstance(_got, float), f"l2_cost should return a Python float, got {type(_got).__name__}: use float(...)"
    _l2_cost_hint(_got, 0.5, _params, 0.1, "one layer")
    check.check_scalar(_got, 2.0, "l2_cost on W1 = [[1, 2], [3, 4]], cost 0.5, lambd 0.1")

    # 2. Three layers of different shapes.
    _rng = np.random.default_rng(61)
    _sizes = [3, 4, 2, 1]
    _params = {}
    for _l in range(1, len(_sizes)):
        _params[f"W{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1]))
        _params[f"b{_l}"] = _rng.standard_normal((_sizes[_l], 1))
    _want = 1.25 + 0.7 / 2 * sum(np.sum(_params[f"W{_l}"] ** 2) for _l in (1, 2, 3))
    _got = check.check_not_mutated(l2_cost, 1.25, _params, 0.7,
                                   hint="read params, never write into it: the penalty needs only sums of squares")
    assert isinstance(_got, float), f"l2_cost should return a Python float, got {type(_got).__name__}: use float(...)"
    _l2_cost_hint(_got, 1.25, _params, 0.7, "layer sizes [3, 4, 2, 1]")
    check.check_scalar(_got, _want, "l2_cost for layer sizes [3, 4, 2, 1], cost 1.25, lambd 0.7")

    # 3. lambd = 0 gives back the plain cost.
    _got = l2_cost(1.25, _params, 0.0)
    check.check_scalar(_got, 1.25, "l2_cost with lambd = 0")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(6001)
    for _trial in range(8):
        _depth = [1, 2, 3, 5, 11, 2, 4, 1][_trial]       # 11 layers: keys W10 and W11 exist
        _sizes = [int(n) for n in _rng.integers(1, 7, size=_depth + 1)]
        _params = {}
        for _l in range(1, _depth + 1):
            _params[f"W{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1])) * _rng.uniform(0.1, 3)
            _params[f"b{_l}"] = _rng.standard_normal((_sizes[_l], 1)) * 5
        _cost = float(_rng.uniform(0, 3))
        _lambd = float(_rng.choice([0.0, 1e-3, 0.05, 0.5, 4.0]))
        _saved = {k: v.copy() for k, v in _params.items()}
        _got = l2_cost(_cost, _params, _lambd)
        _want = _cost + _lambd / 2 * sum(np.sum(v ** 2) for k, v in _params.items() if k[0] == "W")
        _desc = f"{_depth} layer(s), sizes {_sizes}, lambd {_lambd}"
        assert isinstance(_got, float), f"l2_cost must return a Python float ({_desc})"
        assert np.isclose(_got, _want, rtol=1e-9, atol=1e-12), (
            f"l2_cost is wrong for {_desc}: every layer's W, squared entries, times lambd / 2, no biases")
        assert all(np.array_equal(_params[k], v) for k, v in _saved.items()), f"l2_cost modified params ({_desc})"
    # An integer cost is still a cost.
    _got = l2_cost(2, {"W1": np.ones((2, 3)), "b1": np.ones((2, 1))}, 1.0)
    assert isinstance(_got, float) and np.isclose(_got, 5.0), "l2_cost(2, W1 = ones((2, 3)), lambd 1) should be 5.0"
### END HIDDEN TESTS

check.passed("l2_cost: the penalty covers every W, is squared and halved, and leaves the biases alone.")

# %% [markdown]
# ### The gradient of the penalty
#
# The penalty is a sum of squares of the entries of each $W^{[l]}$, so its derivative with respect to
# one entry is $\frac{\lambda}{2}\cdot 2\,W^{[l]}_{jk} = \lambda W^{[l]}_{jk}$, and the biases do not
# appear in it at all:
#
# $$\frac{\partial C_{L2}}{\partial W^{[l]}} = \frac{\partial C}{\partial W^{[l]}} + \lambda W^{[l]},
# \qquad \frac{\partial C_{L2}}{\partial b^{[l]}} = \frac{\partial C}{\partial b^{[l]}}.$$
#
# (The $\frac12$ in the penalty is there only to cancel this 2.) Backpropagation itself does not
# change: compute `grads` for $C$ as before, then add $\lambda W^{[l]}$ to each `dW`, a matrix of the
# same shape $(n^{[l]}, n^{[l-1]})$.
#
# **Another convention you will meet.** Many courses and papers write the penalty as
# $\frac{\lambda}{2m}\sum_l \lVert W^{[l]}\rVert_F^2$, with the $m$ of the training set, as if the penalty were
# one more term of the *sum* over the examples before dividing by $m$. Its gradient is then
# $\frac{\lambda}{m} W^{[l]}$ and its decay factor $1 - \eta\lambda/m$. Nothing else differs, but $\lambda$ means
# something else: their $\lambda$ is $m$ times ours for the same network ($\lambda_{\text{theirs}} = m\,
# \lambda_{\text{ours}}$; our $0.01$ on 60 points is their $0.6$), and with their $\lambda$ held fixed the
# penalty weakens as the training set grows. This course's penalty has **no** $1/m$: it is a price
# on the weights, independent of how many examples the mean cost $C$ averages over. A $\lambda$
# copied from elsewhere has to be converted first.

# %% [markdown]
# ### Exercise 2: `l2_gradients` [1.5 points]
#
# Return a **new** dict with the same keys as `grads`: `dW[l] + lambd * W[l]` under each `"dW{l}"`,
# and the `"db{l}"` entries unchanged. Do not modify `grads` or `params` (in particular, avoid
# `grads["dW1"] += ...`, which writes into the caller's array).

# %% solution="l2_gradients"
def l2_gradients(grads, params, lambd):
    """Gradients of the L2-regularised cost, from the gradients of the plain cost.

    Inputs:
        grads:  {"dW1": (n[1], n[0]), "db1": (n[1], 1), ..., "dWL", "dbL"}, gradients of C
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}
        lambd:  float >= 0
    Returns:
        new dict, same keys and shapes as grads: "dW{l}" -> dW[l] + lambd * W[l]; "db{l}" unchanged
    """
    ### BEGIN SOLUTION
    new_grads = {}
    for key, grad in grads.items():
        if key.startswith("dW"):
            new_grads[key] = grad + lambd * params[key[1:]]
        else:
            new_grads[key] = grad
    return new_grads
    ### END SOLUTION


# %% test="l2_gradients" points=1.5
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _l2_gradients_case(grads, params, lambd, label):
        got = check.check_not_mutated(
            l2_gradients, grads, params, lambd,
            hint="build each new entry as grads[key] + lambd * W (a new array); grads[key] += ... writes into the "
                 "caller's array, even in a copy made with dict(grads), which shares the arrays")
        assert isinstance(got, dict), f"l2_gradients ({label}): return a dict, got {type(got).__name__}"
        assert got is not grads, f"l2_gradients ({label}): return a NEW dict, not the grads you were given"
        expected = {k: (g + lambd * params[k[1:]] if k.startswith("dW") else g) for k, g in grads.items()}
        if set(got) == set(expected):
            for key, grad in grads.items():
                value = np.asarray(got[key])
                if value.shape != grad.shape:
                    continue  # check_dict below explains shapes
                param = params[key[1:]]
                if key.startswith("db") and np.allclose(value, grad + lambd * param) and not np.allclose(value, grad):
                    raise AssertionError(f"l2_gradients ({label}): {key} changed: biases are not penalised, "
                                         "so db stays exactly as it was")
                if key.startswith("dW") and not np.allclose(value, expected[key]):
                    for wrong, hint in [
                        (grad + lambd / 2 * param, "the derivative of (lambd / 2) * W**2 is lambd * W, not lambd / 2 * W"),
                        (grad - lambd * param, "sign flipped: the penalty's gradient is + lambd * W"),
                        (lambd * param, "you replaced dW by lambd * W: ADD lambd * W to the existing dW"),
                        (grad + 2 * lambd * param, "twice too much: the 1/2 in the penalty cancels the 2 of W**2"),
                        (grad, "dW did not change: add lambd * W to it"),
                        (grad + lambd * param ** 2, "the derivative of (lambd / 2) * W**2 is lambd * W, not lambd * W**2"),
                    ]:
                        if np.allclose(value, wrong):
                            raise AssertionError(f"l2_gradients ({label}): {key}: {hint}")
        check.check_dict(got, expected, name=f"l2_gradients ({label})")

    # 1. One layer: dW1 + 0.1 * W1; db1 stays as it is even though b1 is large.
    _params = {"W1": np.array([[1.0, 2.0], [3.0, 4.0]]), "b1": np.array([[10.0], [-20.0]])}
    _grads = {"dW1": np.array([[0.1, -0.2], [0.3, 0.0]]), "db1": np.array([[0.5], [-0.5]])}
    _l2_gradients_case(_grads, _params, 0.1, "one layer, lambd 0.1")

    # 2. Three layers of different shapes, the grads in the order backprop produces them (last layer first).
    _rng = np.random.default_rng(62)
    _sizes = [3, 5, 2, 1]
    _params, _grads = {}, {}
    for _l in range(1, len(_sizes)):
        _params[f"W{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1]))
        _params[f"b{_l}"] = _rng.standard_normal((_sizes[_l], 1))
    for _l in range(len(_sizes) - 1, 0, -1):
        _grads[f"dW{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1]))
        _grads[f"db{_l}"] = _rng.standard_normal((_sizes[_l], 1))
    _l2_gradients_case(_grads, _params, 0.3, "layer sizes [3, 5, 2, 1], lambd 0.3")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(6002)
    for _trial in range(8):
        _depth = [1, 2, 4, 11, 3, 1, 2, 5][_trial]
        _sizes = [int(n) for n in _rng.integers(1, 7, size=_depth + 1)]
        _params, _grads = {}, {}
        for _l in range(1, _depth + 1):
            _params[f"W{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1])) * 2
            _params[f"b{_l}"] = _rng.standard_normal((_sizes[_l], 1)) * 3
        _order = range(1, _depth + 1) if _trial % 2 else range(_depth, 0, -1)
        for _l in _order:
            _grads[f"dW{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1]))
            _grads[f"db{_l}"] = _rng.standard_normal((_sizes[_l], 1))
        _lambd = float(_rng.choice([0.0, 1e-3, 0.2, 2.5]))
        _saved = ({k: v.copy() for k, v in _grads.items()}, {k: v.copy() for k, v in _params.items()})
        _got = l2_gradients(_grads, _params, _lambd)
        _desc = f"{_depth} layer(s), sizes {_sizes}, lambd {_lambd}"
        assert isinstance(_got, dict) and _got is not _grads, f"l2_gradients must return a new dict ({_desc})"
        assert set(_got) == set(_grads), f"l2_gradients must keep the keys of grads ({_desc})"
        for _key, _g in _saved[0].items():
            _want = _g + _lambd * _saved[1][_key[1:]] if _key.startswith("dW") else _g
            _val = np.asarray(_got[_key])
            assert _val.shape == _want.shape, f"{_key} has shape {_val.shape}, expected {_want.shape} ({_desc})"
            assert np.allclose(_val, _want, rtol=1e-10, atol=1e-12), (
                f"{_key} is wrong ({_desc}): dW gets + lambd * W, db is unchanged")
        assert all(np.array_equal(_grads[k], v) for k, v in _saved[0].items()), f"grads modified ({_desc})"
        assert all(np.array_equal(_params[k], v) for k, v in _saved[1].items()), f"params modified ({_desc})"
### END HIDDEN TESTS

check.passed("l2_gradients: dW gains lambd * W, db is untouched, and the inputs are left alone.")

# %% [markdown]
# ### Why it is also called weight decay
#
# Put the new gradient into a gradient-descent step with learning rate $\eta$ (`lr`) and collect the
# terms in $W$:
#
# $$W \leftarrow W - \eta\Big(\frac{\partial C}{\partial W} + \lambda W\Big)
# = (1 - \eta\lambda)\,W - \eta\,\frac{\partial C}{\partial W}.$$
#
# Read from the right: the usual step, taken from a $W$ that has first been shrunk by the factor
# $1 - \eta\lambda$ (slightly less than 1). Every step, every weight *decays* a little towards zero,
# and only a steady pull from the data keeps it large. The two forms are the same arithmetic; the
# cell below checks it on one step of the given network, and also compares `l2_gradients` with
# central differences of `l2_cost`, the test from notebook 03 that a gradient matches its cost.
#
# (For plain gradient descent the two forms are identical. For optimisers that rescale the gradient,
# such as Adam in notebook 07, adding $\lambda W$ to the gradient and shrinking $W$ directly are no
# longer the same; "AdamW" is the name of the second choice.)

# %%
try:
    rng = np.random.default_rng(7)
    demo_params = init_params([2, 5, 3, 1], rng)
    for l in (1, 2, 3):  # non-zero biases keep pre-activations off ReLU's kink at exactly 0
        demo_params[f"b{l}"] = 0.1 * rng.standard_normal((demo_params[f"b{l}"].shape[0], 1))
    X_few, Y_few = X_train[:, :8], Y_train[:, :8]
    AL, cache, _ = forward_train(X_few, demo_params)
    plain_grads = backward_plain(Y_few, demo_params, cache)
    lr, lambd = 0.5, 0.1

    reg_grads = l2_gradients(plain_grads, demo_params, lambd)
    step_penalty = {k: demo_params[k] - lr * reg_grads["d" + k] for k in demo_params}
    step_decay = {k: ((1 - lr * lambd) * demo_params[k] if k.startswith("W") else demo_params[k])
                  - lr * plain_grads["d" + k] for k in demo_params}
    gap = max(np.max(np.abs(step_penalty[k] - step_decay[k])) for k in demo_params)
    print(f"one step, gradient form vs weight-decay form: largest difference {gap:.1e}")

    numeric = numerical_grads(lambda p: l2_cost(bce_loss(predict_proba(X_few, p), Y_few), p, lambd), demo_params)
    worst = max(float(np.max(np.abs(numeric[k] - reg_grads[k]))) for k in numeric)
    print(f"l2_gradients vs central differences of l2_cost: largest difference {worst:.1e}")
except NotImplementedError:
    print("Write l2_cost and l2_gradients above to run this check.")

# %% [markdown]
# ### L2 on the moons
#
# The same network, data, seed and number of epochs as in section 1, now with $\lambda = 0.01$ and
# with a ten times larger $\lambda = 0.1$. The titles show the accuracies, the loss on the test set
# and $\sum_l \lVert W^{[l]}\rVert_F^2$ at the end of training.

# %% tags=["demo"]
def weight_norm(params):
    """sum over l of ||W[l]||_F^2"""
    return sum(float(np.sum(params[k] ** 2)) for k in params if k.startswith("W"))


try:
    l2_params = {0.0: plain_params}
    for lambd in (0.01, 0.1):
        l2_params[lambd], _ = train_net(X_train, Y_train, SIZES, EPOCHS, LR, np.random.default_rng(2), lambd=lambd)
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.8))
    for ax, (lambd, params) in zip(axes, l2_params.items()):
        train_acc = accuracy(predict_proba(X_train, params), Y_train)
        test_acc = accuracy(predict_proba(X_test, params), Y_test)
        test_loss = bce_loss(predict_proba(X_test, params), Y_test)
        plot_boundary(ax, params, X_train, Y_train,
                      f"λ = {lambd}: accuracy train {train_acc:.3f}, test {test_acc:.3f}\n"
                      f"test loss {test_loss:.3f}, sum of ||W||² = {weight_norm(params):.1f}")
        ax.title.set_fontsize(9)
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write l2_cost and l2_gradients above to see this plot.")

# %% [markdown]
# With $\lambda = 0.01$ the squared weights add up to about a tenth of what they were, and the
# boundary is a few straight pieces instead of a curve hugging individual points. It still
# separates all 60 training points, but it no longer bets heavily on them: the test loss drops to
# well under half, and the test accuracy edges up. With $\lambda = 0.1$ weights are so expensive
# that the network settles for an almost straight line, and training and test accuracy fall
# together. That is *under-fitting*, the opposite failure. Regularisation gives up some fit to the
# training set in exchange for behaviour on new data, and $\lambda$ sets the exchange rate.

# %% [markdown]
# ### Written question 1: what the decay does to one weight [2 points, graded by hand]
#
# The runs above took 3,000 full-batch steps with $\eta = 0.1$. Use the weight-decay form of the step.
#
# - **(a)** A weight that the data never pull on ($\partial C/\partial W = 0$ at every step) starts at
#   $0.5$. What is it after the 3,000 steps with $\lambda = 0.01$, and with $\lambda = 0.1$?
# - **(b)** A weight that the data do pull on stops moving where its step is zero. If the data's
#   pull there is $\partial C/\partial W = -0.02$, where does it settle with $\lambda = 0.01$, and where
#   with $\lambda = 0.1$ if the pull stayed the same?
#
# Then say in one or two sentences what (a) and (b) predict for the boundary at $\lambda = 0.1$.

# %% [markdown] answer="decay_of_one_weight" points=2
# ### BEGIN SOLUTION
# **Model answer.** (a) Each step multiplies the weight by $1 - \eta\lambda$: after 3,000 steps
# $0.5 \cdot 0.999^{3000} \approx 0.5\, e^{-3} \approx 0.025$ for $\lambda = 0.01$, and
# $0.5 \cdot 0.99^{3000} \approx 0.5\, e^{-30} \approx 4 \cdot 10^{-14}$ for $\lambda = 0.1$: gone. (b) The step
# $-\eta(\partial C/\partial W + \lambda W)$ is zero at $W = -\frac{1}{\lambda}\,\partial C/\partial W$, that is
# $0.02 / 0.01 = 2$ with $\lambda = 0.01$ and $0.02 / 0.1 = 0.2$ with $\lambda = 0.1$: ten times smaller.
# So at $\lambda = 0.1$ every weight the data do not need vanishes, and even the useful ones are about
# ten times smaller. With small weights every unit stays in a narrow, nearly linear range and the
# output changes only slowly with the input, so the network draws an almost straight boundary and
# under-fits, as in the right-hand plot.
#
# **Rubric.**
# - [1 point] (a) the factor $(1 - \eta\lambda)^{3000}$: about $0.025$ for $\lambda = 0.01$ and about
#   $4 \cdot 10^{-14}$ (essentially zero) for $\lambda = 0.1$.
# - [1 point] (b) $W = -\frac1\lambda\,\partial C/\partial W$: $2$ and $0.2$, with the prediction: small weights
#   give a slowly varying, nearly linear function, so an almost straight boundary (under-fitting).
# ### END SOLUTION

# %% [markdown]
# ## 3. Dropout
#
# Dropout takes a different route to the same goal. In every training step, each hidden unit is
# switched off (its activation set to 0) with probability $1 - p$, independently of all others and
# afresh for every example and every step; $p$ is the **keep probability** `keep_prob`. A unit can
# then never rely on one particular partner being present, so the network cannot build the fragile
# co-adapted combinations that memorising single points needs. One way to picture it: every step
# trains a different thinned sub-network, and all of them share weights.
#
# For a hidden activation $A^{[l]}$ of shape $(n^{[l]}, m)$, draw a **mask** $M$ of the same shape
# whose entries are 1 with probability $p$ and 0 otherwise (for instance `rng.random(A.shape) <
# keep_prob`), and use
#
# $$A^{[l]}_{\text{out}} = \frac{A^{[l]} \odot M}{p}.$$
#
# ### Why divide by $p$?
#
# Each entry of $M$ has expected value $p$, so without the division the next layer would receive
# on average $p\,A^{[l]}$, less input than it will get at test time, when every unit is present.
# The division restores the expectation:
#
# $$\mathbb{E}\big[A^{[l]}_{\text{out}}\big] = \frac{A^{[l]} \odot \mathbb{E}[M]}{p}
# = \frac{A^{[l]} \cdot p}{p} = A^{[l]}.$$
#
# This is **inverted dropout**. Its payoff comes at test time: nothing to do. The trained network is
# used as it is, with no mask and no rescaling (`predict_proba` above never calls dropout). The
# original formulation instead left training unscaled and multiplied the weights by $p$ at test time;
# same expectation, but every deployment has to remember the factor.

# %% [markdown]
# ### Exercise 3: `dropout_forward` [1.5 points]
#
# Draw the mask **from `rng`** (for instance `rng.random(A.shape)` compared with `keep_prob`), never
# from `np.random.*`, so that a seed reproduces the run. Return `(A_out, mask)`: the mask holds
# 0s and 1s (a boolean array or 0.0/1.0 floats), and `A_out = A * mask / keep_prob`. With
# `keep_prob = 1` every unit is kept. Do not modify `A`.

# %% solution="dropout_forward"
def dropout_forward(A, keep_prob, rng):
    """Inverted dropout on a layer's activations.

    Inputs:
        A:         (n, m) activations of a hidden layer
        keep_prob: float in (0, 1], the probability that a unit is KEPT
        rng:       numpy.random.Generator, the only source of randomness
    Returns:
        A_out: (n, m), A * mask / keep_prob
        mask:  (n, m) of 0s and 1s, each entry 1 with probability keep_prob, independently
    """
    ### BEGIN SOLUTION
    mask = (rng.random(A.shape) < keep_prob).astype(A.dtype)
    A_out = A * mask / keep_prob
    return A_out, mask
    ### END SOLUTION


# %% test="dropout_forward" points=1.5
# The mask is random, so these checks look at properties that any correct implementation has,
# whatever order it draws its random numbers in: 0/1 values, A_out = A * mask / keep_prob,
# the share of kept units, reproducibility with a seed.
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _dropout_call(A, keep_prob, rng, label):
        out = check.check_not_mutated(
            dropout_forward, A, keep_prob, rng,
            hint="A * mask / keep_prob is a new array; A *= ... writes into the caller's activation")
        assert isinstance(out, (tuple, list)) and len(out) == 2, (
            f"dropout_forward ({label}): return a tuple (A_out, mask), got {type(out).__name__}")
        A_out, mask = out
        if (hasattr(A_out, "shape") and hasattr(mask, "shape") and np.all(np.isin(np.asarray(A_out, dtype=float), (0, 1)))
                and not np.all(np.isin(np.asarray(mask, dtype=float), (0, 1)))):
            raise AssertionError(f"dropout_forward ({label}): the first value returned holds only 0s and 1s: "
                                 "return (A_out, mask) in that order")
        check.check_shape(mask, A.shape, f"mask ({label})")
        check.check_shape(A_out, A.shape, f"A_out ({label})")
        mask = np.asarray(mask).astype(float)
        A_out = np.asarray(A_out, dtype=float)
        if not np.all((mask == 0) | (mask == 1)):
            if np.allclose(mask[mask != 0], 1 / keep_prob):
                raise AssertionError(f"dropout_forward ({label}): mask holds 0 and 1/keep_prob; keep it 0/1 "
                                     "and put the division by keep_prob into A_out only")
            raise AssertionError(f"dropout_forward ({label}): mask must hold only 0s and 1s")
        if keep_prob < 1 and np.allclose(A_out, A * mask) and not np.allclose(A * mask, 0):
            raise AssertionError(f"dropout_forward ({label}): A_out = A * mask; inverted dropout also divides "
                                 "by keep_prob, so that the expected value of A_out is A")
        if keep_prob < 1 and np.allclose(A_out, A * mask * keep_prob) and not np.allclose(A * mask, 0):
            raise AssertionError(f"dropout_forward ({label}): A_out = A * mask * keep_prob; DIVIDE by keep_prob")
        if np.any((mask == 0) & (A_out != 0)):
            raise AssertionError(f"dropout_forward ({label}): A_out is not zero where mask is 0: build A_out "
                                 "from the same mask that you return (draw the random numbers once)")
        check.check_array(A_out, A * mask / keep_prob, f"A_out = A * mask / keep_prob ({label})")
        return A_out, mask

    # 1. A large array: about keep_prob of the units survive, and on average A_out equals A.
    _A = np.random.default_rng(63).standard_normal((200, 500)) + 1.0
    _A_out, _mask = _dropout_call(_A, 0.8, np.random.default_rng(0), "(200, 500), keep_prob 0.8")
    _rate = float(np.mean(_mask))
    if abs(_rate - 0.2) < 0.01:
        raise AssertionError(f"dropout_forward: {100 * _rate:.1f} % of the units were kept with keep_prob 0.8: "
                             "keep_prob is the probability of KEEPING a unit (mask = 1)")
    assert abs(_rate - 0.8) < 0.01, (f"dropout_forward: kept {100 * _rate:.1f} % of 100,000 units with keep_prob 0.8; "
                                     "each unit should be kept with probability keep_prob, independently")
    _ones_out, _ = _dropout_call(np.ones((200, 500)), 0.8, np.random.default_rng(1), "ones (200, 500)")
    assert abs(float(np.mean(_ones_out)) - 1.0) < 0.02, "dropout_forward: the mean of A_out for A = ones should be about 1"

    # 2. Small shapes, other keep probabilities.
    _dropout_call(np.arange(12.0).reshape(3, 4) - 5, 0.5, np.random.default_rng(2), "(3, 4), keep_prob 0.5")
    _dropout_call(np.array([[0.3], [-1.2]]), 0.6, np.random.default_rng(3), "(2, 1), keep_prob 0.6")

    # 3. keep_prob = 1 keeps everything.
    _A = np.random.default_rng(64).standard_normal((5, 7))
    _A_out, _mask = _dropout_call(_A, 1.0, np.random.default_rng(4), "(5, 7), keep_prob 1")
    assert np.all(_mask == 1) and np.allclose(_A_out, _A), "dropout_forward: with keep_prob = 1 every unit is kept"

    # 4. Randomness from rng only: the same seed repeats the mask, another seed changes it, and
    #    NumPy's global random state is not touched.
    _A = np.random.default_rng(65).standard_normal((40, 50))
    np.random.seed(12345)
    _global_before = np.random.get_state()[1].copy()
    _rng = np.random.default_rng(5)
    _rng_before = _rng.bit_generator.state
    _, _mask_a = _dropout_call(_A, 0.7, _rng, "seed 5")
    assert np.array_equal(np.random.get_state()[1], _global_before), (
        "dropout_forward used NumPy's global random state (np.random.rand, np.random.binomial, ...): "
        "draw from the rng argument instead, e.g. rng.random(A.shape)")
    assert _rng.bit_generator.state != _rng_before, "dropout_forward did not draw from rng: use rng.random(A.shape)"
    _, _mask_b = _dropout_call(_A, 0.7, np.random.default_rng(5), "seed 5 again")
    _, _mask_c = _dropout_call(_A, 0.7, np.random.default_rng(6), "seed 6")
    assert np.array_equal(_mask_a, _mask_b), "dropout_forward: the same seed must give the same mask"
    assert not np.array_equal(_mask_a, _mask_c), "dropout_forward: different seeds gave the same mask"

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(6003)
    for _trial in range(10):
        _n, _m = (int(k) for k in _rng.integers(1, 9, size=2))
        if _trial < 2:
            _n, _m = 1, 1
        _kp = float(_rng.choice([0.3, 0.5, 0.75, 0.9, 1.0]))
        _A = _rng.standard_normal((_n, _m)) * 3
        _saved = _A.copy()
        _out = dropout_forward(_A, _kp, np.random.default_rng(int(_rng.integers(1 << 30))))
        _desc = f"A of shape {(_n, _m)}, keep_prob {_kp}"
        assert isinstance(_out, (tuple, list)) and len(_out) == 2, f"return (A_out, mask) ({_desc})"
        _A_out, _mask = np.asarray(_out[0], dtype=float), np.asarray(_out[1]).astype(float)
        assert _A_out.shape == (_n, _m) and _mask.shape == (_n, _m), f"wrong shapes ({_desc})"
        assert np.all((_mask == 0) | (_mask == 1)), f"mask must hold 0s and 1s ({_desc})"
        assert np.allclose(_A_out, _A * _mask / _kp, rtol=1e-9, atol=1e-12), f"A_out is not A * mask / keep_prob ({_desc})"
        assert np.array_equal(_A, _saved), f"A was modified ({_desc})"
        if _kp == 1.0:
            assert np.all(_mask == 1), f"keep_prob = 1 must keep every unit ({_desc})"
    for _kp in (0.5, 0.9, 0.25):
        _A = np.ones((300, 400))
        _A_out, _mask = dropout_forward(_A, _kp, np.random.default_rng(int(_kp * 100)))
        _rate = float(np.mean(np.asarray(_mask).astype(float)))
        assert abs(_rate - _kp) < 0.01, f"kept {100 * _rate:.1f} % of 120,000 units with keep_prob {_kp}"
        assert abs(float(np.mean(_A_out)) - 1.0) < 0.03, f"mean of A_out for A = ones is not about 1 (keep_prob {_kp})"
    _A = np.ones((30, 30))
    _m1 = np.asarray(dropout_forward(_A, 0.5, np.random.default_rng(77))[1]).astype(float)
    _m2 = np.asarray(dropout_forward(_A, 0.5, np.random.default_rng(77))[1]).astype(float)
    _m3 = np.asarray(dropout_forward(_A, 0.5, np.random.default_rng(78))[1]).astype(float)
    assert np.array_equal(_m1, _m2) and not np.array_equal(_m1, _m3), "masks must come from rng only"
    # Two calls on one generator give two different masks (the generator moves on).
    _g = np.random.default_rng(79)
    _m4 = np.asarray(dropout_forward(_A, 0.5, _g)[1]).astype(float)
    _m5 = np.asarray(dropout_forward(_A, 0.5, _g)[1]).astype(float)
    assert not np.array_equal(_m4, _m5), "two calls with the same generator gave the same mask"
### END HIDDEN TESTS

check.passed("dropout_forward: 0/1 masks at the right rate, A_out = A * mask / keep_prob, reproducible from rng.")

# %% [markdown]
# ### Dropout in the backward pass
#
# In the forward pass $A_{\text{out}} = A \odot M / p$ is an element-wise product with constants (the
# mask is fixed once drawn). So, element by element,
# $\partial A_{\text{out}} / \partial A = M / p$, and the gradient flowing back is
#
# $$\frac{\partial C}{\partial A} = \frac{\partial C}{\partial A_{\text{out}}} \odot \frac{M}{p}.$$
#
# A dropped unit passes back no gradient (it did not contribute to the output), and the survivors'
# gradients carry the same $1/p$ as their activations. The mask must be the **same one** that the
# forward pass drew, which is why `dropout_forward` returns it and the trainer keeps it in `masks`.
# In a network this sits between BP2's product $W^{[l+1]T}\delta^{[l+1]}$, which is
# $\partial C / \partial A^{[l]}_{\text{out}}$, and the multiplication by $g'(Z^{[l]})$: you wire it
# in yourself in exercise 5.

# %% [markdown]
# ### Exercise 4: `dropout_backward` [1.5 points]
#
# Return `dA * mask / keep_prob` as a new array. `mask` may be boolean or 0.0/1.0 floats.

# %% solution="dropout_backward"
def dropout_backward(dA, mask, keep_prob):
    """Backward pass of inverted dropout.

    Inputs:
        dA:        (n, m) gradient of the cost with respect to the dropout OUTPUT A_out
        mask:      (n, m) of 0s and 1s, the mask dropout_forward returned
        keep_prob: float in (0, 1], the same keep probability
    Returns:
        (n, m) gradient with respect to the dropout input A: dA * mask / keep_prob
    """
    ### BEGIN SOLUTION
    return dA * mask / keep_prob
    ### END SOLUTION


# %% test="dropout_backward" points=1.5
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _dropout_backward_case(dA, mask, keep_prob, label):
        got = check.check_not_mutated(
            dropout_backward, dA, mask, keep_prob,
            hint="dA * mask / keep_prob is a new array; dA *= ... writes into the gradient you were given")
        M = np.asarray(mask).astype(float)
        want = dA * M / keep_prob
        check.check_shape(got, dA.shape, f"dropout_backward ({label})")
        value = np.asarray(got, dtype=float)
        if not np.allclose(value, want):
            for wrong, hint in [
                (dA * M, "missing the division by keep_prob: the backward pass scales like the forward pass"),
                (dA * M * keep_prob, "multiplied by keep_prob: DIVIDE by it, as in the forward pass"),
                (dA / keep_prob, "the mask is missing: a dropped unit passes back no gradient"),
                (dA * (1 - M) / keep_prob, "the mask is inverted: gradients flow through the KEPT units (mask = 1)"),
            ]:
                if np.allclose(value, wrong):
                    raise AssertionError(f"dropout_backward ({label}): {hint}")
        check.check_array(got, want, f"dropout_backward ({label})")

    _dA = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, -2.0], [-1.0, 3.0, 0.75, 1.0]])
    _mask = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 1.0]])
    _dropout_backward_case(_dA, _mask, 0.75, "(3, 4), float mask, keep_prob 0.75")
    _rng = np.random.default_rng(66)
    _dA = _rng.standard_normal((2, 5))
    _dropout_backward_case(_dA, _rng.random((2, 5)) < 0.5, 0.5, "(2, 5), boolean mask, keep_prob 0.5")
    _dropout_backward_case(_dA, np.ones((2, 5)), 1.0, "(2, 5), keep_prob 1")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(6004)
    for _trial in range(8):
        _n = int(_rng.integers(1, 8))
        _m = 1 if _trial < 2 else int(_rng.integers(2, 12))
        _kp = float(_rng.uniform(0.2, 1.0))
        _dA = _rng.standard_normal((_n, _m)) * 2
        _M = _rng.random((_n, _m)) < _kp
        _mask = _M if _trial % 2 else _M.astype(float)
        _saved = (_dA.copy(), np.array(_mask, copy=True))
        _got = np.asarray(dropout_backward(_dA, _mask, _kp), dtype=float)
        _desc = f"dA of shape {(_n, _m)}, keep_prob {_kp:.3f}, {'boolean' if _trial % 2 else 'float'} mask"
        assert _got.shape == (_n, _m), f"wrong shape {_got.shape} ({_desc})"
        assert np.allclose(_got, _dA * _M / _kp, rtol=1e-10, atol=1e-12), f"wrong gradient ({_desc})"
        assert np.array_equal(_dA, _saved[0]) and np.array_equal(_mask, _saved[1]), f"input modified ({_desc})"
### END HIDDEN TESTS

check.passed("dropout_backward: the same mask and the same 1/keep_prob as the forward pass.")

# %% [markdown]
# ### Seeing the expectation
#
# Left: one mask for a layer of 12 units and 30 examples with $p = 0.7$ (dark = kept). Right: four
# units with fixed activations, each dropped out 5,000 times; the mean of the inverted-dropout output
# sits on the true activation, while the mean of `A * mask` without the division is only $p$ times as
# large.

# %% tags=["demo"]
try:
    rng = np.random.default_rng(8)
    _, one_mask = dropout_forward(np.ones((12, 30)), 0.7, rng)
    a = np.array([[0.5], [1.0], [2.0], [3.0]])
    A_many = np.tile(a, (1, 5000))                    # the same 4 activations, 5,000 times
    A_out, mask = dropout_forward(A_many, 0.7, rng)
    mean_inverted = np.mean(A_out, axis=1)
    mean_unscaled = np.mean(A_many * np.asarray(mask, dtype=float), axis=1)

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.3, 1]})
    axes[0].imshow(np.asarray(one_mask, dtype=float), cmap="Greys", vmin=0, vmax=1)
    axes[0].set(title=f"one mask, keep_prob 0.7 ({100 * np.mean(one_mask):.0f} % kept)",
                xlabel="example (column)", ylabel="hidden unit (row)")
    units = np.arange(4)
    axes[1].bar(units - 0.27, a.ravel(), width=0.27, label="activation A")
    axes[1].bar(units, mean_inverted, width=0.27, label="mean of A * mask / p")
    axes[1].bar(units + 0.27, mean_unscaled, width=0.27, label="mean of A * mask")
    axes[1].set(xticks=units, xlabel="unit", ylabel="value", title="5,000 dropout draws per unit")
    axes[1].legend()
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write dropout_forward above to see this plot.")

# %% [markdown]
# ## The whole regularised backward pass
#
# With dropout and L2 together, the cost that gradient descent minimises is
#
# $$J = C\big(A^{[L]}\big) + \frac{\lambda}{2}\sum_{l} \lVert W^{[l]}\rVert_F^2,$$
#
# where $A^{[L]}$ comes from a forward pass whose hidden activations were multiplied by their
# masks $D^{[l]}$ and divided by $p$ (`keep_prob`). Backprop changes in exactly two places:
#
# 1. **every** weight gradient gains the penalty's term:
#    $\dfrac{\partial J}{\partial W^{[l]}} = \dfrac{1}{m}\,\delta^{[l]} A^{[l-1]T} + \lambda W^{[l]}$,
#    while $\dfrac{\partial J}{\partial b^{[l]}} = \dfrac{1}{m}\,\delta^{[l]}\mathbf{1}$ is unchanged;
# 2. going down, the gradient of each hidden layer passes back through **its own** mask before
#    meeting $g'$: $\delta^{[l]} = \Big(\big(W^{[l+1]T}\delta^{[l+1]}\big) \odot D^{[l]} / p\Big) \odot
#    \text{relu}'(Z^{[l]})$.
#
# Nothing else moves: $\delta^{[L]} = A^{[L]} - Y$ (sigmoid and cross-entropy), and
# `cache[f"A{l-1}"]` already holds the activation *after* dropout, the one layer $l$ received.

# %% [markdown]
# ### Exercise 5: `backward_train` [2 points]
#
# Write the backward pass of the network of the given cell (ReLU hidden layers, sigmoid output,
# mean binary cross-entropy) with both changes, for any depth. `masks` is what `forward_train`
# returned: `{"D1": ..., "D2": ...}`, one mask per hidden layer, and **empty** when there was no
# dropout. Use your `dropout_backward` and the given `relu_prime`; do not call `backward_plain`.
#
# The test checks you the way notebook 03 taught: it freezes the masks (`forward_train(...,
# masks=masks)` reuses them), so that $J$ is an ordinary function of the parameters, and compares
# your gradients with central differences of $J$ (the given `numerical_grads`).

# %% solution="backward_train"
def backward_train(Y, params, cache, masks, keep_prob=1.0, lambd=0.0):
    """Gradients of the regularised cost J = BCE + (lambd / 2) sum_l ||W[l]||_F^2 of a dropout network.

    Inputs:
        Y:         (1, m) labels, 0 or 1
        params:    {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (1, n[L-1]), "bL": (1, 1)}
        cache:     {"A0": X, "Z1": (n[1], m), "A1": (n[1], m), ..., "ZL", "AL"} from forward_train;
                   each hidden A[l] is AFTER dropout
        masks:     {"D1": (n[1], m), ...} the 0/1 masks of the hidden layers; {} without dropout
        keep_prob: float in (0, 1], the keep probability the masks were drawn with
        lambd:     float >= 0, the L2 strength (biases are not penalised)
    Returns:
        grads {"dW1": ..., "db1": ..., ...}, each shaped like its parameter
    """
    ### BEGIN SOLUTION
    L = len(params) // 2
    m = Y.shape[1]
    delta = cache[f"A{L}"] - Y
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = delta @ cache[f"A{l - 1}"].T / m + lambd * params[f"W{l}"]
        grads[f"db{l}"] = np.sum(delta, axis=1, keepdims=True) / m
        if l > 1:
            dA = params[f"W{l}"].T @ delta
            if f"D{l - 1}" in masks:
                dA = dropout_backward(dA, masks[f"D{l - 1}"], keep_prob)
            delta = dA * relu_prime(cache[f"Z{l - 1}"])
    return grads
    ### END SOLUTION


# %% test="backward_train" points=2
import numpy as np

from course import check


def _regularised_cost(params, X, Y, masks, keep_prob, lambd):
    """J with the masks frozen: the function backward_train must differentiate."""
    AL = forward_train(X, params, keep_prob, masks=masks)[0]
    return bce_loss(AL, Y) + lambd / 2 * sum(float(np.sum(params[k] ** 2)) for k in params if k[0] == "W")


def _close_grads(a, b):
    try:
        return all(np.shape(a[k]) == np.shape(b[k]) and np.allclose(a[k], b[k], rtol=1e-5, atol=1e-7) for k in b)
    except (KeyError, TypeError, ValueError):
        return False


def _relabelled(entries, prefix, by):
    """entries with every key prefix+str(l) renamed prefix+str(l + by) (the others kept)."""
    return {(f"{prefix}{int(k[1:]) + by}" if k[0] == prefix else k): v for k, v in entries.items()}


def _wrong_layer(Y, params, cache, masks, keep_prob, lambd, want):
    """If the answer is right once masks (or Z[l]) are relabelled one layer up or down, say which."""
    L = len(params) // 2
    if masks:
        for by, where in ((1, "the mask of the layer above, D[l+1]"), (-1, "the mask of the layer below, D[l-1]")):
            try:
                if _close_grads(backward_train(Y, params, cache, _relabelled(masks, "D", by), keep_prob, lambd), want):
                    return (f"the mask of the wrong layer: on the way down to layer l the gradient "
                            f"dJ/dA[l] = W[l+1]^T delta[l+1] met {where}, not D[l] = masks[f'D{{l}}'] (the mask of "
                            f"layer l itself, shaped like A[l]: coming down to layer {L - 1} it meets masks['D{L - 1}'], "
                            f"and layer {L}, the output, has no mask)")
            except Exception:  # noqa: BLE001 - relabelled masks may make a wrong version fail in any way
                pass
    shifted = {**{k: v for k, v in cache.items() if k[0] != "Z"}, **_relabelled(
        {k: v for k, v in cache.items() if k[0] == "Z"}, "Z", 1)}
    try:
        if _close_grads(backward_train(Y, params, shifted, masks, keep_prob, lambd), want):
            return ("relu' is evaluated at the wrong layer: the gradient arriving at layer l is scaled by "
                    "relu'(Z[l]), the layer it arrives at, not relu'(Z[l+1])")
    except Exception:  # noqa: BLE001
        pass
    return None


def _backward_train_hint(got, want, params, cache, masks, Y, keep_prob, lambd):
    """The likely slip when got differs from want (None when nothing fits)."""
    L = len(params) // 2
    weights = {"dW" + k[1:]: params[k] for k in params if k[0] == "W"}
    data_part = {k: want[k] - lambd * weights[k] if k in weights else want[k] for k in want}

    def with_penalty(factor_of_layer, data=data_part):
        return {k: data[k] + factor_of_layer(int(k[2:])) * lambd * weights[k] if k in weights else data[k]
                for k in data}

    if _close_grads(got, data_part):
        return "the L2 term is missing: every dW[l] gains lambd * W[l]"
    if _close_grads(got, {k: v + lambd * params[k[1:]] if k[:2] == "db" else v for k, v in want.items()}):
        return "the biases are penalised too: only the weights W[l] are, db[l] stays (1/m) delta[l] summed"
    if _close_grads(got, with_penalty(lambda l: 1.0 if l == L else 0.0)):
        return f"only dW{L} has the penalty's term: every layer's dW[l] gains lambd * W[l]"
    m = Y.shape[1]
    for factor, slip in [(1 / m, "lambd / m"), (1 / (2 * m), "lambd / (2 m)")]:
        if _close_grads(got, with_penalty(lambda l: factor)):
            return (f"the penalty's gradient uses {slip}: this course's penalty (lambd / 2) sum ||W[l]||^2 has no 1/m "
                    "at all (it is not averaged over the examples; the lambda / (2m) of other courses is another "
                    "convention, with another lambda), so its gradient is lambd * W[l]")
    for factor, slip in [(2, "2 * lambd"), (0.5, "lambd / 2")]:
        if _close_grads(got, with_penalty(lambda l: factor)):
            return (f"the penalty's gradient uses {slip}: the 2 of the square cancels the 1/2 of lambd/2, "
                    "so it is lambd * W[l]")
    plain = backward_plain(Y, params, cache)
    if masks and _close_grads(got, {k: plain[k] + lambd * weights[k] if k in weights else plain[k] for k in plain}):
        return ("the gradient skips the dropout masks: at each hidden layer l, pass W[l+1]^T delta[l+1] through "
                "dropout_backward with masks[f'D{l}'] before multiplying by relu'(Z[l]) (the keys are 'D1', 'D2', ...)")
    if masks:
        # dW[l] with the mask of layer l-1 applied again to the cached A[l-1], already dropped: (A D / p) D / p = A / p
        if _close_grads(got, {k: data_part[k] / keep_prob + lambd * weights[k] if k in weights and k != "dW1"
                              else want[k] for k in want}):
            return ("dW[l] applies the mask of layer l-1 to cache[f'A{l-1}'] a second time: forward_train stored that "
                    "activation after dropout (already masked and divided by keep_prob), so use it as it is")
        # Each hidden layer passed on the way down multiplies delta by a wrong factor: the scaling compounds.
        for power, slip in [(-1, "each hidden layer's mask and 1/keep_prob are applied twice on the way down "
                                 "(dropout_backward already multiplies by the mask and divides by keep_prob)"),
                            (1, "the division by keep_prob is missing: the backward pass scales by 1/keep_prob "
                                "like the forward pass"),
                            (2, "the gradient is multiplied by keep_prob: inverted dropout DIVIDES by keep_prob, "
                                "forward and backward")]:
            scaled = {k: data_part[k] * keep_prob ** (power * (L - int(k[2:]))) for k in data_part}
            if _close_grads(got, with_penalty(lambda l: 1.0, scaled)):
                return slip
    wrong_layer = _wrong_layer(Y, params, cache, masks, keep_prob, lambd, want)
    if wrong_layer:
        return wrong_layer
    if _close_grads({k: got[k] for k in (f"dW{L}", f"db{L}")}, {k: want[k] for k in (f"dW{L}", f"db{L}")}):
        return (f"dW{L} and db{L} are right but the layers below are not: check how the gradient passes down "
                "(W[l+1]^T delta[l+1], then the mask of layer l, then relu'(Z[l]))")
    return None


def _backward_train_case(sizes, m, keep_prob, lambd, seed, label):
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) / np.sqrt(sizes[l - 1])
        params[f"b{l}"] = 0.3 * rng.standard_normal((sizes[l], 1))
    X = rng.standard_normal((sizes[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    masks = {f"D{l}": (rng.random((sizes[l], m)) < keep_prob).astype(float)
             for l in range(1, len(sizes) - 1)} if keep_prob < 1 else {}
    cache = forward_train(X, params, keep_prob, masks=masks)[1]
    L = len(sizes) - 1
    want = numerical_grads(lambda p: _regularised_cost(p, X, Y, masks, keep_prob, lambd), params)
    try:
        got = check.check_not_mutated(
            backward_train, Y, params, cache, masks, keep_prob, lambd,
            hint="build new arrays (delta = cache[f'A{L}'] - Y, not delta -= Y on the cached array; dA * mask, not "
                 "an in-place *=): the cache, the masks and params belong to the caller, who reuses them")
    except KeyError as error:
        key = str(error.args[0]) if error.args else ""
        if key[:1] != "D":
            why = f"the cache holds A0 to A{L} and Z1 to Z{L}, params W1, b1 to W{L}, b{L}"
        elif not masks:
            why = "masks is empty when there is no dropout (keep_prob = 1): apply a mask only if its key is in masks"
        else:
            why = (_wrong_layer(Y, params, cache, masks, keep_prob, lambd, want)
                   or f"masks holds one mask per hidden layer, 'D1' to 'D{L - 1}'")
        raise AssertionError(f"backward_train ({label}): looked up {key!r}, which does not exist: {why}") from None
    except ValueError as error:
        why = (_wrong_layer(Y, params, cache, masks, keep_prob, lambd, want)
               or "each mask masks[f'D{l}'] is shaped like A[l], so it belongs to the gradient of layer l's output, "
                  "dJ/dA[l]")
        raise AssertionError(f"backward_train ({label}): {why} (NumPy said: {error})") from None
    if not isinstance(got, dict) or set(got) != set(want):
        raise AssertionError(f"backward_train ({label}): returned {sorted(got) if isinstance(got, dict) else got!r}, "
                             f"expected a dict with keys {sorted(want)}")
    for key in want:
        check.check_shape(got[key], want[key].shape, f"backward_train ({label})[{key!r}]")
    hint = None if _close_grads(got, want) else \
        _backward_train_hint(got, want, params, cache, masks, Y, keep_prob, lambd)
    if hint:
        raise AssertionError(f"backward_train ({label}): {hint}")
    check.check_dict(got, want, f"backward_train ({label}) against central differences", rtol=1e-5, atol=1e-7)


_backward_train_case([3, 5, 4, 1], 6, 0.6, 0.3, 11, "sizes [3, 5, 4, 1], m = 6, keep_prob 0.6, lambd 0.3")
_backward_train_case([2, 4, 1], 5, 1.0, 0.0, 12, "no dropout (masks = {}), lambd 0")
_backward_train_case([2, 3, 3, 3, 1], 4, 0.5, 0.1, 13, "four layers, keep_prob 0.5, lambd 0.1")

### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(6105)
for _trial in range(6):
    _depth = int(_rng.integers(2, 5))
    _sizes = [int(_rng.integers(1, 6)) for _ in range(_depth)] + [1]
    _m = 1 if _trial == 0 else int(_rng.integers(2, 9))
    _kp = 1.0 if _trial == 1 else float(_rng.uniform(0.3, 0.95))
    _lambd = 0.0 if _trial == 2 else float(_rng.uniform(0.01, 2.0))
    _seed = int(_rng.integers(1 << 30))
    _backward_train_case(_sizes, _m, _kp, _lambd, _seed,
                         f"hidden: sizes {_sizes}, m = {_m}, keep_prob {_kp:.3f}, lambd {_lambd:.3f}")
### END HIDDEN TESTS

check.passed("backward_train: the masks at every hidden layer and lambd * W[l] on every weight, "
             "as central differences confirm.")

# %% [markdown]
# ### Dropout on the moons
#
# Same network, data, seed and epochs as before, now with `keep_prob = 0.7` on both hidden layers.
# Every step trains a freshly thinned network, so the cost that gradient descent reports
# (`history["cost"]`, measured *with* dropout) stays well above the loss of the full network
# (`history["train_loss"]`, measured without it): the full network is what we keep and use.

# %% tags=["demo"]
try:
    drop_params, drop_history = train_net(X_train, Y_train, SIZES, EPOCHS, LR, np.random.default_rng(2),
                                          keep_prob=0.7, monitor={"train": (X_train, Y_train)})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (label, params) in zip(axes, [("no regularisation", plain_params), ("dropout, keep_prob 0.7", drop_params)]):
        train_acc = accuracy(predict_proba(X_train, params), Y_train)
        test_acc = accuracy(predict_proba(X_test, params), Y_test)
        test_loss = bce_loss(predict_proba(X_test, params), Y_test)
        plot_boundary(ax, params, X_train, Y_train, f"{label}\naccuracy train {train_acc:.3f}, "
                      f"test {test_acc:.3f}; test loss {test_loss:.3f}")
    plt.tight_layout()
    plt.show()
    print(f"last epoch: cost with dropout {drop_history['cost'][-1]:.3f}, "
          f"loss of the full network {drop_history['train_loss'][-1]:.3f}")
except NotImplementedError:
    print("Write dropout_forward, dropout_backward and backward_train above to see this plot.")

# %% [markdown]
# The boundary is smoother and no longer goes out of its way for the last few training points, and
# both the test accuracy and the test loss improve on the unregularised network. The exact numbers
# depend on the random masks, so they differ a little between implementations that draw their
# random numbers in a different order. Dropout is most at home in large networks trained on large
# data sets, where it costs almost nothing; on this small problem it does about as well as a good
# $\lambda$.

# %% [markdown]
# ### Written question 2: forgetting the $1/p$, in numbers [2 points, graded by hand]
#
# A classmate trains the `[2, 64, 64, 1]` network with dropout on both hidden layers,
# `keep_prob` $= p = 0.5$, but multiplies by the mask without dividing by $p$; at test time the full
# network is used as it is, as usual.
#
# - **(a)** Leaving the biases aside, by about what factor is the input $Z^{[2]}$ of the second hidden
#   layer larger at test time than on average during training? And the output's $Z^{[3]}$?
# - **(b)** A test point that the network, on average over the masks, gave the probability $0.7$ of
#   class 1 during training: about what probability does it get at test time? Does its predicted
#   class change? So which suffers, the test accuracy or the test loss?

# %% [markdown] answer="dropout_missing_scale" points=2
# ### BEGIN SOLUTION
# **Model answer.** (a) In training $Z^{[2]} = W^{[2]}(A^{[1]} \odot D^{[1]})$ receives on average $p\,A^{[1]}$;
# at test time it receives all of $A^{[1]}$, so $Z^{[2]}$ is $1/p = 2$ times larger. ReLU passes that
# factor on ($\mathrm{relu}(2z) = 2\,\mathrm{relu}(z)$), and the second mask, missing at test time too,
# doubles it again: $Z^{[3]}$ is about $1/p^2 = 4$ times larger (a simulation gives about 4.2). (b) The
# output's $Z^{[3]}$ is the log-odds: $\ln(0.7/0.3) \approx 0.85$ becomes about $3.4$, a probability of
# about $\sigma(3.4) \approx 0.97$. The sign of $Z^{[3]}$ does not change, so (biases aside) the predicted
# class stays the same and the accuracy hardly moves; but every prediction becomes over-confident,
# and the misclassified points are now punished with a large cross-entropy: the test loss suffers.
#
# **Rubric.**
# - [1 point] (a) $Z^{[2]}$ about 2 times ($1/p$) larger, $Z^{[3]}$ about 4 times ($1/p^2$: the factor
#   compounds over the two dropped layers).
# - [1 point] (b) about $0.97$ (log-odds times 4), same class, so accuracy roughly unchanged while the
#   loss (over-confidence) gets worse.
# ### END SOLUTION

# %% [markdown]
# ## 4. Early stopping
#
# Look again at the middle panel of section 1: the test loss was lowest after some 900 epochs and
# only got worse afterwards. If we had stopped there we would have had a better network for free.
# We cannot use the test set to choose the moment (then it would no longer measure performance on
# new data), so we hold out a **validation set** for that decision: here the 200 points `X_val`,
# `Y_val`, which training never sees.
#
# The rule: after each epoch, compute the validation loss and remember the best epoch so far (the
# lowest loss; on a tie, the earlier epoch stays the best, since a tie is no improvement). When
# `patience` epochs have passed after the best one without beating it, stop, and go back to the
# weights of the best epoch. The patience keeps a small bump in a noisy curve from ending training
# too soon.
#
# **A worked example.** `val_losses = [5, 4, 3, 3.5, 3.6, 3.7, 1.0]` and `patience = 3` (epochs
# are numbered from 0):
#
# | epoch | loss | best so far | epochs since the best |
# |---|---|---|---|
# | 0 | 5 | 0 | 0 |
# | 1 | 4 | 1 | 0 |
# | 2 | 3 | 2 | 0 |
# | 3 | 3.5 | 2 | 1 |
# | 4 | 3.6 | 2 | 2 |
# | 5 | 3.7 | 2 | 3: stop |
#
# Training stops at epoch 5 and the answer is epoch **2**. The 1.0 at epoch 6 is never seen, because
# that epoch never happens. If the list ends before any stop, the answer is simply the best epoch
# of the whole list.

# %% [markdown]
# ### Exercise 6: `early_stopping_epoch` [1 point]
#
# Scan the epochs in order. At each epoch, first update the best so far (only a strictly lower loss
# is a new best), then stop if the current epoch is `patience` epochs after the best. Return the
# index of the best epoch at that moment, or of the best epoch overall if training never stops.

# %% solution="early_stopping_epoch"
def early_stopping_epoch(val_losses, patience):
    """The epoch whose weights early stopping keeps.

    Inputs:
        val_losses: list of floats, the validation loss after each epoch 0, 1, ..., len - 1 (at least one)
        patience:   int >= 1, how many epochs without a new best training waits before it stops
    Returns:
        int: index of the best epoch (lowest loss, earliest on ties) when training stops,
             or of the best epoch overall if it never stops
    """
    ### BEGIN SOLUTION
    best = 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    return best
    ### END SOLUTION


# %% test="early_stopping_epoch" points=1
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _stop_case(losses, patience, want, hints, label):
        got = check.check_not_mutated(early_stopping_epoch, list(losses), patience,
                                      hint="read val_losses without changing it (sorted(...) or min(...) make "
                                           "new values; .sort(), .pop() or assignments change the caller's list)")
        assert isinstance(got, (int, np.integer)) and not isinstance(got, bool), (
            f"early_stopping_epoch should return an int (an epoch index), got {type(got).__name__}")
        if got != want:
            hint = hints.get(int(got), "")
            raise AssertionError(f"early_stopping_epoch({losses}, patience={patience}) returned {got}, "
                                 f"expected {want} ({label}){': ' + hint if hint else ''}")

    # The worked example: training stops at epoch 5 and never sees the 1.0 of epoch 6.
    _stop_case([5, 4, 3, 3.5, 3.6, 3.7, 1.0], 3, 2,
               {6: "training stops at epoch 5, the first epoch with epoch - best >= patience (5 - 2 = 3), "
                   "so epoch 6 never happens",
                5: "return the BEST epoch, not the epoch where training stopped"},
               "the worked example")
    # Never stops: the best of the whole list.
    _stop_case([5, 4, 3, 3.5, 2.0, 3.7, 3.8], 3, 4, {2: "after epoch 2 only two epochs passed before "
               "the new best at epoch 4, fewer than the patience of 3"}, "training never stops")
    # Ties: the earliest best stays the best, and a tie does not restart the wait.
    _stop_case([3, 3, 3, 3], 2, 0, {1: "earliest on ties", 2: "earliest on ties: a tie is not an improvement",
                                    3: "earliest on ties: a tie is not an improvement"}, "all equal")
    _stop_case([2, 1, 1, 1, 0.5], 2, 1,
               {4: "a tie is not an improvement: the wait after epoch 1 ends at epoch 3 = 1 + patience"},
               "ties do not reset the patience")
    # The stop comes exactly `patience` epochs after the best, not one later.
    _stop_case([3, 2, 4, 5, 1], 2, 1, {4: "stop at the FIRST epoch that is patience epochs after the best: "
               "epoch 3 = 1 + 2 (check < versus <=)"}, "stopping exactly at best + patience")
    # A new best at the moment the wait would run out is an improvement: no stop.
    _stop_case([4, 3, 3.5, 2.0], 2, 3, {1: "at epoch 3 the loss 2.0 is a new best, so that epoch is 0 epochs "
               "after the best: update the best first, then test the patience"}, "a new best at the last moment")
    # The wait is measured from the best epoch, not from the last improvement over the previous epoch.
    _stop_case([3, 2, 2.5, 2.4, 2.3, 2.2, 1.0], 3, 1,
               {6: "compare each loss with the BEST so far, not with the previous epoch: 2.4, 2.3 and 2.2 are "
                   "all worse than the 2 of epoch 1, so training stops at epoch 4 = 1 + patience"},
               "slow decline after the best")
    # The wait restarts at every new best: count the epochs since the best, not all the bad epochs so far.
    _stop_case([5, 4, 4.5, 3, 3.5, 3.6, 1.0], 3, 6,
               {3: "the wait restarts at every new best: after the new best at epoch 3, epochs 4 and 5 are only "
                   "1 and 2 epochs after it, so training goes on to epoch 6 (count epochs since the BEST epoch, "
                   "not every bad epoch so far)"}, "a bad epoch before a new best")
    # One epoch only.
    _stop_case([0.7], 1, 0, {}, "a single epoch")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_expected(losses, patience):
        best, waited = 0, 0
        for epoch in range(1, len(losses)):
            if losses[epoch] < losses[best]:
                best, waited = epoch, 0
            else:
                waited += 1
                if waited >= patience:
                    return best
        return best

    _fixed = [
        ([1.0, 1.0], 1, 0),                          # tie, patience 1: stops at epoch 1
        ([2.0, 1.0, 1.0, 0.5], 1, 1),                # patience 1 stops at the first non-improvement
        ([3.0, 2.0, 1.0, 0.5], 1, 3),                # strictly falling: never stops
        ([3.0, 2.0, 2.5, 2.7, 2.9], 3, 1),           # the stop is exactly the last epoch
        ([3.0, 2.0, 2.5, 2.7, 1.0], 3, 4),           # new best exactly when the wait would end
        ([0.2], 5, 0),                               # length 1
        ([0.2, 0.1], 5, 1),                          # never stops, patience longer than the list
        ([1.0, 2.0, 3.0, 0.1], 2, 0),                # stops at epoch 2 before seeing the 0.1
        ([1.0, 2.0, 3.0, 0.1], 3, 3),                # patience 3: the 0.1 is a new best first
    ]
    for _losses, _patience, _want in _fixed:
        _got = early_stopping_epoch(list(_losses), _patience)
        assert isinstance(_got, (int, np.integer)) and not isinstance(_got, bool), "return an int"
        assert _got == _want, f"wrong epoch for a list of {len(_losses)} losses with patience {_patience}"
    _rng = np.random.default_rng(6005)
    for _trial in range(40):
        _length = int(_rng.integers(1, 25))
        _losses = [float(v) for v in np.round(_rng.uniform(0, 1, size=_length), 1)]  # rounded: many ties
        if _trial % 4 == 0:
            _losses = sorted(_losses, reverse=True)          # non-increasing: ties but few stops
        _patience = int(_rng.integers(1, 6))
        _saved = list(_losses)
        _got = early_stopping_epoch(_losses, _patience)
        assert _losses == _saved, "val_losses was modified"
        assert _got == _h_expected(_saved, _patience), (
            f"wrong epoch for a random list of {_length} losses with patience {_patience} (ties are frequent here)")
### END HIDDEN TESTS

check.passed("early_stopping_epoch: right on ties, at the patience boundary, and when training never stops.")

# %% [markdown]
# ### Early stopping on the moons
#
# Section 1's run recorded the validation loss after every epoch; `val_losses[e]` is the loss after
# epoch `e`, counting from 0. Full-batch gradient descent makes that curve smooth, so a patience of
# 100 epochs is plenty. The plot marks the epoch that early stopping keeps and the epoch at which
# training would have stopped. Because a run is reproducible from its seed, training again for
# `best + 1` epochs gives back the kept weights.

# %% tags=["demo"]
try:
    PATIENCE = 100
    val_losses = plain_history["val_loss"]
    best = early_stopping_epoch(val_losses, PATIENCE)
    stop = best + PATIENCE
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.plot(epochs_axis - 1, plain_history["train_loss"], label="training loss")
    ax.plot(epochs_axis - 1, val_losses, label="validation loss")
    ax.axvline(best, color="green", linestyle="--", label=f"kept: epoch {best}")
    if stop < len(val_losses):
        ax.axvline(stop, color="red", linestyle=":", label=f"stopped: epoch {stop}")
    ax.plot(best, val_losses[best], "o", color="green")
    ax.set(xlabel="epoch", ylabel="binary cross-entropy", title="Early stopping on the validation loss",
           ylim=(0, 1.1 * max(val_losses)))
    ax.grid(True, alpha=0.3)
    ax.legend()
    plt.tight_layout()
    plt.show()

    early_params, _ = train_net(X_train, Y_train, SIZES, best + 1, LR, np.random.default_rng(2))
    print(f"kept epoch {best}: test accuracy {accuracy(predict_proba(X_test, early_params), Y_test):.3f}, "
          f"test loss {bce_loss(predict_proba(X_test, early_params), Y_test):.3f}")
    print(f"all {EPOCHS} epochs: test accuracy {plain_history['test_acc'][-1]:.3f}, "
          f"test loss {plain_history['test_loss'][-1]:.3f}")
except NotImplementedError:
    print("Write early_stopping_epoch above to see this plot.")

# %% [markdown]
# Early stopping needs no change to the cost or the network, and here it also saves two thirds of the
# training time. It helps the test *loss* far more than the test accuracy: over-fitting shows up as
# over-confidence well before it shows up as wrong answers. Early stopping is related to L2:
# starting from small random weights, gradient descent needs time to grow large ones, so stopping
# early also keeps the weights small.
#
# One caution: choosing the epoch with the validation set makes the validation loss an optimistic
# estimate of the loss on new data. That is why the test set stays out of every decision.

# %% [markdown]
# ### Written question 3: which epoch does early stopping keep? [2 points, graded by hand]
#
# The validation losses after epochs 0 to 7 are
# `[0.60, 0.52, 0.47, 0.49, 0.46, 0.48, 0.50, 0.51]`. Which epoch does `early_stopping_epoch` return
# with `patience=1`, and which with `patience=3`? Explain the difference, and say what a patience
# that is too large costs. Three or four sentences.

# %% [markdown] answer="early_stopping_patience" points=2
# ### BEGIN SOLUTION
# **Model answer.** With patience 1, training stops at epoch 3, the first epoch after the best so far
# (epoch 2, loss 0.47) that did not improve, so it returns 2. With patience 3 the bump at epoch 3 is
# waited out, epoch 4 sets a new best (0.46), and training stops at epoch 7, three epochs later: it
# returns 4. A small patience mistakes noise in the validation loss for the start of over-fitting and
# stops too early; a large patience finds the later, better minimum but trains for more epochs that
# are thrown away (more time), and the restored weights still come from the best epoch, so it costs
# time rather than accuracy.
#
# **Rubric.**
# - [1 point] the two answers, 2 and 4, each with where training stops (epochs 3 and 7) or an equivalent trace (0.5 points each)
# - [1 point] the trade-off: small patience stops on a noisy bump, large patience costs extra epochs (time) but keeps the best weights
# ### END SOLUTION

# %% [markdown]
# ## 5. Explore: λ and the keep probability together
#
# `course.widgets.RegularizationExplorer` takes a function `train_fn(lambd, keep_prob)` that trains
# a network and returns `predict`, a function from `X` $(2, m)$ to probabilities $(1, m)$. The cell
# below builds `train_fn` from the given trainer, so it runs **your** `l2_cost`, `l2_gradients`,
# `dropout_forward` and `dropout_backward`, with the network, data, seed and epochs of the sections
# above. Left: the decision boundary (circles are training points, triangles test points). Right:
# training and test accuracy across $\lambda$ at the chosen keep probability.
#
# Each network takes about half a second to train. The cell trains the six networks with
# `keep_prob = 1` right away; every other pair is trained the first time a slider reaches it and
# remembered after that, and the button "train all pairs" trains the rest in one go. Things to look
# for:
#
# - along the $\lambda$ slider at `keep_prob = 1`: over-fitting at 0, a sweet spot, then
#   under-fitting, until at the largest $\lambda$ every weight is driven to zero and the network
#   answers 0.5 everywhere;
# - where training and test accuracy meet, and whether the test accuracy is highest there;
# - whether dropout still adds anything once $\lambda$ is at its best.

# %% tags=["demo"]
def train_fn(lambd, keep_prob):
    """Train with L2 strength lambd and dropout keep_prob; return predict(X (2, m)) -> probabilities (1, m)."""
    params, _ = train_net(X_train, Y_train, SIZES, EPOCHS, LR, np.random.default_rng(2),
                          lambd=lambd, keep_prob=keep_prob)
    return lambda X: predict_proba(X, params)


try:
    from course import widgets

    explorer = widgets.RegularizationExplorer(train_fn, X_train, Y_train, X_test, Y_test,
                                              lambdas=[0.0, 0.003, 0.01, 0.03, 0.1, 0.3],
                                              keep_probs=[1.0, 0.8, 0.6])
    for lambd in explorer.lambdas:  # train the keep_prob = 1 row now (a few seconds) ...
        explorer.result(lambd, 1.0)
    explorer.set(lambd=0.0)         # ... so that its accuracy curve is complete
    explorer.show()
except NotImplementedError:
    print("Write l2_cost, l2_gradients, dropout_forward and dropout_backward above to use the explorer.")
except (ImportError, AttributeError, TypeError) as err:
    print(f"The interactive explorer is not available here ({type(err).__name__}: {err}).")

# %% [markdown]
# ## Summary
#
# - **Over-fitting**: a network with far more parameters than data points learns the noise of its
#   sample; training accuracy reaches 100 % while test accuracy and test loss get worse.
# - **L2**: $C_{L2} = C + \frac{\lambda}{2}\sum_l \lVert W^{[l]}\rVert_F^2$, so `dW[l] += λ W[l]` and
#   the biases are left alone. With gradient descent this is weight decay,
#   $W \leftarrow (1 - \eta\lambda) W - \eta\,\partial C/\partial W$. Too small a $\lambda$ over-fits,
#   too large a $\lambda$ under-fits.
# - **Inverted dropout**: during training keep each hidden unit with probability $p$ and divide the
#   survivors by $p$, so that the expected activation is unchanged and the test-time network needs no
#   change; the backward pass applies the same mask and the same $1/p$.
# - **Early stopping**: watch the loss on a validation set, stop `patience` epochs after its best
#   epoch, and keep that epoch's weights; the test set stays out of the decision.
#
# Next, notebook 07: better ways to take the gradient step itself (momentum, RMSProp, Adam) and
# learning-rate schedules.
