"""A tiny course for the collect tests: two assignments of a few nbgrader cells each, built under
tmp_path, students' notebooks for it, and zips and folders of submissions."""

import io
import stat
import zipfile

import nbformat

from autograder.collect import collect_directory, load_assignments

# Each assignment: (cell_type, grade_id, source, role). "markdown_00" recurs in both, like the
# auto-generated ids of the real course, so telling assignments apart needs the whole id set.
SPECS = {
    "02_forward": [
        ("markdown", "markdown_00", "# Forward pass", "locked"),
        ("code", "code_01", "import math", "locked"),
        ("code", "relu", "def relu(x):\n    ### BEGIN SOLUTION\n    return max(0, x)\n    ### END SOLUTION",
         "solution"),
        ("code", "test_relu", "assert relu(-1) == 0\n### BEGIN HIDDEN TESTS\nassert relu(2) == 2\n### END HIDDEN TESTS",
         "test"),
    ],
    "03_backprop": [
        ("markdown", "markdown_00", "# Backward pass", "locked"),
        ("code", "relu_grad",
         "def relu_grad(x):\n    ### BEGIN SOLUTION\n    return float(x > 0)\n    ### END SOLUTION", "solution"),
        ("code", "test_relu_grad", "assert relu_grad(3) == 1.0", "test"),
    ],
}
ANSWERS = {"relu": "def relu(x):\n    return max(0, x)", "relu_grad": "def relu_grad(x):\n    return float(x > 0)"}
RELEASED_TESTS = {"test_relu": "assert relu(-1) == 0", "test_relu_grad": "assert relu_grad(3) == 1.0"}


def make_cell(cell_type, grade_id, source, role):
    """An nbgrader cell as nbgrader's create_assignment writes it."""
    make = nbformat.v4.new_markdown_cell if cell_type == "markdown" else nbformat.v4.new_code_cell
    cell = make(source, id=grade_id.replace("_", "-"))  # fixed ids: the same notebook, the same bytes
    cell.metadata["nbgrader"] = {
        "grade": role == "test", "grade_id": grade_id, "locked": role in ("locked", "test"),
        "schema_version": 3, "solution": role == "solution", "task": False,
        **({"points": 1} if role == "test" else {}),
    }
    return cell


def student_notebook(assignment, drop=(), edit=None):
    """A student's finished notebook: the released cells (no hidden tests) with answers filled in."""
    cells = []
    for cell_type, grade_id, source, role in SPECS[assignment]:
        if grade_id in drop:
            continue
        source = ANSWERS.get(grade_id) or RELEASED_TESTS.get(grade_id) or source
        cells.append(make_cell(cell_type, grade_id, (edit or {}).get(grade_id, source), role))
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells)).encode()


def tiny_course(tmp_path):
    """A course root with source/<a>/<a>.ipynb for both assignments; returns (root, assignments)."""
    root = tmp_path / "course"
    for name, spec in SPECS.items():
        folder = root / "source" / name
        folder.mkdir(parents=True)
        nbformat.write(nbformat.v4.new_notebook(cells=[make_cell(*c) for c in spec]), folder / f"{name}.ipynb")
    return root, load_assignments(root)


def put(folder, files):
    """Write {relative name: bytes | str} under folder."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())


def one(results, student, assignment=None):
    """The single Submission for a student (and assignment)."""
    found = [s for s in results if s.student == student and (assignment is None or s.assignment == assignment)]
    assert len(found) == 1, found
    return found[0]


def collect_one(course, files, student="alice", assignment="02_forward"):
    """Collect a submitted/ tree holding one student's one assignment folder."""
    root, assignments = course
    put(root / "submitted" / student / assignment, files)
    return one(collect_directory(root / "submitted", assignments), student)


def make_zip(path, members, symlinks=()):
    """A zip of {name: bytes | str}; names in symlinks are stored as Unix symlinks."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            if name in symlinks:
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return path


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def tree(folder):
    """Every file under folder with its bytes, to compare runs."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
