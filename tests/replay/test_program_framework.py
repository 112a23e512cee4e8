"""Code-level replay of a real framework agent: an openai-agents program (streamed Responses), instrumented."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from agentdbg import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply
from tests.parts import require_part

PROGRAM = Path(__file__).parent / "programs" / "agents_weather.py"


def test_an_openai_agents_program_replays_from_its_last_llm_step(tmp_path):
    require_part(
        "frameworks", importlib.util.find_spec("agents") is not None, "pip install -e '.[frameworks]'"
    )
    trace, log, fork = tmp_path / "run.jsonl", tmp_path / "weather.log", tmp_path / "fork.jsonl"
    with FakeLLMServer(seed=8) as server:
        env = {
            **os.environ,
            "WEATHER_BASE_URL": server.base_url + "/v1",
            "WEATHER_TRACE": str(trace),
            "WEATHER_LOG": str(log),
            "OPENAI_API_KEY": "test-key",
        }
        env.pop("AGENTDBG_DISABLED", None)
        server.enqueue(tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny in Paris."))
        done = subprocess.run(
            [sys.executable, str(PROGRAM), "Weather in Paris?"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        recorded = read_trace(trace)
        llm = [s for s in recorded.spans if s.kind == "llm"]
        assert len(llm) == 2 and llm[0].attributes.get("stream") is True
        assert log.read_text() == "Paris\n"
        server.clear()
        server.enqueue(reply("Soleil à Paris."))
        command = [
            sys.executable,
            "-m",
            "agentdbg",
            "replay",
            str(trace),
            "--from",
            llm[1].address,
            "--set",
            '/system="Answer in French."',
            "-o",
            str(fork),
            "--json",
            "--",
        ]
        done = subprocess.run(
            [*command, sys.executable, str(PROGRAM), "Weather in Paris?"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert len(server.requests) == 1  # the first (streamed) llm step was served from the record
        assert server.requests[0].json["instructions"] == "Answer in French."
    assert log.read_text() == "Paris\n"  # the tool before the fork did not run again
    result = json.loads(done.stdout)
    assert result["status"] == "finished" and result["new_answer"] == "Soleil à Paris."
    forked = read_trace(fork)
    origins = [(s.kind, s.origin) for s in forked.spans if s.kind in ("llm", "tool")]
    assert origins[0] == ("llm", "recorded") and origins[-1] == ("llm", "patched")
    assert ("tool", "recorded") in origins
