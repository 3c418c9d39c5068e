"""course.backend: picks NumPy or CuPy, never raises while probing, moves params both ways.

The CuPy cases use fake ``cupy`` modules placed in ``sys.modules``, so these tests mean the
same thing on a laptop without CuPy and on a GPU machine with it.
"""

import importlib.abc
import importlib.machinery
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from course import backend


@pytest.fixture(autouse=True)
def fresh_probe():
    # The probe is cached; a fake cupy from one test must not answer for the next.
    backend.reset_gpu_check()
    yield
    backend.reset_gpu_check()


def no_cupy(monkeypatch):
    # None in sys.modules makes `import cupy` raise ModuleNotFoundError, as if not installed.
    monkeypatch.setitem(sys.modules, "cupy", None)


def fake_cupy(monkeypatch, get_device_count, version="14.2.0"):
    """Install a NumPy-backed stand-in for cupy whose device count comes from get_device_count."""
    cupy = types.ModuleType("cupy")
    cupy.__version__ = version
    cupy.float64 = np.float64
    cupy.arange = np.arange
    cupy.synchronized = []

    class Device:
        id = 0

        def synchronize(self):
            cupy.synchronized.append(True)

    class FakeGpuArray:
        def __init__(self, host):
            self.host = np.array(host, copy=True)
            self.shape, self.dtype = self.host.shape, self.host.dtype

        def get(self):
            return self.host.copy()

    cupy.FakeGpuArray = FakeGpuArray
    cupy.array = lambda a, copy=True: FakeGpuArray(a.host if isinstance(a, FakeGpuArray) else a)
    cupy.cuda = types.SimpleNamespace(
        Device=Device,
        runtime=types.SimpleNamespace(
            getDeviceCount=get_device_count,
            getDeviceProperties=lambda i: {"name": b"Fake Tesla"},
        ),
    )
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    return cupy


class _ExplodingFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `cupy` and fails while loading it, like CuPy built against another CUDA."""

    def find_spec(self, name, path=None, target=None):
        if name == "cupy":
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version\nmore")


def assert_one_cpu_sentence(status):
    assert isinstance(status, str)
    assert status.startswith("No GPU found")
    assert "\n" not in status and status.endswith(".")
    assert "CPU" in status


# ---------------------------------------------------------------- no GPU

def test_importing_backend_does_not_import_cupy():
    code = "import sys, course.backend; sys.exit('cupy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2]).returncode == 0


def test_without_cupy_there_is_no_gpu_and_numpy_is_used(monkeypatch):
    no_cupy(monkeypatch)
    assert backend.gpu_available() is False
    status = backend.gpu_status()
    assert_one_cpu_sentence(status)
    assert "not installed" in status
    assert backend.get_array_module() is np
    assert backend.get_array_module(prefer_gpu=False) is np


def test_device_query_that_raises_means_no_gpu(monkeypatch):
    def broken():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake_cupy(monkeypatch, broken)
    assert backend.gpu_available() is False
    status = backend.gpu_status()
    assert_one_cpu_sentence(status)
    assert "installed but no CUDA device is usable" in status
    assert "no CUDA-capable device" in status
    assert backend.get_array_module() is np


def test_zero_devices_means_no_gpu(monkeypatch):
    fake_cupy(monkeypatch, lambda: 0)
    assert backend.gpu_available() is False
    assert_one_cpu_sentence(backend.gpu_status())


def test_failing_tiny_computation_means_no_gpu(monkeypatch):
    cupy = fake_cupy(monkeypatch, lambda: 1)

    def arange(*args, **kwargs):
        raise MemoryError("out of memory allocating 32 bytes")

    cupy.arange = arange
    assert backend.gpu_available() is False
    assert "out of memory" in backend.gpu_status()


def test_import_raising_non_import_error_means_no_gpu(monkeypatch):
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_ExplodingFinder(), *sys.meta_path])
    assert backend.gpu_available() is False
    status = backend.gpu_status()
    assert_one_cpu_sentence(status)
    assert "failed to load" in status and "insufficient" in status
    assert "more" not in status  # only the first line of the error


def test_probe_is_cached_until_reset(monkeypatch):
    calls = []
    fake_cupy(monkeypatch, lambda: calls.append(1) or 1)
    assert backend.gpu_available() and backend.gpu_available()
    backend.gpu_status()
    assert len(calls) == 1
    backend.reset_gpu_check()
    backend.gpu_available()
    assert len(calls) == 2


# ---------------------------------------------------------------- a (fake) GPU

def test_working_gpu_is_reported_and_chosen(monkeypatch):
    cupy = fake_cupy(monkeypatch, lambda: 1)
    assert backend.gpu_available() is True
    assert backend.gpu_status().startswith("GPU found: Fake Tesla (CuPy 14.2.0)")
    assert backend.get_array_module() is cupy
    assert backend.get_array_module(prefer_gpu=False) is np


def test_synchronize_waits_for_cupy_only(monkeypatch):
    cupy = fake_cupy(monkeypatch, lambda: 1)
    backend.synchronize(np)
    assert cupy.synchronized == []
    backend.synchronize(cupy)
    assert cupy.synchronized == [True]


def test_params_round_trip_through_the_gpu(monkeypatch):
    cupy = fake_cupy(monkeypatch, lambda: 1)
    params = {"W1": np.arange(6.0).reshape(3, 2), "b1": np.zeros((3, 1))}
    on_gpu = backend.to_device(params, cupy)
    assert set(on_gpu) == set(params)
    assert all(isinstance(v, cupy.FakeGpuArray) for v in on_gpu.values())
    back = backend.to_numpy(on_gpu)
    assert all(type(v) is np.ndarray for v in back.values())
    for key in params:
        np.testing.assert_array_equal(back[key], params[key])


# ---------------------------------------------------------------- NumPy moves

def test_to_device_numpy_copies_and_never_mutates():
    params = {"W1": np.ones((2, 3)), "b1": np.zeros((2, 1))}
    moved = backend.to_device(params, np)
    assert moved is not params and set(moved) == {"W1", "b1"}
    moved["W1"] -= 1.0  # an in-place update of the copy ...
    moved["b2"] = np.ones(1)
    np.testing.assert_array_equal(params["W1"], np.ones((2, 3)))  # ... leaves the original alone
    assert set(params) == {"W1", "b1"}


def test_to_numpy_of_numpy_returns_equal_new_arrays():
    grads = {"dW1": np.full((2, 2), 3.0), "db1": np.ones((2, 1))}
    out = backend.to_numpy(grads)
    assert out is not grads
    for key in grads:
        assert out[key] is not grads[key]
        assert out[key].dtype == grads[key].dtype
        np.testing.assert_array_equal(out[key], grads[key])
    single = np.arange(4.0)
    assert backend.to_numpy(single) is not single
    np.testing.assert_array_equal(backend.to_device(single, np), single)


def test_array_namespace_is_array_api_compat():
    import array_api_compat

    assert backend.array_namespace is array_api_compat.array_namespace
    xp = backend.array_namespace(np.ones(2), np.zeros((1, 2)))
    assert array_api_compat.is_numpy_namespace(xp)
