"""Running a grading: what to grade and where.

In: the collected submissions (autograder.collect) and the run's options. The coordinator decides
what needs grading, grades each assignment's own solution first (the canary), sends one job per
submission to a pool (this machine's slots, or the workers of a Dask cluster), and merges each
result into the gradebook as it comes back (autograder.record). Out: each submission's outcome.
"""
