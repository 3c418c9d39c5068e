"""Grading speed: stock sequential `nbgrader autograde` against `python -m autograder grade` at 1 and N jobs.

Builds a throw-away course with STUDENTS students, each handing in every assignment (the source
solutions, as a student would submit them), and grades it three ways in the same run:

- stock:   `nbgrader autograde <assignment>` for each assignment, one after another (no sandbox,
           no verification, no feedback);
- ours x1: the grader with --jobs 1 (sandbox, verification, feedback included);
- ours xN: the grader with --jobs N (N = cores).

Prints seconds per submission for each, the speed-ups, and one JSON line.

    .venv/bin/python benchmarks/grading.py [--students 3] [--jobs N]
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from autograder.worker import tool_environment  # noqa: E402
from notebook_support import assignment_names, make_course_root, student_notebook, write_submission  # noqa: E402


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    assignments = assignment_names()
    submissions = args.students * len(assignments)
    seconds = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        course = fresh_course(scratch, "stock", assignments, args.students)
        for assignment in assignments:
            subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
                           cwd=course, env=environment(), check=True, capture_output=True)
        seconds["stock nbgrader autograde"] = sum(
            timed([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], course)
            for assignment in assignments)
        for jobs in sorted({1, args.jobs}):
            course = fresh_course(scratch, f"ours{jobs}", assignments, args.students)
            seconds[f"autograder --jobs {jobs}"] = timed(
                [sys.executable, "-m", "autograder", "--course-root", str(course), "grade", "--jobs", str(jobs)], course)
            shutil.rmtree(course)
    stock = seconds["stock nbgrader autograde"]
    print(f"{args.students} students x {len(assignments)} assignments = {submissions} submissions, "
          f"{os.cpu_count()} cores")
    print(f"{'grader':28s} {'s/submission':>12s} {'speed-up vs stock':>18s}")
    for name, total in seconds.items():
        print(f"{name:28s} {total / submissions:12.2f} {stock / total:18.2f}")
    print(json.dumps({"benchmark": "grading", "submissions": submissions, "cores": os.cpu_count(),
                      "seconds_per_submission": {k: round(v / submissions, 3) for k, v in seconds.items()},
                      "speedup_vs_stock": {k: round(stock / v, 3) for k, v in seconds.items()}}))


if __name__ == "__main__":
    main()
