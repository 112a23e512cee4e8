"""Async clients record like sync ones; nesting follows contextvars across asyncio tasks."""

from __future__ import annotations

import asyncio

import openai

import agentdbg
from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import llm_steps, load

MESSAGES = [{"role": "user", "content": "hello"}]


async def test_async_openai_every_call_style(server, aoai, trace_path):
    server.enqueue(reply("plain"), reply("streamed"), reply("helper"), reply("resp"), reply("resp stream"))
    async with agentdbg.trace("async", path=trace_path):
        await aoai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        stream = await aoai.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        assert isinstance(stream, openai.AsyncStream)
        assert "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]) == "streamed"
        async with aoai.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as helper:
            final = await helper.get_final_completion()
        assert final.choices[0].message.content == "helper"
        await aoai.with_options(timeout=9).responses.create(model="gpt-5", input="x")
        async with aoai.responses.stream(model="gpt-5", input="x") as rstream:
            await rstream.get_final_response()
    steps = llm_steps(load(trace_path))
    assert [s.llm.answer_text for s in steps] == ["plain", "streamed", "helper", "resp", "resp stream"]
    assert steps[1].usage is not None and "ttft" in steps[1].attributes
    assert all(s.status == "ok" for s in steps)


async def test_async_anthropic_create_stream_and_raw(server, aant, trace_path):
    server.enqueue(reply("plain"), reply("events"), tool_call_reply("lookup", {"id": 1}), reply("raw"))
    async with agentdbg.trace("async", path=trace_path):
        await aant.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES)
        events = await aant.messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES, stream=True
        )
        kinds = [e.type async for e in events]
        async with aant.messages.stream(
            model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES
        ) as stream:
            final = await stream.get_final_message()
        raw = await aant.messages.with_raw_response.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES
        )
        assert (await raw.parse()).content[0].text == "raw"
    assert kinds[-1] == "message_stop" and final.content[0].name == "lookup"
    steps = llm_steps(load(trace_path))
    assert [s.status for s in steps] == ["ok"] * 4
    assert steps[2].output["content"][0]["input"] == {"id": 1}
    assert steps[3].output["content"][0]["text"] == "raw"


async def test_async_tool_and_spans_nest_per_task(server, aoai, trace_path):
    server.default = reply("ok")

    @agentdbg.tool
    async def fetch(url: str) -> str:
        await asyncio.sleep(0.001)
        return f"<html>{url}</html>"

    async def worker(index: int) -> None:
        async with agentdbg.span(f"worker-{index}", kind="agent"):
            await aoai.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": str(index)}]
            )
            await fetch(f"https://example.com/{index}")

    async with agentdbg.trace("tasks", path=trace_path):
        await asyncio.gather(*(worker(i) for i in range(6)))
    trace = load(trace_path)
    agents = {s.name: s for s in trace.spans if s.kind == "agent"}
    for span in trace.spans:
        if span.kind == "llm":
            index = span.input["request"]["messages"][0]["content"]
            assert span.parent_id == agents[f"worker-{index}"].id
        if span.kind == "tool":
            index = span.input["arguments"]["url"].rsplit("/", 1)[1]
            assert span.parent_id == agents[f"worker-{index}"].id and span.output.endswith("</html>")
