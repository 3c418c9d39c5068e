"""autograder.collect puts submissions where nbgrader grades them and names what is wrong with each.

Every test builds its own tiny course (two assignments of a few nbgrader cells) under tmp_path,
so nothing here depends on the real course notebooks.
"""

import json

import nbformat
import pytest

import autograder.collect.lms_zip as zip_reader
from autograder import collect
from autograder.collect import CollectError, Submission, collect_directory, expected_cells
from autograder.collect.lms_zip import collect_zip
from tests.support.tiny_course import ANSWERS, collect_one, make_zip, one, put, student_notebook, tree, zip_bytes

# --- expected_cells ---------------------------------------------------------------------------


def test_expected_cells_describes_the_source_notebook(course):
    root, _ = course
    cells = expected_cells(root / "source" / "02_forward" / "02_forward.ipynb")
    assert cells["assignment"] == "02_forward"
    assert cells["grade_ids"] == ["markdown_00", "code_01", "relu", "test_relu"]
    assert cells["tests"] == ["test_relu"] and cells["solutions"] == ["relu"]
    assert cells["points"] == {"test_relu": 1}
    assert set(cells["locked"]) == {"markdown_00", "code_01", "test_relu"}
    assert cells["locked"]["test_relu"] == "assert relu(-1) == 0"  # hidden tests are not released
    json.dumps(cells)  # plain data: it can be cached or logged


# --- a submitted/ directory -------------------------------------------------------------------


def test_good_directory_collects_quietly(course):
    root, assignments = course
    put(root / "submitted" / "alice" / "02_forward", {"02_forward.ipynb": student_notebook("02_forward"),
                                                    "timestamp.txt": "2024-01-01 10:00:00"})
    put(root / "submitted" / "bob" / "03_backprop", {"03_backprop.ipynb": student_notebook("03_backprop")})
    results = collect_directory(root / "submitted", assignments)
    assert results == [
        Submission("alice", "02_forward", root / "submitted/alice/02_forward/02_forward.ipynb", [], None),
        Submission("bob", "03_backprop", root / "submitted/bob/03_backprop/03_backprop.ipynb", [], None),
    ]


def test_invalid_json_is_a_failure_naming_file_and_error(course):
    sub = collect_one(course, {"02_forward.ipynb": '{\n "cells": []\n "metadata": {}\n}'})
    assert sub.notebook is None
    assert sub.failure == "02_forward.ipynb is not valid notebook JSON: Expecting ',' delimiter (line 3)"


def test_json_that_is_not_a_notebook_fails(course):
    assert collect_one(course, {"02_forward.ipynb": '{"name": "x"}'}).failure == (
        "02_forward.ipynb is not a notebook: it has no 'cells' list")
    assert "not UTF-8" in collect_one(course, {"02_forward.ipynb": b"\xff\xfe\x00"}, student="bob").failure


def test_missing_notebook_lists_what_was_found(course):
    sub = collect_one(course, {"notes.txt": "hi"})
    assert sub.failure == "no notebook: expected 02_forward.ipynb (found: notes.txt)"


def test_single_misnamed_notebook_is_renamed(course):
    root, _ = course
    sub = collect_one(course, {"my_work.ipynb": student_notebook("02_forward")})
    folder = root / "submitted/alice/02_forward"
    assert sub.failure is None and sub.notebook == folder / "02_forward.ipynb"
    assert sub.notes == ["renamed my_work.ipynb to 02_forward.ipynb"]
    assert sorted(p.name for p in folder.iterdir()) == ["02_forward.ipynb"]
    again = one(collect_directory(root / "submitted", course[1]), "alice")
    assert again.notes == [] and again.notebook == sub.notebook  # a second pass has nothing to do


def test_several_candidates_pick_the_best_match(course):
    empty = nbformat.writes(nbformat.v4.new_notebook()).encode()
    sub = collect_one(course, {"Untitled.ipynb": empty, "my_work.ipynb": student_notebook("02_forward"),
                               "broken.ipynb": "{"})
    assert sub.failure is None
    assert sub.notes == ["renamed my_work.ipynb to 02_forward.ipynb",
                         "ignored extra notebook Untitled.ipynb", "ignored extra notebook broken.ipynb"]
    assert nbformat.read(sub.notebook, as_version=4).cells[2].source == ANSWERS["relu"]


def test_exact_name_wins_over_other_notebooks(course):
    sub = collect_one(course, {"02_forward.ipynb": student_notebook("02_forward"),
                               "02_forward-Copy1.ipynb": student_notebook("02_forward")})
    assert sub.failure is None and sub.notes == ["ignored extra notebook 02_forward-Copy1.ipynb"]


