"""OpenAI chat.completions through a wrapped client: every call style records the request and the answer."""

from __future__ import annotations

import json

import openai
import pydantic
from openai.types.chat import ChatCompletion

import agentdbg
from agentdbg.testing.llm_server import reply, tool_call_reply, tool_calls_reply

from .conftest import OPENAI_KEY, llm_steps, load

MESSAGES = [
    {"role": "system", "content": "You are a weather assistant."},
    {"role": "user", "content": "Weather in Paris?"},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def test_plain_create_records_request_response_usage_and_request_id(server, oai, trace_path):
    server.enqueue(reply("Sunny, 21°C.", usage={"input_tokens": 42, "output_tokens": 6}))
    with agentdbg.trace("chat", path=trace_path):
        completion = oai.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, tools=TOOLS, temperature=0.2, max_tokens=100, seed=3
        )
    assert type(completion) is ChatCompletion
    (step,) = llm_steps(load(trace_path))
    assert step.input == {
        "provider": "openai",
        "api": "chat.completions",
        "request": {
            "messages": MESSAGES,
            "model": "gpt-4o",
            "max_tokens": 100,
            "seed": 3,
            "temperature": 0.2,
            "tools": TOOLS,
        },
    }
    assert step.output["choices"][0]["message"]["content"] == "Sunny, 21°C."
    assert step.output == completion.model_dump(exclude_unset=True) | {"usage": step.output["usage"]}
    assert step.usage.input_tokens == 42 and step.usage.output_tokens == 6
    assert step.attributes["request_id"] == completion._request_id
    assert step.attributes["model"] == "gpt-4o" and step.attributes["finish_reason"] == "stop"
    assert step.attributes["attempt"] == 1 and step.attributes["stream"] is False
    assert step.status == "ok" and step.ended_at >= step.started_at
    assert OPENAI_KEY not in trace_path.read_text()


def test_stream_with_include_usage_user_sees_same_chunks(server, oai, trace_path):
    text = "It is sunny and warm in Paris today."
    server.enqueue(reply(text, delay=0.05), reply(text))
    with agentdbg.trace("chat", path=trace_path):
        stream = oai.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        assert isinstance(stream, openai.Stream)
        wrapped_chunks = [chunk.model_dump() for chunk in stream]
    plain = openai.OpenAI(base_url=server.base_url + "/v1", api_key="k")
    plain_chunks = [
        c.model_dump()
        for c in plain.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    ]
    strip = lambda chunks: [{k: v for k, v in c.items() if k not in ("id", "created")} for c in chunks]  # noqa: E731
    assert strip(wrapped_chunks) == strip(plain_chunks)
    (step,) = llm_steps(load(trace_path))
    assert step.output["choices"][0]["message"]["content"] == text
    assert step.output["object"] == "chat.completion"
    assert step.usage.total_tokens == wrapped_chunks[-1]["usage"]["total_tokens"]
    assert step.attributes["stream"] is True and 0.05 <= step.attributes["ttft"] < step.duration + 0.001
    assert step.input["request"]["stream_options"] == {"include_usage": True}


