"""Feedback in a minute: the hub's practice grading service on a real hub, in Debian's Chromium.

Real accounts, the hub, its proxy, the exchange and the practice grading service on loopback
(deploy/jupyterhub). A student submits from the Assignment List with one wrong function, fetches
feedback within a minute and reads their score and the named mistake; fixes it and sees full marks; a
fourth submission within the hour is refused with the time of the next allowed one. A classmate's
hostile submissions get their own outcome and nothing of the first student's. The service killed in
the middle of grading comes back (the hub restarts it) and every submission is delivered exactly once.
Pages are kept as screenshots in tests/browser/artifacts/.
"""

import datetime
import json
import re
import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, log_in_to_hub, open_menu_item
from tests.support.catalog import FORK_BOMB, PRINT_ENVIRONMENT
from tests.support.hub import User, running_hub
from tests.support.notebook import exercises, student_notebook

pytestmark = pytest.mark.browser

ASSIGNMENT = "01_notation"
POINTS = dict(exercises(ASSIGNMENT))
TOTAL = sum(POINTS.values())
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
TRANSPOSED = ("def layer_shapes(layer_sizes):\n"
              "    return [((n_in, n_out), (n_out, 1)) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]")
MISTAKE_WORDS = "is transposed: W[l] has one row per unit of layer l"
SETTINGS = f"""
c.PracticeGrading.levels = {{"{ASSIGNMENT}": "per_exercise"}}
c.PracticeGrading.per_window = 3
c.PracticeGrading.window_minutes = 60
c.PracticeGrading.poll_seconds = 0.5
c.PracticeGrading.jobs = 2
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with running_hub(tmp_path_factory, course_settings=SETTINGS) as running:
        teacher = User(running["base"], running["instructor"])
        teacher.log_in()  # releasing takes the instructor's own hub token: from a kernel of their server
        printed = teacher.run_in_kernel(
            "import subprocess\n"
            f"done = subprocess.run('cd ~/backprop-course && nbgrader release_assignment {ASSIGNMENT}', shell=True, "
            "capture_output=True, text=True)\nprint(done.returncode, done.stdout, done.stderr)")
        assert printed.startswith("0 "), printed
        yield running


def keep(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"practice-{name}.png")


def log_in(browser, hub, name):
    page = log_in_to_hub(browser, hub["base"], name, "practice")
    expect(page.locator(".jp-Launcher")).to_be_visible()
    return page


def submissions(http):
    """The student's submissions as their Assignment List lists them (nbgrader's own handler), oldest first."""
    listed = http.get("assignments", params={"course_id": "backprop-course"}).json()
    assert listed["success"], listed
    return [s for a in listed["value"] if a["status"] == "submitted" and a["assignment_id"] == ASSIGNMENT
            for s in a["submissions"]]


def open_list(page, http):
    """A fresh workspace (its Launcher shows, so the menus answer) with the Assignment List, newly listed."""
    open_list.count = getattr(open_list, "count", 0) + 1
    page.goto(http.url(f"lab/workspaces/practice-{open_list.count}"))
    expect(page.locator(".jp-Launcher")).to_be_visible()
    open_menu_item(page, "Nbgrader", "nbgrader:open-assignment-list")
    expect(page.locator("#submitted_assignments_list")).to_be_visible()


def submit_in_browser(page, http, notebook):
    """Save `notebook` and press Submit; the receipt's time, and when the button was pressed."""
    before = len(submissions(http))
    http.put_notebook(NOTEBOOK, notebook)
    open_list(page, http)
    fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text=ASSIGNMENT)
    pressed = time.monotonic()
    fetched.locator('.item_status button:text-is("Submit")').first.click()
    deadline = time.monotonic() + 60
    while len(submissions(http)) == before:
        assert time.monotonic() < deadline, "the submission was not received"
        time.sleep(0.3)
    received = submissions(http)[-1]["received"]
    expect(page.locator("#submitted_assignments_list").filter(has_text=received)).to_be_visible()  # the receipt shown
    return received, pressed


def feedback_in_browser(page, http, received, pressed):
    """Wait until the exchange holds the page for the submission received at `received`, press Fetch
    Feedback, open it: (its text, seconds from Submit to the feedback being there)."""
    deadline = time.monotonic() + 120
    while True:
        entry = next(s for s in submissions(http) if s["received"] == received)
        if entry["has_exchange_feedback"]:
            waited = time.monotonic() - pressed
            break
        assert time.monotonic() < deadline, entry
        time.sleep(0.5)
    open_list(page, http)
    rows = page.locator("#submitted_assignments_list > .list_item").filter(has_text=received)
    rows.locator('button:text-is("Fetch Feedback")').click()
    path = f"{ASSIGNMENT}/feedback/{received}/{ASSIGNMENT}.html"
    for _ in range(60):
        if http.get(f"api/contents/{path}").status_code == 200:
            break
        page.wait_for_timeout(500)
    page.goto(http.url(f"files/{path}"))
    return page.locator("body").inner_text(), waited


