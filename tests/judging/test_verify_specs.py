"""The integrity check's specs: the reference always passes, wrong answers never do, and correct
implementations written differently (other formulas, other orders of random draws) pass too."""

import copy
import json
import math
import pathlib
import time

import numpy as np
import pytest

from autograder import reference as ref
from autograder.judging import runner, verify
from autograder.judging.specs import SPECS
from tests.support import alternatives_going_further as going_further
from tests.support.alternatives import ALTERNATIVES

ALL = [name for names in ref.EXERCISES.values() for name in names]
SEEDS = (0, 1, 2)
# Judged by properties (random draws, or more than one right answer), not by the reference's values.
BY_PROPERTIES = {"xor_params", "minibatch_indices", "train", "init_normal", "init_xavier", "init_he",
                 "dropout_forward", "train_classifier", "network_tape"}


def roundtrip(value):
    """`value` as the grader receives it from the sandbox (through JSON and .npz)."""
    arrays = {}
    encoded = runner.encode(value, arrays, "r")
    return runner.decode(json.loads(json.dumps(encoded)), arrays)


def materialised(args, kwargs):
    return [verify.materialise(a) for a in args], {k: verify.materialise(v) for k, v in kwargs.items()}


def output_of(function, args, kwargs):
    a, k = materialised(args, kwargs)
    with np.errstate(all="ignore"):
        return roundtrip(function(*a, **k))


def judge(name, value, args, kwargs):
    a, k = materialised(args, kwargs)
    return SPECS[name].compare(value, a, k)


def verdict(name, function, args, kwargs):
    """What the grader says of `function` on one case: the call is watched, as in the sandbox, for inputs
    changed in place, then its value is judged."""
    a, k = materialised(args, kwargs)
    try:
        with np.errstate(all="ignore"):
            value, refuted = runner.call_watching_inputs(function, a, k)
    except Exception as error:  # noqa: BLE001 - as the sandbox reports it; the spec judges whether raising was right
        return SPECS[name].compare_error(f"{type(error).__name__}: {str(error)[:300]}", *materialised(args, kwargs))
    return refuted or judge(name, roundtrip(value), args, kwargs)


def verdicts(name, function, seeds=SEEDS):
    """[(seed, case index, reason or None)] for `function` on the spec's cases."""
    out = []
    for seed in seeds:
        for index, (args, kwargs) in enumerate(SPECS[name].cases(np.random.default_rng(seed))):
            out.append((seed, index, verdict(name, function, args, kwargs)))
    return out


# ---------------------------------------------------------------- the table

def test_every_exercise_has_a_spec_in_the_students_order():
    assert list(SPECS) == ALL


@pytest.mark.parametrize("name", ALL)
def test_cases_are_small_lists_drawn_only_from_the_given_rng(name):
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first = SPECS[name].cases(np.random.default_rng(5))
    again = SPECS[name].cases(np.random.default_rng(5))
    assert np.array_equal(np.random.get_state()[1], before), "cases() touched NumPy's global random state"
    assert 1 <= len(first) <= 7
    encoded = [verify._encode_cases([(name, a, k) for a, k in cases]) for cases in (first, again)]
    assert encoded[0][0] == encoded[1][0]
    assert encoded[0][1].keys() == encoded[1][1].keys()
    assert all(np.array_equal(encoded[0][1][key], encoded[1][1][key]) for key in encoded[0][1])


# ---------------------------------------------------------------- (a) the reference passes

@pytest.mark.parametrize("name", ALL)
def test_the_reference_is_never_refuted(name):
    refuted = [v for v in verdicts(name, getattr(ref, name)) if v[2] is not None]
    assert not refuted


# ---------------------------------------------------------------- (b) wrong answers are refuted

def _leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, path + (key,))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _leaf_paths(item, path + (i,))
    else:
        yield path


def _replace(value, path, leaf_fn):
    if not path:
        return leaf_fn(value)
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, leaf_fn) if k == head else v) for k, v in value.items()}
    items = [(_replace(v, rest, leaf_fn) if i == head else v) for i, v in enumerate(value)]
    return type(value)(items)


