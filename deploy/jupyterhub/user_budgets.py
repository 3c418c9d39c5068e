"""A budget per hub user: each user's server (its JupyterLab, kernels and terminals together) in Linux
cgroups of its own, so that no student's runaway kernel or fork bomb takes the machine down.

Layout, in each controller's hierarchy (v1: memory, pids, cpu; v2: the unified one):

    <the hub's own cgroup>/backprop-hub/<role>/<user name>

The <role> group holds every server of that role; the students' one may be bounded as a whole
(the machine's memory minus a reserve), so that the hub, the instructors' servers and the grading
service keep room however many students run big kernels at once. Within a user's group, the
kernel's OOM killer stops the largest process: the runaway kernel, not the Jupyter server.

The grader's slots (autograder.isolation.budget) use the same mechanism; its helpers are reused.
"""

import os
import pathlib
import sys
from dataclasses import dataclass

if __name__ == "__main__":  # a service's command (joined_argv): the repository's packages, as the hub has them
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from autograder.isolation import budget

HUB_GROUP = "backprop-hub"


@dataclass(frozen=True)
class Hierarchy:
    """Where the hub's groups live: {controller: <own>/backprop-hub} (controller "" is cgroup v2's
    unified hierarchy); `why` says why there is none (then `tops` is empty)."""

    mechanism: str = ""
    tops: tuple = ()  # ((controller, folder), ...)
    why: str = ""


@dataclass(frozen=True)
class Budget:
    """What one user's server may use; 0 means unbounded."""

    memory_bytes: int = 0
    cpus: float = 0.0
    processes: int = 0


def _v2_top(own, name):
    unified = budget._own_folder(own, "")
    if not (unified / "cgroup.controllers").exists():
        return None
    if not {"memory", "pids", "cpu"} <= set((unified / "cgroup.controllers").read_text().split()):
        return None
    top = unified / name
    top.mkdir(exist_ok=True)
    # "No internal processes": this fails where the hub's own cgroup holds processes and is not the root.
    budget._write(unified / "cgroup.subtree_control", "+memory +pids +cpu")
    budget._write(top / "cgroup.subtree_control", "+memory +pids +cpu")
    return Hierarchy("cgroup v2 (memory, pids, cpu)", (("", top),))


def _v1_tops(own, name):
    if not all((budget.CGROUP_ROOT / c / "cgroup.procs").exists() for c in budget.V1_CONTROLLERS):
        return None
    tops = tuple((c, budget._own_folder(own, c) / name) for c in budget.V1_CONTROLLERS)
    for _, top in tops:
        top.mkdir(exist_ok=True)
    return Hierarchy(f"cgroup v1 ({', '.join(budget.V1_CONTROLLERS)})", tops)


def detect(name=HUB_GROUP):
    """The hierarchy the hub can write (v2 where delegable, else v1), or one with `why` set; its groups
    go under `name` in the hub's own cgroup (a name of its own per hub on a machine running several)."""
    failures = []
    own = budget._own_cgroups()
    for attempt in (_v2_top, _v1_tops):
        try:
            found = attempt(own, name)
        except OSError as error:
            failures.append(f"{attempt.__name__[1:3]}: {error.strerror or error}")
            continue
        if found is not None:
            return found
    return Hierarchy(why="; ".join(failures) or "no cgroup hierarchy with memory, pids and cpu")


def user_groups(hierarchy, role, name):
    """The user's cgroup folder in each controller (whether they exist or not)."""
    return [top / role / name for _, top in hierarchy.tops]


def machine_memory():
    """The memory this hub may use: the machine's, or its own cgroup's limit where lower."""
    total = int(next(line.split()[1] for line in pathlib.Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))) * 1024
    own = budget._own_cgroups()
    for limit_file in (budget._own_folder(own, "memory") / "memory.limit_in_bytes",
                       budget._own_folder(own, "") / "memory.max"):
        try:
            total = min(total, int(limit_file.read_text()))
        except (OSError, ValueError):  # absent, or "max"
            pass
    return total


def _limit_memory(group, controller, memory_bytes):
    if controller == "memory":
        swap = group / "memory.memsw.limit_in_bytes"
        if swap.exists():  # memory + swap >= memory at every step: open it, set memory, close it
            budget._write(swap, -1)
        budget._write(group / "memory.limit_in_bytes", memory_bytes or -1)
        if swap.exists():
            budget._write(swap, memory_bytes or -1)
    elif controller == "":
        budget._write(group / "memory.max", memory_bytes or "max")
        if (group / "memory.swap.max").exists():
            budget._write(group / "memory.swap.max", 0 if memory_bytes else "max")


