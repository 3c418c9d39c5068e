"""`python -m autograder grade`, step by step: check what a run is given, collect it, decide the
term's assignments, grade them in a pool, and report from the gradebook.

Each step is a function of the run so far (`GradeRun`); one that finds a problem raises
RunRefused with the one line the instructor reads, before anything is graded.
"""

import collections
import dataclasses
import difflib
import os
import pathlib
import signal
import sys
import time

from traitlets import TraitError

from autograder import collect
from autograder.collect import lms_zip, roster, waiting
from autograder.config import ConfigError, Grader, run_config
from autograder.grading import job
from autograder.grading.options import PUBLIC_SECRET, Options
from autograder.isolation import budget, sandbox
from autograder.record import late, late_report, report, term
from autograder.record.gradebook import Gradebook, course_db_url, db_url_problem
from autograder.run.coordinator import grade_class


class RunRefused(ValueError):
    """The run cannot start: the message is the one line that says why (exit 2, nothing graded)."""


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


@dataclasses.dataclass
class GradeRun:
    """What a grading run knows once its input is checked: the course, the term and what to grade."""

    root: pathlib.Path
    config: object  # the course's nbgrader_config.py with the command line's settings on top
    settings: Grader
    expected: dict  # every assignment of source/: {name: its cells}
    scope: term.Term
    assignments: dict  # those this run grades: {name: [(exercise, points)]}
    submissions: list
    handed_anything: set  # students with any submission, in the term or not
    gradebook: Gradebook
    extensions: dict
    penalty: object
    zone: object
    notes: list


FLAGS = {"jobs": "Grader.jobs", "notebook_timeout": "Grader.notebook_timeout",
         "interrupt_grace": "Grader.interrupt_grace", "report_dir": "Grader.report_dir",
         "extensions": "Grader.extensions", "cell_timeout": "Execute.timeout"}


def flags_of(args):
    """{"Grader.jobs": value or None, ...}: the settings the command line gives (autograder.config)."""
    return {setting: getattr(args, flag, None) for flag, setting in FLAGS.items()}


def configuration(root, args):
    """The course's configuration with the flags given on the command line on top (autograder.config)."""
    try:
        return run_config(root, flags_of(args))
    except ConfigError as error:
        raise RunRefused(str(error)) from error


def check_request(args, root, expected):
    """The names asked for exist, and student code can be isolated here."""
    misnamed = unknown_assignments(expected, args.assignments)
    if misnamed:
        raise RunRefused(misnamed)
    if not args.unsafe:
        try:
            sandbox.check_available()
        except sandbox.SandboxUnavailable as error:
            raise RunRefused(f"refusing to run student code without isolation: {error}\n"
                             "Install bubblewrap (make grade does), or pass --unsafe to grade without a sandbox.")


def collect_input(args, root, expected, config):
    """(submissions, {assignment: students waiting in the exchange}, a note when it could not be asked)."""
    source = pathlib.Path(args.source) if args.source else root / "submitted"
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
        raise RunRefused(str(error)) from error
    return submissions, in_exchange, exchange_note


