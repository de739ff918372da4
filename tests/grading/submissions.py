"""Generated submissions of exercise 01 for the grading tests: each one a student, each a case to score exactly."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from dlcourse.grading.assemble import nbgrader_meta

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01_neurons"
RIGHT_NEURON = "def neuron(X, w, b):\n    return 1.0 / (1.0 + np.exp(-(X @ w + b)))\n"


def load(kind: str) -> nbformat.NotebookNode:
    folder = "solutions" if kind == "solution" else "exercises"
    return nbformat.read(ROOT / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def answer(nb, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose answer cell ``grade_id`` holds ``source``."""
    nb = copy.deepcopy(nb)
    cell(nb, grade_id).source = source
    return nb


def solution_answer(grade_id: str) -> str:
    """The solution's answer cell, without nbgrader's solution markers."""
    lines = cell(load("solution"), grade_id).source.splitlines()
    return "\n".join(line for line in lines if "### " not in line) + "\n"


def build(folder: Path, *, server_url: str) -> dict[str, int]:
    """Write every case into ``folder`` and return the exact score each student must get (out of 6)."""
    full, blank = load("solution"), load("release")
    sol = solution_answer
    cases: dict[str, tuple[nbformat.NotebookNode | str | None, int]] = {
        "full": (full, 6),
        "blank": (blank, 0),
        "half": (answer(answer(blank, "neuron", sol("neuron")), "mlp_forward", sol("mlp_forward")), 4),
        # the visible examples' answers typed in: right on the examples, wrong on the hidden inputs
        "hardcoded": (answer(blank, "neuron", "def neuron(X, w, b):\n"
                             "    return np.array([0.5, 0.5]) if len(X) == 2 else np.array([0.75])\n"), 0),
        "warns": (answer(full, "neuron", "import warnings\n" + RIGHT_NEURON.replace(
            "    return", "    warnings.warn('a warning that costs nothing')\n    print('hello')\n    return")), 6),
        "uses_torch": (answer(full, "neuron", "import torch\n\ndef neuron(X, w, b):\n"
                              "    return torch.sigmoid(torch.from_numpy(X @ w + b)).numpy()\n"), 4),
        "uses_reference": (answer(full, "mlp_forward", "from dlcourse.nn.linear import linear_forward\n\n"
                                  "def mlp_forward(X, W1, b1, W2, b2):\n"
                                  "    h = np.maximum(0, linear_forward(X, W1, b1)[0])\n"
                                  "    return linear_forward(h, W2, b2)[0]\n"), 4),
        "patches_numpy": (answer(blank, "neuron", "np.allclose = lambda *a, **k: True\n"
                                 "np.testing.assert_allclose = lambda *a, **k: None\n"
                                 "def neuron(X, w, b):\n    return np.zeros(len(X))\n"), 0),
        "patches_checks": (answer(blank, "neuron", "import dlcourse.grading as g\n"
                                  "g.expect_close = lambda *a, **k: None\n"
                                  "def neuron(X, w, b):\n    return np.zeros(len(X))\n"), 0),
        "rebinds_checks": (answer(blank, "neuron", "expect_close = lambda *a, **k: None\n"
                                  "expect_own_code = lambda f, *a: None\n"
                                  "def neuron(X, w, b):\n    return np.zeros(len(X))\n"), 0),
        "edits_tests": (_edit_tests(answer(answer(blank, "neuron", "def neuron(X, w, b):\n    return X[:, 0]\n"),
                                           "perceptron_step", sol("perceptron_step"))), 2),
        "endless_loop": (answer(full, "neuron", "def neuron(X, w, b):\n    while True:\n        pass\n"), 4),
        "memory_hog": (answer(full, "mlp_forward", "def mlp_forward(X, W1, b1, W2, b2):\n"
                              "    hog = np.ones((20000, 20000))  # 3.2 GB: more than its kernel may have\n"
                              "    return hog\n"), 4),
        "crashes_kernel": (answer(full, "perceptron_step", "def perceptron_step(w, b, x, y, lr):\n"
                                  "    bad = np.lib.stride_tricks.as_strided(np.zeros(1), (10**9,), (10**7,))\n"
                                  "    return bad.sum(), b\n"), 4),
        "reads_solutions": (answer(full, "neuron", "SOURCE = open(" + repr(str(ROOT / "solutions" / ASSIGNMENT /
                                                                            f"{ASSIGNMENT}.ipynb")) + ").read()\n"
                                   + RIGHT_NEURON), 4),
        "reads_others": (answer(full, "neuron", f"OTHER = open({str(folder / 'full.ipynb')!r}).read()\n"
                                + RIGHT_NEURON), 4),
        "uses_network": (answer(full, "neuron", f"import urllib.request\nurllib.request.urlopen({server_url!r}, "
                                "timeout=3).read()\n" + RIGHT_NEURON), 4),
        "shell_escape": (answer(full, "neuron", "!ls /\n" + RIGHT_NEURON), 4),
        "corrupt": ("this is not a notebook", 0),
    }
    for student, (notebook, _) in cases.items():
        path = folder / f"{student}.ipynb"
        if isinstance(notebook, str):
            path.write_text(notebook)
        else:
            nbformat.write(notebook, path)
    (folder / "empty_folder").mkdir()
    scores = {student: expected for student, (_, expected) in cases.items()}
    scores["empty_folder"] = 0
    return scores


def _edit_tests(nb):
    """Delete one test cell, blank another and re-label the third: none of it may change the score."""
    nb = copy.deepcopy(nb)
    cell(nb, "perceptron_step_tests").source = "pass"
    cell(nb, "mlp_forward_tests").metadata["nbgrader"]["grade_id"] = "neuron_tests_again"
    nb.cells.remove(cell(nb, "neuron_tests"))
    return nb
