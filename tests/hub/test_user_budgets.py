"""The hub's per-user cgroups (deploy/jupyterhub/user_budgets.py), on this machine's real cgroups, without
a hub: a user's groups are made with their limits, a process joined to them is bounded by them (a fork
loop stops at the process limit), and they are removed with what is in them; a crashed hub's empty
leftover is cleaned, one still holding a server kept."""

import os
import subprocess
import sys

import pytest

from tests.support.notebook import ROOT, skip_or_fail

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
import user_budgets

FORKS = ("import os, sys, time\nmade = 0\nfor _ in range(500):\n    try:\n        pid = os.fork()\n"
         "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n"
         "    made += 1\nprint(made)\nsys.stdout.flush()\nos.killpg(0, 9)\n")


@pytest.fixture
def hierarchy():
    found = user_budgets.detect(f"backprop-hub-test-{os.getpid()}")
    if not found.tops:
        skip_or_fail(f"no writable cgroups here ({found.why})", "HUB_TESTS_REQUIRED")
    yield found
    user_budgets.remove_empty(found)
    assert not any(top.exists() for _, top in found.tops)


def setting(groups, *names):
    """The first word of the first of `names` found in one of `groups` (v1: one folder per controller)."""
    return next((group / name).read_text().split()[0] for name in names for group in groups
                if (group / name).exists())


def test_a_users_groups_bound_them_and_go_away(hierarchy):
    limits = user_budgets.Budget(memory_bytes=256 * 2**20, cpus=0.5, processes=40)
    groups = user_budgets.create(hierarchy, "student", "alice", limits, role_memory_bytes=2 * 2**30)
    assert int(setting(groups, "memory.limit_in_bytes", "memory.max")) == 256 * 2**20
    assert setting(groups, "pids.max") == "40"
    assert setting(groups, "cpu.cfs_quota_us", "cpu.max") == "50000"
    roles = [group.parent for group in groups]
    assert int(setting(roles, "memory.limit_in_bytes", "memory.max")) == 2 * 2**30

    # A process that joins before it execs is bounded: its forks stop short of the limit (EAGAIN).
    bomb = subprocess.run([sys.executable, "-c", FORKS], preexec_fn=lambda: user_budgets.join(groups),
                          capture_output=True, text=True, timeout=60, start_new_session=True)
    made = int(bomb.stdout.split()[0])
    assert 20 < made < 40, (made, bomb.stderr)
    assert user_budgets.oom_kills(user_budgets.memory_events(groups)) == 0

    sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=lambda: user_budgets.join(groups))
    user_budgets.remove(groups)  # kills what is left in them
    assert sleeper.wait(timeout=10) == -9
    assert not any(group.exists() for group in groups)


def test_memory_over_the_budget_kills_the_largest_process_alone(hierarchy):
    groups = user_budgets.create(hierarchy, "student", "bob", user_budgets.Budget(memory_bytes=64 * 2**20))
    try:
        bystander = subprocess.Popen(["sleep", "60"], preexec_fn=lambda: user_budgets.join(groups))
        hog = subprocess.run([sys.executable, "-c", "b = bytearray(200 * 2**20)\nb[::4096] = b'x' * (len(b) // 4096)"],
                             preexec_fn=lambda: user_budgets.join(groups), capture_output=True, timeout=60)
        assert hog.returncode == -9
        assert bystander.poll() is None  # the small one lives on
        assert user_budgets.oom_kills(user_budgets.memory_events(groups)) == 1
    finally:
        user_budgets.remove(groups)


def test_a_crashed_hubs_leftovers_are_cleaned_or_kept(hierarchy):
    empty = user_budgets.create(hierarchy, "student", "gone", user_budgets.Budget(processes=10))
    busy = user_budgets.create(hierarchy, "student", "running", user_budgets.Budget(processes=10))
    server = subprocess.Popen(["sleep", "60"], preexec_fn=lambda: user_budgets.join(busy))
    try:
        removed = user_budgets.clean_leftovers(hierarchy)
        assert sorted(removed) == sorted(empty)
        assert all(group.exists() for group in busy) and server.poll() is None
        again = user_budgets.create(hierarchy, "student", "running", user_budgets.Budget(processes=20))
        assert again == busy and server.poll() is None  # reused with its server in it
        assert setting(again, "pids.max") == "20"
    finally:
        user_budgets.remove(busy)
