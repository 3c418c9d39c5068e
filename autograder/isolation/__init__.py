"""Keeping student code in its place: the bubblewrap sandbox each kernel starts in (no network, no
other student, no solutions, limits on memory, CPU, processes and files) and the per-slot budgets
of Linux cgroups. In: a slot number and its limits. Out: a kernelspec that launches the sandbox,
and the budgets a run holds until it ends.
"""
