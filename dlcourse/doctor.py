"""``dlcourse doctor``: is this machine ready for the course? One line per check, one fix per problem.

It reports the versions of Python and of every package the course uses, whether a CUDA GPU is there and which
device the chapters will use, and whether JupyterLab's widget extension is installed (without it every slider
demo shows as plain text). ``collect_checks()`` returns the results, ``run_doctor()`` prints them and returns the
exit code: 0 when everything required is in place, 1 otherwise.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SETUP = "run `make setup`"


@dataclass
class Check:
    """One line of the report. ``fix`` is the one-line remedy shown when a required check fails."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    required: bool = True


# (label, distribution name, module to import or None, fix when missing)
PACKAGES = [
    ("numpy", "numpy", "numpy", "pip install numpy"),
    ("torch", "torch", "torch", f"{SETUP} (it installs the CPU build of torch), or pip install torch"),
    ("matplotlib", "matplotlib", "matplotlib", "pip install matplotlib"),
    ("ipywidgets", "ipywidgets", "ipywidgets", "pip install ipywidgets"),
    ("jupyterlab", "jupyterlab", None, "pip install jupyterlab"),
    ("nbgrader", "nbgrader", None, "pip install nbgrader"),
    ("jupytext", "jupytext", None, "pip install jupytext"),
    ("scikit-learn", "scikit-learn", "sklearn", "pip install scikit-learn"),
    ("tqdm", "tqdm", "tqdm", "pip install tqdm"),
]
WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


def _version(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _import(module: str) -> None:
    importlib.import_module(module)


def _requirements() -> dict:
    """{distribution: packaging Requirement} from dlcourse's own metadata (pyproject's version floors), or {}."""
    try:
        from packaging.requirements import Requirement

        requirements = [Requirement(text) for text in metadata.requires("dlcourse") or []]
    except (ImportError, metadata.PackageNotFoundError):  # not pip-installed: no floors to compare with
        return {}
    return {req.name.lower(): req for req in requirements if req.marker is None}


def check_python(version_info: tuple | None = None) -> Check:
    """Python >= 3.10 (pyproject's requires-python); ``version_info`` defaults to the running interpreter's."""
    version_info = tuple(version_info or sys.version_info)
    version = ".".join(map(str, version_info[:3]))
    return Check("python", version_info >= (3, 10), version,
                 fix="install Python >= 3.10 (e.g. conda env create -f environment.yml)")


def check_package(label: str, distribution: str, module: str | None, fix: str, requirements: dict) -> Check:
    """Installed, recent enough (pyproject's floor), and importable when ``module`` is given.

    Args:
        label: the name the report shows.
        distribution: the package's name on PyPI.
        module: the module to import, or None to skip the import.
        fix: what the report tells the user to run when the check fails.
        requirements: {distribution: minimum version}, from pyproject.toml.
    """
    version = _version(distribution)
    if version is None:
        return Check(label, False, "not installed", fix)
    requirement = requirements.get(distribution.lower())
    if requirement is not None and not requirement.specifier.contains(version, prereleases=True):
        return Check(label, False, f"{version}, too old (need {requirement.specifier})",
                     f'pip install --upgrade "{requirement}"')
    if module is not None:
        try:
            _import(module)
        except Exception as error:  # a broken install fails in many ways; the message is what helps
            return Check(label, False, f"{version}, but import {module} fails: {type(error).__name__}: {error}",
                         f"pip install --force-reinstall {distribution} ({SETUP} rebuilds everything)")
    return Check(label, True, version)


def check_dlcourse() -> Check:
    version = _version("dlcourse")
    if version is None:
        return Check("dlcourse", False, "not installed as a package (the `dlcourse` command is missing)",
                     f"{SETUP} (pip install -e '.[dev]')")
    return Check("dlcourse", True, version)


def check_device() -> Check:
    """Informational (a CPU is enough for every chapter): is there a GPU, and which device will chapters use."""
    if _version("torch") is None:
        return Check("CUDA", False, "unknown (torch is missing)", required=False)
    try:
        import torch

        from dlcourse.torch import choose_device

        chosen = choose_device()[0]
        available = torch.cuda.is_available()
        gpu = f"available ({torch.cuda.get_device_name(0)})" if available else "not available"
    except Exception as error:  # a broken torch is reported by the torch check; here just say so
        return Check("CUDA", False, f"unknown ({type(error).__name__}: {error})", required=False)
    where = "the CPU" if chosen.type == "cpu" else str(chosen)
    forced = f" (DLCOURSE_DEVICE={os.environ['DLCOURSE_DEVICE']})" if os.environ.get("DLCOURSE_DEVICE") else ""
    return Check("CUDA", available, f"{gpu}; chapters will use {where}{forced}", required=False)


def _labextension_dirs() -> list[Path]:
    try:
        from jupyter_core.paths import jupyter_path

        return [Path(p) for p in jupyter_path("labextensions")]
    except ImportError:
        return [Path(sys.prefix) / "share" / "jupyter" / "labextensions"]


def check_widget_extension() -> Check:
    """The jupyterlab_widgets package and its prebuilt extension, without which sliders render as text."""
    fix = "pip install jupyterlab_widgets (it comes with ipywidgets 8), then restart JupyterLab"
    version = _version("jupyterlab_widgets")
    if version is None:
        return Check("widget extension", False, "jupyterlab_widgets not installed", fix)
    found = [d for d in _labextension_dirs() if (d / WIDGET_EXTENSION / "package.json").is_file()]
    if not found:
        return Check("widget extension", False, f"jupyterlab_widgets {version}, but {WIDGET_EXTENSION} is not in "
                     "any labextensions folder", fix)
    return Check("widget extension", True, f"jupyterlab_widgets {version} ({found[0]})")


def collect_checks() -> list[Check]:
    """Every check, in report order."""
    requirements = _requirements()
    checks = [check_python()]
    checks += [check_package(*package, requirements) for package in PACKAGES]
    checks += [check_dlcourse(), check_device(), check_widget_extension()]
    return checks


def run_doctor(file: TextIO | None = None) -> int:
    """Print the report (to ``file``, stdout by default); return 0 when every required check passes, else 1."""
    file = file or sys.stdout
    checks = collect_checks()
    width = max(len(check.name) for check in checks)
    print("dlcourse doctor", file=file)
    for check in checks:
        status = ("ok" if check.ok else "MISSING") if check.required else "info"
        print(f"  {status:<8}{check.name:<{width + 2}}{check.detail}", file=file)
    problems = [check for check in checks if check.required and not check.ok]
    if not problems:
        print("Everything the course needs is in place.", file=file)
        return 0
    print(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} to fix:", file=file)
    for check in problems:
        print(f"  - {check.name}: {check.fix}", file=file)
    return 1


if __name__ == "__main__":
    raise SystemExit(run_doctor())
