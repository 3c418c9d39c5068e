"""Grades into the LMS gradebook, and feedback files back to students through the LMS.

Grades: nbgrader export plugins, run from the course root (``nbgrader export --exporter=
autograder.lms.CanvasExport --to reports/canvas_grades.csv``, or ``MoodleExport``). They write
every student of the gradebook and every assignment of the term, released or given a due date
(autograder.record.term; or those of ``--student`` / ``--assignment``), saying which they left out, with
the final score nbgrader's own ``CsvExportPlugin`` reports, ``max(0, score - late_submission_penalty)``
and for nothing handed in 0 once due, an empty cell before, rounded to 2 decimals (Canvas's precision) without
trailing zeros.
While written answers await a grader (autograder.record.awaiting) they refuse, naming how many and whose,
exit 1 and write nothing; with ``--CanvasExport.allow_pending=True`` (``--MoodleExport...``, or
``c.LmsExport.allow_pending = True`` in nbgrader_config.py) they export those answers as 0, and warn.

Feedback: :func:`write_feedback_zip` (``python -m autograder feedback ASSIGNMENT``) packs
``feedback/<student>/<assignment>/*.html`` into the zip an LMS's bulk feedback upload reads.

The roster (``roster.csv`` at the course root, never committed) maps nbgrader student ids to LMS
identities: a UTF-8 CSV whose header names its columns, in any order::

    student_id,name,email,canvas_user_id,sis_user_id,sis_login_id,section,moodle_participant_id
    alice,Alice Smith,alice@uni.example,4711,S0042,asmith,Lab A,118

Only ``student_id`` (the nbgrader id) is required; ``moodle_idnumber`` and ``moodle_username`` may
be added. The Canvas user id is the ``ID`` column of a Canvas gradebook export (and the number in
``/users/4711``); the Moodle participant id is the number in the folder names of an assignment's
"Download all submissions". Without a roster the nbgrader id and the gradebook's names and email
addresses are used.
"""

import csv
import datetime
import os
import re
import stat
import time
import unicodedata
import zipfile
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Dict, Enum, Unicode

from autograder.collect.roster import load_roster
from autograder.record.awaiting import awaiting_by_student, describe_awaiting
from autograder.record.term import gradebook_term

LAYOUTS = ("moodle", "canvas", "plain")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")  # then one per assignment


class FeedbackError(ValueError):
    """The feedback zip cannot be written at all (unknown assignment, no feedback, bad input)."""


def final_scores(gradebook, assignments=(), students=()):
    """(assignments, students, {(student id, assignment name): score}) as nbgrader's CsvExportPlugin counts,
    except that nothing handed in before the due date is None (no grade yet), not 0.

    Gradebook order; `assignments` / `students` (names, ids) select, like `--assignment` / `--student`.
    """
    chosen_assignments = [a for a in gradebook.assignments if not assignments or a.name in assignments]
    chosen_students = [s for s in gradebook.students if not students or s.id in students]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)  # nbgrader's due dates are naive UTC
    scores = {}
    for assignment in chosen_assignments:
        for student in chosen_students:
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:  # nothing handed in: 0 once due; before, no grade yet (an empty cell)
                due = assignment.duedate
                scores[student.id, assignment.name] = None if due and now < due else 0.0
            else:
                penalty = submission.late_submission_penalty or 0.0
                scores[student.id, assignment.name] = max(0.0, submission.score - penalty)
    return chosen_assignments, chosen_students, scores


def format_score(value):
    """A score rounded to 2 decimals without float noise or trailing zeros: 7.5, 10, 3.33; None: ''."""
    if value is None:
        return ""
    return f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")


