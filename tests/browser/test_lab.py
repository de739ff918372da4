"""The course as a learner sees it: JupyterLab in a real (headless) Chromium, in learner mode, on a workspace.

- Chapters run through the UI (Run All, as the Run menu does) with no error output and no traceback on the page.
- Each widget demo renders as a widget (sliders and a figure, not a text fallback or "Error displaying widget"),
  fits a 1280x720 projector, and moving each of its sliders and dropdowns changes the figure's image.
- Nothing the page asks for leaves the machine (no CDN), and saving the notebooks changes no tracked file.
- An exercise opens with none of nbgrader's instructor tools.

To add a widget demo: a chapter whose code cell calls a public function of ``dlcourse.widgets`` (``name(...)`` at
the start of a line, or `explorer = name(...)`) is found by itself; a demo elsewhere goes in EXTRA_DEMOS as (notebook
stem, function name).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, outside_requests, requested_urls

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("browser")]

ALWAYS_RUN = ("02_activations", "05_optimizers", "07_cnns")
EXTRA_DEMOS: list[tuple[str, str]] = []  # (chapter stem, widget function) for demos the scan below cannot see
MAX_WIDGET_HEIGHT = 650  # px: a 1280x720 projector, less the browser's and JupyterLab's bars
MIN_SLIDER_TRACK = 300  # px: fine enough to pick a value by dragging
REDRAW_SECONDS = 60


def widget_functions() -> list[str]:
    import dlcourse.widgets as widgets

    return sorted(name for name in dir(widgets) if not name.startswith("_") and callable(getattr(widgets, name)))


def discover_demos() -> list[tuple[str, str]]:
    """(chapter stem, widget function) for every chapter code line that starts by calling a dlcourse.widgets
    function, or by assigning what such a call returns (``explorer = gradient_flow_explorer(seed=0)``)."""
    names = widget_functions()
    pattern = re.compile(rf"^(?:\w+\s*=\s*)?({'|'.join(map(re.escape, names))})\(", re.MULTILINE)
    demos = []
    for source in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.py")):
        demos += [(source.stem, name) for name in dict.fromkeys(pattern.findall(source.read_text()))]
    return demos


DEMOS = sorted(set(discover_demos()) | set(EXTRA_DEMOS))
CHAPTERS = sorted(set(ALWAYS_RUN) | {chapter for chapter, _ in DEMOS})

# ---- JavaScript run in the page through window.jupyterapp (the same commands as JupyterLab's menus) ----

WAIT_FOR_APP = """
const done = arguments[arguments.length - 1];
const poll = () => window.jupyterapp ? window.jupyterapp.restored.then(() => done(true)) : setTimeout(poll, 200);
poll();
"""

OPEN_AND_RUN = """
const [path, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const app = window.jupyterapp;
  window.__dlcourse = window.__dlcourse || {};
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  await panel.revealed;
  const ok = await app.commands.execute('notebook:run-all-cells');
  window.__dlcourse[path] = panel.id;
  done({ok, id: panel.id});
})().catch(error => done({error: String(error && error.stack || error)}));
"""

ACTIVATE = """
const [path, done] = [arguments[0], arguments[arguments.length - 1]];
const app = window.jupyterapp;
app.shell.activateById(window.__dlcourse[path]);
const panel = app.shell.currentWidget;
panel.revealed.then(() => done(panel.context.path));
"""

REOPEN = """
const [path, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const app = window.jupyterapp;
  const old = [...app.shell.widgets('main')].find(w => w.id === window.__dlcourse[path]);
  await old.sessionContext.shutdown();
  old.dispose();
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  await panel.revealed;
  window.__dlcourse[path] = panel.id;
  done({id: panel.id});
})().catch(error => done({error: String(error && error.stack || error)}));
"""

CELL_REPORT = """
const app = window.jupyterapp;
const panel = [...app.shell.widgets('main')].find(w => w.id === window.__dlcourse[arguments[0]]);
const notebook = panel.content;
const status = panel.sessionContext.session.kernel.status;
const cells = notebook.widgets.map((cell, index) => {
  const model = cell.model.toJSON();
  return {index, type: model.cell_type, source: model.source,
          execution_count: model.execution_count === undefined ? null : model.execution_count,
          outputs: (model.outputs || []).map(o => ({type: o.output_type, ename: o.ename, evalue: o.evalue,
                                                    name: o.name, text: o.text,
                                                    mimes: Object.keys(o.data || {})}))};
});
return {status, cells, text: notebook.node.innerText};
"""

WIDGET_NODE = """
const [path, index] = arguments;
const panel = [...window.jupyterapp.shell.widgets('main')].find(w => w.id === window.__dlcourse[path]);
const cell = panel.content.widgets[index];
panel.content.activeCellIndex = index;
cell.node.scrollIntoView({block: 'start'});
return cell.outputArea.node;
"""

FIGURE_SOURCE = """
const images = arguments[0].querySelectorAll('.widget-output img');
return images.length ? images[images.length - 1].src : null;
"""


def _kernel_idle(browser, path: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        report = browser.execute_script(CELL_REPORT, path)
        if report["status"] == "idle" or time.monotonic() > deadline:
            return report
        time.sleep(0.5)


def _problems(report: dict) -> list[str]:
    """Error outputs, tracebacks in any output, cells never run, widget errors on the page."""
    found = []
    for cell in report["cells"]:
        if cell["type"] != "code":
            continue
        if cell["execution_count"] is None and cell["source"].strip():
            found.append(f"cell {cell['index']} did not run")
        for output in cell["outputs"]:
            text = "".join(output["text"]) if isinstance(output["text"], list) else (output["text"] or "")
            if output["type"] == "error":
                found.append(f"cell {cell['index']}: {output['ename']}: {output['evalue']}")
            elif "Traceback (most recent call last)" in text:
                found.append(f"cell {cell['index']} printed a traceback: {text[-300:]}")
    for message in ("Error displaying widget", "Traceback (most recent call last)", "model not found"):
        if message in report["text"]:
            found.append(f"the page shows {message!r}")
    return found


@pytest.fixture(scope="module")
def opened(lab, browser):
    """Load JupyterLab once; ``run(chapter)`` opens a chapter and runs all of it (once), returning the report."""
    browser.get(lab.page())
    assert browser.execute_async_script(WAIT_FOR_APP)
    browser.execute_script("window.jupyterapp.shell.collapseLeft()")  # the lecture-hall layout: all width to cells
    reports: dict[str, dict] = {}

    def run(chapter: str) -> dict:
        path = f"chapters/{chapter}.ipynb"
        if path not in reports:
            started = time.perf_counter()
            result = browser.execute_async_script(OPEN_AND_RUN, path)
            assert "error" not in result, f"{path}: opening or running failed: {result.get('error')}"
            report = _kernel_idle(browser, path)
            report["seconds"] = time.perf_counter() - started
            report["path"] = path
            reports[path] = report
        browser.execute_async_script(ACTIVATE, path)
        return reports[path]

    run.lab, run.reports = lab, reports
    run.started = time.time()
    return run


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_all_in_the_browser(opened, browser, chapter, record_property):
    report = opened(chapter)
    record_property("seconds", report["seconds"])
    assert _problems(report) == [], f"{chapter} in the browser"
    assert outside_requests(requested_urls(browser)) == [], "the page asked a host other than this one"


def _widget_cell(report: dict, function: str) -> int:
    calls = [c["index"] for c in report["cells"] if c["type"] == "code" and
             re.search(rf"^(?:\w+\s*=\s*)?{re.escape(function)}\(", c["source"], re.MULTILINE)]
    assert calls, f"no cell calls {function}()"
    return calls[0]


def _wait_for_new_figure(browser, output, before: str, what: str) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, REDRAW_SECONDS, poll_frequency=0.2).until(
        lambda d: d.execute_script(FIGURE_SOURCE, output) not in (None, before),
        message=f"moving {what} did not change the figure within {REDRAW_SECONDS} s")
    return browser.execute_script(FIGURE_SOURCE, output)


def _drag(browser, slider) -> None:
    """Drag the slider's handle by a third of its track, towards the side with more room."""
    from selenium.webdriver.common.action_chains import ActionChains

    track = slider.find_element("css selector", ".noUi-target")
    handle = slider.find_element("css selector", ".noUi-handle")
    room_right = track.rect["x"] + track.rect["width"] - handle.rect["x"]
    step = track.rect["width"] / 3
    offset = step if room_right > track.rect["width"] / 2 else -step
    ActionChains(browser).click_and_hold(handle).pause(0.1).move_by_offset(offset / 2, 0).pause(0.1) \
        .move_by_offset(offset / 2, 0).pause(0.1).release().perform()


