"""What several test folders share, imported as tests.support.<module> (the repository root is on sys.path:
pytest's rootdir and pyproject's pythonpath; benchmarks/ puts it there itself)."""
