"""07_optimizers: wrong versions get a message that names the slip, and never full marks.

Each wrong version is fed to its exercise's visible test (the message must name what is wrong),
to the whole test cell with its hidden tests (it must fail), and to the verification (it must be
refuted). Correct versions written differently must pass the whole cell and the verification
(the hidden part of a cell runs after its visible part, so a passing cell passed both).
"""


import pytest

from autograder.judging.specs import MISTAKES
from autograder.reference import EXERCISES
from tests.support.wrong_versions import (
    assert_diagnosed,
    assert_transform_is_its_own_mistake,
    diagnosis,
    hidden_test,
    transforms,
    verification,
    visible_test,
)

NOTEBOOK = "07_optimizers"


def _momentum(velocity, step):
    return f'''import numpy as np
def momentum_update(params, grads, velocity, lr, beta):
    new_params, new_velocity = {{}}, {{}}
    for k in params:
        g = grads["d" + k]
        v = {velocity}
        new_velocity[k] = v
        new_params[k] = {step}
    return new_params, new_velocity
'''


def _adam(m_hat, v_hat, step="params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)"):
    return f'''import numpy as np
def adam_update(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    new_params, new_m, new_v = {{}}, {{}}, {{}}
    for k in params:
        g = grads["d" + k]
        new_m[k] = beta1 * m[k] + (1 - beta1) * g
        new_v[k] = beta2 * v[k] + (1 - beta2) * g**2
        m_hat = {m_hat}
        v_hat = {v_hat}
        new_params[k] = {step}
    return new_params, new_m, new_v
'''


def _step_schedule(exponent, k="0.1", total='kw["total_epochs"]', constant="float(lr0)",
                   unknown='raise ValueError(f"unknown {kind!r}: constant, step, exponential, inverse_time, cosine")'):
    return f'''import math
import numpy as np
def lr_schedule(kind, lr0, epoch, **kw):
    if kind == "constant":
        return {constant}
    if kind == "step":
        return float(lr0 * kw.get("drop", 0.5) ** {exponent})
    if kind == "exponential":
        return float(lr0 * math.exp(-kw.get("k", {k}) * epoch))
    if kind == "inverse_time":
        return float(lr0 / (1 + kw.get("decay", 1.0) * epoch))
    if kind == "cosine":
        lr_min = kw.get("lr_min", 0.0)
        return float(lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * epoch / {total})) / 2)
    {unknown}
'''


FLOOR = "math.floor(epoch / kw.get('every', 10))"


CORRECTED = ("new_m[k] / (1 - beta1**t)", "new_v[k] / (1 - beta2**t)")

