"""The catalog of synthetic submissions (tests/grading/test_grader_catalog): correct, blank, one typical
mistake, correct-but-different code, attacks and broken input, each with the exact scores and status it must
get; and one grading run of it as a class (the PostgreSQL tests grade a cross-section of it)."""

import textwrap

from tests.support.notebook import (
    ROOT,
    exercises,
    make_course_root,
    run_grader,
    student_notebook,
    write_submission,
)

ASSIGNMENT = "03_backprop"
POINTS = dict(exercises(ASSIGNMENT))
TOTAL = sum(POINTS.values())


def code(text):
    return textwrap.dedent(text).strip("\n")


BLANK = {ex: code(f"""
    def {ex}(*args, **kwargs):
        raise NotImplementedError()
    """) for ex in POINTS}

MISTAKES = {
    "mse_loss": code("""
        def mse_loss(AL, Y):
            return float(0.5 * np.sum((AL - Y) ** 2))  # summed, not averaged over the m examples
        """),
    "param_gradients": code("""
        def param_gradients(delta, A_prev):
            return A_prev @ delta.T, delta  # transposed dW
        """),
    "sigmoid_prime": code("""
        def sigmoid_prime(z):
            return sigmoid(z)  # forgot the (1 - sigma) factor
        """),
    "gradient_check": code("""
        def gradient_check(cost_fn, params, grads, eps=1e-6):
            a, n = [], []
            for key, value in params.items():
                for index in np.ndindex(value.shape):
                    plus = {k: v.copy() for k, v in params.items()}
                    minus = {k: v.copy() for k, v in params.items()}
                    plus[key][index] += eps
                    minus[key][index] -= eps
                    n.append((cost_fn(plus) - cost_fn(minus)) / (2 * eps))
                    a.append(grads["d" + key][index])
            a, n = np.array(a), np.array(n)
            top = max(np.linalg.norm(a), np.linalg.norm(n))  # max instead of the sum of the norms
            return 0.0 if top == 0 else float(np.linalg.norm(a - n) / top)
        """),
}

DIFFERENT_BUT_CORRECT = {
    "param_gradients": code("""
        def param_gradients(delta, A_prev):
            return np.outer(delta[:, 0], A_prev[:, 0]), delta + 0.0
        """),
    "tanh_prime": code("""
        def tanh_prime(z):
            return 1.0 / np.cosh(np.clip(z, -300, 300)) ** 2
        """),
    "sigmoid_prime": code("""
        def sigmoid_prime(z):
            e = np.exp(-np.abs(z))
            return e / (1.0 + e) ** 2
        """),
    "mse_loss": code("""
        def mse_loss(AL, Y):
            return float(np.mean(0.5 * np.sum((AL - Y) ** 2, axis=0)))
        """),
    "gradient_check": MISTAKES["gradient_check"].replace(
        "max(np.linalg.norm(a), np.linalg.norm(n))  # max instead of the sum of the norms",
        "np.linalg.norm(a) + np.linalg.norm(n)"),
}

# Every later cell, test cells included, runs inside try/except: nbgrader sees no error anywhere.
SWALLOW_ERRORS = code("""
    def _swallow(lines):
        return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"]
    get_ipython().input_transformers_post.append(_swallow)
    """)

# Wrong answers of the right type and shape: with the checks defeated, they would pass.
GARBAGE = {
    **{ex: code(f"""
        def {ex}(z, *args, **kwargs):
            return np.zeros_like(np.asarray(z, dtype=float))
        """) for ex in ("sigmoid_prime", "relu_prime", "leaky_relu_prime", "tanh_prime")},
    **{ex: code(f"""
        def {ex}(AL, Y):
            return 0.0
        """) for ex in ("mse_loss", "bce_loss", "cross_entropy_loss")},
    "output_delta": code("""
        def output_delta(AL, Y, ZL, loss, output_activation):
            return np.zeros_like(AL)
        """),
    "hidden_delta": code("""
        def hidden_delta(delta_next, W_next, Z, activation):
            return np.zeros_like(Z)
        """),
    "param_gradients": code("""
        def param_gradients(delta, A_prev):
            return np.zeros((delta.shape[0], A_prev.shape[0])), np.zeros_like(delta)
        """),
    "backward": code("""
        def backward(Y, params, cache, hidden_activation, output_activation, loss):
            return {"d" + key: np.zeros_like(value) for key, value in params.items()}
        """),
    "gradient_check": code("""
        def gradient_check(cost_fn, params, grads, eps=1e-6):
            return 0.0
        """),
}


