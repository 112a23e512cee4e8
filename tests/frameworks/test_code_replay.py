"""Code-level replay of a framework program: answers before the fork come from the record through the same
transport hook instrument() records with (litellm's Anthropic path has no SDK client at all)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agentdbg import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply

from .conftest import WEATHER, require, script

PROGRAM = Path(__file__).parent / "programs" / "litellm_agent.py"


def test_litellm_program_replays_at_the_transport(tmp_path):
    require("litellm")
    trace, log = tmp_path / "run.jsonl", tmp_path / "tools.log"
    with FakeLLMServer(seed=4) as server:
        env = {**os.environ, "FW_BASE_URL": server.base_url, "FW_TRACE": str(trace), "FW_LOG": str(log)}
        env.pop("AGENTDBG_DISABLED", None)
        server.enqueue(*script())
        done = subprocess.run(
            [sys.executable, str(PROGRAM)], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        recorded = read_trace(trace)
        assert [(s.kind, s.tool.arguments if s.tool else None) for s in recorded.spans] == [
            ("llm", None),
            ("tool", WEATHER),
            ("llm", None),
            ("tool", WEATHER),
            ("llm", None),
        ]
        server.clear()
        server.requests.clear()
        server.enqueue(reply("Changed: sunny at noon."))
        fork = tmp_path / "fork.jsonl"
        command = [
            sys.executable,
            "-m",
            "agentdbg",
            "replay",
            str(trace),
            "--from",
            "step-5",
            "-o",
            str(fork),
        ]
        done = subprocess.run(
            [*command, "--json", "--", sys.executable, str(PROGRAM)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert len(server.requests) == 1  # step-1 and step-3 were answered from the record
    result = json.loads(done.stdout)
    assert result["status"] == "finished" and result["new_answer"] == "Changed: sunny at noon."
    spans = read_trace(fork).spans
    assert [s.kind for s in spans] == ["llm", "tool", "llm", "tool", "llm"]
    assert [s.origin for s in spans if s.kind == "tool"] == ["recorded", "recorded"]
