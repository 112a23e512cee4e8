"""Record a small agent run made with the official OpenAI and Anthropic SDKs against the local fake server.

The records are written one JSON object per line exactly as the trace format (schema 1) says:
request as sent, ``model_dump()`` of the response, neutral usage; so the exporters see real SDK
output shapes. (Plain lines, not ``TraceWriter``, keep these tests independent of writer options.)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anthropic
import openai

from agentdbg.model.views import OPENAI_CHAT, usage_from_response
from agentdbg.testing.llm_server import FakeLLMServer, error_reply, reply, tool_call_reply

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


class _Lines:
    """Appends one JSON line per record."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in __exit__

    def write(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def _weather(city: str) -> str:
    return f"{city}: 18°C, light rain"


def record_sdk_run(path: Path) -> Path:
    """agent → chat (asks get_weather) → tool → chat (answers) → anthropic call that fails with HTTP 400."""
    with FakeLLMServer() as server, _Lines(path) as writer:
        server.enqueue(
            tool_call_reply(
                "get_weather", {"city": "Paris"}, usage={"input_tokens": 82, "output_tokens": 17}
            ),
            reply(
                "Yes: light rain in Paris, pack an umbrella.",
                usage={"input_tokens": 120, "output_tokens": 12},
            ),
            error_reply(400, "messages: roles must alternate", type="invalid_request_error"),
        )
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key="test-key", max_retries=0)
        claude = anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0)
        writer.write(
            {
                "type": "trace",
                "schema_version": 1,
                "trace_id": "sdk-run-1",
                "name": "umbrella",
                "started_at": time.time(),
            }
        )
        writer.write(
            {
                "type": "span_start",
                "id": "agent",
                "kind": "agent",
                "name": "umbrella-agent",
                "started_at": time.time(),
            }
        )

        messages: list[dict[str, Any]] = [
            {"role": "system", "content": "You are a travel assistant."},
            {"role": "user", "content": "Should I pack an umbrella for Paris?"},
        ]
        for turn in (1, 2):
            request = {
                "model": "gpt-4o-mini",
                "messages": list(messages),
                "tools": [WEATHER_TOOL],
                "temperature": 0.0,
            }
            started = time.time()
            response = client.chat.completions.create(**request).model_dump()
            writer.write(
                {
                    "type": "span",
                    "id": f"llm-{turn}",
                    "parent_id": "agent",
                    "kind": "llm",
                    "name": "openai.chat.completions",
                    "started_at": started,
                    "ended_at": time.time(),
                    "input": {"provider": "openai", "api": "chat.completions", "request": request},
                    "output": response,
                    "usage": usage_from_response(OPENAI_CHAT, response).model_dump(exclude_none=True),  # type: ignore[union-attr]
                }
            )
            message = response["choices"][0]["message"]
            messages.append({k: v for k, v in message.items() if v is not None})
            for call in message.get("tool_calls") or []:
                arguments = json.loads(call["function"]["arguments"])
                started = time.time()
                result = _weather(**arguments)
                writer.write(
                    {
                        "type": "span",
                        "id": f"tool-{call['id']}",
                        "parent_id": "agent",
                        "kind": "tool",
                        "name": call["function"]["name"],
                        "started_at": started,
                        "ended_at": time.time(),
                        "input": {
                            "name": call["function"]["name"],
                            "arguments": arguments,
                            "call_id": call["id"],
                        },
                        "output": result,
                    }
                )
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})

        request = {
            "model": "claude-sonnet-4-6",
            "max_tokens": 256,
            "system": "Summarise the advice.",
            "messages": [{"role": "user", "content": messages[-1]["content"]}],
        }
        started = time.time()
        try:
            claude.messages.create(**request)
        except anthropic.APIStatusError as exc:
            error = {
                "type": type(exc).__name__,
                "message": str(exc),
                "status_code": exc.status_code,
                "body": exc.body,
            }
        writer.write(
            {
                "type": "span",
                "id": "llm-3",
                "parent_id": "agent",
                "kind": "llm",
                "name": "anthropic.messages",
                "started_at": started,
                "ended_at": time.time(),
                "input": {"provider": "anthropic", "api": "messages", "request": request},
                "output": None,
                "error": error,
            }
        )
        writer.write(
            {"type": "span_end", "id": "agent", "ended_at": time.time(), "output": messages[-1]["content"]}
        )
    return path
