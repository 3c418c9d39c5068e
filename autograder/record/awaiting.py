"""Answers awaiting a grader: the feedback page and the LMS grade exports say so, not 0.

An answer awaits a grader when the autograder gave it no score and nobody has scored it by hand
yet (nbgrader's grade has ``auto_score`` and ``manual_score`` both None): a written answer in the
formgrader's Manual Grading. A written answer left as released is no such answer: nbgrader scores
it 0 itself. Not ``needs_manual_grade``: the grader also sets it on a cell scored by hand that it
asks to be reviewed again (autograder.record.gradebook), and that cell has its score. It is the count
grades.csv gives as ``written_pending``. nbgrader counts an awaiting answer as 0, so its feedback
page would show "Score: 0.0 / 2.0" and its export a total that looks final.

- :func:`mark_awaiting` rewrites nbgrader's feedback page (its ``feedback`` template) for the grade
  ids awaiting a grader: each shows "awaiting grading (2 points)", and the page's total says how
  many points are still to be graded by hand. The grader applies it to every page it writes
  (autograder.grading.job.run_feedback); once the answer is scored, the page shows the score.
- :func:`awaiting_by_student` counts them in the gradebook for autograder.export.lms's exports, which
  refuse to export while any wait unless told otherwise.
"""

import re

SCORE = r"Score: -?[0-9.]+ / ([0-9.]+)"  # as nbgrader's feedback template writes a cell's score


def awaits_grader(auto_score, manual_score):
    return auto_score is None and manual_score is None


def awaiting_grade_ids(shown):
    """The grade ids awaiting a grader in what a feedback page shows (autograder.record.gradebook's settle)."""
    return sorted(name for name, (auto, manual, _extra) in (shown or {}).get("grades", {}).items()
                  if awaits_grader(auto, manual))


def format_points(points):
    text = f"{round(float(points), 2):g}"
    return f"{text} point" if text == "1" else f"{text} points"


def mark_awaiting(html, grade_ids):
    """nbgrader's feedback page `html` with each of `grade_ids` shown as awaiting grading, not scored 0."""
    waiting = 0.0
    for grade_id in grade_ids:
        name = re.escape(grade_id)
        # The cell's line in the table of contents, and the heading above the cell itself.
        toc = re.compile(rf'(<a href="#{name}">[^<]*</a> )\({SCORE}\)')
        heading = re.compile(rf'(<a name="{name}"></a><div class="panel-heading">(?:(?!</div>).)*?'
                             rf'<span class="pull-right">\s*){SCORE}', re.S)
        points = None
        for pattern, text in ((toc, r"(awaiting grading, {})"), (heading, "awaiting grading ({})")):
            found = pattern.search(html)
            if found:
                points = float(found.group(2))
                html = html[:found.start()] + found.group(1) + text.format(format_points(points)) + html[found.end():]
        waiting += points or 0.0
    if waiting:
        html = re.sub(r"(<h4>[^<]*\(Score: [0-9.]+ / [0-9.]+)\)</h4>",
                      lambda m: f"{m.group(1)}; {format_points(waiting)} still to be graded by hand)</h4>",
                      html, count=1)
    return html


def awaiting_by_student(gradebook, assignments, students):
    """{student id: {assignment name: answers awaiting a grader}} of nbgrader `gradebook`'s
    submissions of these assignments and students (objects of the gradebook), only where some wait."""
    wanted = {student.id for student in students}
    found = {}
    for assignment in assignments:
        for submission in assignment.submissions:
            if submission.student.id not in wanted:
                continue
            count = sum(awaits_grader(g.auto_score, g.manual_score) for n in submission.notebooks for g in n.grades)
            if count:
                found.setdefault(submission.student.id, {})[assignment.name] = count
    return found


def describe_awaiting(found, most=10):
    """'3 answers await a grader: alice (01_notation 2), bob (02_forward 1)', naming up to `most` students."""
    total = sum(sum(by_assignment.values()) for by_assignment in found.values())
    names = [f"{student} ({', '.join(f'{a} {n}' for a, n in by_assignment.items())})"
             for student, by_assignment in sorted(found.items())]
    more = f" and {len(names) - most} more students" if len(names) > most else ""
    return (f"{total} answer{'s' if total != 1 else ''} of {len(found)} student{'s' if len(found) != 1 else ''} "
            f"await{'s' if total == 1 else ''} a grader (formgrader, Manual Grading): {', '.join(names[:most])}{more}")
