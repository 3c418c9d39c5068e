"""A term, end to end, through nbgrader's exchange and, where a person would click, a real browser.

The instructor releases 01 with a due date three hours ago; alice (an extension of five hours) and
bob (no extension: late) fetch and submit; the instructor collects and grades, then in the
formgrader gives bob half a point by hand and flags alice's notebook; bob resubmits a fixed
notebook; the instructor grades again (only bob), releases feedback, both students fetch it
(alice from the Assignment List in her browser, bob from his shell), and the instructor exports
the grades for Canvas and Moodle. Every step checks the exact numbers.
"""

import csv
import datetime
import json
import re
import time

import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import expect

from tests.support.browser import ROOT, LabServer, open_menu_item, serve_mathjax_from_disk
from tests.support.notebook import (
    exercises,
    make_course_root,
    nbgrader,
    run_grader,
    student_notebook,
    written_questions,
)

pytestmark = pytest.mark.browser

ASSIGNMENT = "01_notation"  # the fastest notebook to grade
TOTAL = sum(points for _, points in exercises(ASSIGNMENT))
MAX = TOTAL + sum(points for _, points in written_questions(ASSIGNMENT))  # written answers are left blank here
WRONG_COUNT = "def count_parameters(layer_sizes):\n    return 0"  # costs exactly its 1 point
LATE = 1 - 4 * 2.0 / 100  # a little over 3 hours late: 4 started hours at PerHourPenalty's 2 % each
CHANGED = "changed since your review"


def course_id():
    from autograder.config import course_config

    return course_config(ROOT).CourseDirectory.course_id


def student_home(base, course, student):
    """A student's folder on the course's machine: nbgrader there knows the course, the exchange and
    who the student is (on a JupyterHub the login says so)."""
    home = base / student
    home.mkdir()
    (home / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course_id()!r}\n"
        f"c.CourseDirectory.student_id = {student!r}\n"
        f"c.Exchange.root = {str(course / 'exchange')!r}\n"
        f"c.Exchange.cache = {str(home / '.nbgrader-cache')!r}\n")
    return home


def hand_in(home, notebook):
    (home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook))
    nbgrader(home, "submit", ASSIGNMENT)


