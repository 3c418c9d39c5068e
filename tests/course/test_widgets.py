"""The explorers of notebooks 05-07 compute the right things, survive unwritten exercises, show a
picture everywhere, and redraw fast enough for a slider.

Where a student's function is expected, the reference implementation stands in for it.
"""

import base64
import importlib
import inspect
import pkgutil
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

from autograder.reference import (
    EXERCISES,
    adam_update,
    dropout_forward,
    init_he,
    init_normal,
    init_xavier,
    init_zeros,
    l2_gradients,
    momentum_update,
    nesterov_update,
    rmsprop_update,
)
from course import widgets
from course.data import make_moons
from course.widgets import InitializationExplorer, OptimizerExplorer, RegularizationExplorer

UPDATES = {"momentum": momentum_update, "nesterov": nesterov_update, "rmsprop": rmsprop_update, "adam": adam_update}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"  # the live frames of the widget view


def not_written(*args, **kwargs):
    """What an nbgrader stub does before the student writes it."""
    raise NotImplementedError()


# ------------------------------------------------------------------ optimisers


def test_gd_converges_at_the_theoretical_rate():
    explorer = OptimizerExplorer()
    state = explorer.set(optimizer="gd", kappa=10, lr=0.15, iterations=200)
    assert state["trajectory"].shape == (201, 2) and state["losses"].shape == (201,)
    assert state["theoretical_rate"] == pytest.approx(0.85)  # max(|1 - 0.15|, |1 - 1.5|)
    assert state["measured_rate"] == pytest.approx(state["theoretical_rate"], rel=0.03)
    state = explorer.set(kappa=50, lr=0.01, iterations=400)  # slow: the w1 direction sets the pace
    assert state["theoretical_rate"] == pytest.approx(0.99)
    assert state["measured_rate"] == pytest.approx(0.99, rel=0.01)


def test_set_optimal_gd_gives_the_textbook_rate():
    explorer = OptimizerExplorer(optimizer="gd", kappa=50, iterations=300)
    state = explorer.set_optimal()
    assert explorer.values["lr"] == pytest.approx(2 / 51)
    assert state["theoretical_rate"] == pytest.approx(49 / 51)  # (kappa - 1) / (kappa + 1)
    assert state["measured_rate"] == pytest.approx(49 / 51, rel=0.02)


def test_optimal_momentum_beats_optimal_gd_by_a_wide_margin():
    explorer = OptimizerExplorer(UPDATES, kappa=100, iterations=1000)
    explorer.set(optimizer="gd")
    gd = explorer.set_optimal()
    explorer.set(optimizer="momentum")
    heavy_ball = explorer.set_optimal()
    assert explorer.values["lr"] == pytest.approx(4 / 11**2)
    assert explorer.values["beta"] == pytest.approx((9 / 11) ** 2)
    assert heavy_ball["theoretical_rate"] == pytest.approx(9 / 11, rel=1e-6)  # (sqrt(k) - 1) / (sqrt(k) + 1)
    assert heavy_ball["measured_rate"] == pytest.approx(9 / 11, rel=0.03)
    assert gd["iterations_to_tolerance"] is not None and heavy_ball["iterations_to_tolerance"] is not None
    print(f"\niterations to loss < 1e-6 at kappa = 100: gd {gd['iterations_to_tolerance']}, "
          f"heavy ball {heavy_ball['iterations_to_tolerance']}")
    assert 4 * heavy_ball["iterations_to_tolerance"] < gd["iterations_to_tolerance"]


def test_momentum_theory_is_the_spectral_radius_of_the_iteration_matrix():
    explorer = OptimizerExplorer(UPDATES, optimizer="momentum", kappa=20, lr=0.02, beta=0.5, iterations=400)
    expected = max(
        np.max(np.abs(np.linalg.eigvals(np.array([[1 + 0.5 - 0.02 * lam, -0.5], [1.0, 0.0]]))))
        for lam in (1.0, 20.0)
    )
    assert explorer.state["theoretical_rate"] == pytest.approx(expected)
    assert explorer.state["measured_rate"] == pytest.approx(expected, rel=0.03)


