"""Codex CLI 0.171.0 files written here by a real ``codex exec`` against agentdbg's fake server.

Rollouts of this version say how a command ended only in ``item_completed`` events holding a
``CommandExecution`` turn item and in the ``Process exited with code N`` header of the output the
model saw (no ``exec_command_end``); they add ``token_usage_record``, ``world_state`` and
``thread_settings_applied`` records, and a turn that fails says so in ``task_complete.error``.
``codex exec --json`` reports its warnings as ``error`` items. Expectations come from the files.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, errors, jsonl

ROLLOUT = DATA / "codex/codex_0.171.0_fake_server_exec_command.jsonl"
ROLLOUT_FAILED = DATA / "codex/codex_0.171.0_fake_server_context_error.jsonl"
EXEC = DATA / "codex_exec/exec_0.171.0_fake_server.jsonl"
EXEC_FAILED = DATA / "codex_exec/exec_0.171.0_fake_server_context_error.jsonl"


def test_rollout_steps_calls_and_usage_match_the_file() -> None:
    records = jsonl(ROLLOUT)
    calls = [r["payload"] for r in records if r["payload"].get("type") == "function_call"]
    assert detect_format(ROLLOUT) == "codex"
    trace = open_trace(ROLLOUT)
    assert [p for p in trace.problems if p.severity != "info"] == []
    assert not [p for p in trace.problems if "unknown record" in p.message], trace.problems
    llm = trace.spans_of_kind("llm")
    tools = trace.spans_of_kind("tool")
    assert [s.name for s in llm] == ["gpt-5-codex"] * 3
    assert [(s.usage.input_tokens, s.usage.output_tokens) for s in llm if s.usage] == [
        (2400, 40),
        (2480, 20),
        (2560, 18),
    ]
    assert llm[0].usage is not None and llm[0].usage.cached_input_tokens == 1024
    response_ids = [r["payload"]["response_id"] for r in records if r["type"] == "token_usage_record"]
    assert [s.attributes.get("response_id") for s in llm] == response_ids
    assert [(t.input["call_id"], t.input["arguments"]) for t in tools] == [
        (c["call_id"], json.loads(c["arguments"])) for c in calls
    ]
    assert all(str(t.output).startswith("Chunk ID: ") for t in tools)  # what the model saw


def test_rollout_failed_command_is_an_error_with_its_exit_code() -> None:
    trace = open_trace(ROLLOUT)
    tools = trace.spans_of_kind("tool")
    assert [t.error is None for t in tools] == [True, False]
    failed = tools[1]
    assert failed.error is not None and failed.error.type == "exit_code"
    assert failed.error.message.startswith("exit code 1: cat: missing.txt: No such file or directory")
    assert [t.attributes.get("exit_code") for t in tools] == [0, 1]
    assert failed.attributes.get("duration_seconds") is not None
    assert [s.input["call_id"] for s in errors(trace)] == ["call_exec_2"]


def test_exit_header_alone_marks_the_failure(tmp_path: Path) -> None:
    """Without the item_completed events, the output header the model saw still says exit code 1."""
    kept = [
        line
        for line in ROLLOUT.read_text(encoding="utf-8").splitlines()
        if '"type":"item_completed"' not in line
    ]
    bare = tmp_path / "rollout.jsonl"
    bare.write_text("\n".join(kept) + "\n", encoding="utf-8")
    tools = open_trace(bare).spans_of_kind("tool")
    assert [t.error.type if t.error else None for t in tools] == [None, "exit_code"]


def test_rollout_session_keeps_world_state_and_thread_settings() -> None:
    root = open_trace(ROLLOUT).roots[0]
    assert root.attributes["thread_settings"]["model"] == "gpt-5-codex"
    assert root.attributes["world_states"][0]["full"] is True


def test_rollout_turn_failure_from_task_complete() -> None:
    complete = next(
        r["payload"] for r in jsonl(ROLLOUT_FAILED) if r["payload"].get("type") == "task_complete"
    )
    trace = open_trace(ROLLOUT_FAILED)
    turn = next(s for s in trace.spans if s.name == "turn")
    assert turn.error is not None
    assert (turn.error.type, turn.error.message) == (
        "context_window_exceeded",
        complete["error"]["message"],
    )
    assert [s.kind for s in trace.spans] == ["agent", "agent", "llm", "tool"]


def test_exec_json_warning_item_is_not_a_failure() -> None:
    trace = open_trace(EXEC)
    notice = next(s for s in trace.spans if s.name == "codex notice")
    assert notice.error is None
    assert str(notice.output).startswith("Model metadata for `gpt-5-codex` not found")
    assert [(s.kind, s.error.type) for s in errors(trace) if s.error] == [("tool", "exit_code")]
    failed = open_trace(EXEC_FAILED)
    assert {s.error.type for s in errors(failed) if s.error} == {"turn_failed", "error"}


PATCHED = DATA / "codex/codex_0.171.0_fake_server_apply_patch.jsonl"
EXEC_PATCHED = DATA / "codex_exec/exec_0.171.0_fake_server_apply_patch.jsonl"


def test_apply_patch_through_exec_command() -> None:
    """apply_patch run by exec_command: the FileChange item joins the call's step; a patch that cannot
    apply answers 'apply_patch verification failed' (no item), which is the step's error."""
    tools = open_trace(PATCHED).spans_of_kind("tool")
    assert [t.input["call_id"] for t in tools] == ["call_patch_1", "call_patch_2"]
    assert tools[0].error is None and tools[0].attributes["events"] == ["end"]
    assert tools[1].error is not None
    assert tools[1].error.message.startswith("apply_patch verification failed: Failed to read file")
    (change,) = open_trace(EXEC_PATCHED).spans_of_kind("tool")
    assert (change.name, change.error) == ("apply_patch", None)
