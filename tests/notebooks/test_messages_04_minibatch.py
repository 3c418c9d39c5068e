"""04_minibatch: plausible wrong versions get a visible message that names the slip, fail the hidden test
and are refuted by the verification; correct versions written differently pass all three."""

import re

import pytest

from autograder import authoring
from autograder.judging.specs import MISTAKES
from autograder.reference import EXERCISES
from tests.support.wrong_versions import _cells, assert_diagnosed, diagnosis, hidden_test, verification, visible_test

NAME = "04_minibatch"
SOURCE = (authoring.SOURCE / NAME / f"{NAME}.py").read_text()


def solution(exercise):
    body = re.search(r'# %% solution="' + exercise + r'"\n(.*?)(?=\n# %%)', SOURCE, re.S).group(1)
    return re.sub(r"^ *### (BEGIN|END) SOLUTION\n", "", body, flags=re.M)


def edited(exercise, *replacements):
    text = solution(exercise)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def standalone(exercise, source):
    """`source` with what it needs from the notebook (given cells, the other exercises' solutions), for
    the verification, which runs the function on its own."""
    given = [c.source for c in _cells(NAME) if not c.metadata.get("nbgrader", {}).get("grade")
             and c.metadata.get("nbgrader", {}).get("grade_id") != exercise]
    return "\n\n".join([*(re.sub(r"^%.*$", "", g, flags=re.M) for g in given), source])


SHUFFLES_ONCE = edited("train", ("    for _ in range(epochs):\n",
                                 "    batches = minibatch_indices(m, batch_size, rng)\n    for _ in range(epochs):\n"),
                       ("for batch in minibatch_indices(m, batch_size, rng):", "for batch in batches:"))
LAST_BATCH_COST = edited("train", ("total += LOSSES[loss](AL, Y_batch) * len(batch)", "total = LOSSES[loss](AL, Y_batch)"),
                         ("history.append(total / m)", "history.append(total)"))
HE_FAN_OUT = edited("train", ("np.sqrt(2.0 / n_in)", "np.sqrt(2.0 / n_out)"))
UNWEIGHTED = edited("train", ("total = 0.0", "costs = []"),
                    ("total += LOSSES[loss](AL, Y_batch) * len(batch)", "costs.append(LOSSES[loss](AL, Y_batch))"),
                    ("history.append(total / m)", "history.append(sum(costs) / len(costs))"))
# Right: another order of draws, and the cost of the whole training set after each epoch.
TRAIN_OTHERWISE = """
def train(X, Y, layer_sizes, epochs, batch_size, lr, rng,
          hidden_activation="relu", output_activation="softmax", loss="cross_entropy"):
    params = {}
    for l in range(len(layer_sizes) - 1, 0, -1):
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
        params[f"W{l}"] = np.sqrt(2 / layer_sizes[l - 1]) * rng.standard_normal((layer_sizes[l], layer_sizes[l - 1]))
    history = []
    for epoch in range(epochs):
        order = rng.choice(X.shape[1], size=X.shape[1], replace=False)
        if epoch == 0:
            history_cost = LOSSES[loss](forward(X, params, hidden_activation, output_activation)[0], Y)
        for start in range(0, X.shape[1], batch_size):
            cols = order[start:start + batch_size]
            AL, cache = forward(X[:, cols], params, hidden_activation, output_activation)
            params = sgd_step(params, backward_batch(Y[:, cols], params, cache, hidden_activation,
                                                     output_activation, loss), lr)
        end_cost = LOSSES[loss](forward(X, params, hidden_activation, output_activation)[0], Y)
        history.append(history_cost if lr == 0 else end_cost)
    return params, history
"""

TRAIN_SLIPS = [
    (SHUFFLES_ONCE, "reshuffled at the start of every epoch", "not reshuffled"),
    (LAST_BATCH_COST, "the cost of one batch only", "history[0]"),
    (HE_FAN_OUT, "He initialisation draws N(0, 2/n[l-1])", "(He initialisation)"),
    (UNWEIGHTED, "weight each batch's cost by its size", "history[0]"),
]


@pytest.mark.parametrize("source, message, reason", TRAIN_SLIPS, ids=["shuffles_once", "last_batch_cost",
                                                                       "he_fan_out", "unweighted_mean"])
