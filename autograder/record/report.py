"""The instructor's view of the gradebook after a run: grades.csv, a per-exercise summary table and plot."""

import csv
import html
import pathlib

from autograder.grading.outcome import AssignmentResult
from autograder.record.term import NOT_YET_DUE, missing

# A student's status is the worst of their assignments'; "not yet due" (nothing handed in, not due) is no failure.
STATUS_ORDER = {NOT_YET_DUE: -1, "graded": 0, "flagged": 1, "failed": 2}


def exercise_columns(assignments):
    """[(assignment, test grade_id, exercise, max points)] in course order."""
    return [(a, f"test_{ex}", ex, points) for a, exercises in assignments.items() for ex, points in exercises]


def _outcomes(student, graded, results, assignments, due_dates, extensions):
    """This run's outcome of each assignment, else the one recorded when it was last graded, else
    missing or not yet due (term.missing)."""
    outcomes = dict(results.get(student, {}))
    for assignment in assignments:
        entry = graded.get(student, {}).get(assignment, {})
        record = entry.get("record") or {}
        if assignment not in outcomes:
            outcomes[assignment] = (AssignmentResult(assignment, status=record["status"], reasons=record["reasons"])
                                    if record.get("status") else
                                    missing(assignment, due_dates.get(assignment),
                                            extensions.get((student, assignment))))
        outcome = outcomes[assignment]
        if outcome.status == "flagged" and entry and not entry["flagged"]:  # the instructor has reviewed it
            outcomes[assignment] = AssignmentResult(assignment, status="graded",
                                                    reasons=[*outcome.reasons, "flag cleared in the formgrader"])
    return outcomes


def _written_columns(row, assignment, entry, exercises, questions):
    """Per written question its score by hand ('' while it awaits a grader), then the assignment's
    autograded points, points graded by hand so far, and answers still awaiting a grader."""
    grades, pending = (entry["grades"], set(entry["pending"])) if entry else ({}, set())
    waiting = 0
    written = 0.0
    for grade_id, _ in questions:
        if grade_id in pending:
            row[f"{assignment}:{grade_id}"] = ""
            waiting += 1
        else:
            written += grades.get(grade_id, 0.0)
            row[f"{assignment}:{grade_id}"] = f"{grades.get(grade_id, 0.0):g}"
    row[f"{assignment}:auto"] = f"{sum(grades.get(f'test_{exercise}', 0.0) for exercise, _ in exercises):g}"
    row[f"{assignment}:written"] = f"{written:g}"
    row[f"{assignment}:written_pending"] = str(waiting)
    return waiting


def student_rows(graded, results, assignments, written=None, due_dates=None, extensions=None):
    """One row per student: per-exercise scores; per assignment the raw score, late penalty, final
    score and hours late; the total of final scores; status (worst of its assignments), reasons.

    graded: Gradebook.snapshot, so numbers are the gradebook's (the instructor's manual scores
    included) and equal nbgrader export's; results: this run's outcomes, for status and reasons.
    written: {assignment: [(grade_id, points)]} of answers graded by hand; an assignment that has
    some gets their columns and its autograded and hand-graded points apart (`_written_columns`),
    and the row counts the answers awaiting a grader in written_pending. due_dates ({assignment:
    naive UTC}) and extensions ({(student, assignment): hours}) tell missing from not yet due.
    """
    written = written or {}
    rows = []
    for student in sorted(set(graded) | set(results)):
        row = {"student": student}
        total = 0.0
        waiting = 0
        for assignment, exercises in assignments.items():
            entry = graded.get(student, {}).get(assignment)
            for exercise, _ in exercises:
                row[f"{assignment}:{exercise}"] = f"{entry['grades'].get(f'test_{exercise}', 0.0) if entry else 0:g}"
            if written.get(assignment):
                waiting += _written_columns(row, assignment, entry, exercises, written[assignment])
            late_hours = entry["seconds_late"] / 3600 if entry else 0.0
            row[f"{assignment}:raw"] = f"{entry['raw'] if entry else 0:g}"
            row[f"{assignment}:late_penalty"] = f"{entry['penalty'] if entry else 0:g}"
            row[f"{assignment}:score"] = f"{entry['score'] if entry else 0:g}"
            row[f"{assignment}:hours_late"] = f"{late_hours:.2f}" if late_hours else ""
            total += entry["score"] if entry else 0.0
        row["total"] = f"{total:g}"
        by_hand = sum(points for a in assignments for _, points in written.get(a, []))
        row["max"] = f"{sum(points for *_, points in exercise_columns(assignments)) + by_hand:g}"
        if any(written.get(a) for a in assignments):
            row["written_pending"] = str(waiting)
        outcomes = _outcomes(student, graded, results, assignments, due_dates or {}, extensions or {}).values()
        for outcome in outcomes:  # nothing handed in, not yet due: no score yet, as the LMS exports leave it
            if outcome.status == NOT_YET_DUE:
                row.update({key: "" for key in row if key.startswith(f"{outcome.assignment}:")})
        row["status"] = max((o.status for o in outcomes), key=STATUS_ORDER.__getitem__, default="failed")
        row["reason"] = "; ".join(f"{o.assignment}: {r}" for o in outcomes for r in o.reasons)
        rows.append(row)
    return rows


