"""The class report (autograder.insight.class_report) on hand-built gradebook snapshots: exact counts of
named mistakes and who made them, a score restored by hand not counted, the CSVs, escaping of hostile
student ids and messages, the warnings, and a page for a large class that stays fast and capped."""

import base64
import csv
import html
import io
import re
import time

import pytest
from PIL import Image

from autograder.insight import class_report, figures

HOSTILE = "<img src=x onerror=alert(1)>"
MATH = "$dave_{$"  # matplotlib would typeset this as (broken) math if it were not escaped
ASSIGNMENTS = {"01_cost": [("cost", 2), ("grad", 1)], "02_step": [("step", 1)]}
WRITTEN = {"01_cost": [("q1", 2)]}
SUM = {"mistake": "sum_not_mean", "message": "the cost is summed, not averaged", "output": "d1"}


def entry(grades, mistakes=(), pending=(), score=None):
    """One assignment of Gradebook.snapshot: grades {grade_id: score}, the grader's recorded mistakes."""
    score = sum(grades.values()) if score is None else score
    return {"grades": dict(grades), "pending": list(pending), "raw": score, "penalty": 0.0, "score": score,
            "seconds_late": 0, "flagged": False, "record": {"mistakes": dict(mistakes)}}


def snapshot():
    """alice and bob sum the cost (0 of 2); carol too, but a grader restored her 2 points by hand; the
    hostile id transposes (1 of 2); bob's grad is unrecognised with a message quoting HTML; carol did not
    attempt grad; MATH handed in only 02_step."""
    return {
        "alice": {"01_cost": entry({"test_cost": 0, "test_grad": 1, "q1": 2}, {"cost": SUM}),
                  "02_step": entry({"test_step": 1})},
        "bob": {"01_cost": entry({"test_cost": 0, "test_grad": 0}, pending=["q1"], mistakes={
            "cost": SUM, "grad": {"mistake": "unrecognised", "message": "ValueError: <script>x</script>",
                                  "output": "d2"}})},
        "carol": {"01_cost": entry({"test_cost": 2, "test_grad": 0, "q1": 1}, {
            "cost": SUM, "grad": {"mistake": "not attempted", "message": "not written", "output": ""}})},
        HOSTILE: {"01_cost": entry({"test_cost": 1, "test_grad": 1, "q1": 0}, {
            "cost": {"mistake": "transposed", "message": "W is transposed", "output": "d3"}})},
        MATH: {"02_step": entry({"test_step": 0})},
    }


def test_mistakes_are_counted_per_exercise_with_their_students():
    counts = class_report.mistake_counts(snapshot(), "01_cost", ASSIGNMENTS["01_cost"])
    assert counts == {
        # carol's recorded sum_not_mean is not counted: her cost has its 2 points back
        "cost": [("sum_not_mean", SUM["message"], 2, ["alice", "bob"]),
                 ("transposed", "W is transposed", 1, [HOSTILE])],
        "grad": [("not attempted", "not written", 1, ["carol"]),
                 ("unrecognised", "ValueError: <script>x</script>", 1, ["bob"])],
    }
    assert class_report.mistake_counts(snapshot(), "02_step", ASSIGNMENTS["02_step"]) == {"step": []}


def test_mistakes_csv_lists_every_assignment(tmp_path):
    path = class_report.write_mistakes_csv(tmp_path / "reports" / "mistakes.csv", snapshot(), ASSIGNMENTS)
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        class_report.MISTAKE_FIELDS,
        ["01_cost", "cost", "sum_not_mean", SUM["message"], "2", "alice;bob"],
        ["01_cost", "cost", "transposed", "W is transposed", "1", HOSTILE],
        ["01_cost", "grad", "not attempted", "not written", "1", "carol"],
        ["01_cost", "grad", "unrecognised", "ValueError: <script>x</script>", "1", "bob"],
    ]


def test_figure_data_per_exercise_and_written_question():
    graded = snapshot()
    assert class_report.exercise_marks(graded, "01_cost", ASSIGNMENTS["01_cost"]) == [
        ("cost", 2, 0.75, 1, 1, 2), ("grad", 1, 0.5, 2, 0, 2)]
    assert class_report.written_progress(graded, "01_cost", WRITTEN["01_cost"]) == [("q1", 2, 3, 1, 1.0)]
    # 7 (a bonus above the maximum) falls in the last bin beside 5
    assert class_report.score_bins([0, 1.5, 5, 7], 5) == ([1, 1, 0, 0, 2], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])


def test_page_escapes_students_and_asks_for_nothing(tmp_path):
    path = class_report.write_class_report(tmp_path / "reports", "01_cost", graded=snapshot(),
                                           assignments=ASSIGNMENTS, written=WRITTEN, notes=["run <1>"],
                                           similarity_html="<h2>Similar work</h2><p>none</p>")
    page = path.read_text()
    assert path == tmp_path / "reports" / "class-01_cost.html"
    assert HOSTILE not in page and "<script>" not in page and "run <1>" not in page
    assert html.escape(HOSTILE) in page
    assert html.escape("ValueError: <script>x</script>") in page and "run &lt;1&gt;" in page
    assert "<div id='similarity'><h2>Similar work</h2><p>none</p></div>" in page
    assert "4 of 5 students handed it in" in page
    images = re.findall(r"<img src='([^']*)' alt='([^']+)'>", page)
    assert len(images) == 5  # scores, exercises, mistakes, written answers, the term
    assert all(src.startswith("data:image/png;base64,") for src, _ in images)
    # nothing outside the page: no address with a scheme or a host but the data: URIs and the CSV links
    assert not re.search(r"(?:src|href)\s*=\s*['\"]?\s*(?:[a-z][a-z0-9+.-]*:|//)(?!image/png;base64|,)", page,
                         re.IGNORECASE)
    assert "default-src 'none'" in page
    assert class_report.class_warnings(snapshot(), "01_cost", ASSIGNMENTS["01_cost"]) == []


