"""Feedback pages whose formulas need no network: LaTeX becomes MathML when the page is made.

nbgrader's feedback template (formgrader/templates/feedback/index.html.j2) calls nbconvert's `mathjax()`
macro, which loads MathJax 2.7.7 from cdnjs, and nbconvert's `markdown2html` keeps `$...$` in the page for
MathJax to typeset in the student's browser. Offline, or behind a Content-Security-Policy, students read raw
`$W^{[l]}$`, and every page view contacts a third party. Instead (configured in nbgrader_config.py):

- the `markdown2html` filter of the feedback exporter is `markdown2html` below: the same Markdown parser
  (nbconvert's MarkdownWithMath, so code spans and code blocks stay code), whose math spans -- `$...$`,
  `$$...$$`, `\\(...\\)`, `\\[...\\]`, `\\begin{env}...\\end{env}` -- become MathML, which browsers draw
  themselves;
- the template is `feedback_offline` (templates/feedback_offline): nbgrader's feedback template, with
  the `mathjax()` macro it imports replaced by one that loads nothing.

Markdown cells hold students' written answers, so their LaTeX is hostile: latex2mathml copies `\\href`
and `\\style` arguments into attributes and `\\text{...}` into text. Only the elements of MATH_ELEMENTS and
the attributes of MATH_ATTRIBUTES (values of plain words, numbers and colours) are kept; anything else
makes the formula fall back to its TeX, escaped, in a <code> element.
"""

import html
import pathlib
import re
from xml.etree.ElementTree import Element, tostring

import nbgrader
from jinja2 import pass_context
from latex2mathml.converter import convert_to_element
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath, MathInlineParser

TEMPLATE_BASEDIRS = [
    str(pathlib.Path(__file__).with_name("templates")),  # feedback_offline: the template without MathJax
    str(pathlib.Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),  # feedback
]

# Presentation MathML that Chromium draws and that can neither run nor fetch anything. Left out on
# purpose: maction (event-driven), semantics/annotation/annotation-xml (may carry HTML), and any
# element latex2mathml does not make.
MATH_ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt",
    "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "menclose", "mpadded",
    "mphantom", "merror", "mmultiscripts", "mprescripts", "none",
})
# Layout attributes only: no href, src, style, class, id, xmlns, xlink:*, on* (all dropped silently).
MATH_ATTRIBUTES = frozenset({
    "display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "mathcolor", "mathbackground",
    "stretchy", "fence", "separator", "form", "largeop", "movablelimits", "symmetric", "accent",
    "accentunder", "lspace", "rspace", "minsize", "maxsize", "linethickness", "width", "height", "depth",
    "voffset", "notation", "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines",
    "rowlines", "frame", "framespacing", "equalrows", "equalcolumns", "columnspan", "rowspan",
})
# A harmless value: words, numbers, lengths, percentages and #colours; no ':', '(' or '/' (no url(),
# no javascript:).
SAFE_VALUE = re.compile(r"[A-Za-z0-9 .#%+\-]{0,64}")
# latex2mathml writes each symbol as a character reference in the element's text ("&#x0005B;").
CHARACTER_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{1,6});")

# Longer formulas stay TeX: latex2mathml takes about a second per 100,000 characters, and a student's
# answer could paste megabytes (the course's longest formula has a few hundred).
MAX_TEX_CHARS = 5000
# Macros the course's notebooks use (or MathJax knows) that latex2mathml does not: rewritten first.
# (pattern, replacement) pairs for re.sub, applied in order.
MACROS = (
    (re.compile(r"\\operatorname\*?\{([^{}]*)\}"), r"\\mathrm{\1}"),
    (re.compile(r"\\arg(?![A-Za-z])"), r"\\mathrm{arg}"),  # 08_capstone's \arg\max
    (re.compile(r"\\(?:textsf|textrm|textup|textnormal)\{"), r"\\text{"),
    (re.compile(r"\\(?:dfrac|tfrac)(?![A-Za-z])"), r"\\frac"),
    (re.compile(r"\\tag\*?\{[^{}]*\}"), ""),  # equation numbers: MathML Core has none
    (re.compile(r"\\(?:label|nonumber|notag)(?:\{[^{}]*\})?"), ""),
)


class UnconvertibleMath(ValueError):
    """latex2mathml cannot turn this TeX into MathML (or made something outside MATH_ELEMENTS)."""


def expand_macros(tex):
    """`tex` (str) with the macros of MACROS rewritten into ones latex2mathml knows."""
    for pattern, replacement in MACROS:
        tex = pattern.sub(replacement, tex)
    return tex


def _decode_references(text):
    return text and CHARACTER_REFERENCE.sub(lambda m: chr(int(m[1], 16)), text)


def _clean_tree(tree):
    """Check `tree` (an ElementTree Element, changed in place) against the allow-lists: attributes not
    allowed are dropped, elements not allowed make the formula unconvertible."""
    for element in tree.iter():  # iterative: a student's deeply nested formula cannot exhaust the stack here
        if element.tag not in MATH_ELEMENTS:
            raise UnconvertibleMath(f"element <{element.tag}> is not allowed")
        if element.tag == "mi" and (element.text or "").startswith("\\"):  # latex2mathml's unknown command
            raise UnconvertibleMath(f"unknown command {element.text}")
        for name in list(element.attrib):
            if name not in MATH_ATTRIBUTES or not SAFE_VALUE.fullmatch(element.attrib[name]):
                del element.attrib[name]
        # Text stays text: symbol references become characters; anything else (a student's "<script>")
        # stays characters too, escaped by tostring.
        element.text, element.tail = _decode_references(element.text), _decode_references(element.tail)


