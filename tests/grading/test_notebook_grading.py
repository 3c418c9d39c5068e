"""nbgrader grades each notebook fairly: the solutions earn full marks, the untouched release earns
zero, and one wrong exercise costs its own points and only those of the exercises that call it."""

import json
import shutil

import pytest

from tests.support.notebook import (
    ROOT,
    assignment_names,
    callers,
    exercises,
    grades,
    make_course_root,
    nbgrader,
    scores,
    with_one_wrong_answer,
    written_questions,
)

NAMES = assignment_names()


def exercise_to_break(name):
    """One exercise that others call, when there is one: the case where points could leak or spread."""
    called = callers(name)
    return next((ex for ex, _ in exercises(name) if called[ex]), exercises(name)[0][0])


@pytest.fixture(scope="module", params=NAMES)
def graded(request, tmp_path_factory):
    name = request.param
    course = make_course_root(tmp_path_factory.mktemp(name), [name])
    nbgrader(course, "generate_assignment", name, "--force")
    broken = exercise_to_break(name)
    submissions = {
        "solutions": ROOT / "source" / name / f"{name}.ipynb",
        "blank": course / "release" / name / f"{name}.ipynb",
    }
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / f"{name}.ipynb")
    wrong = course / "submitted" / "wrong" / name
    wrong.mkdir(parents=True)
    with_one_wrong_answer(submissions["solutions"], broken, wrong / f"{name}.ipynb")
    nbgrader(course, "autograde", name, "--force")
    return name, course, broken


def test_solutions_earn_full_marks(graded):
    name, course, _ = graded
    got = scores(course, name, "solutions")
    assert got == {f"test_{ex}": points for ex, points in exercises(name)}


def test_untouched_release_earns_zero(graded):
    name, course, _ = graded
    got = scores(course, name, "blank")
    assert set(got) == {f"test_{ex}" for ex, _ in exercises(name)}
    assert all(score == 0 for score in got.values()), got


def test_written_answers_wait_for_a_grader_and_unanswered_ones_earn_zero(graded):
    """A written answer (the model answer, here) gets no score from the autograder and is marked for
    grading by hand; the release's untouched "YOUR ANSWER HERE" gets nbgrader's automatic zero."""
    name, course, _ = graded
    questions = dict(written_questions(name))
    answered, blank = grades(course, name, "solutions"), grades(course, name, "blank")
    assert {g: answered[g][1:] for g in questions} == {g: (None, None, True) for g in questions}
    assert {g: blank[g][1:] for g in questions} == {g: (0, None, False) for g in questions}


def test_untouched_release_fails_only_with_not_implemented(graded):
    name, course, _ = graded
    notebook = json.loads((course / "autograded" / "blank" / name / f"{name}.ipynb").read_text())
    for cell in notebook["cells"]:
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        if errors:
            assert cell["metadata"]["nbgrader"].get("grade"), f"a non-test cell failed: {''.join(cell['source'])[:200]}"
            assert {e["ename"] for e in errors} == {"NotImplementedError"}, errors


def test_one_wrong_exercise_costs_only_its_own_points_and_its_callers(graded):
    name, course, broken = graded
    got = scores(course, name, "wrong")
    affected = callers(name)[broken]
    assert got[f"test_{broken}"] == 0, f"a wrong {broken} kept points"
    for ex, points in exercises(name):
        if ex != broken and ex not in affected:
            assert got[f"test_{ex}"] == points, f"{ex} lost points because {broken} was wrong"
