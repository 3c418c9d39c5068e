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
# # 09 · Backpropagation is reverse-mode automatic differentiation
#
# In notebooks 03 and 04 you derived the backward pass of a layered network by hand: four equations,
# each written for one kind of layer. A framework such as PyTorch or JAX never sees those equations.
# It records the operations a program performs, and it knows the derivative of each operation on its
# own. From that record alone it computes the gradient of any scalar result with respect to every
# input. This notebook builds that machine in under a hundred lines of NumPy and then checks that, fed
# a network, it gives back exactly the gradients of notebook 04.
#
# **What you will learn**
# - how to write a computation as a *tape*: a list of primitive operations in the order they ran;
# - that each primitive needs to know only its own local derivative, as a *vector-Jacobian product*
#   (VJP), and never a full Jacobian matrix; you derive two of them by hand and check them against
#   central differences;
# - reverse mode: walk the tape backwards from a scalar output and **add up** the gradient of a value
#   that is used more than once;
# - why broadcasting in the forward pass becomes a sum in the backward pass;
# - forward mode (Jacobian-vector products), and why training uses reverse mode: one pass per input
#   direction against one pass per output, measured;
# - that the four equations of notebook 03 are reverse mode written out for a layered network, and
#   that PyTorch's `autograd` does what your code does, recording its tape as the program runs.
#
# **What you will write** (14 points, and three written answers graded by hand, 6 points)
#
# | function | points |
# |---|---|
# | `evaluate(tape, values)`: run a tape forwards | 1 |
# | `unbroadcast(grad, shape)`: undo broadcasting in a gradient | 2 |
# | `vjp(op, input_values, output_value, grad_output)`: the local backward step of each primitive, two rows derived by you | 4 |
# | `reverse_mode(tape, values, output)`: the gradient of a scalar output for every name | 3 |
# | `forward_mode(tape, values, tangents)`: directional derivatives, pushed forwards | 2 |
# | `network_tape(num_layers, hidden_activation)`: a whole network written as a tape | 2 |
#
# Write each function in its answer cell, then run the test cell right below it. This notebook goes
# beyond the core sequence (it comes after the capstone); it uses only NumPy, like the others.

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
from matplotlib.patches import FancyBboxPatch
from threadpoolctl import threadpool_limits

from course import check

np.set_printoptions(precision=6, suppress=True)
# The matrices in this notebook are tiny: one BLAS thread multiplies them faster than several
# threads that wait for each other (and it makes the timings in section 6 steadier).
blas_threads = threadpool_limits(limits=1, user_api="blas")  # bound to a name, so the cell shows nothing

# %% [markdown]
# ## 1. A computation as a tape
#
# Take one tanh layer applied to one example and sum its outputs:
#
# $$s = \sum_i \tanh\big(W x + b\big)_i .$$
#
# A computer does not evaluate this in one go. It runs a few *primitive* operations one after the
# other, each storing its result under a name:
#
# | step | name | operation | shape |
# |---|---|---|---|
# | 1 | `z` | `matmul(W, x)`, that is $W x$ | $(2, 1)$ |
# | 2 | `a` | `add(z, b)` | $(2, 1)$ |
# | 3 | `h` | `tanh(a)`, element-wise | $(2, 1)$ |
# | 4 | `s` | `sum(h)`, all entries | a scalar |
#
# We record that list as a **tape**: a Python list of `(name, op, inputs)` tuples, where `inputs` is
# a tuple of names, in the order the operations run.
#
# ```python
# tape = [("z", "matmul", ("W", "x")),
#         ("a", "add",    ("z", "b")),
#         ("h", "tanh",   ("a",)),
#         ("s", "sum",    ("h",))]
# ```
#
# The names that no tuple produces (`W`, `x`, `b`) are the tape's **inputs**; their values come in a
# dict `values = {"W": ..., "x": ..., "b": ...}` (arrays, or Python floats for scalars). The names the
# tuples produce (`z`, `a`, `h`, `s`) are its **nodes**. Read as a graph, every name is a vertex and
# every tuple draws arrows from its inputs to its own name. The graph has no cycles: a tuple can only
# read names that exist already.
#
# The **worked example** of this notebook is this tape with
#
# $$x = \begin{bmatrix}1\\2\end{bmatrix},\qquad
# W = \begin{bmatrix}0.5 & -1\\ 2 & 0.25\end{bmatrix},\qquad
# b = \begin{bmatrix}0.1\\-0.3\end{bmatrix}.$$

# %% [markdown]
# ## Given: the primitives
#
# The next cell is **given**: run it, do not edit it. `PRIMITIVES` maps each operation's name to the
# function that computes it. There are nine:
#
# | op | inputs | output |
# |---|---|---|
# | `"add"`, `"mul"` | `x`, `y` | `x + y`, `x * y`, element-wise with NumPy broadcasting |
# | `"matmul"` | `A`, `B` | the matrix product `A @ B` |
# | `"tanh"`, `"relu"`, `"exp"`, `"log"` | `x` | element-wise $\tanh x$, $\max(x, 0)$, $e^x$, $\ln x$ |
# | `"sum"` | `x` | the sum of all entries of `x`, a scalar |
# | `"softmax_cross_entropy"` | `Z`, `Y` | $-\frac{1}{m}\sum_{j=1}^{m}\sum_k Y_{kj}\,\log \mathrm{softmax}(Z)_{kj}$, a Python float |
#
# The last one is the cost of a softmax classifier on a batch: `Z` $(K, m)$ holds the output layer's
# pre-activations, one column per example, `Y` $(K, m)$ the one-hot labels, and the cost is the mean
# of the $m$ cross-entropies. It is computed from a numerically stable log-softmax. `Y` is data, not
# something we differentiate: it counts as a constant.
#
# The cell also defines `softmax(Z)` (column by column) and the worked example, `WORKED_TAPE` and
# `WORKED_VALUES`.

# %%
# ---------------------------------------------------------------- GIVEN: the primitives


def softmax(Z):
    """Column-wise softmax of Z (K, m), stable for large entries: each column sums to 1."""
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True)


def softmax_cross_entropy(Z, Y):
    """Mean over the m columns of -sum_k Y[k] log softmax(Z)[k], as a Python float. Z, Y: (K, m)."""
    shifted = Z - np.max(Z, axis=0, keepdims=True)
    log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
    return float(-np.sum(Y * log_softmax) / Z.shape[1])


PRIMITIVES = {
    "add": lambda x, y: x + y,
    "mul": lambda x, y: x * y,
    "matmul": lambda x, y: x @ y,
    "tanh": lambda x: np.tanh(x),
    "relu": lambda x: np.maximum(x, 0.0),
    "exp": lambda x: np.exp(x),
    "log": lambda x: np.log(x),
    "sum": lambda x: np.sum(x),
    "softmax_cross_entropy": softmax_cross_entropy,
}

WORKED_TAPE = [("z", "matmul", ("W", "x")),
               ("a", "add", ("z", "b")),
               ("h", "tanh", ("a",)),
               ("s", "sum", ("h",))]
WORKED_VALUES = {"x": np.array([[1.0], [2.0]]),
                 "W": np.array([[0.5, -1.0], [2.0, 0.25]]),
                 "b": np.array([[0.1], [-0.3]])}

# %% [markdown]
# `PRIMITIVES["tanh"](np.array([0.0, 1.0]))` is `tanh` applied to an array, and
# `PRIMITIVES["matmul"](W, x)` is `W @ x`. A tape says *which* primitive to apply to *which* names;
# `PRIMITIVES` says how.
#
# The next cell is also given: `draw_tape(tape, positions, values=None, grads=None, title="")` draws a
# small tape as a graph, each name a box at the position given for it, and writes beside each box its
# value (blue) and its gradient (red) when you pass them. Here is the worked example's graph, with no
# numbers yet.

# %%
# ---------------------------------------------------------------- GIVEN: a picture of a small tape
WORKED_POSITIONS = {"W": (0.0, 1.1), "x": (0.0, -1.1), "z": (2.6, 0.0), "b": (2.6, -2.1),
                    "a": (5.2, 0.0), "h": (7.8, 0.0), "s": (10.4, 0.0)}


def format_value(value, decimals=4):
    """A short text for a scalar, a column (written as a transposed row) or a small matrix."""
    array = np.asarray(value, dtype=float)
    number = f"{{:.{decimals}f}}"
    if array.size == 1:
        return number.format(float(array.ravel()[0]))
    if array.ndim == 2 and array.shape[1] == 1:
        return "[" + ", ".join(number.format(v) for v in array[:, 0]) + "]$^T$"
    rows = ["[" + ", ".join(number.format(v) for v in row) + "]" for row in np.atleast_2d(array)]
    return "[" + ",\n ".join(rows) + "]"


def draw_tape(tape, positions, values=None, grads=None, title=""):
    """Draw a tape as a graph: one box per name at positions[name] (x, y), grey arrows from each
    node's inputs to the node, its value above the box (blue) and its gradient below (red)."""
    output = tape[-1][0]
    produced = {name: (op, inputs) for name, op, inputs in tape}
    fig, ax = plt.subplots(figsize=(10.5, 4.3))
    half_w, half_h = 0.95, 0.3
    for name, op, inputs in tape:
        x1, y1 = positions[name]
        for source in inputs:
            x0, y0 = positions[source]
            ax.annotate("", xy=(x1 - half_w, y1), xytext=(x0 + half_w, y0),
                        arrowprops=dict(arrowstyle="-|>", color="0.55", lw=1.3, shrinkA=2, shrinkB=2))
    for name, (x, y) in positions.items():
        is_input = name not in produced
        ax.add_patch(FancyBboxPatch((x - half_w, y - half_h), 2 * half_w, 2 * half_h,
                                    boxstyle="round,pad=0.02", facecolor="0.93" if is_input else "white",
                                    edgecolor="0.2", lw=1.3))
        if is_input:
            label = f"{name}  (input)"
        else:
            op, inputs = produced[name]
            label = f"{name} = {op}({', '.join(inputs)})"
        ax.text(x, y, label, ha="center", va="center", fontsize=9.5, family="monospace")
        if values is not None and name in values:
            ax.text(x, y + half_h + 0.08, format_value(values[name]), ha="center", va="bottom",
                    fontsize=8.5, color="tab:blue")
        if grads is not None and name in grads:
            text = format_value(grads[name])
            label = rf"$\partial {output}/\partial {name}$ =" + ("\n" if "\n" in text else " ")
            ax.text(x, y - half_h - 0.08, label + text, ha="center", va="top", fontsize=8.5, color="tab:red")
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    ax.set(xlim=(min(xs) - 1.25, max(xs) + 1.25), ylim=(min(ys) - 1.0, max(ys) + 1.0))
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    plt.tight_layout()
    plt.show()


# %% tags=["demo"]
draw_tape(WORKED_TAPE, WORKED_POSITIONS, title="The worked example's tape as a graph (grey boxes: inputs)")

# %% [markdown]
# ### Exercise 1: `evaluate` [1 point]
#
# Run a tape forwards. Start from a **new** dict holding the inputs (a copy of `values`; the caller's
# dict must not change), then go through the tape in order: for each `(name, op, inputs)`, look up the
# values of the input names, apply `PRIMITIVES[op]` to them (one argument per input name, so
# `PRIMITIVES[op](*args)`) and store the result under `name`. Return the dict, which then holds every
# input and every node.
#
# For the worked example the result must hold
#
# | name | value |
# |---|---|
# | `z` | $[-1.5,\ 2.5]^T$ |
# | `a` | $[-1.4,\ 2.2]^T$ |
# | `h` | $[-0.885352,\ 0.975743]^T$ |
# | `s` | $0.090391$ |

# %% solution="evaluate"
def evaluate(tape, values):
    """Run a tape forwards.

    Inputs:
        tape:   list of (name, op, inputs) tuples in the order they run; op is a key of PRIMITIVES and
                inputs a tuple of names (inputs of the tape, or nodes produced earlier)
        values: {input name: array, or Python float for a scalar}, one entry per input of the tape
    Returns:
        a NEW dict: every input of `values` and every node's value, keyed by name (values unchanged)
    """
    ### BEGIN SOLUTION
    computed = dict(values)
    for name, op, inputs in tape:
        computed[name] = PRIMITIVES[op](*[computed[i] for i in inputs])
    return computed
    ### END SOLUTION


