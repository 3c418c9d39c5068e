# %% [markdown]
# # 03 · Backpropagation: the four equations
#
# Notebook 02 turned an input into a prediction. Training needs more: the gradient of the cost
# with respect to every weight and every bias. Backpropagation delivers all of them in one sweep
# from the output back to the input, at roughly the price of a second forward pass.
#
# **What you will learn**
# - why differentiating the composed cost separately for each layer repeats the same products;
# - the error $\delta^{[l]} = \partial C / \partial Z^{[l]}$ and the four equations BP1–BP4, with the
#   shape of every term;
# - why sigmoid + binary cross-entropy and softmax + cross-entropy both give $\delta^{[L]} = A^{[L]} - Y$,
#   and why squared error behind a sigmoid output learns slowly when it is badly wrong;
# - how to test any gradient code against finite differences.
#
# **What you will write** (14 points), and three written questions graded by hand (6 points). Throughout this notebook the network sees **one example at
# a time** ($m = 1$): every activation, pre-activation and error is a column of shape $(n, 1)$.
# Notebook 04 extends everything to a batch.
#
# | exercise | points |
# |---|---|
# | `sigmoid_prime`, `relu_prime`, `leaky_relu_prime`, `tanh_prime` | 4 × 0.5 |
# | `mse_loss` (1), `bce_loss` (0.5), `cross_entropy_loss` (0.5) | 2 |
# | `output_delta` (BP1) | 2 |
# | `hidden_delta` (BP2) | 2 |
# | `param_gradients` (BP3, BP4) | 1 |
# | `backward` | 3 |
# | `gradient_check` | 2 |
#
# Each answer cell is followed by a test cell. Run it: when something is wrong its message tries to
# name the likely mistake (a transpose, a missing factor, a flipped sign).

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

from course import check

np.set_printoptions(precision=6, suppress=True, floatmode="fixed")

# %% [markdown]
# ## Given: forward propagation
#
# Backpropagation runs on what the forward pass leaves behind. The next cell is **given** (you wrote
# the same things in notebook 02; they are repeated here so that this notebook stands on its own).
# Run it, do not edit it. It defines the activations `sigmoid`, `relu`, `leaky_relu`, `tanh`,
# `identity`, `softmax` and
#
# `forward(X, params, hidden_activation, output_activation) -> (AL, cache)`
#
# where `cache` holds every intermediate value by layer number: `cache["A0"]` is the input,
# then `cache["Z1"]`, `cache["A1"]`, ..., up to `cache[f"Z{L}"]` and `cache[f"A{L}"]` for the
# output layer $L$ (for a two-layer net the last keys are `"Z2"` and `"A2"`).

# %%
# ---------------------------------------------------------------- GIVEN: forward propagation
# Shapes: X = A0 is (n[0], m); W[l] is (n[l], n[l-1]); b[l] is (n[l], 1); Z[l], A[l] are (n[l], m).


def sigmoid(z):
    """1 / (1 + e^-z), element-wise; exp only ever sees -|z|, so nothing overflows."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def relu(z):
    """max(z, 0), element-wise."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, 0.0)


def leaky_relu(z, alpha=0.01):
    """z where z > 0, alpha * z elsewhere."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z)


def tanh(z):
    """Hyperbolic tangent, element-wise."""
    return np.tanh(np.asarray(z, dtype=float))


def identity(z):
    """g(z) = z (the output activation for regression)."""
    return np.asarray(z, dtype=float)


def softmax(Z):
    """Column-wise softmax (K, m) -> (K, m); subtracting each column's max keeps exp finite."""
    Z = np.asarray(Z, dtype=float)
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu, "leaky_relu": leaky_relu, "tanh": tanh,
               "identity": identity, "softmax": softmax}


def forward(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """Forward pass through L layers; returns (AL, cache).

    X: (n[0], m). params: {"W1", "b1", ..., "WL", "bL"}.
    cache: {"A0": X, "Z1": ..., "A1": ..., ..., "ZL": ..., "AL": ...} with L written as a number.
    """
    L = len(params) // 2
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = ACTIVATIONS[output_activation if l == L else hidden_activation](Z)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return A, cache


# %% [markdown]
# ### The worked example
#
# We follow one small network through the whole notebook: the 1-2-1 net of notebook 02 (one input,
# two sigmoid hidden units, one sigmoid output) with
# $$W^{[1]} = \begin{bmatrix}0.3\\0.4\end{bmatrix},\quad b^{[1]} = \begin{bmatrix}0.1\\0.2\end{bmatrix},\quad
# W^{[2]} = \begin{bmatrix}1 & -3\end{bmatrix},\quad b^{[2]} = \begin{bmatrix}0.2\end{bmatrix},$$
# input $x = 1$, target $y = 1$ and the squared-error cost $C = \tfrac12 (a^{[2]} - y)^2$.
# The given `forward` reproduces the numbers of notebook 02: $Z^{[1]} = [0.4, 0.6]^T$,
# $A^{[1]} = [0.598688, 0.645656]^T$, $Z^{[2]} = -1.138281$, $A^{[2]} = 0.242636$, and the cost is
# $\tfrac12 (0.242636 - 1)^2 = 0.286800$.

# %%
worked_params = {
    "W1": np.array([[0.3], [0.4]]),
    "b1": np.array([[0.1], [0.2]]),
    "W2": np.array([[1.0, -3.0]]),
    "b2": np.array([[0.2]]),
}
worked_x = np.array([[1.0]])
worked_y = np.array([[1.0]])
worked_AL, worked_cache = forward(worked_x, worked_params, "sigmoid", "sigmoid")
for key, value in worked_cache.items():
    print(f"{key:>3} = {value.ravel()}")
print(f"cost = {0.5 * float(np.sum((worked_AL - worked_y) ** 2)):.6f}")

# %% [markdown]
# ## 1. Why not differentiate the cost directly?
#
# For one example the cost is a long composition,
# $$C = \ell\Big(g^{[L]}\big(W^{[L]}\, g^{[L-1]}(\cdots g^{[1]}(W^{[1]} x + b^{[1]}) \cdots) + b^{[L]}\big),\ y\Big).$$
# You could differentiate this expression once for every parameter. Look at what that would compute.
#
# Each pre-activation depends on the previous one through $Z^{[l]} = W^{[l]} g(Z^{[l-1]}) + b^{[l]}$, whose
# Jacobian is
# $$J^{[l]} = \frac{\partial Z^{[l]}}{\partial Z^{[l-1]}} = W^{[l]}\,\mathrm{diag}\big(g'(Z^{[l-1]})\big),
# \qquad \text{shape } (n^{[l]}, n^{[l-1]}).$$
# Write $\delta^{[l]}$ for the gradient of $C$ with respect to $Z^{[l]}$ (a column, shape $(n^{[l]}, 1)$).
# By the chain rule, for a four-layer net, written out separately for each layer:
# $$\begin{aligned}
# \delta^{[3]} &= J^{[4]T}\,\delta^{[4]}\\
# \delta^{[2]} &= J^{[3]T}\,J^{[4]T}\,\delta^{[4]}\\
# \delta^{[1]} &= J^{[2]T}\,J^{[3]T}\,J^{[4]T}\,\delta^{[4]}
# \end{aligned}$$
# Evaluated right to left, the product $J^{[4]T}\delta^{[4]}$ is computed three times and
# $J^{[3]T}(J^{[4]T}\delta^{[4]})$ twice. Computed separately, layer $l$ needs $L - l$ products, so all
# layers together need $0 + 1 + \dots + (L-1) = L(L-1)/2$. But the bracket in each line is the whole of the
# line above it: keep $\delta^{[l+1]}$ and
# $$\delta^{[l]} = J^{[l+1]T}\,\delta^{[l+1]}$$
# costs **one** product per layer, $L - 1$ in all. That reuse is backpropagation.
#
# A second saving hides in the order. Starting from the cost end, every product is a matrix times a
# *vector* ($n^2$ multiplications for width $n$). Multiplying the Jacobians together first would mean
# matrix-matrix products ($n^3$ each) and matrices we never need.

# %%
print(f"{'layers L':>9} {'products, each layer separately':>32} {'products, reusing delta':>24}")
for L in [2, 3, 4, 8, 16, 50, 100]:
    print(f"{L:>9} {L * (L - 1) // 2:>32} {L - 1:>24}")

# %% [markdown]
# ## 2. The error $\delta^{[l]}$
#
# $$\delta^{[l]} = \frac{\partial C}{\partial Z^{[l]}}, \qquad \delta^{[l]}_j = \frac{\partial C}{\partial z^{[l]}_j},
# \qquad \text{shape } (n^{[l]}, 1), \text{ the shape of } Z^{[l]}.$$
#
# Why the gradient with respect to $Z$ rather than $A$ or $W$? Because $Z^{[l]}$ is the meeting point:
# the parameters $W^{[l]}, b^{[l]}$ enter the network there, and $Z^{[l]}$ is one step away from $Z^{[l-1]}$.
# Once $\delta^{[l]}$ is known, the gradients of $W^{[l]}$ and $b^{[l]}$ are one multiplication away, and so is
# $\delta^{[l-1]}$.
#
# The name "error" fits: $\delta^{[l]}_j$ says how much the cost changes per unit nudge of unit $j$'s
# pre-activation. A large value means that unit is, to first order, badly placed; zero means it is
# already where the cost wants it.

# %% [markdown]
# ## 3. The four equations
#
# For an element-wise activation $g$ (every activation here except softmax), with $\odot$ the element-wise
# product:
#
# $$\begin{aligned}
# &\textbf{(BP1)} & \delta^{[L]} &= \frac{\partial C}{\partial A^{[L]}} \odot g^{[L]\prime}(Z^{[L]}) \\
# &\textbf{(BP2)} & \delta^{[l]} &= \big(W^{[l+1]T}\,\delta^{[l+1]}\big) \odot g^{[l]\prime}(Z^{[l]}) \\
# &\textbf{(BP3)} & \frac{\partial C}{\partial b^{[l]}} &= \delta^{[l]} \\
# &\textbf{(BP4)} & \frac{\partial C}{\partial W^{[l]}} &= \delta^{[l]}\,A^{[l-1]T}
# \end{aligned}$$
#
# | term | shape |
# |---|---|
# | $\delta^{[L]}$, $\partial C/\partial A^{[L]}$, $Z^{[L]}$ | $(n^{[L]}, 1)$ |
# | $W^{[l+1]T}$ | $(n^{[l]}, n^{[l+1]})$ |
# | $\delta^{[l+1]}$ | $(n^{[l+1]}, 1)$ |
# | $\delta^{[l]}$, $g'(Z^{[l]})$, $\partial C/\partial b^{[l]}$ | $(n^{[l]}, 1)$ |
# | $\delta^{[l]} A^{[l-1]T}$ = $(n^{[l]}, 1)$ times $(1, n^{[l-1]})$ | $(n^{[l]}, n^{[l-1]})$, the shape of $W^{[l]}$ |
#
# Each follows from the chain rule in one line, written for single entries:
#
# - **BP1.** $a^{[L]}_j = g(z^{[L]}_j)$ depends on $z^{[L]}_j$ alone, so
#   $\partial C/\partial z^{[L]}_j = (\partial C/\partial a^{[L]}_j)\, g'(z^{[L]}_j)$.
# - **BP2.** $z^{[l]}_j$ reaches the cost only through the next layer,
#   $z^{[l+1]}_i = \sum_j w^{[l+1]}_{ij}\, g(z^{[l]}_j) + b^{[l+1]}_i$, so
#   $\partial C/\partial z^{[l]}_j = \sum_i \delta^{[l+1]}_i\, w^{[l+1]}_{ij}\, g'(z^{[l]}_j)$. The sum over $i$ runs down
#   column $j$ of $W^{[l+1]}$, which is row $j$ of $W^{[l+1]T}$: hence the transpose. (This is the product
#   $J^{[l+1]T}\delta^{[l+1]}$ of section 1.)
# - **BP3.** $\partial z^{[l]}_j / \partial b^{[l]}_j = 1$, so the bias gradient is the error itself.
# - **BP4.** $\partial z^{[l]}_j / \partial w^{[l]}_{jk} = a^{[l-1]}_k$, so
#   $\partial C/\partial w^{[l]}_{jk} = \delta^{[l]}_j\, a^{[l-1]}_k$: every pair (unit $j$, input $k$), which is the
#   outer product $\delta^{[l]} A^{[l-1]T}$. A weight learns fast when its input is large *and* its unit's
#   error is large.
#
# The algorithm: run `forward` and keep the cache; get $\delta^{[L]}$ from BP1; then for
# $l = L, L-1, \dots, 1$ read off $\partial C/\partial W^{[l]}$ and $\partial C/\partial b^{[l]}$ (BP3, BP4) and,
# while $l > 1$, step down to $\delta^{[l-1]}$ (BP2). Everything it needs ($Z^{[l]}$, $A^{[l-1]}$, $W^{[l+1]}$)
# is in the cache or the parameters.

# %% [markdown]
# ## 4. Derivatives of the activations
#
# BP1 and BP2 need $g'(Z)$. Each is short:
#
# | $g(z)$ | $g'(z)$ |
# |---|---|
# | sigmoid $\sigma(z) = 1/(1 + e^{-z})$ | $\sigma(z)\,(1 - \sigma(z))$ |
# | ReLU $\max(z, 0)$ | $1$ if $z > 0$, else $0$ |
# | leaky ReLU ($z$ if $z > 0$, else $\alpha z$) | $1$ if $z > 0$, else $\alpha$ |
# | $\tanh z$ | $1 - \tanh^2 z$ |
#
# The sigmoid line comes from $\sigma'(z) = e^{-z}/(1+e^{-z})^2 = \sigma(z)\cdot\frac{e^{-z}}{1+e^{-z}} = \sigma(z)(1-\sigma(z))$.
#
# ReLU has a kink at $z = 0$ where no derivative exists. Any value between 0 and 1 is a valid
# "subgradient"; **this course uses $\mathrm{relu}'(0) = 0$** (and $\alpha$ for leaky ReLU at 0). In practice
# a pre-activation is almost never exactly 0, so the choice rarely matters.
#
# The given `sigmoid` above is written so that it never overflows; reuse it in `sigmoid_prime` so your
# derivative stays finite for large $|z|$ too (writing $e^{-z}/(1+e^{-z})^2$ directly gives `inf/inf = nan`
# at $z = -1000$).
#
# A trap: the formulas in the table take $z$. It is easy to write `z * (1 - z)` for the sigmoid or
# `1 - z**2` for tanh: those are the derivatives written in terms of the *activation* $a$, and they are wrong
# when fed $z$. Each function below receives $z$ (in the network, `Z`).
#
# All four take an array of any shape and return a **new** array of the same shape (in this notebook
# usually a column $(n, 1)$).

# %% solution="sigmoid_prime"
def sigmoid_prime(z):
    """Derivative of the sigmoid, element-wise.

    Arguments:
    z -- array of any shape, e.g. Z[l] of shape (n[l], 1)

    Returns:
    ds -- array of the same shape as z: sigma(z) * (1 - sigma(z)); finite for any z, even |z| = 1000
          (use the given, stable sigmoid)
    """
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1 - s)
    ### END SOLUTION


