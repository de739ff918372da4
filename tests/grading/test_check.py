"""The learner's `dlcourse check`: visible tests only, original tests restored, works on a copy anywhere."""

import subprocess
import sys

import nbformat
import pytest

from tests.grading.submissions import answer, cell, load, solution_answer

pytestmark = pytest.mark.slow


def check(notebook, tmp_path):
    path = tmp_path / "my copy.ipynb"
    nbformat.write(notebook, path)
    done = subprocess.run([sys.executable, "-m", "dlcourse.cli", "check", str(path), "--timeout", "60"],
                          capture_output=True, text=True, cwd=tmp_path)
    return done.returncode, done.stdout


def test_release_scores_zero(tmp_path):
    code, out = check(load("release"), tmp_path)
    assert code == 1
    assert "Visible tests: 0/6 points" in out
    assert out.count("not attempted") == 3


def test_solution_scores_full_marks(tmp_path):
    code, out = check(load("solution"), tmp_path)
    assert code == 0, out
    assert "Visible tests: 6/6 points" in out


def test_hidden_tests_never_run_and_edited_tests_are_restored(tmp_path):
    # Right only on the visible examples: check passes it, since it runs no hidden test (the grader would not).
    hardcoded = answer(load("release"), "neuron", "def neuron(X, w, b):\n"
                       "    return np.array([0.5, 0.5]) if len(X) == 2 else np.array([0.75])\n")
    # A wrong answer whose test was emptied still fails: the released test is put back.
    hardcoded = answer(hardcoded, "mlp_forward", "def mlp_forward(X, W1, b1, W2, b2):\n    return X\n")
    cell(hardcoded, "mlp_forward_tests").source = "pass"
    code, out = check(hardcoded, tmp_path)
    assert "[PASS] neuron_tests (2/2)" in out
    assert "[FAIL] mlp_forward_tests (0/2)  failed: mlp_forward with" not in out  # hidden message never shown
    assert "[FAIL] mlp_forward_tests (0/2)  failed: XOR network's logits" in out
    assert "random" not in out
    assert code == 1


def test_check_reports_the_failing_message(tmp_path):
    wrong = answer(load("release"), "perceptron_step",
                   solution_answer("perceptron_step").replace("w + lr * y * x", "w - lr * y * x"))
    _, out = check(wrong, tmp_path)
    assert "[FAIL] perceptron_step_tests (0/2)  failed: w after a mistake: wrong value at index (1,)" in out
