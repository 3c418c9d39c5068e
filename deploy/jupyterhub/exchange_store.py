"""The exchange service's storage: released assignments, submissions with their signed receipts, and
feedback, in a folder only the service's account can read (0700).

A submission is written once, under a receipt id the store makes, and never changed or removed: a
student submitting again adds a submission. Its receipt records the store's own clock, the account
the service authenticated, and the SHA-256 of each file received, and is signed with the store's
Ed25519 key (made on first use, 0600, never sent anywhere; its public half is for everyone).

    <root>/signing.key
    <root>/<course>/released/<assignment>/...            the release, replaced as a whole
    <root>/<course>/submissions/<student>/<assignment>/<receipt id>/receipt.json, files/...
    <root>/<course>/feedback/<student>/<assignment>/<receipt id>/<notebook>.html
"""

import datetime
import json
import os
import re
import secrets
from dataclasses import dataclass

from course.exchange import files as plain
from course.exchange import receipt as receipts

_SAFE_ID = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,99}")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's timestamp format, in UTC


class NotFound(LookupError):
    pass


def check_id(kind, value):
    if not isinstance(value, str) or not _SAFE_ID.fullmatch(value):
        raise plain.Refused(f"{value!r} is not a valid {kind} (letters, digits, _ . @ -)")
    return value


def _read_tree(folder):
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        for name in sorted(names):
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                found.append((os.path.relpath(path, folder).replace(os.sep, "/"), handle.read()))
    return tuple(found)


@dataclass(frozen=True)
class Quota:
    """What one student may keep in the store in all: every submission stays, so without a bound one
    student could fill the disk the whole class submits to."""
    submissions: int = 200  # per assignment
    total_bytes: int = 1 << 30  # over every assignment of the course


