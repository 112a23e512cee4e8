"""A user's own openai-agents program (Runner.run_streamed on the Responses model), instrumented.

    python agents_weather.py "Weather in Paris?"

Its tools are plain functions under ``@function_tool`` and ``@agentdbg.tool``; each call is appended
to $WEATHER_LOG (the side effect code-level replay must not repeat before the fork).
"""

from __future__ import annotations

import asyncio
import os
import sys

from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI

import agentdbg


@function_tool
@agentdbg.tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    with open(os.environ["WEATHER_LOG"], "a", encoding="utf-8") as log:
        log.write(city + "\n")
    return f"sunny in {city}"


async def main(question: str) -> str:
    set_tracing_disabled(True)  # its own tracing would send spans to OpenAI
    client = AsyncOpenAI(base_url=os.environ["WEATHER_BASE_URL"], max_retries=0)
    agent = Agent(
        name="weather",
        instructions=os.environ.get("WEATHER_SYSTEM", "Answer briefly."),
        tools=[get_weather],
        model=OpenAIResponsesModel("gpt-4.1-mini", client),
    )
    result = Runner.run_streamed(agent, question)
    async for _event in result.stream_events():
        pass
    return str(result.final_output)


if __name__ == "__main__":
    agentdbg.instrument()
    with agentdbg.trace("agents-weather", path=os.environ["WEATHER_TRACE"]):
        print(asyncio.run(main(sys.argv[1])))
