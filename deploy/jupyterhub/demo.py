"""`make hub`: the course's JupyterHub on this machine, in demo mode, for a try-out.

It makes three real accounts (an instructor and two students, each with a private home), gives the
instructor a copy of the course (the course root the formgrader works on), and starts JupyterHub with deploy/jupyterhub/jupyterhub_config.py on loopback, everyone logging
in with one demo password. Run it as root: the hub starts each user's server as that user.

    python deploy/jupyterhub/demo.py [--port 8000] [--state .hub] [--prefix ""]

The tests use the same functions with their own account prefix and state folder.
"""

import argparse
import os
import pathlib
import pwd
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
CONFIG = HERE / "jupyterhub_config.py"
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
DEMO_PASSWORD = "backprop-demo"
ROLES = ("instructor", "student-a", "student-b")


class HubError(Exception):
    """A reason the hub cannot run here, in words for whoever typed `make hub`."""


def check_machine():
    if os.geteuid() != 0:
        raise HubError("the hub starts each user's server as that user: run `make hub` as root (sudo make hub)")
    if not PROXY.exists():
        raise HubError(f"{PROXY} is missing: `make hub-tools` installs the proxy from npm")
    if shutil.which("bwrap") is None:
        raise HubError("bubblewrap is missing: each user's server runs in a view made with it (make sandbox-tools)")


def create_account(name):
    """A system account `name` with a private home (0700), unless it exists. Returns its home."""
    try:
        home = pathlib.Path(pwd.getpwnam(name).pw_dir)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        home = pathlib.Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)
    return home


def remove_account(name):
    subprocess.run(["userdel", "--remove", name], capture_output=True)


COURSE_PARTS = ("nbgrader_config.py", "source", "release", "autograder")  # what nbgrader and the grader read


def give_course(instructor, folder_name="backprop-course"):
    """The instructor's course root, in their home and theirs alone: a copy of this repository's
    course (its nbgrader settings, sources, releases and grader), where the gradebook will grow."""
    account = pwd.getpwnam(instructor)
    root = pathlib.Path(account.pw_dir) / folder_name
    if not root.exists():
        root.mkdir()
        for part in COURSE_PARTS:
            if (REPO / part).is_dir():
                shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(REPO / part, root / part)
    for path in [root, *root.rglob("*")]:
        os.lchown(path, account.pw_uid, account.pw_gid)
    root.chmod(0o700)
    return root


def hub_environment(state, port, instructors, students, course_root, api_port=8081, proxy_api_port=8001,
                    exchange_port=8002, exchange_account="backprop-exchange"):
    return {**os.environ, "BACKPROP_HUB_STATE": str(state), "BACKPROP_HUB_PORT": str(port),
            "BACKPROP_HUB_API_PORT": str(api_port), "BACKPROP_PROXY_API_PORT": str(proxy_api_port),
            "BACKPROP_EXCHANGE_PORT": str(exchange_port), "BACKPROP_EXCHANGE_ACCOUNT": exchange_account,
            "BACKPROP_HUB_INSTRUCTORS": ",".join(instructors), "BACKPROP_HUB_STUDENTS": ",".join(students),
            "BACKPROP_HUB_AUTH": "demo", "BACKPROP_HUB_DEMO_PASSWORD": DEMO_PASSWORD,
            "BACKPROP_COURSE_ROOT": str(course_root)}


def hub_command():
    return [str(pathlib.Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)]


def main(argv=None):
    parser = argparse.ArgumentParser(description="The course's JupyterHub in demo mode, on this machine.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--state", default=str(REPO / ".hub"))
    parser.add_argument("--prefix", default="", help="put before each account name (e.g. bp-)")
    args = parser.parse_args(argv)
    try:
        check_machine()
    except HubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    instructor, *students = (args.prefix + role for role in ROLES)
    for name in (instructor, *students):
        create_account(name)
    course_root = give_course(instructor)
    state = pathlib.Path(args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    print(f"JupyterHub for the course: http://127.0.0.1:{args.port}/\n"
          f"  instructor (formgrader, course in {course_root}): {instructor}\n"
          f"  students (assignment list): {', '.join(students)}\n"
          f"  password for all three: {DEMO_PASSWORD}\n"
          "Stop it with Ctrl+C; the accounts stay (userdel --remove NAME removes one).", flush=True)
    environment = hub_environment(state, args.port, [instructor], students, course_root)
    os.chdir(state)
    os.execve(hub_command()[0], hub_command(), environment)


if __name__ == "__main__":
    sys.exit(main())
