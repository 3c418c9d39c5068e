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
# # 01 · Notation: neurons, layers, shapes and the chain rule
#
# Backpropagation is the chain rule applied with care to bookkeeping. Before any learning
# happens, this notebook fixes the bookkeeping: what a neuron computes, how a layer of neurons
# becomes one matrix, which shape every array has, and which objects (gradients, Jacobians) the
# chain rule multiplies together. Everything later in the course uses exactly this notation.
#
# **You will learn** to read a layer as $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$ and say at a
# glance why $W^{[l]}$ has shape $(n^{[l]}, n^{[l-1]})$; to count the parameters of a network;
# to tell a gradient from a Jacobian; to compose Jacobians with the chain rule; to see why an
# element-wise activation has a diagonal Jacobian; and to translate formulas from other books
# into ours.
#
# **You will write** (7 points), and answer two written questions graded by hand (4 points):
#
# | function | what it does | points |
# |---|---|---|
# | `layer_shapes(layer_sizes)` | the shapes of every $W^{[l]}$ and $b^{[l]}$ | 1 |
# | `count_parameters(layer_sizes)` | how many numbers a network learns | 1 |
# | `jacobian_example(x, y)` | a $2 \times 2$ Jacobian worked out by hand | 1 |
# | `numerical_gradient(f, x, eps)` | central differences for a scalar function of an array | 2 |
# | `numerical_jacobian(F, x, eps)` | central differences for a vector function of a vector | 2 |
#
# Write each function in its answer cell, then run the test cell just below it: the test says
# what is wrong when something is.

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
import warnings

import matplotlib.pyplot as plt
import numpy as np

from course import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A neuron maps a vector to a number
#
# A neuron reads an input vector $x \in \mathbb{R}^{n}$ and returns one number $a$. It first
# takes a weighted sum of the inputs plus a bias, then passes that sum through an
# **activation function** $g$:
#
# $$z = w \cdot x + b = \sum_{k=1}^{n} w_k x_k + b, \qquad a = g(z).$$
#
# The weights $w \in \mathbb{R}^{n}$ (one per input) and the bias $b \in \mathbb{R}$ are the
# neuron's parameters: the numbers that training will adjust. $z$ is the **pre-activation**
# (some books call it the net value) and $a$ the **activation**. For now take $g$ to be the
# sigmoid $\sigma(z) = 1 / (1 + e^{-z})$, which squashes any real number into $(0, 1)$.
#
# The cell writes the formula exactly as printed. That is fine for the small $z$ of this
# notebook, but not in general: for $z$ below about $-709$, $e^{-z}$ overflows. Notebook 02
# shows what goes wrong and has you write a form that never overflows.

# %%
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))  # the textbook formula: only for moderate z (see notebook 02)


w = np.array([0.5, -1.0, 2.0])  # one weight per input
b = 0.1  # one bias per neuron
x = np.array([1.0, 2.0, 0.5])  # one input vector with n = 3 entries

z = w @ x + b  # 0.5 * 1 - 1 * 2 + 2 * 0.5 + 0.1
a = sigmoid(z)
print(f"z = {z:.4f}, a = g(z) = {a:.4f}")

# %% [markdown]
# On the left, the same neuron as a picture: three inputs, three weighted connections, one
# output. On the right, a neuron with two inputs, drawn as a function of its input plane. The
# pre-activation $z$ is zero along a straight line, the line is perpendicular to $w$, and the
# output climbs from 0 to 1 as the input crosses it in the direction of $w$. A single neuron is a
# soft switch across a line (a hyperplane, with more inputs): the length of $w$ sets how sharp
# the switch is, and $b$ shifts the line.

# %% tags=["demo"]
fig, (ax_diag, ax_plane) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")

# Left: the neuron as a diagram.
in_y = [1.0, 0.0, -1.0]
for k, (yk, wk) in enumerate(zip(in_y, w)):
    ax_diag.annotate("", xy=(2.55, 0.0), xytext=(0.25, yk),
                     arrowprops=dict(arrowstyle="->", color="tab:blue", lw=1 + 1.5 * abs(wk)))
    ax_diag.add_patch(plt.Circle((0.0, yk), 0.25, color="lightgray"))
    ax_diag.text(0.0, yk, f"$x_{k + 1}$", ha="center", va="center", fontsize=13)
    ax_diag.text(0.95, 0.7 * yk + 0.2, f"$w_{k + 1}={wk:g}$", fontsize=11, color="tab:blue",
                 ha="center", bbox=dict(facecolor="white", edgecolor="none", pad=1))
ax_diag.add_patch(plt.Circle((3.0, 0.0), 0.45, color="moccasin"))
ax_diag.text(3.0, 0.0, "$z \\to g$", ha="center", va="center", fontsize=13)
ax_diag.text(3.0, -0.75, "$z = w \\cdot x + b$", ha="center", fontsize=11)
ax_diag.annotate("", xy=(4.6, 0.0), xytext=(3.45, 0.0), arrowprops=dict(arrowstyle="->", lw=2))
ax_diag.text(4.7, 0.0, "$a = g(z)$", va="center", fontsize=13)
ax_diag.set_xlim(-0.5, 5.8)
ax_diag.set_ylim(-1.5, 1.5)
ax_diag.set_aspect("equal")
ax_diag.axis("off")
ax_diag.set_title("a neuron: $\\mathbb{R}^3 \\to \\mathbb{R}$")

# Right: a two-input neuron over its input plane.
w2, b2 = np.array([2.0, -1.0]), 0.5
grid = np.linspace(-3, 3, 200)
G1, G2 = np.meshgrid(grid, grid)
A_plane = sigmoid(w2[0] * G1 + w2[1] * G2 + b2)
filled = ax_plane.contourf(G1, G2, A_plane, levels=20, cmap="RdBu_r")
fig.colorbar(filled, ax=ax_plane, label="$a = \\sigma(w \\cdot x + b)$")
ax_plane.plot(grid, (w2[0] * grid + b2) / -w2[1], "k--", label="$w \\cdot x + b = 0$")
ax_plane.annotate("", xy=(w2[0] / 2, w2[1] / 2), xytext=(0, 0),
                  arrowprops=dict(arrowstyle="->", lw=2.5, color="black"))
ax_plane.text(w2[0] / 2 + 0.1, w2[1] / 2 - 0.35, "$w$", fontsize=14)
ax_plane.set_xlim(-3, 3)
ax_plane.set_ylim(-3, 3)
ax_plane.set_xlabel("$x_1$")
ax_plane.set_ylabel("$x_2$")
ax_plane.legend(loc="upper left")
ax_plane.set_title("$w = (2, -1)$, $b = 0.5$")
plt.show()

# %% [markdown]
# ## 2. A layer stacks neurons into a matrix
#
# A **layer** is several neurons reading the same input. Say layer 1 has $n^{[1]}$ neurons and
# they all read the input $a^{[0]} = x$ with $n^{[0]}$ entries. Neuron $j$ has its own weight
# vector $w_j \in \mathbb{R}^{n^{[0]}}$ and bias $b_j$. Write the weight vectors as the **rows**
# of one matrix and the biases as one column:
#
# $$W^{[1]} = \begin{pmatrix} w_1^\top \\ w_2^\top \\ \vdots \\ w_{n^{[1]}}^\top \end{pmatrix}
#   \in \mathbb{R}^{n^{[1]} \times n^{[0]}}, \qquad
#   b^{[1]} = \begin{pmatrix} b_1 \\ \vdots \\ b_{n^{[1]}} \end{pmatrix}
#   \in \mathbb{R}^{n^{[1]} \times 1}.$$
#
# Row $j$ of $W^{[1]} x$ is $w_j \cdot x$, so one matrix product computes every neuron's
# pre-activation at once, and the activation function is applied to each entry:
#
# $$z^{[1]} = W^{[1]} a^{[0]} + b^{[1]}, \qquad a^{[1]} = g(z^{[1]}).$$
#
# The square brackets number the layers: the input is layer 0, and $W^{[l]}, b^{[l]}$ are the
# parameters *into* layer $l$. The cell checks that the matrix form agrees with running the
# neurons one at a time.

# %%
rng = np.random.default_rng(0)
n0, n1 = 3, 4
W1 = rng.normal(size=(n1, n0))  # row j = the weights of neuron j
b1 = rng.normal(size=(n1, 1))  # one bias per neuron, as a column
a0 = rng.normal(size=(n0, 1))  # one input, as a column

one_at_a_time = np.array([[W1[j] @ a0[:, 0] + b1[j, 0]] for j in range(n1)])
z1 = W1 @ a0 + b1
print("z1 =", z1.ravel(), " shape", z1.shape)
print("same as running the neurons one by one:", np.allclose(z1, one_at_a_time))

# %% [markdown]
# ### Why $W^{[l]}$ has shape $(n^{[l]}, n^{[l-1]})$
#
# * **One row per neuron of layer $l$.** Row $j$ holds the weights of neuron $j$ of the layer
#   being computed.
# * **One column per unit of layer $l-1$.** Column $k$ holds the weights that leave unit $k$ of
#   the previous layer.
# * So $W^{[l]}_{jk}$ is the weight on the connection *to* unit $j$ of layer $l$ *from* unit
#   $k$ of layer $l-1$: read the indices as "to, from", in the same order as "row, column".
# * The product then fits: $(n^{[l]}, n^{[l-1]})$ times $(n^{[l-1]}, 1)$ gives $(n^{[l]}, 1)$.
#   The inner sizes must agree, and the result has one entry per neuron.
#
# Below, a network with `layer_sizes = [3, 4, 2]`. Each line is one weight (colour = sign,
# thickness = size); on the right, the same weights of layer 1 as the matrix $W^{[1]}$. The four
# lines that arrive at hidden unit $j$ are exactly row $j$.

