"""The name nbgrader_config.py files have used for the late-submission plugin (autograder.record.late)."""

from autograder.record.late import PerHourPenalty  # noqa: F401 - c.AssignLatePenalties.plugin_class names it here
