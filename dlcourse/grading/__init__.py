"""Grading: the assertions exercise tests use, a learner's self-check, and the instructor's trusted grader.

How it fits together (one file per concept):
- checks.py: ``expect_close`` / ``expect_equal`` / ``expect_true``, used by every test cell;
- exercise.py: an exercise read from its notebook (setup, answers, test cells, visible and hidden parts, forbid);
- submission.py: a student's folder, the notebook to grade in it, the cells that come from the student;
- limits.py, status.py: the limits of a sandbox and the statuses of a graded item;
- jail.py, sandbox.py, driver.py, wire.py: the student's kernel in a sandbox, and the plain-data pipe to it;
- session.py, runner.py: a student's kernel with restarts, and test cells run in the grader with proxies;
- check.py: ``dlcourse check`` and ``check_this_notebook()``; grade.py, gradebook.py: ``dlcourse grade``.
"""

from dlcourse.grading.checks import ExerciseError, expect_array, expect_close, expect_equal, expect_true  # noqa: F401


def check_this_notebook(path=None, **kwargs):
    """Check the notebook this is called from (saved on disk) against its visible tests and print the result.

    Args:
        path: the notebook's path; found from JupyterLab's session (JPY_SESSION_NAME or ``__session__``) when None.
    """
    from dlcourse.grading.check import check_this_notebook as check

    return check(path, **kwargs)
