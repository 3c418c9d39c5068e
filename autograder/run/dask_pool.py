"""Grading on a Dask cluster: `python -m autograder grade --cluster tcp://HOST:8786`.

A Dask worker needs the course's pinned environment (requirements.txt), this repository on its
Python path and bubblewrap, as the grading machine does. Nothing else is shared: a job carries what
it needs (autograder.grading.job). Each worker keeps one long-lived slot per thread (`--nthreads`), as the
local pool does, with sandbox uids no other grader on its machine holds. A worker lost mid-job
loses nothing: the scheduler runs the job again elsewhere (up to
`distributed.scheduler.allowed-failures` times; then the submission fails with an internal error,
and the next run grades it again), and the coordinator merges each submission's result once.
"""

import concurrent.futures
import dataclasses
import pathlib
import queue
import tempfile
import uuid

from distributed import Client, WorkerPlugin, get_worker

from autograder.grading import job
from autograder.grading.environment import remove_stale_runtime_folders
from autograder.grading.options import Options
from autograder.isolation import budget, sandbox

PLUGIN_NAME = "backprop-slots"


def worker_settings(options):
    """What a Dask worker needs of the run's options; never the secret (jobs carry their seeds)."""
    return {"cell_timeout": options.cell_timeout, "notebook_timeout": options.notebook_timeout,
            "interrupt_grace": options.interrupt_grace, "unsafe": options.unsafe,
            "limits": dataclasses.asdict(options.limits)}


class WorkerSlots(WorkerPlugin):
    """A Dask worker plugin: the worker's slots, made when the coordinator connects, removed with it."""

    name = PLUGIN_NAME

    def __init__(self, settings):
        self.settings = settings

    def setup(self, worker=None):
        settings = dict(self.settings)
        if not settings["unsafe"]:  # no job may run student code here without isolation
            sandbox.check_available()
        limits = sandbox.Limits(**settings.pop("limits"))
        count = worker.state.nthreads if worker is not None else 1
        self.numbers, self.locks = job.claim_slot_numbers(count)
        self.budgets = (budget.SlotBudgets(description="no sandbox (--unsafe)") if settings["unsafe"]
                        else budget.prepare(count, limits, slots=self.numbers))
        scratch = sandbox.scratch_root(memory_charged=bool(self.budgets.mechanism))
        options = Options(limits=limits, budgets=self.budgets, scratch=scratch, **settings)
        remove_stale_runtime_folders(scratch)
        base = pathlib.Path(worker.local_directory if worker is not None else tempfile.mkdtemp())
        self.slots = [job.Slot(number, base / "backprop-slots" / f"slot-{number}", options) for number in self.numbers]
        self.free = queue.Queue()
        for slot in self.slots:
            self.free.put(slot)

    def teardown(self, worker=None):
        for slot in self.slots:
            slot.close()
        budget.remove(self.budgets)
        job.release_slot_numbers(self.locks)


def run_on_worker(function_name, payload):
    """A Dask task: one job in one of this worker's slots."""
    slots = get_worker().plugins[PLUGIN_NAME]
    slot = slots.free.get()
    try:
        return getattr(job, function_name)(payload, slot)
    finally:
        slots.free.put(slot)


class DaskPool:
    """The workers of the Dask cluster whose scheduler is at `address` (tcp://HOST:8786)."""

    def __init__(self, address, options, timeout=10):
        self.client = Client(address, timeout=timeout, set_as_default=False)
        try:  # each worker makes its slots now; one that cannot says why here
            self.client.register_plugin(WorkerSlots(worker_settings(options)), name=PLUGIN_NAME)
        except BaseException:
            self.client.close()
            raise
        self.futures = []
        self.window = options.cluster_window  # jobs the coordinator sends ahead (c.Grader.cluster_window)

    def submit(self, function, payload):
        key = f"{function.__name__}-{payload.student}-{payload.assignment}-{uuid.uuid4().hex[:12]}"
        task = self.client.submit(run_on_worker, function.__name__, payload, key=key, pure=False)
        relayed = concurrent.futures.Future()

        def relay(done):
            try:
                relayed.set_result(done.result())
            except BaseException as error:  # noqa: BLE001 - KilledWorker, CancelledError: the coordinator decides
                relayed.set_exception(error)

        task.add_done_callback(relay)
        self.futures.append(task)
        return relayed

    def cancel(self):
        self.client.cancel(self.futures)

    def close(self):
        """Disconnect; the workers close their slots (and remove their cgroups) until the next run."""
        try:
            self.client.unregister_worker_plugin(PLUGIN_NAME)
        except Exception:  # noqa: BLE001 - a scheduler already gone: its workers go with it
            pass
        self.client.close()
