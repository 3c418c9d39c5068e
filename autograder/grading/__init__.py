"""Grading one submission: the job a slot runs, away from every other submission.

In: a job (the notebook, the assignment's source folder, nbgrader_config.py, the options). A slot,
a long-lived process that imports nbgrader once, autogrades it with nbgrader's converters, some
steps swapped for ours (a guarded Execute, an ordered OverwriteCells, faster equivalents), the
kernel in the sandbox (autograder.isolation); the result is sanitised and checked out of the
student's kernel (autograder.judging). Out: the autograded notebook, its scores, the outcome, the
feedback page. Also here: the options a job carries, the environment it runs in, and the version
digests that decide whether a submission needs grading again.
"""