# %% test="evaluate" points=1
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _evaluate_call(tape, values, label):
        try:
            got = check.check_not_mutated(evaluate, tape, values, hint=(
                "the caller's values dict must stay as it was: start from a copy of it (dict(values)) and store "
                "each node's value in the copy"))
        except TypeError as error:
            raise AssertionError(f"evaluate ({label}) raised TypeError ({error}): each primitive takes its inputs "
                                 "as separate arguments, one per input name, not one list: unpack the list of "
                                 "input values") from None
        except KeyError as error:
            raise AssertionError(f"evaluate ({label}) looked up a name that was not there, {error}: start from a "
                                 "copy of values (the inputs), store each node's value in that copy under its "
                                 "name as you go, read every input of a tuple from the copy (values holds only "
                                 "the tape's inputs), and go through the tape in order, first tuple first") from None
        assert isinstance(got, dict), f"evaluate ({label}) should return a dict, got {type(got).__name__}"
        assert got is not values, (f"evaluate ({label}) returned the dict it was given: start from a copy of "
                                   "values and add the nodes to the copy; do not change the caller's dict")
        nodes = [name for name, _, _ in tape]
        missing_inputs = [name for name in values if name not in got]
        assert not missing_inputs, (f"evaluate ({label}): the inputs {missing_inputs} are missing from the result: "
                                    "it holds the inputs AND every node")
        missing_nodes = [name for name in nodes if name not in got]
        assert not missing_nodes, f"evaluate ({label}): no value for the node(s) {missing_nodes}"
        extra = [name for name in got if name not in values and name not in nodes]
        assert not extra, f"evaluate ({label}): unexpected names {extra}: only inputs and nodes"
        for name, value in values.items():
            check.check_array(got[name], np.asarray(value, dtype=float), f"evaluate ({label})[{name!r}], an input")
        return got

    # 1. The worked example.
    _tape = [("z", "matmul", ("W", "x")), ("a", "add", ("z", "b")), ("h", "tanh", ("a",)), ("s", "sum", ("h",))]
    _values = {"x": np.array([[1.0], [2.0]]), "W": np.array([[0.5, -1.0], [2.0, 0.25]]),
               "b": np.array([[0.1], [-0.3]])}
    _got = _evaluate_call(_tape, _values, "the worked example")
    check.check_array(_got["z"], np.array([[-1.5], [2.5]]), "evaluate (worked example)['z'] = W @ x")
    check.check_array(_got["a"], np.array([[-1.4], [2.2]]), "evaluate (worked example)['a'] = z + b")
    check.check_array(_got["h"], np.array([[-0.885352], [0.975743]]), "evaluate (worked example)['h'] = tanh(a)",
                      rtol=0, atol=1e-6)
    check.check_scalar(_got["s"], 0.090391, "evaluate (worked example)['s'] = sum(h)", rtol=0, atol=1e-6)

    # 2. Broadcasting, a Python float input, a value read twice, exp, log, relu and the softmax cost.
    _rng = np.random.default_rng(91)
    _X, _b, _Y = _rng.standard_normal((3, 4)), _rng.standard_normal((3, 1)), np.eye(3)[:, [0, 2, 1, 2]]
    _tape = [("u", "mul", ("X", "c")), ("v", "add", ("u", "b")), ("e", "exp", ("v",)), ("l", "log", ("e",)),
             ("r", "relu", ("l",)), ("q", "mul", ("r", "r")), ("C", "softmax_cross_entropy", ("v", "Y"))]
    _values = {"X": _X, "c": 0.5, "b": _b, "Y": _Y}
    _got = _evaluate_call(_tape, _values, "a tape with broadcasting and a Python float")
    _v = _X * 0.5 + _b
    for _name, _want in [("u", _X * 0.5), ("v", _v), ("e", np.exp(_v)), ("l", _v), ("r", np.maximum(_v, 0)),
                         ("q", np.maximum(_v, 0) ** 2)]:
        check.check_array(_got[_name], _want, f"evaluate (broadcasting tape)[{_name!r}]")
    _shifted = _v - _v.max(axis=0)
    _cost = -np.sum(_Y * (_shifted - np.log(np.exp(_shifted).sum(axis=0)))) / 4
    check.check_scalar(_got["C"], _cost, "evaluate (broadcasting tape)['C'], the softmax cross-entropy")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_run(tape, values):
        out = dict(values)
        for name, op, inputs in tape:
            out[name] = PRIMITIVES[op](*[out[i] for i in inputs])
        return out

    def _h_tapes(rng):
        n, k, m = (int(v) for v in rng.integers(1, 5, size=3))
        layer = ([("z", "matmul", ("W", "x")), ("a", "add", ("z", "b")), ("h", "tanh", ("a",)), ("s", "sum", ("h",))],
                 {"W": rng.standard_normal((n, k)), "x": rng.standard_normal((k, m)), "b": rng.standard_normal((n, 1))})
        shared = ([("u", "matmul", ("W", "X")), ("v", "mul", ("u", "u")), ("cu", "mul", ("u", "c")),
                   ("e", "exp", ("cu",)), ("p", "add", ("v", "e")), ("q", "log", ("p",)), ("r", "mul", ("q", "g")),
                   ("t", "relu", ("u",)), ("w", "add", ("r", "t")), ("s", "sum", ("w",))],
                  {"W": rng.standard_normal((n, k)), "X": rng.standard_normal((k, m)),
                   "c": float(rng.uniform(-1, 1)), "g": rng.standard_normal((1, m))})
        L = int(rng.integers(1, 4))
        sizes = [int(v) for v in rng.integers(2, 5, size=L + 1)]
        net_values = {"X": rng.standard_normal((sizes[0], m + 1)),
                      "Y": np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m + 1)]}
        net = []
        previous = "X"
        for l in range(1, L + 1):
            net_values[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            net_values[f"b{l}"] = rng.standard_normal((sizes[l], 1))
            net += [(f"U{l}", "matmul", (f"W{l}", previous)), (f"Z{l}", "add", (f"U{l}", f"b{l}"))]
            previous = f"Z{l}"
            if l < L:
                net.append((f"A{l}", ["relu", "tanh"][l % 2], (previous,)))
                previous = f"A{l}"
        net.append(("C", "softmax_cross_entropy", (previous, "Y")))
        return [layer, shared, (net, net_values)]

    _rng = np.random.default_rng(9001)
    for _trial in range(3):
        for _tape, _values in _h_tapes(_rng):
            _saved = {k: np.copy(v) for k, v in _values.items()}
            _got = evaluate(_tape, _values)
            _want = _h_run(_tape, _saved)
            assert isinstance(_got, dict) and _got is not _values, "evaluate must return a new dict"
            assert set(_got) == set(_want), f"evaluate: the result's names {sorted(_got)} should be {sorted(_want)}"
            for _k, _w in _want.items():
                assert np.shape(_got[_k]) == np.shape(_w), f"evaluate: {_k!r} has shape {np.shape(_got[_k])}"
                assert np.allclose(_got[_k], _w, rtol=1e-9, atol=1e-12), f"evaluate: the value of {_k!r} is wrong"
            assert all(np.array_equal(_values[k], v) for k, v in _saved.items()) and set(_values) == set(_saved), (
                "evaluate modified values")
### END HIDDEN TESTS

check.passed("evaluate: every node of the tape has its value, and values is left alone.")

# %% [markdown]
# Your `evaluate` on the worked example, next to the values it should give:

# %% tags=["demo"]
try:
    _computed = evaluate(WORKED_TAPE, WORKED_VALUES)
    for _name, _want in [("z", "[-1.5, 2.5]"), ("a", "[-1.4, 2.2]"), ("h", "[-0.885352, 0.975743]"),
                         ("s", "0.090391")]:
        print(f"{_name}: yours {np.ravel(_computed[_name])}   expected {_want}")
except NotImplementedError:
    print("Write evaluate above to see the worked example's values.")

# %% [markdown]
# ## 2. Each primitive knows only its local derivative
#
# We want the gradient of the scalar output $s$ with respect to every name $v$ on the tape. As in
# notebooks 03 and 04, where $dW$ stood for $\partial C/\partial W$, write $dv$ for
# $\partial s/\partial v$: an array of the same shape as $v$ (it is also called the *adjoint* of $v$).
# At the output, $ds = 1$.
#
# Now take one node, $y = f(x_1, \dots, x_k)$. Suppose $dy$ is known. Since $s$ depends on $x_i$
# through $y$ here, the chain rule gives that part of $dx_i$ as
#
# $$dx_i \mathrel{+}= J_i^T\, dy, \qquad J_i = \frac{\partial y}{\partial x_i}\ \text{(the Jacobian, with $y$ and $x_i$ flattened)}.$$
#
# That product of a vector with a Jacobian is a **vector-Jacobian product** (VJP). The point is that
# no Jacobian is ever built. `tanh` on a $(100, 64)$ array has a $6400 \times 6400$ Jacobian, almost
# all zeros, because entry $i$ of the output depends only on entry $i$ of the input (notebook 01: an
# element-wise map has a diagonal Jacobian). Its VJP is one element-wise product:
#
# $$da = dh \odot \big(1 - h^2\big), \qquad h = \tanh a .$$

# %% [markdown]
# ### The VJP of each primitive
#
# Each primitive therefore comes with a small function: given its inputs, its output $y$ and $dy$
# (the argument `grad_output`, shaped like the output), return one $dx_i$ per input, shaped like that
# input. That is all a primitive needs to know about derivatives. It knows nothing about the rest of
# the tape. Seven rows are given; the two marked *derive* are yours to work out, below.
#
# | op | output $y$ | gradients handed back |
# |---|---|---|
# | `add` | $x + z$ | $dx = dy$, $dz = dy$ (then undo broadcasting, below) |
# | `mul` | $x \odot z$ | *derive* (with broadcasting) |
# | `matmul` | $A B$ | $dA = dy\, B^T$, $dB = A^T dy$ |
# | `tanh` | $h = \tanh x$ | $dx = dy \odot (1 - h^2)$, from the **output** |
# | `relu` | $\max(x, 0)$ | $dx = dy \odot [x > 0]$ (so $\mathrm{relu}'(0) = 0$) |
# | `exp` | $e = e^x$ | $dx = dy \odot e$ |
# | `log` | $\ln x$ | $dx = dy / x$ |
# | `sum` | $\sum_{ij} x_{ij}$ | $dx = dy \cdot \mathbf 1$, a scalar spread over every entry of $x$ |
# | `softmax_cross_entropy` | $C$ | *derive* $dZ$; $dY = 0$ |
#
# $[x > 0]$ is 1 where $x > 0$ and 0 elsewhere, **at exactly $x = 0$ too**: the course's convention
# $\mathrm{relu}'(0) = 0$, which the tests check.

# %% [markdown]
# **How a row is derived: matmul.** Take $A$ $(p, q)$ and $B$ $(q, r)$. Entry $(i, j)$ of $AB$ is
# $\sum_k A_{ik} B_{kj}$, so $A_{ik}$ affects the whole row $i$ of the output, each entry through the
# factor $B_{kj}$. Add up what each of those output entries hands back:
#
# $$dA_{ik} = \sum_j dy_{ij} B_{kj} = (dy\, B^T)_{ik}.$$
#
# The shapes check it: $dy$ is $(p, r)$, $B^T$ is $(r, q)$, and $dA$ must be $(p, q)$ like $A$.
# The same reasoning over the columns gives $dB = A^T dy$, $(q, p)(p, r) = (q, r)$ like $B$.
#
# The recipe is always the same: (1) write one output entry in terms of the input entries; (2) find
# which output entries a given input entry reaches, and with what local derivative; (3) sum
# $dy \times$ local derivative over those entries; (4) write the result for whole arrays and check
# its shape.

# %% [markdown]
# ### Broadcasting forwards is a sum backwards
#
# In notebook 04 the bias $b$ $(n, 1)$ was added to $W A$ $(n, m)$. NumPy *broadcasts*: it acts as if
# $b$ were copied into all $m$ columns. Each copy then carries its own gradient, and since all the
# copies are the same $b$, the gradient of $b$ is the sum of theirs: the sum of $dy$ over the
# columns, shape $(n, 1)$. That is where notebook 04's `np.sum(delta, axis=1, keepdims=True)` comes
# from.
#
# In general, `add` and `mul` hand back an array of the *output's* shape, which has to be brought back
# to the input's shape in two steps:
#
# 1. axes that broadcasting **added** in front (a `(4,)` input next to a `(3, 4)` one behaves as
#    `(1, 4)` and then `(3, 4)`; a Python float behaves as shape `()`): sum over the leading axes until
#    the number of axes matches;
# 2. axes that broadcasting **stretched** (size 1 in the input's shape, larger in the gradient): sum
#    over each of them, keeping it as size 1 (`keepdims=True`).
#
# For instance a gradient of shape $(3, 4)$ becomes: $(3, 1)$ by summing over axis 1; $(1, 4)$ by
# summing over axis 0; $(4,)$ by summing over axis 0 and dropping it; and $()$, the scalar of a Python
# float input, by summing everything.

# %% [markdown]
# ### Exercise 2: `unbroadcast` [2 points]
#
# Return `grad` summed over the axes that broadcasting added or stretched, so that the result has
# exactly the shape `shape` (a tuple; `()` for a scalar). When `grad` already has that shape, return it
# unchanged (a copy). Do not modify `grad`.

# %% solution="unbroadcast"
def unbroadcast(grad, shape):
    """The gradient of a broadcast input: `grad` summed back to the input's shape.

    Inputs:
        grad:  array (or Python float) of the output's shape, e.g. (n, m)
        shape: tuple, the input's shape before broadcasting, e.g. (n, 1), (1, m), (m,) or () for a scalar
    Returns:
        array of shape exactly `shape`: grad summed over the leading axes that broadcasting added and
        over every axis where `shape` has size 1 but grad does not
    """
    ### BEGIN SOLUTION
    grad = np.array(grad, dtype=float)   # a copy: the caller's array stays as it was
    shape = tuple(shape)
    while grad.ndim > len(shape):        # axes that broadcasting added in front
        grad = np.sum(grad, axis=0)
    for axis, size in enumerate(shape):  # axes that it stretched from size 1
        if size == 1 and grad.shape[axis] != 1:
            grad = np.sum(grad, axis=axis, keepdims=True)
    return grad.reshape(shape)
    ### END SOLUTION


# %% test="unbroadcast" points=2
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _unbroadcast_case(grad, shape, want, label):
        name = f"unbroadcast(grad {np.shape(grad)}, shape {shape}) ({label})"
        try:
            got = check.check_not_mutated(unbroadcast, grad, shape, hint=(
                "grad belongs to the caller: np.sum returns a new array, so sum into new arrays and leave grad "
                "as it was (no +=, no writing into it)"))
        except ValueError as error:
            raise AssertionError(f"{name} raised ValueError ({error}): the sums left a shape that cannot become "
                                 f"{tuple(shape)}: first sum away the leading axes that broadcasting added, then "
                                 "sum over each axis where shape has size 1 (axis 1 for an (n, 1) column, axis 0 "
                                 "for a (1, m) row), not over the other one") from None
        got_shape = np.shape(got)
        if got_shape != tuple(shape):
            if got_shape == np.shape(grad):
                raise AssertionError(f"{name}: nothing was summed, the result still has grad's shape {got_shape}: "
                                     f"sum over every axis where shape has size 1 (keepdims=True) and over the "
                                     f"leading axes broadcasting added")
            if len(got_shape) == np.ndim(grad) and len(shape) < np.ndim(grad):
                raise AssertionError(f"{name}: shape {got_shape}: broadcasting also ADDED leading axes: sum over "
                                     f"the leading axes until grad has as many axes as shape")
            if tuple(shape) == ():
                raise AssertionError(f"{name}: shape {got_shape}, expected (): a scalar input's gradient is the sum "
                                     "of every entry, reshaped to shape ()")
            if len(got_shape) == len(shape) and any(g == 1 and s != 1 for g, s in zip(got_shape, shape)):
                raise AssertionError(f"{name}: shape {got_shape}, expected {tuple(shape)}: summed over the wrong "
                                     "axis: sum over the axes where shape has size 1")
            if len(got_shape) < len(shape) and int(np.prod(got_shape)) == int(np.prod(shape)):
                raise AssertionError(f"{name}: shape {got_shape}, expected {tuple(shape)}: the sum over a stretched "
                                     "axis dropped it: keep it as size 1 (keepdims=True)")
        g = np.asarray(grad, dtype=float)
        shrink = int(np.prod(shape)) / g.size
        if (shrink != 1 and np.shape(got) == tuple(shape) and not np.allclose(want * shrink, want)
                and np.allclose(np.asarray(got, dtype=float), want * shrink)):
            raise AssertionError(f"{name}: averaged instead of summed: every copy that broadcasting made hands its "
                                 "own full gradient back, so the copies' gradients add up: np.sum, not np.mean")
        if g.ndim == 2 and len(shape) == 2 and 1 in shape and g.shape[0] == g.shape[1] and tuple(shape) != (1, 1):
            wrong_axis = 0 if shape[1] == 1 else 1   # the axis that was NOT stretched
            wrong = np.sum(g, axis=wrong_axis, keepdims=True).reshape(shape)
            if not np.allclose(wrong, want) and np.allclose(np.asarray(got, dtype=float), wrong):
                raise AssertionError(f"{name}: summed over the wrong axis (axis {wrong_axis}): shape {tuple(shape)} "
                                     f"was stretched along axis {1 - wrong_axis}, so sum over that one")
        check.check_array(got, want, name)

    _rng = np.random.default_rng(92)
    _g = _rng.standard_normal((3, 4))
    _unbroadcast_case(_g, (3, 1), _g.sum(axis=1, keepdims=True), "a bias column: sum over the columns")
    _unbroadcast_case(_g, (1, 4), _g.sum(axis=0, keepdims=True), "a row: sum over the rows")
    _unbroadcast_case(_g, (4,), _g.sum(axis=0), "a 1-D input: a leading axis was added")
    _unbroadcast_case(_g, (), np.array(_g.sum()), "a Python float: sum everything")
    _unbroadcast_case(_g, (1, 1), _g.sum(keepdims=True), "a (1, 1) array: both axes stretched")
    _unbroadcast_case(_g, (3, 4), _g, "no broadcasting: unchanged")
    _sq = _rng.standard_normal((3, 3))
    _unbroadcast_case(_sq, (3, 1), _sq.sum(axis=1, keepdims=True), "a square gradient and a column")
    _unbroadcast_case(_sq, (1, 3), _sq.sum(axis=0, keepdims=True), "a square gradient and a row")
    _g3 = _rng.standard_normal((2, 3, 4))
    _unbroadcast_case(_g3, (3, 1), _g3.sum(axis=0).sum(axis=1, keepdims=True), "a leading axis added and one stretched")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(9002)
    for _trial in range(12):
        _ndim = int(_rng.integers(1, 4))
        _full = tuple(int(v) for v in _rng.integers(2, 5, size=_ndim))
        _kept = int(_rng.integers(0, _ndim + 1))             # how many trailing axes the input has
        _shape = tuple(1 if _rng.random() < 0.5 else size for size in _full[_ndim - _kept:])
        _grad = _rng.standard_normal(_full)
        _want = _grad.sum(axis=tuple(range(_ndim - _kept)))
        _want = _want.sum(axis=tuple(i for i, s in enumerate(_shape) if s == 1), keepdims=True).reshape(_shape)
        _saved = _grad.copy()
        _got = unbroadcast(_grad, _shape)
        assert np.shape(_got) == _shape, f"unbroadcast(grad {_full}, {_shape}) has shape {np.shape(_got)}"
        assert np.allclose(_got, _want, rtol=1e-10, atol=1e-12), f"unbroadcast(grad {_full}, {_shape}) is wrong"
        assert np.array_equal(_grad, _saved), "unbroadcast modified grad"
    # a Python float gradient for a scalar input
    _got = unbroadcast(2.5, ())
    assert np.shape(_got) == () and float(_got) == 2.5, "unbroadcast(2.5, ()) should be 2.5"
### END HIDDEN TESTS

check.passed("unbroadcast: added axes and stretched axes are summed away, and the shape comes out exact.")

# %% [markdown]
# ## Derive two rows yourself
#
# Two rows of the table are left blank: you derive them here, on paper first, with the recipe of the
# matmul row, and check each against the numbers that the demo after `numeric_vjp` (below) prints
# before you write any code.
#
# **Row `mul`, $y = x \odot z$.**
#
# 1. *Same shapes.* With $x$ and $z$ both $(n, m)$, $y_{ij} = x_{ij} z_{ij}$. Which entries of $y$
#    does $x_{ij}$ reach, and with what local derivative? Sum $dy \times$ that derivative over them,
#    and write $dx$ and $dz$ for whole arrays.
# 2. *Broadcasting.* Now let $x$ be a column $(n, 1)$ and $z$ an $(n, m)$ array, so that
#    $y_{ij} = x_{i} z_{ij}$: the single entry $x_i$ is used in every column. How many entries of $y$
#    does it reach now? Write $dx_i$ as a sum, and say which step of `unbroadcast` that sum is. And
#    $dz$?
# 3. *By hand.* For $x = \begin{bmatrix}2\\-1\end{bmatrix}$,
#    $z = \begin{bmatrix}1 & 3 & -2\\ 0.5 & 2 & 1\end{bmatrix}$ and
#    $dy = \begin{bmatrix}1 & 0 & 2\\ -1 & 1 & 0.5\end{bmatrix}$, compute $dx$ (shape $(2, 1)$) and
#    $dz$ (shape $(2, 3)$).
#
# **Row `softmax_cross_entropy`, $C = -\frac1m \sum_{j=1}^{m} \sum_k Y_{kj} \log p_{kj}$** with
# $p_{:,j} = \mathrm{softmax}(Z_{:,j})$, each column one example.
#
# 1. *One column* (drop the index $j$). Write $\log p_k = z_k - \log \sum_l e^{z_l}$, which is what the
#    given function computes. Differentiate it with respect to $z_i$: the first term gives 1 when
#    $i = k$ and 0 otherwise; what is the derivative of $\log \sum_l e^{z_l}$ with respect to $z_i$,
#    and which entry of $p$ is it?
# 2. *The loss of the column*, $\ell = -\sum_k Y_k \log p_k$: put step 1 in, and simplify with
#    $\sum_k Y_k = 1$ (a one-hot column). You should be left with two terms, one from $p$ and one from
#    $Y$: mind the sign.
# 3. *The batch.* $Z_{ij}$ enters only column $j$'s loss, and $C$ is the **mean** of the $m$ losses:
#    which factor does that put in front? Along which axis does the softmax run (rows are classes,
#    columns are examples)?
# 4. *The chain rule.* The gradient arriving at $C$ is $dy$ (`grad_output`, a number): where does it go?
# 5. *$Y$* is data, a constant: its gradient is zeros of $Y$'s shape.
#
# Check: $dZ$ has $Z$'s shape $(K, m)$, and each of its columns sums to 0 (why?). For
# $Z = \begin{bmatrix}1 & 0.5\\ 2 & -1\\ 0 & 1.5\end{bmatrix}$, labels class 1 then class 2 (counting
# from 0) and $dy = 1$, the cells below print the numbers your formula must give.

# %% [markdown]
# The next cell is **given**: `numeric_vjp(op, input_values, grad_output)` computes a VJP by central
# differences, without any formula: for each input entry $x_k$ it moves $x_k$ by $\pm h$ and measures
# how $\langle dy, y\rangle = \sum dy \odot y$ changes,
#
# $$dx_k \approx \frac{\langle dy,\ f(\dots, x_k + h, \dots)\rangle - \langle dy,\ f(\dots, x_k - h, \dots)\rangle}{2h}.$$
#
# Its step is $h = 10^{-6}$. Central differences err by about $h^2$ times the third derivative
# (truncation) plus about $10^{-16}/h$ times the size of the values (float64 rounding, amplified by the
# division by $h$). The two balance near $h \approx 10^{-5}$; at $h = 10^{-6}$ both stay below about
# $10^{-9}$ for the small, smooth values of this notebook, far below the differences a wrong formula
# makes. It is slow (two evaluations per input entry) and only approximate, which is why
# frameworks use VJPs, but it is the referee for any formula you derive. It moves every input,
# `Y` too; a VJP does not differentiate with respect to data, so ignore what it says for `Y`.

# %%
# ---------------------------------------------------------------- GIVEN: a VJP by central differences


def numeric_vjp(op, input_values, grad_output, h=1e-6):
    """d<grad_output, PRIMITIVES[op](*inputs)> / d input, by central differences: a list, one array per input."""
    grads = []
    for i, value in enumerate(input_values):
        value = np.asarray(value, dtype=float)
        grad = np.zeros(value.shape)
        for index in np.ndindex(value.shape):
            moved = []
            for step in (h, -h):
                entry = value.copy()
                entry[index] += step
                args = [entry if j == i else v for j, v in enumerate(input_values)]
                moved.append(np.sum(grad_output * PRIMITIVES[op](*args)))
            grad[index] = (moved[0] - moved[1]) / (2 * h)
        grads.append(grad)
    return grads


# %% tags=["demo"]
_dx, _dz = numeric_vjp("mul", [np.array([[2.0], [-1.0]]), np.array([[1.0, 3.0, -2.0], [0.5, 2.0, 1.0]])],
                       np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5]]))
