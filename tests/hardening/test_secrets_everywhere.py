"""Key-shaped strings in trace content never reach a written trace, an import, an export, a fork or the screen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.secrets import mask_secrets
from agentdbg.store import TraceWriter, read_trace
from tests.conftest import scan_for_secrets

# Built from pieces so this source file itself holds no key-shaped literal.
OPENAI_KEY = "sk-" + "proj-" + "Q7w8E9r0T1y2U3i4O5p6A7s8"
ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Zx" * 20
AWS_KEY = "AKIA" + "QWERTYUIOPASDFGH"
BEARER = "Bearer " + "eyJ0eXAiOiJKV1QiLCJhbGciOi"
LEAKY = f"use {OPENAI_KEY} or {ANTHROPIC_KEY}; aws {AWS_KEY}; header Authorization: {BEARER}"


def _leaky_records() -> list[dict]:
    return [
        {
            "type": "trace",
            "schema_version": 1,
            "trace_id": "leak",
            "name": "leaky",
            "started_at": 1764150000.0,
            "metadata": {"note": LEAKY},
        },
        {
            "type": "span",
            "id": "l1",
            "kind": "llm",
            "name": "chat",
            "started_at": 1764150000.1,
            "ended_at": 1764150000.5,
            "input": {
                "provider": "openai",
                "api": "chat.completions",
                "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": LEAKY}]},
            },
            "output": {
                "choices": [
                    {"finish_reason": "stop", "message": {"role": "assistant", "content": f"echo {LEAKY}"}}
                ]
            },
        },
        {
            "type": "span",
            "id": "t1",
            "kind": "tool",
            "name": "env",
            "started_at": 1764150000.6,
            "ended_at": 1764150000.7,
            "input": {"name": "env", "arguments": {"dump": True}, "call_id": "c1"},
            "output": LEAKY,
        },
    ]


def test_mask_secrets_masks_each_shape_and_keeps_the_rest() -> None:
    masked = mask_secrets(LEAKY)
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, AWS_KEY, BEARER):
        assert secret not in masked
    assert masked.startswith("use sk-proj-[REDACTED] or sk-ant-api03-[REDACTED]; aws AKIA[REDACTED]")
    assert mask_secrets("task-12 sk-short skills") == "task-12 sk-short skills"


@pytest.mark.writes_secrets(reason="the input trace deliberately quotes keys; every output is scanned below")
def test_no_output_path_lets_a_key_through(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    raw = inputs / "leaky.jsonl"
    raw.write_text("\n".join(json.dumps(r) for r in _leaky_records()) + "\n")
    assert scan_for_secrets(inputs), "the input must really hold keys for this test to mean anything"

    out = tmp_path / "out"
    out.mkdir()
    with TraceWriter(out / "written.jsonl") as writer:  # any record our writer writes
        for record in _leaky_records():
            writer.write(record)
    assert read_trace(out / "written.jsonl").step(2).output == mask_secrets(LEAKY)

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            [sys.executable, "-m", "agentdbg", *args],
            capture_output=True,
            timeout=120,
            env={"PATH": "", "HOME": str(tmp_path)},
        )
        assert b"Traceback" not in proc.stderr, proc.stderr.decode()
        return proc

    screens = [
        run("show", str(raw), "--print").stdout,
        run("show", str(raw), "--print", "--step", "1").stdout,
        run("show", str(raw), "--print", "--step", "2").stdout,
        run("diagnose", str(raw)).stdout,
    ]
    run("import", str(raw), "-o", str(out / "imported.jsonl"))
    run("export", str(raw), "--format", "otlp-json", "-o", str(out / "export.json"))
    run("export", str(raw), "--format", "html", "-o", str(out / "export.html"))
    (out / "screens.txt").write_bytes(b"\n".join(screens))
    written = sorted(p.name for p in out.iterdir())
    assert written == ["export.html", "export.json", "imported.jsonl", "screens.txt", "written.jsonl"]
    assert b"[REDACTED]" in (out / "screens.txt").read_bytes()
    assert scan_for_secrets(out) == []
