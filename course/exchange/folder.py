"""nbgrader's folder exchange (make lab: one machine) with a collect that copies plain bytes only.

nbgrader's own collect copies a submission folder with shutil, following symbolic links, so a link
in the exchange could bring any file the instructor can read into submitted/. This one takes what
course.exchange.files takes: plain files within limits; links, hard links, FIFOs, devices, sockets
and oversized files are left behind, each with a warning naming it. Named in nbgrader_config.py.
"""

from nbgrader.exchange.default.collect import ExchangeCollect

from . import files as plain

# One machine, one instructor: a generous bound that still stops a runaway folder.
COLLECT_LIMITS = plain.Limits(max_files=1000, max_file_bytes=100 * 2**20, max_total_bytes=500 * 2**20)


class Collect(ExchangeCollect):
    def do_copy(self, src, dest, log=None):
        # nbgrader's own files (timestamp.txt) come along: its lateness reads them in submitted/.
        # receipt.json is the hub exchange's, never this folder's: its time would be taken as the submission's.
        found, refused = plain.read_folder(src, COLLECT_LIMITS, ignore=self.coursedir.ignore, skip_top=("receipt.json",))
        for name, reason in refused:
            self.log.warning(f"{src}: left out of the collected submission: {name}: {reason}")
        plain.write_folder(dest, found)
