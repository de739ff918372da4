"""The learner's workspace: created once, added to, never overwritten; one file reset with a backup; a JupyterLab
session in learner mode changes no tracked file and shows none of nbgrader's instructor tools."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dlcourse.workspace import (
    LEARNER_DISABLED_LAB_PLUGINS,
    course_files,
    default_workspace,
    lab_command,
    reset,
    sync_workspace,
)

ROOT = Path(__file__).resolve().parents[1]


def _notebook(text: str, paired: bool = True) -> str:
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    if paired:
        metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    cell = {"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [], "source": text}
    return json.dumps({"cells": [cell], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def course(tmp_path) -> Path:
    """A small course: two chapters (with their sources), one released exercise, a solution that must never be
    copied."""
    root = tmp_path / "course"
    for name in ("01_a", "02_b"):
        (root / "chapters").mkdir(parents=True, exist_ok=True)
        (root / "chapters" / f"{name}.ipynb").write_text(_notebook(f"print('{name}')"))
        (root / "chapters" / f"{name}.py").write_text("# %%\n")
    (root / "chapters" / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n')
    (root / "exercises" / "01_a").mkdir(parents=True)
    (root / "exercises" / "01_a" / "01_a.ipynb").write_text(_notebook("raise NotImplementedError()", paired=False))
    (root / "solutions" / "01_a").mkdir(parents=True)
    (root / "solutions" / "01_a" / "01_a.ipynb").write_text(_notebook("### BEGIN HIDDEN TESTS"))
    return root


def _source(path: Path) -> str:
    return json.loads(path.read_text())["cells"][0]["source"]


def test_first_use_copies_chapters_and_the_release_as_plain_notebooks(course, tmp_path):
    workspace = tmp_path / "ws"
    added = sync_workspace(course, workspace)
    assert sorted(p.relative_to(workspace).as_posix() for p in added) == [
        "chapters/01_a.ipynb", "chapters/02_b.ipynb", "exercises/01_a/01_a.ipynb"]
    assert not (workspace / "solutions").exists() and not list(workspace.rglob("*.py"))
    for path in added:
        assert "jupytext" not in json.loads(path.read_text())["metadata"], f"{path} is still paired"
    assert 'formats = "ipynb"' in (workspace / "jupytext.toml").read_text()
    settings = workspace / ".dlcourse/lab/user-settings/@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings"
    assert json.loads(settings.read_text()) == {"saveState": True}


def test_later_syncs_keep_the_learners_work_and_add_new_chapters(course, tmp_path):
    workspace = tmp_path / "ws"
    sync_workspace(course, workspace)
    mine = workspace / "chapters" / "01_a.ipynb"
    mine.write_text(_notebook("my own work"))
    (course / "chapters" / "01_a.ipynb").write_text(_notebook("the course changed this chapter"))
    (course / "chapters" / "03_c.ipynb").write_text(_notebook("a new chapter"))
    added = sync_workspace(course, workspace)
    assert added == [workspace / "chapters" / "03_c.ipynb"]
    assert _source(mine) == "my own work"
    assert sync_workspace(course, workspace) == []


def test_reset_restores_one_file_and_keeps_a_timestamped_backup(course, tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    sync_workspace(course, workspace)
    mine = workspace / "exercises" / "01_a" / "01_a.ipynb"
    mine.write_text(_notebook("def answer(): return 42"))
    monkeypatch.chdir(tmp_path)  # the path may be given from anywhere: here, relative to the workspace
    when = datetime.datetime(2026, 12, 6, 16, 5, 9)
    restored, backup = reset("exercises/01_a/01_a.ipynb", course, workspace, now=when)
    assert restored == mine and _source(mine) == "raise NotImplementedError()"
    assert backup == workspace / "backups" / "exercises" / "01_a" / "01_a.2026-12-06T16-05-09.ipynb"
    assert _source(backup) == "def answer(): return 42"
    assert _source(workspace / "chapters" / "01_a.ipynb") == "print('01_a')", "only the one file is reset"
    (workspace / "chapters" / "02_b.ipynb").unlink()
    assert reset(workspace / "chapters" / "02_b.ipynb", course, workspace) == (workspace / "chapters" / "02_b.ipynb",
                                                                              None)


def test_reset_refuses_what_is_not_a_course_file_of_the_workspace(course, tmp_path):
    workspace = tmp_path / "ws"
    sync_workspace(course, workspace)
    with pytest.raises(ValueError, match="expected a file in the workspace"):
        reset(course / "chapters" / "01_a.ipynb", course, workspace)
    (workspace / "notes.ipynb").write_text(_notebook("mine"))
    with pytest.raises(ValueError, match="expected a chapter or exercise file of the course"):
        reset("notes.ipynb", course, workspace)
    assert _source(workspace / "notes.ipynb") == "mine"


def test_the_real_course_copies_every_chapter_and_exercise_and_no_solution():
    files = course_files(ROOT)
    assert {p.name for p in files} >= {p.name for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")}
    assert all(p.parts[0] in ("chapters", "exercises") for p in files)
    assert all("solutions" not in source.parts for source in files.values())


def test_the_workspace_is_ignored_by_git():
    done = subprocess.run(["git", "check-ignore", "-q", "workspace/chapters/01_neurons.ipynb"], cwd=ROOT)
    assert done.returncode == 0, "workspace/ must be in .gitignore"


def test_cli_workspace_and_reset(tmp_path):
    env = {**os.environ, "DLCOURSE_WORKSPACE": str(tmp_path / "ws"), "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "dlcourse.cli"]
    first = subprocess.run([*run, "workspace"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0 and "added chapters/02_activations.ipynb" in first.stdout
    again = subprocess.run([*run, "workspace"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert "(0 new files; your edited files are kept)" in again.stdout
    done = subprocess.run([*run, "reset", "chapters/02_activations.ipynb"], env=env, capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"your version is in backups/chapters/02_activations\.[0-9T-]+\.ipynb", done.stdout)
    wrong = subprocess.run([*run, "reset", "README.md"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert wrong.returncode == 2 and "expected a" in wrong.stderr


def test_default_workspace_is_in_the_checkout_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("DLCOURSE_WORKSPACE", raising=False)
    assert default_workspace(ROOT) == ROOT / "workspace"
    monkeypatch.setenv("DLCOURSE_WORKSPACE", str(tmp_path))
    assert default_workspace(ROOT) == tmp_path


def test_learner_and_instructor_command_lines(tmp_path):
    learner, env = lab_command(root=ROOT, workspace=tmp_path / "ws")
    assert f"--ServerApp.root_dir={tmp_path / 'ws'}" in learner
    config = Path(env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0])
    page = json.loads((config / "labconfig" / "page_config.json").read_text())
    assert set(page["disabledExtensions"]) == set(LEARNER_DISABLED_LAB_PLUGINS)
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent), "dlcourse on the terminal's PATH"
    instructor, _ = lab_command(instructor=True, root=ROOT)
    assert f"--ServerApp.root_dir={ROOT}" in instructor


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def _tracked_changes() -> list[str]:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.splitlines()


@pytest.mark.slow
def test_a_learner_session_changes_no_tracked_file(tmp_path):
    """Start the learner's JupyterLab, open and save a chapter and an exercise through the contents API (what
    JupyterLab's autosave does), and check the checkout; also that nbgrader's instructor side is off."""
    from tests.browser.conftest import TOKEN, start_lab, stop_lab

    before = _tracked_changes()
    lab = start_lab(tmp_path / "workspace", tmp_path / "jupyterlab.log")
    try:
        for path in ("chapters/02_activations.ipynb", "exercises/01_neurons/01_neurons.ipynb"):
            url = f"{lab.url}/api/contents/{path}?token={TOKEN}"
            status, text = _get(url)
            assert status == 200, path
            model = json.loads(text)
            model["content"]["cells"][0]["source"] = "# a learner's note\n" + model["content"]["cells"][0]["source"]
            body = json.dumps({"type": "notebook", "format": "json", "content": model["content"]}).encode()
            request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as answer:
                assert answer.status == 200
            saved = json.loads((lab.workspace / path).read_text())
            assert "".join(saved["cells"][0]["source"]).startswith("# a learner's note")
            assert "jupytext" not in saved["metadata"]
        assert not list((lab.workspace / "chapters").glob("*.py")), "saving paired a notebook with a script"
        status, page = _get(f"{lab.url}/lab?token={TOKEN}")
        assert status == 200 and "@jupyter/nbgrader:menu" in page.split("disabledExtensions")[1][:400]
        assert _get(f"{lab.url}/formgrader?token={TOKEN}")[0] == 404
    finally:
        stop_lab(lab)
    assert _tracked_changes() == before


@pytest.mark.slow
def test_instructor_mode_has_nbgrader(tmp_path):
    """The control for the learner's test above: the instructor's JupyterLab (on a copy of the course's nbgrader
    config, so that Formgrader's gradebook lands there) keeps nbgrader's menu and Formgrader."""
    import shutil

    from tests.browser.conftest import TOKEN, _free_port, _wait_for_server

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    port = _free_port()
    extra = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             f"--IdentityProvider.token={TOKEN}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")
    command, env = lab_command(instructor=True, root=course, extra=extra)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    log = tmp_path / "jupyterlab.log"
    with log.open("w") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=course)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_server(url, process, log)
        status, page = _get(f"{url}/lab?token={TOKEN}")
        assert status == 200 and "@jupyter/nbgrader:menu" not in page.split("disabledExtensions")[1][:400]
        assert _get(f"{url}/formgrader?token={TOKEN}")[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_course_is_found_from_inside_the_workspace(course, tmp_path):
    from dlcourse.workspace import course_root

    (course / "pyproject.toml").write_text("")
    workspace = course / "workspace"
    sync_workspace(course, workspace)
    assert course_root(workspace / "chapters") == course, "the workspace's own chapters/ is not the course"


def test_the_handout_has_the_release_and_no_hidden_test():
    """`make handout` packs the committed HANDOUT paths: never solutions/ or tests/, nothing hidden, and enough to
    run (the package, the chapters, every released exercise)."""
    line = next(x for x in (ROOT / "Makefile").read_text().splitlines() if x.startswith("HANDOUT :="))
    paths = line.split(":=")[1].split()
    files = subprocess.run(["git", "ls-files", "--", *paths], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert not [f for f in files if f.startswith(("solutions/", "tests/"))]
    assert {"pyproject.toml", "Makefile", "dlcourse/workspace.py"} <= set(files)
    released = {f for f in files if f.startswith("exercises/") and f.endswith(".ipynb")}
    assert released == {p.relative_to(ROOT).as_posix() for p in (ROOT / "exercises").glob("*/*.ipynb")}
    # a marker as nbgrader reads it: at the start of a source line (in a .py, or a JSON string in an .ipynb); the
    # grading package itself names the markers, to find them
    marker = re.compile(r'(^|")\s*### BEGIN (HIDDEN TESTS|SOLUTION)', re.MULTILINE)
    for name in (f for f in files if not f.startswith("dlcourse/grading/")):
        text = (ROOT / name).read_text(errors="replace")
        assert not marker.search(text), name
