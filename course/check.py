"""Self-checks for the visible test cells: assertions whose messages say what went wrong.

A bare ``assert np.allclose(dW1, expected)`` tells a student only that something is off.
These checks look for the usual mistakes first and name them::

    check_array(dW1, expected_dW1, name="dW1", m=X.shape[1])
    # AssertionError: dW1: missing the 1/m factor (you summed instead of averaging)

Every failure is an ``AssertionError`` whose message starts with ``name``. Arrays may be
NumPy arrays or anything with ``.shape`` that converts to one (CuPy arrays are copied to
the host with ``.get()``; CuPy itself is never imported). The checks never emit warnings.
"""

import inspect
import numbers
import re
from collections.abc import Mapping

import numpy as np

from course.backend import to_host

__all__ = [
    "check_array",
    "check_dict",
    "check_not_mutated",
    "check_scalar",
    "check_shape",
    "passed",
]


# --------------------------------------------------------------------------- conversion


def _fail(name, problem):
    # ``raise`` rather than ``assert``: asserts vanish under ``python -O``.
    raise AssertionError(f"{name}: {problem}")


def _host_array(x):
    """Host NumPy array for an array-like (NumPy, CuPy, ...), or None if it cannot be had."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get"):  # CuPy: device -> host copy; its __array__ refuses.
        try:
            return np.asarray(to_host(x))
        except (TypeError, ValueError):
            pass  # not CuPy after all (a DataFrame's .get needs a key, say)
    try:
        return np.asarray(x)
    except (TypeError, ValueError):
        return None


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _describe(x):
    """Short, student-readable name of an object's type."""
    if isinstance(x, bool):
        return "a bool"
    if isinstance(x, numbers.Number):
        return f"a Python {type(x).__name__} ({x!r})"
    return f"a {type(x).__name__}"


def _to_array(actual, name, expected_shape):
    """Return ``actual`` as a numeric NumPy array, or fail saying what it was instead."""
    want = _fmt_shape(expected_shape)
    if actual is None:
        _fail(name, f"got None, expected an array of shape {want}: did you forget to `return` it?")
    if hasattr(actual, "shape"):
        arr = _host_array(actual)
        if arr is None:
            _fail(name, f"got {_describe(actual)} that NumPy cannot read, expected an array of shape {want}")
    elif _is_number(actual) and expected_shape == ():
        arr = np.asarray(actual)  # a plain number is fine where a 0-d array is expected
    elif _is_number(actual):
        _fail(name, f"got {_describe(actual)}, expected an array of shape {want}: "
                    "did you reduce over every axis (np.sum/np.mean without axis=...)?")
    elif isinstance(actual, (list, tuple)):
        _fail(name, f"got {_describe(actual)}, expected a NumPy array of shape {want}: "
                    "compute with NumPy operations (or wrap the result in np.array(...))")
    else:
        _fail(name, f"got {_describe(actual)}, expected a NumPy array of shape {want}")
    if arr.dtype.kind not in "biuf":
        _fail(name, f"has dtype {arr.dtype}, expected an array of real numbers")
    return arr


def _fmt_shape(shape):
    return str(tuple(int(n) for n in shape))


# --------------------------------------------------------------------------- diagnoses


def _shape_problem(got, want):
    """Why shape ``got`` is not ``want``, naming the likely mistake; None if they agree."""
    got, want = tuple(got), tuple(want)
    if got == want:
        return None
    g, w = _fmt_shape(got), _fmt_shape(want)
    if got == ():
        return (f"got a single number, expected shape {w}: did you reduce over every axis? "
                "pass axis=..., keepdims=True")
    if len(got) == 2 and got == want[::-1]:
        extra = " (or sum over the wrong axis?)" if 1 in want else ""
        return f"shape {g} looks transposed (expected {w}): did you swap W and W.T / A.T?{extra}"
    if len(got) == 1 and len(want) == 2 and 1 in want and got[0] == want[0] * want[1]:
        which = "column" if want[1] == 1 else "row"
        return (f"shape {g} lost an axis, expected {w}: keep the {which}: "
                f"use keepdims=True or reshape{w}")
    if len(got) == 2 and len(want) == 1 and 1 in got and got[0] * got[1] == want[0]:
        return f"shape {g} has an extra axis, expected {w}: drop keepdims=True or use .ravel()"
    if len(want) == 2 and 1 in want and got == (max(want),) * 2:
        n = max(want)
        return (f"shape {g} where {w} was expected: a broadcasting accident? adding a ({n},) "
                f"vector to a ({n}, 1) column gives ({n}, {n}); keep vectors 2-D with keepdims=True")
    if len(want) == 2 and want[1] == 1 and len(got) == 2 and got[0] == want[0]:
        return (f"shape {g}, expected {w}: did you forget to sum over the examples? "
                "use np.sum(..., axis=1, keepdims=True)")
    return f"expected shape {w}, got {g}"


