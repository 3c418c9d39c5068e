"""The grader grades the instructor's own solution first (autograder.run.canary): where it falls short of
full marks in the grading sandbox, that assignment is graded for no student, and the instructor is
told which cell failed and why."""

import json

from tests.support.notebook import exercises, make_course_root, run_grader, student_notebook, write_submission

ASSIGNMENT = "01_notation"
HEALTHY = "02_forward"
# The kernels of this course cannot import `course`, as when the sandbox showed another `course`
# than the one the kernel's Python finds: every cell that imports it fails.
KERNELS_WITHOUT_COURSE = ('\nc.Execute.extra_arguments = '
                          '["--IPKernelApp.exec_lines=import sys; sys.modules[\'course\'] = None"]\n')
BROKEN_SOLUTION = "def count_parameters(layer_sizes):\n    ### BEGIN SOLUTION\n    return 0\n    ### END SOLUTION"
CHECKED = "checked the instructor's solution of"


def source_cells(course, assignment):
    return json.loads((course / "source" / assignment / f"{assignment}.ipynb").read_text())["cells"]


def the_line(result, assignment):
    """The one line of the grader's output that says why `assignment` was not graded."""
    lines = [line for line in result.stderr.splitlines() if f"{assignment} not graded" in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def assert_nothing_graded(course, assignment, rows):
    """No grade of `assignment` anywhere, and nothing of the canary in the course root."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        try:
            assert not gradebook.assignment_submissions(assignment)
        except MissingEntry:  # the assignment not even registered
            pass
        assert ".solution" not in {student.id for student in gradebook.students}
    assert not list(course.glob(f"autograded/*/{assignment}")) and not list(course.glob(f"feedback/*/{assignment}"))
    assert not [column for row in rows.values() for column in row if column.startswith(f"{assignment}:")]
    assert not [path for path in course.rglob("*") if ".solution" in path.parts]
    assert not (course / ".grading" / "canary" / assignment).exists(), "a failed canary is not a pass"


def test_kernels_that_cannot_import_course_stop_the_assignment_before_any_student(tmp_path):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(KERNELS_WITHOUT_COURSE)
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "1")
    assert result.returncode == 1, result.stderr
    first_import = next(c["metadata"]["nbgrader"]["grade_id"] for c in source_cells(course, ASSIGNMENT)
                        if c["cell_type"] == "code" and "from course import" in "".join(c["source"]))
    line = the_line(result, ASSIGNMENT)
    assert f"at cell {first_import}: ModuleNotFoundError: import of course halted" in line, line
    assert "0 submissions graded" in result.stdout
    assert_nothing_graded(course, ASSIGNMENT, rows)


def test_a_broken_solution_stops_its_assignment_and_the_others_still_grade(tmp_path):
    course = make_course_root(tmp_path, [ASSIGNMENT, HEALTHY])
    path = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "count_parameters":
            cell["source"] = BROKEN_SOLUTION
    path.write_text(json.dumps(notebook))
    for assignment in (ASSIGNMENT, HEALTHY):
        write_submission(course, "alice", assignment, student_notebook(assignment))
    result, rows = run_grader(course, "--jobs", "2")
    assert result.returncode == 1, result.stderr
    line = the_line(result, ASSIGNMENT)
    assert "at cell test_count_parameters: AssertionError: count_parameters(" in line and "got 0" in line, line
    assert_nothing_graded(course, ASSIGNMENT, rows)
    assert HEALTHY not in "".join(line for line in result.stderr.splitlines() if "not graded" in line)
    assert rows["alice"]["status"] == "graded", rows["alice"]
    assert float(rows["alice"][f"{HEALTHY}:auto"]) == sum(points for _, points in exercises(HEALTHY))
    assert (course / "feedback" / "alice" / HEALTHY / f"{HEALTHY}.html").is_file()
    assert (course / ".grading" / "canary" / HEALTHY).is_file()

    # Again: the healthy solution passed under the same course and environment, so it is not
    # checked again; the broken one is, and still stops its assignment.
    result, _ = run_grader(course, "--jobs", "2")
    assert result.returncode == 1, result.stderr
    checked = [line for line in result.stderr.splitlines() if CHECKED in line]
    assert len(checked) == 1 and checked[0].startswith(f"{CHECKED} {ASSIGNMENT} in the sandbox"), checked
    assert the_line(result, ASSIGNMENT) == line
