"""Who the grader's inputs name, checked against the roster (``roster.csv``, load_roster, here).

A named_regexp that misreads an LMS's file names makes students of name fragments (``smithalice``
from Canvas's ``smithalice_4711_99001_02_forward.ipynb``), and a misspelt id is graded, then missed
by the LMS exports. Where the course has a roster: a named_regexp group named after one of its
unique columns (``canvas_user_id``) finds the student's row; a zip naming a student the roster
does not list is refused before anything is written; grading warns of the students it lacks.
Without a roster nothing here applies.
"""

import csv
import os
import re
from pathlib import Path

from autograder.collect import CollectError
from autograder.config import course_config
from autograder.record.late import likely_id

# Canvas's "Download Submissions": lastfirst_[LATE_]<user id>_<submission id>_<file name>.
CANVAS_NAMED_REGEXP = r"^(?P<student_id>[^_]+?)(?:_LATE)?_(?P<canvas_user_id>\d+)_\d+_(?P<file_id>.+)$"
_CANVAS_NAME = re.compile(r"[^_/]+(?:_LATE)?_\d+_\d+_.+")

ROSTER_COLUMNS = ("student_id", "name", "email", "canvas_user_id", "sis_user_id", "sis_login_id", "section",
                  "moodle_participant_id", "moodle_idnumber", "moodle_username")
# Two students sharing one of these would receive each other's grades or feedback.
UNIQUE_COLUMNS = ("email", "canvas_user_id", "sis_user_id", "sis_login_id", "moodle_participant_id",
                  "moodle_idnumber", "moodle_username")
# Canvas and Moodle both read these ids as numbers (Canvas user ids, Moodle participant ids).
NUMERIC_COLUMNS = ("canvas_user_id", "moodle_participant_id")


def load_roster(path):
    """{student_id: {column: value}} from the roster CSV; {} when the file does not exist.

    A file that cannot be used raises ValueError naming the file, the line and the problem.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader]  # line_num counts quoted line breaks too
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path}: cannot be read ({error})") from error
    header = [cell.strip() for cell in rows[0][1]] if rows else []
    problem = None
    if "student_id" not in header:
        problem = f"the header must name a student_id column (found: {','.join(header) or 'nothing'})"
    elif unknown := [name for name in header if name not in ROSTER_COLUMNS]:
        problem = f"unknown column {unknown[0]!r} (known: {', '.join(ROSTER_COLUMNS)})"
    elif len(set(header)) != len(header):
        problem = "a column is named twice"
    if problem:
        raise ValueError(f"{path}, line 1: {problem}")
    roster, owners = {}, {}
    for number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ValueError(f"{path}, line {number}: {len(row)} values for {len(header)} columns")
        entry = {name: cell.strip() for name, cell in zip(header, row)}
        student = entry["student_id"]
        if not student:
            raise ValueError(f"{path}, line {number}: no student_id")
        if student in roster:
            raise ValueError(f"{path}, line {number}: student {student!r} is listed twice")
        for name in NUMERIC_COLUMNS:
            if entry.get(name) and not re.fullmatch(r"[0-9]+", entry[name]):
                raise ValueError(f"{path}, line {number}: {name} must be a number (found {entry[name]!r})")
        for name in UNIQUE_COLUMNS:
            if entry.get(name):
                other = owners.setdefault((name, entry[name]), student)
                if other != student:
                    raise ValueError(f"{path}, line {number}: {name} {entry[name]!r} is also {other!r}'s")
        roster[student] = entry
    return roster



def load(course_root, config=None):
    """(path, {student_id: row}) of the course's roster; the rows are None when there is no roster file.

    The path is ``c.LmsExport.roster`` (or ``CanvasExport``'s, ``MoodleExport``'s), default
    ``roster.csv``, relative to the course root. A roster that cannot be used raises CollectError."""
    config = course_config(course_root) if config is None else config
    names = [config.get(section, {}).get("roster") for section in ("LmsExport", "CanvasExport", "MoodleExport")]
    path = Path(course_root) / next((name for name in names if name), "roster.csv")
    if not path.exists():
        return path, None
    try:
        return path, load_roster(path)
    except ValueError as error:
        raise CollectError(str(error)) from error


def shown(path, course_root):
    """The roster's path as messages name it: relative to the course root where it lies inside."""
    relative = os.path.relpath(path, course_root)
    return str(path) if relative.startswith("..") else relative


