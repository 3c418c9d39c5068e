"""A seeded synthetic class for the similarity tests and benchmark: per exercise each student picks a correct
variant (the source's solution, tests/support/alternatives*.py) or a wrong one (the wrong versions of
tests/notebooks/test_messages_<nb>.py, tests/support/catalog.py MISTAKES), written in a personal style (own
local names, comments, blank lines, a temporary before `return`, `x = x + y` for `x += y`, sanity lines);
written answers echo the notebook's prose in the student's own words. Planted copiers take another student's
answers to most exercises, disguised: names changed again, independent statements and functions reordered,
comments rewritten, a few words of each written answer swapped.

    cls = synthetic_class(["03_backprop"], students=40, copies=4, seed=0)
    cls.parts        # {student: {"03_backprop/mse_loss": text, ...}} as similarity.solution_parts leaves them
    cls.copies       # {(a, b)} planted pairs, a < b
    cls.outputs      # {student: {exercise: digest}} where the student's variant is wrong
"""

import ast
import functools
import inspect
import json
import random
import re
import textwrap
from dataclasses import dataclass, field

from autograder.insight.similarity import solution_parts
from tests.support.notebook import ROOT

NAME_STEMS = ["tmp", "val", "res", "out", "acc", "cur", "arr", "mat", "vec", "buf", "part", "step", "item", "total",
              "grad", "delta", "current", "work", "piece", "term", "node", "entry", "chunk", "thing", "local"]
COMMENT_WORDS = ["compute", "the", "here", "now", "we", "need", "shape", "check", "loop", "over", "each", "layer",
                 "sum", "then", "return", "result", "careful", "with", "axis", "columns", "rows", "batch", "note",
                 "first", "next", "update", "keep", "value", "this", "works", "fix", "later", "todo", "from", "lecture"]
SANITY_LINES = ["assert {p} is not None", "{p} = np.asarray({p})", "print('debug', {p})", "_ = len(str({p}))",
                "if {p} is None:\n    raise ValueError('missing input')", "assert np.all(np.isfinite({p}))",
                "print(type({p}))", "# print({p}.shape)", "{p} = {p}.copy()", "assert len({p}) > 0",
                "if False:\n    print({p})", "print(np.shape({p}))"]
# Habits a student has throughout (each rewrites code the way some students always write it): these survive
# the name-blind tokens, so two students who pick the same variant still differ as real ones do.
HABITS = [
    (r"([\w.\]\[]+) @ ([\w.\]\[]+)", r"np.dot(\1, \2)"),
    (r"\b([A-Za-z_]\w*)\.T\b", r"np.transpose(\1)"),
    (r"(?<![\w.])(\d+)(?![\w.])", r"\1.0"),
    (r"np\.(sum|mean|max|min)\(([\w.]+)\)", r"\2.\1()"),
    (r"\b([A-Za-z_]\w*) \*\* 2\b", r"\1 * \1"),
    (r"^(\s+)return (.+)$", r"\1return (\2)"),
    (r"range\(len\((\w+)\)\)", r"range(0, len(\1))"),
    (r"\b([A-Za-z_]\w*) > 0\b", r"0 < \1"),
    (r"\b1 - ([A-Za-z_]\w*)\b", r"-\1 + 1"),
    (r" / 2\b", r" * 0.5"),
    (r"\blen\((\w+)\)", r"\1.shape[0]"),
    (r"np\.zeros_like\((\w+)\)", r"np.zeros(\1.shape)"),
    (r"\bfloat\(", r"np.float64("),
    (r"np\.exp\(", r"np.e ** ("),
]
SYNONYMS = {"the": "this", "is": "becomes", "a": "one", "and": "plus", "of": "for", "we": "one", "shape": "size",
            "each": "every", "because": "since", "so": "thus", "gives": "yields", "when": "whenever"}


def _dedent_cell(text):
    return "\n".join(line for line in text.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line)


def _notebook(path):
    return json.loads(path.read_text())


