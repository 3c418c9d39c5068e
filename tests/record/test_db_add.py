"""autograder.record.db_add: `nbgrader db assignment add` refuses a name with no notebook and a due date
nbgrader would misread, before anything is stored.

The accepted forms are checked against nbgrader's own `parse_utc` (what the gradebook stores), and
the refused ones are shown to be misread by it: the check refuses exactly what would go wrong.
"""

import datetime
import shutil
import subprocess
import sys

import pytest
from nbgrader.utils import parse_utc

from autograder.grading.environment import tool_environment
from autograder.record.db_add import added_assignment, due_date_problem, due_date_values
from tests.support.notebook import ROOT


@pytest.mark.parametrize("text, utc", [
    ("2026-12-05 17:00:00 Europe/London", datetime.datetime(2026, 12, 5, 17)),  # GMT in winter
    ("2026-07-05 17:00 Europe/London", datetime.datetime(2026, 7, 5, 16)),  # BST in summer
    ("2026-12-05 09:30 America/New_York", datetime.datetime(2026, 12, 5, 14, 30)),
    ("2026-12-05T17:00:00+01:00", datetime.datetime(2026, 12, 5, 16)),
    ("2026-12-05 17:00-05:00", datetime.datetime(2026, 12, 5, 22)),
    ("2026-12-05 17:00 UTC", datetime.datetime(2026, 12, 5, 17)),
    ("2026-12-05T17:00Z", datetime.datetime(2026, 12, 5, 17)),
])
def test_the_accepted_forms_are_read_by_nbgrader_as_written(text, utc):
    assert due_date_problem(text) is None
    assert parse_utc(text) == utc


@pytest.mark.parametrize("text, meant, problem", [
    ("05/12/2026 17:00 BST", datetime.datetime(2026, 12, 5, 17), "ambiguous: nbgrader reads 05/12/2026 month first "
     "(05/12 is month 5, day 12), and would drop the zone 'BST'"),  # both problems at once
    ("2026-07-05 17:00 BST", datetime.datetime(2026, 7, 5, 16), "the zone 'BST' is unknown"),
    ("2026-12-05 17:00 +0100", datetime.datetime(2026, 12, 5, 16), "offset after a space"),
    ("2026-07-05T17:00 Europe/London", None, "not in a form"),  # nbgrader fails with a traceback
    ("2026-12-05 17:00", None, "has no time zone: nbgrader would read it as UTC"),
    ("2026-02-30 17:00 UTC", None, "is no date"),
    ("next Friday", None, "not in a form"),
])
def test_a_date_nbgrader_would_misread_is_named_with_what_goes_wrong(text, meant, problem):
    assert problem in (due_date_problem(text) or "")
    if meant is not None:  # nbgrader itself gets it wrong: this is what the check prevents
        assert parse_utc(text) != meant


def test_the_command_line_forms_of_the_flag_and_the_name_are_all_read():
    argv = ["nbgrader", "db", "assignment", "add", "a", "--duedate=x", "--duedate", "y",
            "--DbAssignmentAddApp.duedate=z"]
    assert due_date_values(argv) == ["x", "y", "z"] and added_assignment(argv) == "a"
    assert added_assignment(["nbgrader", "db", "assignment", "add", "--duedate", "2026-12-05 17:00 UTC", "b"]) == "b"
    assert added_assignment(["nbgrader", "db", "assignment", "list"]) is None


def test_nbgrader_db_assignment_add_refuses_them_and_changes_nothing(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    for name in ("01_notation", "02_forward"):
        (tmp_path / "source" / name).mkdir(parents=True)
        shutil.copy(ROOT / "source" / name / f"{name}.ipynb", tmp_path / "source" / name)
    env = {**tool_environment(), "PYTHONPATH": str(ROOT)}

    def add(duedate, name="02_forward"):
        return subprocess.run([sys.executable, "-m", "nbgrader", "db", "assignment", "add", name,
                               f"--duedate={duedate}", "--log-level=WARN"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    assert add("2026-12-05 17:00:00 Europe/London").returncode == 0
    refused = add("05/12/2026 17:00 BST")
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines()[-1].startswith(
        "error: --duedate '05/12/2026 17:00 BST' is ambiguous: nbgrader reads 05/12/2026 month first")
    assert "Nothing was changed. Write it as \"YYYY-MM-DD HH:MM[:SS] ZONE\"" in refused.stderr
    misnamed = add("2026-12-05 17:00:00 Europe/London", name="01-notation")
    assert misnamed.returncode != 0 and misnamed.stderr.strip().splitlines()[-1] == (
        "error: nbgrader db assignment add: '01-notation' has no notebook under source/ (did you mean 01_notation?): "
        "nbgrader would add it as an assignment of its own, worth 0 points. Nothing was changed.")
    listed = subprocess.run([sys.executable, "-m", "nbgrader", "db", "assignment", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "02_forward (due: 2026-12-05 17:00:00)" in listed.stdout  # the earlier due date, untouched
    assert "There are 1 assignments" in listed.stdout
