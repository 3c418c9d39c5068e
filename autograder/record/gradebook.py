"""The gradebook operations of the pipeline: the coordinating process is the gradebook's one writer.

The instructor's review is theirs. The grader keeps its own record of what it set (a table of its
own in the gradebook database, `backprop_grader_record`, one JSON state per student and
assignment) and treats a score, comment or flag as its own only while the gradebook still holds
exactly what it wrote. Anything else (a manual score, a comment, a flag set in the formgrader, or
an edit of the grader's own) is the instructor's: a re-run never changes it.
"""

import contextlib
import hashlib
import json
import os
import threading

from nbgrader.api import Gradebook as NbgraderGradebook
from nbgrader.api import MissingEntry
from sqlalchemy import Column, MetaData, String, Table, Text, delete, insert, select

from autograder.record import late
from autograder.record.awaiting import awaits_grader

WITHDRAWAL_PREFIX = "verification:"
CHANGED = "changed since your review: resubmitted after you graded it by hand; your grading is kept"
# The comment on an answer withdrawn for holding the instructor's solution (autograder.judging.leaks); the
# flag's reason says what was found.
LEAKED = "this answer holds the instructor's solution text"

_TABLES = MetaData()
RECORDS = Table(
    "backprop_grader_record", _TABLES,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    # inputs, notebook (digests), status, reasons, overrides {exercise: {score, comment, before}},
    # flag_set, flag_reasons, feedback (digest of what the feedback page shows)
    Column("state", Text, nullable=False),
)


def course_db_url(course_root):
    """The gradebook's URL as nbgrader's config gives it (`c.CourseDirectory.db_url`): SQLite's
    `gradebook.db` in the course root by default; a relative SQLite path is taken from the course
    root, as nbgrader takes it (it runs from there)."""
    from autograder.config import course_config

    root = os.path.abspath(course_root)
    url = course_config(root).get("CourseDirectory", {}).get("db_url") or ""
    if not url:
        return f"sqlite:///{os.path.join(root, 'gradebook.db')}"
    if url.startswith("sqlite:///") and not os.path.isabs(url[len("sqlite:///"):]):
        return f"sqlite:///{os.path.join(root, url[len('sqlite:///'):])}"
    return url


