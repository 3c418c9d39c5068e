"""A term from a bare course, as the README runs it: two of the ten assignments released, the
class graded with `make grade`'s command, the LMS exports written.

What is checked is what the instructor is told: grading, the reports and the exports cover the
two released assignments and nothing else; nobody fails an assignment not yet due; lateness is in
the terminal and in summary.html; a written answer waiting for a grader shows as waiting and holds
the export back; and each bad input (grading before collecting, a typo, an unreleased assignment,
an ambiguous due date, a misnamed assignment, a miscased extension id) gets its one-line reason and
changes nothing.
"""

import csv
import datetime
import hashlib
import os
import re
import shutil
import subprocess
import sys

from nbgrader.api import Gradebook

from autograder.grading.environment import tool_environment
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

COURSE = sorted(d.name for d in (ROOT / "source").iterdir() if (d / f"{d.name}.py").is_file())
RELEASED = ["01_notation", "02_forward"]
MAX = sum(points for a in RELEASED for _, points in [*exercises(a), *written_questions(a)])


def gradebook_assignments(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        return {a.name: a.duedate for a in book.assignments}


def files_of(course):
    """{relative path: sha256} of every file of the course, and what the gradebook holds: what a
    refused command must leave alone (the gradebook's bytes change when it is merely opened)."""
    files = {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(course.rglob("*")) if p.is_file() and p.name != "gradebook.db" and "reports" not in p.parts}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        held = {a.name: (a.duedate, sorted(s.student.id for s in a.submissions)) for a in book.assignments}
        return files, held, sorted(s.id for s in book.students)


def export(course, exporter, *options):
    done = subprocess.run([*NBGRADER, "export", f"--exporter=autograder.export.lms.{exporter}", "--to", "out.csv", *options],
                          cwd=course, capture_output=True, text=True, timeout=120,
                          env={**tool_environment(), "PYTHONPATH": str(ROOT)})
    if done.returncode:
        return None, done.stderr
    with open(course / "out.csv", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle)), done.stderr


def submit(course, student, assignment, when):
    write_submission(course, student, assignment, student_notebook(assignment))
    (course / "submitted" / student / assignment / "timestamp.txt").write_text(f"{when:%Y-%m-%d %H:%M:%S} UTC")


