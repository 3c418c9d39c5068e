"""Talking to the exchange service, and the base of the course's nbgrader exchange classes.

Every request carries the hub token of the server it is made from (JUPYTERHUB_API_TOKEN): the
service learns from the hub whose it is, so nothing here can say who the caller is.
"""

import base64
import os

import requests
from nbgrader.exchange.abc import Exchange as AbstractExchange
from nbgrader.exchange.abc import ExchangeError
from traitlets import Float, Unicode


def decoded(files):
    """((name, bytes), ...) of an answer's {name: base64}, sorted by name."""
    return tuple((name, base64.b64decode(data)) for name, data in sorted(files.items()))


class ExchangeService:
    """The exchange's HTTP API: JSON in and out, files as {name: base64}."""

    def __init__(self, url, token, timeout=120):
        self.url, self.timeout = url.rstrip("/"), timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def call(self, method, path, **kwargs):
        try:
            response = self.session.request(method, f"{self.url}/api/{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise ExchangeError(f"the course's exchange at {self.url} cannot be reached: {error}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = {"error": response.text[:300]}
        if response.status_code >= 400:
            reason = answer.get("error") if isinstance(answer, dict) else answer
            raise ExchangeError(f"the exchange refused ({response.status_code}): {reason}")
        return answer

    def files(self, path):
        return decoded(self.call("GET", path)["files"])

    def send(self, method, path, files, **fields):
        """`files` as the body's {name: base64}, beside any other `fields` of the body (a release's due date)."""
        body = {"files": {name: base64.b64encode(data).decode("ascii") for name, data in files}, **fields}
        return self.call(method, path, json=body)


class HubExchange(AbstractExchange):
    """What every exchange class of the course shares: where the service is, and who asks."""

    url = Unicode("", help="the exchange service's address with its prefix, "
                           "e.g. http://127.0.0.1:8002/services/exchange (set by the hub)").tag(config=True)
    request_timeout = Float(120.0, help="seconds to wait for the exchange service").tag(config=True)
    token_variable = Unicode("JUPYTERHUB_API_TOKEN",
                             help="the environment variable holding this server's hub token").tag(config=True)

    @property
    def service(self):
        if not self.url:
            self.fail("no exchange service is configured (c.HubExchange.url)")
        token = os.environ.get(self.token_variable)
        if not token:
            self.fail(f"{self.token_variable} is not set: run this from a server the hub started")
        return ExchangeService(self.url, token, self.request_timeout)

    @property
    def course(self):
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def init_src(self):
        pass

    def init_dest(self):
        pass

    def local_folder(self, assignment):
        return os.path.abspath(os.path.join(self.assignment_dir, assignment))
