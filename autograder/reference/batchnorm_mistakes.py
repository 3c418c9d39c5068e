"""10_batchnorm's named mistakes (autograder.judging.mistakes), beside its reference: each slip its visible
tests name, as a wrong transform (the reference's computation with that one step changed) or, where the
slip changes an input in place or breaks the contract, a pattern in the spec's reason.

The backward slips are written against one staged pass and one simplified expression, each with a
`slip` switch, so that a wrong version is the right computation with one line changed.
"""

import functools

import numpy as np

from autograder.judging.mistakes import Mistake

CHANGED_AN_INPUT = r"changed its input"


# ---------------------------------------------------------------- the forward passes

def _normalise(Z, gamma, beta, eps=1e-5, *, axis, slip=None):
    """(out, cache) of batch norm (axis=1) or layer norm (axis=0), with one `slip`."""
    mean = Z.mean(axis=axis, keepdims=True)
    var = ((Z - mean) ** 2).mean(axis=axis, keepdims=True)
    if slip == "unbiased":
        var = var * Z.shape[axis] / (Z.shape[axis] - 1)
    spread = {"no_eps": np.sqrt(var), "eps_outside": np.sqrt(var) + eps, "by_variance": var + eps,
              "no_division": 1.0}.get(slip, np.sqrt(var + eps))
    Z_hat = (Z - mean) / spread
    out = {"swapped": beta * Z_hat + gamma, "no_scale": Z_hat}.get(slip, gamma * Z_hat + beta)
    stored = {"var_std": np.sqrt(var), "var_with_eps": var + eps, "var_root_eps": np.sqrt(var + eps),
              "var_unbiased": var * Z.shape[axis] / (Z.shape[axis] - 1)}.get(slip, var)
    return out, {"Z_hat": out if slip == "cache_out" else Z_hat, "mean": mean, "var": stored, "gamma": gamma,
                 "eps": eps}


def _batchnorm(slip):
    return functools.partial(_normalise, axis=1, slip=slip)


def _layernorm(slip):
    return functools.partial(_normalise, axis=0, slip=slip)


def _inference(Z, gamma, beta, running_mean, running_var, eps=1e-5, *, slip):
    mean = Z.mean(axis=1, keepdims=True) if slip in ("training_mode", "batch_mean") else running_mean
    var = Z.var(axis=1, keepdims=True) if slip in ("training_mode", "batch_var") else running_var
    spread = {"by_variance": var + eps, "eps_outside": np.sqrt(var) + eps}.get(slip, np.sqrt(var + eps))
    Z_hat = (Z - mean) / spread
    return {"no_scale": Z_hat, "swapped": beta * Z_hat + gamma}.get(slip, gamma * Z_hat + beta)


# ---------------------------------------------------------------- batch norm's backward pass, node by node

def _staged(dout, cache, return_nodes=False, *, slip):
    """The staged pass of the reference with one `slip` (a step of the table changed)."""
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    m = Z_hat.shape[1]
    s = (var + eps) ** -0.5
    D = Z_hat * s if slip == "D_times_s" else Z_hat / s
    dP = dout
    dbeta = (np.mean if slip == "dbeta_mean" else np.sum)(dout, axis=1, keepdims=True)
    dZ_hat = dP if slip == "dZ_hat_no_gamma" else dP * gamma
    dgamma = np.sum(dP if slip == "dgamma_no_Z_hat" else dP * Z_hat, axis=1, keepdims=True)
    if slip == "dgamma_dbeta_swapped":
        dgamma, dbeta = dbeta, dgamma
    dD = dZ_hat * s
    ds = np.sum(dZ_hat * (Z_hat if slip == "ds_Z_hat" else D), axis=1 if slip != "ds_over_units" else 0,
                keepdims=True)
    dvar = {"dvar_sign": 0.5 * ds * s ** 3, "dvar_power": -0.5 * ds * s, "dvar_is_ds": ds}.get(slip, -0.5 * ds * s ** 3)
    count = {"dQ_m_minus_1": m - 1, "dQ_no_mean": 1}.get(slip, m)
    dQ = dvar / count if slip == "dQ_not_copied" else np.ones_like(D) * (dvar / count)
    through_Q = {"dD_Q_factor_2": D * dQ, "dD_Q_subtracted": -2 * D * dQ}.get(slip, 2 * D * dQ)
    dD = {"dD_without_Q": dD, "dD_only_Q": through_Q}.get(slip, dD + through_Q)
    dmu = {"dmu_sign": np.sum(dD, axis=1, keepdims=True), "dmu_not_summed": -dD}.get(
        slip, -np.sum(dD, axis=1, keepdims=True))
    share = {"dZ_m_minus_1": dmu / (m - 1), "dZ_no_mean": dmu}.get(slip, dmu / m)
    dZ = {"dZ_only_D": dD, "dZ_mu_subtracted": dD - np.ones_like(D) * share}.get(slip, dD + np.ones_like(D) * share)
    if not return_nodes:
        return dZ, dgamma, dbeta
    return dZ, dgamma, dbeta, {"P": dP, "Z_hat": dZ_hat, "s": ds, "var": dvar, "Q": dQ, "D": dD, "mu": dmu}


