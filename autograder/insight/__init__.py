"""What the class got wrong and whose work looks alike, after grading: the named mistakes counted
(recorded by the grade job, `autograder.judging.mistakes`), the similarity of solution cells
(`similarity`), and the class report that shows both with the scores (`class_report`)."""
