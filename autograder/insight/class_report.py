"""The class report of one assignment: reports/class-<assignment>.html, a page an instructor reads after a
grading run, and the CSVs of its figures beside it.

Per assignment: a histogram of final scores, per exercise the share of full / partial / zero marks, the
named mistakes (most frequent first, with the students who made them), the written answers' grading
progress; across the term a heat map of students × assignments; and the similarity section when given.
Figures are PNG data: URIs (autograder.insight.figures), and the page forbids itself every request
(Content-Security-Policy), so it opens offline from file:// and reaches no server.

Input is Gradebook.snapshot (`graded`): {student: {assignment: {"grades": {grade_id: score}, "pending":
[grade_id], "score": final score, "record": {"mistakes": {exercise: {"mistake", "message", "output"}}}}}}.
Student ids and the messages of mistakes (which may quote a student's error) are escaped everywhere.
"""

import csv
import html
import pathlib
import re
import statistics
import urllib.parse

import numpy as np

from autograder.insight import figures
from autograder.judging.mistakes import NOT_ATTEMPTED, UNRECOGNISED

NAMES_SHOWN = 10  # students named per mistake on the page ("and N more"); mistakes.csv names them all
MISTAKES_SHOWN = 5  # kinds of mistake listed per exercise on the page
MISTAKES_DRAWN = 12  # bars in the figure of the assignment's most frequent mistakes
MIN_CLASS = 3  # a "whole class" warning needs at least this many submissions, else one student is no pattern
MISTAKE_FIELDS = ["assignment", "exercise", "mistake", "message", "count", "students"]


def _handed_in(graded, assignment):
    """[(student, entry)] of the students with a submission of `assignment`, sorted by student id."""
    return sorted(((student, by[assignment]) for student, by in graded.items() if assignment in by),
                  key=lambda item: item[0])


def _lost_points(entry, exercise, points):
    """Whether the exercise's current score (a grader's manual score included) is below its points."""
    return entry["grades"].get(f"test_{exercise}", 0.0) < points


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])")


def mistake_counts(graded, assignment, exercises):
    """{exercise: [(mistake, message, count, [students])]} for every exercise of [(exercise, points)], most
    frequent first (then by mistake and message). A student counts where the grader recorded a mistake and
    the exercise still lacks points: a score restored by hand since removes it. Mistakes are told apart by
    name and message, so that unrecognised ones with different reasons stay apart (their numbers shown as #,
    so that one reason with other values is one kind)."""
    found = {exercise: {} for exercise, _ in exercises}
    for student, entry in _handed_in(graded, assignment):
        recorded = (entry.get("record") or {}).get("mistakes") or {}
        for exercise, points in exercises:
            mistake = recorded.get(exercise)
            if mistake and _lost_points(entry, exercise, points):
                name, message = str(mistake.get("mistake", UNRECOGNISED)), str(mistake.get("message") or "")
                if name == UNRECOGNISED:  # "max error 0.31" and "max error 0.75" are one kind of reason
                    message = NUMBER.sub("#", message)
                key = (name, message)
                found[exercise].setdefault(key, []).append(student)
    return {exercise: sorted(((name, message, len(students), students) for (name, message), students in kinds.items()),
                             key=lambda item: (-item[2], item[0], item[1]))
            for exercise, kinds in found.items()}


