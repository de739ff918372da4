"""The kernel that runs student code while grading: a memory cap, no network, and only its own folder in view.

``python -m dlcourse.grading.sandbox [options] -- -f CONNECTION_FILE`` sets the limits, then replaces itself with an
ordinary IPython kernel. Isolation uses Linux namespaces (an unprivileged user namespace where the system allows
one, plain namespaces when run as root): a new network namespace has no interface but a loopback that is down,
and a new mount namespace lays an empty, read-only filesystem over every path that must stay out of sight. The
kernel talks to nbgrader over Unix sockets (IPC transport), which need no network.
Where namespaces are unavailable the kernel still runs, with the memory cap only, and says so on stderr.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_RDONLY, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x1000, 0x4000, 0x40000
STDERR_TO_STDOUT = ["import sys; sys.stderr = sys.stdout; del sys"]
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def limit_memory(megabytes: int) -> None:
    """Cap the address space: a memory hog gets a MemoryError instead of taking the machine down."""
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def enter_namespaces() -> None:
    """New user (when allowed), mount and network namespaces for this process; raises OSError if impossible."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) == 0:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    else:
        _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")


def hide(path: Path, keep: Path | None = None) -> None:
    """Lay an empty read-only tmpfs over a folder (or /dev/null over a file); ``keep`` stays visible inside it."""
    libc = _libc()
    if path.is_file():
        _check(libc.mount(b"/dev/null", str(path).encode(), None, MS_BIND, None), f"hide {path}")
        return
    kept_fd = os.open(keep, os.O_RDONLY | os.O_DIRECTORY) if keep else None
    _check(libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", 0, b"size=64k,mode=755"), f"hide {path}")
    if keep is not None:
        inside = path / keep.relative_to(path)
        inside.mkdir(parents=True)
        _check(libc.mount(f"/proc/self/fd/{kept_fd}".encode(), str(inside).encode(), None, MS_BIND | MS_REC, None),
               f"keep {keep}")
        os.close(kept_fd)
    _check(libc.mount(None, str(path).encode(), None, MS_BIND | MS_RDONLY | 0x20, None), f"read-only {path}")


def write_kernelspec(folder: Path, *, memory_mb: int, hidden: list[tuple[Path, Path | None]]) -> Path:
    """Write ``folder/kernels/python3/kernel.json`` launching this sandbox; put ``folder`` on JUPYTER_PATH to use it.

    Args:
        hidden: (path, keep) pairs: each path is hidden from student code except ``keep`` (a folder inside, or None).
    """
    argv = [sys.executable, "-m", "dlcourse.grading.sandbox", "--memory-mb", str(memory_mb)]
    for path, keep in hidden:
        argv += ["--hide", str(path)] + (["--keep", str(keep)] if keep else ["--keep", ""])
    spec = {"argv": argv + ["--", "-f", "{connection_file}"], "display_name": "Python 3 (graded)",
            "language": "python", "env": SINGLE_THREADED}
    kernel_dir = folder / "kernels" / "python3"
    kernel_dir.mkdir(parents=True, exist_ok=True)
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def run_sandboxed(notebook, *, kernels: Path, connection_file: Path, cwd: Path, timeout: int, **hooks) -> bool:
    """Execute ``notebook`` in place with the kernel spec under ``kernels`` (see write_kernelspec), errors allowed.

    ``hooks`` go to nbclient (``on_cell_execute``, ``on_cell_executed``). Returns False when the kernel died.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    specs = KernelSpecManager(kernel_dirs=[str(kernels / "kernels")])
    manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs, transport="ipc",
                                 connection_file=str(connection_file))
    client = NotebookClient(notebook, km=manager, timeout=timeout, allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}}, **hooks)
    try:
        client.execute()
        return True
    except DeadKernelError:
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dlcourse.grading.sandbox")
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--keep", action="append", default=[])
    parser.add_argument("kernel_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        enter_namespaces()
        for path, keep in zip(args.hide, args.keep, strict=True):
            if Path(path).exists():
                hide(Path(path), Path(keep) if keep else None)
    except OSError as error:
        print(f"dlcourse sandbox: isolation unavailable ({error}); running with the memory cap only", file=sys.stderr)
    limit_memory(args.memory_mb)
    kernel_args = [a for a in args.kernel_args if a != "--"]
    # nbgrader scores a test cell zero when anything reaches stderr; a warning must not cost a right answer marks.
    kernel_args.append(f"--IPKernelApp.exec_lines={STDERR_TO_STDOUT!r}")
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *kernel_args])


if __name__ == "__main__":
    main()
