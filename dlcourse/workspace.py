"""The learner's workspace: a git-ignored working copy of the chapters and the exercises that JupyterLab opens.

The course's own files stay as they are in git, so ``git pull`` and ``make test`` keep working, and a learner's work
lives only in ``workspace/``:

- ``sync_workspace`` copies every chapter and exercise notebook that the workspace does not have yet (first use
  copies all of them, a later ``git pull`` that brings a new chapter adds it) and never overwrites a file there.
- The copies are plain notebooks: the jupytext pairing that the course's sources use is dropped, and the workspace's
  own ``jupytext.toml`` pairs nothing, so saving a notebook writes that one ``.ipynb`` and nothing else.
- ``reset`` puts a fresh copy of one file back, after moving the learner's version to ``backups/`` with a time stamp.
- ``lab_command`` is how ``make lab`` (learner) and ``make instructor`` start JupyterLab: the learner's JupyterLab is
  rooted in the workspace, saves widget state in notebooks, and has none of nbgrader's instructor tools (no Nbgrader
  menu, Formgrader, Create Assignment or Assignment List; the Validate button stays); the instructor's opens the
  course itself with all of them.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sys
from pathlib import Path

WORKSPACE_ENV = "DLCOURSE_WORKSPACE"
COPIED = ("chapters", "exercises")  # the folders of the course that a learner works in
BACKUPS = "backups"
PRIVATE = ".dlcourse"  # JupyterLab's settings and config for the learner (hidden in the file browser)

# nbgrader's parts a learner must not see: its menu and the instructor panels, and the server side behind them.
# Its Validate button (validate-assignment) is a learner's tool and stays.
LEARNER_DISABLED_LAB_PLUGINS = (
    "@jupyter/nbgrader:menu",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
)
LEARNER_DISABLED_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
# JupyterLab settings the learner starts with: widget state is saved with the notebook, so a reopened chapter shows
# its sliders (frozen until the cell is run again) instead of "Error displaying widget: model not found".
# No news or update checks either: they ask a server on the internet, and pop up over the lecture.
LEARNER_LAB_SETTINGS = {
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}
WORKSPACE_README = """\
# Your workspace

These are your own copies of the course's chapters and exercises: edit, run and save them freely. Nothing here is
tracked by git, and updating the course (`git pull`) never overwrites them: chapters that are new in the course are
added here the next time you run `make lab`.

To start one file again from the course's version (yours is kept in backups/ with the date and time):

    dlcourse reset chapters/02_activations.ipynb

Check an exercise from a terminal (File > New > Terminal):

    dlcourse check exercises/01_neurons/01_neurons.ipynb
"""


def course_root(start: str | Path | None = None) -> Path:
    """The course folder (pyproject.toml, chapters/ and exercises/; a workspace has no pyproject.toml), found upwards
    from ``start`` or the current folder, else the checkout this package was installed from. A student's handout has
    no solutions/ and still counts."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents, Path(__file__).resolve().parents[1]]:
        if all((folder / name).exists() for name in ("pyproject.toml", "chapters", "exercises")):
            return folder
    raise FileNotFoundError("no course found: expected a folder with pyproject.toml, chapters/ and exercises/ at or "
                            f"above {here}")


def default_workspace(root: Path | None = None) -> Path:
    """``$DLCOURSE_WORKSPACE`` when set, else ``workspace/`` in the course checkout."""
    if os.environ.get(WORKSPACE_ENV):
        return Path(os.environ[WORKSPACE_ENV]).expanduser().resolve()
    return (root or course_root()) / "workspace"


