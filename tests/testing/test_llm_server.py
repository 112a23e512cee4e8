"""The fake LLM server speaks each wire protocol well enough for the official SDKs to parse it."""

from __future__ import annotations

import json
import threading

import anthropic
import openai
import pytest

from agentdbg.testing.llm_server import (
    FakeLLMServer,
    Reply,
    error_reply,
    reply,
    tool_call_reply,
    tool_calls_reply,
)

MESSAGES = [{"role": "user", "content": "What's the weather in Paris?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def server():
    with FakeLLMServer(seed=1) as running:
        yield running


@pytest.fixture
def oai(server):
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key="sk-test-key", max_retries=2)


@pytest.fixture
def ant(server):
    return anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-test", max_retries=2)


def test_chat_plain_text_usage_and_request_id(server, oai):
    server.enqueue(reply("Sunny, 21°C.", usage={"input_tokens": 40, "output_tokens": 7}))
    completion = oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, temperature=0)
    assert completion.choices[0].message.content == "Sunny, 21°C."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 40 and completion.usage.completion_tokens == 7
    assert completion.model == "gpt-4o"
    assert completion._request_id == server.requests[0].request_id
    recorded = server.requests[0]
    assert recorded.path == "/v1/chat/completions"
    assert recorded.json["temperature"] == 0 and recorded.json["messages"] == MESSAGES
    assert recorded.headers["authorization"] == "Bearer sk-test-key"


def test_chat_tool_call_json_and_stream(server, oai):
    server.enqueue(tool_call_reply("get_weather", {"city": "Paris"}, call_id="call_1"))
    server.enqueue(tool_calls_reply([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Lyon"})]))
    message = oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=TOOLS).choices[0].message
    assert message.tool_calls[0].id == "call_1"
    assert json.loads(message.tool_calls[0].function.arguments) == {"city": "Paris"}
    with oai.chat.completions.stream(model="gpt-4o", messages=MESSAGES, tools=TOOLS) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "Lyon"]
    assert final.choices[0].finish_reason == "tool_calls"


def test_chat_stream_include_usage(server, oai):
    server.enqueue(reply("one two three four five"), reply("plain stream"))
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "one two three four five"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    plain = list(oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert all(c.usage is None for c in plain) and len(plain) >= 3


def test_responses_plain_stream_and_reasoning(server, oai):
    server.enqueue(
        reply("Paris is sunny.", reasoning="Look up weather"),
        tool_call_reply("get_weather", {"city": "Paris"}),
    )
    response = oai.responses.create(model="gpt-5", input="weather?")
    assert response.output_text == "Paris is sunny."
    assert response.output[0].type == "reasoning"
    assert response.usage.input_tokens > 0
    with oai.responses.stream(model="gpt-5", input="weather?") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in kinds
    assert final.output[0].name == "get_weather" and json.loads(final.output[0].arguments) == {
        "city": "Paris"
    }


def test_anthropic_plain_stream_tool_use_and_thinking(server, ant):
    server.enqueue(
        reply("Hello!"), tool_call_reply("get_weather", {"city": "Paris"}, text="Checking.", reasoning="hmm")
    )
    server.enqueue(reply("streamed words here"))
    message = ant.messages.create(model="claude-sonnet-4-6", max_tokens=200, messages=MESSAGES)
    assert message.content[0].text == "Hello!" and message.stop_reason == "end_turn"
    assert message._request_id == server.requests[0].request_id
    with ant.messages.stream(model="claude-sonnet-4-6", max_tokens=200, messages=MESSAGES) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    assert final.content[2].input == {"city": "Paris"} and final.stop_reason == "tool_use"
    events = list(
        ant.messages.create(model="claude-sonnet-4-6", max_tokens=200, messages=MESSAGES, stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop" and "message_delta" in kinds
    assert "sk-ant-test" in server.requests[0].headers.get("authorization", "") + server.requests[
        0
    ].headers.get("x-api-key", "")


def test_errors_retried_and_raised(server, oai, ant):
    server.enqueue(
        error_reply(500, "boom", retry_after=0.01), error_reply(429, "slow", retry_after=0.01), reply("ok")
    )
    assert oai.chat.completions.create(model="gpt-4o", messages=MESSAGES).choices[0].message.content == "ok"
    assert len(server.requests) == 3
    server.enqueue(error_reply(400, "bad request"))
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert caught.value.body["message"] == "bad request" and len(server.requests) == 4
    server.enqueue(error_reply(529, "overloaded", retry_after=0.01), error_reply(401, "no key"))
    with pytest.raises(anthropic.AuthenticationError) as auth_error:
        ant.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES)
    assert auth_error.value.body["error"]["type"] == "authentication_error"


def test_empty_queue_fails_fast_and_responder(server, oai):
    with pytest.raises(openai.InternalServerError):
        oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert len(server.requests) == 1  # x-should-retry: false stops the SDK's retries
    server.responder = lambda request: reply(f"echo {request.json['messages'][-1]['content']}")
    out = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "ping"}])
    assert out.choices[0].message.content == "echo ping"


async def test_async_clients_and_concurrency(server):
    server.default = Reply(text="hi")
    client = openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="k")
    aclient = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="k")
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert "".join([c.choices[0].delta.content or "" async for c in stream]) == "hi"
    message = await aclient.messages.create(model="c", max_tokens=5, messages=MESSAGES)
    assert message.content[0].text == "hi"
    sync = openai.OpenAI(base_url=server.base_url + "/v1", api_key="k")
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                sync.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
            )
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["hi"] * 8


def test_abandoned_stream_does_not_break_server(server, oai):
    server.default = Reply(text=" ".join(["word"] * 400), chunk_delay=0.001)
    stream = oai.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    next(iter(stream))
    stream.close()
    server.default = reply("still alive")
    assert (
        oai.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == "still alive"
    )


def test_runs_from_the_shell_and_prints_its_url():
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "agentdbg.testing", "--text", "from the shell"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        client = openai.OpenAI(base_url=base_url + "/v1", api_key="k")
        answer = client.chat.completions.create(model="m", messages=MESSAGES)
        assert answer.choices[0].message.content == "from the shell"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
