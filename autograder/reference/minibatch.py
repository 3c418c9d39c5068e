"""04_minibatch: backprop over a batch of m columns, mini-batches, SGD and a training loop."""

import math

import numpy as np

from autograder.judging import Spec, as_array, check_params, check_spread, describe, random_inputs, same_as_reference

from . import inplace
from ._namespace import like, namespace_of
from .backprop import backprop_case, backward_pass, compute_loss
from .forward import forward
from .initialization import init_he


def backward_batch(Y, params, cache, hidden_activation, output_activation, loss):
    """Gradients of the mean cost over a batch. Y (n[L], m); cache from `forward` on the same m columns.

    Returns {"dW1", "db1", ..., "dWL", "dbL"}, each shaped like its parameter.
    """
    return backward_pass(Y, params, cache, hidden_activation, output_activation, loss)


def batch_gradients(X, Y, batch, params, layer_sizes, buffers_by_size, hidden_activation, output_activation, loss):
    """(AL, Y_batch, grads) on the columns `batch` (1-D NumPy integers) of X and Y, for the trainers.

    buffers_by_size: a dict of the in-place step's buffers by batch size (filled on first use),
    or None for the generic step; `inplace.supports` says which one X and Y can take.
    """
    if buffers_by_size is not None:
        X_batch, Y_batch, buffers = inplace.gather_batch(X, Y, batch, layer_sizes, buffers_by_size)
        AL = inplace.forward_into(X_batch, params, buffers, hidden_activation, output_activation)
        return AL, Y_batch, inplace.backward_into(Y_batch, params, buffers, hidden_activation)
    xp = namespace_of(X)
    columns = xp.asarray(batch)
    X_batch, Y_batch = xp.take(X, columns, axis=1), xp.take(Y, columns, axis=1)
    AL, cache = forward(X_batch, params, hidden_activation, output_activation)
    return AL, Y_batch, backward_batch(Y_batch, params, cache, hidden_activation, output_activation, loss)


def minibatch_indices(m, batch_size, rng):
    """A shuffled split of range(m) into batches: every index exactly once, all batches full but the last.

    Returns a list of 1-D integer NumPy arrays.
    """
    if m < 1 or batch_size < 1:
        raise ValueError(f"need m >= 1 and batch_size >= 1, got m={m}, batch_size={batch_size}")
    order = rng.permutation(m)
    return [order[start : start + batch_size] for start in range(0, m, batch_size)]


def sgd_step(params, grads, lr):
    """theta <- theta - lr * dtheta for every parameter; returns new arrays, inputs untouched."""
    return {key: value - lr * grads[f"d{key}"] for key, value in params.items()}


def train(
    X,
    Y,
    layer_sizes,
    epochs,
    batch_size,
    lr,
    rng,
    hidden_activation="relu",
    output_activation="softmax",
    loss="cross_entropy",
):
    """Mini-batch SGD from He initialisation.

    X (n[0], m), Y (n[L], m), layer_sizes [n[0], ..., n[L]]. Parameters live in X's namespace and
    dtype, so CuPy inputs train on the GPU. Returns (params, history), history[e] being the mean
    training cost over the examples of epoch e, as seen by the mini-batches during that epoch.
    """
    if layer_sizes[0] != X.shape[0] or layer_sizes[-1] != Y.shape[0]:
        raise ValueError(
            f"layer_sizes {layer_sizes} do not fit X {tuple(X.shape)} and Y {tuple(Y.shape)}: "
            "the first size must be X's rows and the last Y's rows"
        )
    m = X.shape[1]
    params = {key: like(value, X) for key, value in init_he(layer_sizes, rng).items()}
    # NumPy and CuPy train in place (same numbers, no per-step allocations; see inplace.py).
    buffers_by_size = {} if inplace.supports(X, Y, hidden_activation, output_activation, loss) else None
    history = []
    for _ in range(epochs):
        epoch_cost = 0.0
        for batch in minibatch_indices(m, batch_size, rng):
            AL, Y_batch, grads = batch_gradients(X, Y, batch, params, layer_sizes, buffers_by_size,
                                                 hidden_activation, output_activation, loss)
            if buffers_by_size is None:
                params = sgd_step(params, grads, lr)
            else:
                params = inplace.sgd_step_into(params, grads, lr)
            epoch_cost += compute_loss(AL, Y_batch, loss) * batch.shape[0]
        history.append(epoch_cost / m)
    return params, history


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