def attack_reading(course):
    return code(f"""
        import glob
        for path in [{str(course / 'source' / ASSIGNMENT / (ASSIGNMENT + '.ipynb'))!r},
                     {str(ROOT / 'autograder' / 'reference' / 'backprop.py')!r},
                     {str(course / 'gradebook.db')!r}] + glob.glob({str(course / 'autograded' / '*' / '*' / '*.ipynb')!r}):
            try:
                text = open(path).read()
            except Exception:
                continue
            if path.endswith('.py'):
                exec(text.replace('from .', 'from autograder.reference.'), globals())
        """)


def attack_writing(course):
    return code(f"""
        for path in [{str(course / 'gradebook.db')!r}, {str(course / 'source' / ASSIGNMENT / (ASSIGNMENT + '.ipynb'))!r}]:
            try:
                open(path, 'w').write('overwritten by a student')
            except Exception:
                pass
        """)


MONKEYPATCH_NUMPY = code("""
    import numpy
    import course.check
    numpy.allclose = lambda *a, **k: True
    numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
    numpy.array_equal = lambda *a, **k: True
    numpy.testing.assert_allclose = lambda *a, **k: None
    numpy.testing.assert_array_equal = lambda *a, **k: None
    for name in dir(course.check):
        if name.startswith("check_"):
            setattr(course.check, name, lambda *a, **k: a[0] if a else None)
    """)

PATCH_BUILTINS = code("""
    import builtins
    builtins.all = lambda *a, **k: True
    builtins.any = lambda *a, **k: True
    builtins.abs = lambda x: 0
    """)

FORK_BOMB = code("""
    import os, time
    children = 0
    for _ in range(2000):
        try:
            if os.fork() == 0:
                time.sleep(20)
                os._exit(0)
            children += 1
        except OSError:
            break
    """)


# Runs again in the verification child (answer cells run whole there), where it takes over what the
# child writes back: entries that name missing arrays, wrong types, unknown keys and deep nesting.
POISON_VERIFICATION = code("""
    import json, numpy
    _savez = numpy.savez
    def _poisoned(path, **arrays):
        if not str(path).endswith("results.npz"):
            return _savez(path, **arrays)
        count = len(json.loads(bytes(arrays["__outcomes__"]).decode()))
        deep = {"$list": [0]}
        for _ in range(200):
            deep = {"$list": [deep]}
        bad = [{"result": {"$array": "nowhere"}}, {"result": {"$dict": 5}}, {"result": {"$list": [[[1]]]}},
               {"result": {"$tuple": {"x": 1}}}, {"unknown": 1}, {"result": {"$callable": "os.system"}},
               {"result": deep}, {"result": 1, "error": 2}, "text"]
        outcomes = [bad[i % len(bad)] for i in range(count)]
        return _savez(path, __outcomes__=numpy.frombuffer(json.dumps(outcomes).encode(), dtype=numpy.uint8),
                      strings=numpy.array(["not", "numbers"]))
    numpy.savez = _poisoned
    """)

# A results file that unpacks to 512 MiB of zeros (a few hundred KiB on disk).
RESULTS_BOMB = code("""
    import numpy
    _savez = numpy.savez
    def _bomb(path, **arrays):
        if not str(path).endswith("results.npz"):
            return _savez(path, **arrays)
        return numpy.savez_compressed(path, __outcomes__=arrays["__outcomes__"], r0=numpy.zeros(2**26))
    numpy.savez = _bomb
    """)

SECRET = "s3cret-seed-of-the-instructor"
HUB_TOKEN = "hub-token-that-students-must-never-see"

