"""A real JupyterHub for the tests (deploy/jupyterhub): fresh accounts, the hub and its proxy on loopback,
each user's server started by the hub as that user; and each person's side of it over HTTP."""

import concurrent.futures
import contextlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import requests

from tests.support.notebook import ROOT, skip_or_fail

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
import demo
from course_spawner import in_view, role_environment, role_view

COURSE_ID = "backprop-course"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KernelDied(AssertionError):
    """The kernel died while running the code (e.g. stopped by its memory budget); the server restarts it."""


class User:
    """One person's browser: a cookie jar, logged in to the hub, talking to their own server."""

    def __init__(self, base, name):
        self.base, self.name = base, name
        self.session = requests.Session()

    def log_in(self):
        self.session.get(f"{self.base}/hub/login", timeout=30)
        form = {"username": self.name, "password": demo.DEMO_PASSWORD, "_xsrf": self.session.cookies.get("_xsrf")}
        self.session.post(f"{self.base}/hub/login", data=form, timeout=60)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the hub starts the server; the first page completes OAuth
            page = self.session.get(f"{self.base}/user/{self.name}/lab", timeout=60)
            if page.status_code == 200 and "jupyter-config-data" in page.text:
                return page
            time.sleep(1)
        raise AssertionError(f"{self.name}'s server did not start: {page.status_code} {page.text[:300]}")

    def url(self, path, owner=None):
        return f"{self.base}/user/{owner or self.name}/{path}"

    def _xsrf(self, owner=None):
        return next((c.value for c in self.session.cookies if c.name == "_xsrf"
                     and c.path.startswith(f"/user/{owner or self.name}")), "")

    def get(self, path, owner=None, **kwargs):
        return self.session.get(self.url(path, owner), timeout=120, allow_redirects=False, **kwargs)

    def post(self, path, owner=None, **kwargs):
        return self.session.post(self.url(path, owner), headers={"X-XSRFToken": self._xsrf(owner)}, timeout=300,
                                 **kwargs)

    def put_notebook(self, path, notebook):
        response = self.session.put(self.url(f"api/contents/{path}"), headers={"X-XSRFToken": self._xsrf()},
                                    json={"type": "notebook", "format": "json", "content": notebook}, timeout=60)
        assert response.status_code in (200, 201), response.text

    def run_in_kernel(self, code, keep=False):
        """Run `code` in a kernel of this user's server and return what it printed. A fresh kernel, shut
        down afterwards; with keep, one kernel kept for this user's later calls with keep (faster)."""
        import asyncio
        import uuid

        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        kept = getattr(self, "kept_kernel", None) if keep else None
        kernel = kept or self.post("api/kernels", json={"name": "python3"}).json()["id"]
        if keep:
            self.kept_kernel = kernel
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies
                            if f"/user/{self.name}/".startswith(c.path) or c.path.startswith(f"/user/{self.name}"))
        url = self.url(f"api/kernels/{kernel}/channels").replace("http://", "ws://")
        msg_id = uuid.uuid4().hex

        async def converse():
            socket = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies, "Origin": self.base}))
            header = {"msg_id": msg_id, "session": uuid.uuid4().hex, "username": self.name,
                      "msg_type": "execute_request", "version": "5.3"}
            socket.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "channel": "shell",
                                             "content": {"code": code, "silent": False, "store_history": False,
                                                         "user_expressions": {}, "allow_stdin": False}}))
            printed = []
            while True:
                message = json.loads(await asyncio.wait_for(socket.read_message(), 60))
                if message["msg_type"] == "status" and message["content"]["execution_state"] in ("restarting", "dead"):
                    socket.close()  # the server's word, not the kernel's: it died running this code
                    raise KernelDied(f"{self.name}'s kernel died ({message['content']['execution_state']})")
                if message["parent_header"].get("msg_id") != msg_id:
                    continue
                if message["msg_type"] == "stream":
                    printed.append(message["content"]["text"])
                elif message["msg_type"] == "error":
                    raise AssertionError(f"{message['content']['ename']}: {message['content']['evalue']}")
                elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                    socket.close()
                    return "".join(printed)

        try:  # a thread of its own: the caller may already run an event loop (Playwright's sync API does)
            with concurrent.futures.ThreadPoolExecutor(1) as worker:
                return worker.submit(asyncio.run, converse()).result()
        finally:
            if not keep:
                self.session.delete(self.url(f"api/kernels/{kernel}"), headers={"X-XSRFToken": self._xsrf()}, timeout=30)

    def close_kept_kernel(self):
        kernel = getattr(self, "kept_kernel", None)
        if kernel:
            self.session.delete(self.url(f"api/kernels/{kernel}"), headers={"X-XSRFToken": self._xsrf()}, timeout=30)
            self.kept_kernel = None

    def action(self, action, assignment, **data):
        """An Assignment List button: fetch, submit, fetch_feedback (nbgrader's own handler)."""
        response = self.post(f"assignments/{action}", data={"course_id": COURSE_ID, "assignment_id": assignment,
                                                            **data})
        assert response.status_code == 200, response.text
        return response.json()