def safe_cell(text):
    """Text for a CSV cell that a spreadsheet will not run as a formula (=, +, -, @ first)."""
    text = str(text or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class LmsExport(ExportPlugin):
    """What the Canvas and Moodle exports share: the roster, the selection, writing the file."""

    roster = Unicode("roster.csv", help="the roster CSV mapping student ids to LMS identities").tag(config=True)
    allow_pending = Bool(False, help="export while written answers await a grader, counting them as 0 (with a "
                         "warning); otherwise the export refuses and writes nothing").tag(config=True)
    default_to = "grades.csv"

    def collect(self, gradebook):
        """(roster, assignments, students, scores) for the selected students and assignments.

        While answers await a grader: SystemExit (one line, nothing written) unless allow_pending."""
        chosen = [str(a) for a in self.assignment]
        unknown = set(chosen) - {a.name for a in gradebook.assignments}
        if unknown:
            self.log.warning("Not in the gradebook, left out: %s", ", ".join(sorted(unknown)))
        # Only the term's assignments (autograder.record.term): a column of an unreleased one would create or
        # zero an assignment in the LMS.
        scope = gradebook_term(self.config, getattr(getattr(self.parent, "coursedir", None), "root", "."), gradebook)
        for note in scope.notes:
            self.log.warning(note.removeprefix("warning: "))
        outside = sorted({a.name for a in gradebook.assignments if not chosen or a.name in chosen}
                         - set(scope.assignments))
        if outside:
            self.log.warning("Left out, not released and without a due date (their column would create or zero "
                             "an assignment in the LMS): %s", ", ".join(outside))
        names = [a for a in (chosen or scope.assignments) if a in scope.assignments]
        if not names:
            raise SystemExit("error: nothing exported: no assignment " + ("chosen " if chosen else "")
                             + "is released or has a due date")
        assignments, students, scores = final_scores(gradebook, names, [str(s) for s in self.student])
        assignments.sort(key=lambda a: names.index(a.name))  # the course's order, not the gradebook's
        found = awaiting_by_student(gradebook, assignments, students)
        if found and not self.allow_pending:  # an LMS shows an export's total as the grade, final
            raise SystemExit(f"error: not exported, nothing written: {describe_awaiting(found)}. Grade them and "
                             f"export again, or export them as 0 with --{type(self).__name__}.allow_pending=True")
        if found:
            self.log.warning("Exported as 0: %s", describe_awaiting(found))
        return load_roster(self.roster), assignments, students, scores

    def write(self, rows):
        dest = Path(self.to or self.default_to)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
        self.log.info("Wrote %s", dest)


class CanvasExport(LmsExport):
    """Canvas's Gradebook import CSV, as Canvas's own gradebook export lays it out.

    Header ``Student, ID, SIS User ID, SIS Login ID, Section`` then one column per assignment named
    ``<name> (<Canvas assignment id>)``; a second row ``Points Possible`` with each maximum score
    (Canvas takes points possible from it; ``points_possible = False`` leaves it out); then one row
    per student. Canvas finds the student by ``ID`` (Canvas user id), else by SIS
    User ID / SIS Login ID, else by name, and the assignment by the id in parentheses. A column
    without an id (no ``assignment_ids`` entry) matches an assignment of exactly that title, or
    Canvas creates a new assignment (a new gradebook column) of that name on import::

        c.CanvasExport.assignment_ids = {"02_forward": 123456}   # the number in the assignment's URL
        c.CanvasExport.section = "Lab A"                         # for students whose roster has none
    """

    assignment_ids = Dict(help="nbgrader assignment name -> Canvas assignment id").tag(config=True)
    section = Unicode("", help="Section written for students without one in the roster").tag(config=True)
    points_possible = Bool(True, help="write Canvas's 'Points Possible' row (maximum scores)").tag(config=True)
    default_to = "canvas_grades.csv"

    def header(self, assignment):
        canvas_id = str(self.assignment_ids.get(assignment, "")).strip()
        if canvas_id and not re.fullmatch(r"[0-9]+", canvas_id):
            raise ValueError(f"CanvasExport.assignment_ids[{assignment!r}] must be a number, not {canvas_id!r}")
        return f"{assignment} ({canvas_id})" if canvas_id else assignment

    def export(self, gradebook):
        roster, assignments, students, scores = self.collect(gradebook)
        rows = [[*CANVAS_COLUMNS, *(self.header(a.name) for a in assignments)]]
        if self.points_possible:  # Canvas's export indents this label; the importer looks for the words
            rows.append(["    Points Possible", "", "", "", "", *(format_score(a.max_score) for a in assignments)])
        unmatched = []
        for student in students:
            entry = roster.get(student.id, {})
            sortable = ", ".join(n for n in (student.last_name, student.first_name) if n)
            if not (entry.get("canvas_user_id") or entry.get("sis_user_id") or entry.get("sis_login_id")):
                unmatched.append(student.id)
            rows.append([safe_cell(entry.get("name") or sortable or student.id), entry.get("canvas_user_id", ""),
                         safe_cell(entry.get("sis_user_id")), safe_cell(entry.get("sis_login_id")),
                         safe_cell(entry.get("section") or self.section),
                         *(format_score(scores[student.id, a.name]) for a in assignments)])
        if unmatched:
            self.log.warning("No Canvas id in the roster (Canvas will match them by name): %s", ", ".join(unmatched))
        self.write(rows)


class MoodleExport(LmsExport):
    """Moodle's grade import CSV: one identifier column, then one column per grade item.

    On import (Grades > Import > CSV file) map "Identify user by" from this file's first column to
    the same user field, and each other column to its grade item. The identifier is the email
    address (default), the ID number or the username::

        c.MoodleExport.identifier = "email"                      # "idnumber" or "username"
        c.MoodleExport.grade_items = {"02_forward": "Forward pass"}  # column names (default: nbgrader's)

    A student without that identifier is left out (and logged): Moodle's importer gives a row with
    an empty identifier to the user of the row before it, or stops the import.
    """

    identifier = Enum(["email", "idnumber", "username"], default_value="email",
                      help="which Moodle user field identifies students").tag(config=True)
    grade_items = Dict(help="nbgrader assignment name -> Moodle grade item column name").tag(config=True)
    default_to = "moodle_grades.csv"
    LABELS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}

    def identity(self, student, entry):
        return {"email": entry.get("email") or student.email, "idnumber": entry.get("moodle_idnumber"),
                "username": entry.get("moodle_username") or student.id}[self.identifier] or ""

    def export(self, gradebook):
        roster, assignments, students, scores = self.collect(gradebook)
        rows = [[self.LABELS[self.identifier], *(self.grade_items.get(a.name) or a.name for a in assignments)]]
        missing = []
        for student in students:
            identity = self.identity(student, roster.get(student.id, {}))
            if not identity:
                missing.append(student.id)
                continue
            rows.append([safe_cell(identity), *(format_score(scores[student.id, a.name]) for a in assignments)])
        if missing:
            self.log.warning("Left out, no Moodle %s: %s", self.identifier, ", ".join(missing))
        self.write(rows)