BATCH_HIDDEN = ("relu", "sigmoid", "tanh")  # this notebook's hidden activations
BATCH_PAIRINGS = (("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mse", "identity"))


def _cases_backward_batch(rng):
    ms = [1, random_inputs.integer(rng, 2, 12), random_inputs.integer(rng, 2, 12)]
    hiddens, pairings = random_inputs.pick(rng, BATCH_HIDDEN, 3), random_inputs.pick(rng, BATCH_PAIRINGS, 3)
    return [(backprop_case(rng, m, hidden, loss, output, depth_high=4), {})
            for m, hidden, (loss, output) in zip(ms, hiddens, pairings)]


def _cases_minibatch_indices(rng):
    batch_size = random_inputs.integer(rng, 3, 12)
    # >= 20, with a partial last batch
    partial = batch_size * random_inputs.integer(rng, 3, 8) + random_inputs.integer(rng, 1, batch_size - 1)
    exact = batch_size * random_inputs.integer(rng, 2, 6)
    # must_draw: a shuffle that ignores the generator it is given (a seed of its own: the same order on
    # every call) returns a valid order all the same; it is refuted for drawing nothing from rng.
    return [([partial, batch_size, random_inputs.rng_arg(random_inputs.seed(rng), must_draw=True)], {}),
            ([exact, batch_size, random_inputs.rng_arg(random_inputs.seed(rng), must_draw=True)], {}),
            ([1, random_inputs.integer(rng, 1, 5), random_inputs.rng_arg(random_inputs.seed(rng))], {}),
            # m < batch_size: one batch
            ([random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 7, 20),
              random_inputs.rng_arg(random_inputs.seed(rng), must_draw=True)], {})]


def _judge_minibatch_indices(got, args, kwargs):
    m, batch_size = args[0], args[1]
    if isinstance(got, np.ndarray) and got.ndim == 2:
        got = list(got)
    if not isinstance(got, (list, tuple)):
        return f"returned {describe(got)}, expected a list of index arrays"
    batches = []
    for k, batch in enumerate(got):
        array = np.asarray(batch)
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            return f"batch {k} is {describe(batch)} of {array.dtype}, expected a 1-D integer array"
        batches.append(array)
    full, rest = divmod(m, batch_size)
    want = [batch_size] * full + ([rest] if rest else [])
    if len(batches) != len(want):
        return f"returned a list of {len(batches)} batches, expected {len(want)} (m = {m}, batch_size = {batch_size})"
    sizes = [b.size for b in batches]
    if sizes != want:
        return f"batch sizes {sizes}, expected {want}"
    order = np.concatenate(batches)
    if not np.array_equal(np.sort(order), np.arange(m)):
        return f"the batches do not hold every index of range({m}) exactly once"
    if m >= 20 and np.array_equal(order, np.arange(m)):
        return f"the indices come out in order 0, 1, ..., {m - 1}: not shuffled"
    # Fixed groups: only the order of blocks of consecutive indices shuffled. For a real shuffle of
    # m >= 20 indices into 3 or more batches, every batch being such a run has a chance below 1e-7 (the
    # likeliest case, batches of 7, 7 and 6: 3! / (20! / (7! 7! 6!)) = 4.5e-8; less with more batches).
    if m >= 20 and len(batches) >= 3 and all(np.array_equal(np.sort(b), np.arange(b.min(), b.min() + b.size))
                                            for b in batches):
        return ("every batch is a run of consecutive indices: only the order of fixed blocks is shuffled, "
                "so the same examples always share a batch")
    return None


def _cases_sgd_step(rng):
    cases = []
    for lr in (float(rng.uniform(0.01, 1.0)), float(rng.choice([0.0, 3.0]))):
        params = random_inputs.params(rng, random_inputs.layer_sizes(rng, 1, 3, 1, 5))
        cases.append(([params, random_inputs.grads_for(rng, params), lr], {}))
    return cases


