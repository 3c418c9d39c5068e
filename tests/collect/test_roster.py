"""autograder.collect.roster: with a roster.csv, who an LMS zip names is checked before anything is written,
a Canvas download's user ids find the roster's student ids, and grading warns of students the roster
lacks (that warning is checked on the grading run of test_grader_term's course)."""

import re

import pytest

from autograder.collect import CollectError, Submission, roster
from autograder.collect.lms_zip import collect_zip
from tests.support.notebook import ROOT, make_course_root, run_grader
from tests.support.tiny_course import make_zip, put, student_notebook, tree

ROSTER = "student_id,name,canvas_user_id\nalice,Alice Smith,4711\nbob,Bob Jones,4712\n"
# Canvas's "Download Submissions": lastfirst_[LATE_]<user id>_<submission id>_<file>, "-1" for a resubmission.
CANVAS_FILES = {
    "smithalice_4711_99001_02_forward.ipynb": student_notebook("02_forward"),
    "jonesbob_LATE_4712_99002_02_forward-1.ipynb": student_notebook("02_forward"),
    "jonesbob_LATE_4712_99003_03_backprop.ipynb": student_notebook("03_backprop"),
}


def readme_canvas_regexp():
    """The named_regexp the README's Canvas subsection tells the instructor to paste."""
    found = re.findall(r'^c\.FileNameCollectorPlugin\.named_regexp = r"(.*canvas_user_id.*)"$',
                       (ROOT / "README.md").read_text(), re.M)
    assert len(found) == 1, found
    return found[0]


def test_the_readme_canvas_regexp_reads_canvas_names():
    assert readme_canvas_regexp() == roster.CANVAS_NAMED_REGEXP
    regexp = re.compile(readme_canvas_regexp())
    groups = {name: regexp.match(name).group("student_id", "canvas_user_id", "file_id") for name in [
        "smithalice_4711_99001_02_forward.ipynb", "smithalice_LATE_4711_99001_02_forward.ipynb",
        "smithalice_4711_99001_02_forward-1.ipynb", "vanderberganna_12_3_my_work_v2.ipynb"]}
    assert groups == {
        "smithalice_4711_99001_02_forward.ipynb": ("smithalice", "4711", "02_forward.ipynb"),
        "smithalice_LATE_4711_99001_02_forward.ipynb": ("smithalice", "4711", "02_forward.ipynb"),
        "smithalice_4711_99001_02_forward-1.ipynb": ("smithalice", "4711", "02_forward-1.ipynb"),
        "vanderberganna_12_3_my_work_v2.ipynb": ("vanderberganna", "12", "my_work_v2.ipynb")}


def test_a_canvas_download_read_with_the_default_regexp_is_refused_and_nothing_is_written(course, tmp_path):
    root, assignments = course
    (root / "roster.csv").write_text(ROSTER)
    put(root / "submitted/alice/02_forward", {"02_forward.ipynb": student_notebook("02_forward")})
    before = tree(root / "submitted")
    download = make_zip(tmp_path / "canvas.zip", CANVAS_FILES)
    with pytest.raises(CollectError) as refused:
        collect_zip(download, root, assignments)
    assert str(refused.value) == (
        "canvas.zip: refused, nothing collected: roster.csv does not list 2 of the students it names:\n"
        "  jonesbob, from jonesbob_LATE_4712_99002_02_forward-1.ipynb\n"
        "  smithalice, from smithalice_4711_99001_02_forward.ipynb (did you mean 'alice'?)\n"
        "These are the file names of Canvas's \"Download Submissions\" (lastfirst_USERID_SUBMISSIONID_file), which "
        "named_regexp '^(?P<student_id>[^_/]+)_(?P<file_id>.+)$' reads as students named lastfirst. Set "
        f"c.FileNameCollectorPlugin.named_regexp = r\"{readme_canvas_regexp()}\" in nbgrader_config.py (README, "
        "\"4. Collect\", Canvas downloads) and give roster.csv each student's canvas_user_id.")
    assert tree(root / "submitted") == before
    (root / "roster.csv").unlink()  # without a roster, nothing is checked: the students are Canvas's name parts
    assert {s.student for s in collect_zip(download, root, assignments)} == {"jonesbob", "smithalice"}


