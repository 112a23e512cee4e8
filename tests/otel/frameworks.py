"""Small agents of real frameworks, instrumented with their own OpenTelemetry, against FakeLLMServer."""

from __future__ import annotations

import importlib.util
from typing import Any

from tests.parts import require_part

WEATHER = "-3C, snow"


def require(module: str) -> None:
    require_part("frameworks", importlib.util.find_spec(module) is not None, "pip install -e '.[frameworks]'")


def run_pydantic_ai(
    base_url: str, tracer_provider: Any, question: str = "Weather in Oslo?"
) -> tuple[str, Any]:
    """A one-tool pydantic-ai agent instrumented with ``tracer_provider``: its output and its own usage."""
    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel("gpt-4o", provider=OpenAIProvider(base_url=base_url, api_key="test-key"))
    agent = Agent(model, system_prompt="You forecast weather.")
    agent.instrument = InstrumentationSettings(tracer_provider=tracer_provider)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return WEATHER

    result = agent.run_sync(question)
    return str(result.output), result.usage()


def run_openai_agents(base_url: str, question: str = "Weather in Oslo?") -> Any:
    """A one-tool openai-agents agent on the Responses API; returns the SDK's run result."""
    from agents import Agent, OpenAIResponsesModel, Runner, function_tool
    from openai import AsyncOpenAI

    @function_tool
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return WEATHER

    client = AsyncOpenAI(base_url=base_url, api_key="test-key")
    agent = Agent(
        name="weather",
        instructions="You forecast weather.",
        tools=[get_weather],
        model=OpenAIResponsesModel("gpt-4o", openai_client=client),
    )
    return Runner.run_sync(agent, question)