print("mul, by central differences:\ndx =\n", _dx, "\ndz =\n", _dz)
_dZ, _ = numeric_vjp("softmax_cross_entropy", [np.array([[1.0, 0.5], [2.0, -1.0], [0.0, 1.5]]),
                                               np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])], 1.0)
print("softmax_cross_entropy, by central differences (dY is zeros by definition):\ndZ =\n", _dZ)


# %% [markdown]
# ### Exercise 3: `vjp` [4 points]
#
# One backward step of one primitive: given the op's name, the list of its input values, its output
# value and the gradient of the output `grad_output` ($dy$, shaped like the output), return a
# **tuple with one gradient per input**, each shaped like that input: two for `add`, `mul`, `matmul`
# and `softmax_cross_entropy`, `(dx,)` for the one-input ops. Use the table of section 2 and your two
# derived rows:
#
# - `add`: call your `unbroadcast` on each gradient with its input's shape (`np.shape(x)` works for
#   Python floats too, giving `()`);
# - `mul`: your row, with the sum of its step 2 done by your `unbroadcast`;
# - `matmul`: `grad_output @ B.T` and `A.T @ grad_output`, no broadcasting involved;
# - `tanh` and `exp`: use `output_value`, which the forward pass already computed;
# - `relu`: 1 where the input is strictly positive, 0 elsewhere, at exactly 0 too;
# - `sum`: `grad_output` is a scalar; spread it over an array of ones shaped like the input;
# - `softmax_cross_entropy`: your row for `Z` (the given `softmax(Z)` normalises each column), and
#   zeros shaped like `Y`.
#
# Multiply by `grad_output` everywhere: it is rarely 1 (the tests make sure it is not). The test
# checks your two derived rows against `numeric_vjp` on new shapes, and names the usual slips.

# %% solution="vjp"
def vjp(op, input_values, output_value, grad_output):
    """One primitive's vector-Jacobian product: the gradients of its inputs from its output's gradient.

    Inputs:
        op:           a key of PRIMITIVES
        input_values: list (or tuple) of the op's input values, in order (arrays or Python floats)
        output_value: the op's output, PRIMITIVES[op](*input_values)
        grad_output:  the gradient of the final scalar with respect to the output, shaped like output_value
    Returns:
        tuple with one gradient per input, each of the same shape as that input
        (for softmax_cross_entropy: (dZ, zeros shaped like Y))
    """
    ### BEGIN SOLUTION
    dy = grad_output
    if op == "add":
        x, z = input_values
        return unbroadcast(dy, np.shape(x)), unbroadcast(dy, np.shape(z))
    if op == "mul":
        x, z = input_values
        return unbroadcast(dy * z, np.shape(x)), unbroadcast(dy * x, np.shape(z))
    if op == "matmul":
        A, B = input_values
        return dy @ B.T, A.T @ dy
    x = input_values[0]
    if op == "tanh":
        return (dy * (1 - output_value ** 2),)
    if op == "relu":
        return (dy * (np.asarray(x) > 0),)
    if op == "exp":
        return (dy * output_value,)
    if op == "log":
        return (dy / x,)
    if op == "sum":
        return (dy * np.ones(np.shape(x)),)
    if op == "softmax_cross_entropy":
        Z, Y = input_values
        return dy * (softmax(Z) - Y) / Z.shape[1], np.zeros(np.shape(Y))
    raise ValueError(f"unknown primitive {op!r}")
    ### END SOLUTION


# %% test="vjp" points=4
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _numeric_vjp(op, inputs, dy, h=1e-6):
        """This test's own central differences of <dy, op(inputs)>, one array per input."""
        grads = []
        for i, value in enumerate(inputs):
            value = np.asarray(value, dtype=float)
            grad = np.zeros(value.shape)
            for index in np.ndindex(value.shape):
                plus, minus = value.copy(), value.copy()
                plus[index] += h
                minus[index] -= h
                up = np.sum(dy * PRIMITIVES[op](*[plus if j == i else v for j, v in enumerate(inputs)]))
                down = np.sum(dy * PRIMITIVES[op](*[minus if j == i else v for j, v in enumerate(inputs)]))
                grad[index] = (up - down) / (2 * h)
            grads.append(grad)
        return grads

    def _vjp_case(op, inputs, g, want, wrongs, label, m=None, rtol=1e-6, atol=1e-8):
        """Call vjp, check it returns one gradient per input shaped like it, and name a known wrong answer."""
        out = PRIMITIVES[op](*inputs)
        name = f"vjp({op!r}) ({label})"
        try:
            got = check.check_not_mutated(vjp, op, list(inputs), out, g, hint=(
                "the input values, the output value and grad_output belong to the tape: compute each gradient as "
                "a new array (dy * z, not dy *= z) and leave them as they were"))
        except ValueError as error:
            raise AssertionError(f"{name} raised ValueError ({error}): a shape mismatch; for out = A @ B the "
                                 "gradients are dA = dy @ B.T and dB = A.T @ dy; for add and mul, unbroadcast each "
                                 "gradient to its input's shape AFTER multiplying by the other factor") from None
        if len(inputs) == 1 and hasattr(got, "shape"):
            raise AssertionError(f"{name} returned a single array: return a tuple with one gradient per input, "
                                 "(dx,) for a one-input op")
        assert isinstance(got, (tuple, list)), f"{name} should return a tuple, got {type(got).__name__}"
        assert len(got) == len(inputs), (f"{name} returned {len(got)} gradient(s) for {len(inputs)} input(s): one "
                                         "per input, in the order of the inputs")
        for i, (value, grad, expected) in enumerate(zip(inputs, got, want)):
            which = f"{name}, the gradient of input {i} (shape {np.shape(value)})"
            if grad is None:
                raise AssertionError(f"{which} is None: every input gets a gradient shaped like it (a constant "
                                     "such as Y gets zeros, np.zeros_like(Y))")
            if np.shape(grad) != np.shape(value):
                if op == "mul" and np.shape(grad) == np.shape(out):
                    raise AssertionError(f"{which} has the output's shape {np.shape(grad)}: the sum over the axes "
                                         "broadcasting added or stretched is missing: multiply dy by the OTHER "
                                         "factor first, then unbroadcast that product to this input's shape "
                                         "(unbroadcasting dy first and multiplying after stretches it back)")
                if op == "add" and np.shape(grad) == np.shape(out):
                    raise AssertionError(f"{which} has the output's shape {np.shape(grad)}: unbroadcasting "
                                         f"forgotten: pass it through unbroadcast(..., np.shape(input))")
                if op in ("add", "mul") and np.ndim(value) == 0:
                    raise AssertionError(f"{which} has shape {np.shape(grad)}: the input is a Python float, "
                                         "shape (): its gradient is a single number, the sum of every entry")
                if op in ("add", "mul") and np.ndim(grad) < np.ndim(value):
                    raise AssertionError(f"{which} has shape {np.shape(grad)}: the sum dropped an axis: keep the "
                                         "stretched axis as size 1 (keepdims=True), as unbroadcast does")
                if op in ("add", "mul") and np.ndim(grad) == np.ndim(value) == 2:
                    raise AssertionError(f"{which} has shape {np.shape(grad)}: summed over the wrong axis: sum "
                                         "over the axes where the input has size 1 (the ones broadcasting stretched)")
                if op == "sum":
                    raise AssertionError(f"{which} has shape {np.shape(grad)}: the output of sum is one number, "
                                         "but each input's gradient is shaped like the input: spread grad_output "
                                         "over it, grad_output * np.ones(np.shape(x))")
                if op == "matmul":
                    raise AssertionError(f"{which} has shape {np.shape(grad)}: for out = A @ B the gradients are "
                                         "dA = dy @ B.T (shape of A) and dB = A.T @ dy (shape of B)")
                if op == "softmax_cross_entropy" and i == 0:
                    raise AssertionError(f"{which} has shape {np.shape(grad)}: dZ has Z's shape (K, m), one column "
                                         "per example: do not sum or average over the examples, the 1/m of the "
                                         "mean cost is a factor")
            for wrong, hint in wrongs.get(i, []):
                if (np.shape(wrong) == np.shape(expected) and not np.allclose(wrong, expected)
                        and np.allclose(np.asarray(grad, dtype=float), wrong)):
                    raise AssertionError(f"{which}: {hint}")
            check.check_array(grad, expected, which, m=m, rtol=rtol, atol=atol)

    _rng = np.random.default_rng(93)
    _X, _b, _r = _rng.standard_normal((3, 4)), _rng.standard_normal((3, 1)), _rng.standard_normal((1, 4))
    _g = _rng.standard_normal((3, 4))

    # add: a bias column broadcast over 4 columns
    _vjp_case("add", [_X, _b], _g, [_g, _g.sum(axis=1, keepdims=True)], {}, "(3, 4) + (3, 1)")
    _sq, _row, _gs = _rng.standard_normal((3, 3)), _rng.standard_normal((1, 3)), _rng.standard_normal((3, 3))
    _vjp_case("add", [_sq, _row], _gs, [_gs, _gs.sum(axis=0, keepdims=True)],
              {1: [(_gs.sum(axis=1, keepdims=True).T, "summed over the wrong axis: a row (1, 3) was copied down "
                    "the rows, so sum over axis 0")]}, "(3, 3) + (1, 3)")

    # mul, the row you derived: checked against central differences (the test's own numeric_vjp).
    _SAME = "the gradient of {} in x * z is dy times the OTHER factor, {}"
    _MEAN = ("averaged over the broadcast axis: each copy of the input receives its own full piece, so the "
             "pieces are SUMMED (as unbroadcast does), not averaged")
    _mx, _mz = np.array([[2.0], [-1.0]]), np.array([[1.0, 3.0, -2.0], [0.5, 2.0, 1.0]])
    _mg = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5]])
    _vjp_case("mul", [_mx, _mz], _mg, _numeric_vjp("mul", [_mx, _mz], _mg),
              {0: [(np.sum(_mg * _mx, axis=1, keepdims=True), _SAME.format("x", "z")),
                   (np.mean(_mg * _mz, axis=1, keepdims=True), _MEAN),
                   (np.sum(_mz, axis=1, keepdims=True), "multiply by grad_output (dy): dx sums dy * z")],
               1: [(_mg * _mz, _SAME.format("z", "x")), (_mx * np.ones((2, 3)), "multiply by grad_output (dy)")]},
              "the example of section 2: (2, 1) * (2, 3)", rtol=1e-5, atol=1e-7)
    _vjp_case("mul", [_X, _r], _g, _numeric_vjp("mul", [_X, _r], _g),
              {0: [(_g * _X, _SAME.format("x", "z")),
                   (_r * np.ones((3, 4)), "multiply by grad_output (dy): dx = dy * z")],
               1: [(np.sum(_g * _r, axis=0, keepdims=True), _SAME.format("z", "x")),
                   (np.mean(_g * _X, axis=0, keepdims=True), _MEAN),
                   (np.sum(_X, axis=0, keepdims=True), "multiply by grad_output (dy): dz sums dy * x")]},
              "(3, 4) * (1, 4)", rtol=1e-5, atol=1e-7)
    _vjp_case("mul", [_X, 0.7], _g, _numeric_vjp("mul", [_X, 0.7], _g),
              {1: [(np.array(np.mean(_g * _X)), _MEAN), (np.array(np.sum(_g * 0.7)), _SAME.format("z", "x"))]},
              "(3, 4) times a Python float: its gradient is a single number, shape ()", rtol=1e-5, atol=1e-7)

    # matmul: square matrices, so a missing transpose keeps the shapes and only the values show it
    _A, _B, _gm = _rng.standard_normal((3, 3)), _rng.standard_normal((3, 3)), _rng.standard_normal((3, 3))
    _vjp_case("matmul", [_A, _B], _gm, [_gm @ _B.T, _A.T @ _gm],
              {0: [(_gm @ _B, "dA = dy @ B.T: the transpose of B is missing"),
                   (_B.T @ _gm, "dA = dy @ B.T, in that order (dy on the left)"),
                   (_B @ _gm, "dA = dy @ B.T")],
               1: [(_A @ _gm, "dB = A.T @ dy: the transpose of A is missing"),
                   (_gm @ _A.T, "dB = A.T @ dy, in that order (A.T on the left)"),
                   (_gm @ _A, "dB = A.T @ dy")]}, "(3, 3) @ (3, 3)")
    _A2, _B2 = _rng.standard_normal((2, 3)), _rng.standard_normal((3, 4))
    _g2 = _rng.standard_normal((2, 4))
    _vjp_case("matmul", [_A2, _B2], _g2, [_g2 @ _B2.T, _A2.T @ _g2], {}, "(2, 3) @ (3, 4)")
    # the element-wise ops
    _Z = _rng.standard_normal((3, 4)) * 1.5
    _h = np.tanh(_Z)
    _vjp_case("tanh", [_Z], _g, [_g * (1 - _h ** 2)],
              {0: [(_g * (1 - _Z ** 2), "tanh's derivative is 1 - out**2 with out = tanh(x), the OUTPUT, "
                    "not 1 - x**2"),
                   (1 - _h ** 2, "multiply by grad_output"),
                   (_g * (1 - _h), "tanh's derivative is 1 - out**2 (squared)")]}, "(3, 4)")
    _Zr = _Z.copy()
    _Zr[0, :2] = 0.0   # exactly at the kink
    _vjp_case("relu", [_Zr], _g, [_g * (_Zr > 0)],
              {0: [(_g * (_Zr >= 0), "relu'(0) = 0 in this course: where x is exactly 0 the gradient is 0, so "
                    "the mask is x > 0, not x >= 0"),
                   (_g * np.where(_Zr == 0, 0.5, _Zr > 0), "relu'(0) = 0 in this course: where x is exactly 0 "
                    "the gradient is 0, not 1/2"),
                   (_g * np.maximum(_Zr, 0), "relu's derivative is 1 where x > 0 and 0 elsewhere: dy * (x > 0), "
                    "not dy * relu(x)"),
                   ((_Zr > 0) * 1.0, "multiply by grad_output: dy * (x > 0)")]}, "(3, 4), two entries exactly 0")
    _vjp_case("exp", [_Z], _g, [_g * np.exp(_Z)],
              {0: [(_g * _Z, "exp's derivative is exp(x) itself, which is output_value"),
                   (np.exp(_Z), "multiply by grad_output")]}, "(3, 4)")
    _P = _rng.uniform(0.3, 3.0, size=(3, 4))
    _vjp_case("log", [_P], _g, [_g / _P],
              {0: [(_g * _P, "log's derivative is 1 / x: dy / x"),
                   (_g / np.log(_P), "log's derivative is 1 / x (the input), not 1 / log(x)"),
                   (_g * np.log(_P), "log's derivative is 1 / x: dy / x"),
                   (-_g / _P ** 2, "that is the derivative of 1 / x; log's derivative is 1 / x itself"),
                   (1 / _P, "multiply by grad_output: dy / x")]}, "(3, 4)")
    _vjp_case("sum", [_X], 0.7, [np.full((3, 4), 0.7)],
              {0: [(np.ones((3, 4)), "multiply by grad_output: every entry of x gets grad_output")]},
              "(3, 4), grad_output 0.7")

    # softmax_cross_entropy, the row you derived: against central differences; Y is a constant.
    _Zc, _Yc = _rng.standard_normal((3, 5)), np.eye(3)[:, [0, 1, 2, 1, 0]]
    _S = softmax(_Zc)
    _E = np.exp(_Zc)
    _S_rows = _E / _E.sum(axis=1, keepdims=True)
    _S_all = _E / _E.sum()
    _dZ = _numeric_vjp("softmax_cross_entropy", [_Zc, _Yc], 0.7)[0]
    _vjp_case("softmax_cross_entropy", [_Zc, _Yc], 0.7, [_dZ, np.zeros((3, 5))],
              {0: [(0.7 * (_S - _Yc), "the cost is a MEAN over the m = 5 columns (examples): the 1/m is missing"),
                   ((_S - _Yc) / 5, "multiply by grad_output (dy, 0.7 here): the chain rule's last step"),
                   (0.7 * (_Yc - _S) / 5, "sign flipped: check step 2 of the derivation (which term carries the "
                                          "minus of -sum Y log p?)"),
                   (0.7 * (_S - _Yc) / 3, "the mean runs over the m examples, the COLUMNS of Z (Z.shape[1] = 5), "
                                          "not over the K = 3 classes (rows)"),
                   (0.7 * (_S_rows - _Yc) / 5, "the softmax ran along the wrong axis (over each ROW): each column is "
                                               "one example, so normalise each column (the given softmax(Z) does)"),
                   (0.7 * (_S_all - _Yc) / 5, "the softmax normalised over the whole array: normalise each column "
                                              "(one example) on its own, as the given softmax(Z) does"),
                   (-0.7 * _Yc / _S / 5, "that is the gradient with respect to the probabilities p = softmax(Z); "
                                         "carry the chain rule on through the softmax to Z (step 1: differentiate "
                                         "log p_k = z_k - log sum_l exp(z_l) with respect to z_i)"),
                   (0.7 * (_S - _Yc) * _S * (1 - _S) / 5, "the softmax's Jacobian is not diagonal: an element-wise "
                                                         "p(1 - p) factor is the sigmoid's derivative; derive with "
                                                         "log p_k = z_k - log sum_l exp(z_l) (step 1)"),
                   (0.7 * _S / 5, "the label term is missing: step 2 leaves two terms, one from p and one from Y")],
               1: [(-0.7 * np.log(_S) / 5, "Y is a constant (the labels): its gradient is zeros, "
                    "np.zeros_like(Y)"),
                   (0.7 * (_Yc - _S) / 5, "Y is a constant (the labels): its gradient is zeros, np.zeros_like(Y)"),
                   (0.7 * (_S - _Yc) / 5, "Y is a constant (the labels): its gradient is zeros, np.zeros_like(Y)")]},
              "Z (3, 5), grad_output 0.7", m=5, rtol=1e-5, atol=1e-7)
    _dY = vjp("softmax_cross_entropy", [_Zc, _Yc], softmax_cross_entropy(_Zc, _Yc), 1.0)[1]
    assert not np.any(np.asarray(_dY)), ("vjp('softmax_cross_entropy'): a nonzero gradient flows into Y; Y is a "
                                         "constant (the labels), so return np.zeros_like(Y)")
    # the worked numbers of section 2 (K = 3, m = 2), against central differences
    _Zw, _Yw = np.array([[1.0, 0.5], [2.0, -1.0], [0.0, 1.5]]), np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    _vjp_case("softmax_cross_entropy", [_Zw, _Yw], 1.0,
              [_numeric_vjp("softmax_cross_entropy", [_Zw, _Yw], 1.0)[0], np.zeros((3, 2))], {},
              "the example of section 2", m=2, rtol=1e-5, atol=1e-7)

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    _rng = np.random.default_rng(9003)
    for _trial in range(30):
        _n, _k, _m = (int(v) for v in _rng.integers(1, 5, size=3))
        _m = max(_m, 2)
        _ops = {
            "add": lambda: [_rng.standard_normal((_n, _m)), [_rng.standard_normal((_n, 1)), _rng.standard_normal((1, _m)),
                                                             float(_rng.normal()), _rng.standard_normal((_m,))][_trial % 4]],
            "mul": lambda: [[_rng.standard_normal((1, _m)), float(_rng.normal()), _rng.standard_normal((_n, 1)),
                             _rng.standard_normal((_n, _m))][_trial % 4], _rng.standard_normal((_n, _m))],
            "matmul": lambda: [_rng.standard_normal((_n, _k)), _rng.standard_normal((_k, _m))],
            "tanh": lambda: [_rng.standard_normal((_n, _m)) * 2],
            "relu": lambda: [np.where(_rng.random((_n, _m)) < 0.3, 0.0, _rng.standard_normal((_n, _m)))],
            "exp": lambda: [_rng.standard_normal((_n, _m))],
            "log": lambda: [_rng.uniform(0.2, 3.0, size=(_n, _m))],
            "sum": lambda: [_rng.standard_normal((_n, _m))],
            "softmax_cross_entropy": lambda: [_rng.standard_normal((_n + 1, _m)),
                                              np.eye(_n + 1)[:, _rng.integers(0, _n + 1, size=_m)]],
        }
        _op = list(_ops)[_trial % len(_ops)]
        _inputs = _ops[_op]()
        _out = PRIMITIVES[_op](*_inputs)
        _g = float(_rng.uniform(0.5, 2)) if np.ndim(_out) == 0 else _rng.standard_normal(np.shape(_out))
        _saved = [np.copy(v) for v in _inputs]
        _got = vjp(_op, list(_inputs), _out, _g)
        assert isinstance(_got, (tuple, list)) and len(_got) == len(_inputs), f"vjp({_op!r}): one gradient per input"
        _want = _numeric_vjp(_op, _inputs, _g)
        if _op == "softmax_cross_entropy":
            _want[1] = np.zeros(np.shape(_inputs[1]))
        if _op == "relu":
            _want[0] = np.where(_inputs[0] == 0, 0.0, _want[0])   # relu'(0) = 0: differences straddle the kink
        for _i, (_gi, _wi) in enumerate(zip(_got, _want)):
            assert np.shape(_gi) == np.shape(_inputs[_i]), (
                f"vjp({_op!r}) on shapes {[np.shape(v) for v in _inputs]}: input {_i}'s gradient has shape {np.shape(_gi)}")
            assert np.allclose(_gi, _wi, rtol=1e-5, atol=1e-6), (
                f"vjp({_op!r}) on shapes {[np.shape(v) for v in _inputs]}: input {_i}'s gradient is wrong")
        assert all(np.array_equal(v, s) for v, s in zip(_inputs, _saved)), f"vjp({_op!r}) modified its inputs"
    # relu'(0) = 0, exactly at the kink, with a gradient that is not 1
    _x0 = np.array([[0.0, 1.5, -2.0], [0.0, -0.0, 3.0]])
    _got0 = np.asarray(vjp("relu", [_x0], np.maximum(_x0, 0.0), np.full((2, 3), 1.7))[0], dtype=float)
    assert np.array_equal(_got0, 1.7 * (_x0 > 0)), "vjp('relu'): relu'(0) = 0, and 1 where x > 0"
    # both factors broadcast: (n, 1) * (1, m), and the softmax cost with more examples than classes
    for _trial in range(3):
        _col, _row = _rng.standard_normal((3, 1)), _rng.standard_normal((1, 4))
        _gb = _rng.standard_normal((3, 4))
        _got = vjp("mul", [_col, _row], _col * _row, _gb)
        assert np.allclose(_got[0], (_gb * _row).sum(axis=1, keepdims=True)) and np.shape(_got[0]) == (3, 1), (
            "vjp('mul') with a (3, 1) column times a (1, 4) row: the column's gradient is wrong")
        assert np.allclose(_got[1], (_gb * _col).sum(axis=0, keepdims=True)) and np.shape(_got[1]) == (1, 4), (
            "vjp('mul') with a (3, 1) column times a (1, 4) row: the row's gradient is wrong")
        _Zh, _Yh = _rng.standard_normal((2, 6)), np.eye(2)[:, _rng.integers(0, 2, size=6)]
        _dh = float(_rng.uniform(0.5, 2))
        _got = vjp("softmax_cross_entropy", [_Zh, _Yh], softmax_cross_entropy(_Zh, _Yh), _dh)
        assert np.allclose(_got[0], _numeric_vjp("softmax_cross_entropy", [_Zh, _Yh], _dh)[0], rtol=1e-5,
                           atol=1e-7), "vjp('softmax_cross_entropy') on Z (2, 6): dZ is wrong"
        assert np.shape(_got[1]) == (2, 6) and not np.any(_got[1]), "vjp('softmax_cross_entropy'): dY is zeros"
