"""The digests that decide whether a submission needs grading again: the grader's own code, the
course's version of an assignment, and a submission's inputs.

What decides a score is found, not listed: every module of the grader counts, except those that
cannot change a score (`NEVER_SCORES`: collecting, reporting, exporting, authoring, the command
line). A module added to a package that grades, isolates, judges, runs or records is part of the
version from its first line, so a change to it regrades, and Dask workers must run the same copy.
"""

import functools
import hashlib
import pathlib

GRADER = pathlib.Path(__file__).resolve().parents[1]
# Relative to autograder/: what runs before grading or after it, and never decides a score.
NEVER_SCORES = ("__main__.py", "authoring.py", "config.py", "collect", "export", "record/report.py",
                "record/late_report.py", "record/term.py", "record/db_add.py")


def digest_files(files, base=None):
    digest = hashlib.sha256()
    for path in files:
        if "__pycache__" not in path.parts and path.is_file():
            name = str(path.relative_to(base)) if base else path.name
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def score_modules(grader=GRADER):
    """Every module of the grader that can change a score, in a stable order."""
    def never(path):
        relative = path.relative_to(grader).as_posix()
        return any(relative == entry or relative.startswith(entry + "/") for entry in NEVER_SCORES)

    return sorted(path for path in grader.rglob("*.py") if "__pycache__" not in path.parts and not never(path))


@functools.lru_cache(maxsize=1)
def grader_version():
    """A digest of the grading code with its reference, as this process first found it: workers
    must run the coordinator's."""
    return digest_files(score_modules(), GRADER)


def course_version(course_root, assignment):
    """A digest of everything besides the submission that decides a grade: the assignment's source
    folder, the grader with its reference, and the course configuration."""
    root = pathlib.Path(course_root)
    files = sorted(p for p in (root / "source" / assignment).rglob("*") if p.is_file())
    return hashlib.sha256(f"{digest_files(files + [root / 'nbgrader_config.py'])}/{grader_version()}".encode()).hexdigest()


def submission_digests(course_root, student, assignment, version):
    """(notebook, inputs): a digest of the submitted notebook's bytes, and of everything a grading of
    it depends on (the notebook, its submission time, the course version)."""
    folder = pathlib.Path(course_root) / "submitted" / student / assignment
    notebook = hashlib.sha256((folder / f"{assignment}.ipynb").read_bytes()).hexdigest()
    stamp, text = folder / "timestamp.txt", b""
    if stamp.is_file() and not stamp.is_symlink():
        with stamp.open("rb") as handle:  # the student's exchange folder wrote it: a time is a few bytes
            text = handle.read(4096)
    inputs = hashlib.sha256(b"\0".join([notebook.encode(), text, version.encode()])).hexdigest()
    return notebook, inputs