WRONG = {
    # The slips the issue lists, each with the message it now gets.
    "momentum with lr * g in the velocity": ("momentum_update",
                                             _momentum("beta * velocity[k] + lr * g", "params[k] - v"),
                                             "neither form of section 2"),
    "Adam corrected by 1 - beta * t": ("adam_update", _adam("new_m[k] / (1 - beta1 * t)", "new_v[k] / (1 - beta2 * t)"),
                                       "A square root of a negative number?"),
    "step schedule one epoch early": ("lr_schedule", _step_schedule("math.floor((epoch + 1) / kw.get('every', 10))"),
                                      "the first drop came one epoch early"),
    # Other slips whose messages were generic or wrong, and the block edges the verification missed.
    "momentum's (1 - beta) on the old velocity": ("momentum_update",
                                                  _momentum("(1 - beta) * velocity[k] + g", "params[k] - lr * v"),
                                                  "(1 - beta) multiplies the old velocity"),
    "Nesterov's momentum term with the old velocity": (
        "nesterov_update",
        _momentum("beta * velocity[k] + g",
                  "params[k] - lr * beta * velocity[k] - lr * (1 + beta) * g").replace("momentum_update",
                                                                                        "nesterov_update"),
        "the momentum part of the step used the OLD velocity"),
    "Adam m_hat by 1 - beta1 * t": ("adam_update", _adam("new_m[k] / (1 - beta1 * t)", CORRECTED[1]),
                                    "m_hat came out with the wrong sign"),
    "Adam steps with the raw gradient": ("adam_update", _adam(*CORRECTED, step="params[k] - lr * g / (np.sqrt(v_hat) + eps)"),
                                         "the step used the raw gradient g"),
    "step schedule with round": ("lr_schedule", _step_schedule("round(epoch / kw.get('every', 10))"),
                                 "use math.floor, not round"),
    "step schedule with ceil": ("lr_schedule", _step_schedule("math.ceil(epoch / kw.get('every', 10))"),
                                "the rate dropped already at epoch 3"),
    "step schedule one epoch late": ("lr_schedule",
                                     _step_schedule("max(0, math.floor((epoch - 1) / kw.get('every', 10)))"),
                                     "the first drop happens AT epoch 10"),
    # The pilot's findings (a student's read of the release), each now named.
    "momentum returns (velocity, params)": ("momentum_update",
                                            _momentum("beta * velocity[k] + g", "params[k] - lr * v").replace(
                                                "return new_params, new_velocity", "return new_velocity, new_params"),
                                            "you returned (velocity, params)"),
    "Nesterov returns (velocity, params)": ("nesterov_update",
                                            _momentum("beta * velocity[k] + g", "params[k] - lr * (g + beta * v)")
                                            .replace("momentum_update", "nesterov_update")
                                            .replace("return new_params, new_velocity", "return new_velocity, new_params"),
                                            "you returned (velocity, params)"),
    "Nesterov with beta on both terms": ("nesterov_update",
                                         _momentum("beta * velocity[k] + g", "params[k] - lr * beta * (g + v)")
                                         .replace("momentum_update", "nesterov_update"),
                                         "beta belongs to the velocity term only"),
    "Adam v_hat corrected with beta1**t": ("adam_update", _adam(CORRECTED[0], "new_v[k] / (1 - beta1**t)"),
                                           "each average is corrected with its own decay"),
    "Adam ignores its eps argument": ("adam_update", _adam(*CORRECTED, step="params[k] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)"),
                                      "the eps argument was ignored"),
    "exponential schedule with k = 0.01": ("lr_schedule", _step_schedule(FLOOR, k="0.01"), "check the default: k = 0.1"),
    "a 0-d array for the constant rate": ("lr_schedule", _step_schedule(FLOOR, constant="np.array(lr0)"),
                                          "return a Python float"),
    "velocity updated in place": ("momentum_update",
                                  _momentum("velocity[k]", "params[k] - lr * v").replace(
                                      "        v = velocity[k]\n",
                                      "        velocity[k] *= beta\n        velocity[k] += g\n        v = velocity[k]\n"),
                                  "instead of velocity[k] *= beta"),
}

# Contract edges that only a raised exception shows: the verification compares returned values (a
# function that raises is refuted), so it cannot ask for an exception; the visible and hidden tests do.
MUST_RAISE = {
    "cosine with total_epochs = 100 by default": (_step_schedule(FLOOR, total='kw.get("total_epochs", 100)'),
                                                  "total_epochs has no default"),
    "unknown kind quietly gives lr0": (_step_schedule(FLOOR, unknown="return float(lr0)"),
                                       "an unknown kind should raise a ValueError that lists the valid kinds"),
    "unknown kind raises without naming the valid ones": (_step_schedule(FLOOR, unknown="raise ValueError(kind)"),
                                                          "which does not list the valid kinds"),
}

CORRECT = {
    "momentum_update": '''import numpy as np
def momentum_update(params, grads, velocity, lr, beta):
    # the averaged form u = (1 - beta) v, converted back: the same velocity and the same step
    u = {k: beta * (1 - beta) * velocity[k] + (1 - beta) * grads["d" + k] for k in params}
    new_velocity = {k: u[k] / (1 - beta) for k in params}
    return {k: params[k] - lr / (1 - beta) * u[k] for k in params}, new_velocity
''',
    "adam_update": _adam("new_m[k] / -np.expm1(t * np.log(beta1))", "new_v[k] / -np.expm1(t * np.log(beta2))"),
    "lr_schedule": _step_schedule("(epoch // kw.get('every', 10))"),
}


