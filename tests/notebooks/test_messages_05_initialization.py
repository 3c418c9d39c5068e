"""05_initialization: each wrong version gets a message that names its slip from the visible test, and is refuted
by the hidden test and by the verification; correct versions written differently pass all three.
(tests.support.wrong_versions.assert_named_and_refuted and assert_accepted run all three).
"""


import pytest

from tests.support.wrong_versions import (
    assert_accepted,
    assert_named_and_refuted,
    given_cell,
    verification,
    visible_test,
)

NAME = "05_initialization"
# The notebook's given cell (forward, DERIVATIVES, ...): the verification runs a function on its own.
GIVEN = given_cell(NAME, "GIVEN: plain NumPy building blocks")


def _gradient_stds(delta="g_prime(cache[f'Z{L}'])", dW="delta @ cache[f'A{l - 1}'].T / m",
                   bp2="(params[f'W{l}'].T @ delta) * g_prime(cache[f'Z{l - 1}'])", std="float(np.std(dW))",
                   before_dW="", prime="DERIVATIVES[activation]", result="stds"):
    return f'''
import numpy as np


def gradient_stds(X, params, activation):
    L = len(params) // 2
    m = X.shape[1]
    _, cache = forward(X, params, activation, activation)
    g_prime = {prime}
    delta = {delta}
    stds = [0.0] * L
    for l in range(L, 0, -1):
{before_dW}        dW = {dW}
        stds[l - 1] = {std}
        if l > 1:
            delta = {bp2}
    return {result}
'''


OWN_PRIMES = ('{"tanh": lambda z: 1 - np.tanh(z) ** 2, "relu": lambda z: (z > 0) * 1.0, '
              '"sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "identity": np.ones_like}[activation]')

WRONG_GRADIENT_STDS = {
    "g' at Z[l] in BP2": (_gradient_stds(bp2="(params[f'W{l}'].T @ delta) * g_prime(cache[f'Z{l}'])"),
                          "yours uses g'(Z[l]) (on a 3-layer net it reads Z3 2 times and never Z1)"),
    "g' at Z[l], own derivative": (_gradient_stds(bp2="(params[f'W{l}'].T @ delta) * g_prime(cache[f'Z{l}'])",
                                                  prime=OWN_PRIMES), "g' is evaluated at the wrong layer in (BP2)"),
    "W[l-1] in BP2": (_gradient_stds(bp2="(params[f'W{l - 1}'].T @ delta) * g_prime(cache[f'Z{l - 1}'])"),
                      "went down through the wrong weights"),
    "W[l+1] in BP2": (_gradient_stds(bp2="(params[f'W{l + 1}'].T @ delta) * g_prime(cache[f'Z{l - 1}'])"),
                      "looked up 'W4', which does not exist"),
    "no transpose": (_gradient_stds(bp2="(params[f'W{l}'] @ delta) * g_prime(cache[f'Z{l - 1}'])"),
                     "check each transpose"),
    "* for @": (_gradient_stds(bp2="(params[f'W{l}'].T * delta) * g_prime(cache[f'Z{l - 1}'])"),
                "an element-wise product (*) of arrays of different shapes"),
    "no g' in BP2": (_gradient_stds(bp2="params[f'W{l}'].T @ delta"), "delta is never multiplied by g'"),
    "g' at A in BP2": (_gradient_stds(bp2="(params[f'W{l}'].T @ delta) * g_prime(cache[f'A{l - 1}'])"),
                       "g' was evaluated at A1, A2, an activation"),
    "delta[L] all ones": (_gradient_stds(delta="np.ones_like(cache[f'Z{L}'])"),
                          "delta[L] never goes through g'(Z[L])"),
    "delta[L] = g'(A[L])": (_gradient_stds(delta="g_prime(cache[f'A{L}'])"), "g' was evaluated at A3"),
    "1/m in delta[L] and in dW": (_gradient_stds(delta="g_prime(cache[f'Z{L}']) / m"),
                                  "the 1/m is in there twice"),
    "no 1/m": (_gradient_stds(dW="delta @ cache[f'A{l - 1}'].T"), "every value is m = 6 times too large"),
    "dW from A[l]": (_gradient_stds(dW="delta @ cache[f'A{l}'].T / m"),
                     "from A[l-1], the activation coming INTO layer l"),
    "variance": (_gradient_stds(std="float(np.var(dW))"), "these are the variances of dW[l]"),
    "std of W": (_gradient_stds(std="float(np.std(params[f'W{l}']))"), "these are the std of the weights W[l]"),
    "std of delta": (_gradient_stds(std="float(np.std(delta))"), "these are the std of the errors delta[l]"),
    "divides the cached X in place": (_gradient_stds(dW="delta @ A_prev.T", before_dW=(
        "        A_prev = cache[f'A{l - 1}']\n        A_prev /= m\n")), "modified its input X in place"),
}

CORRECT_GRADIENT_STDS = {
    "own derivatives, 1/m in delta": _gradient_stds(prime=OWN_PRIMES, delta="g_prime(cache[f'Z{L}']) / m",
                                                    dW="delta @ cache[f'A{l - 1}'].T"),
    "g' from A, sample std": _gradient_stds(
        prime=('{"tanh": lambda a: 1 - a ** 2, "relu": lambda a: (a > 0) * 1.0, "sigmoid": lambda a: a * (1 - a), '
               '"identity": np.ones_like}[activation]'),
        delta="g_prime(cache[f'A{L}'])", bp2="(params[f'W{l}'].T @ delta) * g_prime(cache[f'A{l - 1}'])",
        std="float(np.std(dW, ddof=1))"),
}
@pytest.mark.parametrize("slip", WRONG_GRADIENT_STDS)
def test_each_gradient_stds_slip_is_named_and_refuted(slip):
    source, fragment = WRONG_GRADIENT_STDS[slip]
    assert_named_and_refuted(NAME, "gradient_stds", source, fragment, given=GIVEN)


@pytest.mark.parametrize("version", CORRECT_GRADIENT_STDS)
def test_correct_gradient_stds_written_differently_pass(version):
    assert_accepted(NAME, "gradient_stds", CORRECT_GRADIENT_STDS[version], given=GIVEN)


OTHERS = [
    ("init_zeros", '''
import numpy as np


def init_zeros(layer_sizes):
    return {key: np.zeros(shape, dtype=int) for l in range(1, len(layer_sizes))
            for key, shape in ((f"W{l}", (layer_sizes[l], layer_sizes[l - 1])), (f"b{l}", (layer_sizes[l], 1)))}
''', "has dtype int64: use floats"),
    ("init_zeros", '''
import numpy as np


def init_zeros(layer_sizes):
    params, l = {}, 0
    while len(layer_sizes) > 1:
        n_in, l = layer_sizes.pop(0), l + 1
        params[f"W{l}"], params[f"b{l}"] = np.zeros((layer_sizes[0], n_in)), np.zeros((layer_sizes[0], 1))
    return params
''', "read layer_sizes, never change it"),
    ("activation_stds", '''
import numpy as np


def activation_stds(X, params, activation):
    _, cache = forward(X, params, activation, activation)
    return [float(np.std(cache[f"A{l}"])) for l in range(1, len(params))]
''', "looked up 'A4', which does not exist"),
]


@pytest.mark.parametrize("exercise, source, fragment", OTHERS)
def test_other_slips_are_named_and_refuted(exercise, source, fragment):
    outcome = visible_test(NAME, exercise, source)
    assert not outcome.passed and fragment in outcome.message, outcome
    assert verification(exercise, GIVEN + source)
