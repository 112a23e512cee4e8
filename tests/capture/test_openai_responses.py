"""OpenAI responses API through a wrapped client: plain, stream=True and the .stream() helper."""

from __future__ import annotations

import json

import agentdbg
from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import llm_steps, load

TOOLS = [
    {
        "type": "function",
        "name": "search_docs",
        "description": "Search the docs",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        "strict": True,
    }
]


def test_plain_create_with_reasoning_and_instructions(server, oai, trace_path):
    server.enqueue(reply("Use `pip install`.", reasoning="The user asks about installing."))
    with agentdbg.trace("resp", path=trace_path):
        response = oai.responses.create(
            model="gpt-5", instructions="Be brief.", input="How do I install it?", reasoning={"effort": "low"}
        )
    (step,) = llm_steps(load(trace_path))
    assert step.input["api"] == "responses" and step.name == "responses gpt-5"
    assert step.input["request"] == {
        "model": "gpt-5",
        "instructions": "Be brief.",
        "input": "How do I install it?",
        "reasoning": {"effort": "low"},
    }
    assert (
        step.output["id"] == response.id
        and step.output["output"][1]["content"][0]["text"] == "Use `pip install`."
    )
    assert step.usage.input_tokens == response.usage.input_tokens
    assert step.attributes["finish_reason"] == "completed"
    assert step.llm.answer_text == "Use `pip install`."


def test_stream_true_assembles_the_completed_response(server, oai, trace_path):
    server.enqueue(tool_call_reply("search_docs", {"query": "install"}))
    with agentdbg.trace("resp", path=trace_path):
        events = list(oai.responses.create(model="gpt-5", input="install?", tools=TOOLS, stream=True))
    assert events[-1].type == "response.completed"
    (step,) = llm_steps(load(trace_path))
    call = step.output["output"][0]
    assert call["type"] == "function_call" and json.loads(call["arguments"]) == {"query": "install"}
    assert step.output["status"] == "completed" and step.usage.total_tokens > 0
    assert "ttft" in step.attributes and step.attributes["stream"] is True
    assert [c.name for c in step.llm.tool_calls] == ["search_docs"]


def test_stream_helper(server, oai, trace_path):
    server.enqueue(reply("streamed answer here"))
    with agentdbg.trace("resp", path=trace_path), oai.responses.stream(model="gpt-5", input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "streamed answer here"
    (step,) = llm_steps(load(trace_path))
    assert (
        step.output["id"] == final.id
        and step.output["output"][0]["content"][0]["text"] == "streamed answer here"
    )


def test_stream_cut_short_keeps_what_arrived(server, oai, trace_path):
    server.enqueue(reply(" ".join(["token"] * 200), chunk_delay=0.001))
    with agentdbg.trace("resp", path=trace_path):
        stream = oai.responses.create(model="gpt-5", input="long", stream=True)
        for event in stream:
            if event.type == "response.output_text.delta":
                break
        stream.close()
    (step,) = llm_steps(load(trace_path))
    assert step.attributes["stream_complete"] is False
    assert step.output["status"] == "in_progress"
    assert step.output["output"][0]["content"][0]["text"].startswith("token")
