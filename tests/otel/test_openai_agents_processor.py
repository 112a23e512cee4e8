"""agentdbg.integrations.openai_agents.processor: the SDK's native tracing as a trace file whose llm steps replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.store.reader import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply
from tests.otel.frameworks import WEATHER, require, run_openai_agents


def test_native_traces_become_steps_and_the_llm_step_replays(tmp_path: Path, monkeypatch: Any) -> None:
    require("agents")
    from agents import set_trace_processors, set_tracing_disabled

    import agentdbg.integrations.openai_agents as agentdbg_agents

    path = tmp_path / "run.jsonl"
    processor = agentdbg_agents.processor(path)
    set_trace_processors([processor])  # only ours: nothing is sent anywhere
    set_tracing_disabled(False)  # a framework test in the same worker may have turned tracing off
    try:
        with FakeLLMServer() as server:
            server.enqueue(tool_call_reply("get_weather", {"city": "Oslo"}))
            server.enqueue(reply("It is -3C in Oslo."))
            result = run_openai_agents(server.base_url)
            sent = [r.json for r in server.requests]
    finally:
        set_trace_processors([])
        processor.shutdown()
    assert result.final_output == "It is -3C in Oslo."
    trace = read_trace(path)
    assert not trace.problems
    kinds = [s.kind for s in trace.spans]
    assert kinds.count("llm") == 2 and kinds.count("tool") == 1 and kinds[0] == "agent"
    assert [s.status for s in trace.spans] == ["ok"] * len(trace.spans)
    first, second = trace.llm_spans
    tool = trace.tool_spans[0]
    assert (
        tool.tool.name == "get_weather" and tool.tool.arguments == {"city": "Oslo"} and tool.output == WEATHER
    )
    assert tool.tool.call_id == first.llm.tool_calls[0].id  # linked to the answer that asked for it
    assert first.step < tool.step < second.step
    usage = result.context_wrapper.usage  # what the SDK itself counted
    assert trace.totals()["input_tokens"] == usage.input_tokens > 0
    assert trace.totals()["output_tokens"] == usage.output_tokens > 0
    # the rebuilt request is what the SDK sent to /responses
    for step, body in zip(trace.llm_spans, sent, strict=True):
        request = step.input["request"]
        assert step.input["api"] == "responses" and step.llm.replayable
        assert request["input"] == body["input"] and request["instructions"] == body["instructions"]
        assert [t["name"] for t in request["tools"]] == [t["name"] for t in body["tools"]]

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("Bundle up."))
        replay = CliRunner().invoke(
            app, ["replay", str(path), "--from", "last-llm", "--base-url", server.base_url, "-o", str(fork)]
        )
        replayed = [r.json for r in server.requests]
    assert replay.exit_code == 0, replay.output
    assert replayed[0]["input"] == sent[1]["input"]
    assert "Bundle up." in json.dumps(read_trace(fork).llm_spans[-1].output)
