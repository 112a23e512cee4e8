"""instrument()/uninstrument(): every SDK client created afterwards records; raw httpx model calls too;
framework tools become derived tool steps from the conversation."""

from __future__ import annotations

import asyncio
import json

import anthropic
import httpx
import openai
import pytest

import agentdbg
from agentdbg.testing.llm_server import reply, tool_call_reply, tool_calls_reply

from .conftest import ANTHROPIC_KEY, OPENAI_KEY, load

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


@pytest.fixture
def instrumented():
    agentdbg.instrument()
    yield
    agentdbg.uninstrument()


def _chat(client, content="?"):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": content}])


def test_every_client_created_afterwards_records(server, trace_path, instrumented):
    agentdbg.instrument()  # idempotent: still one step per call
    server.enqueue(*(reply(f"answer {n}") for n in range(6)))
    plain = openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY)
    azure = openai.AzureOpenAI(
        azure_endpoint=server.base_url,
        api_key=OPENAI_KEY,
        api_version="2024-10-21",
        azure_deployment="gpt-4o",
    )
    claude = anthropic.Anthropic(base_url=server.base_url, api_key=ANTHROPIC_KEY)

    async def async_calls():
        client = openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY)
        await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "a"}])
        aclaude = anthropic.AsyncAnthropic(base_url=server.base_url, api_key=ANTHROPIC_KEY)
        await aclaude.messages.create(
            model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "b"}]
        )

    with agentdbg.trace("inst", path=trace_path):
        _chat(plain, "plain")
        _chat(plain.with_options(timeout=5), "derived")
        _chat(azure, "azure")
        claude.messages.create(model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "c"}])
        asyncio.run(async_calls())
    trace = load(trace_path)
    assert [s.kind for s in trace.spans] == ["llm"] * 6
    assert [s.input["provider"] for s in trace.spans] == ["openai"] * 3 + ["anthropic", "openai", "anthropic"]
    assert all(s.output and s.ended and s.error is None for s in trace.spans)
    assert "/openai/deployments/gpt-4o" in trace.spans[2].attributes["base_url"]
    assert OPENAI_KEY not in trace_path.read_text() and ANTHROPIC_KEY not in trace_path.read_text()


def test_uninstrument_and_disabled_leave_new_clients_plain(server, trace_path, monkeypatch):
    wrapped_by_hand = agentdbg.wrap_anthropic(anthropic.Anthropic(base_url=server.base_url, api_key="k"))
    agentdbg.instrument()
    made_while_on = openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY)
    assert type(made_while_on) is not openai.OpenAI
    agentdbg.uninstrument()
    assert type(made_while_on) is openai.OpenAI  # what instrument() did is undone
    assert type(wrapped_by_hand) is not anthropic.Anthropic  # a client wrapped by hand keeps recording
    server.enqueue(reply("one"), reply("two"))
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY)
    assert type(client) is openai.OpenAI
    monkeypatch.setenv("AGENTDBG_DISABLED", "1")
    agentdbg.instrument()
    try:
        other = openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY)
        assert type(other) is openai.OpenAI
        with agentdbg.trace("off", path=trace_path):
            assert _chat(client).choices[0].message.content == "one"
            assert _chat(other).choices[0].message.content == "two"
    finally:
        agentdbg.uninstrument()
    assert not trace_path.exists()


