"""Reading, pairing and executing the course's notebooks.

Every notebook's source of truth is a jupytext percent file (``NN_topic.py``); the ``.ipynb`` beside it is generated
from it, without outputs, so a diff of a chapter reads like a diff of code. ``python -m dlcourse.notebooks run PATH``
executes one headless and prints how long it took.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NOTEBOOK_FOLDERS = ("chapters", "solutions")


def read(path: str | Path) -> nbformat.NotebookNode:
    """A notebook from its ``.ipynb`` or its jupytext ``.py``.

    Args:
        path: the file.
    """
    path = Path(path)
    if path.suffix == ".py":
        return jupytext.read(path, fmt="py:percent")
    return nbformat.read(path, as_version=4)


def from_source(py_path: str | Path) -> nbformat.NotebookNode:
    """The ``.ipynb`` that ``py_path`` generates: no outputs, a python3 kernelspec."""
    nb = jupytext.read(Path(py_path), fmt="py:percent")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.pop("jupytext", None)  # pairing comes from jupytext.toml; a release must not pair students' copies
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:03d}"  # stable ids: regenerating a notebook must not rewrite every cell
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def sources(root: str | Path = ".") -> list[Path]:
    """Every jupytext source under chapters/ and solutions/.

    Args:
        root: the course's root folder.
    """
    root = Path(root)
    found = []
    for folder in NOTEBOOK_FOLDERS:
        found += [p for p in sorted((root / folder).rglob("*.py")) if _is_notebook_source(p)]
    return found


def _is_notebook_source(path: Path) -> bool:
    return ".ipynb_checkpoints" not in path.parts and path.read_text().lstrip().startswith(("# %%", "# ---"))


def _comparable(nb: nbformat.NotebookNode) -> list[tuple]:
    return [(c.cell_type, c.source, {k: v for k, v in c.metadata.items() if k != "lines_to_next_cell"})
            for c in nb.cells]


def is_in_sync(py_path: str | Path) -> bool:
    """Whether the committed ``.ipynb`` is exactly what its ``.py`` source generates today.

    Args:
        py_path: the jupytext source.
    """
    ipynb = Path(py_path).with_suffix(".ipynb")
    if not ipynb.exists():
        return False
    committed = nbformat.read(ipynb, as_version=4)
    return (_comparable(committed) == _comparable(from_source(py_path))
            and committed.metadata.get("kernelspec") == KERNELSPEC and not has_outputs(committed))


def has_outputs(nb: nbformat.NotebookNode) -> bool:
    """Whether any code cell of ``nb`` holds outputs or an execution count (committed notebooks must not)."""
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in nb.cells)


def sync(py_path: str | Path) -> Path:
    """Write the ``.ipynb`` generated from ``py_path`` and return its path."""
    ipynb = Path(py_path).with_suffix(".ipynb")
    nbformat.write(from_source(py_path), ipynb)
    return ipynb


def execute(path_or_nb: str | Path | nbformat.NotebookNode, *, cwd: str | Path | None = None, timeout: int = 600
            ) -> tuple[nbformat.NotebookNode, float]:
    """Run every cell headless; return the executed notebook and the wall time in seconds.

    Raises nbclient's CellExecutionError, which names the failing cell, when a cell raises.

    Args:
        path_or_nb: a notebook file (``.ipynb`` or jupytext ``.py``) or a notebook.
        cwd: the folder the kernel runs in (default: the notebook's own, or the current one).
        timeout: seconds a single cell may take.
    """
    if isinstance(path_or_nb, str | Path):
        path = Path(path_or_nb)
        nb, cwd = read(path), cwd or path.parent
    else:
        nb = copy.deepcopy(path_or_nb)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd or ".")}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcourse.notebooks")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute notebooks headless and print their times")
    run.add_argument("paths", nargs="+")
    sub.add_parser("sync", help="regenerate every .ipynb under chapters/ and solutions/ from its .py")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for py in sources():
            print(f"synced {sync(py)}")
        return 0
    for path in args.paths:
        _, seconds = execute(path)
        print(f"{path}: ran in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
