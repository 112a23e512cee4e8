"""Real JSONL files of every line-based format with bad lines put in the middle (cut JSON, a ``type`` that is
an object, a JSON array, terminal escapes and markup): each bad line is named with its line number, the
rest still loads as before, and nothing of it reaches the terminal raw."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.importers import open_trace
from tests.importers.corpus import CORPUS, DATA

REAL = {
    "claude-code": CORPUS / "claude_code" / "ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl",
    "codex": CORPUS / "codex" / "kvsankar_real_session-01_redacted.jsonl",
    "gemini-cli": DATA / "gemini_cli" / "gemini_with_tool_error.jsonl",
    "copilot-cli": DATA / "copilot_cli" / "f4539556-b58f-4908-b6a1-67594d6cbd07" / "events.jsonl",
    "goose": DATA / "goose" / "sample_session.jsonl",
}
BAD = [
    '{"oops": ',
    '{"type": {"a": 1}, "message": 5}',
    "[1, 2]",
    "\x1b]52;c;ZXZpbA==\x07 [bold]markup[/bold]",
]


@pytest.mark.parametrize("name", sorted(REAL))
def test_bad_lines_are_named_and_skipped(name: str, tmp_path: Path) -> None:
    lines = REAL[name].read_text(encoding="utf-8").splitlines()
    middle = max(2, len(lines) // 2)
    path = tmp_path / f"{name}.jsonl"
    path.write_text("\n".join([*lines[:middle], *BAD, *lines[middle:]]) + "\n", encoding="utf-8")
    clean, broken = open_trace(REAL[name]), open_trace(path)
    assert broken.format == clean.format == name
    named = {p.line for p in broken.problems}
    assert set(range(middle + 1, middle + 1 + len(BAD))) <= named  # every bad line, by its number
    kept = [(s.kind, s.name) for s in broken.spans if not s.attributes.get("raw")]
    assert kept == [(s.kind, s.name) for s in clean.spans]  # the rest loads as before
    for command in (["validate"], ["show", "--print"], ["diagnose"], ["export", "-f", "md"]):
        done = subprocess.run(
            [sys.executable, "-m", "agentdbg", *command, str(path)], capture_output=True, timeout=120
        )
        assert b"Traceback" not in done.stderr and b"\x1b" not in done.stdout + done.stderr
        assert done.returncode in (0, 1), (command, done.stderr)
