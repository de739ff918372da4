"""A learner's JupyterLab (``dlcourse lab``'s own command line, on a temporary workspace) and a headless Chromium
driving it through Selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package. Without them the browser tests skip
with one line saying what is missing, except in CI (``CI`` set), where a missing browser is a failure: .ci/run
installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dlcourse-browser-test"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "no chromium browser (apt-get install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "no chromedriver (apt-get install chromium-driver)"
    return None


def pytest_collection_modifyitems(config, items):
    missing = _missing()
    if missing is None or os.environ.get("CI"):
        return  # in CI a missing browser fails loudly in the fixture below
    skip = pytest.mark.skip(reason=f"browser tests: {missing}")
    for item in items:
        if "tests/browser/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_server(url: str, process: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5) as answer:
                json.load(answer)
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:g} s:\n{log.read_text()[-3000:]}")


class Lab:
    """A running JupyterLab: its URL (with the token), its workspace and its log."""

    def __init__(self, url: str, workspace: Path, log: Path, process: subprocess.Popen):
        self.url, self.workspace, self.log, self.process = url, workspace, log, process

    def page(self, path: str = "lab") -> str:
        return f"{self.url}/{path}?token={TOKEN}"


def start_lab(workspace: Path, log: Path, *, instructor: bool = False) -> Lab:
    """Start JupyterLab the way ``dlcourse lab`` does, on a loopback port, with a token and the app exposed to
    scripts (``window.jupyterapp``), chapters limited to one BLAS/torch thread as on the CI machine."""
    from dlcourse.workspace import lab_command

    port = _free_port()
    extra = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={TOKEN}", "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")  # CI runs as root
    command, env = lab_command(instructor=instructor, root=ROOT, workspace=workspace, extra=extra)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               JUPYTER_RUNTIME_DIR=str(log.parent / "runtime"), PYTHONPATH=str(ROOT))
    handle = log.open("w")
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=workspace.parent)
    lab = Lab(f"http://127.0.0.1:{port}", workspace, log, process)
    try:
        _wait_for_server(lab.url, process, log)
    except Exception:
        stop_lab(lab)
        raise
    return lab


def stop_lab(lab: Lab) -> None:
    lab.process.terminate()
    try:
        lab.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        lab.process.kill()
        lab.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    missing = _missing()
    if missing:
        pytest.fail(f"browser tests in CI: {missing}; .ci/run installs it")
    folder = tmp_path_factory.mktemp("lab")
    running = start_lab(folder / "workspace", folder / "jupyterlab.log")
    yield running
    stop_lab(running)


@pytest.fixture(scope="module")
def browser(lab):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    # A 1280x720 projector; the flags keep Chromium from calling home (this machine's network is closed).
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,720"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_script_timeout(600)  # Run All of a chapter, generously (each runs in < 60 s headless)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver) -> list[str]:
    """The URLs the page asked for since the last call (Chrome's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def outside_requests(urls: list[str]) -> list[str]:
    """The requests that left this machine (anything but data:, blob: and loopback)."""
    local = ("data:", "blob:", "about:", "chrome", "devtools:")
    return [u for u in urls if not u.startswith(local) and u.split("/")[2].split(":")[0] not in
            ("127.0.0.1", "localhost", "[")]
