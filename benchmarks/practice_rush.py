"""A deadline rush on a real hub: how long students wait for their practice feedback, and how the hub's
login page answers meanwhile.

The course's hub on loopback (deploy/jupyterhub: the hub, its proxy, the exchange service and the practice
grading service, as `make hub` runs them) with one instructor, who releases 03_backprop, and N students who
are hub users only (tests/support/class_hub.py: their servers never start; each has a hub token). Each
student submits once, at a seeded random time within the rush, straight to the exchange API with their own
token, as their server's nbgrader would; a seeded mix of notebooks from the grader's catalog: right (the
solutions, or different but correct code), one wrong function (a typical mistake) and hostile (a fork bomb,
an infinite loop, an os._exit, broken JSON). Then each student polls their submissions list every second
until their entry has feedback: the latency from submit (the POST answered) to feedback available. A probe
times GET /hub/login every second throughout.

Run as root (the hub starts its services as their accounts), from the repository root:

    .venv/bin/python benchmarks/practice_rush.py                          # 200 students, 10 minutes
    .venv/bin/python benchmarks/practice_rush.py --students 20 --minutes 1  # quick mode

Targets (2 cores): feedback p95 under 3 minutes, login page p95 under 1 s. Prints a table, writes
benchmarks/practice_rush.json and ends with one JSON line.
"""

import argparse
import base64
import datetime
import json
import os
import pathlib
import random
import re
import shutil
import sqlite3
import statistics
import sys
import threading
import time

import requests

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.catalog import (  # noqa: E402 - the repository joins sys.path above
    BLANK,
    DIFFERENT_BUT_CORRECT,
    FORK_BOMB,
    MISTAKES,
    looping,
)
from tests.support.class_hub import running_class_hub  # noqa: E402 - the repository joins sys.path above
from tests.support.hub import COURSE_ID, in_instructor_terminal  # noqa: E402 - the repository joins sys.path above
from tests.support.notebook import student_notebook  # noqa: E402 - the repository joins sys.path above

ASSIGNMENT = "03_backprop"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
HOSTILE = ("fork_bomb", "infinite_loop", "os_exit", "broken_json")
TARGET_FEEDBACK_P95 = 180.0
TARGET_LOGIN_P95 = 1.0


# ---------------------------------------------------------------- the class

def plan(students, minutes, seed):
    """[(student index, kind, detail, seconds after the start)]: the seeded mix, sorted by time.
    60 % right (a third of them different but correct), 30 % one wrong function, 10 % hostile."""
    rng = random.Random(seed)
    rows = []
    for index in range(students):
        draw = rng.random()
        if draw < 0.6:
            kind, detail = "right", ("different" if rng.random() < 1 / 3 else "solution")
        elif draw < 0.9:
            kind, detail = "wrong", rng.choice(sorted(MISTAKES))
        else:
            kind, detail = "hostile", rng.choice(HOSTILE)
        rows.append((index, kind, detail, rng.uniform(0, minutes * 60)))
    return sorted(rows, key=lambda row: row[3])


def notebook_bytes(index, kind, detail):
    """The submitted notebook's bytes; a comment of the student's own makes each class member's distinct."""
    mark = f"# student {index}'s work"
    if detail == "broken_json":
        return b'{"cells": ['
    if kind == "right":
        notebook = student_notebook(ASSIGNMENT, DIFFERENT_BUT_CORRECT if detail == "different" else None, prepend=mark)
    elif kind == "wrong":
        notebook = student_notebook(ASSIGNMENT, {detail: MISTAKES[detail]}, prepend=mark)
    elif detail == "fork_bomb":
        notebook = student_notebook(ASSIGNMENT, prepend=mark + "\n" + FORK_BOMB)
    elif detail == "infinite_loop":
        notebook = student_notebook(ASSIGNMENT, {"mse_loss": looping("while True: pass")}, prepend=mark)
    else:  # os_exit: the kernel leaves in the first answer cell
        notebook = student_notebook(ASSIGNMENT, BLANK, prepend=mark + "\nimport os\nos._exit(0)")
    return json.dumps(notebook).encode()


# ---------------------------------------------------------------- what each student and the probe do