def _limit(group, controller, limits):
    """Write `limits` into `group` of `controller` ("" = v2, all controllers in one folder)."""
    _limit_memory(group, controller, limits.memory_bytes)
    if controller in ("pids", ""):
        budget._write(group / "pids.max", limits.processes or "max")
    if controller == "cpu":
        budget._write(group / "cpu.cfs_period_us", budget.CPU_PERIOD_US)
        budget._write(group / "cpu.cfs_quota_us", int(limits.cpus * budget.CPU_PERIOD_US) if limits.cpus else -1)
    elif controller == "":
        quota = int(limits.cpus * budget.CPU_PERIOD_US) if limits.cpus else "max"
        budget._write(group / "cpu.max", f"{quota} {budget.CPU_PERIOD_US}")


def create(hierarchy, role, name, limits, role_memory_bytes=0):
    """The user's groups, made (or reused: a server a crashed hub left running stays in them) and
    bounded by `limits`; the role's group bounded to `role_memory_bytes` (0: unbounded). Returns them."""
    groups = []
    for controller, top in hierarchy.tops:
        role_group = top / role
        role_group.mkdir(exist_ok=True)
        if controller == "":
            budget._write(role_group / "cgroup.subtree_control", "+memory +pids +cpu")
        _limit_memory(role_group, controller, role_memory_bytes)
        group = role_group / name
        group.mkdir(exist_ok=True)
        _limit(group, controller, limits)
        groups.append(group)
    return groups


def join(groups, pid=0):
    """Move process `pid` (0: the caller) into `groups`. Low-level writes only: this runs in a freshly
    forked child of the hub (a preexec_fn), before it execs the user's server."""
    for group in groups:
        fd = os.open(os.path.join(group, "cgroup.procs"), os.O_WRONLY)
        try:
            os.write(fd, str(pid or os.getpid()).encode())
        finally:
            os.close(fd)


def memory_events(groups):
    """The file that counts the user's out-of-memory kills (memory.oom_control in v1, memory.events in v2)."""
    for group in groups:
        for name in ("memory.oom_control", "memory.events"):
            if (pathlib.Path(group) / name).exists():
                return pathlib.Path(group) / name
    return None


def oom_kills(events_file):
    """How many processes the user's memory budget has killed so far (None where unknown)."""
    try:
        for line in pathlib.Path(events_file).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except (OSError, ValueError):
        pass
    return None


def remove(groups):
    """Kill whatever is left in the user's groups and remove them."""
    budget.kill(groups)
    for group in groups:
        try:
            pathlib.Path(group).rmdir()
        except FileNotFoundError:
            pass


def clean_leftovers(hierarchy):
    """Remove the groups a crashed hub left behind with nothing in them (a server still running in
    one keeps it: the restarted hub finds that server and reuses its groups). Returns those removed."""
    removed = []
    for _, top in hierarchy.tops:
        for group in sorted(top.glob("*/*")):
            if group.is_dir() and not budget._pids(group):
                try:
                    group.rmdir()
                    removed.append(group)
                except OSError:  # busy: a process joined meanwhile
                    pass
    return removed


def remove_empty(hierarchy):
    """At hub exit: the role groups and the hub's own, where nothing is left in them."""
    for _, top in hierarchy.tops:
        for folder in [*sorted(top.glob("*/*")), *sorted(top.glob("*")), top]:
            try:
                folder.rmdir()
            except OSError:  # still holds a server (or gone)
                pass


def service_argv(role, name, limits, argv):
    """`argv` as a hub service's command, run within cgroups of its own (`role`/`name`, bounded by `limits`);
    `argv` itself where the hub cannot write cgroups. Services have no preexec: the command made here
    creates (or recreates, when another hub's cleanup removed them while the service was down) its
    groups and joins them at each start, then becomes `argv`. The groups go when the hub exits."""
    import atexit

    found = detect()
    if not found.tops:
        return list(argv)
    groups = create(found, role, name, limits)
    atexit.register(remove_empty, found)  # after the service's groups (atexit runs last registered first)
    atexit.register(remove, groups)
    budget_args = [f"--memory={limits.memory_bytes}", f"--cpus={limits.cpus}", f"--processes={limits.processes}"]
    return [sys.executable, os.path.abspath(__file__), role, name, *budget_args, "--", *argv]


def _start_service(args):
    """python user_budgets.py ROLE NAME --memory=B --cpus=C --processes=P -- COMMAND...: join, then become COMMAND."""
    split = args.index("--")
    (role, name), options = args[:2], dict(arg[2:].split("=", 1) for arg in args[2:split])
    limits = Budget(int(options["memory"]), float(options["cpus"]), int(options["processes"]))
    found = detect()
    if found.tops:
        join(create(found, role, name, limits))
    os.execvp(args[split + 1], args[split + 1:])


if __name__ == "__main__":
    _start_service(sys.argv[1:])
