"""Build the class reports from the gradebook: after every grading run, and by hand.

    python -m autograder report 03_backprop     # reports/class-03_backprop.html, similarity-03_backprop.csv
    python -m autograder report                 # every assignment of the gradebook with submissions

Per assignment: the class report (class_report: scores, the named mistakes counted, written answers
awaiting a grader, the term's heat map) with its similarity section (similarity: pairs of students
whose own solution cells look alike, ranked), and for the whole term reports/mistakes.csv. It reads
the gradebook (scores and the grader's records, where the grade job left each lost exercise's
diagnosis) and autograded/ (the solution cells): nothing is graded, nothing of nbgrader's changes.
"""

import time

from autograder.config import course_config
from autograder.insight import class_report, similarity
from autograder.judging.mistakes import NOT_ATTEMPTED


def wrong_outputs(graded, assignment):
    """{student: {exercise: digest}}: what each student's lost exercises returned on the class's inputs."""
    outputs = {}
    for student, by_assignment in graded.items():
        record = (by_assignment.get(assignment) or {}).get("record") or {}
        for exercise, diagnosis in (record.get("mistakes") or {}).items():
            if isinstance(diagnosis, dict) and diagnosis.get("output") and diagnosis.get("mistake") != NOT_ATTEMPTED:
                outputs.setdefault(student, {})[exercise] = diagnosis["output"]
    return outputs


def build_reports(root, report_dir, graded, assignments, written, which, notes=()):
    """Write the class report of each assignment of `which` and reports/mistakes.csv; returns ([paths],
    [warnings], seconds). graded: Gradebook.snapshot of the term; assignments: {assignment: [(exercise,
    points)]} of the term, in course order; written: {assignment: [(grade_id, points)]}."""
    started = time.perf_counter()
    threshold = similarity.Similarity(config=course_config(root)).threshold
    report_dir.mkdir(parents=True, exist_ok=True)
    paths, warnings = [], []
    for assignment in which:
        handed_in = sorted(student for student, by_assignment in graded.items() if assignment in by_assignment)
        parts = similarity.load_class(root, assignment, handed_in)
        pairs = similarity.find_pairs(parts, wrong_outputs(graded, assignment), threshold=threshold)
        similarity.write_csv(pairs, report_dir / f"similarity-{assignment}.csv")
        paths.append(class_report.write_class_report(
            report_dir, assignment, graded=graded, assignments=assignments, written=written,
            similarity_html=similarity.section_html(pairs, parts), notes=notes))
        warnings += class_report.class_warnings(graded, assignment, assignments[assignment])
    paths.append(class_report.write_mistakes_csv(report_dir / "mistakes.csv", graded, assignments))
    return paths, warnings, time.perf_counter() - started
