"""A small captured agent run (two llm calls around one tool, or a failing llm call), in its own process.

    python tests/backends/agent_run.py OUT.jsonl ok|fail

The environment decides the push (``AGENTDBG_EXPORT=otlp`` and the ``OTEL_EXPORTER_OTLP_*`` variables).
"""

from __future__ import annotations

import sys
import time

from openai import OpenAI

import agentdbg
from agentdbg.testing.llm_server import FakeLLMServer, error_reply, reply, tool_call_reply

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@agentdbg.tool
def get_weather(city: str) -> str:
    return f"-3C, snow in {city}"


def main(path: str, outcome: str) -> None:
    with FakeLLMServer() as server:
        server.enqueue(tool_call_reply("get_weather", {"city": "Oslo"}))
        server.enqueue(
            reply("It is -3C in Oslo.") if outcome == "ok" else error_reply(500, "upstream overloaded")
        )
        client = agentdbg.wrap_openai(OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0))
        with agentdbg.trace(f"weather-{outcome}", path=path), agentdbg.span("weather-agent", kind="agent"):
            messages: list[dict] = [{"role": "user", "content": "Weather in Oslo?"}]
            answer = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)  # type: ignore[arg-type]
            call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
            messages.append(answer.choices[0].message.model_dump(exclude_none=True))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": get_weather("Oslo")})
            try:
                client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - the failing run records its error and ends normally
                print(f"failed as planned: {type(exc).__name__}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    print(f"body ended at {time.time()!r}")  # the tests measure what the exit adds after this