def write_grades_csv(rows, path):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fieldnames = list(rows[0]) if rows else ["student", "total", "max", "status", "reason"]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return path


def exercise_summary(rows, assignments):
    """Per exercise: mean score, and how many students got full, partial and zero marks (of those
    with a score: an assignment not yet due that a student has not handed in is left out)."""
    summary = []
    for assignment, _, exercise, points in exercise_columns(assignments):
        scores = [float(row[f"{assignment}:{exercise}"]) for row in rows if row[f"{assignment}:score"] != ""]
        full = sum(s >= points for s in scores)
        zero = sum(s == 0 for s in scores)
        summary.append({"assignment": assignment, "exercise": exercise, "points": points,
                        "mean": sum(scores) / len(scores) if scores else 0.0,
                        "full": full, "partial": len(scores) - full - zero, "zero": zero})
    return summary


def written_summary(rows, written):
    """Per written question: points, how many answers are graded by hand and how many await a
    grader, and the mean of those graded."""
    summary = []
    for assignment, questions in written.items():
        for grade_id, points in questions:
            values = [row.get(f"{assignment}:{grade_id}") for row in rows if row.get(f"{assignment}:score") != ""]
            done = [float(v) for v in values if v not in (None, "")]
            summary.append({"assignment": assignment, "question": grade_id, "points": points,
                            "graded": len(done), "pending": sum(v == "" for v in values),
                            "mean": sum(done) / len(done) if done else None})
    return summary


