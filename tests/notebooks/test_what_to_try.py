"""Every chapter ends with "What to try" suggestions that run: each runnable one is a small code cell tagged
``what-to-try`` in the chapter's "What to try" section, executed with the chapter.

The fast test here reads the sources; the check that each tagged cell ran, without an error and quickly, reuses the
execution that tests/notebooks/test_chapters.py already makes (it calls ``assert_what_to_try_ran``), so it adds no
notebook run of its own.
"""

from datetime import datetime
from pathlib import Path

import pytest

from dlcourse import notebooks

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.py"))
TAG = "what-to-try"


def is_tagged(cell) -> bool:
    return cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])


def what_to_try_start(nb) -> int | None:
    """Index of the markdown cell that opens the "What to try" section, or None."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and any(line.strip().lower() == "## what to try"
                                                for line in cell.source.splitlines()):
            return index
    return None


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_chapter_has_tagged_suggestions_in_its_what_to_try_section(source):
    nb = notebooks.read(source)
    start = what_to_try_start(nb)
    assert start is not None, f"{source.name}: expected a '## What to try' heading"
    tagged = [i for i, cell in enumerate(nb.cells) if is_tagged(cell)]
    assert tagged, f"{source.name}: expected at least one code cell tagged {TAG!r} in 'What to try', got none"
    early = [i for i in tagged if i < start]
    assert not early, f"{source.name}: expected tagged cells after 'What to try' (cell {start}), got cells {early}"


def _seconds(cell) -> float | None:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def assert_what_to_try_ran(nb, name: str) -> dict[str, float | None]:
    """Each tagged cell of an executed chapter ran and raised nothing. Returns each cell's seconds (by its first
    line), to be reported: speed is measured and shown, never asserted (a shared test machine makes it flaky)."""
    tagged = [cell for cell in nb.cells if is_tagged(cell)]
    assert tagged, f"{name}: expected code cells tagged {TAG!r}, got none"
    for cell in tagged:
        first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else "(empty cell)"
        assert cell.get("execution_count"), f"{name}: the what-to-try cell {first_line!r} did not run"
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        assert not errors, f"{name}: the what-to-try cell {first_line!r} raised {errors[0].get('ename')}"
    return {(cell.source.strip().splitlines() or ["(empty cell)"])[0]: _seconds(cell) for cell in tagged}


def test_the_check_catches_a_cell_that_did_not_run_or_raised():
    import nbformat

    ran = nbformat.v4.new_code_cell("x = 1", metadata={"tags": [TAG]}, execution_count=1)
    assert_what_to_try_ran(nbformat.v4.new_notebook(cells=[ran]), "ok")
    skipped = nbformat.v4.new_code_cell("x = 1", metadata={"tags": [TAG]})
    with pytest.raises(AssertionError, match="did not run"):
        assert_what_to_try_ran(nbformat.v4.new_notebook(cells=[skipped]), "bad")
    failed = nbformat.v4.new_code_cell("x = {}[0]", metadata={"tags": [TAG]}, execution_count=2,
                                       outputs=[nbformat.v4.new_output("error", ename="KeyError", evalue="0",
                                                                       traceback=[])])
    with pytest.raises(AssertionError, match="raised KeyError"):
        assert_what_to_try_ran(nbformat.v4.new_notebook(cells=[failed]), "bad")
    with pytest.raises(AssertionError, match="expected code cells tagged"):
        assert_what_to_try_ran(nbformat.v4.new_notebook(cells=[]), "bad")
