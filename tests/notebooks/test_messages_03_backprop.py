"""03_backprop: wrong versions get a message that names the slip, and never full marks.

Each wrong version is fed to its exercise's visible test (the message must name what is wrong),
to the whole test cell with its hidden tests (it must fail), and to the verification (it must be
refuted). Correct versions written differently must pass the whole cell and the verification
(the hidden part of a cell runs after its visible part, so a passing cell passed both).
"""

import pytest

from autograder import reference as ref
from autograder.judging import mistakes
from tests.support import catalog
from tests.support.wrong_versions import (
    assert_diagnosed,
    assert_transform_is_its_own_mistake,
    diagnosis,
    hidden_test,
    transforms,
    verification,
    visible_test,
)

NOTEBOOK = "03_backprop"

PRIMES = '''import numpy as np

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)

def relu_prime(z):
    return (np.asarray(z) > 0).astype(float)

def leaky_relu_prime(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, 1.0, alpha)

def tanh_prime(z):
    return 1 - np.tanh(z) ** 2

PRIME = {"sigmoid": sigmoid_prime, "relu": relu_prime, "leaky_relu": leaky_relu_prime, "tanh": tanh_prime}
'''

PIECES = PRIMES + '''
def output_delta(AL, Y, ZL, loss, output_activation):
    if (loss, output_activation) == ("mse", "sigmoid"):
        return (AL - Y) * sigmoid_prime(ZL)
    return AL - Y

def hidden_delta(delta_next, W_next, Z, activation):
    return (W_next.T @ delta_next) * PRIME[activation](Z)

def param_gradients(delta, A_prev):
    return delta @ A_prev.T, delta.copy()
'''


def _output_delta(mse_sigmoid, other="AL - Y", softmax="AL - Y", prelude=""):
    return PRIMES + f'''
def output_delta(AL, Y, ZL, loss, output_activation):
{prelude}    if (loss, output_activation) == ("mse", "sigmoid"):
        return {mse_sigmoid}
    if output_activation == "softmax":
        return {softmax}
    return {other}
'''


def _hidden_delta(body):
    return PRIMES + f"\ndef hidden_delta(delta_next, W_next, Z, activation):\n    return {body}\n"


def _backward(loop, hidden="hidden_activation"):
    return PIECES + f'''
def backward(Y, params, cache, hidden_activation, output_activation, loss):
    L = len(params) // 2
    grads = {{}}
    delta = output_delta(cache[f"A{{L}}"], Y, cache[f"Z{{L}}"], loss, output_activation)
    for l in range(L, 0, -1):
{loop.replace("HIDDEN", hidden)}
    return grads
'''


READ_THEN_STEP = '''        grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta, cache[f"A{l - 1}"])
        if l > 1:
            delta = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], HIDDEN)'''
STEP_THEN_READ = '''        if l > 1:
            delta_below = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], HIDDEN)
        else:
            delta_below = delta
        grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta_below, cache[f"A{l - 1}"])
        delta = delta_below'''

