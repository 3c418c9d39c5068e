"""The practice grading service's work: watch the exchange, decide each new submission, grade fairly in
batches with the instructor's own pipeline, and put each student's page back into the exchange.

It runs as an account of its own (deploy/jupyterhub/grading_service.py starts it for the hub) over a
course root of its own (`root`: the course's source/ and nbgrader_config.py, its own gradebook.db,
submitted/, autograded/, feedback/), with a secret of its own for the verification inputs. It never
writes the instructor's gradebook: the only thing it gives back is a page per submission.
"""

import contextlib
import ctypes
import dataclasses
import datetime
import fcntl
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

from autograder import collect
from autograder.practice import fair, pages
from autograder.practice.ledger import Ledger
from autograder.practice.policy import TIME_FORMAT, decide, parse_time
from autograder.run.command import course_assignments, written_questions
from course.exchange import files as plain

REPO = pathlib.Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


def _die_with_the_service():
    """In the grading run's process, before exec: SIGTERM when the service dies (its cleanup then runs),
    so that a restarted service never grades a student beside a run of the old one."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    os.setpgrp()


@dataclasses.dataclass
class GradingRun:
    process: subprocess.Popen
    rows: list  # ledger rows, one per student
    root: pathlib.Path  # the lane's course root
    log: object  # its open log file
    started: float  # time.monotonic()
    limit: float  # seconds after which it is stopped
    done_log: pathlib.Path  # grade --done-log: a line per student once their grading is recorded
    lines_read: int = 0
    delivered: set = dataclasses.field(default_factory=set)  # receipt ids whose page went back mid-run

    def waiting(self):
        return [row for row in self.rows if row["receipt_id"] not in self.delivered]


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIME_FORMAT)


class PracticeService:
    def __init__(self, root, state, exchange, course_id, settings, *, secret, log, python=sys.executable):
        self.root, self.state = pathlib.Path(root), pathlib.Path(state)
        self.exchange, self.course, self.settings, self.log = exchange, course_id, settings, log
        self.secret, self.python = secret, python
        self.state.mkdir(parents=True, exist_ok=True)
        # One service per course root: a second waits here, and so does a restarted one while a grading
        # run of the old one is still finishing (the run holds the same lock through its inherited file).
        self.lock = open(self.state / "service.lock", "w")  # held for the service's life
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.ledger = Ledger(self.state / "ledger.sqlite")
        recovered = self.ledger.recover()
        if recovered:
            self.log.info("%d submissions were being graded when the service stopped: graded again unless "
                          "their page is already in the exchange", len(recovered))
        expected = collect.load_assignments(self.root)
        self.exercises, self.written = course_assignments(expected), written_questions(expected)
        self.solo = set()  # receipts of a run that failed: each is graded alone next, so one cannot sink others
        self.roots = self.lane_roots()
        self.running = {}  # lane -> GradingRun

    # ---------------------------------------------------------------- the exchange

    def _api(self, *parts):
        return "/".join(["courses", self.course, *parts])

    def look(self):
        """Decide every submission not seen before (oldest first), and note pages already delivered."""
        entries = self.exchange.call("GET", self._api("submissions"))
        due = {name: parse_time(when) if when else None
               for name, when in self.exchange.call("GET", self._api("due")).items()}
        known = self.ledger.known()
        fresh = sorted((e["receipt"] for e in entries if e["receipt"]["receipt_id"] not in known),
                       key=lambda r: (r["received"], r["receipt_id"]))
        for receipt in fresh:
            before = [parse_time(t) for t in self.ledger.graded_times(receipt["student_id"], receipt["assignment_id"])]
            decision = decide(self.settings, receipt["assignment_id"], parse_time(receipt["received"]), before,
                              due.get(receipt["assignment_id"]))
            self.ledger.add(receipt, decision)
        delivered = {e["receipt"]["receipt_id"] for e in entries if e.get("practice")}
        for row in self.ledger.rows("pending"):
            if row["receipt_id"] in delivered:  # put before a stop, not yet marked: never graded twice
                self.ledger.done(row["receipt_id"], {"status": "delivered before a restart"}, now_text())
        return len(fresh)

    def deliver(self, row, files, outcome):
        path = self._api("practice", row["assignment"], row["student"], row["receipt_id"])
        self.exchange.send("PUT", path, sorted(files.items()))
        self.ledger.done(row["receipt_id"], outcome, now_text())
        latency = (parse_time(now_text()) - parse_time(row["received"])).total_seconds()
        self.log.info("practice %s of %s %s (%s) delivered %.1f s after it was received", outcome.get("status"),
                      row["student"], row["assignment"], row["receipt_id"], latency)

    def send_notices(self):
        """Pages for submissions not graded: rate-limited, off, closed, or given up after max_attempts."""
        for row in self.ledger.rows("pending"):
            if row["decision"] != "grade":
                title = "Not graded for practice" if row["decision"] == "limited" else "No practice feedback"
                self.deliver(row, pages.notice_page(row["assignment"], row["received"], title, [row["reason"]]),
                             {"status": row["decision"], "reason": row["reason"]})
            elif row["attempts"] >= self.settings.max_attempts:
                reason = (f"This submission could not be graded for practice: grading it stopped {row['attempts']} "
                          "times. Your instructor's grading after the due date is not affected.")
                self.deliver(row, pages.notice_page(row["assignment"], row["received"], "Not graded for practice",
                                                    [reason]), {"status": "given up", "reason": reason})

    # ---------------------------------------------------------------- grading, in lanes

    def lane_roots(self):
        """One course root per lane: `root` for the first, a copy of its source/ and settings beside it for
        each other. Lanes share nothing on disk (gradebook included), so that their runs go side by side:
        a submission that hangs holds its own lane only, while the others serve everyone else."""
        roots = [self.root]
        for lane in range(1, self.settings.lanes):
            lane_root = self.root.with_name(f"{self.root.name}-lane{lane}")
            lane_root.mkdir(exist_ok=True)
            shutil.rmtree(lane_root / "source", ignore_errors=True)
            shutil.copytree(self.root / "source", lane_root / "source")
            shutil.copy2(self.root / "nbgrader_config.py", lane_root / "nbgrader_config.py")
            roots.append(lane_root)
        return roots

    def dispatch(self):
        """Start the next fair batch on each idle lane; True when one started."""
        started = False
        for lane, root in enumerate(self.roots):
            if lane in self.running:
                continue
            busy = {row["student"] for run in self.running.values() for row in run.waiting()}
            waiting = [r for r in self.ledger.rows("pending") if r["decision"] == "grade" and r["student"] not in busy]
            alone = [r for r in waiting if r["receipt_id"] in self.solo]
            lately = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=self.settings.window_minutes)
            served = self.ledger.served_since(lately.strftime(TIME_FORMAT))
            batch = alone[:1] if alone else fair.next_batch(waiting, self.settings.batch, served)
            if not batch:
                break
            self.ledger.start([r["receipt_id"] for r in batch])
            try:
                ready = [row for row in batch if self.take_in(root, row)]
            except Exception:  # the exchange went away meanwhile: the batch waits for the next look
                self.ledger.put_back([r["receipt_id"] for r in batch])
                raise
            if ready:
                self.running[lane] = self.start_run(lane, root, ready)
                started = True
        return started

    def take_in(self, root, row):
        """The submission's files, as the exchange keeps them, into the lane's submitted/ (nbgrader's
        layout); False (and the student told why) when the grader's own checks refuse them."""
        files = self.exchange.files(self._api("submissions", row["assignment"], row["student"], row["receipt_id"]))
        files = tuple((n, d) for n, d in files if n.split("/")[0] not in plain.NOT_SUBMITTED)
        try:
            plain.check_files(files, plain.Limits())
        except plain.Refused as refused:
            self.deliver(row, pages.notice_page(row["assignment"], row["received"], "Not graded for practice",
                                                [f"Your submission could not be read: {refused}"]),
                         {"status": "refused", "reason": str(refused)})
            return False
        target = root / "submitted" / row["student"] / row["assignment"]
        target.parent.mkdir(parents=True, exist_ok=True)
        plain.replace_folder(str(target), files + (("timestamp.txt", row["received"].encode()),))
        return True

    def start_run(self, lane, root, rows):
        """`python -m autograder grade` on the batch in the lane's course root, as the instructor grades."""
        assignments = sorted({r["assignment"] for r in rows})
        students = [arg for r in rows for arg in ("--student", r["student"])]
        argv = [self.python, "-m", "autograder", "--course-root", str(root), "grade", *assignments, *students,
                "--jobs", str(self.settings.jobs), "--notebook-timeout", str(self.settings.notebook_timeout),
                "--cell-timeout", str(self.settings.cell_timeout)]
        done_log = self.state / f"done-lane{lane}.jsonl"
        done_log.write_text("")
        argv += ["--done-log", str(done_log)]
        env = {**os.environ, "GRADER_SECRET": self.secret,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        log = open(self.state / f"grading-lane{lane}.log", "ab")  # closed when the run is reaped
        log.write(f"\n== {now_text()} {' '.join(argv[3:])}\n".encode())
        log.flush()
        process = subprocess.Popen(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=_die_with_the_service, pass_fds=(self.lock.fileno(),))
        limit = self.settings.notebook_timeout * -(-len(rows) // self.settings.jobs) + 120
        return GradingRun(process, rows, root, log, time.monotonic(), limit, done_log)

    def reap(self):
        """Deliver the pages of every run that ended; stop a run past its limit. True when one ended."""
        ended = False
        for lane, run in list(self.running.items()):
            status = run.process.poll()
            self.deliver_recorded(run)
            if status is None:
                if time.monotonic() - run.started > run.limit:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(run.process.pid, signal.SIGTERM)
                continue
            del self.running[lane]
            run.log.close()
            ended = True
            self.log.info("lane %d graded %d submissions (%s) in %.1f s: exit %s", lane, len(run.rows),
                          ", ".join(sorted({r["assignment"] for r in run.rows})), time.monotonic() - run.started,
                          status)
            if status not in (0, 1):  # 1: an assignment's solution stopped; its students get a failed page
                self.ledger.put_back([r["receipt_id"] for r in run.waiting()])
                self.solo.update(r["receipt_id"] for r in run.waiting())
                continue
            for row in run.waiting():
                self.deliver_page(run, row)
        return ended

    def deliver_recorded(self, run):
        """Hand back, mid-run, the page of each student whose grading the run has recorded (its --done-log),
        so that a classmate's hung notebook in the same batch holds nobody else. A failed grading waits
        for the run's end, whose grades.csv says why."""
        try:
            complete = run.done_log.read_text(encoding="utf-8").split("\n")[:-1]  # the last: "" or still being written
        except OSError:
            return
        for line in complete[run.lines_read:]:
            entry = json.loads(line)
            for row in run.waiting():
                outcome = entry.get("outcomes", {}).get(row["assignment"]) if row["student"] == entry.get("student") \
                    else None
                if outcome and outcome.get("status") != "failed":
                    self.deliver_page(run, row)
                    run.delivered.add(row["receipt_id"])
        run.lines_read = len(complete)

    def deliver_page(self, run, row):
        built = pages.practice_pages(run.root, row["assignment"], row["student"], row["level"], row["received"],
                                     exercises=self.exercises.get(row["assignment"], []),
                                     written=self.written.get(row["assignment"], []))
        summary = json.loads(built.get("practice.json", b"{}") or b"{}")
        self.deliver(row, built, {key: summary.get(key) for key in ("status", "score", "max_score")})
        self.solo.discard(row["receipt_id"])

    # ---------------------------------------------------------------- the loop

    def step(self):
        """One look at the exchange, the notices, the runs that ended, and new runs on idle lanes; True
        when something moved (the loop then looks again at once)."""
        self.look()
        self.send_notices()
        ended = self.reap()
        self.put_back_orphans()
        return self.dispatch() or ended

    def put_back_orphans(self):
        """Submissions marked as being graded that no run holds (an error while their run was handed back):
        pending again, never left waiting until a restart."""
        held = {row["receipt_id"] for run in self.running.values() for row in run.waiting()}
        orphans = [row["receipt_id"] for row in self.ledger.rows("grading") if row["receipt_id"] not in held]
        if orphans:
            self.ledger.put_back(orphans)

    def serve(self, stopping=lambda: False):
        while not stopping():
            try:
                busy = self.step()
            except Exception as error:  # noqa: BLE001 - the exchange restarting, a full disk: said, then tried again
                self.log.error("practice grading paused: %s: %s", type(error).__name__, error)
                busy = False
            if not busy:
                time.sleep(self.settings.poll_seconds)
