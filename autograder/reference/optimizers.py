"""07_optimizers: update rules as pure functions of (params, grads, state) -> (params, state).

State dicts are keyed like params ("W1", "b1", ...); gradients are keyed "dW1", "db1", ...
"""

import math

from autograder.judging import Spec, describe, must_raise, random_inputs, same_as_reference


def momentum_update(params, grads, velocity, lr, beta):
    """Heavy ball: v <- beta v + g; theta <- theta - lr v."""
    new_params, new_velocity = {}, {}
    for key, theta in params.items():
        v = beta * velocity[key] + grads[f"d{key}"]
        new_velocity[key] = v
        new_params[key] = theta - lr * v
    return new_params, new_velocity


def nesterov_update(params, grads, velocity, lr, beta):
    """Nesterov: v <- beta v + g; theta <- theta - lr (g + beta v), i.e. a look-ahead along v."""
    new_params, new_velocity = {}, {}
    for key, theta in params.items():
        g = grads[f"d{key}"]
        v = beta * velocity[key] + g
        new_velocity[key] = v
        new_params[key] = theta - lr * (g + beta * v)
    return new_params, new_velocity


def _sqrt(x):
    return x**0.5


def adagrad_update(params, grads, cache, lr, eps=1e-8):
    """AdaGrad: cache <- cache + g^2; theta <- theta - lr g / (sqrt(cache) + eps)."""
    new_params, new_cache = {}, {}
    for key, theta in params.items():
        g = grads[f"d{key}"]
        s = cache[key] + g * g
        new_cache[key] = s
        new_params[key] = theta - lr * g / (_sqrt(s) + eps)
    return new_params, new_cache


def rmsprop_update(params, grads, cache, lr, rho=0.9, eps=1e-8):
    """RMSProp: cache <- rho cache + (1 - rho) g^2; theta <- theta - lr g / (sqrt(cache) + eps)."""
    new_params, new_cache = {}, {}
    for key, theta in params.items():
        g = grads[f"d{key}"]
        s = rho * cache[key] + (1 - rho) * g * g
        new_cache[key] = s
        new_params[key] = theta - lr * g / (_sqrt(s) + eps)
    return new_params, new_cache