@pytest.mark.parametrize(("chapter", "function"), DEMOS, ids=[f"{c}-{f}" for c, f in DEMOS])
def test_widget_demo_in_the_browser(opened, browser, chapter, function, record_property):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    report = opened(chapter)
    index = _widget_cell(report, function)
    cell = report["cells"][index]
    mimes = {m for output in cell["outputs"] for m in output["mimes"]}
    assert "application/vnd.jupyter.widget-view+json" in mimes, f"{function}() showed no widget: {cell['outputs']}"
    output = browser.execute_script(WIDGET_NODE, f"chapters/{chapter}.ipynb", index)
    box = WebDriverWait(browser, REDRAW_SECONDS).until(
        lambda d: output.find_elements("css selector", ".widget-vbox"), message=f"{function}() rendered no box")[0]
    WebDriverWait(browser, REDRAW_SECONDS).until(lambda d: d.execute_script(FIGURE_SOURCE, output),
                                                 message=f"{function}() shows no figure")
    assert "Error displaying widget" not in output.text and "VBox(" not in output.text
    record_property("height_px", box.rect["height"])
    assert box.rect["height"] <= MAX_WIDGET_HEIGHT, f"{function}() is {box.rect['height']:.0f} px tall"
    sliders = box.find_elements("css selector", ".widget-slider")
    dropdowns = box.find_elements("css selector", ".widget-dropdown select")
    assert sliders or dropdowns, f"{function}() has no slider or dropdown"
    for slider in sliders:
        track = slider.find_element("css selector", ".noUi-target").rect["width"]
        assert track >= MIN_SLIDER_TRACK, f"{function}(): a slider track is {track:.0f} px wide"
    if sliders:
        record_property("narrowest_track_px", min(s.find_element("css selector", ".noUi-target").rect["width"]
                                                  for s in sliders))

    if os.environ.get("DLCOURSE_SCREENSHOTS"):  # a folder: keep what the lecture hall would see, to look at
        folder = Path(os.environ["DLCOURSE_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(folder / f"{chapter}-{function}.png"))
    figure = browser.execute_script(FIGURE_SOURCE, output)
    for dropdown in dropdowns:
        choice = Select(dropdown)
        label = dropdown.find_element("xpath", "..").text.split("\n")[0]
        current = [o.get_attribute("value") for o in choice.options].index(dropdown.get_attribute("value"))
        choice.select_by_index((current + 1) % len(choice.options))
        figure = _wait_for_new_figure(browser, output, figure, f"the dropdown {label!r}")
    for slider in box.find_elements("css selector", ".widget-slider"):
        if slider.find_element("css selector", ".noUi-target").get_attribute("disabled") is not None:
            continue  # e.g. the leaky slope while another activation is chosen
        label = slider.text.split("\n")[0]
        _drag(browser, slider)
        figure = _wait_for_new_figure(browser, output, figure, f"the slider {label!r}")
    assert _problems(_kernel_idle(browser, f"chapters/{chapter}.ipynb")) == []
    assert outside_requests(requested_urls(browser)) == [], "the page asked a host other than this one"


def _tracked_changes() -> list[str]:
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.splitlines()


def test_saving_in_the_browser_keeps_the_checkout_clean_and_the_widgets(opened, browser):
    """Save every chapter that ran: the workspace copies get outputs and widget state; no tracked file changes.
    Then reopen one with a new kernel: its widget shows from the saved state."""
    import json

    before = _tracked_changes()
    opened(ALWAYS_RUN[0])
    browser.execute_async_script("""
const done = arguments[arguments.length - 1];
const app = window.jupyterapp;
app.commands.execute('docmanager:save-all').then(() => done(true));
""")
    for chapter in [Path(path).stem for path in opened.reports]:  # every chapter run so far in this session
        saved = json.loads((opened.lab.workspace / "chapters" / f"{chapter}.ipynb").read_text())
        assert any(cell.get("outputs") for cell in saved["cells"]), f"{chapter} was not saved with its outputs"
        if chapter in {c for c, _ in DEMOS}:
            state = saved["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
            assert state.get("state"), f"{chapter} was saved without its widget state"
        assert "jupytext" not in saved["metadata"], "the workspace copy is paired with a script"
        assert not (opened.lab.workspace / "chapters" / f"{chapter}.py").exists()
    assert _tracked_changes() == before

    # Reopen a saved chapter as a learner would the next day (a new kernel, nothing run): its widget shows from the
    # saved state, not as "Error displaying widget: model not found".
    chapter, function = next(((c, f) for c, f in DEMOS if c in ALWAYS_RUN), (None, None))
    if chapter is None:
        return
    path = f"chapters/{chapter}.ipynb"
    result = browser.execute_async_script(REOPEN, path)
    assert "error" not in result, result
    index = _widget_cell(browser.execute_script(CELL_REPORT, path), function)
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(driver):  # one script: the output's nodes are rebuilt while the saved state is restored
        return driver.execute_script(WIDGET_NODE.replace("return cell.outputArea.node;", """
const node = cell.outputArea.node;
return {sliders: node.querySelectorAll('.widget-slider').length, text: node.innerText};"""), path, index)

    state = WebDriverWait(browser, REDRAW_SECONDS).until(
        lambda d: (lambda s: s if s["sliders"] or "Error displaying widget" in s["text"] else None)(shown(d)),
        message=f"the reopened {path} shows neither its widget nor an error")
    assert "Error displaying widget" not in state["text"] and "model not found" not in state["text"], state["text"]


def test_exercise_opens_without_instructor_tools(opened, browser):
    path = "exercises/01_neurons/01_neurons.ipynb"
    opened_path = browser.execute_async_script("""
const [path, done] = [arguments[0], arguments[arguments.length - 1]];
const app = window.jupyterapp;
app.commands.execute('docmanager:open', {path, factory: 'Notebook'})
  .then(panel => panel.context.ready.then(() => panel.revealed).then(() => done(panel.context.path)));
""", path)
    assert opened_path == path
    toolbar = browser.execute_script("return window.jupyterapp.shell.currentWidget.toolbar.node.innerText")
    assert "Validate" in toolbar, "the learner keeps nbgrader's Validate button"
    menus = [e.text for e in browser.find_elements("css selector", ".lm-MenuBar-itemLabel")]
    assert "Run" in menus and "Nbgrader" not in menus, menus
    commands = browser.execute_script("return window.jupyterapp.commands.listCommands()")
    assert [c for c in commands if c.startswith("nbgrader:open-")] == []
    tabs = browser.execute_script("return [...window.jupyterapp.shell.widgets('left')].map(w => w.title.label)")
    assert not {"Create Assignment", "Formgrader", "Assignments", "Courses"} & set(tabs), tabs
    page = browser.find_element("tag name", "body").text
    assert "Create Assignment" not in page and "exchange directory" not in page
    assert not (ROOT / "gradebook.db").exists() or (ROOT / "gradebook.db").stat().st_mtime < opened.started
