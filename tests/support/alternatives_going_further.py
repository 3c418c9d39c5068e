"""Notebooks 09 and 10 for test_verify_specs (the others are in tests.support.alternatives): correct
implementations written differently from the reference (other formulas, other structures, other node
names), and wrong tapes for network_tape."""

import numpy as np

# ---------------------------------------------------------------- 09_autodiff, correct


def _alt_softmax_columns(Z):
    E = np.exp(Z - Z.max(axis=0))
    return E / E.sum(axis=0)


def _alt_apply(op, args):
    if op == "add":
        return np.add(*args)
    if op == "mul":
        return np.multiply(*args)
    if op == "matmul":
        return np.matmul(*args)
    if op == "sum":
        return float(np.sum(args[0]))  # a float, not a 0-d array
    if op == "softmax_cross_entropy":
        Z, Y = args
        return float(-np.mean(np.sum(Y * np.log(_alt_softmax_columns(Z)), axis=0)))
    return {"tanh": np.tanh, "relu": lambda x: np.where(x > 0, x, 0.0), "exp": np.exp, "log": np.log}[op](args[0])


def _alt_evaluate(tape, values):
    out = {name: np.asarray(value, dtype=float) for name, value in values.items()}  # floats become 0-d arrays
    for name, op, inputs in tape:
        out[name] = _alt_apply(op, [out[i] for i in inputs])
    return out


def _alt_unbroadcast(grad, shape):
    grad = np.asarray(grad)
    added = grad.ndim - len(shape)
    stretched = tuple(added + i for i, size in enumerate(shape) if size == 1 and grad.shape[added + i] != 1)
    return np.sum(grad, axis=tuple(range(added)) + stretched, keepdims=True).reshape(shape)


def _alt_vjp(op, input_values, output_value, grad_output):
    g, x = np.asarray(grad_output, dtype=float), input_values
    if op in ("add", "mul"):
        local = [g, g] if op == "add" else [g * x[1], g * x[0]]
        return [_alt_unbroadcast(part, np.shape(value)) for part, value in zip(local, x)]  # a list
    if op == "matmul":
        return [np.einsum("im,km->ik", g, x[1]), np.einsum("ki,km->im", x[0], g)]
    if op == "softmax_cross_entropy":
        Z, Y = x
        return [g * (_alt_softmax_columns(Z) - Y) / Z.shape[1], np.zeros(Y.shape)]
    local = {"tanh": lambda: 1 / np.cosh(x[0]) ** 2, "relu": lambda: np.where(x[0] > 0, 1.0, 0.0),
             "exp": lambda: np.exp(x[0]), "log": lambda: 1 / x[0], "sum": lambda: np.ones(np.shape(x[0]))}[op]()
    return [g * local]


def _alt_reverse_mode(tape, values, output):
    """Collects every contribution in a list and sums them when a node is reached (no running +=)."""
    computed = _alt_evaluate(tape, values)
    contributions = {name: [] for name in computed}
    contributions[output].append(np.ones(np.shape(computed[output])))
    grads = {}
    for name, op, inputs in tape[::-1]:
        grads[name] = sum(contributions[name], np.zeros(np.shape(computed[name])))
        for input_name, part in zip(inputs, _alt_vjp(op, [computed[i] for i in inputs], computed[name], grads[name])):
            contributions[input_name].append(part)
    for name in values:
        grads[name] = sum(contributions[name], np.zeros(np.shape(computed[name])))
    return grads


def _alt_forward_mode(tape, values, tangents):
    """Tangents of the nodes only, by the chain rule through each primitive's vjp on unit vectors of
    the output: slow and different, but exact."""
    computed = _alt_evaluate(tape, values)
    t = {name: np.asarray(tangents.get(name, np.zeros(np.shape(value))), dtype=float)
         for name, value in values.items()}
    out = {}
    for name, op, inputs in tape:
        args = [computed[i] for i in inputs]
        result = np.zeros(np.shape(computed[name]))
        for index in np.ndindex(result.shape):
            unit = np.zeros(result.shape)
            unit[index] = 1.0
            parts = _alt_vjp(op, args, computed[name], unit)
            used = parts[:1] if op == "softmax_cross_entropy" else parts
            result[index] = sum(float(np.sum(p * t[i])) for p, i in zip(used, inputs))
        t[name] = out[name] = result
    return out


