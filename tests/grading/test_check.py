"""The learner's `dlcourse check` and `check_this_notebook()`: visible tests only, the same sandbox and verdicts
as the grader, one line per item and never a traceback."""

import subprocess
import sys

import nbformat
import pytest

from dlcourse.grading.check import check_this_notebook, notebook_path
from tests.grading.submissions import POINTS, ROOT, TOTAL, cell, load, solution_answer, submission

pytestmark = pytest.mark.slow


def check(notebook, tmp_path, name="my copy.ipynb"):
    path = tmp_path / name
    nbformat.write(notebook, path)
    done = subprocess.run([sys.executable, "-m", "dlcourse.cli", "check", str(path), "--timeout", "5"],
                          capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in done.stdout + done.stderr
    return done.returncode, done.stdout


def test_release_scores_zero(tmp_path):
    code, out = check(load("release"), tmp_path)
    assert code == 1
    assert f"Visible tests: 0/{TOTAL} points" in out
    assert out.count("not attempted") == len(POINTS)


def test_solution_scores_full_marks(tmp_path):
    code, out = check(load("solution"), tmp_path)
    assert code == 0, out
    assert f"Visible tests: {TOTAL}/{TOTAL} points" in out


def test_hidden_tests_never_run_and_edited_tests_are_the_released_ones(tmp_path):
    # Right only on the visible examples: check passes it, since it runs no hidden test (the grader would not).
    hardcoded = submission(neuron="def neuron(X, w, b):\n"
                           "    return np.array([0.5, 0.5]) if len(X) == 2 else np.array([0.75])\n",
                           mlp_forward="def mlp_forward(X, W1, b1, W2, b2):\n    return X\n")
    cell(hardcoded, "mlp_forward_tests").source = "pass"  # an emptied test still counts as the released one
    code, out = check(hardcoded, tmp_path)
    assert "[PASS] neuron_tests (2/2)" in out
    assert "[FAIL] mlp_forward_tests (0/2)  failed: XOR network's logits: expected shape (4, 1), got (4, 2)" in out
    assert "random" not in out
    assert code == 1


def test_statuses_are_one_line_each(tmp_path):
    nb = submission(perceptron_step=solution_answer("perceptron_step").replace("w + lr * y * x", "w - lr * y * x"),
                    neuron="def neuron(X, w, b):\n    while True:\n        pass\n",
                    mlp_forward="import torch\ndef mlp_forward(X, W1, b1, W2, b2):\n    return X\n")
    _, out = check(nb, tmp_path, name="李明.ipynb")
    assert "[FAIL] neuron_tests (0/2)  timeout: neuron: ran past its 5 s limit" in out
    assert "[FAIL] perceptron_step_tests (0/2)  failed: w after a mistake: wrong value at index (1,)" in out
    assert ("[FAIL] mlp_forward_tests (0/2)  error: mlp_forward is not defined: its cell raised "
            "ModuleNotFoundError: torch is not available in this exercise") in out


def test_a_passing_visible_test_cell_says_so():
    source = cell(load("release"), "neuron_tests").source
    assert source.rstrip().splitlines()[-1] == (
        'print("✓ neuron: visible checks passed; hidden tests run when graded")')


def test_check_this_notebook_finds_the_notebook_or_says_how(tmp_path, monkeypatch, capsys):
    path = tmp_path / "01_neurons.ipynb"
    nbformat.write(load("solution"), path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert notebook_path({}) is None
    assert check_this_notebook() is None
    assert "check_this_notebook(\"NAME.ipynb\")" in capsys.readouterr().out
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    assert notebook_path() == path
    results = check_this_notebook()
    out = capsys.readouterr().out
    assert [r.passed for r in results] == [True] * len(POINTS) and f"Visible tests: {TOTAL}/{TOTAL} points" in out
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert notebook_path({"__session__": str(path)}) == path  # what ipykernel sets in the kernel's namespace
    (tmp_path / "exercises").mkdir()
    monkeypatch.chdir(tmp_path / "exercises")
    nbformat.write(load("release"), tmp_path / "exercises" / "mine.ipynb")
    monkeypatch.setenv("JPY_SESSION_NAME", "exercises/mine.ipynb")  # relative to the server's root, one level up
    assert notebook_path() == tmp_path / "exercises" / "mine.ipynb"
