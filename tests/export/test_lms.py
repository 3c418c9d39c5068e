"""autograder.export.lms: grades exported for Canvas and Moodle, and feedback zips their bulk uploads read.

Fast: the gradebook is built directly with nbgrader's API (no grading run). The scores are checked
against what `nbgrader export` itself writes for the same gradebook, and the zips' member names
against the rules by which Canvas and Moodle read them back.
"""

import csv
import datetime
import os
import pathlib
import re
import shutil
import subprocess
import sys
import warnings
import zipfile

import pytest
from nbgrader.api import Gradebook

from autograder.export import lms
from autograder.grading.environment import tool_environment

REPO = pathlib.Path(__file__).resolve().parents[2]
# Two assignments of one notebook with two grade cells each: (cell, max score).
CELLS = {"01_notation": [("test_a", 1.5), ("test_b", 2.0)], "02_forward": [("test_relu", 3.0), ("test_tanh", 1.0)]}
STUDENTS = {  # id: (first, last, email)
    "alice": ("Alice", "Smith", "alice@gb.example"),
    "bob": ("Bob", "Jones", "bob@gb.example"),
    "carol": (None, None, None),
    "dave": ("Dave", "Late", "dave@gb.example"),
}
# (student, assignment): ({cell: auto score}, late penalty); carol never hands in 02_forward.
SUBMISSIONS = {
    ("alice", "01_notation"): ({"test_a": 1.5, "test_b": 2.0}, 0.0),
    ("alice", "02_forward"): ({"test_relu": 2.0, "test_tanh": 2 / 3}, 0.0),
    ("bob", "01_notation"): ({"test_a": 0.0, "test_b": 1.0}, 0.0),
    ("bob", "02_forward"): ({"test_relu": 3.0, "test_tanh": 1.0}, 0.75),
    ("carol", "01_notation"): ({"test_a": 1.5, "test_b": 0.0}, 0.0),
    ("dave", "01_notation"): ({"test_a": 0.5, "test_b": 0.0}, 1.0),  # penalty above the score: 0, not -0.5
    ("dave", "02_forward"): ({"test_relu": 0.1, "test_tanh": 0.2}, 0.0),  # 0.1 + 0.2, not 0.30000000000000004
}
EXPECTED = {("alice", "01_notation"): "3.5", ("alice", "02_forward"): "2.67", ("bob", "01_notation"): "1",
            ("bob", "02_forward"): "3.25", ("carol", "01_notation"): "1.5", ("carol", "02_forward"): "0",
            ("dave", "01_notation"): "0", ("dave", "02_forward"): "0.3"}
ROSTER = """student_id,name,email,canvas_user_id,sis_user_id,sis_login_id,section,moodle_participant_id,moodle_idnumber
alice,Alice Smith,alice@uni.example,4711,S1,asmith,Lab A,118,A-1
bob,Bob Jones,,4712,,,,,B-2
carol,Anne_Marie Carol,,4713,,,,120,
"""


def build_gradebook(path):
    """A gradebook of CELLS, STUDENTS and SUBMISSIONS at `path`, as nbgrader autograde leaves it."""
    with Gradebook(f"sqlite:///{path}") as gb:
        for day, (assignment, cells) in enumerate(CELLS.items(), start=1):
            gb.add_assignment(assignment, duedate=datetime.datetime(2025, 1, day))
            gb.add_notebook(assignment, assignment)
            for cell, points in cells:
                gb.add_grade_cell(cell, assignment, assignment, max_score=points, cell_type="code")
        for student, (first, last, email) in STUDENTS.items():
            gb.add_student(student, first_name=first, last_name=last, email=email)
        for (student, assignment), (scores, penalty) in SUBMISSIONS.items():
            with warnings.catch_warnings():  # nbgrader's own add_submission trips this SQLAlchemy warning
                warnings.filterwarnings("ignore", r"Object of type <Submitted\w+> not in session")
                gb.add_submission(assignment, student)
            for cell, score in scores.items():
                gb.find_grade(cell, assignment, assignment, student).auto_score = score
            gb.find_submission_notebook(assignment, assignment, student).late_submission_penalty = penalty
            gb.db.commit()


