"""The notebooks run top to bottom without an error (so they never rot), in a fresh python3 kernel."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import matcalc

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.parametrize("name", ["cheatsheet.ipynb", "gallery.ipynb", "models.ipynb"])
def test_notebook_runs(name, monkeypatch, tmp_path):
    # the kernel imports the same matcalc as the tests (an installed wheel or this checkout)
    package_root = str(Path(matcalc.__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert any(cell.get("outputs") for cell in notebook.cells), f"{name} was saved without its outputs"
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