def safe_component(text, keep_underscore=True):
    """`text` as one file or folder name: no separators, control characters, '..' or leading dots."""
    text = unicodedata.normalize("NFC", str(text))
    text = "".join(" " if unicodedata.category(c).startswith("C") or c in '/\\:*?"<>|' else c for c in text)
    if not keep_underscore:  # the LMS splits its names at underscores
        text = text.replace("_", "-")
    text = re.sub(r"\s+", " ", text).strip(" .")
    return text or "unnamed"


def canvas_download_prefixes(path):
    """{Canvas user id: file-name prefix} from a Canvas "Download Submissions" zip.

    Canvas names each file ``lastnamefirstname_[LATE_]<user id>_<attachment id>_<file>``. Its
    "Re-upload Submissions" reads the first two all-digit parts of a name as the user id and the id
    of a file the student submitted, and ignores a file whose ids match no submitted file; so
    feedback must keep the prefix up to the attachment id.
    """
    try:
        with zipfile.ZipFile(path) as download:
            names = sorted(download.namelist())
    except (OSError, zipfile.BadZipFile) as error:
        raise FeedbackError(f"{path}: not a readable zip ({error})") from error
    prefixes = {}
    for name in names:
        parts = name.rsplit("/", 1)[-1].split("_")
        digits = [i for i, part in enumerate(parts) if re.fullmatch(r"[0-9]+", part)]
        if len(digits) >= 2 and digits[0] > 0:
            prefix = safe_component("_".join(parts[:digits[1] + 1]))
            prefixes.setdefault(parts[digits[0]], prefix)
    return prefixes