class Store:
    def __init__(self, root, limits=plain.Limits(), clock=None, quota=Quota()):
        self.root, self.limits, self.quota = os.path.abspath(root), limits, quota
        self.clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        os.chmod(self.root, 0o700)
        key_path = os.path.join(self.root, "signing.key")
        if not os.path.exists(key_path):
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(receipts.key_bytes(receipts.new_key()))
        with open(key_path, "rb") as handle:
            self.key = receipts.load_key(handle.read())
        self.public_key = receipts.public_key_text(self.key)

    def _path(self, course, *parts):
        return os.path.join(self.root, check_id("course", course), *parts)

    # ---------------------------------------------------------------- releases

    def release(self, course, assignment, files):
        plain.check_files(files, plain.RELEASE_LIMITS)
        folder = self._path(course, "released")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        plain.replace_folder(os.path.join(folder, check_id("assignment", assignment)), files, mode=0o600)

    def released(self, course):
        """{assignment: [file names]} of every released assignment of `course`."""
        folder = self._path(course, "released")
        if not os.path.isdir(folder):
            return {}
        return {name: [n for n, _ in _read_tree(os.path.join(folder, name))] for name in sorted(os.listdir(folder))
                if _SAFE_ID.fullmatch(name)}

    def released_files(self, course, assignment):
        folder = self._path(course, "released", check_id("assignment", assignment))
        if not os.path.isdir(folder):
            raise NotFound(f"{assignment} is not released in {course}")
        return _read_tree(folder)

    # ---------------------------------------------------------------- submissions

    def submit(self, course, assignment, student, files):
        """Keep `files` as a new submission of `student`; the signed receipt."""
        if assignment not in self.released(course):
            raise plain.Refused(f"{assignment} is not released in {course}: nothing to submit it to")
        files = tuple((name, data) for name, data in files if name.split("/")[0] not in plain.NOT_SUBMITTED)
        plain.check_files(files, self.limits)
        if not files:
            raise plain.Refused("the submission holds no file")
        self._check_quota(course, assignment, check_id("student", student), sum(len(data) for _, data in files))
        now = self.clock()
        receipt_id = f"{now:%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(4)}"
        signed = receipts.sign({"course_id": course, "assignment_id": assignment, "student_id": check_id("student", student),
                                "received": now.strftime(TIME_FORMAT), "receipt_id": receipt_id,
                                "files": {name: receipts.sha256(data) for name, data in files}}, self.key)
        folder = self._path(course, "submissions", student, check_id("assignment", assignment))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fresh = os.path.join(folder, f".incoming-{receipt_id}")
        plain.write_folder(os.path.join(fresh, "files"), files, mode=0o400)
        with open(os.path.join(fresh, "receipt.json"), "x", encoding="utf-8") as handle:
            json.dump(signed, handle, sort_keys=True, indent=1)
        os.rename(fresh, os.path.join(folder, receipt_id))  # whole, or not at all
        return signed

    def _check_quota(self, course, assignment, student, size):
        own = self._path(course, "submissions", student)
        kept = [name for name in os.listdir(os.path.join(own, assignment))
                if not name.startswith(".")] if os.path.isdir(os.path.join(own, assignment)) else []
        if len(kept) >= self.quota.submissions:
            raise plain.Refused(f"you have submitted {assignment} {len(kept)} times, the most the exchange keeps; "
                                "ask your instructor")
        stored = sum(os.lstat(os.path.join(folder, name)).st_size for folder, _, names in os.walk(own)
                     for name in names if f"{os.sep}files" in folder[len(own):])  # what was received, no receipt
        if stored + size > self.quota.total_bytes:
            raise plain.Refused(f"your submissions would take {stored + size} bytes, more than the "
                                f"{self.quota.total_bytes} the exchange keeps for one student; ask your instructor")

    def receipts(self, course, assignment=None, student=None):
        """Every receipt of `course`, oldest first, narrowed to an assignment and/or a student."""
        found = []
        top = self._path(course, "submissions")
        for who in sorted(os.listdir(top)) if os.path.isdir(top) else ():
            if student is not None and who != student:
                continue
            for what in sorted(os.listdir(os.path.join(top, who))):
                if assignment is not None and what != assignment:
                    continue
                for receipt_id in sorted(os.listdir(os.path.join(top, who, what))):
                    if not receipt_id.startswith("."):
                        with open(os.path.join(top, who, what, receipt_id, "receipt.json"), encoding="utf-8") as handle:
                            found.append(json.load(handle))
        return sorted(found, key=lambda r: (r["received"], r["receipt_id"]))

    def _submission(self, course, student, assignment, receipt_id):
        folder = self._path(course, "submissions", check_id("student", student), check_id("assignment", assignment),
                            check_id("receipt", receipt_id))
        if receipt_id.startswith(".") or not os.path.isdir(folder):
            raise NotFound(f"no submission {receipt_id} of {student} for {assignment}")
        return folder

    def submission_files(self, course, student, assignment, receipt_id):
        return _read_tree(os.path.join(self._submission(course, student, assignment, receipt_id), "files"))

    # ---------------------------------------------------------------- feedback

    def receipts_with_feedback(self, course, assignment=None, student=None):
        """[{"receipt": ..., "feedback": {name: sha256}}] for `receipts`' selection."""
        found = []
        for receipt in self.receipts(course, assignment, student):
            folder = self._path(course, "feedback", receipt["student_id"], receipt["assignment_id"], receipt["receipt_id"])
            feedback = _read_tree(folder) if os.path.isdir(folder) else ()
            found.append({"receipt": receipt, "feedback": {name: receipts.sha256(data) for name, data in feedback}})
        return found

    def put_feedback(self, course, student, assignment, receipt_id, files):
        self._submission(course, student, assignment, receipt_id)
        plain.check_files(files, self.limits)
        folder = self._path(course, "feedback", student, assignment)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        plain.replace_folder(os.path.join(folder, receipt_id), files, mode=0o600)

    def feedback(self, course, student, assignment, receipt_id):
        self._submission(course, student, assignment, receipt_id)
        folder = self._path(course, "feedback", student, assignment, receipt_id)
        return _read_tree(folder) if os.path.isdir(folder) else ()
