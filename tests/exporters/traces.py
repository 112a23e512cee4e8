"""A realistic multi-provider trace file for the exporter tests: agent → llm/tool loop, sub-agent, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

T0 = 1764150000.0

HEADER = {
    "type": "trace",
    "schema_version": 1,
    "trace_id": "run-7f3a",
    "name": "travel-agent",
    "started_at": T0,
    "metadata": {"user": "qa"},
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

CHAT_REQUEST_1 = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are a travel assistant."},
        {"role": "user", "content": "Should I pack an umbrella for Paris?"},
    ],
    "tools": [WEATHER_TOOL],
    "temperature": 0.2,
    "max_tokens": 400,
}

CHAT_RESPONSE_1 = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99},
}

CHAT_REQUEST_2 = {
    **CHAT_REQUEST_1,
    "messages": [
        *CHAT_REQUEST_1["messages"],
        CHAT_RESPONSE_1["choices"][0]["message"],
        {"role": "tool", "tool_call_id": "call_1", "content": "18°C, light rain"},
    ],
}

CHAT_RESPONSE_2 = {
    "id": "chatcmpl-2",
    "object": "chat.completion",
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Yes: light rain, 18°C. Pack it."},
        }
    ],
    "usage": {
        "prompt_tokens": 120,
        "completion_tokens": 12,
        "total_tokens": 132,
        "prompt_tokens_details": {"cached_tokens": 64},
    },
}

ANTHROPIC_REQUEST = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 1024,
    "system": "You summarise bookings.",
    "messages": [
        {"role": "user", "content": "Find my hotel booking."},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "lookup_booking", "input": {"kind": "hotel"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "no booking", "is_error": True}
            ],
        },
    ],
    "tools": [
        {"name": "lookup_booking", "description": "Find a booking", "input_schema": {"type": "object"}}
    ],
}

ANTHROPIC_ERROR = {
    "type": "APIStatusError",
    "message": "Error code: 529 - overloaded",
    "status_code": 529,
    "body": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
}


def _span(
    span_id: str, parent: str | None, kind: str, name: str, start: float, end: float | None, **rest: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "span",
        "id": span_id,
        "parent_id": parent,
        "kind": kind,
        "name": name,
        "started_at": T0 + start,
    }
    if end is not None:
        record["ended_at"] = T0 + end
    record.update(rest)
    return record


def travel_records() -> list[dict[str, Any]]:
    """Agent → chat (tool call) → tool → chat (answer); a sub-agent whose Anthropic call fails; a crashed tool."""
    return [
        HEADER,
        _span("root", None, "agent", "travel-agent", 0.0, 9.0),
        _span(
            "llm-1",
            "root",
            "llm",
            "openai.chat",
            0.1,
            1.3,
            input={"provider": "openai", "api": "chat.completions", "request": CHAT_REQUEST_1},
            output=CHAT_RESPONSE_1,
            usage={"input_tokens": 82, "output_tokens": 17, "total_tokens": 99},
            attributes={"ttft": 0.42, "request_id": "req_1"},
        ),
        _span(
            "tool-1",
            "root",
            "tool",
            "get_weather",
            1.4,
            1.6,
            input={"name": "get_weather", "arguments": {"city": "Paris"}, "call_id": "call_1"},
            output="18°C, light rain",
        ),
        _span(
            "llm-2",
            "root",
            "llm",
            "openai.chat",
            1.7,
            2.5,
            input={"provider": "openai", "api": "chat.completions", "request": CHAT_REQUEST_2},
            output=CHAT_RESPONSE_2,
            usage={"input_tokens": 120, "output_tokens": 12, "total_tokens": 132, "cached_input_tokens": 64},
        ),
        _span("sub", "root", "agent", "booking-agent", 3.0, 8.0),
        _span(
            "llm-3",
            "sub",
            "llm",
            "anthropic.messages",
            3.1,
            4.0,
            input={"provider": "anthropic", "api": "messages", "request": ANTHROPIC_REQUEST},
            output=None,
            error=ANTHROPIC_ERROR,
        ),
        {
            "type": "span_start",
            "id": "tool-2",
            "parent_id": "sub",
            "kind": "tool",
            "name": "send_email",
            "started_at": T0 + 4.5,
            "input": {"name": "send_email", "arguments": {"to": "qa@example.com"}, "call_id": "call_9"},
        },
    ]


def write_records(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8"
    )
    return path


def travel_trace_file(directory: Path) -> Path:
    return write_records(directory / "travel.jsonl", travel_records())


RESPONSES_REQUEST = {
    "model": "gpt-4.1",
    "instructions": "Answer briefly.",
    "input": [{"role": "user", "content": [{"type": "input_text", "text": "Weather in Oslo?"}]}],
    "tools": [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Current weather",
            "parameters": {"type": "object"},
        }
    ],
    "max_output_tokens": 300,
}

RESPONSES_RESPONSE = {
    "id": "resp_1",
    "object": "response",
    "model": "gpt-4.1-2025-04-14",
    "status": "completed",
    "output": [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Need the weather tool."}],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_oslo",
            "name": "get_weather",
            "arguments": '{"city": "Oslo"}',
        },
    ],
    "usage": {
        "input_tokens": 40,
        "output_tokens": 22,
        "total_tokens": 62,
        "output_tokens_details": {"reasoning_tokens": 10},
    },
}

ANTHROPIC_OK_REQUEST = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 512,
    "system": [{"type": "text", "text": "You plan trips."}],
    "messages": [{"role": "user", "content": "Plan a day in Oslo."}],
    "stop_sequences": ["END"],
}

ANTHROPIC_OK_RESPONSE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "stop_reason": "tool_use",
    "content": [
        {"type": "thinking", "thinking": "Check the weather first.", "signature": "sig"},
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Oslo"}},
    ],
    "usage": {
        "input_tokens": 30,
        "output_tokens": 25,
        "cache_read_input_tokens": 12,
        "cache_creation_input_tokens": 5,
    },
}


def provider_mix_records() -> list[dict[str, Any]]:
    """An OpenAI Responses call with reasoning and a function call, and an Anthropic call with thinking and tool_use."""
    return [
        {**HEADER, "trace_id": "0af7651916cd43dd8448eb211c80319c", "name": "mix"},
        _span(
            "a1b2c3d4e5f60718",
            None,
            "llm",
            "openai.responses",
            0.0,
            1.0,
            input={"provider": "openai", "api": "responses", "request": RESPONSES_REQUEST},
            output=RESPONSES_RESPONSE,
            usage={"input_tokens": 40, "output_tokens": 22, "total_tokens": 62, "reasoning_tokens": 10},
        ),
        _span(
            "anthropic-ok",
            None,
            "llm",
            "anthropic.messages",
            1.0,
            2.0,
            input={"provider": "anthropic", "api": "messages", "request": ANTHROPIC_OK_REQUEST},
            output=ANTHROPIC_OK_RESPONSE,
            usage={
                "input_tokens": 30,
                "output_tokens": 25,
                "cached_input_tokens": 12,
                "cache_creation_input_tokens": 5,
            },
            origin="patched",
        ),
        _span(
            "note",
            None,
            "custom",
            "checkpoint",
            2.0,
            2.1,
            input={"k": [1, 2.5, True, None]},
            output={"ok": True},
        ),
    ]
