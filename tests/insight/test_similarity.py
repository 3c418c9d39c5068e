"""Similarity of solution cells (autograder.insight.similarity) on a seeded synthetic class
(tests/support/synthetic_class.py): every planted copy is found above the threshold, no independent pair
is, identical correct answers of a short exercise do not flood the list, a shared rare wrong output ranks
a pair higher, and the page and CSV hold what students wrote only escaped."""

import csv
import html.parser
import json

import pytest

from autograder.config import check, course_config
from autograder.insight.side_by_side import DISCLAIMER
from autograder.insight.similarity import (
    Similarity,
    find_pairs,
    load_class,
    section_html,
    solution_parts,
    write_csv,
)
from tests.support.synthetic_class import _release, synthetic_class

THRESHOLD = Similarity().threshold
CLASSES = [(["03_backprop"], 40, 0), (["03_backprop"], 40, 1), (["01_notation", "08_capstone"], 60, 2)]


@pytest.fixture(scope="module", params=CLASSES, ids=lambda c: f"{'+'.join(c[0])}-{c[1]}-seed{c[2]}")
def found(request):
    names, students, seed = request.param
    cls = synthetic_class(names, students=students, copies=students // 10, seed=seed)
    return cls, find_pairs(cls.parts, cls.outputs)


def test_planted_copies_found_and_no_independent_pair(found):
    cls, pairs = found
    listed = {(p.a, p.b) for p in pairs}
    true = listed & cls.copies
    precision, recall = len(true) / max(len(listed), 1), len(true) / len(cls.copies)
    print(f"threshold {THRESHOLD}: {len(listed)} listed, {len(cls.copies)} planted, "
          f"precision {precision:.2f} recall {recall:.2f}; scores of copies "
          f"{sorted(p.score for p in pairs if (p.a, p.b) in cls.copies)}")
    assert cls.copies <= listed, f"copies missed: {cls.copies - listed}"
    assert listed <= cls.copies, f"independent pairs listed: {listed - cls.copies}"


def test_margin_between_copies_and_independent_pairs(found):
    cls, _ = found
    everyone = find_pairs(cls.parts, cls.outputs, threshold=0.0)
    copies = min(p.score for p in everyone if (p.a, p.b) in cls.copies)
    independent = max(p.score for p in everyone if (p.a, p.b) not in cls.copies)
    print(f"lowest copy {copies:.3f}, highest independent pair {independent:.3f}")
    assert copies - THRESHOLD >= 0.03 and THRESHOLD - independent >= 0.1  # hash() is salted per run: some slack


def test_the_copied_lines_are_the_ones_marked(found):
    cls, pairs = found
    pair = next(p for p in pairs if (p.a, p.b) in cls.copies)
    part, share = max(pair.parts.items(), key=lambda item: item[1])
    spans_a, spans_b = pair.spans[part]
    assert share > 0.5 and spans_a and spans_b
    marked = sum(end - start for start, end in spans_a)
    assert marked >= 0.3 * len(cls.parts[pair.a][part].strip())


def test_identical_short_answers_do_not_flood_the_list():
    cls = synthetic_class(["03_backprop"], students=30, copies=0, seed=3)
    for student in cls.parts:  # everyone hands in the same short correct answer, word for word
        cls.parts[student]["03_backprop/relu_prime"] = "    return np.where(z > 0, 1.0, 0.0)"
        cls.parts[student]["03_backprop/sigmoid_prime"] = "    s = sigmoid(z)\n    return s * (1 - s)"
    assert find_pairs(cls.parts) == []
    only_short = {s: {"relu_prime": "    return (z > 0).astype(float)  # mine"} for s in cls.parts}
    assert find_pairs(only_short, threshold=0.01) == []


def test_a_shared_rare_wrong_output_ranks_a_pair_higher():
    cls = synthetic_class(["03_backprop"], students=30, copies=0, seed=4)
    before = {(p.a, p.b): p.score for p in find_pairs(cls.parts, threshold=0.0)}
    outputs = {"s001": {"mse_loss": "d1"}, "s002": {"mse_loss": "d1"}}
    outputs.update({f"s{i:03d}": {"bce_loss": "common"} for i in range(3, 20)})  # a mistake many make
    after = {(p.a, p.b): p for p in find_pairs(cls.parts, outputs, threshold=0.0)}
    bonus = Similarity().output_bonus
    assert after["s001", "s002"].score == pytest.approx(before.get(("s001", "s002"), 0) + bonus, abs=1e-3)
    assert after["s001", "s002"].outputs == ["mse_loss"]
    assert after["s003", "s004"].outputs == [] and after["s003", "s004"].score == pytest.approx(
        before[("s003", "s004")], abs=1e-3)


def test_written_answers_compare_words_not_case_or_punctuation():
    answer = ("The bias is added before the batch normalisation, so its mean is subtracted again and the "
              "learned shift beta does the job instead; the bias never changes the output.")
    shouted = answer.upper().replace(",", " ,").replace(";", "!!")
    parts = {"ana": {"answer_bias": answer}, "bob": {"answer_bias": shouted}}
    parts.update({f"x{i}": {"answer_bias": f"My own words number {i} about something else entirely, with "
                                           f"no sentence {i} shared at all in this text {i}."} for i in range(8)})
    pair = find_pairs(parts, threshold=0.0)[0]
    assert (pair.a, pair.b, pair.parts["answer_bias"]) == ("ana", "bob", 1.0)


def test_solution_parts_keep_only_what_the_student_wrote():
    release = _release("01_notation")
    assert solution_parts(release, release) == {}
    for hostile in ([1], {"cells": 5}, {"cells": ["x", {"metadata": 3}]}):
        assert solution_parts(hostile, release) == {}
    cls = synthetic_class(["01_notation"], students=2, copies=0, seed=5)
    parts = solution_parts(cls.notebooks["01_notation"]["s000"], release)
    assert "answer_weight_matrix_shape" in parts and "count_parameters" in parts
    assert not any("YOUR CODE HERE" in t or "NotImplementedError" in t or "YOUR ANSWER HERE" in t
                   for t in parts.values())
    assert not any('"""' in t or "def count_parameters(layer_sizes):" in t for t in parts.values())


def test_marked_lines_are_the_lines_the_spans_touch():
    from autograder.insight.side_by_side import _lines_marked

    text = "a = 1\nb = 2\nc = 3\nd = 4"
    assert _lines_marked(text, [(6, 9)]) == {1}
    assert _lines_marked(text, [(4, 13)]) == {0, 1, 2}
    assert _lines_marked(text, [(18, 23)]) == {3}


def test_load_class_reads_autograded_notebooks_and_skips_bad_ones(tmp_path):
    cls = synthetic_class(["01_notation"], students=3, copies=0, seed=6)
    (tmp_path / "release" / "01_notation").mkdir(parents=True)
    (tmp_path / "release" / "01_notation" / "01_notation.ipynb").write_text(json.dumps(_release("01_notation")))
    for student, notebook in cls.notebooks["01_notation"].items():
        folder = tmp_path / "autograded" / student / "01_notation"
        folder.mkdir(parents=True)
        (folder / "01_notation.ipynb").write_text(json.dumps(notebook))
    limit = max(len(json.dumps(notebook).encode()) for notebook in cls.notebooks["01_notation"].values()) + 100
    for student, text in {"broken": "{not json", "huge": json.dumps({"cells": [], "pad": "x" * limit}),
                          "list": "[1, 2]"}.items():
        folder = tmp_path / "autograded" / student / "01_notation"
        folder.mkdir(parents=True)
        (folder / "01_notation.ipynb").write_text(text)
    (tmp_path / "autograded" / "empty").mkdir()
    (tmp_path / "nbgrader_config.py").write_text(f"c.Similarity.max_notebook_bytes = {limit}\n")
    loaded = load_class(tmp_path, "01_notation")
    assert sorted(loaded) == ["s000", "s001", "s002"]
    assert loaded["s001"] == {k.split("/")[1]: v for k, v in cls.parts["s001"].items()}


SNIPPET = """    squares = [i * i for i in range(10)]
    total = sum(squares) + len(squares) * 3 - max(squares)
    for index, value in enumerate(squares):
        if value % 2 == 0 and index > 3:
            total -= value // 2
        elif value > 40:
            total += min(value, 90) - index
    return {"total": total, "count": len(squares), "mean": total / len(squares)}"""


def test_threshold_is_read_from_nbgrader_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c.Similarity.threshold = 0.99\nc.Similarity.output_bonus = 0.5\n")
    config = course_config(tmp_path)
    check(config)  # a known section of the grader's
    assert Similarity(config=config).threshold == 0.99
    parts = {"ana": {"f": SNIPPET}, "bob": {"f": SNIPPET}}
    assert [(p.a, p.b) for p in find_pairs(parts, threshold=0.5)] == [("ana", "bob")]
    assert find_pairs(parts, config=config) == []
    (tmp_path / "nbgrader_config.py").write_text("c.Similarity.treshold = 0.5\n")
    with pytest.raises(ValueError, match="Similarity.treshold"):
        check(course_config(tmp_path))


def _tags(page):
    found = []

    class Tags(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Tags().feed(page)
    return found


HOSTILE = "<script>alert(1)</script><img src=http://evil.example/x.png>"


def test_the_section_escapes_what_students_wrote_and_says_it_is_no_proof(tmp_path):
    text = f"    total = 0  # {HOSTILE}\n    for value in values:\n        total = total + value * value\n" \
           "    return total / len(values) - min(values) + max(values)"
    parts = {HOSTILE: {"f": text}, "=cmd|' /C calc'!A0": {"f": text}}
    pairs = find_pairs(parts, threshold=0.1)  # one short cell: little material, a low score
    assert len(pairs) == 1
    page = section_html(pairs, parts)
    assert DISCLAIMER in page and "not proof" in page
    tags = _tags(page)
    assert {t for t, _ in tags} <= {"style", "section", "h2", "h4", "p", "strong", "table", "tr", "th", "td",
                                    "details", "summary", "div", "b", "pre", "mark"}
    assert {a for _, attrs in tags for a, _ in attrs} <= {"class"}  # no src, href or on... attribute
    assert "&lt;script&gt;" in page and "<details>" in page and "<mark>" in page
    assert "No pair" in section_html([], parts)
    path = tmp_path / "reports" / "similarity-x.csv"
    write_csv(pairs, path)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 1 and rows[0]["rank"] == "1" and rows[0]["parts"].startswith("f ")
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {HOSTILE, "'=cmd|' /C calc'!A0"}
