"""What a student's version of an exercise gets from its visible test, its hidden test and the verification.

`visible_test(name, exercise, source)` builds `source/<name>/<name>.py` as the student's notebook
would be (hidden tests removed), puts `source` in the exercise's answer cell, runs every graded and
setup cell in order up to the exercise's test cell (demo cells are skipped, as the grader does) in
a fresh IPython shell, and returns what the test cell did: passed, or the exception it raised.
Earlier exercises keep the solutions, so only `exercise` is wrong; `others` replaces more answer
cells ({exercise: source}) when a test calls two of the student's functions. `hidden_test` runs
the same cell with its hidden tests, as the grader does. `verification(exercise, source)` gives
the integrity check's reasons (autograder.judging) on its cases for a few seeds: [] when nothing
is refuted. `diagnosis(exercise, source)` is the grader's Diagnosis of it (autograder.judging.mistakes):
the named mistake its outputs show, as the grader records it for a function that lost points.
"""

import contextlib
import copy
import dataclasses
import functools
import io
import re
import warnings

import numpy as np

from autograder import authoring
from autograder.grading.execute import DEMO_TAG
from autograder.judging import mistakes, runner, verify
from autograder.judging.specs import MISTAKES, SPECS

HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)


@dataclasses.dataclass
class Outcome:
    passed: bool
    error: str  # the exception's type name ("" when passed)
    message: str  # its message ("" when passed)
    output: str  # what the test cell printed
    warned: list  # warnings raised while the test cell ran (a student would see them as stderr)

    def __str__(self):
        return "passed" if self.passed else f"{self.error}: {self.message}"


@functools.cache  # one build per notebook and test process: the sources do not change while tests run
def _cells(name):
    notebook = authoring.build_notebook(authoring.SOURCE / name / f"{name}.py")
    return tuple(cell for cell in notebook.cells if cell.cell_type == "code" and DEMO_TAG not in cell.metadata.get("tags", []))


def given_cell(name, marker):
    """The source of the notebook's cell that contains `marker` (a given cell of definitions), with NumPy
    imported: what `verification` needs beside a function that calls the notebook's own helpers."""
    cells = re.split(r"^# %%.*$", (authoring.SOURCE / name / f"{name}.py").read_text(), flags=re.M)
    return "import numpy as np\n" + next(cell for cell in cells if marker in cell)


def visible_test(name, exercise, source, others=None):
    """The Outcome of `exercise`'s visible test cell in notebook `name` with `source` as its answer."""
    return _test_cell(name, exercise, source, others, hidden=False)


def hidden_test(name, exercise, source, others=None):
    """The Outcome of the whole test cell, hidden tests included, as the grader runs it."""
    return _test_cell(name, exercise, source, others, hidden=True)


def _run(shell, name, exercise, cell, text):
    """Run one cell; (result's error or None, what it printed, the warnings it raised)."""
    printed = io.StringIO()
    with warnings.catch_warnings(record=True) as warned, contextlib.redirect_stdout(printed):
        warnings.simplefilter("always")
        result = shell.run_cell(text, store_history=False, silent=cell.metadata["nbgrader"]["grade_id"] != f"test_{exercise}")
    return result.error_before_exec or result.error_in_exec, printed.getvalue(), [str(w.message) for w in warned]


