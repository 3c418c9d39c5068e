"""The reference and the notebooks' GPU cells on CuPy (skipped where no GPU is usable)."""
