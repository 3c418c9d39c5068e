"""03_backprop: derivatives, losses, the four backprop equations, and gradient checking.

delta[l] = dC/dZ[l] has the shape of Z[l], (n[l], m). The 1/m of the mean cost enters only in
dW and db (BP3, BP4), never in delta.
"""

import math

import numpy as np

from autograder.judging import Spec, as_number, call_reference, describe, random_inputs, same_as_reference

from ._namespace import as_float_array, namespace_of, num_layers
from .forward import forward, sigmoid, softmax
from .notation import numerical_gradient


def sigmoid_prime(z):
    """sigma'(z) = sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    return s * (1 - s)


def relu_prime(z):
    """1 where z > 0, else 0. By convention relu'(0) = 0."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return xp.astype(z > 0, z.dtype)


def leaky_relu_prime(z, alpha=0.01):
    """1 where z > 0, else alpha (alpha at exactly 0, matching relu'(0) = 0's side)."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return xp.where(z > 0, xp.ones_like(z), xp.full_like(z, alpha))


def tanh_prime(z):
    """1 - tanh(z)^2."""
    xp = namespace_of(z)
    t = xp.tanh(as_float_array(z, xp))
    return 1 - t * t


def softplus_prime(z):
    """d/dz log(1 + e^z) = sigma(z)."""
    return sigmoid(z)


def swish_prime(z):
    """d/dz z sigma(z) = sigma(z) + z sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    return s + z * s * (1 - s)


def identity_prime(z):
    """1 everywhere."""
    xp = namespace_of(z)
    return xp.ones_like(as_float_array(z, xp))


DERIVATIVES = {
    "sigmoid": sigmoid_prime,
    "relu": relu_prime,
    "leaky_relu": leaky_relu_prime,
    "tanh": tanh_prime,
    "softplus": softplus_prime,
    "swish": swish_prime,
    "identity": identity_prime,
}


def activation_prime(Z, activation):
    """g'(Z) for an element-wise activation named `activation`."""
    try:
        g_prime = DERIVATIVES[activation]
    except KeyError:
        raise ValueError(
            f"no element-wise derivative for {activation!r}; choose one of {sorted(DERIVATIVES)}"
        ) from None
    return g_prime(Z)


def _clip_probabilities(A, xp):
    # Keeps log() finite for probabilities of exactly 0 or 1; machine epsilon of A's own dtype,
    # so 1 - tiny is still below 1 in float32 too.
    tiny = float(xp.finfo(A.dtype).eps)
    return xp.clip(A, tiny, 1 - tiny)


def mse_loss(AL, Y):
    """Mean over the batch of 0.5 ||a - y||^2. AL, Y: (n[L], m). Returns a Python float."""
    xp = namespace_of(AL, Y)
    m = AL.shape[1]
    diff = AL - Y
    return float(0.5 * xp.sum(diff * diff) / m)


def bce_loss(AL, Y):
    """Binary cross-entropy, mean over the batch; finite for AL in {0, 1}. AL, Y: (n[L], m)."""
    xp = namespace_of(AL, Y)
    m = AL.shape[1]
    A = _clip_probabilities(AL, xp)
    return float(-xp.sum(Y * xp.log(A) + (1 - Y) * xp.log(1 - A)) / m)


def cross_entropy_loss(AL, Y):
    """Categorical cross-entropy -sum_k y_k log a_k, mean over the batch. AL, Y one-hot: (K, m)."""
    xp = namespace_of(AL, Y)
    m = AL.shape[1]
    return float(-xp.sum(Y * xp.log(_clip_probabilities(AL, xp))) / m)


LOSSES = {"mse": mse_loss, "bce": bce_loss, "cross_entropy": cross_entropy_loss}


def compute_loss(AL, Y, loss):
    """The mean cost named `loss` ("mse", "bce" or "cross_entropy")."""
    try:
        return LOSSES[loss](AL, Y)
    except KeyError:
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}") from None


def output_delta(AL, Y, ZL, loss, output_activation):
    """(BP1) delta[L] = dC/dA[L] * g'(Z[L]), per example (no 1/m). All arrays (n[L], m).

    Sigmoid + BCE and softmax + cross-entropy collapse to AL - Y. Squared error keeps g'(Z[L]),
    which is why a saturated sigmoid output learns slowly under MSE.
    """
    if (loss, output_activation) in {("bce", "sigmoid"), ("cross_entropy", "softmax")}:
        return AL - Y
    if loss == "mse" and output_activation in DERIVATIVES:
        return (AL - Y) * activation_prime(ZL, output_activation)
    raise ValueError(f"unsupported output pairing: loss {loss!r} with output activation {output_activation!r}")


