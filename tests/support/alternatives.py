"""Correct implementations of every exercise written differently from the reference (other formulas,
other orders of random draws): test_verify_specs shows the integrity check passes each, and test_leaks
that an honest answer, however close to the instructor's, is not flagged. Notebooks 09 and 10's are in
alternatives_going_further."""

import math

import numpy as np

from autograder import reference as ref
from tests.support import alternatives_going_further as going_further


def _alt_layer_shapes(layer_sizes):
    return [[[np.int64(n_out), n_in], [n_out, 1]] for n_in, n_out in zip(layer_sizes, layer_sizes[1:])]


def _alt_count_parameters(layer_sizes):
    sizes = np.array(layer_sizes, dtype=np.int64)
    return np.sum(sizes[1:] * sizes[:-1]) + np.sum(sizes[1:])


def _alt_jacobian_example(x, y):
    return [[2, 3 * y * y], [-13, math.exp(y)]]


def _alt_numerical_gradient(f, x, eps=1e-6):
    flat = np.array(x, dtype=float).ravel()
    grad = np.empty(flat.size)
    for i in range(flat.size):
        step = np.zeros(flat.size)
        step[i] = eps
        grad[i] = (f((flat + step).reshape(np.shape(x))) - f((flat - step).reshape(np.shape(x)))) / 2 / eps
    return grad.reshape(np.shape(x))


