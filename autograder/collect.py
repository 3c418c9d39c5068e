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
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

import nbformat
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

# nbgrader's zip_collect has no default pattern; this one reads "<student>_<file>" and is the
# LMS convention this course uses ("alice_02_forward.ipynb"). A course can override it with
# c.FileNameCollectorPlugin.named_regexp in nbgrader_config.py.
DEFAULT_NAMED_REGEXP = r"^(?P<student_id>[^_/]+)_(?P<file_id>.+)$"

# Zip-bomb limits. They count bytes actually decompressed, not what the headers claim, because a
# hostile header can lie. Only notebooks and inner zips are ever decompressed: other files are
# reported as ignored without being read, so a student's large data file costs nothing.
MAX_FILE_BYTES = 50 * 2**20
MAX_TOTAL_BYTES = 500 * 2**20
MAX_MEMBERS = 10_000

# nbgrader's ClearHiddenTests defaults: released notebooks lack these regions, so a locked test
# cell is compared with its source minus them (otherwise every hidden test would look "edited").
HIDDEN_TESTS_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_TESTS_END = "END HIDDEN TESTS"

# Files nbgrader itself puts into a submission folder: never reported as the student's extras.
NBGRADER_FILES = frozenset({"timestamp.txt", "submission_secret.txt"})

# Student ids become folder names and gradebook keys: ASCII letters, digits and _ . - @ only.
_SAFE_ID = re.compile(r"[A-Za-z0-9_.@-]+")

_NOTEBOOK = ".ipynb"
_ZIP = ".zip"


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
class _File:
    """One file of a submission, wherever it came from (a folder on disk or a zip member)."""

    name: str  # path relative to the assignment folder, as the student named it
    shown: str  # how messages name it (relative path, or the path inside the zip)
    data: bytes | None = None  # contents; read for notebooks only
    problem: str | None = None  # why the contents could not be read
    path: Path | None = None  # where it lies on disk (directory mode only)
    timestamp: datetime | None = None  # from the named_regexp's timestamp group (zip mode only)
    note: str | None = None  # e.g. a timestamp that could not be read


# ----------------------------------------------------------------------------------------------
# The assignment, from its source notebook
# ----------------------------------------------------------------------------------------------


def _cell_source(cell) -> str:
    """A cell's source as one string (the JSON may hold a list of lines)."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata, or {} for anything malformed (students' files can be)."""
    if not isinstance(cell, dict) or not isinstance(cell.get("metadata"), dict):
        return {}
    meta = cell["metadata"].get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def strip_hidden_tests(source: str) -> str:
    """Remove hidden-test regions the way nbgrader's ClearHiddenTests does (line based)."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_TESTS_BEGIN in line:
            hidden = True
        elif HIDDEN_TESTS_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def normalise_source(source: str) -> str:
    """Compare sources modulo trailing spaces and blank lines: editors add and strip those."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def expected_cells(source_notebook_path) -> dict:
    """Describe an assignment from its source notebook ``source/<a>/<a>.ipynb``.

    Returns a JSON-friendly dict:
    ``assignment`` (the notebook's stem), ``grade_ids`` (every nbgrader cell, in order),
    ``tests`` (grade: true), ``points`` ({test grade_id: points}), ``solutions`` (solution: true),
    and ``locked``: {grade_id: source as released, i.e. without hidden tests}, used to notice a
    student's edits.
    """
    path = Path(source_notebook_path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    grade_ids, tests, points, solutions, locked = [], [], {}, [], {}
    for cell in nb.get("cells", []):
        meta = _nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        grade_ids.append(grade_id)
        if meta.get("grade"):
            tests.append(grade_id)
            points[grade_id] = meta.get("points", 0)
        if meta.get("solution"):
            solutions.append(grade_id)
        if meta.get("locked"):
            locked[grade_id] = strip_hidden_tests(_cell_source(cell))
    return {
        "assignment": path.stem,
        "grade_ids": grade_ids,
        "tests": tests,
        "points": points,
        "solutions": solutions,
        "locked": locked,
    }


def load_assignments(course_root, source_directory: str = "source") -> dict[str, dict]:
    """``expected_cells`` for every ``source/<a>/<a>.ipynb`` of a course, keyed by assignment."""
    source = Path(course_root) / source_directory
    found = {}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()) if source.is_dir() else []:
        notebook = folder / f"{folder.name}{_NOTEBOOK}"
        if notebook.is_file():
            found[folder.name] = expected_cells(notebook)
    return found


