"""A class on a real JupyterHub, in Debian's Chromium (Playwright): real accounts, the hub and its proxy
on loopback, each user's server started by the hub as that user (deploy/jupyterhub).

The instructor releases 01 from the formgrader; student A fetches it from the Assignment List, writes
the answers, validates and submits, and sees the exchange's receipt; student B submits a partial notebook; the instructor collects
from the formgrader, grades with `python -m autograder grade` in their terminal's view, and
generates and releases feedback; each student fetches feedback and sees their own score and nobody
else's. A student reaches neither the formgrader, another student's server or files, nor the
course's source. Each step's page is kept as a screenshot in tests/browser/artifacts/.
"""

import json
import pathlib
import re
import sys

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, log_in_to_hub, open_menu_item
from tests.support.hub import COURSE_ID, User, in_instructor_terminal, running_hub
from tests.support.notebook import exercises, student_notebook

pytestmark = pytest.mark.browser

ASSIGNMENT = "01_notation"
POINTS = dict(exercises(ASSIGNMENT))
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with running_hub(tmp_path_factory) as running:
        yield running


def keep(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"hub-{name}.png")


def log_in(browser, hub, name):
    """A browser of `name`'s own, logged in through the hub's form, on a fresh workspace of their JupyterLab."""
    page = log_in_to_hub(browser, hub["base"], name)
    expect(page.locator(".jp-Launcher")).to_be_visible()  # the layout is restored: menus can be used
    return page


def formgrader_button(page, column, expected):
    """Click a Manage Assignments button of the assignment's row and acknowledge its success dialog.

    The formgrader has a browser tab of its own: JupyterHub forbids framing a user's server
    (frame-ancestors 'none'), which keeps the menu's framed Formgrader tab blank, on purpose."""
    row = page.locator("tr").filter(has=page.locator(f'td.name:has-text("{ASSIGNMENT}")'))
    row.locator(f"td.{column} a").click()
    dialog = page.locator("#success-modal")
    expect(dialog).to_contain_text(expected)
    for attempt in range(3):  # a click while the dialog still fades in can go unheard
        dialog.locator("button.btn-primary").click()
        try:
            expect(dialog).to_be_hidden(timeout=5000)
            break
        except AssertionError:
            if attempt == 2:
                raise


def assignment_list(page):
    open_menu_item(page, "Nbgrader", "nbgrader:open-assignment-list")
    return page.locator("#released_assignments_list, #fetched_assignments_list, #submitted_assignments_list")


def fetch_and_submit(page, http, notebook, validate):
    assignment_list(page)
    released = page.locator("#released_assignments_list > .list_item").filter(has_text=ASSIGNMENT)
    expect(released.locator(".item_course")).to_have_text(COURSE_ID)
    released.locator('.item_status button:text-is("Fetch")').click()
    fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text=ASSIGNMENT)
    expect(fetched).to_have_count(1)
    http.put_notebook(NOTEBOOK, notebook)  # the answers, as the student saved them
    if validate:
        fetched.locator("a.assignment-notebooks-link").click()
        row = fetched.locator(".assignment-notebooks .nested_list_item").filter(
            has=page.locator(f'.item_name a:text-is("{ASSIGNMENT}")'))
        row.locator('.item_status button:text-is("Validate")').click()
        expect(page.locator(".nbgrader-SuccessDialog")).to_contain_text("Success! Your notebook passes all the tests.")
        keep(page, "student-validated")
        page.locator(".nbgrader-SuccessDialog button.jp-Dialog-button").click()
    fetched.locator('.item_status button:text-is("Submit")').first.click()
    submitted = page.locator("#submitted_assignments_list > .list_item").filter(has_text=ASSIGNMENT)
    expect(submitted).to_have_count(1)
    # The exchange's receipt beside the submission: its clock's time and the notebook's SHA-256.
    expect(submitted).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d [\d:.]+ UTC \(receipt \S+: "
                                                 + re.escape(f"{ASSIGNMENT}.ipynb") + r" sha256 [0-9a-f]{64}"))
    keep(page, "student-receipt")


