"""03_backprop's named mistakes (autograder.judging.mistakes), beside `backprop`'s specs: each wrong transform
makes one slip that the notebook's visible test names, on every case its spec draws, and each message is that
test's own words. Kept here so that `backprop` stays one screen of reference and specs."""

import numpy as np

from autograder.judging.mistakes import Mistake

from .backprop import (
    DERIVATIVES,
    bce_loss,
    cross_entropy_loss,
    hidden_delta,
    mse_loss,
    output_delta,
    param_gradients,
    sigmoid_prime,
)
from .forward import ACTIVATIONS, sigmoid
from .notation import numerical_gradient

_IN_PLACE = r"changed its input"
_NOT_FINITE = r"has NaN or inf where the reference is finite"
_NOT_FINITE_NUMBER = r"the result is -?(nan|inf),"
_MATMUL_SHAPES = r"mismatch in its core dimension"
# The caller's arrays (the hint each test gives when an input changed): Z[l] of the cache, AL and Y, ...
_Z_IS_CACHED = "z is Z[l] of the caller's cache, which backprop still needs"
_LOSS_INPUTS = "AL and Y are the caller's arrays"
# The test cell leaves this slip to check.check_scalar(..., m=...), so these words are course.check's.
_SUMMED = "missing the 1/m factor (you summed instead of averaging)"


def _rows(AL):
    """(n[L] or K, m) of a loss's predictions."""
    return np.shape(AL)


# ---------------------------------------------------------------- output_delta's slips, one pairing at a time

def _output_delta_where(pairing, slip):
    """output_delta with `slip(AL, Y, ZL)` for the (loss, output) `pairing`, the reference elsewhere."""
    def wrong(AL, Y, ZL, loss, output_activation):
        if (loss, output_activation) == pairing:
            return slip(AL, Y, ZL)
        return output_delta(AL, Y, ZL, loss, output_activation)
    return wrong


# ---------------------------------------------------------------- hidden_delta's slips

def _hidden_delta_times(factor):
    """(W_next^T delta_next) times `factor(Z, activation)` in place of g'(Z)."""
    return lambda delta_next, W_next, Z, activation: (W_next.T @ delta_next) * factor(Z, activation)


def _derivative_of_a(Z, activation):
    """sigma' and tanh' written for the activation a (a (1 - a), 1 - a^2), fed Z; the others right."""
    if activation == "sigmoid":
        return Z * (1 - Z)
    if activation == "tanh":
        return 1 - Z**2
    return DERIVATIVES[activation](Z)


# ---------------------------------------------------------------- backward with BP2 before BP3 and BP4

def _backward_step_then_read(Y, params, cache, hidden_activation, output_activation, loss):
    """Each pass steps down with BP2 first, then reads dW[l] and db[l] off the error of layer l-1."""
    L = len(params) // 2
    grads = {}
    delta = output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
    for l in range(L, 0, -1):
        if l > 1:
            delta = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], hidden_activation)
        grads[f"dW{l}"], grads[f"db{l}"] = param_gradients(delta, cache[f"A{l - 1}"])
    return grads


# ---------------------------------------------------------------- gradient_check's ways of combining the norms

def _gradient_pairs(cost_fn, params, grads, eps):
    """[(analytic, numeric)] per parameter, flattened, with the central differences at step `eps`."""
    pairs = []
    for key, value in params.items():
        numeric = numerical_gradient(lambda p, key=key: cost_fn({**params, key: p}), value, eps)
        pairs.append((np.ravel(np.asarray(grads[f"d{key}"], dtype=float)), np.ravel(numeric)))
    return pairs


def _relative(a, n, combine):
    denominator = combine(np.linalg.norm(a), np.linalg.norm(n))
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - n) / denominator)


def _check_with(combine):
    def wrong(cost_fn, params, grads, eps=1e-6):
        pairs = _gradient_pairs(cost_fn, params, grads, eps)
        return _relative(np.concatenate([a for a, _ in pairs]), np.concatenate([n for _, n in pairs]), combine)
    return wrong


def _check_squared_norms(cost_fn, params, grads, eps=1e-6):
    pairs = _gradient_pairs(cost_fn, params, grads, eps)
    a, n = np.concatenate([a for a, _ in pairs]), np.concatenate([n for _, n in pairs])
    denominator = float(np.sum(a**2) + np.sum(n**2))
    return 0.0 if denominator == 0 else float(np.sum((a - n) ** 2)) / denominator


