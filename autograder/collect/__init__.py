"""Collect submissions into nbgrader's ``submitted/<student>/<assignment>/<assignment>.ipynb`` layout.

This is the first step of the grading pipeline. It takes what the instructor has (an existing
``submitted/`` tree, or a zip downloaded from the LMS), puts every notebook where
``nbgrader autograde`` looks for it, and reports, per student and assignment, what is wrong:

* ``Submission.notes``: harmless or repaired by nbgrader (a renamed notebook, an ignored extra
  file, a deleted test cell that ``OverwriteCells.add_missing_cells`` restores, an edited locked
  cell that ``OverwriteCells`` overwrites with the instructor's source);
* ``Submission.failure``: nothing sensible can be graded (no notebook, broken JSON, a notebook
  of another assignment, an unsafe student id).

One bad submission never stops the others: only an unusable input as a whole (a zip that is
empty, corrupt, has no notebooks, or is a zip bomb) raises :class:`CollectError`.

Nothing here calls nbgrader at run time; it follows nbgrader's conventions instead:
cell identity is ``metadata.nbgrader.grade_id``, hidden tests are delimited by
``BEGIN HIDDEN TESTS`` / ``END HIDDEN TESTS`` (removed from what students receive), the file-name
convention of ``nbgrader zip_collect`` is ``FileNameCollectorPlugin.named_regexp`` with the groups
``student_id`` and ``file_id``, and ``timestamp.txt`` in a submission folder is nbgrader's own.

Here: what collecting finds, one assignment folder, an existing ``submitted/`` tree and the
course's configuration. autograder.collect.notebook reviews one notebook against its assignment;
autograder.collect.lms_zip reads an LMS zip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autograder.collect.notebook import (  # noqa: F401 - part of this module's interface
    NOTEBOOK_SUFFIX,
    expected_cells,
    grade_ids,
    load_assignments,
    parse_notebook,
    review_notebook,
    similarity,
)

# nbgrader's zip_collect has no default pattern; this one reads "<student>_<file>" and is the
# LMS convention this course uses ("alice_02_forward.ipynb"). A course can override it with
# c.FileNameCollectorPlugin.named_regexp in nbgrader_config.py.
DEFAULT_NAMED_REGEXP = r"^(?P<student_id>[^_/]+)_(?P<file_id>.+)$"

# The largest file collecting reads (a notebook, or a zip member): larger ones are refused or noted
# as ignored without being read, so a student's large data file costs nothing.
MAX_FILE_BYTES = 50 * 2**20

# Files nbgrader itself puts into a submission folder: never reported as the student's extras.
# receipt and practice files: the exchange's (course.exchange.instructor.Collect)
NBGRADER_FILES = frozenset({"timestamp.txt", "submission_secret.txt", "receipt.json", "practice.json",
                            "practice-statement.json"})

# Student ids become folder names and gradebook keys: ASCII letters, digits and _ . - @ only.
_SAFE_ID = re.compile(r"[A-Za-z0-9_.@-]+")

ZIP_SUFFIX = ".zip"


class CollectError(ValueError):
    """The input as a whole is unusable (missing, empty, corrupt or oversized zip; bad config)."""


@dataclass
class Submission:
    """What collecting found for one student and one assignment.

    ``notebook`` is the file nbgrader will grade, inside the course's ``submitted/`` tree, or None
    when ``failure`` says why there is nothing to grade. ``notes`` never block grading.
    """

    student: str
    assignment: str
    notebook: Path | None = None
    notes: list[str] = field(default_factory=list)
    failure: str | None = None
    timestamp: datetime | None = None  # when it was handed in (UTC), where the LMS file name says


@dataclass
class SubmissionFile:
    """One file of a submission, wherever it came from (a folder on disk or a zip member)."""

    name: str  # path relative to the assignment folder, as the student named it
    shown: str  # how messages name it (relative path, or the path inside the zip)
    data: bytes | None = None  # contents; read for notebooks only
    problem: str | None = None  # why the contents could not be read
    path: Path | None = None  # where it lies on disk (directory mode only)
    timestamp: datetime | None = None  # from the named_regexp's timestamp group (zip mode only)
    note: str | None = None  # e.g. a timestamp that could not be read


# ----------------------------------------------------------------------------------------------
# One assignment folder (shared by the directory and the zip paths)
# ----------------------------------------------------------------------------------------------


def is_notebook(name: str) -> bool:
    return name.lower().endswith(NOTEBOOK_SUFFIX)


def _pick(candidates: list[SubmissionFile], assignment: str, assignments: dict[str, dict]):
    """Choose among several notebooks: the readable one whose grade_ids match best.

    Returns ``(file, notebook, schema_note, failure)``; ties go to the first name in order.
    """
    parsed = [(f, *parse_notebook(f.shown, f.data)) if f.problem is None
              else (f, None, None, f"{f.shown} {f.problem}") for f in candidates]
    if len(parsed) == 1:
        return parsed[0]
    readable = [p for p in parsed if p[1] is not None]
    if not readable:
        return None, None, None, "no readable notebook: " + "; ".join(p[3] for p in parsed)
    return max(readable, key=lambda p: similarity(grade_ids(p[1]), assignments[assignment]))


def review_folder(files: list[SubmissionFile], assignment: str, assignments: dict[str, dict]):
    """Decide what to grade in one assignment folder: ``(chosen SubmissionFile | None, notes, failure)``.

    The notebook is ``<assignment>.ipynb``; failing that, the only other notebook (renamed);
    failing that, the notebook whose cells match the assignment best. Everything else is noted
    as ignored, so the instructor sees it without it blocking the grade.
    """
    target = f"{assignment}{NOTEBOOK_SUFFIX}"
    files = sorted(files, key=lambda f: f.shown)
    notebooks = [f for f in files if is_notebook(f.name)]
    notes = [f"ignored extra file {f.shown}" + (f", which {f.problem}" if f.problem else "")
             for f in files if not is_notebook(f.name)]
    if not notebooks:
        found = ", ".join(f.shown for f in files) or "nothing"
        return None, notes, f"no notebook: expected {target} (found: {found})"
    stamps = [f.timestamp for f in notebooks if f.timestamp]
    if stamps:  # an LMS that keeps every attempt: the newest is the submission, as zip_collect decides
        newest = max(stamps)
        notes += [f"ignored older notebook {f.shown}" for f in notebooks if f.timestamp and f.timestamp < newest]
        notebooks = [f for f in notebooks if not f.timestamp or f.timestamp == newest]
    exact = [f for f in notebooks if f.name == target]
    chosen, nb, schema_note, failure = _pick(exact or notebooks, assignment, assignments)
    notes += [f"ignored extra notebook {f.shown}" + (f", which {f.problem}" if f.problem else "")
              for f in notebooks if chosen and f is not chosen]
    if failure:
        return None, notes, failure
    cell_notes, failure = review_notebook(nb, assignment, assignments)
    if failure:
        return None, notes, f"{failure} ({chosen.shown})"
    renamed = [f"renamed {chosen.shown} to {target}"] if chosen.name != target else []
    return chosen, renamed + notes + [n for n in (schema_note, chosen.note) if n] + cell_notes, None


def student_id_problem(student: str) -> str | None:
    """Why a student id cannot be a submitted/ folder name, or None if it is safe."""
    if not _SAFE_ID.fullmatch(student) or student.startswith("."):
        return (f"unsafe student id {student!r}: use only letters, digits and _ . - @ "
                "(not starting with a dot)")
    return None


def _unexpected(error: Exception) -> str:
    return f"could not be checked ({type(error).__name__}: {error})"


def guarded_check(check, *args):
    """Run one submission's check; an unexpected error becomes that submission's failure.

    A single odd file must not stop a whole class from being collected.
    """
    try:
        return check(*args)
    except Exception as error:  # noqa: BLE001 - deliberate: report and carry on with the other students
        return None, [], _unexpected(error)


# ----------------------------------------------------------------------------------------------
# An existing submitted/ tree
# ----------------------------------------------------------------------------------------------


def is_hidden_or_debris(name: str) -> bool:
    """Hidden files and folders (.ipynb_checkpoints, .DS_Store) and macOS zip debris."""
    return name.startswith(".") or name == "__MACOSX"


def _folder_files(folder: Path) -> list[SubmissionFile]:
    """The student's files in an assignment folder, notebooks read, symlinks never followed."""
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(is_hidden_or_debris(part) for part in rel.parts) or str(rel) in NBGRADER_FILES:
            continue
        if path.is_symlink():
            files.append(SubmissionFile(rel.as_posix(), rel.as_posix(), problem="is a symlink (not followed)"))
        elif path.is_file() and path.stat().st_size > MAX_FILE_BYTES:  # never read into memory
            files.append(SubmissionFile(rel.as_posix(), rel.as_posix(), path=path,
                               problem=f"is larger than {MAX_FILE_BYTES / 2**20:g} MB"))
        elif path.is_file():
            data = path.read_bytes() if is_notebook(path.name) else None
            files.append(SubmissionFile(rel.as_posix(), rel.as_posix(), data, path=path))
    return files


