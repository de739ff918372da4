"""What happened to one graded item: a small closed set of statuses and the result row that carries one."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.Enum):
    """Why an item got its score. The value is what grades.csv and ``dlcourse check`` print."""

    PASSED = "passed"
    FAILED = "failed"  # a check of the test failed: wrong value, shape, type of number ...
    NOT_ATTEMPTED = "not attempted"  # the answer still raises NotImplementedError
    ERROR = "error"  # the answer raised, or its cell did not define it
    WRONG_TYPE = "wrong type"  # the answer returned something that is not plain data
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASH = "crash"  # the sandbox died (a segfault, os._exit, killed itself ...)
    MISSING = "missing"  # no readable notebook with this exercise's answers


@dataclass(frozen=True)
class ItemResult:
    """One student's result on one graded item (a test cell)."""

    student: str
    item: str
    score: float
    max_score: float
    status: Status
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def describe(self) -> str:
        """``status: message`` on one line, as grades.csv and the learner's check print it."""
        text = self.status.value + (f": {self.message}" if self.message else "")
        return " ".join(text.split())[:240]