# %% tags=["demo"]
def draw_network(ax, layer_sizes, weights):
    """Units as circles, weights as lines (red positive, blue negative, width ~ |weight|)."""
    def unit_y(n):
        return np.arange(n)[::-1] - (n - 1) / 2

    for l, W in enumerate(weights, start=1):
        y_in, y_out = unit_y(layer_sizes[l - 1]), unit_y(layer_sizes[l])
        for j in range(W.shape[0]):
            for k in range(W.shape[1]):
                ax.plot([l - 1, l], [y_in[k], y_out[j]], color="tab:red" if W[j, k] > 0 else "tab:blue",
                        lw=0.5 + 1.5 * abs(W[j, k]), zorder=1)
    for l, n in enumerate(layer_sizes):
        for j, y in enumerate(unit_y(n)):
            ax.add_patch(plt.Circle((l, y), 0.17, color="lightgray", zorder=2))
            ax.text(l, y, f"{j + 1}", ha="center", va="center", zorder=3)
        ax.text(l, unit_y(max(layer_sizes))[-1] - 0.7, f"layer {l}\n$n^{{[{l}]}} = {n}$", ha="center")
    ax.set_xlim(-0.4, len(layer_sizes) - 0.6)
    ax.set_ylim(unit_y(max(layer_sizes))[-1] - 1.2, unit_y(max(layer_sizes))[0] + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")


rng = np.random.default_rng(1)
sizes = [3, 4, 2]
net_weights = [rng.normal(size=(sizes[l], sizes[l - 1])) for l in range(1, len(sizes))]

fig, (ax_net, ax_mat) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained",
                                     gridspec_kw={"width_ratios": [1.3, 1]})
draw_network(ax_net, sizes, net_weights)
ax_net.set_title("layer_sizes = [3, 4, 2]")
limit = np.abs(net_weights[0]).max()
ax_mat.imshow(net_weights[0], cmap="RdBu_r", vmin=-limit, vmax=limit)
for (j, k), value in np.ndenumerate(net_weights[0]):
    ax_mat.text(k, j, f"{value:.2f}", ha="center", va="center",
                color="white" if abs(value) > 0.6 * limit else "black")
ax_mat.set_xticks(range(3), [f"from unit {k + 1}" for k in range(3)])
ax_mat.set_yticks(range(4), [f"to unit {j + 1}" for j in range(4)])
ax_mat.set_title("$W^{[1]}$: shape $(n^{[1]}, n^{[0]}) = (4, 3)$")
plt.show()

# %% [markdown]
# ### Many examples at once: examples are columns
#
# To run $m$ examples through a layer together, put them side by side as the columns of
# $X = A^{[0]}$, shape $(n^{[0]}, m)$. The same formula now produces a matrix:
#
# $$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g(Z^{[l]}), \qquad
#   \text{both of shape } (n^{[l]}, m).$$
#
# $(n^{[l]}, n^{[l-1]})$ times $(n^{[l-1]}, m)$ is $(n^{[l]}, m)$, and the bias column
# $(n^{[l]}, 1)$ is **broadcast**: NumPy adds the same bias to every column, that is, to every
# example. Column $i$ of $Z^{[l]}$ is what the single-example formula gives for example $i$.
# The whole course sticks to this layout: one example per column.

# %%
rng = np.random.default_rng(2)
m = 5
X = rng.normal(size=(n0, m))  # 5 examples, one per column
Z1 = W1 @ X + b1  # (4, 3) @ (3, 5) + (4, 1) -> (4, 5)
print("W1", W1.shape, "@ X", X.shape, "+ b1", b1.shape, "->", Z1.shape)
print("column 2 equals the single-example formula:", np.allclose(Z1[:, [2]], W1 @ X[:, [2]] + b1))

# %% [markdown]
# For the network `[3, 4, 2]` and a batch of $m$ examples, every array has a fixed shape:
#
# | array | shape | here |
# |---|---|---|
# | $X = A^{[0]}$ | $(n^{[0]}, m)$ | $(3, m)$ |
# | $W^{[1]}$, $b^{[1]}$ | $(n^{[1]}, n^{[0]})$, $(n^{[1]}, 1)$ | $(4, 3)$, $(4, 1)$ |
# | $Z^{[1]}$, $A^{[1]}$ | $(n^{[1]}, m)$ | $(4, m)$ |
# | $W^{[2]}$, $b^{[2]}$ | $(n^{[2]}, n^{[1]})$, $(n^{[2]}, 1)$ | $(2, 4)$, $(2, 1)$ |
# | $Z^{[2]}$, $A^{[2]}$ | $(n^{[2]}, m)$ | $(2, m)$ |
#
# In code a network's parameters live in a dict named like the maths, so `params["W2"]` is
# $W^{[2]}$ and `params["b2"]` is $b^{[2]}$. The network has $L$ layers with parameters (here
# $L = 2$); the input layer 0 has none.

# %% [markdown]
# ### Exercise 1: `layer_shapes` (1 point)
#
# Given `layer_sizes = [n0, n1, ..., nL]`, return a list with one entry per layer that has
# parameters, $l = 1, \dots, L$. Entry $l$ is the pair `(shape of W[l], shape of b[l])`, each
# shape a tuple of two ints. For example `[3, 4, 2]` gives `[((4, 3), (4, 1)), ((2, 4), (2, 1))]`.
# Write tuples, as NumPy does for `.shape`; the tests also accept lists in their place (and NumPy
# integers for the ints), since either can be passed to `np.zeros`. A float such as `4.0` is not
# a size, and is refused.

# %% solution="layer_shapes"
def layer_shapes(layer_sizes):
    """Shapes of the parameters of a fully connected network.

    Input:  layer_sizes, a list [n0, n1, ..., nL] of L + 1 positive ints (n0 = number of inputs).
    Output: a list of L pairs; entry l - 1 is ((n[l], n[l-1]), (n[l], 1)), the shapes of W[l] and b[l].
            Tuples of ints; lists instead of tuples, and NumPy integers instead of ints, are accepted.
    """
    ### BEGIN SOLUTION
    shapes = []
    for l in range(1, len(layer_sizes)):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        shapes.append(((n_out, n_in), (n_out, 1)))
    return shapes
    ### END SOLUTION


# %% test="layer_shapes" points=1
import warnings

import numpy as np

from course import check


def _normalise_shapes(result):
    """The answer as a list of ((int, int), (int, int)); an AssertionError saying why it is not.

    Lists in place of tuples and NumPy integers in place of ints are accepted (the exercise says so).
    """
    if result is None:
        raise AssertionError("layer_shapes: got None: did you forget to `return` the list?")
    if not isinstance(result, (list, tuple)):
        raise AssertionError(f"layer_shapes: expected a list of pairs, got a {type(result).__name__}")
    pairs = []
    for l, entry in enumerate(result, start=1):
        try:
            w_shape, b_shape = entry
            pair = (tuple(w_shape), tuple(b_shape))
        except (TypeError, ValueError):
            raise AssertionError(f"layer_shapes: entry for layer {l} is {entry!r}; each entry should be "
                                 "a pair (shape of W[l], shape of b[l]), e.g. ((4, 3), (4, 1))") from None
        for size in pair[0] + pair[1]:
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
                raise AssertionError(f"layer_shapes: entry for layer {l} is {entry!r}: a shape holds ints, "
                                     f"and {size!r} is a {type(size).__name__}")
        pairs.append(tuple(tuple(int(v) for v in shape) for shape in pair))
    return pairs


def _check_layer_shapes(layer_sizes):
    got = _normalise_shapes(layer_shapes(list(layer_sizes)))
    L = len(layer_sizes) - 1
    assert len(got) == L, (f"layer_shapes({layer_sizes}): expected L = {L} entries (one per layer with "
                           f"parameters; the input layer 0 has none), got {len(got)}")
    for l, (w_shape, b_shape) in enumerate(got, start=1):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        where = f"layer_shapes({layer_sizes}), layer {l}"
        if w_shape == (n_in, n_out) and n_in != n_out:
            raise AssertionError(f"{where}: W shape {w_shape} is transposed: W[l] has one row per unit of "
                                 "layer l and one column per unit of layer l-1, (n[l], n[l-1])")
        assert w_shape == (n_out, n_in), f"{where}: W shape {w_shape} should be (n[l], n[l-1])"
        if b_shape == (n_in, 1) and n_in != n_out:
            raise AssertionError(f"{where}: b shape {b_shape} has one entry per unit of layer l-1; "
                                 "b[l] has one entry per unit of layer l")
        assert b_shape == (n_out, 1), (f"{where}: b shape {b_shape} should be a column (n[l], 1), "
                                       "not a flat (n[l],) vector or a row")


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for sizes in ([3, 4, 2], [784, 100, 10], [2, 5, 5, 1], [6, 1]):
        _check_layer_shapes(sizes)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(101)
    for _ in range(20):
        sizes = [int(n) for n in rng.integers(1, 300, size=int(rng.integers(2, 8)))]
        _check_layer_shapes(sizes)
    _check_layer_shapes([1, 1])
    _check_layer_shapes([7, 7, 7, 7])
    ### END HIDDEN TESTS
check.passed("layer_shapes: all checks passed.")

