"""The exchange service's storage: released assignments and their due dates, submissions with their
signed receipts, the instructor's feedback and the practice grading service's practice feedback, in a
folder only the service's account can read (0700).

A submission is written once, under a receipt id the store makes, and never changed or removed: a
student submitting again adds a submission. Its receipt records the store's own clock, the account
the service authenticated, and the SHA-256 of each file received, and is signed with the store's
Ed25519 key (made on first use, 0600, never sent anywhere; its public half is for everyone).

    <root>/signing.key
    <root>/<course>/released/<assignment>/...            the release, replaced as a whole
    <root>/<course>/due/<assignment>.json                {"due": "2026-12-08 17:00:00 UTC" or null}, replaced by each release
    <root>/<course>/submissions/<student>/<assignment>/<receipt id>/receipt.json, files/...
    <root>/<course>/feedback/<student>/<assignment>/<receipt id>/<notebook>.html   official (the instructor's)
    <root>/<course>/practice/<student>/<assignment>/<receipt id>/<name>            practice (the grading service's)

Official and practice feedback never touch each other: each is replaced as a whole, by its own
writer only. What a student is shown for a receipt (`shown_feedback`) is the official feedback once
the instructor released it, else the practice pages (``*.html``) only: never practice.json nor any
other file the grading service keeps beside them, whose content (scores per hidden test) is not
for students.
"""

import datetime
import json
import os
import re
import secrets
from dataclasses import dataclass

from dateutil.parser import parse as parse_time

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


