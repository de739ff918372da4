"""A student's kernel across a whole grading: runs their cells once, calls their functions, restarts after a kill.

When a call or a cell runs past its limit, uses too much memory or crashes the kernel, the sandbox is killed and
that call fails with status timeout / memory / crash; the next call starts a fresh sandbox and replays the setup
cell and the student's cells (minus any cell that itself killed the kernel), so the other items are still graded.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from dlcourse.grading.limits import Limits
from dlcourse.grading.sandbox import Image, Kernel, KernelDied
from dlcourse.grading.status import Status

KIND_STATUS = {"timeout": Status.TIMEOUT, "memory": Status.MEMORY, "crash": Status.CRASH}


class AnswerFailure(BaseException):  # noqa: N818 - a BaseException, so a test's `except Exception` cannot hide it
    """Calling a student's function gave no plain-data result: the item gets ``status`` and ``message``."""

    def __init__(self, status: Status, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Session:
    """A student's sandboxed kernel with their cells in it.

    Args:
        image: the sandbox's filesystem (shared by all students of a run).
        home: a folder of this student's own on the grader's side (created; removed by ``close``).
        setup: the exercise's setup cell (from the release, never from the student).
        cells: ``(answer name or None, source)`` of the student's cells, in order.
        files: files copied into the student's working folder (the released notebook).
    """

    def __init__(self, image: Image, home: Path, limits: Limits, setup: str, cells: list[tuple[str | None, str]],
                 files: tuple[Path, ...] = ()):
        self.image, self.home, self.limits = image, home, limits
        self.setup, self.cells, self.files = setup, cells, files
        self.kernel: Kernel | None = None
        self.skip: set[int] = set()  # cells that killed the kernel: never replayed
        # answer name -> (status, what happened to its cell): explains a function that is not defined
        self.cell_errors: dict[str, tuple[Status, str]] = {}
        self.deadline = time.monotonic() + limits.notebook_seconds
        self.starts = 0

    def _start(self) -> None:
        work = self.home / "work"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        for file in self.files:
            shutil.copy(file, work / file.name)
        kernel = Kernel(self.image, work, self.limits)
        kernel.start()
        self.kernel = kernel
        self.starts += 1
        self.kernel.request({"op": "run", "code": self.setup}, self.limits.call_seconds)
        for index, (answer, source) in enumerate(self.cells):
            if index in self.skip:
                continue
            try:
                reply = self.kernel.request({"op": "run", "code": source}, self._seconds())
            except KernelDied as death:
                self.skip.add(index)
                if answer:
                    self.cell_errors[answer] = (KIND_STATUS[death.kind], f"its cell was stopped: {death}")
                self.kernel = None
                return self._start()
            if answer and not reply.get("ok"):
                self.cell_errors[answer] = (Status.ERROR, f"its cell raised {reply.get('error')}")

    def _seconds(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise AnswerFailure(Status.TIMEOUT, f"the submission used up its {self.limits.notebook_seconds:g} s")
        return min(self.limits.call_seconds, left)

    def call(self, name: str, args: tuple, kwargs: dict):
        """Call the student's ``name(*args, **kwargs)`` in the sandbox and return the plain data it returned."""
        if self.kernel is None:
            self._start()
        try:
            reply = self.kernel.request({"op": "call", "name": name, "args": args, "kwargs": kwargs},
                                        self._seconds())
        except KernelDied as death:
            self.kernel = None
            raise AnswerFailure(KIND_STATUS[death.kind], f"{name}: {death}") from None
        if reply.get("ok"):
            return reply.get("value")
        error, kind = str(reply.get("error", "")), reply.get("kind")
        if kind == "missing":
            status, why = self.cell_errors.get(name, (Status.ERROR, error))
            raise AnswerFailure(status, f"{name} is not defined: {why}")
        if kind == "wrong_type":
            raise AnswerFailure(Status.WRONG_TYPE, f"{name} {error}")
        if error.startswith("NotImplementedError"):
            raise AnswerFailure(Status.NOT_ATTEMPTED, f"{name} still raises NotImplementedError")
        if error.startswith("MemoryError"):
            raise AnswerFailure(Status.MEMORY, f"{name} ran out of its {self.limits.memory_mb} MiB")
        raise AnswerFailure(Status.ERROR, f"{name} raised {error}")

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.kill()
            self.kernel = None
        shutil.rmtree(self.home, ignore_errors=True)
