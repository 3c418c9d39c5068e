"""An instructor's side of the exchange: release, collect, return feedback (nbgrader's commands and the
formgrader call these through c.ExchangeFactory).

A release carries the assignment's due date from the instructor's gradebook (or none), which the
exchange keeps beside it for every role to read (GET courses/<course>/due): the practice grading
service and the students learn it from there, never from the instructor's files.

Collecting writes each student's chosen submission into submitted/<student>/<assignment>/ as the plain
bytes the exchange received, with the exchange's receipt (receipt.json) and its time (timestamp.txt,
nbgrader's record of when it was submitted): the only time the grader's lateness ever sees.
"""

import base64
import datetime
import glob
import json
import os

from dateutil.parser import parse as parse_time
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.abc import ExchangeCollect, ExchangeReleaseAssignment, ExchangeReleaseFeedback

from . import files as plain
from .client import HubExchange

RECEIPT = "receipt.json"
PRACTICE_RESULT, PRACTICE_STATEMENT = "practice.json", "practice-statement.json"


def gradebook_due(coursedir, assignment):
    """The due date of `assignment` in the course's gradebook (naive UTC, nbgrader's way), or None: no
    gradebook, no entry or no date. A missing sqlite gradebook is not created by asking."""
    url = coursedir.db_url
    if url.startswith("sqlite:///") and not os.path.isfile(url.removeprefix("sqlite:///")):
        return None
    try:
        with Gradebook(url, coursedir.course_id) as gradebook:
            return gradebook.find_assignment(assignment).duedate
    except MissingEntry:
        return None


def due_text(due):
    """A gradebook due date (naive UTC) as the exchange keeps it, "2026-12-08 17:00:00 UTC"; None stays None."""
    if due is None:
        return None
    if due.tzinfo is not None:
        due = due.astimezone(datetime.timezone.utc)
    return due.strftime("%Y-%m-%d %H:%M:%S.%f UTC" if due.microsecond else "%Y-%m-%d %H:%M:%S UTC")


class ReleaseAssignment(HubExchange, ExchangeReleaseAssignment):
    def copy_files(self):
        assignment = self.coursedir.assignment_id
        source = self.coursedir.format_path(self.coursedir.release_directory, ".", assignment)
        if not os.path.isdir(source):
            self.fail(f"Assignment not found: {source}: run nbgrader generate_assignment {assignment} first")
        released = self.service.call("GET", f"courses/{self.course}/released")
        if assignment in released and not self.force:
            self.fail(f"{assignment} is already released to the exchange; release again with --force to replace it")
        files, refused = plain.read_folder(source, plain.RELEASE_LIMITS, ignore=self.coursedir.ignore)
        if refused:
            self.fail(f"{source} holds what cannot be released: "
                      + "; ".join(f"{name} {reason}" for name, reason in refused))
        due = gradebook_due(self.coursedir, assignment)
        self.service.send("PUT", f"courses/{self.course}/released/{assignment}", files, due=due_text(due))
        self.log.info(f"Released {assignment} to the exchange ({len(files)} files, "
                      + (f"due {due_text(due)})" if due else "no due date)"))


