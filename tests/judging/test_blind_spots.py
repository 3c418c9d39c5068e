"""Wrong versions that the notebooks' own tests refute and the integrity check once accepted: each is now
refuted with a reason that says what is wrong, while correct versions written differently still pass.

- 01 `numerical_gradient` / `numerical_jacobian` that never put a nudged entry back (a coupled function
  with a large step shows the leftover nudge; separable functions cannot);
- 03 `gradient_check` that ignores its `eps` (a cost whose central difference depends on the step);
- 06 `early_stopping_epoch` that sorts the caller's list of losses (plain entries of a list are watched);
- 05 initialisers that draw from np.random.* or from a fixed seed of their own (the given generator
  must be drawn from).
"""

import numpy as np
import pytest

from autograder.judging import runner
from tests.support.wrong_versions import verification

PRELUDE = "import math\n\nimport numpy as np\n\n"

GRADIENT_WITHOUT_RESTORE = PRELUDE + '''
def numerical_gradient(f, x, eps=1e-6):
    work = np.array(x, dtype=float)
    grad = np.zeros_like(work)
    for idx in np.ndindex(work.shape):
        work[idx] += eps
        f_plus = f(work)
        work[idx] -= 2 * eps  # never put back
        grad[idx] = (f_plus - f(work)) / (2 * eps)
    return grad
'''

JACOBIAN_RESTORES_ONLY_THE_FIRST = PRELUDE + '''
def numerical_jacobian(F, x, eps=1e-6):
    work = np.array(x, dtype=float)
    columns = []
    for j in range(work.size):
        work[j] += eps
        F_plus = np.array(F(work), dtype=float)
        work[j] -= 2 * eps
        columns.append((F_plus - np.array(F(work), dtype=float)) / (2 * eps))
        if j == 0:
            work[j] += eps  # put back the first entry only
    return np.stack(columns, axis=1)
'''

GRADIENT_CHECK_IGNORES_EPS = PRELUDE + '''
def gradient_check(cost_fn, params, grads, eps=1e-6):
    diff = norm_a = norm_n = 0.0
    for key, value in params.items():
        for idx in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[idx] += 1e-6  # a step of its own, whatever eps it is given
            minus[idx] -= 1e-6
            n = (cost_fn({**params, key: plus}) - cost_fn({**params, key: minus})) / 2e-6
            a = grads["d" + key][idx]
            diff += (a - n) ** 2
            norm_a += a ** 2
            norm_n += n ** 2
    total = math.sqrt(norm_a) + math.sqrt(norm_n)
    return 0.0 if total == 0 else math.sqrt(diff) / total
'''

EARLY_STOPPING_SORTS_THE_LOSSES = PRELUDE + '''
def early_stopping_epoch(val_losses, patience):
    best = 0
    for epoch, loss in enumerate(val_losses):
        if loss < val_losses[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    val_losses.sort()  # to report the best loss: the caller's list is now in another order
    return best
'''

EARLY_STOPPING_POPS_THE_LOSSES = PRELUDE + '''
def early_stopping_epoch(val_losses, patience):
    best, epoch = 0, 0
    while val_losses:
        loss = val_losses.pop(0)
        if epoch == 0 or loss < best_loss:
            best, best_loss = epoch, loss
        elif epoch - best >= patience:
            break
        epoch += 1
    return best
'''


def _init_source(exercise, draw):
    parameters = {"init_normal": "layer_sizes, std, rng", "init_xavier": "layer_sizes, rng",
                  "init_he": "layer_sizes, rng"}[exercise]
    std = {"init_normal": "std", "init_xavier": "math.sqrt(2 / (n_in + n_out))",
           "init_he": "math.sqrt(2 / n_in)"}[exercise]
    return PRELUDE + f'''
def {exercise}({parameters}):
    params = {{}}
    for l in range(1, len(layer_sizes)):
        n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
        params[f"W{{l}}"] = {draw.format(shape="(n_out, n_in)")} * {std}
        params[f"b{{l}}"] = np.zeros((n_out, 1))
    return params
'''


