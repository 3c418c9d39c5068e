"""A grading job: a pure function of what it carries, so that any slot on any machine can run it.

    grade:    (notebook bytes, submission time, course files, seed) -> scores, autograded notebook, verdicts
    feedback: (autograded notebook, the scores, comments and penalty to show, course files) -> feedback HTML

A job reads nothing of the instructor's course folder and writes nothing another job reads. It
carries the assignment's source folder and the course's nbgrader_config.py; each slot grades in a
private course folder of its own, with a private SQLite gradebook from which it removes the student
before every job. Only the coordinating process (autograder.run.coordinator) writes the instructor's
gradebook, autograded/ and feedback/. The seed, not GRADER_SECRET, travels with a job.
"""

import fcntl
import json
import os
import pathlib
import shutil
import tempfile
from dataclasses import dataclass, field

from autograder.collect import MAX_FILE_BYTES
from autograder.grading import likely_mistakes, sanitize
from autograder.grading.environment import slot_environment
from autograder.grading.outcome import failure_reason, timed
from autograder.grading.slot import SlotProcess
from autograder.grading.versions import grader_version
from autograder.isolation import sandbox
from autograder.judging import leaks, verify
from autograder.record import awaiting, gradebook

SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}
# Seconds the lost exercises of one submission get to be diagnosed when the run sets no cell timeout:
# a function that takes longer has lost its points to the cell's limit anyway.
DIAGNOSIS_TIMEOUT = 60
# What a job carries of a submission folder: a student's 2 GB data file stays where it is.
MAX_TOTAL_BYTES = 4 * MAX_FILE_BYTES


@dataclass(frozen=True)
class CourseFiles:
    """What grading one assignment needs of the course besides the submission."""
    assignment: str
    version: str  # course_version: the files below and the grader together
    grader: str  # grader_version of the coordinator: a worker running other grading code refuses
    files: tuple  # ((path relative to the course root, bytes), ...)


def course_files(root, assignment, version):
    root = pathlib.Path(root)
    files = [("nbgrader_config.py", (root / "nbgrader_config.py").read_bytes())] \
        if (root / "nbgrader_config.py").is_file() else []
    source = root / "source" / assignment
    for path in sorted(source.rglob("*")):
        if path.is_file() and not SKIPPED_PARTS & set(path.relative_to(source).parts):
            files.append((path.relative_to(root).as_posix(), path.read_bytes()))
    return CourseFiles(assignment, version, grader_version(), tuple(files))


@dataclass
class GradeJob:
    student: str
    assignment: str
    files: tuple  # ((path relative to the submission folder, bytes), ...): the notebook, timestamp.txt, extras
    course: CourseFiles
    seed: int  # verification_seed of the instructor's secret
    class_seed: int = 0  # diagnosis_seed: the inputs every student's lost exercises are diagnosed on


@dataclass
class FeedbackJob:
    student: str
    assignment: str
    course: CourseFiles
    autograded: tuple  # ((relative path, bytes), ...) of the autograded submission
    # what the page shows: {"grades": {name: [auto, manual, extra credit]}, "comments": {name: [auto, manual]},
    # "penalty": float or None}
    shown: dict


@dataclass
class JobResult:
    student: str
    assignment: str
    status: str = "graded"  # graded | failed
    reasons: list = field(default_factory=list)
    grades: dict = field(default_factory=dict)  # grade_id -> {"auto_score", "max_score"}
    comments: dict = field(default_factory=dict)  # answer cell -> nbgrader's auto_comment
    timestamp: str = ""  # the submission time nbgrader read, ISO format ("" when none)
    refuted: dict = field(default_factory=dict)  # exercise -> why its outputs disagree with the reference
    # exercise that lost points -> its Diagnosis as a record {"mistake", "message", "output"} (judging.mistakes)
    mistakes: dict = field(default_factory=dict)
    # text of the instructor's source notebook in the submission: {"reason", "withdrawn": [exercise]}, or {}
    leaks: dict = field(default_factory=dict)
    autograded: tuple = ()  # ((relative path, bytes), ...)
    feedback: tuple = ()  # ((relative path, bytes), ...): the page, and what nbgrader copies beside it
    stages: dict = field(default_factory=dict)  # seconds per step (grade --profile)


class GraderMismatch(RuntimeError):
    """The worker's grading code is not the coordinator's: its verdicts could differ."""