@functools.cache
def _release(name):
    return _notebook(ROOT / "release" / name / f"{name}.ipynb")


@functools.cache
def _source_cells(name):
    """{grade_id: (cell_type, text)} of the source's solution cells, the solution markers removed."""
    cells = {}
    for cell in _notebook(ROOT / "source" / name / f"{name}.ipynb")["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            cells[meta["grade_id"]] = (cell["cell_type"], _dedent_cell("".join(cell["source"])))
    return cells


@functools.cache
def _prose(name):
    """Sentences of the notebook's own explanations (what students echo in written answers)."""
    text = " ".join("".join(c["source"]) for c in _release(name)["cells"]
                    if c["cell_type"] == "markdown" and not c["metadata"].get("nbgrader", {}).get("solution"))
    text = re.sub(r"[`$*#|\\{}^_\[\]]", " ", text)
    return [s.split() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 8]


def _parses(text):
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


DOCSTRING = re.compile(r"^(def [^\n]*\n)[ \t]*(\"\"\"|\'\'\')[\s\S]*?\2[^\n]*\n", re.M)


def _defs_in(text):
    return set(re.findall(r"^def (\w+)\(", textwrap.dedent(text), re.M))


@functools.cache
def _wrong_versions(name):
    """{exercise: [text]} of the wrong versions the message tests hand the notebook (plus catalog MISTAKES)."""
    exercises = {g for g, (kind, _) in _source_cells(name).items() if kind == "code"}
    files = [ROOT / "tests" / "notebooks" / f"test_messages_{name}.py", ROOT / "tests" / "support" / "catalog.py"]
    found = {}
    for path in files if name == "03_backprop" else files[:1]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = textwrap.dedent(node.value).strip("\n")
                for exercise in _defs_in(text) & exercises:
                    if (text.startswith(f"def {exercise}(") and text not in found.get(exercise, []) and _parses(text)
                            and not re.search(r"return\s*$", text)):  # a template completed by the test
                        found.setdefault(exercise, []).append(text)
    return found


@functools.cache
def _alternatives():
    from tests.support.alternatives import ALTERNATIVES

    out = {}
    for exercise, function in ALTERNATIVES.items():
        try:
            text = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError):
            continue
        if text.startswith("def "):
            text = re.sub(r"^def \w+\(", f"def {exercise}(", text, count=1)
            out[exercise] = re.sub(r"\b_alt_(\w+)", r"\1", text).rstrip("\n")
    return out


def variants(name):
    """{grade_id: [(key, text, wrong)]}: every way a student of notebook `name` may answer each code cell."""
    out = {}
    for grade_id, (kind, text) in _source_cells(name).items():
        if kind != "code":
            continue
        options = [("reference", text, False)]
        if grade_id in _alternatives():
            options.append(("alternative", _alternatives()[grade_id], False))
        options += [(f"wrong{i}", wrong, True) for i, wrong in enumerate(_wrong_versions(name).get(grade_id, []))]
        out[grade_id] = options
    return out


@dataclass
class Style:
    """How one student writes: their naming, commenting and habits, drawn once."""

    rng: random.Random
    stems: list = field(default_factory=list)
    comment_rate: float = 0.3
    blank_rate: float = 0.2
    temp_return: float = 0.0  # how often (per exercise) the student returns through a temporary
    expand_augmented: float = 0.0
    sanity: list = field(default_factory=list)
    habits: list = field(default_factory=list)

    @classmethod
    def draw(cls, rng):
        return cls(rng, rng.sample(NAME_STEMS, 6), rng.random() * 0.5, rng.random() * 0.4, rng.random() * 0.8,
                   rng.random() * 0.8, rng.sample(SANITY_LINES, rng.randint(0, 3)),
                   [habit for habit in HABITS if rng.random() < 0.4])


