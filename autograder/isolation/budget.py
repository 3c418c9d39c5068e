"""A budget per student, not per process: one Linux cgroup per grading slot.

rlimits bound each process on its own, so forty processes of one student each get the whole
allowance, and tmpfs pages count against none of them. A cgroup bounds the slot as a whole:
memory (the pages of its /tmp included), the number of processes, and its share of the CPUs, so
that a classmate graded beside it keeps a fair share of the machine.

cgroup v2 is used where the grader's own cgroup can delegate memory, pids and cpu; the v1
hierarchies (one per controller) where those are what the machine offers. Where neither can be
written (no root, no delegation) `prepare` says so in one line and the sandbox falls back to its
rlimits alone.
"""

import os
import pathlib
import re
import signal
import time
from dataclasses import dataclass, field

CGROUP_ROOT = pathlib.Path(os.environ.get("BACKPROP_CGROUP_ROOT", "/sys/fs/cgroup"))
V1_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


@dataclass
class SlotBudgets:
    """The cgroup folders of each slot (empty lists when there is no mechanism) and what they enforce."""

    groups: dict = field(default_factory=dict)  # slot -> [cgroup folder, ...]
    mechanism: str = ""  # e.g. "cgroup v1 (memory, pids, cpu)"; "" = rlimits only
    description: str = ""  # one line for the log and summary.html
    parents: list = field(default_factory=list)  # folders to remove at the end

    def of(self, slot):
        return list(self.groups.get(slot, []))


def _own_cgroups():
    """{controller or "": path} from /proc/self/cgroup ("" is the v2 unified hierarchy)."""
    own = {}
    for line in pathlib.Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in (controllers.split(",") if controllers else [""]):
            own[controller] = path.lstrip("/")
    return own


def _write(path, value):
    pathlib.Path(path).write_text(str(value))


def _own_folder(own, controller):
    """The grader's own cgroup folder in `controller`'s hierarchy ("" for the v2 unified one)."""
    return CGROUP_ROOT / controller / own.get(controller, "")


def _v1_parent(own, controller, run_name):
    if not (CGROUP_ROOT / controller / "cgroup.procs").exists():
        return None
    return _own_folder(own, controller) / run_name


def _configure_v1(group, controller, limits, cpus):
    if controller == "memory":
        _write(group / "memory.limit_in_bytes", limits.memory_bytes)
        if (group / "memory.memsw.limit_in_bytes").exists():
            _write(group / "memory.memsw.limit_in_bytes", limits.memory_bytes)
    elif controller == "pids":
        _write(group / "pids.max", limits.processes)
    elif controller == "cpu":
        _write(group / "cpu.cfs_period_us", CPU_PERIOD_US)
        _write(group / "cpu.cfs_quota_us", int(cpus * CPU_PERIOD_US))


def _prepare_v1(own, slots, limits, cpus, run_name):
    parents = [_v1_parent(own, controller, run_name) for controller in V1_CONTROLLERS]
    if any(parent is None for parent in parents):
        return None
    budgets = SlotBudgets(mechanism=f"cgroup v1 ({', '.join(V1_CONTROLLERS)})", parents=parents)
    try:
        for parent in parents:
            parent.mkdir()
        for slot in slots:
            budgets.groups[slot] = []
            for controller, parent in zip(V1_CONTROLLERS, parents):
                group = parent / f"slot-{slot}"
                group.mkdir()
                budgets.groups[slot].append(group)
                _configure_v1(group, controller, limits, cpus)
    except OSError:
        remove(budgets)
        raise
    return budgets