def test_stream_without_usage_and_tool_call_deltas(server, oai, trace_path):
    server.enqueue(tool_calls_reply([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Lyon"})]))
    with agentdbg.trace("chat", path=trace_path):
        chunks = list(
            oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=TOOLS, stream=True)
        )
    assert chunks
    (step,) = llm_steps(load(trace_path))
    calls = step.output["choices"][0]["message"]["tool_calls"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Paris"}, {"city": "Lyon"}]
    assert step.attributes["finish_reason"] == "tool_calls" and step.usage is None
    assert [c.name for c in step.llm.tool_calls] == ["get_weather", "get_weather"]


def test_stream_helper_records_final_completion(server, oai, trace_path):
    server.enqueue(tool_call_reply("get_weather", {"city": "Paris"}, text="Let me check."))
    with (
        agentdbg.trace("chat", path=trace_path),
        oai.chat.completions.stream(model="gpt-4o", messages=MESSAGES, tools=TOOLS) as stream,
    ):
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert "content.delta" in kinds
    (step,) = llm_steps(load(trace_path))
    message = step.output["choices"][0]["message"]
    assert message["content"] == final.choices[0].message.content == "Let me check."
    assert message["tool_calls"][0]["id"] == final.choices[0].message.tool_calls[0].id
    assert step.input["request"]["stream"] is True


class Forecast(pydantic.BaseModel):
    city: str
    celsius: int


def test_parse_records_the_json_schema_sent(server, oai, trace_path):
    server.enqueue(reply('{"city": "Paris", "celsius": 21}'))
    with agentdbg.trace("chat", path=trace_path):
        parsed = oai.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Forecast)
    assert parsed.choices[0].message.parsed == Forecast(city="Paris", celsius=21)
    (step,) = llm_steps(load(trace_path))
    fmt = step.input["request"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Forecast"
    assert step.output["choices"][0]["message"]["content"] == '{"city": "Paris", "celsius": 21}'


def test_with_raw_response_and_streaming_response(server, oai, trace_path):
    server.enqueue(reply("raw one"), reply("raw streamed"), reply("streaming response"))
    with agentdbg.trace("chat", path=trace_path):
        raw = oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
        assert raw.headers["x-request-id"] and raw.parse().choices[0].message.content == "raw one"
        raw_stream = oai.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=MESSAGES, stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in raw_stream.parse()) == "raw streamed"
        with oai.chat.completions.with_streaming_response.create(
            model="gpt-4o", messages=MESSAGES
        ) as response:
            assert response.parse().choices[0].message.content == "streaming response"
    steps = llm_steps(load(trace_path))
    texts = [s.output["choices"][0]["message"]["content"] for s in steps]
    assert texts == ["raw one", "raw streamed", "streaming response"]
    assert steps[0].attributes["request_id"] == raw.headers["x-request-id"]
    assert all(s.status == "ok" for s in steps)


def test_with_options_clients_still_record(server, oai, trace_path):
    server.enqueue(reply("derived"), reply("derived twice"))
    with agentdbg.trace("chat", path=trace_path):
        derived = oai.with_options(timeout=5, max_retries=0)
        assert derived is not oai and derived.chat.completions is not oai.chat.completions
        derived.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        oai.copy(default_headers={"x-team": "a"}).with_options(timeout=3).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES
        )
    steps = llm_steps(load(trace_path))
    assert [s.attributes["model"] for s in steps] == ["gpt-4o", "gpt-4o-mini"]
    assert "x-team" not in trace_path.read_text()  # headers are never recorded


def test_abandoned_stream_still_ends_its_step(server, oai, trace_path):
    server.enqueue(reply(" ".join(["word"] * 300), chunk_delay=0.001), reply("after"))
    with agentdbg.trace("chat", path=trace_path):
        stream = oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        for _ in stream:
            break
        stream.close()
        oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    first, second = llm_steps(load(trace_path))
    assert first.status == "ok" and first.attributes["stream_complete"] is False
    assert first.output["choices"][0]["message"]["role"] == "assistant"
    assert second.output["choices"][0]["message"]["content"] == "after"
    assert first.ended_at <= second.started_at


def test_stream_never_read_is_ended_when_the_trace_closes(server, oai, trace_path):
    server.enqueue(reply("never read"))
    with agentdbg.trace("chat", path=trace_path):
        stream = oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    (step,) = llm_steps(load(trace_path))
    assert step.status == "ok" and step.attributes["abandoned"] is True
    stream.close()


def test_a_client_whose_base_url_or_http_client_changes_records_through_the_new_one(server, trace_path):
    """What a client's first call sets up (hooks, cleaned base URL) is redone when either is replaced."""
    client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY))
    server.enqueue(reply("one"), reply("two"), reply("three"))
    with agentdbg.trace("moved", path=trace_path):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        client.base_url = server.base_url.replace("://", "://user:hunter2-pw@") + "/v1"
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        client._client = openai.DefaultHttpxClient()  # a new httpx client: it must be hooked too
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    steps = llm_steps(load(trace_path))
    assert [step.output["choices"][0]["message"]["content"] for step in steps] == ["one", "two", "three"]
    urls = [step.attributes["base_url"] for step in steps]
    assert urls[0] == server.base_url + "/v1/"
    assert urls[1] == urls[2] == urls[0]  # the password is not written
    assert b"hunter2-pw" not in trace_path.read_bytes()
