"""Integrity check: re-run each graded function out of the student's kernel and compare.

nbgrader's test cells run inside the student's own kernel, where a submission can monkeypatch
numpy or builtins and make any assertion pass. Here the grader draws fresh inputs, runs the
student's definitions in a sandboxed child that returns only raw arrays (`autograder.judging.runner`), and
compares them with `autograder.reference` in the grader's own process. A function whose points
nbgrader awarded but whose outputs disagree with the reference is refuted, and so is one that changed
one of its inputs in place, whatever it returned (the child reports which, `runner.call_watching_inputs`).
"""

import ast
import functools
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading

import numpy as np

from autograder.isolation import budget, sandbox
from autograder.judging import Callable, Rng, mistakes, runner
from autograder.judging.specs import MISTAKES, SPECS

RUNNER = pathlib.Path(runner.__file__)


def _without_magics(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _calls_now(node):
    """Whether evaluating `node` calls anything: a call inside a lambda's body waits for the lambda."""
    if isinstance(node, ast.Call):
        return True
    return any(_calls_now(child) for child in ast.iter_child_nodes(node) if not isinstance(node, ast.Lambda))


# CPython 3.11 keeps the AST converter's recursion depth per interpreter, not per thread: two threads
# of the grader parsing at once fail with "SystemError: AST constructor recursion depth mismatch". It
# failed a student's grading in CI twice: two slots reading given cells, then a slot reading them
# while another thread formatted a traceback (3.11's traceback parses each line it underlines). So
# every ast.parse of this process, the standard library's included, goes one at a time (re-entrant:
# a finalizer run mid-parse may format a traceback in the same thread).
_AST_LOCK = threading.RLock()


def _one_parse_at_a_time(parse):
    if getattr(parse, "one_at_a_time", False):
        return parse

    def parse_locked(*args, **kwargs):
        with _AST_LOCK:
            return parse(*args, **kwargs)

    parse_locked.one_at_a_time = True
    return functools.wraps(parse)(parse_locked)


ast.parse = _one_parse_at_a_time(ast.parse)


@functools.lru_cache(maxsize=4096)
def _definitions_only(source):
    """The imports, definitions and call-free assignments (lookup tables such as ACTIVATIONS) of a
    given (locked) cell, without its demos and plots. Assignments are guarded: one that refers to
    something a demo computed must not stop the definitions after it. Given cells are the same for
    every student of an assignment: each is read once."""
    with _AST_LOCK:
        return _kept_definitions(source)


def _kept_definitions(source):
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError:
        return ""
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            keep.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not _calls_now(node):
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
        return {"$watched_rng" if value.must_draw else "$rng": value.seed}
    if isinstance(value, Callable):
        return {"$callable": value.name}
    return runner.encode(value, arrays, path)


def materialise(value):
    """The grader-side value of a case argument (what the reference is called with)."""
    if isinstance(value, (Rng, Callable)):
        return value.make()
    if isinstance(value, dict):
        return {k: materialise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # fresh containers too: a call may change the ones it is given
        return type(value)(materialise(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


RESULTS_MAX_BYTES = 64 * 1024**2  # the results file, and all its arrays once decompressed
NUMERIC_KINDS = "biufc"  # bool, integers, floats, complex: the only arrays a result may hold


def read_results(path, count):
    """[("result", value) | ("error", reason) | ("refuted", reason)] for `count` cases from the runner's
    results file ("refuted": what the call itself did refutes it, e.g. it changed one of its inputs in
    place; see `runner.call_watching_inputs`).

    The file was written by a process that ran student code, so it may be anything: too large, a
    zip bomb, arrays of odd dtypes, JSON that is not what the runner writes. Every such file or
    entry becomes an error for its case(s), never an exception here.
    """
    import zipfile

    def everywhere(reason):
        return [("error", reason)] * count

    path = pathlib.Path(path)
    if not path.is_file():
        return everywhere("the student's process ended before returning results")
    if path.stat().st_size > RESULTS_MAX_BYTES:
        return everywhere(f"results larger than {RESULTS_MAX_BYTES // 2**20} MiB")
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(member.file_size for member in archive.infolist()) > RESULTS_MAX_BYTES:
                return everywhere(f"results larger than {RESULTS_MAX_BYTES // 2**20} MiB")
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        outcomes = json.loads(arrays.pop("__outcomes__").tobytes().decode())
    except Exception as error:  # noqa: BLE001 - whatever student code left there
        return everywhere(f"unreadable results ({type(error).__name__})")
    if not isinstance(outcomes, list) or len(outcomes) != count:
        return everywhere("wrong number of results")
    numeric = {key: array for key, array in arrays.items() if array.dtype.kind in NUMERIC_KINDS}
    decoded = []
    for outcome in outcomes:
        try:
            if not isinstance(outcome, dict) or len(outcome) != 1:
                raise ValueError("not an outcome")
            if isinstance(outcome.get("error"), str):
                decoded.append(("error", outcome["error"][:500]))
                continue
            if isinstance(outcome.get("refuted"), str):
                decoded.append(("refuted", outcome["refuted"][:300]))
                continue
            value = runner.decode(outcome["result"], numeric)
            decoded.append(("result", value))
        except (KeyError, ValueError, TypeError, RecursionError) as error:
            decoded.append(("error", f"unreadable result ({type(error).__name__}: {str(error)[:80]})"))
    return decoded


def run_student(notebook, cases, *, slot=0, limits=sandbox.Limits(), timeout=120, unsafe=False, cgroups=(),
                scratch=None):
    """[("result", value) | ("error", message) | ("refuted", reason)] for each (function, args, kwargs) case.

    scratch: where the exchange folder is made (a fresh one per call, removed whatever is left in it).
    """
    encoded, arrays = _encode_cases(cases)
    with tempfile.TemporaryDirectory(prefix="verify-", dir=scratch, ignore_cleanup_errors=True) as tmp:
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
                                        workdir=str(inbox), cgroups=cgroups)
        try:
            # Its output is never read: held in memory, a flood of prints would be the grader's problem.
            subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            return [("error", f"timed out after {timeout} s")] * len(cases)
        finally:
            budget.kill(cgroups)
        return read_results(outbox / "results.npz", len(cases))


def verify(notebook, exercises, *, seed, slot=0, limits=sandbox.Limits(), unsafe=False, cgroups=(), scratch=None):
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
    outcomes = (run_student(notebook, cases, slot=slot, limits=limits, unsafe=unsafe, cgroups=cgroups, scratch=scratch)
                if cases else [])
    verdicts = {exercise: None for exercise in exercises if exercise in SPECS}
    for (exercise, args, kwargs), (kind, value) in zip(cases, outcomes):
        if verdicts[exercise] is not None:
            continue
        if kind == "refuted":
            verdicts[exercise] = value
            continue
        expected_args = [materialise(a) for a in args]
        expected_kwargs = {k: materialise(v) for k, v in kwargs.items()}
        if kind == "error":
            verdicts[exercise] = SPECS[exercise].compare_error(value, expected_args, expected_kwargs)
            continue
        try:
            verdicts[exercise] = SPECS[exercise].compare(value, expected_args, expected_kwargs)
        except Exception as error:  # noqa: BLE001 - a returned value of a shape no comparison expects
            verdicts[exercise] = f"returned a value that cannot be compared ({type(error).__name__})"
    return verdicts


def diagnose(notebook, exercises, *, seed, slot=0, limits=sandbox.Limits(), unsafe=False, cgroups=(), scratch=None,
             timeout=60):
    """{exercise: mistakes.Diagnosis} for `exercises` (those that lost points), from what the student's
    functions return on inputs drawn from `seed` (one seed for the whole class, so that two students'
    outputs can be compared), run in the sandbox like `verify`'s but in a process of their own: a
    function that hangs here costs no verified exercise its points."""
    rng = np.random.default_rng(seed)
    cases = [(exercise, args, kwargs) for exercise in exercises if exercise in SPECS
             for args, kwargs in SPECS[exercise].cases(rng)]
    outcomes = (run_student(notebook, cases, slot=slot, limits=limits, timeout=timeout, unsafe=unsafe,
                            cgroups=cgroups, scratch=scratch) if cases else [])
    runs = {}
    for (exercise, args, kwargs), (kind, value) in zip(cases, outcomes):
        make_inputs = functools.partial(_materialised, args, kwargs)
        runs.setdefault(exercise, []).append((make_inputs, kind, value))
    return {exercise: mistakes.diagnose(SPECS[exercise], MISTAKES[exercise], found) for exercise, found in runs.items()}


def _materialised(args, kwargs):
    return [materialise(a) for a in args], {k: materialise(v) for k, v in kwargs.items()}
