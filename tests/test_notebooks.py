"""The notebooks run top to bottom (with a short time limit) and are stored clean."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["quickstart.ipynb", "kaggle_workflow.ipynb"]
#: Seconds each fit in the notebooks may take when the tests run them.
TEST_TIME_LIMIT = "10"


def _outputs(notebook) -> list[dict]:
    return [out for cell in notebook.cells for out in cell.get("outputs", [])]


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_are_stored_without_outputs(name) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert code_cells
    assert all(c.outputs == [] and c.execution_count is None for c in code_cells)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOML_NOTEBOOK_TIME_LIMIT", TEST_TIME_LIMIT)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = _outputs(notebook)
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors
    text = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    if name == "quickstart.ipynb":
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(images) >= 2  # the trajectory and the ensemble plots
        assert "test ROC AUC" in text and "3-fold ROC AUC" in text
    else:
        assert (tmp_path / "submission.csv").is_file()
        assert "accuracy against the secret answers" in text
        assert "saved the model to model.automl" in text
