"""The one GenAI / OpenInference span mapping: tool arguments, system instructions, replayable llm steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.importers import open_trace
from agentdbg.store.reader import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def _kv(values: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, value in values.items():
        if isinstance(value, int):
            out.append({"key": key, "value": {"intValue": str(value)}})
        elif isinstance(value, float):
            out.append({"key": key, "value": {"doubleValue": value}})
        else:
            out.append(
                {"key": key, "value": {"stringValue": value if isinstance(value, str) else json.dumps(value)}}
            )
    return out


def _write(path: Path, spans: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}),
        encoding="utf-8",
    )
    return path


def _span(span_id: str, name: str, attrs: dict[str, Any], parent: str | None = None) -> dict[str, Any]:
    span = {
        "traceId": "ab" * 16,
        "spanId": span_id,
        "name": name,
        "startTimeUnixNano": str(int(span_id, 16) * 1000),
        "endTimeUnixNano": str(int(span_id, 16) * 1000 + 500),
        "attributes": _kv(attrs),
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def test_openinference_tool_span_shows_its_arguments_not_its_schema(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "tool.json",
        [
            _span(
                "0000000000000001",
                "get_weather",
                {
                    "openinference.span.kind": "TOOL",
                    "tool.name": "get_weather",
                    "tool.description": "Weather for a city.",
                    "tool.parameters": WEATHER_SCHEMA,
                    "input.value": '{"city": "Oslo"}',
                    "output.value": "-3C, snow",
                },
            )
        ],
    )
    tool = open_trace(path).tool_spans[0]
    assert tool.tool.arguments == {"city": "Oslo"}
    assert tool.output == "-3C, snow"
    assert tool.attributes["tool_schema"] == WEATHER_SCHEMA
    assert tool.attributes["tool_description"] == "Weather for a city."


def test_system_instructions_as_parts_are_text(tmp_path: Path) -> None:
    """pydantic-ai writes ``gen_ai.system_instructions`` as a list of parts."""
    path = _write(
        tmp_path / "llm.json",
        [
            _span(
                "0000000000000002",
                "chat gpt-4o",
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.system_instructions": [
                        {"type": "text", "content": "Be terse."},
                        {"type": "text", "content": "Answer in French."},
                    ],
                    "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
                    "gen_ai.output.messages": [
                        {"role": "assistant", "parts": [{"type": "text", "content": "Salut"}]}
                    ],
                },
            )
        ],
    )
    llm = open_trace(path).llm_spans[0].llm
    assert [(m.role, m.text) for m in llm.prompt] == [
        ("system", "Be terse.\nAnswer in French."),
        ("user", "Hi"),
    ]
    assert llm.request["messages"][0] == {"role": "system", "content": "Be terse.\nAnswer in French."}


def _llm_attrs(provider: str, with_tools: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": "claude-sonnet-4-5" if provider == "anthropic" else "gpt-4o",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 300,
        "gen_ai.system_instructions": [{"type": "text", "content": "You forecast weather."}],
        "gen_ai.input.messages": [
            {"role": "user", "parts": [{"type": "text", "content": "Weather in Oslo?"}]},
            {
                "role": "assistant",
                "parts": [
                    {
                        "type": "tool_call",
                        "id": "call_1",
                        "name": "get_weather",
                        "arguments": {"city": "Oslo"},
                    }
                ],
            },
            {
                "role": "tool",
                "parts": [{"type": "tool_call_response", "id": "call_1", "response": "-3C, snow"}],
            },
        ],
        "gen_ai.output.messages": [
            {"role": "assistant", "parts": [{"type": "text", "content": "Cold: -3C."}]}
        ],
        "gen_ai.usage.input_tokens": 40,
        "gen_ai.usage.output_tokens": 6,
    }
    if with_tools:
        attrs["gen_ai.tool.definitions"] = [
            {
                "type": "function",
                "name": "get_weather",
                "description": "Weather.",
                "parameters": WEATHER_SCHEMA,
            }
        ]
    return attrs


def test_llm_step_without_its_tool_definitions_is_not_replayable(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.json", [_span("0000000000000003", "chat", _llm_attrs("openai", False))])
    assert open_trace(path).llm_spans[0].llm.replayable is False


def test_otlp_imported_llm_step_replays_through_the_openai_sdk(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    path = _write(
        tmp_path / "run.json", [_span("0000000000000004", "chat gpt-4o", _llm_attrs("openai", True))]
    )
    step = open_trace(path).llm_spans[0]
    assert step.llm.replayable and step.input["api"] == "chat.completions"
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("Bundle up: -3C."))
        result = CliRunner().invoke(
            app, ["replay", str(path), "--from", "last-llm", "--base-url", server.base_url, "-o", str(fork)]
        )
        sent = [r.json for r in server.requests]
    assert result.exit_code == 0, result.output
    assert len(sent) == 1
    assert sent[0]["model"] == "gpt-4o" and sent[0]["temperature"] == 0.2 and sent[0]["max_tokens"] == 300
    assert [m["role"] for m in sent[0]["messages"]] == ["system", "user", "assistant", "tool"]
    assert sent[0]["messages"][2]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert sent[0]["tools"][0]["function"]["name"] == "get_weather"
    assert "Bundle up" in json.dumps(read_trace(fork).llm_spans[-1].output)


def test_anthropic_span_is_rebuilt_as_an_anthropic_request_and_replays(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    path = _write(tmp_path / "run.json", [_span("0000000000000005", "chat", _llm_attrs("anthropic", True))])
    step = open_trace(path).llm_spans[0]
    assert step.input["provider"] == "anthropic" and step.llm.replayable
    assert step.llm.answer_text == "Cold: -3C."
    fork = tmp_path / "fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("Wear a coat."))
        result = CliRunner().invoke(
            app, ["replay", str(path), "--from", "last-llm", "--base-url", server.base_url, "-o", str(fork)]
        )
        sent = [r for r in server.requests]
    assert result.exit_code == 0, result.output
    assert sent[0].path.endswith("/messages")
    body = sent[0].json
    assert body["system"] == "You forecast weather." and body["max_tokens"] == 300
    assert body["messages"][1]["content"][0]["type"] == "tool_use"
    assert body["messages"][2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "call_1",
        "content": "-3C, snow",
    }
    assert body["tools"][0]["name"] == "get_weather" and body["tools"][0]["input_schema"] == WEATHER_SCHEMA