# %% test="sigmoid_prime" points=0.5
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for _z in (np.array([[-2.0], [0.0], [0.5], [3.0]]), np.array([[-1.0, 0.25, 2.0], [4.0, -0.5, 1.5]])):
        _got = check.check_not_mutated(
            sigmoid_prime, _z,
            hint="z is Z[l] of the caller's cache, which backprop still needs: compute s = sigmoid(z) "
                 "and return a new array, never write into z (z[...] = ..., z *= ..., out=z)")
        check.check_shape(_got, _z.shape, f"sigmoid_prime of a {_z.shape} array")
        _s = 1 / (1 + np.exp(-_z))
        if np.allclose(_got, _z * (1 - _z)):
            raise AssertionError("sigmoid_prime: you computed z * (1 - z); the formula is s * (1 - s) "
                                 "with s = sigmoid(z)")
        if np.allclose(_got, _s):
            raise AssertionError("sigmoid_prime: you returned sigmoid(z) itself, not its derivative")
        check.check_array(_got, _s * (1 - _s), name=f"sigmoid_prime of a {_z.shape} array")
    _got = sigmoid_prime(np.array([[-1000.0], [1000.0]]))
    if np.shape(_got) == (2, 1) and not np.all(np.isfinite(np.asarray(_got, dtype=float))):
        raise AssertionError("sigmoid_prime gave NaN/inf at z = -1000 or 1000: e^{-z} (or e^{z}) overflows to inf there, "
                             "and inf / inf is NaN. Compute s = sigmoid(z) with the given sigmoid, which never "
                             "overflows, and return s * (1 - s)")
    check.check_array(_got, np.zeros((2, 1)), "sigmoid_prime at z = -1000 and 1000 (use the given stable sigmoid)")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(301)
    for _ in range(5):
        _shape = tuple(int(k) for k in _rng.integers(1, 7, size=2))
        _z = _rng.normal(scale=4.0, size=_shape)
        _s = 1 / (1 + np.exp(-_z))
        _got = np.asarray(sigmoid_prime(_z.copy()))
        assert _got.shape == _shape, f"sigmoid_prime: wrong shape for a {_shape} input"
        assert np.allclose(_got, _s * (1 - _s), rtol=1e-6, atol=1e-10), f"sigmoid_prime: wrong values for a {_shape} input"
    _z = np.array([[-1000.0], [-40.0], [40.0], [1000.0]])
    _got = np.asarray(sigmoid_prime(_z))
    assert np.all(np.isfinite(_got)), "sigmoid_prime: NaN/inf for large |z|: use the stable sigmoid"
    assert np.allclose(_got, 0.0, atol=1e-15), "sigmoid_prime: should be ~0 for large |z|"
    _z = np.array([[0.7], [-0.3]])
    _keep = _z.copy()
    sigmoid_prime(_z)
    assert np.array_equal(_z, _keep), "sigmoid_prime modified its input z in place"
    ### END HIDDEN TESTS
check.passed("sigmoid_prime: all checks passed.")


# %% solution="relu_prime"
def relu_prime(z):
    """Derivative of ReLU, element-wise, with the convention relu'(0) = 0.

    Arguments:
    z -- array of any shape, e.g. Z[l] of shape (n[l], 1)

    Returns:
    dr -- float array of the same shape as z: 1.0 where z > 0, 0.0 elsewhere (including z == 0)
    """
    ### BEGIN SOLUTION
    z = np.asarray(z)
    return (z > 0).astype(float)
    ### END SOLUTION


# %% test="relu_prime" points=0.5
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _z = np.array([[-2.0], [0.5], [3.0], [-0.1]])
    _got = check.check_not_mutated(
        relu_prime, _z,
        hint="z is Z[l] of the caller's cache, which backprop still needs: build the result as a new "
             "array from the comparison z > 0 instead of assigning into z (z[z > 0] = 1)")
    check.check_shape(_got, _z.shape, "relu_prime of a (4, 1) column")
    if np.allclose(_got, np.maximum(_z, 0)):
        raise AssertionError("relu_prime: you returned relu(z) itself; the derivative is 1 where z > 0, else 0")
    if np.allclose(_got, np.sign(_z)):
        raise AssertionError("relu_prime: -1 for z < 0 (np.sign?): relu is flat there, so its slope is 0")
    check.check_array(_got, np.array([[0.0], [1.0], [1.0], [0.0]]), name="relu_prime of a (4, 1) column")
    _z = np.array([[-1.5, 2.0, 0.3], [4.0, -0.2, -3.0]])
    check.check_array(relu_prime(_z), (_z > 0) * 1.0, name="relu_prime of a (2, 3) array")
    _at0 = np.asarray(relu_prime(np.array([[0.0]]))).ravel()
    assert _at0.size == 1 and _at0[0] == 0, (
        "relu_prime(0) should be 0 (this course's convention): use z > 0, not z >= 0")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(302)
    for _ in range(5):
        _shape = tuple(int(k) for k in _rng.integers(1, 7, size=2))
        _z = _rng.normal(scale=3.0, size=_shape)
        _got = np.asarray(relu_prime(_z.copy()), dtype=float)
        assert _got.shape == _shape, f"relu_prime: wrong shape for a {_shape} input"
        assert np.allclose(_got, (_z > 0) * 1.0), f"relu_prime: wrong values for a {_shape} input"
    _got = np.asarray(relu_prime(np.array([[-1e300], [0.0], [1e-300], [1e300]])), dtype=float)
    assert np.array_equal(_got, np.array([[0.0], [0.0], [1.0], [1.0]])), "relu_prime: wrong for extreme values or at 0"
    _z = np.array([[0.7], [-0.3]])
    _keep = _z.copy()
    relu_prime(_z)
    assert np.array_equal(_z, _keep), "relu_prime modified its input z in place"
    ### END HIDDEN TESTS
check.passed("relu_prime: all checks passed.")


# %% solution="leaky_relu_prime"
def leaky_relu_prime(z, alpha=0.01):
    """Derivative of leaky ReLU, element-wise.

    Arguments:
    z -- array of any shape, e.g. Z[l] of shape (n[l], 1)
    alpha -- slope for z <= 0

    Returns:
    dl -- float array of the same shape as z: 1.0 where z > 0, alpha elsewhere
    """
    ### BEGIN SOLUTION
    z = np.asarray(z)
    return np.where(z > 0, 1.0, alpha)
    ### END SOLUTION


# %% test="leaky_relu_prime" points=0.5
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _z = np.array([[-2.0], [0.5], [3.0], [-0.1]])
    _got = check.check_not_mutated(
        leaky_relu_prime, _z,
        hint="z is Z[l] of the caller's cache, which backprop still needs: build the result as a new "
             "array (np.where makes one) instead of assigning into z")
    check.check_shape(_got, _z.shape, "leaky_relu_prime of a (4, 1) column")
    if np.allclose(_got, np.where(_z > 0, 1.0, -0.01)):
        raise AssertionError("leaky_relu_prime: -alpha for z < 0: the slope of alpha * z is +alpha")
    if np.allclose(_got, (_z > 0) * 1.0):
        raise AssertionError("leaky_relu_prime: for z < 0 the slope is alpha, not 0")
    if np.allclose(_got, np.where(_z > 0, 1.0, 0.01 * _z)):
        raise AssertionError("leaky_relu_prime: for z < 0 the derivative of alpha * z is alpha, not alpha * z")
    check.check_array(_got, np.array([[0.01], [1.0], [1.0], [0.01]]), name="leaky_relu_prime of a (4, 1) column")
    _z = np.array([[-1.5, 2.0, 0.3], [4.0, -0.2, -3.0]])
    check.check_array(leaky_relu_prime(_z), np.where(_z > 0, 1.0, 0.01), name="leaky_relu_prime of a (2, 3) array")
    _got = leaky_relu_prime(_z, alpha=0.2)
    if np.allclose(np.asarray(_got, dtype=float), np.where(_z > 0, 1.0, 0.01)):
        raise AssertionError("leaky_relu_prime(z, alpha=0.2): the alpha argument was ignored (0.01 used)")
    check.check_array(_got, np.where(_z > 0, 1.0, 0.2), name="leaky_relu_prime(z, alpha=0.2)")
    # At the kink: alpha, on the same side as relu'(0) = 0.
    _at0 = np.asarray(leaky_relu_prime(np.array([[0.0], [-0.0]]), alpha=0.2), dtype=float)
    if _at0.shape == (2, 1) and np.allclose(_at0, 1.0):
        raise AssertionError("leaky_relu_prime(0) should be alpha, as relu'(0) = 0 in this course: "
                             "use z > 0, not z >= 0")
    if _at0.shape == (2, 1) and np.allclose(_at0, 0.0):
        raise AssertionError("leaky_relu_prime(0) should be alpha, not 0: the derivative is 1 where z > 0 and "
                             "alpha everywhere else, z = 0 included")
    check.check_array(_at0, np.array([[0.2], [0.2]]), name="leaky_relu_prime at z = 0 and -0 with alpha = 0.2")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(303)
    for _ in range(5):
        _shape = tuple(int(k) for k in _rng.integers(1, 7, size=2))
        _z = _rng.normal(scale=3.0, size=_shape)
        _alpha = float(_rng.uniform(0.01, 0.3))
        _got = np.asarray(leaky_relu_prime(_z.copy(), _alpha), dtype=float)
        assert _got.shape == _shape, f"leaky_relu_prime: wrong shape for a {_shape} input"
        assert np.allclose(_got, np.where(_z > 0, 1.0, _alpha)), (
            f"leaky_relu_prime: wrong values for a {_shape} input with alpha = {_alpha:.3f}")
    _got = np.asarray(leaky_relu_prime(np.array([[-1e300], [1e300]])), dtype=float)
    assert np.allclose(_got, np.array([[0.01], [1.0]])), "leaky_relu_prime: wrong for extreme values"
    _got = np.asarray(leaky_relu_prime(np.array([[0.0, -0.0], [1e-300, -1e-300]]), 0.3), dtype=float)
    assert np.array_equal(_got, np.array([[0.3, 0.3], [1.0, 0.3]])), "leaky_relu_prime: wrong at z = 0 or next to it"
    _z = np.array([[0.7], [-0.3]])
    _keep = _z.copy()
    leaky_relu_prime(_z)
    assert np.array_equal(_z, _keep), "leaky_relu_prime modified its input z in place"
    ### END HIDDEN TESTS
check.passed("leaky_relu_prime: all checks passed.")


# %% solution="tanh_prime"
def tanh_prime(z):
    """Derivative of tanh, element-wise.

    Arguments:
    z -- array of any shape, e.g. Z[l] of shape (n[l], 1)

    Returns:
    dt -- array of the same shape as z: 1 - tanh(z)**2
    """
    ### BEGIN SOLUTION
    t = np.tanh(z)
    return 1 - t**2
    ### END SOLUTION


# %% test="tanh_prime" points=0.5
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for _z in (np.array([[-2.0], [0.0], [0.5], [3.0]]), np.array([[-1.0, 0.25, 2.0], [4.0, -0.5, 1.5]])):
        _got = check.check_not_mutated(
            tanh_prime, _z,
            hint="z is Z[l] of the caller's cache, which backprop still needs: compute t = np.tanh(z) "
                 "as a new array, not np.tanh(z, out=z) or z[...] = ...")
        check.check_shape(_got, _z.shape, f"tanh_prime of a {_z.shape} array")
        if np.allclose(_got, 1 - _z**2):
            raise AssertionError("tanh_prime: you computed 1 - z**2; the formula is 1 - tanh(z)**2")
        if np.allclose(_got, np.tanh(_z)):
            raise AssertionError("tanh_prime: you returned tanh(z) itself, not its derivative")
        check.check_array(_got, 1 - np.tanh(_z) ** 2, name=f"tanh_prime of a {_z.shape} array")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(304)
    for _ in range(5):
        _shape = tuple(int(k) for k in _rng.integers(1, 7, size=2))
        _z = _rng.normal(scale=2.0, size=_shape)
        _got = np.asarray(tanh_prime(_z.copy()))
        assert _got.shape == _shape, f"tanh_prime: wrong shape for a {_shape} input"
        assert np.allclose(_got, 1 - np.tanh(_z) ** 2, rtol=1e-6, atol=1e-12), f"tanh_prime: wrong values for a {_shape} input"
    _got = np.asarray(tanh_prime(np.array([[-1000.0], [1000.0]])))
    assert np.all(np.isfinite(_got)) and np.allclose(_got, 0.0), "tanh_prime: should be 0 (and finite) for large |z|"
    _z = np.array([[0.7], [-0.3]])
    _keep = _z.copy()
    tanh_prime(_z)
    assert np.array_equal(_z, _keep), "tanh_prime modified its input z in place"
    ### END HIDDEN TESTS
check.passed("tanh_prime: all checks passed.")


# %% [markdown]
# A picture to check yourself: each of your derivatives (solid) against the slope of the given
# activation measured by central differences (dots). Note the sigmoid's slope never exceeds $0.25$:
# in BP2 the factor $g'(Z^{[l]})$ of a sigmoid layer scales every component of the error by at most
# $\tfrac14$. Whether the error as a whole shrinks also depends on the other factor, $W^{[l+1]T}$: large
# weights can make up for it. In the worked example (section 9 computes both) $|\delta^{[2]}| = 0.139$ and
# $\lVert\delta^{[1]}\rVert = 0.101$, only $1.37$ times smaller, because $|w^{[2]}_{12}| = 3$. With small
# weights, though, a deep stack of sigmoid layers multiplies many factors of at most $\tfrac14$, one reason
# deep sigmoid networks learn slowly. At the ReLU kink the central difference reads $0.5$, the average of
# the two one-sided slopes: a reminder that there is no true derivative there, only our convention.

# %% tags=["demo"]
_zs = np.linspace(-5, 5, 401)
_h = 1e-5
# alpha = 0.1 in the picture: at the default 0.01 leaky ReLU cannot be told from ReLU at this scale
_pairs = [("sigmoid", sigmoid, "sigmoid_prime", {}), ("relu", relu, "relu_prime", {}),
          ("leaky_relu, alpha = 0.1", lambda z: leaky_relu(z, 0.1), "leaky_relu_prime", {"alpha": 0.1}),
          ("tanh", tanh, "tanh_prime", {})]