def mathml(tex, display=False):
    """The MathML (str, one <math> element) of `tex` (str, without delimiters); `display` (bool): a
    block formula. Raises UnconvertibleMath where latex2mathml fails or makes something not allowed."""
    # Markdown cells with HTML in them were cleaned by bleach before the page is made
    # (autograder.grading.sanitize), which turns "<" into "&lt;": TeX itself never holds references.
    source = expand_macros(html.unescape(tex)).strip()
    if not source or len(source) > MAX_TEX_CHARS:
        raise UnconvertibleMath(f"empty, or longer than {MAX_TEX_CHARS} characters")
    try:
        tree = convert_to_element(source, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many kinds (its own, IndexError, KeyError, RecursionError)
        raise UnconvertibleMath(f"{type(error).__name__}: {error}") from error
    if not isinstance(tree, Element):
        raise UnconvertibleMath("no MathML made")
    _clean_tree(tree)
    tree.set("display", "block" if display else "inline")
    try:
        return tostring(tree, encoding="unicode", short_empty_elements=False)
    except RecursionError as error:  # the serialiser recurses: a formula nested too deeply to show
        raise UnconvertibleMath("nested too deeply") from error


def latex_to_mathml(tex, display=False):
    """HTML (str) for `tex` (str): its MathML, or, where it cannot be converted, the TeX escaped in a
    <code class="tex-unconverted"> element (with its delimiters), so that the page still reads."""
    try:
        return mathml(tex, display)
    except UnconvertibleMath:
        delimiter = "$$" if display else "$"
        return f'<code class="tex-unconverted">{html.escape(delimiter + tex + delimiter)}</code>'


class OfflineMathInlineParser(MathInlineParser):
    """nbconvert's inline math rules, plus Jupyter's single-backslash \\(...\\) and \\[...\\] (nbconvert
    knows only the doubled ones, and Markdown would eat the backslash of these)."""

    SPECIFICATION = {
        **MathInlineParser.SPECIFICATION,
        "block_math_bracket": r"(?s:(?<!\\)\\\[(?P<math_block_bracket>.+?)(?<!\\)\\\])",
        "inline_math_paren": r"(?s:(?<!\\)\\\((?P<math_inline_paren>.+?)(?<!\\)\\\))",
    }
    DEFAULT_RULES = ("block_math_bracket", "inline_math_paren", *MathInlineParser.DEFAULT_RULES)

    def parse_block_math_bracket(self, m, state):
        state.append_token({"type": "block_math", "raw": m.group("math_block_bracket")})
        return m.end()

    def parse_inline_math_paren(self, m, state):
        state.append_token({"type": "inline_math", "raw": m.group("math_inline_paren")})
        return m.end()


def _markdown(renderer):
    """nbconvert's Markdown parser (math-aware, so code spans and blocks stay code) with `renderer`."""
    return MarkdownWithMath(renderer=renderer, inline=OfflineMathInlineParser(hard_wrap=False))


class OfflineMathRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer, writing math spans as MathML rather than TeX for MathJax."""

    def block_math(self, body):
        return latex_to_mathml(body, display=True)

    def inline_math(self, body):
        return latex_to_mathml(body, display=False)

    def latex_environment(self, name, body):
        return latex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def multiline_math(self, text):  # mistune 2 only: the span still goes through the inline rules
        return text


class MathSpanCollector(OfflineMathRenderer):
    """A renderer that records each math span it renders, as (tex, display) in `spans`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spans = []

    def block_math(self, body):
        self.spans.append((body, True))
        return super().block_math(body)

    def inline_math(self, body):
        self.spans.append((body, False))
        return super().inline_math(body)

    def latex_environment(self, name, body):
        self.spans.append((f"\\begin{{{name}}}{body}\\end{{{name}}}", True))
        return super().latex_environment(name, body)


def math_spans(markdown):
    """[(tex, display)] of the math spans of `markdown` (str), as the feedback page finds them
    (code spans and code blocks excluded); tex without delimiters, display a bool."""
    collector = MathSpanCollector(escape=False)
    _markdown(collector).render(markdown)
    return collector.spans


def markdown_to_html(markdown, attachments=None, path=""):
    """HTML (str) of `markdown` (str), its formulas as MathML; attachments: a cell's attachments."""
    renderer = OfflineMathRenderer(escape=False, attachments=attachments or {}, path=path)
    return _markdown(renderer).render(markdown)


@pass_context
def markdown2html(context, source):
    """The feedback exporter's `markdown2html` Jinja filter (HTMLExporter.filters): nbconvert's own,
    with the cell's attachments, but formulas as MathML."""
    cell = context.get("cell", {})
    path = context.get("resources", {}).get("metadata", {}).get("path", "")
    return markdown_to_html(source, attachments=cell.get("attachments", {}), path=path)
