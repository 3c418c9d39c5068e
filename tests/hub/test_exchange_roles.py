"""Who may do what in the exchange, asked over HTTP of the real service behind a real JupyterHub's
HubAuth: the course's instructor, two students, the practice grading service (a hub service named in
--ExchangeService.graders) and a service that is not.

A small hub of its own (tokens loaded ahead of time, no user's server, the exchange a service the
hub starts), seconds to start, unlike test_hub_exchange.py's: the roles are the service's rules, not
the servers'. The nbgrader client classes (course.exchange) are run against it in-process.
"""

import base64
import datetime
import json
import logging
import random
import subprocess
import sys
import time

import pytest
import requests

from course.exchange import receipt as signing
from tests.support.hub import free_port
from tests.support.notebook import ROOT, skip_or_fail

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
import demo

COURSE, ASSIGNMENT = "course", "01_notation"
DUE = "2026-12-08 17:00:00 UTC"


def _tokens():
    generator = random.Random(27)  # seeded: the same tokens each run, in a throw-away hub
    return {who: f"{generator.getrandbits(160):040x}" for who in ("teacher", "alice", "bob", "practice", "other", "alias",
                                                                    "impostor")}


CONFIG = """
c = get_config()
c.JupyterHub.bind_url = "http://127.0.0.1:{hub_port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {api_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{state}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
c.JupyterHub.pid_file = "{state}/hub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {{"teacher", "alice", "bob"}}
c.JupyterHub.api_tokens = {user_tokens!r}
c.JupyterHub.services = [
    {{"name": "exchange", "url": "http://127.0.0.1:{exchange_port}",
      "command": {command!r}}},
    {{"name": "practice", "api_token": {practice!r}}},
    {{"name": "other", "api_token": {other!r}}},
    {{"name": "alice", "api_token": {alias!r}}},  # a service named as a student is not that student
]
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The exchange (a service the hub runs) at its URL, and each caller's token."""
    if not demo.PROXY.exists():
        skip_or_fail(f"{demo.PROXY} is missing: `make hub-tools` installs the proxy", "HUB_TESTS_REQUIRED")
    state = tmp_path_factory.mktemp("roles-hub")
    tokens = _tokens()
    exchange_port = free_port()
    command = [sys.executable, str(ROOT / "deploy" / "jupyterhub" / "exchange_service.py"), f"--store={state}/store",
               f"--course={COURSE}", "--ExchangeService.instructors=teacher", "--ExchangeService.students=alice",
               "--ExchangeService.students=bob", "--ExchangeService.graders=practice"]
    (state / "jupyterhub_config.py").write_text(CONFIG.format(
        hub_port=free_port(), api_port=free_port(), proxy_port=free_port(), proxy=str(demo.PROXY), state=state,
        user_tokens={**{tokens[name]: name for name in ("teacher", "alice", "bob")},
                     tokens["impostor"]: "practice"},  # a user named as the grading service is not it
        exchange_port=exchange_port,
        command=command, practice=tokens["practice"], other=tokens["other"], alias=tokens["alias"]))
    log = open(state / "hub.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(state / "jupyterhub_config.py")],
                               cwd=state, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{exchange_port}/services/exchange"
    try:
        deadline = time.monotonic() + 60
        while True:  # up once the service answers a token the hub knows
            try:
                if requests.get(f"{url}/api/whoami", headers=_auth(tokens["teacher"]), timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (state / "hub.log").read_text()[-3000:]
            time.sleep(0.3)
        yield {"url": url, "tokens": tokens, "state": state}
    finally:
        process.terminate()  # the hub stops the services it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            subprocess.run(["kill", "-KILL", f"-{process.pid}"], capture_output=True)


def _auth(token):
    return {"Authorization": f"token {token}"}


def _files(files):
    return {name: base64.b64encode(data).decode("ascii") for name, data in files.items()}


def call(hub, who, method, path, **kwargs):
    """(status, JSON answer) of `method` api/`path` with `who`'s token."""
    response = requests.request(method, f"{hub['url']}/api/{path}", headers=_auth(hub["tokens"][who]), timeout=30,
                                **kwargs)
    return response.status_code, response.json()


def test_a_service_token_acts_only_as_a_named_grader_never_as_a_user_of_the_same_name(hub):
    assert call(hub, "practice", "GET", "whoami")[1]["role"] == "grader"
    assert call(hub, "alice", "GET", "whoami")[1]["role"] == "student"
    for token, service in (("other", "other"), ("alias", "alice")):
        assert call(hub, token, "GET", "whoami") == (403, {"error": f"the service {service} is not in this course"})
    assert call(hub, "impostor", "GET", "whoami") == (403, {"error": "the account practice is not in this course"})


def test_the_grader_reads_every_submission_and_puts_practice_feedback_and_does_nothing_else(hub):
    notebook = {f"{ASSIGNMENT}.ipynb": b"{}"}
    status, _ = call(hub, "teacher", "PUT", f"courses/{COURSE}/released/{ASSIGNMENT}",
                     json={"files": _files(notebook), "due": DUE})
    assert status == 200
    call(hub, "teacher", "PUT", f"courses/{COURSE}/released/02_forward", json={"files": _files(notebook)})  # no "due"
    for who in ("alice", "practice", "teacher"):
        assert call(hub, who, "GET", f"courses/{COURSE}/due") == (200, {ASSIGNMENT: DUE, "02_forward": None})
    receipts = {who: call(hub, who, "POST", f"courses/{COURSE}/submissions/{ASSIGNMENT}",
                          json={"files": _files({f"{ASSIGNMENT}.ipynb": who.encode()})})[1] for who in ("alice", "bob")}
    status, listed = call(hub, "practice", "GET", f"courses/{COURSE}/submissions/{ASSIGNMENT}")
    assert status == 200 and [e["receipt"]["student_id"] for e in listed] == ["alice", "bob"]
    assert all(entry["practice"] == {} for entry in listed)
    status, narrowed = call(hub, "practice", "GET", f"courses/{COURSE}/submissions", params={"student": "bob"})
    assert [e["receipt"] for e in narrowed] == [receipts["bob"]]
    alice = f"{ASSIGNMENT}/alice/{receipts['alice']['receipt_id']}"
    status, submitted = call(hub, "practice", "GET", f"courses/{COURSE}/submissions/{alice}")
    assert status == 200 and submitted["files"] == _files({f"{ASSIGNMENT}.ipynb": b"alice"})

    practice = {f"{ASSIGNMENT}.html": b"<p>practice 2/3</p>", "practice.json": b'{"hidden": "assert f(3) == 9"}'}
    assert call(hub, "practice", "PUT", f"courses/{COURSE}/practice/{alice}", json={"files": _files(practice)})[0] == 200
    key = call(hub, "teacher", "GET", "whoami")[1]["public_key"]
    for who in ("practice", "teacher"):
        status, kept = call(hub, who, "GET", f"courses/{COURSE}/practice/{alice}")
        assert status == 200 and kept["files"] == _files(practice)
        # the exchange's signed word of which practice files belong to which receipt (c.Grader.practice_scores)
        statement = kept["statement"]
        assert signing.is_genuine(statement, key) and statement["receipt_id"] == alice.split("/")[-1]
        assert statement["files"] == {name: signing.sha256(data) for name, data in practice.items()}
    status, listed = call(hub, "alice", "GET", f"courses/{COURSE}/submissions/{ASSIGNMENT}")
    (entry,) = listed
    assert entry["practice"] is True and list(entry["feedback"]) == [f"{ASSIGNMENT}.html"]
    assert "practice.json" not in json.dumps(listed)
    page = {f"{ASSIGNMENT}.html": practice[f"{ASSIGNMENT}.html"]}
    assert call(hub, "alice", "GET", f"courses/{COURSE}/feedback/{alice}") == (200, {"files": _files(page), "practice": True})

    bob = f"{ASSIGNMENT}/bob/{receipts['bob']['receipt_id']}"
    refused = [("practice", "PUT", f"released/{ASSIGNMENT}"), ("practice", "GET", f"released/{ASSIGNMENT}"),
               ("practice", "POST", f"submissions/{ASSIGNMENT}"), ("practice", "PUT", f"feedback/{bob}"),
               ("practice", "GET", f"feedback/{alice}"), ("alice", "PUT", f"practice/{alice}"),
               ("alice", "GET", f"practice/{alice}"), ("teacher", "PUT", f"practice/{bob}"),
               ("bob", "GET", f"feedback/{alice}"), ("bob", "GET", f"submissions/{alice}")]
    for who, method, path in refused:
        status, answer = call(hub, who, method, f"courses/{COURSE}/{path}", json={"files": _files(page)})
        assert status == 403, (who, method, path, answer)
    missing = f"practice/{ASSIGNMENT}/bob/{receipts['alice']['receipt_id']}"  # alice's receipt under bob's name
    assert call(hub, "practice", "PUT", f"courses/{COURSE}/{missing}", json={"files": _files(page)})[0] == 404

    official = {f"{ASSIGNMENT}.html": b"<p>graded 3/3</p>"}
    assert call(hub, "teacher", "PUT", f"courses/{COURSE}/feedback/{alice}", json={"files": _files(official)})[0] == 200
    (entry,) = call(hub, "alice", "GET", f"courses/{COURSE}/submissions/{ASSIGNMENT}")[1]
    assert entry["practice"] is False
    assert call(hub, "alice", "GET", f"courses/{COURSE}/feedback/{alice}") == (200, {"files": _files(official), "practice": False})
    staff = call(hub, "teacher", "GET", f"courses/{COURSE}/submissions/{ASSIGNMENT}", params={"student": "alice"})[1]
    assert set(staff[0]["practice"]) == set(practice) and set(staff[0]["feedback"]) == set(official)


def _client(cls, hub, who, tmp_path, **settings):
    """An nbgrader exchange class of the course's, as `who`'s server would run it (their token in its variable)."""
    from nbgrader.coursedir import CourseDirectory

    logger = logging.getLogger(f"exchange-{who}")
    logger.setLevel(logging.INFO)
    coursedir = CourseDirectory(root=str(tmp_path / "course"), course_id=COURSE, assignment_id=ASSIGNMENT)
    return cls(coursedir=coursedir, authenticator=None, url=hub["url"], assignment_dir=str(tmp_path / who),
               token_variable=f"EXCHANGE_TOKEN_{who.upper()}", log=logger, **settings)


def test_the_clients_carry_the_due_date_and_fetch_practice_then_official_feedback(hub, tmp_path, monkeypatch, caplog):
    from nbgrader.api import Gradebook

    from autograder.grading.environment import tool_environment
    from course.exchange.instructor import ReleaseAssignment
    from course.exchange.student import FetchFeedback, List

    monkeypatch.setenv("PATH", tool_environment()["PATH"])  # a new gradebook: nbgrader runs `alembic`
    for who in ("teacher", "alice"):
        monkeypatch.setenv(f"EXCHANGE_TOKEN_{who.upper()}", hub["tokens"][who])
    release = tmp_path / "course" / "release" / ASSIGNMENT
    release.mkdir(parents=True)
    (release / f"{ASSIGNMENT}.ipynb").write_text("{}")
    releasing = _client(ReleaseAssignment, hub, "teacher", tmp_path, force=True)
    with Gradebook(releasing.coursedir.db_url, COURSE) as gradebook:
        gradebook.add_assignment(ASSIGNMENT, duedate=datetime.datetime(2026, 12, 9, 9, 30))
    releasing.copy_files()
    assert call(hub, "alice", "GET", f"courses/{COURSE}/due")[1][ASSIGNMENT] == "2026-12-09 09:30:00 UTC"

    receipt = call(hub, "alice", "POST", f"courses/{COURSE}/submissions/{ASSIGNMENT}",
                   json={"files": _files({f"{ASSIGNMENT}.ipynb": b"again"})})[1]
    where = f"{ASSIGNMENT}/alice/{receipt['receipt_id']}"
    call(hub, "practice", "PUT", f"courses/{COURSE}/practice/{where}",
         json={"files": _files({f"{ASSIGNMENT}.html": b"practice", "practice.json": b"{}"})})
    caplog.set_level(logging.INFO, logger="exchange-alice")
    _client(FetchFeedback, hub, "alice", tmp_path).copy_files()
    local = tmp_path / "alice" / ASSIGNMENT / "feedback" / receipt["received"]
    assert sorted(p.name for p in local.iterdir()) == [f"{ASSIGNMENT}.html"]
    assert f"Fetched practice feedback (not your grade) of your submission received {receipt['received']}" in caplog.text

    call(hub, "teacher", "PUT", f"courses/{COURSE}/feedback/{where}", json={"files": _files({f"{ASSIGNMENT}.html": b"official"})})
    listing = _client(List, hub, "alice", tmp_path, inbound=False, cached=True)
    (mine,) = [s for a in listing.submitted() for s in a["submissions"] if s["path"] == receipt["receipt_id"]]
    assert mine["feedback_updated"]  # the Assignment List offers to fetch again
    caplog.clear()
    _client(FetchFeedback, hub, "alice", tmp_path).copy_files()
    assert (local / f"{ASSIGNMENT}.html").read_bytes() == b"official"
    assert f"Fetched feedback of your submission received {receipt['received']}" in caplog.text

    # The instructor collects it with its practice result and the exchange's signed statement of it.
    from course.exchange.instructor import Collect

    _client(Collect, hub, "teacher", tmp_path, update=True).copy_files()
    folder = tmp_path / "course" / "submitted" / "alice" / ASSIGNMENT
    assert sorted(p.name for p in folder.iterdir()) == [f"{ASSIGNMENT}.ipynb", "practice-statement.json",
                                                        "practice.json", "receipt.json", "timestamp.txt"]
    statement = json.loads((folder / "practice-statement.json").read_text())
    key = call(hub, "teacher", "GET", "whoami")[1]["public_key"]
    assert signing.is_genuine(statement, key) and statement["receipt_id"] == receipt["receipt_id"]
    assert statement["files"]["practice.json"] == signing.sha256((folder / "practice.json").read_bytes())