def test_nesterov_runs_at_its_optimal_rate():
    explorer = OptimizerExplorer(UPDATES, optimizer="nesterov", kappa=100, iterations=600)
    state = explorer.set_optimal()
    assert state["theoretical_rate"] == pytest.approx(1 - 2 / np.sqrt(301), rel=1e-6)
    assert state["measured_rate"] == pytest.approx(state["theoretical_rate"], rel=0.03)


def test_gd_diverges_above_two_over_L():
    explorer = OptimizerExplorer(kappa=100, iterations=60)
    state = explorer.set(optimizer="gd", lr=1.1 * 2 / 100)
    losses = state["losses"]
    assert np.all(np.isfinite(losses)) and np.all(np.diff(losses) > 0)
    assert losses[-1] > 1e3 * losses[0]
    assert state["theoretical_rate"] > 1 and state["measured_rate"] == pytest.approx(1.2, rel=0.02)
    assert state["iterations_to_tolerance"] is None
    state = explorer.set(lr=0.5, iterations=500)  # far too large: stops cleanly, no overflow warnings
    assert state["diverged"] and "diverged" in state["message"]
    assert state["trajectory"].shape == (501, 2) and np.isnan(state["losses"][-1])


def test_unwritten_and_missing_optimizers_are_unavailable_not_fatal():
    explorer = OptimizerExplorer({"adam": not_written, "momentum": momentum_update})
    assert "adam_update" in explorer.unavailable["adam"] and "Adam" in explorer.unavailable["adam"]
    assert set(explorer.unavailable) == {"adam", "nesterov", "adagrad", "rmsprop"}
    assert explorer.optimizers == ["gd", "momentum"]
    state = explorer.set(optimizer="adam")
    assert not state["available"] and "write adam_update above to try Adam" in state["message"]
    assert state["trajectory"].shape == (explorer.values["iterations"] + 1, 2)
    assert state["iterations_to_tolerance"] is None and state["theoretical_rate"] is None
    assert "adam_update" in str(explorer)  # the caption tells what to do


def test_a_broken_update_is_reported_with_its_error():
    def returns_nothing(params, grads, velocity, lr, beta):
        velocity = {"w": beta * velocity["w"] + grads["dw"]}  # forgot the return

    explorer = OptimizerExplorer({"momentum": returns_nothing})
    assert "momentum_update" in explorer.unavailable["momentum"]
    assert "tuple" in explorer.unavailable["momentum"]
    assert not explorer.set(optimizer="momentum")["available"]


