"""06_regularization: L2 weight penalty, inverted dropout, both through backprop, early stopping."""

import numpy as np

from autograder.judging import Spec, as_array, describe, match, random_inputs, same_as_reference

from ._namespace import like, namespace_of, num_layers


def _weights(params):
    return [value for key, value in params.items() if key.startswith("W")]


def l2_cost(cost, params, lambd):
    """C_L2 = C + (lambda / 2) sum_l ||W[l]||_F^2. Biases are not penalised. Returns a float."""
    penalty = 0.0
    for W in _weights(params):
        xp = namespace_of(W)
        penalty += float(xp.sum(W * W))
    return float(cost) + 0.5 * lambd * penalty


def l2_gradients(grads, params, lambd):
    """dW[l] += lambda W[l] (db unchanged); returns a new dict."""
    return {
        key: grad + lambd * params[key[1:]] if key.startswith("dW") else grad
        for key, grad in grads.items()
    }


def dropout_forward(A, keep_prob, rng):
    """Inverted dropout: keep each unit with probability keep_prob, scale survivors by 1/keep_prob.

    A (n, m) -> (A_out (n, m), mask (n, m) of 0.0/1.0 in A's namespace and dtype), so that
    E[A_out] = A and nothing needs rescaling at test time.
    """
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    mask = like(rng.random(tuple(A.shape)) < keep_prob, A)
    return A * mask / keep_prob, mask


def dropout_backward(dA, mask, keep_prob):
    """Backward of inverted dropout: the same mask and scale applied to the incoming gradient."""
    return dA * mask / keep_prob


def backward_train(Y, params, cache, masks, keep_prob=1.0, lambd=0.0):
    """Gradients of J = mean BCE + (lambd / 2) sum_l ||W[l]||_F^2 for ReLU hidden layers, a sigmoid
    output, and inverted dropout on the hidden layers whose masks are given.

    Y (1, m); cache {"A0", "Z1", "A1", ...} with each hidden A[l] taken after dropout; masks
    {"D1": (n[1], m), ...}, {} without dropout. Returns {"dW1", "db1", ...} shaped like params.
    """
    xp = namespace_of(Y)
    L = num_layers(params)
    m = Y.shape[1]
    delta = cache[f"A{L}"] - Y
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = delta @ cache[f"A{l - 1}"].T / m + lambd * params[f"W{l}"]
        grads[f"db{l}"] = xp.sum(delta, axis=1, keepdims=True) / m
        if l > 1:
            dA = params[f"W{l}"].T @ delta
            if f"D{l - 1}" in masks:
                dA = dropout_backward(dA, masks[f"D{l - 1}"], keep_prob)
            delta = dA * xp.astype(cache[f"Z{l - 1}"] > 0, delta.dtype)
    return grads


