"""litellm: completion() with tools on OpenAI (through the SDK) and Anthropic (its own httpx path), under instrument()."""

from __future__ import annotations

import json

import pytest

from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import FINAL, WEATHER, check_replays, check_run, get_time, get_weather, require, run_both_ways

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": function.__name__,
            "description": function.__doc__,
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    for function in (get_weather, get_time)
]
FUNCTIONS = {"get_weather": get_weather, "get_time": get_time}


def _agent(provider: str, stream: bool):
    import litellm

    def run(server):
        if provider == "openai":
            options = {"model": "openai/gpt-4o", "api_base": server.base_url + "/v1", "api_key": "k"}
        else:
            options = {"model": "anthropic/claude-sonnet-4-5", "api_base": server.base_url, "api_key": "k"}
        messages: list = [{"role": "user", "content": "Weather and time in Paris?"}]
        while True:
            if stream:
                chunks = list(litellm.completion(messages=messages, tools=TOOLS, stream=True, **options))
                response = litellm.stream_chunk_builder(chunks, messages=messages)
            else:
                response = litellm.completion(messages=messages, tools=TOOLS, **options)
            message = response.choices[0].message
            if not message.tool_calls:
                return message.content
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls:
                result = FUNCTIONS[call.function.name](**json.loads(call.function.arguments))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})

    return run


@pytest.mark.parametrize(
    ("provider", "stream"), [("openai", True), ("anthropic", False), ("anthropic", True)]
)
def test_litellm_tool_loop(tmp_path, provider, stream):
    require("litellm")
    run = run_both_ways(tmp_path, _agent(provider, stream))
    assert run.output == FINAL
    check_run(run, provider=provider, stream=stream)
    base = "/v1" if provider == "openai" else ""
    check_replays(run, base_url=base, replies_after_tool=[tool_call_reply("get_time", WEATHER), reply(FINAL)])
