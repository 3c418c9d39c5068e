"""Runs inside the sandbox: define a student's functions, call them on the grader's inputs, and
write back only plain arrays. Self-contained (NumPy, the standard library and the students' own
`course.backend`): the sandbox cannot import the rest of `autograder`.

    python runner.py <definitions.json> <cases.json> <inputs.npz> <results.npz>

definitions.json is a list of cell sources, run in order like a notebook: a cell that raises is
reported but does not stop the cells after it.

Values crossing the boundary are encoded as JSON with arrays stored in .npz files (never pickle):
{"$array": key}, {"$dict": {...}}, {"$list": [...]}, {"$tuple": [...]}, {"$rng": seed},
{"$callable": name}, {"$float": x}, or a plain JSON number, string, bool or null.
"""

import importlib.abc
import importlib.util
import json
import math
import sys
import traceback

import numpy as np

from course.backend import to_host

# Functions the grader passes to exercises that take a function (numerical_gradient, gradient_check...).
# The grader imports this same table, so both sides evaluate exactly the same thing.
CALLABLES = {
    "sum_of_cubes": lambda x: float(np.sum(np.asarray(x) ** 3)),
    "weighted_squares": lambda x: float(np.sum(np.arange(1, np.asarray(x).size + 1).reshape(np.shape(x)) * np.asarray(x) ** 2)),
    "sin_cos_map": lambda v: np.array([math.sin(v[0]) * v[-1], math.cos(v[0] * v[-1]), float(np.sum(np.asarray(v) ** 2))]),
    "params_quadratic": lambda p: float(sum(np.sum((i + 1) * np.asarray(p[k]) ** 2) for i, k in enumerate(sorted(p)))),
}


def encode(value, arrays, path):
    if isinstance(value, np.random.Generator):
        return {"$rng": None}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return {"$float": float(value)}  # keeps nan/inf representable
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, dict):
        return {"$dict": {str(k): encode(v, arrays, f"{path}.{k}") for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        kind = "$tuple" if isinstance(value, tuple) else "$list"
        return {kind: [encode(v, arrays, f"{path}.{i}") for i, v in enumerate(value)]}
    if hasattr(value, "shape"):  # an array: CuPy's comes to the host (of other objects no `get` is called)
        value = to_host(value)
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"cannot return a value of type {type(value).__name__}")
    arrays[path] = array
    return {"$array": path}


MAX_DEPTH = 32  # nesting of dicts, lists and tuples in one value
PLAIN = (int, float, str, bool, type(None))


def decode(value, arrays, depth=0):
    """The value `encode` wrote. Anything else (unknown or extra keys, wrong types, missing arrays,
    nesting deeper than MAX_DEPTH) raises ValueError: on the grader's side the encoded values come
    from a process that ran student code, so nothing is assumed of them."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, PLAIN):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"not an encoded value: {type(value).__name__}")
    (kind, inner), = value.items()
    if kind == "$array" and isinstance(inner, str) and inner in arrays:
        return np.array(arrays[inner])  # a fresh, writable copy
    if kind == "$dict" and isinstance(inner, dict):
        return {k: decode(v, arrays, depth + 1) for k, v in inner.items()}
    if kind in ("$list", "$tuple") and isinstance(inner, list):
        items = [decode(v, arrays, depth + 1) for v in inner]
        return items if kind == "$list" else tuple(items)
    if kind == "$rng" and (inner is None or (isinstance(inner, int) and not isinstance(inner, bool))):
        return np.random.default_rng(inner)
    if kind == "$callable" and isinstance(inner, str) and inner in CALLABLES:
        return CALLABLES[inner]
    if kind == "$float" and isinstance(inner, (int, float)) and not isinstance(inner, bool):
        return float(inner)
    raise ValueError(f"malformed {kind[:20]!r} entry")


class _AnyObject:
    """Stands in for IPython's get_ipython() outside a kernel: every attribute and call is a no-op."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


class LazyPlotting(importlib.abc.MetaPathFinder):
    """Loads matplotlib.pyplot (0.3 s of CPU) only when something of it is used. Every notebook
    imports it at the top for its figures, which grading leaves out: exercise functions and graded
    cells compute, and seldom draw. Also installed in the grader's warm kernels (autograder.grading.execute)."""

    LAZY = {"matplotlib.pyplot"}

    def find_spec(self, name, path=None, target=None):
        if name not in self.LAZY:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def main(definitions_path, cases_path, inputs_path, results_path):
    sys.meta_path.insert(0, LazyPlotting())
    namespace = {"__name__": "__student__", "get_ipython": _AnyObject()}
    with open(definitions_path) as f:
        cells = json.load(f)
    with np.load(inputs_path, allow_pickle=False) as inputs:
        arrays = {key: inputs[key] for key in inputs.files}
    cases = json.loads(open(cases_path).read())
    outcomes, out_arrays = [], {}
    cell_errors = []
    for number, cell in enumerate(cells, start=1):
        try:
            exec(compile(cell, f"<cell {number}>", "exec"), namespace)
        except BaseException as error:  # noqa: BLE001 - whatever the student's code raises is data here
            cell_errors.append(f"cell {number}: {type(error).__name__}: {str(error)[:200]}")
    for index, case in enumerate(cases):
        function = namespace.get(case["function"])
        if not callable(function):
            why = f" ({'; '.join(cell_errors)})" if cell_errors else ""
            outcomes.append({"error": f"{case['function']} is not defined{why}"})
            continue
        try:
            args = [decode(a, arrays) for a in case["args"]]
            kwargs = {k: decode(v, arrays) for k, v in case["kwargs"].items()}
            result = function(*args, **kwargs)
            outcomes.append({"result": encode(result, out_arrays, f"r{index}")})
        except BaseException as error:  # noqa: BLE001 - whatever the student raised goes back as their result
            last = traceback.extract_tb(error.__traceback__)[-1:]
            where = f" (line {last[0].lineno})" if last else ""
            outcomes.append({"error": f"{type(error).__name__}: {str(error)[:300]}{where}"})
    np.savez(results_path, __outcomes__=np.frombuffer(json.dumps(outcomes).encode(), dtype=np.uint8), **out_arrays)


if __name__ == "__main__":
    main(*sys.argv[1:5])
