"""06_regularization: each wrong version gets a message that names its slip from the visible test, and is refuted
by the hidden test and by the verification; correct versions written differently pass all three.
(tests.support.wrong_versions.assert_named_and_refuted and assert_accepted run all three).
"""

import inspect

import pytest

from autograder.reference import regularization
from tests.support.wrong_versions import (
    assert_accepted,
    assert_named_and_refuted,
    given_cell,
    verification,
    visible_test,
)

NAME = "06_regularization"
# What backward_train may call: the notebook's given cell (relu_prime, ...) and dropout_backward.
GIVEN = given_cell(NAME, "GIVEN: a binary classifier") + "\n" + inspect.getsource(regularization.dropout_backward)


def _backward_train(dW="delta @ cache[f'A{l - 1}'].T / m + lambd * params[f'W{l}']",
                    db="np.sum(delta, axis=1, keepdims=True) / m",
                    mask="if f'D{l - 1}' in masks:\n                dA = dropout_backward(dA, masks[f'D{l - 1}'], keep_prob)",
                    relu="relu_prime(cache[f'Z{l - 1}'])", top="cache[f'A{L}'] - Y", after_top=""):
    return f'''
import numpy as np


def backward_train(Y, params, cache, masks, keep_prob=1.0, lambd=0.0):
    L = len(params) // 2
    m = Y.shape[1]
    delta = {top}
{after_top}    grads = {{}}
    for l in range(L, 0, -1):
        grads[f"dW{{l}}"] = {dW}
        grads[f"db{{l}}"] = {db}
        if l > 1:
            dA = params[f"W{{l}}"].T @ delta
            {mask}
            delta = dA * {relu}
    return grads
'''


def _penalty(term):
    return _backward_train(dW=f"delta @ cache[f'A{{l - 1}}'].T / m + {term}")


WRONG_BACKWARD_TRAIN = {
    "mask again on the cached A": (_backward_train(dW=(
        "delta @ (cache[f'A{l - 1}'] * masks[f'D{l - 1}'] / keep_prob if f'D{l - 1}' in masks "
        "else cache[f'A{l - 1}']).T / m + lambd * params[f'W{l}']")),
        "applies the mask of layer l-1 to cache[f'A{l-1}'] a second time"),
    "mask twice on the way down": (_backward_train(mask=(
        "if f'D{l - 1}' in masks:\n                "
        "dA = dropout_backward(dA, masks[f'D{l - 1}'], keep_prob) * masks[f'D{l - 1}'] / keep_prob")),
        "applied twice on the way down"),
    "mask of the layer above (KeyError)": (_backward_train(
        mask="if masks:\n                dA = dropout_backward(dA, masks[f'D{l}'], keep_prob)"),
        "looked up 'D3', which does not exist: the mask of the wrong layer"),
    "mask of the layer above (get)": (_backward_train(
        mask="if masks.get(f'D{l}') is not None:\n                dA = dropout_backward(dA, masks[f'D{l}'], keep_prob)"),
        "met the mask of the layer above, D[l+1]"),
    "mask looked up without dropout": (_backward_train(
        mask="dA = dropout_backward(dA, masks[f'D{l - 1}'], keep_prob)"), "masks is empty when there is no dropout"),
    "lambd / m": (_penalty("lambd / m * params[f'W{l}']"), "this course's penalty (lambd / 2) sum ||W[l]||^2 has no 1/m"),
    "lambd / (2 m)": (_penalty("lambd / (2 * m) * params[f'W{l}']"), "uses lambd / (2 m): this course's penalty"),
    "lambd / 2": (_penalty("lambd / 2 * params[f'W{l}']"), "uses lambd / 2: the 2 of the square cancels"),
    "penalty on the top layer only": (_penalty("(lambd * params[f'W{l}'] if l == L else 0)"),
                                      "only dW3 has the penalty's term"),
    "no masks": (_backward_train(mask="pass"), "the gradient skips the dropout masks"),
    "no 1/keep_prob": (_backward_train(mask="if f'D{l - 1}' in masks:\n                dA = dA * masks[f'D{l - 1}']"),
                       "the division by keep_prob is missing"),
    "times keep_prob": (_backward_train(
        mask="if f'D{l - 1}' in masks:\n                dA = dA * masks[f'D{l - 1}'] * keep_prob"),
        "the gradient is multiplied by keep_prob"),
    "relu' at Z[l+1]": (_backward_train(relu="relu_prime(cache[f'Z{l}'])"), "relu' is evaluated at the wrong layer"),
    "delta -= Y on the cached A[L]": (_backward_train(top="cache[f'A{L}']", after_top="    delta -= Y\n"),
                                      "modified its input cache['A3'] in place: build new arrays"),
}

CORRECT_BACKWARD_TRAIN = {
    "mask after relu'": _backward_train(mask="pass", relu=(
        "relu_prime(cache[f'Z{l - 1}']) * (masks[f'D{l - 1}'] / keep_prob if f'D{l - 1}' in masks else 1)")),
    "relu' read from the dropped A, 1/m in delta": _backward_train(
        top="(cache[f'A{L}'] - Y) / m", dW="delta @ cache[f'A{l - 1}'].T + lambd * params[f'W{l}']",
        db="delta.sum(axis=1, keepdims=True)", relu="(cache[f'A{l - 1}'] > 0)"),
}
@pytest.mark.parametrize("slip", WRONG_BACKWARD_TRAIN)
def test_each_backward_train_slip_is_named_and_refuted(slip):
    source, fragment = WRONG_BACKWARD_TRAIN[slip]
    assert_named_and_refuted(NAME, "backward_train", source, fragment, given=GIVEN)


@pytest.mark.parametrize("version", CORRECT_BACKWARD_TRAIN)
def test_correct_backward_train_written_differently_passes(version):
    assert_accepted(NAME, "backward_train", CORRECT_BACKWARD_TRAIN[version], given=GIVEN)


EARLY_STOPPING_COUNTS_EVERY_BAD_EPOCH = '''
def early_stopping_epoch(val_losses, patience):
    best, waited = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best = epoch
        else:
            waited += 1
            if waited == patience:
                break
    return best
'''
OTHERS = [
    ("early_stopping_epoch", EARLY_STOPPING_COUNTS_EVERY_BAD_EPOCH, "the wait restarts at every new best"),
    ("early_stopping_epoch", EARLY_STOPPING_COUNTS_EVERY_BAD_EPOCH.replace("epoch - best >= patience", "")
     .replace("if waited == patience", "if epoch - best > patience").replace("waited += 1", "pass"),
     "the first epoch with epoch - best >= patience"),
    ("l2_cost", '''
import numpy as np


def l2_cost(cost, params, lambd):
    return float(cost + lambd / 2 * sum(np.sum(np.abs(W)) for key, W in params.items() if key[0] == "W"))
''', "an L1 penalty"),
    ("l2_gradients", '''
def l2_gradients(grads, params, lambd):
    new = dict(grads)
    for key in new:
        if key.startswith("dW"):
            new[key] += lambd * params[key[1:]]
    return new
''', "even in a copy made with dict(grads), which shares the arrays"),
    ("dropout_forward", '''
def dropout_forward(A, keep_prob, rng):
    mask = rng.random(A.shape) < keep_prob
    A *= mask / keep_prob
    return A, mask
''', "A *= ... writes into the caller's activation"),
]


@pytest.mark.parametrize("exercise, source, fragment", OTHERS)
def test_other_slips_are_named_and_refuted(exercise, source, fragment):
    outcome = visible_test(NAME, exercise, source)
    assert not outcome.passed and fragment in outcome.message, outcome
    assert verification(exercise, source)
