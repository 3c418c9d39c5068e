"""A term with the grader: the instructor's review survives re-runs, only what changed is graded
again, and lateness (LMS file-name timestamps, due dates, extensions, the course's penalty) gives
the same totals in grades.csv as `nbgrader export`.

The instructor's review is made through nbgrader's gradebook API, which is what the formgrader's
handlers call (the browser term test clicks through the formgrader itself).
"""

import csv
import datetime
import json
import re
import subprocess
import zipfile

import pytest
from nbgrader.api import Gradebook

from autograder.grading.environment import tool_environment
from autograder.record.late_report import CourseCalendar, due_date_warnings
from tests.support.notebook import (
    NBGRADER,
    ROOT,
    exercises,
    make_course_root,
    nbgrader,
    run_grader,
    student_notebook,
    write_submission,
    written_questions,
)

ASSIGNMENT = "01_notation"
POINTS = dict(exercises(ASSIGNMENT))
TOTAL = sum(POINTS.values())
QUESTIONS = dict(written_questions(ASSIGNMENT))  # graded by hand: in the maximum, not in TOTAL
MAX = TOTAL + sum(QUESTIONS.values())
SWALLOW_ERRORS = ('get_ipython().input_transformers_post.append(lambda lines: ["try:\\n"] + '
                  '["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"])')
BLANK = {ex: f"def {ex}(*args, **kwargs):\n    raise NotImplementedError()" for ex in POINTS}
WRONG_COUNT = "def count_parameters(layer_sizes):\n    return 0"
CHANGED = "changed since your review"


def gradebook(course):
    return Gradebook(f"sqlite:///{course / 'gradebook.db'}")


def review(course, student):
    """What the formgrader shows of one submission: flag, manual scores, manual comments."""
    with gradebook(course) as book:
        notebook = book.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {"flagged": notebook.flagged,
                "manual": {g.name: g.manual_score for g in notebook.grades if g.manual_score is not None},
                "comments": {c.name: c.manual_comment for c in notebook.comments if c.manual_comment}}


def cell_heading(page, grade_id):
    """What a feedback page shows above one cell: its score, or that it awaits a grader."""
    heading = re.search(rf'<a name="{grade_id}"></a><div class="panel-heading">.*?<span class="pull-right">(.*?)<a ',
                        page, re.S)
    return heading[1].strip()


def graded_counts(result):
    line = next(line for line in result.stdout.splitlines() if " graded, " in line and "unchanged since last graded" in line)
    numbers = [int(word) for word in line.replace(",", " ").split() if word.isdigit()]
    return numbers[0], numbers[1]  # graded now, unchanged


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course_root(tmp_path_factory.mktemp("term"), [ASSIGNMENT])
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    write_submission(course, "bob", ASSIGNMENT, student_notebook(ASSIGNMENT, {"count_parameters": WRONG_COUNT}))
    write_submission(course, "mallory", ASSIGNMENT, student_notebook(ASSIGNMENT, BLANK, prepend=SWALLOW_ERRORS))
    (course / "roster.csv").write_text("student_id\nalice\nBob\n")  # bob miscased, mallory missing: warned, graded
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2", "--profile")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("roster.csv does not list") == 1 and (
        "warning: roster.csv does not list bob (submitted; did you mean 'Bob'? ids are case-sensitive), mallory "
        "(submitted): the LMS exports and feedback zips cannot find their LMS ids; add them to the roster or correct "
        "the ids\n") in result.stderr, result.stderr
    # The roster is the class: Bob, whom it lists and who handed nothing in, joins the gradebook, missing.
    assert "note: added to the gradebook from roster.csv, with nothing handed in yet: Bob\n" in result.stderr
    assert graded_counts(result) == (3, 0)
    # --profile: where the time went, one row per step, each with its seconds per submission.
    assert "profile of 3 graded submissions" in result.stdout
    steps = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ") and "%" in line}
    assert {"autograde", "verify", "feedback", "gradebook", "sanitize"} <= steps, result.stdout
    assert {s: (float(r["total"]), r["status"]) for s, r in rows.items()} == {
        "alice": (TOTAL, "graded"), "bob": (TOTAL - 1, "graded"), "mallory": (0, "flagged"), "Bob": (0, "failed")}
    (course / "roster.csv").unlink()  # the other tests grade alice, bob and mallory
    with gradebook(course) as book:
        book.remove_student("Bob")
    return course


