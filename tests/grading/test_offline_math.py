"""Feedback pages render their formulas with no network: LaTeX becomes sanitised MathML when the page
is made (autograder.grading.offline_math), and the page loads nothing from anywhere else.

The unit tests are instant; `feedback_page` runs nbgrader itself (generate_assignment, then
generate_feedback on an autograded copy of 01_notation with written answers), about 25 s, once per module.
"""

import html.parser
import json
import re
import warnings

import pytest

from autograder.grading.offline_math import (
    MATH_ATTRIBUTES,
    MATH_ELEMENTS,
    UnconvertibleMath,
    latex_to_mathml,
    markdown_to_html,
    math_spans,
    mathml,
)
from autograder.grading.sanitize import sanitize_notebook
from tests.support.notebook import ROOT, make_course_root, nbgrader, student_notebook

ASSIGNMENT = "01_notation"
# A student's written answer: formulas in every delimiter, a code span, a command latex2mathml does not
# know, and LaTeX that tries to link, style, and smuggle HTML into the page.
HOSTILE_ANSWER = r"""By the definitions, $W^{[l]}$ has shape $(n^{[l]}, n^{[l-1]})$ and $a<b$, so
\(z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}\) and \[J = \frac{1}{m}\sum_{i=1}^m L^{(i)}\].

$$\href{javascript:alert(1)}{J} + \style{background:url(https://evil.example/x.png)}{y} + \text{<img src=https://evil.example/p.png onerror=alert(1)>}$$

The code `$not math$` stays code, and $\notacommand{x}$ stays TeX."""
CODE_IN_RELEASE = '"$W^{[1]}$: shape $(n^{[1]}, n^{[0]}) = (4, 3)$"'  # a plot title in a code cell of 01_notation


class _Tags(html.parser.HTMLParser):
    """Every (tag, {attribute: value}) of a page, in order."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(page):
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def math_tags(page):
    """The (tag, attributes) of every element inside the <math> elements of `page` (never nested)."""
    return [found for formula in re.findall(r"<math[ >].*?</math>", page, re.S) for found in tags_of(formula)]


# --- conversion ------------------------------------------------------------------------------------------


def test_a_formula_becomes_mathml_inline_or_displayed():
    inline = latex_to_mathml("W^{[l]}")
    assert inline.startswith('<math display="inline">') and "<msup><mi>W</mi>" in inline
    assert "<mi>l</mi>" in inline and "$" not in inline
    assert latex_to_mathml(r"\frac{1}{m}", display=True).startswith('<math display="block">')
    assert "<mfrac>" in latex_to_mathml(r"\dfrac{a}{b}")  # a macro rewritten into one latex2mathml knows
    assert "<mo>" in latex_to_mathml(r"\arg\max_k y_k")


def test_every_formula_of_the_course_notebooks_converts():
    spans = [(path.name, tex, display) for path in sorted(ROOT.glob("release/*/*.ipynb"))
             for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "markdown"
             for tex, display in math_spans("".join(cell["source"]))]
    failures = []
    for name, tex, display in spans:
        try:
            mathml(tex, display)
        except UnconvertibleMath as error:
            failures.append(f"{name}: {tex!r}: {error}")
    assert len(spans) > 2000, len(spans)  # 2242 when written: every notebook's formulas were found
    assert failures == []


def test_a_formula_latex2mathml_cannot_convert_stays_readable_escaped_tex():
    too_deep, too_long = "{" * 3000 + "x" + "}" * 3000, "x+" * 50_000  # neither may stall or break the page
    for tex in (r"\notacommand{x}", r"\notacommand<script>alert(1)</script>", "  ", too_deep, too_long):
        page = latex_to_mathml(tex)
        assert page.startswith('<code class="tex-unconverted">$') and "<script" not in page
        assert html.unescape(page[len('<code class="tex-unconverted">'):-len("</code>")]) == f"${tex}$"


@pytest.mark.parametrize("tex", [
    r"\href{javascript:alert(1)}{x}",
    r"\style{background:url(https://evil.example/x.png)}{x}",
    r"\color{url(https://evil.example/x.png)}{x}",
    r"\mathcolor{javascript:alert(1)}{x}",
    r"\text{<script>alert(1)</script>}",
    r"\text{<img src=https://evil.example/p.png onerror=alert(1)>}",
    r"\text{&lt;svg onload=alert(1)&gt;}",
    r"x^{\href{https://evil.example}{2}}",
    r"\text{</math><script>alert(1)</script>}",
])
def test_hostile_latex_makes_only_allowed_inert_mathml(tex):
    page = latex_to_mathml(tex)
    for tag, attributes in tags_of(page):
        assert tag in MATH_ELEMENTS | {"code"}, tag
        assert set(attributes) <= MATH_ATTRIBUTES | {"class"}, attributes
        assert not any(re.search(r"[:(/]", value or "") for value in attributes.values()), attributes
    assert "<script" not in page and "<img" not in page and "<svg" not in page


def test_allowed_attributes_keep_harmless_values():
    assert 'mathcolor="red"' in latex_to_mathml(r"\color{red}{x}")
    assert 'mathvariant="normal"' in latex_to_mathml(r"\mathrm{ab}")


# --- Markdown ------------------------------------------------------------------------------------------


def test_markdown_math_in_every_delimiter_becomes_mathml_and_code_stays_code():
    page = markdown_to_html("$a$, $$b$$, \\(c\\), \\[d\\], \\\\(e\\\\), `$f$` and\n\n```\n$$g$$ $h$\n```\n")
    assert page.count('<math display="inline">') == 3 and page.count('<math display="block">') == 2
    assert "<code>$f$</code>" in page and "<pre><code>$$g$$ $h$\n</code></pre>" in page
    assert [tex for tex, _ in math_spans("$a$ `$b$` $$c$$")] == ["a", "c"]


def test_markdown_cleaned_by_bleach_still_converts():
    # autograder.grading.sanitize escapes "<" in a Markdown cell that holds HTML; the formula means "<".
    sanitized = sanitize_notebook({"cells": [{"cell_type": "markdown", "source": "<b>x</b> $a<b$"}]})
    source = sanitized["cells"][0]["source"]
    assert "&lt;b&gt;" in source or "<b>" in source
    page = markdown_to_html(source)
    assert "<mo>&lt;</mo>" in page and "&amp;lt;" not in page


# --- a real feedback page ------------------------------------------------------------------------------


def make_feedback_page(folder):
    """nbgrader's feedback page for a student's autograded, sanitised 01_notation with HOSTILE_ANSWER as
    one written answer, generated in a fresh course root under `folder`; returns (page path, notebook)."""
    from nbgrader.api import Gradebook

    course = make_course_root(folder, [ASSIGNMENT])
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    notebook = sanitize_notebook(student_notebook(ASSIGNMENT, overrides={"answer_weight_matrix_shape": HOSTILE_ANSWER}))
    autograded = course / "autograded" / "s1" / ASSIGNMENT
    autograded.mkdir(parents=True)
    (autograded / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook))
    with warnings.catch_warnings():  # nbgrader's add_submission trips an SQLAlchemy warning
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            gradebook.add_student("s1")
            gradebook.add_submission(ASSIGNMENT, "s1")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    return course / "feedback" / "s1" / ASSIGNMENT / f"{ASSIGNMENT}.html", notebook


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    path, notebook = make_feedback_page(tmp_path_factory.mktemp("offline-feedback"))
    return path.read_text(), notebook


def expected_formulas(notebook):
    """(converted, unconverted) counts of the math spans of the notebook's Markdown cells."""
    spans = [span for cell in notebook["cells"] if cell["cell_type"] == "markdown"
             for span in math_spans("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"])]
    unconverted = 0
    for tex, display in spans:
        try:
            mathml(tex, display)
        except UnconvertibleMath:
            unconverted += 1
    return len(spans) - unconverted, unconverted


