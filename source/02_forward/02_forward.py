# %% [markdown]
# # 02 · Forward propagation
#
# A network turns an input column $x$ into a prediction by repeating one step: multiply by a
# weight matrix, add a bias, apply a non-linear function. This notebook writes that step, then
# the whole pass through $L$ layers, keeping on the way every intermediate value that
# backpropagation (notebook 03) will need.
#
# **What you will learn**
# - the layer equations $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$, $A^{[l]} = g^{[l]}(Z^{[l]})$ and every shape in them;
# - why a network needs a non-linearity at all (stacked linear layers collapse into one);
# - the common activations, and why `sigmoid`, `softplus` and `softmax` need a numerically stable form;
# - how the task picks the output activation (identity, sigmoid, softmax);
# - what the forward pass must store (`cache`) for the backward pass;
# - how a non-linear classifier (XOR) is put together from linear pieces.
#
# **What you will write** (10 points), and two written questions graded by hand (4 points)
#
# | exercise | points |
# |---|---|
# | `sigmoid(z)`, stable | 1 |
# | `relu(z)`, `leaky_relu(z, alpha)`, `softplus(z)`, `swish(z)` | 0.5 each |
# | `softmax(Z)`, column-wise and stable | 1 |
# | `linear_forward(A_prev, W, b)` | 1 |
# | `layer_forward(A_prev, W, b, activation)` | 1 |
# | `forward(X, params, hidden_activation, output_activation)` | 3 |
# | `xor_params()` | 1 |
#
# Each answer cell is followed by a test cell. Run it: if something is off, its message says
# what is most likely wrong. More tests run when your notebook is graded.

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

from course import check, data

np.set_printoptions(precision=6, suppress=True)

# %% [markdown]
# ## 1. The layer equations
#
# Layer $l$ has $n^{[l]}$ units and receives the $n^{[l-1]}$ activations of the layer before it.
# For a batch of $m$ examples, stored **one example per column**, it computes
#
# $$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}\big(Z^{[l]}\big),$$
#
# with $A^{[0]} = X$. The shapes:
#
# | array | shape | what it holds |
# |---|---|---|
# | $A^{[l-1]}$ | $(n^{[l-1]}, m)$ | column $i$: the inputs of layer $l$ for example $i$ |
# | $W^{[l]}$ | $(n^{[l]}, n^{[l-1]})$ | row $j$: the weights into unit $j$ |
# | $b^{[l]}$ | $(n^{[l]}, 1)$ | one bias per unit, added to every column (broadcasting) |
# | $Z^{[l]}$, $A^{[l]}$ | $(n^{[l]}, m)$ | pre-activation and activation, one column per example |
#
# The product $W^{[l]} A^{[l-1]}$ is $(n^{[l]}, n^{[l-1]}) \times (n^{[l-1]}, m) = (n^{[l]}, m)$:
# the inner sizes agree, the outer ones survive. The activation $g^{[l]}$ acts on each entry
# separately (softmax, below, is the one exception: it acts on each column).

# %% [markdown]
# ### A worked example: the 1-2-1 network
#
# One input, two sigmoid hidden units, one sigmoid output, $\sigma(z) = 1/(1+e^{-z})$:
#
# $$W^{[1]} = \begin{bmatrix}0.3\\0.4\end{bmatrix},\; b^{[1]} = \begin{bmatrix}0.1\\0.2\end{bmatrix},\;
# W^{[2]} = \begin{bmatrix}1 & -3\end{bmatrix},\; b^{[2]} = \begin{bmatrix}0.2\end{bmatrix},\; x = 1.$$
#
# By hand:
# - $Z^{[1]} = W^{[1]} x + b^{[1]} = [0.3 + 0.1,\; 0.4 + 0.2]^T = [0.4,\; 0.6]^T$
# - $A^{[1]} = \sigma(Z^{[1]}) = [0.598688,\; 0.645656]^T$
# - $Z^{[2]} = 1 \cdot 0.598688 - 3 \cdot 0.645656 + 0.2 = -1.138281$
# - $A^{[2]} = \sigma(-1.138281) = 0.242636$
#
# Your `forward` will reproduce these numbers in section 6. The picture below shows where each
# one lives.

# %%
W1_121 = np.array([[0.3], [0.4]])
b1_121 = np.array([[0.1], [0.2]])
W2_121 = np.array([[1.0], [-3.0]]).T
b2_121 = np.array([[0.2]])
x_121 = np.array([[1.0]])

Z1_121 = W1_121 @ x_121 + b1_121
A1_121 = 1 / (1 + np.exp(-Z1_121))
Z2_121 = W2_121 @ A1_121 + b2_121
A2_121 = 1 / (1 + np.exp(-Z2_121))


