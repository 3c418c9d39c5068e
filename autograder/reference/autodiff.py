"""09_autodiff: a computation as a tape of primitives, evaluated forwards and differentiated in reverse
mode (vector-Jacobian products, accumulated) and in forward mode (Jacobian-vector products).

A tape is a list of `(name, op, inputs)` tuples in the order the operations run; `values` maps the
tape's inputs (the names no tuple produces) to arrays, or Python floats for scalars.
"""

import numpy as np

from autograder.judging import Spec, as_array, describe, match, random_inputs, same_as_reference

from ._namespace import namespace_of
from .backprop import relu_prime
from .forward import softmax


def _softmax_cross_entropy(Z, Y):
    """Mean over the m columns of -sum_k Y[k] log softmax(Z)[k]: a 0-d array."""
    xp = namespace_of(Z, Y)
    shifted = Z - xp.max(Z, axis=0, keepdims=True)
    log_softmax = shifted - xp.log(xp.sum(xp.exp(shifted), axis=0, keepdims=True))
    return -xp.sum(Y * log_softmax) / Z.shape[1]


PRIMITIVES = {
    "add": lambda x, y: x + y,
    "mul": lambda x, y: x * y,
    "matmul": lambda x, y: x @ y,
    "tanh": lambda x: namespace_of(x).tanh(x),
    "relu": lambda x: namespace_of(x).maximum(x, 0.0) if hasattr(x, "shape") else max(x, 0.0),
    "exp": lambda x: namespace_of(x).exp(namespace_of(x).asarray(x)),
    "log": lambda x: namespace_of(x).log(namespace_of(x).asarray(x)),
    "sum": lambda x: namespace_of(x).sum(namespace_of(x).asarray(x)),
    "softmax_cross_entropy": _softmax_cross_entropy,
}


def _local_derivative(op, x, out):
    """d out / d x of an element-wise primitive (tanh, relu, exp, log), shaped like x: both modes use it."""
    return {"tanh": lambda: 1 - out * out, "relu": lambda: relu_prime(x), "exp": lambda: out,
            "log": lambda: 1 / x}[op]()


def _cost_gradient(Z, Y):
    """d C / d Z of the softmax cross-entropy cost: (softmax(Z) - Y) / m."""
    return (softmax(Z) - Y) / Z.shape[1]


def _shape(value):
    return tuple(value.shape) if hasattr(value, "shape") else ()


def _zeros_like(value):
    xp = namespace_of(value)
    return xp.zeros(_shape(value), dtype=xp.float64) if not hasattr(value, "dtype") else xp.zeros_like(value)


def evaluate(tape, values):
    """A new dict: the inputs of `values` and the value of every node of `tape`, in tape order."""
    out = dict(values)
    for name, op, inputs in tape:
        out[name] = PRIMITIVES[op](*(out[i] for i in inputs))
    return out


