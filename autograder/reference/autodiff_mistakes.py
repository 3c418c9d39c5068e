"""09_autodiff's named mistakes (autograder.judging.mistakes), beside its reference (which would grow past
one screen with them): each slip its visible tests name, as a wrong transform of the reference or, where
the function raises or is refuted for the slip, a pattern in the spec's reason.

A vjp slip changes one primitive's row: its transform is the reference's vjp with that row replaced, so
that it returns what a student's vjp with that one slip returns for every case the spec draws.
"""

import numpy as np

from autograder.judging.mistakes import Mistake

from .autodiff import _cost_gradient, _shape, _zeros_like, evaluate, forward_mode, unbroadcast, vjp
from .forward import softmax

CHANGED_VALUES = r"its input `values"  # the in-place watcher's words for the caller's dict changed


# ---------------------------------------------------------------- evaluate

def _evaluate_nodes_only(tape, values):
    computed = evaluate(tape, values)
    return {name: value for name, value in computed.items() if name not in values}


# ---------------------------------------------------------------- unbroadcast

def _unbroadcast_by(reduce):
    """unbroadcast with `reduce` (np.mean, say) where the sum belongs."""
    def wrong(grad, shape):
        grad, shape = np.array(grad, dtype=float), tuple(shape)
        while grad.ndim > len(shape):
            grad = reduce(grad, axis=0)
        for axis, size in enumerate(shape):
            if size == 1 and grad.shape[axis] != 1:
                grad = reduce(grad, axis=axis, keepdims=True)
        return grad.reshape(shape)
    return wrong


def _unbroadcast_drops_axes(grad, shape):
    grad = np.asarray(grad, dtype=float)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad.sum(axis=tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1))


def _unbroadcast_nothing(grad, shape):
    return np.array(grad, dtype=float)


# ---------------------------------------------------------------- vjp: one row replaced

def _row(op, replaced):
    """The reference vjp with the row of `op` replaced by `replaced(input_values, output_value, dy)`."""
    def wrong(op_, input_values, output_value, grad_output):
        if op_ == op:
            return replaced(list(input_values), output_value, grad_output)
        return vjp(op_, input_values, output_value, grad_output)
    return wrong


def _mul(dx, dz):
    """A mul row from the two gradients before unbroadcasting, given (x, z, dy)."""
    def replaced(inputs, out, dy):
        x, z = inputs
        return unbroadcast(dx(x, z, dy), _shape(x)), unbroadcast(dz(x, z, dy), _shape(z))
    return _row("mul", replaced)


def _mul_mean(inputs, out, dy):
    x, z = inputs
    mean = _unbroadcast_by(np.mean)
    return mean(dy * z, _shape(x)), mean(dy * x, _shape(z))


def _cost(dZ, dY=lambda Z, Y, dy: np.zeros(np.shape(Y))):
    """A softmax_cross_entropy row from dZ(Z, Y, dy) and dY(Z, Y, dy)."""
    return _row("softmax_cross_entropy", lambda inputs, out, dy: (dZ(*inputs, dy), dY(*inputs, dy)))


def _one(op, local):
    """A one-input row: (local(x, out, dy),)."""
    return _row(op, lambda inputs, out, dy: (local(inputs[0], out, dy),))


def _no_grad_output(op, input_values, output_value, grad_output):
    return vjp(op, input_values, output_value, np.ones(_shape(grad_output)) if _shape(grad_output) else 1.0)


def _softmax_along(Z, axis=None):
    E = np.exp(Z - np.max(Z, axis=axis, keepdims=True))
    return E / np.sum(E, axis=axis, keepdims=True)


def _m(Z):
    return Z.shape[1]


# ---------------------------------------------------------------- reverse_mode

def _reverse_stored_as_returned(tape, values, output):
    """The first piece a name gets stored as the very array vjp returned, later pieces added with +=."""
    computed = evaluate(tape, values)
    grads = {output: 1.0}
    for name, op, inputs in reversed(tape):
        pieces = vjp(op, [computed[i] for i in inputs], computed[name], grads[name])
        for input_name, piece in zip(inputs, pieces):
            if input_name in grads:
                grads[input_name] += piece
            else:
                grads[input_name] = piece
    return grads


def _reverse(tape, values, output, *, walk=reversed, seed=1.0, accumulate=True):
    computed = evaluate(tape, values)
    grads = {name: _zeros_like(value) for name, value in computed.items()}
    grads[output] = grads[output] + seed
    for name, op, inputs in walk(tape):
        for input_name, piece in zip(inputs, vjp(op, [computed[i] for i in inputs], computed[name], grads[name])):
            grads[input_name] = grads[input_name] + piece if accumulate else piece
    return grads