def test_state_dicts_are_separate_even_for_updates_that_write_into_them():
    def adam_in_place(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        g = grads["dw"]
        m["w"] = beta1 * m["w"] + (1 - beta1) * g  # writes into the dicts it was given
        v["w"] = beta2 * v["w"] + (1 - beta2) * g * g
        step = lr * (m["w"] / (1 - beta1**t)) / (np.sqrt(v["w"] / (1 - beta2**t)) + eps)
        return {"w": params["w"] - step}, m, v

    values = {"optimizer": "adam", "surface": "rosenbrock", "lr": 0.02, "iterations": 50}
    mine = OptimizerExplorer({"adam": adam_in_place}, **values).state["trajectory"]
    reference = OptimizerExplorer({"adam": adam_update}, **values).state["trajectory"]
    assert np.allclose(mine, reference)


def test_adam_and_rmsprop_decrease_the_loss_on_rosenbrock():
    explorer = OptimizerExplorer(UPDATES, surface="rosenbrock", iterations=500)
    adam = explorer.set(optimizer="adam", lr=0.02)
    assert adam["available"] and np.all(np.isfinite(adam["losses"]))
    assert adam["losses"][-1] < 0.1 * adam["losses"][0]
    assert adam["measured_rate"] is None and adam["theoretical_rate"] is None  # no linear-rate theory here
    rmsprop = explorer.set(optimizer="rmsprop", lr=0.005)
    assert rmsprop["losses"][-1] < 0.1 * rmsprop["losses"][0]


def test_play_draws_a_prefix_without_recomputing():
    explorer = OptimizerExplorer(iterations=50)
    explorer.redraw()
    state = explorer.state
    explorer.show_steps(5)
    explorer.redraw()
    assert explorer.state is state
    x, y = explorer._path_line.get_data()
    assert np.allclose(np.column_stack([x, y]), state["trajectory"][:6])
    explorer.set(lr=0.05)  # a new run is shown whole again
    assert explorer.frame == 50
    explorer.redraw()
    assert len(explorer._path_line.get_data()[0]) == 51


def test_optimizer_controls_are_validated():
    explorer = OptimizerExplorer()
    with pytest.raises(TypeError, match="unknown control"):
        explorer.set(learning_rate=0.1)
    with pytest.raises(ValueError, match="surface"):
        explorer.set(surface="saddle")
    with pytest.raises(ValueError, match="lr"):
        explorer.set(lr=0)
    with pytest.raises(ValueError, match="unknown optimiser"):
        OptimizerExplorer({"lbfgs": momentum_update})


# ------------------------------------------------------------------ initialisation


def test_small_scale_tanh_activations_vanish_with_depth():
    state = InitializationExplorer().set(scale=0.5, activation="tanh", depth=10)
    stds = state["activation_stds"]
    assert len(stds) == 10 and state["activation_hist"].shape == (10, InitializationExplorer.bins)
    assert stds[-1] < 0.01 * stds[0]
    assert all(later < earlier for earlier, later in zip(stds, stds[1:]))


def test_he_relu_keeps_activations_steady():
    explorer = InitializationExplorer({"zeros": init_zeros, "xavier": init_xavier, "he": init_he})
    assert explorer.values["init"] == "zeros" and not explorer.unavailable
    state = explorer.set(init="he", activation="relu", depth=10)
    stds = np.array(state["activation_stds"])
    assert np.all((stds > 0.5 * stds[0]) & (stds < 2 * stds[0]))
    grads = np.array(state["gradient_stds"])
    assert np.all((grads > 0.5 * grads[-1]) & (grads < 2 * grads[-1]))
    assert state["active_fractions"][-1] == pytest.approx(0.5, abs=0.15)
    assert explorer.set(scale=0.01)["activation_stds"] == state["activation_stds"]  # slider ignored
    assert InitializationExplorer().set(scale=np.sqrt(2), activation="relu", depth=10)["activation_stds"][-1] > 0.4


def test_sigmoid_gradients_vanish_and_zero_init_is_symmetric():
    state = InitializationExplorer().set(scale=1.0, activation="sigmoid", depth=12)
    grads = state["gradient_stds"]
    assert grads[0] < 0.01 * grads[-1]  # each sigmoid layer scales delta by at most 1/4
    zeros = InitializationExplorer({"zeros": init_zeros}).set(activation="tanh")
    assert zeros["activation_stds"] == [0.0] * 10


def test_init_signatures_are_respected_and_unwritten_ones_reported():
    calls = []

    def init_normal_spy(layer_sizes, std, rng):
        calls.append(std)
        return init_normal(layer_sizes, std, rng)

    explorer = InitializationExplorer({"normal": init_normal_spy, "he": not_written}, normal_std=0.05)
    assert "he" in explorer.unavailable and "normal" not in explorer.unavailable
    state = explorer.set(init="normal", activation="linear", depth=3, width=32)
    assert calls[-1] == 0.05
    assert state["activation_stds"][0] == pytest.approx(0.05 * np.sqrt(32), rel=0.2)
    state = explorer.set(init="he")
    assert not state["available"] and "write" in state["message"]


def test_initialization_is_seeded():
    a = InitializationExplorer(depth=6, width=32).state
    b = InitializationExplorer(depth=6, width=32).state
    assert a["activation_stds"] == b["activation_stds"] and a["gradient_stds"] == b["gradient_stds"]
    deeper = InitializationExplorer(depth=8, width=32).state  # more layers: the first ones stay the same
    assert deeper["activation_stds"][:6] == a["activation_stds"]


# ------------------------------------------------------------------ regularisation

FEATURES = np.random.default_rng(2)
W_RANDOM = FEATURES.normal(size=(120, 2)) * 2.0
B_RANDOM = FEATURES.uniform(-3, 3, (120, 1))


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def over_fitting_problem():
    """30 noisy training moons, 300 test moons, and a trainer that over-fits them with 120 random features."""
    X_train, Y_train = make_moons(30, 0.35, np.random.default_rng(0))
    X_test, Y_test = make_moons(300, 0.35, np.random.default_rng(1))
    calls = []

    def train_fn(lambd, keep_prob, epochs=250, lr=1.0):
        calls.append((lambd, keep_prob))
        rng = np.random.default_rng(3)
        H = np.tanh(W_RANDOM @ X_train + B_RANDOM)
        m = H.shape[1]
        params = {"W1": np.zeros((1, H.shape[0])), "b1": np.zeros((1, 1))}
        for _ in range(epochs):
            H_drop, _ = dropout_forward(H, keep_prob, rng)
            dZ = sigmoid(params["W1"] @ H_drop + params["b1"]) - Y_train
            grads = {"dW1": dZ @ H_drop.T / m, "db1": dZ.sum(axis=1, keepdims=True) / m}
            grads = l2_gradients(grads, params, lambd)
            params = {key: params[key] - lr * grads["d" + key] for key in params}
        W1, b1 = params["W1"], params["b1"]
        return lambda X: sigmoid(W1 @ np.tanh(W_RANDOM @ X + B_RANDOM) + b1)

    return train_fn, calls, (X_train, Y_train, X_test, Y_test)


def test_large_lambda_lowers_training_accuracy_and_pairs_are_cached():
    train_fn, calls, data = over_fitting_problem()
    explorer = RegularizationExplorer(train_fn, *data, lambdas=(0.0, 0.01, 1.0), keep_probs=(1.0, 0.7))
    assert calls == [(0.0, 1.0)]  # lazily: only the pair on show
    free = explorer.state
    assert free["train_accuracy"] == 1.0 and free["test_accuracy"] < free["train_accuracy"]  # over-fitting
    heavy = explorer.set(lambd=1.0)
    assert heavy["train_accuracy"] < free["train_accuracy"] - 0.2
    assert heavy["grid_probabilities"].shape == (explorer.grid_y.size, explorer.grid_x.size)
    explorer.set(lambd=0.0)
    assert len(calls) == 2  # back to a trained pair: no training
    assert np.isnan(explorer.state["curve"]["train"][1])  # lambda 0.01 not trained yet
    table = explorer.precompute()
    assert len(calls) == 6 and len(table) == 6
    assert not np.isnan(explorer.state["curve"]["train"]).any()
    assert table[(1.0, 1.0)] == (heavy["train_accuracy"], heavy["test_accuracy"])


def test_regularization_reports_unwritten_helpers():
    _, _, data = over_fitting_problem()

    def train_fn(lambd, keep_prob):
        raise NotImplementedError()  # l2_gradients not written yet

    explorer = RegularizationExplorer(train_fn, *data, lambdas=(0.0, 1.0), keep_probs=(1.0,))
    assert not explorer.state["available"] and "not written yet" in explorer.state["message"]
    assert not explorer.cache
    assert bytes(explorer.redraw()).startswith(JPEG_MAGIC)


def test_regularization_input_checks():
    train_fn, _, (X_train, Y_train, X_test, Y_test) = over_fitting_problem()
    with pytest.raises(ValueError, match=r"\(2, m\)"):
        RegularizationExplorer(train_fn, X_train.T, Y_train, X_test, Y_test)
    with pytest.raises(ValueError, match="probabilities"):
        RegularizationExplorer(lambda lambd, keep_prob: (lambda X: np.zeros(3)), X_train, Y_train, X_test, Y_test)


# ------------------------------------------------------------------ display


def explorers():
    train_fn, _, data = over_fitting_problem()
    return [
        OptimizerExplorer(UPDATES, optimizer="momentum"),
        InitializationExplorer({"he": init_he}),
        RegularizationExplorer(train_fn, *data, lambdas=(0.0, 1.0), keep_probs=(1.0,)),
    ]


def check_bundle(bundle):
    assert {"image/png", "text/plain", WIDGET_VIEW} <= set(bundle)
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)
    text = bundle["text/plain"]
    assert "\n" not in text
    assert text.startswith("Interactive controls need JupyterLab with ipywidgets; this is a static picture for ")
    assert bundle[WIDGET_VIEW]["version_major"] == 2 and bundle[WIDGET_VIEW]["model_id"]
    return text