def test_a_train_slip_is_named_and_refuted(source, message, reason):
    outcome = visible_test(NAME, "train", source)
    assert not outcome.passed and message in outcome.message, outcome
    reasons = verification("train", standalone("train", source), seeds=(0,))
    assert any(reason in r for r in reasons), reasons


def test_training_on_the_same_batches_every_epoch_fails_the_hidden_test():
    assert not hidden_test(NAME, "train", SHUFFLES_ONCE).passed


def test_a_train_written_otherwise_passes():
    assert visible_test(NAME, "train", TRAIN_OTHERWISE).passed
    assert verification("train", standalone("train", TRAIN_OTHERWISE), seeds=(0,)) == []


MINIBATCH_SLIPS = [
    (edited("minibatch_indices", ("rng.permutation(m)", "np.random.default_rng(0).permutation(m)")),
     "two calls with the same generator gave the same order", "drew no random numbers from its generator `rng`"),
    (edited("minibatch_indices", ("rng.permutation(m)", "np.random.permutation(m)")),
     "draw all randomness from rng", "drew no random numbers from its generator `rng`"),
    (edited("minibatch_indices", ("range(0, m, batch_size)", "range(0, m - batch_size + 1, batch_size)")),
     "expected [4, 4, 2] (all full except possibly the last)", "batches, expected"),
    (edited("minibatch_indices", ("rng.permutation(m)", "rng.integers(0, m, size=m)")),
     "every index must appear exactly once", "exactly once"),
    (edited("minibatch_indices", ("rng.permutation(m)", "rng.permutation(m).astype(float)")),
     "expected integers (they are used as indices)", "expected a 1-D integer array"),
]


@pytest.mark.parametrize("source, message, reason", MINIBATCH_SLIPS,
                         ids=["own_seed", "global_state", "drops_last", "with_replacement", "floats"])
def test_a_minibatch_indices_slip_is_named_and_refuted(source, message, reason):
    outcome = visible_test(NAME, "minibatch_indices", source)
    assert not outcome.passed and message in outcome.message, outcome
    assert not hidden_test(NAME, "minibatch_indices", source).passed
    reasons = verification("minibatch_indices", "import numpy as np\n" + source)
    assert any(reason in r for r in reasons), reasons


def test_a_minibatch_indices_written_otherwise_passes():
    source = ("import numpy as np\n\ndef minibatch_indices(m, batch_size, rng):\n"
              "    order = np.argsort(rng.random(m))\n"
              "    return np.array_split(order, range(batch_size, m, batch_size))\n")
    assert visible_test(NAME, "minibatch_indices", source).passed
    assert hidden_test(NAME, "minibatch_indices", source).passed
    assert verification("minibatch_indices", source) == []


@pytest.mark.parametrize("source, reason", [
    ("def sgd_step(params, grads, lr):\n    for k in params:\n        params[k] -= lr * grads['d' + k]\n"
     "    return params\n", "changed its input `params['W1']` in place"),
    ("def sgd_step(params, grads, lr):\n    new = dict(params)\n    for k in new:\n        new[k] -= lr * grads['d' + k]\n"
     "    return new\n", "changed its input `params['W1']` in place"),
    ("def sgd_step(params, grads, lr):\n    for k in list(params):\n        params[k] = params[k] - lr * grads['d' + k]\n"
     "    return params\n", "replaced the entry `params['W1']` of its input `params`"),
])
def test_sgd_step_that_changes_the_callers_params_is_named_and_refuted(source, reason):
    outcome = visible_test(NAME, "sgd_step", source)
    assert not outcome.passed and "params['W1']" in outcome.message and "in place" in outcome.message, outcome
    assert any(reason in r for r in verification("sgd_step", source))


def test_sgd_step_in_place_fails_the_hidden_test_where_the_visible_one_is_left_out():
    # The hidden tests alone (the visible checks, which fail first, removed from the cell).
    [cell] = [c for c in _cells(NAME) if c.metadata["nbgrader"].get("grade_id") == "test_sgd_step"]
    hidden_only = "import warnings\n" + cell.source[cell.source.index("### BEGIN HIDDEN TESTS"):]
    source = "def sgd_step(params, grads, lr):\n    for k in params:\n        params[k] -= lr * grads['d' + k]\n    return params\n"
    outcome = hidden_test(NAME, "sgd_step", source, others={"test_sgd_step": hidden_only})
    assert not outcome.passed and ("not the input" in outcome.message or "modified" in outcome.message), outcome


