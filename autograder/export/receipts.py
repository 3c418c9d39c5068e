"""`python -m autograder receipts ASSIGNMENT`: every receipt the course's exchange signed for an
assignment, as CSV, one row per file received, each checked against the exchange's public key.

Run it where `nbgrader collect` runs on a hub (the instructor's server or its terminal): it asks the
exchange service named in nbgrader's settings, with that server's hub token.
"""

import csv
import io
import os

from course.exchange import receipt as signing
from course.exchange.client import HubExchange

COLUMNS = ("student_id", "assignment_id", "received", "receipt_id", "file", "sha256", "genuine")


def nbgrader_config():
    """nbgrader's settings as its commands see them here: Jupyter's config path, then this folder."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.apps import NbGrader

    app = NbGrader()
    app.config_file_paths.append([os.getcwd(), *jupyter_config_path()])
    app.load_config_file()
    return app.config


def rows(assignment, config=None):
    config = config or nbgrader_config()
    exchange = HubExchange(config=config)
    service, course = exchange.service, config.CourseDirectory.course_id
    key = service.call("GET", "whoami")["public_key"]
    for entry in service.call("GET", f"courses/{course}/submissions/{assignment}"):
        receipt = entry["receipt"]
        genuine = "yes" if signing.is_genuine(receipt, key) else "NO"
        for name, digest in sorted(receipt["files"].items()):
            yield (receipt["student_id"], receipt["assignment_id"], receipt["received"], receipt["receipt_id"], name,
                   digest, genuine)


def write_csv(assignment, output):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    found = list(rows(assignment))
    writer.writerows(found)
    if output == "-":
        print(buffer.getvalue(), end="")
    else:
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        with open(output, "w", newline="", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
    return found
