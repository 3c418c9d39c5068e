"""The reference of notebooks 09 and 10 reproduces the syllabus's worked numbers, and its gradients are
those of central differences (reverse and forward mode on random tapes, batch and layer norm), with
the finite differences of tests.support.finite_differences, written apart from the reference's own."""

import numpy as np
import pytest

from autograder import reference as ref
from autograder.judging import random_inputs
from autograder.reference import autodiff
from tests.support.finite_differences import finite_difference_grads

WORKED_TAPE = [("z", "matmul", ("W", "x")), ("a", "add", ("z", "b")), ("h", "tanh", ("a",)), ("s", "sum", ("h",))]
WORKED_VALUES = {"x": np.array([[1.0], [2.0]]), "W": np.array([[0.5, -1.0], [2.0, 0.25]]),
                 "b": np.array([[0.1], [-0.3]])}


def test_the_worked_tape():
    values = ref.evaluate(WORKED_TAPE, WORKED_VALUES)
    np.testing.assert_allclose(values["z"].ravel(), [-1.5, 2.5])
    np.testing.assert_allclose(values["a"].ravel(), [-1.4, 2.2])
    np.testing.assert_allclose(values["h"].ravel(), [-0.885352, 0.975743], atol=5e-7)
    assert float(values["s"]) == pytest.approx(0.090391, abs=5e-7)
    grads = ref.reverse_mode(WORKED_TAPE, WORKED_VALUES, "s")
    for name in ("a", "b"):
        np.testing.assert_allclose(grads[name].ravel(), [0.216152, 0.047925], atol=5e-7)
    np.testing.assert_allclose(grads["W"], [[0.216152, 0.432305], [0.047925, 0.095851]], atol=5e-7)
    np.testing.assert_allclose(grads["x"].ravel(), [0.203927, -0.204171], atol=5e-7)
    assert set(grads) == set(values) and WORKED_VALUES["x"].tolist() == [[1.0], [2.0]]


def test_the_worked_batch_norm():
    Z = np.array([[1.0, 2, 4], [-1, 0, 3]])
    out, cache = ref.batchnorm_forward(Z, np.array([[2.0], [0.5]]), np.array([[0.1], [-0.2]]), eps=1e-5)
    np.testing.assert_allclose(cache["mean"].ravel(), [2.333333, 0.666667], atol=5e-7)
    np.testing.assert_allclose(cache["var"].ravel(), [1.555556, 2.888889], atol=5e-7)
    np.testing.assert_allclose(out, [[-2.038083, -0.434521, 2.772604], [-0.690289, -0.396116, 0.486405]], atol=5e-7)
    dZ, dgamma, dbeta = ref.batchnorm_backward(np.array([[0.5, -1, 2], [1, 0, -1]]), cache)
    np.testing.assert_allclose(dZ, [[1.374473, -2.061725, 0.687252], [0.067887, -0.090515, 0.022628]], atol=5e-7)
    np.testing.assert_allclose(dgamma, [[2.405343], [-2.353390]], atol=5e-7)
    np.testing.assert_allclose(dbeta, [[1.5], [0.0]], atol=1e-12)


def _batch_norm_nodes(Z, gamma, beta, eps, replaced):
    """The nodes of batch norm's graph in forward order; a node in `replaced` takes that value, so only the
    nodes after it are recomputed (written apart from the reference)."""
    nodes = {}
    steps = (("mu", lambda: Z.mean(axis=1, keepdims=True)), ("D", lambda: Z - nodes["mu"]),
             ("Q", lambda: nodes["D"] * nodes["D"]), ("var", lambda: nodes["Q"].mean(axis=1, keepdims=True)),
             ("s", lambda: 1 / np.sqrt(nodes["var"] + eps)), ("Z_hat", lambda: nodes["D"] * nodes["s"]),
             ("P", lambda: gamma * nodes["Z_hat"]), ("out", lambda: nodes["P"] + beta))
    for name, compute in steps:
        nodes[name] = replaced[name] if name in replaced else compute()
    return nodes


