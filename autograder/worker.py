"""What grading shares between the coordinator and the machines that run its jobs.

Options of a run, the result of one submission, the reasons a failure is given, the environment of
a slot's nbgrader process, and the digests that decide whether a submission needs grading again.
"""

import contextlib
import functools
import hashlib
import os
import pathlib
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field

from . import budget, sandbox

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


def failure_reason(output):
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


def slot_environment(folder, slot, options, runtime):
    """The environment of a slot's nbgrader process: its kernelspec (the sandbox) and runtime folder."""
    env = tool_environment()
    env.pop("JUPYTER_PATH", None)
    env.pop("GRADER_SECRET", None)  # nbgrader has no use for it
    if not options.unsafe:
        sandbox.write_kernelspec(pathlib.Path(folder) / "jupyter", slot, options.limits, options.budgets.of(slot))
        env["JUPYTER_PATH"] = str(pathlib.Path(folder) / "jupyter")
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


# The grader's modules that decide a score (not those that collect, report or export).
GRADING_MODULES = ("worker.py", "job.py", "slot.py", "execute.py", "overwrite.py", "fast_steps.py", "sandbox.py",
                   "sanitize.py", "leaks.py", "verify.py", "verify_runner.py", "verify_specs.py", "judging.py",
                   "draw.py", "coordinator.py", "gradebook.py", "late.py")


def _digest(files):
    digest = hashlib.sha256()
    for path in files:
        if "__pycache__" not in path.parts and path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def grader_version():
    """A digest of the grading code with its reference, as this process first found it: workers
    must run the coordinator's."""
    grader = pathlib.Path(__file__).resolve().parent
    return _digest(sorted((grader / "reference").rglob("*.py")) + [grader / name for name in GRADING_MODULES])


def course_version(course_root, assignment):
    """A digest of everything besides the submission that decides a grade: the assignment's source
    folder, the grader with its reference, and the course configuration."""
    root = pathlib.Path(course_root)
    files = sorted(p for p in (root / "source" / assignment).rglob("*") if p.is_file())
    return hashlib.sha256(f"{_digest(files + [root / 'nbgrader_config.py'])}/{grader_version()}".encode()).hexdigest()


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
