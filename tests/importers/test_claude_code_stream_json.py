"""Claude Code's headless stream-json output (``claude -p --output-format stream-json --verbose``) opens as
a Claude Code session: before, a real one was "not a trace agentdbg can read" (exit 2). Events as a real
run wrote them (uspark-hq/uspark's spec; tests/importers/data/MANIFEST.tsv)."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, jsonl

RUN = DATA / "claude_code_stream" / "uspark_stream.jsonl"


def test_detected_with_steps_tools_and_usage() -> None:
    records = jsonl(RUN)
    assert detect_format(RUN) == "claude-code"
    trace = open_trace(RUN)
    calls = [
        b
        for r in records
        if r["type"] == "assistant"
        for b in r["message"]["content"]
        if b["type"] == "tool_use"
    ]
    tools = [s for s in trace.spans if s.kind == "tool"]
    assert [(t.name, t.input["call_id"]) for t in tools] == [(c["name"], c["id"]) for c in calls]
    results = {b["tool_use_id"] for r in records if r["type"] == "user" for b in r["message"]["content"]}
    assert {t.input["call_id"] for t in tools if t.ended} == results  # the Read call has no result: open
    message_ids = {r["message"]["id"] for r in records if r["type"] == "assistant"}
    assert len(trace.llm_spans) == len(message_ids)  # a response split over lines is one step
    usage = records[1]["message"]["usage"]
    first = trace.llm_spans[0].usage
    assert (first.input_tokens, first.cached_input_tokens, first.cache_creation_input_tokens) == (
        usage["input_tokens"],
        usage["cache_read_input_tokens"],
        usage["cache_creation_input_tokens"],
    )


def test_init_and_result_records_describe_the_session() -> None:
    records = jsonl(RUN)
    init, result = records[0], records[-1]
    trace = open_trace(RUN)
    session = trace.spans[0]
    assert trace.header.trace_id == init["session_id"] == session.attributes["sessionId"]
    assert (
        session.attributes["model"] == init["model"] and session.attributes["init"]["tools"] == init["tools"]
    )
    assert session.output == result["result"] and session.error is None
    assert session.attributes["result"]["total_cost_usd"] == result["total_cost_usd"]
    # the result's totals are not counted a second time on top of the llm steps; the assistant records'
    # output counts are message_start's (2 here), so the run's output is the result's total (5)
    assert trace.totals()["output_tokens"] == result["usage"]["output_tokens"]


def test_failed_run_and_sub_agent_messages(tmp_path: Path) -> None:
    records = jsonl(RUN)
    sid = records[0]["session_id"]
    task = {
        "type": "tool_use",
        "id": "toolu_task",
        "name": "Task",
        "input": {"description": "look", "prompt": "p"},
    }
    sub = {
        "id": "msg_sub",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [{"type": "text", "text": "sub"}],
    }
    extra = [
        {
            "type": "assistant",
            "message": {**records[1]["message"], "id": "msg_task", "content": [task]},
            "session_id": sid,
        },
        {"type": "assistant", "message": sub, "parent_tool_use_id": "toolu_task", "session_id": sid},
    ]
    failed = {
        "type": "result",
        "subtype": "error_max_turns",
        "is_error": True,
        "result": "",
        "session_id": sid,
    }
    path = tmp_path / "run.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*records[:-1], *extra, failed]))
    trace = open_trace(path)
    task_step = next(s for s in trace.spans if s.name == "Task")
    sub_step = next(s for s in trace.llm_spans if s.id == "msg_sub")
    assert sub_step.parent_id == task_step.id  # the sub-agent's answer hangs under the Task call
    assert trace.spans[0].error is not None and trace.spans[0].error.type == "error_max_turns"