@pytest.mark.parametrize("label", WRONG)
def test_wrong_version_is_named_and_refuted(label):
    exercise, source, fragment = WRONG[label]
    outcome = visible_test(NOTEBOOK, exercise, source)
    assert not outcome.passed, f"{label}: the visible test passed"
    assert fragment in outcome.message, f"{label}: {outcome}"
    assert not hidden_test(NOTEBOOK, exercise, source).passed, f"{label}: the hidden test passed"
    assert verification(exercise, source), f"{label}: the verification did not refute it"


@pytest.mark.parametrize("label", MUST_RAISE)
def test_schedule_that_should_raise_is_named_and_fails_the_hidden_test(label):
    source, fragment = MUST_RAISE[label]
    outcome = visible_test(NOTEBOOK, "lr_schedule", source)
    assert not outcome.passed and fragment in outcome.message, f"{label}: {outcome}"
    assert not hidden_test(NOTEBOOK, "lr_schedule", source).passed, f"{label}: the hidden test passed"
    if "unknown kind" in label:  # the spec asks an unknown kind for its ValueError (total_epochs: tests only)
        assert verification("lr_schedule", source), f"{label}: not refuted by the verification"


@pytest.mark.parametrize("exercise", CORRECT)
def test_correct_version_written_differently_passes(exercise):
    outcome = hidden_test(NOTEBOOK, exercise, CORRECT[exercise])
    assert outcome.passed and not outcome.warned, str(outcome)
    assert verification(exercise, CORRECT[exercise]) == []


# ---------------------------------------------------------------- the grader's diagnosis (autograder.judging.mistakes)

def _nesterov(velocity, step):
    return _momentum(velocity, step).replace("momentum_update", "nesterov_update")


def _cache_rule(exercise, cache, step):
    signature = "adagrad_update(params, grads, cache, lr, eps=1e-8)" if exercise == "adagrad_update" else \
        "rmsprop_update(params, grads, cache, lr, rho=0.9, eps=1e-8)"
    return f'''import numpy as np
def {signature}:
    new_params, new_cache = {{}}, {{}}
    for k in params:
        g = grads["d" + k]
        s = {cache}
        new_cache[k] = s
        new_params[k] = {step}
    return new_params, new_cache
'''


def _adam_with(m_new="beta1 * m[k] + (1 - beta1) * g", v_new="beta2 * v[k] + (1 - beta2) * g**2"):
    return _adam(*CORRECTED).replace("beta1 * m[k] + (1 - beta1) * g", m_new).replace(
        "beta2 * v[k] + (1 - beta2) * g**2", v_new)


