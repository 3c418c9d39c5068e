"""05_initialization: the named mistakes of its exercises (autograder.judging.mistakes), beside `initialization`.

Each message is the visible test's own words for the slip (source/05_initialization/05_initialization.py).
The initialisers are random and their judge only says "std X, expected about Y", which does not tell one
wrong scale from another: a wrong initialiser here draws like the reference (W1 first, each W[l] from
rng.standard_normal((n[l], n[l-1])), or rng.normal, which draws the same numbers) with the slip's scale, so
it recognises the students who draw so, and leaves the others unrecognised, never misnamed.
`activation_stds` and `gradient_stds` are deterministic: a wrong transform makes the slip.
"""

import math

import numpy as np

from autograder.judging.mistakes import Mistake

from ._namespace import num_layers
from .backprop import activation_prime
from .forward import forward

_NOT_FROM_RNG = "drew no random numbers from its generator"


def _changed(name):
    """The watcher's words for `name` changed in place, an entry of it replaced, a key added or removed, or
    its length changed: "... its input `name` ...", "... its input `name['W1']` ..."."""
    return rf"its input `{name}\b"


# ---------------------------------------------------------------- the initialisers

def _drawn(layer_sizes, rng, std_of_layer):
    """The reference's draws (W1 first), each W[l] scaled by std_of_layer(n[l-1], n[l]); zero biases."""
    params = {}
    for l in range(1, len(layer_sizes)):
        n_out, n_in = layer_sizes[l], layer_sizes[l - 1]
        params[f"W{l}"] = rng.standard_normal((n_out, n_in)) * std_of_layer(n_in, n_out)
        params[f"b{l}"] = np.zeros((n_out, 1))
    return params


def _normal_with(std_of):
    """init_normal(layer_sizes, std, rng) whose weights have the std std_of(std)."""
    return lambda layer_sizes, std, rng: _drawn(layer_sizes, rng, lambda n_in, n_out: std_of(std))


def _scaled_with(std_of_layer):
    """init_xavier or init_he (layer_sizes, rng) with weights of the std std_of_layer(n[l-1], n[l])."""
    return lambda layer_sizes, rng: _drawn(layer_sizes, rng, std_of_layer)


def _not_from_rng():
    return Mistake("not_drawn_from_rng", "draw every number from rng", reason=_NOT_FROM_RNG)


# ---------------------------------------------------------------- activation_stds

def _activations(X, params, activation):
    """[(Z1, A1), ..., (ZL, AL)] with `activation` in every layer."""
    _, cache = forward(X, params, activation, activation)
    return [(cache[f"Z{l}"], cache[f"A{l}"]) for l in range(1, num_layers(params) + 1)]


def _activation_stds_with(statistic, include_input=False):
    """statistic(Z, A) of every layer, with A0 = X first when include_input."""
    def wrong(X, params, activation):
        first = [statistic(X, X)] if include_input else []
        return first + [statistic(Z, A) for Z, A in _activations(X, params, activation)]
    return wrong


# ---------------------------------------------------------------- gradient_stds

def _gradient_stds_with(top="Z", below="Z", times=lambda m: 1 / m, of="dW", statistic=np.std, reverse=False):
    """gradient_stds with one slip: where g' is taken for delta[L] (top: "Z", "A" or None, all ones) and in
    (BP2) (below: "Z", "A" or None, no g'), the factor `times(m)` of dW, what is measured (`of`: "dW", "W"
    or "delta") and how (`statistic`), layer L first (reverse)."""
    def prime(cache, kind, l, activation, like):
        return np.ones_like(like) if kind is None else activation_prime(cache[f"{kind}{l}"], activation)

    def wrong(X, params, activation):
        _, cache = forward(X, params, activation, activation)
        L, m = num_layers(params), X.shape[1]
        delta = prime(cache, top, L, activation, cache[f"Z{L}"])
        stds = [0.0] * L
        for l in range(L, 0, -1):
            measured = {"dW": lambda: delta @ cache[f"A{l - 1}"].T * times(m), "W": lambda: params[f"W{l}"],
                        "delta": lambda: delta}[of]()
            stds[l - 1] = float(statistic(measured))
            if l > 1:
                dA = params[f"W{l}"].T @ delta
                delta = dA * prime(cache, below, l - 1, activation, dA)
        return stds[::-1] if reverse else stds
    return wrong