def early_stopping_epoch(val_losses, patience):
    """Epoch index to restore when training stops `patience` epochs after the best so far.

    Scans in order; the best is the lowest loss, earliest on ties. Returns the best epoch at the
    stopping point, or the best overall if training never stops.
    """
    best = None
    for epoch, value in enumerate(val_losses):
        if best is None or value < val_losses[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    if best is None:
        raise ValueError("val_losses is empty")
    return best


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

RATE_SIZE = 8000  # dropout masks with at least this many entries get their keep rate checked
RATE_TOLERANCE = 0.05


def _cases_l2_cost(rng):
    # Two layers at least in the first: a penalty of W1 alone must show.
    return [([float(rng.uniform(0, 3)), random_inputs.params(rng, random_inputs.layer_sizes(rng, 2, 3, 1, 5)),
              float(rng.uniform(0.01, 1.0))], {}),
            ([float(rng.uniform(0, 3)), random_inputs.params(rng, random_inputs.layer_sizes(rng, 1, 2, 1, 4)), 0.0], {})]


def _cases_l2_gradients(rng):
    cases = []
    for lambd in (float(rng.uniform(0.01, 1.0)), float(rng.uniform(1.0, 5.0))):
        params = random_inputs.params(rng, random_inputs.layer_sizes(rng, 1, 3, 1, 5))
        cases.append(([random_inputs.grads_for(rng, params), params, lambd], {}))
    return cases


def _cases_dropout_forward(rng):
    return [([rng.standard_normal((random_inputs.integer(rng, 80, 100), random_inputs.integer(rng, 100, 120))),
              float(rng.uniform(0.6, 0.9)), random_inputs.rng_arg(random_inputs.seed(rng))], {}),
            ([rng.standard_normal((random_inputs.integer(rng, 1, 5), 1)), 0.5, random_inputs.rng_arg(random_inputs.seed(rng))], {}),
            ([rng.standard_normal((random_inputs.integer(rng, 2, 6), random_inputs.integer(rng, 2, 6))), 1.0,
              random_inputs.rng_arg(random_inputs.seed(rng))], {})]


def _judge_dropout_forward(got, args, kwargs):
    A, keep_prob = args[0], args[1]
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"returned {describe(got)}, expected a tuple (A_out, mask)"
    A_out, mask = (as_array(v) for v in got)
    for label, value, raw in (("A_out", A_out, got[0]), ("mask", mask, got[1])):
        if value is None or value.shape != A.shape:
            return f"{label} is {describe(raw)}, expected shape {A.shape}"
    mask = mask.astype(np.float64)
    if not np.all((mask == 0) | (mask == 1)):
        return "mask holds values other than 0 and 1"
    reason = match(A_out, A * mask / keep_prob, "A_out")
    if reason:
        return f"{reason}; expected A * mask / keep_prob"
    rate = float(np.mean(mask))
    if keep_prob == 1 and rate != 1:
        return "with keep_prob = 1 some units were dropped"
    if A.size >= RATE_SIZE and abs(rate - keep_prob) > RATE_TOLERANCE:
        return f"kept {100 * rate:.1f} % of {A.size} units, expected about {100 * keep_prob:.0f} % (keep_prob)"
    return None


def _cases_dropout_backward(rng):
    cases = []
    for m in (1, random_inputs.integer(rng, 2, 8)):
        n = random_inputs.integer(rng, 2, 6)
        keep_prob = float(rng.uniform(0.5, 0.95))
        mask = (rng.random((n, m)) < keep_prob).astype(np.float64)
        cases.append(([rng.standard_normal((n, m)), mask, keep_prob], {}))
    return cases


def _cases_backward_train(rng):
    """Random ReLU/sigmoid nets with frozen 0/1 masks on every hidden layer (none when keep_prob is 1),
    the cache a masked forward pass gives, and lambd including 0."""
    cases = []
    # The first has m >= 2, so that a penalty's gradient divided by m shows.
    for keep_prob, lambd, fewest in ((float(rng.uniform(0.3, 0.95)), float(rng.uniform(0.01, 2.0)), 2),
                                     (float(rng.uniform(0.3, 0.95)), 0.0, 1), (1.0, float(rng.uniform(0.01, 2.0)), 1)):
        sizes = random_inputs.layer_sizes(rng, 1, 3, 1, 6) + [1]
        m = random_inputs.integer(rng, fewest, 8)
        params = random_inputs.params(rng, sizes)
        A = rng.standard_normal((sizes[0], m))
        cache, masks = {"A0": A}, {}
        for l in range(1, len(sizes)):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            if l < len(sizes) - 1:
                A = np.maximum(Z, 0)
                if keep_prob < 1:
                    masks[f"D{l}"] = (rng.random(Z.shape) < keep_prob).astype(np.float64)
                    A = A * masks[f"D{l}"] / keep_prob
            else:
                A = 1 / (1 + np.exp(-Z))
            cache[f"Z{l}"], cache[f"A{l}"] = Z, A
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        cases.append(([Y, params, cache, masks, keep_prob, lambd], {}))
    return cases


def _cases_early_stopping_epoch(rng):
    # Rounded losses: ties are frequent, and the earliest best must win them.
    rough = np.round(rng.uniform(0, 1, size=random_inputs.integer(rng, 8, 20)), 1).tolist()
    patience = random_inputs.integer(rng, 2, 4)
    start = np.sort(rng.uniform(1, 2, size=random_inputs.integer(rng, 1, 4)))[::-1].tolist()
    tie = start + [0.5, 0.5] + rng.uniform(0.6, 0.9, size=patience + 2).tolist()
    low, high = sorted(rng.uniform(0.2, 0.8, size=2).tolist())
    # A new best comes after a bad epoch: the wait restarts at every new best (a count of bad epochs
    # that is never reset stops too early).
    restart = [high + 0.5, high + 0.7, high] + [high + 0.1] * (patience - 1) + [low] + [low + 0.1] * (patience + 1)
    # A new best one epoch after the stop is due: training must already have stopped (> versus >=).
    boundary = [low] + [high] * patience + [low - 0.1] + [high] * (patience + 1)
    # Never stops, the best in the middle: the best overall, not the last epoch.
    middle = [high + 0.3, low, high, high + 0.1]
    return [([rough, random_inputs.integer(rng, 1, 3)], {}),
            ([tie, patience], {}),
            ([[float(rng.uniform(0, 1))], 1], {}),
            ([restart, patience], {}), ([boundary, patience], {}), ([middle, len(middle) + 1], {})]


SPECS = {
    "l2_cost": Spec(_cases_l2_cost, same_as_reference(l2_cost)),
    "l2_gradients": Spec(_cases_l2_gradients, same_as_reference(l2_gradients)),
    # Random: judged by properties, whatever the order of the draws.
    "dropout_forward": Spec(_cases_dropout_forward, _judge_dropout_forward),
    "dropout_backward": Spec(_cases_dropout_backward, same_as_reference(dropout_backward)),
    "backward_train": Spec(_cases_backward_train, same_as_reference(backward_train)),
    "early_stopping_epoch": Spec(_cases_early_stopping_epoch, same_as_reference(early_stopping_epoch)),
}