HEAVY, LOOK_AHEAD, SUM = "params[k] - lr * v", "params[k] - lr * (g + beta * v)", "beta * velocity[k] + g"
ADAGRAD, RMSPROP = "cache[k] + g**2", "rho * cache[k] + (1 - rho) * g**2"
ROOT_STEP = "params[k] - lr * g / (np.sqrt(s) + eps)"
WRONG_NAMED = {
    "momentum with lr * g in the velocity": "lr_in_the_velocity",
    "momentum's (1 - beta) on the old velocity": "one_minus_beta_on_the_velocity",
    "Nesterov's momentum term with the old velocity": "old_velocity_in_the_step",
    "Adam m_hat by 1 - beta1 * t": "m_corrected_by_a_product", "Adam steps with the raw gradient": "raw_gradient_step",
    "momentum returns (velocity, params)": "returned_swapped", "Nesterov returns (velocity, params)": "returned_swapped",
    "Nesterov with beta on both terms": "beta_on_both_terms", "Adam v_hat corrected with beta1**t": "v_corrected_with_beta1",
    "Adam ignores its eps argument": "eps_ignored", "a 0-d array for the constant rate": "not_a_python_float",
    "velocity updated in place": "changes_its_inputs",
}
DIAGNOSED = [
    *[(WRONG[label][0], WRONG[label][1], name) for label, name in WRONG_NAMED.items()],
    ("lr_schedule", MUST_RAISE["unknown kind quietly gives lr0"][0], "unknown_kind_not_refused"),
    ("lr_schedule", MUST_RAISE["unknown kind raises without naming the valid ones"][0], "unknown_kind_unexplained"),
    ("momentum_update", _momentum("beta * velocity[k] + (1 - beta) * g", HEAVY), "averaged_velocity"),
    ("momentum_update", _momentum("beta * velocity[k] - g", "params[k] + lr * v"), "sign_flipped"),
    ("momentum_update", _momentum("beta * velocity[k] - lr * g", "params[k] + v"), "other_convention"),
    ("momentum_update", _momentum("velocity[k] + beta * g", HEAVY), "beta_on_the_gradient"),
    ("momentum_update", _momentum("g", HEAVY), "velocity_ignored"),
    ("momentum_update", _momentum(SUM, "params[k] + lr * v"), "uphill"),
    ("momentum_update", _momentum(SUM, "params[k] - lr * velocity[k]"), "old_velocity_in_the_step"),
    ("momentum_update", _momentum(SUM, "params[k] - lr * g"), "gradient_only_step"),
    ("momentum_update", _momentum(SUM, "params[k] - lr * (g + v)"), "nesterov_step"),
    ("nesterov_update", _nesterov("beta * velocity[k] + (1 - beta) * g", LOOK_AHEAD), "averaged_velocity"),
    ("nesterov_update", _nesterov("beta * velocity[k] + lr * g", "params[k] - (lr * g + beta * v)"), "lr_in_the_velocity"),
    ("nesterov_update", _nesterov("g", LOOK_AHEAD), "velocity_ignored"),
    ("nesterov_update", _nesterov(SUM, HEAVY), "heavy_ball_step"),
    ("nesterov_update", _nesterov(SUM, "params[k] + lr * (g + beta * v)"), "uphill"),
    ("nesterov_update", _nesterov(SUM, "params[k] - lr * beta * v"), "gradient_term_missing"),
    ("adagrad_update", _cache_rule("adagrad_update", "g**2", ROOT_STEP), "cache_replaced"),
    ("adagrad_update", _cache_rule("adagrad_update", ADAGRAD, "params[k] - lr * g / (s + eps)"), "no_square_root"),
    ("adagrad_update", _cache_rule("adagrad_update", ADAGRAD, "params[k] - lr * g / (np.sqrt(cache[k]) + eps)"),
     "old_cache_in_the_step"),
    ("adagrad_update", _cache_rule("adagrad_update", ADAGRAD, "params[k] + lr * g / (np.sqrt(s) + eps)"), "uphill"),
    ("adagrad_update", _cache_rule("adagrad_update", ADAGRAD, "params[k] - lr * g / np.sqrt(s + eps)"), "eps_inside_the_root"),
    ("adagrad_update", _cache_rule("adagrad_update", ADAGRAD, "params[k] - lr * g / (np.sqrt(s) + 1e-8)"), "eps_ignored"),
    ("adagrad_update", _cache_rule("adagrad_update", "cache[k]", ROOT_STEP).replace(
        "        s = cache[k]\n", "        cache[k] += g**2\n        s = cache[k]\n"), "changes_its_inputs"),
    ("rmsprop_update", _cache_rule("rmsprop_update", "(1 - rho) * cache[k] + rho * g**2", ROOT_STEP), "rho_swapped"),
    ("rmsprop_update", _cache_rule("rmsprop_update", ADAGRAD, ROOT_STEP), "adagrad_sum"),
    ("rmsprop_update", _cache_rule("rmsprop_update", "cache[k] + (1 - rho) * g**2", ROOT_STEP), "rho_missing_on_the_cache"),
    ("rmsprop_update", _cache_rule("rmsprop_update", RMSPROP, ROOT_STEP).replace("rho=0.9", "rho=0.99"), "default_rho"),
    ("rmsprop_update", _cache_rule("rmsprop_update", "0.9 * cache[k] + 0.1 * g**2", ROOT_STEP), "rho_ignored"),
    ("rmsprop_update", _cache_rule("rmsprop_update", RMSPROP, "params[k] - lr * g / (s + eps)"), "no_square_root"),
    ("rmsprop_update", _cache_rule("rmsprop_update", RMSPROP, "params[k] - lr * g / (np.sqrt(cache[k]) + eps)"),
     "old_cache_in_the_step"),
    ("rmsprop_update", _cache_rule("rmsprop_update", RMSPROP, "params[k] + lr * g / (np.sqrt(s) + eps)"), "uphill"),
    ("rmsprop_update", _cache_rule("rmsprop_update", RMSPROP, "params[k] - lr * g / np.sqrt(s + eps)"), "eps_inside_the_root"),
    ("rmsprop_update", _cache_rule("rmsprop_update", RMSPROP, "params[k] - lr * g / (np.sqrt(s) + 1e-8)"), "eps_ignored"),
    ("adam_update", _adam_with().replace("return new_params, new_m, new_v",
                                         "return new_params, {k: new_m[k] / (1 - beta1**t) for k in new_m}, new_v"),
     "returned_corrected_m"),
    ("adam_update", _adam_with().replace("return new_params, new_m, new_v",
                                         "return new_params, new_m, {k: new_v[k] / (1 - beta2**t) for k in new_v}"),
     "returned_corrected_v"),
    ("adam_update", _adam_with(m_new="(1 - beta1) * m[k] + beta1 * g"), "beta1_swapped"),
    ("adam_update", _adam_with(v_new="(1 - beta2) * v[k] + beta2 * g**2"), "beta2_swapped"),
    ("adam_update", _adam_with().replace("beta2=0.999", "beta2=0.99"), "default_beta2"),
    ("adam_update", _adam_with(m_new="(1 - beta1) * g"), "m_ignored"),
    ("adam_update", _adam_with(v_new="(1 - beta2) * g**2"), "v_ignored"),
    ("adam_update", _adam("new_m[k]", "new_v[k]"), "no_bias_correction"),
    ("adam_update", _adam("new_m[k] / (1 - beta1**(t + 1))", "new_v[k] / (1 - beta2**(t + 1))"), "t_plus_one"),
    ("adam_update", _adam("new_m[k] / (1 - beta1)", "new_v[k] / (1 - beta2)"), "t_ignored"),
    ("adam_update", _adam("new_m[k]", CORRECTED[1]), "only_v_corrected"),
    ("adam_update", _adam(CORRECTED[0], "new_v[k]"), "only_m_corrected"),
    ("adam_update", _adam(*CORRECTED, step="params[k] + lr * m_hat / (np.sqrt(v_hat) + eps)"), "uphill"),
    ("adam_update", _adam(*CORRECTED, step="params[k] - lr * m_hat / np.sqrt(v_hat + eps)"), "eps_inside_the_root"),
    ("adam_update", _adam(*CORRECTED).replace("        g = grads", "        m[k] = m[k] * 1.0\n        m[k] *= 1\n        g = grads")
     .replace("new_m[k] = beta1 * m[k]", "m[k] *= beta1\n        new_m[k] = m[k]"), "changes_its_inputs"),
]


