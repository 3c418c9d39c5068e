"""Notebook authoring: the reviewable `.py` source of each notebook becomes its nbgrader `.ipynb`.

Each assignment is written as `source/<name>/<name>.py` in jupytext's percent format, where a
cell header may carry our two markers:

    # %% solution="sigmoid"          the answer cell for exercise `sigmoid`
    # %% test="sigmoid" points=1     its autograded test cell, grade_id `test_sigmoid`
    # %% tags=["demo"]               a locked cell that only shows something (a plot, a timing)

The grader does not run demo cells (autograder.execute): grading needs the answers and the tests,
not the pictures. `check` proves each one safe to skip: it binds nothing a later cell reads and
changes nothing it did not create (see `demo_problems`).

Every other cell becomes a locked, read-only nbgrader cell (nbgrader restores locked cells when it
grades, so a student cannot change a setup cell to influence a test). The `.ipynb` is generated,
committed without outputs, and checked to be in sync by the test suite:

    python -m autograder.authoring build      # rewrite every source/<name>/<name>.ipynb
    python -m autograder.authoring check      # exit 1 and name the stale notebooks
"""

import argparse
import ast
import pathlib
import sys

import jupytext
import nbformat

from .execute import DEMO_TAG, demo_grade_ids

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
    if "test" in marks:
        if "points" not in marks:
            raise ValueError(f"test cell for {marks['test']!r} has no points=")
        return {**base, "grade": True, "grade_id": f"test_{marks['test']}", "locked": True,
                "points": marks["points"], "solution": False}
    return {**base, "grade": False, "grade_id": f"{cell.cell_type}_{readonly_index:02d}", "locked": True,
            "solution": False}


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
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
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
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("names", nargs="*", help="assignment names (default: all)")
    args = parser.parse_args(argv)
    sources = [p for p in assignment_sources() if not args.names or p.stem in args.names]
    if args.command == "build":
        for py_path in sources:
            py_path.with_suffix(".ipynb").write_text(render(build_notebook(py_path)))
            print(f"built {py_path.with_suffix('.ipynb').relative_to(ROOT)}")
        return 0
    stale = [p for p in stale_notebooks() if not args.names or p.stem in args.names]
    for path in stale:
        print(f"stale: {path.relative_to(ROOT)} (run: make notebooks)", file=sys.stderr)
    unsafe = [f"{p.relative_to(ROOT)}: {problem}" for p in sources for problem in demo_problems(build_notebook(p))]
    for line in unsafe:
        print(line, file=sys.stderr)
    return 1 if stale or unsafe else 0


if __name__ == "__main__":
    sys.exit(main())
