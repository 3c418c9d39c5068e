"""Collecting, one notebook at a time: what the assignment expects (from its source notebook) and
how a submitted notebook measures up (readable, of this assignment, cells deleted or edited).
Part of autograder.collect, which says what collecting is for."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path

import nbformat

# nbgrader's ClearHiddenTests defaults: released notebooks lack these regions, so a locked test
# cell is compared with its source minus them (otherwise every hidden test would look "edited").
HIDDEN_TESTS_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_TESTS_END = "END HIDDEN TESTS"

NOTEBOOK_SUFFIX = ".ipynb"


# ----------------------------------------------------------------------------------------------
# The assignment, from its source notebook
# ----------------------------------------------------------------------------------------------


def _cell_source(cell) -> str:
    """A cell's source as one string (the JSON may hold a list of lines)."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata, or {} for anything malformed (students' files can be)."""
    if not isinstance(cell, dict) or not isinstance(cell.get("metadata"), dict):
        return {}
    meta = cell["metadata"].get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def strip_hidden_tests(source: str) -> str:
    """Remove hidden-test regions the way nbgrader's ClearHiddenTests does (line based)."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_TESTS_BEGIN in line:
            hidden = True
        elif HIDDEN_TESTS_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def normalise_source(source: str) -> str:
    """Compare sources modulo trailing spaces and blank lines: editors add and strip those."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def expected_cells(source_notebook_path) -> dict:
    """Describe an assignment from its source notebook ``source/<a>/<a>.ipynb``.

    Returns a JSON-friendly dict:
    ``assignment`` (the notebook's stem), ``grade_ids`` (every nbgrader cell, in order),
    ``tests`` (grade: true), ``points`` ({test grade_id: points}), ``solutions`` (solution: true),
    and ``locked``: {grade_id: source as released, i.e. without hidden tests}, used to notice a
    student's edits.
    """
    path = Path(source_notebook_path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    grade_ids, tests, points, solutions, locked = [], [], {}, [], {}
    for cell in nb.get("cells", []):
        meta = _nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        grade_ids.append(grade_id)
        if meta.get("grade"):
            tests.append(grade_id)
            points[grade_id] = meta.get("points", 0)
        if meta.get("solution"):
            solutions.append(grade_id)
        if meta.get("locked"):
            locked[grade_id] = strip_hidden_tests(_cell_source(cell))
    return {
        "assignment": path.stem,
        "grade_ids": grade_ids,
        "tests": tests,
        "points": points,
        "solutions": solutions,
        "locked": locked,
    }


def load_assignments(course_root, source_directory: str = "source") -> dict[str, dict]:
    """``expected_cells`` for every ``source/<a>/<a>.ipynb`` of a course, keyed by assignment."""
    source = Path(course_root) / source_directory
    found = {}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()) if source.is_dir() else []:
        notebook = folder / f"{folder.name}{NOTEBOOK_SUFFIX}"
        if notebook.is_file():
            found[folder.name] = expected_cells(notebook)
    return found


# ----------------------------------------------------------------------------------------------
# One notebook
# ----------------------------------------------------------------------------------------------


def parse_notebook(shown: str, data: bytes) -> tuple[dict | None, str | None, str | None]:
    """Parse a student's notebook: ``(notebook, schema_note, failure)``.

    Broken JSON, or JSON that is not a notebook at all (no ``cells``), is a failure. A notebook
    that merely breaks nbformat's schema is only a note: nbgrader reads those with a warning.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, None, f"{shown} is not UTF-8 text: {error.reason} at byte {error.start}"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return None, None, f"{shown} is not valid notebook JSON: {error.msg} (line {error.lineno})"
    if not isinstance(raw, dict):
        return None, None, f"{shown} is not a notebook: its JSON is a {type(raw).__name__}, not an object"
    nb, failure = _as_v4(shown, raw)
    if failure:
        return None, None, failure
    bad = next((i for i, cell in enumerate(nb["cells"]) if not isinstance(cell, dict)), None)
    if bad is not None:
        return None, None, f"{shown} is not a notebook: cell {bad} is not an object"
    return nb, _schema_note(shown, nb), None


def _as_v4(shown: str, raw: dict) -> tuple[dict | None, str | None]:
    """Upgrade an old (v3, "worksheets") notebook to v4 as nbformat would; require ``cells``."""
    if isinstance(raw.get("cells"), list):
        return raw, None
    if isinstance(raw.get("worksheets"), list):
        try:
            return nbformat.convert(nbformat.from_dict(raw), 4), None
        except Exception as error:  # noqa: BLE001 - nbformat raises many types for odd input
            return None, f"{shown} is not a notebook: cannot upgrade it to nbformat 4 ({error})"
    return None, f"{shown} is not a notebook: it has no 'cells' list"


def _schema_note(shown: str, nb: dict) -> str | None:
    """A one-line note when nbformat's schema check fails (validate may mutate: use a copy)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns about e.g. missing cell ids
            nbformat.validate(json.loads(json.dumps(nb)))
    except Exception as error:  # noqa: BLE001 - jsonschema and nbformat raise many types
        message = str(getattr(error, "message", error)).splitlines()[0][:150]
        return f"{shown} does not match the notebook schema ({message}); nbgrader reads it anyway"
    return None


def grade_ids(nb: dict) -> list[str]:
    """The grade_ids of a notebook's nbgrader cells, in order (duplicates kept)."""
    return [m["grade_id"] for m in map(_nbgrader_meta, nb.get("cells", [])) if m.get("grade_id")]


def similarity(ids, expected: dict) -> float:
    """Jaccard overlap of a notebook's grade_ids with an assignment's.

    Jaccard rather than "how many are present" because auto-generated ids (markdown_00, code_01)
    recur in every assignment: only the whole set tells assignments apart.
    """
    mine, theirs = set(ids), set(expected["grade_ids"])
    return len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0


def best_assignment(ids, assignments: dict[str, dict]) -> str | None:
    """The one assignment these grade_ids match best, or None if nothing matches or it is a tie."""
    scores = sorted(((similarity(ids, exp), name) for name, exp in assignments.items()), reverse=True)
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None
    return scores[0][1]


def _ownership_failure(ids, assignment: str, assignments: dict[str, dict]) -> str | None:
    """Fail a notebook of another assignment, or one that shares no cell with this one."""
    expected = assignments[assignment]
    if not expected["grade_ids"]:
        return None  # an assignment without nbgrader cells: nothing to compare with
    owner = best_assignment(ids, assignments)
    if owner and owner != assignment and similarity(ids, assignments[owner]) > similarity(ids, expected):
        return f"this notebook belongs to {owner}, not {assignment}"
    if not set(ids) & set(expected["grade_ids"]):
        return (f"this notebook has none of {assignment}'s nbgrader cells "
                "(was it started from the released notebook?)")
    return None


def _missing_cell_note(grade_id: str, expected: dict) -> str:
    """Say what nbgrader does about a deleted cell (OverwriteCells.add_missing_cells = True)."""
    if grade_id in expected["tests"] and grade_id in expected["solutions"]:
        return f"graded answer cell {grade_id} was deleted; nbgrader restores it without the answer"
    if grade_id in expected["tests"]:
        return f"test cell {grade_id} was deleted; nbgrader restores it"
    if grade_id in expected["solutions"]:
        return f"solution cell {grade_id} was deleted; nbgrader does not restore it"
    return f"locked cell {grade_id} was deleted; nbgrader does not restore it"


def review_notebook(nb: dict, assignment: str, assignments: dict[str, dict]) -> tuple[list[str], str | None]:
    """Compare a parsed notebook with its assignment: ``(notes, failure)``."""
    ids = grade_ids(nb)
    failure = _ownership_failure(ids, assignment, assignments)
    if failure:
        return [], failure
    expected = assignments[assignment]
    notes = [f"grade_id {gid} appears {n} times; nbgrader keeps only the last"
             for gid, n in Counter(ids).items() if n > 1]
    notes += [_missing_cell_note(gid, expected) for gid in expected["grade_ids"] if gid not in ids]
    # The last copy of a duplicated id is the one nbgrader's DeduplicateIds keeps.
    sources = {_nbgrader_meta(c).get("grade_id"): _cell_source(c) for c in nb.get("cells", [])}
    notes += [f"locked cell {gid} was edited; nbgrader restores it"
              for gid, released in expected["locked"].items()
              if gid in sources and normalise_source(sources[gid]) != normalise_source(released)]
    return notes, None
