"""A litellm tool loop on an Anthropic model (litellm's own httpx path, no SDK), recorded by instrument().

Run by tests/frameworks/test_code_replay.py, as recorded and under ``agentdbg replay ... -- python this.py``.
"""

from __future__ import annotations

import json
import os

import agentdbg

agentdbg.instrument()

import litellm  # noqa: E402 - after instrument(), as a user would write it

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": name,
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    for name in ("get_weather", "get_time")
]


def run_tool(name: str, city: str) -> str:
    with open(os.environ["FW_LOG"], "a") as log:
        log.write(f"{name}({city})\n")
    return f"sunny in {city}" if name == "get_weather" else f"12:00 in {city}"


def main() -> None:
    options = {"model": "anthropic/claude-sonnet-4-5", "api_base": os.environ["FW_BASE_URL"], "api_key": "k"}
    messages: list = [{"role": "user", "content": "Weather and time in Paris?"}]
    with agentdbg.trace("litellm-agent", path=os.environ["FW_TRACE"]):
        while True:
            message = litellm.completion(messages=messages, tools=TOOLS, **options).choices[0].message
            if not message.tool_calls:
                break
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls:
                result = run_tool(call.function.name, **json.loads(call.function.arguments))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    print(message.content)


if __name__ == "__main__":
    main()
