"""Every chapter executes headless from its source, start to finish, twice gives the same numbers, and its
"what to try" cells ran (checked on the first run, so that check costs no extra execution)."""

import re
from pathlib import Path

import pytest

from dlcourse import notebooks

from .test_what_to_try import assert_what_to_try_ran

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def printed(nb) -> list[str]:
    """What each code cell printed or returned as text; cells that time themselves, and addresses, left out."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "perf_counter" in cell.source:
            continue
        # a cell's stdout may arrive in differently sized chunks: join them before comparing
        stdout = "".join("".join(o.get("text", "")) for o in cell.outputs if o.get("name") == "stdout")
        results = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell.outputs if "data" in o]
        texts += [re.sub(r"0x[0-9a-f]+", "0x…", text) for text in [stdout, *results]]
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_executes_and_reproduces(chapter, monkeypatch, record_property):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    first, seconds = notebooks.execute(chapter, timeout=300)
    record_property("seconds", seconds)
    slowest = max((s for s in assert_what_to_try_ran(first, chapter.stem).values() if s is not None), default=0.0)
    record_property("slowest what-to-try cell (s)", round(slowest, 2))
    second, _ = notebooks.execute(chapter, timeout=300)
    assert printed(first) == printed(second), "two runs printed different numbers: is everything seeded?"