class Slot:
    """One slot of a machine: a sandbox uid and cgroups, a long-lived nbgrader process, and a
    private course folder holding the assignments it graded, each at the version it last saw."""

    def __init__(self, number, folder, options):
        self.number, self.folder, self.options = number, pathlib.Path(folder), options
        self.root = self.folder / "course"
        self.process, self.config, self.versions = None, None, {}

    def ready_for(self, course):
        """The private course folder holds `course` and the slot's nbgrader runs on its configuration.
        True when nbgrader must (re)learn the assignment's cells from its source folder."""
        if course.grader != grader_version():
            raise GraderMismatch("this worker's grading code differs from the coordinator's: install the same "
                                 "version of the course on every worker")
        files = dict(course.files)
        config = files.pop("nbgrader_config.py", b"")
        if self.process is None or config != self.config:  # a new configuration: a new nbgrader process
            self.close()
            if self.root.exists():
                shutil.rmtree(self.root)
            self.root.mkdir(parents=True)
            write_files(self.root, [("nbgrader_config.py", config)] if config else [])
            shutil.copyfile(gradebook.empty_gradebook(), self.root / "gradebook.db")
            self.config = config
            self.process = open_slot_process(self.root, self.folder, self.number, self.options)
        if self.versions.get(course.assignment) == course.version:
            return False
        shutil.rmtree(self.root / "source" / course.assignment, ignore_errors=True)
        write_files(self.root, files.items())
        self.versions[course.assignment] = course.version
        return True

    def fresh_folder(self, kind, student, assignment):
        for part in ("submitted", "autograded", "feedback"):
            if (self.root / part).is_dir():
                sandbox.empty_folder(self.root / part)
        folder = self.root / kind / student / assignment
        folder.mkdir(parents=True)
        return folder

    def close(self):
        if self.process is not None:
            self.process.close()
            self.process = None
        self.config, self.versions = None, {}


def open_slot_process(root, folder, number, options):
    """The nbgrader process of a slot. Its kernels' runtime folder (IPC sockets, connection file) is
    the one folder they can write that the grader reads: a fresh one for each process, emptied after
    each request, removed when the process closes."""
    folder.mkdir(parents=True, exist_ok=True)
    # Never under the course: an IPC socket's path must stay within 107 bytes.
    runtime = pathlib.Path(tempfile.mkdtemp(prefix=f"backprop-{os.getpid()}-slot{number}-", dir=options.scratch))
    runtime.chmod(0o1777)  # the sandbox uid creates its IPC sockets here
    env = slot_environment(folder, number, options, runtime)
    return SlotProcess(root, number, env, options.cell_timeout, options.unsafe, folder / "slot.log",
                       runtime=runtime, cgroups=options.budgets.of(number), interrupt_grace=options.interrupt_grace)


def run_grade(job, slot):
    """Autograde `job` in the sandbox, then verify every exercise nbgrader awarded points to, and diagnose
    every exercise that lost points (autograder.judging.mistakes)."""
    result = JobResult(job.student, job.assignment)
    with timed(result, "register"):
        register = slot.ready_for(job.course)
    write_files(slot.fresh_folder("submitted", job.student, job.assignment), job.files)
    success, output = _request(slot, result, "autograde", job, register, timeout=slot.options.notebook_timeout)
    autograded = slot.root / "autograded" / job.student / job.assignment
    if success is None:
        return _failed(result, f"grading took longer than {slot.options.notebook_timeout} s")
    if not success or not (autograded / f"{job.assignment}.ipynb").is_file():
        return _failed(result, failure_reason(output))
    with timed(result, "sanitize"):
        removed = sanitize.sanitize_submission(autograded)
    if removed:
        result.reasons.append("not kept in the autograded copy (a browser would run them, or not readable "
                              f"notebooks): {', '.join(removed)}")
    with timed(result, "gradebook"):
        _read_private_gradebook(slot.root, job, result)
    awarded = [name[len("test_"):] for name, grade in result.grades.items()
               if name.startswith("test_") and (grade["auto_score"] or 0) > 0]
    notebook = json.loads((autograded / f"{job.assignment}.ipynb").read_text())
    options = slot.options
    with timed(result, "verify"):
        verdicts = verify.verify(notebook, awarded, seed=job.seed, slot=slot.number, limits=options.limits,
                                 unsafe=options.unsafe, cgroups=options.budgets.of(slot.number), scratch=options.scratch)
    result.refuted = {exercise: reason for exercise, reason in verdicts.items() if reason}
    lost = lost_exercises(result.grades, result.refuted)
    if lost:
        with timed(result, "diagnose"):
            found = verify.diagnose(notebook, lost, seed=job.class_seed, slot=slot.number, limits=options.limits,
                                    unsafe=options.unsafe, cgroups=options.budgets.of(slot.number),
                                    scratch=options.scratch, timeout=options.cell_timeout or DIAGNOSIS_TIMEOUT)
        errors = test_cell_errors(notebook)
        result.mistakes = {exercise: {**diagnosis.as_record(),
                                      "message": diagnosis.message or errors.get(exercise, "")}
                           for exercise, diagnosis in found.items()}
    with timed(result, "leaks"):
        result.leaks = find_leaks(job)
    result.autograded = read_files(autograded)
    if not options.unsafe:  # every process of this student is gone: the next one's kernel may boot
        slot.process.request("prestart", job.assignment, job.student, timeout=60)
    return result


