"""A student's side of the exchange: list, fetch, submit, fetch feedback (nbgrader's commands and the
Assignment List call these through c.ExchangeFactory).

A submission's feedback is what the exchange shows the student: the instructor's feedback once
released, else the practice grading service's practice pages (its "practice" flag says which). Both
land in <assignment>/feedback/<received>/, the later replacing the earlier, so the Assignment List's
"feedback updated" mark (a page's SHA-256 differing from the exchange's) shows official feedback
arriving over practice feedback."""

import json
import os

from nbgrader.exchange.abc import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeList, ExchangeSubmit
from nbgrader.utils import find_all_notebooks

from . import files as plain
from . import receipt as receipts
from .client import HubExchange, decoded

SHOWN_REFUSALS = 10


def receipt_text(receipt):
    """How the Assignment List shows a submission: the exchange's time, then what it received."""
    digests = "; ".join(f"{name} sha256 {digest}" for name, digest in sorted(receipt["files"].items()))
    return f"{receipt['received']} (receipt {receipt['receipt_id']}: {digests})"


class FetchAssignment(HubExchange, ExchangeFetchAssignment):
    def copy_files(self):
        assignment = self.coursedir.assignment_id
        target = self.local_folder(assignment)
        received = self.service.files(f"courses/{self.course}/released/{assignment}")
        if os.path.exists(target) and not self.replace_missing_files:
            self.fail(f"You already have a copy of {assignment} in {target}: rename or remove it to fetch it again "
                      "(or fetch with --replace to restore only the files that are missing)")
        if os.path.exists(target):
            for name, data in received:
                if not os.path.lexists(os.path.join(target, *name.split("/"))):
                    plain.write_new_file(target, name, data)
        else:
            plain.write_folder(target, received)
        self.log.info(f"Fetched {self.course} {assignment} into {target}")


class Submit(HubExchange, ExchangeSubmit):
    def copy_files(self):
        assignment = self.coursedir.assignment_id
        source = self.local_folder(assignment)
        if not os.path.isdir(source):
            self.fail(f"Assignment not found: {source}. Fetch {assignment} first (Assignment List or nbgrader fetch_assignment)")
        if self.coursedir.student_id not in ("", "*"):
            self.log.warning("--student is ignored: the exchange takes the student from your hub login")
        service = self.service
        limits = plain.Limits(**service.call("GET", "whoami")["limits"])
        found, refused = plain.read_folder(source, limits, ignore=self.coursedir.ignore)
        if refused:
            shown = [f"  {name}: {reason}" for name, reason in refused[:SHOWN_REFUSALS]]
            more = len(refused) - SHOWN_REFUSALS
            self.fail("\n".join([f"{assignment} was not submitted: the exchange takes plain files only, within its "
                                 "limits. Remove or replace these and submit again:", *shown]
                                + ([f"  ... and {more} more"] if more > 0 else [])))
        released = {n for n in service.call("GET", f"courses/{self.course}/released").get(assignment, ())
                    if n.endswith(".ipynb")}
        missing = sorted(released - {n for n, _ in found})
        if missing:
            message = f"{assignment}: these notebooks of the release are missing from your folder: {', '.join(missing)}"
            if self.strict:
                self.fail(message)
            self.log.warning(message)
        receipt = service.send("POST", f"courses/{self.course}/submissions/{assignment}", found)
        folder = os.path.join(source, "receipts")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{receipt['receipt_id']}.json"), "x", encoding="utf-8") as handle:
            json.dump(receipt, handle, indent=1, sort_keys=True)
        for line in ["Submitted: the exchange's receipt (kept in receipts/):", *receipts.lines(receipt)]:
            self.log.info(line)


class FetchFeedback(HubExchange, ExchangeFetchFeedback):
    def copy_files(self):
        assignment = self.coursedir.assignment_id
        target = self.local_folder(assignment)
        fetched = 0
        for entry in self.service.call("GET", f"courses/{self.course}/submissions/{assignment}"):
            receipt = entry["receipt"]
            if not entry["feedback"]:
                continue
            answer = self.service.call("GET", f"courses/{self.course}/feedback/{assignment}/{receipt['student_id']}/"
                                              f"{receipt['receipt_id']}")
            feedback = decoded(answer["files"])
            os.makedirs(os.path.join(target, "feedback"), exist_ok=True)
            # Replaced as a whole: official feedback fetched after practice feedback takes its place.
            plain.replace_folder(os.path.join(target, "feedback", receipt["received"]), feedback)
            fetched += 1
            # What was fetched, which official feedback may have replaced since the list was made.
            kind = "practice feedback (not your grade)" if answer.get("practice") is True else "feedback"
            self.log.info(f"Fetched {kind} of your submission received {receipt['received']}")
        if not fetched:
            self.log.warning(f"No feedback for {assignment} yet")


