"""autograder.grading: one notebook graded (the fast steps, nbgrader's scores, the catalog of submissions)."""
