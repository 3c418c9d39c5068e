"""Late-submission penalties as an nbgrader plugin, and re-applying them after the grader's own changes.

nbgrader's `AssignLatePenalties` asks `c.AssignLatePenalties.plugin_class` for a penalty when it
autogrades a late notebook. Its answer is stored in the gradebook (`late_submission_penalty` of
the submitted notebook), and `nbgrader export` reports `score = max(0, raw score - penalty)`.

nbgrader computes the penalty once, from the score at autograde time. The grader changes scores
after that (verification withdraws points) and extensions change during a term, so each
grading run recomputes a submission's penalty with the same plugin (`penalty_for`, called by
`autograder.record.gradebook.Gradebook.settle`), from the score, due date, extension and
submission time in the gradebook now.
"""

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class PerHourPenalty(LateSubmissionPlugin):
    """A share of the notebook's score per started hour late, after a grace period.

        c.AssignLatePenalties.plugin_class = "autograder.late.PerHourPenalty"
        c.PerHourPenalty.percent_per_hour = 2.0   # 3 h 10 min late: 4 started hours, 8 % of the score
        c.PerHourPenalty.grace_minutes = 0.0      # lateness within this much costs nothing
    """

    percent_per_hour = Float(2.0, help="percent of the score lost per started hour late").tag(config=True)
    grace_minutes = Float(0.0, help="minutes after the due date (and extension) that cost nothing").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        seconds = total_seconds_late - 60 * self.grace_minutes
        if seconds <= 0:
            return None
        hours = math.ceil(seconds / 3600)
        return round(score * min(1.0, self.percent_per_hour * hours / 100), 6)


def penalty_plugin(config):
    """The course's configured late-submission plugin (nbgrader's default when none is set)."""
    from nbgrader.preprocessors import AssignLatePenalties

    assigner = AssignLatePenalties(config=config)
    assigner.init_plugin()
    return assigner.plugin_inst


def penalty_for(plugin, student, score, seconds_late):
    """The plugin's penalty for one notebook, clamped to [0, score] as nbgrader clamps it."""
    if seconds_late <= 0:
        return None
    penalty = plugin.late_submission_penalty(student, score, seconds_late)
    return None if penalty is None else min(max(penalty, 0.0), score)


EXTENSIONS_COLUMNS = ("student_id", "assignment", "hours")


class ExtensionsError(ValueError):
    """The extensions file cannot be used; the message names the file, the line and the problem."""


def likely_id(student, students):
    """(the id of `students` that `student` was probably meant to be, or None; whether only the case differs)."""
    import difflib

    same_but_case = [known for known in sorted(students) if known.lower() == student.lower()]
    if same_but_case:
        return same_but_case[0], True
    close = difflib.get_close_matches(student, sorted(students), n=1)
    return (close[0] if close else None), False


def unknown_student(student, students):
    """Why `student` is not one of `students`, with the likely intended id."""
    guess, case_only = likely_id(student, students)
    if case_only:
        return f"unknown student {student!r}: did you mean {guess!r}? (student ids are case-sensitive)"
    return f"unknown student {student!r}: no submission and no gradebook entry" + \
        (f" (did you mean {guess!r}?)" if guess else "")


def load_extensions(path, assignments, students=None):
    """{(student, assignment): hours} from the instructor's extensions file, {} when there is none.

    The file is a CSV with the header `student_id,assignment,hours`, one row per extension:

        student_id,assignment,hours
        bob,01_notation,48

    `hours` (a number, fractions allowed) moves that student's due date for that assignment; 0
    removes an extension. A pair the file does not list keeps whatever the gradebook holds
    (`nbgrader` can grant extensions too). Every assignment must be one of `assignments`, and every
    student one of `students` (those with a submission or a gradebook entry) when given: an extension
    for a misspelt id would silently go to nobody.
    """
    import csv
    import pathlib

    path = pathlib.Path(path)
    if not path.is_file():
        return {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ExtensionsError(f"{path}: cannot be read ({error})") from error
    rows = list(csv.reader(lines))
    header = tuple(cell.strip() for cell in rows[0]) if rows else ()
    if header != EXTENSIONS_COLUMNS:
        raise ExtensionsError(f"{path}, line 1: the header must be {','.join(EXTENSIONS_COLUMNS)} "
                              f"(found: {','.join(header) or 'nothing'})")
    extensions = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        problem = None
        if len(row) != 3:
            problem = f"expected 3 values, found {len(row)}"
        else:
            student, assignment, hours = (cell.strip() for cell in row)
            try:
                hours = float(hours)
            except ValueError:
                hours = None
            if not student:
                problem = "no student_id"
            elif students is not None and student not in students:
                problem = unknown_student(student, students)
            elif assignment not in assignments:
                problem = f"unknown assignment {assignment!r} (expected one of {', '.join(sorted(assignments))})"
            elif hours is None or not 0 <= hours < 24 * 366:
                problem = f"hours must be a number of hours from 0 to a year (found {row[2].strip()!r})"
            elif (student, assignment) in extensions:
                problem = f"a second extension for {student} on {assignment}"
        if problem:
            raise ExtensionsError(f"{path}, line {number}: {problem}")
        extensions[(student, assignment)] = hours
    return extensions