def hidden_delta(delta_next, W_next, Z, activation):
    """(BP2) delta[l] = (W[l+1]^T delta[l+1]) * g'(Z[l]).

    delta_next (n[l+1], m), W_next (n[l+1], n[l]), Z (n[l], m) -> delta (n[l], m).
    """
    return (W_next.T @ delta_next) * activation_prime(Z, activation)


def param_gradients(delta, A_prev):
    """(BP3, BP4) averaged over the batch: dW = (1/m) delta A_prev^T, db = (1/m) delta 1.

    delta (n[l], m), A_prev (n[l-1], m) -> dW (n[l], n[l-1]), db (n[l], 1).
    For one example (m = 1) these are exactly delta A_prev^T and delta.
    """
    xp = namespace_of(delta, A_prev)
    m = delta.shape[1]
    dW = (delta @ A_prev.T) / m
    db = xp.sum(delta, axis=1, keepdims=True) / m
    return dW, db


def backward_pass(Y, params, cache, hidden_activation, output_activation, loss):
    """All four equations from layer L down to 1; gradients of the mean cost over the m columns."""
    L = num_layers(params)
    grads = {}
    delta = output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
    for l in range(L, 0, -1):
        grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta, cache[f"A{l - 1}"])
        if l > 1:
            delta = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], hidden_activation)
    return grads


def backward(Y, params, cache, hidden_activation, output_activation, loss):
    """Gradients for one example. Y (n[L], 1); cache from `forward`. Returns {"dW1", "db1", ...}."""
    if Y.shape[1] != 1:
        raise ValueError(f"backward handles one example (m = 1), got m = {Y.shape[1]}; use backward_batch")
    return backward_pass(Y, params, cache, hidden_activation, output_activation, loss)


def gradient_check(cost_fn, params, grads, eps=1e-6):
    """Relative error ||a - n|| / (||a|| + ||n||) between analytic grads and central differences.

    cost_fn(params) -> float. All parameters are flattened together; 0.0 when both are zero.
    """
    diff_sq = analytic_sq = numeric_sq = 0.0
    for key, value in params.items():
        numeric = numerical_gradient(lambda p, key=key: cost_fn({**params, key: p}), value, eps)
        xp = namespace_of(numeric)
        analytic = xp.asarray(grads[f"d{key}"], dtype=numeric.dtype)
        diff_sq += float(xp.sum((analytic - numeric) ** 2))
        analytic_sq += float(xp.sum(analytic**2))
        numeric_sq += float(xp.sum(numeric**2))
    denominator = math.sqrt(analytic_sq) + math.sqrt(numeric_sq)
    return 0.0 if denominator == 0 else math.sqrt(diff_sq) / denominator


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

ELEMENTWISE_HIDDEN = ("sigmoid", "relu", "leaky_relu", "tanh")  # this notebook's hidden activations
SINGLE_PAIRINGS = (("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mse", "identity"), ("mse", "sigmoid"))


def _cases_sigmoid_prime(rng):
    edge = np.concatenate([random_inputs.big_values(rng, (1, 4), 700, 2000), random_inputs.big_values(rng, (1, 4), 30, 60)])
    return [([4 * rng.standard_normal((random_inputs.integer(rng, 1, 6), 1))], {}),
            ([4 * rng.standard_normal((random_inputs.integer(rng, 2, 5), random_inputs.integer(rng, 2, 6)))], {}),
            ([random_inputs.with_exact(rng, edge, [1000.0, -1000.0, 0.0])], {})]


def _cases_relu_prime(rng):
    # relu'(0) = 0 is part of this exercise's contract, so exact zeros are fair here.
    return [([random_inputs.with_exact(rng, 3 * rng.standard_normal((random_inputs.integer(rng, 2, 6), 1)), [0.0])], {}),
            ([random_inputs.with_exact(rng, 3 * rng.standard_normal((random_inputs.integer(rng, 2, 5), random_inputs.integer(rng, 2, 6))),
                              [0.0, -0.0])], {})]


def _cases_leaky_relu_prime(rng):
    # alpha at exactly 0 (the side of relu'(0) = 0) is this exercise's contract too, so exact zeros are fair.
    return [([random_inputs.with_exact(rng, 3 * rng.standard_normal((random_inputs.integer(rng, 2, 6), 1)), [0.0])], {}),
            ([random_inputs.with_exact(rng, 3 * rng.standard_normal((random_inputs.integer(rng, 2, 5), random_inputs.integer(rng, 2, 6))),
                                       [0.0, -0.0])],
             {"alpha": float(rng.uniform(0.05, 0.3))})]