def draw_121():
    """Diagram of the 1-2-1 network with its weights, biases and forward values."""
    fig, ax = plt.subplots(figsize=(9, 3.4))
    nodes = {"x": (0.0, 0.5), "h1": (1.4, 0.95), "h2": (1.4, 0.05), "out": (2.8, 0.5)}
    radius = 0.11
    edges = [("x", "h1", W1_121[0, 0]), ("x", "h2", W1_121[1, 0]),
             ("h1", "out", W2_121[0, 0]), ("h2", "out", W2_121[0, 1])]
    for start, end, weight in edges:
        (x0, y0), (x1, y1) = nodes[start], nodes[end]
        ax.annotate("", xy=(x1 - radius, y1), xytext=(x0 + radius, y0),
                    arrowprops=dict(arrowstyle="->", color="gray", lw=1.5))
        t = 0.5 if start == "x" else 0.72                 # keep clear of the value boxes
        ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0) + 0.06, f"w = {weight:g}", ha="center",
                color="tab:blue", fontsize=10)
    for name, (x, y) in nodes.items():
        ax.add_patch(plt.Circle((x, y), radius, fill=True, color="lightyellow", ec="black"))
        ax.text(x, y, {"x": "x", "h1": "1", "h2": "2", "out": "out"}[name], ha="center",
                va="center", fontsize=11)
    box = dict(boxstyle="round", fc="white", ec="lightgray")
    ax.text(0.0, 0.25, "x = 1", ha="center", va="top", bbox=box)
    for j, name in enumerate(["h1", "h2"]):
        x, y = nodes[name]
        ax.text(x + 0.16, y, f"b = {b1_121[j, 0]:g}\nz = {Z1_121[j, 0]:.6f}\na = {A1_121[j, 0]:.6f}",
                ha="left", va="center", fontsize=9, bbox=box)
    ax.text(2.8 + 0.16, 0.5, f"b = {b2_121[0, 0]:g}\nz = {Z2_121[0, 0]:.6f}\na = {A2_121[0, 0]:.6f}",
            ha="left", va="center", fontsize=9, bbox=box)
    ax.text(0.0, 1.2, "layer 0 (input)", ha="center")
    ax.text(1.4, 1.2, "layer 1 (sigmoid)", ha="center")
    ax.text(2.8, 1.2, "layer 2 (sigmoid)", ha="center")
    ax.set_xlim(-0.3, 3.5)
    ax.set_ylim(-0.2, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("The 1-2-1 network: forward values for x = 1")
    plt.show()


draw_121()

# %% [markdown]
# ## 2. Why a non-linearity?
#
# Suppose every $g$ were the identity. Two layers give
#
# $$W^{[2]}\big(W^{[1]} X + b^{[1]}\big) + b^{[2]} = \underbrace{\big(W^{[2]} W^{[1]}\big)}_{W} X + \underbrace{\big(W^{[2]} b^{[1]} + b^{[2]}\big)}_{b},$$
#
# a single linear layer with $W = W^{[2]} W^{[1]}$ of shape $(n^{[2]}, n^{[0]})$. By induction,
# any stack of linear layers is one linear layer: depth adds parameters but no expressive power.
# The cell below checks this with random numbers.

# %%
rng = np.random.default_rng(0)
X_demo = rng.normal(size=(3, 5))                        # n[0] = 3 inputs, m = 5 examples
W1_demo, b1_demo = rng.normal(size=(4, 3)), rng.normal(size=(4, 1))
W2_demo, b2_demo = rng.normal(size=(2, 4)), rng.normal(size=(2, 1))

two_layers = W2_demo @ (W1_demo @ X_demo + b1_demo) + b2_demo
W_one, b_one = W2_demo @ W1_demo, W2_demo @ b1_demo + b2_demo   # (2, 3) and (2, 1)
one_layer = W_one @ X_demo + b_one

print("two linear layers, output shape:", two_layers.shape)
print("one layer with W = W2 W1, shape of W:", W_one.shape)
print("largest difference:", np.max(np.abs(two_layers - one_layer)))

# %% [markdown]
# A picture says the same thing. Take a random network with one input, one output and three
# hidden layers of 16 units, and plot its output as the input varies. With identity activations
# the graph is a straight line however deep the network; with $\max(z, 0)$ (ReLU, below) it bends
# wherever a hidden unit switches on or off.

# %% tags=["demo"]
rng = np.random.default_rng(1)
sizes = [1, 16, 16, 16, 1]
weights = [rng.normal(size=(sizes[l], sizes[l - 1])) / np.sqrt(sizes[l - 1]) for l in range(1, 5)]
biases = [rng.normal(size=(sizes[l], 1)) for l in range(1, 5)]
x_line = np.linspace(-3, 3, 400).reshape(1, -1)          # 400 examples, one per column

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, (label, g) in zip(axes, [("identity", lambda Z: Z), ("ReLU", lambda Z: np.maximum(Z, 0))]):
    A = x_line
    for l in range(4):
        Z = weights[l] @ A + biases[l]
        A = Z if l == 3 else g(Z)                         # identity output in both cases
    ax.plot(x_line.ravel(), A.ravel())
    ax.set_title(f"4 layers, hidden activation: {label}")
    ax.set_xlabel("input x")
    ax.set_ylabel("network output")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Written question 1: what a stack of linear layers can do [2 points, graded by hand]
#
# All activations below are the identity.
#
# 1. A network with sizes $[3, 100, 100, 2]$: how many parameters (weights and biases) does it have,
#    and how many does the single layer $W X + b$ it equals have?
# 2. Now the sizes are $[3, 1, 100, 2]$. Which $2 \times 3$ matrices $W$ can this network's single
#    equivalent layer have? Is there a $2 \times 3$ matrix that one plain layer can use and this
#    network cannot? Give one, or say why not.
#
# Show the counts and your reasoning in a few lines.

# %% [markdown] answer="linear_layers_collapse" points=2
# ### BEGIN SOLUTION
# **Model answer.** 1. $(3 \cdot 100 + 100) + (100 \cdot 100 + 100) + (100 \cdot 2 + 2) = 400 + 10{,}100 +
# 202 = 10{,}702$ parameters, while the equivalent layer, $W = W^{[3]} W^{[2]} W^{[1]}$ of shape $(2, 3)$ and
# $b = W^{[3]}(W^{[2]} b^{[1]} + b^{[2]}) + b^{[3]}$ of shape $(2, 1)$, has $6 + 2 = 8$: the extra
# parameters add nothing a single layer cannot do.
# 2. $W = W^{[3]} W^{[2]} W^{[1]}$ with $W^{[1]}$ of shape $(1, 3)$: every column of $W$ is a multiple of
# the column $W^{[3]} W^{[2]}$ (shape $(2, 1)$), so $W$ has rank at most 1: both outputs are multiples of
# one number $W^{[1]} x$. Any rank-2 matrix, e.g. $\begin{bmatrix}1 & 0 & 0\\ 0 & 1 & 0\end{bmatrix}$
# (the two outputs copy $x_1$ and $x_2$), is out of reach. A narrow layer in a linear stack is a
# bottleneck: depth without non-linearity can only lose expressive power, never gain it.
#
# **Rubric.**
# - [1 point] 10,702 parameters against 8 for the equivalent layer (the composition $W^{[3]}W^{[2]}W^{[1]}$ and its bias, or the counts with a correct argument)
# - [1 point] with a width-1 layer the product has rank at most 1, so a rank-2 matrix such as the one above cannot be represented
# ### END SOLUTION

# %% [markdown]
# ## 3. Activation functions
#
# | name | $g(z)$ | range |
# |---|---|---|
# | sigmoid | $\sigma(z) = \dfrac{1}{1 + e^{-z}}$ | $(0, 1)$ |
# | tanh | $\tanh z = 2\sigma(2z) - 1$ | $(-1, 1)$ |
# | ReLU | $\max(z, 0)$ | $[0, \infty)$ |
# | leaky ReLU | $z$ if $z > 0$, else $\alpha z$ (small $\alpha$, e.g. 0.01) | $\mathbb{R}$ |
# | softplus | $\log(1 + e^{z})$, a smooth ReLU | $(0, \infty)$ |
# | swish | $z\,\sigma(z)$ | $[\approx -0.28, \infty)$ |
#
# All act entry by entry: the output has the shape of the input. NumPy's `np.tanh` is already
# what we need; you write the others.

# %% [markdown]
# ### Why the textbook sigmoid formula is not good enough
#
# A 64-bit float holds numbers up to about $1.8 \times 10^{308}$, so $e^{z}$ overflows to `inf`
# once $z > 709.78$. Large pre-activations are rare but do happen (a saturated unit, a large
# learning rate), and the cell below shows what each textbook form does with them. NumPy's
# warnings are silenced here on purpose, so that we can look at the results.

# %%
z_demo = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
with np.errstate(over="ignore", invalid="ignore"):       # only for this demonstration
    exp_minus_z = np.exp(-z_demo)
    form_a = 1 / (1 + np.exp(-z_demo))                    # 1 / (1 + e^-z)
    form_b = np.exp(z_demo) / (1 + np.exp(z_demo))        # e^z / (1 + e^z)
with np.printoptions(precision=3, suppress=False):
    print("z            :", z_demo)
    print("e^-z         :", exp_minus_z)
    print("1 / (1+e^-z) :", form_a)
    print("e^z / (1+e^z):", form_b)

# %% [markdown]
# - $1/(1+e^{-z})$ at $z = -1000$: $e^{1000}$ becomes `inf` and $1/\infty = 0$. The value is
#   right only by luck, and NumPy prints `RuntimeWarning: overflow encountered in exp`.
# - $e^{z}/(1+e^{z})$ at $z = 1000$: $\infty/\infty$ is `nan`, a wrong answer that then spreads
#   through every later computation.
#
# The two forms are equal, and each is safe on one side: $1/(1+e^{-z})$ only ever computes
# $e^{-z} \le 1$ when $z \ge 0$, and $e^{z}/(1+e^{z})$ only ever computes $e^{z} < 1$ when
# $z < 0$. A stable sigmoid uses each form on its safe side, so `np.exp` never sees a large
# positive number. Hint: $e^{-|z|}$ is always in $(0, 1]$. Beware of
# `np.where(cond, x, y)`: it computes both `x` and `y` for **every** entry before choosing, so
# both of them must be safe everywhere.
#
# Silencing the warning is not a fix either. For $z < -709.78$ the silenced $1/(1+e^{-z})$ returns
# exactly 0, while the true value, about $e^{z}$, is tiny but positive ($e^{-720} \approx 2.03
# \times 10^{-313}$, still a float64). The cross-entropy of notebook 03 takes its logarithm, and
# $\log 0 = -\infty$ turns one unlucky example into an infinite cost; the stable form gives
# $\log a \approx -720$, as it should.

# %% solution="sigmoid"
def sigmoid(z):
    """
    Logistic sigmoid, element-wise, numerically stable.

    Inputs:
    - z: numpy array of any shape, e.g. (n, m)

    Returns:
    - a: numpy array of the same shape as z, a = 1 / (1 + exp(-z)); no overflow
      warning and correct values even where |z| = 1000
    """
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(z))          # in (0, 1]: cannot overflow
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    ### END SOLUTION


# %% test="sigmoid" points=1
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    # Known values, two shapes, and the input left untouched.
    z = np.array([[-2.0, 0.0, 3.0]])
    check.check_array(check.check_not_mutated(sigmoid, z), 1 / (1 + np.exp(-z)), name="sigmoid(z) for z of shape (1, 3)")
    assert sigmoid(np.zeros((1, 1)))[0, 0] == 0.5, "sigmoid(0) should be exactly 0.5"
    z = np.random.default_rng(10).normal(scale=4, size=(4, 6))
    check.check_array(check.check_not_mutated(sigmoid, z), 1 / (1 + np.exp(-z)), name="sigmoid(z) for z of shape (4, 6)")

    # Stability: no RuntimeWarning may be raised, for this call only warnings become errors.
    z_big = np.array([[-1000.0, -50.0, 50.0, 1000.0]])
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error", RuntimeWarning)
        try:
            a_big = sigmoid(z_big)
        except RuntimeWarning as w:
            raise AssertionError(
                f"sigmoid: NumPy warned '{w}' for z = [-1000, -50, 50, 1000]. np.exp must never see a "
                "large positive number: compute e = np.exp(-np.abs(z)) and choose the form by the sign of z "
                "(remember np.where evaluates both branches everywhere)") from None
    check.check_array(a_big, 1 / (1 + np.exp(-z_big)), name="sigmoid(z) at |z| = 50 and 1000")

    # Tiny but positive: where 1 / (1 + e^-z) overflows, the true value is still a float64.
    z_tiny = np.array([[-720.0, -710.0]])
    a_tiny = np.asarray(sigmoid(z_tiny), dtype=float)
    if not np.all(a_tiny > 0):
        probe = np.array([[-720.0, -710.0, -700.0, -100.0, -40.0, -30.0]])
        zeros = [f"{z:g}" for z, a in zip(probe.ravel(), np.ravel(sigmoid(probe))) if a == 0]
        raise AssertionError(
            f"sigmoid: returned 0 for z = {', '.join(zeros[:-1]) + ' and ' if len(zeros) > 1 else ''}{zeros[-1]}, "
            "where the true value, about e^z (e^-720 = 2.03e-313), is tiny but positive and still a float64 "
            "(down to z = -745); a cross-entropy would take log(0) = -inf there. For z < 0, compute it in a "
            "form whose result keeps that tiny value (the text's e^z / (1 + e^z) does)")
    if a_tiny.shape == z_tiny.shape and a_tiny[0, 0] == a_tiny[0, 1]:
        cut = float(np.log(a_tiny[0, 0]))
        raise AssertionError(
            f"sigmoid: returned the same value, {a_tiny[0, 0]:.3g} = e^{cut:.0f}, for z = -720 and -710: the "
            f"value at z = {cut:.0f}, as if z were cut off there. The true values, e^-720 = 2.03e-313 and "
            "e^-710 = 4.48e-309, are float64 numbers: with the stable form no cut-off is needed")
    check.check_array(np.log(a_tiny), z_tiny, name="log(sigmoid(z)) at z = -720 and -710", rtol=1e-6, atol=0)

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1001)
    for _shape in [(1, 1), (7,), (3, 1), (1, 9), (5, 8)]:
        _z = _rng.normal(scale=6, size=_shape)
        _a = sigmoid(_z)
        assert np.shape(_a) == _shape, f"sigmoid: output shape {np.shape(_a)} for an input of shape {_shape}"
        assert np.allclose(_a, 1 / (1 + np.exp(-_z)), rtol=1e-6, atol=1e-12), f"sigmoid: wrong values for an input of shape {_shape}"
    _z = np.concatenate([-_rng.uniform(700, 5000, size=(2, 6)), _rng.uniform(700, 5000, size=(2, 6))])
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error", RuntimeWarning)
        try:
            _a = sigmoid(_z)
        except RuntimeWarning:
            raise AssertionError("sigmoid: NumPy warned for large |z| (700 to 5000): use the stable form") from None
    assert np.shape(_a) == _z.shape and np.all(np.isfinite(_a)), "sigmoid: NaN/inf or wrong shape for large |z|"
    assert np.allclose(_a, (_z > 0).astype(float), atol=1e-12), "sigmoid: wrong values for large |z| (should be 0 or 1)"
    _z = _rng.normal(scale=30, size=(6, 4))
    assert np.allclose(sigmoid(_z), 1 / (1 + np.exp(-_z)), rtol=1e-6, atol=1e-12), "sigmoid: wrong values for |z| up to about 100"
    # Tiny but positive. Below z = -708, sigmoid(z) ~ e^z is a subnormal float64 on a grid of step
    # 4.9e-324, with only a few significant bits near z = -740: 1e-6 relative, or 4 grid steps.
    _z = -_rng.uniform(709.9, 740.0, size=(3, 5))
    _a = np.asarray(sigmoid(_z))
    assert np.all(_a > 0) and np.allclose(_a, np.exp(_z), rtol=1e-6, atol=4 * np.nextafter(0.0, 1.0)), (
        "sigmoid: 0 or inaccurate for z between -740 and -710 (tiny but positive values, about e^z)")
    ### END HIDDEN TESTS