### END HIDDEN TESTS

check.passed("vjp: every primitive hands back one gradient per input, shaped like it.")

# %% [markdown]
# ## 3. Reverse mode: walk the tape backwards, and add
#
# Now chain the local steps. Every name gets a gradient, starting at zero; the output's is set to 1
# (the *seed*, $\partial s/\partial s = 1$). Then go through the tape **backwards**, and for each node
# hand its gradient to its inputs with `vjp`, **adding** each piece to what the input already has:
#
# ```
# values = evaluate(tape, values)               # forward: every node's value, kept for the way back
# grads  = zeros for every name;  grads[output] = 1.0
# for (name, op, inputs) in the tape, last tuple first:
#     pieces = vjp(op, values of inputs, values[name], grads[name])
#     for each input i and its piece:  grads[i] = grads[i] + piece
# ```
#
# Each gradient has the shape of its value, so `grads[i]` and every piece added to it agree.

# %% [markdown]
# **Why backwards.** When the loop reaches a node, its gradient must be complete: every node that
# reads it must already have handed its piece back. Those readers come *later* on the tape, because a
# tuple can only read names made before it.
#
# In other words, the tape is in *topological order*: an order in which every value comes after the
# values it is computed from. Reversed, it puts every value after all the values computed from it,
# so walking the tape from the end guarantees that every reader is done first.

# %% [markdown]
# **Why add.** A value read twice influences the output along two paths, and the chain rule for
# several variables sums over the paths. In $s = \mathrm{sum}(x \odot x)$, $x$ reaches `mul` twice,
# once as each factor, and `mul`'s VJP hands it one piece per factor; only their sum is the derivative
# of $x^2$. A loop that *assigns* `grads[i] = piece` keeps the last piece and loses the others.

# %% [markdown]
# **What it costs.** Reverse mode needs the forward values: `tanh`'s VJP needs $h$, `matmul`'s needs
# both factors. A framework keeps every intermediate value of the forward pass until the backward
# pass has used it, and that memory is what reverse mode pays for its speed.

# %% [markdown]
# ### Exercise 4: `reverse_mode` [3 points]
#
# Return `{name: d output / d name}` for **every** input and **every** node, each shaped like its value
# (the gradient of a Python float input is a single number). Call your `evaluate` once for the values
# and your `vjp` once per tuple. Start each gradient at zeros of its value's shape
# (`np.zeros(np.shape(value))`), seed `output` with 1.0, walk `reversed(tape)`, and add.
#
# A VJP may hand back the very array it was given: `add`'s gradient passes through unchanged, and
# PyTorch's `add` does not copy it. Your `reverse_mode` must work with such a `vjp` too (the test
# runs it with one), so never change in place an array that a `vjp` returned.
#
# For the worked example: $dh = [1, 1]^T$; $da = dz = db = 1 - h^2 = [0.216152,\ 0.047925]^T$;
# $dW = dz\, x^T = [[0.216152,\ 0.432305],\ [0.047925,\ 0.095851]]$;
# $dx = W^T dz = [0.203927,\ -0.204171]^T$ (each $dv$ is $\partial s/\partial v$).

# %% solution="reverse_mode"
def reverse_mode(tape, values, output):
    """Reverse-mode automatic differentiation: the gradient of one scalar node for every name.

    Inputs:
        tape:   list of (name, op, inputs) tuples, in the order they run
        values: {input name: array or Python float}
        output: the name of a scalar node (usually the last one)
    Returns:
        {name: d output / d name} for every input and every node, each shaped like its value;
        a value used more than once gets the SUM of the gradients from each use
    """
    ### BEGIN SOLUTION
    computed = evaluate(tape, values)
    grads = {name: np.zeros(np.shape(value)) for name, value in computed.items()}
    grads[output] = grads[output] + 1.0
    for name, op, inputs in reversed(tape):
        pieces = vjp(op, [computed[i] for i in inputs], computed[name], grads[name])
        for input_name, piece in zip(inputs, pieces):
            grads[input_name] = grads[input_name] + piece
    return grads
    ### END SOLUTION