def test_control_labels_fit_their_space():
    """A label wider than its space is cut ("momentum...", "weight sc..."): at the 13 px of JupyterLab's
    widgets a character takes up to about 8 px."""
    for explorer in explorers():
        explorer.widget  # builds the controls
        for name, control in explorer._controls_by_name.items():
            width = control.style.description_width if hasattr(control.style, "description_width") else ""
            if control.description and width.endswith("px"):
                assert 8 * len(control.description) <= int(width[:-2]), (
                    f"{type(explorer).__name__}: label {control.description!r} does not fit in {width}")


def test_a_curve_with_gaps_says_how_to_fill_it():
    train_fn, _, data = over_fitting_problem()
    explorer = RegularizationExplorer(train_fn, *data, lambdas=(0.0, 0.1, 1.0), keep_probs=(1.0,))
    explorer.figure  # draws the current state
    assert explorer._curve_hint.get_text().startswith("1 of 3 values of lambda\ntrained at this keep_prob")
    explorer.precompute()
    explorer.figure
    assert explorer._curve_hint.get_text() == ""


def test_the_picture_is_shown_at_the_size_it_is_drawn():
    for explorer in explorers():
        image = explorer.widget.children and explorer._image
        drawn = round(explorer.figure.get_figwidth() * explorer.figure.dpi)
        assert image.layout.width == f"{drawn}px" and image.layout.max_width == "100%"


