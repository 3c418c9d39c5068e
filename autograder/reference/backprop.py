"""03_backprop: derivatives, losses, the four backprop equations, and gradient checking.

delta[l] = dC/dZ[l] has the shape of Z[l], (n[l], m). The 1/m of the mean cost enters only in
dW and db (BP3, BP4), never in delta.
"""

import math

from ._namespace import as_float_array, namespace_of, num_layers
from .forward import sigmoid
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