def _cases_tanh_prime(rng):
    return [([2 * rng.standard_normal((random_inputs.integer(rng, 1, 6), 1))], {}),
            ([random_inputs.with_exact(rng, 2 * rng.standard_normal((random_inputs.integer(rng, 2, 5), random_inputs.integer(rng, 2, 6))),
                              [25.0, -25.0])], {})]


def _cases_mse_loss(rng):
    cases = []
    for m in (1, random_inputs.integer(rng, 2, 9)):
        n = random_inputs.integer(rng, 1, 4)
        cases.append(([rng.standard_normal((n, m)), rng.standard_normal((n, m))], {}))
    return cases


def _cases_bce_loss(rng):
    cases = []
    for m in (1, random_inputs.integer(rng, 2, 9)):
        n = random_inputs.integer(rng, 1, 3)
        cases.append(([rng.uniform(0.02, 0.98, size=(n, m)), random_inputs.labels01(rng, n, m)], {}))
    # Probabilities of exactly 0 and 1 (finite cost required). Where they contradict the label the
    # value depends on the clipping constant, which is the student's choice, so only agreeing ones.
    m = random_inputs.integer(rng, 4, 9)
    Y = random_inputs.labels01(rng, 1, m)
    AL = np.where(rng.random((1, m)) < 0.5, Y, rng.uniform(0.05, 0.95, size=(1, m)))
    AL[0, 0], Y[0, 0], AL[0, 1], Y[0, 1] = 0.0, 0.0, 1.0, 1.0
    return cases + [([AL, Y], {})]


def _cases_cross_entropy_loss(rng):
    cases = []
    for m in (1, random_inputs.integer(rng, 2, 9)):
        K = random_inputs.integer(rng, 2, 5)
        cases.append(([softmax(2 * rng.standard_normal((K, m))), random_inputs.one_hot(rng, K, m)], {}))
    # Zero probabilities of wrong classes (0 * log 0 must not give NaN); the first column is a sure,
    # right answer. A zero probability of the true class is left out: its cost is the clip's choice.
    K, m = random_inputs.integer(rng, 3, 5), random_inputs.integer(rng, 3, 7)
    Y = random_inputs.one_hot(rng, K, m)
    AL = np.zeros((K, m))
    for j in range(m):
        p = 1.0 if j == 0 else float(rng.uniform(0.3, 0.95))
        weights = rng.random(K) * (rng.random(K) < 0.5) * (1 - Y[:, j])
        if weights.sum() == 0:
            weights[int(np.flatnonzero(Y[:, j] == 0)[0])] = 1.0
        AL[:, j] = p * Y[:, j] + (1 - p) * weights / weights.sum()
    return cases + [([AL, Y], {})]


def _output_case(rng, loss, output, m):
    n = 1 if loss == "bce" else random_inputs.integer(rng, 2, 4)
    ZL = 2 * rng.standard_normal((n, m))
    AL = {"sigmoid": sigmoid, "softmax": softmax, "identity": lambda z: z.copy()}[output](ZL)
    Y = rng.uniform(0, 1, size=(n, m)) if (loss, output) == ("mse", "sigmoid") else random_inputs.targets(rng, loss, n, m)
    return [AL, Y, ZL, loss, output]


def _cases_output_delta(rng):
    # A saturated sigmoid output (sigmoid(40) rounds to exactly 1.0): the docstring asks for the simplified
    # AL - Y, which stays finite where dC/dA = (AL - Y) / (AL (1 - AL)) divides by zero.
    n = random_inputs.integer(rng, 2, 4)
    ZL = np.where(rng.random((n, 1)) < 0.5, 40.0, -40.0)
    ZL[0, 0] = 40.0
    saturated = [sigmoid(ZL), random_inputs.labels01(rng, n, 1), ZL, "bce", "sigmoid"]
    return [(_output_case(rng, loss, output, 1), {}) for loss, output in SINGLE_PAIRINGS] + [(saturated, {})]


def _cases_hidden_delta(rng):
    cases = []
    for activation in ELEMENTWISE_HIDDEN:
        n_next, n = random_inputs.integer(rng, 1, 5), random_inputs.integer(rng, 1, 5)
        cases.append(([rng.standard_normal((n_next, 1)), rng.standard_normal((n_next, n)),
                       2 * rng.standard_normal((n, 1)), activation], {}))
    return cases


def _cases_param_gradients(rng):
    return [([rng.standard_normal((random_inputs.integer(rng, 1, 5), 1)), rng.standard_normal((random_inputs.integer(rng, 1, 5), 1))],
             {}) for _ in range(2)]