# ----------------------------------------------------------------------------------------------
# One notebook
# ----------------------------------------------------------------------------------------------


def parse_notebook(shown: str, data: bytes) -> tuple[dict | None, str | None, str | None]:
    """Parse a student's notebook: ``(notebook, schema_note, failure)``.

    Broken JSON, or JSON that is not a notebook at all (no ``cells``), is a failure. A notebook
    that merely breaks nbformat's schema is only a note: nbgrader reads those with a warning.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, None, f"{shown} is not UTF-8 text: {error.reason} at byte {error.start}"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return None, None, f"{shown} is not valid notebook JSON: {error.msg} (line {error.lineno})"
    if not isinstance(raw, dict):
        return None, None, f"{shown} is not a notebook: its JSON is a {type(raw).__name__}, not an object"
    nb, failure = _as_v4(shown, raw)
    if failure:
        return None, None, failure
    bad = next((i for i, cell in enumerate(nb["cells"]) if not isinstance(cell, dict)), None)
    if bad is not None:
        return None, None, f"{shown} is not a notebook: cell {bad} is not an object"
    return nb, _schema_note(shown, nb), None


def _as_v4(shown: str, raw: dict) -> tuple[dict | None, str | None]:
    """Upgrade an old (v3, "worksheets") notebook to v4 as nbformat would; require ``cells``."""
    if isinstance(raw.get("cells"), list):
        return raw, None
    if isinstance(raw.get("worksheets"), list):
        try:
            return nbformat.convert(nbformat.from_dict(raw), 4), None
        except Exception as error:  # nbformat raises many types for odd input
            return None, f"{shown} is not a notebook: cannot upgrade it to nbformat 4 ({error})"
    return None, f"{shown} is not a notebook: it has no 'cells' list"


def _schema_note(shown: str, nb: dict) -> str | None:
    """A one-line note when nbformat's schema check fails (validate may mutate: use a copy)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns about e.g. missing cell ids
            nbformat.validate(json.loads(json.dumps(nb)))
    except Exception as error:
        message = str(getattr(error, "message", error)).splitlines()[0][:150]
        return f"{shown} does not match the notebook schema ({message}); nbgrader reads it anyway"
    return None


def grade_ids(nb: dict) -> list[str]:
    """The grade_ids of a notebook's nbgrader cells, in order (duplicates kept)."""
    return [m["grade_id"] for m in map(_nbgrader_meta, nb.get("cells", [])) if m.get("grade_id")]


def similarity(ids, expected: dict) -> float:
    """Jaccard overlap of a notebook's grade_ids with an assignment's.

    Jaccard rather than "how many are present" because auto-generated ids (markdown_00, code_01)
    recur in every assignment: only the whole set tells assignments apart.
    """
    mine, theirs = set(ids), set(expected["grade_ids"])
    return len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0


def best_assignment(ids, assignments: dict[str, dict]) -> str | None:
    """The one assignment these grade_ids match best, or None if nothing matches or it is a tie."""
    scores = sorted(((similarity(ids, exp), name) for name, exp in assignments.items()), reverse=True)
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None
    return scores[0][1]


def _ownership_failure(ids, assignment: str, assignments: dict[str, dict]) -> str | None:
    """Fail a notebook of another assignment, or one that shares no cell with this one."""
    expected = assignments[assignment]
    if not expected["grade_ids"]:
        return None  # an assignment without nbgrader cells: nothing to compare with
    owner = best_assignment(ids, assignments)
    if owner and owner != assignment and similarity(ids, assignments[owner]) > similarity(ids, expected):
        return f"this notebook belongs to {owner}, not {assignment}"
    if not set(ids) & set(expected["grade_ids"]):
        return (f"this notebook has none of {assignment}'s nbgrader cells "
                "(was it started from the released notebook?)")
    return None


