"""Grading: the assertions exercise tests use, a learner's self-check, and the instructor's nbgrader pipeline."""

from dlcourse.grading.checks import (  # noqa: F401
    ExerciseError,
    calls_reference,
    expect_array,
    expect_close,
    expect_equal,
    expect_own_code,
    expect_true,
)