check.passed("sigmoid: stable and correct.")

# %% [markdown]
# ### ReLU, leaky ReLU, softplus, swish
#
# - **ReLU** $\max(z, 0)$: cheap, and its slope is 1 wherever the unit is on. Use `np.maximum`
#   (element-wise), not `np.max` (a reduction).
# - **Leaky ReLU**: $z$ for $z > 0$ and $\alpha z$ otherwise, so a unit that is off still passes
#   a small slope. Use the `alpha` argument; `0.01` is only its default.
# - **Softplus** $\log(1 + e^{z})$: a smooth ReLU. The textbook form overflows for $z > 709$
#   (and `np.log(np.inf)` is `inf`). Rewrite it so that `np.exp` only sees $-|z|$, using
#   $\log(1 + e^{z}) = z + \log(1 + e^{-z})$ for positive $z$, and `np.log1p(t)` $= \log(1 + t)$,
#   which stays accurate for tiny $t$.
# - **Swish** $z\,\sigma(z)$: smooth, and slightly negative for negative $z$. You may call your
#   `sigmoid`.
#
# As everywhere in this course, return a new array and leave `z` unchanged: `z[z < 0] = 0`
# modifies the caller's array.

# %% solution="relu"
def relu(z):
    """
    Rectified linear unit, element-wise.

    Inputs:
    - z: numpy array of any shape, e.g. (n, m)

    Returns:
    - a: new numpy array of the same shape as z, a = max(z, 0)
    """
    ### BEGIN SOLUTION
    return np.maximum(z, 0)
    ### END SOLUTION


# %% test="relu" points=0.5
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for z in [np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]]), np.random.default_rng(11).normal(size=(4, 3))]:
        a = check.check_not_mutated(relu, z)
        if np.shape(a) != z.shape:
            raise AssertionError(f"relu: output shape {np.shape(a)} for an input of shape {z.shape}: "
                                 "np.max reduces over an axis; the element-wise maximum is np.maximum")
        check.check_array(a, np.where(z > 0, z, 0.0), name=f"relu(z) for z of shape {z.shape}")

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1002)
    for _shape in [(1, 1), (6,), (2, 9), (7, 1)]:
        _z = _rng.normal(scale=3, size=_shape)
        _z_copy = _z.copy()
        _a = relu(_z)
        assert np.array_equal(_z, _z_copy), "relu: modified its input in place"
        assert np.shape(_a) == _shape, f"relu: output shape {np.shape(_a)} for an input of shape {_shape}"
        assert np.allclose(_a, np.where(_z > 0, _z, 0.0)), f"relu: wrong values for an input of shape {_shape}"
    _z = np.array([[-1e300, -1000.0, 1000.0, 1e300]])
    assert np.allclose(relu(_z), [[0.0, 0.0, 1000.0, 1e300]]), "relu: wrong values for very large |z|"
    ### END HIDDEN TESTS

check.passed("relu: correct.")

# %% solution="leaky_relu"
def leaky_relu(z, alpha=0.01):
    """
    Leaky ReLU, element-wise.

    Inputs:
    - z: numpy array of any shape, e.g. (n, m)
    - alpha: slope for z <= 0, a float in [0, 1)

    Returns:
    - a: new numpy array of the same shape as z, a = z where z > 0 and alpha * z elsewhere
    """
    ### BEGIN SOLUTION
    return np.where(z > 0, z, alpha * z)
    ### END SOLUTION


# %% test="leaky_relu" points=0.5
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    check.check_array(check.check_not_mutated(leaky_relu, z), np.where(z > 0, z, 0.01 * z),
                      name="leaky_relu(z) with the default alpha = 0.01")
    z = np.random.default_rng(12).normal(size=(3, 4))
    a = check.check_not_mutated(leaky_relu, z, alpha=0.2)
    if np.allclose(a, np.where(z > 0, z, 0.01 * z)):
        raise AssertionError("leaky_relu(z, alpha=0.2) gave the alpha = 0.01 result: use the alpha argument")
    check.check_array(a, np.where(z > 0, z, 0.2 * z), name="leaky_relu(z, alpha=0.2) for z of shape (3, 4)")

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1003)
    for _shape, _alpha in [((1, 1), 0.01), ((5,), 0.1), ((4, 7), 0.3), ((6, 1), 0.0)]:
        _z = _rng.normal(scale=3, size=_shape)
        _z_copy = _z.copy()
        _a = leaky_relu(_z, alpha=_alpha)
        assert np.array_equal(_z, _z_copy), "leaky_relu: modified its input in place"
        assert np.shape(_a) == _shape, f"leaky_relu: output shape {np.shape(_a)} for an input of shape {_shape}"
        assert np.allclose(_a, np.where(_z > 0, _z, _alpha * _z)), f"leaky_relu: wrong values for alpha = {_alpha}"
    _z = _rng.normal(size=(3, 3))
    assert np.allclose(leaky_relu(_z, 0.05), np.where(_z > 0, _z, 0.05 * _z)), "leaky_relu: alpha passed by position is ignored"
    ### END HIDDEN TESTS

check.passed("leaky_relu: correct.")

# %% solution="softplus"
def softplus(z):
    """
    Softplus log(1 + exp(z)), element-wise, numerically stable.

    Inputs:
    - z: numpy array of any shape, e.g. (n, m)

    Returns:
    - a: numpy array of the same shape as z; no overflow warning and correct values
      even where |z| = 1000 (softplus(1000) = 1000)
    """
    ### BEGIN SOLUTION
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
    ### END SOLUTION


# %% test="softplus" points=0.5
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    z = np.array([[-3.0, 0.0, 2.0]])
    check.check_array(check.check_not_mutated(softplus, z), np.log(1 + np.exp(z)), name="softplus(z) for z of shape (1, 3)")
    assert np.isclose(softplus(np.zeros((1, 1)))[0, 0], np.log(2)), "softplus(0) should be log(2)"
    z = np.random.default_rng(13).normal(scale=5, size=(5, 2))
    check.check_array(check.check_not_mutated(softplus, z), np.log(1 + np.exp(z)), name="softplus(z) for z of shape (5, 2)")

    # Stability: for this call only, any RuntimeWarning is an error.
    z_big = np.array([[-1000.0, 1000.0]])
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error", RuntimeWarning)
        try:
            a_big = softplus(z_big)
        except RuntimeWarning as w:
            raise AssertionError(
                f"softplus: NumPy warned '{w}' for z = [-1000, 1000]. Rewrite log(1 + e^z) so np.exp only sees "
                "-|z| (for z > 0, log(1 + e^z) = z + log(1 + e^-z)); np.log1p helps") from None
    check.check_array(a_big, np.array([[0.0, 1000.0]]), name="softplus(z) at z = -1000 and 1000")

    # Tiny values: at z = -40, log(1 + e^z) is about e^z = 4.25e-18, far below float64's step at 1.
    z_tiny = np.array([[-40.0, -60.0]])
    a_tiny = np.asarray(softplus(z_tiny), dtype=float)
    if a_tiny.shape == z_tiny.shape and np.any(a_tiny == 0):
        raise AssertionError(
            "softplus: returned 0 at z = -40 or -60, where the true value, about e^z (4.25e-18 and 8.76e-27), "
            "is tiny but positive: 1 + t rounds to exactly 1 once t is below about 1e-16, so log(1 + t) "
            "loses t entirely. The text names a function that computes log(1 + t) without forming 1 + t")
    check.check_array(a_tiny, np.exp(z_tiny), name="softplus(z) at z = -40 and -60 (about e^z)", rtol=1e-6, atol=0)

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1004)
    for _shape in [(1, 1), (8,), (3, 5), (9, 1)]:
        _z = _rng.normal(scale=8, size=_shape)
        _a = softplus(_z)
        assert np.shape(_a) == _shape, f"softplus: output shape {np.shape(_a)} for an input of shape {_shape}"
        assert np.allclose(_a, np.logaddexp(0, _z), rtol=1e-6, atol=1e-10), f"softplus: wrong values for an input of shape {_shape}"
    _z = np.concatenate([-_rng.uniform(710, 5000, size=(2, 5)), _rng.uniform(710, 5000, size=(2, 5))])
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error", RuntimeWarning)
        try:
            _a = softplus(_z)
        except RuntimeWarning:
            raise AssertionError("softplus: NumPy warned for large |z| (710 to 5000): use the stable form") from None
    assert np.shape(_a) == _z.shape and np.all(np.isfinite(_a)), "softplus: NaN/inf or wrong shape for large |z|"
    assert np.allclose(_a, np.logaddexp(0, _z), rtol=1e-9, atol=1e-12), "softplus: wrong values for large |z|"
    _z = -_rng.uniform(37.0, 700.0, size=(3, 6))          # tiny but normal float64 values, about e^z
    assert np.allclose(softplus(_z), np.exp(_z), rtol=1e-6, atol=0), "softplus: 0 or inaccurate for z between -700 and -37 (about e^z)"
    ### END HIDDEN TESTS