def _blobs(rng, num_classes, m, spread=0.7):
    """Well separated Gaussian blobs in the plane, one-hot (or 0/1 for two classes) labels."""
    labels = rng.integers(0, num_classes, size=m)
    angles = 2 * np.pi * (np.arange(num_classes) / num_classes + rng.uniform())
    centres = 3.0 * np.stack([np.cos(angles), np.sin(angles)])
    X = centres[:, labels] + spread * rng.standard_normal((2, m))
    Y = labels[None, :].astype(np.float64) if num_classes == 2 else np.eye(num_classes)[:, labels]
    return X, Y


def _cases_train(rng):
    X3, Y3 = _blobs(rng, 3, 150)
    X2, Y2 = _blobs(rng, 2, 120)
    X0 = rng.standard_normal((20, 60))
    Y0 = random_inputs.one_hot(rng, 3, 60)
    XL = rng.standard_normal((3, 40))
    YL = XL[:1] - 0.5 * XL[2:] + 0.5 * rng.standard_normal((1, 40))
    return [
        ([X3, Y3, [2, 16, 3], 30, 16, 0.1, random_inputs.rng_arg(random_inputs.seed(rng))], {}),
        ([X2, Y2, [2, 8, 1], 30, 20, 0.3, random_inputs.rng_arg(random_inputs.seed(rng))],
         {"hidden_activation": "tanh", "output_activation": "sigmoid", "loss": "bce"}),
        # lr = 0: the parameters never move, so they show He initialisation and history[0] is the
        # mean cost of the whole training set (60 = 3 * 16 + 12: a partial last batch).
        ([X0, Y0, [20, 100, 3], 1, 16, 0.0, random_inputs.rng_arg(random_inputs.seed(rng))], {}),
        # Linear least squares: see _judge_reshuffled.
        ([XL, YL, [3, 1], RESHUFFLE_EPOCHS, 8, 0.3, random_inputs.rng_arg(random_inputs.seed(rng))],
         {"output_activation": "identity", "loss": "mse"}),
        # One step on one batch of every example: see _judge_one_step.
        ([rng.standard_normal((2, 30)), rng.integers(0, 2, size=(1, 30)).astype(np.float64), [2, 6, 1], 1, 64,
          ONE_STEP_LR, random_inputs.rng_arg(random_inputs.seed(rng))],
         {"hidden_activation": "tanh", "output_activation": "sigmoid", "loss": "bce"}),
    ]


RESHUFFLE_EPOCHS = 80
RESHUFFLE_LAST = 5  # epochs whose costs must not all be equal


def _judge_reshuffled(history):
    """On linear least squares SGD is a contraction: with the same batches in the same order every epoch
    it settles into one cycle that repeats to the last bit, so the last epochs cost exactly the same;
    with batches drawn anew every epoch (80 of them) their costs differ by about 10 % (2 % at the least
    over 40 seeds), and a fixed order ties them within 1e-15."""
    last = history[-RESHUFFLE_LAST:]
    if np.ptp(last) <= 1e-9 * np.mean(np.abs(last)):
        return (f"the last {RESHUFFLE_LAST} epochs of a linear regression cost exactly the same "
                f"({last[-1]:.10g}): the batches are the same every epoch, not reshuffled")
    return None


ONE_STEP_LR = 0.05


