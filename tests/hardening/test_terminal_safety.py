"""Every command that shows trace text keeps escape sequences, bidi overrides and markup harmless.

One hostile trace carries attack text in every field a command may print (names,
prompts, answers, tool arguments and results, errors, models); each output path
runs as a real subprocess with colour forced on, and the raw bytes are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ATTACK = "X\x1b[2J\x1b]52;c;aGk=\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\x08\u202e[bold red]M[/][link=file:///etc/passwd]l[/link]"
BAD_BYTES = [b"\x1b[2J", b"\x1b]", b"\x07", b"\x08", "\u202e".encode()]


def _llm(span_id: str, parent: str, answer: str, calls: list[dict], started: float) -> dict:
    return {
        "type": "span",
        "id": span_id,
        "parent_id": parent,
        "kind": "llm",
        "name": f"chat {ATTACK}",
        "started_at": started,
        "ended_at": started + 0.5,
        "input": {
            "provider": "openai",
            "api": "chat.completions",
            "request": {
                "model": f"gpt-4o{ATTACK}",
                "messages": [
                    {"role": "system", "content": f"sys {ATTACK}"},
                    {"role": "user", "content": f"find {ATTACK}"},
                ],
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": f"look{ATTACK}",
                            "description": ATTACK,
                            "parameters": {
                                "type": "object",
                                "properties": {"q": {"type": "string"}},
                                "required": ["q"],
                                "additionalProperties": False,
                            },
                        },
                    }
                ],
            },
        },
        "output": {
            "model": f"gpt-4o{ATTACK}",
            "choices": [
                {
                    "finish_reason": "tool_calls" if calls else "stop",
                    "message": {"role": "assistant", "content": answer, "tool_calls": calls or None},
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        },
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def _hostile_trace(path: Path, variant: str = "") -> Path:
    call = {
        "id": f"c{ATTACK}",
        "type": "function",
        "function": {"name": f"look{ATTACK}", "arguments": json.dumps({"q": ATTACK, "extra": 1})},
    }
    records = [
        {
            "type": "trace",
            "schema_version": 1,
            "trace_id": f"t{variant}",
            "name": f"run {ATTACK}",
            "started_at": 1764150000.0,
            "metadata": {"m": ATTACK},
        },
        {
            "type": "span_start",
            "id": "root",
            "kind": "agent",
            "name": f"agent {ATTACK}",
            "started_at": 1764150000.0,
        },
        _llm("l1", "root", None, [call], 1764150000.1),  # type: ignore[arg-type]
        {
            "type": "span",
            "id": "t1",
            "parent_id": "root",
            "kind": "tool",
            "name": f"look{ATTACK}",
            "started_at": 1764150000.7,
            "ended_at": 1764150000.8,
            "input": {"name": f"look{ATTACK}", "arguments": {"q": ATTACK}, "call_id": f"c{ATTACK}"},
            "error": {"type": f"Err{ATTACK}", "message": ATTACK, "body": {"detail": ATTACK}},
        },
        {
            "type": "span",
            "id": "r1",
            "parent_id": "root",
            "kind": "retrieval",
            "name": f"docs {ATTACK}",
            "started_at": 1764150000.9,
            "ended_at": 1764150001.0,
            "input": {"query": ATTACK},
            "output": [{"text": ATTACK}],
        },
        _llm("l2", "root", f"final {variant} {ATTACK}", [], 1764150001.1),
        f"not json {ATTACK}",
    ]
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "200", "AGENTDBG_CACHE_DIR": str(cwd / "cache")}
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "NO_COLOR"):
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, timeout=120, cwd=cwd, env=env
    )


def _check(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")[-2000:]
    for stream in (proc.stdout, proc.stderr):
        for bad in BAD_BYTES:
            assert bad not in stream, (bad, stream.decode(errors="replace")[:3000])


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return _hostile_trace(tmp_path / "hostile.jsonl", "a")


COMMANDS = {
    "show-tree": lambda p, o: ["show", str(p), "--print"],
    "show-step-llm": lambda p, o: ["show", str(p), "--print", "--step", "2"],
    "show-step-tool": lambda p, o: ["show", str(p), "--print", "--step", "3"],
    "show-step-retrieval": lambda p, o: ["show", str(p), "--print", "--step", "4"],
    "validate": lambda p, o: ["validate", str(p)],
    "diagnose": lambda p, o: ["diagnose", str(p)],
    "diff": lambda p, o: ["diff", str(p), str(o)],
    "search": lambda p, o: ["search", str(p.parent), "--text", "find"],
    "replay-document": lambda p, o: ["replay", str(p), "--from", "step-2", "--show-document"],
    "replay-dry-run": lambda p, o: [
        "replay",
        str(p),
        "--from",
        "step-2",
        "--dry-run",
        "-o",
        str(p.parent / "fork.jsonl"),
    ],
    "explain-no-key": lambda p, o: ["explain", str(p)],
    "bad-step-error": lambda p, o: ["show", str(p), "--print", "--step", ATTACK],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_output_path_is_terminal_safe(name: str, hostile: Path, tmp_path: Path) -> None:
    other = hostile
    if name == "diff":
        (tmp_path / "other").mkdir()
        other = _hostile_trace(tmp_path / "other" / "hostile-b.jsonl", "b")
    proc = _run(*COMMANDS[name](hostile, other), cwd=tmp_path)
    _check(proc)
    shown = (proc.stdout + proc.stderr).decode(errors="replace")
    assert proc.returncode in (0, 1, 2, 3, 4), shown[-1500:]
    assert shown.strip(), "the command printed nothing"
    if name != "validate":  # validate names the bad line, not its content
        assert "\\x1b]52" in shown or "\\u001b]52" in shown, "the attack text should be shown, made visible"
