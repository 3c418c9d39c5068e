"""autograder.config and grading.versions: every setting has one home and says where its value came
from, an unknown one is named, and what decides a score is found, not listed."""

import shutil
import subprocess
import sys

from autograder.grading import versions
from autograder.grading.environment import tool_environment
from tests.support.notebook import ROOT


def settings_of(course, *flags):
    done = subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(course), "config", *flags],
                          capture_output=True, text=True, timeout=120, env={**tool_environment(), "PYTHONPATH": str(ROOT)})
    return done.returncode, {line.split()[0]: line for line in done.stdout.splitlines()}, done.stderr


def test_the_settings_printout_names_each_values_source(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    with (tmp_path / "nbgrader_config.py").open("a") as config:
        config.write("\nc.Grader.notebook_timeout = 1200\nc.SandboxLimits.processes = 32\n")
    status, rows, _ = settings_of(tmp_path, "--jobs", "3")
    assert status == 0
    assert rows["c.Grader.jobs"].split()[1:4] == ["3", "(command", "line)"]
    assert rows["c.Grader.notebook_timeout"].split()[1:3] == ["1200", "(nbgrader_config.py)"]
    assert rows["c.SandboxLimits.processes"].split()[1:3] == ["32", "(nbgrader_config.py)"]
    assert rows["c.Grader.interrupt_grace"].split()[1:3] == ["5", "(default)"]
    # nbgrader's own cell limit is the course's, not a second default of the grader's
    assert rows["c.Execute.timeout"].split()[1:3] == ["60", "(nbgrader_config.py)"]
    assert settings_of(tmp_path, "--cell-timeout", "20")[1]["c.Execute.timeout"].split()[1:4] == [
        "20", "(command", "line)"]


def test_an_unknown_setting_is_named_with_the_ones_there_are(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    with (tmp_path / "nbgrader_config.py").open("a") as config:
        config.write("\nc.Grader.jbos = 2\n")
    status, _, stderr = settings_of(tmp_path)
    assert status == 2 and stderr.startswith("error: nbgrader_config.py: no such setting c.Grader.jbos (c.Grader has ")
    assert "jobs" in stderr
    grade = subprocess.run([sys.executable, "-m", "autograder", "--course-root", str(tmp_path), "grade", "--unsafe"],
                           capture_output=True, text=True, timeout=120, env={**tool_environment(), "PYTHONPATH": str(ROOT)})
    assert grade.returncode == 2 and "no such setting c.Grader.jbos" in grade.stderr  # before anything is graded


def test_a_module_added_to_a_package_that_grades_changes_the_version(tmp_path):
    grader = tmp_path / "autograder"
    shutil.copytree(ROOT / "autograder", grader, ignore=shutil.ignore_patterns("__pycache__"))

    def version():
        return versions.digest_files(versions.score_modules(grader), grader)

    before = version()
    (grader / "collect" / "new_reader.py").write_text("X = 1\n")  # collecting never decides a score
    assert version() == before
    for package in ("grading", "judging", "isolation", "run", "reference"):
        (grader / package / "new_step.py").write_text("X = 1\n")
        after = version()
        assert after != before, package
        before = after
    assert versions.score_modules() == versions.score_modules(ROOT / "autograder")