fig, axes = plt.subplots(1, 4, figsize=(14, 3), sharey=True)
for ax, (title, g, prime_name, options) in zip(axes, _pairs):
    slope = (g(_zs + _h) - g(_zs - _h)) / (2 * _h)
    ax.plot(_zs[::20], slope[::20], "o", ms=4, color="tab:gray", label="numerical slope")
    try:
        ax.plot(_zs, globals()[prime_name](_zs, **options), color="tab:blue", label=f"your {prime_name}")
    except NotImplementedError:
        ax.text(0, 0.5, f"write {prime_name}\nto see it here", ha="center")
    ax.set_title(title)
    ax.set_xlabel("z")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("g'(z)")
axes[0].legend(loc="upper left", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Losses
#
# The cost is the **mean over the batch** of a per-example loss; with $m$ examples as the columns of $A^{[L]}$
# and $Y$ (shape $(n^{[L]}, m)$), and $a^{(i)}, y^{(i)}$ the $i$-th columns:
#
# | name | per-example loss | used with output |
# |---|---|---|
# | `"mse"` | $\tfrac12 \lVert a - y \rVert^2 = \tfrac12 \sum_k (a_k - y_k)^2$ | identity (regression) |
# | `"bce"` | $-\sum_k \big[y_k \log a_k + (1 - y_k) \log(1 - a_k)\big]$, $y_k \in \{0, 1\}$ | sigmoid |
# | `"cross_entropy"` | $-\sum_k y_k \log a_k$, $y$ one-hot | softmax |
#
# $$C = \frac{1}{m} \sum_{i=1}^{m} \text{loss}\big(a^{(i)}, y^{(i)}\big).$$
#
# Sum over the output units $k$, average over the examples $i$: `np.mean` over the whole array would
# also divide by $n^{[L]}$, which is a different cost. The $\tfrac12$ in the squared error is there so that
# its derivative is simply $a - y$.
#
# **Numerical stability.** A sigmoid or softmax output can round to exactly 0 or 1 in floating point.
# Then $\log 0 = -\infty$, and worse, $0 \cdot \log 0$ evaluates to `nan` although its limit is 0. The
# usual cure is to clip the probabilities into $[\varepsilon, 1 - \varepsilon]$ with a tiny $\varepsilon$
# (say $10^{-12}$) before taking logs: `np.clip(AL, eps, 1 - eps)`.
#
# Each loss returns a Python `float` (use `float(...)` on the final NumPy number).

# %% solution="mse_loss"
def mse_loss(AL, Y):
    """Squared-error cost: mean over the examples of 0.5 * ||a - y||^2.

    Arguments:
    AL -- predictions, shape (n[L], m)
    Y -- targets, shape (n[L], m)

    Returns:
    cost -- Python float, (1/m) * sum over all entries of 0.5 * (AL - Y)**2
    """
    ### BEGIN SOLUTION
    m = AL.shape[1]
    return float(0.5 * np.sum((AL - Y) ** 2) / m)
    ### END SOLUTION


# %% test="mse_loss" points=1
import math
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    # The worked example: a = 0.242636..., y = 1.
    _AL = np.array([[0.24263605935]])
    _got = mse_loss(_AL, np.array([[1.0]]))
    assert isinstance(_got, float), f"mse_loss should return a Python float, got {type(_got).__name__}: use float(...)"
    if np.isclose(_got, 2 * 0.286800, atol=2e-6):
        raise AssertionError("mse_loss: twice the expected value: the per-example loss is 0.5 * ||a - y||^2")
    check.check_scalar(_got, 0.286800, "mse_loss on the worked example", rtol=0, atol=1e-6)
    # Two outputs, three examples.
    _AL = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 0.25]])
    _Y = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.75]])
    _want = 0.5 * np.sum((_AL - _Y) ** 2) / 3
    _got = mse_loss(_AL, _Y)
    assert isinstance(_got, float), f"mse_loss should return a Python float, got {type(_got).__name__}: use float(...)"
    if np.isclose(_got, 2 * _want):
        raise AssertionError("mse_loss: twice the expected value: the per-example loss is 0.5 * ||a - y||^2")
    if np.isclose(_got, _want / 2):
        raise AssertionError("mse_loss: half the expected value: you divided by n[L] * m (np.mean over everything); "
                             "sum over the output units and divide by m only")
    if np.isclose(_got, _want * 3 / 2):
        raise AssertionError("mse_loss on a (2, 3) batch: you divided by AL.shape[0] = n[L] = 2, the number of output "
                             "units; m is the number of examples, the columns: AL.shape[1] = 3")
    check.check_scalar(_got, _want, "mse_loss on a (2, 3) batch", m=3)
    check.check_not_mutated(
        mse_loss, _AL, _Y,
        hint="AL and Y are the caller's arrays: AL - Y already makes a new array to square; AL -= Y or "
             "AL **= 2 overwrite the predictions")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(305)
    for _ in range(5):
        _n, _m = (int(k) for k in _rng.integers(1, 8, size=2))
        _AL = _rng.normal(size=(_n, _m))
        _Y = _rng.normal(size=(_n, _m))
        _got = mse_loss(_AL.copy(), _Y.copy())
        assert isinstance(_got, float), "mse_loss should return a Python float"
        assert math.isclose(_got, 0.5 * np.sum((_AL - _Y) ** 2) / _m, rel_tol=1e-9), (
            f"mse_loss: wrong value for a ({_n}, {_m}) batch: sum over units, mean over examples, factor 0.5")
    assert mse_loss(np.ones((3, 4)), np.ones((3, 4))) == 0.0, "mse_loss: should be 0 when AL == Y"
    ### END HIDDEN TESTS
check.passed("mse_loss: all checks passed.")


# %% solution="bce_loss"
def bce_loss(AL, Y):
    """Binary cross-entropy cost, numerically stable.

    Arguments:
    AL -- predicted probabilities, shape (n[L], m), entries in [0, 1] (0 and 1 included)
    Y -- labels, shape (n[L], m), entries 0 or 1

    Returns:
    cost -- Python float, -(1/m) * sum over all entries of Y log(AL) + (1 - Y) log(1 - AL);
            finite even where AL is exactly 0 or 1 (clip AL away from 0 and 1 first)
    """
    ### BEGIN SOLUTION
    m = AL.shape[1]
    eps = 1e-12
    A = np.clip(AL, eps, 1 - eps)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
    ### END SOLUTION


# %% test="bce_loss" points=0.5
import math
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _AL = np.array([[0.7, 0.05], [0.4, 0.5], [0.99, 0.2]])
    _Y = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    _want = -np.sum(_Y * np.log(_AL) + (1 - _Y) * np.log(1 - _AL)) / 2
    _got = bce_loss(_AL, _Y)
    assert isinstance(_got, float), f"bce_loss should return a Python float, got {type(_got).__name__}: use float(...)"
    if np.isclose(_got, _want / 3):
        raise AssertionError("bce_loss: you divided by n[L] * m (np.mean over everything); "
                             "sum over the output units and divide by m only")
    if np.isclose(_got, _want * 2 / 3):
        raise AssertionError("bce_loss on a (3, 2) batch: you divided by AL.shape[0] = n[L] = 3, the number of output "
                             "units; m is the number of examples, the columns: AL.shape[1] = 2")
    check.check_scalar(_got, _want, "bce_loss on a (3, 2) batch", rtol=1e-6, m=2)
    # One output unit, four examples: n[L] = 1, so here only the 1/m tells a mean from a sum.
    _AL = np.array([[0.9, 0.2, 0.6, 0.3]])
    _Y = np.array([[1.0, 0.0, 0.0, 1.0]])
    _want = -np.sum(_Y * np.log(_AL) + (1 - _Y) * np.log(1 - _AL)) / 4
    check.check_scalar(bce_loss(_AL, _Y), _want, "bce_loss on a (1, 4) batch", rtol=1e-6, m=4)
    # Probabilities of exactly 0 and 1.
    _got = bce_loss(np.array([[0.0, 1.0, 1.0, 0.0]]), np.array([[0.0, 1.0, 1.0, 0.0]]))
    assert np.isfinite(_got), ("bce_loss is not finite when AL is exactly 0 or 1 (0 * log 0 gives nan): "
                               "clip AL into [eps, 1 - eps] before the logs")
    assert abs(_got) < 1e-4, ("bce_loss: a perfect prediction (AL == Y, both 0 or 1) should cost about 0: is your "
                              "clipping eps too large? a tiny one such as 1e-12 changes only exact 0s and 1s")
    _got = bce_loss(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    assert np.isfinite(_got) and _got > 5, "bce_loss: a confident wrong answer should cost a large but finite amount"
    check.check_not_mutated(
        bce_loss, np.array([[0.0, 0.5, 1.0]]), np.array([[1.0, 0.0, 1.0]]),
        hint="AL and Y are the caller's arrays: compute with new ones, e.g. A = np.clip(AL, eps, 1 - eps) or "
             "AL - Y, not np.clip(..., out=AL), AL -= Y or AL[AL == 0] = eps")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(306)
    for _ in range(5):
        _n, _m = (int(k) for k in _rng.integers(1, 8, size=2))
        _AL = _rng.uniform(0.02, 0.98, size=(_n, _m))
        _Y = (_rng.random((_n, _m)) < 0.5) * 1.0
        _got = bce_loss(_AL.copy(), _Y.copy())
        assert isinstance(_got, float), "bce_loss should return a Python float"
        _want = -np.sum(_Y * np.log(_AL) + (1 - _Y) * np.log(1 - _AL)) / _m
        assert math.isclose(_got, _want, rel_tol=1e-6), f"bce_loss: wrong value for a ({_n}, {_m}) batch"
    _AL = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])
    _Y = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    _got = bce_loss(_AL, _Y)
    assert np.isfinite(_got) and _got > 5, "bce_loss: must be finite (and large) for confident wrong 0/1 outputs"
    _got = bce_loss(np.zeros((3, 1)), np.zeros((3, 1)))
    assert np.isfinite(_got) and abs(_got) < 1e-4, "bce_loss: m = 1, AL == Y == 0 should cost about 0"
    ### END HIDDEN TESTS
check.passed("bce_loss: all checks passed.")


# %% solution="cross_entropy_loss"
def cross_entropy_loss(AL, Y):
    """Categorical cross-entropy cost for softmax outputs, numerically stable.

    Arguments:
    AL -- predicted class probabilities, shape (K, m), each column sums to 1; entries may be exactly 0
    Y -- one-hot labels, shape (K, m)

    Returns:
    cost -- Python float, -(1/m) * sum over all entries of Y log(AL); finite even where AL is 0
    """
    ### BEGIN SOLUTION
    m = AL.shape[1]
    eps = 1e-12
    return float(-np.sum(Y * np.log(np.clip(AL, eps, 1.0))) / m)
    ### END SOLUTION


