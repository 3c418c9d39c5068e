"""The pages a student gets from practice grading (autograder.practice.pages), on a tiny class graded for real:
a correct student, one who summed the MSE instead of averaging it, and one who handed in the release blank.

Each level is checked against the practice gradebook the run wrote: the score is the gradebook's, the
per-exercise page names the recorded mistake in the visible test's words, "full" is the run's own page with
the banner; hostile text (a student id, a failed grading's reason, the exchange's time) is escaped; no page
shows a line of the source notebook that the release does not (hidden tests, solutions).
"""

import html
import json
import re

import pytest

from autograder import collect
from autograder.practice.pages import LEVELS, banner, banner_text, feedback_path, notice_page, practice_pages
from autograder.record.gradebook import Gradebook, course_db_url
from autograder.run.command import course_assignments, written_questions
from tests.support.catalog import ASSIGNMENT, BLANK, MISTAKES, POINTS, SECRET
from tests.support.notebook import ROOT, make_course_root, run_grader, student_notebook, write_submission

STUDENTS = {"correct": {}, "mse_summed": {"mse_loss": MISTAKES["mse_loss"]}, "blank": BLANK}
HOSTILE = "<img src=x onerror=alert(1)>"
RECEIVED = "2025-03-01 14:05:09.123456 UTC"
# Lines of the source notebook that the release does not show: hidden tests and solutions.
RELEASED = "".join("".join(cell["source"]) for cell in
                   json.loads((ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())["cells"])
SECRET_LINES = [line.strip() for line in (ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.py").read_text().splitlines()
                if len(line.strip()) > 30 and line.strip() not in RELEASED]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The practice course root after one grading run of the three students; a hostile student's failed record
    is added through the gradebook's own API, as a grading that could not read the notebook leaves one."""
    course = make_course_root(tmp_path_factory.mktemp("practice"), [ASSIGNMENT])
    for student, overrides in STUDENTS.items():
        write_submission(course, student, ASSIGNMENT, student_notebook(ASSIGNMENT, overrides))
    write_submission(course, "broken", ASSIGNMENT, '{"cells": [')  # no notebook: graded as failed, no record
    result, _ = run_grader(course, ASSIGNMENT, "--jobs", "2", "--cell-timeout", "5", "--notebook-timeout", "45",
                           env={"GRADER_SECRET": SECRET})
    assert result.returncode == 0, result.stdout + result.stderr
    # c.Grader.class_reports = False, as the practice root sets it: grades and feedback, no class report
    assert "class reports in 0.0 s: none" in result.stdout and not list((course / "reports").glob("class-*"))
    assert (course / "feedback" / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    expected = collect.load_assignments(course)
    gradebook = Gradebook(course_db_url(course))
    try:
        gradebook.update_record(ASSIGNMENT, HOSTILE, status="failed", reasons=[f"notebook unreadable: {HOSTILE}"])
        truth = {s: (gradebook.scores(ASSIGNMENT, s), gradebook.record(ASSIGNMENT, s)) for s in STUDENTS}
    finally:
        gradebook.close()
    return {"course": course, "exercises": course_assignments(expected)[ASSIGNMENT],
            "written": written_questions(expected)[ASSIGNMENT], "truth": truth}


def pages(graded, student, level, received=RECEIVED):
    files = practice_pages(graded["course"], ASSIGNMENT, student, level, received,
                           exercises=graded["exercises"], written=graded["written"])
    assert set(files) == {f"{ASSIGNMENT}.html", "practice.json"}
    return files[f"{ASSIGNMENT}.html"].decode(), json.loads(files["practice.json"])


def autograded_score(graded, student):
    scores, _ = graded["truth"][student]
    return sum(scores[f"test_{exercise}"]["score"] for exercise in POINTS)


def rows(page):
    """{exercise: (result, what went wrong)} of a per-exercise page's table."""
    found = re.findall(r"<tr><td><code>([^<]*)</code></td><td>[^<]*</td><td><span class='\w+'>([^<]*)</span></td>"
                       r"<td>([^<]*)</td></tr>", page)
    return {exercise: (result.split(" ", 1)[1], html.unescape(detail)) for exercise, result, detail in found}


def test_the_exercises_are_the_notebooks_in_order(graded):
    assert graded["exercises"] == list(POINTS.items())
    assert graded["written"] and all(name.startswith("answer_") for name, _ in graded["written"])


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_the_score_level_shows_the_gradebooks_score_and_nothing_per_exercise(graded, student):
    page, data = pages(graded, student, "score")
    score = autograded_score(graded, student)
    assert f"Practice score: {score:g} of {sum(POINTS.values()):g} autograded points" in page
    assert html.escape(banner_text(RECEIVED)) in page
    assert "graded by your instructor later" in page
    assert "<table" not in page and not any(exercise in page for exercise in POINTS)
    assert (data["score"], data["max_score"], data["status"]) == (score, sum(POINTS.values()), "graded")
    assert {"correct": 14, "mse_summed": 13, "blank": 0}[student] == score  # the catalog's own expectations


def test_per_exercise_names_the_mistake_in_the_visible_tests_words(graded):
    page, _ = pages(graded, "mse_summed", "per_exercise")
    _, record = graded["truth"]["mse_summed"]
    table = rows(page)
    assert list(table) == list(POINTS)
    assert table["mse_loss"] == ("0 of 1", record["mistakes"]["mse_loss"]["message"])
    assert "summed instead of averaging" in table["mse_loss"][1]
    assert f"{len(POINTS) - 1} of {len(POINTS)} exercises passed, 1 lost points" in page
    assert all(table[exercise] == ("passed", "") for exercise in POINTS if exercise != "mse_loss")


def test_per_exercise_of_the_correct_student_has_every_exercise_passed(graded):
    page, data = pages(graded, "correct", "per_exercise")
    assert rows(page) == {exercise: ("passed", "") for exercise in POINTS}
    assert "Practice score: 14 of 14 autograded points" in page
    assert f"{len(POINTS)} of {len(POINTS)} exercises passed." in page and data["score"] == 14


def test_per_exercise_of_the_blank_student_says_not_written_yet(graded):
    page, _ = pages(graded, "blank", "per_exercise")
    table = rows(page)
    assert set(table) == set(POINTS)
    assert all(result == f"0 of {POINTS[e]:g}" and detail.startswith("not written yet") for e, (result, detail)
               in table.items())


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_practice_json_matches_the_gradebook_and_the_record(graded, student):
    scores, record = graded["truth"][student]
    for level in LEVELS:
        _, data = pages(graded, student, level)
        lost = {e for e in POINTS if scores[f"test_{e}"]["score"] < POINTS[e]}
        assert data == {
            "assignment": ASSIGNMENT, "student": student, "received": RECEIVED, "level": level,
            "score": autograded_score(graded, student), "max_score": sum(POINTS.values()), "status": "graded",
            "exercises": {e: {"score": scores[f"test_{e}"]["score"], "max_score": POINTS[e],
                              "mistake": record["mistakes"][e]["mistake"] if e in lost else None} for e in POINTS}}
    _, data = pages(graded, "mse_summed", "score")
    assert data["exercises"]["mse_loss"]["mistake"] == "summed_not_averaged"


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_full_is_the_runs_feedback_page_with_the_banner_on_top(graded, student):
    page, _ = pages(graded, student, "full")
    original = (graded["course"] / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert page.replace(banner(RECEIVED), "", 1) == original
    assert re.search(r"<body[^>]*>", page).end() == page.index(banner(RECEIVED))


def test_hostile_student_id_reason_and_time_are_escaped(graded):
    for level in LEVELS:
        page, data = pages(graded, HOSTILE, level, received=HOSTILE)
        assert HOSTILE not in page and "<img" not in page, level
        assert html.escape(HOSTILE) in page  # the time, at least, in the banner
        assert data["student"] == HOSTILE and data["status"] == "failed" and data["score"] == 0
        if level != "off":
            assert f"could not be graded: notebook unreadable: {html.escape(HOSTILE)}" in page, level
            assert "<table" not in page  # a failed grading has no per-exercise scores to show
    notice = notice_page(ASSIGNMENT, HOSTILE, HOSTILE, [HOSTILE, "The next one is allowed from 14:05 UTC."])
    text = notice[f"{ASSIGNMENT}.html"].decode()
    assert set(notice) == {f"{ASSIGNMENT}.html"} and HOSTILE not in text and text.count(html.escape(HOSTILE)) == 4
    assert "The next one is allowed from 14:05 UTC." in text


def test_a_student_id_cannot_lead_out_of_the_feedback_folder(graded):
    course = graded["course"]
    assert feedback_path(course, ASSIGNMENT, "correct") == (course / "feedback" / "correct" / ASSIGNMENT /
                                                           f"{ASSIGNMENT}.html").resolve()
    for student in ("..", "../correct", "correct/../correct", "", "."):
        assert feedback_path(course, ASSIGNMENT, student) is None, student


@pytest.mark.parametrize("level", [level for level in LEVELS if level != "full"])
def test_our_pages_load_nothing_and_run_nothing(graded, level):
    for student in [*STUDENTS, HOSTILE]:
        page, _ = pages(graded, student, level)
        assert "<script" not in page.lower() and " on" not in re.sub(r">[^<]*<", "><", page)
        assert not re.search(r"(src|href|url)\s*[=(]\s*['\"]?(https?:|//)", page, re.I), student
        assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_no_page_shows_a_hidden_test_or_the_solution(graded):
    assert len(SECRET_LINES) > 20
    for student in STUDENTS:
        for level in LEVELS:
            page, _ = pages(graded, student, level)
            leaked = [line for line in SECRET_LINES if line in page or html.escape(line) in page]
            assert not leaked, (student, level, leaked[:3])


def test_an_unknown_level_is_refused(graded):
    with pytest.raises(ValueError, match="one of off, score, per_exercise, full"):
        pages(graded, "correct", "everything")


def test_a_submission_that_could_not_be_graded_at_all_gets_the_runs_reason(graded):
    page, summary = pages(graded, "broken", "per_exercise")
    assert summary["status"] == "failed" and summary["score"] == 0, summary
    assert "Your submission could not be graded:" in page and "No practice grading" not in page, page[:2000]
    reason = page.split("Your submission could not be graded:", 1)[1][:300]
    assert "ipynb" in reason or "notebook" in reason, reason

