"""The trusted side of a student's sandbox: what the student's filesystem holds, and one kernel process in it.

An ``Image`` is prepared once per grading run: a copy of the dlcourse package without the exercise's forbidden
subpackages, and the list of read-only folders (system libraries, this Python) and of forbidden module folders to
cover with an empty one. A ``Kernel`` is one sandboxed driver process (driver.py) started through jail.py in new
user, PID, mount and network namespaces. Requests are written to its file descriptor 3 and replies read from its
descriptor 4 with a deadline; while waiting, the memory of every process in the sandbox is summed and the sandbox
is killed (SIGKILL to its PID 1, which takes every process in the namespace with it) past the memory cap, the
process count or the deadline.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.grading import wire
from dlcourse.grading.limits import Limits

DEFAULT_FORBID = ("torch", "dlcourse.nn", "dlcourse.autograd", "dlcourse.optim", "dlcourse.training",
                  "dlcourse.torch", "dlcourse.gradcheck", "dlcourse.widgets")
UNSHARE = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount-proc", "--net",
           "--mount"]
SYSTEM_PATHS = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/ld.so.conf",
                "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf"]
HOME = "/home/student"
# Each process's address space may exceed the sandbox's memory by this much: Python, NumPy and IPython map far more
# than they touch. The cap on the whole sandbox is the PSS watch in Kernel; this only refuses absurd allocations.
ADDRESS_SPACE_SLACK_MB = 1024
# The kernel's own ceiling on processes in the sandbox's PID namespace (301 is the least Linux accepts); the watch
# in Kernel kills the sandbox past Limits.processes, and RLIMIT_NPROC holds where the grader is not root.
PID_MAX = 301
PACKAGE_MOUNT = "/opt/dlcourse"


class SandboxError(RuntimeError):
    """The sandbox could not be started at all (not a student's fault)."""


class KernelDied(Exception):
    """The sandbox died or was killed; ``kind`` is "timeout", "memory" or "crash"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@functools.cache
def namespaces_available() -> bool:
    """Whether this system lets an unprivileged process create the namespaces the sandbox needs."""
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run([*UNSHARE, "true"], capture_output=True, timeout=30)
    return done.returncode == 0


def _module_path(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return str(Path(list(spec.submodule_search_locations)[0]).resolve())
    return str(Path(spec.origin).resolve()) if spec.origin else None


def copy_package(target: Path, forbid: tuple[str, ...]) -> Path:
    """Copy the dlcourse package to ``target/dlcourse`` without the forbidden subpackages and modules."""
    source = Path(__file__).resolve().parents[1]
    banned = {m.split(".", 1)[1].split(".")[0] for m in forbid if m.startswith("dlcourse.")}

    def ignore(folder: str, names: list[str]) -> list[str]:
        top = Path(folder) == source
        return [n for n in names if n == "__pycache__" or n.endswith(".pyc")
                or (top and (n in banned or n.removesuffix(".py") in banned))]

    shutil.copytree(source, target / "dlcourse", ignore=ignore)
    return target


@dataclass
class Image:
    """What a student's sandbox holds: prepared once, shared by every student of a run.

    Args:
        folder: where the package copy lives (the caller removes it).
        forbid: modules that must not be importable or readable in the sandbox.
        isolate: False only for the explicit unsafe mode (no namespaces: no filesystem or network isolation).
    """

    folder: Path
    forbid: tuple[str, ...] = DEFAULT_FORBID
    isolate: bool = True
    readonly: list[tuple[str, str]] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)
    symlinks: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        copy_package(self.folder / "lib", self.forbid)
        python_homes = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parents[1])}
        self.readonly = [(p, p) for p in SYSTEM_PATHS if not os.path.islink(p)]
        self.symlinks = [(os.readlink(p), p) for p in SYSTEM_PATHS if os.path.islink(p)]  # /lib64 -> usr/lib64
        self.readonly += [(p, p) for p in sorted(python_homes) if not p.startswith("/usr")]
        self.readonly.append((str(self.folder / "lib"), PACKAGE_MOUNT))
        others = [m for m in self.forbid if not m.startswith("dlcourse")]
        self.masks = [(path, name) for name in others if (path := _module_path(name))]

    def config(self, work: Path, limits: Limits) -> dict:
        """The JSON jail.py reads."""
        python = sys.executable
        env = {"PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": HOME if self.isolate
               else str(work), "PYTHONPATH": PACKAGE_MOUNT if self.isolate else str(self.folder / "lib"),
               "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1",
               "IPYTHONDIR": "/tmp/.ipython" if self.isolate else str(work / ".ipython")}
        return {"isolate": self.isolate, "root": str(work.parent / "root"), "work": str(work),
                "readonly": self.readonly, "symlinks": self.symlinks, "masks": self.masks, "tmp_mb": limits.tmp_mb,
                "limits": {"memory_mb": limits.memory_mb + ADDRESS_SPACE_SLACK_MB, "processes": limits.processes,
                           "pid_max": PID_MAX, "file_mb": limits.file_mb},
                "python": python, "argv": [python, "-m", "dlcourse.grading.driver"], "env": env}


def _sandbox_stderr():
    """Student output goes nowhere; DLCOURSE_SANDBOX_DEBUG=1 shows the sandbox's stderr (for course developers)."""
    return None if os.environ.get("DLCOURSE_SANDBOX_DEBUG") else subprocess.DEVNULL


class Kernel:
    """One sandboxed driver process; ``request`` sends a message and waits for its reply under the limits."""

    def __init__(self, image: Image, work: Path, limits: Limits):
        self.image, self.work, self.limits = image, work, limits
        self.process: subprocess.Popen | None = None
        self.pid1: int | None = None
        self.seq = 0

    def start(self) -> None:
        self.pid1 = None
        (self.work.parent / "root").mkdir(exist_ok=True)
        requests_read, self.requests = os.pipe()
        self.replies, replies_write = os.pipe()
        os.set_inheritable(requests_read, True)
        os.set_inheritable(replies_write, True)
        jail = [sys.executable, "-I", "-S", str(Path(__file__).with_name("jail.py")),
                json.dumps({**self.image.config(self.work, self.limits), "fds": [requests_read, replies_write]})]
        self.process = subprocess.Popen((UNSHARE if self.image.isolate else []) + jail, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=_sandbox_stderr(),
                                        pass_fds=(requests_read, replies_write), start_new_session=True)
        os.close(requests_read)
        os.close(replies_write)
        try:
            ready = self._receive(time.monotonic() + max(60.0, self.limits.call_seconds))
        except KernelDied as death:
            raise SandboxError(f"the sandbox did not start ({death})") from None
        if "setup_error" in ready:
            self.kill()
            raise SandboxError(f"the sandbox could not be set up: {ready['setup_error']}")
        self.pid1 = self._first_child() if self.image.isolate else self.process.pid

    def _first_child(self) -> int | None:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def processes(self) -> list[int]:
        """Host PIDs of every process in the sandbox (PID 1's descendants, reparented daemons included)."""
        if self.pid1 is None:
            return []
        found, todo = [], [self.pid1]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except OSError:
                continue
        return found

    def memory_mb(self, pids: list[int] | None = None) -> float:
        """Memory of the whole sandbox in MiB: the proportional set size (PSS) of its processes added up, so pages
        that forked children share with their parent count once."""
        total_kb = 0
        for pid in self.processes() if pids is None else pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
                        break
            except (OSError, IndexError, ValueError):
                continue
        return total_kb / 1024

    def kill(self) -> None:
        """SIGKILL the sandbox's PID 1 (the kernel kills every process of its namespace with it), then the rest."""
        if self.process is None:
            return
        for pid in [self.pid1] if self.pid1 else []:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        self.process.wait()
        self.pid1 = None
        for fd in (self.requests, self.replies):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process = None

    def request(self, message: dict, seconds: float) -> dict:
        """Send ``message``, return the reply; raises KernelDied (the sandbox is then dead) past the limits."""
        self.seq += 1
        deadline = time.monotonic() + seconds
        self._send(wire.encode({**message, "seq": self.seq}), deadline)
        reply = self._receive(deadline)
        if reply.get("seq") != self.seq:
            self.kill()
            raise KernelDied("crash", "the kernel answered out of turn")
        return reply

    def _fail(self, kind: str, message: str):
        self.kill()
        raise KernelDied(kind, message)

    def _watch(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            self._fail("timeout", f"ran past its {self.limits.call_seconds:g} s limit")
        pids = self.processes()
        if len(pids) > self.limits.processes:
            self._fail("crash", f"started more than {self.limits.processes} processes")
        if self.memory_mb(pids) > self.limits.memory_mb:
            self._fail("memory", f"the sandbox's processes used more than {self.limits.memory_mb} MiB together")

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            _, writable, _ = select.select([], [self.requests], [], 0.05)
            if writable:
                try:
                    view = view[os.write(self.requests, view[:65536]):]
                except BrokenPipeError:
                    self._died()
            self._watch(deadline)

    def _read(self, count: int, deadline: float) -> bytes:
        chunks, left = [], count
        while left:
            readable, _, _ = select.select([self.replies], [], [], 0.05)
            if readable:
                chunk = os.read(self.replies, min(left, 1 << 20))
                if not chunk:
                    self._died()
                chunks.append(chunk)
                left -= len(chunk)
            else:
                self._watch(deadline)
        return b"".join(chunks)

    def _receive(self, deadline: float) -> dict:
        (length,) = struct.unpack("<Q", self._read(8, deadline))
        if length > wire.MAX_BYTES:
            self._fail("crash", f"the kernel sent a reply of {length} bytes")
        try:
            return wire.decode(self._read(length, deadline))
        except wire.BadFrame as error:
            self._fail("crash", f"the kernel sent a malformed reply ({error})")

    def _died(self):
        code = self.process.wait() if self.process else None
        kind = "memory" if code in (-signal.SIGKILL, 137) and self.memory_mb() > self.limits.memory_mb else "crash"
        self._fail(kind, f"the kernel died (exit status {code})")