# %% test="cross_entropy_loss" points=0.5
import math
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _AL = np.array([[0.7, 0.1, 0.2], [0.2, 0.6, 0.3], [0.1, 0.3, 0.5]])
    _Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    _want = -np.sum(_Y * np.log(_AL)) / 3
    _got = cross_entropy_loss(_AL, _Y)
    assert isinstance(_got, float), f"cross_entropy_loss should return a Python float, got {type(_got).__name__}"
    if np.isclose(_got, _want / 3):
        raise AssertionError("cross_entropy_loss: you divided by K * m (np.mean over everything); "
                             "sum over the classes and divide by m only")
    check.check_scalar(_got, _want, "cross_entropy_loss on a (3, 3) batch", rtol=1e-6, m=3)
    _AL = np.array([[0.25], [0.25], [0.5], [0.0]])
    _Y = np.array([[0.0], [0.0], [1.0], [0.0]])
    _got = cross_entropy_loss(_AL, _Y)
    assert np.isfinite(_got), ("cross_entropy_loss is not finite when some AL entry is exactly 0 "
                               "(0 * log 0 gives nan): clip AL before the log")
    if np.isclose(_got, np.log(2.0) / 4):
        raise AssertionError("cross_entropy_loss for K = 4, m = 1: you divided by AL.shape[0] = K = 4, the number of "
                             "classes; m is the number of examples, the columns: AL.shape[1] = 1")
    check.check_scalar(_got, np.log(2.0), "cross_entropy_loss for K = 4, m = 1", rtol=1e-6)
    # A small but honest probability of the true class must not be clipped.
    _got = cross_entropy_loss(np.array([[0.004], [0.996]]), np.array([[1.0], [0.0]]))
    if np.isfinite(_got) and _got < -np.log(0.004) - 1e-3:
        raise AssertionError(f"cross_entropy_loss gave {_got:.4f} for a true-class probability of 0.004, expected "
                             f"-log(0.004) = {-np.log(0.004):.4f}: your clipping eps is too large; a tiny one such as "
                             "1e-12 changes only exact zeros")
    check.check_scalar(_got, -np.log(0.004), "cross_entropy_loss for a true-class probability of 0.004", rtol=1e-6)
    _got = cross_entropy_loss(np.eye(3), np.eye(3))
    assert np.isfinite(_got) and abs(_got) < 1e-6, "cross_entropy_loss: a perfect one-hot prediction should cost 0"
    check.check_not_mutated(
        cross_entropy_loss, np.array([[0.0], [1.0]]), np.array([[0.0], [1.0]]),
        hint="AL and Y are the caller's arrays: compute with new ones, e.g. A = np.clip(AL, eps, 1 - eps) or "
             "AL - Y, not np.clip(..., out=AL), AL -= Y or AL[AL == 0] = eps")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(307)
    for _ in range(5):
        _K, _m = int(_rng.integers(2, 8)), int(_rng.integers(1, 8))
        _E = np.exp(_rng.normal(size=(_K, _m)))
        _AL = _E / _E.sum(axis=0, keepdims=True)
        _Y = np.eye(_K)[:, _rng.integers(0, _K, size=_m)]
        _got = cross_entropy_loss(_AL.copy(), _Y.copy())
        assert isinstance(_got, float), "cross_entropy_loss should return a Python float"
        assert math.isclose(_got, -np.sum(_Y * np.log(_AL)) / _m, rel_tol=1e-6), (
            f"cross_entropy_loss: wrong value for a ({_K}, {_m}) batch")
    _got = cross_entropy_loss(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert np.isfinite(_got) and _got > 5, "cross_entropy_loss: must be finite (and large) when the true class has AL = 0"
    ### END HIDDEN TESTS
check.passed("cross_entropy_loss: all checks passed.")


# %% [markdown]
# ## 6. BP1 at the output, and two happy cancellations
#
# BP1 multiplies two factors: how the cost reacts to the output, $\partial C / \partial A^{[L]}$, and how the
# output reacts to its pre-activation, $g'(Z^{[L]})$. For the natural pairings most of this cancels.
# (All derivatives are for one example; the $1/m$ of the mean cost comes later, in notebook 04.)
#
# **Squared error + identity** (regression). $\partial C/\partial a = a - y$ and $g' = 1$, so $\delta^{[L]} = A^{[L]} - Y$.
#
# **Binary cross-entropy + sigmoid.** With $C = -[y \log a + (1-y)\log(1-a)]$ for each output unit,
# $$\frac{\partial C}{\partial a} = -\frac{y}{a} + \frac{1-y}{1-a} = \frac{a - y}{a(1-a)}, \qquad
# \sigma'(z) = a(1-a), \qquad\text{so}\qquad \delta^{[L]} = \frac{a-y}{a(1-a)}\cdot a(1-a) = A^{[L]} - Y.$$
# The two $a(1-a)$ cancel exactly. Computing them separately and multiplying would give $0/0$ once $a$
# rounds to 1, so use the simplified form.
#
# **Cross-entropy + softmax.** Softmax is not element-wise (each $a_k$ depends on every $z_j$), so BP1's
# $\odot$ becomes a full Jacobian: $\partial a_k / \partial z_j = a_k(\mathbb{1}[k = j] - a_j)$. With
# $C = -\sum_k y_k \log a_k$,
# $$\delta_j = \sum_k \frac{\partial C}{\partial a_k}\frac{\partial a_k}{\partial z_j}
# = \sum_k \Big(-\frac{y_k}{a_k}\Big) a_k(\mathbb{1}[k=j] - a_j) = -y_j + a_j \sum_k y_k = a_j - y_j,$$
# because a one-hot $y$ sums to 1. Again $\delta^{[L]} = A^{[L]} - Y$.
#
# **Squared error + sigmoid: no cancellation.** Here
# $$\delta^{[L]} = (A^{[L]} - Y) \odot A^{[L]} \odot (1 - A^{[L]}),$$
# and the factor $a(1-a)$ stays. When the output is confidently wrong (say $y = 1$ but $a \approx 0$) that
# factor is nearly zero, so the error signal is tiny exactly when the network most needs to change:
# the saturated sigmoid learns slowly. Cross-entropy's $\partial C / \partial a$ grows like $1/a$ and cancels
# the saturation. The plot shows $|\delta|$ for one output unit with target $y = 1$.

# %% tags=["demo"]
_a = np.linspace(1e-4, 1 - 1e-4, 500)
_z = np.log(_a / (1 - _a))  # the pre-activation that gives output a
_delta_bce = np.abs(_a - 1)
_delta_mse = np.abs((_a - 1) * _a * (1 - _a))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
ax1.plot(_a, _delta_bce, label="BCE + sigmoid: |a - y|")
ax1.plot(_a, _delta_mse, label="MSE + sigmoid: |(a - y) a (1 - a)|")
ax1.annotate("confidently wrong:\nMSE barely moves", xy=(0.02, 0.02), xytext=(0.25, 0.55),
             arrowprops={"arrowstyle": "->"})
ax1.set_xlabel("output a (target y = 1)")
ax1.set_ylabel("|dC/dz|")
ax1.set_title("Size of the output error vs the output")
ax1.legend()
ax1.grid(alpha=0.3)
_zz = np.linspace(-12, 6, 400)
_aa = sigmoid(_zz)
ax2.semilogy(_zz, np.abs(_aa - 1), label="BCE + sigmoid")
ax2.semilogy(_zz, np.abs((_aa - 1) * _aa * (1 - _aa)), label="MSE + sigmoid")
ax2.set_xlabel("pre-activation z (target y = 1)")
ax2.set_title("Same, against z (log scale)")
ax2.legend()
ax2.grid(alpha=0.3, which="both")
plt.tight_layout()
plt.show()

# %% [markdown]
# Now write BP1 for the four pairings used in this course. `AL` and `ZL` come from the cache
# (`AL` $= g(Z^{[L]})$ already computed), so you can use whichever is handier. For the two cross-entropy
# pairings return the simplified $A^{[L]} - Y$.

# %% solution="output_delta"
def output_delta(AL, Y, ZL, loss, output_activation):
    """BP1: the error of the output layer, delta[L] = dC/dZ[L], for one example.

    Arguments:
    AL -- output activation A[L], shape (n[L], 1)
    Y -- target, shape (n[L], 1) (0/1 labels for "bce", one-hot for "cross_entropy")
    ZL -- output pre-activation Z[L], shape (n[L], 1), with AL = g(ZL)
    loss -- "bce" | "cross_entropy" | "mse"
    output_activation -- "sigmoid" | "softmax" | "identity"; the supported pairings are
        ("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mse", "identity"), ("mse", "sigmoid")

    Returns:
    delta -- shape (n[L], 1); for ("bce", "sigmoid") and ("cross_entropy", "softmax") return the simplified
             AL - Y (it stays finite when AL rounds to exactly 0 or 1)
    """
    ### BEGIN SOLUTION
    if (loss, output_activation) in (("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mse", "identity")):
        return AL - Y
    if (loss, output_activation) == ("mse", "sigmoid"):
        return (AL - Y) * sigmoid_prime(ZL)
    raise ValueError(f"unsupported pairing: loss {loss!r} with output activation {output_activation!r}")
    ### END SOLUTION


# %% test="output_delta" points=2
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(31)

    def _t_sig(z):
        return 1 / (1 + np.exp(-z))

    def _t_delta(AL, Y, ZL, loss, act):
        """output_delta on copies of the arrays, failing with a hint if it changed any of them in place."""
        return check.check_not_mutated(output_delta, AL.copy(), Y.copy(), ZL.copy(), loss, act,
                                       hint="AL and ZL come from the caller's cache, which the rest of backprop "
                                            "still reads; AL - Y already makes a new array, AL -= Y overwrites A[L]")

    def _t_name_slip(got, right, slips, name):
        """Raise the hint of the first wrong candidate `got` matches (and the right answer does not)."""
        for wrong, hint in slips:
            if np.shape(got) == np.shape(wrong) and np.allclose(got, wrong) and not np.allclose(wrong, right):
                raise AssertionError(f"{name}: {hint}")

    def _t_mse_sigmoid_slips(AL, Y, ZL):
        return [(AL - Y, "you returned AL - Y; for squared error the factor g'(Z[L]) = AL (1 - AL) does not cancel"),
                ((AL - Y) * ZL * (1 - ZL), "you multiplied by Z (1 - Z); sigmoid'(Z) is AL (1 - AL), "
                                           "with AL = sigmoid(Z)"),
                ((AL - Y) * _t_sig(AL) * (1 - _t_sig(AL)), "you took sigmoid' at AL; BP1 evaluates g' at the "
                                                           "pre-activation Z[L]: sigmoid'(ZL) = AL (1 - AL)")]

    # ("mse", "sigmoid") on the worked example: delta2 = -0.139176.
    _ZL = np.array([[-1.13828126]])
    _AL, _Y = _t_sig(_ZL), np.array([[1.0]])
    _name = 'output_delta(..., "mse", "sigmoid") on the worked example'
    _got = _t_delta(_AL, _Y, _ZL, "mse", "sigmoid")
    check.check_shape(_got, (1, 1), _name)
    _t_name_slip(_got, (_AL - _Y) * _AL * (1 - _AL), _t_mse_sigmoid_slips(_AL, _Y, _ZL), _name)
    check.check_array(_got, np.array([[-0.139176]]), _name, rtol=0, atol=1e-6)
    for _n in (1, 3):
        _ZL = _rng.normal(size=(_n, 1))
        _AL = _t_sig(_ZL)
        _Y = np.array([[1.0], [0.0], [1.0]])[:_n]
        _name = f'output_delta(..., "mse", "sigmoid") for n[L] = {_n}'
        _got = _t_delta(_AL, _Y, _ZL, "mse", "sigmoid")
        check.check_shape(_got, (_n, 1), _name)
        _t_name_slip(_got, (_AL - _Y) * _AL * (1 - _AL), _t_mse_sigmoid_slips(_AL, _Y, _ZL), _name)
        check.check_array(_got, (_AL - _Y) * _AL * (1 - _AL), _name)
        # ("bce", "sigmoid")
        _name = f'output_delta(..., "bce", "sigmoid") for n[L] = {_n}'
        _got = _t_delta(_AL, _Y, _ZL, "bce", "sigmoid")
        check.check_shape(_got, (_n, 1), _name)
        _t_name_slip(_got, _AL - _Y, [((_AL - _Y) * _AL * (1 - _AL), "for BCE + sigmoid the factor sigmoid'(Z) "
                                                                    "cancels: delta = AL - Y")], _name)
        check.check_array(_got, _AL - _Y, _name)
    # A saturated sigmoid output (AL rounds to exactly 1.0): the simplified form stays finite.
    _ZL = np.array([[40.0], [-40.0]])
    _name = 'output_delta(..., "bce", "sigmoid") for saturated outputs (z = 40, -40)'
    _got = _t_delta(_t_sig(_ZL), np.array([[0.0], [1.0]]), _ZL, "bce", "sigmoid")
    check.check_shape(_got, (2, 1), _name)
    if not np.all(np.isfinite(np.asarray(_got, dtype=float))):
        raise AssertionError(f"{_name}: NaN/inf. AL = sigmoid(40) rounds to exactly 1, so dC/dA = (AL - Y) / "
                             "(AL (1 - AL)) divides by 0 before the factor AL (1 - AL) can cancel it: "
                             "return the simplified AL - Y")
    check.check_array(_got, np.array([[1.0], [-1.0]]), _name, atol=1e-12)
    # ("cross_entropy", "softmax"), K = 4 and K = 2
    for _K in (4, 2):
        _ZL = _rng.normal(size=(_K, 1))
        _AL = np.exp(_ZL) / np.sum(np.exp(_ZL))
        _Y = np.zeros((_K, 1))
        _Y[1] = 1.0
        _name = f'output_delta(..., "cross_entropy", "softmax") for K = {_K}'
        _got = _t_delta(_AL, _Y, _ZL, "cross_entropy", "softmax")
        check.check_shape(_got, (_K, 1), _name)
        _t_name_slip(_got, _AL - _Y, [((_AL - _Y) * _AL * (1 - _AL),
                                       "softmax is not element-wise: AL (1 - AL) is only the diagonal of its "
                                       "Jacobian. With cross-entropy the whole Jacobian collapses to delta = AL - Y "
                                       "(section 6)")], _name)
        check.check_array(_got, _AL - _Y, _name)
    # ("mse", "identity"): AL = ZL
    _ZL = _rng.normal(size=(2, 1))
    _Y = _rng.normal(size=(2, 1))
    _name = 'output_delta(..., "mse", "identity") for n[L] = 2'
    _got = _t_delta(_ZL.copy(), _Y, _ZL, "mse", "identity")
    check.check_shape(_got, (2, 1), _name)
    _t_name_slip(_got, _ZL - _Y, [((_ZL - _Y) * _t_sig(_ZL) * (1 - _t_sig(_ZL)),
                                   "you multiplied by sigmoid'(Z), but this output is the identity, whose "
                                   "derivative is 1: delta = AL - Y")], _name)
    check.check_array(_got, _ZL - _Y, _name)
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(308)
    for _ in range(4):
        _n = int(_rng.integers(1, 9))
        _ZL = _rng.normal(scale=3.0, size=(_n, 1))
        _AL = _t_sig(_ZL)
        _Y = (_rng.random((_n, 1)) < 0.5) * 1.0
        _got = np.asarray(output_delta(_AL.copy(), _Y.copy(), _ZL.copy(), "bce", "sigmoid"))
        assert _got.shape == (_n, 1) and np.allclose(_got, _AL - _Y), f'output_delta: wrong for ("bce", "sigmoid"), n[L] = {_n}'
        _got = np.asarray(output_delta(_AL.copy(), _Y.copy(), _ZL.copy(), "mse", "sigmoid"))
        assert _got.shape == (_n, 1) and np.allclose(_got, (_AL - _Y) * _AL * (1 - _AL)), (
            f'output_delta: wrong for ("mse", "sigmoid"), n[L] = {_n}')
        _got = np.asarray(output_delta(_ZL.copy(), _Y.copy(), _ZL.copy(), "mse", "identity"))
        assert _got.shape == (_n, 1) and np.allclose(_got, _ZL - _Y), f'output_delta: wrong for ("mse", "identity"), n[L] = {_n}'
        _K = _n + 1
        _ZL = _rng.normal(scale=3.0, size=(_K, 1))
        _E = np.exp(_ZL - _ZL.max())
        _AL = _E / _E.sum()
        _Y = np.zeros((_K, 1))
        _Y[int(_rng.integers(0, _K))] = 1.0
        _got = np.asarray(output_delta(_AL.copy(), _Y.copy(), _ZL.copy(), "cross_entropy", "softmax"))
        assert _got.shape == (_K, 1) and np.allclose(_got, _AL - _Y), f'output_delta: wrong for ("cross_entropy", "softmax"), K = {_K}'
    # saturated outputs: the simplified forms stay finite
    _ZL = np.array([[40.0], [-40.0], [40.0], [-40.0]])
    _AL = _t_sig(_ZL)
    _Y = np.array([[1.0], [0.0], [0.0], [1.0]])
    _got = np.asarray(output_delta(_AL, _Y, _ZL, "bce", "sigmoid"))
    assert np.all(np.isfinite(_got)) and np.allclose(_got, _AL - _Y, atol=1e-6), (
        'output_delta: ("bce", "sigmoid") must stay finite for saturated outputs: use the simplified AL - Y')
    _got = np.asarray(output_delta(_AL, _Y, _ZL, "mse", "sigmoid"))
    assert np.all(np.isfinite(_got)) and np.allclose(_got, 0.0, atol=1e-12), (
        'output_delta: ("mse", "sigmoid") should be ~0 (and finite) for saturated outputs')
    _ZL = np.array([[1000.0], [0.0], [-1000.0]])
    _AL = np.array([[1.0], [0.0], [0.0]])
    _Y = np.array([[0.0], [1.0], [0.0]])
    _got = np.asarray(output_delta(_AL, _Y, _ZL, "cross_entropy", "softmax"))
    assert np.all(np.isfinite(_got)) and np.allclose(_got, _AL - _Y), (
        'output_delta: ("cross_entropy", "softmax") must stay finite for extreme logits: use AL - Y')
    ### END HIDDEN TESTS
check.passed("output_delta: all checks passed.")


# %% [markdown]
# ### Written question 1: a confidently wrong sigmoid output [2 points, graded by hand]
#
# With a sigmoid output, cross-entropy gives $\delta^{[L]} = A^{[L]} - Y$, while squared error gives
# $\delta^{[L]} = (A^{[L]} - Y)\,\sigma'(Z^{[L]})$. Take a network that is confidently wrong:
# $Z^{[L]} = -10$ while $y = 1$.
#
# 1. Compute (roughly) $\delta^{[L]}$ for both costs.
# 2. Now train only the output bias $b^{[L]}$ with plain gradient steps of size $\eta = 1$. By BP3 each
#    step changes $Z^{[L]}$ by $-\delta^{[L]}$. Estimate how many steps each cost needs to bring $Z^{[L]}$
#    from $-10$ up to $0$. (For squared error, approximate $\delta^{[L]}$ for very negative $Z$ and treat
#    the steps as a continuous flow.)
#
# Three or four sentences, with your numbers.

# %% [markdown] answer="saturated_output_delta" points=2
# ### BEGIN SOLUTION
# **Model answer.** (1) $\sigma(-10) \approx 4.5 \cdot 10^{-5}$, so with cross-entropy
# $\delta^{[L]} \approx -1$, the largest error signal possible. With squared error it is multiplied by
# $\sigma'(-10) = \sigma(1 - \sigma) \approx 4.5 \cdot 10^{-5}$, giving $\delta^{[L]} \approx -4.5 \cdot
# 10^{-5}$. (2) With cross-entropy each step raises $Z$ by $1 - a \approx 1$ while $a$ is small, so about
# 10 steps (11 when simulated: the last ones are a little shorter). With squared error, for $Z \ll 0$,
# $a \approx e^{Z}$ and $1 - a \approx 1$, so $\delta \approx -e^{Z}$ and $dZ/dk \approx e^{Z}$; then
# $e^{-Z}\,dZ = dk$ gives $k \approx e^{10} - e^{0} \approx 2.2 \cdot 10^4$ steps (22,063 when simulated),
# almost all of them spent below $Z = -5$. The saturated output learns about 2000 times slower, and
# slowest exactly where it is most wrong; cross-entropy's $\log$ cancels the $\sigma'$ factor.
#
# **Rubric.**
# - [1 point] the two numbers: about $-1$ for cross-entropy and about $-4.5\cdot 10^{-5}$ for squared error, because $\sigma'(-10)$ is tiny
# - [1 point] the step counts: about 10 for cross-entropy, about $e^{10} \approx 2 \cdot 10^4$ for squared error, with the reasoning ($\delta \approx -e^{Z}$, so the time to climb grows like $e^{-Z}$)
# ### END SOLUTION

# %% [markdown]
# ## 7. BP2: passing the error back one layer
#
# $$\delta^{[l]} = \big(W^{[l+1]T}\,\delta^{[l+1]}\big) \odot g'(Z^{[l]})$$
#
# Read it as two steps. $W^{[l+1]T}\delta^{[l+1]}$, shape $(n^{[l]}, n^{[l+1]})$ times $(n^{[l+1]}, 1)$, sends each
# error of layer $l+1$ back along the same weights the signal came forward on: it is $\partial C / \partial A^{[l]}$.
# Then $\odot\, g'(Z^{[l]})$ passes it back through the activation. If you are unsure where the transpose
# goes, let the shapes decide: only one arrangement gives $(n^{[l]}, 1)$.
#
# `activation` is one of `"sigmoid"`, `"relu"`, `"leaky_relu"` (with $\alpha = 0.01$), `"tanh"`; use your
# derivative functions from section 4.

# %% solution="hidden_delta"
def hidden_delta(delta_next, W_next, Z, activation):
    """BP2: the error of hidden layer l from the error of layer l + 1, for one example.

    Arguments:
    delta_next -- delta[l+1], shape (n[l+1], 1)
    W_next -- W[l+1], shape (n[l+1], n[l])
    Z -- Z[l], shape (n[l], 1)
    activation -- "sigmoid" | "relu" | "leaky_relu" | "tanh", the activation g of layer l

    Returns:
    delta -- delta[l] = (W_next^T delta_next) * g'(Z), shape (n[l], 1)
    """
    ### BEGIN SOLUTION
    derivatives = {"sigmoid": sigmoid_prime, "relu": relu_prime,
                   "leaky_relu": leaky_relu_prime, "tanh": tanh_prime}
    return (W_next.T @ delta_next) * derivatives[activation](Z)
    ### END SOLUTION


# %% test="hidden_delta" points=2
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(32)
    _G = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0),
          "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z), "tanh": np.tanh}
    _GP = {"sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "relu": lambda z: (z > 0) * 1.0,
           "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01), "tanh": lambda z: 1 / np.cosh(z) ** 2}

    def _t_is(got, wrong, right):
        """True when `got` matches the `wrong` candidate and that candidate really differs from `right`."""
        return np.allclose(got, wrong) and not np.allclose(wrong, right)

    def _t_check(d, W, Z, act, name):
        """Call hidden_delta on copies, then name the likely mistake before comparing values."""
        elementwise = ("W_next^T delta_next is a matrix product (@): entry j sums w[i, j] delta[i] over the "
                       "n[l+1] units i of the next layer; the element-wise W_next.T * delta_next does not")
        try:
            got = check.check_not_mutated(hidden_delta, d.copy(), W.copy(), Z.copy(), act,
                                          hint="Z and delta_next belong to the caller (Z is Z[l] of the cache); "
                                               "g'(Z) and W_next.T @ delta_next are new arrays already, so there is "
                                               "no need to write into them")
        except ValueError as error:
            if "broadcast" in str(error):
                raise AssertionError(f"{name}: raised ValueError ({error}): an element-wise product of "
                                     f"incompatible shapes. {elementwise}") from None
            raise AssertionError(f"{name}: raised ValueError ({error}). W_next is (n[l+1], n[l]) and "
                                 "delta_next is (n[l+1], 1): which of them needs a transpose?") from None
        if np.shape(got) == W.T.shape and W.shape[0] > 1:
            raise AssertionError(f"{name}: got shape {W.T.shape}, the shape of W_next.T, expected {Z.shape}. "
                                 f"{elementwise}")
        check.check_shape(got, (Z.shape[0], 1), name)
        right = (W.T @ d) * _GP[act](Z)
        if _t_is(got, W.T @ d, right):
            raise AssertionError(f"{name}: missing the factor g'(Z) of this layer")
        if _t_is(got, (W.T @ d) * _G[act](Z), right):
            raise AssertionError(f"{name}: you multiplied by g(Z); BP2 needs the derivative g'(Z)")
        if _t_is(got, (W.T @ d) * _GP[act](_G[act](Z)), right):
            raise AssertionError(f"{name}: you took g' at g(Z) = A[l]; BP2 evaluates g' at the pre-activation Z[l]")
        in_terms_of_a = {"sigmoid": Z * (1 - Z), "tanh": 1 - Z**2}.get(act)
        if in_terms_of_a is not None and _t_is(got, (W.T @ d) * in_terms_of_a, right):
            raise AssertionError(f"{name}: you used the {act} derivative written for the activation a "
                                 "(a (1 - a) or 1 - a**2) but fed it Z: compute g'(Z) from Z, e.g. with your "
                                 f"{act}_prime")
        check.check_array(got, right, name)
        return got

    # Worked example: delta1 = [-0.033439, 0.095524] from delta2 = -0.139176 (sigmoid hidden layer).
    _got = _t_check(np.array([[-0.13917608]]), np.array([[1.0, -3.0]]), np.array([[0.4], [0.6]]), "sigmoid",
                    "hidden_delta on the worked example")
    check.check_array(_got, np.array([[-0.033439], [0.095524]]), "hidden_delta on the worked example",
                      rtol=0, atol=1e-6)
    for _Z in (np.array([[0.8], [-0.5], [1.3]]), np.array([[-1.2], [0.4], [2.0], [-0.3], [0.9]])):
        _n = _Z.shape[0]
        _n_next = 2 if _n == 3 else 1
        _W = _rng.normal(size=(_n_next, _n))
        _d = _rng.normal(size=(_n_next, 1))
        for _act in ("sigmoid", "relu", "leaky_relu", "tanh"):
            _t_check(_d, _W, _Z, _act, f'hidden_delta(..., "{_act}") with W_next of shape {_W.shape}')
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(309)
    for _ in range(6):
        _n_next, _n = (int(k) for k in _rng.integers(1, 9, size=2))
        _W = _rng.normal(size=(_n_next, _n))
        _d = _rng.normal(size=(_n_next, 1))
        _Z = _rng.normal(scale=2.0, size=(_n, 1))
        for _act in ("sigmoid", "relu", "leaky_relu", "tanh"):
            _args = (_d.copy(), _W.copy(), _Z.copy(), _act)
            _got = np.asarray(hidden_delta(*_args))
            assert _got.shape == (_n, 1), f'hidden_delta: wrong shape for "{_act}" with W_next of shape {_W.shape}'
            assert np.allclose(_got, (_W.T @ _d) * _GP[_act](_Z)), (
                f'hidden_delta: wrong values for "{_act}" with W_next of shape {_W.shape}')
            assert np.array_equal(_args[0], _d) and np.array_equal(_args[1], _W) and np.array_equal(_args[2], _Z), (
                "hidden_delta modified one of its inputs in place")
    _Z = np.array([[-50.0], [50.0]])
    _got = np.asarray(hidden_delta(np.array([[1.0]]), np.array([[2.0, 3.0]]), _Z, "sigmoid"))
    assert np.all(np.isfinite(_got)) and np.allclose(_got, 0.0, atol=1e-15), "hidden_delta: saturated sigmoid units should give ~0"
    ### END HIDDEN TESTS
check.passed("hidden_delta: all checks passed.")


# %% [markdown]
# ## 8. BP3 and BP4: the parameter gradients
#
# $$\frac{\partial C}{\partial W^{[l]}} = \delta^{[l]}\,A^{[l-1]T} \quad (n^{[l]}, 1)\cdot(1, n^{[l-1]}) = (n^{[l]}, n^{[l-1]}),
# \qquad \frac{\partial C}{\partial b^{[l]}} = \delta^{[l]} \quad (n^{[l]}, 1).$$
#
# Each gradient has exactly the shape of its parameter, as it must for the update
# $W \leftarrow W - \eta\, \partial C/\partial W$. For the worked example's output layer:
# $\delta^{[2]} A^{[1]T} = -0.139176 \cdot [0.598688, 0.645656] = [-0.083323, -0.089860]$.
#
# This is the single-example form. Notebook 04 averages it over a batch ($\tfrac1m$ and a sum over
# columns); here $m = 1$. Write BP4 as the matrix product `delta @ A_prev.T`: for one example the outer
# product `np.outer(delta, A_prev)` and the broadcast `delta * A_prev.T` give the same numbers, but once
# notebook 04 stacks $m$ examples as columns only the matrix product still sums over them.

# %% solution="param_gradients"
def param_gradients(delta, A_prev):
    """BP3 and BP4 for one example (m = 1).

    Arguments:
    delta -- delta[l], shape (n[l], 1)
    A_prev -- A[l-1], shape (n[l-1], 1)

    Returns:
    (dW, db) -- dW = delta A_prev^T, shape (n[l], n[l-1]); db = delta, shape (n[l], 1)
    """
    ### BEGIN SOLUTION
    dW = delta @ A_prev.T
    db = delta.copy()
    return dW, db
    ### END SOLUTION


# %% test="param_gradients" points=1
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _t_unpack(delta, A_prev, what):
        """param_gradients(delta, A_prev) as (dW, db), turning a shape error into a hint."""
        try:
            result = param_gradients(delta, A_prev)
        except ValueError as error:
            raise AssertionError(
                f"param_gradients for {what} raised ValueError ({error}): delta is (n[l], 1) and A_prev is "
                "(n[l-1], 1); BP4's delta A_prev^T is an outer product, (n[l], 1) times (1, n[l-1])") from None
        assert isinstance(result, tuple) and len(result) == 2, (
            f"param_gradients for {what}: return a tuple (dW, db), got {type(result).__name__}")
        return result

    # Worked example, output layer: delta2 = -0.139176, A1 = [0.598688, 0.645656].
    _delta = np.array([[-0.13917608]])
    _A_prev = np.array([[0.59868766], [0.64565631]])
    _dW, _db = _t_unpack(_delta, _A_prev, "the worked example")
    check.check_array(_dW, np.array([[-0.083323, -0.089860]]), "dW2 of the worked example", rtol=0, atol=1e-6)
    check.check_array(_db, np.array([[-0.139176]]), "db2 of the worked example", rtol=0, atol=1e-6)
    # A (3, 1) error and a (2, 1) input: dW is (3, 2).
    _delta = np.array([[0.5], [-1.0], [2.0]])
    _A_prev = np.array([[3.0], [-0.25]])
    _dW, _db = _t_unpack(_delta, _A_prev, "n[l] = 3, n[l-1] = 2")
    check.check_array(_dW, np.array([[1.5, -0.125], [-3.0, 0.25], [6.0, -0.5]]), "dW for n[l] = 3, n[l-1] = 2")
    check.check_array(_db, _delta, "db for n[l] = 3")
    check.check_not_mutated(param_gradients, _delta, _A_prev,
                            hint="delta and A_prev belong to the caller (delta is needed again for BP2): build dW "
                                 "and db as new arrays instead of writing into them")
    # Outside this notebook's m = 1 contract, so never a failure: only a note if dW will not carry over to 04.
    try:
        _d2, _a2 = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]]), np.array([[2.0, -1.0], [1.0, 0.5]])
        _dW_m2 = np.asarray(param_gradients(_d2, _a2)[0], dtype=float)
        _t_batch_ready = _dW_m2.shape == (3, 2) and bool(np.allclose(_dW_m2, _d2 @ _a2.T))
    except Exception:
        _t_batch_ready = False
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(310)
    for _ in range(6):
        _n, _n_prev = (int(k) for k in _rng.integers(1, 9, size=2))
        _delta = _rng.normal(size=(_n, 1))
        _A_prev = _rng.normal(size=(_n_prev, 1))
        _result = param_gradients(_delta.copy(), _A_prev.copy())
        assert isinstance(_result, tuple) and len(_result) == 2, "param_gradients: return a tuple (dW, db)"
        _dW, _db = (np.asarray(r) for r in _result)
        assert _dW.shape == (_n, _n_prev), f"param_gradients: dW has the wrong shape for n[l] = {_n}, n[l-1] = {_n_prev}"
        assert _db.shape == (_n, 1), f"param_gradients: db has the wrong shape for n[l] = {_n}"
        assert np.allclose(_dW, _delta * _A_prev.T), f"param_gradients: dW wrong for n[l] = {_n}, n[l-1] = {_n_prev}"
        assert np.allclose(_db, _delta), f"param_gradients: db wrong for n[l] = {_n}"
    ### END HIDDEN TESTS
