"""What comes back from student code is read defensively: verification results (autograder.judging.verify)
and the autograded notebook and files that browsers will show (autograder.grading.sanitize)."""

import json

import numpy as np
import pytest

from autograder.grading import sanitize
from autograder.judging import verify


def write_results(path, outcomes, **arrays):
    np.savez(path, __outcomes__=np.frombuffer(json.dumps(outcomes).encode(), dtype=np.uint8), **arrays)
    return path


def test_well_formed_results_decode(tmp_path):
    path = write_results(tmp_path / "r.npz", [{"result": {"$tuple": [{"$array": "r0"}, {"$float": 1.5}]}},
                                              {"error": "ValueError: no"}], r0=np.arange(3.0))
    (kind, value), error = verify.read_results(path, 2)
    assert kind == "result" and np.array_equal(value[0], np.arange(3.0)) and value[1] == 1.5
    assert error == ("error", "ValueError: no")


@pytest.mark.parametrize("entry", [
    {"result": {"$array": "missing"}}, {"result": {"$dict": 5}}, {"result": {"$list": [[1]]}},
    {"result": {"$tuple": {"x": 1}}}, {"unknown": 1}, {"result": {"$callable": "os.system"}},
    {"result": 1, "error": "both"}, "text", {"result": {"$array": "strings"}}, {"result": {"$rng": "seed"}},
    {"result": {"$float": True}}, {"result": {"$array": "r0", "$dict": {}}}, {"error": 5},
])
def test_each_malformed_entry_is_an_error_of_its_own_case(tmp_path, entry):
    path = write_results(tmp_path / "r.npz", [entry, {"result": 3}], r0=np.ones(2), strings=np.array(["a", "b"]))
    first, second = verify.read_results(path, 2)
    assert first[0] == "error" and "unreadable result" in first[1]
    assert second == ("result", 3)


def test_deep_nesting_is_refused(tmp_path):
    for depth in (100, 100_000):  # past decode's own limit; past the JSON parser's recursion limit
        text = '[{"result": ' + '{"$list": [' * depth + "1" + "]}" * depth + "}]"
        np.savez(tmp_path / "r.npz", __outcomes__=np.frombuffer(text.encode(), dtype=np.uint8))
        [(kind, reason)] = verify.read_results(tmp_path / "r.npz", 1)
        assert kind == "error" and "unreadable" in reason, depth


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b"\0" * (verify.RESULTS_MAX_BYTES + 1)), "results larger than 64 MiB"),
    (lambda p: np.savez_compressed(p, __outcomes__=np.frombuffer(b"[]", dtype=np.uint8), r0=np.zeros(2**24)),
     "results larger than 64 MiB"),  # 128 MiB once unpacked, a few hundred KiB on disk
    (lambda p: p.write_text("not a zip"), "unreadable results (BadZipFile)"),
    (lambda p: np.savez(p, other=np.ones(1)), "unreadable results (KeyError)"),
    (lambda p: None, "the student's process ended before returning results"),
])
def test_an_unusable_results_file_fails_every_case_with_a_reason(tmp_path, make, reason):
    path = tmp_path / "results.npz"
    make(path)
    assert verify.read_results(path, 3) == [("error", reason)] * 3


def test_wrong_number_of_results(tmp_path):
    assert verify.read_results(write_results(tmp_path / "r.npz", [{"result": 1}]), 2) == [
        ("error", "wrong number of results")] * 2


HOSTILE = "<script>window.__pwned = 1</script><img src='x' onerror='window.__pwned = 2'><b>kept</b>"


def test_markdown_cells_and_outputs_are_made_inert_but_keep_their_text():
    notebook = {"metadata": {"widgets": {"state": {}}}, "cells": [
        {"cell_type": "markdown", "source": ["My answer: $\\delta^{[L]} = a^{[L]} - y$\n", HOSTILE]},
        {"cell_type": "markdown", "source": "> a quote, **bold**, $x_1$"},
        {"cell_type": "code", "source": "", "outputs": [
            {"output_type": "display_data", "data": {"text/html": HOSTILE, "image/png": "iVBORw0KGgo=",
                                                     "application/javascript": "window.__pwned = 3",
                                                     "image/svg+xml": "<svg onload='window.__pwned = 4'></svg>",
                                                     "text/plain": "<HTML>"}},
            {"output_type": "stream", "name": "stdout", "text": "<script>stays text</script>"}]},
    ]}
    clean = sanitize.sanitize_notebook(notebook)
    answer, quote, code = clean["cells"]
    assert "$\\delta^{[L]} = a^{[L]} - y$" in answer["source"] and "<b>kept</b>" in answer["source"]
    assert "<script" not in answer["source"] and "<img" not in answer["source"]  # escaped: shown as text
    assert quote["source"] == "> a quote, **bold**, $x_1$", "Markdown without HTML is left alone"
    data = code["outputs"][0]["data"]
    assert "application/javascript" not in data and "<script" not in data["text/html"]
    assert data["image/png"] == "iVBORw0KGgo=" and data["image/svg+xml"].startswith("<svg")  # shown as <img>
    assert "<b>kept</b>" in data["text/html"] and data["text/plain"] == "<HTML>"
    assert "widgets" not in clean["metadata"]


def test_files_a_browser_would_run_leave_the_autograded_copy(tmp_path):
    (tmp_path / "notes.html").write_text(HOSTILE)
    (tmp_path / "figure.svg").write_text("<svg onload='x'/>")
    (tmp_path / "data.csv").write_text("1,2")
    (tmp_path / "a.ipynb").write_text(json.dumps({"metadata": {}, "cells": [{"cell_type": "markdown",
                                                                              "source": HOSTILE}]}))
    assert sanitize.sanitize_submission(tmp_path) == ["figure.svg", "notes.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ipynb", "data.csv"]
    assert "<script" not in (tmp_path / "a.ipynb").read_text()


def test_an_extra_notebook_that_is_not_one_leaves_the_autograded_copy_and_stops_nothing(tmp_path):
    """nbgrader copies a student's extra files into autograded/; any of them may be garbage."""
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "a_list.ipynb").write_text("[1, 2]")
    (tmp_path / "odd_cells.ipynb").write_text(json.dumps({"cells": [5, {"cell_type": "markdown", "source": [1]},
                                                                    {"cell_type": "code", "outputs": [3]}],
                                                          "metadata": []}))
    (tmp_path / "binary.ipynb").write_bytes(b"\xff\xfe\x00")
    good = {"metadata": {}, "cells": [{"cell_type": "markdown", "source": HOSTILE}]}
    (tmp_path / "good.ipynb").write_text(json.dumps(good))
    assert sanitize.sanitize_submission(tmp_path) == ["a_list.ipynb", "binary.ipynb", "broken.ipynb",
                                                      "odd_cells.ipynb"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.ipynb"]
    assert "<script" not in (tmp_path / "good.ipynb").read_text()
