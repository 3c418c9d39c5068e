"""What students whose cell ignores the interrupt cost a class run.

Courses of 03_backprop graded with the same settings in the same run (interleaved rounds):

- honest:   STUDENTS honest students;
- replaced: the same class with HUNG of them handing in an `mse_loss` that ignores SIGINT and spins;
- added:    the honest class plus HUNG such students (their kernel start and the cells before the
            hang are extra work of their own, on top of the hang).

Each hung student must cost the cell timeout plus the interrupt's grace (its kernel is killed then),
never the notebook timeout; with --jobs 2 two hung students run side by side, so the target is:
extra time <= cell timeout + grace.

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
sys.path.insert(0, str(ROOT))  # autograder, and tests.support for the course roots
from autograder.grading.environment import tool_environment  # noqa: E402 - the repository joins sys.path above
from tests.support.notebook import make_course_root, student_notebook, write_submission  # noqa: E402 - the repository joins sys.path above

ASSIGNMENT = "03_backprop"
HUNG = ("def mse_loss(AL, Y):\n    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "    while True:\n        pass\n")


def course_with(scratch, name, honest, hung):
    course = make_course_root(scratch / name, [ASSIGNMENT])
    for index in range(honest):
        write_submission(course, f"honest{index:02d}", ASSIGNMENT, student_notebook(ASSIGNMENT))
    for index in range(hung):
        write_submission(course, f"hung{index:02d}", ASSIGNMENT, student_notebook(ASSIGNMENT, {"mse_loss": HUNG}))
    return course


def grade_seconds(course, args, hung=0):
    command = [sys.executable, "-m", "autograder", "--course-root", str(course), "grade", ASSIGNMENT,
               "--jobs", str(args.jobs), "--cell-timeout", str(args.cell_timeout),
               "--interrupt-grace", str(args.grace)]
    started = time.perf_counter()
    result = subprocess.run(command, env=dict(tool_environment(), PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"grading failed:\n{result.stderr[-3000:]}")
    if result.stdout.count("ignored the interrupt") != hung:
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
    classes = {"honest": (args.students, 0), "replaced": (args.students - args.hung, args.hung),
               "added": (args.students, args.hung)}
    seconds = {name: [] for name in classes}
    with tempfile.TemporaryDirectory(prefix="bench-hung-") as scratch:
        scratch = pathlib.Path(scratch)
        grade_seconds(course_with(scratch, "warmup", 1, 0), args)
        for round_number in range(args.repeats):  # interleaved, so that noise falls on all of them
            for name, (honest, hung) in classes.items():
                course = course_with(scratch, f"{name}-{round_number}", honest, hung)
                seconds[name].append(grade_seconds(course, args, hung))
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    allowed = args.cell_timeout + args.grace
    print(f"03_backprop, --jobs {args.jobs}, cell timeout {args.cell_timeout} s, grace {args.grace} s "
          f"(medians of {args.repeats}; target: extra <= {allowed} s)")
    print(f"  honest:   {args.students} honest students                 {medians['honest']:6.1f} s")
    for name, label in [("replaced", f"{args.hung} of them hang instead"), ("added", f"plus {args.hung} who hang")]:
        extra = medians[name] - medians["honest"]
        print(f"  {name + ':':9} {label:33} {medians[name]:6.1f} s  (+{extra:.1f} s, "
              f"{'met' if extra <= allowed else 'missed'})")
    print(json.dumps({"benchmark": "hung_cells", "students": args.students, "hung": args.hung, "jobs": args.jobs,
                      "cell_timeout": args.cell_timeout, "grace": args.grace,
                      **{f"{name}_s": round(value, 2) for name, value in medians.items()},
                      "extra_replaced_s": round(medians["replaced"] - medians["honest"], 2),
                      "extra_added_s": round(medians["added"] - medians["honest"], 2)}))


if __name__ == "__main__":
    main()
