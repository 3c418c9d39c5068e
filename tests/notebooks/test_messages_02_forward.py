"""02_forward's sigmoid at the edge of float64: a correct stable sigmoid passes the hidden test for every z
it can draw (whatever the seed), and the silenced textbook form fails the visible test, the hidden test and
the verification."""

import numpy as np
import pytest

from autograder import authoring
from autograder import reference as ref
from autograder.judging import mistakes
from tests.support.wrong_versions import (
    _cells,
    assert_diagnosed,
    assert_transform_is_its_own_mistake,
    diagnosis,
    hidden_test,
    transforms,
    verification,
    visible_test,
)

NAME = "02_forward"
DRAW = "_z = -_rng.uniform(709.9, 740.0, size=(3, 5))"
# Every z the hidden test can draw, as finely as a sweep allows, both ends included.
SWEEP = "_z = -np.concatenate([np.linspace(709.9, 740.0, 300_001), [np.nextafter(740.0, 0.0)]])"

STABLE = """
import numpy as np
def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
"""

STABLE_BY_MASKS = """
import numpy as np
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out
"""

STABLE_BY_LOGADDEXP = """
import numpy as np
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))
"""

SILENCED_TEXTBOOK = """
import numpy as np
def sigmoid(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))
"""


def _swept_test_cell():
    [cell] = [c for c in _cells(NAME) if c.metadata["nbgrader"].get("grade_id") == "test_sigmoid"]
    assert cell.source.count(DRAW) == 1, "the hidden test's draw of tiny z changed: update DRAW"
    return cell.source.replace(DRAW, SWEEP)


def test_the_old_log_check_missed_even_the_exact_value_deep_in_the_range():
    # Why the hidden test changed: log(sigmoid(z)) within rtol 1e-6 of z fails for the exact value
    # (e^z rounded to the subnormal grid) below z = -737.96.
    z = -np.linspace(709.9, 740.0, 300_001)
    with np.errstate(divide="ignore"):
        misses = ~np.isclose(np.log(np.exp(z)), z, rtol=1e-6, atol=0)
    assert misses.any() and z[misses].max() < -737.9


@pytest.mark.parametrize("source", [STABLE, STABLE_BY_MASKS, STABLE_BY_LOGADDEXP])
def test_a_correct_stable_sigmoid_passes_for_every_z_the_hidden_test_can_draw(source):
    outcome = hidden_test(NAME, "sigmoid", source, others={"test_sigmoid": _swept_test_cell()})
    assert outcome.passed, outcome
    assert not outcome.warned
    assert hidden_test(NAME, "sigmoid", source).passed
    assert verification("sigmoid", source) == []


def test_the_silenced_textbook_sigmoid_fails_everywhere():
    outcome = visible_test(NAME, "sigmoid", SILENCED_TEXTBOOK)
    assert not outcome.passed and "returned 0 for z = -720 and -710" in outcome.message
    assert not hidden_test(NAME, "sigmoid", SILENCED_TEXTBOOK).passed
    swept = hidden_test(NAME, "sigmoid", SILENCED_TEXTBOOK, others={"test_sigmoid": _swept_test_cell()})
    assert not swept.passed
    reasons = verification("sigmoid", SILENCED_TEXTBOOK)
    assert reasons and all("below -700" in r and "tiny but positive" in r for r in reasons)


# ---------------------------------------------------------------- the other exercises (pilot of the release notebook)
# Each wrong version: its exercise, its source, a fragment of the visible message that names the slip, and
# whether the verification refutes it too (every one now: layer_forward's required ValueError is judged by
# the spec's must_raise case).