WRONG = {
    # The slips the issue lists, each with the message it now gets.
    "Z (1 - Z) for sigmoid'": ("output_delta", _output_delta("(AL - Y) * ZL * (1 - ZL)"),
                               "you multiplied by Z (1 - Z)"),
    "AL -= Y in every branch": ("output_delta",
                                _output_delta("AL * sigmoid_prime(ZL)", other="AL", softmax="AL",
                                              prelude="    AL -= Y\n"),
                                "AL -= Y overwrites A[L]"),
    "W_next.T * delta_next": ("hidden_delta", _hidden_delta("(W_next.T * delta_next) * PRIME[activation](Z)"),
                              "W_next^T delta_next is a matrix product"),
    "BP2 before BP3/BP4": ("backward", _backward(STEP_THEN_READ), "you stepped down with BP2 before reading off"),
    "output_activation into hidden_delta": ("backward", _backward(READ_THEN_STEP, hidden="output_activation"),
                                            "output_activation enters only BP1"),
    # Silent passes found in this notebook, now caught.
    "leaky relu' = 1 at 0": ("leaky_relu_prime",
                             "import numpy as np\ndef leaky_relu_prime(z, alpha=0.01):\n"
                             "    return np.where(np.asarray(z) >= 0, 1.0, alpha)\n",
                             "use z > 0, not z >= 0"),
    "leaky relu' = 0 at 0": ("leaky_relu_prime",
                             "import numpy as np\ndef leaky_relu_prime(z, alpha=0.01):\n    z = np.asarray(z)\n"
                             "    return np.where(z > 0, 1.0, np.where(z < 0, alpha, 0.0))\n",
                             "should be alpha, not 0"),
    "cross-entropy clipped at 0.01": ("cross_entropy_loss",
                                      "import numpy as np\ndef cross_entropy_loss(AL, Y):\n"
                                      "    return float(-np.sum(Y * np.log(np.clip(AL, 0.01, 1))) / AL.shape[1])\n",
                                      "clipping eps is too large"),
    # Messages that were generic or off the point.
    "sigmoid' at AL": ("output_delta", _output_delta("(AL - Y) * sigmoid_prime(AL)"),
                       "BP1 evaluates g' at the pre-activation Z[L]"),
    "softmax Jacobian's diagonal only": ("output_delta", _output_delta("(AL - Y) * sigmoid_prime(ZL)",
                                                                       softmax="(AL - Y) * AL * (1 - AL)"),
                                         "softmax is not element-wise"),
    "mse divided by n[L]": ("mse_loss", "import numpy as np\ndef mse_loss(AL, Y):\n"
                                        "    return float(0.5 * np.sum((AL - Y) ** 2) / AL.shape[0])\n",
                            "you divided by AL.shape[0] = n[L]"),
    "BP4 without the transpose": ("param_gradients", "import numpy as np\ndef param_gradients(delta, A_prev):\n"
                                                     "    return delta @ A_prev, delta.copy()\n",
                                  "is an outer product"),
}

SIGMOID_BRANCH_IN_PLACE = PRIMES + '''
def hidden_delta(delta_next, W_next, Z, activation):
    if activation == "sigmoid":
        Z[:] = sigmoid(Z)
        Z *= 1 - Z
        return (W_next.T @ delta_next) * Z
    return (W_next.T @ delta_next) * PRIME[activation](Z)
'''
RELU_BRANCH_IN_PLACE = PRIMES + '''
def hidden_delta(delta_next, W_next, Z, activation):
    if activation == "relu":
        Z[Z > 0] = 1.0
        Z[Z <= 0] = 0.0
        return (W_next.T @ delta_next) * Z
    return (W_next.T @ delta_next) * PRIME[activation](Z)
'''
BP2_WITH_W_BELOW = READ_THEN_STEP.replace('params[f"W{l}"]', 'params[f"W{l - 1}"]')

# The pilot's findings (a student's read of the release notebook), each with the message it now gets.
PILOT = {
    "hidden_delta: relu' computed in place in Z": ("hidden_delta", RELU_BRANCH_IN_PLACE, "modified its input Z in place"),
    "hidden_delta: sigmoid' computed in place in Z": ("hidden_delta", SIGMOID_BRANCH_IN_PLACE,
                                                      "modified its input Z in place"),
    "hidden_delta: W_next.T * delta_next.T": ("hidden_delta", _hidden_delta("(W_next.T * delta_next.T) * PRIME[activation](Z)"),
                                              "W_next^T delta_next is a matrix product"),
    "backward: a shared default grads={}": ("backward", _backward(READ_THEN_STEP).replace(
        "loss):\n    L = len(params) // 2\n    grads = {}", "loss, grads={}):\n    L = len(params) // 2"),
                                            "a default argument such as grads={} is created once"),
    "backward: W[l-1] in BP2": ("backward", _backward(BP2_WITH_W_BELOW), "On this network (L = 2): delta1 needs W2 (1, 2)"),
    "sigmoid_prime: e^-z / (1 + e^-z)^2": ("sigmoid_prime", "import numpy as np\ndef sigmoid_prime(z):\n"
                                                            "    return np.exp(-z) / (1 + np.exp(-z)) ** 2\n",
                                           "inf / inf is NaN"),
    "bce_loss divided by AL.shape[0]": ("bce_loss", "import numpy as np\ndef bce_loss(AL, Y):\n"
                                                    "    A = np.clip(AL, 1e-12, 1 - 1e-12)\n"
                                                    "    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / AL.shape[0])\n",
                                        "you divided by AL.shape[0] = n[L] = 3"),
    "output_delta: BCE's dC/dA times sigmoid'": ("output_delta",
                                                 _output_delta("(AL - Y) * sigmoid_prime(ZL)", other="(AL - Y) / (AL * (1 - AL)) "
                                                               "* sigmoid_prime(ZL) if loss == 'bce' else AL - Y"),
                                                 "return the simplified AL - Y"),
}
WRONG.update(PILOT)

