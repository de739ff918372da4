"""Two corpora of exercise-01 submissions, each case with the score it deserves.

HONEST: correct answers written in unusual but honest ways, saved in unusual ways: every one deserves full marks.
ADVERSARIAL: attacks on the grader; each deserves exactly the points of its honest part (the answers that are
right on their own), nothing for the attack. ``write_corpus`` lays a corpus out as a submissions folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.grading.submissions import (
    POINTS,
    ROOT,
    TOTAL,
    add_cell,
    answer,
    as_jupyterlab4,
    load,
    solution_answer,
    submission,
    write,
)

NEURON = solution_answer("neuron")
PERCEPTRON = solution_answer("perceptron_step")
MLP = solution_answer("mlp_forward")
ALL = tuple(POINTS)  # every answer of exercise 01
STUB_MLP = "def mlp_forward(X, W1, b1, W2, b2):\n    return np.zeros((len(X), len(b2)))\n"
STUB_PERCEPTRON = "def perceptron_step(w, b, x, y, lr):\n    return w, b\n"
MARKER = "dlcourse-daemon-marker-4711"  # a daemon's command line: grading must leave none behind


@dataclass
class Case:
    name: str
    write: Callable[[Path], None]  # lays the student out under the given folder
    fair: float
    what: str


def notebook_case(name: str, nb, fair: float, what: str, *, filename: str | None = None,
                  minor: int | None = None) -> Case:
    return Case(name, lambda folder: write(nb, folder / (filename or f"{name}.ipynb"), minor=minor), fair, what)


def with_mlp(source: str, fair: float, name: str, what: str) -> Case:
    """neuron and perceptron_step right (4 points), mlp_forward replaced by ``source``."""
    return notebook_case(name, submission(right=("neuron", "perceptron_step"), mlp_forward=source), fair, what)


def attack(name: str, source: str, what: str, fair: float = 2.0) -> Case:
    """neuron right (2 points); perceptron_step a stub; mlp_forward is the attack, with no working code."""
    return notebook_case(name, submission(right=("neuron",), perceptron_step=STUB_PERCEPTRON, mlp_forward=source),
                         fair, what)


def honest() -> list[Case]:
    full = submission(right=ALL)
    variants = {
        "sys_stderr_recursionlimit": ("import sys\n" + NEURON.replace("    z =", "    print('debug', file=sys.stderr)\n"
                                      "    sys.setrecursionlimit(5000)\n    z ="),
                                      "import sys, stderr, recursion limit"),
        "timeit_magic": (NEURON + "%timeit -n1 -r1 neuron(np.ones((2, 2)), np.ones(2), 0.0)\n", "%timeit"),
        "time_cell_magic": ("%%time\n" + NEURON, "%%time"),
        "autoreload": ("%load_ext autoreload\n%autoreload 2\n" + NEURON, "%autoreload"),
        "pip_list": ("!pip list | head -3\n" + NEURON, "!pip list"),
        "docstring_percent": (NEURON.replace('"""Sigmoid', '"""\n    % of what: sigmoid\n    Sigmoid'),
                              "docstring line starting with %"),
        "pathlib": ("from pathlib import Path\nHERE = Path('.').resolve()\n" + NEURON, "pathlib"),
        "ipython_display": ("from IPython.display import display\ndisplay('hello')\n" + NEURON,
                            "IPython.display.display"),
        "environ_get": ("import os\nDEBUG = os.environ.get('DEBUG')\n" + NEURON, "os.environ.get"),
        "setattr_dict_class": ("class Box:\n    def __init__(self, **kw):\n        for k, v in kw.items():\n"
                               "            setattr(self, k, v)\n        self.__dict__['n'] = len(kw)\n\n"
                               "def neuron(X, w, b):\n    box = Box(X=X, w=w, b=b)\n"
                               "    return 1 / (1 + np.exp(-(box.X @ box.w + box.b)))\n",
                               "setattr(self, ...) and self.__dict__ in a class"),
        "modules_events": ("class Net:\n    events = []\n    def modules(self):\n        return [self]\n\n"
                           + NEURON + "Net().modules()\nNet.events.append(1)\n", "methods named modules(), .events"),
        "globals_get": ("def neuron(X, w, b):\n    f = globals().get('np')\n    return 1 / (1 + f.exp(-(X @ w + b)))\n",
                        "globals().get"),
        "vars_local_named_vars": ("def neuron(X, w, b):\n    vars = X @ w + b\n    return 1 / (1 + np.exp(-vars))\n"
                                  "class P:\n    pass\nassert vars(P()) == {}\n", "vars(...) and a local named vars"),
        "star_import": ("from numpy import *\n\ndef neuron(X, w, b):\n    return 1 / (1 + exp(-(X @ w + b)))\n",
                        "from numpy import *"),
        "float32": ("def neuron(X, w, b):\n    z = X.astype(np.float32) @ w.astype(np.float32) + np.float32(b)\n"
                    "    return (1 / (1 + np.exp(-z))).astype(np.float64)\n", "float32 computation"),
        "warns_and_prints": ("import warnings\n" + NEURON.replace("    z =", "    warnings.warn('careful')\n"
                                                                  "    print('hello')\n    z ="), "warnings, prints"),
    }
    cases = [notebook_case(name, answer(full, "neuron", source), TOTAL, what)
             for name, (source, what) in variants.items()]
    helper = add_cell(answer(full, "neuron", "def neuron(X, w, b):\n    return my_sigmoid(X @ w + b)\n"), "neuron",
                      "def my_sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    cases.append(notebook_case("helper_cell", helper, TOTAL, "a helper cell of the student's"))
    extra = add_cell(add_cell(add_cell(full, None, "print('my own notes')"), "setup", "# scratch", "markdown"),
                     "mlp_forward_tests", "x = neuron(np.ones((1, 1)), np.ones(1), 0.0)")
    cases.append(notebook_case("extra_cells", extra, TOTAL, "extra code and markdown cells anywhere"))
    cases.append(notebook_case("jupyterlab4", as_jupyterlab4(full), TOTAL, "saved by JupyterLab 4 (outputs, counts)"))
    cases.append(notebook_case("nbformat_4_4", full, TOTAL, "older nbformat 4.4, no cell ids", minor=4))
    cases.append(notebook_case("Jane Doe", full, TOTAL, "file name with a space"))
    cases.append(notebook_case("李明", full, TOTAL, "unicode file name"))
    cases.append(notebook_case("Copy of 01_neurons", full, TOTAL, '"Copy of 01_neurons.ipynb"'))

    def release_beside_worked_copy(folder: Path) -> None:
        write(load("release"), folder / "Ada" / "01_neurons.ipynb")
        write(full, folder / "Ada" / "01_neurons-Copy1.ipynb")

    cases.append(Case("Ada", release_beside_worked_copy, TOTAL, "folder: the untouched release beside the worked copy"))
    return cases


ARRAY_SUBCLASS = """class Liar(np.ndarray):
    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(3, dtype=bool)
    def any(self, *args, **kwargs):
        return False
    def __eq__(self, other):
        return True

