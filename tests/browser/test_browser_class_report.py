"""The class report (autograder.insight.class_report) opened from file:// in Debian's Chromium, as an instructor
would open it offline: every figure renders, has alt text, and the page asks for nothing outside itself.

A class of 220 students (one of them with a hostile id) over four assignments, with written answers half
graded and a silent hidden test on one exercise, so that every section and a warning show. The screenshot
is left in tests/browser/artifacts/class-report.png to look at.
"""

import pytest

from autograder.insight import class_report, similarity
from tests.support.browser import ARTIFACTS

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
ASSIGNMENTS = {"01_notation": [("count_parameters", 1), ("layer_shapes", 2)],
               "02_forward": [("linear_forward", 2), ("relu", 1), ("softmax", 2), ("cost", 2)],
               "03_backprop": [("linear_backward", 3), ("relu_backward", 1)],
               "04_minibatch": [("batches", 2)]}
WRITTEN = {"02_forward": [("why_softmax", 2), ("why_log", 1)]}
MISTAKES = [("cost", "sum_not_mean", "the cost is summed, not averaged over the m examples"),
            ("linear_forward", "transposed", "W is used transposed: W.T @ A"),
            ("softmax", "unrecognised", ""), ("relu", "not attempted", "still raises NotImplementedError")]


def class_of(size):
    """Gradebook.snapshot of `size` students; student 1 has the hostile id (and mistakes, so it is listed); about 1 in 9 misses an assignment."""
    graded = {}
    for i in range(size):
        student = HOSTILE if i == 1 else f"student{i:03d}"
        graded[student] = {}
        for n, (assignment, exercises) in enumerate(ASSIGNMENTS.items()):
            if (i * 7 + n * 3) % 9 == 4:
                continue
            grades, mistakes = {}, {}
            for k, (exercise, points) in enumerate(exercises):
                score = [points, points, points / 2, 0, points][(i * (k + 2) + n + i // 13) % 5]
                grades[f"test_{exercise}"] = float(score)
                kind = next((m for m in MISTAKES if m[0] == exercise), None)
                if score < points and kind:
                    mistakes[exercise] = {"mistake": kind[1], "message": kind[2], "output": ""}
            pending = [q for q, _ in WRITTEN.get(assignment, []) if i % 2]
            grades.update({q: (0.0 if q in pending else p / 2) for q, p in WRITTEN.get(assignment, [])})
            score = sum(grades.values())
            graded[student][assignment] = {"grades": grades, "pending": pending, "raw": score, "penalty": 0.0,
                                           "score": score, "seconds_late": 0, "flagged": False,
                                           "record": {"mistakes": mistakes}}
    return graded


def test_class_report_renders_offline(page, tmp_path):
    path = class_report.write_class_report(
        tmp_path / "reports", "02_forward", graded=class_of(220), assignments=ASSIGNMENTS, written=WRITTEN,
        similarity_html=similarity.section_html([], {}, threshold=0.5))  # the real fragment: its style must pass the page's policy
    elsewhere = []

    def refuse(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.context.route("**/*", refuse)
    page.on("request", lambda request: request.url.startswith(("file:", "data:")) or elsewhere.append(request.url))
    page.on("dialog", lambda dialog: (elsewhere.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    figures = page.eval_on_selector_all(
        "figure img", "images => images.map(i => ({alt: i.alt, width: i.naturalWidth, height: i.naturalHeight,"
        " done: i.complete, src: i.src.slice(0, 22)}))")
    assert len(figures) == 5, figures  # scores, exercises, mistakes, written answers, the term
    for figure in figures:
        assert figure["done"] and figure["width"] > 0 and figure["height"] > 0, figure
        assert len(figure["alt"]) > 40 and figure["src"] == "data:image/png;base64,", figure
    assert page.locator("img:not(figure img)").count() == 0  # the hostile id stayed text
    assert page.locator(".who").first.inner_text().startswith(HOSTILE + ", ")
    assert page.locator(".warning").all_inner_texts() == [
        "02_forward: 79 of 79 students who lost points on softmax show no mistake in their function's outputs: "
        "likely a hidden test stricter than the verification"]
    assert page.locator("#similarity h2").inner_text() == "Similar work"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "class-report.png", full_page=True)
    assert elsewhere == [], f"the page tried to reach outside itself: {elsewhere}"
    assert page.console_lines == [], page.console_lines  # a request refused by the page's own policy shows here