check.passed("param_gradients: all checks passed." + ("" if _t_batch_ready else
             " (A note for notebook 04: your dW is right for one example, but for delta and A_prev with m > 1 "
             "columns it is not delta @ A_prev.T, the sum over the examples that BP4 becomes there; written "
             "with @, it carries over unchanged.)"))


# %% [markdown]
# ### The worked example, backward, in one picture
#
# Before writing the loop, here is everything it computes for the worked example. Grey arrows carry
# values forward: each unit's $z$ and $a$ (blue). Red arrows carry the cost's derivatives back: at
# the output $\partial C/\partial a = a - y$, each unit's error $\delta$ (BP1, then BP2), which is
# also the gradient of its bias (BP3), and on each edge $\partial C/\partial w = \delta \cdot a$, the
# error of the unit the edge enters times the value it carries (BP4). Every red number is one your
# `backward` must reproduce.

# %% tags=["demo"]
def _draw_worked_backward():
    """The 1-2-1 worked example: each unit's forward values (blue) and its error delta (red) beside it,
    and on each edge its weight and, in red, the gradient dC/dw = delta[l] a[l-1] flowing back."""
    W1, b1 = np.array([[0.3], [0.4]]), np.array([[0.1], [0.2]])
    W2, b2 = np.array([[1.0, -3.0]]), np.array([[0.2]])
    x, y = 1.0, 1.0
    z1 = W1[:, 0] * x + b1[:, 0]
    a1 = 1 / (1 + np.exp(-z1))
    z2 = float(W2[0] @ a1 + b2[0, 0])
    a2 = 1 / (1 + np.exp(-z2))
    cost = 0.5 * (a2 - y) ** 2
    delta2 = (a2 - y) * a2 * (1 - a2)                 # BP1 for 0.5 (a - y)^2 and a sigmoid output
    delta1 = W2[0] * delta2 * a1 * (1 - a1)           # BP2
    dW2, dW1 = delta2 * a1, delta1 * x                # BP4

    at = {"x": (0.0, 0.0), "h1": (4.0, 1.7), "h2": (4.0, -1.7), "o": (8.0, 0.0), "C": (12.0, 0.0)}
    blue, red, grey, r = "tab:blue", "tab:red", "0.55", 0.36
    fig, ax = plt.subplots(figsize=(10, 5.6))

    def arrow(start, end, colour, shift=0.0):
        (x0, y0), (x1, y1) = start, end
        length = np.hypot(x1 - x0, y1 - y0)
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        ax.annotate("", xy=(x1 - (r + 0.05) * ux - shift * uy, y1 - (r + 0.05) * uy + shift * ux),
                    xytext=(x0 + (r + 0.05) * ux - shift * uy, y0 + (r + 0.05) * uy + shift * ux),
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.4))

    for start, end, weight, grad in [("x", "h1", W1[0, 0], dW1[0]), ("x", "h2", W1[1, 0], dW1[1]),
                                     ("h1", "o", W2[0, 0], dW2[0]), ("h2", "o", W2[0, 1], dW2[1])]:
        arrow(at[start], at[end], grey)
        arrow(at[end], at[start], red, shift=0.22 if at[end][1] < at[start][1] or at[start][1] < 0 else -0.22)
        (x0, y0), (x1, y1) = at[start], at[end]
        xm, ym = (x0 + x1) / 2 + (0.6 if start == "x" else -0.6) * (-1), (y0 + y1) / 2
        side = 1 if ym > 0 else -1
        ax.text(xm, ym + side * 1.05, f"$w = {weight:g}$", ha="center", va="center", fontsize=10)
        ax.text(xm, ym + side * 0.72, rf"$\partial C/\partial w = {grad:.6f}$", ha="center", va="center",
                fontsize=10, color=red)
    arrow(at["o"], at["C"], grey)
    arrow(at["C"], at["o"], red, shift=0.22)
    ax.text(10.0, 0.3, rf"$\partial C/\partial a = a - y$" "\n" rf"$= {a2 - y:.6f}$", ha="center", va="bottom",
            fontsize=10, color=red)
    units = {"h1": (z1[0], a1[0], delta1[0], b1[0, 0]), "h2": (z1[1], a1[1], delta1[1], b1[1, 0]),
             "o": (z2, a2, delta2, b2[0, 0])}
    for name, (cx, cy) in at.items():
        ax.add_patch(plt.Circle((cx, cy), r, facecolor="white", edgecolor="0.2", lw=1.5, zorder=3))
        ax.text(cx, cy, {"x": "$x$", "h1": "1", "h2": "2", "o": "1", "C": "$C$"}[name], ha="center",
                va="center", fontsize=11, zorder=4)
        if name in units:
            z, a, delta, b = units[name]
            forward_text = rf"$z = {z:.6f}$" "\n" rf"$a = {a:.6f}$"
            backward_text = rf"$\delta = {delta:.6f}$" "\n" rf"$\partial C/\partial b = \delta$ ($b = {b:g}$)"
            if name == "o":   # values above, errors below and to the right, clear of the red arrows
                ax.text(cx, cy + r + 0.1, forward_text, ha="center", va="bottom", fontsize=10, color=blue)
                ax.text(cx + 0.5, cy - r - 0.1, backward_text, ha="center", va="top", fontsize=10, color=red)
            else:             # both on the outer side of the unit, away from the edges
                side, va = (1, "bottom") if cy > 0 else (-1, "top")
                ax.text(cx, cy + side * (r + 0.1), forward_text, ha="center", va=va, fontsize=10, color=blue)
                ax.text(cx, cy + side * (r + 0.75), backward_text, ha="center", va=va, fontsize=10, color=red)
    ax.text(0, r + 0.1, f"$x = {x:g}$", ha="center", va="bottom", fontsize=10, color=blue)
    ax.text(12, r + 0.1, rf"$C = {cost:.6f}$" "\n" rf"$y = {y:g}$", ha="center", va="bottom", fontsize=10, color=blue)
    for xpos, label in [(0, "input, layer 0"), (4, "layer 1, sigmoid"), (8, "layer 2, sigmoid"),
                        (12, r"cost $\frac{1}{2}(a - y)^2$")]:
        ax.text(xpos, -4.1, label, ha="center", va="center", fontsize=10, color="0.3")
    ax.set(xlim=(-1.0, 13.3), ylim=(-4.3, 4.0), aspect="equal")
    ax.axis("off")
    ax.set_title("The worked example: values forward (blue, grey arrows), errors and gradients backward (red)",
                 fontsize=11)
    plt.tight_layout()
    plt.show()