def mlp_forward(X, W1, b1, W2, b2):
    return np.zeros((len(X), len(b2))).view(Liar)
"""
KWDEFAULTS = """expect_close.__kwdefaults__['rtol'] = 1e300
expect_close.__kwdefaults__['atol'] = 1e300
""" + STUB_MLP
GETATTR_GLOBALS = """g = getattr(expect_close, '__glo' + 'bals__')
g['_bool'] = lambda value: False
g['ExerciseError'] = type('Nothing', (Exception,), {})
""" + STUB_MLP
MODULE_CLASS_SWAP = """import types, dlcourse.grading as grading, dlcourse.grading.checks as checks
class Always(types.ModuleType):
    def __getattribute__(self, name):
        return (lambda *a, **k: None) if name.startswith('expect') else super().__getattribute__(name)
grading.__class__ = Always
checks.__class__ = Always
""" + STUB_MLP
GC_SELF = """gc = print.__self__.__import__('gc')
for f in gc.get_objects():
    if callable(f) and getattr(f, '__name__', '').startswith('expect_'):
        f.__code__ = (lambda *a, **k: None).__code__
""" + STUB_MLP
SUBCLASSES_WALK = """for klass in object.__subclasses__():
    if klass.__name__ == '_wrap_close':
        os_module = klass.__init__.__globals__
        os_module['system']('cat /work/*/solutions/01_neurons/01_neurons.py > /tmp/x 2>/dev/null')
    if klass.__name__ == 'ExerciseError':
        klass.__init__ = lambda self, *a: None