def identifier(regexp, roster):
    """A function of a named_regexp match giving its student: the roster row's student_id where a
    group named after a unique roster column (canvas_user_id, email, ...) holds a value the roster
    maps, else the student_id group. None without a roster or such a group."""
    columns = [column for column in UNIQUE_COLUMNS if column in regexp.groupindex]
    if roster is None or not columns:
        return None
    owners = {(column, row[column]): student for student, row in roster.items() for column in columns
              if row.get(column)}

    def identify(match):
        found = (owners.get((column, (match.group(column) or "").strip())) for column in columns)
        return next((student for student in found if student), match.group("student_id"))
    return identify


def _hint(student, roster):
    guess, case_only = likely_id(student, roster)
    return f"did you mean {guess!r}?" + (" ids are case-sensitive" if case_only else "") if guess else ""


def check_zip(zip_name, owners, regexp, path, roster, course_root):
    """Raise CollectError naming every student of the zip (``owners``: {student: a file of theirs})
    that the roster does not list, and the likely cause; nothing when there is no roster."""
    unknown = sorted(student for student in owners if roster is not None and student not in roster)
    if not unknown:
        return
    lines = []
    for student in unknown:
        match = regexp.match(owners[student].rsplit("/", 1)[-1])
        unmapped = [f"{column} {match.group(column)} is in no row" for column in UNIQUE_COLUMNS
                    if match and column in regexp.groupindex and match.group(column)]
        notes = "; ".join(n for n in (*unmapped, _hint(student, roster)) if n)
        lines.append(f"  {student}, from {owners[student]}" + (f" ({notes})" if notes else ""))
    name = shown(path, course_root)
    canvas = "canvas_user_id" not in regexp.groupindex and any(
        _CANVAS_NAME.fullmatch(owners[student].rsplit("/", 1)[-1]) for student in unknown)
    if canvas:
        cause = (f"These are the file names of Canvas's \"Download Submissions\" (lastfirst_USERID_SUBMISSIONID_file), "
                 f"which named_regexp {regexp.pattern!r} reads as students named lastfirst. Set "
                 f"c.FileNameCollectorPlugin.named_regexp = r\"{CANVAS_NAMED_REGEXP}\" in nbgrader_config.py (README, "
                 f"\"4. Collect\", Canvas downloads) and give {name} each student's canvas_user_id.")
    else:
        cause = (f"Add them to {name} or correct the ids. named_regexp {regexp.pattern!r} reads the students from the "
                 "file names (and <student>/ folders name them): if that is not how this LMS names its files, set "
                 "c.FileNameCollectorPlugin.named_regexp in nbgrader_config.py (README, \"4. Collect\").")
    raise CollectError(f"{zip_name}: refused, nothing collected: {name} does not list {len(unknown)} of the "
                       f"students it names:\n" + "\n".join(lines) + "\n" + cause)


def unlisted(course_root, submitted, in_gradebook):
    """The warning (a list of 0 or 1 line) naming the students with a submission (``submitted``) or a
    gradebook entry that the roster does not list; CollectError for a roster that cannot be used."""
    path, roster = load(course_root)
    if roster is None:
        return []
    submitted = {student for student in submitted if student}
    missing = sorted((submitted | set(in_gradebook)) - set(roster))
    if not missing:
        return []
    described = []
    for student in missing:
        where, hint = "submitted" if student in submitted else "in the gradebook", _hint(student, roster)
        described.append(f"{student} ({where}; {hint})" if hint else f"{student} ({where})")
    return [f"warning: {shown(path, course_root)} does not list {', '.join(described)}: the LMS exports and feedback "
            "zips cannot find their LMS ids; add them to the roster or correct the ids"]


def add_to_gradebook(course_root, gradebook, handed_in=(), config=None):
    """The roster is the class: its students who handed nothing in (`handed_in`: those who did) and
    whom the gradebook lacks are added (as nbgrader db student add would), so that work they never
    handed in counts as missing. The note (0 or 1 line) names them."""
    path, roster = load(course_root, config)
    if not roster:
        return []
    added = gradebook.add_students({student: (row.get("name", ""), row.get("email", ""))
                                    for student, row in roster.items() if student not in set(handed_in)})
    return [f"note: added to the gradebook from {shown(path, course_root)}, with nothing handed in yet: "
            f"{', '.join(added)}"] if added else []