def _fresh_copy(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - modules, open files ... are shared, not copied (nothing here changes them)
        return value


# The shell's state after the cells before an exercise's answer cell, per (notebook, first replaced cell): those
# cells hold no answer of the student's, so they run once; each call restores a deep copy of what
# they bound (in the same namespace dict, which the functions they defined read as their globals).
_PREFIX = {}


def _restore_prefix(shell, name, exercise, cells, start):
    key = (name, start)
    if key not in _PREFIX:
        shell.reset(new_session=False)
        shell.run_cell("import matplotlib; matplotlib.use('Agg')", store_history=False)
        for cell in cells[:start]:
            error, _, _ = _run(shell, name, exercise, cell, HIDDEN_TESTS.sub("", cell.source))
            if error is not None:
                raise RuntimeError(f"{name}: cell {cell.metadata['nbgrader']['grade_id']} failed before "
                                   f"test_{exercise} ran: {type(error).__name__}: {error}")
        hidden = set(shell.user_ns_hidden)
        _PREFIX[key] = ({k: _fresh_copy(v) for k, v in shell.user_ns.items() if k not in hidden},
                        np.random.get_state())
    bound, random_state = _PREFIX[key]
    shell.reset(new_session=False)
    shell.user_ns.update({k: _fresh_copy(v) for k, v in bound.items()})
    np.random.set_state(random_state)


@functools.cache
def _shell():
    """This process's IPython shell, tuned for these tests: a failing cell's traceback in minimal mode (its
    message is all they read), and a reset that skips the output cache's flush (a full gc.collect per call;
    the cells here run silent or print, so nothing is cached)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.InteractiveTB.set_mode("Minimal")
    shell.displayhook.flush = lambda: None
    return shell


def _test_cell(name, exercise, source, others, hidden):

    answers = {exercise: source, **(others or {})}
    cells = _cells(name)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in cells]
    if f"test_{exercise}" not in ids:
        raise KeyError(f"{name} has no test cell test_{exercise}")
    shell = _shell()
    # Cells before the first answer cell replaced run once and are restored; the rest run every time.
    start = min(ids.index(grade_id) for grade_id in answers if grade_id in ids) if any(g in ids for g in answers) else 0
    with contextlib.chdir(authoring.SOURCE / name):
        _restore_prefix(shell, name, exercise, cells, start)
        for cell, grade_id in zip(cells[start:], ids[start:]):
            is_target = grade_id == f"test_{exercise}"
            text = answers.get(grade_id, cell.source if is_target and hidden else HIDDEN_TESTS.sub("", cell.source))
            error, printed, warned = _run(shell, name, exercise, cell, text)
            if is_target:
                if error is None:
                    return Outcome(True, "", "", printed, warned)
                return Outcome(False, type(error).__name__, str(error), printed, warned)
            if error is not None:
                raise RuntimeError(f"{name}: cell {grade_id} failed before test_{exercise} ran: "
                                   f"{type(error).__name__}: {error}")
    raise AssertionError("unreachable: the test cell is among the cells")


def diagnosis(exercise, source, seed=0):
    """The grader's mistakes.Diagnosis of the function `exercise` that `source` defines (with what it calls),
    on its cases drawn from `seed`, run in this process as the sandbox's runner runs it."""
    namespace = {}
    exec(compile(source, f"<{exercise}>", "exec"), namespace)
    function = namespace[exercise]
    runs = []
    for args, kwargs in SPECS[exercise].cases(np.random.default_rng(seed)):
        make_inputs = functools.partial(verify._materialised, args, kwargs)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got, refuted = runner.call_watching_inputs(function, *make_inputs())
        except Exception as error:  # noqa: BLE001 - a wrong version may raise anything; the diagnosis reads it
            runs.append((make_inputs, "error", f"{type(error).__name__}: {str(error)[:300]}"))
            continue
        runs.append((make_inputs, "refuted", refuted) if refuted else (make_inputs, "result", got))
    return mistakes.diagnose(SPECS[exercise], MISTAKES[exercise], runs)


def transforms(name):
    """[(exercise, mistake name)] of notebook `name`'s named mistakes recognised by a wrong transform."""
    from autograder.reference import EXERCISES

    return [(exercise, m.name) for exercise in EXERCISES[name] for m in MISTAKES[exercise] if m.wrong]


def assert_diagnosed(name, exercise, source, mistake, runnable=None):
    """The grader's diagnosis of `source` (run as `runnable`: with the notebook's definitions it calls in front)
    is `mistake`, in words the visible test shows the student for the same source."""
    found = diagnosis(exercise, runnable or source)
    assert found.mistake == mistake, found
    assert found.message in visible_test(name, exercise, source).message


def assert_transform_is_its_own_mistake(name, exercise, mistake):
    """A student whose function is the mistake's own wrong transform gets that mistake from the diagnosis (the
    transform applies to every case its spec draws, no earlier mistake shadows it), and its words from the
    visible test."""
    source = (f"from autograder.judging.specs import MISTAKES\n"
              f"{exercise} = next(m.wrong for m in MISTAKES[{exercise!r}] if m.name == {mistake!r})\n")
    assert_diagnosed(name, exercise, source, mistake)


def assert_named_and_refuted(name, exercise, source, fragment, given=""):
    """The visible test fails `source` with a message holding `fragment`; the hidden test and the verification
    (run with `given`, the notebook's definitions it calls, in front) refute it too."""
    outcome = visible_test(name, exercise, source)
    assert not outcome.passed, f"{exercise}: passed the visible test"
    assert fragment in outcome.message, f"{exercise}: {outcome}"
    assert not hidden_test(name, exercise, source).passed, f"{exercise}: passed the hidden test"
    assert verification(exercise, given + source), f"{exercise}: not refuted by the verification"


def assert_accepted(name, exercise, source, given=""):
    """A correct version written differently passes the visible and hidden tests, without a warning, and the
    verification."""
    for outcome in (visible_test(name, exercise, source), hidden_test(name, exercise, source)):
        assert outcome.passed and not outcome.warned, f"{exercise}: {outcome}"
    assert verification(exercise, given + source) == []


def verification(exercise, source, seeds=(0, 1, 2)):
    """The integrity check's reasons for refuting the function `exercise` defined by `source`."""
    namespace = {}
    exec(compile(source, f"<{exercise}>", "exec"), namespace)
    function = namespace[exercise]
    reasons = []
    for seed in seeds:
        for args, kwargs in SPECS[exercise].cases(np.random.default_rng(seed)):
            materialised = [verify.materialise(a) for a in args], {k: verify.materialise(v) for k, v in kwargs.items()}
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got, refuted = runner.call_watching_inputs(function, *materialised)
            except Exception as error:  # noqa: BLE001 - a wrong version may raise anything; the spec judges it
                reason = SPECS[exercise].compare_error(f"{type(error).__name__}: {str(error)[:300]}", *materialised)
                if reason:
                    reasons.append(reason)
                continue
            fresh = [verify.materialise(a) for a in args], {k: verify.materialise(v) for k, v in kwargs.items()}
            reason = refuted or SPECS[exercise].compare(got, *fresh)
            if reason:
                reasons.append(reason)
    return reasons