def _missing_cell_note(grade_id: str, expected: dict) -> str:
    """Say what nbgrader does about a deleted cell (OverwriteCells.add_missing_cells = True)."""
    if grade_id in expected["tests"] and grade_id in expected["solutions"]:
        return f"graded answer cell {grade_id} was deleted; nbgrader restores it without the answer"
    if grade_id in expected["tests"]:
        return f"test cell {grade_id} was deleted; nbgrader restores it"
    if grade_id in expected["solutions"]:
        return f"solution cell {grade_id} was deleted; nbgrader does not restore it"
    return f"locked cell {grade_id} was deleted; nbgrader does not restore it"


def review_notebook(nb: dict, assignment: str, assignments: dict[str, dict]) -> tuple[list[str], str | None]:
    """Compare a parsed notebook with its assignment: ``(notes, failure)``."""
    ids = grade_ids(nb)
    failure = _ownership_failure(ids, assignment, assignments)
    if failure:
        return [], failure
    expected = assignments[assignment]
    notes = [f"grade_id {gid} appears {n} times; nbgrader keeps only the last"
             for gid, n in Counter(ids).items() if n > 1]
    notes += [_missing_cell_note(gid, expected) for gid in expected["grade_ids"] if gid not in ids]
    # The last copy of a duplicated id is the one nbgrader's DeduplicateIds keeps.
    sources = {_nbgrader_meta(c).get("grade_id"): _cell_source(c) for c in nb.get("cells", [])}
    notes += [f"locked cell {gid} was edited; nbgrader restores it"
              for gid, released in expected["locked"].items()
              if gid in sources and normalise_source(sources[gid]) != normalise_source(released)]
    return notes, None


# ----------------------------------------------------------------------------------------------
# One assignment folder (shared by the directory and the zip paths)
# ----------------------------------------------------------------------------------------------


def _is_notebook(name: str) -> bool:
    return name.lower().endswith(_NOTEBOOK)


def _pick(candidates: list[_File], assignment: str, assignments: dict[str, dict]):
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


def review_folder(files: list[_File], assignment: str, assignments: dict[str, dict]):
    """Decide what to grade in one assignment folder: ``(chosen _File | None, notes, failure)``.

    The notebook is ``<assignment>.ipynb``; failing that, the only other notebook (renamed);
    failing that, the notebook whose cells match the assignment best. Everything else is noted
    as ignored, so the instructor sees it without it blocking the grade.
    """
    target = f"{assignment}{_NOTEBOOK}"
    files = sorted(files, key=lambda f: f.shown)
    notebooks = [f for f in files if _is_notebook(f.name)]
    notes = [f"ignored extra file {f.shown}" + (f", which {f.problem}" if f.problem else "")
             for f in files if not _is_notebook(f.name)]
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


def _guarded(check, *args):
    """Run one submission's check; an unexpected error becomes that submission's failure.

    A single odd file must not stop a whole class from being collected.
    """
    try:
        return check(*args)
    except Exception as error:  # deliberate: report and carry on with the other students
        return None, [], _unexpected(error)


# ----------------------------------------------------------------------------------------------
# An existing submitted/ tree
# ----------------------------------------------------------------------------------------------


def _skipped(name: str) -> bool:
    """Hidden files and folders (.ipynb_checkpoints, .DS_Store) and macOS zip debris."""
    return name.startswith(".") or name == "__MACOSX"


