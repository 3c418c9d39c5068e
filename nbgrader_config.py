"""nbgrader configuration for the backprop course (the repository root is the course root)."""

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "backprop-course"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# What students see in place of a solution.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"Write this function, then run the test cell below it.\")"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Execution: a per-cell limit, and a slow kernel start is not a crash.
c.Execute.timeout = 60
c.Execute.raise_on_iopub_timeout = False
# Minimal tracebacks: an error shows its type and message, never the lines of a hidden test.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]

# A student who deletes a test cell does not escape it: nbgrader puts it back and runs it.
c.OverwriteCells.add_missing_cells = True

# Warnings printed to stderr (e.g. a NumPy RuntimeWarning) must not zero a test cell.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?s).*Warning"

# Feedback never shows hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The percent-format .py beside each source notebook holds the solutions: never release it.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]

# Student output is untrusted: the feedback page and the formgrader's view of a submission render it
# sanitised (no <script>, no on* attributes, no JavaScript outputs or widget state), on every origin.
c.HTMLExporter.sanitize_html = True