def _local_names(text):
    """Names a cell assigns that are not its functions' names or parameters (what a student names freely)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    fixed = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    fixed |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args + n.args.kwonlyargs}
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return sorted(stored - fixed - {"_"})


def rename(text, style):
    mapping = {name: f"{style.rng.choice(style.stems)}_{name.lower()[:3]}{style.rng.randint(0, 9)}"
               for name in _local_names(text)}
    return re.sub(r"\b\w+\b", lambda m: mapping.get(m.group(0), m.group(0)), text) if mapping else text


def _indent(line):
    return line[:len(line) - len(line.lstrip())]


def restyle(text, style):
    """`text` as this student writes it: habits that survive name-blind tokens, then names, comments, blanks."""
    lines, out = DOCSTRING.sub(r"\1", text).splitlines(), []  # the release gives the docstrings
    temp_return, expand = style.rng.random() < style.temp_return, style.rng.random() < style.expand_augmented
    habits = [habit for habit in style.habits if style.rng.random() < 0.8]  # not every habit in every cell
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            continue  # the student drops the given comments
        match = re.match(r"^(\s*)(\w+(?:\[[^\]]*\])?) ([-+*/])= (.+)$", line)
        for pattern, replacement in habits if not stripped.startswith(("def ", '"', "'")) else []:
            line = re.sub(pattern, replacement, line)
        if expand and match:
            line = f"{match[1]}{match[2]} = {match[2]} {match[3]} ({match[4]})"
        match = re.match(r"^(\s+)return (.+[^,(\[{\\])$", line)
        if temp_return and match and "," not in match[2]:
            out.append(f"{match[1]}result_value = {match[2]}")
            line = f"{match[1]}return result_value"
        if style.rng.random() < style.comment_rate and stripped:
            out.append(f"{_indent(line)}# " + " ".join(style.rng.sample(COMMENT_WORDS, style.rng.randint(2, 5))))
        out.append(line)
        if (re.match(r"^def \w+\((\w+)", line) and style.sanity and not line.rstrip().endswith(("(", ","))
                and style.rng.random() < 0.4):
            template = style.rng.choice(style.sanity)
            out.extend("    " + s for s in template.format(p=re.match(r"^def \w+\((\w+)", line)[1]).splitlines())
        if style.rng.random() < style.blank_rate and stripped and not stripped.endswith(("(", ",", "\\")):
            out.append("")
    return rename("\n".join(out), style)


def _statements(lines):
    """Top-level (per indent) statements of a block: lists of lines, continuation and nested lines attached."""
    blocks = []
    for line in lines:
        if blocks and (not line.strip() or len(_indent(line)) > len(_indent(blocks[-1][0]))
                       or blocks[-1][-1].rstrip().endswith(("(", ",", "\\", "[", "{"))):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _independent(first, second):
    def names(block):
        return set(re.findall(r"\b[A-Za-z_]\w*\b", "\n".join(block)))

    def assigned(block):
        match = re.match(r"^\s*([\w, ]+?)\s*=[^=]", block[0])
        return set(re.findall(r"\w+", match[1])) if match else None

    a, b = assigned(first), assigned(second)
    return a is not None and b is not None and not a & names(second) and not b & names(first)


def disguise(text, style):
    """A copier's version of `text`: comments dropped and rewritten, adjacent independent assignments and
    top-level functions swapped, every local renamed again."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    top = _statements(lines)
    functions = [b for b in top if b[0].startswith("def ")]
    if len(functions) > 1:
        style.rng.shuffle(functions)
        top = [b for b in top if not b[0].startswith("def ")] + functions
    out = []
    for block in top:
        body = _statements(block[1:]) if block[0].startswith("def ") else []
        for i in range(len(body) - 1):
            if style.rng.random() < 0.6 and _independent(body[i], body[i + 1]):
                body[i], body[i + 1] = body[i + 1], body[i]
        out.extend([block[0], *[line for b in body for line in b]] if body else block)
        out.append("")
    restyled = [line for line in "\n".join(out).splitlines()]
    with_comments = []
    for line in restyled:
        if line.strip() and style.rng.random() < style.comment_rate:
            with_comments.append(f"{_indent(line)}# " + " ".join(style.rng.sample(COMMENT_WORDS, 3)))
        with_comments.append(line)
    return rename("\n".join(with_comments).strip("\n"), style)