def _prepare_v2(own, slots, limits, cpus, run_name):
    """v2: our cgroup must let us enable the controllers for a child (the root, or a delegated one)."""
    unified = _own_folder(own, "")
    if not (unified / "cgroup.controllers").exists():
        return None
    available = (unified / "cgroup.controllers").read_text().split()
    if not {"memory", "pids", "cpu"} <= set(available):
        return None
    parent = unified / run_name
    budgets = SlotBudgets(mechanism="cgroup v2 (memory, pids, cpu)", parents=[parent])
    try:
        parent.mkdir()
        # "No internal processes": a cgroup that holds processes (the grader's own, unless it is the
        # root) cannot hand controllers down; then this fails and v1 or rlimits are used instead.
        _write(unified / "cgroup.subtree_control", "+memory +pids +cpu")
        _write(parent / "cgroup.subtree_control", "+memory +pids +cpu")
        for slot in slots:
            group = parent / f"slot-{slot}"
            group.mkdir()
            budgets.groups[slot] = [group]
            _write(group / "memory.max", limits.memory_bytes)
            if (group / "memory.swap.max").exists():
                _write(group / "memory.swap.max", 0)
            _write(group / "pids.max", limits.processes)
            _write(group / "cpu.max", f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
    except OSError:
        remove(budgets)
        raise
    return budgets


def run_is_over(name, prefix):
    """Whether `name` (prefix + pid + ...) belongs to a grading run whose process is gone."""
    match = re.match(re.escape(prefix) + r"(\d+)", name)
    if not match:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        pass
    return False


def _remove_stale_groups(own):
    """Groups left by a run that was killed before it could remove them (and the processes in them)."""
    for folder in {_own_folder(own, c) for c in ("", *V1_CONTROLLERS)}:
        if folder.is_dir():
            for parent in folder.glob("backprop-grader-*"):
                if run_is_over(parent.name, "backprop-grader-"):
                    groups = {0: [g for g in parent.iterdir() if g.is_dir()]}
                    remove(SlotBudgets(groups=groups, parents=[parent]))


def prepare(jobs, limits, slots=None):
    """Create one cgroup per slot (slots 0 to jobs - 1 unless `slots` names them); SlotBudgets says
    which mechanism is in force (or that none is)."""
    slots = list(range(jobs) if slots is None else slots)
    cpus = max(1.0, (os.cpu_count() or 1) / len(slots))
    run_name = f"backprop-grader-{os.getpid()}"
    failures = []
    own = _own_cgroups()
    try:
        _remove_stale_groups(own)
    except OSError:
        pass
    for attempt in (_prepare_v2, _prepare_v1):
        try:
            budgets = attempt(own, slots, limits, cpus, run_name)
        except OSError as error:
            failures.append(f"{attempt.__name__[9:]}: {error.strerror or error}")
            budgets = None
        if budgets is not None:
            budgets.description = (f"budget per student: {budgets.mechanism}, memory {limits.memory_bytes / 2**30:g} GiB "
                                   f"(tmpfs included), {limits.processes} processes, {cpus:g} CPU; "
                                   f"{_tmp_line(limits)}")
            return budgets
    why = "; ".join(failures) or "no writable cgroup hierarchy"
    return SlotBudgets(description=(f"no per-student budget mechanism ({why}): falling back to per-process "
                                    f"rlimits; CPU share and total memory are not bounded per student; "
                                    f"{_tmp_line(limits)}"))


def _tmp_line(limits):
    if os.geteuid() == 0:
        return f"/tmp {limits.tmp_bytes / 2**20:g} MiB, files up to {limits.file_bytes / 2**20:g} MiB"
    return f"/tmp bounded only by the file-size limit ({limits.file_bytes / 2**20:g} MiB a file)"


def join_prefix(groups):
    """An argv prefix that moves itself into `groups` and then execs the rest of the command."""
    if not groups:
        return []
    script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *(str(pathlib.Path(g) / "cgroup.procs") for g in groups), "--"]


def _pids(group):
    try:
        return [int(p) for p in (pathlib.Path(group) / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def kill(groups, patience=5.0):
    """SIGKILL every process left in `groups` (a student's leftovers), until they are empty."""
    deadline = time.monotonic() + patience
    while True:
        pids = sorted({pid for group in groups for pid in _pids(group)})
        if not pids or time.monotonic() > deadline:
            return not pids
        for group in groups:
            if (pathlib.Path(group) / "cgroup.kill").exists():
                try:
                    _write(pathlib.Path(group) / "cgroup.kill", 1)
                except OSError:
                    pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def remove(budgets):
    """Kill what is left and remove the slot groups and their parents (deepest first)."""
    for groups in budgets.groups.values():
        kill(groups)
    for parent in budgets.parents:
        parent = pathlib.Path(parent)
        if not parent.is_dir():
            continue
        for group in sorted(parent.iterdir()):
            if group.is_dir():
                try:
                    group.rmdir()
                except OSError:
                    pass
        try:
            parent.rmdir()
        except OSError:
            pass
