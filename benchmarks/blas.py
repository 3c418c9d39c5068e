"""Which BLAS a benchmark ran on, as threadpoolctl reports it, and whether the machine's OpenBLAS
overrides were in force (they slow current NumPy's matmul; `make bench` unsets them)."""

import os

from threadpoolctl import threadpool_info

OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def describe():
    """One line: each BLAS library loaded (API, version, kernel, threads) and the overrides set."""
    import numpy  # noqa: F401 - loads NumPy's BLAS, so that threadpoolctl sees it

    libraries = [f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')}, "
                 f"{i.get('num_threads')} thread(s)" for i in threadpool_info() if i.get("user_api") == "blas"]
    overrides = [f"{name}={os.environ[name]}" for name in OVERRIDES if name in os.environ]
    return (f"BLAS: {'; '.join(libraries) or 'none found'}; "
            + (f"overrides set: {', '.join(overrides)}" if overrides else "no OpenBLAS overrides set"))
