"""What an answer can see, write and hold in the sandbox, measured from inside it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dlcourse.grading.limits import Limits
from dlcourse.grading.sandbox import Image, Kernel, KernelDied, namespaces_available

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not namespaces_available(), reason="no user namespaces here")]
PROBE = """
import os, socket, sys, importlib
def probe():
    seen = {"root": sorted(os.listdir("/")), "proc_pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
            "home": os.getcwd(), "uid": os.getuid(), "env": sorted(os.environ)}
    writable = []
    for folder in ["/", "/usr", "/etc", "/opt/dlcourse/dlcourse/grading", sys.prefix, "/home/student", "/tmp", "/dev",
                   "/proc/sys/kernel"]:
        try:
            with open(os.path.join(folder, "probe.txt"), "w") as handle:
                handle.write("x")
            writable.append(folder)
        except OSError:
            pass
    try:
        with open("/proc/sys/kernel/core_pattern", "w") as handle:
            handle.write("|/bin/false")
        writable.append("/proc/sys/kernel/core_pattern")
    except OSError:
        pass
    seen["writable"] = writable
    seen["visible"] = [p for p in [REPO + "/solutions", REPO + "/.git", REPO + "/dlcourse", REPO + "/README.md",
                                   "/work/main/solutions", "/root/.ssh", "/etc/shadow", "/var", "/sys/fs/cgroup"]
                       if os.path.exists(p)]
    # the read-only Python environment is mounted at its own path: when it lives inside the checkout (.venv), the
    # checkout's folder exists in the sandbox, holding that environment and nothing else
    seen["repo_listing"] = sorted(os.listdir(REPO)) if os.path.isdir(REPO) else []
    importable = []
    for name in ["numpy", "IPython", "dlcourse.grading", "dlcourse.data", "torch", "dlcourse.nn", "sklearn"]:
        try:
            importlib.import_module(name)
            importable.append(name)
        except ImportError:
            pass
    seen["importable"] = importable
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=1)
        seen["network"] = "connected"
    except OSError as error:
        seen["network"] = type(error).__name__
    seen["interfaces"] = sorted(os.listdir("/sys/class/net")) if os.path.exists("/sys/class/net") else []
    return seen
"""


@pytest.fixture
def kernel(tmp_path):
    image = Image(tmp_path / "image", forbid=("torch", "sklearn", "dlcourse.nn"))
    work = tmp_path / "student" / "work"
    work.mkdir(parents=True)
    running = Kernel(image, work, Limits(call_seconds=10, memory_mb=512, processes=32))
    running.start()
    running.request({"op": "run", "code": "import numpy as np"}, 10)
    yield running
    running.kill()


def run(kernel, code):
    return kernel.request({"op": "run", "code": code}, 10)


def call(kernel, name, *args):
    return kernel.request({"op": "call", "name": name, "args": args, "kwargs": {}}, kernel.limits.call_seconds)


def test_an_answer_sees_and_writes_only_its_sandbox(kernel):
    assert run(kernel, PROBE.replace("REPO", repr(str(ROOT))))["ok"]
    seen = call(kernel, "probe")["value"]
    print("\nsandbox as an answer sees it:", seen)
    assert seen["proc_pids"] == ["1"]  # the driver itself: no other process of the host
    assert seen["writable"] == ["/home/student", "/tmp"]
    assert seen["visible"] == []
    assert set(seen["repo_listing"]) <= {Path(sys.prefix).name}, seen["repo_listing"]
    assert seen["importable"] == ["numpy", "IPython", "dlcourse.grading", "dlcourse.data"]  # data needs no dlcourse.nn
    assert seen["network"] in ("OSError", "ConnectionRefusedError") and seen["interfaces"] == []
    assert "DLCOURSE_TEST_SECRET" not in seen["env"] and "HOME" in seen["env"]


def _marked(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_no_process_outlives_the_sandbox(kernel):
    marker = f"sandbox-daemon-{os.getpid()}"
    sleeper = f"[sys.executable, '-c', 'import time; time.sleep(300)', '{marker}']"
    assert run(kernel, f"import subprocess, os, sys\nsubprocess.Popen({sleeper}, start_new_session=True)"
                       f"\nif os.fork() == 0:\n    os.setsid()\n    os.execv(sys.executable, {sleeper})")["ok"]
    time.sleep(0.3)
    assert len(_marked(marker)) == 2 and len(kernel.processes()) == 3
    kernel.kill()
    time.sleep(0.3)
    assert _marked(marker) == []


def test_memory_is_capped_for_the_whole_sandbox(kernel):
    run(kernel, "def one_big():\n    return np.ones(400_000_000).sum()")  # 3.2 GB in one process: refused
    reply = call(kernel, "one_big")
    assert not reply["ok"] and reply["error"].startswith("MemoryError")
    run(kernel, "import os, time\ndef children():\n    for _ in range(4):\n        if os.fork() == 0:\n"
                "            hog = np.ones(20_000_000)\n            time.sleep(30)\n    time.sleep(30)")
    start = time.monotonic()
    with pytest.raises(KernelDied) as death:
        call(kernel, "children")
    assert death.value.kind == "memory"
    print(f"\nfour children of 160 MB each were killed {time.monotonic() - start:.1f} s in, over a "
          f"{kernel.limits.memory_mb} MiB cap")


def test_processes_are_capped_and_sigint_changes_nothing(kernel):
    run(kernel, "import os, signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ndef bomb():\n"
                "    made = 0\n    for _ in range(200):\n        try:\n            if os.fork() == 0:\n"
                "                time.sleep(30)\n"
                "                os._exit(0)\n            made += 1\n        except OSError:\n            break\n"
                "    return made")
    with pytest.raises(KernelDied) as death:
        call(kernel, "bomb")
    print(f"\na fork bomb: {death.value.kind}: {death.value}")
    assert death.value.kind == "crash" and "processes" in str(death.value)
    kernel.start()
    run(kernel, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)")
    run(kernel, "def forever():\n    while True:\n        pass")
    start = time.monotonic()
    with pytest.raises(KernelDied) as death:
        call(kernel, "forever")
    assert death.value.kind == "timeout" and time.monotonic() - start < kernel.limits.call_seconds + 2


def test_plain_data_comes_back_as_exact_arrays(kernel):
    run(kernel, "class Sub(np.ndarray):\n    pass\ndef sub():\n    return np.zeros(3).view(Sub)\n"
                "def ok(x):\n    return {'a': (x * 2, np.float32(1.5), [True, None, 'text'])}")
    reply = call(kernel, "ok", np.arange(3))
    value = reply["value"]["a"]
    assert type(value[0]) is np.ndarray and value[0].tolist() == [0, 2, 4] and value[1] == np.float32(1.5)
    assert value[2] == [True, None, "text"]
    reply = call(kernel, "sub")
    assert reply["kind"] == "wrong_type" and "ndarray subclass Sub" in reply["error"]
