"""smolagents: a ToolCallingAgent whose tool calls and observations travel as text, ending with final_answer."""

from __future__ import annotations

from agentdbg.testing.llm_server import tool_call_reply

from .conftest import FINAL, WEATHER, check_replays, check_run, require, run_both_ways, script

FINAL_ANSWER = tool_call_reply("final_answer", {"answer": FINAL})


def _agent(stream: bool):
    from smolagents import OpenAIServerModel, ToolCallingAgent, tool

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city.

        Args:
            city: The city.
        """
        return f"sunny in {city}"

    @tool
    def get_time(city: str) -> str:
        """The local time in a city.

        Args:
            city: The city.
        """
        return f"12:00 in {city}"

    def run(server):
        model = OpenAIServerModel(model_id="gpt-4o", api_base=server.base_url + "/v1", api_key="k")
        agent = ToolCallingAgent(
            tools=[get_weather, get_time], model=model, max_steps=5, verbosity_level=0, stream_outputs=stream
        )
        return str(agent.run("Weather and time in Paris?"))

    return run


def test_smolagents_tool_calling_agent(tmp_path):
    require("smolagents")
    run = run_both_ways(tmp_path, _agent(False), script(FINAL_ANSWER))
    assert run.output == FINAL
    check_run(run, provider="openai")  # final_answer is the final answer: no false finding
    check_replays(
        run, base_url="/v1", replies_after_tool=[tool_call_reply("get_time", WEATHER), FINAL_ANSWER]
    )


def test_smolagents_streaming(tmp_path):
    require("smolagents")
    run = run_both_ways(tmp_path, _agent(True), script(FINAL_ANSWER))
    assert run.output == FINAL
    check_run(run, provider="openai", stream=True)


def test_smolagents_failed_tool_is_an_error_step(tmp_path):
    require("smolagents")
    from smolagents import OpenAIServerModel, ToolCallingAgent, tool

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city.

        Args:
            city: The city.
        """
        raise ValueError("station offline")

    def run(server):
        model = OpenAIServerModel(model_id="gpt-4o", api_base=server.base_url + "/v1", api_key="k")
        return str(
            ToolCallingAgent(tools=[get_weather], model=model, max_steps=3, verbosity_level=0).run("Weather?")
        )

    replies = [
        tool_call_reply("get_weather", WEATHER),
        tool_call_reply("final_answer", {"answer": "unknown"}),
    ]
    run = run_both_ways(tmp_path, run, replies)
    (failed,) = run.trace.tool_spans
    assert failed.tool.name == "get_weather" and failed.tool.arguments == WEATHER and failed.tool.call_id
    assert failed.error is not None and "ValueError: station offline" in failed.output
