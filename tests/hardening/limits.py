"""Run a command on a hostile input and measure it: wall time and peak memory of that one process."""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

SAFETY_AS_BYTES = 4 * 1024**3  # the machine is shared: a runaway child fails instead of swapping


@dataclass
class Figures:
    returncode: int
    seconds: float
    max_rss_mib: float
    stdout: str
    stderr: str


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (SAFETY_AS_BYTES, SAFETY_AS_BYTES))


def run_bounded(command: list[str], timeout: float = 60, env: dict[str, str] | None = None) -> Figures:
    """Run ``command``; its exit code, seconds and peak RSS (from ``wait4``, this child only)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, preexec_fn=_cap_memory
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Figures(
            proc.returncode,
            seconds,
            usage.ru_maxrss / 1024,  # KiB on Linux
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )
