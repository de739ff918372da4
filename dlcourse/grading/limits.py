"""What one student's sandbox may use: the one Limits object the command line, every item and every retry share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits of a student's sandbox.

    Args:
        call_seconds: wall time for one cell of the student's or one call of an answer function; past it the whole
            sandbox is killed, the item scores 0 (status timeout) and the other items are graded in a fresh one.
        notebook_seconds: wall time for the whole submission; items not reached by then time out.
        memory_mb: memory for the whole sandbox (every process in it together; also each process's address space).
        processes: processes and threads the sandbox may hold at once.
        file_mb: the largest file an answer may write (in its throwaway folder or /tmp).
        tmp_mb: size of the sandbox's /tmp.
    """

    call_seconds: float = 10.0
    notebook_seconds: float = 300.0
    memory_mb: int = 2048
    processes: int = 64
    file_mb: int = 64
    tmp_mb: int = 64