def _existing_receipt(folder):
    try:
        with open(os.path.join(folder, RECEIPT), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


class Collect(HubExchange, ExchangeCollect):
    def due_date(self):
        return gradebook_due(self.coursedir, self.coursedir.assignment_id)

    def chosen(self, entries):
        """One receipt per student: the latest, or with before_duedate the latest on time (if any)."""
        by_student = {}
        for entry in entries:
            by_student.setdefault(entry["receipt"]["student_id"], []).append(entry["receipt"])
        due = self.due_date() if self.before_duedate else None
        chosen = {}
        for student, found in by_student.items():
            found.sort(key=lambda r: (r["received"], r["receipt_id"]))
            on_time = [r for r in found if due is not None and parse_time(r["received"]).replace(tzinfo=None) <= due]
            chosen[student] = (on_time or found)[-1]
        return chosen

    def copy_files(self):
        assignment = self.coursedir.assignment_id
        student = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        entries = self.service.call("GET", f"courses/{self.course}/submissions/{assignment}",
                                    params={"student": student} if student else None)
        chosen = self.chosen(entries)
        if not chosen:
            self.log.warning(f"No submissions of '{assignment}' for course '{self.course}' to collect")
            return
        self.log.info(f"Processing {len(chosen)} submissions of '{assignment}' for course '{self.course}'")
        for student_id, receipt in sorted(chosen.items()):
            target = self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment)
            existing = _existing_receipt(target) if os.path.isdir(target) else None
            if existing and existing.get("receipt_id") == receipt["receipt_id"]:
                self.log.info(f"No newer submission to collect: {student_id} {assignment}")
                continue
            if os.path.isdir(target) and not (self.update or self.before_duedate):
                self.log.info(f"Not collecting {student_id} {assignment} again (collect with --update to replace it)")
                continue
            self.write_submission(target, receipt)

    def write_submission(self, target, receipt):
        files = self.service.files(f"courses/{self.course}/submissions/{receipt['assignment_id']}/"
                                   f"{receipt['student_id']}/{receipt['receipt_id']}")
        # The exchange's own record of when, never a file of the same name the student sent.
        files = tuple((n, d) for n, d in files if n not in plain.NOT_SUBMITTED) + (
            ("timestamp.txt", receipt["received"].encode()), (RECEIPT, json.dumps(receipt, indent=1, sort_keys=True).encode()))
        files += self.practice_result(receipt)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        updating = os.path.isdir(target)
        plain.replace_folder(target, files)
        self.log.info(f"{'Updating' if updating else 'Collecting'} submission: {receipt['student_id']} "
                      f"{receipt['assignment_id']} received {receipt['received']}")


    def practice_result(self, receipt):
        """The hub's practice grading of this very submission, where it has one: its practice.json and the
        exchange's signed statement of it (PRACTICE_STATEMENT), for c.Grader.practice_scores. () else."""
        answer = self.service.call("GET", f"courses/{self.course}/practice/{receipt['assignment_id']}/"
                                          f"{receipt['student_id']}/{receipt['receipt_id']}")
        result = next((base64.b64decode(data) for name, data in (answer.get("files") or {}).items()
                       if name == PRACTICE_RESULT), None)
        if result is None or not answer.get("statement"):
            return ()
        return ((PRACTICE_RESULT, result),
                (PRACTICE_STATEMENT, json.dumps(answer["statement"], indent=1, sort_keys=True).encode()))


class ReleaseFeedback(HubExchange, ExchangeReleaseFeedback):
    def receipt_of(self, student, assignment, feedback_folder, receipts):
        """The receipt the feedback answers: the submission with the feedback's timestamp, else the one collected."""
        try:
            with open(os.path.join(feedback_folder, "timestamp.txt"), encoding="utf-8") as handle:
                stamp = handle.read().strip()
        except OSError:
            stamp = None
        for receipt in receipts:
            if receipt["received"] == stamp:
                return receipt
        collected = _existing_receipt(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment))
        return next((r for r in receipts if collected and r["receipt_id"] == collected.get("receipt_id")), None)

    def copy_files(self):
        assignment = self.coursedir.assignment_id
        excluded = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        student = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else "*"
        folders = sorted(glob.glob(self.coursedir.format_path(self.coursedir.feedback_directory, student, assignment)))
        receipts = {}
        for entry in self.service.call("GET", f"courses/{self.course}/submissions/{assignment}"):
            receipts.setdefault(entry["receipt"]["student_id"], []).append(entry["receipt"])
        for folder in folders:
            student_id = os.path.basename(os.path.dirname(folder))
            if student_id in excluded:
                continue
            html = tuple((name, data) for name, data in plain.read_folder(folder, plain.RELEASE_LIMITS)[0]
                         if name.endswith(".html") and "/" not in name)
            receipt = self.receipt_of(student_id, assignment, folder, receipts.get(student_id, []))
            if not html:
                continue
            if receipt is None:
                self.log.error(f"No feedback released for {student_id} {assignment}: the exchange has no submission "
                               "of theirs matching the graded one (collected from elsewhere?)")
                continue
            self.service.send("PUT", f"courses/{self.course}/feedback/{assignment}/{student_id}/{receipt['receipt_id']}",
                              html)
            self.log.info(f"Releasing feedback for student '{student_id}' on assignment '{self.course}/{assignment}' "
                          f"({receipt['received']})")