@pytest.mark.parametrize("old, new, message", [
    ("m = Y.shape[1]", "m = 1", "missing the 1/m factor"),
    ("np.sum(delta, axis=1, keepdims=True) / m", "delta / m", "did you forget to sum over the examples?"),
])
def test_a_backward_batch_slip_is_named_and_refuted(old, new, message):
    source = edited("backward_batch", (old, new))
    outcome = visible_test(NAME, "backward_batch", source)
    assert not outcome.passed and message in outcome.message, outcome
    assert not hidden_test(NAME, "backward_batch", source).passed
    assert verification("backward_batch", standalone("backward_batch", source))


def test_train_that_shuffles_the_callers_data_in_place_is_told_so():
    source = edited("train", (
        "        for batch in minibatch_indices(m, batch_size, rng):\n",
        "        perm = rng.permutation(m)\n        X[:] = X[:, perm]\n        Y[:] = Y[:, perm]\n"
        "        for start in range(0, m, batch_size):\n            batch = np.arange(start, min(start + batch_size, m))\n"))
    outcome = visible_test(NAME, "train", source)
    assert not outcome.passed and "modified its input X in place: shuffle the column indices" in outcome.message, outcome
    assert "lr * dW" not in outcome.message
    assert any("changed its input `X` in place" in r for r in verification("train", standalone("train", source), seeds=(0,)))


# ---------------------------------------------------------------- the pilot's wrong versions (release notebook)

IGNORES_OPTIONS = edited("train", ("forward(X_batch, params, hidden_activation, output_activation)",
                                   "forward(X_batch, params, 'relu', 'softmax')"),
                         ("LOSSES[loss](AL, Y_batch)", "LOSSES['cross_entropy'](AL, Y_batch)"),
                         ("backward_batch(Y_batch, params, cache, hidden_activation, output_activation, loss)",
                          "backward_batch(Y_batch, params, cache, 'relu', 'softmax', 'cross_entropy')"))
IGNORES_LR = edited("train", ("sgd_step(params, grads, lr)", "sgd_step(params, grads, 0.1)"))
MISALIGNED = edited("train", ("Y[:, batch]", "Y[:, np.sort(batch)]"))
SUMMED_BATCH_COSTS = edited("train", ("total += LOSSES[loss](AL, Y_batch) * len(batch)", "total += LOSSES[loss](AL, Y_batch)"),
                            ("history.append(total / m)", "history.append(total)"))
BACKWARD_ONLY_DEFAULTS = edited("train", ("backward_batch(Y_batch, params, cache, hidden_activation, output_activation, loss)",
                                          "backward_batch(Y_batch, params, cache, 'relu', output_activation, loss)"))

PILOT_TRAIN_SLIPS = [
    (IGNORES_OPTIONS, "Are hidden_activation, output_activation and loss passed on to forward and LOSSES?", "the cost fell only"),
    (BACKWARD_ONLY_DEFAULTS, "Are the three arguments passed on to backward_batch as well?", "-lr * db1"),
    (IGNORES_LR, "with lr = 0 the parameters still change", "with lr = 0"),
    (MISALIGNED, "are X and Y indexed with the same batch?", "the cost fell only"),
    (SUMMED_BATCH_COSTS, "the sum of the 8 batch costs, not their mean", "history[0]"),
]


@pytest.mark.parametrize("source, message, reason", PILOT_TRAIN_SLIPS,
                         ids=["ignores_options", "backward_defaults", "ignores_lr", "misaligned_labels", "summed_costs"])
def test_a_train_slip_of_the_pilot_is_named_and_refuted(source, message, reason):
    outcome = visible_test(NAME, "train", source)
    assert not outcome.passed and message in outcome.message, outcome
    assert "weight each batch's cost" not in outcome.message and "biases must start" not in outcome.message
    assert not hidden_test(NAME, "train", source).passed
    reasons = verification("train", standalone("train", source), seeds=(0,))
    assert any(reason in r for r in reasons), reasons


def test_train_with_the_global_generator_is_told_to_draw_from_rng():
    source = edited("train", ("rng.standard_normal((n_out, n_in))", "np.random.standard_normal((n_out, n_in))"))
    outcome = visible_test(NAME, "train", source)
    assert not outcome.passed and "draw every random number from rng" in outcome.message, outcome
    assert "lr" not in outcome.message
    assert not hidden_test(NAME, "train", source).passed


