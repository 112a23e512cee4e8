"""A tiny tool-calling agent that records its run as a trace, for replay tests.

It talks to the FakeLLMServer through the real SDKs and writes the trace with
``TraceWriter`` exactly as the DESIGN schema says (request as sent, response as
returned), so replay tests start from a realistic recorded run.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentdbg.model.records import TraceHeader
from agentdbg.providers import ToolResult, adapter_for
from agentdbg.store.writer import TraceWriter

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
MODELS = {
    "openai.chat.completions": "gpt-4o-mini",
    "openai.responses": "gpt-4.1-mini",
    "anthropic.messages": "claude-fake-model",
}
APIS = list(MODELS)


def tool_specs(api: str, names: list[str]) -> list[dict[str, Any]]:
    """Tool definitions in the wire format of ``api``."""
    specs = []
    for name in names:
        description = f"The {name} tool."
        if api == "openai.chat.completions":
            specs.append(
                {
                    "type": "function",
                    "function": {"name": name, "description": description, "parameters": WEATHER_SCHEMA},
                }
            )
        elif api == "openai.responses":
            specs.append(
                {"type": "function", "name": name, "description": description, "parameters": WEATHER_SCHEMA}
            )
        else:
            specs.append({"name": name, "description": description, "input_schema": WEATHER_SCHEMA})
    return specs


def first_request(api: str, system: str, user: str, tools: list[str]) -> dict[str, Any]:
    """The agent's opening request for ``api``."""
    model = MODELS[api]
    if api == "openai.chat.completions":
        return {
            "model": model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "tools": tool_specs(api, tools),
            "temperature": 0,
        }
    if api == "openai.responses":
        return {
            "model": model,
            "instructions": system,
            "input": [{"role": "user", "content": user}],
            "tools": tool_specs(api, tools),
        }
    return {
        "model": model,
        "max_tokens": 512,
        "system": system,
        "messages": [{"role": "user", "content": user}],
        "tools": tool_specs(api, tools),
    }


def record_run(
    path: Path,
    server: Any,
    api: str,
    replies: list[Any],
    tools: dict[str, Callable[..., Any]],
    *,
    system: str = "You are a weather assistant. Answer in one sentence.",
    user: str = "What is the weather in Paris?",
    max_turns: int = 8,
    stream_flag: bool = False,
) -> Path:
    """Run the agent against ``server`` scripted with ``replies`` and write its trace to ``path``.

    ``stream_flag`` records the requests as if sent with ``stream: true`` (to test that replay drops it).
    The server's queue and request log are cleared afterwards.
    """
    adapter = adapter_for(api)
    base_url = server.base_url + ("/v1" if api.startswith("openai") else "")
    client = adapter.build_client(base_url, max_retries=0)
    server.enqueue(*replies)
    request = first_request(api, system, user, list(tools))
    with TraceWriter(path) as writer:
        writer.write_header(
            TraceHeader(trace_id=uuid.uuid4().hex, name="weather-agent", started_at=time.time())
        )
        root = "agent-" + uuid.uuid4().hex[:8]
        writer.write(
            {
                "type": "span_start",
                "id": root,
                "kind": "agent",
                "name": "agent",
                "started_at": time.time(),
                "input": user,
            }
        )
        answer = ""
        for turn in range(max_turns):
            recorded = (
                {**request, "stream": True, "stream_options": {"include_usage": True}}
                if stream_flag
                else request
            )
            if stream_flag and api == "anthropic.messages":
                recorded.pop("stream_options")
            span_id = f"llm-{turn}"
            started = time.time()
            sent = adapter.send(client, request)
            writer.write(
                {
                    "type": "span",
                    "id": span_id,
                    "parent_id": root,
                    "kind": "llm",
                    "name": api,
                    "started_at": started,
                    "ended_at": time.time(),
                    "input": {"provider": adapter.provider, "api": api.split(".", 1)[1], "request": recorded},
                    "output": sent.response,
                    "usage": sent.usage.model_dump(exclude_none=True) if sent.usage else None,
                    "attributes": {"model": request["model"], "stream": stream_flag},
                }
            )
            calls = adapter.tool_calls(sent.response)
            answer = adapter.final_text(sent.response)
            if not calls:
                break
            results = []
            for number, call in enumerate(calls):
                value = tools[call.name](**call.arguments)
                writer.write(
                    {
                        "type": "span",
                        "id": f"tool-{turn}-{number}",
                        "parent_id": root,
                        "kind": "tool",
                        "name": call.name,
                        "started_at": time.time(),
                        "ended_at": time.time(),
                        "input": {"name": call.name, "arguments": call.arguments, "call_id": call.call_id},
                        "output": value,
                    }
                )
                results.append(ToolResult(call, value if isinstance(value, str) else json.dumps(value)))
            request = adapter.append_turn(request, sent.response, results)
        writer.write({"type": "span_end", "id": root, "ended_at": time.time(), "output": answer})
    server.clear()
    return path


def weather(city: str) -> str:
    """The recorded tool: a fixed forecast per city."""
    return {"Paris": "18C and sunny", "Rome": "25C and clear"}.get(city, "unknown city")
