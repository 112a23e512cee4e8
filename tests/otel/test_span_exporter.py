"""agentdbg.otel.SpanExporter: a framework's own OTel spans (pydantic-ai, GenAI semconv) as a live trace file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.store.reader import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply
from tests.otel.frameworks import WEATHER, require, run_pydantic_ai


def _provider(exporter: Any) -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def test_pydantic_ai_run_becomes_a_trace_whose_llm_step_replays(tmp_path: Path, monkeypatch: Any) -> None:
    require("pydantic_ai")
    import agentdbg.otel

    path = tmp_path / "run.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(tool_call_reply("get_weather", {"city": "Oslo"}))
        server.enqueue(reply("It is -3C in Oslo."))
        provider = _provider(agentdbg.otel.SpanExporter(path))
        output, usage = run_pydantic_ai(server.base_url, provider)
        provider.shutdown()
        sent = [r.json for r in server.requests]
    assert output == "It is -3C in Oslo."
    trace = read_trace(path)
    assert not trace.problems
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "llm"]
    assert [s.step for s in trace.spans] == [1, 2, 3, 4]
    assert all(s.parent_id == trace.spans[0].id for s in trace.spans[1:])
    tool = trace.tool_spans[0]
    assert (
        tool.tool.name == "get_weather" and tool.tool.arguments == {"city": "Oslo"} and tool.output == WEATHER
    )
    first, second = trace.llm_spans
    assert first.llm.tool_calls[0].name == "get_weather"
    assert second.llm.answer_text == "It is -3C in Oslo."
    assert trace.totals()["input_tokens"] == usage.input_tokens > 0  # what pydantic-ai itself counted
    assert trace.totals()["output_tokens"] == usage.output_tokens > 0
    assert second.llm.replayable
    # the rebuilt request is what pydantic-ai sent: same messages (text, tool call, tool result) and tools
    rebuilt = second.input["request"]
    assert [m["role"] for m in rebuilt["messages"]] == [m["role"] for m in sent[1]["messages"]]
    assert rebuilt["messages"][-1]["content"] == sent[1]["messages"][-1]["content"] == WEATHER
    assert rebuilt["tools"][0]["function"]["name"] == sent[1]["tools"][0]["function"]["name"]
    assert rebuilt["tools"][0]["function"]["parameters"] == sent[1]["tools"][0]["function"]["parameters"]

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("Bundle up."))
        result = CliRunner().invoke(
            app, ["replay", str(path), "--from", "last-llm", "--base-url", server.base_url, "-o", str(fork)]
        )
        replayed = [r.json for r in server.requests]
    assert result.exit_code == 0, result.output
    assert replayed[0]["messages"] == rebuilt["messages"] and replayed[0]["tools"] == rebuilt["tools"]
    assert "Bundle up." in json.dumps(read_trace(fork).llm_spans[-1].output)


def test_a_failing_run_is_written_with_its_error(tmp_path: Path) -> None:
    require("pydantic_ai")
    import agentdbg.otel
    from agentdbg.testing.llm_server import error_reply

    path = tmp_path / "failed.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(error_reply(400, "bad request: context too long"))
        provider = _provider(agentdbg.otel.SpanExporter(path))
        with pytest.raises(Exception, match="context too long"):
            run_pydantic_ai(server.base_url, provider)
        provider.shutdown()
    trace = read_trace(path)
    failed = [s for s in trace.spans if s.error is not None]
    assert failed and any(s.kind == "llm" for s in failed)
    assert "context too long" in failed[0].error.message


def test_spans_still_open_at_shutdown_are_written(tmp_path: Path) -> None:
    """A run whose root span never ended (killed agent) keeps its finished steps after force_flush."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    import agentdbg.otel

    path = tmp_path / "partial.jsonl"
    exporter = agentdbg.otel.SpanExporter(path, name="partial")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    root = tracer.start_span("invoke_agent", attributes={"gen_ai.operation.name": "invoke_agent"})
    from opentelemetry import trace as otel_trace

    with (
        otel_trace.use_span(root, end_on_exit=False),
        tracer.start_as_current_span(
            "execute_tool lookup",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup",
                "gen_ai.tool.call.arguments": '{"q": "x"}',
                "gen_ai.tool.call.result": "y",
            },
        ),
    ):
        pass
    assert read_trace(path).spans == []  # the run is still going
    exporter.force_flush()
    trace = read_trace(path)
    assert trace.header.name == "partial"
    assert [(s.kind, s.tool.arguments, s.output) for s in trace.spans] == [("tool", {"q": "x"}, "y")]


def test_openinference_instrumented_openai_agents_run(tmp_path: Path, monkeypatch: Any) -> None:
    """The OpenInference instrumentor's real spans: a tool step shows its arguments (its schema is kept aside)."""
    import importlib.util

    from tests.otel.frameworks import run_openai_agents
    from tests.parts import require_part

    require("agents")
    try:  # find_spec of a dotted name imports its parents: a missing `openinference` raises
        instrumented = importlib.util.find_spec("openinference.instrumentation.openai_agents") is not None
    except ModuleNotFoundError:
        instrumented = False
    require_part("backends", instrumented, "pip install -e '.[backends]'")
    from agents import set_trace_processors, set_tracing_disabled
    from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    import agentdbg.otel

    path = tmp_path / "oi.jsonl"
    provider = _provider(agentdbg.otel.SpanExporter(path))
    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.instrument(tracer_provider=provider, exclusive_processor=True)
    set_tracing_disabled(False)  # a framework test in the same worker may have turned tracing off
    try:
        with FakeLLMServer() as server:
            server.enqueue(tool_call_reply("get_weather", {"city": "Oslo"}))
            server.enqueue(reply("It is -3C in Oslo."))
            result = run_openai_agents(server.base_url)
    finally:
        instrumentor.uninstrument()
        set_trace_processors([])
        provider.shutdown()
    assert result.final_output == "It is -3C in Oslo."
    trace = read_trace(path)
    tool = trace.tool_spans[0]
    assert tool.tool.arguments == {"city": "Oslo"} and tool.output == WEATHER
    assert tool.attributes["tool_schema"]["properties"] == {"city": {"title": "City", "type": "string"}}
    assert trace.totals()["input_tokens"] == result.context_wrapper.usage.input_tokens
    last = trace.llm_spans[-1]
    assert last.llm.replayable and last.llm.answer_text == "It is -3C in Oslo."
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("Bundle up."))
        replay = CliRunner().invoke(
            app, ["replay", str(path), "--from", "last-llm", "--base-url", server.base_url, "-o", str(fork)]
        )
        sent = [r.json for r in server.requests]
    assert replay.exit_code == 0, replay.output
    assert [m["role"] for m in sent[0]["messages"]][-3:] == ["user", "assistant", "tool"]
    assert (
        sent[0]["messages"][-1]["content"] == WEATHER
        and sent[0]["tools"][0]["function"]["name"] == "get_weather"
    )
