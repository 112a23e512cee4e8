"""Provider adapters: tool-loop turns in each wire format, sequence validity, and real SDK sends."""

from __future__ import annotations

import pytest

from agentdbg.errors import MissingApiKeyError, ReplayError
from agentdbg.providers import ToolCall, ToolResult, adapter_for
from agentdbg.testing.llm_server import FakeLLMServer, tool_calls_reply

CALLS = [("get_weather", {"city": "Paris"}, "c1"), ("get_time", {"city": "Paris"}, "c2")]


@pytest.fixture
def server():
    with FakeLLMServer(seed=3) as running:
        yield running


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")


def _request(api):
    if api == "openai.chat.completions":
        return {"model": "m", "messages": [{"role": "user", "content": "q"}]}
    if api == "openai.responses":
        return {"model": "m", "input": "q"}
    return {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "q"}]}


@pytest.mark.parametrize("api", ["openai.chat.completions", "openai.responses", "anthropic.messages"])
def test_two_parallel_calls_round_trip_through_the_real_sdk(server, api):
    adapter = adapter_for(api)
    client = adapter.build_client(
        server.base_url + ("/v1" if api.startswith("openai") else ""), max_retries=0
    )
    server.enqueue(tool_calls_reply(CALLS))
    sent = adapter.send(client, _request(api))
    assert sent.usage is not None and sent.usage.input_tokens and sent.latency > 0
    calls = adapter.tool_calls(sent.response)
    assert [(c.name, c.arguments, c.call_id) for c in calls] == CALLS
    assert adapter.finish_reason(sent.response) in ("tool_calls", "tool_use")
    following = adapter.append_turn(
        _request(api), sent.response, [ToolResult(c, f"result {c.call_id}") for c in calls]
    )
    assert adapter.sequence_problems(following) == []
    # drop one result: the sequence is now invalid and says which call is unanswered
    partial = adapter.append_turn(_request(api), sent.response, [ToolResult(calls[0], "only one")])
    problems = adapter.sequence_problems(partial)
    assert len(problems) == 1 and "'c2'" in problems[0].reason
    replaced = adapter.replace_tool_result(following, "c2", "changed")
    assert replaced is not None and "changed" in str(replaced) and "result c2" not in str(replaced)
    assert "result c2" in str(following)  # the original is untouched
    assert adapter.replace_tool_result(following, "nope", "x") is None
    moved = adapter.replace_tool_arguments(following, "c1", {"city": "Rome"})
    assert moved is not None and "Rome" in str(moved)
    # the rebuilt request is accepted by the SDK and the server
    server.enqueue(tool_calls_reply([("noop", {})]))
    adapter.send(client, following)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("api", "request_", "reason"),
    [
        (
            "openai.chat.completions",
            {"messages": [{"role": "tool", "tool_call_id": "x", "content": "r"}]},
            "answers no",
        ),
        (
            "openai.responses",
            {"input": [{"type": "function_call_output", "call_id": "x", "output": "r"}]},
            "answers no",
        ),
        (
            "anthropic.messages",
            {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x"}]}]},
            "answers no",
        ),
        (
            "anthropic.messages",
            {
                "messages": [
                    {
                        "role": "assistant",
                        "content": [{"type": "tool_use", "id": "x", "name": "t", "input": {}}],
                    }
                ]
            },
            "no tool_result",
        ),
    ],
)
def test_orphans_are_reported(api, request_, reason):
    problems = adapter_for(api).sequence_problems(request_)
    assert problems and reason in problems[0].reason


def test_prepare_drops_streaming(monkeypatch):
    request, notes = adapter_for("openai.chat.completions").prepare(
        {"model": "m", "stream": True, "stream_options": {}}
    )
    assert request == {"model": "m"} and "stream" in notes[0]


def test_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingApiKeyError, match="OPENAI_API_KEY"):
        adapter_for("openai.responses").build_client("http://127.0.0.1:9")


def test_unknown_api():
    with pytest.raises(ReplayError, match="supported: openai.chat.completions"):
        adapter_for("google.gemini")


def test_tool_call_with_invalid_json_arguments_keeps_the_raw_text():
    response = {
        "choices": [
            {"message": {"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{bad"}}]}}
        ]
    }
    (call,) = adapter_for("openai.chat.completions").tool_calls(response)
    assert call == ToolCall("a", "f", "{bad", "{bad")
