"""Which submissions the next grading run takes, fairly under a deadline rush.

At most one submission per student in a run (and so in flight); among those waiting, a student's
turn counts what they had graded lately and what they wait for before it: a student's first comes
before anyone's second, so the student who submitted once is never stuck behind one who submitted
ten times. Ties go to the earlier receipt.
"""


def next_batch(pending, size, served=None):
    """The rows of `pending` (ledger rows, oldest first) the next run grades: at most `size`, one per student.

    served: {student: submissions of theirs graded lately}: they count as turns already taken."""
    turn = dict(served or {})
    ranked = []
    for row in pending:
        place = turn.get(row["student"], 0)
        turn[row["student"]] = place + 1
        ranked.append((place, row["received"], row["receipt_id"], row))
    chosen, students = [], set()
    for _, _, _, row in sorted(ranked, key=lambda item: item[:3]):
        if row["student"] in students:
            continue
        students.add(row["student"])
        chosen.append(row)
        if len(chosen) == size:
            break
    return chosen