# %% test="reverse_mode" points=3
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _r_run(tape, values, bump=None):
        """This test's own forward loop; bump = (name, delta) adds delta to one node right after it is made."""
        out = dict(values)
        for name, op, inputs in tape:
            out[name] = PRIMITIVES[op](*[out[i] for i in inputs])
            if bump is not None and bump[0] == name:
                out[name] = out[name] + bump[1]
        return out

    def _r_numeric(tape, values, output, h=1e-6):
        """d output / d name for EVERY input and node, by central differences (a node is moved right after it
        is computed, so that everything downstream of it moves with it)."""
        grads = {}
        for name, value in _r_run(tape, values).items():
            grad = np.zeros(np.shape(value))
            for index in np.ndindex(grad.shape):
                step = np.zeros(grad.shape)
                step[index] = h
                ends = []
                for sign in (1, -1):
                    if name in values:
                        ends.append(float(_r_run(tape, {**values, name: np.asarray(values[name], dtype=float)
                                                        + sign * step})[output]))
                    else:
                        ends.append(float(_r_run(tape, values, (name, sign * step))[output]))
                grad[index] = (ends[0] - ends[1]) / (2 * h)
            grads[name] = grad
        return grads

    def _r_with_vjp(calls, passing, func, *args, **kwargs):
        """Run func with the notebook's vjp swapped for one that records each call (and, if passing, hands
        add's gradient through as the very same array, as a framework may); the vjp is put back after."""
        global vjp
        student_vjp = vjp

        def recording_vjp(op, input_values, output_value, grad_output):
            calls.append((op, np.shape(output_value), grad_output))
            pieces = student_vjp(op, input_values, output_value, grad_output)
            if passing and op == "add" and isinstance(grad_output, np.ndarray):
                pieces = tuple(grad_output if np.shape(v) == np.shape(grad_output) else piece
                               for v, piece in zip(input_values, pieces))
            return pieces

        vjp = recording_vjp
        try:
            return func(*args, **kwargs)
        finally:
            vjp = student_vjp

    class _LookupsLogged(dict):
        """The caller's values, noting each name looked up in them that is not there."""

        def __getitem__(self, name):
            if name not in self:
                self.missing.append(name)
            return super().__getitem__(name)

    def _reverse_call(tape, values, output, label, passing=False):
        calls = []
        logged = _LookupsLogged(values)
        logged.missing = []
        try:
            got = _r_with_vjp(calls, passing, check.check_not_mutated, reverse_mode, tape, logged, output, hint=(
                "the caller's values must stay as they were: keep the nodes' values in the dict your evaluate "
                "returns and the gradients in a dict of their own"))
        except KeyError as error:
            if logged.missing:
                raise AssertionError(f"reverse_mode ({label}) looked up the VALUE of the node {error} in values, "
                                     "the caller's dict, which holds only the tape's inputs: evaluate the tape "
                                     "first (your evaluate) and read every value, inputs and nodes, from its "
                                     "result") from None
            raise AssertionError(f"reverse_mode ({label}) looked up a GRADIENT that was not there, {error}: give "
                                 "every name (inputs and nodes) a zero gradient before the loop, and walk the tape "
                                 "BACKWARDS (reversed(tape)), so that a node's gradient is complete before it is "
                                 "handed to its inputs") from None
        except (ValueError, IndexError, TypeError) as error:
            for op, out_shape, grad_output in calls:
                if np.shape(grad_output) != out_shape and np.ndim(grad_output) == 0:
                    raise AssertionError(
                        f"reverse_mode ({label}) raised {type(error).__name__} ({error}): vjp({op!r}) for a node "
                        f"of shape {out_shape} was given grad_output = {grad_output!r}, a plain number: the number "
                        "1.0 seeds the output's gradient only; pass grads[name], the gradient of the node itself "
                        "(shaped like the node), as grad_output") from None
            raise AssertionError(f"reverse_mode ({label}) raised {type(error).__name__} ({error}): a shape "
                                 "mismatch; check that the tests of vjp and unbroadcast pass, that each gradient "
                                 "starts as zeros of its value's shape, and that vjp gets grads[name], the gradient "
                                 "of the node itself, as grad_output") from None
        assert isinstance(got, dict), f"reverse_mode ({label}) should return a dict, got {type(got).__name__}"
        names = list(values) + [name for name, _, _ in tape]
        missing = [name for name in names if name not in got]
        assert not missing, (f"reverse_mode ({label}): no gradient for {missing}: return one for EVERY input and "
                             "every node")
        return got

    def _check_every_name(got, want, label, skip=()):
        """Every input's and every node's gradient against central differences, naming a shared array."""
        for name, expected in want.items():
            if name in skip:
                continue
            if np.shape(got[name]) == np.shape(expected) and not np.allclose(
                    np.asarray(got[name], dtype=float), expected, rtol=1e-5, atol=1e-6):
                sharing = [other for other in got if other != name and isinstance(got[other], np.ndarray)
                           and isinstance(got[name], np.ndarray) and np.shares_memory(got[other], got[name])]
                if sharing:
                    raise AssertionError(
                        f"{label}: the gradient of {name!r} is wrong, and it is one and the same array as the "
                        f"gradient of {sharing}: a gradient was stored as the very array a vjp returned (add "
                        "hands its gradient through unchanged), and a later in-place += changed every name that "
                        "holds that array. Add with grads[i] = grads[i] + piece (a new array), or start every "
                        "gradient at zeros of its own")
            check.check_array(got[name], expected, f"{label}[{name!r}]", rtol=1e-5, atol=1e-6)

    def _all_zero(got, names):
        return all(not np.any(np.asarray(got[name], dtype=float)) for name in names)

    # 1. The worked example.
    _tape = [("z", "matmul", ("W", "x")), ("a", "add", ("z", "b")), ("h", "tanh", ("a",)), ("s", "sum", ("h",))]
    _values = {"x": np.array([[1.0], [2.0]]), "W": np.array([[0.5, -1.0], [2.0, 0.25]]),
               "b": np.array([[0.1], [-0.3]])}
    _got = _reverse_call(_tape, _values, "s", "the worked example")
    if _all_zero(_got, ["x", "W", "b", "z", "a", "h"]):
        if np.allclose(np.asarray(_got["s"], dtype=float), 0.0):
            raise AssertionError("reverse_mode (the worked example): every gradient is zero: seed the output, "
                                 "grads[output] = 1.0, before walking back")
        raise AssertionError("reverse_mode (the worked example): every gradient but the output's is zero: "
                             "did the loop see grads[output] = 1.0? Seed it BEFORE the loop, and pass grads[name] "
                             "as vjp's grad_output")
    if np.allclose(np.asarray(_got["h"], dtype=float), 1.0) and _all_zero(_got, ["x", "W", "b", "z", "a"]):
        raise AssertionError("reverse_mode (the worked example): only h, the input of the last tuple, got a "
                             "gradient: the tape was walked forwards; walk it BACKWARDS (reversed(tape)), so that "
                             "each node's gradient is known before it is handed on")
    check.check_scalar(_got["s"], 1.0, "reverse_mode (worked example)['s']: the seed, ds/ds = 1")
    check.check_array(_got["h"], np.ones((2, 1)), "reverse_mode (worked example)['h']")
    for _name in ("a", "z", "b"):
        check.check_array(_got[_name], np.array([[0.216152], [0.047925]]), f"reverse_mode (worked example)[{_name!r}]",
                          rtol=0, atol=1e-6)
    check.check_array(_got["W"], np.array([[0.216152, 0.432305], [0.047925, 0.095851]]),
                      "reverse_mode (worked example)['W']", rtol=0, atol=1e-6)
    check.check_array(_got["x"], np.array([[0.203927], [-0.204171]]), "reverse_mode (worked example)['x']",
                      rtol=0, atol=1e-6)

    # 2. Values used twice: x in mul(x, x), and the node h, read by p = h * h and again by q = p + h.
    _rng = np.random.default_rng(94)
    _W, _x = _rng.standard_normal((3, 2)), _rng.standard_normal((2, 4))
    _tape = [("u", "matmul", ("W", "x")), ("h", "tanh", ("u",)), ("p", "mul", ("h", "h")), ("q", "add", ("p", "h")),
             ("s", "sum", ("q",))]
    _got = _reverse_call(_tape, {"W": _W, "x": _x}, "s", "h used three times")
    _h = np.tanh(_W @ _x)
    for _wrong in (_h, 2 * _h, np.ones_like(_h), _h + 1):   # some of the three pieces h, h and 1, not all
        if np.allclose(np.asarray(_got["h"], dtype=float), _wrong):
            raise AssertionError("reverse_mode (p = h * h, q = p + h): the gradient of h is missing pieces: h is "
                                 "read three times (twice by mul, once by add), and its gradient is the SUM of "
                                 "the three pieces, 2h + 1; add each piece to grads[name] instead of assigning (=)")
    _check_every_name(_got, _r_numeric(_tape, {"W": _W, "x": _x}, "s"), "reverse_mode (p = h * h, q = p + h)")

    # 3. Broadcasting, a Python float input, exp and log: every input and every node.
    _X, _b, _r = _rng.standard_normal((3, 4)), _rng.standard_normal((3, 1)), _rng.standard_normal((1, 4))
    _tape = [("u", "mul", ("X", "c")), ("v", "add", ("u", "b")), ("w", "mul", ("v", "r")), ("e", "exp", ("w",)),
             ("l", "log", ("e",)), ("y", "add", ("l", "e")), ("s", "sum", ("y",))]
    _values = {"X": _X, "c": 0.6, "b": _b, "r": _r}
    _got = _reverse_call(_tape, _values, "s", "broadcasting and a Python float")
    _check_every_name(_got, _r_numeric(_tape, _values, "s"), "reverse_mode (X * c + b, times r)")

    # 4. A vjp that hands add's gradient through as the very same array (legal: a framework may do so).
    _tape = [("w", "mul", ("a", "c")), ("z", "add", ("a", "b")), ("v", "add", ("z", "w")), ("s", "sum", ("v",))]
    _values = {"a": np.array([[1.0], [2.0]]), "b": np.array([[3.0], [4.0]]), "c": np.array([[0.5], [-2.0]])}
    _got = _reverse_call(_tape, _values, "s", "add passing its gradient through", passing=True)
    _check_every_name(_got, _r_numeric(_tape, _values, "s"), "reverse_mode (w = a * c, z = a + b, v = z + w)")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_run(tape, values, bump=None):
        """Evaluate the tape; bump = (name, delta) adds delta to one node's value right after it is made."""
        out = dict(values)
        for name, op, inputs in tape:
            out[name] = PRIMITIVES[op](*[out[i] for i in inputs])
            if bump is not None and bump[0] == name:
                out[name] = out[name] + bump[1]
        return out

    def _h_numeric(tape, values, output, eps=1e-6):
        """Central differences of the output for every entry of every input and every node."""
        grads = {}
        base = _h_run(tape, values)
        for name, value in base.items():
            shape = np.shape(value)
            grad = np.zeros(shape)
            for index in np.ndindex(shape):
                delta = np.zeros(shape)
                delta[index] = eps
                if name in values:
                    plus = _h_run(tape, {**values, name: np.asarray(values[name], dtype=float) + delta})[output]
                    minus = _h_run(tape, {**values, name: np.asarray(values[name], dtype=float) - delta})[output]
                else:
                    plus = _h_run(tape, values, (name, delta))[output]
                    minus = _h_run(tape, values, (name, -delta))[output]
                grad[index] = (float(plus) - float(minus)) / (2 * eps)
            grads[name] = grad
        return grads, base

    def _h_random_chain(rng):
        n, m = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        values = {"X": rng.standard_normal((n, m)), "col": rng.standard_normal((n, 1)),
                  "row": rng.standard_normal((1, m)), "c": float(rng.uniform(-1.5, 1.5)), "k": float(rng.uniform(0.5, 2))}
        names, tape = ["X", "col", "row", "c"], []
        for i in range(int(rng.integers(4, 8))):
            src = names[int(rng.integers(0, len(names)))]
            kind = int(rng.integers(0, 6))
            if kind in (0, 1):
                other = names[int(rng.integers(0, len(names)))]     # may be src itself: used twice
                tape.append((f"n{i}", ["add", "mul"][kind], (src, other)))
            elif kind == 2:
                tape.append((f"n{i}", "tanh", (src,)))
            elif kind == 3:
                tape.append((f"n{i}", "relu", (src,)))
            elif kind == 4:
                tape += [(f"t{i}", "tanh", (src,)), (f"n{i}", "exp", (f"t{i}",))]
            else:
                tape += [(f"q{i}", "mul", (src, src)), (f"p{i}", "add", (f"q{i}", "k")), (f"n{i}", "log", (f"p{i}",))]
            names.append(f"n{i}")
        tape += [("f", "mul", (names[-1], names[-2])), ("g", "add", ("f", "X")), ("s", "sum", ("g",))]
        return tape, values

    def _h_tapes(rng):
        n, k, m = (int(v) for v in rng.integers(1, 5, size=3))
        layer = ([("z", "matmul", ("W", "x")), ("a", "add", ("z", "b")), ("h", "tanh", ("a",)), ("s", "sum", ("h",))],
                 {"W": rng.standard_normal((n, k)), "x": rng.standard_normal((k, m)), "b": rng.standard_normal((n, 1))})
        shared = ([("u", "matmul", ("W", "X")), ("v", "mul", ("u", "u")), ("cu", "mul", ("u", "c")),
                   ("e", "exp", ("cu",)), ("p", "add", ("v", "e")), ("q", "log", ("p",)), ("r", "mul", ("q", "g")),
                   ("t", "relu", ("u",)), ("w", "add", ("r", "t")), ("s", "sum", ("w",))],
                  {"W": rng.standard_normal((n, k)), "X": rng.standard_normal((k, m)),
                   "c": float(rng.uniform(-1, 1)), "g": rng.standard_normal((1, m))})
        L = int(rng.integers(1, 4))
        sizes = [int(v) for v in rng.integers(2, 5, size=L + 1)]
        net_values = {"X": rng.standard_normal((sizes[0], m + 1)),
                      "Y": np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m + 1)]}
        net, previous = [], "X"
        for l in range(1, L + 1):
            net_values[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            net_values[f"b{l}"] = rng.standard_normal((sizes[l], 1))
            net += [(f"U{l}", "matmul", (f"W{l}", previous)), (f"Z{l}", "add", (f"U{l}", f"b{l}"))]
            previous = f"Z{l}"
            if l < L:
                net.append((f"A{l}", ["relu", "tanh"][l % 2], (previous,)))
                previous = f"A{l}"
        net.append(("C", "softmax_cross_entropy", (previous, "Y")))
        return [layer, shared, (net, net_values), _h_random_chain(rng), _h_random_chain(rng)]

    _rng = np.random.default_rng(9004)
    for _trial in range(2):
        for _tape, _values in _h_tapes(_rng):
            _output = _tape[-1][0]
            _saved = {k: np.copy(v) for k, v in _values.items()}
            _got = reverse_mode(_tape, _values, _output)
            _want, _base = _h_numeric(_tape, _saved, _output)
            assert isinstance(_got, dict) and set(_got) == set(_want), (
                f"reverse_mode: the names {sorted(_got)} should be {sorted(_want)}")
            for _k, _w in _want.items():
                assert np.shape(_got[_k]) == np.shape(_w), f"reverse_mode: the gradient of {_k!r} has the wrong shape"
                if _k == "Y":
                    assert not np.any(_got[_k]), "reverse_mode: Y is a constant, its gradient is zeros"
                    continue
                if _k not in _values and np.any(np.asarray(_base[_k]) == 0):
                    continue   # an exact zero (a relu output): central differences straddle the kink
                assert np.allclose(_got[_k], _w, rtol=1e-5, atol=1e-6), (
                    f"reverse_mode: the gradient of {_k!r} is wrong on a tape of {len(_tape)} operations")
            assert all(np.array_equal(_values[k], v) for k, v in _saved.items()), "reverse_mode modified values"
            # the same tape with a vjp that hands add's gradient through as the very same array
            _shared = _r_with_vjp([], True, reverse_mode, _tape, _values, _output)
            for _k, _w in _want.items():
                if _k == "Y" or (_k not in _values and np.any(np.asarray(_base[_k]) == 0)):
                    continue
                assert np.allclose(_shared[_k], _w, rtol=1e-5, atol=1e-6), (
                    f"reverse_mode: with a vjp that passes add's gradient through unchanged, the gradient of {_k!r} "
                    "is wrong (an array a vjp returned was changed in place)")
    # relu'(0) = 0: inputs exactly at the kink
    _x0 = np.array([[0.0, 1.0, -1.0], [0.5, 0.0, 0.0]])
    _g0 = np.array([[2.0, -1.0, 3.0], [1.5, -2.0, 0.5]])
    _got = reverse_mode([("r", "relu", ("x",)), ("q", "mul", ("r", "g")), ("s", "sum", ("q",))],
                        {"x": _x0, "g": _g0}, "s")
    assert np.allclose(_got["x"], _g0 * (_x0 > 0)) and np.allclose(_got["r"], _g0), (
        "reverse_mode: relu at exactly 0 has derivative 0")
### END HIDDEN TESTS

check.passed("reverse_mode: seeded, walked backwards, and every piece added up.")

# %% [markdown]
# Your `reverse_mode` on the worked example, next to the gradients it should give:

# %% tags=["demo"]
try:
    _grads = reverse_mode(WORKED_TAPE, WORKED_VALUES, "s")
    for _name, _want in [("a", "[0.216152, 0.047925]"), ("b", "[0.216152, 0.047925]"),
                         ("W", "[0.216152, 0.432305, 0.047925, 0.095851]"), ("x", "[0.203927, -0.204171]")]:
        print(f"ds/d{_name}: yours {np.ravel(_grads[_name])}   expected {_want}")
except NotImplementedError:
    print("Write evaluate, unbroadcast, vjp and reverse_mode above to see the worked example's gradients.")

# %% [markdown]
# ### The worked example, forwards and backwards, in one picture
#
# The same graph as in section 1, now with your numbers: above each box its value from `evaluate`
# (blue), below it its gradient from `reverse_mode` (red). The values were computed left to right, the
# gradients right to left, starting from the 1 at `s`. Follow one step back by hand: `h` hands
# $[1, 1]^T \odot (1 - h^2)$ to `a`; `add` passes it unchanged to both `z` and `b`; `matmul` turns it
# into $dz\, x^T$ for `W` and $W^T dz$ for `x`.

# %% tags=["demo"]
try:
    draw_tape(WORKED_TAPE, WORKED_POSITIONS, evaluate(WORKED_TAPE, WORKED_VALUES),
              reverse_mode(WORKED_TAPE, WORKED_VALUES, "s"),
              title="Values forwards (blue, above) and gradients backwards (red, below)")
except NotImplementedError:
    print("Write evaluate and reverse_mode above (with unbroadcast and vjp) to see the numbers in the graph.")

# %% [markdown]
# ### Written question 1: which piece survives? [2 points, graded by hand]
#
# Take the tape
#
# ```python
# [("u", "mul", ("x", "x")), ("v", "exp", ("x",)), ("w", "add", ("u", "v")), ("s", "sum", ("w",))]
# ```
#
# with `x = np.array([[1.0]])`, so that $s = x^2 + e^x$ reads `x` three times. (a) List the pieces of
# gradient that `reverse_mode` hands to `x`, **in the order it hands them**, and give $ds/dx$.
# (b) Predict what a `reverse_mode` that assigns (`grads[i] = piece`) instead of adding would return
# for `x`. (c) Swap the first two tuples of the tape (same function, same $s$): what does the
# assigning version return now? What do (b) and (c) together say about that bug? Give numbers to
# three decimals.

# %% [markdown] answer="used_twice_adds" points=2
# ### BEGIN SOLUTION
# **Model answer.** (a) Walking backwards, `w` (add) hands $dw = 1$ to `u` and `v`. Then `v` (exp)
# hands `x` the piece $dv \cdot e^x = e pprox 2.718$; then `u` (mul) hands it two pieces, $du \cdot x = 1$
# for each factor. The sum is $ds/dx = 2x + e^x = 2 + e pprox 4.718$. (b) Assigning keeps only the
# last piece handed over, one of mul's: $1.000$. (c) With `v` first on the tape, the backward walk
# reaches `v` last, so exp's piece is handed over last and the assigning version returns
# $e pprox 2.718$. The two tapes compute the same function yet the bug gives two different answers,
# both wrong: it returns whichever path happens to be walked last, while the chain rule for several
# variables sums over every path from `x` to `s` ($x$ moves all three uses at once).
#
# **Rubric.**
# - [1 point] (a) the pieces in order e (2.718) then 1 and 1, and ds/dx = 2 + e = 4.718; (b) 1.000
# - [1 point] (c) 2.718, and the conclusion: assigning keeps the last path walked (it depends on the tape's order), while the true derivative sums over all paths
# ### END SOLUTION

# %% [markdown]
# ## 4. Forward mode: push directions forwards
#
# Reverse mode answers "how does the one output change when each input moves?". The other order
# answers "how does every value change when the inputs move in one chosen direction?". Give each input
# a **tangent** $\dot x$ of its own shape, a direction to move it in, and carry along with every value
# its directional derivative: if each input moves as $x + \varepsilon \dot x$, every node $v$ moves as
# $v + \varepsilon \dot v$ to first order. Each primitive maps its inputs' tangents to its output's
# tangent with its **Jacobian-vector product** (JVP), $\dot y = \sum_i J_i\, \dot x_i$:
#
# | op | output's tangent |
# |---|---|
# | `add` | $\dot x + \dot y$ |
# | `mul` | $\dot x \odot y + x \odot \dot y$ (the product rule: both halves) |
# | `matmul` | $\dot A\, B + A\, \dot B$ |
# | `tanh` | $(1 - h^2) \odot \dot x$, with $h = \tanh x$ the output |
# | `relu` | $[x > 0] \odot \dot x$ |
# | `exp` | $e^x \odot \dot x$ |
# | `log` | $\dot x / x$ |
# | `sum` | $\sum_{ij} \dot x_{ij}$ |
# | `softmax_cross_entropy` | $\sum_{kj} dZ_{kj}\, \dot Z_{kj}$, with $dZ$ the row you derived for `vjp` at $dy = 1$ ($\dot Y$ does not enter: $Y$ is a constant) |

# %% [markdown]
# Broadcasting needs no special care here: NumPy broadcasts the tangents exactly as it broadcast the
# values. Nor does a value read twice: each tuple that reads it simply reads its tangent. There is no
# backward walk: the tangents go through the tape in the same order as the values, and a value and
# its tangent can be forgotten as soon as no later tuple reads them.

# %% [markdown]
# The tangent of a scalar output is the directional derivative
# $\dot s = \sum_{\text{inputs } x} \langle \partial s/\partial x,\ \dot x \rangle$. Setting
# $\dot x$ to 1 in a single entry of a single input and 0 everywhere else gives that one entry of the
# gradient. So forward mode needs **one pass per input direction**: as many passes as the inputs have
# entries, to get what reverse mode gets in one.

# %% [markdown]
# ### Exercise 5: `forward_mode` [2 points]
#
# Return a dict with the tangent of every input and every node, each shaped like its value:
#
# - an input's tangent is the one given in `tangents`, unchanged (`Y`'s too, if one is given);
# - an input missing from `tangents` does not move: its tangent is zeros of its shape
#   (`np.zeros(np.shape(value))`, not the number 0, so that every node's tangent has the node's shape);
# - a node's tangent is the JVP of its op, from the table above, applied to its inputs' tangents.
#
# `Y`'s tangent is left out of one place only, the JVP of `softmax_cross_entropy`, where it contributes
# nothing because $Y$ is a constant. Compute the values with your `evaluate`, then go through the tape
# in order, writing each JVP out here in `forward_mode` itself (do not call `vjp`).

# %% solution="forward_mode"
def forward_mode(tape, values, tangents):
    """Forward-mode automatic differentiation: the tangent of every value for given input tangents.

    Inputs:
        tape:     list of (name, op, inputs) tuples, in the order they run
        values:   {input name: array or Python float}
        tangents: {input name: array (or float) shaped like that input}, the direction each input moves in;
                  inputs missing here have tangent zero
    Returns:
        {name: tangent} for every input and every node, each shaped like its value: an input's tangent as
        given in tangents (Y's included) or zeros if it is missing; a node's tangent from its op's JVP
        (softmax_cross_entropy's JVP uses Z's tangent only: Y is a constant)
    """
    ### BEGIN SOLUTION
    computed = evaluate(tape, values)
    tan = {name: tangents[name] if name in tangents else np.zeros(np.shape(value)) for name, value in values.items()}
    for name, op, inputs in tape:
        x = [computed[i] for i in inputs]
        t = [tan[i] for i in inputs]
        out = computed[name]
        if op == "add":
            tan[name] = t[0] + t[1]
        elif op == "mul":
            tan[name] = t[0] * x[1] + x[0] * t[1]
        elif op == "matmul":
            tan[name] = t[0] @ x[1] + x[0] @ t[1]
        elif op == "tanh":
            tan[name] = (1 - out ** 2) * t[0]
        elif op == "relu":
            tan[name] = (np.asarray(x[0]) > 0) * t[0]
        elif op == "exp":
            tan[name] = out * t[0]
        elif op == "log":
            tan[name] = t[0] / x[0]
        elif op == "sum":
            tan[name] = np.sum(t[0])
        elif op == "softmax_cross_entropy":
            Z, Y = x   # Y is a constant: its tangent t[1] does not enter C's tangent
            tan[name] = np.sum((softmax(Z) - Y) / Z.shape[1] * t[0])
        else:
            raise ValueError(f"unknown primitive {op!r}")
    return tan
    ### END SOLUTION


# %% test="forward_mode" points=2
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _t_run(tape, values):
        out = dict(values)
        for name, op, inputs in tape:
            out[name] = PRIMITIVES[op](*[out[i] for i in inputs])
        return out

    def _t_directional(tape, values, tangents, eps=1e-6):
        """Every node's tangent by central differences along the given input tangents (Y held fixed)."""
        move = {k: t for k, t in tangents.items() if k != "Y"}
        plus = _t_run(tape, {k: (v + eps * move[k] if k in move else v) for k, v in values.items()})
        minus = _t_run(tape, {k: (v - eps * move[k] if k in move else v) for k, v in values.items()})
        return {name: (np.asarray(plus[name], dtype=float) - np.asarray(minus[name], dtype=float)) / (2 * eps)
                for name, _, _ in tape}

    def _forward_call(tape, values, tangents, label, wrongs=()):
        try:
            got = check.check_not_mutated(forward_mode, tape, values, tangents, hint=(
                "values and tangents belong to the caller: keep the nodes' values in the dict your evaluate "
                "returns and every tangent in a new dict of your own"))
        except KeyError as error:
            raise AssertionError(f"forward_mode ({label}) looked up a missing tangent, {error}: an input missing "
                                 "from tangents has tangent zero, np.zeros(np.shape(value))") from None
        except ValueError as error:
            raise AssertionError(f"forward_mode ({label}) raised ValueError ({error}): a shape mismatch; a missing "
                                 "input's tangent is zeros of the input's shape, np.zeros(np.shape(value)), not the "
                                 "number 0 (matmul needs arrays), each JVP keeps the shapes of the values, and "
                                 "matmul's keeps the order of its factors: dA @ B + A @ dB") from None
        assert isinstance(got, dict), f"forward_mode ({label}) should return a dict, got {type(got).__name__}"
        want = _t_directional(tape, values, tangents)
        missing = [name for name in want if name not in got]
        assert not missing, f"forward_mode ({label}): no tangent for the node(s) {missing}"
        for name, wrong_value, hint in wrongs:
            if (np.shape(got[name]) == np.shape(wrong_value) and not np.allclose(wrong_value, want[name])
                    and np.allclose(np.asarray(got[name], dtype=float), wrong_value)):
                raise AssertionError(f"forward_mode ({label})[{name!r}]: {hint}")
        for name in values:   # an input's tangent, where given back: the given one, or zeros
            if name in got:
                if name not in tangents and np.shape(got[name]) == np.shape(values[name]) and np.any(got[name]):
                    raise AssertionError(f"forward_mode ({label})[{name!r}]: {name!r} is not in tangents, so it does "
                                         "not move: its tangent is zeros, np.zeros(np.shape(value))")
                given = tangents.get(name, np.zeros(np.shape(values[name])))
                if (name == "Y" and name in tangents and np.shape(got[name]) == np.shape(given)
                        and not np.allclose(np.asarray(got[name], dtype=float), given)):
                    raise AssertionError(f"forward_mode ({label})['Y']: the result holds Y's tangent exactly as "
                                         "given in tangents; Y's tangent is left out only of the JVP of "
                                         "softmax_cross_entropy, not of the result")
                check.check_array(got[name], np.asarray(given, dtype=float),
                                  f"forward_mode ({label})[{name!r}], an input's tangent "
                                  f"({'as given' if name in tangents else 'not given: zeros'})")
        for name, op, _ in tape:
            if op == "sum" and np.shape(got[name]) != ():
                raise AssertionError(f"forward_mode ({label}): the tangent of {name!r} has shape {np.shape(got[name])}, "
                                     "but sum's output is one number: its tangent is the sum of the input tangent's "
                                     "entries")
            if np.shape(got[name]) != np.shape(want[name]) and np.ndim(got[name]) < len(np.shape(want[name])):
                raise AssertionError(f"forward_mode ({label}): the tangent of {name!r} has shape "
                                     f"{np.shape(got[name])}, its value has shape {np.shape(want[name])}: a missing "
                                     "input's tangent is zeros of the input's shape, np.zeros(np.shape(value)), "
                                     "not the number 0")
            check.check_array(got[name], want[name], f"forward_mode ({label})[{name!r}]", rtol=1e-5, atol=1e-7)
        return got

    # 1. The worked example, moving x only: W and b have no tangent, so they stay put (zero, not one).
    _tape = [("z", "matmul", ("W", "x")), ("a", "add", ("z", "b")), ("h", "tanh", ("a",)), ("s", "sum", ("h",))]
    _values = {"x": np.array([[1.0], [2.0]]), "W": np.array([[0.5, -1.0], [2.0, 0.25]]),
               "b": np.array([[0.1], [-0.3]])}
    _tx = np.array([[1.0], [-0.5]])
    _h = np.tanh(_values["W"] @ _values["x"] + _values["b"])
    _with_ones = (1 - _h ** 2) * (np.ones((2, 2)) @ _values["x"] + _values["W"] @ _tx + 1)   # W and b moved by ones
    _a = _values["W"] @ _values["x"] + _values["b"]
    _got = _forward_call(_tape, _values, {"x": _tx}, "the worked example, x moves",
                         [("h", (1 - _a ** 2) * (_values["W"] @ _tx), "tanh's derivative is 1 - h**2 with h = tanh(a), "
                                                                       "the node's OUTPUT value, not 1 - a**2"),
                          ("h", _with_ones, "inputs missing from tangents have tangent ZERO (they do not move), "
                                            "not one"),
                          ("s", float(np.sum(_with_ones)), "inputs missing from tangents have tangent ZERO (they "
                                                           "do not move), not one")])
    check.check_scalar(_got["s"], float(np.sum((1 - _h ** 2) * (_values["W"] @ _tx))),
                       "forward_mode (worked example)['s'] = sum((1 - h**2) * (W @ dx))")

    # 2. The product rule, for mul and for matmul, with every input moving.
    _rng = np.random.default_rng(95)
    _x, _y, _A = _rng.standard_normal((3, 2)), _rng.standard_normal((3, 2)), _rng.standard_normal((4, 3))
    _tx, _ty, _tA = _rng.standard_normal((3, 2)), _rng.standard_normal((3, 2)), _rng.standard_normal((4, 3))
    _p = _x * _y
    _tp = _tx * _y + _x * _ty
    _got = _forward_call(
        [("p", "mul", ("x", "y")), ("q", "matmul", ("A", "p")), ("s", "sum", ("q",))],
        {"x": _x, "y": _y, "A": _A}, {"x": _tx, "y": _ty, "A": _tA}, "mul and matmul, every input moving",
        [("p", _tx * _y, "product rule: half of it is missing, add x * dy"),
         ("p", _x * _ty, "product rule: half of it is missing, add dx * y"),
         ("p", _tx * _ty, "product rule: the tangent of x * y is dx * y + x * dy"),
         ("q", _tA @ _p, "product rule for matmul: dA @ B + A @ dB; the A @ dB half is missing"),
         ("q", _A @ _tp, "product rule for matmul: dA @ B + A @ dB; the dA @ B half is missing")])

    # 3. The softmax cost with a tangent given for Y: it does not enter C's tangent (Y is a constant), but the
    #    result, where it holds Y, holds that tangent as given.
    _W, _X, _Y = _rng.standard_normal((3, 4)), _rng.standard_normal((4, 5)), np.eye(3)[:, [2, 0, 1, 1, 0]]
    _tW, _tY = _rng.standard_normal((3, 4)), _rng.standard_normal((3, 5))
    _Z = _W @ _X
    _S = softmax(_Z)
    _right = float(np.sum((_S - _Y) / 5 * (_tW @ _X)))
    _shifted = _Z - _Z.max(axis=0)
    _log_S = _shifted - np.log(np.exp(_shifted).sum(axis=0))
    _forward_call([("Z", "matmul", ("W", "X")), ("C", "softmax_cross_entropy", ("Z", "Y"))],
                  {"W": _W, "X": _X, "Y": _Y}, {"W": _tW, "Y": _tY}, "the softmax cost, a tangent given for Y",
                  [("C", _right - float(np.sum(_tY * _log_S)) / 5, "Y's tangent must not enter C's tangent: Y is a "
                                                                    "constant, only Z's tangent enters"),
                   ("C", _right * 5, "the cost is a MEAN over the m = 5 columns: divide by m = Z.shape[1]")])

    # 4. Broadcasting and Python floats: c and its tangent are plain numbers; X does not move.
    _X, _b, _tb = _rng.standard_normal((3, 4)), _rng.standard_normal((3, 1)), _rng.standard_normal((3, 1))
    _v = _X * 0.8 + _b
    _tv = _X * 0.5 + _tb
    _forward_call([("u", "mul", ("X", "c")), ("v", "add", ("u", "b")), ("e", "exp", ("v",)), ("l", "log", ("e",)),
                   ("t", "tanh", ("l",)), ("r", "relu", ("t",)), ("w", "mul", ("r", "e")), ("s", "sum", ("w",))],
                  {"X": _X, "c": 0.8, "b": _b}, {"c": 0.5, "b": _tb}, "broadcasting and a Python float",
                  [("e", _tv * _v, "exp's JVP is exp(x) * dx, the OUTPUT times the tangent, not x * dx"),
                   ("e", np.exp(_v), "multiply by the input's tangent: exp(x) * dx"),
                   ("l", np.exp(_v) * _tv * np.exp(_v), "log's JVP is dx / x: divide by the input, do not multiply"),
                   ("l", np.exp(_v) * _tv / _v, "log's JVP is dx / x, divided by the input x itself, not by log(x)")])

    # 5. relu at exactly 0: relu'(0) = 0, so a tangent does not pass where the input is exactly 0.
    _x0 = np.array([[0.0, 1.0, -1.0], [0.5, 0.0, 0.0]])
    _t0, _g0 = np.array([[1.0, -2.0, 0.5], [1.5, 2.0, -1.0]]), np.array([[2.0, -1.0, 3.0], [1.5, -2.0, 0.5]])
    _got = check.check_not_mutated(forward_mode, [("r", "relu", ("x",)), ("q", "mul", ("r", "g")),
                                                  ("s", "sum", ("q",))], {"x": _x0, "g": _g0}, {"x": _t0})
    if np.shape(_got["r"]) == (2, 3) and np.allclose(np.asarray(_got["r"], dtype=float), _t0 * (_x0 >= 0)):
        raise AssertionError("forward_mode (relu with inputs exactly 0)['r']: relu'(0) = 0 in this course: where x "
                             "is exactly 0 the tangent does not pass, so the mask is x > 0, not x >= 0")
    check.check_array(_got["r"], _t0 * (_x0 > 0), "forward_mode (relu with inputs exactly 0)['r']")
    check.check_scalar(_got["s"], float(np.sum(_g0 * _t0 * (_x0 > 0))), "forward_mode (relu with inputs exactly 0)['s']")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_random_chain(rng):
        n, m = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        values = {"X": rng.standard_normal((n, m)), "col": rng.standard_normal((n, 1)),
                  "row": rng.standard_normal((1, m)), "c": float(rng.uniform(-1.5, 1.5)), "k": float(rng.uniform(0.5, 2))}
        names, tape = ["X", "col", "row", "c"], []
        for i in range(int(rng.integers(4, 8))):
            src = names[int(rng.integers(0, len(names)))]
            kind = int(rng.integers(0, 6))
            if kind in (0, 1):
                tape.append((f"n{i}", ["add", "mul"][kind], (src, names[int(rng.integers(0, len(names)))])))
            elif kind == 2:
                tape.append((f"n{i}", "tanh", (src,)))
            elif kind == 3:
                tape.append((f"n{i}", "relu", (src,)))
            elif kind == 4:
                tape += [(f"t{i}", "tanh", (src,)), (f"n{i}", "exp", (f"t{i}",))]
            else:
                tape += [(f"q{i}", "mul", (src, src)), (f"p{i}", "add", (f"q{i}", "k")), (f"n{i}", "log", (f"p{i}",))]
            names.append(f"n{i}")
        tape += [("f", "mul", (names[-1], names[-2])), ("g", "add", ("f", "X")), ("s", "sum", ("g",))]
        return tape, values

    def _h_network(rng):
        L = int(rng.integers(1, 4))
        sizes = [int(v) for v in rng.integers(2, 5, size=L + 1)]
        m = int(rng.integers(2, 5))
        values = {"X": rng.standard_normal((sizes[0], m)), "Y": np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m)]}
        tape, previous = [], "X"
        for l in range(1, L + 1):
            values[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            values[f"b{l}"] = rng.standard_normal((sizes[l], 1))
            tape += [(f"U{l}", "matmul", (f"W{l}", previous)), (f"Z{l}", "add", (f"U{l}", f"b{l}"))]
            previous = f"Z{l}"
            if l < L:
                tape.append((f"A{l}", ["relu", "tanh"][l % 2], (previous,)))
                previous = f"A{l}"
        return tape + [("C", "softmax_cross_entropy", (previous, "Y"))], values

    _rng = np.random.default_rng(9005)
    for _trial in range(8):
        _tape, _values = _h_network(_rng) if _trial % 3 == 0 else _h_random_chain(_rng)
        _names = list(_values)
        _given = [k for k in _names if _rng.random() < 0.6] or [_names[0]]
        _tangents = {k: (float(_rng.normal()) if np.ndim(_values[k]) == 0 else _rng.standard_normal(np.shape(_values[k])))
                     for k in _given}
        _saved = ({k: np.copy(v) for k, v in _values.items()}, {k: np.copy(v) for k, v in _tangents.items()})
        _got = forward_mode(_tape, _values, _tangents)
        _want = _t_directional(_tape, _saved[0], _saved[1])
        assert isinstance(_got, dict), "forward_mode must return a dict"
        _base = _t_run(_tape, _saved[0])
        for _name, _w in _want.items():
            assert _name in _got, f"forward_mode: no tangent for the node {_name!r}"
            assert np.shape(_got[_name]) == np.shape(_w), f"forward_mode: the tangent of {_name!r} has the wrong shape"
            if np.any(np.asarray(_base[_name]) == 0):
                continue   # a relu output with exact zeros: central differences straddle the kink
            assert np.allclose(_got[_name], _w, rtol=1e-5, atol=1e-6), (
                f"forward_mode: the tangent of {_name!r} is wrong on a tape of {len(_tape)} operations")
        for _name in _values:
            if _name in _got:
                _expected = _saved[1].get(_name, np.zeros(np.shape(_values[_name])))
                assert np.allclose(_got[_name], _expected), (
                    f"forward_mode: the input {_name!r}'s tangent should be the one given (zeros if none was given)")
        assert all(np.array_equal(_values[k], v) for k, v in _saved[0].items()), "forward_mode modified values"
        assert all(np.array_equal(_tangents[k], v) for k, v in _saved[1].items()), "forward_mode modified tangents"
    for _trial in range(3):   # relu'(0) = 0, exactly at the kink
        _x0 = np.where(_rng.random((3, 4)) < 0.4, 0.0, _rng.standard_normal((3, 4)))
        _x0[0, 0] = 0.0
        _t0 = _rng.standard_normal((3, 4))
        _got = forward_mode([("r", "relu", ("x",)), ("s", "sum", ("r",))], {"x": _x0}, {"x": _t0})
        assert np.allclose(_got["r"], _t0 * (_x0 > 0)), "forward_mode: relu'(0) = 0, the tangent stops at x = 0"
### END HIDDEN TESTS

check.passed("forward_mode: tangents go forwards through every primitive, product rule included.")

# %% [markdown]
# A check that ties the two modes together: for any tangents, the output's tangent from forward mode
# equals $\sum_x \langle \partial s/\partial x, \dot x\rangle$ with the gradients from reverse mode.
# On the worked example, moving all three inputs at once:

# %% tags=["demo"]
try:
    _rng = np.random.default_rng(5)
    _tangents = {name: _rng.standard_normal(np.shape(WORKED_VALUES[name])) for name in WORKED_VALUES}
    _forward = float(forward_mode(WORKED_TAPE, WORKED_VALUES, _tangents)["s"])
    _grads = reverse_mode(WORKED_TAPE, WORKED_VALUES, "s")
    _reverse = sum(float(np.sum(_grads[name] * _tangents[name])) for name in WORKED_VALUES)
    print(f"forward mode, one pass:            ds = {_forward:.6f}")
    print(f"reverse mode, sum of grad * dx:    ds = {_reverse:.6f}")
except NotImplementedError:
    print("Write reverse_mode and forward_mode above to compare the two modes.")

# %% [markdown]
# ## 5. A layered network is a tape
#
# Notebook 04's network, a batch of $m$ examples as the columns of $X$, becomes a tape with three
# tuples per hidden layer and two for the output layer, then the cost:
#
# | layer | tuples | the maths |
# |---|---|---|
# | $l = 1, \dots, L-1$ | `("U{l}", "matmul", ("W{l}", A_prev))`, `("Z{l}", "add", ("U{l}", "b{l}"))`, `("A{l}", g, ("Z{l}",))` | $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$, $A^{[l]} = g(Z^{[l]})$ |
# | $L$ | `("U{L}", "matmul", ("W{L}", A_prev))`, `("Z{L}", "add", ("U{L}", "b{L}"))` | $Z^{[L]} = W^{[L]} A^{[L-1]} + b^{[L]}$ |
# | cost | `("C", "softmax_cross_entropy", ("Z{L}", "Y"))` | $C = \frac1m \sum_j \mathrm{CE}\big(\mathrm{softmax}(Z^{[L]})_{:,j},\ Y_{:,j}\big)$ |
#
# where `A_prev` is `"X"` for the first layer and `"A{l-1}"` after it, and `g` is the hidden
# activation, `"relu"` or `"tanh"`. The tape reads the inputs `"X"`, `"Y"`, `"W1"`, `"b1"`, ...,
# `"WL"`, `"bL"`.
#
# The output layer has no activation of its own: the softmax lives inside the cost primitive, which
# reads $Z^{[L]}$ $(K, m)$ directly. Frameworks compute the cost the same way and call $Z^{[L]}$ the
# *logits*, the pre-softmax scores (hence their "cross-entropy with logits").
#
# The next cell is **given**: `network_forward(X, params, hidden_activation)` is notebook 02's forward
# pass with a softmax output, `network_cost(X, Y, params, hidden_activation)` its mean cross-entropy,
# and `network_gradients(X, Y, params, hidden_activation)` notebook 04's `backward_batch` for this
# network, built on the four equations, returning `{"dW1": ..., "db1": ..., ...}`.

# %%
# ---------------------------------------------------------------- GIVEN: notebook 04's network, by hand
# Shapes: X = A0 is (n[0], m); W[l] is (n[l], n[l-1]); b[l] is (n[l], 1); Z[l], A[l] are (n[l], m).


def hidden(Z, hidden_activation):
    """The hidden activation, "relu" or "tanh", element-wise."""
    return np.maximum(Z, 0.0) if hidden_activation == "relu" else np.tanh(Z)


def hidden_prime(Z, hidden_activation):
    """Its derivative at Z (relu'(0) = 0)."""
    return (Z > 0).astype(float) if hidden_activation == "relu" else 1 - np.tanh(Z) ** 2


def network_forward(X, params, hidden_activation="relu"):
    """Forward pass, softmax output. Returns (AL, cache) with cache {"A0": X, "Z1", "A1", ..., "ZL", "AL"}."""
    L = len(params) // 2
    cache = {"A0": X}
    for l in range(1, L + 1):
        cache[f"Z{l}"] = params[f"W{l}"] @ cache[f"A{l - 1}"] + params[f"b{l}"]
        cache[f"A{l}"] = softmax(cache[f"Z{l}"]) if l == L else hidden(cache[f"Z{l}"], hidden_activation)
    return cache[f"A{L}"], cache


def network_cost(X, Y, params, hidden_activation="relu"):
    """The mean cross-entropy of the softmax outputs over the m columns, a Python float."""
    _, cache = network_forward(X, params, hidden_activation)
    return softmax_cross_entropy(cache[f"Z{len(params) // 2}"], Y)


def network_gradients(X, Y, params, hidden_activation="relu"):
    """Notebook 04's backward_batch: BP1 to BP4 for the mean cross-entropy. Returns {"dW1", "db1", ...}."""
    L = len(params) // 2
    m = X.shape[1]
    AL, cache = network_forward(X, params, hidden_activation)
    delta = AL - Y                                                         # BP1 (softmax + cross-entropy)
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = delta @ cache[f"A{l - 1}"].T / m                 # BP4, mean over the batch
        grads[f"db{l}"] = np.sum(delta, axis=1, keepdims=True) / m         # BP3
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * hidden_prime(cache[f"Z{l - 1}"], hidden_activation)  # BP2
    return grads


# %% [markdown]
# ### Exercise 6: `network_tape` [2 points]
#
# Return the tape of a `num_layers`-layer network as in the table above, for `hidden_activation`
# `"relu"` or `"tanh"`. The names of the nodes in between are yours to choose (the suggested `U1`,
# `Z1`, `A1`, ... read well), but the tape must read exactly the inputs `"X"`, `"Y"`, `"W1"`, `"b1"`,
# ..., and its last tuple must produce the cost under the name `"C"`. With `num_layers = 1` there is no
# hidden layer: `U1`, `Z1`, then `C`.
#
# The test runs your tape with its own loop over `PRIMITIVES` (not your `evaluate`) and compares the
# cost with `network_cost`, and the derivatives of `C` by central differences with
# `network_gradients`.

# %% solution="network_tape"
def network_tape(num_layers, hidden_activation="relu"):
    """The tape of an L-layer network with a softmax cross-entropy cost.

    Inputs:
        num_layers:        L >= 1, the number of layers with parameters
        hidden_activation: "relu" or "tanh", for layers 1 .. L-1
    Returns:
        list of (name, op, inputs) tuples reading "X", "Y", "W1", "b1", ..., "WL", "bL", computing
        Z[l] = W[l] A[l-1] + b[l] (A[0] = X), A[l] = g(Z[l]) for l < L, and last the cost
        ("C", "softmax_cross_entropy", (name of Z[L], "Y"))
    """
    ### BEGIN SOLUTION
    tape, previous = [], "X"
    for l in range(1, num_layers + 1):
        tape.append((f"U{l}", "matmul", (f"W{l}", previous)))
        tape.append((f"Z{l}", "add", (f"U{l}", f"b{l}")))
        previous = f"Z{l}"
        if l < num_layers:
            tape.append((f"A{l}", hidden_activation, (f"Z{l}",)))
            previous = f"A{l}"
    tape.append(("C", "softmax_cross_entropy", (previous, "Y")))
    return tape
    ### END SOLUTION


# %% test="network_tape" points=2
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _run_tape(tape, values):
        """This test's own loop over PRIMITIVES (it does not use your evaluate)."""
        out = dict(values)
        for name, op, inputs in tape:
            out[name] = PRIMITIVES[op](*[out[i] for i in inputs])
        return out

    def _network_case(L, activation, sizes, m, seed):
        label = f"network_tape({L}, {activation!r})"
        tape = check.check_not_mutated(network_tape, L, activation)
        assert isinstance(tape, (list, tuple)) and len(tape) > 0, (
            f"{label} should return a non-empty list of (name, op, inputs) tuples, got {type(tape).__name__}")
        for entry in tape:
            ok = (isinstance(entry, (list, tuple)) and len(entry) == 3 and isinstance(entry[0], str)
                  and isinstance(entry[2], (list, tuple)) and all(isinstance(i, str) for i in entry[2]))
            assert ok, f"{label}: {str(entry)[:80]} is not a (name, op, inputs) tuple with inputs a tuple of names"
            assert entry[1] in PRIMITIVES, f"{label}: {entry[1]!r} is not one of {sorted(PRIMITIVES)}"
        tape = [(name, op, tuple(inputs)) for name, op, inputs in tape]
        assert tape[-1][0] == "C", f"{label}: the last tuple produces {tape[-1][0]!r}; name the cost 'C'"
        assert tape[-1][1] == "softmax_cross_entropy", (
            f"{label}: the last tuple should be the cost, op 'softmax_cross_entropy', not {tape[-1][1]!r}")
        produced = [name for name, _, _ in tape]
        read = {i for _, _, inputs in tape for i in inputs} - set(produced)
        want_inputs = {"X", "Y"} | {f"{kind}{l}" for l in range(1, L + 1) for kind in "Wb"}
        missing, extra = sorted(want_inputs - read), sorted(read - want_inputs)
        if any(k.startswith("b") for k in missing):
            raise AssertionError(f"{label}: the tape never reads {missing}: every layer adds its bias, "
                                 "Z[l] = U[l] + b[l] with an 'add' tuple")
        assert not missing and not extra, (f"{label}: the tape should read exactly {sorted(want_inputs)}"
                                           f"{'; it never reads ' + str(missing) if missing else ''}"
                                           f"{'; it reads unknown names ' + str(extra) if extra else ''} "
                                           "(names are case-sensitive; layers count from 1)")
        seen = {"X", "Y"} | want_inputs
        for name, _, inputs in tape:
            late = [i for i in inputs if i not in seen]
            assert not late, f"{label}: {name!r} reads {late} before the tuple that produces it: keep the tape in order"
            seen.add(name)
        assert len(set(produced)) == len(produced), f"{label}: a name is produced twice; give each node its own name"
        for name, op, inputs in tape:
            if op == "matmul" and len(inputs) == 2 and inputs[1].startswith("W") and not inputs[0].startswith("W"):
                raise AssertionError(f"{label}: ({name!r}, 'matmul', {inputs}) multiplies in the wrong order: "
                                     "Z[l] = W[l] A[l-1], the weights on the LEFT, so the tuple reads (W{l}, A_prev); "
                                     "A_prev @ W[l] would multiply (n[l-1], m) by (n[l], n[l-1])")
        if tape[-1][2] and tape[-1][2][0] == "Y":
            raise AssertionError(f"{label}: the cost reads {tape[-1][2]}: softmax_cross_entropy takes (Z[L], Y), the "
                                 "output layer's pre-activations first and the labels second")
        unread = [name for name, op, _ in tape[:-1] if op in ("relu", "tanh")
                  and not any(name in inputs for _, _, inputs in tape)]
        if unread:
            raise AssertionError(f"{label}: the activation node(s) {unread} are computed but never read: the next "
                                 "layer's matmul reads A[l-1], the activation's output, not Z[l-1]")

        rng = np.random.default_rng(seed)
        params = {}
        for l in range(1, L + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        X = rng.standard_normal((sizes[0], m))
        Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m)]
        values = {"X": X, "Y": Y, **params}
        try:
            cost = _run_tape(tape, values)["C"]
        except ValueError as error:
            raise AssertionError(f"{label}: the tape does not run on a {sizes} network ({error}): check each "
                                 "tuple's inputs and their order, Z[l] = W[l] A[l-1] + b[l] with A[0] = X") from None
        want = network_cost(X, Y, params, activation)
        if not np.isclose(float(cost), want, rtol=1e-9, atol=1e-12):
            if L > 1 and np.isclose(float(cost), network_cost(X, Y, params, {"relu": "tanh", "tanh": "relu"}[activation])):
                raise AssertionError(f"{label}: the hidden layers use the wrong activation: use hidden_activation "
                                     f"({activation!r}) as the op of every A[l] tuple")
            ZL = network_forward(X, params, activation)[1][f"Z{L}"]
            for g in ("relu", "tanh"):
                if np.isclose(float(cost), softmax_cross_entropy(hidden(ZL, g), Y)):
                    raise AssertionError(f"{label}: the output layer has a {g}: the cost takes Z[L] itself "
                                         "(the softmax is inside softmax_cross_entropy)")
            raise AssertionError(f"{label}: on a {sizes} network the tape's cost is {float(cost):.6f}, "
                                 f"network_cost gives {want:.6f}")
        # d C / d parameter, by central differences of the tape, against the four equations.
        expected = network_gradients(X, Y, params, activation)
        for key, value in params.items():
            numeric = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                plus, minus = value.copy(), value.copy()
                plus[index] += 1e-6
                minus[index] -= 1e-6
                numeric[index] = (float(_run_tape(tape, {**values, key: plus})["C"])
                                  - float(_run_tape(tape, {**values, key: minus})["C"])) / 2e-6
            check.check_array(numeric, expected["d" + key],
                              f"{label}: the derivative of the tape's C with respect to {key}", rtol=1e-5, atol=1e-7)

    _network_case(1, "relu", [3, 4], 5, 96)
    _network_case(2, "relu", [3, 5, 4], 6, 97)
    _network_case(2, "tanh", [4, 3, 3], 5, 98)
    _network_case(3, "tanh", [2, 4, 3, 3], 4, 99)

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(9006)
    for _trial in range(5):
        _L = int(_rng.integers(1, 5))
        _activation = ["relu", "tanh"][_trial % 2]
        _sizes = [int(v) for v in _rng.integers(2, 5, size=_L + 1)]
        _network_case(_L, _activation, _sizes, int(_rng.integers(2, 6)), 9100 + _trial)
    _tape = network_tape(3)   # the default activation is relu
    assert [op for _, op, _ in _tape].count("relu") == 2, "network_tape(3) should use relu in its 2 hidden layers"
