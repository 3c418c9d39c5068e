"""09_autodiff: each plausible wrong version of an exercise gets a message from the visible test that names
its slip, fails the hidden test and is refuted by the integrity check; correct versions written
differently pass all three (tests.support.wrong_versions)."""

import functools

import pytest

from autograder import authoring
from autograder.judging.specs import MISTAKES
from autograder.reference import EXERCISES
from tests.support import alternatives_going_further
from tests.support.wrong_versions import assert_diagnosed, diagnosis, hidden_test, verification, visible_test

NAME = "09_autodiff"
# What the integrity check runs beside the student's function: the notebook's other definitions.
# The reference's unbroadcast returns a view of its argument, so its vjp hands add's gradient through.
DEFINITIONS = ("import numpy as np\n"
               "from autograder.reference.autodiff import PRIMITIVES, evaluate, softmax, unbroadcast, vjp\n")


@functools.cache
def solutions():
    """{exercise: the answer cell's solution code}, from the source notebook."""
    notebook = authoring.build_notebook(authoring.SOURCE / NAME / f"{NAME}.py")
    return {cell.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
        for cell in notebook.cells if cell.cell_type == "code" and cell.metadata["nbgrader"].get("solution")}


def changed(exercise, *edits):
    """The solution of `exercise` with each (old, new) edit applied (each old must be there)."""
    source = solutions()[exercise]
    for old, new in edits:
        assert old in source, f"{exercise}: {old!r} is not in the solution"
        source = source.replace(old, new)
    return source


UNBROADCAST_DROPS_AXES = '''
def unbroadcast(grad, shape):
    grad = np.asarray(grad, dtype=float)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad.sum(axis=tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1))
'''

REVERSE_LAZY_ALIASING = '''
def reverse_mode(tape, values, output):
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
'''

REVERSE_LAZY_ALIASING_EVERY_NAME = '''
def reverse_mode(tape, values, output):
    computed = evaluate(tape, values)
    grads = {output: 1.0}
    for name, op, inputs in reversed(tape):
        own = grads.get(name, np.zeros(np.shape(computed[name])))
        for input_name, piece in zip(inputs, vjp(op, [computed[i] for i in inputs], computed[name], own)):
            if input_name in grads:
                grads[input_name] += piece
            else:
                grads[input_name] = piece
    for name, value in computed.items():
        grads.setdefault(name, np.zeros(np.shape(value)))
    return grads
'''

