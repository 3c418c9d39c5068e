"""Instructor-only: the reference implementation and the grading pipeline. Never shipped to students."""
