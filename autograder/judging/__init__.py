"""How the integrity check judges what a student's function returns: the machinery all exercises share.

Each reference module ends with the specs of its notebook's exercises (`SPECS`, gathered by
`autograder.judging.specs`): a `Spec` for every exercise of `autograder.reference.EXERCISES`, beside the reference
function it is judged against, so that adding an exercise touches one module.

- `cases(rng)` draws fresh inputs from `rng` (and nothing else, see `random_inputs`): a list of `(args, kwargs)`.
  A function argument is a `Callable` (a name in `runner.CALLABLES`), a generator argument an
  `Rng` (a seed), so that both sides of the sandbox get the same thing.
- Whatever a case returns, the call itself is watched (`runner.call_watching_inputs`): a function that
  changes one of its inputs in place, or draws nothing from an `Rng(seed, must_draw=True)`, is refuted
  with that reason ("changed its input `params['W1']` in place (...)").
- `compare(got, args, kwargs)` judges the student's value `got` for the materialised inputs
  (arrays copied, `Rng` made into a fresh generator, `Callable` into the function): `None` when it
  is right, else a short reason ("dW1 differs from the reference (max error 0.31)").

Fairness comes first: a correct implementation written differently must never be refuted.
Deterministic exercises are compared with the reference (rtol 1e-5, atol 1e-7), and only on inputs
that the exercise's contract covers (e.g. m = 1 for the single-example functions of notebook 03,
labels that agree with probabilities of exactly 0 or 1, since the clipping constant is free).
Exercises that draw random numbers (students may draw in another order), or whose answer is not
unique (`xor_params`), are judged by properties instead.

This module imports neither `autograder.reference` nor `autograder.judging.verify`: both import it.
"""

import dataclasses
import math
import numbers
import warnings
from typing import Callable as _Function

import numpy as np

from autograder.judging import runner

RTOL, ATOL = 1e-5, 1e-7

BIG_LAYER = 1000  # weight matrices with at least this many entries get their spread checked
STD_TOLERANCE = 0.15  # an initialiser's sample std may be this far (relative) from the promised one
MEAN_TOLERANCE = 0.2  # ... and its sample mean this far from 0, in units of the promised std


@dataclasses.dataclass(frozen=True)
class Spec:
    """How to exercise one function: `cases(rng)` and `compare(got, args, kwargs)`; `judge_error(reason,
    args, kwargs)`, when given, judges a case the function raised on (None: the contract asks for that
    exception), where otherwise any exception refutes it."""

    make_cases: _Function
    judge: _Function
    judge_error: _Function = None

    def cases(self, rng):
        return self.make_cases(rng)

    def compare_error(self, reason, args, kwargs):
        """None when raising, as `reason` ("ValueError: ...") says the call did, is what the contract asks."""
        return reason if self.judge_error is None else self.judge_error(reason, list(args), dict(kwargs))

    def compare(self, got, args, kwargs):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return self.judge(got, list(args), dict(kwargs))
        except Exception as error:  # noqa: BLE001 - an odd value from the student must not crash the grader
            return f"the result could not be checked ({type(error).__name__}: {str(error)[:200]})"


# ---------------------------------------------------------------- arguments that cross the sandbox

class Rng:
    """A fresh numpy Generator seeded with `seed` on each side. `must_draw`: a call that draws no random
    number from it is refuted (`runner.WatchedGenerator`), e.g. a shuffle with a fixed seed of its own."""

    def __init__(self, seed, must_draw=False):
        self.seed = seed
        self.must_draw = must_draw

    def make(self):
        return runner.WatchedGenerator(self.seed) if self.must_draw else np.random.default_rng(self.seed)


class Callable:
    """One of runner.CALLABLES, by name."""

    def __init__(self, name):
        self.name = name

    def make(self):
        return runner.CALLABLES[self.name]


# ---------------------------------------------------------------- comparing values

def describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def as_number(value):
    """A Python float from a number or a 0-d array; None when `value` is not one."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number):
        return float(value)
    return None


def as_array(value):
    """A float or int ndarray from an array or nested lists of numbers; None when impossible."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - ragged lists
        return None
    if array.dtype == bool:
        return array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        return None
    return array


def _max_error(got, want):
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    return float(np.max(np.where(np.isnan(diff), np.inf, diff))) if diff.size else 0.0


