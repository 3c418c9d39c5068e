"""The exchange's rules for files and receipts, without a hub: plain bytes only, bounded, under safe
names; a submission kept as received with a receipt only the store can sign; practice feedback beside
the official one, each shown to the student as the rules say; due dates kept with the release; and
the one-machine exchange's collect, which copies no link."""

import datetime
import json
import os
import shutil
import sys

import pytest

from course.exchange import files as plain
from course.exchange import receipt as receipts
from tests.support.notebook import ROOT, nbgrader

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
from exchange_store import NotFound, Quota, Store


def test_reading_a_folder_takes_plain_files_and_names_everything_else_it_refuses(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "answer.ipynb").write_text("{}")
    (folder / "data").mkdir()
    (folder / "data" / "x.csv").write_text("1,2")
    secret = tmp_path / "secret.txt"
    secret.write_text("the instructor's")
    (folder / "link.ipynb").symlink_to(secret)
    os.link(folder / "answer.ipynb", folder / "again.ipynb")
    os.mkfifo(folder / "pipe")
    with open(folder / "sparse.bin", "wb") as handle:
        handle.truncate(4 * 2**30)
    (folder / "timestamp.txt").write_text("2020-01-01 00:00:00")
    (folder / ".hidden").write_text("")
    found, refused = plain.read_folder(folder, plain.Limits(max_files=10, max_file_bytes=2**20, max_total_bytes=2**21))
    assert found == (("data/x.csv", b"1,2"),)
    reasons = dict(refused)
    assert reasons["link.ipynb"] == "is a symbolic link" and reasons["pipe"] == "is a FIFO"
    assert reasons["answer.ipynb"] == reasons["again.ipynb"] == "is a hard link (its content is another file's)"
    assert reasons["sparse.bin"].startswith("is 4294967296 bytes") and "not a file name" in reasons[".hidden"]
    assert "timestamp.txt" not in reasons  # nbgrader's, never the student's: left out silently


def test_a_file_swapped_for_a_link_between_the_look_and_the_read_is_refused(tmp_path):
    path, secret = tmp_path / "answer.ipynb", tmp_path / "secret"
    path.write_text("{}")
    secret.write_text("solutions")
    looked = os.lstat(path)
    path.rename(tmp_path / "kept")  # still there, so its inode is not reused below
    path.symlink_to(secret)
    with pytest.raises(plain.Refused, match="plain file"):
        plain._read_one(str(path), looked, plain.Limits())
    path.unlink()
    path.write_text("{}")  # another file under the same name: not what was looked at
    with pytest.raises(plain.Refused, match="changed while it was being read"):
        plain._read_one(str(path), looked, plain.Limits())


