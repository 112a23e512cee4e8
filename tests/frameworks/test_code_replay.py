"""Code-level replay of framework programs (``agentdbg replay TRACE --from STEP -- python prog.py``).

Answers before the fork come from the record through the same hooks instrument() records with: the SDK
client pydantic-ai builds itself, and litellm's Anthropic path, which has no SDK client at all (raw httpx).
The tools before the fork are the program's own code: they run again, and their steps are ``recorded``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply

from .conftest import WEATHER, require, script

PROGRAMS = Path(__file__).parent / "programs"


@pytest.mark.parametrize(
    ("program", "module"), [("litellm_agent.py", "litellm"), ("pydantic_ai_agent.py", "pydantic_ai")]
)
def test_framework_program_replays_at_the_transport(tmp_path, program, module):
    require(module)
    trace, log, fork = tmp_path / "run.jsonl", tmp_path / "tools.log", tmp_path / "fork.jsonl"
    command = [sys.executable, str(PROGRAMS / program)]
    with FakeLLMServer(seed=4) as server:
        env = {**os.environ, "FW_BASE_URL": server.base_url, "FW_TRACE": str(trace), "FW_LOG": str(log)}
        env.pop("AGENTDBG_DISABLED", None)
        server.enqueue(*script())
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
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
        replay = [sys.executable, "-m", "agentdbg", "replay", str(trace), "--from", "step-5", "-o", str(fork)]
        done = subprocess.run(
            [*replay, "--json", "--", *command], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert len(server.requests) == 1  # step-1 and step-3 were answered from the record
    result = json.loads(done.stdout)
    assert result["status"] == "finished" and result["new_answer"] == "Changed: sunny at noon."
    spans = read_trace(fork).spans
    assert [s.kind for s in spans] == ["llm", "tool", "llm", "tool", "llm"]
    assert [s.origin for s in spans if s.kind == "tool"] == ["recorded", "recorded"]