class Student(threading.Thread):
    """One student: submits at their time with their own token, then polls their submissions list."""

    def __init__(self, exchange, token, name, row, start, deadline, poll):
        super().__init__(daemon=True)
        self.exchange, self.name, self.row, self.start_at = exchange, name, row, start + row[3]
        self.deadline, self.poll = deadline, poll
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self.body = {"files": {NOTEBOOK: base64.b64encode(notebook_bytes(*row[:3])).decode("ascii")}}
        self.result = {"student": name, "kind": row[1], "detail": row[2], "offset_s": round(row[3], 1)}

    def api(self, *parts):
        return "/".join([self.exchange, "api", "courses", COURSE_ID, *parts])

    def run(self):
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        posted = time.monotonic()
        try:
            answer = self.session.post(self.api("submissions", ASSIGNMENT), json=self.body, timeout=120)
        except requests.RequestException as error:
            self.result["error"] = f"submit: {error}"
            return
        submitted = time.monotonic()
        self.result["submit_s"] = round(submitted - posted, 3)
        if answer.status_code != 201:
            self.result["error"] = f"submit refused ({answer.status_code}): {answer.text[:200]}"
            return
        receipt = answer.json()["receipt_id"]
        self.result["submitted_at"] = submitted
        while time.monotonic() < self.deadline:
            time.sleep(self.poll)
            try:
                entries = self.session.get(self.api("submissions", ASSIGNMENT), timeout=60).json()
            except (requests.RequestException, ValueError):
                continue  # counted by the latency: feedback not yet seen
            mine = next((e for e in entries if e["receipt"]["receipt_id"] == receipt), None)
            if mine and mine["feedback"]:
                self.result["latency_s"] = round(time.monotonic() - submitted, 2)
                self.result["practice"] = mine.get("practice")
                self.result["score"] = self.score_shown(receipt)
                return

    def score_shown(self, receipt):
        """"X of Y" from the page the student is shown (what Fetch Feedback would bring), or what it says."""
        try:
            answer = self.session.get(self.api("feedback", ASSIGNMENT, self.name, receipt), timeout=60).json()
            pages = [base64.b64decode(data).decode(errors="replace") for name, data in answer["files"].items()
                     if name.endswith(".html")]
        except (requests.RequestException, ValueError, KeyError, AttributeError) as error:
            return f"unread: {error}"
        found = re.search(r"Practice score: ([\d.]+ of [\d.]+)", " ".join(pages))
        return found.group(1) if found else ("not graded" if pages else "no page")


class LoginProbe(threading.Thread):
    """GET /hub/login every `every` seconds until stopped: its latencies (failures kept as errors)."""

    def __init__(self, base, every=1.0):
        super().__init__(daemon=True)
        self.url, self.every, self.stopping = f"{base}/hub/login", every, threading.Event()
        self.latencies, self.errors, self.loads = [], [], []  # loads: the machine's 1-minute load average

    def run(self):
        session = requests.Session()
        while not self.stopping.is_set():
            began = time.monotonic()
            self.loads.append(os.getloadavg()[0])
            try:
                answer = session.get(self.url, timeout=30)
                if answer.status_code != 200:
                    self.errors.append(answer.status_code)
                self.latencies.append(time.monotonic() - began)
            except requests.RequestException as error:
                self.errors.append(type(error).__name__)
            self.stopping.wait(max(0.0, self.every - (time.monotonic() - began)))


# ---------------------------------------------------------------- figures

