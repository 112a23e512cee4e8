"""Codex rollouts of recent CLI versions: tool events and items are tool steps, merged by call_id.

The records appended to the real rollout follow the shapes recent CLIs write (0.132: ``exec_command_end``
with ``aggregated_output``, ``exit_code`` and ``duration {secs, nanos}``; ``mcp_tool_call_*`` with an
``invocation``; ``patch_apply_end``; ``web_search_call`` / ``tool_search_call`` response items).
"""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.formatting import fmt_duration
from agentdbg.importers import open_trace
from tests.importers.corpus import CORPUS, errors

MODERN = CORPUS / "codex/kvsankar_real_session-01_redacted.jsonl"


def _line(ts: str, kind: str, payload: dict) -> str:
    return json.dumps({"timestamp": f"2026-06-05T04:59:{ts}Z", "type": kind, "payload": payload})


RECENT = [
    _line("00.000", "event_msg", {"type": "task_started", "turn_id": "t9", "started_at": 3}),
    _line(
        "01.000",
        "response_item",
        {
            "type": "function_call",
            "name": "exec_command",
            "arguments": '{"cmd":"ls /nope"}',
            "call_id": "call_ls",
        },
    ),
    _line(
        "01.500",
        "event_msg",
        {
            "type": "exec_command_begin",
            "call_id": "call_ls",
            "command": ["ls", "/nope"],
            "cwd": "/w",
            "started_at_ms": 1,
        },
    ),
    _line(
        "02.000",
        "event_msg",
        {
            "type": "exec_command_end",
            "call_id": "call_ls",
            "aggregated_output": "ls: /nope: No such file\n",
            "exit_code": 1,
            "status": "failed",
            "duration": {"secs": 0, "nanos": 5000000},
            "completed_at_ms": 2,
        },
    ),
    _line(
        "02.100",
        "response_item",
        {"type": "function_call_output", "call_id": "call_ls", "output": "ls: /nope: No such file\n"},
    ),
    _line(
        "03.000",
        "event_msg",
        {
            "type": "mcp_tool_call_begin",
            "call_id": "call_mcp",
            "invocation": {"server": "tickets", "tool": "status", "arguments": {"id": 7}},
        },
    ),
    _line(
        "04.000",
        "event_msg",
        {
            "type": "mcp_tool_call_end",
            "call_id": "call_mcp",
            "invocation": {"server": "tickets", "tool": "status", "arguments": {"id": 7}},
            "duration": {"secs": 1, "nanos": 0},
            "result": {"Ok": {"content": [{"type": "text", "text": "open"}]}},
        },
    ),
    _line(
        "05.000",
        "response_item",
        {
            "type": "custom_tool_call",
            "name": "apply_patch",
            "input": "*** Begin Patch\n*** End Patch",
            "call_id": "call_patch",
            "status": "completed",
        },
    ),
    _line(
        "05.500",
        "event_msg",
        {
            "type": "patch_apply_end",
            "call_id": "call_patch",
            "stdout": "",
            "stderr": "patch did not apply",
            "success": False,
        },
    ),
    _line(
        "05.600",
        "response_item",
        {"type": "custom_tool_call_output", "call_id": "call_patch", "output": "error: patch did not apply"},
    ),
    _line(
        "06.000",
        "response_item",
        {
            "type": "web_search_call",
            "id": "ws_1",
            "status": "completed",
            "action": {"type": "search", "query": "codex rollout"},
        },
    ),
    _line(
        "07.000",
        "response_item",
        {
            "type": "tool_search_call",
            "call_id": "call_ts",
            "execution": "client",
            "status": "completed",
            "arguments": {"query": "tickets"},
        },
    ),
    _line(
        "07.500",
        "response_item",
        {
            "type": "tool_search_output",
            "call_id": "call_ts",
            "status": "completed",
            "execution": "client",
            "tools": [{"name": "tickets__status"}],
        },
    ),
    _line("08.000", "event_msg", {"type": "turn_diff", "unified_diff": ""}),
    _line("09.000", "event_msg", {"type": "task_complete", "turn_id": "t9", "completed_at": 9}),
]


def _rollout(tmp_path: Path) -> Path:
    path = tmp_path / "rollout.jsonl"
    path.write_text(
        MODERN.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(RECENT) + "\n", encoding="utf-8"
    )
    return path


def test_tool_events_and_items_are_tool_steps_merged_by_call_id(tmp_path: Path) -> None:
    records = [json.loads(line) for line in RECENT]
    call_ids = {
        r["payload"].get("call_id") or r["payload"].get("id")
        for r in records
        if r["payload"]["type"]
        in ("function_call", "custom_tool_call", "web_search_call", "tool_search_call", "mcp_tool_call_begin")
    }

    trace = open_trace(_rollout(tmp_path))

    assert {s.id for s in trace.tool_spans} == call_ids  # one step per call, events never a second one
    assert all(s.ended for s in trace.tool_spans)
    assert {s.id for s in errors(trace)} == {"call_ls", "call_patch"}
    shell = trace.by_id["call_ls"]
    assert shell.attributes["exit_code"] == 1 and shell.attributes["duration_seconds"] == 0.005
    mcp = trace.by_id["call_mcp"]
    assert mcp.name == "tickets__status" and mcp.output == [{"type": "text", "text": "open"}]
    assert mcp.tool.arguments == {"id": 7}
    assert trace.by_id["ws_1"].name == "web_search"
    assert trace.by_id["call_ts"].output == [{"name": "tickets__status"}]
    assert not [p for p in trace.problems if "unknown" in p.message]
    assert trace.roots[0].attributes["other_events"] == {"turn_diff": 1}


def test_counters_are_not_taken_for_clock_times(tmp_path: Path) -> None:
    trace = open_trace(_rollout(tmp_path))
    duration = trace.totals()["duration"]
    assert duration is not None and duration < 3600
    assert "m" not in fmt_duration(duration) or len(fmt_duration(duration)) < 8
    starts = [s.started_at for s in trace.spans if s.started_at is not None]
    assert min(starts) > 1.7e9
