"""01_notation: each wrong version gets a message naming its mistake from the visible test, and the hidden
test and the verification refute it; correct answers written differently pass."""

import contextlib
import functools
import io
import warnings

import pytest

from autograder import reference as ref
from autograder.judging import mistakes
from tests.support import wrong_versions
from tests.support.wrong_versions import (
    assert_diagnosed,
    assert_transform_is_its_own_mistake,
    diagnosis,
    hidden_test,
    transforms,
    verification,
    visible_test,
)

NAME = "01_notation"
PRELUDE = "import math\n\nimport numpy as np\n\n"  # what the notebook's setup cell gives a student's answer


@functools.cache
def _test_cell_source(exercise, hidden):
    cell, = (c for c in wrong_versions._cells(NAME) if c.metadata["nbgrader"]["grade_id"] == f"test_{exercise}")
    return cell.source if hidden else wrong_versions.HIDDEN_TESTS.sub("", cell.source)


def _run_test_cell(exercise, source, hidden):
    """The message of the exercise's test cell run on `source` alone, in a plain namespace ("" if it passes).

    01's test cells import what they use and read nothing from earlier cells but the student's function,
    so this gives what the harness gives (test_fast_path_agrees_with_the_harness shows it) in a
    hundredth of the time, which keeps a test per message within the file's time budget.
    """
    namespace = {}
    exec(compile(PRELUDE + source, f"<{exercise}>", "exec"), namespace)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("error")  # a test cell must not warn for any answer
            exec(compile(_test_cell_source(exercise, hidden), f"<test_{exercise}>", "exec"), namespace)
    except AssertionError as error:
        return str(error)
    return ""


def _jacobian(entries):
    return f"def jacobian_example(x, y):\n    return np.array({entries})\n"


_GRADIENT_WITHOUT_RESTORE = '''
def numerical_gradient(f, x, eps=1e-6):
    work = np.array(x, dtype=float)
    grad = np.zeros_like(work)
    for idx in np.ndindex(work.shape):
        work[idx] += eps
        f_plus = f(work)
        work[idx] -= 2 * eps  # never put back: the next entry is nudged from x - eps e_idx
        grad[idx] = (f_plus - f(work)) / (2 * eps)
    return grad
'''

_GRADIENT_BY_ROWS = '''
def numerical_gradient(f, x, eps=1e-6):
    work = np.array(x, dtype=float)
    grad = np.zeros_like(work)
    for i in range(len(work)):  # one index: a whole row of a 2-D x
        plus, minus = work.copy(), work.copy()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (f(plus) - f(minus)) / (2 * eps)
    return grad
'''

_JACOBIAN_WITHOUT_RESTORE = '''
def numerical_jacobian(F, x, eps=1e-6):
    work = np.array(x, dtype=float)
    columns = []
    for j in range(work.size):
        work[j] += eps
        F_plus = np.array(F(work), dtype=float)
        work[j] -= 2 * eps  # never put back
        columns.append((F_plus - np.array(F(work), dtype=float)) / (2 * eps))
    return np.stack(columns, axis=1)
'''

_JACOBIAN_ROWS_PER_INPUT = '''
def numerical_jacobian(F, x, eps=1e-6):
    x = np.array(x, dtype=float)
    rows = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = eps
        rows.append((np.asarray(F(x + step)) - np.asarray(F(x - step))) / (2 * eps))
    return np.array(rows)  # one row per input: the transpose
'''