def _staged_slip(slip):
    return functools.partial(_staged, slip=slip)


# ---------------------------------------------------------------- the simplified expression, both norms

def _simplified(dout, cache, *, axis, slip):
    """batch norm's (axis=1) or layer norm's (axis=0) dZ, dgamma, dbeta with one `slip`."""
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    count = Z_hat.shape[axis] - (slip == "count_minus_1")
    if slip == "other_count":
        count = Z_hat.shape[1 - axis]
    dZ_hat = dout if slip == "no_gamma" else dout * gamma
    mean_path = np.sum(dZ_hat, axis=axis, keepdims=True)
    var_path = Z_hat * np.sum(dZ_hat * Z_hat, axis=axis, keepdims=True)
    if slip == "var_path_D":
        var_path = var_path * (var + eps)
    spread = {"no_eps": np.sqrt(var), "by_variance": var + eps}.get(slip, np.sqrt(var + eps))
    terms = {"constants": count * dZ_hat, "no_var_path": count * dZ_hat - mean_path,
             "no_mean_path": count * dZ_hat - var_path, "var_path_sign": count * dZ_hat - mean_path + var_path}
    dZ = terms.get(slip, count * dZ_hat - mean_path - var_path) / ((1 if slip == "no_count" else count) * spread)
    over = 0 if slip == "parameters_over_units" else 1
    reduce = np.mean if slip == "parameters_mean" else np.sum
    dgamma = reduce(dout if slip == "dgamma_no_Z_hat" else dout * Z_hat, axis=over, keepdims=True)
    dbeta = reduce(dout, axis=over, keepdims=True)
    if slip == "dgamma_dbeta_swapped":
        dgamma, dbeta = dbeta, dgamma
    return dZ, dgamma, dbeta


def _batchnorm_backward(slip):
    return functools.partial(_simplified, axis=1, slip=slip)


def _layernorm_backward(slip):
    return functools.partial(_simplified, axis=0, slip=slip)


# ---------------------------------------------------------------- the running statistics

