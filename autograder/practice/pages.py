"""What a student gets back from a practice grading: the page Fetch Feedback shows, and practice.json.

After the practice service graded a submission into its own course root R (its own gradebook.db,
feedback/, autograded/), `practice_pages` reads the outcome from R's gradebook and the grader's record
and builds the files that go back through nbgrader's feedback path, at the level the instructor chose
for the assignment (LEVELS):

- "score": the autograded score so far, and that written answers are graded by the instructor later;
- "per_exercise": the score and one row per exercise: passed, or its points and the likely mistake
  (autograder.grading.likely_mistakes: the visible test's words, never a hidden test, the solution, or
  the output of the student's code);
- "full": nbgrader's own feedback page of the run (hidden tests already cleared, sanitised) with the
  practice banner at the top;
- "off": a notice that practice feedback is off (practice.json still records the grading).

Every page says that it is practice feedback and not the grade. The pages of ours ("score",
"per_exercise", notices) are self-contained: no script, no request (Content-Security-Policy), every value
escaped, since student ids, the exchange's time text and a failed grading's reasons are a student's text.
practice.json is for the instructor and the service; the exchange never shows it to students.
"""

import csv
import html
import json
import pathlib
import re

from autograder.grading import likely_mistakes
from autograder.record.gradebook import Gradebook, course_db_url

LEVELS = ("off", "score", "per_exercise", "full")
REASON_SHOWN = 400  # characters of a failed grading's reason on a page: one line, not a traceback

# Okabe-Ito blue and vermillion: told apart with colour blindness, and each row also says it in words.
STYLE = ("body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.4}"
         "td,th{padding:2px 8px;text-align:left;vertical-align:top}th{border-bottom:1px solid #999}"
         ".passed{color:#0072B2;font-weight:bold}.lost{color:#D55E00;font-weight:bold}"
         ".problem{background:#fff3cd;border-left:4px solid #E69F00;padding:.4em .8em}")
# The page asks for nothing: styles inline; scripts, images and every request are refused.
POLICY = "default-src 'none'; style-src 'unsafe-inline'"
BANNER_STYLE = ("background:#e8f1f8;border-left:4px solid #0072B2;padding:.5em 1em;margin:.5em 0;"
                "font-family:sans-serif;color:#000")


def banner_text(received):
    """The line every practice page starts with."""
    return (f"Practice feedback on your submission received {received}. It is not your grade: your instructor "
            "grades the class after the due date.")


def banner(received):
    return f"<p class='practice-banner' role='note' style='{BANNER_STYLE}'>{html.escape(banner_text(received))}</p>"


def page(received, title, body):
    """A self-contained page of ours: the banner, a title and `body` (HTML already escaped)."""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{POLICY}\">"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><link rel='icon' href='data:,'>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"{banner(received)}<h1>{html.escape(title)}</h1>{body}</body></html>")


def notice_page(assignment, received, title, lines):
    """{"<assignment>.html": bytes}: a page for a submission not graded for practice (rate-limited, practice
    off, outside its window), with the banner, `title` and one paragraph per line of `lines`."""
    body = "".join(f"<p>{html.escape(str(line))}</p>" for line in lines)
    return {f"{assignment}.html": page(received, title, body).encode()}


def outcome(course_root, assignment, student, exercises):
    """What the practice grading of this submission gave, from R's gradebook and the grader's record:
    {"status", "reasons", "exercises": [(exercise, score, points, mistake name or None, line or None)]}.

    status is the record's (graded, flagged, failed), or "missing" when there is none. A failed grading
    scores 0: the gradebook may still hold an earlier submission's scores, which are not this one's."""
    gradebook = Gradebook(course_db_url(course_root))
    try:
        scores, record = gradebook.scores(assignment, student), gradebook.record(assignment, student)
    finally:
        gradebook.close()
    status = record.get("status") or "missing"
    if status == "missing":  # a notebook that could not be graded at all leaves no record: the run's row says why
        status, reasons = _run_row(course_root, assignment, student)
        record = {**record, "reasons": reasons}
    if status in ("failed", "missing"):
        scores = {}
    mistakes = record.get("mistakes") or {}
    shown = likely_mistakes.lines(mistakes, scores)
    rows = []
    for exercise, points in exercises:
        score = (scores.get(f"test_{exercise}") or {}).get("score", 0.0)
        lost = score < points
        diagnosis = mistakes.get(exercise)
        name = diagnosis.get("mistake") if lost and isinstance(diagnosis, dict) else None
        line = shown.get(exercise)
        rows.append((exercise, float(score), float(points), name,
                     line[len(f"{exercise}: "):] if line and line.startswith(f"{exercise}: ") else line))
    return {"status": status, "reasons": [str(r) for r in record.get("reasons") or []], "exercises": rows}


def _run_row(course_root, assignment, student):
    """(status, [reason]) of the student in the last run's grades.csv: ("failed", [why]) where it failed,
    ("missing", []) where the run has no row for them."""
    path = pathlib.Path(course_root) / "reports" / "grades.csv"
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            row = next((r for r in csv.DictReader(handle) if r.get("student") == student), None)
    except OSError:
        row = None
    if row is None or row.get("status") != "failed":
        return "missing", []
    prefix = f"{assignment}: "
    return "failed", [part[len(prefix):] if part.startswith(prefix) else part
                      for part in (row.get("reason") or "").split("; ") if part]