INIT_DRAWS = {
    "global": "np.random.randn{shape}",
    "own seed": "np.random.default_rng(0).standard_normal({shape})",
    "global, by size": "np.random.normal(0.0, 1.0, size={shape})",
}
GIVEN_RNG = "rng.standard_normal({shape})"


@pytest.mark.parametrize("exercise, source, reason", [
    ("numerical_gradient", GRADIENT_WITHOUT_RESTORE, "differs from the reference"),
    ("numerical_jacobian", JACOBIAN_RESTORES_ONLY_THE_FIRST, "differs from the reference"),
    ("gradient_check", GRADIENT_CHECK_IGNORES_EPS, "returned a relative error of"),
    ("early_stopping_epoch", EARLY_STOPPING_SORTS_THE_LOSSES, "changed its input `val_losses` in place: `val_losses["),
    ("early_stopping_epoch", EARLY_STOPPING_POPS_THE_LOSSES, "changed the length of its input `val_losses`"),
] + [(exercise, _init_source(exercise, draw), "drew no random numbers from its generator `rng`")
     for exercise in ("init_normal", "init_xavier", "init_he") for draw in INIT_DRAWS.values()])
def test_a_wrong_version_the_notebook_refutes_is_refuted_with_its_reason(exercise, source, reason):
    reasons = verification(exercise, source)
    assert reasons, f"{exercise}: not refuted"
    assert any(reason in r for r in reasons), reasons


def test_a_gradient_check_that_ignores_eps_is_told_the_relative_error_it_should_give():
    reasons = verification("gradient_check", GRADIENT_CHECK_IGNORES_EPS, seeds=(0,))
    assert len(reasons) == 2, reasons  # the two cases of a cost that is not quadratic
    assert all(r.startswith("returned a relative error of") and "the reference gives" in r for r in reasons)


