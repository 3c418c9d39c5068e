"""Where grading jobs run by default: the slots of this machine.

A pool takes a job function of autograder.job and its job, and returns a concurrent.futures.Future
of its result; the coordinator does not know which pool it has (autograder.cluster is the other).
"""

import concurrent.futures
import pathlib
import queue

from . import job, worker


class LocalPool:
    """`jobs` slots of this machine: the first of `numbers` (0 to jobs - 1 by default; see
    job.claim_slot_numbers), with the cgroups options.budgets holds for them."""

    def __init__(self, root, jobs, options, numbers=None):
        worker.remove_stale_runtime_folders(options.scratch)
        numbers = list(numbers if numbers is not None else range(jobs))[:jobs]
        self.slots = [job.Slot(number, pathlib.Path(root) / ".grading" / f"slot-{number}", options)
                      for number in numbers]
        self.free = queue.Queue()
        for slot in self.slots:
            self.free.put(slot)
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=len(self.slots))

    def submit(self, function, payload):
        return self.executor.submit(self._run, function, payload)

    def _run(self, function, payload):
        slot = self.free.get()
        try:
            return function(payload, slot)
        finally:
            self.free.put(slot)

    def cancel(self):
        self.executor.shutdown(wait=False, cancel_futures=True)
        for slot in self.slots:
            if slot.process is not None:
                slot.process.stop()

    def close(self):
        self.executor.shutdown(wait=True, cancel_futures=True)
        for slot in self.slots:
            slot.close()
