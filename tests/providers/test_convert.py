"""``--provider``: requests translated between chat.completions, responses and messages keep their meaning."""

from __future__ import annotations

import itertools
import json

import pytest

from agentdbg import read_trace
from agentdbg.providers import adapter_for
from agentdbg.providers.convert import ConversionError, convert_request
from agentdbg.replay import replay
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply
from tests.replay.agent import record_run, weather

APIS = ["openai.chat.completions", "openai.responses", "anthropic.messages"]
CALL_ARGS = {"city": "Paris"}


def conversation(api: str) -> dict:
    """system, user, assistant text + tool call, tool result, user follow-up, one tool, max tokens."""
    if api == "openai.chat.completions":
        return {
            "model": "m",
            "max_tokens": 300,
            "temperature": 0.3,
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Weather?"},
                {
                    "role": "assistant",
                    "content": "Checking.",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": json.dumps(CALL_ARGS)},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
                {"role": "user", "content": "Thanks, and tomorrow?"},
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {"name": "get_weather", "description": "d", "parameters": {"type": "object"}},
                }
            ],
        }
    if api == "openai.responses":
        return {
            "model": "m",
            "max_output_tokens": 300,
            "temperature": 0.3,
            "instructions": "Be brief.",
            "input": [
                {"role": "user", "content": "Weather?"},
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "Checking."}],
                },
                {
                    "type": "function_call",
                    "call_id": "c1",
                    "name": "get_weather",
                    "arguments": json.dumps(CALL_ARGS),
                },
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
                {"role": "user", "content": "Thanks, and tomorrow?"},
            ],
            "tools": [
                {
                    "type": "function",
                    "name": "get_weather",
                    "description": "d",
                    "parameters": {"type": "object"},
                }
            ],
        }
    return {
        "model": "m",
        "max_tokens": 300,
        "temperature": 0.3,
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hm", "signature": "s"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "c1", "name": "get_weather", "input": CALL_ARGS},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "c1", "content": "sunny"},
                    {"type": "text", "text": "Thanks, and tomorrow?"},
                ],
            },
        ],
        "tools": [{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}],
    }


@pytest.mark.parametrize(("source", "target"), list(itertools.permutations(APIS, 2)))
def test_every_pair_keeps_text_calls_results_tools_and_params(source, target):
    converted = convert_request(conversation(source), source, target, "target-model")
    assert converted["model"] == "target-model"
    assert adapter_for(target).sequence_problems(converted) == []
    # converting back gives the same conversation as the target's own version, modulo ids and thinking
    text = json.dumps(converted)
    for expected in ("Be brief.", "Weather?", "Checking.", "sunny", "Thanks, and tomorrow?", "get_weather"):
        assert expected in text
    back = convert_request(converted, target, "openai.chat.completions", "m")
    reference = convert_request(conversation(target), target, "openai.chat.completions", "m")
    assert back == reference
    assert "0.3" in text and "300" in text


def test_images_are_refused_not_dropped():
    request = {
        "model": "m",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}],
            }
        ],
    }
    with pytest.raises(ConversionError, match="image_url content in messages\\[0\\]"):
        convert_request(request, "openai.chat.completions", "anthropic.messages", "c")


def test_chat_run_replayed_on_anthropic(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    with FakeLLMServer(seed=5) as server:
        run = record_run(
            tmp_path / "run.jsonl",
            server,
            "openai.chat.completions",
            [tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny in Paris.")],
            {"get_weather": weather},
        )
        server.enqueue(tool_call_reply("get_weather", {"city": "Paris"}), reply("Claude says: sunny."))
        result = replay(run, "step-2", provider="anthropic", model="claude-test", base_url=server.base_url)
        assert result.status == "finished", result.error
        assert [r.path for r in server.requests] == ["/v1/messages", "/v1/messages"]
        first, second = (r.json for r in server.requests)
        assert first["system"].startswith("You are a weather assistant") and first["model"] == "claude-test"
        assert first["tools"][0]["input_schema"]["required"] == ["city"]
        assert second["messages"][-1]["content"][0]["type"] == "tool_result"
        assert (
            second["messages"][-1]["content"][0]["content"] == "18C and sunny"
        )  # recorded chat result, cached
        fork = read_trace(result.fork_path)
        assert fork.spans[1].input["provider"] == "anthropic" and fork.spans[1].input["api"] == "messages"
        assert any("converted from openai.chat.completions" in note for note in result.notes)
