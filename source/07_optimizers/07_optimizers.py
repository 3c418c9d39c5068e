# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Optimisers: better steps than plain gradient descent
#
# Backpropagation gives the gradient; the optimiser decides what step to take with it. Plain
# gradient descent, $\theta \leftarrow \theta - \eta\, \nabla C(\theta)$, has a single knob, the
# learning rate $\eta$, and on a badly shaped cost no single value of it is good. This notebook
# studies why, and builds the update rules that every deep-learning library ships.
#
# **What you will learn**
# - what the step size does on a quadratic: too small crawls, too large oscillates, larger still
#   diverges, and why the steepest direction sets the limit;
# - heavy-ball momentum, its exponential-average form, and Nesterov's look-ahead variant;
# - per-coordinate step sizes: AdaGrad, RMSProp, and Adam with its bias correction;
# - learning-rate schedules (step, exponential, $1/t$, cosine);
# - on a quadratic with condition number $\kappa$: the best learning rate and momentum, and the
#   convergence rates $\frac{\kappa-1}{\kappa+1}$ (gradient descent) and
#   $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ (heavy ball), measured against the theory.
#
# **What you will write** (18 points: 12 checked by tests, 6 graded by hand)
#
# | function or question | points |
# |---|---|
# | `momentum_update(params, grads, velocity, lr, beta)` | 2 |
# | `nesterov_update(params, grads, velocity, lr, beta)` | 2 |
# | `adagrad_update(params, grads, cache, lr, eps=1e-8)` | 1 |
# | `rmsprop_update(params, grads, cache, lr, rho=0.9, eps=1e-8)` | 2 |
# | `adam_update(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8)` | 3 |
# | `lr_schedule(kind, lr0, epoch, **kw)` | 2 |
# | three written questions, a few sentences each (graded by hand) | 3 × 2 |
#
# Every update is a pure function: it takes the parameters, the gradients and the optimiser's
# state, and **returns** new parameters and new state, leaving its inputs untouched. Write each
# function in its answer cell, then run the test cell right below it.

# %% [markdown]
# **How to work here.** Run the cells in order from the top (Shift+Enter runs one and moves on).
# Each function you write has a test cell right below it: run it, and if it fails, read its
# message, which names the likely mistake. *Run All* stops at the first function you have not
# written yet (`NotImplementedError`) but leaves the view at the bottom of the notebook: scroll
# up to the first red error.
#
# A written question has an answer cell right below it: double-click *YOUR ANSWER HERE*, write a
# few sentences (Markdown and $\LaTeX$ work), and run the cell to show it formatted. Your instructor
# grades these answers by hand.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from course import check

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Conventions for this notebook
#
# The dictionaries are those of notebook 04: `params = {"W1": ..., "b1": ..., ...}` and
# `grads = {"dW1": ..., "db1": ..., ...}`, each gradient shaped like its parameter. An optimiser's
# **state** (a velocity, a running average of squared gradients, ...) is one more dictionary keyed
# **like the parameters**, `{"W1": ..., "b1": ..., ...}`, and it starts as zeros of the same
# shapes. So for every key `k` of `params`, the three arrays `params[k]`, `grads["d" + k]` and
# `state[k]` have the same shape, and every operation below is element-wise.
#
# To see the optimisers at work on pictures we use costs of two numbers $\theta = (\theta_1,
# \theta_2)$, stored as one column `params = {"W1": theta}` with `theta` of shape `(2, 1)`. The
# update functions cannot tell the difference from a real network.

# %%
def quadratic(h):
    """C(theta) = 1/2 sum_i h_i theta_i^2 for a column theta (d, 1): returns (cost, gradient) functions."""
    h = np.asarray(h, dtype=float).reshape(-1, 1)

    def cost(theta):
        return float(0.5 * np.sum(h * theta**2))

    def gradient(theta):
        return h * theta

    return cost, gradient


def rosenbrock_cost(theta):
    """(1 - x)^2 + 100 (y - x^2)^2 for theta = [[x], [y]]; its minimum is 0 at (1, 1)."""
    x, y = theta[0, 0], theta[1, 0]
    return float((1 - x) ** 2 + 100 * (y - x**2) ** 2)


def rosenbrock_gradient(theta):
    x, y = theta[0, 0], theta[1, 0]
    return np.array([[-2 * (1 - x) - 400 * x * (y - x**2)], [200 * (y - x**2)]])