def _folder_files(folder: Path) -> list[_File]:
    """The student's files in an assignment folder, notebooks read, symlinks never followed."""
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(_skipped(part) for part in rel.parts) or str(rel) in NBGRADER_FILES:
            continue
        if path.is_symlink():
            files.append(_File(rel.as_posix(), rel.as_posix(), problem="is a symlink (not followed)"))
        elif path.is_file() and path.stat().st_size > MAX_FILE_BYTES:  # never read into memory
            files.append(_File(rel.as_posix(), rel.as_posix(), path=path,
                               problem=f"is larger than {MAX_FILE_BYTES / 2**20:g} MB"))
        elif path.is_file():
            data = path.read_bytes() if _is_notebook(path.name) else None
            files.append(_File(rel.as_posix(), rel.as_posix(), data, path=path))
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
        target = folder / f"{assignment}{_NOTEBOOK}"
        if not failure and chosen.path != target:
            chosen.path.replace(target)  # nbgrader only grades <assignment>.ipynb
    except Exception as error:  # deliberate: one unreadable folder must not stop the class
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
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and not _skipped(p.name)):
        student = student_dir.name
        problem = student_id_problem(student)
        folders = sorted(p for p in student_dir.iterdir()
                         if p.is_dir() and not p.is_symlink() and not _skipped(p.name))
        if problem:
            results.append(Submission(student, "", failure=problem))
        elif not folders:
            found = sorted(p.name for p in student_dir.iterdir() if not _skipped(p.name))
            results.append(Submission(student, "", failure="no assignment folders"
                                      + (f" (found: {', '.join(found)})" if found else "")))
        else:
            results += [_collect_folder(folder, student, assignments) for folder in folders]
    return results


# ----------------------------------------------------------------------------------------------
# An LMS zip
# ----------------------------------------------------------------------------------------------


def load_course_config(course_root) -> Config:
    """The course's ``nbgrader_config.py`` as a traitlets Config (empty if there is none)."""
    path = Path(course_root) / "nbgrader_config.py"
    if not path.is_file():
        return Config()
    try:
        return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    except Exception as error:
        raise CollectError(f"cannot read {path}: {error}") from error


def _named_regexp(config) -> str:
    return config.get("FileNameCollectorPlugin", {}).get("named_regexp") or DEFAULT_NAMED_REGEXP


def load_named_regexp(course_root) -> str:
    """``c.FileNameCollectorPlugin.named_regexp`` from the course config, else the default."""
    return _named_regexp(load_course_config(course_root))


def compile_named_regexp(pattern: str) -> re.Pattern:
    """Compile a named_regexp, insisting on the groups nbgrader requires."""
    try:
        regexp = re.compile(pattern)
    except re.error as error:
        raise CollectError(f"named_regexp {pattern!r} is not a regular expression: {error}") from error
    missing = {"student_id", "file_id"} - set(regexp.groupindex)
    if missing:
        raise CollectError(f"named_regexp {pattern!r} lacks the group(s) {', '.join(sorted(missing))}")
    return regexp


def unsafe_member_path(name: str) -> bool:
    """Absolute paths, drive letters and ``..`` would escape the folder they are extracted to."""
    path = name.replace("\\", "/")
    return path.startswith("/") or bool(re.match(r"[A-Za-z]:", path)) or ".." in path.split("/")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    """Zip members made on Unix carry their file mode in the high 16 bits of external_attr."""
    return stat.S_ISLNK(info.external_attr >> 16)


@dataclass
class _Member:
    """A file of the download, attributed to a student; ``parts`` is its path below the student."""

    student: str
    parts: tuple[str, ...]
    shown: str
    data: bytes | None = None
    problem: str | None = None
    timestamp: datetime | None = None
    note: str | None = None


class _Budget:
    """Counts members and decompressed bytes across the zip and its inner zips."""

    def __init__(self, zip_name: str):
        self.zip_name, self.members, self.bytes, self.notebooks = zip_name, 0, 0, 0

    def count(self, n: int = 1) -> None:
        self.members += n
        if self.members > MAX_MEMBERS:
            raise CollectError(f"{self.zip_name} has more than {MAX_MEMBERS} files; refusing it")

    def saw(self, name: str) -> None:
        """Count notebooks, usable or not: a zip whose only notebook is rejected still had one."""
        self.notebooks += _is_notebook(name)

    def spend(self, n: int) -> None:
        self.bytes += n
        if self.bytes > MAX_TOTAL_BYTES:
            raise CollectError(f"{self.zip_name} expands to more than {MAX_TOTAL_BYTES / 2**20:g} MB; refusing it")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget):
    """Read one member, never more than MAX_FILE_BYTES whatever its header says: (data, problem)."""
    too_big = f"is larger than {MAX_FILE_BYTES / 2**20:g} MB"
    if info.file_size > MAX_FILE_BYTES:
        return None, too_big
    try:
        with zf.open(info) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, zlib.error) as error:
        return None, f"could not be read from the zip ({error})"
    if len(data) > MAX_FILE_BYTES:
        return None, too_big
    budget.spend(len(data))
    return data, None


