"""The student bundle: everything a student needs to work offline, and nothing an instructor keeps.

Contents: release/ (the student notebooks), course/ (the helper package), requirements*.txt,
pyproject.toml (so `pip install .` makes `course` importable anywhere) and HOWTO.md.
"""

import zipfile

HOWTO = """\
# Backprop course: student bundle

1. Install Python 3.11, then, in this folder:

       python3.11 -m venv .venv
       .venv/bin/pip install -r requirements.txt
       .venv/bin/pip install --no-deps --no-build-isolation -e .

   (On Windows use `.venv\\Scripts\\pip` and `.venv\\Scripts\\jupyter`.)

2. Open the course:

       .venv/bin/jupyter lab release/

3. In each notebook, write the functions marked `YOUR CODE HERE` and run the test cell below
   each one. A failing test says what is probably wrong. Hand in the notebook file itself
   (e.g. `02_forward.ipynb`), not a copy with another name.

Optional GPU: on a machine with an NVIDIA GPU, `.venv/bin/pip install -r requirements-gpu.txt`.
"""

INCLUDED = ["release", "course", "requirements.txt", "requirements-gpu.txt", "pyproject.toml"]
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}


def bundle_files(root):
    """(path on disk, name in the zip) for every file of the bundle, sorted for a reproducible zip."""
    files = []
    for entry in INCLUDED:
        path = root / entry
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [(p, p.relative_to(root).as_posix()) for p in candidates
                  if not SKIPPED_PARTS & set(p.relative_to(root).parts) and not p.name.endswith(".pyc")]
    return files


def write_bundle(root, output):
    """Write the zip to `output` (relative paths are under `root`) and return its path."""
    output = output if output.is_absolute() else root / output
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in bundle_files(root):
            archive.write(path, f"backprop-course/{name}")
        archive.writestr("backprop-course/HOWTO.md", HOWTO)
    return output
