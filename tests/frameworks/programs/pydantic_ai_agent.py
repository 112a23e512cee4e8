"""A pydantic-ai agent with two tools on an OpenAI model (its own client, built inside), recorded by instrument().

Run by tests/frameworks/test_code_replay.py, as recorded and under ``agentdbg replay ... -- python this.py``.
"""

from __future__ import annotations

import os

import agentdbg

agentdbg.instrument()

from pydantic_ai import Agent  # noqa: E402 - after instrument(), as a user would write it
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402


def get_weather(city: str) -> str:
    """The weather in a city."""
    with open(os.environ["FW_LOG"], "a") as log:
        log.write(f"get_weather({city})\n")
    return f"sunny in {city}"


def get_time(city: str) -> str:
    """The local time in a city."""
    with open(os.environ["FW_LOG"], "a") as log:
        log.write(f"get_time({city})\n")
    return f"12:00 in {city}"


def main() -> None:
    provider = OpenAIProvider(base_url=os.environ["FW_BASE_URL"] + "/v1", api_key="k")
    agent = Agent(OpenAIChatModel("gpt-4o", provider=provider), tools=[get_weather, get_time])
    with agentdbg.trace("pydantic-ai-agent", path=os.environ["FW_TRACE"]):
        print(agent.run_sync("Weather and time in Paris?").output)


if __name__ == "__main__":
    main()
