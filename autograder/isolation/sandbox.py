"""Sandbox: run untrusted student code isolated with bubblewrap, under resource limits.

Inside, the student's process sees only what it needs to run Python: the system's libraries, the
Python installation and virtual environment (read-only), the `course` package, its own notebook
folder (read-only), a private /tmp, and the sockets it talks to the grader through. It cannot see
source/, autograded/, other students' folders, the gradebook or the reference implementation. It
has no network, its own PID namespace (a fork bomb dies with it), and limits on address space, CPU
time, process count and file size. When the grader runs as root, the code inside runs as an
unprivileged uid of its own (one per worker slot), so that the process limit actually applies, and
its /tmp is a tmpfs of bounded size. It starts from an empty environment plus an allow-list: no
secret of the grader's shell (GRADER_SECRET, tokens, cloud credentials) reaches student code.
A slot's cgroups (autograder.isolation.budget), when given, bound the student as a whole.
"""

import functools
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from autograder.config import SandboxLimits

BWRAP = os.environ.get("BACKPROP_BWRAP", "bwrap")  # which bubblewrap to run (tests point it elsewhere)
FIRST_SANDBOX_UID = 61000  # uid of worker slot 0 when the grader runs as root; slot k uses +k
# check_available's probe runs as a uid no grading slot has: RLIMIT_NPROC counts every process of
# a uid, so a probe sharing slot 0's uid failed (EAGAIN) whenever another run was grading in slot 0.
PROBE_SLOT = -1


@dataclass(frozen=True)
class Limits:
    """What one student's kernel may use: c.SandboxLimits of nbgrader_config.py (autograder.config,
    where each is declared with its default and help), as `from_config` reads them."""

    memory_bytes: int = SandboxLimits.class_traits()["memory_bytes"].default_value
    cpu_seconds: int = SandboxLimits.class_traits()["cpu_seconds"].default_value
    processes: int = SandboxLimits.class_traits()["processes"].default_value
    file_bytes: int = SandboxLimits.class_traits()["file_bytes"].default_value
    tmp_bytes: int = SandboxLimits.class_traits()["tmp_bytes"].default_value

    @classmethod
    def from_config(cls, config):
        settings = SandboxLimits(config=config)
        return cls(**{name: getattr(settings, name) for name in SandboxLimits.class_traits(config=True)})


# What sandboxed processes may know of the world: nothing of the grader's own environment.
# The OpenBLAS settings are the machine's (some CPUs need them for correct results), not secrets.
PASSED_THROUGH = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def clean_environment():
    """The whole environment of a sandboxed process: fixed values plus PASSED_THROUGH."""
    env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONDONTWRITEBYTECODE": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.update({name: os.environ[name] for name in PASSED_THROUGH if name in os.environ})
    return env


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def _existing(paths):
    seen, result = set(), []
    for path in paths:
        path = os.path.realpath(path)
        if os.path.exists(path) and path not in seen:
            seen.add(path)
            result.append(path)
    return result


def _ancestors(paths):
    """Every proper ancestor directory of `paths`, outermost first, without the root itself."""
    ancestors = {str(parent) for path in paths for parent in pathlib.Path(path).parents if str(parent) != "/"}
    return sorted(ancestors, key=lambda p: (p.count("/"), p))


# Run by this interpreter as a sandboxed process starts: no PYTHONPATH, an empty working folder.
_COURSE_PROBE = ("import importlib.util\nspec = importlib.util.find_spec('course')\n"
                 "print(*(spec.submodule_search_locations or []) if spec else [], sep='\\n')")


@functools.lru_cache(maxsize=1)
def kernel_course_package():
    """The folders of the `course` package that a sandboxed process of this interpreter imports.

    Asked of the interpreter started as the sandbox starts it (clean_environment, an empty working
    folder), not of this process: the grader's PYTHONPATH or working folder may hold another
    checkout's course/, while the kernel imports the one the venv's install names. Binding the
    former left every `import course` failing in the kernels. Empty when no `course` is found there.
    """
    with tempfile.TemporaryDirectory(prefix="backprop-course-probe-") as empty:
        result = subprocess.run([sys.executable, "-c", _COURSE_PROBE], cwd=empty, capture_output=True, text=True,
                                env={**clean_environment(), "HOME": empty}, timeout=120)
    return tuple(line for line in result.stdout.splitlines() if line) if result.returncode == 0 else ()


def python_paths():
    """What the Python interpreter, its packages and the `course` package need to be readable."""
    return _existing([sys.base_prefix, sys.prefix, *kernel_course_package()])


