"""Real Phoenix and MLflow servers for the backend tests, started on free ports with temporary directories.

The servers live in their own virtualenv (``.ci/run`` makes ``.venv-backends`` from ``servers.txt`` and
sets ``AGENTDBG_BACKENDS_BIN``); on a developer machine without them the tests skip with the command.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.parts import require_part

BIN_ENV = "AGENTDBG_BACKENDS_BIN"
INSTALL = "python3 -m venv .venv-backends && .venv-backends/bin/pip install -r tests/backends/servers.txt; export AGENTDBG_BACKENDS_BIN=$PWD/.venv-backends/bin"
START_TIMEOUT = 240.0  # Phoenix takes ~70 s to start on two busy cores


def server_bin(name: str) -> str:
    folder = os.environ.get(BIN_ENV)
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    require_part("backends", found is not None, INSTALL)
    assert found is not None
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1.0)
    raise RuntimeError(
        f"server not healthy after {START_TIMEOUT:.0f}s:\n{log.read_text(errors='replace')[-3000:]}"
    )


@contextmanager
def _running(command: list[str], env: dict[str, str], health: str, workdir: Path) -> Iterator[None]:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_healthy(health, process, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def phoenix_server(workdir: Path) -> Iterator[str]:
    """A Phoenix server; yields its base URL (OTLP/HTTP at ``/v1/traces``, REST at ``/v1/projects``)."""
    binary = server_bin("phoenix")
    port, grpc = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    with _running([binary, "serve"], env, f"http://127.0.0.1:{port}/healthz", workdir):
        yield f"127.0.0.1:{port}"


@contextmanager
def mlflow_server(workdir: Path) -> Iterator[str]:
    """An MLflow tracking server with a SQLite store; yields HOST:PORT (OTLP/HTTP at ``/v1/traces``)."""
    binary = server_bin("mlflow")
    port = free_port()
    command = [
        binary, "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
        "--default-artifact-root", str(workdir / "artifacts"),
    ]  # fmt: skip
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    with _running(command, env, f"http://127.0.0.1:{port}/health", workdir):
        yield f"127.0.0.1:{port}"
