"""The student package, course/: backend, checks, data, widgets and hints."""
