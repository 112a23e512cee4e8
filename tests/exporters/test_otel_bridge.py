"""The OpenTelemetry bridge: steps handed to a real SDK ``TracerProvider``, read back with ``InMemorySpanExporter``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from agentdbg.capture.otel import OTelSink, disable_otel, enable_otel, export_trace_to_otel, mirror_record
from agentdbg.importers import open_trace
from tests.exporters.sdk_run import record_sdk_run
from tests.exporters.traces import travel_records, travel_trace_file


@pytest.fixture()
def otel() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _by_step(exporter: InMemorySpanExporter) -> dict[int, object]:
    return {span.attributes["agentdbg.step"]: span for span in exporter.get_finished_spans()}  # type: ignore[index]


def test_a_recorded_trace_becomes_linked_otel_spans(otel, tmp_path: Path) -> None:
    provider, exporter = otel
    trace = open_trace(travel_trace_file(tmp_path))
    assert export_trace_to_otel(trace, provider) == 7
    steps = _by_step(exporter)
    assert sorted(steps) == [1, 2, 3, 4, 5, 6, 7]
    root = steps[1]
    assert root.parent is None and root.name == "invoke_agent travel-agent"
    assert {span.context.trace_id for span in steps.values()} == {root.context.trace_id}
    for child, parent in {2: 1, 3: 1, 4: 1, 5: 1, 6: 5, 7: 5}.items():
        assert steps[child].parent.span_id == steps[parent].context.span_id
    chat = steps[2]
    assert chat.name == "chat gpt-4o" and chat.kind == SpanKind.CLIENT
    assert chat.start_time == 1764150000100000000 and chat.end_time == 1764150001300000000
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.usage.input_tokens"] == 82
    assert tuple(chat.attributes["gen_ai.response.finish_reasons"]) == ("tool_calls",)
    output = json.loads(chat.attributes["gen_ai.output.messages"])  # structured values travel as JSON text
    assert output[0]["parts"][0] == {
        "type": "tool_call",
        "id": "call_1",
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    tool = steps[3]
    assert tool.kind == SpanKind.INTERNAL and tool.attributes["gen_ai.tool.call.result"] == "18°C, light rain"
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    failed = steps[6]
    assert (
        failed.status.status_code == StatusCode.ERROR
        and failed.status.description == "Error code: 529 - overloaded"
    )
    assert (
        failed.events[0].name == "exception"
        and failed.events[0].attributes["exception.type"] == "APIStatusError"
    )
    assert steps[7].attributes["agentdbg.incomplete"] is True
    assert chat.attributes["agentdbg.trace_id"] == "run-7f3a"


def test_live_records_start_spans_when_steps_start(otel) -> None:
    provider, exporter = otel
    sink = OTelSink(provider)
    records = travel_records()
    sink.write(records[0])
    sink.write({"type": "span_start", "id": "root", "kind": "agent", "name": "live", "started_at": 10.0})
    sink.write(
        {
            "type": "span_start",
            "id": "t",
            "parent_id": "root",
            "kind": "tool",
            "name": "ls",
            "started_at": 11.0,
            "input": {"name": "ls", "arguments": {}, "call_id": "c1"},
        }
    )
    assert exporter.get_finished_spans() == ()  # nothing ends before its step ends
    sink.write({"type": "span_end", "id": "t", "ended_at": 12.0, "output": ["a.txt"]})
    sink.write({"type": "span_end", "id": "root", "ended_at": 13.0})
    tool, root = exporter.get_finished_spans()
    assert tool.parent.span_id == root.context.span_id
    assert tool.name == "execute_tool ls" and tool.attributes["gen_ai.tool.call.id"] == "c1"
    assert json.loads(tool.attributes["gen_ai.tool.call.result"]) == ["a.txt"]
    assert tool.attributes["agentdbg.step"] == 2 and root.attributes["agentdbg.step"] == 1
    sink.write({"type": "span_start", "id": 5})  # invalid record: counted, never raised into the agent
    assert sink.skipped == 1


def test_enable_otel_mirrors_what_capture_writes_until_disabled(otel, tmp_path: Path) -> None:
    provider, exporter = otel
    sink = enable_otel(provider)
    try:
        for line in record_sdk_run(tmp_path / "sdk.jsonl").read_text(encoding="utf-8").splitlines():
            mirror_record(json.loads(line))
    finally:
        disable_otel(sink)
    mirror_record(
        {
            "type": "span",
            "id": "after",
            "kind": "custom",
            "name": "not mirrored",
            "started_at": 1.0,
            "ended_at": 2.0,
        }
    )
    names = [span.name for span in exporter.get_finished_spans()]
    assert names == [
        "chat gpt-4o-mini",
        "execute_tool get_weather",
        "chat gpt-4o-mini",
        "chat claude-sonnet-4-6",
        "invoke_agent umbrella-agent",
    ]
    failed = _by_step(exporter)[5]
    assert (
        failed.status.status_code == StatusCode.ERROR and failed.attributes["error.type"] == "BadRequestError"
    )
    assert failed.attributes["gen_ai.provider.name"] == "anthropic"


def test_interleaved_traces_keep_their_own_steps_and_parents(otel) -> None:
    provider, exporter = otel
    sink = OTelSink(provider)
    for trace_id in ("run-a", "run-b"):
        sink.write({"type": "trace", "schema_version": 1, "trace_id": trace_id, "name": trace_id}, trace_id)
    for trace_id in ("run-a", "run-b"):  # the same span ids in both runs
        sink.write(
            {"type": "span_start", "id": "root", "kind": "agent", "name": trace_id, "started_at": 1.0},
            trace_id,
        )
    for trace_id in ("run-b", "run-a"):
        sink.write(
            {
                "type": "span",
                "id": "c",
                "parent_id": "root",
                "kind": "custom",
                "name": "child",
                "started_at": 2.0,
                "ended_at": 3.0,
            },
            trace_id,
        )
    sink.close()
    finished = exporter.get_finished_spans()
    roots = {
        span.attributes["agentdbg.trace_id"]: span
        for span in finished
        if span.attributes["agentdbg.kind"] == "agent"
    }
    for child in (span for span in finished if span.name == "child"):
        root = roots[child.attributes["agentdbg.trace_id"]]
        assert child.parent.span_id == root.context.span_id and child.attributes["agentdbg.step"] == 2
    assert {root.attributes["agentdbg.incomplete"] for root in roots.values()} == {True}


def test_capture_sdk_hands_live_steps_to_the_tracer_provider(otel, tmp_path: Path) -> None:
    """A real capture (wrap_openai + @tool over HTTP to the fake server) with enable_otel: same steps in both places."""
    import openai

    import agentdbg
    from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply
    from tests.exporters.sdk_run import WEATHER_TOOL

    provider, exporter = otel

    @agentdbg.tool
    def get_weather(city: str) -> str:
        return f"{city}: 18°C"

    sink = enable_otel(provider)
    try:
        with FakeLLMServer() as server:
            server.enqueue(tool_call_reply("get_weather", {"city": "Oslo"}), reply("Bring a coat."))
            client = agentdbg.wrap_openai(
                openai.OpenAI(base_url=server.base_url + "/v1", api_key="sk-test-secret-key-123456")
            )
            with (
                agentdbg.trace("otel-live", path=tmp_path / "live.jsonl"),
                agentdbg.span("planner", kind="agent"),
            ):
                messages = [{"role": "user", "content": "Weather in Oslo?"}]
                first = client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL]
                )
                call = first.choices[0].message.tool_calls[0]
                result = get_weather(**json.loads(call.function.arguments))
                messages += [
                    first.choices[0].message.model_dump(exclude_none=True),
                    {"role": "tool", "tool_call_id": call.id, "content": result},
                ]
                client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
    finally:
        disable_otel(sink)
    recorded = open_trace(tmp_path / "live.jsonl")
    steps = _by_step(exporter)
    assert len(steps) == len(recorded.spans) and sink.skipped == 0 and sink.errors == 0
    for span in recorded.spans:
        mirrored = steps[span.step]
        assert (
            mirrored.attributes["agentdbg.kind"] == span.kind
            and mirrored.attributes["agentdbg.span_id"] == span.id
        )
        assert mirrored.attributes["agentdbg.trace_id"] == recorded.header.trace_id
        if span.parent_id:
            assert mirrored.parent.span_id == steps[recorded.by_id[span.parent_id].step].context.span_id
    tool = next(s for s in steps.values() if s.attributes["agentdbg.kind"] == "tool")
    assert (
        tool.attributes["gen_ai.tool.name"] == "get_weather"
        and tool.attributes["gen_ai.tool.call.result"] == "Oslo: 18°C"
    )
    assert tool.attributes["gen_ai.tool.call.id"] == call.id
    chats = [s for s in steps.values() if s.attributes["agentdbg.kind"] == "llm"]
    assert [c.name for c in chats] == ["chat gpt-4o-mini", "chat gpt-4o-mini"]
    assert (
        json.loads(chats[1].attributes["gen_ai.output.messages"])[0]["parts"][0]["content"] == "Bring a coat."
    )
    everything = json.dumps([dict(s.attributes) for s in steps.values()])
    assert "sk-test-secret-key-123456" not in everything  # the mirror gets the redacted record
