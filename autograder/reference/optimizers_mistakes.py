"""07_optimizers: the named mistakes of its exercises (autograder.judging.mistakes), beside `optimizers`.

Each message is the visible test's own words for the slip (source/07_optimizers/07_optimizers.py). The
update rules are deterministic: a wrong transform makes the slip, one parameter at a time
(`_rule(step)`: step(theta, g, *state, *hyper-parameters) gives the new theta and state of one entry).
`lr_schedule`'s slips of value are one schedule's formula changed (`_schedule_with`); its case with an
unknown kind, where the contract asks for a ValueError, says nothing of them.
"""

import math

from autograder.judging.mistakes import Mistake

from .optimizers import lr_schedule


def _schedule_with(kind, rate):
    """lr_schedule with schedule `kind` computed by rate(lr0, epoch, **kw) instead: one slip, the rest right."""
    def schedule(kind_asked, lr0, epoch, **kw):
        return float(rate(lr0, epoch, **kw)) if kind_asked == kind else lr_schedule(kind_asked, lr0, epoch, **kw)
    return schedule


def _cosine(turns, halved):
    def rate(lr0, epoch, total_epochs, lr_min=0.0):
        swing = (lr0 - lr_min) * (1 + math.cos(turns * math.pi * epoch / total_epochs))
        return lr_min + (swing / 2 if halved else swing)
    return rate


def _changed(*names):
    """The watcher's words for an input changed in place, an entry of it replaced, a key added or removed, or its
    length changed: "... its input `velocity['W1']` ...", "... of its input `params` ..."."""
    return "|".join(rf"its input `{name}\b" for name in names)


def _sqrt(x):  # of an array or a float
    return x**0.5


def _rule(step, swapped=False):
    """An update over every key: step(theta, g, *state entries, *hyper-parameters) -> (theta, *state entries).
    Returns (params, *states), or (*states, params) when swapped."""
    def wrong(params, grads, *rest, **options):
        states = [s for s in rest if isinstance(s, dict)]
        hyper = [h for h in rest if not isinstance(h, dict)]
        new = [{}, *({} for _ in states)]
        for key, theta in params.items():
            for out, value in zip(new, step(theta, grads[f"d{key}"], *(s[key] for s in states), *hyper, **options)):
                out[key] = value
        return tuple(new[1:] + new[:1]) if swapped else tuple(new)
    return wrong


def _momentum(velocity_of, step_of):
    """v = velocity_of(v, g, beta, lr); theta = step_of(theta, v_old, v, g, beta, lr)."""
    def step(theta, g, v_old, lr, beta):
        v = velocity_of(v_old, g, beta, lr)
        return step_of(theta, v_old, v, g, beta, lr), v
    return step


def _adagrad(cache_of=lambda s, g: s + g * g, step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / (_sqrt(s) + eps),
             eps_given=True):
    def step(theta, g, s_old, lr, eps=1e-8):
        s = cache_of(s_old, g)
        return step_of(theta, g, s_old, s, lr, eps if eps_given else 1e-8), s
    return step


def _rmsprop(cache_of=lambda s, g, rho: rho * s + (1 - rho) * g * g,
             step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / (_sqrt(s) + eps), default_rho=0.9,
             rho_given=True, eps_given=True):
    def step(theta, g, s_old, lr, rho=None, eps=1e-8):
        rho = default_rho if rho is None or not rho_given else rho
        s = cache_of(s_old, g, rho)
        return step_of(theta, g, s_old, s, lr, eps if eps_given else 1e-8), s
    return step


def _adam(m_of=lambda m, g, b1: b1 * m + (1 - b1) * g, v_of=lambda v, g, b2: b2 * v + (1 - b2) * g * g,
          m_hat_of=lambda m, b1, b2, t: m / (1 - b1**t), v_hat_of=lambda v, b1, b2, t: v / (1 - b2**t),
          step_of=lambda theta, g, m_hat, v_hat, lr, eps: theta - lr * m_hat / (_sqrt(v_hat) + eps),
          returned=lambda m, v, m_hat, v_hat: (m, v), default_beta2=0.999, eps_given=True):
    def step(theta, g, m_old, v_old, t, lr, beta1=0.9, beta2=None, eps=1e-8):
        beta2 = default_beta2 if beta2 is None else beta2
        m, v = m_of(m_old, g, beta1), v_of(v_old, g, beta2)
        m_hat, v_hat = m_hat_of(m, beta1, beta2, t), v_hat_of(v, beta1, beta2, t)
        return (step_of(theta, g, m_hat, v_hat, lr, eps if eps_given else 1e-8), *returned(m, v, m_hat, v_hat))
    return step


def _heavy_ball(theta, v_old, v, g, beta, lr):
    return theta - lr * v