# %% [markdown]
# ### Written question 1: the shapes of a network you have not seen [2 points, graded by hand]
#
# A network classifies $32 \times 32$ colour images, each flattened to $3 \cdot 32 \cdot 32 = 3072$
# numbers, into 10 classes: `layer_sizes = [3072, 256, 64, 10]`, and it reads batches of $m = 128$.
#
# 1. In our layout, give the shapes of $W^{[2]}$, $b^{[2]}$, $A^{[1]}$ and $Z^{[3]}$, and say which
#    two units the entry $W^{[2]}_{5,17}$ connects.
# 2. A colleague keeps the same batch one example per **row**, so their $A^{[1]}$ is
#    `A1_rows = A1.T`, and computes layer 2 as `Z2_rows = A1_rows @ W2 + b2` with our `W2` and
#    `b2`. Predict what NumPy does with this line, naming the shapes that meet. Then write a line
#    that works and returns our $Z^{[2]}$ transposed, and give the shape its bias must have.

# %% [markdown] answer="weight_matrix_shape" points=2
# ### BEGIN SOLUTION
# **Model answer.** (1) $W^{[2]}$ is $(n^{[2]}, n^{[1]}) = (64, 256)$, $b^{[2]}$ is $(64, 1)$,
# $A^{[1]}$ is $(n^{[1]}, m) = (256, 128)$ and $Z^{[3]}$ is $(10, 128)$. $W^{[2]}_{5,17}$ is the weight
# *to* unit 5 of layer 2 *from* unit 17 of layer 1 (row = receiving unit, column = sending unit).
# (2) `A1_rows` is $(128, 256)$ and `W2` is $(64, 256)$: the inner sizes 256 and 64 do not meet, so
# `@` raises a `ValueError` (a shape mismatch in matmul) before the bias is even added. A working
# line is `Z2_rows = A1_rows @ W2.T + b2.T`, shape $(128, 64)$, which is $(Z^{[2]})^\top$; the bias
# must be a row $(1, 64)$ broadcast down the 128 examples. Our column `b2` of shape $(64, 1)$ would
# not broadcast against $(128, 64)$ (128 against 64 on the first axis): a second error.
#
# **Rubric.**
# - [1 point] part 1: the four shapes (64, 256), (64, 1), (256, 128), (10, 128) and $W^{[2]}_{5,17}$ read as "to unit 5 of layer 2, from unit 17 of layer 1"
# - [1 point] part 2: the mismatch predicted with its shapes ((128, 256) @ (64, 256), 256 against 64: an error), a working line with `W2.T` (or an equivalent), and the bias as a row (1, 64)
# ### END SOLUTION

# %% [markdown]
# ## 3. Counting parameters
#
# Layer $l$ has $n^{[l]} \cdot n^{[l-1]}$ weights and $n^{[l]}$ biases, so
#
# $$\#\text{parameters} = \sum_{l=1}^{L} n^{[l]} \left(n^{[l-1]} + 1\right).$$
#
# The count grows with the *product* of neighbouring layer sizes. A net for $28 \times 28$
# images with `layer_sizes = [784, 100, 10]` has $100 \cdot 785 + 10 \cdot 101 = 79{,}510$
# parameters, and nearly all of them sit in the first layer. Every one of these numbers needs a
# derivative at every training step: that is why we want an efficient way to compute them all.

# %% [markdown]
# ### Exercise 2: `count_parameters` (1 point)
#
# Return the total number of weights and biases, as an `int`. Checks you can do by hand:
# `[784, 100, 10]` has 79,510; `[n, 3, 2, 1]` has $3n + 14$.

# %% solution="count_parameters"
def count_parameters(layer_sizes):
    """Number of learnable numbers (all weights and biases) of a fully connected network.

    Input:  layer_sizes, a list [n0, n1, ..., nL] of L + 1 positive ints.
    Output: an int, the sum over l = 1..L of n[l] * n[l-1] (weights) + n[l] (biases).
    """
    ### BEGIN SOLUTION
    total = 0
    for l in range(1, len(layer_sizes)):
        total += layer_sizes[l] * (layer_sizes[l - 1] + 1)
    return total
    ### END SOLUTION


# %% test="count_parameters" points=1
import warnings

import numpy as np

from course import check


def _check_count(layer_sizes):
    got = count_parameters(list(layer_sizes))
    where = f"count_parameters({layer_sizes})"
    if got is None:
        raise AssertionError(f"{where}: got None: did you forget to `return` the count?")
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        raise AssertionError(f"{where}: expected an int, got {type(got).__name__} {got!r}")
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    expected = sum(n_out * (n_in + 1) for n_in, n_out in pairs)
    if got == expected:
        return
    if got == sum(n_out * n_in for n_in, n_out in pairs):
        raise AssertionError(f"{where}: got {got}, which counts the weights only: add one bias per unit "
                             "of every layer with parameters")
    if got == sum(n_in * (n_out + 1) for n_in, n_out in pairs):
        raise AssertionError(f"{where}: got {got}: the biases belong to the receiving layer l, "
                             "n[l] of them, not to layer l-1")
    if got == sum(n_out * n_in + 1 for n_in, n_out in pairs):
        raise AssertionError(f"{where}: got {got}, one bias per layer: every unit of layer l has its own bias")
    if got == expected + layer_sizes[0]:
        raise AssertionError(f"{where}: got {got}: the input layer 0 has no biases")
    raise AssertionError(f"{where}: got {got}; each layer l contributes n[l] * n[l-1] weights "
                         "and n[l] biases")


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for sizes in ([3, 4, 2], [784, 100, 10], [2, 5, 5, 1], [6, 1]):
        _check_count(sizes)
    assert count_parameters([784, 100, 10]) == 79510, "count_parameters([784, 100, 10]) should be 79510"
    for n in (1, 5, 64):
        _check_count([n, 3, 2, 1])
        assert count_parameters([n, 3, 2, 1]) == 3 * n + 14, f"count_parameters([{n}, 3, 2, 1]) should be 3n + 14"
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(202)
    for _ in range(20):
        _check_count([int(n) for n in rng.integers(1, 2000, size=int(rng.integers(2, 8)))])
    _check_count([1, 1])
    _check_count([100000, 50000, 10])  # large counts stay exact
    ### END HIDDEN TESTS
check.passed("count_parameters: all checks passed.")

# %% [markdown]
# ## 4. Gradients and Jacobians
#
# Training changes parameters in the direction that lowers a cost, so we need derivatives of
# functions of many variables. Two objects cover every case in this course.
#
# **The gradient** of a *scalar* function $f : \mathbb{R}^{n} \to \mathbb{R}$ collects its
# partial derivatives,
#
# $$\nabla f(x) = \left(\frac{\partial f}{\partial x_1}, \dots, \frac{\partial f}{\partial x_n}\right),$$
#
# and we store it **shaped like $x$**. That rule extends to arrays of any shape: the
# derivative of the cost with respect to a $(4, 3)$ weight matrix is a $(4, 3)$ array, which is
# why `grads["dW1"]` always has the shape of `params["W1"]`. Example: for
# $f(x) = \tfrac12 x^\top A x + c^\top x$, the gradient is $\nabla f(x) = \tfrac12 (A + A^\top) x + c$.
#
# **The Jacobian** of a *vector* function $F : \mathbb{R}^{n} \to \mathbb{R}^{k}$ is the
# $k \times n$ matrix of all partial derivatives,
#
# $$J_F(x) = \begin{pmatrix}
#   \frac{\partial F_1}{\partial x_1} & \cdots & \frac{\partial F_1}{\partial x_n} \\
#   \vdots & & \vdots \\
#   \frac{\partial F_k}{\partial x_1} & \cdots & \frac{\partial F_k}{\partial x_n}
# \end{pmatrix}, \qquad (J_F)_{ij} = \frac{\partial F_i}{\partial x_j}.$$
#
# One **row per output**, one **column per input**, the same "to, from" order as $W^{[l]}$.
# Row $i$ is the gradient of the $i$-th output, laid flat. For $k = 1$ the Jacobian is a
# single row, the gradient transposed.
#
# A first example worth remembering: the linear map $F(x) = M x + d$ has $J_F = M$ everywhere.
# In particular $W^{[l]}$ *is* the Jacobian of $z^{[l]}$ with respect to $a^{[l-1]}$:
# $\partial z_j / \partial a_k = W_{jk}$.

# %% [markdown]
# ### Exercise 3: `jacobian_example` (1 point)
#
# Work out by hand the Jacobian of
#
# $$F(x, y) = \begin{pmatrix} 2x + y^3 \\ e^{y} - 13x \end{pmatrix}$$
#
# and return it, evaluated at the point $(x, y)$, as a $(2, 2)$ NumPy array of floats. Rows are
# the outputs $F_1, F_2$; columns are the inputs $x, y$.

# %% solution="jacobian_example"
def jacobian_example(x, y):
    """Jacobian of F(x, y) = [2x + y^3, e^y - 13x] at one point.

    Input:  x, y, two floats.
    Output: ndarray of shape (2, 2): [[dF1/dx, dF1/dy], [dF2/dx, dF2/dy]].
    """
    ### BEGIN SOLUTION
    return np.array([[2.0, 3.0 * y**2],
                     [-13.0, np.exp(y)]])
    ### END SOLUTION


# %% test="jacobian_example" points=1
import math
import warnings

import numpy as np

from course import check

_OUTPUT_NAMES = ("F1 = 2x + y^3", "F2 = e^y - 13x")
_INPUT_NAMES = ("x", "y")


def _jacobian_by_hand(x, y):
    return np.array([[2.0, 3.0 * y**2], [-13.0, math.exp(y)]])


