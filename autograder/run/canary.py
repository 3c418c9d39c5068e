"""The canary: before a class is graded, the instructor's own solution is graded first.

The solution notebook (source/<assignment>/<assignment>.ipynb) goes through the pool as a student's
submission would (autograder.grading.job: the same slots, sandbox, kernels, `course` package, reference and
verification), under a student id that collect refuses to any student (a leading dot). It must
earn every autograded point and pass verification. If it does not, the grading environment or the
reference is broken and every student would be graded into the void (a kernel that cannot import
`course` gave each student 0, "graded", with no reason): that assignment is not graded, and the
instructor is told which cell failed and why.

Nothing of the canary reaches the instructor's gradebook, autograded/ or feedback/: its result is
only judged here, and job.run_canary removes it from the slot's private course folder. A pass is
remembered in .grading/canary/<assignment> (the grader's working folder in the course root) under
a key of everything it depends on, so an unchanged course is not checked again.
"""

import hashlib
import json
import os
import pathlib
import sys
import time

from autograder.grading import job
from autograder.grading.options import verification_seed
from autograder.grading.outcome import INTERNAL_ERROR
from autograder.grading.versions import digest_files
from autograder.isolation import sandbox

SOLUTION_STUDENT = ".solution"  # no student can have it: collect refuses ids starting with a dot
MARKERS = pathlib.Path(".grading") / "canary"  # relative to the course root


def solution_job(root, assignment, course, secret):
    """The instructor's solution as a student would hand it in: the solution regions' markers go
    (their code stays), hidden tests are put back by nbgrader as for any submission."""
    notebook = json.loads((pathlib.Path(root) / "source" / assignment / f"{assignment}.ipynb").read_text())
    for cell in notebook["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = "\n".join(line for line in text.splitlines()
                                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    files = ((f"{assignment}.ipynb", json.dumps(notebook).encode()),)
    return job.GradeJob(SOLUTION_STUDENT, assignment, files, course,
                        verification_seed(secret, SOLUTION_STUDENT, assignment))


def _first_line(text):
    return (str(text).strip().splitlines() or [""])[0][:300]


def _cell_errors(result):
    """(grade_id or "cell N", "ename: evalue") of each executed cell that raised, in notebook order."""
    autograded = dict(result.autograded).get(f"{result.assignment}.ipynb")
    if autograded is None:
        return []
    errors = []
    for index, cell in enumerate(json.loads(autograded)["cells"]):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                name = cell["metadata"].get("nbgrader", {}).get("grade_id") or f"cell {index}"
                errors.append((name, _first_line(f"{output.get('ename')}: {output.get('evalue')}")))
                break
    return errors


def shortfall(result):
    """None when the solution earned every autograded point and passed verification, else why not
    (one line, naming the first failing cell and its error)."""
    if result.status == "failed":
        return f"could not be graded: {_first_line(result.reasons[0] if result.reasons else 'no reason given')}"
    # A test cell's auto_score is None only where the cell is graded by hand (a written answer).
    short = [(name, g["auto_score"], g["max_score"]) for name, g in result.grades.items()
             if g["auto_score"] is not None and g["auto_score"] < g["max_score"]]
    if not short and not result.refuted:
        return None
    errors = _cell_errors(result)
    if errors:
        cell, error = errors[0]
        return f"fails at cell {cell}: {error}"
    if short:
        name, score, most = short[0]
        return f"scores {score:g} of {most:g} at cell {name}"
    exercise, reason = next(iter(result.refuted.items()))
    return f"fails verification at cell {exercise}: {_first_line(reason)}"


def environment_key(course, unsafe):
    """What a pass depends on: the course version (source folder, configuration, grading code with
    its reference), the interpreter, the sandbox or its absence, and the `course` package the
    kernels import, file by file."""
    package = [path for folder in sandbox.kernel_course_package()
               for path in sorted(pathlib.Path(folder).rglob("*.py"))]
    parts = [course.version, sys.executable, f"unsafe={unsafe}", *sandbox.kernel_course_package(),
             digest_files(package)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _marker(root, assignment):
    return pathlib.Path(root) / MARKERS / assignment


def passed_before(root, assignment, key):
    marker = _marker(root, assignment)
    return marker.is_file() and marker.read_text().strip() == key


def remember_pass(root, assignment, key):
    marker = _marker(root, assignment)
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_name(f".{assignment}.{os.getpid()}")  # two runs side by side: whole files only
    partial.write_text(key + "\n")
    partial.replace(marker)


def check_solutions(root, courses, pool, options, *, force=False, remember=True, stream=None):
    """{assignment: why it is not to be graded} for the assignments of `courses` ({assignment:
    job.CourseFiles}) whose solution falls short in `pool`; the others passed.

    remember: skip assignments whose solution passed before under the same environment_key, and
    remember new passes (not on a cluster: the workers' environment is not this machine's).
    force: check every solution again."""
    stream = stream or sys.stderr
    keys = {a: environment_key(course, options.unsafe) for a, course in courses.items()} if remember else {}
    checking = [a for a in courses if force or a not in keys or not passed_before(root, a, keys[a])]
    started = time.perf_counter()
    futures = {a: pool.submit(job.run_canary, solution_job(root, a, courses[a], options.secret)) for a in checking}
    stopped = {}
    for assignment, future in futures.items():
        try:
            why = shortfall(future.result())
        except Exception as error:  # noqa: BLE001 - an error of ours, or a lost worker: nothing is known
            why = f"could not be graded: {INTERNAL_ERROR}: {type(error).__name__}: {_first_line(error)}"
        if why:
            stopped[assignment] = (f"{assignment} not graded: the instructor's solution "
                                   f"(source/{assignment}/{assignment}.ipynb) {why}; no student of {assignment} "
                                   "was graded (fix the solution or the grading environment, then grade again)")
        elif assignment in keys:
            remember_pass(root, assignment, keys[assignment])
    if checking:
        print(f"checked the instructor's solution of {', '.join(checking)} in the sandbox first "
              f"({time.perf_counter() - started:.1f} s)", file=stream)
    return stopped