def contour(ax, cost, xlim, ylim, levels=20, log=False, equal_aspect=False):
    """Draw the level sets of a cost of two numbers on ax (equal_aspect: one unit as long on both axes)."""
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    values = np.array([[cost(np.array([[x], [y]])) for x in xs] for y in ys])
    if log:
        values = np.log10(values + 1e-3)
    ax.contour(xs, ys, values, levels=levels, colors="0.7", linewidths=0.8)
    ax.set(xlim=xlim, ylim=ylim, xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
    if equal_aspect:  # a circle stays round, and a gradient step crosses the level sets at right angles
        ax.set_aspect("equal")


def gradient_descent_path(gradient, theta0, lr, steps, limit=1e6):
    """Iterates of plain gradient descent from theta0 (a column); stops early if it blows up."""
    theta = np.array(theta0, dtype=float).reshape(-1, 1)
    path = [theta.ravel()]
    for _ in range(steps):
        theta = theta - lr * gradient(theta)
        path.append(theta.ravel())
        if np.max(np.abs(theta)) > limit:
            break
    return np.array(path)


# %% [markdown]
# ## 1. The step size on a quadratic
#
# Near a minimum every smooth cost looks like a quadratic, so quadratics tell us most of what
# there is to know about step sizes. Start with one number and the cost
# $C(\theta) = \frac12 h\,\theta^2$, whose curvature (second derivative) is $h > 0$. The gradient
# is $h\theta$, so one step of gradient descent is
#
# $$\theta_{k+1} = \theta_k - \eta\, h\,\theta_k = (1 - \eta h)\,\theta_k, \qquad\text{hence}\qquad
# \theta_k = (1 - \eta h)^k\,\theta_0 .$$
#
# Everything hangs on the factor $1 - \eta h$:
#
# | learning rate | factor $1 - \eta h$ | behaviour |
# |---|---|---|
# | $0 < \eta < 1/h$ | between 0 and 1 | creeps towards 0 from one side; slowly if $\eta$ is small |
# | $\eta = 1/h$ | 0 | lands on the minimum in one step |
# | $1/h < \eta < 2/h$ | between $-1$ and 0 | overshoots, hops from side to side, still converges |
# | $\eta = 2/h$ | $-1$ | bounces between $\pm\theta_0$ forever |
# | $\eta > 2/h$ | below $-1$ | every hop is longer than the last: **divergence** |

# %% tags=["demo"]
cost_1d, gradient_1d = quadratic([1.0])   # h = 1, so 2/h = 2
settings = [(0.1, "too small"), (0.6, "good"), (1.7, "large: oscillates"), (2.1, "too large: diverges")]
fig = plt.figure(figsize=(10, 6.4))              # the width of a notebook page
layout = fig.add_gridspec(2, 3)
path_axes = [fig.add_subplot(layout[0, 0]), fig.add_subplot(layout[0, 1]), fig.add_subplot(layout[0, 2]),
             fig.add_subplot(layout[1, 0])]
rate_ax = fig.add_subplot(layout[1, 1:])
grid = np.linspace(-3, 3, 200)
for ax, (lr, label) in zip(path_axes, settings):
    path = gradient_descent_path(gradient_1d, [2.0], lr, 8)[:, 0]
    ax.plot(grid, 0.5 * grid**2, color="0.6")
    ax.plot(path, 0.5 * path**2, "o-", color="C3", markersize=4)
    ax.set(title=f"lr = {lr}: {label}", xlabel=r"$\theta$", ylim=(-0.2, 4.6), xlim=(-3, 3))
for lr in [0.1, 0.6, 1.0, 1.7, 1.95, 2.1]:
    path = gradient_descent_path(gradient_1d, [2.0], lr, 30)[:, 0]
    rate_ax.semilogy(np.abs(path) + 1e-18, label=f"lr = {lr}")
for ax in path_axes[0], path_axes[3]:
    ax.set_ylabel(r"$C(\theta) = \theta^2/2$")
rate_ax.set(title=r"$|\theta_k|$ against $k$", xlabel="step $k$", ylim=(1e-8, 1e3))
rate_ax.legend(fontsize=8, ncol=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# With $\eta = 1$ the first step lands exactly on the minimum (its curve drops off the bottom of
# the log plot). In practice we never know $h$, so we never hit that value, but the picture
# carries over: the usable range is $0 < \eta < 2/h$, convergence is fastest in its middle, and
# it slows down towards either end.
#
# ### Two directions, two curvatures
#
# Now take two numbers and $C(\theta) = \frac12(h_1\theta_1^2 + h_2\theta_2^2)$ with
# $\mu = h_1 < h_2 = L$. The gradient $(h_1\theta_1, h_2\theta_2)$ treats the two coordinates
# separately, so each one follows its own 1-D story with its own factor $1 - \eta h_i$. One
# learning rate has to serve both:
#
# - stability needs $\eta < 2/L$: the **steepest** direction sets the limit;
# - but then the flat direction shrinks by $1 - \eta\mu > 1 - 2\mu/L$ per step, which is close to
#   1 when $\mu \ll L$.
#
# The ratio $\kappa = L/\mu$ is the **condition number**. A large $\kappa$ (a long, narrow valley)
# forces gradient descent to choose between oscillating across the valley and crawling along it.
# (Any quadratic $\frac12\theta^T H\theta$ with a symmetric positive definite $H$ is of this form
# after a rotation to the eigenvectors of $H$; $\mu$ and $L$ are its smallest and largest
# eigenvalues.)

# %% tags=["demo"]
h_valley = [1.0, 10.0]                     # mu = 1, L = 10: kappa = 10, stable for lr < 0.2
cost_2d, gradient_2d = quadratic(h_valley)
theta0 = [-4.5, 1.5]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
for ax, lr in zip(axes[:2], [0.05, 0.19]):
    path = gradient_descent_path(gradient_2d, theta0, lr, 40)
    contour(ax, cost_2d, (-5, 5), (-2, 2), equal_aspect=True)
    ax.plot(path[:, 0], path[:, 1], "o-", color="C3", markersize=3)
    ax.set(title=f"gradient descent, lr = {lr} (2/L = 0.2)")
for lr in [0.05, 0.1, 0.15, 0.19, 0.205]:
    path = gradient_descent_path(gradient_2d, theta0, lr, 60)
    axes[2].semilogy([cost_2d(p.reshape(-1, 1)) for p in path], label=f"lr = {lr}")
axes[2].set(title="cost against step", xlabel="step", ylim=(1e-6, 1e3))
axes[2].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Left: a cautious learning rate moves smoothly but slowly along the flat $\theta_1$ direction
# (each step multiplies $\theta_1$ by $1 - 0.05 = 0.95$). Middle: just below $2/L$, $\theta_1$
# shrinks by $0.81$ a step and reaches the minimum, but the steep $\theta_2$ direction zig-zags
# across the valley, multiplied by $1 - 0.19 \cdot 10 = -0.9$ a step: barely damped. Right:
# pushing past $2/L = 0.2$ makes the cost explode. The curves for lr = 0.1 and lr = 0.19 nearly
# coincide: the slower direction sets the pace, and it shrinks by 0.9 a step in both (the flat one
# at 0.1, the steep one at 0.19). The best single learning rate, $2/(\mu + L) \approx 0.18$,
# balances the two at $0.82$. Momentum and the adaptive methods below are two different answers to
# this dilemma.

# %% [markdown]
# ### Written question 1: a divergence that waits [2 points, graded by hand]
#
# Take three directions with curvatures $h = (1, 4, 50)$, start at $\theta_0 = (1,\ 1,\ 0.001)$ and run
# gradient descent with $\eta = 0.041$. Work with the factor $1 - \eta h_i$ of each direction (a calculator
# is enough; no code).
#
# 1. Predict what the cost does: does it fall at first? Does it converge? If it turns around, at roughly
#    which step, and why there?
# 2. Now the third coordinate starts at $10^{-12}$ instead, about the size of a rounding error. What
#    changes, and what does not? Give the new turning step roughly.
#
# Three to five sentences, with your numbers.

# %% [markdown] answer="step_size_divergence" points=2
# ### BEGIN SOLUTION
# **Model answer.** The factors are $1 - 0.041 h_i = 0.959,\ 0.836,\ -1.05$. The cost is
# $\sum_i \frac12 h_i \theta_{0,i}^2 (1 - \eta h_i)^{2k}$: its first two terms ($0.5$ and $2$) shrink,
# while the steep one starts tiny ($\frac12 \cdot 50 \cdot 10^{-6} = 2.5\cdot 10^{-5}$) and grows by
# $1.05^2 = 1.1025$ a step. So the cost falls for a long time (from $2.5$ to about $0.01$), then turns
# around where the growing term overtakes the slowest shrinking one,
# $2.5\cdot10^{-5}\cdot 1.1025^k \approx 0.5 \cdot 0.959^{2k}$, i.e. $k \approx 55$ (the simulation's minimum is
# at step 54), and it explodes after that: it does not converge, because $\eta > 2/L = 0.04$. Starting
# the steep coordinate at $10^{-12}$ only delays the turn, to $k \approx \ln(0.5 / 2.5\cdot10^{-23}) /
# \ln(1.1025 / 0.959^2) \approx 283$; any non-zero component, rounding noise included, grows
# geometrically, so stability is set by $\eta < 2/L$, never by a lucky start.
#
# **Rubric.**
# - [1 point] The factors, with $|1 - 50\eta| = 1.05 > 1$: the cost falls first (the flat terms dominate) and
#   turns around near step 50 to 60, found by comparing the growing and the shrinking terms; no convergence.
# - [1 point] A start of $10^{-12}$ still diverges, only later (a few hundred steps, about 280): what decides
#   is $\eta < 2/L$, not the size of the steep component.
# ### END SOLUTION

# %% [markdown]
# ## 2. Momentum (the heavy ball)
#
# Picture a heavy ball rolling down the cost surface: it keeps part of its velocity from one
# moment to the next. Across the valley the gradients alternate in sign, so in a running sum they
# largely cancel; along the valley they keep pointing the same way, so they add up. That is
# exactly what we want. The **heavy-ball** update keeps a velocity $v$ (one array per parameter,
# starting at 0):
#
# $$v \leftarrow \beta\, v + g, \qquad \theta \leftarrow \theta - \eta\, v,$$
#
# where $g$ is the current gradient and $\beta \in [0, 1)$, typically 0.9. With $\beta = 0$ it is
# plain gradient descent. Unrolled, $v_k = g_k + \beta g_{k-1} + \beta^2 g_{k-2} + \dots$; if the
# gradient stayed constant, $v$ would grow to $g/(1-\beta)$, so along a steady slope the effective
# step is $\eta/(1-\beta)$: ten times $\eta$ for $\beta = 0.9$.
#
# ### The exponential-average form
#
# Many texts (and some libraries) write momentum with an average instead of a sum:
#
# $$u \leftarrow \beta\, u + (1-\beta)\, g, \qquad \theta \leftarrow \theta - \eta'\, u .$$
#
# It is the same method. Multiply the first line by $1/(1-\beta)$: $v = u/(1-\beta)$ satisfies
# $v \leftarrow \beta v + g$, and $\eta' u = \eta' (1-\beta)\, v$. So the two forms take identical
# steps when $\eta' = \eta/(1-\beta)$. Keep this in mind when you copy a learning rate from one
# code base to another: with $\beta = 0.9$ the two conventions differ by a factor of 10. (This
# notebook uses the summed form, $v \leftarrow \beta v + g$.)

# %% [markdown]
# ### Exercise 1: `momentum_update` [2 points]
#
# For every key `k` of `params`: take `g = grads["d" + k]`, compute the new velocity
# `beta * velocity[k] + g`, then step the parameter with the **new** velocity. Return two new
# dictionaries, keyed like `params`; do not modify any input (write `W - lr * v`, never
# `W -= lr * v`).

# %% solution="momentum_update"
def momentum_update(params, grads, velocity, lr, beta):
    """One step of heavy-ball momentum.

    Inputs:
        params:   {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}
        grads:    {"dW1": ..., "db1": ..., ...}, each shaped like its parameter
        velocity: {"W1": ..., "b1": ..., ...}, keyed and shaped like params (zeros before the first step)
        lr:       learning rate eta (float)
        beta:     momentum coefficient in [0, 1) (float)
    Returns:
        (new_params, new_velocity), two new dicts keyed like params:
            new_velocity[k] = beta * velocity[k] + grads["d" + k]
            new_params[k]   = params[k] - lr * new_velocity[k]
    """
    ### BEGIN SOLUTION
    new_params, new_velocity = {}, {}
    for key, theta in params.items():
        v = beta * velocity[key] + grads["d" + key]
        new_velocity[key] = v
        new_params[key] = theta - lr * v
    return new_params, new_velocity
    ### END SOLUTION


# %% test="momentum_update" points=2
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def same(got, want):
        """True if dict `got` has want's keys with values close to want's."""
        try:
            return set(got) == set(want) and all(
                np.shape(got[k]) == np.shape(want[k])
                and np.allclose(np.asarray(got[k], dtype=float), want[k], rtol=1e-6, atol=1e-9) for k in want)
        except Exception:
            return False

    def verify(got, want, name, mistakes):
        """check_dict, but first name a known mistake when `got` matches one."""
        if not same(got, want):
            for wrong, hint in mistakes:
                if same(got, wrong):
                    raise AssertionError(f"{name}: {hint}")
        check.check_dict(got, want, name=name)

    # 1. By hand, with one number per parameter: theta = 1, lr = 0.05, beta = 0.9, gradients 2 then 1.
    #    Step 1: v = 0.9 * 0 + 2 = 2,   theta = 1 - 0.05 * 2 = 0.9
    #    Step 2: v = 0.9 * 2 + 1 = 2.8, theta = 0.9 - 0.05 * 2.8 = 0.76
    one = lambda x: {"W1": np.array([[x]])}
    p1, v1 = momentum_update(one(1.0), {"dW1": np.array([[2.0]])}, one(0.0), 0.05, 0.9)
    verify(v1, one(2.0), "velocity after step 1", [
        (one(0.2), "0.2 instead of 2: that is the averaged form v = beta v + (1 - beta) g; "
                   "this exercise uses the sum v = beta v + g"),
        (one(0.1), "0.1 instead of 2: your velocity is v = beta v + lr g, with the step theta - v. That is "
                   "neither form of section 2: it keeps lr inside the velocity, so a step mixes every past "
                   "learning rate (it takes other steps as soon as a schedule changes lr). Here the velocity is "
                   "v = beta * velocity + g, and lr enters only the step theta - lr * v"),
        (one(-2.0), "sign flipped: v accumulates +g, the step subtracts lr * v"),
        (one(-0.1), "velocity = -lr * g: that is another convention; here v = beta v + g and theta -= lr v"),
        (one(1.8), "beta multiplies the old velocity, not the gradient: v = beta * velocity + g"),
        (one(0.9), "0.9 is the new PARAMETER value (1 - 0.05 * 2): you returned (velocity, params); the order "
                   "is (new_params, new_velocity)")])
    verify(p1, one(0.9), "params after step 1", [
        (one(1.0), "the parameter did not move: step with the NEW velocity (update v first)"),
        (one(1.1), "moved uphill: theta = theta - lr * v"),
        (one(0.99), "the step is 10x too small: did you use the averaged form (1 - beta) g?"),
        (one(0.8), "the step is lr * (g + v): adding the gradient once more is Nesterov's step (the next "
                   "exercise); heavy ball steps by lr * v alone")])
    p2, v2 = momentum_update(p1, {"dW1": np.array([[1.0]])}, v1, 0.05, 0.9)
    verify(v2, one(2.8), "velocity after step 2", [
        (one(1.0), "the old velocity was ignored: v = beta * velocity + g"),
        (one(2.9), "beta multiplies the old velocity, not the gradient (v = beta v + g)"),
        (one(1.2), "(1 - beta) multiplies the old velocity: it should be beta, v = beta * velocity + g")])
    verify(p2, one(0.76), "params after step 2", [
        (one(0.85), "the step used only the gradient: step with the new velocity, theta - lr * v"),
        (one(0.8), "the step used the OLD velocity: update v first, then theta - lr * v")])

    # 2. Two layers of random shapes, two steps in a row, inputs never modified.
    for seed, (sizes, lr, beta) in enumerate([([3, 4, 2], 0.1, 0.9), ([2, 5, 3, 1], 0.03, 0.5)]):
        rng = np.random.default_rng(seed)
        params, velocity = {}, {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        velocity = {k: np.zeros_like(p) for k, p in params.items()}
        want_p, want_v = params, velocity
        for step in (1, 2):
            grads = {"d" + k: rng.standard_normal(p.shape) for k, p in params.items()}
            want_v = {k: beta * want_v[k] + grads["d" + k] for k in params}
            want_p = {k: want_p[k] - lr * want_v[k] for k in params}
            params, velocity = check.check_not_mutated(
                momentum_update, params, grads, velocity, lr, beta,
                hint="the caller keeps its params and velocity (to compare, or to retry a step): "
                     "build new arrays, v = beta * velocity[k] + g and params[k] - lr * v, "
                     "instead of velocity[k] *= beta or params[k] -= lr * v")
            check.check_dict(velocity, want_v, name=f"velocity after step {step} (sizes {sizes})")
            check.check_dict(params, want_p, name=f"params after step {step} (sizes {sizes})")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(701)
    for trial in range(6):
        depth = int(rng.integers(1, 4))
        sizes = [int(n) for n in rng.integers(1, 6, size=depth + 1)]
        lr, beta = float(rng.uniform(0.001, 0.5)), [0.0, 0.5, 0.9, 0.99, float(rng.uniform(0, 1)), 0.7][trial]
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        velocity = {k: rng.standard_normal(p.shape) if trial % 2 else np.zeros_like(p) for k, p in params.items()}
        want_p = {k: p.copy() for k, p in params.items()}
        want_v = {k: v.copy() for k, v in velocity.items()}
        for step in range(5):
            grads = {"d" + k: rng.standard_normal(p.shape) for k, p in params.items()}
            saved = ({k: p.copy() for k, p in params.items()}, {k: g.copy() for k, g in grads.items()},
                     {k: v.copy() for k, v in velocity.items()})
            new_p, new_v = momentum_update(params, grads, velocity, lr, beta)
            for before, now in zip(saved, (params, grads, velocity)):
                assert all(np.array_equal(before[k], now[k]) for k in before), "an input was modified in place"
            assert isinstance(new_p, dict) and set(new_p) == set(params), f"params keys wrong (sizes {sizes})"
            assert isinstance(new_v, dict) and set(new_v) == set(params), "velocity must be keyed like params"
            for k in params:
                want_v[k] = beta * want_v[k] + grads["d" + k]
                want_p[k] = want_p[k] - lr * want_v[k]
                assert np.shape(new_v[k]) == want_v[k].shape and np.shape(new_p[k]) == want_p[k].shape, \
                    f"{k}: wrong shape (sizes {sizes})"
                assert np.allclose(new_v[k], want_v[k], rtol=1e-9, atol=1e-12), \
                    f"velocity {k} wrong after step {step + 1} (beta = {beta:.2f}, sizes {sizes})"
                assert np.allclose(new_p[k], want_p[k], rtol=1e-9, atol=1e-12), \
                    f"params {k} wrong after step {step + 1} (beta = {beta:.2f}, sizes {sizes})"
            params, velocity = new_p, new_v
### END HIDDEN TESTS

check.passed("momentum_update: two steps by hand, random shapes, state carried over, inputs untouched.")

# %% [markdown]
# Two checks of your function on the valley of section 1. First, the summed and the averaged
# forms from above, run side by side with $\eta' = \eta/(1-\beta)$, give the same iterates. Second,
# momentum ($\beta = 0.7$) against plain gradient descent with the same learning rate: the ball
# swings across the valley at first, but it travels along the flat direction much faster. (With
# $\beta = 0.9$ it would also overshoot along the valley and circle the minimum for a while; try
# it in the explorer of section 8.)

# %% tags=["demo"]
try:
    lr, beta, steps = 0.02, 0.7, 60
    params, velocity = {"W1": np.array([[-4.5], [1.5]])}, {"W1": np.zeros((2, 1))}
    theta_avg, u = params["W1"], np.zeros((2, 1))          # the averaged form, written inline
    momentum_path, gap = [params["W1"].ravel()], 0.0
    for _ in range(steps):
        params, velocity = momentum_update(params, {"dW1": gradient_2d(params["W1"])}, velocity, lr, beta)
        u = beta * u + (1 - beta) * gradient_2d(theta_avg)
        theta_avg = theta_avg - lr / (1 - beta) * u
        gap = max(gap, float(np.max(np.abs(params["W1"] - theta_avg))))
        momentum_path.append(params["W1"].ravel())
    print(f"largest difference between the two forms over {steps} steps: {gap:.1e}")

    momentum_path = np.array(momentum_path)
    gd_path = gradient_descent_path(gradient_2d, theta0, lr, steps)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    contour(axes[0], cost_2d, (-5, 5), (-2, 2), equal_aspect=True)
    axes[0].plot(gd_path[:, 0], gd_path[:, 1], "o-", markersize=3, label=f"gradient descent, lr = {lr}")
    axes[0].plot(momentum_path[:, 0], momentum_path[:, 1], "o-", markersize=3,
                 label=f"momentum, lr = {lr}, beta = {beta}")
    axes[0].set_title(f"{steps} steps on the valley", fontsize=11)
    axes[0].legend(fontsize=9, loc="lower right")
    for label, path in [("gradient descent", gd_path), ("momentum", momentum_path)]:
        axes[1].semilogy([cost_2d(p.reshape(-1, 1)) for p in path], label=label)
    axes[1].set(xlabel="step", ylabel="cost")
    axes[1].set_title("cost against step", fontsize=11)
    axes[1].legend(fontsize=9)
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write momentum_update above to see this plot.")

# %% [markdown]
# ## 3. Nesterov momentum
#
# Heavy-ball momentum computes the gradient where the ball **is**, then lets the velocity carry
# it further. Nesterov's idea is to take into account where the velocity is about to carry it.
# In the form used by PyTorch's `SGD(nesterov=True)`, and by this notebook, the velocity update is
# the same, and the parameter step adds the momentum term once more:
#
# $$v \leftarrow \beta\, v + g, \qquad \theta \leftarrow \theta - \eta\,(g + \beta\, v),$$
#
# with the **new** $v$ in the second line. Compared with heavy ball ($\theta - \eta v = \theta -
# \eta(g + \beta v_{\text{old}})$), the momentum part of the step already uses the velocity after
# this step's gradient has been added: a look-ahead by one step. If the gradient has just changed
# sign (we overshot the valley floor), the new velocity is smaller, and Nesterov brakes a step
# earlier than the heavy ball.
#
# You may also meet Nesterov written as "evaluate the gradient at the look-ahead point
# $\psi + \beta u$, then $u \leftarrow \beta u - \eta\,\nabla C(\psi + \beta u)$, $\psi \leftarrow
# \psi + u$". It is the same sequence of steps: our $\theta$ is that look-ahead point
# $\psi + \beta u$, and our $v$ is $-u/\eta$. Substituting one into the other turns either pair of
# lines into the other.

# %% [markdown]
# ### Exercise 2: `nesterov_update` [2 points]
#
# Same inputs and outputs as `momentum_update`. Compute the new velocity
# `beta * velocity[k] + g` first, then the new parameter `params[k] - lr * (g + beta * new_v)`.

# %% solution="nesterov_update"
def nesterov_update(params, grads, velocity, lr, beta):
    """One step of Nesterov momentum.

    Inputs:
        params:   {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}
        grads:    {"dW1": ..., "db1": ..., ...}, each shaped like its parameter
        velocity: {"W1": ..., "b1": ..., ...}, keyed and shaped like params (zeros before the first step)
        lr:       learning rate eta (float)
        beta:     momentum coefficient in [0, 1) (float)
    Returns:
        (new_params, new_velocity), two new dicts keyed like params:
            new_velocity[k] = beta * velocity[k] + g          with g = grads["d" + k]
            new_params[k]   = params[k] - lr * (g + beta * new_velocity[k])
    """
    ### BEGIN SOLUTION
    new_params, new_velocity = {}, {}
    for key, theta in params.items():
        g = grads["d" + key]
        v = beta * velocity[key] + g
        new_velocity[key] = v
        new_params[key] = theta - lr * (g + beta * v)
    return new_params, new_velocity
    ### END SOLUTION


# %% test="nesterov_update" points=2
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def same(got, want):
        """True if dict `got` has want's keys with values close to want's."""
        try:
            return set(got) == set(want) and all(
                np.shape(got[k]) == np.shape(want[k])
                and np.allclose(np.asarray(got[k], dtype=float), want[k], rtol=1e-6, atol=1e-9) for k in want)
        except Exception:
            return False

    def verify(got, want, name, mistakes):
        """check_dict, but first name a known mistake when `got` matches one."""
        if not same(got, want):
            for wrong, hint in mistakes:
                if same(got, wrong):
                    raise AssertionError(f"{name}: {hint}")
        check.check_dict(got, want, name=name)

    # 1. By hand: theta = 1, lr = 0.05, beta = 0.9, gradients 2 then 1.
    #    Step 1: v = 0.9 * 0 + 2 = 2,   theta = 1 - 0.05 * (2 + 0.9 * 2) = 0.81
    #    Step 2: v = 0.9 * 2 + 1 = 2.8, theta = 0.81 - 0.05 * (1 + 0.9 * 2.8) = 0.634
    one = lambda x: {"W1": np.array([[x]])}
    p1, v1 = nesterov_update(one(1.0), {"dW1": np.array([[2.0]])}, one(0.0), 0.05, 0.9)
    verify(v1, one(2.0), "velocity after step 1", [
        (one(0.2), "0.2 instead of 2: the velocity is the sum v = beta v + g, not an average"),
        (one(0.1), "0.1 instead of 2: lr belongs in the step, not in the velocity: v = beta * velocity + g"),
        (one(-0.1), "v = beta v - lr g is the velocity of another convention (whose step adds v); here "
                    "v = beta * velocity + g and the step subtracts lr * (g + beta * v)"),
        (one(0.81), "0.81 is the new PARAMETER value (1 - 0.05 * (2 + 0.9 * 2)): you returned (velocity, params); "
                    "the order is (new_params, new_velocity)")])
    verify(p1, one(0.81), "params after step 1", [
        (one(0.9), "this is the heavy-ball step theta - lr * v (the same as a look-ahead with the OLD velocity): "
                   "compute v = beta * v + g first, then theta - lr * (g + beta * v)"),
        (one(1.0), "the parameter did not move: step with the new velocity, theta - lr * (g + beta * v)"),
        (one(1.19), "moved uphill: theta = theta - lr * (g + beta * v)"),
        (one(0.91), "the gradient term is missing: the step is lr * (g + beta * v)"),
        (one(0.82), "beta multiplied both terms, lr * beta * (g + v): beta belongs to the velocity term only, "
                    "lr * (g + beta * v)")])
    p2, v2 = nesterov_update(p1, {"dW1": np.array([[1.0]])}, v1, 0.05, 0.9)
    verify(v2, one(2.8), "velocity after step 2", [
        (one(1.0), "the old velocity was ignored: v = beta * velocity + g")])
    verify(p2, one(0.634), "params after step 2", [
        (one(0.67), "the step is the heavy-ball one, theta - lr * v_new = theta - lr * (g + beta * v_old): the "
                    "look-ahead adds beta * v once more with the NEW velocity, theta - lr * (g + beta * v)"),
        (one(0.81 - 0.05 * (0.9 * 2.0 + 1.9 * 1.0)),
         "the momentum part of the step used the OLD velocity, beta * v_old + (1 + beta) * g: with the NEW one "
         "it is g + beta * v_new = (1 + beta) * g + beta**2 * v_old")])

    # 2. Two layers of random shapes, two steps in a row, inputs never modified.
    for seed, (sizes, lr, beta) in enumerate([([3, 4, 2], 0.1, 0.9), ([2, 5, 3, 1], 0.03, 0.5)]):
        rng = np.random.default_rng(10 + seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        velocity = {k: np.zeros_like(p) for k, p in params.items()}
        want_p, want_v = params, velocity
        for step in (1, 2):
            grads = {"d" + k: rng.standard_normal(p.shape) for k, p in params.items()}
            want_v = {k: beta * want_v[k] + grads["d" + k] for k in params}
            want_p = {k: want_p[k] - lr * (grads["d" + k] + beta * want_v[k]) for k in params}
            params, velocity = check.check_not_mutated(
                nesterov_update, params, grads, velocity, lr, beta,
                hint="the caller keeps its params and velocity (to compare, or to retry a step): "
                     "build new arrays, v = beta * velocity[k] + g and a new params[k], "
                     "instead of velocity[k] *= beta or params[k] -= ...")
            check.check_dict(velocity, want_v, name=f"velocity after step {step} (sizes {sizes})")
            check.check_dict(params, want_p, name=f"params after step {step} (sizes {sizes})")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(702)
    for trial in range(6):
        depth = int(rng.integers(1, 4))
        sizes = [int(n) for n in rng.integers(1, 6, size=depth + 1)]
        lr, beta = float(rng.uniform(0.001, 0.5)), [0.0, 0.5, 0.9, 0.99, float(rng.uniform(0, 1)), 0.7][trial]
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        velocity = {k: rng.standard_normal(p.shape) if trial % 2 else np.zeros_like(p) for k, p in params.items()}
        want_p = {k: p.copy() for k, p in params.items()}
        want_v = {k: v.copy() for k, v in velocity.items()}
        for step in range(5):
            grads = {"d" + k: rng.standard_normal(p.shape) for k, p in params.items()}
            saved = ({k: p.copy() for k, p in params.items()}, {k: g.copy() for k, g in grads.items()},
                     {k: v.copy() for k, v in velocity.items()})
            new_p, new_v = nesterov_update(params, grads, velocity, lr, beta)
            for before, now in zip(saved, (params, grads, velocity)):
                assert all(np.array_equal(before[k], now[k]) for k in before), "an input was modified in place"
            assert isinstance(new_p, dict) and set(new_p) == set(params), f"params keys wrong (sizes {sizes})"
            assert isinstance(new_v, dict) and set(new_v) == set(params), "velocity must be keyed like params"
            for k in params:
                g = grads["d" + k]
                want_v[k] = beta * want_v[k] + g
                want_p[k] = want_p[k] - lr * (g + beta * want_v[k])
                assert np.shape(new_v[k]) == want_v[k].shape and np.shape(new_p[k]) == want_p[k].shape, \
                    f"{k}: wrong shape (sizes {sizes})"
                assert np.allclose(new_v[k], want_v[k], rtol=1e-9, atol=1e-12), \
                    f"velocity {k} wrong after step {step + 1} (beta = {beta:.2f}, sizes {sizes})"
                assert np.allclose(new_p[k], want_p[k], rtol=1e-9, atol=1e-12), \
                    f"params {k} wrong after step {step + 1} (beta = {beta:.2f}, sizes {sizes})"
            params, velocity = new_p, new_v
### END HIDDEN TESTS

check.passed("nesterov_update: two steps by hand, random shapes, state carried over, inputs untouched.")

# %% [markdown]
# ## 4. A step size for every coordinate: AdaGrad and RMSProp
#
# Momentum still uses one learning rate for all parameters. The valley of section 1 suggests
# another fix: divide each coordinate's step by a measure of how large its gradients are. Steep
# coordinates (large gradients) get small steps, flat ones (small gradients) get large steps.
# Both methods below keep, per parameter entry, a running record `cache` of squared gradients
# (element-wise, $g^2 = g \odot g$) and step by
#
# $$\theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{\text{cache}} + \epsilon},$$
#
# element-wise. The small $\epsilon$ (default $10^{-8}$) only prevents a division by zero; it is
# added **outside** the square root. Notice what the division does to units: if the cost is
# multiplied by 100, so are $g$ and $\sqrt{\text{cache}}$, and the step does not change.
#
# **AdaGrad** sums all squared gradients seen so far:
#
# $$\text{cache} \leftarrow \text{cache} + g^2 .$$
#
# Rarely active parameters (a feature that is usually zero) keep a small cache and take big steps
# when they finally see a gradient, which is what AdaGrad was designed for. Its weakness: the sum
# only grows, so every step size decays, roughly like $1/\sqrt{t}$ under steady gradients, and a
# long training run grinds to a halt.
#
# **RMSProp** replaces the sum by an exponential moving average with decay $\rho$ (default 0.9),
# so the cache tracks the **recent** size of the gradients and does not grow without bound:
#
# $$\text{cache} \leftarrow \rho\, \text{cache} + (1-\rho)\, g^2 .$$
#
# In both methods, update the cache first, then step with the new cache.

# %% [markdown]
# ### Exercise 3: `adagrad_update` [1 point]

# %% solution="adagrad_update"
def adagrad_update(params, grads, cache, lr, eps=1e-8):
    """One step of AdaGrad.

    Inputs:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}
        grads:  {"dW1": ..., "db1": ..., ...}, each shaped like its parameter
        cache:  {"W1": ..., "b1": ..., ...}, sums of squared gradients, keyed and shaped like params
                (zeros before the first step)
        lr:     learning rate eta (float)
        eps:    added to the square root, against division by zero (float)
    Returns:
        (new_params, new_cache), two new dicts keyed like params, element-wise:
            new_cache[k]  = cache[k] + g**2                                with g = grads["d" + k]
            new_params[k] = params[k] - lr * g / (sqrt(new_cache[k]) + eps)
    """
    ### BEGIN SOLUTION
    new_params, new_cache = {}, {}
    for key, theta in params.items():
        g = grads["d" + key]
        s = cache[key] + g**2
        new_cache[key] = s
        new_params[key] = theta - lr * g / (np.sqrt(s) + eps)
    return new_params, new_cache
    ### END SOLUTION


# %% test="adagrad_update" points=1
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def same(got, want):
        """True if dict `got` has want's keys with values close to want's."""
        try:
            return set(got) == set(want) and all(
                np.shape(got[k]) == np.shape(want[k])
                and np.allclose(np.asarray(got[k], dtype=float), want[k], rtol=1e-6, atol=1e-9) for k in want)
        except Exception:
            return False

    def verify(got, want, name, mistakes):
        """check_dict, but first name a known mistake when `got` matches one."""
        if not same(got, want):
            for wrong, hint in mistakes:
                if same(got, wrong):
                    raise AssertionError(f"{name}: {hint}")
        check.check_dict(got, want, name=name)

    # 1. By hand with eps = 0: theta = 1, lr = 0.5, gradients 2 then 3.
    #    Step 1: cache = 0 + 4 = 4,  theta = 1 - 0.5 * 2 / sqrt(4) = 0.5
    #    Step 2: cache = 4 + 9 = 13, theta = 0.5 - 0.5 * 3 / sqrt(13) = 0.0839749...
    one = lambda x: {"W1": np.array([[x]])}
    p1, c1 = adagrad_update(one(1.0), {"dW1": np.array([[2.0]])}, one(0.0), 0.5, eps=0.0)
    if not np.all(np.isfinite(np.asarray(p1["W1"], dtype=float))):
        raise AssertionError("params after step 1: NaN/inf from dividing by sqrt(0): update the cache FIRST, "
                             "then divide by the square root of the new cache")
    verify(c1, one(4.0), "cache after step 1", [
        (one(2.0), "the cache sums SQUARED gradients: cache + g**2"),
        (one(0.0), "the cache was not updated: cache + g**2")])
    verify(p1, one(0.5), "params after step 1", [
        (one(0.75), "the step is g / cache: divide by the SQUARE ROOT of the cache"),
        (one(1.5), "moved uphill: theta = theta - lr * g / (sqrt(cache) + eps)")])
    p2, c2 = adagrad_update(p1, {"dW1": np.array([[3.0]])}, c1, 0.5, eps=0.0)
    verify(c2, one(13.0), "cache after step 2", [
        (one(9.0), "the cache was replaced, not accumulated: AdaGrad adds g**2 to the old cache"),
        (one(7.0), "the cache sums SQUARED gradients: cache + g**2")])
    verify(p2, one(0.5 - 1.5 / math.sqrt(13)), "params after step 2", [
        (one(0.5 - 1.5 / 2), "the step used the OLD cache: update the cache first, then divide by its root")])

    # 2. eps goes outside the square root: theta = 1, g = 2, lr = 0.5, eps = 1 gives
    #    1 - 0.5 * 2 / (sqrt(4) + 1) = 2/3 (inside the root it would be 1 - 1 / sqrt(5)).
    p, c = adagrad_update(one(1.0), {"dW1": np.array([[2.0]])}, one(0.0), 0.5, eps=1.0)
    verify(p, one(2 / 3), "params with eps = 1", [
        (one(1 - 1 / math.sqrt(5)), "eps must be added OUTSIDE the square root: sqrt(cache) + eps"),
        (one(0.5), "the eps argument was ignored")])
    # ... and its default is 1e-8: with g = 1e-8 it halves the step, theta = 1 - 1e-8 / (1e-8 + 1e-8) = 0.5.
    p, c = adagrad_update(one(1.0), {"dW1": np.array([[1e-8]])}, one(0.0), 1.0)
    verify(p, one(0.5), "params with g = 1e-8 and the default eps = 1e-8", [
        (one(0.0), "the default eps = 1e-8 is missing (with g = 1e-8 it halves the step)"),
        (one(1 - 1e-8 / math.sqrt(1e-16 + 1e-8)), "eps must be added OUTSIDE the square root: sqrt(cache) + eps")]
        + [(one(1 - 1e-8 / (1e-8 + other)), f"your default eps looks like {other:g}: the signature says eps=1e-8")
           for other in (1e-7, 1e-6, 1e-10, 1e-12)])

    # 3. Two layers of random shapes, two steps in a row, inputs never modified, default eps.
    for seed, (sizes, lr) in enumerate([([3, 4, 2], 0.1), ([2, 5, 3, 1], 0.7)]):
        rng = np.random.default_rng(20 + seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        cache = {k: np.zeros_like(p) for k, p in params.items()}
        want_p, want_c = params, cache
        for step in (1, 2):
            grads = {"d" + k: rng.standard_normal(p.shape) for k, p in params.items()}
            want_c = {k: want_c[k] + grads["d" + k] ** 2 for k in params}
            want_p = {k: want_p[k] - lr * grads["d" + k] / (np.sqrt(want_c[k]) + 1e-8) for k in params}
            params, cache = check.check_not_mutated(
                adagrad_update, params, grads, cache, lr,
                hint="the caller keeps its params and cache (to compare, or to retry a step): "
                     "build new arrays, s = ... and params[k] - lr * g / (np.sqrt(s) + eps), "
                     "instead of cache[k] += ... or params[k] -= ...")
            check.check_dict(cache, want_c, name=f"cache after step {step} (sizes {sizes})")
            check.check_dict(params, want_p, name=f"params after step {step} (sizes {sizes})")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(703)
    for trial in range(6):
        depth = int(rng.integers(1, 4))
        sizes = [int(n) for n in rng.integers(1, 6, size=depth + 1)]
        lr = float(rng.uniform(0.001, 1.0))
        eps = [None, 1e-6, 0.1, None, 1e-3, None][trial]
        kwargs = {} if eps is None else {"eps": eps}
        eps_value = 1e-8 if eps is None else eps
        scale = 1e-8 if trial == 3 else 1.0   # tiny gradients: the default eps matters
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        cache = {k: np.abs(rng.standard_normal(p.shape)) * scale**2 if trial % 2 else np.zeros_like(p)
                 for k, p in params.items()}
        want_p = {k: p.copy() for k, p in params.items()}
        want_c = {k: c.copy() for k, c in cache.items()}
        for step in range(4):
            grads = {"d" + k: scale * rng.standard_normal(p.shape) for k, p in params.items()}
            saved = ({k: p.copy() for k, p in params.items()}, {k: g.copy() for k, g in grads.items()},
                     {k: c.copy() for k, c in cache.items()})
            new_p, new_c = adagrad_update(params, grads, cache, lr, **kwargs)
            for before, now in zip(saved, (params, grads, cache)):
                assert all(np.array_equal(before[k], now[k]) for k in before), "an input was modified in place"
            assert isinstance(new_p, dict) and set(new_p) == set(params), f"params keys wrong (sizes {sizes})"
            assert isinstance(new_c, dict) and set(new_c) == set(params), "cache must be keyed like params"
            for k in params:
                g = grads["d" + k]
                want_c[k] = want_c[k] + g**2
                want_p[k] = want_p[k] - lr * g / (np.sqrt(want_c[k]) + eps_value)
                assert np.shape(new_c[k]) == want_c[k].shape and np.shape(new_p[k]) == want_p[k].shape, \
                    f"{k}: wrong shape (sizes {sizes})"
                assert np.allclose(new_c[k], want_c[k], rtol=1e-9, atol=1e-30), \
                    f"cache {k} wrong after step {step + 1} (sizes {sizes})"
                assert np.allclose(new_p[k], want_p[k], rtol=1e-9, atol=1e-12), \
                    f"params {k} wrong after step {step + 1} (eps = {eps_value}, gradient scale {scale})"
            params, cache = new_p, new_c
### END HIDDEN TESTS

check.passed("adagrad_update: two steps by hand, eps outside the root, random shapes, inputs untouched.")

# %% [markdown]
# ### Exercise 4: `rmsprop_update` [2 points]
#
# As AdaGrad, but the cache is the moving average
# `rho * cache[k] + (1 - rho) * g**2`. Note the defaults `rho=0.9` and `eps=1e-8`.

# %% solution="rmsprop_update"
def rmsprop_update(params, grads, cache, lr, rho=0.9, eps=1e-8):
    """One step of RMSProp.

    Inputs:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}
        grads:  {"dW1": ..., "db1": ..., ...}, each shaped like its parameter
        cache:  {"W1": ..., "b1": ..., ...}, moving averages of squared gradients, keyed and shaped
                like params (zeros before the first step)
        lr:     learning rate eta (float)
        rho:    decay of the moving average, in [0, 1) (float)
        eps:    added to the square root, against division by zero (float)
    Returns:
        (new_params, new_cache), two new dicts keyed like params, element-wise:
            new_cache[k]  = rho * cache[k] + (1 - rho) * g**2              with g = grads["d" + k]
            new_params[k] = params[k] - lr * g / (sqrt(new_cache[k]) + eps)
    """
    ### BEGIN SOLUTION
    new_params, new_cache = {}, {}
    for key, theta in params.items():
        g = grads["d" + key]
        s = rho * cache[key] + (1 - rho) * g**2
        new_cache[key] = s
        new_params[key] = theta - lr * g / (np.sqrt(s) + eps)
    return new_params, new_cache
    ### END SOLUTION


# %% test="rmsprop_update" points=2
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def same(got, want):
        """True if dict `got` has want's keys with values close to want's."""
        try:
            return set(got) == set(want) and all(
                np.shape(got[k]) == np.shape(want[k])
                and np.allclose(np.asarray(got[k], dtype=float), want[k], rtol=1e-6, atol=1e-9) for k in want)
        except Exception:
            return False

    def verify(got, want, name, mistakes):
        """check_dict, but first name a known mistake when `got` matches one."""
        if not same(got, want):
            for wrong, hint in mistakes:
                if same(got, wrong):
                    raise AssertionError(f"{name}: {hint}")
        check.check_dict(got, want, name=name)

    # 1. By hand with the defaults rho = 0.9, eps = 1e-8: theta = 1, cache = 1, lr = 0.1, gradients 2 then 1.
    #    Step 1: cache = 0.9 * 1 + 0.1 * 4 = 1.3,  theta = 1 - 0.1 * 2 / (sqrt(1.3) + 1e-8)
    #    Step 2: cache = 0.9 * 1.3 + 0.1 * 1 = 1.27, theta = theta_1 - 0.1 * 1 / (sqrt(1.27) + 1e-8)
    one = lambda x: {"W1": np.array([[x]])}
    p1, c1 = rmsprop_update(one(1.0), {"dW1": np.array([[2.0]])}, one(1.0), 0.1)
    verify(c1, one(1.3), "cache after step 1", [
        (one(3.7), "rho and 1 - rho are swapped: rho multiplies the OLD cache"),
        (one(5.0), "that is AdaGrad's sum: RMSProp averages, rho * cache + (1 - rho) * g**2"),
        (one(1.1), "the cache averages SQUARED gradients: (1 - rho) * g**2"),
        (one(1.4), "rho multiplies the old cache too: rho * cache + (1 - rho) * g**2"),
        (one(1.03), "check the default: rho = 0.9")])
    theta1 = 1 - 0.1 * 2 / (math.sqrt(1.3) + 1e-8)
    verify(p1, one(theta1), "params after step 1", [
        (one(1 - 0.1 * 2 / 1.3), "divide by the SQUARE ROOT of the cache"),
        (one(1 - 0.1 * 2 / 1.0), "the step used the OLD cache: update the cache first"),
        (one(1 + 0.1 * 2 / math.sqrt(1.3)), "moved uphill: theta = theta - lr * g / (sqrt(cache) + eps)")])
    p2, c2 = rmsprop_update(p1, {"dW1": np.array([[1.0]])}, c1, 0.1)
    verify(c2, one(1.27), "cache after step 2", [
        (one(0.1), "the old cache was ignored: rho * cache + (1 - rho) * g**2")])
    verify(p2, one(theta1 - 0.1 / (math.sqrt(1.27) + 1e-8)), "params after step 2", [])

    # 2. rho and eps given: rho = 0.5, eps = 1 with theta = 1, cache = 0, g = 2, lr = 0.5:
    #    cache = 0.5 * 4 = 2, theta = 1 - 0.5 * 2 / (sqrt(2) + 1).
    p, c = rmsprop_update(one(1.0), {"dW1": np.array([[2.0]])}, one(0.0), 0.5, rho=0.5, eps=1.0)
    verify(c, one(2.0), "cache with rho = 0.5", [(one(0.4), "the rho argument was ignored (0.9 used)")])
    verify(p, one(1 - 1 / (math.sqrt(2) + 1)), "params with rho = 0.5, eps = 1", [
        (one(1 - 1 / math.sqrt(3)), "eps must be added OUTSIDE the square root: sqrt(cache) + eps"),
        (one(1 - 1 / math.sqrt(2)), "the eps argument was ignored")])
    # ... and its default is 1e-8: g = 1e-8, cache = 0, lr = 1 gives cache = 1e-17 and
    #    theta = 1 - 1e-8 / (sqrt(1e-17) + 1e-8).
    p, c = rmsprop_update(one(1.0), {"dW1": np.array([[1e-8]])}, one(0.0), 1.0)
    verify(p, one(1 - 1e-8 / (math.sqrt(1e-17) + 1e-8)), "params with g = 1e-8 and the default eps = 1e-8", [
        (one(1 - 1e-8 / math.sqrt(1e-17)), "the default eps = 1e-8 is missing"),
        (one(1 - 1e-8 / math.sqrt(1e-17 + 1e-8)), "eps must be added OUTSIDE the square root: sqrt(cache) + eps")]
        + [(one(1 - 1e-8 / (math.sqrt(1e-17) + other)), f"your default eps looks like {other:g}: the signature says "
            "eps=1e-8") for other in (1e-7, 1e-6, 1e-10, 1e-12)])

    # 3. Two layers of random shapes, two steps in a row, inputs never modified, non-zero start.
    for seed, (sizes, lr, rho) in enumerate([([3, 4, 2], 0.01, 0.9), ([2, 5, 3, 1], 0.1, 0.99)]):
        rng = np.random.default_rng(30 + seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        cache = {k: rng.uniform(0.1, 1.0, size=p.shape) for k, p in params.items()}
        want_p, want_c = params, cache
        for step in (1, 2):
            grads = {"d" + k: rng.standard_normal(p.shape) for k, p in params.items()}
            want_c = {k: rho * want_c[k] + (1 - rho) * grads["d" + k] ** 2 for k in params}
            want_p = {k: want_p[k] - lr * grads["d" + k] / (np.sqrt(want_c[k]) + 1e-8) for k in params}
            params, cache = check.check_not_mutated(
                rmsprop_update, params, grads, cache, lr, rho=rho,
                hint="the caller keeps its params and cache (to compare, or to retry a step): "
                     "build new arrays, s = ... and params[k] - lr * g / (np.sqrt(s) + eps), "
                     "instead of cache[k] += ... or params[k] -= ...")
            check.check_dict(cache, want_c, name=f"cache after step {step} (rho {rho}, sizes {sizes})")
            check.check_dict(params, want_p, name=f"params after step {step} (rho {rho}, sizes {sizes})")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(704)
    for trial in range(6):
        depth = int(rng.integers(1, 4))
        sizes = [int(n) for n in rng.integers(1, 6, size=depth + 1)]
        lr = float(rng.uniform(0.001, 0.5))
        rho = [None, 0.5, 0.99, None, float(rng.uniform(0.5, 0.99)), 0.0][trial]
        eps = [None, 1e-6, None, None, 0.01, 1e-3][trial]
        kwargs = {}
        if rho is not None:
            kwargs["rho"] = rho
        if eps is not None:
            kwargs["eps"] = eps
        rho_value = 0.9 if rho is None else rho
        eps_value = 1e-8 if eps is None else eps
        scale = 1e-8 if trial == 3 else 1.0   # tiny gradients: the default eps matters
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        cache = {k: np.abs(rng.standard_normal(p.shape)) * scale**2 if trial % 2 else np.zeros_like(p)
                 for k, p in params.items()}
        want_p = {k: p.copy() for k, p in params.items()}
        want_c = {k: c.copy() for k, c in cache.items()}
        for step in range(4):
            grads = {"d" + k: scale * rng.standard_normal(p.shape) for k, p in params.items()}
            saved = ({k: p.copy() for k, p in params.items()}, {k: g.copy() for k, g in grads.items()},
                     {k: c.copy() for k, c in cache.items()})
            new_p, new_c = rmsprop_update(params, grads, cache, lr, **kwargs)
            for before, now in zip(saved, (params, grads, cache)):
                assert all(np.array_equal(before[k], now[k]) for k in before), "an input was modified in place"
            assert isinstance(new_p, dict) and set(new_p) == set(params), f"params keys wrong (sizes {sizes})"
            assert isinstance(new_c, dict) and set(new_c) == set(params), "cache must be keyed like params"
            for k in params:
                g = grads["d" + k]
                want_c[k] = rho_value * want_c[k] + (1 - rho_value) * g**2
                want_p[k] = want_p[k] - lr * g / (np.sqrt(want_c[k]) + eps_value)
                assert np.shape(new_c[k]) == want_c[k].shape and np.shape(new_p[k]) == want_p[k].shape, \
                    f"{k}: wrong shape (sizes {sizes})"
                assert np.allclose(new_c[k], want_c[k], rtol=1e-9, atol=1e-30), \
                    f"cache {k} wrong after step {step + 1} (rho = {rho_value:.2f}, sizes {sizes})"
                assert np.allclose(new_p[k], want_p[k], rtol=1e-9, atol=1e-12), \
                    f"params {k} wrong after step {step + 1} (rho = {rho_value:.2f}, eps = {eps_value})"
            params, cache = new_p, new_c
### END HIDDEN TESTS

check.passed("rmsprop_update: two steps by hand, rho and eps respected, random shapes, inputs untouched.")

# %% [markdown]
# The difference between the two caches in one picture: a parameter whose gradient stays at
# $g = 1$ for 200 steps, then drops to $g = 0.1$. The plot shows the size of each step,
# $\eta\,|g| / (\sqrt{\text{cache}} + \epsilon)$, with $\eta = 0.1$. AdaGrad's steps keep shrinking,
# and after the drop they shrink tenfold, because its sum still remembers the large early
# gradients. RMSProp's steps settle at $\eta$ and, a few dozen steps after the drop, return to
# $\eta$: it measures the gradient against its **recent** size.

# %% tags=["demo"]
try:
    gradients = np.concatenate([np.ones(200), 0.1 * np.ones(200)])
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for label, update in [("AdaGrad", adagrad_update), ("RMSProp (rho = 0.9)", rmsprop_update)]:
        params, cache, sizes = {"W1": np.zeros((1, 1))}, {"W1": np.zeros((1, 1))}, []
        for g in gradients:
            new_params, cache = update(params, {"dW1": np.array([[g]])}, cache, 0.1)
            sizes.append(abs(float(new_params["W1"][0, 0] - params["W1"][0, 0])))
            params = new_params
        ax.semilogy(np.arange(1, len(sizes) + 1), sizes, label=label)
    ax.axvline(200.5, color="0.6", linestyle=":")
    ax.set(xlabel="step", ylabel="size of the step", title="Step sizes under a gradient of 1, then 0.1")
    ax.legend()
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write adagrad_update and rmsprop_update above to see this plot.")

# %% [markdown]
# ## 5. Adam: momentum and RMSProp together, with bias correction
#
# Adam keeps two moving averages per parameter entry, of the gradient (the momentum part, decay
# $\beta_1$, default 0.9) and of its square (the RMSProp part, decay $\beta_2$, default 0.999):
#
# $$m \leftarrow \beta_1 m + (1-\beta_1)\, g, \qquad v \leftarrow \beta_2 v + (1-\beta_2)\, g^2 .$$
#
# (These $m$ and $v$ are Adam's traditional names; they have nothing to do with the batch size
# $m$ or the momentum velocity.) Both start at zero, and that biases them towards zero early on.
# After the first step $m_1 = 0.1\,g$ and $v_1 = 0.001\,g^2$; in general, if the gradient were a
# constant $g$, after $t$ steps
#
# $$m_t = (1-\beta_1^t)\, g, \qquad v_t = (1-\beta_2^t)\, g^2 ,$$
#
# so the estimates are too small by the factors $1-\beta_1^t$ and $1-\beta_2^t$. Adam divides
# them out (the **bias correction**) and steps with the corrected averages:
#
# $$\hat m = \frac{m}{1-\beta_1^t}, \qquad \hat v = \frac{v}{1-\beta_2^t}, \qquad
# \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon},$$
#
# where $t$ is the number of this update: $t = 1$ for the first step, 2 for the second, and so on
# (with $t = 0$ the correction would divide by zero). The state that is carried to the next step
# is the uncorrected $m$ and $v$; the corrected ones only serve to compute the step.
#
# With the correction the first step is exactly $\hat m_1 / \sqrt{\hat v_1} = g/|g|$: each
# coordinate moves by $\eta$ against the sign of its gradient, whatever the scale of $g$. Later on
# $|\hat m / \sqrt{\hat v}|$ usually stays at about 1 or below (well below 1 when the gradient's
# sign keeps changing), so $\eta$ is roughly the largest distance a parameter moves in one step.

# %% [markdown]
# Why correct? The plot follows a constant gradient through the first steps. Left: the raw
# averages are tiny at first: $m_t$ is only $0.1\,g$ after one step and needs some 20 steps to
# reach most of $g$, and $\sqrt{v_t}$ needs thousands. A method stepping with the raw $m$ alone
# would crawl through its first steps. Right: the step Adam would take without the correction,
# $\eta\, m_t/\sqrt{v_t}$, in units of $\eta$. The two biases do **not** cancel: $v$ is more biased
# than $m$, so with the default decays the uncorrected step starts at $0.1/\sqrt{0.001} \approx 3.2$
# times $\eta$ and peaks above $6\eta$ around step 12 before slowly falling back to $\eta$. Either
# way, without the correction the size of the early steps is an accident of the initialisation at
# zero and of $\beta_1, \beta_2$; with it, the step is $\eta$ from step 1 on.

# %% tags=["demo"]
t = np.arange(1, 5001)
beta1, beta2 = 0.9, 0.999
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].semilogx(t, 1 - beta1**t, label=r"raw $m_t / g = 1 - \beta_1^t$")
axes[0].semilogx(t, np.sqrt(1 - beta2**t), label=r"raw $\sqrt{v_t} / |g| = \sqrt{1 - \beta_2^t}$")
axes[0].axhline(1, color="0.6", linestyle=":")
axes[0].set(xlabel="step t", ylim=(0, 1.1))
axes[0].set_title("Averages started at zero,\nconstant gradient g", fontsize=11)
axes[0].legend(fontsize=9, loc="lower right")
axes[1].semilogx(t, (1 - beta1**t) / np.sqrt(1 - beta2**t), label="without bias correction")
axes[1].semilogx(t, np.ones_like(t, dtype=float), label=r"with bias correction: $\hat m_t / \sqrt{\hat v_t} = 1$")
axes[1].set(xlabel="step t", ylabel="step size / lr", ylim=(0, 7))
axes[1].set_title("Adam's step under\na constant gradient", fontsize=11)
axes[1].legend(fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Exercise 5: `adam_update` [3 points]
#
# For every key `k`: update `m[k]` and `v[k]` as above, form the corrected `m_hat` and `v_hat`
# with `1 - beta1**t` and `1 - beta2**t`, and step `params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)`.
# Return the new parameters and the new (uncorrected) `m` and `v`, three new dicts keyed like
# `params`. The caller counts the steps: `t` is 1 on the first call, 2 on the second, ...

# %% solution="adam_update"
def adam_update(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of Adam with bias correction.

    Inputs:
        params: {"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}
        grads:  {"dW1": ..., "db1": ..., ...}, each shaped like its parameter
        m, v:   {"W1": ..., "b1": ..., ...}, moving averages of g and g**2, keyed and shaped like params
                (zeros before the first step)
        t:      the number of this update, 1 for the first (int)
        lr:     learning rate eta (float)
        beta1, beta2: decays of the two averages (floats in [0, 1))
        eps:    added to the square root, against division by zero (float)
    Returns:
        (new_params, new_m, new_v), three new dicts keyed like params, element-wise with g = grads["d" + k]:
            new_m[k] = beta1 * m[k] + (1 - beta1) * g
            new_v[k] = beta2 * v[k] + (1 - beta2) * g**2
            m_hat = new_m[k] / (1 - beta1**t),  v_hat = new_v[k] / (1 - beta2**t)
            new_params[k] = params[k] - lr * m_hat / (sqrt(v_hat) + eps)
    """
    ### BEGIN SOLUTION
    new_params, new_m, new_v = {}, {}, {}
    for key, theta in params.items():
        g = grads["d" + key]
        new_m[key] = beta1 * m[key] + (1 - beta1) * g
        new_v[key] = beta2 * v[key] + (1 - beta2) * g**2
        m_hat = new_m[key] / (1 - beta1**t)
        v_hat = new_v[key] / (1 - beta2**t)
        new_params[key] = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_params, new_m, new_v
    ### END SOLUTION


# %% test="adam_update" points=3
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def same(got, want):
        """True if dict `got` has want's keys with values close to want's."""
        try:
            return set(got) == set(want) and all(
                np.shape(got[k]) == np.shape(want[k])
                and np.allclose(np.asarray(got[k], dtype=float), want[k], rtol=1e-6, atol=1e-9) for k in want)
        except Exception:
            return False

    def verify(got, want, name, mistakes):
        """check_dict, but first name a known mistake when `got` matches one."""
        if not same(got, want):
            for wrong, hint in mistakes:
                if same(got, wrong):
                    raise AssertionError(f"{name}: {hint}")
        check.check_dict(got, want, name=name)

    ADAM_HINT = ("the caller keeps its params, m and v (to compare, or to retry a step): build new arrays, "
                 "beta1 * m[k] + (1 - beta1) * g and so on, instead of m[k] *= beta1 or params[k] -= ...")

    def adam_by_hand(theta, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8, correct=True, shift=0):
        """One Adam step on plain numbers; correct=False or shift=1 give the usual mistakes."""
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** (t + shift)) if correct else m
        v_hat = v / (1 - beta2 ** (t + shift)) if correct else v
        return theta - lr * m_hat / (math.sqrt(v_hat) + eps), m, v

    # 1. By hand: theta = 1, g = 0.5, lr = 0.01, t = 1.
    #    m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025, m_hat = 0.5, v_hat = 0.25,
    #    theta = 1 - 0.01 * 0.5 / (0.5 + 1e-8) = 0.99 (up to eps): the first step is lr * sign(g).
    one = lambda x: {"W1": np.array([[x]])}
    p1, m1, v1 = adam_update(one(1.0), {"dW1": np.array([[0.5]])}, one(0.0), one(0.0), 1, 0.01)
    verify(m1, one(0.05), "m after step 1", [
        (one(0.5), "you returned m_hat: carry the UNCORRECTED m to the next step (correct only for the step)"),
        (one(0.45), "beta1 and 1 - beta1 are swapped: m = beta1 * m + (1 - beta1) * g"),
        (one(0.00025), "this is v: return (params, m, v) in that order")])
    verify(v1, one(0.00025), "v after step 1", [
        (one(0.25), "you returned v_hat: carry the UNCORRECTED v to the next step"),
        (one(0.0005), "v averages SQUARED gradients: (1 - beta2) * g**2"),
        (one(0.24975), "beta2 and 1 - beta2 are swapped: v = beta2 * v + (1 - beta2) * g**2"),
        (one(0.0025), "check the default: beta2 = 0.999")])
    if not np.all(np.isfinite(np.asarray(p1["W1"], dtype=float))):
        raise AssertionError("params after step 1: NaN/inf. With t = 1, 1 - beta**t must not be 0: "
                             "did you use t - 1?")
    verify(p1, one(adam_by_hand(1.0, 0.5, 0.0, 0.0, 1, 0.01)[0]), "params after step 1 (t = 1)", [
        (one(adam_by_hand(1.0, 0.5, 0.0, 0.0, 1, 0.01, correct=False)[0]),
         "the step is 3.16 lr instead of lr: the bias correction is missing (divide m by 1 - beta1**t, "
         "v by 1 - beta2**t)"),
        (one(adam_by_hand(1.0, 0.5, 0.0, 0.0, 1, 0.01, shift=1)[0]),
         "the correction used t + 1: t is already the number of this update (1 on the first call)"),
        (one(1.0 - 0.01 * 0.05 / math.sqrt(0.25)), "only v was bias-corrected: correct m as well"),
        (one(1.0 - 0.01 * 0.5 / math.sqrt(0.00025)), "only m was bias-corrected: correct v as well"),
        (one(1.0 - 0.01 * 0.5 / math.sqrt(0.00025 / 0.1)),
         "v_hat was divided by 1 - beta1**t: each average is corrected with its own decay, "
         "v_hat = v / (1 - beta2**t)"),
        (one(1.01), "moved uphill: theta = theta - lr * m_hat / (sqrt(v_hat) + eps)")])

    # 2. Step 2 (t = 2) continues from the state of step 1, here with gradient -1.
    theta1 = adam_by_hand(1.0, 0.5, 0.0, 0.0, 1, 0.01)[0]
    p2, m2, v2 = adam_update(one(theta1), {"dW1": np.array([[-1.0]])}, one(0.05), one(0.00025), 2, 0.01)
    want2 = adam_by_hand(theta1, -1.0, 0.05, 0.00025, 2, 0.01)
    verify(m2, one(want2[1]), "m after step 2", [
        (one(-0.1), "the old m was ignored: m = beta1 * m + (1 - beta1) * g")])
    verify(v2, one(want2[2]), "v after step 2", [
        (one(0.001), "the old v was ignored: v = beta2 * v + (1 - beta2) * g**2")])
    if not np.all(np.isfinite(np.asarray(p2["W1"], dtype=float))):
        raise AssertionError("params after step 2 (t = 2): NaN, although m and v are right (and v > 0). A square "
                             "root of a negative number? v_hat = v / (1 - beta2**t) is positive only with the power "
                             "beta2**t, which stays between 0 and 1; 1 - beta2 * t is -0.998 at t = 2")
    v_hat2 = want2[2] / (1 - 0.999**2)
    verify(p2, one(want2[0]), "params after step 2 (t = 2)", [
        (one(theta1 - 0.01 * (want2[1] / (1 - 0.9 * 2)) / (math.sqrt(v_hat2) + 1e-8)),
         "m_hat came out with the wrong sign: the correction divides by 1 - beta1**t, a power; "
         "1 - beta1 * t is -0.8 at t = 2"),
        (one(theta1 - 0.01 * -1.0 / (math.sqrt(v_hat2) + 1e-8)),
         "the step used the raw gradient g: Adam steps with m_hat, the bias-corrected average of the gradients "
         "(at t = 1 the two agree, which is why step 1 passed)"),
        (one(adam_by_hand(theta1, -1.0, 0.05, 0.00025, 1, 0.01)[0]),
         "the step ignored t: use 1 - beta1**t and 1 - beta2**t with the t you are given"),
        (one(adam_by_hand(theta1, -1.0, 0.05, 0.00025, 2, 0.01, shift=1)[0]),
         "the correction used t + 1: t is already the number of this update")])

    # 3. eps is added to sqrt(v_hat), default 1e-8: with g = 1e-8 the first step is
    #    lr * 1e-8 / (1e-8 + 1e-8) = lr / 2.
    p, _, _ = adam_update(one(1.0), {"dW1": np.array([[1e-8]])}, one(0.0), one(0.0), 1, 0.1)
    verify(p, one(0.95), "params after a first step with g = 1e-8 and the default eps = 1e-8", [
        (one(1 - 0.1 * 1e-8 / math.sqrt(1e-16 + 1e-8)), "eps must be added OUTSIDE the square root: sqrt(v_hat) + eps"),
        (one(0.9), "the default eps = 1e-8 is missing (with g = 1e-8 it halves the first step)"),
        (one(1 - 0.1 * math.sqrt(0.001) / 0.1 * 1e-9 / (math.sqrt(1e-19) + 1e-8)),
         "you folded the correction into the learning rate and added eps to sqrt(v): here eps is added "
         "to sqrt(v_hat), the step is lr * m_hat / (sqrt(v_hat) + eps)")])
    # ... and a given eps is used: with g = 0.5 and eps = 0.5 the first step is lr * 0.5 / (0.5 + 0.5) = lr / 2.
    p, _, _ = adam_update(one(1.0), {"dW1": np.array([[0.5]])}, one(0.0), one(0.0), 1, 0.1, eps=0.5)
    verify(p, one(0.95), "params after a first step with g = 0.5 and eps = 0.5", [
        (one(0.9), "the eps argument was ignored: with eps = 0.5 the first step is lr * 0.5 / (0.5 + 0.5) = lr / 2"),
        (one(1 - 0.1 * 0.5 / math.sqrt(0.25 + 0.5)), "eps must be added OUTSIDE the square root: sqrt(v_hat) + eps")])

    # 4. The first step moves every entry by lr against the sign of its gradient, at any scale.
    rng = np.random.default_rng(40)
    params = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal((3, 1))}
    scales = {"W1": 10.0 ** rng.uniform(-3, 3, size=(3, 4)), "b1": 10.0 ** rng.uniform(-3, 3, size=(3, 1))}
    grads = {"d" + k: scales[k] * rng.choice([-1.0, 1.0], size=p.shape) for k, p in params.items()}
    zeros = {k: np.zeros_like(p) for k, p in params.items()}
    new_params, _, _ = check.check_not_mutated(
        adam_update, params, grads, zeros, zeros, 1, 0.05,
        hint=ADAM_HINT)
    check.check_dict(new_params, {k: p - 0.05 * np.sign(grads["d" + k]) for k, p in params.items()},
                     name="params after the first step (should be params - lr * sign(g))", rtol=1e-4, atol=1e-6)

    # 5. Random shapes, three steps t = 1, 2, 3 with other betas, inputs never modified.
    for seed, (sizes, lr, beta1, beta2) in enumerate([([3, 4, 2], 0.01, 0.9, 0.999), ([2, 5, 3, 1], 0.1, 0.8, 0.95)]):
        rng = np.random.default_rng(50 + seed)
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        m_state = {k: np.zeros_like(p) for k, p in params.items()}
        v_state = {k: np.zeros_like(p) for k, p in params.items()}
        want_p, want_m, want_v = params, m_state, v_state
        for step in (1, 2, 3):
            grads = {"d" + k: rng.standard_normal(p.shape) for k, p in params.items()}
            want_m = {k: beta1 * want_m[k] + (1 - beta1) * grads["d" + k] for k in params}
            want_v = {k: beta2 * want_v[k] + (1 - beta2) * grads["d" + k] ** 2 for k in params}
            want_p = {k: want_p[k] - lr * (want_m[k] / (1 - beta1**step))
                      / (np.sqrt(want_v[k] / (1 - beta2**step)) + 1e-8) for k in params}
            params, m_state, v_state = check.check_not_mutated(
                adam_update, params, grads, m_state, v_state, step, lr, beta1=beta1, beta2=beta2,
                hint=ADAM_HINT)
            label = f"after step t = {step} (beta1 {beta1}, beta2 {beta2}, sizes {sizes})"
            check.check_dict(m_state, want_m, name=f"m {label}")
            check.check_dict(v_state, want_v, name=f"v {label}")
            check.check_dict(params, want_p, name=f"params {label}")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(705)
    for trial in range(6):
        depth = int(rng.integers(1, 4))
        sizes = [int(n) for n in rng.integers(1, 6, size=depth + 1)]
        lr = float(rng.uniform(0.001, 0.1))
        kwargs = [{}, {"beta1": 0.5}, {"beta2": 0.9}, {"eps": 1e-3}, {},
                  {"beta1": 0.85, "beta2": 0.99, "eps": 1e-6}][trial]
        b1, b2, eps = kwargs.get("beta1", 0.9), kwargs.get("beta2", 0.999), kwargs.get("eps", 1e-8)
        scale = 1e-8 if trial == 4 else 1.0   # tiny gradients: the default eps matters
        t0 = [0, 0, 7, 0, 0, 30][trial]       # some runs resume from a later step
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.standard_normal((sizes[l], 1))
        if t0:
            m_state = {k: 0.3 * rng.standard_normal(p.shape) for k, p in params.items()}
            v_state = {k: 0.3 * np.abs(rng.standard_normal(p.shape)) for k, p in params.items()}
        else:
            m_state = {k: np.zeros_like(p) for k, p in params.items()}
            v_state = {k: np.zeros_like(p) for k, p in params.items()}
        want_p = {k: p.copy() for k, p in params.items()}
        want_m = {k: x.copy() for k, x in m_state.items()}
        want_v = {k: x.copy() for k, x in v_state.items()}
        for t in range(t0 + 1, t0 + 6):
            grads = {"d" + k: scale * rng.standard_normal(p.shape) for k, p in params.items()}
            saved = [{k: x.copy() for k, x in d.items()} for d in (params, grads, m_state, v_state)]
            new_p, new_m, new_v = adam_update(params, grads, m_state, v_state, t, lr, **kwargs)
            for before, now in zip(saved, (params, grads, m_state, v_state)):
                assert all(np.array_equal(before[k], now[k]) for k in before), "an input was modified in place"
            for name, d in (("params", new_p), ("m", new_m), ("v", new_v)):
                assert isinstance(d, dict) and set(d) == set(params), f"{name} must be a dict keyed like params"
            for k in params:
                g = grads["d" + k]
                want_m[k] = b1 * want_m[k] + (1 - b1) * g
                want_v[k] = b2 * want_v[k] + (1 - b2) * g**2
                m_hat = want_m[k] / (1 - b1**t)
                v_hat = want_v[k] / (1 - b2**t)
                want_p[k] = want_p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
                for name, got, want in (("m", new_m, want_m), ("v", new_v, want_v), ("params", new_p, want_p)):
                    assert np.shape(got[k]) == want[k].shape, f"{name} {k}: wrong shape (sizes {sizes})"
                    assert np.allclose(got[k], want[k], rtol=1e-8, atol=1e-30 if name != "params" else 1e-12), \
                        f"{name} {k} wrong at t = {t} (options {kwargs}, gradient scale {scale})"
            params, m_state, v_state = new_p, new_m, new_v
### END HIDDEN TESTS

check.passed("adam_update: steps by hand, bias correction from t = 1, random shapes, inputs untouched.")

# %% [markdown]
# ### Written question 2: can the decays stand in for the bias correction? [2 points, graded by hand]
#
# A colleague drops Adam's bias correction. Under a constant gradient $g$, her step at update $t$ is
# $\eta\, m_t / \sqrt{v_t}$ (with $\epsilon$ negligible).
#
# 1. With $\beta_1 = 0.99$ and $\beta_2 = 0.999$, how long is her first step, in units of $\eta$? Longer or
#    shorter than $\eta$, and which average is the more biased one here?
# 2. She argues: "then pick $\beta_1$ so that the first step is exactly $\eta$." For $\beta_2 = 0.999$, which
#    $\beta_1$ does that? With it, how long is her step at $t = 10$?
# 3. What does the correction guarantee that no choice of decays does?
#
# Three to five sentences, with your numbers.

# %% [markdown] answer="adam_bias_correction" points=2
# ### BEGIN SOLUTION
# **Model answer.** Under a constant gradient $m_t = (1-\beta_1^t)\,g$ and $v_t = (1-\beta_2^t)\,g^2$, so the
# uncorrected step is $\eta\,(1-\beta_1^t)/\sqrt{1-\beta_2^t}$. (1) At $t = 1$ with $\beta_1 = 0.99$:
# $0.01/\sqrt{0.001} \approx 0.32\,\eta$, about three times too **short**: with so slow a momentum, $m$
# is now more biased than $\sqrt v$ (with the default $\beta_1 = 0.9$ it was the other way round). (2) The
# first step is $\eta$ when $1 - \beta_1 = \sqrt{1-\beta_2}$, i.e. $\beta_1 = 1 - \sqrt{0.001} \approx 0.968$;
# but at $t = 10$ the step is $(1 - 0.968^{10})/\sqrt{1 - 0.999^{10}} \approx 0.278/0.0998 \approx 2.8\,\eta$
# (it peaks near $3.6\,\eta$ around $t = 50$), because the two biases fade at different speeds. (3) The
# correction divides each average by its own $1-\beta^t$, so the step is exactly $\eta$ per coordinate
# under a constant gradient at **every** $t$, whatever $\beta_1$ and $\beta_2$ are; matching the decays can
# fix one step, not the whole early phase.
#
# **Rubric.**
# - [1 point] $\approx 0.32\,\eta$ (shorter than $\eta$, $m$ the more biased) and $\beta_1 = 1 - \sqrt{1-\beta_2}
#   \approx 0.968$.
# - [1 point] About $2.8\,\eta$ at $t = 10$ (biases fading at different rates), and the guarantee: with the
#   correction the step is $\eta$ at every $t$ for any decays.
# ### END SOLUTION

# %% [markdown]
# ## 6. Learning-rate schedules
#
# Early in training, large steps make fast progress; late in training, with noisy mini-batch
# gradients, large steps keep the parameters bouncing around the minimum instead of settling into
# it. A **schedule** lowers the learning rate as the epochs go by. With $\eta_0$ the starting rate
# and $e = 0, 1, 2, \dots$ the epoch:
#
# | kind | formula | options (defaults) |
# |---|---|---|
# | `"constant"` | $\eta_0$ | |
# | `"step"` | $\eta_0 \cdot \text{drop}^{\lfloor e / \text{every} \rfloor}$ | `drop=0.5`, `every=10` |
# | `"exponential"` | $\eta_0\, e^{-k e}$ | `k=0.1` |
# | `"inverse_time"` | $\eta_0 / (1 + \text{decay}\cdot e)$ | `decay=1.0` |
# | `"cosine"` | $\eta_{\min} + \frac12(\eta_0 - \eta_{\min})\big(1 + \cos(\pi e / E)\big)$ | `total_epochs` $= E$ (required), `lr_min=0` |
#
# The step schedule halves the rate every 10 epochs; the exponential one lowers it smoothly by
# the same factor $e^{-k}$ every epoch; the $1/t$ schedule decays slowly, which is what the
# classical convergence theory of stochastic gradient descent asks for; cosine stays near
# $\eta_0$ for a while, then slides down to $\eta_{\min}$ at epoch $E$.

# %% [markdown]
# ### Exercise 6: `lr_schedule` [2 points]
#
# Return the learning rate of epoch `epoch` as a Python float. The options arrive as keyword
# arguments in `kw`; use `kw.get("drop", 0.5)` and the like for the defaults. `total_epochs` has
# no default: a cosine schedule planned for another length of run would be silently wrong, so read
# it as `kw["total_epochs"]`. As with the activation names of notebook 02, an unknown `kind` (a typo
# such as `"cosin"`) raises a `ValueError` whose message lists the five valid kinds, instead of
# quietly returning some rate. `math.floor`, `math.exp`, `math.cos` and `math.pi` are all you need.

# %% solution="lr_schedule"
def lr_schedule(kind, lr0, epoch, **kw):
    """The learning rate at `epoch` (0, 1, 2, ...) for schedule `kind`, starting from lr0.

    Inputs:
        kind:  "constant" | "step" | "exponential" | "inverse_time" | "cosine"
        lr0:   starting learning rate (float)
        epoch: the epoch number, from 0 (int)
        kw:    options: "step": drop=0.5, every=10; "exponential": k=0.1; "inverse_time": decay=1.0;
               "cosine": total_epochs (required, no default), lr_min=0
    Returns:
        the learning rate (a Python float)
    Raises:
        ValueError, listing the valid kinds, for any other kind
    """
    ### BEGIN SOLUTION
    if kind == "constant":
        return float(lr0)
    if kind == "step":
        return float(lr0 * kw.get("drop", 0.5) ** math.floor(epoch / kw.get("every", 10)))
    if kind == "exponential":
        return float(lr0 * math.exp(-kw.get("k", 0.1) * epoch))
    if kind == "inverse_time":
        return float(lr0 / (1 + kw.get("decay", 1.0) * epoch))
    if kind == "cosine":
        lr_min = kw.get("lr_min", 0.0)
        return float(lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * epoch / kw["total_epochs"])) / 2)
    raise ValueError(f"unknown schedule {kind!r}; choose constant, step, exponential, inverse_time or cosine")
    ### END SOLUTION


# %% test="lr_schedule" points=2
import warnings

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def verify(kind, lr0, epoch, want, mistakes=(), **kw):
        got = lr_schedule(kind, lr0, epoch, **kw)
        name = f"lr_schedule({kind!r}, {lr0}, {epoch}" + "".join(f", {k}={v}" for k, v in kw.items()) + ")"
        if not isinstance(got, float):
            raise AssertionError(f"{name} returned {type(got).__name__} {got!r}: return a Python float "
                                 "(wrap the result in float(...))")
        try:
            close = bool(np.isclose(float(got), want, rtol=1e-9, atol=1e-15))
        except Exception:
            close = False
        if not close:
            for wrong, hint in mistakes:
                try:
                    if np.isclose(float(got), wrong, rtol=1e-9, atol=1e-15):
                        raise AssertionError(f"{name}: {hint}")
                except (TypeError, ValueError):
                    pass
        check.check_scalar(got, want, name=name, rtol=1e-9, atol=1e-15)

    # constant
    verify("constant", 0.1, 0, 0.1)
    verify("constant", 0.1, 37, 0.1)
    # step: halve every 10 epochs by default; epochs 0-9 keep lr0.
    verify("step", 0.1, 0, 0.1)
    verify("step", 0.1, 3, 0.1, [(0.05, "the rate dropped already at epoch 3: ceil(3 / 10) = 1. The exponent is "
                                        "floor(epoch / every), so the rate drops only once a whole block of "
                                        "every = 10 epochs has passed"),
                                  (0.1 * 0.5**0.3, "the exponent must be a whole number: floor(epoch / every)")])
    verify("step", 0.1, 5, 0.1, [(0.05, "epoch 5 is still in the first block of every = 10 epochs, floor(5 / 10) = 0: "
                                        "check that every defaults to 10, and use math.floor, not rounding")])
    verify("step", 0.1, 6, 0.1, [(0.05, "epoch 6 is still in the first block of every = 10 epochs: round(6 / 10) = 1 "
                                        "but floor(6 / 10) = 0; use math.floor, not round")])
    verify("step", 0.1, 9, 0.1, [(0.05, "the first drop came one epoch early, at epoch 9: epochs count from 0, so "
                                        "epochs 0 to 9 are the first block of every = 10; the exponent is "
                                        "floor(epoch / every), not floor((epoch + 1) / every)"),
                                  (0.1 * 0.5**0.9, "the exponent must be a whole number: floor(epoch / every)")])
    verify("step", 0.1, 10, 0.05, [(0.1, "the first drop happens AT epoch 10 (floor(10 / 10) = 1)")])
    verify("step", 0.1, 25, 0.025, [(0.1 * 0.5**2.5, "the exponent must be a whole number: floor(epoch / every)")])
    verify("step", 0.2, 7, 0.2 * 0.1**2, [(0.2 * 0.5**2, "the drop argument was ignored"),
                                            (0.2 * 0.1**0, "the every argument was ignored")], drop=0.1, every=3)
    # exponential: lr0 * exp(-k epoch), k = 0.1 by default.
    verify("exponential", 0.1, 0, 0.1, [(0.1 * math.exp(-0.1), "the rate at epoch 0 must be lr0: epochs count from 0, "
                                                              "the exponent is -k * epoch, not -k * (epoch + 1)")])
    verify("exponential", 0.1, 10, 0.1 * math.exp(-1.0), [(0.1 * math.exp(1.0), "the exponent must be negative"),
                                                          (0.1 * math.exp(-0.1), "check the default: k = 0.1 "
                                                           "(with k = 0.01 the rate falls by only about 10 % in 10 epochs)"),
                                                          (0.1 * 0.1**10, "lr0 * exp(-k * epoch), not lr0 * k**epoch")])
    verify("exponential", 0.5, 4, 0.5 * math.exp(-2.0), [(0.5 * math.exp(-0.4), "the k argument was ignored")], k=0.5)
    # inverse_time: lr0 / (1 + decay epoch), decay = 1 by default.
    verify("inverse_time", 0.1, 0, 0.1, [(0.05, "the rate at epoch 0 must be lr0: epochs count from 0, "
                                              "lr0 / (1 + decay * epoch), not (epoch + 1)")])
    verify("inverse_time", 0.1, 9, 0.01, [(0.1 / 9, "lr0 / (1 + decay * epoch): the 1 + is missing"),
                                          (0.1 / math.sqrt(10), "no square root: lr0 / (1 + decay * epoch)")])
    verify("inverse_time", 0.3, 4, 0.3 / 3.0, [(0.3 / 5, "the decay argument was ignored")], decay=0.5)
    # cosine: from lr0 at epoch 0 down to lr_min at epoch total_epochs.
    verify("cosine", 0.1, 0, 0.1, [(0.2, "divide (1 + cos(...)) by 2"),
                                   (0.05 * (1 + math.cos(math.pi / 100)), "the rate at epoch 0 must be lr0: epochs "
                                    "count from 0, the angle is pi * epoch / total_epochs")], total_epochs=100)
    verify("cosine", 0.1, 50, 0.05, [(0.0, "the angle is pi * epoch / total_epochs (half a period over the run, "
                                           "from lr0 down to lr_min), not 2 pi * epoch / total_epochs"),
                                     (0.05 * (1 + math.cos(math.pi * 50 / 99)), "divide by total_epochs, "
                                      "not total_epochs - 1: the rate reaches lr_min at epoch total_epochs")],
           total_epochs=100)
    verify("cosine", 0.1, 100, 0.0, [(0.05 * (1 + math.cos(1.0)), "the angle is pi * epoch / total_epochs")],
           total_epochs=100)
    verify("cosine", 0.1, 25, 0.05 * (1 + math.cos(math.pi / 4)),
           [(0.05 * (1 + math.cos(25 / 100)), "the angle is pi * epoch / total_epochs")], total_epochs=100)
    verify("cosine", 0.1, 20, 0.01 + 0.09 * (1 + math.cos(math.pi / 2)) / 2,
           [(0.05, "the lr_min argument was ignored"), (0.01 + 0.05, "interpolate between lr_min and lr0: "
                                                          "lr_min + (lr0 - lr_min) * (1 + cos) / 2"),
            (0.09 / 2, "add lr_min: the rate runs from lr0 down to lr_min, lr_min + (lr0 - lr_min) * (1 + cos) / 2")],
           total_epochs=40, lr_min=0.01)
    # total_epochs is required: a default would plan the cosine for a run of another length.
    try:
        got = lr_schedule("cosine", 0.1, 5)
    except (KeyError, TypeError, ValueError):
        pass
    else:
        raise AssertionError(f"lr_schedule('cosine', 0.1, 5) without total_epochs returned {got!r}: total_epochs has no "
                             "default (a cosine planned for another run length is silently wrong); read it as "
                             "kw['total_epochs'], which raises when it is missing")
    # An unknown kind raises a ValueError that lists the valid ones.
    try:
        got = lr_schedule("cosin", 0.1, 5, total_epochs=10)
    except ValueError as error:
        missing = [k for k in ("constant", "step", "exponential", "inverse_time", "cosine") if k not in str(error)]
        if missing:
            raise AssertionError(f"lr_schedule('cosin', ...) raised ValueError({str(error)!r}), which does not list "
                                 f"the valid kinds (missing: {', '.join(missing)}): name all five, so that a typo is "
                                 "easy to fix") from None
    except Exception as error:
        raise AssertionError(f"lr_schedule('cosin', ...) raised {type(error).__name__}: an unknown kind should raise "
                             "a ValueError that lists the valid kinds") from None
    else:
        raise AssertionError(f"lr_schedule('cosin', ...), a misspelt kind, returned {got!r} instead of raising: an "
                             "unknown kind should raise a ValueError that lists the valid kinds, so that a typo "
                             "cannot train with a rate nobody chose")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(706)
    for trial in range(20):
        lr0 = float(rng.uniform(0.001, 1.0))
        epoch = int(rng.integers(0, 80))
        for kind in ("constant", "step", "exponential", "inverse_time", "cosine"):
            kw = {}
            if kind == "step":
                if trial % 2:
                    kw = {"drop": float(rng.uniform(0.1, 0.9)), "every": int(rng.integers(1, 15))}
                want = lr0 * kw.get("drop", 0.5) ** math.floor(epoch / kw.get("every", 10))
            elif kind == "exponential":
                if trial % 2:
                    kw = {"k": float(rng.uniform(0.001, 1.0))}
                want = lr0 * math.exp(-kw.get("k", 0.1) * epoch)
            elif kind == "inverse_time":
                if trial % 2:
                    kw = {"decay": float(rng.uniform(0.01, 3.0))}
                want = lr0 / (1 + kw.get("decay", 1.0) * epoch)
            elif kind == "cosine":
                kw = {"total_epochs": int(rng.integers(max(epoch, 1), 120))}
                if trial % 3 == 0:
                    kw["lr_min"] = float(rng.uniform(0, lr0))
                lo = kw.get("lr_min", 0.0)
                want = lo + (lr0 - lo) * (1 + math.cos(math.pi * epoch / kw["total_epochs"])) / 2
            else:
                want = lr0
            got = lr_schedule(kind, lr0, epoch, **kw)
            assert isinstance(got, float) and np.isfinite(got), f"{kind}: return one finite Python float"
            assert math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-15), \
                f"{kind} schedule wrong at epoch {epoch} (options {kw})"
    # Exact block boundaries of the step schedule, and the ends of the cosine.
    for every in (1, 4, 10):
        for epoch in (every - 1, every, 2 * every, 2 * every + 1):
            want = 0.3 * 0.5 ** (epoch // every)
            got = lr_schedule("step", 0.3, epoch, every=every)
            assert math.isclose(float(got), want, rel_tol=1e-12), f"step schedule wrong at epoch {epoch}, every={every}"
    assert math.isclose(float(lr_schedule("cosine", 0.4, 30, total_epochs=30, lr_min=0.05)), 0.05, rel_tol=1e-9)
    assert math.isclose(float(lr_schedule("cosine", 0.4, 0, total_epochs=30, lr_min=0.05)), 0.4, rel_tol=1e-9)
    assert math.isclose(float(lr_schedule("exponential", 0.4, 0, k=3.0)), 0.4, rel_tol=1e-12)
    assert math.isclose(float(lr_schedule("inverse_time", 0.4, 0, decay=5.0)), 0.4, rel_tol=1e-12)
    for kind in ("Step", "linear", ""):
        try:
            lr_schedule(kind, 0.1, 3, total_epochs=10)
        except ValueError:
            continue
        raise AssertionError(f"lr_schedule({kind!r}, ...): an unknown kind must raise ValueError")
    try:
        lr_schedule("cosine", 0.2, 3, lr_min=0.01)
    except (KeyError, TypeError, ValueError):
        pass
    else:
        raise AssertionError("lr_schedule('cosine', ...) without total_epochs must raise: it has no default")
### END HIDDEN TESTS

check.passed("lr_schedule: every kind, with its defaults and with its options.")

# %% [markdown]
# The four decaying schedules side by side over 100 epochs, all from $\eta_0 = 0.1$ with the
# default options (cosine with $E = 100$). On the log scale (right) the exponential schedule is a
# straight line and the step schedule a staircase that follows a slightly flatter line (it loses
# a factor $0.5^{1/10} \approx e^{-0.069}$ per epoch on average, against $e^{-0.1}$); $1/t$ falls
# fast at first and then flattens out; cosine keeps a large rate longest and plunges at the end.

# %% tags=["demo"]
try:
    epochs = np.arange(101)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for kind, kw in [("constant", {}), ("step", {}), ("exponential", {}), ("inverse_time", {}),
                     ("cosine", {"total_epochs": 100})]:
        rates = [lr_schedule(kind, 0.1, int(e), **kw) for e in epochs]
        for ax in axes:   # the rate is held for a whole epoch, hence the stairs
            ax.plot(epochs, rates, drawstyle="steps-post", label=kind, linestyle=":" if kind == "constant" else "-")
    axes[0].set(xlabel="epoch", ylabel="learning rate")
    axes[0].set_title(r"Learning-rate schedules from $\eta_0 = 0.1$", fontsize=11)
    axes[1].set(xlabel="epoch", ylabel="learning rate", yscale="log", ylim=(1e-6, 0.2))
    axes[1].set_title("The same on a log scale", fontsize=11)
    axes[0].legend(fontsize=9)
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write lr_schedule above to see this plot.")

# %% [markdown]
# ## 7. The best step size and momentum on a quadratic
#
# Back to the quadratic $C(\theta) = \frac12 \sum_i h_i \theta_i^2$ with curvatures between
# $\mu = \min_i h_i$ and $L = \max_i h_i$, and condition number $\kappa = L/\mu$. Because every
# coordinate evolves on its own, we can work out the best settings exactly.
#
# ### Gradient descent
#
# Coordinate $i$ is multiplied by $1 - \eta h_i$ at every step, so the error shrinks at the rate
# $\max_i |1 - \eta h_i| = \max(|1 - \eta\mu|,\, |1 - \eta L|)$ (the extreme curvatures are the
# worst). As $\eta$ grows, $|1-\eta\mu|$ falls and $|1-\eta L|$ eventually rises; the best $\eta$
# makes them equal, $1 - \eta\mu = \eta L - 1$:
#
# $$\eta^* = \frac{2}{L + \mu}, \qquad
# \text{rate} = 1 - \frac{2\mu}{L+\mu} = \frac{L - \mu}{L + \mu} = \frac{\kappa - 1}{\kappa + 1}.$$
#
# For $\kappa = 100$ that is 0.980 per step: about 115 steps to gain each factor of 10.
#
# ### Heavy-ball momentum
#
# With momentum, eliminate the velocity: $\theta_{k+1} - \theta_k = -\eta v_{k+1} =
# \beta(\theta_k - \theta_{k-1}) - \eta g_k$. For one coordinate with curvature $h$ this is
#
# $$\theta_{k+1} = (1 + \beta - \eta h)\, \theta_k - \beta\, \theta_{k-1},$$
#
# a linear recurrence whose solutions are combinations of $z^k$, with $z$ the roots of
# $z^2 - (1 + \beta - \eta h)\, z + \beta = 0$. When the roots are complex they come as a
# conjugate pair whose product is $\beta$, so both have modulus $|z| = \sqrt\beta$, **whatever**
# $h$ is. The roots are complex exactly when $(1+\beta-\eta h)^2 \le 4\beta$, i.e. when
# $(1-\sqrt\beta)^2 \le \eta h \le (1+\sqrt\beta)^2$. So choose $\eta$ and $\beta$ to make this
# window cover all the curvatures, $\eta\mu = (1-\sqrt\beta)^2$ and $\eta L = (1+\sqrt\beta)^2$;
# dividing the two, $\sqrt\kappa = \frac{1+\sqrt\beta}{1-\sqrt\beta}$. Solving:
#
# $$\beta^* = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2, \qquad
# \eta^* = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
# \text{rate} = \sqrt{\beta^*} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}.$$
#
# $\kappa$ has become $\sqrt\kappa$: for $\kappa = 100$ the rate is $9/11 \approx 0.818$ per step,
# about 12 steps per factor of 10 instead of 115. This acceleration is guaranteed for quadratics;
# on general convex costs the heavy ball can misbehave, which is one reason Nesterov's variant,
# with guarantees for all smooth convex costs, exists.
#
# The next cell runs plain gradient descent and **your** `momentum_update`, each with its best
# settings, on $C = \frac12(\mu\theta_1^2 + L\theta_2^2)$ with $\mu = 1$, $L = \kappa$. Left: the
# distance to the minimum against the theoretical $\text{rate}^k$ (dashed), for $\kappa = 100$.
# Right: the measured rate (the slope of $\log\lVert\theta_k\rVert$ over the second half of the
# run) against $\kappa$, with the two formulas as lines.

# %% tags=["demo"]
def optimal_settings(mu, L):
    """(lr_gd, rate_gd, lr_hb, beta_hb, rate_hb) for a quadratic with curvatures in [mu, L]."""
    kappa = L / mu
    lr_hb = 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    beta_hb = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    return 2 / (L + mu), (kappa - 1) / (kappa + 1), lr_hb, beta_hb, math.sqrt(beta_hb)


def distances(update, lr, beta, h, steps):
    """||theta_k|| for k = 0..steps of `update` (a momentum-style step) from theta_0 = (1, 1)."""
    _, gradient = quadratic(h)
    params, velocity = {"W1": np.ones((2, 1))}, {"W1": np.zeros((2, 1))}
    norms = [float(np.linalg.norm(params["W1"]))]
    for _ in range(steps):
        params, velocity = update(params, {"dW1": gradient(params["W1"])}, velocity, lr, beta)
        norms.append(float(np.linalg.norm(params["W1"])))
        if norms[-1] < 1e-100:   # far below anything that matters; stop before squares underflow
            break
    return np.array(norms)


def measured_rate(norms):
    """Per-step rate from a least-squares fit of log ||theta_k|| over the second half of the run."""
    k = np.arange(len(norms))[len(norms) // 2:]
    return float(np.exp(np.polyfit(k, np.log(norms[len(norms) // 2:]), 1)[0]))


try:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    lr_gd, rate_gd, lr_hb, beta_hb, rate_hb = optimal_settings(1.0, 100.0)
    steps = np.arange(151)
    for label, lr, beta, rate, color in [("gradient descent", lr_gd, 0.0, rate_gd, "C0"),
                                          ("heavy ball", lr_hb, beta_hb, rate_hb, "C1")]:
        norms = distances(momentum_update, lr, beta, [1.0, 100.0], 150)
        axes[0].semilogy(norms, color=color, label=f"{label}\nlr = {lr:.4f}, beta = {beta:.3f}")
        axes[0].semilogy(steps, norms[0] * rate**steps, "--", color=color, label=f"rate$^k$, rate = {rate:.3f}")
    axes[0].set(xlabel="step k", ylabel=r"$\|\theta_k\|$", ylim=(1e-14, 10))
    axes[0].set_title(r"$\kappa = 100$, best settings", fontsize=11)
    axes[0].legend(fontsize=9, loc="lower left")

    kappas = np.array([2, 5, 10, 30, 100, 300, 1000])
    measured = {"gradient descent": [], "heavy ball": []}
    for kappa in kappas:
        lr_gd, rate_gd, lr_hb, beta_hb, rate_hb = optimal_settings(1.0, float(kappa))
        measured["gradient descent"].append(measured_rate(distances(momentum_update, lr_gd, 0.0, [1.0, kappa], 2000)))
        measured["heavy ball"].append(measured_rate(distances(momentum_update, lr_hb, beta_hb, [1.0, kappa], 2000)))
    fine = np.geomspace(1.5, 1500, 200)
    axes[1].semilogx(fine, (fine - 1) / (fine + 1), color="C0", label=r"$(\kappa-1)/(\kappa+1)$")
    axes[1].semilogx(fine, (np.sqrt(fine) - 1) / (np.sqrt(fine) + 1), color="C1",
                     label=r"$(\sqrt{\kappa}-1)/(\sqrt{\kappa}+1)$")
    axes[1].semilogx(kappas, measured["gradient descent"], "o", color="C0", label="measured, gradient descent")
    axes[1].semilogx(kappas, measured["heavy ball"], "s", color="C1", label="measured, heavy ball")
    axes[1].set(xlabel=r"condition number $\kappa$", ylabel="rate per step (lower is faster)")
    axes[1].set_title("Measured against theoretical rates", fontsize=11)
    axes[1].legend(fontsize=9, loc="lower right")
    plt.tight_layout()
    plt.show()
    for kappa, gd, hb in zip(kappas, measured["gradient descent"], measured["heavy ball"]):
        _, rate_gd, _, _, rate_hb = optimal_settings(1.0, float(kappa))
        print(f"kappa = {kappa:4d}: gradient descent {gd:.4f} (theory {rate_gd:.4f}), "
              f"heavy ball {hb:.4f} (theory {rate_hb:.4f})")
except NotImplementedError:
    print("Write momentum_update above to see this plot.")

# %% [markdown]
# Gradient descent matches its formula to four digits. The heavy ball's measured rate sits a hair
# above its formula: at the two extreme curvatures the best settings put the recurrence exactly on
# the edge of the window, where its two roots coincide, and the error then decays like
# $k\cdot\text{rate}^k$ rather than $\text{rate}^k$; the extra factor $k$ adds a little to the fitted
# slope. In practice $\mu$ and $L$ are unknown, and a network's cost is not a quadratic, but the
# lesson holds: momentum turns a dependence on $\kappa$ into a dependence on $\sqrt\kappa$, which
# is why $\beta = 0.9$ or so is the default almost everywhere.

# %% [markdown]
# ### Written question 3: too much momentum [2 points, graded by hand]
#
# A colleague has read that momentum helps in narrow valleys, so on the valley of this section with
# $\kappa = 100$ ($\mu = 1$, $L = 100$) she runs heavy ball with $\beta = 0.99$ and $\eta = 0.01$.
# Using this section's analysis, predict:
#
# 1. whether the roots $z$ of both coordinates are complex, and the rate per step that follows;
# 2. how many steps she needs per factor of 10, against the best gradient descent and the best heavy ball;
# 3. what her path looks like near the minimum.
#
# Four to six sentences, with your numbers. (You may check a prediction with your `momentum_update`.)

# %% [markdown] answer="momentum_narrow_valley" points=2
# ### BEGIN SOLUTION
# **Model answer.** The roots are complex when $(1-\sqrt\beta)^2 \le \eta h \le (1+\sqrt\beta)^2$, here
# $2.5\cdot10^{-5} \le \eta h \le 3.98$; both $\eta\mu = 0.01$ and $\eta L = 1$ lie inside, so both coordinates
# shrink by $|z| = \sqrt{0.99} \approx 0.995$ per step. That is $\ln 10 / (-\ln 0.995) \approx 460$ steps per
# factor of 10: four times **slower** than the best plain gradient descent (about 115) and nearly forty
# times slower than the tuned heavy ball (about 12, with $\beta \approx 0.67$). Too much momentum remembers
# old gradients for too long. The path spirals: complex roots mean oscillation, each coordinate overshoots
# the minimum again and again (the steep one with a period of about 6 steps, the flat one of about 60),
# every swing only half a percent smaller than the last.
#
# **Rubric.**
# - [1 point] Both curvatures inside the complex window, so the rate is $\sqrt\beta \approx 0.995$ whatever
#   $\eta$, about 460 steps per factor of 10.
# - [1 point] The comparison (slower than gradient descent's ~115 and far slower than the best heavy ball's
#   ~12) and the picture: a slowly damped spiral or oscillation around the minimum.
# ### END SOLUTION

# %% [markdown]
# ## 8. Explore: the optimiser explorer
#
# The explorer below runs your update functions on $C(w) = \frac12(w_1^2 + \kappa\, w_2^2)$ (so
# $\mu = 1$, $L = \kappa$) or on the Rosenbrock function of the next section, and draws the path
# on a contour plot beside the cost. Dropdowns choose the optimiser and the surface; sliders set the
# learning rate, the momentum $\beta$, the condition number $\kappa$, the starting point and the
# number of iterations; the play control replays the path step by step. The button
# **optimal lr, beta** sets the best values of section 7 for the current $\kappa$ (for Nesterov it
# uses the corresponding formula from the literature). The line under the plots gives the number
# of iterations to reach a cost below $10^{-6}$ and, for gradient descent, momentum and Nesterov
# on the quadratic, the measured against the theoretical rate per step. Things to try:
#
# - gradient descent at $\kappa = 10$: raise the learning rate until the path diverges, and
#   compare with $2/L = 0.2$;
# - momentum at $\kappa = 100$: press the button, then move $\beta$ a little either way; both
#   directions take more iterations;
# - Adam on the quadratic: move $\kappa$ from 1 to 1000; the number of iterations hardly changes,
#   because dividing by $\sqrt{\hat v}$ rescales each coordinate separately.

# %% tags=["demo"]
try:
    from course import widgets

    explorer = widgets.OptimizerExplorer(updates={"momentum": momentum_update, "nesterov": nesterov_update,
                                                  "adagrad": adagrad_update, "rmsprop": rmsprop_update,
                                                  "adam": adam_update})
    explorer.show()
except (NotImplementedError, ImportError, AttributeError, TypeError) as err:
    print(f"The explorer is not available here ({type(err).__name__}): write the update functions above "
          "and run this notebook in JupyterLab.")

# %% [markdown]
# ## 9. All the optimisers on the Rosenbrock function
#
# The Rosenbrock function $C(x, y) = (1-x)^2 + 100\,(y - x^2)^2$ is a classic test: a curved,
# narrow, nearly flat valley whose floor leads to the minimum at $(1, 1)$. Across the valley the
# curvature is in the hundreds, along it about 1, so it is badly conditioned, and the direction of
# the valley keeps changing. Each optimiser below starts at $(-1.2, 1)$ and takes 2,000 steps with
# a learning rate found by a rough search (momentum and Nesterov with $\beta = 0.9$, the others
# with their default options).

# %% tags=["demo"]
def run_optimizer(name, lr, gradient, theta0, steps, beta=0.9, limit=1e3):
    """Iterates (steps + 1, 2) of one optimiser, using your update functions for all but "gd"."""
    params = {"W1": np.array(theta0, dtype=float).reshape(-1, 1)}
    zeros = {"W1": np.zeros_like(params["W1"])}
    state, second = zeros, zeros
    path = [params["W1"].ravel()]
    for t in range(1, steps + 1):
        grads = {"dW1": gradient(params["W1"])}
        if name == "gd":
            params = {"W1": params["W1"] - lr * grads["dW1"]}
        elif name == "momentum":
            params, state = momentum_update(params, grads, state, lr, beta)
        elif name == "nesterov":
            params, state = nesterov_update(params, grads, state, lr, beta)
        elif name == "adagrad":
            params, state = adagrad_update(params, grads, state, lr)
        elif name == "rmsprop":
            params, state = rmsprop_update(params, grads, state, lr)
        elif name == "adam":
            params, state, second = adam_update(params, grads, state, second, t, lr)
        path.append(params["W1"].ravel())
        if np.max(np.abs(params["W1"])) > limit:
            break
    return np.array(path)


runs = [("gd", "gradient descent", 1.5e-3), ("momentum", "momentum", 1e-3), ("nesterov", "Nesterov", 1e-3),
        ("adagrad", "AdaGrad", 0.5), ("rmsprop", "RMSProp", 1e-2), ("adam", "Adam", 0.05)]
paths, missing = {}, []
for name, label, lr in runs:
    try:
        paths[label] = (lr, run_optimizer(name, lr, rosenbrock_gradient, [-1.2, 1.0], 2000))
    except NotImplementedError:
        missing.append(label)

if paths:
    fig, axes = plt.subplots(2, 4, figsize=(10.5, 5.8), gridspec_kw={"width_ratios": [1, 1, 1, 1.3]})
    for ax in axes[:, 3]:
        ax.remove()
    cost_ax = fig.add_subplot(1, 4, 4)
    for ax, (label, (lr, path)) in zip(axes[:, :3].ravel(), paths.items()):
        costs = [rosenbrock_cost(p.reshape(-1, 1)) for p in path]
        contour(ax, rosenbrock_cost, (-1.5, 1.5), (-0.5, 1.6), levels=18, log=True)
        ax.plot(path[:, 0], path[:, 1], "-", color="C3", linewidth=1)
        ax.plot(path[::100, 0], path[::100, 1], "o", color="C3", markersize=3)
        ax.plot([1], [1], "k*", markersize=12)
        ax.set_title(f"{label}, lr {lr:g}\ncost {costs[-1]:.1e}", fontsize=9)
        cost_ax.semilogy(np.maximum(costs, 1e-16), label=label)
    cost_ax.set(xlabel="step", ylabel="cost", title="Cost against step", ylim=(1e-12, 30))
    cost_ax.legend(fontsize=8)
    plt.tight_layout()
    plt.show()
if missing:
    print("Write these update functions above to add them to the plots:", ", ".join(missing))

# %% [markdown]
# All six reach the valley floor within a few dozen steps; the difference is the long walk along
# it, where the gradient is small. Plain gradient descent, its learning rate capped by the steep
# walls, is still far from the minimum after 2,000 steps. Momentum and Nesterov build up speed
# along the floor (an effective step ten times larger) and end close to the minimum. AdaGrad's
# steps shrink as its sum of squared gradients grows. RMSProp's normalised step stays about
# `lr` in each coordinate however small the gradient gets: it ends up hopping from one wall of
# the valley to the other and stalls, a typical sight with a constant learning rate (one more
# reason for schedules). Adam starts slowly, then its momentum carries it along the floor and it
# catches up with the momentum methods. Do not over-read one function and one starting point: on
# real networks the ranking changes from problem to problem, and tuning the learning rate matters
# at least as much as the choice of method.

# %% [markdown]
# ## Summary
#
# - Gradient descent on a quadratic multiplies each eigen-direction by $1 - \eta h$: it needs
#   $\eta < 2/L$, and the best rate is $\frac{\kappa-1}{\kappa+1}$ at $\eta = \frac{2}{L+\mu}$.
# - Heavy-ball momentum, $v \leftarrow \beta v + g$, $\theta \leftarrow \theta - \eta v$ (equal to
#   the averaged form with $\eta' = \eta/(1-\beta)$), improves the best rate to
#   $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ with $\eta = \frac{4}{(\sqrt L+\sqrt\mu)^2}$ and
#   $\beta = \big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\big)^2$. Nesterov steps with
#   $g + \beta v$, a one-step look-ahead.
# - AdaGrad and RMSProp divide each coordinate's step by the root of its (summed or averaged)
#   squared gradients; Adam adds momentum and corrects both averages by $1 - \beta^t$, so its
#   first step is $\eta$ per coordinate.
# - Schedules lower the learning rate over the epochs: step, exponential, $1/t$, cosine.
#
# Next, notebook 08: put the pieces together and train a digit classifier to 95 %.
