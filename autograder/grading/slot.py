"""A grading slot: one long-lived process that imports nbgrader once and autogrades on request.

Starting nbgrader costs seconds of imports; a slot pays that once and then grades submission
after submission through nbgrader's own Python API, with the kernel in the sandbox, in the slot's
private course folder (autograder.grading.job). The parent
(`SlotProcess`) talks to it in JSON lines, and kills and restarts it when a notebook runs past its
time limit, so a hung kernel costs one submission, never the run.

    python -m autograder.grading.slot --course-root DIR --slot K --interrupt-grace G [--cell-timeout S] [--unsafe]
"""

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time

from autograder.config import Grader, course_config
from autograder.isolation import budget, sandbox


def use_grading_steps(config):
    """The course's `config` with our steps in nbgrader's pipelines where they replace its own (the
    course's lists of steps where it sets them): the guarded Execute, the ordered OverwriteCells, and
    the faster equivalents of autograder.grading.fast_steps."""
    from nbgrader.converters import Autograde, GenerateAssignment

    from autograder.grading.execute import GuardedExecute
    from autograder.grading.fast_steps import FastCheckCellMetadata, FeedbackHTMLExporter
    from autograder.grading.overwrite import OrderedOverwriteCells

    ours = {"Execute": GuardedExecute, "OverwriteCells": OrderedOverwriteCells,
            "CheckCellMetadata": FastCheckCellMetadata}
    for converter, steps in ((Autograde, "sanitize_preprocessors"), (Autograde, "autograde_preprocessors"),
                             (GenerateAssignment, "preprocessors")):
        section = config[converter.__name__]
        listed = section[steps] if steps in section else converter.class_traits()[steps].default()
        section[steps] = [ours.get(step.rsplit(".", 1)[-1] if isinstance(step, str) else step.__name__, step)
                          for step in listed]
    if "exporter_class" not in config.GenerateFeedback:
        config.GenerateFeedback.exporter_class = FeedbackHTMLExporter
    return config


def serve(args):
    from traitlets.config import Config

    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything else printed must not corrupt the protocol

    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder.grading.execute import start_warm_kernel

    overrides = Config()
    if args.cell_timeout is not None:  # --cell-timeout for this run; else the course's c.Execute.timeout stands
        overrides.Execute.timeout = args.cell_timeout
    overrides.GuardedExecute.interrupt_grace = args.interrupt_grace
    if not args.unsafe:
        overrides.Execute.kernel_name = sandbox.KERNEL_NAME
        overrides.KernelManager.transport = "ipc"
        overrides.KernelManager.ip = os.path.join(os.environ["JUPYTER_RUNTIME_DIR"], "kernel")
    # The slot's course folder is private (autograder.grading.job): so is its gradebook, whatever the course uses.
    overrides.CourseDirectory.db_url = f"sqlite:///{os.path.join(args.course_root, 'gradebook.db')}"
    config = use_grading_steps(course_config(args.course_root, overrides))
    config.OrderedOverwriteCells.source_root = config.GuardedExecute.source_root = os.path.join(
        args.course_root, config.CourseDirectory.get("source_directory", "source"))
    api = NbGraderAPI(coursedir=CourseDirectory(config=config, root=args.course_root), config=config)
    registered = set()
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        assignment, student = request["assignment"], request["student"]
        if request["op"] == "prestart":
            start_warm_kernel(config)
            protocol.write(json.dumps({"success": True, "log": ""}) + "\n")
            continue
        result = {"success": True}
        if request["op"] == "register" or assignment not in registered:  # the gradebook learns the cells
            result = api.generate_assignment(assignment, force=True, create=True)
            registered.add(assignment)
        if result.get("success") and request["op"] != "register":
            forget_student(config.CourseDirectory.db_url, assignment, student, request.get("shown"))
            if request["op"] == "autograde":
                result = api.autograde(assignment, student, force=True, create=True)
            else:
                result = api.generate_feedback(assignment, student, force=True)
        protocol.write(json.dumps({"success": bool(result.get("success")),
                                   "log": (result.get("log") or "") + (result.get("error") or "")}) + "\n")


