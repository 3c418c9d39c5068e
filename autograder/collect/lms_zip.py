"""Collecting from an LMS zip: the file-name convention of ``nbgrader zip_collect``, zip-bomb
limits, inner zips, and each student's files sorted into assignment folders. Part of
autograder.collect, which says what collecting is for."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

from autograder.collect import (
    DEFAULT_NAMED_REGEXP,
    MAX_FILE_BYTES,
    ZIP_SUFFIX,
    CollectError,
    Submission,
    SubmissionFile,
    guarded_check,
    is_hidden_or_debris,
    is_notebook,
    review_folder,
    student_id_problem,
)
from autograder.collect import roster as roster_check
from autograder.collect.notebook import NOTEBOOK_SUFFIX, best_assignment, grade_ids, parse_notebook
from autograder.config import course_config

# Zip-bomb limits. They count bytes actually decompressed, not what the headers claim, because a
# hostile header can lie. Only notebooks and inner zips are ever decompressed (each at most
# collect.MAX_FILE_BYTES).
MAX_TOTAL_BYTES = 500 * 2**20
MAX_MEMBERS = 10_000


def _named_regexp(config) -> str:
    return config.get("FileNameCollectorPlugin", {}).get("named_regexp") or DEFAULT_NAMED_REGEXP


def load_named_regexp(course_root) -> str:
    """``c.FileNameCollectorPlugin.named_regexp`` from the course config, else the default."""
    return _named_regexp(course_config(course_root))


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
    """Counts members and decompressed bytes across the zip and its inner zips, and notes whose files
    it holds (``owners``: {student: the first file of theirs})."""

    def __init__(self, zip_name: str):
        self.zip_name, self.members, self.bytes, self.notebooks = zip_name, 0, 0, 0
        self.owners: dict[str, str] = {}

    def count(self, n: int = 1) -> None:
        self.members += n
        if self.members > MAX_MEMBERS:
            raise CollectError(f"{self.zip_name} has more than {MAX_MEMBERS} files; refusing it")

    def saw(self, name: str) -> None:
        """Count notebooks, usable or not: a zip whose only notebook is rejected still had one."""
        self.notebooks += is_notebook(name)

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
    return not unsafe_member_path(name) and (not parts or any(is_hidden_or_debris(p) for p in parts))


def _file_name(file_id: str, original: str) -> str:
    """zip_collect's rule: the file_id without its extension, plus the original file's."""
    return os.path.splitext(file_id)[0] + os.path.splitext(original)[1]


def attribute(parts: list[str], regexp: re.Pattern, assignment_names=(),
              identify=None) -> tuple[str, tuple[str, ...]] | None:
    """Whose file is this? ``(student, path below the student)`` or None.

    Top-level files follow the named_regexp on their base name (``alice_02_forward.ipynb``);
    files in folders follow ``<student>/<assignment>/<file>`` or ``<student>/<file>``. A top
    folder named like an assignment is no student: it is the LMS's per-assignment folder, kept
    as a folder below the student (``02_forward/alice_x.ipynb`` is alice's, in 02_forward).
    ``identify`` (autograder.collect.roster.identifier) names the student of a match instead of its
    student_id group: the roster's id for its canvas_user_id.
    """
    if len(parts) > 1 and parts[0] in assignment_names:
        found = attribute(parts[1:], regexp, identify=identify)
        return found and (found[0], (parts[0],) + found[1])
    if len(parts) > 1:
        return parts[0], tuple(parts[1:])
    match = regexp.match(parts[0])
    if not match or not match.group("student_id") or not match.group("file_id"):
        return None
    student = identify(match) if identify else match.group("student_id")
    return student, (_file_name(match.group("file_id"), parts[0]),)


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
            elif parts[-1].lower().endswith(ZIP_SUFFIX):
                failures.append(Submission(student, "", failure=(
                    f"{name} is a zip inside a zip inside the download; only one level is extracted")))
            else:
                members.append(_read_into_member(inner, info, student, prefix + tuple(parts), name, budget))
    return members, failures


def _read_into_member(zf, info, student, parts, shown, budget) -> _Member:
    """A member with its contents read if it is a notebook (other files are only named)."""
    if _is_symlink(info):
        return _Member(student, parts, shown, problem="is a symlink (not extracted)")
    if not is_notebook(parts[-1]) and not parts[-1].lower().endswith(ZIP_SUFFIX):
        return _Member(student, parts, shown)
    data, problem = _read_member(zf, info, budget)
    return _Member(student, parts, shown, data, problem)


def read_zip(zip_path: Path, regexp: re.Pattern, assignment_names=(),
             identify=None) -> tuple[list[_Member], list[Submission], dict[str, str]]:
    """Read a download into attributed members, failures for members that cannot be used, and
    {student: the first file of theirs} for every student it names.

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
            got, failed = _read_outer(zf, info, regexp, assignment_names, budget, identify)
            members += got
            failures += failed
    if not budget.notebooks:
        raise CollectError(f"{name} contains no notebooks (.ipynb)")
    return members, failures, budget.owners


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


def _read_outer(zf, info, regexp, assignment_names, budget, identify=None) -> tuple[list[_Member], list[Submission]]:
    """One top-level member: reject unsafe paths, attribute it, expand it if it is a zip."""
    parts = _member_parts(info.filename)
    if _junk(info.filename, parts):
        return [], []
    budget.saw(info.filename)
    if unsafe_member_path(info.filename):
        return [], [Submission("", "", failure=f"rejected unsafe path {info.filename!r}; nothing extracted from it")]
    owner = attribute(parts, regexp, assignment_names, identify)
    if owner is None:
        return [], [Submission("", "", failure=(
            f"cannot tell whose file {info.filename!r} is: it is in no student folder and its name "
            f"does not match named_regexp {regexp.pattern!r}"))]
    student, rel = owner
    budget.owners.setdefault(student, info.filename)
    stamp, unreadable = _name_timestamp(parts, regexp)
    member = replace(_read_into_member(zf, info, student, rel, info.filename, budget), timestamp=stamp,
                     note=unreadable)
    if not rel[-1].lower().endswith(ZIP_SUFFIX) or member.data is None:
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
    if not is_notebook(base):
        return None, base
    if base[: -len(NOTEBOOK_SUFFIX)] in assignments:
        return base[: -len(NOTEBOOK_SUFFIX)], base
    nb = parse_notebook(member.shown, member.data)[0] if member.data is not None else None
    return (best_assignment(grade_ids(nb), assignments) if nb else None), base


def _unplaced(member: _Member, assignments: dict[str, dict]) -> str:
    """Why a notebook found no assignment: unreadable, or neither its name nor its cells tell."""
    if member.problem:
        return f"{member.shown} {member.problem}"
    failure = parse_notebook(member.shown, member.data)[2]
    names = ", ".join(sorted(a + NOTEBOOK_SUFFIX for a in assignments))
    return failure or (f"cannot tell which assignment {member.shown} is for: its name is none of {names} "
                       "and its cells match no assignment")


def _student_submissions(student, members, assignments) -> list[tuple[Submission, SubmissionFile | None]]:
    """Group one student's members by assignment and review each group (nothing written yet).

    Returns each Submission with the file chosen for it, which the writing step places.
    """
    problem = student_id_problem(student)
    if problem:
        return [(Submission(student, "", failure=problem), None)]
    groups: dict[str, list[SubmissionFile]] = {}
    extras, results = [], []
    for member in members:
        assignment, name = _assignment_of(member, assignments)
        if assignment:
            groups.setdefault(assignment, []).append(SubmissionFile(name, member.shown, member.data, member.problem,
                                                           timestamp=member.timestamp, note=member.note))
        elif is_notebook(member.parts[-1]):
            results.append((Submission(student, "", failure=_unplaced(member, assignments)), None))
        else:
            extras.append(f"ignored extra file {member.shown}")
    for assignment, files in sorted(groups.items()):
        chosen, notes, failure = guarded_check(review_folder, files, assignment, assignments)
        results.append((Submission(student, assignment, None, notes, failure, chosen and chosen.timestamp), chosen))
    if groups:  # files outside any assignment folder: say so once, on the first assignment
        next(s for s, _ in results if s.assignment).notes.extend(extras)
    elif extras:
        results.append((Submission(student, "", notes=extras, failure="no notebooks"), None))
    return results


def _write(submission: Submission, chosen: SubmissionFile | None, submitted: Path) -> None:
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
    submission.notebook = folder / f"{submission.assignment}{NOTEBOOK_SUFFIX}"
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

    Where the course has a roster (autograder.collect.roster), a named_regexp group named after a roster
    column (``canvas_user_id``) finds the student's roster id, and a zip naming a student the
    roster does not list is refused (CollectError) before anything is written.
    """
    zip_path, course_root = Path(zip_path), Path(course_root)
    config = course_config(course_root)
    regexp = compile_named_regexp(named_regexp or _named_regexp(config))
    submitted = course_root / config.get("CourseDirectory", {}).get("submitted_directory", "submitted")
    roster_path, roster = roster_check.load(course_root, config)
    members, failures, owners = read_zip(zip_path, regexp, frozenset(assignments),
                                         roster_check.identifier(regexp, roster))
    roster_check.check_zip(zip_path.name, owners, regexp, roster_path, roster, course_root)
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
