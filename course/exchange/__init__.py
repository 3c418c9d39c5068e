"""The course's exchange client: nbgrader's release, fetch, submit, collect and feedback through the
course's exchange service on a hub (deploy/jupyterhub/exchange_service.py), instead of a folder every
user can write.

The service decides who (the hub account behind the request's token), when (its own clock) and what
(plain bytes, bounded); it keeps each submission unchanged and signs a receipt for it. This package
is what both roles' servers run: the nbgrader exchange classes (``student``, ``instructor``), the
HTTP client under them (``client``), the rules for files (``files``) and receipts (``receipt``).
It holds no secret: the signing key stays with the service.

On a hub, each role's nbgrader settings (deploy/jupyterhub/roles.py) and the course's own
nbgrader_config.py call `use_exchange_service`; the hub names the service in BACKPROP_EXCHANGE_URL.
"""

URL_VARIABLE = "BACKPROP_EXCHANGE_URL"

CLASSES = {"exchange": "client.HubExchange", "list": "student.List", "fetch_assignment": "student.FetchAssignment",
           "submit": "student.Submit", "fetch_feedback": "student.FetchFeedback",
           "release_assignment": "instructor.ReleaseAssignment", "collect": "instructor.Collect",
           "release_feedback": "instructor.ReleaseFeedback"}


def use_exchange_service(c, url):
    """nbgrader config `c`: every exchange step through the course's exchange service at `url`."""
    for step, name in CLASSES.items():
        setattr(c.ExchangeFactory, step, f"course.exchange.{name}")
    c.HubExchange.url = url
    # A folder exchange's settings (make lab's) mean nothing here.
    c.Exchange.pop("root", None)
    c.Exchange.pop("cache", None)
