"""Codex rollouts, modern (corpus) and legacy (a file in the documented shape): counts from the raw lines."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import CORPUS, DATA, errors, jsonl

MODERN = CORPUS / "codex/kvsankar_real_session-01_redacted.jsonl"
LEGACY = DATA / "codex_legacy.jsonl"


def test_modern_rollout_steps_and_token_deltas() -> None:
    records = jsonl(MODERN)
    items = [r["payload"] for r in records if r["type"] == "response_item"]
    assistant = [i for i in items if i.get("type") == "message" and i.get("role") == "assistant"]
    last = [
        r["payload"]["info"]["last_token_usage"]
        for r in records
        if r["type"] == "event_msg" and r["payload"].get("type") == "token_count"
    ]
    turns = [r for r in records if r["type"] == "event_msg" and r["payload"].get("type") == "task_started"]
    model = next(r["payload"]["model"] for r in records if r["type"] == "turn_context")

    trace = open_trace(MODERN)
    assert trace.format == "codex"
    assert len(trace.llm_spans) == len(assistant) == 1
    assert trace.tool_spans == []
    assert len([s for s in trace.spans if s.name == "turn"]) == len(turns)
    llm = trace.llm_spans[0]
    assert llm.input["api"] == "responses" and llm.input["request"]["model"] == model
    assert llm.llm.replayable is True
    assert "tool definitions are not in the file" in llm.attributes["replay_note"]
    assert [m.role for m in llm.llm.prompt] == ["system", "developer", "user", "user"]
    assert llm.llm.answer_text == assistant[0]["content"][0]["text"]
    assert llm.usage.input_tokens == sum(u["input_tokens"] for u in last)
    assert llm.usage.output_tokens == sum(u["output_tokens"] for u in last)
    assert llm.usage.cached_input_tokens == sum(u["cached_input_tokens"] for u in last)
    assert trace.header.trace_id == records[0]["payload"]["id"]


def _is_failure(output: str) -> bool:
    """Independent reading of a function_call_output: JSON with a non-zero exit code, or plain error text."""
    try:
        decoded = json.loads(output)
    except ValueError:
        return output.startswith(("error:", "tool call error")) or "sandbox" in output
    if isinstance(decoded, dict):
        return decoded["metadata"]["exit_code"] != 0
    return False


def test_legacy_rollout_calls_outputs_and_errors() -> None:
    records = jsonl(LEGACY)
    calls = [r for r in records if r.get("type") == "function_call"]
    outputs = {r["call_id"]: r["output"] for r in records if r.get("type") == "function_call_output"}
    failures = {cid for cid, out in outputs.items() if _is_failure(out)}

    assert detect_format(LEGACY) == "codex"
    trace = open_trace(LEGACY)
    assert len(trace.tool_spans) == len(calls)
    assert {s.id for s in errors(trace)} == failures
    for span in trace.tool_spans:
        original = next(c for c in calls if c["call_id"] == span.id)
        assert span.tool.arguments == json.loads(original["arguments"])  # the JSON string is decoded
    shell = trace.by_id["call_1"]
    assert shell.output == "README.md\nsrc\n" and shell.attributes["exit_code"] == 0
    assert trace.by_id["call_5"].output == [
        {"text": "No pending tasks", "type": "text"}
    ]  # MCP content list in a string
    assert any("legacy" in p.message for p in trace.problems)
    # consecutive model items (reasoning + call, two parallel calls) form one llm step each
    assert [len(s.output["output"]) for s in trace.llm_spans] == [2, 2, 1, 1, 1]


def test_truncated_and_mistyped_rollout_lines(tmp_path: Path) -> None:
    text = MODERN.read_text(encoding="utf-8").splitlines()
    text.insert(2, '{"timestamp": "x", "type": "response_item", "payload": 7}')
    text.insert(
        3,
        '{"timestamp": "x", "type": "event_msg", "payload": {"type": "exec_command_begin", "call_id": "c"}}',
    )
    text.insert(4, '{"timestamp": "x", "type": "event_msg", "payload": {"type": "brand_new_event"}}')
    path = tmp_path / "rollout.jsonl"
    path.write_text("\n".join(text)[:-25], encoding="utf-8")
    trace = open_trace(path, format="codex")
    messages = " | ".join(p.message for p in trace.problems)
    assert "truncated last line" in messages
    assert "kept 1 unknown record(s) of type event_msg.brand_new_event" in messages
    assert trace.by_id["c"].kind == "tool" and trace.by_id["c"].status == "incomplete"  # begun, never ended
    assert "kept 1 unknown record(s) of type response_item" in messages
    assert len(trace.llm_spans) == 1


def test_error_and_aborted_turn_events(tmp_path: Path) -> None:
    lines = MODERN.read_text(encoding="utf-8").splitlines()
    aborted = {
        "timestamp": "2026-06-05T04:58:27.000Z",
        "type": "event_msg",
        "payload": {"type": "task_started", "turn_id": "t2"},
    }
    error = {
        "timestamp": "2026-06-05T04:58:28.000Z",
        "type": "event_msg",
        "payload": {"type": "error", "message": "stream disconnected before completion"},
    }
    abort = {
        "timestamp": "2026-06-05T04:58:29.000Z",
        "type": "event_msg",
        "payload": {"type": "turn_aborted", "reason": "interrupted"},
    }
    path = tmp_path / "rollout.jsonl"
    path.write_text(
        "\n".join(lines + [json.dumps(r) for r in (aborted, error, abort)]) + "\n", encoding="utf-8"
    )
    trace = open_trace(path)
    failed = {s.name: s.error for s in errors(trace)}
    assert failed["codex error"].message == "stream disconnected before completion"
    assert failed["turn"].type == "turn_aborted"
