"""Lateness where the instructor looks: each assignment's due date and late students in the terminal
summary of `python -m autograder grade` and in summary.html, and a warning when a due date looks
entered wrongly.

grades.csv alone held lateness (two columns), so a due date nbgrader read otherwise than meant set
a class to 0 unseen: its `parse_utc` reads `05/12/2026` as May 12 and drops a zone abbreviation
such as `BST`, reading the time as UTC. The due date shown is therefore the gradebook's (what
nbgrader measures lateness against), never the string that was entered, in UTC and in the course's
zone, set in nbgrader_config.py:

    c.CourseCalendar.timezone = "Europe/London"   # default "UTC"
"""

import datetime
import html
import math
import zoneinfo

from traitlets import TraitError, Unicode, validate
from traitlets.config import Configurable

# With fewer submissions, most of them late says little about the due date.
MOST_LATE_MIN_SUBMISSIONS = 3
# A term's submissions come within weeks of their due date; further than this from all of them, the
# due date is more likely a wrong month, day/month order or year than a class that is that late.
FAR_OFF_DAYS = 60


class CourseCalendar(Configurable):
    """The course's time zone, in which reports show due dates beside UTC."""

    timezone = Unicode("UTC", help="the course's time zone, an IANA name such as Europe/London: the grader's "
                                   "terminal summary and summary.html show each due date in UTC and in this "
                                   "zone").tag(config=True)

    @validate("timezone")
    def _known_zone(self, proposal):
        try:
            zoneinfo.ZoneInfo(proposal["value"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise TraitError(f"c.CourseCalendar.timezone: unknown time zone {proposal['value']!r} "
                             "(expected an IANA name such as Europe/London or UTC)") from error
        return proposal["value"]

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)


def due_text(due, zone):
    """'2026-03-01 12:00 UTC (2026-03-01 12:00 GMT, Europe/London)': `due` is the gradebook's naive UTC time."""
    utc = due.replace(tzinfo=datetime.timezone.utc)
    text = f"{utc:%Y-%m-%d %H:%M} UTC"
    if zone.key != "UTC":
        text += f" ({utc.astimezone(zone):%Y-%m-%d %H:%M %Z}, {zone.key})"
    return text


def late_submissions(graded, assignment):
    """[(student, hours late, extension hours, penalty points)] of the assignment's late submissions,
    by student; lateness is after the extension, as nbgrader counts it. graded: Gradebook.snapshot."""
    return sorted((student, entry["seconds_late"] / 3600, entry["extension_hours"], entry["penalty"])
                  for student, by_assignment in graded.items()
                  if (entry := by_assignment.get(assignment)) and entry["seconds_late"] > 0)


def _hours_at_least(hours):
    """Hours rounded down, so that "late by N h or more" holds."""
    return f"{math.floor(hours)}" if hours >= 10 else f"{math.floor(hours * 10) / 10:.1f}"


def _likely_cause(due, submitted, late_hours):
    """Why a due date may be far from its submissions, from how nbgrader's parse_utc reads dates."""
    middle = sorted(submitted)[len(submitted) // 2]
    if due.day <= 12 and due.day != due.month:  # the same digits read day first: still a date
        meant = due.replace(month=due.day, day=due.month)
        if abs(meant - middle) < abs(due - middle):
            return (f"was it entered day/month the wrong way round? nbgrader reads "
                    f"{due.month:02}/{due.day:02}/{due.year} as {due:%B} {due.day}, not {meant.day} {meant:%B}")
    if late_hours and max(late_hours) < 24:  # within a day: a zone, not a date
        return ("was it entered in the wrong zone? nbgrader reads a time without a zone, or with an "
                "abbreviation such as BST, as UTC")
    return ("was its date, day/month order, year or zone entered wrongly? nbgrader reads 05/12/2026 as "
            "May 12, and a time without a zone (or with an abbreviation such as BST) as UTC")


def due_date_warnings(graded, due_dates):
    """One line per assignment whose due date makes most of its class late (more than half of at least
    MOST_LATE_MIN_SUBMISSIONS submissions) or lies more than FAR_OFF_DAYS from every submission, with
    the likely cause. Only submissions whose time is known count. due_dates: Gradebook.due_dates."""
    warnings = []
    for assignment, due in due_dates.items():
        entries = [by_assignment[assignment] for by_assignment in graded.values()
                   if by_assignment.get(assignment) and by_assignment[assignment]["submitted_at"]]
        if due is None or not entries:
            continue
        submitted = [entry["submitted_at"] for entry in entries]
        late_hours = sorted(entry["seconds_late"] / 3600 for entry in entries if entry["seconds_late"] > 0)
        nearest_days = min(abs(time - due) for time in submitted) / datetime.timedelta(days=1)
        due_utc = due_text(due, zoneinfo.ZoneInfo("UTC"))
        if len(entries) >= MOST_LATE_MIN_SUBMISSIONS and 2 * len(late_hours) > len(entries):
            finding = (f"{len(late_hours)} of {len(entries)} submissions are late by {_hours_at_least(late_hours[0])} h "
                       f"or more against the due date {due_utc}")
        elif nearest_days > FAR_OFF_DAYS:
            finding = (f"the due date {due_utc} lies {int(nearest_days)} days or more from every submission "
                       f"({len(entries)})")
        else:
            continue
        warnings.append(f"warning: {assignment}: {finding}: {_likely_cause(due, submitted, late_hours)}")
    return warnings


def lateness_text(graded, due_dates, zone):
    """The terminal's lines: per assignment its due date and late students."""
    lines = ["lateness (due dates as the gradebook holds them; hours late after any extension):"]
    for assignment, due in due_dates.items():
        if due is None:
            lines.append(f"  {assignment}: no due date in the gradebook, so no submission is late")
            continue
        late = late_submissions(graded, assignment)
        submitted = sum(bool(by_assignment.get(assignment)) for by_assignment in graded.values())
        lines.append(f"  {assignment}: due {due_text(due, zone)}; {len(late)} of {submitted} submissions late")
        lines += [f"    {student}: {hours:.2f} h late, extension {extension:g} h, penalty {penalty:g} points"
                  for student, hours, extension, penalty in late]
    return "\n".join(lines)


def lateness_html(graded, due_dates, zone):
    """summary.html's section: per assignment its due date and a table of its late students."""
    parts = ["<h2>Lateness</h2><p>Due dates as the gradebook holds them; hours late after any extension.</p>"]
    for assignment, due in due_dates.items():
        if due is None:
            parts.append(f"<p><b>{html.escape(assignment)}</b>: no due date in the gradebook, so no "
                         "submission is late.</p>")
            continue
        late = late_submissions(graded, assignment)
        parts.append(f"<p><b>{html.escape(assignment)}</b>: due {html.escape(due_text(due, zone))}; "
                     f"{len(late)} late</p>")
        if late:
            parts.append("<table><tr><th>student</th><th>hours late</th><th>extension (hours)</th>"
                         "<th>penalty (points)</th></tr>"
                         + "".join(f"<tr><td>{html.escape(student)}</td><td>{hours:.2f}</td><td>{extension:g}</td>"
                                   f"<td>{penalty:g}</td></tr>" for student, hours, extension, penalty in late)
                         + "</table>")
    return "".join(parts)
