"""What a grading leaves behind and how it is read: the gradebook (the one writer, nbgrader's
database), lateness and its penalties, answers awaiting a grader, the term's scope, checks on what
is entered into the gradebook, and the reports (grades.csv, summary.html). In: each submission's
outcome. Out: the gradebook as the formgrader and nbgrader export see it, and the reports.
"""
