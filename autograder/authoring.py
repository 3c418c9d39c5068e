"""Notebook authoring: the reviewable `.py` source of each notebook becomes its nbgrader `.ipynb`.

Each assignment is written as `source/<name>/<name>.py` in jupytext's percent format, where a
cell header may carry our two markers:

    # %% solution="sigmoid"          the answer cell for exercise `sigmoid`
    # %% test="sigmoid" points=1     its autograded test cell, grade_id `test_sigmoid`
    # %% tags=["demo"]               a locked cell that only shows something (a plot, a timing)
    # %% [markdown] answer="zero_init" points=2
                                     a written answer, graded by hand, grade_id `answer_zero_init`

A written answer cell holds, between `### BEGIN SOLUTION` and `### END SOLUTION`, a model answer
(a paragraph starting `**Model answer.**`) and a rubric (`**Rubric.**`, then one bullet per point
with its points in brackets). nbgrader's release replaces that region with "YOUR ANSWER HERE";
graders read the model answers and rubrics with `python -m autograder.authoring rubrics`. The
question itself sits in the locked markdown cell just above.

The grader does not run demo cells (autograder.grading.execute): grading needs the answers and the tests,
not the pictures. `check` proves each one safe to skip: it binds nothing a later cell reads and
changes nothing it did not create (see `demo_problems`).

Every other cell becomes a locked, read-only nbgrader cell (nbgrader restores locked cells when it
grades, so a student cannot change a setup cell to influence a test). The `.ipynb` is generated,
committed without outputs, and checked to be in sync by the test suite:

    python -m autograder.authoring build      # rewrite every source/<name>/<name>.ipynb
    python -m autograder.authoring check      # exit 1 and name the stale notebooks
    python -m autograder.authoring rubrics    # print every written question's model answer and rubric
"""

import argparse
import ast
import pathlib
import re
import sys

import jupytext
import nbformat

from autograder.grading.execute import DEMO_TAG, demo_grade_ids

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def assignment_sources(source_dir=SOURCE):
    """The percent-format sources, one per assignment folder, sorted by name."""
    return sorted(path for path in source_dir.glob("*/*.py") if path.stem == path.parent.name)


def nbgrader_metadata(cell, readonly_index):
    """nbgrader's cell metadata for a cell of the percent source (schema version 3)."""
    marks = cell.metadata
    base = {"schema_version": 3, "task": False}
    if "solution" in marks:
        return {**base, "grade": False, "grade_id": marks["solution"], "locked": False, "solution": True}
    if "answer" in marks:
        if cell.cell_type != "markdown" or "points" not in marks:
            raise ValueError(f"written answer {marks['answer']!r} must be a markdown cell with points=")
        return {**base, "grade": True, "grade_id": f"answer_{marks['answer']}", "locked": False,
                "points": marks["points"], "solution": True}
    if "test" in marks:
        if "points" not in marks:
            raise ValueError(f"test cell for {marks['test']!r} has no points=")
        return {**base, "grade": True, "grade_id": f"test_{marks['test']}", "locked": True,
                "points": marks["points"], "solution": False}
    return {**base, "grade": False, "grade_id": f"{cell.cell_type}_{readonly_index:02d}", "locked": True,
            "solution": False}


RUBRIC_BULLET = re.compile(r"^\s*[-*] \[(\d+(?:\.\d+)?) points?\]", re.MULTILINE)


def _answer_cells(notebook):
    """(index, nbgrader metadata, text between BEGIN SOLUTION and END SOLUTION) of each written answer
    cell (nbgrader's grade + solution) of `notebook`."""
    for index, cell in enumerate(notebook["cells"]):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and meta.get("solution"):
            yield index, meta, _text(cell).partition("BEGIN SOLUTION")[2].partition("END SOLUTION")[0]


def answer_problems(notebook):
    """Why a written answer cell of `notebook` is not ready to grade, one line each ([] when none):
    it needs a question above it, a model answer and a rubric whose bullets add up to its points."""
    problems = []
    cells = notebook["cells"]
    for index, meta, inside in _answer_cells(notebook):
        grade_id = meta["grade_id"]
        if not inside:
            problems.append(f"{grade_id}: no BEGIN SOLUTION ... END SOLUTION region")
        if "**Model answer.**" not in inside:
            problems.append(f"{grade_id}: no **Model answer.** inside the solution region")
        if "**Rubric.**" not in inside:
            problems.append(f"{grade_id}: no **Rubric.** inside the solution region")
        total = sum(float(points) for points in RUBRIC_BULLET.findall(inside.partition("**Rubric.**")[2]))
        if "**Rubric.**" in inside and total != float(meta["points"]):
            problems.append(f"{grade_id}: the rubric's bullets add up to {total:g} points, the cell has {meta['points']:g}")
        if index == 0 or cells[index - 1]["cell_type"] != "markdown" or cells[index - 1]["metadata"]["nbgrader"]["grade"]:
            problems.append(f"{grade_id}: the cell above it must be the question (a locked markdown cell)")
    return problems


