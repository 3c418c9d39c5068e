"""Helpers for the notebook tests: temporary nbgrader course roots, call graphs, wrong submissions."""

import ast
import base64
import json
import pathlib
import re
import shutil
import subprocess
import sys

import jupytext

from autograder.grading.environment import tool_environment

ROOT = pathlib.Path(__file__).resolve().parents[2]
NBGRADER = [sys.executable, "-m", "nbgrader"]


def assignment_names():
    return sorted(p.name for p in (ROOT / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def make_course_root(tmp_path, names, class_reports=False):
    """A throw-away nbgrader course root holding the config and the given source assignments.

    class_reports: whether its grading runs build the class reports (c.Grader.class_reports); off
    unless a test reads them, as they cost a second or so per run."""
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    if not class_reports:
        with (course / "nbgrader_config.py").open("a") as config:
            config.write("\nc.Grader.class_reports = False\n")
    for name in names:
        shutil.copytree(ROOT / "source" / name, course / "source" / name)
    return course


def nbgrader(course, *args, timeout=600):
    """nbgrader in `course`; the course's plugins (autograder.record.late, autograder.export.lms) import from this
    repository, as they do from a course root that is the repository itself."""
    env = {**tool_environment(), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([*NBGRADER, *args, "--log-level=WARN"], cwd=course, capture_output=True, text=True,
                            timeout=timeout, env=env)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def exercises(name):
    """(exercise, points) in notebook order, read from the source's solution and test markers."""
    notebook = jupytext.read(ROOT / "source" / name / f"{name}.py", fmt="py:percent")
    points = {c.metadata["test"]: c.metadata["points"] for c in notebook.cells if "test" in c.metadata}
    return [(c.metadata["solution"], points[c.metadata["solution"]])
            for c in notebook.cells if "solution" in c.metadata]


def callers(name):
    """{exercise: set of exercises whose solution calls it, directly or through others}."""
    notebook = jupytext.read(ROOT / "source" / name / f"{name}.py", fmt="py:percent")
    solutions = {c.metadata["solution"]: c.source for c in notebook.cells if "solution" in c.metadata}
    calls = {ex: {n.id for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Name)} & (solutions.keys() - {ex})
             for ex, src in solutions.items()}
    changed = True
    while changed:  # transitive closure
        changed = False
        for ex in calls:
            extra = set().union(*(calls[c] for c in calls[ex])) - calls[ex] - {ex}
            if extra:
                calls[ex] |= extra
                changed = True
    return {ex: {caller for caller, callees in calls.items() if ex in callees} for ex in solutions}


# Appended to one answer cell: the function keeps its name but returns a wrong value of the right kind.
WRONG_ANSWER = '''

def _make_wrong(value):
    import numpy as _np
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, (float, _np.ndarray, _np.floating)):
        return 0.25 - 1.5 * value
    if isinstance(value, dict):
        return {k: _make_wrong(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_make_wrong(v) for v in value)
    return value

_right_NAME = NAME

def NAME(*args, **kwargs):
    return _make_wrong(_right_NAME(*args, **kwargs))
'''


def with_one_wrong_answer(notebook_path, exercise, out_path):
    notebook = json.loads(pathlib.Path(notebook_path).read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == exercise:
            cell["source"] = "".join(cell["source"]) + WRONG_ANSWER.replace("NAME", exercise)
            break
    else:
        raise ValueError(f"no answer cell {exercise!r} in {notebook_path}")
    pathlib.Path(out_path).write_text(json.dumps(notebook))


def scores(course, assignment, student):
    """{grade_id: score} of a student's autograded notebook's test cells, from the gradebook."""
    return {name: score for name, (score, *_) in grades(course, assignment, student).items()
            if not name.startswith("answer_")}


def grades(course, assignment, student):
    """{grade_id: (score, auto_score, manual_score, needs_manual_grade)} of every grade cell of a
    student's notebook (test cells and written answers), from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(assignment, assignment, student)
        return {g.name: (g.score, g.auto_score, g.manual_score, g.needs_manual_grade) for g in notebook.grades}


def written_questions(name):
    """(answer grade_id, points) of a notebook's written questions, read from the source's markers."""
    notebook = jupytext.read(ROOT / "source" / name / f"{name}.py", fmt="py:percent")
    return [(f"answer_{c.metadata['answer']}", c.metadata["points"]) for c in notebook.cells if "answer" in c.metadata]


# A written answer in a student's words (the source's model answers begin "**Model answer.**").
OWN_WRITTEN_ANSWER = "**Model answer**, in this student's own words: it follows from the definitions above."


def _source_text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def own_answer(solution):
    """A correct answer of a student's own, standing in for one: the instructor's solution cell run
    from its base64 encoding. It defines the same functions, yet shares no line with the source
    notebook, which the grader would flag as a leak (autograder.judging.leaks) if handed in as it is."""
    encoded = base64.b64encode(solution.encode()).decode()
    return f'exec(__import__("base64").b64decode("{encoded}").decode())'


def student_notebook(assignment, overrides=None, prepend="", tests="keep", written="answered", copied=False):
    """A notebook as a student would hand it in: the release with every answer cell written.

    Code answer cells hold the source solutions (delimiters removed) as `own_answer` runs them,
    unless `overrides` gives another whole cell for that exercise; `prepend` is code put at the top
    of the first answer cell; `tests` is "keep", "delete" (test cells removed) or "blank" (test
    cells emptied); `written` is "answered" (each written question holds an answer in the student's
    words) or "blank" (left as released). copied: the solutions and model answers are pasted in as
    the source has them (a leak of the instructor's notebook).
    """
    overrides = overrides or {}
    release = json.loads((ROOT / "release" / assignment / f"{assignment}.ipynb").read_text())
    source = json.loads((ROOT / "source" / assignment / f"{assignment}.ipynb").read_text())
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: _source_text(c) for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    cells, first_answer = [], True
    for cell in release["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and meta.get("grade") and written == "blank":
            pass
        elif meta.get("solution"):
            text = overrides.get(meta["grade_id"], solutions[meta["grade_id"]])
            text = "\n".join(line for line in text.splitlines() if "### BEGIN SOLUTION" not in line
                             and "### END SOLUTION" not in line)
            if not copied and meta["grade_id"] not in overrides:
                text = own_answer(text) if cell["cell_type"] == "code" else OWN_WRITTEN_ANSWER
            if first_answer and prepend and cell["cell_type"] == "code":
                text = prepend + "\n\n" + text
            first_answer = first_answer and cell["cell_type"] != "code"
            cell = {**cell, "source": text}
        elif meta.get("grade") and tests == "delete":
            continue
        elif meta.get("grade") and tests == "blank":
            cell = {**cell, "source": "pass"}
        cells.append(cell)
    return {**release, "cells": cells}


def write_submission(course, student, assignment, notebook, filename=None):
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{assignment}.ipynb")
    path.write_text(notebook if isinstance(notebook, str) else json.dumps(notebook))
    return path


def run_grader(course, *args, timeout=900, env=None):
    """`python -m autograder grade` on `course`; returns (completed process, {student: grades.csv row}).

    env: variables added to the grader's environment (e.g. GRADER_SECRET)."""
    import csv

    extra, env = env or {}, {**tool_environment(), "PYTHONPATH": str(ROOT)}
    env.pop("GRADER_SECRET", None)  # each test says whether there is one
    env.update(extra)
    result = subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(course), "grade", *args],
                            capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    rows = {}
    csv_path = course / "reports" / "grades.csv"
    if csv_path.exists():
        with csv_path.open() as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
    return result, rows


def runtime_folders(course):
    """The kernels' runtime folders that grading runs on this course used (their slot logs name them)."""
    folders = set()
    for log in course.glob(".grading/slot-*/slot.log"):
        for match in re.finditer(r"(/\S*/backprop-\d+-slot\d+-[^/\s]+)/", log.read_text(errors="replace")):
            folders.add(match.group(1))
    return folders


def skip_or_fail(reason, required_variable):
    """Skip a test whose outside component (Chromium, PostgreSQL) is missing, saying why; fail it
    instead where `required_variable`=1 (CI sets it: there the component must be present)."""
    import os

    import pytest

    if os.environ.get(required_variable) == "1":
        pytest.fail(f"{reason} ({required_variable}=1: CI must run these tests, not skip them)")
    pytest.skip(reason)