_draw_worked_backward()


# %% [markdown]
# ## 9. The backward pass
#
# Put the three pieces together. With $L$ = `len(params) // 2` layers:
#
# 1. `delta = output_delta(...)` from `cache[f"A{L}"]`, `cache[f"Z{L}"]` and `Y` (BP1);
# 2. for `l = L, L-1, ..., 1`:
#    - `grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta, cache[f"A{l-1}"])` (BP3, BP4);
#    - if `l > 1`: `delta = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l-1}"], hidden_activation)` (BP2).
#
# Mind the indices in the last line: the error of layer $l-1$ needs the weights *into layer $l$*
# ($W^{[l]}$, the "next" layer seen from $l-1$) and the pre-activation of layer $l-1$.
#
# For the worked example (sigmoid hidden and output layers, squared error, $y = 1$) the result must be
#
# | quantity | value |
# |---|---|
# | $\delta^{[2]}$ | $-0.139176$ |
# | $\delta^{[1]}$ | $[-0.033439,\ 0.095524]^T$ |
# | $\partial C/\partial W^{[2]}$ | $[[-0.083323,\ -0.089860]]$ |
# | $\partial C/\partial b^{[2]}$ | $[[-0.139176]]$ |
# | $\partial C/\partial W^{[1]}$ | $[[-0.033439],\ [0.095524]]$ (since $x = 1$) |
# | $\partial C/\partial b^{[1]}$ | $[[-0.033439],\ [0.095524]]$ |
# | cost | $0.286800$ |
#
# Check one by hand: $\delta^{[1]}_2 = w^{[2]}_{12}\,\delta^{[2]}\,\sigma'(z^{[1]}_2) = (-3)(-0.139176)(0.645656)(0.354344) = 0.095524$.
# The second hidden unit has a negative weight to the output, so while the output is too small, raising
# that unit's pre-activation would raise the cost: its error is positive.

# %% solution="backward"
def backward(Y, params, cache, hidden_activation, output_activation, loss):
    """Backpropagation for one example (m = 1): the gradient of the cost for every parameter.

    Arguments:
    Y -- target, shape (n[L], 1)
    params -- {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL": (n[L], n[L-1]), "bL": (n[L], 1)}
    cache -- from forward: {"A0": x (n[0], 1), "Z1": (n[1], 1), "A1": (n[1], 1), ..., "ZL", "AL"}
             (L written as a number, e.g. "Z2", "A2" for L = 2)
    hidden_activation -- "sigmoid" | "relu" | "leaky_relu" | "tanh", used in layers 1..L-1
    output_activation, loss -- one of the pairings of output_delta

    Returns:
    grads -- {"dW1": ..., "db1": ..., ..., "dWL": ..., "dbL": ...}, each shaped like its parameter
    """
    ### BEGIN SOLUTION
    L = len(params) // 2
    grads = {}
    delta = output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
    for l in range(L, 0, -1):
        grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta, cache[f"A{l - 1}"])
        if l > 1:
            delta = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], hidden_activation)
    return grads
    ### END SOLUTION


# %% test="backward" points=3
import warnings

import numpy as np

