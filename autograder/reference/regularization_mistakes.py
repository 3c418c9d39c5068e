"""06_regularization: the named mistakes of its exercises (autograder.judging.mistakes), beside `regularization`.

Each message is the visible test's own words for the slip (source/06_regularization/06_regularization.py).
All exercises but `dropout_forward` are deterministic: a wrong transform makes the slip. `dropout_forward` is
random and its judge only says "A_out differs", which does not tell its slips apart: a wrong one here draws
its mask like the reference (rng.random(A.shape) < keep_prob, the notebook's own suggestion), so it
recognises the students who draw so and leaves the others unrecognised, never misnamed; the slips its
judge does name (the keep rate, a mask of other values, A changed in place) are read from its reason.
"""

import numpy as np

from autograder.judging.mistakes import Mistake

from ._namespace import num_layers


def _changed(*names):
    """The watcher's words for an input changed in place, an entry of it replaced, a key added or removed, or its
    length changed: "... its input `cache['A2']` ...", "... of its input `params` ..."."""
    return "|".join(rf"its input `{name}\b" for name in names)


def _weights(params):
    return [value for key, value in params.items() if key.startswith("W")]


def _l2_cost_with(penalty_of):
    """cost + penalty_of(weights, biases), the penalty as the slip computes it."""
    def wrong(cost, params, lambd):
        biases = [value for key, value in params.items() if key.startswith("b")]
        return float(cost + lambd * penalty_of(_weights(params), biases))
    return wrong


def _squares(arrays):
    return sum(float(np.sum(a * a)) for a in arrays)


def _l2_gradients_with(dW_of, db_of=lambda db, b, lambd: db):
    return lambda grads, params, lambd: {
        key: dW_of(grad, params[key[1:]], lambd) if key.startswith("dW") else db_of(grad, params[key[1:]], lambd)
        for key, grad in grads.items()}


def _dropout_with(returned):
    """dropout_forward drawing its mask like the reference, returning returned(A, mask, keep_prob)."""
    def wrong(A, keep_prob, rng):
        return returned(A, (rng.random(A.shape) < keep_prob).astype(np.float64), keep_prob)
    return wrong


def _backward_train_with(penalty=lambda lambd, m, l, L: lambd, biases_penalised=False,
                         through_mask=lambda dA, D, keep_prob: dA * D / keep_prob, A_prev_masked=False):
    """backward_train with one slip: the factor of W[l] in dW[l] (penalty(lambd, m, l, L)), lambd * b[l] in db[l]
    too, what a hidden layer's mask does to dA on the way down (through_mask), or the mask of layer l-1 applied
    again to the cached A[l-1] in dW[l]."""
    def wrong(Y, params, cache, masks, keep_prob=1.0, lambd=0.0):
        L, m = num_layers(params), Y.shape[1]
        delta = cache[f"A{L}"] - Y
        grads = {}
        for l in range(L, 0, -1):
            A_prev, D_prev = cache[f"A{l - 1}"], masks.get(f"D{l - 1}")
            if A_prev_masked and D_prev is not None:
                A_prev = A_prev * D_prev / keep_prob
            grads[f"dW{l}"] = delta @ A_prev.T / m + penalty(lambd, m, l, L) * params[f"W{l}"]
            grads[f"db{l}"] = np.sum(delta, axis=1, keepdims=True) / m + (lambd * params[f"b{l}"] if biases_penalised else 0)
            if l > 1:
                dA = params[f"W{l}"].T @ delta
                if D_prev is not None:
                    dA = through_mask(dA, D_prev, keep_prob)
                delta = dA * (cache[f"Z{l - 1}"] > 0)
        return grads
    return wrong


def _early_stop_without_restart(val_losses, patience):
    """Counts every epoch that is no new best, and stops when that count reaches the patience."""
    best, waited = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best = epoch
        else:
            waited += 1
            if waited == patience:
                break
    return best


def _early_stop_with(improves=lambda value, best_value: value < best_value, stops=lambda waited, patience: waited >= patience,
                     return_stop=False):
    def wrong(val_losses, patience):
        best = 0
        for epoch in range(1, len(val_losses)):
            if improves(val_losses[epoch], val_losses[best]):
                best = epoch
            elif stops(epoch - best, patience):
                return epoch if return_stop else best
        return best
    return wrong