def percentile(values, share):
    """The nearest-rank percentile (share in 0..1) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def summary(values):
    return {"n": len(values), "p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
            "max": max(values) if values else None, "mean": statistics.fmean(values) if values else None}


def outcomes(state):
    """The practice service's ledger after the rush: {outcome status: count} (read-only)."""
    path = state / "practice" / "state" / "ledger.sqlite"
    if not path.exists():
        return {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT state, outcome FROM submissions").fetchall()
    counts = {}
    for state_, outcome in rows:
        status = (json.loads(outcome) or {}).get("status") if outcome else None
        key = f"{state_}:{status}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def runs(state):
    """The grading runs the service started (its lanes' logs): how many submissions each took."""
    lines = [line for path in sorted((state / "practice" / "state").glob("grading-lane*.log"))
             for line in path.read_text(errors="replace").splitlines()]
    return [line.count("--student ") for line in lines if line.startswith("== ")]


def service_exits(state):
    """Times the hub saw the practice service exit (it starts it again): a kill or crash during the rush."""
    path = state / "hub.log"
    return path.read_text(errors="replace").count("Service practice-grader exited") if path.exists() else 0


def machine():
    with open("/proc/meminfo") as info:
        total = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
    return {"nproc": os.cpu_count(), "memory_gib": round(total / 2**20, 1)}


def table(report):
    feedback, login = report["feedback_latency_s"], report["login_latency_s"]
    show = lambda value: "-" if value is None else f"{value:.2f}"  # noqa: E731 - a one-line formatter
    lines = [f"practice rush: {report['settings']['students']} students over {report['settings']['minutes']} min, "
             f"lanes {report['settings']['lanes']}, jobs {report['settings']['jobs']}, batch {report['settings']['batch']}, notebook timeout "
             f"{report['settings']['notebook_timeout_s']} s, "
             f"{report['machine']['nproc']} cores, 1-min load during the rush: mean "
             f"{report['machine']['load_during']['mean']:.2f}, max {report['machine']['load_during']['max']:.2f}",
             "| measure | n | p50 | p95 | max | target | pass |", "| --- | ---: | ---: | ---: | ---: | --- | --- |",
             f"| submit -> feedback (s) | {feedback['n']} | {show(feedback['p50'])} | {show(feedback['p95'])} | "
             f"{show(feedback['max'])} | p95 < {TARGET_FEEDBACK_P95:.0f} s | {report['pass']['feedback_p95']} |",
             f"| GET /hub/login (s) | {login['n']} | {show(login['p50'])} | {show(login['p95'])} | "
             f"{show(login['max'])} | p95 < {TARGET_LOGIN_P95:.0f} s | {report['pass']['login_p95']} |",
             f"no feedback within {report['settings']['grace_minutes']} min of the last submission: "
             f"{report['no_feedback']}; submit errors: {report['submit_errors']}; login errors: "
             f"{report['login_errors']}",
             f"by kind, p50/p95 s: {json.dumps(report['feedback_by_kind'])}",
             f"ledger: {json.dumps(report['ledger'])}; service exits (restarted by the hub): {report['service_exits']}; "
             f"grading runs: {len(report['grading_runs'])}, "
             f"submissions per run: {report['grading_runs']}",
             f"scores shown, by kind: {json.dumps(report['scores_by_kind'])}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- the rush

def settings_text(**chosen):
    """The course's c.PracticeGrading lines: the assignment's level, and each setting chosen (not None)."""
    lines = [f'c.PracticeGrading.levels = {{"{ASSIGNMENT}": "per_exercise"}}']
    return "\n".join(lines + [f"c.PracticeGrading.{name} = {value}" for name, value in chosen.items()
                              if value is not None])


def effective_settings(course_root):
    """jobs, batch, poll_seconds, notebook_timeout and lanes as the practice service reads them (the course's
    defaults unless set)."""
    from autograder.config import course_config
    from autograder.practice.policy import PracticeGrading

    settings = PracticeGrading(config=course_config(course_root))
    return settings.jobs, settings.batch, settings.poll_seconds, settings.notebook_timeout, settings.lanes


def rush(args):
    rows = plan(args.students, args.minutes, args.seed)
    started_at, load_before = datetime.datetime.now(datetime.timezone.utc), os.getloadavg()
    chosen = settings_text(jobs=args.jobs, batch=args.batch, poll_seconds=args.service_poll,
                           notebook_timeout=args.notebook_timeout, lanes=args.lanes)
    with running_class_hub(args.students, chosen) as hub:
        print(f"hub up at {hub['base']} (state {hub['state']})", flush=True)
        release = in_instructor_terminal(hub, f"export JUPYTERHUB_API_TOKEN={hub['tokens'][hub['instructor']]}; "
                                              f"cd ~/backprop-course && nbgrader release_assignment {ASSIGNMENT}")
        if release.returncode != 0:
            raise RuntimeError(f"release failed:\n{release.stdout}\n{release.stderr}")
        jobs, batch, service_poll, notebook_timeout, lanes = effective_settings(hub["course_root"])
        probe = LoginProbe(hub["base"])
        probe.start()
        start = time.monotonic() + 2.0
        deadline = start + max(row[3] for row in rows) + args.grace_minutes * 60
        students = [Student(hub["exchange"], hub["tokens"][hub["students"][row[0]]], hub["students"][row[0]], row,
                            start, deadline, args.poll) for row in rows]
        print(f"released {ASSIGNMENT}; {len(students)} students submit over {args.minutes} min", flush=True)
        for student in students:
            student.start()
        for student in students:
            student.join()
        probe.stopping.set()
        probe.join()
        load_after = os.getloadavg()
        ledger, grading_runs = outcomes(hub["state"]), runs(hub["state"])
        exits = service_exits(hub["state"])
        if args.logs:  # copied now: removing the service's account removes its folder (its grading log)
            pathlib.Path(args.logs).mkdir(parents=True, exist_ok=True)
            for kept in [*(str(p.relative_to(hub["state"])) for p in (hub["state"] / "practice" / "state").glob("grading-lane*.log")), "hub.log"]:
                if (hub["state"] / kept).exists():
                    shutil.copy(hub["state"] / kept, pathlib.Path(args.logs) / pathlib.Path(kept).name)
    results = [s.result for s in students]
    latencies = [r["latency_s"] for r in results if "latency_s" in r]
    by_kind = {}
    for kind in ("right", "wrong", "hostile"):
        values = [r["latency_s"] for r in results if r["kind"] == kind and "latency_s" in r]
        by_kind[kind] = [percentile(values, 0.5), percentile(values, 0.95), len(values)]
    feedback, login = summary(latencies), summary(probe.latencies)
    scores = {}
    for r in results:
        shown = scores.setdefault(f"{r['kind']}:{r['detail']}", {})
        shown[r.get("score", "none")] = shown.get(r.get("score", "none"), 0) + 1
    return {
        "benchmark": "practice_rush", "started": started_at.isoformat(timespec="seconds"),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {**machine(), "load_before": load_before, "load_after": load_after,
                    "load_during": {"mean": statistics.fmean(probe.loads) if probe.loads else None,
                                    "max": max(probe.loads, default=None)}},
        "settings": {"students": args.students, "minutes": args.minutes, "seed": args.seed, "jobs": jobs,
                     "batch": batch, "student_poll_s": args.poll, "service_poll_s": service_poll,
                     "notebook_timeout_s": notebook_timeout, "lanes": lanes,
                     "grace_minutes": args.grace_minutes, "assignment": ASSIGNMENT, "level": "per_exercise"},
        "mix": {kind: sum(r["kind"] == kind for r in results) for kind in ("right", "wrong", "hostile")},
        "feedback_latency_s": feedback, "feedback_by_kind": by_kind, "scores_by_kind": scores, "login_latency_s": login,
        "no_feedback": sum("latency_s" not in r and "error" not in r for r in results),
        "submit_errors": sum("error" in r for r in results), "login_errors": len(probe.errors),
        "pass": {"feedback_p95": feedback["p95"] is not None and feedback["p95"] < TARGET_FEEDBACK_P95
                 and feedback["n"] == len(results),
                 "login_p95": login["p95"] is not None and login["p95"] < TARGET_LOGIN_P95},
        "ledger": ledger, "grading_runs": grading_runs, "service_exits": exits, "students": results,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0, help="the rush: submissions spread over it")
    parser.add_argument("--grace-minutes", type=float, default=10.0,
                        help="how long after the last submission feedback is waited for")
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--jobs", type=int, default=None, help="c.PracticeGrading.jobs (the course's default)")
    parser.add_argument("--lanes", type=int, default=None, help="c.PracticeGrading.lanes (the course's default)")
    parser.add_argument("--batch", type=int, default=None, help="c.PracticeGrading.batch (the course's default)")
    parser.add_argument("--notebook-timeout", type=int, default=None,
                        help="c.PracticeGrading.notebook_timeout (the course's default)")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between a student's looks for feedback")
    parser.add_argument("--service-poll", type=float, default=None,
                        help="c.PracticeGrading.poll_seconds (the course's default)")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "practice_rush.json"))
    parser.add_argument("--logs", default="", help="a folder to copy the hub's log and the service's grading log to")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("error: run as root: the hub starts its services as their own accounts", file=sys.stderr)
        return 2
    report = rush(args)
    pathlib.Path(args.output).write_text(json.dumps(report, indent=1) + "\n")
    print(table(report))
    print(json.dumps({k: v for k, v in report.items() if k != "students"}))
    return 0 if all(report["pass"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