def _shifted(leaf):
    if isinstance(leaf, np.ndarray):
        if np.issubdtype(leaf.dtype, np.integer):
            return leaf + 1
        return 1.5 * leaf + 0.1
    if isinstance(leaf, (int, np.integer)):
        return leaf + 1
    return leaf + 0.5


def _reshaped(leaf):
    return leaf.ravel() if leaf.ndim >= 2 else leaf[..., None]


@pytest.mark.parametrize("name", [n for n in ALL if n not in BY_PROPERTIES])
def test_a_perturbed_reference_answer_is_refuted(name):
    for args, kwargs in SPECS[name].cases(np.random.default_rng(3)):
        try:
            want = output_of(getattr(ref, name), args, kwargs)
        except ValueError:  # a case whose contract is an exception (judging.must_raise): nothing to perturb
            continue
        for path in _leaf_paths(want):
            leaf = want
            for step in path:
                leaf = leaf[step]
            wrongs = [_replace(copy.deepcopy(want), path, _shifted)]
            if isinstance(leaf, np.ndarray):
                wrongs.append(_replace(copy.deepcopy(want), path, _reshaped))
            for wrong in wrongs:
                reason = judge(name, wrong, args, kwargs)
                assert isinstance(reason, str) and reason, f"{name}: a change of {path} was not refuted"


def test_wrong_structures_are_refuted_with_a_readable_reason():
    args, kwargs = SPECS["backward_batch"].cases(np.random.default_rng(0))[1]
    grads = output_of(ref.backward_batch, args, kwargs)
    grads["dW1"] = grads["dW1"] + 0.3
    assert "dW1 differs from the reference (max error 0.3" in judge("backward_batch", grads, args, kwargs)
    del grads["db1"]
    assert "keys" in judge("backward_batch", grads, args, kwargs)
    args, kwargs = SPECS["linear_forward"].cases(np.random.default_rng(0))[1]
    Z = output_of(ref.linear_forward, args, kwargs)
    assert f"shape {Z.T.shape}, expected {Z.shape}" in judge("linear_forward", Z.T.copy(), args, kwargs) \
        or Z.shape == Z.T.shape
    args, kwargs = SPECS["mse_loss"].cases(np.random.default_rng(0))[0]
    loss = output_of(ref.mse_loss, args, kwargs)
    assert judge("mse_loss", np.array(loss), args, kwargs) is None  # a 0-d array is a number
    assert "shape (1, 1)" in judge("mse_loss", np.array([[loss]]), args, kwargs)
    assert "expected a number" in judge("mse_loss", None, args, kwargs)
    assert judge("mse_loss", float("nan"), args, kwargs)


def _minibatch_drops_partial(m, batch_size, rng):
    order = rng.permutation(m)
    return [order[s:s + batch_size] for s in range(0, m - batch_size + 1, batch_size)]


def _minibatch_sorted(m, batch_size, rng):
    return [np.arange(m)[s:s + batch_size] for s in range(0, m, batch_size)]


def _minibatch_with_replacement(m, batch_size, rng):
    order = rng.integers(0, m, size=m)
    return [order[s:s + batch_size] for s in range(0, m, batch_size)]


def _minibatch_own_seed(m, batch_size, rng):  # the same order on every call, whatever rng
    order = np.random.default_rng(0).permutation(m)
    return [order[s:s + batch_size] for s in range(0, m, batch_size)]


def _train_shuffles_once(X, Y, layer_sizes, epochs, batch_size, lr, rng,
                         hidden_activation="relu", output_activation="softmax", loss="cross_entropy"):
    params = ref.init_he(layer_sizes, rng)
    batches = ref.minibatch_indices(X.shape[1], batch_size, rng)  # once, before the epochs: wrong
    history = []
    for _ in range(epochs):
        total = 0.0
        for batch in batches:
            AL, cache = ref.forward(X[:, batch], params, hidden_activation, output_activation)
            total += ref.backprop.compute_loss(AL, Y[:, batch], loss) * batch.size
            grads = ref.backward_batch(Y[:, batch], params, cache, hidden_activation, output_activation, loss)
            params = ref.sgd_step(params, grads, lr)
        history.append(total / X.shape[1])
    return params, history


def _minibatch_floats(m, batch_size, rng):
    return [b.astype(float) for b in ref.minibatch_indices(m, batch_size, rng)]