def db_url_problem(url):
    """One line saying why the gradebook URL's database driver cannot be loaded (its module is not
    installed, or SQLAlchemy knows no such driver), or None. The password is never shown."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    where, shown = "nbgrader_config.py: c.CourseDirectory.db_url", "(not a database URL)"
    try:
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        parsed.get_dialect().import_dbapi()
    except ImportError as error:  # the driver's module: pg8000, MySQLdb, ...
        fix = (", or write postgresql+psycopg:// (psycopg 3, shipped) or postgresql+psycopg2://"
               if parsed.get_backend_name() == "postgresql" else "")
        return (f"{where} {shown} needs the Python driver {error.name or parsed.get_driver_name()}, which is not "
                f"installed: install it into .venv{fix}")
    except ArgumentError as error:  # no such driver (NoSuchModuleError), or not a URL at all
        return f"{where} {shown}: {error}"
    return None


def _read_state(gradebook, assignment, student):
    row = gradebook.db.execute(select(RECORDS.c.state).where(
        RECORDS.c.assignment == assignment, RECORDS.c.student == student)).first()
    return json.loads(row[0]) if row else {}


def _write_state(gradebook, assignment, student, state):
    where = (RECORDS.c.assignment == assignment) & (RECORDS.c.student == student)
    gradebook.db.execute(delete(RECORDS).where(where))
    gradebook.db.execute(insert(RECORDS).values(assignment=assignment, student=student, state=json.dumps(state)))


def _found(lookup, *args):
    try:
        return lookup(*args)
    except MissingEntry:
        return None


def _instructor_marks(notebook, previous, flag_set):
    """What the instructor set by hand on this notebook: manual scores, comments, a flag, extra credit."""
    marks = []
    for grade in notebook.grades:
        mine = previous.get(grade.name[len("test_"):], {})
        if grade.manual_score is not None and mine.get("score") != grade.manual_score:
            marks.append(f"score of {grade.name}")
        if grade.extra_credit:
            marks.append(f"extra credit on {grade.name}")
    for comment in notebook.comments:
        mine = previous.get(comment.name, {})
        ours = "comment" in mine and comment.manual_comment == mine["comment"]
        if (comment.manual_comment and not ours) or (ours and mine.get("before")):
            marks.append(f"comment on {comment.name}")
    if notebook.flagged and not flag_set:
        marks.append("flag")
    return marks


def empty_gradebook(folder=None):
    """An empty nbgrader gradebook, made once per user and nbgrader version (in ~/.cache by
    default): making one runs alembic in a new process (seconds); copying it takes a millisecond."""
    import fcntl
    import pathlib

    import nbgrader

    folder = pathlib.Path(folder or os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    folder = folder / "backprop-course"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"empty-gradebook-nbgrader-{nbgrader.__version__}.db"
    with open(folder / "empty-gradebook.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process makes it, the others wait for it
        if not path.is_file():
            partial = path.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            with NbgraderGradebook(f"sqlite:///{partial}"):
                pass
            partial.rename(path)
    return path


class Gradebook:
    """The course gradebook, as the grader reads and writes it. One connection to the database is
    kept open (nbgrader's Gradebook checks every table each time it opens: 0.1 s); each operation
    runs in a session of its own, committed or rolled back at its end, so that other writers (the
    formgrader, nbgrader's own commands) see and are seen as before."""

    def __init__(self, db_url):
        self.db_url = db_url
        self._lock = threading.Lock()
        new_file = db_url[len("sqlite:///"):] if db_url.startswith("sqlite:///") else None
        if new_file and not os.path.exists(new_file):  # what nbgrader would make, without its seconds
            import shutil

            shutil.copyfile(empty_gradebook(), new_file)
        self._nbgrader = NbgraderGradebook(self.db_url)
        RECORDS.create(self._nbgrader.engine, checkfirst=True)

    @contextlib.contextmanager
    def _open(self):
        with self._lock:
            if self._nbgrader is None:
                self._nbgrader = NbgraderGradebook(self.db_url)
            try:
                yield self._nbgrader
            finally:
                self._nbgrader.db.remove()  # what was not committed is rolled back

    def close(self):
        with self._lock:
            if self._nbgrader is not None:
                self._nbgrader.db.remove()
                self._nbgrader.engine.dispose()
                self._nbgrader = None

    def scores(self, assignment, student):
        """{grade_id: {"score", "auto_score", "max_score"}} of a student's submitted notebook for `assignment`."""
        with self._open() as gradebook:
            notebook = _found(gradebook.find_submission_notebook, assignment, assignment, student)
            return {grade.name: {"score": float(grade.score), "max_score": float(grade.max_score),
                                 "auto_score": grade.auto_score}
                    for grade in (notebook.grades if notebook else [])}

    def record(self, assignment, student):
        """The grader's record of its last grading of this submission ({} if none)."""
        with self._open() as gradebook:
            return _read_state(gradebook, assignment, student)

    def update_record(self, assignment, student, **fields):
        with self._open() as gradebook:
            state = _read_state(gradebook, assignment, student)
            _write_state(gradebook, assignment, student, {**state, **fields})
            gradebook.db.commit()

    def apply_verdicts(self, assignment, student, refuted, notebook_digest, leaks=None):
        """Withdraw the points verification refuted, and undo the grader's own earlier withdrawals
        that no longer hold, leaving every mark of the instructor's as it is.

        refuted: {exercise: reason}. leaks: {"reason", "withdrawn": [exercise]} when the submission
        holds text of the instructor's source notebook (autograder.grading.job.find_leaks): its exercises
        are withdrawn as refuted ones are, and the notebook is flagged for that reason.
        A withdrawal is a manual score of 0 on test_<exercise>, unless
        the instructor already set one, and a comment on the answer cell <exercise>, appended to
        any comment there. The notebook is flagged for a new reason: a refutation, or a
        resubmission (notebook_digest differs from last time) of work the instructor graded by
        hand. Returns the reasons for the report.
        """
        with self._open() as gradebook:
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            state = _read_state(gradebook, assignment, student)
            previous = state.get("overrides", {})
            flag_ours = state.get("flag_set", False) and notebook.flagged
            marks = _instructor_marks(notebook, previous, flag_ours)
            overrides, reasons = {}, []
            leaks = leaks or {}
            leaked = {exercise: LEAKED for exercise in leaks.get("withdrawn", [])}
            for exercise in sorted(set(previous) | set(refuted) | set(leaked)):
                entry, kept = self._override(gradebook, assignment, student, exercise, previous.get(exercise, {}),
                                             refuted.get(exercise) or leaked.get(exercise))
                if entry:
                    overrides[exercise] = entry
                if exercise in refuted:
                    reasons.append(f"{exercise}: points withdrawn, outputs disagree with the reference "
                                   f"({refuted[exercise]})" + (f"; {kept}" if kept else ""))
                elif exercise in leaked and kept:
                    reasons.append(f"{exercise}: {kept}")
            changed = state.get("notebook") not in (None, notebook_digest)
            flag_reasons = list(reasons) + ([leaks["reason"]] if leaks.get("reason") else [])
            if (changed and marks) or (flag_ours and CHANGED in state.get("flag_reasons", [])):
                flag_reasons.append(CHANGED)
            new_reason = changed or not set(flag_reasons) <= set(state.get("flag_reasons", []))
            if flag_reasons and not notebook.flagged and new_reason:
                notebook.flagged = flag_ours = True
            elif not flag_reasons and flag_ours:
                notebook.flagged = flag_ours = False
            _write_state(gradebook, assignment, student, {
                **state, "notebook": notebook_digest, "overrides": overrides, "flag_set": flag_ours,
                "flag_reasons": flag_reasons})
            gradebook.db.commit()
            return flag_reasons

    @staticmethod
    def _override(gradebook, assignment, student, exercise, mine, reason):
        """Set or undo the grader's override of one exercise: (what is now the grader's, note)."""
        entry, kept = {}, ""
        grade = _found(gradebook.find_grade, f"test_{exercise}", assignment, assignment, student)
        if grade is not None:
            ours = "score" in mine and grade.manual_score == mine["score"]
            if reason and (ours or (grade.manual_score is None and "score" not in mine)):
                grade.manual_score = entry["score"] = 0.0
            elif reason and grade.manual_score is not None:
                kept = f"your score of {grade.manual_score:g} is kept"
            elif ours:
                grade.manual_score = None
        # nbgrader keeps comments on the answer cell; the reason may quote student output, and the
        # feedback page renders comments as Markdown: no tag of theirs may survive into it.
        comment = _found(gradebook.find_comment, exercise, assignment, assignment, student)
        if comment is not None:
            ours = "comment" in mine and comment.manual_comment == mine["comment"]
            if reason and (ours or "comment" not in mine):
                before = mine.get("before") if ours else comment.manual_comment
                note = f"{WITHDRAWAL_PREFIX} {reason}".replace("<", "‹").replace(">", "›")
                comment.manual_comment = f"{before}\n\n{note}" if before else note
                entry.update(comment=comment.manual_comment, before=before)
            elif ours:
                comment.manual_comment = mine.get("before")
        return entry, kept

    def merge_autograde(self, assignment, student, result):
        """Write a grade job's results (autograder.grading.job.JobResult) as nbgrader's autograde writes its own:
        the submission time, auto scores and auto comments. A manual score stays, and marks the cell
        for review, as does a cell without an auto score."""
        import datetime
        import warnings

        from sqlalchemy.exc import SAWarning

        with self._open() as gradebook, warnings.catch_warnings():
            # nbgrader's update_or_create_submission makes SQLAlchemy warn about its own autoflush
            warnings.simplefilter("ignore", SAWarning)
            gradebook.update_or_create_student(student)
            when = {"timestamp": datetime.datetime.fromisoformat(result.timestamp)} if result.timestamp else {}
            gradebook.update_or_create_submission(assignment, student, **when)
            for name, values in result.grades.items():
                grade = gradebook.find_grade(name, assignment, assignment, student)
                grade.auto_score = values["auto_score"]
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for name, text in result.comments.items():
                gradebook.find_comment(name, assignment, assignment, student).auto_comment = text
            gradebook.db.commit()

    def settle(self, assignment, student, extension_hours, plugin):
        """Apply an extension from the instructor's file (None: leave the gradebook's) and recompute
        the late penalty with the course's plugin from the gradebook as it is now.

        Returns what the feedback page shows (scores, comments, penalty; see autograder.grading.job.FeedbackJob),
        None when there is no submission.
        """
        with self._open() as gradebook:
            submission = _found(gradebook.find_submission, assignment, student)
            if submission is None:
                return None
            if extension_hours is not None:
                gradebook.grant_extension(assignment, student, hours=extension_hours)
            for notebook in submission.notebooks:
                notebook.late_submission_penalty = late.penalty_for(
                    plugin, student, float(notebook.score), submission.total_seconds_late)
            gradebook.db.commit()
            notebook = _found(gradebook.find_submission_notebook, assignment, assignment, student)
            if notebook is None:
                return None
            return {"grades": {g.name: [g.auto_score, g.manual_score, g.extra_credit] for g in notebook.grades},
                    "comments": {c.name: [c.auto_comment, c.manual_comment] for c in notebook.comments},
                    "penalty": notebook.late_submission_penalty}

    def snapshot(self, assignments):
        """{student: {assignment: {grades, pending, raw, penalty, score, seconds_late, flagged, record}}} for every
        student of the gradebook; score is nbgrader export's max(0, raw - penalty)."""
        with self._open() as gradebook:
            table = {student.id: {} for student in gradebook.students}
            for assignment in filter(None, (_found(gradebook.find_assignment, a) for a in assignments)):
                for submission in assignment.submissions:
                    raw, penalty = float(submission.score), float(submission.late_submission_penalty)
                    table.setdefault(submission.student.id, {})[assignment.name] = {
                        "grades": {g.name: float(g.score) for n in submission.notebooks for g in n.grades},
                        # answers awaiting a grader: no score from the autograder and none by hand yet
                        "pending": sorted(g.name for n in submission.notebooks for g in n.grades
                                          if awaits_grader(g.auto_score, g.manual_score)),
                        "raw": raw, "penalty": penalty, "score": max(0.0, raw - penalty),
                        "seconds_late": submission.total_seconds_late,
                        # for the lateness report (autograder.record.late_report); submitted_at is naive UTC, None when unknown
                        "extension_hours": submission.extension.total_seconds() / 3600 if submission.extension else 0.0,
                        "submitted_at": submission.timestamp,
                        "flagged": any(n.flagged for n in submission.notebooks),
                        "record": _read_state(gradebook, assignment.name, submission.student.id)}
            return table

    def due_dates(self, assignments):
        """{assignment: due date} as nbgrader holds it (naive UTC), None where there is none."""
        with self._open() as gradebook:
            return {name: getattr(_found(gradebook.find_assignment, name), "duedate", None) for name in assignments}

    def assignments(self):
        """{assignment: (due date or None, submissions)} of every assignment the gradebook holds."""
        with self._open() as gradebook:
            return {a.name: (a.duedate, len(a.submissions)) for a in gradebook.assignments}

    def add_students(self, students):
        """Add the students ({id: (name, email)}) the gradebook lacks; the ids added, sorted."""
        with self._open() as gradebook:
            added = sorted(set(students) - {student.id for student in gradebook.students})
            for student in added:
                name, email = students[student]
                first, _, last = (name or "").rpartition(" ")
                gradebook.update_or_create_student(student, first_name=first or None, last_name=last or None,
                                                   email=email or None)
            return added

    def students(self):
        with self._open() as gradebook:
            return [student.id for student in gradebook.students]


def shown_digest(shown):
    """A digest of what a feedback page shows (Gradebook.settle's answer)."""
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest() if shown else None
