"""Inside the sandbox, before any student code: build the student's filesystem, cap it, drop privileges, exec.

Run by the grader as ``unshare --user --map-root-user --pid --fork --kill-child --mount-proc --net --mount
python -I -S jail.py CONFIG_JSON`` (see sandbox.py), so this process is PID 1 of fresh user, PID, mount and network
namespaces. It uses the standard library only and does, in order:

1. a new root on an empty tmpfs holding only the read-only binds the config lists (system libraries, the Python
   environment, the sandbox's copy of dlcourse), a read-only stand-in over each forbidden module's folder whose
   only code raises ModuleNotFoundError, a fresh /proc (this PID namespace only; /proc/sys and the like
   read-only), /dev/null, /dev/zero, /dev/urandom, a devpts, a small /tmp and the student's working folder;
2. ``pivot_root`` into it and detach the old root, so nothing else of the host exists any more in this namespace;
3. resource limits (address space, processes, file size, open files) and the namespace's pid_max;
4. every capability dropped (bounding set too) and no_new_privs, so student code cannot mount, unmount or chroot;
5. ``execve`` of the kernel driver with a clean environment.

A setup failure is reported on the reply pipe (file descriptor 4) as one wire.py frame, then the process exits 70.
"""

import ctypes
import json
import os
import resource
import struct
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC = 0x20, 0x1000, 0x4000
MNT_DETACH = 2
SYS_PIVOT_ROOT, SYS_CAPSET = 155, 126  # x86_64
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 38, 24
LINUX_CAPABILITY_VERSION_3 = 0x20080522

PROC_READ_ONLY = ["/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/fs", "/proc/irq"]
PROC_HIDDEN = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/kallsyms", "/proc/kmsg"]

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype=None, flags=0, data=None):
    def b(s):
        return None if s is None else str(s).encode()
    _check(libc.mount(b(source), b(target), b(fstype), ctypes.c_ulong(flags), b(data)), f"mount {target}")


def _make_target(path, like):
    if os.path.isdir(like):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()


def bind(source, target, *, writable=False):
    _make_target(target, source)
    mount(source, target, None, MS_BIND | MS_REC)
    if not writable:
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_root(config):
    root = config["root"]
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    # /tmp first: a Python environment that lives under /tmp (a checkout in /tmp/..., as CI may use) is then bound
    # on top of the small /tmp instead of being hidden by it
    os.makedirs(root + "/tmp", exist_ok=True)
    mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={config['tmp_mb']}m,mode=1777")
    for source, target in config["readonly"]:
        if os.path.exists(source):
            bind(source, root + target)
    for link, target in config["symlinks"]:
        os.makedirs(os.path.dirname(root + target), exist_ok=True)
        os.symlink(link, root + target)
    for target, name in config["masks"]:  # forbidden modules: a package that only says so, where the real one was
        inside = root + target
        refusal = f"raise ModuleNotFoundError('{name} is not available in this exercise', name='{name}')\n"
        if os.path.isdir(inside):
            mount("tmpfs", inside, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=755")
            with open(inside + "/__init__.py", "w") as handle:
                handle.write(refusal)
            mount(None, inside, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        elif os.path.exists(inside):
            mount("/dev/null", inside, None, MS_BIND)
    os.makedirs(root + "/dev/pts", exist_ok=True)  # a terminal of its own, for `!command` in a cell
    mount("devpts", root + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")
    os.symlink("pts/ptmx", root + "/dev/ptmx")
    for node in ("null", "zero", "urandom", "random"):
        bind("/dev/" + node, f"{root}/dev/{node}", writable=True)
    os.makedirs(root + "/proc", exist_ok=True)
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    try:  # Linux >= 6.14: pid_max belongs to the PID namespace, a hard ceiling on its processes
        with open(root + "/proc/sys/kernel/pid_max", "w") as handle:
            handle.write(str(config["limits"]["pid_max"]))
    except OSError:
        pass  # older kernels: RLIMIT_NPROC and the grader's watch still hold
    # The kernel's knobs stay read-only, as in any container: where the grader runs as root, the sandbox's root
    # is the host's root for file permissions, and /proc/sys would otherwise be writable to it.
    for knob in PROC_READ_ONLY:
        if os.path.exists(root + knob):
            mount(root + knob, root + knob, None, MS_BIND | MS_REC)
            mount(None, root + knob, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for secret in PROC_HIDDEN:
        if os.path.isfile(root + secret):
            mount("/dev/null", root + secret, None, MS_BIND)
    bind(config["work"], root + "/home/student", writable=True)
    os.makedirs(root + "/.old", exist_ok=True)
    _check(libc.syscall(SYS_PIVOT_ROOT, root.encode(), (root + "/.old").encode()), "pivot_root")
    os.chdir("/")
    _check(libc.umount2(b"/.old", MNT_DETACH), "umount the old root")
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def set_limits(limits):
    memory = limits["memory_mb"] * 1024 * 1024
    for which, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_NPROC, limits["processes"]),
                         (resource.RLIMIT_FSIZE, limits["file_mb"] * 1024 * 1024), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NOFILE, 256)):
        resource.setrlimit(which, (value, value))


def drop_privileges():
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the last capability: ignored
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    header = ctypes.create_string_buffer(struct.pack("<Ii", LINUX_CAPABILITY_VERSION_3, 0))
    data = ctypes.create_string_buffer(bytes(24))  # effective, permitted, inheritable: all empty
    _check(libc.syscall(SYS_CAPSET, header, data), "capset")


def main():
    config = json.loads(sys.argv[1])
    requests, replies = (os.dup(fd) for fd in config["fds"])  # the driver reads requests on 3, replies on 4
    os.dup2(requests, 3)
    os.dup2(replies, 4)
    os.set_inheritable(3, True)  # dup2 onto itself is a no-op that leaves a dup()'s close-on-exec flag
    os.set_inheritable(4, True)
    for fd in {requests, replies, *config["fds"]} - {3, 4}:
        os.close(fd)
    try:
        if config["isolate"]:
            build_root(config)
            os.chdir("/home/student")
        else:
            os.chdir(config["work"])
        set_limits(config["limits"])
        if config["isolate"]:
            drop_privileges()
    except OSError as error:
        header = json.dumps({"tree": {"setup_error": str(error)}, "blobs": []}).encode()
        body = struct.pack("<Q", len(header)) + header  # one wire.py frame, written without NumPy
        os.write(4, struct.pack("<Q", len(body)) + body)
        os._exit(70)
    os.execve(config["python"], config["argv"], config["env"])


if __name__ == "__main__":
    main()