def _dropout_unscaled(A, keep_prob, rng):
    mask = (rng.random(A.shape) < keep_prob).astype(float)
    return A * mask, mask


def _dropout_keeps_the_wrong_share(A, keep_prob, rng):
    mask = (rng.random(A.shape) >= keep_prob).astype(float)
    return A * mask / keep_prob, mask


def _dropout_scaled_mask(A, keep_prob, rng):
    mask = (rng.random(A.shape) < keep_prob) / keep_prob
    return A * mask, mask


def _init(layer_sizes, rng, std, bias=0.0, transposed=False):
    params = {}
    for l in range(1, len(layer_sizes)):
        n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
        shape = (n_in, n_out) if transposed else (n_out, n_in)
        params[f"W{l}"] = rng.standard_normal(shape) * std(n_in, n_out)
        params[f"b{l}"] = np.full((n_out, 1), bias)
    return params


def _train_without_updates(X, Y, layer_sizes, epochs, batch_size, lr, rng, *options, **kw):
    return ref.train(X, Y, layer_sizes, epochs, batch_size, 0.0, rng, *options, **kw)


def _train_history_per_batch(X, Y, layer_sizes, epochs, batch_size, lr, rng, *options, **kw):
    params, history = ref.train(X, Y, layer_sizes, epochs, batch_size, lr, rng, *options, **kw)
    return params, history + [history[-1]]


def _train_unit_normal_init(X, Y, layer_sizes, epochs, batch_size, lr, rng, *options, **kw):
    params, history = ref.train(X, Y, layer_sizes, epochs, batch_size, lr, rng, *options, **kw)
    if lr == 0:
        params = _init(layer_sizes, rng, lambda n_in, n_out: 1.0)
    return params, history


def _train_unweighted_history(X, Y, layer_sizes, epochs, batch_size, lr, rng,
                              hidden_activation="relu", output_activation="softmax", loss="cross_entropy"):
    params = ref.init_he(layer_sizes, rng)
    history = []
    for _ in range(epochs):
        costs = []
        for batch in ref.minibatch_indices(X.shape[1], batch_size, rng):
            AL, cache = ref.forward(X[:, batch], params, hidden_activation, output_activation)
            costs.append(ref.backprop.compute_loss(AL, Y[:, batch], loss))  # mean over batches: wrong
            grads = ref.backward_batch(Y[:, batch], params, cache, hidden_activation, output_activation, loss)
            params = ref.sgd_step(params, grads, lr)
        history.append(sum(costs) / len(costs))
    return params, history


def _classifier_untrained(X, Y, rng, *args, **kwargs):
    return ref.init_he([X.shape[0], 32, Y.shape[0]], rng)


def _classifier_bad_keys(X, Y, rng, *args, **kwargs):
    params = ref.init_he([X.shape[0], 32, Y.shape[0]], rng)
    return {key.lower(): value for key, value in params.items()}


def _xor_as_or():
    return {"W1": np.array([[20.0, 20.0], [20.0, 20.0]]), "b1": np.array([[-10.0], [-10.0]]),
            "W2": np.array([[20.0, 20.0]]), "b2": np.array([[-10.0]])}


def _xor_transposed_w2():
    params = ref.xor_params()
    return {**params, "W2": params["W2"].T}