def _member_parts(name: str) -> list[str]:
    return [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]


def _junk(name: str, parts: list[str]) -> bool:
    """Hidden files and __MACOSX debris, silently skipped (but never an unsafe path: that is reported)."""
    return not unsafe_member_path(name) and (not parts or any(_skipped(p) for p in parts))


def _file_name(file_id: str, original: str) -> str:
    """zip_collect's rule: the file_id without its extension, plus the original file's."""
    return os.path.splitext(file_id)[0] + os.path.splitext(original)[1]


def attribute(parts: list[str], regexp: re.Pattern, assignment_names=()) -> tuple[str, tuple[str, ...]] | None:
    """Whose file is this? ``(student, path below the student)`` or None.

    Top-level files follow the named_regexp on their base name (``alice_02_forward.ipynb``);
    files in folders follow ``<student>/<assignment>/<file>`` or ``<student>/<file>``. A top
    folder named like an assignment is no student: it is the LMS's per-assignment folder, kept
    as a folder below the student (``02_forward/alice_x.ipynb`` is alice's, in 02_forward).
    """
    if len(parts) > 1 and parts[0] in assignment_names:
        found = attribute(parts[1:], regexp)
        return found and (found[0], (parts[0],) + found[1])
    if len(parts) > 1:
        return parts[0], tuple(parts[1:])
    match = regexp.match(parts[0])
    if not match or not match.group("student_id") or not match.group("file_id"):
        return None
    return match.group("student_id"), (_file_name(match.group("file_id"), parts[0]),)


def _inner_members(student, prefix, shown, data, budget) -> tuple[list[_Member], list[Submission]]:
    """Expand a student's zip (one level only) into members below ``prefix``.

    The zip's own stem acts as a folder, so ``alice_02_forward.zip`` holding ``work.ipynb`` lands
    in 02_forward. A zip inside it is refused: that is a failure for that member.
    """
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        return [], [Submission(student, "", failure=f"{shown} is not a readable zip ({error})")]
    members, failures = [], []
    with inner:
        infos = [i for i in inner.infolist() if not i.is_dir()]
        budget.count(len(infos))
        for info in infos:
            name = f"{shown}/{info.filename}"
            parts = _member_parts(info.filename)
            if _junk(info.filename, parts):
                continue
            budget.saw(info.filename)
            if unsafe_member_path(info.filename):
                failures.append(Submission(student, "", failure=f"rejected unsafe path {name!r}"))
            elif parts[-1].lower().endswith(_ZIP):
                failures.append(Submission(student, "", failure=(
                    f"{name} is a zip inside a zip inside the download; only one level is extracted")))
            else:
                members.append(_read_into_member(inner, info, student, prefix + tuple(parts), name, budget))
    return members, failures


def _read_into_member(zf, info, student, parts, shown, budget) -> _Member:
    """A member with its contents read if it is a notebook (other files are only named)."""
    if _is_symlink(info):
        return _Member(student, parts, shown, problem="is a symlink (not extracted)")
    if not _is_notebook(parts[-1]) and not parts[-1].lower().endswith(_ZIP):
        return _Member(student, parts, shown)
    data, problem = _read_member(zf, info, budget)
    return _Member(student, parts, shown, data, problem)


