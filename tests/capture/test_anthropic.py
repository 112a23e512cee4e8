"""Anthropic messages through a wrapped client: plain, stream=True and messages.stream()."""

from __future__ import annotations

import anthropic

import agentdbg
from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import ANTHROPIC_KEY, llm_steps, load

TOOLS = [
    {
        "name": "lookup_order",
        "description": "Find an order",
        "input_schema": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    }
]
MESSAGES = [{"role": "user", "content": "Where is order 1042?"}]


def test_plain_create_records_system_tools_and_tool_use(server, ant, trace_path):
    server.enqueue(
        tool_call_reply("lookup_order", {"order_id": "1042"}, text="Looking it up.", reasoning="hm")
    )
    with agentdbg.trace("claude", path=trace_path):
        message = ant.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=512,
            system="You are a support agent.",
            messages=MESSAGES,
            tools=TOOLS,
        )
    assert type(message) is anthropic.types.Message
    (step,) = llm_steps(load(trace_path))
    assert step.input["provider"] == "anthropic" and step.input["api"] == "messages"
    assert step.input["request"]["system"] == "You are a support agent."
    assert step.input["request"]["tools"] == TOOLS and step.input["request"]["max_tokens"] == 512
    assert [b["type"] for b in step.output["content"]] == ["thinking", "text", "tool_use"]
    assert step.attributes["finish_reason"] == "tool_use"
    assert step.attributes["request_id"] == message._request_id
    assert step.usage.input_tokens == message.usage.input_tokens
    assert step.llm.tool_calls[0].arguments == {"order_id": "1042"}
    assert ANTHROPIC_KEY not in trace_path.read_text()


def test_stream_true_and_messages_stream(server, ant, trace_path):
    server.enqueue(
        reply("First streamed reply.", delay=0.03), tool_call_reply("lookup_order", {"order_id": "7"})
    )
    with agentdbg.trace("claude", path=trace_path):
        events = list(
            ant.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=MESSAGES, stream=True)
        )
        with ant.messages.stream(
            model="claude-sonnet-4-6", max_tokens=100, messages=MESSAGES, tools=TOOLS
        ) as stream:
            final = stream.get_final_message()
    assert events[0].type == "message_start"
    first, second = llm_steps(load(trace_path))
    assert first.output["content"] == [{"type": "text", "text": "First streamed reply."}]
    assert first.output["stop_reason"] == "end_turn" and first.attributes["ttft"] >= 0.03
    assert first.usage.output_tokens == events[-2].usage.output_tokens
    assert second.output["content"][0]["input"] == {"order_id": "7"} == final.content[0].input
    assert second.output["id"] == final.id and second.input["request"]["stream"] is True


def test_with_raw_response_and_with_options(server, ant, trace_path):
    server.enqueue(reply("raw"), reply("derived"))
    with agentdbg.trace("claude", path=trace_path):
        raw = ant.messages.with_raw_response.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES
        )
        assert raw.parse().content[0].text == "raw"
        ant.with_options(max_retries=0).messages.create(
            model="claude-haiku-4-5", max_tokens=10, messages=MESSAGES
        )
    raw_step, derived = llm_steps(load(trace_path))
    assert raw_step.output["content"][0]["text"] == "raw"
    assert derived.attributes["model"] == "claude-haiku-4-5"
