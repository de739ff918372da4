"""Collect notebook execution times and print them at the end of the run (measured, never asserted)."""

import pytest

TIMINGS: dict[str, float] = {}


@pytest.fixture(autouse=True)
def one_thread_per_kernel(monkeypatch):
    """pytest-xdist runs two notebooks at once on two cores: one BLAS/torch thread per kernel avoids
    oversubscription, which slows small matrix products by an order of magnitude."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("notebook execution times (2 CPU cores in CI)")
        for name, seconds in sorted(TIMINGS.items()):
            terminalreporter.write_line(f"{name:45s} {seconds:6.1f} s")
