"""A real Dask cluster on loopback for tests and benchmarks: a scheduler and worker processes,
started as an instructor would start them (`python -m dask scheduler`, `python -m dask worker`),
stopped (and their slots' leftovers killed) afterwards."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cluster_environment():
    from autograder.grading.environment import tool_environment

    env = dict(tool_environment(), PYTHONPATH=str(ROOT))
    env.pop("GRADER_SECRET", None)  # a worker never needs the instructor's secret
    return env


class LocalDaskCluster:
    """`workers` single-thread workers (no nanny: a killed worker stays dead, as a lost machine does)."""

    def __init__(self, folder, workers=2, threads=1, worker_env=None):
        self.folder, self.count, self.threads = pathlib.Path(folder), workers, threads
        self.worker_env = worker_env or {}
        self.scheduler, self.workers, self.address = None, [], None

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = self.folder / "scheduler.json"
        self.scheduler = self._start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                      "--scheduler-file", str(scheduler_file)], "scheduler")
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() or not scheduler_file.read_text().strip():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the Dask scheduler did not start: {(self.folder / 'scheduler.log').read_text()}")
            time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for number in range(self.count):
            self.add_worker(f"worker-{number}")
        return self

    def add_worker(self, name):
        local = self.folder / name
        local.mkdir(exist_ok=True)
        self.workers.append(self._start(["worker", self.address, "--name", name, "--nthreads", str(self.threads),
                                         "--no-nanny", "--host", "127.0.0.1", "--no-dashboard",
                                         "--local-directory", str(local)], name, self.worker_env))

    def slot_folders(self, number):
        """The slot folders worker `number` made (under Dask's local directory of the worker)."""
        return sorted(p for p in (self.folder / f"worker-{number}").rglob("slot-*") if p.parent.name == "backprop-slots")

    def _start(self, arguments, name, env=None):
        with open(self.folder / f"{name}.log", "w") as log:
            return subprocess.Popen([sys.executable, "-m", "dask", *arguments],
                                    env={**cluster_environment(), **(env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.folder)

    def wait_for_workers(self, count, timeout=60):
        from distributed import Client

        with Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill_worker(self, number):
        """Kill a worker as a machine is lost: at once, with the slot processes it started."""
        os.killpg(self.workers[number].pid, signal.SIGKILL)
        self.workers[number].wait()

    def __exit__(self, *_):
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                process.terminate()
        # A worker closes in a second or two; one that hangs (a plugin that refused it, say) is killed
        # after a shared grace period rather than waited on, process after process.
        deadline = time.monotonic() + 5
        for process in [*self.workers, self.scheduler]:
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # whatever a worker's slots left running in its session
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
