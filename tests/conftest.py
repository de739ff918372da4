import numpy as np
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - torch is a declared dependency
    torch = None


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config, items):
    has_cuda = torch is not None and torch.cuda.is_available()
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)


def pytest_terminal_summary(terminalreporter):
    """Print the execution time each notebook test recorded (``record_property("seconds", ...)``; xdist carries
    it back to this process). Measured and shown, never asserted."""
    timed = [(r.nodeid, dict(r.user_properties)["seconds"]) for r in terminalreporter.stats.get("passed", [])
             if r.when == "call" and "seconds" in dict(r.user_properties)]
    if timed:
        terminalreporter.section("notebook execution times")
        for nodeid, seconds in sorted(timed):
            terminalreporter.write_line(f"{nodeid.split('::')[-1]:60s} {seconds:6.1f} s")
