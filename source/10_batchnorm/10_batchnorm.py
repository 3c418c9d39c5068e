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
# # 10 · Batch and layer normalisation, derived on the graph
#
# Notebook 05 chose the scale of the initial weights so that signals neither shrink nor grow from
# layer to layer. That fixes the scale at step 0 and at no other step: as soon as gradient descent
# moves the weights, the scales drift again, and in a deep network the drift compounds. Batch
# normalisation takes a blunter approach: it measures each unit's mean and spread on the current
# batch and removes them, in every layer and at every step. This notebook builds it, derives its
# backward pass on the computational graph of notebook 09, and shows it rescuing a deep network
# that diverges without it. It ends with layer normalisation, the variant that transformers
# use.
#
# **What you will learn**
# - what batch normalisation computes: each unit standardised over the batch (`axis=1` in our
#   layout), then scaled by a learned $\gamma$ and shifted by a learned $\beta$;
# - its backward pass, written by you node by node on a graph of small steps, with the sums that
#   broadcasting brings and the accumulation where a value is used twice, then simplified by you to
#   one expression;
# - why training and inference differ, and how running averages make a prediction depend on its
#   own example only;
# - what batch normalisation does for a deep network at a large learning rate;
# - layer normalisation: each example standardised over its units (`axis=0`), the same in
#   training and inference.
#
# **What you will write** (11 points, and three written answers graded by hand, 6 points)
#
# | function | points |
# |---|---|
# | `batchnorm_forward(Z, gamma, beta, eps=1e-5)` | 2 |
# | `batchnorm_backward_staged(dout, cache, return_nodes=False)`: node by node, on the graph | 2 |
# | `batchnorm_backward(dout, cache)`: the one expression you derive from it | 2 |
# | `update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9)` | 1 |
# | `batchnorm_inference(Z, gamma, beta, running_mean, running_var, eps=1e-5)` | 1 |
# | `layernorm_forward(Z, gamma, beta, eps=1e-5)` | 1 |
# | `layernorm_backward(dout, cache)` | 2 |
#
# Write each function in its answer cell, then run the test cell right below it. This notebook
# stands on its own: it uses nothing from notebook 09 except its way of thinking.

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
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from course import check, data

np.set_printoptions(precision=6, suppress=True)
# The matrices in this notebook are small: one BLAS thread multiplies them faster than several
# threads that wait for each other (and for anything else running on the machine).
blas_threads = threadpool_limits(limits=1, user_api="blas")  # bound to a name, so the cell shows nothing

# %% [markdown]
# ## 1. Why normalise inside the network?
#
# Take a hidden layer with pre-activation $Z^{[l]} = W^{[l]} A^{[l-1]}$ of shape $(n, m)$ (we leave
# out the bias $b^{[l]}$; written question 1 asks what it would do): $n$ units (rows), $m$ examples
# (columns). Each row is one unit's response to the $m$ examples of the batch.
# The next layer is tuned to the typical size of those responses. Now let one gradient step make
# $W^{[l]}$ a little larger. Every row of $Z^{[l]}$ grows, so does $A^{[l]}$, so does $Z^{[l+1]}$, and
# in a network of ten layers ten such factors multiply. A ReLU unit whose inputs shift far enough
# that it is negative on every example outputs 0 for all of them and receives no gradient again:
# it is *dead*. Notebook 05 chose the initial scale of $W$ to keep the signal steady, but that
# choice holds at the start of training only.
#
# **Batch normalisation** (Ioffe and Szegedy, 2015) re-measures the scale at every step. For each
# unit $i$ (row $i$ of $Z$) it computes the mean and variance over the $m$ examples of the current
# batch,
#
# $$\mu_i = \frac{1}{m}\sum_{j=1}^{m} Z_{ij}, \qquad
# \sigma_i^2 = \frac{1}{m}\sum_{j=1}^{m} \big(Z_{ij} - \mu_i\big)^2,$$
#
# and standardises the row, then gives it a learned scale $\gamma_i$ and shift $\beta_i$:
#
# $$\hat Z_{ij} = \frac{Z_{ij} - \mu_i}{\sqrt{\sigma_i^2 + \varepsilon}}, \qquad
# \text{out}_{ij} = \gamma_i\, \hat Z_{ij} + \beta_i .$$
#
# The output replaces $Z^{[l]}$: the layer computes $A^{[l]} = g\big(\text{BN}(W^{[l]} A^{[l-1]})\big)$.
# Whatever the weights do, each unit reaches its activation function with mean $\beta_i$ and
# standard deviation (very nearly) $|\gamma_i|$, and those two numbers change only as fast as
# gradient descent changes them.

# %% [markdown]
# ### The details that matter
#
# - **The batch axis.** Our examples are columns, so "over the batch" means along `axis=1`, and
#   $\mu$ and $\sigma^2$ are columns of shape $(n, 1)$, one number per unit. (Libraries that store
#   examples as rows, `X` of shape `(m, n)`, normalise along `axis=0`: same operation, other axis.)
# - **$\gamma$ and $\beta$ have shape $(n, 1)$**, one pair per unit, broadcast over the $m$ columns.
#   They give back the freedom that standardising took away: with $\gamma_i = \sqrt{\sigma_i^2 +
#   \varepsilon}$ and $\beta_i = \mu_i$ the layer would undo the normalisation exactly. Gradient
#   descent learns them like weights; they start at $\gamma = 1$, $\beta = 0$.
# - **The biased variance.** $\sigma^2$ divides by $m$, not $m - 1$: it is the variance *of this
#   batch*, the number that makes $\hat Z$ have mean 0 and mean square $\sigma^2 / (\sigma^2 +
#   \varepsilon) \approx 1$. (`np.var` divides by $m$; `np.var(..., ddof=1)` divides by $m - 1$.)
# - **$\varepsilon$ inside the square root.** A unit that gives the same value for every example
#   of the batch has $\sigma_i^2 = 0$; then $\hat Z_{ij} = 0/\sqrt{\varepsilon} = 0$ instead of
#   $0/0$. Inside the root it also keeps the derivative of $1/\sqrt{\sigma^2 + \varepsilon}$ finite.
#   $\varepsilon = 10^{-5}$ is the usual default.
# - **Compute the variance from the deviations**, `np.mean((Z - mean) ** 2, ...)`, not as
#   $\overline{Z^2} - \mu^2$: when the mean is large compared with the spread, the second form
#   subtracts two nearly equal large numbers and loses most of its digits.

# %% [markdown]
# ### A worked example
#
# Two units, three examples, $\varepsilon = 10^{-5}$:
#
# $$Z = \begin{pmatrix} 1 & 2 & 4 \\ -1 & 0 & 3 \end{pmatrix}, \quad
# \gamma = \begin{pmatrix} 2 \\ 0.5 \end{pmatrix}, \quad
# \beta = \begin{pmatrix} 0.1 \\ -0.2 \end{pmatrix}.$$
#
# Row 1 has mean $7/3 = 2.333333$ and variance $\frac{1}{3}\big((-\tfrac43)^2 + (-\tfrac13)^2 +
# (\tfrac53)^2\big) = \frac{14}{9} = 1.555556$; row 2 has mean $0.666667$ and variance $\frac{26}{9} =
# 2.888889$. Then
#
# $$\hat Z = \begin{pmatrix} -1.069042 & -0.267260 & 1.336302 \\ -0.980579 & -0.392232 & 1.372811 \end{pmatrix},
# \qquad
# \text{out} = \begin{pmatrix} -2.038083 & -0.434521 & 2.772604 \\ -0.690289 & -0.396116 & 0.486405 \end{pmatrix}.$$
#
# Each row of $\hat Z$ sums to 0, and the mean of its squares is just under 1.

# %% [markdown]
# ### Exercise 1: `batchnorm_forward` [2 points]
#
# Training mode: normalise with the statistics of the batch you are given. Return `(out, cache)`,
# where `cache` is a dict with exactly what the backward pass will need:
#
# | key | content | shape |
# |---|---|---|
# | `"Z_hat"` | the normalised input $\hat Z$ | $(n, m)$ |
# | `"mean"` | $\mu$, the batch mean of each unit | $(n, 1)$ |
# | `"var"` | $\sigma^2$, the biased batch variance of each unit (without $\varepsilon$) | $(n, 1)$ |
# | `"gamma"` | $\gamma$ as given | $(n, 1)$ |
# | `"eps"` | $\varepsilon$ as given | a number |
#
# `np.mean(..., axis=1, keepdims=True)` keeps the $(n, 1)$ shape, so that subtracting it from the
# $(n, m)$ array broadcasts over the columns. Compute the variance from the deviations, the mean of
# `(Z - mean) ** 2`, not as the mean of `Z ** 2` minus `mean ** 2` (the third visible test checks
# this). Do not modify `Z`.

# %% solution="batchnorm_forward"
def batchnorm_forward(Z, gamma, beta, eps=1e-5):
    """Batch normalisation in training mode: each unit (row) over the batch (axis=1).

    Inputs:
        Z:     (n, m) pre-activations, n units by m examples
        gamma: (n, 1) learned scale
        beta:  (n, 1) learned shift
        eps:   float > 0, added to the variance inside the square root
    Returns:
        out:   (n, m), gamma * Z_hat + beta with Z_hat = (Z - mean) / sqrt(var + eps)
        cache: {"Z_hat": (n, m), "mean": (n, 1), "var": (n, 1) biased variance, "gamma": (n, 1), "eps": eps}
    """
    ### BEGIN SOLUTION
    mean = np.mean(Z, axis=1, keepdims=True)
    var = np.mean((Z - mean) ** 2, axis=1, keepdims=True)
    Z_hat = (Z - mean) / np.sqrt(var + eps)
    out = gamma * Z_hat + beta
    cache = {"Z_hat": Z_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}
    return out, cache
    ### END SOLUTION


