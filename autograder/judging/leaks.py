"""Text that exists only in the instructor's source notebook: finding it in a submission, and
keeping it out of feedback pages.

A student who hands in the instructor's source notebook (or pastes its solutions into the
release) hands in the solutions and the hidden tests; nbgrader grades it full marks and its
feedback page shows both. The source notebook is what decides here, never what the student's copy
claims (its metadata, its checksums): the *source-only* lines of an assignment are the lines of its
solution regions (code answers, model answers and rubrics of written questions) and of its hidden
tests, less every line that the release shows too.

Lines are compared normalised (lower-case letters and digits only, a trailing `# comment` of code
dropped), so that re-indenting, re-spacing or commenting a copy changes nothing. Short lines
(`return x`, `total = 0`) and comment-only lines never count: an honest answer often shares them.

- find_leaks: what of the source-only text a submission holds, and which exercises it costs.
  Honest answers share lines with the source: the course fixes every signature and helper, so a
  composition such as `backward` is written alike, and hidden tests compute their expected values
  as a student would. Hence what counts as a leak (calibrated on the alternative solutions of
  tests/support/alternatives*.py, which share at most 36 % of a notebook's solution
  lines, 3 lines of one code answer and 13 % of one hidden-test cell): any line of a model answer
  or rubric (prose no one writes alike); most lines of one hidden-test cell; most lines of one long
  code answer; or most solution lines of the notebook. Once a submission leaks, every exercise with
  half of its solution's lines there earns nothing, one-line answers included.
- redact_html: a feedback page with every line that holds source-only text replaced by a notice.

Pure functions of notebooks (nbformat 4 dicts) and text; nothing here reads files.
"""

import html
import re
from dataclasses import dataclass, field

SOLUTION_BEGIN, SOLUTION_END = "BEGIN SOLUTION", "END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
# What nbgrader's release writes in place of a solution: never a leak.
RELEASE_STUBS = ("# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE")

MIN_CHARS = 12  # letters and digits a line needs to count: `return shapes` has 12
# What makes a leak (see find_leaks), as (lines found at least, share of the lines at least):
HIDDEN_CELL = (3, 0.5)  # of one test cell's hidden tests
ANSWER_COPIED = (5, 0.8)  # of one code answer's solution
NOTEBOOK_COPIED = (5, 0.6)  # of all the code answers' solutions together
WITHDRAW_SHARE = 0.5  # in a leaking submission, an answer with this share of its lines found earns nothing
LONG_CHARS = 24  # a source-only line this long is redacted even inside a longer line of a page

REDACTED = "[removed: text of the instructor's source notebook]"

_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_TAG = re.compile(r"<[^>]*>")


def _cell_text(cell):
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader(cell):
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


def _without_comment(line):
    """`line` up to a `#` that starts a comment: at the start or after a space, outside quotes."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def normalise(line):
    """The letters and digits of a line, lower case, without its comment: what two copies of a
    line share whatever their spacing, indentation, comments or HTML markup."""
    return _NOT_ALPHANUMERIC.sub("", _without_comment(line).lower())


@dataclass(frozen=True)
class SourceOnly:
    """An assignment's source-only lines (normalised), by the cell that holds them."""
    solutions: dict  # code answer cell grade_id (the exercise) -> lines of its solution regions
    short: dict  # exercise -> its solution's lines of any length (what decides a withdrawal)
    answers: dict  # written answer cell grade_id -> lines of its model answer and rubric
    hidden: dict  # test cell grade_id -> lines of its hidden tests

    def lines(self):
        return frozenset(line for group in (self.solutions, self.answers, self.hidden)
                         for lines in group.values() for line in lines)


def _regions(text, begin, end):
    """(lines inside begin/end regions, lines outside), marker lines in neither."""
    inside, outside, depth = [], [], 0
    for line in text.split("\n"):
        if begin in line:
            depth += 1
        elif end in line:
            depth = max(0, depth - 1)
        else:
            (inside if depth else outside).append(line)
    return inside, outside