def forget_student(db_url, assignment, student, shown=None):
    """Remove the student's earlier submission from the private gradebook: a job starts from nothing.
    With `shown` (a feedback job), record the scores, comments and penalty the page is to show."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            gradebook.remove_submission(assignment, student)
        except MissingEntry:
            pass
        if shown is None:
            return
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = shown.get("penalty")
            for grade in notebook.grades:
                grade.auto_score, grade.manual_score, grade.extra_credit = shown["grades"].get(grade.name,
                                                                                               [None, None, None])
            for comment in notebook.comments:
                comment.auto_comment, comment.manual_comment = shown["comments"].get(comment.name, [None, None])
        gradebook.db.commit()


class SlotProcess:
    """The grader's handle on one slot process; `request` returns (success or None on timeout, log)."""

    def __init__(self, course_root, slot, env, cell_timeout, unsafe, log_path, runtime=None, cgroups=(),
                 interrupt_grace=Grader.class_traits()["interrupt_grace"].default_value):
        self.command = [sys.executable, "-m", "autograder.grading.slot", "--course-root", str(course_root),
                        "--slot", str(slot), "--interrupt-grace", str(interrupt_grace)] + (
                           ["--cell-timeout", str(cell_timeout)] if cell_timeout is not None else []) + (
                           ["--unsafe"] if unsafe else [])
        self.env, self.process, self.log_path = env, None, log_path
        self.runtime, self.cgroups = runtime, list(cgroups)
        self.start_seconds = 0.0  # spent starting the slot process (nbgrader's imports), all starts together

    def _start(self):
        started = time.perf_counter()
        try:
            self._launch()
        finally:
            self.start_seconds += time.perf_counter() - started

    def _launch(self):
        # The slot's stderr (nbclient's and the kernel's complaints, e.g. "can't start new thread")
        # goes to a log file: nbgrader's own captured log does not always say why a kernel died.
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(self.command, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=log, text=True, start_new_session=True)
        ready = self._read(timeout=120)
        if not (ready and ready.get("ready")):
            self.stop()
            raise RuntimeError("a grading slot could not start nbgrader")

    def _read(self, timeout):
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not readable:
            return None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def request(self, op, assignment, student, timeout, **payload):
        if self.process is None or self.process.poll() is not None:
            self._start()
        log_start = os.path.getsize(self.log_path)
        self.process.stdin.write(json.dumps({"op": op, "assignment": assignment, "student": student, **payload}) + "\n")
        self.process.stdin.flush()
        reply = self._read(timeout)
        with open(self.log_path, errors="replace") as log:
            log.seek(log_start)
            stderr = log.read(1_000_000)
        if reply is None:  # past its time, or the slot died: kill it with its kernel; the next request restarts it
            self.stop()
        if reply is None or op == "autograde":  # the only request that runs a student's code
            self._clear_leftovers()
        if reply is None:
            return None, stderr
        if not reply["success"]:  # nbgrader's own account of a failure, kept for the instructor
            with open(self.log_path, "a") as log:
                log.write(f"--- {op} {assignment} {student} failed:\n{reply['log'][-20000:]}\n")
        return reply["success"], reply["log"] + stderr

    def _clear_leftovers(self):
        """Whatever this student's kernel left running or wrote in the runtime folder goes now."""
        budget.kill(self.cgroups)
        if self.runtime is not None and os.path.isdir(self.runtime):
            sandbox.empty_folder(self.runtime)

    def close(self):
        """Stop the slot and remove its runtime folder."""
        self.stop()
        self._clear_leftovers()
        if self.runtime is not None and os.path.isdir(self.runtime):
            os.rmdir(self.runtime)

    def stop(self):
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--course-root", required=True)
    parser.add_argument("--slot", type=int, required=True)
    parser.add_argument("--cell-timeout", type=int, help="overrides the course's c.Execute.timeout")
    parser.add_argument("--interrupt-grace", type=int, required=True)
    parser.add_argument("--unsafe", action="store_true")
    serve(parser.parse_args(argv))


if __name__ == "__main__":
    main()