WRONG = [
    # jacobian_example: the first test point shows every partial derivative, and the message names the entry
    ("jacobian_example", _jacobian("[[2.0, -13.0], [3 * y**2, np.exp(y)]]"), "rows and columns are swapped"),
    ("jacobian_example", _jacobian("[[2.0, y**2], [-13.0, np.exp(y)]]"), "(0.5, 2): entry [0, 1], dF1/dy, is wrong"),
    ("jacobian_example", _jacobian("[[2.0, 3 * y], [-13.0, np.exp(y)]]"), "lowers the exponent by one"),
    ("jacobian_example", _jacobian("[[2.0, y**3], [-13.0, np.exp(y)]]"), "the term y^3 itself"),
    ("jacobian_example", _jacobian("[[2.0, 3 * x**2], [-13.0, np.exp(y)]]"), "depends on y, not on x"),
    ("jacobian_example", _jacobian("[[2.0, 3 * y**2], [13.0, np.exp(y)]]"), "dF2/dx, is wrong (got 13, expected -13)"),
    ("jacobian_example", _jacobian("[[2.0, 3 * y**2], [-13.0 * x, np.exp(y)]]"), "the term -13x itself"),
    ("jacobian_example", _jacobian("[[2.0 * x, 3 * y**2], [-13.0, np.exp(y)]]"), "dF1/dx, is wrong"),
    ("jacobian_example", _jacobian("[[2.0, 3 * y**2], [-13.0, y * np.exp(y - 1)]]"), "power rule does not apply"),
    ("jacobian_example", _jacobian("[[2.0, 3 * y**2], [-13.0, np.exp(y) - 13 * x]]"), "that is F2 itself"),
    ("jacobian_example", _jacobian("[[2.0, y**2], [13.0, np.exp(y)]]"), "(also wrong: entry [1, 0])"),
    ("jacobian_example", _jacobian("[[-13.0, np.exp(y)], [2.0, 3 * y**2]]"), "rows are in the wrong order"),
    ("jacobian_example", _jacobian("[[3 * y**2, 2.0], [np.exp(y), -13.0]]"), "columns are in the wrong order"),
    ("jacobian_example", "def jacobian_example(y, x):\n    return np.array([[2.0, 3 * y**2], [-13.0, np.exp(y)]])\n",
     "called as jacobian_example(x, y), x first"),
    ("jacobian_example", "def jacobian_example(x, y):\n    return [[2.0, 3 * y**2], [-13.0, math.exp(y)]]\n",
     "wrap the nested list in np.array"),
    # layer_shapes: lists and NumPy ints are accepted, a float size is not
    ("layer_shapes", "def layer_shapes(s):\n    return [((s[l] / 1, s[l - 1]), (s[l], 1)) for l in range(1, len(s))]\n",
     "a shape holds ints"),
    # count_parameters
    ("count_parameters", "def count_parameters(s):\n    return sum(s[l] * s[l - 1] + 1 for l in range(1, len(s)))\n",
     "one bias per layer"),
    ("count_parameters", "def count_parameters(s):\n    a = np.array(s, dtype=float)\n    return np.sum(a[1:] * (a[:-1] + 1))\n",
     "expected an int"),
    # numerical_gradient / numerical_jacobian: every nudge from x itself, one entry at a time, rows = outputs
    ("numerical_gradient", _GRADIENT_WITHOUT_RESTORE, "every nudge must start from x itself"),
    ("numerical_gradient", _GRADIENT_BY_ROWS, "nudge one entry at a time"),
    ("numerical_jacobian", _JACOBIAN_WITHOUT_RESTORE, "every nudge must start from x itself"),
    ("numerical_jacobian", _JACOBIAN_ROWS_PER_INPUT, "has one row per input"),
]
# The integrity check accepts this one on purpose (a nested list has the right values; the notebook's tests
# ask for the array the text asks for).
NOT_FOR_VERIFICATION = {"def jacobian_example(x, y):\n    return [[2.0, 3 * y**2], [-13.0, math.exp(y)]]\n"}