def feedback_files(folder):
    """[(name, content, mtime)] of the regular .html files directly in `folder`; links are not followed."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.lower().endswith(".html") and entry.is_file(follow_symlinks=False):
            with os.fdopen(os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:  # a link swapped in fails
                status = os.fstat(handle.fileno())
                if stat.S_ISREG(status.st_mode):
                    found.append((entry.name, handle.read(), status.st_mtime))
    return found


def member_name(layout, student, filename, entry, prefix):
    """Where one feedback file goes in the zip, or (None, reason) when this student cannot go."""
    stem = filename[:-len(".html")]
    if layout == "plain":
        return f"{safe_component(student)}/{safe_component(filename)}", None
    if layout == "moodle":  # Moodle reads only the participant id; the name is for people
        if not entry.get("moodle_participant_id"):
            return None, "no moodle_participant_id in the roster"
        name = safe_component(entry.get("name") or student, keep_underscore=False)
        return f"{name}_{entry['moodle_participant_id']}_assignsubmission_file_/{safe_component(filename)}", None
    if not entry.get("canvas_user_id"):
        return None, "no canvas_user_id in the roster"
    if not prefix:
        return None, (f"no file of Canvas user {entry['canvas_user_id']} in the Canvas download "
                      "(Canvas attaches feedback only to a submission with a file)")
    return f"{prefix}_{safe_component(stem, keep_underscore=False)}-feedback.html", None


def feedback_folders(root, assignment):
    """{student: feedback/<student>/<assignment>} where that folder exists; FeedbackError when none does."""
    from nbgrader.coursedir import CourseDirectory

    from autograder.config import course_config

    if not assignment or assignment != safe_component(assignment) or assignment.startswith("."):
        raise FeedbackError(f"{assignment!r} is not an assignment name")
    coursedir = CourseDirectory(config=course_config(root), root=str(root))
    feedback = root / coursedir.feedback_directory
    if not feedback.is_dir():
        raise FeedbackError(f"no feedback folder {feedback}: grade the class first (make grade)")
    folders = {e.name: Path(e.path) / assignment for e in os.scandir(feedback) if e.is_dir() and e.name[0] != "."}
    folders = {student: folder for student, folder in folders.items() if folder.is_dir()}
    if not folders and (root / coursedir.source_directory / assignment).is_dir():
        raise FeedbackError(f"no feedback for {assignment} in {feedback}: grade it first (make grade)")
    if not folders:
        raise FeedbackError(f"unknown assignment {assignment}: no {coursedir.source_directory}/{assignment} "
                            "and no feedback for it")
    return folders


def write_feedback_zip(course_root, output, assignment, layout, roster, canvas_download=None):
    """(zip path, packed students, [(student, reason)] skipped): every student's feedback HTML for one assignment.

    Layouts, each what the LMS's bulk upload reads back:

    * ``moodle``: ``<Full Name>_<participant id>_assignsubmission_file_/<file>.html``, the folders of
      Moodle's "Download all submissions", which "Upload multiple feedback files in a zip" matches by
      participant id (roster ``moodle_participant_id``);
    * ``canvas``: ``<prefix>_<file>-feedback.html`` for "Re-upload Submissions", the prefix kept from
      that student's file in `canvas_download`, the zip of Canvas's "Download Submissions" (see
      :func:`canvas_download_prefixes`), found by roster ``canvas_user_id``;
    * ``plain``: ``<student_id>/<file>.html``.
    """
    root = Path(course_root)
    if layout not in LAYOUTS:
        raise FeedbackError(f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
    folders = feedback_folders(root, assignment)
    if layout == "canvas" and not canvas_download:
        raise FeedbackError("the canvas layout needs the zip of Canvas's 'Download Submissions' for this "
                            "assignment: Canvas re-uploads a file only under the name of a file the student submitted")
    prefixes = canvas_download_prefixes(canvas_download) if layout == "canvas" else {}
    packed, skipped, members = [], [], {}
    for student in sorted(set(folders) | set(roster)):
        folder, entry = folders.get(student), roster.get(student, {})
        if folder is None:
            skipped.append((student, f"no feedback for {assignment}"))
        elif folder.parent.is_symlink() or folder.is_symlink():
            skipped.append((student, "the feedback folder is a symbolic link (not followed)"))
        elif not (files := feedback_files(folder)):
            skipped.append((student, f"no .html feedback in {os.path.relpath(folder, root)}"))
        else:
            prefix = prefixes.get(entry.get("canvas_user_id"))
            names = [member_name(layout, student, name, entry, prefix) for name, _, _ in files]
            if names[0][0] is None or any(arcname in members for arcname, _ in names):
                skipped.append((student, names[0][1] or "another student's feedback has the same name in the zip"))
                continue
            members.update({arcname: (data, mtime) for (arcname, _), (_, data, mtime) in zip(names, files)})
            packed.append(student)
    if not packed:  # an empty zip uploaded to the LMS looks like feedback returned
        reasons = "; ".join(f"{student}: {reason}" for student, reason in skipped[:3]) or "no student at all"
        raise FeedbackError(f"no feedback of {assignment} could be packed, so no zip was written ({len(skipped)} "
                            f"skipped: {reasons}{'; ...' if len(skipped) > 3 else ''}); grade first, and for the "
                            "moodle and canvas layouts give roster.csv the LMS ids")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname, (data, mtime) in members.items():
            info = zipfile.ZipInfo(arcname, date_time=time.localtime(max(mtime, 315619200))[:6])  # zip: >= 1980
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, data)
    os.replace(partial, output)  # a reader never sees half a zip
    return output, packed, skipped
