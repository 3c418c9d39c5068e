"""autograder.export: grades and feedback for the LMS."""