def adam_update(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam with bias correction; t is this update's number, starting at 1.

    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
    m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t);  theta <- theta - lr m_hat / (sqrt(v_hat) + eps).
    """
    if t < 1:
        raise ValueError(f"t counts updates from 1, got {t}")
    new_params, new_m, new_v = {}, {}, {}
    for key, theta in params.items():
        g = grads[f"d{key}"]
        new_m[key] = beta1 * m[key] + (1 - beta1) * g
        new_v[key] = beta2 * v[key] + (1 - beta2) * g * g
        m_hat = new_m[key] / (1 - beta1**t)
        v_hat = new_v[key] / (1 - beta2**t)
        new_params[key] = theta - lr * m_hat / (_sqrt(v_hat) + eps)
    return new_params, new_m, new_v


def lr_schedule(kind, lr0, epoch, **kw):
    """Learning rate at `epoch` for a schedule `kind`. Returns a float.

    "constant"; "step" (drop=0.5, every=10); "exponential" (k=0.1); "inverse_time" (decay=1.0);
    "cosine" (total_epochs required, lr_min=0).
    """
    if kind == "constant":
        return float(lr0)
    if kind == "step":
        return lr0 * kw.get("drop", 0.5) ** math.floor(epoch / kw.get("every", 10))
    if kind == "exponential":
        return lr0 * math.exp(-kw.get("k", 0.1) * epoch)
    if kind == "inverse_time":
        return lr0 / (1 + kw.get("decay", 1.0) * epoch)
    if kind == "cosine":
        lr_min = kw.get("lr_min", 0.0)
        return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * epoch / kw["total_epochs"])) / 2
    raise ValueError(f"unknown schedule {kind!r}; choose constant, step, exponential, inverse_time or cosine")


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

def _optimizer_problem(rng):
    params = random_inputs.params(rng, random_inputs.layer_sizes(rng, 1, 3, 1, 4))
    return params, random_inputs.grads_for(rng, params)


def _cases_velocity_update(rng):
    cases = []
    for zero_state in (True, False):
        params, grads = _optimizer_problem(rng)
        velocity = random_inputs.like_params(rng, params, 0.0 if zero_state else 1.0)
        cases.append(([params, grads, velocity, float(rng.uniform(0.001, 0.5)), float(rng.uniform(0.5, 0.99))], {}))
    return cases


def _cases_adagrad_update(rng):
    params, grads = _optimizer_problem(rng)
    first = ([params, grads, random_inputs.like_params(rng, params, 0.0), float(rng.uniform(0.001, 0.5))], {})
    params, grads = _optimizer_problem(rng)
    # An eps of the size of sqrt(cache): a function that ignores the eps it is given steps differently.
    second = ([params, grads, random_inputs.like_params(rng, params, 1.0, positive=True), float(rng.uniform(0.001, 0.5))],
              {"eps": float(rng.uniform(0.1, 0.5))})
    return [first, second]


def _cases_rmsprop_update(rng):
    params, grads = _optimizer_problem(rng)
    first = ([params, grads, random_inputs.like_params(rng, params, 0.0), float(rng.uniform(0.001, 0.5))], {})
    params, grads = _optimizer_problem(rng)
    second = ([params, grads, random_inputs.like_params(rng, params, 1.0, positive=True), float(rng.uniform(0.001, 0.5))],
              {"rho": float(rng.uniform(0.5, 0.99)), "eps": float(rng.uniform(0.1, 0.5))})
    return [first, second]


def _cases_adam_update(rng):
    params, grads = _optimizer_problem(rng)
    zeros = random_inputs.like_params(rng, params, 0.0)
    first = ([params, grads, zeros, dict(zeros), 1, float(rng.uniform(0.001, 0.1))], {})
    params, grads = _optimizer_problem(rng)
    second = ([params, grads, random_inputs.like_params(rng, params, 0.3), random_inputs.like_params(rng, params, 0.3, positive=True),
               random_inputs.integer(rng, 2, 50), float(rng.uniform(0.001, 0.1))], {})
    params, grads = _optimizer_problem(rng)
    third = ([params, grads, random_inputs.like_params(rng, params, 0.3), random_inputs.like_params(rng, params, 0.3, positive=True),
              random_inputs.integer(rng, 1, 10), float(rng.uniform(0.001, 0.1))],
             {"beta1": float(rng.uniform(0.5, 0.95)), "beta2": float(rng.uniform(0.9, 0.999)),
              "eps": float(rng.uniform(0.1, 0.5))})  # of the size of sqrt(v_hat): an eps ignored shows
    return [first, second, third]


def _cases_lr_schedule(rng):
    lr0 = float(rng.uniform(0.01, 1.0))

    def epoch():
        return random_inputs.integer(rng, 0, 60)

    def maybe(kw):
        return kw if rng.random() < 0.5 else {}

    total = random_inputs.integer(rng, 10, 100)
    every = random_inputs.integer(rng, 3, 15)
    return [
        (["constant", lr0, epoch()], {}),
        # The step schedule at the edges of its blocks: the last epoch of the first block tells floor from
        # ceil, round and epoch + 1; the first epoch of the third (with the defaults) from epoch - 1.
        (["step", lr0, every - 1], {"drop": float(rng.uniform(0.1, 0.9)), "every": every}),
        (["step", lr0, 20], {}),
        (["exponential", lr0, epoch()], maybe({"k": float(rng.uniform(0.01, 0.5))})),
        (["inverse_time", lr0, epoch()], maybe({"decay": float(rng.uniform(0.1, 2.0))})),
        (["cosine", lr0, random_inputs.integer(rng, 0, total)],
         {"total_epochs": total, "lr_min": float(rng.uniform(0.1 * lr0, 0.5 * lr0))}),  # lr_min always: the formula's slips
        ([random_inputs.pick(rng, ("linear", "Cosine", "exp", "warmup")), lr0, epoch()], {}),  # a ValueError
    ]


SCHEDULE_KINDS = ("constant", "step", "exponential", "inverse_time", "cosine")


def _unknown_kind(args, kwargs):
    return None if args[0] in SCHEDULE_KINDS else ("ValueError", SCHEDULE_KINDS, args[0])


def _judge_lr_schedule(got, args, kwargs):
    if not isinstance(got, float):  # np.float64 is a float; a 0-d array is not
        return f"returned {describe(got)}, expected a Python float"
    return same_as_reference(lr_schedule)(got, args, kwargs)


SPECS = {
    # momentum and Nesterov take the same arguments, so they share their cases.
    "momentum_update": Spec(_cases_velocity_update, same_as_reference(momentum_update, ("params", "velocity"))),
    "nesterov_update": Spec(_cases_velocity_update, same_as_reference(nesterov_update, ("params", "velocity"))),
    "adagrad_update": Spec(_cases_adagrad_update, same_as_reference(adagrad_update, ("params", "cache"))),
    "rmsprop_update": Spec(_cases_rmsprop_update, same_as_reference(rmsprop_update, ("params", "cache"))),
    "adam_update": Spec(_cases_adam_update, same_as_reference(adam_update, ("params", "m", "v"))),
    "lr_schedule": Spec(_cases_lr_schedule, *must_raise(_unknown_kind, _judge_lr_schedule)),
}
