"""Grade a whole class with one command.

    python -m autograder grade                      # every assignment, from submitted/ (what changed)
    python -m autograder grade 02_forward --from canvas_download.zip --jobs 4
    python -m autograder grade --force 03_backprop  # regrade everyone's 03_backprop
    python -m autograder grade --student bob        # one student
    python -m autograder grade --cluster tcp://scheduler:8786   # on the workers of a Dask cluster
    python -m autograder feedback 02_forward --layout moodle   # feedback zip for the LMS
    python -m autograder bundle                     # the student bundle zip
    python -m autograder receipts 02_forward        # on a hub: the exchange's signed receipts, as CSV

Steps: collect (normalise and validate the input), prepare the gradebook, grade the instructor's
solution of each assignment as a canary (autograder.run.canary: one that falls short stops its
assignment, and the command ends non-zero), grade each student in parallel, as jobs that share
nothing (nbgrader autograde with the kernel in a sandbox, then integrity verification; skipped
when nothing changed since the last grading) on this machine's slots or a Dask cluster's workers,
merge each result into the gradebook, settle lateness (extensions.csv, the course's late-submission
plugin), write feedback where what it shows changed, and report from the gradebook
(reports/grades.csv, reports/summary.html).

Set GRADER_SECRET to a private value: verification inputs are drawn from a seed derived from it.
"""

import argparse
import collections
import difflib
import os
import pathlib
import signal
import sys
import time

from traitlets import TraitError
from traitlets.config import Config

from autograder import collect
from autograder.collect import lms_zip, roster, waiting
from autograder.grading import job, slot
from autograder.grading.environment import tool_environment
from autograder.grading.options import PUBLIC_SECRET, Options
from autograder.isolation import budget, sandbox
from autograder.record import late, late_report, report, term
from autograder.record.gradebook import Gradebook, course_db_url, db_url_problem
from autograder.run.coordinator import grade_class


def course_assignments(expected):
    """{assignment: [(exercise, points)]} in notebook order, from `collect.load_assignments`' answer."""
    return {name: [(exercise, cells["points"].get(f"test_{exercise}", 0)) for exercise in cells["solutions"]
                   if exercise not in cells["tests"]]
            for name, cells in expected.items()}


def unknown_assignments(expected, names):
    """None, or an error naming each of `names` that has no source notebook, with a guess."""
    missing = sorted(set(names or ()) - set(expected))
    if not missing:
        return None
    guesses = {name: difflib.get_close_matches(name, sorted(expected), n=1) for name in missing}
    return "no source notebook for " + ", ".join(
        name + (f" (did you mean {guess[0]}?)" if guess else "") for name, guess in guesses.items()) + " under source/"


def written_questions(expected):
    """{assignment: [(grade_id, points)]}: the answer cells graded by hand (nbgrader's grade + solution)."""
    return {name: [(grade_id, cells["points"][grade_id]) for grade_id in cells["solutions"] if grade_id in cells["tests"]]
            for name, cells in expected.items()}


