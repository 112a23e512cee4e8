"""Gemini CLI sessions: counts checked against the raw JSON / JSONL with plain json."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors

CHECKPOINT = DATA / "gemini_cli/session-01.json"
CHAT = DATA / "gemini_cli/gemini_with_tool_error.jsonl"


def _messages(path: Path) -> list[dict]:
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))["messages"]
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in lines if "type" in r]


def test_steps_tool_calls_errors_and_tokens_match_both_file_shapes() -> None:
    for path in (CHECKPOINT, CHAT):
        messages = _messages(path)
        answers = [m for m in messages if m["type"] == "gemini"]
        calls = [c for m in answers for c in m.get("toolCalls", [])]
        failed = [c for c in calls if c["status"] != "success"]

        trace = open_trace(path)

        assert detect_format(path) == "gemini-cli"
        assert [s.id for s in trace.llm_spans] == [m["id"] for m in answers]
        assert [s.id for s in trace.tool_spans] == [c["id"] for c in calls]
        assert {s.id for s in errors(trace)} == {c["id"] for c in failed}
        assert trace.totals()["input_tokens"] == sum(m["tokens"]["input"] for m in answers)
        assert trace.totals()["output_tokens"] == sum(m["tokens"]["output"] for m in answers)
        assert trace.totals()["cached_input_tokens"] == sum(m["tokens"]["cached"] for m in answers)
        assert [s.usage.reasoning_tokens for s in trace.llm_spans] == [
            m["tokens"]["thoughts"] for m in answers
        ]
        assert trace.problems == []


def test_tool_results_and_the_rebuilt_request_follow_the_conversation() -> None:
    trace = open_trace(CHAT)
    failed = trace.by_id["edit_file-002"]
    assert failed.error.message.startswith("Failed to edit, 0 occurrences found")
    assert trace.by_id["read_file-001"].output == '{"port": 9000, "host": "127.0.0.1", "debug": true}'
    third = trace.by_id["msg-ge6"]
    messages = third.input["request"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "user", "assistant", "tool", "user"]
    assert messages[2]["tool_call_id"] == "edit_file-001" and messages[2]["content"] == "Edit successful"
    assert third.llm.replayable is True and "OpenAI-compatible" in third.attributes["replay_note"]
    assert third.attributes["thoughts"][0]["subject"] == "File Inspection"


def test_jsonl_updates_and_rewritten_messages(tmp_path: Path) -> None:
    lines = CHAT.read_text(encoding="utf-8").splitlines()
    answer = json.loads(lines[2])
    early = {k: v for k, v in answer.items() if k != "toolCalls"}  # first written before its tool call ran
    lines.insert(2, json.dumps(early))
    lines.append(
        json.dumps({"$set": {"lastUpdated": "2025-12-06T15:09:00.000Z", "summary": "port and host"}})
    )
    path = tmp_path / "session-chat.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    trace = open_trace(path)

    assert [s.id for s in trace.llm_spans].count("msg-ge2") == 1  # the last copy wins, in the first place
    assert trace.by_id["edit_file-001"].ended
    assert trace.header.name == "port and host"


def test_rewind_drops_the_message_and_what_followed(tmp_path: Path) -> None:
    lines = CHAT.read_text(encoding="utf-8").splitlines()
    lines.append(json.dumps({"$rewindTo": "msg-ge8"}))  # the last prompt was edited
    lines.append(json.dumps({"$set": {"messages": [{"role": "user", "parts": [{"text": "compressed"}]}]}}))
    path = tmp_path / "session-rewound.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    trace = open_trace(path)
    assert "msg-ge9" not in trace.by_id
    assert [s.id for s in trace.llm_spans][-1] == "msg-ge7"
    assert trace.problems == []