@contextlib.contextmanager
def running_hub(tmp_path_factory, extra_config=None, course_settings=""):
    """A hub on loopback with three fresh accounts (an instructor, two students), removed afterwards.
    extra_config: a config file the hub loads last (BACKPROP_HUB_EXTRA_CONFIG), e.g. small budgets;
    course_settings: lines added to the instructor's nbgrader_config.py (e.g. c.PracticeGrading.*)."""
    try:
        demo.check_machine()  # what `make hub` needs: root, the proxy, bubblewrap
    except demo.HubError as error:
        skip_or_fail(str(error), "HUB_TESTS_REQUIRED")
    prefix = f"bp{os.getpid() % 100000}-"
    instructor, student_a, student_b = (prefix + role for role in demo.ROLES)
    state = tmp_path_factory.mktemp("hub")
    accounts = [instructor, student_a, student_b]
    for name in accounts:
        demo.create_account(name)
    exchange_account = prefix + "exchange"  # made by the hub's config, as a real term's would be
    practice_account = prefix + "grader"
    port = free_port()
    process = None
    try:
        course_root = demo.give_course(instructor)
        if course_settings:
            with open(course_root / "nbgrader_config.py", "a") as settings:
                settings.write("\n" + course_settings + "\n")
        environment = demo.hub_environment(state, port, [instructor], [student_a, student_b], course_root,
                                           api_port=free_port(), proxy_api_port=free_port(),
                                           exchange_port=free_port(), exchange_account=exchange_account)
        environment["BACKPROP_PRACTICE_ACCOUNT"] = practice_account
        if extra_config:
            environment["BACKPROP_HUB_EXTRA_CONFIG"] = str(extra_config)
        log = open(state / "hub.log", "w")
        process = subprocess.Popen(demo.hub_command(), env=environment, cwd=state, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/hub/login", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (state / "hub.log").read_text()[-3000:]
            time.sleep(0.5)
        yield {"base": base, "instructor": instructor, "students": (student_a, student_b), "state": state,
               "course_root": course_root, "environment": environment}
    finally:
        if process is not None:
            process.terminate()  # the hub stops every user's server with it (cleanup_servers)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        for name in [*accounts, exchange_account, practice_account]:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            demo.remove_account(name)


def in_instructor_terminal(hub, command):
    """What the instructor types in their server's terminal: the same account, view and settings."""
    argv = in_view(hub["instructor"], ["bash", "-c", command], **role_view(hub["state"], "instructor"))
    service = f"http://127.0.0.1:{hub['environment']['BACKPROP_EXCHANGE_PORT']}/services/exchange"
    env = {**role_environment(hub["state"], "instructor", pathlib.Path(sys.executable).parent, service),
           "HOME": str(hub["course_root"].parent)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
