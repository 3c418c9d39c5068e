"""The course's exchange, a JupyterHub service: the server decides who, when and what.

- Who: every request carries its user's hub token (each server has one, JUPYTERHUB_API_TOKEN); the
  service asks the hub whose it is. No flag, folder name or field of the request names the student.
- When: a submission's time is this service's clock at receipt.
- What: files arrive as bytes in the request (the client never sends a link, and could not make the
  service follow one), under checked names, within the limits below; a refusal says why.
- Roles: a hub *user* is an instructor or a student of the course (--ExchangeService.instructors,
  .students); a hub *service* is the grader when its name is in --ExchangeService.graders (the
  practice grading service, its own JUPYTERHUB_API_TOKEN); any other account or service is refused.
  The hub answers a service's own token (GET hub/api/user, what HubAuth.user_for_token asks) with
  {"kind": "service", "name": ...}, a user's with {"kind": "user", ...}: no role or scope is needed
  for it (JupyterHub 5.3), and a service is never taken for the user of the same name.
- A student lists and downloads only their own submissions and feedback, and can change none; only
  instructors release (with the assignment's due date), collect and return feedback. Nothing is ever
  deleted or replaced but a release with its due date or a feedback file, by an instructor, and a
  receipt's practice files, by the grader.
- The grader reads every submission and puts practice feedback for a receipt, nothing else: no
  release, no submission, no official feedback. A student is shown a receipt's official feedback
  once released, else its practice pages (*.html only), each listed with "practice": true or false.

API (under the service's prefix; JSON; files as {name: base64}):

    GET  api/whoami                                       every role: {name, role, public_key, limits}
    GET  api/courses/C/released                           every role: {assignment: [file names]}
    GET  api/courses/C/released/A                         instructor, student: {files}
    PUT  api/courses/C/released/A                         instructor: {files, due: "2026-12-08 17:00:00 UTC" | null}
    GET  api/courses/C/due                                every role: {assignment: due | null}
    POST api/courses/C/submissions/A                      student: {files} -> the signed receipt
    GET  api/courses/C/submissions[/A][?student=S]        a student their own; instructor, grader anyone's:
         [{receipt, feedback: {name: sha256}, practice}]  practice: a student a bool, staff {name: sha256}
    GET  api/courses/C/submissions/A/S/R                  the student S, instructor, grader: {files} submitted
    GET  api/courses/C/feedback/A/S/R                     the student S: what is shown; instructor: official:
                                                          {files, practice: bool}
    PUT  api/courses/C/feedback/A/S/R                     instructor: {files} official feedback
    GET  api/courses/C/practice/A/S/R                     instructor, grader: {files, statement} practice files,
                                                          statement: the store's signature over their SHA-256
    PUT  api/courses/C/practice/A/S/R                     grader: {files} (plain names), replacing them all

The hub starts it (jupyterhub_config.py), as an account of its own that alone can read the store
and its signing key. Run by hand: python exchange_service.py --ExchangeService.store=DIR ...
"""

import base64
import functools
import json
import os
import sys

from jupyterhub.services.auth import HubAuth
from tornado import ioloop, web
from traitlets import Integer, List, Unicode
from traitlets.config import Application

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exchange_store import NotFound, Quota, Store

from course.exchange import files as plain


def encode(files):
    return {name: base64.b64encode(data).decode("ascii") for name, data in files}


def decode(body):
    try:
        return tuple((name, base64.b64decode(data, validate=True)) for name, data in json.loads(body)["files"].items())
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise plain.Refused(f"the request is not a set of files ({error})") from error


def decode_due(body):
    """The release's "due" field: None when absent (a client from before due dates)."""
    try:
        return json.loads(body).get("due")
    except (ValueError, AttributeError) as error:
        raise plain.Refused(f"the request is not a release ({error})") from error


def role_of(model, service):
    """The role of the hub account `model` (HubAuth's answer) in the course, or None: refused."""
    if model.get("kind") == "service":  # a service's token: only a named grader acts, never as a user
        return "grader" if model["name"] in service.graders else None
    if model["name"] in service.instructors:
        return "instructor"
    if model["name"] in service.students:
        return "student"
    return None


