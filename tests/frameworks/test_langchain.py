"""LangChain + LangGraph: create_agent with ChatOpenAI / ChatAnthropic (clients built inside), under instrument()."""

from __future__ import annotations

import pytest

from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import FINAL, WEATHER, check_replays, check_run, get_time, get_weather, require, run_both_ways


def _agent(provider: str, stream: bool):
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    tools = [tool(get_weather), tool(get_time)]

    def run(server):
        if provider == "openai":
            from langchain_openai import ChatOpenAI

            model = ChatOpenAI(
                model="gpt-4o", base_url=server.base_url + "/v1", api_key="k", streaming=stream
            )
        else:
            from langchain_anthropic import ChatAnthropic

            model = ChatAnthropic(
                model="claude-sonnet-4-5", base_url=server.base_url, api_key="k", streaming=stream
            )
        agent = create_agent(model, tools=tools, system_prompt="Answer briefly.")
        state = agent.invoke({"messages": [{"role": "user", "content": "Weather and time in Paris?"}]})
        return [
            (type(m).__name__, m.text, [c["name"] for c in getattr(m, "tool_calls", [])])
            for m in state["messages"]
        ]

    return run


@pytest.mark.parametrize(("provider", "stream"), [("openai", False), ("anthropic", True)])
def test_langgraph_agent(tmp_path, provider, stream):
    require("langchain", "langgraph", "langchain_openai", "langchain_anthropic")
    run = run_both_ways(tmp_path, _agent(provider, stream))
    assert run.output[-1] == ("AIMessage", FINAL, [])
    assert [kind for kind, _, _ in run.output] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]
    check_run(run, provider=provider, stream=stream)
    base = "/v1" if provider == "openai" else ""
    check_replays(run, base_url=base, replies_after_tool=[tool_call_reply("get_time", WEATHER), reply(FINAL)])
