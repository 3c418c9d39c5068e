"""10_batchnorm: each wrong version gets a message that names its slip from the visible test, and is refuted
by the hidden test and by the verification; correct versions written differently pass all three."""


import numpy as np
import pytest

from autograder.judging.specs import MISTAKES
from autograder.reference import EXERCISES
from tests.support import alternatives_going_further, wrong_versions
from tests.support.wrong_versions import assert_diagnosed, diagnosis, hidden_test, verification, visible_test

NAME = "10_batchnorm"

STAGED = '''
import numpy as np


def batchnorm_backward_staged(dout, cache, return_nodes=False):
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    m = Z_hat.shape[1]
    s = (var + eps) ** -0.5
    D = Z_hat / s
    dP = dout
    dbeta = np.sum(dout, axis=1, keepdims=True)
    dZ_hat = dP * gamma
    dgamma = np.sum(dP * Z_hat, axis=1, keepdims=True)
    dD = dZ_hat * s
    ds = np.sum(dZ_hat * D, axis=1, keepdims=True)
    dvar = ds * -0.5 * (var + eps) ** -1.5
    dQ = np.ones_like(D) * dvar / m
    dD = dD + 2 * D * dQ
    dmu = -np.sum(dD, axis=1, keepdims=True)
    dZ = dD + np.ones_like(D) * dmu / m
    if not return_nodes:
        return dZ, dgamma, dbeta
    return dZ, dgamma, dbeta, {"P": dP, "Z_hat": dZ_hat, "s": ds, "var": dvar, "Q": dQ, "D": dD, "mu": dmu}
'''

SIMPLIFIED = '''
import numpy as np


def batchnorm_backward(dout, cache):
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    m = Z_hat.shape[1]
    dZ_hat = dout * gamma
    dZ = (m * dZ_hat - np.sum(dZ_hat, axis=1, keepdims=True)
          - Z_hat * np.sum(dZ_hat * Z_hat, axis=1, keepdims=True)) / (m * np.sqrt(var + eps))
    dgamma = np.sum(dout * Z_hat, axis=1, keepdims=True)
    dbeta = np.sum(dout, axis=1, keepdims=True)
    return dZ, dgamma, dbeta
'''

RUNNING = '''
def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    return (momentum * running_mean + (1 - momentum) * batch_mean,
            momentum * running_var + (1 - momentum) * batch_var)
'''


def _edit(source, old, new):
    assert source.count(old) == 1, old
    return source.replace(old, new)