def _close(a, b):
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def _known_slips(x, y):
    """For each entry (row, column), values a common slip gives there, with what the slip is."""
    return {
        (0, 0): [(2.0 * x, "that is the term 2x itself, not its derivative")],
        (0, 1): [(y**2, "the power rule's factor is missing: d/dy y^n = n y^(n-1)"),
                 (3.0 * y, "the power rule lowers the exponent by one, not by two"),
                 (y**3, "that is the term y^3 itself, not its derivative"),
                 (3.0 * x**2, "a derivative with respect to y of a term in y depends on y, not on x"),
                 (0.0, "F1 does depend on y")],
        (1, 0): [(13.0, "the sign: F2 subtracts 13x"),
                 (-13.0 * x, "that is the term -13x itself, not its derivative")],
        (1, 1): [(y * math.exp(y - 1), "the power rule does not apply to e^y: there y is the exponent"),
                 (math.exp(y) - 13.0 * x, "that is F2 itself; the partial derivative drops the term without y"),
                 (math.exp(x), "a derivative with respect to y of a term in y depends on y, not on x"),
                 (0.0, "F2 does depend on y")],
    }


def _check_jacobian_at(x, y):
    """jacobian_example(x, y) against the hand-derived Jacobian; a failure names the wrong entry."""
    where = f"jacobian_example({x:g}, {y:g})"
    got = jacobian_example(x, y)
    if got is None:
        raise AssertionError(f"{where}: got None: did you forget to `return` the array?")
    if not isinstance(got, np.ndarray):
        raise AssertionError(f"{where}: got a {type(got).__name__}, expected a NumPy array of shape (2, 2): "
                             "wrap the nested list in np.array(...)")
    if got.dtype.kind not in "biuf":
        raise AssertionError(f"{where}: dtype {got.dtype}, expected real numbers")
    if got.shape != (2, 2):
        raise AssertionError(f"{where}: shape {got.shape}, expected (2, 2): one row per output (F1, F2), "
                             "one column per input (x, y)")
    got = got.astype(float)
    want = _jacobian_by_hand(x, y)
    if _close(got, want):
        return
    if _close(got, want.T):
        raise AssertionError(f"{where}: rows and columns are swapped: row i holds the partial derivatives of "
                             "output F_i, column j those with respect to input j (x, then y); you put the "
                             "outputs in the columns")
    if _close(got, want[::-1]):
        raise AssertionError(f"{where}: the rows are in the wrong order: row 1 is the output F1 = 2x + y^3")
    if _close(got, want[:, ::-1]):
        raise AssertionError(f"{where}: the columns are in the wrong order: column 1 is the derivative "
                             "with respect to x, column 2 with respect to y")
    if _close(got, _jacobian_by_hand(y, x)):
        raise AssertionError(f"{where}: this is the Jacobian at the point ({y:g}, {x:g}): the function is "
                             "called as jacobian_example(x, y), x first")
    wrong = [(i, j) for i in range(2) for j in range(2) if not _close(got[i, j], want[i, j])]
    i, j = wrong[0]
    message = (f"{where}: entry [{i}, {j}], dF{i + 1}/d{_INPUT_NAMES[j]}, is wrong (got {got[i, j]:.6g}, "
               f"expected {want[i, j]:.6g}): it is the derivative of {_OUTPUT_NAMES[i]} with respect to "
               f"{_INPUT_NAMES[j]}, the other input held fixed")
    for value, slip in _known_slips(x, y)[i, j]:
        if _close(got[i, j], value):
            message += f"; {slip}"
            break
    if len(wrong) > 1:
        others = ", ".join(f"[{a}, {b}]" for a, b in wrong[1:])
        message += f" (also wrong: entry {others})" if len(wrong) == 2 else f" (also wrong: entries {others})"
    raise AssertionError(message)


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    # Points where every partial derivative shows: y is neither 0 nor 1, x is not 1, x != y.
    _check_jacobian_at(0.5, 2.0)  # [[2, 12], [-13, e^2]]
    _check_jacobian_at(1.5, -0.5)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(303)
    points = [(float(px), float(py)) for px, py in rng.uniform(-4, 4, size=(10, 2))]
    for px, py in points + [(0.0, 0.0), (-2.0, -1.5), (3.0, 6.0), (1.0, 0.0)]:
        _check_jacobian_at(px, py)
    ### END HIDDEN TESTS
check.passed("jacobian_example: all checks passed.")

# %% [markdown]
# ## 5. Derivatives by finite differences
#
# A derivative is a limit of difference quotients, so we can estimate one by evaluating the
# function at nearby points. Two choices, for a small step $\varepsilon$:
#
# $$\text{forward: } \frac{f(x + \varepsilon) - f(x)}{\varepsilon}, \qquad
#   \text{central: } \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2 \varepsilon}.$$
#
# Taylor's theorem says the forward quotient is off by about $\tfrac12 f''(x)\,\varepsilon$,
# while the central quotient is off by only about $\tfrac16 f'''(x)\,\varepsilon^2$: the even
# terms cancel. So why not let $\varepsilon \to 0$? Because computers round. Each value of $f$
# carries a relative error near $10^{-16}$, and dividing by $\varepsilon$ magnifies it to about
# $10^{-16} |f| / \varepsilon$. The total error is smallest in between, as the plot shows for
# $f = \sin$ at $x = 1$. With central differences $\varepsilon = 10^{-6}$ gives around ten
# correct digits, plenty to check a gradient.

# %% tags=["demo"]
eps_values = np.logspace(-13, -1, 49)
x_point = 1.0
exact = np.cos(x_point)
forward_err = np.abs((np.sin(x_point + eps_values) - np.sin(x_point)) / eps_values - exact)
central_err = np.abs((np.sin(x_point + eps_values) - np.sin(x_point - eps_values)) / (2 * eps_values) - exact)

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.loglog(eps_values, forward_err, "o-", ms=3, label="forward difference")
ax.loglog(eps_values, central_err, "s-", ms=3, label="central difference")
ax.loglog(eps_values, 0.5 * np.sin(x_point) * eps_values, "k:", lw=1, label="slope 1: error $\\sim \\varepsilon$")
ax.loglog(eps_values, np.cos(x_point) / 6 * eps_values**2, "k--", lw=1, label="slope 2: error $\\sim \\varepsilon^2$")
ax.axvline(1e-6, color="gray", alpha=0.4)
ax.set_ylim(1e-17, 1)
ax.set_xlabel("step $\\varepsilon$")
ax.set_ylabel("error of the estimate of $\\sin'(1)$")
ax.legend()
plt.show()

# %% [markdown]
# ### Exercise 4: `numerical_gradient` (2 points)
#
# Estimate the gradient of a scalar function `f` at an array `x` of **any shape** (a vector, a
# weight matrix, a 3-D array) with central differences: for every entry $x_i$, nudge that one
# entry by $+\varepsilon$ and by $-\varepsilon$, keep all others fixed, and take
# $\big(f(x^{+}) - f(x^{-})\big) / (2\varepsilon)$. Return an array shaped like `x`.
#
# Rules that the tests check:
# * **Never modify `x`, not even temporarily.** The caller's `f` may itself read `x` (a closure
#   over the same array), so nudging `x` in place and putting it back gives wrong answers. Make
#   a float copy and nudge the copy. (Careful with `x[i] += eps; ...; x[i] -= eps`: it does not
#   even restore `x` exactly, because of rounding.)
# * `x` may hold integers: work in floats, or $1 + 10^{-6}$ is stored as $1$.
# * Use the `eps` you are given.
#
# Hints: `np.array(x, dtype=float)` makes a float copy; `np.ndindex(x.shape)` yields every
# index tuple of an array of any shape, and `a[idx]` with such a tuple reads or writes one entry.

