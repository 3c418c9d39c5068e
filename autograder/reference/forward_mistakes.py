"""02_forward's named mistakes (autograder.judging.mistakes), beside `forward`'s specs: each wrong transform
makes one slip that the notebook's visible test names, on every case its spec draws, and each message is
that test's own words. Kept here so that `forward` stays one screen of reference and specs."""

import numpy as np

from autograder.judging.mistakes import Mistake

from .forward import forward, leaky_relu


def _softmax_over_rows(Z):
    """Each row sums to 1: the normalisation along axis=1 (examples are columns)."""
    E = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    return E / np.sum(E, axis=1, keepdims=True)


def _softmax_over_everything(Z):
    """The whole matrix sums to 1 (shifted by its overall maximum, so that it stays finite)."""
    E = np.exp(Z - np.max(Z))
    return E / np.sum(E)


def _forward_cache_first(X, params, hidden_activation="relu", output_activation="sigmoid"):
    AL, cache = forward(X, params, hidden_activation, output_activation)
    return cache, AL


def _forward_with_AL_key(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """The cache with an extra entry 'AL' beside 'A{L}'."""
    AL, cache = forward(X, params, hidden_activation, output_activation)
    return AL, {**cache, "AL": AL}


def _forward_AL_for_last(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """The last layer's activation stored as 'AL' in place of 'A{L}' (and 'ZL' in place of 'Z{L}')."""
    AL, cache = forward(X, params, hidden_activation, output_activation)
    L = len(params) // 2
    renamed = {key: value for key, value in cache.items() if key not in (f"A{L}", f"Z{L}")}
    return AL, {**renamed, "ZL": cache[f"Z{L}"], "AL": AL}


def _forward_AL_only_for_last_A(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """'AL' in place of 'A{L}' only."""
    AL, cache = forward(X, params, hidden_activation, output_activation)
    L = len(params) // 2
    return AL, {**{key: value for key, value in cache.items() if key != f"A{L}"}, "AL": AL}


# An error NumPy raises on shapes (a, b) and (b, c), c > 1: W (n[l], n[l-1]) times A_prev (n[l-1], m) entry by entry.
_ELEMENTWISE = r"broadcast together with shapes \((\d+),(\d+)\) \(\2,([2-9]|\d\d+)\)"
# (n[l], m) plus a 1-D (n[l],): the bias as a flat vector.
_FLAT_BIAS = r"broadcast together with shapes \(\d+,\d+\) \(\d+,\)"
# (m, n[l]) plus the bias column (n[l], 1): A_prev.T @ W.T + b. W * A_prev raises it too where m = 1, so that
# slip is tried first (its case with m > 1 tells it apart).
_EXAMPLES_AS_ROWS = r"broadcast together with shapes \((\d+),(\d+)\) \(\2,1\)"

MISTAKES = {
    "sigmoid": (
        Mistake("zero_far_left", "where the true value, about e^z (e^-720 = 2.03e-313), is tiny but positive",
                reason=r"below -700 is inaccurate \([1-9]\d* exact zeros\)"),
        Mistake("cut_off", "as if z were cut off there", reason=r"below -700 is inaccurate \(0 exact zeros\)"),
    ),
    "relu": (
        Mistake("np_max_not_maximum", "np.max reduces over an axis; the element-wise maximum is np.maximum",
                wrong=lambda z: np.max(z, 0)),
    ),
    "leaky_relu": (
        Mistake("alpha_ignored", "gave the alpha = 0.01 result: use the alpha argument",
                wrong=lambda z, alpha=0.01: leaky_relu(z)),
    ),
    "softplus": (
        Mistake("log_not_log1p", "1 + t rounds to exactly 1 once t is below about 1e-16",
                reason=r"between -700 and -37 is inaccurate \([1-9]\d* exact zeros\)"),
    ),
    "softmax": (
        Mistake("rows_sum_to_one", "the rows sum to 1, not the columns: examples are columns, so sum over axis=0",
                wrong=_softmax_over_rows),
        Mistake("whole_matrix_sums_to_one", "the whole matrix sums to 1: normalise each column separately",
                wrong=_softmax_over_everything),
    ),
    "linear_forward": (
        Mistake("elementwise_product", "multiplies W and A_prev entry by entry (*)", reason=_ELEMENTWISE),
        Mistake("flat_bias", "adds the bias as a flat vector of shape (n[l],)", reason=_FLAT_BIAS),
        Mistake("examples_as_rows", "computes A_prev.T @ W.T: that is the transpose of the product, with examples "
                "as rows", reason=_EXAMPLES_AS_ROWS),
    ),
    "layer_forward": (
        Mistake("keyerror_for_unknown_name", "bare dict lookup's KeyError says neither what went wrong nor what "
                "is allowed", reason=r"(?s)^raised KeyError for .*, where its contract asks for a ValueError"),
        Mistake("result_for_unknown_name", "returned a result for an unknown activation name",
                reason=r"(?s)^returned .* for .*, where its contract asks for a ValueError"),
        Mistake("valid_names_unlisted", "which does not list the valid names",
                reason=r"(?s)^its ValueError for .* does not name"),
    ),
    "forward": (
        Mistake("cache_first", "returned (cache, AL); the order is (AL, cache)", wrong=_forward_cache_first),
        Mistake("extra_key_AL", "cache has a key 'AL'. 'L' stands for the number of layers",
                wrong=_forward_with_AL_key),
        Mistake("keys_AL_ZL", "cache has a key 'AL'. 'L' stands for the number of layers",
                wrong=_forward_AL_for_last),
        Mistake("key_AL", "cache has a key 'AL'. 'L' stands for the number of layers",
                wrong=_forward_AL_only_for_last_A),
        Mistake("layers_miscounted", "How many layers does your loop run over?", reason=r"^KeyError: '[Wb]\d+'"),
    ),
    "xor_params": (
        Mistake("not_xor", "Check each hidden unit alone first (OR, NAND), then the output (AND).",
                reason=r", not XOR$"),
        Mistake("wrong_keys", "keys should be exactly 'W1', 'b1', 'W2', 'b2'", reason=r"^the keys are"),
    ),
}