def test_a_disabled_control_says_why():
    explorer = OptimizerExplorer(UPDATES, optimizer="momentum")
    beta = explorer.widget.children and explorer._controls_by_name["beta"]
    assert not beta.disabled
    explorer._controls_by_name["optimizer"].value = "adam"
    assert beta.disabled and beta.tooltip == "used only by momentum and Nesterov, not by Adam"
    explorer = InitializationExplorer({"he": init_he})
    scale = explorer.widget.children and explorer._controls_by_name["scale"]
    assert scale.disabled == (explorer.values["init"] != "scale")
    assert scale.tooltip.startswith("used only with init 'scale'") == scale.disabled


def test_show_publishes_widget_picture_and_sentence(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # as inside a kernel
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.append((objs, kw)))
    optimizer, init, regularization = explorers()
    for explorer in (optimizer, init, regularization):
        explorer.show()
    texts = []
    for (objs, kw), explorer in zip(shown, (optimizer, init, regularization)):
        assert kw.get("raw") is True and len(objs) == 1
        texts.append(check_bundle(objs[0]))
        assert objs[0][WIDGET_VIEW]["model_id"] == explorer.widget.model_id
    assert "lr=0.1" in texts[0] and "beta=0.9" in texts[0] and "optimizer=momentum" in texts[0]
    assert "init=he" in texts[1] and "depth=10" in texts[1]
    assert "lambda=0" in texts[2] and "keep_prob=1" in texts[2]


def test_show_outside_ipython_prints_the_sentence(capsys):
    OptimizerExplorer().show()
    out = capsys.readouterr().out
    assert out.startswith("Interactive controls need JupyterLab") and out.count("\n") == 1 and "lr=0.1" in out


def test_ipython_formatter_sees_the_same_bundle():
    data, _ = DisplayFormatter().format(OptimizerExplorer())
    check_bundle(data)