def read_zip(zip_path: Path, regexp: re.Pattern, assignment_names=()) -> tuple[list[_Member], list[Submission]]:
    """Read a download into attributed members, plus failures for members that cannot be used.

    Raises CollectError for a missing, corrupt, empty, oversized or notebook-less zip.
    """
    name = zip_path.name
    if not zip_path.is_file():
        raise CollectError(f"{zip_path} does not exist")
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CollectError(f"{name} is not a readable zip file ({error})") from error
    members, failures, budget = [], [], _Budget(name)
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if not infos:
            raise CollectError(f"{name} is empty")
        budget.count(len(infos))
        for info in infos:
            got, failed = _read_outer(zf, info, regexp, assignment_names, budget)
            members += got
            failures += failed
    if not budget.notebooks:
        raise CollectError(f"{name} contains no notebooks (.ipynb)")
    return members, failures


def read_timestamp(text: str) -> datetime | None:
    """A submission time from a file name's timestamp group, as naive UTC (nbgrader's parse_utc,
    which takes a time without a zone as UTC); also Blackboard's "2024-01-31-13-44-51". None if unreadable."""
    from nbgrader.utils import parse_utc

    # dateutil reads "...-15-10-00" as 15:00 at UTC-10: the dashed form is rewritten before it is parsed.
    dashed = re.fullmatch(r"(\d{4}-\d\d-\d\d)[-_T](\d\d)[-_:](\d\d)[-_:](\d\d)", text)
    try:
        return parse_utc(f"{dashed[1]} {dashed[2]}:{dashed[3]}:{dashed[4]}" if dashed else text)
    except (ValueError, OverflowError, TypeError):
        return None


def _name_timestamp(parts, regexp) -> tuple[datetime | None, str | None]:
    """The timestamp group of the base name's match, and a note when it cannot be read."""
    match = regexp.match(parts[-1])
    text = match.groupdict().get("timestamp") if match else None
    if not text:
        return None, None
    stamp = read_timestamp(text)
    return stamp, None if stamp else f"cannot read the submission time {text!r} in {'/'.join(parts)}; lateness unknown"


def _read_outer(zf, info, regexp, assignment_names, budget) -> tuple[list[_Member], list[Submission]]:
    """One top-level member: reject unsafe paths, attribute it, expand it if it is a zip."""
    parts = _member_parts(info.filename)
    if _junk(info.filename, parts):
        return [], []
    budget.saw(info.filename)
    if unsafe_member_path(info.filename):
        return [], [Submission("", "", failure=f"rejected unsafe path {info.filename!r}; nothing extracted from it")]
    owner = attribute(parts, regexp, assignment_names)
    if owner is None:
        return [], [Submission("", "", failure=(
            f"cannot tell whose file {info.filename!r} is: it is in no student folder and its name "
            f"does not match named_regexp {regexp.pattern!r}"))]
    student, rel = owner
    stamp, unreadable = _name_timestamp(parts, regexp)
    member = replace(_read_into_member(zf, info, student, rel, info.filename, budget), timestamp=stamp,
                     note=unreadable)
    if not rel[-1].lower().endswith(_ZIP) or member.data is None:
        return [member], []
    inner, failures = _inner_members(student, rel[:-1] + (PurePosixPath(rel[-1]).stem,), info.filename,
                                     member.data, budget)
    return [replace(m, timestamp=stamp, note=unreadable) for m in inner], failures


def _assignment_of(member: _Member, assignments: dict[str, dict]) -> tuple[str | None, str]:
    """Which assignment folder a member belongs in, and its name there.

    The last folder named like an assignment wins (a student's ``02_forward/02_forward/`` double
    nesting included); a loose notebook goes by its file name, then by its cells' grade_ids.
    """
    folders = member.parts[:-1]
    for i in range(len(folders) - 1, -1, -1):
        if folders[i] in assignments:
            return folders[i], "/".join(member.parts[i + 1:])
    base = member.parts[-1]
    if not _is_notebook(base):
        return None, base
    if base[: -len(_NOTEBOOK)] in assignments:
        return base[: -len(_NOTEBOOK)], base
    nb = parse_notebook(member.shown, member.data)[0] if member.data is not None else None
    return (best_assignment(grade_ids(nb), assignments) if nb else None), base


