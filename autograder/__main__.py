"""Grade a whole class with one command.

    python -m autograder grade                      # every assignment, from submitted/ (what changed)
    python -m autograder grade 02_forward --from canvas_download.zip --jobs 4
    python -m autograder grade --force 03_backprop  # regrade everyone's 03_backprop
    python -m autograder grade --student bob        # one student
    python -m autograder grade --cluster tcp://scheduler:8786   # on the workers of a Dask cluster
    python -m autograder feedback 02_forward --layout moodle   # feedback zip for the LMS
    python -m autograder bundle                     # the student bundle zip
    python -m autograder receipts 02_forward        # on a hub: the exchange's signed receipts, as CSV
    python -m autograder report 03_backprop         # the class report: scores, mistakes counted, similar work

Steps: collect (normalise and validate the input), prepare the gradebook, grade the instructor's
solution of each assignment as a canary (autograder.run.canary: one that falls short stops its
assignment, and the command ends non-zero), grade each student in parallel, as jobs that share
nothing (nbgrader autograde with the kernel in a sandbox, then integrity verification; skipped
when nothing changed since the last grading) on this machine's slots or a Dask cluster's workers,
merge each result into the gradebook, settle lateness (extensions.csv, the course's late-submission
plugin), write feedback where what it shows changed, and report from the gradebook
(reports/grades.csv, reports/summary.html, and the class report of each graded assignment:
reports/class-ASSIGNMENT.html, autograder.insight).

Set GRADER_SECRET to a private value: verification inputs are drawn from a seed derived from it.
"""

import argparse
import os
import pathlib
import sys

from autograder.grading.environment import tool_environment
from autograder.record.gradebook import Gradebook, course_db_url
from autograder.run.command import command_grade


def command_bundle(args):
    from autograder.export import bundle

    path = bundle.write_bundle(pathlib.Path(args.course_root).resolve(), pathlib.Path(args.output))
    print(f"wrote {path}")
    return 0


def command_receipts(args):
    """Every receipt the hub's exchange signed for an assignment, as CSV (autograder.export.receipts)."""
    from nbgrader.exchange.abc import ExchangeError

    from autograder.export import receipts

    output = args.output or str(pathlib.Path(args.course_root) / "reports" / f"receipts-{args.assignment}.csv")
    try:
        found = receipts.write_csv(args.assignment, output)
    except ExchangeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    forged = sum(row[-1] != "yes" for row in found)
    if output != "-":
        print(f"wrote {output}: {len({row[3] for row in found})} receipts of {args.assignment}, "
              f"{len({row[0] for row in found})} students" + (f"; {forged} rows NOT signed by the exchange" if forged else ""))
    if not found:
        print(f"warning: the exchange holds no submission of {args.assignment}: is it released, and is the name right?",
              file=sys.stderr)
    return 0


def command_feedback(args):
    """One zip of an assignment's feedback HTML in the layout of the LMS's bulk feedback upload."""
    from autograder.collect.roster import load_roster
    from autograder.export import lms

    root = pathlib.Path(args.course_root).resolve()
    output = pathlib.Path(args.zip) if args.zip else root / "reports" / f"feedback-{args.assignment}-{args.layout}.zip"
    try:
        roster = load_roster(root / args.roster)
        path, packed, skipped = lms.write_feedback_zip(root, output, args.assignment, args.layout, roster,
                                                       canvas_download=args.canvas_download)
    except ValueError as error:  # a bad roster, an unknown assignment, no feedback folder
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}: feedback of {len(packed)} students for {args.assignment} ({args.layout} layout)")
    for student, reason in skipped:
        print(f"skipped {student}: {reason}")
    # Sent now, a page whose written answer awaits a grader says so: the student sees no final score yet.
    waiting = {student: sum(len(entry["pending"]) for entry in by_assignment.values())
               for student, by_assignment in Gradebook(course_db_url(root)).snapshot([args.assignment]).items()
               if student in packed}
    if any(waiting.values()):
        print(f"warning: {sum(waiting.values())} written answers of {args.assignment} still await a grader "
              f"({', '.join(s for s, n in sorted(waiting.items()) if n)}): their pages say 'awaiting grading'; "
              "grade them (formgrader, Manual Grading), run grade again, then zip the feedback again", file=sys.stderr)
    return 0


def command_report(args):
    """The class report of assignments from the gradebook (autograder.insight.build)."""
    from autograder import collect
    from autograder.config import ConfigError, Grader, course_config
    from autograder.insight.build import build_reports
    from autograder.run.command import course_assignments, unknown_assignments, written_questions

    root = pathlib.Path(args.course_root).resolve()
    expected = collect.load_assignments(root)
    misnamed = unknown_assignments(expected, args.assignments)
    if misnamed:
        print(f"error: {misnamed}", file=sys.stderr)
        return 2
    try:
        report_dir = root / (args.report_dir or Grader(config=course_config(root)).report_dir)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    gradebook = Gradebook(course_db_url(root))
    held = gradebook.assignments()  # {name: (due date, submissions)}
    term = [a for a in expected if a in held]
    which = args.assignments or [a for a in term if held[a][1]]
    empty = [a for a in which if not held.get(a, (None, 0))[1]]
    if empty or not which:
        print(f"error: the gradebook holds no graded submission of {', '.join(empty) or 'any assignment'}: "
              "grade first (python -m autograder grade)", file=sys.stderr)
        return 2
    term = [a for a in expected if a in term or a in which]
    graded = gradebook.snapshot(term)
    assignments = {a: exercises for a, exercises in course_assignments(expected).items() if a in term}
    written = {a: questions for a, questions in written_questions(expected).items() if a in term}
    paths, warnings, seconds = build_reports(root, report_dir, graded, assignments, written, which)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {', '.join(str(p.relative_to(root)) for p in paths)} in {seconds:.1f} s")
    return 0