# %% solution="numerical_gradient"
def numerical_gradient(f, x, eps=1e-6):
    """Central-difference estimate of the gradient of a scalar function.

    Input:  f, a function taking an array shaped like x and returning one number;
            x, an ndarray of any shape (ints allowed); eps, the step (float).
    Output: ndarray of floats, the same shape as x: entry i is (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).
    x is left unchanged (we nudge a copy).
    """
    ### BEGIN SOLUTION
    x_work = np.array(x, dtype=float)  # a float copy: we nudge this one, never the caller's x
    grad = np.zeros_like(x_work)
    for idx in np.ndindex(x_work.shape):
        original = x_work[idx]
        x_work[idx] = original + eps
        f_plus = f(x_work)
        x_work[idx] = original - eps
        f_minus = f(x_work)
        x_work[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad
    ### END SOLUTION


# %% test="numerical_gradient" points=2
import warnings

import numpy as np

from course import check


def _not_mutated(func, *args):
    """check_not_mutated, with a hint about the usual way a finite-difference loop changes x."""
    try:
        return check.check_not_mutated(func, *args)
    except AssertionError as err:
        if "in place" not in str(err):
            raise
        raise AssertionError(f"{func.__name__}: x was modified: nudge a float copy of x, never x itself "
                             "(x[i] += eps followed by x[i] -= eps does not even restore x exactly: "
                             "rounding)") from None


def _check_eps_cubic(x, eps):
    """f(x) = sum(x^3): central differences give exactly 3x^2 + eps^2, so eps and the formula show."""
    got = np.asarray(numerical_gradient(lambda v: float(np.sum(v**3)), x, eps=eps), dtype=float)
    where = f"numerical_gradient(sum(x**3), x of shape {x.shape}, eps={eps})"
    assert got.shape == x.shape, f"{where}: expected shape {x.shape}, got {got.shape}"
    central = 3 * x**2 + eps**2
    if np.allclose(got, central, rtol=1e-9, atol=1e-9):
        return
    if np.allclose(got, 3 * x**2 + 3 * x * eps + eps**2, rtol=1e-6, atol=1e-9):
        raise AssertionError(f"{where}: this is the forward difference (f(x + eps) - f(x)) / eps; "
                             "use the central one, (f(x + eps) - f(x - eps)) / (2 eps)")
    if np.allclose(got, 2 * central, rtol=1e-6, atol=1e-9):
        raise AssertionError(f"{where}: twice too big: divide by 2 * eps (the two points are 2 eps apart)")
    if np.allclose(got, 3 * x**2, rtol=1e-6, atol=1e-6):
        raise AssertionError(f"{where}: the step looks much smaller than eps: use the eps argument")
    raise AssertionError(f"{where}: wrong values (central differences of sum(x**3) give 3 x**2 + eps**2)")


def _check_each_nudge_from_x(x, eps=0.1):
    """f(v) = (sum v)^2 couples the entries and central differences of a quadratic are exact, so
    every entry of the gradient is 2 sum(x): an entry nudged and not put back shows in the later ones."""
    got = np.asarray(numerical_gradient(lambda v: float(np.sum(v)) ** 2, x.copy(), eps=eps), dtype=float)
    where = f"numerical_gradient((sum x)**2, x of shape {x.shape}, eps={eps})"
    assert got.shape == x.shape, f"{where}: expected shape {x.shape}, got {got.shape}"
    expected = np.full(x.shape, 2 * np.sum(x))
    off = ~np.isclose(got, expected, rtol=1e-9, atol=1e-9)
    if off.any() and not off.flat[0]:
        raise AssertionError(f"{where}: the first entry is right but {int(off.sum())} later ones are not: every "
                             "nudge must start from x itself; put each entry back to its original value "
                             "before nudging the next")
    check.check_array(got, expected, name=where, rtol=1e-9, atol=1e-9)


def _check_reads_x(x):
    """f closes over the caller's x: an in-place nudge changes what f sees and doubles the answer."""
    x_seen_by_f = x  # the very same array object
    f = lambda v: float(np.sum(v * x_seen_by_f))  # gradient at v = x is x itself
    got = np.asarray(_not_mutated(numerical_gradient, f, x), dtype=float)
    if got.shape == x.shape and np.allclose(got, 2 * x, rtol=1e-4, atol=1e-6):
        raise AssertionError("numerical_gradient: x was changed while f was evaluated (f reads x, so it saw "
                             "your nudges twice): nudge a copy, never x itself")
    check.check_array(got, x, name=f"numerical_gradient of sum(v * x) at v = x, shape {x.shape}",
                      rtol=1e-5, atol=1e-6)


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(4)
    # f(x) = sum(x**3) with eps = 0.1: central differences give exactly 3 x**2 + eps**2.
    _check_eps_cubic(rng.uniform(0.5, 2.0, size=3) * rng.choice([-1, 1], size=3), eps=0.1)
    # A quadratic form on a vector: the gradient is (A + A^T) x / 2 + c.
    A = rng.normal(size=(4, 4))
    c = rng.normal(size=4)
    x = rng.normal(size=4)
    f = lambda v: 0.5 * v @ A @ v + c @ v
    got = _not_mutated(numerical_gradient, f, x)
    check.check_array(got, 0.5 * (A + A.T) @ x + c, name="numerical_gradient (quadratic, x shape (4,))",
                      rtol=1e-5, atol=1e-6)
    # A function of a matrix: the gradient is shaped like the matrix.
    C = rng.normal(size=(3, 5))
    X = rng.normal(size=(3, 5))
    g = lambda V: np.sum(C * V**2) + np.sum(np.sin(V))
    got = _not_mutated(numerical_gradient, g, X)
    expected = 2 * C * X + np.cos(X)
    row_sums = np.broadcast_to(expected.sum(axis=1, keepdims=True), expected.shape)
    if np.shape(got) == X.shape and np.allclose(got, row_sums, rtol=1e-5, atol=1e-6):
        raise AssertionError("numerical_gradient (x shape (3, 5)): each entry holds the sum over its row: x[i] with "
                             "one index is a whole row of a 2-D x, so you nudged 5 entries at once; nudge one "
                             "entry at a time (np.ndindex(x.shape) gives every index)")
    check.check_array(got, expected, name="numerical_gradient (x shape (3, 5))", rtol=1e-5, atol=1e-6)
    # f reads x too: x must not change, not even for a moment.
    _check_reads_x(rng.normal(size=(2, 3)))
    # Entries coupled in f: each nudge must start from x itself.
    _check_each_nudge_from_x(rng.normal(size=(2, 3)))
    # Integer input: work in floats.
    x_int = np.array([1, 2, -3])
    got = np.asarray(_not_mutated(numerical_gradient, lambda v: float(np.sum(v**2)), x_int))
    if got.shape == (3,) and not np.allclose(got, [2.0, 4.0, -6.0], rtol=1e-5, atol=1e-6):
        raise AssertionError("numerical_gradient: wrong for an integer x = [1, 2, -3]: an int array cannot hold "
                             "x + eps (it is truncated); make a float copy first, e.g. np.array(x, dtype=float)")
    check.check_array(got, np.array([2.0, 4.0, -6.0]), name="numerical_gradient (integer x)", rtol=1e-5, atol=1e-6)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(404)
    for shape in [(1,), (7,), (2, 3), (4, 1), (1, 5), (2, 3, 2), (3, 1, 2)]:
        n = int(np.prod(shape))
        A = rng.normal(size=(n, n))
        c = rng.normal(size=n)
        x = rng.normal(size=shape)
        x_before = x.copy()
        f = lambda v: 0.5 * v.ravel() @ A @ v.ravel() + c @ v.ravel()
        got = np.asarray(numerical_gradient(f, x), dtype=float)
        assert np.array_equal(x, x_before), f"numerical_gradient modified x (shape {shape}) in place"
        assert got.shape == shape, f"numerical_gradient: x of shape {shape} gave a result of shape {got.shape}"
        expected = (0.5 * (A + A.T) @ x.ravel() + c).reshape(shape)
        assert np.allclose(got, expected, rtol=1e-5, atol=1e-6), \
            f"numerical_gradient: wrong values for a quadratic form on an x of shape {shape}"
    for eps in (0.05, 0.2, 0.01):
        shape = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 4))))
        _check_eps_cubic(rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape), eps=eps)
    for shape in [(5,), (3, 4), (2, 2, 3)]:
        _check_reads_x(rng.normal(size=shape))
        _check_each_nudge_from_x(rng.normal(size=shape), eps=float(rng.choice([0.05, 0.2])))
    # A transposed (non-contiguous) view, an f returning a 0-d array, and large entries.
    base = rng.normal(size=(3, 4))
    x = base.T
    got = np.asarray(numerical_gradient(lambda v: np.sum(np.exp(v)), x), dtype=float)
    assert got.shape == (4, 3) and np.allclose(got, np.exp(x), rtol=1e-5, atol=1e-6), \
        "numerical_gradient: wrong for a transposed (non-contiguous) x of shape (4, 3)"
    x = rng.integers(-5, 6, size=(2, 3))
    x_before = x.copy()
    got = np.asarray(numerical_gradient(lambda v: np.sum(v**2) / 2, x), dtype=float)
    assert np.array_equal(x, x_before), "numerical_gradient modified an integer x in place"
    assert got.shape == (2, 3) and np.allclose(got, x, rtol=1e-5, atol=1e-5), \
        "numerical_gradient: wrong for an integer x of shape (2, 3): work on a float copy"
    x = np.array([1000.0, -2000.0])
    got = np.asarray(numerical_gradient(lambda v: float(v[0] * v[1]), x, eps=1e-3), dtype=float)
    assert np.allclose(got, [-2000.0, 1000.0], rtol=1e-6), "numerical_gradient: wrong for large entries of x"
    ### END HIDDEN TESTS
check.passed("numerical_gradient: all checks passed.")

# %% [markdown]
# With `numerical_gradient` in hand, check a derivative that backpropagation will need. A
# sigmoid neuron's output $a = \sigma(w \cdot x + b)$, seen as a function of its **weights**,
# has gradient
#
# $$\nabla_w\, a = \sigma'(z)\, x = a (1 - a)\, x,$$
#
# the input scaled by the slope of the sigmoid. (By the chain rule of section 6:
# $\partial a / \partial w_k = \sigma'(z)\, \partial z / \partial w_k$ and
# $\partial z / \partial w_k = x_k$.)

# %%
try:
    w_neuron, b_neuron = np.array([0.5, -1.0, 2.0]), 0.1  # the neuron of section 1
    x_neuron = np.array([1.0, 2.0, 0.5])
    a_of_w = lambda weights: sigmoid(weights @ x_neuron + b_neuron)
    a_here = a_of_w(w_neuron)
    print("numerical  :", numerical_gradient(a_of_w, w_neuron))
    print("a (1 - a) x:", a_here * (1 - a_here) * x_neuron)
except NotImplementedError:
    print("Write numerical_gradient above to see this comparison.")

# %% [markdown]
# ### Exercise 5: `numerical_jacobian` (2 points)
#
# Now a vector function $F : \mathbb{R}^{n} \to \mathbb{R}^{k}$: `x` is 1-D with $n$ entries and
# `F(x)` is 1-D with $k$ entries. Column $j$ of the Jacobian is how all outputs move when
# input $j$ moves:
#
# $$J_{:, j} \approx \frac{F(x + \varepsilon e_j) - F(x - \varepsilon e_j)}{2 \varepsilon},$$
#
# where $e_j$ is the $j$-th unit vector. Return the $(k, n)$ matrix: one **row per output**,
# one **column per input**. The same rules as before: leave `x` untouched, work in floats, use
# `eps`.

