"""Each student learns their mistake: one line per exercise that lost points on the feedback page.

The grade job records, for each exercise that lost points, what its outputs show
(autograder.judging.mistakes): a named mistake in the words of the notebook's visible test, "not
attempted", or "unrecognised" with the first line of why it is wrong. The feedback page shows one line
for each exercise still short of its points when the page is made (an instructor's manual score may
have given them back), under the page's title. The words are the visible test's, or the student's own
error: never the answer, never a hidden test.
"""

import html
import re

from autograder.judging.mistakes import NOT_ATTEMPTED, UNRECOGNISED


def line(exercise, diagnosis):
    """The feedback line of one lost exercise from its Diagnosis record."""
    mistake, message = diagnosis.get("mistake"), diagnosis.get("message") or ""
    if mistake == NOT_ATTEMPTED:
        return f"{exercise}: not written yet (the function still raises NotImplementedError)"
    if mistake == UNRECOGNISED:
        return (f"{exercise}: no usual mistake recognised; the first error: {message}" if message else
                f"{exercise}: no usual mistake recognised; read its test cell's message below")
    return f"{exercise}: {message}"


def lines(mistakes, scores):
    """{exercise: line} for the exercises of `mistakes` (the record's {exercise: Diagnosis record}) that are
    still below their points in `scores` (Gradebook.scores: {grade_id: {"score", "max_score"}})."""
    shown = {}
    for exercise, diagnosis in sorted((mistakes or {}).items()):
        grade = scores.get(f"test_{exercise}")
        if grade is not None and grade["score"] < grade["max_score"] and isinstance(diagnosis, dict):
            shown[exercise] = line(exercise, diagnosis)[:400]
    return shown


def add_to_page(page, shown_lines):
    """nbgrader's feedback page `page` with the lines under its title (escaped: a message may quote the
    student's own error), each linking to its test cell."""
    if not shown_lines:
        return page
    items = "".join(f'<li><a href="#test_{html.escape(exercise)}">{html.escape(exercise)}</a>'
                    f'{html.escape(text[len(exercise):])}</li>' for exercise, text in sorted(shown_lines.items()))
    box = ('<div class="likely-mistakes" style="margin:0.5em 0;padding:0.5em 1em;border-left:4px solid #E69F00;'
           'background:#fff8e6"><b>What most likely went wrong</b> (found from what your functions returned on the '
           f"grader's own inputs)<ul>{items}</ul></div>")
    title = re.search(r"<h4>[^<]*\(Score: [^<]*</h4>", page)
    if title is None:  # not nbgrader's feedback template: at the top of the body
        body = re.search(r"<body[^>]*>", page)
        at = body.end() if body else 0
    else:
        at = title.end()
    return page[:at] + box + page[at:]