def _running(mean_weights=(0.9, 0.1), var_weights=(0.9, 0.1), var_batch=lambda mean, var: var, swapped=False):
    """update_running_stats with the weights (of the running estimate, of the batch's statistic) as functions
    of momentum written out, the batch's statistic blended into the variance and the results' order."""
    def wrong(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
        def blend(weights, running, batch):
            old, new = (w(momentum) if callable(w) else w for w in weights)
            return old * running + new * batch
        result = (blend(mean_weights, running_mean, batch_mean),
                  blend(var_weights, running_var, var_batch(batch_mean, batch_var)))
        return result[::-1] if swapped else result
    return wrong


RIGHT = (lambda mom: mom, lambda mom: 1 - mom)
SWAPPED = (lambda mom: 1 - mom, lambda mom: mom)


MISTAKES = {
    "batchnorm_forward": (
        Mistake("normalised_each_example", "each example (column) was normalised over its units (axis=0)",
                wrong=_layernorm(None)),
        Mistake("unbiased_variance", "that is the unbiased variance (divided by m - 1, ddof=1)",
                wrong=_batchnorm("unbiased")),
        Mistake("eps_missing", "eps is missing: divide by np.sqrt(var + eps)", wrong=_batchnorm("no_eps")),
        Mistake("eps_outside_root", "eps is outside the square root: divide by np.sqrt(var + eps), not np.sqrt(var) + eps",
                wrong=_batchnorm("eps_outside")),
        Mistake("divided_by_variance", "divided by the variance: divide by the standard deviation, np.sqrt(var + eps)",
                wrong=_batchnorm("by_variance")),
        Mistake("not_divided", "the division by np.sqrt(var + eps) is missing", wrong=_batchnorm("no_division")),
        Mistake("gamma_beta_swapped", "gamma and beta are swapped: out = gamma * Z_hat + beta", wrong=_batchnorm("swapped")),
        Mistake("not_scaled", "out is Z_hat: scale and shift it, out = gamma * Z_hat + beta", wrong=_batchnorm("no_scale")),
        Mistake("cache_holds_out", "cache['Z_hat'] holds out: store the normalised Z_hat, before gamma and beta",
                wrong=_batchnorm("cache_out")),
        # sqrt(var) and sqrt(var + eps) are a relative eps / (2 var) apart: told apart at a tighter tolerance
        Mistake("cache_var_std", "cache['var'] holds the standard deviation: store the variance",
                wrong=_batchnorm("var_std"), rtol=1e-10, atol=1e-12),
        Mistake("cache_var_with_eps", "cache['var'] includes eps: store the variance itself, eps is stored on its own",
                wrong=_batchnorm("var_with_eps")),
        Mistake("cache_var_root", "cache['var'] holds np.sqrt(var + eps): store the variance itself",
                wrong=_batchnorm("var_root_eps"), rtol=1e-10, atol=1e-12),
        Mistake("cache_var_unbiased", "cache['var'] is the unbiased variance: divide by m",
                wrong=_batchnorm("var_unbiased")),
    ),
    "batchnorm_backward_staged": (
        Mistake("changed_in_place", "dP = dout is dout itself", reason=CHANGED_AN_INPUT),
        Mistake("no_return_nodes", "takes no argument return_nodes: keep the signature",
                reason=r"unexpected keyword argument 'return_nodes'"),
        Mistake("four_values_by_default", "node_grads comes back only with return_nodes=True",
                reason=r"^returned 4 values when called without return_nodes"),
        Mistake("three_values_with_nodes", "with return_nodes=True, return a tuple",
                reason=r"with return_nodes=True, expected a tuple"),
        Mistake("nodes_keyed_d", "key each gradient by its node's name", reason=r"node_grads lacks .*it holds .*'d[A-Za-z_]+'"),
        Mistake("dD_without_Q", "dD has only the contribution of D's use in Z_hat = D * s", wrong=_staged_slip("dD_without_Q")),
        Mistake("dD_only_Q", "dD has only the contribution through Q = D^2",
                wrong=_staged_slip("dD_only_Q")),
        Mistake("dD_Q_factor_2", "the factor 2 is missing: the local derivative of Q = D^2 is 2 D",
                wrong=_staged_slip("dD_Q_factor_2")),
        Mistake("dD_Q_subtracted", "the contribution through Q = D^2 is ADDED, +2 D * dQ",
                wrong=_staged_slip("dD_Q_subtracted")),
        Mistake("dQ_not_copied", "over the m columns (e.g. np.ones_like(Z_hat) * ...)",
                wrong=_staged_slip("dQ_not_copied")),
        Mistake("dQ_m_minus_1", "dQ divides by m - 1: var is the biased variance, the mean of Q", wrong=_staged_slip("dQ_m_minus_1")),
        Mistake("dQ_no_mean", "dQ lacks the 1/m of the mean: var = (1/m) sum_j Q, so each Q_ij gets dvar / m",
                wrong=_staged_slip("dQ_no_mean")),
        Mistake("dmu_sign", "dmu has the wrong sign: D = Z - mu, so mu gets -dD, summed over the examples",
                wrong=_staged_slip("dmu_sign")),
        Mistake("dmu_not_summed", "gradient is the sum over axis=1, keepdims=True", wrong=_staged_slip("dmu_not_summed")),
        Mistake("dZ_only_D", "Z is read twice (by mu and by D): dZ has only the contribution through D",
                wrong=_staged_slip("dZ_only_D")),
        Mistake("dZ_no_mean", "the 1/m is missing: mu = (1/m) sum_j Z, so each Z_ij gets dmu / m",
                wrong=_staged_slip("dZ_no_mean")),
        Mistake("dZ_m_minus_1", "mu is a mean over m examples: each Z_ij gets dmu / m, not / (m - 1)",
                wrong=_staged_slip("dZ_m_minus_1")),
        Mistake("dZ_mu_subtracted", "mu's share is ADDED (the minus sign of D = Z - mu is already in dmu)",
                wrong=_staged_slip("dZ_mu_subtracted")),
        Mistake("ds_over_units", "it was summed over axis=0, the units; sum over the examples, axis=1",
                wrong=_staged_slip("ds_over_units")),
        Mistake("ds_Z_hat", "ds multiplies dZ_hat by Z_hat: Z_hat = D * s",
                wrong=_staged_slip("ds_Z_hat")),
        Mistake("D_times_s", "ds uses D = Z_hat * s: since Z_hat = D * s", wrong=_staged_slip("D_times_s")),
        Mistake("dvar_sign", "dvar has the wrong sign",
                wrong=_staged_slip("dvar_sign")),
        Mistake("dvar_power", "dvar uses the power -1/2",
                wrong=_staged_slip("dvar_power")),
        Mistake("dvar_is_ds", "dvar = ds: multiply by the local derivative of s = (var + eps)^(-1/2)",
                wrong=_staged_slip("dvar_is_ds")),
        Mistake("dgamma_no_Z_hat", "dgamma lacks Z_hat: P = gamma * Z_hat", wrong=_staged_slip("dgamma_no_Z_hat")),
        Mistake("dbeta_mean", "dbeta is a mean over the examples: beta was broadcast", wrong=_staged_slip("dbeta_mean")),
        Mistake("dgamma_dbeta_swapped", "dgamma and dbeta are swapped: gamma multiplies Z_hat, so its sum carries Z_hat",
                wrong=_staged_slip("dgamma_dbeta_swapped")),
        Mistake("dZ_hat_no_gamma", "dZ_hat = dP: P = gamma * Z_hat, so Z_hat gets dP times the other factor, gamma",
                wrong=_staged_slip("dZ_hat_no_gamma")),
    ),
    "batchnorm_backward": (
        Mistake("changed_in_place", "compute dZ, dgamma and dbeta as new arrays; dout and the cache's arrays belong "
                                    "to the caller", reason=CHANGED_AN_INPUT),
        Mistake("statistics_constant", "treats the mean and the variance as constants",
                wrong=_batchnorm_backward("constants")),
        Mistake("no_variance_path", "the path through the variance is missing", wrong=_batchnorm_backward("no_var_path")),
        Mistake("no_mean_path", "the path through the mean is missing", wrong=_batchnorm_backward("no_mean_path")),
        Mistake("variance_path_sign", "the term through the variance has the wrong sign",
                wrong=_batchnorm_backward("var_path_sign")),
        Mistake("variance_path_with_D", "the term through the variance uses D = Z_hat * sqrt(var + eps)", wrong=_batchnorm_backward("var_path_D")),
        Mistake("count_minus_1", "the mean and the biased variance divide by m",
                wrong=_batchnorm_backward("count_minus_1")),
        Mistake("count_of_units", "the number of examples (Z_hat.shape[1])",
                wrong=_batchnorm_backward("other_count")),
        Mistake("no_one_over_m", "the factor 1/m in front is missing", wrong=_batchnorm_backward("no_count")),
        Mistake("eps_missing", "eps is missing: divide by np.sqrt(var + eps)", wrong=_batchnorm_backward("no_eps")),
        Mistake("divided_by_variance", "it divides by var + eps: the factor in front has the standard deviation",
                wrong=_batchnorm_backward("by_variance")),
        Mistake("gamma_missing", "gamma is missing: the gradient of Z_hat is dout * gamma",
                wrong=_batchnorm_backward("no_gamma")),
        Mistake("dgamma_no_Z_hat", "lacks Z_hat: P = gamma * Z_hat",
                wrong=_batchnorm_backward("dgamma_no_Z_hat")),
        Mistake("parameters_averaged", "is a mean over the examples: it is a SUM", wrong=_batchnorm_backward("parameters_mean")),
        Mistake("dgamma_dbeta_swapped", "dgamma = sum(dout * Z_hat), dbeta = sum(dout)",
                wrong=_batchnorm_backward("dgamma_dbeta_swapped")),
    ),
    "update_running_stats": (
        Mistake("changed_in_place", "build the new estimates as new arrays", reason=CHANGED_AN_INPUT),
        Mistake("weights_swapped", "the weights are swapped", wrong=_running(SWAPPED, SWAPPED)),
        Mistake("mean_weights_swapped", "the weights are swapped", wrong=_running(SWAPPED, RIGHT)),
        Mistake("other_statistic", "it blends in the other statistic of the batch: the mean with batch_mean", wrong=_running(RIGHT, RIGHT, lambda mean, var: mean)),
        Mistake("square_root", "it blends in the square root of the batch's statistic", wrong=_running(RIGHT, RIGHT, lambda mean, var: np.sqrt(var))),
        Mistake("returned_the_batch", "you returned the batch's statistics: blend them into the running estimate",
                wrong=_running((0, 1), (0, 1))),
        Mistake("unchanged", "the running estimate did not change: add (1 - momentum) * batch",
                wrong=_running((1, 0), (1, 0))),
        Mistake("batch_share_unweighted", "the batch's share needs the factor (1 - momentum)",
                wrong=_running((RIGHT[0], 1), (RIGHT[0], 1))),
        Mistake("results_swapped", "the two results are swapped: return (running_mean, running_var)",
                wrong=_running(RIGHT, RIGHT, swapped=True)),
    ),
    "batchnorm_inference": (
        Mistake("training_mode", "that is training mode: it normalises with the batch's own mean and variance",
                wrong=functools.partial(_inference, slip="training_mode")),
        Mistake("batch_mean", "the mean comes from the batch: subtract running_mean",
                wrong=functools.partial(_inference, slip="batch_mean")),
        Mistake("batch_variance", "the variance comes from the batch: use running_var",
                wrong=functools.partial(_inference, slip="batch_var")),
        Mistake("divided_by_variance", "divided by the variance: divide by its square root, np.sqrt(running_var + eps)",
                wrong=functools.partial(_inference, slip="by_variance")),
        Mistake("eps_outside_root", "eps is outside the square root: divide by np.sqrt(running_var + eps)",
                wrong=functools.partial(_inference, slip="eps_outside")),
        Mistake("not_scaled", "gamma and beta are missing: out = gamma * Z_hat + beta",
                wrong=functools.partial(_inference, slip="no_scale")),
        Mistake("gamma_beta_swapped", "gamma and beta are swapped", wrong=functools.partial(_inference, slip="swapped")),
    ),
    # Layer norm's n = 1 case (one unit: zero variance) leaves eps-less or unbiased slips NaN there: not named.
    "layernorm_forward": (
        Mistake("normalised_each_unit", "that is batch norm: each unit over the examples (axis=1)", wrong=_batchnorm(None)),
        Mistake("eps_outside_root", "eps is outside the square root: divide by np.sqrt(var + eps)",
                wrong=_layernorm("eps_outside")),
        Mistake("gamma_beta_swapped", "gamma and beta are swapped: out = gamma * Z_hat + beta", wrong=_layernorm("swapped")),
        Mistake("not_scaled", "out is Z_hat: scale and shift it, out = gamma * Z_hat + beta", wrong=_layernorm("no_scale")),
        Mistake("cache_var_with_eps", "includes eps: store the variance itself", wrong=_layernorm("var_with_eps")),
    ),
    "layernorm_backward": (
        Mistake("statistics_constant", "dZ = dout * gamma / sqrt(var + eps) treats the mean and the variance as "
                                       "constants", wrong=_layernorm_backward("constants")),
        Mistake("no_variance_path", "the path through the variance is missing", wrong=_layernorm_backward("no_var_path")),
        Mistake("no_mean_path", "the path through the mean is missing", wrong=_layernorm_backward("no_mean_path")),
        Mistake("count_of_examples", "the number of units (Z_hat.shape[0]), not the number of examples",
                wrong=_layernorm_backward("other_count")),
        Mistake("no_one_over_n", "the factor 1/n in front is missing", wrong=_layernorm_backward("no_count")),
        Mistake("gamma_missing", "gamma is missing: dZ_hat = dout * gamma", wrong=_layernorm_backward("no_gamma")),
        Mistake("parameters_over_units", "gamma and beta are still one per unit, broadcast over the examples", wrong=_layernorm_backward("parameters_over_units")),
    ),
}
