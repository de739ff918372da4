"""Notebook tests: one thread per kernel."""

import pytest


@pytest.fixture(autouse=True)
def one_thread_per_kernel(monkeypatch):
    """pytest-xdist runs two notebooks at once on two cores: one BLAS/torch thread per kernel avoids
    oversubscription, which slows small matrix products by an order of magnitude."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
