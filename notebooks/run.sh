#!/usr/bin/env bash
# Executes the analyst notebooks headless and checks what they computed.
# Creates notebooks/.venv with the pinned packages of requirements.txt (once),
# runs every cell of each notebook with nbclient (any cell error fails), keeps
# the executed copies in notebooks/out/, then runs notebooks/check.py, which
# compares the values the notebooks saved with independently computed ones.
# Needs the churnlab release binary (scripts/test.sh builds it first).
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
if [ ! -x "$VENV/bin/python" ] || ! cmp -s requirements.txt "$VENV/requirements.txt"; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
    cp requirements.txt "$VENV/requirements.txt"
fi
mkdir -p out
for nb in quarterly_driver_study real_data_telco; do
    echo "notebooks: executing $nb.ipynb"
    "$VENV/bin/python" - "$nb" <<'PY'
import sys
import nbformat
from nbclient import NotebookClient

name = sys.argv[1]
nb = nbformat.read(f"{name}.ipynb", as_version=4)
# Cells run with notebooks/ as the working directory, as in Jupyter.
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
nbformat.write(nb, f"out/{name}.executed.ipynb")
PY
done
"$VENV/bin/python" check.py