MISTAKES = {
    "init_zeros": (
        Mistake("integer_zeros", "use floats",
                reason=r"has dtype (u?int|bool)\w*, expected floats"),
        Mistake("changes_layer_sizes", "read layer_sizes, never change it", reason=_changed("layer_sizes")),
    ),
    "init_normal": (
        Mistake("variance_for_std", "that is std**2, the variance; multiply by std itself",
                wrong=_normal_with(lambda std: std**2)),
        Mistake("sqrt_of_std", "that is sqrt(std); multiply by std itself", wrong=_normal_with(math.sqrt)),
        Mistake("std_ignored", "that is N(0, 1): multiply the standard normal draws by std",
                wrong=_normal_with(lambda std: 1.0)),
        _not_from_rng(),
    ),
    "init_xavier": (
        Mistake("variance_for_std", "that is the variance; the standard deviation is its square root",
                wrong=_scaled_with(lambda n_in, n_out: 2 / (n_in + n_out))),
        Mistake("he_scale", "that is He's sqrt(2/n[l-1])", wrong=_scaled_with(lambda n_in, n_out: math.sqrt(2 / n_in))),
        Mistake("fan_out_only", "Xavier uses n[l] + n[l-1]", wrong=_scaled_with(lambda n_in, n_out: math.sqrt(2 / n_out))),
        Mistake("two_missing", "the 2 in 2 / (n[l] + n[l-1]) is missing",
                wrong=_scaled_with(lambda n_in, n_out: math.sqrt(1 / (n_in + n_out)))),
        Mistake("uniform_limit", "sqrt(6 / (n[l] + n[l-1])) is the limit of the uniform version",
                wrong=_scaled_with(lambda n_in, n_out: math.sqrt(6 / (n_in + n_out)))),
        _not_from_rng(),
    ),
    "init_he": (
        Mistake("variance_for_std", "that is the variance; the standard deviation is its square root",
                wrong=_scaled_with(lambda n_in, n_out: 2 / n_in)),
        Mistake("fan_out", "that is sqrt(2/n[l])",
                wrong=_scaled_with(lambda n_in, n_out: math.sqrt(2 / n_out))),
        Mistake("two_missing", "the 2 in 2 / n[l-1] is missing", wrong=_scaled_with(lambda n_in, n_out: math.sqrt(1 / n_in))),
        Mistake("xavier_scale", "that is Xavier's sqrt(2 / (n[l] + n[l-1])); He uses n[l-1] only", wrong=_scaled_with(lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)))),
        _not_from_rng(),
    ),
    "activation_stds": (
        Mistake("includes_the_input", "leave out the input A0 = X",
                wrong=_activation_stds_with(lambda Z, A: float(np.std(A)), include_input=True)),
        Mistake("std_of_Z", "these are the std of Z[l]; take the std of A[l] = g(Z[l])",
                wrong=_activation_stds_with(lambda Z, A: float(np.std(Z)))),
        Mistake("variances", "these are variances; take the standard deviation, np.std",
                wrong=_activation_stds_with(lambda Z, A: float(np.var(A)))),
        Mistake("per_column_stds", "take np.std over all entries of A[l] (no axis=...)",
                wrong=_activation_stds_with(lambda Z, A: float(np.mean(np.std(A, axis=0))))),
        Mistake("per_row_stds", "take np.std over all entries of A[l] (no axis=...)",
                wrong=_activation_stds_with(lambda Z, A: float(np.mean(np.std(A, axis=1))))),
        Mistake("too_many_layers", "L = len(params) // 2 (params holds one W and one b per layer)",
                reason=r"^KeyError: 'A\d+'"),
    ),
    "gradient_stds": (
        Mistake("changes_X_or_params", "compute new arrays (A / m, not A /= m)", reason=_changed("X") + "|" + _changed("params")),
        Mistake("weights_of_the_layer_above", "carrying delta[l] down to layer l-1 takes W[l]", reason=r"^KeyError: 'W\d+'"),
        Mistake("reversed_order", "right values, wrong order: return layer 1 first", wrong=_gradient_stds_with(reverse=True)),
        Mistake("variances", "these are the variances of dW[l]", wrong=_gradient_stds_with(statistic=np.var)),
        Mistake("std_of_weights", "these are the std of the weights W[l], not of their gradients dW[l]",
                wrong=_gradient_stds_with(of="W")),
        Mistake("no_one_over_m", "times too large: C is a mean over the m examples",
                wrong=_gradient_stds_with(times=lambda m: 1.0)),
        Mistake("one_over_m_twice", "the 1/m is in there twice", wrong=_gradient_stds_with(times=lambda m: 1 / m**2)),
        Mistake("std_of_delta", "these are the std of the errors delta[l]", wrong=_gradient_stds_with(of="delta")),
        Mistake("g_prime_at_A", "pre-activation Z[l] (for tanh it computes 1 - tanh(Z)**2; fed A it gives another number)",
                wrong=_gradient_stds_with(below="A")),
        Mistake("g_prime_at_A_on_top", "pre-activation Z[l] (for tanh it computes 1 - tanh(Z)**2; fed A it gives another number)",
                wrong=_gradient_stds_with(top="A")),
        Mistake("no_g_prime_in_bp2", "below the top layer delta is never multiplied by g'", wrong=_gradient_stds_with(below=None)),
        Mistake("no_g_prime_on_top", "delta[L] never goes through g'(Z[L])", wrong=_gradient_stds_with(top=None)),
    ),
}