def merge(from_zip, from_folder):
    """A zip is unpacked into submitted/, and the whole of submitted/ is graded (as nbgrader does).

    Failures of the zip that left nothing in submitted/ (a broken upload) are kept; where an earlier
    copy was left in place instead, that copy is graded and the failure becomes a note."""
    merged = {(s.student, s.assignment): s for s in from_folder}
    for upload in from_zip:
        key = (upload.student, upload.assignment)
        if key not in merged:
            merged[key] = upload
        elif upload.failure:
            merged[key].notes.append(f"the new upload was not used: {upload.failure}")
        else:  # the same file, now in submitted/: keep what collecting the zip had to say about it
            merged[key].notes = [*upload.notes, *(n for n in merged[key].notes if n not in upload.notes)]
    return list(merged.values())


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler given by --cluster cannot be reached, or has no worker."""


def cluster_pool(address, options, patience=60):
    """The pool of the Dask cluster at `address`, once at least one worker has joined it."""
    from autograder.isolation.sandbox import SandboxUnavailable
    from autograder.run.dask_pool import DaskPool

    try:
        pool = DaskPool(address, options)
    except OSError as error:  # also asyncio's TimeoutError
        raise ClusterUnavailable(f"no Dask scheduler answers at {address}: {error}") from error
    except SandboxUnavailable as error:
        raise ClusterUnavailable(f"a worker of {address} cannot isolate student code: {error}") from error
    try:
        pool.client.wait_for_workers(1, timeout=patience)
    except Exception as error:
        pool.close()
        raise ClusterUnavailable(f"the Dask scheduler at {address} has no worker after {patience} s") from error
    return pool


def command_grade(args):
    root = pathlib.Path(args.course_root).resolve()
    # Every assignment of the course is known to collect, so that a notebook handed in under the
    # wrong assignment is recognised; only the selected ones are graded.
    expected = collect.load_assignments(root)
    misnamed = unknown_assignments(expected, args.assignments)
    if misnamed:
        print(f"error: {misnamed}", file=sys.stderr)
        return 2
    if not args.unsafe:
        try:
            sandbox.check_available()
        except sandbox.SandboxUnavailable as error:
            print(f"error: refusing to run student code without isolation: {error}\n"
                  "Install bubblewrap (make grade does), or pass --unsafe to grade without a sandbox.",
                  file=sys.stderr)
            return 2
    source = pathlib.Path(args.source) if args.source else root / "submitted"
    config = slot.course_config(root, Config())
    in_exchange, exchange_note = ({}, None) if args.source else \
        waiting.waiting_submissions(config, root, args.assignments or list(expected))
    try:
        if not args.source and not source.is_dir():
            found = sum(len(students) for students in in_exchange.values())
            raise collect.CollectError(
                f"{source}: nothing collected yet" + (
                    f"; {found} submissions wait in the exchange: collect them first with "
                    + " and ".join(f"`{waiting.collect_command(a, False)}`" for a in sorted(in_exchange))
                    if found else ": `nbgrader collect ASSIGNMENT` (or the formgrader's Collect) puts submissions "
                                  "there, or grade an LMS download with --from FILE.zip"))
        if source.suffix.lower() == ".zip":
            submissions = merge(lms_zip.collect_zip(source, root, expected),
                                collect.collect_directory(root / "submitted", expected))
        elif not source.is_dir():
            raise collect.CollectError(f"{source}: no such submissions folder or zip file")
        elif source.resolve() != (root / "submitted").resolve():
            raise collect.CollectError(f"{source}: submissions must be in {root / 'submitted'} (nbgrader's layout) "
                                       "or a zip file")
        else:
            submissions = collect.collect_directory(source, expected)
    except collect.CollectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if problem := db_url_problem(course_db_url(root)):  # a driver not installed: one line, no traceback
        print(f"error: {problem}", file=sys.stderr)
        return 2
    gradebook = Gradebook(course_db_url(root))
    # The term (autograder.record.term): what was released, or has a due date; nothing else is graded or reported.
    in_gradebook = gradebook.assignments()
    handed_in = collections.Counter(s.assignment for s in submissions if s.assignment in expected and not s.failure)
    scope = term.term_scope(config, list(expected), {name: due for name, (due, _) in in_gradebook.items()},
                             {a: max(handed_in[a], in_gradebook.get(a, (None, 0))[1]) for a in expected})
    outside = term.check_named(scope, args.assignments or (), expected)
    if outside:
        print(f"error: {outside}", file=sys.stderr)
        return 2
    assignments = {a: ex for a, ex in course_assignments(expected).items()
                   if a in (args.assignments or scope.assignments)}
    # Who handed anything in belongs to the class, also with nothing graded in this run.
    handed_anything = {s.student for s in submissions if s.student}
    submissions = [s for s in submissions if s.assignment in assignments or s.assignment not in expected]
    try:
        roster_notes = roster.add_to_gradebook(root, gradebook, handed_anything, config)
    except collect.CollectError as error:  # a roster that cannot be used
        print(f"error: {error}", file=sys.stderr)
        return 2
    known = handed_anything | set(gradebook.students())
    unknown = sorted(set(args.students or ()) - known)
    if unknown:
        print("error: " + "; ".join(late.unknown_student(name, known) for name in unknown), file=sys.stderr)
        return 2
    try:
        extensions = late.load_extensions(root / args.extensions, expected, students=known)
        # students the LMS exports cannot match: warned of, still graded
        for warning in roster.unlisted(root, {s.student for s in submissions}, gradebook.students()):
            print(warning, file=sys.stderr)
        penalty = late.penalty_plugin(config)
    except (late.ExtensionsError, collect.CollectError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a plugin class that does not import, a bad trait value
        print(f"error: nbgrader_config.py: the late-submission plugin cannot be used: {error}", file=sys.stderr)
        return 2
    try:  # checked before grading: an unknown zone would otherwise surface only in the reports
        zone = late_report.CourseCalendar(config=config).zone
    except TraitError as error:
        print(f"error: nbgrader_config.py: {error}", file=sys.stderr)
        return 2
    notes = [*scope.notes, *roster_notes]
    notes += [f"warning: {len(students)} submissions of {assignment} in the exchange are newer than what "
              f"submitted/ holds ({', '.join(students)}): `{waiting.collect_command(assignment, True)}` collects them"
              for assignment, students in sorted(in_exchange.items()) if assignment in assignments]
    notes += [f"warning: {exchange_note}"] if exchange_note else []
    secret = os.environ.get("GRADER_SECRET")
    if not secret:
        notes.append("warning: GRADER_SECRET is not set, so verification inputs come from the public default "
                     "seed and a student who reads the course's code can predict them; set it to a private value")
    limits = sandbox.Limits()
    numbers = None
    if args.unsafe:
        budgets = budget.SlotBudgets(description="no sandbox (--unsafe): student code runs without any limit")
    elif args.cluster:  # each worker makes its own (autograder.run.dask_pool)
        budgets = budget.SlotBudgets(description=f"grading on the Dask cluster at {args.cluster}: each worker "
                                                 "bounds its own slots")
    else:  # slot numbers no other grader on this machine holds: each owns a sandbox uid
        numbers, _held_until_exit = job.claim_slot_numbers(args.jobs)
        budgets = budget.prepare(args.jobs, limits, slots=numbers)
    notes.append(budgets.description)
    for note in notes:
        print(note, file=sys.stderr)
    scratch = sandbox.scratch_root(memory_charged=bool(budgets.mechanism))
    options = Options(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                             interrupt_grace=args.interrupt_grace, limits=limits, unsafe=args.unsafe,
                             secret=secret or PUBLIC_SECRET, budgets=budgets, scratch=scratch)
    started = time.perf_counter()
    # A terminated run still removes its cgroups and runtime folders (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    stopped = {}  # assignments whose own solution fell short of full marks: none of their students is graded
    try:
        pool = cluster_pool(args.cluster, options) if args.cluster else None
        results = grade_class(root, assignments, submissions, options, args.jobs, students=args.students,
                              class_list=handed_anything,
                              force=args.force, extensions=extensions, penalty=penalty, gradebook=gradebook,
                              pool=pool, slots=numbers, stopped=stopped)
    except ClusterUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        budget.remove(budgets)
    # The report covers the whole term, whichever assignments this run graded: every student of the
    # gradebook, every assignment released or given a due date; but not one whose solution failed its
    # canary and was never graded (its zeros would read as a class that handed nothing in).
    graded = gradebook.snapshot(scope.assignments)
    shown = {a: exercises for a, exercises in course_assignments(expected).items() if a in scope.assignments
             and (a not in stopped or any(a in by_assignment for by_assignment in graded.values()))}
    written = {a: questions for a, questions in written_questions(expected).items() if a in shown}
    due_dates = gradebook.due_dates(shown)
    rows = report.student_rows(graded, results, shown, written, due_dates, extensions)
    report_dir = root / args.report_dir
    csv_path = report.write_grades_csv(rows, report_dir / "grades.csv")
    assignments = {a: exercises for a, exercises in shown.items() if a not in stopped}
    # A due date that looks entered wrongly is said where the run's results are read, not only in grades.csv.
    due_warnings = late_report.due_date_warnings(graded, due_dates)
    summary_path = report.write_summary(rows, assignments, report_dir, [*notes, *due_warnings], written,
                                        lateness=late_report.lateness_html(graded, due_dates, zone))
    print(report.summary_text(rows))
    print(late_report.lateness_text(graded, due_dates, zone))
    for warning in due_warnings:
        print(warning, file=sys.stderr)
    # Only what was handed in counts: not "no submission", not "not yet due".
    handed_in = [r for by_a in results.values() for r in by_a.values()
                 if r.status != term.NOT_YET_DUE and r.reasons != ["no submission"]]
    regraded = sum(r.graded_now and r.status != "failed" for r in handed_in)
    unchanged = sum(not r.graded_now for r in handed_in)
    print(f"{regraded} submission{'s' * (regraded != 1)} graded, {unchanged} unchanged since last graded "
          "(--force regrades them)")
    if args.profile:
        print(report.profile_text(results))
    print(f"graded in {time.perf_counter() - started:.1f} s with {args.jobs} jobs; "
          f"wrote {csv_path.relative_to(root)}, {summary_path.relative_to(root)} and feedback/")
    for assignment in sorted(stopped):
        print(f"error: {stopped[assignment]}", file=sys.stderr)
    return 1 if stopped else 0


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
    from autograder.export import lms

    root = pathlib.Path(args.course_root).resolve()
    output = pathlib.Path(args.zip) if args.zip else root / "reports" / f"feedback-{args.assignment}-{args.layout}.zip"
    try:
        roster = lms.load_roster(root / args.roster)
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course-root", default=".", help="the nbgrader course root (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade every student's submissions")
    grade.add_argument("assignments", nargs="*", help="assignments to grade (default: the term's, those released or "
                                                      "given a due date; autograder.record.term)")
    grade.add_argument("--from", dest="source", help="submitted/ (default) or an LMS zip download")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="submissions graded at once on this machine (default: cores)")
    grade.add_argument("--cluster", metavar="tcp://HOST:8786",
                       help="grade on the workers of this Dask scheduler instead of this machine's slots")
    grade.add_argument("--unsafe", action="store_true", help="run student code without the sandbox (not advised)")
    grade.add_argument("--cell-timeout", type=int, default=60, help="seconds per notebook cell (default: 60)")
    grade.add_argument("--notebook-timeout", type=int, default=900, help="seconds per notebook (default: 900)")
    grade.add_argument("--interrupt-grace", type=int, default=5,
                       help="seconds a timed-out cell has to yield to the interrupt before its kernel is killed")
    grade.add_argument("--report-dir", default="reports", help="where grades.csv and summary.html go")
    grade.add_argument("--student", dest="students", action="append", metavar="NAME",
                       help="grade only this student (repeat for several)")
    grade.add_argument("--force", action="store_true",
                       help="regrade every selected submission, also those unchanged since last graded")
    grade.add_argument("--profile", action="store_true",
                       help="print where the time went: seconds per step of grading, per graded submission")
    grade.add_argument("--extensions", default="extensions.csv",
                       help="the instructor's extensions file, relative to the course root (default: extensions.csv)")
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
    args = parser.parse_args(argv)
    os.environ["PATH"] = tool_environment()["PATH"]  # nbgrader runs `alembic` from our bin/
    if getattr(args, "jobs", 1) < 1:
        parser.error("--jobs must be at least 1")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