# (exercise, wrong source, a fragment the visible test's message must hold)
WRONG = [
    # evaluate
    ("evaluate", changed("evaluate", ("computed = dict(values)", "computed = values")),
     "the caller's values dict must stay as it was"),
    ("evaluate", changed("evaluate", ("PRIMITIVES[op](*[", "PRIMITIVES[op](["), ("inputs])", "inputs])")),
     "unpack the list"),
    ("evaluate", changed("evaluate", ("[computed[i] for i in inputs]", "[values[i] for i in inputs]")),
     "values holds only the tape's inputs"),
    ("evaluate", changed("evaluate", ("in tape:", "in reversed(tape):")), "first tuple first"),
    ("evaluate", changed("evaluate", ("return computed", "return {k: v for k, v in computed.items() if k not in values}")),
     "are missing from the result"),
    # unbroadcast
    ("unbroadcast", changed("unbroadcast", ("np.sum(grad, axis=0)", "np.mean(grad, axis=0)"),
                            ("np.sum(grad, axis=axis, keepdims=True)", "np.mean(grad, axis=axis, keepdims=True)")),
     "np.sum, not np.mean"),
    ("unbroadcast", UNBROADCAST_DROPS_AXES, "keepdims=True"),
    ("unbroadcast", changed("unbroadcast", ("while grad.ndim > len(shape):", "while False:")),
     "first sum away the leading axes"),
    ("unbroadcast", changed("unbroadcast", ("np.sum(grad, axis=axis, keepdims=True)",
                                            "np.sum(grad, axis=1 - axis, keepdims=True)")), "not over the other one"),
    ("unbroadcast", changed("unbroadcast", ("return grad.reshape(shape)", "return np.array(grad)"),
                            ("while grad.ndim > len(shape):", "while False:"),
                            ("grad = np.sum(grad, axis=axis, keepdims=True)", "pass")), "nothing was summed"),
    # vjp: the derived mul row
    ("vjp", changed("vjp", ("unbroadcast(dy * z, np.shape(x)), unbroadcast(dy * x, np.shape(z))",
                            "unbroadcast(dy * x, np.shape(x)), unbroadcast(dy * z, np.shape(z))")), "OTHER factor"),
    ("vjp", changed("vjp", ("unbroadcast(dy * z, np.shape(x)), unbroadcast(dy * x, np.shape(z))", "dy * z, dy * x")),
     "the sum over the axes broadcasting added or stretched is missing"),
    ("vjp", changed("vjp", ("unbroadcast(dy * z, np.shape(x)), unbroadcast(dy * x, np.shape(z))",
                            "unbroadcast(dy, np.shape(x)) * z, unbroadcast(dy, np.shape(z)) * x")),
     "multiply dy by the OTHER factor first"),
    ("vjp", changed("vjp", ("unbroadcast(dy * z, np.shape(x)), unbroadcast(dy * x, np.shape(z))",
                            "np.mean(dy * z, axis=1, keepdims=True), dy * x")), "not averaged"),
    ("vjp", changed("vjp", ("unbroadcast(dy * z, np.shape(x)),", "unbroadcast(z, np.shape(x)),")),
     "multiply by grad_output"),
    # vjp: the derived softmax_cross_entropy row
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]", "dy * (softmax(Z) - Y)")), "the 1/m is missing"),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]", "dy * (Y - softmax(Z)) / Z.shape[1]")),
     "sign flipped"),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]", "dy * (softmax(Z) - Y) / Z.shape[0]")),
     "the COLUMNS of Z"),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]",
                            "dy * (np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True) - Y) / Z.shape[1]")),
     "the softmax ran along the wrong axis"),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]", "-dy * Y / softmax(Z) / Z.shape[1]")),
     "with respect to the probabilities"),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]",
                            "dy * (softmax(Z) - Y) * softmax(Z) * (1 - softmax(Z)) / Z.shape[1]")),
     "the softmax's Jacobian is not diagonal"),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]", "(softmax(Z) - Y) / Z.shape[1]")),
     "multiply by grad_output (dy"),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]", "dy * np.mean(softmax(Z) - Y, axis=1, keepdims=True)")),
     "dZ has Z's shape"),
    ("vjp", changed("vjp", ("np.zeros(np.shape(Y))", "dy * (Y - softmax(Z)) / Z.shape[1]")), "Y is a constant"),
    ("vjp", changed("vjp", ("np.zeros(np.shape(Y))", "None")), "is None"),
    ("vjp", changed("vjp", ("return (dy * (1 - output_value ** 2),)", "dy *= 1 - output_value ** 2\n        return (dy,)")),
     "compute each gradient as a new array"),
    # vjp: relu'(0) = 0
    ("vjp", changed("vjp", ("(np.asarray(x) > 0)", "(np.asarray(x) >= 0)")), "not x >= 0"),
    ("vjp", changed("vjp", ("(np.asarray(x) > 0)", "np.heaviside(x, 0.5)")), "not 1/2"),
    # reverse_mode
    ("reverse_mode", REVERSE_LAZY_ALIASING, "one and the same array"),
    ("reverse_mode", REVERSE_LAZY_ALIASING_EVERY_NAME, "one and the same array"),
    ("reverse_mode", changed("reverse_mode", ("[computed[i] for i in inputs], computed[name]",
                                              "[values[i] for i in inputs], values[name]")),
     "looked up the VALUE of the node"),
    ("reverse_mode", changed("reverse_mode", ("computed[name], grads[name])", "computed[name], 1.0)")),
     "a plain number"),
    ("reverse_mode", changed("reverse_mode", ("grads[input_name] = grads[input_name] + piece",
                                              "grads[input_name] = piece")), "the gradient of h is missing pieces"),
    ("reverse_mode", changed("reverse_mode", ("reversed(tape)", "tape")), "the tape was walked forwards"),
    ("reverse_mode", changed("reverse_mode", ("computed = evaluate(tape, values)",
                                              "values.update(evaluate(tape, values))\n    computed = values")),
     "keep the nodes' values in the dict your evaluate returns"),
    ("reverse_mode", changed("reverse_mode", ("grads[output] = grads[output] + 1.0", "pass")),
     "every gradient is zero"),
    ("reverse_mode", changed("reverse_mode", ("{name: np.zeros(np.shape(value)) for name, value in computed.items()}",
                                              "{}")), "looked up a GRADIENT that was not there"),
    ("reverse_mode", changed("reverse_mode", ("for name, value in computed.items()}", "for name, value in values.items()}")),
     "looked up a GRADIENT that was not there"),
    # forward_mode
    ("forward_mode", changed("forward_mode", ("(np.asarray(x[0]) > 0)", "(np.asarray(x[0]) >= 0)")),
     "not x >= 0"),
    ("forward_mode", changed("forward_mode", ("else np.zeros(np.shape(value))", "else 0.0")), "not the number 0"),
    ("forward_mode", changed("forward_mode", ("t[0] * x[1] + x[0] * t[1]", "t[0] * x[1]")), "half of it is missing"),
    ("forward_mode", changed("forward_mode", (
        "tan = {name: tangents[name] if name in tangents else np.zeros(np.shape(value)) for name, value in values.items()}",
        "tan = tangents\n    for name, value in values.items():\n        tan.setdefault(name, np.zeros(np.shape(value)))")),
     "every tangent in a new dict"),
    ("forward_mode", changed("forward_mode", ("(1 - out ** 2) * t[0]", "(1 - x[0] ** 2) * t[0]")), "OUTPUT value"),
    ("forward_mode", changed("forward_mode", ("tan[name] = out * t[0]", "tan[name] = x[0] * t[0]")),
     "the OUTPUT times the tangent"),
    ("forward_mode", changed("forward_mode", ("t[0] / x[0]", "t[0] * x[0]")), "divide by the input"),
    ("forward_mode", changed("forward_mode", ("tan[name] = np.sum(t[0])", "tan[name] = t[0]")),
     "the sum of the input tangent's entries"),
    ("forward_mode", changed("forward_mode", ("t[0] @ x[1] + x[0] @ t[1]", "t[0] @ x[1] + t[1] @ x[0]")),
     "dA @ B + A @ dB"),
    ("forward_mode", changed("forward_mode", ("/ Z.shape[1] * t[0])", "* t[0])")), "MEAN over the m = 5 columns"),
    ("forward_mode", changed("forward_mode", ("/ Z.shape[1] * t[0])",
                                              "/ Z.shape[1] * t[0]) - np.sum(t[1] * np.log(softmax(Z))) / Z.shape[1]")),
     "Y's tangent must not enter"),
    ("forward_mode", changed("forward_mode", ("if name in tangents else", "if name in tangents and name != 'Y' else")),
     "holds Y's tangent exactly as given"),
    # network_tape
    ("network_tape", changed("network_tape", ('(f"W{l}", previous)', '(previous, f"W{l}")')), "wrong order"),
    ("network_tape", changed("network_tape", ('            previous = f"A{l}"\n', "")), "never read"),
    ("network_tape", changed("network_tape", ('(previous, "Y")', '("Y", previous)')), "takes (Z[L], Y)"),
    ("network_tape", changed("network_tape", ("hidden_activation, (", '"relu", (')), "wrong activation"),
    ("network_tape", changed("network_tape", ("        if l < num_layers:\n", "        if True:\n")),
     "the output layer has a relu"),
    ("network_tape", changed("network_tape", ("range(1, num_layers + 1)", "range(1, num_layers)")), "never reads"),
    ("network_tape", changed("network_tape", ('        tape.append((f"Z{l}", "add", (f"U{l}", f"b{l}")))\n'
                                              '        previous = f"Z{l}"\n', '        previous = f"U{l}"\n')),
     "every layer adds its bias"),
]