# BP4 written for one example only: right within this notebook's m = 1 contract, so it passes, with a
# note that it will not carry over to notebook 04's batches.
ONE_EXAMPLE_BP4 = {
    "np.outer": "import numpy as np\ndef param_gradients(delta, A_prev):\n    return np.outer(delta, A_prev), delta.copy()\n",
    "broadcast": "import numpy as np\ndef param_gradients(delta, A_prev):\n    return delta * A_prev.T, delta.copy()\n",
}

CORRECT = {
    "leaky_relu_prime": "import numpy as np\ndef leaky_relu_prime(z, alpha=0.01):\n"
                        "    return alpha + (1 - alpha) * (np.asarray(z) > 0)\n",
    "output_delta": _output_delta("(AL - Y) * (AL - AL**2)", softmax="np.subtract(AL, Y)"),
    "backward": PIECES + '''
def backward(Y, params, cache, hidden_activation, output_activation, loss):
    L = len(params) // 2
    delta = output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
    grads = {}
    for l in range(L, 0, -1):
        if l < L:  # step down first, from the layer above, then read off this layer
            delta = np.einsum("ji,jk->ik", params[f"W{l + 1}"], delta) * PRIME[hidden_activation](cache[f"Z{l}"])
        grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta, cache[f"A{l - 1}"])
    return grads
''',
}


@pytest.mark.parametrize("label", WRONG)
def test_wrong_version_is_named_and_refuted(label):
    exercise, source, fragment = WRONG[label]
    outcome = visible_test(NOTEBOOK, exercise, source)
    assert not outcome.passed, f"{label}: the visible test passed"
    assert fragment in outcome.message, f"{label}: {outcome}"
    assert not hidden_test(NOTEBOOK, exercise, source).passed, f"{label}: the hidden test passed"
    assert verification(exercise, source), f"{label}: the verification did not refute it"


def test_ignoring_eps_in_gradient_check_is_named_and_fails_the_hidden_test():
    # The verification's cost is a quadratic, whose central difference is exact for any eps, so only
    # the tests can see this slip.
    source = '''import numpy as np
def gradient_check(cost_fn, params, grads, eps=1e-6):
    step = 1e-6
    a, n = [], []
    for key, value in params.items():
        num = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[i] += step
            down[i] -= step
            num[i] = (cost_fn({**params, key: up}) - cost_fn({**params, key: down})) / (2 * step)
        a.append(np.ravel(grads["d" + key]))
        n.append(num.ravel())
    a, n = np.concatenate(a), np.concatenate(n)
    total = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if total == 0 else float(np.linalg.norm(a - n) / total)
'''
    outcome = visible_test(NOTEBOOK, "gradient_check", source)
    assert not outcome.passed and "ignored its eps argument" in outcome.message, str(outcome)
    assert not hidden_test(NOTEBOOK, "gradient_check", source).passed


def test_shape_error_in_backward_is_short_and_about_the_students_network():
    outcome = visible_test(NOTEBOOK, "backward", WRONG["backward: W[l-1] in BP2"][1])
    assert len(outcome.message) < 400 and "gufunc" not in outcome.message and "W3" not in outcome.message, str(outcome)


@pytest.mark.parametrize("form", ONE_EXAMPLE_BP4)
def test_one_example_bp4_passes_with_a_note_for_notebook_04(form):
    source = ONE_EXAMPLE_BP4[form]
    outcome = visible_test(NOTEBOOK, "param_gradients", source)
    assert outcome.passed and "A note for notebook 04" in outcome.output, str(outcome)
    assert hidden_test(NOTEBOOK, "param_gradients", source).passed
    assert verification("param_gradients", source) == []
    assert "A note for notebook 04" not in visible_test(NOTEBOOK, "param_gradients", PIECES).output


