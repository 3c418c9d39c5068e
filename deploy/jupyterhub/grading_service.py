"""The course's practice grading, a JupyterHub service: each submission graded as it arrives, for its student.

It watches the exchange service (exchange_service.py) with its own hub token, as the exchange's
"grader" (it may read every submission and put practice pages, nothing else), grades each new
submission with the instructor's own pipeline in a course root of its own, and puts the page back
for the student's Fetch Feedback (autograder/practice/). It never sees the instructor's home, gradebook
or GRADER_SECRET: its own secret is made on first start in its state folder (0600).

The hub starts it (jupyterhub_config.py) as an account of its own. By hand:

    python grading_service.py --root=PRACTICE_COURSE_ROOT --state=STATE_DIR --course=ID --exchange=URL
"""

import os
import pathlib
import secrets
import sys

from traitlets import Unicode
from traitlets.config import Application

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from autograder.config import course_config  # noqa: E402 - the repository joins sys.path above
from autograder.practice.policy import PracticeGrading  # noqa: E402 - the repository joins sys.path above
from autograder.practice.service import PracticeService  # noqa: E402 - the repository joins sys.path above
from course.exchange.client import ExchangeService  # noqa: E402 - the repository joins sys.path above


def own_secret(state):
    """The service's GRADER_SECRET: made once, readable by its account alone."""
    path = pathlib.Path(state) / "grader-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


class GradingService(Application):
    name = "backprop-practice-grading"
    description = __doc__.splitlines()[0]
    root = Unicode("", help="the service's own course root (source/, nbgrader_config.py; its gradebook grows there)"
                   ).tag(config=True)
    state = Unicode("", help="the service's folder: its ledger, its secret, its grading log").tag(config=True)
    course_id = Unicode("", help="the course whose exchange it watches").tag(config=True)
    exchange_url = Unicode("", help="the exchange service, e.g. http://127.0.0.1:8002/services/exchange"
                           ).tag(config=True)
    log_level = 20  # INFO: each delivery is a line of the hub's log (what a student waited, what was decided)
    aliases = {"root": "GradingService.root", "state": "GradingService.state", "course": "GradingService.course_id",
               "exchange": "GradingService.exchange_url"}

    def start(self):
        if not (self.root and self.state and self.course_id and self.exchange_url):
            self.exit("error: --root, --state, --course and --exchange are needed")
        token = os.environ.get("JUPYTERHUB_API_TOKEN")
        if not token:
            self.exit("error: JUPYTERHUB_API_TOKEN is not set: the hub starts this service and gives it its token")
        pathlib.Path(self.state).mkdir(parents=True, exist_ok=True)
        settings = PracticeGrading(config=course_config(self.root))
        service = PracticeService(self.root, self.state, ExchangeService(self.exchange_url, token, timeout=60),
                                  self.course_id, settings, secret=own_secret(self.state), log=self.log)
        self.log.info("practice grading for %s: levels %s (others %s), %d per %d minutes, batches of %d",
                      self.course_id, dict(settings.levels) or "-", settings.default_level, settings.per_window,
                      settings.window_minutes, settings.batch)
        service.serve()


if __name__ == "__main__":
    GradingService.launch_instance()
