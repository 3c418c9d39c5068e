"""Integrity check: re-run each graded function out of the student's kernel and compare.

nbgrader's test cells run inside the student's own kernel, where a submission can monkeypatch
numpy or builtins and make any assertion pass. Here the grader draws fresh inputs, runs the
student's definitions in a sandboxed child that returns only raw arrays (`verify_runner`), and
compares them with `autograder.reference` in the grader's own process. A function whose points
nbgrader awarded but whose outputs disagree with the reference is refuted.
"""

import ast
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from . import sandbox, verify_runner
from .verify_specs import SPECS

RUNNER = pathlib.Path(verify_runner.__file__)


def _without_magics(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _definitions_only(source):
    """The imports, definitions and call-free assignments (lookup tables such as ACTIVATIONS) of a
    given (locked) cell, without its demos and plots. Assignments are guarded: one that refers to
    something a demo computed must not stop the definitions after it."""
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError:
        return ""
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            keep.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not any(
                isinstance(inner, ast.Call) for inner in ast.walk(node)):
            keep.append(ast.Try(body=[node], handlers=[ast.ExceptHandler(
                type=ast.Name("Exception", ast.Load()), name=None, body=[ast.Pass()])], orelse=[], finalbody=[]))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=keep, type_ignores=[])))


def definition_cells(notebook):
    """The notebook's given definitions and every answer cell, in notebook order, one per cell."""
    parts = []
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or meta.get("grade"):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        parts.append(_without_magics(source) if meta.get("solution") else _definitions_only(source))
    return parts


def _encode_cases(cases):
    arrays, encoded = {}, []
    for index, (function, args, kwargs) in enumerate(cases):
        encoded.append({
            "function": function,
            "args": [_encode_input(a, arrays, f"c{index}.a{i}") for i, a in enumerate(args)],
            "kwargs": {k: _encode_input(v, arrays, f"c{index}.k{k}") for k, v in kwargs.items()},
        })
    return encoded, arrays


def _encode_input(value, arrays, path):
    if isinstance(value, Rng):
        return {"$rng": value.seed}
    if isinstance(value, Callable):
        return {"$callable": value.name}
    return verify_runner.encode(value, arrays, path)


class Rng:
    """A fresh numpy Generator seeded with `seed` on each side."""

    def __init__(self, seed):
        self.seed = seed

    def make(self):
        return np.random.default_rng(self.seed)


class Callable:
    """One of verify_runner.CALLABLES, by name."""

    def __init__(self, name):
        self.name = name

    def make(self):
        return verify_runner.CALLABLES[self.name]


def materialise(value):
    """The grader-side value of a case argument (what the reference is called with)."""
    if isinstance(value, (Rng, Callable)):
        return value.make()
    if isinstance(value, dict):
        return {k: materialise(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def run_student(notebook, cases, *, slot=0, limits=sandbox.Limits(), timeout=120, unsafe=False):
    """[("result", value) | ("error", message)] for each (function, args, kwargs) case."""
    encoded, arrays = _encode_cases(cases)
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        tmp = pathlib.Path(tmp)
        inbox, outbox = tmp / "in", tmp / "out"
        inbox.mkdir()
        outbox.mkdir(mode=0o777)
        outbox.chmod(0o1777)
        (inbox / "definitions.json").write_text(json.dumps(definition_cells(notebook)))
        (inbox / "cases.json").write_text(json.dumps(encoded))
        np.savez(inbox / "inputs.npz", **arrays)
        shutil.copy(RUNNER, inbox / "runner.py")
        for path in inbox.iterdir():
            path.chmod(0o644)
        inbox.chmod(0o755)
        tmp.chmod(0o755)
        command = [sys.executable, str(inbox / "runner.py"), str(inbox / "definitions.json"), str(inbox / "cases.json"),
                   str(inbox / "inputs.npz"), str(outbox / "results.npz")]
        if not unsafe:
            command = sandbox.sandboxed(command, limits=limits, slot=slot, readable=[inbox], writable=[outbox],
                                        workdir=str(inbox))
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            return [("error", f"timed out after {timeout} s")] * len(cases)
        results = outbox / "results.npz"
        if not results.exists():
            return [("error", "the student's process ended before returning results")] * len(cases)
        try:
            with np.load(results, allow_pickle=False) as data:
                out_arrays = {key: data[key] for key in data.files}
            outcomes = json.loads(out_arrays.pop("__outcomes__").tobytes().decode())
        except Exception as error:  # noqa: BLE001 - a malformed file written by student code
            return [("error", f"unreadable results ({type(error).__name__})")] * len(cases)
    if len(outcomes) != len(cases):
        return [("error", "wrong number of results")] * len(cases)
    return [("error", o["error"]) if "error" in o else ("result", verify_runner.decode(o["result"], out_arrays))
            for o in outcomes]


def verify(notebook, exercises, *, seed, slot=0, limits=sandbox.Limits(), unsafe=False):
    """{exercise: None if its outputs match the reference, else the reason} for `exercises`."""
    rng = np.random.default_rng(seed)
    cases, owners = [], []
    for exercise in exercises:
        spec = SPECS.get(exercise)
        if spec is None:
            continue
        for args, kwargs in spec.cases(rng):
            cases.append((exercise, args, kwargs))
            owners.append(exercise)
    outcomes = run_student(notebook, cases, slot=slot, limits=limits, unsafe=unsafe) if cases else []
    verdicts = {exercise: None for exercise in exercises if exercise in SPECS}
    for (exercise, args, kwargs), (kind, value) in zip(cases, outcomes):
        if verdicts[exercise] is not None:
            continue
        if kind == "error":
            verdicts[exercise] = value
            continue
        expected_args = [materialise(a) for a in args]
        expected_kwargs = {k: materialise(v) for k, v in kwargs.items()}
        verdicts[exercise] = SPECS[exercise].compare(value, expected_args, expected_kwargs)
    return verdicts