def written_answer(name, rng):
    """A student's written answer: two to four sentences, each the notebook's prose in their own words (words
    dropped and swapped) or a sentence of their own."""
    sentences = []
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.6 and _prose(name):
            words = [w for w in rng.choice(_prose(name)) if rng.random() > 0.3]
        else:
            vocabulary = [w for s in _prose(name) for w in s] or COMMENT_WORDS
            words = rng.sample(vocabulary, rng.randint(8, 16))
        sentences.append(" ".join(SYNONYMS.get(w, w) if rng.random() < 0.2 else w for w in words))
    return " ".join(s[:1].upper() + s[1:].rstrip(".") + "." for s in sentences)


def reword(text, rng):
    """A copier's version of a written answer: sentences reordered, a few words swapped."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    rng.shuffle(sentences)
    return " ".join(" ".join(SYNONYMS.get(w, w) if rng.random() < 0.15 else w for w in s.split()) for s in sentences)


def _notebook_with(name, cells):
    """The release of `name` with each solution cell's source replaced by cells[grade_id] (stub kept otherwise)."""
    release = _release(name)
    out = []
    for cell in release["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["metadata"].get("nbgrader", {}).get("solution") and grade_id in cells:
            cell = {**cell, "source": cells[grade_id]}
        out.append(cell)
    return {**release, "cells": out}


@dataclass
class SyntheticClass:
    parts: dict
    outputs: dict
    copies: set
    notebooks: dict  # {name: {student: notebook JSON}}


def synthetic_class(names, students=40, copies=4, seed=0, copied_share=0.85, wrong_rate=0.25, blank_rate=0.05):
    """A class of `students` (s000, s001, ...) answering notebooks `names`, `copies` of them copiers of another
    (each copies about `copied_share` of the exercises and written answers, in every notebook)."""
    rng = random.Random(seed)
    ids = [f"s{i:03d}" for i in range(students)]
    styles = {s: Style.draw(random.Random(f"{seed}-{s}")) for s in ids}
    order = ids[:]
    rng.shuffle(order)
    copier_of = dict(zip(order[:copies], order[copies:2 * copies]))  # copier -> original
    cells = {name: {s: {} for s in ids} for name in names}
    outputs = {s: {} for s in ids}
    for name in names:
        options, written = variants(name), [g for g, (k, _) in _source_cells(name).items() if k == "markdown"]
        for student in ids:
            for grade_id, choices in options.items():
                if rng.random() < blank_rate:
                    continue
                correct = [c for c in choices if not c[2]]
                wrong = [c for c in choices if c[2]]
                key, text, is_wrong = rng.choice(wrong if wrong and rng.random() < wrong_rate else correct)
                cells[name][student][grade_id] = restyle(text, styles[student])
                if is_wrong:
                    outputs[student][grade_id] = f"{name}/{grade_id}/{key}"
            for grade_id in written:
                cells[name][student][grade_id] = written_answer(name, rng)
        for copier, original in copier_of.items():
            for grade_id, text in cells[name][original].items():
                if rng.random() < copied_share:
                    is_written = _source_cells(name)[grade_id][0] == "markdown"
                    cells[name][copier][grade_id] = reword(text, rng) if is_written else disguise(text, styles[copier])
                    if grade_id in outputs[original]:
                        outputs[copier][grade_id] = outputs[original][grade_id]
                    else:
                        outputs[copier].pop(grade_id, None)
    notebooks = {name: {s: _notebook_with(name, cells[name][s]) for s in ids} for name in names}
    parts = {s: {} for s in ids}
    for name in names:
        for student in ids:
            own = solution_parts(notebooks[name][student], _release(name))
            parts[student].update({f"{name}/{g}": text for g, text in own.items()})
    planted = {tuple(sorted(pair)) for pair in copier_of.items()}
    return SyntheticClass(parts, outputs, planted, notebooks)
