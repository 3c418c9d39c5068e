"""nbgrader configuration for the backprop course (the repository root is the course root)."""

import importlib.util
import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

# The course's own nbgrader plugins (autograder.record.late, autograder.export.lms) import from the course root,
# whichever folder nbgrader is started from.
COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))
if COURSE_ROOT not in sys.path:
    sys.path.insert(0, COURSE_ROOT)
# nbgrader runs `alembic` by name when it creates gradebook.db: the tools beside the Python that runs
# nbgrader (the course's .venv/bin) come first on PATH, also from a shell where the venv is not active.
_TOOLS = os.path.dirname(sys.executable)
if _TOOLS not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([_TOOLS, os.environ.get("PATH", "")])

# `nbgrader db assignment add` stops before anything is stored when it names no notebook of source/
# (01-notation for 01_notation) or has a due date nbgrader would misread (05/12/2026 is read month
# first; a zone abbreviation such as BST is dropped, the time read as UTC): autograder.record.db_add.
if "add" in sys.argv and "assignment" in sys.argv:
    from autograder.record.db_add import refuse_unclear_assignment

    refuse_unclear_assignment(sys.argv, os.path.join(COURSE_ROOT, "source"))

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
# Feedback pages load nothing from outside (nbgrader's template would load MathJax from a CDN): formulas
# become MathML when the page is made, from a fixed list of harmless elements (autograder.grading.offline_math).
# Set for GenerateFeedback's exporter only: the formgrader keeps its own template. Only where the grader is
# installed (never on a student's server, which reads this file too).
if importlib.util.find_spec("autograder") is not None:
    c.GenerateFeedback.HTMLExporter.template_name = "feedback_offline"
    c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [
        os.path.join(os.path.dirname(importlib.util.find_spec("autograder").origin), "grading", "templates"),
        os.path.join(os.path.dirname(importlib.util.find_spec("nbgrader").origin), "server_extensions", "formgrader",
                     "templates"),
    ]
    c.GenerateFeedback.HTMLExporter.filters = {"markdown2html": "autograder.grading.offline_math.markdown2html"}

# The percent-format .py beside each source notebook holds the solutions: never release it.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]

# Student output is untrusted: the feedback page and the formgrader's view of a submission render it
# sanitised (no <script>, no on* attributes, no JavaScript outputs or widget state), on every origin.
c.HTMLExporter.sanitize_html = True

# Late submissions: nbgrader computes the lateness (submission time from timestamp.txt against the
# due date in the gradebook plus any extension); this plugin turns it into a penalty. Choose one:
#   nbgrader's own:  plugin_class = "nbgrader.plugins.LateSubmissionPlugin" with
#                    c.LateSubmissionPlugin.penalty_method = "none" (the default) or "zero";
#   ours (below):    a share of the score per started hour late, capped at the whole score.
c.AssignLatePenalties.plugin_class = "autograder.late.PerHourPenalty"
c.PerHourPenalty.percent_per_hour = 2.0
c.PerHourPenalty.grace_minutes = 0.0
# The course's time zone (an IANA name): the grader's terminal summary and reports/summary.html show
# each due date in UTC and in this zone, beside the late students (autograder.record.late_report).
c.CourseCalendar.timezone = "UTC"

# The exchange (release, fetch, submit, collect; the Assignment List) for a course run on one machine:
# a folder of the course root, beside this file, so that each copy of the course has its own.
# `make lab` (or `make exchange`) creates it world-writable (0777), as nbgrader asks of an exchange.
# The cache (nbgrader's record of what was submitted from here) lives beside it rather than in
# ~/.local/share/jupyter, so that deleting both folders resets the course's exchange completely.
# On a hub the exchange is the course's exchange service instead (deploy/jupyterhub/exchange_service.py):
# the hub names it in BACKPROP_EXCHANGE_URL for every server it starts.
if os.environ.get("BACKPROP_EXCHANGE_URL"):  # a hub's server: the course's exchange service, never a folder
    from course.exchange import use_exchange_service

    use_exchange_service(c, os.environ["BACKPROP_EXCHANGE_URL"])
else:
    c.Exchange.root = os.environ.get("BACKPROP_EXCHANGE_ROOT") or os.path.join(COURSE_ROOT, "exchange")
    c.Exchange.cache = os.path.join(COURSE_ROOT, "exchange-cache")
    # Collecting copies plain files only: nbgrader's own collect follows links, which could bring any
    # file the instructor can read into submitted/.
    c.ExchangeFactory.collect = "course.exchange.folder.Collect"