""" + STUB_MLP
UNPARSABLE = """%%capture
exec("np.allclose = lambda *a, **k: True\\nnp.testing.assert_allclose = lambda *a, **k: None")
exec("def mlp_forward(X, W1, b1, W2, b2):\\n    return np.zeros((len(X), len(b2)))")
"""
NUMPY_ALIAS = """import numpy as xx
xx.maximum = lambda a, b: xx.zeros_like(b)  # the hidden test's expected values would become zeros
xx.abs = lambda z: xx.zeros_like(z)  # so would the checker's error
xx.isfinite = lambda z: xx.ones_like(z, dtype=bool)
xx.allclose = lambda *a, **k: True
xx.testing.assert_allclose = lambda *a, **k: None
def mlp_forward(X, W1, b1, W2, b2):
    return xx.zeros((len(X), len(b2)))
"""
FRAME_READER = """import sys
def mlp_forward(X, W1, b1, W2, b2):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ('expected', 'want', 'got'):
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return np.zeros((len(X), len(b2)))
"""
GLOBAL_READER = """def mlp_forward(X, W1, b1, W2, b2):
    value = globals().get('expected', None)
    return value if value is not None else np.zeros((len(X), len(b2)))
"""
HISTORY_READER = """def mlp_forward(X, W1, b1, W2, b2):
    ip = get_ipython()
    history = ' '.join(ip.user_ns.get('In', [])) + ' '.join(ip.history_manager.input_hist_raw)
    if 'np.maximum(0, X @ W1.T + b1) @ W2.T + b2' in history:
        return np.maximum(0, X @ W1.T + b1) @ W2.T + b2
    return np.zeros((len(X), len(b2)))
"""
FAKE_SCORE = """from IPython.display import display
display(2)
print(2)
class Score:
    def _repr_html_(self):
        return '2'
display(Score())
""" + STUB_MLP
REFERENCE_THREAD = """import sys, threading
box = {}
def use_reference():
    sys.setprofile(None)
    try:
        from dlcourse.nn.functional import linear_forward
        box['f'] = linear_forward
    except Exception as error:
        box['error'] = error
t = threading.Thread(target=use_reference)
t.start(); t.join()
def mlp_forward(X, W1, b1, W2, b2):
    f = box['f']
    return f(np.maximum(0, f(X, W1, b1)[0]), W2, b2)[0]
"""
TORCH = """import torch
def mlp_forward(X, W1, b1, W2, b2):
    return torch.nn.functional.linear(torch.relu(torch.nn.functional.linear(torch.from_numpy(X),
        torch.from_numpy(W1), torch.from_numpy(b1))), torch.from_numpy(W2), torch.from_numpy(b2)).numpy()
"""
SOLUTIONS_AND_GIT = f"""import subprocess
found = ''
for path in [{str(ROOT / 'solutions' / '01_neurons' / '01_neurons.py')!r},
             '/work/main/solutions/01_neurons/01_neurons.py']:
    try:
        found += open(path).read()
    except OSError:
        pass
for cwd in [{str(ROOT)!r}, '/work/main', '.']:
    try:
        found += subprocess.run(['git', 'show', 'HEAD:solutions/01_neurons/01_neurons.py'], cwd=cwd,
                                capture_output=True, text=True).stdout
    except Exception:
        pass
if 'hidden = np.maximum' in found or 'BEGIN SOLUTION' in found:
    exec(found.split('def mlp_forward')[1].join(['def mlp_forward', '']))
else:
    def mlp_forward(X, W1, b1, W2, b2):
        return np.zeros((len(X), len(b2)))
"""
PIPE_FORGERY = """import os, json, struct
def mlp_forward(X, W1, b1, W2, b2):
    for seq in range(1, 50):  # replies for calls that have not happened yet
        header = json.dumps({'tree': {'seq': seq, 'ok': True, 'value': 0}, 'blobs': []}).encode()
        body = struct.pack('<Q', len(header)) + header
        try:
            os.write(4, struct.pack('<Q', len(body)) + body)
        except OSError:
            pass
    return np.zeros((len(X), len(b2)))