FIXED_BLOCKS = """
import numpy as np

def minibatch_indices(m, batch_size, rng):
    full = m // batch_size
    blocks = [np.arange(k * batch_size, (k + 1) * batch_size) for k in rng.permutation(full)]
    return blocks + ([np.arange(full * batch_size, m)] if m % batch_size else [])
"""


def test_a_shuffle_of_fixed_blocks_is_named_and_refuted():
    outcome = visible_test(NAME, "minibatch_indices", FIXED_BLOCKS)
    assert not outcome.passed and "every batch is a run of consecutive indices" in outcome.message, outcome
    assert not hidden_test(NAME, "minibatch_indices", FIXED_BLOCKS).passed
    assert any("run of consecutive indices" in r for r in verification("minibatch_indices", FIXED_BLOCKS))


def test_batches_sorted_inside_are_still_a_shuffle():
    # The order inside a batch does not change its gradient: what must be random is who shares a batch.
    source = edited("minibatch_indices", ("order[start:start + batch_size]", "np.sort(order[start:start + batch_size])"))
    assert visible_test(NAME, "minibatch_indices", source).passed
    assert hidden_test(NAME, "minibatch_indices", source).passed
    assert verification("minibatch_indices", "import numpy as np\n" + source) == []


@pytest.mark.parametrize("old, new, message", [
    ("(delta @ A_prev.T) / m", "(delta * A_prev.T) / m", "right for a single example (m = 1), but not for a batch"),
    ("(delta @ A_prev.T) / m", "np.outer(delta, A_prev) / m", "right for a single example (m = 1), but not for a batch"),
    ("m = Y.shape[1]", "m = len(Y)", "was m taken from the rows of Y (n[L] = 4, the output units)"),
    ("m = Y.shape[1]", "m = Y.shape[0]", "was m taken from the rows of Y"),
    ("np.sum(delta, axis=1, keepdims=True) / m", "np.sum(delta, axis=0, keepdims=True) / m",
     "that is a sum over axis 0, the 5 units of each example"),
], ids=["star_for_outer", "np_outer", "len_Y", "rows_of_Y", "db_axis_0"])
def test_a_backward_batch_slip_of_the_pilot_is_named_and_refuted(old, new, message):
    source = edited("backward_batch", (old, new))
    outcome = visible_test(NAME, "backward_batch", source)
    assert not outcome.passed and message in outcome.message, outcome
    assert "Mixed-up layer indices" not in outcome.message
    assert not hidden_test(NAME, "backward_batch", source).passed
    assert verification("backward_batch", standalone("backward_batch", source))


def test_backward_batch_that_subtracts_y_from_the_cache_in_place_is_told_so_first():
    source = edited("backward_batch", ("        delta = AL - Y\n", "        delta = AL\n        delta -= Y\n"))
    outcome = visible_test(NAME, "backward_batch", source)
    assert not outcome.passed and outcome.message.startswith("backward_batch: modified its input cache['A2'] in place"), outcome
    assert "after delta = cache[...] that is the cache's own array" in outcome.message
    assert "Mixed-up layer indices" not in outcome.message and "lr * dW" not in outcome.message
    assert not hidden_test(NAME, "backward_batch", source).passed
    assert any("in place" in r for r in verification("backward_batch", standalone("backward_batch", source)))


@pytest.mark.parametrize("source, message", [
    ("def sgd_step(params, grads, lr):\n    return {k: v - lr * grads[k] for k, v in params.items()}\n",
     "looked up 'W1', which is not a key of grads"),
    ("def sgd_step(params, grads, lr):\n    return {k: v + lr * grads['d' + k] for k, v in params.items()}\n",
     "moved every parameter by + lr * gradient, uphill"),
], ids=["grads_key", "plus_sign"])
def test_an_sgd_step_slip_of_the_pilot_is_named_and_refuted(source, message):
    outcome = visible_test(NAME, "sgd_step", source)
    assert not outcome.passed and message in outcome.message, outcome
    assert not hidden_test(NAME, "sgd_step", source).passed
    assert verification("sgd_step", source)


# ---------------------------------------------------------------- the grader's diagnosis (autograder.judging.mistakes)

