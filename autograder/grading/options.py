"""The options of a grading run that every job carries to the machine that grades it, and the seed
each submission's verification inputs are drawn from."""

import hashlib
from dataclasses import dataclass, field

from autograder.isolation import budget, sandbox

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


def verification_seed(secret, student, assignment):
    digest = hashlib.sha256(f"{secret}/{student}/{assignment}".encode()).digest()
    return int.from_bytes(digest[:8], "little")
