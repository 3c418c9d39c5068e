"""Central finite differences written apart from the reference's own `numerical_gradient`, so that a bug
in one cannot hide a bug in the other (test_reference_gradients, test_reference_going_further)."""

import numpy as np


def finite_difference_grads(cost, params, eps=1e-6):
    grads = {}
    for key, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[index] += eps
            minus[index] -= eps
            grad[index] = (cost({**params, key: plus}) - cost({**params, key: minus})) / (2 * eps)
        grads[f"d{key}"] = grad
    return grads
