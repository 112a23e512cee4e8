"""OTLP JSON: a hand-written GenAI/OpenInference/Vercel file, and round-trips through agentdbg's own exporter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentdbg.exporters.otlp_json import to_otlp_json
from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import CORPUS, DATA, errors

HANDWRITTEN = DATA / "otlp_genai.json"


def _value(v: dict[str, Any]) -> Any:
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [_value(x) for x in v["arrayValue"]["values"]]
    if "kvlistValue" in v:
        return {kv["key"]: _value(kv["value"]) for kv in v["kvlistValue"]["values"]}
    return next(iter(v.values()), None)


def _raw_spans(path: Path) -> list[tuple[dict, dict]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        (span, {a["key"]: _value(a["value"]) for a in span["attributes"]})
        for rs in document["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    ]


def test_handwritten_file_counts() -> None:
    spans = _raw_spans(HANDWRITTEN)
    llm = [
        a
        for _, a in spans
        if a.get("gen_ai.operation.name") == "chat"
        or a.get("openinference.span.kind") == "LLM"
        or a.get("ai.operationId", "").endswith("doGenerate")
    ]
    tools = [
        a
        for _, a in spans
        if a.get("gen_ai.operation.name") == "execute_tool" or a.get("openinference.span.kind") == "TOOL"
    ]
    failed = [s for s, _ in spans if s["status"].get("code") == 2]
    inputs = sum(
        a.get("gen_ai.usage.input_tokens", a.get("llm.token_count.prompt", a.get("ai.usage.promptTokens", 0)))
        for a in llm
    )
    outputs = sum(
        a.get(
            "gen_ai.usage.output_tokens",
            a.get("llm.token_count.completion", a.get("ai.usage.completionTokens", 0)),
        )
        for a in llm
    )

    assert detect_format(HANDWRITTEN) == "otlp-json"
    trace = open_trace(HANDWRITTEN)
    assert len(trace.spans) == len(spans)
    assert len(trace.llm_spans) == len(llm) == 4
    assert len(trace.tool_spans) == len(tools) == 3
    assert len(errors(trace)) == len(failed) == 1
    assert trace.totals()["input_tokens"] == inputs  # the invoke_agent aggregate is not counted twice
    assert trace.totals()["output_tokens"] == outputs
    by_otel = {s.attributes["otel"]["spanId"]: s for s in trace.spans}
    for raw, _ in spans:
        parent = raw.get("parentSpanId")
        assert by_otel[raw["spanId"]].parent_id == (by_otel[parent].id if parent else None)


def test_handwritten_file_messages_tools_and_errors() -> None:
    trace = open_trace(HANDWRITTEN)
    first, second, oi, vercel = trace.llm_spans
    assert [m.role for m in first.llm.prompt] == ["system", "user"]
    assert first.llm.tool_calls[0].name == "get_weather" and first.llm.tool_calls[0].arguments == {
        "city": "Paris"
    }
    assert first.attributes["finish_reason"] == "tool_calls"
    assert [m.role for m in second.llm.prompt] == [
        "user",
        "assistant",
        "tool",
    ]  # structured arrayValue messages
    assert second.llm.prompt[2].tool_call_id == "call_1" and second.usage.cached_input_tokens == 32
    assert second.llm.answer_text == "It is sunny in Paris, 21C."
    assert oi.llm.prompt[1].text == "Capital of France?" and oi.llm.answer_text == "Paris."
    assert (
        vercel.llm.prompt[0].text == "Say hi"
        and vercel.llm.answer_text == "Hi!"
        and vercel.usage.input_tokens == 7
    )
    weather, forecast, lookup = trace.tool_spans
    assert (
        weather.tool.arguments == {"city": "Paris"}
        and weather.tool.call_id == "call_1"
        and weather.output == "Sunny, 21C"
    )
    assert forecast.tool.arguments == {"city": "Paris", "days": 3}
    assert forecast.error.type == "TimeoutError" and "timed out after 30s" in forecast.error.message
    assert lookup.tool.arguments == {"q": "France"} and lookup.output == "Paris"
    # replayable when the span kept the conversation and the tools it (or its answer) uses
    assert [s.llm.replayable for s in trace.llm_spans] == [False, False, True, True]
    claude = trace.llm_spans[3]
    assert claude.input["provider"] == "anthropic" and claude.input["request"]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": claude.llm.prompt[0].text}]}
    ]
    assert claude.llm.answer_text == "Hi!"


ROUND_TRIP = [
    "claude_code/ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl",
    "inspect_ai/2025-05-12T20-27-36-04-00_browser.json",
    "langfuse/agno-2025-06-11.trace.json",
    "swe_agent/marshmallow-1867_function_calling_replace.traj",
    "cassettes/pydantic-ai_anthropic_tool_with_thinking.yaml",
    "openhands/wrong_initial_state.json",
]


@pytest.mark.parametrize("name", ROUND_TRIP, ids=lambda n: n.split("/")[0])
def test_export_then_import_gives_back_the_same_steps(tmp_path: Path, name: str) -> None:
    original = open_trace(CORPUS / name)
    path = tmp_path / "export.otlp.json"
    path.write_text(json.dumps(to_otlp_json(original)), encoding="utf-8")
    back = open_trace(path)
    assert back.format == "otlp-json" and back.problems == []
    assert back.header.trace_id == original.header.trace_id
    assert [(s.id, s.parent_id, s.kind, s.name, s.status) for s in back.spans] == [
        (s.id, s.parent_id, s.kind, s.name, s.status) for s in original.spans
    ]
    for before, after in zip(original.spans, back.spans, strict=True):
        assert after.input == before.input and after.output == before.output
        assert after.usage == before.usage and after.error == before.error
    assert back.totals() == original.totals()


def _strip_agentdbg(document: dict) -> dict:
    for rs in document["resourceSpans"]:
        rs["resource"]["attributes"] = [
            a for a in rs["resource"]["attributes"] if not a["key"].startswith("agentdbg.")
        ]
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                span["attributes"] = [a for a in span["attributes"] if not a["key"].startswith("agentdbg.")]
    return document


@pytest.mark.parametrize("name", ROUND_TRIP[:3], ids=lambda n: n.split("/")[0])
def test_semconv_attributes_alone_rebuild_the_steps(tmp_path: Path, name: str) -> None:
    """What another OTel backend would keep: only gen_ai.* attributes, no agentdbg.* ones."""
    original = open_trace(CORPUS / name)
    path = tmp_path / "semconv.json"
    path.write_text(json.dumps(_strip_agentdbg(to_otlp_json(original))), encoding="utf-8")
    back = open_trace(path)
    assert [s.kind for s in back.spans] == [s.kind for s in original.spans]
    assert [s.tool.name for s in back.tool_spans] == [s.tool.name for s in original.tool_spans]
    assert [s.tool.call_id for s in back.tool_spans] == [s.tool.call_id for s in original.tool_spans]
    assert [s.status for s in back.spans] == [s.status for s in original.spans]
    assert back.totals()["input_tokens"] == original.totals()["input_tokens"]
    assert back.totals()["output_tokens"] == original.totals()["output_tokens"]
    for before, after in zip(original.llm_spans, back.llm_spans, strict=True):
        assert [c.name for c in after.llm.tool_calls] == [c.name for c in before.llm.tool_calls]
        assert after.llm.answer_text.strip() == before.llm.answer_text.strip()
        assert len([m for m in after.llm.prompt if m.role == "tool"]) == len(
            [m for m in before.llm.prompt if m.role == "tool"]
        )


def test_malformed_otlp(tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_bytes(HANDWRITTEN.read_bytes()[:3000])
    trace = open_trace(cut, format="otlp-json")
    assert trace.spans == [] and any(p.severity == "error" for p in trace.problems)
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps(
            {
                "resourceSpans": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {"name": "x"},
                                    {
                                        "spanId": "01",
                                        "attributes": "nope",
                                        "parentSpanId": "ff",
                                        "startTimeUnixNano": "zz",
                                    },
                                ]
                            }
                        ]
                    },
                    5,
                ]
            }
        ),
        encoding="utf-8",
    )
    trace = open_trace(odd)
    assert trace.format == "otlp-json" and len(trace.spans) == 1
    text = " | ".join(p.message for p in trace.problems)
    assert "without spanId" in text and "missing parent" in text
    lines = tmp_path / "collector.jsonl"  # the collector file exporter writes one document per line
    one = HANDWRITTEN.read_text(encoding="utf-8").replace("\n", "")
    other = one.replace('"a0000', '"d0000').replace('"b0000', '"e0000').replace('"c0000', '"f0000')
    lines.write_text(one + "\n" + other + "\n{oops\n", encoding="utf-8")
    trace = open_trace(lines)
    assert len(trace.spans) == 16 and any("not valid JSON" in p.message for p in trace.problems)


def _kv(values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"key": k, "value": {"stringValue": v}} for k, v in values.items()]


def test_older_semconv_messages_in_span_events(tmp_path: Path) -> None:
    """Before gen_ai.input.messages, instrumentations wrote messages as span events."""
    chat_events = [
        {"name": "gen_ai.system.message", "timeUnixNano": "1", "attributes": _kv({"content": "Be terse."})},
        {"name": "gen_ai.user.message", "timeUnixNano": "1", "attributes": _kv({"content": "2+2?"})},
        {
            "name": "gen_ai.choice",
            "timeUnixNano": "2",
            "attributes": _kv(
                {"message": json.dumps({"role": "assistant", "content": "4"}), "finish_reason": "stop"}
            ),
        },
    ]
    prompt_events = [
        {
            "name": "gen_ai.content.prompt",
            "timeUnixNano": "1",
            "attributes": _kv({"gen_ai.prompt": json.dumps([{"role": "user", "content": "hello"}])}),
        },
        {
            "name": "gen_ai.content.completion",
            "timeUnixNano": "2",
            "attributes": _kv(
                {"gen_ai.completion": json.dumps([{"role": "assistant", "content": "hi there"}])}
            ),
        },
    ]
    spans = [
        {
            "traceId": "ab" * 16,
            "spanId": "01" * 8,
            "name": "chat gpt-4o",
            "startTimeUnixNano": "1000000000",
            "endTimeUnixNano": "2000000000",
            "attributes": _kv({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}),
            "events": chat_events,
        },
        {
            "traceId": "ab" * 16,
            "spanId": "02" * 8,
            "name": "chat gpt-4o",
            "startTimeUnixNano": "3000000000",
            "endTimeUnixNano": "4000000000",
            "attributes": _kv({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}),
            "events": prompt_events,
        },
    ]
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}),
        encoding="utf-8",
    )
    first, second = open_trace(path).llm_spans
    assert [(m.role, m.text) for m in first.llm.prompt] == [("system", "Be terse."), ("user", "2+2?")]
    assert first.llm.answer_text == "4"
    assert [(m.role, m.text) for m in second.llm.prompt] == [("user", "hello")]
    assert second.llm.answer_text == "hi there"
    assert first.started_at == 1.0 and first.ended_at == 2.0


def test_openai_agents_sdk_as_instrumented_by_openinference(tmp_path: Path) -> None:
    """The attribute shapes of openinference-instrumentation-openai-agents (see corpus FORMATS.md §5)."""
    llm_attrs = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4.1-2025-04-14",
        "llm.token_count.prompt": "85",
        "llm.token_count.completion": "29",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "You are a weather agent.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": "Weather in Tokyo?",
        "llm.input_messages.2.message.role": "assistant",
        "llm.input_messages.2.message.tool_calls.0.tool_call.id": "call_Kud0j0DxWSmLzv9W5m6qVqXn",
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": '{"city":"Tokyo"}',
        "llm.input_messages.3.message.role": "tool",
        "llm.input_messages.3.message.tool_call_id": "call_Kud0j0DxWSmLzv9W5m6qVqXn",
        "llm.input_messages.3.message.content": "The weather in Tokyo is sunny.",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "It is sunny in Tokyo.",
    }
    spans = [
        {
            "traceId": "cd" * 16,
            "spanId": "10" * 8,
            "name": "Weather agent",
            "startTimeUnixNano": "1000000000",
            "endTimeUnixNano": "9000000000",
            "attributes": _kv({"openinference.span.kind": "AGENT", "graph.node.id": "Weather agent"}),
        },
        {
            "traceId": "cd" * 16,
            "spanId": "11" * 8,
            "parentSpanId": "10" * 8,
            "name": "get_weather",
            "startTimeUnixNano": "2000000000",
            "endTimeUnixNano": "2100000000",
            "attributes": _kv(
                {
                    "openinference.span.kind": "TOOL",
                    "tool.name": "get_weather",
                    "input.value": '{"city":"Tokyo"}',
                    "output.value": "The weather in Tokyo is sunny.",
                }
            ),
        },
        {
            "traceId": "cd" * 16,
            "spanId": "12" * 8,
            "parentSpanId": "10" * 8,
            "name": "response",
            "startTimeUnixNano": "3000000000",
            "endTimeUnixNano": "4000000000",
            "attributes": _kv(llm_attrs),
        },
    ]
    path = tmp_path / "agents.json"
    path.write_text(
        json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}),
        encoding="utf-8",
    )
    trace = open_trace(path)
    assert [s.kind for s in trace.spans] == ["agent", "tool", "llm"]
    llm = trace.llm_spans[0].llm
    assert [m.role for m in llm.prompt] == ["system", "user", "assistant", "tool"]
    assert llm.prompt[2].tool_calls[0].name == "get_weather" and llm.prompt[2].tool_calls[0].arguments == {
        "city": "Tokyo"
    }
    assert llm.prompt[3].tool_call_id == "call_Kud0j0DxWSmLzv9W5m6qVqXn"
    assert llm.answer_text == "It is sunny in Tokyo." and trace.llm_spans[0].usage.input_tokens == 85
    assert trace.tool_spans[0].tool.arguments == {"city": "Tokyo"}


def test_vercel_ai_sdk_spans(tmp_path: Path) -> None:
    """generateText → doGenerate (tool call) → toolCall → doGenerate (answer), as the AI SDK's telemetry writes them."""

    def span(sid: str, parent: str | None, start: int, attrs: dict[str, str]) -> dict[str, Any]:
        out = {
            "traceId": "ef" * 16,
            "spanId": sid * 8,
            "name": attrs["ai.operationId"],
            "startTimeUnixNano": str(start * 10**9),
            "endTimeUnixNano": str((start + 1) * 10**9),
            "attributes": _kv(attrs),
        }
        if parent:
            out["parentSpanId"] = parent * 8
        return out

    calls = json.dumps(
        [{"toolCallType": "function", "toolCallId": "tc1", "toolName": "weather", "args": '{"city":"Oslo"}'}]
    )
    spans = [
        span(
            "20",
            None,
            1,
            {
                "ai.operationId": "ai.generateText",
                "ai.model.id": "gpt-4o",
                "ai.usage.promptTokens": "300",
                "ai.usage.completionTokens": "40",
            },
        ),
        span(
            "21",
            "20",
            2,
            {
                "ai.operationId": "ai.generateText.doGenerate",
                "ai.model.id": "gpt-4o",
                "ai.prompt.messages": json.dumps(
                    [{"role": "user", "content": [{"type": "text", "text": "Oslo weather?"}]}]
                ),
                "ai.response.toolCalls": calls,
                "ai.response.finishReason": "tool-calls",
                "ai.usage.promptTokens": "120",
                "ai.usage.completionTokens": "15",
            },
        ),
        span(
            "22",
            "20",
            3,
            {
                "ai.operationId": "ai.toolCall",
                "ai.toolCall.name": "weather",
                "ai.toolCall.id": "tc1",
                "ai.toolCall.args": '{"city":"Oslo"}',
                "ai.toolCall.result": '{"temp": 4}',
            },
        ),
        span(
            "23",
            "20",
            4,
            {
                "ai.operationId": "ai.generateText.doGenerate",
                "ai.model.id": "gpt-4o",
                "ai.prompt.messages": json.dumps(
                    [
                        {"role": "user", "content": [{"type": "text", "text": "Oslo weather?"}]},
                        {
                            "role": "assistant",
                            "content": [
                                {
                                    "type": "tool-call",
                                    "toolCallId": "tc1",
                                    "toolName": "weather",
                                    "args": {"city": "Oslo"},
                                }
                            ],
                        },
                        {
                            "role": "tool",
                            "content": [
                                {
                                    "type": "tool-result",
                                    "toolCallId": "tc1",
                                    "toolName": "weather",
                                    "result": {"temp": 4},
                                }
                            ],
                        },
                    ]
                ),
                "ai.response.text": "4 degrees in Oslo.",
                "ai.usage.promptTokens": "180",
                "ai.usage.completionTokens": "25",
            },
        ),
    ]
    path = tmp_path / "vercel.json"
    path.write_text(
        json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}),
        encoding="utf-8",
    )
    trace = open_trace(path)
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "llm"]
    first, second = trace.llm_spans
    assert first.llm.tool_calls[0].name == "weather" and first.llm.tool_calls[0].id == "tc1"
    assert [m.role for m in second.llm.prompt] == ["user", "assistant", "tool"] and second.llm.prompt[
        2
    ].tool_call_id == "tc1"
    assert second.llm.answer_text == "4 degrees in Oslo."
    tool = trace.tool_spans[0]
    assert (
        tool.tool.arguments == {"city": "Oslo"} and tool.output == {"temp": 4} and tool.tool.call_id == "tc1"
    )
    assert trace.totals()["input_tokens"] == 300  # the generateText total is kept aside, not added again
