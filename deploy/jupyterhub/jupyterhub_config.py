"""JupyterHub for one course on one server: every student and instructor has a real account and a
JupyterLab of their own, started as that account by the hub; nbgrader's exchange is the course's exchange
service (exchange_service.py), run by the hub as an account of its own.

- Students see the Assignment List (fetch, validate, submit, fetch feedback) and nothing of grading:
  the formgrader, Create Assignment and Course List are switched off in their servers. What keeps
  them out of the course is not the switch but what their server can see: their own home, nothing
  of the instructor's home (where the course root is), of other students' or of the exchange's store.
- Instructors get the formgrader on their own server, over their copy of the course (the course
  root), and grade with `python -m autograder grade` from its terminal.
- Every server runs as its user in a view of the machine (course_spawner): its home, its role's
  settings, and the course's pinned environment (the .venv this hub runs from) read-only.
- The exchange service takes who from the hub, when from its own clock, and plain bytes only; it
  runs as an account of its own in a view holding nothing but its store.

Everything is set from the environment, so that the same file serves `make hub`, the tests and a
real term (see README, "Run a class"):

    BACKPROP_HUB_STATE        folder for the hub's database, secrets, the exchange's store and per-role settings
    BACKPROP_HUB_IP / _PORT   where users connect (127.0.0.1:8000)
    BACKPROP_HUB_API_PORT, BACKPROP_PROXY_API_PORT   internal ports (8081, 8001)
    BACKPROP_HUB_INSTRUCTORS  comma-separated accounts that grade (instructor)
    BACKPROP_HUB_STUDENTS     comma-separated accounts that may log in as students
    BACKPROP_HUB_AUTH         pam (the machine's passwords; default) or demo (one shared password)
    BACKPROP_HUB_DEMO_PASSWORD  the demo password
    BACKPROP_COURSE_ROOT      the instructors' course folder (~<first instructor>/backprop-course)
    BACKPROP_EXCHANGE_ACCOUNT the system account the exchange service runs as (backprop-exchange; made if missing)
    BACKPROP_EXCHANGE_PORT    where the exchange service listens on loopback (8002)
    BACKPROP_HUB_EXTRA_CONFIG a file loaded last: another authenticator (OAuth, LTI...), TLS, limits
"""

import os
import pathlib
import pwd
import sys

from jupyterhub.traitlets import ByteSpecification

c = get_config()  # noqa: F821 (provided by traitlets when JupyterHub loads this file)

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV_BIN = pathlib.Path(sys.executable).parent  # the hub runs from the course's .venv
STATE = pathlib.Path(os.environ.get("BACKPROP_HUB_STATE", "/srv/backprop-hub")).resolve()
EXCHANGE_STORE = STATE / "exchange-store"  # the service's own: releases, submissions, receipts, its key


def _accounts(variable, default=""):
    return [name.strip() for name in os.environ.get(variable, default).split(",") if name.strip()]


INSTRUCTORS = _accounts("BACKPROP_HUB_INSTRUCTORS", "instructor")
STUDENTS = _accounts("BACKPROP_HUB_STUDENTS")
COURSE_ROOT = pathlib.Path(os.environ.get("BACKPROP_COURSE_ROOT")
                           or pathlib.Path(pwd.getpwnam(INSTRUCTORS[0]).pw_dir) / "backprop-course")

sys.path.insert(0, str(REPO))
from autograder.config import course_config  # noqa: E402 - the repository joins sys.path above

COURSE_ID = course_config(REPO).CourseDirectory.course_id

# ---------------------------------------------------------------- the hub and its proxy

c.JupyterHub.bind_url = f"http://{os.environ.get('BACKPROP_HUB_IP', '127.0.0.1')}:" \
                        f"{os.environ.get('BACKPROP_HUB_PORT', '8000')}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("BACKPROP_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('BACKPROP_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server with it

# ---------------------------------------------------------------- who may log in

c.Authenticator.allowed_users = set(INSTRUCTORS + STUDENTS)
if os.environ.get("BACKPROP_HUB_AUTH", "pam") == "demo":
    # Fixed test accounts for a try-out on this machine only (the hub listens on loopback by default).
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = os.environ["BACKPROP_HUB_DEMO_PASSWORD"]
else:
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False

# ---------------------------------------------------------------- each user's server

c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 90
# Each server's budget, its kernels and terminals included (course_spawner, user_budgets: per-user cgroups),
# for a 24 GiB, 2-core machine. Students are the many: one runaway kernel must not hurt a classmate.
# Together, students' servers leave memory_reserve to the hub, instructors' servers and the grading service.
c.Spawner.mem_limit = "2G"
c.Spawner.cpu_limit = 1.0
c.CourseSpawner.pids_limit = 256
c.CourseSpawner.budgets_by_role = {"instructor": {"mem_limit": "6G", "cpu_limit": 2.0, "pids_limit": 2048},
                                   # the practice grading service (below): bounded, so the hub stays responsive
                                   "service": {"mem_limit": "6G", "cpu_limit": 1.5, "pids_limit": 1024}}
c.CourseSpawner.memory_reserve = "6G"

sys.path.insert(0, str(HERE))
import roles  # noqa: E402 - this folder joins sys.path above
from course_spawner import CourseSpawner, in_view, role_environment, role_view  # noqa: E402 - this folder joins sys.path above


def role_of(username):
    return "instructor" if username in INSTRUCTORS else "student"


def pre_spawn_hook(spawner):
    spawner.environment.update(role_environment(STATE, role_of(spawner.user.name), VENV_BIN, EXCHANGE_SERVICE))


c.JupyterHub.spawner_class = CourseSpawner
c.CourseSpawner.view_of = lambda username: role_view(STATE, role_of(username))
c.CourseSpawner.role_of = role_of
c.Spawner.pre_spawn_hook = pre_spawn_hook

# ---------------------------------------------------------------- the exchange service

EXCHANGE_ACCOUNT = os.environ.get("BACKPROP_EXCHANGE_ACCOUNT", "backprop-exchange")
EXCHANGE_URL = f"http://127.0.0.1:{os.environ.get('BACKPROP_EXCHANGE_PORT', '8002')}"
EXCHANGE_SERVICE = f"{EXCHANGE_URL}/services/exchange"  # what each server's nbgrader calls
PRACTICE_SERVICE = "practice-grader"  # the hub service whose token the exchange takes as its grader
try:
    pwd.getpwnam(EXCHANGE_ACCOUNT)
except KeyError:  # a system account with no login and no home of its own: it owns the store alone
    import subprocess

    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", str(EXCHANGE_STORE),
                    "--shell", "/usr/sbin/nologin", EXCHANGE_ACCOUNT], check=True)
