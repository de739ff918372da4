"""Collect notebook execution times and print them at the end of the run (measured, never asserted)."""

TIMINGS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("notebook execution times (2 CPU cores in CI)")
        for name, seconds in sorted(TIMINGS.items()):
            terminalreporter.write_line(f"{name:45s} {seconds:6.1f} s")