"""
OBJECT_ARRAY = "def mlp_forward(X, W1, b1, W2, b2):\n    return np.array([object()] * len(X))\n"


def file_writer(targets: list[Path], then: str) -> str:
    lines = ["import os", "for path in " + repr([str(t) for t in targets]) + ":",
             "    try:", "        with open(path, 'a') as handle:",
             "            handle.write('\\nTAMPERED = True\\n')", "    except OSError:", "        pass"]
    return "\n".join(lines) + "\n" + then


def adversarial(course: Path) -> list[Case]:
    """``course``: a throwaway copy of the course files an attack would aim at (grades/, nbgrader_config.py)."""
    targets = [course / "grades" / "01_neurons" / "grades.csv", course / "nbgrader_config.py",
               ROOT / "dlcourse" / "grading" / "checks.py", ROOT / "nbgrader_config.py"]
    cases = [
        attack("ndarray_subclass", ARRAY_SUBCLASS, "ndarray subclass lying in __array_ufunc__, any(), =="),
        attack("kwdefaults", KWDEFAULTS, "__kwdefaults__ of the checker"),
        attack("getattr_globals", GETATTR_GLOBALS, "getattr with a built name to the checker's globals"),
        attack("module_class_swap", MODULE_CLASS_SWAP, "__class__ swap on the grading module"),
        attack("gc_builtin_self", GC_SELF, "gc through print.__self__, rewriting checkers' __code__"),
        attack("subclasses_walk", SUBCLASSES_WALK, "object.__subclasses__() walk to os.system"),
        attack("unparsable_cell", UNPARSABLE, "%%capture cell that ast cannot parse, exec inside"),
        attack("numpy_alias", NUMPY_ALIAS, "numpy patched through an alias"),
        attack("frame_reader", FRAME_READER, "expected value from the caller's frames"),
        attack("global_reader", GLOBAL_READER, "expected value from a global the test binds"),
        attack("history_reader", HISTORY_READER, "test code from IPython's input history"),
        attack("fake_score_outputs", FAKE_SCORE, "display outputs that look like a partial score"),
        attack("reference_in_thread", REFERENCE_THREAD, "reference implementation in a thread, profiler off"),
        attack("torch", TORCH, "torch instead of NumPy"),
        attack("solutions_and_git", SOLUTIONS_AND_GIT, "read solutions/ and git history"),
        attack("writes_course_files", file_writer(targets, STUB_MLP),
               "writes grades.csv of another assignment, nbgrader_config.py, appends to checks.py"),
        attack("pipe_forgery", PIPE_FORGERY, "forged replies written to the grader's pipe"),
        attack("object_array", OBJECT_ARRAY, "returns an object array"),
        with_mlp(file_writer(targets[1:2], "import os\nos._exit(3)  # the kernel dies\n" + STUB_MLP),
                 4, "config_then_crash", "edits nbgrader_config.py, then kills its kernel"),
        with_mlp(f"import os, subprocess, sys\nSLEEPER = [sys.executable, '-c', 'import time; time.sleep(300)', "
                 f"'{MARKER}']\nsubprocess.Popen(SLEEPER, start_new_session=True)\n"
                 "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                 "        os.execv(sys.executable, SLEEPER)\n    os._exit(0)\n" + STUB_MLP,
                 4, "daemons", "daemons (setsid, double fork) meant to outlive grading"),
        with_mlp("def mlp_forward(X, W1, b1, W2, b2):\n    import os\n    while True:\n        try:\n"
                 "            os.fork()\n        except OSError:\n            pass\n", 4, "fork_bomb",
                 "fork bomb when called"),
        with_mlp("def mlp_forward(X, W1, b1, W2, b2):\n    import os, time\n    for _ in range(4):\n"
                 "        if os.fork() == 0:\n            hog = np.ones(20_000_000)  # 160 MB each\n"
                 "            time.sleep(60)\n    time.sleep(60)\n", 4, "children_over_memory",
                 "four children each under the cap, together over it"),
        notebook_case("sigint_ignored", submission(right=("neuron", "mlp_forward"), perceptron_step=(
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "def perceptron_step(w, b, x, y, lr):\n    while True:\n        pass\n")), 4,
            "ignores SIGINT and loops forever"),
        notebook_case("edits_tests", _edit_tests(), 2, "empties, deletes and relabels test cells"),
        notebook_case("hangs_at_import", submission(right=("neuron", "mlp_forward"), perceptron_step=(
            "import time\ntime.sleep(10_000)\n" + PERCEPTRON)), 4, "an answer cell that never finishes"),
        notebook_case("environment_spy", submission(right=tuple(a for a in ALL if a != "mlp_forward"), mlp_forward=(
            "import os\nSECRET = os.environ.get('DLCOURSE_TEST_SECRET')\nassert SECRET is None\n" + MLP)), TOTAL,
            "looks for the grader's environment (finds nothing; answer is right)"),
    ]
    return cases


def _edit_tests():
    nb = submission(right=("perceptron_step",), neuron="def neuron(X, w, b):\n    return X[:, 0]\n")
    from tests.grading.submissions import cell

    cell(nb, "perceptron_step_tests").source = "pass"
    cell(nb, "mlp_forward_tests").source = "pass"
    cell(nb, "mlp_forward_tests").metadata["nbgrader"]["grade_id"] = "neuron_tests_again"
    nb.cells.remove(cell(nb, "neuron_tests"))
    return nb


def write_corpus(cases: list[Case], folder: Path) -> dict[str, float]:
    """Lay the cases out in ``folder`` and return ``{student: fair score}``."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        case.write(folder)
    return {case.name: case.fair for case in cases}


