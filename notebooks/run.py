"""Executes every notebook in this folder end to end against one run of fifteen (nbclient).

    python3 notebooks/run.py OUTPUT_DIR

Sets FIFTEEN_RUN for the notebooks, runs each from this folder, prints one line per notebook
and 'N passed, N failed'; exits with 1 when one failed. CI runs it on the sample town.
"""

import os
import sys
import traceback
from pathlib import Path

import nbformat
from nbclient import NotebookClient

here = Path(__file__).resolve().parent
os.environ["FIFTEEN_RUN"] = str(Path(sys.argv[1]).resolve())
os.environ.setdefault("MPLBACKEND", "Agg")
passed = failed = 0
for path in sorted(here.glob("*.ipynb")):
    notebook = nbformat.read(path, as_version=4)
    try:
        NotebookClient(
            notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(here)}}
        ).execute()
        cells = sum(c.cell_type == "code" for c in notebook.cells)
        print(f"ok    {path.name}: {cells} code cells ran")
        passed += 1
    except Exception:  # a failing cell: show it and go on with the next notebook
        print(f"FAIL  {path.name}")
        traceback.print_exc()
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
