"""02_forward: activations and forward propagation through an L-layer net.

Shapes: X and A[0] are (n[0], m); W[l] is (n[l], n[l-1]); b[l] is (n[l], 1); Z[l], A[l] are (n[l], m).
"""

import numpy as np

from autograder.judging import Spec, as_array, describe, must_raise, random_inputs, same_as_reference

from ._namespace import as_float_array, namespace_of, num_layers


def sigmoid(z):
    """1 / (1 + e^-z), element-wise, without overflow: exp only ever sees -|z|."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))


def relu(z):
    """max(z, 0), element-wise."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return xp.where(z > 0, z, xp.zeros_like(z))


def leaky_relu(z, alpha=0.01):
    """z where z > 0, alpha * z elsewhere."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return xp.where(z > 0, z, alpha * z)


def softplus(z):
    """log(1 + e^z), written as max(z, 0) + log1p(e^-|z|) so that large |z| cannot overflow."""
    xp = namespace_of(z)
    z = as_float_array(z, xp)
    return relu(z) + xp.log1p(xp.exp(-xp.abs(z)))


def swish(z):
    """z * sigmoid(z)."""
    return z * sigmoid(z)


def tanh(z):
    """Hyperbolic tangent (listed so every activation name maps to a function)."""
    xp = namespace_of(z)
    return xp.tanh(as_float_array(z, xp))


def identity(z):
    """g(z) = z, the output activation for regression."""
    xp = namespace_of(z)
    return as_float_array(z, xp)


def softmax(Z):
    """Column-wise softmax: Z (K, m) -> A (K, m), each column sums to 1.

    Subtracting each column's maximum leaves the result unchanged and keeps exp from overflowing.
    """
    xp = namespace_of(Z)
    Z = as_float_array(Z, xp)
    e = xp.exp(Z - xp.max(Z, axis=0, keepdims=True))
    return e / xp.sum(e, axis=0, keepdims=True)


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "tanh": tanh,
    "softplus": softplus,
    "swish": swish,
    "identity": identity,
    "softmax": softmax,
}


def activate(Z, activation):
    """Apply the activation named `activation` ("relu", "sigmoid", ...) to Z."""
    try:
        g = ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}") from None
    return g(Z)


def linear_forward(A_prev, W, b):
    """Z = W A_prev + b. A_prev (n[l-1], m), W (n[l], n[l-1]), b (n[l], 1) -> Z (n[l], m)."""
    return W @ A_prev + b


def layer_forward(A_prev, W, b, activation):
    """One layer: returns (A, Z), both (n[l], m); Z is kept because backprop needs g'(Z)."""
    Z = linear_forward(A_prev, W, b)
    return activate(Z, activation), Z


def forward(X, params, hidden_activation="relu", output_activation="sigmoid"):
    """Forward pass through L layers.

    X: (n[0], m). params: {"W1", "b1", ..., "WL", "bL"}.
    Returns (AL, cache) with AL (n[L], m) and cache {"A0": X, "Z1", "A1", ..., "ZL", "AL"}.
    """
    L = num_layers(params)
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        activation = output_activation if l == L else hidden_activation
        A, Z = layer_forward(A, params[f"W{l}"], params[f"b{l}"], activation)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return A, cache


def xor_params():
    """Hand-set 2-2-1 sigmoid net computing XOR: hidden units are OR and NAND, the output is their AND."""
    return {
        "W1": np.array([[20.0, 20.0], [-20.0, -20.0]]),
        "b1": np.array([[-10.0], [30.0]]),
        "W2": np.array([[20.0, 20.0]]),
        "b2": np.array([[-30.0]]),
    }


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

ALL_ACTIVATIONS = ("sigmoid", "relu", "leaky_relu", "tanh", "softplus", "swish", "identity", "softmax")


def _cases_sigmoid(rng):
    n, m = random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 2, 8)
    edge = np.concatenate([random_inputs.big_values(rng, (2, 4), 700, 5000), random_inputs.big_values(rng, (2, 4), 30, 60)])
    return [([6 * rng.standard_normal((n, m))], {}),
            ([6 * rng.standard_normal((random_inputs.integer(rng, 1, 6), 1))], {}),
            ([random_inputs.with_exact(rng, edge, [1000.0, -1000.0, 0.0])], {}),
            # Where 1 / (1 + e^-z) overflows, sigmoid(z) ~ e^z is tiny but positive (fixed: no draw).
            ([np.linspace(-740.0, -709.9, 10).reshape(2, 5)], {})]


