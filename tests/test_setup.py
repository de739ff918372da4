"""The two install routes agree, and the command line is installed."""

import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch", "jupyter-core": "jupyter_core"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_what_pyproject_requires():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    text = (ROOT / "environment.yml").read_text()
    dependencies = text.split("dependencies:")[1].split("  - pip\n")[0]
    listed = {_name(line.strip()[2:]) for line in dependencies.splitlines() if line.strip().startswith("- ")}
    assert {CONDA_NAMES.get(n, n) for n in wanted} <= listed, "environment.yml is missing packages"
    assert listed - {CONDA_NAMES.get(n, n) for n in wanted} <= {"python"}, "environment.yml has extra packages"


def test_makefile_installs_the_cpu_torch_first():
    makefile = (ROOT / "Makefile").read_text()
    assert "TORCH_SPEC ?= torch==2.13.0" in makefile
    assert makefile.index('"$(TORCH_SPEC)"') < makefile.index('-e ".[dev]"')


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_console_script_answers():
    done = subprocess.run([sys.executable, "-m", "dlcourse.cli", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("doctor", "run", "build", "check", "grade", "bench"):
        assert command in done.stdout
