"""The whole instructor pipeline on a generated class: real nbgrader, real gradebook, exact scores and statuses."""

from __future__ import annotations

import csv
import http.server
import threading

import pytest

from dlcourse.grading.autograde import Limits
from dlcourse.grading.grade import grade_folder, totals
from tests.grading.submissions import ASSIGNMENT, ROOT, build

pytestmark = pytest.mark.slow


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"leaked")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = tmp_path_factory.mktemp("submissions")
    expected = build(folder, server_url=f"http://127.0.0.1:{server.server_port}/")
    for copy_number in (1, 2):  # the same submission graded three times in one batch
        (folder / f"half_again{copy_number}.ipynb").write_bytes((folder / "half.ipynb").read_bytes())
        expected[f"half_again{copy_number}"] = expected["half"]
    out = tmp_path_factory.mktemp("grades")
    results = grade_folder(folder, assignment=ASSIGNMENT, root=ROOT, out=out, workers=2,
                           limits=Limits(cell_timeout=10, memory_mb=1536, notebook_timeout=300))
    server.shutdown()
    return results, expected, out


def status(results, student, item):
    return next(r.status for r in results if r.student == student and r.item == item)


def test_every_case_gets_its_exact_score(graded):
    results, expected, _ = graded
    got = {student: score for student, (score, _) in totals(results).items()}
    assert got == {student: float(score) for student, score in expected.items()}
    assert all(top == 6 for _, top in totals(results).values())


def test_statuses_say_what_happened(graded):
    results, _, _ = graded
    assert status(results, "full", "neuron_tests") == "passed"
    assert status(results, "blank", "neuron_tests") == "not attempted"
    assert status(results, "hardcoded", "neuron_tests").startswith("failed: neuron on a random")
    assert "calls the reference implementation (torch" in status(results, "uses_torch", "neuron_tests")
    assert "calls the reference implementation (dlcourse.nn.linear" in status(results, "uses_reference",
                                                                              "mlp_forward_tests")
    assert status(results, "patches_numpy", "neuron_tests").startswith("tampered: changes the module np")
    assert status(results, "patches_checks", "neuron_tests").startswith("tampered: changes the module g")
    assert status(results, "endless_loop", "neuron_tests").startswith("timeout")
    assert status(results, "endless_loop", "perceptron_step_tests") == "passed"
    assert status(results, "memory_hog", "mlp_forward_tests").startswith("memory")
    assert status(results, "crashes_kernel", "perceptron_step_tests").startswith("crash")
    assert status(results, "crashes_kernel", "mlp_forward_tests") == "passed"
    assert status(results, "shell_escape", "neuron_tests").startswith("tampered: IPython magic or shell command")
    assert status(results, "corrupt", "neuron_tests").startswith("missing")
    assert status(results, "empty_folder", "neuron_tests").startswith("missing")


def test_student_code_sees_no_solutions_no_classmates_no_network(graded):
    results, _, _ = graded
    assert status(results, "reads_solutions", "neuron_tests").startswith("answer cell raised error: FileNotFound")
    assert status(results, "reads_others", "neuron_tests").startswith("answer cell raised error: FileNotFound")
    assert status(results, "uses_network", "neuron_tests").startswith("answer cell raised error: URLError")
    assert _Recorder.hits == []


def test_csv_and_summary_are_written(graded):
    results, expected, out = graded
    with (out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student", "item", "score", "max", "status"]
    assert len(rows) == 3 * len(expected)
    assert {row["student"] for row in rows} == set(expected)
    summary = (out / "summary.txt").read_text()
    assert f"{ASSIGNMENT}: {len(expected)} students graded, out of 6 points" in summary
    assert "crashes_kernel" in summary.splitlines()[-1]
    assert (out / "autograded" / "full.ipynb").exists()
