"""Goose sessions: counts checked against the raw JSONL with plain json.

The fixture is a viewer's test file (jedarden/AgentScribe) in the shape that Goose's issue
aaif-goose/goose#2529 documents from real sessions; see data/MANIFEST.tsv. It is not a recorded session.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors, jsonl

SESSION = DATA / "goose/sample_session.jsonl"


def test_messages_tool_requests_responses_and_session_tokens() -> None:
    records = jsonl(SESSION)
    meta, messages = records[0], records[1:]
    requests = [b for m in messages for b in m["content"] if b["type"] == "toolRequest"]
    responses = {b["id"] for m in messages for b in m["content"] if b["type"] == "toolResponse"}

    trace = open_trace(SESSION)

    assert detect_format(SESSION) == "goose"
    assert len(trace.llm_spans) == sum(1 for m in messages if m["role"] == "assistant")
    assert [s.id for s in trace.tool_spans] == [b["id"] for b in requests]
    assert {s.id for s in trace.tool_spans if s.ended} == responses
    assert (trace.totals()["input_tokens"], trace.totals()["output_tokens"]) == (
        meta["input_tokens"],
        meta["output_tokens"],
    )
    assert trace.tool_spans[0].tool.arguments == {"command": "ps aux | grep worker"}
    assert trace.header.name == meta["description"]
    assert errors(trace) == []


def test_failed_tool_response_is_an_error(tmp_path: Path) -> None:
    records = jsonl(SESSION)
    records[3]["content"][0]["toolResult"] = {"status": "error", "error": "Command timed out"}
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    trace = open_trace(path)
    assert [s.error.message for s in errors(trace)] == ["Command timed out"]
