"""Tool-step forks with parallel calls: siblings stay paired, arguments can be patched too."""

from __future__ import annotations

import json

import pytest

from agentdbg import read_trace
from agentdbg.replay import replay
from agentdbg.testing.llm_server import reply, tool_call_reply, tool_calls_reply
from tests.replay.agent import APIS, record_run, weather
from tests.replay.conftest import base_url


def parallel_run(tmp_path, server, api):
    """step-1 agent, step-2 llm → get_weather(Paris) + get_weather(Rome), steps 3-4 tools, step-5 answer."""
    return record_run(
        tmp_path / "run.jsonl",
        server,
        api,
        [
            tool_calls_reply([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome"})]),
            reply("Both fine."),
        ],
        {"get_weather": weather},
    )


@pytest.mark.parametrize("api", APIS)
def test_second_parallel_result_patched_in_place(tmp_path, server, api):
    run = parallel_run(tmp_path, server, api)
    server.enqueue(reply("Hail in Rome!"))
    result = replay(run, "tool:get_weather#2", patch={"result": "hail"}, base_url=base_url(server, api))
    assert result.status == "finished", result.error
    body = json.dumps(server.requests[0].json)
    assert "hail" in body and "18C and sunny" in body and "25C and clear" not in body
    fork = read_trace(result.fork_path)
    assert [s.origin for s in fork.spans] == ["recorded", "recorded", "recorded", "patched", "live"]


@pytest.mark.parametrize("api", APIS)
def test_first_parallel_result_patched_keeps_its_sibling(tmp_path, server, api):
    run = parallel_run(tmp_path, server, api)
    server.enqueue(reply("ok"))
    result = replay(run, "tool:get_weather#1", patch={"result": "fog"}, base_url=base_url(server, api))
    assert result.status == "finished", result.error
    fork = read_trace(result.fork_path)
    assert [s.origin for s in fork.spans] == ["recorded", "recorded", "patched", "cached", "live"]
    assert fork.spans[3].output == "25C and clear"
    body = json.dumps(server.requests[0].json)
    assert "fog" in body and "25C and clear" in body and "18C and sunny" not in body


@pytest.mark.parametrize("api", APIS)
def test_patched_arguments_reach_the_assistant_call(tmp_path, server, api):
    run = record_run(
        tmp_path / "run.jsonl",
        server,
        api,
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny.")],
        {"get_weather": weather},
    )
    server.enqueue(reply("Rain in Lyon."))
    patch = {"arguments": {"city": "Lyon"}, "result": "rain"}
    result = replay(run, "tool:get_weather", patch=patch, base_url=base_url(server, api))
    assert result.status == "finished", result.error
    body = json.dumps(server.requests[0].json)
    assert "Lyon" in body and "rain" in body
    assert '"city": "Paris"' not in body and '\\"city\\": \\"Paris\\"' not in body
    fork = read_trace(result.fork_path)
    assert fork.spans[2].input["arguments"] == {"city": "Lyon"}


def test_resume_with_one_of_two_calls_unrecorded(tmp_path, server):
    api = "openai.chat.completions"
    run = parallel_run(tmp_path, server, api)
    # the fork asks for Paris (recorded → cached) and Oslo (not recorded → needs a result)
    server.enqueue(tool_calls_reply([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})]))
    first = replay(run, "step-2", sets=["/params/temperature=1"], base_url=base_url(server, api))
    assert first.status == "needs-tool-result" and first.needs.arguments == {"city": "Oslo"}
    fork = read_trace(first.fork_path)
    assert [s.origin for s in fork.spans] == ["recorded", "patched", "cached", "live"]
    server.enqueue(reply("Paris sunny, Oslo snowy."))
    resumed = replay(
        first.fork_path, first.needs.step, patch={"result": "snow"}, base_url=base_url(server, api)
    )
    assert resumed.status == "finished", resumed.error
    messages = server.requests[1].json["messages"]
    tool_messages = [m["content"] for m in messages if m["role"] == "tool"]
    assert tool_messages == ["18C and sunny", "snow"]
    assert messages[-3]["role"] == "assistant" and len(messages[-3]["tool_calls"]) == 2


def test_tool_steps_nested_under_their_llm_step(tmp_path, server):
    """Some recorders put tool steps under the llm step that asked for them; the fork still edits in place."""
    api = "openai.chat.completions"
    run = record_run(
        tmp_path / "flat.jsonl",
        server,
        api,
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny.")],
        {"get_weather": weather},
    )
    lines = [json.loads(line) for line in run.read_text().splitlines()]
    for line in lines:
        if line.get("kind") == "tool":
            line["parent_id"] = "llm-0"
    nested = tmp_path / "nested.jsonl"
    nested.write_text("".join(json.dumps(line) + "\n" for line in lines))
    server.enqueue(reply("Hail."))
    result = replay(nested, "tool:get_weather", patch={"result": "hail"}, base_url=base_url(server, api))
    assert result.status == "finished", result.error
    assert any("replaces the recorded one in step-4" in note for note in result.notes)
    assert server.requests[0].json["messages"][-1] == {
        "role": "tool",
        "tool_call_id": lines[3]["input"]["call_id"],
        "content": "hail",
    }
    fork = read_trace(result.fork_path)
    assert fork.spans[-1].parent_id == lines[1]["id"]  # the agent, like the llm steps it continues
