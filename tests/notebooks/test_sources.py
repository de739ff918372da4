"""One source of truth: every .ipynb is generated from its jupytext .py, carries no outputs, and exercises/ is what
nbgrader generates from solutions/ today, with no hidden test and no solution in it."""

from pathlib import Path

import nbformat
import pytest

from dlcourse import notebooks
from dlcourse.grading.course import assignments, stale_exercises

ROOT = Path(__file__).resolve().parents[2]
SOURCES = notebooks.sources(ROOT)


def test_there_are_notebooks():
    assert any(p.parent.name == "chapters" for p in SOURCES)
    assert assignments(ROOT)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pair_in_sync_and_without_outputs(source):
    assert notebooks.is_in_sync(source), f"{source.with_suffix('.ipynb')} is stale: run `dlcourse build`"


def test_every_ipynb_has_its_source():
    for folder in ("chapters", "solutions"):
        for ipynb in (ROOT / folder).rglob("*.ipynb"):
            if ".ipynb_checkpoints" not in ipynb.parts:
                assert ipynb.with_suffix(".py").exists(), f"{ipynb} has no jupytext source"


@pytest.mark.slow
def test_exercises_are_what_nbgrader_generates_today():
    assert stale_exercises(ROOT) == [], "exercises/ is stale: run `dlcourse build`"


@pytest.mark.parametrize("assignment", assignments(ROOT))
def test_release_hides_tests_and_solutions(assignment):
    release = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    text = release.read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    assert "raise NotImplementedError()" in text
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    hidden, visible = [], []
    for cell in source.cells:
        before, _, rest = cell.source.partition("### BEGIN HIDDEN TESTS")
        block, _, after = rest.partition("### END HIDDEN TESTS")
        hidden += block.splitlines()
        visible += (before + after).splitlines()
    cells = nbformat.read(release, as_version=4).cells
    released = {line.strip() for cell in cells for line in cell.source.splitlines()}
    for line in {raw.strip() for raw in hidden} - {raw.strip() for raw in visible} - {""}:
        assert line not in released, f"hidden test line leaked into the release: {line}"
    assert [p.name for p in release.parent.iterdir()] == [release.name], "only the notebook is released"