def course_files(root: Path) -> dict[Path, Path]:
    """What a workspace holds, as {path inside the workspace: the course file it is copied from}: every chapter
    notebook and every file of the exercises' release (never solutions/)."""
    files = {Path("chapters") / p.name: p for p in sorted((root / "chapters").glob("[0-9][0-9]_*.ipynb"))}
    for path in sorted((root / "exercises").rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            files[path.relative_to(root)] = path
    return files


def _copy(source: Path, target: Path) -> None:
    """Copy one course file; a notebook loses its jupytext pairing so that saving it writes only itself."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix != ".ipynb":
        shutil.copy2(source, target)
        return
    notebook = json.loads(source.read_text(encoding="utf-8"))
    notebook.get("metadata", {}).pop("jupytext", None)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_once(path: Path, text: str) -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def sync_workspace(root: Path | None = None, workspace: Path | None = None) -> list[Path]:
    """Create the workspace or add to it what the course has and it lacks; returns the files added.

    A file already in the workspace is never touched, whether or not the learner changed it.
    """
    root = root or course_root()
    workspace = workspace or default_workspace(root)
    workspace.mkdir(parents=True, exist_ok=True)
    # Pairs nothing: without this, a jupytext.toml found above the workspace or in the user's config could pair
    # the copies with scripts again.
    _write_once(workspace / "jupytext.toml", '# Plain notebooks: nothing here is paired with a script.\n'
                                             'formats = "ipynb"\n')
    _write_once(workspace / "README.md", WORKSPACE_README)
    settings = workspace / PRIVATE / "lab" / "user-settings"
    for name, values in LEARNER_LAB_SETTINGS.items():
        _write_once(settings / name, json.dumps(values, indent=2) + "\n")
    added = []
    for relative, source in course_files(root).items():
        target = workspace / relative
        if not target.exists():
            _copy(source, target)
            added.append(target)
    return added


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def reset(path: str | Path, root: Path | None = None, workspace: Path | None = None,
          now: datetime.datetime | None = None) -> tuple[Path, Path | None]:
    """Replace one workspace file by a fresh copy of the course's version; returns (the file, its backup or None).

    ``path`` is a file in the workspace, given from the current folder or from the workspace
    (``chapters/02_activations.ipynb``). The learner's version is moved to ``backups/`` under the same relative path
    with the time in its name (``backups/chapters/02_activations.2026-12-06T16-05-09.ipynb``).
    """
    root = root or course_root()
    workspace = (workspace or default_workspace(root)).resolve()
    given = Path(path).expanduser()
    candidates = [given.resolve(), (workspace / given).resolve()]
    target = next((c for c in candidates if _inside(c, workspace) and c.exists()),
                  next((c for c in candidates if _inside(c, workspace)), None))
    if target is None:
        raise ValueError(f"dlcourse reset: expected a file in the workspace {workspace}, got {path}")
    relative = target.relative_to(workspace)
    sources = course_files(root)
    if relative not in sources:
        known = ", ".join(str(p) for p in list(sources)[:3])
        raise ValueError(f"dlcourse reset: expected a chapter or exercise file of the course (e.g. {known}), "
                         f"got {relative}")
    backup = None
    if target.exists():
        stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%dT%H-%M-%S")
        backup = workspace / BACKUPS / relative.parent / f"{relative.stem}.{stamp}{relative.suffix}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(target, backup)
    _copy(sources[relative], target)
    return target, backup


def learner_config_dir(workspace: Path) -> Path:
    """Write (afresh each time) the Jupyter config that hides nbgrader's instructor tools; returns its folder.

    It goes first on JUPYTER_CONFIG_PATH, so it overrides the config that installing nbgrader enabled.
    """
    config = workspace / PRIVATE / "jupyter-config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    page_config = {"disabledExtensions": {plugin: True for plugin in LEARNER_DISABLED_LAB_PLUGINS}}
    (config / "labconfig" / "page_config.json").write_text(json.dumps(page_config, indent=2) + "\n")
    server = {"ServerApp": {"jpserver_extensions": {name: False for name in LEARNER_DISABLED_SERVER_EXTENSIONS}}}
    (config / "jupyter_server_config.json").write_text(json.dumps(server, indent=2) + "\n")
    return config


def lab_command(*, instructor: bool = False, root: Path | None = None, workspace: Path | None = None,
                extra: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of the learner's (default) or the instructor's JupyterLab.

    Both put this interpreter's scripts first on PATH, so ``dlcourse`` works in JupyterLab's terminal. The learner's
    syncs the workspace first and opens it; the instructor's opens the course checkout (sources, solutions/, nbgrader).
    """
    root = root or course_root()
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    command = [sys.executable, "-m", "jupyterlab"]
    if instructor:
        command.append(f"--ServerApp.root_dir={root}")
    else:
        workspace = workspace or default_workspace(root)
        sync_workspace(root, workspace)
        config = learner_config_dir(workspace)
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(config), env.get("JUPYTER_CONFIG_PATH")]))
        env[WORKSPACE_ENV] = str(workspace)
        lab = workspace / PRIVATE / "lab"
        command += [f"--ServerApp.root_dir={workspace}", f"--LabApp.user_settings_dir={lab / 'user-settings'}",
                    f"--LabApp.workspaces_dir={lab / 'workspaces'}"]
    return command + list(extra or []), env
