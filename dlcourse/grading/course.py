"""The course on disk: where it is, its assignments, and running nbgrader on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse import notebooks


def course_root(start: str | Path | None = None) -> Path:
    """The folder holding nbgrader_config.py and solutions/: found upwards from ``start`` (or the current folder),
    else the checkout this package was installed from."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents, Path(__file__).resolve().parents[2]]:
        if (folder / "nbgrader_config.py").is_file() and (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError("no course found: expected a folder with nbgrader_config.py and solutions/ "
                            f"at or above {here}; run this inside the course checkout")


def assignments(root: Path) -> list[str]:
    """Assignment names: solutions/NAME/NAME.ipynb."""
    return sorted(p.parent.name for p in (root / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name)


def nbgrader_env(extra: dict | None = None) -> dict:
    """The environment nbgrader runs in: this interpreter's scripts first on PATH (nbgrader calls alembic)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def run_nbgrader(args: list[str], *, cwd: Path, env: dict | None = None, timeout: float | None = None):
    """``nbgrader ARGS`` in ``cwd``; returns the CompletedProcess (nbgrader's own exit code is not trusted)."""
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env or nbgrader_env(),
                          capture_output=True, text=True, timeout=timeout)


def course_config(root: Path, **overrides: str) -> str:
    """The course's nbgrader_config.py with ``c.<key> = <value>`` lines appended (values are Python source)."""
    lines = [(root / "nbgrader_config.py").read_text(), "\n# set for this run by dlcourse"]
    lines += [f"c.{key} = {value}" for key, value in overrides.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Release:
    """One assignment as nbgrader releases it, with a gradebook that knows its graded cells."""

    root: Path  # the course it came from, whose nbgrader_config.py grading starts from
    assignment: str
    notebook: nbformat.NotebookNode
    gradebook: Path
    max_scores: dict[str, float]
    source: Path  # the instructor's source notebook (solutions and hidden tests)
    path: Path  # the released notebook


def generate_release(root: Path, assignment: str, workdir: Path) -> Release:
    """Run ``nbgrader generate_assignment`` on a copy of the assignment's source inside ``workdir``."""
    course = workdir / "release-course"
    shutil.copytree(root / "solutions" / assignment, course / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
    (course / "nbgrader_config.py").write_text(course_config(root, **{"CourseDirectory.root": repr(str(course))}))
    done = run_nbgrader(["generate_assignment", assignment, "--force"], cwd=course)
    released = course / "exercises" / assignment / f"{assignment}.ipynb"
    if not released.exists():
        raise RuntimeError(f"nbgrader generate_assignment failed for {assignment}:\n{done.stdout}\n{done.stderr}")
    notebook = nbformat.read(released, as_version=4)
    max_scores = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
                  for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")}
    return Release(root, assignment, notebook, course / "gradebook.db", max_scores,
                   course / "solutions" / assignment / f"{assignment}.ipynb", released)


def build(root: Path) -> list[Path]:
    """Sync every notebook pair, then regenerate exercises/ from solutions/ with nbgrader. Returns what it wrote."""
    written = [notebooks.sync(py) for py in notebooks.sources(root)]
    with tempfile.TemporaryDirectory(prefix="dlcourse-build-") as tmp:
        for assignment in assignments(root):
            release = generate_release(root, assignment, Path(tmp) / assignment)
            target = root / "exercises" / assignment / f"{assignment}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(release.notebook, target)
            written.append(target)
    return written


def stale_exercises(root: Path) -> list[str]:
    """Assignments whose committed exercises/ notebook differs from what nbgrader generates today."""
    stale = []
    with tempfile.TemporaryDirectory(prefix="dlcourse-check-") as tmp:
        for assignment in assignments(root):
            committed = root / "exercises" / assignment / f"{assignment}.ipynb"
            fresh = generate_release(root, assignment, Path(tmp) / assignment).notebook
            if not committed.exists() or nbformat.read(committed, as_version=4) != fresh:
                stale.append(assignment)
    return stale
