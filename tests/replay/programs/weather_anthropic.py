"""A user's own weather agent on the Anthropic SDK (messages), as a user would write it.

    python weather_anthropic.py "What's the weather in Paris?" [--stream | --async]

Its tool writes each call to $WEATHER_LOG (the side effect replay must not repeat before the fork).
"""

from __future__ import annotations

import asyncio
import os
import sys

from anthropic import Anthropic, AsyncAnthropic

import agentdbg

SYSTEM = os.environ.get("WEATHER_SYSTEM", "You are a weather assistant. Use the tool.")
TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]
MODEL = "claude-fake-model"


@agentdbg.tool
def get_weather(city: str) -> str:
    with open(os.environ["WEATHER_LOG"], "a", encoding="utf-8") as log:
        log.write(city + "\n")
    return f"18C and sunny in {city}"


def answer_turn(messages: list, content: list) -> bool:
    """Append the assistant turn and the tool results; True when the model is done."""
    messages.append({"role": "assistant", "content": content})
    uses = [block for block in content if block["type"] == "tool_use"]
    if not uses:
        return True
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": use["id"], "content": get_weather(**use["input"])}
                for use in uses
            ],
        }
    )
    return False


def run(question: str, mode: str) -> str:
    client = agentdbg.wrap_anthropic(Anthropic(base_url=os.environ["WEATHER_BASE_URL"], max_retries=0))
    messages = [{"role": "user", "content": question}]
    for _ in range(5):
        if mode == "--stream":
            with client.messages.stream(
                model=MODEL, max_tokens=256, system=SYSTEM, messages=messages, tools=TOOLS
            ) as stream:
                for _event in stream:
                    pass
                message = stream.get_final_message()
        else:
            message = client.messages.create(
                model=MODEL, max_tokens=256, system=SYSTEM, messages=messages, tools=TOOLS
            )
        content = [block.model_dump(exclude_none=True) for block in message.content]
        if answer_turn(messages, content):
            return "".join(block.get("text", "") for block in content)
    return "(gave up)"


async def run_async(question: str) -> str:
    client = agentdbg.wrap_anthropic(AsyncAnthropic(base_url=os.environ["WEATHER_BASE_URL"], max_retries=0))
    messages = [{"role": "user", "content": question}]
    for _ in range(5):
        message = await client.messages.create(
            model=MODEL, max_tokens=256, system=SYSTEM, messages=messages, tools=TOOLS
        )
        content = [block.model_dump(exclude_none=True) for block in message.content]
        if answer_turn(messages, content):
            return "".join(block.get("text", "") for block in content)
    return "(gave up)"


if __name__ == "__main__":
    question, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    with agentdbg.trace("weather", path=os.environ.get("WEATHER_TRACE", "weather.jsonl")):
        answer = asyncio.run(run_async(question)) if mode == "--async" else run(question, mode)
    print(answer)