def plot_summary(summary, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{s['assignment'][:2]} {s['exercise']}" for s in summary]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.28 * len(summary) + 1)))
    left = [0] * len(summary)
    for key, colour in (("full", "#2a9d8f"), ("partial", "#e9c46a"), ("zero", "#e76f51")):
        values = [s[key] for s in summary]
        ax.barh(labels, values, left=left, color=colour, label=f"{key} marks")
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.set_title("Score distribution per exercise")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize="small", frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _written_table(rows, written):
    questions = written_summary(rows, written)
    if not questions:
        return ""
    waiting = sum(q["pending"] for q in questions)
    return (f"<h2>Written answers, graded by hand</h2><p>{waiting} answers await a grader (formgrader, "
            "Manual Grading); their points join the totals once graded and grade is run again.</p>"
            "<table><tr><th>assignment</th><th>question</th><th>points</th><th>mean</th><th>graded</th>"
            "<th>waiting</th></tr>"
            + "".join(f"<tr><td>{html.escape(q['assignment'])}</td><td>{html.escape(q['question'])}</td>"
                      f"<td>{q['points']:g}</td><td>{'' if q['mean'] is None else format(q['mean'], '.2f')}</td>"
                      f"<td>{q['graded']}</td><td>{q['pending']}</td></tr>" for q in questions)
            + "</table>")


def write_summary(rows, assignments, report_dir, notes=(), written=None, lateness="", class_reports=()):
    """summary.html (notes on how the run was made, links to the `class_reports` (file names beside it:
    autograder.insight), table, plot, written answers, the `lateness` section (HTML,
    autograder.record.late_report), flagged and failed lists) beside grades.csv; returns its path."""
    report_dir = pathlib.Path(report_dir)
    summary = exercise_summary(rows, assignments)
    plot = plot_summary(summary, report_dir / "score_distribution.png") if summary and rows else None
    table = "".join(
        f"<tr><td>{html.escape(s['assignment'])}</td><td>{html.escape(s['exercise'])}</td><td>{s['points']:g}</td>"
        f"<td>{s['mean']:.2f}</td><td>{s['full']}</td><td>{s['partial']}</td><td>{s['zero']}</td></tr>"
        for s in summary)
    listed = {status: [r for r in rows if r["status"] == status] for status in ("flagged", "failed")}
    sections = "".join(
        f"<h2>{status.capitalize()} ({len(items)})</h2><ul>"
        + "".join(f"<li><b>{html.escape(r['student'])}</b>: {html.escape(r['reason'])}</li>" for r in items)
        + "</ul>" for status, items in listed.items())
    page = (
        "<!doctype html><meta charset='utf-8'><title>Grading summary</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:2px 8px;text-align:right}"
        "td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}</style>"
        "<h1>Grading summary</h1>"
        + "".join(f"<p class='note'>{html.escape(note)}</p>" for note in notes)
        + f"<p>{len(rows)} students: "
        + ", ".join(f"{n} {s}" for s, n in status_counts(rows).items()) + "</p>"
        + (("<p>Class reports (the mistakes counted, similar work, pictures): " + ", ".join(
            f"<a href='{html.escape(name)}'>{html.escape(name[len('class-'):-len('.html')])}</a>"
            for name in class_reports) + "</p>") if class_reports else "")
        + (f"<img src='{plot.name}' alt='score distribution per exercise'>" if plot else "")
        + "<table><tr><th>assignment</th><th>exercise</th><th>points</th><th>mean</th><th>full</th>"
        "<th>partial</th><th>zero</th></tr>" + table + "</table>"
        + _written_table(rows, {a: q for a, q in (written or {}).items() if a in assignments}) + lateness
        + sections)
    path = report_dir / "summary.html"
    path.write_text(page)
    return path


def status_counts(rows):
    """{status: students} of graded, flagged and failed, then not yet due when some are."""
    counts = {s: sum(r["status"] == s for r in rows) for s in ("graded", "flagged", "failed", NOT_YET_DUE)}
    return {s: n for s, n in counts.items() if n or s != NOT_YET_DUE}


def summary_text(rows):
    """A few lines for the terminal."""
    lines = [f"{len(rows)} students: " + ", ".join(f"{n} {s}" for s, n in status_counts(rows).items())]
    waiting = sum(int(r.get("written_pending") or 0) for r in rows)
    if waiting:
        lines.append(f"{waiting} written answers await grading by hand (formgrader, Manual Grading); "
                     "run grade again afterwards to update grades.csv and the feedback")
    lines += [f"  {r['status']}: {r['student']}: {r['reason']}" for r in rows if r["status"] != "graded"]
    return "\n".join(lines)


def profile_text(results):
    """Seconds per step of grading, over the submissions graded in this run (grade --profile)."""
    graded = [r for by_assignment in results.values() for r in by_assignment.values() if r.graded_now and r.stages]
    totals = {}
    for result in graded:
        for stage, seconds in result.stages.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    whole = sum(totals.values()) or 1.0
    lines = [f"profile of {len(graded)} graded submissions (seconds of work, summed over parallel jobs):",
             f"  {'step':<16s} {'total s':>8s} {'per submission':>15s} {'share':>6s}"]
    lines += [f"  {stage:<16s} {seconds:8.1f} {seconds / max(1, len(graded)):15.2f} {seconds / whole:6.0%}"
              for stage, seconds in sorted(totals.items(), key=lambda item: -item[1])]
    return "\n".join(lines)
