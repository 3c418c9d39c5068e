"""Which array library a call works in.

The reference is written against the Python array API standard, so the same code runs on
NumPy, CuPy and array-api-strict: each function asks its inputs which namespace they use.
"""

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj


def namespace_of(*values):
    """The array namespace of the array-valued arguments; NumPy when none is an array."""
    arrays = [v for v in values if is_array_api_obj(v)]
    return array_namespace(*arrays) if arrays else array_namespace(np.asarray(0.0))


def as_float_array(x, xp):
    """`x` as a floating-point array of namespace `xp` (Python numbers and lists included)."""
    x = xp.asarray(x)
    if not xp.isdtype(x.dtype, "real floating"):
        x = xp.astype(x, xp.float64)
    return x


def like(host_array, reference):
    """A NumPy array (made on the host, e.g. from an `rng`) moved to `reference`'s namespace and dtype."""
    xp = namespace_of(reference)
    return xp.asarray(np.asarray(host_array), dtype=reference.dtype)


def num_layers(params):
    """L, the number of layers with parameters, read from the keys W1..WL."""
    return sum(1 for key in params if key.startswith("W"))
