"""The environment of the processes that grade: the tools beside this Python, a slot's nbgrader
process with the sandbox as its kernel, and the runtime folders killed runs left behind."""

import os
import pathlib
import sys
import tempfile

from autograder.isolation import budget, sandbox


def tool_environment():
    """os.environ with this interpreter's bin/ first on PATH: nbgrader runs `alembic` from there."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    return env


def slot_environment(folder, slot, options, runtime):
    """The environment of a slot's nbgrader process: its kernelspec (the sandbox) and runtime folder."""
    env = tool_environment()
    env.pop("JUPYTER_PATH", None)
    env.pop("GRADER_SECRET", None)  # nbgrader has no use for it
    if not options.unsafe:
        sandbox.write_kernelspec(pathlib.Path(folder) / "jupyter", slot, options.limits, options.budgets.of(slot))
        env["JUPYTER_PATH"] = str(pathlib.Path(folder) / "jupyter")
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pathlib.Path(__file__).resolve().parents[2]),
                                                      env.get("PYTHONPATH")]))
    return env


def remove_stale_runtime_folders(scratch):
    """Runtime folders of runs that were killed before they could remove them."""
    for folder in pathlib.Path(scratch or tempfile.gettempdir()).glob("backprop-*-slot*-*"):
        if folder.is_dir() and not folder.is_symlink() and budget.run_is_over(folder.name, "backprop-"):
            try:  # another run starting now may be removing it too
                if not sandbox.empty_folder(folder):
                    folder.rmdir()
            except OSError:
                pass
