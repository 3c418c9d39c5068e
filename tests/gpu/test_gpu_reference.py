"""The reference on CuPy gives NumPy's numbers: forward, backward, and the in-place training step
that the trainers and benchmarks/gpu.py run, in float64 (tight) and float32 (loose)."""

import numpy as np
import pytest

from autograder import reference as ref
from autograder.reference import inplace
from tests.support.gpu import assert_same, requires_gpu, to_gpu

pytestmark = requires_gpu

SIZES = [20, 16, 12, 5]
rng = np.random.default_rng(0)
X = rng.standard_normal((SIZES[0], 64))
Y = np.eye(SIZES[-1])[:, rng.integers(0, SIZES[-1], 64)]
PARAMS = ref.init_he(SIZES, np.random.default_rng(1))


@pytest.mark.parametrize("hidden, output", [("relu", "softmax"), ("tanh", "sigmoid"), ("swish", "identity")])
def test_forward_matches_numpy(hidden, output):
    cpu = ref.forward(X, PARAMS, hidden, output)
    gpu = ref.forward(to_gpu(X), to_gpu(PARAMS), hidden, output)
    assert_same(gpu, cpu, rtol=1e-10)


@pytest.mark.parametrize("hidden, output, loss", [("relu", "softmax", "cross_entropy"), ("tanh", "sigmoid", "bce"),
                                                  ("softplus", "identity", "mse")])
def test_backward_matches_numpy(hidden, output, loss):
    cache = ref.forward(X, PARAMS, hidden, output)[1]
    cpu = ref.backward_batch(Y, PARAMS, cache, hidden, output, loss)
    gpu = ref.backward_batch(to_gpu(Y), to_gpu(PARAMS), to_gpu(cache), hidden, output, loss)
    assert_same(gpu, cpu, rtol=1e-10)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_in_place_training_steps_match_numpy(dtype, rtol):
    def train(xp_in):
        Xd, Yd = xp_in(X.astype(dtype)), xp_in(Y.astype(dtype))
        params = {k: xp_in(v.astype(dtype)) for k, v in PARAMS.items()}
        buffers = inplace.allocate_buffers(SIZES, 32, Xd)
        for step in range(6):
            Xb, Yb = Xd[:, 32 * (step % 2): 32 * (step % 2) + 32], Yd[:, 32 * (step % 2): 32 * (step % 2) + 32]
            inplace.forward_into(Xb, params, buffers, "relu", "softmax")
            params = inplace.sgd_step_into(params, inplace.backward_into(Yb, params, buffers, "relu"), 0.1)
        return params

    assert_same(train(to_gpu), train(lambda a: a), rtol=rtol)


def test_the_trainer_learns_the_same_weights():
    cpu = ref.train(X, Y, SIZES, 3, 16, 0.1, np.random.default_rng(6))
    gpu = ref.train(to_gpu(X), to_gpu(Y), SIZES, 3, 16, 0.1, np.random.default_rng(6))
    assert_same(gpu, cpu, rtol=1e-8)