# ---------------------------------------------------------------- forward_mode: one JVP replaced

def _forward_with(op, replaced):
    """forward_mode with the JVP of `op` replaced by `replaced(x, out, t)` (lists of the inputs' values and
    tangents), the other ops as the reference's."""
    def wrong(tape, values, tangents):
        computed = evaluate(tape, values)
        tan = {name: tangents[name] if name in tangents else _zeros_like(value) for name, value in values.items()}
        for name, op_, inputs in tape:
            x, t = [computed[i] for i in inputs], [tan[i] for i in inputs]
            if op_ == op:
                tan[name] = replaced(x, computed[name], t)
            else:
                single = [(name, op_, inputs)]
                tan[name] = forward_mode(single, {i: computed[i] for i in inputs}, dict(zip(inputs, t)))[name]
        return tan
    return wrong


def _forward_y_left_out(tape, values, tangents):
    tan = forward_mode(tape, values, tangents)
    if "Y" in tan:
        tan["Y"] = _zeros_like(values["Y"])
    return tan


def _forward_missing_as_ones(tape, values, tangents):
    ones = {name: np.ones(_shape(value)) if _shape(value) else 1.0 for name, value in values.items()}
    return forward_mode(tape, values, {**ones, **tangents})


MISTAKES = {
    "evaluate": (
        Mistake("values_changed", "the caller's values dict must stay as it was: start from a copy of it (dict(values))",
                reason=CHANGED_VALUES),
        Mistake("inputs_not_unpacked", "as separate arguments, one per input name, not one list",
                reason=r"TypeError: .*missing \d+ required positional argument"),
        Mistake("name_not_there", "looked up a name that was not there", reason=r"^KeyError"),
        Mistake("inputs_left_out", "it holds the inputs AND every node", wrong=_evaluate_nodes_only),
    ),
    "unbroadcast": (
        Mistake("averaged", "own full gradient back, so the copies' gradients add up: np.sum, not np.mean", wrong=_unbroadcast_by(np.mean)),
        Mistake("nothing_summed", "nothing was summed, the result still has grad's shape", wrong=_unbroadcast_nothing),
        Mistake("stretched_axis_dropped", "keep it as size 1 (keepdims=True)", wrong=_unbroadcast_drops_axes),
        Mistake("shape_cannot_become", "first sum away the leading axes that broadcasting added", reason=r"^ValueError: cannot reshape"),
        Mistake("grad_changed", "grad belongs to the caller: np.sum returns a new array", reason=r"its input `grad"),
    ),
    "vjp": (
        Mistake("changed_in_place", "a new array (dy * z, not dy *= z) and leave them as they were",
                reason=r"changed its input"),
        Mistake("gradient_is_none", "is None: every input gets a gradient shaped like it", reason=r"is a NoneType"),
        # mul, the row the student derives
        Mistake("mul_same_factor", "is dy times the OTHER factor",
                wrong=_mul(lambda x, z, dy: dy * x, lambda x, z, dy: dy * z)),
        Mistake("mul_not_unbroadcast", "broadcasting added or stretched is missing",
                wrong=_row("mul", lambda inputs, out, dy: (dy * inputs[1], dy * inputs[0]))),
        Mistake("mul_unbroadcast_first", "unbroadcasting dy first and multiplying after stretches it back",
                wrong=_row("mul", lambda inputs, out, dy: (unbroadcast(dy, _shape(inputs[0])) * inputs[1],
                                                           unbroadcast(dy, _shape(inputs[1])) * inputs[0]))),
        Mistake("mul_averaged", "pieces are SUMMED (as unbroadcast does), not averaged", wrong=_row("mul", _mul_mean)),
        # softmax_cross_entropy, the other row the student derives
        Mistake("cost_no_mean", "the 1/m is missing", wrong=_cost(lambda Z, Y, dy: dy * (softmax(Z) - Y))),
        Mistake("cost_sign_flipped", "sign flipped: check step 2 of the derivation",
                wrong=_cost(lambda Z, Y, dy: dy * (Y - softmax(Z)) / _m(Z))),
        Mistake("cost_mean_over_classes", "the mean runs over the m examples, the COLUMNS of Z",
                wrong=_cost(lambda Z, Y, dy: dy * (softmax(Z) - Y) / Z.shape[0])),
        Mistake("softmax_along_rows", "the softmax ran along the wrong axis (over each ROW)",
                wrong=_cost(lambda Z, Y, dy: dy * (_softmax_along(Z, 1) - Y) / _m(Z))),
        Mistake("softmax_over_everything", "the softmax normalised over the whole array",
                wrong=_cost(lambda Z, Y, dy: dy * (_softmax_along(Z) - Y) / _m(Z))),
        Mistake("gradient_wrt_probabilities", "that is the gradient with respect to the probabilities p = softmax(Z)",
                wrong=_cost(lambda Z, Y, dy: -dy * Y / softmax(Z) / _m(Z))),
        Mistake("diagonal_softmax_jacobian", "the softmax's Jacobian is not diagonal",
                wrong=_cost(lambda Z, Y, dy: dy * (softmax(Z) - Y) * softmax(Z) * (1 - softmax(Z)) / _m(Z))),
        Mistake("label_term_missing", "the label term is missing: step 2 leaves two terms, one from p and one from Y",
                wrong=_cost(lambda Z, Y, dy: dy * softmax(Z) / _m(Z))),
        Mistake("cost_no_grad_output", "multiply by grad_output (dy, 0.7 here): the chain rule's last step",
                wrong=_cost(lambda Z, Y, dy: (softmax(Z) - Y) / _m(Z))),
        Mistake("dZ_averaged_over_examples", "do not sum or average over the examples",
                wrong=_cost(lambda Z, Y, dy: dy * np.mean(softmax(Z) - Y, axis=1, keepdims=True))),
        Mistake("labels_get_a_gradient", "Y is a constant (the labels): its gradient is zeros, np.zeros_like(Y)",
                wrong=_cost(lambda Z, Y, dy: dy * _cost_gradient(Z, Y), lambda Z, Y, dy: dy * (Y - softmax(Z)) / _m(Z))),
        Mistake("labels_get_log_p", "Y is a constant (the labels): its gradient is zeros, np.zeros_like(Y)",
                wrong=_cost(lambda Z, Y, dy: dy * _cost_gradient(Z, Y), lambda Z, Y, dy: -dy * np.log(softmax(Z)) / _m(Z))),
        # relu at its kink, in every draw
        Mistake("relu_mask_at_zero", "the mask is x > 0, not x >= 0",
                wrong=_one("relu", lambda x, out, dy: dy * (np.asarray(x) >= 0))),
        Mistake("relu_half_at_zero", "the gradient is 0, not 1/2",
                wrong=_one("relu", lambda x, out, dy: dy * np.where(np.asarray(x) == 0, 0.5, np.asarray(x) > 0))),
        Mistake("relu_times_relu", "not dy * relu(x)", wrong=_one("relu", lambda x, out, dy: dy * np.maximum(x, 0))),
        # the given rows, in some draws
        Mistake("no_grad_output", "multiply by grad_output", wrong=_no_grad_output),
        Mistake("tanh_of_input", "tanh's derivative is 1 - out**2 with out = tanh(x), the OUTPUT",
                wrong=_one("tanh", lambda x, out, dy: dy * (1 - x ** 2))),
        Mistake("tanh_not_squared", "tanh's derivative is 1 - out**2 (squared)",
                wrong=_one("tanh", lambda x, out, dy: dy * (1 - out))),
        Mistake("exp_of_input", "exp's derivative is exp(x) itself, which is output_value",
                wrong=_one("exp", lambda x, out, dy: dy * x)),
        Mistake("log_times_input", "log's derivative is 1 / x: dy / x", wrong=_one("log", lambda x, out, dy: dy * x)),
        Mistake("log_over_log", "log's derivative is 1 / x (the input), not 1 / log(x)",
                wrong=_one("log", lambda x, out, dy: dy / np.log(x))),
        Mistake("log_derivative_of_reciprocal", "that is the derivative of 1 / x; log's derivative is 1 / x itself",
                wrong=_one("log", lambda x, out, dy: -dy / x ** 2)),
        Mistake("matmul_b_not_transposed", "dA = dy @ B.T: the transpose of B is missing",
                wrong=_row("matmul", lambda inputs, out, dy: (dy @ inputs[1], inputs[0].T @ dy))),
        Mistake("matmul_a_not_transposed", "dB = A.T @ dy: the transpose of A is missing",
                wrong=_row("matmul", lambda inputs, out, dy: (dy @ inputs[1].T, inputs[0] @ dy))),
        Mistake("add_not_unbroadcast", "forgotten: pass it through unbroadcast(..., np.shape(input))",
                wrong=_row("add", lambda inputs, out, dy: (dy * np.ones(_shape(out)), dy * np.ones(_shape(out))))),
    ),
    "reverse_mode": (
        Mistake("values_changed", "the caller's values must stay as they were", reason=CHANGED_VALUES),
        Mistake("shared_gradient_array", "a gradient was stored as the very array a vjp returned",
                wrong=_reverse_stored_as_returned),
        Mistake("not_seeded", "grads[output] = 1.0, before walking back",
                wrong=lambda tape, values, output: _reverse(tape, values, output, seed=0.0)),
        Mistake("walked_forwards", "the tape was walked forwards; walk it BACKWARDS (reversed(tape))",
                wrong=lambda tape, values, output: _reverse(tape, values, output, walk=list)),
        Mistake("assigned_not_added", "add each piece to grads[name] instead of assigning (=)",
                wrong=lambda tape, values, output: _reverse(tape, values, output, accumulate=False)),
    ),
    "forward_mode": (
        Mistake("inputs_changed", "returns and every tangent in a new dict of your own", reason=r"its input `(values|tangents)"),
        Mistake("missing_tangent_looked_up", "looked up a missing tangent", reason=r"^KeyError"),
        Mistake("zero_tangent_a_number", "input's tangent is zeros of the input's shape, np.zeros(np.shape(value))",
                reason=r"matmul: Input operand \d does not have enough dimensions|^\w+ has shape \(\), expected \(\d"),
        Mistake("missing_tangent_one", "inputs missing from tangents have tangent ZERO (they do not move)",
                wrong=_forward_missing_as_ones),
        Mistake("relu_mask_at_zero", "the mask is x > 0, not x >= 0",
                wrong=_forward_with("relu", lambda x, out, t: (np.asarray(x[0]) >= 0) * t[0])),
        Mistake("mul_half_product_rule", "product rule: half of it is missing",
                wrong=_forward_with("mul", lambda x, out, t: t[0] * x[1])),
        Mistake("matmul_half_product_rule", "the A @ dB half is missing",
                wrong=_forward_with("matmul", lambda x, out, t: t[0] @ x[1])),
        Mistake("matmul_factors_swapped", "matmul's keeps the order of its factors: dA @ B + A @ dB",
                wrong=_forward_with("matmul", lambda x, out, t: t[0] @ x[1] + t[1] @ x[0])),
        Mistake("tanh_of_input", "the node's OUTPUT value, not 1 - a**2",
                wrong=_forward_with("tanh", lambda x, out, t: (1 - x[0] ** 2) * t[0])),
        Mistake("exp_of_input", "exp's JVP is exp(x) * dx, the OUTPUT times the tangent, not x * dx",
                wrong=_forward_with("exp", lambda x, out, t: x[0] * t[0])),
        Mistake("log_multiplies", "log's JVP is dx / x: divide by the input, do not multiply",
                wrong=_forward_with("log", lambda x, out, t: t[0] * x[0])),
        Mistake("sum_not_summed", "sum's output is one number",
                wrong=_forward_with("sum", lambda x, out, t: t[0] + _zeros_like(x[0]))),
        Mistake("cost_no_mean", "divide by m = Z.shape[1]",
                wrong=_forward_with("softmax_cross_entropy",
                                    lambda x, out, t: np.sum((softmax(x[0]) - x[1]) * t[0]))),
        Mistake("labels_tangent_enters", "Y's tangent must not enter C's tangent",
                wrong=_forward_with("softmax_cross_entropy", lambda x, out, t: (
                    np.sum(_cost_gradient(x[0], x[1]) * t[0])
                    - np.sum(t[1] * np.log(softmax(x[0]))) / _m(x[0])))),
        Mistake("labels_tangent_not_returned", "the result holds Y's tangent exactly as",
                wrong=_forward_y_left_out),
    ),
    # Node names are the student's: a tape is named from the judge's reason, not compared value by value.
    "network_tape": (
        Mistake("not_a_tuple", "is not a (name, op, inputs) tuple with inputs a tuple of names",
                reason=r"is not a \(name, op, inputs\) tuple"),
        Mistake("cost_not_named_c", "name the cost 'C'", reason=r"the last node is .*, expected the cost 'C'"),
        Mistake("bias_never_read", "Z[l] = U[l] + b[l] with an 'add' tuple",
                reason=r"it never reads \[[^\]]*'b\d"),
        Mistake("reads_other_inputs", "names are case-sensitive; layers count from 1", reason=r"the tape reads .*, expected"),
        Mistake("wrong_activation", "the hidden layers use the wrong activation",
                reason=r"a tape where the hidden layers use"),
        Mistake("activation_never_read", "layer's matmul reads A[l-1], the activation's output, not Z[l-1]",
                reason=r"a tape where the activations are never read"),
        Mistake("output_activation", "the softmax is inside softmax_cross_entropy",
                reason=r"a tape where the output layer has a"),
        Mistake("cost_reads_labels_first", "output layer's pre-activations first and the labels second", reason=r"a tape where the cost reads \(Y"),
        Mistake("weights_on_the_right", "Z[l] = W[l] A[l-1], the weights on the LEFT",
                reason=r"a matmul reads its weights second"),
        Mistake("does_not_run", "Z[l] = W[l] A[l-1] + b[l] with A[0] = X",
                reason=r"the tape does not run on a"),
    ),
}