@pytest.mark.parametrize("name", ["../up.ipynb", "/etc/passwd", "a/../../b", "", ".git/config", "a\\b", "x\n"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(plain.Refused):
        plain.check_name(name)


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "store", plain.Limits(max_files=3, max_file_bytes=100, max_total_bytes=150))
    store.release("course", "01_notation", [("01_notation.ipynb", b"{}")])
    return store


def test_a_submission_is_kept_as_received_under_a_receipt_only_the_store_can_sign(store, tmp_path):
    forged_time = json.dumps({"received": "2020-01-01 00:00:00.000000 UTC"}).encode()
    receipt = store.submit("course", "01_notation", "alice", [("01_notation.ipynb", b"mine"), ("timestamp.txt", b"2020"),
                                                               ("receipt.json", forged_time)])
    assert receipt["files"] == {"01_notation.ipynb": receipts.sha256(b"mine")} and receipt["student_id"] == "alice"
    assert receipts.is_genuine(receipt, store.public_key)
    assert not receipts.is_genuine({**receipt, "received": "2020-01-01 00:00:00.000000 UTC"}, store.public_key)
    own_key = receipts.new_key()  # a student's own key signs nothing the exchange will vouch for
    assert not receipts.is_genuine(receipts.sign({**receipt, "received": "2020"}, own_key), store.public_key)
    again = store.submit("course", "01_notation", "alice", [("01_notation.ipynb", b"second")])
    assert [r["receipt_id"] for r in store.receipts("course", "01_notation")] == [receipt["receipt_id"], again["receipt_id"]]
    assert store.submission_files("course", "alice", "01_notation", receipt["receipt_id"]) == (("01_notation.ipynb", b"mine"),)
    assert oct(os.stat(store.root).st_mode & 0o777) == "0o700"
    assert oct(os.stat(os.path.join(store.root, "signing.key")).st_mode & 0o777) == "0o600"
    assert Store(store.root).public_key == store.public_key  # the key survives a restart


@pytest.mark.parametrize("files, reason", [
    ([("a.ipynb", b"x" * 101)], "more than the 100 a file may have"),
    ([("a", b"x" * 80), ("b", b"x" * 80)], "160 bytes in all"),
    ([("a", b""), ("b", b""), ("c", b""), ("d", b"")], "4 files"),
    ([("../a", b"")], "not a file name"),
    ([], "holds no file"),
])
def test_the_store_refuses_what_is_over_its_limits_or_badly_named(store, files, reason):
    with pytest.raises(plain.Refused, match=reason):
        store.submit("course", "01_notation", "alice", files)
    assert store.receipts("course") == []


def test_the_store_takes_no_submission_to_an_assignment_not_released_or_a_bad_name(store):
    with pytest.raises(plain.Refused, match="not released"):
        store.submit("course", "02_forward", "alice", [("a.ipynb", b"{}")])
    with pytest.raises(plain.Refused, match="not a valid student"):
        store.submit("course", "01_notation", "../bob", [("a.ipynb", b"{}")])


def test_the_one_machine_exchange_collects_no_link(tmp_path):
    """make lab's folder exchange: a link in a submission is left behind, with a warning naming it."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    secret = tmp_path / "solutions.ipynb"
    secret.write_text(json.dumps({"secret": "solution"}))
    inbound = course / "exchange" / "backprop-course" / "inbound" / "mallory+01_notation+2026-12-01 10:00:00.000000 UTC"
    inbound.mkdir(parents=True)
    (inbound / "01_notation.ipynb").symlink_to(secret)
    (inbound / "notes.txt").write_text("mine")
    (inbound / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (inbound / "receipt.json").write_text(json.dumps({"received": "2020-01-01 00:00:00.000000 UTC"}))
    result = nbgrader(course, "collect", "01_notation")
    collected = course / "submitted" / "mallory" / "01_notation"
    assert sorted(p.name for p in collected.iterdir()) == ["notes.txt", "timestamp.txt"]
    assert "01_notation.ipynb: is a symbolic link" in result.stdout + result.stderr


def test_the_kubernetes_exchange_runs_the_service_with_options_it_declares():
    import yaml
    from exchange_service import ExchangeService

    manifest = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "exchange.yaml").read_text()))
    (deployment,) = [d for d in manifest if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    script, *options = container["command"][1:]
    assert script.endswith("deploy/jupyterhub/exchange_service.py")
    assert "exchange_service.py" in (ROOT / "deploy" / "kubernetes" / "Dockerfile").read_text()
    declared = set(ExchangeService.class_trait_names(config=True)) | set(ExchangeService.aliases)
    for option in options:
        name = option.split("=", 1)[0].removeprefix("--").removeprefix("ExchangeService.")
        assert name in declared, option
    environment = {item["name"] for item in container["env"]}
    assert {"JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_SERVICE_PREFIX"} <= environment


def test_one_student_cannot_fill_the_store_the_class_submits_to(tmp_path):
    store = Store(tmp_path / "store", plain.Limits(max_file_bytes=100, max_total_bytes=100),
                  quota=Quota(submissions=3, total_bytes=250))
    store.release("course", "01_notation", [("01_notation.ipynb", b"{}")])
    for _ in range(2):
        store.submit("course", "01_notation", "mallory", [("a.ipynb", b"x" * 100)])
    with pytest.raises(plain.Refused, match="more than the 250 the exchange keeps for one student"):
        store.submit("course", "01_notation", "mallory", [("a.ipynb", b"x" * 100)])
    for _ in range(3):
        store.submit("course", "01_notation", "alice", [("a.ipynb", b"x")])
    with pytest.raises(plain.Refused, match="3 times, the most the exchange keeps"):
        store.submit("course", "01_notation", "alice", [("a.ipynb", b"x")])
    store.submit("course", "01_notation", "bob", [("a.ipynb", b"x" * 100)])  # classmates are not held back


def _inbound(course, student, stamp):
    folder = course / "exchange" / "backprop-course" / "inbound" / f"{student}+01_notation+{stamp}+x{len(stamp)}"
    folder.mkdir(parents=True)
    (folder / "01_notation.ipynb").write_text("{}")
    (folder / "timestamp.txt").write_text(stamp)


def test_grading_before_collecting_says_what_waits_in_the_exchange_and_how_to_collect_it(tmp_path):
    from autograder.collect import waiting
    from autograder.config import course_config
    from tests.support.notebook import make_course_root, run_grader

    course = make_course_root(tmp_path, ["01_notation"])
    _inbound(course, "alice", "2026-12-01 10:00:00.000000 UTC")
    _inbound(course, "bob", "2026-12-01 11:00:00.000000 UTC")
    result, _ = run_grader(course, "01_notation")
    assert result.returncode == 2, result.stderr
    assert ("nothing collected yet; 2 submissions wait in the exchange: collect them first with "
            "`nbgrader collect 01_notation`") in result.stderr
    assert not (course / "submitted").exists() and not (course / "gradebook.db").exists()

    nbgrader(course, "collect", "01_notation")
    config = course_config(course)
    assert waiting.waiting_submissions(config, course, ["01_notation"]) == ({}, None)
    _inbound(course, "alice", "2026-12-02 09:00:00.000000 UTC")  # resubmitted after the collect
    assert waiting.waiting_submissions(config, course, ["01_notation"]) == ({"01_notation": ["alice"]}, None)


# ---------------------------------------------------------------- practice feedback and due dates


def _submitted(store, student="alice"):
    """The store's address of a fresh submission of `student`'s: (course, student, assignment, receipt id)."""
    receipt = store.submit("course", "01_notation", student, [("01_notation.ipynb", b"mine")])
    return ("course", student, "01_notation", receipt["receipt_id"])


def test_practice_files_are_kept_for_the_receipt_they_answer_and_replaced_as_a_whole(store):
    which = _submitted(store)
    store.put_practice(*which, [("01_notation.html", b"<p>2/3</p>"), ("practice.json", b"{}")])
    store.put_practice(*which, [("01_notation.html", b"<p>3/3</p>")])
    assert store.practice(*which) == (("01_notation.html", b"<p>3/3</p>"),)
    (entry,) = store.receipts_with_feedback("course", staff=True)  # the grader's and the instructors' view
    assert entry["practice"] == {"01_notation.html": receipts.sha256(b"<p>3/3</p>")} and entry["feedback"] == {}
    folder = os.path.join(store.root, "course", "practice", "alice", "01_notation")
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
    assert oct(os.stat(os.path.join(folder, which[3], "01_notation.html")).st_mode & 0o777) == "0o600"
    for files, reason in (([("pages/a.html", b"")], "plain names"), ([("a.html", b"x" * 101)], "more than the 100"),
                          ([(".hidden.html", b"")], "not a file name"), ([("a", b"")] * 2, "same file name twice")):
        with pytest.raises(plain.Refused, match=reason):
            store.put_practice(*which, files)
    assert store.practice(*which) == (("01_notation.html", b"<p>3/3</p>"),)  # a refused put changed nothing


def test_a_student_is_shown_practice_pages_until_the_official_feedback_and_never_practice_json(store):
    which = _submitted(store)
    (entry,) = store.receipts_with_feedback("course", student="alice")
    assert (entry["feedback"], entry["practice"]) == ({}, False)
    store.put_practice(*which, [("practice.json", b'{"score": 1}')])  # no page yet: nothing to show
    assert store.feedback(*which) == () and store.receipts_with_feedback("course")[0]["practice"] is False
    page, report = b"<p>practice 2/3</p>", b'{"hidden": "assert forward(x) == 9"}'
    store.put_practice(*which, [("01_notation.html", page), ("practice.json", report), ("notes.txt", b"internal")])
    (entry,) = store.receipts_with_feedback("course", student="alice")
    assert entry["feedback"] == {"01_notation.html": receipts.sha256(page)} and entry["practice"] is True
    assert receipts.sha256(report) not in json.dumps(entry) and "practice.json" not in json.dumps(entry)
    assert store.feedback(*which) == (("01_notation.html", page),)

    official = b"<p>graded 3/3</p>"
    store.put_feedback(*which, [("01_notation.html", official)])
    (entry,) = store.receipts_with_feedback("course", student="alice")
    assert entry["feedback"] == {"01_notation.html": receipts.sha256(official)} and entry["practice"] is False
    assert store.feedback(*which) == (("01_notation.html", official),)
    assert dict(store.practice(*which)) == {"01_notation.html": page, "practice.json": report, "notes.txt": b"internal"}
    store.put_practice(*which, [("01_notation.html", b"<p>regraded</p>")])  # later practice: official stays shown
    assert store.feedback(*which) == store.official_feedback(*which) == (("01_notation.html", official),)
    (entry,) = store.receipts_with_feedback("course", staff=True)
    assert entry["feedback"] == {"01_notation.html": receipts.sha256(official)}
    assert entry["practice"] == {"01_notation.html": receipts.sha256(b"<p>regraded</p>")}


def test_practice_feedback_goes_only_to_an_existing_receipt_of_that_student(store):
    alice = _submitted(store)
    _submitted(store, "bob")
    for which in (("course", "alice", "01_notation", "20260101T000000.000000Z-00000000"),
                  ("course", "bob", "01_notation", alice[3]),  # alice's receipt under bob's name
                  ("course", "alice", "02_forward", alice[3])):
        with pytest.raises(NotFound):
            store.put_practice(*which, [("01_notation.html", b"")])
    for receipt_id in ("../../x", ".incoming-x"):
        with pytest.raises(plain.Refused, match="not a valid receipt"):
            store.put_practice("course", "alice", "01_notation", receipt_id, [("01_notation.html", b"")])
    assert not os.path.exists(os.path.join(store.root, "course", "practice"))


def test_the_due_date_travels_with_the_release_and_a_re_release_replaces_it(store):
    assert store.due("course") == {"01_notation": None}  # released with no date, as an older client does
    release = [("02_forward.ipynb", b"{}")]
    store.release("course", "02_forward", release, due="2026-12-08 17:00:00 UTC")
    assert store.due("course") == {"01_notation": None, "02_forward": "2026-12-08 17:00:00 UTC"}
    store.release("course", "02_forward", release, due="2026-12-09T18:30:00.250000+01:00")
    assert store.due("course")["02_forward"] == "2026-12-09 17:30:00.250000 UTC"
    for bad in ("soon", "2026-13-40 17:00", 5, ["2026-12-08"]):
        with pytest.raises(plain.Refused, match="not a due date"):
            store.release("course", "02_forward", [("other.ipynb", b"{}")], due=bad)
    assert store.released("course")["02_forward"] == ["02_forward.ipynb"]  # a refused release changed nothing
    assert store.due("course")["02_forward"] == "2026-12-09 17:30:00.250000 UTC"
    store.release("course", "02_forward", release)
    assert store.due("course")["02_forward"] is None
    assert oct(os.stat(os.path.join(store.root, "course", "due", "02_forward.json")).st_mode & 0o777) == "0o600"


def test_a_release_takes_its_due_date_from_the_gradebook_in_the_stores_form(tmp_path, store, monkeypatch):
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    from autograder.grading.environment import tool_environment
    from course.exchange.instructor import due_text, gradebook_due

    monkeypatch.setenv("PATH", tool_environment()["PATH"])  # a new gradebook: nbgrader runs `alembic`

    coursedir = CourseDirectory(root=str(tmp_path), course_id="course")
    assert gradebook_due(coursedir, "01_notation") is None
    assert not (tmp_path / "gradebook.db").exists()  # asking made no gradebook
    with Gradebook(coursedir.db_url, "course") as gradebook:
        gradebook.add_assignment("01_notation", duedate=datetime.datetime(2026, 12, 8, 17, 0))
        gradebook.add_assignment("02_forward")
    due = gradebook_due(coursedir, "01_notation")
    assert due_text(due) == "2026-12-08 17:00:00 UTC"
    assert gradebook_due(coursedir, "02_forward") is None and gradebook_due(coursedir, "03_backward") is None
    store.release("course", "01_notation", [("01_notation.ipynb", b"{}")], due=due_text(due))
    assert store.due("course") == {"01_notation": "2026-12-08 17:00:00 UTC"}


def test_the_assignment_list_marks_official_feedback_arriving_over_fetched_practice_feedback(store, tmp_path):
    from nbgrader.coursedir import CourseDirectory

    from course.exchange.student import List

    which = _submitted(store)
    listing = List(coursedir=CourseDirectory(root=str(tmp_path), course_id="course"), assignment_dir=str(tmp_path))

    def fetched():  # what FetchFeedback writes, from what the exchange lists to the student
        (entry,) = store.receipts_with_feedback("course", student="alice")
        local = tmp_path / "01_notation" / "feedback" / entry["receipt"]["received"]
        local.parent.mkdir(parents=True, exist_ok=True)
        plain.replace_folder(str(local), store.feedback(*which))
        return listing.submission(entry)

    store.put_practice(*which, [("01_notation.html", b"practice"), ("practice.json", b"{}")])
    shown = fetched()
    assert shown["has_local_feedback"] and not shown["feedback_updated"]
    assert sorted(os.listdir(shown["local_feedback_path"])) == ["01_notation.html"]
    store.put_feedback(*which, [("01_notation.html", b"official")])
    (entry,) = store.receipts_with_feedback("course", student="alice")
    assert listing.submission(entry)["feedback_updated"]  # the student is told to fetch again
    shown = fetched()
    assert not shown["feedback_updated"]
    assert (tmp_path / "01_notation" / "feedback" / entry["receipt"]["received"] / "01_notation.html").read_bytes() == b"official"
