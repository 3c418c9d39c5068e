"""06_regularization: L2 weight penalty, inverted dropout, both through backprop, early stopping."""

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
