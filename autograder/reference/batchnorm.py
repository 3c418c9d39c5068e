"""10_batchnorm: batch normalisation (each unit over the batch, axis=1) in training and inference, and
layer normalisation (each example over its units, axis=0).

Z, out, dout: (n, m), n units by m examples; gamma, beta: (n, 1). Caches are dicts
{"Z_hat", "mean", "var", "gamma", "eps"}, with mean and var (n, 1) for batch norm, (1, m) for layer norm.
"""

from autograder.judging import Spec, call_reference, describe, match, random_inputs, same_as_reference

from ._namespace import namespace_of


def _normalise(Z, gamma, beta, eps, axis):
    xp = namespace_of(Z, gamma, beta)
    mean = xp.mean(Z, axis=axis, keepdims=True)
    var = xp.mean((Z - mean) ** 2, axis=axis, keepdims=True)  # biased: divide by the count, not count - 1
    Z_hat = (Z - mean) / xp.sqrt(var + eps)
    return gamma * Z_hat + beta, {"Z_hat": Z_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}


def _normalise_backward(dout, cache, axis):
    """dZ from the simplified expression along `axis` (the normalised one); dgamma, dbeta over the examples."""
    xp = namespace_of(dout)
    Z_hat, gamma = cache["Z_hat"], cache["gamma"]
    count = Z_hat.shape[axis]
    dZ_hat = dout * gamma
    dZ = (count * dZ_hat - xp.sum(dZ_hat, axis=axis, keepdims=True)
          - Z_hat * xp.sum(dZ_hat * Z_hat, axis=axis, keepdims=True)) / (count * xp.sqrt(cache["var"] + cache["eps"]))
    return dZ, xp.sum(dout * Z_hat, axis=1, keepdims=True), xp.sum(dout, axis=1, keepdims=True)


def batchnorm_forward(Z, gamma, beta, eps=1e-5):
    """Train mode: each unit (row) normalised over the batch with its biased variance, then scaled and shifted.

    Z (n, m), gamma, beta (n, 1) -> (out (n, m), cache).
    """
    return _normalise(Z, gamma, beta, eps, axis=1)


# The nodes of batch norm's graph, in the order the forward pass computes them, and their shapes:
# mu = mean_j Z (n, 1), D = Z - mu, Q = D * D, var = mean_j Q (n, 1), s = (var + eps)^(-1/2) (n, 1),
# Z_hat = D * s, P = gamma * Z_hat, out = P + beta (the others (n, m)).
STAGED_NODES = ("P", "Z_hat", "s", "var", "Q", "D", "mu")


def batchnorm_backward_staged(dout, cache, return_nodes=False):
    """Batch norm's backward pass node by node, against the forward graph.

    dout (n, m) and batchnorm_forward's cache -> (dZ (n, m), dgamma (n, 1), dbeta (n, 1)), the contract of
    batchnorm_backward; with return_nodes=True, (dZ, dgamma, dbeta, node_grads), node_grads =
    {node: dC/dnode} for the nodes of STAGED_NODES, each shaped like its node (so they can be checked).
    """
    xp = namespace_of(dout)
    Z_hat, gamma, var, eps = cache["Z_hat"], cache["gamma"], cache["var"], cache["eps"]
    m = Z_hat.shape[1]
    s = (var + eps) ** -0.5
    D = Z_hat / s                                                 # not stored: Z_hat and s give it back
    dP = dout                                                     # out = P + beta
    dbeta = xp.sum(dout, axis=1, keepdims=True)                   # beta broadcast over the examples
    dZ_hat = dP * gamma                                           # P = gamma * Z_hat
    dgamma = xp.sum(dP * Z_hat, axis=1, keepdims=True)
    dD = dZ_hat * s                                               # Z_hat = D * s: first use of D
    ds = xp.sum(dZ_hat * D, axis=1, keepdims=True)
    dvar = -0.5 * ds * s ** 3                                     # s = (var + eps)^(-1/2)
    dQ = xp.ones_like(D) * (dvar / m)                             # var = mean_j Q
    dD = dD + 2 * D * dQ                                          # Q = D * D: second use of D, added
    dmu = -xp.sum(dD, axis=1, keepdims=True)                      # D = Z - mu, mu broadcast
    dZ = dD + xp.ones_like(D) * (dmu / m)                         # mu = mean_j Z: second use of Z, added
    if not return_nodes:
        return dZ, dgamma, dbeta
    nodes = {"P": dP, "Z_hat": dZ_hat, "s": ds, "var": dvar, "Q": dQ, "D": dD, "mu": dmu}
    return dZ, dgamma, dbeta, nodes


