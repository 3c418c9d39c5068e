"""Whose work looks alike: pairs of students ranked by how much *rare* material their solution cells share.

Code is fingerprinted as MOSS does (copydetect's primitives: pygments tokens with every name replaced,
hashed k-grams, winnowing); written answers by word k-grams of lower-cased text without punctuation.
A fingerprint counts for a pair by its rarity in the class: one that many students have (the obvious
correct answer of a short exercise) or that the release notebook already holds counts little or nothing.
Per part, a pair's share is the weighted material they have in common over the smaller of their two totals;
averaged over the parts of an assignment (each weighing that smaller total, capped), a pair scores by how
much of its rare material it shares. Two students who return the same rare wrong output on the class-wide
inputs score more.

Similarity is a reason to look, never proof: the page says so, and the instructor decides.

    pairs = find_pairs(load_class(root, "03_backprop"), outputs={"ana": {"mse_loss": "9f3a..."}})

Hashes are our own (fingerprints.kgram_hashes), not copydetect's `hashed_kgrams`, whose Python `hash` is
salted per process: the same class gives the same pairs and scores in every run.
"""

import csv
import json
import os
from dataclasses import dataclass, field

from traitlets import Float, Integer
from traitlets.config import Configurable


class Similarity(Configurable):
    """How pairs of similar work are found (c.Similarity.<name>)."""

    threshold = Float(0.42, help="a pair is listed when its score (the share of their rare material the two have in "
                                 "common, 0 to 1, plus the rare-output bonus) is at least this").tag(config=True)
    code_k = Integer(20, help="code fingerprints: characters of name-blind tokens per k-gram").tag(config=True)
    code_window = Integer(4, help="code fingerprints: winnowing window (one k-gram kept per window; a match of "
                                  "k + window - 1 characters is always seen)").tag(config=True)
    word_k = Integer(4, help="written answers: words per k-gram").tag(config=True)
    word_window = Integer(1, help="written answers: winnowing window, in word k-grams (1: every k-gram is kept, "
                                  "as answers are short)").tag(config=True)
    rarity_power = Float(2.0, help="a fingerprint shared by d students weighs (2 / d) ** rarity_power: "
                                   "1 for a pair, little once many have it").tag(config=True)
    part_cap = Float(12.0, help="a part weighs as much as the rarer material of the two in it, up to this many "
                                "fingerprints: one long exercise two students happen to answer alike does not "
                                "decide, and a short one counts less").tag(config=True)
    min_material = Float(20.0, help="the least total weight a score is a share of, so that two nearly empty "
                                    "notebooks do not score high on a few k-grams").tag(config=True)
    rare_output_students = Integer(3, help="a wrong output (the grader's digest) that at most this many students "
                                           "share adds output_bonus to each pair of them").tag(config=True)
    output_bonus = Float(0.1, help="added to a pair's score per exercise with a shared rare wrong output"
                         ).tag(config=True)
    max_notebook_bytes = Integer(8 * 1024**2, help="a submitted notebook larger than this is skipped, unread"
                                 ).tag(config=True)
    max_part_chars = Integer(20000, help="characters of one solution cell considered (the rest is ignored)"
                             ).tag(config=True)


CODE_STUB_LINES = ("# YOUR CODE HERE", "YOUR ANSWER HERE")


