"""The coordinator holds a class in memory a window at a time: a job's files are read only when
the job is sent, and no more than the pool's window of jobs is ever out at once."""

import concurrent.futures
import threading
import time

from autograder import collect
from autograder.grading import job
from autograder.grading.options import Options
from autograder.run.coordinator import grade_class
from tests.support.notebook import make_course_root, student_notebook, write_submission

ASSIGNMENT = "01_notation"
STUDENTS = [f"student{i:02d}" for i in range(7)]


class WindowedPool:
    """A pool of `window` jobs that answers each after a moment, every job failing with the same
    reason (what is measured here is the coordinator's sending, not grading)."""

    def __init__(self, window):
        self.window, self.out, self.most_out, self.sent = window, 0, 0, []
        self.lock = threading.Lock()
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=8)

    def submit(self, function, payload):
        with self.lock:
            self.out += 1
            self.most_out = max(self.most_out, self.out)
            self.sent.append((function.__name__, payload.student, time.monotonic()))
        return self.executor.submit(self._answer, payload)

    def _answer(self, payload):
        time.sleep(0.05)
        with self.lock:
            self.out -= 1
        return job.JobResult(payload.student, payload.assignment, status="failed", reasons=["not graded here"])

    def cancel(self):
        pass

    def close(self):
        self.executor.shutdown(wait=True)


def test_jobs_go_out_a_window_at_a_time_and_read_their_files_when_sent(tmp_path, monkeypatch):
    course = make_course_root(tmp_path, [ASSIGNMENT])
    for student in STUDENTS:
        write_submission(course, student, ASSIGNMENT, student_notebook(ASSIGNMENT))
    submissions = collect.collect_directory(course / "submitted", collect.load_assignments(course))
    read_at = []
    real_read = job.read_submission

    def reading(folder, *args, **kwargs):
        read_at.append(time.monotonic())
        return real_read(folder, *args, **kwargs)

    monkeypatch.setattr(job, "read_submission", reading)
    pool = WindowedPool(window=2)
    results = grade_class(course, [ASSIGNMENT], submissions, Options(unsafe=True), jobs=2, pool=pool)
    assert sorted(results) == STUDENTS
    assert all(r[ASSIGNMENT].reasons[-1] == "not graded here" for r in results.values())
    assert len(pool.sent) == len(STUDENTS) and pool.most_out == 2
    # each submission's files were read just before its job went out, not all at the start
    sent_at = [when for _, _, when in pool.sent]
    assert len(read_at) == len(STUDENTS)
    assert all(read <= sent for read, sent in zip(read_at, sent_at))
    assert read_at[-1] > sent_at[0]
