"""An instructor in a real JupyterLab (Debian's Chromium, driven by Playwright): after a run of the
project's grader, nbgrader's formgrader shows each student with the score the grader gave, and a
submission's HTML and JavaScript stay inert in the formgrader and in the feedback page.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import LabServer, open_menu_item, serve_mathjax_from_disk
from tests.support.notebook import (
    exercises,
    make_course_root,
    run_grader,
    student_notebook,
    write_submission,
    written_questions,
)

pytestmark = pytest.mark.browser

ASSIGNMENT = "01_notation"  # the fastest notebook to grade
TOTAL = sum(points for _, points in exercises(ASSIGNMENT))
MAX = TOTAL + sum(points for _, points in written_questions(ASSIGNMENT))  # written answers are left blank here
WRONG_COUNT = "def count_parameters(layer_sizes):\n    return 0"  # costs exactly its 1 point

# Every way a student's output could carry script into a page, each setting window.__pwned; and
# what must still show: the student's harmless HTML, a plot, LaTeX.
HOSTILE_OUTPUT = """
from IPython.display import HTML, Javascript, Markdown, display
import matplotlib.pyplot as plt
display(HTML("<b id='student-html'>bold survives</b><script>window.__pwned = 'script tag'</script>"))
display(HTML("<img src='missing.png' onerror=\\"window.__pwned = 'onerror'\\">"))
display(Markdown("<img src='gone.png' onerror=\\"window.__pwned = 'markdown'\\"> and $\\\\alpha^2$"))
display(Javascript("window.__pwned = 'javascript output'"))
plt.figure(figsize=(3, 2)); plt.plot([0, 1], [1, 0]); plt.show()
"""
HOSTILE_MARKDOWN = ("My answer: $\\delta^{[L]} = a^{[L]} - y$ "
                    "<img src='x.png' onerror=\"window.__pwned = 'markdown cell'\"><script>window.__pwned = 'md'</script>")


def hostile_submission():
    notebook = student_notebook(ASSIGNMENT, prepend=HOSTILE_OUTPUT)
    note = {"cell_type": "markdown", "metadata": {}, "source": HOSTILE_MARKDOWN}
    return {**notebook, "cells": [note, *notebook["cells"]]}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("instructor")
    course = make_course_root(base, [ASSIGNMENT])
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT, written="blank"))
    write_submission(course, "bob", ASSIGNMENT,
                     student_notebook(ASSIGNMENT, {"count_parameters": WRONG_COUNT}, written="blank"))
    write_submission(course, "mallory", ASSIGNMENT, hostile_submission())
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert {s: float(r["total"]) for s, r in rows.items()} == {"alice": TOTAL, "bob": TOTAL - 1, "mallory": TOTAL}
    lab = LabServer(course, base / "lab").start()  # the course root, as `make lab` serves it
    yield lab
    lab.stop()


def test_formgrader_shows_the_graded_students_and_their_scores(page, lab):
    page.goto(lab.page_url("lab"))
    expect(page.locator(".jp-Launcher")).to_be_visible()  # the layout is restored: menus can be used
    open_menu_item(page, "Nbgrader", "nbgrader:open-formgrader")
    formgrader = page.frame_locator("#formgrader iframe")  # the Formgrader tab shows it in a frame

    # Manage Assignments: the assignment, with the two submissions the grader autograded.
    row = formgrader.locator("tr").filter(has=page.locator(f'td.name:has-text("{ASSIGNMENT}")'))
    expect(row.locator("td.num-submissions")).to_have_text("3")
    row.locator("td.num-submissions a").click()

    # Manage Submissions of that assignment: each student id with the score from the gradebook.
    for student, score in [("alice", TOTAL), ("bob", TOTAL - 1)]:
        submission = formgrader.locator("tr").filter(has=page.locator(f'td.student-id:text-is("{student}")'))
        expect(submission.locator("td.score")).to_have_text(f"{score:g} / {MAX:g}")
        expect(submission.locator("td.status")).to_have_text("graded")

    # Manage Students: the same totals over the whole course.
    formgrader.locator('a:text-is("Manage Students")').click()
    for student, score in [("alice", TOTAL), ("bob", TOTAL - 1)]:
        student_row = formgrader.locator("tr").filter(has=page.locator(f'td.id:text-is("{student}")'))
        expect(student_row.locator("td.score")).to_have_text(f"{score:g} / {MAX:g}")


def submission_id(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id


def assert_inert_but_readable(page, typeset=False):
    """The student's harmless HTML, a plot and their formula show (its LaTeX source, which the formgrader's
    MathJax typesets; or, `typeset`, as the MathML of a feedback page); none of their script ran."""
    expect(page.locator("#student-html")).to_have_text("bold survives")
    plot = page.locator('img[src^="data:image/png"]').first
    expect(plot).to_be_visible()
    assert plot.evaluate("image => image.naturalWidth") > 100
    expect(page.locator("body")).to_contain_text("My answer")
    if typeset:
        formula = page.locator("math").filter(has_text="δ").first
        expect(formula).to_be_visible()
        assert formula.evaluate("math => math.getBoundingClientRect().width") > 0
    else:
        assert "delta^{[L]}" in page.content()
    page.wait_for_timeout(1500)  # time for an onerror to fire on the missing images
    assert page.evaluate("typeof window.__pwned") == "undefined", page.evaluate("window.__pwned")


def test_student_script_stays_inert_in_the_formgrader(page, lab):
    """The formgrader renders submissions on the instructor's own Jupyter origin."""
    page.goto(lab.page_url(f"formgrader/submissions/{submission_id(lab.root_dir, 'mallory')}/"))
    expect(page.locator(".panel-title")).to_contain_text(re.compile(r"Submission \d / 3"))  # the real view
    assert_inert_but_readable(page)


def test_student_script_stays_inert_in_the_feedback_page(page, lab):
    feedback = lab.root_dir / "feedback" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    page.goto(feedback.as_uri())
    expect(page.locator("body")).to_contain_text("count_parameters")  # the feedback page itself
    assert_inert_but_readable(page, typeset=True)


def test_a_written_answer_is_graded_by_hand_in_the_formgrader(page, lab):
    """mallory answered the written questions (the model answers, here): the formgrader shows her
    answer beside a score field, and the score typed there reaches the gradebook, where the next
    grading run counts it (tests/record/test_grader_term.py)."""
    from nbgrader.api import Gradebook

    question, points = written_questions(ASSIGNMENT)[0]
    serve_mathjax_from_disk(page)
    page.goto(lab.page_url("lab/workspaces/written"))  # a fresh layout; logs the browser in (the API's cookie)
    expect(page.locator(".jp-Launcher")).to_be_visible()
    page.goto(lab.page_url(f"formgrader/submissions/{submission_id(lab.root_dir, 'mallory')}/"))
    expect(page.locator("body")).to_contain_text("Model answer")
    score = page.locator(f"input.score#{question}")
    score.fill(f"{points / 2:g}")
    score.press("Tab")  # the formgrader saves a score when its field changes

    def manual():
        with Gradebook(f"sqlite:///{lab.root_dir / 'gradebook.db'}") as gradebook:
            return gradebook.find_grade(question, ASSIGNMENT, ASSIGNMENT, "mallory").manual_score

    deadline = time.monotonic() + 30
    while manual() != points / 2:
        assert time.monotonic() < deadline, f"the formgrader did not save the score of {question}: {manual()}"
        time.sleep(0.2)