def _text(cell):
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def _cells(notebook):
    """The cells of a notebook read from a student's file: only dicts, whatever the file holds."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    return [cell for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []


def _nbgrader(cell):
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nbgrader = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbgrader if isinstance(nbgrader, dict) else {}


def is_written(part):
    """Whether `part` ("answer_x", or "<assignment>/answer_x") names a written answer: the course's markdown
    solution cells have grade ids answer_<name> (autograder.authoring), its code cells the exercise name."""
    return part.rsplit("/", 1)[-1].startswith("answer_")


def solution_parts(notebook, release=None):
    """{grade_id: text} of a notebook's (JSON dict's) solution cells, code and markdown, with every line of the
    release's own cell (signature, docstring, `# YOUR CODE HERE`, `raise NotImplementedError(...)`,
    `YOUR ANSWER HERE`) taken out: what is left is the student's."""
    stubs = {}
    for cell in _cells(release):
        if _nbgrader(cell).get("solution"):
            stubs[str(_nbgrader(cell).get("grade_id"))] = {line.strip() for line in _text(cell).splitlines()}
    parts = {}
    for cell in _cells(notebook):
        meta = _nbgrader(cell)
        if not meta.get("solution") or cell.get("cell_type") not in ("code", "markdown"):
            continue
        given = stubs.get(str(meta.get("grade_id")), set()) | set(CODE_STUB_LINES)
        own = [line for line in _text(cell).splitlines() if line.strip() not in given]
        text = "\n".join(own).strip("\n")
        if text.strip() and not (cell.get("cell_type") == "code" and _unanswered(text)):
            parts[str(meta.get("grade_id"))] = text
    return parts


