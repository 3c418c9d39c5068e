"""The integrity check refutes a function that changes its inputs in place, for every exercise, and says
which input: the course's functions return new arrays and leave their inputs as they were. A call that
only reads its inputs (and returns one of them unchanged, or draws from a generator, or calls a given
function) is not refuted."""

import textwrap

import numpy as np
import pytest

from autograder import reference as ref
from autograder.judging import runner, verify
from autograder.judging.specs import SPECS
from tests.support.wrong_versions import verification

ALL = [name for names in ref.EXERCISES.values() for name in names]


def _first_changeable(value):
    """A function that changes something inside `value` in place (None when nothing there can change)."""
    if isinstance(value, np.ndarray) and value.size:
        def nudge():
            value.flat[0] += 1
        return nudge
    if isinstance(value, dict):
        for item in value.values():
            change = _first_changeable(item)
            if change:
                return change
        return lambda: value.__setitem__("scratch", 0)
    if isinstance(value, (list, tuple)):
        for item in value:
            change = _first_changeable(item)
            if change:
                return change
        if isinstance(value, list):
            return lambda: value.append(0)
    return None


def _changes_an_input_after(function):
    """`function`'s correct value, with one of its inputs changed in place on the way out."""
    def changing(*args, **kwargs):
        result = function(*args, **kwargs)
        for value in list(args) + list(kwargs.values()):
            change = _first_changeable(value)
            if change:
                change()
                break
        return result
    return changing


def _first_change(name, function, seeds=(0, 1)):
    """How `function` changed an input on the first case where it did, as the sandbox sees it, or None."""
    for seed in seeds:
        for args, kwargs in SPECS[name].cases(np.random.default_rng(seed)):
            a = [verify.materialise(x) for x in args]
            k = {key: verify.materialise(x) for key, x in kwargs.items()}
            with np.errstate(all="ignore"):
                _, change = runner.call_watching_inputs(function, a, k)
            if change:
                return change
    return None


def _has_changeable_input(name):
    return any(_first_changeable(verify.materialise(x))
               for args, kwargs in SPECS[name].cases(np.random.default_rng(0))
               for x in list(args) + list(kwargs.values()))


CHANGEABLE = [name for name in ALL if _has_changeable_input(name)]


def test_the_cases_of_nearly_every_exercise_give_it_something_it_could_change():
    # Those without: no arguments, or only numbers, strings and a generator.
    assert set(ALL) - set(CHANGEABLE) <= {"jacobian_example", "xor_params", "minibatch_indices", "lr_schedule",
                                          "network_tape"}


@pytest.mark.parametrize("name", CHANGEABLE)
def test_the_reference_with_an_input_changed_on_the_way_out_is_refuted(name):
    change = _first_change(name, _changes_an_input_after(getattr(ref, name)))
    assert change and "its input `" in change, f"{name}: an input changed in place went unnoticed"


# ---------------------------------------------------------------- slips a student makes, with their reason

RUNNING_STATS_IN_PLACE = """
import numpy as np
def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    running_mean *= momentum
    running_mean += (1 - momentum) * batch_mean
    running_var *= momentum
    running_var += (1 - momentum) * batch_var
    return running_mean, running_var
"""

SGD_STEP_IN_PLACE = """
def sgd_step(params, grads, lr):
    for key in params:
        params[key] -= lr * grads["d" + key]
    return params
"""

SGD_STEP_REBINDS_ENTRIES = """
def sgd_step(params, grads, lr):
    for key in list(params):
        params[key] = params[key] - lr * grads["d" + key]
    return params
"""

SOFTMAX_SHIFTS_ITS_INPUT = """
import numpy as np
def softmax(Z):
    Z -= Z.max(axis=0, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=0, keepdims=True)
"""

MOMENTUM_UPDATES_THE_GIVEN_VELOCITY = """
def momentum_update(params, grads, velocity, lr, beta):
    new_params = {}
    for key in params:
        velocity[key] = beta * velocity[key] + (1 - beta) * grads["d" + key]
        new_params[key] = params[key] - lr * velocity[key]
    return new_params, dict(velocity)
"""

COUNT_PARAMETERS_POPS = """
def count_parameters(layer_sizes):
    total = 0
    while len(layer_sizes) > 1:
        n_in = layer_sizes.pop(0)
        total += layer_sizes[0] * n_in + layer_sizes[0]
    return total
"""