def _tolerances(rtol, atol, *arrays):
    """Loosen rtol/atol to the resolution of float32/float16 inputs, which cannot do better."""
    for arr in arrays:
        if arr.dtype.kind == "f" and arr.dtype.itemsize < 8:
            resolution = float(np.finfo(arr.dtype).resolution)  # 1e-6 for float32
            rtol, atol = max(rtol, 10 * resolution), max(atol, resolution)
    return rtol, atol


def _close(a, b, rtol, atol):
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _nonfinite_problem(a, e):
    """NaN/inf in the answer where the expected values are all finite (usually exp overflow)."""
    bad = np.count_nonzero(~np.isfinite(a))
    if bad and np.all(np.isfinite(e)):
        return (f"produced NaN/inf: overflow in exp? use the stable form (subtract the max "
                f"before exp, clip before log); {bad} of {a.size} values are not finite")
    return None


def _matches(a, s, rtol, atol):
    """True if ``a`` matches the candidate ``s`` and ``s`` could not pass for all zeros.

    The second condition keeps a mistake from being "explained" by a scaled copy of
    tiny expected values (a student's all-zeros answer is not "divided by m twice").
    """
    return not _close(np.zeros_like(s), s, rtol, atol) and _close(a, s, rtol, atol)


def _value_problem(a, e, rtol, atol, m):
    """Why same-shaped ``a`` differs from ``e``, naming the likely mistake; None if close."""
    rtol, atol = _tolerances(rtol, atol, a, e)
    a, e = a.astype(np.float64), e.astype(np.float64)
    if _close(a, e, rtol, atol):
        return None
    if _matches(a, -e, rtol, atol):
        return "sign flipped: every value has the wrong sign (check the order of a subtraction, e.g. AL - Y vs Y - AL)"
    if m is not None and m not in (0, 1):
        with np.errstate(all="ignore"):
            if _matches(a, e * m, rtol, atol):
                return "missing the 1/m factor (you summed instead of averaging)"
            if _matches(a, e / m, rtol, atol):
                return "divided by m twice / where it should not (delta has no 1/m; dW and db have one)"
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a.T, e, rtol, atol):
        return "looks transposed: did you swap W and W.T / A.T?"
    return _worst_element(a, e, rtol, atol)


def _worst_element(a, e, rtol, atol):
    """Report the largest absolute error, where it is, and how many values are off."""
    with np.errstate(all="ignore"):
        off = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
        err = np.where(off, np.nan_to_num(np.abs(a - e), nan=np.inf), 0.0)
    if a.ndim == 0:
        return f"expected {float(e):.6g}, got {float(a):.6g} (abs error {float(err):.3g})"
    idx = np.unravel_index(int(np.argmax(err)), a.shape)
    at = tuple(int(i) for i in idx)
    at = at[0] if len(at) == 1 else at
    return (f"values differ: max abs error {float(err[idx]):.3g} at index {at} "
            f"(got {float(a[idx]):.6g}, expected {float(e[idx]):.6g}); "
            f"{int(np.count_nonzero(off))} of {a.size} values outside tolerance")


# --------------------------------------------------------------------------- public checks


def check_shape(actual, expected_shape, name="result"):
    """Assert that ``actual`` is an array of shape ``expected_shape`` (values not checked)."""
    expected_shape = tuple(expected_shape)
    arr = _to_array(actual, name, expected_shape)
    problem = _shape_problem(arr.shape, expected_shape)
    if problem:
        _fail(name, problem)