WRONG = {
    "minibatch_indices": [_minibatch_drops_partial, _minibatch_sorted, _minibatch_with_replacement, _minibatch_floats,
                          _minibatch_own_seed],
    "dropout_forward": [_dropout_unscaled, _dropout_keeps_the_wrong_share, _dropout_scaled_mask],
    "init_normal": [lambda sizes, std, rng: _init(sizes, rng, lambda n_in, n_out: 2 * std),
                    lambda sizes, std, rng: _init(sizes, rng, lambda n_in, n_out: std * math.sqrt(2 / n_in)),
                    lambda sizes, std, rng: _init(sizes, rng, lambda n_in, n_out: std, transposed=True)],
    "init_xavier": [lambda sizes, rng: _init(sizes, rng, lambda n_in, n_out: math.sqrt(2 / n_in)),
                    lambda sizes, rng: _init(sizes, rng, lambda n_in, n_out: math.sqrt(1 / (n_in + n_out))),
                    lambda sizes, rng: _init(sizes, rng, lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)), bias=0.01)],
    "init_he": [lambda sizes, rng: _init(sizes, rng, lambda n_in, n_out: math.sqrt(1 / n_in)),
                lambda sizes, rng: _init(sizes, rng, lambda n_in, n_out: math.sqrt(2 / n_out)),
                lambda sizes, rng: _init(sizes, rng, lambda n_in, n_out: math.sqrt(2 / n_in), bias=0.1)],
    "train": [_train_without_updates, _train_history_per_batch, _train_unit_normal_init, _train_unweighted_history,
              _train_shuffles_once],
    "train_classifier": [_classifier_untrained, _classifier_bad_keys],
    "xor_params": [_xor_as_or, _xor_transposed_w2],
    **going_further.WRONG,
}


@pytest.mark.parametrize("name, index", [(n, i) for n, fns in WRONG.items() for i in range(len(fns))])
def test_a_wrong_implementation_of_a_property_checked_exercise_is_refuted(name, index):
    wrong = WRONG[name][index]
    for seed in SEEDS if name != "train_classifier" else (0,):
        reasons = [reason for s, _, reason in verdicts(name, wrong, seeds=(seed,))]
        assert any(isinstance(r, str) and r for r in reasons), f"{name}: {wrong.__name__} passed with seed {seed}"


# ---------------------------------------------------------------- (c) correct, written differently
# (tests.support.alternatives)

def test_every_exercise_has_a_correct_alternative():
    assert set(ALTERNATIVES) == set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_a_correct_implementation_written_differently_passes(name):
    seeds = SEEDS if name != "train_classifier" else (0,)
    refuted = [v for v in verdicts(name, ALTERNATIVES[name], seeds=seeds) if v[2] is not None]
    assert not refuted


# ---------------------------------------------------------------- cost

@pytest.mark.parametrize("notebook", list(ref.EXERCISES))
def test_verifying_a_notebook_is_cheap(notebook):
    names = [n for n in ref.EXERCISES[notebook] if n != "train_classifier"]
    start = time.perf_counter()
    for name in names:
        verdicts(name, getattr(ref, name), seeds=(11,))
    assert time.perf_counter() - start < 2.0  # well under a second when the machine is not busy


# ---------------------------------------------------------------- end to end

def _cell(source, **nbgrader):
    meta = {"nbgrader": nbgrader} if nbgrader else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# A tiny notebook"},
        _cell("import numpy as np\nprint('a demo the grader skips')\nx = np.arange(3)\n", locked=True),
        _cell(["def sigmoid(z):\n", "    e = np.exp(-np.abs(z))\n", "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n"],
              solution=True, grade=False, grade_id="sigmoid"),
        _cell("assert False, 'tests do not run in the verifier'\n", grade=True, grade_id="test_sigmoid", points=1),
        _cell("def relu(z):\n    return np.abs(z)  # wrong\n", solution=True, grade=False, grade_id="relu"),
        _cell("def minibatch_indices(m, batch_size, rng):\n"
              "    order = rng.choice(m, size=m, replace=False)\n"
              "    return [order[s:s + batch_size] for s in range(0, m, batch_size)]\n",
              solution=True, grade=False, grade_id="minibatch_indices"),
        _cell("%matplotlib inline\n"
              "def numerical_gradient(f, x, eps=1e-6):\n"
              "    x = np.array(x, dtype=float)\n"
              "    g = np.zeros_like(x)\n"
              "    for i in np.ndindex(x.shape):\n"
              "        p, q = x.copy(), x.copy()\n"
              "        p[i] += eps\n"
              "        q[i] -= eps\n"
              "        g[i] = (f(p) - f(q)) / (2 * eps)\n"
              "    return g\n",
              solution=True, grade=False, grade_id="numerical_gradient"),
        _cell("def softmax(Z):\n    raise NotImplementedError()\n", solution=True, grade=False, grade_id="softmax"),
    ],
}


