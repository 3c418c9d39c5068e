"""Run by every kernel of a hub user's server as it starts (PYTHONSTARTUP, see course_spawner): when the
server's memory budget stopped a kernel since a kernel last looked, the first cell this kernel runs
prints why, in words, above its own output.

The hub hands the kernel two things in its environment: BACKPROP_MEMORY_EVENTS (the user's cgroup file
counting out-of-memory kills, bound read-only into their view) and BACKPROP_MEMORY_LIMIT (bytes). The
count already reported lives in the server's private /tmp, which lasts exactly as long as its cgroup.
roles.py copies this file into each role's settings folder; it defines nothing in the user's namespace.
"""


def _backprop_budget_notice():
    import os

    events, limit = os.environ.get("BACKPROP_MEMORY_EVENTS"), os.environ.get("BACKPROP_MEMORY_LIMIT")
    seen_file = "/tmp/.backprop-memory-kills-reported"
    try:
        from IPython import get_ipython

        with open(events) as f:
            kills = next(int(line.split()[1]) for line in f if line.startswith("oom_kill "))
        try:
            with open(seen_file) as f:
                seen = int(f.read() or 0)
        except FileNotFoundError:
            seen = 0
        shell = get_ipython()
        if kills <= seen or shell is None:
            return
        with open(seen_file, "w") as f:  # reported once, by this kernel, not by every kernel started after it
            f.write(str(kills))
    except (TypeError, OSError, ValueError, StopIteration, ImportError):  # no budget here, or unreadable
        return
    allowed = f"{int(limit) / 2**20:g} MiB" if limit and limit.isdigit() else "memory"
    message = (f"Your kernel was stopped: it used more than the {allowed} of memory your server is allowed "
               "(all your notebooks, kernels and terminals together), so the hub stopped it before it could "
               "slow down your classmates. Its variables are gone: run your cells again from the top, and "
               "use less memory (smaller arrays or batches; `del` what you no longer need).\n")

    def tell(*_):
        import sys

        shell.events.unregister("pre_run_cell", tell)
        sys.stdout.write(message)
        sys.stdout.flush()

    shell.events.register("pre_run_cell", tell)


_backprop_budget_notice()
del _backprop_budget_notice
