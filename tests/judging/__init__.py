"""autograder.judging: the integrity check's specs, leaks of the source, untrusted results."""