def test_raw_httpx_calls_to_model_apis_are_recorded(server, trace_path, instrumented):
    server.enqueue(reply("raw answer"), reply("streamed raw"), reply("async raw"))
    body = {"model": "claude-x", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
    with agentdbg.trace("raw", path=trace_path):
        with httpx.Client(base_url=server.base_url) as client:
            answer = client.post("/v1/messages", json=body, headers=headers).json()
            client.get("/v1/models")  # not a model call: not recorded
            with client.stream(
                "POST", "/v1/messages", json={**body, "stream": True}, headers=headers
            ) as stream:
                events = list(stream.iter_lines())

        async def async_call():
            async with httpx.AsyncClient(base_url=server.base_url) as client:
                return (await client.post("/v1/chat/completions", json={"model": "m", "messages": []})).json()

        async_answer = asyncio.run(async_call())
    assert answer["content"][0]["text"] == "raw answer" and any("streamed" in line for line in events)
    assert async_answer["choices"][0]["message"]["content"] == "async raw"
    trace = load(trace_path)
    first, streamed, third = trace.llm_spans
    assert first.input["provider"] == "anthropic" and first.input["request"] == body
    assert first.output == answer and first.llm.answer_text == "raw answer"
    assert streamed.attributes["stream"] is True and streamed.llm.answer_text == "streamed raw"
    assert third.input["api"] == "chat.completions" and third.llm.answer_text == "async raw"
    assert ANTHROPIC_KEY not in trace_path.read_text()


def test_framework_tools_become_derived_tool_steps_nested_where_called(server, oai, trace_path):
    server.enqueue(
        tool_calls_reply([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})]),
        reply("Paris 21, Oslo: unknown"),
    )
    with agentdbg.trace("derived", path=trace_path), agentdbg.span("agent", kind="agent"):
        messages = [{"role": "user", "content": "weather?"}]
        answer = oai.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
        message = answer.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        for call, result in zip(message.tool_calls, ["21C", "Error: no station"], strict=True):
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        oai.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    trace = load(trace_path)
    agent, ask, paris, oslo, final = trace.spans
    assert [paris.kind, oslo.kind] == ["tool", "tool"]
    assert paris.parent_id == agent.id == oslo.parent_id == ask.parent_id
    assert paris.attributes["derived"] == "conversation" and paris.attributes["asked_by"] == ask.id
    assert paris.tool.arguments == {"city": "Paris"} and paris.output == "21C"
    assert paris.tool.call_id == message.tool_calls[0].id and oslo.output == "Error: no station"
    assert ask.ended_at - 1e-3 <= paris.started_at <= paris.ended_at <= final.started_at + 1e-3
    assert final.kind == "llm"


def test_decorated_tools_are_never_doubled(server, oai, trace_path):
    @agentdbg.tool
    def get_weather(city: str) -> str:
        return "21C"

    server.enqueue(tool_call_reply("get_weather", {"city": "Paris"}), reply("done"))
    with agentdbg.trace("decorated", path=trace_path):
        messages = [{"role": "user", "content": "weather?"}]
        answer = oai.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
        call = answer.choices[0].message.tool_calls[0]
        result = get_weather(**json.loads(call.function.arguments))
        messages += [
            answer.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": result},
        ]
        oai.chat.completions.create(model="gpt-4o", messages=messages)
    trace = load(trace_path)
    assert [s.kind for s in trace.spans] == ["llm", "tool", "llm"]
    assert "derived" not in trace.spans[1].attributes and trace.spans[1].tool.call_id == call.id


def test_anthropic_tool_results_with_error_flag(server, ant, trace_path):
    server.enqueue(tool_call_reply("lookup", {"q": "x"}), reply("sorry"))
    tools = [{"name": "lookup", "input_schema": {"type": "object"}}]
    with agentdbg.trace("anthropic-derived", path=trace_path):
        messages = [{"role": "user", "content": "find x"}]
        answer = ant.messages.create(model="claude-x", max_tokens=50, messages=messages, tools=tools)
        use = next(block for block in answer.content if block.type == "tool_use")
        messages += [
            {"role": "assistant", "content": [block.model_dump() for block in answer.content]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": use.id, "content": "boom", "is_error": True}
                ],
            },
        ]
        ant.messages.create(model="claude-x", max_tokens=50, messages=messages, tools=tools)
    _, tool, _ = load(trace_path).spans
    assert tool.tool.name == "lookup" and tool.tool.arguments == {"q": "x"} and tool.output == "boom"
    assert tool.error is not None and tool.error.type == "tool_error"