TANH_SIGMOID = "import numpy as np\ndef sigmoid(z):\n    return 0.5 * (1 + np.tanh(z / 2))\n"
CLIPPED_SIGMOID = "import numpy as np\ndef sigmoid(z):\n    z = np.clip(z, -500, 500)\n    return 1 / (1 + np.exp(-z))\n"
LAYER_FORWARD = """
def layer_forward(A_prev, W, b, activation):
    g = {"sigmoid": sigmoid, "relu": relu, "leaky_relu": leaky_relu, "tanh": np.tanh, "softplus": softplus,
         "swish": swish, "identity": lambda Z: Z, "softmax": softmax}
    Z = W @ A_prev + b
    return g[activation](Z), Z
"""
FORWARD_LEN_PARAMS = """
def forward(X, params, hidden_activation="relu", output_activation="sigmoid"):
    L = len(params)
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        A, Z = layer_forward(A, params[f"W{l}"], params[f"b{l}"], output_activation if l == L else hidden_activation)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache
"""
# What the verification runs a version with: the notebook's other functions (these are the solutions).
GIVEN = """
import numpy as np
def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
def relu(z):
    return np.maximum(z, 0)
def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)
def softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
def swish(z):
    return z * sigmoid(z)
def softmax(Z):
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True)
def linear_forward(A_prev, W, b):
    return W @ A_prev + b
def layer_forward(A_prev, W, b, activation):
    g = {"sigmoid": sigmoid, "relu": relu, "leaky_relu": leaky_relu, "tanh": np.tanh, "softplus": softplus,
         "swish": swish, "identity": lambda Z: Z, "softmax": softmax}
    if activation not in g:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(g)}")
    return g[activation](W @ A_prev + b), W @ A_prev + b
"""

SLIPS = [
    ("sigmoid", TANH_SIGMOID, "returned 0 for z = -720, -710, -700, -100 and -40", True),
    ("sigmoid", CLIPPED_SIGMOID, "as if z were cut off there", True),
    ("softplus", "import numpy as np\ndef softplus(z):\n    return np.maximum(z, 0) + np.log(1 + np.exp(-np.abs(z)))\n",
     "1 + t rounds to exactly 1", True),
    ("softmax", "import numpy as np\ndef softmax(Z):\n    E = np.exp(Z - np.max(Z, axis=1, keepdims=True))\n"
     "    return E / np.sum(E, axis=0, keepdims=True)\n", "shifted by each ROW's maximum", True),
    ("linear_forward", "def linear_forward(A_prev, W, b):\n    return W * A_prev + b\n", "entry by entry (*)", True),
    ("linear_forward", "def linear_forward(A_prev, W, b):\n    return W @ A_prev + b.ravel()\n",
     "adds the bias as a flat vector of shape (n[l],)", True),
    ("linear_forward", "def linear_forward(A_prev, W, b):\n    return W.T @ A_prev + b\n", "multiplies by W.T", True),
    ("layer_forward", LAYER_FORWARD, "raised KeyError: 'gelu'. An unknown activation name should raise a ValueError", True),
    ("layer_forward", LAYER_FORWARD.replace("    return g[activation](Z), Z", "    return g.get(activation, lambda Z: Z)(Z), Z"),
     "returned a result for an unknown activation name", True),
    ("layer_forward", LAYER_FORWARD.replace("    Z = W", "    if activation not in g:\n        raise ValueError('unknown activation')\n    Z = W"),
     "which does not list the valid names", True),
    ("forward", FORWARD_LEN_PARAMS, "looked up params['W3'], which is not there", True),
]
IDS = ["sigmoid_tanh", "sigmoid_clipped", "softplus_log", "softmax_row_max", "linear_star", "linear_flat_bias",
       "linear_w_transposed", "layer_keyerror", "layer_identity_fallback", "layer_unlisted", "forward_len_params"]


@pytest.mark.parametrize("exercise, source, message, verifiable", SLIPS, ids=IDS)
def test_a_slip_is_named_and_refuted(exercise, source, message, verifiable):
    outcome = visible_test(NAME, exercise, source)
    assert not outcome.passed and message in outcome.message, outcome
    assert not hidden_test(NAME, exercise, source).passed
    if verifiable:
        assert verification(exercise, GIVEN + source)


def test_the_tiny_value_messages_give_the_right_exponential():
    assert np.isclose(np.exp(-720.0), 2.03e-313, rtol=2e-3) and np.isclose(np.exp(-710.0), 4.48e-309, rtol=2e-3)
    assert np.isclose(np.exp(-40.0), 4.25e-18, rtol=2e-3) and np.isclose(np.exp(-60.0), 8.76e-27, rtol=2e-3)
    text = (authoring.SOURCE / NAME / f"{NAME}.py").read_text()
    assert "e^{-720} \\approx 2.03" in text and "2.5e-313" not in text


