"""04_minibatch: the named mistakes of its exercises (autograder.judging.mistakes), beside `minibatch`.

Each message is the visible test's own words for the slip (source/04_minibatch/04_minibatch.py).
`backward_batch` and `sgd_step` are deterministic: a wrong transform makes the slip. `minibatch_indices`
is random, so its slips are read from the judge's reason. `train` is both: its judge's reason names a
slip that only one mistake gives (not reshuffled, not He's spread, data shuffled in place), and the
slips its reason cannot tell apart (a wrong epoch cost, lr or options ignored, labels misaligned) are
recognised by a wrong train that draws like the notebook's solution (He weights W1 first, then one
rng.permutation per epoch): a train that draws otherwise is left unrecognised, never misnamed.
"""

import numpy as np

from autograder.judging.mistakes import Mistake

from ._namespace import num_layers
from .backprop import compute_loss, hidden_delta, output_delta
from .forward import forward
from .initialization import init_he
from .minibatch import backward_batch, minibatch_indices, sgd_step


def _changed(*names):
    """The watcher's words for an input changed in place, an entry of it replaced, a key added or removed, or its
    length changed: "... its input `cache['A2']` ...", "... of its input `params` ..."."""
    return "|".join(rf"its input `{name}\b" for name in names)


# ---------------------------------------------------------------- backward_batch

def _backward_with(m_of=lambda Y: Y.shape[1], dW_of=lambda delta, A_prev: delta @ A_prev.T,
                   db_of=lambda delta: np.sum(delta, axis=1, keepdims=True)):
    """The reference backward_batch with one piece replaced: m (from Y), dW or db before the 1/m."""
    def wrong(Y, params, cache, hidden_activation, output_activation, loss):
        L, m = num_layers(params), m_of(Y)
        delta = output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
        grads = {}
        for l in range(L, 0, -1):
            grads[f"dW{l}"] = dW_of(delta, cache[f"A{l - 1}"]) / m
            grads[f"db{l}"] = db_of(delta) / m
            if l > 1:
                delta = hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], hidden_activation)
        return grads
    return wrong


# ---------------------------------------------------------------- train

def _train_with(history_of=lambda costs, sizes, m: sum(c * s for c, s in zip(costs, sizes)) / m, fixed_lr=None,
                backward_of=None, forward_options=None, labels_of=lambda batch: batch):
    """train as the notebook's solution draws (init_he, then minibatch_indices every epoch), with one slip:
    history_of(batch costs, batch sizes, m) for an epoch's cost, an lr of its own, the (hidden, output, loss)
    given to backward_batch (backward_of(hidden, output, loss)) or to forward and the cost, the columns of Y taken for a batch's columns of X."""
    def wrong(X, Y, layer_sizes, epochs, batch_size, lr, rng, hidden_activation="relu",
              output_activation="softmax", loss="cross_entropy"):
        given = (hidden_activation, output_activation, loss)
        hidden, output, cost_loss = forward_options or given
        step_lr = lr if fixed_lr is None else fixed_lr
        params = init_he(layer_sizes, rng)
        m = X.shape[1]
        history = []
        for _ in range(epochs):
            costs, sizes = [], []
            for batch in minibatch_indices(m, batch_size, rng):
                X_batch, Y_batch = X[:, batch], Y[:, labels_of(batch)]
                AL, cache = forward(X_batch, params, hidden, output)
                costs.append(compute_loss(AL, Y_batch, cost_loss))
                sizes.append(batch.shape[0])
                options = (hidden, output, cost_loss)
                grads = backward_batch(Y_batch, params, cache, *(backward_of(*options) if backward_of else options))
                params = sgd_step(params, grads, step_lr)
            history.append(history_of(costs, sizes, m))
        return params, history
    return wrong


MISTAKES = {
    "backward_batch": (
        Mistake("db_summed_over_units", "one number per example: that is a sum over axis 0",
                wrong=_backward_with(db_of=lambda delta: np.sum(delta, axis=0, keepdims=True))),
        Mistake("m_from_rows_of_Y", "was m taken from the rows", wrong=_backward_with(m_of=lambda Y: Y.shape[0])),
        Mistake("np_outer_for_the_batch", "right for a single example (m = 1), but not for a batch",
                wrong=_backward_with(dW_of=np.outer)),
        Mistake("changes_params_or_cache", "must leave params and cache as they were", reason=_changed("params", "cache")),
    ),
    "minibatch_indices": (
        Mistake("fixed_blocks", "every batch is a run of consecutive indices",
                reason="every batch is a run of consecutive indices"),
        Mistake("not_shuffled", "the indices come out in order 0, 1, 2, ...", reason="not shuffled"),
        Mistake("float_indices", "expected integers (they are used as indices)",
                reason=r"of float\w*, expected a 1-D integer array"),
        Mistake("not_a_list", "expected a list of arrays", reason="expected a list of index arrays"),
        Mistake("batch_sizes", "all full except possibly the last", reason=r"batches, expected \d+ \(m = |^batch sizes \["),
        Mistake("not_each_index_once", "every index must appear exactly once", reason="exactly once"),
        # Both a fixed seed of its own and NumPy's global generator draw nothing from rng: the watcher's
        # reason cannot tell them apart, and these words fit both.
        Mistake("not_drawn_from_rng", "draw all randomness from rng", reason="drew no random numbers from its generator"),
    ),
    "sgd_step": (
        Mistake("uphill", "moved every parameter by + lr * gradient, uphill",
                wrong=lambda params, grads, lr: {k: v + lr * grads[f"d{k}"] for k, v in params.items()}),
        Mistake("grads_keyed_like_params", "which is not a key of grads",
                reason=r"^KeyError: '[Wb]\d+'"),
    ),
    "train": (
        Mistake("changes_X_or_Y", "shuffle the column indices, not the data", reason=_changed("X", "Y")),
        # An all-zero history (a cost that is always 0) also repeats exactly: not this slip.
        Mistake("not_reshuffled", "same order every epoch make SGD repeat one cycle exactly",
                reason=r"cost exactly the same \((?!0\)).*not reshuffled"),
        Mistake("not_he_spread", "N(0, 2/n[l-1])",
                reason=r"params\['W\d+'\] has (std|mean) .*\(He initialisation\)"),
        Mistake("summed_batch_costs", "the sum of the 8 batch costs, not their mean",
                wrong=_train_with(history_of=lambda costs, sizes, m: sum(costs))),
        Mistake("last_batch_cost", "Add up every batch's cost over the epoch",
                wrong=_train_with(history_of=lambda costs, sizes, m: costs[-1])),
        Mistake("unweighted_batch_mean", "batch's cost by its size (the last batch is smaller), then divide by m",
                wrong=_train_with(history_of=lambda costs, sizes, m: sum(costs) / len(costs))),
        Mistake("lr_not_used", "with lr = 0 the parameters still change", wrong=_train_with(fixed_lr=0.1)),
        Mistake("options_not_passed", "history[0] should be the binary cross-entropy of a tanh-sigmoid network",
                wrong=_train_with(forward_options=("relu", "softmax", "cross_entropy"))),
        Mistake("backward_with_defaults", "Are the three arguments passed on to backward_batch as well?",
                wrong=_train_with(backward_of=lambda hidden, output, loss: ("relu", output, loss))),
        Mistake("labels_misaligned", "each column of X stays with its own column of Y", wrong=_train_with(labels_of=np.sort)),
    ),
}
