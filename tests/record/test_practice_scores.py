"""c.Grader.practice_scores: the official run takes the practice score of the very submission it grades,
and only when the exchange signed every link (autograder.record.practice_scores); forged or mismatched
practice results leave the run's own scores."""

import json
import shutil
import sys

import pytest

from autograder.record.gradebook import Gradebook, course_db_url
from tests.support.catalog import MISTAKES, POINTS
from tests.support.notebook import ROOT, make_course_root, run_grader, student_notebook

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
from exchange_store import Store

ASSIGNMENT = "03_backprop"
TOTAL = sum(POINTS.values())
COURSE = "backprop-course"


def practice_json(student, score_of):
    """A practice result as autograder.practice.pages writes it: every exercise full but those given."""
    exercises = {name: {"score": score_of.get(name, points), "max_score": points, "mistake": None}
                 for name, points in POINTS.items()}
    return json.dumps({"assignment": ASSIGNMENT, "student": student, "status": "graded", "level": "per_exercise",
                       "score": sum(e["score"] for e in exercises.values()), "max_score": TOTAL,
                       "exercises": exercises}).encode()


def collected(course, store, student, notebook, result, *, tamper=None):
    """What `nbgrader collect` writes on a hub (course.exchange.instructor.Collect): the bytes received, the
    signed receipt, the practice result and the exchange's signed statement of it."""
    name = f"{ASSIGNMENT}.ipynb"
    receipt = store.submit(COURSE, ASSIGNMENT, student, ((name, notebook),))
    store.put_practice(COURSE, student, ASSIGNMENT, receipt["receipt_id"], (("practice.json", result),))
    statement = store.practice_statement(COURSE, student, ASSIGNMENT, receipt["receipt_id"],
                                         store.practice(COURSE, student, ASSIGNMENT, receipt["receipt_id"]))
    files = {name: notebook, "timestamp.txt": receipt["received"].encode(), "receipt.json": json.dumps(receipt).encode(),
             "practice.json": result, "practice-statement.json": json.dumps(statement).encode()}
    if tamper:
        tamper(files)
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)


def notebook_bytes(overrides=None):
    return json.dumps(student_notebook(ASSIGNMENT, overrides or {})).encode()


def edited_result(files):
    files["practice.json"] = practice_json("edits_result", {})  # full marks, not what the exchange signed


def other_receipt(files):
    statement = json.loads(files["practice-statement.json"])
    statement["receipt_id"] = "20200101T000000.000000Z-00000000"
    files["practice-statement.json"] = json.dumps(statement).encode()


def changed_notebook(files):
    files[f"{ASSIGNMENT}.ipynb"] = notebook_bytes()  # a correct notebook in place of the one received


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    parent = tmp_path_factory.mktemp("practice-scores")
    course = make_course_root(parent, [ASSIGNMENT])
    store = Store(parent / "store")
    store.release(COURSE, ASSIGNMENT, ((f"{ASSIGNMENT}.ipynb", b"{}"),))
    summed = notebook_bytes({"mse_loss": MISTAKES["mse_loss"]})  # the run's own score: TOTAL - 1
    # Practice gave mse_loss its point (say, a different verification input let it pass): taken.
    collected(course, store, "taken", summed, practice_json("taken", {}))
    # Practice gave a lower score than the run's own: taken as well (the rule is the practice score).
    collected(course, store, "taken_lower", notebook_bytes(), practice_json("taken_lower", {"sigmoid_prime": 0}))
    for student, tamper in (("edits_result", edited_result), ("other_receipt", other_receipt),
                            ("changed_notebook", changed_notebook)):
        collected(course, store, student, summed, practice_json(student, {"mse_loss": 0}), tamper=tamper)
    (course / "nbgrader_config.py").open("a").write(
        f"\nc.Grader.practice_scores = True\nc.Grader.practice_key = {store.public_key!r}\n")
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2", env={"GRADER_SECRET": "practice-scores-test"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    gradebook = Gradebook(course_db_url(course))
    try:
        totals = {s: sum(g["score"] for g in gradebook.scores(ASSIGNMENT, s).values() if g["max_score"])
                  for s in rows}
    finally:
        gradebook.close()
    return {"course": course, "rows": rows, "totals": totals, "store": store, "summed": summed}


def test_the_practice_score_of_the_very_submission_is_taken_where_the_exchange_signed_it(graded):
    rows, totals = graded["rows"], graded["totals"]
    assert totals["taken"] - totals["edits_result"] == pytest.approx(POINTS["mse_loss"])
    assert "autograded scores taken from its practice grading" in rows["taken"]["reason"]
    assert "test_mse_loss: practice 1 taken, this run gave 0" in rows["taken"]["reason"]
    assert totals["taken_lower"] == pytest.approx(totals["taken"] - POINTS["sigmoid_prime"])


@pytest.mark.parametrize("student, why", [
    ("edits_result", "its practice.json is not the one the exchange signed"),
    ("other_receipt", "its practice result is not signed by the exchange"),
    ("changed_notebook", f"{ASSIGNMENT}.ipynb is not the notebook the exchange received"),
])
def test_a_forged_or_mismatched_practice_result_leaves_the_runs_own_scores(graded, student, why):
    rows, totals = graded["rows"], graded["totals"]
    assert f"practice score not taken: {why}" in rows[student]["reason"], rows[student]["reason"]
    own = totals["taken"] - POINTS["mse_loss"]  # the summed MSE loses its point, as the run itself found
    assert totals[student] == pytest.approx(own if student != "changed_notebook" else totals["taken"])


def test_off_by_default_the_runs_own_scores_stand(graded, tmp_path):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    source = graded["course"] / "submitted" / "taken"
    (course / "submitted").mkdir()
    shutil.copytree(source, course / "submitted" / "taken")
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "1", env={"GRADER_SECRET": "practice-scores-test"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "practice" not in rows["taken"]["reason"]
    assert float(rows["taken"]["total"]) == pytest.approx(float(graded["rows"]["taken"]["total"]) - POINTS["mse_loss"])
