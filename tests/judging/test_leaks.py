"""Text of the instructor's source notebook in a submission (autograder.judging.leaks): a student who hands
in the source notebook, or pastes its solutions into the release, is flagged and earns nothing for
the copied exercises, and no feedback page shows a solution or a hidden test; honest answers,
however close to the instructor's, are left alone."""

import html
import inspect
import json
import re

import pytest

from autograder import reference as ref
from autograder.judging import leaks
from tests.support.notebook import ROOT, exercises, make_course_root, run_grader, student_notebook, write_submission

ASSIGNMENT = "01_notation"
LEAK = "holds text of the instructor's source notebook"


def notebook(kind, assignment):
    return json.loads((ROOT / kind / assignment / f"{assignment}.ipynb").read_text())


def source_only(assignment):
    return leaks.source_only(notebook("source", assignment))


def alternatives():
    """{exercise: a correct implementation written apart from the instructor's (tests.support.alternatives)}."""
    from tests.support.alternatives import ALTERNATIVES

    return ALTERNATIVES


def alternative_answer(function, exercise):
    """An answer cell defining `exercise` as the alternative does, as a student would name it."""
    return re.sub(r"\b_?alt_", "", inspect.getsource(function)).replace(function.__name__.replace("_alt_", ""),
                                                                        exercise, 1)


@pytest.mark.parametrize("assignment", list(ref.EXERCISES))
def test_honest_alternatives_are_not_taken_for_leaks(assignment):
    """Written apart from the instructor's, they still share lines with it (the course fixes every
    signature and helper): one exercise at a time and all at once, none is a leak."""
    source = source_only(assignment)
    answers = {ex: alternative_answer(alternatives()[ex], ex) for ex in ref.EXERCISES[assignment]}
    for exercise, answer in answers.items():
        found = leaks.find_leaks(student_notebook(assignment, {exercise: answer}), source)
        assert not found.found, f"{exercise}: {found.reason()}"
    found = leaks.find_leaks(student_notebook(assignment, answers), source)
    assert not found.found, found.reason()
    assert not leaks.find_leaks(student_notebook(assignment), source).found  # the other tests' honest students
    assert not leaks.find_leaks(notebook("release", assignment), source).found


def edited(text):
    """A copy with small edits: re-indented, re-spaced, commented, one line in four changed."""
    lines = []
    for number, line in enumerate(text.split("\n")):
        if number % 4 == 3 and line.strip() and "SOLUTION" not in line:
            line += " + 0"
        lines.append("  " + line.replace(" = ", "=").replace(", ", " , ") + "  # mine")
    return "\n".join(lines)


@pytest.mark.parametrize("assignment", list(ref.EXERCISES))
def test_the_source_notebook_and_its_pasted_solutions_are_leaks_of_every_exercise(assignment):
    source = source_only(assignment)
    every = set(ref.EXERCISES[assignment])
    as_is = leaks.find_leaks(notebook("source", assignment), source)
    assert as_is.found and set(as_is.withdrawn) == every and as_is.hidden and as_is.answers
    pasted = leaks.find_leaks(student_notebook(assignment, copied=True, written="blank"), source)
    assert pasted.found and set(pasted.withdrawn) == every and not pasted.hidden and not pasted.answers
    touched = notebook("source", assignment)
    for cell in touched["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = edited("".join(cell["source"]))
    assert leaks.find_leaks(touched, source).found
    assert LEAK in as_is.reason() and not any(line in as_is.reason() for line in source.lines())


def test_a_single_hidden_test_cell_or_model_answer_is_a_leak_and_no_exercise_is_lost_for_it():
    source = source_only(ASSIGNMENT)
    release, original = notebook("release", ASSIGNMENT), notebook("source", ASSIGNMENT)
    test_cell = next(c for c in original["cells"] if "BEGIN HIDDEN TESTS" in "".join(c["source"]))
    answer_cell = next(c for c in original["cells"] if c["cell_type"] == "markdown"
                       and "BEGIN SOLUTION" in "".join(c["source"]))
    for leaked, kind in ((test_cell, "hidden"), (answer_cell, "answers")):
        submission = {**release, "cells": [*release["cells"], {**leaked, "metadata": {}}]}
        found = leaks.find_leaks(submission, source)
        assert found.found and getattr(found, kind) == [leaked["metadata"]["nbgrader"]["grade_id"]]
        assert found.withdrawn == []


def page_lines(page):
    """The text lines of an HTML page, as a browser would show them (tags gone, entities read)."""
    return [html.unescape(re.sub(r"<[^>]*>", "", line)) for line in page.split("\n")]


def shown_source_only(page, assignment):
    """The source-only lines a page shows: whole lines, compared as leaks compares them, and, apart
    from that comparison, every long solution or hidden-test line of code verbatim."""
    source = source_only(assignment)
    text = page_lines(page)
    normalised = {leaks.normalise(line) for line in text}
    found = [line for line in source.lines() if line in normalised]
    joined = "\n".join(text)
    for cell in notebook("source", assignment)["cells"]:
        if cell["cell_type"] != "code":
            continue
        inside = False
        for line in "".join(cell["source"]).split("\n"):
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) >= 30 and line.strip() in joined \
                    and line.strip() not in json.dumps(notebook("release", assignment)):
                found.append(line.strip())
    return found