REVERSE_IN_PLACE_ON_OWN_ZEROS = changed("reverse_mode", ("grads[input_name] = grads[input_name] + piece",
                                                         "grads[input_name] += piece"))
REVERSE_BY_CONTRIBUTIONS = '''
def reverse_mode(tape, values, output):
    computed = evaluate(tape, values)
    parts = {name: [] for name in computed}
    parts[output].append(1.0)
    grads = {}
    for name, op, inputs in tape[::-1]:
        grads[name] = sum(parts[name], np.zeros(np.shape(computed[name])))
        for input_name, piece in zip(inputs, vjp(op, [computed[i] for i in inputs], computed[name], grads[name])):
            parts[input_name].append(piece)
    for name in values:
        grads[name] = sum(parts[name], np.zeros(np.shape(computed[name])))
    return grads
'''

CORRECT = [
    ("evaluate", changed("evaluate", ("computed = dict(values)", "computed = {**values}"))),
    ("unbroadcast", '''
def unbroadcast(grad, shape):
    grad = np.asarray(grad, dtype=float)
    added = grad.ndim - len(shape)
    stretched = tuple(added + i for i, size in enumerate(shape) if size == 1 and grad.shape[added + i] != 1)
    return np.sum(grad, axis=tuple(range(added)) + stretched, keepdims=True).reshape(shape)
'''),
    ("vjp", changed("vjp", ("dy * (softmax(Z) - Y) / Z.shape[1]",
                            "dy * (np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0) - Y) / Z.shape[1]"),
                    ("(dy * (np.asarray(x) > 0),)", "(np.where(np.asarray(x) > 0, dy, 0.0),)"),
                    ("unbroadcast(dy * z, np.shape(x)), unbroadcast(dy * x, np.shape(z))",
                     "unbroadcast(z * dy, np.shape(x)), unbroadcast(x * dy, np.shape(z))"))),
    ("reverse_mode", REVERSE_IN_PLACE_ON_OWN_ZEROS),
    ("reverse_mode", REVERSE_BY_CONTRIBUTIONS),
    ("forward_mode", changed("forward_mode", ("(np.asarray(x[0]) > 0) * t[0]", "np.heaviside(x[0], 0.0) * t[0]"))),
    ("network_tape", changed("network_tape", ('f"U{l}"', 'f"product{l}"'), ('f"Z{l}"', 'f"pre{l}"'))),
]


