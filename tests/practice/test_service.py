"""The practice grading service's loop (autograder.practice.service) over a real exchange store, without a hub:
a classmate's hung notebook in the same batch holds nobody else's page (each page goes back as soon as the
run has recorded that student), and the hung one gets its own outcome.

The exchange's HTTP layer and roles are tested on a real hub (tests/hub, tests/browser/test_browser_hub_practice.py);
here the service talks to the same Store the exchange service serves, through its few routes.
"""

import json
import logging
import sys
import time

import pytest

from autograder.config import course_config
from autograder.practice.policy import PracticeGrading
from autograder.practice.service import PracticeService
from tests.support.notebook import ROOT, exercises, make_course_root, student_notebook

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
from exchange_store import Store

ASSIGNMENT = "01_notation"
COURSE = "backprop-course"
POINTS = dict(exercises(ASSIGNMENT))
LOOPING = "def layer_shapes(layer_sizes):\n    while True:\n        pass"


class StoreRoutes:
    """The exchange service's routes the grading service calls, answered by the exchange's own Store."""

    def __init__(self, store):
        self.store, self.put = store, []

    def call(self, method, path, **kwargs):
        parts = path.split("/")
        if (method, parts[2:]) == ("GET", ["submissions"]):
            return self.store.receipts_with_feedback(COURSE, staff=True)
        if (method, parts[2:]) == ("GET", ["due"]):
            return self.store.due(COURSE)
        raise AssertionError(f"the service called {method} {path}")

    def files(self, path):
        _, _, _, assignment, student, receipt = path.split("/")
        return self.store.submission_files(COURSE, student, assignment, receipt)

    def send(self, method, path, files):
        _, _, kind, assignment, student, receipt = path.split("/")
        assert (method, kind) == ("PUT", "practice"), path
        self.store.put_practice(COURSE, student, assignment, receipt, tuple(files))
        self.put.append((receipt, time.monotonic()))


@pytest.fixture
def service(tmp_path):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    (course / "nbgrader_config.py").open("a").write(
        f'\nc.PracticeGrading.levels = {{"{ASSIGNMENT}": "per_exercise"}}\nc.PracticeGrading.lanes = 1\n'
        "c.PracticeGrading.jobs = 2\nc.PracticeGrading.cell_timeout = 8\nc.PracticeGrading.notebook_timeout = 60\n")
    store = Store(tmp_path / "store")
    store.release(COURSE, ASSIGNMENT, ((f"{ASSIGNMENT}.ipynb", b"{}"),), None)
    routes = StoreRoutes(store)
    practice = PracticeService(course, tmp_path / "state", routes, COURSE, PracticeGrading(config=course_config(course)),
                               secret="practice-service-test", log=logging.getLogger("practice-test"))
    yield practice, store, routes
    for run in practice.running.values():
        run.process.kill()


def page_of(store, receipt):
    files = dict(store.practice(COURSE, receipt["student_id"], ASSIGNMENT, receipt["receipt_id"]))
    return files[f"{ASSIGNMENT}.html"].decode(), json.loads(files["practice.json"])


def test_a_hung_notebook_holds_nobody_else_in_its_batch_and_gets_its_own_outcome(service):
    practice, store, routes = service
    notebook = {"hung": student_notebook(ASSIGNMENT, {"layer_shapes": LOOPING}), "quick": student_notebook(ASSIGNMENT)}
    receipts = {name: store.submit(COURSE, ASSIGNMENT, name, ((f"{ASSIGNMENT}.ipynb", json.dumps(nb).encode()),))
                for name, nb in notebook.items()}
    quick_done_while_running = None
    deadline = time.monotonic() + 240
    while len(routes.put) < 2:
        assert time.monotonic() < deadline, (routes.put, practice.ledger.rows())
        practice.step()
        if quick_done_while_running is None and any(r == receipts["quick"]["receipt_id"] for r, _ in routes.put):
            runs = list(practice.running.values())
            quick_done_while_running = bool(runs) and runs[0].process.poll() is None
        time.sleep(0.2)
    # one run graded both (one batch), and the quick student's page went back before it ended
    assert quick_done_while_running, routes.put
    page, summary = page_of(store, receipts["quick"])
    assert summary["score"] == sum(POINTS.values()) and "Practice score" in page
    page, summary = page_of(store, receipts["hung"])
    assert summary["exercises"]["layer_shapes"]["score"] == 0, summary
    assert summary["status"] in ("graded", "flagged") and summary["score"] < sum(POINTS.values()), summary
    assert "layer_shapes" in page and "timed out" in page, page[:3000]
    assert all(row["state"] == "done" for row in practice.ledger.rows())
    assert len({r for r, _ in routes.put}) == len(routes.put) == 2  # each delivered once


def test_a_submission_marked_as_being_graded_that_no_run_holds_waits_again(service):
    practice, store, _ = service
    receipt = store.submit(COURSE, ASSIGNMENT, "ann", ((f"{ASSIGNMENT}.ipynb", b"{}"),))
    practice.look()
    practice.ledger.start([receipt["receipt_id"]])  # as if its run's hand-back had failed half-way
    assert [r["state"] for r in practice.ledger.rows()] == ["grading"]
    practice.put_back_orphans()
    assert [(r["state"], r["attempts"]) for r in practice.ledger.rows()] == [("pending", 1)]