def _alt_numerical_jacobian(F, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    rows = [(np.asarray(F(x + e)) - np.asarray(F(x - e))) / (2 * eps) for e in np.eye(x.size) * eps]
    return np.array(rows).T


def _alt_sigmoid(z):
    return 0.5 * (1 + np.tanh(np.asarray(z) / 2))


def _alt_stable_sigmoid(z):
    # 02's sigmoid keeps tiny values (about e^z far left), where the tanh form above returns 0.
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def _alt_relu(z):
    return z * (z > 0)


def _alt_leaky_relu(z, alpha=0.01):
    return np.maximum(z, alpha * z)


def _alt_softplus(z):
    return np.logaddexp(0, z)


def _alt_swish(z):
    return z / (1 + np.exp(-z))


def _alt_softmax(Z):
    out = np.empty_like(Z, dtype=float)
    for j in range(Z.shape[1]):
        column = np.exp(Z[:, j] - Z[:, j].max())
        out[:, j] = column / column.sum()
    return out


def _alt_linear_forward(A_prev, W, b):
    return np.einsum("ij,jm->im", W, A_prev) + b


ALT_ACTIVATIONS = {"sigmoid": _alt_sigmoid, "relu": _alt_relu, "leaky_relu": _alt_leaky_relu, "tanh": np.tanh,
                   "softplus": _alt_softplus, "swish": _alt_swish, "identity": lambda z: z + 0.0,
                   "softmax": _alt_softmax}


def _alt_layer_forward(A_prev, W, b, activation):
    if activation not in ALT_ACTIVATIONS:
        raise ValueError(f"{activation!r} is none of " + ", ".join(ALT_ACTIVATIONS))
    Z = _alt_linear_forward(A_prev, W, b)
    return ALT_ACTIVATIONS[activation](Z), Z


def _alt_forward(X, params, hidden_activation="relu", output_activation="sigmoid"):
    L = len(params) // 2
    cache = {"A0": X}
    for l in range(1, L + 1):
        activation = output_activation if l == L else hidden_activation
        cache[f"A{l}"], cache[f"Z{l}"] = _alt_layer_forward(cache[f"A{l - 1}"], params[f"W{l}"],
                                                           params[f"b{l}"], activation)
    return cache[f"A{L}"], cache


def _alt_xor_params():  # hidden AND and NOR; the output is on when both are off
    return {"W1": np.array([[20.0, 20.0], [-20.0, -20.0]]), "b1": np.array([[-30.0], [10.0]]),
            "W2": np.array([[-20.0, -20.0]]), "b2": np.array([[10.0]])}


def _alt_sigmoid_prime(z):
    return 0.25 / np.cosh(np.asarray(z) / 2) ** 2


def _alt_relu_prime(z):
    return np.where(z > 0, 1.0, 0.0)


def _alt_leaky_relu_prime(z, alpha=0.01):
    return np.where(z > 0, 1.0, alpha)


def _alt_tanh_prime(z):
    return 1 / np.cosh(z) ** 2


ALT_PRIMES = {"sigmoid": _alt_sigmoid_prime, "relu": _alt_relu_prime, "leaky_relu": _alt_leaky_relu_prime,
              "tanh": _alt_tanh_prime, "identity": np.ones_like}


def _alt_mse_loss(AL, Y):
    return np.asarray(np.mean(np.sum((AL - Y) ** 2, axis=0)) / 2)  # a 0-d array


def _alt_bce_loss(AL, Y):
    A = np.clip(AL, 1e-12, 1 - 1e-12)  # another clipping constant
    return float(np.mean(np.sum(-(Y * np.log(A) + (1 - Y) * np.log(1 - A)), axis=0)))


def _alt_cross_entropy_loss(AL, Y):
    return float(-np.sum(Y * np.log(np.clip(AL, 1e-15, None))) / Y.shape[1])


def _alt_output_delta(AL, Y, ZL, loss, output_activation):
    """The general form dC/dA * g'(Z) for softmax (its whole Jacobian); for BCE the contract asks for the
    simplified form, which stays finite when AL rounds to exactly 1, written as -(Y - AL)."""
    if loss == "bce":
        return -(Y - AL)
    if loss == "cross_entropy":
        dA = -Y / AL
        out = np.empty_like(AL)
        for j in range(AL.shape[1]):
            a = AL[:, j]
            out[:, j] = (np.diag(a) - np.outer(a, a)).T @ dA[:, j]
        return out
    return (AL - Y) * ALT_PRIMES[output_activation](ZL)


def _alt_hidden_delta(delta_next, W_next, Z, activation):
    return np.einsum("ji,jm->im", W_next, delta_next) * ALT_PRIMES[activation](Z)


def _alt_param_gradients(delta, A_prev):
    return np.outer(delta, A_prev), delta.copy()


def _alt_backward(Y, params, cache, hidden_activation, output_activation, loss):
    L = len(params) // 2
    delta = _alt_output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
    grads = {}
    for l in reversed(range(1, L + 1)):
        grads[f"dW{l}"], grads[f"db{l}"] = _alt_param_gradients(delta, cache[f"A{l - 1}"])
        if l > 1:
            delta = _alt_hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], hidden_activation)
    return dict(sorted(grads.items()))


def _alt_gradient_check(cost_fn, params, grads, eps=1e-6):
    analytic, numeric = [], []
    for key in params:
        analytic.append(np.ravel(grads["d" + key]))
        numeric.append(np.ravel(_alt_numerical_gradient(lambda v, key=key: cost_fn({**params, key: v}),
                                                        params[key], eps)))
    a, n = np.concatenate(analytic), np.concatenate(numeric)
    return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300)


def _alt_backward_batch(Y, params, cache, hidden_activation, output_activation, loss):
    L, m = len(params) // 2, Y.shape[1]
    delta = _alt_output_delta(cache[f"A{L}"], Y, cache[f"Z{L}"], loss, output_activation)
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = np.einsum("im,jm->ij", delta, cache[f"A{l - 1}"]) / m
        grads[f"db{l}"] = delta.mean(axis=1, keepdims=True)
        if l > 1:
            delta = _alt_hidden_delta(delta, params[f"W{l}"], cache[f"Z{l - 1}"], hidden_activation)
    return grads


def _alt_minibatch_indices(m, batch_size, rng):
    order = rng.choice(m, size=m, replace=False)
    return [order[start:start + batch_size] for start in range(0, m, batch_size)]


def _alt_sgd_step(params, grads, lr):
    return {key: np.subtract(value, lr * grads["d" + key]) for key, value in params.items()}


