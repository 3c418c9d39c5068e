"""Where grading jobs run by default: the slots of this machine.

A pool takes a job function of autograder.grading.job and its job, and returns a concurrent.futures.Future
of its result; the coordinator does not know which pool it has (autograder.run.dask_pool is the other).
"""

import concurrent.futures
import pathlib
import threading

from autograder.grading import job
from autograder.grading.environment import remove_stale_runtime_folders


class LocalPool:
    """`jobs` slots of this machine: the first of `numbers` (0 to jobs - 1 by default; see
    job.claim_slot_numbers), with the cgroups options.budgets holds for them.

    Each slot has a thread that takes the next job, preferring the oldest one of an assignment the
    slot already knows at its version: learning an assignment's cells costs about half a second,
    so each slot keeps to the assignments it has learnt while there are jobs of them."""

    def __init__(self, root, jobs, options, numbers=None):
        remove_stale_runtime_folders(options.scratch)
        numbers = list(numbers if numbers is not None else range(jobs))[:jobs]
        self.slots = [job.Slot(number, pathlib.Path(root) / ".grading" / f"slot-{number}", options)
                      for number in numbers]
        self.window = options.local_window * len(self.slots)  # jobs the coordinator sends ahead (c.Grader)
        self.queue, self.closing = [], False  # queue: (future, function, payload), oldest first
        self.changed = threading.Condition()
        self.threads = [threading.Thread(target=self._serve, args=(slot,), daemon=True) for slot in self.slots]
        for thread in self.threads:
            thread.start()

    def submit(self, function, payload):
        future = concurrent.futures.Future()
        with self.changed:
            if self.closing:
                raise RuntimeError("the pool is closed")
            self.queue.append((future, function, payload))
            self.changed.notify()
        return future

    def _next(self, slot):
        with self.changed:
            while not self.queue and not self.closing:
                self.changed.wait()
            if not self.queue:
                return None
            known = next((index for index, (_, _, payload) in enumerate(self.queue)
                          if slot.versions.get(payload.assignment) == payload.course.version), 0)
            return self.queue.pop(known)

    def _serve(self, slot):
        while (taken := self._next(slot)) is not None:
            future, function, payload = taken
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(payload, slot))
            except BaseException as error:  # noqa: BLE001 - the coordinator reads it from the future
                future.set_exception(error)

    def _stop_taking(self):
        with self.changed:
            self.closing = True
            for future, _, _ in self.queue:
                future.cancel()
            self.queue.clear()
            self.changed.notify_all()

    def cancel(self):
        self._stop_taking()
        for slot in self.slots:
            if slot.process is not None:
                slot.process.stop()

    def close(self):
        self._stop_taking()
        for thread in self.threads:
            thread.join()
        for slot in self.slots:
            slot.close()
