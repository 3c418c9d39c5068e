"""Execute step of autograding: nbgrader's, except that a cell ignoring the interrupt is not waited for.

On a cell timeout nbgrader interrupts the kernel and, without waiting, sends the next cell. A kernel
that ignores the interrupt (SIGINT ignored, builtins patched, a C loop) never answers again, so
every later cell waits out its own timeout, and the notebook costs its whole time limit. Here the
kernel has `interrupt_grace` seconds to answer the interrupt; if it does not, it is killed with
everything in its sandbox and the notebook fails with a reason that says so. A hung cell therefore
costs the cell timeout plus the grace, never the notebook timeout.
"""

from queue import Empty

from jupyter_core.utils import ensure_async
from nbgrader.preprocessors import Execute
from traitlets import Integer


class IgnoredInterrupt(Exception):
    """A cell ran past its time limit and its kernel did not yield to the interrupt."""


class GuardedExecute(Execute):
    interrupt_grace = Integer(5, help="Seconds a timed-out cell has to yield to the interrupt").tag(config=True)

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