@pytest.mark.parametrize(("exercise", "source", "fragment"), WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_version_is_named_and_refuted(exercise, source, fragment):
    message = _run_test_cell(exercise, source, hidden=False)
    assert fragment in message, message
    assert "W.T" not in message  # there is no weight matrix in these exercises
    assert _run_test_cell(exercise, source, hidden=True)
    if source not in NOT_FOR_VERIFICATION:
        assert verification(exercise, PRELUDE + source)


FIRST_OF_EACH = {exercise: (exercise, source) for exercise, source, _ in reversed(WRONG)}


@pytest.mark.parametrize(("exercise", "source"), FIRST_OF_EACH.values(), ids=FIRST_OF_EACH.keys())
def test_fast_path_agrees_with_the_harness(exercise, source):
    """One wrong version per exercise through tests.support.wrong_versions, as a student's notebook runs it."""
    visible = visible_test(NAME, exercise, source)
    assert not visible.passed and visible.message == _run_test_cell(exercise, source, hidden=False)
    assert not hidden_test(NAME, exercise, source).passed


CORRECT = [
    # lists for tuples and NumPy integers for ints, as the exercise allows
    ("layer_shapes", "def layer_shapes(s):\n    s = np.array(s)\n    return [[[s[l], s[l - 1]], [s[l], 1]] "
                     "for l in range(1, len(s))]\n"),
    ("count_parameters", "def count_parameters(s):\n    return int(np.dot(s[1:], s[:-1]) + np.sum(s[1:]))\n"),
    ("jacobian_example", "def jacobian_example(x, y):\n    J = np.empty((2, 2))\n    J[:, 0] = 2, -13\n"
                         "    J[:, 1] = 3 * y * y, math.exp(y)\n    return J\n"),
    ("numerical_gradient", "def numerical_gradient(f, x, eps=1e-6):\n    x = np.asarray(x, dtype=float)\n"
                           "    steps = np.eye(x.size).reshape((x.size,) + x.shape) * eps\n"
                           "    return np.array([(f(x + s) - f(x - s)) / (2 * eps) for s in steps]).reshape(x.shape)\n"),
    ("numerical_jacobian", "def numerical_jacobian(F, x, eps=1e-6):\n    x = np.asarray(x, dtype=float)\n"
                           "    E = np.eye(x.size) * eps\n    return np.column_stack([(np.asarray(F(x + e)) - "
                           "np.asarray(F(x - e))) / (2 * eps) for e in E])\n"),
]


@pytest.mark.parametrize(("exercise", "source"), CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_alternative_passes(exercise, source):
    assert _run_test_cell(exercise, source, hidden=True) == ""  # the graded cell: visible checks, then hidden
    assert verification(exercise, PRELUDE + source) == []


def test_correct_alternative_passes_in_the_harness():
    outcome = hidden_test(NAME, "layer_shapes", CORRECT[0][1])
    assert outcome.passed and not outcome.warned, outcome


def test_verification_refutes_a_gradient_that_never_restores_x():
    # Only on a coupled function (runner.CALLABLES["coupled_cubic"]) with a large step: on a separable one an
    # entry left nudged changes no other partial derivative.
    reasons = verification("numerical_gradient", PRELUDE + _GRADIENT_WITHOUT_RESTORE)
    assert reasons and all("the result differs from the reference" in r for r in reasons), reasons


# ---------------------------------------------------------------- named mistakes (autograder.judging.mistakes)
# The grader names a slip from the function's outputs on the class's inputs, with the visible test's words for it.

# The mistake each wrong version above shows, by the fragment of its visible message (the others, such as
# two wrong entries at once or a nested list the verification accepts, get no name).
MISTAKE_BY_FRAGMENT = {
    "rows and columns are swapped": "transposed", "(0.5, 2): entry [0, 1], dF1/dy, is wrong": "power_rule_factor_missing",
    "lowers the exponent by one": "exponent_lowered_by_two", "the term y^3 itself": "term_y3_kept",
    "depends on y, not on x": "dy_in_x", "dF2/dx, is wrong (got 13, expected -13)": "sign_of_13x",
    "the term -13x itself": "term_13x_kept", "dF1/dx, is wrong": "term_2x_kept",
    "power rule does not apply": "power_rule_on_exp", "that is F2 itself": "f2_itself",
    "rows are in the wrong order": "rows_swapped", "columns are in the wrong order": "columns_swapped",
    "called as jacobian_example(x, y), x first": "arguments_swapped", "a shape holds ints": "float_sizes",
    "one bias per layer": "one_bias_per_layer", "expected an int": "not_an_int",
    "every nudge must start from x itself": "entry_not_put_back", "nudge one entry at a time": "whole_rows_nudged",
    "has one row per input": "one_row_per_input",
}
# Slips recognised by the spec's reason (a count of pairs, None, an input changed in place).
REASON_SLIPS = [
    ("layer_shapes", "def layer_shapes(s):\n    return [((s[l], s[l - 1]), (s[l], 1)) for l in range(len(s))]\n",
     "input_layer_counted"),
    ("layer_shapes", "def layer_shapes(s):\n    shapes = [((s[l], s[l - 1]), (s[l], 1)) for l in range(1, len(s))]\n",
     "returned_none"),
    ("count_parameters", "def count_parameters(s):\n    total = sum(s[l] * (s[l - 1] + 1) for l in range(1, len(s)))\n",
     "returned_none"),
    # x itself nudged and nudged back, which rounding does not undo exactly
    ("numerical_gradient", "def numerical_gradient(f, x, eps=1e-6):\n    x = np.asarray(x, dtype=float)\n"
     "    grad = np.zeros_like(x)\n    for i in np.ndindex(x.shape):\n        x[i] += eps\n        upper = f(x)\n"
     "        x[i] -= 2 * eps\n        grad[i] = (upper - f(x)) / (2 * eps)\n        x[i] += eps\n    return grad\n",
     "x_changed_in_place"),
]
NAMED = [(exercise, source, MISTAKE_BY_FRAGMENT[fragment]) for exercise, source, fragment in WRONG
         if fragment in MISTAKE_BY_FRAGMENT] + REASON_SLIPS


TRANSFORMS = transforms(NAME)


@pytest.mark.parametrize(("exercise", "source", "name"), NAMED, ids=[f"{n[0]}-{n[2]}" for n in NAMED])
def test_a_slip_is_diagnosed_in_the_visible_tests_words(exercise, source, name):
    assert_diagnosed(NAME, exercise, source, name, PRELUDE + source)


@pytest.mark.parametrize(("exercise", "name"), TRANSFORMS, ids=[f"{e}-{n}" for e, n in TRANSFORMS])
def test_each_wrong_transform_shows_its_own_mistake_and_fails_with_its_words(exercise, name):
    assert_transform_is_its_own_mistake(NAME, exercise, name)


@pytest.mark.parametrize("exercise", ref.EXERCISES[NAME])
def test_a_correct_alternative_shows_no_named_mistake(exercise):
    sources = [f"from tests.support.alternatives import ALTERNATIVES\n{exercise} = ALTERNATIVES[{exercise!r}]\n"]
    sources += [PRELUDE + source for name, source in CORRECT if name == exercise]
    for source in sources:
        assert diagnosis(exercise, source) == mistakes.Diagnosis(mistakes.UNRECOGNISED, "",
                                                                 diagnosis(exercise, source).output)
