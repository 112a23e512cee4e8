"""`cat`, `cat --expand`, `import` and `export -f otlp-json` escape hostile characters on a terminal, keep bytes on a pipe."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ESC_TITLE = "\x1b]0;pwned\x07"  # OSC: set the terminal title
C1_CSI = "\x9b31m"  # a C1 control introducing a CSI sequence
BIDI = "\u202eevil\u202c"
HOSTILE = f"{ESC_TITLE} red {C1_CSI} {BIDI} end"
RAW_BAD = ("\x1b[2J" + "\x1b]52;c;cGF5bG9hZA==\x07").encode()  # clear screen, write the clipboard


def hostile_trace(path: Path) -> Path:
    header = {"type": "trace", "schema_version": 1, "trace_id": "t", "name": "hostile", "started_at": 1.0}
    span = {
        "type": "span",
        "id": "a",
        "kind": "tool",
        "name": "lookup",
        "started_at": 1.0,
        "ended_at": 2.0,
        "input": {"name": "lookup", "arguments": {"q": HOSTILE}, "call_id": "c"},
        "output": HOSTILE,
    }
    lines = [json.dumps(header, ensure_ascii=False).encode(), json.dumps(span, ensure_ascii=False).encode(), RAW_BAD]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def on_terminal(*args: str) -> bytes:
    """Run ``agentdbg ARGS`` with stdout on a pseudo-terminal; everything it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentdbg", *args], stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
    return b"".join(chunks)


COMMANDS = {
    "cat": ("cat",),
    "cat --expand": ("cat", "--expand"),
    "import": ("import",),
    "export otlp-json": ("export", "-f", "otlp-json"),
}


def unsafe_bytes(output: bytes) -> list[str]:
    text = output.decode("utf-8", "replace")
    return [name for name, char in (("ESC", "\x1b"), ("BEL", "\x07"), ("C1 CSI", "\x9b"), ("RLO", "\u202e")) if char in text]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_hostile_characters_are_escaped_on_a_terminal(tmp_path: Path, name: str) -> None:
    path = hostile_trace(tmp_path / "hostile.jsonl")
    shown = on_terminal(*COMMANDS[name], str(path))
    assert b"lookup" in shown
    assert unsafe_bytes(shown) == [], shown[:400]
    text = shown.decode()
    assert "\\u202e" in text or "\\\\u202e" in text or "\\u202E" in text  # the mark is shown, not obeyed


@pytest.mark.parametrize("name", ["cat", "cat --expand"])
def test_a_pipe_gets_the_exact_bytes(tmp_path: Path, name: str) -> None:
    path = hostile_trace(tmp_path / "hostile.jsonl")
    done = subprocess.run([sys.executable, "-m", "agentdbg", *COMMANDS[name], str(path)], capture_output=True, timeout=60)
    if name == "cat":
        assert done.stdout == path.read_bytes()
    else:
        assert f"red {C1_CSI} {BIDI} end".encode() in done.stdout and RAW_BAD in done.stdout


def test_import_and_export_to_a_pipe_keep_the_characters(tmp_path: Path) -> None:
    path = hostile_trace(tmp_path / "hostile.jsonl")
    for args in (("import",), ("export", "-f", "otlp-json")):
        done = subprocess.run([sys.executable, "-m", "agentdbg", *args, str(path)], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert C1_CSI.encode() in done.stdout or b"\\u009b" in done.stdout
