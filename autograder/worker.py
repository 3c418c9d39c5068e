"""Grade one student's assignment: nbgrader autograde in the sandbox, integrity verification, feedback.

A worker owns one student at a time (two autogrades of the same student at once corrupt its
folder) and one slot: a long-lived nbgrader process (autograder.slot), a sandbox uid, a cgroup
budget and a kernel runtime folder of its own. Workers share nothing but the gradebook, which
SQLite serialises. Nothing a student leaves in a slot's folders or cgroup outlives their grading.
"""

import contextlib
import hashlib
import json
import os
import pathlib
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field

from . import budget, sandbox, sanitize, verify
from .slot import SlotProcess

PUBLIC_SECRET = "backprop-course"  # the default when GRADER_SECRET is unset: public, so never silent


@dataclass
class Options:
    cell_timeout: int = 60
    notebook_timeout: int = 900
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    interrupt_grace: int = 5  # seconds a timed-out cell has to yield to the interrupt before its kernel dies
    unsafe: bool = False
    secret: str = PUBLIC_SECRET  # mixed into verification seeds; instructors set their own (GRADER_SECRET)
    budgets: budget.SlotBudgets = field(default_factory=budget.SlotBudgets)
    # where the folders a sandbox shares with the grader are made (see sandbox.scratch_root)
    scratch: str = field(default_factory=lambda: sandbox.scratch_root(memory_charged=False))


@dataclass
class AssignmentResult:
    assignment: str
    scores: dict = field(default_factory=dict)  # test grade_id -> points after verification
    max_scores: dict = field(default_factory=dict)
    status: str = "graded"  # graded | flagged | failed
    reasons: list = field(default_factory=list)
    seconds: float = 0.0
    graded_now: bool = True  # False: unchanged since it was last graded, so not graded again
    stages: dict = field(default_factory=dict)  # seconds per step of grading (grade --profile)


@contextlib.contextmanager
def timed(result, stage):
    """Add the seconds the block takes to result.stages[stage]."""
    started = time.perf_counter()
    try:
        yield
    finally:
        result.stages[stage] = result.stages.get(stage, 0.0) + time.perf_counter() - started


INTERNAL_ERROR = "internal error"


def internal_error(assignment, error):
    """The result of a submission whose grading hit an error of the grader's own (never the student's)."""
    return AssignmentResult(assignment, status="failed",
                            reasons=[f"{INTERNAL_ERROR}: {type(error).__name__}: {str(error)[:200]}"])


def _failure_reason(output):
    """A one-line reason from nbgrader's log, for the status column."""
    ignored = re.search(r"IgnoredInterrupt: (a cell ran past \d+ s and ignored the interrupt)", output)
    if ignored:
        return ignored.group(1)
    for pattern, reason in [
        (r"can't start new thread|BlockingIOError|Resource temporarily unavailable",
         "the notebook hit the sandbox's process limit (a fork bomb?) and its kernel died"),
        (r"CellTimeoutError|Timeout waiting for execute reply|timed out", "a cell ran past the time limit"),
        (r"DeadKernelError|Kernel died|kernel died", "the kernel died (the notebook crashed its Python process)"),
        (r"NotJSONError|not valid JSON|Notebook does not appear to be JSON", "the notebook is not valid JSON"),
        (r"MissingEntry|missing from the gradebook", "the notebook's cells do not belong to this assignment"),
        # nbgrader 0.9 meant to fail with "Invalid timestamp string"; it raises from get_existing_timestamp
        (r"Invalid timestamp string|in get_existing_timestamp",
         "timestamp.txt in the submission is not a submission time nbgrader can read"),
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


def _slot_environment(course_root, slot, options, runtime):
    env = tool_environment()
    env.pop("JUPYTER_PATH", None)
    env.pop("GRADER_SECRET", None)  # nbgrader has no use for it
    slot_dir = pathlib.Path(course_root) / ".grading" / f"slot-{slot}"
    if not options.unsafe:
        sandbox.write_kernelspec(slot_dir / "jupyter", slot, options.limits, options.budgets.of(slot))
        env["JUPYTER_PATH"] = str(slot_dir / "jupyter")
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pathlib.Path(__file__).resolve().parent.parent),
                                                      env.get("PYTHONPATH")]))
    return env