# Below z = -708, sigmoid(z) ~ e^z is a subnormal float64 on a grid of this spacing: near z = -740 it
# holds only a few significant bits, so a right value is within 1e-6 relative or a few grid steps.
SUBNORMAL_STEPS = 4 * np.nextafter(0.0, 1.0)


def _judge_sigmoid(got, args, kwargs):
    reason = same_as_reference(sigmoid)(got, args, kwargs)
    if reason:
        return reason
    z = np.asarray(args[0], dtype=np.float64)
    far_left = z < -700
    values = np.asarray(got, dtype=np.float64)[far_left]
    if not np.allclose(values, np.exp(z[far_left]), rtol=1e-6, atol=SUBNORMAL_STEPS):
        zeros = int(np.sum(values == 0))
        return (f"sigmoid(z) for z below -700 is inaccurate ({zeros} exact zeros): the true value, about "
                "e^z, is tiny but positive")
    return None


def _cases_relu(rng):
    return [([3 * rng.standard_normal((random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 2, 8)))], {}),
            ([3 * rng.standard_normal((random_inputs.integer(rng, 1, 6), 1))], {}),
            ([3 * rng.standard_normal(random_inputs.integer(rng, 3, 9))], {})]


def _cases_leaky_relu(rng):
    return [([3 * rng.standard_normal((random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 2, 8)))], {}),
            ([3 * rng.standard_normal((random_inputs.integer(rng, 1, 6), 1))], {"alpha": float(rng.uniform(0.05, 0.3))}),
            ([3 * rng.standard_normal((random_inputs.integer(rng, 2, 5), random_inputs.integer(rng, 2, 5))),
              float(rng.uniform(0.05, 0.3))], {})]


def _cases_softplus(rng):
    edge = np.concatenate([random_inputs.big_values(rng, (2, 5), 710, 5000), random_inputs.big_values(rng, (2, 5), 30, 60)])
    return [([8 * rng.standard_normal((random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 2, 8)))], {}),
            ([8 * rng.standard_normal((random_inputs.integer(rng, 1, 6), 1))], {}),
            ([random_inputs.with_exact(rng, edge, [1000.0, -1000.0, 0.0])], {}),
            # Where log(1 + t) rounds 1 + t to 1: softplus(z) ~ e^z, tiny but a normal float64.
            ([-rng.uniform(37.0, 700.0, size=(2, 4))], {})]


def _judge_softplus(got, args, kwargs):
    reason = same_as_reference(softplus)(got, args, kwargs)
    if reason:
        return reason
    z = np.asarray(args[0], dtype=np.float64)
    tiny = (z < -37) & (z > -700)
    values = np.asarray(got, dtype=np.float64)[tiny]
    if not np.allclose(values, np.exp(z[tiny]), rtol=1e-6, atol=0):
        zeros = int(np.sum(values == 0))
        return (f"softplus(z) for z between -700 and -37 is inaccurate ({zeros} exact zeros): the true value, "
                "about e^z, is tiny but positive (log(1 + t) loses t when 1 + t rounds to 1)")
    return None


def _cases_swish(rng):
    return [([5 * rng.standard_normal((random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 2, 8)))], {}),
            ([5 * rng.standard_normal((random_inputs.integer(rng, 1, 6), 1))], {})]


def _cases_softmax(rng):
    K, m = random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 2, 7)
    logits = 5 * rng.standard_normal((K, m))
    shift = rng.choice([1000.0, -1000.0, 0.0], size=(1, m))
    shift[0, 0], shift[0, -1] = 1000.0, -1000.0  # a column far above and one far below the others
    return [([3 * rng.standard_normal((K, m))], {}),
            ([3 * rng.standard_normal((random_inputs.integer(rng, 2, 6), 1))], {}),
            ([logits + shift], {})]