def bwrap_argv(command, *, readable=(), writable=(), workdir=None, tmp_source=None, network=False,
               own_processes=True):
    """The bubblewrap command line running `command` in a fresh, mostly empty filesystem view.

    tmp_source: a folder to bind as /tmp (a bounded tmpfs, see limited_argv); else bwrap's own tmpfs.
    Either comes before the other binds, so that paths under the host's /tmp stay visible.
    network: keep the machine's network (a hub user's server must listen where the proxy reaches it).
    own_processes: a process namespace of its own; without it the machine's /proc is shared, which a
    grader running inside needs to make sandboxes of its own (a fresh /proc under ours is refused).
    """
    argv = [BWRAP, "--die-with-parent", "--new-session", "--unshare-ipc",
            *(["--unshare-pid", "--proc", "/proc"] if own_processes else ["--bind", "/proc", "/proc"]),
            *([] if network else ["--unshare-net"]), "--unshare-uts", "--unshare-cgroup-try", "--dev", "/dev"]
    argv += ["--bind", tmp_source, "/tmp"] if tmp_source else ["--perms", "1777", "--tmpfs", "/tmp"]
    if os.geteuid() != 0:
        # Unprivileged bwrap works through a user namespace; as root we keep the real uid switch
        # (see limited_argv), and setpriv drops every capability inside.
        argv += ["--unshare-user", "--cap-drop", "ALL"]
    for system_dir in ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"]:
        if os.path.islink(system_dir):  # merged /usr: /bin -> usr/bin and friends
            argv += ["--symlink", os.readlink(system_dir), system_dir]
        elif os.path.isdir(system_dir):
            argv += ["--ro-bind", system_dir, system_dir]
    readable, writable = _existing([*python_paths(), *readable]), _existing(writable)
    for parent in _ancestors([*readable, *writable]):
        # bwrap would create these as root-only directories; the student's uid must traverse them.
        argv += ["--perms", "0755", "--dir", parent]
    for path in readable:
        argv += ["--ro-bind", path, path]
    for path in writable:
        argv += ["--bind", path, path]
    if workdir:
        argv += ["--chdir", workdir]
    return argv + ["--", *command]


def limited_argv(command, limits, slot=0, in_cgroup=False):
    """`command` under resource limits, dropping to a per-slot uid when we are root.

    RLIMIT_NPROC counts every process of the uid, so two grading runs side by side would share it;
    where a pids cgroup bounds the slot it only stays as a loose safety net.
    """
    processes = limits.processes * 16 if in_cgroup else limits.processes
    prefix = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}", f"--nproc={processes}",
              f"--fsize={limits.file_bytes}"]
    if os.geteuid() == 0:
        uid = FIRST_SANDBOX_UID + slot
        # bwrap itself needs root to bind paths under /root; the uid change happens inside it, and
        # its /tmp is the bounded tmpfs that bounded_tmp_prefix mounts (see sandboxed).
        return [*prefix, "--", *bounded_tmp_prefix(limits), *command[:-len(_inner(command))],
                *unprivileged_prefix(uid, uid), *_inner(command)]
    # Unprivileged: the limit counts every thread of this user (a hub instructor's server and kernels
    # too), so leave room for those running: counting processes alone refused the sandbox's own start.
    running = int(subprocess.run(["ps", "-L", "-U", str(os.getuid()), "-o", "lwp="], capture_output=True, text=True)
                  .stdout.count("\n"))
    prefix[3] = f"--nproc={running + processes}"
    return [*prefix, "--", *command]


def _inner(command):
    return command[command.index("--") + 1:]


TMP_MOUNTPOINT = "/var/tmp/backprop-sandbox-tmp"  # empty; each sandbox mounts its own tmpfs on it, privately


def bounded_tmp_prefix(limits):
    """As root: a private mount namespace holding a tmpfs of limits.tmp_bytes on TMP_MOUNTPOINT,
    which the sandbox binds as its /tmp (bubblewrap 0.8 has no --size). It dies with the sandbox."""
    os.makedirs(TMP_MOUNTPOINT, mode=0o755, exist_ok=True)
    script = 'mount -t tmpfs -o "size=$1,mode=1777,nosuid,nodev" tmpfs "$2" || exit 125; shift 2; exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh",
            str(limits.tmp_bytes), TMP_MOUNTPOINT]


