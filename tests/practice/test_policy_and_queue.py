"""Practice grading's decisions, its fair queue and its ledger (autograder.practice): pure rules, no hub."""

import datetime
import os
import random
import signal
import subprocess
import sys
import textwrap

import pytest
from traitlets.config import Config

from autograder.practice import fair
from autograder.practice.ledger import Ledger
from autograder.practice.policy import PracticeGrading, decide, parse_time

START = datetime.datetime(2026, 12, 7, 14, 0, tzinfo=datetime.timezone.utc)


def settings(**values):
    config = Config()
    for name, value in {"default_level": "per_exercise", **values}.items():
        config.PracticeGrading[name] = value
    return PracticeGrading(config=config)


def minutes(n):
    return START + datetime.timedelta(minutes=n)


def test_a_fourth_submission_within_the_hour_is_refused_with_the_time_of_the_next_allowed_one():
    rules = settings(per_window=3, window_minutes=60)
    graded = []
    for at in (0, 10, 20):
        assert decide(rules, "01_notation", minutes(at), graded).kind == "grade"
        graded.append(minutes(at))
    fourth = decide(rules, "01_notation", minutes(30), graded)
    assert fourth.kind == "limited" and fourth.next_allowed == "2026-12-07 15:00:00 UTC"
    assert "3 practice gradings of 01_notation in the last 60 minutes" in fourth.reason
    assert "allowed from 2026-12-07 15:00:00 UTC" in fourth.reason
    # refused ones do not count: at the minute the first leaves the window, the next is graded
    assert decide(rules, "01_notation", minutes(59.99), graded).kind == "limited"
    assert decide(rules, "01_notation", minutes(60), graded).kind == "grade"


def test_levels_per_assignment_and_the_window_around_the_due_date():
    rules = settings(levels={"08_capstone": "off", "01_notation": "full"}, default_level="score")
    assert decide(rules, "08_capstone", START, []).kind == "off"
    assert decide(rules, "01_notation", START, []).level == "full"
    assert decide(rules, "02_forward", START, []).level == "score"
    due = minutes(60)
    before = settings(when="before_due")
    assert decide(before, "01_notation", minutes(59), [], due).kind == "grade"
    late = decide(before, "01_notation", minutes(61), [], due)
    assert late.kind == "closed" and "ended at its due date, 2026-12-07 15:00 UTC" in late.reason
    assert decide(before, "01_notation", minutes(61), [], None).kind == "grade"  # no due date: always open
    after = settings(when="after_due")
    assert decide(after, "01_notation", minutes(59), [], due).kind == "closed"
    assert decide(after, "01_notation", minutes(61), [], due).kind == "grade"


def test_an_unknown_level_is_refused_by_the_configuration():
    with pytest.raises(Exception, match="full"):
        settings(levels={"01_notation": "everything"})


def rows(*students):
    """Pending ledger rows, one per name, in arrival order (a name repeated submitted again)."""
    return [{"receipt_id": f"r{i:03d}", "student": name, "assignment": "01_notation",
             "received": f"2026-12-07 14:{i // 60:02d}:{i % 60:02d}.000000 UTC"} for i, name in enumerate(students)]


def test_the_student_who_submitted_once_is_not_stuck_behind_one_who_submitted_ten_times():
    pending = rows(*["eager"] * 10, "once", "twice", "twice")
    first = fair.next_batch(pending, 2)
    assert [r["student"] for r in first] == ["eager", "once"]
    assert [r["student"] for r in fair.next_batch(pending, 8)] == ["eager", "once", "twice"]
    # served in turn: once eager's first was graded, eager's second waits for everyone's first
    left = [r for r in pending if r not in first]
    assert [r["student"] for r in fair.next_batch(left, 2, served={"eager": 1, "once": 1})] == ["twice", "eager"]
    assert [r["student"] for r in fair.next_batch(left, 1, served={"eager": 3})] == ["twice"]


def test_a_batch_never_holds_two_submissions_of_one_student():
    shuffled = random.Random(7)
    pending = rows(*(shuffled.choice("abcde") for _ in range(40)))
    for size in (1, 3, 5, 10):
        batch = fair.next_batch(pending, size)
        assert len({r["student"] for r in batch}) == len(batch) == min(size, 5)


def receipt(receipt_id, student="ann", assignment="01_notation", minute=0):
    return {"receipt_id": receipt_id, "student_id": student, "assignment_id": assignment,
            "received": minutes(minute).strftime("%Y-%m-%d %H:%M:%S.%f UTC")}


def test_the_ledger_survives_a_kill_at_any_point_and_recovers_what_was_being_graded(tmp_path):
    path = tmp_path / "ledger.sqlite"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.getcwd()!r})
        from autograder.practice.ledger import Ledger
        from autograder.practice.policy import Decision
        ledger = Ledger({str(path)!r})
        for n in range(100000):
            ledger.add({{"receipt_id": f"x{{n:06d}}", "student_id": "s", "assignment_id": "a",
                        "received": "2026-12-07 14:00:00.000000 UTC"}}, Decision("grade", "full"))
            ledger.start([f"x{{n:06d}}"])
            if n == 50:
                print("ready", flush=True)
    """)
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    ledger = Ledger(path)
    seen = ledger.rows()
    assert len(seen) > 50 and all(r["state"] in ("grading", "pending") for r in seen)
    recovered = ledger.recover()
    assert len(recovered) == sum(r["state"] == "grading" for r in seen)
    assert all(r["state"] == "pending" for r in ledger.rows())
    ledger.done(seen[0]["receipt_id"], {"status": "graded", "score": 3.0}, "now")
    assert Ledger(path).rows("done")[0]["outcome"] == '{"score": 3.0, "status": "graded"}'


def test_decisions_read_back_from_the_ledger_give_the_same_limit_after_a_restart(tmp_path):
    rules = settings(per_window=2, window_minutes=60)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    arrivals = [("01_notation", 0), ("01_notation", 5), ("02_forward", 5.5), ("01_notation", 6), ("01_notation", 61)]
    for n, (assignment, minute) in enumerate(arrivals):
        before = [parse_time(t) for t in ledger.graded_times("ann", assignment)]
        ledger.add(receipt(f"r{n}", assignment=assignment, minute=minute),
                   decide(rules, assignment, minutes(minute), before))
        if n == 1:
            ledger.close()
            ledger = Ledger(tmp_path / "ledger.sqlite")  # a restart between two submissions
    # the limit is per assignment: 02_forward's submission neither counts for 01 nor is refused
    assert [r["decision"] for r in ledger.rows()] == ["grade", "grade", "grade", "limited", "grade"]
