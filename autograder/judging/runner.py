"""Runs inside the sandbox: define a student's functions, call them on the grader's inputs, and
write back only plain arrays. Self-contained (NumPy, the standard library and the students' own
`course.backend`): the sandbox cannot import the rest of `autograder`.

    python runner.py <definitions.json> <cases.json> <inputs.npz> <results.npz>

definitions.json is a list of cell sources, run in order like a notebook: a cell that raises is
reported but does not stop the cells after it.

Values crossing the boundary are encoded as JSON with arrays stored in .npz files (never pickle):
{"$array": key}, {"$dict": {...}}, {"$list": [...]}, {"$tuple": [...]}, {"$rng": seed},
{"$watched_rng": seed}, {"$callable": name}, {"$float": x}, or a plain JSON number, string, bool or null.
A call that refutes itself (it changed one of its inputs in place, or drew nothing from a watched
generator: `call_watching_inputs`) comes back as {"refuted": "changed its input `params['W1']` in place
(...)"} instead of its result.
"""

import importlib.abc
import importlib.util
import inspect
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
    # Coupled: every partial derivative depends on every entry, so an entry left nudged shows in the
    # next ones (the separable functions above cannot see it).
    "coupled_cubic": lambda x: float(np.sum(np.asarray(x)) ** 2 + np.sum(np.asarray(x) ** 3)),
    "coupled_map": lambda v: np.array([float(np.sum(v)) ** 2, math.sin(float(np.dot(np.arange(1, len(v) + 1), v))),
                                       float(np.prod(np.cos(np.asarray(v, dtype=float))))]),
    # Not a polynomial of degree 2: its central difference depends on the step (exp(x) sinh(eps) / eps),
    # so a check that ignores its `eps` gives another relative error.
    "params_exponential": lambda p: float(sum(np.sum((i + 1) * np.exp(np.asarray(p[k]))) for i, k in enumerate(sorted(p)))),
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


# ---------------------------------------------------------------- watching the call itself
# The course's contract: functions return new arrays and leave their inputs as they were. A slip such
# as `running_mean *= momentum` may still return the right value, so the call is watched: the array
# data, keys, lengths and plain entries (numbers, strings: `val_losses.sort()`) inside each argument
# before it, compared exactly with what is there after (an entry replaced by an equal one is no change).
# Generators and functions are not compared (drawing from a generator changes it, as it should), except
# that a `WatchedGenerator` must be drawn from: a shuffle that ignores the generator it is given (a fixed
# seed of its own) returns a valid order that no single result can tell apart from a right one.

INPUTS_KEPT = "it must return new arrays and leave its inputs as they were"


class WatchedGenerator(np.random.Generator):
    """np.random.default_rng(seed), for an argument the function must draw from."""

    def __init__(self, seed):
        super().__init__(np.random.PCG64(seed))


def snapshot(value):
    """A private copy of what `value` holds that a call could change in place: arrays, dicts and lists
    (tuples are looked into), and the state of a WatchedGenerator; None for anything else."""
    if isinstance(value, WatchedGenerator):
        return ("generator", value.bit_generator.state, value)
    if isinstance(value, dict):
        return ("dict", {key: snapshot(item) for key, item in value.items()}, value)
    if isinstance(value, list):
        return ("list", [snapshot(item) for item in value], value)
    if isinstance(value, tuple):
        return ("tuple", [snapshot(item) for item in value], value)
    if isinstance(value, np.ndarray):
        return ("array", value.copy(), value)
    if isinstance(value, SCALARS):  # only an entry of a list or dict can change: `val_losses.sort()`
        return ("scalar", value, value)
    return None


CONTAINERS = {"dict": dict, "list": list, "tuple": tuple}
SCALARS = (int, float, complex, str, bytes, bool, type(None), np.generic)


def _same_scalar(now, saved):
    """An entry now equal to the one it held (0.5 for np.float64(0.5), NaN for NaN) changed nothing."""
    if not isinstance(now, SCALARS):
        return False
    try:
        return bool(now == saved) or bool(now != now and saved != saved)
    except (TypeError, ValueError):
        return False


