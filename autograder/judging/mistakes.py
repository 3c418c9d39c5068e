"""What went wrong: the course's named mistakes, and the diagnosis of a function that lost points.

The visible tests name the usual slips of each exercise ("the cost is summed, not averaged over the m
examples"). The grader recognises the same slips from the function's own outputs, in its own process:
each reference module ends, beside its `SPECS`, with `MISTAKES = {exercise: (Mistake, ...)}`, and a
`Mistake` is either

- a wrong transform, `wrong`: a function with the exercise's signature that makes the slip (it returns
  what the student's function with that slip returns for the inputs
  (the reference with the 1/m left out, the transpose, A[l] for A[l-1] ...)); the student's function
  shows the mistake when it returns the same on every input; or
- a `reason` pattern, for exercises judged by properties (random draws, training): the mistake shows
  when the spec's own reason for refuting the function (its judge, its contract on errors, or the
  in-place watcher's) matches the pattern.

Nothing of the student's process is trusted here but the raw values it returned: the diagnosis never
reads what a test cell printed. A function that lost points and shows none of its exercise's named
mistakes is UNRECOGNISED, with the first line of the reason it is wrong; one that still raises the
release's NotImplementedError is NOT_ATTEMPTED.
"""

import dataclasses
import hashlib
import json
import re
from typing import Callable as _Function

import numpy as np

from autograder.judging import call_reference, match

NOT_ATTEMPTED = "not attempted"
UNRECOGNISED = "unrecognised"
NOT_ATTEMPTED_MESSAGE = "the function still raises the release's NotImplementedError: it was not written"


@dataclasses.dataclass(frozen=True)
class Mistake:
    """One named slip of an exercise. `name`: an identifier, unique within the exercise; `message`: the
    visible test's words for it (what the student's feedback shows: never the answer); `wrong` (a function
    with the exercise's signature that makes the slip) or `reason` (a regular expression searched in the
    spec's reason) recognises it."""

    name: str
    message: str
    wrong: _Function = None
    reason: str = None
    rtol: float = 1e-4
    atol: float = 1e-6

    def __post_init__(self):
        if (self.wrong is None) == (self.reason is None):
            raise ValueError(f"mistake {self.name!r}: give exactly one of wrong and reason")


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What an exercise that lost points shows: a Mistake's name, NOT_ATTEMPTED or UNRECOGNISED; the
    words for it (the mistake's message, or the first line of the reason the function is wrong); and
    a digest of what the function returned on the class's inputs ('' when it returned nothing)."""

    mistake: str
    message: str
    output: str = ""

    def as_record(self):
        return dataclasses.asdict(self)


def first_line(text, limit=200):
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line[:limit]


def _rounded(value):
    """A canonical, JSON-able form of a returned value: numbers to 6 significant digits, so that two
    functions computing the same thing in another order give the same digest."""
    if isinstance(value, dict):
        return {"dict": [[str(k), _rounded(v)] for k, v in sorted(value.items(), key=lambda item: str(item[0]))]}
    if isinstance(value, (list, tuple)):
        return {"seq": [_rounded(v) for v in value]}
    array = np.asarray(value) if not isinstance(value, str) else None
    if array is None or array.dtype == object:
        return {"other": str(value)[:100]}
    if array.dtype.kind in "biu":
        return {"ints": array.shape, "v": array.astype(np.int64).ravel().tolist()}
    if array.dtype.kind == "f":
        shown = np.array([float(f"{x:.6g}") if np.isfinite(x) else str(x) for x in array.astype(np.float64).ravel()],
                         dtype=object)
        return {"floats": array.shape, "v": [float(x) if not isinstance(x, str) else x for x in shown]}
    return {"other": str(value)[:100]}


def output_digest(outcomes):
    """The digest of a function's outcomes [(kind, value)] on the class's inputs ('' when it raised on all)."""
    if not any(kind == "result" for kind, _ in outcomes):
        return ""
    canonical = [[kind, _rounded(value) if kind == "result" else first_line(value, 80)] for kind, value in outcomes]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _shows(mistake, runs):
    """Whether the function's runs [(args, kwargs, kind, value, reason)] show `mistake`."""
    if mistake.reason is not None:
        return any(reason and re.search(mistake.reason, reason) for *_, reason in runs)
    # A case whose exception the contract asks for (an unknown activation's ValueError) says nothing of the slip.
    runs = [run for run in runs if not (run[2] == "error" and run[4] is None)]
    if not runs or any(kind != "result" for _, _, kind, _, _ in runs):
        return False
    if not any(reason for *_, reason in runs):  # right on every input: a slip in a case not drawn shows nothing
        return False
    for args, kwargs, _, value, _ in runs:
        try:
            want = call_reference(mistake.wrong, args, kwargs)
        except Exception:  # noqa: BLE001 - a transform that cannot apply to this input: not this mistake
            return False
        if match(value, want, "the result", mistake.rtol, mistake.atol) is not None:
            return False
    return True


def diagnose(spec, mistakes, runs):
    """The Diagnosis of one exercise from its runs on the class's inputs.

    spec: the exercise's judging.Spec; mistakes: its Mistakes, in the order they are tried; runs:
    [(args, kwargs, kind, value)] with the inputs materialised twice over (`make_inputs()` gives a
    fresh copy: a transform may change what it is given), kind "result", "error" or "refuted".
    """
    judged = []
    for make_inputs, kind, value in runs:
        args, kwargs = make_inputs()
        if kind == "result":
            reason = spec.compare(value, args, kwargs)
        elif kind == "error":
            reason = spec.compare_error(value, args, kwargs)
        else:
            reason = value
        judged.append((make_inputs, kind, value, reason))
    outcomes = [(kind, value) for _, kind, value, _ in judged]
    digest = output_digest(outcomes)
    errors = [value for _, kind, value, _ in judged if kind == "error"]
    if errors and len(errors) == len(judged) and all(e.startswith("NotImplementedError") for e in errors):
        return Diagnosis(NOT_ATTEMPTED, NOT_ATTEMPTED_MESSAGE, digest)
    for mistake in mistakes:
        fresh = [(*make_inputs(), kind, value, reason) for make_inputs, kind, value, reason in judged]
        if _shows(mistake, fresh):
            return Diagnosis(mistake.name, mistake.message, digest)
    reasons = [reason for *_, reason in judged if reason]
    return Diagnosis(UNRECOGNISED, first_line(reasons[0]) if reasons else "", digest)
