"""04_minibatch: backprop over a batch of m columns, mini-batches, SGD and a training loop."""

from . import inplace
from ._namespace import like, namespace_of
from .backprop import backward_pass, compute_loss
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
