"""What waits in the exchange and is not in submitted/: grading says so instead of grading less.

Two exchanges: nbgrader's folder (make lab: `<root>/<course>/inbound/<student>+<assignment>+<time>...`)
and the course's exchange service on a hub (its receipts; asked with this server's hub token). A
submission is waiting when the exchange holds one of a student's newer than what submitted/ holds
(nbgrader's timestamp.txt, or the receipt id collected with it).
"""

import json
import os
import pathlib

from nbgrader.utils import parse_utc


def _collected(root, student, assignment):
    """(time text, receipt id) of what submitted/ holds for this student, or None."""
    folder = pathlib.Path(root) / "submitted" / student / assignment
    if not folder.is_dir():
        return None
    stamp = (folder / "timestamp.txt").read_text().strip() if (folder / "timestamp.txt").is_file() else ""
    try:
        receipt = json.loads((folder / "receipt.json").read_text()).get("receipt_id")
    except (OSError, ValueError, AttributeError):
        receipt = None
    return stamp, receipt


def _newer(stamp, collected):
    if collected is None:
        return True
    try:
        return not collected[0] or parse_utc(stamp) > parse_utc(collected[0])
    except (ValueError, OverflowError):
        return False


def in_folder_exchange(config, root, assignments):
    """{assignment: sorted students} with a submission in the folder exchange newer than submitted/'s."""
    inbound = pathlib.Path(str(config.Exchange.root)) / config.CourseDirectory.course_id / "inbound"
    newest = {}
    for entry in os.scandir(inbound) if inbound.is_dir() else ():
        parts = entry.name.split("+")
        if len(parts) >= 3 and parts[1] in assignments:
            key = (parts[0], parts[1])
            if key not in newest or parse_utc(parts[2]) > parse_utc(newest[key]):
                newest[key] = parts[2]
    waiting = {}
    for (student, assignment), stamp in newest.items():
        if _newer(stamp, _collected(root, student, assignment)):
            waiting.setdefault(assignment, []).append(student)
    return {a: sorted(s) for a, s in waiting.items()}


def in_exchange_service(config, root, assignments):
    """The same, asked of the course's exchange service (a hub): a receipt other than the one collected."""
    from course.exchange.client import HubExchange

    service = HubExchange(config=config).service
    waiting = {}
    for assignment in assignments:
        newest = {}
        for entry in service.call("GET", f"courses/{config.CourseDirectory.course_id}/submissions/{assignment}"):
            newest[entry["receipt"]["student_id"]] = entry["receipt"]  # oldest first: the last is the newest
        for student, receipt in newest.items():
            collected = _collected(root, student, assignment)
            if collected is None or collected[1] != receipt["receipt_id"] and _newer(receipt["received"], collected):
                waiting.setdefault(assignment, []).append(student)
    return {a: sorted(s) for a, s in waiting.items()}


def waiting_submissions(config, root, assignments):
    """({assignment: students waiting}, a note when the exchange could not be asked)."""
    try:
        if config.HubExchange.get("url"):
            return in_exchange_service(config, root, assignments), None
        return in_folder_exchange(config, root, assignments), None
    except Exception as error:  # noqa: BLE001 - grading goes on; the instructor is told the exchange was not read
        return {}, f"the exchange could not be asked what waits in it ({str(error)[:200]})"


def collect_command(assignment, update):
    return f"nbgrader collect{' --update' if update else ''} {assignment}"