def test_a_term_covers_what_was_released_and_says_what_went_wrong(tmp_path):
    assert len(COURSE) == 10
    course = make_course_root(tmp_path, COURSE)
    (course / "exchange").mkdir(mode=0o777)
    os.chmod(course / "exchange", 0o777)  # make exchange: nbgrader wants it writable by everyone
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    due_01, due_02 = now - datetime.timedelta(days=2), now + datetime.timedelta(days=7)
    # README, section 2: a due date, then the release into the exchange.
    for name, due in zip(RELEASED, (due_01, due_02)):
        shutil.copytree(ROOT / "release" / name, course / "release" / name)
        nbgrader(course, "db", "assignment", "add", name, f"--duedate={due:%Y-%m-%d %H:%M:%S} UTC")
        nbgrader(course, "release_assignment", name)

    # Bad inputs, each refused with its reason, and nothing changed.
    before = files_of(course)
    result, _ = run_grader(course)
    assert result.returncode == 2 and "submitted: nothing collected yet: `nbgrader collect ASSIGNMENT`" in result.stderr
    result, _ = run_grader(course, "01_notaton")
    assert result.returncode == 2 and "no source notebook for 01_notaton (did you mean 01_notation?)" in result.stderr
    refused = subprocess.run([*NBGRADER, "db", "assignment", "add", "02_forward", "--duedate=05/12/2026 17:00 BST"],
                             cwd=course, capture_output=True, text=True, env={**tool_environment(), "PYTHONPATH": str(ROOT)})
    assert refused.returncode != 0 and "is ambiguous: nbgrader reads 05/12/2026 month first" in refused.stderr
    refused = subprocess.run([*NBGRADER, "db", "assignment", "add", "01-notation"], cwd=course, capture_output=True,
                             text=True, env={**tool_environment(), "PYTHONPATH": str(ROOT)})
    assert refused.returncode != 0 and "'01-notation' has no notebook under source/ (did you mean 01_notation?)" \
        in refused.stderr
    assert files_of(course) == before

    submit(course, "alice", "01_notation", due_01 - datetime.timedelta(hours=3))
    submit(course, "bob", "01_notation", due_01 + datetime.timedelta(hours=2, minutes=30))
    write_submission(course, "carol", "03_backprop", student_notebook("03_backprop"))  # handed in before its release
    before = files_of(course)
    result, _ = run_grader(course, "03_backprop")
    assert result.returncode == 2 and result.stderr.strip() == (
        "error: 03_backprop is not released and has no due date, so nobody has it yet: release it (nbgrader "
        "release_assignment 03_backprop) or give it a due date (nbgrader db assignment add 03_backprop "
        '--duedate="YYYY-MM-DD 17:00:00 Europe/London"), then grade it')
    (course / "extensions.csv").write_text("student_id,assignment,hours\nBob,01_notation,24\n")
    result, _ = run_grader(course)
    assert result.returncode == 2 and "'Bob'" in result.stderr and "did you mean 'bob'?" in result.stderr
    (course / "extensions.csv").unlink()
    assert files_of(course) == before and set(gradebook_assignments(course)) == set(RELEASED)
    assert before[1] == {name: (due.replace(microsecond=0), []) for name, due in zip(RELEASED, (due_01, due_02))}

    # make grade: the two released assignments, nothing else.
    result, rows = run_grader(course, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert set(gradebook_assignments(course)) == set(RELEASED)  # the other eight never enter the gradebook
    assert ("warning: 1 submissions of 03_backprop are not graded: it is neither released nor given a due date"
            in result.stderr)
    assert {s: (r["status"], r["max"]) for s, r in rows.items()} == {
        "alice": ("graded", f"{MAX:g}"), "bob": ("graded", f"{MAX:g}"), "carol": ("failed", f"{MAX:g}")}
    assert not [c for c in rows["alice"] if c.startswith(tuple(a for a in COURSE if a not in RELEASED))]
    # Nobody fails 02_forward a week before it is due; carol fails 01_notation, which is past due.
    assert rows["carol"]["reason"] == (f"01_notation: no submission; 02_forward: not yet due (due "
                                       f"{due_02:%Y-%m-%d %H:%M} UTC)")
    assert all("02_forward: no submission" not in r["reason"] for r in rows.values())
    assert "3 students: 2 graded, 0 flagged, 1 failed" in result.stdout
    assert "2 submissions graded, 0 unchanged" in result.stdout  # not yet due and missing are no submissions
    # What nobody has handed in yet has no score yet: empty in grades.csv, left out of the exercise statistics.
    assert {rows[s]["02_forward:score"] for s in rows} == {""} and rows["alice"]["01_notation:score"] != ""
    # Lateness where the instructor looks: bob, 2.5 h after the due date.
    summary = (course / "reports" / "summary.html").read_text()
    assert "bob: 2.50 h late, extension 0 h" in result.stdout and "<td>bob</td><td>2.50</td>" in summary
    assert "01_notation: no submission" in summary and "03_backprop" in summary  # the warning, in the report too
    statistics = re.findall(r"<tr><td>02_forward</td><td>(?!answer_).*?</tr>", summary)  # the exercise table
    assert statistics and all(row.endswith("<td>0</td><td>0</td><td>0</td></tr>") for row in statistics)

    # Naming one assignment grades only it, and the reports still cover the term.
    again, rows_again = run_grader(course, "01_notation")
    assert again.returncode == 0, again.stderr
    assert {s: (r["max"], r["total"]) for s, r in rows_again.items()} == {s: (r["max"], r["total"]) for s, r in rows.items()}

    # The written answers wait for a grader: the feedback says so, and the export holds back.
    feedback = (course / "feedback" / "alice" / "01_notation" / "01_notation.html").read_text()
    assert "awaiting grading" in feedback
    written = sum(1 for _ in written_questions("01_notation"))
    canvas, log = export(course, "CanvasExport")
    assert canvas is None and f"{2 * written} answers of 2 students await a grader" in log
    zipped = subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(course), "feedback", "01_notation"],
                            capture_output=True, text=True, env={**tool_environment(), "PYTHONPATH": str(ROOT)})
    assert zipped.returncode == 0 and (f"warning: {2 * written} written answers of 01_notation still await a grader "
                                       "(alice, bob): their pages say 'awaiting grading'") in zipped.stderr
    canvas, log = export(course, "CanvasExport", "--CanvasExport.allow_pending=True")
    assert canvas[0][5:] == RELEASED and "Exported as 0" in log
    moodle, log = export(course, "MoodleExport", "--MoodleExport.allow_pending=True", "--MoodleExport.identifier=username")
    assert moodle[0] == ["Username", *RELEASED]
    # 02_forward is not yet due: no grade yet (an empty cell leaves the LMS's alone), not a 0.
    by_student = {row[0]: row[1:] for row in moodle[1:]}
    assert set(by_student) == {"alice", "bob"} and all(float(row[0]) > 0 and row[1] == "" for row in by_student.values())
    assert all(row[-1] == "" for row in canvas[2:])
