"""Hints for a backward pass that mixes up layer indices, the most common slip in backprop.

The four equations fix what each gradient is built from. With the forward cache held fixed, for
every layer l = 1..L:

- dW[l] is built from A[l-1], the activation coming *into* layer l (BP4);
- below the output (l < L), delta[l] is carried back by W[l+1], the weights *out of* layer l,
  and scaled by g'(Z[l]) (BP2);
- nothing else of the cache or the weights at or below layer l enters dW[l].

`index_slips` checks those facts about a student's function from the outside: on a small tanh
network whose layers all have the same width (so that a wrong index gives numbers rather than a
shape error), it changes one cached array or weight matrix at a time and watches which gradients
move. It computes no gradient itself.
"""

import numpy as np

_LAYERS, _WIDTH = 3, 3


def _probe_case(m, rng):
    """(Y, params, cache) of a [3, 3, 3, 3] network with tanh hidden layers and an identity output."""
    params = {}
    cache = {"A0": rng.normal(size=(_WIDTH, m))}
    for l in range(1, _LAYERS + 1):
        params[f"W{l}"] = rng.normal(size=(_WIDTH, _WIDTH))
        params[f"b{l}"] = rng.normal(scale=0.5, size=(_WIDTH, 1))
        cache[f"Z{l}"] = params[f"W{l}"] @ cache[f"A{l - 1}"] + params[f"b{l}"]
        cache[f"A{l}"] = cache[f"Z{l}"] if l == _LAYERS else np.tanh(cache[f"Z{l}"])
    return rng.normal(size=(_WIDTH, m)), params, cache


def _moved(before, after):
    try:
        return not np.allclose(np.asarray(before, dtype=float), np.asarray(after, dtype=float),
                               rtol=1e-9, atol=1e-12)
    except (TypeError, ValueError):  # another shape: it moved
        return True


def _responses(backward_fn, m, seed):
    """{l: set of the names (A0, Z1, W2, ...) whose change moved dW[l]}, or None if the function fails."""
    rng = np.random.default_rng(seed)
    Y, params, cache = _probe_case(m, rng)
    call = lambda p, c: backward_fn(Y, p, c, "tanh", "identity", "mse")  # noqa: E731 - a one-line closure, timed below
    try:
        base = call(params, cache)
        moved = {l: set() for l in range(1, _LAYERS + 1)}
        probes = [(f"A{l}", "cache") for l in range(_LAYERS)] + [(f"Z{l}", "cache") for l in range(1, _LAYERS)]
        probes += [(f"W{l}", "params") for l in range(1, _LAYERS + 1)]
        for name, where in probes:
            changed_params, changed_cache = dict(params), dict(cache)
            target = changed_cache if where == "cache" else changed_params
            target[name] = target[name] + rng.normal(scale=0.5, size=target[name].shape)
            grads = call(changed_params, changed_cache)
            for l in moved:
                if _moved(base[f"dW{l}"], grads[f"dW{l}"]):
                    moved[l].add(name)
        return moved
    except Exception:  # noqa: BLE001 - a function that fails on its own gets its own message elsewhere
        return None


def index_slips(backward_fn, m=1, seed=0):
    """Sentences naming the layer-index rules `backward_fn` breaks, one per rule ([] if none, or if
    it fails).

    backward_fn(Y, params, cache, hidden_activation, output_activation, loss) -> {"dW1", "db1", ...},
    called with hidden_activation "tanh", output "identity" and loss "mse" on m examples.
    """
    moved = _responses(backward_fn, m, seed)
    if moved is None:
        return []
    layers = range(1, _LAYERS + 1)
    not_into = [l for l in layers if f"A{l - 1}" not in moved[l]]
    not_z = [l for l in layers if l < _LAYERS and f"Z{l}" not in moved[l]]
    not_out = [l for l in layers if l < _LAYERS and f"W{l + 1}" not in moved[l]]
    below = {l: sorted(n for n in moved[l] if n.startswith("W") and int(n[1:]) <= l) for l in layers}
    below = {l: names for l, names in below.items() if names}
    slips = []
    if not_into:
        followed = sorted({n for l in not_into for n in moved[l] if n.startswith("A")})
        slips.append(f"{_listed('dW', not_into)} {_do(not_into)} not follow {_listed('A', [l - 1 for l in not_into])}: "
                     "BP4 builds dW[l] from A[l-1], the activation coming into layer l"
                     + (f" (yours follow {', '.join(followed)})" if followed else ""))
    if not_z:
        slips.append(f"{_listed('dW', not_z)} {_do(not_z)} not follow {_listed('Z', not_z)}: the error of layer l "
                     "is scaled by g'(Z[l]) (BP2), so delta[l] needs Z[l], not Z[l+1]")
    if not_out:
        slips.append(f"{_listed('dW', not_out)} {_do(not_out)} not follow {_listed('W', [l + 1 for l in not_out])}: "
                     "the error of layer l comes back through W[l+1], the weights out of layer l (BP2)")
    if below:
        slips.append(f"{_listed('dW', list(below))} {'changes' if len(below) == 1 else 'change'} with {', '.join(n for ns in below.values() for n in ns)}: "
                     "the error of layer l comes back through the weights above it, W[l+1] (BP2), not W[l]")
    return slips


def _listed(prefix, layers):
    return ", ".join(f"{prefix}{l}" for l in layers)


def _do(layers):
    return "does" if len(layers) == 1 else "do"


def with_index_hint(error, backward_fn, m=1):
    """`error`'s message with the layer-index slips of `backward_fn` in front, when there are any."""
    slips = index_slips(backward_fn, m)
    if not slips:
        return error
    return AssertionError("Mixed-up layer indices? " + "; ".join(slips[:2]) + f". (The test said: {error})")