@pytest.mark.parametrize("shape, eps", [((2, 3), 1e-5), ((4, 5), 0.3), ((1, 2), 1e-3)])
def test_the_staged_batch_norm_backward_node_by_node(shape, eps):
    rng = np.random.default_rng(shape[1])
    Z, gamma, beta, dout = (rng.standard_normal(shape) * 2 + 1, rng.uniform(-2, 2, (shape[0], 1)),
                            rng.standard_normal((shape[0], 1)), rng.standard_normal(shape))
    _, cache = ref.batchnorm_forward(Z, gamma, beta, eps=eps)
    dZ, dgamma, dbeta, nodes = ref.batchnorm_backward_staged(dout, cache, return_nodes=True)
    values = _batch_norm_nodes(Z, gamma, beta, eps, {})
    numeric = {}
    for name in ref.batchnorm.STAGED_NODES:  # one node moved at a time, the nodes after it recomputed
        numeric.update(finite_difference_grads(
            lambda p: float(np.sum(dout * _batch_norm_nodes(Z, gamma, beta, eps, p)["out"])), {name: values[name]}))
    assert set(nodes) == set(ref.batchnorm.STAGED_NODES)
    for name in ref.batchnorm.STAGED_NODES:
        assert nodes[name].shape == values[name].shape
        np.testing.assert_allclose(nodes[name], numeric["d" + name], rtol=1e-5, atol=1e-6, err_msg=name)
    plain = ref.batchnorm_backward_staged(dout, cache)
    assert isinstance(plain, tuple) and len(plain) == 3  # the contract: batchnorm_backward's
    for got, again, want in zip((dZ, dgamma, dbeta), plain, ref.batchnorm_backward(dout, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(again, got)


def test_the_worked_staged_batch_norm():
    Z = np.array([[1.0, 2, 4], [-1, 0, 3]])
    _, cache = ref.batchnorm_forward(Z, np.array([[2.0], [0.5]]), np.array([[0.1], [-0.2]]), eps=1e-5)
    dZ, dgamma, dbeta, nodes = ref.batchnorm_backward_staged(np.array([[0.5, -1, 2], [1, 0, -1]]), cache,
                                                             return_nodes=True)
    np.testing.assert_allclose(dZ, [[1.374473, -2.061725, 0.687252], [0.067887, -0.090515, 0.022628]], atol=5e-7)
    np.testing.assert_allclose(dgamma, [[2.405343], [-2.353390]], atol=5e-7)
    np.testing.assert_allclose(dbeta, [[1.5], [0.0]], atol=1e-12)
    np.testing.assert_allclose(nodes["s"], [[6.0], [-2.0]], atol=1e-9)  # the notebook quotes it


def test_the_staged_batch_norm_backward_on_array_api_strict():
    xp = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(8)
    Z, gamma, beta, dout = rng.standard_normal((3, 4)), rng.uniform(0.5, 2, (3, 1)), np.zeros((3, 1)), \
        rng.standard_normal((3, 4))
    want = ref.batchnorm_backward_staged(dout, ref.batchnorm_forward(Z, gamma, beta)[1], return_nodes=True)
    got = ref.batchnorm_backward_staged(xp.asarray(dout), ref.batchnorm_forward(xp.asarray(Z), xp.asarray(gamma),
                                                                                xp.asarray(beta))[1],
                                        return_nodes=True)
    for g, w in zip(got[:3], want[:3]):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-12, atol=1e-12)
    for name in want[3]:
        np.testing.assert_allclose(np.asarray(got[3][name]), want[3][name], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_reverse_and_forward_mode_agree_with_central_differences(seed):
    rng = np.random.default_rng(seed)
    for tape, values in autodiff._tapes(rng):
        output = tape[-1][0]
        grads = ref.reverse_mode(tape, values, output)
        assert "Y" not in values or not np.any(grads["Y"])
        inputs = {name: np.asarray(value, dtype=float) for name, value in values.items() if name != "Y"}
        numeric = finite_difference_grads(lambda changed: float(ref.evaluate(tape, {**values, **changed})[output]),
                                          inputs)
        tangents = {}
        for name, value in inputs.items():
            np.testing.assert_allclose(grads[name], numeric[f"d{name}"], rtol=1e-5, atol=1e-6)
            tangents[name] = rng.standard_normal(value.shape) if value.ndim else 0.3
        directional = ref.forward_mode(tape, values, tangents)[output]
        assert float(directional) == pytest.approx(sum(float(np.sum(grads[n] * t)) for n, t in tangents.items()))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("layers", [1, 3])
def test_the_network_tape_gives_backward_batch(activation, layers):
    rng = np.random.default_rng(layers)
    sizes = [4] + [5] * (layers - 1) + [3]
    params, X, Y = random_inputs.params(rng, sizes), rng.standard_normal((4, 6)), random_inputs.one_hot(rng, 3, 6)
    AL, cache = ref.forward(X, params, activation, "softmax")
    want = ref.backward_batch(Y, params, cache, activation, "softmax", "cross_entropy")
    tape = ref.network_tape(layers, activation)
    got = ref.reverse_mode(tape, {"X": X, "Y": Y, **params}, "C")
    assert tape[-1][0] == "C"
    assert float(ref.evaluate(tape, {"X": X, "Y": Y, **params})["C"]) == pytest.approx(ref.cross_entropy_loss(AL, Y))
    for key in params:
        np.testing.assert_allclose(got[key], want["d" + key], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("forward, backward, axis", [(ref.batchnorm_forward, ref.batchnorm_backward, 1),
                                                      (ref.layernorm_forward, ref.layernorm_backward, 0)])
def test_normalisation_gradients_and_statistics(forward, backward, axis):
    rng = np.random.default_rng(3)
    Z, gamma, beta, dout = (rng.standard_normal((4, 5)) * 3 + 1, rng.uniform(0.5, 2, (4, 1)),
                            rng.standard_normal((4, 1)), rng.standard_normal((4, 5)))
    out, cache = forward(Z, gamma, beta)
    assert cache["mean"].shape == cache["var"].shape == ((4, 1) if axis == 1 else (1, 5))
    np.testing.assert_allclose(np.mean(cache["Z_hat"], axis=axis), 0, atol=1e-12)
    np.testing.assert_allclose(np.var(Z, axis=axis, keepdims=True), cache["var"])  # biased
    np.testing.assert_allclose(np.var(cache["Z_hat"], axis=axis, keepdims=True),
                               cache["var"] / (cache["var"] + 1e-5))  # eps inside the root
    numeric = finite_difference_grads(lambda p: float(np.sum(forward(p["Z"], p["gamma"], p["beta"])[0] * dout)),
                                      {"Z": Z, "gamma": gamma, "beta": beta})
    for got, name in zip(backward(dout, cache), ("dZ", "dgamma", "dbeta")):
        np.testing.assert_allclose(got, numeric[name], rtol=1e-5, atol=1e-7)


def test_inference_uses_the_running_statistics():
    rng = np.random.default_rng(4)
    running_mean, running_var = np.zeros((3, 1)), np.ones((3, 1))
    for _ in range(200):  # the running averages converge to the population's statistics
        _, cache = ref.batchnorm_forward(rng.normal(5, 2, (3, 64)), np.ones((3, 1)), np.zeros((3, 1)))
        running_mean, running_var = ref.update_running_stats(running_mean, running_var, cache["mean"], cache["var"])
    np.testing.assert_allclose(running_mean, 5, atol=0.3)
    np.testing.assert_allclose(running_var, 4, rtol=0.15)
    one = rng.normal(5, 2, (3, 1))
    out = ref.batchnorm_inference(one, np.ones((3, 1)), np.zeros((3, 1)), running_mean, running_var)
    np.testing.assert_allclose(out, (one - running_mean) / np.sqrt(running_var + 1e-5))