def batchnorm_backward(dout, cache):
    """dout (n, m) and batchnorm_forward's cache -> (dZ (n, m), dgamma (n, 1), dbeta (n, 1)), one expression."""
    return _normalise_backward(dout, cache, axis=1)


def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    """running <- momentum * running + (1 - momentum) * batch, for the mean and the variance (new arrays)."""
    return (momentum * running_mean + (1 - momentum) * batch_mean,
            momentum * running_var + (1 - momentum) * batch_var)


def batchnorm_inference(Z, gamma, beta, running_mean, running_var, eps=1e-5):
    """Inference: normalise with the running statistics (n, 1), never the batch's. Z (n, m) -> out (n, m)."""
    xp = namespace_of(Z, running_var)
    return gamma * (Z - running_mean) / xp.sqrt(running_var + eps) + beta


def layernorm_forward(Z, gamma, beta, eps=1e-5):
    """Each example (column) normalised over its units; the same in training and inference.

    Z (n, m), gamma, beta (n, 1) -> (out (n, m), cache with mean and var of shape (1, m)).
    """
    return _normalise(Z, gamma, beta, eps, axis=0)


def layernorm_backward(dout, cache):
    """dout (n, m) and layernorm_forward's cache -> (dZ (n, m), dgamma (n, 1), dbeta (n, 1))."""
    return _normalise_backward(dout, cache, axis=0)


# ---------------------------------------------------------------- the integrity check's specs (autograder.judging)

CACHE_KEYS = ("Z_hat", "mean", "var", "gamma", "eps")


def _inputs(rng, n=None, m=None):
    n = n or random_inputs.integer(rng, 1, 6)
    m = m or random_inputs.integer(rng, 2, 8)
    Z = rng.standard_normal((n, m)) * rng.uniform(0.5, 20) + rng.uniform(-10, 10)
    return Z, rng.uniform(0.5, 2, (n, 1)), rng.standard_normal((n, 1))


def _cases_forward(rng):
    cases = [(list(_inputs(rng)), {}), (list(_inputs(rng, m=2)), {"eps": float(rng.choice([1e-3, 0.1]))})]
    Z, gamma, beta = _inputs(rng, n=1)
    return cases + [([Z, gamma, beta, 1e-2], {})]


def _judge_forward(reference):
    """out as the reference's, and a cache holding at least the contract's keys with the reference's values."""
    def judge(got, args, kwargs):
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return f"returned {describe(got)}, expected a tuple (out, cache)"
        want_out, want_cache = reference(*args, **kwargs)
        reason = match(got[0], want_out, "out")
        if reason:
            return reason
        if not isinstance(got[1], dict):
            return f"the cache is {describe(got[1])}, expected a dict"
        missing = [key for key in CACHE_KEYS if key not in got[1]]
        if missing:
            return f"the cache lacks {missing} (it holds {sorted(got[1])})"
        return match({key: got[1][key] for key in CACHE_KEYS}, want_cache, "the cache")
    return judge


