"""Every notebook runs: sources top to bottom (nbval), student releases up to their stubs, and
release/ is exactly what nbgrader generates from source/ today."""

import filecmp
import json
import os
import subprocess
import sys
import time

import pytest

from autograder import authoring
from tests.support.notebook import ROOT, assignment_names, make_course_root, nbgrader

NAMES = assignment_names()


def run_nbval(notebook_path, tmp_path):
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--nbval",
         "--nbval-sanitize-with", str(ROOT / "tests" / "notebooks" / "nbval_sanitize.cfg"), "--rootdir", str(tmp_path),
         str(notebook_path)],
        cwd=notebook_path.parent, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"nbval failed for {notebook_path.name}:\n{result.stdout[-6000:]}"
    return time.perf_counter() - started


def test_there_are_assignments():
    assert NAMES, "no source/<name>/<name>.ipynb found"


def test_source_notebooks_are_built_from_their_percent_sources():
    stale = authoring.stale_notebooks()
    assert not stale, f"rebuild with `make notebooks`: {[str(p.relative_to(ROOT)) for p in stale]}"


def test_release_matches_a_fresh_nbgrader_generate(tmp_path):
    course = make_course_root(tmp_path, NAMES)
    for name in NAMES:
        nbgrader(course, "generate_assignment", name, "--no-db", "--force")
    fresh, committed = course / "release", ROOT / "release"
    comparison = filecmp.dircmp(fresh, committed)
    assert sorted(comparison.left_list) == sorted(comparison.right_list), "release/ has other assignments: make release"
    for name in NAMES:
        for path in sorted((fresh / name).rglob("*")):
            twin = committed / name / path.relative_to(fresh / name)
            assert twin.exists(), f"{twin.relative_to(ROOT)} missing: run make release"
            if path.is_file():
                assert path.read_bytes() == twin.read_bytes(), f"{twin.relative_to(ROOT)} is stale: run make release"
        extra = {p.relative_to(committed / name) for p in (committed / name).rglob("*")} - {
            p.relative_to(fresh / name) for p in (fresh / name).rglob("*")}
        assert not extra, f"release/{name} has files nbgrader does not generate: {sorted(map(str, extra))}"


@pytest.mark.parametrize("name", NAMES)
def test_release_holds_no_solution_and_no_hidden_test(name):
    folder = ROOT / "release" / name
    assert not list(folder.rglob("*.py")), "the percent-format source (with solutions) must not be released"
    text = (folder / f"{name}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "**Model answer.**",
                   "**Rubric.**"):
        assert marker not in text, f"release/{name} contains {marker!r}"


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_asks_two_or_three_written_questions_ready_to_grade(name):
    """Each question has a model answer and a rubric that adds up to its points in the source, and
    an empty answer cell, editable and graded by hand, in the release."""
    source = authoring.build_notebook(ROOT / "source" / name / f"{name}.py")
    assert authoring.answer_problems(source) == []
    released = json.loads((ROOT / "release" / name / f"{name}.ipynb").read_text())
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c for c in released["cells"]
               if c["metadata"].get("nbgrader", {}).get("grade") and c["metadata"]["nbgrader"].get("solution")}
    assert 2 <= len(answers) <= 3, f"{name} has {len(answers)} written questions"
    for grade_id, cell in answers.items():
        assert cell["cell_type"] == "markdown" and not cell["metadata"]["nbgrader"]["locked"], grade_id
        assert "".join(cell["source"]).strip() == "YOUR ANSWER HERE", grade_id


@pytest.mark.parametrize("name", NAMES)
def test_source_notebook_runs_top_to_bottom(name, tmp_path):
    seconds = run_nbval(ROOT / "source" / name / f"{name}.ipynb", tmp_path)
    print(f"{name}: source notebook ran in {seconds:.1f} s (nbval, including kernel start)")


@pytest.mark.parametrize("name", NAMES)
def test_release_notebook_runs_except_graded_cells(name, tmp_path):
    """Only answer and test cells may fail in the student release (they call the stubs)."""
    notebook = json.loads((ROOT / "release" / name / f"{name}.ipynb").read_text())
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") or meta.get("grade"):
            cell["metadata"].setdefault("tags", []).append("raises-exception")
    copy = tmp_path / f"{name}.ipynb"
    copy.write_text(json.dumps(notebook))
    run_nbval(copy, tmp_path)


def test_every_demo_cell_is_safe_to_skip_when_grading():
    problems = [f"{name}: {problem}" for name in NAMES
                for problem in authoring.demo_problems(json.loads((ROOT / "source" / name / f"{name}.ipynb").read_text()))]
    assert not problems, problems
    assert all(authoring.demo_grade_ids(json.loads((ROOT / "source" / name / f"{name}.ipynb").read_text()))
               for name in NAMES), "every notebook's pictures are demo cells"