def _alt_init_he(layer_sizes, rng):  # draws the last layer first
    params = {}
    for l in reversed(range(1, len(layer_sizes))):
        params[f"W{l}"] = rng.normal(0.0, math.sqrt(2 / layer_sizes[l - 1]), size=(layer_sizes[l], layer_sizes[l - 1]))
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
    return params


def _alt_train(X, Y, layer_sizes, epochs, batch_size, lr, rng,
               hidden_activation="relu", output_activation="softmax", loss="cross_entropy"):
    """Reverse-order initialisation, rng.choice shuffles, and the cost of the whole set after each epoch."""
    params = _alt_init_he(layer_sizes, rng)
    m = X.shape[1]
    history = []
    for _ in range(epochs):
        for batch in _alt_minibatch_indices(m, batch_size, rng):
            _, cache = _alt_forward(X[:, batch], params, hidden_activation, output_activation)
            grads = _alt_backward_batch(Y[:, batch], params, cache, hidden_activation, output_activation, loss)
            params = _alt_sgd_step(params, grads, lr)
        AL, _ = _alt_forward(X, params, hidden_activation, output_activation)
        history.append({"mse": _alt_mse_loss, "bce": _alt_bce_loss, "cross_entropy": _alt_cross_entropy_loss}[loss](AL, Y))
    return params, np.array(history, dtype=float)


def _alt_init_zeros(layer_sizes):
    return {key: np.zeros(shape) for l, (w, b) in enumerate(ref.layer_shapes(layer_sizes), start=1)
            for key, shape in ((f"W{l}", w), (f"b{l}", b))}


def _alt_init_normal(layer_sizes, std, rng):  # the last layer first
    params = {}
    for l in range(len(layer_sizes) - 1, 0, -1):
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
        params[f"W{l}"] = rng.normal(0.0, std, size=(layer_sizes[l], layer_sizes[l - 1]))
    return params


def _alt_init_xavier(layer_sizes, rng):  # uniform with the same variance
    params = {}
    for l in range(1, len(layer_sizes)):
        limit = math.sqrt(6 / (layer_sizes[l] + layer_sizes[l - 1]))
        params[f"W{l}"] = rng.uniform(-limit, limit, size=(layer_sizes[l], layer_sizes[l - 1]))
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
    return params


