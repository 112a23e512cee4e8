"""Builders for small, realistic trace files used by the foundation tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEADER = {"type": "trace", "schema_version": 1, "trace_id": "t-1", "name": "weather-bot", "started_at": 1764150000.0}

CHAT_REQUEST = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are a weather assistant."},
        {"role": "user", "content": "What's the weather in Paris?"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
    ],
    "temperature": 0,
}

CHAT_RESPONSE = {
    "id": "chatcmpl-1",
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99},
}


def llm_span(span_id: str, parent: str | None, request: dict[str, Any], response: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "span",
        "id": span_id,
        "parent_id": parent,
        "kind": "llm",
        "name": f"chat {request.get('model')}",
        "started_at": 1764150000.5,
        "ended_at": 1764150001.7,
        "input": {"provider": "openai", "api": "chat.completions", "request": request},
        "output": response,
        "usage": {"input_tokens": 82, "output_tokens": 17},
        **extra,
    }


def healthy_records() -> list[dict[str, Any]]:
    return [
        HEADER,
        {"type": "span_start", "id": "root", "kind": "agent", "name": "support-bot", "started_at": 1764150000.0},
        llm_span("llm-1", "root", CHAT_REQUEST, CHAT_RESPONSE),
        {
            "type": "span_start",
            "id": "tool-1",
            "parent_id": "root",
            "kind": "tool",
            "name": "get_weather",
            "started_at": 1764150001.8,
            "input": {"name": "get_weather", "arguments": {"city": "Paris"}, "call_id": "call_1"},
        },
        {"type": "span_end", "id": "tool-1", "ended_at": 1764150002.0, "output": "18°C, light rain"},
        {"type": "span_end", "id": "root", "ended_at": 1764150003.0},
    ]


def write_lines(path: Path, lines: list[Any], trailing_newline: bool = True) -> Path:
    """Write records (dicts → JSON, str/bytes → as is) one per line."""
    chunks: list[bytes] = []
    for line in lines:
        if isinstance(line, bytes):
            chunks.append(line)
        elif isinstance(line, str):
            chunks.append(line.encode())
        else:
            chunks.append(json.dumps(line).encode())
    data = b"\n".join(chunks) + (b"\n" if trailing_newline else b"")
    path.write_bytes(data)
    return path
