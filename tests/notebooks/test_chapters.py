"""Every chapter executes headless from its source, start to finish."""

from pathlib import Path

import pytest

from dlcourse import notebooks

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_executes(chapter, monkeypatch, record_property):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _, seconds = notebooks.execute(chapter, timeout=300)
    record_property("seconds", seconds)
