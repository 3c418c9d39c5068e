"""Execute step of autograding: nbgrader's, except that a cell ignoring the interrupt is not waited for.

On a cell timeout nbgrader interrupts the kernel and, without waiting, sends the next cell. A kernel
that ignores the interrupt (SIGINT ignored, builtins patched, a C loop) never answers again, so
every later cell waits out its own timeout, and the notebook costs its whole time limit. Here the
kernel has `interrupt_grace` seconds to answer the interrupt; if it does not, it is killed with
everything in its sandbox and the notebook fails with a reason that says so. A hung cell therefore
costs the cell timeout plus the grace, never the notebook timeout.

Nor does grading run the source notebook's demo cells (tagged "demo" by the instructor; see
autograder.authoring, which proves each one safe to skip): they draw pictures and time things,
and no grade depends on them.
"""

import json
import os
from queue import Empty

from jupyter_core.utils import ensure_async
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

DEMO_TAG = "demo"


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