check.passed("softplus: stable and correct.")

# %% solution="swish"
def swish(z):
    """
    Swish z * sigmoid(z), element-wise.

    Inputs:
    - z: numpy array of any shape, e.g. (n, m)

    Returns:
    - a: numpy array of the same shape as z
    """
    ### BEGIN SOLUTION
    return z * sigmoid(z)
    ### END SOLUTION


# %% test="swish" points=0.5
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    z = np.array([[-2.0, 0.0, 1.0, 4.0]])
    check.check_array(check.check_not_mutated(swish, z), z / (1 + np.exp(-z)), name="swish(z) for z of shape (1, 4)")
    z = np.random.default_rng(14).normal(scale=3, size=(3, 5))
    check.check_array(check.check_not_mutated(swish, z), z / (1 + np.exp(-z)), name="swish(z) for z of shape (3, 5)")

    # Large |z|: swish(1000) = 1000 and swish(-1000) = 0 (warnings are not tested here, only values).
    a_big = swish(np.array([[-1000.0, 1000.0]]))
    if not np.all(np.isfinite(np.asarray(a_big, dtype=float))):
        raise AssertionError("swish: NaN/inf at z = -1000 or 1000: write it as z * sigmoid(z), using your stable sigmoid")
    check.check_array(a_big, np.array([[0.0, 1000.0]]), name="swish(z) at z = -1000 and 1000")

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1005)
    for _shape in [(1, 1), (6,), (4, 7), (5, 1)]:
        _z = _rng.normal(scale=5, size=_shape)
        _a = swish(_z)
        assert np.shape(_a) == _shape, f"swish: output shape {np.shape(_a)} for an input of shape {_shape}"
        assert np.allclose(_a, _z / (1 + np.exp(-_z)), rtol=1e-6, atol=1e-10), f"swish: wrong values for an input of shape {_shape}"
    _z = np.array([[-1000.0, -60.0, 60.0, 1000.0]])
    _a = swish(_z)
    assert np.all(np.isfinite(_a)), "swish: NaN/inf for large |z|: use a stable sigmoid"
    assert np.allclose(_a, [[0.0, 0.0, 60.0, 1000.0]], atol=1e-10), "swish: wrong values for large |z|"
    ### END HIDDEN TESTS

check.passed("swish: correct.")

# %% [markdown]
# Here are your activations side by side (leaky ReLU drawn with $\alpha = 0.1$ so that its
# slope is visible). Note the shapes: the saturating pair flattens out at both ends, where a
# small change of $z$ barely changes the output; the rectifying family keeps a slope of about 1
# for large positive $z$.

# %% tags=["demo"]
z_plot = np.linspace(-5, 5, 401)
panels = {
    "saturating": [("sigmoid", "sigmoid", lambda z: sigmoid(z)), ("tanh (np.tanh)", "tanh", np.tanh)],
    "rectifying": [("relu", "relu", lambda z: relu(z)),
                   ("leaky_relu, alpha = 0.1", "leaky_relu", lambda z: leaky_relu(z, alpha=0.1)),
                   ("softplus", "softplus", lambda z: softplus(z)), ("swish", "swish", lambda z: swish(z))],
}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
missing = []
for ax, (title, curves) in zip(axes, panels.items()):
    for label, name, g in curves:
        try:
            ax.plot(z_plot, g(z_plot), label=label)
        except NotImplementedError:
            missing.append(name)
    ax.axhline(0, color="lightgray", lw=0.8)
    ax.axvline(0, color="lightgray", lw=0.8)
    ax.set_xlabel("z")
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
plt.tight_layout()
plt.show()
if missing:
    print("Write these functions above to see them in the plot:", ", ".join(missing))

# %% [markdown]
# ## 4. The output layer: the task chooses $g^{[L]}$
#
# Hidden layers can use any of the activations above. The last layer's activation is dictated
# by what the prediction means:
#
# | task | $n^{[L]}$ | output activation | $A^{[L]}$ means | loss (notebook 03) |
# |---|---|---|---|---|
# | regression | number of targets | identity, $A^{[L]} = Z^{[L]}$ | the predicted values, any real number | squared error `"mse"` |
# | binary classification | 1 | sigmoid | $P(y = 1 \mid x)$, in $(0, 1)$ | binary cross-entropy `"bce"` |
# | $K$ classes | $K$ | softmax | a column of $K$ probabilities summing to 1 | cross-entropy `"cross_entropy"` |
#
# **Softmax** turns each column $z$ of $Z^{[L]}$ (shape $(K, m)$) into probabilities:
#
# $$\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}, \qquad k = 1, \dots, K.$$
#
# Unlike the activations above it mixes entries, but only within a column: each example gets its
# own distribution, so the sums run over axis 0.
#
# It has the same overflow problem as sigmoid, and an easy cure: adding one constant $c$ to every
# entry of a column changes nothing, because $e^{z_k - c} / \sum_j e^{z_j - c} = e^{z_k} / \sum_j e^{z_j}$.
# Take $c$ to be the column's maximum: then every exponent is $\le 0$, so no `inf`, and the
# largest term is $e^0 = 1$, so the denominator is at least 1. (The maximum of the whole matrix
# would not do: a column far below it would become all zeros, and $0/0$ is `nan`.)

# %% solution="softmax"
def softmax(Z):
    """
    Column-wise softmax, numerically stable.

    Inputs:
    - Z: numpy array of shape (K, m), logits: one column of K scores per example

    Returns:
    - A: numpy array of shape (K, m); A[:, i] = exp(Z[:, i]) / sum(exp(Z[:, i])), so every
      column is positive and sums to 1; correct and warning-free for logits of size 1000
    """
    ### BEGIN SOLUTION
    shifted = Z - np.max(Z, axis=0, keepdims=True)      # every column's maximum becomes 0
    e = np.exp(shifted)
    return e / np.sum(e, axis=0, keepdims=True)
    ### END SOLUTION


# %% test="softmax" points=1
def _softmax_hint(A, Z):
    """A hint for the usual wrong axis, or None."""
    A = np.asarray(A)
    if A.shape != Z.shape:
        return None
    if np.allclose(A.sum(axis=1), 1) and not np.allclose(A.sum(axis=0), 1):
        return "softmax: the rows sum to 1, not the columns: examples are columns, so sum over axis=0 (keepdims=True)"
    if np.isclose(A.sum(), 1) and Z.shape[1] > 1:
        return "softmax: the whole matrix sums to 1: normalise each column separately, np.sum(..., axis=0, keepdims=True)"
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    E_rows = np.exp(Z - Z.max(axis=1, keepdims=True))
    if (not np.allclose(A, E / E.sum(axis=0, keepdims=True))
            and np.allclose(A, E_rows / E_rows.sum(axis=0, keepdims=True))):
        return ("softmax: your columns sum to 1, but their values are those of Z shifted by each ROW's maximum "
                "(axis=1): a column then has different shifts in different entries, which changes the ratios "
                "between them. The shift must be one constant per column")
    return None


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for Z in [np.array([[1.0, 2.0], [2.0, 0.0], [3.0, -1.0]]), np.random.default_rng(15).normal(scale=2, size=(4, 6)),
              np.array([[0.5], [-1.0], [2.0]])]:
        A = check.check_not_mutated(softmax, Z)
        hint = _softmax_hint(A, Z)
        if hint:
            raise AssertionError(hint)
        expected = np.exp(Z) / np.sum(np.exp(Z), axis=0, keepdims=True)
        check.check_array(A, expected, name=f"softmax(Z) for Z of shape {Z.shape}")

    # Large logits: column 0 near +1000, column 1 near -1000. For this call only, warnings are errors.
    offsets = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    Z_big = offsets + np.array([[1000.0, -1000.0]])
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error", RuntimeWarning)
        try:
            A_big = softmax(Z_big)
        except RuntimeWarning as w:
            raise AssertionError(
                f"softmax: NumPy warned '{w}' for logits near +1000 and -1000. Subtract each column's own "
                "maximum (np.max(Z, axis=0, keepdims=True)) before np.exp: the result does not change") from None
    check.check_array(A_big, np.exp(offsets) / np.sum(np.exp(offsets), axis=0, keepdims=True),
                      name="softmax(Z) for logits near +1000 and -1000 (same answer as for the offsets alone)")

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1006)
    for _K, _m in [(1, 1), (1, 5), (2, 1), (5, 1), (3, 7), (10, 4)]:
        _Z = _rng.normal(scale=3, size=(_K, _m))
        _Z_copy = _Z.copy()
        _A = softmax(_Z)
        assert np.array_equal(_Z, _Z_copy), "softmax: modified its input in place"
        assert np.shape(_A) == (_K, _m), f"softmax: output shape {np.shape(_A)} for Z of shape {(_K, _m)}"
        _E = np.exp(_Z - _Z.max(axis=0, keepdims=True))
        assert np.allclose(_A, _E / _E.sum(axis=0, keepdims=True)), f"softmax: wrong values for Z of shape {(_K, _m)}"
        assert np.allclose(np.sum(_A, axis=0), 1), f"softmax: columns do not sum to 1 for Z of shape {(_K, _m)}"
    _Z = _rng.normal(scale=5, size=(6, 8)) + _rng.uniform(-3000, 3000, size=(1, 8))
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error", RuntimeWarning)
        try:
            _A = softmax(_Z)
        except RuntimeWarning:
            raise AssertionError("softmax: NumPy warned for columns of very different sizes (up to +-3000): "
                                 "subtract each column's own maximum") from None
    _E = np.exp(_Z - _Z.max(axis=0, keepdims=True))
    assert np.shape(_A) == _Z.shape and np.all(np.isfinite(_A)), "softmax: NaN/inf or wrong shape for large logits"
    assert np.allclose(_A, _E / _E.sum(axis=0, keepdims=True)), "softmax: wrong values for large logits"
    _Z = np.array([[5000.0, -2.0], [0.0, -2.0]])
    assert np.allclose(softmax(_Z), [[1.0, 0.5], [0.0, 0.5]]), "softmax: wrong values for one dominant logit / equal logits"
    ### END HIDDEN TESTS

