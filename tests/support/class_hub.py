"""A real hub for a whole class (deploy/jupyterhub), for benchmarks: one instructor account with the course
root, and any number of students who exist only as hub users (in BACKPROP_HUB_STUDENTS: the hub puts its
allowed users in its database at start-up), each with a hub API token made in advance. No student gets a
system account or a home: their servers never start; they talk to the exchange service with their token,
as their server's nbgrader would (the exchange takes who from the hub, not from the request).
"""

import contextlib
import os
import pathlib
import secrets
import shutil
import subprocess
import tempfile
import time

import requests

from tests.support.hub import demo, free_port

TOKENS_CONFIG = """# Written by tests/support/class_hub.py: a hub API token per user, made in advance (benchmarks only).
c.JupyterHub.api_tokens = {tokens!r}
# Random 256-bit tokens: the hub need not hash them with its slow rounds for user-chosen ones.
c.JupyterHub.trust_user_provided_tokens = True
"""


def student_names(prefix, count):
    return [f"{prefix}s{i:03d}" for i in range(count)]


def write_tokens_config(path, names):
    """The extra config file giving each of `names` a fresh token: {name: token}. Readable by root alone."""
    tokens = {name: secrets.token_hex(32) for name in names}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(TOKENS_CONFIG.format(tokens={token: name for name, token in tokens.items()}))
    return tokens


def wait_for(url, process, log, seconds=90):
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the hub did not come up at {url}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


@contextlib.contextmanager
def running_class_hub(students, course_settings="", keep_state=False):
    """A hub on loopback with a fresh instructor account and `students` hub users, stopped and its accounts
    removed afterwards. Yields running_hub's dict (in_instructor_terminal takes it) plus "tokens"
    ({user: hub API token}) and "exchange" (the exchange service's API base on loopback)."""
    demo.check_machine()  # root, the proxy, bubblewrap: raises demo.HubError with the reason
    prefix = f"bp{os.getpid() % 100000}-"
    instructor = prefix + "instructor"
    names = student_names(prefix, students)
    state = pathlib.Path(tempfile.mkdtemp(prefix="class-hub-"))
    state.chmod(0o755)
    accounts = [instructor, prefix + "exchange", prefix + "grader"]  # the last two made by the hub's config
    process = None
    try:
        demo.create_account(instructor)
        course_root = demo.give_course(instructor)
        if course_settings:  # before the hub starts: the practice service copies the settings at its start
            with open(course_root / "nbgrader_config.py", "a") as settings:
                settings.write("\n" + course_settings + "\n")
        tokens = write_tokens_config(state / "class_tokens_config.py", [instructor, *names])
        port, exchange_port = free_port(), free_port()
        environment = demo.hub_environment(state, port, [instructor], names, course_root, api_port=free_port(),
                                           proxy_api_port=free_port(), exchange_port=exchange_port,
                                           exchange_account=accounts[1])
        environment["BACKPROP_PRACTICE_ACCOUNT"] = accounts[2]
        environment["BACKPROP_HUB_EXTRA_CONFIG"] = str(state / "class_tokens_config.py")
        log = state / "hub.log"
        with open(log, "w") as output:
            process = subprocess.Popen(demo.hub_command(), env=environment, cwd=state, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/hub/login", process, log)
        yield {"base": base, "instructor": instructor, "students": tuple(names), "state": state,
               "course_root": course_root, "environment": environment, "tokens": tokens, "process": process,
               "exchange": f"http://127.0.0.1:{exchange_port}/services/exchange"}
    finally:
        if process is not None:
            process.terminate()  # the hub stops its services (exchange, practice grading) with it
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        for name in accounts:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            demo.remove_account(name)
        if not keep_state:
            shutil.rmtree(state, ignore_errors=True)
