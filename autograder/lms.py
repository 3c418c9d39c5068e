"""The names nbgrader_config.py files have used for the LMS exports (autograder.export.lms)."""

from autograder.export.lms import CanvasExport, MoodleExport  # noqa: F401 - nbgrader export --exporter names them here
