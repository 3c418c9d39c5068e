"""The grader's faster equivalents do what they replace: the metadata check rejects what nbgrader
rejects, the feedback page is nbconvert's, the verifier's lazy pyplot still draws when asked, a
slot keeps to the assignments it learnt, and the gradebook's one open connection sees other
writers' changes and they see its own."""

import copy
import json
import pathlib
import threading
import time
import types

import nbformat
import numpy as np
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbgrader.api import Gradebook as NbgraderGradebook
from nbgrader.nbgraderformat import SchemaTooOldError, ValidationError
from nbgrader.preprocessors import CheckCellMetadata

from autograder.grading.fast_steps import FastCheckCellMetadata, FeedbackHTMLExporter
from autograder.grading.options import Options
from autograder.judging import verify
from autograder.record import gradebook
from autograder.run.local_pool import LocalPool

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source" / "03_backprop" / "03_backprop.ipynb"


def source_notebook():
    return nbformat.read(SOURCE, as_version=4)


def graded_cell(notebook):
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade"))


def corrupted(change):
    notebook = source_notebook()
    change(notebook)
    return notebook


CORRUPTIONS = {
    "points not a number": lambda nb: graded_cell(nb).metadata.nbgrader.update(points="ten"),
    "duplicate grade id": lambda nb: graded_cell(nb).metadata.nbgrader.update(
        grade_id=[c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")][0].metadata.nbgrader.grade_id),
    "graded cell without points": lambda nb: graded_cell(nb).metadata.nbgrader.pop("points"),
    "unknown key type": lambda nb: graded_cell(nb).metadata.nbgrader.update(locked="yes"),
}


def test_metadata_check_passes_every_course_notebook():
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        FastCheckCellMetadata().preprocess(nbformat.read(path, as_version=4), {})


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_metadata_check_rejects_what_nbgrader_rejects(name):
    notebook = corrupted(CORRUPTIONS[name])
    with pytest.raises(ValidationError):
        CheckCellMetadata().preprocess(copy.deepcopy(notebook), {})
    with pytest.raises(ValidationError):
        FastCheckCellMetadata().preprocess(notebook, {})


def test_metadata_check_refuses_an_old_schema_as_nbgrader_does():
    notebook = corrupted(lambda nb: graded_cell(nb).metadata.nbgrader.update(schema_version=1))
    with pytest.raises(SchemaTooOldError):
        FastCheckCellMetadata().preprocess(notebook, {})


def feedback_pages(notebook):
    """(nbconvert's page, ours) of `notebook` with the classic template nbgrader's feedback extends."""
    theirs, _ = HTMLExporter(template_name="classic").from_notebook_node(copy.deepcopy(notebook))
    ours, _ = FeedbackHTMLExporter(template_name="classic").from_notebook_node(copy.deepcopy(notebook))
    return theirs, ours


def test_feedback_page_without_images_is_nbconverts():
    notebook = source_notebook()
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    first_code.outputs = [nbformat.v4.new_output("stream", text="a line & <b>not bold</b>\n"),
                          nbformat.v4.new_output("execute_result", {"text/html": "<div>a table</div>"})]
    theirs, ours = feedback_pages(notebook)
    assert "<img" not in theirs
    # nbconvert's page is its BeautifulSoup pass written out again: ours, read the same way, is that page
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    assert "a line &amp; &lt;b&gt;not bold&lt;/b&gt;" in ours


def test_feedback_page_with_an_image_still_gets_its_alt_text():
    notebook = source_notebook()
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell('A picture: <img src="figure.png">'))
    theirs, ours = feedback_pages(notebook)
    assert ours == theirs
    assert 'alt="No description has been provided for this image"' in ours


PLOTTING_NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {},
    "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"locked": True, "grade": False, "solution": False}},
         "source": "import sys\nimport matplotlib.pyplot as plt\nimport numpy as np\n", "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade": False, "grade_id": "f"}},
         "source": "def pyplot_state():\n"
                   "    return 1.0 if type(sys.modules['matplotlib.pyplot']).__name__ == '_LazyModule' else 0.0\n\n"
                   "def draw_and_double(x):\n"
                   "    figure = plt.figure()\n"
                   "    return 2 * x + len(figure.axes)\n",
         "outputs": [], "execution_count": None},
    ],
}


