"""openai-agents: Runner.run / run_streamed on the Responses and Chat Completions models, captured by instrument()."""

from __future__ import annotations

import asyncio

import pytest

from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import FINAL, WEATHER, check_replays, check_run, get_time, get_weather, require, run_both_ways


def _agent(api: str, stream: bool):
    from agents import (
        Agent,
        OpenAIChatCompletionsModel,
        OpenAIResponsesModel,
        Runner,
        function_tool,
        set_tracing_disabled,
    )
    from openai import AsyncOpenAI

    set_tracing_disabled(True)  # its own tracing would send spans to OpenAI
    tools = [function_tool(get_weather), function_tool(get_time)]

    def run(server):
        client = AsyncOpenAI(base_url=server.base_url + "/v1", api_key="test-key")
        model_class = OpenAIResponsesModel if api == "responses" else OpenAIChatCompletionsModel
        agent = Agent(
            name="weather", instructions="Answer briefly.", tools=tools, model=model_class("gpt-4o", client)
        )

        async def go():
            if not stream:
                return (await Runner.run(agent, "Weather and time in Paris?")).final_output
            result = Runner.run_streamed(agent, "Weather and time in Paris?")
            async for _ in result.stream_events():
                pass
            return result.final_output

        return asyncio.run(go())

    return run


@pytest.mark.parametrize(("api", "stream"), [("responses", False), ("chat", True)])
def test_openai_agents(tmp_path, api, stream):
    require("agents")
    run = run_both_ways(tmp_path, _agent(api, stream))
    assert run.output == FINAL
    check_run(run, provider="openai", stream=stream)
    check_replays(
        run, base_url="/v1", replies_after_tool=[tool_call_reply("get_time", WEATHER), reply(FINAL)]
    )
