"""Every notebook in Examples/notebooks runs from top to bottom without an error."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "Examples" / "notebooks"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_runs_without_errors(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    # Stored without outputs, so the diffs stay readable.
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: {cell.id} has outputs"
    client = NotebookClient(
        nb,
        kernel_name="policy",
        timeout=900,
        # The kernel (and so `policy`) starts in the notebook's folder: `:load ../…` works.
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError at the first cell whose reply is an error
    errors = [
        (cell.id, out)
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors, errors
    mimes = {mime for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs for mime in out.get("data", {})}
    if path.name == "story.ipynb":
        assert {"image/svg+xml", "text/html"} <= mimes, mimes
