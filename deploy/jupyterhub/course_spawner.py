"""The hub's spawner: each user's server runs as that user, in a bubblewrap view of this machine that
holds their home, the exchange, their role's settings and the course's software (read-only).

Two reasons. The course's Python may live where other accounts cannot go (pyenv under /root): the
view makes every folder on the way traversable without changing the machine. And a student's server,
terminals and kernels see nothing of other homes, the course root or the hub's secrets, not even
their names. bwrap starts as root (it binds folders only root may enter), and setpriv drops to the
user's uid and groups, with no capabilities, before anything of the user's runs.

Each server also runs within a budget (user_budgets): JupyterHub's own mem_limit and cpu_limit and
our pids_limit, enforced by cgroups of that user's own, which the server joins before it execs
anything; set per role (budgets_by_role). A kernel over the memory budget is stopped alone, and its
restarted kernel's first cell says why (budget_notice.py, run by kernels through PYTHONSTARTUP).
"""

import asyncio
import atexit
import pathlib
import pwd

import user_budgets
from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.traitlets import ByteSpecification
from traitlets import Callable, Dict, Int, Unicode

from autograder.isolation import sandbox


def role_view(state, role):
    """What a server of `role` sees besides its home and the course's Python: its role's settings (the
    exchange is a service it talks to, no folder). Instructors share the machine's processes: their
    grader makes sandboxes of its own, which a private /proc forbids."""
    state = pathlib.Path(state)
    return {"readable": [state / "jupyter" / role], "writable": [], "own_processes": role == "student"}


def role_environment(state, role, venv_bin, exchange_url):
    """The environment of a server of `role` (and of its terminals): the course's tools first, its
    role's settings, and the exchange service (which the course's nbgrader_config.py reads too)."""
    state = pathlib.Path(state)
    return {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "JUPYTER_CONFIG_PATH": str(state / "jupyter" / role),
            "BACKPROP_EXCHANGE_URL": exchange_url,
            # Kernels (IPython) run it as they start: it tells why the last kernel was stopped, if it was.
            "PYTHONSTARTUP": str(state / "jupyter" / role / "budget_notice.py")}


def in_view(username, command, *, readable=(), writable=(), own_processes=True, home=None):
    """argv running `command` as `username` in their view (what their server and its terminals see):
    their home (or `home`) writable and the working folder, and the folders given."""
    account = pwd.getpwnam(username)
    home = str(home or account.pw_dir)
    drop = sandbox.unprivileged_prefix(account.pw_uid, account.pw_gid, account_groups=True)
    return sandbox.bwrap_argv([*drop, *command], readable=readable, writable=[home, *writable],
                              workdir=home, network=True, own_processes=own_processes)


_HIERARCHY = []  # the cgroup hierarchy this hub writes, found at the first spawn (one per hub process)


def hierarchy(log, name):
    """The hub's cgroup hierarchy, found once: leftovers of a crashed hub cleaned, and what is left
    removed at exit. Where there is none, one line in the log says so, and servers run unbounded."""
    if not _HIERARCHY:
        found = user_budgets.detect(name)
        if found.tops:
            removed = user_budgets.clean_leftovers(found)
            log.info("Per-user budgets: %s under %s%s", found.mechanism, ", ".join(str(t) for _, t in found.tops),
                     f" ({len(removed)} empty leftover groups removed)" if removed else "")
            atexit.register(user_budgets.remove_empty, found)
        else:
            log.warning("No per-user budgets: the hub cannot write cgroups here (%s); every user's server runs "
                        "without memory, CPU or process limits (run the hub as root on a machine with cgroups)",
                        found.why)
        _HIERARCHY.append(found)
    return _HIERARCHY[0]