check.passed("softmax: stable, column-wise and correct.")

# %% [markdown]
# Two facts worth seeing with your own functions: softmax keeps the order of the scores but
# exaggerates their differences, and with $K = 2$ it is the sigmoid in disguise,
# $\operatorname{softmax}([z, 0])_1 = e^{z} / (e^{z} + 1) = \sigma(z)$. So a binary classifier
# with one sigmoid output is the same model as a 2-class softmax with one logit fixed at 0.

# %% tags=["demo"]
try:
    logits = np.array([[2.0], [1.0], [0.1], [-1.0]])      # K = 4 classes, one example
    probs = softmax(logits)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    axes[0].bar(range(4), logits.ravel(), color="tab:gray")
    axes[0].set_title("logits Z (one column)")
    axes[1].bar(range(4), probs.ravel(), color="tab:green")
    axes[1].set_title(f"softmax(Z): sums to {probs.sum():.3f}")
    for ax in axes:
        ax.set_xticks(range(4))
        ax.set_xlabel("class k")
    plt.tight_layout()
    plt.show()

    z_row = np.linspace(-6, 6, 7).reshape(1, -1)
    two_class = softmax(np.vstack([z_row, np.zeros_like(z_row)]))[0]
    print("softmax([z, 0])[0]:", two_class)
    print("sigmoid(z)        :", sigmoid(z_row).ravel())
except NotImplementedError:
    print("Write softmax and sigmoid above to see this demo.")

# %% [markdown]
# ### Written question 2: softmax in floating point [2 points, graded by hand]
#
# Take two columns of logits, $u = (1000, 999, 990)$ and $v = (-1000, -1001, -1010)$.
#
# 1. Predict, entry by entry, what the textbook formula `np.exp(z) / np.sum(np.exp(z))` returns for
#    $u$ and for $v$, and name the floating-point event behind each.
# 2. Compute $\mathrm{softmax}(u)$ and $\mathrm{softmax}(v)$ to three significant digits. What do you notice, and why?
# 3. A colleague shifts each column by its **mean** instead of its maximum. Give a column of three
#    logits for which that version still returns `nan`, and explain.

# %% [markdown] answer="softmax_max_shift" points=2
# ### BEGIN SOLUTION
# **Model answer.** 1. For $u$ every $e^{z}$ overflows to `inf` (all exponents are above 709.78), and
# $\infty / \infty$ is `nan`: `[nan, nan, nan]`. For $v$ every $e^{z}$ underflows to 0 (below about $-745$),
# and $0/0$ is `nan` again: `[nan, nan, nan]`.
# 2. Both columns give $(0.731, 0.269, 3.32 \times 10^{-5})$: after subtracting the column's maximum both
# become $(0, -1, -10)$, since $v = u - 2000$, and adding a constant to a column does not change its
# softmax ($e^{-c}$ cancels between numerator and denominator). $1/(1 + e^{-1} + e^{-10}) = 0.731$.
# 3. The mean does not bound the largest exponent: for $(2000, 0, 0)$ the mean is $666.7$ and the
# shifted column is $(1333.3, -666.7, -666.7)$, so $e^{1333.3}$ overflows and the result is `nan` again.
# Only the maximum guarantees that every exponent is $\le 0$ (and the largest term is exactly 1).
#
# **Rubric.**
# - [1 point] (1) nan for both, by overflow (inf/inf) for $u$ and by underflow (0/0) for $v$; (2) the same probabilities, about (0.731, 0.269, 3.3e-5), because the columns differ by a constant
# - [1 point] (3) a column whose largest entry exceeds its mean by more than about 709, with the reason (the max is the only shift that caps every exponent at 0)
# ### END SOLUTION

# %% [markdown]
# ## 5. One layer in code
#
# First the linear part, $Z = W A_{\text{prev}} + b$. NumPy's `@` is the matrix product, and
# adding the $(n^{[l]}, 1)$ column `b` to the $(n^{[l]}, m)$ matrix `W @ A_prev` adds it to every
# column. (Not `*`: that multiplies entry by entry.)

# %% solution="linear_forward"
def linear_forward(A_prev, W, b):
    """
    Linear part of a layer's forward pass.

    Inputs:
    - A_prev: numpy array of shape (n[l-1], m), activations of the previous layer
    - W: numpy array of shape (n[l], n[l-1]), weights
    - b: numpy array of shape (n[l], 1), biases

    Returns:
    - Z: numpy array of shape (n[l], m), Z = W A_prev + b
    """
    ### BEGIN SOLUTION
    return W @ A_prev + b
    ### END SOLUTION


# %% test="linear_forward" points=1
def _linear_forward_slip():
    """The usual slip that linear_forward's Z matches on square inputs (where each one runs), or None."""
    rng_s = np.random.default_rng(160)
    A_s, W_s, b_s = rng_s.normal(size=(3, 3)), rng_s.normal(size=(3, 3)), rng_s.normal(size=(3, 1))
    try:
        Z_s = np.asarray(linear_forward(A_s.copy(), W_s.copy(), b_s.copy()), dtype=float)
    except Exception:  # noqa: BLE001 - no diagnosis then; the original error is reported
        return None
    slips = [
        (W_s * A_s + b_s, "multiplies W and A_prev entry by entry (*): each Z[i, j] must combine a whole row of W "
                          "with a whole column of A_prev"),
        (W_s @ A_s + b_s.ravel(), "adds the bias as a flat vector of shape (n[l],): a 1-D array lines up with the "
                                  "LAST axis, the examples, so b[j] lands on column j instead of row j; keep b the "
                                  "(n[l], 1) column it is, which NumPy repeats across the m columns"),
        (W_s.T @ A_s + b_s, "multiplies by W.T: W of shape (n[l], n[l-1]) has one row per unit of this layer; "
                            "check which of its sizes must meet A_prev's n[l-1] rows"),
        (A_s.T @ W_s.T + b_s, "computes A_prev.T @ W.T: that is the transpose of the product, with examples as rows"),
    ]
    for Z_slip, what in slips:
        if Z_s.shape == Z_slip.shape and np.allclose(Z_s, Z_slip):
            return what
    return None


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng_t = np.random.default_rng(16)
    for n_prev, n, m in [(3, 4, 5), (2, 1, 1), (6, 2, 3)]:
        A_prev, W, b = rng_t.normal(size=(n_prev, m)), rng_t.normal(size=(n, n_prev)), rng_t.normal(size=(n, 1))
        try:
            Z = check.check_not_mutated(linear_forward, A_prev, W, b)
            check.check_array(Z, W @ A_prev + b, name=f"Z for A_prev {A_prev.shape}, W {W.shape}, b {b.shape}")
        except (AssertionError, ValueError) as error:  # ValueError: NumPy could not combine two shapes
            slip = _linear_forward_slip()
            if slip is None or "in place" in str(error):
                raise
            raise AssertionError(f"linear_forward {slip}. (For A_prev {A_prev.shape}, W {W.shape}, b {b.shape}: "
                                 f"{type(error).__name__}: {error})") from None

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1007)
    for _n_prev, _n, _m in [(1, 1, 1), (5, 3, 1), (1, 4, 6), (7, 7, 7), (4, 9, 2)]:
        _A, _W, _b = _rng.normal(size=(_n_prev, _m)), _rng.normal(size=(_n, _n_prev)), _rng.normal(size=(_n, 1))
        _copies = (_A.copy(), _W.copy(), _b.copy())
        _Z = linear_forward(_A, _W, _b)
        assert all(np.array_equal(x, y) for x, y in zip((_A, _W, _b), _copies)), "linear_forward: modified an input in place"
        assert np.shape(_Z) == (_n, _m), f"linear_forward: shape {np.shape(_Z)}, expected {(_n, _m)} (W {_W.shape}, A_prev {_A.shape})"
        assert np.allclose(_Z, _W @ _A + _b), f"linear_forward: wrong values for W {_W.shape}, A_prev {_A.shape}"
    ### END HIDDEN TESTS

check.passed("linear_forward: correct.")