def test_the_readme_canvas_regexp_makes_the_rosters_ids_the_students(course, tmp_path):
    root, assignments = course
    (root / "roster.csv").write_text(ROSTER)
    (root / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.FileNameCollectorPlugin.named_regexp = r"{readme_canvas_regexp()}"\n')
    results = collect_zip(make_zip(tmp_path / "canvas.zip", CANVAS_FILES), root, assignments)
    submitted = root / "submitted"
    assert results == [  # no submission time in Canvas's names: none is recorded
        Submission("alice", "02_forward", submitted / "alice/02_forward/02_forward.ipynb", [], None),
        Submission("bob", "02_forward", submitted / "bob/02_forward/02_forward.ipynb",
                   ["renamed jonesbob_LATE_4712_99002_02_forward-1.ipynb to 02_forward.ipynb"], None),
        Submission("bob", "03_backprop", submitted / "bob/03_backprop/03_backprop.ipynb", [], None),
    ]
    assert sorted(tree(submitted)) == ["alice/02_forward/02_forward.ipynb", "bob/02_forward/02_forward.ipynb",
                                       "bob/03_backprop/03_backprop.ipynb"]
    # A Canvas user the roster lacks is refused, saying which id it looked for.
    stranger = make_zip(tmp_path / "stranger.zip",
                        {"doecarol_4799_99004_02_forward.ipynb": student_notebook("02_forward")})
    with pytest.raises(CollectError, match=re.escape("  doecarol, from doecarol_4799_99004_02_forward.ipynb "
                                                     "(canvas_user_id 4799 is in no row)\nAdd them to roster.csv")):
        collect_zip(stranger, root, assignments)


def test_miscased_and_unknown_students_are_refused_with_the_likely_id(course, tmp_path):
    root, assignments = course
    (root / "lists").mkdir()
    (root / "lists/class.csv").write_text("student_id\nalice\nBob\n")
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.LmsExport.roster = "lists/class.csv"\n')
    download = make_zip(tmp_path / "class.zip", {
        "alice_02_forward.ipynb": student_notebook("02_forward"),
        "bob_02_forward.ipynb": student_notebook("02_forward"),
        "alcie/03_backprop/03_backprop.ipynb": student_notebook("03_backprop"),
        "zed_02_forward.ipynb": student_notebook("02_forward"),
    })
    with pytest.raises(CollectError) as refused:
        collect_zip(download, root, assignments)
    assert str(refused.value) == (
        "class.zip: refused, nothing collected: lists/class.csv does not list 3 of the students it names:\n"
        "  alcie, from alcie/03_backprop/03_backprop.ipynb (did you mean 'alice'?)\n"
        "  bob, from bob_02_forward.ipynb (did you mean 'Bob'? ids are case-sensitive)\n"
        "  zed, from zed_02_forward.ipynb\n"
        "Add them to lists/class.csv or correct the ids. named_regexp '^(?P<student_id>[^_/]+)_(?P<file_id>.+)$' "
        "reads the students from the file names (and <student>/ folders name them): if that is not how this LMS "
        "names its files, set c.FileNameCollectorPlugin.named_regexp in nbgrader_config.py (README, \"4. Collect\").")
    assert not (root / "submitted").exists()
    (root / "lists/class.csv").write_text("student_id\nalice\nalice\n")
    with pytest.raises(CollectError, match="class.csv, line 3: student 'alice' is listed twice"):
        collect_zip(download, root, assignments)


def test_students_the_roster_lacks_are_one_warning(tmp_path):
    (tmp_path / "roster.csv").write_text("student_id\nalice\nBob\n")
    assert roster.unlisted(tmp_path, {"alice", "bob", ""}, ["alice", "Bob", "carol"]) == [
        "warning: roster.csv does not list bob (submitted; did you mean 'Bob'? ids are case-sensitive), carol (in "
        "the gradebook): the LMS exports and feedback zips cannot find their LMS ids; add them to the roster or "
        "correct the ids"]
    assert roster.unlisted(tmp_path, {"alice"}, ["Bob"]) == []
    (tmp_path / "roster.csv").unlink()
    assert roster.unlisted(tmp_path, {"alice", "zed"}, []) == []


def test_grading_with_a_bad_roster_stops_before_grading(tmp_path):
    course = make_course_root(tmp_path, ["01_notation"])
    put(course / "submitted/alice/01_notation", {"01_notation.ipynb": (
        ROOT / "source/01_notation/01_notation.ipynb").read_bytes()})
    (course / "roster.csv").write_text("student_id,canvas_user_id\nalice,A1\n")
    result, _ = run_grader(course, "01_notation", "--unsafe")
    assert result.returncode == 2, result.stderr
    assert "error: " + str(course / "roster.csv") + ", line 2: canvas_user_id must be a number (found 'A1')" \
        in result.stderr
    assert not (course / "autograded").exists()