def backprop_case(rng, m, hidden, loss, output, depth_high=3):
    """The (Y, params, cache, ...) arguments of `backward` for a random net: also `backward_batch`'s."""
    sizes = random_inputs.layer_sizes(rng, 1, depth_high, 1, 5)
    if loss == "bce":
        sizes[-1] = random_inputs.integer(rng, 1, 2)
    elif loss == "cross_entropy":
        sizes[-1] = random_inputs.integer(rng, 2, 4)
    params = random_inputs.params(rng, sizes)
    X = rng.standard_normal((sizes[0], m))
    Y = rng.uniform(0, 1, size=(sizes[-1], m)) if (loss, output) == ("mse", "sigmoid") \
        else random_inputs.targets(rng, loss, sizes[-1], m)
    _, cache = forward(X, params, hidden, output)
    return [Y, params, cache, hidden, output, loss]


def _cases_backward(rng):
    # One example (m = 1), as the exercise promises; every pairing, each with another hidden activation.
    return [(backprop_case(rng, 1, hidden, loss, output), {})
            for hidden, (loss, output) in zip(random_inputs.pick(rng, ELEMENTWISE_HIDDEN, 4), SINGLE_PAIRINGS)]


def _cases_gradient_check(rng):
    params = random_inputs.params(rng, random_inputs.layer_sizes(rng, 1, 2, 1, 3))
    order = sorted(params)
    exact = {f"d{key}": 2 * (order.index(key) + 1) * value for key, value in params.items()}
    noisy = {key: value + float(rng.uniform(0.05, 0.5)) * rng.standard_normal(value.shape)
             for key, value in exact.items()}
    zeros = {key: np.zeros_like(value) for key, value in params.items()}
    cost = random_inputs.callable_arg("params_quadratic")
    # A cost whose central difference depends on the step (relative error about eps^2 / 12 for exact
    # gradients): a check that ignores the `eps` it is given reports another error.
    exponential = random_inputs.callable_arg("params_exponential")
    others = random_inputs.params(rng, random_inputs.layer_sizes(rng, 1, 2, 1, 3))
    exact_exp = {f"d{key}": (i + 1) * np.exp(others[key]) for i, key in enumerate(sorted(others))}
    noisy_exp = {key: value * (1 + float(rng.uniform(0.01, 0.1)) * rng.standard_normal(value.shape))
                 for key, value in exact_exp.items()}
    return [([cost, params, noisy], {}),
            ([cost, params, exact], {"eps": 1e-5}),
            ([cost, zeros, {f"d{key}": value for key, value in zeros.items()}], {}),  # 0.0 when both are zero
            ([exponential, others, exact_exp], {"eps": float(rng.choice([0.05, 0.1, 0.2]))}),
            ([exponential, others, noisy_exp, float(rng.choice([0.1, 0.2]))], {})]  # eps by position


def _judge_gradient_check(got, args, kwargs):
    want = call_reference(gradient_check, args, kwargs)
    number = as_number(got)
    if number is None:
        return f"returned {describe(got)}, expected a number"
    if abs(number) < 1e-7 and abs(want) < 1e-7:
        return None
    if math.isclose(number, want, rel_tol=1e-3, abs_tol=0.0):
        return None
    return f"returned a relative error of {number:.4g}, the reference gives {want:.4g}"


SPECS = {
    "sigmoid_prime": Spec(_cases_sigmoid_prime, same_as_reference(sigmoid_prime)),
    "relu_prime": Spec(_cases_relu_prime, same_as_reference(relu_prime)),
    "leaky_relu_prime": Spec(_cases_leaky_relu_prime, same_as_reference(leaky_relu_prime)),
    "tanh_prime": Spec(_cases_tanh_prime, same_as_reference(tanh_prime)),
    "mse_loss": Spec(_cases_mse_loss, same_as_reference(mse_loss)),
    "bce_loss": Spec(_cases_bce_loss, same_as_reference(bce_loss)),
    "cross_entropy_loss": Spec(_cases_cross_entropy_loss, same_as_reference(cross_entropy_loss)),
    "output_delta": Spec(_cases_output_delta, same_as_reference(output_delta)),
    "hidden_delta": Spec(_cases_hidden_delta, same_as_reference(hidden_delta)),
    "param_gradients": Spec(_cases_param_gradients, same_as_reference(param_gradients, ("dW", "db"))),
    "backward": Spec(_cases_backward, same_as_reference(backward)),
    "gradient_check": Spec(_cases_gradient_check, _judge_gradient_check),
}
