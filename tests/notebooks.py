"""Running a repository notebook under papermill in a test, and reading what it showed."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import numpy as np
import papermill
import plotly.graph_objects as go

from analytics.config import NOTEBOOK_DIR
from analytics.report import ensure_kernel

PLOTLY = "application/vnd.plotly.v1+json"


def run_notebook(name: str, out: Path, **parameters: object) -> nbformat.NotebookNode:
    """Execute ``notebooks/<name>.ipynb`` with ``parameters`` into ``out`` and return it."""
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / f"{name}.ipynb"),
        str(out),
        parameters=parameters,
        kernel_name=ensure_kernel(),
        progress_bar=False,
        cwd=str(NOTEBOOK_DIR),
        language="python",
    )
    return nbformat.read(out, as_version=4)


def html_of(notebook: nbformat.NotebookNode) -> str:
    """Every HTML output of the notebook, joined."""
    return "\n".join(
        output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def values(array: object) -> list[float]:
    """A plotly array as a list: plotly writes numeric arrays as base64 with a dtype."""
    if isinstance(array, dict):
        raw = base64.b64decode(array["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


def figures(notebook: nbformat.NotebookNode) -> dict[str, go.Figure]:
    """The notebook's plotly figures by title."""
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if PLOTLY in output.get("data", {}):
                figure = go.Figure(output["data"][PLOTLY])
                found[figure.layout.title.text] = figure
    return found