@pytest.mark.parametrize("exercise, source", [
    ("softplus", "import numpy as np\ndef softplus(z):\n    return np.logaddexp(0, z)\n"),
    # A cut-off above which softplus(z) = z (PyTorch's threshold): off by e^-z < 1e-13, within float64's reach.
    ("softplus", "import numpy as np\ndef softplus(z):\n    return np.where(z > 30, z, np.log1p(np.exp(np.minimum(z, 30))))\n"),
    ("softmax", "import numpy as np\ndef softmax(Z):\n    E = np.exp(Z - Z.max(axis=0))\n    return E / E.sum(axis=0)\n"),
    ("layer_forward", LAYER_FORWARD.replace(
        "    Z = W", "    if activation not in g:\n        raise ValueError(f'{activation!r} is not one of ' + ', '.join(g))\n    Z = W")),
])
def test_a_version_written_otherwise_passes(exercise, source):
    assert visible_test(NAME, exercise, source).passed
    assert hidden_test(NAME, exercise, source).passed
    assert verification(exercise, GIVEN + source) == []


# ---------------------------------------------------------------- named mistakes (autograder.judging.mistakes)
# The grader names a slip from the function's outputs on the class's inputs, with the visible test's words for it.
# Not named: softmax shifted by each row's maximum (its columns of logits near -1000 come out 0 / 0 = NaN, which
# matches no value) and W.T @ A_prev (a matmul error on these shapes that other slips raise too).

MISTAKE_BY_ID = {"sigmoid_tanh": "zero_far_left", "sigmoid_clipped": "cut_off", "softplus_log": "log_not_log1p",
                 "linear_star": "elementwise_product", "linear_flat_bias": "flat_bias",
                 "layer_keyerror": "keyerror_for_unknown_name", "layer_identity_fallback": "result_for_unknown_name",
                 "layer_unlisted": "valid_names_unlisted", "forward_len_params": "layers_miscounted"}
_XOR = "import numpy as np\ndef xor_params():\n    return {{'{W1}': np.ones((2, 2)), 'b1': np.zeros((2, 1)), " \
       "'W2': np.ones((1, 2)), 'b2': np.zeros((1, 1))}}\n"
MORE_SLIPS = [
    ("sigmoid", SILENCED_TEXTBOOK, "zero_far_left"),
    ("relu", "import numpy as np\ndef relu(z):\n    return np.max(z, 0)\n", "np_max_not_maximum"),
    ("softmax", "import numpy as np\ndef softmax(Z):\n    E = np.exp(Z - Z.max())\n    return E / E.sum()\n",
     "whole_matrix_sums_to_one"),
    ("softmax", "import numpy as np\ndef softmax(Z):\n    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
     "    return E / E.sum(axis=1, keepdims=True)\n", "rows_sum_to_one"),
    ("linear_forward", "def linear_forward(A_prev, W, b):\n    return A_prev.T @ W.T + b\n", "examples_as_rows"),
    ("xor_params", _XOR.format(W1="W1"), "not_xor"),
    ("xor_params", _XOR.format(W1="w1"), "wrong_keys"),
]
NAMED = [(exercise, source, MISTAKE_BY_ID[label]) for (exercise, source, *_), label in zip(SLIPS, IDS)
         if label in MISTAKE_BY_ID] + MORE_SLIPS
TRANSFORMS = transforms(NAME)


@pytest.mark.parametrize(("exercise", "source", "name"), NAMED, ids=[f"{n[0]}-{n[2]}" for n in NAMED])
def test_a_slip_is_diagnosed_in_the_visible_tests_words(exercise, source, name):
    assert_diagnosed(NAME, exercise, source, name, GIVEN + source)


@pytest.mark.parametrize(("exercise", "name"), TRANSFORMS, ids=[f"{e}-{n}" for e, n in TRANSFORMS])
def test_each_wrong_transform_shows_its_own_mistake_and_fails_with_its_words(exercise, name):
    assert_transform_is_its_own_mistake(NAME, exercise, name)


@pytest.mark.parametrize("exercise", ref.EXERCISES[NAME])
def test_a_correct_alternative_shows_no_named_mistake(exercise):
    sources = [f"from tests.support.alternatives import ALTERNATIVES\n{exercise} = ALTERNATIVES[{exercise!r}]\n"]
    if exercise == "sigmoid":
        sources += [STABLE, STABLE_BY_MASKS, STABLE_BY_LOGADDEXP]
    for source in sources:
        found = diagnosis(exercise, GIVEN + source)
        assert found == mistakes.Diagnosis(mistakes.UNRECOGNISED, "", found.output)