@pytest.mark.parametrize("exercise, source, fragment", WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_a_wrong_version_gets_a_message_naming_its_slip_and_is_refuted(exercise, source, fragment):
    outcome = visible_test(NAME, exercise, source)
    assert not outcome.passed, f"the visible test passed {exercise}: {source}"
    assert fragment in outcome.message, outcome.message
    assert not hidden_test(NAME, exercise, source).passed
    assert verification(exercise, DEFINITIONS + source)


@pytest.mark.parametrize("exercise, source", CORRECT, ids=[f"{c[0]}-{i}" for i, c in enumerate(CORRECT)])
def test_a_correct_version_written_differently_passes(exercise, source):
    for run in (visible_test, hidden_test):
        outcome = run(NAME, exercise, source)
        assert outcome.passed, str(outcome)
        assert not outcome.warned, outcome.warned
    assert verification(exercise, DEFINITIONS + source) == []


def test_the_solutions_pass_without_warnings():
    for exercise, source in solutions().items():
        outcome = hidden_test(NAME, exercise, source)
        assert outcome.passed and not outcome.warned, f"{exercise}: {outcome}"


# ---------------------------------------------------------------- the grader's named mistakes (judging.mistakes)

# (exercise, the fragment of a wrong version of WRONG): the mistake the grader names from its outputs alone.
# Not here: a KeyError (a value or a gradient looked up that was not there: the error alone does not say
# which), a plain number as grad_output (a shape error), matmul's factors swapped in a JVP (a shape error),
# and two vjp versions with two slips at once.
NAMED = {
    ("evaluate", "the caller's values dict must stay as it was"): "values_changed",
    ("evaluate", "unpack the list"): "inputs_not_unpacked",
    ("evaluate", "values holds only the tape's inputs"): "name_not_there",
    ("evaluate", "first tuple first"): "name_not_there",
    ("evaluate", "are missing from the result"): "inputs_left_out",
    ("unbroadcast", "np.sum, not np.mean"): "averaged",
    ("unbroadcast", "keepdims=True"): "stretched_axis_dropped",
    ("unbroadcast", "first sum away the leading axes"): "shape_cannot_become",
    ("unbroadcast", "not over the other one"): "shape_cannot_become",
    ("unbroadcast", "nothing was summed"): "nothing_summed",
    ("vjp", "OTHER factor"): "mul_same_factor",
    ("vjp", "the sum over the axes broadcasting added or stretched is missing"): "mul_not_unbroadcast",
    ("vjp", "multiply dy by the OTHER factor first"): "mul_unbroadcast_first",
    ("vjp", "the 1/m is missing"): "cost_no_mean",
    ("vjp", "sign flipped"): "cost_sign_flipped",
    ("vjp", "the COLUMNS of Z"): "cost_mean_over_classes",
    ("vjp", "the softmax ran along the wrong axis"): "softmax_along_rows",
    ("vjp", "with respect to the probabilities"): "gradient_wrt_probabilities",
    ("vjp", "the softmax's Jacobian is not diagonal"): "diagonal_softmax_jacobian",
    ("vjp", "multiply by grad_output (dy"): "cost_no_grad_output",
    ("vjp", "dZ has Z's shape"): "dZ_averaged_over_examples",
    ("vjp", "Y is a constant"): "labels_get_a_gradient",
    ("vjp", "is None"): "gradient_is_none",
    ("vjp", "compute each gradient as a new array"): "changed_in_place",
    ("vjp", "not x >= 0"): "relu_mask_at_zero",
    ("vjp", "not 1/2"): "relu_half_at_zero",
    ("reverse_mode", "one and the same array"): "shared_gradient_array",
    ("reverse_mode", "the gradient of h is missing pieces"): "assigned_not_added",
    ("reverse_mode", "the tape was walked forwards"): "walked_forwards",
    ("reverse_mode", "keep the nodes' values in the dict your evaluate returns"): "values_changed",
    ("reverse_mode", "every gradient is zero"): "not_seeded",
    ("forward_mode", "not x >= 0"): "relu_mask_at_zero",
    ("forward_mode", "not the number 0"): "zero_tangent_a_number",
    ("forward_mode", "half of it is missing"): "mul_half_product_rule",
    ("forward_mode", "every tangent in a new dict"): "inputs_changed",
    ("forward_mode", "OUTPUT value"): "tanh_of_input",
    ("forward_mode", "the OUTPUT times the tangent"): "exp_of_input",
    ("forward_mode", "divide by the input"): "log_multiplies",
    ("forward_mode", "the sum of the input tangent's entries"): "sum_not_summed",
    ("forward_mode", "MEAN over the m = 5 columns"): "cost_no_mean",
    ("forward_mode", "Y's tangent must not enter"): "labels_tangent_enters",
    ("forward_mode", "holds Y's tangent exactly as given"): "labels_tangent_not_returned",
    ("network_tape", "wrong order"): "weights_on_the_right",
    ("network_tape", "never read"): "activation_never_read",
    ("network_tape", "takes (Z[L], Y)"): "cost_reads_labels_first",
    ("network_tape", "wrong activation"): "wrong_activation",
    ("network_tape", "the output layer has a relu"): "output_activation",
    ("network_tape", "never reads"): "bias_never_read",  # W3 and b3 unread: the visible test names the bias
    ("network_tape", "every layer adds its bias"): "bias_never_read",
}
DIAGNOSED = [(exercise, source, NAMED[exercise, fragment]) for exercise, source, fragment in WRONG
             if (exercise, fragment) in NAMED]
# tests.support.alternatives_going_further's wrong functions (test_verify_specs refutes them): their names.
NAMED_FUNCTIONS = {"_tape_activation_on_the_output": "output_activation", "_tape_without_biases": "bias_never_read",
                   "_tape_cost_not_named_c": "cost_not_named_c", "_tape_always_relu": "wrong_activation",
                   "_vjp_relu_slope_one_at_zero": "relu_mask_at_zero", "_vjp_softmax_over_rows": "softmax_along_rows",
                   "_reverse_mode_stores_and_then_adds_in_place": "shared_gradient_array"}
# Not named: its relu slip hits only a relu that reads an input; the other forward_mode version gives back no
# input's tangent (allowed), so it has other keys than the transforms, which give back every name.


def imported(exercise, function_name):
    """A source binding `exercise` to a function of tests.support.alternatives_going_further."""
    return f"from {alternatives_going_further.__name__} import {function_name} as {exercise}\n"


@pytest.mark.parametrize("exercise, source, mistake", DIAGNOSED, ids=[f"{d[0]}-{d[2]}-{i}" for i, d in enumerate(DIAGNOSED)])
def test_the_grader_names_a_wrong_version_s_slip_in_its_visible_test_s_words(exercise, source, mistake):
    assert_diagnosed(NAME, exercise, source, mistake, DEFINITIONS + source)


def test_the_grader_names_the_wrong_functions_of_the_spec_tests():
    for exercise, functions in alternatives_going_further.WRONG.items():
        for function in (f for f in functions if f.__name__ in NAMED_FUNCTIONS):
            found = diagnosis(exercise, imported(exercise, function.__name__))
            assert found.mistake == NAMED_FUNCTIONS[function.__name__], (function.__name__, found)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_correct_version_is_never_named_as_a_mistake(seed):
    named = {exercise: {m.name for m in MISTAKES[exercise]} for exercise in EXERCISES[NAME]}
    sources = [(exercise, DEFINITIONS + source) for exercise, source in CORRECT] + [
        (exercise, imported(exercise, alternatives_going_further.ALTERNATIVES[exercise].__name__))
        for exercise in EXERCISES[NAME]]
    for exercise, source in sources:
        assert diagnosis(exercise, source, seed=seed).mistake not in named[exercise], source


SQUARE_ONLY = {("vjp", "matmul_b_not_transposed"), ("vjp", "matmul_a_not_transposed"),
               ("forward_mode", "matmul_factors_swapped")}


def test_each_wrong_transform_is_named_as_itself_and_as_no_other_mistake():
    """Fed its own transform, a mistake's diagnosis is that mistake on some seed and never another one (a
    seed whose cases do not show the slip refutes nothing: unrecognised). Matmul's
    slips shape an error unless the drawn sizes happen to make the factors square: seeds 0 to 3 do not."""
    for exercise in EXERCISES[NAME]:
        for mistake in (m for m in MISTAKES[exercise] if m.wrong is not None):
            source = (f"from autograder.judging.specs import MISTAKES\n{exercise} = next(m for m in "
                      f"MISTAKES[{exercise!r}] if m.name == {mistake.name!r}).wrong\n")
            named = {diagnosis(exercise, source, seed=seed).mistake for seed in range(4)}
            assert named <= {mistake.name, "unrecognised"}, (exercise, mistake.name, named)
            assert mistake.name in named or (exercise, mistake.name) in SQUARE_ONLY, (exercise, mistake.name)