def review(course, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return notebook.id, notebook.flagged, {g.name: g.manual_score for g in notebook.grades
                                               if g.manual_score is not None}


def saved_in_gradebook(course, student, check, seconds=30):
    """Wait until the formgrader's save reached the gradebook (it saves in the background)."""
    deadline = time.monotonic() + seconds
    while not check(review(course, student)[2]):
        assert time.monotonic() < deadline, f"the formgrader did not save: {review(course, student)}"
        time.sleep(0.2)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    base = tmp_path_factory.mktemp("term")
    course = make_course_root(base, [ASSIGNMENT])
    (course / "exchange").mkdir(mode=0o777)  # what `make exchange` does
    (course / "exchange").chmod(0o777)
    due = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=3)).replace(microsecond=0)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due:%Y-%m-%d %H:%M:%S} UTC")
    nbgrader(course, "release_assignment", ASSIGNMENT)
    (course / "extensions.csv").write_text(f"student_id,assignment,hours\nalice,{ASSIGNMENT},5\n")
    homes = {student: student_home(base, course, student) for student in ("alice", "bob")}
    for home in homes.values():
        nbgrader(home, "fetch_assignment", ASSIGNMENT)
    hand_in(homes["alice"], student_notebook(ASSIGNMENT, written="blank"))
    hand_in(homes["bob"], student_notebook(ASSIGNMENT, {"count_parameters": WRONG_COUNT}, written="blank"))
    nbgrader(course, "collect", ASSIGNMENT)
    assert (course / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").is_file()
    instructor = LabServer(course, base / "instructor-lab").start()
    yield {"base": base, "course": course, "homes": homes, "instructor": instructor}
    instructor.stop()


def test_a_term_from_release_to_lms_export(page, term):
    course, homes, instructor = term["course"], term["homes"], term["instructor"]

    # First grading: alice is on time thanks to her extension; bob is late, and lost a point.
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert (float(rows["alice"]["total"]), float(rows["alice"][f"{ASSIGNMENT}:late_penalty"])) == (TOTAL, 0)
    assert float(rows["bob"][f"{ASSIGNMENT}:raw"]) == TOTAL - 1
    assert float(rows["bob"]["total"]) == pytest.approx((TOTAL - 1) * LATE)
    assert 3 <= float(rows["bob"][f"{ASSIGNMENT}:hours_late"]) < 4

    # The instructor reviews in the formgrader: half a point for bob's count_parameters ...
    serve_mathjax_from_disk(page)
    page.goto(instructor.page_url("lab/workspaces/review"))  # logs the browser in (a cookie for the API)
    expect(page.locator(".jp-Launcher")).to_be_visible()
    bob_id, _, _ = review(course, "bob")
    page.goto(instructor.page_url(f"formgrader/submissions/{bob_id}/"))
    score = page.locator("input.score#test_count_parameters")
    expect(score).to_have_attribute("placeholder", "0")  # the grades are loaded: the autograder gave 0
    score.fill("0.5")
    score.press("Tab")  # the formgrader saves a score when its field changes
    saved_in_gradebook(course, "bob", lambda manual: manual == {"test_count_parameters": 0.5})
    # ... and a flag on alice's notebook (Ctrl-Shift-F, the formgrader's flag command).
    alice_id, _, _ = review(course, "alice")
    page.goto(instructor.page_url(f"formgrader/submissions/{alice_id}/"))
    score = page.locator("input.score#test_count_parameters")
    expect(score).to_have_attribute("placeholder", "1")
    score.focus()
    page.keyboard.press("Control+Shift+F")
    expect(page.locator("#statusmessage")).to_have_text("Submission flagged")
    assert review(course, "bob")[1:] == (False, {"test_count_parameters": 0.5})
    assert review(course, "alice")[1:] == (True, {})

    # Bob fixes his answer and hands it in again; the instructor collects the newer submission.
    hand_in(homes["bob"], student_notebook(ASSIGNMENT, written="blank"))
    nbgrader(course, "collect", "--update", ASSIGNMENT)
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "1 submission graded, 1 unchanged" in result.stdout  # only bob
    assert review(course, "alice")[1:] == (True, {})  # the instructor's flag stays
    assert review(course, "bob")[1:] == (True, {"test_count_parameters": 0.5})  # override stays, change flagged
    assert rows["bob"]["status"] == "flagged" and CHANGED in rows["bob"]["reason"]
    assert float(rows["bob"][f"{ASSIGNMENT}:raw"]) == TOTAL - 0.5
    bob_total = float(rows["bob"]["total"])
    assert bob_total == pytest.approx((TOTAL - 0.5) * LATE)
    assert float(rows["alice"]["total"]) == TOTAL

    # Feedback goes back through the exchange.
    nbgrader(course, "release_feedback", ASSIGNMENT)
    student = LabServer(homes["alice"], term["base"] / "alice-lab").start()
    try:
        page.goto(student.page_url("lab/workspaces/feedback"))
        expect(page.locator(".jp-Launcher")).to_be_visible()
        open_menu_item(page, "Nbgrader", "nbgrader:open-assignment-list")
        submitted = page.locator("#submitted_assignments_list > .list_item").filter(has_text=ASSIGNMENT)
        expect(submitted).to_contain_text("feedback available to fetch")
        submitted.locator('button:text-is("Fetch Feedback")').click()
        expect(submitted).to_contain_text("(view feedback)")
    finally:
        student.stop()
    nbgrader(homes["bob"], "fetch_feedback", ASSIGNMENT)
    for name, total in [("alice", TOTAL), ("bob", bob_total)]:
        pages = list((homes[name] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(pages) == 1, (name, pages)
        shown = re.search(rf"{ASSIGNMENT} \(Score: ([\d.]+) / ([\d.]+)\)", pages[0].read_text())
        assert (float(shown[1]), float(shown[2])) == (round(total, 2), MAX), name

    # Grades into the LMS, equal to grades.csv and to nbgrader's own export; the roster maps ids.
    (course / "roster.csv").write_text("student_id,name,email,canvas_user_id\n"
                                       "alice,Alice Ng,alice@uni.example,4711\nbob,Bob Li,bob@uni.example,4712\n")
    nbgrader(course, "export", "--to", str(course / "reports" / "nbgrader.csv"))
    nbgrader(course, "export", "--exporter=autograder.lms.CanvasExport", "--to", str(course / "reports" / "canvas.csv"))
    nbgrader(course, "export", "--exporter=autograder.lms.MoodleExport", "--to", str(course / "reports" / "moodle.csv"))
    plain = {row[3]: float(row[9]) for row in read_csv(course / "reports" / "nbgrader.csv")[1:]}
    assert plain == pytest.approx({"alice": TOTAL, "bob": bob_total})
    canvas = read_csv(course / "reports" / "canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert canvas[1][0].strip() == "Points Possible" and float(canvas[1][5]) == MAX
    assert {row[1]: (row[0], float(row[5])) for row in canvas[2:]} == {
        "4711": ("Alice Ng", TOTAL), "4712": ("Bob Li", round(bob_total, 2))}
    moodle = read_csv(course / "reports" / "moodle.csv")
    assert moodle[0] == ["Email address", ASSIGNMENT]
    assert {row[0]: float(row[1]) for row in moodle[1:]} == {
        "alice@uni.example": TOTAL, "bob@uni.example": round(bob_total, 2)}