from course import check, layer_hints

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    # An inline forward pass (A = g(Z) throughout) and inline costs; expected gradients come from
    # central differences of the cost, so this cell does not depend on any of your other functions.
    def _t_g(Z, name):
        if name == "sigmoid":
            return 1 / (1 + np.exp(-Z))
        if name == "relu":
            return np.maximum(Z, 0)
        if name == "leaky_relu":
            return np.where(Z > 0, Z, 0.01 * Z)
        if name == "tanh":
            return np.tanh(Z)
        if name == "identity":
            return Z.copy()
        E = np.exp(Z - Z.max(axis=0, keepdims=True))  # softmax
        return E / E.sum(axis=0, keepdims=True)

    def _t_forward(x, params, hidden, out):
        L = len(params) // 2
        cache = {"A0": x}
        for l in range(1, L + 1):
            cache[f"Z{l}"] = params[f"W{l}"] @ cache[f"A{l - 1}"] + params[f"b{l}"]
            cache[f"A{l}"] = _t_g(cache[f"Z{l}"], out if l == L else hidden)
        return cache[f"A{L}"], cache

    def _t_cost(params, x, y, hidden, out, loss):
        a = _t_forward(x, params, hidden, out)[0]
        if loss == "mse":
            return 0.5 * float(np.sum((a - y) ** 2))
        if loss == "bce":
            return -float(np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)))
        return -float(np.sum(y * np.log(a)))

    def _t_numeric(params, x, y, hidden, out, loss, eps=1e-6):
        grads = {}
        for key, value in params.items():
            g = np.zeros_like(value)
            for idx in np.ndindex(value.shape):
                plus, minus = value.copy(), value.copy()
                plus[idx] += eps
                minus[idx] -= eps
                g[idx] = (_t_cost({**params, key: plus}, x, y, hidden, out, loss)
                          - _t_cost({**params, key: minus}, x, y, hidden, out, loss)) / (2 * eps)
            grads["d" + key] = g
        return grads

    def _t_shape_hint(what, params, cache):
        """What each step of the loop reads on this network, with the shapes: for a ValueError of shapes."""
        L = len(params) // 2
        needs = [f"delta{l - 1} needs W{l} {params[f'W{l}'].shape} and Z{l - 1} {cache[f'Z{l - 1}'].shape}"
                 for l in range(L, 1, -1)]
        needs += [f"dW{l} needs A{l - 1} {cache[f'A{l - 1}'].shape}" for l in range(L, 0, -1)]
        return (f"backward ({what}) raised a ValueError: two shapes that do not fit, which usually means a wrong "
                f"layer index. On this network (L = {L}): " + "; ".join(needs)
                + ". Compare with what your loop reads at each l (and L = len(params) // 2, not a fixed number)")

    _t_returned = []  # every dict backward returned so far: a fresh one is due each call

    def _t_backward(what, *args):
        """Call backward through check_not_mutated, turning crashes into hints."""
        hidden = args[3]
        try:
            grads = check.check_not_mutated(backward, *args,
                                           hint="params and cache belong to the caller, who reads them again "
                                                "(gradient_check, the next training step); build each delta as a new "
                                                "array, e.g. AL - Y rather than AL -= Y")
        except KeyError as error:
            key = error.args[0] if error.args else None
            if key == hidden:
                raise AssertionError(f"backward ({what}) found no derivative for the hidden activation {key!r}: "
                                     "hidden_delta must handle sigmoid, relu, leaky_relu and tanh") from None
            if key in {"sigmoid", "relu", "leaky_relu", "tanh", "identity", "softmax"}:
                raise AssertionError(f"backward ({what}) looked up the derivative of {key!r} for a hidden layer, "
                                     f"but the hidden layers here use {hidden!r}: pass hidden_activation to "
                                     "hidden_delta; output_activation enters only BP1, through output_delta") from None
            raise AssertionError(f"backward ({what}) looked up a missing key {error}: cache keys are 'A0', 'Z1', "
                                 "'A1', ... with L written as a number ('A2', not 'AL'); params keys are "
                                 "'W1', 'b1', ...; and L = len(params) // 2 (a W and a b per layer)") from None
        except ValueError as error:
            if any(word in str(error) for word in ("matmul", "broadcast", "shape", "align")):
                raise AssertionError(_t_shape_hint(what, args[1], args[2])) from None
            raise AssertionError(f"backward ({what}) raised ValueError ({error})") from None
        if any(grads is earlier for earlier in _t_returned):
            raise AssertionError(
                f"backward ({what}) returned the very dict it returned for an earlier network, with that network's "
                "gradients still in it: a default argument such as grads={} is created once, when def runs, and "
                "shared by every call. Create grads = {} inside the function")
        _t_returned.append(grads)
        return grads

    def _t_ignores_hidden_activation():
        """True when dW1 stays the same whatever hidden_activation says (with the cache held fixed)."""
        rng = np.random.default_rng(5)
        params = _t_net([2, 3, 3, 1], rng)
        cache = _t_forward(rng.normal(size=(2, 1)), params, "tanh", "sigmoid")[1]
        try:
            dW1 = [np.asarray(backward(np.array([[1.0]]), params, cache, hidden, "sigmoid", "bce")["dW1"], dtype=float)
                   for hidden in ("tanh", "sigmoid")]
            return dW1[0].shape == dW1[1].shape and np.allclose(dW1[0], dW1[1])
        except Exception:  # a backward that fails here fails the checks below with its own message
            return False

    def _t_compare(grads, expected, what, **tolerances):
        """check.check_dict, naming the order of the steps or a mixed-up layer index first when that went wrong."""
        L = len(expected) // 2
        for l in range(2, L + 1):
            got, below = grads.get(f"db{l}") if isinstance(grads, dict) else None, expected[f"db{l - 1}"]
            if (got is not None and np.shape(got) == below.shape and np.allclose(got, below, rtol=1e-4, atol=1e-7)
                    and not (below.shape == expected[f"db{l}"].shape and np.allclose(below, expected[f"db{l}"]))):
                raise AssertionError(
                    f"{what}: db{l} equals the error of layer {l - 1}: you stepped down with BP2 before reading off "
                    f"layer {l}'s gradients. In each pass of the loop use delta[l] for dW[l] and db[l] first "
                    "(BP3, BP4), then compute delta[l-1] (BP2)")
        try:
            check.check_dict(grads, expected, what, **tolerances)
        except AssertionError as error:
            if _t_ignores_hidden_activation():
                raise AssertionError(f"{what}: dW1 does not change when hidden_activation changes (with the cache "
                                     "held fixed), but BP2 multiplies by g'(Z[l]) of the hidden layers' activation: "
                                     "did you leave g' out, or pass output_activation to hidden_delta? "
                                     f"(output_activation enters only BP1.) The test said: {error}") from None
            raise layer_hints.with_index_hint(error, backward) from None

    def _t_net(sizes, rng):
        return {k: v for l in range(1, len(sizes))
                for k, v in ((f"W{l}", rng.normal(size=(sizes[l], sizes[l - 1]))),
                             (f"b{l}", rng.normal(scale=0.5, size=(sizes[l], 1))))}

    # 1. The worked example (sigmoid hidden and output layers, squared error).
    _params = {"W1": np.array([[0.3], [0.4]]), "b1": np.array([[0.1], [0.2]]),
               "W2": np.array([[1.0, -3.0]]), "b2": np.array([[0.2]])}
    _AL, _cache = _t_forward(np.array([[1.0]]), _params, "sigmoid", "sigmoid")
    _grads = _t_backward("worked example", np.array([[1.0]]), _params, _cache, "sigmoid", "sigmoid", "mse")
    _worked = {"dW1": np.array([[-0.033439], [0.095524]]), "db1": np.array([[-0.033439], [0.095524]]),
               "dW2": np.array([[-0.083323, -0.089860]]), "db2": np.array([[-0.139176]])}
    _t_compare(_grads, _worked, "backward on the worked example", rtol=0, atol=1e-6)

    # 2. Random nets, one per output pairing, compared with finite differences.
    _rng = np.random.default_rng(33)
    for _sizes, _hidden, _out, _loss in (([3, 4, 3, 4], "relu", "softmax", "cross_entropy"),
                                         ([2, 3, 1], "tanh", "sigmoid", "bce"),
                                         ([3, 5, 4, 2], "leaky_relu", "identity", "mse"),
                                         ([2, 3, 3, 1], "sigmoid", "sigmoid", "mse")):
        _params = _t_net(_sizes, _rng)
        _x = _rng.normal(size=(_sizes[0], 1))
        if _out == "softmax":
            _y = np.eye(_sizes[-1])[:, [1]]
        elif _out == "sigmoid":
            _y = (_rng.random((_sizes[-1], 1)) < 0.5) * 1.0
        else:
            _y = _rng.normal(size=(_sizes[-1], 1))
        _AL, _cache = _t_forward(_x, _params, _hidden, _out)
        _what = f"layer sizes {_sizes}, {_hidden} hidden, {_out} output, {_loss} loss"
        _grads = _t_backward(_what, _y, _params, _cache, _hidden, _out, _loss)
        _t_compare(_grads, _t_numeric(_params, _x, _y, _hidden, _out, _loss), f"backward for {_what}",
                   rtol=1e-5, atol=1e-7)
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(311)
    _pairings = [("sigmoid", "bce"), ("softmax", "cross_entropy"), ("identity", "mse"), ("sigmoid", "mse")]
    for _trial in range(8):
        _L = 1 + _trial % 4  # L = 1 (no hidden layer) up to 4
        _sizes = [int(k) for k in _rng.integers(1, 6, size=_L + 1)]
        _out, _loss = _pairings[_trial % 4]
        if _out == "softmax":
            _sizes[-1] = max(_sizes[-1], 2)
        _hidden = ("sigmoid", "relu", "leaky_relu", "tanh")[int(_rng.integers(0, 4))]
        _params = _t_net(_sizes, _rng)
        _x = _rng.normal(size=(_sizes[0], 1))
        if _out == "softmax":
            _y = np.eye(_sizes[-1])[:, [int(_rng.integers(0, _sizes[-1]))]]
        elif _out == "sigmoid":
            _y = (_rng.random((_sizes[-1], 1)) < 0.5) * 1.0
        else:
            _y = _rng.normal(size=(_sizes[-1], 1))
        _AL, _cache = _t_forward(_x, _params, _hidden, _out)
        _keep = ({k: v.copy() for k, v in _params.items()}, {k: v.copy() for k, v in _cache.items()})
        _grads = backward(_y, _params, _cache, _hidden, _out, _loss)
        _what = f"layer sizes {_sizes}, {_hidden} hidden, ({_loss}, {_out}) output"
        assert isinstance(_grads, dict), f"backward should return a dict ({_what})"
        assert set(_grads) == {"d" + k for k in _params}, f"backward: wrong keys for {_what}"
        _want = _t_numeric(_params, _x, _y, _hidden, _out, _loss)
        for _k, _v in _want.items():
            _g = np.asarray(_grads[_k])
            assert _g.shape == _v.shape, f"backward: {_k} has the wrong shape for {_what}"
            assert np.allclose(_g, _v, rtol=1e-5, atol=1e-7), f"backward: {_k} is wrong for {_what}"
        assert all(np.array_equal(_params[k], v) for k, v in _keep[0].items()), "backward modified params in place"
        assert all(np.array_equal(_cache[k], v) for k, v in _keep[1].items()), "backward modified cache in place"
    ### END HIDDEN TESTS
check.passed("backward: all checks passed.")


# %% [markdown]
# Your `backward` on the worked example, next to the numbers it should give:

# %%
try:
    _grads = backward(worked_y, worked_params, worked_cache, "sigmoid", "sigmoid", "mse")
    _expected = {"dW1": [[-0.033439], [0.095524]], "db1": [[-0.033439], [0.095524]],
                 "dW2": [[-0.083323, -0.089860]], "db2": [[-0.139176]]}
    _labels = {"dW1": "dW1", "db1": "db1 = delta1", "dW2": "dW2", "db2": "db2 = delta2"}
    for _key, _want in _expected.items():
        print(f"{_labels[_key]:>12}: yours {np.ravel(_grads[_key])}   expected {np.ravel(np.array(_want))}")
    print(f"{'cost':>12}: {0.5 * float(np.sum((worked_AL - worked_y) ** 2)):.6f}   expected 0.286800")
except NotImplementedError:
    print("Write backward (and the functions it uses) above to see this comparison.")

# %% [markdown]
# ### Written question 2: what backprop saves, in numbers [2 points, graded by hand]
#
# Take a network with $L = 4$ layers, every layer of width 1000 ($n^{[0]} = n^{[1]} = \dots = n^{[4]} = 1000$),
# and one example. Count multiplications only (ignore biases, activations and additions).
#
# 1. How many multiplications does one forward pass take, and how many parameters $P$ does the network have?
# 2. Estimating the gradient with central differences nudges one parameter at a time and evaluates the
#    cost twice for each. How many multiplications is that?
# 3. How many does backpropagation take: BP2 and BP4 for every layer where they apply, plus the forward
#    pass that fills the cache?
# 4. At $10^{10}$ multiplications per second, how long does each method take for one gradient?
#
# Show the counts, and say in one sentence where the difference comes from.

# %% [markdown] answer="backprop_saving" points=2
# ### BEGIN SOLUTION
# **Model answer.** (1) Each layer is a $(1000 \times 1000)$ matrix times a column, $10^6$
# multiplications, so a forward pass takes $4 \cdot 10^6$; $P = 4\,(10^6 + 10^3) \approx 4 \cdot 10^6$.
# (2) Central differences need $2P \approx 8 \cdot 10^6$ forward passes, about
# $8 \cdot 10^6 \times 4 \cdot 10^6 = 3.2 \cdot 10^{13}$ multiplications. (3) Backprop: BP2 for layers
# 3, 2, 1 is one $W^T\delta$ product each ($3 \cdot 10^6$, plus $3 \cdot 10^3$ for the $\odot g'$), BP4 is one
# outer product per layer ($4 \cdot 10^6$), and the forward pass adds $4 \cdot 10^6$: about
# $1.1 \cdot 10^7$ in all, less than three forward passes. (4) About $3200$ s (close to an hour) against
# about $1$ ms, a ratio near $3 \cdot 10^6$, which grows like $P$. The difference: central differences
# redo the whole chain rule for every parameter, while backprop computes each $\delta^{[l]}$ once, from
# $\delta^{[l+1]}$, and all of layer $l$'s parameters share it.
#
# **Rubric.**
# - [1 point] forward pass $4 \cdot 10^6$, $P \approx 4 \cdot 10^6$, central differences $2P$ forward passes $\approx 3 \cdot 10^{13}$ multiplications (about an hour at $10^{10}$/s)
# - [1 point] backprop about $10^7$ (BP2 $3 \cdot 10^6$, BP4 $4 \cdot 10^6$, forward $4 \cdot 10^6$; about a millisecond), with the reason: each $\delta^{[l]}$ is computed once and shared by all of its layer's parameters
# ### END SOLUTION

# %% [markdown]
# ## 10. Gradient checking
#
# A backward pass with a bug usually still runs and still returns arrays of the right shapes; training
# just goes wrong quietly. The cure is to compare with a gradient that is slow but hard to get wrong:
# the **central difference**, for every parameter entry $\theta_i$,
# $$n_i = \frac{C(\theta + \varepsilon e_i) - C(\theta - \varepsilon e_i)}{2\varepsilon},$$
# whose error shrinks like $\varepsilon^2$ (the one-sided difference only like $\varepsilon$).
#
# Compare the analytic gradient $a$ with $n$ by a **relative** error, so that the verdict does not depend on
# the scale of the cost. For one number, $|a - n| / \max(|a| + |n|, \text{tiny})$ (the tiny floor avoids
# $0/0$); for all parameters at once, flatten every gradient into one long vector and use norms:
# $$\text{rel} = \frac{\lVert a - n \rVert}{\lVert a \rVert + \lVert n \rVert}, \qquad 0 \text{ when both are zero}.$$
# It lies between 0 and 1: $a = 2n$ gives $1/3$, a flipped sign gives 1. Rules of thumb in float64:
#
# | rel | verdict |
# |---|---|
# | below $10^{-7}$ | correct |
# | $10^{-7}$ to $10^{-3}$ | look closer |
# | above $10^{-3}$ | almost certainly a bug, unless a nudge crossed a kink (below) |
#
# The exception is a kink: ReLU's slope jumps at 0, and if a pre-activation lies within $\varepsilon$ of 0,
# the nudges $\pm\varepsilon$ land on both sides of it and the central difference measures neither slope.
# How large that error gets is question 3.
#
# It costs two cost evaluations per parameter entry, so check on a tiny network, then switch it off.
#
# Your `gradient_check(cost_fn, params, grads, eps)` receives the cost as a function of the parameter
# dict, `cost_fn(params) -> float`. Perturb **copies**: build a new dict with one entry changed, e.g.
# `cost_fn({**params, key: perturbed_copy})`, and never write into the caller's arrays.

# %% solution="gradient_check"
def gradient_check(cost_fn, params, grads, eps=1e-6):
    """Relative error between analytic gradients and central differences, all parameters together.

    Arguments:
    cost_fn -- function params -> float, the cost as a function of the parameter dict
    params -- {"W1": array, "b1": array, ...}; must not be modified
    grads -- analytic gradients {"dW1": ..., "db1": ...}, grads["d" + key] shaped like params[key]
    eps -- the step of the central differences

    Returns:
    rel -- Python float, ||a - n|| / (||a|| + ||n||), with a the analytic and n the numerical gradients of
           every parameter flattened into one vector; 0.0 when both are zero
    """
    ### BEGIN SOLUTION
    analytic, numeric = [], []
    for key, value in params.items():
        value = np.asarray(value, dtype=float)
        num = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[idx] += eps
            minus[idx] -= eps
            num[idx] = (cost_fn({**params, key: plus}) - cost_fn({**params, key: minus})) / (2 * eps)
        numeric.append(num.ravel())
        analytic.append(np.asarray(grads["d" + key], dtype=float).ravel())
    a = np.concatenate(analytic)
    n = np.concatenate(numeric)
    denominator = np.linalg.norm(a) + np.linalg.norm(n)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(a - n) / denominator)
    ### END SOLUTION


