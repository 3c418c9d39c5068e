"""No student can take the hub's server down (deploy/jupyterhub/user_budgets.py): on a real hub with real
cgroups, student B runs a memory hog and a fork bomb while student A keeps working in a notebook in
Chromium. B's hog kernel is stopped alone and B's next cell says why; the fork bomb stops at B's
process limit; B's server still answers; A's cells all ran, right and quickly; the hub's login page
answers; the cgroups are gone when the hub stops. The budgets are small here (EXTRA_CONFIG).
"""

import os
import re
import sys
import threading
import time

import pytest
import requests
from playwright.sync_api import expect

from autograder.isolation import budget
from tests.support.browser import ARTIFACTS, log_in_to_hub
from tests.support.hub import KernelDied, User, running_hub
from tests.support.notebook import ROOT

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
import user_budgets

pytestmark = pytest.mark.browser

MEMORY_MIB, PROCESSES = 512, 100
CGROUP_NAME = f"backprop-hub-test-budgets-{os.getpid()}"  # this hub's own: never a real hub's groups
EXTRA_CONFIG = (f'c.Spawner.mem_limit = "{MEMORY_MIB}M"\nc.Spawner.cpu_limit = 1.0\n'
                f"c.CourseSpawner.pids_limit = {PROCESSES}\nc.CourseSpawner.cgroup_name = {CGROUP_NAME!r}\n")

# Allocate and touch 64 MiB at a time, up to twice the budget: the budget stops it first.
HOG = ("chunks = []\nfor _ in range(%d):\n    chunks.append(b'x' * 2**26)\nprint('the hog survived')" % (MEMORY_MIB // 32))
# Bounded, so that a missing limit cannot hurt this machine: at most 5,000 sleeping children, all killed
# with their process group (a session of its own) once fork fails or the cap is reached.
FORK_BOMB = """
import subprocess, sys
script = '''
import errno, os, sys, time
made, why = 0, "cap"
for _ in range(5000):
    try:
        pid = os.fork()
    except OSError as error:
        why = errno.errorcode.get(error.errno, str(error.errno))
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    made += 1
print(made, why, flush=True)
os.killpg(0, 9)
'''
bomb = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, start_new_session=True, timeout=60)
print(bomb.stdout.strip())
"""
A_CELL = "n = globals().get('n', 0) + 1\nprint(f'A{n}: {sum(range(n * 1000))}')"
NOTICE = f"Your kernel was stopped: it used more than the {MEMORY_MIB} MiB of memory your server is allowed"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    extra = tmp_path_factory.mktemp("budgets") / "small_budgets.py"
    extra.write_text("c = get_config()  # noqa: F821\n" + EXTRA_CONFIG)
    extra.chmod(0o644)
    with running_hub(tmp_path_factory, extra_config=extra) as running:
        yield running
    # The hub removed each server's groups as it stopped it, and its own at exit.
    left = [str(path) for _, top in user_budgets.detect(CGROUP_NAME).tops for path in top.rglob("*") if path.is_dir()]
    user_budgets.remove_empty(user_budgets.detect(CGROUP_NAME))  # (detect made the tops again, empty)
    assert not left, f"groups left after the hub stopped: {left}"


def notebook(cell):
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": "work", "metadata": {}, "outputs": [],
                       "source": cell}], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                      "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def open_notebook(browser, hub, name, path):
    """Student `name` logged in through the hub's form, their notebook `path` open, its kernel idle."""
    page = log_in_to_hub(browser, hub["base"], name, f"budgets/tree/{path}")
    kernel = page.locator(f'.jp-StatusBar-TextItem[title="Change kernel for {path}"]')
    expect(kernel).to_have_text(re.compile(r"\| Idle$"))
    return page


def run_cell_and_time(page, number):
    """Run A's cell once more (Ctrl+Enter on the selected cell) and return (seconds until its output shows, text)."""
    output = page.locator(".jp-Cell .jp-OutputArea-output").first
    started = time.monotonic()
    page.keyboard.press("Control+Enter")
    expected = f"A{number}: {sum(range(number * 1000))}"
    expect(output).to_have_text(expected, timeout=30_000)
    return time.monotonic() - started, output.inner_text()


def b_side(hub, name, results):
    """Student B's hostile session, beside A: a memory hog, the next cell, a fork bomb, a fresh kernel."""
    b = User(hub["base"], name)
    b.log_in()
    try:
        b.run_in_kernel(HOG, keep=True)
        results["hog"] = "survived"
    except KernelDied as died:
        results["hog"] = str(died)
    time.sleep(2)  # the server restarts the kernel (its autorestart), as JupyterLab then shows
    results["next cell"] = b.run_in_kernel("print(6 * 7)", keep=True)
    results["fork bomb"] = b.run_in_kernel(FORK_BOMB, keep=True)
    results["after bomb"] = b.run_in_kernel("print('still here')", keep=True)
    results["fresh kernel"] = b.run_in_kernel("print('fresh')")  # the notice was given once, not again
    results["status"] = b.get("api/status").status_code
    b.close_kept_kernel()


def test_a_hog_and_a_fork_bomb_stop_at_their_budget_and_a_classmate_keeps_working(browser, hub):
    name_a, name_b = hub["students"]
    a_http = User(hub["base"], name_a)
    a_http.log_in()
    a_http.put_notebook("work.ipynb", notebook(A_CELL))
    page = open_notebook(browser, hub, name_a, "work.ipynb")
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()

    started = time.monotonic()
    results, b_errors = {}, []

    def b_thread():
        try:
            b_side(hub, name_b, results)
        except Exception as error:  # noqa: BLE001 - reported by the main thread's assertion below
            b_errors.append(repr(error))

    worker = threading.Thread(target=b_thread)
    worker.start()
    latencies, login_pages = [], []
    while worker.is_alive() or len(latencies) < 5:
        seconds, _ = run_cell_and_time(page, len(latencies) + 1)
        latencies.append(seconds)
        login_pages.append(requests.get(f"{hub['base']}/hub/login", timeout=10).status_code)
        page.wait_for_timeout(300)
    worker.join()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "hub-budgets-classmate.png")
    print(f"B's session and A's {len(latencies)} cells: {time.monotonic() - started:.1f} s; A's latencies "
          f"max {max(latencies):.2f} s, mean {sum(latencies) / len(latencies):.2f} s; B: {results}")

    assert not b_errors, b_errors
    assert results["hog"].endswith("died (restarting)"), results  # the hog did not survive its budget
    hierarchy = user_budgets.detect(CGROUP_NAME)
    assert all(budget._pids(g) for g in user_budgets.user_groups(hierarchy, "student", name_a))  # A's server is in A's
    group = user_budgets.user_groups(hierarchy, "student", name_b)
    assert user_budgets.oom_kills(user_budgets.memory_events(group)) == 1  # the kernel alone was stopped
    assert results["next cell"].startswith(NOTICE) and results["next cell"].endswith("42\n"), results
    made, why = results["fork bomb"].split()
    assert why == "EAGAIN" and 10 < int(made) < PROCESSES, results  # fork failed at the process limit
    assert results["after bomb"] == "still here\n" and results["fresh kernel"] == "fresh\n", results
    assert results["status"] == 200
    assert max(latencies) < 5, latencies  # A kept working throughout, each cell right (checked as it ran)
    assert set(login_pages) == {200}, login_pages
    assert requests.get(f"{hub['base']}/hub/login", timeout=10).status_code == 200