def match(got, want, name, rtol=RTOL, atol=ATOL):
    """None when `got` has the structure and values of `want`, else the reason it does not."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{name} is {describe(got)}, expected a dict"
        if set(got) != set(want):
            return f"{name} has the keys {sorted(got)}, expected {sorted(want)}"
        for key in want:
            child = key if name == "the result" else f"{name}[{key!r}]"
            reason = match(got[key], want[key], child, rtol, atol)
            if reason:
                return reason
        return None
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{name} is {describe(got)}, expected a {type(want).__name__} of {len(want)}"
        if len(got) != len(want):
            return f"{name} has {len(got)} entries, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            reason = match(g, w, f"entry {i} of {name}", rtol, atol)
            if reason:
                return reason
        return None
    if isinstance(want, (numbers.Integral, np.integer)) and not isinstance(want, (bool, np.bool_)):
        number = as_number(got)
        if number is None:
            return f"{name} is {describe(got)}, expected an integer"
        if number != int(want):
            return f"{name} is {got!r}, expected {int(want)}"
        return None
    if isinstance(want, (numbers.Real, np.floating)):
        number = as_number(got)
        if number is None:
            return f"{name} is {describe(got)}, expected a number"
        if not math.isclose(number, float(want), rel_tol=rtol, abs_tol=atol):
            return f"{name} is {number:.6g}, the reference gives {float(want):.6g}"
        return None
    want = np.asarray(want)
    array = as_array(got)
    if array is None:
        return f"{name} is {describe(got)}, expected a numeric array of shape {want.shape}"
    if array.shape != want.shape:
        return f"{name} has shape {array.shape}, expected {want.shape}"
    if np.issubdtype(want.dtype, np.integer):
        if not np.array_equal(array, want):
            wrong = int(np.sum(array != want))
            return f"{name} differs from the reference in {wrong} of {want.size} entries"
        return None
    close = np.isclose(array.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol)
    if not np.all(close):
        if not np.all(np.isfinite(array[~close])):
            return f"{name} has NaN or inf where the reference is finite"
        return f"{name} differs from the reference (max error {_max_error(array, want):.3g})"
    return None


def call_reference(function, args, kwargs):
    """The reference `function`'s value for the inputs, quietly (the inputs may overflow on purpose)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def same_as_reference(function, names=None, rtol=RTOL, atol=ATOL):
    """A judge: the reference `function`'s value for the same inputs; `names` labels the entries of a tuple."""
    def judge(got, args, kwargs):
        want = call_reference(function, args, kwargs)
        if names is None:
            return match(got, want, "the result", rtol, atol)
        if not isinstance(got, (tuple, list)):
            return f"returned {describe(got)}, expected a tuple ({', '.join(names)})"
        if len(got) != len(names):
            return f"returned {len(got)} values, expected {len(names)} ({', '.join(names)})"
        for g, w, label in zip(got, want, names):
            reason = match(g, w, label, rtol, atol)
            if reason:
                return reason
        return None
    return judge


def must_raise(expected, judge):
    """(judge, judge_error) for an exercise whose contract asks some inputs to raise: `expected(args, kwargs)`
    gives (the exception's name, words its message must hold, the argument that asks for it) for such a
    case, None for the others, which `judge` judges as usual (any exception there refutes)."""
    def judge_value(got, args, kwargs):
        wanted = expected(args, kwargs)
        if wanted is None:
            return judge(got, args, kwargs)
        return f"returned {describe(got)} for {wanted[2]!r}, where its contract asks for a {wanted[0]}"

    def judge_error(reason, args, kwargs):
        wanted = expected(args, kwargs)
        if wanted is None:
            return reason
        name, words, given = wanted
        raised = reason.partition(":")[0]
        if raised != name:
            return f"raised {raised} for {given!r}, where its contract asks for a {name}"
        missing = [word for word in words if word not in reason]
        return f"its {name} for {given!r} does not name {', '.join(missing)}" if missing else None
    return judge_value, judge_error


# ---------------------------------------------------------------- judging parameters by their properties

def check_params(got, layer_sizes, name="params"):
    """None when `got` is a finite params dict for `layer_sizes`, else the reason."""
    if not isinstance(got, dict):
        return f"{name} is {describe(got)}, expected a dict"
    want_keys = {f"{kind}{l}" for l in range(1, len(layer_sizes)) for kind in "Wb"}
    if set(got) != want_keys:
        return f"{name} has the keys {sorted(got)}, expected {sorted(want_keys)}"
    for l in range(1, len(layer_sizes)):
        for key, shape in ((f"W{l}", (layer_sizes[l], layer_sizes[l - 1])), (f"b{l}", (layer_sizes[l], 1))):
            array = as_array(got[key])
            if array is None or array.shape != shape:
                return f"{name}[{key!r}] is {describe(got[key])}, expected shape {shape}"
            if not np.all(np.isfinite(array)):
                return f"{name}[{key!r}] has NaN or inf"
    return None


def check_spread(params, layer_sizes, std_of_layer, name="params"):
    """Zero biases, and on big layers a sample std near the promised one and a mean near 0."""
    for l in range(1, len(layer_sizes)):
        b = np.asarray(params[f"b{l}"], dtype=np.float64)
        if np.any(b != 0):
            return f"{name}['b{l}'] is not all zeros"
        W = np.asarray(params[f"W{l}"], dtype=np.float64)
        want = std_of_layer(layer_sizes[l - 1], layer_sizes[l])
        if W.size >= BIG_LAYER:
            std, mean = float(np.std(W)), float(np.mean(W))
            if abs(std - want) > STD_TOLERANCE * want:
                return f"{name}['W{l}'] has std {std:.4g}, expected about {want:.4g}"
            if abs(mean) > MEAN_TOLERANCE * want:
                return f"{name}['W{l}'] has mean {mean:.4g}, expected about 0"
    return None