def _look_ahead(theta, v_old, v, g, beta, lr):
    return theta - lr * (g + beta * v)


def _summed(v_old, g, beta, lr):
    return beta * v_old + g


_MOMENTUM_VELOCITY_SLIPS = (
    ("averaged_velocity", lambda v, g, beta, lr: beta * v + (1 - beta) * g),
    ("velocity_ignored", lambda v, g, beta, lr: g),
    ("beta_on_the_gradient", lambda v, g, beta, lr: v + beta * g),
    ("one_minus_beta_on_the_velocity", lambda v, g, beta, lr: (1 - beta) * v + g),
)

MISTAKES = {
    "momentum_update": (
        Mistake("changes_its_inputs", "instead of velocity[k] *= beta or params[k] -= lr * v", reason=_changed("params", "velocity")),
        Mistake("returned_swapped", "you returned (velocity, params)", wrong=_rule(_momentum(_summed, _heavy_ball), swapped=True)),
        Mistake("averaged_velocity", "that is the averaged form v = beta v + (1 - beta) g",
                wrong=_rule(_momentum(dict(_MOMENTUM_VELOCITY_SLIPS)["averaged_velocity"], _heavy_ball))),
        Mistake("lr_in_the_velocity", "neither form of section 2: it keeps lr inside the velocity",
                wrong=_rule(_momentum(lambda v, g, beta, lr: beta * v + lr * g, lambda theta, v_old, v, g, beta, lr: theta - v))),
        Mistake("sign_flipped", "sign flipped: v accumulates +g, the step subtracts lr * v",
                wrong=_rule(_momentum(lambda v, g, beta, lr: beta * v - g, lambda theta, v_old, v, g, beta, lr: theta + lr * v))),
        Mistake("other_convention", "that is another convention; here v = beta v + g and theta -= lr v",
                wrong=_rule(_momentum(lambda v, g, beta, lr: beta * v - lr * g, lambda theta, v_old, v, g, beta, lr: theta + v))),
        Mistake("beta_on_the_gradient", "beta multiplies the old velocity, not the gradient",
                wrong=_rule(_momentum(dict(_MOMENTUM_VELOCITY_SLIPS)["beta_on_the_gradient"], _heavy_ball))),
        Mistake("one_minus_beta_on_the_velocity", "(1 - beta) multiplies the old velocity",
                wrong=_rule(_momentum(dict(_MOMENTUM_VELOCITY_SLIPS)["one_minus_beta_on_the_velocity"], _heavy_ball))),
        Mistake("velocity_ignored", "the old velocity was ignored: v = beta * velocity + g",
                wrong=_rule(_momentum(dict(_MOMENTUM_VELOCITY_SLIPS)["velocity_ignored"], _heavy_ball))),
        Mistake("uphill", "moved uphill: theta = theta - lr * v",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta + lr * v))),
        Mistake("old_velocity_in_the_step", "the parameter did not move: step with the NEW velocity (update v first)",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta - lr * v_old))),
        Mistake("gradient_only_step", "the step used only the gradient: step with the new velocity, theta - lr * v",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta - lr * g))),
        Mistake("nesterov_step", "adding the gradient once more is Nesterov's step",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta - lr * (g + v)))),
    ),
    "nesterov_update": (
        Mistake("changes_its_inputs", "instead of velocity[k] *= beta or params[k] -= ...", reason=_changed("params", "velocity")),
        Mistake("returned_swapped", "you returned (velocity, params)", wrong=_rule(_momentum(_summed, _look_ahead), swapped=True)),
        Mistake("averaged_velocity", "the velocity is the sum v = beta v + g, not an average",
                wrong=_rule(_momentum(dict(_MOMENTUM_VELOCITY_SLIPS)["averaged_velocity"], _look_ahead))),
        Mistake("lr_in_the_velocity", "lr belongs in the step, not in the velocity: v = beta * velocity + g",
                wrong=_rule(_momentum(lambda v, g, beta, lr: beta * v + lr * g,
                                      lambda theta, v_old, v, g, beta, lr: theta - (lr * g + beta * v)))),
        Mistake("velocity_ignored", "the old velocity was ignored: v = beta * velocity + g",
                wrong=_rule(_momentum(dict(_MOMENTUM_VELOCITY_SLIPS)["velocity_ignored"], _look_ahead))),
        Mistake("heavy_ball_step", "this is the heavy-ball step theta - lr * v", wrong=_rule(_momentum(_summed, _heavy_ball))),
        Mistake("uphill", "moved uphill: theta = theta - lr * (g + beta * v)",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta + lr * (g + beta * v)))),
        Mistake("gradient_term_missing", "the gradient term is missing: the step is lr * (g + beta * v)",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta - lr * beta * v))),
        Mistake("beta_on_both_terms", "beta belongs to the velocity term only",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta - lr * beta * (g + v)))),
        Mistake("old_velocity_in_the_step", "the momentum part of the step used the OLD velocity",
                wrong=_rule(_momentum(_summed, lambda theta, v_old, v, g, beta, lr: theta - lr * beta * v_old - lr * (1 + beta) * g))),
    ),
    "adagrad_update": (
        Mistake("changes_its_inputs", "instead of cache[k] += ... or params[k] -= ...", reason=_changed("params", "cache")),
        Mistake("cache_replaced", "the cache was replaced, not accumulated: AdaGrad adds g**2 to the old cache",
                wrong=_rule(_adagrad(cache_of=lambda s, g: g * g))),
        Mistake("no_square_root", "divide by the SQUARE ROOT of the cache",
                wrong=_rule(_adagrad(step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / (s + eps)))),
        Mistake("old_cache_in_the_step", "NaN/inf from dividing by sqrt(0): update the cache FIRST",
                wrong=_rule(_adagrad(step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / (_sqrt(s_old) + eps)))),
        Mistake("uphill", "moved uphill: theta = theta - lr * g / (sqrt(cache) + eps)",
                wrong=_rule(_adagrad(step_of=lambda theta, g, s_old, s, lr, eps: theta + lr * g / (_sqrt(s) + eps)))),
        Mistake("eps_inside_the_root", "eps must be added OUTSIDE the square root: sqrt(cache) + eps",
                wrong=_rule(_adagrad(step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / _sqrt(s + eps)))),
        Mistake("eps_ignored", "the eps argument was ignored", wrong=_rule(_adagrad(eps_given=False))),
    ),
    "rmsprop_update": (
        Mistake("changes_its_inputs", "instead of cache[k] += ... or params[k] -= ...", reason=_changed("params", "cache")),
        Mistake("rho_swapped", "rho and 1 - rho are swapped: rho multiplies the OLD cache",
                wrong=_rule(_rmsprop(cache_of=lambda s, g, rho: (1 - rho) * s + rho * g * g))),
        Mistake("adagrad_sum", "that is AdaGrad's sum: RMSProp averages", wrong=_rule(_rmsprop(cache_of=lambda s, g, rho: s + g * g))),
        Mistake("rho_missing_on_the_cache", "rho multiplies the old cache too: rho * cache + (1 - rho) * g**2",
                wrong=_rule(_rmsprop(cache_of=lambda s, g, rho: s + (1 - rho) * g * g))),
        Mistake("default_rho", "check the default: rho = 0.9", wrong=_rule(_rmsprop(default_rho=0.99))),
        Mistake("rho_ignored", "the rho argument was ignored (0.9 used)", wrong=_rule(_rmsprop(rho_given=False))),
        Mistake("no_square_root", "divide by the SQUARE ROOT of the cache",
                wrong=_rule(_rmsprop(step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / (s + eps)))),
        Mistake("old_cache_in_the_step", "the step used the OLD cache: update the cache first",
                wrong=_rule(_rmsprop(step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / (_sqrt(s_old) + eps)))),
        Mistake("uphill", "moved uphill: theta = theta - lr * g / (sqrt(cache) + eps)",
                wrong=_rule(_rmsprop(step_of=lambda theta, g, s_old, s, lr, eps: theta + lr * g / (_sqrt(s) + eps)))),
        Mistake("eps_inside_the_root", "eps must be added OUTSIDE the square root: sqrt(cache) + eps",
                wrong=_rule(_rmsprop(step_of=lambda theta, g, s_old, s, lr, eps: theta - lr * g / _sqrt(s + eps)))),
        Mistake("eps_ignored", "the eps argument was ignored", wrong=_rule(_rmsprop(eps_given=False))),
    ),
    "adam_update": (
        Mistake("changes_its_inputs", "instead of m[k] *= beta1 or params[k] -= ...", reason=_changed("params", "m", "v")),
        Mistake("returned_corrected_m", "you returned m_hat: carry the UNCORRECTED m to the next step",
                wrong=_rule(_adam(returned=lambda m, v, m_hat, v_hat: (m_hat, v)))),
        Mistake("returned_corrected_v", "you returned v_hat: carry the UNCORRECTED v to the next step",
                wrong=_rule(_adam(returned=lambda m, v, m_hat, v_hat: (m, v_hat)))),
        Mistake("beta1_swapped", "beta1 and 1 - beta1 are swapped", wrong=_rule(_adam(m_of=lambda m, g, b1: (1 - b1) * m + b1 * g))),
        Mistake("beta2_swapped", "beta2 and 1 - beta2 are swapped",
                wrong=_rule(_adam(v_of=lambda v, g, b2: (1 - b2) * v + b2 * g * g))),
        Mistake("default_beta2", "check the default: beta2 = 0.999", wrong=_rule(_adam(default_beta2=0.99))),
        Mistake("m_ignored", "the old m was ignored", wrong=_rule(_adam(m_of=lambda m, g, b1: (1 - b1) * g))),
        Mistake("v_ignored", "the old v was ignored", wrong=_rule(_adam(v_of=lambda v, g, b2: (1 - b2) * g * g))),
        Mistake("no_bias_correction", "the bias correction is missing",
                wrong=_rule(_adam(m_hat_of=lambda m, b1, b2, t: m, v_hat_of=lambda v, b1, b2, t: v))),
        Mistake("t_plus_one", "the correction used t + 1: t is already the number of this update",
                wrong=_rule(_adam(m_hat_of=lambda m, b1, b2, t: m / (1 - b1 ** (t + 1)),
                                  v_hat_of=lambda v, b1, b2, t: v / (1 - b2 ** (t + 1))))),
        Mistake("t_ignored", "the step ignored t: use 1 - beta1**t and 1 - beta2**t with the t you are given",
                wrong=_rule(_adam(m_hat_of=lambda m, b1, b2, t: m / (1 - b1), v_hat_of=lambda v, b1, b2, t: v / (1 - b2)))),
        Mistake("only_v_corrected", "only v was bias-corrected: correct m as well",
                wrong=_rule(_adam(m_hat_of=lambda m, b1, b2, t: m))),
        Mistake("only_m_corrected", "only m was bias-corrected: correct v as well",
                wrong=_rule(_adam(v_hat_of=lambda v, b1, b2, t: v))),
        Mistake("v_corrected_with_beta1", "each average is corrected with its own decay",
                wrong=_rule(_adam(v_hat_of=lambda v, b1, b2, t: v / (1 - b1**t)))),
        Mistake("m_corrected_by_a_product", "m_hat came out with the wrong sign",
                wrong=_rule(_adam(m_hat_of=lambda m, b1, b2, t: m / (1 - b1 * t)))),
        Mistake("raw_gradient_step", "the step used the raw gradient g",
                wrong=_rule(_adam(step_of=lambda theta, g, m_hat, v_hat, lr, eps: theta - lr * g / (_sqrt(v_hat) + eps)))),
        Mistake("uphill", "moved uphill: theta = theta - lr * m_hat / (sqrt(v_hat) + eps)",
                wrong=_rule(_adam(step_of=lambda theta, g, m_hat, v_hat, lr, eps: theta + lr * m_hat / (_sqrt(v_hat) + eps)))),
        Mistake("eps_inside_the_root", "eps must be added OUTSIDE the square root: sqrt(v_hat) + eps",
                wrong=_rule(_adam(step_of=lambda theta, g, m_hat, v_hat, lr, eps: theta - lr * m_hat / _sqrt(v_hat + eps)))),
        Mistake("eps_ignored", "the eps argument was ignored", wrong=_rule(_adam(eps_given=False))),
    ),
    "lr_schedule": (
        Mistake("unknown_kind_not_refused", "unknown kind should raise a ValueError that lists the valid kinds",
                reason="where its contract asks for a ValueError"),
        Mistake("unknown_kind_unexplained", "name all five", reason=r"^its ValueError .* does not name"),
        Mistake("not_a_python_float", "return a Python float", reason="expected a Python float"),
        Mistake("step_exponent_rounded", "use math.floor, not round", wrong=_schedule_with(
            "step", lambda lr0, epoch, drop=0.5, every=10: lr0 * drop ** round(epoch / every))),
        Mistake("step_exponent_fractional", "the exponent must be a whole number: floor(epoch / every)",
                wrong=_schedule_with("step", lambda lr0, epoch, drop=0.5, every=10: lr0 * drop ** (epoch / every))),
        Mistake("exponential_sign", "the exponent must be negative", wrong=_schedule_with(
            "exponential", lambda lr0, epoch, k=0.1: lr0 * math.exp(k * epoch))),
        Mistake("exponential_power_of_k", "lr0 * exp(-k * epoch), not lr0 * k**epoch", wrong=_schedule_with(
            "exponential", lambda lr0, epoch, k=0.1: lr0 * k ** epoch)),
        Mistake("cosine_not_halved", "divide (1 + cos(...)) by 2", wrong=_schedule_with("cosine", _cosine(1, False))),
        Mistake("cosine_full_period", "not 2 pi * epoch / total_epochs", wrong=_schedule_with("cosine", _cosine(2, True))),
    ),
}
