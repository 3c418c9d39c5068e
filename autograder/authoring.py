"""Notebook authoring: the reviewable `.py` source of each notebook becomes its nbgrader `.ipynb`.

Each assignment is written as `source/<name>/<name>.py` in jupytext's percent format, where a
cell header may carry our two markers:

    # %% solution="sigmoid"          the answer cell for exercise `sigmoid`
    # %% test="sigmoid" points=1     its autograded test cell, grade_id `test_sigmoid`

Every other cell becomes a locked, read-only nbgrader cell (nbgrader restores locked cells when it
grades, so a student cannot change a setup cell to influence a test). The `.ipynb` is generated,
committed without outputs, and checked to be in sync by the test suite:

    python -m autograder.authoring build      # rewrite every source/<name>/<name>.ipynb
    python -m autograder.authoring check      # exit 1 and name the stale notebooks
"""

import argparse
import pathlib
import sys

import jupytext
import nbformat

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
        cell.metadata = {"nbgrader": meta}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.pop("id", None)
    notebook.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    notebook.nbformat, notebook.nbformat_minor = 4, 4
    nbformat.validator.normalize(notebook)
    return notebook


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
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
