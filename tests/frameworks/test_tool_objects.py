"""replay --tools with the tool objects frameworks have: results reach the model exactly as the framework sends them."""

from __future__ import annotations

import asyncio

import openai
import pytest
from typer.testing import CliRunner

import agentdbg
from agentdbg.cli import app
from agentdbg.replay import replay
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply

from .conftest import get_weather, require

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


async def aget_weather(city: str) -> str:
    """The weather in a city (async)."""
    await asyncio.sleep(0)
    return f"sunny in {city}"


def _recorded(tmp_path):
    path = tmp_path / "recorded.jsonl"
    with FakeLLMServer(seed=1) as server:
        server.enqueue(reply("I do not know."))
        client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key="k"))
        with agentdbg.trace("tools", path=path):
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Weather in Rome?"}], tools=TOOLS
            )
    return path


def _tool_objects():
    """(label, tools value) for every framework installed here."""
    from agents import function_tool
    from langchain_core.tools import StructuredTool, tool
    from llama_index.core.tools import FunctionTool as LlamaTool
    from pydantic_ai import Tool
    from smolagents import tool as smol_tool

    def smol_get_weather(city: str) -> str:
        """The weather in a city.

        Args:
            city: The city.
        """
        return f"sunny in {city}"

    smol_get_weather.__name__ = "get_weather"
    return [
        ("openai-agents FunctionTool", [function_tool(get_weather)]),
        ("openai-agents async FunctionTool", [function_tool(aget_weather, name_override="get_weather")]),
        ("LangChain StructuredTool", [tool(get_weather)]),
        (
            "LangChain coroutine-only tool",
            [StructuredTool.from_function(coroutine=aget_weather, name="get_weather", description="weather")],
        ),
        ("llama-index FunctionTool", [LlamaTool.from_defaults(fn=get_weather)]),
        ("pydantic-ai Tool", [Tool(get_weather)]),
        ("smolagents Tool", [smol_tool(smol_get_weather)]),
        ("async function in a dict", {"get_weather": aget_weather}),
    ]


def test_framework_tool_objects_answer_live(tmp_path):
    require("agents", "langchain_core", "llama_index.core", "pydantic_ai", "smolagents")
    recorded = _recorded(tmp_path)
    for number, (label, tools) in enumerate(_tool_objects()):
        with FakeLLMServer(seed=2) as server:
            server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}), reply("Sunny."))
            result = replay(
                recorded,
                "step-1",
                tools=tools,
                output=tmp_path / f"fork{number}.jsonl",
                base_url=server.base_url + "/v1",
            )
            assert result.status == "finished", (label, result)
            sent = server.requests[1].json["messages"][-1]
        assert sent["role"] == "tool" and sent["content"] == "sunny in Rome", (label, sent)


def test_tools_file_with_framework_objects_on_the_command_line(tmp_path, monkeypatch):
    require("langchain_core")
    recorded = _recorded(tmp_path)
    tools_file = tmp_path / "lc_tools.py"
    tools_file.write_text(
        "from langchain_core.tools import tool\n\n"
        "@tool\ndef get_weather(city: str) -> str:\n    '''Weather.'''\n    return f'rain in {city}'\n\n"
        "TOOLS = [get_weather]\n"
    )
    with FakeLLMServer(seed=2) as server:
        server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}), reply("Rain."))
        outcome = CliRunner().invoke(
            app,
            [
                "replay",
                str(recorded),
                "--from",
                "step-1",
                "--tools",
                f"{tools_file}:TOOLS",
                "--base-url",
                server.base_url + "/v1",
            ],
        )
        assert outcome.exit_code == 0, outcome.output
        assert server.requests[1].json["messages"][-1]["content"] == "rain in Rome"


def test_objects_that_are_not_tools_are_refused():
    from agentdbg.replay import ToolsSpecError
    from agentdbg.replay.tools import tools_from_value

    with pytest.raises(ToolsSpecError, match="neither callable nor a framework tool"):
        tools_from_value([object()])