@pytest.mark.parametrize("exercise, source, name", DIAGNOSED, ids=[f"{e}-{n}" for e, _, n in DIAGNOSED])
def test_a_slip_is_diagnosed_in_the_visible_tests_words(exercise, source, name):
    assert_diagnosed(NOTEBOOK, exercise, source, name)


CORRECT_ALL = [*[(e, f"from tests.support.alternatives import _alt_{e} as {e}\n") for e in EXERCISES[NOTEBOOK]],
               *CORRECT.items(), ("adam_update", _adam(*CORRECTED)), ("momentum_update", _momentum(SUM, HEAVY)),
               ("nesterov_update", _nesterov(SUM, LOOK_AHEAD)), ("adagrad_update", _cache_rule("adagrad_update", ADAGRAD, ROOT_STEP)),
               ("rmsprop_update", _cache_rule("rmsprop_update", RMSPROP, ROOT_STEP))]


@pytest.mark.parametrize("exercise, source", CORRECT_ALL, ids=[e for e, _ in CORRECT_ALL])
def test_a_correct_version_shows_none_of_the_named_mistakes(exercise, source):
    assert diagnosis(exercise, source).mistake not in {m.name for m in MISTAKES[exercise]}


@pytest.mark.parametrize("exercise, name", [t for t in transforms(NOTEBOOK) if t[0] == "lr_schedule"],
                         ids=lambda value: value)
def test_each_slip_of_one_schedule_is_named_in_its_visible_tests_words(exercise, name):
    assert_transform_is_its_own_mistake(NOTEBOOK, exercise, name)