def test_a_student_sees_score_and_mistake_within_a_minute_then_full_marks_then_the_limit(browser, hub):
    alice_name, bob_name = hub["students"]
    alice, bob = User(hub["base"], alice_name), User(hub["base"], bob_name)
    page = log_in(browser, hub, alice_name)
    alice.log_in()
    bob.log_in()
    open_list(page, alice)
    page.locator("#released_assignments_list > .list_item").filter(has_text=ASSIGNMENT) \
        .locator('.item_status button:text-is("Fetch")').click()
    expect(page.locator("#fetched_assignments_list > .list_item").filter(has_text=ASSIGNMENT)).to_have_count(1)
    assert bob.action("fetch", ASSIGNMENT)["success"]

    # The classmate's hostile work arrives first: a fork bomb, and a notebook printing its environment.
    bob.put_notebook(NOTEBOOK, student_notebook(ASSIGNMENT, prepend=FORK_BOMB))
    assert bob.action("submit", ASSIGNMENT)["success"]

    received, pressed = submit_in_browser(page, alice, student_notebook(ASSIGNMENT, {"layer_shapes": TRANSPOSED}))
    text, waited = feedback_in_browser(page, alice, received, pressed)
    keep(page, "one-mistake")
    print(f"submit to feedback available, one mistake: {waited:.1f} s")
    assert waited < 60, f"feedback took {waited:.0f} s"
    assert f"Practice score: {TOTAL - POINTS['layer_shapes']:g} of {TOTAL:g}" in text, text[:1500]
    assert MISTAKE_WORDS in text and "It is not your grade" in text, text[:3000]
    assert bob_name not in text

    received, pressed = submit_in_browser(page, alice, student_notebook(ASSIGNMENT))
    text, waited = feedback_in_browser(page, alice, received, pressed)
    keep(page, "full-marks")
    print(f"submit to feedback available, fixed: {waited:.1f} s")
    assert f"Practice score: {TOTAL:g} of {TOTAL:g}" in text and waited < 60, (waited, text[:1500])

    received, pressed = submit_in_browser(page, alice, student_notebook(ASSIGNMENT))  # the third: graded
    feedback_in_browser(page, alice, received, pressed)
    received, pressed = submit_in_browser(page, alice, student_notebook(ASSIGNMENT))  # the fourth: refused
    text, waited = feedback_in_browser(page, alice, received, pressed)
    keep(page, "refused")
    allowed = re.search(r"The next one is allowed from (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", text)
    assert allowed and "Not graded for practice" in text, text[:1500]
    first = datetime.datetime.strptime(submissions(alice)[0]["received"], "%Y-%m-%d %H:%M:%S.%f UTC")
    assert allowed.group(1) == f"{first + datetime.timedelta(hours=1):%Y-%m-%d %H:%M:%S}", allowed.group(1)
    assert "counts for the deadline" in text

    # The classmate: their own outcome (the fork bomb bounded by their sandbox), none of Alice's.
    bob_entries = submissions(bob)
    assert all(s["student_id"] == bob_name for s in bob_entries)
    deadline = time.monotonic() + 120
    while not submissions(bob)[-1]["has_exchange_feedback"]:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert bob.action("fetch_feedback", ASSIGNMENT)["success"]
    folders = bob.get(f"api/contents/{ASSIGNMENT}/feedback").json()["content"]
    assert len(folders) == 1
    page_b = bob.get(f"files/{folders[0]['path']}/{ASSIGNMENT}.html").text
    assert "Practice score:" in page_b and alice_name not in page_b and "It is not your grade" in page_b


def ledger_rows(hub):
    query = "SELECT receipt_id, state, decision, outcome FROM submissions ORDER BY received"
    done = subprocess.run(["sqlite3", "-json", str(hub["state"] / "practice" / "state" / "ledger.sqlite"), query],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "[]")


def test_the_service_killed_mid_grading_comes_back_and_delivers_every_submission_once(hub):
    alice_name, bob_name = hub["students"]
    bob = User(hub["base"], bob_name)
    bob.log_in()
    bob.put_notebook(NOTEBOOK, student_notebook(ASSIGNMENT, prepend=PRINT_ENVIRONMENT))
    assert bob.action("submit", ASSIGNMENT)["success"]
    received = submissions(bob)[-1]["received"]
    deadline = time.monotonic() + 60
    while not any(r["state"] == "grading" for r in ledger_rows(hub)):  # the run has started
        assert time.monotonic() < deadline, ledger_rows(hub)
        time.sleep(0.2)
    # The service runs within a budget of its own (budgets_by_role["service"]): the hub stays responsive.
    account = hub["environment"]["BACKPROP_PRACTICE_ACCOUNT"]
    pids = subprocess.run(["pgrep", "-u", account, "-f", "grading_service.py"], capture_output=True, text=True)
    assert pids.stdout.split(), pids
    memory = next(line.split(":", 2)[2].strip() for line in open(f"/proc/{pids.stdout.split()[0]}/cgroup")
                  if line.split(":")[1] == "memory")
    assert memory.endswith(f"/service/{account}"), memory
    limit = open(f"/sys/fs/cgroup/memory{memory}/memory.limit_in_bytes").read()
    assert int(limit) == 6 * 2**30, limit
    killed = subprocess.run(["pkill", "-KILL", "-u", account, "-f", "grading_service.py"], capture_output=True)
    assert killed.returncode == 0
    deadline = time.monotonic() + 120  # the hub polls its services every 30 s and starts a stopped one again
    while not next(s for s in submissions(bob) if s["received"] == received)["has_exchange_feedback"]:
        assert time.monotonic() < deadline, ledger_rows(hub)
        time.sleep(1)
    rows = ledger_rows(hub)
    assert rows and all(r["state"] == "done" for r in rows), rows
    log = (hub["state"] / "hub.log").read_text()
    assert "exited with status" in log and "were being graded when the service stopped" in log, log[-3000:]
    for row in rows:
        assert len(re.findall(rf"\({re.escape(row['receipt_id'])}\) delivered", log)) == 1, row
    page = None
    assert bob.action("fetch_feedback", ASSIGNMENT)["success"]
    for folder in bob.get(f"api/contents/{ASSIGNMENT}/feedback").json()["content"]:
        page = bob.get(f"files/{folder['path']}/{ASSIGNMENT}.html").text
        assert "GRADER_SECRET" not in page and "JUPYTERHUB_API_TOKEN" not in page and alice_name not in page
    assert page is not None
