"""The coordinator of a grading run: it decides what to grade, sends jobs to a pool, and writes.

Jobs (autograder.grading.job) are pure and run in a pool: the local slots of this machine
(autograder.run.local_pool.LocalPool) or the workers of a Dask cluster (autograder.run.dask_pool.DaskPool). This
process alone writes what a run leaves behind: the gradebook, autograded/ and feedback/. It merges
each result as it arrives, one at a time, so a job that ran twice (a worker lost mid-job, then
retried) still counts once.
"""

import collections
import concurrent.futures
import dataclasses
import json
import pathlib
import tempfile
import time

from traitlets.config import Config

from autograder.config import course_config
from autograder.grading import job, likely_mistakes, slot
from autograder.grading.options import diagnosis_seed, verification_seed
from autograder.grading.outcome import INTERNAL_ERROR, AssignmentResult, internal_error, timed
from autograder.grading.versions import course_version, submission_digests
from autograder.isolation import sandbox
from autograder.record import late, practice_scores, term
from autograder.record.gradebook import Gradebook, course_db_url, shown_digest
from autograder.run import canary
from autograder.run.progress import Progress

DEFAULT_WINDOW = 64  # jobs out at once in a pool that does not say (see Run.backlog)


@dataclasses.dataclass
class Grading:
    """One submission on its way through a run, from Run.grade to Run.record: each state fills in its fields."""

    # Made (Run.grade): what was handed in, what the gradebook last recorded of it, collect's notes.
    inputs: str  # digest of all its grading depends on (autograder.grading.versions.submission_digests)
    notebook: str  # digest of the notebook alone: a resubmission of hand-graded work is flagged
    last_record: dict  # the gradebook's record of its last grading ({} if none)
    notes: list  # collect's notes, then the files the grade job left out: first among the reasons
    # Sent (Run.send): its grade job, later perhaps its feedback job.
    sent_at: float | None = None  # time.perf_counter() when its last job left for the pool
    # Settled (Run.settle, after Run.merge, or at once when unchanged): then recorded by Run.record.
    result: AssignmentResult | None = None
    new_record: dict | None = None  # the fields Run.record writes (Gradebook.update_record)
    # Sent for feedback (Run.settle, when what the page shows changed): written by Run.write_feedback.
    feedback_digest: str | None = None  # shown_digest of what the new page shows


