"""The options of a grading run that every job carries to the machine that grades it, and the seed
each submission's verification inputs are drawn from."""

import hashlib
from dataclasses import dataclass, field

from autograder.config import Grader
from autograder.isolation import budget, sandbox

PUBLIC_SECRET = "backprop-course"  # the default when GRADER_SECRET is unset: public, so never silent


def _default(name):
    return Grader.class_traits()[name].default_value


@dataclass
class Options:
    """What a run's jobs carry: the settings of autograder.config (c.Grader, c.SandboxLimits and
    nbgrader's c.Execute.timeout, with the command line's flags on top), and the run's own state."""

    cell_timeout: int | None = None  # None: the course's own c.Execute.timeout, as nbgrader reads it
    notebook_timeout: int = _default("notebook_timeout")
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    interrupt_grace: int = _default("interrupt_grace")
    local_window: int = _default("local_window")
    cluster_window: int = _default("cluster_window")
    unsafe: bool = False
    secret: str = PUBLIC_SECRET  # mixed into verification seeds; instructors set their own (GRADER_SECRET)
    budgets: budget.SlotBudgets = field(default_factory=budget.SlotBudgets)
    # where the folders a sandbox shares with the grader are made (see sandbox.scratch_root)
    scratch: str = field(default_factory=lambda: sandbox.scratch_root(memory_charged=False))


def diagnosis_seed(secret, assignment):
    """One seed for the whole class: lost exercises are diagnosed on the same inputs, so that two students'
    outputs can be compared (autograder.insight.similarity)."""
    digest = hashlib.sha256(f"{secret}/class/{assignment}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def verification_seed(secret, student, assignment):
    digest = hashlib.sha256(f"{secret}/{student}/{assignment}".encode()).digest()
    return int.from_bytes(digest[:8], "little")
