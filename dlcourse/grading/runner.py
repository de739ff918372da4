"""Run an exercise's test cells in the grader's own process, with each answer function a proxy to the sandbox.

A test cell's code (from the instructor's source for grading, from the release for a learner's check) is executed
here, in a fresh namespace where every answer name is bound to a ``Proxy``: calling it sends the plain-data
arguments to the student's kernel and returns the plain data that came back (exact ndarrays). Expected values,
comparisons and hidden inputs exist only here. The item passes when the code finishes, and scores its points.
"""

from __future__ import annotations

import builtins

from dlcourse.grading.exercise import Exercise, Test
from dlcourse.grading.sandbox import SandboxError
from dlcourse.grading.session import AnswerFailure, Session
from dlcourse.grading.status import ItemResult, Status
from dlcourse.grading.wire import NotPlainData, encode


class Proxy:
    """Stands for the student's function ``name`` in a test cell."""

    def __init__(self, session: Session, name: str):
        self.session, self.__name__ = session, name

    def __call__(self, *args, **kwargs):
        try:
            encode({"args": args, "kwargs": kwargs})
        except NotPlainData as problem:  # a test written against the format: the instructor's mistake
            raise TypeError(f"a test passed {problem} to {self.__name__}; tests pass plain data only") from None
        return self.session.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<answer {self.__name__} in the student's sandbox>"


def _quiet_print(*args, **kwargs) -> None:
    """Test cells print a line for learners; the grader has no one to show it to."""


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:240] if text else type(error).__name__


def run_test(test: Test, code: str, session: Session, answers: list[str], student: str) -> ItemResult:
    """One item: run ``code`` (the test cell) with proxies; its points if it finishes, else 0 and why."""
    namespace = {"__name__": "__test__", "__builtins__": builtins, "print": _quiet_print}
    namespace.update({name: Proxy(session, name) for name in answers})

    def result(status: Status, message: str = "") -> ItemResult:
        score = test.points if status is Status.PASSED else 0.0
        return ItemResult(student, test.grade_id, score, test.points, status, message)

    try:
        exec(compile(code, f"<{test.grade_id}>", "exec"), namespace)  # noqa: S102 - the instructor's test code
    except AnswerFailure as failure:
        return result(failure.status, failure.message)
    except SandboxError:  # the grader's own failure, not the student's: the caller reports it
        raise
    except AssertionError as failure:  # ExerciseError is one: a check of the test said no
        return result(Status.FAILED, first_line(failure))
    except Exception as error:  # the test could not use what came back (unpacking a wrong tuple, ...)
        return result(Status.FAILED, f"{type(error).__name__}: {first_line(error)}")
    return result(Status.PASSED)


def run_tests(exercise: Exercise, session: Session, student: str, *, hidden: bool) -> list[ItemResult]:
    """Every item of ``exercise``: visible and hidden parts when ``hidden``, else the visible parts only."""
    answers = list(exercise.answers)
    results = []
    for test in exercise.tests:
        results.append(run_test(test, test.full if hidden else test.visible, session, answers, student))
    return results