def _alt_activation_stds(X, params, activation):
    _, cache = _alt_forward(X, params, activation, activation)
    return np.array([np.sqrt(np.var(cache[f"A{l}"], ddof=1)) for l in range(1, len(params) // 2 + 1)])


def _alt_gradient_stds(X, params, activation):  # one example at a time, the error as a row vector, einsum
    L, m = len(params) // 2, X.shape[1]
    dW = [np.zeros_like(params[f"W{l}"]) for l in range(1, L + 1)]
    for x in X.T:
        _, cache = _alt_forward(x[:, None], params, activation, activation)
        row = np.ones(params[f"W{L}"].shape[0])
        for l in range(L, 0, -1):
            row = row * ALT_PRIMES[activation](cache[f"Z{l}"][:, 0])
            dW[l - 1] += np.einsum("i,j->ij", row, cache[f"A{l - 1}"][:, 0]) / m
            row = row @ params[f"W{l}"]
    return tuple(float(np.sqrt(np.mean((d - d.mean()) ** 2))) for d in dW)


def _alt_l2_cost(cost, params, lambd):
    return cost + lambd / 2 * sum(np.linalg.norm(v, "fro") ** 2 for k, v in params.items() if k[0] == "W")


def _alt_l2_gradients(grads, params, lambd):
    new = dict(grads)
    for key in params:
        if key.startswith("W"):
            new["d" + key] = grads["d" + key] + lambd * params[key]
    return new


def _alt_dropout_forward(A, keep_prob, rng):
    mask = rng.binomial(1, keep_prob, size=A.shape).astype(bool)  # a boolean mask
    return A * mask * (1 / keep_prob), mask


def _alt_dropout_backward(dA, mask, keep_prob):
    return np.where(mask == 1, dA / keep_prob, 0.0)


def _alt_backward_train(Y, params, cache, masks, keep_prob=1.0, lambd=0.0):
    # Per-layer dC/dA first, the masks applied by np.where, relu' read from A (zero exactly where Z <= 0
    # or the unit was dropped, where dA is zero anyway).
    L = len(params) // 2
    m = Y.shape[1]
    grads, dZ = {}, (cache[f"A{L}"] - Y) / m
    for l in range(L, 0, -1):
        grads[f"db{l}"] = dZ.sum(axis=1)[:, None]
        grads[f"dW{l}"] = np.einsum("im,jm->ij", dZ, cache[f"A{l - 1}"]) + lambd * params[f"W{l}"]
        if l > 1:
            dA = params[f"W{l}"].T @ dZ
            mask = masks.get(f"D{l - 1}")
            if mask is not None:
                dA = np.where(mask > 0, dA / keep_prob, 0.0)
            dZ = np.where(cache[f"A{l - 1}"] > 0, dA, 0.0)
    return grads


def _alt_early_stopping_epoch(val_losses, patience):
    best, waited = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best, waited = epoch, 0
        else:
            waited += 1
            if waited == patience:
                break
    return np.int64(best)


def _alt_momentum_update(params, grads, velocity, lr, beta):
    new_v = {k: np.multiply(beta, velocity[k]) + grads["d" + k] for k in params}
    return {k: params[k] - lr * new_v[k] for k in params}, new_v


def _alt_nesterov_update(params, grads, velocity, lr, beta):
    new_v = {k: beta * velocity[k] + grads["d" + k] for k in params}
    return {k: params[k] - lr * grads["d" + k] - lr * beta * new_v[k] for k in params}, new_v


def _alt_adagrad_update(params, grads, cache, lr, eps=1e-8):
    new_cache = {k: cache[k] + np.square(grads["d" + k]) for k in params}
    return {k: params[k] - lr * grads["d" + k] / (np.sqrt(new_cache[k]) + eps) for k in params}, new_cache


def _alt_rmsprop_update(params, grads, cache, lr, rho=0.9, eps=1e-8):
    new_cache = {k: cache[k] + (1 - rho) * (np.square(grads["d" + k]) - cache[k]) for k in params}
    return {k: params[k] - lr * grads["d" + k] / (np.sqrt(new_cache[k]) + eps) for k in params}, new_cache


def _alt_adam_update(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    new_m = {k: m[k] + (1 - beta1) * (grads["d" + k] - m[k]) for k in params}
    new_v = {k: beta2 * v[k] + (1 - beta2) * grads["d" + k] ** 2 for k in params}
    new_params = {k: params[k] - lr * (new_m[k] / (1 - beta1**t)) / (np.sqrt(new_v[k] / (1 - beta2**t)) + eps)
                  for k in params}
    return new_params, new_m, new_v


def _alt_lr_schedule(kind, lr0, epoch, **kw):
    schedules = {
        "constant": lambda: lr0,
        "step": lambda: lr0 * kw.get("drop", 0.5) ** (epoch // kw.get("every", 10)),
        "exponential": lambda: lr0 / np.exp(kw.get("k", 0.1) * epoch),
        "inverse_time": lambda: lr0 / (1.0 + kw.get("decay", 1.0) * epoch),
        "cosine": lambda: kw.get("lr_min", 0) + 0.5 * (lr0 - kw.get("lr_min", 0))
        * (1 + np.cos(np.pi * epoch / kw["total_epochs"])),
    }
    if kind not in schedules:
        raise ValueError(f"no schedule {kind!r}: the kinds are {' / '.join(schedules)}")
    return np.float64(schedules[kind]())


def _alt_predict(X, params, hidden_activation="relu"):
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = ALT_ACTIVATIONS[hidden_activation](params[f"W{l}"] @ A + params[f"b{l}"])
    return np.argmax(params[f"W{L}"] @ A + params[f"b{L}"], axis=0)  # softmax keeps the arg-max


def _alt_accuracy(X, Y, params, hidden_activation="relu"):
    return np.sum(_alt_predict(X, params, hidden_activation) == Y.argmax(axis=0)) / Y.shape[1]


def _alt_train_classifier(X, Y, rng, hidden_sizes=(256, 128), epochs=30, batch_size=32, lr=1e-3):
    """Another good design: two hidden layers, Adam at a cosine-decaying step (written out here)."""
    params = _alt_init_he([X.shape[0], *hidden_sizes, Y.shape[0]], rng)
    first = {k: np.zeros_like(v) for k, v in params.items()}
    second = {k: np.zeros_like(v) for k, v in params.items()}
    t = 0
    for epoch in range(epochs):
        step = lr * (1 + np.cos(np.pi * epoch / epochs)) / 2
        for batch in _alt_minibatch_indices(X.shape[1], batch_size, rng):
            _, cache = _alt_forward(X[:, batch], params, "relu", "softmax")
            grads = _alt_backward_batch(Y[:, batch], params, cache, "relu", "softmax", "cross_entropy")
            t += 1
            for key in params:
                g = grads["d" + key]
                first[key] = 0.9 * first[key] + 0.1 * g
                second[key] = 0.999 * second[key] + 0.001 * g * g
                params[key] = params[key] - step * (first[key] / (1 - 0.9**t)) / (
                    np.sqrt(second[key] / (1 - 0.999**t)) + 1e-8)
    return params


ALTERNATIVES = {
    "layer_shapes": _alt_layer_shapes, "count_parameters": _alt_count_parameters,
    "jacobian_example": _alt_jacobian_example, "numerical_gradient": _alt_numerical_gradient,
    "numerical_jacobian": _alt_numerical_jacobian,
    "sigmoid": _alt_stable_sigmoid, "relu": _alt_relu, "leaky_relu": _alt_leaky_relu, "softplus": _alt_softplus,
    "swish": _alt_swish, "softmax": _alt_softmax, "linear_forward": _alt_linear_forward,
    "layer_forward": _alt_layer_forward, "forward": _alt_forward, "xor_params": _alt_xor_params,
    "sigmoid_prime": _alt_sigmoid_prime, "relu_prime": _alt_relu_prime, "leaky_relu_prime": _alt_leaky_relu_prime,
    "tanh_prime": _alt_tanh_prime, "mse_loss": _alt_mse_loss, "bce_loss": _alt_bce_loss,
    "cross_entropy_loss": _alt_cross_entropy_loss, "output_delta": _alt_output_delta,
    "hidden_delta": _alt_hidden_delta, "param_gradients": _alt_param_gradients, "backward": _alt_backward,
    "gradient_check": _alt_gradient_check,
    "backward_batch": _alt_backward_batch, "minibatch_indices": _alt_minibatch_indices, "sgd_step": _alt_sgd_step,
    "train": _alt_train,
    "init_zeros": _alt_init_zeros, "init_normal": _alt_init_normal, "init_xavier": _alt_init_xavier,
    "init_he": _alt_init_he, "activation_stds": _alt_activation_stds, "gradient_stds": _alt_gradient_stds,
    "l2_cost": _alt_l2_cost, "l2_gradients": _alt_l2_gradients, "dropout_forward": _alt_dropout_forward,
    "dropout_backward": _alt_dropout_backward, "backward_train": _alt_backward_train,
    "early_stopping_epoch": _alt_early_stopping_epoch,
    "momentum_update": _alt_momentum_update, "nesterov_update": _alt_nesterov_update,
    "adagrad_update": _alt_adagrad_update, "rmsprop_update": _alt_rmsprop_update, "adam_update": _alt_adam_update,
    "lr_schedule": _alt_lr_schedule,
    "train_classifier": _alt_train_classifier, "predict": _alt_predict, "accuracy": _alt_accuracy,
    **going_further.ALTERNATIVES,
}