def test_a_page_loses_every_source_only_line_and_keeps_its_tags():
    source = source_only(ASSIGNMENT)
    solution_line = "    x_work = np.array(x, dtype=float)  # a float copy: we nudge this one, never the caller&#39;s x"
    highlighted = ('<span class="n">x_work</span> <span class="o">=</span> <span class="n">np</span>'
                   '<span class="o">.</span><span class="n">array</span><span class="p">(</span>x, dtype=float)')
    page = "\n".join(["<pre><span></span>" + highlighted, solution_line, "print(count_parameters([2, 3]))</pre>"])
    redacted, count = leaks.redact_html(page, source.lines())
    assert count == 2 and redacted.count(html.escape(leaks.REDACTED)) == 2
    assert "print(count_parameters([2, 3]))</pre>" in redacted and redacted.startswith("<pre><span></span><span")
    assert not shown_source_only(redacted, ASSIGNMENT)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of two graded through `python -m autograder grade`: mallory hands in the instructor's
    source notebook under the release's name, alice her own full-marks answers."""
    course = make_course_root(tmp_path_factory.mktemp("leaks"), [ASSIGNMENT])
    write_submission(course, "mallory", ASSIGNMENT, (ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return course, rows


def test_the_leaker_is_flagged_earns_nothing_and_their_feedback_shows_no_source_text(graded):
    from nbgrader.api import Gradebook

    course, rows = graded
    mallory = rows["mallory"]
    assert mallory["status"] == "flagged" and LEAK in mallory["reason"], mallory
    assert all(float(mallory[f"{ASSIGNMENT}:{ex}"]) == 0 for ex, _ in exercises(ASSIGNMENT)), mallory
    assert float(mallory["total"]) == 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submitted = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "mallory")
        assert submitted.flagged  # in the formgrader too
        assert {g.name: g.manual_score for g in submitted.grades if g.manual_score is not None} == {
            f"test_{ex}": 0 for ex, _ in exercises(ASSIGNMENT)}
        comments = {c.name: c.manual_comment for c in submitted.comments if c.manual_comment}
    assert set(comments) == {ex for ex, _ in exercises(ASSIGNMENT)}
    assert all("instructor's solution" in comment for comment in comments.values())
    assert LEAK in html.unescape((course / "reports" / "summary.html").read_text())
    page = (course / "feedback" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "count_parameters" in page and html.escape(leaks.REDACTED) in page  # the page, redacted
    assert not shown_source_only(page, ASSIGNMENT)


def test_the_honest_student_keeps_full_marks_unflagged(graded):
    course, rows = graded
    alice = rows["alice"]
    assert (alice["status"], float(alice["total"])) == ("graded", sum(p for _, p in exercises(ASSIGNMENT)))
    assert LEAK not in alice["reason"]
    page = (course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert not shown_source_only(page, ASSIGNMENT)