def _cases_linear_forward(rng):
    cases = []
    for m in (1, random_inputs.integer(rng, 2, 8)):
        n_in, n_out = random_inputs.integer(rng, 1, 6), random_inputs.integer(rng, 1, 6)
        cases.append(([rng.standard_normal((n_in, m)), rng.standard_normal((n_out, n_in)),
                       rng.standard_normal((n_out, 1))], {}))
    return cases


def _cases_layer_forward(rng):
    cases = []
    activations = random_inputs.pick(rng, ALL_ACTIVATIONS, 4)
    for activation, m in zip(activations, (1, random_inputs.integer(rng, 2, 8), random_inputs.integer(rng, 2, 8), 1)):
        n_in, n_out = random_inputs.integer(rng, 1, 6), random_inputs.integer(rng, 2, 6)
        cases.append(([rng.standard_normal((n_in, m)), rng.standard_normal((n_out, n_in)),
                       rng.standard_normal((n_out, 1)), activation], {}))
    unknown = random_inputs.pick(rng, ("elu", "gelu", "sigmod", "Relu"))  # the contract: a ValueError naming the valid ones
    return cases + [([rng.standard_normal((2, 3)), rng.standard_normal((2, 2)), rng.standard_normal((2, 1)), unknown], {})]


def _unknown_activation(args, kwargs):
    return None if args[3] in ALL_ACTIVATIONS else ("ValueError", ALL_ACTIVATIONS, args[3])


def _cases_forward(rng):
    def problem(m, depth_low=1):
        sizes = random_inputs.layer_sizes(rng, depth_low, 4, 1, 6)
        sizes[-1] = max(sizes[-1], 2)
        return rng.standard_normal((sizes[0], m)), random_inputs.params(rng, sizes)

    hidden = random_inputs.pick(rng, ("leaky_relu", "softplus", "swish", "sigmoid", "tanh"))
    return [
        (list(problem(random_inputs.integer(rng, 2, 8))), {}),  # the defaults: relu hidden, sigmoid output
        (list(problem(1, depth_low=2)), {"hidden_activation": "tanh", "output_activation": "softmax"}),
        ([*problem(random_inputs.integer(rng, 2, 8), depth_low=2), hidden, "identity"], {}),
    ]


def _judge_xor_params(got, args, kwargs):
    if not isinstance(got, dict):
        return f"returned {describe(got)}, expected a dict of parameters"
    if set(got) != {"W1", "b1", "W2", "b2"}:
        return f"the keys are {sorted(got)}, expected ['W1', 'W2', 'b1', 'b2']"
    params = {}
    for key, shape in (("W1", (2, 2)), ("b1", (2, 1)), ("W2", (1, 2)), ("b2", (1, 1))):
        array = as_array(got[key])
        if array is None or array.shape != shape:
            return f"{key} is {describe(got[key])}, expected shape {shape}"
        if not np.all(np.isfinite(array)):
            return f"{key} has NaN or inf"
        params[key] = array.astype(np.float64)
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    AL, _ = forward(X, params, "sigmoid", "sigmoid")
    if not np.array_equal(AL.ravel() > 0.5, np.array([False, True, True, False])):
        return f"the network outputs {np.round(AL.ravel(), 3).tolist()} on (0,0), (0,1), (1,0), (1,1), not XOR"
    return None


def _cases_xor_params(rng):
    return [([], {})]


SPECS = {
    "sigmoid": Spec(_cases_sigmoid, _judge_sigmoid),
    "relu": Spec(_cases_relu, same_as_reference(relu)),
    "leaky_relu": Spec(_cases_leaky_relu, same_as_reference(leaky_relu)),
    "softplus": Spec(_cases_softplus, _judge_softplus),
    "swish": Spec(_cases_swish, same_as_reference(swish)),
    "softmax": Spec(_cases_softmax, same_as_reference(softmax)),
    "linear_forward": Spec(_cases_linear_forward, same_as_reference(linear_forward)),
    "layer_forward": Spec(_cases_layer_forward, *must_raise(_unknown_activation, same_as_reference(layer_forward, ("A", "Z")))),
    "forward": Spec(_cases_forward, same_as_reference(forward, ("AL", "cache"))),
    # Not unique: any weights computing XOR are right.
    "xor_params": Spec(_cases_xor_params, _judge_xor_params),
}