def check_array(actual, expected, name="result", rtol=1e-6, atol=1e-8, m=None):
    """Assert that array ``actual`` matches ``expected``: type, then NaN/inf, shape, values.

    Pass ``m`` (the batch size) to have a result that is off by a factor m diagnosed as a
    missing or doubled 1/m. Float32 inputs are compared at float32 precision.
    """
    e = _host_array(expected)
    a = _to_array(actual, name, e.shape)
    for problem in (_nonfinite_problem(a, e), _shape_problem(a.shape, e.shape)):
        if problem:
            _fail(name, problem)
    problem = _value_problem(a, e, rtol, atol, m)
    if problem:
        _fail(name, problem)


def _to_scalar(actual, name):
    """Return ``actual`` as a float if it is one number; otherwise fail saying why not."""
    if actual is None:
        _fail(name, "got None, expected a number: did you forget to `return` it?")
    if hasattr(actual, "shape"):
        arr = _host_array(actual)
        if arr is None or arr.dtype.kind not in "biuf":
            _fail(name, f"got {_describe(actual)}, expected a number: return a Python float, e.g. float(cost)")
        if arr.size != 1:
            _fail(name, f"got an array of shape {_fmt_shape(arr.shape)} ({arr.size} values), expected one "
                        "number: return a Python float, e.g. float(cost); "
                        "did you forget to sum/average over the examples?")
        return arr.reshape(())
    if _is_number(actual):
        return np.asarray(float(actual))
    _fail(name, f"got {_describe(actual)}, expected a number: return a Python float, e.g. float(cost)")


def check_scalar(actual, expected, name="result", rtol=1e-6, atol=1e-8, m=None):
    """Assert that ``actual`` is one number (Python float or size-1 array) close to ``expected``."""
    a = _to_scalar(actual, name)
    e = _host_array(expected).reshape(())
    for problem in (_nonfinite_problem(a, e), _value_problem(a, e, rtol, atol, m)):
        if problem:
            _fail(name, problem)


def _shift_layer(key, by):
    """'W0' -> 'W1' for by=1; keys without a trailing layer number are left alone."""
    match = re.fullmatch(r"(\D*)(\d+)", str(key))
    return f"{match[1]}{int(match[2]) + by}" if match else str(key)


def _key_problem(got, want):
    """Why key lists ``got`` and ``want`` differ, with a hint for common naming slips."""
    missing = [k for k in want if k not in got]
    unexpected = [k for k in got if k not in want]
    if not missing and not unexpected:
        return None
    parts = []
    if missing:
        parts.append("missing " + ", ".join(repr(k) for k in missing))
    if unexpected:
        parts.append("unexpected " + ", ".join(repr(k) for k in unexpected))
    text = "; ".join(parts)
    miss, extra = {str(k) for k in missing}, {str(k) for k in unexpected}
    if any(f"d{k}" in miss for k in extra):
        text += " (keys look like parameter names: gradients are named like 'dW1', 'db1')"
    elif any(f"d{k}" in extra for k in miss):
        text += " (keys look like gradient names: name entries like the parameters, 'W1' not 'dW1')"
    elif {k.lower() for k in extra} & {k.lower() for k in miss}:
        text += " (keys are case-sensitive: 'W1' is not 'w1')"
    elif {_shift_layer(k, 1) for k in got} == {str(k) for k in want}:
        text += " (layer numbers look shifted by one: layers with parameters count from 1; A0 is the input)"
    return text


def check_dict(actual, expected, name="grads", rtol=1e-6, atol=1e-8, m=None):
    """Assert that dict ``actual`` has exactly ``expected``'s keys, each with matching values."""
    if actual is None:
        _fail(name, "got None, expected a dict: did you forget to `return` it?")
    if not isinstance(actual, Mapping):
        _fail(name, f"got {_describe(actual)}, expected a dict with keys "
                    + ", ".join(repr(k) for k in expected))
    problem = _key_problem(list(actual), list(expected))
    if problem:
        _fail(name, problem)
    for key, want in expected.items():
        label = f"{name}[{key!r}]"
        if isinstance(want, Mapping):
            check_dict(actual[key], want, label, rtol, atol, m)
        elif isinstance(want, numbers.Number) and not hasattr(want, "shape"):
            check_scalar(actual[key], want, label, rtol, atol, m)
        else:
            check_array(actual[key], want, label, rtol, atol, m)