### END HIDDEN TESTS

check.passed("network_tape: the tape's cost and derivatives are those of the network.")

# %% [markdown]
# ### The four equations, recovered
#
# Run your `reverse_mode` on your network tape and compare with the hand-written `network_gradients`.
# Nothing in `reverse_mode` knows about layers, yet the gradients agree to the last digits, because
# the backward walk performs the same products in the same order:
#
# - `C`'s VJP, the row you derived, hands $dZ^{[L]} = (A^{[L]} - Y)/m$ to the last layer: **BP1**, with
#   the $1/m$ of the mean cost (the course's $\delta^{[l]}$ is per example, so $dZ^{[l]} = \delta^{[l]}/m$
#   in every layer);
# - `add`'s VJP passes $dZ^{[l]}$ to `U{l}` and, unbroadcast over the $m$ columns, to `b{l}`:
#   $db^{[l]} = \frac1m\sum_j \delta^{[l]}_{:,j}$, **BP3**;
# - `matmul`'s VJP gives $dW^{[l]} = dZ^{[l]} A^{[l-1]T}$, **BP4**, and
#   $dA^{[l-1]} = W^{[l]T} dZ^{[l]}$;
# - the activation's VJP multiplies by $g'(Z^{[l-1]})$: with the previous line, **BP2**.
#
# The four equations are reverse mode, written out once and for all for one shape of graph.