def _replace_folder(folder, files):
    """`folder` holds exactly `files` ((relative path, bytes), ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    sandbox.empty_folder(folder)
    job.write_files(folder, files)


class Run:
    """One grading run's state: what is pending in the pool, and each student's outcomes so far."""

    def __init__(self, root, assignments, by_student, options, pool, *, force, extensions, penalty, gradebook,
                 practice_key=None, done_log=None):
        self.root, self.assignments, self.by_student, self.options, self.pool = \
            root, assignments, by_student, options, pool
        self.practice_key = practice_key  # c.Grader.practice_scores: the exchange's key, else None
        self.done_log = done_log  # grade --done-log: a line per student once recorded
        self.force, self.extensions, self.penalty, self.gradebook = force, extensions, penalty, gradebook
        self.due_dates = gradebook.due_dates(assignments)
        self.versions = {a: course_version(root, a) for a in assignments}
        self.course = {a: job.course_files(root, a, self.versions[a]) for a in assignments}
        self.outcomes = {student: {} for student in by_student}
        self.pending = {}  # future -> (finish, student, assignment, Grading)
        # Jobs not yet sent: (function, make_payload, finish, student, assignment, Grading). A job's
        # files are read only when it is sent, and at most `window` are out at once, so that a
        # class of thousands is never held in memory whole.
        self.backlog = collections.deque()
        self.window = getattr(pool, "window", DEFAULT_WINDOW)
        self.unfinished = collections.Counter()  # student -> their jobs in the backlog or the pool
        self.progress = Progress(len(by_student))
        self.results = {}
        self.registering = None  # a future: prepare_gradebook, running beside the first jobs
        self.unchanged = []  # (student, assignment, result, Grading) of submissions not graded again

    def leave_out(self, assignments):
        """Grade none of `assignments` (their solution failed its canary): as if never asked for."""
        self.assignments = [a for a in self.assignments if a not in assignments]
        self.by_student = {student: [s for s in handed_in if s.assignment not in assignments]
                           for student, handed_in in self.by_student.items()}

    def start(self, student):
        handed_in = {s.assignment: s for s in self.by_student[student]}
        for assignment in self.assignments:
            submission = handed_in.get(assignment)
            if submission is None:  # missing once due, else not yet due
                self.done(student, assignment, term.missing(assignment, self.due_dates.get(assignment),
                                                            self.extensions.get((student, assignment))))
            elif submission.failure:
                self.done(student, assignment,
                          AssignmentResult(assignment, status="failed", reasons=[submission.failure]))
            else:
                self.guarded(student, assignment, self.grade, submission)
        for submission in self.by_student[student]:  # e.g. an unknown assignment folder
            if submission.assignment not in self.assignments and submission.failure:
                name = submission.assignment or "?"
                self.outcomes[student][name] = AssignmentResult(name, status="failed", reasons=[submission.failure])
        self.finish_student_if_done(student)

    def guarded(self, student, assignment, step, *args):
        """Run one step of a submission; an error of the grader's own fails that submission only."""
        try:
            step(student, assignment, *args)
        except Exception as error:  # noqa: BLE001 - e.g. the gradebook refused a write
            self.done(student, assignment, internal_error(assignment, error))

    def grade(self, student, assignment, submission):
        """Send the submission to the pool unless it is unchanged since it was last graded."""
        notebook_digest, inputs = submission_digests(self.root, student, assignment, self.versions[assignment])
        record = self.gradebook.record(assignment, student)
        autograded = self.root / "autograded" / student / assignment / f"{assignment}.ipynb"
        # A failure the submission caused (a crash, a timeout) would only repeat; one of ours is retried.
        ours = any(reason.startswith(INTERNAL_ERROR) for reason in record.get("reasons", []))
        grading = Grading(inputs, notebook_digest, record, submission.notes)
        if (not self.force and record.get("inputs") == inputs and not ours
                and (autograded.is_file() or record.get("status") == "failed")):
            result = AssignmentResult(assignment, status=record["status"], reasons=list(record["reasons"]),
                                      graded_now=False)
            self.unchanged.append((student, assignment, result, grading))  # settled once the jobs are out
            return
        def grade_job():
            files, left_out = job.read_submission(self.root / "submitted" / student / assignment)
            grading.notes = [*grading.notes, *left_out]
            return job.GradeJob(student, assignment, files, self.course[assignment],
                                verification_seed(self.options.secret, student, assignment),
                                diagnosis_seed(self.options.secret, assignment))

        self.submit(job.run_grade, grade_job, self.merge, student, assignment, grading)

    def submit(self, function, make_payload, finish, student, assignment, grading, first=False):
        """Send a job when the window has room; `first`: before every job not yet sent (feedback,
        which completes a student, goes before the next students' grading)."""
        entry = (function, make_payload, finish, student, assignment, grading)
        self.backlog.appendleft(entry) if first else self.backlog.append(entry)
        self.unfinished[student] += 1
        self.send()

    def send(self):
        while self.backlog and len(self.pending) < self.window:
            function, make_payload, finish, student, assignment, grading = self.backlog.popleft()
            try:
                payload = make_payload()
            except Exception as error:  # noqa: BLE001 - e.g. a submission folder that cannot be read
                self.unfinished[student] -= 1
                self.done(student, assignment, internal_error(assignment, error))
                continue
            grading.sent_at = time.perf_counter()
            self.pending[self.pool.submit(function, payload)] = (finish, student, assignment, grading)

    def wait_until_registered(self):
        """Block until the gradebook knows the assignments' cells; prepare_gradebook's error is raised here."""
        if self.registering is not None:
            registering, self.registering = self.registering, None
            registering.result()  # a SystemExit (nbgrader refused an assignment) ends the run with its reason

    def wait_until_registered_quietly(self):
        """Block until prepare_gradebook is over, raising none of its errors (the run is ending)."""
        if self.registering is not None:
            concurrent.futures.wait([self.registering])

    def merge(self, student, assignment, outcome, grading):
        """The one writer: a grade job's results into autograded/ and the gradebook, then verdicts."""
        self.wait_until_registered()
        result = AssignmentResult(assignment, status=outcome.status, reasons=list(outcome.reasons),
                                  stages=dict(outcome.stages))
        if outcome.status != "failed":
            if self.practice_key:
                result.reasons.extend(self.take_practice_scores(student, assignment, outcome))
            with timed(result, "gradebook"):
                _replace_folder(self.root / "autograded" / student / assignment, outcome.autograded)
                self.gradebook.merge_autograde(assignment, student, outcome)
                flag_reasons = self.gradebook.apply_verdicts(assignment, student, outcome.refuted,
                                                             grading.notebook, leaks=outcome.leaks)
                grades = self.gradebook.scores(assignment, student)
            if flag_reasons:
                result.status = "flagged"
                result.reasons = [*flag_reasons, *result.reasons]
            result.max_scores = {name: g["max_score"] for name, g in grades.items()}
            result.scores = {name: g["score"] for name, g in grades.items()}
        result.mistakes = dict(outcome.mistakes)
        result.seconds = time.perf_counter() - grading.sent_at
        self.settle(student, assignment, result, grading)

    def take_practice_scores(self, student, assignment, outcome):
        """The practice grading's scores in place of the job's auto scores, where they can be trusted; the notes."""
        scores, note = practice_scores.taken(self.root / "submitted" / student / assignment, assignment, student,
                                             self.practice_key)
        if scores is None:
            return [f"practice score not taken: {note}"]
        changed = practice_scores.apply(outcome.grades, scores)
        return [note] + [f"{grade_id}: practice {practice:g} taken, this run gave {own:g}"
                         for grade_id, own, practice in changed]

    def settle(self, student, assignment, result, grading):
        """Settle lateness, and send for feedback where what the page shows changed."""
        self.wait_until_registered()
        grading.result = result
        grading.new_record = {"inputs": grading.inputs, "status": result.status, "reasons": list(result.reasons)}
        if result.mistakes is not None:  # graded now (else the record keeps those of its last grading)
            grading.new_record["mistakes"] = result.mistakes
        with timed(result, "settle lateness"):
            shown = self.gradebook.settle(assignment, student, self.extensions.get((student, assignment)),
                                          self.penalty)
        if shown is not None:  # the page names the likely mistake of each exercise still short of its points
            found = grading.last_record.get("mistakes", {}) if result.mistakes is None else result.mistakes
            shown["mistakes"] = likely_mistakes.lines(found, self.gradebook.scores(assignment, student))
        feedback = self.root / "feedback" / student / assignment / f"{assignment}.html"
        autograded = self.root / "autograded" / student / assignment
        digest = shown_digest(shown)
        if result.status != "failed" and shown is not None and (
                result.graded_now or digest != grading.last_record.get("feedback") or not feedback.is_file()):
            grading.feedback_digest = digest
            self.submit(job.run_feedback, lambda: job.FeedbackJob(student, assignment, self.course[assignment],
                                                                  job.read_files(autograded), shown),
                        self.write_feedback, student, assignment, grading, first=True)
            return
        self.record(student, assignment, grading)

    def write_feedback(self, student, assignment, outcome, grading):
        result = grading.result
        for stage, seconds in outcome.stages.items():
            result.stages[stage] = result.stages.get(stage, 0.0) + seconds
        if outcome.status == "failed":
            result.reasons.extend(outcome.reasons)
        else:
            _replace_folder(self.root / "feedback" / student / assignment, outcome.feedback)
            grading.new_record["feedback"] = grading.feedback_digest
        self.record(student, assignment, grading)

    def record(self, student, assignment, grading):
        self.gradebook.update_record(assignment, student, **grading.new_record)
        result = grading.result
        result.reasons = [*grading.notes, *result.reasons]
        self.done(student, assignment, result)

    def done(self, student, assignment, result):
        self.outcomes[student][assignment] = result
        self.finish_student_if_done(student)

    def finish_student_if_done(self, student):
        outcomes = self.outcomes[student]
        if (student not in self.results and all(a in outcomes for a in self.assignments)
                and not self.unfinished[student]):
            self.results[student] = outcomes
            self.progress.update(outcomes.values())
            if self.done_log:
                with open(self.done_log, "a", encoding="utf-8") as log:
                    log.write(json.dumps({"student": student, "outcomes": {
                        a: {"status": r.status, "reasons": r.reasons} for a, r in outcomes.items()}}) + "\n")

    def collect(self):
        """Merge results as jobs finish, until none is pending."""
        for student, assignment, result, grading in self.unchanged:
            self.wait_until_registered()
            self.guarded(student, assignment, self.settle, result, grading)
        self.send()
        while self.pending:
            finished, _ = concurrent.futures.wait(list(self.pending), return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                finish, student, assignment, grading = self.pending.pop(future)
                self.unfinished[student] -= 1
                try:
                    outcome = future.result()
                except Exception as error:  # noqa: BLE001 - the job hit an error of ours, or its worker was lost
                    self.done(student, assignment, internal_error(assignment, error))
                    continue
                self.wait_until_registered()  # its failure ends the run, not one student
                self.guarded(student, assignment, finish, outcome, grading)
            self.send()


def prepare_gradebook(root, assignments):
    """Record each assignment's cells in the gradebook (nbgrader needs them to grade), leaving release/ alone."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    with tempfile.TemporaryDirectory() as scratch:
        overrides = Config()
        overrides.CourseDirectory.release_directory = scratch
        config = slot.use_grading_steps(course_config(root, overrides))
        api = NbGraderAPI(coursedir=CourseDirectory(config=config, root=str(root)), config=config)
        for assignment in assignments:
            result = api.generate_assignment(assignment, force=True, create=True)
            if not result.get("success"):
                raise SystemExit(f"error: nbgrader could not register {assignment}:\n{result.get('log', '')}"
                                 f"{result.get('error', '')}")


def grade_class(root, assignments, submissions, options, jobs, *, students=None, class_list=(), force=False,
                extensions=None, penalty=None, gradebook=None, pool=None, slots=None, stopped=None, practice_key=None,
                done_log=None):
    """{student: {assignment: AssignmentResult}} for every collected submission, graded in the pool
    (the local slots of this machine, `jobs` of them numbered from `slots`, unless a pool is given).

    stopped: a dict; when given, each assignment's solution is graded first (autograder.run.canary),
    and an assignment whose solution falls short is not graded at all: {assignment: why} goes there.

    A submission graded before, whose notebook, submission time and course version are unchanged,
    is not graded again unless `force`; its feedback is rewritten only when what it shows changed
    (an instructor's manual score, a penalty). students: only these (all when empty); class_list:
    students who get a row besides those of the gradebook and `submissions` (who handed in only
    assignments outside this run).
    """
    from autograder.run.local_pool import LocalPool

    root = pathlib.Path(root)
    own_pool = pool is None
    own_gradebook = gradebook is None
    gradebook = gradebook or Gradebook(course_db_url(root))
    penalty = penalty or late.penalty_plugin(course_config(root))
    by_student = {}
    for submission in submissions:
        by_student.setdefault(submission.student, []).append(submission)
    for student in [*gradebook.students(), *class_list]:  # known students with nothing to grade still get a row
        by_student.setdefault(student, [])
    if students:
        by_student = {student: by_student.get(student, []) for student in students}
    pool = pool or LocalPool(root, min(jobs, max(1, len(by_student) * len(assignments))), options, slots)
    run = Run(root, assignments, by_student, options, pool, force=force, extensions=extensions or {},
              penalty=penalty, gradebook=gradebook, practice_key=practice_key, done_log=done_log)
    # The gradebook learns the assignments' cells while the first jobs run: no result is merged before.
    registrar = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    run.registering = registrar.submit(prepare_gradebook, root, assignments)
    registrar.shutdown(wait=False)
    try:
        if stopped is not None:  # the canaries run while the gradebook learns the cells
            stopped.update(canary.check_solutions(root, run.course, pool, options, force=force, remember=own_pool))
            run.leave_out(stopped)
        for student in sorted(run.by_student) if run.assignments else ():
            run.start(student)
        run.collect()
    except BaseException:  # Ctrl-C or SIGTERM: start nothing else; closing the pool ends the rest
        pool.cancel()
        raise
    finally:
        run.wait_until_registered_quietly()
        pool.close()
        if own_gradebook:
            gradebook.close()
    return run.results