# --------------------------------------------------------------------------- mutation


def _snapshot(obj):
    """Remember ``obj`` by reference plus a private copy of any array data inside it.

    Other objects (a random Generator, say) are not compared: using them is allowed to
    change them.
    """
    if isinstance(obj, Mapping):
        return (obj, {k: _snapshot(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (obj, [_snapshot(v) for v in obj])
    if hasattr(obj, "shape") and not isinstance(obj, np.generic):
        data = _host_array(obj)
        return (obj, None if data is None else data.copy())
    return (obj, None)


_COPY_HINT = "work on a copy, e.g. W = W - lr * dW, not W -= lr * dW"
_NEW_HINT = "build and return a new dict/list instead, e.g. new = {}; new['W1'] = ..."


def _changed(snap, label, hint=None):
    """Describe the first in-place change since ``snap`` was taken, or None (``hint``: what to do instead)."""
    obj, saved = snap
    if isinstance(saved, np.ndarray):
        now = _host_array(obj)
        same = (now is not None and now.shape == saved.shape
                and np.array_equal(now, saved, equal_nan=saved.dtype.kind in "fc"))  # NaN == NaN here
        return None if same else f"modified its input {label} in place: {hint or _COPY_HINT}"
    if isinstance(saved, dict):
        added = [k for k in obj if k not in saved]
        removed = [k for k in saved if k not in obj]
        if added or removed:
            what = f"added key {added[0]!r}" if added else f"removed key {removed[0]!r}"
            return f"modified its input {label} in place ({what}): {hint or _NEW_HINT}"
        children = [(f"{label}[{k!r}]", obj[k], saved[k]) for k in saved]
    elif isinstance(saved, list):
        if len(obj) != len(saved):
            return f"modified its input {label} in place (its length changed): {hint or _NEW_HINT}"
        children = [(f"{label}[{i}]", obj[i], saved[i]) for i in range(len(saved))]
    else:
        return None  # not something we compare
    for child_label, current, child in children:
        if current is not child[0]:  # the entry was swapped for another object
            return f"modified its input {label} in place ({child_label} was reassigned): {hint or _NEW_HINT}"
        problem = _changed(child, child_label, hint)
        if problem:
            return problem
    return None


def _labelled_arguments(func, args, kwargs):
    """Pair each argument with the name the student knows it by (``params``, ``grads``)."""
    try:
        signature = inspect.signature(func)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError):  # builtins without a signature, or a call that will fail
        return [(f"args[{i}]", v) for i, v in enumerate(args)] + list(kwargs.items())
    labelled = []
    for pname, value in bound.arguments.items():
        kind = signature.parameters[pname].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            labelled += [(f"{pname}[{i}]", v) for i, v in enumerate(value)]
        elif kind is inspect.Parameter.VAR_KEYWORD:
            labelled += list(value.items())
        else:
            labelled.append((pname, value))
    return labelled


def check_not_mutated(func, *args, hint=None, **kwargs):
    """Call ``func(*args, **kwargs)``, assert it changed none of its inputs, return its result.

    ``hint`` replaces the generic advice after "modified its input ... in place:" with one that
    speaks of the exercise at hand (the default keeps the generic one).
    """
    labelled = _labelled_arguments(func, args, kwargs)
    snaps = [(label, _snapshot(value)) for label, value in labelled]
    result = func(*args, **kwargs)
    fname = getattr(func, "__name__", "the function")
    for label, snap in snaps:
        problem = _changed(snap, label, hint)
        if problem:
            _fail(fname, problem)
    return result


def passed(message="All checks passed."):
    """Print a closing line for a visible test cell (reached only if every check passed)."""
    print(message)