def test_widgets_drive_the_explorer_and_follow_set():
    explorer = OptimizerExplorer(UPDATES)
    view = explorer.widget
    before = explorer._image.value
    explorer._controls_by_name["lr"].value = 0.02  # as if the slider moved in the browser
    assert explorer.values["lr"] == 0.02 and explorer.state["theoretical_rate"] == pytest.approx(0.98)
    assert explorer._image.value != before and bytes(explorer._image.value).startswith(JPEG_MAGIC)
    explorer.set(kappa=100, optimizer="momentum")  # code moves the widgets
    assert explorer._controls_by_name["kappa"].value == pytest.approx(100)
    assert explorer._controls_by_name["optimizer"].value == "momentum"
    assert not explorer._controls_by_name["beta"].disabled
    explorer._step_slider.value = 3  # the Play control's position
    assert explorer.frame == 3
    explorer._controls_by_name["lr"].value = 3.0  # diverges at once: a message, not an exception
    assert explorer.state["diverged"]
    assert view.children[-1] is explorer._message
    explorer.set(optimizer="adam")
    assert explorer._optimal_button.disabled and explorer._controls_by_name["beta"].disabled
    before = dict(explorer.values)
    assert "no optimal-rate formula" in explorer.set_optimal()["message"] and explorer.values == before


def test_figure_holds_every_artist_for_savefig():
    explorer = InitializationExplorer(depth=4)
    figure = explorer.figure
    assert figure.canvas.get_width_height()[0] > 0
    assert all(not artist.get_animated() for artist in explorer._animated)
    assert len(explorer._act_ridges.get_segments()) == 4 and len(explorer._grad_ridges.get_segments()) == 4


def test_widgets_package_contains_no_exercise_solution():
    modules = [widgets, *(importlib.import_module(f"course.widgets.{info.name}")
                          for info in pkgutil.iter_modules(widgets.__path__))]
    assert len(modules) == 5
    for module in modules:
        source = inspect.getsource(module)
        for notebook in ("05_initialization", "06_regularization", "07_optimizers"):
            for name in EXERCISES[notebook]:
                assert not hasattr(module, name), f"{module.__name__} defines {name}, an exercise of {notebook}"
                assert f"def {name}(" not in source


def test_each_explorer_has_a_module_of_its_own():
    for explorer in (OptimizerExplorer, InitializationExplorer, RegularizationExplorer):
        module = importlib.import_module(explorer.__module__)
        assert len(inspect.getsource(module).splitlines()) < 500
        others = {OptimizerExplorer, InitializationExplorer, RegularizationExplorer} - {explorer}
        assert not any(vars(module).get(other.__name__) is other for other in others)


# ------------------------------------------------------------------ speed


def median_move_ms(explorer, moves):
    explorer.redraw()  # the first picture builds the figure; moves reuse it
    seconds = []
    for values in moves:
        started = time.perf_counter()
        explorer.set(**values)
        explorer.redraw()
        seconds.append(time.perf_counter() - started)
    return 1e3 * statistics.median(seconds)


def test_slider_moves_redraw_in_under_100_ms():
    optimizer, init, regularization = explorers()
    regularization.precompute()
    lrs = np.geomspace(0.01, 0.15, 20)
    timings = {
        "optimizer lr": median_move_ms(optimizer, [{"lr": lr} for lr in lrs]),
        "optimizer kappa": median_move_ms(optimizer, [{"kappa": k} for k in np.geomspace(1, 1000, 20)]),
        "init scale": median_move_ms(init, [{"init": "scale", "scale": s} for s in np.geomspace(0.2, 3, 20)]),
        "regularization lambda": median_move_ms(regularization, [{"lambd": (0.0, 1.0)[i % 2]} for i in range(20)]),
    }
    print("\nmedian set + redraw per slider move: " + ", ".join(f"{k} {v:.1f} ms" for k, v in timings.items()))
    for name, ms in timings.items():
        assert ms < 100, f"{name}: {ms:.0f} ms per move"
