"""Notebook tests: one thread per kernel, and execution times printed at the end (measured, never asserted)."""

import pytest


@pytest.fixture(autouse=True)
def one_thread_per_kernel(monkeypatch):
    """pytest-xdist runs two notebooks at once on two cores: one BLAS/torch thread per kernel avoids
    oversubscription, which slows small matrix products by an order of magnitude."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")


def pytest_terminal_summary(terminalreporter):
    """Tests record ``seconds`` with record_property; xdist carries it back to this process."""
    timed = [(r.nodeid, dict(r.user_properties)["seconds"]) for r in terminalreporter.stats.get("passed", [])
             if r.when == "call" and "seconds" in dict(r.user_properties)]
    if timed:
        terminalreporter.section("notebook execution times")
        for nodeid, seconds in sorted(timed):
            terminalreporter.write_line(f"{nodeid.split('::')[-1]:60s} {seconds:6.1f} s")
