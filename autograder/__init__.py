"""Instructor-only: the reference implementation and the grading pipeline. Never shipped to students."""

import sys

# jsonschema checks the "iri" string format with rfc3987_syntax where it is installed (Jupyter's
# event schemas pull it in), and importing that compiles a grammar: a second of CPU in every
# process that imports nbformat, which is every grading process. No nbformat or nbgrader schema
# uses that format; without the module, jsonschema just has no "iri" check.
sys.modules.setdefault("rfc3987_syntax", None)