def test_a_class_on_the_hub_from_release_to_feedback(browser, hub):
    name_a, name_b = hub["students"]
    teacher = log_in(browser, hub, hub["instructor"])
    teacher.goto(f"{hub['base']}/user/{hub['instructor']}/formgrader/manage_assignments")
    formgrader_button(teacher, "release", f"Successfully released '{ASSIGNMENT}'")
    keep(teacher, "instructor-released")

    first = next(iter(POINTS))
    notebooks = {name_a: student_notebook(ASSIGNMENT),
                 name_b: student_notebook(ASSIGNMENT, {ex: "raise NotImplementedError()" for ex in POINTS if ex != first})}
    students = {}
    for name in (name_a, name_b):
        page, http = log_in(browser, hub, name), User(hub["base"], name)
        http.log_in()
        fetch_and_submit(page, http, notebooks[name], validate=name == name_a)
        students[name] = (page, http)
    keep(students[name_a][0], "student-submitted")

    formgrader_button(teacher, "collect", f"Successfully collected submissions of '{ASSIGNMENT}'")
    graded = in_instructor_terminal(hub, f"cd ~/backprop-course && python -m autograder grade {ASSIGNMENT}")
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert "2 submissions graded" in graded.stdout, graded.stdout[-2000:]
    formgrader_button(teacher, "generate-feedback", f"Successfully generated feedback of '{ASSIGNMENT}'")
    formgrader_button(teacher, "release-feedback", f"Successfully released feedback of '{ASSIGNMENT}'")
    keep(teacher, "instructor-feedback-released")

    expected = {name_a: sum(POINTS.values()), name_b: POINTS[first]}
    for name, (page, http) in students.items():
        page.goto(http.url("lab/workspaces/feedback"))  # a workspace of its own: the Launcher shows
        expect(page.locator(".jp-Launcher")).to_be_visible()
        assignment_list(page)
        submitted = page.locator("#submitted_assignments_list > .list_item").filter(has_text=ASSIGNMENT)
        submitted.locator('button:text-is("Fetch Feedback")').click()
        folders = []
        for _ in range(60):
            folders = http.get(f"api/contents/{ASSIGNMENT}/feedback").json().get("content") or []
            if folders:
                break
            page.wait_for_timeout(500)
        assert len(folders) == 1, folders
        page.goto(http.url(f"files/{folders[0]['path']}/{ASSIGNMENT}.html"))
        score = re.search(r"Score: ([\d.]+) / ([\d.]+)", page.locator("body").inner_text())
        assert score and float(score.group(1)) == pytest.approx(expected[name]), (name, score and score.group(0))
        other = name_b if name == name_a else name_a
        assert other not in page.content()
        keep(page, f"feedback-{'a' if name == name_a else 'b'}")


def test_a_student_reaches_neither_grading_nor_others(browser, hub):
    name_a, name_b = hub["students"]
    page = log_in(browser, hub, name_a)
    for url in (f"/user/{name_a}/formgrader", f"/user/{name_b}/lab", f"/user/{hub['instructor']}/formgrader"):
        response = page.goto(hub["base"] + url)
        assert response.status in (403, 404) or "/hub/" in page.url and "Launcher" not in page.content(), \
            (url, response.status, page.url)
        expect(page.locator(".jp-Launcher")).to_have_count(0)
        expect(page.locator("#formgrader, .nbgrader-formgrader")).to_have_count(0)
    keep(page, "student-refused")

    # Code the student runs (a kernel of their own server) finds nothing of the others: not the
    # course root, another home, the hub's secrets; and the course's software is read-only to it.
    alice = User(hub["base"], name_a)
    alice.log_in()
    course_root = pathlib.Path(hub["course_root"])
    probes = [str(course_root / "source"), str(course_root.parent.with_name(name_b)),
              str(hub["state"] / "jupyterhub_cookie_secret"), str(pathlib.Path(sys.executable).parent)]
    code = ("import json, os\nseen = {}\nfor p in %r:\n    try:\n        os.listdir(p) if os.path.isdir(p) "
            "else open(p).read()\n        seen[p] = 'read'\n    except OSError as e:\n        seen[p] = type(e).__name__\n"
            "try:\n    open(%r, 'w')\n    seen['write'] = 'wrote'\nexcept OSError as e:\n    seen['write'] = type(e).__name__\n"
            "print(json.dumps(seen))") % (probes, str(pathlib.Path(sys.executable).parent / "planted"))
    seen = json.loads(alice.run_in_kernel(code))
    assert [seen[p] for p in probes[:3]] == ["FileNotFoundError"] * 3, seen  # not even their names
    assert seen[probes[3]] == "read" and seen["write"] in ("PermissionError", "OSError"), seen