MISTAKES = {
    "l2_cost": (
        Mistake("biases_penalised", "the biases were penalised too: only the W's enter the penalty",
                wrong=_l2_cost_with(lambda weights, biases: (_squares(weights) + _squares(biases)) / 2)),
        Mistake("twice_too_large", "the penalty is twice too large: it is (lambd / 2) * sum ||W||_F^2",
                wrong=_l2_cost_with(lambda weights, biases: _squares(weights))),
        Mistake("half_too_small", "the penalty is half too small: it is (lambd / 2) * sum ||W||_F^2",
                wrong=_l2_cost_with(lambda weights, biases: _squares(weights) / 4)),
        Mistake("norm_not_squared", "use the SQUARED Frobenius norm",
                wrong=_l2_cost_with(lambda weights, biases: sum(np.sqrt(_squares([W])) for W in weights) / 2)),
        Mistake("penalty_only", "you returned only the penalty: add it to cost",
                wrong=lambda cost, params, lambd: float(lambd / 2 * _squares(_weights(params)))),
        Mistake("first_layer_only", "only W1 was penalised: sum over every layer's W",
                wrong=_l2_cost_with(lambda weights, biases: _squares(weights[:1]) / 2)),
        Mistake("no_penalty", "the penalty is missing (lambd > 0 here)", wrong=lambda cost, params, lambd: float(cost)),
        Mistake("l1_penalty", "that is a sum of absolute values (an L1 penalty)",
                wrong=_l2_cost_with(lambda weights, biases: sum(float(np.sum(np.abs(W))) for W in weights) / 2)),
        Mistake("square_of_the_sum", "that squares the sum of the entries",
                wrong=_l2_cost_with(lambda weights, biases: sum(float(np.sum(W)) ** 2 for W in weights) / 2)),
    ),
    "l2_gradients": (
        Mistake("changes_grads", "even in a copy made with dict(grads), which shares the arrays",
                reason=_changed("grads", "params")),
        Mistake("biases_penalised", "biases are not penalised",
                wrong=_l2_gradients_with(lambda dW, W, lambd: dW + lambd * W, lambda db, b, lambd: db + lambd * b)),
        Mistake("half_lambd", "the derivative of (lambd / 2) * W**2 is lambd * W, not lambd / 2 * W",
                wrong=_l2_gradients_with(lambda dW, W, lambd: dW + lambd / 2 * W)),
        Mistake("sign_flipped", "sign flipped: the penalty's gradient is + lambd * W",
                wrong=_l2_gradients_with(lambda dW, W, lambd: dW - lambd * W)),
        Mistake("replaced_dW", "you replaced dW by lambd * W: ADD lambd * W to the existing dW",
                wrong=_l2_gradients_with(lambda dW, W, lambd: lambd * W)),
        Mistake("twice_lambd", "twice too much: the 1/2 in the penalty cancels the 2 of W**2",
                wrong=_l2_gradients_with(lambda dW, W, lambd: dW + 2 * lambd * W)),
        Mistake("dW_unchanged", "dW did not change: add lambd * W to it", wrong=_l2_gradients_with(lambda dW, W, lambd: dW)),
        Mistake("W_squared", "the derivative of (lambd / 2) * W**2 is lambd * W, not lambd * W**2",
                wrong=_l2_gradients_with(lambda dW, W, lambd: dW + lambd * W**2)),
    ),
    "dropout_forward": (
        Mistake("changes_A", "A *= ... writes into the caller's activation", reason=_changed("A")),
        Mistake("no_division", "A_out = A * mask; inverted dropout also divides",
                wrong=_dropout_with(lambda A, mask, keep_prob: (A * mask, mask))),
        Mistake("times_keep_prob", "A_out = A * mask * keep_prob; DIVIDE by keep_prob",
                wrong=_dropout_with(lambda A, mask, keep_prob: (A * mask * keep_prob, mask))),
        Mistake("mask_scaled", "mask holds 0 and 1/keep_prob; keep it 0/1",
                wrong=_dropout_with(lambda A, mask, keep_prob: (A * mask / keep_prob, mask / keep_prob))),
        Mistake("returned_swapped", "return (A_out, mask) in that order",
                wrong=_dropout_with(lambda A, mask, keep_prob: (mask, A * mask / keep_prob))),
        Mistake("keep_rate", "keep_prob is the probability of KEEPING a unit (mask = 1)", reason=r"^kept .* units, expected about"),
        Mistake("mask_not_0_1", "mask must hold only 0s and 1s", reason="mask holds values other than 0 and 1"),
    ),
    "dropout_backward": (
        Mistake("no_division", "missing the division by keep_prob: the backward pass scales like the forward pass",
                wrong=lambda dA, mask, keep_prob: dA * mask),
        Mistake("times_keep_prob", "multiplied by keep_prob: DIVIDE by it, as in the forward pass",
                wrong=lambda dA, mask, keep_prob: dA * mask * keep_prob),
        Mistake("no_mask", "the mask is missing: a dropped unit passes back no gradient",
                wrong=lambda dA, mask, keep_prob: dA / keep_prob),
        Mistake("mask_inverted", "the mask is inverted: gradients flow through the KEPT units (mask = 1)",
                wrong=lambda dA, mask, keep_prob: dA * (1 - mask) / keep_prob),
    ),
    "backward_train": (
        Mistake("changes_its_inputs", "the cache, the masks and params belong to the caller, who reuses them",
                reason=_changed("cache", "masks", "params", "Y")),
        Mistake("no_l2_term", "the L2 term is missing: every dW[l] gains lambd * W[l]",
                wrong=_backward_train_with(penalty=lambda lambd, m, l, L: 0.0)),
        Mistake("biases_penalised", "the biases are penalised too: only the weights W[l] are",
                wrong=_backward_train_with(biases_penalised=True)),
        Mistake("top_layer_only", "every layer's dW[l] gains lambd * W[l]",
                wrong=_backward_train_with(penalty=lambda lambd, m, l, L: lambd if l == L else 0.0)),
        Mistake("lambd_over_m", "this course's penalty (lambd / 2) sum ||W[l]||^2 has no 1/m",
                wrong=_backward_train_with(penalty=lambda lambd, m, l, L: lambd / m)),
        Mistake("lambd_over_2m", "this course's penalty (lambd / 2) sum ||W[l]||^2 has no 1/m",
                wrong=_backward_train_with(penalty=lambda lambd, m, l, L: lambd / (2 * m))),
        Mistake("half_lambd", "the 2 of the square cancels the 1/2 of lambd/2",
                wrong=_backward_train_with(penalty=lambda lambd, m, l, L: lambd / 2)),
        Mistake("twice_lambd", "the 2 of the square cancels the 1/2 of lambd/2",
                wrong=_backward_train_with(penalty=lambda lambd, m, l, L: 2 * lambd)),
        Mistake("no_masks", "the gradient skips the dropout masks",
                wrong=_backward_train_with(through_mask=lambda dA, D, keep_prob: dA)),
        Mistake("no_division", "the division by keep_prob is missing",
                wrong=_backward_train_with(through_mask=lambda dA, D, keep_prob: dA * D)),
        Mistake("times_keep_prob", "the gradient is multiplied by keep_prob: inverted dropout DIVIDES by keep_prob",
                wrong=_backward_train_with(through_mask=lambda dA, D, keep_prob: dA * D * keep_prob)),
        Mistake("masks_twice", "each hidden layer's mask and 1/keep_prob are applied twice on the way down",
                wrong=_backward_train_with(through_mask=lambda dA, D, keep_prob: dA * D * D / keep_prob**2)),
        Mistake("mask_again_on_A", "dW[l] applies the mask of layer l-1 to cache[f'A{l-1}'] a second time",
                wrong=_backward_train_with(A_prev_masked=True)),
    ),
    "early_stopping_epoch": (
        Mistake("changes_val_losses", "read val_losses without changing it", reason=_changed("val_losses")),
        Mistake("wait_never_restarts", "the wait restarts at every new best", wrong=_early_stop_without_restart),
        Mistake("stops_one_epoch_late", "the first epoch with epoch - best >= patience",
                wrong=_early_stop_with(stops=lambda waited, patience: waited > patience)),
        Mistake("returns_the_stop", "return the BEST epoch, not the epoch where training stopped",
                wrong=_early_stop_with(return_stop=True)),
        Mistake("latest_on_ties", "earliest on ties: a tie is not an improvement",
                wrong=_early_stop_with(improves=lambda value, best_value: value <= best_value)),
    ),
}
