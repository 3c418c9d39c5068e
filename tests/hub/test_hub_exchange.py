"""The course's exchange on a real hub, attacked as a hostile student would from their own server.

Real accounts, the hub, its proxy and the exchange service on loopback (deploy/jupyterhub). Every
command runs in the user's own server (a kernel of theirs: what their terminal runs), the instructor
collecting and grading through the README's commands. Each attack ends refused with a reason or
received as plain bytes; the honest classmate's submission, score and feedback stay their own, and
no solution or hidden-test text reaches a student.
"""

import json
import pathlib
import re

import pytest

from tests.support.hub import COURSE_ID, User, running_hub
from tests.support.notebook import ROOT, exercises, student_notebook

ASSIGNMENT = "01_notation"
POINTS = dict(exercises(ASSIGNMENT))
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
RELEASED = "".join("".join(cell["source"]) for cell in
                   json.loads((ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())["cells"])
SOURCE_LINES = [line.strip() for line in (ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.py").read_text().splitlines()]


def shell(user, command, timeout=300):
    """`command` in bash from `user`'s own server: (exit status, what it printed)."""
    code = ("import subprocess, json\n"
            f"done = subprocess.run(['bash', '-c', {command!r}], capture_output=True, text=True, timeout={timeout})\n"
            "print(json.dumps([done.returncode, done.stdout + done.stderr]))")
    status, printed = json.loads(user.run_in_kernel(code, keep=True))
    return status, printed


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """A hub whose instructor released the assignment; the honest student A fetched and submitted it."""
    with running_hub(tmp_path_factory) as hub:
        people = {name: User(hub["base"], name) for name in (hub["instructor"], *hub["students"])}
        for user in people.values():
            user.log_in()
        teacher, alice, mallory = (people[n] for n in (hub["instructor"], *hub["students"]))
        status, printed = shell(teacher, f"cd ~/backprop-course && nbgrader release_assignment {ASSIGNMENT}")
        assert status == 0, printed
        for student in (alice, mallory):
            status, printed = shell(student, f"nbgrader fetch_assignment {ASSIGNMENT}")
            assert status == 0, printed
        alice.put_notebook(NOTEBOOK, student_notebook(ASSIGNMENT))
        status, printed = shell(alice, f"nbgrader submit {ASSIGNMENT}")
        assert status == 0, printed
        yield {**hub, "teacher": teacher, "alice": alice, "mallory": mallory, "alice_receipt": printed}


def test_a_submission_gets_a_signed_receipt_with_the_servers_time_and_each_files_sha256(term):
    assert re.search(r"received \d{4}-\d\d-\d\d [\d:.]+ UTC by the exchange: \S+ / " + ASSIGNMENT, term["alice_receipt"])
    assert re.search(r"sha256 [0-9a-f]{64}  " + re.escape(f"{ASSIGNMENT}.ipynb"), term["alice_receipt"])


def refetch(user):
    status, printed = shell(user, f"rm -rf {ASSIGNMENT} && nbgrader fetch_assignment {ASSIGNMENT}")
    assert status == 0, printed


def receipts_of(user):
    """The receipts the exchange lists to `user` (a student's own only)."""
    status, entries = call_as(user, "GET", f"courses/{COURSE_ID}/submissions/{ASSIGNMENT}")
    assert status == 200, entries
    return [entry["receipt"] for entry in entries]


def submit_refused(user, reason):
    before = len(receipts_of(user))
    status, printed = shell(user, f"nbgrader submit {ASSIGNMENT}")
    assert status != 0 and "was not submitted" in printed and reason in printed, printed
    assert len(receipts_of(user)) == before  # nothing was received
    return printed


def test_a_link_to_the_instructors_source_or_a_classmates_notebook_is_refused_with_the_reason(term):
    mallory, source = term["mallory"], term["course_root"] / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    alice_copy = pathlib.Path(term["course_root"]).parent.with_name(term["students"][0]) / NOTEBOOK
    for target in (source, alice_copy):
        refetch(mallory)
        status, printed = shell(mallory, f"ln -sf {target} {NOTEBOOK}")
        assert status == 0, printed  # a link is only a string: making one needs no access to its target
        submit_refused(mallory, f"{ASSIGNMENT}.ipynb: is a symbolic link")
    # A hard link needs the file itself: neither the source nor a classmate's file is there to link to.
    refetch(mallory)
    for target in (source, alice_copy):
        status, printed = shell(mallory, f"ln {target} {ASSIGNMENT}/stolen.ipynb")
        assert status != 0 and "No such file" in printed, printed
    status, printed = shell(mallory, f"ln {NOTEBOOK} {ASSIGNMENT}/second_name.ipynb")
    assert status == 0, printed
    submit_refused(mallory, "second_name.ipynb: is a hard link")


@pytest.mark.parametrize("make, reason", [
    ("mkfifo {folder}/pipe", "pipe: is a FIFO"),
    ("truncate -s 4G {folder}/big.bin", "big.bin: is 4294967296 bytes, more than the"),
    ("mkdir {folder}/many && cd {folder}/many && seq 100000 | xargs touch", "is beyond the 100 files"),
], ids=["fifo", "sparse-4GiB", "100000-files"])
def test_special_huge_or_countless_files_are_refused_with_the_reason(term, make, reason):
    mallory = term["mallory"]
    refetch(mallory)
    status, printed = shell(mallory, make.format(folder=ASSIGNMENT))
    assert status == 0, printed
    printed = submit_refused(mallory, reason)
    assert len(printed) < 5000  # 100,000 refusals are summed up, not listed


def call_as(user, method, path, **kwargs):
    """A request to the exchange's API made with `user`'s own hub token, bypassing nbgrader: (status, body)."""
    code = ("import os, json, requests\n"
            "url = os.environ['BACKPROP_EXCHANGE_URL']\n"
            f"r = requests.request({method!r}, url + '/api/' + {path!r}, timeout=60, "
            "headers={'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN']}, **%r)\n"
            "print(json.dumps([r.status_code, r.text]))") % (kwargs,)
    status, text = json.loads(user.run_in_kernel(code, keep=True))
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def test_the_exchange_takes_who_and_when_from_the_hub_and_its_clock_not_from_the_student(term):
    mallory, alice_name = term["mallory"], term["students"][0]
    refetch(mallory)
    # Every place a time could be claimed: nbgrader's timestamp.txt, file times, a classmate's name.
    status, printed = shell(mallory, f"echo '2020-01-01 00:00:00.000000 UTC' > {ASSIGNMENT}/timestamp.txt && "
                                     f"touch -d '2 hours ago' {ASSIGNMENT}/* {ASSIGNMENT} && "
                                     f"nbgrader submit {ASSIGNMENT} --student {alice_name}")
    assert status == 0 and "--student is ignored" in printed, printed
    receipt = receipts_of(mallory)[-1]
    assert receipt["student_id"] == term["students"][1] and "timestamp.txt" not in receipt["files"], receipt
    now = call_as(mallory, "GET", "whoami")
    # The raw API: a body naming another student and an old time, a timestamp.txt among the files.
    forged = {"student": alice_name, "received": "2020-01-01 00:00:00.000000 UTC",
              "files": {f"{ASSIGNMENT}.ipynb": "e30=", "timestamp.txt": "MjAyMC0wMS0wMQ==", "receipt.json": "e30="}}
    status, raw = call_as(mallory, "POST", f"courses/{COURSE_ID}/submissions/{ASSIGNMENT}", json=forged)
    assert status == 201 and raw["student_id"] == term["students"][1] and list(raw["files"]) == [f"{ASSIGNMENT}.ipynb"]
    assert raw["received"] > receipt["received"] > "2026", (raw, receipt, now)
    status, answer = call_as(mallory, "POST", f"courses/{COURSE_ID}/submissions/{ASSIGNMENT}",
                             json={"files": {"../../escape.ipynb": "e30="}})
    assert status == 400 and "not a file name the exchange takes" in answer["error"], answer


def test_a_student_can_neither_read_nor_change_a_classmates_submission(term):
    mallory, alice = term["mallory"], term["alice"]
    alice_name = term["students"][0]
    (theirs,) = receipts_of(alice)
    assert all(r["student_id"] == term["students"][1] for r in receipts_of(mallory))
    status, listed = call_as(mallory, "GET", f"courses/{COURSE_ID}/submissions/{ASSIGNMENT}", params={"student": alice_name})
    assert status == 200 and all(e["receipt"]["student_id"] != alice_name for e in listed), listed
    where = f"courses/{COURSE_ID}/submissions/{ASSIGNMENT}/{alice_name}/{theirs['receipt_id']}"
    assert call_as(mallory, "GET", where)[0] == 403
    assert call_as(mallory, "GET", where.replace("/submissions/", "/feedback/"))[0] == 403
    for method in ("DELETE", "PUT", "POST"):
        assert call_as(mallory, method, where, json={"files": {}})[0] in (403, 405), method
    assert call_as(mallory, "PUT", f"courses/{COURSE_ID}/released/{ASSIGNMENT}", json={"files": {}})[0] == 403
    # No folder holds the exchange's store for a student to reach: not even its name is visible.
    status, printed = shell(mallory, f"ls {term['state']}/exchange-store")
    assert status != 0 and "No such file" in printed, printed
    assert receipts_of(alice) == [theirs]


def test_a_forged_receipt_is_told_from_a_genuine_one(term):
    mallory = term["mallory"]
    key = call_as(mallory, "GET", "whoami")[1]["public_key"]
    status, printed = shell(mallory, f"cd {ASSIGNMENT}/receipts && ls && R=$(ls | head -1) && "
                                     f"python -m course.exchange.receipt verify $R {key} && "
                                     "sed -e 's/\"received\": \"[0-9-]* /\"received\": \"2020-01-01 /' $R > forged.json && "
                                     f"python -m course.exchange.receipt verify forged.json {key}")
    assert "genuine receipt:" in printed and "forged.json: NOT signed by this exchange" in printed, printed
    assert status == 1, printed


def test_after_the_attacks_the_whole_class_is_collected_graded_and_given_its_own_feedback(term):
    teacher, alice, mallory = term["teacher"], term["alice"], term["mallory"]
    alice_name, mallory_name = term["students"]
    # Mallory's last word: the instructor's source notebook, its bytes copied into her own folder.
    refetch(mallory)
    stolen = (term["course_root"] / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    mallory.put_notebook(NOTEBOOK, json.loads(stolen))
    status, printed = shell(mallory, f"nbgrader submit {ASSIGNMENT}")
    assert status == 0, printed
    # A submission collected before the switch to this exchange (no receipt): collecting leaves it be.
    earlier = pathlib.Path(term["course_root"]) / "submitted" / "carol" / ASSIGNMENT
    shell(teacher, f"mkdir -p {earlier} && echo '{{}}' > {earlier}/{ASSIGNMENT}.ipynb && "
                   f"echo '2026-11-30 12:00:00.000000 UTC' > {earlier}/timestamp.txt")
    status, printed = shell(teacher, f"cd ~/backprop-course && nbgrader collect {ASSIGNMENT} && "
                                     f"python -m autograder receipts {ASSIGNMENT} --output -")
    assert status == 0 and "Processing 2 submissions" in printed, printed
    listed = [row.split(",") for row in printed.splitlines() if row.count(",") == 6]
    assert listed[0][0] == "student_id" and {row[0] for row in listed[1:]} == {alice_name, mallory_name}, listed
    assert all(row[-1] == "yes" for row in listed[1:]), listed
    alice_receipt = receipts_of(alice)[-1]
    assert [alice_name, ASSIGNMENT, alice_receipt["received"], alice_receipt["receipt_id"], f"{ASSIGNMENT}.ipynb",
            alice_receipt["files"][f"{ASSIGNMENT}.ipynb"], "yes"] in listed
    # Graded from the instructor's own server, its kernels running: as their uid, the sandbox's
    # process limit leaves room for every thread they already have.
    status, printed = shell(teacher, f"cd ~/backprop-course && python -m autograder grade {ASSIGNMENT}")
    # Alice graded; Mallory (the source's text) flagged for review; the pre-switch empty notebook failed.
    assert status == 0 and "3 students: 1 graded, 1 flagged, 1 failed" in printed, printed[-3000:]
    status, printed = shell(teacher, f"cd ~/backprop-course && nbgrader release_feedback {ASSIGNMENT}")
    assert status == 0 and printed.count("Releasing feedback") == 2, printed
    submitted = pathlib.Path(term["course_root"]) / "submitted"
    assert sorted(p.name for p in earlier.iterdir()) == [f"{ASSIGNMENT}.ipynb", "timestamp.txt"]
    assert (earlier / "timestamp.txt").read_text().startswith("2026-11-30 12:00:00")
    for user, name in ((alice, alice_name), (mallory, mallory_name)):
        last = receipts_of(user)[-1]
        collected = json.loads((submitted / name / ASSIGNMENT / "receipt.json").read_text())
        assert collected == last  # the newest submission, as received: signed receipt and all
        assert (submitted / name / ASSIGNMENT / "timestamp.txt").read_text() == last["received"]
        status, printed = shell(user, f"nbgrader fetch_feedback {ASSIGNMENT} && cat {ASSIGNMENT}/feedback/*/*.html")
        assert status == 0, printed
        score = re.search(r"Score: ([\d.]+) / ([\d.]+)", printed)
        other = mallory_name if name == alice_name else alice_name
        assert other not in printed
        leaked = [line for line in SOURCE_LINES if len(line) > 30 and line in printed and line not in RELEASED]
        assert not leaked, leaked[:3]
        if user is alice:
            assert score and float(score.group(1)) == pytest.approx(sum(POINTS.values())), score


def test_a_submission_left_in_the_exchange_after_collecting_is_reported_when_grading(term):
    teacher, alice = term["teacher"], term["alice"]
    status, printed = shell(alice, f"nbgrader submit {ASSIGNMENT}")  # after the instructor collected
    assert status == 0, printed
    status, printed = shell(teacher, f"cd ~/backprop-course && python -m autograder grade {ASSIGNMENT}")
    assert status == 0, printed[-3000:]
    assert (f"1 submissions of {ASSIGNMENT} in the exchange are newer than what submitted/ holds "
            f"({term['students'][0]}): `nbgrader collect --update {ASSIGNMENT}` collects them") in printed, printed[-3000:]