def plan(args, root, expected, config, submissions, in_exchange, exchange_note):
    """The GradeRun: the gradebook, the term and what this run grades, the class, extensions,
    the late penalty and the course's zone, and the notes the run starts with."""
    settings = Grader(config=config)
    if problem := db_url_problem(course_db_url(root)):  # a driver not installed: one line, no traceback
        raise RunRefused(problem)
    gradebook = Gradebook(course_db_url(root))
    # The term (autograder.record.term): what was released, or has a due date; nothing else is graded or reported.
    in_gradebook = gradebook.assignments()
    handed_in = collections.Counter(s.assignment for s in submissions if s.assignment in expected and not s.failure)
    scope = term.term_scope(config, list(expected), {name: due for name, (due, _) in in_gradebook.items()},
                             {a: max(handed_in[a], in_gradebook.get(a, (None, 0))[1]) for a in expected})
    outside = term.check_named(scope, args.assignments or (), expected)
    if outside:
        raise RunRefused(outside)
    assignments = {a: ex for a, ex in course_assignments(expected).items()
                   if a in (args.assignments or scope.assignments)}
    # Who handed anything in belongs to the class, also with nothing graded in this run.
    handed_anything = {s.student for s in submissions if s.student}
    submissions = [s for s in submissions if s.assignment in assignments or s.assignment not in expected]
    try:
        roster_notes = roster.add_to_gradebook(root, gradebook, handed_anything, config)
    except collect.CollectError as error:  # a roster that cannot be used
        raise RunRefused(str(error)) from error
    known = handed_anything | set(gradebook.students())
    unknown = sorted(set(args.students or ()) - known)
    if unknown:
        raise RunRefused("; ".join(late.unknown_student(name, known) for name in unknown))
    try:
        extensions = late.load_extensions(root / settings.extensions, expected, students=known)
        # students the LMS exports cannot match: warned of (with the run's other notes), still graded
        roster_notes += roster.unlisted(root, {s.student for s in submissions}, gradebook.students())
        penalty = late.penalty_plugin(config)
    except (late.ExtensionsError, collect.CollectError) as error:
        raise RunRefused(str(error)) from error
    except Exception as error:
        raise RunRefused(f"nbgrader_config.py: the late-submission plugin cannot be used: {error}") from error
    try:  # checked before grading: an unknown zone would otherwise surface only in the reports
        zone = late_report.CourseCalendar(config=config).zone
    except TraitError as error:
        raise RunRefused(f"nbgrader_config.py: {error}") from error
    notes = [*scope.notes, *roster_notes]
    notes += [f"warning: {len(students)} submissions of {assignment} in the exchange are newer than what "
              f"submitted/ holds ({', '.join(students)}): `{waiting.collect_command(assignment, True)}` collects them"
              for assignment, students in sorted(in_exchange.items()) if assignment in assignments]
    notes += [f"warning: {exchange_note}"] if exchange_note else []
    return GradeRun(root, config, settings, expected, scope, assignments, submissions, handed_anything, gradebook,
                    extensions, penalty, zone, notes)


def exchange_key(config, settings, notes):
    """The exchange's public key for c.Grader.practice_scores: c.Grader.practice_key, else the exchange
    service's own word; None (and a warning) where there is neither, and the run keeps its own scores."""
    if settings.practice_key:
        return settings.practice_key
    try:
        from course.exchange.client import HubExchange

        if config.HubExchange.get("url"):
            return HubExchange(config=config).service.call("GET", "whoami")["public_key"]
        why = "this course has no exchange service (a hub's) to sign them"
    except Exception as error:  # noqa: BLE001 - the run grades as usual; the instructor is told why
        why = f"the exchange could not be asked for its key ({str(error)[:200]})"
    notes.append(f"warning: c.Grader.practice_scores is on, but no practice score can be trusted: {why}; "
                 "every score is this run's own")
    return None


def grade(args, run):
    """Grade the run's assignments in a pool: ({student: {assignment: outcome}}, {assignment: why
    its solution stopped it}, seconds, jobs)."""
    notes, root, assignments, gradebook = run.notes, run.root, run.assignments, run.gradebook
    jobs = run.settings.jobs or os.cpu_count() or 1
    secret = os.environ.get("GRADER_SECRET")
    if not secret:
        notes.append("warning: GRADER_SECRET is not set, so verification inputs come from the public default "
                     "seed and a student who reads the course's code can predict them; set it to a private value")
    practice_key = exchange_key(run.config, run.settings, notes) if run.settings.practice_scores else None
    limits = sandbox.Limits.from_config(run.config)
    numbers = None
    if args.unsafe:
        budgets = budget.SlotBudgets(description="no sandbox (--unsafe): student code runs without any limit")
    elif args.cluster:  # each worker makes its own (autograder.run.dask_pool)
        budgets = budget.SlotBudgets(description=f"grading on the Dask cluster at {args.cluster}: each worker "
                                                 "bounds its own slots")
    else:  # slot numbers no other grader on this machine holds: each owns a sandbox uid
        numbers, _held_until_exit = job.claim_slot_numbers(jobs)
        budgets = budget.prepare(jobs, limits, slots=numbers)
    notes.append(budgets.description)
    for note in notes:
        print(note, file=sys.stderr)
    scratch = sandbox.scratch_root(memory_charged=bool(budgets.mechanism))
    settings = run.settings
    options = Options(cell_timeout=args.cell_timeout, notebook_timeout=settings.notebook_timeout,
                      interrupt_grace=settings.interrupt_grace, local_window=settings.local_window,
                      cluster_window=settings.cluster_window, limits=limits, unsafe=args.unsafe,
                      secret=secret or PUBLIC_SECRET, budgets=budgets, scratch=scratch)
    started = time.perf_counter()
    # A terminated run still removes its cgroups and runtime folders (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    stopped = {}  # assignments whose own solution fell short of full marks: none of their students is graded
    try:
        pool = cluster_pool(args.cluster, options) if args.cluster else None
        results = grade_class(root, assignments, run.submissions, options, jobs, students=args.students,
                              class_list=run.handed_anything, force=args.force, extensions=run.extensions,
                              penalty=run.penalty, gradebook=gradebook, pool=pool, slots=numbers, stopped=stopped,
                              practice_key=practice_key, done_log=getattr(args, "done_log", None))
    finally:
        budget.remove(budgets)
    return results, stopped, time.perf_counter() - started, jobs