@pytest.fixture(scope="module")
def gradebook_file(tmp_path_factory):
    """The gradebook, built once: creating one runs nbgrader's `alembic`, which takes seconds."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", tool_environment()["PATH"])
        build_gradebook(path)
    return path


@pytest.fixture
def course(tmp_path, gradebook_file):
    """A course root: the course's nbgrader_config.py, a copy of the gradebook and a roster."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copy(gradebook_file, root / "gradebook.db")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    for assignment in [*CELLS, "03_backprop", "03_written"]:  # the course's notebooks (autograder.record.term reads their names)
        (root / "source" / assignment).mkdir(parents=True)
        (root / "source" / assignment / f"{assignment}.ipynb").write_text("{}")
    return root


def nbgrader_export(root, *args, refused=False):
    """Run `nbgrader export` in the course root, as an instructor does; the rows of what it wrote.
    refused: the export is to fail; its stderr instead."""
    env = {**tool_environment(), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", "out.csv", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    if refused:
        assert done.returncode != 0, done.stdout + done.stderr
        return done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    with open(root / "out.csv", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle)), done.stderr


def run_export(plugin, root):
    """Run an export plugin in-process on the course's gradebook, from the course root as nbgrader
    runs it; the rows it wrote."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb, pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        plugin.export(gb)
    with open(plugin.to, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_scores_are_those_of_nbgraders_own_export(course):
    reference, _ = nbgrader_export(course)  # nbgrader's default CsvExportPlugin
    header = reference[0]
    theirs = {(row[header.index("student_id")], row[header.index("assignment")]): float(row[header.index("score")])
              for row in reference[1:]}
    assert len(theirs) == len(EXPECTED)

    (course / "nbgrader_config.py").write_text((course / "nbgrader_config.py").read_text()
                                               + '\nc.CanvasExport.assignment_ids = {"02_forward": 98765}\n')
    canvas, log = nbgrader_export(course, "--exporter=autograder.lms.CanvasExport")
    assert canvas[0] == [*lms.CANVAS_COLUMNS, "01_notation", "02_forward (98765)"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "3.5", "4"]
    by_id = {row[1]: row for row in canvas[2:]}
    assert by_id["4711"][:5] == ["Alice Smith", "4711", "S1", "asmith", "Lab A"]
    assert "dave" in log and "No Canvas id" in log  # dave is matched by name only, and the log says so
    canvas_rows = {row[0]: row for row in canvas[2:]}
    canvas_students = {"alice": "Alice Smith", "bob": "Bob Jones", "carol": "Anne_Marie Carol", "dave": "Late, Dave"}

    moodle = run_export(lms.MoodleExport(to=str(course / "moodle.csv"), roster=str(course / "roster.csv")), course)
    assert moodle[0] == ["Email address", "01_notation", "02_forward"]
    moodle_rows = {row[0]: row for row in moodle[1:]}
    moodle_students = {"alice": "alice@uni.example", "bob": "bob@gb.example", "dave": "dave@gb.example"}
    assert set(moodle_rows) == set(moodle_students.values())  # carol has no email anywhere: left out

    for (student, assignment), expected in EXPECTED.items():
        column = 1 + list(CELLS).index(assignment)
        assert canvas_rows[canvas_students[student]][4 + column] == expected
        assert float(expected) == pytest.approx(round(theirs[student, assignment], 2))
        if student in moodle_students:
            assert moodle_rows[moodle_students[student]][column] == expected


def test_exports_carry_the_terms_assignments_only_and_say_what_they_left_out(course, tmp_path):
    """An assignment added to the gradebook without a due date or a release (an earlier grading run,
    a typo) would create or zero a column in the LMS: both exports leave it out and say so."""
    env = {**tool_environment(), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "nbgrader", "db", "assignment", "add", "03_backprop"], cwd=course, env=env,
                   check=True, capture_output=True)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # nbgrader's command line refuses this name now
        gb.add_assignment("01-notation")
    canvas, log = nbgrader_export(course, "--exporter=autograder.lms.CanvasExport")
    assert canvas[0] == [*lms.CANVAS_COLUMNS, "01_notation", "02_forward"]
    assert "01-notation is in the gradebook but has no notebook under source/ (did you mean 01_notation?)" in log
    assert "Left out, not released and without a due date (their column would create or zero an assignment " \
           "in the LMS): 01-notation, 03_backprop" in log
    moodle, log = nbgrader_export(course, "--exporter=autograder.lms.MoodleExport")
    assert moodle[0] == ["Email address", "01_notation", "02_forward"] and "03_backprop" in log

    # Released in make lab's exchange: 03_backprop is part of the term, and exported.
    (course / "exchange" / "backprop-course" / "outbound" / "03_backprop").mkdir(parents=True)
    canvas, log = nbgrader_export(course, "--exporter=autograder.lms.CanvasExport")
    assert canvas[0][len(lms.CANVAS_COLUMNS):] == ["01_notation", "02_forward", "03_backprop"]
    assert "Left out" in log and "03_backprop" not in log.split("Left out")[1]


def test_canvas_export_selection_section_and_headers(course, tmp_path):
    plugin = lms.CanvasExport(to=str(tmp_path / "reports" / "canvas.csv"), roster=str(tmp_path / "none.csv"),
                              assignment=["02_forward"], student=["bob", "dave"], section="Lecture",
                              assignment_ids={"02_forward": "555"})
    rows = run_export(plugin, course)
    assert rows == [[*lms.CANVAS_COLUMNS, "02_forward (555)"], ["    Points Possible", "", "", "", "", "4"],
                    ["Jones, Bob", "", "", "", "Lecture", "3.25"], ["Late, Dave", "", "", "", "Lecture", "0.3"]]
    plugin = lms.CanvasExport(to=str(tmp_path / "bad.csv"), assignment_ids={"02_forward": "02-forward"})
    with pytest.raises(ValueError, match="must be a number"):
        run_export(plugin, course)


def test_moodle_export_identifiers_and_grade_items(course, tmp_path):
    roster = str(course / "roster.csv")
    rows = run_export(lms.MoodleExport(to=str(tmp_path / "m.csv"), roster=roster, identifier="idnumber",
                                       grade_items={"01_notation": "Notation quiz"}), course)
    assert rows == [["ID number", "Notation quiz", "02_forward"], ["B-2", "1", "3.25"], ["A-1", "3.5", "2.67"]]
    rows = run_export(lms.MoodleExport(to=str(tmp_path / "m.csv"), roster=roster, identifier="username"), course)
    assert [row[0] for row in rows] == ["Username", "carol", "bob", "dave", "alice"]  # gradebook order: last name


def test_an_export_refuses_while_written_answers_await_a_grader(course, tmp_path):
    """An LMS takes an export's total as the grade: while an answer awaits a grader, the export
    names how many and whose and writes nothing, unless allow_pending, which exports it as 0 and warns."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.add_assignment("03_written", duedate=datetime.datetime(2025, 1, 3))
        gb.add_notebook("03_written", "03_written")
        gb.add_grade_cell("answer_why", "03_written", "03_written", max_score=2.0, cell_type="markdown")
        for student in ("alice", "bob"):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", r"Object of type <Submitted\w+> not in session")
                gb.add_submission("03_written", student)
        gb.find_grade("answer_why", "03_written", "03_written", "bob").manual_score = 1.5  # graded by hand
        gb.db.commit()
    waiting = "1 answer of 1 student awaits a grader (formgrader, Manual Grading): alice (03_written 1)"

    log = nbgrader_export(course, "--exporter=autograder.lms.CanvasExport", refused=True)
    assert [line for line in log.splitlines() if "answer" in line or "Traceback" in line] == [
        f"error: not exported, nothing written: {waiting}. Grade them and export again, "
        "or export them as 0 with --CanvasExport.allow_pending=True"] == log.splitlines()[-1:]
    assert not (course / "out.csv").exists()

    canvas, log = nbgrader_export(course, "--exporter=autograder.lms.CanvasExport", "--CanvasExport.allow_pending=True")
    assert f"Exported as 0: {waiting}" in log
    column = canvas[0].index("03_written")
    assert {row[1]: row[column] for row in canvas[2:] if row[1]} == {"4711": "0", "4712": "1.5", "4713": "0"}

    moodle = tmp_path / "moodle.csv"
    with pytest.raises(SystemExit, match="alice"):
        run_export(lms.MoodleExport(to=str(moodle), roster=str(course / "roster.csv")), course)
    assert not moodle.exists()
    rows = run_export(lms.MoodleExport(to=str(moodle), roster=str(course / "roster.csv"), student=["bob"]), course)
    assert dict(zip(*rows)) == {"Email address": "bob@gb.example", "01_notation": "1", "02_forward": "3.25",
                                "03_written": "1.5"}  # bob's answer is graded: nothing waits