def test_the_instructors_review_survives_reruns_and_resubmissions(course):
    withdrawn = review(course, "mallory")
    assert withdrawn["flagged"] and set(withdrawn["manual"]) == {f"test_{ex}" for ex in POINTS}
    assert all(text.startswith("verification:") for text in withdrawn["comments"].values())
    first, second = sorted(POINTS)[:2]

    # The instructor reviews in the formgrader: a partial score and a comment for bob, a flag on
    # alice, and on mallory an accepted exercise (full marks) and a note under the grader's comment.
    with gradebook(course) as book:
        book.find_grade("test_count_parameters", ASSIGNMENT, ASSIGNMENT, "bob").manual_score = 0.5
        book.find_comment("count_parameters", ASSIGNMENT, ASSIGNMENT, "bob").manual_comment = "close: see the bias"
        book.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "alice").flagged = True
        book.find_grade(f"test_{first}", ASSIGNMENT, ASSIGNMENT, "mallory").manual_score = POINTS[first]
        comment = book.find_comment(second, ASSIGNMENT, ASSIGNMENT, "mallory")
        comment.manual_comment += "\n\nCome to office hours."
        book.db.commit()
    reviewed = {student: review(course, student) for student in ("alice", "bob", "mallory")}

    # A forced re-run of everything changes none of it.
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2", "--force")
    assert result.returncode == 0, result.stderr
    assert graded_counts(result) == (3, 0)
    assert {student: review(course, student) for student in reviewed} == reviewed
    assert float(rows["bob"]["total"]) == TOTAL - 0.5
    assert float(rows["mallory"]["total"]) == POINTS[first]
    assert "your score of" in rows["mallory"]["reason"]  # refuted again, but the instructor's score stands

    # Bob resubmits (still wrong): only he is graded again; his manual grading stays, and the
    # resubmission is flagged for the instructor to look at again.
    write_submission(course, "bob", ASSIGNMENT,
                     student_notebook(ASSIGNMENT, {"count_parameters": WRONG_COUNT + "  # fixed?"}))
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert graded_counts(result) == (1, 2)
    bob = review(course, "bob")
    assert bob["manual"] == {"test_count_parameters": 0.5}
    assert bob["comments"] == {"count_parameters": "close: see the bias"}
    assert bob["flagged"] and rows["bob"]["status"] == "flagged" and CHANGED in rows["bob"]["reason"]
    assert review(course, "alice") == reviewed["alice"] and rows["alice"]["status"] == "graded"

    # The flag stays until the instructor clears it; then a re-run leaves it cleared.
    result, rows = run_grader(course, ASSIGNMENT, "--force", "--student", "bob")
    assert graded_counts(result) == (1, 0) and review(course, "bob")["flagged"], result.stdout
    assert CHANGED in rows["bob"]["reason"]
    with gradebook(course) as book:
        book.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "bob").flagged = False
        book.db.commit()
    result, rows = run_grader(course, ASSIGNMENT, "--student", "bob")  # not graded again: the report follows
    assert graded_counts(result) == (0, 1)
    assert rows["bob"]["status"] == "graded" and "flag cleared in the formgrader" in rows["bob"]["reason"]
    result, rows = run_grader(course, ASSIGNMENT, "--force", "--student", "bob")
    assert not review(course, "bob")["flagged"] and rows["bob"]["status"] == "graded"

    # Mallory hands in honest work: the grader's own withdrawals go; the instructor's score and the
    # instructor's note stay (the grader's line under it goes), and the change is flagged.
    write_submission(course, "mallory", ASSIGNMENT, student_notebook(ASSIGNMENT))
    result, rows = run_grader(course, ASSIGNMENT)
    assert graded_counts(result) == (1, 2)
    mallory = review(course, "mallory")
    assert mallory["manual"] == {f"test_{first}": POINTS[first]}
    assert mallory["comments"][second].endswith("Come to office hours.")
    assert mallory["flagged"] and CHANGED in rows["mallory"]["reason"]
    assert float(rows["mallory"]["total"]) == TOTAL


