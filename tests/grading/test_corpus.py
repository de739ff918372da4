"""The two corpora through the whole pipeline (sandbox, trusted tests, nbgrader gradebook): every honest answer
gets full marks, every attack exactly the points of its honest part, and the course is left as it was."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from dlcourse.grading.grade import grade_folder, totals
from dlcourse.grading.limits import Limits
from dlcourse.grading.status import Status
from tests.grading.corpus import MARKER, adversarial, honest, other_exercises, table, write_corpus
from tests.grading.submissions import ASSIGNMENT, ROOT

pytestmark = pytest.mark.slow
LIMITS = Limits(call_seconds=5, notebook_seconds=120, memory_mb=512)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def _grade(cases, folder: Path, out: Path, assignment: str = ASSIGNMENT):
    fair = write_corpus(cases, folder)
    results = grade_folder(folder, assignment=assignment, root=ROOT, out=out, workers=2, limits=LIMITS)
    print(f"\n{folder.name} corpus (exercise {assignment}):\n" + table(cases, totals(results)))
    return results, fair


@pytest.fixture(scope="module")
def honest_graded(tmp_path_factory):
    return _grade(honest(), tmp_path_factory.mktemp("honest"), tmp_path_factory.mktemp("honest-out"))


@pytest.fixture(scope="module")
def adversarial_graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "grades" / "01_neurons").mkdir(parents=True)
    (course / "grades" / "01_neurons" / "grades.csv").write_text("student,item,score\nfriend,neuron_tests,0\n")
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    watched = [course / "grades" / "01_neurons" / "grades.csv", course / "nbgrader_config.py",
               ROOT / "dlcourse" / "grading" / "checks.py", ROOT / "nbgrader_config.py"]
    before = {path: _digest(path) for path in watched}
    os.environ["DLCOURSE_TEST_SECRET"] = "the instructor's"
    try:
        results, fair = _grade(adversarial(course), tmp_path_factory.mktemp("adversarial"),
                               tmp_path_factory.mktemp("adversarial-out"))
    finally:
        del os.environ["DLCOURSE_TEST_SECRET"]
    changed = [path for path in watched if _digest(path) != before[path]]
    return results, fair, changed


def status(results, student, item):
    return next(r for r in results if r.student == student and r.item == item).status


def test_every_honest_answer_gets_full_marks(honest_graded):
    results, fair = honest_graded
    got = {student: score for student, (score, _) in totals(results).items()}
    assert got == fair


def test_a_folder_is_graded_on_its_worked_copy_and_says_so(honest_graded, tmp_path):
    results, _ = honest_graded
    assert status(results, "Ada", "neuron_tests") is Status.PASSED


def test_every_attack_gets_exactly_its_honest_part(adversarial_graded):
    results, fair, _ = adversarial_graded
    got = {student: score for student, (score, _) in totals(results).items()}
    assert got == fair


def test_attacks_leave_the_course_and_the_machine_as_they_were(adversarial_graded):
    _, _, changed = adversarial_graded
    assert changed == []
    survivors = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                survivors.append(pid)
        except OSError:
            continue
    assert survivors == []


def test_attack_statuses_are_plain(adversarial_graded):
    results, _, _ = adversarial_graded
    assert status(results, "ndarray_subclass", "mlp_forward_tests") is Status.WRONG_TYPE
    assert status(results, "object_array", "mlp_forward_tests") is Status.WRONG_TYPE
    assert status(results, "sigint_ignored", "perceptron_step_tests") is Status.TIMEOUT
    # killed past Limits.processes (crash), or held under RLIMIT_NPROC until its time is up (timeout)
    assert status(results, "fork_bomb", "mlp_forward_tests") in (Status.CRASH, Status.TIMEOUT)
    assert status(results, "children_over_memory", "mlp_forward_tests") is Status.MEMORY
    assert status(results, "config_then_crash", "mlp_forward_tests") is Status.CRASH
    assert status(results, "torch", "mlp_forward_tests") is Status.ERROR
    assert status(results, "hangs_at_import", "perceptron_step_tests") is Status.TIMEOUT
    for student in ("sigint_ignored", "fork_bomb", "children_over_memory", "hangs_at_import"):
        assert status(results, student, "neuron_tests") is Status.PASSED


@pytest.mark.parametrize("assignment", sorted(other_exercises()))
def test_other_exercises_corpora(assignment, tmp_path):
    results, fair = _grade(other_exercises()[assignment], tmp_path / "in", tmp_path / "out", assignment)
    assert {student: score for student, (score, _) in totals(results).items()} == fair
