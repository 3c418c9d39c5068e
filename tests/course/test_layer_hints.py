"""The layer-index hints name the slip a student made, and stay quiet for a right backward pass."""

import json

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import reference as ref
from autograder.reference.backprop import hidden_delta, output_delta, param_gradients
from course import layer_hints
from tests.support.notebook import ROOT, student_notebook


def slipped(a_for_dw=0, z_for_delta=0, w_for_delta=0):
    """A backward pass with one layer index off by the given amounts (0, 0, 0: the right one)."""

    def backward(Y, params, cache, hidden_activation, output_activation, loss):
        L = len(params) // 2
        grads = {}
        delta = output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
        for l in range(L, 0, -1):
            grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta, cache[f"A{l - 1 + a_for_dw}"])
            if l > 1:
                delta = hidden_delta(delta, params[f"W{l + w_for_delta}"], cache[f"Z{l - 1 + z_for_delta}"],
                                     hidden_activation)
        return grads

    return backward


@pytest.mark.parametrize("m", [1, 4])
def test_a_right_backward_pass_gets_no_hint(m):
    assert layer_hints.index_slips(ref.backward_batch, m=m) == []
    assert layer_hints.index_slips(slipped(), m=m) == []


@pytest.mark.parametrize("m", [1, 4])
def test_a_for_dw_off_by_one_is_named(m):
    slips = layer_hints.index_slips(slipped(a_for_dw=1), m=m)
    assert slips and slips[0].startswith("dW1, dW2, dW3 do not follow A0, A1, A2: BP4 builds dW[l] from A[l-1]")
    assert slips[0].endswith("(yours follow A1, A2)")


def test_z_in_bp2_off_by_one_is_named():
    slips = layer_hints.index_slips(slipped(z_for_delta=1))
    assert slips == ["dW1, dW2 do not follow Z1, Z2: the error of layer l is scaled by g'(Z[l]) (BP2), so delta[l] "
                     "needs Z[l], not Z[l+1]"]


def test_w_in_bp2_off_by_one_is_named():
    slips = layer_hints.index_slips(slipped(w_for_delta=-1))
    assert any(s.startswith("dW2 does not follow W3: the error of layer l comes back through W[l+1]") for s in slips)
    assert any(s.startswith("dW1, dW2 change with W1, W2:") for s in slips), slips


def test_a_function_that_fails_gets_no_hint_from_here():
    def broken(*args):
        raise NotImplementedError

    assert layer_hints.index_slips(broken) == []
    error = AssertionError("values differ")
    assert layer_hints.with_index_hint(error, broken) is error


def test_the_hint_leads_the_message():
    error = layer_hints.with_index_hint(AssertionError("dW1 has shape (3, 3)"), slipped(a_for_dw=1))
    assert str(error).startswith("Mixed-up layer indices? dW1, dW2, dW3 do not follow A0, A1, A2")
    assert str(error).endswith("(The test said: dW1 has shape (3, 3))")


# ------------------------------------------------------------ in the notebooks' own test cells

def solution(assignment, exercise):
    source = json.loads((ROOT / "source" / assignment / f"{assignment}.ipynb").read_text())
    return next("".join(c["source"]) for c in source["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") == exercise)


def visible_test_error(assignment, exercise, answer):
    """The error a student sees in the visible test of `exercise` with `answer` in its answer cell."""
    notebook = nbformat.reads(json.dumps(student_notebook(assignment, overrides={exercise: answer})),
                              as_version=4)
    test = next(i for i, c in enumerate(notebook.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == f"test_{exercise}")
    notebook.cells = [c for c in notebook.cells[:test + 1]
                      if "demo" not in c.metadata.get("tags", []) and not c.metadata.get("nbgrader", {}).get("grade")
                      or c is notebook.cells[test]]
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(ROOT / "release" / assignment)}})
    client.execute()
    errors = [o for o in notebook.cells[-1].outputs if o.output_type == "error"]
    return f"{errors[0].ename}: {errors[0].evalue}" if errors else ""


@pytest.mark.parametrize("assignment, exercise, right, slip", [
    ("03_backprop", "backward", 'cache[f"A{l - 1}"]', 'cache[f"A{l}"]'),
    ("03_backprop", "backward", 'cache[f"Z{l - 1}"]', 'cache[f"Z{l}"]'),
    ("04_minibatch", "backward_batch", 'cache[f"A{l - 1}"]', 'cache[f"A{l}"]'),
    ("04_minibatch", "backward_batch", 'cache[f"Z{l - 1}"]', 'cache[f"Z{l}"]'),
])
def test_the_visible_test_names_a_slipped_layer_index(assignment, exercise, right, slip):
    answer = solution(assignment, exercise)
    assert right in answer
    seen = visible_test_error(assignment, exercise, answer.replace(right, slip))
    assert seen.startswith("AssertionError: Mixed-up layer indices? dW"), seen
    assert ("not follow A0" if "A{" in slip else "not follow Z1") in seen, seen