def test_extra_files_are_noted_as_ignored(course):
    sub = collect_one(course, {"02_forward.ipynb": student_notebook("02_forward"), "data.csv": "1,2",
                               ".ipynb_checkpoints/02_forward-checkpoint.ipynb": "{}"})
    assert sub.failure is None and sub.notes == ["ignored extra file data.csv"]


def sparse(path, size):
    """A file of `size` bytes that takes no disk space."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)


def test_oversized_files_are_never_read(course):
    root, assignments = course
    folder = root / "submitted" / "alice" / "02_forward"
    put(folder, {"02_forward.ipynb": student_notebook("02_forward")})
    sparse(folder / "weights.npy", collect.MAX_FILE_BYTES + 1)
    sub = one(collect_directory(root / "submitted", assignments), "alice")
    assert sub.failure is None
    assert sub.notes == [f"ignored extra file weights.npy, which is larger than {collect.MAX_FILE_BYTES // 2**20} MB"]
    sparse(folder / "02_forward.ipynb", 4 * 2**30)  # 4 GB of notebook: refused, and not read
    sub = one(collect_directory(root / "submitted", assignments), "alice")
    assert sub.failure == f"02_forward.ipynb is larger than {collect.MAX_FILE_BYTES // 2**20} MB"


def test_a_grading_job_leaves_oversized_files_behind(tmp_path):
    from autograder.grading import job

    put(tmp_path, {"02_forward.ipynb": "{}", "notes.txt": "kept"})
    sparse(tmp_path / "data" / "huge.bin", 3 * 2**30)
    files, left_out = job.read_submission(tmp_path)
    assert dict(files) == {"02_forward.ipynb": b"{}", "notes.txt": b"kept"}
    assert len(left_out) == 1 and "data/huge.bin, 3072 MB" in left_out[0]
    files, left_out = job.read_submission(tmp_path, max_file_bytes=10, max_total_bytes=5)  # past the total
    assert dict(files) == {"02_forward.ipynb": b"{}"} and len(left_out) == 2


def test_notebook_of_another_assignment_fails(course):
    sub = collect_one(course, {"02_forward.ipynb": student_notebook("03_backprop")})
    assert sub.failure == "this notebook belongs to 03_backprop, not 02_forward (02_forward.ipynb)"
    stranger = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])).encode()
    assert "none of 02_forward's nbgrader cells" in collect_one(
        course, {"02_forward.ipynb": stranger}, student="bob").failure
    misnamed = collect_one(course, {"mine.ipynb": student_notebook("03_backprop")}, student="carol")
    assert misnamed.failure.endswith("(mine.ipynb)") and misnamed.notes == []  # and not renamed
    assert (course[0] / "submitted/carol/02_forward/mine.ipynb").is_file()


def test_deleted_cells_are_notes(course):
    sub = collect_one(course, {"02_forward.ipynb": student_notebook("02_forward", drop=("test_relu", "code_01"))})
    assert sub.failure is None
    assert sub.notes == ["locked cell code_01 was deleted; nbgrader does not restore it",
                         "test cell test_relu was deleted; nbgrader restores it"]


def test_edited_locked_cells_are_notes_but_whitespace_is_not_an_edit(course):
    edits = {"code_01": "import math\nimport numpy  # mine", "test_relu": "assert True",
             "markdown_00": "\n# Forward pass   \n\n"}
    sub = collect_one(course, {"02_forward.ipynb": student_notebook("02_forward", edit=edits)})
    assert sub.failure is None
    assert sub.notes == ["locked cell code_01 was edited; nbgrader restores it",
                         "locked cell test_relu was edited; nbgrader restores it"]


def test_schema_problems_and_symlinks_on_disk_are_notes(course, tmp_path):
    nb = json.loads(student_notebook("02_forward"))
    del nb["cells"][1]["outputs"]  # still gradable, but not valid nbformat
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    root, assignments = course
    folder = root / "submitted/alice/02_forward"
    put(folder, {"02_forward.ipynb": json.dumps(nb)})
    (folder / "link.txt").symlink_to(outside)
    sub = one(collect_directory(root / "submitted", assignments), "alice")
    assert sub.failure is None
    assert sub.notes[0] == "ignored extra file link.txt, which is a symlink (not followed)"
    assert sub.notes[1].startswith("02_forward.ipynb does not match the notebook schema (")


def test_duplicated_grade_id_is_noted(course):
    nb = nbformat.reads(student_notebook("02_forward"), as_version=4)
    nb.cells.append(nbformat.from_dict({**json.loads(json.dumps(nb.cells[3])), "id": "copy"}))
    sub = collect_one(course, {"02_forward.ipynb": nbformat.writes(nb)})
    assert sub.notes == ["grade_id test_relu appears 2 times; nbgrader keeps only the last"]


def test_unsafe_student_id_fails_and_others_go_on(course):
    root, assignments = course
    put(root / "submitted" / "bad name!" / "02_forward", {"02_forward.ipynb": student_notebook("02_forward")})
    put(root / "submitted" / "alice@uni.edu" / "02_forward", {"02_forward.ipynb": student_notebook("02_forward")})
    results = collect_directory(root / "submitted", assignments)
    bad = one(results, "bad name!")
    assert bad.failure.startswith("unsafe student id 'bad name!'") and bad.notebook is None
    assert one(results, "alice@uni.edu").failure is None


def test_unknown_assignment_and_empty_student_folder(course):
    root, assignments = course
    put(root / "submitted" / "alice" / "hw9", {"hw9.ipynb": "{}"})
    (root / "submitted" / "bob").mkdir()
    put(root / "submitted" / "carol", {"02_forward.ipynb": student_notebook("02_forward")})
    results = collect_directory(root / "submitted", assignments)
    assert one(results, "alice").failure == "unknown assignment 'hw9' (expected one of 02_forward, 03_backprop)"
    assert one(results, "bob") == Submission("bob", "", None, [], "no assignment folders")
    assert one(results, "carol").failure == "no assignment folders (found: 02_forward.ipynb)"
    with pytest.raises(CollectError, match="nowhere"):
        collect_directory(root / "nowhere", assignments)


# --- an LMS zip -------------------------------------------------------------------------------


def test_zip_with_the_default_name_pattern(course, tmp_path):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {
        "alice_02_forward.ipynb": student_notebook("02_forward"),
        "bob_02_forward.ipynb": student_notebook("02_forward", drop=("test_relu",)),
        "bob_homework3.ipynb": student_notebook("03_backprop"),  # misnamed: its cells tell
        "bob_data.csv": "1,2",
    })
    results = collect_zip(download, root, assignments)
    submitted = root / "submitted"
    assert results == [
        Submission("alice", "02_forward", submitted / "alice/02_forward/02_forward.ipynb", [], None),
        Submission("bob", "02_forward", submitted / "bob/02_forward/02_forward.ipynb",
                   ["test cell test_relu was deleted; nbgrader restores it", "ignored extra file bob_data.csv"], None),
        Submission("bob", "03_backprop", submitted / "bob/03_backprop/03_backprop.ipynb",
                   ["renamed bob_homework3.ipynb to 03_backprop.ipynb"], None),
    ]
    assert (submitted / "alice/02_forward/02_forward.ipynb").read_bytes() == student_notebook("02_forward")
    assert sorted(tree(submitted)) == ["alice/02_forward/02_forward.ipynb", "bob/02_forward/02_forward.ipynb",
                                       "bob/03_backprop/03_backprop.ipynb"]


def test_zip_with_student_folders(course, tmp_path):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {
        "alice/02_forward/02_forward.ipynb": student_notebook("02_forward"),
        "alice/02_forward/notes.txt": "hi",
        "bob/my_work.ipynb": student_notebook("03_backprop"),
        "carol/02_forward/02_forward/02_forward.ipynb": student_notebook("02_forward"),  # unzipped twice
        "__MACOSX/alice/._02_forward.ipynb": "junk",
        "02_forward/dave_02_forward.ipynb": student_notebook("02_forward"),  # the LMS's assignment folder
        "02_forward/erin/answers.ipynb": student_notebook("02_forward"),
    })
    results = collect_zip(download, root, assignments)
    assert one(results, "alice").notes == ["ignored extra file alice/02_forward/notes.txt"]
    assert one(results, "bob").assignment == "03_backprop"
    assert one(results, "bob").notes == ["renamed bob/my_work.ipynb to 03_backprop.ipynb"]
    assert one(results, "carol").notes == []  # the innermost assignment folder counts
    assert one(results, "dave").notes == []
    assert one(results, "erin").notes == ["renamed 02_forward/erin/answers.ipynb to 02_forward.ipynb"]
    assert all(s.failure is None and s.notebook.is_file() for s in results)


def test_bad_submissions_in_a_zip_do_not_stop_the_others(course, tmp_path):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {
        "alice_02_forward.ipynb": "{not json",
        "bob_02_forward.ipynb": student_notebook("03_backprop"),
        "carol_02_forward.ipynb": student_notebook("02_forward"),
        "dave_notes.txt": "no notebook here",
        "b$d_02_forward.ipynb": student_notebook("02_forward"),
        "nobody.ipynb": student_notebook("02_forward"),
        "erin_scratch.ipynb": nbformat.writes(nbformat.v4.new_notebook()),
        "erin_homework.ipynb": "[]",
    })
    results = collect_zip(download, root, assignments)
    assert one(results, "alice").failure.startswith("alice_02_forward.ipynb is not valid notebook JSON: ")
    assert one(results, "bob").failure.startswith("this notebook belongs to 03_backprop, not 02_forward")
    assert one(results, "carol").failure is None
    assert one(results, "dave").failure == "no notebooks"
    assert one(results, "b$d").failure.startswith("unsafe student id 'b$d'")
    assert "cannot tell whose file 'nobody.ipynb' is" in one(results, "").failure
    assert sorted(s.failure for s in results if s.student == "erin") == [
        "cannot tell which assignment erin_scratch.ipynb is for: its name is none of 02_forward.ipynb, "
        "03_backprop.ipynb and its cells match no assignment",
        "erin_homework.ipynb is not a notebook: its JSON is a list, not an object"]
    assert sorted(p.name for p in (root / "submitted").iterdir()) == ["carol"]


def test_nested_zip_one_level_is_extracted(course, tmp_path):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {
        "alice_02_forward.zip": zip_bytes({"02_forward/02_forward.ipynb": student_notebook("02_forward")}),
        "bob_everything.zip": zip_bytes({"work/03_backprop.ipynb": student_notebook("03_backprop"),
                                         "work/scratch.ipynb": student_notebook("02_forward")}),
        "carol/submission.zip": zip_bytes({"02_forward.ipynb": student_notebook("02_forward")}),
    })
    results = collect_zip(download, root, assignments)
    assert [(s.student, s.assignment, s.failure) for s in results] == [
        ("alice", "02_forward", None), ("bob", "02_forward", None), ("bob", "03_backprop", None),
        ("carol", "02_forward", None)]
    assert one(results, "bob", "02_forward").notes == [
        "renamed bob_everything.zip/work/scratch.ipynb to 02_forward.ipynb"]
    assert (root / "submitted/alice/02_forward/02_forward.ipynb").read_bytes() == student_notebook("02_forward")


def test_deeper_nesting_fails_for_that_member(course, tmp_path):
    root, assignments = course
    inner = zip_bytes({"02_forward.ipynb": student_notebook("02_forward")})
    download = make_zip(tmp_path / "class.zip", {
        "alice_work.zip": zip_bytes({"inner.zip": inner}),
        "bob_02_forward.ipynb": student_notebook("02_forward"),
    })
    results = collect_zip(download, root, assignments)
    assert one(results, "alice").failure == (
        "alice_work.zip/inner.zip is a zip inside a zip inside the download; only one level is extracted")
    assert one(results, "bob").failure is None
    assert not (root / "submitted" / "alice").exists()


def test_zip_slip_is_rejected_without_writing_outside(course, tmp_path):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {
        "../evil.ipynb": student_notebook("02_forward"),
        "alice/../../evil.ipynb": student_notebook("02_forward"),
        "/tmp/evil.ipynb": student_notebook("02_forward"),
        "bob_work.zip": zip_bytes({"../../evil.ipynb": student_notebook("02_forward")}),
        "carol_02_forward.ipynb": student_notebook("02_forward"),
    })
    results = collect_zip(download, root, assignments)
    rejected = [s.failure for s in results if s.failure and "rejected unsafe path" in s.failure]
    assert len(rejected) == 4 and any("bob_work.zip/../../evil.ipynb" in f for f in rejected)
    assert one(results, "carol").failure is None
    assert not list(tmp_path.rglob("evil.ipynb"))
    assert sorted(tree(root / "submitted")) == ["carol/02_forward/02_forward.ipynb"]


def test_symlink_members_are_never_extracted(course, tmp_path):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {
        "alice/02_forward/02_forward.ipynb": student_notebook("02_forward"),
        "alice/02_forward/link.ipynb": "/etc/passwd",
        "bob/02_forward/02_forward.ipynb": "/etc/passwd",
    }, symlinks={"alice/02_forward/link.ipynb", "bob/02_forward/02_forward.ipynb"})
    results = collect_zip(download, root, assignments)
    assert one(results, "alice").notes == [
        "ignored extra notebook alice/02_forward/link.ipynb, which is a symlink (not extracted)"]
    assert one(results, "bob").failure == "bob/02_forward/02_forward.ipynb is a symlink (not extracted)"
    assert sorted(tree(root / "submitted")) == ["alice/02_forward/02_forward.ipynb"]
    assert not any(p.is_symlink() for p in (root / "submitted").rglob("*"))


def test_empty_corrupt_and_notebookless_zips_raise(course, tmp_path):
    root, assignments = course
    empty = make_zip(tmp_path / "empty.zip", {})
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    no_notebooks = make_zip(tmp_path / "readme_only.zip", {"alice_readme.txt": "hi", "__MACOSX/._a_b.ipynb": ""})
    with pytest.raises(CollectError, match="empty.zip is empty"):
        collect_zip(empty, root, assignments)
    with pytest.raises(CollectError, match="corrupt.zip is not a readable zip"):
        collect_zip(corrupt, root, assignments)
    with pytest.raises(CollectError, match="readme_only.zip contains no notebooks"):
        collect_zip(no_notebooks, root, assignments)
    with pytest.raises(CollectError, match="missing.zip"):
        collect_zip(tmp_path / "missing.zip", root, assignments)
    assert issubclass(CollectError, ValueError)
    assert not (root / "submitted").exists()


def test_size_and_member_limits(course, tmp_path, monkeypatch):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {"alice_02_forward.ipynb": student_notebook("02_forward"),
                                                 "bob_02_forward.ipynb": "{}"})
    monkeypatch.setattr(zip_reader, "MAX_FILE_BYTES", 100)
    results = collect_zip(download, root, assignments)
    assert one(results, "alice").failure.startswith("alice_02_forward.ipynb is larger than")
    monkeypatch.setattr(zip_reader, "MAX_FILE_BYTES", 10**6)
    monkeypatch.setattr(zip_reader, "MAX_TOTAL_BYTES", 100)
    with pytest.raises(CollectError, match="class.zip expands to more than"):
        collect_zip(download, root, assignments)
    monkeypatch.setattr(zip_reader, "MAX_TOTAL_BYTES", 10**6)
    monkeypatch.setattr(zip_reader, "MAX_MEMBERS", 1)
    with pytest.raises(CollectError, match="class.zip has more than 1 files"):
        collect_zip(download, root, assignments)


def test_rerunning_a_zip_is_idempotent_and_replaces_earlier_copies(course, tmp_path):
    root, assignments = course
    download = make_zip(tmp_path / "class.zip", {
        "alice_my_work.ipynb": student_notebook("02_forward"),
        "bob_02_forward.zip": zip_bytes({"02_forward.ipynb": student_notebook("02_forward"), "x.csv": "1"}),
        "carol_02_forward.ipynb": "{broken",
    })
    put(root / "submitted/alice/02_forward", {"old_attempt.ipynb": "{}", "02_forward.ipynb": "{}"})
    first = collect_zip(download, root, assignments)
    files = tree(root / "submitted")
    second = collect_zip(download, root, assignments)
    assert first == second and tree(root / "submitted") == files
    assert sorted(files) == ["alice/02_forward/02_forward.ipynb", "bob/02_forward/02_forward.ipynb"]
    assert files["alice/02_forward/02_forward.ipynb"] == student_notebook("02_forward")


def test_failed_submission_keeps_and_mentions_an_earlier_copy(course, tmp_path):
    root, assignments = course
    put(root / "submitted/alice/02_forward", {"02_forward.ipynb": student_notebook("02_forward")})
    download = make_zip(tmp_path / "late.zip", {"alice_02_forward.ipynb": "{broken"})
    sub = one(collect_zip(download, root, assignments), "alice")
    assert sub.failure and sub.notes == [f"an earlier copy in {root / 'submitted/alice/02_forward'} was left in place"]


def test_custom_named_regexp_from_nbgrader_config(course, tmp_path):
    root, assignments = course
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.FileNameCollectorPlugin.named_regexp = r'^hw-(?P<file_id>[^-]+)-(?P<student_id>\\w+)\\.ipynb$'\n")
    download = make_zip(tmp_path / "class.zip", {"hw-02_forward-alice_smith.ipynb": student_notebook("02_forward")})
    sub = one(collect_zip(download, root, assignments), "alice_smith")  # an underscore the default forbids
    assert sub.failure is None and sub.notes == []
    assert sub.notebook == root / "submitted/alice_smith/02_forward/02_forward.ipynb"
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.FileNameCollectorPlugin.named_regexp = r'(?P<id>.+)'\n")
    with pytest.raises(CollectError, match="lacks the group"):
        collect_zip(download, root, assignments)