# %% solution="numerical_jacobian"
def numerical_jacobian(F, x, eps=1e-6):
    """Central-difference estimate of the Jacobian of a vector function.

    Input:  F, a function taking a 1-D array of length n and returning a 1-D array of length k;
            x, a 1-D ndarray of length n (ints allowed); eps, the step (float).
    Output: ndarray of shape (k, n) with entry (i, j) approximately dF_i/dx_j at x.
    x is left unchanged.
    """
    ### BEGIN SOLUTION
    x_work = np.array(x, dtype=float)  # a float copy
    n = x_work.shape[0]
    columns = []
    for j in range(n):
        step = np.zeros(n)
        step[j] = eps
        F_plus = np.asarray(F(x_work + step), dtype=float)
        F_minus = np.asarray(F(x_work - step), dtype=float)
        columns.append((F_plus - F_minus) / (2 * eps))
    return np.stack(columns, axis=1)  # column j = d F / d x_j
    ### END SOLUTION


# %% test="numerical_jacobian" points=2
import warnings

import numpy as np

from course import check


def _not_mutated(func, *args):
    """check_not_mutated, with a hint about the usual way a finite-difference loop changes x."""
    try:
        return check.check_not_mutated(func, *args)
    except AssertionError as err:
        if "in place" not in str(err):
            raise
        raise AssertionError(f"{func.__name__}: x was modified: nudge a float copy of x, never x itself "
                             "(x[j] += eps followed by x[j] -= eps does not even restore x exactly: "
                             "rounding)") from None


def _check_jacobian_eps_cubic(x, eps):
    """F(x) = x^3 element-wise: central differences give exactly diag(3x^2 + eps^2)."""
    got = np.asarray(numerical_jacobian(lambda v: v**3, x, eps=eps), dtype=float)
    where = f"numerical_jacobian(x**3, x of length {x.size}, eps={eps})"
    n = x.size
    assert got.shape == (n, n), f"{where}: expected shape ({n}, {n}), got {got.shape}"
    central = np.diag(3 * x**2 + eps**2)
    if np.allclose(got, central, rtol=1e-9, atol=1e-9):
        return
    if np.allclose(got, np.diag(3 * x**2 + 3 * x * eps + eps**2), rtol=1e-6, atol=1e-9):
        raise AssertionError(f"{where}: this is the forward difference (F(x + eps e_j) - F(x)) / eps; "
                             "use the central one, (F(x + eps e_j) - F(x - eps e_j)) / (2 eps)")
    if np.allclose(got, 2 * central, rtol=1e-6, atol=1e-9):
        raise AssertionError(f"{where}: twice too big: divide by 2 * eps (the two points are 2 eps apart)")
    if np.allclose(got, np.diag(3 * x**2), rtol=1e-6, atol=1e-6):
        raise AssertionError(f"{where}: the step looks much smaller than eps: use the eps argument")
    raise AssertionError(f"{where}: wrong values (central differences of x**3 give diag(3 x**2 + eps**2))")


def _check_layout(got, k, n, where):
    """A (k, n) Jacobian: one row per output, one column per input; name the swap if it is (n, k)."""
    shape = np.shape(got)
    if k != n and shape == (n, k):
        raise AssertionError(f"{where}: shape {shape} has one row per input; the Jacobian of F: R^{n} -> R^{k} "
                             f"has one row per output F_i and one column per input x_j, shape (k, n) = ({k}, {n})")
    return got


def _check_each_nudge_from_x(x, eps=0.1):
    """F(v) = [v0 v_last, (sum v)^2] couples the entries and is quadratic, so central differences are
    exact at any eps: an entry nudged and not put back shows in the later columns."""
    got = np.asarray(numerical_jacobian(lambda v: np.array([v[0] * v[-1], np.sum(v) ** 2]), x.copy(), eps=eps),
                     dtype=float)
    n = x.size
    where = f"numerical_jacobian([x0 * x_last, (sum x)**2], x of length {n}, eps={eps})"
    expected = np.zeros((2, n))
    expected[0, 0] += x[-1]
    expected[0, -1] += x[0]
    expected[1] = 2 * np.sum(x)
    _check_layout(got, 2, n, where)
    assert got.shape == (2, n), f"{where}: expected shape (2, {n}), got {got.shape}"
    off = ~np.isclose(got, expected, rtol=1e-9, atol=1e-9)
    if off.any() and not off[:, 0].any():
        raise AssertionError(f"{where}: the first column is right but later ones are not: every nudge must "
                             "start from x itself; put each entry back to its original value before "
                             "nudging the next")
    check.check_array(got, expected, name=where, rtol=1e-9, atol=1e-9)


