"""Students graded one after another, or side by side, do not reach each other: what one leaves in
its slot is gone before the next is graded and before the next run, and one student's processes
cannot take a classmate's share of the CPU (a budget per slot, not per process).
"""

import json
import os
import pathlib

import pytest

from autograder.grading.environment import remove_stale_runtime_folders
from tests.support.catalog import LITTER_RUNTIME, code
from tests.support.notebook import (
    exercises,
    make_course_root,
    run_grader,
    runtime_folders,
    student_notebook,
    write_submission,
)

ASSIGNMENT = "01_notation"  # the fastest notebook to grade
POINTS = dict(exercises(ASSIGNMENT))
TOTAL = sum(POINTS.values())

# Forty processes spinning for 25 s at most, started by the first answer cell; the kernel goes on
# (its answers sleep, so that the spinners outlive the classmate's notebook: they die with the kernel).
SPIN_40 = code("""
    import os, time
    _end = time.time() + 25
    for _ in range(40):
        if os.fork() == 0:
            while time.time() < _end:
                pass
            os._exit(0)
    print("spinning")
    """)

# About 0.7 s of CPU before each of the last three answers. With a fair share of one core it
# takes that long; squeezed among forty spinners on two cores it would take about 15 s and run
# past the 8 s cell limit, the answer would never be defined, and its points would be lost.
BURN = "_burn = sum(i * i for i in range(12_000_000))\n"


SLEEPY_BLANK_ANSWERS = {ex: f"import time\ntime.sleep(3)\n\ndef {ex}(*args, **kwargs):\n    raise NotImplementedError()"
                        for ex in POINTS}


def heavy_but_honest():
    answers = {cell["metadata"]["nbgrader"]["grade_id"]: cell["source"]
               for cell in student_notebook(ASSIGNMENT)["cells"] if cell["metadata"].get("nbgrader", {}).get("solution")}
    return student_notebook(ASSIGNMENT, {ex: BURN + answers[ex] for ex in list(POINTS)[-3:]})


def test_what_a_student_leaves_behind_reaches_neither_the_next_student_nor_the_next_run(tmp_path):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    write_submission(course, "a_litters", ASSIGNMENT, student_notebook(ASSIGNMENT, prepend=LITTER_RUNTIME))
    write_submission(course, "b_honest", ASSIGNMENT, student_notebook(ASSIGNMENT))
    for run in (1, 2):  # one slot: b_honest is graded right after a_litters, in the same slot
        result, rows = run_grader(course, ASSIGNMENT, "--jobs", "1", *(["--force"] if run == 2 else []))
        assert result.returncode == 0, f"run {run}: {result.stderr[-3000:]}"
        assert {s: (r["status"], float(r["total"])) for s, r in rows.items()} == {
            "a_litters": ("graded", TOTAL), "b_honest": ("graded", TOTAL)}, f"run {run}"
    littered = json.loads((course / "autograded" / "a_litters" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    assert "littered" in json.dumps(littered["cells"]), "the littering cell did not run"
    folders = runtime_folders(course)
    assert len(folders) == 2, folders  # a fresh runtime folder per run...
    assert not [f for f in folders if os.path.exists(f)], "...removed at its end"


AUTOGROUP = pathlib.Path("/proc/sys/kernel/sched_autogroup_enabled")


@pytest.fixture
def no_autogroup():
    """Linux's autogroup already shares the CPU fairly between sessions (each sandbox is one), which
    would hide a missing budget here; many servers run without it. Off while the test runs."""
    before = AUTOGROUP.read_text() if AUTOGROUP.exists() else None
    if before is not None and os.access(AUTOGROUP, os.W_OK):
        AUTOGROUP.write_text("0")
    yield
    if before is not None and os.access(AUTOGROUP, os.W_OK):
        AUTOGROUP.write_text(before)


@pytest.mark.skipif(os.geteuid() != 0, reason="a per-slot CPU budget needs cgroups, which need root here")
def test_forty_spinning_processes_cost_a_classmate_graded_beside_them_nothing(tmp_path, no_autogroup):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    write_submission(course, "spinner", ASSIGNMENT, student_notebook(ASSIGNMENT, SLEEPY_BLANK_ANSWERS, prepend=SPIN_40))
    write_submission(course, "honest", ASSIGNMENT, heavy_but_honest())
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2", "--cell-timeout", "8")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "budget per student: cgroup" in result.stderr, result.stderr
    assert (rows["honest"]["status"], float(rows["honest"]["total"])) == ("graded", TOTAL), rows["honest"]["reason"]
    # The spinner starves its own kernel (one CPU among 41 processes): a cell of its may run past the
    # limit and ignore the interrupt for longer than the grace. Either way it gains nothing.
    spinner = rows["spinner"]
    assert float(spinner["total"]) == 0
    if spinner["status"] == "graded":
        notebook = (course / "autograded" / "spinner" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
        assert "spinning" in notebook, "the spinning cell did not run"
    else:
        assert (spinner["status"], spinner["reason"]) == ("failed", f"{ASSIGNMENT}: a cell ran past 8 s and ignored "
                                                                    "the interrupt"), spinner


def test_a_terminated_run_removes_its_cgroups_and_runtime_folders(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.support.notebook import ROOT, tool_environment

    course = make_course_root(tmp_path, [ASSIGNMENT])
    slow = {ex: "import time\ntime.sleep(50)" for ex in list(POINTS)[:1]}
    write_submission(course, "slow", ASSIGNMENT, student_notebook(ASSIGNMENT, slow))
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "--course-root", str(course), "grade", ASSIGNMENT,
                               "--jobs", "1"], env={**tool_environment(), "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not runtime_folders(course) and time.monotonic() < deadline:  # the kernel has started
        time.sleep(0.5)
    folders = runtime_folders(course)
    assert folders, "the kernel never started"
    grader.send_signal(signal.SIGTERM)
    _, stderr = grader.communicate(timeout=60)
    assert grader.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert not [f for f in folders if os.path.exists(f)], "the runtime folder outlived the run"
    cgroups = [p for p in pathlib.Path("/sys/fs/cgroup").glob(f"*/**/backprop-grader-{grader.pid}")]
    assert not cgroups, cgroups


def test_runtime_folders_of_killed_runs_are_removed_by_the_next(tmp_path):
    import subprocess
    import sys



    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    stale = tmp_path / f"backprop-{finished.pid}-slot0-abc"
    (stale / "left" / "deep").mkdir(parents=True)
    (stale / "left").chmod(0o500)
    live = tmp_path / f"backprop-{os.getpid()}-slot1-def"
    live.mkdir()
    remove_stale_runtime_folders(tmp_path)
    assert not stale.exists() and live.exists()