def _check_per_parameter(cost_fn, params, grads, eps=1e-6):
    """The mean of each parameter's own relative error."""
    pairs = _gradient_pairs(cost_fn, params, grads, eps)
    return float(np.mean([_relative(a, n, lambda x, y: x + y) for a, n in pairs]))


def _check_fixed_step(cost_fn, params, grads, eps=1e-6):
    return _check_with(lambda x, y: x + y)(cost_fn, params, grads)


_GRADIENT_CHECK_TOLERANCE = {"rtol": 1e-3, "atol": 1e-7}  # as the spec's judge: the step's rounding differs

MISTAKES = {
    "sigmoid_prime": (
        Mistake("z_times_one_minus_z", "you computed z * (1 - z); the formula is s * (1 - s)",
                wrong=lambda z: z * (1 - z)),
        Mistake("sigmoid_itself", "you returned sigmoid(z) itself, not its derivative", wrong=sigmoid),
        Mistake("overflow_nan", "gave NaN/inf at z = -1000 or 1000: e^{-z} (or e^{z}) overflows to inf there",
                reason=_NOT_FINITE),
        Mistake("z_changed_in_place", _Z_IS_CACHED, reason=_IN_PLACE),
    ),
    "relu_prime": (
        Mistake("relu_itself", "you returned relu(z) itself; the derivative is 1 where z > 0, else 0",
                wrong=lambda z: np.maximum(z, 0)),
        Mistake("sign", "-1 for z < 0 (np.sign?): relu is flat there, so its slope is 0", wrong=np.sign),
        Mistake("one_at_zero", "relu_prime(0) should be 0 (this course's convention): use z > 0, not z >= 0",
                wrong=lambda z: (np.asarray(z) >= 0) * 1.0),
        Mistake("z_changed_in_place", _Z_IS_CACHED, reason=_IN_PLACE),
    ),
    "leaky_relu_prime": (
        Mistake("minus_alpha", "-alpha for z < 0: the slope of alpha * z is +alpha",
                wrong=lambda z, alpha=0.01: np.where(z > 0, 1.0, -alpha)),
        Mistake("zero_for_negative", "for z < 0 the slope is alpha, not 0", wrong=lambda z, alpha=0.01: (z > 0) * 1.0),
        Mistake("alpha_times_z", "for z < 0 the derivative of alpha * z is alpha, not alpha * z",
                wrong=lambda z, alpha=0.01: np.where(z > 0, 1.0, alpha * z)),
        Mistake("alpha_ignored", "the alpha argument was ignored (0.01 used)",
                wrong=lambda z, alpha=0.01: np.where(z > 0, 1.0, 0.01)),
        Mistake("one_at_zero", "leaky_relu_prime(0) should be alpha, as relu'(0) = 0 in this course",
                wrong=lambda z, alpha=0.01: np.where(z >= 0, 1.0, alpha)),
        Mistake("zero_at_zero", "leaky_relu_prime(0) should be alpha, not 0",
                wrong=lambda z, alpha=0.01: np.where(z > 0, 1.0, np.where(z < 0, alpha, 0.0))),
        Mistake("z_changed_in_place", _Z_IS_CACHED, reason=_IN_PLACE),
    ),
    "tanh_prime": (
        Mistake("one_minus_z_squared", "you computed 1 - z**2; the formula is 1 - tanh(z)**2",
                wrong=lambda z: 1 - z**2),
        Mistake("tanh_itself", "you returned tanh(z) itself, not its derivative", wrong=np.tanh),
        Mistake("z_changed_in_place", _Z_IS_CACHED, reason=_IN_PLACE),
    ),
    # The losses: summed before divided_by_*, which agree where every drawn case has n[L] = 1 (summing is commoner).
    "mse_loss": (
        Mistake("half_missing", "twice the expected value: the per-example loss is 0.5 * ||a - y||^2",
                wrong=lambda AL, Y: 2 * mse_loss(AL, Y)),
        Mistake("mean_over_everything", "you divided by n[L] * m (np.mean over everything)",
                wrong=lambda AL, Y: mse_loss(AL, Y) / _rows(AL)[0]),
        Mistake("summed_not_averaged", _SUMMED, wrong=lambda AL, Y: mse_loss(AL, Y) * _rows(AL)[1]),
        Mistake("divided_by_units", "you divided by AL.shape[0] = n[L]",
                wrong=lambda AL, Y: mse_loss(AL, Y) * _rows(AL)[1] / _rows(AL)[0]),
        Mistake("inputs_changed_in_place", _LOSS_INPUTS, reason=_IN_PLACE),
    ),
    "bce_loss": (
        Mistake("mean_over_everything", "you divided by n[L] * m (np.mean over everything)",
                wrong=lambda AL, Y: bce_loss(AL, Y) / _rows(AL)[0]),
        Mistake("summed_not_averaged", _SUMMED, wrong=lambda AL, Y: bce_loss(AL, Y) * _rows(AL)[1]),
        Mistake("divided_by_units", "you divided by AL.shape[0] = n[L]",
                wrong=lambda AL, Y: bce_loss(AL, Y) * _rows(AL)[1] / _rows(AL)[0]),
        Mistake("not_clipped", "bce_loss is not finite when AL is exactly 0 or 1 (0 * log 0 gives nan)",
                reason=_NOT_FINITE_NUMBER),
        Mistake("inputs_changed_in_place", _LOSS_INPUTS, reason=_IN_PLACE),
    ),
    "cross_entropy_loss": (
        Mistake("mean_over_everything", "you divided by K * m (np.mean over everything)",
                wrong=lambda AL, Y: cross_entropy_loss(AL, Y) / _rows(AL)[0]),
        Mistake("summed_not_averaged", _SUMMED, wrong=lambda AL, Y: cross_entropy_loss(AL, Y) * _rows(AL)[1]),
        Mistake("divided_by_classes", "you divided by AL.shape[0] = K",
                wrong=lambda AL, Y: cross_entropy_loss(AL, Y) * _rows(AL)[1] / _rows(AL)[0]),
        Mistake("not_clipped", "cross_entropy_loss is not finite when some AL entry is exactly 0",
                reason=_NOT_FINITE_NUMBER),
        Mistake("inputs_changed_in_place", _LOSS_INPUTS, reason=_IN_PLACE),
    ),
    "output_delta": (
        Mistake("mse_sigmoid_factor_dropped", "you returned AL - Y; for squared error the factor g'(Z[L]) = AL (1 - AL) "
                "does not cancel", wrong=lambda AL, Y, ZL, loss, output_activation: AL - Y),
        Mistake("z_times_one_minus_z", "you multiplied by Z (1 - Z)",
                wrong=_output_delta_where(("mse", "sigmoid"), lambda AL, Y, ZL: (AL - Y) * ZL * (1 - ZL))),
        Mistake("sigmoid_prime_at_AL", "you took sigmoid' at AL",
                wrong=_output_delta_where(("mse", "sigmoid"), lambda AL, Y, ZL: (AL - Y) * sigmoid_prime(AL))),
        Mistake("bce_factor_kept", "for BCE + sigmoid the factor sigmoid'(Z) cancels",
                wrong=_output_delta_where(("bce", "sigmoid"), lambda AL, Y, ZL: (AL - Y) * AL * (1 - AL))),
        Mistake("softmax_diagonal", "softmax is not element-wise",
                wrong=_output_delta_where(("cross_entropy", "softmax"), lambda AL, Y, ZL: (AL - Y) * AL * (1 - AL))),
        Mistake("identity_times_sigmoid_prime", "you multiplied by sigmoid'(Z), but this output is the identity",
                wrong=_output_delta_where(("mse", "identity"), lambda AL, Y, ZL: (AL - Y) * sigmoid_prime(ZL))),
        Mistake("saturated_nan", "AL = sigmoid(40) rounds to exactly 1, so dC/dA = (AL - Y) / (AL (1 - AL)) "
                "divides by 0", reason=_NOT_FINITE),
        Mistake("cache_changed_in_place", "AL - Y already makes a new array, AL -= Y overwrites A[L]",
                reason=_IN_PLACE),
    ),
    "hidden_delta": (
        Mistake("g_prime_missing", "missing the factor g'(Z) of this layer",
                wrong=lambda delta_next, W_next, Z, activation: W_next.T @ delta_next),
        Mistake("g_not_g_prime", "you multiplied by g(Z); BP2 needs the derivative g'(Z)",
                wrong=_hidden_delta_times(lambda Z, activation: ACTIVATIONS[activation](Z))),
        Mistake("g_prime_at_A", "you took g' at g(Z) = A[l]; BP2 evaluates g' at the pre-activation Z[l]",
                wrong=_hidden_delta_times(lambda Z, activation: DERIVATIVES[activation](ACTIVATIONS[activation](Z)))),
        Mistake("derivative_of_a_fed_Z", "derivative written for the activation a (a (1 - a) or 1 - a**2) but fed it Z",
                wrong=_hidden_delta_times(_derivative_of_a)),
        Mistake("elementwise_with_delta_row", "W_next^T delta_next is a matrix product (@)",
                wrong=lambda delta_next, W_next, Z, activation:
                (W_next.T * delta_next.T) * DERIVATIVES[activation](Z)),
        Mistake("elementwise", "W_next^T delta_next is a matrix product (@)",
                reason=r"broadcast together with shapes \((\d+),(\d+)\) \(\2,1\)"),
        Mistake("transpose_missing", "W_next is (n[l+1], n[l]) and delta_next is (n[l+1], 1): which of them needs a "
                "transpose?", reason=_MATMUL_SHAPES),
        Mistake("inputs_changed_in_place", "Z and delta_next belong to the caller (Z is Z[l] of the cache)",
                reason=_IN_PLACE),
    ),
    "param_gradients": (
        Mistake("dW_transposed", "did you swap W and W.T / A.T?",
                wrong=lambda delta, A_prev: (A_prev @ delta.T, delta)),
        Mistake("not_an_outer_product", "BP4's delta A_prev^T is an outer product, (n[l], 1) times (1, n[l-1])",
                reason=_MATMUL_SHAPES),
        Mistake("inputs_changed_in_place", "delta and A_prev belong to the caller (delta is needed again for BP2)",
                reason=_IN_PLACE),
    ),
    "backward": (
        Mistake("bp2_before_bp3", "you stepped down with BP2 before reading off", wrong=_backward_step_then_read),
        Mistake("output_activation_in_bp2", "output_activation enters only BP1, through output_delta",
                reason=r"^KeyError: '(softmax|identity)'|derivative for '(softmax|identity)'"),
        Mistake("hidden_derivative_missing", "hidden_delta must handle sigmoid, relu, leaky_relu and tanh",
                reason=r"^KeyError: '(sigmoid|relu|leaky_relu|tanh)'"),
        Mistake("letter_L_in_keys", "with L written as a number ('A2', not 'AL')", reason=r"^KeyError: '[AZWb]L'"),
        Mistake("layer_index", "two shapes that do not fit, which usually means a wrong layer index",
                reason=r"^ValueError: .*(matmul|broadcast|shape|align)"),
        Mistake("inputs_changed_in_place", "params and cache belong to the caller, who reads them again",
                reason=_IN_PLACE),
    ),
    "gradient_check": (
        Mistake("max_denominator", "the denominator is ||a|| + ||n||, not max(||a||, ||n||)",
                wrong=_check_with(max), **_GRADIENT_CHECK_TOLERANCE),
        Mistake("squared_norms", "you used squared norms", wrong=_check_squared_norms, **_GRADIENT_CHECK_TOLERANCE),
        Mistake("per_parameter_average", "do not average per-parameter errors", wrong=_check_per_parameter,
                **_GRADIENT_CHECK_TOLERANCE),
        Mistake("eps_ignored", "ignored its eps argument", wrong=_check_fixed_step, **_GRADIENT_CHECK_TOLERANCE),
        Mistake("nan_for_zero_gradients", "gradient_check should return 0.0 when both gradients are zero",
                reason=r"relative error of nan, the reference gives 0\b"),
        Mistake("grads_keyed_by_parameter", "the gradients are keyed 'd' + the parameter's name",
                reason=r"^KeyError: '[Wb]\d+'"),
        Mistake("params_changed_in_place", "never write into the caller's params or grads", reason=_IN_PLACE),
    ),
}