def test_default_eps_of_gradient_check_is_checked():
    # As above, only the tests can see it: at 1e-4 the verification's costs give a relative error
    # below its 1e-7 floor.
    source = '''import numpy as np
def gradient_check(cost_fn, params, grads, eps=1e-4):
    a, n = [], []
    for key, value in params.items():
        num = np.zeros_like(value, dtype=float)
        for i in np.ndindex(value.shape):
            up, down = value.astype(float), value.astype(float)
            up[i] += eps
            down[i] -= eps
            num[i] = (cost_fn({**params, key: up}) - cost_fn({**params, key: down})) / (2 * eps)
        a.append(np.ravel(grads["d" + key]))
        n.append(num.ravel())
    a, n = np.concatenate(a), np.concatenate(n)
    total = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if total == 0 else float(np.linalg.norm(a - n) / total)
'''
    outcome = visible_test(NOTEBOOK, "gradient_check", source)
    assert not outcome.passed and "the default step is eps=1e-6" in outcome.message, str(outcome)
    assert not hidden_test(NOTEBOOK, "gradient_check", source).passed
    right = source.replace("eps=1e-4", "eps=1e-6")
    assert hidden_test(NOTEBOOK, "gradient_check", right).passed and verification("gradient_check", right) == []


@pytest.mark.parametrize("exercise", CORRECT)
def test_correct_version_written_differently_passes(exercise):
    outcome = hidden_test(NOTEBOOK, exercise, CORRECT[exercise])
    assert outcome.passed and not outcome.warned, str(outcome)
    assert verification(exercise, CORRECT[exercise]) == []


# ---------------------------------------------------------------- named mistakes (autograder.judging.mistakes)
# The grader names a slip from the function's outputs on the class's inputs, with the visible test's words for it.
# Not named: a clipping eps too large (the spec's probabilities avoid where the constant shows, so a transform
# would agree with the reference) and a shared default grads={} (a transform cannot carry state across calls).

MISTAKE_BY_LABEL = {
    "Z (1 - Z) for sigmoid'": "z_times_one_minus_z", "AL -= Y in every branch": "cache_changed_in_place",
    "W_next.T * delta_next": "elementwise", "BP2 before BP3/BP4": "bp2_before_bp3",
    "output_activation into hidden_delta": "output_activation_in_bp2", "leaky relu' = 1 at 0": "one_at_zero",
    "leaky relu' = 0 at 0": "zero_at_zero", "sigmoid' at AL": "sigmoid_prime_at_AL",
    "softmax Jacobian's diagonal only": "softmax_diagonal", "mse divided by n[L]": "divided_by_units",
    "BP4 without the transpose": "not_an_outer_product",
    "hidden_delta: relu' computed in place in Z": "inputs_changed_in_place",
    "hidden_delta: sigmoid' computed in place in Z": "inputs_changed_in_place",
    "hidden_delta: W_next.T * delta_next.T": "elementwise_with_delta_row", "backward: W[l-1] in BP2": "layer_index",
    "sigmoid_prime: e^-z / (1 + e^-z)^2": "overflow_nan", "bce_loss divided by AL.shape[0]": "divided_by_units",
    "output_delta: BCE's dC/dA times sigmoid'": "saturated_nan",
}
CATALOG_MISTAKE = {"mse_loss": "summed_not_averaged", "param_gradients": "dW_transposed",
                   "sigmoid_prime": "sigmoid_itself", "gradient_check": "max_denominator"}
_NO_ZERO_GUARD = catalog.DIFFERENT_BUT_CORRECT["gradient_check"].replace(
    "return 0.0 if top == 0 else float(np.linalg.norm(a - n) / top)", "return float(np.linalg.norm(a - n) / top)")