def _unplaced(member: _Member, assignments: dict[str, dict]) -> str:
    """Why a notebook found no assignment: unreadable, or neither its name nor its cells tell."""
    if member.problem:
        return f"{member.shown} {member.problem}"
    failure = parse_notebook(member.shown, member.data)[2]
    names = ", ".join(sorted(a + _NOTEBOOK for a in assignments))
    return failure or (f"cannot tell which assignment {member.shown} is for: its name is none of {names} "
                       "and its cells match no assignment")


def _student_submissions(student, members, assignments) -> list[tuple[Submission, _File | None]]:
    """Group one student's members by assignment and review each group (nothing written yet).

    Returns each Submission with the file chosen for it, which the writing step places.
    """
    problem = student_id_problem(student)
    if problem:
        return [(Submission(student, "", failure=problem), None)]
    groups: dict[str, list[_File]] = {}
    extras, results = [], []
    for member in members:
        assignment, name = _assignment_of(member, assignments)
        if assignment:
            groups.setdefault(assignment, []).append(_File(name, member.shown, member.data, member.problem,
                                                           timestamp=member.timestamp, note=member.note))
        elif _is_notebook(member.parts[-1]):
            results.append((Submission(student, "", failure=_unplaced(member, assignments)), None))
        else:
            extras.append(f"ignored extra file {member.shown}")
    for assignment, files in sorted(groups.items()):
        chosen, notes, failure = _guarded(review_folder, files, assignment, assignments)
        results.append((Submission(student, assignment, None, notes, failure, chosen and chosen.timestamp), chosen))
    if groups:  # files outside any assignment folder: say so once, on the first assignment
        next(s for s, _ in results if s.assignment).notes.extend(extras)
    elif extras:
        results.append((Submission(student, "", notes=extras, failure="no notebooks"), None))
    return results


def _write(submission: Submission, chosen: _File | None, submitted: Path) -> None:
    """Place the chosen notebook, replacing any earlier copy of this student's assignment."""
    folder = submitted / submission.student / submission.assignment
    if submission.failure or chosen is None:
        if folder.exists():
            submission.notes.append(f"an earlier copy in {folder} was left in place")
        return
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)  # like zip_collect's _clear_existing_files: the zip is the truth
    folder.mkdir(parents=True)
    submission.notebook = folder / f"{submission.assignment}{_NOTEBOOK}"
    submission.notebook.write_bytes(chosen.data)  # the student's bytes, unchanged
    if submission.timestamp:  # nbgrader reads the submission time from here, as after `nbgrader collect`
        (folder / "timestamp.txt").write_text(submission.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))


def collect_zip(zip_path, course_root, assignments: dict[str, dict],
                named_regexp: str | None = None) -> list[Submission]:
    """Extract an LMS download into ``course_root/submitted/<student>/<assignment>/<assignment>.ipynb``.

    Students come from ``named_regexp`` (default: the course config's
    ``c.FileNameCollectorPlugin.named_regexp``, else DEFAULT_NAMED_REGEXP) applied to top-level
    base names, or from ``<student>/...`` folders. A student's zip is expanded one level.
    Everything is read and checked before anything is written, and only notebooks are written,
    to paths built from a validated student id and a known assignment, so a hostile member name
    can never choose where a file lands. Re-running replaces earlier copies: it is idempotent.
    """
    zip_path, course_root = Path(zip_path), Path(course_root)
    config = load_course_config(course_root)
    regexp = compile_named_regexp(named_regexp or _named_regexp(config))
    submitted = course_root / config.get("CourseDirectory", {}).get("submitted_directory", "submitted")
    members, failures = read_zip(zip_path, regexp, frozenset(assignments))
    by_student: dict[str, list[_Member]] = {}
    for member in members:
        by_student.setdefault(member.student, []).append(member)
    reviewed = [(f, None) for f in failures]
    for student, own in sorted(by_student.items()):
        reviewed += _student_submissions(student, own, assignments)
    for submission, chosen in reviewed:
        if submission.assignment and not student_id_problem(submission.student):
            _write(submission, chosen, submitted)
    results = [submission for submission, _ in reviewed]
    return sorted(results, key=lambda s: (s.student, s.assignment, s.failure or ""))
