"""The practice grading service's work: watch the exchange, decide each new submission, grade fairly in
batches with the instructor's own pipeline, and put each student's page back into the exchange.

It runs as an account of its own (deploy/jupyterhub/grading_service.py starts it for the hub) over a
course root of its own (`root`: the course's source/ and nbgrader_config.py, its own gradebook.db,
submitted/, autograded/, feedback/), with a secret of its own for the verification inputs. It never
writes the instructor's gradebook: the only thing it gives back is a page per submission.
"""

import contextlib
import ctypes
import datetime
import fcntl
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from autograder import collect
from autograder.practice import fair, pages
from autograder.practice.ledger import Ledger
from autograder.practice.policy import decide, parse_time
from autograder.run.command import course_assignments, written_questions
from course.exchange import files as plain

REPO = pathlib.Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


def _die_with_the_service():
    """In the grading run's process, before exec: SIGTERM when the service dies (its cleanup then runs),
    so that a restarted service never grades a student beside a run of the old one."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    os.setpgrp()


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


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

    # ---------------------------------------------------------------- grading

    def grade_next(self):
        """Grade the next fair batch; False when nothing waits."""
        waiting = [r for r in self.ledger.rows("pending") if r["decision"] == "grade"]
        alone = [r for r in waiting if r["receipt_id"] in self.solo]
        lately = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=self.settings.window_minutes)
        served = self.ledger.served_since(lately.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        batch = alone[:1] if alone else fair.next_batch(waiting, self.settings.batch, served)
        if not batch:
            return False
        self.ledger.start([r["receipt_id"] for r in batch])
        ready = []
        for row in batch:
            try:
                self.take_in(row)
                ready.append(row)
            except plain.Refused as refused:  # the exchange kept it; the grader's checks refuse it
                self.deliver(row, pages.notice_page(row["assignment"], row["received"], "Not graded for practice",
                                                    [f"Your submission could not be read: {refused}"]),
                             {"status": "refused", "reason": str(refused)})
        if not ready:
            return True
        if not self.run_grader(ready):
            self.ledger.put_back([r["receipt_id"] for r in ready])
            self.solo.update(r["receipt_id"] for r in ready)
            return True
        for row in ready:
            built = pages.practice_pages(self.root, row["assignment"], row["student"], row["level"], row["received"],
                                         exercises=self.exercises.get(row["assignment"], []),
                                         written=self.written.get(row["assignment"], []))
            summary = json.loads(built.get("practice.json", b"{}") or b"{}")
            self.deliver(row, built, {key: summary.get(key) for key in ("status", "score", "max_score")})
            self.solo.discard(row["receipt_id"])
        return True

    def take_in(self, row):
        """The submission's files, as the exchange keeps them, into submitted/ (nbgrader's layout)."""
        files = self.exchange.files(self._api("submissions", row["assignment"], row["student"], row["receipt_id"]))
        files = tuple((n, d) for n, d in files if n.split("/")[0] not in plain.NOT_SUBMITTED)
        plain.check_files(files, plain.Limits())
        target = self.root / "submitted" / row["student"] / row["assignment"]
        target.parent.mkdir(parents=True, exist_ok=True)
        plain.replace_folder(str(target), files + (("timestamp.txt", row["received"].encode()),))

    def run_grader(self, rows):
        """`python -m autograder grade` on the batch, as the instructor grades; True when it ran to its end."""
        assignments = sorted({r["assignment"] for r in rows})
        students = [arg for r in rows for arg in ("--student", r["student"])]
        argv = [self.python, "-m", "autograder", "--course-root", str(self.root), "grade", *assignments, *students,
                "--jobs", str(self.settings.jobs), "--notebook-timeout", str(self.settings.notebook_timeout)]
        env = {**os.environ, "GRADER_SECRET": self.secret,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        rounds = -(-len(rows) // self.settings.jobs)
        limit = self.settings.notebook_timeout * rounds + 300
        started = time.monotonic()
        with open(self.state / "grading.log", "ab") as log:
            log.write(f"\n== {now_text()} {' '.join(argv[3:])}\n".encode())
            log.flush()
            process = subprocess.Popen(argv, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=_die_with_the_service, pass_fds=(self.lock.fileno(),))
            try:
                status = process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                status = process.wait()
        self.log.info("graded %d submissions (%s) in %.1f s: exit %s", len(rows), ", ".join(assignments),
                      time.monotonic() - started, status)
        return status in (0, 1)  # 1: an assignment's solution stopped; its students get a failed page

    # ---------------------------------------------------------------- the loop

    def step(self):
        """One look at the exchange, the notices, and one batch graded; True when a batch was graded."""
        self.look()
        self.send_notices()
        return self.grade_next()

    def serve(self, stopping=lambda: False):
        while not stopping():
            try:
                busy = self.step()
            except Exception as error:  # noqa: BLE001 - the exchange restarting, a full disk: said, then tried again
                self.log.error("practice grading paused: %s: %s", type(error).__name__, error)
                busy = False
            if not busy:
                time.sleep(self.settings.poll_seconds)