@pytest.mark.parametrize("text, line, problem", [
    ("name,email\nAlice,a@x\n", 1, "student_id column"),
    ("student_id,name,phone\nalice,A,1\n", 1, "unknown column 'phone'"),
    ("student_id,name\nalice,A\nbob,B\nalice,C\n", 4, "listed twice"),
    ("student_id,name\n,Nobody\n", 2, "no student_id"),
    ("student_id,canvas_user_id\nalice,4711\nbob,abc\n", 3, "canvas_user_id must be a number"),
    ("student_id,moodle_participant_id\nalice,7\n\nbob,7\n", 4, "also 'alice'"),
    ('student_id,name\nalice,"two\nlines"\nbob,B,extra\n', 4, "3 values for 2 columns"),
])
def test_a_bad_roster_names_file_and_line(tmp_path, text, line, problem):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        lms.load_roster(path)
    assert f"{path}, line {line}: " in str(error.value) and problem in str(error.value)


def test_roster_missing_unreadable_and_good(tmp_path):
    assert lms.load_roster(tmp_path / "absent.csv") == {}
    (tmp_path / "latin1.csv").write_bytes("student_id,name\nzoë,Zoë\n".encode("latin-1"))
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'latin1.csv'}: cannot be read")):
        lms.load_roster(tmp_path / "latin1.csv")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8-sig")  # a spreadsheet's byte-order mark
    roster = lms.load_roster(tmp_path / "roster.csv")
    assert list(roster) == ["alice", "bob", "carol"]
    assert roster["alice"]["moodle_participant_id"] == "118" and roster["bob"]["email"] == ""


