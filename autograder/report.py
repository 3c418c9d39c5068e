"""The instructor's view of the gradebook after a run: grades.csv, a per-exercise summary table and plot."""

import csv
import html
import pathlib

from .worker import AssignmentResult

STATUS_ORDER = {"graded": 0, "flagged": 1, "failed": 2}


def exercise_columns(assignments):
    """[(assignment, test grade_id, exercise, max points)] in course order."""
    return [(a, f"test_{ex}", ex, points) for a, exercises in assignments.items() for ex, points in exercises]


def _outcomes(student, graded, results, assignments):
    """This run's outcome of each assignment, else the one recorded when it was last graded."""
    outcomes = dict(results.get(student, {}))
    for assignment in assignments:
        entry = graded.get(student, {}).get(assignment, {})
        record = entry.get("record") or {}
        if assignment not in outcomes:
            outcomes[assignment] = (AssignmentResult(assignment, status=record["status"], reasons=record["reasons"])
                                    if record.get("status") else
                                    AssignmentResult(assignment, status="failed", reasons=["no submission"]))
        outcome = outcomes[assignment]
        if outcome.status == "flagged" and entry and not entry["flagged"]:  # the instructor has reviewed it
            outcomes[assignment] = AssignmentResult(assignment, status="graded",
                                                    reasons=[*outcome.reasons, "flag cleared in the formgrader"])
    return outcomes


def student_rows(graded, results, assignments):
    """One row per student: per-exercise scores; per assignment the raw score, late penalty, final
    score and hours late; the total of final scores; status (worst of its assignments), reasons.

    graded: Gradebook.snapshot, so numbers are the gradebook's (the instructor's manual scores
    included) and equal nbgrader export's; results: this run's outcomes, for status and reasons.
    """
    rows = []
    for student in sorted(set(graded) | set(results)):
        row = {"student": student}
        total = 0.0
        for assignment, exercises in assignments.items():
            entry = graded.get(student, {}).get(assignment)
            for exercise, _ in exercises:
                row[f"{assignment}:{exercise}"] = f"{entry['grades'].get(f'test_{exercise}', 0.0) if entry else 0:g}"
            late_hours = entry["seconds_late"] / 3600 if entry else 0.0
            row[f"{assignment}:raw"] = f"{entry['raw'] if entry else 0:g}"
            row[f"{assignment}:late_penalty"] = f"{entry['penalty'] if entry else 0:g}"
            row[f"{assignment}:score"] = f"{entry['score'] if entry else 0:g}"
            row[f"{assignment}:hours_late"] = f"{late_hours:.2f}" if late_hours else ""
            total += entry["score"] if entry else 0.0
        row["total"] = f"{total:g}"
        row["max"] = f"{sum(points for *_, points in exercise_columns(assignments)):g}"
        outcomes = _outcomes(student, graded, results, assignments).values()
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
    """Per exercise: mean score, and how many students got full, partial and zero marks."""
    summary = []
    for assignment, _, exercise, points in exercise_columns(assignments):
        scores = [float(row[f"{assignment}:{exercise}"]) for row in rows]
        full = sum(s >= points for s in scores)
        zero = sum(s == 0 for s in scores)
        summary.append({"assignment": assignment, "exercise": exercise, "points": points,
                        "mean": sum(scores) / len(scores) if scores else 0.0,
                        "full": full, "partial": len(scores) - full - zero, "zero": zero})
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


def write_summary(rows, assignments, report_dir, notes=()):
    """summary.html (notes on how the run was made, table, plot, flagged and failed lists) beside
    grades.csv; returns its path."""
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
        + ", ".join(f"{sum(r['status'] == s for r in rows)} {s}" for s in STATUS_ORDER) + "</p>"
        + (f"<img src='{plot.name}' alt='score distribution per exercise'>" if plot else "")
        + "<table><tr><th>assignment</th><th>exercise</th><th>points</th><th>mean</th><th>full</th>"
        "<th>partial</th><th>zero</th></tr>" + table + "</table>" + sections)
    path = report_dir / "summary.html"
    path.write_text(page)
    return path


def summary_text(rows):
    """A few lines for the terminal."""
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUS_ORDER}
    lines = [f"{len(rows)} students: " + ", ".join(f"{n} {s}" for s, n in counts.items())]
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
