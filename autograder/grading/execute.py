"""Execute step of autograding: nbgrader's, except that a cell ignoring the interrupt is not waited for.

On a cell timeout nbgrader interrupts the kernel and, without waiting, sends the next cell. A kernel
that ignores the interrupt (SIGINT ignored, builtins patched, a C loop) never answers again, so
every later cell waits out its own timeout, and the notebook costs its whole time limit. Here the
kernel has `interrupt_grace` seconds to answer the interrupt; if it does not, it is killed with
everything in its sandbox and the notebook fails with a reason that says so. A hung cell therefore
costs the cell timeout plus the grace, never the notebook timeout.

A slot starts the next notebook's kernel while the grader verifies and writes feedback
(`start_warm_kernel`, after every process of the previous student is gone), so that a notebook
does not wait for its kernel to boot and import NumPy and Matplotlib.

Nor does grading run the source notebook's demo cells (tagged "demo" by the instructor; see
autograder.authoring, which proves each one safe to skip): they draw pictures and time things,
and no grade depends on them.
"""

import inspect
import json
import os
from queue import Empty

from jupyter_core.utils import ensure_async, run_sync
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from autograder.judging.runner import LazyPlotting

DEMO_TAG = "demo"
# Run by the warm kernel before the student's code, binding no name of theirs: NumPy and Matplotlib
# imported, and pyplot loaded only when a graded cell uses it (the figures are in demo cells).
WARM_IMPORTS = "exec({!r}, {{}})".format(
    "import importlib.abc, importlib.util, sys\n" + inspect.getsource(LazyPlotting)
    + "sys.meta_path.insert(0, LazyPlotting())\nimport numpy, matplotlib\n")
_warm = {}  # the kernel manager started ahead of the next notebook, if any


def demo_grade_ids(notebook):
    """grade_ids of a notebook's demo cells (nbformat JSON or NotebookNode)."""
    return {cell["metadata"]["nbgrader"]["grade_id"] for cell in notebook["cells"]
            if DEMO_TAG in cell.get("metadata", {}).get("tags", []) and "nbgrader" in cell["metadata"]}


class IgnoredInterrupt(Exception):
    """A cell ran past its time limit and its kernel did not yield to the interrupt."""


class GuardedExecute(Execute):
    interrupt_grace = Integer(5, help="Seconds a timed-out cell has to yield to the interrupt").tag(config=True)
    skip_demo_cells = Bool(True, help="Leave out the source notebook's demo cells").tag(config=True)
    source_root = Unicode("", help="the course's source folder (source/<assignment>/<notebook>.ipynb)").tag(
        config=True)

    def preprocess(self, nb, resources, *args, **kwargs):
        # Which cells are demos is the instructor's source notebook's word, never the submission's.
        self.demo_cells = set()
        if self.skip_demo_cells and self.source_root:
            ids = resources["nbgrader"]
            path = os.path.join(self.source_root, ids["assignment"], f"{ids['notebook']}.ipynb")
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as handle:
                    self.demo_cells = demo_grade_ids(json.load(handle))
        return super().preprocess(nb, resources, *args, **kwargs)

    def create_kernel_manager(self):
        warm = _warm.pop("manager", None)
        process = getattr(getattr(warm, "provisioner", None), "process", None)
        alive = process is not None and process.poll() is None
        if warm is not None and warm.kernel_name == self.kernel_name and alive:
            self.km = warm
            # Started on another request: its graceful shutdown can wait seconds for an answer that
            # does not come. The grader kills what is left of a kernel after each notebook anyway.
            self.shutdown_kernel = "immediate"
            return warm
        if alive:  # another kernel than this notebook's: never used
            process.kill()
        return super().create_kernel_manager()

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if (cell.cell_type == "code" and meta.get("grade_id") in self.demo_cells and meta.get("locked")
                and not meta.get("grade") and not meta.get("solution")):
            return cell, self.resources
        return super().preprocess_cell(cell, resources, index)

    async def _async_handle_timeout(self, timeout, cell=None):
        self.log.error("Cell ran past %i s: interrupting the kernel", timeout)
        await ensure_async(self.km.interrupt_kernel())
        # nbclient sends one request at a time, so the only reply still owed is this cell's.
        try:
            while True:
                reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=self.interrupt_grace))
                if reply.get("msg_type") == "execute_reply":
                    return reply
        except Empty:
            pass
        self.log.error("The kernel ignored the interrupt for %i s: killing it", self.interrupt_grace)
        await ensure_async(self.km.shutdown_kernel(now=True))
        raise IgnoredInterrupt(f"a cell ran past {timeout} s and ignored the interrupt")


def start_warm_kernel(config):
    """Start the kernel the next notebook will use, as nbclient would start it, without waiting
    for it. Only for a configured kernel (the sandbox's); a notebook's own kernelspec varies."""
    execute = GuardedExecute(config=config)
    if _warm or not execute.kernel_name:
        return
    manager = execute.kernel_manager_class(kernel_name=execute.kernel_name, config=execute.config)
    arguments = [*execute.extra_arguments, f"--HistoryManager.hist_file={execute.ipython_hist_file}",
                 f"--IPKernelApp.exec_lines={[WARM_IMPORTS]!r}"]
    run_sync(manager.start_kernel)(extra_arguments=arguments)
    _warm["manager"] = manager