class Handler(web.RequestHandler):
    @property
    def service(self):
        return self.settings["service"]

    async def prepare(self):
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = None
        if scheme.lower() in ("token", "bearer") and token:
            user = await self.service.hub_auth.user_for_token(token.strip(), sync=False)
        if not user:
            raise web.HTTPError(401, "no valid hub token: call from a server the hub started")
        self.user, self.role = user["name"], role_of(user, self.service)
        if self.role is None:
            kind = "the service" if user.get("kind") == "service" else "the account"
            raise web.HTTPError(403, f"{kind} {self.user} is not in this course")

    def course(self, course):
        if course != self.service.course_id:
            raise web.HTTPError(404, f"no course {course} here")
        return course

    def only(self, *roles):
        if self.role not in roles:
            raise web.HTTPError(403, f"only the course's {' and '.join(f'{r}s' for r in roles)} may do this")

    def instructors_only(self):
        self.only("instructor")

    @property
    def staff(self):
        """Instructors and the grader: they see every student's submissions and the practice files."""
        return self.role in ("instructor", "grader")

    def own_or_staff(self, student):
        if not self.staff and student != self.user:
            raise web.HTTPError(403, "a student sees only their own submissions and feedback")

    def reply(self, value, status=200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value))

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        reason = getattr(error, "log_message", None) or str(error or self._reason)
        self.reply({"error": reason}, status_code)

    async def run(self, function, *args):
        try:
            return await ioloop.IOLoop.current().run_in_executor(None, function, *args)
        except plain.Refused as refused:
            raise web.HTTPError(400, str(refused)) from refused
        except NotFound as missing:
            raise web.HTTPError(404, str(missing)) from missing


class Who(Handler):
    def get(self):
        limits = self.service.store.limits
        self.reply({"name": self.user, "role": self.role, "public_key": self.service.store.public_key,
                    "limits": {"max_files": limits.max_files, "max_file_bytes": limits.max_file_bytes,
                               "max_total_bytes": limits.max_total_bytes}})


class Released(Handler):
    async def get(self, course, assignment=None):
        store = self.service.store
        if assignment is None:
            self.reply(await self.run(store.released, self.course(course)))
        else:
            self.only("instructor", "student")
            self.reply({"files": encode(await self.run(store.released_files, self.course(course), assignment))})

    async def put(self, course, assignment):
        self.instructors_only()
        files = await self.run(decode, self.request.body)
        due = await self.run(decode_due, self.request.body)
        await self.run(self.service.store.release, self.course(course), assignment, files, due)
        self.reply({"released": assignment})


class Due(Handler):
    async def get(self, course):
        """{assignment: due date or null} of every released assignment, for every role."""
        self.reply(await self.run(self.service.store.due, self.course(course)))


class Submissions(Handler):
    async def post(self, course, assignment):
        """A submission of the caller's own: the student is whoever the token belongs to."""
        if self.role != "student":
            raise web.HTTPError(403, "only students submit")
        files = await self.run(decode, self.request.body)
        self.reply(await self.run(self.service.store.submit, self.course(course), assignment, self.user, files), 201)

    async def get(self, course, assignment=None):
        """Receipts, each with the names and SHA-256 of its feedback: a student's own (with the feedback
        they are shown), or anyone's for staff (with the official feedback's and the practice files')."""
        student = self.get_argument("student", None) if self.staff else self.user
        self.reply(await self.run(functools.partial(self.service.store.receipts_with_feedback, staff=self.staff),
                                  self.course(course), assignment, student))


class SubmissionFiles(Handler):
    async def get(self, course, assignment, student, receipt_id):
        self.own_or_staff(student)
        files = await self.run(self.service.store.submission_files, self.course(course), student, assignment, receipt_id)
        self.reply({"files": encode(files)})