def test_run_student_returns_raw_results_and_errors():
    outcomes = verify.run_student(NOTEBOOK, [("sigmoid", [np.array([[0.0, 1000.0]])], {}),
                                             ("softmax", [np.zeros((2, 1))], {}),
                                             ("tanh_prime", [np.zeros((1, 1))], {})], unsafe=True)
    (kind, value), (kind2, error), (kind3, missing) = outcomes
    assert kind == "result" and np.array_equal(value, [[0.5, 1.0]])
    assert kind2 == "error" and "NotImplementedError" in error
    assert kind3 == "error" and "not defined" in missing


def test_verify_end_to_end_confirms_right_answers_and_refutes_wrong_ones():
    exercises = ["sigmoid", "relu", "minibatch_indices", "numerical_gradient", "softmax"]
    result = verify.verify(NOTEBOOK, exercises, seed=123, unsafe=True)
    assert result["sigmoid"] is None
    assert result["minibatch_indices"] is None
    assert result["numerical_gradient"] is None
    assert isinstance(result["relu"], str) and "differs from the reference" in result["relu"]
    assert "NotImplementedError" in result["softmax"]


def test_a_given_table_of_lambdas_reaches_the_verifier_and_a_computed_value_does_not():
    # 09's given PRIMITIVES is a dict of lambdas that call NumPy when used, not when defined.
    notebook = {"cells": [_cell("PRIMITIVES = {'sum': lambda x: np.sum(x)}\nshown = np.ones(3).sum()\n", locked=True)]}
    kept = verify.definition_cells(notebook)[0]
    assert "PRIMITIVES" in kept and "shown" not in kept


class ReleasesTheGil:
    """Garbage in a cycle whose finalizer lets another thread run: collected mid-parse, it hands the
    interpreter to a thread that may parse too."""

    def __init__(self):
        self.cycle = self

    def __del__(self):
        time.sleep(0)


def code_cells(assignment):
    source = (pathlib.Path(__file__).parents[2] / "source" / assignment / f"{assignment}.ipynb").read_text()
    return ["".join(c["source"]) for c in json.loads(source)["cells"] if c["cell_type"] == "code"]


def reading_given_cells(cells, rounds, errors):
    """A grading slot's thread: reads every cell's given definitions `rounds` times, each round a new
    text (read, not taken from the verifier's cache), appending any SystemError to `errors`."""
    def read():
        for round_ in range(rounds):
            for cell in cells:
                [ReleasesTheGil() for _ in range(20)]
                try:
                    verify.definition_cells({"cells": [_cell(f"{cell}\n# {round_}", locked=True)]})
                except SystemError as error:
                    errors.append(str(error))
    return read


def run_side_by_side(targets):
    """Each target in a thread of its own, the collector running often; what they appended to errors."""
    import gc
    import threading

    thresholds = gc.get_threshold()
    gc.set_threshold(50, 5, 5)
    try:
        threads = [threading.Thread(target=target) for target in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.set_threshold(*thresholds)


def test_given_cells_are_read_safely_by_grading_threads_side_by_side():
    # CPython 3.11's AST converter keeps one recursion counter per interpreter: two slots' threads
    # parsing at once, with a finalizer releasing the GIL mid-conversion, raised SystemError (CI).
    errors = []
    run_side_by_side([reading_given_cells(code_cells("06_regularization"), 8, errors)] * 4)
    assert not errors


def test_given_cells_are_read_safely_while_another_thread_formats_a_traceback():
    # Python 3.11's traceback module parses each line it underlines (ast.parse, for the carets): a
    # traceback formatted in one thread while a slot's thread reads given cells raised the same
    # SystemError (CI, once), although the verifier's own parses go one at a time.
    import traceback

    errors = []

    def fails():
        values = {"a": [1, 2]}
        return values["a"][0] + values["b"][1] * len(values["a"])

    def format_tracebacks():
        for _ in range(3000):
            [ReleasesTheGil() for _ in range(5)]
            try:
                fails()
            except KeyError as error:
                try:
                    traceback.format_exception(error)
                except SystemError as failure:
                    errors.append(str(failure))

    read_given_cells = reading_given_cells(code_cells("06_regularization"), 6, errors)
    run_side_by_side([read_given_cells, read_given_cells, format_tracebacks, format_tracebacks])
    assert not errors, errors[:3]
