"""The setup's PyTorch choice (tools/install_torch.py): right build per machine, overridable, PyPI as a fallback."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("install_torch", ROOT / "tools" / "install_torch.py")
install_torch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_torch)
choose, CPU_INDEX = install_torch.choose, install_torch.CPU_INDEX


def _never(url):
    raise AssertionError("only the CPU choice may probe the index")


def test_linux_without_gpu_takes_the_cpu_index():
    args, reason = choose({}, "Linux", False, lambda url: True)
    assert args == ["torch==2.13.0", "--index-url", CPU_INDEX]
    assert "CPU build" in reason


def test_linux_without_gpu_falls_back_to_pypi_when_the_index_is_unreachable():
    asked = []
    args, reason = choose({}, "Linux", False, lambda url: asked.append(url) or False)
    assert args == ["torch==2.13.0"] and asked == [CPU_INDEX + "/torch/"]
    assert "not reachable" in reason and "PyPI" in reason and "\n" not in reason


@pytest.mark.parametrize(("system", "gpu"), [("Linux", True), ("Darwin", False), ("Windows", False), ("Windows", True)])
def test_gpu_linux_and_other_systems_take_pypi(system, gpu):
    args, reason = choose({}, system, gpu, _never)
    assert args == ["torch==2.13.0"] and "PyPI" in reason


def test_overrides_win():
    assert choose({"TORCH_INDEX": "https://example.invalid/cu126"}, "Linux", False, _never)[0] == [
        "torch==2.13.0", "--index-url", "https://example.invalid/cu126"]
    assert choose({"TORCH_SPEC": "torch==2.9.1", "TORCH_PIP_ARGS": "--pre --index-url X"}, "Linux", False,
                  _never)[0] == ["torch==2.9.1", "--pre", "--index-url", "X"]
    assert choose({"TORCH_SPEC": "torch"}, "Darwin", False, _never)[0] == ["torch"]


def test_an_unreachable_host_is_told_quickly():
    # a port nothing listens on: refused at once, never the pip default of minutes
    assert install_torch.reachable("http://127.0.0.1:9/", timeout=2) is False


def test_the_makefile_runs_the_chooser_before_the_course():
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.index("tools/install_torch.py") < makefile.index('-e ".[dev]"')
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "install_torch.py"), "--help"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "TORCH_INDEX" in done.stdout