def _alt_network_tape(num_layers, hidden_activation="relu"):
    """Other node names, lists for tuples, and the bias added first."""
    tape, previous = [], "X"
    for l in range(1, num_layers + 1):
        tape.append([f"layer{l}_product", "matmul", [f"W{l}", previous]])
        tape.append([f"layer{l}_pre", "add", [f"b{l}", f"layer{l}_product"]])
        previous = f"layer{l}_pre"
        if l < num_layers:
            tape.append([f"layer{l}_out", hidden_activation, [previous]])
            previous = f"layer{l}_out"
    return tape + [["C", "softmax_cross_entropy", [previous, "Y"]]]


# ---------------------------------------------------------------- 09_autodiff, wrong tapes


def _tape_activation_on_the_output(num_layers, hidden_activation="relu"):
    tape = _alt_network_tape(num_layers, hidden_activation)
    return tape[:-1] + [["Z_out", hidden_activation, [tape[-1][2][0]]], ["C", "softmax_cross_entropy", ["Z_out", "Y"]]]


def _tape_without_biases(num_layers, hidden_activation="relu"):
    tape, previous = [], "X"
    for l in range(1, num_layers + 1):
        tape.append((f"Z{l}", "matmul", (f"W{l}", previous)))
        previous = f"Z{l}"
        if l < num_layers:
            tape.append((f"A{l}", hidden_activation, (previous,)))
            previous = f"A{l}"
    return tape + [("C", "softmax_cross_entropy", (previous, "Y"))]


def _tape_cost_not_named_c(num_layers, hidden_activation="relu"):
    tape = _alt_network_tape(num_layers, hidden_activation)
    return tape[:-1] + [["cost", "softmax_cross_entropy", tape[-1][2]]]


def _tape_always_relu(num_layers, hidden_activation="relu"):
    return _alt_network_tape(num_layers, "relu")


# ---------------------------------------------------------------- 09_autodiff, wrong versions of the others


def _vjp_relu_slope_one_at_zero(op, input_values, output_value, grad_output):
    if op == "relu":
        return (grad_output * (input_values[0] >= 0),)
    return _alt_vjp(op, input_values, output_value, grad_output)


def _vjp_softmax_over_rows(op, input_values, output_value, grad_output):
    if op == "softmax_cross_entropy":
        Z, Y = input_values
        E = np.exp(Z)
        return grad_output * (E / E.sum(axis=1, keepdims=True) - Y) / Z.shape[1], np.zeros(Y.shape)
    return _alt_vjp(op, input_values, output_value, grad_output)


def _reverse_mode_stores_and_then_adds_in_place(tape, values, output):
    """Stores the first piece a name gets and adds the next ones with +=: with a vjp that hands add's
    gradient through (the reference's does), that changes the gradients of other names too."""
    from autograder.reference import autodiff

    computed = autodiff.evaluate(tape, values)
    grads = {output: 1.0}
    for name, op, inputs in reversed(tape):
        for input_name, piece in zip(inputs, autodiff.vjp(op, [computed[i] for i in inputs], computed[name],
                                                          grads[name])):
            if input_name in grads:
                grads[input_name] += piece
            else:
                grads[input_name] = piece
    return grads


def _forward_mode_relu_slope_one_at_zero(tape, values, tangents):
    out = _alt_forward_mode(tape, values, tangents)
    computed = _alt_evaluate(tape, values)
    for name, op, inputs in tape:
        if op == "relu":
            out[name] = out[name] + (computed[inputs[0]] == 0) * np.asarray(tangents.get(inputs[0], 0.0))
    return out


def _forward_mode_y_moves_the_cost(tape, values, tangents):
    out = _alt_forward_mode(tape, values, tangents)
    if "Y" in tangents and out:
        Z = _alt_evaluate(tape, values)[tape[-1][2][0]]
        out[tape[-1][0]] = out[tape[-1][0]] - np.sum(tangents["Y"] * np.log(_alt_softmax_columns(Z))) / Z.shape[1]
    return out


# ---------------------------------------------------------------- 10_batchnorm, correct


def _alt_batchnorm_forward(Z, gamma, beta, eps=1e-5):
    mean, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    Z_hat = (Z - mean) * inv
    return Z_hat * gamma + beta, {"Z_hat": Z_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps,
                                  "Z": Z, "inv_std": inv}  # more than the contract's keys


