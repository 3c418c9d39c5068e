"""The named mistakes: each is said in the words of its visible test, the diagnosis tells them apart from
an unwritten or unrecognised function, and the feedback line shows it escaped, only while points are lost."""

import ast
import json
import pathlib
import re

import numpy as np
import pytest

from autograder import reference as ref
from autograder.grading import likely_mistakes
from autograder.judging import Spec, same_as_reference
from autograder.judging.mistakes import NOT_ATTEMPTED, UNRECOGNISED, Mistake, diagnose, output_digest
from autograder.judging.specs import MISTAKES
from tests.support.wrong_versions import diagnosis

RELEASE = pathlib.Path(__file__).resolve().parents[2] / "release"


def _string_constants(source):
    """Every string a piece of Python holds, adjacent literals joined as Python joins them, and the static
    parts of its f-strings."""
    texts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    return texts


# The words course.check's helpers show when a visible test calls them (check_scalar's "missing the 1/m").
CHECK_WORDS = _string_constants((pathlib.Path(__file__).resolve().parents[2] / "course" / "check.py").read_text())


def _visible_test_source(notebook, exercise):
    cells = json.loads((RELEASE / notebook / f"{notebook}.ipynb").read_text())["cells"]
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"test_{exercise}":
            return "".join(cell["source"])
    raise AssertionError(f"{notebook} has no test cell for {exercise}")


NAMED = [(notebook, exercise, mistake) for notebook, exercises in ref.EXERCISES.items()
         for exercise in exercises for mistake in MISTAKES[exercise]]


def test_some_mistakes_are_named_in_every_notebook():
    named = {notebook for notebook, _, _ in NAMED}
    assert named == set(ref.EXERCISES), sorted(set(ref.EXERCISES) - named)


@pytest.mark.parametrize("notebook, exercise, mistake", NAMED,
                         ids=[f"{e}-{m.name}" for _, e, m in NAMED])
def test_a_mistake_is_said_in_the_words_its_visible_test_shows_the_student(notebook, exercise, mistake):
    source = _visible_test_source(notebook, exercise)
    assert "BEGIN HIDDEN" not in source
    words = [*_string_constants(re.sub(r"^\s*[%!].*$", "", source, flags=re.M)), *CHECK_WORDS]
    assert any(mistake.message in text for text in words), \
        f"{exercise}: {mistake.message!r} is in no string of the release's visible test nor of course.check"


def _spec():
    return Spec(lambda rng: [((rng.standard_normal((2, 3)),), {}) for _ in range(3)],
                same_as_reference(lambda a: 2 * a))


def _runs(function):
    rng = np.random.default_rng(0)
    runs = []
    for args, kwargs in _spec().cases(rng):
        def make(args=args):
            return [a.copy() for a in args], {}
        try:
            runs.append((make, "result", function(*make()[0])))
        except Exception as error:  # noqa: BLE001 - the test's functions raise on purpose
            runs.append((make, "error", f"{type(error).__name__}: {error}"))
    return runs


MISTAKES_OF_DOUBLE = (Mistake("tripled", "three times, not twice", wrong=lambda a: 3 * a),
                      Mistake("negated", "the sign is flipped", wrong=lambda a: -2 * a))


def test_the_named_mistake_whose_transform_matches_every_case_is_found():
    found = diagnose(_spec(), MISTAKES_OF_DOUBLE, _runs(lambda a: -2 * a))
    assert (found.mistake, found.message) == ("negated", "the sign is flipped")


def test_a_slip_that_matches_on_some_inputs_only_is_not_named():
    found = diagnose(_spec(), MISTAKES_OF_DOUBLE, _runs(lambda a: np.where(a > 0, 3 * a, 2 * a)))
    assert found.mistake == UNRECOGNISED and "differs from the reference" in found.message


def test_the_release_stub_is_not_attempted_and_another_error_is_unrecognised_with_its_first_line():
    def stub(a):
        raise NotImplementedError("Write this function")

    def broken(a):
        raise ValueError("shapes (2,3) and (2,3) not aligned\nsecond line")

    assert diagnose(_spec(), MISTAKES_OF_DOUBLE, _runs(stub)).mistake == NOT_ATTEMPTED
    found = diagnose(_spec(), MISTAKES_OF_DOUBLE, _runs(broken))
    assert found.mistake == UNRECOGNISED and found.message == "ValueError: shapes (2,3) and (2,3) not aligned"
    assert found.output == ""


def test_a_reason_pattern_names_a_mistake_of_an_exercise_judged_by_properties():
    by_reason = (Mistake("shape", "the result must keep the input's shape", reason=r"has shape \(3, 2\)"),)
    found = diagnose(_spec(), by_reason, _runs(lambda a: 2 * a.T))
    assert found.mistake == "shape"


def test_the_output_digest_is_the_same_for_the_same_values_computed_otherwise():
    one = output_digest([("result", np.array([0.1 + 0.2, 1.0]))])
    other = output_digest([("result", np.array([0.3, 1.0]))])
    assert one == other != output_digest([("result", np.array([0.3, 1.1]))])


def test_the_course_names_a_summed_cost_in_its_own_words():
    source = "import numpy as np\ndef mse_loss(AL, Y):\n    return float(0.5 * np.sum((AL - Y) ** 2))\n"
    found = diagnosis("mse_loss", source)
    assert found.mistake == "summed_not_averaged"
    assert any(found.message in text for text in [*_string_constants(_visible_test_source("03_backprop", "mse_loss")),
                                                  *CHECK_WORDS])


def test_feedback_lines_name_only_exercises_still_short_of_their_points():
    mistakes = {"mse_loss": {"mistake": "summed_not_averaged", "message": "twice the <b>expected</b> value"},
                "relu_prime": {"mistake": NOT_ATTEMPTED, "message": ""},
                "bce_loss": {"mistake": UNRECOGNISED, "message": "<script>alert(1)</script>"}}
    scores = {"test_mse_loss": {"score": 0.0, "max_score": 1.0},
              "test_relu_prime": {"score": 1.0, "max_score": 1.0},  # the instructor gave the points back
              "test_bce_loss": {"score": 0.0, "max_score": 0.5}}
    lines = likely_mistakes.lines(mistakes, scores)
    assert set(lines) == {"mse_loss", "bce_loss"}
    page = "<html><body><h4>03_backprop (Score: 1.0 / 2.0)</h4><p>cells</p></body></html>"
    shown = likely_mistakes.add_to_page(page, lines)
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "&lt;b&gt;expected" in shown
    assert shown.index("What most likely went wrong") > shown.index("</h4>")
    assert '<a href="#test_mse_loss">mse_loss</a>' in shown


def test_the_test_cells_errors_are_read_whatever_the_students_notebook_holds():
    from autograder.grading.job import test_cell_errors

    good = {"metadata": {"nbgrader": {"grade_id": "test_mse_loss"}},
            "outputs": [{"output_type": "error", "ename": "AssertionError", "evalue": "twice\nthe value"}]}
    odd = [{"metadata": "x"}, {"metadata": {"nbgrader": ["x"]}}, {"metadata": {"nbgrader": {"grade_id": 3}}},
           {"metadata": {"nbgrader": {"grade_id": "test_relu"}}, "outputs": "x"},
           {"metadata": {"nbgrader": {"grade_id": "test_tanh"}}, "outputs": ["x", 1]}, "cell", 7]
    assert test_cell_errors({"cells": [*odd, good]}) == {"mse_loss": "AssertionError: twice"}
    assert test_cell_errors({"cells": "x"}) == {} and test_cell_errors([]) == {}