def test_verifier_loads_pyplot_only_when_an_answer_uses_it():
    outcomes = verify.run_student(PLOTTING_NOTEBOOK, [("pyplot_state", [], {}),
                                                      ("draw_and_double", [np.array([1.0, 2.0])], {}),
                                                      ("pyplot_state", [], {})])
    (kind1, before), (kind2, doubled), (kind3, after) = outcomes
    assert (kind1, kind2, kind3) == ("result", "result", "result"), outcomes
    assert before == 1.0  # imported at the top, not loaded
    assert np.array_equal(doubled, [2.0, 4.0])  # pyplot works when used
    assert after == 0.0  # and is a real module from then on


def test_a_slot_keeps_to_the_assignments_it_learnt(tmp_path):
    ran, gates = [], {"A": threading.Event(), "B": threading.Event()}

    def learn_and_run(payload, slot):
        slot.versions[payload.assignment] = payload.course.version
        ran.append((slot.number, payload.assignment, payload.student))
        if payload.student == "ann":
            gates[payload.assignment].wait(10)
        else:
            time.sleep(0.2)
        return payload.student

    pool = LocalPool(tmp_path, 2, Options(unsafe=True, scratch=str(tmp_path)))
    try:
        jobs = [types.SimpleNamespace(assignment=a, student=s, course=types.SimpleNamespace(version="v1"))
                for s in ("ann", "bob", "cid") for a in ("A", "B")]  # A, B, A, B, A, B: student by student
        futures = [pool.submit(learn_and_run, payload) for payload in jobs]
        deadline = time.monotonic() + 10
        while len(ran) < 2 and time.monotonic() < deadline:  # each slot holds one of ann's jobs
            time.sleep(0.01)
        gates["B"].set()  # B's slot is free first: first come first served would give it A for bob
        time.sleep(0.1)
        gates["A"].set()
        assert sorted(f.result(timeout=30) for f in futures) == sorted(j.student for j in jobs)
    finally:
        pool.close()
    slot_of = {(assignment, student): number for number, assignment, student in ran}
    assert slot_of["A", "ann"] != slot_of["B", "ann"], ran
    for assignment in ("A", "B"):
        assert slot_of[assignment, "bob"] == slot_of[assignment, "ann"], ran


def test_local_pool_cancels_what_it_did_not_start(tmp_path):
    started, release = threading.Event(), threading.Event()

    def wait(payload, slot):
        started.set()
        release.wait(10)
        return payload.student

    pool = LocalPool(tmp_path, 1, Options(unsafe=True, scratch=str(tmp_path)))
    job = types.SimpleNamespace(assignment="A", student="ann", course=types.SimpleNamespace(version="v1"))
    running = pool.submit(wait, job)
    assert started.wait(10)
    waiting = pool.submit(wait, types.SimpleNamespace(**{**vars(job), "student": "bob"}))
    closing = threading.Thread(target=pool.close)
    closing.start()  # cancels what waits, then waits for what runs
    deadline = time.monotonic() + 10
    while not waiting.cancelled() and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    closing.join(10)
    assert running.result() == "ann" and waiting.cancelled()


def test_gradebook_sees_other_writers_and_they_see_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    ours = gradebook.Gradebook(url)
    try:
        assert ours.students() == []
        assert ours.record("01_notation", "ann") == {}
        with NbgraderGradebook(url) as other:  # the formgrader, say, between two of the grader's steps
            other.add_student("zoe")
        assert ours.students() == ["zoe"]
        ours.update_record("01_notation", "zoe", status="graded")
        with NbgraderGradebook(url) as other:
            state = other.db.execute(gradebook.select(gradebook.RECORDS.c.state)).scalar_one()
        assert json.loads(state) == {"status": "graded"}
        with NbgraderGradebook(url) as other:
            other.remove_student("zoe")
        assert ours.students() == []
    finally:
        ours.close()
