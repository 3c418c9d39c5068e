"""The instructor's grader, end to end through its CLI, on a catalog of synthetic submissions:
correct, blank, one typical mistake, correct-but-different code, attacks and broken input.

Every entry states the exact scores and status it must get. No attack may gain a point, and
every student must appear in grades.csv.
"""

import json
import os
import sqlite3

import pytest

from tests.support.catalog import ASSIGNMENT, HUB_TOKEN, POINTS, SECRET, TOTAL, catalog, grade_catalog
from tests.support.notebook import ROOT, runtime_folders


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return grade_catalog(tmp_path_factory.mktemp("catalog"))


def test_every_student_appears_in_grades_csv(graded_class):
    course, entries, _, rows = graded_class
    assert set(rows) == set(entries) | {"misnamed_with_extras", "nothing_handed_in", "extras_hostile"}


# The ids only (graded_class builds the real entries); the fork bomb has its own test.
@pytest.mark.parametrize("student", sorted(s for s, (_, status, _) in catalog(ROOT).items() if status != "contained"))
def test_catalog_entry_gets_its_exact_scores_and_status(graded_class, student):
    _, entries, _, rows = graded_class
    _, status, expected = entries[student]
    row = rows[student]
    got = {ex: float(row[f"{ASSIGNMENT}:{ex}"]) for ex in POINTS}
    assert got == {ex: float(v) for ex, v in expected.items()}, row["reason"]
    assert row["status"] == status, row["reason"]
    assert float(row["total"]) == sum(expected.values())
    if status != "graded":
        assert row["reason"], "a flagged or failed student must be told why"


def test_no_attack_gains_a_point(graded_class):
    _, entries, _, rows = graded_class
    for student in entries:
        # These hand in honest answers beside their attack: they keep what those earn, no more.
        if student.startswith("attack_") and student not in ("attack_fork_bomb", "attack_infinite_loop",
                                                              "attack_memory_bomb", "attack_prints_environment",
                                                              "attack_fills_tmp", "attack_litters_runtime"):
            assert float(rows[student]["total"]) == 0, student


def test_fork_bomb_is_contained(graded_class):
    """The bomb hits the sandbox's process limit. Whether the kernel survives depends on whether it
    needs a new thread while the bomb's children still hold every process slot: either it goes on
    and the honest answers earn full marks, or it dies and the student is told why. Nothing else."""
    _, _, _, rows = graded_class
    row = rows["attack_fork_bomb"]
    outcome = (row["status"], float(row["total"]))
    assert outcome in {("graded", TOTAL), ("failed", 0.0)}, row
    if row["status"] == "failed":
        assert "process limit" in row["reason"]
    assert float(rows["correct"]["total"]) == TOTAL


def test_bad_input_is_explained(graded_class):
    _, _, _, rows = graded_class
    assert "not valid notebook JSON" in rows["broken_json"]["reason"]
    assert "belongs to 02_forward" in rows["wrong_assignment"]["reason"]
    assert rows["misnamed_with_extras"]["status"] == "graded"
    assert float(rows["misnamed_with_extras"]["total"]) == TOTAL
    assert "renamed" in rows["misnamed_with_extras"]["reason"] and "scratch.txt" in rows["misnamed_with_extras"]["reason"]
    assert rows["nothing_handed_in"]["status"] == "failed" and "no notebook" in rows["nothing_handed_in"]["reason"]
    extras = rows["extras_hostile"]
    assert (extras["status"], float(extras["total"])) == ("graded", TOTAL), extras["reason"]
    assert "not kept in the autograded copy" in extras["reason"] and extras["reason"].endswith(": page.html")
    course = graded_class[0]
    kept = sorted(p.name for p in (course / "autograded" / "extras_hostile" / ASSIGNMENT).iterdir())
    assert kept == [f"{ASSIGNMENT}.ipynb"], kept  # nbgrader leaves extra notebooks out; the page is removed
    assert (course / "submitted" / "extras_hostile" / ASSIGNMENT / "page.html").exists(), "the original stays"
    assert "kernel died" in rows["attack_os_exit"]["reason"]
    # The cell timeout (5 s) plus the interrupt's grace, not the notebook's 45 s.
    assert "a cell ran past 5 s and ignored the interrupt" in rows["attack_uninterruptible"]["reason"]


