"""The GPU cells of notebooks 04 and 08 run on CuPy and train the same weights as on the CPU.

Each source notebook (solutions in) runs top to bottom as a plain Python program, as a kernel
would run it: its code cells hold no magics, so no Jupyter is needed on the GPU machine.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.support.gpu import requires_gpu

pytestmark = requires_gpu

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNNER = """
import json, sys
cells = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
for number, source in enumerate(cells):
    print(f"--- cell {number}", flush=True)
    exec(compile(source, f"cell {number}", "exec"), namespace)
"""


def run_notebook(name, tmp_path):
    notebook = json.loads((ROOT / "source" / name / f"{name}.ipynb").read_text())
    cells = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
             for c in notebook["cells"] if c["cell_type"] == "code"]
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", RUNNER, str(tmp_path / "cells.json")], cwd=ROOT / "source" / name,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("name", ["04_minibatch", "08_capstone"])
def test_gpu_cell_trains_on_cupy_like_numpy(name, tmp_path):
    printed = run_notebook(name, tmp_path)
    gpu_lines = [line for line in printed.splitlines() if "GPU (CuPy)" in line or "speed-up of the GPU" in line]
    print("\n".join(gpu_lines))  # the figures, for the GPU check's log
    assert any(line.startswith("GPU (CuPy):") for line in gpu_lines), printed[-3000:]
    assert "same trained weights on both: True" in printed, printed[-3000:]
