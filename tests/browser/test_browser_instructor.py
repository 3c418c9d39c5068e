"""An instructor in a real JupyterLab (Debian's Chromium, driven by Playwright): after a run of the
project's grader, nbgrader's formgrader shows each student with the score the grader gave.
"""

import pytest
from playwright.sync_api import expect

from browser_support import LabServer
from notebook_support import exercises, make_course_root, run_grader, student_notebook, write_submission

pytestmark = pytest.mark.browser

ASSIGNMENT = "01_notation"  # the fastest notebook to grade
TOTAL = sum(points for _, points in exercises(ASSIGNMENT))
WRONG_COUNT = "def count_parameters(layer_sizes):\n    return 0"  # costs exactly its 1 point


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("instructor")
    course = make_course_root(base, [ASSIGNMENT])
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    write_submission(course, "bob", ASSIGNMENT, student_notebook(ASSIGNMENT, {"count_parameters": WRONG_COUNT}))
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert {s: float(r["total"]) for s, r in rows.items()} == {"alice": TOTAL, "bob": TOTAL - 1}
    lab = LabServer(course, base / "lab").start()  # the course root, as `make lab` serves it
    yield lab
    lab.stop()


def test_formgrader_shows_the_graded_students_and_their_scores(page, lab):
    page.goto(lab.page_url("lab"))
    expect(page.locator(".jp-Launcher")).to_be_visible()  # the layout is restored: menus can be used
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").first.click()
    page.locator('.lm-Menu li[data-command="nbgrader:open-formgrader"]').click()
    formgrader = page.frame_locator("#formgrader iframe")  # the Formgrader tab shows it in a frame

    # Manage Assignments: the assignment, with the two submissions the grader autograded.
    row = formgrader.locator("tr").filter(has=page.locator(f'td.name:has-text("{ASSIGNMENT}")'))
    expect(row.locator("td.num-submissions")).to_have_text("2")
    row.locator("td.num-submissions a").click()

    # Manage Submissions of that assignment: each student id with the score from the gradebook.
    for student, score in [("alice", TOTAL), ("bob", TOTAL - 1)]:
        submission = formgrader.locator("tr").filter(has=page.locator(f'td.student-id:text-is("{student}")'))
        expect(submission.locator("td.score")).to_have_text(f"{score:g} / {TOTAL:g}")
        expect(submission.locator("td.status")).to_have_text("graded")

    # Manage Students: the same totals over the whole course.
    formgrader.locator('a:text-is("Manage Students")').click()
    for student, score in [("alice", TOTAL), ("bob", TOTAL - 1)]:
        student_row = formgrader.locator("tr").filter(has=page.locator(f'td.id:text-is("{student}")'))
        expect(student_row.locator("td.score")).to_have_text(f"{score:g} / {TOTAL:g}")
