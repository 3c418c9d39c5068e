"""`nbgrader db assignment add`, checked before nbgrader stores anything: the name and the due date.

nbgrader stores whatever it is given. An assignment name with no notebook under source/
(`01-notation` for `01_notation`) becomes an assignment of its own, 0 points for everyone; and its
`parse_utc` reads `05/12/2026` month first (May 12), drops a zone it cannot look up (`BST`, read as
UTC without a word) and takes `17:00 +0100` as 100 seconds east. Either would set a class's
grades or lateness wrongly at the next grading run, so nbgrader_config.py calls
`refuse_unclear_assignment(sys.argv, source)`: nbgrader stops with the reason and the form to
use, and nothing is stored. Two due-date forms are accepted, each read by nbgrader exactly as written:

    2026-12-05 17:00:00 Europe/London     date, time, then an IANA zone name (or UTC)
    2026-12-05T17:00:00+01:00             ISO 8601 with the offset right after the time
"""

import datetime
import difflib
import pathlib
import re
import zoneinfo

FORM = ('"YYYY-MM-DD HH:MM[:SS] ZONE" with an IANA zone name or UTC (2026-12-05 17:00:00 Europe/Berlin), '
        'or ISO 8601 with the offset after the time (2026-12-05T17:00:00+01:00, the same time)')
_TIME = r"(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
_NAMED = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2}) " + _TIME + r" (?P<zone>[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*)")
_OFFSET = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})[T ]" + _TIME + r"(?P<offset>Z|[+-]\d{2}:\d{2})")
_DAY_MONTH = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b")


def _known_zone(name):
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def due_date_problem(text):
    """None when nbgrader reads `text` as written, else what it would get wrong."""
    text = str(text).strip()
    match = _NAMED.fullmatch(text) or _OFFSET.fullmatch(text)
    if match is None:
        order = _DAY_MONTH.search(text)
        if order and int(order[1]) <= 12 and int(order[2]) <= 12:
            zone = text.split()[-1] if len(text.split()) == 3 else ""
            dropped = f", and would drop the zone {zone!r} and read the time as UTC" \
                if zone and zone not in ("UTC", "GMT") and not _known_zone(zone) else ""
            return (f"{text!r} is ambiguous: nbgrader reads {order[0]} month first ({order[1]}/{order[2]} is "
                    f"month {int(order[1])}, day {int(order[2])}){dropped}")
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
    if zone and zone not in ("UTC", "GMT") and not _known_zone(zone):
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


def added_assignment(argv):
    """The assignment an `nbgrader db assignment add NAME` command line names, else None."""
    words = [argument for argument in argv if not argument.startswith("-")]
    flags_with_values = {"--duedate", "--DbAssignmentAddApp.duedate", "--course-dir", "--db"}
    for position, argument in enumerate(argv):  # a flag's value given apart is no name
        if argument in flags_with_values and position + 1 < len(argv) and argv[position + 1] in words:
            words.remove(argv[position + 1])
    for position in range(len(words) - 2):
        if words[position:position + 2] == ["assignment", "add"]:
            return words[position + 2]
    return None


def name_problem(name, source):
    """None when `name` has a notebook under `source` (source/NAME/NAME.ipynb), else what is wrong."""
    source = pathlib.Path(source)
    known = sorted(d.name for d in source.iterdir() if (d / f"{d.name}.ipynb").is_file()) if source.is_dir() else []
    if name in known or not known:  # a course without notebooks yet has nothing to check against
        return None
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]}?" if close else "the assignments are " + ", ".join(known)
    return (f"{name!r} has no notebook under {source.name}/ ({hint}): nbgrader would add it as an assignment "
            "of its own, worth 0 points")


def refuse_unclear_assignment(argv, source):
    """Stop the command (SystemExit, nothing stored) when `nbgrader db assignment add` names no notebook of
    `source`, or a due date on its command line would be misread."""
    name = added_assignment(argv)
    problem = name and name_problem(name, source)
    if problem:
        raise SystemExit(f"error: nbgrader db assignment add: {problem}. Nothing was changed.")
    for value in due_date_values(argv):
        problem = due_date_problem(value)
        if problem:
            raise SystemExit(f"error: --duedate {problem}. Nothing was changed. Write it as {FORM}.")
