"""Grading speed: stock sequential `nbgrader autograde` against `python -m autograder grade` at 1..N
jobs on this machine and on a local Dask cluster of 1..W workers.

Builds throw-away courses with STUDENTS students (default 2), each handing in every assignment (the
source solutions, as a student would submit them), and grades them with each contender:

- stock:   `nbgrader autograde <assignment>` for each assignment, one after another (no sandbox,
           no verification, no feedback; `generate_assignment` beforehand, not timed);
- ours xJ: the grader with --jobs J for J = 1..N (sandbox, verification and feedback included);
- Dask xK: the grader with --cluster, on a scheduler and K single-slot workers of this machine
           (started once, before the rounds, and not timed), for K = 1..W.

One untimed warm-up per contender (one submission of the first assignment), then --repeats
rounds; each round grades a fresh course with every contender in turn, so that noise on this
shared machine falls on all of them. Every contender's time is the whole command's, start to
exit. Prints the median seconds per submission, the speed-ups against stock, the profile of one
`--profile` run at N jobs (seconds per step of grading), and one JSON line.

    .venv/bin/python benchmarks/grading.py [--students 2] [--repeats 3] [--jobs N] [--dask-workers 2]
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # autograder, and tests.support for the course roots and the cluster
from autograder.grading.environment import tool_environment  # noqa: E402 - the repository joins sys.path above
from tests.support.cluster import LocalDaskCluster  # noqa: E402 - the repository joins sys.path above
from tests.support.notebook import assignment_names, make_course_root, student_notebook, write_submission  # noqa: E402 - the repository joins sys.path above


def environment():
    return dict(tool_environment(), PYTHONPATH=str(ROOT))


def fresh_course(scratch, name, assignments, students):
    course = make_course_root(scratch / name, assignments)
    for assignment in assignments:
        notebook = student_notebook(assignment)
        for index in range(students):
            write_submission(course, f"student{index:02d}", assignment, notebook)
    return course


def timed(command, course):
    started = time.perf_counter()
    subprocess.run(command, cwd=course, env=environment(), check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def stock_seconds(course, assignments):
    for assignment in assignments:  # the gradebook needs the assignments; not part of grading time
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
                       cwd=course, env=environment(), check=True, capture_output=True)
    return sum(timed([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], course)
               for assignment in assignments)


def ours_seconds(course, *options):
    return timed([sys.executable, "-m", "autograder", "--course-root", str(course), "grade", *options], course)


def profile_table(scratch, assignments, students, jobs):
    """The `grade --profile` table of one run at `jobs` jobs."""
    course = fresh_course(scratch, "profile", assignments, students)
    result = subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(course), "grade",
                             "--jobs", str(jobs), "--profile"], cwd=course, env=environment(), check=True,
                            capture_output=True, text=True)
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("profile of"))
    return "\n".join(lines[start:start + 12]).split("\ngraded in")[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2, help="students per course (default: 2)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="N: the grader runs with 1..N jobs")
    parser.add_argument("--dask-workers", type=int, default=2, help="W: also on Dask with 1..W workers (0: not)")
    args = parser.parse_args()
    assignments = assignment_names()
    submissions = args.students * len(assignments)
    contenders = {"stock nbgrader autograde": lambda course, names: stock_seconds(course, names)}
    for jobs in range(1, args.jobs + 1):
        contenders[f"autograder --jobs {jobs}"] = lambda course, names, jobs=jobs: ours_seconds(course, "--jobs",
                                                                                                 str(jobs))
    clusters = []
    rounds = {}
    with tempfile.TemporaryDirectory(dir="/var/tmp") as scratch:
        scratch = pathlib.Path(scratch)
        for workers in range(1, args.dask_workers + 1):
            cluster = LocalDaskCluster(scratch / f"dask-{workers}", workers=workers).__enter__()
            cluster.wait_for_workers(workers)
            clusters.append(cluster)
            contenders[f"autograder on Dask, {workers} worker{'s' if workers > 1 else ''}"] = (
                lambda course, names, address=cluster.address: ours_seconds(course, "--cluster", address))
        rounds = {name: [] for name in contenders}
        try:
            measure(contenders, rounds, scratch, assignments, args)
            profile = profile_table(scratch, assignments, args.students, args.jobs)
        finally:
            for cluster in clusters:
                cluster.__exit__(None, None, None)
    report(rounds, profile, submissions, args)


def measure(contenders, rounds, scratch, assignments, args):
    """One warm-up per contender, then args.repeats interleaved rounds of fresh courses."""
    submissions = args.students * len(assignments)
    for index, (name, grade) in enumerate(contenders.items()):
        course = fresh_course(scratch, f"warm-up{index}", assignments[:1], 1)
        grade(course, assignments[:1])
        shutil.rmtree(course)
    for repeat in range(args.repeats):
        for index, (name, grade) in enumerate(contenders.items()):
            course = fresh_course(scratch, f"round{repeat}-{index}", assignments, args.students)
            rounds[name].append(grade(course, assignments) / submissions)
            shutil.rmtree(course)
        print(f"  round {repeat + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in rounds.items()), flush=True)


def report(rounds, profile, submissions, args):
    per_submission = {name: statistics.median(values) for name, values in rounds.items()}
    stock = per_submission["stock nbgrader autograde"]
    print(f"{args.students} student(s) x {submissions // args.students} assignments = {submissions} submissions per round, "
          f"median of {args.repeats} rounds after a warm-up, {os.cpu_count()} cores")
    print(f"{'grader':34s} {'s/submission':>12s} {'speed-up vs stock':>18s}")
    for name, value in per_submission.items():
        print(f"{name:34s} {value:12.2f} {stock / value:18.2f}")
    dask = [v for k, v in per_submission.items() if k.startswith("autograder on Dask")]
    if len(dask) > 1:
        print(f"Dask scaling, 1 -> {len(dask)} workers: {dask[0] / dask[-1]:.2f}x")
    print(profile)
    print(json.dumps({"benchmark": "grading", "submissions_per_round": submissions, "repeats": args.repeats,
                      "cores": os.cpu_count(),
                      "seconds_per_submission": {k: round(v, 3) for k, v in per_submission.items()},
                      "rounds": {k: [round(x, 3) for x in v] for k, v in rounds.items()},
                      "speedup_vs_stock": {k: round(stock / v, 3) for k, v in per_submission.items()},
                      "profile": profile.splitlines()}))


if __name__ == "__main__":
    main()