def unprivileged_prefix(uid, gid, *, account_groups=False):
    """setpriv, as root: what follows runs as uid:gid with no capabilities (none inheritable, an empty
    bounding set) and no supplementary groups, or with those of uid's account where `account_groups`."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--init-groups" if account_groups else "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def sandboxed(command, *, limits=Limits(), slot=0, readable=(), writable=(), workdir=None, cgroups=()):
    """The full argv: `command` inside bubblewrap, under `limits`, as worker `slot`, in `cgroups`.

    It starts with `env -i`, so whoever runs it cannot hand the grader's environment on by mistake.
    """
    from autograder.isolation.budget import join_prefix

    clean = [f"{name}={value}" for name, value in clean_environment().items()]
    jail = bwrap_argv(command, readable=readable, writable=writable, workdir=workdir,
                      tmp_source=TMP_MOUNTPOINT if os.geteuid() == 0 else None)
    return ["/usr/bin/env", "-i", *clean, *join_prefix(cgroups),
            *limited_argv(jail, limits, slot, in_cgroup=bool(cgroups))]


def check_available():
    """Raise SandboxUnavailable, saying why, unless a trivial sandboxed command works here."""
    if shutil.which(BWRAP) is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; `make grade` installs it (Debian: apt-get install bubblewrap)")
    for tool in ("prlimit", "setpriv", "unshare"):
        if shutil.which(tool) is None:
            raise SandboxUnavailable(f"{tool} is missing (Debian package util-linux)")
    probe = sandboxed([sys.executable, "-c", "import numpy, course"], limits=Limits(processes=16), slot=PROBE_SLOT)
    result = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox here: {result.stderr.strip()[-500:]}")


def scratch_root(memory_charged):
    """Where to make the folders a sandbox shares with the grader (runtime sockets, verification).

    Never under /tmp, which the sandbox replaces with its own tmpfs (hiding anything bound there).
    On a tmpfs (/dev/shm) what students write is charged to their memory cgroup, so use it when one
    applies; otherwise disk (/var/tmp), where the file-size limit is the only bound.
    """
    for folder in (["/dev/shm"] if memory_charged else []) + ["/var/tmp"]:
        if os.path.isdir(folder) and os.access(folder, os.W_OK):
            return folder
    return None


def empty_folder(folder):
    """Remove everything in `folder` (not the folder): whatever a student left there, folders,
    read-only or not, included. Returns what could not be removed (nothing, as root)."""
    def writable_and_retry(function, path, _):
        os.chmod(os.path.dirname(path), 0o700)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
        function(path)

    left = []
    for entry in pathlib.Path(folder).iterdir():
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, onerror=writable_and_retry)
            else:
                entry.unlink()
        except OSError:
            left.append(str(entry))
    return left


KERNEL_NAME = "backprop-sandbox"


def write_kernelspec(jupyter_dir, slot, limits, cgroups=()):
    """A kernelspec under `jupyter_dir`/kernels whose kernel starts inside the sandbox as `slot`.

    Interrupts travel as messages: a signal to bwrap would not reach the kernel in its namespace.
    """
    import dataclasses
    import json

    spec_dir = pathlib.Path(jupyter_dir) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "autograder.isolation.sandbox", "--slot", str(slot),
            "--limits", json.dumps(dataclasses.asdict(limits)), "--cgroups", json.dumps([str(g) for g in cgroups]),
            "{connection_file}"]
    spec = {"argv": argv, "display_name": "Python 3 (sandboxed grading)", "language": "python",
            "interrupt_mode": "message"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


def kernel_main(argv=None):
    """Kernel launcher: exec ipykernel inside the sandbox, seeing only the notebook's own folder.

    The kernel does not see the notebook's folder (under autograded/, the notebook there holds the
    hidden tests): it works in its private /tmp. The connection file and the kernel's IPC sockets
    live in one runtime folder, the only place it shares with the grader.
    """
    import argparse
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--slot", type=int, default=0)
    parser.add_argument("--limits", default="{}", help="Limits as a JSON object")
    parser.add_argument("--cgroups", default="[]", help="the slot's cgroup folders as a JSON list")
    parser.add_argument("connection_file")
    args, kernel_options = parser.parse_known_args(argv)  # e.g. nbgrader's Execute.extra_arguments
    # The kernel has no network, so it talks to the grader over IPC sockets whose folder (the "ip"
    # of the connection file) the grader made sticky and world-writable. Only that folder is shared:
    # the connection file itself may sit anywhere (nbclient puts it in the system's temp folder), so
    # a readable copy goes into the socket folder rather than binding the file's own folder.
    with open(args.connection_file) as f:
        connection = json.load(f)
    if connection.get("transport") != "ipc":
        sys.exit("the sandboxed kernel needs IPC transport: run nbgrader with --KernelManager.transport=ipc")
    socket_dir = os.path.dirname(connection["ip"])
    connection_copy = os.path.join(socket_dir, f"sandbox-{os.path.basename(args.connection_file)}")
    with open(connection_copy, "w") as f:
        json.dump(connection, f)
    os.chmod(connection_copy, 0o644)
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_copy,
              "--HistoryManager.enabled=False", *kernel_options]
    command = sandboxed(kernel, limits=Limits(**json.loads(args.limits)), slot=args.slot, writable=[socket_dir],
                        workdir="/tmp", cgroups=json.loads(args.cgroups))
    if os.environ.get("BACKPROP_SANDBOX_DEBUG"):
        print(" ".join(command), file=sys.stderr)
    os.execvp(command[0], command)


if __name__ == "__main__":
    kernel_main()
