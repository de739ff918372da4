"""dlcourse.doctor: one line per check, a non-zero exit and a one-line fix for every missing requirement."""

import importlib.metadata as metadata
import io

import pytest
import torch
from packaging.requirements import Requirement

from dlcourse import doctor


def report() -> tuple[int, str]:
    out = io.StringIO()
    code = doctor.run_doctor(file=out)
    return code, out.getvalue()


@pytest.fixture
def healthy(monkeypatch, tmp_path):
    """Every package present at a known version and the widget extension in place, whatever this machine has."""
    monkeypatch.setattr(doctor, "_version", lambda name: "99.0")
    monkeypatch.setattr(doctor, "_import", lambda module: None)
    monkeypatch.setattr(doctor, "_requirements", lambda: {"numpy": Requirement("numpy>=1.26")})
    extension = tmp_path / "labextensions" / doctor.WIDGET_EXTENSION
    extension.mkdir(parents=True)
    (extension / "package.json").write_text("{}")
    monkeypatch.setattr(doctor, "_labextension_dirs", lambda: [tmp_path / "labextensions"])
    return monkeypatch


def missing(monkeypatch, *names):
    monkeypatch.setattr(doctor, "_version", lambda name: None if name in names else "99.0")


def test_healthy_machine_exits_zero_and_lists_every_package(healthy):
    code, text = report()
    assert code == 0 and "Everything the course needs is in place." in text
    for label in ["python", "numpy", "torch", "matplotlib", "ipywidgets", "jupyterlab", "nbgrader", "jupytext",
                  "scikit-learn", "tqdm", "dlcourse", "CUDA", "widget extension"]:
        assert any(line.split()[1:2] == label.split()[:1] for line in text.splitlines()), label


def test_this_machine_reports_real_versions():
    checks = {check.name: check for check in doctor.collect_checks()}
    assert checks["numpy"].detail == metadata.version("numpy") and checks["torch"].detail == torch.__version__
    assert checks["CUDA"].required is False


@pytest.mark.parametrize("package, fix", [
    ("ipywidgets", "ipywidgets: pip install ipywidgets"),
    ("torch", "torch: run `make setup` (it installs the CPU build of torch), or pip install torch"),
    ("scikit-learn", "scikit-learn: pip install scikit-learn"),
    ("dlcourse", "dlcourse: run `make setup`"),
])
def test_a_missing_package_fails_with_its_fix(healthy, package, fix):
    missing(healthy, package)
    code, text = report()
    assert code == 1 and "1 problem to fix:" in text and f"  - {fix}" in text
    assert any(line.split()[:2] == ["MISSING", package] for line in text.splitlines())


def test_every_problem_gets_its_own_fix(healthy):
    missing(healthy, "tqdm", "jupytext")
    code, text = report()
    assert code == 1 and "2 problems to fix:" in text
    assert "  - jupytext: pip install jupytext" in text and "  - tqdm: pip install tqdm" in text


def test_an_old_version_fails_with_an_upgrade(healthy):
    healthy.setattr(doctor, "_version", lambda name: "1.20.0" if name == "numpy" else "99.0")
    code, text = report()
    assert code == 1 and "1.20.0, too old (need >=1.26)" in text
    assert '  - numpy: pip install --upgrade "numpy>=1.26"' in text


def test_a_package_that_fails_to_import_is_reported(healthy):
    def broken(module):
        if module == "torch":
            raise OSError("libtorch_cpu.so: cannot open shared object file")
    healthy.setattr(doctor, "_import", broken)
    code, text = report()
    assert code == 1 and "import torch fails: OSError: libtorch_cpu.so" in text
    assert "  - torch: pip install --force-reinstall torch" in text


def test_the_widget_extension_must_be_in_a_labextensions_folder(healthy, tmp_path):
    healthy.setattr(doctor, "_labextension_dirs", lambda: [tmp_path / "empty"])
    code, text = report()
    assert code == 1 and f"{doctor.WIDGET_EXTENSION} is not in any labextensions folder" in text
    assert "  - widget extension: pip install jupyterlab_widgets" in text
    missing(healthy, "jupyterlab_widgets")
    assert "jupyterlab_widgets not installed" in report()[1]


def test_an_old_python_fails():
    check = doctor.check_python(version_info=(3, 9, 18))
    assert not check.ok and check.detail == "3.9.18" and "Python >= 3.10" in check.fix
    assert doctor.check_python().ok


def test_no_gpu_is_information_not_a_failure(healthy, monkeypatch):
    monkeypatch.delenv("DLCOURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, text = report()
    assert code == 0 and "info    CUDA" in text and "not available; chapters will use the CPU" in text
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU")
    assert "available (Fake GPU); chapters will use cuda" in report()[1]
    monkeypatch.setenv("DLCOURSE_DEVICE", "cpu")
    assert "chapters will use the CPU (DLCOURSE_DEVICE=cpu)" in report()[1]
