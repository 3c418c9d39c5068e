"""The term's scope: which of the course's assignments grading, the reports and the LMS exports cover.

An assignment belongs to the term once students have it: released in the exchange (nbgrader's
folder exchange: its outbound folder; on a hub: the exchange service's list of releases), or given
a due date in the gradebook (`nbgrader db assignment add NAME --duedate=...`, which is how a course
that hands notebooks out through an LMS says so). Any other assignment of source/ is not graded,
not added to the gradebook, not reported and not exported, whatever a run names, so that the
reports and the exports are the same whichever assignments a run grades.

A course with neither (nothing released in the exchange, no due date anywhere) is taken to have
handed out what students handed in, and the run says so.

A student without a submission is missing only once the due date (plus their extension) has
passed; before it the assignment is "not yet due" for them, which is no failure.
"""

import dataclasses
import datetime
import difflib
import os
import pathlib

from autograder.grading.outcome import AssignmentResult

NOT_YET_DUE = "not yet due"
DUE_DATE_EXAMPLE = '--duedate="YYYY-MM-DD 17:00:00 Europe/London"'  # a form to fill in, never a date to copy


@dataclasses.dataclass
class Term:
    assignments: list  # in course order
    notes: list  # one line each: what was left out, and how to bring it in

    def left_out(self, names):
        return [name for name in names if name not in self.assignments]


def released(config):
    """(names released in the exchange, None) or (set(), why the exchange could not be asked)."""
    course = config.CourseDirectory.course_id
    try:
        if config.HubExchange.get("url"):
            from course.exchange.client import HubExchange

            return set(HubExchange(config=config).service.call("GET", f"courses/{course}/released")), None
        outbound = pathlib.Path(str(config.Exchange.root)) / course / "outbound"
        return {entry.name for entry in os.scandir(outbound) if entry.is_dir()} if outbound.is_dir() else set(), None
    except Exception as error:  # noqa: BLE001 - the run goes on from the due dates; the instructor is told
        return set(), f"the exchange could not be asked what is released ({str(error)[:200]})"


def _guess(name, names):
    close = difflib.get_close_matches(name, sorted(names), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def term_scope(config, course, due_dates, handed_in):
    """The Term of a course.

    course: its assignments in order (source/); due_dates: {gradebook assignment: due date or None};
    handed_in: {assignment: submissions} (submitted/, an LMS zip, the gradebook).
    """
    names, note = released(config)
    notes = [f"warning: {note}"] if note else []
    chosen = names | {name for name, due in due_dates.items() if due}
    if not chosen:
        chosen = {name for name, count in handed_in.items() if count}
        if chosen:
            notes.append(f"warning: no assignment is released in the exchange or has a due date in the gradebook, "
                         f"so the term is what students handed in ({', '.join(sorted(chosen))}); give each "
                         f"assignment its due date (nbgrader db assignment add NAME {DUE_DATE_EXAMPLE})")
    for name in sorted((chosen | set(due_dates)) - set(course)):
        notes.append(f"warning: {name} is in the {'exchange' if name in names else 'gradebook'} but has no "
                     f"notebook under source/{_guess(name, course)}: left out of grading, reports and exports")
    for name in course:
        if name not in chosen and handed_in.get(name):
            notes.append(f"warning: {handed_in[name]} submissions of {name} are not graded: it is neither released "
                         f"nor given a due date (nbgrader release_assignment {name}, or nbgrader db assignment add "
                         f"{name} {DUE_DATE_EXAMPLE})")
    if not chosen & set(course):
        notes.append("warning: nothing to grade: no assignment of source/ is released in the exchange, has a due "
                     "date in the gradebook or was handed in")
    return Term([name for name in course if name in chosen], notes)


def check_named(term, names, course):
    """None, or an error naming each assignment a run asked for that is outside the term."""
    outside = term.left_out(names)
    if not outside:
        return None
    return "; ".join(f"{name} is not released and has no due date, so nobody has it yet: release it "
                     f"(nbgrader release_assignment {name}) or give it a due date (nbgrader db assignment add "
                     f"{name} {DUE_DATE_EXAMPLE}), then grade it" for name in outside if name in course)


def missing(assignment, due, extension_hours=0.0, now=None):
    """The outcome of an assignment a student handed nothing in for: failed once it is due, else not yet due.

    due: the gradebook's due date (naive UTC) or None, when nothing says it could still come."""
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if due is not None and now < due + datetime.timedelta(hours=extension_hours or 0.0):
        return AssignmentResult(assignment, status=NOT_YET_DUE,
                                reasons=[f"not yet due (due {due:%Y-%m-%d %H:%M} UTC"
                                         + (f" + {extension_hours:g} h extension)" if extension_hours else ")")])
    return AssignmentResult(assignment, status="failed", reasons=["no submission"])


def source_assignments(config, root):
    """The course's assignments, in order: the folders of source/ that hold a notebook of their name."""
    source = pathlib.Path(root) / (config.CourseDirectory.get("source_directory") or "source")
    return sorted(d.name for d in source.iterdir() if (d / f"{d.name}.ipynb").is_file()) if source.is_dir() else []


def gradebook_term(config, root, gradebook):
    """The Term as nbgrader's own tools see it: from the exchange and an nbgrader Gradebook (the exports)."""
    return term_scope(config, source_assignments(config, root), {a.name: a.duedate for a in gradebook.assignments},
                      {a.name: len(a.submissions) for a in gradebook.assignments})

