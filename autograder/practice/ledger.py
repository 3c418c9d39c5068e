"""The practice grading service's memory: every submission it has seen, what it decided, and how far it got.

One SQLite file in the service's own folder. Each change is one committed transaction, so a service
killed at any instant restarts from a consistent ledger:

    seen --decide--> pending --start--> grading --deliver--> done
                        ^                  |
                        +---- restart -----+   (attempts + 1; past max_attempts: a notice instead)

A submission is delivered once: its page is put into the exchange, then the row is marked done. A
service stopped between the two finds the page already in the exchange when it comes back
(`Ledger.delivered_elsewhere`) and marks the row done without grading it again.
"""

import contextlib
import json
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    receipt_id TEXT PRIMARY KEY,
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    received TEXT NOT NULL,
    decision TEXT NOT NULL,          -- grade, limited, off, closed (autograder.practice.policy)
    level TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,             -- pending, grading, done
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '',  -- JSON: what was delivered (score, status), for the instructor and tests
    delivered_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS by_state ON submissions (state, received);
"""


class Ledger:
    def __init__(self, path):
        self.connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")  # a decision or a delivery survives a power cut
        self.connection.executescript(SCHEMA)

    @contextlib.contextmanager
    def _transaction(self):
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def known(self):
        return {row[0] for row in self.connection.execute("SELECT receipt_id FROM submissions")}

    def graded_times(self, student, assignment):
        """`received` of this student's submissions of `assignment` decided "grade"."""
        return [row[0] for row in self.connection.execute(
            "SELECT received FROM submissions WHERE student=? AND assignment=? AND decision='grade'",
            (student, assignment))]

    def served_since(self, received):
        """{student: submissions of theirs graded since `received` (exchange time text)}: their turns taken."""
        return dict(self.connection.execute(
            "SELECT student, COUNT(*) FROM submissions WHERE decision='grade' AND state='done' AND received>=? "
            "GROUP BY student", (received,)))

    def add(self, receipt, decision):
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO submissions (receipt_id, student, assignment, received, decision, level, "
                       "reason, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                       (receipt["receipt_id"], receipt["student_id"], receipt["assignment_id"], receipt["received"],
                        decision.kind, decision.level, decision.reason))

    def rows(self, state=None):
        query = "SELECT receipt_id, student, assignment, received, decision, level, reason, state, attempts, outcome, " \
                "delivered_at FROM submissions"
        found = self.connection.execute(query + (" WHERE state=?" if state else "") + " ORDER BY received, receipt_id",
                                        (state,) if state else ())
        names = ("receipt_id", "student", "assignment", "received", "decision", "level", "reason", "state", "attempts",
                 "outcome", "delivered_at")
        return [dict(zip(names, row)) for row in found]

    def start(self, receipt_ids):
        with self._transaction() as db:
            db.executemany("UPDATE submissions SET state='grading', attempts=attempts+1 WHERE receipt_id=? "
                           "AND state='pending'", [(r,) for r in receipt_ids])

    def put_back(self, receipt_ids):
        """Submissions whose grading ended without a result (the run failed): graded again later."""
        with self._transaction() as db:
            db.executemany("UPDATE submissions SET state='pending' WHERE receipt_id=? AND state='grading'",
                           [(r,) for r in receipt_ids])

    def recover(self):
        """After a restart: what was being graded when the service stopped is pending again; its ids."""
        with self._transaction() as db:
            ids = [row[0] for row in db.execute("SELECT receipt_id FROM submissions WHERE state='grading'")]
            db.execute("UPDATE submissions SET state='pending' WHERE state='grading'")
        return ids

    def done(self, receipt_id, outcome, when):
        with self._transaction() as db:
            db.execute("UPDATE submissions SET state='done', outcome=?, delivered_at=? WHERE receipt_id=?",
                       (json.dumps(outcome, sort_keys=True), when, receipt_id))

    def close(self):
        self.connection.close()