def due_text(value):
    """`value` (None, or a date and time as text; without a zone it is UTC, nbgrader's way) in the store's
    form, "2026-12-08 17:00:00 UTC"; Refused when it is neither."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise plain.Refused(f"{value!r} is not a due date (a date and time as text, or null)")
    try:
        when = parse_time(value)
    except (ValueError, OverflowError) as error:
        raise plain.Refused(f"{value!r} is not a due date ({error})") from error
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc)
    return when.strftime(TIME_FORMAT if when.microsecond else "%Y-%m-%d %H:%M:%S UTC")


def _plain_names(files):
    """`files`, Refused unless every name is a plain name (no folder): practice files are pages beside each other."""
    for name, _ in files:
        if "/" in name:
            raise plain.Refused(f"{name!r}: practice files take plain names, no folder")
    return files


def _names(folder):
    """The relative names of the files under `folder`, sorted as `_read_tree` gives them, none read."""
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        found.extend(os.path.relpath(os.path.join(directory, name), folder).replace(os.sep, "/") for name in sorted(names))
    return found


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
        # The grading service lists every receipt with its feedback's digests every few seconds: a receipt
        # never changes once written, and a feedback file only by its folder being replaced (a new file),
        # so each is read once, not at every look.
        self._receipt_cache, self._digest_cache = {}, {}
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

    def release(self, course, assignment, files, due=None):
        """Release `files` as `assignment`, replacing any earlier release and its due date with `due`."""
        plain.check_files(files, plain.RELEASE_LIMITS)
        due = due_text(due)  # checked before anything is written
        folder = self._path(course, "released")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        plain.replace_folder(os.path.join(folder, check_id("assignment", assignment)), files, mode=0o600)
        self._write_due(course, assignment, due)

    def _write_due(self, course, assignment, due):
        folder = self._path(course, "due")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fresh = os.path.join(folder, f".{check_id('assignment', assignment)}.json.new-{secrets.token_hex(4)}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"due": due}, handle)
        os.replace(fresh, os.path.join(folder, f"{assignment}.json"))  # the old date or the new, never half

    def due(self, course):
        """{assignment: due date text or None} of every released assignment of `course`."""
        found = {}
        for assignment in self.released(course):
            try:
                with open(self._path(course, "due", f"{assignment}.json"), encoding="utf-8") as handle:
                    found[assignment] = json.load(handle)["due"]
            except FileNotFoundError:  # released before the exchange kept due dates
                found[assignment] = None
        return found

    def released(self, course):
        """{assignment: [file names]} of every released assignment of `course`."""
        folder = self._path(course, "released")
        if not os.path.isdir(folder):
            return {}
        return {name: _names(os.path.join(folder, name)) for name in sorted(os.listdir(folder))
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
                        found.append(self._receipt(os.path.join(top, who, what, receipt_id, "receipt.json")))
        return sorted(found, key=lambda r: (r["received"], r["receipt_id"]))

    def _receipt(self, path):
        if path not in self._receipt_cache:
            with open(path, encoding="utf-8") as handle:
                self._receipt_cache[path] = json.load(handle)
        return self._receipt_cache[path]

    def _submission(self, course, student, assignment, receipt_id):
        folder = self._path(course, "submissions", check_id("student", student), check_id("assignment", assignment),
                            check_id("receipt", receipt_id))
        if receipt_id.startswith(".") or not os.path.isdir(folder):
            raise NotFound(f"no submission {receipt_id} of {student} for {assignment}")
        return folder

    def submission_files(self, course, student, assignment, receipt_id):
        return _read_tree(os.path.join(self._submission(course, student, assignment, receipt_id), "files"))

    # ---------------------------------------------------------------- feedback, official and practice

    def _feedback_folder(self, kind, course, student, assignment, receipt_id):
        """The folder of `kind` ("feedback": official, "practice") of an existing receipt, NotFound else."""
        self._submission(course, student, assignment, receipt_id)
        return self._path(course, kind, student, assignment, receipt_id)

    def _kept(self, kind, course, student, assignment, receipt_id):
        folder = self._feedback_folder(kind, course, student, assignment, receipt_id)
        return _read_tree(folder) if os.path.isdir(folder) else ()

    def _put(self, kind, course, student, assignment, receipt_id, files):
        target = self._feedback_folder(kind, course, student, assignment, receipt_id)
        plain.check_files(files, self.limits)
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        plain.replace_folder(target, files, mode=0o600)

    def put_feedback(self, course, student, assignment, receipt_id, files):
        """The instructor's official feedback of a receipt, replacing any earlier (practice files stay)."""
        self._put("feedback", course, student, assignment, receipt_id, files)

    def official_feedback(self, course, student, assignment, receipt_id):
        return self._kept("feedback", course, student, assignment, receipt_id)

    def put_practice(self, course, student, assignment, receipt_id, files):
        """The grading service's practice files of a receipt, replacing its earlier ones as a whole."""
        self._put("practice", course, student, assignment, receipt_id, _plain_names(files))

    def practice(self, course, student, assignment, receipt_id):
        return self._kept("practice", course, student, assignment, receipt_id)

    def practice_statement(self, course, student, assignment, receipt_id, files):
        """The store's signed word that `files` are the practice files of that receipt: what lets the
        instructor's grader take a practice score (c.Grader.practice_scores) without trusting the bytes
        that travelled beside the submission."""
        return receipts.sign({"kind": "practice", "course_id": course, "assignment_id": assignment,
                              "student_id": student, "receipt_id": receipt_id,
                              "files": {name: receipts.sha256(data) for name, data in files}}, self.key)

    def shown_feedback(self, course, student, assignment, receipt_id):
        """(files, is practice) a student is shown for a receipt: the official feedback once released,
        else its practice pages (*.html), never practice.json or any other practice file."""
        official = self.official_feedback(course, student, assignment, receipt_id)
        if official:
            return official, False
        pages = tuple((name, data) for name, data in self.practice(course, student, assignment, receipt_id)
                      if name.endswith(".html"))
        return pages, bool(pages)

    def feedback(self, course, student, assignment, receipt_id):
        """What the student's Fetch Feedback downloads for a receipt (see `shown_feedback`)."""
        return self.shown_feedback(course, student, assignment, receipt_id)[0]

    def _tree_digests(self, folder):
        """{name: sha256} of the files under `folder` ({} when there is none). A file is hashed once per
        version: feedback is only ever replaced by a new folder of new files, whose (inode, times, size)
        differ from the file the digest was taken of."""
        found = {}
        for name in _names(folder):
            path = os.path.join(folder, *name.split("/"))
            info = os.lstat(path)
            stamp = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size)
            cached = self._digest_cache.get(path)
            if cached is None or cached[0] != stamp:
                with open(path, "rb") as handle:
                    cached = self._digest_cache[path] = (stamp, receipts.sha256(handle.read()))
            found[name] = cached[1]
        return found

    def receipts_with_feedback(self, course, assignment=None, student=None, *, staff=False):
        """`receipts`' selection, each as {"receipt", "feedback": {name: sha256}, "practice"}.

        For a student (staff False): "feedback" is what `shown_feedback` gives, "practice" whether it is
        practice feedback. For staff (instructors, the grading service): "feedback" is the official
        feedback, "practice" {name: sha256} of every practice file."""
        found = []
        for receipt in self.receipts(course, assignment, student):
            where = (receipt["student_id"], receipt["assignment_id"], receipt["receipt_id"])
            official = self._tree_digests(self._path(course, "feedback", *where))
            practice = self._tree_digests(self._path(course, "practice", *where))
            if staff:
                entry = {"feedback": official, "practice": practice}
            else:  # the same rule as shown_feedback, from the digests
                pages = {name: digest for name, digest in practice.items() if name.endswith(".html")}
                entry = {"feedback": official or pages, "practice": not official and bool(pages)}
            found.append({"receipt": receipt, **entry})
        return found