class CourseSpawner(LocalProcessSpawner):
    view_of = Callable(help="user name -> dict(readable=[...], writable=[...], own_processes=bool): "
                            "what that user's server sees besides their home (see role_view)").tag(config=True)
    role_of = Callable(lambda name: "users", help="user name -> their role (e.g. student, instructor): the cgroup "
                                                  "group their server's budget is in, and the key of budgets_by_role"
                       ).tag(config=True)
    pids_limit = Int(0, help="The most processes (and threads) a user's server may run at once, kernels and "
                             "terminals included: a fork bomb fails there (EAGAIN), not on the machine. 0: no limit."
                     ).tag(config=True)
    budgets_by_role = Dict(help="role -> {mem_limit, cpu_limit, pids_limit}: what a server of that role gets "
                                "instead of this spawner's own settings, e.g. {'instructor': {'mem_limit': '8G'}}"
                           ).tag(config=True)
    memory_reserve = ByteSpecification(0, help="Memory kept for the hub, instructors' servers and the grading "
                                               "service: all servers of reserve_from_role together may use the "
                                               "machine's memory minus this. 0: no bound on them as a whole."
                                       ).tag(config=True)
    cgroup_name = Unicode(user_budgets.HUB_GROUP, help="The cgroup, under the hub's own in each hierarchy, that "
                                                       "holds <role>/<user> groups: one of its own per hub").tag(config=True)
    reserve_from_role = Unicode("student", help="The role whose servers together leave memory_reserve free."
                                ).tag(config=True)
    budget_groups = ()  # this server's cgroup folders while it runs (none where the hub has no cgroups)
    budget_limits = user_budgets.Budget()

    def budget(self):
        """This user's user_budgets.Budget: their role's settings (budgets_by_role) applied over this
        spawner's own, which then say it too (JupyterHub hands MEM_LIMIT and CPU_LIMIT to the server)."""
        for name, value in self.budgets_by_role.get(self.role_of(self.user.name), {}).items():
            setattr(self, name, value)  # validated (e.g. "2G" -> bytes) by the traitlet itself
        return user_budgets.Budget(memory_bytes=int(self.mem_limit or 0), cpus=float(self.cpu_limit or 0),
                                   processes=int(self.pids_limit or 0))

    def _prepare_groups(self):
        """Create this user's cgroups (as root, in the hub); [] where the hub has none."""
        found = hierarchy(self.log, self.cgroup_name)
        self.budget_groups = []
        if not found.tops:
            return
        limits, role = self.budget(), self.role_of(self.user.name)
        role_memory = 0
        if role == self.reserve_from_role and self.memory_reserve:
            role_memory = max(user_budgets.machine_memory() - self.memory_reserve, 2**28)
        self.budget_groups = user_budgets.create(found, role, self.user.name, limits, role_memory)
        self.budget_limits = limits
        self.log.info("Budget of %s's server: %s", self.user.name, limits)

    def get_env(self):
        env = super().get_env()
        events = user_budgets.memory_events(self.budget_groups)
        if events is not None:  # what budget_notice.py reads in the user's kernels
            env.update(BACKPROP_MEMORY_EVENTS=str(events), BACKPROP_MEMORY_LIMIT=str(self.budget_limits.memory_bytes))
        return env

    def make_preexec_fn(self, name):
        # Stays root until bwrap has built the view (setpriv drops to the user inside it); joins the
        # user's cgroups first, so that everything the server ever runs is inside its budget.
        groups = [str(group) for group in self.budget_groups]
        return (lambda: user_budgets.join(groups)) if groups else None

    async def start(self):
        await asyncio.to_thread(self._prepare_groups)
        events = user_budgets.memory_events(self.budget_groups)
        view = dict(self.view_of(self.user.name))
        if events is not None:  # the kernel reads its own OOM count there (budget_notice.py)
            view["readable"] = [*view.get("readable", []), events.parent]
        plain = self.cmd
        self.cmd = in_view(self.user.name, plain, **view)
        try:
            return await super().start()
        finally:
            self.cmd = plain

    async def poll(self):
        status = await super().poll()
        if status is not None and self.budget_groups:
            groups, self.budget_groups = self.budget_groups, []
            await asyncio.to_thread(user_budgets.remove, groups)
        return status
