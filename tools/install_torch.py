"""Install the PyTorch build that fits this machine, before anything that depends on torch (``make setup`` runs it).

- Linux without an NVIDIA GPU: the CPU build from PyTorch's CPU wheel index (PyPI's Linux wheel is the CUDA build,
  which brings about 18 nvidia packages, several GB).
- Linux with an NVIDIA GPU (``nvidia-smi`` answers, or the driver is loaded): PyPI's wheel, the CUDA build.
- macOS and Windows: PyPI's wheel (CPU, or Apple's MPS on macOS).

The choice is printed. Override it with environment variables (the Makefile passes its variables of the same names):
``TORCH_SPEC`` (default ``torch==2.13.0``), ``TORCH_INDEX`` (an index URL to install from) or ``TORCH_PIP_ARGS``
(pip arguments used as given, e.g. ``--index-url https://download.pytorch.org/whl/cu126``).
When PyTorch's index does not answer within a few seconds (machines that reach only PyPI) it installs from PyPI and
says so in one line. Runs with the interpreter of the environment to install into; standard library only.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

DEFAULT_SPEC = "torch==2.13.0"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_SECONDS = 5.0


def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded (Linux) or nvidia-smi lists a GPU."""
    if os.path.exists("/proc/driver/nvidia/version"):
        return True
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        done = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and "GPU" in done.stdout


def reachable(url: str, timeout: float = PROBE_SECONDS) -> bool:
    """Whether ``url`` answers within ``timeout`` seconds (any HTTP answer counts: the host is there)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def choose(env: dict[str, str], system: str, gpu: bool, index_reachable) -> tuple[list[str], str]:
    """(pip arguments after ``pip install``, the one-line reason to print) for this machine.

    ``index_reachable(url) -> bool`` is asked only when the CPU index is the choice.
    """
    spec = env.get("TORCH_SPEC") or DEFAULT_SPEC
    if env.get("TORCH_PIP_ARGS", "").strip():
        return [spec, *shlex.split(env["TORCH_PIP_ARGS"])], f"{spec} with TORCH_PIP_ARGS={env['TORCH_PIP_ARGS']}"
    if env.get("TORCH_INDEX", "").strip():
        return [spec, "--index-url", env["TORCH_INDEX"]], f"{spec} from TORCH_INDEX={env['TORCH_INDEX']}"
    if system != "Linux":
        return [spec], f"{spec} from PyPI ({system}: PyPI's wheel is the right build)"
    if gpu:
        return [spec], f"{spec} from PyPI: the CUDA build (an NVIDIA GPU is present)"
    if index_reachable(CPU_INDEX + "/torch/"):
        return [spec, "--index-url", CPU_INDEX], f"{spec} CPU build from {CPU_INDEX} (Linux, no NVIDIA GPU)"
    return [spec], (f"{CPU_INDEX} is not reachable (waited up to {PROBE_SECONDS:g} s): installing {spec} from PyPI "
                    "instead (on Linux x86_64 PyPI's wheel may be the CUDA build, several GB; TORCH_INDEX chooses)")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    args, reason = choose(dict(os.environ), platform.system(), has_nvidia_gpu(), reachable)
    print(f"torch: {reason}", flush=True)
    return subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *args])


if __name__ == "__main__":
    sys.exit(main())