def test_a_skipped_submission_gets_fresh_feedback_when_its_grades_change(course):
    with gradebook(course) as book:
        book.find_grade("test_count_parameters", ASSIGNMENT, ASSIGNMENT, "alice").manual_score = 0.25
        book.db.commit()
    result, rows = run_grader(course, ASSIGNMENT, "--student", "alice")
    assert result.returncode == 0, result.stderr
    assert graded_counts(result) == (0, 1)
    assert float(rows["alice"]["total"]) == TOTAL - POINTS["count_parameters"] + 0.25
    page = (course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert f"{TOTAL - POINTS['count_parameters'] + 0.25:g} / {MAX:g}" in page.replace(".0 /", " /")


def test_written_answers_are_counted_apart_and_join_the_total_once_graded_by_hand(course):
    """A written answer waits for a grader: grades.csv shows it blank and counts it in written_pending,
    with the autograded points apart; once graded in the gradebook (what the formgrader's Manual
    Grading writes), the next run reports its score, adds it to the total and the feedback, and a
    forced regrade keeps it."""
    assert len(QUESTIONS) >= 2
    write_submission(course, "wanda", ASSIGNMENT, student_notebook(ASSIGNMENT))
    result, rows = run_grader(course, ASSIGNMENT, "--student", "wanda")
    assert result.returncode == 0, result.stderr
    wanda = rows["wanda"]
    assert {q: wanda[f"{ASSIGNMENT}:{q}"] for q in QUESTIONS} == {q: "" for q in QUESTIONS}
    assert (wanda[f"{ASSIGNMENT}:written_pending"], wanda["written_pending"]) == (str(len(QUESTIONS)),) * 2
    assert (float(wanda[f"{ASSIGNMENT}:auto"]), float(wanda[f"{ASSIGNMENT}:written"])) == (TOTAL, 0)
    assert (float(wanda["total"]), float(wanda["max"]), wanda["status"]) == (TOTAL, MAX, "graded")
    waiting = sum(int(row["written_pending"]) for row in rows.values())  # the other students' answers too
    assert f"{waiting} written answers await grading by hand" in result.stdout
    summary = (course / "reports" / "summary.html").read_text()
    assert "Written answers, graded by hand" in summary and all(q in summary for q in QUESTIONS)
    # Her feedback says the answers wait, not that they scored 0, and how many points wait in all.
    page = (course / "feedback" / "wanda" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    for question, points in QUESTIONS.items():
        assert f"Written response</a> (awaiting grading, {points:g} points)" in page, question
        assert cell_heading(page, question) == f"awaiting grading ({points:g} points)"
    assert f"{TOTAL:.1f} / {MAX:.1f}; {sum(QUESTIONS.values()):g} points still to be graded by hand)" in page

    given = {q: points / 2 if i == 0 else points for i, (q, points) in enumerate(QUESTIONS.items())}
    with gradebook(course) as book:
        for question, score in given.items():
            book.find_grade(question, ASSIGNMENT, ASSIGNMENT, "wanda").manual_score = score
        book.db.commit()
    for flags in ((), ("--force",)):
        result, rows = run_grader(course, ASSIGNMENT, "--student", "wanda", *flags)
        assert result.returncode == 0, result.stderr
        wanda = rows["wanda"]
        assert {q: float(wanda[f"{ASSIGNMENT}:{q}"]) for q in QUESTIONS} == given, flags
        assert float(wanda[f"{ASSIGNMENT}:written"]) == sum(given.values())
        assert (wanda["written_pending"], float(wanda["total"])) == ("0", TOTAL + sum(given.values()))
        assert f"{waiting - len(QUESTIONS)} written answers await grading by hand" in result.stdout
        page = (course / "feedback" / "wanda" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert f"{TOTAL + sum(given.values()):g} / {MAX:g}" in page.replace(".0 /", " /")
        assert "awaiting grading" not in page and "still to be graded by hand" not in page
        assert {q: cell_heading(page, q) for q in QUESTIONS} == {
            q: f"Score: {given[q]:.1f} / {points:.1f}" for q, points in QUESTIONS.items()}


def test_an_unknown_student_is_an_error(course):
    result, _ = run_grader(course, ASSIGNMENT, "--student", "nobody")
    assert result.returncode == 2 and "nobody" in result.stderr


# ---------------------------------------------------------------------------------------------
# Lateness
# ---------------------------------------------------------------------------------------------

DUE = "2026-03-01 12:00:00 UTC"
# Blackboard-style names: <student>_<time>_<file>; the course config says so (nbgrader's named_regexp).
NAMED_REGEXP = r"^(?P<student_id>[a-z]+)_(?P<timestamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)_(?P<file_id>.+)$"


def export(course):
    """nbgrader's own CSV export of the course's gradebook: {student: row}."""
    nbgrader(course, "export", "--to", str(course / "export.csv"))
    with (course / "export.csv").open() as f:
        return {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT}


def test_lateness_from_lms_names_due_dates_and_extensions_matches_nbgrader_export(tmp_path):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.FileNameCollectorPlugin.named_regexp = {NAMED_REGEXP!r}\n"
                     # 13:00 in Berlin in March: a zone whose time differs from UTC's shows the conversion
                     "c.CourseCalendar.timezone = 'Europe/Berlin'\n")
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE}")
    (course / "extensions.csv").write_text("student_id,assignment,hours\ncarol,01_notation,48\nbob,01_notation,1\n")
    wrong = student_notebook(ASSIGNMENT, {"count_parameters": WRONG_COUNT})
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as download:
        for name, notebook in {
            "alice_2026-03-01-11-00-00_01_notation.ipynb": student_notebook(ASSIGNMENT),  # on time
            "bob_2026-03-01-15-10-00_01_notation.ipynb": student_notebook(ASSIGNMENT),  # 2 h 10 min after 1 h: 3 hours
            "carol_2026-03-02-18-00-00_01_notation.ipynb": student_notebook(ASSIGNMENT),  # 30 h, extension 48 h
            "dave_2026-03-01-10-00-00_01_notation.ipynb": wrong,  # an early attempt ...
            "dave_2026-03-01-13-30-00_01_notation.ipynb": student_notebook(ASSIGNMENT),  # ... the last counts
        }.items():
            download.writestr(name, json.dumps(notebook))
    result, rows = run_grader(course, ASSIGNMENT, "--from", str(tmp_path / "download.zip"), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert (course / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").read_text().startswith("2026-03-01 15:10:00")

    percent = 2.0  # per started hour: nbgrader_config.py's PerHourPenalty
    expected = {"alice": 0.0, "bob": TOTAL * 3 * percent / 100, "carol": 0.0, "dave": TOTAL * 2 * percent / 100}
    for student, penalty in expected.items():
        row = rows[student]
        assert float(row[f"{ASSIGNMENT}:raw"]) == TOTAL, (student, row)
        assert float(row[f"{ASSIGNMENT}:late_penalty"]) == pytest.approx(penalty), (student, row)
        assert float(row["total"]) == pytest.approx(TOTAL - penalty), (student, row)
    assert "ignored older notebook" in rows["dave"]["reason"]
    assert rows["bob"][f"{ASSIGNMENT}:hours_late"] == "2.17"
    # The late students, with extension and penalty, and the due date in UTC and the course's zone,
    # where the instructor reads a run's results: the terminal and summary.html.
    summary = (course / "reports" / "summary.html").read_text()
    due = "due 2026-03-01 12:00 UTC (2026-03-01 13:00 CET, Europe/Berlin)"
    assert f"{ASSIGNMENT}: {due}; 2 of 4 submissions late" in result.stdout, result.stdout
    assert f"bob: 2.17 h late, extension 1 h, penalty {expected['bob']:g} points" in result.stdout
    assert f"dave: 1.50 h late, extension 0 h, penalty {expected['dave']:g} points" in result.stdout
    assert f"{due}; 2 late" in summary
    assert f"<td>bob</td><td>2.17</td><td>1</td><td>{expected['bob']:g}</td>" in summary
    assert f"<td>dave</td><td>1.50</td><td>0</td><td>{expected['dave']:g}</td>" in summary
    assert not any(f"{student}:" in result.stdout or f"<td>{student}</td>" in summary for student in ("alice", "carol"))
    assert "warning: 01_notation" not in result.stderr + summary

    exported = export(course)
    assert set(exported) == set(rows)
    for student, row in rows.items():
        assert float(exported[student]["score"]) == pytest.approx(float(row["total"])), student
        assert float(exported[student]["late_submission_penalty"]) == pytest.approx(
            float(row[f"{ASSIGNMENT}:late_penalty"])), student

    # Carol's extension is withdrawn: without regrading anything, her penalty follows (30 h late).
    (course / "extensions.csv").write_text("student_id,assignment,hours\ncarol,01_notation,0\n")
    result, rows = run_grader(course, ASSIGNMENT)
    assert graded_counts(result) == (0, 4)
    assert float(rows["carol"][f"{ASSIGNMENT}:late_penalty"]) == pytest.approx(TOTAL * 30 * percent / 100)
    assert float(export(course)["carol"]["score"]) == pytest.approx(float(rows["carol"]["total"]))

    # 1 March entered day first, 01/03/2026, which nbgrader reads month first (January 3): its command
    # line refuses it (autograder.due_dates); stored anyway (nbgrader's API, a gradebook of an older
    # term), the whole class is late by weeks, and the run says so in the terminal and summary.html.
    refused = subprocess.run([*NBGRADER, "db", "assignment", "add", ASSIGNMENT, "--duedate=01/03/2026 12:00:00"],
                             cwd=course, capture_output=True, text=True, env={**tool_environment(), "PYTHONPATH": str(ROOT)})
    assert refused.returncode != 0 and "nbgrader reads 01/03/2026 month first" in refused.stderr
    assert f"{ASSIGNMENT} (due: 2026-03-01 12:00:00)" in nbgrader(course, "db", "assignment", "list").stdout
    with gradebook(course) as book:
        book.update_or_create_assignment(ASSIGNMENT, duedate="01/03/2026 12:00:00")
    result, rows = run_grader(course, ASSIGNMENT)
    assert result.returncode == 0, result.stderr
    warning = ("warning: 01_notation: 4 of 4 submissions are late by 1367 h or more against the due date "
               "2026-01-03 12:00 UTC: was it entered day/month the wrong way round? nbgrader reads 01/03/2026 "
               "as January 3, not 1 March")
    assert warning in result.stderr.splitlines(), result.stderr
    assert warning in (course / "reports" / "summary.html").read_text()


def snapshot_of(due, submitted):
    """Gradebook.snapshot's lateness fields for one assignment's submissions at the times `submitted`."""
    return {f"s{i}": {"02_forward": {"submitted_at": time, "seconds_late": max(0.0, (time - due).total_seconds()),
                                     "extension_hours": 0.0, "penalty": 0.0}}
            for i, time in enumerate(submitted)}


def test_a_due_date_far_from_every_submission_or_making_most_late_is_warned_of_with_its_likely_cause():
    may = [datetime.datetime(2026, 5, 12, 9, 0) + datetime.timedelta(hours=h) for h in (0, 20, 30)]
    # 05/12/2026 meant day first (5 December, the stored date) while the class submits around May 12:
    # nobody is late, yet the due date lies months from every submission.
    december = datetime.datetime(2026, 12, 5, 17, 0)
    [warning] = due_date_warnings(snapshot_of(december, may), {"02_forward": december})
    assert warning.startswith("warning: 02_forward: the due date 2026-12-05 17:00 UTC lies 206 days or more "
                              "from every submission (3): was it entered day/month the wrong way round? "
                              "nbgrader reads 12/05/2026 as December 5, not 12 May"), warning
    # A zone abbreviation dropped (BST read as UTC): everyone an hour or so late.
    zone_dropped = datetime.datetime(2026, 5, 13, 8, 0)
    on_time = [zone_dropped + datetime.timedelta(minutes=m) for m in (20, 40, 50)]
    [warning] = due_date_warnings(snapshot_of(zone_dropped, on_time), {"02_forward": zone_dropped})
    assert "3 of 3 submissions are late by 0.3 h or more" in warning and "the wrong zone?" in warning, warning
    # A due date most submissions meet, and one with too few submissions to judge, say nothing.
    assert due_date_warnings(snapshot_of(may[1], may), {"02_forward": may[1]}) == []
    assert due_date_warnings(snapshot_of(may[0], may[1:]), {"02_forward": may[0]}) == []
    with pytest.raises(Exception, match="unknown time zone 'Europe/Lundon'"):
        CourseCalendar(timezone="Europe/Lundon")


def test_a_bad_extensions_file_is_refused_naming_the_line_and_loses_nothing(tmp_path):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    (course / "extensions.csv").write_text("student_id,assignment,hours\nalice,01_notation,two days\n")
    result, _ = run_grader(course, ASSIGNMENT)
    assert result.returncode == 2
    assert "extensions.csv, line 2" in result.stderr and "two days" in result.stderr
    assert (course / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert not (course / "autograded").exists()


@pytest.mark.parametrize("student, message", [
    ("Alice", "unknown student 'Alice': did you mean 'alice'? (student ids are case-sensitive)"),
    ("alcie", "unknown student 'alcie': no submission and no gradebook entry (did you mean 'alice'?)"),
])
def test_an_extension_for_an_unknown_student_is_refused_not_lost(tmp_path, student, message):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    (course / "extensions.csv").write_text(f"student_id,assignment,hours\n{student},{ASSIGNMENT},48\n")
    result, _ = run_grader(course, ASSIGNMENT)
    assert result.returncode == 2 and "extensions.csv, line 2: " + message in result.stderr, result.stderr
    assert not (course / "autograded").exists()


def test_a_forged_submission_time_fails_only_that_student(tmp_path):
    """timestamp.txt comes from the student's side of the exchange: one that is not a time (here a
    megabyte of junk) costs that student their grade, never the class or the grader's memory."""
    course = make_course_root(tmp_path, [ASSIGNMENT])
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    write_submission(course, "mallory", ASSIGNMENT, student_notebook(ASSIGNMENT))
    (course / "submitted" / "mallory" / ASSIGNMENT / "timestamp.txt").write_text("not a time " * 100_000)
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert (rows["alice"]["status"], float(rows["alice"]["total"])) == ("graded", TOTAL)
    assert rows["mallory"]["status"] == "failed" and "timestamp" in rows["mallory"]["reason"], rows["mallory"]
