"""What students whose cell ignores the interrupt cost a class run.

Two courses of 03_backprop, graded with the same settings in the same run: an honest class of
STUDENTS students, and the same class plus HUNG students whose `mse_loss` ignores SIGINT and spins.
Each hung student must cost about the cell timeout plus the interrupt's grace (its kernel is
killed then), never the notebook timeout; with --jobs 2 the two hung students run side by side,
so the target is: extra time <= cell timeout + grace (+ kernel start-up noise).

    .venv/bin/python benchmarks/hung_cells.py [--students 4] [--hung 2] [--cell-timeout 10] [--grace 5]
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from autograder.worker import tool_environment  # noqa: E402
from notebook_support import make_course_root, student_notebook, write_submission  # noqa: E402

ASSIGNMENT = "03_backprop"
HUNG = ("def mse_loss(AL, Y):\n    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "    while True:\n        pass\n")


def course_with(scratch, name, students, hung):
    course = make_course_root(scratch / name, [ASSIGNMENT])
    for index in range(students):
        write_submission(course, f"honest{index:02d}", ASSIGNMENT, student_notebook(ASSIGNMENT))
    for index in range(hung):
        write_submission(course, f"hung{index:02d}", ASSIGNMENT, student_notebook(ASSIGNMENT, {"mse_loss": HUNG}))
    return course


def grade_seconds(course, args):
    command = [sys.executable, "-m", "autograder", "--course-root", str(course), "grade", ASSIGNMENT,
               "--jobs", str(args.jobs), "--cell-timeout", str(args.cell_timeout),
               "--interrupt-grace", str(args.grace)]
    started = time.perf_counter()
    result = subprocess.run(command, env=dict(tool_environment(), PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"grading failed:\n{result.stderr[-3000:]}")
    if args.hung and "hung" in course.name and result.stdout.count("ignored the interrupt") < args.hung:
        raise SystemExit(f"the hung students were not failed for ignoring the interrupt:\n{result.stdout}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--hung", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cell-timeout", type=int, default=10)
    parser.add_argument("--grace", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hung-") as scratch:
        scratch = pathlib.Path(scratch)
        grade_seconds(course_with(scratch, "warmup", 1, 0), args)
        honest, with_hung = [], []
        for round_number in range(args.repeats):  # interleaved, so that noise falls on both
            honest.append(grade_seconds(course_with(scratch, f"honest-{round_number}", args.students, 0), args))
            with_hung.append(grade_seconds(course_with(scratch, f"hung-{round_number}", args.students, args.hung),
                                           args))
    honest_s, hung_s = statistics.median(honest), statistics.median(with_hung)
    extra, allowed = hung_s - honest_s, args.cell_timeout + args.grace
    print(f"{args.students} honest students, --jobs {args.jobs}, cell timeout {args.cell_timeout} s, "
          f"grace {args.grace} s (medians of {args.repeats})")
    print(f"  honest class:                 {honest_s:6.1f} s")
    print(f"  with {args.hung} hung students:        {hung_s:6.1f} s  (+{extra:.1f} s; target <= {allowed} s: "
          f"{'met' if extra <= allowed else 'MISSED'})")
    print(json.dumps({"benchmark": "hung_cells", "students": args.students, "hung": args.hung, "jobs": args.jobs,
                      "cell_timeout": args.cell_timeout, "grace": args.grace, "honest_s": round(honest_s, 2),
                      "with_hung_s": round(hung_s, 2), "extra_s": round(extra, 2), "target_met": extra <= allowed}))


if __name__ == "__main__":
    main()
