"""``codex exec --json`` output (JSON Lines of thread/turn/item events), as the Codex docs show it
(openai/codex docs/exec.md; tests/importers/data/MANIFEST.tsv): before, "not a trace" (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA, jsonl

SAMPLE = DATA / "codex_exec" / "exec_readme_sample.jsonl"


def test_sample_steps_tools_and_usage() -> None:
    events = jsonl(SAMPLE)
    assert detect_format(SAMPLE) == "codex-exec"
    trace = open_trace(SAMPLE)
    assert trace.header.trace_id == events[0]["thread_id"] and trace.problems == []
    commands = {
        e["item"]["id"]: e["item"]
        for e in events
        if e["type"] == "item.completed" and e["item"]["type"] == "command_execution"
    }
    tools = [s for s in trace.spans if s.kind == "tool"]
    assert [t.id for t in tools] == list(commands)
    assert tools[0].input["arguments"] == {"command": commands["item_1"]["command"]}
    assert tools[0].output == commands["item_1"]["aggregated_output"] and tools[0].error is None
    said = [
        e["item"]["text"]
        for e in events
        if e["type"] == "item.completed" and e["item"]["type"] in ("reasoning", "agent_message")
    ]
    texts = [
        part.get("text") or part["summary"][0]["text"]
        for llm in trace.llm_spans
        for entry in llm.output["output"]
        for part in (entry.get("content") or [entry])
    ]
    assert texts == said  # every reasoning and message item, in order, none twice
    usage = events[-1]["usage"]
    assert trace.totals()["input_tokens"] == usage["input_tokens"]
    assert trace.totals()["output_tokens"] == usage["output_tokens"]
    assert all(llm.attributes["replayable"] is False for llm in trace.llm_spans)


def test_failures_and_an_interrupted_run(tmp_path: Path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    failing = [
        '{"type":"error","message":"Reconnecting... 2/5 (stream disconnected)"}',
        '{"type":"item.completed","item":{"id":"i1","type":"command_execution","command":"false","exit_code":1,"status":"failed"}}',
        '{"type":"item.started","item":{"id":"i2","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"status":"in_progress"}}',
        '{"type":"turn.failed","error":{"message":"model response stream ended unexpectedly"}}',
        '{"type":"turn.started"}',
        '{"type":"item.started","item":{"id":"i3","type":"command_execution","command":"sleep 99","status":"in_progress"}}',
    ]
    path = tmp_path / "exec.jsonl"
    path.write_text("\n".join([*lines[:-1], *failing]) + "\n", encoding="utf-8")
    trace = open_trace(path)
    by_id = {s.id: s for s in trace.spans}
    assert by_id["i1"].error is not None and by_id["i1"].attributes["exit_code"] == 1
    assert by_id["i2"].name == "docs.search" and not by_id["i2"].ended
    turns = [s for s in trace.spans if s.name == "turn"]
    assert turns[0].error is not None and "stream ended" in turns[0].error.message
    assert not turns[1].ended and not by_id["i3"].ended  # stopped mid-turn: incomplete, said so
    assert any("never completed" in p.message for p in trace.problems)
    assert any(
        s.error is not None and "Reconnecting" in s.error.message for s in trace.spans if s.kind == "custom"
    )
    assert json.loads(json.dumps(trace.model_dump(mode="json")))  # exports cleanly
