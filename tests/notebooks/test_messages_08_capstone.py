"""Notebook 08: the stub carries no design, the trainer's tests judge the student's own design, and a
lazy or broken one never earns the marks (visible test, hidden test and verification).

Designs are the calibration's (benchmarks/capstone_bars.py): `momentum_cosine` (128 units, momentum
with a cosine schedule, 40 epochs) is a good design written differently from the solution and cheap
to train; `lazy_sgd` (64 units, plain SGD, 10 epochs) falls short everywhere.
"""

import inspect
import re

import numpy as np
import pytest

from autograder import authoring
from autograder.judging import mistakes
from autograder.judging.specs import MISTAKES, SPECS
from autograder.reference import EXERCISES
from tests.support import alternatives
from tests.support.wrong_versions import diagnosis, hidden_test, verification, visible_test

NAME = "08_capstone"
SOLUTION_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[^\n]*", re.S | re.M)


def trainer(body_lines):
    """A train_classifier taking only (X, Y, rng), its design fixed inside, the loop written out."""
    return "def train_classifier(X, Y, rng):\n" + "\n".join("    " + line for line in body_lines) + "\n"


def design(width, epochs, lr, update, schedule="cosine", count_steps=True):
    state = {"adam": ["first = {k: np.zeros_like(v) for k, v in params.items()}",
                      "second = {k: np.zeros_like(v) for k, v in params.items()}"],
             "momentum": ["velocity = {k: np.zeros_like(v) for k, v in params.items()}"],
             "sgd": []}[update]
    step = {"adam": ["params, first, second = adam_update(params, grads, first, second, t, step)"],
            "momentum": ["params, velocity = momentum_update(params, grads, velocity, step, 0.9)"],
            "sgd": ["params = sgd_step(params, grads, step)"]}[update]
    return trainer([
        f"params = place_like(init_he([X.shape[0], {width}, Y.shape[0]], rng), X)",
        *state,
        "t = 0",
        f"for epoch in range({epochs}):",
        f"    step = lr_schedule({schedule!r}, {lr}, epoch, total_epochs={epochs})",
        "    for batch in minibatch_indices(X.shape[1], 32, rng):",
        "        _, cache = forward(X[:, batch], params, 'relu', 'softmax')",
        "        grads = backward_batch(Y[:, batch], params, cache, 'relu', 'softmax', 'cross_entropy')",
        *(["        t += 1"] if count_steps else []),
        *["        " + line for line in step],
        "return params",
    ])


GOOD = design(128, 40, 0.05, "momentum")
LAZY = design(64, 10, 0.1, "sgd", schedule="constant")
ADAM_T_ZERO = design(128, 30, 2e-3, "adam", count_steps=False)  # t stays 0: bias correction divides by 0


def _cells():
    return authoring.build_notebook(authoring.SOURCE / NAME / f"{NAME}.py").cells


def solution_cell():
    return next(cell.source for cell in _cells() if cell.metadata.get("nbgrader", {}).get("grade_id") == "train_classifier")


def with_given_pieces(source):
    """`source` after the notebook's imports and given pieces (init_he, adam_update, place_like, ...),
    which a student's trainer calls: the grader's verification runs it in the notebook's namespace."""
    given = [cell.source for cell in _cells() if cell.cell_type == "code"
             and ("import numpy as np" in cell.source or "def place_like" in cell.source)]
    assert len(given) == 2
    return "\n\n".join([*given, source])


def test_the_released_stub_takes_only_x_y_rng_and_carries_no_design():
    stub = SOLUTION_REGION.sub(lambda match: match.group(1) + "raise NotImplementedError()", solution_cell())
    namespace = {}
    exec(compile(stub, "<stub>", "exec"), namespace)
    assert list(inspect.signature(namespace["train_classifier"]).parameters) == ["X", "Y", "rng"]
    assert set(namespace) == {"__builtins__", "train_classifier"}, "the stub must define nothing but the function"
    with pytest.raises(NotImplementedError):
        namespace["train_classifier"](np.zeros((4, 3)), np.eye(2)[:, [0, 1, 0]], np.random.default_rng(0))


@pytest.mark.parametrize("source, fragment, mistake", [
    (LAZY, "expected at least 0.96.", "below_the_bar"),
    (ADAM_T_ZERO, "holds NaN/inf: check the update (Adam counts t from 1)", "not_finite"),
], ids=["lazy design", "adam t from 0"])
def test_a_design_short_of_the_target_is_named_and_earns_nothing(source, fragment, mistake):
    outcome = visible_test(NAME, "train_classifier", source)
    assert not outcome.passed and fragment in outcome.message, str(outcome)
    if fragment.startswith("expected"):
        assert "cross_validate" in outcome.message  # points to the noise-aware comparison, not the test set
    assert not hidden_test(NAME, "train_classifier", source).passed
    reasons = verification("train_classifier", with_given_pieces(source), seeds=(0,))
    assert reasons and not any("NameError" in reason for reason in reasons), reasons
    # The grader's diagnosis of the same reasons (no second training run): the slip, in the visible test's words.
    found = mistakes.diagnose(SPECS["train_classifier"], MISTAKES["train_classifier"],
                              [(lambda: ([], {}), "refuted", reason) for reason in reasons])
    assert found.mistake == mistake and found.message in outcome.message, found