WRONG = [  # (exercise, source, a fragment of the visible test's message)
    ("batchnorm_backward_staged", _edit(STAGED, "    dD = dD + 2 * D * dQ\n", ""), "D is also read by Q = D^2"),
    ("batchnorm_backward_staged", _edit(STAGED, "dD = dD + 2 * D * dQ", "dD = 2 * D * dQ"),
     "only the contribution through Q"),
    ("batchnorm_backward_staged", _edit(STAGED, "dD = dD + 2 * D * dQ", "dD = dD + D * dQ"), "the factor 2 is missing"),
    ("batchnorm_backward_staged", _edit(STAGED, "dQ = np.ones_like(D) * dvar / m", "dQ = dvar / m"),
     "copy the column over the m columns"),
    ("batchnorm_backward_staged", _edit(STAGED, "dQ = np.ones_like(D) * dvar / m", "dQ = np.ones_like(D) * dvar / (m - 1)"),
     "dQ divides by m - 1"),
    ("batchnorm_backward_staged", _edit(STAGED, "dQ = np.ones_like(D) * dvar / m", "dQ = np.ones_like(D) * dvar"),
     "lacks the 1/m of the mean"),
    ("batchnorm_backward_staged", _edit(STAGED, "dmu = -np.sum(", "dmu = np.sum("), "dmu has the wrong sign"),
    ("batchnorm_backward_staged", _edit(STAGED, "dmu = -np.sum(dD, axis=1, keepdims=True)", "dmu = -dD"),
     "(n, 1) column broadcast over the examples"),
    ("batchnorm_backward_staged", _edit(STAGED, "dZ = dD + np.ones_like(D) * dmu / m", "dZ = dD"), "Z is read twice"),
    ("batchnorm_backward_staged", _edit(STAGED, "dZ = dD + np.ones_like(D) * dmu / m", "dZ = dD + dmu"),
     "the 1/m is missing"),
    ("batchnorm_backward_staged", _edit(STAGED, "ds = np.sum(dZ_hat * D, axis=1,", "ds = np.sum(dZ_hat * D, axis=0,"),
     "summed over axis=0, the units"),
    ("batchnorm_backward_staged", _edit(STAGED, "ds = np.sum(dZ_hat * D,", "ds = np.sum(dZ_hat * Z_hat,"),
     "ds multiplies dZ_hat by Z_hat"),
    ("batchnorm_backward_staged", _edit(STAGED, "D = Z_hat / s", "D = Z_hat * s"), "ds uses D = Z_hat * s"),
    ("batchnorm_backward_staged", _edit(STAGED, "dvar = ds * -0.5 *", "dvar = ds * 0.5 *"), "dvar has the wrong sign"),
    ("batchnorm_backward_staged", _edit(STAGED, "(var + eps) ** -1.5", "(var + eps) ** -0.5"), "power -1/2"),
    ("batchnorm_backward_staged", _edit(STAGED, "dgamma = np.sum(dP * Z_hat,", "dgamma = np.sum(dP,"),
     "dgamma lacks Z_hat"),
    ("batchnorm_backward_staged", _edit(STAGED, "dbeta = np.sum(dout,", "dbeta = np.mean(dout,"),
     "dbeta is a mean over the examples"),
    ("batchnorm_backward_staged", _edit(STAGED, "dZ_hat = dP * gamma", "dZ_hat = dP"),
     "Z_hat gets dP times the other factor, gamma"),
    ("batchnorm_backward_staged", _edit(STAGED, "dZ_hat = dP * gamma", "dZ_hat = dP\n    dZ_hat *= gamma"),
     "modified its input dout in place: dP = dout is dout itself"),
    ("batchnorm_backward_staged", _edit(STAGED, '{"P": dP,', '{"dP": dP,'), "by its node's name, 'P', not 'dP'"),
    ("batchnorm_backward_staged", _edit(STAGED, "    if not return_nodes:\n        return dZ, dgamma, dbeta\n"
                                                "    return dZ, dgamma, dbeta, {", "    return dZ, dgamma, dbeta  # {"),
     "return a tuple (dZ, dgamma, dbeta, node_grads)"),
    # Four values on the plain call breaks the contract that batchnorm_backward shares.
    ("batchnorm_backward_staged", _edit(STAGED, "    if not return_nodes:\n        return dZ, dgamma, dbeta\n", ""),
     "returned 4 values: its contract is (dZ, dgamma, dbeta)"),
    # The signature without the option, returning the four values.
    ("batchnorm_backward_staged", _edit(_edit(STAGED, "    if not return_nodes:\n        return dZ, dgamma, dbeta\n", ""),
                                        "cache, return_nodes=False)", "cache)"),
     "takes no argument return_nodes"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "dZ = (m * dZ_hat - np.sum(dZ_hat, axis=1, keepdims=True)\n"
                                             "          - Z_hat * np.sum(dZ_hat * Z_hat, axis=1, keepdims=True))",
                                 "dZ = (m * dZ_hat)"), "treats the mean and the variance as constants"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "          - Z_hat * np.sum(dZ_hat * Z_hat, axis=1, keepdims=True))",
                                 "          )"), "the path through the variance is missing"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "(m * dZ_hat - np.sum(dZ_hat, axis=1, keepdims=True)", "(m * dZ_hat"),
     "the path through the mean is missing"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "    m = Z_hat.shape[1]\n", "    m = Z_hat.shape[1] - 1\n"), "nor m - 1"),
    ("batchnorm_backward", SIMPLIFIED.replace("axis=1, keepdims=True)\n          -", "axis=0, keepdims=True)\n          -")
     .replace("Z_hat, axis=1, keepdims=True)) /", "Z_hat, axis=0, keepdims=True)) /"),
     "disagrees with your batchnorm_backward_staged, which is right here"),  # no formula in the test to name it by
    ("batchnorm_backward", _edit(SIMPLIFIED, "- Z_hat * np.sum(dZ_hat * Z_hat,",
                                 "- Z_hat * (var + eps) * np.sum(dZ_hat * Z_hat,"), "uses D = Z_hat * sqrt(var + eps)"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "dgamma = np.sum(dout * Z_hat,", "dgamma = np.sum(dout,"),
     "dgamma (the worked example) lacks Z_hat"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "np.sqrt(var + eps))", "np.sqrt(var))"), "eps is missing"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "np.sqrt(var + eps))", "(var + eps))"), "it divides by var + eps"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "- Z_hat * np.sum(", "- 2 * Z_hat * np.sum("),
     "disagrees with your batchnorm_backward_staged, which is right here"),
    ("batchnorm_backward", _edit(SIMPLIFIED, "    dZ_hat = dout * gamma\n", "    dZ_hat = dout\n    dZ_hat *= gamma\n"),
     "compute dZ, dgamma and dbeta as new arrays"),
    ("update_running_stats", '''
def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    running_mean *= momentum
    running_mean += (1 - momentum) * batch_mean
    running_var *= momentum
    running_var += (1 - momentum) * batch_var
    return running_mean, running_var
''', "momentum * running_mean + (1 - momentum) * batch_mean"),
    ("update_running_stats", RUNNING.replace("(1 - momentum) * batch_var", "(1 - momentum) * batch_mean"),
     "blends in the other statistic of the batch"),
    ("update_running_stats", RUNNING.replace("(1 - momentum) * batch_var", "(1 - momentum) * batch_var ** 0.5"),
     "square root of the batch's statistic"),
    ("update_running_stats", RUNNING.replace("momentum * running_mean + (1 - momentum) * batch_mean",
                                             "(1 - momentum) * running_mean + momentum * batch_mean"),
     "the weights are swapped"),
]