def _shown(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, SCALARS):
        return repr(value)[:40]
    return "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"


def _same_array(now, saved):
    return (isinstance(now, np.ndarray) and now.shape == saved.shape and now.dtype == saved.dtype
            and np.array_equal(now, saved, equal_nan=saved.dtype.kind in "fc"))


def first_change(value, saved, label, container=None):
    """How `value` differs from its `snapshot` (a phrase naming `label`), or None. `container` labels the
    input that holds `value` as an entry, if any."""
    if saved is None:
        return None
    kind, held, original = saved
    if kind == "generator":
        if value.bit_generator.state == held:
            return f"drew no random numbers from its generator `{label}` (it must draw every random number from it)"
        return None
    if kind == "scalar":
        if container is None or _same_scalar(value, held):  # an argument itself cannot change: only rebound
            return None
        return f"changed its input `{container}` in place: `{label}` was {_shown(held)}, is now {_shown(value)} ({INPUTS_KEPT})"
    if kind == "array":
        changed = not _same_array(value, held)
    else:
        changed = not isinstance(value, CONTAINERS[kind])
    if changed:
        if container is not None and value is not original:
            return f"replaced the entry `{label}` of its input `{container}` ({INPUTS_KEPT})"
        return f"changed its input `{label}` in place ({INPUTS_KEPT})"
    if kind == "array":
        return None
    if kind == "dict":
        added = [key for key in value if key not in held]
        removed = [key for key in held if key not in value]
        if added:
            return f"added the key {added[0]!r} to its input `{label}` ({INPUTS_KEPT})"
        if removed:
            return f"removed the key {removed[0]!r} from its input `{label}` ({INPUTS_KEPT})"
        children = [(f"{label}[{key!r}]", value[key], held[key]) for key in held]
    else:
        if len(value) != len(held):
            return f"changed the length of its input `{label}`, a {kind} of {len(held)} ({INPUTS_KEPT})"
        children = [(f"{label}[{i}]", item, held_item) for i, (item, held_item) in enumerate(zip(value, held))]
    for child_label, item, held_item in children:
        change = first_change(item, held_item, child_label, container or label)
        if change:
            return change
    return None


def labelled_arguments(function, args, kwargs):
    """[(the name the function gives an argument (`params`, `grads`), its value)], in the order of the call."""
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):  # no signature, or a call that will fail anyway
        return [(f"argument {i + 1}", value) for i, value in enumerate(args)] + list(kwargs.items())
    labelled = []
    for name, value in bound.arguments.items():
        kind = bound.signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            labelled += [(f"{name}[{i}]", item) for i, item in enumerate(value)]
        elif kind is inspect.Parameter.VAR_KEYWORD:
            labelled += list(value.items())
        else:
            labelled.append((name, value))
    return labelled


def call_watching_inputs(function, args, kwargs):
    """(function(*args, **kwargs), why the call itself refutes it, or None): it changed one of its inputs
    in place, or drew nothing from a WatchedGenerator it was given."""
    watched = [(label, value, snapshot(value)) for label, value in labelled_arguments(function, args, kwargs)]
    result = function(*args, **kwargs)
    for label, value, saved in watched:
        change = first_change(value, saved, label)
        if change:
            return result, change
    return result, None


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
    if kind == "$watched_rng" and isinstance(inner, int) and not isinstance(inner, bool):
        return WatchedGenerator(inner)
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
            result, refuted = call_watching_inputs(function, args, kwargs)
            if refuted:  # whatever it returned: the verdict says what the call did
                outcomes.append({"refuted": refuted})
                continue
            outcomes.append({"result": encode(result, out_arrays, f"r{index}")})
        except BaseException as error:  # noqa: BLE001 - whatever the student raised goes back as their result
            last = traceback.extract_tb(error.__traceback__)[-1:]
            where = f" (line {last[0].lineno})" if last else ""
            outcomes.append({"error": f"{type(error).__name__}: {str(error)[:300]}{where}"})
    np.savez(results_path, __outcomes__=np.frombuffer(json.dumps(outcomes).encode(), dtype=np.uint8), **out_arrays)


if __name__ == "__main__":
    main(*sys.argv[1:5])