def _text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def rubrics(notebook, name):
    """Markdown for graders: each written question of `notebook`, its points, model answer and rubric."""
    parts = [f"# {name}: written answers\n"]
    for index, meta, inside in _answer_cells(notebook):
        body = "\n".join(inside.splitlines()[1:-1]).strip()  # without the marker lines' ends
        question = _text(notebook["cells"][index - 1]).strip()
        parts.append(f"## {meta['grade_id']} [{meta['points']:g} points]\n\n{question}\n\n{body}\n")
    return "\n".join(parts)


def build_notebook(py_path):
    """The nbgrader notebook (a NotebookNode, no outputs) for one percent-format source."""
    notebook = jupytext.read(py_path, fmt="py:percent")
    readonly_index = 0
    for cell in notebook.cells:
        meta = nbgrader_metadata(cell, readonly_index)
        if meta["locked"] and not meta["grade"]:
            readonly_index += 1
        tags = list(cell.metadata.get("tags", []))
        if DEMO_TAG in tags and (cell.cell_type != "code" or not meta["locked"] or meta["grade"]):
            raise ValueError(f"{py_path}: only a locked code cell can be a demo ({meta['grade_id']})")
        cell.metadata = {"nbgrader": meta, **({"tags": tags} if tags else {})}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.pop("id", None)
    notebook.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    notebook.nbformat, notebook.nbformat_minor = 4, 4
    nbformat.validator.normalize(notebook)
    return notebook


def _names(source):
    """(bound, free, changed, called, imported): names a cell binds, reads before binding, changes in
    place (x[...] = , x.a = ), calls methods of (x.f()), and binds by importing a module."""
    tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()))
    bound, read, changed, called, local, imported = set(), set(), set(), set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, ast.comprehension):
            local.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            base = node.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                changed.add(base.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            called.add(node.func.value.id)
    bound |= imported
    return bound, read - bound - local, changed - bound, called - bound - local, imported


def demo_problems(notebook):
    """Why a demo cell of `notebook` would change grading if skipped, one line each ([] when none).

    A demo cell must bind no name that a later cell, not itself a demo, reads before binding it;
    must change nothing in place that it did not create; and may call methods only of modules and
    of what it created (a method of an earlier object may change it)."""
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    sources = [_text(c) for c in cells]
    names = [_names(source) for source in sources]
    modules = set().union(*(imported for *_, imported in names))
    demos = demo_grade_ids(notebook)
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in cells]
    problems = []
    for index, grade_id in enumerate(ids):
        if grade_id not in demos:
            continue
        bound, _, changed, called, _ = names[index]
        pending, read_later = set(bound), set()
        for later, (later_bound, later_free, *_) in zip(ids[index + 1:], names[index + 1:]):
            if later not in demos:
                read_later |= pending & later_free
                pending -= later_bound
        for what, found in (("binds names a later cell reads", read_later), ("changes in place", changed),
                            ("calls methods of earlier objects", called - modules)):
            if found:
                problems.append(f"demo cell {grade_id} {what}: {', '.join(sorted(found))}")
    return problems


def render(notebook):
    return nbformat.writes(notebook) + "\n"


def stale_notebooks(source_dir=SOURCE):
    """Sources whose committed .ipynb is missing or differs from a fresh build."""
    stale = []
    for py_path in assignment_sources(source_dir):
        ipynb = py_path.with_suffix(".ipynb")
        if not ipynb.exists() or ipynb.read_text() != render(build_notebook(py_path)):
            stale.append(ipynb)
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "check", "rubrics"])
    parser.add_argument("names", nargs="*", help="assignment names (default: all)")
    args = parser.parse_args(argv)
    sources = [p for p in assignment_sources() if not args.names or p.stem in args.names]
    if args.command == "build":
        for py_path in sources:
            py_path.with_suffix(".ipynb").write_text(render(build_notebook(py_path)))
            print(f"built {py_path.with_suffix('.ipynb').relative_to(ROOT)}")
        return 0
    if args.command == "rubrics":
        print("\n".join(rubrics(build_notebook(p), p.stem) for p in sources))
        return 0
    stale = [p for p in stale_notebooks() if not args.names or p.stem in args.names]
    for path in stale:
        print(f"stale: {path.relative_to(ROOT)} (run: make notebooks)", file=sys.stderr)
    unsafe = [f"{p.relative_to(ROOT)}: {problem}" for p in sources
              for notebook in [build_notebook(p)] for problem in demo_problems(notebook) + answer_problems(notebook)]
    for line in unsafe:
        print(line, file=sys.stderr)
    return 1 if stale or unsafe else 0


if __name__ == "__main__":
    sys.exit(main())