def lost_exercises(grades, refuted):
    """The exercises whose test cell nbgrader scored below its points, and those verification refuted."""
    short = {name[len("test_"):] for name, grade in grades.items()
             if name.startswith("test_") and (grade["auto_score"] or 0) < grade["max_score"]}
    return sorted(short | set(refuted))


def test_cell_errors(notebook):
    """{exercise: the first line of the error its test cell raised} in an autograded notebook: what the
    student saw, for a lost exercise whose outputs show nothing wrong (its visible test failed otherwise)."""
    from autograder.judging.mistakes import first_line

    def field(value, key, default):  # the student's notebook may hold anything where a dict is expected
        return value.get(key, default) if isinstance(value, dict) else default

    errors = {}
    for cell in field(notebook, "cells", []) if isinstance(field(notebook, "cells", []), list) else []:
        grade_id = field(field(field(cell, "metadata", {}), "nbgrader", {}), "grade_id", "")
        outputs = field(cell, "outputs", [])
        failed = [o for o in outputs if field(o, "output_type", "") == "error"] if isinstance(outputs, list) else []
        if isinstance(grade_id, str) and grade_id.startswith("test_") and failed:
            errors[grade_id[len("test_"):]] = first_line(f"{failed[0].get('ename', '')}: {failed[0].get('evalue', '')}")
    return errors


def run_canary(job, slot):
    """run_grade on the instructor's solution (autograder.run.canary), which then leaves nothing behind
    in the slot's private course folder or gradebook: its result goes only to the canary's judge."""
    try:
        return run_grade(job, slot)
    finally:
        for part in ("submitted", "autograded"):
            shutil.rmtree(slot.root / part / job.student, ignore_errors=True)
        _forget_in_private_gradebook(slot.root, job.student)


def _forget_in_private_gradebook(root, student):
    from nbgrader.api import Gradebook, MissingEntry

    if (root / "gradebook.db").is_file():
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
            try:
                gradebook.remove_student(student)
            except MissingEntry:
                pass


def _request(slot, result, op, job, register, **arguments):
    """Ask the slot's nbgrader for `op`, first having it learn the assignment's cells when they are
    new to it. Seconds spent starting nbgrader ("slot start") or preparing the private course folder
    and learning the cells ("register") count apart."""
    if register or slot.process.process is None:
        starts = slot.process.start_seconds
        with timed(result, "register"):
            success, output = slot.process.request("register", job.assignment, job.student, timeout=300)
        if slot.process.start_seconds > starts:
            result.stages["slot start"] = slot.process.start_seconds - starts
            result.stages["register"] -= result.stages["slot start"]
        if not success:
            return success, output
    with timed(result, op):
        return slot.process.request(op, job.assignment, job.student, **arguments)


def read_files(folder, max_file_bytes=MAX_FILE_BYTES, max_total_bytes=MAX_TOTAL_BYTES):
    """((path relative to `folder`, bytes), ...) of every regular file under it; links are left out,
    and so is what is over the limits (see read_submission)."""
    return read_submission(folder, max_file_bytes, max_total_bytes)[0]


def read_submission(folder, max_file_bytes=MAX_FILE_BYTES, max_total_bytes=MAX_TOTAL_BYTES):
    """(files as read_files gives them, notes on what was left out): files larger than
    `max_file_bytes`, and those past `max_total_bytes` in all, travel with no job."""
    folder = pathlib.Path(folder)
    files, left_out, total = [], [], 0
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        name, size = path.relative_to(folder).as_posix(), path.stat().st_size
        if size > max_file_bytes or total + size > max_total_bytes:
            left_out.append(f"not graded with the notebook: {name}, {size / 2**20:.0f} MB (more than "
                            f"{max_file_bytes / 2**20:g} MB a file or {max_total_bytes / 2**20:g} MB a submission)")
            continue
        with open(path, "rb") as handle:
            data = handle.read(max_file_bytes + 1)
        if len(data) > max_file_bytes or total + len(data) > max_total_bytes:  # it grew since
            left_out.append(f"not graded with the notebook: {name} (it grew while it was read)")
            continue
        files.append((name, data))
        total += len(data)
    return with_receipt_time(tuple(files)), left_out


