"""The per-slot budget (autograder.isolation.budget): real cgroups where this machine lets root write them,
and a plain statement of the fallback where it does not."""

import os
import pathlib
import subprocess
import sys
import time

import pytest

from autograder.isolation import budget, sandbox

LIMITS = sandbox.Limits(memory_bytes=256 * 1024**2, processes=12)


@pytest.fixture
def budgets():
    made = budget.prepare(2, LIMITS)
    if not made.mechanism:
        pytest.skip(f"no cgroup mechanism on this machine: {made.description}")
    yield made
    budget.remove(made)
    assert not any(os.path.exists(group) for groups in made.groups.values() for group in groups)


def run_in(budgets, slot, code, limits=LIMITS):
    command = sandbox.sandboxed([sys.executable, "-c", code], limits=limits, slot=slot, cgroups=budgets.of(slot))
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_prepare_says_what_it_enforces(budgets):
    assert budgets.description.startswith(f"budget per student: {budgets.mechanism}")
    assert "12 processes" in budgets.description and "memory 0.25 GiB" in budgets.description
    assert sorted(budgets.groups) == [0, 1] and all(budgets.of(0))


def test_a_sandboxed_process_runs_inside_its_slots_groups(budgets):
    # Inside, its own cgroup namespace shows "/": look from outside, while it sleeps.
    command = sandbox.sandboxed([sys.executable, "-c", "import time; time.sleep(30)"], limits=LIMITS, slot=1,
                                cgroups=budgets.of(1))
    process = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 20
        while len(budget._pids(budgets.of(1)[0])) < 3 and time.monotonic() < deadline:  # bwrap, its init, python
            time.sleep(0.05)
        for group in budgets.of(1):
            assert process.pid in budget._pids(group) and len(budget._pids(group)) >= 3, group
        assert budget._pids(budgets.of(0)[0]) == []
    finally:
        budget.kill(budgets.of(1))
        process.wait(timeout=10)


def test_the_process_budget_is_shared_by_the_slot(budgets):
    code = ("import os, time\nn = 0\ntry:\n    for _ in range(100):\n        if os.fork() == 0:\n"
            "            time.sleep(3); os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint(n)")
    result = run_in(budgets, 0, code)
    assert result.returncode == 0, result.stderr
    assert 0 < int(result.stdout) < LIMITS.processes  # the rlimit alone would have allowed 16x more


def test_memory_counts_tmpfs_pages_and_is_bounded_per_slot(budgets):
    # Four processes of 100 MiB each pass the per-process rlimit (256 MiB) but not the slot's 256 MiB.
    code = ("import os, time\nfor _ in range(4):\n    if os.fork() == 0:\n        x = bytearray(100 * 1024**2)\n"
            "        for i in range(0, len(x), 4096): x[i] = 1\n        time.sleep(5); os._exit(0)\n"
            "died = 0\nfor _ in range(4):\n    _, status = os.wait()\n    died += os.WIFSIGNALED(status)\nprint(died)")
    result = run_in(budgets, 0, code, limits=sandbox.Limits(memory_bytes=256 * 1024**2, processes=12,
                                                              tmp_bytes=1024**3))
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 1, "the slot's memory limit killed none of the four"


def test_kill_leaves_nothing_running_in_the_slot(budgets):
    groups = budgets.of(0)
    process = subprocess.Popen([*budget.join_prefix(groups), "sleep", "60"])
    deadline = time.monotonic() + 10
    while not budget._pids(groups[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert budget._pids(groups[0]) == [process.pid]
    assert budget.kill(groups)
    assert process.wait(timeout=10) == -9
    assert budget._pids(groups[0]) == []


def test_without_cgroups_the_fallback_is_said_plainly(monkeypatch, tmp_path):
    monkeypatch.setattr(budget, "CGROUP_ROOT", tmp_path / "no-cgroups-here")
    made = budget.prepare(2, LIMITS)
    assert made.mechanism == "" and made.of(0) == []
    assert made.description.startswith("no per-student budget mechanism")
    assert "falling back to per-process rlimits" in made.description
    assert budget.join_prefix(made.of(0)) == []


def test_groups_left_by_a_killed_run_are_removed_by_the_next():
    probe = budget.prepare(1, LIMITS)
    if not probe.mechanism:
        pytest.skip(f"no cgroup mechanism on this machine: {probe.description}")
    hierarchies = [group.parent.parent for group in probe.of(0)]
    budget.remove(probe)
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()  # its pid now names a run that is over
    alive = subprocess.Popen(["sleep", "60"])  # and this one a run still going
    stale = [folder / f"backprop-grader-{finished.pid}" / "slot-0" for folder in hierarchies]
    live = [folder / f"backprop-grader-{alive.pid}" / "slot-0" for folder in hierarchies]
    for group in stale + live:
        group.mkdir(parents=True)
    made = budget.prepare(1, LIMITS)
    try:
        assert not [group for group in stale if group.parent.exists()]
        assert all(group.exists() for group in live), "a live run's groups must stay"
    finally:
        budget.remove(made)
        alive.kill()
        for group in live:
            group.rmdir()
            group.parent.rmdir()


def test_graders_on_one_machine_hold_different_slot_numbers(tmp_path):
    """Each slot number is a sandbox uid: two graders (or Dask workers) side by side never share one."""
    from autograder.grading import job

    numbers, locks = job.claim_slot_numbers(2, lock_folder=tmp_path)
    other = subprocess.run([sys.executable, "-c", "import sys; from autograder.grading import job; "
                            f"print(job.claim_slot_numbers(2, lock_folder={str(tmp_path)!r})[0])"],
                           capture_output=True, text=True, check=True,
                           cwd=pathlib.Path(job.__file__).parents[2])
    assert numbers == [0, 1] and other.stdout.strip() == "[2, 3]"
    job.release_slot_numbers(locks)
    assert job.claim_slot_numbers(1, lock_folder=tmp_path)[0] == [0], "a released number is free again"