def test_numbers_and_cells():
    assert [lms.format_score(x) for x in (10.0, 7.5, 2 / 3, 0.1 + 0.2, 0, 3.335)] == ["10", "7.5", "0.67", "0.3", "0",
                                                                                     "3.33"]
    assert lms.safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and lms.safe_cell("Alice") == "Alice"
    assert lms.safe_component("../x\x00/y_z", keep_underscore=False) == "x y-z"
    assert lms.safe_component("..") == "unnamed"


def feedback_course(tmp_path, roster=ROSTER):
    """A course root with hand-written feedback for 02_forward, one symbolic link and one extra file."""
    root = tmp_path / "fbcourse"
    (root / "source" / "02_forward").mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    for student in ("alice", "bob", "carol", "dave"):
        folder = root / "feedback" / student / "02_forward"
        folder.mkdir(parents=True)
        (folder / "02_forward.html").write_text(f"<p>feedback for {student}</p>", encoding="utf-8")
    (root / "feedback" / "alice" / "02_forward" / "scores.csv").write_text("not feedback")
    (tmp_path / "secret.html").write_text("<p>the instructor's notes</p>")
    link = root / "feedback" / "dave" / "02_forward" / "02_forward.html"
    link.unlink()
    link.symlink_to(tmp_path / "secret.html")
    (root / "feedback" / "mallory").symlink_to(root / "feedback" / "alice")
    (root / "roster.csv").write_text(roster, encoding="utf-8")
    return root


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_feedback_zip_layouts(tmp_path):
    root = feedback_course(tmp_path)
    roster = lms.load_roster(root / "roster.csv")
    path, packed, skipped = lms.write_feedback_zip(root, tmp_path / "plain.zip", "02_forward", "plain", roster)
    assert members(path) == {f"{s}/02_forward.html": f"<p>feedback for {s}</p>" for s in ("alice", "bob", "carol")}
    assert packed == ["alice", "bob", "carol"]
    assert dict(skipped) == {"dave": "no .html feedback in feedback/dave/02_forward",
                             "mallory": "the feedback folder is a symbolic link (not followed)"}

    path, packed, skipped = lms.write_feedback_zip(root, tmp_path / "moodle.zip", "02_forward", "moodle", roster)
    assert set(members(path)) == {"Alice Smith_118_assignsubmission_file_/02_forward.html",
                                  "Anne-Marie Carol_120_assignsubmission_file_/02_forward.html"}
    for name in members(path):  # as Moodle's importer reads a path: name_participant_plugintype_plugin_rest
        info = name.split("/")[0].split("_", 4)
        assert info[1].isdigit() and info[2:4] == ["assignsubmission", "file"]
    assert dict(skipped)["bob"] == "no moodle_participant_id in the roster"

    download = tmp_path / "canvas_download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for name in ("smithalice_4711_90001_02_forward.ipynb", "smithalice_4711_90002_notes.txt",
                     "jonesbob_LATE_4712_90003_02_forward.ipynb"):
            archive.writestr(name, "{}")
    path, packed, skipped = lms.write_feedback_zip(root, tmp_path / "canvas.zip", "02_forward", "canvas", roster,
                                                   canvas_download=download)
    names = set(members(path))
    assert names == {"smithalice_4711_90001_02-forward-feedback.html",
                     "jonesbob_LATE_4712_90003_02-forward-feedback.html"}
    # Canvas's re-upload reads the first two all-digit parts as user id and submitted file id.
    assert {tuple(p for p in n.split("_") if p.isdigit())[:2] for n in names} == {("4711", "90001"), ("4712", "90003")}
    assert "no file of Canvas user 4713" in dict(skipped)["carol"]
    with pytest.raises(lms.FeedbackError, match="Download Submissions"):
        lms.write_feedback_zip(root, tmp_path / "c.zip", "02_forward", "canvas", roster)