def unbroadcast(grad, shape):
    """`grad` summed over the axes that broadcasting added (leading) or stretched (size 1 in `shape`)."""
    xp = namespace_of(grad)
    grad = xp.asarray(grad)
    shape = tuple(shape)
    while grad.ndim > len(shape):
        grad = xp.sum(grad, axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = xp.sum(grad, axis=axis, keepdims=True)
    return xp.reshape(grad, shape)


def vjp(op, input_values, output_value, grad_output):
    """One gradient per input of `op`, each shaped like its input: grad_output times the local Jacobian."""
    g = grad_output
    if op == "add":
        x, y = input_values
        return unbroadcast(g, _shape(x)), unbroadcast(g, _shape(y))
    if op == "mul":
        x, y = input_values
        return unbroadcast(g * y, _shape(x)), unbroadcast(g * x, _shape(y))
    if op == "matmul":
        x, y = input_values
        return g @ y.T, x.T @ g
    (x, *rest) = input_values
    xp = namespace_of(x, g)
    if op == "sum":
        return (g * xp.ones(_shape(x), dtype=xp.float64),)
    if op == "softmax_cross_entropy":
        return g * _cost_gradient(x, rest[0]), xp.zeros_like(rest[0])
    if op in PRIMITIVES:
        return (g * _local_derivative(op, x, output_value),)
    raise ValueError(f"unknown primitive {op!r}")


def reverse_mode(tape, values, output):
    """{name: dC/dname} for every input and node, C the scalar node `output`; used-twice values add up."""
    computed = evaluate(tape, values)
    grads = {name: _zeros_like(value) for name, value in computed.items()}
    grads[output] = grads[output] + 1.0
    for name, op, inputs in reversed(tape):
        local = vjp(op, [computed[i] for i in inputs], computed[name], grads[name])
        for input_name, grad in zip(inputs, local):
            grads[input_name] = grads[input_name] + grad
    return grads


def _jvp(op, x, out, tangents_in):
    xp = namespace_of(x, out)
    if op == "add":
        return tangents_in[0] + tangents_in[1]
    if op == "mul":
        (a, b), (ta, tb) = x, tangents_in
        return ta * b + a * tb
    if op == "matmul":
        (a, b), (ta, tb) = x, tangents_in
        return ta @ b + a @ tb
    (a, *rest), t = x, tangents_in[0]
    if op == "sum":
        return xp.sum(xp.asarray(t))
    if op == "softmax_cross_entropy":
        return xp.sum(_cost_gradient(a, rest[0]) * t)
    if op in PRIMITIVES:
        return _local_derivative(op, a, out) * t
    raise ValueError(f"unknown primitive {op!r}")


def forward_mode(tape, values, tangents):
    """The tangent of every input and node, given the inputs' `tangents` (zero for the missing ones)."""
    computed = evaluate(tape, values)
    out = {name: tangents[name] if name in tangents else _zeros_like(value) for name, value in values.items()}
    for name, op, inputs in tape:
        tangent = _jvp(op, [computed[i] for i in inputs], computed[name], [out[i] for i in inputs])
        out[name] = tangent + _zeros_like(computed[name])  # the node's own shape, even from broadcast tangents
    return out


def network_tape(num_layers, hidden_activation="relu"):
    """The tape of an L-layer network: U[l] = W[l] A[l-1], Z[l] = U[l] + b[l], A[l] = g(Z[l]) for the
    hidden layers, and the softmax cross-entropy cost "C" of Z[L] against "Y"; A[0] is "X"."""
    if hidden_activation not in ("relu", "tanh"):
        raise ValueError(f"hidden_activation must be 'relu' or 'tanh', got {hidden_activation!r}")
    tape, previous = [], "X"
    for l in range(1, num_layers + 1):
        tape.append((f"U{l}", "matmul", (f"W{l}", previous)))
        tape.append((f"Z{l}", "add", (f"U{l}", f"b{l}")))
        if l < num_layers:
            tape.append((f"A{l}", hidden_activation, (f"Z{l}",)))
            previous = f"A{l}"
    tape.append(("C", "softmax_cross_entropy", (f"Z{num_layers}", "Y")))
    return tape


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

def _layer_tape(rng):
    """The worked example's shape, generalised: s = sum(tanh(W x + b)), b broadcast over m columns."""
    n, k, m = random_inputs.integer(rng, 1, 5), random_inputs.integer(rng, 1, 5), random_inputs.integer(rng, 2, 5)
    tape = [("z", "matmul", ("W", "x")), ("a", "add", ("z", "b")), ("h", "tanh", ("a",)), ("s", "sum", ("h",))]
    values = {"W": rng.standard_normal((n, k)), "x": rng.standard_normal((k, m)), "b": rng.standard_normal((n, 1))}
    return tape, values


def _shared_tape(rng):
    """Values used twice, broadcasting a (1, m) row and a Python float, exp and log of positive values."""
    n, k, m = random_inputs.integer(rng, 1, 4), random_inputs.integer(rng, 1, 4), random_inputs.integer(rng, 2, 5)
    tape = [("u", "matmul", ("W", "X")), ("v", "mul", ("u", "u")), ("cu", "mul", ("u", "c")),
            ("e", "exp", ("cu",)), ("p", "add", ("v", "e")), ("q", "log", ("p",)), ("r", "mul", ("q", "g")),
            ("t", "relu", ("u",)), ("w", "add", ("r", "t")), ("s", "sum", ("w",))]
    values = {"W": rng.standard_normal((n, k)), "X": rng.standard_normal((k, m)),
              "c": float(rng.uniform(-1, 1)), "g": rng.standard_normal((1, m))}
    return tape, values


def _network_case(rng):
    L = random_inputs.integer(rng, 1, 3)
    sizes = random_inputs.layer_sizes(rng, L, L, 2, 5)
    m = random_inputs.integer(rng, 2, 6)
    values = {"X": rng.standard_normal((sizes[0], m)), "Y": random_inputs.one_hot(rng, sizes[-1], m),
              **random_inputs.params(rng, sizes)}
    return network_tape(L, random_inputs.pick(rng, ["relu", "tanh"])), values


def _tapes(rng):
    return [_layer_tape(rng), _shared_tape(rng), _network_case(rng)]


def _cases_evaluate(rng):
    return [([tape, values], {}) for tape, values in _tapes(rng)]


def _cases_unbroadcast(rng):
    n, m = random_inputs.integer(rng, 2, 5), random_inputs.integer(rng, 2, 5)
    grad = rng.standard_normal((n, m))
    return [([grad, (n, 1)], {}), ([grad, (1, m)], {}), ([grad, ()], {}), ([grad, (m,)], {}),
            ([grad, (n, m)], {}), ([rng.standard_normal((random_inputs.integer(rng, 2, 4), n, m)), (n, 1)], {})]


def _cases_vjp(rng):
    """The two rows the student derives (mul with broadcasting, the softmax cost with m != K) and relu at
    exactly 0 (relu'(0) = 0) in every draw, and three of the other cases (a Python float factor among them)."""
    n, k = random_inputs.integer(rng, 2, 4), random_inputs.integer(rng, 2, 4)
    m = n + random_inputs.integer(rng, 1, 3)   # m != n: a 1/n or a softmax over the wrong axis shows

    def case(op, inputs):
        out = PRIMITIVES[op](*inputs)
        return [op, inputs, out, rng.standard_normal(_shape(out)) if _shape(out) else float(rng.uniform(0.5, 2))]

    Z = rng.standard_normal((n, m))
    at_kink = np.where(rng.random((n, m)) < 0.4, 0.0, Z)
    at_kink[0, -1] = 0.0
    always = [("mul", [random_inputs.pick(rng, [rng.standard_normal((1, m)), rng.standard_normal((n, 1))]), Z]),
              ("relu", [at_kink]), ("softmax_cross_entropy", [Z, random_inputs.one_hot(rng, n, m)])]
    others = [("add", [Z, rng.standard_normal((n, 1))]), ("mul", [Z, float(rng.uniform(-2, 2))]),
              ("matmul", [rng.standard_normal((n, k)), rng.standard_normal((k, m))]),
              ("tanh", [Z]), ("exp", [Z]), ("log", [rng.uniform(0.2, 3, (n, m))]), ("sum", [Z])]
    chosen = always + [others[i] for i in sorted(int(i) for i in rng.choice(len(others), size=3, replace=False))]
    return [(case(op, inputs), {}) for op, inputs in chosen]


def _relu_kink_tape(rng):
    """relu at exactly 0 (relu'(0) = 0), weighted by a random g so that the kink's slope shows."""
    n, m = random_inputs.integer(rng, 2, 4), random_inputs.integer(rng, 2, 5)
    x = np.where(rng.random((n, m)) < 0.4, 0.0, rng.standard_normal((n, m)))
    x[-1, 0] = 0.0
    tape = [("r", "relu", ("x",)), ("q", "mul", ("r", "g")), ("s", "sum", ("q",))]
    return tape, {"x": x, "g": rng.standard_normal((n, m))}


def _passed_through_tape(rng):
    """`a` read by an add and by a mul: a loop that stores the first piece it gets (add's gradient, which a
    vjp may hand through as the very same array) and later adds to it in place changes other gradients."""
    n, m = random_inputs.integer(rng, 1, 4), random_inputs.integer(rng, 2, 5)
    tape = [("w", "mul", ("a", "c")), ("z", "add", ("a", "b")), ("v", "add", ("z", "w")), ("s", "sum", ("v",))]
    return tape, {name: rng.standard_normal((n, m)) for name in ("a", "b", "c")}


def _cases_reverse_mode(rng):
    tapes = _tapes(rng) + [_relu_kink_tape(rng), _passed_through_tape(rng)]
    return [([tape, values, tape[-1][0]], {}) for tape, values in tapes]


def _cases_forward_mode(rng):
    cases = []
    for tape, values in _tapes(rng):
        names = [name for name in values if name != "Y"]
        given = random_inputs.pick(rng, names, k=max(1, len(names) - 1))  # one input (and Y) keeps a zero tangent
        tangents = {name: (rng.standard_normal(_shape(values[name])) if _shape(values[name])
                           else float(rng.standard_normal())) for name in given}
        if "Y" in values:   # given, and ignored by the cost's JVP (Y is a constant), but returned as given
            tangents["Y"] = rng.standard_normal(_shape(values["Y"]))
        cases.append(([tape, values, tangents], {}))
    tape, values = _relu_kink_tape(rng)
    cases.append(([tape, values, {"x": rng.standard_normal(values["x"].shape)}], {}))  # x moves through the kink
    return cases


def _judge_forward_mode(got, args, kwargs):
    """Every node's tangent as the reference's; an input's, where given back, its tangent (or zero)."""
    tape, values = args[0], args[1]
    want = forward_mode(*args, **kwargs)
    if not isinstance(got, dict):
        return f"returned {describe(got)}, expected a dict of tangents"
    nodes = [name for name, _, _ in tape]
    missing = [name for name in nodes if name not in got]
    if missing:
        return f"no tangent for the node(s) {missing}"
    extra = sorted(set(got) - set(nodes) - set(values))
    if extra:
        return f"tangents for names that are neither inputs nor nodes: {extra}"
    return match({name: got[name] for name in got}, {name: want[name] for name in got}, "the result")


def _judge_network_tape(got, args, kwargs):
    """A tape of known primitives reading X, Y, W1, b1, ..., ending in "C", whose cost and reverse-mode
    gradients are the network's (checked on a network drawn from a seed fixed by the arguments)."""
    L = args[0]
    activation = args[1] if len(args) > 1 else kwargs.get("hidden_activation", "relu")
    if not isinstance(got, (list, tuple)) or not got:
        return f"returned {describe(got)}, expected a non-empty list of (name, op, inputs) tuples"
    for entry in got:
        if (not isinstance(entry, (list, tuple)) or len(entry) != 3 or not isinstance(entry[0], str)
                or entry[1] not in PRIMITIVES or not isinstance(entry[2], (list, tuple))
                or not all(isinstance(i, str) for i in entry[2])):
            return f"{str(entry)[:80]} is not a (name, op, inputs) tuple of a known primitive"
    tape = [(name, op, tuple(inputs)) for name, op, inputs in got]
    if tape[-1][0] != "C":
        return f"the last node is {tape[-1][0]!r}, expected the cost 'C'"
    produced = {name for name, _, _ in tape}
    read = {i for _, _, inputs in tape for i in inputs} - produced
    want_inputs = {"X", "Y"} | {f"{kind}{l}" for l in range(1, L + 1) for kind in "Wb"}
    if read != want_inputs:
        missing = sorted(want_inputs - read)
        return (f"the tape reads {sorted(read)}, expected {sorted(want_inputs)}"
                + (f" (it never reads {missing})" if missing else ""))
    rng = np.random.default_rng(9000 + 10 * L + (activation == "tanh"))
    sizes = [random_inputs.integer(rng, 2, 5) for _ in range(L + 1)]
    m = random_inputs.integer(rng, 2, 5)
    values = {"X": rng.standard_normal((sizes[0], m)), "Y": random_inputs.one_hot(rng, sizes[-1], m),
              **random_inputs.params(rng, sizes)}
    reference = network_tape(L, activation)
    try:
        grads = reverse_mode(tape, values, "C")
        cost = evaluate(tape, values)["C"]
    except Exception as error:  # noqa: BLE001 - an odd tape (a primitive on wrong shapes)
        return (f"the tape does not run on a {sizes} network ({type(error).__name__}: {str(error)[:120]})"
                + _weights_second(tape))
    want_cost = evaluate(reference, values)["C"]
    reason = match(as_array(cost), as_array(want_cost), f"the cost C on a {sizes} network")
    if reason:
        return reason + (_weights_second(tape) or _usual_slip(cost, values, L, activation))
    want_grads = reverse_mode(reference, values, "C")
    return match({k: grads[k] for k in want_inputs - {"X", "Y"}}, {k: want_grads[k] for k in want_inputs - {"X", "Y"}},
                 f"the gradients on a {sizes} network")


def _usual_slips(L, activation):
    """[(what a tape does, a tape that does it)] for the usual slips whose tape runs but costs otherwise."""
    right = network_tape(L, activation)
    slips = []
    if L > 1:
        slips.append((f"the hidden layers use {dict(relu='tanh', tanh='relu')[activation]}, not {activation}",
                      network_tape(L, dict(relu="tanh", tanh="relu")[activation])))
        slips.append(("the activations are never read (each matmul reads Z[l-1])",
                      [(name, op, tuple("Z" + i[1:] if i.startswith("A") else i for i in inputs))
                       for name, op, inputs in right]))
    slips += [(f"the output layer has a {g}", right[:-1] + [("AL", g, (f"Z{L}",)), ("C", right[-1][1], ("AL", "Y"))])
              for g in ("relu", "tanh")]
    return slips + [("the cost reads (Y, Z[L])", right[:-1] + [("C", right[-1][1], ("Y", f"Z{L}"))])]


def _weights_second(tape):
    """'; a matmul reads its weights second' when one does (A[l-1] @ W[l]), else ''."""
    flipped = any(op == "matmul" and len(inputs) == 2 and inputs[1].startswith("W") and not inputs[0].startswith("W")
                  for _, op, inputs in tape)
    return "; a matmul reads its weights second" if flipped else ""


def _usual_slip(cost, values, L, activation):
    """': it is the cost of a tape where ...' when a usual slip gives the tape's `cost`, else ''."""
    for what, tape in _usual_slips(L, activation):
        if match(as_array(cost), as_array(evaluate(tape, values)["C"]), "the cost") is None:
            return f": it is the cost of a tape where {what}"
    return ""


def _cases_network_tape(rng):
    layers = random_inputs.pick(rng, [1, 2, 3, 4], k=3)
    return [([layers[0], "relu"], {}), ([max(2, layers[1]), "tanh"], {}), ([layers[2]], {})]  # tanh: a hidden layer


SPECS = {
    "evaluate": Spec(_cases_evaluate, same_as_reference(evaluate)),
    "unbroadcast": Spec(_cases_unbroadcast, same_as_reference(unbroadcast)),
    "vjp": Spec(_cases_vjp, same_as_reference(vjp)),
    "reverse_mode": Spec(_cases_reverse_mode, same_as_reference(reverse_mode)),
    "forward_mode": Spec(_cases_forward_mode, _judge_forward_mode),
    # Node names are the student's choice: judged by what the tape computes.
    "network_tape": Spec(_cases_network_tape, _judge_network_tape),
}
