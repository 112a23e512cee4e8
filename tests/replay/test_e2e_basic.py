"""End-to-end replays through the real SDKs against the local server, for every API."""

from __future__ import annotations

import json

import pytest

from agentdbg import read_trace
from agentdbg.replay import replay
from agentdbg.testing.llm_server import reply, tool_call_reply
from tests.replay.agent import APIS, record_run, weather
from tests.replay.conftest import base_url


def weather_run(tmp_path, server, api, **kwargs):
    """step-1 agent, step-2 llm → get_weather(Paris), step-3 tool, step-4 llm → final answer."""
    return record_run(
        tmp_path / "run.jsonl",
        server,
        api,
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("It is 18C and sunny in Paris.")],
        {"get_weather": weather},
        **kwargs,
    )


def sent_text(request) -> str:
    return json.dumps(request.json, ensure_ascii=False)


@pytest.mark.parametrize("api", APIS)
def test_system_prompt_edit_changes_what_follows(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    server.enqueue(reply("Il fait beau."))
    patch = [{"op": "replace", "path": "/system", "value": "Always answer in French."}]
    result = replay(run, "step-2", patch=patch, base_url=base_url(server, api))
    assert result.status == "finished" and result.exit_code == 0
    assert result.new_answer == "Il fait beau."
    assert result.old_answer == "It is 18C and sunny in Paris."
    assert result.divergence_step == "step-2"
    assert len(server.requests) == 1
    body = sent_text(server.requests[0])
    assert "Always answer in French." in body and "weather assistant" not in body
    fork = read_trace(result.fork_path)
    assert not fork.problems
    assert [s.origin for s in fork.spans] == ["recorded", "patched"]
    assert fork.header.fork_of is not None and fork.header.fork_of.step == "step-2"
    assert fork.header.fork_of.patch == patch
    assert fork.spans[1].input["request"] == server.requests[0].json


@pytest.mark.parametrize("api", APIS)
def test_nothing_before_the_fork_is_resent(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    original = read_trace(run)
    server.enqueue(reply("Paris: 18C, sunny."))
    result = replay(run, "last-llm", sets=["/params/temperature=0.5"], base_url=base_url(server, api))
    assert result.status == "finished", result.error
    assert len(server.requests) == 1  # steps 1-3 were copied, not sent
    sent = server.requests[0].json
    recorded = original.spans[3].input["request"]
    assert sent == {**recorded, "temperature": 0.5}
    fork = read_trace(result.fork_path)
    assert [s.origin for s in fork.spans] == ["recorded", "recorded", "recorded", "patched"]
    assert fork.spans[1].output == original.spans[1].output
    assert result.new_answer == "Paris: 18C, sunny."


@pytest.mark.parametrize("api", APIS)
def test_tool_result_edit_changes_the_final_answer(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    server.enqueue(reply("It is snowing in Paris, -5C."))
    result = replay(
        run, "tool:get_weather", patch={"result": "-5C and snowing"}, base_url=base_url(server, api)
    )
    assert result.status == "finished"
    assert result.new_answer == "It is snowing in Paris, -5C."
    assert result.divergence_step == "step-4"
    assert len(server.requests) == 1
    body = sent_text(server.requests[0])
    assert "-5C and snowing" in body and "18C and sunny" not in body
    fork = read_trace(result.fork_path)
    assert [s.origin for s in fork.spans] == ["recorded", "recorded", "patched", "live"]
    assert fork.spans[2].output == "-5C and snowing"


@pytest.mark.parametrize("api", APIS)
def test_model_tool_call_answered_from_recorded_result(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    server.enqueue(tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny!"))
    result = replay(run, "step-2", sets=["/params/top_p=1"], base_url=base_url(server, api))
    assert result.status == "finished" and result.llm_calls == 2
    fork = read_trace(result.fork_path)
    assert [s.origin for s in fork.spans] == ["recorded", "patched", "cached", "live"]
    assert fork.spans[2].output == "18C and sunny"
    assert "18C and sunny" in sent_text(server.requests[1])
    assert result.divergence_step == "step-4"
