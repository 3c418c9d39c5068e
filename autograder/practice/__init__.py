"""Practice grading: grade each submission as it arrives, for the student only; never the instructor's
gradebook. The practice service runs the instructor's own pipeline (sandbox, budgets, verification) on each
new submission into a course root of its own, and hands what the instructor chose to show (off, the score,
per exercise, or nbgrader's full feedback page: autograder.practice.pages) back through nbgrader's Fetch
Feedback; the official grade is still the instructor's run after the due date.
"""
