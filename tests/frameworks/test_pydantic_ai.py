"""pydantic-ai: tools, streaming, the output tool (final_result) and UnexpectedModelBehavior, under instrument()."""

from __future__ import annotations

import pytest

import agentdbg
from agentdbg.analysis import diagnose
from agentdbg.store import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply

from .conftest import (
    FINAL,
    WEATHER,
    check_replays,
    check_run,
    get_time,
    get_weather,
    require,
    run_both_ways,
    script,
)


def _model(provider: str, server):
    if provider == "openai":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        return OpenAIChatModel(
            "gpt-4o", provider=OpenAIProvider(base_url=server.base_url + "/v1", api_key="k")
        )
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    return AnthropicModel(
        "claude-sonnet-4-5", provider=AnthropicProvider(base_url=server.base_url, api_key="k")
    )


def _agent(provider: str, stream: bool, output_type=str):
    from pydantic_ai import Agent

    def run(server):
        agent = Agent(
            _model(provider, server),
            system_prompt="Answer briefly.",
            tools=[get_weather, get_time],
            output_type=output_type,
        )
        if not stream:
            return agent.run_sync("Weather and time in Paris?").output
        with agent.run_stream_sync("Weather and time in Paris?") as result:
            return result.get_output()

    return run


# pydantic-ai's Anthropic model streams every request, even for run_sync.
@pytest.mark.parametrize(
    ("provider", "stream", "streamed"), [("openai", True, True), ("anthropic", False, True)]
)
def test_pydantic_ai(tmp_path, provider, stream, streamed):
    require("pydantic_ai")
    run = run_both_ways(tmp_path, _agent(provider, stream))
    assert run.output == FINAL
    check_run(run, provider=provider, stream=streamed)
    base = "/v1" if provider == "openai" else ""
    check_replays(run, base_url=base, replies_after_tool=[tool_call_reply("get_time", WEATHER), reply(FINAL)])


def test_pydantic_ai_output_tool_is_the_final_answer(tmp_path):
    require("pydantic_ai")
    from pydantic import BaseModel

    class Forecast(BaseModel):
        city: str
        sky: str

    final = tool_call_reply("final_result", {"city": "Paris", "sky": "sunny"})
    run = run_both_ways(tmp_path, _agent("openai", False, Forecast), script(final))
    assert run.output == Forecast(city="Paris", sky="sunny")
    check_run(run, provider="openai")  # no false "run ended without a final answer"
    with FakeLLMServer(seed=3) as server:
        server.enqueue(tool_call_reply("get_time", WEATHER), final)
        from agentdbg.replay import replay

        result = replay(run.trace, "step-3", output=tmp_path / "fork.jsonl", base_url=server.base_url + "/v1")
    assert result.status == "finished" and '"sky": "sunny"' in result.new_answer


def test_unexpected_model_behavior_escaping_trace_is_recorded(tmp_path):
    require("pydantic_ai")
    from pydantic_ai import Agent
    from pydantic_ai.exceptions import UnexpectedModelBehavior

    path = tmp_path / "failed.jsonl"
    agentdbg.instrument()
    with FakeLLMServer(seed=2) as server:
        server.enqueue(*[tool_call_reply("no_such_tool", {}) for _ in range(4)])
        agent = Agent(_model("openai", server), tools=[get_weather], retries=1)
        with pytest.raises(UnexpectedModelBehavior) as raised, agentdbg.trace("failing", path=path):
            agent.run_sync("Weather?")
    trace = read_trace(path)
    last = trace.spans[-1]
    assert last.attributes["run_error"] and last.error.type == "UnexpectedModelBehavior"
    assert str(raised.value) in last.error.message
    assert "the run raised UnexpectedModelBehavior" in [f.title for f in diagnose(trace)]


def test_a_decorated_tool_inside_a_framework_is_not_doubled(tmp_path):
    require("pydantic_ai")
    from pydantic_ai import Agent

    decorated = agentdbg.tool(get_weather)

    def run(server):
        return (
            Agent(_model("openai", server), tools=[decorated, get_time]).run_sync("Weather and time?").output
        )

    run_result = run_both_ways(tmp_path, run)
    check_run(run_result, provider="openai")
    weather, time_step = run_result.trace.tool_spans
    assert "derived" not in weather.attributes and weather.tool.call_id  # recorded by the decorator, linked
    assert time_step.attributes["derived"] == "conversation"