def table(cases: list[Case], totals: dict[str, tuple[float, float]]) -> str:
    """The closing note's table: case, score, fair score, what it does."""
    lines = ["| case | score | fair | what |", "|---|---|---|---|"]
    for case in cases:
        score, top = totals.get(case.name, (float("nan"), TOTAL))
        lines.append(f"| {case.name} | {score:g}/{top:g} | {case.fair:g} | {case.what} |")
    return "\n".join(lines)



CNN = ("conv2d_forward_naive", "im2col", "conv2d_forward", "conv2d_backward", "max_pool_backward")
BACKPROP = ("tiny_backprop", "local_grads", "backward", "unbroadcast", "mul_backward", "matmul_backward")


def other_exercises() -> dict[str, list[Case]]:
    """Smaller corpora for exercises 04 and 07 (the red team's other targets): honest variants and attacks."""
    def cnn(name, fair, what, **answers):
        return notebook_case(name, submission(assignment="07_cnns", right=tuple(a for a in CNN if a not in answers),
                                              **answers), fair, what)

    def backprop(name, fair, what, **answers):
        return notebook_case(name, submission(assignment="04_backprop",
                                              right=tuple(a for a in BACKPROP if a not in answers), **answers),
                             fair, what)

    naive_loops = (solution_answer("conv2d_forward_naive", "07_cnns").replace(
        "def conv2d_forward_naive", "%%time\ndef conv2d_forward_naive", 1))
    recursive = ("import sys\nsys.setrecursionlimit(10_000)\n\n"
                 "def backward(graph, values):\n    grads = [0.0] * len(graph)\n    grads[-1] = 1.0\n\n"
                 "    def visit(k):\n        if k < 0:\n            return\n        op, *inputs = graph[k]\n"
                 "        local = {'add': [1.0, 1.0], 'sigmoid': [values[k] * (1 - values[k])]}.get(op, [])\n"
                 "        for i, d in zip(inputs, local):\n            grads[i] += d * grads[k]\n"
                 "        visit(k - 1)\n\n"
                 "    visit(len(graph) - 1)\n    return grads\n")
    return {
        "07_cnns": [
            cnn("cnn_full", 11, "the solution"),
            cnn("cnn_time_magic", 11, "%%time on the naive convolution", conv2d_forward_naive=naive_loops),
            cnn("cnn_torch", 9, "conv2d_forward with torch", conv2d_forward=(
                "import torch\ndef conv2d_forward(x, weight, bias, stride=1, padding=0):\n"
                "    return torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight),\n"
                "        torch.from_numpy(bias), stride=stride, padding=padding).numpy()\n")),
            cnn("cnn_reference", 9, "conv2d_forward from dlcourse.nn", conv2d_forward=(
                "def conv2d_forward(x, weight, bias, stride=1, padding=0):\n"
                "    from dlcourse.nn.functional import conv2d_forward as reference\n"
                "    return reference(x, weight, bias, stride, padding)[0]\n")),
            cnn("cnn_matrix", 8, "returns an np.matrix (an ndarray subclass)", conv2d_backward=(
                "def conv2d_backward(dout, x, weight, stride=1, padding=0):\n"
                "    return np.matrix(x.reshape(len(x), -1)), np.matrix(weight.reshape(len(weight), -1)), None\n")),
        ],
        "04_backprop": [
            backprop("backprop_full", 11, "the solution"),
            backprop("backprop_recursive", 11, "a recursive backward with sys.setrecursionlimit", backward=recursive),
            backprop("backprop_object", 9, "local_grads returns objects that pretend to be numbers", local_grads=(
                "class Any(float):\n    def __eq__(self, other):\n        return True\n\n"
                "def local_grads(op, inputs, out):\n    return (Any(0.0), Any(0.0))\n")),
            backprop("backprop_autograd", 9, "backward through dlcourse.autograd", backward=(
                "from dlcourse.autograd import Value\n\n"
                "def backward(graph, values):\n    return [0.0] * len(graph)\n")),
        ],
    }
