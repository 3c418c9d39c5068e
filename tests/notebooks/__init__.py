"""The course notebooks themselves: they run, and release/ is what nbgrader generates."""