def demo_notebook(*sources, demos=()):
    cells = [{"cell_type": "code", "source": source, "outputs": [], "execution_count": None,
              "metadata": {"nbgrader": {"grade_id": f"code_{index:02d}", "locked": True, "grade": False,
                                        "solution": False},
                           **({"tags": ["demo"]} if index in demos else {})}}
             for index, source in enumerate(sources)]
    return {"cells": cells}


@pytest.mark.parametrize("sources, demos, problem", [
    (["import numpy as np", "x = np.ones(3)\nplt_data = x * 2", "assert plt_data.sum() == 6"], [1],
     "demo cell code_01 binds names a later cell reads: plt_data"),
    (["params = {'W': 1}", "params['W'] = 2", "assert params['W'] == 1"], [1],
     "demo cell code_01 changes in place: params"),
    (["history = []", "history.append(1)", "print(history)"], [1],
     "demo cell code_01 calls methods of earlier objects: history"),
])
def test_a_demo_cell_that_grading_would_miss_is_refused(sources, demos, problem):
    assert authoring.demo_problems(demo_notebook(*sources, demos=demos)) == [problem]


def test_a_demo_cell_whose_names_are_bound_again_before_use_is_safe():
    notebook = demo_notebook("import numpy as np", "fig = np.ones(2)\nrng = np.random.default_rng(0)",
                             "rng = np.random.default_rng(1)\nfor fig in range(2):\n    print(fig, rng.normal())",
                             demos=[1])
    assert authoring.demo_problems(notebook) == []


def answer_notebook(answer):
    question = {"cell_type": "markdown", "source": "### Written question: why? [2 points, graded by hand]",
                "metadata": {"nbgrader": {"grade_id": "markdown_00", "locked": True, "grade": False, "solution": False}}}
    cell = {"cell_type": "markdown", "source": answer,
            "metadata": {"nbgrader": {"grade_id": "answer_why", "locked": False, "grade": True, "solution": True,
                                      "points": 2}}}
    return {"cells": [question, cell]}


GOOD_ANSWER = ("### BEGIN SOLUTION\n**Model answer.** Because.\n\n**Rubric.**\n- [1.5 points] says because\n"
               "- [0.5 points] says why\n### END SOLUTION")


@pytest.mark.parametrize("answer, problem", [
    (GOOD_ANSWER.replace("[0.5 points]", "[1 point]"), "answer_why: the rubric's bullets add up to 2.5 points, the cell has 2"),
    (GOOD_ANSWER.replace("**Model answer.**", "Model:"), "answer_why: no **Model answer.** inside the solution region"),
    ("**Model answer.** Because.", "answer_why: no BEGIN SOLUTION ... END SOLUTION region"),
])
def test_a_written_question_without_a_complete_rubric_is_refused(answer, problem):
    assert problem in authoring.answer_problems(answer_notebook(answer))


def test_graders_read_every_question_with_its_model_answer_and_rubric():
    notebook = answer_notebook(GOOD_ANSWER)
    assert authoring.answer_problems(notebook) == []
    text = authoring.rubrics(notebook, "zz")
    assert "## answer_why [2 points]" in text and "Written question: why?" in text
    assert "**Model answer.** Because." in text and "- [0.5 points] says why" in text
    assert "SOLUTION" not in text
    listing = subprocess.run([sys.executable, "-m", "autograder.authoring", "rubrics", "06_regularization"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert listing.count("**Rubric.**") == len([c for c in authoring.build_notebook(
        ROOT / "source" / "06_regularization" / "06_regularization.py").cells if "answer_" in str(c.metadata)])


def test_make_lab_turns_off_jupyterlabs_news_popup(tmp_path):
    """The "Jupyter news" notification would cover a notebook's first figures: `make lab` sets the
    venv's JupyterLab defaults so that it never asks, and a student's own settings still win."""
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import _get_overrides, get_settings

    subprocess.run(["make", "-s", "lab-settings"], cwd=ROOT, check=True, capture_output=True)
    app_settings = os.path.join(get_app_dir(), "settings")
    overrides, error = _get_overrides(app_settings)
    assert not error
    settings, _ = get_settings(app_settings, os.path.join(get_app_dir(), "schemas"), str(tmp_path),
                               "@jupyterlab/apputils-extension:notification", overrides=overrides)
    defaults = {name: spec.get("default") for name, spec in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False
