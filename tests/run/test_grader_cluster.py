"""Grading on a real Dask cluster (a scheduler and two workers on loopback, started by the test):
the same grades as on this machine's own slots, and a worker killed mid-run loses no grade and
counts none twice."""

import csv
import subprocess
import sys
import time

import pytest
from nbgrader.api import Gradebook

from tests.support.cluster import LocalDaskCluster
from tests.support.notebook import (
    ROOT,
    exercises,
    make_course_root,
    run_grader,
    student_notebook,
    tool_environment,
    write_submission,
)

ASSIGNMENT = "02_forward"
TOTAL = sum(points for _, points in exercises(ASSIGNMENT))
WRONG_SIGMOID = "def sigmoid(z):\n    return z"
# Every failing test cell passes, whatever the answers: verification withdraws the points.
SWALLOW_ERRORS = ('get_ipython().input_transformers_post.append(lambda lines: ["try:\\n"] + '
                  '["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"])')


def class_course(parent, students):
    course = make_course_root(parent, [ASSIGNMENT])
    for student, notebook in students.items():
        write_submission(course, student, ASSIGNMENT, notebook)
    return course


def students():
    return {
        "alice": student_notebook(ASSIGNMENT),
        "bob": student_notebook(ASSIGNMENT, {"sigmoid": WRONG_SIGMOID}),
        "carol": student_notebook(ASSIGNMENT, {"sigmoid": WRONG_SIGMOID}, prepend=SWALLOW_ERRORS),
        "dave": student_notebook(ASSIGNMENT),
    }


def graded(rows):
    return {student: (row["status"], row["total"], row["reason"]) for student, row in rows.items()}


def submissions_in(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return sorted((s.student.id, s.assignment.name) for s in gradebook.find_assignment(ASSIGNMENT).submissions)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalDaskCluster(tmp_path_factory.mktemp("dask"), workers=2) as running:
        running.wait_for_workers(2)
        yield running


def test_a_class_grades_the_same_on_a_dask_cluster_as_on_this_machine(cluster, tmp_path):
    local = class_course(tmp_path / "local", students())
    result, expected = run_grader(local, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert expected["alice"]["status"] == "graded" and float(expected["alice"]["total"]) == TOTAL
    assert expected["carol"]["status"] == "flagged", expected["carol"]["reason"]

    on_cluster = class_course(tmp_path / "cluster", students())
    result, rows = run_grader(on_cluster, ASSIGNMENT, "--cluster", cluster.address)
    assert result.returncode == 0, result.stderr
    assert graded(rows) == graded(expected)
    assert "4 submissions graded" in result.stdout
    for student in students():
        assert (on_cluster / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
        assert (on_cluster / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    # Jobs ran on both workers, in their own slots, and the grader's machine ran none.
    assert not (on_cluster / ".grading").exists()
    assert all(any((folder / "slot.log").is_file() for folder in cluster.slot_folders(n)) for n in range(2))

    result, again = run_grader(on_cluster, ASSIGNMENT, "--cluster", cluster.address)
    assert result.returncode == 0 and graded(again) == graded(rows)
    assert "0 submissions graded, 4 unchanged" in result.stdout


def test_a_worker_lost_mid_run_loses_no_grade_and_counts_none_twice(tmp_path):
    names = [f"student{number}" for number in range(4)]
    course = class_course(tmp_path / "course", {name: student_notebook(ASSIGNMENT) for name in names})
    with LocalDaskCluster(tmp_path / "dask", workers=2) as cluster:
        cluster.wait_for_workers(2)
        env = {**tool_environment(), "PYTHONPATH": str(ROOT)}
        run = subprocess.Popen([sys.executable, "-m", "autograder", "--course-root", str(course), "grade", ASSIGNMENT,
                                "--cluster", cluster.address], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Kill worker 0 while it is grading: its slot has started nbgrader on a submission.
        deadline = time.monotonic() + 120
        while not any(list(folder.glob("course/submitted/*")) for folder in cluster.slot_folders(0)):
            assert time.monotonic() < deadline and run.poll() is None, "worker 0 never started a job"
            time.sleep(0.1)
        time.sleep(1.0)
        cluster.kill_worker(0)
        stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    with (course / "reports" / "grades.csv").open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert {s: (r["status"], float(r["total"])) for s, r in rows.items()} == {s: ("graded", TOTAL) for s in names}
    assert submissions_in(course) == sorted((s, ASSIGNMENT) for s in names), "one submission each, none twice"
    assert "4 submissions graded" in stdout


def test_an_unreachable_cluster_is_refused_with_its_address(tmp_path):
    course = class_course(tmp_path / "course", {"alice": student_notebook(ASSIGNMENT)})
    result, _ = run_grader(course, ASSIGNMENT, "--cluster", "tcp://127.0.0.1:9", timeout=120)
    assert result.returncode == 2
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in result.stderr
    assert not (course / "autograded").exists()


def test_a_worker_that_cannot_isolate_student_code_is_refused_with_the_reason(tmp_path):
    course = class_course(tmp_path / "course", {"alice": student_notebook(ASSIGNMENT)})
    with LocalDaskCluster(tmp_path / "dask", workers=1, worker_env={"BACKPROP_BWRAP": "/nonexistent/bwrap"}) as cluster:
        cluster.wait_for_workers(1)
        result, _ = run_grader(course, ASSIGNMENT, "--cluster", cluster.address, timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"a worker of {cluster.address} cannot isolate student code" in result.stderr
    assert "bubblewrap (bwrap) is not installed" in result.stderr
    assert not (course / "autograded").exists()
