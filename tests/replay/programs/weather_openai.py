"""A user's own weather agent on the OpenAI SDK (chat completions), as a user would write it.

    python weather_openai.py "What's the weather in Paris?" [--stream | --helper | --async | --responses]

Its tool writes each call to $WEATHER_LOG (the side effect replay must not repeat before the fork).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from openai import AsyncOpenAI, OpenAI

import agentdbg

SYSTEM = os.environ.get("WEATHER_SYSTEM", "You are a weather assistant. Use the tool.")
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city.",
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
    with open(os.environ["WEATHER_LOG"], "a", encoding="utf-8") as log:
        log.write(city + "\n")
    return f"18C and sunny in {city}"


def ask(client: OpenAI, messages: list, mode: str):
    if mode == "--stream":
        text, calls = "", {}
        for chunk in client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOLS, stream=True
        ):
            delta = chunk.choices[0].delta if chunk.choices else None
            if delta is None:
                continue
            text += delta.content or ""
            for call in delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] = call.id or entry["id"]
                entry["name"] = (call.function.name or "") or entry["name"]
                entry["arguments"] += call.function.arguments or ""
        message = {"role": "assistant", "content": text or None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"]},
                }
                for c in calls.values()
            ]
        return message
    if mode == "--helper":
        with client.chat.completions.stream(model="gpt-4o-mini", messages=messages, tools=TOOLS) as stream:
            for _ in stream:
                pass
            completion = stream.get_final_completion()
        return completion.choices[0].message.model_dump(exclude_none=True, exclude={"parsed"})
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    return completion.choices[0].message.model_dump(exclude_none=True)


def run(question: str, mode: str) -> str:
    client = agentdbg.wrap_openai(OpenAI(base_url=os.environ["WEATHER_BASE_URL"], max_retries=0))
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    for _ in range(5):
        message = ask(client, messages, mode)
        messages.append(message)
        if not message.get("tool_calls"):
            return message.get("content") or ""
        for call in message["tool_calls"]:
            result = get_weather(**json.loads(call["function"]["arguments"]))
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    return "(gave up)"


async def run_async(question: str) -> str:
    client = agentdbg.wrap_openai(AsyncOpenAI(base_url=os.environ["WEATHER_BASE_URL"], max_retries=0))
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    for _ in range(5):
        completion = await client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        message = completion.choices[0].message.model_dump(exclude_none=True)
        messages.append(message)
        if not message.get("tool_calls"):
            return message.get("content") or ""
        for call in message["tool_calls"]:
            result = get_weather(**json.loads(call["function"]["arguments"]))
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    return "(gave up)"


if __name__ == "__main__":
    question, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    with agentdbg.trace("weather", path=os.environ.get("WEATHER_TRACE", "weather.jsonl")):
        answer = asyncio.run(run_async(question)) if mode == "--async" else run(question, mode)
    print(answer)