def with_receipt_time(files):
    """A submission collected from the course's exchange carries the exchange's receipt: its time (the
    exchange's clock when it received the work) is the time nbgrader's lateness sees, whatever a
    timestamp.txt says."""
    receipt = dict(files).get("receipt.json")
    try:
        received = json.loads(receipt)["received"] if receipt else None
    except (ValueError, KeyError, TypeError):
        received = None
    if not isinstance(received, str):
        return files
    return tuple((n, d) for n, d in files if n != "timestamp.txt") + (("timestamp.txt", received.encode()),)


def write_files(folder, files):
    """Write `files` (read_files' answer) under `folder`; a path that would leave it is refused."""
    folder = pathlib.Path(folder)
    for name, data in files:
        relative = pathlib.PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"refusing to write {name!r} outside {folder}")
        path = folder.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def _failed(result, reason):
    result.status, result.reasons = "failed", [reason]
    return result


def _read_private_gradebook(root, job, result):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(job.assignment, job.student)
        result.timestamp = submission.timestamp.isoformat() if submission.timestamp else ""
        notebook = gradebook.find_submission_notebook(job.assignment, job.assignment, job.student)
        result.grades = {g.name: {"auto_score": g.auto_score, "max_score": float(g.max_score)} for g in notebook.grades}
        result.comments = {c.name: c.auto_comment for c in notebook.comments}


def source_only(course):
    """The source-only lines (autograder.judging.leaks) of the assignment whose source folder `course` carries."""
    path = f"source/{course.assignment}/{course.assignment}.ipynb"
    source = dict(course.files).get(path)
    return leaks.source_only(json.loads(source)) if source else leaks.SourceOnly({}, {}, {}, {})


def find_leaks(job):
    """What of the instructor's source notebook the submitted notebook (as handed in, before nbgrader
    put the instructor's test cells back) holds: {"reason", "withdrawn"}, or {} when nothing."""
    submitted = dict(job.files).get(f"{job.assignment}.ipynb")
    try:
        notebook = json.loads(submitted)
    except (TypeError, ValueError):  # nbgrader graded it, so it was readable: a renamed copy at most
        return {}
    found = leaks.find_leaks(notebook, source_only(job.course))
    return {"reason": found.reason(), "withdrawn": found.withdrawn} if found.found else {}


def redact_feedback(files, course):
    """A feedback folder's files, its pages without any line of the instructor's source notebook
    (solutions, model answers, hidden tests), whatever the submission put there."""
    secret = source_only(course).lines()
    return tuple((name, leaks.redact_html(data.decode("utf-8", "replace"), secret)[0].encode())
                 if name.endswith(".html") else (name, data) for name, data in files)


def run_feedback(job, slot):
    """nbgrader's feedback page of an autograded submission, showing exactly `job.shown`."""
    result = JobResult(job.student, job.assignment)
    with timed(result, "register"):
        register = slot.ready_for(job.course)
    write_files(slot.fresh_folder("autograded", job.student, job.assignment), job.autograded)
    success, output = _request(slot, result, "feedback", job, register, timeout=300, shown=job.shown)
    folder = slot.root / "feedback" / job.student / job.assignment
    if not success or not (folder / f"{job.assignment}.html").is_file():
        return _failed(result, f"feedback not generated: {failure_reason(output)}")
    with timed(result, "redact feedback"):
        files = mark_awaiting_answers(read_files(folder), job.shown)
        files = tuple((name, likely_mistakes.add_to_page(data.decode("utf-8", "replace"),
                                                         job.shown.get("mistakes")).encode())
                      if name.endswith(".html") and job.shown.get("mistakes") else (name, data) for name, data in files)
        result.feedback = redact_feedback(files, job.course)
    return result


def mark_awaiting_answers(files, shown):
    """A feedback folder's files, its pages showing the answers awaiting a grader as such: nbgrader
    shows them scored 0, which a student reads as a grade (autograder.record.awaiting)."""
    grade_ids = awaiting.awaiting_grade_ids(shown)
    return tuple((name, awaiting.mark_awaiting(data.decode("utf-8", "replace"), grade_ids).encode())
                 if grade_ids and name.endswith(".html") else (name, data) for name, data in files)


def claim_slot_numbers(count, lock_folder=None):
    """`count` slot numbers no other grader on this machine holds (each owns a sandbox uid), and the
    open lock files that hold them until the process ends or `release_slot_numbers`."""
    folder = pathlib.Path(lock_folder or sandbox.scratch_root(memory_charged=False) or tempfile.gettempdir())
    folder = folder / "backprop-slot-locks"
    folder.mkdir(mode=0o700, exist_ok=True)
    numbers, handles = [], []
    candidate = 0
    while len(numbers) < count:
        handle = open(folder / f"slot-{candidate}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
        else:
            numbers.append(candidate)
            handles.append(handle)
        candidate += 1
    return numbers, handles


def release_slot_numbers(handles):
    for handle in handles:
        handle.close()
