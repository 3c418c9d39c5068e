"""What the GPU tests share: one skip reason where no GPU is usable, and CuPy/NumPy conversions."""

import numpy as np
import pytest

from course import backend

# Every GPU test skips with this one line on a machine without a usable GPU (CI's, most laptops).
requires_gpu = pytest.mark.skipif(not backend.gpu_available(), reason=f"no usable GPU: {backend.gpu_status()}")


def to_gpu(value):
    import cupy

    if isinstance(value, np.ndarray):
        return cupy.asarray(value)
    if isinstance(value, dict):
        return {k: to_gpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_gpu(v) for v in value)
    return value


def assert_same(gpu_result, cpu_result, rtol):
    """The GPU's answer equals NumPy's: same structure, CuPy arrays where NumPy gave arrays."""
    import cupy

    if isinstance(cpu_result, dict):
        assert set(gpu_result) == set(cpu_result)
        for key in cpu_result:
            assert_same(gpu_result[key], cpu_result[key], rtol)
    elif isinstance(cpu_result, (list, tuple)):
        assert len(gpu_result) == len(cpu_result)
        for a, b in zip(gpu_result, cpu_result):
            assert_same(a, b, rtol)
    elif isinstance(cpu_result, np.ndarray):
        assert isinstance(gpu_result, cupy.ndarray), f"expected a CuPy array, got {type(gpu_result)}"
        np.testing.assert_allclose(cupy.asnumpy(gpu_result), cpu_result, rtol=rtol, atol=rtol * 1e-2)
    else:
        assert float(gpu_result) == pytest.approx(float(cpu_result), rel=rtol)
