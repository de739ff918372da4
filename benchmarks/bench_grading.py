"""How long `dlcourse grade` takes for a class: N generated submissions of exercise 01 (a third full marks, a third
half right, a third blank), each in its own sandbox, students in parallel on every core, then recorded in an
nbgrader gradebook with one `nbgrader autograde`. Prints the wall time, the CPU time and the rate.

    python benchmarks/bench_grading.py [N]
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse.grading.grade import grade_folder, totals  # noqa: E402
from tests.grading.submissions import ASSIGNMENT, load, submission  # noqa: E402


def make_class(folder: Path, count: int) -> None:
    full, blank = load("solution"), load("release")
    half = submission(right=("neuron", "mlp_forward"))
    for i in range(count):
        nbformat.write((full, half, blank)[i % 3], folder / f"student{i:03d}.ipynb")


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        make_class(folder, count)
        start, cpu = time.perf_counter(), _cpu()
        results = grade_folder(folder, assignment=ASSIGNMENT, root=ROOT, out=Path(tmp) / "out")
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    scores = Counter(score for score, _ in totals(results).values())
    print(f"graded {count} submissions of {ASSIGNMENT} on {os.cpu_count()} cores in {seconds:.1f} s "
          f"({seconds / count:.2f} s per submission; CPU {cpu:.1f} s, children included); "
          f"scores: {dict(sorted(scores.items()))}")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (sandboxes, nbgrader)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