def command_config(args):
    """Every setting of a grading run: its value and where it came from (autograder.config)."""
    from autograder import config
    from autograder.run.command import flags_of

    try:
        print(config.settings_text(config.settings(pathlib.Path(args.course_root).resolve(), flags_of(args))))
    except config.ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course-root", default=".", help="the nbgrader course root (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade every student's submissions")
    grade.add_argument("assignments", nargs="*", help="assignments to grade (default: the term's, those released or "
                                                      "given a due date; autograder.record.term)")
    grade.add_argument("--from", dest="source", help="submitted/ (default) or an LMS zip download")
    grade.add_argument("--jobs", type=int, help="submissions graded at once on this machine (c.Grader.jobs; "
                                                "default: one per core)")
    grade.add_argument("--cluster", metavar="tcp://HOST:8786",
                       help="grade on the workers of this Dask scheduler instead of this machine's slots")
    grade.add_argument("--unsafe", action="store_true", help="run student code without the sandbox (not advised)")
    grade.add_argument("--cell-timeout", type=int, help="seconds per notebook cell (default: nbgrader's "
                                                        "c.Execute.timeout of nbgrader_config.py)")
    grade.add_argument("--notebook-timeout", type=int, help="seconds per notebook (c.Grader.notebook_timeout)")
    grade.add_argument("--interrupt-grace", type=int, help="seconds a timed-out cell has to yield to the interrupt "
                                                           "before its kernel is killed (c.Grader.interrupt_grace)")
    grade.add_argument("--report-dir", help="where grades.csv and summary.html go (c.Grader.report_dir)")
    grade.add_argument("--student", dest="students", action="append", metavar="NAME",
                       help="grade only this student (repeat for several)")
    grade.add_argument("--force", action="store_true",
                       help="regrade every selected submission, also those unchanged since last graded")
    grade.add_argument("--done-log", metavar="FILE",
                       help="append a JSON line per student to FILE as soon as their grading is recorded "
                            "(the hub's practice grading hands each page back then, not at the run's end)")
    grade.add_argument("--profile", action="store_true",
                       help="print where the time went: seconds per step of grading, per graded submission")
    grade.add_argument("--extensions", help="the instructor's extensions file, relative to the course root "
                                            "(c.Grader.extensions)")
    grade.set_defaults(run=command_grade)
    receipts = commands.add_parser("receipts", help="the exchange's signed receipts of an assignment, as CSV (on a hub)")
    receipts.add_argument("assignment")
    receipts.add_argument("--output", help="the CSV to write, - for the terminal (default: reports/receipts-ASSIGNMENT.csv)")
    receipts.set_defaults(run=command_receipts)
    bundle = commands.add_parser("bundle", help="write the student bundle zip")
    bundle.add_argument("--output", default="dist/backprop-course-student.zip")
    bundle.set_defaults(run=command_bundle)
    feedback = commands.add_parser("feedback", help="zip an assignment's feedback for the LMS's bulk feedback upload")
    feedback.add_argument("assignment")
    feedback.add_argument("--zip", nargs="?", metavar="OUTPUT",
                          help="the zip to write (default: reports/feedback-ASSIGNMENT-LAYOUT.zip)")
    feedback.add_argument("--layout", choices=("moodle", "canvas", "plain"), default="plain",
                          help="moodle: a folder per participant; canvas: names of a Canvas download; "
                               "plain: a folder per student id (default)")
    feedback.add_argument("--roster", default="roster.csv",
                          help="the roster of LMS ids, relative to the course root (default: roster.csv)")
    feedback.add_argument("--canvas-download", metavar="ZIP",
                          help="canvas layout: the zip of Canvas's 'Download Submissions' for this assignment")
    feedback.set_defaults(run=command_feedback)
    report = commands.add_parser("report", help="the class report: scores, the mistakes counted, similar work")
    report.add_argument("assignments", nargs="*", help="assignments to report (default: every one the gradebook "
                                                      "holds submissions of)")
    report.add_argument("--report-dir", help="where the reports go (c.Grader.report_dir)")
    report.set_defaults(run=command_report)
    settings = commands.add_parser("config", help="the settings a grading run will use, and where each comes from")
    settings.add_argument("--jobs", type=int)
    settings.add_argument("--cell-timeout", type=int)
    settings.add_argument("--notebook-timeout", type=int)
    settings.add_argument("--interrupt-grace", type=int)
    settings.set_defaults(run=command_config)
    args = parser.parse_args(argv)
    os.environ["PATH"] = tool_environment()["PATH"]  # nbgrader runs `alembic` from our bin/
    if (getattr(args, "jobs", None) or 1) < 1:
        parser.error("--jobs must be at least 1")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
