"""A feedback page opened from a file:// URL in Chromium with no network at all: every request that is not
file: or data: is refused and recorded, and none may be attempted; the formulas must still be typeset
(MathML drawn by the browser itself: each <math> a MathMLElement of non-zero size, no $-delimited TeX
in the visible text of the Markdown cells). A screenshot of the student's written answer is saved in
tests/browser/artifacts/offline_feedback_answer.png. About 30 s (nbgrader makes the page)."""

import re

from tests.grading.test_offline_math import make_feedback_page
from tests.support.browser import ARTIFACTS

# The visible text of each Markdown cell, code and formulas left out (code may show TeX as written).
MARKDOWN_TEXT = """() => Array.from(document.querySelectorAll(".text_cell_render")).map(cell => {
    const copy = cell.cloneNode(true);
    copy.querySelectorAll("code, pre, math").forEach(element => element.remove());
    return copy.innerText;
})"""
FORMULAS = """() => Array.from(document.querySelectorAll("math")).map(math => {
    const box = math.getBoundingClientRect();
    return {mathml: math instanceof MathMLElement, width: box.width, height: box.height,
            display: getComputedStyle(math).display, block: math.getAttribute("display") === "block"};
})"""
RAW_TEX = re.compile(r"\$[^$\s][^$]*\$|\\\(|\\\[|\\begin\{|\\frac|\^\{")


def test_feedback_page_typesets_its_formulas_with_no_network(page, tmp_path):
    path, _ = make_feedback_page(tmp_path)
    attempted = []

    def refuse_the_network(route):
        attempted.append(route.request.url)
        route.abort()

    page.context.route(re.compile(r"^(?!file:|data:)"), refuse_the_network)  # routes never see file:/data:
    page.on("request", lambda request: request.url.startswith(("file:", "data:")) or attempted.append(request.url))
    page.goto(path.as_uri(), wait_until="load")

    formulas = page.evaluate(FORMULAS)
    assert len(formulas) > 100
    assert all(f["mathml"] and f["width"] > 0 and f["height"] > 0 for f in formulas), \
        [f for f in formulas if not (f["mathml"] and f["width"] > 0 and f["height"] > 0)][:5]
    assert {f["display"] for f in formulas if f["block"]} == {"block math"}  # drawn as MathML, displayed
    cells = page.evaluate(MARKDOWN_TEXT)
    assert len(cells) > 10 and not [text for text in cells if RAW_TEX.search(text)]

    answer = page.locator(".nbgrader_cell", has_text="By the definitions")
    ARTIFACTS.mkdir(exist_ok=True)
    answer.screenshot(path=ARTIFACTS / "offline_feedback_answer.png")
    assert answer.locator("math").count() == 6  # $W^{[l]}$, $(n..)$, $a<b$, \(z..\), \[J..\], $$..$$
    assert page.console_lines == []
    assert attempted == []
