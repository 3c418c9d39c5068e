"""The hub's spawner: each user's server runs as that user, in a bubblewrap view of this machine that
holds their home, the exchange, their role's settings and the course's software (read-only).

Two reasons. The course's Python may live where other accounts cannot go (pyenv under /root): the
view makes every folder on the way traversable without changing the machine. And a student's server,
terminals and kernels see nothing of other homes, the course root or the hub's secrets, not even
their names. bwrap starts as root (it binds folders only root may enter), and setpriv drops to the
user's uid and groups, with no capabilities, before anything of the user's runs.
"""

import pathlib
import pwd

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Callable

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
            "BACKPROP_EXCHANGE_URL": exchange_url}


def in_view(username, command, *, readable=(), writable=(), own_processes=True, home=None):
    """argv running `command` as `username` in their view (what their server and its terminals see):
    their home (or `home`) writable and the working folder, and the folders given."""
    account = pwd.getpwnam(username)
    home = str(home or account.pw_dir)
    drop = sandbox.unprivileged_prefix(account.pw_uid, account.pw_gid, account_groups=True)
    return sandbox.bwrap_argv([*drop, *command], readable=readable, writable=[home, *writable],
                              workdir=home, network=True, own_processes=own_processes)


class CourseSpawner(LocalProcessSpawner):
    view_of = Callable(help="user name -> dict(readable=[...], writable=[...], own_processes=bool): "
                            "what that user's server sees besides their home (see role_view)").tag(config=True)

    def make_preexec_fn(self, name):
        return None  # stays root until bwrap has built the view; setpriv drops to the user inside it

    async def start(self):
        plain = self.cmd
        self.cmd = in_view(self.user.name, plain, **self.view_of(self.user.name))
        try:
            return await super().start()
        finally:
            self.cmd = plain
