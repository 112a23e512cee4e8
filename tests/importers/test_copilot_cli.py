"""GitHub Copilot CLI events.jsonl: counts checked against the raw events with plain json."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors, jsonl

EVENTS = DATA / "copilot_cli/f4539556-b58f-4908-b6a1-67594d6cbd07/events.jsonl"


def test_messages_tool_requests_and_executions_match_the_events() -> None:
    events = jsonl(EVENTS)
    answers = [e for e in events if e["type"] == "assistant.message"]
    requested = [r["toolCallId"] for e in answers for r in e["data"].get("toolRequests", [])]
    completed = {e["data"]["toolCallId"] for e in events if e["type"] == "tool.execution_complete"}

    trace = open_trace(EVENTS)

    assert detect_format(EVENTS) == "copilot-cli"
    assert [s.id for s in trace.llm_spans] == [e["data"]["messageId"] for e in answers]
    assert [s.id for s in trace.tool_spans] == requested
    assert {s.id for s in trace.tool_spans if s.ended} == completed
    assert trace.by_id["call_zmaYMibbs8tN9Uzcc04TwuEn"].tool.arguments["command"] == "just build"
    assert trace.by_id["call_jIszjbu2CpkBm2RBo2531pAC"].output == "Intent logged"
    turn = next(s for s in trace.spans if s.name == "turn 0")
    assert {s.parent_id for s in trace.llm_spans + trace.tool_spans} == {turn.id}
    llm = trace.llm_spans[0]
    assert llm.input["request"]["messages"] == [{"role": "user", "content": "Run `just build`"}]
    assert llm.attributes["replayable"] is False and "GitHub" in llm.attributes["not_replayable_because"]
    assert trace.header.trace_id == events[0]["data"]["sessionId"]


def test_usage_failures_and_session_errors(tmp_path: Path) -> None:
    extra = [
        {
            "type": "assistant.usage",
            "data": {
                "model": "gpt-5",
                "inputTokens": 12800,
                "outputTokens": 95,
                "cacheReadTokens": 11000,
                "cacheWriteTokens": 0,
                "cost": 1,
            },
        },
        {
            "type": "tool.execution_complete",
            "data": {
                "toolCallId": "call_zmaYMibbs8tN9Uzcc04TwuEn",
                "success": False,
                "error": {"message": "just: command not found", "code": "failure"},
            },
        },
        {"type": "session.error", "data": {"errorType": "rate_limit", "message": "429 Too Many Requests"}},
        {"type": "assistant.turn_end", "data": {"turnId": "0"}},
        {"type": "session.idle", "data": {}},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text(
        EVENTS.read_text(encoding="utf-8")
        + "".join(json.dumps({**e, "timestamp": "2026-02-01T11:35:09.000Z"}) + "\n" for e in extra),
        encoding="utf-8",
    )

    trace = open_trace(path)

    llm = trace.llm_spans[0]
    assert (llm.usage.input_tokens, llm.usage.output_tokens, llm.usage.cached_input_tokens) == (
        12800,
        95,
        11000,
    )
    assert llm.name == "gpt-5"  # named by its usage event (session.start of 0.0.400 names no model)
    failed = trace.by_id["call_zmaYMibbs8tN9Uzcc04TwuEn"]
    assert failed.error.message == "just: command not found"
    assert [e.error.type for e in errors(trace)] == ["failure", "rate_limit"]
    assert all(s.ended for s in trace.spans)
    assert trace.roots[0].attributes["other_events"] == {"session.idle": 1}
