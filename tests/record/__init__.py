"""autograder.record: the gradebook (SQLite and PostgreSQL), a term's re-runs and lateness, db_add."""