def report_run(args, run, results, stopped, seconds, jobs):
    """grades.csv, summary.html, the class reports and the terminal's summary, from the gradebook; the exit status."""
    from autograder.insight.build import build_reports  # matplotlib and copydetect: only once graded

    root, expected, scope, gradebook, notes = run.root, run.expected, run.scope, run.gradebook, run.notes
    # The report covers the whole term, whichever assignments this run graded: every student of the
    # gradebook, every assignment released or given a due date; but not one whose solution failed its
    # canary and was never graded (its zeros would read as a class that handed nothing in).
    graded = gradebook.snapshot(scope.assignments)
    shown = {a: exercises for a, exercises in course_assignments(expected).items() if a in scope.assignments
             and (a not in stopped or any(a in by_assignment for by_assignment in graded.values()))}
    written = {a: questions for a, questions in written_questions(expected).items() if a in shown}
    due_dates = gradebook.due_dates(shown)
    rows = report.student_rows(graded, results, shown, written, due_dates, run.extensions)
    report_dir = root / run.settings.report_dir
    csv_path = report.write_grades_csv(rows, report_dir / "grades.csv")
    assignments = {a: exercises for a, exercises in shown.items() if a not in stopped}
    # A due date that looks entered wrongly is said where the run's results are read, not only in grades.csv.
    due_warnings = late_report.due_date_warnings(graded, due_dates)
    built = [a for a in run.assignments if a in assignments and any(a in by_a for by_a in graded.values())]
    try:
        class_reports, class_warnings, report_seconds = build_reports(
            root, report_dir, graded, shown, written, built, notes) if run.settings.class_reports else ([], [], 0.0)
    except Exception as error:  # noqa: BLE001 - the grades are written; a report of ours must not hide them
        class_reports, report_seconds = [], 0.0
        class_warnings = [f"the class reports were not built ({type(error).__name__}: {error}); grades.csv, "
                          "summary.html and feedback/ are complete: run `python -m autograder report` to retry"]
    summary_path = report.write_summary(rows, assignments, report_dir, [*notes, *due_warnings], written,
                                        lateness=late_report.lateness_html(graded, due_dates, run.zone),
                                        class_reports=[f"class-{a}.html" for a in shown
                                                       if (report_dir / f"class-{a}.html").is_file()])
    print(report.summary_text(rows))
    print(late_report.lateness_text(graded, due_dates, run.zone))
    for warning in class_warnings:
        print(f"warning: {warning}", file=sys.stderr)
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
    print(f"graded in {seconds:.1f} s with {jobs} jobs; "
          f"wrote {csv_path.relative_to(root)}, {summary_path.relative_to(root)} and feedback/; "
          f"class reports in {report_seconds:.1f} s: "
          + (", ".join(str(p.relative_to(root)) for p in class_reports) or "none"))
    for assignment in sorted(stopped):
        print(f"error: {stopped[assignment]}", file=sys.stderr)
    return 1 if stopped else 0


def command_grade(args):
    root = pathlib.Path(args.course_root).resolve()
    # Every assignment of the course is known to collect, so that a notebook handed in under the
    # wrong assignment is recognised; only the selected ones are graded.
    expected = collect.load_assignments(root)
    try:
        check_request(args, root, expected)
        config = configuration(root, args)
        run = plan(args, root, expected, config, *collect_input(args, root, expected, config))
    except RunRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        results, stopped, seconds, jobs = grade(args, run)
    except ClusterUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return report_run(args, run, results, stopped, seconds, jobs)