def source_only(source_notebook):
    """The SourceOnly lines of a source notebook: its solution and hidden-test regions, less the
    lines its release shows (everything outside those regions, and nbgrader's stubs)."""
    regions, released = [], {normalise(stub) for stub in RELEASE_STUBS}
    for cell in source_notebook.get("cells", []):
        meta, text = _nbgrader(cell), _cell_text(cell)
        solution, rest = _regions(text, SOLUTION_BEGIN, SOLUTION_END)
        if meta.get("solution") and SOLUTION_BEGIN not in text:  # nbgrader releases the whole cell as a stub
            solution, rest = rest, []
        hidden, rest = _regions("\n".join(rest), HIDDEN_BEGIN, HIDDEN_END)
        released.update(normalise(line) for line in rest)
        regions.append((cell, meta, solution, hidden))
    solutions, short, answers, hidden_tests = {}, {}, {}, {}

    def kept(lines, min_chars=MIN_CHARS):  # a comment-only line normalises to nothing: no evidence
        return tuple(dict.fromkeys(line for line in map(normalise, lines) if len(line) >= min_chars
                                   and line not in released))

    for number, (cell, meta, solution, hidden) in enumerate(regions):
        name = meta.get("grade_id") or f"cell {number}"
        code = cell.get("cell_type") == "code"
        if code and kept(solution, 1):
            short[name] = kept(solution, 1)
        if kept(solution):
            (solutions if code else answers)[name] = kept(solution)
        if kept(hidden):
            hidden_tests[name] = kept(hidden)
    return SourceOnly(solutions, short, answers, hidden_tests)


def _shown_text(notebook):
    """Every line a notebook holds: cell sources and the text of their outputs."""
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        yield from _cell_text(cell).split("\n")
        for output in cell.get("outputs", []) if isinstance(cell.get("outputs"), list) else []:
            if not isinstance(output, dict):
                continue
            texts = [output.get("text", "")] + list((output.get("data") or {}).values()) \
                if isinstance(output.get("data", {}), dict) else [output.get("text", "")]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                if isinstance(text, str):
                    yield from text.split("\n")


@dataclass
class Leaks:
    """What of an assignment's source-only text one submission holds."""
    solutions: dict = field(default_factory=dict)  # exercise -> (lines found, lines of its solution)
    answers: list = field(default_factory=list)  # written answers whose model answer or rubric is there
    hidden: list = field(default_factory=list)  # test cells whose hidden tests are there
    withdrawn: list = field(default_factory=list)  # exercises that earn nothing for it

    @property
    def found(self):
        return bool(self.withdrawn or self.answers or self.hidden)

    def reason(self):
        """One line for the report and the flag: what was found, never the text itself."""
        parts = []
        if self.solutions:
            parts.append("solutions of " + ", ".join(f"{name} ({found}/{total} lines)"
                                                   for name, (found, total) in self.solutions.items()))
        if self.answers:
            parts.append("model answers of " + ", ".join(self.answers))
        if self.hidden:
            parts.append("hidden tests of " + ", ".join(self.hidden))
        withdrawn = f"; points withdrawn: {', '.join(self.withdrawn)}" if self.withdrawn else ""
        return f"holds text of the instructor's source notebook ({'; '.join(parts)}){withdrawn}: review it"


def find_leaks(submission, source):
    """Leaks of `source` (a SourceOnly) in a submitted notebook; Leaks().found is False for an honest one."""
    shown = {normalise(line) for line in _shown_text(submission)}

    def found(lines):
        return sum(line in shown for line in lines)

    def most(lines, threshold):
        least, share = threshold
        return found(lines) >= least and found(lines) >= share * len(lines)

    leaks = Leaks(answers=[name for name, lines in source.answers.items() if found(lines)],
                  hidden=[name for name, lines in source.hidden.items() if most(lines, HIDDEN_CELL)])
    every_solution_line = [line for lines in source.solutions.values() for line in lines]
    copied = most(every_solution_line, NOTEBOOK_COPIED) or any(
        most(lines, ANSWER_COPIED) for lines in source.solutions.values())
    if copied or leaks.answers or leaks.hidden:
        leaks.withdrawn = [name for name, lines in source.short.items()
                           if found(lines) and found(lines) >= WITHDRAW_SHARE * len(lines)]
        leaks.solutions = {name: (found(source.short[name]), len(source.short[name])) for name in leaks.withdrawn}
    return leaks


def redact_html(page, secret_lines):
    """(page, how many lines were redacted): every line of an HTML page whose text is a source-only
    line, or holds a long one, keeps its tags (the page's structure) and loses its text to a notice.
    A page renders a notebook line per line (code in <pre>, Markdown paragraphs keep their breaks)."""
    long_lines = [line for line in secret_lines if len(line) >= LONG_CHARS]
    kept, redacted = [], 0
    for line in page.split("\n"):
        text = normalise(html.unescape(_TAG.sub("", line)))
        if text and (text in secret_lines or (len(text) > LONG_CHARS and any(s in text for s in long_lines))):
            line = "".join(_TAG.findall(line)) + html.escape(REDACTED)
            redacted += 1
        kept.append(line)
    return "\n".join(kept), redacted
