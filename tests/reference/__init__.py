"""autograder.reference: the reference implementation against finite differences and the syllabus."""