class List(HubExchange, ExchangeList):
    def copy_files(self):
        pass  # listing moves nothing; nbgrader's start() calls it before list_files

    def released(self):
        assignments = []
        wanted = self.coursedir.assignment_id or "*"
        for assignment, names in self.service.call("GET", f"courses/{self.course}/released").items():
            if wanted not in ("*", assignment):
                continue
            local = self.local_folder(assignment)
            fetched = os.path.isdir(local)
            notebooks = ([os.path.join(local, n) for n in find_all_notebooks(local)] if fetched
                         else [n for n in names if n.endswith(".ipynb")])
            assignments.append({"course_id": self.course, "assignment_id": assignment,
                                "status": "fetched" if fetched else "released", "path": local if fetched else assignment,
                                "notebooks": [{"notebook_id": os.path.splitext(os.path.basename(n))[0],
                                               "path": os.path.abspath(n) if fetched else n} for n in notebooks]})
        return assignments

    def submitted(self):
        wanted = self.coursedir.assignment_id or "*"
        path = "submissions" if wanted == "*" else f"submissions/{wanted}"
        student = self.coursedir.student_id if self.inbound and self.coursedir.student_id not in ("", "*") else None
        grouped = {}
        for entry in self.service.call("GET", f"courses/{self.course}/{path}", params={"student": student} if student else None):
            receipt = entry["receipt"]
            grouped.setdefault((receipt["student_id"], receipt["assignment_id"]), []).append(self.submission(entry))
        return [{"course_id": self.course, "student_id": student, "assignment_id": assignment, "status": "submitted",
                 "submissions": sorted(submissions, key=lambda s: s["timestamp"])}
                for (student, assignment), submissions in sorted(grouped.items())]

    def submission(self, entry):
        receipt, feedback = entry["receipt"], entry["feedback"]
        local = os.path.join(self.local_folder(receipt["assignment_id"]), "feedback", receipt["received"])
        notebooks = []
        for name in sorted(n for n in receipt["files"] if n.endswith(".ipynb") and "/" not in n):
            notebook_id = name[:-len(".ipynb")]
            local_html = os.path.join(local, f"{notebook_id}.html")
            has_local = os.path.isfile(local_html)
            digest = None
            if has_local:
                with open(local_html, "rb") as handle:
                    digest = receipts.sha256(handle.read())
            exchange_digest = feedback.get(f"{notebook_id}.html")
            notebooks.append({"notebook_id": notebook_id, "path": name, "has_local_feedback": has_local,
                              "has_exchange_feedback": exchange_digest is not None,
                              "local_feedback_path": local_html if has_local else None,
                              "feedback_updated": has_local and exchange_digest is not None and exchange_digest != digest})
        has_local = bool(notebooks) and all(n["has_local_feedback"] for n in notebooks)
        return {"course_id": self.course, "student_id": receipt["student_id"], "assignment_id": receipt["assignment_id"],
                "timestamp": receipt_text(receipt), "received": receipt["received"], "receipt": receipt,
                "status": "submitted", "path": receipt["receipt_id"], "notebooks": notebooks,
                "has_local_feedback": has_local,
                "has_exchange_feedback": bool(notebooks) and all(n["has_exchange_feedback"] for n in notebooks),
                "feedback_updated": any(n["feedback_updated"] for n in notebooks),
                "local_feedback_path": local if has_local else None}

    def list_files(self):
        if self.inbound or self.cached:
            assignments = self.submitted()
            self.log.info("Submitted assignments:")
            for assignment in assignments:
                for info in assignment["submissions"]:
                    self.log.info(f"{self.course} {info['student_id']} {info['assignment_id']} {info['timestamp']}")
        else:
            assignments = self.released()
            self.log.info("Released assignments:")
            for info in assignments:
                self.log.info(f"{self.course} {info['assignment_id']}"
                              + (" (already downloaded)" if info["status"] == "fetched" else ""))
        return assignments

    def remove_files(self):
        self.fail("The course's exchange keeps every release and submission: nothing is removed from it. "
                  "Release a corrected version with --force instead.")