def test_page_writes_the_csvs_of_its_figures(tmp_path):
    reports = tmp_path / "reports"
    class_report.write_class_report(reports, "01_cost", graded=snapshot(), assignments=ASSIGNMENTS, written=WRITTEN)

    def rows(name):
        with (reports / name).open(newline="") as f:
            return list(csv.reader(f))

    assert rows("class-01_cost-exercises.csv") == [["exercise", "points", "mean", "full", "partial", "zero"],
                                                   ["cost", "2", "0.750", "1", "1", "2"],
                                                   ["grad", "1", "0.500", "2", "0", "2"]]
    assert rows("class-01_cost-written.csv")[1] == ["q1", "2", "3", "1", "1.000"]
    scores = rows("class-01_cost-scores.csv")  # out of 5: alice 3, bob 0, carol 3, the hostile id 2
    assert [int(n) for *_, n in scores[1:]] == [1, 0, 1, 2, 0]
    term = rows("class-term.csv")
    assert term[0] == ["student", "assignment", "share"] and len(term) == 1 + 5 * 2
    assert ["alice", "01_cost", "0.600"] in term and ["bob", "02_step", ""] in term and [MATH, "02_step", "0.000"] in term
    assert (reports / "mistakes.csv").read_text().count("\n") == 5


def test_warns_of_a_whole_class_at_zero_and_of_silent_unrecognised_mistakes(tmp_path):
    silent = {"mistake": "unrecognised", "message": "", "output": "d"}
    named = {"mistake": "transposed", "message": "W is transposed", "output": "d"}
    graded = {s: {"01_cost": entry({"test_cost": 1, "test_grad": 0}, {"cost": silent if s != "d" else named})}
              for s in "abcd"}
    lines = class_report.class_warnings(graded, "01_cost", ASSIGNMENTS["01_cost"])
    assert lines == [
        "01_cost: all 4 students scored 0 on grad: likely a broken test cell, or a release that differs from the source",
        "01_cost: 3 of 4 students who lost points on cost show no mistake in their function's outputs: likely a "
        "hidden test stricter than the verification"]
    page = class_report.class_page(graded, "01_cost", assignments=ASSIGNMENTS, written={},
                                   report_dir=tmp_path)
    assert page.count("class='warning'") == 2
    # two students are no class: no warning for them
    assert class_report.class_warnings({s: graded[s] for s in "ab"}, "01_cost", ASSIGNMENTS["01_cost"]) == []


def _png_size(uri):
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).size


@pytest.fixture
def large_class():
    """250 students × 10 assignments of 6 exercises; 120 students make the same named mistake."""
    assignments = {f"{n:02d}_a": [(f"ex{k}", 2) for k in range(6)] for n in range(1, 11)}
    graded = {}
    for i in range(250):
        student = f"s{i:03d}"
        mistakes = {"ex0": SUM} if i < 120 else {}
        graded[student] = {a: entry({f"test_ex{k}": float((i + k + n) % 3) if (k or i >= 120) else 0.0
                                     for k in range(6)}, mistakes)
                           for n, a in enumerate(assignments) if (i + n) % 7}
    return graded, assignments


def test_a_large_class_stays_readable_and_fast(tmp_path, large_class):
    graded, assignments = large_class
    start = time.perf_counter()
    path = class_report.write_class_report(tmp_path, "01_a", graded=graded, assignments=assignments, written={})
    seconds = time.perf_counter() - start
    assert seconds < 5, f"the page of 250 students took {seconds:.1f} s"
    page = path.read_text()
    # 102 of the 120 handed 01_a in (every 7th student did not): 10 named, the rest counted
    assert "<b>102</b> <code>sum_not_mean</code>" in page
    assert "s001, s002, s003, s004, s005, s006, s008, s009, s010, s011 and 92 more" in page
    students, names, shares = class_report.term_shares(graded, assignments, {})
    width, height = _png_size(figures.heat_map(students, names, shares))
    assert height <= (1.6 + 10) * figures.DPI and width <= 9 * figures.DPI  # one screen or two, not 250 rows' worth
    assert students[0] != "s000"  # unlabelled rows are sorted by term average, best first


def test_heat_map_labels_a_small_class_literally():
    students, names, shares = class_report.term_shares(snapshot(), ASSIGNMENTS, WRITTEN)
    assert students == sorted(snapshot())
    width, height = _png_size(figures.heat_map(students, names, shares))  # MATH must not break drawing
    assert width > 0 and height > 0
    assert figures.plain(MATH) == r"\$dave_{\$"