def test_feedback_cli(tmp_path):
    root = feedback_course(tmp_path)
    done = subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(root), "feedback", "02_forward",
                           "--zip", "--layout", "moodle"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    path = root / "reports" / "feedback-02_forward-moodle.zip"
    assert f"wrote {path}: feedback of 2 students" in done.stdout
    assert "skipped bob: no moodle_participant_id in the roster" in done.stdout
    assert "skipped dave: no .html feedback" in done.stdout
    assert len(members(path)) == 2


def test_feedback_cli_refuses_with_a_reason(tmp_path, monkeypatch, capsys):
    from autograder.__main__ import main

    monkeypatch.setenv("PATH", os.environ["PATH"])  # main() sets PATH; restored after the test
    root = feedback_course(tmp_path)

    def refused(*args):
        assert main(["--course-root", str(root), "feedback", *args]) == 2
        return capsys.readouterr().err

    assert "unknown assignment 03_backprop" in refused("03_backprop")
    (root / "source" / "04_training").mkdir()
    assert "no feedback for 04_training" in refused("04_training")
    (root / "roster.csv").write_text("student_id,name\nalice,A\nalice,B\n")
    assert f"{root / 'roster.csv'}, line 3: student 'alice' is listed twice" in refused("02_forward")
    shutil.rmtree(root / "feedback")
    assert "no feedback folder" in refused("02_forward", "--roster", "absent.csv")
    assert not (root / "reports").exists()


def test_a_feedback_zip_with_nobody_in_it_is_an_error_not_an_empty_upload(tmp_path, monkeypatch, capsys):
    from autograder.__main__ import main

    monkeypatch.setenv("PATH", os.environ["PATH"])
    root = feedback_course(tmp_path)
    (root / "roster.csv").unlink()  # Moodle's layout needs each student's participant id from it
    assert main(["--course-root", str(root), "feedback", "02_forward", "--layout", "moodle"]) == 2
    error = capsys.readouterr().err
    assert "no feedback of 02_forward could be packed, so no zip was written" in error
    assert "alice: no moodle_participant_id in the roster" in error and "roster.csv" in error
    assert not (root / "reports" / "feedback-02_forward-moodle.zip").exists()