def _unanswered(text):
    """Whether code only defines functions that pass or raise NotImplementedError: a stub of the student's own
    wording, which two students who answered nothing share without having copied anything."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False

    def empty(statement):
        if isinstance(statement, (ast.Pass, ast.Expr)) and not isinstance(getattr(statement, "value", None), ast.Call):
            return True  # pass, a docstring, ...
        exception = statement.exc.func if isinstance(statement, ast.Raise) and isinstance(statement.exc, ast.Call) \
            else getattr(statement, "exc", None)
        return isinstance(statement, ast.Raise) and isinstance(exception, ast.Name) and \
            exception.id == "NotImplementedError"

    return bool(tree.body) and all(isinstance(node, ast.FunctionDef) and all(map(empty, node.body))
                                   for node in tree.body)


def _read_notebook(path, max_bytes):
    try:
        if os.path.getsize(path) > max_bytes:
            return None
        with open(path, encoding="utf-8") as handle:
            notebook = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return None
    return notebook if isinstance(notebook, dict) else None


def load_class(root, assignment, students=None, config=None):
    """{student: {part: text}} from <root>/autograded/<student>/<assignment>/<assignment>.ipynb, the stubs of
    release/<assignment>/<assignment>.ipynb removed. A missing, oversized or unreadable notebook is skipped;
    nothing is executed."""
    from autograder.config import course_config

    settings = Similarity(config=config if config is not None else course_config(root))
    release = _read_notebook(os.path.join(root, "release", assignment, f"{assignment}.ipynb"), 64 * 1024**2)
    graded = os.path.join(root, "autograded")
    if students is None:
        students = sorted(os.listdir(graded)) if os.path.isdir(graded) else []
    parts = {}
    for student in students:
        notebook = _read_notebook(os.path.join(graded, student, assignment, f"{assignment}.ipynb"),
                                  settings.max_notebook_bytes)
        if notebook is not None:
            parts[student] = solution_parts(notebook, release)
    return parts


@dataclass
class Pair:
    """Two students whose work looks alike (a < b). score: the share of their rarer material in common plus
    the output bonus; parts: {part: share of that part}; spans: {part: ([(start, end)] in a's text, [...] in
    b's)}; outputs: the exercises where both return the same rare wrong output; shared: the rare material in
    common, in fingerprints (weighted)."""

    a: str
    b: str
    score: float
    parts: dict = field(default_factory=dict)
    spans: dict = field(default_factory=dict)
    outputs: list = field(default_factory=list)
    shared: float = 0.0


def find_pairs(parts, outputs=None, threshold=None, config=None, boilerplate=None):
    """[Pair] scoring at least `threshold` (c.Similarity.threshold when None), best first.

    parts: {student: {part: text}} (load_class; parts of several assignments may be merged with keys
    "<assignment>/<part>"); outputs: {student: {exercise: digest}} of the exercises where the student lost
    points; boilerplate: {part: text} the release already gives (its fingerprints count nothing).

    A part's share for a pair is the rarity-weighted fingerprints they have in common over the smaller of
    their two totals; the score averages the shares over the parts, each weighing the smaller total up to
    part_cap, then adds output_bonus per exercise with a shared rare wrong output."""
    if sum(1 for texts in parts.values() if texts) < 2:  # no pair (a run that graded one student): no imports
        return []
    import numpy as np

    from autograder.insight import fingerprints as fp

    settings = Similarity(config=config)
    threshold = settings.threshold if threshold is None else threshold
    students = sorted(parts)
    index = {s: i for i, s in enumerate(students)}
    shared, weighted, total = (np.zeros((len(students), len(students))) for _ in range(3))
    per_part, cache = {}, {}
    for part in sorted({p for texts in parts.values() for p in texts}):
        written = is_written(part)

        def prints_of(text):  # identical answers (the same given or copied text) are fingerprinted once
            if (text, written) not in cache:
                cache[text, written] = fp.fingerprints(text, written, settings)
            return cache[text, written]

        prints = {s: prints_of(parts[s][part]) for s in students if parts[s].get(part)}
        given = prints_of(boilerplate[part]).hashes if boilerplate and boilerplate.get(part) else np.zeros(0, np.int64)
        holders, common, material = fp.part_matrices(prints, given, settings.rarity_power)
        if common is None:
            continue
        at = np.ix_(*[np.array([index[s] for s in holders])] * 2)
        least = np.minimum.outer(material, material)
        share = common / np.maximum(least, 1e-9)
        counts = np.minimum(least, settings.part_cap)
        weighted[at] += share * counts
        total[at] += counts
        shared[at] += common
        per_part[part] = ({s: k for k, s in enumerate(holders)}, share, prints)
    score = weighted / np.maximum(total, settings.min_material)
    bonus = fp.rare_outputs({s: outputs[s] for s in outputs or {} if s in index}, settings.rare_output_students)
    for (a, b), exercises in bonus.items():
        score[index[a], index[b]] += settings.output_bonus * len(exercises)
    found = [_pair(students[i], students[j], score[i, j], shared[i, j], per_part, bonus.get((students[i], students[j]), []))
             for i, j in zip(*np.nonzero(np.triu(score >= threshold, k=1)))]
    return sorted(found, key=lambda p: (-p.score, p.a, p.b))


def _pair(a, b, score, shared, per_part, outputs):
    import numpy as np

    pair = Pair(a, b, round(float(score), 4), outputs=list(outputs), shared=round(float(shared), 2))
    for part, (row, share, prints) in per_part.items():
        if a not in row or b not in row or share[row[a], row[b]] <= 0:
            continue
        common = np.intersect1d(prints[a].hashes, prints[b].hashes)
        pair.parts[part] = round(float(share[row[a], row[b]]), 3)
        pair.spans[part] = (prints[a].spans(common), prints[b].spans(common))
    return pair


def _cell(value):
    """A CSV cell a spreadsheet will not run as a formula (student ids are the students' choice)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(pairs, path):
    """reports/similarity-<assignment>.csv: rank, the two students, score, shared material, the parts that
    match with their share, the exercises with a shared rare wrong output."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", "student_a", "student_b", "score", "shared_fingerprints", "parts",
                         "shared_rare_outputs"])
        for rank, pair in enumerate(pairs, 1):
            parts = "; ".join(f"{part} {share:.2f}" for part, share in sorted(pair.parts.items(), key=lambda x: -x[1]))
            writer.writerow([rank, _cell(pair.a), _cell(pair.b), f"{pair.score:.3f}", f"{pair.shared:.1f}",
                             _cell(parts), _cell("; ".join(pair.outputs))])


def section_html(pairs, parts, limit=50, threshold=None):
    """The class report's similarity section (an HTML fragment); see autograder.insight.side_by_side."""
    from autograder.insight.side_by_side import section_html as render

    return render(pairs, parts, limit=limit, threshold=threshold)