# What a browser fetches by itself: these attributes of these elements, url() and @import in CSS.
LOADING = {"script": "src", "img": "src", "iframe": "src", "embed": "src", "source": "src", "audio": "src",
           "video": "src", "track": "src", "input": "src", "object": "data", "link": "href", "image": "href"}


def loaded_urls(page):
    """Every address the page would have a browser load: src/href/data of loading elements, srcset,
    xlink:href, and url()/@import of its CSS (in <style> or style attributes)."""
    found = []
    for tag, attributes in tags_of(page):
        if tag in LOADING and attributes.get(LOADING[tag]):
            found.append(attributes[LOADING[tag]])
        found += [value for name, value in attributes.items() if name in ("srcset", "xlink:href", "poster") and value]
    found += re.findall(r"url\(\s*['\"]?([^)'\"]*)", page)
    found += re.findall(r"@import\s+(?:url\()?\s*['\"]?([^'\");\s]+)", page)
    return found


def test_the_feedback_page_carries_mathml_for_every_formula(feedback):
    page, notebook = feedback
    converted, unconverted = expected_formulas(notebook)
    assert converted > 100 and unconverted == 1  # the answer's \notacommand
    assert page.count("<math ") == converted
    assert page.count('class="tex-unconverted"') == 1 and r"$\notacommand{x}$" in page


def test_the_feedback_page_shows_no_raw_tex_in_markdown_and_keeps_code_as_written(feedback):
    page, _ = feedback
    cells = re.findall(r'<div class="text_cell_render border-box-sizing rendered_html">(.*?)\n\s*</div>', page, re.S)
    assert len(cells) > 10
    for cell in cells:
        text = re.sub(r"<code.*?</code>|<pre.*?</pre>|<math.*?</math>", "", cell, flags=re.S)
        assert not re.search(r"\$[^$\s<][^$<]*\$|\\\(|\\\[|\\begin\{", text), text[:300]
    assert "W^{[l]}" not in re.sub(r"<code.*?</code>", "", page, flags=re.S)
    # Code cells are untouched: the plot title's TeX is still there, as written, in the highlighted code.
    assert html.unescape(re.sub(r"<[^>]+>", "", page)).count(CODE_IN_RELEASE) == 1


def test_the_feedback_page_loads_nothing_from_anywhere(feedback):
    page, _ = feedback
    assert "cdnjs" not in page and "<script" not in page
    addresses = loaded_urls(page)
    assert not [a for a in addresses if re.match(r"\s*(?:[a-z][a-z0-9+.-]*:|//)", a, re.I) and
                not a.startswith("data:")], addresses
    for tag, attributes in math_tags(page):
        assert tag in MATH_ELEMENTS and set(attributes) <= MATH_ATTRIBUTES, (tag, attributes)
    attributes = [(tag, name, value or "") for tag, found in tags_of(page) for name, value in found.items()]
    assert not [a for a in attributes if a[1].startswith("on") or "javascript:" in a[2] or "evil.example" in a[2]]
    assert "https://evil.example/p.png" in html.unescape(page)  # the hostile \text is there, as text

