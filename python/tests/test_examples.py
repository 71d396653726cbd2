"""The examples run: the quickstart and speed scripts exit cleanly, and the notebook executes
from top to bottom and prints what its committed outputs show (the runs are seeded, so a
notebook whose committed outputs went stale fails here)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "python"


@pytest.mark.parametrize("script", ["quickstart.py", "speed.py"])
def test_script_runs(script):
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip(), "the script printed nothing"


def _streams(nb) -> list:
    return [
        "".join(o.get("text", "") for o in c.get("outputs", []) if o.get("output_type") == "stream")
        for c in nb.cells
        if c.cell_type == "code"
    ]


def test_notebook_executes_and_matches_its_outputs(monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws the figures
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = EXAMPLES / "retrieval.ipynb"
    committed = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(fresh, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    for c in fresh.cells:
        for o in c.get("outputs", []):
            assert o.get("output_type") != "error", o
    images = sum("image/png" in o.get("data", {}) for c in fresh.cells for o in c.get("outputs", []))
    assert images == 2, f"expected the two figures, got {images}"
    assert _streams(fresh) == _streams(committed), "the committed notebook outputs are stale: re-execute it"
