"""What students import in the backprop course: data, plots, widgets, self-checks, array backend.

Never solutions: the reference implementation lives in ``autograder/`` (instructor-only).
"""

__all__ = ["backend", "check", "data", "widgets"]