def _judge_one_step(X, Y, params, lr, hidden, output, loss):
    """One step of a single batch from He initialisation: params = params0 - lr * grad(params0), where
    params0 has zero biases and unknown weights. The weights params0 solve W0 = W1 + lr * dW(W0), found
    by fixed-point iteration (a contraction for this small lr); the biases must then be -lr * db(W0).
    A train that gives backward_batch other activations or another loss than forward moves them otherwise."""
    start = {key: np.zeros_like(value) if key.startswith("b") else value for key, value in params.items()}
    for _ in range(500):
        grads = backward_batch(Y, start, forward(X, start, hidden, output)[1], hidden, output, loss)
        guess = {key: params[key] + lr * grads[f"d{key}"] if key.startswith("W") else start[key] for key in params}
        if all(np.allclose(guess[key], start[key], rtol=0, atol=1e-14) for key in params):
            break
        start = guess
    else:
        return None  # no fixed point found: nothing is judged
    grads = backward_batch(Y, start, forward(X, start, hidden, output)[1], hidden, output, loss)
    for key in params:
        if key.startswith("b") and not np.allclose(params[key], -lr * grads[f"d{key}"], rtol=1e-6, atol=1e-12):
            return (f"after one step on a single batch of every example, {key} is not -lr * d{key} at the initial "
                    f"weights: the step does not follow the gradient of the {hidden}/{output}/{loss} network")
    return None


TRAIN_MIN_ACCURACY = 0.9
TRAIN_MAX_COST_RATIO = 0.5  # history[-1] must be below this fraction of history[0]


def _options(args, kwargs, first, names_and_defaults):
    """Values of optional arguments given positionally from index `first` on, by keyword, or defaulted."""
    values = []
    for offset, (name, default) in enumerate(names_and_defaults):
        index = first + offset
        values.append(args[index] if index < len(args) else kwargs.get(name, default))
    return values


def _classification_accuracy(AL, Y):
    if Y.shape[0] == 1:
        return float(np.mean((AL >= 0.5) == (Y >= 0.5)))
    return float(np.mean(np.argmax(AL, axis=0) == np.argmax(Y, axis=0)))


def _judge_train(got, args, kwargs):
    X, Y, layer_sizes, epochs, batch_size, lr = args[:6]
    hidden, output, loss = _options(args, kwargs, 7, (("hidden_activation", "relu"),
                                                     ("output_activation", "softmax"),
                                                     ("loss", "cross_entropy")))
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"returned {describe(got)}, expected a tuple (params, history)"
    params, history = got
    reason = check_params(params, layer_sizes)
    if reason:
        return reason
    params = {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}
    history_array = as_array(history)
    if history_array is None or history_array.ndim != 1:
        return f"history is {describe(history)}, expected a list of one cost per epoch"
    if history_array.size != epochs:
        return f"history has {history_array.size} entries, expected one per epoch ({epochs})"
    if not np.all(np.isfinite(history_array)):
        return "history has NaN or inf"
    AL, _ = forward(X, params, hidden, output)
    if lr == 0:
        reason = check_spread(params, layer_sizes, lambda n_in, n_out: math.sqrt(2.0 / n_in))
        if reason:
            return f"with lr = 0, {reason} (He initialisation)"
        cost = compute_loss(AL, Y, loss)
        if not math.isclose(float(history_array[0]), cost, rel_tol=1e-6, abs_tol=1e-9):
            return (f"with lr = 0, history[0] is {float(history_array[0]):.6g}, but the mean cost over the "
                    f"{X.shape[1]} examples is {cost:.6g}")
        return None
    if loss == "mse":  # the linear least-squares case
        return _judge_reshuffled(history_array)
    if epochs == 1 and batch_size >= X.shape[1]:
        return _judge_one_step(X, Y, params, lr, hidden, output, loss)
    if not history_array[-1] < TRAIN_MAX_COST_RATIO * history_array[0]:
        return f"the cost fell only from {history_array[0]:.4g} to {history_array[-1]:.4g} in {epochs} epochs"
    accuracy = _classification_accuracy(AL, Y)
    if accuracy < TRAIN_MIN_ACCURACY:
        return (f"the trained network's accuracy on an easy training set is {accuracy:.2f}, "
                f"expected >= {TRAIN_MIN_ACCURACY}")
    return None


SPECS = {
    "backward_batch": Spec(_cases_backward_batch, same_as_reference(backward_batch)),
    # Random: judged by properties, whatever the order of the draws.
    "minibatch_indices": Spec(_cases_minibatch_indices, _judge_minibatch_indices),
    "sgd_step": Spec(_cases_sgd_step, same_as_reference(sgd_step)),
    "train": Spec(_cases_train, _judge_train),
}