def write_mistakes_csv(path, graded, assignments):
    """reports/mistakes.csv: one row per (assignment, exercise, mistake, message) of every assignment of
    {assignment: [(exercise, points)]}, with its count and every student (';'-separated); returns the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(MISTAKE_FIELDS)
        for assignment, exercises in assignments.items():
            for exercise, ranked in mistake_counts(graded, assignment, exercises).items():
                writer.writerows([assignment, exercise, name, message, count, ";".join(students)]
                                 for name, message, count, students in ranked)
    return path


def class_warnings(graded, assignment, exercises):
    """One line per result that looks wrong rather than hard, for the page and the terminal: a whole class
    at zero on an exercise, or an exercise whose lost points mostly show nothing wrong in the outputs."""
    entries = _handed_in(graded, assignment)
    lines = []
    if len(entries) >= MIN_CLASS:
        for exercise, points in exercises:
            if points > 0 and all(entry["grades"].get(f"test_{exercise}", 0.0) <= 0 for _, entry in entries):
                lines.append(f"{assignment}: all {len(entries)} students scored 0 on {exercise}: likely a broken "
                             "test cell, or a release that differs from the source")
    for exercise, ranked in mistake_counts(graded, assignment, exercises).items():
        total = sum(count for _, _, count, _ in ranked)
        silent = sum(count for name, message, count, _ in ranked if name == UNRECOGNISED and not message)
        if silent >= MIN_CLASS and silent * 2 > total:
            lines.append(f"{assignment}: {silent} of {total} students who lost points on {exercise} show no "
                         "mistake in their function's outputs: likely a hidden test stricter than the verification")
    return lines


def exercise_marks(graded, assignment, exercises):
    """[(exercise, points, mean, full, partial, zero)] over the students who handed the assignment in."""
    entries = [entry for _, entry in _handed_in(graded, assignment)]
    rows = []
    for exercise, points in exercises:
        scores = [entry["grades"].get(f"test_{exercise}", 0.0) for entry in entries]
        full = sum(score >= points for score in scores)
        zero = sum(score <= 0 < points for score in scores)
        rows.append((exercise, points, statistics.fmean(scores) if scores else 0.0, full,
                     len(scores) - full - zero, zero))
    return rows


def score_bins(scores, max_points):
    """(counts, edges) of final scores: one bin per point up to 20 points, else 20 equal bins; each bin is
    [from, to) but the last [from, to], where a score above the maximum (a bonus) also falls."""
    bins = max(1, int(np.ceil(max_points))) if max_points <= 20 else 20
    clipped = np.clip(np.asarray(scores, dtype=float), 0, max_points)
    counts, edges = np.histogram(clipped, bins=bins, range=(0, max(max_points, 1e-9)))
    return counts.tolist(), edges.tolist()


def written_progress(graded, assignment, questions):
    """[(question, points, graded, awaiting, mean of those graded or None)] of [(grade_id, points)]."""
    entries = [entry for _, entry in _handed_in(graded, assignment)]
    rows = []
    for question, points in questions:
        done = [entry["grades"].get(question, 0.0) for entry in entries if question not in entry["pending"]]
        rows.append((question, points, len(done), len(entries) - len(done), statistics.fmean(done) if done else None))
    return rows


def term_shares(graded, assignments, written):
    """(students, assignment names, shares): shares[i, j] is student i's final score on assignment j over its
    points (autograded and written), NaN where nothing was handed in. Students are sorted by id when the heat
    map labels its rows, else by term average (best first; not handed in counts 0), then id."""
    names = list(assignments)
    maxima = np.array([sum(p for _, p in assignments[a]) + sum(p for _, p in written.get(a, [])) for a in names])
    students = sorted(graded)
    shares = np.full((len(students), len(names)), np.nan)
    for i, student in enumerate(students):
        for j, assignment in enumerate(names):
            entry = graded[student].get(assignment)
            if entry is not None:
                shares[i, j] = entry["score"] / maxima[j] if maxima[j] > 0 else 0.0
    if len(students) > figures.HEAT_MAP_LABELLED_STUDENTS:
        order = sorted(range(len(students)), key=lambda i: (-np.nan_to_num(shares[i]).mean(), students[i]))
        students, shares = [students[i] for i in order], shares[order]
    return students, names, shares


def _write_csv(path, header, rows):
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _names(students, shown=NAMES_SHOWN):
    """Escaped, comma-separated student ids, the first `shown` of them and "and N more"."""
    text = ", ".join(html.escape(s) for s in students[:shown])
    return text + (f" and {len(students) - shown} more" if len(students) > shown else "")


def _figure(uri, alt, caption, csv_path):
    link = f" Data: <a href='{urllib.parse.quote(csv_path.name)}'>{html.escape(csv_path.name)}</a>."
    return (f"<figure><img src='{uri}' alt='{html.escape(alt)}'><figcaption>{html.escape(caption)}{link}"
            "</figcaption></figure>")


def _kind(name):
    return name if name in (NOT_ATTEMPTED, UNRECOGNISED) else "named"


def _scores_section(entries, assignment, max_points, report_dir):
    scores = [entry["score"] for _, entry in entries]
    counts, edges = score_bins(scores, max_points)
    path = _write_csv(report_dir / f"class-{assignment}-scores.csv", ["from", "to", "students"],
                      [(f"{low:g}", f"{high:g}", n) for low, high, n in zip(edges, edges[1:], counts)])
    full = sum(score >= max_points for score in scores)
    alt = (f"Histogram of final scores on {assignment} for {len(scores)} students: median "
           f"{statistics.median(scores):g} of {max_points:g}, {full} with full marks, "
           f"{sum(score <= 0 for score in scores)} with zero.")
    return ("<h2>Scores</h2>" + _figure(figures.histogram(counts, edges, max_points), alt,
                                        "Final scores (late penalty applied; written answers awaiting a grader "
                                        "count 0 until graded).", path))


def _exercises_section(graded, assignment, exercises, report_dir):
    rows = exercise_marks(graded, assignment, exercises)
    path = _write_csv(report_dir / f"class-{assignment}-exercises.csv",
                      ["exercise", "points", "mean", "full", "partial", "zero"],
                      [(e, f"{p:g}", f"{m:.3f}", f, pa, z) for e, p, m, f, pa, z in rows])
    weakest = min(rows, key=lambda row: row[3] / max(1, sum(row[3:])))
    alt = (f"Share of students with full, partial and zero marks on each of the {len(rows)} exercises of "
           f"{assignment}; fewest full marks: {weakest[0]} ({weakest[3]} of {sum(weakest[3:])}).")
    table = "".join(f"<tr><td>{html.escape(e)}</td><td>{p:g}</td><td>{m:.2f}</td><td>{f}</td><td>{pa}</td>"
                    f"<td>{z}</td></tr>" for e, p, m, f, pa, z in rows)
    return ("<h2>Exercises</h2>"
            + _figure(figures.exercise_shares([(e, f, pa, z) for e, _, _, f, pa, z in rows]), alt,
                      "Full, partial and zero marks per exercise (blue, orange hatched, vermillion cross-hatched).",
                      path)
            + "<table><tr><th>exercise</th><th>points</th><th>mean</th><th>full</th><th>partial</th><th>zero</th>"
            + "</tr>" + table + "</table>")


def _mistakes_section(counts, assignment, report_dir):
    totals = {}
    for exercise, ranked in counts.items():
        for name, _, count, _ in ranked:
            totals[(exercise, name)] = totals.get((exercise, name), 0) + count
    if not totals:
        return "<h2>Mistakes</h2><p>No exercise lost points with a recorded mistake.</p>"
    drawn = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:MISTAKES_DRAWN]
    items = [(f"{exercise}: {name}", count, _kind(name)) for (exercise, name), count in drawn]
    alt = (f"The {len(items)} most frequent mistakes on {assignment}, as bars of students; most frequent: "
           f"{items[0][0]}, {items[0][1]} students.")
    parts = ["<h2>Mistakes</h2>", _figure(figures.mistake_bars(items), alt,
                                          "Most frequent mistakes (blue: a named mistake, orange: unrecognised, "
                                          "grey: not attempted).", report_dir / "mistakes.csv")]
    for exercise, ranked in counts.items():
        if not ranked:
            continue
        parts.append(f"<h3>{html.escape(exercise)}</h3><ul class='mistakes'>")
        for name, message, count, students in ranked[:MISTAKES_SHOWN]:
            words = f": {html.escape(message)}" if message else ""
            parts.append(f"<li><b>{count}</b> <code>{html.escape(name)}</code>{words}"
                         f"<br><span class='who'>{_names(students)}</span></li>")
        more = len(ranked) - MISTAKES_SHOWN
        parts.append("</ul>" + (f"<p class='more'>and {more} more kinds of mistake (mistakes.csv)</p>"
                                if more > 0 else ""))
    return "".join(parts)


def _written_section(graded, assignment, questions, report_dir):
    rows = written_progress(graded, assignment, questions)
    path = _write_csv(report_dir / f"class-{assignment}-written.csv",
                      ["question", "points", "graded", "awaiting", "mean"],
                      [(q, f"{p:g}", g, w, "" if m is None else f"{m:.3f}") for q, p, g, w, m in rows])
    done, waiting = sum(row[2] for row in rows), sum(row[3] for row in rows)
    alt = (f"Written answers of {assignment} graded by hand: {done} of {done + waiting} graded, "
           f"{waiting} awaiting a grader, over {len(rows)} questions.")
    return ("<h2>Written answers</h2>"
            + _figure(figures.written_progress([(q, g, w) for q, _, g, w, _ in rows]), alt,
                      "Answers graded by hand (green) and awaiting a grader (grey, dotted): formgrader, "
                      "Manual Grading.", path))


def _term_section(graded, assignments, written, report_dir):
    students, names, shares = term_shares(graded, assignments, written)
    if not students:
        return ""
    path = _write_csv(report_dir / "class-term.csv", ["student", "assignment", "share"],
                      [(s, a, "" if np.isnan(shares[i, j]) else f"{shares[i, j]:.3f}")
                       for i, s in enumerate(students) for j, a in enumerate(names)])
    order = ("sorted by id" if len(students) <= figures.HEAT_MAP_LABELLED_STUDENTS
             else "unlabelled, best term average at the top (ids in the CSV)")
    alt = (f"Heat map of {len(students)} students (rows, {order}) by {len(names)} assignments (columns), "
           "coloured by the share of each assignment's points, dark blue 0% to yellow 100%; white: not handed in.")
    return ("<h2>Across the term</h2>"
            + _figure(figures.heat_map(students, names, shares), alt,
                      f"Students × assignments, cividis colour map; rows {order}.", path))


STYLE = ("body{font-family:sans-serif;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.4}"
         "figure{margin:1em 0}img{max-width:100%;height:auto}figcaption{font-size:.9em;color:#333}"
         "td,th{padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
         ".warning{background:#fff3cd;border-left:4px solid #E69F00;padding:.4em .8em}"
         ".who{font-size:.9em;color:#333;overflow-wrap:anywhere}ul.mistakes li{margin:.3em 0}")
# The page asks for nothing: images are data: URIs, styles inline; scripts and every request are refused.
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def class_page(graded, assignment, *, assignments, written, report_dir, similarity_html="", notes=()):
    """The page's HTML; writes its figures' CSVs (and mistakes.csv) into report_dir."""
    exercises = assignments[assignment]
    questions = written.get(assignment, [])
    entries = _handed_in(graded, assignment)
    max_points = sum(p for _, p in exercises) + sum(p for _, p in questions)
    write_mistakes_csv(report_dir / "mistakes.csv", graded, assignments)
    parts = [f"<!doctype html><html lang='en'><meta charset='utf-8'>"
             f"<meta http-equiv='Content-Security-Policy' content=\"{POLICY}\">"
             "<meta name='viewport' content='width=device-width, initial-scale=1'><link rel='icon' href='data:,'>"
             f"<title>Class report: {html.escape(assignment)}</title><style>{STYLE}</style>"
             f"<h1>Class report: {html.escape(assignment)}</h1>"]
    parts += [f"<p class='note'>{html.escape(note)}</p>" for note in notes]
    parts += [f"<p class='warning' role='alert'>{html.escape(line)}</p>"
              for line in class_warnings(graded, assignment, exercises)]
    parts.append(f"<p>{len(entries)} of {len(graded)} students handed it in.</p>")
    if entries and exercises:
        parts.append(_scores_section(entries, assignment, max_points, report_dir))
        parts.append(_exercises_section(graded, assignment, exercises, report_dir))
        parts.append(_mistakes_section(mistake_counts(graded, assignment, exercises), assignment, report_dir))
    if entries and questions:
        parts.append(_written_section(graded, assignment, questions, report_dir))
    parts.append(_term_section(graded, assignments, written, report_dir))
    if similarity_html:
        parts.append(f"<div id='similarity'>{similarity_html}</div>")
    return "".join(parts) + "</html>"


def write_class_report(report_dir, assignment, *, graded, assignments, written, similarity_html="", notes=()):
    """Write reports/class-<assignment>.html, the CSVs of its figures (class-<assignment>-scores.csv,
    -exercises.csv, -written.csv, class-term.csv) and mistakes.csv; return the page's path.

    graded: Gradebook.snapshot; assignments: {assignment: [(exercise, points)]} in course order; written:
    {assignment: [(grade_id, points)]}; similarity_html: an escaped fragment shown as it is; notes: lines."""
    report_dir = pathlib.Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    page = class_page(graded, assignment, assignments=assignments, written=written, report_dir=report_dir,
                      similarity_html=similarity_html, notes=notes)
    path = report_dir / f"class-{assignment}.html"
    path.write_text(page, encoding="utf-8")
    return path