CORRECT = [
    ("numerical_gradient", PRELUDE + '''
def numerical_gradient(f, x, eps=1e-6):
    work = np.array(x, dtype=float)
    grad = np.zeros_like(work)
    for idx in np.ndindex(work.shape):
        original = work[idx]
        work[idx] = original + eps
        f_plus = f(work)
        work[idx] = original - eps
        f_minus = f(work)
        work[idx] = original  # put back before the next entry
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    ("numerical_gradient", PRELUDE + '''
def numerical_gradient(f, x, eps=1e-6):
    work = np.array(x, dtype=float)
    grad = np.zeros_like(work)
    for idx in np.ndindex(work.shape):
        work[idx] += eps
        f_plus = f(work)
        work[idx] -= 2 * eps
        grad[idx] = (f_plus - f(work)) / (2 * eps)
        work[idx] += eps  # put back (up to rounding)
    return grad
'''),
    ("numerical_jacobian", PRELUDE + '''
def numerical_jacobian(F, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    J = np.zeros((len(F(x)), x.size))
    for j in range(x.size):
        work = x.copy()
        work[j] += eps
        F_plus = np.asarray(F(work))
        work[j] -= 2 * eps
        J[:, j] = (F_plus - np.asarray(F(work))) / (2 * eps)
    return J
'''),
    ("gradient_check", PRELUDE + '''
def gradient_check(cost_fn, params, grads, eps=1e-6):
    analytic, numeric = [], []
    for key in sorted(params):
        value = np.asarray(params[key], dtype=float)
        for idx in np.ndindex(value.shape):
            step = np.zeros_like(value)
            step[idx] = eps
            numeric.append((cost_fn({**params, key: value + step}) - cost_fn({**params, key: value - step})) / (2 * eps))
            analytic.append(grads["d" + key][idx])
    a, n = np.array(analytic), np.array(numeric)
    total = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if total == 0 else float(np.linalg.norm(a - n) / total)
'''),
    ("early_stopping_epoch", PRELUDE + '''
def early_stopping_epoch(val_losses, patience):
    losses = list(val_losses)
    best = 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < losses[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    losses.sort()  # its own copy
    return best
'''),
] + [(exercise, _init_source(exercise, GIVEN_RNG)) for exercise in ("init_normal", "init_xavier", "init_he")] + [
    ("init_he", PRELUDE + '''
def init_he(layer_sizes, rng):
    local = np.random.default_rng(rng)  # the same generator, passed through
    return {key: value for l in range(1, len(layer_sizes)) for key, value in (
        (f"W{l}", local.normal(0.0, math.sqrt(2 / layer_sizes[l - 1]), size=(layer_sizes[l], layer_sizes[l - 1]))),
        (f"b{l}", np.zeros((layer_sizes[l], 1))))}
'''),
]


@pytest.mark.parametrize("exercise, source", CORRECT, ids=[f"{e}-{i}" for i, (e, _) in enumerate(CORRECT)])
def test_a_correct_version_written_differently_still_passes(exercise, source):
    assert verification(exercise, source) == []


def test_an_entry_of_a_list_replaced_by_an_equal_one_is_no_change():
    losses = [0.5, float("nan"), 3]
    _, change = runner.call_watching_inputs(lambda v: v.__setitem__(2, np.float64(3.0)), [losses], {})
    assert change is None
    _, change = runner.call_watching_inputs(lambda v: v.__setitem__(1, float("nan")), [losses], {})
    assert change is None
    _, change = runner.call_watching_inputs(lambda v: v.reverse(), [[0.5, float("nan"), 3]], {})
    assert change == ("changed its input `v` in place: `v[0]` was 0.5, is now 3 "
                      "(it must return new arrays and leave its inputs as they were)")


# ---------------------------------------------------------------- a contract that asks for an exception

_LAYER_FORWARD = '''
import numpy as np
ACTIVATIONS = {"sigmoid": lambda Z: np.exp(-np.logaddexp(0, -Z)), "relu": lambda Z: np.maximum(Z, 0),
               "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z), "tanh": np.tanh,
               "softplus": lambda Z: np.logaddexp(0, Z), "swish": lambda Z: Z * np.exp(-np.logaddexp(0, -Z)),
               "identity": lambda Z: Z + 0.0,
               "softmax": lambda Z: np.exp(Z - Z.max(0)) / np.exp(Z - Z.max(0)).sum(0)}
def layer_forward(A_prev, W, b, activation):
    UNKNOWN
    Z = W @ A_prev + b
    return ACTIVATIONS[activation](Z), Z
'''
_UNKNOWN = {
    "listed": ("if activation not in ACTIVATIONS:\n        raise ValueError(f'{activation!r}: use one of {list(ACTIVATIONS)}')",
               None),
    "unlisted": ("if activation not in ACTIVATIONS:\n        raise ValueError('unknown activation')", "does not name"),
    "key error": ("pass", "raised KeyError"),
    "identity fallback": ("ACTIVATIONS.setdefault(activation, lambda Z: Z)", "where its contract asks for a ValueError"),
}


@pytest.mark.parametrize("label", _UNKNOWN)
def test_an_exception_the_contract_asks_for_is_judged_through_the_sandbox(label):
    """layer_forward must raise a ValueError naming the valid activations for an unknown one: the sandbox
    reports the exception, and the spec (judging.must_raise) accepts exactly that one."""
    from autograder.judging import verify

    code, reason = _UNKNOWN[label]
    source = _LAYER_FORWARD.replace("UNKNOWN", code)
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": "layer_forward"}},
         "source": source, "outputs": [], "execution_count": None}]}
    verdict = verify.verify(notebook, ["layer_forward"], seed=5, unsafe=True)["layer_forward"]
    if reason is None:
        assert verdict is None and verification("layer_forward", source) == []
    else:
        assert reason in verdict, verdict
        assert any(reason in r for r in verification("layer_forward", source))
