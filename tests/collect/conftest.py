"""The `course` fixture of the collect tests: a tiny course under tmp_path (tests.support.tiny_course)."""

import pytest

from tests.support.tiny_course import tiny_course


@pytest.fixture
def course(tmp_path):
    """A course root with source/<a>/<a>.ipynb for both assignments; returns (root, assignments)."""
    return tiny_course(tmp_path)
