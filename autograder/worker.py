"""Grade one student's assignment: nbgrader autograde in the sandbox, integrity verification, feedback.

A worker owns one student at a time (two autogrades of the same student at once corrupt its
folder) and one slot: a long-lived nbgrader process (autograder.slot), a sandbox uid and a kernel
runtime folder of its own. Workers share nothing but the gradebook, which SQLite serialises.
"""

import hashlib
import json
import os
import pathlib
import re
import sys
import time
from dataclasses import dataclass, field

from . import sandbox, verify
from .slot import SlotProcess


@dataclass
class Options:
    cell_timeout: int = 60
    notebook_timeout: int = 900
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    unsafe: bool = False
    secret: str = "backprop-course"  # mixed into verification seeds; instructors may set their own


@dataclass
class AssignmentResult:
    assignment: str
    scores: dict = field(default_factory=dict)  # test grade_id -> points after verification
    max_scores: dict = field(default_factory=dict)
    status: str = "graded"  # graded | flagged | failed
    reasons: list = field(default_factory=list)
    seconds: float = 0.0


def _failure_reason(output):
    """A one-line reason from nbgrader's log, for the status column."""
    for pattern, reason in [
        (r"can't start new thread|BlockingIOError|Resource temporarily unavailable",
         "the notebook hit the sandbox's process limit (a fork bomb?) and its kernel died"),
        (r"CellTimeoutError|Timeout waiting for execute reply|timed out", "a cell ran past the time limit"),
        (r"DeadKernelError|Kernel died|kernel died", "the kernel died (the notebook crashed its Python process)"),
        (r"NotJSONError|not valid JSON|Notebook does not appear to be JSON", "the notebook is not valid JSON"),
        (r"MissingEntry|missing from the gradebook", "the notebook's cells do not belong to this assignment"),
    ]:
        if re.search(pattern, output):
            return reason
    lines = [line for line in output.splitlines() if "ERROR" in line]
    return (lines[-1].split("]", 1)[-1].strip() if lines else "nbgrader autograde failed")[:200]


def tool_environment():
    """os.environ with this interpreter's bin/ first on PATH: nbgrader runs `alembic` from there."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _slot_environment(course_root, slot, options):
    env = tool_environment()
    env.pop("JUPYTER_PATH", None)
    slot_dir = pathlib.Path(course_root) / ".grading" / f"slot-{slot}"
    runtime = slot_dir / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o1777)  # the sandbox uid creates its IPC sockets here
    for stale in runtime.iterdir():  # sockets and connection copies of the slot's previous kernel
        stale.unlink()
    if not options.unsafe:
        sandbox.write_kernelspec(slot_dir / "jupyter", slot, options.limits)
        env["JUPYTER_PATH"] = str(slot_dir / "jupyter")
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pathlib.Path(__file__).resolve().parent.parent),
                                                      env.get("PYTHONPATH")]))
    return env


def verification_seed(secret, student, assignment):
    digest = hashlib.sha256(f"{secret}/{student}/{assignment}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def open_slot(course_root, slot, options):
    """The long-lived nbgrader process of worker slot `slot` (see autograder.slot)."""
    env = _slot_environment(course_root, slot, options)
    log_path = pathlib.Path(course_root) / ".grading" / f"slot-{slot}" / "slot.log"
    return SlotProcess(course_root, slot, env, options.cell_timeout, options.unsafe, log_path)


def grade_assignment(course_root, student, assignment, *, slot, slot_process, options, gradebook):
    """Autograde, then verify every exercise nbgrader awarded points to; returns AssignmentResult."""
    started = time.perf_counter()
    result = AssignmentResult(assignment)
    success, output = slot_process.request("autograde", assignment, student, timeout=options.notebook_timeout)
    autograded = pathlib.Path(course_root) / "autograded" / student / assignment / f"{assignment}.ipynb"
    if success is None:
        result.status, result.reasons = "failed", [f"grading took longer than {options.notebook_timeout} s"]
    elif not success or not autograded.exists():
        result.status, result.reasons = "failed", [_failure_reason(output)]
    if result.status == "failed":
        result.seconds = time.perf_counter() - started
        return result

    gradebook.clear_withdrawals(assignment, student)
    grades = gradebook.scores(assignment, student)
    result.max_scores = {name: g["max_score"] for name, g in grades.items()}
    result.scores = {name: g["score"] for name, g in grades.items()}
    awarded = [name[len("test_"):] for name, score in result.scores.items() if score > 0 and name.startswith("test_")]
    notebook = json.loads(autograded.read_text())
    verdicts = verify.verify(notebook, awarded, seed=verification_seed(options.secret, student, assignment),
                             slot=slot, limits=options.limits, unsafe=options.unsafe)
    refuted = {exercise: reason for exercise, reason in verdicts.items() if reason}
    for exercise, reason in refuted.items():
        gradebook.withdraw(assignment, student, exercise, reason)
        result.scores[f"test_{exercise}"] = 0.0
    if refuted:
        result.status = "flagged"
        result.reasons = [f"{exercise}: points withdrawn, outputs disagree with the reference ({reason})"
                          for exercise, reason in sorted(refuted.items())]
    feedback_ok, feedback_output = slot_process.request("feedback", assignment, student, timeout=300)
    if not feedback_ok:
        result.reasons.append(f"feedback not generated: {_failure_reason(feedback_output)}")
    result.seconds = time.perf_counter() - started
    return result
