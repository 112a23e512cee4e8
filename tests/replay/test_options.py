"""One typed replay entry point: ``replay(..., options=ReplayOptions(...))`` used by verify and explain."""

from __future__ import annotations

import pytest

from agentdbg.analysis.verify import ReplayCheck, VerifyRow, replay_and_judge
from agentdbg.explain.check import FixCheck
from agentdbg.replay import ReplayInputError, ReplayOptions, replay
from agentdbg.store import read_trace
from agentdbg.testing.llm_server import reply, tool_call_reply
from tests.replay.agent import record_run, weather
from tests.replay.conftest import base_url

API = "anthropic.messages"


def run(tmp_path, server):
    return record_run(
        tmp_path / "run.jsonl",
        server,
        API,
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny in Paris.")],
        {"get_weather": weather},
    )


def test_options_carry_the_settings(tmp_path, server):
    path = run(tmp_path, server)
    server.enqueue(reply("Cloudy."))
    options = ReplayOptions(base_url=base_url(server, API), max_steps=1, model="claude-other")
    result = replay(path, "last-llm", options=options)
    assert result.status == "finished" and result.new_answer == "Cloudy."
    assert server.requests[0].json["model"] == "claude-other"


def test_options_and_keywords_do_not_mix(tmp_path, server):
    path = run(tmp_path, server)
    with pytest.raises(ReplayInputError, match="either as options"):
        replay(path, "last-llm", options=ReplayOptions(), base_url="http://127.0.0.1:9")


def test_verify_and_explain_judge_a_replay_the_same_way(tmp_path, server):
    path = run(tmp_path, server)
    trace = read_trace(path)
    options = ReplayOptions(base_url=base_url(server, API))
    checks: list[ReplayCheck] = []
    for number, check in enumerate(
        [VerifyRow(trace=str(path)), FixCheck(number=1, kind="prompt", step="x", title="t")]
    ):
        server.enqueue(reply("Cloudy."))
        checks.append(
            replay_and_judge(
                check, trace, "last-llm", None, tmp_path / f"f{number}.jsonl", replay_options=options
            )
        )
    assert [(c.status, c.new_answer, c.answer_changed) for c in checks] == [("finished", "Cloudy.", True)] * 2
    missing = replay_and_judge(VerifyRow(trace=str(path)), trace, "step-99", None, tmp_path / "m.jsonl")
    assert missing.status == "skipped" and "step-99" in (missing.error or "")