def test_a_good_design_of_the_students_own_passes_all_three():
    for run in (visible_test, hidden_test):
        outcome = run(NAME, "train_classifier", GOOD)
        assert outcome.passed and not outcome.warned, str(outcome)
    assert verification("train_classifier", with_given_pieces(GOOD), seeds=(0, 1)) == []


def test_cross_validate_holds_each_training_column_out_once_with_paired_folds_and_seeds():
    helpers = next(cell.source for cell in _cells() if "def cross_validate" in cell.source)
    namespace = {}
    exec(compile(with_given_pieces(helpers), "<helpers>", "exec"), namespace)
    X = np.arange(2 * 23, dtype=float).reshape(2, 23)  # column j holds j and 23 + j: its index is readable
    Y = np.eye(3)[:, np.arange(23) % 3]
    seen = []

    def recording_trainer(X_fit, Y_fit, rng):
        seen.append((sorted(X_fit[0].astype(int)), int(rng.integers(1 << 30))))
        return {"W1": np.zeros((3, 2)), "b1": np.zeros((3, 1))}

    accuracies = namespace["cross_validate"](recording_trainer, X, Y, folds=4, seed=3)
    first = list(seen)
    namespace["cross_validate"](recording_trainer, X, Y, folds=4, seed=3)
    assert accuracies.shape == (4,) and seen[4:] == first  # the same seed: the same folds and seeds
    held_out = [sorted(set(range(23)) - set(kept)) for kept, _ in first]
    assert sorted(j for fold in held_out for j in fold) == list(range(23))  # each column left out once
    assert len({seed for _, seed in first}) == 4  # each fold its own training seed
    assert namespace["standard_error"](0.975, 300) == pytest.approx(0.0090, abs=5e-5)


# ---------------------------------------------------------------- the grader's named mistakes (judging.mistakes)

# What the grader runs beside a student's predict or accuracy: the notebook's forward, and predict.
GIVEN = ("import numpy as np\nfrom autograder.reference.forward import forward\n"
         "from autograder.reference.capstone import predict\n")
PREDICT = "def predict(X, params):\n    AL, _ = forward(X, params, {hidden!r}, 'softmax')\n    return {returned}\n"
ACCURACY = "def accuracy(X, Y, params):\n    return float({score})\n"
# (exercise, a wrong version, the mistake the grader names from its outputs alone)
NAMED = [
    ("predict", PREDICT.format(hidden="relu", returned="np.argmax(AL)"), "argmax_flattened"),
    ("predict", PREDICT.format(hidden="relu", returned="AL"), "returned_the_output"),
    ("predict", PREDICT.format(hidden="relu", returned="np.argmax(AL, axis=0, keepdims=True)"), "kept_dims"),
    ("predict", PREDICT.format(hidden="sigmoid", returned="np.argmax(AL, axis=0)"), "sigmoid_hidden_layers"),
    ("accuracy", ACCURACY.format(score="np.sum(predict(X, params) == np.argmax(Y, axis=0))"), "count_not_fraction"),
    ("accuracy", ACCURACY.format(score="np.mean(predict(X, params) != np.argmax(Y, axis=0))"), "fraction_wrong"),
    ("accuracy", ACCURACY.format(score="np.mean(predict(X, params) == Y)"), "compared_with_one_hot"),
]


@pytest.mark.parametrize("exercise, source, mistake", NAMED, ids=[f"{n[0]}-{n[2]}" for n in NAMED])
def test_the_grader_names_a_wrong_version_s_slip_in_its_visible_test_s_words(exercise, source, mistake):
    found = diagnosis(exercise, GIVEN + source)
    assert found.mistake == mistake, found
    outcome = visible_test(NAME, exercise, source)
    assert not outcome.passed and found.message in outcome.message, (found, outcome)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_correct_predict_or_accuracy_is_never_named_as_a_mistake(seed):
    for exercise in ("predict", "accuracy"):
        source = f"from {alternatives.__name__} import {alternatives.ALTERNATIVES[exercise].__name__} as {exercise}\n"
        assert diagnosis(exercise, source, seed=seed).mistake not in {m.name for m in MISTAKES[exercise]}


def test_each_wrong_transform_is_named_as_itself_and_as_no_other_mistake():
    """Fed its own transform, a mistake's diagnosis is that mistake on some seed and never another one (a
    seed whose cases do not show the slip refutes nothing: unrecognised)."""
    for exercise in EXERCISES[NAME]:
        for mistake in (m for m in MISTAKES[exercise] if m.wrong is not None):
            source = (f"from autograder.judging.specs import MISTAKES\n{exercise} = next(m for m in "
                      f"MISTAKES[{exercise!r}] if m.name == {mistake.name!r}).wrong\n")
            named = {diagnosis(exercise, source, seed=seed).mistake for seed in range(4)}
            assert named <= {mistake.name, "unrecognised"}, (exercise, mistake.name, named)
            assert mistake.name in named, (exercise, mistake.name)