class Feedback(Handler):
    async def get(self, course, assignment, student, receipt_id):
        """A student's: what they are shown (official, else practice pages) and whether it is practice;
        an instructor's: the official."""
        self.only("instructor", "student")
        self.own_or_staff(student)
        store, which = self.service.store, (self.course(course), student, assignment, receipt_id)
        if self.role == "instructor":
            files, is_practice = await self.run(store.official_feedback, *which), False
        else:
            files, is_practice = await self.run(store.shown_feedback, *which)
        self.reply({"files": encode(files), "practice": is_practice})

    async def put(self, course, assignment, student, receipt_id):
        self.instructors_only()
        files = await self.run(decode, self.request.body)
        await self.run(self.service.store.put_feedback, self.course(course), student, assignment, receipt_id, files)
        self.reply({"feedback": receipt_id})


class Practice(Handler):
    async def get(self, course, assignment, student, receipt_id):
        self.only("instructor", "grader")
        store = self.service.store
        files = await self.run(store.practice, self.course(course), student, assignment, receipt_id)
        statement = store.practice_statement(course, student, assignment, receipt_id, files) if files else None
        self.reply({"files": encode(files), "statement": statement})

    async def put(self, course, assignment, student, receipt_id):
        self.only("grader")
        files = await self.run(decode, self.request.body)
        await self.run(self.service.store.put_practice, self.course(course), student, assignment, receipt_id, files)
        self.reply({"practice": receipt_id})


class ExchangeService(Application):
    name = "backprop-exchange"
    description = __doc__.splitlines()[0]
    store_dir = Unicode("", help="the folder of releases, submissions, receipts and feedback (made 0700)").tag(config=True)
    course_id = Unicode("", help="the one course this exchange serves").tag(config=True)
    instructors = List(Unicode(), help="hub accounts that release, collect and return feedback").tag(config=True)
    students = List(Unicode(), help="hub accounts that fetch and submit").tag(config=True)
    graders = List(Unicode(), help="hub services whose token acts as the grader: reads every submission "
                                   "and puts practice feedback, nothing else").tag(config=True)
    max_files = Integer(plain.Limits.max_files, help="files one submission may hold").tag(config=True)
    max_file_bytes = Integer(plain.Limits.max_file_bytes, help="bytes one submitted file may have").tag(config=True)
    max_total_bytes = Integer(plain.Limits.max_total_bytes, help="bytes one submission may have in all").tag(config=True)
    max_submissions = Integer(Quota.submissions, help="submissions one student may make of one assignment").tag(config=True)
    max_student_bytes = Integer(Quota.total_bytes, help="bytes the store keeps for one student, every submission counted").tag(config=True)
    aliases = {"store": "ExchangeService.store_dir", "course": "ExchangeService.course_id"}

    def start(self):
        if not self.store_dir or not self.course_id:
            self.exit("error: --store and --course are needed")
        self.store = Store(self.store_dir, plain.Limits(self.max_files, self.max_file_bytes, self.max_total_bytes),
                           quota=Quota(self.max_submissions, self.max_student_bytes))
        self.hub_auth = HubAuth()  # the hub gives its service the token and URLs in the environment
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/exchange/")
        part = r"([A-Za-z0-9_.@-]+)"
        routes = [(r"api/whoami", Who), (rf"api/courses/{part}/released", Released),
                  (rf"api/courses/{part}/released/{part}", Released),
                  (rf"api/courses/{part}/submissions", Submissions), (rf"api/courses/{part}/submissions/{part}", Submissions),
                  (rf"api/courses/{part}/submissions/{part}/{part}/{part}", SubmissionFiles),
                  (rf"api/courses/{part}/feedback/{part}/{part}/{part}", Feedback),
                  (rf"api/courses/{part}/practice/{part}/{part}/{part}", Practice), (rf"api/courses/{part}/due", Due)]
        # A request larger than a whole submission (in base64, with room for names) is cut off unread.
        app = web.Application([(prefix + route, handler) for route, handler in routes], service=self)
        url = os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8002")
        host, port = url.split("//", 1)[1].split("/")[0].rsplit(":", 1)
        app.listen(int(port), host.strip("[]"), max_body_size=self.max_total_bytes * 4 // 3 + 2**20,
                   xheaders=True)
        self.log.info("exchange for %s at %s%s, store %s", self.course_id, url, prefix, self.store_dir)
        ioloop.IOLoop.current().start()


if __name__ == "__main__":
    ExchangeService.launch_instance()