def test_the_sandbox_kept_instructor_files_intact(graded_class):
    course, _, _, _ = graded_class
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        students = {row[0] for row in db.execute("select id from student")}
    assert {"correct", "attack_writes_gradebook", "attack_reads_disk"} <= students
    source = json.loads((course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    assert source["cells"], "the source notebook was overwritten"


def test_feedback_shows_no_hidden_test(graded_class):
    course, _, _, _ = graded_class
    hidden_lines = [line.strip() for cell in json.loads((ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
                                                        .read_text())["cells"]
                    for block in "".join(cell["source"]).split("### BEGIN HIDDEN TESTS")[1:]
                    for line in block.split("### END HIDDEN TESTS")[0].splitlines() if len(line.strip()) > 30]
    assert hidden_lines
    pages = list((course / "feedback").rglob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        text = page.read_text()
        assert "HIDDEN TESTS" not in text, page
        leaked = [line for line in hidden_lines if line in text or line.replace('"', "&quot;") in text]
        assert not leaked, f"{page} shows hidden test lines: {leaked[:2]}"


def test_summary_lists_flagged_and_failed(graded_class):
    course, _, result, _ = graded_class
    summary = (course / "reports" / "summary.html").read_text()
    assert "attack_swallow_errors" in summary and "broken_json" in summary
    assert (course / "reports" / "score_distribution.png").stat().st_size > 1000
    assert "flagged" in result.stdout and "failed" in result.stdout


def autograded_outputs(course, student):
    notebook = json.loads((course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    return "".join("".join(output.get("text", "")) if isinstance(output.get("text", ""), list) else output.get("text", "")
                   for cell in notebook["cells"] for output in cell.get("outputs", []))


def test_a_poisoned_or_oversized_verification_result_is_that_students_outcome(graded_class):
    course, _, result, rows = graded_class
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "unreadable result" in rows["attack_poisons_verification"]["reason"]
    assert "results larger than 64 MiB" in rows["attack_results_bomb"]["reason"]


def test_the_graders_environment_reaches_no_student_and_no_file(graded_class):
    course, _, _, rows = graded_class
    printed = autograded_outputs(course, "attack_prints_environment")
    assert "'HOME': '/tmp'" in printed, "the environment printout did not run"
    assert "RuntimeError" in rows["attack_prints_environment"]["reason"]  # the verification error came back
    places = [*course.glob("autograded/*/*/*.ipynb"), *course.glob("feedback/*/*/*.html"),
              course / "reports" / "grades.csv", course / "reports" / "summary.html", course / "gradebook.db"]
    for path in places:
        data = path.read_bytes()
        assert SECRET.encode() not in data and HUB_TOKEN.encode() not in data, path


def test_a_4_gib_write_to_tmp_is_stopped(graded_class):
    course, _, _, _ = graded_class
    printed = autograded_outputs(course, "attack_fills_tmp")
    assert "NOT STOPPED" not in printed and "stopped after" in printed, printed
    written = int(printed.split("stopped after ")[1].split(" MiB")[0])
    assert written <= 512, printed  # the sandbox's /tmp is 512 MiB


def test_nothing_a_student_leaves_behind_survives_the_run(graded_class):
    course, _, result, _ = graded_class
    littered = autograded_outputs(course, "attack_litters_runtime")
    assert "littered ['kernel-0'" in littered and "'left'" in littered, littered
    folders = runtime_folders(course)
    assert folders and not [f for f in folders if os.path.exists(f)], "a runtime folder was left behind"
    summary = (course / "reports" / "summary.html").read_text()
    for said in (result.stderr, summary):  # at start, and in the summary: which budget was in force
        assert "budget per student: cgroup" in said or "no per-student budget mechanism" in said
    assert "GRADER_SECRET is not set" not in result.stderr + summary


# ---------------------------------------------------------------- what the class got wrong (autograder.insight)

TYPICAL = {"mistake_mse_no_mean": "mse_loss", "mistake_transposed_dW": "param_gradients",
           "mistake_sigmoid_prime": "sigmoid_prime", "mistake_gradient_check": "gradient_check"}


def _records(course):
    from autograder.record.gradebook import Gradebook, course_db_url

    gradebook = Gradebook(course_db_url(course))
    try:
        return {student: gradebook.record(ASSIGNMENT, student) for student in gradebook.students()}
    finally:
        gradebook.close()


def test_the_grader_records_the_named_mistake_of_each_typical_slip(graded_class):
    from tests.support.catalog import MISTAKES
    from tests.support.wrong_versions import diagnosis

    course, _, _, _ = graded_class
    records = _records(course)
    for student, exercise in TYPICAL.items():
        found = records[student]["mistakes"][exercise]
        # the same diagnosis in the sandbox as in this process, and one the course names
        expected = diagnosis(exercise, "import numpy as np\n" + _given(exercise) + MISTAKES[exercise])
        assert (found["mistake"], found["message"]) == (expected.mistake, expected.message), student
        assert found["mistake"] not in ("unrecognised", "not attempted"), (student, found)
    assert set(records["correct"].get("mistakes", {})) == set()
    assert {d["mistake"] for d in records["blank"]["mistakes"].values()} == {"not attempted"}
    assert set(records["blank"]["mistakes"]) == set(POINTS)
    looped = records["attack_infinite_loop"]["mistakes"]["mse_loss"]
    assert looped["mistake"] == "unrecognised" and "timed out" in looped["message"], looped


def _given(exercise):
    """What a catalog mistake calls of the notebook (sigmoid_prime calls sigmoid)."""
    return "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n" if exercise == "sigmoid_prime" else ""


def test_the_feedback_page_names_the_students_mistake_in_the_words_of_the_visible_test(graded_class):
    course, _, _, _ = graded_class
    records = _records(course)
    page = (course / "feedback" / "mistake_mse_no_mean" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    message = records["mistake_mse_no_mean"]["mistakes"]["mse_loss"]["message"]
    assert "What most likely went wrong" in page and html_escape(message) in page
    assert "What most likely went wrong" not in (course / "feedback" / "correct" / ASSIGNMENT /
                                                 f"{ASSIGNMENT}.html").read_text()


def html_escape(text):
    import html

    return html.escape(text)


def test_the_class_report_counts_each_named_mistake_exactly(graded_class):
    import csv

    course, _, result, _ = graded_class
    assert (course / "reports" / f"class-{ASSIGNMENT}.html").is_file(), result.stdout + result.stderr
    with (course / "reports" / "mistakes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    records = _records(course)
    for student, exercise in TYPICAL.items():
        name = records[student]["mistakes"][exercise]["mistake"]
        row = next(r for r in rows if (r["assignment"], r["exercise"], r["mistake"]) == (ASSIGNMENT, exercise, name))
        assert int(row["count"]) == 1 and student in row["students"], row
    summary = (course / "reports" / "summary.html").read_text()
    assert f"class-{ASSIGNMENT}.html" in summary


def test_the_report_command_rebuilds_the_class_report_from_the_gradebook_alone(graded_class):
    import subprocess
    import sys

    from tests.support.notebook import ROOT as REPO

    course, _, _, _ = graded_class
    page = course / "reports" / f"class-{ASSIGNMENT}.html"
    page.unlink()

    def report(*names):
        return subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(course), "report", *names],
                              capture_output=True, text=True, timeout=300, cwd=REPO)

    built = report(ASSIGNMENT)
    assert built.returncode == 0 and page.is_file(), built.stdout + built.stderr
    assert "mistake_mse_no_mean" in page.read_text()
    misspelt = report("03_backprob")
    assert misspelt.returncode == 2 and "did you mean 03_backprop?" in misspelt.stderr
    nothing = report("02_forward")
    assert nothing.returncode == 2 and "no graded submission of 02_forward" in nothing.stderr