STATE.mkdir(parents=True, exist_ok=True)
STATE.chmod(0o755)  # servers run as their users: they read their role's settings here
EXCHANGE_STORE.mkdir(exist_ok=True)
_account = pwd.getpwnam(EXCHANGE_ACCOUNT)
os.chown(EXCHANGE_STORE, _account.pw_uid, _account.pw_gid)
EXCHANGE_STORE.chmod(0o700)  # nobody but the service reads a submission, a receipt or the signing key
c.JupyterHub.services = [{
    "name": "exchange",
    "url": EXCHANGE_URL,
    "command": in_view(EXCHANGE_ACCOUNT, [sys.executable, str(HERE / "exchange_service.py"),
                                          f"--store={EXCHANGE_STORE}", f"--course={COURSE_ID}",
                                          *(f"--ExchangeService.instructors={name}" for name in INSTRUCTORS),
                                          *(f"--ExchangeService.students={name}" for name in STUDENTS),
                                          f"--ExchangeService.graders={PRACTICE_SERVICE}"],
                       readable=[HERE], home=EXCHANGE_STORE),
}]

# ---------------------------------------------------------------- the practice grading service

# Each submission graded as it arrives, for its student (grading_service.py, autograder/practice/): an
# account of its own, a course root of its own (the course's source/ and nbgrader_config.py, copied at
# each start; its own gradebook), its own secret. It reads submissions and puts practice pages through
# the exchange as its "grader"; it never sees the instructor's home, gradebook or GRADER_SECRET.
# What students see is c.PracticeGrading in the course's nbgrader_config.py (off unless the course says).
PRACTICE_ACCOUNT = os.environ.get("BACKPROP_PRACTICE_ACCOUNT", "backprop-grader")
PRACTICE = STATE / "practice"
try:
    pwd.getpwnam(PRACTICE_ACCOUNT)
except KeyError:
    import subprocess

    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", str(PRACTICE),
                    "--shell", "/usr/sbin/nologin", PRACTICE_ACCOUNT], check=True)
sys.path.insert(0, str(HERE))
import user_budgets  # noqa: E402 - this folder joins sys.path above
from practice_root import prepare_practice_root  # noqa: E402 - this folder joins sys.path above

prepare_practice_root(PRACTICE, COURSE_ROOT if (COURSE_ROOT / "source").is_dir() else REPO, PRACTICE_ACCOUNT)
# The service's budget: budgets_by_role["service"] (above), in cgroups of its own (none where the hub has none).
_service_budget = c.CourseSpawner.budgets_by_role.get("service", {})
c.JupyterHub.services.append({
    "name": PRACTICE_SERVICE,
    "command": user_budgets.service_argv("service", PRACTICE_ACCOUNT, user_budgets.Budget(
        memory_bytes=int(ByteSpecification(0).validate(None, _service_budget.get("mem_limit", 0))),
        cpus=float(_service_budget.get("cpu_limit", 0)), processes=int(_service_budget.get("pids_limit", 0))),
        in_view(PRACTICE_ACCOUNT, [sys.executable, str(HERE / "grading_service.py"), f"--root={PRACTICE / 'course'}",
                                   f"--state={PRACTICE / 'state'}", f"--course={COURSE_ID}",
                                   f"--exchange={EXCHANGE_SERVICE}"],
                readable=[HERE, REPO], home=PRACTICE, own_processes=False)),
    # HOME: its own folder (fontconfig, matplotlib and IPython write caches there)
    "environment": {"PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(PRACTICE)},
})
roles.write(STATE / "jupyter", course_id=COURSE_ID, course_root=COURSE_ROOT,
            exchange=roles.exchange_settings(EXCHANGE_SERVICE))

extra = os.environ.get("BACKPROP_HUB_EXTRA_CONFIG")
if extra:
    load_subconfig(extra)  # noqa: F821 - the config loader provides get_config
