"""JupyterLab driven in a headless Chromium (marker browser)."""
