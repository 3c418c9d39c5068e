"""The few gradebook operations the pipeline needs, serialised by one lock in the grader process."""

import threading

from nbgrader.api import Gradebook as NbgraderGradebook
from nbgrader.api import MissingEntry


WITHDRAWAL_PREFIX = "verification:"


class Gradebook:
    def __init__(self, db_url):
        self.db_url = db_url
        self._lock = threading.Lock()

    def scores(self, assignment, student):
        """{grade_id: {"score", "max_score"}} of a student's submitted notebook for `assignment`."""
        with self._lock, NbgraderGradebook(self.db_url) as gradebook:
            try:
                notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                return {}
            return {grade.name: {"score": float(grade.score), "max_score": float(grade.max_score)}
                    for grade in notebook.grades}

    def withdraw(self, assignment, student, exercise, reason):
        """Zero test_<exercise> by manual override, flag the notebook, and comment on the answer cell.

        The comment (on the answer cell `exercise`, which is where nbgrader keeps comments) shows in
        the formgrader and marks the override as ours, so a re-run can undo it.
        """
        with self._lock, NbgraderGradebook(self.db_url) as gradebook:
            grade = gradebook.find_grade(f"test_{exercise}", assignment, assignment, student)
            grade.manual_score = 0.0
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            notebook.flagged = True
            # The reason may quote student output, and the feedback page renders comments as
            # Markdown: no tag of theirs may survive into it.
            reason = reason.replace("<", "‹").replace(">", "›")
            try:
                gradebook.find_comment(exercise, assignment, assignment, student).manual_comment = (
                    f"{WITHDRAWAL_PREFIX} {reason}")
            except MissingEntry:  # an answer cell under another id; grades.csv still records why
                pass
            gradebook.db.commit()

    def clear_withdrawals(self, assignment, student):
        """Undo earlier verification overrides, so a re-run grades the submission as it is now."""
        with self._lock, NbgraderGradebook(self.db_url) as gradebook:
            try:
                notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                return
            for comment in notebook.comments:
                if (comment.manual_comment or "").startswith(WITHDRAWAL_PREFIX):
                    comment.manual_comment = None
                    gradebook.find_grade(f"test_{comment.name}", assignment, assignment, student).manual_score = None
            notebook.flagged = False
            gradebook.db.commit()

    def students(self):
        with self._lock, NbgraderGradebook(self.db_url) as gradebook:
            return [student.id for student in gradebook.students]
