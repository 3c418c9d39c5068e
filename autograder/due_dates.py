"""Due dates in the one form nbgrader reads as meant, checked before `nbgrader db assignment add` stores one.

nbgrader's `parse_utc` reads `05/12/2026` month first (May 12), drops a zone it cannot look up
(`BST`, read as UTC without a word) and takes `17:00 +0100` as 100 seconds east. A due date it
misread would set a class's lateness wrongly at the next grading run, so nbgrader_config.py calls
`refuse_unclear_due_date(sys.argv)`: nbgrader stops with the form to use, and nothing is stored.
Two forms are accepted, each read by nbgrader exactly as written:

    2026-12-05 17:00:00 Europe/London     date, time, then an IANA zone name (or UTC)
    2026-12-05T17:00:00+01:00             ISO 8601 with the offset right after the time
"""

import datetime
import re
import zoneinfo

FORM = ('"YYYY-MM-DD HH:MM[:SS] ZONE" with an IANA zone name or UTC (2026-12-05 17:00:00 Europe/London), '
        'or ISO 8601 with the offset after the time (2026-12-05T17:00:00+01:00)')
_TIME = r"(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
_NAMED = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2}) " + _TIME + r" (?P<zone>[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*)")
_OFFSET = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})[T ]" + _TIME + r"(?P<offset>Z|[+-]\d{2}:\d{2})")
_DAY_MONTH = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b")


def due_date_problem(text):
    """None when nbgrader reads `text` as written, else what it would get wrong."""
    text = str(text).strip()
    match = _NAMED.fullmatch(text) or _OFFSET.fullmatch(text)
    if match is None:
        order = _DAY_MONTH.search(text)
        if order and int(order[1]) <= 12 and int(order[2]) <= 12:
            return (f"{text!r} is ambiguous: nbgrader reads {order[0]} month first ({order[1]}/{order[2]} is "
                    f"month {int(order[1])}, day {int(order[2])})")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text):
            return f"{text!r} has no time zone: nbgrader would read it as UTC"
        if re.search(r"\d{2}:\d{2}(:\d{2})? [+-]\d", text):
            return f"{text!r} has its offset after a space: nbgrader would read it as seconds, not hours"
        return f"{text!r} is not in a form nbgrader reads unambiguously"
    try:
        datetime.datetime.fromisoformat(f"{match['date']}T{match['time']}")
    except ValueError as error:
        return f"{text!r} is no date: {error}"
    zone = match.groupdict().get("zone")
    if zone and zone not in ("UTC", "GMT"):
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return (f"{text!r}: the zone {zone!r} is unknown, and nbgrader would drop it and read the time as UTC "
                    "(write an IANA name such as Europe/London, not an abbreviation such as BST)")
    return None


def due_date_values(argv):
    """The due dates given on an nbgrader command line (--duedate, --DbAssignmentAddApp.duedate)."""
    values = []
    for position, argument in enumerate(argv):
        for flag in ("--duedate", "--DbAssignmentAddApp.duedate"):
            if argument == flag and position + 1 < len(argv):
                values.append(argv[position + 1])
            elif argument.startswith(flag + "="):
                values.append(argument[len(flag) + 1:])
    return values


def refuse_unclear_due_date(argv):
    """Stop the command (SystemExit, nothing stored) when a due date on its command line would be misread."""
    for value in due_date_values(argv):
        problem = due_date_problem(value)
        if problem:
            raise SystemExit(f"error: --duedate {problem}. Nothing was changed. Write it as {FORM}.")
