"""A fork's status, duration and timeline are its own (issue 18 point 3)."""

from __future__ import annotations

import json

from agentdbg import read_trace
from agentdbg.replay import replay
from agentdbg.testing.llm_server import reply, tool_call_reply
from tests.replay.agent import record_run, weather
from tests.replay.conftest import base_url

HOURS_AGO = 127 * 3600


def failed_old_run(tmp_path, server):
    """A run recorded 127 hours ago whose agent step ended with MaxStepsExceeded."""
    path = record_run(
        tmp_path / "run.jsonl",
        server,
        "openai.chat.completions",
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("It is 18C and sunny in Paris.")],
        {"get_weather": weather},
    )
    lines = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        for key in ("started_at", "ended_at"):
            if isinstance(record.get(key), float):
                record[key] -= HOURS_AGO
        if record.get("type") == "span_end" and str(record.get("id", "")).startswith("agent-"):
            record["error"] = {"type": "MaxStepsExceeded", "message": "gave up after 8 turns"}
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")
    original = read_trace(path)
    assert original.spans[0].kind == "agent" and original.spans[0].error is not None
    return path


def test_the_copied_agent_step_ends_with_the_fork_not_the_original(tmp_path, server):
    run = failed_old_run(tmp_path, server)
    server.enqueue(reply("Sunny."))
    result = replay(run, "last-llm", sets=["/params/temperature=0"], base_url=base_url(server, "openai.chat"))
    assert result.status == "finished", result.error
    fork = read_trace(result.fork_path)
    agent, *steps = fork.spans
    assert agent.kind == "agent" and agent.origin == "recorded"
    assert agent.error is None and agent.status == "ok"  # not the original's MaxStepsExceeded
    assert not [s for s in fork.spans if s.status == "error"]
    starts = [s.started_at for s in fork.spans]
    ends = [s.ended_at for s in fork.spans]
    assert max(ends) - min(starts) < 60  # the fork's own duration, not 127 hours
    assert agent.ended_at >= max(s.ended_at for s in steps)  # it ends with the fork's last step
    assert fork.header.started_at is not None and min(starts) >= fork.header.started_at - 60
    copied = [s for s in steps if s.origin == "recorded"]
    original = read_trace(run)
    assert [s.duration for s in copied] == [s.duration for s in original.spans[1 : 1 + len(copied)]]
    assert not fork.problems


def test_a_failed_fork_marks_its_agent_step_failed(tmp_path, server):
    run = failed_old_run(tmp_path, server)
    result = replay(run, "last-llm", base_url=base_url(server, "openai.chat"))  # nothing queued: HTTP 500
    assert result.status == "errored"
    agent = read_trace(result.fork_path).spans[0]
    assert agent.error is not None and agent.error.type == "ReplayError"