def _collect_folder(folder: Path, student: str, assignments: dict[str, dict]) -> Submission:
    """Validate one ``submitted/<student>/<assignment>`` folder, renaming the notebook if needed."""
    assignment = folder.name
    if assignment not in assignments:
        expected = ", ".join(sorted(assignments))
        failure = f"unknown assignment {assignment!r} (expected one of {expected})"
        return Submission(student, assignment, failure=failure)
    try:
        chosen, notes, failure = review_folder(_folder_files(folder), assignment, assignments)
        target = folder / f"{assignment}{NOTEBOOK_SUFFIX}"
        if not failure and chosen.path != target:
            chosen.path.replace(target)  # nbgrader only grades <assignment>.ipynb
    except Exception as error:  # noqa: BLE001 - deliberate: one unreadable folder must not stop the class
        return Submission(student, assignment, failure=_unexpected(error))
    return Submission(student, assignment, None if failure else target, notes, failure)


def collect_directory(submitted_dir, assignments: dict[str, dict]) -> list[Submission]:
    """Validate an existing ``submitted/`` tree: one Submission per student and assignment folder.

    Students are the folder names; misnamed notebooks are renamed in place to
    ``<assignment>.ipynb`` so that nbgrader finds them. Nothing else is changed.
    """
    root = Path(submitted_dir)
    if not root.is_dir():
        raise CollectError(f"{root} is not a folder of submissions")
    results = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden_or_debris(p.name)):
        student = student_dir.name
        problem = student_id_problem(student)
        folders = sorted(p for p in student_dir.iterdir()
                         if p.is_dir() and not p.is_symlink() and not is_hidden_or_debris(p.name))
        if problem:
            results.append(Submission(student, "", failure=problem))
        elif not folders:
            found = sorted(p.name for p in student_dir.iterdir() if not is_hidden_or_debris(p.name))
            results.append(Submission(student, "", failure="no assignment folders"
                                      + (f" (found: {', '.join(found)})" if found else "")))
        else:
            results += [_collect_folder(folder, student, assignments) for folder in folders]
    return results


# ----------------------------------------------------------------------------------------------
# The course's nbgrader configuration
# ----------------------------------------------------------------------------------------------