# %% [markdown]
# Then the whole layer. `activation` is one of the names `"sigmoid"`, `"relu"`, `"leaky_relu"`
# (with its default $\alpha = 0.01$), `"tanh"`, `"softplus"`, `"swish"`, `"identity"`,
# `"softmax"`; use your functions from above (and `np.tanh`). Return **both** $A$ and $Z$, in that
# order: backpropagation needs $Z$ to evaluate $g'(Z)$. A dictionary from names to functions
# keeps this short; an unknown name should raise a `ValueError` that lists the valid ones.

# %% solution="layer_forward"
def layer_forward(A_prev, W, b, activation):
    """
    Forward pass of one layer: linear part, then the activation.

    Inputs:
    - A_prev: numpy array of shape (n[l-1], m)
    - W: numpy array of shape (n[l], n[l-1])
    - b: numpy array of shape (n[l], 1)
    - activation: str, one of "sigmoid", "relu", "leaky_relu", "tanh", "softplus",
      "swish", "identity", "softmax"

    Returns a tuple (A, Z):
    - A: numpy array of shape (n[l], m), A = g(Z)
    - Z: numpy array of shape (n[l], m), Z = W A_prev + b
    """
    ### BEGIN SOLUTION
    activations = {
        "sigmoid": sigmoid,
        "relu": relu,
        "leaky_relu": leaky_relu,
        "tanh": np.tanh,
        "softplus": softplus,
        "swish": swish,
        "identity": lambda Z: Z,
        "softmax": softmax,
    }
    if activation not in activations:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(activations)}")
    Z = linear_forward(A_prev, W, b)
    return activations[activation](Z), Z
    ### END SOLUTION


# %% test="layer_forward" points=1
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    expected_g = {                                      # plain formulas: fine for moderate Z
        "sigmoid": lambda Z: 1 / (1 + np.exp(-Z)),
        "relu": lambda Z: np.maximum(Z, 0),
        "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z),
        "tanh": np.tanh,
        "softplus": lambda Z: np.log(1 + np.exp(Z)),
        "swish": lambda Z: Z / (1 + np.exp(-Z)),
        "identity": lambda Z: Z,
        "softmax": lambda Z: np.exp(Z) / np.sum(np.exp(Z), axis=0, keepdims=True),
    }
    rng_t = np.random.default_rng(17)
    for activation, g in expected_g.items():
        for n_prev, n, m in [(3, 4, 5), (2, 3, 1)]:
            A_prev, W, b = rng_t.normal(size=(n_prev, m)), rng_t.normal(size=(n, n_prev)), rng_t.normal(size=(n, 1))
            result = check.check_not_mutated(layer_forward, A_prev, W, b, activation)
            where = f'layer_forward(..., "{activation}") for W {W.shape}, A_prev {A_prev.shape}'
            if not (isinstance(result, tuple) and len(result) == 2):
                raise AssertionError(f"{where}: expected a tuple (A, Z), got {type(result).__name__}")
            A, Z = result
            Z_expected = W @ A_prev + b
            A_expected = g(Z_expected)
            if (np.shape(A) == Z_expected.shape and np.allclose(A, Z_expected)
                    and not np.allclose(A_expected, Z_expected)):
                raise AssertionError(f"{where}: the first value returned is Z; return (A, Z) in that order")
            check.check_array(Z, Z_expected, name=f"{where}: Z")
            check.check_array(A, A_expected, name=f"{where}: A")

    # A misspelt name must not pass unnoticed: a ValueError that lists the valid names.
    A_prev, W, b = rng_t.normal(size=(2, 3)), rng_t.normal(size=(2, 2)), rng_t.normal(size=(2, 1))
    try:
        layer_forward(A_prev, W, b, "gelu")
    except ValueError as error:
        unlisted = [name for name in expected_g if name not in str(error)]
        if unlisted:
            raise AssertionError(f'layer_forward(..., "gelu") raised ValueError({str(error)!r}), which does not list '
                                 f"the valid names ({', '.join(unlisted)} missing): say what is allowed") from None
    except Exception as error:  # noqa: BLE001 - any other exception is the mistake reported here
        raise AssertionError(f'layer_forward(..., "gelu") raised {type(error).__name__}: {error}. An unknown '
                             "activation name should raise a ValueError whose message lists the valid names; a "
                             "bare dict lookup's KeyError says neither what went wrong nor what is allowed") from None
    else:
        raise AssertionError('layer_forward(..., "gelu") returned a result for an unknown activation name: it should '
                             "raise a ValueError that lists the valid names, so that a typo cannot pass unnoticed")

    ### BEGIN HIDDEN TESTS
    _rng = np.random.default_rng(1008)
    _g = {
        "sigmoid": lambda Z: np.exp(-np.logaddexp(0, -Z)),
        "relu": lambda Z: np.maximum(Z, 0),
        "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z),
        "tanh": np.tanh,
        "softplus": lambda Z: np.logaddexp(0, Z),
        "swish": lambda Z: Z * np.exp(-np.logaddexp(0, -Z)),
        "identity": lambda Z: Z,
        "softmax": lambda Z: np.exp(Z - Z.max(axis=0, keepdims=True)) / np.exp(Z - Z.max(axis=0, keepdims=True)).sum(axis=0, keepdims=True),
    }
    for _name, _fn in _g.items():
        for _n_prev, _n, _m in [(1, 1, 1), (4, 2, 1), (3, 6, 8), (5, 5, 2)]:
            _A_prev, _W, _b = _rng.normal(size=(_n_prev, _m)), _rng.normal(scale=2, size=(_n, _n_prev)), _rng.normal(size=(_n, 1))
            _copies = (_A_prev.copy(), _W.copy(), _b.copy())
            _out = layer_forward(_A_prev, _W, _b, _name)
            assert all(np.array_equal(x, y) for x, y in zip((_A_prev, _W, _b), _copies)), f"layer_forward({_name!r}): modified an input in place"
            assert isinstance(_out, tuple) and len(_out) == 2, f"layer_forward({_name!r}): expected a tuple (A, Z)"
            _Zexp = _W @ _A_prev + _b
            assert np.shape(_out[1]) == _Zexp.shape and np.allclose(_out[1], _Zexp), f"layer_forward({_name!r}): wrong Z for W {_W.shape}, A_prev {_A_prev.shape}"
            assert np.shape(_out[0]) == _Zexp.shape and np.allclose(_out[0], _fn(_Zexp), rtol=1e-6, atol=1e-10), f"layer_forward({_name!r}): wrong A for W {_W.shape}, A_prev {_A_prev.shape}"
    for _name in ["elu", "sigmod", "tanhh", ""]:
        try:
            layer_forward(_rng.normal(size=(3, 2)), _rng.normal(size=(2, 3)), _rng.normal(size=(2, 1)), _name)
        except ValueError as _error:
            assert all(_valid in str(_error) for _valid in _g), f"layer_forward({_name!r}): the ValueError does not list the valid names"
        except Exception as _error:  # noqa: BLE001
            raise AssertionError(f"layer_forward({_name!r}) raised {type(_error).__name__}, expected a ValueError") from None
        else:
            raise AssertionError(f"layer_forward({_name!r}) returned a result for an unknown activation name")
    ### END HIDDEN TESTS

check.passed("layer_forward: correct for all eight activations.")

# %% [markdown]
# ## 6. The whole forward pass, and what to keep
#
# With $L$ layers, `params` holds `"W1"`, `"b1"`, ..., `"WL"`, `"bL"` (so $L$ is half the
# number of entries), and the forward pass is a loop over $l = 1, \dots, L$:
#
# $$A^{[0]} = X, \qquad A^{[l]} = g^{[l]}\big(W^{[l]} A^{[l-1]} + b^{[l]}\big),$$
#
# with `hidden_activation` in layers $1, \dots, L-1$ and `output_activation` in layer $L$.
#
# **The cache.** Notebook 03 computes the gradient layer by layer, backwards. At layer $l$ it
# needs the slope of the activation there, $g'(Z^{[l]})$, so $Z^{[l]}$; and since $W^{[l]}$
# multiplies $A^{[l-1]}$, the gradient with respect to $W^{[l]}$ is built from $A^{[l-1]}$ (notebook
# 03 derives exactly how). Recomputing them would repeat the forward pass for every layer; instead
# the forward pass stores them as it goes, in a dict named like the maths:
#
# `cache = {"A0": X, "Z1": ..., "A1": ..., ..., "ZL": ..., "AL": ...}`
#
# Here "L" stands for the number: a 2-layer network has exactly the keys `"A0"`, `"Z1"`, `"A1"`,
# `"Z2"`, `"A2"`, and `AL` is `cache["A2"]`. Each `Z` and `A` has shape $(n^{[l]}, m)$.