def _check_jacobian_reads_x(x):
    """F closes over the caller's x: an in-place nudge changes what F sees."""
    x_seen_by_F = x
    got = np.asarray(_not_mutated(numerical_jacobian, lambda v: v * x_seen_by_F, x), dtype=float)
    if got.shape == (x.size, x.size) and np.allclose(got, np.diag(2 * x), rtol=1e-4, atol=1e-6):
        raise AssertionError("numerical_jacobian: x was changed while F was evaluated (F reads x, so it saw "
                             "your nudges twice): nudge a copy, never x itself")
    check.check_array(got, np.diag(x), name=f"numerical_jacobian of v * x at v = x, length {x.size}",
                      rtol=1e-5, atol=1e-6)


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(5)
    # F(x) = x**3 element-wise with eps = 0.1: central differences give exactly diag(3 x**2 + eps**2).
    _check_jacobian_eps_cubic(rng.uniform(0.5, 2.0, size=4) * rng.choice([-1, 1], size=4), eps=0.1)
    # A linear map R^4 -> R^3: its Jacobian is the matrix itself, shape (k, n) = (3, 4).
    M = rng.normal(size=(3, 4))
    d = rng.normal(size=3)
    x = rng.normal(size=4)
    got = _check_layout(_not_mutated(numerical_jacobian, lambda v: M @ v + d, x), 3, 4,
                        "numerical_jacobian of M x + d (M is (3, 4))")
    check.check_array(got, M, name="numerical_jacobian of M x + d (M is (3, 4))", rtol=1e-5, atol=1e-6)
    # A nonlinear map R^3 -> R^2.
    F = lambda v: np.array([v[0] * v[1] + np.sin(v[2]), np.exp(v[0]) - v[2] ** 2])
    x = np.array([0.3, -1.2, 0.8])
    expected = np.array([[x[1], x[0], np.cos(x[2])], [np.exp(x[0]), 0.0, -2 * x[2]]])
    got = _check_layout(_not_mutated(numerical_jacobian, F, x), 2, 3, "numerical_jacobian (R^3 -> R^2)")
    check.check_array(got, expected, name="numerical_jacobian (R^3 -> R^2)", rtol=1e-5, atol=1e-6)
    # One output (a single row) and one input (a single column).
    x = rng.normal(size=5)
    got = _check_layout(numerical_jacobian(lambda v: np.array([np.sum(v**2)]), x), 1, 5,
                        "numerical_jacobian with k = 1 output")
    check.check_array(got, 2 * x[None, :], name="numerical_jacobian with k = 1 output", rtol=1e-5, atol=1e-6)
    got = _check_layout(numerical_jacobian(lambda v: np.array([v[0], 3 * v[0], v[0] ** 2]), np.array([2.0])), 3, 1,
                        "numerical_jacobian with n = 1 input")
    check.check_array(got, np.array([[1.0], [3.0], [4.0]]), name="numerical_jacobian with n = 1 input",
                      rtol=1e-5, atol=1e-6)
    # x untouched, even for a moment, when F reads it too.
    _check_jacobian_reads_x(rng.normal(size=4))
    # Entries coupled in F: each nudge must start from x itself.
    _check_each_nudge_from_x(rng.normal(size=4))
    # Integer input: work in floats.
    x_int = np.array([1, -2, 3])
    got = np.asarray(_not_mutated(numerical_jacobian, lambda v: np.array([v[0] * v[1], v[2] ** 2]), x_int))
    expected = np.array([[-2.0, 1.0, 0.0], [0.0, 0.0, 6.0]])
    if got.shape == (2, 3) and not np.allclose(got, expected, rtol=1e-5, atol=1e-6):
        raise AssertionError("numerical_jacobian: wrong for an integer x = [1, -2, 3]: an int array cannot hold "
                             "x + eps (it is truncated); make a float copy first, e.g. np.array(x, dtype=float)")
    check.check_array(got, expected, name="numerical_jacobian (integer x)", rtol=1e-5, atol=1e-6)
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(505)
    for k, n in [(1, 1), (2, 7), (6, 3), (5, 5), (1, 9), (8, 1)]:
        M = rng.normal(size=(k, n))
        d = rng.normal(size=k)
        x = rng.normal(size=n)
        x_before = x.copy()
        got = np.asarray(numerical_jacobian(lambda v: np.tanh(M @ v + d), x), dtype=float)
        assert np.array_equal(x, x_before), f"numerical_jacobian modified x (length {n}) in place"
        assert got.shape == (k, n), f"numerical_jacobian: F from R^{n} to R^{k} needs shape ({k}, {n}), got {got.shape}"
        expected = (1 - np.tanh(M @ x + d) ** 2)[:, None] * M
        assert np.allclose(got, expected, rtol=1e-5, atol=1e-6), \
            f"numerical_jacobian: wrong values for tanh(M x + d) with M of shape ({k}, {n})"
    for eps in (0.05, 0.2, 0.01):
        n = int(rng.integers(1, 6))
        _check_jacobian_eps_cubic(rng.uniform(0.5, 2.0, size=n) * rng.choice([-1, 1], size=n), eps=eps)
    for n in (1, 3, 6):
        _check_jacobian_reads_x(rng.normal(size=n))
        _check_each_nudge_from_x(rng.normal(size=n), eps=float(rng.choice([0.05, 0.2])))
    x = rng.integers(-4, 5, size=4)
    x_before = x.copy()
    got = np.asarray(numerical_jacobian(lambda v: np.array([v[0] * v[3], v[1] ** 3, np.sum(v)]), x), dtype=float)
    xf = x.astype(float)
    expected = np.array([[xf[3], 0.0, 0.0, xf[0]], [0.0, 3 * xf[1] ** 2, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    assert np.array_equal(x, x_before), "numerical_jacobian modified an integer x in place"
    assert got.shape == (3, 4) and np.allclose(got, expected, rtol=1e-5, atol=1e-5), \
        "numerical_jacobian: wrong for an integer x of length 4: work on a float copy"
    ### END HIDDEN TESTS
check.passed("numerical_jacobian: all checks passed.")

# %% [markdown]
# ### Written question 2: predict the error, then measure it [2 points, graded by hand]
#
# Take $f(x) = e^{x}$ at $x = 2$, where $f'(2) = f''(2) = f^{\prime\prime\prime}(2) = e^{2} \approx 7.39$.
#
# 1. With section 5's two error estimates (a calculator is enough), predict the error of the
#    **central** difference quotient at $\varepsilon = 10^{-3}$ and at $\varepsilon = 10^{-10}$.
#    Which of the two steps gives the better estimate of $f'(2)$?
# 2. Add the two estimates into one total error and find the $\varepsilon$ that minimises it. About
#    how large is the error there?
# 3. Measure the three errors (at $10^{-3}$, at $10^{-10}$ and at your best $\varepsilon$) with a few
#    lines of NumPy in a cell you add below this one, and say how close your predictions came.

# %% [markdown] answer="finite_difference_step" points=2
# ### BEGIN SOLUTION
# **Model answer.** (1) At $\varepsilon = 10^{-3}$ the truncation error dominates:
# $\tfrac16 f^{\prime\prime\prime}(2)\,\varepsilon^2 = 7.39 \cdot 10^{-6} / 6 \approx 1.2 \times 10^{-6}$;
# rounding adds only about $10^{-16} \cdot 7.39 / 10^{-3} \approx 7 \times 10^{-13}$. At
# $\varepsilon = 10^{-10}$ truncation is negligible (about $10^{-20}$) but rounding is about
# $10^{-16} \cdot 7.39 / 10^{-10} \approx 7 \times 10^{-6}$. So the larger step, $10^{-3}$, gives the
# better estimate, about six times more accurate.
# (2) The total $E(\varepsilon) = \tfrac{e^2}{6} \varepsilon^2 + 10^{-16} e^2 / \varepsilon$ is smallest
# where $E'(\varepsilon) = 0$: $\tfrac{e^2}{3} \varepsilon = 10^{-16} e^2 / \varepsilon^2$, so
# $\varepsilon^3 = 3 \times 10^{-16}$ and $\varepsilon \approx 7 \times 10^{-6}$, where
# $E \approx 5 \times 10^{-11} + 1.1 \times 10^{-10} \approx 1.7 \times 10^{-10}$.
# (3) Measured: $1.23 \times 10^{-6}$ at $10^{-3}$ (the prediction to three digits);
# $2.2 \times 10^{-6}$ at $10^{-10}$ (the right size: rounding errors are partly luck, so only their
# order of magnitude can be predicted); about $6 \times 10^{-11}$ at $\varepsilon = 6.7 \times 10^{-6}$,
# below the estimate, which adds up worst cases.
#
# **Rubric.**
# - [1 point] part 1: about $1.2 \times 10^{-6}$ (truncation) at $10^{-3}$ and $10^{-6}$ to $10^{-5}$ (rounding) at $10^{-10}$, each from its estimate, and $10^{-3}$ judged the better step
# - [1 point] parts 2 and 3: a best step of order $10^{-5}$ (anything from $3 \times 10^{-6}$ to $2 \times 10^{-5}$, found by balancing the two terms) with an error of order $10^{-10}$ there; measured values reported and compared with the predictions
# ### END SOLUTION

# %% [markdown]
# ## 6. The chain rule
#
# **Scalar chain rule.** If $h(x) = f(g(x))$ for functions of one variable, then
#
# $$h'(x) = f'\big(g(x)\big)\, g'(x).$$
#
# For instance $\frac{d}{dx} \sin(x^2) = \cos(x^2) \cdot 2x$: the outer derivative, evaluated
# at the inner value, times the inner derivative.
#
# **Jacobian chain rule.** If $G : \mathbb{R}^{n} \to \mathbb{R}^{p}$ and
# $F : \mathbb{R}^{p} \to \mathbb{R}^{k}$, the composition $H = F \circ G$ has Jacobian
#
# $$J_H(x) = J_F\big(G(x)\big)\, J_G(x), \qquad (k \times n) = (k \times p)(p \times n).$$
#
# It is the scalar rule with numbers replaced by matrices, and the shapes show the order: the
# inner sizes $p$ must meet. Written out entry by entry, it sums over every path from input
# $x_j$ through the intermediate $u_q = G_q(x)$ to output $H_i$:
# $\partial H_i / \partial x_j = \sum_{q} (\partial F_i / \partial u_q)(\partial u_q / \partial x_j)$.
#
# **When the last function is a scalar** (a cost $C$), the Jacobian of $C \circ G$ is a single
# row; turning it back into a gradient shaped like $x$ transposes the product:
#
# $$\nabla_x (C \circ G) = J_G(x)^\top\, \nabla C\big(G(x)\big).$$
#
# For a linear layer $z = W a + b$ this reads $\nabla_a C = W^\top \nabla_z C$: the transposed
# weight matrix carries derivatives backwards. That is the seed of backpropagation.

# %% [markdown]
# ### Worked check
#
# Take $H(x, y) = \begin{pmatrix} \sin(x^2 + y) \\ \ln(y^3) \end{pmatrix}$ for $y > 0$. It is
# $F \circ G$ with an inner map and an outer, element-wise map:
#
# $$G(x, y) = \begin{pmatrix} x^2 + y \\ y^3 \end{pmatrix},\quad
#   J_G = \begin{pmatrix} 2x & 1 \\ 0 & 3y^2 \end{pmatrix}; \qquad
#   F(u, v) = \begin{pmatrix} \sin u \\ \ln v \end{pmatrix},\quad
#   J_F = \begin{pmatrix} \cos u & 0 \\ 0 & 1/v \end{pmatrix}.$$
#
# Multiplying, with $u = x^2 + y$ and $v = y^3$:
#
# $$J_H = J_F\, J_G = \begin{pmatrix} 2x \cos(x^2 + y) & \cos(x^2 + y) \\ 0 & 3y^2 / y^3 \end{pmatrix}
#       = \begin{pmatrix} 2x \cos(x^2 + y) & \cos(x^2 + y) \\ 0 & 3 / y \end{pmatrix}.$$
#
# The cell evaluates all three routes at $(x, y) = (0.7, 1.3)$: the matrix product of the two
# Jacobians, the closed form, and your `numerical_jacobian` of $H$ directly.

# %%
px, py = 0.7, 1.3
u, v = px**2 + py, py**3
J_G = np.array([[2 * px, 1.0], [0.0, 3 * py**2]])
J_F = np.array([[np.cos(u), 0.0], [0.0, 1 / v]])
J_closed = np.array([[2 * px * np.cos(px**2 + py), np.cos(px**2 + py)], [0.0, 3 / py]])

print("J_F(G(x)) @ J_G(x) =\n", J_F @ J_G)
print("closed form        =\n", J_closed)
try:
    H = lambda p: np.array([np.sin(p[0] ** 2 + p[1]), np.log(p[1] ** 3)])
    J_numeric = numerical_jacobian(H, np.array([px, py]))
    print("numerical_jacobian =\n", J_numeric)
    print("all three agree:", np.allclose(J_F @ J_G, J_closed) and np.allclose(J_numeric, J_closed, atol=1e-8))
except NotImplementedError:
    print("Write numerical_jacobian above to compare with a numerical Jacobian.")

# %% [markdown]
# ## 7. Element-wise maps have diagonal Jacobians
#
# An activation function acts on each entry separately: $a = g(z)$ means $a_i = g(z_i)$. Output
# $i$ depends on input $i$ only, so $\partial a_i / \partial z_j = 0$ whenever $i \neq j$, and
#
# $$J_g(z) = \operatorname{diag}\big(g'(z_1), \dots, g'(z_n)\big).$$
#
# (The outer map $F$ of the worked check is one of these; its Jacobian was diagonal.) The left
# picture is your `numerical_jacobian` of the element-wise sigmoid at eight random points:
# only the diagonal is nonzero. The right one is the Jacobian of a linear layer $z = W a + b$,
# which is the full matrix $W$, as promised in section 4.

# %% tags=["demo"]
rng = np.random.default_rng(7)
z_demo = rng.normal(size=8)
W_demo = rng.normal(size=(6, 8))
try:
    J_sigmoid = numerical_jacobian(sigmoid, z_demo)
    J_linear = numerical_jacobian(lambda a_prev: W_demo @ a_prev + 1.0, z_demo)
    print("sigmoid Jacobian equals diag(sigmoid'(z)):",
          np.allclose(J_sigmoid, np.diag(sigmoid(z_demo) * (1 - sigmoid(z_demo))), atol=1e-8))
    print("linear layer Jacobian equals W:", np.allclose(J_linear, W_demo, atol=1e-6))

    fig, (ax_l, ax_r) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    ax_l.imshow(J_sigmoid, cmap="RdBu_r", vmin=-0.3, vmax=0.3)
    ax_l.set_title("element-wise sigmoid: $J$ is diagonal (8, 8)")
    limit = np.abs(J_linear).max()
    shown = ax_r.imshow(J_linear, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax_r.set_title("linear layer $W a + b$: $J = W$, dense (6, 8)")
    for ax in (ax_l, ax_r):
        ax.set_xlabel("input index $j$")
        ax.set_ylabel("output index $i$")
    fig.colorbar(shown, ax=ax_r)
    plt.show()
except NotImplementedError:
    print("Write numerical_jacobian above to see this plot.")

# %% [markdown]
# Multiplying a vector by a diagonal matrix just scales each entry, so the big matrix never has
# to be built:
#
# $$\operatorname{diag}\big(g'(z)\big)\, v = g'(z) \odot v,$$
#
# where $\odot$ is the element-wise product (`*` in NumPy). That costs $n$ multiplications
# instead of $n^2$. Combine it with the linear layer and the chain rule of section 6: for one
# layer $a = g(W x + b)$ followed by a scalar cost $C(a)$,
#
# $$\nabla_x C = W^\top \big( g'(z) \odot \nabla_a C \big), \qquad z = W x + b.$$
#
# Notebook 03 applies exactly this line layer after layer; that is backpropagation. The cell
# checks it on a small example with $C(a) = \tfrac12 \lVert a - y \rVert^2$, so $\nabla_a C = a - y$.

# %%
rng = np.random.default_rng(8)
W_layer = rng.normal(size=(3, 5))
b_layer = rng.normal(size=3)
x_in = rng.normal(size=5)
y_target = rng.uniform(size=3)

z_layer = W_layer @ x_in + b_layer
a_layer = sigmoid(z_layer)
v = a_layer - y_target  # gradient of the cost with respect to a
print("diag(g'(z)) @ v equals g'(z) * v:",
      np.allclose(np.diag(a_layer * (1 - a_layer)) @ v, a_layer * (1 - a_layer) * v))
grad_chain = W_layer.T @ (a_layer * (1 - a_layer) * v)
print("chain rule   :", grad_chain)
try:
    cost = lambda x_vec: 0.5 * np.sum((sigmoid(W_layer @ x_vec + b_layer) - y_target) ** 2)
    print("numerical    :", numerical_gradient(cost, x_in))
except NotImplementedError:
    print("Write numerical_gradient above to compare with a numerical gradient.")

# %% [markdown]
# ## 8. A Rosetta stone for notation
#
# Books, courses and libraries write the same network in different notations, and the
# differences are exactly the things this notebook pinned down: where layer counting starts,
# which layer a weight matrix is named after, and whether examples are columns or rows. The
# table translates ours into the three you are most likely to meet.
#
# * **Ours** (bracket superscripts): the input is layer 0, $a^{[0]} = x$, and $W^{[l]}$ leads
#   *into* layer $l$. Examples are columns.
# * **Parenthesised superscripts**, as in Stanford's UFLDL tutorial: the input is layer 1,
#   $a^{(1)} = x$, and $W^{(l)}$ leads *out of* layer $l$, mapping layer $l$ to layer $l+1$.
# * **Nielsen's book** (*Neural Networks and Deep Learning*): the input is layer 1, $a^1 = x$,
#   and $w^l$ leads *into* layer $l$; $w^l_{jk}$ connects unit $k$ of layer $l-1$ to unit $j$
#   of layer $l$ (row $j$, column $k$, like ours).
# * **Deep-learning frameworks** (PyTorch, Keras, JAX): batch first, one example per **row**,
#   $X$ of shape $(m, n)$. PyTorch's `nn.Linear` stores its weight as (out, in), like our $W$,
#   and computes $Z = X W^\top + b$; Keras's `Dense` stores the transpose, its kernel is
#   (in, out), and computes $Z = X K + b$.
#
# | | ours | UFLDL-style $(l)$ | Nielsen | frameworks (batch first) |
# |---|---|---|---|---|
# | input | $a^{[0]} = x$, $X$ is $(n^{[0]}, m)$ | $a^{(1)} = x$ | $a^1 = x$ | $X$ is $(m, n_0)$ |
# | first hidden activation | $a^{[1]}$ | $a^{(2)}$ | $a^2$ | output of the first layer, $(m, n_1)$ |
# | weights from input to first hidden layer | $W^{[1]}$, $(n^{[1]}, n^{[0]})$ | $W^{(1)}$, $(s_2, s_1)$ | $w^2$ | `weight` $(n_1, n_0)$ (PyTorch); kernel $(n_0, n_1)$ (Keras) |
# | weight from unit $k$ to unit $j$ of the next layer | $W^{[l]}_{jk}$ | $W^{(l)}_{jk}$ (same $l$) | $w^{l+1}_{jk}$ (our $l$, plus one) | `weight[j, k]`; `kernel[k, j]` |
# | pre-activation | $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$ | $z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}$ | $z^l = w^l a^{l-1} + b^l$ | $Z = A_{\text{prev}} W^\top + b$, $(m, n_l)$ |
# | error | $\delta^{[l]} = \partial C / \partial Z^{[l]}$ | $\delta^{(l+1)}$ | $\delta^{l+1}$ | `dZ`, $(m, n_l) = (\delta^{[l]})^\top$ |
# | weight gradient (batch mean) | $\frac1m \delta^{[l]} A^{[l-1]\top}$ | $\delta^{(l+1)} (a^{(l)})^\top$ per example | $\partial C / \partial w^l_{jk} = a^{l-1}_k \delta^l_j$ | $\frac1m$ `dZ.T @ A_prev` |
# | L2 penalty added to the mean cost (notebook 06) | $\frac{\lambda}{2}\sum_l \lVert W^{[l]}\rVert_F^2$ | $\frac{\lambda}{2}\sum W^2$ | $\frac{\lambda}{2n}\sum w^2$, $n$ training examples (Ng's deep learning course: $\frac{\lambda}{2m}$) | `weight_decay` $= \lambda$ (PyTorch's SGD) |
#
# Two rules of thumb: in UFLDL and Nielsen every *activation* index is ours plus one; UFLDL's
# *weight* index equals ours, Nielsen's is ours plus one. In a batch-first library every
# activation-like array ($X$, $Z$, $A$, $\delta$) is ours transposed, while PyTorch's weights
# are not.
#
# The L2 row matters when you compare values of $\lambda$: with the penalty divided by the number of
# examples, the same $\lambda$ penalises $m$ times less, so $\lambda = 0.7$ there is about $0.7/m$ here.
#
# A last difference to watch for is the layout of a Jacobian. We use the "numerator layout",
# $(k, n)$ for $F : \mathbb{R}^n \to \mathbb{R}^k$, one row per output. Some texts use the
# transpose, $(n, k)$; their chain rule then multiplies in the opposite order.

# %% [markdown]
# ### One formula in four notations
#
# The pre-activation of the **first hidden layer**:
#
# * ours: $z^{[1]} = W^{[1]} a^{[0]} + b^{[1]}$, and for a batch $Z^{[1]} = W^{[1]} X + b^{[1]}$, shape $(n^{[1]}, m)$;
# * UFLDL: $z^{(2)} = W^{(1)} a^{(1)} + b^{(1)}$, with $a^{(1)} = x$;
# * Nielsen: $z^2 = w^2 a^1 + b^2$, entry by entry $z^2_j = \sum_k w^2_{jk} a^1_k + b^2_j$;
# * PyTorch-style rows: $Z = X W^\top + b$ with $X$ of shape $(m, n^{[0]})$ and $Z$ of shape
#   $(m, n^{[1]})$.
#
# The code runs ours and the row layout on the same numbers. The row layout's $Z$ is our $Z$
# transposed, and the weight gradient, $\frac1m \delta^{[1]} X^\top$ in ours and
# $\frac1m\, dZ^\top X_{\text{rows}}$ in theirs, is the same matrix, shaped like $W^{[1]}$.

# %%
rng = np.random.default_rng(9)
n0_demo, n1_demo, m_demo = 3, 4, 6
W = rng.normal(size=(n1_demo, n0_demo))  # (n[1], n[0]) in both conventions (PyTorch stores (out, in))
b_col = rng.normal(size=(n1_demo, 1))  # ours: a column
X_cols = rng.normal(size=(n0_demo, m_demo))  # ours: one example per column
delta = rng.normal(size=(n1_demo, m_demo))  # some dC/dZ[1], one column per example

X_rows = X_cols.T  # theirs: one example per row, (m, n[0])
b_row = b_col.T  # theirs: a row, (1, n[1])
dZ_rows = delta.T  # theirs: (m, n[1])

Z_ours = W @ X_cols + b_col  # (n[1], m)
Z_theirs = X_rows @ W.T + b_row  # (m, n[1])
dW_ours = delta @ X_cols.T / m_demo
dW_theirs = dZ_rows.T @ X_rows / m_demo
print("Z ours", Z_ours.shape, " Z rows", Z_theirs.shape, " transposes of each other:", np.allclose(Z_theirs, Z_ours.T))
print("dW ours", dW_ours.shape, " dW rows", dW_theirs.shape, " identical:", np.allclose(dW_ours, dW_theirs))

# %% [markdown]
# ## Summary
#
# * A neuron is $a = g(w \cdot x + b)$; a layer stacks the weight vectors as rows of $W^{[l]}$,
#   shape $(n^{[l]}, n^{[l-1]})$: one row per unit of layer $l$, one column per unit of layer $l-1$.
# * With examples as columns, $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$ has shape $(n^{[l]}, m)$
#   and the bias broadcasts across the batch.
# * A network has $\sum_l n^{[l]}(n^{[l-1]} + 1)$ parameters.
# * A gradient is shaped like its variable; a Jacobian of $\mathbb{R}^n \to \mathbb{R}^k$ is
#   $(k, n)$. Jacobians compose by matrix products, $J_{F \circ G} = J_F J_G$, and gradients of a
#   scalar flow back through transposes, $\nabla_x = J^\top \nabla$.
# * Element-wise maps have diagonal Jacobians, so applying one is an element-wise product.
# * Central differences check any derivative to about ten digits; notebook 03 uses them to
#   check backpropagation.
