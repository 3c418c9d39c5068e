"""The gradebook is wherever nbgrader's config says: here a real PostgreSQL server (a throw-away
cluster of Debian's postgresql on a private socket). A cross-section of the catalog, every status
and every entry that touches the gradebook (the attacks that run long, against the machine, have
their own tests on SQLite), gets the same scores and statuses as on SQLite, and nothing is written
to a gradebook.db beside it. Both URL forms reach it: `postgresql://` (psycopg 3, SQLAlchemy's
default) and `postgresql+psycopg2://`; a URL whose driver is not installed gets one line."""

import csv
import datetime

import pytest
from nbgrader.api import Gradebook
from sqlalchemy import create_engine, inspect

from autograder.record import gradebook as ours
from tests.support.catalog import ASSIGNMENT, POINTS, grade_catalog
from tests.support.notebook import (
    make_course_root,
    nbgrader,
    run_grader,
    skip_or_fail,
    student_notebook,
    tool_environment,
    write_submission,
)
from tests.support.postgres import PostgresCluster, postgres_missing

ON_POSTGRESQL = {"correct", "blank", "mistake_transposed_dW", "mistake_sigmoid_prime", "different_but_correct",
                 "attack_swallow_errors", "attack_monkeypatch_numpy", "attack_deleted_tests", "attack_writes_gradebook",
                 "attack_os_exit", "attack_poisons_verification", "broken_json", "wrong_assignment"}


@pytest.fixture(scope="module")
def postgres():
    reason = postgres_missing()
    if reason:
        skip_or_fail(reason, "POSTGRES_TESTS_REQUIRED")
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def graded_on_postgres(postgres, tmp_path_factory):
    url = postgres.create_database("catalog")
    return (url, *grade_catalog(tmp_path_factory.mktemp("catalog-pg"), db_url=url, only=ON_POSTGRESQL))


def test_the_catalog_grades_the_same_on_postgresql(graded_on_postgres):
    url, course, entries, _, rows = graded_on_postgres
    assert not (course / "gradebook.db").exists(), "the grader wrote a SQLite gradebook beside PostgreSQL's"
    for student, (_, status, expected) in entries.items():
        if status == "contained":  # the fork bomb: its own test on SQLite says what it may score
            continue
        row = rows[student]
        got = {ex: float(row[f"{ASSIGNMENT}:{ex}"]) for ex in POINTS}
        assert (got, row["status"]) == ({ex: float(v) for ex, v in expected.items()}, status), (student, row["reason"])
    with Gradebook(url) as gradebook:  # nbgrader's own view of the same server
        assert {s.id for s in gradebook.students} >= {s for s, row in rows.items() if row["status"] != "failed"}
    assert "backprop_grader_record" in inspect(create_engine(url)).get_table_names()


def test_nbgrader_export_and_a_rerun_read_the_same_postgresql_gradebook(graded_on_postgres):
    _, course, entries, _, rows = graded_on_postgres
    nbgrader(course, "export", "--to", str(course / "export.csv"))
    with (course / "export.csv").open() as f:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)
                    if row["assignment"] == ASSIGNMENT}
    assert exported == {student: float(row["total"]) for student, row in rows.items() if student in exported}
    # Nothing changed: the grader's record on the server says so, and nothing is graded again.
    result, again = run_grader(course, ASSIGNMENT, "--jobs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "0 submissions graded" in result.stdout, result.stdout
    assert {s: (r["total"], r["status"]) for s, r in again.items()} == {
        s: (r["total"], r["status"]) for s, r in rows.items()}


def test_both_url_forms_open_the_same_postgresql_gradebook(postgres, monkeypatch):
    """`postgresql://` (SQLAlchemy's default driver, psycopg 3) and `postgresql+psycopg2://` reach
    the same server, through nbgrader's Gradebook and the grader's: one form writes, the other reads."""
    monkeypatch.setenv("PATH", tool_environment()["PATH"])  # a new gradebook: nbgrader runs `alembic`
    psycopg2_url = postgres.create_database("both_forms")
    plain_url = psycopg2_url.replace("postgresql+psycopg2://", "postgresql://", 1)
    assert ours.db_url_problem(plain_url) is None and ours.db_url_problem(psycopg2_url) is None
    due = datetime.datetime(2031, 5, 1, 12, 0)
    with Gradebook(plain_url) as gradebook:
        assert gradebook.db.get_bind().dialect.driver == "psycopg"
        gradebook.add_assignment("written_by_psycopg3", duedate=due)
    with Gradebook(psycopg2_url) as gradebook:
        assert gradebook.db.get_bind().dialect.driver == "psycopg2"
        assert gradebook.find_assignment("written_by_psycopg3").duedate == due
        gradebook.add_assignment("written_by_psycopg2")
    for url in (plain_url, psycopg2_url):
        grader = ours.Gradebook(url)
        try:
            assert set(grader.assignments()) == {"written_by_psycopg3", "written_by_psycopg2"}
        finally:
            grader.close()


def test_a_url_whose_driver_is_missing_gets_one_line(tmp_path):
    url = "postgresql+pg8000://grader:secret@db.example.org/backprop"
    problem = ours.db_url_problem(url)
    assert "\n" not in problem and "pg8000" in problem and "secret" not in problem, problem
    assert "postgresql+psycopg://" in problem and "postgresql+psycopg2://" in problem, problem
    # The grader says it, and stops, before it opens anything.
    course = make_course_root(tmp_path, [ASSIGNMENT])
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    write_submission(course, "alice", ASSIGNMENT, student_notebook(ASSIGNMENT))
    result, _ = run_grader(course, ASSIGNMENT, "--unsafe", timeout=120)
    assert result.returncode == 2 and result.stderr.strip() == f"error: {problem}", result.stderr[-3000:]