def totals(result):
    """(score, max_score) of the autograded exercises."""
    return (sum(score for _, score, *_ in result["exercises"]), sum(points for _, _, points, *_ in result["exercises"]))


def status_line(result):
    """One line on what happened to the grading, or None when it simply graded."""
    if result["status"] == "failed":
        reason = "; ".join(result["reasons"])[:REASON_SHOWN] or "no reason was recorded"
        return f"Your submission could not be graded: {reason}"
    if result["status"] == "missing":
        return "No practice grading of this submission was found."
    if result["status"] == "flagged":
        return ("Some points were withdrawn after the grader checked your functions' outputs again; your "
                "instructor will look at this submission.")
    return None


def score_paragraphs(result, written):
    """The score so far, what went wrong with the grading if anything, and the written answers' line."""
    score, max_score = totals(result)
    parts = [f"<p class='score'><b>Practice score: {score:g} of {max_score:g} autograded points</b></p>"]
    if (line := status_line(result)) is not None:
        parts.append(f"<p class='problem' role='alert'>{html.escape(line)}</p>")
    if written:
        points = sum(p for _, p in written)
        parts.append(f"<p>Your {len(written)} written answer{'s' if len(written) != 1 else ''} ({points:g} points) "
                     "are graded by your instructor later, not here.</p>")
    return "".join(parts)


def exercise_table(result):
    """One row per exercise: passed, or its points and the likely mistake."""
    rows = []
    for exercise, score, points, _, line in result["exercises"]:
        if score >= points:
            verdict, detail = "<span class='passed'>&#10003; passed</span>", ""
        else:
            verdict = f"<span class='lost'>&#10007; {score:g} of {points:g}</span>"
            detail = html.escape(line or "did not pass its tests")
        rows.append(f"<tr><td><code>{html.escape(exercise)}</code></td><td>{points:g}</td><td>{verdict}</td>"
                    f"<td>{detail}</td></tr>")
    passed = sum(score >= points for _, score, points, *_ in result["exercises"])
    lost = len(result["exercises"]) - passed
    return (f"<p>{passed} of {len(result['exercises'])} exercises passed"
            + (f", {lost} lost points:</p>" if lost else ".</p>")
            + "<table><tr><th>exercise</th><th>points</th><th>result</th><th>what most likely went wrong</th></tr>"
            + "".join(rows) + "</table>")


def with_banner(feedback_page, received):
    """nbgrader's feedback page with the practice banner at the top of its body."""
    body = re.search(r"<body[^>]*>", feedback_page)
    at = body.end() if body else 0
    return feedback_page[:at] + banner(received) + feedback_page[at:]


def feedback_path(course_root, assignment, student):
    """R/feedback/<student>/<assignment>/<assignment>.html, or None where the student id would lead out of
    R/feedback (an id of "..", or with a slash, is not a folder of its own)."""
    folder = pathlib.Path(course_root).resolve() / "feedback"
    path = (folder / student / assignment / f"{assignment}.html").resolve()
    return path if path.parent.parent.parent == folder and path.parent.parent.name == student else None


def summary(assignment, student, received, level, result):
    """practice.json's content."""
    score, max_score = totals(result)
    return {"assignment": assignment, "student": student, "received": received, "level": level,
            "score": score, "max_score": max_score, "status": result["status"],
            "exercises": {exercise: {"score": s, "max_score": p, "mistake": name}
                          for exercise, s, p, name, _ in result["exercises"]}}


def practice_pages(course_root, assignment, student, level, received, *, exercises, written=()):
    """{"<assignment>.html": bytes, "practice.json": bytes} for the student's practice grading in course_root.

    exercises: [(exercise, points)] in notebook order (autograder.run.command.course_assignments);
    written: [(grade_id, points)] of the answers graded by hand; received: the exchange's time text. At
    "full", a grading without a feedback page of its own (a failed one) gets the per-exercise page."""
    if level not in LEVELS:
        raise ValueError(f"practice feedback level {level!r}: one of {', '.join(LEVELS)}")
    result = outcome(course_root, assignment, student, exercises)
    data = json.dumps(summary(assignment, student, received, level, result), indent=1, sort_keys=True).encode()
    name = f"{assignment}.html"
    if level == "off":
        return {**notice_page(assignment, received, f"No practice feedback for {assignment}",
                              ["Your instructor has not switched on practice feedback for this assignment.",
                               "This submission is received and counts for the deadline as usual."]),
                "practice.json": data}
    path = feedback_path(course_root, assignment, student)
    if level == "full" and result["status"] in ("graded", "flagged") and path is not None and path.is_file():
        return {name: with_banner(path.read_text(encoding="utf-8"), received).encode(), "practice.json": data}
    title = f"Practice feedback: {assignment}"
    body = score_paragraphs(result, written)
    if level in ("per_exercise", "full") and result["status"] not in ("failed", "missing"):
        body += exercise_table(result)
    return {name: page(received, title, body).encode(), "practice.json": data}