def _runnable(exercise, source):
    """What `diagnosis` runs: the function alone, with what it calls from the notebook."""
    return standalone(exercise, source) if exercise in ("train", "backward_batch") else "import numpy as np\n" + source


OWN_SEED = MINIBATCH_SLIPS[0][0]
DIAGNOSED = [
    *[("train", source, name) for (source, *_), name in zip(
        TRAIN_SLIPS + PILOT_TRAIN_SLIPS,
        ["not_reshuffled", "last_batch_cost", "not_he_spread", "unweighted_batch_mean", "options_not_passed",
         "backward_with_defaults", "lr_not_used", "labels_misaligned", "summed_batch_costs"])],
    ("train", edited("train", ("        for batch in minibatch_indices(m, batch_size, rng):\n",
                               "        perm = rng.permutation(m)\n        X[:] = X[:, perm]\n        Y[:] = Y[:, perm]\n"
                               "        for start in range(0, m, batch_size):\n"
                               "            batch = np.arange(start, min(start + batch_size, m))\n")), "changes_X_or_Y"),
    *[("minibatch_indices", source, name) for (source, *_), name in zip(
        MINIBATCH_SLIPS[1:], ["not_drawn_from_rng", "batch_sizes", "not_each_index_once", "float_indices"])],
    ("minibatch_indices", FIXED_BLOCKS, "fixed_blocks"),
    ("minibatch_indices", edited("minibatch_indices", ("order = rng.permutation(m)",
                                                       "rng.permutation(m)\n    order = np.arange(m)")), "not_shuffled"),
    ("minibatch_indices", edited("minibatch_indices", ("return [", "return (")).replace(
        "range(0, m, batch_size)]", "range(0, m, batch_size))"), "not_a_list"),  # a generator
    ("backward_batch", edited("backward_batch", ("np.sum(delta, axis=1, keepdims=True) / m",
                                                 "np.sum(delta, axis=0, keepdims=True) / m")), "db_summed_over_units"),
    ("backward_batch", edited("backward_batch", ("m = Y.shape[1]", "m = Y.shape[0]")), "m_from_rows_of_Y"),
    ("backward_batch", edited("backward_batch", ("m = Y.shape[1]", "m = len(Y)")), "m_from_rows_of_Y"),
    ("backward_batch", edited("backward_batch", ("(delta @ A_prev.T) / m", "np.outer(delta, A_prev) / m")),
     "np_outer_for_the_batch"),
    ("backward_batch", edited("backward_batch", ("        delta = AL - Y\n", "        delta = AL\n        delta -= Y\n")),
     "changes_params_or_cache"),
    ("sgd_step", "def sgd_step(params, grads, lr):\n    return {k: v + lr * grads['d' + k] for k, v in params.items()}\n",
     "uphill"),
    ("sgd_step", "def sgd_step(params, grads, lr):\n    return {k: v - lr * grads[k] for k, v in params.items()}\n",
     "grads_keyed_like_params"),
]


@pytest.mark.parametrize("exercise, source, name", DIAGNOSED, ids=[f"{e}-{n}" for e, _, n in DIAGNOSED])
def test_a_slip_is_diagnosed_in_the_visible_tests_words(exercise, source, name):
    assert_diagnosed(NAME, exercise, source, name, _runnable(exercise, source))


def test_a_shuffle_with_a_seed_of_its_own_is_diagnosed_as_not_drawn_from_rng():
    # The watcher sees no draw from rng, as for NumPy's global generator: the diagnosis cannot tell the two apart
    # (the visible test, which calls it twice with one generator, can).
    assert diagnosis("minibatch_indices", "import numpy as np\n" + OWN_SEED).mistake == "not_drawn_from_rng"


CORRECT = [*[(e, f"from tests.support.alternatives import _alt_{e} as {e}\n") for e in EXERCISES[NAME]],
           ("train", standalone("train", TRAIN_OTHERWISE)),
           ("minibatch_indices", "import numpy as np\n" + edited(
               "minibatch_indices", ("order[start:start + batch_size]", "np.sort(order[start:start + batch_size])")))]


@pytest.mark.parametrize("exercise, source", CORRECT, ids=[e for e, _ in CORRECT])
def test_a_correct_version_shows_none_of_the_named_mistakes(exercise, source):
    assert diagnosis(exercise, source).mistake not in {m.name for m in MISTAKES[exercise]}
