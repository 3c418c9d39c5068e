"""What the class got wrong and whose work looks alike, after grading: the named mistakes counted (each
recorded by the grade job, `autograder.judging.mistakes`), the similarity of the students' own solution
cells (`similarity`, `fingerprints`, `side_by_side`), and the class report that shows both with the
scores (`class_report`, `figures`), built by `build`. In: the gradebook snapshot and autograded/. Out:
reports/class-ASSIGNMENT.html with its CSVs, mistakes.csv and similarity-ASSIGNMENT.csv.
"""