# Prints the environment in the kernel, and puts it in a verification error (which becomes a
# gradebook comment and the reason in grades.csv): neither may show the grader's secrets.
PRINT_ENVIRONMENT = code("""
    import os
    print(dict(os.environ))
    try:
        print(open("/proc/1/environ", "rb").read())
    except OSError as error:
        print("no /proc/1/environ:", error)

    def mse_loss(AL, Y):
        if __name__ == "__student__":  # the verification child
            raise RuntimeError(repr(dict(os.environ)))
        return float(0.5 * np.sum((AL - Y) ** 2) / Y.shape[1])
    """)

# Tries to write 4 GiB into /tmp as 32 files of 128 MiB; says where it was stopped.
FILL_TMP = code("""
    written = 0
    try:
        for i in range(32):
            with open(f"/tmp/fill{i}", "wb") as f:
                for _ in range(2):
                    f.write(bytes(64 * 1024**2))
                    written += 64
        print(f"NOT STOPPED after {written} MiB")
    except OSError as error:
        print(f"stopped after {written} MiB: errno {error.errno}")
    """)

# Leaves folders (one read-only) and a file in its kernel's runtime folder, the one it shares with
# the grader: nothing of them may survive into another student's grading or the next run.
LITTER_RUNTIME = code("""
    import os
    _args = open("/proc/self/cmdline", "rb").read().split(bytes(1))
    if b"-f" in _args:  # in the kernel (the verification child has no connection file)
        _runtime = os.path.dirname(_args[_args.index(b"-f") + 1].decode())
        os.makedirs(os.path.join(_runtime, "left", "behind", "deep"), exist_ok=True)
        open(os.path.join(_runtime, "left", "behind", "note.txt"), "w").write("still here?")
        os.chmod(os.path.join(_runtime, "left", "behind"), 0o500)
        os.makedirs(os.path.join(_runtime, "kernel-0"), exist_ok=True)
        print("littered", sorted(os.listdir(_runtime)))
    """)


def looping(body):
    return code(f"""
        def mse_loss(AL, Y):
            {body}
        """)


def catalog(course):
    """{student: (notebook or raw text, expected status, expected {exercise: score})}."""
    full = dict(POINTS)
    zero = {ex: 0 for ex in POINTS}

    def without(*names):
        return {ex: (0 if ex in names else p) for ex, p in POINTS.items()}

    return {
        "correct": (student_notebook(ASSIGNMENT), "graded", full),
        "blank": (student_notebook(ASSIGNMENT, BLANK), "graded", zero),
        # One typical mistake: that exercise and the exercises whose solution calls it lose points.
        "mistake_mse_no_mean": (student_notebook(ASSIGNMENT, {"mse_loss": MISTAKES["mse_loss"]}), "graded",
                                without("mse_loss")),
        "mistake_transposed_dW": (student_notebook(ASSIGNMENT, {"param_gradients": MISTAKES["param_gradients"]}),
                                  "graded", without("param_gradients", "backward")),
        "mistake_sigmoid_prime": (student_notebook(ASSIGNMENT, {"sigmoid_prime": MISTAKES["sigmoid_prime"]}),
                                  "graded", without("sigmoid_prime", "output_delta", "hidden_delta", "backward")),
        "mistake_gradient_check": (student_notebook(ASSIGNMENT, {"gradient_check": MISTAKES["gradient_check"]}),
                                   "graded", without("gradient_check")),
        "different_but_correct": (student_notebook(ASSIGNMENT, DIFFERENT_BUT_CORRECT), "graded", full),
        # Attacks on a blank submission: whatever nbgrader is fooled into, verification takes back.
        "attack_swallow_errors": (student_notebook(ASSIGNMENT, BLANK, prepend=SWALLOW_ERRORS), "flagged", zero),
        "attack_monkeypatch_numpy": (student_notebook(ASSIGNMENT, GARBAGE, prepend=MONKEYPATCH_NUMPY), "flagged", zero),
        "attack_builtins": (student_notebook(ASSIGNMENT, GARBAGE, prepend=PATCH_BUILTINS),
                            "flagged", zero),
        "attack_blank_tests": (student_notebook(ASSIGNMENT, BLANK, tests="blank"), "graded", zero),
        "attack_deleted_tests": (student_notebook(ASSIGNMENT, BLANK, tests="delete"), "graded", zero),
        "attack_reads_disk": (student_notebook(ASSIGNMENT, BLANK, prepend=attack_reading(course)), "graded", zero),
        "attack_writes_gradebook": (student_notebook(ASSIGNMENT, BLANK, prepend=attack_writing(course)), "graded",
                                    zero),
        "attack_detects_nbgrader": (student_notebook(ASSIGNMENT, BLANK, prepend=code(f"""
            import os
            if os.environ.get("NBGRADER_EXECUTION"):
                {SWALLOW_ERRORS}
            """)), "graded", zero),
        # Attacks on the machine: the rest of the notebook and the class are still graded.
        "attack_os_exit": (student_notebook(ASSIGNMENT, prepend="import os\nos._exit(0)"), "failed", zero),
        "attack_infinite_loop": (student_notebook(ASSIGNMENT, {"mse_loss": looping("while True: pass")}), "graded",
                                 without("mse_loss")),
        "attack_uninterruptible": (student_notebook(ASSIGNMENT, {"mse_loss": looping(
            "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n            while True: pass")}),
            "failed", zero),
        # Attacks on the grader itself: one student's outcome, never the class's run.
        "attack_poisons_verification": (student_notebook(ASSIGNMENT, prepend=POISON_VERIFICATION), "flagged", zero),
        "attack_results_bomb": (student_notebook(ASSIGNMENT, prepend=RESULTS_BOMB), "flagged", zero),
        "attack_prints_environment": (student_notebook(ASSIGNMENT, {"mse_loss": PRINT_ENVIRONMENT}), "flagged",
                                      without("mse_loss")),
        "attack_fills_tmp": (student_notebook(ASSIGNMENT, prepend=FILL_TMP), "graded", full),
        "attack_litters_runtime": (student_notebook(ASSIGNMENT, prepend=LITTER_RUNTIME), "graded", full),
        "attack_memory_bomb": (student_notebook(ASSIGNMENT, {"mse_loss": looping(
            "chunks = []\n            while True: chunks.append(np.ones(10**7))")}), "graded", without("mse_loss")),
        # The process limit stops the bomb (see test_fork_bomb_is_contained for its two outcomes).
        "attack_fork_bomb": (student_notebook(ASSIGNMENT, prepend=FORK_BOMB), "contained", full),
        # Broken input: a reason in the status column, never a stop.
        "broken_json": ('{"cells": [', "failed", zero),
        "wrong_assignment": (student_notebook("02_forward"), "failed", zero),
    }


