"""``kb`` run as a real process: with its output on a pipe, on a terminal (a pseudo-terminal), or
under resource limits (a full disk simulated with RLIMIT_FSIZE)."""

from __future__ import annotations

import os
import pty
import resource
import select
import subprocess
import time
from pathlib import Path

import kb

from helpers import PYTHON

# the kb package the tests import, so the process runs the same code
KB_ROOT = str(Path(kb.__file__).resolve().parent.parent)

# Run kb with the largest file it may write limited to N bytes (a full disk: writes fail with
# EFBIG); SIGXFSZ ignored so the write fails instead of the process being killed.
_FULL_DISK = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv[0] = "kb"
runpy.run_module("kb", run_name="__main__")
"""


def kb_env(**extra: str) -> dict[str, str]:
    """The environment for a kb process: this kb first on the path, no CI or colour settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (KB_ROOT, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def run_kb(*args: str, timeout: float = 60, env: dict[str, str] | None = None,
           max_memory: int | None = None, **kwargs) -> subprocess.CompletedProcess:
    """``python -m kb ARGS`` with its output captured (bytes); ``max_memory`` bounds its address
    space, so a test of a memory bound cannot eat the machine when the bound regresses."""
    if max_memory:
        kwargs["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_AS,
                                                          (max_memory, max_memory))
    return subprocess.run([PYTHON, "-m", "kb", *args], capture_output=True, timeout=timeout,
                          env=env or kb_env(), **kwargs)


def run_kb_on_a_full_disk(max_file_bytes: int, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """``kb ARGS`` in a process that cannot write a file larger than ``max_file_bytes``
    (its output captured, unless ``stdout`` is given)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([PYTHON, "-c", _FULL_DISK, str(max_file_bytes), *args],
                          stderr=subprocess.PIPE, timeout=60, env=kb_env(), **kwargs)


def run_kb_in_a_terminal(*args: str, timeout: float = 60) -> bytes:
    """What ``kb ARGS`` writes to a terminal (stdout and stderr on a pseudo-terminal)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([PYTHON, "-m", "kb", *args], stdin=subprocess.DEVNULL,
                               stdout=slave, stderr=slave, env=kb_env(TERM="xterm"))
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    return b"".join(chunks)
