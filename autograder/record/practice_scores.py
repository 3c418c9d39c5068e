"""The practice score as the autograded part (c.Grader.practice_scores): optional, off by default.

On a hub with practice grading, the student saw a score for each submission. An instructor who wants
the official autograded score to be that very score, for the submission collected (the last on time
with `nbgrader collect --before-duedate`), turns this on. The instructor's run still grades the
submission as always (feedback, verification, named mistakes, flags); only the auto scores of its test
cells are the practice ones, and only when every link holds:

- receipt.json is the exchange's, signed with its key;
- practice-statement.json is the exchange's signed word that practice.json is the practice result
  of that same receipt (collect writes both; a student's own files of those names never travel);
- the notebook graded is byte for byte the one the receipt names.

Otherwise the run's own scores stand, and the note says why. Manual scores and the verification's
withdrawals (a manual 0) stay as they are: the review is the instructor's either way.
"""

import json
import pathlib

from course.exchange import receipt as signing

RESULT, STATEMENT, RECEIPT = "practice.json", "practice-statement.json", "receipt.json"


def _read_json(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def taken(folder, assignment, student, public_key):
    """({grade_id: auto score}, note) from the practice grading of the submission in `folder`, or (None, why
    not) where it has none or a link does not hold."""
    folder = pathlib.Path(folder)
    if not (folder / RESULT).is_file():
        return None, "no practice grading of this submission was collected"
    receipt, statement = _read_json(folder / RECEIPT), _read_json(folder / STATEMENT)
    if not isinstance(receipt, dict) or not signing.is_genuine(receipt, public_key):
        return None, "its receipt.json is not signed by the exchange: the run's own scores are kept"
    if not isinstance(statement, dict) or not signing.is_genuine(statement, public_key):
        return None, "its practice result is not signed by the exchange: the run's own scores are kept"
    claimed = (statement.get("kind"), statement.get("receipt_id"), statement.get("student_id"),
               statement.get("assignment_id"))
    if claimed != ("practice", receipt.get("receipt_id"), student, assignment) or receipt.get("student_id") != student:
        return None, "its practice result belongs to another submission: the run's own scores are kept"
    if (statement.get("files") or {}).get(RESULT) != signing.sha256((folder / RESULT).read_bytes()):
        return None, "its practice.json is not the one the exchange signed: the run's own scores are kept"
    for name, digest in (receipt.get("files") or {}).items():
        if name.endswith(".ipynb") and "/" not in name and (
                not (folder / name).is_file() or signing.sha256((folder / name).read_bytes()) != digest):
            return None, f"{name} is not the notebook the exchange received: the run's own scores are kept"
    result = _read_json(folder / RESULT) or {}
    exercises = result.get("exercises")
    if result.get("status") not in ("graded", "flagged") or not isinstance(exercises, dict):
        return None, f"practice grading did not grade it ({result.get('status')}): the run's own scores are kept"
    scores = {f"test_{name}": float(entry["score"]) for name, entry in exercises.items()
              if isinstance(entry, dict) and isinstance(entry.get("score"), (int, float))}
    return scores, f"autograded scores taken from its practice grading (receipt {receipt['receipt_id']})"


def apply(grades, scores):
    """`grades` (a grade job's {grade_id: {"auto_score", "max_score"}}) with the practice scores in place of
    the auto scores, each within 0 and the cell's points; [(grade_id, run's score, practice score)] that differ."""
    changed = []
    for grade_id, score in scores.items():
        cell = grades.get(grade_id)
        if cell is None or cell.get("max_score") is None:
            continue
        score = min(max(score, 0.0), float(cell["max_score"]))
        if cell.get("auto_score") != score:
            changed.append((grade_id, cell.get("auto_score"), score))
        cell["auto_score"] = score
    return changed