def grade_catalog(parent, db_url=None, only=None):
    """Grade the catalog's entries as one class: (course, entries, grader result, grades.csv rows).

    db_url: the gradebook nbgrader_config.py names (SQLite in the course root when None).
    only: the names of the entries to grade (every entry when None)."""
    course = make_course_root(parent, [ASSIGNMENT, "02_forward"], class_reports=only is None)
    if db_url:
        with (course / "nbgrader_config.py").open("a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    entries = {name: entry for name, entry in catalog(course).items() if only is None or name in only}
    for student, (notebook, _, _) in entries.items():
        write_submission(course, student, ASSIGNMENT, notebook)
    write_submission(course, "misnamed_with_extras", ASSIGNMENT, student_notebook(ASSIGNMENT), "my answers.ipynb")
    (course / "submitted" / "misnamed_with_extras" / ASSIGNMENT / "scratch.txt").write_text("notes")
    (course / "submitted" / "nothing_handed_in" / ASSIGNMENT).mkdir(parents=True)
    # Extras nbgrader copies into autograded/ as they are: a broken notebook and a page with script.
    write_submission(course, "extras_hostile", ASSIGNMENT, student_notebook(ASSIGNMENT))
    (course / "submitted" / "extras_hostile" / ASSIGNMENT / "notes.ipynb").write_text('{"cells": [')
    (course / "submitted" / "extras_hostile" / ASSIGNMENT / "page.html").write_text("<script>window.x = 1</script>")
    result, rows = run_grader(course, ASSIGNMENT, "--jobs", "2", "--cell-timeout", "5", "--notebook-timeout", "45",
                              env={"GRADER_SECRET": SECRET, "JUPYTERHUB_API_TOKEN": HUB_TOKEN})
    assert result.returncode == 0, result.stdout + result.stderr
    return course, entries, result, rows