def _cases_backward(forward):
    def cases(rng):
        drawn = []
        for kwargs in ({}, {"eps": 0.1}, {}):
            Z, gamma, beta = _inputs(rng, m=random_inputs.integer(rng, 2, 6))
            _, cache = forward(Z, gamma, beta, **kwargs)
            drawn.append(([rng.standard_normal(Z.shape), cache], {}))
        return drawn
    return cases


def _cases_update_running_stats(rng):
    n = random_inputs.integer(rng, 1, 6)
    stats = [rng.standard_normal((n, 1)), rng.uniform(0.1, 3, (n, 1)), rng.standard_normal((n, 1)),
             rng.uniform(0.1, 3, (n, 1))]
    return [(stats, {}), (stats, {"momentum": float(rng.uniform(0.5, 0.99))})]


def _cases_batchnorm_inference(rng):
    cases = []
    for m, kwargs in ((random_inputs.integer(rng, 2, 6), {}), (1, {"eps": 1e-3})):
        Z, gamma, beta = _inputs(rng, m=m)
        n = Z.shape[0]
        cases.append(([Z, gamma, beta, rng.standard_normal((n, 1)), rng.uniform(0.1, 3, (n, 1))], kwargs))
    return cases


def _cases_staged(rng):
    """batchnorm_backward's three cases, called as the contract says (a 3-tuple back), then two more with
    return_nodes=True, whose node_grads are judged node by node."""
    called_plainly = _cases_backward(batchnorm_forward)(rng)
    with_nodes = [(args, {"return_nodes": True}) for args, _ in _cases_backward(batchnorm_forward)(rng)[:2]]
    return called_plainly + with_nodes


def _judge_staged(got, args, kwargs):
    """The default call: (dZ, dgamma, dbeta) as batchnorm_backward's judge. With return_nodes=True, those and
    then the gradient of every node of STAGED_NODES (a node_grads dict with more entries, "out" or "Z" say,
    is not refuted for them)."""
    same_as_backward = same_as_reference(batchnorm_backward, names=("dZ", "dgamma", "dbeta"))
    if not kwargs.get("return_nodes"):
        if isinstance(got, (tuple, list)) and len(got) == 4:
            return ("returned 4 values when called without return_nodes: the contract is (dZ, dgamma, dbeta), "
                    "like batchnorm_backward; node_grads comes back only with return_nodes=True")
        return same_as_backward(got, args, {})
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return (f"returned {describe(got)}{f' of {len(got)}' if isinstance(got, (tuple, list)) else ''} with "
                "return_nodes=True, expected a tuple (dZ, dgamma, dbeta, node_grads)")
    reason = same_as_backward(got[:3], args, {})
    if reason:
        return reason
    want = call_reference(batchnorm_backward_staged, args, kwargs)[3]
    if not isinstance(got[3], dict):
        return f"node_grads is {describe(got[3])}, expected a dict"
    missing = [node for node in STAGED_NODES if node not in got[3]]
    if missing:
        return f"node_grads lacks {missing} (it holds {sorted(got[3])})"
    return match({node: got[3][node] for node in STAGED_NODES}, want, "node_grads")


SPECS = {
    "batchnorm_forward": Spec(_cases_forward, _judge_forward(batchnorm_forward)),
    "batchnorm_backward_staged": Spec(_cases_staged, _judge_staged),
    "batchnorm_backward": Spec(_cases_backward(batchnorm_forward), same_as_reference(
        batchnorm_backward, names=("dZ", "dgamma", "dbeta"))),
    "update_running_stats": Spec(_cases_update_running_stats, same_as_reference(
        update_running_stats, names=("running_mean", "running_var"))),
    "batchnorm_inference": Spec(_cases_batchnorm_inference, same_as_reference(batchnorm_inference)),
    "layernorm_forward": Spec(_cases_forward, _judge_forward(layernorm_forward)),
    "layernorm_backward": Spec(_cases_backward(layernorm_forward), same_as_reference(
        layernorm_backward, names=("dZ", "dgamma", "dbeta"))),
}