GRADIENT_CHECK_IN_PLACE = """import numpy as np
def gradient_check(cost_fn, params, grads, eps=1e-6):
    a, n = [], []
    for key, value in params.items():
        for i in np.ndindex(value.shape):
            start = value[i]
            value[i] = start + eps  # the caller's array, never put back
            upper = cost_fn(params)
            value[i] = start - eps
            n.append((upper - cost_fn(params)) / (2 * eps))
            a.append(grads["d" + key][i])
    a, n = np.array(a), np.array(n)
    total = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if total == 0 else float(np.linalg.norm(a - n) / total)
"""
MORE_SLIPS = {  # slips recognised by the spec's reason: an input changed in place, NaN, a missing key, a shape error
    "relu' written into z": ("relu_prime", "import numpy as np\ndef relu_prime(z):\n    z[z > 0] = 1.0\n"
                             "    z[z <= 0] = 0.0\n    return z\n", "z_changed_in_place"),
    "mse with AL -= Y": ("mse_loss", "import numpy as np\ndef mse_loss(AL, Y):\n    AL -= Y\n"
                         "    return float(0.5 * np.sum(AL ** 2) / AL.shape[1])\n", "inputs_changed_in_place"),
    "bce not clipped": ("bce_loss", "import numpy as np\ndef bce_loss(AL, Y):\n    return float(-np.sum(Y * np.log(AL) "
                        "+ (1 - Y) * np.log(1 - AL)) / AL.shape[1])\n", "not_clipped"),
    "cross-entropy not clipped": ("cross_entropy_loss", "import numpy as np\ndef cross_entropy_loss(AL, Y):\n"
                                  "    return float(-np.sum(Y * np.log(AL)) / AL.shape[1])\n", "not_clipped"),
    "BP2 without the transpose": ("hidden_delta", _hidden_delta("(W_next @ delta_next) * PRIME[activation](Z)"),
                                  "transpose_missing"),
    "backward: no sigmoid'": ("backward", _backward(READ_THEN_STEP).replace('"sigmoid": sigmoid_prime, ', ""),
                           "hidden_derivative_missing"),
    "backward: cache['AL']": ("backward", _backward(READ_THEN_STEP).replace('cache[f"A{L}"]', 'cache["AL"]'),
                              "letter_L_in_keys"),
    "gradient_check: grads[key]": ("gradient_check", "import numpy as np\n" + catalog.DIFFERENT_BUT_CORRECT["gradient_check"].replace(
        'grads["d" + key]', "grads[key]"), "grads_keyed_by_parameter"),
    "gradient_check: params nudged in place": ("gradient_check", GRADIENT_CHECK_IN_PLACE, "params_changed_in_place"),
    "gradient_check: 0 / 0": ("gradient_check", "import numpy as np\n" + _NO_ZERO_GUARD, "nan_for_zero_gradients"),
}
NAMED = {label: (*WRONG[label][:2], name) for label, name in MISTAKE_BY_LABEL.items()}
NAMED.update({f"catalog: {exercise}": (exercise, "import numpy as np\nfrom autograder.reference import sigmoid\n"
                                       + catalog.MISTAKES[exercise], name) for exercise, name in CATALOG_MISTAKE.items()})
NAMED.update(MORE_SLIPS)
TRANSFORMS = transforms(NOTEBOOK)


@pytest.mark.parametrize("label", NAMED)
def test_a_slip_is_diagnosed_in_the_visible_tests_words(label):
    exercise, source, name = NAMED[label]
    assert_diagnosed(NOTEBOOK, exercise, source, name)


@pytest.mark.parametrize(("exercise", "name"), TRANSFORMS, ids=[f"{e}-{n}" for e, n in TRANSFORMS])
def test_each_wrong_transform_shows_its_own_mistake_and_fails_with_its_words(exercise, name):
    assert_transform_is_its_own_mistake(NOTEBOOK, exercise, name)


@pytest.mark.parametrize("exercise", ref.EXERCISES[NOTEBOOK])
def test_a_correct_alternative_shows_no_named_mistake(exercise):
    sources = [f"from tests.support.alternatives import ALTERNATIVES\n{exercise} = ALTERNATIVES[{exercise!r}]\n"]
    sources += [source for source in (CORRECT.get(exercise), catalog.DIFFERENT_BUT_CORRECT.get(exercise)) if source]
    for source in sources:
        found = diagnosis(exercise, "import numpy as np\nfrom autograder.reference import sigmoid\n" + source)
        assert found == mistakes.Diagnosis(mistakes.UNRECOGNISED, "", found.output)