def verification_seed(secret, student, assignment):
    digest = hashlib.sha256(f"{secret}/{student}/{assignment}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def remove_stale_runtime_folders(scratch):
    """Runtime folders of runs that were killed before they could remove them."""
    for folder in pathlib.Path(scratch or tempfile.gettempdir()).glob("backprop-*-slot*-*"):
        if folder.is_dir() and not folder.is_symlink() and budget.run_is_over(folder.name, "backprop-"):
            try:  # another run starting now may be removing it too
                if not sandbox.empty_folder(folder):
                    folder.rmdir()
            except OSError:
                pass


def open_slot(course_root, slot, options):
    """The long-lived nbgrader process of worker slot `slot` (see autograder.slot).

    Its kernels' runtime folder (IPC sockets, connection file) is the one folder they can write
    that the grader reads: a fresh one for each run, emptied after each request, removed at the end.
    """
    slot_dir = pathlib.Path(course_root) / ".grading" / f"slot-{slot}"
    slot_dir.mkdir(parents=True, exist_ok=True)
    # Never under the course: an IPC socket's path must stay within 107 bytes.
    runtime = pathlib.Path(tempfile.mkdtemp(prefix=f"backprop-{os.getpid()}-slot{slot}-", dir=options.scratch))
    runtime.chmod(0o1777)  # the sandbox uid creates its IPC sockets here
    env = _slot_environment(course_root, slot, options, runtime)
    return SlotProcess(course_root, slot, env, options.cell_timeout, options.unsafe, slot_dir / "slot.log",
                       runtime=runtime, cgroups=options.budgets.of(slot), interrupt_grace=options.interrupt_grace)


# The grader's modules that decide a score (not those that collect, report or export).
GRADING_MODULES = ("worker.py", "slot.py", "execute.py", "overwrite.py", "sandbox.py", "sanitize.py", "verify.py",
                   "verify_runner.py", "verify_specs.py", "gradebook.py", "late.py")


def course_version(course_root, assignment):
    """A digest of everything besides the submission that decides a grade: the assignment's source
    folder, the grader with its reference, and the course configuration."""
    root, grader = pathlib.Path(course_root), pathlib.Path(__file__).resolve().parent
    files = sorted(p for p in (root / "source" / assignment).rglob("*") if p.is_file())
    files += sorted((grader / "reference").rglob("*.py")) + [grader / name for name in GRADING_MODULES]
    files.append(root / "nbgrader_config.py")
    digest = hashlib.sha256()
    for path in files:
        if "__pycache__" not in path.parts and path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def submission_digests(course_root, student, assignment, version):
    """(notebook, inputs): a digest of the submitted notebook's bytes, and of everything a grading of
    it depends on (the notebook, its submission time, the course version)."""
    folder = pathlib.Path(course_root) / "submitted" / student / assignment
    notebook = hashlib.sha256((folder / f"{assignment}.ipynb").read_bytes()).hexdigest()
    stamp, text = folder / "timestamp.txt", b""
    if stamp.is_file() and not stamp.is_symlink():
        with stamp.open("rb") as handle:  # the student's exchange folder wrote it: a time is a few bytes
            text = handle.read(4096)
    inputs = hashlib.sha256(b"\0".join([notebook.encode(), text, version.encode()])).hexdigest()
    return notebook, inputs


def grade_assignment(course_root, student, assignment, *, slot, slot_process, options, gradebook, notebook_digest):
    """Autograde, then verify every exercise nbgrader awarded points to; returns AssignmentResult.

    Scores are the gradebook's after verification, so an instructor's manual score counts.
    """
    started = time.perf_counter()
    result = AssignmentResult(assignment)
    slot_start = slot_process.start_seconds
    with timed(result, "autograde"):
        success, output = slot_process.request("autograde", assignment, student, timeout=options.notebook_timeout)
    if slot_process.start_seconds > slot_start:  # this request started the slot: nbgrader's imports, once
        result.stages["slot start"] = slot_process.start_seconds - slot_start
        result.stages["autograde"] -= result.stages["slot start"]
    autograded = pathlib.Path(course_root) / "autograded" / student / assignment / f"{assignment}.ipynb"
    if success is None:
        result.status, result.reasons = "failed", [f"grading took longer than {options.notebook_timeout} s"]
    elif not success or not autograded.exists():
        result.status, result.reasons = "failed", [_failure_reason(output)]
    if result.status == "failed":
        result.seconds = time.perf_counter() - started
        return result

    with timed(result, "sanitize"):
        removed = sanitize.sanitize_submission(autograded.parent)
    if removed:
        result.reasons.append("not kept in the autograded copy (a browser would run them, or not readable "
                              f"notebooks): {', '.join(removed)}")
    # Verification judges what the tests awarded, not what an earlier override left.
    with timed(result, "gradebook"):
        awarded = [name[len("test_"):] for name, grade in gradebook.scores(assignment, student).items()
                   if name.startswith("test_") and (grade["auto_score"] or 0) > 0]
    notebook = json.loads(autograded.read_text())
    with timed(result, "verify"):
        verdicts = verify.verify(notebook, awarded, seed=verification_seed(options.secret, student, assignment),
                                 slot=slot, limits=options.limits, unsafe=options.unsafe,
                                 cgroups=options.budgets.of(slot), scratch=options.scratch)
    refuted = {exercise: reason for exercise, reason in verdicts.items() if reason}
    with timed(result, "gradebook"):
        flag_reasons = gradebook.apply_verdicts(assignment, student, refuted, notebook_digest)
        grades = gradebook.scores(assignment, student)
    if flag_reasons:
        result.status = "flagged"
        result.reasons = [*flag_reasons, *result.reasons]
    result.max_scores = {name: g["max_score"] for name, g in grades.items()}
    result.scores = {name: g["score"] for name, g in grades.items()}
    result.seconds = time.perf_counter() - started
    return result


def write_feedback(student, assignment, slot_process):
    """nbgrader's feedback page for one graded submission: None, or why it was not written."""
    ok, output = slot_process.request("feedback", assignment, student, timeout=300)
    return None if ok else f"feedback not generated: {_failure_reason(output)}"