def _staged_backward(dout, cache, axis):
    """Node by node along the graph mean -> D -> D^2 -> var -> s -> Z_hat, adding where D and mean fan out."""
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    count = Z_hat.shape[axis]
    s = 1 / np.sqrt(var + eps)
    D = Z_hat / s
    dZ_hat = dout * gamma
    dD = dZ_hat * s
    ds = np.sum(dZ_hat * D, axis=axis, keepdims=True)
    dvar = ds * -0.5 * (var + eps) ** -1.5
    dD = dD + 2 * D * dvar / count
    dmean = -np.sum(dD, axis=axis, keepdims=True)
    dZ = dD + dmean / count
    return dZ, np.einsum("nm,nm->n", dout, Z_hat)[:, None], dout.sum(axis=1)[:, None]


def _alt_batchnorm_backward(dout, cache):
    return _staged_backward(dout, cache, axis=1)


def _alt_batchnorm_backward_staged(dout, cache, return_nodes=False):
    """The graph's nodes rebuilt from Z = Z_hat * std (any mean would do), each gradient accumulated with += into
    zeros, dQ a broadcast view, and more entries in node_grads than the contract asks for; a list, not a tuple,
    when called plainly."""
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    n, m = Z_hat.shape
    std = np.sqrt(var + eps)
    D = Z_hat * std
    grads = {name: np.zeros((n, 1)) if name in ("s", "var", "mu") else np.zeros((n, m))
             for name in ("P", "Z_hat", "s", "var", "Q", "D", "mu", "Z")}
    grads["P"] += dout
    grads["Z_hat"] += grads["P"] * gamma
    grads["D"] += grads["Z_hat"] / std
    grads["s"] += np.einsum("nm,nm->n", grads["Z_hat"], D)[:, None]
    grads["var"] += grads["s"] * (-0.5 / std ** 3)
    grads["Q"] = np.broadcast_to(grads["var"] / m, (n, m))
    grads["D"] += 2 * D * grads["Q"]
    grads["mu"] -= grads["D"].sum(axis=1, keepdims=True)
    grads["Z"] += grads["D"] + grads["mu"] / m
    grads["out"] = dout
    result = [grads["Z"], (dout * Z_hat).sum(axis=1)[:, None], np.einsum("nm->n", dout)[:, None]]
    return (*result, grads) if return_nodes else result


def _alt_update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    return running_mean + (1 - momentum) * (batch_mean - running_mean), \
        running_var + (1 - momentum) * (batch_var - running_var)


def _alt_batchnorm_inference(Z, gamma, beta, running_mean, running_var, eps=1e-5):
    scale = gamma / np.sqrt(running_var + eps)
    return scale * Z + (beta - scale * running_mean)


def _alt_layernorm_forward(Z, gamma, beta, eps=1e-5):
    out_t, cache_t = _alt_batchnorm_forward(Z.T, np.ones((Z.shape[1], 1)), np.zeros((Z.shape[1], 1)), eps)
    Z_hat = out_t.T
    return gamma * Z_hat + beta, {"Z_hat": Z_hat, "mean": cache_t["mean"].T, "var": cache_t["var"].T,
                                  "gamma": gamma, "eps": eps}


def _alt_layernorm_backward(dout, cache):
    return _staged_backward(dout, cache, axis=0)


ALTERNATIVES = {
    "evaluate": _alt_evaluate, "unbroadcast": _alt_unbroadcast, "vjp": _alt_vjp, "reverse_mode": _alt_reverse_mode,
    "forward_mode": _alt_forward_mode, "network_tape": _alt_network_tape,
    "batchnorm_forward": _alt_batchnorm_forward, "batchnorm_backward_staged": _alt_batchnorm_backward_staged,
    "batchnorm_backward": _alt_batchnorm_backward,
    "update_running_stats": _alt_update_running_stats, "batchnorm_inference": _alt_batchnorm_inference,
    "layernorm_forward": _alt_layernorm_forward, "layernorm_backward": _alt_layernorm_backward,
}

WRONG = {"network_tape": [_tape_activation_on_the_output, _tape_without_biases, _tape_cost_not_named_c,
                          _tape_always_relu],
         "vjp": [_vjp_relu_slope_one_at_zero, _vjp_softmax_over_rows],
         "reverse_mode": [_reverse_mode_stores_and_then_adds_in_place],
         "forward_mode": [_forward_mode_relu_slope_one_at_zero, _forward_mode_y_moves_the_cost]}
