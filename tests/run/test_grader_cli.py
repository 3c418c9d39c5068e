"""The grader's CLI on an LMS zip, run again after a resubmission, and the student bundle."""

import csv
import json
import os
import subprocess
import sys
import zipfile

import pytest

from autograder.grading.environment import tool_environment
from autograder.grading.options import Options
from tests.support.notebook import ROOT, exercises, make_course_root, run_grader, student_notebook, write_submission

ASSIGNMENT = "01_notation"
TOTAL = sum(points for _, points in exercises(ASSIGNMENT))
SWALLOW_ERRORS = ('get_ipython().input_transformers_post.append(lambda lines: ["try:\\n"] + '
                  '["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"])')
WRONG_COUNT = "def count_parameters(layer_sizes):\n    return 0"


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, notebook in members.items():
            archive.writestr(name, notebook if isinstance(notebook, str) else json.dumps(notebook))
    return path


def table(course):
    with (course / "reports" / "grades.csv").open() as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course_root(tmp_path_factory.mktemp("lms"), [ASSIGNMENT])


def test_lms_zip_grading_is_idempotent_and_follows_resubmissions(course, tmp_path):
    blank = {ex: f"def {ex}(*args, **kwargs):\n    raise NotImplementedError()" for ex, _ in exercises(ASSIGNMENT)}
    first = make_zip(tmp_path / "download.zip", {
        f"alice_{ASSIGNMENT}.ipynb": student_notebook(ASSIGNMENT),
        f"bob/{ASSIGNMENT}.ipynb": student_notebook(ASSIGNMENT, {"count_parameters": WRONG_COUNT}),
        f"mallory_{ASSIGNMENT}.ipynb": student_notebook(ASSIGNMENT, blank, prepend=SWALLOW_ERRORS),
        f"carol_{ASSIGNMENT}.ipynb": '{"cells": [',
    })
    result, rows = run_grader(course, ASSIGNMENT, "--from", str(first), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    # No GRADER_SECRET here: the public default seed is used, and said so, not silently.
    assert result.stderr.count("GRADER_SECRET is not set") == 1
    assert "GRADER_SECRET is not set" in (course / "reports" / "summary.html").read_text()
    summary = {s: (float(r["total"]), r["status"]) for s, r in rows.items()}
    assert summary == {"alice": (TOTAL, "graded"), "bob": (TOTAL - 1, "graded"), "mallory": (0, "flagged"),
                       "carol": (0, "failed")}

    result, again = run_grader(course, ASSIGNMENT, "--from", str(first), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert again == rows, "grading the same input twice must give the same table"

    # Mallory hands in an honest notebook: the earlier withdrawal must not stick to it.
    resubmission = make_zip(tmp_path / "resubmission.zip", {f"mallory_{ASSIGNMENT}.ipynb": student_notebook(ASSIGNMENT)})
    result, rows = run_grader(course, ASSIGNMENT, "--from", str(resubmission), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert (float(rows["mallory"]["total"]), rows["mallory"]["status"]) == (TOTAL, "graded")
    assert float(rows["alice"]["total"]) == TOTAL, "students not in this zip keep their submission"
    assert (course / "feedback" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()


def test_an_error_of_the_grader_fails_that_student_and_the_class_goes_on(tmp_path, monkeypatch):
    from autograder import collect
    from autograder.grading import job
    from autograder.run.coordinator import grade_class

    course = make_course_root(tmp_path, [ASSIGNMENT])
    for student in ("alice", "bob", "carol"):
        write_submission(course, student, ASSIGNMENT, student_notebook(ASSIGNMENT))
    run_grade = job.run_grade

    def grade_or_fail(grade_job, slot):
        if grade_job.student == "bob":
            raise KeyError("a bug of ours, met while grading bob")
        return run_grade(grade_job, slot)

    monkeypatch.setattr(job, "run_grade", grade_or_fail)
    monkeypatch.setenv("PATH", tool_environment()["PATH"])  # nbgrader's gradebook runs `alembic`
    submissions = collect.collect_directory(course / "submitted", collect.load_assignments(course))
    results = grade_class(course, [ASSIGNMENT], submissions, Options(unsafe=True), jobs=2)
    assert {student: outcome[ASSIGNMENT].status for student, outcome in results.items()} == {
        "alice": "graded", "bob": "failed", "carol": "graded"}
    assert results["bob"][ASSIGNMENT].reasons == ["internal error: KeyError: 'a bug of ours, met while grading bob'"]


def test_unusable_zip_is_refused_with_its_name(course, tmp_path):
    empty = make_zip(tmp_path / "empty.zip", {})
    result, _ = run_grader(course, ASSIGNMENT, "--from", str(empty))
    assert result.returncode == 2 and "empty.zip" in result.stderr


def test_unknown_assignment_is_refused_by_name(course):
    result, _ = run_grader(course, "09_transformers")
    assert result.returncode != 0
    assert "no source notebook for 09_transformers" in result.stderr
    result, _ = run_grader(course, "01_notaton")
    assert result.returncode != 0 and "no source notebook for 01_notaton (did you mean 01_notation?)" in result.stderr
    result, _ = run_grader(course, "--student", "alcie")
    assert result.returncode == 2 and "unknown student 'alcie'" in result.stderr


def test_student_bundle_installs_and_imports_elsewhere(tmp_path):
    output = tmp_path / "bundle.zip"
    subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(ROOT), "bundle", "--output", str(output)],
                   check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True)
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unpacked")
    root = "backprop-course/"
    assert f"{root}HOWTO.md" in names and f"{root}requirements.txt" in names and f"{root}pyproject.toml" in names
    assert {f"{root}release/{a}/{a}.ipynb" for a in ("01_notation", "02_forward", "03_backprop", "04_minibatch")} <= set(names)
    assert not [n for n in names if n.startswith((f"{root}source", f"{root}autograder")) or n.endswith(".pyc")]
    for name in names:
        if name.endswith(".ipynb"):
            text = (tmp_path / "unpacked" / name).read_text()
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(tmp_path / "unpacked" / "backprop-course")], check=True)
    probe = subprocess.run([sys.executable, "-c", "import course.check, course.data; print(course.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(site)))
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().startswith(str(site))


def test_grading_leaves_out_the_demo_cells_unless_configured_to_run_them(tmp_path):
    from autograder.grading.execute import demo_grade_ids

    assignment = "02_forward"
    demos = demo_grade_ids(json.loads((ROOT / "source" / assignment / f"{assignment}.ipynb").read_text()))
    ran = {}
    for run_all in (False, True):
        course = make_course_root(tmp_path / f"run_all_{run_all}", [assignment])
        if run_all:
            with (course / "nbgrader_config.py").open("a") as config:
                config.write("\nc.GuardedExecute.skip_demo_cells = False\n")
        write_submission(course, "alice", assignment, student_notebook(assignment))
        result, rows = run_grader(course, assignment, "--jobs", "1")
        assert result.returncode == 0, result.stderr
        assert rows["alice"]["status"] == "graded"
        assert float(rows["alice"]["total"]) == sum(points for _, points in exercises(assignment))
        graded = json.loads((course / "autograded" / "alice" / assignment / f"{assignment}.ipynb").read_text())
        ran[run_all] = {c["metadata"]["nbgrader"]["grade_id"] for c in graded["cells"]
                        if c["cell_type"] == "code" and c.get("execution_count") is not None}
    assert demos and not demos & ran[False], "demo cells ran during grading"
    assert demos <= ran[True] and ran[True] - demos == ran[False], "only the demo cells may be left out"
