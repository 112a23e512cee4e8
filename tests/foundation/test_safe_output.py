"""Untrusted trace text reaches stdout as harmless literal text (checked on the bytes written)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentdbg.textsafe import safe_line, safe_text

from .helpers import CHAT_REQUEST, CHAT_RESPONSE, HEADER, llm_span, write_lines

HOSTILE = "clear\x1b[2J clip\x1b]52;c;aGVsbG8=\x07 link[link=file:///etc/passwd]x[/link] [bold red]loud[/] bs\x08 rtl\u202eevil"


def _hostile_trace(tmp_path: Path) -> Path:
    request = {**CHAT_REQUEST, "messages": [{"role": "user", "content": HOSTILE}]}
    span = llm_span("h", None, request, CHAT_RESPONSE, name=HOSTILE)
    span["error"] = {"type": "Bad\x1b[31m", "message": HOSTILE}
    return write_lines(tmp_path / "hostile.jsonl", [HEADER, span])


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "agentdbg", *args], capture_output=True, timeout=60, env={"FORCE_COLOR": "1", "PATH": ""})


def _assert_harmless(out: bytes) -> None:
    # The only escape sequences are rich's own SGR colour codes; none from the content.
    assert b"\x1b]" not in out and b"\x07" not in out and b"\x08" not in out and b"\x1b[2J" not in out
    assert "\u202e".encode() not in out
    text = out.decode()
    assert "[link=file:///etc/passwd]x[/link]" in text
    assert "[bold red]loud[/]" in text
    assert "\\x1b]52;c;aGVsbG8=\\x07" in text


def test_tree_and_step_views_neutralise_escapes_and_markup(tmp_path: Path) -> None:
    path = _hostile_trace(tmp_path)
    tree = _run("show", str(path), "--print")
    assert tree.returncode == 0, tree.stderr
    _assert_harmless(tree.stdout)
    step = _run("show", str(path), "--print", "--step", "1")
    assert step.returncode == 0, step.stderr
    _assert_harmless(step.stdout)


def test_json_output_escapes_control_characters(tmp_path: Path) -> None:
    out = _run("show", str(_hostile_trace(tmp_path)), "--json", "--step", "1").stdout
    assert b"\x1b" not in out and b"\x07" not in out
    assert b"\\u001b]52" in out


def test_errors_quoting_trace_content_are_safe(tmp_path: Path) -> None:
    proc = _run("show", str(_hostile_trace(tmp_path)), "--step", "\x1b]52;c;x\x07")
    assert proc.returncode == 2
    assert b"\x1b]" not in proc.stderr and b"\x07" not in proc.stderr


def test_safe_text_keeps_newlines_and_escapes_controls() -> None:
    assert safe_text("a\nb\tc") == "a\nb\tc"
    assert safe_text("\x1b[2J\x9b\u2066") == "\\x1b[2J\\x9b\\u2066"
    assert safe_line("a\nb") == "a⏎ b"