# %% solution="forward"
def forward(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """
    Forward pass through an L-layer network.

    Inputs:
    - X: numpy array of shape (n[0], m), one example per column
    - params: dict with "W1", "b1", ..., "WL", "bL"; W{l} has shape (n[l], n[l-1]) and
      b{l} has shape (n[l], 1)
    - hidden_activation: str, activation of layers 1 .. L-1 (any name layer_forward accepts)
    - output_activation: str, activation of layer L

    Returns a tuple (AL, cache):
    - AL: numpy array of shape (n[L], m), the output A[L]
    - cache: dict with exactly the keys "A0", "Z1", "A1", ..., "Z{L}", "A{L}"; "A0" is X,
      and "Z{l}", "A{l}" have shape (n[l], m)
    """
    ### BEGIN SOLUTION
    L = len(params) // 2
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        activation = output_activation if l == L else hidden_activation
        A, Z = layer_forward(A, params[f"W{l}"], params[f"b{l}"], activation)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return A, cache
    ### END SOLUTION


# %% test="forward" points=3
def _forward_result(result, where):
    """Unpack (AL, cache), saying what is wrong with the structure if it is not that."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError(f"forward {where}: expected a tuple (AL, cache), got {type(result).__name__}")
    AL, cache = result
    if isinstance(AL, dict) and not isinstance(cache, dict):
        raise AssertionError(f"forward {where}: returned (cache, AL); the order is (AL, cache)")
    if not isinstance(cache, dict):
        raise AssertionError(f"forward {where}: cache should be a dict, got {type(cache).__name__}")
    if "AL" in cache:
        raise AssertionError(f"forward {where}: cache has a key 'AL'. 'L' stands for the number of layers: "
                             "for L = 2 the last keys are 'Z2' and 'A2'")
    return AL, cache


def _call_forward(where, X, params, **activations):
    """forward(X, params, ...), with a KeyError for a parameter that is not there explained."""
    try:
        return check.check_not_mutated(forward, X, params, **activations)
    except KeyError as error:
        key = str(error.args[0]) if error.args else ""
        if key[:1] in ("W", "b") and key[1:].isdigit() and key not in params:
            raise AssertionError(
                f"forward {where}: looked up params[{key!r}], which is not there: params holds "
                f"{', '.join(params)} ({len(params)} entries), and each layer has two of them. How many layers "
                "does your loop run over?") from None
        raise


with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    # 1. The worked example of section 1 (numbers given to 6 decimals).
    params_121 = {"W1": np.array([[0.3], [0.4]]), "b1": np.array([[0.1], [0.2]]),
                  "W2": np.array([[1.0, -3.0]]), "b2": np.array([[0.2]])}
    X = np.array([[1.0]])
    result = _call_forward("on the 1-2-1 example", X, params_121, hidden_activation="sigmoid", output_activation="sigmoid")
    AL, cache = _forward_result(result, "on the 1-2-1 example")
    expected_cache = {"A0": X, "Z1": np.array([[0.4], [0.6]]), "A1": np.array([[0.598688], [0.645656]]),
                      "Z2": np.array([[-1.138281]]), "A2": np.array([[0.242636]])}
    check.check_dict(cache, expected_cache, name="cache (1-2-1 example)", rtol=0, atol=1e-6)
    check.check_array(AL, np.array([[0.242636]]), name="AL (1-2-1 example)", rtol=0, atol=1e-6)

    # 2. Three layers, a batch of 6, the default activations (relu hidden, sigmoid output).
    rng_t = np.random.default_rng(18)
    sizes = [4, 5, 3, 2]
    params = {}
    for l in range(1, 4):
        params[f"W{l}"] = rng_t.normal(size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng_t.normal(size=(sizes[l], 1))
    X = rng_t.normal(size=(4, 6))
    AL, cache = _forward_result(_call_forward("with the default activations", X, params), "with the default activations")
    expected_cache = {"A0": X}
    A = X
    for l in range(1, 4):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = 1 / (1 + np.exp(-Z)) if l == 3 else np.maximum(Z, 0)
        expected_cache[f"Z{l}"], expected_cache[f"A{l}"] = Z, A
    check.check_dict(cache, expected_cache, name="cache (sizes [4, 5, 3, 2], relu then sigmoid)")
    check.check_array(AL, expected_cache["A3"], name="AL (sizes [4, 5, 3, 2], relu then sigmoid)")

    # 3. Two layers, one example, tanh hidden and softmax output.
    params = {"W1": rng_t.normal(size=(3, 2)), "b1": rng_t.normal(size=(3, 1)),
              "W2": rng_t.normal(size=(4, 3)), "b2": rng_t.normal(size=(4, 1))}
    X = rng_t.normal(size=(2, 1))
    AL, cache = _forward_result(forward(X, params, hidden_activation="tanh", output_activation="softmax"),
                                "with tanh and softmax")
    Z1 = params["W1"] @ X + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = np.exp(Z2) / np.sum(np.exp(Z2), axis=0, keepdims=True)
    check.check_dict(cache, {"A0": X, "Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}, name="cache (sizes [2, 3, 4], tanh then softmax)")
    check.check_array(AL, A2, name="AL (sizes [2, 3, 4], tanh then softmax)")

    ### BEGIN HIDDEN TESTS
    def _sm(Z):
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
        return E / E.sum(axis=0, keepdims=True)

    _g = {
        "sigmoid": lambda Z: np.exp(-np.logaddexp(0, -Z)),
        "relu": lambda Z: np.maximum(Z, 0),
        "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z),
        "tanh": np.tanh,
        "softplus": lambda Z: np.logaddexp(0, Z),
        "swish": lambda Z: Z * np.exp(-np.logaddexp(0, -Z)),
        "identity": lambda Z: Z,
        "softmax": _sm,
    }
    _rng = np.random.default_rng(1009)
    _hiddens = ["relu", "tanh", "sigmoid", "leaky_relu", "swish", "softplus"]
    _outputs = ["sigmoid", "softmax", "identity"]
    for _trial in range(18):
        _L = int(_rng.integers(1, 5))
        _sizes = [int(s) for s in _rng.integers(1, 7, size=_L + 1)]
        _m = 1 if _trial % 3 == 0 else int(_rng.integers(2, 9))
        _hid, _out = _hiddens[_trial % 6], _outputs[_trial % 3]
        _params = {}
        for _l in range(1, _L + 1):
            _params[f"W{_l}"] = _rng.normal(size=(_sizes[_l], _sizes[_l - 1]))
            _params[f"b{_l}"] = _rng.normal(size=(_sizes[_l], 1))
        if _out == "softmax":                                   # large logits
            _params[f"W{_L}"] = 400 * _params[f"W{_L}"]
            _params[f"b{_L}"] = _params[f"b{_L}"] + 1000
        _X = _rng.normal(size=(_sizes[0], _m))
        _copies = {k: v.copy() for k, v in _params.items()}
        _X_copy = _X.copy()
        _where = f"for sizes {_sizes}, m = {_m}, {_hid!r} hidden, {_out!r} output"
        _res = forward(_X, _params, hidden_activation=_hid, output_activation=_out)
        assert np.array_equal(_X, _X_copy) and all(np.array_equal(_params[k], _copies[k]) for k in _copies) and set(_params) == set(_copies), f"forward: modified X or params in place {_where}"
        assert isinstance(_res, tuple) and len(_res) == 2 and isinstance(_res[1], dict), f"forward: expected a tuple (AL, cache) {_where}"
        _AL, _cache = _res
        _keys = {"A0"} | {f"Z{_l}" for _l in range(1, _L + 1)} | {f"A{_l}" for _l in range(1, _L + 1)}
        assert set(_cache) == _keys, f"forward: cache keys are wrong {_where} (expected exactly A0, Z1, A1, ..., Z{_L}, A{_L})"
        _A = _X
        assert np.shape(_cache["A0"]) == _X.shape and np.allclose(_cache["A0"], _X), f"forward: cache['A0'] should be X {_where}"
        for _l in range(1, _L + 1):
            _Z = _params[f"W{_l}"] @ _A + _params[f"b{_l}"]
            _A = _g[_out if _l == _L else _hid](_Z)
            assert np.shape(_cache[f"Z{_l}"]) == _Z.shape, f"forward: cache['Z{_l}'] has shape {np.shape(_cache[f'Z{_l}'])}, expected {_Z.shape} {_where}"
            assert np.shape(_cache[f"A{_l}"]) == _A.shape, f"forward: cache['A{_l}'] has shape {np.shape(_cache[f'A{_l}'])}, expected {_A.shape} {_where}"
            assert np.allclose(_cache[f"Z{_l}"], _Z, rtol=1e-6, atol=1e-8), f"forward: wrong cache['Z{_l}'] {_where}"
            assert np.all(np.isfinite(_cache[f"A{_l}"])), f"forward: NaN/inf in cache['A{_l}'] {_where} (is the activation stable?)"
            assert np.allclose(_cache[f"A{_l}"], _A, rtol=1e-6, atol=1e-8), f"forward: wrong cache['A{_l}'] {_where}"
        assert np.shape(_AL) == _A.shape and np.allclose(_AL, _A, rtol=1e-6, atol=1e-8), f"forward: AL is not A{_L} {_where}"
    ### END HIDDEN TESTS

check.passed("forward: correct, with the right cache.")

# %% [markdown]
# Your `forward` on the worked example, next to the numbers computed by hand in section 1:

# %%
try:
    params_121 = {"W1": W1_121, "b1": b1_121, "W2": W2_121, "b2": b2_121}
    AL_121, cache_121 = forward(x_121, params_121, hidden_activation="sigmoid", output_activation="sigmoid")
    by_hand = {"Z1": [0.4, 0.6], "A1": [0.598688, 0.645656], "Z2": [-1.138281], "A2": [0.242636]}
    print(f"{'key':<4} {'your forward':<26} by hand")
    for key, numbers in by_hand.items():
        print(f"{key:<4} {str(np.round(np.ravel(cache_121[key]), 6)):<26} {numbers}")
except NotImplementedError:
    print("Write forward (and the functions it uses) above to reproduce the worked example.")

# %% [markdown]
# And on a real batch: 200 points of the two-moons data set, a network with sizes
# $[2, 8, 8, 1]$ and random weights. Every entry of the cache has one column per example.

# %%
rng = np.random.default_rng(2)
X_moons, Y_moons = data.make_moons(200, noise=0.1, rng=rng)
sizes = [2, 8, 8, 1]
params_moons = {}
for l in range(1, len(sizes)):
    params_moons[f"W{l}"] = rng.normal(size=(sizes[l], sizes[l - 1])) * np.sqrt(2 / sizes[l - 1])
    params_moons[f"b{l}"] = np.zeros((sizes[l], 1))
try:
    AL_moons, cache_moons = forward(X_moons, params_moons)        # relu hidden, sigmoid output
    for key, value in cache_moons.items():
        print(f"cache[{key!r}]: shape {value.shape}")
    print(f"outputs lie in ({AL_moons.min():.3f}, {AL_moons.max():.3f}): probabilities of class 1, "
          "not yet trained to mean anything")
except NotImplementedError:
    print("Write forward above to see the cache of a real batch.")

# %% [markdown]
# ## 7. XOR from linear pieces
#
# XOR of two bits is 1 when exactly one of them is 1. As a classification problem in the plane,
# its positive points $(0,1)$ and $(1,0)$ sit on one diagonal of the unit square and its negative
# points $(0,0)$ and $(1,1)$ on the other. A single sigmoid unit $\sigma(w^T x + b)$ predicts 1
# on one side of the line $w^T x + b = 0$: no line puts both diagonals on different sides, so no
# single unit (and, by section 2, no purely linear network) can compute XOR.

# %% tags=["demo"]
X_xor = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
y_xor = np.array([0, 1, 1, 0])
fig, ax = plt.subplots(figsize=(3.6, 3.6))
for label, marker, color in [(0, "o", "tab:blue"), (1, "s", "tab:red")]:
    ax.scatter(*X_xor[:, y_xor == label], marker=marker, color=color, s=120, label=f"XOR = {label}")
ax.set_xlim(-0.5, 1.5)
ax.set_ylim(-0.5, 1.5)
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.legend(loc="center")
ax.set_title("XOR: no single line separates the classes")
plt.show()

# %% [markdown]
# Two lines do. XOR is "at least one" **and** "not both":
#
# - hidden unit 1 computes OR: on when $x_1 + x_2$ is above $0.5$;
# - hidden unit 2 computes NAND: on unless $x_1 + x_2$ is above $1.5$;
# - the output computes AND of the two hidden units.
#
# Each of these is a single sigmoid unit whose boundary is a line. Make the weights large (say,
# around 10 to 20) so that each sigmoid is close to 0 or 1 at the four corners, then choose each
# bias to put the line where you want it. Write the weights of this 2-2-1 network with sigmoid
# hidden and output units.

# %% solution="xor_params"
def xor_params():
    """
    Hand-set parameters of a 2-2-1 network (sigmoid hidden units, sigmoid output) computing XOR.

    Inputs: none

    Returns:
    - params: dict with "W1" of shape (2, 2), "b1" of shape (2, 1), "W2" of shape (1, 2) and
      "b2" of shape (1, 1), such that on X = [[0, 0, 1, 1], [0, 1, 0, 1]] the output A2 is > 0.5
      exactly in the columns (0, 1) and (1, 0)
    """
    ### BEGIN SOLUTION
    return {
        "W1": np.array([[20.0, 20.0], [-20.0, -20.0]]),   # OR, NAND
        "b1": np.array([[-10.0], [30.0]]),
        "W2": np.array([[20.0, 20.0]]),                    # AND
        "b2": np.array([[-30.0]]),
    }
    ### END SOLUTION


# %% test="xor_params" points=1
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    params = xor_params()
    if not isinstance(params, dict):
        raise AssertionError(f"xor_params: expected a dict, got {type(params).__name__}")
    if set(params) != {"W1", "b1", "W2", "b2"}:
        raise AssertionError(f"xor_params: keys should be exactly 'W1', 'b1', 'W2', 'b2', got {sorted(params)}")
    for key, shape in [("W1", (2, 2)), ("b1", (2, 1)), ("W2", (1, 2)), ("b2", (1, 1))]:
        check.check_shape(params[key], shape, name=f"xor_params()[{key!r}]")
        assert np.all(np.isfinite(params[key])), f"xor_params: {key} contains NaN or inf"
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    A1 = 1 / (1 + np.exp(-(params["W1"] @ X + params["b1"])))
    A2 = 1 / (1 + np.exp(-(params["W2"] @ A1 + params["b2"])))
    want = np.array([False, True, True, False])
    got = A2.ravel() > 0.5
    if not np.array_equal(got, want):
        wrong = [f"({int(X[0, i])}, {int(X[1, i])})" for i in range(4) if got[i] != want[i]]
        raise AssertionError(f"xor_params: the network outputs {np.round(A2.ravel(), 4)} on (0,0), (0,1), (1,0), (1,1); "
                             f"XOR needs > 0.5 exactly at (0,1) and (1,0). Wrong at {', '.join(wrong)}. "
                             "Check each hidden unit alone first (OR, NAND), then the output (AND).")

    ### BEGIN HIDDEN TESTS
    _p = xor_params()
    _p = {k: np.asarray(v, dtype=float) for k, v in _p.items()}
    _order = np.array([3, 1, 0, 2, 2, 1, 3, 0])
    _X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])[:, _order]
    _want = np.array([False, True, True, False])[_order]
    _A2 = 1 / (1 + np.exp(-(_p["W2"] @ (1 / (1 + np.exp(-(_p["W1"] @ _X + _p["b1"])))) + _p["b2"])))
    assert np.shape(_A2) == (1, 8) and np.array_equal(_A2.ravel() > 0.5, _want), "xor_params: wrong outputs on a shuffled batch of the four corners"
    for _i in range(4):
        _x = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])[:, _i:_i + 1]
        _a = 1 / (1 + np.exp(-(_p["W2"] @ (1 / (1 + np.exp(-(_p["W1"] @ _x + _p["b1"])))) + _p["b2"])))
        assert np.shape(_a) == (1, 1) and (_a[0, 0] > 0.5) == bool(_i in (1, 2)), "xor_params: wrong output for a single example (m = 1)"
    ### END HIDDEN TESTS

check.passed("xor_params: the network computes XOR.")

# %% [markdown]
# The decision boundary of your network over the whole plane: the dashed lines are the two hidden
# units' lines $w_j^T x + b_j = 0$ (rows of $W^{[1]}$ and $b^{[1]}$), and the shading is the
# network's output. The output region "class 1" is the band between two straight lines: a
# non-linear boundary made of linear pieces. The small dots are a noisy XOR data set
# (`data.make_xor`, its corners $\pm 1$ moved to $0$ and $1$) classified by your network.

# %% tags=["demo"]
rng = np.random.default_rng(3)
X_noisy, Y_noisy = data.make_xor(200, noise=0.12, rng=rng)
X_noisy = (X_noisy + 1) / 2                                # corners (+-1, +-1) -> (0 or 1, 0 or 1)
try:
    p_xor = xor_params()
    grid = np.linspace(-0.5, 1.5, 201)
    G1, G2 = np.meshgrid(grid, grid)
    X_grid = np.vstack([G1.ravel(), G2.ravel()])           # (2, 201 * 201), one point per column
    A_grid, _ = forward(X_grid, p_xor, hidden_activation="sigmoid", output_activation="sigmoid")
    A_noisy, _ = forward(X_noisy, p_xor, hidden_activation="sigmoid", output_activation="sigmoid")
    accuracy = np.mean((A_noisy > 0.5) == (Y_noisy > 0.5))

    fig, ax = plt.subplots(figsize=(5, 4.5))
    shade = ax.contourf(G1, G2, A_grid.reshape(G1.shape), levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(G1, G2, A_grid.reshape(G1.shape), levels=[0.5], colors="black", linewidths=0.8)
    plt.colorbar(shade, label="network output $A^{[2]}$")
    W1_x, b1_x = np.asarray(p_xor["W1"], dtype=float), np.asarray(p_xor["b1"], dtype=float)
    for j in range(2):                                      # the line w_j1 x1 + w_j2 x2 + b_j = 0
        w1, w2, bj = W1_x[j, 0], W1_x[j, 1], b1_x[j, 0]
        if abs(w2) > 1e-12:
            ax.plot(grid, -(w1 * grid + bj) / w2, "--", color=["tab:green", "tab:purple"][j], lw=2.5, zorder=3,
                    label=f"hidden unit {j + 1}: $w^T x + b = 0$")
        elif abs(w1) > 1e-12:
            ax.axvline(-bj / w1, ls="--", color=["tab:green", "tab:purple"][j], lw=2.5, zorder=3,
                       label=f"hidden unit {j + 1}: $w^T x + b = 0$")
    ax.scatter(*X_noisy, c=Y_noisy.ravel(), cmap="RdBu_r", s=8, edgecolors="none")
    for label, marker in [(0, "o"), (1, "s")]:
        ax.scatter(*X_xor[:, y_xor == label], marker=marker, c="white", edgecolors="black", s=120)
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"XOR net: accuracy {accuracy:.0%} on 200 noisy points")
    plt.show()
except NotImplementedError:
    print("Write xor_params and forward above to see the decision boundary.")

# %% [markdown]
# ## Summary
#
# - A layer computes $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$ and $A^{[l]} = g^{[l]}(Z^{[l]})$, with
#   $W^{[l]}$ of shape $(n^{[l]}, n^{[l-1]})$ and one example per column.
# - Without non-linear activations, any depth collapses to one linear layer.
# - `exp` overflows past about 709: sigmoid, softplus and softmax must be written so that it never
#   sees a large positive number (use $-|z|$, or subtract the column maximum).
# - The output activation follows the task: identity for regression, sigmoid for two classes,
#   softmax for $K$.
# - The forward pass stores every $Z^{[l]}$ and $A^{[l]}$ in `cache`; notebook 03 walks back
#   through it to compute all gradients in one backward pass.
