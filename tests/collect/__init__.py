"""autograder.collect: submissions put where nbgrader grades them, LMS zips and the roster."""