@pytest.mark.parametrize("exercise, source, reason", [
    ("update_running_stats", RUNNING_STATS_IN_PLACE, "changed its input `running_mean` in place"),
    ("sgd_step", SGD_STEP_IN_PLACE, "changed its input `params['W1']` in place"),
    ("sgd_step", SGD_STEP_REBINDS_ENTRIES, "replaced the entry `params['W1']` of its input `params`"),
    ("softmax", SOFTMAX_SHIFTS_ITS_INPUT, "changed its input `Z` in place"),
    ("momentum_update", MOMENTUM_UPDATES_THE_GIVEN_VELOCITY, "replaced the entry `velocity['W1']` of its input `velocity`"),
    ("count_parameters", COUNT_PARAMETERS_POPS, "changed the length of its input `layer_sizes`"),
])
def test_a_slip_that_changes_an_input_is_refuted_and_named(exercise, source, reason):
    reasons = verification(exercise, source)
    assert reasons, f"{exercise}: not refuted"
    assert any(reason in r and "leave its inputs as they were" in r for r in reasons), reasons


def test_watching_ignores_generators_and_functions_and_allows_returning_an_input_unchanged():
    rng = np.random.default_rng(0)
    x = np.arange(3.0)
    result, change = runner.call_watching_inputs(lambda f, g, v: (f(v), g.random(), v), [np.sum, rng, x], {})
    assert change is None and result[2] is x
    params = {"W1": np.ones((2, 2))}
    _, change = runner.call_watching_inputs(lambda params: params, [], {"params": params})
    assert change is None
    _, change = runner.call_watching_inputs(lambda p: p.__setitem__("W1", np.ones((2, 2))), [params], {})
    assert change is None, "an entry replaced by an equal array changes nothing the caller sees"


def test_nan_in_an_input_is_no_change_and_a_new_key_or_a_changed_nan_is():
    z = np.array([np.nan, 1.0])
    assert runner.call_watching_inputs(lambda z: z * 2, [z], {})[1] is None
    assert "changed its input `z`" in runner.call_watching_inputs(lambda z: z.__setitem__(0, 0.0), [z], {})[1]
    cache = {"A0": np.zeros((2, 1))}
    change = runner.call_watching_inputs(lambda Y, cache: cache.update(dZ1=1), [None, cache], {})[1]
    assert change.startswith("added the key 'dZ1' to its input `cache` (it must return new arrays")


# ---------------------------------------------------------------- through the sandbox, end to end

def _cell(source, **nbgrader):
    return {"cell_type": "code", "metadata": {"nbgrader": nbgrader} if nbgrader else {}, "source": source,
            "outputs": [], "execution_count": None}


NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {},
    "cells": [
        _cell("import numpy as np\n", locked=True),
        _cell(RUNNING_STATS_IN_PLACE, solution=True, grade=False, grade_id="update_running_stats"),
        _cell(SGD_STEP_REBINDS_ENTRIES, solution=True, grade=False, grade_id="sgd_step"),
        _cell(textwrap.dedent("""
            def unbroadcast(grad, shape):  # right, and returns its input itself when nothing is summed
                while grad.ndim > len(shape):
                    grad = grad.sum(axis=0)
                for axis, size in enumerate(shape):
                    if size == 1 and grad.shape[axis] != 1:
                        grad = grad.sum(axis=axis, keepdims=True)
                return grad.reshape(shape) if grad.shape != tuple(shape) else grad

            def minibatch_indices(m, batch_size, rng):  # draws from the generator it is given
                order = rng.permutation(m)
                return [order[s:s + batch_size] for s in range(0, m, batch_size)]

            def numerical_gradient(f, x, eps=1e-6):  # calls the function it is given
                g = np.zeros(np.shape(x))
                for i in np.ndindex(g.shape):
                    step = np.zeros(g.shape)
                    step[i] = eps
                    g[i] = (f(x + step) - f(x - step)) / (2 * eps)
                return g
            """), solution=True, grade=False, grade_id="right_ones"),
    ],
}


def test_the_sandboxed_check_names_the_changed_input_and_passes_what_only_reads():
    exercises = ["update_running_stats", "sgd_step", "unbroadcast", "minibatch_indices", "numerical_gradient"]
    verdicts = verify.verify(NOTEBOOK, exercises, seed=5, unsafe=True)
    assert verdicts["update_running_stats"] == (
        "changed its input `running_mean` in place (it must return new arrays and leave its inputs as they were)")
    assert "replaced the entry `params['W1']` of its input `params`" in verdicts["sgd_step"]
    assert verdicts["unbroadcast"] is None
    assert verdicts["minibatch_indices"] is None
    assert verdicts["numerical_gradient"] is None


def test_a_changed_input_comes_back_as_its_own_outcome_and_a_malformed_one_is_unreadable(tmp_path):
    import json

    outcomes = [{"refuted": "changed its input `x` in place"}, {"refuted": 5}, {"refuted": "x", "result": 1},
                {"result": 2}]
    path = tmp_path / "results.npz"
    np.savez(path, __outcomes__=np.frombuffer(json.dumps(outcomes).encode(), dtype=np.uint8))
    refuted, wrong_type, both, fine = verify.read_results(path, 4)
    assert refuted == ("refuted", "changed its input `x` in place")
    assert wrong_type[0] == both[0] == "error" and "unreadable result" in wrong_type[1] + both[1]
    assert fine == ("result", 2)
