"""The pytest plugin: a recorded trace replayed as an offline regression test (run with pytester)."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest

import agentdbg
from agentdbg import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply

pytest_plugins = ["pytester"]

AGENT = """
import json, os
from openai import OpenAI
import agentdbg

TOOLS = [{"type": "function", "function": {"name": "get_weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]

@agentdbg.tool
def get_weather(city):
    with open(os.environ["WEATHER_LOG"], "a") as log:
        log.write(city + "\\n")
    return "18C in " + city

def run_agent(question):
    client = agentdbg.wrap_openai(OpenAI(base_url=os.environ["WEATHER_BASE_URL"], max_retries=0))
    messages = [{"role": "system", "content": "Weather bot."}, {"role": "user", "content": question}]
    while True:
        message = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        message = message.choices[0].message.model_dump(exclude_none=True)
        messages.append(message)
        if not message.get("tool_calls"):
            return message["content"]
        for call in message["tool_calls"]:
            result = get_weather(**json.loads(call["function"]["arguments"]))
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
"""

TESTS = """
import pytest
from weather_agent import run_agent

@pytest.mark.agentdbg_replay("traces/weather.jsonl")
def test_weather():
    assert run_agent(QUESTION) == "It is 18C and sunny in Paris."

def test_fixture_counts(agentdbg_replay):
    with agentdbg_replay("traces/weather.jsonl") as replay:
        assert run_agent(QUESTION) == "It is 18C and sunny in Paris."
    assert (replay.served, replay.live, replay.tools_served) == (2, 0, 1)

@pytest.mark.agentdbg_replay("traces/weather.jsonl", tools="live")
def test_live_tools():
    import os
    assert run_agent(QUESTION) == "It is 18C and sunny in Paris."
    assert open(os.environ["WEATHER_LOG"]).read() == "Paris\\n"
"""


@pytest.fixture
def project(pytester, tmp_path, monkeypatch):
    """A user's project: the agent module, a test file, and a trace recorded by a live run."""
    log = tmp_path / "weather.log"
    monkeypatch.setenv("WEATHER_LOG", str(log))
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    pytester.makepyfile(weather_agent=AGENT)
    pytester.syspathinsert()
    (pytester.path / "traces").mkdir()
    trace_path = pytester.path / "traces" / "weather.jsonl"
    with FakeLLMServer(seed=5) as server:
        server.enqueue(
            tool_call_reply("get_weather", {"city": "Paris"}), reply("It is 18C and sunny in Paris.")
        )
        monkeypatch.setenv("WEATHER_BASE_URL", server.base_url + "/v1")
        import weather_agent

        with agentdbg.trace("weather", path=trace_path):
            assert weather_agent.run_agent("What's the weather in Paris?") == "It is 18C and sunny in Paris."
    log.unlink()
    monkeypatch.setenv("WEATHER_BASE_URL", "http://127.0.0.1:9/v1")  # the server is gone: nothing may be sent
    monkeypatch.delenv("OPENAI_API_KEY")  # and no key is needed
    return pytester, trace_path, log


def test_the_plugin_is_registered_by_entry_point():
    assert "agentdbg.testing.pytest_plugin" in {e.value for e in entry_points(group="pytest11")}


def test_a_recorded_trace_passes_offline(project):
    pytester, _, log = project
    pytester.makepyfile(test_weather=TESTS.replace("QUESTION", repr("What's the weather in Paris?")))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert log.read_text() == "Paris\n"  # only tools="live" ran the tool; the others got the recorded result


def test_a_changed_prompt_fails_with_the_difference(project):
    pytester, _, _ = project
    pytester.makepyfile(test_weather=TESTS.replace("QUESTION", repr("What's the weather in Rome?")))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*agentdbg_replay(weather.jsonl): request 1 differs from the recorded step-1:*",
            "*messages[[]1[]] (user) content:*",
            "*recorded: What's the weather in Paris?*",
            "*sent:     What's the weather in Rome?*",
            "*(the replayed run: *weather.replayed.jsonl)*",
        ]
    )


def test_a_request_past_the_end_fails(project):
    pytester, _, _ = project
    question = repr("What's the weather in Paris?")
    pytester.makepyfile(
        test_twice=f"""
import pytest
from weather_agent import run_agent

@pytest.mark.agentdbg_replay("traces/weather.jsonl")
def test_twice():
    run_agent({question})
    run_agent({question})
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no recorded answer for request 3 (the trace has 2)*"])


def test_record_rewrites_the_trace_live(project, monkeypatch):
    pytester, trace_path, log = project
    before = read_trace(trace_path).header.trace_id
    pytester.makepyfile(test_weather=TESTS.replace("QUESTION", repr("What's the weather in Lyon?")))
    with FakeLLMServer(seed=6) as server:
        server.enqueue(
            tool_call_reply("get_weather", {"city": "Lyon"}), reply("It is 18C and sunny in Paris.")
        )
        monkeypatch.setenv("WEATHER_BASE_URL", server.base_url + "/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--agentdbg-record", "test_weather.py::test_weather"
        )
        result.assert_outcomes(passed=1)
        assert len(server.requests) == 2
    recorded = read_trace(trace_path)
    assert recorded.header.trace_id != before
    assert "Lyon" in json.dumps(recorded.spans[0].input["request"])
    assert log.read_text() == "Lyon\n"  # tools run live when re-recording