# %% test="batchnorm_forward" points=2
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _normalised(Z, eps, axis=1, ddof=0, eps_at="inside", var_from="deviations"):
        """Z_hat, mean, var computed right (the defaults) or with one of the usual slips."""
        mean = np.mean(Z, axis=axis, keepdims=True)
        if var_from == "deviations":
            var = np.sum((Z - mean) ** 2, axis=axis, keepdims=True) / (Z.shape[axis] - ddof)
        else:  # mean of squares minus square of the mean
            var = np.mean(Z ** 2, axis=axis, keepdims=True) - mean ** 2
        scale = {"inside": np.sqrt(var + eps), "outside": np.sqrt(var) + eps, "none": np.sqrt(var),
                 "no_sqrt": var + eps}[eps_at]
        return (Z - mean) / scale, mean, var

    def _bn_forward_case(Z, gamma, beta, eps, label, call_eps=True):
        args = (Z, gamma, beta, eps) if call_eps else (Z, gamma, beta)
        try:
            got = check.check_not_mutated(batchnorm_forward, *args)
        except ValueError as err:
            raise AssertionError(f"batchnorm_forward ({label}): shapes do not fit ({err}); the mean and the "
                                 "variance must stay (n, 1) columns: np.mean(..., axis=1, keepdims=True)") from None
        assert isinstance(got, (tuple, list)) and len(got) == 2, (
            f"batchnorm_forward ({label}): return a tuple (out, cache), got {type(got).__name__}")
        out, cache = got
        if isinstance(out, dict) and not isinstance(cache, dict):
            raise AssertionError(f"batchnorm_forward ({label}): return (out, cache) in that order")
        Z_hat, mean, var = _normalised(Z, eps)
        want = gamma * Z_hat + beta
        check.check_shape(out, Z.shape, f"out ({label})")
        value = np.asarray(out, dtype=float)
        if not np.allclose(value, want, rtol=1e-6, atol=1e-8):
            wrongs = [
                (gamma * _normalised(Z, eps, axis=0)[0] + beta,
                 "each example (column) was normalised over its units (axis=0): batch norm normalises each "
                 "ROW over the m examples, axis=1: np.mean(Z, axis=1, keepdims=True)"),
                (gamma * _normalised(Z, eps, ddof=1)[0] + beta,
                 "that is the unbiased variance (divided by m - 1, ddof=1): batch norm uses the biased "
                 "variance of the batch, the mean of the squared deviations (divide by m)"),
                (gamma * _normalised(Z, eps, eps_at="outside")[0] + beta,
                 "eps is outside the square root: divide by np.sqrt(var + eps), not np.sqrt(var) + eps"),
                (gamma * _normalised(Z, eps, eps_at="none")[0] + beta,
                 "eps is missing: divide by np.sqrt(var + eps)"),
                (gamma * _normalised(Z, eps, eps_at="no_sqrt")[0] + beta,
                 "divided by the variance: divide by the standard deviation, np.sqrt(var + eps)"),
                (gamma * _normalised(Z, eps, var_from="squares")[0] + beta,
                 "the variance was computed as mean(Z**2) - mean**2, which loses its digits when the mean is "
                 "large compared with the spread: use np.mean((Z - mean) ** 2, axis=1, keepdims=True)"),
                (beta * Z_hat + gamma, "gamma and beta are swapped: out = gamma * Z_hat + beta"),
                (Z_hat, "out is Z_hat: scale and shift it, out = gamma * Z_hat + beta"),
                (gamma * (Z - mean) + beta, "the division by np.sqrt(var + eps) is missing"),
            ]
            for wrong, hint in wrongs:
                if wrong.shape == want.shape and not np.allclose(wrong, want, rtol=1e-6, atol=1e-8) \
                        and np.allclose(value, wrong, rtol=1e-6, atol=1e-8):
                    raise AssertionError(f"batchnorm_forward ({label}): {hint}")
        check.check_array(out, want, f"out ({label})")

        assert isinstance(cache, dict), f"batchnorm_forward ({label}): the cache should be a dict, got {type(cache).__name__}"
        missing = [key for key in ("Z_hat", "mean", "var", "gamma", "eps") if key not in cache]
        assert not missing, (f"batchnorm_forward ({label}): the cache lacks {missing}; it needs "
                             "'Z_hat', 'mean', 'var', 'gamma' and 'eps'")
        for key, wrong, hint in [
            ("var", var + eps, "cache['var'] includes eps: store the variance itself, eps is stored on its own"),
            ("var", np.sqrt(var), "cache['var'] holds the standard deviation: store the variance"),
            ("var", np.sqrt(var + eps), "cache['var'] holds np.sqrt(var + eps): store the variance itself"),
            ("var", _normalised(Z, eps, ddof=1)[2], "cache['var'] is the unbiased variance: divide by m"),
            ("Z_hat", want, "cache['Z_hat'] holds out: store the normalised Z_hat, before gamma and beta"),
        ]:
            held = np.asarray(cache[key], dtype=float)
            if held.shape == wrong.shape and not np.allclose(wrong, {"var": var, "Z_hat": Z_hat}[key], rtol=1e-9, atol=0) \
                    and np.allclose(held, wrong, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"batchnorm_forward ({label}): {hint}")
        check.check_array(cache["mean"], mean, f"cache['mean'] ({label})")
        check.check_array(cache["var"], var, f"cache['var'] ({label})")
        check.check_array(cache["Z_hat"], Z_hat, f"cache['Z_hat'] ({label})")
        check.check_array(cache["gamma"], gamma, f"cache['gamma'] ({label})")
        check.check_scalar(cache["eps"], eps, f"cache['eps'] ({label})")
        return out, cache

    # 1. The worked example, with the default eps = 1e-5.
    _Z = np.array([[1.0, 2.0, 4.0], [-1.0, 0.0, 3.0]])
    _gamma, _beta = np.array([[2.0], [0.5]]), np.array([[0.1], [-0.2]])
    _out, _cache = _bn_forward_case(_Z, _gamma, _beta, 1e-5, "the worked example", call_eps=False)
    check.check_array(_cache["mean"], np.array([[2.333333], [0.666667]]), "cache['mean'] (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_cache["var"], np.array([[1.555556], [2.888889]]), "cache['var'] (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_out, np.array([[-2.038083, -0.434521, 2.772604], [-0.690289, -0.396116, 0.486405]]),
                      "out (worked example)", rtol=1e-6, atol=1e-6)
    print("worked example reproduced: mean", np.ravel(_cache["mean"]), "var", np.ravel(_cache["var"]))
    print("out =\n", np.asarray(_out))

    # 2. A large eps (so that where it goes shows), more units than examples, and a constant unit
    #    (variance 0: its output row is beta, not NaN).
    _rng = np.random.default_rng(101)
    _Z = _rng.standard_normal((5, 4)) * 3 + 1
    _Z[2] = 7.0
    _gamma, _beta = _rng.uniform(0.5, 2, (5, 1)), _rng.standard_normal((5, 1))
    _out, _ = _bn_forward_case(_Z, _gamma, _beta, 0.5, "(5, 4), eps 0.5, row 2 constant")
    assert np.allclose(np.asarray(_out)[2], _beta[2, 0]), "batchnorm_forward: a constant unit should give beta"

    # 3. A large mean and a small spread: the variance must come from the deviations.
    _Z = 1e4 + 1e-2 * _rng.standard_normal((3, 50))
    _bn_forward_case(_Z, np.ones((3, 1)), np.zeros((3, 1)), 1e-8, "(3, 50), mean 1e4, spread 1e-2, eps 1e-8")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_bn(Z, gamma, beta, eps):
        mean = Z.mean(axis=1, keepdims=True)
        var = ((Z - mean) ** 2).mean(axis=1, keepdims=True)
        Z_hat = (Z - mean) / np.sqrt(var + eps)
        return gamma * Z_hat + beta, Z_hat, mean, var

    _rng = np.random.default_rng(10001)
    _shapes = [(1, 2), (1, 7), (4, 2), (3, 3), (6, 10), (2, 64), (7, 5), (1, 3)]
    for _trial, (_n, _m) in enumerate(_shapes):
        _scale = [1.0, 1e3, 0.01, 20.0][_trial % 4]
        _Z = _rng.standard_normal((_n, _m)) * _scale + _rng.uniform(-10, 10) * _scale
        _gamma, _beta = _rng.uniform(-2, 2, (_n, 1)), _rng.standard_normal((_n, 1))
        _eps = float([1e-5, 1e-3, 0.1, 1e-8][_trial % 4])
        _saved = (_Z.copy(), _gamma.copy(), _beta.copy())
        _res = batchnorm_forward(_Z, _gamma, _beta, eps=_eps)
        _desc = f"Z of shape {(_n, _m)} and scale {_scale}, eps {_eps}"
        assert isinstance(_res, (tuple, list)) and len(_res) == 2, f"return (out, cache) ({_desc})"
        _want, _Z_hat, _mean, _var = _h_bn(_Z, _gamma, _beta, _eps)
        _out, _cache = _res
        assert np.asarray(_out).shape == (_n, _m) and np.allclose(_out, _want, rtol=1e-6, atol=1e-8), \
            f"wrong out ({_desc})"
        assert isinstance(_cache, dict), f"the cache must be a dict ({_desc})"
        for _key, _value in (("Z_hat", _Z_hat), ("mean", _mean), ("var", _var), ("gamma", _gamma)):
            assert _key in _cache and np.asarray(_cache[_key]).shape == _value.shape, f"cache[{_key!r}] shape ({_desc})"
            assert np.allclose(_cache[_key], _value, rtol=1e-6, atol=1e-8 * max(1.0, np.max(np.abs(_value)))), \
                f"cache[{_key!r}] is wrong ({_desc})"
        assert float(_cache["eps"]) == _eps, f"cache['eps'] must be the eps given ({_desc})"
        assert all(np.array_equal(a, b) for a, b in zip((_Z, _gamma, _beta), _saved)), f"an input was modified ({_desc})"
    # m = 2: every normalised row is close to (-1, +1) or (+1, -1).
    _Z = _rng.standard_normal((5, 2)) * 4
    _out, _cache = batchnorm_forward(_Z, np.ones((5, 1)), np.zeros((5, 1)))
    assert np.allclose(np.abs(_cache["Z_hat"]), 1, atol=1e-3), "with m = 2 every entry of Z_hat is close to +-1"
    # Two identical columns: variance 0, the output is beta, nothing is NaN.
    _Z = np.tile(_rng.standard_normal((3, 1)), (1, 2))
    _beta = _rng.standard_normal((3, 1))
    _out, _cache = batchnorm_forward(_Z, 2 * np.ones((3, 1)), _beta, eps=1e-5)
    assert np.all(np.isfinite(_out)) and np.allclose(_out, _beta), "identical columns: the output is beta"
    assert np.allclose(_cache["var"], 0), "identical columns: the variance is 0"
### END HIDDEN TESTS

check.passed("batchnorm_forward: each unit over the batch, biased variance, eps inside the square root.")

# %% [markdown]
# ### What normalisation does to a deep network's signals
#
# A network of 10 ReLU layers of 64 units reads 256 training digits. Its weights are He-initialised
# (notebook 05) times a *gain*: a gain of 1 is He's choice, and gains of 0.8 and 1.25 stand for the
# small drift that a few gradient steps cause. The left panel shows the standard deviation of each
# layer's activations without normalisation: any gain other than 1 compounds geometrically, by
# the factor gain$^l$. The right panel puts your `batchnorm_forward` (with $\gamma = 1$, $\beta = 0$)
# between every linear step and its ReLU: the curves lie on top of each other whatever the gain,
# because each layer's output no longer depends on the scale of its weights at all.

# %% tags=["demo"]
try:
    _X, _rng = data.load_digits(rng=np.random.default_rng(0))[0][:, :256], np.random.default_rng(5)
    _fig, _axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for _gain in (0.8, 1.0, 1.25):
        _Ws = [_rng.standard_normal((64, _n_in)) * _gain * np.sqrt(2 / _n_in) for _n_in in [64] * 10]
        for _ax, _use_bn in zip(_axes, (False, True)):
            _A, _stds = _X, []
            for _W in _Ws:
                _Zl = _W @ _A
                if _use_bn:
                    _Zl, _ = batchnorm_forward(_Zl, np.ones((64, 1)), np.zeros((64, 1)))
                _A = np.maximum(_Zl, 0)
                _stds.append(float(np.std(_A)))
            _ax.plot(range(1, 11), _stds, "o-", label=f"gain {_gain}")
    for _ax, _title in zip(_axes, ("no normalisation", "batch norm before every ReLU")):
        _ax.set(yscale="log", xlabel="layer l", title=_title, xticks=range(1, 11))
        _ax.grid(True, alpha=0.3)
        _ax.legend()
    _axes[0].set_ylabel("standard deviation of $A^{[l]}$")
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write batchnorm_forward above to see this plot.")


# %% [markdown]
# ## 2. The backward pass, derived on the graph
#
# Notebook 09 turned backpropagation into a rule that works on any computation: break it into small
# steps, each of which knows its own local derivative, then walk the steps backwards, multiplying
# by each local derivative and **adding** the contributions wherever a value was used more than
# once. Batch norm is a good test of that rule, because done by hand in one go it is easy to get
# wrong. Here it is as a graph of eight small steps. All of them work on whole arrays; the shapes
# are written in each box.

# %% tags=["demo"]
_nodes = {  # name: (x, y, label, shape, kind)
    "Z": (0.0, 1.0, "$Z$", "(n, m)", "input"),
    "mu": (1.6, 2.3, r"$\mu = \mathrm{mean}_j\, Z$", "(n, 1)", "op"),
    "D": (3.2, 1.0, r"$D = Z - \mu$", "(n, m)", "op"),
    "Q": (4.8, 2.3, r"$Q = D^2$", "(n, m)", "op"),
    "var": (6.4, 2.3, r"$\sigma^2 = \mathrm{mean}_j\, Q$", "(n, 1)", "op"),
    "s": (8.0, 2.3, r"$s = (\sigma^2 + \varepsilon)^{-1/2}$", "(n, 1)", "op"),
    "Z_hat": (8.0, 1.0, r"$\hat Z = D \odot s$", "(n, m)", "op"),
    "gamma": (8.0, -0.3, r"$\gamma$", "(n, 1)", "input"),
    "P": (9.6, 1.0, r"$P = \gamma \odot \hat Z$", "(n, m)", "op"),
    "beta": (9.6, -0.3, r"$\beta$", "(n, 1)", "input"),
    "out": (11.2, 1.0, r"$\mathrm{out} = P + \beta$", "(n, m)", "op"),
}
_edges = [("Z", "mu"), ("Z", "D"), ("mu", "D"), ("D", "Q"), ("Q", "var"), ("var", "s"), ("D", "Z_hat"),
          ("s", "Z_hat"), ("Z_hat", "P"), ("gamma", "P"), ("P", "out"), ("beta", "out")]
_fan_out = {("Z", "mu"), ("Z", "D"), ("D", "Q"), ("D", "Z_hat")}   # a value used twice
_broadcast = {("mu", "D"), ("s", "Z_hat"), ("gamma", "P"), ("beta", "out")}  # (n, 1) stretched to (n, m)

_fig, _ax = plt.subplots(figsize=(10.5, 3.4))
_boxes = {}
for _name, (_x, _y, _label, _shape, _kind) in _nodes.items():
    _boxes[_name] = _ax.text(_x, _y, _label + "\n" + _shape, ha="center", va="center", fontsize=10,
                             linespacing=1.5,
                             bbox=dict(boxstyle="round,pad=0.4", fc="0.88" if _kind == "input" else "white", ec="0.3"))
for (_a, _b) in _edges:
    (_xa, _ya, *_), (_xb, _yb, *_) = _nodes[_a], _nodes[_b]
    _ax.annotate("", xy=(_xb, _yb), xytext=(_xa, _ya),
                 arrowprops=dict(arrowstyle="-|>", color="C1" if (_a, _b) in _fan_out else "0.35",
                                 lw=2.2 if (_a, _b) in _fan_out else 1.2, mutation_scale=14,
                                 linestyle="--" if (_a, _b) in _broadcast else "-",
                                 patchA=_boxes[_a].get_bbox_patch(), patchB=_boxes[_b].get_bbox_patch()))
_ax.text(-0.6, -0.25, "orange: a value used twice:\nits gradients add up", ha="left", va="center", fontsize=9, color="C1")
_ax.text(2.6, -0.25, "dashed: an (n, 1) column broadcast over\nthe m columns: its gradient sums over axis=1", ha="left", va="center", fontsize=9, color="0.3")
_ax.set(xlim=(-0.7, 12.1), ylim=(-0.9, 2.9))
_ax.axis("off")
_ax.set_title("Batch norm as a graph of small steps (forward: along the arrows; backward: against them)", fontsize=10)
plt.tight_layout()
plt.show()

# %% [markdown]
# Two kinds of place need care on the way back; notebook 09 met both.
#
# - **A value used twice.** $Z$ feeds both $\mu$ and $D$; $D$ feeds both $Q = D^2$ and
#   $\hat Z = D \odot s$ (the orange arrows). The cost depends on $D$ through both paths, so
#   $\partial C / \partial D$ is the **sum** of the two contributions, and likewise for $Z$.
# - **Broadcasting.** $\mu$, $s$, $\gamma$ and $\beta$ are $(n, 1)$ columns that the forward pass
#   stretched over the $m$ columns (the dashed arrows). Each of their entries was used $m$ times,
#   once per example, so its gradient is the **sum over `axis=1`** of the $(n, m)$ gradient that
#   arrives. The two means go the other way: $\mu = \frac1m \sum_j Z_{ij}$ hands each $Z_{ij}$ the
#   same share, $\frac1m$ of the gradient of $\mu_i$, copied over the columns.
#
# **Notation.** Notebook 09 wrote $\bar X$ for $\partial C / \partial X$. From here on we write
# $dX$, as the code of notebooks 03 to 08 does (`dW`, `db`): $dX = \partial C / \partial X$, an
# array of the same shape as $X$, and `dout` is the gradient that arrives at the output. The cost
# is $C = \sum_{ij} d\text{out}_{ij}\,\text{out}_{ij}$, whose gradient with respect to `out` is `dout`
# (any cost would do: only `dout` reaches batch norm).

# %% [markdown]
# ### The graph's node table
#
# The forward pass, one node per row, in the order it runs:
#
# | node | computed as | shape | reads | read by |
# |---|---|---|---|---|
# | $\mu$ | $\frac1m \sum_j Z_{ij}$ | $(n, 1)$ | $Z$ | $D$ |
# | $D$ | $Z - \mu$ | $(n, m)$ | $Z$, $\mu$ (broadcast) | $Q$ and $\hat Z$ |
# | $Q$ | $D^2$, entry by entry | $(n, m)$ | $D$ | $\sigma^2$ |
# | $\sigma^2$ | $\frac1m \sum_j Q_{ij}$ | $(n, 1)$ | $Q$ | $s$ |
# | $s$ | $(\sigma^2 + \varepsilon)^{-1/2}$ | $(n, 1)$ | $\sigma^2$ | $\hat Z$ |
# | $\hat Z$ | $D \odot s$ | $(n, m)$ | $D$, $s$ (broadcast) | $P$ |
# | $P$ | $\gamma \odot \hat Z$ | $(n, m)$ | $\gamma$ (broadcast), $\hat Z$ | out |
# | out | $P + \beta$ | $(n, m)$ | $P$, $\beta$ (broadcast) | the cost |
#
# The inputs are read too: $Z$ by $\mu$ and by $D$ (twice, like $D$), $\gamma$ by $P$, $\beta$ by out.
#
# The backward pass reads this table from the bottom up. For each node, the gradient that has
# arrived at it is known (it was finished when the rows below it were done); its local derivative
# turns that into one contribution for each node it reads. The rules are those of notebook 09:
#
# - $Y = X + W$: $X$ gets $dY$; $\;Y = X - W$: $W$ gets $-dY$; $\;Y = X \odot W$: $X$ gets
#   $dY \odot W$, the **other** factor;
# - $Y = f(X)$ entry by entry: $X$ gets $dY \odot f'(X)$;
# - a column broadcast over the examples gets the sum over `axis=1` (`keepdims=True`) of what it
#   would get as an $(n, m)$ array; a mean over `axis=1` gives each of its $m$ entries $\frac1m$ of
#   the gradient, copied over the columns;
# - a node read by two nodes gets the **sum** of the two contributions, and it is finished only
#   when both have arrived.
#
# The last row, done for you: out $= P + \beta$ gives $dP = d\text{out}$, and $\beta$, broadcast,
# gets $d\beta = \sum_j d\text{out}_{ij}$, shape $(n, 1)$. The cell below computes the forward pass
# one node per line, and defines `central_differences` for checking any gradient you like (the
# test of the next exercise checks the gradient of every node that way).

# %%
def bn_forward_staged(Z, gamma, beta, eps):
    """Batch norm (training mode) one node of the table per line. Returns out and a dict of every node."""
    m = Z.shape[1]
    mu = np.sum(Z, axis=1, keepdims=True) / m          # (n, 1)
    D = Z - mu                                         # (n, m)  mu broadcast over the columns
    Q = D ** 2                                         # (n, m)
    var = np.sum(Q, axis=1, keepdims=True) / m         # (n, 1)
    s = (var + eps) ** -0.5                            # (n, 1)
    Z_hat = D * s                                      # (n, m)  s broadcast
    P = gamma * Z_hat                                  # (n, m)  gamma broadcast
    out = P + beta                                     # (n, m)  beta broadcast
    return out, {"mu": mu, "D": D, "Q": Q, "var": var, "s": s, "Z_hat": Z_hat, "P": P}


def central_differences(cost, x, h=1e-6):
    """Gradient of cost() with respect to every entry of the array x, by central differences
    (x is changed in place and restored entry by entry)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        up = cost()
        x[index] = saved - h
        down = cost()
        x[index] = saved
        grad[index] = (up - down) / (2 * h)
    return grad


# The worked example, node by node.
Z_ex = np.array([[1.0, 2.0, 4.0], [-1.0, 0.0, 3.0]])
gamma_ex, beta_ex = np.array([[2.0], [0.5]]), np.array([[0.1], [-0.2]])
dout_ex = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]])
out_staged, nodes_staged = bn_forward_staged(Z_ex, gamma_ex, beta_ex, 1e-5)
print("worked example: mean", nodes_staged["mu"].ravel(), " var", nodes_staged["var"].ravel(),
      " s", nodes_staged["s"].ravel())
print("out =\n", out_staged)

# %% [markdown]
# ### Exercise 2: `batchnorm_backward_staged` [2 points]
#
# Write the backward pass node by node: walk the table from the bottom up and write, for each
# node, the line (or two) that its local derivative gives, adding where a node is read twice.
# Keep one variable per node, named after it: `dP`, `dZ_hat`, `ds`, `dvar`, `dQ`, `dD`, `dmu`, and
# `dgamma`, `dbeta`, `dZ` for the inputs.
#
# The cache is the one `batchnorm_forward` returns: it holds $\hat Z$, $\sigma^2$, $\gamma$ and
# $\varepsilon$, but not $Z$, $D$ or $s$. Get the two you need back from it:
# $s = (\sigma^2 + \varepsilon)^{-1/2}$ and $D = \hat Z / s$. Return `(dZ, dgamma, dbeta)`, the
# same contract as `batchnorm_backward` below. Called with `return_nodes=True`, return
# `(dZ, dgamma, dbeta, node_grads)` instead, where `node_grads` holds the gradient of every
# intermediate node, each of the shape of its node; the option exists so that the test can check
# each node, not only the three gradients the contract returns:
#
# ```python
# node_grads = {"P": dP, "Z_hat": dZ_hat, "s": ds, "var": dvar, "Q": dQ, "D": dD, "mu": dmu}
# ```
#
# `dD` is the whole gradient of $D$, both of its uses added; `dQ` is $(n, m)$ like $Q$. The test
# compares every node with central differences of $C$ and names the first one, walking backwards,
# that disagrees. On the worked example, with
# $d\text{out} = \begin{pmatrix} 0.5 & -1 & 2 \\ 1 & 0 & -1 \end{pmatrix}$, you should get
#
# $$dZ = \begin{pmatrix} 1.374473 & -2.061725 & 0.687252 \\ 0.067887 & -0.090515 & 0.022628 \end{pmatrix},
# \quad d\gamma = \begin{pmatrix} 2.405343 \\ -2.353390 \end{pmatrix},
# \quad d\beta = \begin{pmatrix} 1.5 \\ 0 \end{pmatrix},$$
#
# and, on the way, $ds = (6, -2)$. Do not modify `dout` or the cache: `dP = dout` names the same
# array, so update nothing in place (`dZ_hat = dP * gamma`, not `dZ_hat = dP; dZ_hat *= gamma`).

# %% solution="batchnorm_backward_staged"
def batchnorm_backward_staged(dout, cache, return_nodes=False):
    """Backward pass of batchnorm_forward, one node of the graph's table at a time.

    Inputs:
        dout:         (n, m) gradient of the cost with respect to out
        cache:        {"Z_hat": (n, m), "mean": (n, 1), "var": (n, 1), "gamma": (n, 1), "eps": float}
        return_nodes: if True, also return node_grads (the test uses it to check every node)
    Returns:
        dZ:         (n, m) gradient of the cost with respect to Z
        dgamma:     (n, 1)
        dbeta:      (n, 1)
        node_grads: only with return_nodes=True: {"P": (n, m), "Z_hat": (n, m), "s": (n, 1),
                    "var": (n, 1), "Q": (n, m), "D": (n, m), "mu": (n, 1)}, the gradient of every
                    intermediate node
    """
    ### BEGIN SOLUTION
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    m = Z_hat.shape[1]
    s = (var + eps) ** -0.5
    D = Z_hat / s
    dP = dout                                          # out = P + beta
    dbeta = np.sum(dout, axis=1, keepdims=True)        #   beta broadcast: sum over the examples
    dZ_hat = dP * gamma                                # P = gamma * Z_hat
    dgamma = np.sum(dP * Z_hat, axis=1, keepdims=True)
    dD = dZ_hat * s                                    # Z_hat = D * s: first use of D
    ds = np.sum(dZ_hat * D, axis=1, keepdims=True)
    dvar = ds * -0.5 * (var + eps) ** -1.5             # s = (var + eps)^(-1/2)
    dQ = np.ones_like(D) * dvar / m                    # var = mean of Q: each entry gets 1/m
    dD = dD + 2 * D * dQ                               # Q = D^2: second use of D, added
    dmu = -np.sum(dD, axis=1, keepdims=True)           # D = Z - mu: mu broadcast, with the minus sign
    dZ = dD + np.ones_like(D) * dmu / m                # mu = mean of Z: second use of Z, added
    if not return_nodes:
        return dZ, dgamma, dbeta
    node_grads = {"P": dP, "Z_hat": dZ_hat, "s": ds, "var": dvar, "Q": dQ, "D": dD, "mu": dmu}
    return dZ, dgamma, dbeta, node_grads
    ### END SOLUTION


# %% test="batchnorm_backward_staged" points=2
# The caches and the central differences here are the test's own, so that this test depends on
# batchnorm_backward_staged alone.
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    _BACKWARD_ORDER = ("P", "beta", "Z_hat", "gamma", "s", "var", "Q", "D", "mu", "Z")
    _NODE_NAMES = ("P", "Z_hat", "s", "var", "Q", "D", "mu")
    _IN_PLACE_HINT = ("dP = dout is dout itself, and the cache's arrays are the caller's: compute every node's "
                      "gradient as a new array (dZ_hat = dP * gamma, D = Z_hat / s), never with *=, += or -= "
                      "on an array that came from dout or the cache")

    def _bn_cache(Z, gamma, eps):
        """The cache of batch norm in training mode, with exactly the five keys of the contract."""
        mean = np.mean(Z, axis=1, keepdims=True)
        var = np.mean((Z - mean) ** 2, axis=1, keepdims=True)
        return {"Z_hat": (Z - mean) / np.sqrt(var + eps), "mean": mean, "var": var, "gamma": gamma, "eps": eps}

    def _graph(Z, gamma, beta, eps, fixed=None):
        """Every node of the table in forward order; `fixed` {node: value} replaces a node, so that
        only the nodes after it are recomputed from it."""
        fixed, m = fixed or {}, Z.shape[1]
        v = {"Z": Z, "gamma": gamma, "beta": beta}
        for name, compute in (("mu", lambda: np.sum(v["Z"], axis=1, keepdims=True) / m),
                              ("D", lambda: v["Z"] - v["mu"]), ("Q", lambda: v["D"] ** 2),
                              ("var", lambda: np.sum(v["Q"], axis=1, keepdims=True) / m),
                              ("s", lambda: (v["var"] + eps) ** -0.5), ("Z_hat", lambda: v["D"] * v["s"]),
                              ("P", lambda: v["gamma"] * v["Z_hat"]), ("out", lambda: v["P"] + v["beta"])):
            v[name] = fixed[name] if name in fixed else compute()
        return v

    def _central_differences(Z, gamma, beta, eps, dout, h=1e-6):
        """dC/dnode of every node and input, C = sum(dout * out), by central differences."""
        base, grads = _graph(Z, gamma, beta, eps), {}
        for name in _BACKWARD_ORDER:
            grad = np.zeros_like(base[name])
            for index in np.ndindex(grad.shape):
                costs = []
                for step in (h, -h):
                    moved = base[name].copy()
                    moved[index] += step
                    inputs = {"Z": Z, "gamma": gamma, "beta": beta}
                    if name in inputs:
                        inputs[name] = moved
                    costs.append(np.sum(dout * _graph(inputs["Z"], inputs["gamma"], inputs["beta"], eps,
                                                      {} if name in ("Z", "gamma", "beta") else {name: moved})["out"]))
                grad[index] = (costs[0] - costs[1]) / (2 * h)
            grads[name] = grad
        return base, grads

    def _slips(v, r, dout, m):
        """For each node, wrong versions computed from the RIGHT gradients of the nodes after it, with
        what each one got wrong. v: the nodes' values, r: their right gradients."""
        ones = np.ones_like(v["D"])
        total = lambda x: np.sum(x, axis=1, keepdims=True)   # noqa: E731 - a sum over the examples
        return {
            "P": [(dout * v["gamma"], "dP = dout * gamma: out = P + beta hands dout to P unchanged; gamma comes "
                                      "in at the next node, P = gamma * Z_hat")],
            "beta": [(np.mean(dout, axis=1, keepdims=True), "dbeta is a mean over the examples: beta was broadcast, "
                                                            "its gradient is the SUM of dout over axis=1"),
                     (total(dout * v["Z_hat"]), "dbeta and dgamma are swapped: beta is added, so it gets the sum of dout")],
            "Z_hat": [(r["P"], "dZ_hat = dP: P = gamma * Z_hat, so Z_hat gets dP times the other factor, gamma"),
                      (r["P"] * v["Z_hat"], "dZ_hat = dP * Z_hat multiplies by Z_hat itself: Z_hat gets dP times "
                                            "the OTHER factor of P = gamma * Z_hat, gamma")],
            "gamma": [(total(r["P"]), "dgamma lacks Z_hat: P = gamma * Z_hat, so gamma gets dP times the other "
                                      "factor, Z_hat, summed over the examples"),
                      (np.mean(r["P"] * v["Z_hat"], axis=1, keepdims=True),
                       "dgamma is a mean over the examples: gamma was broadcast, its gradient is the SUM over axis=1"),
                      (total(r["Z_hat"] * v["Z_hat"]), "dgamma was multiplied by gamma itself: it is the sum of "
                                                       "dP times the other factor, Z_hat"),
                      (total(dout), "dgamma and dbeta are swapped: gamma multiplies Z_hat, so its sum carries Z_hat")],
            "s": [(total(r["Z_hat"] * v["Z_hat"]), "ds multiplies dZ_hat by Z_hat: Z_hat = D * s, so s gets dZ_hat "
                                                   "times the other factor, D (get it back as D = Z_hat / s)"),
                  (np.mean(r["Z_hat"] * v["D"], axis=1, keepdims=True),
                   "ds is a mean over the examples: s was broadcast, its gradient is the SUM over axis=1"),
                  (total(r["Z_hat"] * v["D"] * v["s"]), "ds has one factor s too many: s gets dZ_hat times D, summed"),
                  (total(r["Z_hat"] * v["Z_hat"] * v["s"]), "ds uses D = Z_hat * s: since Z_hat = D * s, D is "
                                                            "Z_hat / s")],
            "var": [(-r["s"] * -0.5 * (v["var"] + v["eps"]) ** -1.5, "dvar has the wrong sign: the derivative of "
                                                                    "(var + eps)^(-1/2) is -1/2 (var + eps)^(-3/2)"),
                    (r["s"] * -0.5 * (v["var"] + v["eps"]) ** -0.5, "dvar uses the power -1/2: the derivative of "
                                                                   "x^(-1/2) is -1/2 x^(-3/2)"),
                    (r["s"] * -0.5 * v["var"] ** -1.5, "eps is missing from dvar: the derivative of (var + eps)^(-1/2) "
                                                      "is taken at var + eps"),
                    (r["s"], "dvar = ds: multiply by the local derivative of s = (var + eps)^(-1/2)")],
            "Q": [(ones * r["var"], "dQ lacks the 1/m of the mean: var = (1/m) sum_j Q, so each Q_ij gets dvar / m"),
                  (ones * r["var"] / (m - 1), "dQ divides by m - 1: var is the biased variance, the mean of Q, so "
                                              "each Q_ij gets dvar / m"),
                  (ones * r["var"] * m, "dQ multiplies by m: each Q_ij gets dvar / m")],
            "D": [(r["Z_hat"] * v["s"], "dD has only the contribution of D's use in Z_hat = D * s: D is also read "
                                        "by Q = D^2 (an orange arrow), so add that contribution too"),
                  (2 * v["D"] * r["Q"], "dD has only the contribution through Q = D^2: add the one through "
                                        "Z_hat = D * s"),
                  (r["Z_hat"] * v["s"] + v["D"] * r["Q"], "the factor 2 is missing: the local derivative of Q = D^2 is 2 D"),
                  (r["Z_hat"] * v["s"] + 2 * r["Q"], "D is missing from the contribution through Q = D^2: its local "
                                                     "derivative is 2 D, times dQ"),
                  (r["Z_hat"] * v["s"] + 2 * v["Z_hat"] * r["Q"], "the contribution through Q uses Z_hat where it "
                                                                  "needs D = Z_hat / s"),
                  (r["Z_hat"] * v["s"] - 2 * v["D"] * r["Q"], "the contribution through Q = D^2 is ADDED, +2 D * dQ")],
            "mu": [(total(r["D"]), "dmu has the wrong sign: D = Z - mu, so mu gets -dD, summed over the examples"),
                   (-np.mean(r["D"], axis=1, keepdims=True),
                    "dmu is a mean over the examples: mu was broadcast, its gradient is the SUM of -dD over axis=1 "
                    "(the 1/m belongs to the next step, mu = mean of Z)")],
            "Z": [(r["D"], "Z is read twice (by mu and by D): dZ has only the contribution through D; add mu's, "
                           "1/m of dmu, copied over the columns"),
                  (r["D"] + ones * r["mu"], "the 1/m is missing: mu = (1/m) sum_j Z, so each Z_ij gets dmu / m"),
                  (r["D"] - ones * r["mu"] / m, "mu's share is ADDED (the minus sign of D = Z - mu is already in dmu)"),
                  (r["D"] + ones * r["mu"] / (m - 1), "mu is a mean over m examples: each Z_ij gets dmu / m, not / (m - 1)"),
                  (ones * r["mu"] / m, "dZ has only mu's share: add the contribution through D, dD")],
        }

    def _shape_problem(name, node, shape, want):
        column = want[1] == 1
        if column and len(shape) == 2 and shape[0] == want[0] and shape[1] > 1:
            return (f"{name} has shape {shape}: {node} is an (n, 1) column broadcast over the examples, so its "
                    "gradient is the sum over axis=1, keepdims=True")
        if column and len(shape) == 2 and shape[0] == 1 and want[0] > 1:
            return f"{name} has shape {shape}: it was summed over axis=0, the units; sum over the examples, axis=1"
        if column and shape in ((want[0],), ()):
            return f"{name} has shape {shape}: keep the (n, 1) column of {node} with keepdims=True"
        if not column and shape == (want[0], 1):
            return (f"{name} has shape {shape}: {node} is an (n, m) array, so is its gradient; copy the column "
                    "over the m columns (e.g. np.ones_like(Z_hat) * ...)")
        return f"{name} has shape {shape}, expected {want}, the shape of {node}"

    def _staged_case(Z, gamma, beta, eps, dout, label):
        cache = _bn_cache(Z, gamma, eps)
        try:
            got = check.check_not_mutated(batchnorm_backward_staged, dout, cache, hint=_IN_PLACE_HINT,
                                          return_nodes=True)
        except TypeError as err:
            if "return_nodes" not in str(err):
                raise
            raise AssertionError("batchnorm_backward_staged takes no argument return_nodes: keep the signature "
                                 "of the stub, (dout, cache, return_nodes=False)") from None
        except KeyError as err:
            raise AssertionError(f"batchnorm_backward_staged ({label}): the cache has no key {err}: it holds exactly "
                                 "'Z_hat', 'mean', 'var', 'gamma' and 'eps'; get s and D back from them") from None
        except ValueError as err:
            raise AssertionError(f"batchnorm_backward_staged ({label}): shapes do not fit ({err}); a sum over the "
                                 "examples needs keepdims=True to stay an (n, 1) column") from None
        assert isinstance(got, (tuple, list)) and len(got) == 4, (
            f"batchnorm_backward_staged ({label}): with return_nodes=True, return a tuple (dZ, dgamma, dbeta, "
            f"node_grads), got {type(got).__name__}{' of ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}")
        dZ, dgamma, dbeta, node_grads = got
        assert isinstance(node_grads, dict), (
            f"batchnorm_backward_staged ({label}): node_grads should be a dict, got {type(node_grads).__name__}")
        missing = [node for node in _NODE_NAMES if node not in node_grads]
        if missing:
            named_d = [node for node in missing if f"d{node}" in node_grads]
            raise AssertionError(f"batchnorm_backward_staged ({label}): node_grads lacks {missing} (it holds "
                                 f"{sorted(node_grads)})" + (f"; key each gradient by its node's name, "
                                                             f"{named_d[0]!r}, not 'd{named_d[0]}'" if named_d else ""))
        values, numeric = _central_differences(Z, gamma, beta, eps, dout)
        values["eps"] = eps
        m = Z.shape[1]
        # The right gradients, walking the table backwards (the test's own staged pass).
        right = {"P": dout, "beta": np.sum(dout, axis=1, keepdims=True)}
        right["Z_hat"], right["gamma"] = dout * gamma, np.sum(dout * values["Z_hat"], axis=1, keepdims=True)
        right["s"] = np.sum(right["Z_hat"] * values["D"], axis=1, keepdims=True)
        right["var"] = right["s"] * -0.5 * (values["var"] + eps) ** -1.5
        right["Q"] = np.ones_like(Z) * right["var"] / m
        right["D"] = right["Z_hat"] * values["s"] + 2 * values["D"] * right["Q"]
        right["mu"] = -np.sum(right["D"], axis=1, keepdims=True)
        right["Z"] = right["D"] + np.ones_like(Z) * right["mu"] / m
        slips = _slips(values, right, dout, m)
        yours = {**node_grads, "Z": dZ, "gamma": dgamma, "beta": dbeta}
        done = []
        for node in _BACKWARD_ORDER:
            where = {"Z": "dZ", "gamma": "dgamma", "beta": "dbeta"}.get(node, f"node_grads[{node!r}]")
            name = where if node in ("Z", "gamma", "beta") else f"{where} (d{node})"
            if yours[node] is None:
                raise AssertionError(f"{name} ({label}) is None: compute it from the table")
            shape = np.shape(yours[node])
            if shape != right[node].shape:
                raise AssertionError(f"{_shape_problem(name, node, shape, right[node].shape)} ({label})")
            value = np.asarray(yours[node], dtype=float)
            scale = max(1.0, float(np.max(np.abs(right[node]))))
            if not np.allclose(value, right[node], rtol=1e-6, atol=1e-9 * scale):
                for wrong, hint in slips[node]:
                    if not np.allclose(wrong, right[node], rtol=1e-6, atol=1e-9 * scale) \
                            and np.allclose(value, wrong, rtol=1e-6, atol=1e-9 * scale):
                        raise AssertionError(f"{name} ({label}): {hint}")
                worst = np.unravel_index(np.argmax(np.abs(value - numeric[node])), value.shape)
                index = tuple(int(i) for i in worst)
                after = f"Every node the backward walk reaches before it ({', '.join(done)}) agrees" if done else \
                    "It is the first node of the backward walk"
                raise AssertionError(
                    f"{name} ({label}) disagrees with central differences of C = sum(dout * out): at {index} "
                    f"you have {value[index]:.6g}, central differences give {numeric[node][index]:.6g}. {after}, "
                    f"so the slip is in the line(s) for {node}: which nodes does {node} read, and which read it?")
            done.append(node)
        # Called as the contract says, without return_nodes: the same three gradients, and only those.
        plain = check.check_not_mutated(batchnorm_backward_staged, dout, cache, hint=_IN_PLACE_HINT)
        if isinstance(plain, (tuple, list)) and len(plain) == 4:
            raise AssertionError(
                f"batchnorm_backward_staged(dout, cache) ({label}) returned 4 values: its contract is "
                "(dZ, dgamma, dbeta), like batchnorm_backward's; node_grads comes back only with return_nodes=True")
        assert isinstance(plain, (tuple, list)) and len(plain) == 3, (
            f"batchnorm_backward_staged(dout, cache) ({label}): return a tuple (dZ, dgamma, dbeta), got "
            f"{type(plain).__name__}{' of ' + str(len(plain)) if isinstance(plain, (tuple, list)) else ''}")
        for name, value, right in zip(("dZ", "dgamma", "dbeta"), plain, (dZ, dgamma, dbeta)):
            check.check_array(value, np.asarray(right, dtype=float),
                              f"{name} of batchnorm_backward_staged(dout, cache) ({label}), against the one it "
                              "returns with return_nodes=True (the option changes what is returned, not the values)")
        return yours, numeric

    # 1. The worked example.
    _Z = np.array([[1.0, 2.0, 4.0], [-1.0, 0.0, 3.0]])
    _gamma, _beta = np.array([[2.0], [0.5]]), np.array([[0.1], [-0.2]])
    _dout = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]])
    _yours, _numeric = _staged_case(_Z, _gamma, _beta, 1e-5, _dout, "the worked example")
    check.check_array(_yours["Z"], np.array([[1.374473, -2.061725, 0.687252], [0.067887, -0.090515, 0.022628]]),
                      "dZ (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_yours["gamma"], np.array([[2.405343], [-2.353390]]), "dgamma (worked example)",
                      rtol=1e-6, atol=1e-6)
    check.check_array(_yours["beta"], np.array([[1.5], [0.0]]), "dbeta (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_yours["s"], np.array([[6.0], [-2.0]]), "ds (worked example)", rtol=1e-6, atol=1e-6)
    print("worked example reproduced: dZ =\n", np.asarray(_yours["Z"]), "\ndgamma =", np.ravel(_yours["gamma"]),
          " dbeta =", np.ravel(_yours["beta"]))
    print("largest difference from central differences, node by node:")
    print("  ".join(f"{_node} {np.max(np.abs(np.asarray(_yours[_node], dtype=float) - _numeric[_node])):.0e}"
                    for _node in _BACKWARD_ORDER))

    # 2. More examples than units, a large eps.
    _rng = np.random.default_rng(107)
    _staged_case(_rng.standard_normal((3, 5)) * 2 + 1, _rng.uniform(0.5, 2, (3, 1)), _rng.standard_normal((3, 1)),
                 0.5, _rng.standard_normal((3, 5)), "(3, 5), eps 0.5")
    # 3. More units than examples, gamma of both signs.
    _staged_case(_rng.standard_normal((4, 3)) * 3, _rng.uniform(-2, 2, (4, 1)), _rng.standard_normal((4, 1)),
                 1e-3, _rng.standard_normal((4, 3)), "(4, 3), eps 0.001")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_staged(dout, cache):
        Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
        m, root = Z_hat.shape[1], np.sqrt(var + eps)
        D, dZ_hat = Z_hat * root, dout * gamma
        dvar = -0.5 * (dZ_hat * D).sum(axis=1, keepdims=True) / root ** 3
        dD = dZ_hat / root + 2 * D * dvar / m
        dmu = -dD.sum(axis=1, keepdims=True)
        nodes = {"P": dout, "Z_hat": dZ_hat, "s": (dZ_hat * D).sum(axis=1, keepdims=True), "var": dvar,
                 "Q": np.broadcast_to(dvar / m, D.shape), "D": dD, "mu": dmu}
        return (dD + dmu / m, (dout * Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True), nodes)

    def _h_cache(Z, gamma, eps):
        mean = Z.mean(axis=1, keepdims=True)
        var = ((Z - mean) ** 2).mean(axis=1, keepdims=True)
        return {"Z_hat": (Z - mean) / np.sqrt(var + eps), "mean": mean, "var": var, "gamma": gamma, "eps": eps}

    def _h_compare(got, want, desc):
        assert isinstance(got, (tuple, list)) and len(got) == 4, (
            f"with return_nodes=True, return (dZ, dgamma, dbeta, node_grads) ({desc})")
        assert isinstance(got[3], dict), f"node_grads must be a dict ({desc})"
        pairs = list(zip(("dZ", "dgamma", "dbeta"), got[:3], want[:3]))
        pairs += [(f"node_grads[{k!r}]", got[3].get(k), w) for k, w in want[3].items()]
        for name, value, right in pairs:
            assert value is not None, f"{name} is missing ({desc})"
            value = np.asarray(value, dtype=float)
            assert value.shape == right.shape, f"{name} has shape {value.shape}, expected {right.shape} ({desc})"
            assert np.allclose(value, right, rtol=1e-6, atol=1e-8 * max(1.0, float(np.max(np.abs(right))))), \
                f"{name} is wrong ({desc})"

    def _h_both(dout, cache, desc):
        """The call with return_nodes=True node by node, then the plain call: the contract's three values."""
        want = _h_staged(dout, cache)
        _h_compare(batchnorm_backward_staged(dout, cache, return_nodes=True), want, desc)
        plain = batchnorm_backward_staged(dout, cache)
        assert isinstance(plain, (tuple, list)) and len(plain) == 3, f"return (dZ, dgamma, dbeta) by default ({desc})"
        _h_compare((*plain, want[3]), want, f"{desc}, called without return_nodes")

    _rng = np.random.default_rng(10007)
    for _trial, (_n, _m) in enumerate([(1, 2), (4, 2), (1, 9), (3, 3), (5, 8), (2, 40), (7, 3), (1, 2)]):
        _scale = [1.0, 1e3, 0.01, 30.0][_trial % 4]
        _Z = _rng.standard_normal((_n, _m)) * _scale + _rng.uniform(-5, 5) * _scale
        _eps = float([1e-5, 0.1, 1e-3, 1e-8][_trial % 4])
        _cache = _h_cache(_Z, _rng.uniform(-2, 2, (_n, 1)), _eps)
        _dout = _rng.standard_normal((_n, _m)) * [1.0, 5.0][_trial % 2]
        _saved = (_dout.copy(), {k: np.array(v, copy=True) for k, v in _cache.items()})
        _desc = f"dout of shape {(_n, _m)}, Z of scale {_scale}, eps {_eps}"
        _h_both(_dout, _cache, _desc)
        assert np.array_equal(_dout, _saved[0]), f"dout was modified ({_desc})"
        assert all(np.array_equal(_cache[k], v) for k, v in _saved[1].items()), f"the cache was modified ({_desc})"
    # A constant unit gives finite gradients; a zero dout gives zero gradients.
    _cache = _h_cache(np.array([[2.0, 2.0, 2.0], [1.0, -1.0, 0.5]]), np.array([[1.5], [-0.5]]), 1e-5)
    _dout = np.array([[0.3, -0.2, 1.0], [0.0, 0.5, -1.0]])
    _h_both(_dout, _cache, "a constant unit")
    _h_both(np.zeros((2, 3)), _cache, "dout = 0")
### END HIDDEN TESTS

check.passed("batchnorm_backward_staged: every node's gradient agrees with central differences, "
             "both uses of D and of Z added.")


# %% [markdown]
# The staged pass agrees with central differences to about $10^{-9}$, the accuracy of the
# differences themselves. Try deleting the second contribution to `dD` or to `dZ` in your answer
# and running the test again: it names the node, which is the point of the orange arrows.

# %% [markdown]
# ### From eight steps to one expression
#
# The staged pass is correct but walks all eight steps and stores an array for each. Substituting
# its lines into each other gives one short expression for $dZ$ that needs only $\hat Z$,
# $\sigma^2$, $\gamma$, $\varepsilon$ and `dout`. Derive it on paper from your staged pass. Write
# $s_i = (\sigma_i^2 + \varepsilon)^{-1/2}$ and $d\hat Z = \gamma \odot d\text{out}$ (the gradient
# of $\hat Z$, from the row of $P$), and use $D_{ij} = \hat Z_{ij} / s_i$:
#
# 1. **$d\sigma^2$.** Your lines for $s$ and $\sigma^2$ give $d\sigma^2_i$ from $s_i$ and
#    $\sum_k d\hat Z_{ik} D_{ik}$. Replace $D$ by $\hat Z / s$: the result is a number times
#    $s_i^2 \sum_k d\hat Z_{ik} \hat Z_{ik}$. Which number?
# 2. **$dD$.** It has two contributions, one through $\hat Z$ and one through $Q$ (with
#    $dQ = d\sigma^2 / m$). Put step 1 into the second, replace $D$ by $\hat Z / s$ again, and
#    factor out $s_i$: $dD_{ij} = s_i\big(d\hat Z_{ij} - \hat Z_{ij} \cdot c_i\big)$, where $c_i$ is
#    a sum over row $i$ divided by $m$. Which sum?
# 3. **$d\mu$.** $d\mu_i = -\sum_j dD_{ij}$. One of the two terms of step 2 disappears in this sum:
#    which property of the rows of $\hat Z$ (the worked example of section 1 shows it) makes it
#    vanish?
# 4. **$dZ$.** Add $\mu$'s share, $d\mu_i / m$, to $dD_{ij}$ and put everything over the common
#    factor $\frac{1}{m\sqrt{\sigma_i^2 + \varepsilon}}$. Inside the bracket you should have
#    $m\, d\hat Z_{ij}$ and two terms, each with a sum over the examples.
#
# Three checks before you write the code: each row of $dZ$ sums to zero (steps 3 and 4 say why);
# on the worked example your expression gives the $dZ$ of Exercise 2; and the test below compares
# it with your staged pass.

# %% [markdown]
# ### Exercise 3: `batchnorm_backward` [2 points]
#
# Implement the expression you derived, with both sums over the examples (`axis=1`,
# `keepdims=True`), not the eight steps. Everything you need is in the cache that
# `batchnorm_forward` returns: `Z_hat`, `var`, `gamma` and `eps` (the mean is not needed, and `Z`
# itself is not stored). $d\gamma$ and $d\beta$ are those of your staged pass. Return
# `(dZ, dgamma, dbeta)` with shapes $(n, m)$, $(n, 1)$, $(n, 1)$. Here $m$ is the number of
# examples, `Z_hat.shape[1]`. This is the version the training loop of section 4 calls.

# %% solution="batchnorm_backward"
def batchnorm_backward(dout, cache):
    """Backward pass of batchnorm_forward, as one expression (the one you derived from the staged pass).

    Inputs:
        dout:  (n, m) gradient of the cost with respect to out
        cache: {"Z_hat": (n, m), "mean": (n, 1), "var": (n, 1), "gamma": (n, 1), "eps": float}
    Returns:
        dZ:     (n, m) gradient of the cost with respect to Z
        dgamma: (n, 1)
        dbeta:  (n, 1)
    """
    ### BEGIN SOLUTION
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    m = Z_hat.shape[1]
    dZ_hat = dout * gamma
    dZ = (m * dZ_hat - np.sum(dZ_hat, axis=1, keepdims=True)
          - Z_hat * np.sum(dZ_hat * Z_hat, axis=1, keepdims=True)) / (m * np.sqrt(var + eps))
    dgamma = np.sum(dout * Z_hat, axis=1, keepdims=True)
    dbeta = np.sum(dout, axis=1, keepdims=True)
    return dZ, dgamma, dbeta
    ### END SOLUTION


# %% test="batchnorm_backward" points=2
# The caches here are built by the test itself, not by your batchnorm_forward, so that this test
# depends on batchnorm_backward alone.
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _bn_cache(Z, gamma, eps):
        """The cache of batch norm in training mode, with exactly the five keys of the contract."""
        mean = np.mean(Z, axis=1, keepdims=True)
        var = np.mean((Z - mean) ** 2, axis=1, keepdims=True)
        return {"Z_hat": (Z - mean) / np.sqrt(var + eps), "mean": mean, "var": var, "gamma": gamma, "eps": eps}

    def _bn_numeric_dZ(dout, cache, frozen=(), ones_gamma=False, h=1e-5):
        """dC/dZ of C = sum(dout * out) by central differences, Z rebuilt from the cache. The statistics named
        in `frozen` ("mean", "var") keep their values, which cuts their paths; ones_gamma: gamma = 1."""
        Z = cache["Z_hat"] * np.sqrt(cache["var"] + cache["eps"]) + cache["mean"]
        gamma = np.ones_like(cache["gamma"]) if ones_gamma else cache["gamma"]

        def cost(Zv):
            mean = cache["mean"] if "mean" in frozen else np.mean(Zv, axis=1, keepdims=True)
            var = cache["var"] if "var" in frozen else np.mean((Zv - mean) ** 2, axis=1, keepdims=True)
            return np.sum(dout * gamma * (Zv - mean) / np.sqrt(var + cache["eps"]))

        grad = np.zeros_like(Z)
        for index in np.ndindex(Z.shape):
            up, down = Z.copy(), Z.copy()
            up[index] += h
            down[index] -= h
            grad[index] = (cost(up) - cost(down)) / (2 * h)
        return grad

    def _your_staged_dZ(dout, cache):
        """dZ of your batchnorm_backward_staged when it runs and is right here, else None."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dZ = np.asarray(batchnorm_backward_staged(dout, {k: np.copy(v) for k, v in cache.items()})[0],
                                dtype=float)
        except Exception:  # noqa: BLE001 - not written yet, or broken: the message then does without it
            return None
        return dZ if dZ.shape == dout.shape and np.allclose(dZ, _bn_numeric_dZ(dout, cache), rtol=1e-6, atol=1e-8) else None

    def _bn_backward_case(dout, cache, label, numeric=None):
        try:
            got = check.check_not_mutated(batchnorm_backward, dout, cache, hint=(
                "compute dZ, dgamma and dbeta as new arrays; dout and the cache's arrays belong to the caller "
                "(no *=, += or -= on them)"))
        except KeyError as err:
            raise AssertionError(f"batchnorm_backward ({label}): the cache has no key {err}: it holds exactly "
                                 "'Z_hat', 'mean', 'var', 'gamma' and 'eps'; compute what you need from those") from None
        except ValueError as err:
            raise AssertionError(f"batchnorm_backward ({label}): shapes do not fit ({err}); a sum over "
                                 "the examples needs keepdims=True to stay an (n, 1) column") from None
        assert isinstance(got, (tuple, list)) and len(got) == 3, (
            f"batchnorm_backward ({label}): return a tuple (dZ, dgamma, dbeta), got {type(got).__name__}")
        dZ, dgamma, dbeta = got
        Z_hat = cache["Z_hat"]
        n, m = Z_hat.shape
        want = (_bn_numeric_dZ(dout, cache), np.sum(dout * Z_hat, axis=1, keepdims=True),
                np.sum(dout, axis=1, keepdims=True))

        for name, value, right, other in (("dgamma", dgamma, want[1], dout * Z_hat), ("dbeta", dbeta, want[2], dout)):
            if value is None:
                continue  # check_array below says what is missing
            shape = np.shape(value)
            if shape == (1, m) and n != 1:
                raise AssertionError(f"{name} ({label}) has shape {shape}: sum over the examples, axis=1, not "
                                     f"axis=0; there is one {name[1:]} per unit, shape ({n}, 1)")
            if shape == (n,):
                raise AssertionError(f"{name} ({label}) has shape {shape}: keep it a column of shape ({n}, 1) "
                                     "with keepdims=True, the shape of the parameter it belongs to")
            if shape == () and n > 1:
                raise AssertionError(f"{name} ({label}) is a single number: sum over axis=1 only, "
                                     f"keepdims=True, giving shape ({n}, 1)")
            if shape == (n, 1) and not np.allclose(value, right):
                if np.allclose(value, np.mean(other, axis=1, keepdims=True)):
                    raise AssertionError(f"{name} ({label}) is a mean over the examples: it is a SUM "
                                         "(dout already carries the 1/m of the cost)")
                swapped = np.shape(dgamma) == np.shape(dbeta) == (n, 1) and np.allclose(dgamma, want[2]) \
                    and np.allclose(dbeta, want[1])
                if swapped:
                    raise AssertionError(f"{name} ({label}): dgamma and dbeta are swapped: "
                                         "dgamma = sum(dout * Z_hat), dbeta = sum(dout)")
                if name == "dgamma" and np.allclose(value, want[2]):
                    raise AssertionError(f"dgamma ({label}) lacks Z_hat: P = gamma * Z_hat, so gamma gets dout "
                                         "times the other factor, Z_hat, summed over the examples")
                if name == "dbeta" and np.allclose(value, want[1]):
                    raise AssertionError(f"dbeta ({label}) carries Z_hat: beta is added, so it gets dout alone, "
                                         "summed over the examples")
                if name == "dgamma" and np.allclose(value, np.sum(dout * Z_hat * cache["gamma"], axis=1, keepdims=True)):
                    raise AssertionError(f"dgamma ({label}) was multiplied by gamma: it is the one of your staged "
                                         "pass, the sum over the examples of dout times the other factor of P, Z_hat")
        check.check_array(dgamma, want[1], f"dgamma ({label})")
        check.check_array(dbeta, want[2], f"dbeta ({label})")

        check.check_shape(dZ, (n, m), f"dZ ({label})")
        value = np.asarray(dZ, dtype=float)
        if not np.allclose(value, want[0], rtol=1e-6, atol=1e-8):
            # Each usual slip, built from derivatives of the forward pass with a path cut (no backward formula here):
            # the mean and the variance each add one term to the constant-statistics gradient.
            sd = np.sqrt(cache["var"] + cache["eps"])
            right, constant = want[0], dout * cache["gamma"] / sd
            no_variance_path = _bn_numeric_dZ(dout, cache, frozen=("var",))
            variance_term = constant - _bn_numeric_dZ(dout, cache, frozen=("mean",))
            for wrong, hint in [
                (constant,
                 "dZ = dout * gamma / sqrt(var + eps) treats the mean and the variance as constants; they "
                 "depend on every example of the batch, and each of their paths adds a term (steps 2 and 3 of "
                 "the derivation)"),
                (no_variance_path,
                 "the path through the variance is missing: the term that step 2 brings from D's use in Q"),
                (constant - variance_term, "the path through the mean is missing: mu's share of dZ (steps 3 and 4)"),
                (no_variance_path + variance_term, "the term through the variance has the wrong sign: redo step 1 "
                                                   "(the derivative of (var + eps)^(-1/2) is negative)"),
                (no_variance_path - sd ** 2 * variance_term,
                 "the term through the variance uses D = Z_hat * sqrt(var + eps) where the expression has "
                 "Z_hat: with D, both of its factors are off by sqrt(var + eps) (steps 1 and 2)"),
                (_bn_numeric_dZ(dout, cache, ones_gamma=True), "gamma is missing: the gradient of Z_hat is dout * gamma"),
                (constant - (constant - right) * m / n, f"the count is m = {m}, the number of examples (Z_hat.shape[1]), "
                                                        f"not the number of units {n}" + (
                                                            " nor m - 1: the mean and the biased variance divide by m"
                                                            if n == m - 1 else "")),
                (constant - (constant - right) * m / (m - 1), "the count is m, not m - 1: the mean and the biased "
                                                              "variance both divide by m"),
                (right * m, "the factor 1/m in front is missing"),
                (right / sd, "it divides by var + eps: the factor in front has the standard deviation, np.sqrt(var + eps)"),
                (right * sd / np.sqrt(cache["var"]), "eps is missing: divide by np.sqrt(var + eps)"),
            ]:
                if not np.allclose(wrong, want[0], rtol=1e-6, atol=1e-8) and np.allclose(value, wrong, rtol=1e-6, atol=1e-8):
                    raise AssertionError(f"dZ ({label}): {hint}")
            staged = _your_staged_dZ(dout, cache)
            if staged is not None:
                worst = np.unravel_index(np.argmax(np.abs(value - staged)), staged.shape)
                index = tuple(int(i) for i in worst)
                raise AssertionError(
                    f"dZ ({label}) disagrees with your batchnorm_backward_staged, which is right here: at {index} "
                    f"you have {value[index]:.6g}, the staged pass {staged[index]:.6g}. A step of the derivation "
                    "lost or changed a term: redo it on the worked example, one step at a time")
            if numeric is not None and not np.allclose(value, numeric, rtol=1e-5, atol=1e-6):
                raise AssertionError(f"dZ ({label}) disagrees with central differences of sum(dout * out): "
                                     "check each step of your derivation against your staged pass")
        check.check_array(dZ, want[0], f"dZ ({label})")
        return got

    # 1. The worked example.
    _Z = np.array([[1.0, 2.0, 4.0], [-1.0, 0.0, 3.0]])
    _dout = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]])
    _cache = _bn_cache(_Z, np.array([[2.0], [0.5]]), 1e-5)
    _dZ, _dgamma, _dbeta = _bn_backward_case(_dout, _cache, "the worked example")
    check.check_array(_dZ, np.array([[1.374473, -2.061725, 0.687252], [0.067887, -0.090515, 0.022628]]),
                      "dZ (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_dgamma, np.array([[2.405343], [-2.353390]]), "dgamma (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_dbeta, np.array([[1.5], [0.0]]), "dbeta (worked example)", rtol=1e-6, atol=1e-6)
    print("worked example reproduced:\ndZ =\n", np.asarray(_dZ), "\ndgamma =", np.ravel(_dgamma), " dbeta =", np.ravel(_dbeta))

    # 2. More examples than units, a large eps, checked against central differences of sum(dout * out).
    _rng = np.random.default_rng(102)
    _Z = _rng.standard_normal((3, 7)) * 2 + 1
    _gamma, _beta = _rng.uniform(0.5, 2, (3, 1)), _rng.standard_normal((3, 1))
    _dout = _rng.standard_normal((3, 7))
    _cache = _bn_cache(_Z, _gamma, 0.5)

    def _cost(Z):
        c = _bn_cache(Z, _gamma, 0.5)
        return float(np.sum(_dout * (_gamma * c["Z_hat"] + _beta)))

    _numeric = np.zeros_like(_Z)
    for _index in np.ndindex(_Z.shape):
        _up, _down = _Z.copy(), _Z.copy()
        _up[_index] += 1e-6
        _down[_index] -= 1e-6
        _numeric[_index] = (_cost(_up) - _cost(_down)) / 2e-6
    _dZ, _, _ = _bn_backward_case(_dout, _cache, "(3, 7), eps 0.5", numeric=_numeric)
    assert np.allclose(np.sum(np.asarray(_dZ), axis=1), 0, atol=1e-10), "dZ: every row of dZ should sum to 0"

    # 3. More units than examples.
    _Z = _rng.standard_normal((6, 4))
    _bn_backward_case(_rng.standard_normal((6, 4)), _bn_cache(_Z, _rng.uniform(-2, 2, (6, 1)), 1e-5), "(6, 4)")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_cache(Z, gamma, eps):
        mean = Z.mean(axis=1, keepdims=True)
        var = ((Z - mean) ** 2).mean(axis=1, keepdims=True)
        return {"Z_hat": (Z - mean) / np.sqrt(var + eps), "mean": mean, "var": var, "gamma": gamma, "eps": eps}

    def _h_backward(dout, cache):
        Z_hat, var, eps = cache["Z_hat"], cache["var"], cache["eps"]
        m = Z_hat.shape[1]
        g = dout * cache["gamma"]
        dZ = (m * g - g.sum(axis=1, keepdims=True) - Z_hat * (g * Z_hat).sum(axis=1, keepdims=True)) / (m * np.sqrt(var + eps))
        return dZ, (dout * Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)

    _rng = np.random.default_rng(10002)
    for _trial, (_n, _m) in enumerate([(1, 2), (4, 2), (1, 9), (3, 3), (5, 8), (2, 40), (7, 3), (1, 2)]):
        _scale = [1.0, 1e3, 0.01, 30.0][_trial % 4]
        _Z = _rng.standard_normal((_n, _m)) * _scale + _rng.uniform(-5, 5) * _scale
        _gamma = _rng.uniform(-2, 2, (_n, 1))
        _eps = float([1e-5, 0.1, 1e-3, 1e-8][_trial % 4])
        _cache = _h_cache(_Z, _gamma, _eps)
        _dout = _rng.standard_normal((_n, _m)) * [1.0, 5.0][_trial % 2]
        _saved = (_dout.copy(), {k: np.array(v, copy=True) for k, v in _cache.items()})
        _res = batchnorm_backward(_dout, _cache)
        _desc = f"dout of shape {(_n, _m)}, Z of scale {_scale}, eps {_eps}"
        assert isinstance(_res, (tuple, list)) and len(_res) == 3, f"return (dZ, dgamma, dbeta) ({_desc})"
        for _name, _got, _want in zip(("dZ", "dgamma", "dbeta"), _res, _h_backward(_dout, _cache)):
            _got = np.asarray(_got, dtype=float)
            assert _got.shape == _want.shape, f"{_name} has shape {_got.shape}, expected {_want.shape} ({_desc})"
            assert np.allclose(_got, _want, rtol=1e-6, atol=1e-8 * max(1.0, float(np.max(np.abs(_want))))), \
                f"{_name} is wrong ({_desc})"
        assert np.array_equal(_dout, _saved[0]), f"dout was modified ({_desc})"
        assert all(np.array_equal(_cache[k], v) for k, v in _saved[1].items()), f"the cache was modified ({_desc})"
    # A zero dout gives zero gradients; a constant unit gives a finite dZ.
    _cache = _h_cache(np.array([[2.0, 2.0, 2.0], [1.0, -1.0, 0.5]]), np.array([[1.5], [-0.5]]), 1e-5)
    _dout = np.array([[0.3, -0.2, 1.0], [0.0, 0.5, -1.0]])
    _res = batchnorm_backward(_dout, _cache)
    assert all(np.all(np.isfinite(np.asarray(r))) for r in _res), "a constant unit must give finite gradients"
    assert all(np.allclose(a, b) for a, b in zip(_res, _h_backward(_dout, _cache))), "wrong gradients with a constant unit"
    _res = batchnorm_backward(np.zeros((2, 3)), _cache)
    assert all(np.allclose(r, 0) for r in _res), "dout = 0 must give zero gradients"
### END HIDDEN TESTS

check.passed("batchnorm_backward: both paths (through the mean and the variance), sums over the examples.")

# %% [markdown]
# **What the expression says.** Inside the bracket, $m\, d\hat Z$ divided by $m\sqrt{\sigma^2 +
# \varepsilon}$ is the naive gradient $d\hat Z / \sqrt{\sigma^2 + \varepsilon}$, the one you would
# get by treating $\mu$ and $\sigma^2$ as constants. The path through $\mu$ subtracts its mean over
# the batch, exactly, so each row of $dZ$ sums to zero: shifting a whole row of $Z$ does nothing to
# $\hat Z$. The path through $\sigma^2$ subtracts a multiple of $\hat Z$: the fraction
# $\sigma_i^2 / (\sigma_i^2 + \varepsilon)$ of the naive gradient's component along $\hat Z$ (use
# $\sum_j \hat Z_{ij}^2 = m\,\sigma_i^2 / (\sigma_i^2 + \varepsilon)$). Only at $\varepsilon = 0$ is
# that the whole component, and $dZ$ exactly orthogonal to $\hat Z$: with $\varepsilon > 0$,
# stretching a row of $Z$ does change $\hat Z$ a little, because $D / \sqrt{\sigma^2 + \varepsilon}$
# grows with the stretch, so the gradient keeps a part along $\hat Z$. The share that
# stays is $\varepsilon / (\sigma_i^2 + \varepsilon)$: below $7 \times 10^{-6}$ in the worked
# example, but half or more for a unit whose variance is no larger than $\varepsilon$.

# %% [markdown]
# ### Written question 1: the bias before batch norm [2 points, graded by hand]
#
# In a layer $\text{BN}\big(W^{[l]} A^{[l-1]} + b^{[l]}\big)$, what does the bias $b^{[l]}$ change
# in the output of batch norm, and what does gradient descent do to it? Use the forward formulas,
# and the fact that every row of $dZ$ sums to zero. Which parameter takes over its job? Three or
# four sentences.

# %% [markdown] answer="bias_before_batchnorm" points=2
# ### BEGIN SOLUTION
# **Model answer.** The bias adds the same number $b_i$ to every example in row $i$ of $Z$, so the
# batch mean $\mu_i$ grows by exactly $b_i$ and $Z - \mu$ is unchanged; the variance is unchanged
# too. The output of batch norm, and with it the cost, does not depend on $b$ at all. Accordingly
# its gradient is $db_i = \sum_j dZ_{ij} = 0$ (the rows of $dZ$ sum to zero), so gradient descent
# never moves it: it is a wasted parameter (and a wasted addition). The shift it was meant to
# provide is provided by $\beta$, which is applied after the normalisation, so layers followed by
# batch norm are usually built without a bias.
#
# **Rubric.**
# - [1 point] $b$ shifts the batch mean by the same amount, so it cancels in $Z - \mu$ (variance unchanged): the output does not depend on $b$, its gradient (the row sum of $dZ$) is zero
# - [1 point] $\beta$ takes over the role of the shift, so the bias can be dropped (no loss of expressiveness)
# ### END SOLUTION

# %% [markdown]
# ## 3. Training mode and inference mode
#
# In training, batch norm standardises each unit with the statistics of the batch at hand. That
# cannot be the rule once the network is trained and used:
#
# - **One example alone.** With $m = 1$, every unit's mean is the example's own value, so
#   $Z - \mu = 0$ and the output is $\gamma \cdot 0 + \beta = \beta$ whatever the input: the
#   network answers the same thing for every image.
# - **An example in company.** With several examples the output for one of them depends on which
#   others happen to share its batch. A prediction should be a function of its own input only.
#
# The cell below shows both with your `batchnorm_forward`: first two columns of the worked example's
# $Z$ on their own, then its column 0 in two different batches of three.

# %% tags=["demo"]
try:
    print("column 0 alone:               ", np.ravel(batchnorm_forward(Z_ex[:, [0]], gamma_ex, beta_ex)[0]),
          " = beta", np.ravel(beta_ex))
    print("column 1 alone:               ", np.ravel(batchnorm_forward(Z_ex[:, [1]], gamma_ex, beta_ex)[0]))
    _other = np.array([[1.0, 6.0, -3.0], [-1.0, 2.0, 2.0]])   # the same first column, other company
    print("column 0 in the batch Z_ex:   ", batchnorm_forward(Z_ex, gamma_ex, beta_ex)[0][:, 0])
    print("column 0 in another batch:    ", batchnorm_forward(_other, gamma_ex, beta_ex)[0][:, 0])
except NotImplementedError:
    print("Write batchnorm_forward above to run this cell.")

# %% [markdown]
# ### Running averages
#
# The fix: during training, keep for every unit a running estimate of the mean and the variance
# that the batches have shown, and at inference time normalise with those fixed numbers. The
# usual estimate is an exponential moving average, updated after every training step with the
# batch's `mean` and `var` (the ones in the cache):
#
# $$\mu_{\text{run}} \leftarrow \rho\, \mu_{\text{run}} + (1 - \rho)\, \mu_{\text{batch}}, \qquad
# \sigma^2_{\text{run}} \leftarrow \rho\, \sigma^2_{\text{run}} + (1 - \rho)\, \sigma^2_{\text{batch}},$$
#
# where the *momentum* $\rho$ (0.9 here) says how much of the old estimate to keep. The estimate
# forgets a batch by a factor $\rho$ per step, so it averages over roughly the last $1/(1 - \rho) =
# 10$ batches. The estimates start at $\mu_{\text{run}} = 0$ and $\sigma^2_{\text{run}} = 1$.
# Libraries differ in what they call momentum: Keras's `momentum=0.99` is our $\rho$, while
# PyTorch's `momentum=0.1` is our $1 - \rho$, the weight of the **new** batch. (PyTorch also
# stores the unbiased variance in its running estimate; we keep the biased one throughout.)
#
# At inference every unit then computes a fixed affine function of its input, of the form
# $a_i Z_{ij} + c_i$ with two constants $a_i$, $c_i$ per unit:
#
# $$\text{out} = \gamma\, \frac{Z - \mu_{\text{run}}}{\sqrt{\sigma^2_{\text{run}} + \varepsilon}} + \beta,$$
#
# the same for any batch size, one example included.

# %% [markdown]
# ### Exercise 4: `update_running_stats` [1 point]
#
# Return the two new estimates as **new** arrays (do not update `running_mean` in place with `*=`
# or `+=`: the caller may still need the old values).

# %% solution="update_running_stats"
def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    """One step of the exponential moving averages of batch norm's statistics.

    Inputs:
        running_mean, running_var: (n, 1) the current estimates
        batch_mean, batch_var:     (n, 1) this batch's mean and (biased) variance
        momentum:                  float in [0, 1], the weight of the OLD estimate
    Returns:
        (running_mean, running_var), new (n, 1) arrays: momentum * running + (1 - momentum) * batch
    """
    ### BEGIN SOLUTION
    new_mean = momentum * running_mean + (1 - momentum) * batch_mean
    new_var = momentum * running_var + (1 - momentum) * batch_var
    return new_mean, new_var
    ### END SOLUTION


# %% test="update_running_stats" points=1
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _running_case(running_mean, running_var, batch_mean, batch_var, momentum, label):
        args = (running_mean, running_var, batch_mean, batch_var) + (() if momentum is None else (momentum,))
        got = check.check_not_mutated(update_running_stats, *args, hint=(
            "build the new estimates as new arrays, momentum * running_mean + (1 - momentum) * batch_mean (and "
            "the same for the variance), instead of updating running_mean or running_var with *= or +=: the "
            "caller still holds the old estimates"))
        rho = 0.9 if momentum is None else momentum
        assert isinstance(got, (tuple, list)) and len(got) == 2, (
            f"update_running_stats ({label}): return a tuple (running_mean, running_var), got {type(got).__name__}")
        want = (rho * running_mean + (1 - rho) * batch_mean, rho * running_var + (1 - rho) * batch_var)
        for name, value, right, old, new in zip(("running_mean", "running_var"), got, want,
                                                (running_mean, running_var), (batch_mean, batch_var)):
            check.check_shape(value, right.shape, f"{name} ({label})")
            value = np.asarray(value, dtype=float)
            if np.allclose(value, right):
                continue
            for wrong, hint in [
                ((1 - rho) * old + rho * new, f"the weights are swapped: momentum ({rho}) multiplies the OLD "
                                              "running estimate and 1 - momentum the new batch"),
                (new, "you returned the batch's statistics: blend them into the running estimate"),
                (old, "the running estimate did not change: add (1 - momentum) * batch"),
                (rho * old + new, "the batch's share needs the factor (1 - momentum)"),
                (want[1] if name == "running_mean" else want[0],
                 "the two results are swapped: return (running_mean, running_var)"),
                (rho * old + (1 - rho) * (batch_var if name == "running_mean" else batch_mean),
                 "it blends in the other statistic of the batch: the mean with batch_mean, the variance with "
                 "batch_var"),
                (rho * old + (1 - rho) * np.sqrt(new), "it blends in the square root of the batch's statistic: "
                                                       "the running variance averages batch_var itself"),
            ]:
                if not np.allclose(wrong, right) and np.allclose(value, wrong):
                    raise AssertionError(f"{name} ({label}): {hint}")
            check.check_array(value, right, f"{name} ({label})")
        return got

    # 1. Small numbers: 0.9 * 0 + 0.1 * 2 = 0.2, 0.9 * 1 + 0.1 * (-1) = 0.8, 0.9 * 1 + 0.1 * 4 = 1.3, ...
    _got = _running_case(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]),
                         np.array([[2.0], [-1.0]]), np.array([[4.0], [0.5]]), None, "default momentum 0.9")
    check.check_array(_got[0], np.array([[0.2], [0.8]]), "running_mean (default momentum 0.9)")
    check.check_array(_got[1], np.array([[1.3], [0.95]]), "running_var (default momentum 0.9)")
    # 2. Another momentum, more units.
    _rng = np.random.default_rng(103)
    _running_case(_rng.standard_normal((4, 1)), _rng.uniform(0.5, 2, (4, 1)), _rng.standard_normal((4, 1)),
                  _rng.uniform(0.5, 2, (4, 1)), 0.75, "4 units, momentum 0.75")
    # 3. Many steps of the same batch statistics converge to them.
    _mean, _var = np.zeros((2, 1)), np.ones((2, 1))
    for _ in range(200):
        _mean, _var = update_running_stats(_mean, _var, np.array([[3.0], [-1.0]]), np.array([[0.25], [4.0]]))
    check.check_array(_mean, np.array([[3.0], [-1.0]]), "running_mean after 200 identical batches", rtol=1e-6)
    check.check_array(_var, np.array([[0.25], [4.0]]), "running_var after 200 identical batches", rtol=1e-6)

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(10003)
    for _trial in range(8):
        _n = [1, 3, 7, 2, 1, 5, 4, 10][_trial]
        _arrays = [_rng.standard_normal((_n, 1)) * 10, _rng.uniform(0.01, 5, (_n, 1)),
                   _rng.standard_normal((_n, 1)) * 10, _rng.uniform(0.01, 5, (_n, 1))]
        _saved = [a.copy() for a in _arrays]
        _momentum = [None, 0.0, 1.0, 0.5, 0.99, 0.9, 0.3, 0.999][_trial]
        _res = update_running_stats(*_arrays) if _momentum is None else update_running_stats(*_arrays, momentum=_momentum)
        _rho = 0.9 if _momentum is None else _momentum
        _desc = f"{_n} units, momentum {_momentum}"
        assert isinstance(_res, (tuple, list)) and len(_res) == 2, f"return (running_mean, running_var) ({_desc})"
        for _got, _old, _new in zip(_res, _arrays[:2], _arrays[2:]):
            _got = np.asarray(_got, dtype=float)
            assert _got.shape == (_n, 1), f"wrong shape {_got.shape} ({_desc})"
            assert np.allclose(_got, _rho * _old + (1 - _rho) * _new, rtol=1e-10, atol=1e-12), f"wrong estimate ({_desc})"
        assert all(np.array_equal(a, b) for a, b in zip(_arrays, _saved)), f"an input was modified ({_desc})"
        assert _res[0] is not _arrays[0] and _res[1] is not _arrays[1], f"return new arrays ({_desc})"
### END HIDDEN TESTS

check.passed("update_running_stats: momentum on the old estimate, 1 - momentum on the new batch.")

# %% [markdown]
# ### Exercise 5: `batchnorm_inference` [1 point]
#
# Normalise `Z` with the **running** statistics, `running_mean` and `running_var` (both $(n, 1)$),
# then scale and shift: $\gamma\,(Z - \mu_{\text{run}}) / \sqrt{\sigma^2_{\text{run}} + \varepsilon} +
# \beta$. Compute no statistics of the batch `Z` (no mean, no variance): the result for each column
# must not depend on the other columns, and $m = 1$ must work.

# %% solution="batchnorm_inference"
def batchnorm_inference(Z, gamma, beta, running_mean, running_var, eps=1e-5):
    """Batch normalisation at inference time, with the running statistics.

    Inputs:
        Z:            (n, m) pre-activations (any m >= 1)
        gamma, beta:  (n, 1) learned scale and shift
        running_mean: (n, 1) running estimate of each unit's mean
        running_var:  (n, 1) running estimate of each unit's variance
        eps:          float > 0, inside the square root
    Returns:
        out: (n, m) = gamma * (Z - running_mean) / sqrt(running_var + eps) + beta
    """
    ### BEGIN SOLUTION
    return gamma * (Z - running_mean) / np.sqrt(running_var + eps) + beta
    ### END SOLUTION


# %% test="batchnorm_inference" points=1
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _inference_case(Z, gamma, beta, running_mean, running_var, eps, label):
        args = (Z, gamma, beta, running_mean, running_var) + (() if eps is None else (eps,))
        got = check.check_not_mutated(batchnorm_inference, *args)
        e = 1e-5 if eps is None else eps
        want = gamma * (Z - running_mean) / np.sqrt(running_var + e) + beta
        check.check_shape(got, Z.shape, f"batchnorm_inference ({label})")
        value = np.asarray(got, dtype=float)
        if not np.allclose(value, want, rtol=1e-6, atol=1e-8):
            batch_mean = np.mean(Z, axis=1, keepdims=True)
            batch_var = np.mean((Z - batch_mean) ** 2, axis=1, keepdims=True)
            for wrong, hint in [
                (gamma * (Z - batch_mean) / np.sqrt(batch_var + e) + beta,
                 "that is training mode: it normalises with the batch's own mean and variance; "
                 "at inference use running_mean and running_var"),
                (gamma * (Z - batch_mean) / np.sqrt(running_var + e) + beta,
                 "the mean comes from the batch: subtract running_mean"),
                (gamma * (Z - running_mean) / np.sqrt(batch_var + e) + beta,
                 "the variance comes from the batch: use running_var"),
                (gamma * (Z - running_mean) / (np.sqrt(running_var) + e) + beta,
                 "eps is outside the square root: divide by np.sqrt(running_var + eps)"),
                (gamma * (Z - running_mean) / (running_var + e) + beta,
                 "divided by the variance: divide by its square root, np.sqrt(running_var + eps)"),
                ((Z - running_mean) / np.sqrt(running_var + e),
                 "gamma and beta are missing: out = gamma * Z_hat + beta"),
                (beta * (Z - running_mean) / np.sqrt(running_var + e) + gamma,
                 "gamma and beta are swapped"),
            ]:
                if not np.allclose(wrong, want, rtol=1e-6, atol=1e-8) and np.allclose(value, wrong, rtol=1e-6, atol=1e-8):
                    raise AssertionError(f"batchnorm_inference ({label}): {hint}")
        check.check_array(got, want, f"batchnorm_inference ({label})")
        return got

    # 1. The worked example's Z with running statistics that differ from its own.
    _Z = np.array([[1.0, 2.0, 4.0], [-1.0, 0.0, 3.0]])
    _gamma, _beta = np.array([[2.0], [0.5]]), np.array([[0.1], [-0.2]])
    _run_mean, _run_var = np.array([[2.0], [0.0]]), np.array([[4.0], [1.0]])
    _got = _inference_case(_Z, _gamma, _beta, _run_mean, _run_var, None, "worked example's Z, default eps")
    check.check_array(_got, np.array([[-0.899999, 0.1, 2.099998], [-0.699998, -0.2, 1.299993]]),
                      "batchnorm_inference (worked example's Z)", rtol=1e-6, atol=1e-6)
    # 2. One example alone: not beta, but the running statistics at work.
    _out = _inference_case(_Z[:, [2]], _gamma, _beta, _run_mean, _run_var, None, "one column")
    if np.allclose(np.asarray(_out, dtype=float), _beta):
        raise AssertionError("batchnorm_inference (one column) returned beta: it used the batch's statistics")
    # 3. A large eps, more units.
    _rng = np.random.default_rng(104)
    _inference_case(_rng.standard_normal((4, 6)) * 3, _rng.uniform(0.5, 2, (4, 1)), _rng.standard_normal((4, 1)),
                    _rng.standard_normal((4, 1)), _rng.uniform(0.5, 3, (4, 1)), 0.5, "(4, 6), eps 0.5")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(10004)
    for _trial, (_n, _m) in enumerate([(1, 1), (3, 1), (2, 2), (5, 9), (1, 4), (6, 3), (4, 50), (2, 1)]):
        _scale = [1.0, 1e3, 0.01, 20.0][_trial % 4]
        _Z = _rng.standard_normal((_n, _m)) * _scale
        _gamma, _beta = _rng.uniform(-2, 2, (_n, 1)), _rng.standard_normal((_n, 1))
        _rm, _rv = _rng.standard_normal((_n, 1)) * _scale, _rng.uniform(0, 2, (_n, 1)) * _scale ** 2
        _eps = float([1e-5, 1e-3, 0.1, 1e-8][_trial % 4])
        _saved = [a.copy() for a in (_Z, _gamma, _beta, _rm, _rv)]
        _got = np.asarray(batchnorm_inference(_Z, _gamma, _beta, _rm, _rv, eps=_eps), dtype=float)
        _want = _gamma * (_Z - _rm) / np.sqrt(_rv + _eps) + _beta
        _desc = f"Z of shape {(_n, _m)} and scale {_scale}, eps {_eps}"
        assert _got.shape == (_n, _m), f"wrong shape {_got.shape} ({_desc})"
        assert np.allclose(_got, _want, rtol=1e-6, atol=1e-8), f"wrong output ({_desc})"
        assert all(np.array_equal(a, b) for a, b in zip((_Z, _gamma, _beta, _rm, _rv), _saved)), f"input modified ({_desc})"
        # Each column alone gives the same as in the batch.
        if _m > 1:
            _alone = np.asarray(batchnorm_inference(_Z[:, [0]], _gamma, _beta, _rm, _rv, eps=_eps), dtype=float)
            assert np.allclose(_alone[:, 0], _got[:, 0]), f"a column's output depends on its batch ({_desc})"
### END HIDDEN TESTS

check.passed("batchnorm_inference: the running statistics, so each example's output is its own.")

# %% [markdown]
# ### Written question 2: predict the accuracy [2 points, graded by hand]
#
# Section 4 trains a network of ten hidden layers of 64 units, with batch norm in each, to about
# 97 % accuracy on the 450 test digits, evaluated with `batchnorm_inference` and the running
# statistics. Suppose it were evaluated with the **training-mode** forward pass instead
# (`batchnorm_forward`: each batch normalised with its own statistics). Predict the test accuracy,
# roughly, in three cases, with a sentence of reason for each:
#
# 1. the 450 test images go through as one batch;
# 2. they go through one image at a time;
# 3. they go through as ten batches, each holding the images of one digit only (about 45 each).
#
# Then say which of the three would change if the running statistics were used again, and why.

# %% [markdown] answer="inference_running_stats" points=2
# ### BEGIN SOLUTION
# **Model answer.** (1) About the same, roughly 97 % (measured: 0.969 either way): 450 images
# drawn like the training set give every unit a batch mean and variance close to the running
# estimates, so the normalisation hardly changes. (2) About 10 % (measured: 0.098): with $m = 1$,
# $Z - \mu = 0$ in every unit, every batch-norm layer outputs $\beta$, so every image gets the same
# output and the same class, right only for the tenth or so of the test images that belong to it.
# (3) Close to chance (measured: 0.13): inside a batch of one digit, the batch mean of each unit is
# what the images of that digit have in common, the very thing that identifies the digit, and
# normalising subtracts it; what is left are the small differences between images of the same
# digit, stretched to unit spread, which the later layers read as if they told digits apart.
# With the running statistics all three give the 97 % of the first case: each image is normalised
# with fixed numbers from training, so its output depends on its own pixels only, not on the
# size or the content of its batch.
#
# **Rubric.**
# - [1 point] (1) close to the running-statistics accuracy, because a large batch drawn like the training data has nearly the running mean and variance; (2) about 10 %, because one image gives $Z - \mu = 0$, output $\beta$, the same class for every image
# - [1 point] (3) collapses towards chance, because the batch's own mean carries what the images of one digit share (the digit) and normalisation removes it; with running statistics every case matches (1), each output depending on its own image only
# ### END SOLUTION

# %% [markdown]
# ## 4. A deep network with and without batch norm
#
# Time to see what batch norm is for. The given cell below trains a deep ReLU classifier on the
# digits of the capstone (notebook 08: the same 1,347 training and 450 test images, the same split
# and seed) with plain mini-batch gradient descent, and it has a switch:
#
# `train_deep(X, Y, depth, width, lr, epochs, rng, use_batchnorm)` builds `depth` hidden layers of
# `width` ReLU units and a softmax output layer, He-initialised (notebook 05), and trains it on the
# mean cross-entropy with batches of about 64 examples. It returns `(model, losses)`: the trained
# model and the training loss of every step. If the loss of a step is not finite (`inf` or `nan`:
# the network has diverged), training stops there, and that value is the last entry of `losses`.
#
# | `use_batchnorm` | each hidden layer computes | your functions it calls |
# |---|---|---|
# | `False` | $A = \text{relu}(W A_{\text{prev}} + b)$ | none |
# | `True` | $A = \text{relu}\big(\text{BN}(W A_{\text{prev}})\big)$ with its own $\gamma$, $\beta$, **no bias $b$** (written question 1) | `batchnorm_forward`, `batchnorm_backward`, `update_running_stats` (after every step) |
#
# The output layer is the same in both: $Z^{[L]} = W^{[L]} A^{[L-1]} + b^{[L]}$ followed by softmax.
# Gradient descent updates $W$, $b$, $\gamma$ and $\beta$ alike.

# %% [markdown]
# The same cell defines three helpers. `softmax_ce_and_grad(Z, Y)` returns the pair `(loss, dZ)`:
# the mean cross-entropy of softmax($Z$) against the one-hot $Y$, and its gradient with respect to
# $Z$. `deep_accuracy(X, Y, model)` evaluates a trained model in inference mode (with your
# `batchnorm_inference` when batch norm is on), and `dead_units(X, model)` gives, for each hidden
# layer, the share of its units that output 0 for every column of `X`.

# %% [markdown]
# One detail: the 1,347 training images are cut into 21 batches of 64 or 65 (`np.array_split`),
# not into 21 batches of 64 and a last one of 3. Batch statistics computed from 3 examples are so
# noisy that a single such batch per epoch visibly hurts a batch-norm network.

# %%
X_train, Y_train, X_test, Y_test = data.load_digits(rng=np.random.default_rng(0))   # as in notebook 08


def softmax_ce_and_grad(Z, Y):
    """Mean cross-entropy of softmax(Z) against one-hot Y (both (K, m)), and its gradient dC/dZ."""
    shifted = Z - np.max(Z, axis=0, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
    m = Y.shape[1]
    return float(-np.sum(Y * log_p) / m), (np.exp(log_p) - Y) / m


def train_deep(X, Y, depth, width, lr, epochs, rng, use_batchnorm):
    """Mini-batch gradient descent on a deep ReLU network with a softmax output.

    X (n[0], m_all), Y (K, m_all) one-hot; depth hidden layers of width units; rng: numpy Generator
    for the initial weights and the shuffling. With use_batchnorm, every hidden layer is
    relu(BN(W A)) (no bias), trained with your batchnorm_forward / batchnorm_backward, and the
    running statistics are kept with your update_running_stats.
    Returns (model, losses): model = {"params", "running", "use_batchnorm"}, losses = the training
    loss of each step (it stops at the first step whose loss is not finite).
    """
    sizes = [X.shape[0]] + [width] * depth + [Y.shape[0]]
    L = len(sizes) - 1
    params, running = {}, {}
    for l in range(1, L + 1):
        params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) * np.sqrt(2 / sizes[l - 1])
        if use_batchnorm and l < L:
            params[f"gamma{l}"], params[f"beta{l}"] = np.ones((sizes[l], 1)), np.zeros((sizes[l], 1))
            running[l] = (np.zeros((sizes[l], 1)), np.ones((sizes[l], 1)))
        else:
            params[f"b{l}"] = np.zeros((sizes[l], 1))
    model = {"params": params, "running": running, "use_batchnorm": use_batchnorm}
    losses = []
    m_all = X.shape[1]
    with np.errstate(all="ignore"):                     # a diverging run overflows: we stop it below
        for _ in range(epochs):
            for batch in np.array_split(rng.permutation(m_all), m_all // 64):
                A, Y_batch, layers = X[:, batch], Y[:, batch], []
                for l in range(1, L + 1):               # forward
                    A_prev, Z = A, params[f"W{l}"] @ A
                    if l == L:
                        Z, bn_cache = Z + params[f"b{l}"], None
                    elif use_batchnorm:
                        Z, bn_cache = batchnorm_forward(Z, params[f"gamma{l}"], params[f"beta{l}"])
                        running[l] = update_running_stats(*running[l], bn_cache["mean"], bn_cache["var"])
                    else:
                        Z, bn_cache = Z + params[f"b{l}"], None
                    layers.append((A_prev, Z, bn_cache))
                    A = np.maximum(Z, 0) if l < L else Z
                loss, dZ = softmax_ce_and_grad(A, Y_batch)
                losses.append(loss)
                if not np.isfinite(loss):
                    return model, losses
                grads = {}
                for l in range(L, 0, -1):               # backward
                    A_prev, Z, bn_cache = layers[l - 1]
                    if l < L:
                        dZ = dA * (Z > 0)               # through the ReLU
                        if use_batchnorm:
                            dZ, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm_backward(dZ, bn_cache)
                    if f"b{l}" in params:
                        grads[f"b{l}"] = np.sum(dZ, axis=1, keepdims=True)
                    grads[f"W{l}"] = dZ @ A_prev.T
                    dA = params[f"W{l}"].T @ dZ
                params = {key: value - lr * grads[key] for key, value in params.items()}
                model["params"] = params
    return model, losses


def deep_hidden_layers(X, model):
    """Inference-mode forward pass: the list of hidden activations A1, ..., A[L-1] and the output Z[L]."""
    params, L = model["params"], sum(key.startswith("W") for key in model["params"])
    A, hidden = X, []
    with np.errstate(all="ignore"):
        for l in range(1, L):
            Z = params[f"W{l}"] @ A
            if model["use_batchnorm"]:
                Z = batchnorm_inference(Z, params[f"gamma{l}"], params[f"beta{l}"], *model["running"][l])
            else:
                Z = Z + params[f"b{l}"]
            A = np.maximum(Z, 0)
            hidden.append(A)
        return hidden, params[f"W{L}"] @ A + params[f"b{L}"]


def deep_accuracy(X, Y, model):
    """Share of the columns of X whose largest output is the class marked in Y."""
    _, Z = deep_hidden_layers(X, model)
    return float(np.mean(np.argmax(Z, axis=0) == np.argmax(Y, axis=0)))


def dead_units(X, model):
    """For each hidden layer, the share of its units that output 0 for every column of X."""
    hidden, _ = deep_hidden_layers(X, model)
    return [float(np.mean(np.all(A == 0, axis=1))) for A in hidden]


# %% [markdown]
# ### Ten layers at a large learning rate
#
# Ten hidden layers of 64 units, learning rate 1.5, ten epochs (210 steps), the same seed for both
# networks: the same initial weights $W$ and the same batches. Left: the training loss of the
# first 12 steps, on an ordinary scale up to 6; a triangle at the top marks a loss off the scale,
# with its value written below it. Right: the training loss of all 210 steps; the dashed
# line is $\ln 10 \approx 2.30$, the loss of a network that gives every class probability
# $\frac{1}{10}$, i.e. that has learned nothing. A cross marks the step at which a loss stopped
# being a finite number. About a second on a laptop.

# %% tags=["demo"]
try:
    _runs = {}
    for _use_bn in (False, True):
        _start = time.perf_counter()
        _model, _losses = train_deep(X_train, Y_train, 10, 64, 1.5, 10, np.random.default_rng(1), _use_bn)
        _runs[_use_bn] = (_model, np.array(_losses), time.perf_counter() - _start)

    _fig, _axes = plt.subplots(1, 2, figsize=(10.5, 3.8), gridspec_kw={"width_ratios": [1, 1.6]})
    for _use_bn, (_model, _losses, _seconds) in _runs.items():
        _name, _color = ("with batch norm", "C1") if _use_bn else ("without", "C0")
        _steps = np.arange(1, len(_losses) + 1)
        if np.isfinite(_losses[-1]):
            _acc = deep_accuracy(X_test, Y_test, _model)
            _label = f"{_name}: test accuracy {_acc:.3f}"
            print(f"{_name:16s}: final training loss {np.mean(_losses[-21:]):.3f} (mean of the last epoch), "
                  f"test accuracy {_acc:.3f}, {_seconds:.1f} s")
        else:
            _label = f"{_name}: loss not finite at step {len(_losses)}"
            print(f"{_name:16s}: loss of steps 1 to {len(_losses)}:", ", ".join(f"{_v:.3g}" for _v in _losses),
                  f"-> training stopped at step {len(_losses)}")
            for _ax in _axes:   # x in steps, y as a share of the panel's height
                _ax.plot(len(_losses), 0.93, "x", color=_color, ms=10, mew=2.5, transform=_ax.get_xaxis_transform())
            _axes[0].text(len(_losses) + 0.4, 0.93, "nan", color=_color, va="center",
                          transform=_axes[0].get_xaxis_transform())
        _on_scale = _losses[:12] <= 6                   # False for nan too
        _axes[0].plot(_steps[:12][_on_scale], _losses[:12][_on_scale], "o-", color=_color, ms=4, lw=1, label=_name)
        for _k, (_step, _loss) in enumerate(zip(_steps[:12][~_on_scale], _losses[:12][~_on_scale])):
            if np.isfinite(_loss):   # off the scale: a triangle at the top, the value below it
                _axes[0].plot(_step, 5.8, "^", color=_color, ms=7)
                _axes[0].annotate(f"{_loss:.0e}", (_step, 5.8), textcoords="offset points", xytext=(0, -13 - 11 * (_k % 2)),
                                  ha="center", fontsize=7, color=_color)
        _axes[1].plot(_steps, np.minimum(_losses, 10), color=_color, lw=1, label=_label)
    _axes[1].axhline(np.log(10), color="k", ls="--", lw=1, label="ln 10: a uniform guess")
    _axes[0].axhline(np.log(10), color="k", ls="--", lw=1)
    for _ax in _axes:
        _ax.grid(True, alpha=0.3)
    _axes[0].set(ylim=(0, 6), xlabel="step", ylabel="training loss (batch)", xticks=range(1, 13),
                 title="the first 12 steps")
    _axes[1].set(xlabel="step (21 per epoch)", ylim=(0, 5), title="all 210 steps: 10 hidden layers of 64, lr 1.5")
    _axes[0].legend(fontsize=9, loc="center right")
    _axes[1].legend(fontsize=9)
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write batchnorm_forward, batchnorm_backward, update_running_stats and batchnorm_inference "
          "above to see this figure.")

# %% [markdown]
# Without batch norm the network diverges. Its loss climbs from 2.3 to about 100 in four steps,
# then to $10^{14}$ and $10^{113}$; at the seventh step the numbers inside the network pass the
# largest float64 (about $10^{308}$), the loss is `nan`, and training stops. The data did not
# change from step to step: the runaway is in the network. A step that makes every layer's weights
# a little larger multiplies the output by the product of those growths, one factor per layer, so
# the loss grows; and the gradient of each layer's weights contains the weights of all the other
# layers, so it grows with them. The next step is larger than the last, and with
# eleven layers of weights the loop runs away within a few steps.

# %% [markdown]
# With batch norm the same learning rate trains the same architecture to about 97 % in ten epochs.
# A hidden layer's output no longer depends on the scale of its weights (the figure of section 1):
# whatever a step does to the size of $W^{[l]}$, the layer's output does not grow with it, so
# nothing multiplies up from layer to layer. Large weights even slow themselves down: if scaling
# $W^{[l]}$ by $c$ leaves the cost unchanged, the gradient with respect to the scaled weights is
# the old gradient divided by $c$, so larger weights take smaller steps.

# %% [markdown]
# ### Depth and learning rate
#
# The grid below repeats the experiment for two depths and three learning rates (ten epochs each,
# same seed, a few seconds in all). Each panel shows both networks' training loss, with a cross
# where a loss stopped being finite; the title gives their test accuracies ("diverged" where
# training stopped). Below it, for each plain network that ended at chance level, the cell prints
# the share of dead units in its hidden layers, how much each layer's output still varies from
# image to image, and how much the network's output does.

# %% tags=["demo"]
try:
    _depths, _lrs = (3, 10), (0.1, 0.5, 1.5)
    _fig, _axes = plt.subplots(len(_depths), len(_lrs), figsize=(10.5, 5.6), sharex=True, sharey=True)
    for _row, _depth in enumerate(_depths):
        for _col, _lr in enumerate(_lrs):
            _ax, _accs = _axes[_row, _col], []
            for _use_bn, _color in ((False, "C0"), (True, "C1")):
                _model, _losses = train_deep(X_train, Y_train, _depth, 64, _lr, 10, np.random.default_rng(1), _use_bn)
                _finite = bool(np.isfinite(_losses[-1]))
                _accs.append(deep_accuracy(X_test, Y_test, _model) if _finite else float("nan"))
                _ax.plot(np.arange(1, len(_losses) + 1), np.minimum(_losses, 10), color=_color, lw=0.8,
                         label="with batch norm" if _use_bn else "without")
                if not _finite:
                    _ax.plot(len(_losses), 0.93, "x", color=_color, ms=9, mew=2, transform=_ax.get_xaxis_transform())
                elif not _use_bn and _accs[-1] < 0.2:
                    _hidden, _Z_out = deep_hidden_layers(X_train, _model)
                    print(f"{_depth} hidden layers, lr {_lr}, without batch norm: share of dead units per layer",
                          " ".join(f"{_share:.2f}" for _share in dead_units(X_train, _model)))
                    print("    spread (std across the images) of a unit's output, mean over the layer's units:",
                          " ".join(f"{np.mean(np.std(_A, axis=1)):.2g}" for _A in _hidden))
                    print(f"    largest spread of an output across the images: {np.max(np.std(_Z_out, axis=1)):.3f}")
            _ax.axhline(np.log(10), color="k", ls="--", lw=0.8)
            _without, _with = (f"{_acc:.2f}" if np.isfinite(_acc) else "diverged" for _acc in _accs)
            _ax.set_title(f"{_depth} hidden layers, lr {_lr}\ntest accuracy: {_without} without, {_with} with",
                          fontsize=9)
            _ax.set(ylim=(0, 5))
            _ax.grid(True, alpha=0.3)
    for _ax in _axes[-1]:
        _ax.set_xlabel("step")
    for _ax in _axes[:, 0]:
        _ax.set_ylabel("training loss")
    _axes[0, 0].legend(fontsize=8)
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Write batchnorm_forward, batchnorm_backward, update_running_stats and batchnorm_inference "
          "above to see this figure.")

# %% [markdown]
# Three things to read off the grid:
#
# - **Shallow and slow, both work.** With 3 hidden layers and a learning rate of 0.1 or 0.5 the
#   plain network trains fine (0.95 and 0.97); batch norm only makes it a little faster.
# - **Diverging is not the only way to fail.** At 10 layers and lr 0.5 the plain network does not
#   diverge, it *stalls*: its loss sits on $\ln 10$, apart from a few spikes, and its test accuracy
#   is the 10 % of guessing. The first large steps pushed many units to be negative on every image:
#   such a dead unit passes back no gradient, so nothing revives it, and their share grows with
#   depth, to 0.81 in the last hidden layer. But dead units are not the whole story: twelve units
#   of that layer are alive. What collapsed is the **signal**, the differences between images:
#   each layer passes on less of them (a unit's spread across the images falls from about 0.07 in
#   layer 1 to 0.002 in layer 10), and the ten outputs vary by at most 0.02 from image to image,
#   so every image gets nearly the same scores and the same class. The 3-layer network stalls the
#   same way at lr 1.5 (one unit of its last layer alive), where the 10-layer one diverges. With
#   batch norm each unit is re-centred and rescaled on every batch: (with $\beta$ near 0) about half
#   of its values are positive whatever the weights do, so no unit dies, and its spread across the
#   batch is reset to about $|\gamma|$, so the differences between images cannot fade from layer to
#   layer.
# - **Depth and step size make the difference.** Every step up in learning rate, and the step from
#   3 to 10 layers, hurts the plain network more. At 10 layers it needs a small learning rate to
#   learn well, and even at 0.1 it is slow and noisy (0.81); the batch-norm network trains at all
#   three rates, to about 0.97.
#
# A wider range of good learning rates, more than the best accuracy, is what batch norm buys in
# practice: less time spent tuning, and deeper networks that train at all.
#
# (Each panel is one run with one seed: other seeds move the numbers a little, not the picture. The
# plain network is not hopeless at depth 10: a smaller learning rate and more epochs, or a better
# optimiser from notebook 07, get it there too, at a price in tuning and time.)

# %% [markdown]
# ## 5. Layer normalisation
#
# Batch norm needs a batch: its statistics come from the other examples, so it is noisy for small
# batches, useless for a batch of one, and needs running averages and a separate inference mode.
# **Layer normalisation** (Ba, Kiros and Hinton, 2016) computes the same standardisation along the
# other axis: each example (column) over its own $n$ units,
#
# $$\mu_j = \frac{1}{n}\sum_{i=1}^{n} Z_{ij}, \qquad
# \sigma_j^2 = \frac{1}{n}\sum_{i=1}^{n} \big(Z_{ij} - \mu_j\big)^2, \qquad
# \hat Z_{ij} = \frac{Z_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \varepsilon}}, \qquad
# \text{out}_{ij} = \gamma_i\, \hat Z_{ij} + \beta_i .$$
#
# Now $\mu$ and $\sigma^2$ are rows of shape $(1, m)$, one number per example (`axis=0`), while
# $\gamma$ and $\beta$ stay $(n, 1)$, one pair per unit, exactly as in batch norm. No example looks
# at any other, so the computation is the same in training and inference: no running statistics,
# any batch size, one included. That is why it is the normalisation of transformers and recurrent
# networks, where the examples of a batch are sequences of different lengths, and the usual choice
# whenever batches are small.
#
# The picture shows which entries of a $(n, m)$ array share a mean and a variance: a row each in
# batch norm, a column each in layer norm.

# %% tags=["demo"]
_fig, _axes = plt.subplots(1, 2, figsize=(9, 3.4))
_n, _m = 5, 8
for _ax, _grid, _title, _note in (
        (_axes[0], np.repeat(np.arange(_n)[:, None], _m, axis=1), "batch norm: one mean and variance per ROW",
         "statistics along axis=1 (the examples)\nmean, var: (n, 1)"),
        (_axes[1], np.repeat(np.arange(_m)[None, :], _n, axis=0), "layer norm: one mean and variance per COLUMN",
         "statistics along axis=0 (the units)\nmean, var: (1, m)")):
    _ax.imshow(_grid, cmap="tab10", vmin=0, vmax=9, alpha=0.55)
    _ax.set_xticks(range(_m), [f"ex {_j + 1}" for _j in range(_m)], fontsize=7)
    _ax.set_yticks(range(_n), [f"unit {_i + 1}" for _i in range(_n)], fontsize=8)
    _ax.set_xticks(np.arange(-0.5, _m), minor=True)
    _ax.set_yticks(np.arange(-0.5, _n), minor=True)
    _ax.grid(which="minor", color="white", lw=2)
    _ax.tick_params(which="minor", length=0)
    _ax.set_title(_title, fontsize=10)
    _ax.set_xlabel(_note, fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# ### A worked example for layer norm
#
# Three units, two examples, $\varepsilon = 10^{-5}$ (a new example: with only two units every
# column would normalise to $\pm 1$):
#
# $$Z = \begin{pmatrix} 1 & 4 \\ -1 & 0 \\ 3 & 5 \end{pmatrix}, \quad
# \gamma = \begin{pmatrix} 2 \\ 0.5 \\ 1 \end{pmatrix}, \quad
# \beta = \begin{pmatrix} 0.1 \\ -0.2 \\ 0 \end{pmatrix}.$$
#
# Column 1 has mean 1 and variance $\frac{0 + 4 + 4}{3} = 2.666667$, column 2 has mean 3 and
# variance $\frac{1 + 9 + 4}{3} = 4.666667$, so `mean` $= (1, 3)$ and `var` $= (2.666667, 4.666667)$,
# both of shape $(1, 2)$, and
#
# $$\hat Z = \begin{pmatrix} 0 & 0.462910 \\ -1.224743 & -1.388729 \\ 1.224743 & 0.925819 \end{pmatrix},
# \qquad
# \text{out} = \begin{pmatrix} 0.1 & 1.025819 \\ -0.812371 & -0.894364 \\ 1.224743 & 0.925819 \end{pmatrix}.$$

# %% [markdown]
# ### Exercise 6: `layernorm_forward` [1 point]
#
# Like `batchnorm_forward`, along the other axis: `mean` and `var` (biased, from the deviations)
# along `axis=0`, of shape $(1, m)$; $\varepsilon$ inside the square root; `out = gamma * Z_hat +
# beta` with `gamma`, `beta` of shape $(n, 1)$. The cache has the same five keys: `"Z_hat"`,
# `"mean"`, `"var"`, `"gamma"`, `"eps"`.

# %% solution="layernorm_forward"
def layernorm_forward(Z, gamma, beta, eps=1e-5):
    """Layer normalisation: each example (column) over its units (axis=0). Same in training and inference.

    Inputs:
        Z:     (n, m) pre-activations, n units by m examples
        gamma: (n, 1) learned scale, one per unit
        beta:  (n, 1) learned shift, one per unit
        eps:   float > 0, inside the square root
    Returns:
        out:   (n, m), gamma * Z_hat + beta with Z_hat = (Z - mean) / sqrt(var + eps)
        cache: {"Z_hat": (n, m), "mean": (1, m), "var": (1, m) biased variance, "gamma": (n, 1), "eps": eps}
    """
    ### BEGIN SOLUTION
    mean = np.mean(Z, axis=0, keepdims=True)
    var = np.mean((Z - mean) ** 2, axis=0, keepdims=True)
    Z_hat = (Z - mean) / np.sqrt(var + eps)
    out = gamma * Z_hat + beta
    return out, {"Z_hat": Z_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}
    ### END SOLUTION


# %% test="layernorm_forward" points=1
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _ln_normalised(Z, eps, axis=0, ddof=0, eps_at="inside"):
        mean = np.mean(Z, axis=axis, keepdims=True)
        var = np.sum((Z - mean) ** 2, axis=axis, keepdims=True) / (Z.shape[axis] - ddof)
        scale = {"inside": np.sqrt(var + eps), "outside": np.sqrt(var) + eps, "none": np.sqrt(var)}[eps_at]
        return (Z - mean) / scale, mean, var

    def _ln_forward_case(Z, gamma, beta, eps, label, call_eps=True):
        args = (Z, gamma, beta, eps) if call_eps else (Z, gamma, beta)
        got = check.check_not_mutated(layernorm_forward, *args)
        assert isinstance(got, (tuple, list)) and len(got) == 2, (
            f"layernorm_forward ({label}): return a tuple (out, cache), got {type(got).__name__}")
        out, cache = got
        Z_hat, mean, var = _ln_normalised(Z, eps)
        want = gamma * Z_hat + beta
        check.check_shape(out, Z.shape, f"out ({label})")
        value = np.asarray(out, dtype=float)
        if not np.allclose(value, want, rtol=1e-6, atol=1e-8):
            for wrong, hint in [
                (gamma * _ln_normalised(Z, eps, axis=1)[0] + beta,
                 "that is batch norm: each unit over the examples (axis=1); layer norm normalises each "
                 "example (column) over its units, np.mean(Z, axis=0, keepdims=True)"),
                (gamma * _ln_normalised(Z, eps, ddof=1)[0] + beta,
                 "that is the unbiased variance (ddof=1): divide by n, the mean of the squared deviations"),
                (gamma * _ln_normalised(Z, eps, eps_at="outside")[0] + beta,
                 "eps is outside the square root: divide by np.sqrt(var + eps)"),
                (gamma * _ln_normalised(Z, eps, eps_at="none")[0] + beta, "eps is missing: np.sqrt(var + eps)"),
                (beta * Z_hat + gamma, "gamma and beta are swapped: out = gamma * Z_hat + beta"),
                (Z_hat, "out is Z_hat: scale and shift it, out = gamma * Z_hat + beta"),
            ]:
                if not np.allclose(wrong, want, rtol=1e-6, atol=1e-8) and np.allclose(value, wrong, rtol=1e-6, atol=1e-8):
                    raise AssertionError(f"layernorm_forward ({label}): {hint}")
        check.check_array(out, want, f"out ({label})")
        assert isinstance(cache, dict), f"layernorm_forward ({label}): the cache should be a dict"
        missing = [key for key in ("Z_hat", "mean", "var", "gamma", "eps") if key not in cache]
        assert not missing, f"layernorm_forward ({label}): the cache lacks {missing}"
        for key, right in (("mean", mean), ("var", var)):
            if np.shape(cache[key]) == (right.shape[1], 1) and right.shape != (right.shape[1], 1):
                raise AssertionError(f"cache[{key!r}] ({label}) has shape {np.shape(cache[key])}: in layer norm "
                                     f"it is a row, one number per example, shape {right.shape} (keepdims=True on axis=0)")
        if np.shape(cache["var"]) == var.shape and np.allclose(cache["var"], var + eps) and eps > 1e-3:
            raise AssertionError(f"cache['var'] ({label}) includes eps: store the variance itself")
        check.check_array(cache["mean"], mean, f"cache['mean'] ({label})")
        check.check_array(cache["var"], var, f"cache['var'] ({label})")
        check.check_array(cache["Z_hat"], Z_hat, f"cache['Z_hat'] ({label})")
        check.check_array(cache["gamma"], gamma, f"cache['gamma'] ({label})")
        check.check_scalar(cache["eps"], eps, f"cache['eps'] ({label})")
        return out, cache

    # 1. The worked example.
    _Z = np.array([[1.0, 4.0], [-1.0, 0.0], [3.0, 5.0]])
    _gamma, _beta = np.array([[2.0], [0.5], [1.0]]), np.array([[0.1], [-0.2], [0.0]])
    _out, _cache = _ln_forward_case(_Z, _gamma, _beta, 1e-5, "the worked example", call_eps=False)
    check.check_array(_cache["mean"], np.array([[1.0, 3.0]]), "cache['mean'] (worked example)")
    check.check_array(_cache["var"], np.array([[2.666667, 4.666667]]), "cache['var'] (worked example)", atol=1e-6)
    check.check_array(_out, np.array([[0.1, 1.025819], [-0.812371, -0.894364], [1.224743, 0.925819]]),
                      "out (worked example)", rtol=1e-6, atol=1e-6)
    print("worked example reproduced: mean", np.ravel(_cache["mean"]), "var", np.ravel(_cache["var"]))
    print("out =\n", np.asarray(_out))
    # 2. More examples than units, a large eps.
    _rng = np.random.default_rng(105)
    _ln_forward_case(_rng.standard_normal((4, 7)) * 3 + 2, _rng.uniform(0.5, 2, (4, 1)), _rng.standard_normal((4, 1)),
                     0.5, "(4, 7), eps 0.5")
    # 3. One example alone gives the same as inside a batch.
    _Z = _rng.standard_normal((6, 5))
    _gamma, _beta = _rng.uniform(0.5, 2, (6, 1)), _rng.standard_normal((6, 1))
    _all, _ = _ln_forward_case(_Z, _gamma, _beta, 1e-5, "(6, 5)")
    _one, _ = _ln_forward_case(_Z[:, [3]], _gamma, _beta, 1e-5, "column 3 alone, (6, 1)")
    check.check_array(_one, np.asarray(_all)[:, [3]], "layernorm_forward: column 3 alone vs in the batch")

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    _rng = np.random.default_rng(10005)
    for _trial, (_n, _m) in enumerate([(2, 1), (1, 3), (5, 2), (3, 3), (8, 6), (64, 2), (4, 11), (2, 2)]):
        _scale = [1.0, 1e3, 0.01, 20.0][_trial % 4]
        _Z = _rng.standard_normal((_n, _m)) * _scale + _rng.uniform(-10, 10) * _scale
        _gamma, _beta = _rng.uniform(-2, 2, (_n, 1)), _rng.standard_normal((_n, 1))
        _eps = float([1e-5, 1e-3, 0.1, 1e-8][_trial % 4])
        _saved = (_Z.copy(), _gamma.copy(), _beta.copy())
        _res = layernorm_forward(_Z, _gamma, _beta, eps=_eps)
        _desc = f"Z of shape {(_n, _m)} and scale {_scale}, eps {_eps}"
        assert isinstance(_res, (tuple, list)) and len(_res) == 2, f"return (out, cache) ({_desc})"
        _mean = _Z.mean(axis=0, keepdims=True)
        _var = ((_Z - _mean) ** 2).mean(axis=0, keepdims=True)
        _Z_hat = (_Z - _mean) / np.sqrt(_var + _eps)
        _out, _cache = _res
        assert np.asarray(_out).shape == (_n, _m) and np.allclose(_out, _gamma * _Z_hat + _beta, rtol=1e-6, atol=1e-8), \
            f"wrong out ({_desc})"
        assert isinstance(_cache, dict), f"the cache must be a dict ({_desc})"
        for _key, _value in (("Z_hat", _Z_hat), ("mean", _mean), ("var", _var), ("gamma", _gamma)):
            assert _key in _cache and np.asarray(_cache[_key]).shape == _value.shape, f"cache[{_key!r}] shape ({_desc})"
            assert np.allclose(_cache[_key], _value, rtol=1e-6, atol=1e-8 * max(1.0, np.max(np.abs(_value)))), \
                f"cache[{_key!r}] is wrong ({_desc})"
        assert float(_cache["eps"]) == _eps, f"cache['eps'] must be the eps given ({_desc})"
        assert all(np.array_equal(a, b) for a, b in zip((_Z, _gamma, _beta), _saved)), f"an input was modified ({_desc})"
    # n = 1: every unit equals its column's mean, the output is beta.
    _out, _ = layernorm_forward(np.array([[3.0, -7.0, 0.5]]), np.array([[2.0]]), np.array([[0.25]]))
    assert np.allclose(_out, 0.25), "with one unit, layer norm gives beta for every example"
### END HIDDEN TESTS

check.passed("layernorm_forward: each example over its units, mean and var of shape (1, m).")

# %% [markdown]
# ### The backward pass of layer norm
#
# The graph of section 2 is unchanged; only the axis of the two means moves. $\mu$ and $\sigma^2$
# are now sums over the units of each column, so everything that was summed over `axis=1` on the
# way from $\hat Z$ back to $Z$ is now summed over `axis=0`, and the count is $n$, the number of
# units. The derivation of Exercise 3 goes through unchanged with $j$ and $i$ trading places: the
# expression you found for batch norm, with both sums inside $dZ$ over the units (`axis=0`,
# `keepdims=True`), the count $n$ where it had $m$, and $\sigma^2$ of shape $(1, m)$.
# But $\gamma$ and $\beta$ did **not** move: they are still $(n, 1)$ columns broadcast over the
# examples, so their gradients are still sums over `axis=1`,
#
# $$d\gamma_i = \sum_j d\text{out}_{ij}\, \hat Z_{ij}, \qquad d\beta_i = \sum_j d\text{out}_{ij}.$$
#
# Each column of $dZ$ now sums to zero. For the worked example with
# $d\text{out} = \begin{pmatrix} 0.5 & -1 \\ 1 & 0 \\ -1 & 2 \end{pmatrix}$:
#
# $$dZ = \begin{pmatrix} 0.510309 & -0.991949 \\ -0.255153 & 0.198389 \\ -0.255156 & 0.793560 \end{pmatrix},
# \quad d\gamma = \begin{pmatrix} -0.462910 \\ -1.224743 \\ 0.626896 \end{pmatrix},
# \quad d\beta = \begin{pmatrix} -0.5 \\ 1 \\ 1 \end{pmatrix}.$$

# %% [markdown]
# ### Exercise 7: `layernorm_backward` [2 points]
#
# Return `(dZ, dgamma, dbeta)` of shapes $(n, m)$, $(n, 1)$, $(n, 1)$ from `dout` and the cache
# of `layernorm_forward` (`Z_hat`, `var` of shape $(1, m)$, `gamma`, `eps`). Mind the two axes:
# `axis=0` inside $dZ$, `axis=1` for $d\gamma$ and $d\beta$.

# %% solution="layernorm_backward"
def layernorm_backward(dout, cache):
    """Backward pass of layernorm_forward.

    Inputs:
        dout:  (n, m) gradient of the cost with respect to out
        cache: {"Z_hat": (n, m), "mean": (1, m), "var": (1, m), "gamma": (n, 1), "eps": float}
    Returns:
        dZ:     (n, m), your expression of batchnorm_backward with both sums over axis=0 (the units),
                keepdims=True, and the count n
        dgamma: (n, 1) = sum over axis=1 (the examples) of dout * Z_hat
        dbeta:  (n, 1) = sum over axis=1 of dout
    """
    ### BEGIN SOLUTION
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    n = Z_hat.shape[0]
    dZ_hat = dout * gamma
    dZ = (n * dZ_hat - np.sum(dZ_hat, axis=0, keepdims=True)
          - Z_hat * np.sum(dZ_hat * Z_hat, axis=0, keepdims=True)) / (n * np.sqrt(var + eps))
    dgamma = np.sum(dout * Z_hat, axis=1, keepdims=True)
    dbeta = np.sum(dout, axis=1, keepdims=True)
    return dZ, dgamma, dbeta
    ### END SOLUTION


# %% test="layernorm_backward" points=2
# The caches here are built by the test itself, not by your layernorm_forward.
import warnings

import numpy as np

from course import check

with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _ln_cache(Z, gamma, eps):
        """The cache of layer norm, with exactly the five keys of the contract."""
        mean = np.mean(Z, axis=0, keepdims=True)
        var = np.mean((Z - mean) ** 2, axis=0, keepdims=True)
        return {"Z_hat": (Z - mean) / np.sqrt(var + eps), "mean": mean, "var": var, "gamma": gamma, "eps": eps}

    def _ln_numeric_dZ(dout, cache, frozen=(), ones_gamma=False, h=1e-5):
        """dC/dZ of C = sum(dout * out) by central differences, Z rebuilt from the cache; the statistics named
        in `frozen` ("mean", "var") keep their values (their paths cut); ones_gamma: gamma = 1."""
        Z = cache["Z_hat"] * np.sqrt(cache["var"] + cache["eps"]) + cache["mean"]
        gamma = np.ones_like(cache["gamma"]) if ones_gamma else cache["gamma"]

        def cost(Zv):
            mean = cache["mean"] if "mean" in frozen else np.mean(Zv, axis=0, keepdims=True)
            var = cache["var"] if "var" in frozen else np.mean((Zv - mean) ** 2, axis=0, keepdims=True)
            return np.sum(dout * gamma * (Zv - mean) / np.sqrt(var + cache["eps"]))

        grad = np.zeros_like(Z)
        for index in np.ndindex(Z.shape):
            up, down = Z.copy(), Z.copy()
            up[index] += h
            down[index] -= h
            grad[index] = (cost(up) - cost(down)) / (2 * h)
        return grad

    def _ln_backward_case(dout, cache, label):
        try:
            got = check.check_not_mutated(layernorm_backward, dout, cache)
        except KeyError as err:
            raise AssertionError(f"layernorm_backward ({label}): the cache has no key {err}: it holds exactly "
                                 "'Z_hat', 'mean', 'var', 'gamma' and 'eps'") from None
        except ValueError as err:
            raise AssertionError(f"layernorm_backward ({label}): shapes do not fit ({err}); sums need "
                                 "keepdims=True, and the sums inside dZ run over axis=0") from None
        assert isinstance(got, (tuple, list)) and len(got) == 3, (
            f"layernorm_backward ({label}): return a tuple (dZ, dgamma, dbeta), got {type(got).__name__}")
        dZ, dgamma, dbeta = got
        Z_hat = cache["Z_hat"]
        n, m = Z_hat.shape
        want = (_ln_numeric_dZ(dout, cache), np.sum(dout * Z_hat, axis=1, keepdims=True),
                np.sum(dout, axis=1, keepdims=True))
        for name, value in (("dgamma", dgamma), ("dbeta", dbeta)):
            if value is None:
                continue  # check_array below says what is missing
            shape = np.shape(value)
            if shape == (1, m) and n != 1:
                raise AssertionError(f"{name} ({label}) has shape {shape}: the normalisation runs along axis=0, "
                                     f"but gamma and beta are still one per unit, broadcast over the examples: "
                                     f"sum over axis=1, giving shape ({n}, 1)")
            if shape == (n,):
                raise AssertionError(f"{name} ({label}) has shape {shape}: keep it a column ({n}, 1) with keepdims=True")
        check.check_array(dgamma, want[1], f"dgamma ({label})")
        check.check_array(dbeta, want[2], f"dbeta ({label})")
        check.check_shape(dZ, (n, m), f"dZ ({label})")
        value = np.asarray(dZ, dtype=float)
        if not np.allclose(value, want[0], rtol=1e-6, atol=1e-8):
            # The usual slips, from derivatives of the forward pass with a path cut (no backward formula here).
            right = want[0]
            constant = dout * cache["gamma"] / np.sqrt(cache["var"] + cache["eps"])
            no_variance_path = _ln_numeric_dZ(dout, cache, frozen=("var",))
            no_mean_path = _ln_numeric_dZ(dout, cache, frozen=("mean",))
            for wrong, hint in [
                (constant - (constant - right) * n / m,
                 f"the count is n = {n}, the number of units (Z_hat.shape[0]), not the number of examples {m}"),
                (constant,
                 "dZ = dout * gamma / sqrt(var + eps) treats the mean and the variance as constants: each "
                 "depends on every unit of the example, and each path adds a term, as in batch norm"),
                (no_variance_path, "the path through the variance is missing"),
                (no_mean_path, "the path through the mean is missing"),
                (_ln_numeric_dZ(dout, cache, ones_gamma=True), "gamma is missing: dZ_hat = dout * gamma"),
                (right * n, "the factor 1/n in front is missing"),
            ]:
                if not np.allclose(wrong, want[0], rtol=1e-6, atol=1e-8) and np.allclose(value, wrong, rtol=1e-6, atol=1e-8):
                    raise AssertionError(f"dZ ({label}): {hint}")
        check.check_array(dZ, want[0], f"dZ ({label})")
        return got

    # 1. The worked example.
    _Z = np.array([[1.0, 4.0], [-1.0, 0.0], [3.0, 5.0]])
    _dout = np.array([[0.5, -1.0], [1.0, 0.0], [-1.0, 2.0]])
    _dZ, _dgamma, _dbeta = _ln_backward_case(_dout, _ln_cache(_Z, np.array([[2.0], [0.5], [1.0]]), 1e-5), "the worked example")
    check.check_array(_dZ, np.array([[0.510309, -0.991949], [-0.255153, 0.198389], [-0.255156, 0.793560]]),
                      "dZ (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_dgamma, np.array([[-0.462910], [-1.224743], [0.626896]]), "dgamma (worked example)", rtol=1e-6, atol=1e-6)
    check.check_array(_dbeta, np.array([[-0.5], [1.0], [1.0]]), "dbeta (worked example)")
    print("worked example reproduced:\ndZ =\n", np.asarray(_dZ), "\ndgamma =", np.ravel(_dgamma), " dbeta =", np.ravel(_dbeta))

    # 2. More examples than units, a large eps, against central differences of sum(dout * out).
    _rng = np.random.default_rng(106)
    _Z = _rng.standard_normal((4, 7)) * 2 + 1
    _gamma, _beta = _rng.uniform(0.5, 2, (4, 1)), _rng.standard_normal((4, 1))
    _dout = _rng.standard_normal((4, 7))
    _dZ, _, _ = _ln_backward_case(_dout, _ln_cache(_Z, _gamma, 0.5), "(4, 7), eps 0.5")
    _numeric = np.zeros_like(_Z)
    for _index in np.ndindex(_Z.shape):
        _up, _down = _Z.copy(), _Z.copy()
        _up[_index] += 1e-6
        _down[_index] -= 1e-6
        _numeric[_index] = (np.sum(_dout * (_gamma * _ln_cache(_up, _gamma, 0.5)["Z_hat"]))
                            - np.sum(_dout * (_gamma * _ln_cache(_down, _gamma, 0.5)["Z_hat"]))) / 2e-6
    check.check_array(_dZ, _numeric, "dZ (4, 7) against central differences", rtol=1e-5, atol=1e-6)

### BEGIN HIDDEN TESTS
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")

    def _h_ln_cache(Z, gamma, eps):
        mean = Z.mean(axis=0, keepdims=True)
        var = ((Z - mean) ** 2).mean(axis=0, keepdims=True)
        return {"Z_hat": (Z - mean) / np.sqrt(var + eps), "mean": mean, "var": var, "gamma": gamma, "eps": eps}

    def _h_ln_backward(dout, cache):
        Z_hat, var, eps = cache["Z_hat"], cache["var"], cache["eps"]
        n = Z_hat.shape[0]
        g = dout * cache["gamma"]
        dZ = (n * g - g.sum(axis=0, keepdims=True) - Z_hat * (g * Z_hat).sum(axis=0, keepdims=True)) / (n * np.sqrt(var + eps))
        return dZ, (dout * Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)

    _rng = np.random.default_rng(10006)
    for _trial, (_n, _m) in enumerate([(2, 1), (2, 4), (9, 1), (3, 3), (8, 5), (40, 2), (3, 7), (1, 3)]):
        _scale = [1.0, 1e3, 0.01, 30.0][_trial % 4]
        _Z = _rng.standard_normal((_n, _m)) * _scale + _rng.uniform(-5, 5) * _scale
        _gamma = _rng.uniform(-2, 2, (_n, 1))
        _eps = float([1e-5, 0.1, 1e-3, 1e-8][_trial % 4])
        _cache = _h_ln_cache(_Z, _gamma, _eps)
        _dout = _rng.standard_normal((_n, _m)) * [1.0, 5.0][_trial % 2]
        _saved = (_dout.copy(), {k: np.array(v, copy=True) for k, v in _cache.items()})
        _res = layernorm_backward(_dout, _cache)
        _desc = f"dout of shape {(_n, _m)}, Z of scale {_scale}, eps {_eps}"
        assert isinstance(_res, (tuple, list)) and len(_res) == 3, f"return (dZ, dgamma, dbeta) ({_desc})"
        for _name, _got, _want in zip(("dZ", "dgamma", "dbeta"), _res, _h_ln_backward(_dout, _cache)):
            _got = np.asarray(_got, dtype=float)
            assert _got.shape == _want.shape, f"{_name} has shape {_got.shape}, expected {_want.shape} ({_desc})"
            assert np.allclose(_got, _want, rtol=1e-6, atol=1e-8 * max(1.0, float(np.max(np.abs(_want))))), \
                f"{_name} is wrong ({_desc})"
        assert np.array_equal(_dout, _saved[0]), f"dout was modified ({_desc})"
        assert all(np.array_equal(_cache[k], v) for k, v in _saved[1].items()), f"the cache was modified ({_desc})"
        assert np.allclose(np.sum(np.asarray(_res[0], dtype=float), axis=0), 0,
                           atol=1e-8 * max(1.0, float(np.max(np.abs(_res[0]))))), f"each column of dZ sums to 0 ({_desc})"
### END HIDDEN TESTS

check.passed("layernorm_backward: sums over the units inside dZ, over the examples for dgamma and dbeta.")

# %% [markdown]
# ### Batch norm and layer norm side by side
#
# The cell below normalises 32 training digits' first-layer pre-activations $Z = W^{[1]} X$ with
# both methods, once as a batch and once one column at a time, and compares column 0. Layer norm
# gives the same answer either way. Batch norm on one column returns $\beta$, and in training mode
# it also depends on the other 31.

# %% tags=["demo"]
try:
    _rng = np.random.default_rng(7)
    _Z1 = (_rng.standard_normal((16, 64)) * np.sqrt(2 / 64)) @ X_train[:, :32]      # (16, 32)
    _gamma, _beta = np.ones((16, 1)), np.full((16, 1), 0.5)
    _ln_batch, _ = layernorm_forward(_Z1, _gamma, _beta)
    _ln_alone, _ = layernorm_forward(_Z1[:, [0]], _gamma, _beta)
    _bn_batch, _ = batchnorm_forward(_Z1, _gamma, _beta)
    _bn_alone, _ = batchnorm_forward(_Z1[:, [0]], _gamma, _beta)
    _bn_other, _ = batchnorm_forward(np.hstack([_Z1[:, [0]], _Z1[:, 16:]]), _gamma, _beta)
    print("layer norm, column 0: largest difference alone vs in the batch:",
          f"{np.max(np.abs(_ln_alone[:, 0] - _ln_batch[:, 0])):.1e}")
    print("batch norm, column 0 alone: every entry equals beta = 0.5:", bool(np.allclose(_bn_alone, 0.5)))
    print("batch norm, column 0 in two different batches: largest difference",
          f"{np.max(np.abs(_bn_batch[:, 0] - _bn_other[:, 0])):.2f}")
except NotImplementedError:
    print("Write batchnorm_forward and layernorm_forward above to run this cell.")

# %% [markdown]
# | | batch norm | layer norm |
# |---|---|---|
# | statistics over | the examples of the batch, `axis=1` | the units of each example, `axis=0` |
# | `mean`, `var` | $(n, 1)$ | $(1, m)$ |
# | $\gamma$, $\beta$ | $(n, 1)$ | $(n, 1)$ |
# | at inference | running averages, a separate code path | the same computation as in training |
# | batch of one | useless in training ($\text{out} = \beta$) | fine |
# | typical home | convolutional and fully connected networks trained on large batches | transformers, recurrent networks, small batches |
#
# Neither is free. Batch norm's noise from batch to batch acts as a mild regulariser, and it
# treats every unit on its own terms; but it couples examples, and its training and inference
# behaviour differ. Layer norm treats each example on its own, but it forces all $n$ units of a
# layer to share one mean and one variance, which suits layers whose units are comparable (the
# coordinates of a transformer's token vector) better than layers whose units measure very
# different things.

# %% [markdown]
# ### Written question 3: batch norm or layer norm? [2 points, graded by hand]
#
# A network is too large for your GPU's memory with more than **2** examples per batch. Explain
# what batch norm's statistics are like with $m = 2$ (work out $\hat Z$ for a unit whose two values
# are $a$ and $b$, ignoring $\varepsilon$), what that means for training and for the running
# averages used at inference, and why layer norm does not have this problem. Three or four sentences.

# %% [markdown] answer="batch_vs_layer_norm" points=2
# ### BEGIN SOLUTION
# **Model answer.** With two examples a unit's mean is $(a + b)/2$ and its variance $((a - b)/2)^2$,
# so $\hat Z = \pm 1$: one example always gets $+1$ and the other $-1$, whatever $a$ and $b$ are.
# Batch norm then throws away how far apart the two values were and keeps only which is larger, and
# the mean and variance estimated from two numbers are so noisy that the running averages used at
# inference describe the data poorly, so the network behaves differently at test time than in
# training. Layer norm computes its statistics over the $n$ units of each example, so their quality
# does not depend on the batch size at all, and it runs the same computation in training and
# inference with no running averages; that makes it the choice for tiny batches (and for
# transformers and sequence models, where examples differ in length).
#
# **Rubric.**
# - [1 point] with $m = 2$, $\hat Z = \pm 1$ for every unit (only the order of the two values survives) and the statistics are too noisy, so training-mode and running statistics disagree
# - [1 point] layer norm uses the $n$ units of each example, independent of the batch size, and is identical in training and inference (no running averages)
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - **Batch norm** standardises each unit over the batch, `axis=1` in our layout:
#   $\hat Z = (Z - \mu)/\sqrt{\sigma^2 + \varepsilon}$ with the biased variance and $\varepsilon$
#   inside the root, then $\text{out} = \gamma \hat Z + \beta$ with learned $(n, 1)$ parameters. A
#   bias $b$ before it is redundant.
# - **Its backward pass** follows from the graph of notebook 09: sums over the examples where an
#   $(n, 1)$ column was broadcast, and added contributions where a value ($Z$, $D$) was used
#   twice. Substituted into each other, the steps give one expression in $d\hat Z = \gamma \odot
#   d\text{out}$ and two sums over the examples; $d\gamma = \sum_j d\text{out}\,\hat Z$,
#   $d\beta = \sum_j d\text{out}$.
# - **Training vs inference**: training uses the batch's statistics and updates running averages,
#   $\text{run} \leftarrow \rho\,\text{run} + (1 - \rho)\,\text{batch}$; inference uses the running
#   averages only, so each prediction depends on its own example.
# - **Why bother**: every layer's output no longer depends on the scale of its weights, so a deep
#   ReLU network that diverges at a large learning rate without it (and stalls at a moderate one,
#   many of its units dead and the differences between images fading from layer to layer) trains
#   well with it.
# - **Layer norm** standardises each example over its units, `axis=0`, with the same $(n, 1)$
#   $\gamma$ and $\beta$; it needs no running statistics, works for any batch size and behaves the
#   same in training and inference. Its backward pass is the same expression with the sums over
#   `axis=0` and the count $n$, while $d\gamma$ and $d\beta$ still sum over the examples.