# %% tags=["demo"]
try:
    _rng = np.random.default_rng(6)
    _sizes, _m = [4, 8, 5, 3], 10
    _params = {}
    for _l in range(1, len(_sizes)):
        _params[f"W{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1])) * np.sqrt(2 / _sizes[_l - 1])
        _params[f"b{_l}"] = 0.1 * _rng.standard_normal((_sizes[_l], 1))
    _X, _Y = _rng.standard_normal((4, _m)), np.eye(3)[:, _rng.integers(0, 3, size=_m)]
    for _activation in ("relu", "tanh"):
        _tape = network_tape(3, _activation)
        _grads = reverse_mode(_tape, {"X": _X, "Y": _Y, **_params}, "C")
        _by_hand = network_gradients(_X, _Y, _params, _activation)
        _gap = max(float(np.max(np.abs(_grads[key] - _by_hand["d" + key]))) for key in _params)
        print(f"{_activation}: {len(_tape)} tuples; largest difference between reverse_mode and the four "
              f"equations: {_gap:.1e}")
    _AL = network_forward(_X, _params, "tanh")[0]
    _ZL = _tape[-1][2][0]   # the name your tape gives Z[L]
    print(f"dC/dZ[L] from reverse mode equals (A[L] - Y) / m, that is delta[L] / m: "
          f"{np.allclose(_grads[_ZL], (_AL - _Y) / _m)}")
except NotImplementedError:
    print("Write reverse_mode (with evaluate, unbroadcast and vjp) and network_tape above to run this comparison.")

# %% [markdown]
# ## 6. One pass per input, or one pass per output
#
# Forward and reverse mode compute the same derivatives at very different prices. For a tape whose
# inputs have $N_\text{in}$ entries in all and whose output has $N_\text{out}$ entries, the full Jacobian
# costs
#
# - **forward mode**: $N_\text{in}$ passes, one per input direction, each costing $c_f$ evaluations of
#   the tape;
# - **reverse mode**: $N_\text{out}$ passes, one per output entry (seed that entry with 1), each costing
#   $c_r$ evaluations, plus the memory to keep every value of the forward pass.
#
# $c_f$ and $c_r$ are constants: a pass does the forward work once and a bounded amount of extra work
# per primitive (one JVP or one VJP, each a few array operations), whatever the size of the tape. The
# cell below measures both on these small networks, as the time of one pass divided by the time of one
# `evaluate`.
#
# Training has $N_\text{out} = 1$, the cost, and $N_\text{in}$ = the number of parameters, from thousands to
# billions. The cell also measures the full gradient of $C$ by one `reverse_mode` call, against one
# `forward_mode` call per parameter entry (the two must agree). The biggest network here has about two
# thousand parameters; real ones have millions.

# %% tags=["demo"]
def _gradient_by_forward_mode(tape, values, params):
    """The gradient of C, one forward_mode pass per parameter entry (a one-hot tangent each time)."""
    grads = {}
    for key, value in params.items():
        grads[key] = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            direction = np.zeros_like(value)
            direction[index] = 1.0
            grads[key][index] = float(forward_mode(tape, values, {key: direction})["C"])
    return grads


try:
    _rng = np.random.default_rng(7)
    _counts, _evaluate_s, _reverse_s, _forward_s = [], [], [], []
    for _sizes in ([4, 8, 3], [8, 12, 3], [12, 24, 3], [24, 32, 3], [32, 64, 3]):
        _params = {}
        for _l in range(1, len(_sizes)):
            _params[f"W{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1])) * np.sqrt(2 / _sizes[_l - 1])
            _params[f"b{_l}"] = 0.1 * _rng.standard_normal((_sizes[_l], 1))
        _values = {"X": _rng.standard_normal((_sizes[0], 16)), "Y": np.eye(3)[:, _rng.integers(0, 3, size=16)],
                   **_params}
        _tape = network_tape(len(_sizes) - 1, "relu")
        _start = time.perf_counter()
        for _ in range(5):
            evaluate(_tape, _values)
        _evaluate_s.append((time.perf_counter() - _start) / 5)
        _start = time.perf_counter()
        for _ in range(5):
            _rev = reverse_mode(_tape, _values, "C")
        _reverse_s.append((time.perf_counter() - _start) / 5)
        _start = time.perf_counter()
        _fwd = _gradient_by_forward_mode(_tape, _values, _params)
        _forward_s.append(time.perf_counter() - _start)
        _counts.append(sum(v.size for v in _params.values()))
        assert all(np.allclose(_fwd[k], _rev[k], atol=1e-10) for k in _params), "the two modes disagree"
        print(f"{str(_sizes):>12}: {_counts[-1]:5d} parameters; reverse mode 1 pass {1e3 * _reverse_s[-1]:6.2f} ms, "
              f"forward mode {_counts[-1]} passes {1e3 * _forward_s[-1]:7.1f} ms: {_forward_s[-1] / _reverse_s[-1]:5.0f} "
              f"times slower; c_r = {_reverse_s[-1] / _evaluate_s[-1]:.1f}, "
              f"c_f = {_forward_s[-1] / _counts[-1] / _evaluate_s[-1]:.1f} evaluations per pass")
    _fig, _ax = plt.subplots(figsize=(7, 4))
    _ax.loglog(_counts, 1e3 * np.array(_forward_s), "o-", label="forward mode: one pass per parameter")
    _ax.loglog(_counts, 1e3 * np.array(_reverse_s), "s-", label="reverse mode: one pass")
    _ax.set(xlabel="number of parameters", ylabel="time for the whole gradient (ms)",
            title="The gradient of one cost, same answer both ways")
    _ax.grid(True, which="both", alpha=0.3)
    _ax.legend()
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write reverse_mode, forward_mode and network_tape above to time the two modes.")

# %% [markdown]
# Both modes gave the same gradient. The time of reverse mode barely moves with the size of these
# small networks, while forward mode's grows in proportion to the number of parameters, because it
# does a whole pass for each one.
#
# On networks this small, Python's overhead per primitive outweighs the arithmetic, so the constants
# printed above say more about Python than about differentiation. The next cell measures $c_r$ and
# $c_f$ where the arrays dominate: a network with layers $[256, 256, 256, 10]$ on a batch of 256, the
# best of seven runs of each (a busy machine makes them noisy: run the cell again if they look odd).

# %% tags=["demo"]
try:
    _rng = np.random.default_rng(8)
    _sizes = [256, 256, 256, 10]
    _values = {"X": _rng.standard_normal((256, 256)), "Y": np.eye(10)[:, _rng.integers(0, 10, size=256)]}
    for _l in range(1, len(_sizes)):
        _values[f"W{_l}"] = _rng.standard_normal((_sizes[_l], _sizes[_l - 1])) * np.sqrt(2 / _sizes[_l - 1])
        _values[f"b{_l}"] = np.zeros((_sizes[_l], 1))
    _tape = network_tape(3, "relu")
    _direction = {"W1": _rng.standard_normal((256, 256))}
    _best = {}
    for _label, _run in [("evaluate", lambda: evaluate(_tape, _values)),
                         ("reverse_mode", lambda: reverse_mode(_tape, _values, "C")),
                         ("forward_mode", lambda: forward_mode(_tape, _values, _direction))]:
        _times = []
        for _ in range(7):
            _start = time.perf_counter()
            _run()
            _times.append(time.perf_counter() - _start)
        _best[_label] = min(_times)
    print(f"one evaluate: {1e3 * _best['evaluate']:.1f} ms")
    print(f"one reverse_mode pass (the whole gradient): c_r = {_best['reverse_mode'] / _best['evaluate']:.1f} "
          "evaluations")
    print(f"one forward_mode pass (one direction):     c_f = {_best['forward_mode'] / _best['evaluate']:.1f} "
          "evaluations")
except NotImplementedError:
    print("Write evaluate, reverse_mode, forward_mode and network_tape above to measure the two constants.")

# %% [markdown]
# ### Written question 2: why training uses reverse mode [2 points, graded by hand]
#
# A network of 10 layers of 300 units (about $P = 10^6$ parameters) has one scalar cost, and one
# forward pass on a batch of 256 examples takes 10 ms. (a) With the $c_r$ and $c_f$ you measured above,
# estimate how long forward mode and reverse mode each take to compute the whole gradient once.
# (b) From the VJP and JVP of `matmul`, predict $c_r$ and $c_f$ for a network whose time goes into its
# matrix products, whatever its size, and compare with what you measured. (c) Reverse mode keeps the forward values: estimate how
# many megabytes the tape's `U`, `Z` and `A` nodes of this network take in float64, and compare with
# the parameters. Give numbers.

# %% [markdown] answer="why_reverse_mode" points=2
# ### BEGIN SOLUTION
# **Model answer.** (a) On a quiet machine both constants measure about 2 to 3 (a busy one gives
# more; the student's own numbers count). With $c_f \approx 2.5$, forward mode needs one pass per
# parameter: $10^6 \times 2.5 \times 10$ ms $= 2.5 \cdot 10^4$ s, some 7 hours for one gradient.
# Reverse mode needs one pass: $c_r \times 10$ ms, about 25 ms, roughly $10^6$ times faster.
# (b) Almost all the work is in the matrix products. For
# $Z = A B$, the VJP computes $dy\, B^T$ and $A^T dy$, and the JVP $\dot A B + A \dot B$: two products
# of the same size as the forward one. With the forward pass that each mode also runs, a pass costs
# about $1 + 2 = 3$ evaluations, whatever the sizes (the element-wise ops and the allocation of new
# arrays add a little, Python's overhead more on small arrays, a busy machine noise). (c) Each layer keeps `U`, `Z` and `A`, three
# $300 \times 256$ arrays of 8 bytes: $3 \times 76{,}800 \times 8 \approx 1.8$ MB per layer, about
# 18 MB for 10 layers, more than twice the $10^6 \times 8$ bytes $= 8$ MB of the parameters, and it grows
# with the batch size, which the parameters do not.
#
# **Rubric.**
# - [1 point] (a) forward mode about 10^6 x c_f x 10 ms (hours), reverse mode about c_r x 10 ms (tens of ms), with the student's measured constants; (b) the VJP and the JVP of matmul are each two products of the forward one's size, so a pass is predicted at about 3 evaluations, compared with the measurement
# - [1 point] (c) about 3 x 300 x 256 x 8 B = 1.8 MB per layer, about 18 MB in all (within a factor 2), compared with about 8 MB of parameters, and growing with the batch size
# ### END SOLUTION

# %% [markdown]
# ### Written question 3: when forward mode wins [2 points, graded by hand]
#
# Forward mode is not only a slow way to get a gradient. Describe a computation for which forward mode
# is the better choice and explain why with a count of passes. Then give one more advantage of forward
# mode that the count does not show. Three or four sentences.

# %% [markdown] answer="when_forward_mode" points=2
# ### BEGIN SOLUTION
# **Model answer.** Forward mode wins when a function has few inputs and many outputs,
# $f: \mathbb R^{N_\text{in}} \to \mathbb R^{N_\text{out}}$ with $N_\text{in} \ll N_\text{out}$. For example a simulation whose 10,000 outputs
# depend on 3 physical parameters: its full Jacobian takes 3 forward-mode passes (one per input
# direction) against 10,000 reverse-mode passes (one per output). It also wins when only one directional
# derivative $J v$ is wanted, which one forward pass gives for any number of inputs (as in a sensitivity
# along one direction, or Hessian-vector products computed forward over reverse). Beyond the count,
# forward mode keeps no tape: the tangents travel with the values and can be dropped as soon as they
# are used, so its memory does not grow with the length of the computation, while reverse mode must
# store every intermediate value.
#
# **Rubric.**
# - [1 point] few inputs and many outputs (N_in much smaller than N_out), argued with the count: N_in forward passes against N_out reverse passes (or a single Jacobian-vector product in one pass)
# - [1 point] a further advantage: no stored forward values (memory that does not grow with the computation), or simplicity (no backward walk, runs alongside the evaluation)
# ### END SOLUTION

# %% [markdown]
# ## 7. This is what PyTorch's autograd does
#
# PyTorch does what your code does, with two practical differences. First, it records the tape
# *while the program runs*: every operation on a tensor that needs a gradient appends itself, with a
# reference to its VJP, to a graph (PyTorch calls each entry a `grad_fn`). Python loops and `if`s
# simply produce different tapes on different runs.
#
# Second, `loss.backward()` is your `reverse_mode`: it seeds the loss with 1, walks the recorded graph
# backwards and **adds** into each leaf's `.grad`. It even keeps adding across calls, which is why a
# training loop calls `optimizer.zero_grad()` before each backward pass.

# %% [markdown]
# ### Recording a tape by running ordinary code
#
# How does a framework get its tape, if nobody writes it? The next cell shows the idea in a few lines.
# A `Traced` wraps a value. Python calls `a.__add__(b)` for `a + b`, `__mul__` for `*` and
# `__matmul__` for `@`, so a class can decide what those operators do: here each one computes the
# result with `PRIMITIVES`, **appends a `(name, op, inputs)` tuple to a shared tape**, and returns a
# new `Traced` for the result. A plain number met along the way (the `0.9` below) becomes an input of
# its own. Then ordinary Python, with a loop and an `if`, writes the tape as it runs, and your
# `reverse_mode` differentiates it. The classes are **given**; the demo after them runs `program`
# twice, on one and on three steps.

# %%
# ---------------------------------------------------------------- GIVEN: a tape recorded by operator overloading


class Recording:
    """A tape being written, and the values of its inputs (named ones, and the constants met on the way)."""

    def __init__(self):
        self.tape, self.inputs = [], {}

    def input(self, name, value):
        self.inputs[name] = value
        return Traced(value, name, self)


class Traced:
    """A value whose operations append themselves to its recording's tape in the course's format."""

    def __init__(self, value, name, recording):
        self.value, self.name, self.recording = value, name, recording

    def _apply(self, op, *others):
        operands = [self] + [other if isinstance(other, Traced)
                             else self.recording.input(f"const{len(self.recording.inputs)}", other)
                             for other in others]
        name = f"t{len(self.recording.tape) + 1}"
        self.recording.tape.append((name, op, tuple(operand.name for operand in operands)))
        return Traced(PRIMITIVES[op](*[operand.value for operand in operands]), name, self.recording)

    def __add__(self, other):
        return self._apply("add", other)

    def __mul__(self, other):
        return self._apply("mul", other)

    def __matmul__(self, other):
        return self._apply("matmul", other)

    def tanh(self):
        return self._apply("tanh")

    def sum(self):
        return self._apply("sum")


def program(W, x, b, steps):
    """Ordinary Python: a loop, and an if that depends on the step. It never mentions a tape."""
    h = x
    for step in range(steps):
        h = (W @ h + b).tanh() if step % 2 == 0 else h * h * 0.9
    return h.sum()


# %% tags=["demo"]
for _steps in (1, 3):
    _recording = Recording()
    _s = program(*(_recording.input(name, WORKED_VALUES[name]) for name in ("W", "x", "b")), _steps)
    print(f"steps = {_steps}: the recorded tape, {len(_recording.tape)} tuples")
    for _entry in _recording.tape:
        print("   ", _entry)
    try:
        _grads = reverse_mode(_recording.tape, _recording.inputs, _s.name)
        print(f"    s = {float(_s.value):.6f}; reverse_mode on it: ds/dx = {np.ravel(_grads['x'])}")
    except NotImplementedError:
        print("    (write reverse_mode above to differentiate the recorded tape)")


# %% [markdown]
# With `steps = 1` the recorded tape is the worked example's under other names (`t1` to `t4`), and
# `ds/dx` is the worked example's $[0.203927,\ -0.204171]^T$. With `steps = 3` the loop and the `if`
# wrote a longer tape, in which `W` and `b` are read twice: their gradients add up in `reverse_mode`
# with no extra code. Nothing in `program` knows it is being differentiated; PyTorch works the same
# way, with tensors in the role of `Traced`.

# %% [markdown]
# PyTorch is not a dependency of this course. If it happens to be installed where you run this
# notebook, the cell below computes the worked example's gradients with `torch.autograd` and compares
# them with yours; otherwise it says so.

# %% tags=["demo"]
try:
    import torch
except ImportError:
    torch = None

if torch is None:
    print("PyTorch is not installed here (it is not a course dependency), so there is nothing to compare with.")
else:
    _leaves = {name: torch.tensor(WORKED_VALUES[name], dtype=torch.float64, requires_grad=True)
               for name in WORKED_VALUES}
    _s = torch.tanh(_leaves["W"] @ _leaves["x"] + _leaves["b"]).sum()   # records the same four operations
    _s.backward()                                                        # reverse mode from s, seeded with 1
    try:
        _grads = reverse_mode(WORKED_TAPE, WORKED_VALUES, "s")
        for _name, _leaf in _leaves.items():
            print(f"ds/d{_name}: torch {_leaf.grad.numpy().ravel()}   yours {np.ravel(_grads[_name])}")
    except NotImplementedError:
        for _name, _leaf in _leaves.items():
            print(f"ds/d{_name}: torch {_leaf.grad.numpy().ravel()}   (write reverse_mode above to compare)")

# %% [markdown]
# ### And JAX
#
# JAX records its tape another way: it *traces* a Python function, running it once on placeholder
# values to record its primitive operations, and then transforms that record. It offers both modes
# directly: `jax.vjp` and `jax.grad` are reverse mode, like your `reverse_mode`; `jax.jvp` is forward
# mode, like your `forward_mode`.

# %% [markdown]
# ## Summary
#
# - **A tape** is a computation written as primitive operations in the order they run; as a graph it
#   has no cycles, and the order of the tape is a topological order.
# - **Each primitive knows only its local derivative**, as a vector-Jacobian product: given its output's
#   gradient it returns one gradient per input, shaped like that input, without ever building a
#   Jacobian. A row is derived entry by entry (which outputs does an input reach, with what local
#   derivative?) and checked against central differences.
# - **Broadcasting forwards is a sum backwards**: a value copied along an axis collects the gradients
#   of all its copies (`unbroadcast`), which is where the sum over the batch in $\partial C/\partial b$
#   comes from.
# - **Reverse mode** evaluates the tape, seeds the output with 1, walks the tape backwards and **adds**
#   the pieces of a value used more than once. One pass gives the gradient with respect to every
#   input, at the price of storing the forward values.
# - **Forward mode** pushes tangents forwards with Jacobian-vector products: one pass per input
#   direction, no stored tape. Training, with one cost and many parameters, uses reverse mode.
# - **The four equations** of notebook 03 are reverse mode on the tape of a layered network, and
#   PyTorch's `autograd` and JAX's `grad` are this machine, recording their tape as the program runs
#   (operator overloading, as `Traced` did, or tracing).
#
# Next, notebook 10: batch normalisation. Its backward pass looks daunting when derived in one go; on
# the computational graph of this notebook it is a handful of VJPs, one of them a sum over the batch
# coming straight from broadcasting.
