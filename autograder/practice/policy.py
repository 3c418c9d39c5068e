"""What practice grading does with each submission, as the instructor configures it (c.PracticeGrading).

A submission is decided once, when the service first sees it, from its receipt alone (the exchange's
clock, the student, the assignment) and the decisions before it: so the same submissions get the same
decisions whether the service saw them as they came or after a restart.

- "grade": graded, and the page shows what the assignment's level allows (score, per_exercise, full);
- "limited": the student had `per_window` practice gradings of this assignment in the last
  `window_minutes`; the page says when the next one is allowed;
- "off": practice feedback is off for this assignment; "closed": outside the configured window
  (before or after the due date).

The submission itself is always received and counts for the deadline: only practice grading is refused.
"""

import dataclasses
import datetime

from traitlets import Dict, Enum, Float, Integer
from traitlets.config import Configurable

LEVELS = ("off", "score", "per_exercise", "full")
WHEN = ("always", "before_due", "after_due")


class PracticeGrading(Configurable):
    """The hub's practice grading service (deploy/jupyterhub/grading_service.py): c.PracticeGrading.<name>."""

    default_level = Enum(LEVELS, "off", help="what a student sees of each submission's practice grading, for an "
                                             "assignment `levels` does not name: off, score (the score so far), "
                                             "per_exercise (passed or the named mistake), full (the feedback page "
                                             "without hidden tests)").tag(config=True)
    levels = Dict(value_trait=Enum(LEVELS), help="per assignment, e.g. {'01_notation': 'full', '08_capstone': "
                                                 "'score'}; others get default_level").tag(config=True)
    when = Enum(WHEN, "always", help="when practice grading is offered: always, before_due (until the due date the "
                                     "instructor released the assignment with) or after_due").tag(config=True)
    per_window = Integer(3, min=1, help="practice gradings one student may have of one assignment in window_minutes"
                         ).tag(config=True)
    window_minutes = Integer(60, min=1, help="the rate limit's window, in minutes").tag(config=True)
    batch = Integer(8, min=1, help="submissions (of different students) graded in one run of the grader: larger "
                                   "batches share the run's start-up under a deadline rush").tag(config=True)
    jobs = Integer(1, min=1, help="submissions one lane grades at once (lanes x jobs: the service's share of the "
                                  "CPUs beside the hub and the class's servers)").tag(config=True)
    lanes = Integer(2, min=1, help="grading runs side by side, each in a course root of its own: a submission "
                                   "that hangs holds its own lane only").tag(config=True)
    cell_timeout = Integer(20, min=1, help="seconds one cell may run in practice grading (the instructor's run "
                                           "keeps c.Execute.timeout)").tag(config=True)
    notebook_timeout = Integer(120, min=10, help="seconds one submission may take in practice grading; a hung "
                                                 "one holds its lane (and its batch) at most this long"
                               ).tag(config=True)
    max_attempts = Integer(3, min=1, help="times a submission is tried again after the service stopped while "
                                          "grading it; then the student is told it could not be graded"
                           ).tag(config=True)
    poll_seconds = Float(2.0, min=0.2, help="seconds between two looks at the exchange for new submissions"
                         ).tag(config=True)

    def level(self, assignment):
        return self.levels.get(assignment, self.default_level)


RECEIVED = "This submission is received and counts for the deadline as usual."
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # the exchange's receipts (nbgrader's timestamp format, in UTC)


def parse_time(text):
    """A receipt's `received` (or a due date "YYYY-MM-DD HH:MM:SS[.ffffff] UTC") as an aware UTC datetime."""
    text = text.strip().removesuffix(" UTC")
    for form in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, form).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    raise ValueError(f"not a time the exchange writes: {text!r}")


def clock_text(moment, seconds=False):
    return moment.strftime(f"%Y-%m-%d %H:%M{':%S' if seconds else ''} UTC")


@dataclasses.dataclass(frozen=True)
class Decision:
    kind: str  # grade, limited, off, closed
    level: str
    next_allowed: str = ""  # limited: the exchange-time text from which the next is graded
    reason: str = ""  # one line for the student (not for "grade")


def decide(settings, assignment, received, graded_before, due=None):
    """The Decision for a submission received at `received` (aware datetime).

    graded_before: the times of this student's earlier submissions of this assignment decided "grade";
    due: the assignment's due date (aware datetime) or None."""
    level = settings.level(assignment)
    if level == "off":
        return Decision("off", level, reason=f"Practice feedback is off for {assignment}. {RECEIVED}")
    if due is not None and settings.when == "before_due" and received > due:
        return Decision("closed", level, reason=f"Practice feedback for {assignment} ended at its due date, "
                                                f"{clock_text(due)}. {RECEIVED}")
    if settings.when == "after_due" and (due is None or received <= due):
        opens = f"after its due date, {clock_text(due)}" if due else "after its due date"
        return Decision("closed", level, reason=f"Practice feedback for {assignment} opens {opens}. {RECEIVED}")
    window = datetime.timedelta(minutes=settings.window_minutes)
    recent = sorted(t for t in graded_before if received - window < t <= received)
    if len(recent) >= settings.per_window:
        allowed = clock_text(recent[-settings.per_window] + window, seconds=True)
        return Decision("limited", level, next_allowed=allowed, reason=(
            f"Not graded for practice: you had {len(recent)} practice gradings of {assignment} in the last "
            f"{settings.window_minutes} minutes, the most allowed. The next one is allowed from {allowed}. "
            f"{RECEIVED}"))
    return Decision("grade", level)
