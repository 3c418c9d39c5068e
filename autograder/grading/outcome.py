"""The outcome of grading one submission: its scores, status and reasons, the seconds each step took,
and the one-line reasons a failure is given."""

import contextlib
import re
import time
from dataclasses import dataclass, field


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
    # exercise -> its Diagnosis record (autograder.judging.mistakes), when graded now; None: not graded now
    mistakes: dict | None = None


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