def _hidden_part_refutes(exercise, source):
    """Whether the hidden tests ALONE (the test cell's hidden block, without its visible checks) reject
    `source`: a stronger claim than hidden_test failing, which the visible checks already ensure, and
    about ten times faster, so that every wrong version can be put to it."""
    cell = next(c for c in wrong_versions._cells(NAME) if c.metadata["nbgrader"]["grade_id"] == f"test_{exercise}")
    hidden = wrong_versions.HIDDEN_TESTS.search(cell.source).group(0)
    namespace = {}
    exec(compile("import warnings\nimport numpy as np\n" + source, exercise, "exec"), namespace)
    try:
        exec(compile(hidden, f"hidden test of {exercise}", "exec"), namespace)
    except Exception:  # noqa: BLE001 - an assertion, or whatever the wrong version raised
        return True
    return False


@pytest.mark.parametrize("exercise, source, fragment", WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_a_wrong_version_is_named_and_refuted(exercise, source, fragment):
    outcome = visible_test(NAME, exercise, source)
    assert not outcome.passed
    assert fragment in outcome.message, outcome.message
    assert "W = W - lr" not in outcome.message and "new = {}" not in outcome.message
    assert _hidden_part_refutes(exercise, source)
    assert verification(exercise, source)  # an input changed in place counts too


CORRECT = [
    ("batchnorm_backward_staged", STAGED),
    ("batchnorm_backward_staged", '''
import numpy as np


def batchnorm_backward_staged(dout, cache, return_nodes=False):
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    n, m = Z_hat.shape
    root = np.sqrt(var + eps)
    D = Z_hat * root
    grads = {"out": dout, "P": dout}
    grads["Z_hat"] = gamma * grads["P"]
    grads["s"] = (grads["Z_hat"] * D).sum(axis=1, keepdims=True)
    grads["var"] = -grads["s"] / (2 * root ** 3)
    grads["Q"] = np.broadcast_to(grads["var"] / m, (n, m))
    grads["D"] = grads["Z_hat"] / root
    grads["D"] += 2 * D * grads["Q"]
    grads["mu"] = -grads["D"].sum(axis=1, keepdims=True)
    dZ = grads["D"] + grads["mu"] / m
    result = (dZ, np.einsum("ij,ij->i", dout, Z_hat)[:, None], dout.sum(axis=1)[:, None])
    return result + (grads,) if return_nodes else result
'''),
    ("batchnorm_backward", SIMPLIFIED),
    ("batchnorm_backward", '''
import numpy as np


def batchnorm_backward(dout, cache):
    Z_hat = cache["Z_hat"]
    dZ_hat = dout * cache["gamma"]
    centred = dZ_hat - dZ_hat.mean(axis=1, keepdims=True)
    dZ = (centred - Z_hat * (dZ_hat * Z_hat).mean(axis=1, keepdims=True)) / np.sqrt(cache["var"] + cache["eps"])
    return dZ, (dout * Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)
'''),
    ("update_running_stats", '''
def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    return (running_mean + (1 - momentum) * (batch_mean - running_mean),
            running_var - (1 - momentum) * (running_var - batch_var))
'''),
]


@pytest.mark.parametrize("exercise, source", CORRECT, ids=[f"{c[0]}-{i}" for i, c in enumerate(CORRECT)])
def test_a_correct_version_written_differently_passes(exercise, source):
    outcome = visible_test(NAME, exercise, source)
    assert outcome.passed, outcome
    assert not outcome.warned
    assert hidden_test(NAME, exercise, source).passed
    assert not _hidden_part_refutes(exercise, source)
    assert verification(exercise, source) == []


def test_check_not_mutated_takes_a_hint_and_keeps_its_generic_one_by_default():
    from course import check

    def scale_in_place(running_mean, momentum=0.9):
        running_mean *= momentum
        return running_mean

    with pytest.raises(AssertionError, match=r"modified its input running_mean in place: build new arrays$"):
        check.check_not_mutated(scale_in_place, np.ones((2, 1)), hint="build new arrays")
    with pytest.raises(AssertionError, match=r"in place: work on a copy, e\.g\. W = W - lr \* dW"):
        check.check_not_mutated(scale_in_place, np.ones((2, 1)), momentum=0.5)


def test_the_verification_names_the_contract_when_the_plain_staged_call_returns_four_values():
    four_by_default = _edit(STAGED, "    if not return_nodes:\n        return dZ, dgamma, dbeta\n", "")
    reasons = verification("batchnorm_backward_staged", four_by_default)
    assert any("the contract is (dZ, dgamma, dbeta)" in reason for reason in reasons), reasons


# ---------------------------------------------------------------- the grader's named mistakes (judging.mistakes)

# (exercise, the fragment of a wrong version of WRONG): the mistake the grader names from its outputs alone.
# Not here: the two versions the visible test can only say "disagrees with your staged pass" of.
NAMED = {
    ("batchnorm_backward_staged", "D is also read by Q = D^2"): "dD_without_Q",
    ("batchnorm_backward_staged", "only the contribution through Q"): "dD_only_Q",
    ("batchnorm_backward_staged", "the factor 2 is missing"): "dD_Q_factor_2",
    ("batchnorm_backward_staged", "copy the column over the m columns"): "dQ_not_copied",
    ("batchnorm_backward_staged", "dQ divides by m - 1"): "dQ_m_minus_1",
    ("batchnorm_backward_staged", "lacks the 1/m of the mean"): "dQ_no_mean",
    ("batchnorm_backward_staged", "dmu has the wrong sign"): "dmu_sign",
    ("batchnorm_backward_staged", "(n, 1) column broadcast over the examples"): "dmu_not_summed",
    ("batchnorm_backward_staged", "Z is read twice"): "dZ_only_D",
    ("batchnorm_backward_staged", "the 1/m is missing"): "dZ_no_mean",
    ("batchnorm_backward_staged", "summed over axis=0, the units"): "ds_over_units",
    ("batchnorm_backward_staged", "ds multiplies dZ_hat by Z_hat"): "ds_Z_hat",
    ("batchnorm_backward_staged", "ds uses D = Z_hat * s"): "D_times_s",
    ("batchnorm_backward_staged", "dvar has the wrong sign"): "dvar_sign",
    ("batchnorm_backward_staged", "power -1/2"): "dvar_power",
    ("batchnorm_backward_staged", "dgamma lacks Z_hat"): "dgamma_no_Z_hat",
    ("batchnorm_backward_staged", "dbeta is a mean over the examples"): "dbeta_mean",
    ("batchnorm_backward_staged", "Z_hat gets dP times the other factor, gamma"): "dZ_hat_no_gamma",
    ("batchnorm_backward_staged", "modified its input dout in place: dP = dout is dout itself"): "changed_in_place",
    ("batchnorm_backward_staged", "by its node's name, 'P', not 'dP'"): "nodes_keyed_d",
    ("batchnorm_backward_staged", "return a tuple (dZ, dgamma, dbeta, node_grads)"): "three_values_with_nodes",
    ("batchnorm_backward_staged", "returned 4 values: its contract is (dZ, dgamma, dbeta)"): "four_values_by_default",
    ("batchnorm_backward_staged", "takes no argument return_nodes"): "no_return_nodes",
    ("batchnorm_backward", "treats the mean and the variance as constants"): "statistics_constant",
    ("batchnorm_backward", "the path through the variance is missing"): "no_variance_path",
    ("batchnorm_backward", "the path through the mean is missing"): "no_mean_path",
    ("batchnorm_backward", "nor m - 1"): "count_minus_1",
    ("batchnorm_backward", "uses D = Z_hat * sqrt(var + eps)"): "variance_path_with_D",
    ("batchnorm_backward", "dgamma (the worked example) lacks Z_hat"): "dgamma_no_Z_hat",
    ("batchnorm_backward", "eps is missing"): "eps_missing",
    ("batchnorm_backward", "it divides by var + eps"): "divided_by_variance",
    ("batchnorm_backward", "compute dZ, dgamma and dbeta as new arrays"): "changed_in_place",
    ("update_running_stats", "momentum * running_mean + (1 - momentum) * batch_mean"): "changed_in_place",
    ("update_running_stats", "blends in the other statistic of the batch"): "other_statistic",
    ("update_running_stats", "square root of the batch's statistic"): "square_root",
    ("update_running_stats", "the weights are swapped"): "mean_weights_swapped",
}
DIAGNOSED = [(exercise, source, NAMED[exercise, fragment]) for exercise, source, fragment in WRONG
             if (exercise, fragment) in NAMED]


@pytest.mark.parametrize("exercise, source, mistake", DIAGNOSED, ids=[f"{d[0]}-{d[2]}-{i}" for i, d in enumerate(DIAGNOSED)])
def test_the_grader_names_a_wrong_version_s_slip_in_its_visible_test_s_words(exercise, source, mistake):
    assert_diagnosed(NAME, exercise, source, mistake, "import numpy as np\n" + source)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_correct_version_is_never_named_as_a_mistake(seed):
    sources = CORRECT + [(exercise, f"from {alternatives_going_further.__name__} import "
                                    f"{alternatives_going_further.ALTERNATIVES[exercise].__name__} as {exercise}\n")
                         for exercise in EXERCISES[NAME]]
    for exercise, source in sources:
        named = {m.name for m in MISTAKES[exercise]}
        assert diagnosis(exercise, source, seed=seed).mistake not in named, source


def test_each_wrong_transform_is_named_as_itself_and_as_no_other_mistake():
    """Fed its own transform, a mistake's diagnosis is that mistake on some seed and never another one (a
    seed whose cases do not show the slip refutes nothing: unrecognised)."""
    for exercise in EXERCISES[NAME]:
        for mistake in (m for m in MISTAKES[exercise] if m.wrong is not None):
            source = (f"from autograder.judging.specs import MISTAKES\n{exercise} = next(m for m in "
                      f"MISTAKES[{exercise!r}] if m.name == {mistake.name!r}).wrong\n")
            named = {diagnosis(exercise, source, seed=seed).mistake for seed in range(4)}
            assert named <= {mistake.name, "unrecognised"}, (exercise, mistake.name, named)
            assert mistake.name in named, (exercise, mistake.name)