# %% test="gradient_check" points=2
import math
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(34)
    # A cost whose gradient we know exactly:
    # C = 0.5 ||W1 - T||^2 + sum(c * b1) + sum(sin(W2)),  dC/dW1 = W1 - T, dC/db1 = c, dC/dW2 = cos(W2).
    _T = _rng.normal(size=(3, 2))
    _c = _rng.normal(size=(3, 1))

    def _t_cost(p):
        return float(0.5 * np.sum((p["W1"] - _T) ** 2) + np.sum(_c * p["b1"]) + np.sum(np.sin(p["W2"])))

    _params = {"W1": _rng.normal(size=(3, 2)), "b1": _rng.normal(size=(3, 1)), "W2": _rng.normal(size=(1, 3))}
    _right = {"dW1": _params["W1"] - _T, "db1": _c.copy(), "dW2": np.cos(_params["W2"])}
    try:
        _got = check.check_not_mutated(gradient_check, _t_cost, _params, _right,
                                       hint="perturb a copy, e.g. cost_fn({**params, key: perturbed_copy}), and "
                                            "never write into the caller's params or grads")
    except KeyError as _error:
        raise AssertionError(f"gradient_check looked up the missing key {_error}: the gradients are keyed 'd' + the "
                             "parameter's name, grads['dW1'] for params['W1']") from None
    assert isinstance(_got, float), f"gradient_check should return a Python float, got {type(_got).__name__}"
    assert np.isfinite(_got) and 0 <= _got < 1e-7, (
        f"gradient_check gave {_got:.3g} for correct gradients (expected < 1e-7): check the central "
        "difference (C(theta + eps) - C(theta - eps)) / (2 eps), and that you perturb one entry at a time")
    # The caller's arrays must not change while the check runs either, even if put back afterwards.
    _before = {k: v.copy() for k, v in _params.items()}

    def _watching_cost(p):
        for _key, _value in _params.items():
            if not np.array_equal(_value, _before[_key]):
                raise AssertionError(
                    f"gradient_check wrote into the caller's params[{_key!r}] while it ran (putting the value "
                    "back afterwards does not make that safe): perturb a copy, e.g. "
                    "cost_fn({**params, key: perturbed_copy})")
        return _t_cost(p)

    gradient_check(_watching_cost, _params, _right)
    # Doubled gradients: ||2n - n|| / (||2n|| + ||n||) = 1/3 exactly.
    _double = {k: 2 * v for k, v in _right.items()}
    _got = gradient_check(_t_cost, _params, _double)
    if np.isclose(_got, 0.5, atol=1e-4):
        raise AssertionError("gradient_check gave 0.5 for gradients twice too large: the denominator is "
                             "||a|| + ||n||, not max(||a||, ||n||)")
    if np.isclose(_got, 0.2, atol=1e-4):
        raise AssertionError("gradient_check gave 0.2 for gradients twice too large, expected 1/3: you used squared "
                             "norms; ||x|| is the square root of the sum of squares (np.linalg.norm)")
    check.check_scalar(_got, 1 / 3, "gradient_check for analytic gradients twice the true ones", rtol=1e-5)
    # Flipped sign: relative error 1.
    _got = gradient_check(_t_cost, _params, {k: -v for k, v in _right.items()})
    check.check_scalar(_got, 1.0, "gradient_check for analytic gradients of the wrong sign", rtol=1e-5)
    # One wrong entry must show up.
    _wrong = {k: v.copy() for k, v in _right.items()}
    _wrong["db1"][1, 0] += 1.0
    _got = gradient_check(_t_cost, _params, _wrong)
    assert _got > 1e-2, f"gradient_check gave {_got:.3g} when one entry of db1 is off by 1 (expected > 1e-2)"
    # All parameters flattened together: ||a - n|| over every entry, divided by ||a|| + ||n|| of the whole vectors.
    _a = np.concatenate([_wrong[k].ravel() for k in ("dW1", "db1", "dW2")])
    _n = np.concatenate([_right[k].ravel() for k in ("dW1", "db1", "dW2")])
    check.check_scalar(_got, np.linalg.norm(_a - _n) / (np.linalg.norm(_a) + np.linalg.norm(_n)),
                       "gradient_check with one wrong entry (flatten all parameters into one vector, then take "
                       "norms; do not average per-parameter errors)", rtol=1e-4)
    # A constant cost with zero gradients: 0.0, not nan.
    _got = gradient_check(lambda p: 3.0, _params, {k: np.zeros_like(v) for k, v in _right.items()})
    assert _got == 0.0, f"gradient_check should return 0.0 when both gradients are zero (got {_got!r})"
    # eps is the step: for C = w**3 at w = 1 and eps = 0.5 the central difference is 3.25, not the exact 3.
    _got = gradient_check(lambda p: float(np.sum(p["W1"] ** 3)), {"W1": np.array([[1.0]])}, {"dW1": np.array([[3.0]])},
                          eps=0.5)
    if np.isclose(_got, 0.0, atol=1e-6):
        raise AssertionError("gradient_check(..., eps=0.5) ignored its eps argument: with a step of 0.5 the central "
                             "difference of w**3 at w = 1 is 3.25, so the relative error is 0.25 / 6.25 = 0.04")
    check.check_scalar(_got, 0.04, "gradient_check(..., eps=0.5) for C = w**3 at w = 1 (use eps as the step)")
    # Called without eps, the step is the default 1e-6: a cost that records how far the entries were moved.
    _moves = []
    _start = {"W1": np.array([[0.5, -0.25]])}

    def _t_recording_cost(p):
        _moves.extend(np.abs(np.asarray(p["W1"], dtype=float) - _start["W1"]).ravel().tolist())
        return float(np.sum(np.asarray(p["W1"]) ** 2))

    gradient_check(_t_recording_cost, _start, {"dW1": 2 * _start["W1"]})
    if not np.isclose(max(_moves, default=0.0), 1e-6, rtol=1e-3):
        raise AssertionError(f"gradient_check called without eps moved the entries by {max(_moves, default=0.0):.3g}: "
                             "the default step is eps=1e-6, as the signature says")
    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(312)
    for _ in range(3):
        _shapes = {"W1": tuple(int(k) for k in _rng.integers(1, 5, size=2)), "b1": (int(_rng.integers(1, 5)), 1),
                   "W2": tuple(int(k) for k in _rng.integers(1, 4, size=2))}
        _T = {k: _rng.normal(size=s) for k, s in _shapes.items()}

        def _t_cost2(p, _T=_T):
            return float(sum(np.sum(np.exp(0.3 * p[k]) - _T[k] * p[k]) for k in _T))

        _params = {k: _rng.normal(size=s) for k, s in _shapes.items()}
        _keep = {k: v.copy() for k, v in _params.items()}
        _true = {"d" + k: 0.3 * np.exp(0.3 * _params[k]) - _T[k] for k in _params}
        _got = gradient_check(_t_cost2, _params, _true)
        assert all(np.array_equal(_params[k], v) for k, v in _keep.items()), "gradient_check modified params"
        assert isinstance(_got, float) and 0 <= _got < 1e-7, f"gradient_check: correct gradients for shapes {_shapes} gave {_got}"
        # All parameters flattened together: one wrong block, compared with the exact formula.
        _bad = {k: v.copy() for k, v in _true.items()}
        _bad["db1"] = _bad["db1"] + 0.5
        _a = np.concatenate([_bad[k].ravel() for k in _bad])
        _n = np.concatenate([_true[k].ravel() for k in _true])
        _want = np.linalg.norm(_a - _n) / (np.linalg.norm(_a) + np.linalg.norm(_n))
        _got = gradient_check(_t_cost2, _params, _bad)
        assert math.isclose(_got, _want, rel_tol=1e-4), (
            "gradient_check: wrong value when one parameter's gradient is off: flatten all parameters "
            "into one vector before taking norms")
    # eps is honoured: with a huge eps the central difference of a cubic is visibly off.
    _params = {"W1": np.array([[1.0]])}
    _got = gradient_check(lambda p: float(np.sum(p["W1"] ** 3)), _params, {"dW1": np.array([[3.0]])}, eps=0.5)
    assert math.isclose(_got, 0.25 / 6.25, rel_tol=1e-6), "gradient_check: use the eps argument as the step"
    _moves = []
    _start = {"W1": np.array([[0.75], [-1.5]]), "b1": np.array([[0.125]])}

    def _t_recording_cost2(p):
        _moves.extend(np.abs(np.asarray(p[k], dtype=float) - _start[k]).max() for k in _start)
        return float(sum(np.sum(np.asarray(p[k]) ** 2) for k in _start))

    gradient_check(_t_recording_cost2, _start, {"d" + k: 2 * v for k, v in _start.items()})
    assert math.isclose(max(_moves, default=0.0), 1e-6, rel_tol=1e-3), "gradient_check: the default eps is 1e-6"
    ### END HIDDEN TESTS
check.passed("gradient_check: all checks passed.")


# %% [markdown]
# ### Checking your backward pass
#
# Now point `gradient_check` at `backward` on small random networks, one per output pairing and
# hidden activation. The cost function runs the given `forward` and your loss; every relative error
# should be far below $10^{-7}$. The last lines show what a bug looks like: a cost that forgot the
# $\tfrac12$ of the squared error (so the true gradient is twice yours), and a single wrong sign in $W^{[1]}$.

# %%
_LOSSES = {"mse": "mse_loss", "bce": "bce_loss", "cross_entropy": "cross_entropy_loss"}


def _demo_net(sizes, rng):
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(scale=0.5, size=(sizes[l], 1))
    return params


def _demo_target(out, n, rng):
    if out == "softmax":
        return np.eye(n)[:, [int(rng.integers(0, n))]]
    if out == "sigmoid":
        return (rng.random((n, 1)) < 0.5) * 1.0
    return rng.normal(size=(n, 1))


_rng = np.random.default_rng(35)
try:
    for hidden, out, loss in [("tanh", "sigmoid", "bce"), ("sigmoid", "softmax", "cross_entropy"),
                              ("leaky_relu", "identity", "mse"), ("relu", "sigmoid", "mse")]:
        sizes = [3, 4, 4, 3 if out == "softmax" else 2]
        params = _demo_net(sizes, _rng)
        x = _rng.normal(size=(3, 1))
        y = _demo_target(out, sizes[-1], _rng)
        loss_fn = globals()[_LOSSES[loss]]

        def cost_fn(p, x=x, y=y, hidden=hidden, out=out, loss_fn=loss_fn):
            return loss_fn(forward(x, p, hidden, out)[0], y)

        _, cache = forward(x, params, hidden, out)
        grads = backward(y, params, cache, hidden, out, loss)
        rel = gradient_check(cost_fn, params, grads)
        print(f"{hidden:>10} hidden, {out:>8} output, {loss:>13}: relative error {rel:.2e}")

    # Two deliberate bugs on the last network (relu hidden, sigmoid output, squared error).
    def cost_without_half(p):
        return 2 * cost_fn(p)

    print(f"cost missing the 1/2 (true gradient is twice ours): {gradient_check(cost_without_half, params, grads):.2e}")
    flipped = {k: v.copy() for k, v in grads.items()}
    flipped["dW1"][np.unravel_index(np.argmax(np.abs(grads["dW1"])), grads["dW1"].shape)] *= -1
    print(f"one entry of dW1 with the wrong sign:               {gradient_check(cost_fn, params, flipped):.2e}")
except NotImplementedError:
    print("Write the losses, backward and gradient_check above to run these checks.")

# %% [markdown]
# ### How to choose $\varepsilon$
#
# The central difference has two errors pulling in opposite directions: the truncation error of the
# formula, about $\varepsilon^2$, and the rounding error of subtracting two nearly equal costs, about
# $10^{-16}/\varepsilon$. Too large an $\varepsilon$ and the formula is inexact; too small and the
# subtraction loses every digit. The plot sweeps $\varepsilon$ for the tanh network: the sweet spot
# lies around $10^{-6}$ to $10^{-4}$, and float32 (about $10^{-7}$ resolution) would make gradient checking
# far less sharp, which is why it is done in float64.

# %% tags=["demo"]
_rng = np.random.default_rng(36)
_params = _demo_net([3, 4, 4, 2], _rng)
_x = _rng.normal(size=(3, 1))
_y = _demo_target("sigmoid", 2, _rng)
_epsilons = np.logspace(-12, -1, 23)
try:
    _, _cache = forward(_x, _params, "tanh", "sigmoid")
    _grads = backward(_y, _params, _cache, "tanh", "sigmoid", "bce")
    _rels = [gradient_check(lambda p: bce_loss(forward(_x, p, "tanh", "sigmoid")[0], _y), _params, _grads, eps=e)
             for e in _epsilons]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(_epsilons, np.maximum(_rels, 1e-18), "o-")
    ax.axhline(1e-7, color="tab:red", ls="--", label="1e-7")
    ax.set_xlabel("eps")
    ax.set_ylabel("relative error")
    ax.set_title("Gradient check vs step size (tanh net, BCE)")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write bce_loss, backward and gradient_check above to see this plot.")

# %% [markdown]
# ### Written question 3: a kink inside the nudge [2 points, graded by hand]
#
# Take the smallest ReLU network there is: one unit, $C = \mathrm{relu}(z)$ with $z = w x + b$ and $x = 1$,
# at a point where $z = 4 \cdot 10^{-7}$. You run `gradient_check` on $(w, b)$ with the default
# $\varepsilon = 10^{-6}$.
#
# 1. What does `backward` give for $\partial C/\partial w$ and $\partial C/\partial b$, what do the central
#    differences give, and what relative error does `gradient_check` report? Above or below the table's
#    $10^{-3}$?
# 2. Which $\varepsilon$ would make this check pass? Why is shrinking $\varepsilon$ no cure in general
#    (think of a unit whose $z$ is $10^{-13}$, and of the plot above)?
# 3. On a real ReLU network you get $2 \cdot 10^{-2}$. Name one test that tells such a kink from a bug.
#
# Three to five sentences, with your numbers.

# %% [markdown] answer="gradient_check_reading" points=2
# ### BEGIN SOLUTION
# **Model answer.** (1) $z > 0$, so $\mathrm{relu}'(z) = 1$ and `backward` gives $1$ for both ($x = 1$).
# Each nudge moves $z$ by $\pm\varepsilon$, to $1.4 \cdot 10^{-6}$ and to $-6 \cdot 10^{-7}$, where relu is 0:
# the central difference is $1.4 \cdot 10^{-6} / (2 \cdot 10^{-6}) = 0.7$ for both. With $a = (1, 1)$ and
# $n = (0.7, 0.7)$, $\text{rel} = 0.3\sqrt2 / (1.7\sqrt2) \approx 0.18$: far above $10^{-3}$, with correct
# code. (2) Any $\varepsilon$ below $4 \cdot 10^{-7}$ (say $10^{-7}$) stays on one side: $n = 1$ up to
# rounding. But a unit at $z = 10^{-13}$ would need $\varepsilon < 10^{-13}$, where the rounding error,
# about $10^{-16}/\varepsilon$, is $10^{-3}$ and more (the left side of the plot): no single
# $\varepsilon$ suits every unit. (3) Check whether any $|Z^{[l]}|$ is below $\varepsilon$; or repeat
# with other random inputs or weights, or with tanh in place of ReLU: a kink comes and goes with the
# draw and vanishes with a smooth activation, a bug stays.
#
# **Rubric.**
# - [1 point] $1$ against $0.7$ for both entries, relative error about $0.18$: above $10^{-3}$ without any bug
# - [1 point] $\varepsilon < 4\cdot 10^{-7}$ fixes this case but not in general (rounding grows like $10^{-16}/\varepsilon$), and one test that separates kink from bug ($|Z| < \varepsilon$, other draws, or tanh)
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - $\delta^{[l]} = \partial C/\partial Z^{[l]}$, one column per layer, computed from the output back:
#   BP1 at the output, BP2 for each hidden layer, each step reusing the one before.
# - Parameter gradients are read off the errors: $\partial C/\partial b^{[l]} = \delta^{[l]}$,
#   $\partial C/\partial W^{[l]} = \delta^{[l]} A^{[l-1]T}$, each shaped like its parameter.
# - Sigmoid + BCE and softmax + cross-entropy (and identity + squared error) give $\delta^{[L]} = A^{[L]} - Y$;
#   squared error behind a sigmoid keeps the factor $a(1-a)$ and learns slowly when saturated.
# - A relative error below $10^{-7}$ against central differences is the test that your gradients are right.
#
# Next, notebook 04 processes a whole batch at once: the same four equations, with a matrix of columns in
# place of each vector and the $\tfrac1m$ of the mean cost in $\partial C/\partial W$ and $\partial C/\partial b$.
