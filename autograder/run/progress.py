"""The status line of a grading run (autograder.run.coordinator), on stderr unless told otherwise."""

import sys
import time


class Progress:
    """One status line: students done, failures, time left (estimated from the mean so far)."""

    def __init__(self, total, stream=None):
        self.total, self.done, self.failed, self.flagged = total, 0, 0, 0
        self.started, self.stream = time.perf_counter(), stream or sys.stderr
        self.interactive = self.stream.isatty()

    def update(self, outcomes):
        self.done += 1
        self.failed += any(o.status == "failed" for o in outcomes)
        self.flagged += any(o.status == "flagged" for o in outcomes)
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.done * (self.total - self.done)
        width = 24
        bar = "#" * round(width * self.done / self.total) + "." * (width - round(width * self.done / self.total))
        line = (f"[{bar}] {self.done}/{self.total} students, {self.failed} failed, {self.flagged} flagged, "
                f"~{left:.0f} s left")
        self.stream.write(("\r" + line) if self.interactive else line + "\n")
        if self.interactive and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()
