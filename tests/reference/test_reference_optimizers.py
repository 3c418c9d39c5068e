"""Each optimiser update against a step computed by hand, and the schedules' formulas."""

import copy
import math

import numpy as np
import pytest

from autograder import reference as ref


def one(value):
    return {"w": np.array([[value]])}


def grad(value):
    return {"dw": np.array([[value]])}


def test_momentum_two_steps_by_hand():
    params, velocity = one(1.0), one(0.0)
    params, velocity = ref.momentum_update(params, grad(2.0), velocity, lr=0.1, beta=0.9)
    assert velocity["w"][0, 0] == pytest.approx(2.0) and params["w"][0, 0] == pytest.approx(0.8)
    params, velocity = ref.momentum_update(params, grad(1.0), velocity, lr=0.1, beta=0.9)
    assert velocity["w"][0, 0] == pytest.approx(0.9 * 2 + 1)  # 2.8
    assert params["w"][0, 0] == pytest.approx(0.8 - 0.28)


def test_nesterov_two_steps_by_hand():
    params, velocity = ref.nesterov_update(one(1.0), grad(2.0), one(0.0), lr=0.1, beta=0.9)
    assert velocity["w"][0, 0] == pytest.approx(2.0)
    assert params["w"][0, 0] == pytest.approx(1.0 - 0.1 * (2 + 0.9 * 2))  # 0.62
    params, velocity = ref.nesterov_update(params, grad(1.0), velocity, lr=0.1, beta=0.9)
    assert params["w"][0, 0] == pytest.approx(0.62 - 0.1 * (1 + 0.9 * 2.8))


def test_adagrad_and_rmsprop_by_hand():
    params, cache = ref.adagrad_update(one(1.0), grad(2.0), one(0.0), lr=0.5, eps=0.0)
    assert cache["w"][0, 0] == 4.0 and params["w"][0, 0] == pytest.approx(0.5)
    params, cache = ref.adagrad_update(params, grad(3.0), cache, lr=0.5, eps=0.0)
    assert cache["w"][0, 0] == 13.0 and params["w"][0, 0] == pytest.approx(0.5 - 1.5 / math.sqrt(13))
    params, cache = ref.rmsprop_update(one(1.0), grad(2.0), one(1.0), lr=0.1, rho=0.9, eps=1e-8)
    assert cache["w"][0, 0] == pytest.approx(0.9 + 0.4)
    assert params["w"][0, 0] == pytest.approx(1.0 - 0.1 * 2 / (math.sqrt(1.3) + 1e-8))


def test_adam_bias_correction_and_step_count():
    params, m, v = ref.adam_update(one(1.0), grad(0.5), one(0.0), one(0.0), t=1, lr=0.01)
    assert m["w"][0, 0] == pytest.approx(0.05) and v["w"][0, 0] == pytest.approx(0.00025)
    # With bias correction the first step is lr * g / |g| (up to eps), whatever the gradient's scale.
    assert params["w"][0, 0] == pytest.approx(1.0 - 0.01, rel=1e-7)
    params, m, v = ref.adam_update(params, grad(-1.0), m, v, t=2, lr=0.01)
    m_hat = (0.9 * 0.05 + 0.1 * -1.0) / (1 - 0.9**2)
    v_hat = (0.999 * 0.00025 + 0.001 * 1.0) / (1 - 0.999**2)
    assert params["w"][0, 0] == pytest.approx(0.99 - 0.01 * m_hat / (math.sqrt(v_hat) + 1e-8))
    with pytest.raises(ValueError):
        ref.adam_update(one(1.0), grad(0.5), one(0.0), one(0.0), t=0, lr=0.01)


@pytest.mark.parametrize(
    "update, state_count",
    [
        (lambda p, g, s: ref.momentum_update(p, g, *s, lr=0.1, beta=0.9), 1),
        (lambda p, g, s: ref.nesterov_update(p, g, *s, lr=0.1, beta=0.9), 1),
        (lambda p, g, s: ref.adagrad_update(p, g, *s, lr=0.1), 1),
        (lambda p, g, s: ref.rmsprop_update(p, g, *s, lr=0.1), 1),
        (lambda p, g, s: ref.adam_update(p, g, *s, t=3, lr=0.1), 2),
    ],
)
def test_updates_never_modify_their_inputs(update, state_count):
    rng = np.random.default_rng(0)
    params = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal((3, 1))}
    grads = {"dW1": rng.standard_normal((3, 2)), "db1": rng.standard_normal((3, 1))}
    state = [{k: np.abs(rng.standard_normal(v.shape)) for k, v in params.items()} for _ in range(state_count)]
    before = copy.deepcopy((params, grads, state))
    result = update(params, grads, state)
    for a, b in zip((params, grads, *state), (before[0], before[1], *before[2])):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert result[0]["W1"] is not params["W1"]
    assert set(result[1]) == {"W1", "b1"}


@pytest.mark.parametrize(
    "kind, kw, epoch, expected",
    [
        ("constant", {}, 7, 0.1),
        ("step", {}, 25, 0.1 * 0.5**2),
        ("step", {"drop": 0.1, "every": 3}, 3, 0.01),
        ("exponential", {}, 10, 0.1 * math.exp(-1)),
        ("exponential", {"k": 0.5}, 2, 0.1 * math.exp(-1)),
        ("inverse_time", {}, 4, 0.02),
        ("inverse_time", {"decay": 0.5}, 2, 0.05),
        ("cosine", {"total_epochs": 10}, 0, 0.1),
        ("cosine", {"total_epochs": 10}, 5, 0.05),
        ("cosine", {"total_epochs": 10, "lr_min": 0.02}, 10, 0.02),
    ],
)
def test_lr_schedule(kind, kw, epoch, expected):
    value = ref.lr_schedule(kind, 0.1, epoch, **kw)
    assert isinstance(value, float) and value == pytest.approx(expected)


def test_lr_schedule_unknown_kind():
    with pytest.raises(ValueError, match="unknown schedule"):
        ref.lr_schedule("warmup", 0.1, 1)
