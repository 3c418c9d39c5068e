"""Array backend for the GPU-optional cells: NumPy always, CuPy when a GPU is really usable.

The vectorised code in this course only uses functions that NumPy and CuPy share, so the
same cell runs on either; this module picks the namespace ``xp`` and moves arrays:

    xp = get_array_module()            # cupy on a working GPU, numpy otherwise
    print(gpu_status())                # one plain sentence saying which, and why
    params_dev = to_device(params, xp) # dict of (n[l], n[l-1]) / (n[l], 1) arrays -> xp
    ...train with xp...
    synchronize(xp)                    # GPU work is asynchronous: wait before reading a clock
    params = to_numpy(params_dev)      # back to NumPy for plotting and checks

CuPy is optional (requirements-gpu.txt) and is imported lazily, inside functions, so that
importing this module never touches CUDA.
"""

import functools
from collections.abc import Mapping

import numpy
from array_api_compat import array_namespace, is_cupy_namespace, is_numpy_namespace

__all__ = [
    "gpu_available",
    "gpu_status",
    "get_array_module",
    "to_device",
    "to_numpy",
    "array_namespace",
    "synchronize",
    "reset_gpu_check",
]

_CPU_TAIL = "so this cell runs on the CPU with NumPy."


def _short(exc):
    """First line of an exception message, clipped, so a status sentence stays one line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 100 else text[:97] + "..."


def _device_name(cupy):
    # A missing name is cosmetic: it must not turn a working GPU into "no GPU".
    try:
        device_id = cupy.cuda.Device().id
        name = cupy.cuda.runtime.getDeviceProperties(device_id)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:  # noqa: BLE001 - a name is only for display; any failure gives the generic one
        return "CUDA device"


@functools.cache
def _probe():
    """Try CuPy once; return ``(usable, sentence)``. Never raises (bar KeyboardInterrupt)."""
    try:
        import cupy
    except ModuleNotFoundError as exc:
        if exc.name == "cupy":
            return False, f"No GPU found: CuPy is not installed, {_CPU_TAIL}"
        # CuPy is there but one of its own imports is missing (a broken install).
        return False, f"No GPU found: CuPy is installed but failed to load ({_short(exc)}), {_CPU_TAIL}"
    except Exception as exc:  # noqa: BLE001 - CuPy's failures are many; the cell falls back to NumPy
        # CuPy raises ImportError/RuntimeError/OSError when the CUDA libraries are wrong.
        return False, f"No GPU found: CuPy is installed but failed to load ({_short(exc)}), {_CPU_TAIL}"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA device detected")
        # Counting devices does not prove kernels run (driver too old, device busy, no
        # memory), so do a tiny computation and check its answer.
        x = cupy.arange(4, dtype=cupy.float64)
        if float((x * x).sum()) != 14.0:
            raise RuntimeError("a test computation on the GPU gave a wrong answer")
        name = _device_name(cupy)
        version = getattr(cupy, "__version__", "unknown version")
    except Exception as exc:  # noqa: BLE001 - importing CuPy can fail in many ways; each falls back to NumPy
        return False, (
            f"No GPU found: CuPy is installed but no CUDA device is usable ({_short(exc)}), "
            + _CPU_TAIL
        )
    return True, f"GPU found: {name} (CuPy {version}), so this cell runs on the GPU with CuPy."


def gpu_available():
    """True only if CuPy imports and a CUDA device runs a small computation. Cached, never raises."""
    return _probe()[0]


def gpu_status():
    """One sentence for students saying whether the GPU cells will use a GPU, and why not."""
    return _probe()[1]


def reset_gpu_check():
    """Forget the cached answer so the next call probes again (for tests, or after installing CuPy)."""
    _probe.cache_clear()


def get_array_module(prefer_gpu=True):
    """The namespace ``xp`` to compute with: ``cupy`` if ``prefer_gpu`` and a GPU works, else ``numpy``."""
    if prefer_gpu and gpu_available():
        import cupy

        return cupy
    return numpy


def to_host(a):
    """``a`` where the CPU holds it: a CuPy array's data copied to a new NumPy array, anything else as
    it is. CuPy arrays refuse implicit conversion to NumPy on purpose; ``.get()`` is the explicit copy.
    CuPy is never imported: whatever has a ``get`` and is no NumPy array is taken for a device array.
    Shared by course.check and the grader's verification runner, which must not import CuPy either."""
    if hasattr(a, "get") and not isinstance(a, numpy.ndarray):
        return a.get()
    return a


def _leaf_to_numpy(a):
    host = to_host(a)
    return host if host is not a else numpy.array(a, copy=True)  # a device array's .get() is a copy already


def to_numpy(x):
    """A NumPy copy of ``x``: an array (any shape) or a dict of arrays such as ``params``.

    Returns a new dict with the same keys and shapes; ``x`` is left untouched.
    """
    if isinstance(x, Mapping):
        return {key: to_numpy(value) for key, value in x.items()}
    return _leaf_to_numpy(x)


def to_device(x, xp):
    """A copy of ``x`` (an array or dict of arrays, e.g. ``params``) living in namespace ``xp``.

    Shapes, dtypes and keys are kept. The data is always copied, even NumPy -> NumPy, so code
    that updates the result behaves the same on CPU and GPU and never changes ``x``.
    """
    if isinstance(x, Mapping):
        return {key: to_device(value, xp) for key, value in x.items()}
    if is_numpy_namespace(xp):
        return _leaf_to_numpy(x)
    return xp.array(x, copy=True)


def synchronize(xp):
    """Block until queued GPU work is finished when ``xp`` is CuPy; do nothing for NumPy.

    CuPy returns before the GPU is done, so a timer read without this measures only the launch.
    """
    if is_cupy_namespace(xp):
        import cupy  # xp may be array_api_compat's wrapper, which has no .cuda

        cupy.cuda.Device().synchronize()
